"""Weighted means of survey columns with design-based (Rao–Wu replicate) standard errors.

The structural model's indices get their design-based intervals from the bootstrap
(:func:`csi_survey.bootstrap` with a ``design:`` in the spec). :func:`design_means` does the same for
plain weighted means — item means, a fixed-weight satisfaction score, a top-box share (a 0/1
column) — without a model: as R's ``svymean(~x, as.svrepdesign(design, type = "subbootstrap"))``.

Replicate r has the weights ``w_r,n = a_r,n × w_n`` (:func:`~csi_survey.ingest.design.rao_wu_factors`;
re-raked when the data's weights come from raking, :class:`~csi_survey.ingest.design.ReplicateWeights`),
its mean ``θ_r = Σ w_r,n y_n / Σ w_r,n``, and the standard error is
``SE² = Σ_r (θ_r − θ̄)² / (R − 1)`` (``survey``'s ``scale = 1/(R − 1)``, ``mse = FALSE``). The
interval is ``mean ± z_(1 − α/2) SE``. Checked against ``survey`` 4.1-1 (``tests/test_design.py``).
Without a ``design:`` in the spec every respondent is a unit of one stratum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .exceptions import SettingsError
from .ingest.columns import check_survey_data
from .ingest.design import SurveyDesign, rao_wu_factors, replicate_weights, survey_design

__all__ = ["design_means", "DESIGN_MEANS_COLUMNS"]

#: Columns of :func:`design_means`.
DESIGN_MEANS_COLUMNS = ["column", "n", "mean", "std_err", "ci_lower", "ci_upper", "replicates"]
_CHUNK = 250


def design_means(data: Any, values: pd.DataFrame | Mapping[str, Any] | None = None, *, replicates: int = 2000,
                 seed: int | None = None, level: float = 0.95) -> pd.DataFrame:
    """Weighted means and their Rao–Wu replicate standard errors, one row per column.

    Parameters
    ----------
    data:
        The prepared survey data (``SurveyData``); its weights (``data.weight``, or none) and the
        design of its spec (``design:``) are used.
    values:
        The columns to average, one value per used respondent: a DataFrame or a mapping name →
        array; default: the item scores ``data.items``.
    replicates, seed:
        Number of Rao–Wu replicates (2000) and the seed of their streams
        (``SeedSequence(seed).spawn(replicates)``, one per replicate, as the bootstrap); ``None``
        draws a seed, recorded in ``table.attrs["seed"]``.
    level:
        Confidence level of the normal interval.

    Returns
    -------
    DataFrame
        ``column, n, mean, std_err, ci_lower, ci_upper, replicates`` (replicates used; a replicate
        whose re-raking fails is left out). ``attrs`` hold ``seed``, ``design`` (a description) and
        ``reraked``.
    """
    check_survey_data(data, "design_means")
    if not (isinstance(replicates, (int, np.integer)) and replicates >= 2):
        raise SettingsError(f"replicates must be an integer of at least 2; got {replicates!r}")
    if not 0 < level < 1:
        raise SettingsError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    n = len(data.items)
    frame = data.items if values is None else pd.DataFrame({k: np.asarray(v) for k, v in dict(values).items()})
    if len(frame) != n:
        raise SettingsError(f"values must have one row per used respondent ({n}); got {len(frame)}",
                            hint="compute the columns from the same SurveyData (e.g. from data.items).")
    Y = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(Y).all():
        raise SettingsError("values must be finite numbers (no missing values)",
                            hint="average complete columns, e.g. the item scores after the missing-value treatment.")
    design = survey_design(data, lonely="split") or SurveyDesign(
        cluster_column=None, strata_column=None, unit=np.arange(n), unit_stratum=np.zeros(n, dtype=np.intp),
        strata=("(all)",), n_clusters=n)
    weights = replicate_weights(data)
    w = np.ones(n) if weights.weight is None else weights.weight
    mean = (w @ Y) / w.sum()
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    children = np.random.SeedSequence(seed).spawn(replicates)
    parts = []
    for r0 in range(0, replicates, _CHUNK):
        W, failed = weights.of(rao_wu_factors(design, children[r0:r0 + _CHUNK]))
        keep = np.setdiff1d(np.arange(W.shape[0]), list(failed))
        parts.append((W[keep] @ Y) / W[keep].sum(axis=1, keepdims=True))
    theta = np.concatenate(parts)
    se = theta.std(axis=0, ddof=1)
    z = sps.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame({"column": [str(c) for c in frame.columns], "n": n, "mean": mean, "std_err": se,
                          "ci_lower": mean - z * se, "ci_upper": mean + z * se, "replicates": theta.shape[0]},
                         columns=DESIGN_MEANS_COLUMNS)
    table.attrs.update(seed=seed, design=design.describe(), reraked=weights.reraked)
    return table
