"""PLS path modeling (the ACSI estimation method), computed on the item correlation matrix.

Lohmöller's (1989) algorithm as implemented in SmartPLS, R seminr and R plspm:

1. Items are standardized (``scaled=True``, sd with n − 1) or only centred (``scaled=False``).
   Let ``C`` be their correlation (covariance) matrix.
2. Outer weights start at 1 and are normalized so every construct score has unit variance:
   ``w_j ← w_j / sqrt(w_jᵀ C_jj w_j)``.
3. Inner weights ``E`` from the construct correlations ``Φ = Wᵀ C W``:
   *centroid* ``e_ij = sign(φ_ij)``, *factorial* ``e_ij = φ_ij`` (for adjacent i, j),
   *path weighting* — for a predecessor i of j, the coefficient of i in the regression of j on
   all of j's predecessors; for a successor i of j, ``φ_ij``.
4. Inner proxies ``Z = Y E`` enter only through ``Cov(X, Z) = C W E``: mode A
   ``w_j = (C W E)_{block j, j}`` (correlation weights), mode B
   ``w_j = C_jj⁻¹ (C W E)_{block j, j}`` (regression weights); normalize as in 2.
5. Repeat 3–4 until the largest change of an outer weight is below ``tol`` (1e-7).
6. Path coefficients by OLS on the construct correlations, ``β_j = Φ_PP⁻¹ Φ_Pj``;
   ``R²_j = β_jᵀ Φ_Pj``; total effects ``T = (I − B)⁻¹ − I``; loadings
   ``corr(x_i, Y_j) = (C W)_ij / sqrt(C_ii)``.

Because every step after (1) uses only ``C`` (p × p), an iteration costs O(p²) whatever the
number of respondents; the data are touched twice: once for ``C`` and once for the scores.

Consistent PLS: when the spec declares reflective constructs (``measurement: reflective``,
:attr:`~csi_survey.schema.Questionnaire.reflective_ids`), the fit applies the PLSc correction of
Dijkstra & Henseler (2015) after step 5 (:mod:`csi_survey.engine.plsc`): ρA per reflective block,
consistent loadings, disattenuated construct correlations and paths, R² and total effects from
them. Weights, scores and 0–100 indices stay those of the PLS composites. A model without
reflective constructs is estimated exactly as before.

Survey weights (``SurveyData.weight``, see :mod:`csi_survey.ingest.weights`; or ``fit(frame, weight=w)``)
enter only through step 1, as in weighted PLS (SmartPLS's weighting vector, R cSEM's
``.id``/weights): with the weights wₙ rescaled to mean 1 (Σw = n),

    m = Σₙ wₙ xₙ / Σw,    C = Xcᵀ diag(w) Xc / (Σw − 1)        (Xc = X − m; Σw for ``scaled=False``)

and the construct scores are centred at the weighted means with unit weighted variance (same
divisor). This is the *frequency-weight* convention: for integer weights it gives exactly the
estimates of the data with each respondent repeated wₙ times — the correlations (hence weights,
loadings, paths, R² and 0–100 indices) do not depend on the divisor at all; only the raw scale of
the scores does (R's ``cov.wt(method = "unbiased")`` divides by 1 − Σw̃² with w̃ = w/Σw instead,
which changes no standardized estimate). Equal weights take the unweighted code path, so they give
bit-identical numbers.

References: Lohmöller, J.-B. (1989), *Latent Variable Path Modeling with Partial Least Squares*;
Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), *PLS path modeling*, CSDA 48, 159–205;
Fornell et al. (1996), *The American Customer Satisfaction Index*, Journal of Marketing 60(4).
R equivalents: ``seminr::estimate_pls()``, ``plspm::plspm()``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import (
    AdmissibilityWarning,
    ConvergenceError,
    EstimationError,
    SettingsError,
    SingularMatrixError,
    check_choice,
)
from ..schema import Questionnaire
from ..ingest.weights import check_weight_array, estimation_weight
from ..results import build_pls_results
from .plsc import admissibility_problems, plsc_batch, reflective_mask, reliability_table
from .threads import single_threaded_blas

__all__ = ["PLS", "SCHEMES", "PLSCore", "BatchCore", "ItemMoments", "pls_core", "pls_core_batch", "inner_model",
           "item_matrix", "item_moments"]

SCHEMES = ("path", "centroid", "factorial")
Scheme = Literal["path", "centroid", "factorial"]


@dataclass(frozen=True)
class PLSCore:
    """The numeric core of one PLS fit (everything is computed from the item matrix ``C``)."""

    weights: np.ndarray          # p × J outer weights (block-diagonal pattern)
    construct_corr: np.ndarray   # J × J correlations of the construct scores
    cross_loadings: np.ndarray   # p × J correlations item × construct score
    paths: np.ndarray            # J × J path coefficients, [i, j] = i → j
    r2: np.ndarray               # J, NaN for exogenous constructs
    total_effects: np.ndarray    # J × J
    iterations: int
    loadings: np.ndarray | None = None  # p × J consistent (PLSc) loadings; None: the own-construct cross-loadings


#: Status codes of :class:`BatchCore` entries.
OK, NOT_CONVERGED, SINGULAR = 0, 1, 2


@dataclass(frozen=True)
class BatchCore:
    """PLS on a batch of B item matrices: every array has a leading batch axis.

    ``status[b]`` is ``OK``, ``NOT_CONVERGED`` or ``SINGULAR``; ``problems[b]`` says why for a failed
    entry. Arrays of failed entries hold NaN where the computation could not be completed.
    """

    weights: np.ndarray          # B × p × J
    construct_corr: np.ndarray   # B × J × J
    cross_loadings: np.ndarray   # B × p × J
    paths: np.ndarray            # B × J × J
    r2: np.ndarray               # B × J
    total_effects: np.ndarray    # B × J × J
    iterations: np.ndarray       # B
    status: np.ndarray           # B
    last_change: np.ndarray      # B, largest weight change of the last iteration
    problems: dict[int, str]

    def entry(self, b: int) -> PLSCore:
        return PLSCore(
            self.weights[b], self.construct_corr[b], self.cross_loadings[b], self.paths[b], self.r2[b],
            self.total_effects[b], int(self.iterations[b]),
        )

    def checked(self, b: int, tol: float, max_iter: int) -> PLSCore:
        """Entry ``b`` as :func:`pls_core` returns it: raises :class:`SingularMatrixError` or
        :class:`ConvergenceError` (``tol``, ``max_iter``: the settings of the run, for the message)
        when the entry failed."""
        status = int(self.status[b])
        if status == SINGULAR:
            raise SingularMatrixError(
                self.problems[b],
                hint="remove one of the collinear items or constructs, or check for duplicated items.",
            )
        if status == NOT_CONVERGED:
            raise ConvergenceError(
                f"PLS did not converge in {max_iter} iterations (largest change of an outer weight "
                f"in the last iteration: {self.last_change[b]:.2e}, tolerance {tol:g})",
                hint="raise max_iter (--max-iter), try scheme 'centroid', or check for items that measure "
                "nothing (very low loadings) and constructs with a single weak item.",
            )
        return self.entry(b)


def _batched_solve(a: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``a[m] x = rhs[m]`` for a batch; returns x and a mask of the solvable entries."""
    try:
        x = np.linalg.solve(a, rhs[..., None])[..., 0]
        ok = np.isfinite(x).all(axis=-1)
        return x, ok
    except np.linalg.LinAlgError:
        ok = np.isfinite(a).all(axis=(-2, -1))
        ok[ok] = np.linalg.cond(a[ok]) < 1e13
        eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
        x = np.linalg.solve(np.where(ok[:, None, None], a, eye), rhs[..., None])[..., 0]
        x[~ok] = np.nan
        return x, ok


def _batched_inv(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each matrix of a batch; returns the inverses and a mask of the invertible ones."""
    ok = np.isfinite(a).all(axis=(-2, -1))
    try:
        inv = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        ok[ok] = np.linalg.cond(a[ok]) < 1e13
        eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
        inv = np.linalg.inv(np.where(ok[:, None, None], a, eye))
        inv[~ok] = np.nan
    return inv, ok


class _Problems:
    def __init__(self, status: np.ndarray):
        self.status = status
        self.messages: dict[int, str] = {}

    def fail(self, entries: np.ndarray, message: str) -> None:
        """Mark the batch entries with these positions as singular (keeping the first reason)."""
        for b in np.asarray(entries, dtype=int).ravel():
            b = int(b)
            if self.status[b] != SINGULAR:
                self.status[b] = SINGULAR
                self.messages[b] = message


def _normalize(W: np.ndarray, C: np.ndarray, blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Scale each construct's weights so its score has unit variance; returns the ok-mask per entry."""
    ok = np.ones(W.shape[0], dtype=bool)
    for j, idx in enumerate(blocks):
        w = W[:, idx, j]
        var = np.einsum("bi,bij,bj->b", w, C[:, idx[:, None], idx[None, :]], w)
        good = var > 0
        ok &= good
        W[:, idx, j] = w / np.sqrt(np.where(good, var, 1.0))[:, None]
    return ok


class _Structure:
    """The structural model of a batch: one adjacency matrix for every entry (J × J), or one per entry
    (B × J × J). For construct j, :meth:`groups` yields the entries that share a set of predecessors."""

    def __init__(self, adj: np.ndarray, batch: int):
        adj = np.asarray(adj, dtype=float)
        J = adj.shape[-1]
        self.shared = adj.ndim == 2
        if not (adj.shape == (J, J) or adj.shape == (batch, J, J)):
            raise ValueError(f"adj must be J × J or B × J × J (B = {batch}); got shape {adj.shape}")
        self.adj = adj
        self.preds: list[list[tuple[np.ndarray | None, np.ndarray]]] = []
        for j in range(J):
            if self.shared:
                self.preds.append([(None, np.flatnonzero(adj[:, j]))])
                continue
            into = adj[:, :, j] != 0  # B × J: the predecessors of j in each entry
            if (into == into[0]).all():
                self.preds.append([(None, np.flatnonzero(into[0]))])
                continue
            groups: dict[bytes, list[int]] = {}
            for b, row in enumerate(into):
                groups.setdefault(row.tobytes(), []).append(b)
            self.preds.append([(np.isin(np.arange(batch), members), np.flatnonzero(into[members[0]]))
                               for members in groups.values()])

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The adjacency of the entries ``rows`` (J × J when shared)."""
        return self.adj if self.shared else self.adj[rows]

    def groups(self, j: int, rows: np.ndarray):
        """``(positions, predecessors)`` of construct j among the entries ``rows``: positions (into
        ``rows``) of the entries whose predecessors of j are ``predecessors`` (None: all entries)."""
        for mask, pred in self.preds[j]:
            if not pred.size:
                continue
            if mask is None:
                yield None, pred
            else:
                sel = np.flatnonzero(mask[rows])
                if sel.size:
                    yield sel, pred


def _regress(phi: np.ndarray, sel: np.ndarray | None, pred: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """OLS of construct j on ``pred`` for the entries ``sel`` (None: all) of the batch ``phi``."""
    sub = phi if sel is None else phi[sel]
    return _batched_solve(sub[:, pred[:, None], pred[None, :]], sub[:, pred, j])


def _inner_weights(phi: np.ndarray, structure: _Structure, scheme: str, names: Sequence[str], problems: _Problems,
                   rows: np.ndarray) -> np.ndarray:
    adj = structure.at(rows)
    adjT = np.swapaxes(adj, -1, -2)
    both = adj + adjT
    if scheme == "centroid":
        E = np.sign(phi) * both
    elif scheme == "factorial":
        E = phi * both
    else:  # path weighting
        E = phi * adjT  # successor i of j (j → i): the correlation φ_ij
        for j in range(adj.shape[-1]):
            for sel, pred in structure.groups(j, rows):
                beta, ok = _regress(phi, sel, pred, j)
                if sel is None:
                    E[:, pred, j] = beta
                else:
                    E[sel[:, None], pred[None, :], j] = beta
                if not ok.all():
                    problems.fail((rows if sel is None else rows[sel])[~ok], _collinear(names, pred, j))
    isolated = ~both.any(axis=-2)  # a construct without paths: its own score is its proxy (first component)
    if structure.shared:
        isolated = np.flatnonzero(isolated)
        E[:, isolated, isolated] = 1.0
    else:
        b, k = np.nonzero(isolated)
        E[b, k, k] = 1.0
    return E


def _collinear(names: Sequence[str], pred: np.ndarray, j: int) -> str:
    return f"the predictors of {names[j]} ({', '.join(names[k] for k in pred)}) are perfectly collinear"


def pls_core_batch(
    C: np.ndarray,
    blocks: Sequence[np.ndarray],
    modes: Sequence[str],
    adj: np.ndarray,
    scheme: str = "path",
    tol: float = 1e-7,
    max_iter: int = 300,
    names: Sequence[str] | None = None,
    item_names: Sequence[str] | None = None,
) -> BatchCore:
    """Run the PLS algorithm on a batch of item correlation/covariance matrices ``C`` (B × p × p).

    ``blocks[j]`` holds the row indices of construct j's items; ``adj[i, j] = 1`` for a path i → j.
    ``adj`` is J × J (one structural model for every entry) or B × J × J (a structural model per
    entry, e.g. a model and its variants without one path each, as Cohen's f² needs). Each entry
    iterates until its own weights change by less than ``tol`` and is then frozen, so an entry's
    result does not depend on the other entries of the batch (up to floating-point rounding: numpy
    may sum in another order for another batch). Nothing is raised: failed entries are
    reported in ``status`` and ``problems`` (:meth:`BatchCore.checked` raises for one entry).
    """
    Bn, p, _ = C.shape
    J = len(blocks)
    structure = _Structure(adj, Bn)
    names = list(names) if names is not None else [f"#{j + 1}" for j in range(J)]
    item_names = list(item_names) if item_names is not None else [f"#{i + 1}" for i in range(p)]
    status = np.full(Bn, -1)
    problems = _Problems(status)
    everyone = np.arange(Bn)

    W = np.zeros((Bn, p, J))
    for j, idx in enumerate(blocks):
        W[:, idx, j] = 1.0
    ok = _normalize(W, C, blocks)
    problems.fail(np.flatnonzero(~ok), "a construct score has zero variance (its items do not vary)")
    inv_B: dict[int, np.ndarray] = {}
    for j, idx in enumerate(blocks):
        if modes[j] == "B":
            inv_B[j], good = _batched_inv(C[:, idx[:, None], idx[None, :]])
            problems.fail(np.flatnonzero(~good), f"the items of mode-B construct {names[j]} ({', '.join(item_names[i] for i in idx)}) are perfectly collinear")

    iterations = np.zeros(Bn, dtype=int)
    last_change = np.full(Bn, np.nan)
    active = everyone[status == -1]
    for it in range(1, max_iter + 1):
        if active.size == 0:
            break
        Ca, Wa = C[active], W[active]
        CW = Ca @ Wa
        phi = Wa.transpose(0, 2, 1) @ CW
        E = _inner_weights(phi, structure, scheme, names, problems, active)
        G = CW @ E
        Wn = np.zeros_like(Wa)
        for j, idx in enumerate(blocks):
            g = G[:, idx, j]
            Wn[:, idx, j] = np.einsum("bij,bj->bi", inv_B[j][active], g) if j in inv_B else g
        good = _normalize(Wn, Ca, blocks) & np.isfinite(Wn).all(axis=(1, 2))
        problems.fail(active[~good], "a construct score has zero variance")
        change = np.max(np.abs(Wn - Wa), axis=(1, 2))
        W[active] = Wn
        iterations[active] = it
        last_change[active] = change
        still = (status[active] == -1) & ~(change < tol)
        status[active[(status[active] == -1) & (change < tol)]] = OK
        active = active[still]
    status[active] = NOT_CONVERGED

    CW = C @ W
    phi = W.transpose(0, 2, 1) @ CW
    sd = np.sqrt(np.einsum("bii->bi", C))
    cross = CW / sd[:, :, None]
    paths = np.zeros((Bn, J, J))
    r2 = np.full((Bn, J), np.nan)
    for j in range(J):
        for sel, pred in structure.groups(j, everyone):
            beta, good = _regress(phi, sel, pred, j)
            if sel is None:
                problems.fail(everyone[~good & (status == OK)], _collinear(names, pred, j))
                paths[:, pred, j] = beta
                r2[:, j] = np.einsum("bk,bk->b", beta, phi[:, pred, j])
            else:
                problems.fail(sel[~good & (status[sel] == OK)], _collinear(names, pred, j))
                paths[sel[:, None], pred[None, :], j] = beta
                r2[sel, j] = np.einsum("bk,bk->b", beta, phi[sel][:, pred, j])
    eye = np.eye(J)
    total = np.linalg.inv(eye - np.nan_to_num(paths)) - eye  # I − B is unit triangular (recursive model)
    return BatchCore(W, phi, cross, paths, r2, total, iterations, status, last_change, problems.messages)


def pls_core(
    C: np.ndarray,
    blocks: Sequence[np.ndarray],
    modes: Sequence[str],
    adj: np.ndarray,
    scheme: str = "path",
    tol: float = 1e-7,
    max_iter: int = 300,
    names: Sequence[str] | None = None,
    item_names: Sequence[str] | None = None,
) -> PLSCore:
    """Run the PLS algorithm on one item correlation/covariance matrix ``C`` (p × p).

    Raises :class:`ConvergenceError` when ``max_iter`` is reached and :class:`SingularMatrixError`
    when a matrix that must be inverted is singular.
    """
    return pls_core_batch(C[None], blocks, modes, adj, scheme, tol, max_iter, names, item_names).checked(0, tol, max_iter)


def inner_model(phi: np.ndarray, adj: np.ndarray, names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """OLS path coefficients and R² from one construct correlation matrix ``phi``."""
    J = adj.shape[0]
    names = list(names) if names is not None else [f"#{j + 1}" for j in range(J)]
    B = np.zeros((J, J))
    r2 = np.full(J, np.nan)
    for j in range(J):
        pred = np.flatnonzero(adj[:, j])
        if pred.size:
            beta, ok = _batched_solve(phi[None][:, pred[:, None], pred[None, :]], phi[None][:, pred, j])
            if not ok[0]:
                raise SingularMatrixError(_collinear(names, pred, j))
            B[pred, j] = beta[0]
            r2[j] = float(beta[0] @ phi[pred, j])
    return B, r2


def item_matrix(model: Questionnaire, data: Any) -> tuple[np.ndarray, pd.Series | None]:
    """The n × p float matrix of the model's items (in ``model.item_ids`` order) and respondent ids.

    ``data`` is a :class:`~csi_survey.ingest.SurveyData` or a DataFrame holding the item columns
    (numeric, no missing values; other columns are ignored).
    """
    frame = getattr(data, "items", None)
    ids = getattr(data, "respondent_id", None)
    if not isinstance(frame, pd.DataFrame):
        if not isinstance(data, pd.DataFrame):
            raise SettingsError(
                f"data must be a SurveyData (from csi_survey.read_responses) or a pandas DataFrame; got {type(data).__name__}"
            )
        frame = data
    missing = [i for i in model.item_ids if i not in frame.columns]
    if missing:
        raise EstimationError(
            f"the data have no column for item(s) {', '.join(missing)}",
            hint="pass data with one column per item of the model (csi_survey.read_responses does the matching).",
        )
    sub = frame[model.item_ids]
    try:
        X = sub.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        bad = [c for c in model.item_ids if not pd.api.types.is_numeric_dtype(sub[c])]
        raise EstimationError(
            f"item column(s) {', '.join(bad)} are not numeric",
            hint="read the responses with csi_survey.read_responses, which converts and checks every cell.",
        ) from None
    if np.isnan(X).any():
        cols = [c for c, k in zip(model.item_ids, np.isnan(X).any(axis=0)) if k]
        raise EstimationError(
            f"item column(s) {', '.join(cols)} contain missing values",
            hint="read the responses with csi_survey.read_responses (mean replacement or listwise deletion).",
        )
    return X, ids


@dataclass(frozen=True)
class ItemMoments:
    """Step 1 of the algorithm for an n × p item matrix (see the module docstring): what a fit needs of the data.

    ``XT`` and ``XcT`` are the items and the centred items as p × n arrays, ``mean`` the (weighted)
    item means, ``sd`` the square roots of the diagonal of the moment matrix, ``C`` the correlation
    (``scaled``) or covariance matrix and ``total`` the sum of the weights (n when unweighted).
    """

    XT: np.ndarray
    XcT: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    C: np.ndarray
    total: float
    scaled: bool = True

    @property
    def item_sd(self) -> np.ndarray:
        """The item standard deviations with divisor n − 1 (Σw − 1), as the results report them."""
        return self.sd if self.scaled else self.sd * np.sqrt(self.total / (self.total - 1))

    def composite_scores(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The raw coefficients ``b`` (p × J; score = Σᵢ bᵢ (xᵢ − meanᵢ)) of the outer ``weights`` and
        the n × J construct scores, of unit variance with divisor n − 1 (Σw − 1)."""
        b = weights / self.sd[:, None] if self.scaled else weights * np.sqrt((self.total - 1) / self.total)
        return b, (b.T @ self.XcT).T


def item_moments(X: np.ndarray, weight: np.ndarray | None = None, scaled: bool = True,
                 item_names: Sequence[str] | None = None) -> ItemMoments:
    """The moments of the n × p item matrix ``X`` that a PLS fit uses (step 1 of the module docstring).

    ``weight``: survey weights of mean 1 (:func:`~csi_survey.ingest.weights.check_weight_array`) or
    None; equal weights take the unweighted path. Raises :class:`SingularMatrixError` naming the
    items (``item_names``) that do not vary.
    """
    n = X.shape[0]
    ew = estimation_weight(weight)  # None when unweighted or all weights equal: the unweighted path
    # Work on the p × n transpose: a DataFrame's values are column-major, so this is free, and
    # every product below is then a BLAS GEMM on contiguous rows (as np.corrcoef does).
    XT = np.ascontiguousarray(X.T)
    ddof = 1 if scaled else 0
    if ew is None:
        total = n
        mean = XT.mean(axis=1)
        XcT = XT - mean[:, None]
        C = (XcT @ XcT.T) / (n - ddof)
    else:
        total = float(ew.sum())  # = n up to rounding (mean-1 weights)
        mean = (XT @ ew) / total
        XcT = XT - mean[:, None]
        C = ((XcT * ew) @ XcT.T) / (total - ddof)
    sd = np.sqrt(np.diag(C))
    flat = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    if flat.any():
        names = list(item_names) if item_names is not None else [f"#{i + 1}" for i in range(X.shape[1])]
        bad = [f"{names[i]} (every answer {mean[i]:g})" for i in np.flatnonzero(flat)]
        raise SingularMatrixError(
            f"item(s) with zero variance: {', '.join(bad)}",
            hint="an item with one answer for every respondent carries no information: remove it from its construct.",
        )
    if scaled:
        C = C / np.outer(sd, sd)
    return ItemMoments(XT=XT, XcT=XcT, mean=mean, sd=sd, C=C, total=total, scaled=scaled)


@dataclass(frozen=True)
class PLS:
    """PLS path modeling engine: holds settings; :meth:`fit` returns a :class:`PLSResults`.

    Parameters
    ----------
    model:
        The questionnaire spec (constructs, items, paths).
    scheme:
        Inner weighting scheme: ``"path"`` (path weighting, the default as in SmartPLS and
        seminr), ``"centroid"`` or ``"factorial"``.
    scaled:
        ``True`` (default): items are standardized (sd with n − 1). ``False``: items are only
        centred, as R plspm's ``scaled = FALSE``; outer weights are then on the raw item scale and
        normalized with the n-denominator variance as plspm does.
    max_iter:
        Maximum number of iterations (300).
    tol:
        Stop when the largest change of an outer weight is below ``tol`` (1e-7, as SmartPLS).

    Example
    -------
    >>> import pandas as pd, csi_survey as csi
    >>> mobi = pd.read_csv(csi.datasets.MOBI) if hasattr(csi, "datasets") else None  # doctest: +SKIP
    >>> fit = csi.PLS(csi.template("ecsi")).fit(mobi)                               # doctest: +SKIP
    >>> fit.paths.head()                                                             # doctest: +SKIP
    """

    model: Questionnaire
    scheme: Scheme = "path"
    scaled: bool = True
    max_iter: int = 300
    tol: float = 1e-7

    def __post_init__(self) -> None:
        check_choice("scheme", self.scheme, SCHEMES)
        if not isinstance(self.model, Questionnaire):
            raise SettingsError(f"model must be a Questionnaire (csi_survey.load_model); got {type(self.model).__name__}")
        if self.model.has_extensions:
            raise SettingsError(
                "this spec declares higher-order constructs / interactions: estimate it with csi.HigherOrderPLS / "
                "csi.ModeratedPLS, or `csi-survey run` which picks the engine",
                hint="PLS estimates first-order models; remove higher_order: and interactions: from the spec to use it.",
            )
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise SettingsError(f"max_iter must be a positive integer; got {self.max_iter!r}")
        if not (self.tol > 0):
            raise SettingsError(f"tol must be positive; got {self.tol!r}")

    @property
    def settings(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "scaled": self.scaled, "max_iter": self.max_iter, "tol": self.tol}

    def fit(self, data: Any, weight: Any = None):
        """Estimate the model on ``data`` (SurveyData or DataFrame) and return :class:`PLSResults`.

        Consistent PLS: when the spec has reflective constructs (``model.reflective_ids``), the
        PLSc correction is applied after the PLS iterations (:mod:`csi_survey.engine.plsc`):
        ``paths``, ``effects``, ``r2``, ``construct_correlations`` and the ``loading`` column of
        reflective constructs are PLSc values, ``reliability`` gives ρA per construct, and an
        inadmissible solution (e.g. disattenuated construct correlations that are not positive
        semi-definite) issues an :class:`~csi_survey.exceptions.AdmissibilityWarning`, sets
        ``admissible`` to False and is described in ``notes``. The weights, scores and 0–100
        indices remain those of the PLS composites (PLSc does not change the weights).

        Survey weights: ``data.weight`` of a weighted :class:`~csi_survey.ingest.SurveyData`
        (:func:`csi_survey.ingest.weights.apply_weights`) is used automatically; ``weight`` (one positive
        number per respondent) overrides it, e.g. for a DataFrame. Weights are rescaled to mean 1;
        see the module docstring for the weighted moments. The fit keeps them in ``weight``.
        """
        X, ids = item_matrix(self.model, data)
        if weight is None and not isinstance(data, pd.DataFrame):
            return self._fit_items(X, ids, getattr(data, "weight", None), "data.weight")
        return self._fit_items(X, ids, weight, "weight")

    def fit_items(self, X: np.ndarray, ids: Any = None, weight: Any = None):
        """:meth:`fit` for an n × p item matrix ``X`` whose columns are ``model.item_ids`` in that order
        (numbers, no missing values); ``ids`` the respondent ids (None: 2, 3, …, as :meth:`fit` for a
        DataFrame), ``weight`` survey weights as in :meth:`fit`. For estimators that build the
        items themselves (e.g. the stages of :class:`csi_survey.higher_order.HigherOrderPLS`)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.model.item_ids):
            raise SettingsError(f"X must be an n × {len(self.model.item_ids)} matrix (one column per item of the model); "
                                f"got shape {X.shape}")
        if np.isnan(X).any():
            raise EstimationError("the item matrix contains missing values",
                                  hint="read the responses with csi_survey.read_responses (mean replacement or listwise deletion).")
        return self._fit_items(X, ids, weight, "weight")

    def _fit_items(self, X: np.ndarray, ids: Any, weight: Any, what: str):
        model = self.model
        n = X.shape[0]
        if n < 3:
            raise EstimationError(f"PLS needs at least 3 respondents; the data have {n}")
        w = None if weight is None else check_weight_array(weight, n, what)
        with single_threaded_blas():  # small matrices: one BLAS thread (engine/threads.py)
            mom = item_moments(X, w, self.scaled, model.item_ids)
            core = pls_core(
                mom.C,
                blocks=self.blocks,
                modes=[c.mode for c in model.constructs.values()],
                adj=model.adjacency,
                scheme=self.scheme,
                tol=self.tol,
                max_iter=self.max_iter,
                names=model.construct_ids,
                item_names=model.item_ids,
            )
            extra: dict[str, Any] = {}
            corrected = reflective_mask(model)
            if corrected.any():
                core, extra = self._consistent(mom.C, core, corrected)
            b, scores = mom.composite_scores(core.weights)  # scaled: unit variance, divisor n − 1 (Σw − 1 when weighted)
            XT, item_mean, item_sd, C = mom.XT, mom.mean, mom.item_sd, mom.C
            del mom  # the centred n × p copy goes before the results are built (one such array alive at a time)
            return build_pls_results(
                engine=self, XT=XT, ids=ids, item_mean=item_mean, item_sd=item_sd, C=C, core=core, raw_coef=b,
                scores=scores, weight=w, **extra,
            )

    def _consistent(self, C: np.ndarray, core: PLSCore, corrected: np.ndarray) -> tuple[PLSCore, dict[str, Any]]:
        """The PLSc correction of a converged fit (:mod:`csi_survey.engine.plsc`): the corrected core
        and the extra result fields (reliability table, admissibility, notes)."""
        model = self.model
        blocks = self.blocks
        pc = plsc_batch(C[None], core.weights[None], core.construct_corr[None], core.cross_loadings[None], blocks,
                        model.adjacency, corrected, model.construct_ids)
        if not pc.ok[0]:
            raise EstimationError(
                pc.problems[0],
                hint="a reflective construct whose items hardly correlate has no usable reliability: declare it "
                "measurement: composite (no correction), reverse-code items that run the other way, or revise its items.",
            )
        notes = admissibility_problems(pc, 0, blocks, corrected, model.construct_ids, model.item_ids)
        for message in notes:
            warnings.warn(message, AdmissibilityWarning, stacklevel=3)
        fixed = dataclasses.replace(
            core, construct_corr=pc.construct_corr[0], paths=pc.paths[0], r2=pc.r2[0],
            total_effects=pc.total_effects[0], loadings=pc.loadings[0],
        )
        extra = {"reliability": reliability_table(model, pc.rho_a[0], corrected), "admissible": not notes,
                 "notes": tuple(notes)}
        return fixed, extra

    @property
    def blocks(self) -> list[np.ndarray]:
        pos = {item: k for k, item in enumerate(self.model.item_ids)}
        return [np.array([pos[i] for i in c.item_ids]) for c in self.model.constructs.values()]
