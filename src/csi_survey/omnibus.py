"""The omnibus test across all segments of a column: do the segments differ at all?

Four regions give six pairs; testing each pair at 5 % finds a "difference" far more often than one
time in twenty when the regions do not differ. The omnibus test asks one question per statistic
first — is there any difference among the k segments? — and the pairwise tests of
:func:`csi_survey.segments.segment_differences` (adjusted across the pairs, Holm by default) then
say which pairs differ.

For a statistic θ (a 0–100 index or a path coefficient) estimated in each of the k estimated
segments of a column, with n_g respondents in segment g, N = Σ n_g and shares π_g = n_g / N, the
test statistic is the weighted between-segment variance of the k estimates

    T = Σ_g π_g (θ̂_g − θ̄)²,      θ̄ = Σ_g π_g θ̂_g.

The segment labels are permuted among the N respondents (segment sizes kept), every segment is
re-estimated and T* recorded, P times; the p value is

    p = (1 + #{T* ≥ T}) / (1 + P)

(the observed labelling counted once, Phipson & Smyth 2010). Permutations on which a segment cannot
be estimated are left out of P (among them, exactly, those that leave an item with a single value in
a segment: :func:`csi_survey.segments.constant_items`). For k = 2, T = π_a π_b d² with d the difference of the two
estimates: a monotone function of abs(d), so the omnibus test of two segments is the two-sided
permutation test of Chin & Dibbern (2010) that :func:`~csi_survey.segments.segment_differences`
makes. The shares use respondents, not survey weights, so they stay fixed under permutation; with
weighted data each segment is estimated with its respondents' weights, which travel with the
respondents when the labels are permuted.

The segments are re-estimated in batches (:mod:`csi_survey.engine.resample`): every segment of a
permutation is a 0/1 row of a count matrix, so k rows per permutation, and each batched estimate
equals ``PLS(...).fit`` on that group.

One test per statistic is made; ``significant`` flags ``p_value < 1 − level`` without a correction
across the statistics (the indices and paths answer different questions of the report).

References: Chin, W. W. & Dibbern, J. (2010), "An introduction to a permutation based procedure for
multi-group PLS analysis", *Handbook of Partial Least Squares*, 171–193; Sarstedt, M., Henseler, J. &
Ringle, C. M. (2011), "Multigroup analysis in partial least squares (PLS) path modeling: alternative
methods and empirical results", *Advances in International Marketing* 22, 195–218 (an omnibus test
of group differences across k groups, there with bootstrap estimates and an F ratio); Edgington, E.
S. & Onghena, P. (2007), *Randomization Tests*, 4th ed., ch. 4 (k-sample permutation tests on the
between-group sum of squares); Phipson & Smyth (2010), *Statistical Applications in Genetics and
Molecular Biology* 9(1). R equivalent: ``cSEM::testMGD(.approach_mgd = "Sarstedt")`` (bootstrap F
statistic with a permutation reference distribution).

>>> import numpy as np
>>> between_variance(np.array([[60.0, 70.0]]), np.array([0.5, 0.5])).round(3).tolist()
[25.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .engine.pls import OK, PLS, item_matrix
from .engine.resample import estimate_batch, moment_state, statistic_labels
from .exceptions import EstimationError, check_count, check_level, check_seed
from .ingest.prepare import SurveyData
from .segments import BATCH_BYTES, SegmentFit, check_engine, comparable_segments, constant_items, derived_seed, value_codes

__all__ = ["segment_omnibus", "between_variance", "SEGMENT_OMNIBUS_COLUMNS", "comparison_statistics"]

#: Columns of the ``segment_omnibus`` table (one row per column and statistic).
SEGMENT_OMNIBUS_COLUMNS = [
    "segment_column", "statistic", "source", "target", "segments", "n", "value_min", "value_max",
    "dispersion", "p_value", "significant", "method",
]

#: Most group estimates per batch (k per permutation); the count matrix also stays within
#: :data:`csi_survey.segments.BATCH_BYTES`. The numbers do not depend on it.
ROWS_PER_BATCH = 2_000


def between_variance(values: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The weighted between-segment variance ``Σ_g π_g (θ_g − θ̄)²`` of estimates ``values``
    (… × k × s, or k × s) with segment shares ``shares`` (k, summing to 1), over the segment axis."""
    values = np.asarray(values, dtype=float)
    w = np.asarray(shares, dtype=float)
    axis = values.ndim - 2
    shape = [1] * values.ndim
    shape[axis] = len(w)
    w = w.reshape(shape)
    mean = (w * values).sum(axis=axis, keepdims=True)
    return (w * (values - mean) ** 2).sum(axis=axis)


def comparison_statistics(fit: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The 0–100 indices and path coefficients that segments are compared on: their rows
    (statistic, source, target) and positions in the statistics of :func:`~csi_survey.engine.resample.statistic_labels`."""
    labels, _, _ = statistic_labels(fit)
    kind = labels["statistic"].to_numpy()
    pos = np.concatenate([np.flatnonzero(kind == "index"), np.flatnonzero(kind == "path")])
    return labels.iloc[pos].reset_index(drop=True), pos








def segment_omnibus(
    engine: PLS,
    data: SurveyData,
    column: str,
    *,
    permutations: int = 1000,
    seed: int | None = None,
    min_n: int = 50,
    level: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
    segments: Sequence[SegmentFit] | None = None,
) -> pd.DataFrame:
    """The omnibus permutation test of every 0–100 index and path coefficient across the segments of ``column``.

    The cost: ``permutations × k`` group refits (k estimated segments), batched; linear in k, so the
    omnibus test runs for any number of segments (100 segments, 1,000 permutations: 100,000
    refits, a few seconds), unlike the k(k − 1)/2 pairwise tests.

    Parameters
    ----------
    engine, data:
        The :class:`~csi_survey.PLS` engine and the prepared :class:`~csi_survey.SurveyData`.
    column:
        The segment column (its segments as in :func:`~csi_survey.segments.segment_analysis`; every
        segment with at least ``min_n`` respondents that can be estimated takes part).
    permutations:
        Label permutations (1000); the smallest possible p value is ``1 / (1 + permutations)``.
    seed:
        Seed; the stream is derived from ``seed`` and the column, so it does not depend on other
        columns tested. ``None`` draws one, recorded in ``table.attrs["seed"]``.
    min_n:
        Segments with fewer respondents are left out of the test.
    level:
        ``significant`` flags ``p_value < 1 − level``.
    progress:
        Called as ``progress(done, total)`` with the permutations done.
    segments : sequence of SegmentFit, optional
        The segments of ``column`` as :func:`~csi_survey.segments.comparable_segments` returns them
        (with the same ``min_n``), when the caller has them already: not estimated again.

    Returns
    -------
    DataFrame
        The ``segment_omnibus`` table: ``segment_column, statistic ("index" | "path"), source,
        target ("" for an index), segments (k), n (respondents of the k segments), value_min,
        value_max (the smallest and largest segment estimate), dispersion (T), p_value,
        significant, method ("permutation")``. ``table.attrs`` records ``seed``, ``permutations``,
        ``permutations_used`` and ``segments`` (the labels tested, in order).

    Raises
    ------
    TooFewSegmentsError
        When fewer than two segments of ``column`` can be estimated (the message names the fix).
    """
    check_engine(engine)
    permutations = check_count("permutations", permutations, 1)
    min_n = check_count("min_n", min_n, 1)
    level = check_level(level)
    seed = check_seed(seed)
    if segments is None:
        segments = comparable_segments(engine, data, column, min_n=min_n)
    groups = [g for g in segments if g.fit is not None]
    k = len(groups)
    stats, pos = comparison_statistics(groups[0].fit)
    keys = ["statistic", "source", "target"]
    observed = []
    for g in groups:
        labels, values = comparison_statistics(g.fit)[0], statistic_labels(g.fit)[1]
        if not labels[keys].equals(stats[keys]):
            raise EstimationError("internal error: the segments' statistics do not line up")
        observed.append(values[pos])
    observed = np.array(observed)  # k × s
    sizes = np.array([g.n for g in groups], dtype=float)
    shares = sizes / sizes.sum()
    t_obs = between_variance(observed, shares)

    codes = np.full(data.n_used, -1)
    for j, g in enumerate(groups):
        codes[g.positions] = j
    pooled = codes >= 0
    codes = codes[pooled]
    X, _ = item_matrix(engine.model, data.items)
    weight = None if data.weight is None else np.asarray(data.weight)[pooled]
    _, _, layout = statistic_labels(groups[0].fit)
    state = moment_state(engine.model, X[pooled], engine.settings, layout, weight)
    answers = value_codes(X[pooled])  # to find groups with a constant item exactly (segments.constant_items)

    rng = np.random.default_rng(derived_seed(seed, "omnibus", column))
    n = len(codes)
    per_batch = max(1, min(ROWS_PER_BATCH, BATCH_BYTES // (8 * n)) // k)  # permutations per batched refit
    tol = 1e-9 * np.abs(t_obs) + 1e-15  # a permutation as extreme as the data, up to rounding, counts
    extreme = np.zeros(len(t_obs))
    used = 0
    for start in range(0, permutations, per_batch):
        h = min(per_batch, permutations - start)
        # one permutation after the other from one stream: the same draws whatever the batch size
        perm = np.stack([codes[rng.permutation(n)] for _ in range(h)])
        K = (perm[:, None, :] == np.arange(k)[None, :, None]).reshape(h * k, n).astype(float)
        values, status, _ = estimate_batch(state, K)
        estimable = (status == OK) & ~constant_items(K, answers)  # a group with one value on an item cannot be estimated
        ok = estimable.reshape(h, k).all(axis=1)
        t = between_variance(values[:, pos].reshape(h, k, -1)[ok], shares)
        extreme += (t >= t_obs - tol).sum(axis=0)
        used += int(ok.sum())
        if progress is not None:
            progress(start + h, permutations)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (1.0 + extreme) / (1.0 + used) if used else np.full(len(t_obs), np.nan)
    p[~np.isfinite(t_obs)] = np.nan

    table = stats.copy()
    table.insert(0, "segment_column", column)
    table["segments"] = k
    table["n"] = int(sizes.sum())
    table["value_min"] = observed.min(axis=0)
    table["value_max"] = observed.max(axis=0)
    table["dispersion"] = t_obs
    table["p_value"] = p
    table["significant"] = np.nan_to_num(p, nan=1.0) < 1 - level
    table["method"] = "permutation"
    table = table[SEGMENT_OMNIBUS_COLUMNS]
    table.attrs.update({
        "seed": seed, "permutations": permutations, "permutations_used": used, "level": level,
        "segments": [g.label for g in groups],
    })
    return table
