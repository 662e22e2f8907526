"""Driver analysis: ACSI impacts, importance–performance maps, gaps, frequencies, NPS and CSAT.

Everything here is computed from a fit (any engine: the tables of
:class:`~csi_survey.results.ModelResults`) and the prepared data
(:class:`~csi_survey.ingest.prepare.SurveyData`); nothing is re-estimated. Every function returns
a tidy DataFrame with the columns of the run-bundle contract (``impacts``, ``ipma``, ``gaps``,
``frequencies``, ``item_summary``, ``nps``, ``csat``) and never prints.

Survey weights (``SurveyData.weight``, :func:`csi_survey.ingest.weights.apply_weights`; for the
fit-based functions ``fit.weight``) are used by every function: counts become sums of weights,
shares and means weighted shares and means, and standard errors use Kish's effective sample size
n_eff = (Σw)²/Σw² of the respondents concerned in place of n (the usual design-effect
approximation for weighted proportions and means; it ignores the variability of the weights
themselves). ``n`` columns always count respondents; weighted tables add ``n_effective`` where a
standard error is reported (nps, csat, gaps) and frequencies keep the unweighted count in ``n``.
Without weights every table is exactly as before (no extra column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .exceptions import SettingsError, check_choice
from .ingest.columns import (
    MISSING_SEGMENT,
    TOTAL_SEGMENT,
    check_survey_data,
    item_answers,
    resolve_column,
    segment_order,
    segment_values,
)
from .ingest.prepare import SurveyData, code_set  # one reading of missing codes for items and other columns
from .ingest.weights import effective_n, estimation_weight
from .index import weighted_mean
from .results import ModelResults

__all__ = [
    "impacts",
    "classify_quadrants",
    "total_effects_100",
    "IMPACT_STEP",
    "ipma",
    "gaps",
    "frequencies",
    "item_summary",
    "nps",
    "csat",
    "segment_values",
    "QUADRANTS",
    "MISSING_SEGMENT",
    "TOTAL_SEGMENT",
]

#: ACSI impacts are the change of the target's index when a driver's index rises by this many points.
IMPACT_STEP = 5.0


def _score_sd(fit: ModelResults) -> pd.Series:
    """Standard deviations of the 0–100 scores (n − 1), weighted with the fit's survey weights."""
    ew = estimation_weight(getattr(fit, "weight", None))
    if ew is None:  # column by column (pandas' own std, the same digits): no n × J temporaries
        scores = fit.scores_100
        return pd.Series([scores[c].std(ddof=1) for c in scores.columns], index=scores.columns, dtype=np.float64)
    X = fit.scores_100.to_numpy(dtype=np.float64)
    total = ew.sum()
    mean = (ew @ X) / total
    var = (ew @ (X - mean) ** 2) / (total - 1)
    return pd.Series(np.sqrt(var), index=fit.scores_100.columns)


def _weight(data: Any) -> np.ndarray | None:
    """The survey weights of the data (None when unweighted)."""
    w = getattr(data, "weight", None)
    return None if w is None else np.asarray(w, dtype=np.float64)


def total_effects_100(fit: ModelResults) -> pd.DataFrame:
    """Total effects in 0–100 units (unstandardized): ``source, target, total_effect, total_effect_100``.

    The standardized total effect t of driver i on target j becomes
    ``t₁₀₀ = t · sd(score₁₀₀ⱼ) / sd(score₁₀₀ᵢ)``: the change of j's 0–100 score per point of i's
    (total effects rescale like path coefficients because the 0–100 scores are linear in the
    standardized scores). NaN when either construct has no 0–100 index. For a weighted fit the
    standard deviations are weighted (``fit.weight``).
    """
    sd = _score_sd(fit)
    out = fit.effects[["source", "target", "total_effect"]].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["total_effect_100"] = out["total_effect"].to_numpy() * (
            sd.reindex(out["target"]).to_numpy() / sd.reindex(out["source"]).to_numpy()
        )
    return out.reset_index(drop=True)


def impacts(fit: ModelResults, targets: Sequence[str] | None = None, step: float = IMPACT_STEP) -> pd.DataFrame:
    """ACSI impacts: the change of a target's 0–100 index when a driver's index rises by ``step`` (5) points.

    ``impact = step · t₁₀₀`` with t₁₀₀ the unstandardized total effect in 0–100 units (see
    :func:`total_effects_100`). Columns: ``target, driver, total_effect, total_effect_100, impact``
    for every driver with a route to each target (targets default to the spec's
    :attr:`~csi_survey.schema.Questionnaire.driver_targets`), largest impact first per target.

    Reference: Fornell et al. (1996), Journal of Marketing 60(4): "impacts … represent the change
    in the target variable that would result from a five-point increase in a driver".
    """
    targets = list(targets) if targets is not None else fit.model.driver_targets
    unknown = [t for t in targets if t not in fit.model.construct_ids]
    if unknown:
        raise SettingsError(f"targets must be constructs of the model; unknown: {', '.join(unknown)}")
    te = total_effects_100(fit)
    rows = te[te["target"].isin(targets)].rename(columns={"source": "driver"})
    rows = rows.assign(impact=step * rows["total_effect_100"])
    order = {t: k for k, t in enumerate(targets)}
    rows = rows.assign(_t=rows["target"].map(order)).sort_values(["_t", "impact"], ascending=[True, False], kind="stable")
    return rows[["target", "driver", "total_effect", "total_effect_100", "impact"]].reset_index(drop=True)


# ====================================================================== shared helpers
#: IPMA quadrants (Martilla & James 1977), in the order importance high/low × performance low/high.
QUADRANTS = ("fix first", "keep up", "possible overkill", "low priority")
#: Label of respondents whose segment value is missing.
#: ``segment`` of the total row of the NPS/CSAT tables (its ``segment_column`` is "").

_NPS_COLUMNS = ["segment_column", "segment", "n", "promoters", "passives", "detractors", "nps",
                "std_err", "ci_lower", "ci_upper", "n_invalid"]
_CSAT_COLUMNS = ["segment_column", "segment", "n", "top_box_share", "std_err", "ci_lower", "ci_upper", "n_invalid"]
_GAP_COLUMNS = ["label", "expected", "experienced", "n", "expected_mean", "experienced_mean", "gap",
                "std_err", "ci_lower", "ci_upper"]


def _check_level(level: float) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < float(level) < 1:
        raise SettingsError(
            f"level must be a number between 0 and 1 (the coverage of the intervals); got {level!r}",
            hint="pass level=0.95 for 95 % intervals.",
        )


def _parse_numbers(s: pd.Series, codes: Sequence[float | str]) -> tuple[np.ndarray, np.ndarray]:
    """A raw column as numbers: ``(values, invalid)``.

    ``values`` is NaN where the cell is empty, a missing code or not a number; ``invalid`` marks
    the non-empty cells that are not a missing code and not a number (``pd.to_numeric(errors="coerce")``).
    """
    declared = code_set(codes, (), s.name, "the questionnaire")
    num_codes, str_codes = declared.numbers, list(declared.texts)
    if ptypes.is_numeric_dtype(s.dtype) and not ptypes.is_bool_dtype(s.dtype):
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.isnan(num)
        code = np.isin(num, num_codes) if num_codes.size else np.zeros(len(s), dtype=bool)
    else:
        text = s.astype("string").str.strip()
        blank = (text.isna() | text.eq("")).to_numpy(dtype=bool, na_value=True)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        code = np.isin(num, num_codes) if num_codes.size else np.zeros(len(s), dtype=bool)
        if str_codes:
            code |= text.isin(str_codes).to_numpy(dtype=bool, na_value=False)
    missing = blank | code
    invalid = ~missing & ~np.isfinite(num)
    return np.where(missing | invalid, np.nan, num), invalid


def _column_values(data: SurveyData, name: str, role: str) -> tuple[str, Any, np.ndarray, np.ndarray]:
    """``(kind, column, values, invalid)`` of a named column: a construct item's answers after reverse
    coding (never invalid: :func:`~csi_survey.ingest.prepare` checked them), else the raw column
    parsed with the spec's missing codes."""
    kind, col = resolve_column(data, name, role)
    if kind == "item":
        values = item_answers(data, col, favourable=True)
        return kind, col, values, np.zeros(len(values), dtype=bool)
    values, invalid = _parse_numbers(data.other[col], data.questionnaire.missing_codes)
    return kind, col, values, invalid


def _segment_counts(data: SurveyData, segments: str | Sequence[str], counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sums of per-respondent values for the total and for each value of each segment column:
    0/1 indicators (boolean arrays, summed as int64) or weights (float arrays, summed as float)."""
    if isinstance(segments, str):
        segments = [segments]
    integer = {k for k, v in counts.items() if np.asarray(v).dtype.kind in "biu"}
    base = pd.DataFrame({k: np.asarray(v, dtype=np.int64 if k in integer else np.float64) for k, v in counts.items()})
    total = base.sum().to_frame().T
    total.insert(0, "segment", TOTAL_SEGMENT)
    total.insert(0, "segment_column", "")
    parts = [total]
    for column in segments:
        labels = segment_values(data, column)
        sums = base.groupby(labels.to_numpy(), sort=False).sum()
        sums = sums.loc[segment_order(list(sums.index))]
        sums = sums.rename_axis("segment").reset_index()
        sums.insert(0, "segment_column", labels.name)
        parts.append(sums)
    out = pd.concat(parts, ignore_index=True)
    for k in counts:
        out[k] = out[k].astype(np.int64 if k in integer else np.float64)
    out["segment_column"] = out["segment_column"].astype(str)
    out["segment"] = out["segment"].astype(str)
    return out


def _stats() -> Any:
    """scipy.stats, imported when a table with an interval needs it (not on every import of the drivers)."""
    from scipy import stats  # lazy: scipy.stats loads only for a table with an interval

    return stats


def _z(level: float) -> float:
    return float(_stats().norm.ppf(0.5 + level / 2))


# ====================================================================== IPMA
def classify_quadrants(importance: Any, performance: Any, importance_cut: float, performance_cut: float,
                       names: tuple[str, str, str, str]) -> np.ndarray:
    """The quadrant of each point against two cuts (a value equal to its cut counts as high), named by
    ``names`` = (high importance & high performance, high & low, low & high, low & low); "" where a
    value or a cut is not finite. Used by the IPMA (cut at the medians) and the 四分图 (at the means)."""
    imp = np.asarray(importance, dtype=np.float64)
    perf = np.asarray(performance, dtype=np.float64)
    high_i = imp >= importance_cut
    high_p = perf >= performance_cut
    out = np.where(high_i, np.where(high_p, names[0], names[1]), np.where(high_p, names[2], names[3]))
    ok = np.isfinite(imp) & np.isfinite(perf) & np.isfinite(importance_cut) & np.isfinite(performance_cut)
    return np.where(ok, out, "").astype(object)


def _quadrant(importance: np.ndarray, performance: np.ndarray, importance_median: float, performance_median: float) -> np.ndarray:
    """IPMA quadrant names (:data:`QUADRANTS`) of points against the two medians; "" where a value is NaN."""
    return classify_quadrants(importance, performance, importance_median, performance_median,
                              ("keep up", "fix first", "possible overkill", "low priority"))


def _item_performance(fit: ModelResults, data: Any) -> pd.Series:
    """Item means on 0–100 (after reverse coding, over the respondents of the fit)."""
    model = fit.model
    frame = data if isinstance(data, pd.DataFrame) else getattr(data, "items", None)  # (DataFrame.items is a method)
    if not isinstance(frame, pd.DataFrame):
        raise SettingsError(
            f"ipma() needs data as a SurveyData (csi_survey.read_responses) or a DataFrame of the items; got {type(data).__name__}"
        )
    missing = [i for i in model.item_ids if i not in frame.columns]
    if missing:
        raise SettingsError(
            f"the data have no column for item(s) {', '.join(missing)} of the fitted model",
            hint="pass the SurveyData the model was fitted on: ipma(fit, data).",
        )
    if len(frame) != fit.n:
        raise SettingsError(
            f"the data have {len(frame)} respondents but the model was fitted on {fit.n}",
            hint="pass the SurveyData the model was fitted on: ipma(fit, data).",
        )
    weight = getattr(fit, "weight", None)
    if weight is None:
        means = frame[model.item_ids].mean(axis=0).to_numpy(dtype=np.float64)
    else:
        means = weighted_mean(frame[model.item_ids].to_numpy(dtype=np.float64), weight)
    lo = np.array([s.min if s else np.nan for s in map(model.item_scale, model.item_ids)])
    width = np.array([s.width if s else np.nan for s in map(model.item_scale, model.item_ids)])
    return pd.Series((means - lo) / width * 100.0, index=model.item_ids)


def ipma(
    fit: ModelResults,
    data: SurveyData | pd.DataFrame | None = None,
    targets: Sequence[str] | None = None,
    level: str | None = None,
) -> pd.DataFrame:
    """Importance–performance map analysis: where raising performance pays off most.

    Columns ``target, level, driver, item, label, importance, performance, quadrant``:

    * ``level == "construct"`` — one row per driver with a directed route to the target.
      **importance** = the driver's unstandardized total effect on the target in 0–100 units,
      t₁₀₀ = t · sd(score₁₀₀,target)/sd(score₁₀₀,driver) (:func:`total_effects_100`: target
      points gained per point of the driver); **performance** = the driver's 0–100 index
      (``fit.index``). ``item`` is "" and ``label`` the construct's label.
    * ``level == "item"`` — one row per item of those drivers. **importance** = ŵᵢ · t₁₀₀ with
      ŵᵢ the item's normalized unstandardized outer weight (``index_weight`` in ``fit.weights``;
      they sum to 1 per construct, so the item importances add up to the construct's);
      **performance** = (mean(xᵢ) − minᵢ)/(maxᵢ − minᵢ) · 100, the item's mean on 0–100 after
      reverse coding, over the respondents of the fit (``data.items``; the item-mean replacement
      leaves the mean unchanged), so that Σᵢ ŵᵢ · performanceᵢ = the construct's index; for a
      weighted fit the weighted mean with ``fit.weight``.
      ``label`` is the item id (the wordings are in the spec).
    * **quadrant** against the medians of importance and performance over the rows of the same
      ``target`` and ``level`` (Martilla & James 1977): "fix first" (importance ≥ median,
      performance < median), "keep up" (≥, ≥), "possible overkill" (<, ≥), "low priority" (<, <);
      "" when a value is NaN (a construct without a 0–100 index).

    Importance is the *total effect*, performance the *index* — not the other way round (the
    documentation of cSEM's ``doIPMA()`` swaps the two words; its results do not).

    ``level`` chooses the rows: ``"both"``, ``"construct"`` or ``"item"``; by default both when
    ``data`` is given and the construct level only without data (the fit does not keep the item
    means). Asking for item rows without data raises :class:`~csi_survey.exceptions.SettingsError`.
    ``targets`` default to the spec's :attr:`~csi_survey.schema.Questionnaire.driver_targets`.
    Rows: per target, constructs by importance (largest first), then their items in that
    construct order and spec order within a construct.

    Reference: Ringle & Sarstedt (2016), "Gain more insight from your PLS-SEM results: The
    importance-performance map analysis", Industrial Management & Data Systems 116(9), 1865–1886;
    Martilla & James (1977), "Importance-performance analysis", Journal of Marketing 41(1), 77–79.
    Equivalents: SmartPLS "Importance-Performance Map Analysis (IPMA)" (with the items' declared
    min/max as the rescaling bounds), R cSEM ``doIPMA()``, seminrExtras ``assess_cipma()``.
    """
    targets = _check_targets(fit, targets)
    if level is None:
        level = "construct" if data is None else "both"
    check_choice("level", level, ["both", "construct", "item"])
    if level != "construct" and data is None:
        raise SettingsError(
            "item-level IPMA needs the data: an item's performance is its mean on 0–100, which the fit does not keep",
            hint="pass the SurveyData the model was fitted on, ipma(fit, data), or ask for level='construct'.",
        )
    model = fit.model
    te = total_effects_100(fit)
    te = te[te["target"].isin(targets)]
    index = fit.index.set_index("construct")["index"]
    weights = fit.weights.set_index("item")
    item_perf = _item_performance(fit, data) if level != "construct" else None

    columns = ["target", "level", "driver", "item", "label", "importance", "performance", "quadrant"]
    parts: list[pd.DataFrame] = []
    for target in targets:
        rows = te[te["target"] == target].sort_values("total_effect_100", ascending=False, kind="stable")
        drivers = rows["source"].tolist()
        t100 = rows["total_effect_100"].to_numpy(dtype=np.float64)
        if level in ("both", "construct"):
            parts.append(_with_quadrants(pd.DataFrame({
                "target": target,
                "level": "construct",
                "driver": drivers,
                "item": "",
                "label": [model.label(d) for d in drivers],
                "importance": t100,
                "performance": index.reindex(drivers).to_numpy(dtype=np.float64),
            }), columns))
        if level in ("both", "item"):
            items = [i for d in drivers for i in model.constructs[d].item_ids]
            effect = np.repeat(t100, [len(model.constructs[d].item_ids) for d in drivers])
            parts.append(_with_quadrants(pd.DataFrame({
                "target": target,
                "level": "item",
                "driver": [model.construct_of[i] for i in items],
                "item": items,
                "label": items,
                "importance": weights["index_weight"].reindex(items).to_numpy(dtype=np.float64) * effect,
                "performance": item_perf.reindex(items).to_numpy(dtype=np.float64),
            }), columns))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=np.float64 if c in ("importance", "performance") else str) for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def _with_quadrants(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    imp = frame["importance"].to_numpy(dtype=np.float64)
    perf = frame["performance"].to_numpy(dtype=np.float64)
    med_i = float(np.nanmedian(imp)) if np.isfinite(imp).any() else np.nan
    med_p = float(np.nanmedian(perf)) if np.isfinite(perf).any() else np.nan
    frame = frame.assign(quadrant=_quadrant(imp, perf, med_i, med_p))
    return frame[columns]


def _check_targets(fit: ModelResults, targets: Sequence[str] | None) -> list[str]:
    if isinstance(targets, str):
        targets = [targets]
    targets = list(targets) if targets is not None else fit.model.driver_targets
    cids = fit.model.construct_ids
    unknown = [t for t in targets if t not in cids]
    if unknown:
        raise SettingsError(
            f"targets must be constructs of the model; unknown: {', '.join(map(repr, unknown))}",
            hint=f"choose among {', '.join(cids)}.",
        )
    return targets


# ====================================================================== gaps
def gaps(data: SurveyData, level: float = 0.95) -> pd.DataFrame:
    """Expectation–perception gaps of the spec's ``gaps`` pairs, with paired t-intervals.

    Columns ``label, expected, experienced, n, expected_mean, experienced_mean, gap, std_err,
    ci_lower, ci_upper``, one row per pair in spec order (an empty table when the spec declares
    none). Over the n respondents who answered both columns (missing codes and empty cells are
    missing; the item-mean replacement is not used):

        dₙ = experiencedₙ − expectedₙ,   gap = mean(d) = experienced_mean − expected_mean
        std_err = sd(d)/√n  (sd with n − 1),   interval = gap ± t₍₁₊level₎/₂,ₙ₋₁ · std_err

    A positive gap means the experience exceeded the expectation. Construct items are compared
    on their coding *after* reverse coding (min + max − x), so that higher is better on both
    sides; other columns of the export are read with ``pd.to_numeric(errors="coerce")`` and the
    spec's top-level ``missing_codes`` (text that is not a number counts as missing). ``label``
    is the pair's label, else ``"<experienced> vs <expected>"``. std_err and the interval are
    NaN for n < 2.

    With survey weights wₙ (``data.weight``) over the same n respondents, with W = Σw and
    n_eff = W²/Σw² (Kish):

        gap = Σ wₙ dₙ / W   (and the weighted means of both columns),
        std_err = √( Σ wₙ (dₙ − gap)² / W / (n_eff − 1) ),   t with n_eff − 1 degrees of freedom,

    which reduces to the unweighted formulas for equal weights; a column ``n_effective`` is added.

    Unknown columns raise :class:`~csi_survey.exceptions.InputFileError` naming the column and
    the closest names. Reference: Parasuraman, Zeithaml & Berry (1988), "SERVQUAL", Journal of
    Retailing 64(1), 12–40 (gap = perception − expectation). R equivalent:
    ``t.test(experienced, expected, paired = TRUE, conf.level = level)``; SPSS "Paired-Samples T
    Test"; no SmartPLS equivalent.
    """
    data = check_survey_data(data, "gaps")
    _check_level(level)
    weight = _weight(data)
    rows = []
    for k, spec in enumerate(data.questionnaire.gaps):
        _, _, expected, _ = _column_values(data, spec.expected, f"gaps[{k}] expected")
        _, _, experienced, _ = _column_values(data, spec.experienced, f"gaps[{k}] experienced")
        both = np.isfinite(expected) & np.isfinite(experienced)
        a, b = expected[both], experienced[both]
        n = int(both.sum())
        diff = b - a
        if weight is not None:
            rows.append(_weighted_gap(spec, a, b, weight[both], level))
            continue
        gap = float(diff.mean()) if n else np.nan
        se = float(diff.std(ddof=1) / np.sqrt(n)) if n >= 2 else np.nan
        t = float(_stats().t.ppf(0.5 + level / 2, n - 1)) if n >= 2 else np.nan
        rows.append({
            "label": spec.label or f"{spec.experienced} vs {spec.expected}",
            "expected": spec.expected,
            "experienced": spec.experienced,
            "n": n,
            "expected_mean": float(a.mean()) if n else np.nan,
            "experienced_mean": float(b.mean()) if n else np.nan,
            "gap": gap,
            "std_err": se,
            "ci_lower": gap - t * se,
            "ci_upper": gap + t * se,
        })
    columns = _GAP_COLUMNS + (["n_effective"] if weight is not None else [])
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"label": str, "expected": str, "experienced": str, "n": np.int64,
                       **{c: np.float64 for c in columns[4:]}})


def _weighted_gap(spec: Any, a: np.ndarray, b: np.ndarray, w: np.ndarray, level: float) -> dict[str, Any]:
    """One row of the gaps table with survey weights (see :func:`gaps`)."""
    n = int(a.size)
    diff = b - a
    total = float(w.sum()) if n else 0.0
    n_eff = effective_n(w) if n else np.nan
    gap = float(w @ diff / total) if n else np.nan
    if n >= 2 and n_eff > 1:
        se = float(np.sqrt((w @ (diff - gap) ** 2) / total / (n_eff - 1)))
        t = float(_stats().t.ppf(0.5 + level / 2, n_eff - 1))
    else:
        se = t = np.nan
    return {
        "label": spec.label or f"{spec.experienced} vs {spec.expected}",
        "expected": spec.expected,
        "experienced": spec.experienced,
        "n": n,
        "expected_mean": float(w @ a / total) if n else np.nan,
        "experienced_mean": float(w @ b / total) if n else np.nan,
        "gap": gap,
        "std_err": se,
        "ci_lower": gap - t * se,
        "ci_upper": gap + t * se,
        "n_effective": n_eff,
    }


# ====================================================================== frequencies
def _scale_points(scale: Any) -> np.ndarray:
    """Every answer of an integer-valued scale with at most 20 points; empty otherwise."""
    if scale is None or not (float(scale.min).is_integer() and float(scale.max).is_integer()):
        return np.empty(0)
    if scale.max - scale.min + 1 > 20:
        return np.empty(0)
    return np.arange(scale.min, scale.max + 1, dtype=np.float64)


def _value_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct finite values and their counts (bincount for integer answers, else a sort)."""
    if values.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    lo, hi = values.min(), values.max()
    if hi - lo <= 100_000 and np.array_equal(values, np.floor(values)):
        counts = np.bincount((values - lo).astype(np.int64))
        nz = np.flatnonzero(counts)
        return lo + nz.astype(np.float64), counts[nz].astype(np.int64)
    uniq, counts = np.unique(values, return_counts=True)
    return uniq, counts.astype(np.int64)


def frequencies(data: SurveyData) -> pd.DataFrame:
    """Answer frequencies of every construct item: ``item, construct, answer, count, share``.

    Answers *as given* (``data.answers``: before reverse coding and before the item-mean
    replacement; missing answers are not counted). When the item's declared scale is
    integer-valued with at most 20 points, every scale point gets a row, with count 0 when nobody
    chose it; any other answer given (e.g. 7.5) is listed as well. ``share`` = count /
    n_answered, a proportion (0–1; it sums to 1 per item), NaN when nobody answered.
    Rows: items in spec order, answers ascending.

    Vectorised per item (bincount), so 1,000,000 respondents × 20 items take about a second.
    R equivalent: ``table(x)`` / ``prop.table(table(factor(x, levels = min:max)))``; SPSS
    FREQUENCIES.

    With survey weights (``data.weight``): ``count`` is the sum of the weights of the respondents
    who gave the answer (a float; weights have mean 1, so counts stay on the scale of the sample),
    ``share`` the weighted share (count / the weights of the respondents who answered), and a
    column ``n`` (int) holds the unweighted number of respondents who gave the answer.
    R equivalent: ``survey::svytable(~x, design)``.
    """
    data = check_survey_data(data, "frequencies")
    q = data.questionnaire
    weight = _weight(data)
    if weight is not None:
        return _weighted_frequencies(data, weight)
    parts = []
    for item in q.item_ids:
        col = item_answers(data, item, favourable=False)  # one column at a time: no copy of all the answers
        values, counts = _value_counts(col[np.isfinite(col)])
        n_answered = int(counts.sum())
        points = np.union1d(values, _scale_points(q.item_scale(item)))
        full = np.zeros(points.size, dtype=np.int64)
        full[np.searchsorted(points, values)] = counts
        parts.append(pd.DataFrame({
            "item": item,
            "construct": q.construct_of[item],
            "answer": points,
            "count": full,
            "share": full / n_answered if n_answered else np.full(points.size, np.nan),
        }))
    if not parts:
        return pd.DataFrame({"item": pd.Series(dtype=str), "construct": pd.Series(dtype=str),
                             "answer": pd.Series(dtype=np.float64), "count": pd.Series(dtype=np.int64),
                             "share": pd.Series(dtype=np.float64)})
    return pd.concat(parts, ignore_index=True)


def _weighted_frequencies(data: SurveyData, weight: np.ndarray) -> pd.DataFrame:
    q = data.questionnaire
    parts = []
    for item in q.item_ids:
        col = item_answers(data, item, favourable=False)
        ok = np.isfinite(col)
        values, counts = _value_counts(col[ok])
        sums = _weighted_sums(col[ok], weight[ok], values)
        total = float(weight[ok].sum())
        points = np.union1d(values, _scale_points(q.item_scale(item)))
        at = np.searchsorted(points, values)
        full = np.zeros(points.size, dtype=np.int64)
        full[at] = counts
        wfull = np.zeros(points.size, dtype=np.float64)
        wfull[at] = sums
        parts.append(pd.DataFrame({
            "item": item,
            "construct": q.construct_of[item],
            "answer": points,
            "count": wfull,
            "share": wfull / total if counts.sum() else np.full(points.size, np.nan),
            "n": full,
        }))
    if not parts:
        return pd.DataFrame({"item": pd.Series(dtype=str), "construct": pd.Series(dtype=str),
                             "answer": pd.Series(dtype=np.float64), "count": pd.Series(dtype=np.float64),
                             "share": pd.Series(dtype=np.float64), "n": pd.Series(dtype=np.int64)})
    return pd.concat(parts, ignore_index=True)


def _weighted_sums(values: np.ndarray, weight: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Sum of the weights per distinct value (``distinct``: the sorted distinct values)."""
    if values.size == 0:
        return np.empty(0)
    return np.bincount(np.searchsorted(distinct, values), weights=weight, minlength=distinct.size)


def item_summary(data: SurveyData) -> pd.DataFrame:
    """One row per construct item: ``item, construct, n_answered, n_missing, mean, top_box_share, reverse``.

    * ``n_answered`` / ``n_missing``: answers given / missing (empty or a missing code) among the
      used respondents, before the item-mean replacement (``n_answered + n_missing`` = n used).
    * ``mean``: the mean of the answers *as given* (reverse items on their original coding).
    * ``top_box_share``: the percentage (0–100) of answers in the top ``top_box`` values of the
      item's scale in the favourable direction: x ≥ max − top_box + 1, and for a reverse-coded item
      the *lowest* values as given, x ≤ min + top_box − 1 (the same answers after reverse coding).
      NaN for items without a declared scale or without answers.
    * ``reverse``: the item's ``reverse`` flag.

    R equivalent: ``mean(x, na.rm = TRUE)``, ``100 * mean(x >= max - top_box + 1, na.rm = TRUE)``;
    SPSS DESCRIPTIVES.

    With survey weights (``data.weight``) ``mean`` and ``top_box_share`` are weighted over the
    respondents who answered (Σ wₙ xₙ / Σ wₙ); ``n_answered`` and ``n_missing`` stay counts.
    """
    data = check_survey_data(data, "item_summary")
    q = data.questionnaire
    n, p = data.n_used, len(q.item_ids)
    weight = _weight(data)
    # One item at a time (a column of answers as given and its 0-filled copy), so that at most one
    # n × p array exists besides the prepared items (the weighted means keep their matrix products).
    # Each column sum is numpy's pairwise sum of one contiguous column, as the sum over axis 0 of the
    # column-major answer matrix was: the means do not change in the last digit.
    answered = np.empty((n, p), dtype=bool, order="F")
    filled = np.empty((n, p), dtype=np.float64, order="F") if weight is not None else None
    sums = np.zeros(p)
    hits_sum = np.full(p, np.nan)  # answers in the top box: a count, or the sum of their weights
    for j, item in enumerate(q.item_ids):
        col = item_answers(data, item, favourable=False)
        ok = answered[:, j]
        np.isfinite(col, out=ok)
        if filled is None:
            sums[j] = np.where(ok, col, 0.0).sum()
        else:
            np.copyto(filled[:, j], np.where(ok, col, 0.0))
        scale = q.item_scale(item)
        if scale is None:
            continue
        hits = col <= scale.min + q.top_box - 1 if q.items[item].reverse else col >= scale.max - q.top_box + 1
        hits_sum[j] = np.count_nonzero(hits) if weight is None else float(weight[hits].sum())
    n_answered = answered.sum(axis=0)
    # the denominators: respondents (unweighted) or the weights of the respondents who answered
    base = n_answered if weight is None else weight @ answered
    with np.errstate(invalid="ignore", divide="ignore"):
        if weight is None:
            mean = sums / n_answered
        else:
            mean = (weight @ filled) / base
    top = np.full(p, np.nan)
    for j in range(p):
        if np.isfinite(hits_sum[j]) and n_answered[j] != 0:
            top[j] = 100.0 * hits_sum[j] / (n_answered[j] if weight is None else base[j])
    return pd.DataFrame({
        "item": pd.Series(q.item_ids, dtype=str),
        "construct": pd.Series([q.construct_of[i] for i in q.item_ids], dtype=str),
        "n_answered": n_answered.astype(np.int64),
        "n_missing": (n - n_answered).astype(np.int64),
        "mean": mean,
        "top_box_share": top,
        "reverse": np.array([q.items[i].reverse for i in q.item_ids], dtype=bool),
    })


# ====================================================================== NPS and CSAT
def nps(data: SurveyData, segments: str | Sequence[str] = (), level: float = 0.95) -> pd.DataFrame:
    """Net Promoter Score of the spec's ``nps_item`` (a 0–10 likelihood-to-recommend column).

    Columns ``segment_column, segment, n, promoters, passives, detractors, nps, std_err,
    ci_lower, ci_upper, n_invalid``: a total row (segment_column "", segment "(total)"), then
    one row per value of each ``segments`` column (see :func:`segment_values`; numeric values in
    numeric order, "(missing)" last).

    Over the n valid answers: promoters answer 9–10, passives 7–8, detractors 0–6 (shares in %),
    with p, d the promoter and detractor proportions

        nps = 100 (p − d)                          (points, −100 … 100)
        std_err = 100 √((p + d − (p − d)²)/n)      (the multinomial variance of p − d)
        interval = nps ± z₍₁₊level₎/₂ · std_err, clipped to [−100, 100]

    The column is a construct item (its answers, after reverse coding when it is declared
    ``reverse``) or a column of the export, read with ``pd.to_numeric(errors="coerce")``; empty
    cells and the spec's ``missing_codes`` are missing.
    **n_invalid** (after the contract columns) counts the answers that are not counted because
    they are not a whole number from 0 to 10 (text, 11, 7.5, …). Rows with n = 0 have NaN shares.

    With survey weights (``data.weight``) p and d are weighted shares (Σ w over promoters / Σ w
    over valid answers) and n in the standard error is the effective sample size of the valid
    answers, n_eff = (Σw)²/Σw² (Kish); ``n`` stays the number of valid answers and a column
    ``n_effective`` is added after ``n_invalid``.

    Raises :class:`~csi_survey.exceptions.SettingsError` without ``nps_item`` in the spec.
    Reference: Reichheld (2003), "The one number you need to grow", Harvard Business Review
    81(12), 46–54. R equivalent: ``NPS::nps()`` and ``NPS::nps.se()`` (×100); no SmartPLS
    equivalent.
    """
    data = check_survey_data(data, "nps")
    _check_level(level)
    q = data.questionnaire
    if q.nps_item is None:
        raise SettingsError(
            "nps() needs the likelihood-to-recommend question, but the questionnaire declares no nps_item",
            hint="add `nps_item: <column>` to the spec (e.g. nps_item: nps_recommend, a 0–10 column of the export).",
        )
    _, _, values, invalid = _column_values(data, q.nps_item, "nps_item")
    finite = np.isfinite(values)
    valid = finite & (values >= 0) & (values <= 10) & (values == np.floor(np.where(finite, values, 0)))
    invalid = invalid | (finite & ~valid)
    promoter = valid & (values >= 9)
    detractor = valid & (values <= 6)
    passive = valid & ~promoter & ~detractor
    weight = _weight(data)
    if weight is None:
        sums = _segment_counts(data, segments, {
            "n": valid, "_p": promoter, "_pa": passive, "_d": detractor, "n_invalid": invalid,
        })
        n = base = sums["n"].to_numpy(dtype=np.float64)
    else:
        sums = _segment_counts(data, segments, {
            "n": valid, "_p": weight * promoter, "_pa": weight * passive, "_d": weight * detractor,
            "n_invalid": invalid, "_w": weight * valid, "_w2": weight**2 * valid,
        })
        base = sums["_w"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            n = base**2 / sums["_w2"].to_numpy()  # effective sample size
    with np.errstate(invalid="ignore", divide="ignore"):
        p = sums["_p"].to_numpy() / base
        pa = sums["_pa"].to_numpy() / base
        d = sums["_d"].to_numpy() / base
        score = 100.0 * (p - d)
        se = 100.0 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0.0) / n)
    z = _z(level)
    out = sums[["segment_column", "segment", "n"]].assign(
        promoters=100.0 * p,
        passives=100.0 * pa,
        detractors=100.0 * d,
        nps=score,
        std_err=se,
        ci_lower=np.clip(score - z * se, -100.0, 100.0),
        ci_upper=np.clip(score + z * se, -100.0, 100.0),
        n_invalid=sums["n_invalid"],
    )
    if weight is not None:
        return out[_NPS_COLUMNS].assign(n_effective=n)
    return out[_NPS_COLUMNS]


def csat(data: SurveyData, segments: str | Sequence[str] = (), level: float = 0.95) -> pd.DataFrame:
    """Customer satisfaction (CSAT): the top-box share of the spec's ``csat_item``, in percent.

    Columns ``segment_column, segment, n, top_box_share, std_err, ci_lower, ci_upper,
    n_invalid``: a total row (segment_column "", segment "(total)"), then one row per value of
    each ``segments`` column (see :func:`segment_values`).

    Over the n valid answers, with s the proportion in the top ``top_box`` values of the scale
    (x ≥ max − top_box + 1; for a reverse-coded item after reverse coding, i.e. the lowest
    values as given):

        top_box_share = 100 s,   std_err = 100 √(s (1 − s)/n),
        interval = top_box_share ± z₍₁₊level₎/₂ · std_err, clipped to [0, 100]   (Wald)

    The scale is the item's declared scale when ``csat_item`` is a construct item (its answers,
    checked by :func:`~csi_survey.ingest.prepare`, before the item-mean replacement); a column of
    the export outside the constructs uses the spec's top-level ``scale`` and is read with
    ``pd.to_numeric(errors="coerce")`` and the spec's ``missing_codes``. **n_invalid** (after
    the contract columns) counts answers not counted: not a number or outside the scale.

    With survey weights (``data.weight``) s is the weighted share and n in the standard error the
    effective sample size of the valid answers, n_eff = (Σw)²/Σw² (Kish); ``n`` stays the number
    of valid answers and a column ``n_effective`` is added after ``n_invalid``.

    Raises :class:`~csi_survey.exceptions.SettingsError` without ``csat_item`` or without a
    scale for it. R equivalent: ``mean(x >= max - top_box + 1)`` with
    ``binom::binom.confint(method = "asymptotic")``; no SmartPLS equivalent.
    """
    data = check_survey_data(data, "csat")
    _check_level(level)
    q = data.questionnaire
    if q.csat_item is None:
        raise SettingsError(
            "csat() needs the satisfaction question, but the questionnaire declares no csat_item",
            hint="add `csat_item: <column>` to the spec (an item or a column of the export; top_box: sets how many "
            "top answers count as satisfied, default 2).",
        )
    kind, col = resolve_column(data, q.csat_item, "csat_item")
    scale = q.item_scale(col) if kind == "item" else q.scale
    if scale is None:
        where = f"item {col!r} has no declared scale" if kind == "item" else (
            f"csat_item {str(col)!r} is not an item of a construct, so its scale is the spec's top-level scale, "
            "which is not declared"
        )
        raise SettingsError(
            f"csat() cannot tell the top box: {where}",
            hint="declare the scale in the spec, e.g. `scale: {min: 1, max: 5}` "
            + ("on the item or its construct." if kind == "item" else "at the top level."),
        )
    _, _, values, invalid = _column_values(data, q.csat_item, "csat_item")
    finite = np.isfinite(values)
    valid = finite & (values >= scale.min) & (values <= scale.max)
    invalid = invalid | (finite & ~valid)
    top = valid & (values >= scale.max - q.top_box + 1)
    weight = _weight(data)
    if weight is None:
        sums = _segment_counts(data, segments, {"n": valid, "_top": top, "n_invalid": invalid})
        n = base = sums["n"].to_numpy(dtype=np.float64)
    else:
        sums = _segment_counts(data, segments, {
            "n": valid, "_top": weight * top, "n_invalid": invalid, "_w": weight * valid, "_w2": weight**2 * valid,
        })
        base = sums["_w"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            n = base**2 / sums["_w2"].to_numpy()  # effective sample size
    with np.errstate(invalid="ignore", divide="ignore"):
        s = sums["_top"].to_numpy() / base
        se = 100.0 * np.sqrt(s * (1.0 - s) / n)
    share = 100.0 * s
    z = _z(level)
    out = sums[["segment_column", "segment", "n"]].assign(
        top_box_share=share,
        std_err=se,
        ci_lower=np.clip(share - z * se, 0.0, 100.0),
        ci_upper=np.clip(share + z * se, 0.0, 100.0),
        n_invalid=sums["n_invalid"],
    )
    if weight is not None:
        return out[_CSAT_COLUMNS].assign(n_effective=n)
    return out[_CSAT_COLUMNS]
