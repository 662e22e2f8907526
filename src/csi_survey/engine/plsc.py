"""Consistent PLS (PLSc): correcting a PLS fit for the measurement error of reflective constructs.

Ordinary PLS estimates every construct as a *composite* (a weighted sum of its items). When a
construct is a *common factor* that its items measure with error (``measurement: reflective`` in
the spec, :attr:`csi_survey.schema.Questionnaire.reflective_ids`), the composite's correlations
with other constructs are attenuated and its loadings inflated. Dijkstra & Henseler (2015a, b)
correct both after the ordinary PLS iterations (mode A), using only the item correlation matrix
``S`` and the PLS weights ``w`` (scaled so that the composite has unit variance, ``wᵀ S_jj w = 1``):

1. Reliability of each reflective block (Dijkstra & Henseler 2015a, eq. 9; seminr ``rho_A``,
   cSEM ``Reliabilities``)::

       ρA_j = (wᵀw)² · wᵀ(S_jj − diag S_jj) w / wᵀ(wwᵀ − diag(wwᵀ)) w

   ρA := 1 for composites (not corrected) and for single items (a single item cannot be
   corrected: its reliability is taken to be 1, as seminr and cSEM do).
2. Consistent loadings of a reflective block (2015a, eq. 10): ``λ_j = w_j √ρA_j / (w_jᵀ w_j)``.
   Composites keep their PLS loadings ``corr(x_i, Y_j) = (S_jj w_j)_i``.
3. Disattenuated construct correlations (2015a, eq. 11)::

       R̃_jl = R_jl / √(ρA_j ρA_l)   (j ≠ l),   R̃_jj = 1,

   with ``R = Wᵀ S W`` the correlations of the PLS composites.
4. Path coefficients by OLS on ``R̃`` for every endogenous construct, ``β_j = R̃_PP⁻¹ R̃_Pj``;
   ``R²_j = β_jᵀ R̃_Pj`` (adjusted R² as for PLS); total effects ``(I − B)⁻¹ − I``.

Everything is a function of the item correlation matrix, so it runs batched over many matrices
(:func:`plsc_batch`): the bootstrap re-estimates PLSc on every resample
(:mod:`csi_survey.engine.resample`). Unscaled fits (``PLS(scaled=False)``) are corrected on the
correlation scale (weights ``w_i · sd_i``), so ρA, loadings and correlations are standardized.

Admissibility (:func:`admissibility_problems`): nothing forces ``R̃`` to be a correlation matrix.
As cSEM's ``verify()``, a fit is flagged *inadmissible* when ``R̃`` is not positive semi-definite
(smallest eigenvalue below ``-1e-10``; cSEM status code 3), when an absolute disattenuated
correlation exceeds 1, when an absolute consistent loading exceeds 1 (code 2) or when a ρA exceeds
1 (code 4). The estimates are still returned (as seminr and cSEM do), with an
:class:`~csi_survey.exceptions.AdmissibilityWarning` and the messages in ``fit.notes``. A ρA ≤ 0
(items that do not correlate positively under the weights) makes the correction undefined: that
is an estimation failure.

What stays as in PLS: the outer weights, the construct scores (still the PLS composites:
``corr(scores)`` is the *attenuated* ``R``, not ``R̃``), the cross-loadings table (correlations of
items with the composites) and the 0–100 indices, which are computed from the PLS weights of the
composites (the ACSI index is a weighted mean of the items; PLSc does not change the weights).

seminr vs cSEM: both give the same numbers for models whose every multi-item block is reflective
(the reference file ``plsc_ecsi_mobi_r.csv`` agrees to 8.7e-11). They differ for a *mode-A
composite* in a PLSc model: seminr's ``PLSc()`` disattenuates its correlations by its ρA as well
(its ``rho_A`` gives every mode-A block a ρA, composite or not) but leaves its loadings; cSEM treats
a composite as error-free (reliability 1). We follow cSEM and Dijkstra & Henseler (2015b): a
composite *is* its weighted sum, so it has nothing to disattenuate.

References: Dijkstra, T. K. & Henseler, J. (2015a). Consistent partial least squares path modeling.
MIS Quarterly 39(2), 297–316. Dijkstra, T. K. & Henseler, J. (2015b). Consistent and asymptotically
normal PLS estimators for linear structural equations. Computational Statistics & Data Analysis 81,
10–23. R equivalents: ``seminr::PLSc()`` (``reflective()`` constructs), ``cSEM::csem(.disattenuate =
TRUE)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PLScBatch", "plsc_batch", "rho_a_batch", "admissibility_problems", "reliability_table",
           "reflective_mask", "PSD_TOLERANCE"]

#: An eigenvalue of the disattenuated construct correlation matrix below −PSD_TOLERANCE makes it not PSD.
PSD_TOLERANCE = 1e-10


@dataclass(frozen=True)
class PLScBatch:
    """The PLSc estimates of a batch of B fits (every array has a leading batch axis).

    ``ok[b]`` is False where the correction could not be computed (a ρA ≤ 0, or collinear
    disattenuated predictors); ``problems[b]`` says why. ``rho_a`` holds the reliability used for
    each construct (1 for composites and single items)."""

    rho_a: np.ndarray            # B × J
    construct_corr: np.ndarray   # B × J × J, disattenuated
    loadings: np.ndarray         # B × p × J: consistent loadings on the own construct of reflective blocks
    paths: np.ndarray            # B × J × J
    r2: np.ndarray               # B × J (NaN for exogenous constructs)
    total_effects: np.ndarray    # B × J × J
    ok: np.ndarray               # B
    problems: dict[int, str]


def reflective_mask(model, construct_ids: Sequence[str] | None = None) -> np.ndarray:
    """Boolean mask over the model's constructs (in ``construct_ids`` order): True for the
    constructs PLSc corrects (:attr:`~csi_survey.schema.Questionnaire.reflective_ids`)."""
    cids = list(construct_ids) if construct_ids is not None else list(model.construct_ids)
    reflective = set(model.reflective_ids)
    return np.array([c in reflective for c in cids], dtype=bool)


def _standardized(C: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Item correlations and weights on the standardized-item scale (no-ops for a correlation matrix)."""
    sd = np.sqrt(np.einsum("bii->bi", C))
    R = C / (sd[:, :, None] * sd[:, None, :])
    return R, W * sd[:, :, None]


def rho_a_batch(R: np.ndarray, Ws: np.ndarray, blocks: Sequence[np.ndarray], corrected: np.ndarray) -> np.ndarray:
    """ρA (Dijkstra & Henseler 2015a) of every corrected construct, 1 for the others: B × J.

    ``R``: item correlation matrices (B × p × p); ``Ws``: weights of unit-variance composites on
    standardized items (B × p × J); ``corrected[j]``: whether construct j is corrected."""
    Bn = R.shape[0]
    rho = np.ones((Bn, len(blocks)))
    for j, idx in enumerate(blocks):
        if not corrected[j] or len(idx) < 2:
            continue
        w = Ws[:, idx, j]                                  # B × k
        S = R[:, idx[:, None], idx[None, :]]               # B × k × k
        w2 = w * w
        ww = w2.sum(axis=1)                                # wᵀw
        num = np.einsum("bi,bij,bj->b", w, S, w) - np.einsum("bi,bii->b", w2, S)
        den = ww * ww - (w2 * w2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho[:, j] = ww * ww * num / den
    return rho


def _solve(a: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``a[b] x = rhs[b]`` for a batch; returns x and the mask of the solvable entries."""
    ok = np.isfinite(a).all(axis=(-2, -1)) & np.isfinite(rhs).all(axis=-1)
    eye = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    safe = np.where(ok[:, None, None], a, eye)
    try:
        x = np.linalg.solve(safe, np.where(ok[:, None], rhs, 0.0)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        ok[ok] = np.linalg.cond(safe[ok]) < 1e13
        safe = np.where(ok[:, None, None], a, eye)
        x = np.linalg.solve(safe, np.where(ok[:, None], rhs, 0.0)[..., None])[..., 0]
    ok &= np.isfinite(x).all(axis=-1)
    x[~ok] = np.nan
    return x, ok


def plsc_batch(
    C: np.ndarray,
    W: np.ndarray,
    construct_corr: np.ndarray,
    cross_loadings: np.ndarray,
    blocks: Sequence[np.ndarray],
    adj: np.ndarray,
    corrected: np.ndarray,
    names: Sequence[str] | None = None,
) -> PLScBatch:
    """Apply the PLSc correction to a batch of converged PLS fits (formulas in the module docstring).

    ``C`` (B × p × p) is the item correlation (or covariance) matrix each fit was estimated on,
    ``W`` (B × p × J) its outer weights (unit-variance composites), ``construct_corr`` (B × J × J)
    the composites' correlations and ``cross_loadings`` (B × p × J) the item–composite correlations;
    ``corrected[j]`` says whether construct j is reflective. Nothing is raised: entries whose
    correction is undefined have ``ok`` False and a message in ``problems``.
    """
    Bn, p, J = W.shape
    names = list(names) if names is not None else [f"#{j + 1}" for j in range(J)]
    corrected = np.asarray(corrected, dtype=bool)
    R, Ws = _standardized(C, W)
    rho = rho_a_batch(R, Ws, blocks, corrected)
    ok = np.ones(Bn, dtype=bool)
    problems: dict[int, str] = {}

    bad = ~(rho > 0)  # ρA ≤ 0 or NaN: √ρA undefined
    for b in np.flatnonzero(bad.any(axis=1)):
        which = ", ".join(f"{names[j]} ({rho[b, j]:.3g})" for j in np.flatnonzero(bad[b]))
        problems[int(b)] = (f"consistent PLS: the reliability rho_A of {which} is not positive, so the "
                            "construct cannot be corrected for attenuation")
        ok[b] = False
    q = np.sqrt(np.where(bad, np.nan, rho))

    phi = construct_corr / (q[:, :, None] * q[:, None, :])
    diag = np.arange(J)
    phi[:, diag, diag] = 1.0

    loadings = cross_loadings.copy()
    for j, idx in enumerate(blocks):
        if corrected[j] and len(idx) > 1:
            w = Ws[:, idx, j]
            loadings[:, idx, j] = w * (q[:, j] / (w * w).sum(axis=1))[:, None]

    paths = np.zeros((Bn, J, J))
    r2 = np.full((Bn, J), np.nan)
    for j in range(J):
        pred = np.flatnonzero(adj[:, j])
        if not pred.size:
            continue
        beta, good = _solve(phi[:, pred[:, None], pred[None, :]], phi[:, pred, j])
        for b in np.flatnonzero(~good & ok):
            problems[int(b)] = (f"consistent PLS: the disattenuated correlations of the predictors of {names[j]} "
                                f"({', '.join(names[k] for k in pred)}) are singular")
            ok[b] = False
        paths[:, pred, j] = beta
        r2[:, j] = np.einsum("bk,bk->b", beta, phi[:, pred, j])
    eye = np.eye(J)
    total = np.linalg.inv(eye - np.nan_to_num(paths)) - eye  # I − B is unit triangular (recursive model)
    total[~ok] = np.nan
    return PLScBatch(rho, phi, loadings, paths, r2, total, ok, problems)


def admissibility_problems(
    result: PLScBatch,
    b: int,
    blocks: Sequence[np.ndarray],
    corrected: np.ndarray,
    names: Sequence[str],
    item_names: Sequence[str],
) -> list[str]:
    """Why entry ``b`` of a PLSc batch is inadmissible (as cSEM's ``verify()``); empty when admissible.

    Checks: the disattenuated construct correlation matrix is positive semi-definite (smallest
    eigenvalue ≥ −:data:`PSD_TOLERANCE`), no absolute disattenuated correlation exceeds 1, no
    absolute consistent loading exceeds 1, no ρA exceeds 1."""
    out: list[str] = []
    phi = result.construct_corr[b]
    rho = result.rho_a[b]
    J = phi.shape[0]
    low = sorted((rho[j], names[j]) for j in range(J) if corrected[j])[:3]
    weakest = ", ".join(f"{n} {r:.3f}" for r, n in low)
    advice = (f"the least reliable reflective constructs (rho_A): {weakest}. Declare such a construct "
              "measurement: composite (no correction), or revise its items")
    eig = float(np.linalg.eigvalsh(phi)[0])
    if eig < -PSD_TOLERANCE:
        out.append("consistent PLS: the disattenuated construct correlation matrix is not positive semi-definite "
                   f"(smallest eigenvalue {eig:.4f}), so the solution is inadmissible: no set of constructs can have "
                   f"these correlations. The estimates are reported as computed but should not be interpreted; {advice}")
    iu, ju = np.triu_indices(J, 1)
    over = [(names[i], names[k], phi[i, k]) for i, k in zip(iu, ju) if abs(phi[i, k]) > 1]
    if over:
        listed = "; ".join(f"{a}–{c} = {v:+.3f}" for a, c, v in over)
        out.append(f"consistent PLS: disattenuated construct correlation(s) beyond ±1 ({listed}): the solution is "
                   f"inadmissible; {advice}")
    big = []
    for j, idx in enumerate(blocks):
        if corrected[j]:
            big += [(item_names[i], names[j], result.loadings[b, i, j]) for i in idx if abs(result.loadings[b, i, j]) > 1]
    if big:
        listed = "; ".join(f"{i} on {c} = {v:.3f}" for i, c, v in big)
        out.append(f"consistent PLS: consistent loading(s) above 1 in absolute value ({listed}): the solution is "
                   "inadmissible (a Heywood case)")
    high = [(names[j], rho[j]) for j in range(J) if corrected[j] and rho[j] > 1]
    if high:
        listed = "; ".join(f"{c} = {v:.3f}" for c, v in high)
        out.append(f"consistent PLS: reliability rho_A above 1 ({listed}): the solution is inadmissible")
    return out


def reliability_table(model, rho_a: np.ndarray, corrected: np.ndarray) -> pd.DataFrame:
    """The ``construct, measurement, n_items, rho_a, corrected`` table of a PLSc fit.

    ``measurement`` is the construct's declared measurement (its own, else the spec's; a mode-B
    block under a reflective default is a composite); ``rho_a`` is the reliability used for the
    correction (ρA for corrected constructs, 1 for composites and single items)."""
    cids = list(model.construct_ids)
    measurement = []
    for cid in cids:
        c = model.constructs[cid]
        declared = c.measurement or getattr(model, "measurement", "composite")
        measurement.append("composite" if c.mode == "B" and c.measurement is None else declared)
    return pd.DataFrame({
        "construct": cids,
        "measurement": measurement,
        "n_items": [len(model.constructs[c].items) for c in cids],
        "rho_a": np.asarray(rho_a, dtype=float),
        "corrected": np.asarray(corrected, dtype=bool),
    })
