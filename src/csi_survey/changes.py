"""Changes of the 0–100 indices between waves, with their interval, p value and a significance flag
corrected for multiplicity across the segments of a wave.

For a segment s, a construct c and two consecutive estimated waves (the previous one, p, and the
current one, w) of independent samples:

- change ``d = I_w − I_p``;
- standard error ``se(d) = √(se_w² + se_p²)`` from the bootstrap standard errors of the two indices
  (independent samples: the variances add);
- Wald interval ``d ± z_{1−α/2} · se(d)`` and two-sided p value ``2 · Φ(−|d| / se(d))``;
- ``p_adjusted``: the p values of one wave and construct, across its segments, adjusted with
  :func:`~csi_survey.multiplicity.adjust_p_values` (Holm by default, Benjamini–Hochberg or none);
  the all-respondents row ("(total)") is its own family of one and keeps its p value;
- ``significant``: ``p_adjusted < 1 − level``. A report marks ▲/▼ only where this is true.

"Previous" is the previous wave in which that segment was estimated (a skipped wave is stepped
over; ``previous_wave`` names it). Where either index has no standard error (no bootstrap) the
change is given without interval or test.

When the same respondents answer in both waves (a panel), the samples are not independent:
a positive correlation between the waves makes ``se(d)`` above too large, so the test is
conservative there. Pass the paired bootstrap's results (:mod:`csi_survey.panel`) as ``paired``:
their standard error, interval and p value replace the independent ones of those rows before the
multiplicity correction, and ``pairing`` says which test each row had.

Reference: the usual two-sample z test on independent survey estimates, e.g. Kish (1965),
*Survey Sampling*, §14.1; multiplicity: Holm (1979), Benjamini & Hochberg (1995).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .exceptions import SettingsError, check_choice
from .ingest.columns import TOTAL_SEGMENT
from .multiplicity import CORRECTIONS, adjust_p_values

__all__ = ["CHANGE_COLUMNS", "PAIRED_COLUMNS", "index_changes"]

#: Columns of the change table (one row per segment, construct and wave with an estimated previous wave).
CHANGE_COLUMNS = ["wave", "previous_wave", "segment", "construct", "change", "std_err", "ci_lower", "ci_upper",
                  "p_value", "p_adjusted", "significant", "pairing"]

#: Columns of the ``paired`` table of :func:`index_changes` (rows of the paired bootstrap).
PAIRED_COLUMNS = ["wave", "previous_wave", "segment", "construct", "std_err", "ci_lower", "ci_upper", "p_value"]

_NEEDED = ("wave", "segment", "construct", "index", "std_err")


def index_changes(
    history: pd.DataFrame,
    order: Sequence[str],
    *,
    level: float = 0.95,
    correction: str = "holm",
    estimated: str | None = "estimated",
    paired: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The change of every index since the previous estimated wave of its segment (module docstring).

    ``history`` has one row per wave, segment and construct with ``index`` and ``std_err`` (and
    ``status``: only rows whose status equals ``estimated`` count; ``estimated=None`` takes every
    row with an index). ``order`` lists the waves in time order. Returns :data:`CHANGE_COLUMNS`,
    in the order of ``order``, then of the segments and constructs as they appear in ``history``.
    ``paired`` (:data:`PAIRED_COLUMNS`) holds paired-bootstrap results of some rows (module
    docstring); ``pairing`` is ``"paired"`` for those, else ``"independent"``.
    """
    missing = [c for c in _NEEDED if c not in history.columns]
    if missing:
        raise SettingsError(f"the history table lacks the column(s) {', '.join(missing)}",
                            hint="pass the index history with index and std_err per wave, segment and construct.")
    check_choice("correction", correction, CORRECTIONS)
    if not 0 < float(level) < 1:
        raise SettingsError(f"level must lie between 0 and 1; got {level!r}", hint="pass level=0.95.")
    rank = {str(w): k for k, w in enumerate(order)}
    table = history.copy()
    table["wave"] = table["wave"].astype(str)
    keep = table["wave"].isin(rank) & pd.to_numeric(table["index"], errors="coerce").notna()
    if estimated is not None and "status" in table.columns:
        keep &= table["status"].astype(str).eq(estimated)
    table = table[keep].assign(_rank=lambda t: t["wave"].map(rank), _pos=lambda t: np.arange(len(t)))
    table = table.sort_values(["segment", "construct", "_rank"], kind="stable")
    previous = table.groupby(["segment", "construct"], sort=False).shift(1)
    pairs = table[previous["wave"].notna()].copy()
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in CHANGE_COLUMNS})
    prev = previous.loc[pairs.index]
    cur_i = pairs["index"].astype(float).to_numpy()
    prev_i = prev["index"].astype(float).to_numpy()
    se = np.sqrt(pd.to_numeric(pairs["std_err"], errors="coerce").to_numpy(dtype=float) ** 2
                 + pd.to_numeric(prev["std_err"], errors="coerce").to_numpy(dtype=float) ** 2)
    change = cur_i - prev_i
    z = stats.norm.ppf(1 - (1 - float(level)) / 2)
    tested = np.isfinite(se) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tested, 2 * stats.norm.sf(np.abs(change) / np.where(tested, se, 1.0)), np.nan)
    out = pd.DataFrame({
        "wave": pairs["wave"].to_numpy(dtype=object),
        "previous_wave": prev["wave"].to_numpy(dtype=object),
        "segment": pairs["segment"].to_numpy(dtype=object),
        "construct": pairs["construct"].to_numpy(dtype=object),
        "change": change,
        "std_err": np.where(tested, se, np.nan),
        "ci_lower": np.where(tested, change - z * se, np.nan),
        "ci_upper": np.where(tested, change + z * se, np.nan),
        "p_value": p,
        "_rank": pairs["_rank"].to_numpy(),
        "_pos": pairs["_pos"].to_numpy(),
    })
    out["pairing"] = "independent"
    if paired is not None and len(paired):
        _apply_paired(out, paired)
    out["p_adjusted"] = np.nan
    segments = out["segment"].ne(TOTAL_SEGMENT)
    for _, rows in out[segments].groupby(["wave", "construct"], sort=False):
        out.loc[rows.index, "p_adjusted"] = adjust_p_values(rows["p_value"].to_numpy(), correction)
    out.loc[~segments, "p_adjusted"] = adjust_p_values(out.loc[~segments, "p_value"].to_numpy(), "none")
    out["significant"] = (out["p_adjusted"] < 1 - float(level)).to_numpy(dtype=bool)
    out = out.sort_values(["_rank", "_pos"], kind="stable").reset_index(drop=True)
    return out[CHANGE_COLUMNS]


def _apply_paired(out: pd.DataFrame, paired: pd.DataFrame) -> None:
    """Replace the test of the rows that ``paired`` holds (same wave, previous wave, segment and construct)."""
    missing = [c for c in PAIRED_COLUMNS if c not in paired.columns]
    if missing:
        raise SettingsError(f"the paired changes lack the column(s) {', '.join(missing)}",
                            hint="pass the rows of csi_survey.panel.paired_wave_changes with a segment column.")
    keys = ["wave", "previous_wave", "segment", "construct"]
    table = paired.assign(**{k: paired[k].astype(str) for k in keys}).drop_duplicates(keys, keep="last").set_index(keys)
    where = pd.MultiIndex.from_frame(out[keys].astype(str))
    found = where.isin(table.index)
    if not found.any():
        return
    rows = table.reindex(where[found])
    for c in ("std_err", "ci_lower", "ci_upper", "p_value"):
        out.loc[found, c] = pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float)
    out.loc[found, "pairing"] = "paired"


def _dtype(column: str) -> str:
    if column == "significant":
        return "bool"
    return "object" if column in ("wave", "previous_wave", "segment", "construct", "pairing") else "float64"
