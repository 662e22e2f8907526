"""Quality criteria of a PLS fit: reliability, validity, collinearity, effect sizes and fit.

Quality criteria live apart from estimation (as cSEM's ``assess()``): :func:`assess` takes a
finished :class:`~csi_survey.results.PLSResults` and computes everything from its tables (item
correlations, outer weights, loadings, construct correlations, paths, R²). Nothing is
re-estimated, so an assessment is cheap and always describes exactly the reported fit.

Every table is a tidy DataFrame with snake_case columns. Thresholds raise *flags*: information
for the analyst, never errors. All flags are collected in :attr:`Assessment.flags` with the
criterion, the construct(s)/item, the value, the threshold and the literature reference.

Which criteria apply to which constructs
----------------------------------------
Values are computed for every construct. Criteria that presuppose *reflective* (common-factor)
measurement — alpha, ρ_C, AVE, Fornell–Larcker, HTMT and cross-loadings — raise flags only for
mode-A constructs (HTMT: pairs of mode-A constructs), and reliability flags only for blocks with
two or more items (a single item has alpha = ρ_C = AVE = 1 by construction). This follows
Hair, Risher, Sarstedt & Ringle (2019) and cSEM's default ``.only_common_factors = TRUE``.
For mode-B (formative) blocks the reported reliabilities are descriptive only; their quality
criterion is the item VIF.

Thresholds (module constants, each with its source)
---------------------------------------------------
=====================  ==========================  ================================================
criterion              flag when                   reference
=====================  ==========================  ================================================
``alpha``              alpha < 0.70                Nunnally & Bernstein (1994); Hair et al. (2019)
``rho_c``              ρ_C < 0.70                  Hair et al. (2019)
``rho_c_redundant``    ρ_C > 0.95                  Hair et al. (2019): "redundant items"
``ave``                AVE < 0.50                  Fornell & Larcker (1981)
``fornell_larcker``    √AVE_j < abs(φ_jk)          Fornell & Larcker (1981)
``htmt``               abs(HTMT) > 0.90            Henseler, Ringle & Sarstedt (2015) (0.85 is the
                                                   conservative alternative for distinct concepts)
``cross_loading``      abs(λ_ik) > abs(λ_ij)       Chin (1998); Hair et al. (2019) (k ≠ j)
``item_vif``           VIF > 5                     Hair et al. (2019)
``inner_vif``          VIF > 5                     Hair et al. (2019) (values of 3–5 can already
                                                   indicate collinearity)
=====================  ==========================  ================================================

References
----------
Chin, W. W. (1998). The partial least squares approach to structural equation modeling. In
G. A. Marcoulides (Ed.), *Modern Methods for Business Research*, 295–336.
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences* (2nd ed.).
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika 16.
Dijkstra, T. K. & Henseler, J. (2015). Consistent partial least squares path modeling. MIS
Quarterly 39(2), 297–316.
Fornell, C. & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
variables and measurement error. Journal of Marketing Research 18(1), 39–50.
Hair, J. F., Risher, J. J., Sarstedt, M. & Ringle, C. M. (2019). When to use and how to report
the results of PLS-SEM. European Business Review 31(1), 2–24.
Henseler, J., Dijkstra, T. K., Sarstedt, M., et al. (2014). Common beliefs and reality about PLS.
Organizational Research Methods 17(2), 182–209.
Henseler, J., Ringle, C. M. & Sarstedt, M. (2015). A new criterion for assessing discriminant
validity in variance-based structural equation modeling. JAMS 43(1), 115–135.
Hu, L. & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
analysis. Structural Equation Modeling 6(1), 1–55.
Jöreskog, K. G. (1971). Statistical analysis of sets of congeneric tests. Psychometrika 36.
Nunnally, J. C. & Bernstein, I. H. (1994). *Psychometric Theory* (3rd ed.).
Tenenhaus, M., Amato, S. & Esposito Vinzi, V. (2004). A global goodness-of-fit index for PLS
structural equation modelling. Proceedings of the XLII SIS Scientific Meeting, 739–742.
Werts, C. E., Linn, R. L. & Jöreskog, K. G. (1974). Intraclass reliability estimates: testing
structural assumptions. Educational and Psychological Measurement 34(1), 25–33.

R equivalents: ``cSEM::assess()``, ``summary(seminr_model)``, ``plspm``'s ``$unidim``,
``$inner_summary`` and ``$gof``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import SettingsError, check_choice
from .results import PLSResults, Summary

__all__ = [
    "Assessment",
    "assess",
    "htmt_matrix",
    "check_blocks",
    "vif_from_correlations",
    "f2_table",
    "HTMT_CONVENTIONS",
    "HTMT_LABELS",
    "ALPHA_MIN",
    "RHO_C_MIN",
    "RHO_C_MAX",
    "AVE_MIN",
    "HTMT_MAX",
    "HTMT_MAX_CONSERVATIVE",
    "VIF_MAX",
    "F2_SMALL",
    "F2_MEDIUM",
    "F2_LARGE",
]

#: Cronbach's alpha below this is flagged (Nunnally & Bernstein 1994; Hair et al. 2019).
ALPHA_MIN = 0.70
#: Composite reliability below this is flagged (Hair et al. 2019).
RHO_C_MIN = 0.70
#: Composite reliability above this is flagged as "redundant items" (Hair et al. 2019).
RHO_C_MAX = 0.95
#: AVE below this is flagged (Fornell & Larcker 1981).
AVE_MIN = 0.50
#: HTMT above this is flagged (Henseler, Ringle & Sarstedt 2015).
HTMT_MAX = 0.90
#: The conservative HTMT threshold for conceptually distinct constructs (Henseler et al. 2015).
HTMT_MAX_CONSERVATIVE = 0.85
#: Item and inner VIF above this are flagged (Hair et al. 2019).
VIF_MAX = 5.0
#: HTMT conventions of :func:`assess` (``htmt=``): signed correlations (Henseler et al. 2015; cSEM
#: 0.6.1) or absolute correlations (seminr).
HTMT_CONVENTIONS = ("signed", "absolute")
#: One line per convention, for summaries and notes.
HTMT_LABELS = {
    "signed": "signed correlations (Henseler et al. 2015, cSEM); negative when the constructs correlate negatively",
    "absolute": "absolute correlations (seminr); never negative",
}
#: Cohen's (1988) f² benchmarks: small, medium, large.
F2_SMALL, F2_MEDIUM, F2_LARGE = 0.02, 0.15, 0.35

_REF = {
    "alpha": "Nunnally & Bernstein (1994); Hair et al. (2019), Eur. Bus. Rev. 31(1)",
    "rho_c": "Hair et al. (2019), Eur. Bus. Rev. 31(1)",
    "rho_c_redundant": "Hair et al. (2019), Eur. Bus. Rev. 31(1)",
    "ave": "Fornell & Larcker (1981), J. Mark. Res. 18(1)",
    "fornell_larcker": "Fornell & Larcker (1981), J. Mark. Res. 18(1)",
    "htmt": "Henseler, Ringle & Sarstedt (2015), JAMS 43(1)",
    "cross_loading": "Chin (1998); Hair et al. (2019), Eur. Bus. Rev. 31(1)",
    "item_vif": "Hair et al. (2019), Eur. Bus. Rev. 31(1)",
    "inner_vif": "Hair et al. (2019), Eur. Bus. Rev. 31(1)",
}

#: VIFs: a correlation matrix with a larger condition number goes through the per-variable
#: pseudo-inverse regressions of :func:`vif_from_correlations` (exact collinearity).
_VIF_COND_MAX = 1e12
#: Eigenvalues below this × the largest are the undetermined part of a regression (pseudo-inverse).
_VIF_RCOND = 1e-10
#: A regression residual variance below this (relative) is an exact dependence: VIF +inf.
_VIF_RESID_MIN = 1e-10

FLAG_COLUMNS = ["criterion", "construct", "other", "item", "value", "threshold", "message", "reference"]


# ====================================================================== HTMT (vectorised)
def check_blocks(R: Any, blocks: Sequence[Sequence[int] | np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(R, blocks)`` checked for the block statistics (HTMT, HTMT2): R a float array of shape
    (..., p, p); every block a non-empty array of item positions in R. A wrong argument is a
    :class:`~csi_survey.exceptions.SettingsError` naming the block."""
    R = np.asarray(R, dtype=np.float64)
    if R.ndim < 2 or R.shape[-1] != R.shape[-2]:
        raise SettingsError(f"R must have shape (..., p, p); got {R.shape}")
    p = R.shape[-1]
    idx = [np.asarray(b, dtype=np.intp).ravel() for b in blocks]
    if not idx:
        raise SettingsError("blocks must name at least one block of item indices")
    for j, b in enumerate(idx):
        if b.size == 0:
            raise SettingsError(f"block #{j + 1} is empty")
        if b.min() < -p or b.max() >= p:
            raise SettingsError(f"block #{j + 1} has an item index outside 0..{p - 1}")
    return R, idx


def htmt_matrix(R: np.ndarray, blocks: Sequence[Sequence[int] | np.ndarray], *, absolute: bool = False) -> np.ndarray:
    """Heterotrait–monotrait ratios of correlations for every pair of blocks, batched.

    Henseler, Ringle & Sarstedt (2015): for blocks i and j,

        HTMT_ij = mean(r_gh : g ∈ i, h ∈ j)
                  / sqrt( mean(r_gg' : g < g' ∈ i) · mean(r_hh' : h < h' ∈ j) )

    i.e. the mean heterotrait–heteromethod correlation over the geometric mean of the two mean
    monotrait–heteromethod correlations.

    Parameters
    ----------
    R:
        Item correlation matrices, shape ``(..., p, p)``: any number of leading batch dimensions
        (e.g. ``(B, p, p)`` for B bootstrap samples). Only the rows/columns named in ``blocks``
        are used.
    blocks:
        ``blocks[j]`` — the row indices in ``R`` of construct j's items (J blocks, non-empty).
    absolute:
        ``False`` (default): signed correlations, as in the original paper and as cSEM 0.6.1's
        ``calculateHTMT()`` (checked on ECSI/mobi to 1e-12, ``reference/fit_htmt_ecsi_mobi_r.csv``).
        ``True``: absolute correlations, as seminr's ``HTMT()`` (and semTools'
        ``htmt(absolute = TRUE)``), checked the same way. The two differ only when some items
        correlate negatively: on ECSI/mobi only Quality–Loyalty (cor(PERQ2, CUSL2) = −0.128):
        0.7235 signed, 0.7593 absolute. A signed HTMT is negative when the two constructs
        correlate negatively (e.g. an ACSI complaints item coded 1 = complained, or a
        reverse-worded item not recoded); an absolute HTMT is never negative.

    Returns
    -------
    ndarray
        Shape ``(..., J, J)``, symmetric, with diagonal 1.

    Notes
    -----
    Conventions:

    * a single-item block has no monotrait correlation; its mean is taken as 1 (as SmartPLS and
      cSEM do), so the HTMT of two single items is their correlation;
    * when a block's mean monotrait correlation is ≤ 0 the ratio is undefined: NaN (off the
      diagonal) for every pair involving that block.

    The computation is one matrix product ``Aᵀ R A`` (A: the p × J 0/1 block-membership matrix), so a
    stack of 1000 bootstrap matrices costs one batched GEMM; there is no loop over the batch.

    R equivalent: ``cSEM::calculateHTMT()`` 0.6.1 (lower triangle; signed);
    ``seminr::HTMT()`` (``absolute=True``); ``semTools::htmt(absolute = FALSE | TRUE, htmt2 = FALSE)``.
    """
    R, idx = check_blocks(R, blocks)
    p = R.shape[-1]
    J = len(idx)
    if absolute:
        R = np.abs(R)
    k = np.array([b.size for b in idx], dtype=np.float64)
    A = np.zeros((p, J))
    for j, b in enumerate(idx):
        A[b, j] = 1.0
    # block sums S[..., i, j] = Σ_{g∈i, h∈j} r_gh, one (batched) GEMM
    sums = np.swapaxes(A, 0, 1) @ R @ A
    means = sums / np.outer(k, k)
    diag_R = np.diagonal(R, axis1=-2, axis2=-1)          # (..., p)
    traces = diag_R @ A                                  # (..., J)
    block_sums = np.diagonal(sums, axis1=-2, axis2=-1)   # (..., J)
    with np.errstate(invalid="ignore", divide="ignore"):
        mono = np.where(k > 1, (block_sums - traces) / np.maximum(k * (k - 1), 1.0), 1.0)
        mono = np.where(mono > 0, mono, np.nan)
        denom = np.sqrt(mono[..., :, None] * mono[..., None, :])
        out = means / denom
    eye = np.eye(J, dtype=bool)
    out = np.where(eye, 1.0, out)
    return out


# ====================================================================== helpers
def _blocks(fit: PLSResults) -> tuple[list[str], list[list[str]], list[np.ndarray], list[str]]:
    model = fit.model
    cids = list(model.construct_ids)
    items = list(model.item_ids)
    pos = {i: k for k, i in enumerate(items)}
    item_lists = [list(model.constructs[c].item_ids) for c in cids]
    blocks = [np.array([pos[i] for i in lst], dtype=np.intp) for lst in item_lists]
    modes = [model.constructs[c].mode for c in cids]
    return cids, item_lists, blocks, modes


def vif_from_correlations(S: Any) -> np.ndarray:
    """Variance inflation factors of the variables of a correlation matrix ``S`` (k × k).

    ``VIF_j = 1 / (1 − R²_j)``, with ``R²_j`` the R² of variable j regressed on the other k − 1
    (Hair et al. 2019). For a regular S this is ``diag(S⁻¹)`` (used as is when S is well
    conditioned). When S is singular (an exact linear dependence among some variables) each VIF
    comes from **its own** regression: ``R²_j = s_jᵀ S₋ⱼ⁺ s_j`` with ``S₋ⱼ⁺`` the pseudo-inverse of the
    other variables' correlations restricted to their well-determined part (eigenvalues above
    ``1e-10`` × the largest), i.e. the projection onto the space the regressors span. A variable
    that is part of the exact dependence gets ``R² = 1`` and VIF +inf; every other variable keeps
    its finite VIF (the duplicated direction adds nothing to its regression): an item uncorrelated
    with an exactly duplicated pair has VIF 1, not inf, as an ``lm`` of it on the others shows. The k regressions
    are one batched pseudo-inverse (k × (k−1) × (k−1)), no loop over variables.
    """
    S = np.asarray(S, dtype=np.float64)
    k = S.shape[0]
    if k == 1:
        return np.ones(1)
    if np.all(np.isfinite(S)) and np.linalg.cond(S) < _VIF_COND_MAX:
        return np.diag(np.linalg.inv(S)).copy()
    if not np.all(np.isfinite(S)):
        return np.full(k, np.nan)
    others = np.array([[i for i in range(k) if i != j] for j in range(k)], dtype=np.intp)   # k × (k−1)
    rows = np.arange(k)
    S_rest = S[others[:, :, None], others[:, None, :]]                                    # k × (k−1) × (k−1)
    s_j = S[rows[:, None], others]                                                        # k × (k−1)
    pinv = np.linalg.pinv(S_rest, rcond=_VIF_RCOND, hermitian=True)
    r2 = np.einsum("ja,jab,jb->j", s_j, pinv, s_j)
    resid = np.diagonal(S).copy() - r2
    with np.errstate(divide="ignore"):
        return np.where(resid > _VIF_RESID_MIN * np.diagonal(S), np.diagonal(S) / resid, np.inf)


def _standardized_weights(S: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    """Outer weights of the unit-variance composite on standardized items.

    The loadings of a block are ``λ = S w`` (S: the block's item correlation matrix, w the
    standardized weights with ``wᵀ S w = 1``), so ``w = S⁻¹ λ``. This recovers the standardized
    weights of scaled *and* unscaled fits (the ``weight`` column of an unscaled fit is on the
    raw item scale); for a scaled fit it returns the reported weights.
    """
    try:
        return np.linalg.solve(S, loadings)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(S, loadings, rcond=None)[0]


#: Columns of the f² tables (:func:`f2_table`, :func:`csi_survey.effect_size.f_squared`).
F2_COLUMNS = ["source", "target", "f2", "effect", "convention"]


def f2_table(model: Any, phi: np.ndarray, r2: Mapping[str, float] | pd.Series,
             r2_excluded: Mapping[tuple[str, str], float] | None = None, convention: str | None = None) -> pd.DataFrame:
    """Cohen's (1988) f² of every path: ``f² = (R²_incl − R²_excl) / (1 − R²_incl)``.

    ``R²_incl``: ``r2[target]`` (the fit's R²). ``R²_excl``: ``r2_excluded[(source, target)]`` when
    given (e.g. from re-estimating the model without the path,
    :func:`csi_survey.effect_size.f_squared`), else the R² of the target regressed on its other
    predecessors with the *fitted* construct correlations ``phi`` (construct order
    ``model.construct_ids``): the weights stay those of the full model, as cSEM's
    ``calculatef2`` ("fixed_weights"); 0 when the path is the target's only predecessor.
    ``effect``: "large" ≥ 0.35, "medium" ≥ 0.15, "small" ≥ 0.02, else "none"; with
    ``convention`` given, a ``convention`` column holding it (:func:`csi_survey.effect_size.f_squared`).
    """
    cids = list(model.construct_ids)
    pos = {c: k for k, c in enumerate(cids)}
    phi = np.asarray(phi, dtype=np.float64)
    rows = []
    for path in model.paths:
        source, target = path.source, path.target
        t = pos[target]
        r2_incl = float(r2[target])
        if r2_excluded is not None:
            r2_excl = float(r2_excluded[(source, target)])
        else:
            rest = [pos[s] for s in model.predecessors(target) if s != source]
            r2_excl = 0.0
            if rest:
                phi_rr = phi[np.ix_(rest, rest)]
                try:
                    beta = np.linalg.solve(phi_rr, phi[rest, t])
                except np.linalg.LinAlgError:
                    beta = np.linalg.lstsq(phi_rr, phi[rest, t], rcond=None)[0]
                r2_excl = float(beta @ phi[rest, t])
        with np.errstate(divide="ignore", invalid="ignore"):
            f2 = float(np.float64(r2_incl - r2_excl) / np.float64(1.0 - r2_incl))
        rows.append({"source": source, "target": target, "f2": f2, "effect": _effect_label(f2), "convention": convention})
    return pd.DataFrame(rows, columns=F2_COLUMNS if convention is not None else F2_COLUMNS[:4])


def _effect_label(f2: float) -> str:
    if np.isnan(f2):
        return "none"
    if f2 >= F2_LARGE:
        return "large"
    if f2 >= F2_MEDIUM:
        return "medium"
    if f2 >= F2_SMALL:
        return "small"
    return "none"


def _flag(criterion: str, construct: str, value: float, threshold: float, message: str,
          other: str | None = None, item: str | None = None) -> dict[str, Any]:
    return {
        "criterion": criterion, "construct": construct, "other": other, "item": item,
        "value": float(value), "threshold": float(threshold), "message": message,
        "reference": _REF[criterion],
    }


# ====================================================================== reliability
def _reliability(fit: PLSResults, R: np.ndarray, cids, item_lists, blocks, modes) -> tuple[pd.DataFrame, np.ndarray]:
    """Reliability and convergent validity per block (formulas in :class:`Assessment`)."""
    loading = fit.weights.set_index("item")["loading"]
    # the composite's own loadings (its correlations with its items): under PLSc the ``loading``
    # column holds the consistent loadings, and the weights are rebuilt from the composite's
    composite = fit.cross_loadings.set_index("item")
    rows = []
    for cid, items, b, mode in zip(cids, item_lists, blocks, modes):
        S = R[np.ix_(b, b)]
        lam = loading.loc[items].to_numpy(dtype=np.float64)
        lam_composite = composite.loc[items, cid].to_numpy(dtype=np.float64)
        k = len(items)
        ave = float(np.mean(lam**2))
        rho_c = float(lam.sum() ** 2 / (lam.sum() ** 2 + np.sum(1 - lam**2)))
        if k == 1:
            alpha = rho_a = dg_rho = eig_1 = 1.0
            eig_2 = np.nan
        else:
            alpha = float(k / (k - 1) * (1 - np.trace(S) / S.sum()))
            w = _standardized_weights(S, lam_composite)
            ww = np.outer(w, w)
            num = float(w @ (S - np.diag(np.diag(S))) @ w)
            den = float(w @ (ww - np.diag(np.diag(ww))) @ w)
            rho_a = float((w @ w) ** 2 * num / den) if den != 0 else np.nan
            ev, vec = np.linalg.eigh(S)
            eig_1, eig_2 = float(ev[-1]), float(ev[-2])
            pc = np.sqrt(max(eig_1, 0.0)) * vec[:, -1]  # loadings on the first principal component
            dg_rho = float(pc.sum() ** 2 / (pc.sum() ** 2 + (k - np.sum(pc**2))))
        rows.append({
            "construct": cid, "label": fit.model.label(cid), "mode": mode, "n_items": k,
            "alpha": alpha, "rho_a": rho_a, "rho_c": rho_c, "ave": ave, "dg_rho": dg_rho,
            "eig_1st": eig_1, "eig_2nd": eig_2,
        })
    table = pd.DataFrame(rows)
    applies = (table["mode"] == "A") & (table["n_items"] > 1)
    table["alpha_low"] = applies & (table["alpha"] < ALPHA_MIN)
    table["rho_c_low"] = applies & (table["rho_c"] < RHO_C_MIN)
    table["rho_c_high"] = applies & (table["rho_c"] > RHO_C_MAX)
    table["ave_low"] = applies & (table["ave"] < AVE_MIN)
    return table, table["ave"].to_numpy()


# ====================================================================== implied correlations
def _implied_construct_corr(phi: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Model-implied construct correlations of a recursive structural model.

    With ``B[i, j]`` the path i → j, the structural equations are ``η = Bᵀη + ζ``; exogenous
    constructs are their own ζ. Then

        Φ̂ = (I − Bᵀ)⁻¹ Ψ (I − Bᵀ)⁻ᵀ = (I − Bᵀ)⁻¹ Ψ (I − B)⁻¹

    with Ψ: the observed correlations among exogenous constructs (kept as estimated), the
    residual variance ``1 − R²_j`` for each endogenous construct, and zero covariance between
    disturbances and between disturbances and exogenous constructs (OLS residuals are
    uncorrelated with their own regressors). As cSEM's ``fit()``, the diagonal is then set to 1:
    it differs from 1 only where the model does not reproduce the predecessors' correlations.
    """
    J = phi.shape[0]
    endo = B.any(axis=0)
    psi = np.zeros((J, J))
    exo = ~endo
    psi[np.ix_(exo, exo)] = phi[np.ix_(exo, exo)]
    r2 = np.sum(B * phi, axis=0)  # R²_j = Σ_i β_ij φ_ij
    psi[endo, endo] = 1.0 - r2[endo]
    T = np.linalg.inv(np.eye(J) - B.T)
    implied = T @ psi @ T.T
    implied = (implied + implied.T) / 2
    np.fill_diagonal(implied, 1.0)
    return implied


def _implied_item_corr(R: np.ndarray, lam: np.ndarray, construct_of: np.ndarray,
                       blocks: Sequence[np.ndarray], common_factor: Sequence[bool], phi: np.ndarray) -> np.ndarray:
    """Implied item correlations (as cSEM's ``fit()``): ``λ_g λ_h φ_jl`` between blocks; within the
    block of a common factor (a reflective construct corrected by PLSc) ``λ_g λ_h``; within a
    composite's block the observed correlations (a composite does not restrict them); diagonal 1."""
    L = lam[:, None] * lam[None, :]
    sigma = L * phi[np.ix_(construct_of, construct_of)]
    for b, factor in zip(blocks, common_factor):
        if not factor:
            sigma[np.ix_(b, b)] = R[np.ix_(b, b)]
    np.fill_diagonal(sigma, 1.0)
    return sigma


def _srmr(R: np.ndarray, sigma: np.ndarray) -> float:
    rows, cols = np.tril_indices(R.shape[0])
    resid = (R - sigma)[rows, cols]
    return float(np.sqrt(np.mean(resid**2)))


# ====================================================================== the Assessment
@dataclass(frozen=True)
class Assessment:
    """Measurement and structural quality of a PLS fit. Build with :func:`assess`.

    Tables
    ------
    reliability
        ``construct, label, mode, n_items, alpha, rho_a, rho_c, ave, dg_rho, eig_1st, eig_2nd``
        and the flags ``alpha_low, rho_c_low, rho_c_high, ave_low`` (mode-A blocks with ≥ 2
        items only). With S the block's item *correlation* matrix (k items), λ the PLS loadings
        and w the standardized outer weights (unit-variance score, ``wᵀSw = 1``):

        * ``alpha`` — standardized Cronbach's alpha (Cronbach 1951),
          ``k/(k−1) · (1 − tr S / 1ᵀS1)``. This is what R plspm reports whatever ``scaled``
          is (its ``get_unidim`` standardizes each block first); the raw-score alpha of an
          unscaled fit differs (on the satisfaction data by up to 8e-3). plspm clips negative
          alpha to 0; we report it unclipped.
        * ``rho_a`` — Dijkstra & Henseler (2015), as seminr's ``rho_A``:
          ``(wᵀw)² · wᵀ(S − diag S)w / wᵀ(wwᵀ − diag(wwᵀ))w``. w is recovered from the
          loadings as ``S⁻¹λ``, so an unscaled fit (whose ``weight`` column is on the raw item
          scale) is handled too.
        * ``rho_c`` — composite reliability (Jöreskog 1971; Werts et al. 1974),
          ``(Σλ)² / ((Σλ)² + Σ(1 − λ²))`` with the PLS loadings (seminr ``rhoC``, SmartPLS).
        * ``ave`` — average variance extracted (Fornell & Larcker 1981), ``mean(λ²)``
          (plspm ``inner_summary$AVE``).
        * ``dg_rho`` — Dillon–Goldstein's ρ as R plspm's ``unidim`` table computes it: the ρ_C
          formula with λ the loadings on the block's *first principal component*
          (``λ = √e₁ v₁``), not the PLS loadings.
        * ``eig_1st``, ``eig_2nd`` — the two largest eigenvalues of S (plspm ``unidim``).

        Single-item blocks: alpha = rho_a = rho_c = ave = dg_rho = eig_1st = 1, eig_2nd NaN
        (plspm reports 0). Mode-B blocks: the values are computed but are not quality criteria
        (plspm reports 0 for alpha and DG ρ there).
    htmt
        ``construct_1, construct_2, htmt, flag, convention`` — one row per unordered pair (in
        construct order); ``flag`` when ``|HTMT| > 0.90`` and both constructs are mode A;
        ``convention``: ``"signed"`` (default; Henseler et al. 2015 and cSEM: may be negative when
        the constructs correlate negatively) or ``"absolute"`` (seminr; never negative), the
        ``htmt=`` argument of :func:`assess`. See :func:`htmt_matrix` for the formula. Signed is
        the default because it is the published definition, it keeps the sign visible (a
        negative value points to a construct measured the other way round, which absolute
        values would hide), and the bootstrap intervals and HTMT2 of the run tables use it.
    htmt_matrix
        J × J display form: lower triangle HTMT, NaN on and above the diagonal.
    fornell_larcker
        J × J: √AVE on the diagonal, construct correlations off it (Fornell & Larcker 1981).
        A mode-A construct is flagged when its √AVE is below the absolute value of its correlation with another
        construct.
    cross_loadings
        ``item, construct`` (the item's own), one column per construct, ``flag``: for items of
        mode-A blocks, True when the item's absolute correlation with another construct's score
        exceeds its absolute loading on its own (Chin 1998).
    item_vif
        ``construct, item, mode, vif, flag`` — ``vif = diag(S⁻¹)`` within each block, i.e.
        ``1/(1 − R²)`` of the item regressed on the other items of its block (1 for a single
        item). In a block with an exact linear dependence each VIF comes from its own
        regression (:func:`vif_from_correlations`): +inf only for the items in the dependence. ``flag`` when VIF > 5 (Hair et al. 2019),
        for every mode; it matters for mode-B (formative) weights, whereas in a mode-A block a
        high VIF only says the items are near-duplicates.
    inner_vif
        ``target, source, vif, flag`` — for each endogenous construct, ``diag(Φ_PP⁻¹)`` over its
        predecessors P (construct correlations); flag when > 5.
    f2
        ``source, target, f2, effect`` — Cohen's (1988)
        ``f² = (R²_incl − R²_excl)/(1 − R²_incl)`` with ``R²_excl`` the R² of the target regressed
        on its other predecessors, computed from the fitted construct correlations (no
        re-estimation of the weights; cSEM ``calculatef2``; ``convention`` "fixed_weights").
        seminr's ``fSquared`` instead re-runs the whole PLS algorithm without the path, which
        changes the weights: on mobi the two differ by up to 4.8e-3 (ECSI) and 1.6e-2 (ACSI).
        That convention is :func:`csi_survey.effect_size.f_squared` (``"reestimate"``).
        ``effect``: "large" ≥ 0.35, "medium" ≥ 0.15, "small" ≥ 0.02, else "none".
    fit
        ``measure, value``: ``srmr_saturated``, ``srmr_estimated``, ``gof``.

        SRMR (Hu & Bentler 1999; for PLS Henseler et al. 2014) =
        ``sqrt(mean((r_gh − σ̂_gh)²))`` over the lower triangle *including* the diagonal of the
        item correlation matrix (as cSEM ``calculateSRMR``). The implied matrix σ̂: diagonal 1;
        between blocks j ≠ l ``λ_g λ_h φ_jl``; within the block of a reflective construct
        corrected by PLSc ``λ_g λ_h`` (common factor, consistent loadings); within a composite's
        block (every other construct, mode A or B) the observed correlations (composite model:
        the between-block formula is then the composite one, ``(S_jj w_j)(S_ll w_l)ᵀ φ_jl``,
        because the PLS loadings are ``S_jj w_j``). This is cSEM's ``fit()`` for the model as
        declared (``measurement:``), equal to its ``assess()`` SRMR to 3e-15 on ECSI/mobi,
        composite and PLSc (tests/test_model_fit.py). SmartPLS treats mode-A blocks as common
        factors with the uncorrected PLS loadings, which gives a larger SRMR. *Saturated*: φ = the construct
        correlations. *Estimated*: φ = the model-implied construct correlations from the path
        coefficients (see ``_implied_construct_corr``). SmartPLS suggests SRMR < 0.08; PLS
        fit indices are debated (Hair et al. 2019), so no flag is raised.

        GoF (Tenenhaus et al. 2004; plspm ``$gof``) = ``sqrt(mean communality · mean R²)``:
        mean λ² over the items of blocks with more than one item (so weighted by the number of
        items), mean R² over endogenous constructs. Hair et al. (2019) advise against using it
        to judge PLS models; it is reported for comparability with plspm.
    flags
        Every raised flag: ``criterion, construct, other, item, value, threshold, message,
        reference`` (``other``: the second construct of a pair, e.g. HTMT, Fornell–Larcker,
        cross-loading, inner VIF target).
    info
        Model name, respondents, scheme and scaling of the assessed fit (for :meth:`summary`).
    """

    reliability: pd.DataFrame
    htmt: pd.DataFrame
    htmt_matrix: pd.DataFrame
    fornell_larcker: pd.DataFrame
    cross_loadings: pd.DataFrame
    item_vif: pd.DataFrame
    inner_vif: pd.DataFrame
    f2: pd.DataFrame
    fit: pd.DataFrame
    flags: pd.DataFrame
    info: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> Summary:
        """Printable summary (text with ``str()``, HTML in notebooks)."""
        fit = self.fit.set_index("measure")["value"]
        info = dict(self.info)
        info["SRMR (saturated / estimated)"] = f"{fit['srmr_saturated']:.3f} / {fit['srmr_estimated']:.3f}"
        info["GoF"] = "n/a" if not np.isfinite(fit["gof"]) else f"{fit['gof']:.3f}"
        info["Flags"] = len(self.flags) if len(self.flags) else "none"
        tables = {
            "Reliability and convergent validity": self.reliability.drop(columns=["label"]),
            f"HTMT, {self.htmt_convention} (flag |HTMT| > 0.90)": self.htmt_matrix.reset_index(names="construct"),
            "Fornell–Larcker (diagonal: √AVE)": self.fornell_larcker.reset_index(names="construct"),
            "Cross-loadings": self.cross_loadings,
            "Item VIF": self.item_vif,
            "Inner VIF": self.inner_vif,
            "f²": self.f2,
        }
        if len(self.flags):
            tables["Flags"] = self.flags[["criterion", "message", "reference"]]
        return Summary(title="csi-survey measurement quality", info=info, tables=tables)

    @property
    def htmt_convention(self) -> str:
        """``"signed"`` or ``"absolute"``: the HTMT convention of :attr:`htmt` (see :func:`assess`)."""
        conv = self.htmt["convention"] if "convention" in self.htmt.columns else ()
        return str(conv.iloc[0]) if len(conv) else "signed"

    def __repr__(self) -> str:
        return f"<Assessment: {len(self.reliability)} constructs, {len(self.flags)} flag(s)>"


def assess(fit: PLSResults, *, htmt: str = "signed") -> Assessment:
    """Compute every quality criterion of a PLS fit (no re-estimation). See :class:`Assessment`.

    ``htmt``: the HTMT convention (:data:`HTMT_CONVENTIONS`). ``"signed"`` (default): the mean of
    the signed item correlations, as Henseler, Ringle & Sarstedt (2015) define it and cSEM 0.6.1
    computes it; negative when the two constructs' items correlate negatively (e.g. an ACSI
    complaints item coded 1 = complained). ``"absolute"``: the mean of the absolute item
    correlations, as seminr (never negative). The table's ``convention`` column says which.

    Example
    -------
    >>> import csi_survey as csi                                           # doctest: +SKIP
    >>> from csi_survey.assess import assess                              # doctest: +SKIP
    >>> a = assess(csi.PLS(csi.template("ecsi")).fit(mobi))               # doctest: +SKIP
    >>> a.reliability[["construct", "alpha", "rho_c", "ave"]]             # doctest: +SKIP
    >>> a.flags                                                           # doctest: +SKIP

    R equivalent: ``cSEM::assess(csem_results)``; ``summary(estimate_pls(...))`` in seminr.
    """
    if not isinstance(fit, PLSResults):
        raise SettingsError(f"assess() needs a PLSResults (from csi_survey.PLS(...).fit); got {type(fit).__name__}")
    check_choice("htmt", htmt, HTMT_CONVENTIONS)
    model = fit.model
    cids, item_lists, blocks, modes = _blocks(fit)
    J = len(cids)
    items = list(model.item_ids)
    R = fit.item_correlations.loc[items, items].to_numpy(dtype=np.float64)
    phi = fit.construct_correlations.loc[cids, cids].to_numpy(dtype=np.float64)
    is_a = np.array([m == "A" for m in modes])
    flags: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- reliability
    reliability, ave = _reliability(fit, R, cids, item_lists, blocks, modes)
    for r in reliability.itertuples():
        if r.alpha_low:
            flags.append(_flag("alpha", r.construct, r.alpha, ALPHA_MIN,
                               f"{r.construct}: Cronbach's alpha {r.alpha:.3f} < {ALPHA_MIN:.2f}"))
        if r.rho_c_low:
            flags.append(_flag("rho_c", r.construct, r.rho_c, RHO_C_MIN,
                               f"{r.construct}: composite reliability rho_C {r.rho_c:.3f} < {RHO_C_MIN:.2f}"))
        if r.rho_c_high:
            flags.append(_flag("rho_c_redundant", r.construct, r.rho_c, RHO_C_MAX,
                               f"{r.construct}: composite reliability rho_C {r.rho_c:.3f} > {RHO_C_MAX:.2f} (redundant items?)"))
        if r.ave_low:
            flags.append(_flag("ave", r.construct, r.ave, AVE_MIN,
                               f"{r.construct}: AVE {r.ave:.3f} < {AVE_MIN:.2f}"))

    # ---------------------------------------------------------------- Fornell–Larcker
    fl = phi.copy()
    np.fill_diagonal(fl, np.sqrt(ave))
    fornell_larcker = pd.DataFrame(fl, index=pd.Index(cids, name="construct"), columns=cids)
    for j in range(J):
        if not is_a[j]:
            continue
        for k in range(J):
            if k != j and abs(phi[j, k]) > np.sqrt(ave[j]):
                flags.append(_flag("fornell_larcker", cids[j], abs(phi[j, k]), np.sqrt(ave[j]),
                                   f"{cids[j]}: sqrt(AVE) {np.sqrt(ave[j]):.3f} < |correlation with {cids[k]}| {abs(phi[j, k]):.3f}",
                                   other=cids[k]))

    # ---------------------------------------------------------------- HTMT
    H = htmt_matrix(R, blocks, absolute=htmt == "absolute")
    iu, ju = np.triu_indices(J, k=1)
    htmt_long = pd.DataFrame({
        "construct_1": [cids[i] for i in iu],
        "construct_2": [cids[j] for j in ju],
        "htmt": H[iu, ju],
    })
    # discriminant validity is about the size of the ratio: a signed HTMT of −0.95 is flagged too
    htmt_long["flag"] = (np.abs(H[iu, ju]) > HTMT_MAX) & is_a[iu] & is_a[ju]
    htmt_long["convention"] = htmt
    for r in htmt_long[htmt_long["flag"]].itertuples():
        flags.append(_flag("htmt", r.construct_1, r.htmt, HTMT_MAX,
                           f"{r.construct_1}–{r.construct_2}: HTMT {r.htmt:.3f} > {HTMT_MAX:.2f}"
                           if r.htmt > 0 else
                           f"{r.construct_1}–{r.construct_2}: |HTMT| {abs(r.htmt):.3f} > {HTMT_MAX:.2f} "
                           "(negative: the constructs correlate negatively)",
                           other=r.construct_2))
    lower = np.where(np.tril(np.ones((J, J), dtype=bool), k=-1), H, np.nan)
    htmt_display = pd.DataFrame(lower, index=pd.Index(cids, name="construct"), columns=cids)

    # ---------------------------------------------------------------- cross-loadings
    construct_of = [model.construct_of[i] for i in items]
    cl = fit.cross_loadings.set_index("item").loc[items, cids]
    values = cl.to_numpy(dtype=np.float64)
    own_pos = np.array([cids.index(c) for c in construct_of])
    own = np.abs(values[np.arange(len(items)), own_pos])
    others = np.abs(values).copy()
    others[np.arange(len(items)), own_pos] = -np.inf
    best = others.argmax(axis=1) if J > 1 else np.zeros(len(items), dtype=int)
    best_val = others.max(axis=1) if J > 1 else np.full(len(items), -np.inf)
    cl_flag = (best_val > own) & is_a[own_pos]
    cross = pd.DataFrame({"item": items, "construct": construct_of})
    for c in cids:
        cross[c] = cl[c].to_numpy()
    cross["flag"] = cl_flag
    for g in np.flatnonzero(cl_flag):
        flags.append(_flag("cross_loading", construct_of[g], best_val[g], own[g],
                           f"{items[g]} ({construct_of[g]}): loads {best_val[g]:.3f} on {cids[best[g]]} "
                           f"> {own[g]:.3f} on its own construct",
                           other=cids[best[g]], item=items[g]))

    # ---------------------------------------------------------------- item VIF
    vif_rows = []
    for cid, lst, b, mode in zip(cids, item_lists, blocks, modes):
        v = vif_from_correlations(R[np.ix_(b, b)])
        for item, value in zip(lst, v):
            vif_rows.append({"construct": cid, "item": item, "mode": mode, "vif": float(value)})
    item_vif = pd.DataFrame(vif_rows, columns=["construct", "item", "mode", "vif"])
    item_vif["flag"] = item_vif["vif"] > VIF_MAX
    for r in item_vif[item_vif["flag"]].itertuples():
        flags.append(_flag("item_vif", r.construct, r.vif, VIF_MAX,
                           f"{r.item} ({r.construct}, mode {r.mode}): VIF {r.vif:.2f} > {VIF_MAX:g}", item=r.item))

    # ---------------------------------------------------------------- inner VIF and f²
    pos = {c: k for k, c in enumerate(cids)}
    inner_rows = []
    inner_cache: dict[str, dict[str, float]] = {}
    for target in model.endogenous:
        preds = model.predecessors(target)
        P = [pos[s] for s in preds]
        v = vif_from_correlations(phi[np.ix_(P, P)])
        inner_cache[target] = dict(zip(preds, v))
    for path in model.paths:
        inner_rows.append({"target": path.target, "source": path.source, "vif": float(inner_cache[path.target][path.source])})
    inner_vif = pd.DataFrame(inner_rows, columns=["target", "source", "vif"])
    inner_vif["flag"] = inner_vif["vif"] > VIF_MAX
    for r in inner_vif[inner_vif["flag"]].itertuples():
        flags.append(_flag("inner_vif", r.source, r.vif, VIF_MAX,
                           f"{r.source} → {r.target}: inner VIF {r.vif:.2f} > {VIF_MAX:g}", other=r.target))
    f2 = f2_table(model, phi, fit.r2.set_index("construct")["r2"])

    # ---------------------------------------------------------------- SRMR and GoF
    loading = fit.weights.set_index("item")["loading"].loc[items].to_numpy(dtype=np.float64)
    construct_pos = np.array([pos[c] for c in construct_of])
    B = np.zeros((J, J))
    for row in fit.paths.itertuples():
        B[pos[row.source], pos[row.target]] = row.estimate
    corrected = set() if fit.reliability is None else set(fit.reliability.loc[fit.reliability["corrected"], "construct"])
    factor = [c in corrected for c in cids]
    srmr_sat = _srmr(R, _implied_item_corr(R, loading, construct_pos, blocks, factor, phi))
    phi_hat = _implied_construct_corr(phi, B) if B.any() else phi
    srmr_est = _srmr(R, _implied_item_corr(R, loading, construct_pos, blocks, factor, phi_hat))
    multi = np.array([len(item_lists[k]) > 1 for k in construct_pos])
    mean_comm = float(np.mean(loading[multi] ** 2)) if multi.any() else np.nan
    mean_r2 = float(fit.r2["r2"].mean()) if len(fit.r2) else np.nan
    gof = float(np.sqrt(mean_comm * mean_r2)) if np.isfinite(mean_comm) and np.isfinite(mean_r2) else np.nan
    fit_table = pd.DataFrame({"measure": ["srmr_saturated", "srmr_estimated", "gof"], "value": [srmr_sat, srmr_est, gof]})

    flag_table = pd.DataFrame(flags, columns=FLAG_COLUMNS)
    if flag_table.empty:
        flag_table = flag_table.astype({"value": "float64", "threshold": "float64"})
    info = {
        "Model": model.name,
        "Respondents": fit.n,
        "Engine": fit.engine_description,
        "HTMT": HTMT_LABELS[htmt],
    }
    return Assessment(
        reliability=reliability,
        htmt=htmt_long,
        htmt_matrix=htmt_display,
        fornell_larcker=fornell_larcker,
        cross_loadings=cross,
        item_vif=item_vif,
        inner_vif=inner_vif,
        f2=f2,
        fit=fit_table,
        flags=flag_table,
        info=info,
    )
