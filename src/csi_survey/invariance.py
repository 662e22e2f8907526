"""Measurement invariance of composites (MICOM) between segments: do the constructs mean the same thing?

A path coefficient or index compared between two segments is only meaningful when the construct is
formed alike in both. MICOM (Henseler, Ringle & Sarstedt 2016) checks this in three steps, for each
construct j and pair of segments (a, b); :func:`micom` runs them for every pair of the estimated
segments of a column.

Step 1 — configural invariance
    The same items per construct, the same data treatment (missing values, codes, survey weights)
    and the same PLS settings in both groups. Here one spec, one data preparation and one engine
    serve every segment, so it holds by design; the table reports it as a check (``configural``),
    and a segment that cannot be estimated is not compared.

Step 2 — compositional invariance
    With w_a and w_b the outer weights of construct j estimated in segment a and in segment b,
    the composite scores of the pooled respondents of both segments (items X) are formed with
    either set of weights and correlated:

        c = cor(X w_a, X w_b) = w_aᵀ S w_b / √(w_aᵀ S w_a · w_bᵀ S w_b)

    (S the item covariance matrix of the pooled respondents). The segment labels are permuted among
    the n_a + n_b respondents (sizes kept), both groups re-estimated and c* recorded, P times.
    Henseler et al. reject compositional invariance when c falls below the (1 − level) quantile of
    the c* (5 % at level 0.95, ``c_critical``); equivalently, up to the discreteness of P, when the
    one-sided p = (1 + #{c* ≤ c}) / (1 + P) is at most 1 − level. As cSEM's ``testMICOM``, the
    weights (estimated for standardized items within each group) are applied to the pooled items
    as answered; SmartPLS standardizes the pooled items first, which changes c in the fourth
    decimal at most on the reference data. A single-item construct has c = 1 by construction.

Step 3 — equal composite means and variances
    The model is estimated once on the pooled respondents of the pair; its construct scores (unit
    variance over the pooled respondents) give, per segment, mean m and variance v (divisor n − 1;
    weighted with the survey weights as the fit is). The differences

        Δm = m_b − m_a,        Δlog v = log v_b − log v_a

    are compared with their permutation distributions (the same permutations as step 2; only the
    labels move, the scores stay): equal when inside the central ``level`` interval of the
    permutation values; two-sided p = (1 + #{abs(Δ*) ≥ abs(Δ)}) / (1 + P).

Decision (Henseler et al. 2016, Fig. 3), per construct and pair: without compositional invariance
the construct differs in meaning — **comparisons of path coefficients involving it between the two
segments should not be interpreted** (``invariance = "none"``). With compositional invariance but
unequal means or variances the invariance is *partial*: path coefficients can be compared
(multigroup analysis), the data should not be pooled. With equal means and variances as well it is
*full*: the segments' data may also be pooled.

Multiplicity: four segments give six pairs, so each construct is tested six times per step, and
about one test in twenty "fails" at 5 % by chance alone — a tracking report would flag a construct
as not invariant in most runs. As for the pairwise differences, the p values of one construct and
step across the pairs of the column are one family and are adjusted (``correction``: Holm by
default, as cSEM's ``.approach_p_adjust``); the decisions use the adjusted p values
(``c_p_adjusted``, ``mean_p_adjusted``, ``var_p_adjusted`` compared with 1 − level). With one pair,
or ``correction="none"``, this is Henseler et al.'s rule as published. The adjustment makes a failure
harder to declare (the null hypothesis is the hoped-for outcome here): read ``c`` and
``c_critical`` beside it. Henseler et al. recommend at least 5,000 permutations for a firm
decision near the threshold.

Differences are b − a, as in :func:`~csi_survey.segments.segment_differences` (cSEM reports a − b).

Reference: Henseler, J., Ringle, C. M. & Sarstedt, M. (2016), "Testing measurement invariance of
composites using partial least squares", *International Marketing Review* 33(3), 405–431.
R equivalent: ``cSEM::testMICOM()`` (checked against it on corp_rep_data, see docs/methodology.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .engine.pls import PLS, item_matrix
from .engine.resample import statistic_labels
from .exceptions import CsiSurveyWarning, EstimationError, SettingsError, check_count, check_level, check_seed
from .ingest.prepare import SurveyData
from .ingest.weights import estimation_weight
from .multiplicity import CORRECTIONS, adjust_p_values
from .results import Summary
from .segments import SegmentFit, check_engine, comparable_segments, derived_seed, pair_permutations, take_rows

__all__ = ["micom", "MicomResults", "MICOM_COLUMNS", "composite_correlation"]

#: Columns of the ``micom`` table (one row per pair of segments and construct).
MICOM_COLUMNS = [
    "segment_column", "segment_a", "segment_b", "construct", "label", "n_a", "n_b",
    "configural", "c", "c_critical", "c_p_value", "c_p_adjusted", "compositional",
    "mean_difference", "mean_perm_lower", "mean_perm_upper", "mean_p_value", "mean_p_adjusted", "equal_means",
    "log_var_difference", "var_perm_lower", "var_perm_upper", "var_p_value", "var_p_adjusted", "equal_variances",
    "invariance", "decision", "correction", "permutations_used",
]
#: The columns one pair's permutations fill; the adjusted p values and decisions come after all pairs.
_STEP_COLUMNS = [c for c in MICOM_COLUMNS if c not in (
    "c_p_adjusted", "compositional", "mean_p_adjusted", "equal_means", "var_p_adjusted", "equal_variances",
    "invariance", "decision", "correction")]

#: Values of the ``invariance`` column.
FULL, PARTIAL, NONE, NOT_TESTED = "full", "partial", "none", "not tested"

_CORRECTION_NAMES = {"holm": "Holm", "bh": "BH", "none": "unadjusted"}

#: Group estimates per batch (two per permutation), so the count matrix stays small.
ROWS_PER_BATCH = 200

#: Ties up to rounding count as "as extreme as the data" (and c = 1 of a single item as not below 1).
_TOL = 1e-10


@dataclass(frozen=True)
class MicomResults:
    """The MICOM tests of one segment column (:func:`micom`).

    ``table`` is the ``micom`` table (one row per pair and construct, columns :data:`MICOM_COLUMNS`);
    ``segments`` lists every segment of the column (segment, n, status); ``notes`` has one line per
    construct and pair without compositional invariance (path comparisons involving that construct
    should not be interpreted for that pair); ``permutations``, ``seed``, ``level`` and
    ``correction`` are the settings.
    """

    column: str
    table: pd.DataFrame
    segments: pd.DataFrame
    notes: tuple[str, ...]
    permutations: int
    seed: int
    level: float
    correction: str = "holm"

    @property
    def failures(self) -> pd.DataFrame:
        """The rows (pair, construct) where compositional invariance is not established."""
        return self.table[self.table["invariance"] == NONE].reset_index(drop=True)

    def summary(self) -> Summary:
        t = self.table
        counts = t["invariance"].value_counts()
        info = {
            "Segment column": self.column,
            "Segments compared": ", ".join(self.segments.loc[self.segments["status"] == "estimated", "segment"]),
            "Permutations": f"{self.permutations} per pair, seed {self.seed}",
            "Multiplicity": f"p values of each construct and step adjusted across the pairs: {self.correction}",
            "Step 1 (configural)": "holds by design: one spec, data preparation and PLS settings for every segment",
            "Invariance": ", ".join(f"{counts.get(v, 0)} {v}" for v in (FULL, PARTIAL, NONE, NOT_TESTED) if counts.get(v, 0))
            or "no pair tested",
        }
        pair = ["segment_a", "segment_b", "construct"]
        tables = {
            "Step 2: compositional invariance": t[pair + ["c", "c_critical", "c_p_value", "c_p_adjusted", "compositional"]],
            "Step 3: equal means and variances": t[pair + ["mean_difference", "mean_p_adjusted", "equal_means",
                                                          "log_var_difference", "var_p_adjusted", "equal_variances"]],
            "Decision": t[pair + ["invariance", "decision"]],
        }
        return Summary(title=f"MICOM: measurement invariance of composites across {self.column}", info=info, tables=tables)

    def __repr__(self) -> str:
        pairs = self.table[["segment_a", "segment_b"]].drop_duplicates().shape[0]
        return f"<MicomResults {self.column!r}: {pairs} pair(s), {len(self.failures)} construct(s) without compositional invariance>"


# ====================================================================== building blocks
def composite_correlation(w_a: np.ndarray, w_b: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``c_j = w_aⱼᵀ S w_bⱼ / √(w_aⱼᵀ S w_aⱼ · w_bⱼᵀ S w_bⱼ)`` per construct j: the correlation of the
    composites formed with two sets of outer weights (… × p × J, block pattern) on items with
    covariance matrix S (p × p).

    >>> S = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> composite_correlation(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]), S).tolist()
    [0.5]
    """
    num = np.einsum("...pj,pq,...qj->...j", w_a, S, w_b)
    va = np.einsum("...pj,pq,...qj->...j", w_a, S, w_a)
    vb = np.einsum("...pj,pq,...qj->...j", w_b, S, w_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / np.sqrt(va * vb)


def _weight_matrices(values: np.ndarray, layout: Any, J: int) -> np.ndarray:
    """Outer weights (m × p, item order) as m × p × J matrices with the block pattern."""
    m, p = values.shape
    W = np.zeros((m, p, J))
    W[:, layout.item_pos, layout.item_construct] = values
    return W


def _covariance(X: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    if w is None:
        return np.cov(X, rowvar=False, ddof=1)
    mean = (w @ X) / w.sum()
    Xc = X - mean
    return (Xc * w[:, None]).T @ Xc / (w.sum() - 1)


def _moments(masks: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Δmean and Δlog-variance (group B = complement − group A = rows of ``masks``) of the scores Y (N × J)."""
    A = masks.astype(float)
    if w is not None:
        A = A * w
        B = (~masks).astype(float) * w
    else:
        B = (~masks).astype(float)
    out = []
    for G in (A, B):
        n = G.sum(axis=1)[:, None]
        mean = (G @ Y) / n
        var = ((G @ (Y * Y)) - n * mean ** 2) / (n - 1)
        out.append((mean, var))
    (ma, va), (mb, vb) = out
    with np.errstate(invalid="ignore", divide="ignore"):
        return mb - ma, np.log(vb) - np.log(va)


def _p_two_sided(draws: np.ndarray, observed: np.ndarray) -> np.ndarray:
    if len(draws) == 0:
        return np.full(observed.shape, np.nan)
    extreme = (np.abs(draws) >= np.abs(observed) - _TOL * np.maximum(1.0, np.abs(observed))).sum(axis=0)
    return (1.0 + extreme) / (1.0 + len(draws))


# ====================================================================== the pairs
@dataclass
class _PairSetup:
    """What one pair's tests need besides the permutations: the pooled items' covariance S, the
    observed c, the pooled fit's scores Y and the observed differences of their moments."""

    a: SegmentFit
    b: SegmentFit
    w: np.ndarray | None
    S: np.ndarray
    c_obs: np.ndarray
    Y: np.ndarray | None
    dm_obs: np.ndarray
    dv_obs: np.ndarray
    pooled_problem: str | None
    c_draws: list
    m_draws: list
    v_draws: list


def _setup(engine: PLS, data: SurveyData, X: np.ndarray, a: SegmentFit, b: SegmentFit, wpos: np.ndarray,
           layout: Any) -> _PairSetup:
    cids = engine.model.construct_ids
    J = len(cids)
    both = np.sort(np.concatenate([a.positions, b.positions]))
    Xp = X[both]
    in_a = np.isin(both, a.positions)
    w = None if data.weight is None else estimation_weight(np.asarray(data.weight)[both])
    # step 2: c from the two segments' own fits
    S = _covariance(Xp, w)
    W_obs = [_weight_matrices(statistic_labels(g.fit)[1][wpos][None], layout, J) for g in (a, b)]
    c_obs = composite_correlation(W_obs[0], W_obs[1], S)[0]
    # step 3: scores of the pooled fit
    try:
        Y = engine.fit(take_rows(data, both)).scores[cids].to_numpy(dtype=float)
        pooled_problem = None
    except EstimationError as error:
        Y, pooled_problem = None, error.message
    if Y is not None:
        dm_obs, dv_obs = (v[0] for v in _moments(in_a[None], Y, w))
    else:
        dm_obs = dv_obs = np.full(J, np.nan)
    return _PairSetup(a, b, w, S, c_obs, Y, dm_obs, dv_obs, pooled_problem, [], [], [])


def _pairs(engine: PLS, data: SurveyData, column: str, todo: list[tuple[SegmentFit, SegmentFit]], permutations: int,
           seed: int, level: float, tick: Callable[[int], None]) -> list[pd.DataFrame]:
    """Steps 1–3 for every pair of ``todo``; the permutation refits of all pairs are one batched
    computation (:func:`~csi_survey.segments.pair_permutations`), each pair with its own stream."""
    if not todo:
        return []
    model = engine.model
    cids = model.construct_ids
    J = len(cids)
    alpha = 1 - level
    X, _ = item_matrix(model, data.items)
    labels, _, layout = statistic_labels(todo[0][0].fit)
    wpos = np.flatnonzero(labels["statistic"].to_numpy() == "weight")
    setups = [_setup(engine, data, X, a, b, wpos, layout) for a, b in todo]
    seeds = [derived_seed(seed, "micom", column, a.label, b.label) for a, b in todo]
    for i, masks, va, vb, ok in pair_permutations(engine, data, todo, permutations, seeds, tick,
                                                  chunk=max(1, ROWS_PER_BATCH // 2)):
        st = setups[i]
        Wa = _weight_matrices(va[ok][:, wpos], layout, J)
        Wb = _weight_matrices(vb[ok][:, wpos], layout, J)
        st.c_draws.append(composite_correlation(Wa, Wb, st.S))
        if st.Y is not None:
            dm, dv = _moments(masks, st.Y, st.w)
            st.m_draws.append(dm)
            st.v_draws.append(dv)
    tables = []
    for st in setups:
        c_star = np.concatenate(st.c_draws) if st.c_draws else np.empty((0, J))
        used = len(c_star)
        if used:
            with np.errstate(invalid="ignore"):  # a degenerate permutation (±inf) gives NaN, not a console warning
                c_crit = np.quantile(c_star, alpha, axis=0)
            c_p = (1.0 + (c_star <= st.c_obs + _TOL).sum(axis=0)) / (1.0 + used)
        else:
            c_crit = c_p = np.full(J, np.nan)
        if st.Y is not None:
            m_star, v_star = np.concatenate(st.m_draws), np.concatenate(st.v_draws)
            with np.errstate(invalid="ignore"):  # as above: NaN where a bound falls between infinite draws
                m_lo, m_hi = np.quantile(m_star, [alpha / 2, 1 - alpha / 2], axis=0)
                v_lo, v_hi = np.quantile(v_star, [alpha / 2, 1 - alpha / 2], axis=0)
            m_p, v_p = _p_two_sided(m_star, st.dm_obs), _p_two_sided(v_star, st.dv_obs)
        else:
            m_lo = m_hi = v_lo = v_hi = m_p = v_p = np.full(J, np.nan)
        table = pd.DataFrame({
            "segment_column": column, "segment_a": st.a.label, "segment_b": st.b.label, "construct": cids,
            "label": [model.label(c) for c in cids], "n_a": st.a.n, "n_b": st.b.n, "configural": True,
            "c": st.c_obs, "c_critical": c_crit, "c_p_value": c_p,
            "mean_difference": st.dm_obs, "mean_perm_lower": m_lo, "mean_perm_upper": m_hi, "mean_p_value": m_p,
            "log_var_difference": st.dv_obs, "var_perm_lower": v_lo, "var_perm_upper": v_hi, "var_p_value": v_p,
            "permutations_used": used,
        })[_STEP_COLUMNS]
        table.attrs["pooled_problem"] = st.pooled_problem
        tables.append(table)
    return tables


def _decide(table: pd.DataFrame, problems: dict[tuple[str, str], str | None], correction: str, level: float) -> pd.DataFrame:
    """Adjust each step's p values of one construct across the pairs and decide (module docstring)."""
    alpha = 1 - level
    table = table.copy()
    for step in ("c", "mean", "var"):
        p = table[f"{step}_p_value"].to_numpy(dtype=float)
        adjusted = np.full(len(table), np.nan)
        for rows in table.groupby("construct", sort=False).indices.values():
            adjusted[rows] = adjust_p_values(p[rows], correction)
        table[f"{step}_p_adjusted"] = adjusted
    # "not rejected" also where a test could not be made (NaN): the decision then says "not tested"
    table["compositional"] = ~(table["c_p_adjusted"] <= alpha)
    table["equal_means"] = ~(table["mean_p_adjusted"] <= alpha)
    table["equal_variances"] = ~(table["var_p_adjusted"] <= alpha)
    decisions = [_decision(r, problems.get((r["segment_a"], r["segment_b"])), correction, alpha)
                 for r in table.to_dict("records")]
    table["invariance"] = [d[0] for d in decisions]
    table["decision"] = [d[1] for d in decisions]
    table["correction"] = correction
    return table[MICOM_COLUMNS]


def _decision(r: dict, pooled_problem: str | None, correction: str, alpha: float) -> tuple[str, str]:
    """The ``invariance`` category and the ``decision`` sentence of one construct and pair."""
    construct = r["construct"]
    if not r["permutations_used"]:
        return NOT_TESTED, "not tested: no permutation could be estimated in both segments"
    if not r["compositional"]:
        adjusted = "" if correction == "none" else f", {_CORRECTION_NAMES[correction]}-adjusted {r['c_p_adjusted']:.3f}"
        return NONE, (
            f"compositional invariance not established (c = {r['c']:.4f}, {alpha:.0%} quantile of its permutation "
            f"distribution {r['c_critical']:.4f}; p = {r['c_p_value']:.3f}{adjusted}): {construct} is formed differently "
            f"in {r['segment_a']!r} and {r['segment_b']!r}; do not interpret path comparisons involving {construct} for this pair"
        )
    if pooled_problem is not None:
        return PARTIAL, (
            f"compositional invariance holds; means and variances not tested (the pooled model could not be "
            f"estimated: {pooled_problem}); path coefficients can be compared"
        )
    if r["equal_means"] and r["equal_variances"]:
        return FULL, "full measurement invariance: path coefficients can be compared, and the data could be pooled"
    unequal = " and ".join(x for x, ok in (("means", r["equal_means"]), ("variances", r["equal_variances"])) if not ok)
    return PARTIAL, (
        f"partial measurement invariance (composite {unequal} differ): path coefficients can be compared; "
        "do not pool the segments' data"
    )


# ====================================================================== micom
def micom(
    engine: PLS,
    data: SurveyData,
    column: str,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    permutations: int = 1000,
    seed: int | None = None,
    min_n: int = 50,
    level: float = 0.95,
    correction: str = "holm",
    progress: Callable[[int, int], None] | None = None,
    segments: Sequence[SegmentFit] | None = None,
) -> MicomResults:
    """MICOM steps 1–3 for every pair of estimated segments of ``column`` and every construct.

    The cost: per pair, one pooled fit and ``2 × permutations`` group refits; k segments give
    k(k − 1)/2 pairs. The refits of all pairs are one batched computation; a run
    (:func:`csi_survey.analysis.analyze`) makes MICOM only where it makes the pairwise tests
    (:func:`~csi_survey.segments.pairwise_plan`: by default for at most 10 segments).

    Parameters
    ----------
    engine, data:
        The :class:`~csi_survey.PLS` engine and the prepared :class:`~csi_survey.SurveyData`.
    column:
        The segment column (segments as in :func:`~csi_survey.segments.segment_analysis`).
    pairs:
        Pairs ``(a, b)`` of segment labels to test (default: every pair of estimated segments in
        segment order). A pair with a segment that is not estimated is skipped with a
        :class:`~csi_survey.exceptions.CsiSurveyWarning`; an unknown label raises
        :class:`~csi_survey.exceptions.SettingsError`.
    permutations:
        Label permutations per pair (1000; Henseler et al. recommend 5,000 for a firm decision).
    seed:
        Seed; each pair's stream is derived from ``seed``, the column and the pair's labels.
    min_n:
        Segments with fewer respondents are not estimated and not compared.
    level:
        A step rejects invariance when its (adjusted) p value is at most ``1 − level``; ``c_critical``
        is the ``1 − level`` quantile of c*, the step-3 intervals the central ``level`` interval of
        the permutation values.
    correction:
        ``"holm"`` (default), ``"bh"`` or ``"none"``: the adjustment of each construct's p values of
        a step across the pairs of the column (one pair: no change).
    progress:
        Called as ``progress(done, total)`` with permutations done over all pairs.
    segments : sequence of SegmentFit, optional
        The segments of ``column`` as :func:`~csi_survey.segments.comparable_segments` returns them
        (with the same ``min_n``), when the caller has them already: not estimated again.

    Returns
    -------
    MicomResults
        ``table`` (the ``micom`` table: :data:`MICOM_COLUMNS`), ``segments``, ``notes`` and ``summary()``.

    Raises
    ------
    TooFewSegmentsError
        When fewer than two segments of ``column`` can be estimated (the message names the fix).
    """
    check_engine(engine)
    permutations = check_count("permutations", permutations)
    min_n = check_count("min_n", min_n)
    level = check_level(level)
    if str(correction).lower() not in CORRECTIONS:
        raise SettingsError(
            f"correction must be one of {', '.join(map(repr, CORRECTIONS))}; got {correction!r}",
            hint="use 'holm' (family-wise error, the default), 'bh' (false discovery rate) or 'none' — on the "
            "command line --correction holm|bh|none.",
        )
    correction = str(correction).lower()
    seed = check_seed(seed)
    groups = list(segments) if segments is not None else comparable_segments(engine, data, column, min_n=min_n)
    by_label = {g.label: g for g in groups}
    order = [g.label for g in groups if g.fit is not None]
    if pairs is None:
        todo = [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    else:
        todo = []
        for pr in [(str(p[0]), str(p[1])) for p in pairs]:
            unknown = [s for s in pr if s not in by_label]
            if unknown:
                raise SettingsError(
                    f"pairs name segment(s) of {column!r} that do not occur in the data: {', '.join(map(repr, unknown))}",
                    hint=f"the segments of {column!r} are: {', '.join(repr(g.label) for g in groups)}.",
                )
            if pr[0] == pr[1]:
                raise SettingsError(f"a pair must name two different segments; got {pr!r}")
            skipped = [s for s in pr if by_label[s].fit is None]
            if skipped:
                warnings.warn(f"MICOM pair {pr[0]!r} vs {pr[1]!r} of {column!r} not tested: "
                              + "; ".join(f"{s!r} {by_label[s].status}" for s in skipped), CsiSurveyWarning, stacklevel=2)
            else:
                todo.append(pr)
    total = len(todo) * permutations
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, total)

    parts = _pairs(engine, data, column, [(by_label[a], by_label[b]) for a, b in todo], permutations, seed, level, tick)
    problems = {pair: part.attrs["pooled_problem"] for pair, part in zip(todo, parts)}
    steps = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_STEP_COLUMNS)
    table = _decide(steps, problems, correction, level)
    segments = pd.DataFrame({"segment": [g.label for g in groups], "n": [g.n for g in groups],
                             "status": [g.status for g in groups]})
    notes = tuple(
        f"MICOM {column}: {r.construct} is not compositionally invariant between {r.segment_a!r} and {r.segment_b!r} "
        f"(c = {r.c:.4f}, p = {r.c_p_value:.3f}"
        + ("" if correction == "none" else f", {_CORRECTION_NAMES[correction]}-adjusted {r.c_p_adjusted:.3f}")
        + f"): path comparisons involving {r.construct} for this pair should not be interpreted."
        for r in table.itertuples() if r.invariance == NONE
    )
    return MicomResults(column=column, table=table, segments=segments, notes=notes, permutations=permutations,
                        seed=int(seed), level=float(level), correction=correction)
