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
    The permutations of *all* pairs are one batched computation (:func:`pair_permutations`: one
    moment state over the pooled respondents of the segments compared, count matrices across
    pairs); each pair keeps its own random stream. A permuted group in which an item has a single
    value cannot be estimated and is left out — checked exactly (:func:`constant_items`), since
    the batched moments see a constant item only up to rounding.

Scale (issue 17)
    k segments give k(k − 1)/2 pairs: the pairwise tests cost ``2 × permutations`` refits per pair
    (4,950 pairs for 100 stores: about 10 million refits at 1,000 permutations), the omnibus test
    ``permutations × k``. :func:`pairwise_plan` decides before any draw whether a run makes the
    pairwise tests and MICOM (``"auto"``: at most :data:`AUTO_PAIRWISE_SEGMENTS` = 10 segments;
    ``"all"``; ``"none"``) and words the cost for the run's notes. Segments below ``min_n`` cost
    nothing: one sort of the labels finds every segment's respondents (:func:`label_positions`),
    small segments are never cut out of the data, and the tables are assembled column by column.

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
from collections.abc import Callable, Hashable, Iterator, Sequence
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
    "pair_permutations",
    "pairwise_plan",
    "PairwisePlan",
    "PAIRWISE_MODES",
    "label_positions",
    "value_codes",
    "constant_items",
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

#: Segments named in the message when too few can be estimated (the rest are counted).
LISTED = 10
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
    positions: np.ndarray  # positions of the group's respondents among the used ones (ascending)
    n_used: int
    n: int
    status: str
    fit: Any = None

    @property
    def mask(self) -> np.ndarray:
        """The group as a boolean mask over the used respondents (made on demand: 10,000 small
        segments keep 10,000 short position arrays, not 10,000 masks)."""
        out = np.zeros(self.n_used, dtype=bool)
        out[self.positions] = True
        return out


def _estimate_group(engine: PLS, data: SurveyData, label: str, positions: np.ndarray, min_n: int,
                    resamples: int = 0, seed: int | None = None, level: float = 0.95) -> _Group:
    """Fit (and bootstrap) one group; estimation problems become a status, never an exception.
    A group below ``min_n`` costs nothing: it is not cut out of the data."""
    n = len(positions)
    if n < min_n:
        return _Group(label, positions, data.n_used, n, _insufficient(n, min_n))
    sub = data if n == data.n_used else take_rows(data, positions)
    try:
        fit = engine.fit(sub)
    except EstimationError as error:  # ConvergenceError, SingularMatrixError, too few respondents
        return _Group(label, positions, data.n_used, n, f"failed: {error.message}")
    if resamples:
        try:
            fit = bootstrap(fit, sub, resamples=resamples, seed=seed, level=level)
        except EstimationError as error:
            return _Group(label, positions, data.n_used, n, f"failed: bootstrap: {error.message}")
    return _Group(label, positions, data.n_used, n, ESTIMATED, fit)


def label_positions(labels: np.ndarray, order: Sequence[str]) -> dict[str, np.ndarray]:
    """The positions (ascending) of the respondents of each label of ``order`` in ``labels``: one
    sort of the n labels, O(n log n), instead of a scan of all respondents per label (10,000
    segments of 3 respondents: milliseconds). A label without respondents gets an empty array."""
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    idx = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[idx], np.arange(len(uniques) + 1))
    found = {str(u): idx[bounds[i]:bounds[i + 1]] for i, u in enumerate(uniques)}
    empty = np.empty(0, dtype=np.intp)
    return {label: found.get(label, empty) for label in order}


def _groups(engine: PLS, data: SurveyData, column: str, labels: np.ndarray, order: list[str], min_n: int,
            resamples: int = 0, seed: int | None = None, level: float = 0.95,
            tick: Callable[[], None] | None = None, seed_key: tuple[str, ...] = ()) -> list[_Group]:
    """Estimate each group ``labels == label`` for the labels of ``order``, in that order."""
    out = []
    positions = label_positions(labels, order)
    for label in order:
        estimable = len(positions[label]) >= min_n  # a small group needs no seed either
        child = _derived_seed(seed, *seed_key, column, label) if (resamples and seed is not None and estimable) else None
        out.append(_estimate_group(engine, data, label, positions[label], min_n, resamples, child, level))
        if tick is not None:
            tick()
    return out


# ====================================================================== segment tables
def _ci(table: pd.DataFrame, column: str) -> np.ndarray:
    return table[column].to_numpy(dtype=float) if column in table.columns else np.full(len(table), np.nan)


def _index_rows(model: Any, group: _Group) -> dict[str, Any]:
    """The group's rows of the index table, as columns (arrays, or one value for every row)."""
    cids = model.construct_ids
    if group.fit is not None:
        idx = group.fit.index
        values, lo, hi = idx["index"].to_numpy(dtype=float), _ci(idx, "ci_lower"), _ci(idx, "ci_upper")
    else:
        values = lo = hi = np.full(len(cids), np.nan)
    return {"construct": np.array(cids, dtype=object), "label": np.array([model.label(c) for c in cids], dtype=object),
            "index": values, "ci_lower": lo, "ci_upper": hi, "n": group.n, "status": group.status}


def _path_rows(model: Any, group: _Group) -> dict[str, Any]:
    if group.fit is not None:
        p = group.fit.paths
        return {"source": p["source"].to_numpy(dtype=object), "target": p["target"].to_numpy(dtype=object),
                "estimate": p["estimate"].to_numpy(dtype=float), "ci_lower": _ci(p, "ci_lower"),
                "ci_upper": _ci(p, "ci_upper"), "status": group.status}
    k = len(model.paths)
    return {"source": np.array([p.source for p in model.paths], dtype=object),
            "target": np.array([p.target for p in model.paths], dtype=object),
            "estimate": np.full(k, np.nan), "ci_lower": np.full(k, np.nan), "ci_upper": np.full(k, np.nan),
            "status": group.status}


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


def _impact_rows(skeleton: pd.DataFrame, group: _Group, columns: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """``columns``: the skeleton's target and driver arrays, made once for all groups."""
    columns = columns or {c: skeleton[c].to_numpy(dtype=object) for c in ("target", "driver")}
    out: dict[str, Any] = dict(columns)
    if group.fit is not None:
        imp = _impacts(group.fit).set_index(["target", "driver"])["impact"]
        out["impact"] = imp.reindex(pd.MultiIndex.from_frame(skeleton)).to_numpy(dtype=float)
    else:
        out["impact"] = np.full(len(skeleton), np.nan)
    out["status"] = group.status
    return out


def _assemble(keys: dict[str, list], parts: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """One table from the groups' rows: ``keys`` holds one value per group (e.g. segment_column and
    segment), ``parts`` each group's columns (arrays, or one value for all its rows). Built column by
    column with numpy, so 10,000 groups cost one table, not 10,000 (issue 17)."""
    if not parts:
        return pd.DataFrame(columns=columns)
    lengths = np.array([max((len(v) for v in part.values() if isinstance(v, np.ndarray)), default=1) for part in parts])
    out: dict[str, Any] = {}
    for name in columns:
        if name in keys:
            out[name] = np.repeat(np.array(keys[name], dtype=object), lengths)
            continue
        values = [part[name] for part in parts]
        if all(isinstance(v, np.ndarray) for v in values):
            out[name] = np.concatenate(values)
        else:
            out[name] = np.repeat(np.array(values, dtype=object if isinstance(values[0], str) else None), lengths)
    return pd.DataFrame(out, columns=columns)


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
    everyone = np.arange(data.n_used)
    total = _estimate_group(engine, data, TOTAL, everyone, min_n, resamples,
                            _derived_seed(seed, "", TOTAL) if resamples else None, level)
    tick()
    entries: list[tuple[str, _Group]] = [("", total)]
    for c in cols:
        entries += [(c, g) for g in _groups(engine, data, c, labels[c][0], orders[c], min_n, resamples, seed, level, tick)]

    skeleton = _impact_skeleton(model, total.fit)
    keys = {"segment_column": [c for c, _ in entries], "segment": [g.label for _, g in entries]}
    index = _assemble(keys, [_index_rows(model, g) for _, g in entries], SEGMENT_INDEX_COLUMNS)
    paths = _assemble(keys, [_path_rows(model, g) for _, g in entries], SEGMENT_PATHS_COLUMNS)
    pairs = {c: skeleton[c].to_numpy(dtype=object) for c in ("target", "driver")}
    imps = _assemble(keys, [_impact_rows(skeleton, g, pairs) for _, g in entries], SEGMENT_IMPACTS_COLUMNS)
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


#: Largest count matrix of one batched refit across pairs (bytes): rows × pooled respondents × 8.
BATCH_BYTES = 64 * 2**20
#: Most group refits in one batched computation across pairs (2 per permutation).
BATCH_ROWS = 2_000


def pair_permutations(engine: PLS, data: SurveyData, pairs: Sequence[tuple[Any, Any]],
                      permutations: int, seeds: Sequence[int], tick: Callable[[int], None] | None = None,
                      chunk: int = PERMUTATION_CHUNK) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The permutation refits of many pairs of segments as one batched computation.

    ``pairs`` are the pairs ``(a, b)`` of estimated segments to test (:class:`SegmentFit`, or anything
    with ``positions``, ``n`` and ``fit``); pair ``i`` draws its ``permutations``
    label permutations from ``np.random.default_rng(seeds[i])``, one after the other (row r: the
    first n_a of ``rng.permutation(n_a + n_b)`` form group A, over the pair's respondents in data
    order) — the same draws whatever the batching. The two groups of every permutation of every
    pair are re-estimated together: one moment state over the pooled respondents of the segments
    involved (:func:`~csi_survey.engine.resample.moment_state`) and count matrices of up to
    :data:`BATCH_ROWS` rows across pairs (:func:`~csi_survey.engine.resample.estimate_batch`, hence
    :func:`~csi_survey.engine.pls.pls_core_batch` on all their correlation matrices at once).

    Yields, per pair and block of at most ``chunk`` permutations (pairs in order):
    ``(pair, masks, values_a, values_b, ok)`` — masks h × (n_a + n_b) (True: group A), the statistics
    of both groups (h × s, :func:`~csi_survey.engine.resample.statistic_labels` order) and where
    both could be estimated. A permutation that gives a group one value on an item is not
    estimable (checked exactly, by counting answers: the batched moments would see such an item's
    zero variance only up to rounding) and is marked not ok. ``tick(h)`` follows each block.
    """
    involved = list({id(g): g for pair in pairs for g in pair}.values())
    if not involved:
        return
    pooled = np.unique(np.concatenate([np.asarray(g.positions, dtype=np.intp) for g in involved]))
    X, _ = item_matrix(engine.model, data.items)
    weight = None if data.weight is None else np.asarray(data.weight)[pooled]
    state = _group_state(engine, involved[0].fit, X[pooled], weight)
    N = len(pooled)
    rows = int(max(2, min(BATCH_ROWS, BATCH_BYTES // (8 * max(N, 1)))))

    def pieces() -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        for i, (a, b) in enumerate(pairs):
            rows_ab = np.sort(np.concatenate([a.positions, b.positions]))
            cols = np.searchsorted(pooled, rows_ab)
            codes = value_codes(X[rows_ab])
            rng = np.random.default_rng(seeds[i])
            for start in range(0, permutations, chunk):
                masks = _permutation_masks(rng, len(cols), a.n, min(chunk, permutations - start))
                yield i, cols, masks, constant_items(np.vstack([masks, ~masks]).astype(np.float64), codes).reshape(2, -1).any(axis=0)

    batch: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    filled = 0
    source = pieces()
    while True:
        piece = next(source, None)
        if piece is not None:
            batch.append(piece)
            filled += 2 * len(piece[2])
        if batch and (piece is None or filled >= rows):
            m = filled // 2
            K = np.zeros((2 * m, N))
            r = 0
            for _, cols, masks, _ in batch:
                h = len(masks)
                K[r:r + h, cols] = masks
                K[m + r:m + r + h, cols] = ~masks
                r += h
            values, status, _ = estimate_batch(state, K)
            ok = (status[:m] == OK) & (status[m:] == OK) & ~np.concatenate([flat for *_, flat in batch])
            r = 0
            for i, _, masks, _ in batch:
                h = len(masks)
                yield i, masks, values[r:r + h], values[m + r:m + r + h], ok[r:r + h]
                r += h
                if tick is not None:
                    tick(h)
            batch, filled = [], 0
        if piece is None:
            return


def value_codes(X: np.ndarray) -> np.ndarray:
    """Each item's answers as integer codes (the rank of the value among the item's distinct
    values, 0, 1, …), n × p floats, for :func:`constant_items`. An item with so many distinct values
    that its sums could lose exactness (n · (L − 1)² ≥ 2⁵²) gets codes 0 (never reported constant)."""
    n, p = X.shape
    codes = np.zeros((n, p))
    for j in range(p):
        _, inverse = np.unique(X[:, j], return_inverse=True)
        top = float(inverse.max()) if n else 0.0
        if n * top * top < 2.0**52:
            codes[:, j] = inverse
    return codes


def constant_items(K: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For each 0/1 row of K (a group), whether one of its items has a single value in the group:
    such a group cannot be estimated. Exact: with integer codes c, the sums S₁ = Σ c and S₂ = Σ c²
    over the group's n_g respondents are exact in floating point, and an item is constant exactly
    when S₁ = n_g μ with μ whole and S₂ = n_g μ² (then Σ (c − μ)² = 0). The batched moments see a
    constant item only up to rounding (its variance is a difference of two equal sums), so a
    permuted group with a yes/no item that only one answer reached could otherwise pass as estimable."""
    n_g = K.sum(axis=1)[:, None]
    S1 = K @ codes
    S2 = K @ (codes * codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.floor(S1 / n_g + 0.5)
        flat = (S1 == n_g * mu) & (S2 == n_g * mu * mu)
    return flat.any(axis=1) & (n_g[:, 0] > 0)


def _pair_tests(engine: PLS, column: str, groups: dict[str, Any], todo: list[tuple[str, str]], data: SurveyData,
                permutations: int, seed: int, tick: Callable[[int], None]) -> dict[tuple[str, str], tuple[pd.DataFrame, int]]:
    """Observed differences (b − a) and permutation p values of every pair of ``todo``, and the
    number of permutations on which both groups could be estimated (all pairs batched together)."""
    observed, d_obs = [], []
    stats, pos = (None, None)
    for a, b in todo:
        obs_a, obs_b = _observed(groups[a].fit), _observed(groups[b].fit)
        out = obs_a.rename(columns={"value": "value_a"})
        out["value_b"] = obs_b["value"].to_numpy()
        out["difference"] = out["value_b"] - out["value_a"]
        if stats is None:
            stats, pos = _selection(groups[a].fit)
        keys = ["statistic", "source", "target"]
        if not stats[keys].equals(out[keys]):  # both come from the fit's index and paths tables, in their order
            raise EstimationError("internal error: the batched statistics do not line up with the fit's tables")
        observed.append(out)
        d_obs.append(np.abs(out["difference"].to_numpy()))
    if not todo:
        return {}
    d_obs_all = np.array(d_obs)
    tol = 1e-12 * np.maximum(1.0, d_obs_all)  # observed-size ties count as "at least as extreme"
    extreme = np.zeros(d_obs_all.shape)
    used = np.zeros(len(todo), dtype=np.int64)
    seeds = [_derived_seed(seed, column, a, b) for a, b in todo]
    pairs = [(groups[a], groups[b]) for a, b in todo]
    for i, _, va, vb, ok in pair_permutations(engine, data, pairs, permutations, seeds, tick):
        d = np.abs(vb[ok][:, pos] - va[ok][:, pos])
        extreme[i] += (d >= d_obs_all[i] - tol[i]).sum(axis=0)
        used[i] += int(ok.sum())
    result = {}
    for i, (a, b) in enumerate(todo):
        out = observed[i]
        with np.errstate(invalid="ignore"):
            p = (1.0 + extreme[i]) / (1.0 + used[i])
        p[~np.isfinite(d_obs_all[i])] = np.nan
        out["p_value"] = p if used[i] else np.nan
        out.insert(0, "segment_b", b)
        out.insert(0, "segment_a", a)
        out.insert(0, "segment_column", column)
        out["method"] = "permutation"
        result[(a, b)] = (out, int(used[i]))
    return result


# ====================================================================== planning the pairwise tests
#: Values of ``pairwise`` (``--pairwise``): which columns get the pairwise tests and MICOM.
PAIRWISE_MODES = ("auto", "all", "none")
#: "auto" makes the pairwise tests and MICOM for at most this many estimated segments (45 pairs).
AUTO_PAIRWISE_SEGMENTS = 10
#: From this many group refits a run states the cost of the pairwise tests it makes in its notes.
LARGE_REFITS = 1_000_000


@dataclass(frozen=True)
class PairwisePlan:
    """Whether a run makes the pairwise tests (and MICOM) of a segment column, and what they cost.

    ``refits``: group re-estimations of the pairwise tests, ``2 × pairs × permutations``; MICOM
    needs as many again plus one pooled fit per pair. ``note``: the sentence for the run's notes
    (None when there is nothing to say: the tests run and are small)."""

    column: str
    mode: str
    segments: int
    pairs: int
    permutations: int
    run: bool

    @property
    def refits(self) -> int:
        return 2 * self.pairs * self.permutations

    @property
    def note(self) -> str | None:
        cost = (f"{self.segments:,} segments give {self.pairs:,} pairs × {self.permutations:,} permutations, "
                f"about {2 * self.refits:,} refits with MICOM")
        if self.pairs == 0:  # fewer than two segments: nothing to test, nothing skipped
            return None
        if not self.run and self.mode == "none":
            return (f"Pairwise tests and MICOM of {self.column!r} not run (--pairwise none); the omnibus test "
                    "(segment_omnibus.csv) says whether the segments differ at all.")
        if not self.run:
            return (f"Pairwise tests and MICOM of {self.column!r} skipped: {cost}. The omnibus test "
                    "(segment_omnibus.csv) says whether the segments differ at all; pass --pairwise all to run them "
                    f"(by default they run for at most {AUTO_PAIRWISE_SEGMENTS} segments).")
        if self.refits >= LARGE_REFITS:
            return f"Pairwise tests and MICOM of {self.column!r}: {cost}."
        return None


def pairwise_plan(column: str, segments: int, permutations: int, mode: str = "auto") -> PairwisePlan:
    """Decide, before any permutation is drawn, whether to make the pairwise tests and MICOM of a column
    with ``segments`` estimated segments: ``"all"`` always, ``"none"`` never, ``"auto"`` (the default)
    for at most :data:`AUTO_PAIRWISE_SEGMENTS` segments (45 pairs).

    Why 10: the pairwise tests grow with k(k − 1)/2 — 10 segments give 45 pairs (90,000 refits at
    1,000 permutations, MICOM as many: well under a minute), 100 segments 4,950 pairs (about 20
    million refits: hours), while the omnibus test grows with k only. A reader also cannot act on
    4,950 adjusted comparisons; above 10 segments the omnibus test says whether segments differ,
    and the segment tables and their intervals say which stand out. ``--pairwise all`` runs them anyway.
    """
    if mode not in PAIRWISE_MODES:
        raise SettingsError(f"pairwise must be one of {', '.join(map(repr, PAIRWISE_MODES))}; got {mode!r}",
                            hint="pass --pairwise auto (the default: at most 10 segments), all or none.")
    segments = int(segments)
    pairs = segments * (segments - 1) // 2
    run = pairs > 0 and (mode == "all" or (mode == "auto" and segments <= AUTO_PAIRWISE_SEGMENTS))
    return PairwisePlan(column, mode, segments, pairs, int(permutations), run)


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
    segments: Sequence[SegmentFit] | None = None,
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

    The cost: ``2 × permutations`` group refits per pair, and k(k − 1)/2 pairs for k segments — 4,950
    pairs for 100 segments, about 10 million refits at 1,000 permutations
    (:func:`pairwise_plan` states it before a run starts). All pairs' refits are one batched
    computation (:func:`pair_permutations`); each pair keeps its own random stream, so its p values
    do not depend on the batching or on the other pairs tested.

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
    segments : sequence of SegmentFit, optional
        The segments of ``column`` as :func:`comparable_segments` returns them (with the same
        ``min_n``), when the caller has them already: not estimated again.

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
                hint=f"the segments of {column!r} are: {', '.join(map(repr, order[:20]))}"
                + (f" … ({len(order):,} in all)." if len(order) > 20 else "."),
            )
        bad = [pr for pr in wanted if pr[0] == pr[1]]
        if bad:
            raise SettingsError(f"a pair must name two different segments; got {bad[0]!r}")
        needed = list(dict.fromkeys(s for pr in wanted for s in pr))
    else:
        wanted = None
        needed = order
    if segments is not None:
        groups = {g.label: g for g in segments}
    else:
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

    tested = _pair_tests(engine, column, {s: groups[s] for s in estimated}, todo, data, permutations, seed, tick)
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
    found = "; ".join(f"{g.label!r}: n = {g.n}, {g.status}" for g in groups[:LISTED]) or "no respondent has a value"
    if len(groups) > LISTED:  # 10,000 segments of 3: the message names a few, the table has them all
        found += f"; … and {len(groups) - LISTED:,} more segments (largest n = {max(g.n for g in groups):,})"
    raise TooFewSegmentsError(
        f"column {column!r} has {len(estimated)} segment(s) that can be estimated ({found}); "
        "comparing segments needs at least two",
        column, table,
        hint=f"lower min_n (now {min_n}; --min-n on the command line) if segments are too small, merge small segments "
        f"in the data, or leave {column!r} out of the segment columns to compare.",
    )


@dataclass(frozen=True)
class SegmentFit:
    """One segment of a column as the comparisons use it: its label, the positions of its
    respondents among the used ones (ascending), the number of used respondents, its size, its
    status (``"estimated"``, ``"insufficient sample (n = 37 < 50)"`` or ``"failed: <reason>"``) and
    its PLS fit (None unless estimated). ``mask`` gives the segment as a boolean mask (one entry
    per used respondent), made on demand."""

    label: str
    positions: np.ndarray
    n_used: int
    n: int
    status: str
    fit: Any = None

    @property
    def mask(self) -> np.ndarray:
        out = np.zeros(self.n_used, dtype=bool)
        out[self.positions] = True
        return out


def comparable_segments(engine: PLS, data: SurveyData, column: str, *, min_n: int = 50,
                        progress: Progress = None) -> list[SegmentFit]:
    """Every segment of ``column`` in natural order, fitted when it has at least ``min_n`` respondents.

    The comparisons across segments (:func:`segment_differences`, :func:`csi_survey.omnibus.segment_omnibus`,
    :func:`csi_survey.invariance.micom`) start here. Raises :class:`TooFewSegmentsError` (naming the
    fix) when fewer than two segments can be estimated. Segments below ``min_n`` cost nothing (one
    sort of the labels finds every segment's respondents). ``progress(done, total)`` follows each segment.
    """
    check_engine(engine)
    _check_data(data)
    min_n = check_count("min_n", min_n, 1)
    labels, raw = segment_labels(data, column)
    order = ordered_labels(labels, raw)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(order))

    groups = _groups(engine, data, column, labels, order, min_n, tick=tick)
    _require_two(column, groups, min_n)
    return [SegmentFit(g.label, g.positions, g.n_used, g.n, g.status, g.fit) for g in groups]


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
    index = _assemble({"wave": [g.label for g in groups]}, [_index_rows(model, g) for g in groups], WAVE_INDEX_COLUMNS)
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
