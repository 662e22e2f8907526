"""Segment and wave analysis: the model estimated per segment, tested between segments, tracked over waves.

Segments
    :func:`segment_analysis` estimates the model once on all respondents (the ``(total)`` row) and
    once per segment of each segment column (region, channel, …): 0–100 indices, path coefficients
    and ACSI impacts per segment, optionally with bootstrap intervals. A segment with fewer than
    ``min_n`` respondents is listed but not estimated (``status = "insufficient sample (n = 37 < 50)"``);
    a segment on which the model cannot be estimated (an item with one answer, collinear items, no
    convergence) is listed with ``status = "failed: <reason>"``; neither stops the analysis.

Differences between segments
    :func:`segment_differences` tests, for each pair of segments (a, b), every 0–100 index and path
    coefficient with the PLS multigroup **permutation test** (Chin & Dibbern 2010; the test of
    SmartPLS's "permutation" MGA). With ``d = θ̂_b − θ̂_a`` the observed difference, the segment labels
    are permuted among the ``n_a + n_b`` respondents of the pair (group sizes kept), both groups are
    re-estimated and the difference ``d*`` recorded, ``P`` times; the two-sided p value is

        p = (1 + #{ abs(d*) ≥ abs(d) }) / (1 + P)

    (the "+1" counts the observed labelling itself, so that p is never 0 — Phipson & Smyth 2010).
    Permutations on which either group cannot be estimated are left out of P. The p values of one
    statistic across the pairs are adjusted for multiplicity (Holm by default; ``p_adjusted``,
    ``significant``). The omnibus test across all segments is :mod:`csi_survey.omnibus`; whether the
    constructs measure the same thing in two segments (MICOM) is :mod:`csi_survey.invariance`.

    The permutations are estimated in batches without refitting the full estimator: every group
    is a 0/1 row of a weight matrix K (m × n) and the item correlation matrix of each row follows
    from K-weighted moments; the PLS iterations then run on the stacked matrices (the machinery of
    :mod:`csi_survey.engine.bootstrap`). Each batched estimate equals ``PLS(...).fit`` on that group.

Survey weights
    With weighted data (``SurveyData.weight``) every segment, wave and permutation group is
    estimated with the weights of its respondents (:func:`subset` keeps them); a permutation moves
    the segment labels, and each respondent's weight travels with the respondent. ``n`` in the
    tables stays the number of respondents.

Waves
    :func:`wave_analysis` estimates the model per survey wave (in natural order: "2026-Q2" before
    "2026-Q10", dates and numbers by value) with bootstrap intervals, and the change of every 0–100
    index against the previous estimated wave. Waves are independent samples, so the bootstrap
    draws of two waves are independent and ``θ*_w,b − θ*_v,b`` (draw b of each wave paired by
    position) is a draw from the bootstrap distribution of the change; the interval is its
    percentile interval.

Random streams are derived deterministically from ``seed`` and the segment (or pair, or wave)
label, so the numbers of one segment do not depend on which other columns or pairs are analysed.

References: Chin, W. W. & Dibbern, J. (2010), "An introduction to a permutation based procedure for
multi-group PLS analysis", in *Handbook of Partial Least Squares*, 171–193; Sarstedt, Henseler &
Ringle (2011), "Multigroup analysis in PLS path modeling", *Advances in International Marketing*
22; Phipson, B. & Smyth, G. K. (2010), "Permutation p-values should never be zero", *Statistical
Applications in Genetics and Molecular Biology* 9(1); Efron & Tibshirani (1993), ch. 13.
R equivalents: ``cSEM::testMGD(.approach_mgd = "Chin")``, ``semTools::permuteMeasEq`` (CB-SEM).
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .drivers import impacts as _impacts
from .ingest.columns import MISSING_SEGMENT, TOTAL_SEGMENT, ordered_labels, segment_labels
from .engine.bootstrap import bootstrap
from .engine.resample import ResampleState, estimate_batch, moment_state, statistic_labels
from .engine.pls import OK, PLS, item_matrix
from .exceptions import CsiSurveyWarning, EstimationError, SettingsError, TooFewSegmentsError, check_count, check_level, check_seed
from .ingest.prepare import SurveyData
from .multiplicity import CORRECTIONS, adjust_p_values

__all__ = [
    "subset",
    "take_rows",
    "segment_analysis",
    "segment_differences",
    "comparable_segments",
    "derived_seed",
    "SegmentFit",
    "wave_analysis",
    "SegmentResults",
    "WaveResults",
    "TOTAL",
    "MISSING",
    "SEGMENT_INDEX_COLUMNS",
    "SEGMENT_PATHS_COLUMNS",
    "SEGMENT_IMPACTS_COLUMNS",
    "SEGMENT_DIFFERENCES_COLUMNS",
    "WAVE_INDEX_COLUMNS",
    "WAVE_CHANGES_COLUMNS",
]

#: Label of the all-respondents row of the segment tables (its ``segment_column`` is "").
TOTAL = TOTAL_SEGMENT
#: Label of the respondents whose segment cell is empty.
MISSING = MISSING_SEGMENT
ESTIMATED = "estimated"

SEGMENT_INDEX_COLUMNS = ["segment_column", "segment", "construct", "label", "index", "ci_lower", "ci_upper", "n", "status"]
SEGMENT_PATHS_COLUMNS = ["segment_column", "segment", "source", "target", "estimate", "ci_lower", "ci_upper", "status"]
SEGMENT_IMPACTS_COLUMNS = ["segment_column", "segment", "target", "driver", "impact", "status"]
SEGMENT_DIFFERENCES_COLUMNS = [
    "segment_column", "segment_a", "segment_b", "statistic", "source", "target",
    "value_a", "value_b", "difference", "p_value", "method", "p_adjusted", "significant", "correction",
]
#: The columns a pair's permutation test fills; the last three of the table come from the correction.
_TESTED_COLUMNS = SEGMENT_DIFFERENCES_COLUMNS[:-3]
WAVE_INDEX_COLUMNS = ["wave", "construct", "label", "index", "ci_lower", "ci_upper", "n", "status"]
WAVE_CHANGES_COLUMNS = ["wave", "previous_wave", "construct", "label", "change", "ci_lower", "ci_upper", "std_err",
                        "p_value", "p_adjusted", "significant"]

#: Permutations estimated per batch. Fixed, so results never depend on how the work is split.
PERMUTATION_CHUNK = 100

Progress = Callable[[int, int], None] | None


# ====================================================================== results
@dataclass(frozen=True)
class SegmentResults:
    """Per-segment estimates (:func:`segment_analysis`).

    ``index``, ``paths``, ``impacts`` are the tables ``segment_index``, ``segment_paths`` and
    ``segment_impacts`` (total row ``segment_column = ""``, ``segment = "(total)"`` first, then each
    column's segments in natural order). ``fits`` maps ``(column, segment)`` (``("", "(total)")``
    for the total) to the fit of every estimated segment (bootstrapped when ``resamples > 0``).
    ``seed`` is the seed the bootstrap streams were derived from (None without bootstrap).
    """

    index: pd.DataFrame
    paths: pd.DataFrame
    impacts: pd.DataFrame
    fits: dict[tuple[str, str], Any]
    seed: int | None = None

    def __repr__(self) -> str:
        n_seg = self.index[["segment_column", "segment"]].drop_duplicates().shape[0]
        return f"<SegmentResults: {n_seg} rows (total + segments), {len(self.fits)} estimated>"


@dataclass(frozen=True)
class WaveResults:
    """Per-wave estimates and changes (:func:`wave_analysis`).

    ``index`` is the ``wave_index`` table, ``changes`` the ``wave_changes`` table, ``fits`` maps each
    estimated wave to its (bootstrapped) fit, ``order`` lists every wave in the order used and
    ``seed`` is the seed the bootstrap streams were derived from (None without bootstrap).
    """

    index: pd.DataFrame
    changes: pd.DataFrame
    fits: dict[str, Any]
    order: tuple[str, ...]
    seed: int | None = None

    def __repr__(self) -> str:
        return f"<WaveResults: {len(self.order)} waves ({', '.join(self.order)}), {len(self.fits)} estimated>"


# ====================================================================== subset
def subset(data: SurveyData, mask: Any) -> SurveyData:
    """The same survey data restricted to the respondents where ``mask`` is True.

    ``mask`` is a boolean array-like with one entry per used respondent (``data.n_used``). The
    per-respondent parts (``items``, ``other``, ``respondent_id``, ``row``, ``imputed``, ``weight``)
    are restricted and renumbered from 0; ``excluded``, ``missing``, ``n_read`` and the source
    describe how the whole file was read and are kept as they are (so ``n_used + n_excluded ==
    n_read`` holds for the full data only). Survey weights keep their values (they are not
    rescaled to mean 1 within the subset, so weighted counts of the subset stay on the scale of
    the full sample; estimates do not depend on the scale of the weights).
    """
    if not isinstance(data, SurveyData):
        raise SettingsError(
            f"data must be a SurveyData (from csi_survey.read_responses); got {type(data).__name__}"
        )
    return take_rows(data, np.flatnonzero(_mask(mask, data.n_used)))


def take_rows(data: SurveyData, pos: Any) -> SurveyData:
    """``data`` restricted to the used respondents at positions ``pos`` (in that order): items, ids,
    rows, other columns, imputation flags and weights taken together; the rest (spec, exclusions,
    missing-value counts) kept."""
    pos = np.asarray(pos, dtype=np.intp)
    return dataclasses.replace(
        data,
        items=data.items.iloc[pos].reset_index(drop=True),
        respondent_id=data.respondent_id.iloc[pos].reset_index(drop=True),
        row=np.asarray(data.row)[pos],
        other=data.other.iloc[pos].reset_index(drop=True),
        imputed=None if data.imputed is None else np.asarray(data.imputed)[pos],
        weight=None if data.weight is None else np.asarray(data.weight)[pos],
    )


def _mask(mask: Any, n: int) -> np.ndarray:
    values = mask.to_numpy() if isinstance(mask, (pd.Series, pd.Index)) else np.asarray(mask)
    if values.ndim != 1 or values.shape[0] != n:
        raise SettingsError(f"mask must have one entry per used respondent ({n}); got shape {values.shape}")
    if values.dtype != bool:
        raise SettingsError(f"mask must be boolean (True = keep the respondent); got dtype {values.dtype}")
    return values


def _check_data(data: Any) -> None:
    if not isinstance(data, SurveyData):
        raise SettingsError(
            f"data must be a SurveyData (from csi_survey.read_responses): segments come from its columns; "
            f"got {type(data).__name__}"
        )


# ====================================================================== settings and seeds
def check_engine(engine: Any) -> None:
    """A :class:`~csi_survey.SettingsError` unless ``engine`` is a PLS engine (the segment and wave
    analyses re-estimate with its settings)."""
    if not isinstance(engine, PLS):
        raise SettingsError(f"engine must be a csi_survey.PLS engine; got {type(engine).__name__}")




def _check_resamples(resamples: Any) -> int:
    if isinstance(resamples, (bool, np.bool_)) or not isinstance(resamples, (int, np.integer)) or resamples == 1 or resamples < 0:
        raise SettingsError(f"resamples must be 0 (no bootstrap) or an integer of at least 2; got {resamples!r}")
    return int(resamples)






def _derived_seed(seed: int, *key: str) -> int:
    """A seed for one segment/pair/wave: SeedSequence of ``seed`` and a hash of the key (stable across runs)."""
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    state = np.random.SeedSequence([seed, *words]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 32 | int(state[1])) % (2**63))


def _insufficient(n: int, min_n: int) -> str:
    return f"insufficient sample (n = {n} < {min_n})"


# ====================================================================== one group
@dataclass
class _Group:
    label: str
    mask: np.ndarray
    n: int
    status: str
    fit: Any = None


def _estimate_group(engine: PLS, data: SurveyData, label: str, mask: np.ndarray, min_n: int,
                    resamples: int = 0, seed: int | None = None, level: float = 0.95) -> _Group:
    """Fit (and bootstrap) one group; estimation problems become a status, never an exception."""
    n = int(mask.sum())
    if n < min_n:
        return _Group(label, mask, n, _insufficient(n, min_n))
    sub = data if n == data.n_used else subset(data, mask)
    try:
        fit = engine.fit(sub)
    except EstimationError as error:  # ConvergenceError, SingularMatrixError, too few respondents
        return _Group(label, mask, n, f"failed: {error.message}")
    if resamples:
        try:
            fit = bootstrap(fit, sub, resamples=resamples, seed=seed, level=level)
        except EstimationError as error:
            return _Group(label, mask, n, f"failed: bootstrap: {error.message}")
    return _Group(label, mask, n, ESTIMATED, fit)


def _groups(engine: PLS, data: SurveyData, column: str, labels: np.ndarray, order: list[str], min_n: int,
            resamples: int = 0, seed: int | None = None, level: float = 0.95,
            tick: Callable[[], None] | None = None, seed_key: tuple[str, ...] = ()) -> list[_Group]:
    """Estimate each group ``labels == label`` for the labels of ``order``, in that order."""
    out = []
    for label in order:
        child = _derived_seed(seed, *seed_key, column, label) if (resamples and seed is not None) else None
        out.append(_estimate_group(engine, data, label, labels == label, min_n, resamples, child, level))
        if tick is not None:
            tick()
    return out


# ====================================================================== segment tables
def _ci(table: pd.DataFrame, column: str) -> np.ndarray:
    return table[column].to_numpy(dtype=float) if column in table.columns else np.full(len(table), np.nan)


def _index_rows(model: Any, group: _Group) -> pd.DataFrame:
    cids = model.construct_ids
    if group.fit is not None:
        idx = group.fit.index
        values, lo, hi = idx["index"].to_numpy(dtype=float), _ci(idx, "ci_lower"), _ci(idx, "ci_upper")
    else:
        values = lo = hi = np.full(len(cids), np.nan)
    return pd.DataFrame({
        "construct": cids, "label": [model.label(c) for c in cids], "index": values,
        "ci_lower": lo, "ci_upper": hi, "n": group.n, "status": group.status,
    })


def _path_rows(model: Any, group: _Group) -> pd.DataFrame:
    if group.fit is not None:
        p = group.fit.paths
        return pd.DataFrame({
            "source": p["source"].to_numpy(dtype=object), "target": p["target"].to_numpy(dtype=object),
            "estimate": p["estimate"].to_numpy(dtype=float), "ci_lower": _ci(p, "ci_lower"),
            "ci_upper": _ci(p, "ci_upper"), "status": group.status,
        })
    k = len(model.paths)
    return pd.DataFrame({
        "source": [p.source for p in model.paths], "target": [p.target for p in model.paths],
        "estimate": np.full(k, np.nan), "ci_lower": np.full(k, np.nan), "ci_upper": np.full(k, np.nan),
        "status": group.status,
    })


def _impact_skeleton(model: Any, total: Any) -> pd.DataFrame:
    """(target, driver) pairs of the impacts table: in the total's order, else the model's."""
    if total is not None:
        return _impacts(total)[["target", "driver"]]
    cids = model.construct_ids
    J = len(cids)
    reach = np.linalg.matrix_power(np.eye(J) + model.adjacency, J) > 0
    rows = [(t, cids[i]) for t in model.driver_targets for i in range(J)
            if i != cids.index(t) and reach[i, cids.index(t)]]
    return pd.DataFrame(rows, columns=["target", "driver"])


def _impact_rows(skeleton: pd.DataFrame, group: _Group) -> pd.DataFrame:
    out = skeleton.copy()
    if group.fit is not None:
        imp = _impacts(group.fit).set_index(["target", "driver"])["impact"]
        out["impact"] = imp.reindex(pd.MultiIndex.from_frame(skeleton)).to_numpy(dtype=float)
    else:
        out["impact"] = np.nan
    out["status"] = group.status
    return out


def _labelled(table: pd.DataFrame, column: str, segment: str) -> pd.DataFrame:
    table = table.copy()
    table.insert(0, "segment", segment)
    table.insert(0, "segment_column", column)
    return table


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return out[columns].reset_index(drop=True)


# ====================================================================== segment_analysis
def segment_analysis(
    engine: PLS,
    data: SurveyData,
    columns: Sequence[str] | str,
    *,
    min_n: int = 50,
    resamples: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    progress: Progress = None,
) -> SegmentResults:
    """Estimate the model for all respondents and for each segment of each column.

    Parameters
    ----------
    engine:
        The :class:`~csi_survey.PLS` engine (model and settings) used for every fit.
    data:
        The prepared :class:`~csi_survey.SurveyData`. Segment labels are those of
        :func:`csi_survey.ingest.columns.segment_values`: one per distinct value of a non-item column
        (``data.other``; or a construct item's answers as given), as text, ``"(missing)"`` for
        empty cells.
    columns:
        Segment columns (a single name is accepted too).
    min_n:
        Segments with fewer respondents are listed with status
        ``"insufficient sample (n = 37 < 50)"`` and not estimated (NaN values). Also applies to the total.
    resamples:
        Bootstrap resamples per estimated segment for the intervals (0: no intervals, NaN).
    seed:
        Seed of the bootstrap streams; each segment's stream is derived from ``seed`` and its
        (column, label), so a segment's intervals do not depend on the other segments analysed.
    level:
        Confidence level of the bootstrap percentile intervals.
    progress:
        Called as ``progress(done, total)`` after each segment (and the total) is estimated.

    Returns
    -------
    SegmentResults
        Tables ``index`` (segment_index), ``paths`` (segment_paths), ``impacts`` (segment_impacts)
        and the fits. A segment that cannot be estimated has status ``"failed: <reason>"``; so has a
        segment whose bootstrap fails (its values are then NaN as well).
    """
    check_engine(engine)
    _check_data(data)
    cols = [columns] if isinstance(columns, str) else list(dict.fromkeys(columns))
    min_n = check_count("min_n", min_n, 1)
    resamples = _check_resamples(resamples)
    level = check_level(level)
    seed = check_seed(seed) if resamples else None
    labels = {c: segment_labels(data, c) for c in cols}  # check every column before estimating anything
    orders = {c: ordered_labels(*labels[c]) for c in cols}
    total_work = 1 + sum(len(o) for o in orders.values())
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_work)

    model = engine.model
    everyone = np.ones(data.n_used, dtype=bool)
    total = _estimate_group(engine, data, TOTAL, everyone, min_n, resamples,
                            _derived_seed(seed, "", TOTAL) if resamples else None, level)
    tick()
    entries: list[tuple[str, _Group]] = [("", total)]
    for c in cols:
        entries += [(c, g) for g in _groups(engine, data, c, labels[c][0], orders[c], min_n, resamples, seed, level, tick)]

    skeleton = _impact_skeleton(model, total.fit)
    index = _concat([_labelled(_index_rows(model, g), c, g.label) for c, g in entries], SEGMENT_INDEX_COLUMNS)
    paths = _concat([_labelled(_path_rows(model, g), c, g.label) for c, g in entries], SEGMENT_PATHS_COLUMNS)
    imps = _concat([_labelled(_impact_rows(skeleton, g), c, g.label) for c, g in entries], SEGMENT_IMPACTS_COLUMNS)
    index["n"] = index["n"].astype(np.int64)
    fits = {(c, g.label): g.fit for c, g in entries if g.fit is not None}
    return SegmentResults(index=index, paths=paths, impacts=imps, fits=fits, seed=seed)


# ====================================================================== permutation machinery
def _group_state(engine: PLS, fit: Any, X: np.ndarray, weight: np.ndarray | None = None) -> ResampleState:
    """The batched-estimation state (as :func:`~csi_survey.engine.bootstrap.bootstrap` builds it) for the
    rows X and their survey weights (each group's moments are then weighted: weights travel with the
    respondents when the labels are permuted)."""
    _, _, layout = statistic_labels(fit)
    return moment_state(engine.model, X, engine.settings, layout, weight)


def _selection(fit: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The index and path rows of the bootstrap statistics vector: (statistic, source, target) and positions."""
    labels, _, _ = statistic_labels(fit)
    idx = np.flatnonzero(labels["statistic"].to_numpy() == "index")
    pth = np.flatnonzero(labels["statistic"].to_numpy() == "path")
    pos = np.concatenate([idx, pth])
    return labels.iloc[pos].reset_index(drop=True), pos


def _group_estimates(state: ResampleState, masks: np.ndarray, chunk: int = PERMUTATION_CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate group A (rows of ``masks``) and group B (their complements) for every row.

    Returns the statistics of A and B (m × k, the order of ``resample.statistic_labels``) and a mask of
    the rows where both groups were estimated.
    """
    m = masks.shape[0]
    va = vb = ok = None
    for start in range(0, m, chunk):
        A = masks[start:start + chunk].astype(float)
        values, status, _ = estimate_batch(state, np.vstack([A, 1.0 - A]))
        h = A.shape[0]
        if va is None:
            va, vb, ok = np.empty((m, values.shape[1])), np.empty((m, values.shape[1])), np.empty(m, dtype=bool)
        va[start:start + h], vb[start:start + h] = values[:h], values[h:]
        ok[start:start + h] = (status[:h] == OK) & (status[h:] == OK)
    if va is None:
        return np.empty((0, 0)), np.empty((0, 0)), np.empty(0, dtype=bool)
    return va, vb, ok


def _permutation_masks(rng: np.random.Generator, n: int, n_a: int, permutations: int) -> np.ndarray:
    """``permutations`` × n boolean rows, each with n_a True at random positions (group A)."""
    masks = np.zeros((permutations, n), dtype=bool)
    for r in range(permutations):
        masks[r, rng.permutation(n)[:n_a]] = True
    return masks


def _observed(fit: Any) -> pd.DataFrame:
    """The 0–100 indices and path coefficients of a fit: statistic, source, target, value."""
    idx = fit.index
    paths = fit.paths
    return pd.concat([
        pd.DataFrame({"statistic": "index", "source": idx["construct"].to_numpy(dtype=object), "target": "",
                      "value": idx["index"].to_numpy(dtype=float)}),
        pd.DataFrame({"statistic": "path", "source": paths["source"].to_numpy(dtype=object),
                      "target": paths["target"].to_numpy(dtype=object), "value": paths["estimate"].to_numpy(dtype=float)}),
    ], ignore_index=True)


def _pair_test(engine: PLS, data: SurveyData, column: str, a: _Group, b: _Group, permutations: int,
               seed: int, tick: Callable[[int], None]) -> tuple[pd.DataFrame, int]:
    """Observed differences (b − a) and permutation p values for one pair of estimated segments,
    and the number of permutations on which both groups could be estimated."""
    model = engine.model
    both = a.mask | b.mask
    X, _ = item_matrix(model, data.items)
    X = X[both]
    in_a = a.mask[both]
    obs_a, obs_b = _observed(a.fit), _observed(b.fit)
    out = obs_a.rename(columns={"value": "value_a"})
    out["value_b"] = obs_b["value"].to_numpy()
    out["difference"] = out["value_b"] - out["value_a"]

    stats, pos = _selection(a.fit)
    keys = ["statistic", "source", "target"]
    if not stats[keys].equals(out[keys]):  # both come from the fit's index and paths tables, in their order
        raise EstimationError("internal error: the batched statistics do not line up with the fit's tables")
    state = _group_state(engine, a.fit, X, None if data.weight is None else np.asarray(data.weight)[both])
    rng = np.random.default_rng(_derived_seed(seed, column, a.label, b.label))
    d_obs = np.abs(out["difference"].to_numpy())
    tol = 1e-12 * np.maximum(1.0, d_obs)  # observed-size ties count as "at least as extreme"
    extreme = np.zeros(len(out))
    used = 0
    for start in range(0, permutations, PERMUTATION_CHUNK):
        # drawn chunk by chunk from one stream: the same permutations as drawing them all at once
        masks = _permutation_masks(rng, X.shape[0], int(in_a.sum()), min(PERMUTATION_CHUNK, permutations - start))
        va, vb, ok = _group_estimates(state, masks)
        d = np.abs(vb[ok][:, pos] - va[ok][:, pos])
        extreme += (d >= d_obs - tol).sum(axis=0)
        used += int(ok.sum())
        tick(min(PERMUTATION_CHUNK, permutations - start))
    with np.errstate(invalid="ignore"):
        p = (1.0 + extreme) / (1.0 + used)
    p[~np.isfinite(d_obs)] = np.nan
    out["p_value"] = p if used else np.nan
    out.insert(0, "segment_b", b.label)
    out.insert(0, "segment_a", a.label)
    out.insert(0, "segment_column", column)
    out["method"] = "permutation"
    return out, used


# ====================================================================== segment_differences
def segment_differences(
    engine: PLS,
    data: SurveyData,
    column: str,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    permutations: int = 1000,
    seed: int | None = None,
    min_n: int = 50,
    correction: str = "holm",
    level: float = 0.95,
    progress: Progress = None,
) -> pd.DataFrame:
    """Differences between segments of ``column`` with permutation p values (PLS multigroup analysis).

    For each pair (a, b) of estimated segments (all pairs in segment order by default; ``pairs``
    restricts to the listed ``(a, b)`` labels) and each 0–100 index and path coefficient:
    ``difference = value_b − value_a`` and ``p_value = (1 + #{|d*| ≥ |d|}) / (1 + P)`` over P label
    permutations within the pair (Chin & Dibbern 2010; see the module docstring).

    Multiplicity: the pairs tested for one statistic (say the satisfaction index: six pairs for
    four regions) are one family; ``p_adjusted`` is ``p_value`` adjusted across that family with
    :func:`~csi_survey.multiplicity.adjust_p_values` and ``significant`` is ``p_adjusted < 1 − level``.
    The omnibus test across all segments of the column is :func:`csi_survey.omnibus.segment_omnibus`.

    Parameters
    ----------
    pairs:
        Pairs of segment labels to test; a pair whose segment is not estimated (too small or
        failed) is skipped with a :class:`~csi_survey.exceptions.CsiSurveyWarning`; an unknown label
        raises :class:`~csi_survey.exceptions.SettingsError`.
    permutations:
        Number of label permutations per pair (1000; at least 1). The smallest possible p value is
        ``1 / (1 + permutations)``.
    seed:
        Seed; each pair's permutations come from a stream derived from ``seed`` and the pair's labels,
        so a pair's p values do not depend on the other pairs tested. ``None`` draws a seed, recorded
        in ``table.attrs["seed"]``.
    min_n:
        Segments with fewer respondents are not estimated and not tested.
    correction:
        ``"holm"`` (default), ``"bh"`` (Benjamini–Hochberg) or ``"none"``: the adjustment of the
        p values of one statistic across the pairs.
    level:
        ``significant`` flags ``p_adjusted < 1 − level`` (0.95: at 5 %).
    progress:
        Called as ``progress(done, total)`` with permutations done over all pairs.

    Returns
    -------
    DataFrame
        The ``segment_differences`` table: ``segment_column, segment_a, segment_b, statistic
        ("index" | "path"), source, target ("" for an index), value_a, value_b, difference,
        p_value, method ("permutation"), p_adjusted, significant, correction``. ``table.attrs``
        records ``seed``, ``permutations``, ``correction``, ``level`` and ``permutations_used``
        ({(a, b): permutations on which both groups could be estimated — a permutation that puts,
        e.g., only one answer of an item in a group is left out}).

    Raises
    ------
    TooFewSegmentsError
        Without ``pairs``, when fewer than two segments of ``column`` can be estimated.
    """
    check_engine(engine)
    _check_data(data)
    permutations = check_count("permutations", permutations, 1)
    min_n = check_count("min_n", min_n, 1)
    correction = _check_correction(correction)
    level = check_level(level)
    seed = check_seed(seed)
    labels, raw = segment_labels(data, column)
    order = ordered_labels(labels, raw)
    if pairs is not None:
        wanted = [(str(p[0]), str(p[1])) for p in pairs]
        unknown = sorted({s for pr in wanted for s in pr} - set(order))
        if unknown:
            raise SettingsError(
                f"pairs name segment(s) of {column!r} that do not occur in the data: {', '.join(map(repr, unknown))}",
                hint=f"the segments of {column!r} are: {', '.join(map(repr, order))}.",
            )
        bad = [pr for pr in wanted if pr[0] == pr[1]]
        if bad:
            raise SettingsError(f"a pair must name two different segments; got {bad[0]!r}")
        needed = list(dict.fromkeys(s for pr in wanted for s in pr))
    else:
        wanted = None
        needed = order
    groups = {g.label: g for g in _groups(engine, data, column, labels, [s for s in order if s in needed], min_n)}
    estimated = [s for s in order if s in groups and groups[s].fit is not None]
    if wanted is None:
        _require_two(column, list(groups.values()), min_n)
        todo = [(estimated[i], estimated[j]) for i in range(len(estimated)) for j in range(i + 1, len(estimated))]
    else:
        todo = []
        for pr in wanted:
            skipped = [s for s in pr if groups[s].fit is None]
            if skipped:
                warnings.warn(
                    f"pair {pr[0]!r} vs {pr[1]!r} of {column!r} not tested: "
                    + "; ".join(f"{s!r} {groups[s].status}" for s in skipped),
                    CsiSurveyWarning,
                    stacklevel=2,
                )
            else:
                todo.append(pr)
    total_work = len(todo) * permutations
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, total_work)

    tested = {(a, b): _pair_test(engine, data, column, groups[a], groups[b], permutations, seed, tick) for a, b in todo}
    table = _adjusted(_concat([part for part, _ in tested.values()], _TESTED_COLUMNS), correction, level)
    table.attrs.update({
        "seed": seed, "permutations": permutations, "correction": correction, "level": level,
        "permutations_used": {pair: used for pair, (_, used) in tested.items()},
    })
    return table


def _adjusted(table: pd.DataFrame, correction: str, level: float) -> pd.DataFrame:
    """Add p_adjusted (one family per statistic: its pairs), significant and correction."""
    p = table["p_value"].to_numpy(dtype=float)
    adjusted = np.full(len(table), np.nan)
    if len(table):
        for rows in table.groupby(["statistic", "source", "target"], sort=False).indices.values():
            adjusted[rows] = adjust_p_values(p[rows], correction)
    table["p_adjusted"] = adjusted
    table["significant"] = np.nan_to_num(adjusted, nan=1.0) < 1 - level
    table["correction"] = correction
    return table[SEGMENT_DIFFERENCES_COLUMNS]


def _check_correction(correction: Any) -> str:
    value = str(correction).lower() if isinstance(correction, str) else correction
    if value not in CORRECTIONS:
        raise SettingsError(
            f"correction must be one of {', '.join(map(repr, CORRECTIONS))}; got {correction!r}",
            hint="use 'holm' (family-wise error, the default), 'bh' (false discovery rate, Benjamini–Hochberg) "
            "or 'none' (no adjustment) — on the command line --correction holm|bh|none.",
        )
    return value


def _require_two(column: str, groups: list[_Group], min_n: int) -> None:
    """Raise :class:`TooFewSegmentsError` unless at least two of the groups were estimated."""
    estimated = [g for g in groups if g.fit is not None]
    if len(estimated) >= 2:
        return
    table = pd.DataFrame({"segment": [g.label for g in groups], "n": [g.n for g in groups],
                          "status": [g.status for g in groups]})
    found = "; ".join(f"{g.label!r}: n = {g.n}, {g.status}" for g in groups) or "no respondent has a value"
    raise TooFewSegmentsError(
        f"column {column!r} has {len(estimated)} segment(s) that can be estimated ({found}); "
        "comparing segments needs at least two",
        column, table,
        hint=f"lower min_n (now {min_n}; --min-n on the command line) if segments are too small, merge small segments "
        f"in the data, or leave {column!r} out of the segment columns to compare.",
    )


@dataclass(frozen=True)
class SegmentFit:
    """One segment of a column as the comparisons use it: its label, the mask of its respondents
    (one entry per used respondent), its size, its status (``"estimated"``, ``"insufficient sample
    (n = 37 < 50)"`` or ``"failed: <reason>"``) and its PLS fit (None unless estimated)."""

    label: str
    mask: np.ndarray
    n: int
    status: str
    fit: Any = None


def comparable_segments(engine: PLS, data: SurveyData, column: str, *, min_n: int = 50) -> list[SegmentFit]:
    """Every segment of ``column`` in natural order, fitted when it has at least ``min_n`` respondents.

    The comparisons across segments (:func:`segment_differences`, :func:`csi_survey.omnibus.segment_omnibus`,
    :func:`csi_survey.invariance.micom`) start here. Raises :class:`TooFewSegmentsError` (naming the
    fix) when fewer than two segments can be estimated.
    """
    check_engine(engine)
    _check_data(data)
    min_n = check_count("min_n", min_n, 1)
    labels, raw = segment_labels(data, column)
    groups = _groups(engine, data, column, labels, ordered_labels(labels, raw), min_n)
    _require_two(column, groups, min_n)
    return [SegmentFit(g.label, g.mask, g.n, g.status, g.fit) for g in groups]


def derived_seed(seed: int, *key: str) -> int:
    """The seed of one random stream (a segment, pair or test), derived from ``seed`` and the text
    ``key``: stable across runs and independent of which other streams are drawn."""
    return _derived_seed(int(seed), *(str(k) for k in key))


# ====================================================================== waves
def wave_analysis(
    engine: PLS,
    data: SurveyData,
    column: str,
    *,
    order: Sequence[Hashable] | None = None,
    min_n: int = 50,
    resamples: int = 200,
    seed: int | None = None,
    level: float = 0.95,
    progress: Progress = None,
) -> WaveResults:
    """Estimate the model per survey wave and the change of every 0–100 index between waves.

    Parameters
    ----------
    column:
        The column of ``data.other`` holding each respondent's wave (e.g. "2026-Q1").
    order:
        Wave labels in time order (as text, as they appear in the tables). Default: natural order
        of the labels ("2026-Q2" < "2026-Q10"; numeric and date columns by value). Respondents with
        an empty wave cell are left out unless ``"(missing)"`` is listed; a wave of the data that
        ``order`` does not list raises :class:`~csi_survey.exceptions.SettingsError`; a listed wave
        without respondents is reported as insufficient sample (n = 0).
    min_n:
        Waves with fewer respondents are listed but not estimated.
    resamples:
        Bootstrap resamples per wave (200; 0 for no intervals).
    seed:
        Seed of the bootstrap streams, derived per wave from ``seed`` and the wave label.
    level:
        Confidence level of the percentile intervals.
    progress:
        Called as ``progress(done, total)`` after each wave.

    Returns
    -------
    WaveResults
        ``index`` (``wave_index``: wave, construct, label, index, ci_lower, ci_upper, n, status) and
        ``changes`` (``wave_changes``: wave, previous_wave, construct, label, change, ci_lower,
        ci_upper) for each estimated wave against the previous *estimated* wave:
        ``change = index_w − index_prev``; interval: percentile interval of
        ``index*_w,b − index*_prev,b`` over the bootstrap draws paired by position (b = 1 …
        min(B_w, B_prev); the waves are independent samples, so any pairing of their independent
        draws is a draw of the difference); ``std_err``: the standard deviation of those
        differences; ``p_value``: two-sided, ``2 Φ(−|change| / std_err)``; ``p_adjusted`` equals it
        (the all-respondents series is a family of one; per-segment changes are adjusted across the
        segments by :func:`csi_survey.analysis.analyze`); ``significant``: ``p_adjusted < 1 − level``.
    """
    check_engine(engine)
    _check_data(data)
    min_n = check_count("min_n", min_n, 1)
    resamples = _check_resamples(resamples)
    level = check_level(level)
    seed = check_seed(seed) if resamples else None
    labels, raw = segment_labels(data, column)
    if order is None:
        waves = [w for w in ordered_labels(labels, raw) if w != MISSING]
    else:
        waves = list(dict.fromkeys(str(w) for w in order))
        present = set(pd.unique(labels)) - {MISSING}
        unlisted = [w for w in ordered_labels(labels, raw) if w in present and w not in waves]
        if unlisted:
            raise SettingsError(
                f"order does not list wave(s) {', '.join(map(repr, unlisted))} of column {column!r}",
                hint="list every wave of the data in order (as text, e.g. '2026-Q1'), or leave order out for natural order.",
            )
    total_work = len(waves)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total_work)

    groups = _groups(engine, data, column, labels, waves, min_n, resamples, seed, level, tick, seed_key=("wave",))
    model = engine.model
    index = _concat([_index_rows(model, g).assign(wave=g.label) for g in groups], WAVE_INDEX_COLUMNS)
    index["n"] = index["n"].astype(np.int64)
    changes = _changes(model, [g for g in groups if g.fit is not None], level)
    fits = {g.label: g.fit for g in groups if g.fit is not None}
    return WaveResults(index=index, changes=changes, fits=fits, order=tuple(waves), seed=seed)


def _index_draws(fit: Any, cids: list[str]) -> np.ndarray | None:
    info = fit.bootstrap
    if info is None:
        return None
    est = info.estimates
    rows = est.index[est["statistic"].to_numpy() == "index"]
    by_construct = dict(zip(est.loc[rows, "source"], rows))
    return info.draws[:, [by_construct[c] for c in cids]]


def _changes(model: Any, estimated: list[_Group], level: float) -> pd.DataFrame:
    cids = model.construct_ids
    alpha = 1 - level
    parts = []
    for prev, cur in zip(estimated, estimated[1:]):
        a = prev.fit.index.set_index("construct")["index"].reindex(cids).to_numpy(dtype=float)
        b = cur.fit.index.set_index("construct")["index"].reindex(cids).to_numpy(dtype=float)
        lo = hi = se = np.full(len(cids), np.nan)
        da, db = _index_draws(prev.fit, cids), _index_draws(cur.fit, cids)
        if da is not None and db is not None:
            B = min(len(da), len(db))
            lo, hi = np.quantile(db[:B] - da[:B], [alpha / 2, 1 - alpha / 2], axis=0)
            se = np.std(db[:B] - da[:B], axis=0, ddof=1) if B > 1 else se
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(se > 0, 2 * stats.norm.sf(np.abs(b - a) / np.where(se > 0, se, 1.0)), np.nan)
        parts.append(pd.DataFrame({
            "wave": cur.label, "previous_wave": prev.label, "construct": cids,
            "label": [model.label(c) for c in cids], "change": b - a, "ci_lower": lo, "ci_upper": hi,
            "std_err": se, "p_value": p, "p_adjusted": p, "significant": p < alpha,
        }))
    return _concat(parts, WAVE_CHANGES_COLUMNS)
