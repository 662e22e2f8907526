"""Batched re-estimation of a PLS model on reweighted respondents: the engine under the bootstrap,
the permutation tests of segment differences and the wave changes.

A PLS model needs only the item covariance (or correlation) matrix. For respondents counted
``k_b`` times (a bootstrap draw, or the 0/1 membership of a group), that matrix follows from
count-weighted moments of the centred items, and the moments of m such reweightings are one
matrix product ``K · [xᵢ xⱼ]``; the PLS iterations then run on the stacked matrices. The public
API, used by :mod:`csi_survey.engine.bootstrap`, :mod:`csi_survey.segments` and the batch:

- :func:`statistic_labels` — which statistics a re-estimate yields, and their full-sample values;
- :func:`moment_state` — the centred data and settings, made once;
- :func:`estimate_batch` — the statistics for every row of a count matrix K;
- :func:`count_moments`, :func:`moment_products` — the count-weighted moments, and the item
  products ``[xᵢ xⱼ]`` (i ≤ j) they are made from.

The products are formed once per state (:attr:`ResampleState.products`, when they take at most
:data:`PRODUCTS_CAP` bytes), so each batch of counts costs one product ``K · [xᵢ xⱼ]`` per block of
respondents instead of forming the products again for every batch; beyond the cap (e.g. a million
respondents) they are formed block by block for every batch, into one reused buffer. The second
moments are always summed over the same blocks of :data:`ROW_BLOCK` respondents, in the same
order, by matrix products of the same shapes and memory layout (column-major products: OpenBLAS's
kernels for small products round differently for another layout) — with or without the cache, the
numbers are identical to the last bit (the same seed gives the same draws as before the cache).

Consistent PLS: when the model has reflective constructs
(:attr:`~csi_survey.schema.Questionnaire.reflective_ids`), every re-estimate applies the PLSc
correction in batched form (:func:`~csi_survey.engine.plsc.plsc_batch`), so the paths, total
effects, loadings and R² of the draws are PLSc values, as in :meth:`~csi_survey.engine.pls.PLS.fit`;
the statistics then also include ``rho_a`` (each corrected construct) and
``construct_correlation`` (every pair, disattenuated). Inadmissible draws (disattenuated
correlations not positive semi-definite) are kept, as seminr's ``bootstrap_model()`` keeps them;
a draw whose ρA is not positive (the correction is undefined) fails.

Reference: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 6 (resampling by
counts); the PLS algorithm as in :mod:`csi_survey.engine.pls`; PLSc as in :mod:`csi_survey.engine.plsc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..assess import htmt_matrix
from ..index import indices_from_means
from ..ingest.weights import estimation_weight
from .pls import OK, SINGULAR, pls_core_batch
from .plsc import plsc_batch, reflective_mask

__all__ = ["ResampleState", "StatisticLayout", "statistic_labels", "construct_blocks", "count_moments",
           "estimate_batch", "moment_state", "moment_products", "cached_rows", "ROW_BLOCK", "PRODUCTS_CAP"]

#: Respondents per block when the second moments are summed (bounds the memory of one product).
ROW_BLOCK = 20_000
#: Largest cache of item products kept in a :class:`ResampleState` (bytes; 256 MiB): e.g.
#: 111,000 respondents × 24 items (300 products) or 319,000 × 14 items (105); beyond it, no cache:
#: the products are formed block by block for every batch.
PRODUCTS_CAP = 256 * 2**20


@dataclass(frozen=True)
class ResampleState:
    """Everything needed to re-estimate a PLS model on reweighted respondents (sent once per worker).

    Made by :func:`moment_state`; used by :func:`estimate_batch`."""

    Xc: np.ndarray          # n × p, centred at the full-sample means
    means: np.ndarray       # p, full-sample item means
    blocks: list
    modes: list
    adj: np.ndarray
    scheme: str
    scaled: bool
    tol: float
    max_iter: int
    names: list
    item_names: list
    model: Any
    layout: Any             # positions of the statistics in the fitted matrices
    weight: np.ndarray | None = None  # n survey weights (mean 1); None: unweighted (or equal weights)
    reflective: np.ndarray | None = None  # J mask of the constructs PLSc corrects; None: plain PLS
    #: :func:`moment_products` of Xc (when within PRODUCTS_CAP); None: formed per batch. Never changes the numbers.
    products: np.ndarray | None = None


@dataclass(frozen=True)
class StatisticLayout:
    """Where each statistic of :func:`statistic_labels` sits in the fitted matrices (construct and item positions)."""

    path_src: np.ndarray
    path_tgt: np.ndarray
    eff_src: np.ndarray
    eff_tgt: np.ndarray
    item_pos: np.ndarray
    item_construct: np.ndarray
    endo: np.ndarray
    htmt_i: np.ndarray
    htmt_j: np.ndarray
    rho_a: np.ndarray | None = None   # PLSc fits: positions of the corrected constructs
    cor_i: np.ndarray | None = None   # PLSc fits: the construct correlation pairs (lower triangle)
    cor_j: np.ndarray | None = None
    htmt_absolute: bool = False       # HTMT from absolute correlations (seminr) instead of signed ones (cSEM)


def statistic_labels(fit: Any, htmt: str = "signed") -> tuple[pd.DataFrame, np.ndarray, StatisticLayout]:
    """The statistics that a resample estimates, for a PLS fit: ``(labels, estimates, layout)``.

    ``labels`` has one row (statistic, source, target) per path, total effect, outer weight,
    loading, R², 0–100 index and HTMT value, in the column order of :func:`estimate_batch`;
    ``estimates`` are the full-sample values; ``layout`` says where each sits in the fitted matrices.
    A consistent-PLS fit (``fit.reliability`` set) adds ``rho_a`` (source = each corrected
    construct) and ``construct_correlation`` (source, target: every pair, disattenuated) rows.
    ``htmt``: the HTMT convention of the ``htmt`` rows, "signed" (cSEM) or "absolute" (seminr)."""
    model = fit.model
    cids = model.construct_ids
    pos = {c: j for j, c in enumerate(cids)}
    rows: list[tuple[str, str, str]] = []
    est: list[np.ndarray] = []

    rows += [("path", s, t) for s, t in zip(fit.paths["source"], fit.paths["target"])]
    est.append(fit.paths["estimate"].to_numpy())
    rows += [("total_effect", s, t) for s, t in zip(fit.effects["source"], fit.effects["target"])]
    est.append(fit.effects["total_effect"].to_numpy())
    rows += [("weight", c, i) for c, i in zip(fit.weights["construct"], fit.weights["item"])]
    est.append(fit.weights["weight"].to_numpy())
    rows += [("loading", c, i) for c, i in zip(fit.weights["construct"], fit.weights["item"])]
    est.append(fit.weights["loading"].to_numpy())
    rows += [("r2", c, "") for c in fit.r2["construct"]]
    est.append(fit.r2["r2"].to_numpy())
    rows += [("index", c, "") for c in fit.index["construct"]]
    est.append(fit.index["index"].to_numpy())
    hi, hj = np.tril_indices(len(cids), -1)
    rows += [("htmt", cids[i], cids[j]) for i, j in zip(hi, hj)]
    absolute = htmt == "absolute"
    est.append(htmt_matrix(fit.item_correlations.to_numpy()[None], construct_blocks(model), absolute=absolute)[0, hi, hj])
    plsc: dict[str, np.ndarray] = {}
    reliability = getattr(fit, "reliability", None)
    if reliability is not None:
        corrected = reliability[reliability["corrected"]]
        rows += [("rho_a", c, "") for c in corrected["construct"]]
        est.append(corrected["rho_a"].to_numpy(dtype=float))
        cc = fit.construct_correlations.loc[cids, cids].to_numpy(dtype=float)
        rows += [("construct_correlation", cids[i], cids[j]) for i, j in zip(hi, hj)]
        est.append(cc[hi, hj])
        plsc = {"rho_a": np.array([pos[c] for c in corrected["construct"]], dtype=int), "cor_i": hi, "cor_j": hj}

    layout = StatisticLayout(
        path_src=np.array([pos[s] for s in fit.paths["source"]], dtype=int),
        path_tgt=np.array([pos[t] for t in fit.paths["target"]], dtype=int),
        eff_src=np.array([pos[s] for s in fit.effects["source"]], dtype=int),
        eff_tgt=np.array([pos[t] for t in fit.effects["target"]], dtype=int),
        item_pos=np.arange(len(model.item_ids)),
        item_construct=np.array([pos[model.construct_of[i]] for i in model.item_ids], dtype=int),
        endo=np.array([pos[c] for c in fit.r2["construct"]], dtype=int),
        htmt_i=hi,
        htmt_j=hj,
        htmt_absolute=absolute,
        **plsc,
    )
    labels = pd.DataFrame(rows, columns=["statistic", "source", "target"])
    return labels, np.concatenate(est), layout


def construct_blocks(model: Any) -> list[np.ndarray]:
    """Per construct, the positions of its items in ``model.item_ids``."""
    pos = {item: k for k, item in enumerate(model.item_ids)}
    return [np.array([pos[i] for i in c.item_ids]) for c in model.constructs.values()]


def moment_products(Xc: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The products ``xᵢ xⱼ`` (i ≤ j, in ``np.triu_indices(p)`` order) of each row of Xc: n × p(p+1)/2.

    Column-major (the transpose of a C-ordered p(p+1)/2 × n array), as ``Xc[:, iu] * Xc[:, ju]`` lays
    them out: a matrix product with them takes the same BLAS path (OpenBLAS's kernels for small
    products round differently for the two layouts), so the moments are the same to the last bit.
    ``out``: a C-ordered p(p+1)/2 × m array (m ≥ n) whose first n columns receive them (reused
    from block to block)."""
    n, p = Xc.shape
    q = p * (p + 1) // 2
    PT = np.empty((q, n)) if out is None else out[:, :n]
    XT = np.ascontiguousarray(Xc.T)  # items as contiguous rows: twice as fast as multiplying strided columns
    k = 0
    for i in range(p):  # rows k … k + p − i − 1: xᵢ·xᵢ, xᵢ·xᵢ₊₁, …, xᵢ·xₚ
        np.multiply(XT[i], XT[i:], out=PT[k:k + p - i])
        k += p - i
    return PT.T


def cached_rows(n: int, p: int, cap: float | None = None) -> int:
    """How many of n respondents' products (p items) a state caches: all n when they fit in ``cap`` bytes
    (default :data:`PRODUCTS_CAP`), else none (measured on 1M × 14: caching the first 300,000 within
    256 MiB saved 2 % of the bootstrap's time for 244 MiB more memory in every process)."""
    cap = PRODUCTS_CAP if cap is None else cap
    return n if n * 8 * (p * (p + 1) // 2) <= cap else 0


def count_moments(Xc: np.ndarray, K: np.ndarray, products: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count-weighted totals of the rows of K (m × n): N = Σₙ kₙ (m), first moments K·Xc (m × p) and
    second moments Σₙ kₙ xₙxₙᵀ (m × p × p), summed over blocks of :data:`ROW_BLOCK` respondents.

    ``products``: :func:`moment_products` of the first rows of Xc (all of them, or whole blocks), used
    instead of forming them again; the rest are formed block by block. Identical numbers either way."""
    n, p = Xc.shape
    iu, ju = np.triu_indices(p)
    N = K.sum(axis=1)
    S1 = K @ Xc
    S2 = np.zeros((K.shape[0], len(iu)))
    cached = 0 if products is None else products.shape[0]
    buffer = None
    for r0 in range(0, n, ROW_BLOCK):
        r1 = min(r0 + ROW_BLOCK, n)
        if r1 <= cached:
            Pb = products[r0:r1]
        else:
            if buffer is None:
                buffer = np.empty((len(iu), min(ROW_BLOCK, n)))
            Pb = moment_products(Xc[r0:r1], out=buffer)
        S2 += K[:, r0:r1] @ Pb
    full = np.empty((K.shape[0], p, p))
    full[:, iu, ju] = S2
    full[:, ju, iu] = S2
    return N, S1, full


def estimate_batch(state: ResampleState, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Re-estimate the model for each row of counts K (m × n): statistics (m × k), status, problems.

    Row b of K says how often each respondent counts (a bootstrap draw: counts 0, 1, 2 …; a group
    of a permutation test: 0/1). Its covariance follows from count-weighted moments,
    ``Σ_b = (Xcᵀ diag(k_b) Xc − N_b m_b m_bᵀ)/(N_b − 1)`` with ``N_b = Σ k_b`` and ``m_b`` the
    count-weighted mean of the centred items, and the PLS algorithm runs on all m matrices at
    once (:func:`~csi_survey.engine.pls.pls_core_batch`). Columns follow :func:`statistic_labels`;
    ``status`` is :data:`~csi_survey.engine.pls.OK` where the estimate converged, ``problems``
    says why a row failed.

    With survey weights the moments are taken with the weights ``K · w`` (each respondent's count
    times its weight), so a 0/1 row of K estimates the weighted model on that group."""
    if state.weight is not None:
        K = K * state.weight
    N, S1, S2 = count_moments(state.Xc, K, state.products)
    mean = S1 / N[:, None]
    scatter = S2 - N[:, None, None] * mean[:, :, None] * mean[:, None, :]
    ddof = 1 if state.scaled else 0
    cov = scatter / (N - ddof)[:, None, None]
    var = np.einsum("bii->bi", cov)
    sd = np.sqrt(np.clip(var, 0, None))
    flat = (sd <= 1e-12 * np.maximum(1.0, np.abs(state.means + mean))).any(axis=1)
    safe_sd = np.where(sd > 0, sd, 1.0)
    C = cov / (safe_sd[:, :, None] * safe_sd[:, None, :]) if state.scaled else cov
    C[flat] = np.eye(C.shape[1])
    core = pls_core_batch(C, state.blocks, state.modes, state.adj, state.scheme, state.tol, state.max_iter,
                          state.names, state.item_names)
    status = core.status.copy()
    problems = dict(core.problems)
    paths, total, loadings, r2 = core.paths, core.total_effects, core.cross_loadings, core.r2
    consistent = state.reflective is not None and state.reflective.any()
    if consistent:
        pc = plsc_batch(C, core.weights, core.construct_corr, core.cross_loadings, state.blocks, state.adj,
                        state.reflective, state.names)
        paths, total, loadings, r2 = pc.paths, pc.total_effects, pc.loadings, pc.r2
        for b, message in pc.problems.items():
            if status[b] == OK:
                status[b] = SINGULAR
                problems[b] = message
    for b in np.flatnonzero(flat):
        status[b] = 2
        problems[int(b)] = "an item has the same answer for every respondent of this resample"

    lay: StatisticLayout = state.layout
    if state.scaled:
        raw = core.weights / safe_sd[:, :, None]
    else:
        raw = core.weights * np.sqrt((N - 1) / N)[:, None, None]  # as PLS.fit (unit n − 1 variance)
    index = indices_from_means(state.model, raw, state.means + mean)
    R = cov / (safe_sd[:, :, None] * safe_sd[:, None, :])
    htmt = htmt_matrix(R, state.blocks, absolute=lay.htmt_absolute)
    parts = [
        paths[:, lay.path_src, lay.path_tgt],
        total[:, lay.eff_src, lay.eff_tgt],
        core.weights[:, lay.item_pos, lay.item_construct],
        loadings[:, lay.item_pos, lay.item_construct],
        r2[:, lay.endo],
        index,
        htmt[:, lay.htmt_i, lay.htmt_j],
    ]
    if consistent and lay.rho_a is not None:
        parts += [pc.rho_a[:, lay.rho_a], pc.construct_corr[:, lay.cor_i, lay.cor_j]]
    return np.concatenate(parts, axis=1), status, problems


def moment_state(model: Any, X: np.ndarray, settings: Any, layout: Any, weight: np.ndarray | None = None, *,
                 products_cap: float | None = None) -> ResampleState:
    """The batched-estimation state for the n × p items X (and survey weights, one per row of X).

    The item products of the centred data are cached (:attr:`ResampleState.products`) up to
    ``products_cap`` bytes (default :data:`PRODUCTS_CAP`; 0: no cache); the numbers do not depend on it."""
    ew = estimation_weight(weight)  # None for equal weights: bit-identical to the unweighted bootstrap
    means = X.mean(axis=0) if ew is None else (ew @ X) / ew.sum()
    Xc = X - means
    rows = cached_rows(Xc.shape[0], Xc.shape[1], products_cap)
    return ResampleState(
        Xc=Xc, means=means, blocks=construct_blocks(model), modes=[c.mode for c in model.constructs.values()],
        adj=model.adjacency, scheme=settings["scheme"], scaled=settings.get("scaled", True), tol=settings["tol"],
        max_iter=settings["max_iter"], names=model.construct_ids, item_names=model.item_ids, model=model, layout=layout,
        weight=ew, reflective=_reflective(model), products=moment_products(Xc[:rows]) if rows else None,
    )


def _reflective(model: Any) -> np.ndarray | None:
    """The PLSc mask of the model's constructs, or None when none is reflective (plain PLS)."""
    if not getattr(model, "reflective_ids", None):
        return None
    return reflective_mask(model)
