"""Sampling plan: sample sizes for a target margin of error, allocation across strata, fieldwork control.

Sample size (simple random sampling)
    For a target margin of error E (the half-width of the interval at confidence ``level``) of a
    mean whose per-respondent standard deviation is sd, with z = Φ⁻¹((1 + level)/2)
    (1.959964 at 95 %)::

        n₀ = (z · sd / E)²                                   (infinite population)
        n  = n₀ / (1 + (n₀ − 1)/N)                           (finite-population correction, N given)

    both rounded **up** to whole respondents (the fpc is applied to the unrounded n₀; with N the
    result is never more than N). Cochran (1977), ch. 4.

    * **Satisfaction index** (0–100): sd from a pilot (the sample standard deviation of the pilot's
      0–100 scores, n − 1 divisor) or the default :data:`DEFAULT_INDEX_SD` = 20 index points
      (a common planning value for 0–100 satisfaction scores; a pilot is better); E in index points.
      Example: sd 20, E 2, 95 % → n₀ = (1.959964 · 20 / 2)² = 384.1 → **385**; with N = 110 clients
      → 384.1 / (1 + 383.1/110) = 85.7 → **86**.
    * **NPS** (−100 … 100): each respondent scores +100 (promoter, 9–10), 0 (passive) or −100
      (detractor), so with p, d the promoter and detractor shares the variance of one answer is
      100² · (p + d − (p − d)²) and sd = 100 √(p + d − (p − d)²) NPS points — i.e.
      ``n₀ = z² · var / (E/100)²`` with var = p + d − (p − d)². p and d come from a pilot (0–10
      answers) or are given; without them the **worst case** var = 1 (p = d = ½, the largest
      possible) is used: E = 5 NPS points at 95 % → n₀ = 1.959964² / 0.05² = 1536.6 → 1537.

Allocation across strata
    :func:`allocate_proportional` divides n over strata in proportion to their population sizes
    N_h (the client list: 105 clients of chain A, 5 of chain B); :func:`allocate_quota` in
    proportion to target shares (quota cells, e.g. region shares from a census). The exact quotas
    q_h = n · w_h / Σw are rounded by the **largest-remainder method** (Hamilton): every stratum
    gets ⌊q_h⌋, and the n − Σ⌊q_h⌋ remaining respondents go one each to the strata with the largest
    fractional parts (ties: the larger stratum, then the order given), so the planned numbers
    **add up to n exactly** and each is ⌊q_h⌋ or ⌈q_h⌉.

    ``minimum`` (optional) sets a floor per stratum (capped at N_h for a population): strata whose
    quota is below the floor get the floor, and the rest of the sample is divided proportionally
    among the other strata, repeatedly until no quota is below the floor; then the free strata are
    rounded as above. Example: n = 50 over 105 / 5 clients → 47.73 / 2.27 → **48 / 2**; with
    ``minimum=5`` → **45 / 5**. With a population, no stratum is planned above its N_h, and n must
    not exceed N.

Fieldwork control
    :func:`fieldwork_status` counts the completed interviews per stratum (quota cell) of a
    responses table and compares them with the plan: ``achieved``, ``planned``, ``difference =
    achieved − planned``, ``share_achieved = achieved / planned`` and ``status``: ``met`` when
    ``|difference| ≤ tolerance`` (default 0), else ``short`` (fewer) or ``over`` (more). Strata found in
    the responses but not in the plan are listed with planned 0; empty stratum cells form the
    stratum "(missing)". The first row is the total ("(total)").

References: Cochran, W. G. (1977), *Sampling Techniques*, 3rd ed., Wiley (ch. 4, 5.5);
Reichheld (2003) for the NPS; Balinski, M. & Young, H. P. (2001), *Fair Representation*, 2nd ed.
(largest-remainder apportionment).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import DataValidationError, SettingsError
from ..ingest.columns import MISSING_SEGMENT, segment_order
from ..ingest.readers import RawTable
from ..results import Summary
from .common import find_columns, is_blank, key_text, row_ids, table_input

__all__ = [
    "DEFAULT_INDEX_SD",
    "TOTAL",
    "MISSING",
    "z_value",
    "index_sample_size",
    "nps_sample_size",
    "allocate_proportional",
    "allocate_quota",
    "stratum_sizes",
    "pilot_values",
    "fieldwork_status",
    "SamplingPlan",
    "sampling_plan",
]

#: Default standard deviation of 0–100 satisfaction scores (index points) when there is no pilot.
DEFAULT_INDEX_SD = 20.0
#: Label of the total row of :func:`fieldwork_status`.
TOTAL = "(total)"
#: Stratum label of responses whose stratum cell is empty.
MISSING = MISSING_SEGMENT

_SIZE_COLUMNS = ["statistic", "margin", "level", "z", "sd", "sd_source", "n0", "n_without_fpc", "population", "n"]
_EPS = 1e-9  # (z·sd/E)² of exact inputs may land a hair above a whole number


def z_value(level: float = 0.95) -> float:
    """The two-sided normal quantile z = Φ⁻¹((1 + level)/2): 1.959964 for 0.95."""
    _check_level(level)
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _check_level(level: float) -> None:
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise SettingsError(f"level must be a confidence level between 0 and 1 (e.g. 0.95); got {level!r}",
                            hint="pass level=0.95 (or 0.9, 0.99).")


def _positive(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not (np.isfinite(x) and x > 0):
        raise SettingsError(f"{name} must be a positive number; got {value!r}")
    return x


def _population(population: Any) -> int | None:
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, (int, np.integer, float)) or not (
        float(population).is_integer() and population >= 1
    ):
        raise SettingsError(f"population must be a whole number of at least 1 (the number of customers N); got {population!r}")
    return int(population)


def _values(data: Any, name: str) -> np.ndarray:
    """Finite numbers of a pilot (array-like or Series); text and empty cells are dropped."""
    try:
        arr = pd.to_numeric(pd.Series(np.asarray(data, dtype=object).ravel()), errors="coerce").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a sequence of numbers") from None
    return arr[np.isfinite(arr)]


def _size_row(statistic: str, margin: float, level: float, sd: float, source: str, population: int | None) -> pd.DataFrame:
    z = z_value(level)
    n0 = (z * sd / margin) ** 2
    n_inf = max(1, math.ceil(n0 - _EPS))
    if population is None:
        n = n_inf
    else:
        n = min(population, max(1, math.ceil(n0 / (1.0 + (n0 - 1.0) / population) - _EPS)))
    row = {"statistic": statistic, "margin": float(margin), "level": float(level), "z": z, "sd": float(sd),
           "sd_source": source, "n0": n0, "n_without_fpc": n_inf,
           "population": pd.NA if population is None else population, "n": n}
    frame = pd.DataFrame([row], columns=_SIZE_COLUMNS)
    frame["population"] = frame["population"].astype("Int64")
    frame["n_without_fpc"] = frame["n_without_fpc"].astype(np.int64)
    frame["n"] = frame["n"].astype(np.int64)
    return frame


def index_sample_size(
    margin: float,
    *,
    sd: float | None = None,
    pilot: Sequence[float] | np.ndarray | pd.Series | None = None,
    level: float = 0.95,
    population: int | None = None,
) -> pd.DataFrame:
    """Respondents needed for a margin of error of ``margin`` index points on the 0–100 index.

    ``sd``: the standard deviation of the 0–100 scores; or ``pilot``: the 0–100 scores of a pilot
    (their sample sd is used); neither: :data:`DEFAULT_INDEX_SD`. ``population``: the number N of
    customers, for the finite-population correction. Formulas in the module docs.

    Returns one row: ``statistic ("index"), margin, level, z, sd, sd_source, n0 (unrounded),
    n_without_fpc, population, n``.

    >>> int(index_sample_size(2.0).loc[0, "n"])
    385
    """
    margin = _positive("margin", margin)
    _check_level(level)
    population = _population(population)
    if sd is not None and pilot is not None:
        raise SettingsError("give either sd or pilot scores, not both")
    if pilot is not None:
        x = _values(pilot, "pilot")
        if x.size < 2:
            raise SettingsError(f"the pilot needs at least 2 numeric scores to estimate the sd; got {x.size}")
        value = float(np.std(x, ddof=1))
        if value <= 0:
            raise SettingsError("the pilot scores do not vary (sd 0); give sd= or use the default")
        source = f"pilot (n = {x.size})"
    elif sd is not None:
        value, source = _positive("sd", sd), "given"
    else:
        value, source = DEFAULT_INDEX_SD, "default"
    return _size_row("index", margin, level, value, source, population)


def nps_sample_size(
    margin: float,
    *,
    pilot: Sequence[float] | np.ndarray | pd.Series | None = None,
    promoters: float | None = None,
    detractors: float | None = None,
    level: float = 0.95,
    population: int | None = None,
) -> pd.DataFrame:
    """Respondents needed for a margin of error of ``margin`` NPS points.

    ``pilot``: the pilot's 0–10 likelihood-to-recommend answers (whole numbers 0–10; others are
    ignored); or ``promoters`` and ``detractors``: the expected shares p and d (0–1); neither: the
    worst case var = 1. sd = 100 √(p + d − (p − d)²) NPS points; formulas in the module docs.

    Returns one row with the columns of :func:`index_sample_size` (statistic "nps").

    >>> int(nps_sample_size(5.0).loc[0, "n"])
    1537
    """
    margin = _positive("margin", margin)
    _check_level(level)
    population = _population(population)
    given = (promoters is not None) or (detractors is not None)
    if pilot is not None and given:
        raise SettingsError("give either pilot answers or promoters/detractors shares, not both")
    if pilot is not None:
        x = _values(pilot, "pilot")
        x = x[(x >= 0) & (x <= 10) & (x == np.floor(x))]
        if x.size < 2:
            raise SettingsError(f"the NPS pilot needs at least 2 valid 0–10 answers; got {x.size}")
        p, d = float(np.mean(x >= 9)), float(np.mean(x <= 6))
        source = f"pilot (n = {x.size}; promoters {p:.3f}, detractors {d:.3f})"
    elif given:
        if promoters is None or detractors is None:
            raise SettingsError("give both promoters and detractors shares (0–1)")
        p, d = float(promoters), float(detractors)
        if not (0 <= p <= 1 and 0 <= d <= 1 and p + d <= 1):
            raise SettingsError(f"promoters and detractors must be shares in [0, 1] with a sum ≤ 1; got {promoters!r}, {detractors!r}")
        source = f"given (promoters {p:.3f}, detractors {d:.3f})"
    else:
        p = d = 0.5
        source = "worst case"
    var = p + d - (p - d) ** 2
    if var <= 0:
        raise SettingsError("the promoter/detractor shares give an NPS variance of 0 (everybody in one group); "
                            "use the worst case (no pilot) instead")
    return _size_row("nps", margin, level, 100.0 * math.sqrt(var), source, population)


# ====================================================================== allocation
def _weights(values: Mapping[Any, Any] | pd.Series, name: str, integer: bool) -> tuple[list[str], np.ndarray]:
    if isinstance(values, pd.Series):
        items = list(values.items())
    elif isinstance(values, Mapping):
        items = list(values.items())
    else:
        raise SettingsError(f"{name} must be a mapping stratum → {'size' if integer else 'share'} (dict or Series)")
    labels = [key_text(k) for k, _ in items]
    problems = []
    if not items:
        problems.append("no stratum")
    if len(set(labels)) != len(labels):
        problems.append("a stratum label appears twice")
    w = []
    for label, (_, v) in zip(labels, items):
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = float("nan")
        if not np.isfinite(x) or x < 0 or (integer and not x.is_integer()):
            problems.append(f"{label!r}: {v!r} is not a {'whole number ≥ 0' if integer else 'share ≥ 0'}")
        w.append(x)
    arr = np.asarray(w, dtype=np.float64)
    if not problems and not arr.sum() > 0:
        problems.append("the sizes/shares sum to 0")
    if problems:
        raise SettingsError(f"{name} is invalid: " + "; ".join(problems))
    return labels, arr


def _largest_remainder(n: int, w: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact quotas and whole numbers summing to n (floors honoured; module docs)."""
    k = len(w)
    fixed = np.zeros(k, dtype=bool)
    while True:
        free = ~fixed
        remaining = n - floor[fixed].sum()
        total = w[free].sum()
        exact = np.where(fixed, floor, remaining * w / total if total > 0 else 0.0)
        low = free & (exact < floor - _EPS)
        if not low.any():
            break
        fixed |= low
    exact = np.where(fixed, floor, exact)
    base = np.floor(exact + _EPS)
    base = np.where(fixed, floor, base)
    left = int(round(n - base.sum()))
    frac = np.where(fixed, -1.0, exact - base)
    order = sorted(range(k), key=lambda j: (-frac[j], -w[j], j))
    planned = base.copy()
    for j in order[:left]:
        planned[j] += 1
    return exact, planned.astype(np.int64)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer, float)) or not float(n).is_integer() or n < 1:
        raise SettingsError(f"n must be a whole number of at least 1 (the sample size); got {n!r}")
    return int(n)


def _check_minimum(minimum: Any) -> int:
    if isinstance(minimum, bool) or not isinstance(minimum, (int, np.integer, float)) or not float(minimum).is_integer() or minimum < 0:
        raise SettingsError(f"minimum must be a whole number ≥ 0 (respondents per stratum); got {minimum!r}")
    return int(minimum)


def allocate_proportional(n: int, population: Mapping[Any, int] | pd.Series, *, minimum: int = 0) -> pd.DataFrame:
    """Divide a sample of ``n`` over strata in proportion to their population sizes N_h.

    ``population``: stratum → number of customers (e.g. :func:`stratum_sizes` of the client list).
    ``minimum``: at least this many per stratum (at most N_h). Method in the module docs.

    Returns ``stratum, population, target_share (N_h/N), exact (quota before rounding), planned,
    sampling_fraction (planned/N_h)``; ``planned`` sums to n.

    >>> allocate_proportional(50, {"A": 105, "B": 5})["planned"].tolist()
    [48, 2]
    """
    n = _check_n(n)
    minimum = _check_minimum(minimum)
    labels, sizes = _weights(population, "population", integer=True)
    total = int(sizes.sum())
    if n > total:
        raise SettingsError(f"the sample size n = {n} exceeds the population N = {total}",
                            hint="interview everybody (a census), or check the stratum sizes.")
    floor = np.minimum(float(minimum), sizes)
    if floor.sum() > n:
        raise SettingsError(f"minimum {minimum} per stratum needs {int(floor.sum())} respondents, more than n = {n}",
                            hint="lower the minimum or raise n.")
    exact, planned = _largest_remainder(n, sizes, floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(sizes > 0, planned / np.where(sizes > 0, sizes, 1), np.nan)
    return pd.DataFrame({
        "stratum": pd.Series(labels, dtype=object),
        "population": sizes.astype(np.int64),
        "target_share": sizes / total,
        "exact": exact.astype(np.float64),
        "planned": planned,
        "sampling_fraction": fraction,
    })


def allocate_quota(n: int, shares: Mapping[Any, float] | pd.Series, *, minimum: int = 0) -> pd.DataFrame:
    """Divide a sample of ``n`` over quota cells in proportion to target shares.

    ``shares``: cell → target share (fractions or percentages; they are normalized to sum 1).
    ``minimum``: at least this many per cell. Method in the module docs.

    Returns ``stratum, target_share, exact, planned``; ``planned`` sums to n.

    >>> allocate_quota(100, {"北区": 1, "南区": 1, "西区": 1})["planned"].tolist()
    [34, 33, 33]
    """
    n = _check_n(n)
    minimum = _check_minimum(minimum)
    labels, w = _weights(shares, "shares", integer=False)
    floor = np.where(w > 0, float(minimum), 0.0)
    if floor.sum() > n:
        raise SettingsError(f"minimum {minimum} per cell needs {int(floor.sum())} respondents, more than n = {n}",
                            hint="lower the minimum or raise n.")
    exact, planned = _largest_remainder(n, w, floor)
    return pd.DataFrame({
        "stratum": pd.Series(labels, dtype=object),
        "target_share": w / w.sum(),
        "exact": exact.astype(np.float64),
        "planned": planned,
    })


def _strata_labels(table: RawTable | pd.DataFrame, column: str, what: str) -> tuple[Any, np.ndarray]:
    inp = table_input(table, what)
    found = find_columns(inp, [(column, "stratum column")], "pass the name of the stratum column as it is in the file.")
    col = found[column]
    labels = np.array([MISSING if is_blank(v) else key_text(v) for v in inp.frame[col]], dtype=object)
    return inp, labels


def _natural(labels: Sequence[str]) -> list[str]:
    """The distinct strata in the segment tables' order, without the "(missing)" stratum."""
    return [v for v in segment_order(labels) if v != MISSING]


def pilot_values(table: RawTable | pd.DataFrame, column: str) -> pd.Series:
    """The cells of one column of a pilot file (for ``pilot=`` / ``nps_pilot=``), found by name
    (exact, else case/space-insensitive); :class:`InputFileError` names the closest columns.

    Text and empty cells are kept here; the sample-size functions ignore them.
    """
    inp = table_input(table, "pilot_values()")
    found = find_columns(inp, [(column, "pilot column")], "pass the name of the pilot's score column as it is in the file.")
    return inp.frame[found[column]].rename(column)


def stratum_sizes(table: RawTable | pd.DataFrame, column: str) -> pd.Series:
    """The number of rows per value of ``column`` of a client list (the population N_h per stratum).

    Labels in natural order (numbers by value, "Q2" before "Q10"). Empty cells are an error
    (:class:`DataValidationError` listing every such row): a client without stratum cannot be
    allocated.
    """
    inp, labels = _strata_labels(table, column, "stratum_sizes()")
    blank = np.flatnonzero(labels == MISSING)
    if blank.size:
        raise DataValidationError(
            f"{inp.where}: clients without a {column!r} value",
            pd.DataFrame({"row": inp.rows[blank], "respondent_id": row_ids(inp, None)[blank], "column": column,
                          "value": "", "problem": "empty stratum"}),
            hint="fill in the stratum of every client (or give such clients a stratum of their own).",
        )
    counts = pd.Series(labels).value_counts(sort=False)
    order = _natural(list(counts.index))
    return pd.Series([int(counts[k]) for k in order], index=pd.Index(order, dtype=object, name="stratum"),
                     name="population", dtype=np.int64)


def fieldwork_status(
    responses: RawTable | pd.DataFrame,
    plan: pd.DataFrame | Mapping[Any, int] | pd.Series,
    stratum_column: str,
    *,
    tolerance: int = 0,
) -> pd.DataFrame:
    """Achieved against planned interviews per stratum (quota cell) after fieldwork.

    ``plan``: an allocation table (columns ``stratum``, ``planned``; e.g. from
    :func:`allocate_proportional`) or a mapping stratum → planned number. Each row of
    ``responses`` is one completed interview; its stratum is the value of ``stratum_column``.

    Returns ``stratum, planned, achieved, difference, share_achieved, status`` with a first row
    "(total)"; rules in the module docs.
    """
    if isinstance(plan, pd.DataFrame):
        missing = [c for c in ("stratum", "planned") if c not in plan.columns]
        if missing:
            raise SettingsError(f"the plan table needs the columns stratum and planned; missing: {', '.join(missing)}")
        plan_map = dict(zip(plan["stratum"], plan["planned"]))
    else:
        plan_map = plan
    labels_p, planned_p = _weights(plan_map, "plan", integer=True) if len(plan_map) else ([], np.zeros(0))
    tol = _check_minimum(tolerance)
    inp, labels = _strata_labels(responses, stratum_column, "fieldwork_status()")
    counts = pd.Series(labels, dtype=object).value_counts(sort=False).to_dict() if len(labels) else {}
    extra = [k for k in _natural(list(counts)) if k not in labels_p]
    order = labels_p + extra + ([MISSING] if MISSING in counts and MISSING not in labels_p else [])
    planned = np.array([int(planned_p[labels_p.index(k)]) if k in labels_p else 0 for k in order], dtype=np.int64)
    achieved = np.array([int(counts.get(k, 0)) for k in order], dtype=np.int64)
    planned = np.concatenate([[planned.sum()], planned])
    achieved = np.concatenate([[achieved.sum()], achieved])
    diff = achieved - planned
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(planned > 0, achieved / np.where(planned > 0, planned, 1), np.nan)
    status = np.where(np.abs(diff) <= tol, "met", np.where(diff < 0, "short", "over"))
    return pd.DataFrame({
        "stratum": pd.Series([TOTAL, *order], dtype=object),
        "planned": planned,
        "achieved": achieved,
        "difference": diff,
        "share_achieved": share.astype(np.float64),
        "status": pd.Series(status, dtype=object),
    })


# ====================================================================== the whole plan
@dataclass(frozen=True)
class SamplingPlan:
    """A sampling plan (:func:`sampling_plan`).

    Attributes
    ----------
    sample_size:
        One row per statistic planned (``index``, ``nps``), columns of :func:`index_sample_size`.
    allocation:
        The allocation of ``n`` over the strata (:func:`allocate_proportional` or
        :func:`allocate_quota`); empty without strata.
    n:
        The sample size allocated: the ``n`` given, else the largest ``n`` of ``sample_size``.
    """

    sample_size: pd.DataFrame
    allocation: pd.DataFrame
    n: int

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables by file name: ``sample_size.csv`` and ``allocation.csv``."""
        return {"sample_size.csv": self.sample_size, "allocation.csv": self.allocation}

    def summary(self) -> Summary:
        """A printable summary: the sample size allocated, the size per statistic, the allocation."""
        info: dict[str, Any] = {"Sample size": self.n}
        if len(self.sample_size):
            info["Level"] = f"{float(self.sample_size['level'].iloc[0]):.0%}"
            pop = self.sample_size["population"].iloc[0]
            info["Population"] = "not given (no finite-population correction)" if pd.isna(pop) else int(pop)
        tables = {"Sample size": self.sample_size[["statistic", "margin", "sd", "sd_source", "n_without_fpc", "n"]]}
        if len(self.allocation):
            tables["Allocation"] = self.allocation
        return Summary(title="Sampling plan", info=info, tables=tables)

    def __repr__(self) -> str:
        return f"<SamplingPlan: n = {self.n}, {len(self.allocation)} strata>"


def sampling_plan(
    margin: float | None = None,
    *,
    sd: float | None = None,
    pilot: Sequence[float] | np.ndarray | pd.Series | None = None,
    nps_margin: float | None = None,
    nps_pilot: Sequence[float] | np.ndarray | pd.Series | None = None,
    level: float = 0.95,
    population: int | None = None,
    strata: Mapping[Any, int] | pd.Series | None = None,
    quotas: Mapping[Any, float] | pd.Series | None = None,
    minimum: int = 0,
    n: int | None = None,
) -> SamplingPlan:
    """Sample sizes and their allocation in one call (the ``csi-survey plan`` command).

    ``margin`` (index points; with ``sd`` or ``pilot``) and/or ``nps_margin`` (NPS points; with
    ``nps_pilot``) give the required sample sizes; ``population`` the N for the finite-population
    correction (default: the total of ``strata``). ``strata`` (stratum → N_h) allocates
    proportionally, ``quotas`` (cell → share) by quota; ``n`` overrides the sample size allocated.
    """
    if strata is not None and quotas is not None:
        raise SettingsError("give either strata (population sizes) or quotas (target shares), not both")
    if strata is not None:
        _, sizes = _weights(strata, "strata", integer=True)
        total = int(sizes.sum())
        if population is not None and _population(population) != total:
            raise SettingsError(f"population {population} differs from the total of the strata ({total})",
                                hint="leave population out: it defaults to the total of the strata.")
        population = total
    parts = []
    if margin is not None:
        parts.append(index_sample_size(margin, sd=sd, pilot=pilot, level=level, population=population))
    elif sd is not None or pilot is not None:
        raise SettingsError("sd and pilot need margin (the target margin of error of the index)")
    if nps_margin is not None:
        parts.append(nps_sample_size(nps_margin, pilot=nps_pilot, level=level, population=population))
    elif nps_pilot is not None:
        raise SettingsError("nps_pilot needs nps_margin (the target margin of error of the NPS)")
    if not parts and n is None:
        raise SettingsError("give margin and/or nps_margin (target margins of error), or the sample size n",
                            hint="e.g. margin=2 for ±2 index points, nps_margin=5 for ±5 NPS points.")
    sizes_table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_SIZE_COLUMNS)
    chosen = _check_n(n) if n is not None else int(sizes_table["n"].max())
    if strata is not None:
        allocation = allocate_proportional(chosen, strata, minimum=minimum)
    elif quotas is not None:
        allocation = allocate_quota(chosen, quotas, minimum=minimum)
    else:
        allocation = pd.DataFrame(columns=["stratum", "target_share", "exact", "planned"])
    return SamplingPlan(sample_size=sizes_table, allocation=allocation, n=chosen)
