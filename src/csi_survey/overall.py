"""An overall index of one run from several construct indices with given weights (e.g. AHP weights).

Management often wants one number from several construct indices with weights it chose or
elicited (``csi-survey ahp`` writes such weights): ``I = Σ s_c I_c`` with ``s_c = w_c / Σ w``
over the constructs c named. Its interval comes from the same bootstrap replicates as the
construct indices: replicate b gives ``I*_b = Σ s_c I*_c,b``, so the correlation between the
constructs is carried through; ``std_err`` is the standard deviation of the ``I*_b`` (n − 1) and
the interval their percentile interval at the fit's level (as for every index of the run).

The weights file (CSV or xlsx) has a ``weight`` column and a ``construct`` (or ``criterion``, as in
the ``weights.csv`` of ``csi-survey ahp``) column naming each construct by its id or its label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataValidationError, InputFileError, SettingsError
from .ingest.columns import cell_text, finite_number
from .ingest.readers import read_table

__all__ = ["OVERALL_COLUMNS", "OVERALL_WEIGHT_COLUMNS", "read_overall_weights", "overall_index"]

#: Columns of ``overall_index.csv``.
OVERALL_COLUMNS = ["name", "index", "std_err", "ci_lower", "ci_upper", "resamples"]
#: Columns of ``overall_weights.csv`` (one row per construct used).
OVERALL_WEIGHT_COLUMNS = ["construct", "label", "weight", "share", "index"]


def read_overall_weights(path: str | Path) -> dict[str, float]:
    """Name → weight from a weights file (module docstring); every bad row in one
    :class:`~csi_survey.exceptions.DataValidationError` (row as in the file)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"The weights file {str(path)!r} does not exist",
                             hint="pass a CSV with the columns construct (or criterion) and weight, e.g. the weights.csv of csi-survey ahp.")
    raw = read_table(path)
    columns = {str(c).strip().casefold(): c for c in raw.frame.columns}
    name_col = columns.get("construct", columns.get("criterion"))
    if name_col is None or "weight" not in columns:
        raise InputFileError(f"The weights file {path.name} needs the columns construct (or criterion) and weight",
                             hint="one row per construct: its id or label, and a positive weight.")
    out: dict[str, float] = {}
    seen: set[str] = set()
    problems = []
    for k, (name, weight) in enumerate(zip(raw.frame[name_col], raw.frame[columns["weight"]])):
        row = int(raw.row_numbers[k])
        text, w = cell_text(name).strip(), finite_number(weight)
        if not text:
            problems.append({"file": path.name, "row": row, "column": str(name_col), "value": "", "problem": "empty"})
        elif text in seen:
            problems.append({"file": path.name, "row": row, "column": str(name_col), "value": text, "problem": "listed twice"})
        seen.add(text)
        if w is None or w <= 0:
            problems.append({"file": path.name, "row": row, "column": "weight", "value": cell_text(weight),
                             "problem": "missing or not a positive number"})
        if text and w is not None and w > 0:
            out[text] = w
    if problems:
        raise DataValidationError(f"The weights file {path.name} has {len(problems)} problem(s)", pd.DataFrame(problems),
                                  hint="give every construct once with a positive weight (the weights need not sum to 1).")
    return out


def overall_index(fit: Any, weights: Mapping[str, float], *, name: str = "overall") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The overall index of a fit and the weights used: ``(overall, weights)`` with
    :data:`OVERALL_COLUMNS` and :data:`OVERALL_WEIGHT_COLUMNS` (module docstring).

    ``weights`` maps construct ids or labels (case and surrounding spaces ignored) to positive
    weights. Raises :class:`~csi_survey.exceptions.SettingsError` naming the unknown names, or a
    construct without a 0–100 index.
    """
    model = fit.model
    lookup: dict[str, str] = {}
    for c in model.construct_ids:
        lookup[c.strip().casefold()] = c
        lookup.setdefault(str(model.label(c)).strip().casefold(), c)
    unknown = [n for n in weights if str(n).strip().casefold() not in lookup]
    if unknown:
        raise SettingsError(f"the overall-index weights name no construct: {', '.join(map(repr, unknown))}",
                            hint=f"use the construct ids or labels of the model: {', '.join(model.construct_ids)}.")
    chosen: dict[str, float] = {}
    for n, w in weights.items():
        if not (isinstance(w, (int, float, np.floating)) and np.isfinite(w) and w > 0):
            raise SettingsError(f"the weight of {n!r} must be a positive number; got {w!r}")
        c = lookup[str(n).strip().casefold()]
        chosen[c] = chosen.get(c, 0.0) + float(w)
    index = fit.index.set_index("construct")
    missing = [c for c in chosen if c not in index.index or not np.isfinite(float(index.at[c, "index"]))]
    if missing:
        raise SettingsError(f"construct(s) {', '.join(missing)} have no 0–100 index (items without a scale?)",
                            hint="weight only constructs that the run reports an index for (index.csv).")
    cids = list(chosen)
    w = np.array([chosen[c] for c in cids])
    share = w / w.sum()
    values = index.loc[cids, "index"].to_numpy(dtype=float)
    total = float(share @ values)
    se = lo = hi = np.nan
    resamples = 0
    boot = getattr(fit, "bootstrap", None)
    if boot is not None:
        est = boot.estimates
        rows = {s: k for k, (stat, s) in enumerate(zip(est["statistic"], est["source"])) if stat == "index"}
        draws = boot.draws[:, [rows[c] for c in cids]] @ share
        resamples = int(draws.shape[0])
        if resamples > 1:
            alpha = 1 - float(boot.level)
            se = float(np.std(draws, ddof=1))
            lo, hi = (float(x) for x in np.quantile(draws, [alpha / 2, 1 - alpha / 2]))
    overall = pd.DataFrame([{"name": name, "index": total, "std_err": se, "ci_lower": lo, "ci_upper": hi, "resamples": resamples}],
                           columns=OVERALL_COLUMNS)
    used = pd.DataFrame({"construct": cids, "label": [model.label(c) for c in cids], "weight": w, "share": share, "index": values},
                        columns=OVERALL_WEIGHT_COLUMNS)
    return overall, used
