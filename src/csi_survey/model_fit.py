"""Overall model fit of a PLS path model: implied correlations, SRMR, d_ULS, d_G, d_ML, the
bootstrap test of exact fit, and HTMT2.

A PLS fit implies a correlation matrix Σ̂ of the items. Comparing it with the observed item
correlation matrix S measures how well the *whole* model (measurement and structure) reproduces
the data (Henseler et al. 2014; Dijkstra & Henseler 2015b; Schuberth, Rademaker & Henseler 2023).
Everything here follows R cSEM 0.6.1 (``fit()``, ``calculateSRMR/DL/DG/DML``, ``testOMF()``,
``calculateHTMT()``); where we deviate, it is said below.

The model-implied item correlation matrix (cSEM ``fit()``)
-----------------------------------------------------------
With Λ the J × p loading matrix (item g loads λ_g on its own construct only), V the J × J construct
correlation matrix and Θ = diag(diag(S) − diag(ΛᵀΛ)) (item g: 1 − λ_g²)::

    Σ̂ = Λᵀ V Λ + Θ,   i.e.   σ̂_gh = λ_g λ_h V_jl (g ≠ h; g in block j, h in block l),   σ̂_gg = 1,

and then, for every construct modelled as a **composite**, the within-block entries of Σ̂ are
replaced by those of S (a composite does not restrict the correlations of its own items).

* *Composite* constructs (every construct of an ordinary PLS fit): λ = the composite loadings
  ``corr(x_g, Y_j) = (S_jj w_j)_g`` (unit-variance score Y_j = w_jᵀx), V = the score correlations.
  Between blocks this is the composite model's ``(S_jj w_j)(S_ll w_l)ᵀ V_jl``.
* *Common-factor* constructs (reflective constructs of a consistent-PLS fit,
  :mod:`csi_survey.engine.plsc`): λ = the PLSc loadings, V = the disattenuated construct
  correlations; within the block σ̂_gh = λ_g λ_h (a one-factor model).

Two versions of V:

* **saturated** — V = the estimated construct correlations (every construct correlates freely):
  only the measurement model is tested;
* **estimated** — V implied by the recursive structural model with the estimated paths. With
  ``B[i, j]`` the path i → j, η = Bᵀη + ζ; the exogenous constructs keep their estimated
  correlations Φ_exo, each endogenous construct gets the disturbance variance
  ``ψ_j = 1 − Σ_i β_ij V_ij`` (= 1 − R²_j), disturbances are uncorrelated with each other and with the
  exogenous constructs, and ``V̂ = (I − Bᵀ)⁻¹ Ψ (I − Bᵀ)⁻ᵀ`` with its diagonal then **set to 1**
  (cSEM ``fit(.saturated = FALSE)``: ``Corr_exo_endo = Φ Γᵀ (I − B)⁻ᵀ``,
  ``Cor_endo = (I − B)⁻¹ (Γ Φ Γᵀ + Ψ)(I − B)⁻ᵀ``, ``diag(Cor_endo) <- 1``). A model without paths is
  saturated.

Discrepancies between S and Σ̂ (cSEM ``calculate*``)
---------------------------------------------------
* ``srmr`` — standardized root mean square residual (Hu & Bentler 1999; for PLS Henseler et al.
  2014): ``√( mean_{g ≥ h} (s_gh − σ̂_gh)² )`` over the lower triangle **including** the diagonal,
  both matrices rescaled to unit diagonal (``cov2cor``).
* ``d_uls`` — squared Euclidean distance (Dijkstra & Henseler 2015b): ``½ Σ_gh (s_gh − σ̂_gh)²``
  over the full matrix (cSEM ``calculateDL``). (Some texts omit the ½; cSEM keeps it.)
* ``d_g`` — geodesic distance (Dijkstra & Henseler 2015b): ``½ Σ_k (ln φ_k)²`` with φ_k the
  eigenvalues of S⁻¹Σ̂. **We report the natural logarithm**, the definition of the geodesic
  (affine-invariant Riemannian) distance between covariance matrices that Dijkstra & Henseler use;
  cSEM 0.6.1 uses ``log10`` (its source comments that the base is uncertain), so its ``dG`` is ours
  divided by (ln 10)² ≈ 5.3019. That value is reported as ``d_g_log10`` for comparison with cSEM.
  The two differ by a constant factor, so the bootstrap test gives the same p-value and decision
  with either.
* ``d_ml`` — the maximum-likelihood fit function ``tr(SΣ̂⁻¹) − ln det(SΣ̂⁻¹) − p``
  (= Σ_k (1/φ_k + ln φ_k − 1)); ``chi_square = (n − 1)·d_ml`` as cSEM. PLS is not a maximum-likelihood
  estimator, so chi_square does not follow a χ² distribution: it is descriptive (no p-value); use the
  bootstrap test below.

d_G and d_ML are NaN when Σ̂ (or S) is not positive definite.

Admissibility (cSEM ``verify()``): ``ModelFit.verify`` flags (2) an absolute loading above 1, (3) a
construct correlation matrix V that is not positive semi-definite, (4) a reliability (ρA of a
common-factor construct) above 1 and (5) an estimated-model Σ̂ that is not positive semi-definite.
"Not PSD" means an eigenvalue below −1e-8 (``matrixcalc::is.positive.semi.definite``, the
function cSEM calls); "above 1" allows a rounding margin of 1e-10 (a single item's loading is
1 up to rounding, which cSEM's strict ``> 1`` can flag by accident). Code 1 (convergence) is checked by the engine, which does not return
non-converged fits.

The bootstrap test of exact overall fit (Beran & Srivastava 1985; Bollen & Stine 1992; Dijkstra &
Henseler 2015b; cSEM ``testOMF()``)
-----------------------------------------------------------------------------------------------
H0: the population item correlation matrix equals the model-implied one. The standardized data
Z (n × p, correlation matrix S) are transformed so that their correlation matrix is exactly Σ̂::

    X_t = Z S^{-1/2} Σ̂^{1/2}     (symmetric matrix square roots; then rescaled to the item sds)

so X_t satisfies H0 and is otherwise as close to the data as possible. B resamples of X_t's rows
are drawn with replacement; on each the model is re-estimated (PLS on the resample's correlation
matrix, all resamples at once with :func:`~csi_survey.engine.pls.pls_core_batch`; the PLSc
correction for common-factor constructs), its Σ̂* and the discrepancies are computed. For each
discrepancy the critical values ``hi_95``, ``hi_99`` are the 95 % / 99 % quantiles of the
resample values (R's quantile type 7, as cSEM's ``matrixStats::rowQuantiles``), the
``p_value`` is the share of resample values ≥ the observed value, and exact fit is rejected at a
level when the observed value is ≥ its critical value (cSEM: "do not reject" when below). As cSEM
(``.handle_inadmissibles = "drop"``), resamples that do not converge, hit a singular matrix or are
inadmissible (codes 2–5 above) are left out and counted. A fit that is inadmissible itself is not
tested (cSEM stops too).

Reproducibility: resample b draws its respondents from its own stream
``SeedSequence(seed).spawn(resamples)[b]`` (the stream :func:`csi_survey.engine.bootstrap.bootstrap`
uses), so the same seed gives the same numbers whatever ``chunk_size``.

HTMT2 (Roemer, Schuberth & Henseler 2021)
-----------------------------------------
The heterotrait–monotrait ratio with *geometric* means, consistent for congeneric (not only
tau-equivalent) measurement models::

    HTMT2_ij = geomean(r_gh : g ∈ i, h ∈ j) / √( geomean(r_gg' : g < g' ∈ i) · geomean(r_hh' : h < h' ∈ j) )

As cSEM 0.6.1 (``calculateHTMT(.type_htmt = "htmt2")``): signed correlations; a single-item block
has monotrait mean 1; when every heterotrait correlation is negative the geometric mean of their
absolute values is taken and the ratio made negative; it is **NaN** when the heterotrait
correlations have mixed signs or a monotrait correlation is negative (the logarithm of a negative
number). ``absolute=True`` uses |r| throughout (the reference's ``derived_abs_cor``; the HTMT
analogue of seminr's absolute-value HTMT). Where cSEM divides by a zero monotrait mean (exact zero
correlation) and returns ±Inf, we return NaN. The ordinary HTMT (arithmetic means) is
:func:`csi_survey.assess.htmt_matrix`; its default (signed correlations) is cSEM's, ``absolute=True``
is seminr's.

References
----------
Beran, R. & Srivastava, M. S. (1985). Bootstrap tests and confidence regions for functions of a
covariance matrix. Annals of Statistics 13(1), 95–115.
Bollen, K. A. & Stine, R. A. (1992). Bootstrapping goodness-of-fit measures in structural equation
models. Sociological Methods & Research 21(2), 205–229.
Dijkstra, T. K. & Henseler, J. (2015a). Consistent partial least squares path modeling. MIS
Quarterly 39(2), 297–316.
Dijkstra, T. K. & Henseler, J. (2015b). Consistent and asymptotically normal PLS estimators for
linear structural equations. Computational Statistics & Data Analysis 81, 10–23.
Henseler, J., Dijkstra, T. K., Sarstedt, M., et al. (2014). Common beliefs and reality about PLS.
Organizational Research Methods 17(2), 182–209.
Hu, L. & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure analysis.
Structural Equation Modeling 6(1), 1–55.
Roemer, E., Schuberth, F. & Henseler, J. (2021). HTMT2 — an improved criterion for assessing
discriminant validity in structural equation modeling. Industrial Management & Data Systems
121(12), 4024–4043.
Schuberth, F., Rademaker, M. E. & Henseler, J. (2023). Assessing the overall fit of composite models
estimated by partial least squares path modeling. European Journal of Marketing 57(6), 1678–1702.

R equivalents: ``cSEM::fit()``, ``cSEM::assess(.quality_criterion = c("srmr", "dl", "dg", "dml"))``,
``cSEM::testOMF()``, ``cSEM::calculateHTMT(.type_htmt = "htmt2")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .exceptions import EstimationError, SettingsError, check_choice, check_count, check_seed
from .assess import check_blocks
from .engine.bootstrap import failure_table, resample_counts
from .engine.pls import OK, item_matrix, pls_core_batch
from .engine.plsc import plsc_batch
from .engine.resample import construct_blocks, count_moments
from .ingest.weights import estimation_weight
from .results import PLSResults, Summary

__all__ = [
    "ModelFit",
    "OverallFitTest",
    "implied_correlations",
    "implied_construct_correlations",
    "fit_measures",
    "discrepancies",
    "htmt2",
    "overall_fit_test",
    "bollen_stine",
    "STRUCTURES",
    "MEASUREMENTS",
    "MEASURES",
    "TEST_MEASURES",
    "PSD_TOLERANCE",
]

Structure = Literal["saturated", "estimated"]
#: Which construct correlations the implied matrix uses (see the module docstring).
STRUCTURES = ("saturated", "estimated")
#: How a construct is modelled in the implied matrix.
MEASUREMENTS = ("composite", "common_factor")
#: The rows of :attr:`ModelFit.measures`, in order.
MEASURES = ("srmr", "d_uls", "d_g", "d_g_log10", "d_ml", "chi_square")
#: The discrepancies the bootstrap test reports, in order.
TEST_MEASURES = ("srmr", "d_uls", "d_g", "d_g_log10", "d_ml")
#: An eigenvalue below −PSD_TOLERANCE makes a matrix "not positive semi-definite" (as
#: ``matrixcalc::is.positive.semi.definite``, used by cSEM's ``verify()``).
PSD_TOLERANCE = 1e-8
_LN10_SQ = np.log(10.0) ** 2
#: A loading or reliability counts as "above 1" beyond this rounding margin (a single item's loading is 1 ± 1e-16).
_ONE_TOLERANCE = 1e-10

_VERIFY_CHECKS = {
    2: "absolute loading above 1",
    3: "construct correlation matrix not positive semi-definite",
    4: "reliability above 1",
    5: "implied item correlation matrix (estimated model) not positive semi-definite",
}


# ====================================================================== batched core
def implied_construct_correlations(construct_correlations: Any, paths: Any) -> np.ndarray:
    """Construct correlations implied by a recursive structural model (cSEM ``fit(.type_vcv = "construct")``).

    ``construct_correlations``: (..., J, J) estimated construct correlations V; ``paths``: (..., J, J)
    path coefficients with ``paths[..., i, j]`` the path i → j. Exogenous constructs (no incoming
    path) keep their correlations; endogenous ones follow ``η = Bᵀη + ζ`` with disturbance variances
    ``1 − Σ_i β_ij V_ij`` (= 1 − R²), uncorrelated disturbances, and a unit diagonal (module
    docstring). A model without paths returns V unchanged. Any number of leading batch axes.
    """
    V = np.asarray(construct_correlations, dtype=np.float64)
    P = np.asarray(paths, dtype=np.float64)
    if V.ndim < 2 or V.shape[-1] != V.shape[-2] or P.shape[-2:] != V.shape[-2:]:
        raise SettingsError(
            f"construct_correlations and paths must both have shape (..., J, J); got {V.shape} and {P.shape}")
    P = np.broadcast_to(P, V.shape)
    J = V.shape[-1]
    structural = (P != 0).any(axis=tuple(range(P.ndim - 2))) if P.ndim > 2 else P != 0
    endo = structural.any(axis=0)
    if not endo.any():
        return V.copy()
    exo = ~endo
    psi = np.zeros_like(V)
    psi[..., exo[:, None] & exo[None, :]] = V[..., exo[:, None] & exo[None, :]]
    zeta = 1.0 - np.sum(P * V, axis=-2)  # 1 − Σ_i β_ij V_ij, per column j
    e = np.flatnonzero(endo)
    psi[..., e, e] = zeta[..., e]
    T = np.linalg.inv(np.eye(J) - np.swapaxes(P, -1, -2))
    out = T @ psi @ np.swapaxes(T, -1, -2)
    out = (out + np.swapaxes(out, -1, -2)) / 2
    d = np.arange(J)
    out[..., d, d] = 1.0
    return out


def _implied_items(S: np.ndarray, lam: np.ndarray, V: np.ndarray, construct_of: np.ndarray,
                   composite: np.ndarray) -> np.ndarray:
    """Σ̂ = ΛᵀVΛ + Θ with the within-block entries of composites taken from S (batched)."""
    sigma = lam[..., :, None] * lam[..., None, :] * V[..., construct_of[:, None], construct_of[None, :]]
    d = np.arange(S.shape[-1])
    sigma[..., d, d] += S[..., d, d] - lam * lam
    same = (construct_of[:, None] == construct_of[None, :]) & composite[construct_of][:, None]
    sigma = np.where(same, S, sigma)
    return sigma


def _eig_ratio(S: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Eigenvalues of S⁻¹Σ̂ (batched) via the symmetric S^{-1/2} Σ̂ S^{-1/2}; NaN where S is not PD."""
    e, U = np.linalg.eigh(S)
    good = (e > 0).all(axis=-1)
    root = np.where(e > 0, e, 1.0) ** -0.5
    half = (U * root[..., None, :]) @ np.swapaxes(U, -1, -2)
    M = half @ sigma @ half
    M = (M + np.swapaxes(M, -1, -2)) / 2
    ok = np.isfinite(M).all(axis=(-2, -1)) & good
    M = np.where(ok[..., None, None], M, np.eye(S.shape[-1]))
    ev = np.linalg.eigvalsh(M)
    ev[~ok] = np.nan
    return ev


def discrepancies(S: Any, sigma: Any) -> dict[str, np.ndarray]:
    """SRMR, d_ULS, d_G (ln and log10) and d_ML between observed ``S`` and implied ``sigma`` (batched).

    Both arrays have shape (..., p, p); returns a dict of arrays of shape (...) keyed by
    :data:`TEST_MEASURES`. Formulas in the module docstring (cSEM ``calculateSRMR``,
    ``calculateDL``, ``calculateDG``, ``calculateDML``)."""
    S = np.asarray(S, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if S.shape != sigma.shape or S.ndim < 2 or S.shape[-1] != S.shape[-2]:
        raise SettingsError(f"S and sigma must have the same shape (..., p, p); got {S.shape} and {sigma.shape}")
    p = S.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ds = np.sqrt(np.diagonal(S, axis1=-2, axis2=-1))
        dh = np.sqrt(np.diagonal(sigma, axis1=-2, axis2=-1))
        diff_std = S / (ds[..., :, None] * ds[..., None, :]) - sigma / (dh[..., :, None] * dh[..., None, :])
        rows, cols = np.tril_indices(p)
        srmr = np.sqrt(np.mean(diff_std[..., rows, cols] ** 2, axis=-1))
        d_uls = 0.5 * np.sum((S - sigma) ** 2, axis=(-2, -1))
        ev = _eig_ratio(S, sigma)
        pd_ok = (ev > 0).all(axis=-1)
        log_ev = np.log(np.where(ev > 0, ev, 1.0))
        d_g = np.where(pd_ok, 0.5 * np.sum(log_ev**2, axis=-1), np.nan)
        d_ml = np.where(pd_ok, np.sum(1.0 / np.where(ev > 0, ev, 1.0) + log_ev - 1.0, axis=-1), np.nan)
    return {"srmr": srmr, "d_uls": d_uls, "d_g": d_g, "d_g_log10": d_g / _LN10_SQ, "d_ml": d_ml}


def _min_eig(A: np.ndarray) -> np.ndarray:
    ok = np.isfinite(A).all(axis=(-2, -1))
    A = np.where(ok[..., None, None], A, np.eye(A.shape[-1]))
    out = np.linalg.eigvalsh((A + np.swapaxes(A, -1, -2)) / 2)[..., 0]
    return np.where(ok, out, np.nan)


def _verify(lam: np.ndarray, V: np.ndarray, rho: np.ndarray, sigma_est: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """cSEM ``verify()`` codes 2–5, batched: code → (failed mask, value)."""
    max_lam = np.max(np.abs(lam), axis=-1)
    eig_v = _min_eig(V)
    max_rho = np.max(rho, axis=-1)
    eig_s = _min_eig(sigma_est)
    return {
        2: (~(max_lam <= 1.0 + _ONE_TOLERANCE), max_lam),
        3: (~(eig_v >= -PSD_TOLERANCE), eig_v),
        4: (~(max_rho <= 1.0 + _ONE_TOLERANCE), max_rho),
        5: (~(eig_s >= -PSD_TOLERANCE), eig_s),
    }


# ====================================================================== inputs from a fit
@dataclass(frozen=True)
class _Inputs:
    """Everything the implied matrices need, on the model's item and construct order."""

    S: np.ndarray            # p × p item correlations
    lam: np.ndarray          # p loadings on the own construct
    V: np.ndarray            # J × J construct correlations
    B: np.ndarray            # J × J paths, [i, j] = i → j
    rho: np.ndarray          # J reliabilities (1 for composites)
    composite: np.ndarray    # J bool
    construct_of: np.ndarray  # p construct positions
    measurement: dict[str, str]


def _check_fit(fit: Any, function: str) -> None:
    if not isinstance(fit, PLSResults):
        raise SettingsError(
            f"{function}() needs a PLSResults (from csi_survey.PLS(model).fit(data)); got {type(fit).__name__}",
            hint="fit the model first: fit = csi.PLS(model).fit(data).",
        )


def _fit_corrected(fit: PLSResults) -> set[str]:
    """The constructs the fit corrected with PLSc (common factors in its tables)."""
    rel = getattr(fit, "reliability", None)
    if isinstance(rel, pd.DataFrame) and "corrected" in rel.columns:
        return set(rel.loc[rel["corrected"].astype(bool), "construct"])
    return set()


def _measurement(fit: PLSResults, measurement: Any) -> dict[str, str]:
    cids = list(fit.model.construct_ids)
    corrected = _fit_corrected(fit)
    default = {c: ("common_factor" if c in corrected else "composite") for c in cids}
    if measurement is None:
        return default
    if isinstance(measurement, str):
        check_choice("measurement", measurement, MEASUREMENTS)
        return {c: measurement for c in cids}
    if isinstance(measurement, Mapping):
        unknown = [c for c in measurement if c not in default]
        if unknown:
            raise SettingsError(
                f"measurement names construct(s) {', '.join(map(repr, unknown))} that the model does not have",
                hint=f"use construct ids of the model: {', '.join(cids)}.")
        out = dict(default)
        for c, kind in measurement.items():
            check_choice(f"measurement[{c!r}]", kind, MEASUREMENTS)
            out[c] = kind
        return out
    raise SettingsError(
        f"measurement must be None, 'composite', 'common_factor' or a mapping construct → one of those; got "
        f"{type(measurement).__name__}")


def _vector(values: Any, names: Sequence[str], what: str, key: str = "item", column: str = "loading") -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        if key not in values.columns or column not in values.columns:
            raise SettingsError(f"{what} as a DataFrame needs the columns {key!r} and {column!r}; got {list(values.columns)}")
        values = values.set_index(key)[column]
    if isinstance(values, (Mapping, pd.Series)):
        s = pd.Series(values, dtype=np.float64) if isinstance(values, Mapping) else values.astype(np.float64)
        missing = [n for n in names if n not in s.index]
        if missing:
            raise SettingsError(f"{what} has no value for {', '.join(missing)}",
                                hint=f"give one value for every {key} of the model.")
        return s.loc[list(names)].to_numpy(dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (len(names),):
        raise SettingsError(f"{what} must hold {len(names)} values (one per {key}, in model order); got shape {arr.shape}")
    return arr


def _matrix(values: Any, names: Sequence[str], what: str) -> np.ndarray:
    J = len(names)
    if isinstance(values, pd.DataFrame):
        missing = [n for n in names if n not in values.index or n not in values.columns]
        if missing:
            raise SettingsError(f"{what} has no row/column for {', '.join(missing)}",
                                hint="label rows and columns with the model's construct ids.")
        arr = values.loc[list(names), list(names)].to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (J, J):
        raise SettingsError(f"{what} must be {J} × {J} (constructs in model order); got shape {arr.shape}")
    if not np.allclose(arr, arr.T, atol=1e-12, rtol=0):
        raise SettingsError(f"{what} is not symmetric")
    return arr


def _path_matrix(paths: Any, model: Any) -> np.ndarray:
    cids = list(model.construct_ids)
    pos = {c: k for k, c in enumerate(cids)}
    adj = model.adjacency
    if isinstance(paths, pd.DataFrame):
        need = {"source", "target", "estimate"}
        if not need <= set(paths.columns):
            raise SettingsError(f"paths as a DataFrame needs the columns source, target, estimate; got {list(paths.columns)}")
        B = np.zeros_like(adj)
        for row in paths.itertuples():
            if row.source not in pos or row.target not in pos or not adj[pos[row.source], pos[row.target]]:
                raise SettingsError(f"paths has {row.source} → {row.target}, which is not a path of the model")
            B[pos[row.source], pos[row.target]] = float(row.estimate)
        given = {(r.source, r.target) for r in paths.itertuples()}
        missing = [f"{p.source} → {p.target}" for p in model.paths if (p.source, p.target) not in given]
        if missing:
            raise SettingsError(f"paths has no estimate for {', '.join(missing)}")
        return B
    B = np.asarray(paths, dtype=np.float64)
    if B.shape != adj.shape:
        raise SettingsError(f"paths must be {adj.shape[0]} × {adj.shape[0]} ([i, j] = path i → j); got shape {B.shape}")
    if np.any((B != 0) & (adj == 0)):
        raise SettingsError("paths has a non-zero coefficient where the model has no path")
    return B


def _inputs(fit: Any, function: str, measurement: Any, loadings: Any, construct_correlations: Any,
            paths: Any) -> _Inputs:
    _check_fit(fit, function)
    model = fit.model
    cids = list(model.construct_ids)
    items = list(model.item_ids)
    pos = {c: k for k, c in enumerate(cids)}
    construct_of = np.array([pos[model.construct_of[i]] for i in items], dtype=np.intp)
    meas = _measurement(fit, measurement)
    composite = np.array([meas[c] == "composite" for c in cids])
    S = fit.item_correlations.loc[items, items].to_numpy(dtype=np.float64)

    corrected = _fit_corrected(fit)
    mismatch = [c for c in cids if (meas[c] == "common_factor") != (c in corrected)]
    if mismatch and (loadings is None or construct_correlations is None or paths is None):
        kinds = ", ".join(f"{c} {meas[c]}" for c in mismatch)
        raise SettingsError(
            f"measurement ({kinds}) differs from how the fit estimated these constructs, so the fit's loadings and "
            "construct correlations do not belong to that model",
            hint="pass loadings= and construct_correlations= (and paths=) for that model, or leave measurement out "
            "(reflective constructs of a consistent-PLS fit are common factors, all others composites).",
        )
    if loadings is None:
        own = fit.cross_loadings.set_index("item").loc[items, cids].to_numpy(dtype=np.float64)
        lam = own[np.arange(len(items)), construct_of]  # composite loadings
        if corrected:
            plsc = fit.weights.set_index("item")["loading"].loc[items].to_numpy(dtype=np.float64)
            is_cf = ~composite[construct_of]
            lam = np.where(is_cf, plsc, lam)
    else:
        lam = _vector(loadings, items, "loadings")
    if construct_correlations is None:
        V = fit.construct_correlations.loc[cids, cids].to_numpy(dtype=np.float64)
    else:
        V = _matrix(construct_correlations, cids, "construct_correlations")
    if paths is None:
        B = _path_matrix(fit.paths, model)
    else:
        B = _path_matrix(paths, model)
    rho = np.ones(len(cids))
    # reliability of a common factor: Q_j² with Q_j = w_jᵀλ_j (cSEM), w the standardized PLS weights
    w = _standardized_weights(fit, S, construct_of)
    for j in np.flatnonzero(~composite):
        idx = construct_of == j
        rho[j] = float(w[idx] @ lam[idx]) ** 2 if idx.sum() > 1 else 1.0
    return _Inputs(S=S, lam=lam, V=V, B=B, rho=rho, composite=composite, construct_of=construct_of, measurement=meas)


def _standardized_weights(fit: PLSResults, S: np.ndarray, construct_of: np.ndarray) -> np.ndarray:
    """Weights of the unit-variance composites on standardized items, w_j = S_jj⁻¹ λ_j (composite loadings)."""
    items = list(fit.model.item_ids)
    cids = list(fit.model.construct_ids)
    own = fit.cross_loadings.set_index("item").loc[items, cids].to_numpy(dtype=np.float64)
    comp = own[np.arange(len(items)), construct_of]
    w = np.empty(len(items))
    for j in range(len(cids)):
        idx = np.flatnonzero(construct_of == j)
        try:
            w[idx] = np.linalg.solve(S[np.ix_(idx, idx)], comp[idx])
        except np.linalg.LinAlgError:
            w[idx] = np.linalg.lstsq(S[np.ix_(idx, idx)], comp[idx], rcond=None)[0]
    return w


def _check_structure(structure: str) -> None:
    check_choice("structure", structure, STRUCTURES)


# ====================================================================== public API
def implied_correlations(
    fit: PLSResults,
    *,
    structure: Structure = "estimated",
    measurement: str | Mapping[str, str] | None = None,
    loadings: Any = None,
    construct_correlations: Any = None,
    paths: Any = None,
) -> pd.DataFrame:
    """The model-implied item correlation matrix Σ̂ of a PLS fit (p × p DataFrame, items in model order).

    Parameters
    ----------
    fit:
        A :class:`~csi_survey.results.PLSResults`. Its item correlations S give the composites'
        within-block entries; its tables give the default loadings, construct correlations and paths.
    structure:
        ``"estimated"`` (default): construct correlations implied by the paths
        (:func:`implied_construct_correlations`); ``"saturated"``: the estimated construct correlations.
    measurement:
        ``None`` (default): as the fit estimated the constructs — reflective constructs of a
        consistent-PLS fit are common factors, every other construct (all of an ordinary PLS fit) a
        composite. Or ``"composite"`` / ``"common_factor"`` for every construct, or a mapping
        construct → kind. A kind that differs from the fit's needs explicit ``loadings``,
        ``construct_correlations`` and ``paths``.
    loadings, construct_correlations, paths:
        Explicit inputs replacing the fit's: loadings (Series/mapping item → value, a DataFrame with
        ``item, loading``, or an array in model item order), construct correlations (DataFrame
        labelled by construct ids, or J × J array), paths (DataFrame ``source, target, estimate`` or a
        J × J array with ``[i, j]`` = path i → j). E.g. the PLSc loadings and disattenuated
        correlations of another program.

    Formulas: module docstring (cSEM ``fit(.type_vcv = "indicator")``).

    Example
    -------
    >>> fit = csi.PLS(csi.template("ecsi")).fit(mobi)                         # doctest: +SKIP
    >>> implied_correlations(fit, structure="saturated").loc["CUSA1", "CUSL1"]  # doctest: +SKIP
    """
    _check_structure(structure)
    inp = _inputs(fit, "implied_correlations", measurement, loadings, construct_correlations, paths)
    sigma = _sigma(inp, structure)
    items = list(fit.model.item_ids)
    return pd.DataFrame(sigma, index=items, columns=items)


def _sigma(inp: _Inputs, structure: str) -> np.ndarray:
    V = inp.V if structure == "saturated" else implied_construct_correlations(inp.V, inp.B)
    return _implied_items(inp.S, inp.lam, V, inp.construct_of, inp.composite)


@dataclass(frozen=True)
class ModelFit:
    """Overall fit of a PLS model: discrepancies between observed and implied item correlations.

    Build with :func:`fit_measures`.

    Tables
    ------
    measures
        ``measure, saturated, estimated`` — one row per :data:`MEASURES` (``srmr, d_uls, d_g``
        (natural log), ``d_g_log10`` (cSEM's dG), ``d_ml, chi_square``); ``saturated`` with the
        estimated construct correlations, ``estimated`` with those implied by the paths.
    verify
        ``code, check, failed, value`` — cSEM ``verify()`` codes 2–5 for these inputs (value: the
        largest absolute loading, the smallest eigenvalue of the construct correlations, the largest
        reliability, the smallest eigenvalue of the estimated Σ̂).
    implied_saturated, implied_estimated
        The two implied item correlation matrices (items × items).
    measurement
        Construct → ``"composite"`` or ``"common_factor"``, as used.
    """

    measures: pd.DataFrame
    verify: pd.DataFrame
    implied_saturated: pd.DataFrame
    implied_estimated: pd.DataFrame
    measurement: Mapping[str, str]
    n: int
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def admissible(self) -> bool:
        """False when any check of :attr:`verify` failed (the numbers are then not interpretable)."""
        return not bool(self.verify["failed"].any())

    def value(self, measure: str, structure: Structure = "estimated") -> float:
        """One number of :attr:`measures`, e.g. ``value("srmr", "saturated")``."""
        check_choice("measure", measure, MEASURES)
        _check_structure(structure)
        return float(self.measures.set_index("measure").loc[measure, structure])

    def summary(self) -> Summary:
        """Printable summary (text with ``str()``, HTML in notebooks)."""
        info = dict(self.info)
        kinds = pd.Series(self.measurement).value_counts()
        info["Measurement"] = ", ".join(f"{k} {v}" for k, v in kinds.items())
        info["Admissible"] = "yes" if self.admissible else "no: " + "; ".join(
            self.verify.loc[self.verify["failed"], "check"])
        info["d_G"] = "natural logarithm (d_g_log10 = cSEM's dG)"
        return Summary(title="csi-survey overall model fit", info=info, tables={"Model fit": self.measures})

    def __repr__(self) -> str:
        return (f"<ModelFit SRMR {self.value('srmr', 'saturated'):.4f} (saturated) / "
                f"{self.value('srmr', 'estimated'):.4f} (estimated)>")


def fit_measures(
    fit: PLSResults,
    *,
    measurement: str | Mapping[str, str] | None = None,
    loadings: Any = None,
    construct_correlations: Any = None,
    paths: Any = None,
) -> ModelFit:
    """SRMR, d_ULS, d_G, d_ML and chi-square of a PLS fit, for the saturated and the estimated model.

    Arguments as :func:`implied_correlations`. No re-estimation: everything comes from the fit's
    tables (or the explicit inputs). Formulas and conventions in the module docstring; values equal
    cSEM's ``assess()`` (``d_g_log10`` is cSEM's ``dG``, ``d_g`` uses the natural logarithm).

    Example
    -------
    >>> fit = csi.PLS(csi.template("ecsi")).fit(mobi)     # doctest: +SKIP
    >>> print(fit_measures(fit).summary())                # doctest: +SKIP

    R equivalent: ``cSEM::assess(res, .quality_criterion = c("srmr", "dl", "dg", "dml", "chi_square"))``
    (estimated model) and ``calculateSRMR(res, .saturated = TRUE)`` etc.
    """
    inp = _inputs(fit, "fit_measures", measurement, loadings, construct_correlations, paths)
    items = list(fit.model.item_ids)
    sat = _sigma(inp, "saturated")
    est = _sigma(inp, "estimated")
    both = discrepancies(np.stack([inp.S, inp.S]), np.stack([sat, est]))
    n = int(fit.n)
    rows = []
    for m in MEASURES:
        vals = both["d_ml"] * (n - 1) if m == "chi_square" else both[m]
        rows.append({"measure": m, "saturated": float(vals[0]), "estimated": float(vals[1])})
    checks = _verify(inp.lam, inp.V, inp.rho, est)
    verify = pd.DataFrame({
        "code": list(_VERIFY_CHECKS),
        "check": list(_VERIFY_CHECKS.values()),
        "failed": [bool(checks[c][0]) for c in _VERIFY_CHECKS],
        "value": [float(checks[c][1]) for c in _VERIFY_CHECKS],
    })
    info = {"Model": fit.model.name, "Respondents": n, "Engine": fit.engine_description}
    return ModelFit(
        measures=pd.DataFrame(rows, columns=["measure", "saturated", "estimated"]),
        verify=verify,
        implied_saturated=pd.DataFrame(sat, index=items, columns=items),
        implied_estimated=pd.DataFrame(est, index=items, columns=items),
        measurement=dict(inp.measurement),
        n=n,
        info=info,
    )


# ====================================================================== HTMT2
def htmt2(R: Any, blocks: Sequence[Sequence[int] | np.ndarray], *, absolute: bool = False) -> np.ndarray:
    """HTMT2 (Roemer, Schuberth & Henseler 2021) for every pair of blocks, batched.

    ``R``: item correlation matrices of shape (..., p, p); ``blocks[j]``: the row indices of
    construct j's items. Returns (..., J, J), symmetric, diagonal 1. Signed correlations as cSEM
    0.6.1 (NaN when the heterotrait correlations have mixed signs or a monotrait correlation is not
    positive; negative when all heterotrait correlations are negative); ``absolute=True`` uses |r|.
    Formula in the module docstring. R: ``cSEM::calculateHTMT(res, .type_htmt = "htmt2")``.
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
    At = A.T
    off = ~np.eye(p, dtype=bool)
    neg = ((R < 0) & off).astype(np.float64)
    nonpos = ((R <= 0) & off).astype(np.float64)
    zero = ((R == 0) & off).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logabs = np.where(off & (R != 0), np.log(np.abs(np.where(R != 0, R, 1.0))), 0.0)
    sum_log = At @ logabs @ A                        # Σ log|r| over each pair of blocks (off-diagonal)
    sum_log = (sum_log + np.swapaxes(sum_log, -1, -2)) / 2  # exactly symmetric
    n_neg = At @ neg @ A
    n_zero = At @ zero @ A
    n_nonpos = At @ nonpos @ A
    pairs = np.outer(k, k)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # heterotrait geometric mean (i ≠ j)
        geo = np.exp(sum_log / pairs)
        het = np.where(n_neg == pairs, -geo, np.where(n_neg == 0, np.where(n_zero > 0, 0.0, geo), np.nan))
        # monotrait geometric mean: the k(k − 1) ordered off-diagonal pairs of the block
        mono_pairs = k * (k - 1)
        diag_log = np.diagonal(sum_log, axis1=-2, axis2=-1)
        diag_bad = np.diagonal(n_nonpos, axis1=-2, axis2=-1)
        mono = np.where(k > 1, np.exp(diag_log / np.maximum(mono_pairs, 1.0)), 1.0)
        mono = np.where((k > 1) & (diag_bad > 0), np.nan, mono)
        out = het / np.sqrt(mono[..., :, None] * mono[..., None, :])
    eye = np.eye(J, dtype=bool)
    return np.where(eye, 1.0, out)


# ====================================================================== the bootstrap test
@dataclass(frozen=True)
class OverallFitTest:
    """Bootstrap test of exact overall model fit (cSEM ``testOMF``). Build with :func:`overall_fit_test`.

    Tables
    ------
    table
        ``measure, estimate, hi_95, hi_99, p_value, reject_95, reject_99`` — one row per
        :data:`TEST_MEASURES`: the observed discrepancy, the (1 − α) quantiles of its bootstrap
        distribution under H0 (one ``hi_`` column per level, as cSEM's "95%"/"99%" columns), the
        share of resample values ≥ the observed one, and whether exact fit is rejected at that
        level (observed ≥ critical value).
    draws
        ``used × len(TEST_MEASURES)`` array of the resample discrepancies (columns as ``table``).
    failures
        ``resample, reason`` — resamples left out (not converged, singular or inadmissible).
    """

    table: pd.DataFrame
    draws: np.ndarray
    failures: pd.DataFrame
    resamples: int
    used: int
    seed: int
    structure: str
    levels: tuple[float, ...]
    measurement: Mapping[str, str]
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.resamples - self.used

    def summary(self) -> Summary:
        """Printable summary (text with ``str()``, HTML in notebooks)."""
        info = dict(self.info)
        info["Structure"] = f"{self.structure} model"
        info["Bootstrap"] = (f"{self.used} of {self.resamples} resamples used (Bollen–Stine transformed data), "
                             f"seed {self.seed}")
        return Summary(title="csi-survey test of exact overall fit", info=info, tables={"Test": self.table})

    def __repr__(self) -> str:
        srmr = self.table.set_index("measure").loc["srmr"]
        return (f"<OverallFitTest {self.structure}: SRMR {srmr['estimate']:.4f}, p = {srmr['p_value']:.3f} "
                f"({self.used}/{self.resamples} resamples, seed={self.seed})>")


def _level_name(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def _sqrtm(A: np.ndarray, inverse: bool = False) -> np.ndarray:
    e, U = np.linalg.eigh((A + A.T) / 2)
    e = np.clip(e, 0.0, None)
    root = np.sqrt(e)
    if inverse:
        root = 1.0 / root
    return (U * root) @ U.T


def bollen_stine(X: Any, sigma: Any, weight: Any = None) -> np.ndarray:
    """Transform data so that their correlation matrix is exactly ``sigma`` (Bollen & Stine 1992;
    Beran & Srivastava 1985).

    ``X``: n × p data, ``sigma``: p × p target correlation matrix (positive semi-definite),
    ``weight``: optional n survey weights. Returns ``Z S^{-1/2} Σ^{1/2}`` rescaled to the item
    standard deviations and re-centred at the item means, with Z the standardized data and S their
    correlation matrix (weighted moments when ``weight`` is given; symmetric square roots). The
    result keeps every item's mean and standard deviation, and its (weighted) correlation matrix
    is ``sigma``. S must be positive definite."""
    X = np.asarray(X, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if X.ndim != 2 or sigma.shape != (X.shape[1], X.shape[1]):
        raise SettingsError(f"X must be n × p and sigma p × p; got {X.shape} and {sigma.shape}")
    n = X.shape[0]
    if weight is None:
        mean = X.mean(axis=0)
        Xc = X - mean
        cov = Xc.T @ Xc / (n - 1)
    else:
        w = np.asarray(weight, dtype=np.float64)
        if w.shape != (n,) or not (w > 0).all():
            raise SettingsError(f"weight must hold {n} positive numbers; got shape {w.shape}")
        w = w * (n / w.sum())
        mean = (w @ X) / n
        Xc = X - mean
        cov = (Xc * w[:, None]).T @ Xc / (n - 1)
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all():
        raise SettingsError("every column of X must vary (an item with one answer for everyone has no correlation)")
    S = cov / np.outer(sd, sd)
    e = np.linalg.eigvalsh(S)
    if not e[0] > 1e-12 * e[-1]:
        raise EstimationError("the item correlation matrix of the data is singular, so the data cannot be transformed",
                              hint="remove duplicated or perfectly collinear items.")
    if np.linalg.eigvalsh((sigma + sigma.T) / 2)[0] < -PSD_TOLERANCE:
        raise EstimationError("the target correlation matrix is not positive semi-definite")
    return (Xc / sd) @ _sqrtm(S, inverse=True) @ _sqrtm(sigma) * sd + mean


@dataclass(frozen=True)
class _TestState:
    Xt: np.ndarray           # n × p transformed, centred data
    weight: np.ndarray | None
    blocks: list
    modes: list
    adj: np.ndarray
    scheme: str
    scaled: bool
    tol: float
    max_iter: int
    names: list
    item_names: list
    construct_of: np.ndarray
    composite: np.ndarray
    structure: str


def _resample_measures(state: _TestState, K: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    """Discrepancies (m × len(TEST_MEASURES)) of the refits on the resamples given by counts K; NaN rows failed."""
    if state.weight is not None:
        K = K * state.weight
    N, S1, S2 = count_moments(state.Xt, K)
    mean = S1 / N[:, None]
    scatter = S2 - N[:, None, None] * mean[:, :, None] * mean[:, None, :]
    ddof = 1 if state.scaled else 0
    cov = scatter / (N - ddof)[:, None, None]
    var = np.einsum("bii->bi", cov)
    sd = np.sqrt(np.clip(var, 0, None))
    flat = (sd <= 1e-12 * np.maximum(1.0, sd.max(axis=1, keepdims=True))).any(axis=1)
    safe = np.where(sd > 0, sd, 1.0)
    R = cov / (safe[:, :, None] * safe[:, None, :])
    R[flat] = np.eye(R.shape[1])
    C = R if state.scaled else np.where(flat[:, None, None], np.eye(R.shape[1]), cov)
    core = pls_core_batch(C, state.blocks, state.modes, state.adj, state.scheme, state.tol, state.max_iter,
                          state.names, state.item_names)
    problems: dict[int, str] = {}
    bad = core.status != OK
    for b in np.flatnonzero(bad):
        problems[int(b)] = core.problems.get(int(b), "PLS did not converge")
    for b in np.flatnonzero(flat):
        bad[b] = True
        problems[int(b)] = "an item has the same answer for every respondent of this resample"
    p = R.shape[1]
    rows = np.arange(p)
    lam = core.cross_loadings[:, rows, state.construct_of]
    V = core.construct_corr
    B = core.paths
    rho = np.ones((len(K), len(state.blocks)))
    cf = ~state.composite
    if cf.any():
        pc = plsc_batch(C, core.weights, core.construct_corr, core.cross_loadings, state.blocks, state.adj, cf,
                        state.names)
        lam = pc.loadings[:, rows, state.construct_of]
        V, B, rho = pc.construct_corr, pc.paths, pc.rho_a
        for b in np.flatnonzero(~pc.ok & ~bad):
            bad[b] = True
            problems[int(b)] = pc.problems.get(int(b), "consistent PLS failed")
    # failed entries get harmless placeholders (their rows are discarded below)
    lam = np.where(bad[:, None], 0.0, lam)
    V = np.where(bad[:, None, None], np.eye(V.shape[-1]), V)
    B = np.where(bad[:, None, None], 0.0, np.nan_to_num(B))
    rho = np.where(bad[:, None], 1.0, rho)
    with np.errstate(invalid="ignore"):
        est = _implied_items(R, lam, implied_construct_correlations(V, B), state.construct_of, state.composite)
        sigma = est if state.structure == "estimated" else _implied_items(R, lam, V, state.construct_of, state.composite)
        checks = _verify(lam, V, rho, est)
    for code, (failed, value) in checks.items():
        for b in np.flatnonzero(failed & ~bad):
            bad[b] = True
            problems[int(b)] = f"inadmissible: {_VERIFY_CHECKS[code]} ({value[b]:.4g})"
    d = discrepancies(R, sigma)
    out = np.column_stack([d[m] for m in TEST_MEASURES])
    for b in np.flatnonzero(~np.isfinite(out).all(axis=1) & ~bad):
        bad[b] = True
        problems[int(b)] = "a discrepancy is undefined (implied matrix not positive definite)"
    out[bad] = np.nan
    return out, problems


def overall_fit_test(
    fit: PLSResults,
    data: Any,
    *,
    resamples: int = 499,
    seed: int | None = None,
    structure: Structure = "estimated",
    levels: Sequence[float] = (0.95, 0.99),
    chunk_size: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> OverallFitTest:
    """Bootstrap test of exact overall model fit (Bollen–Stine / Beran–Srivastava; cSEM ``testOMF``).

    Parameters
    ----------
    fit:
        The :class:`~csi_survey.results.PLSResults` to test (composites, and the reflective
        constructs of a consistent-PLS fit as common factors). Must be admissible.
    data:
        The data the fit was estimated on (SurveyData or DataFrame). A weighted fit is resampled
        with its weights (each resampled respondent carries its weight, as the bootstrap does).
    resamples:
        Number of bootstrap resamples (499, cSEM's default).
    seed:
        Seed of the random streams (``None`` draws one; it is recorded in the result).
    structure:
        ``"estimated"`` (default; cSEM ``.saturated = FALSE``): tests the whole model;
        ``"saturated"``: the measurement model only.
    levels:
        Levels of the critical values (0.95 and 0.99 → columns ``hi_95``, ``hi_99``).
    chunk_size:
        Resamples re-estimated together (memory ∝ chunk_size · p²); does not change the results.
    progress:
        Called as ``progress(done, total)`` after each chunk.

    Returns
    -------
    OverallFitTest
        Observed discrepancies, critical values, p-values and decisions (see the class).

    Example
    -------
    >>> fit = csi.PLS(csi.template("ecsi")).fit(mobi)                       # doctest: +SKIP
    >>> print(overall_fit_test(fit, mobi, resamples=999, seed=1).summary())  # doctest: +SKIP

    R equivalent: ``cSEM::testOMF(res, .R = 499, .alpha = c(0.05, 0.01))``.
    """
    _check_fit(fit, "overall_fit_test")
    _check_structure(structure)
    resamples = check_count("resamples", resamples, 3)
    chunk_size = check_count("chunk_size", chunk_size, 1)
    seed = check_seed(seed)
    lv = []
    for level in levels:
        if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
            raise SettingsError(f"levels must be numbers between 0 and 1 (e.g. 0.95); got {level!r}")
        lv.append(float(level))
    if not lv:
        raise SettingsError("levels must name at least one level, e.g. (0.95, 0.99)")
    lv = sorted(set(lv))

    model = fit.model
    inp = _inputs(fit, "overall_fit_test", None, None, None, None)
    settings = fit.settings
    sigma_est = _sigma(inp, "estimated")
    sigma = sigma_est if structure == "estimated" else _sigma(inp, "saturated")
    checks = _verify(inp.lam, inp.V, inp.rho, sigma_est)
    failed = [f"{_VERIFY_CHECKS[c]} ({v:.4g})" for c, (f, v) in checks.items() if f]
    if failed:
        raise EstimationError(
            "the fit is inadmissible, so its implied correlation matrix cannot serve as the null hypothesis of the "
            "test: " + "; ".join(failed),
            hint="inspect fit_measures(fit).verify; for consistent PLS declare the weakest reflective constructs "
            "measurement: composite, or revise their items.",
        )
    observed = discrepancies(inp.S, sigma)

    # ---------------------------------------------------------------- the Bollen–Stine transformed data
    X, _ = item_matrix(model, data)
    n, p = X.shape
    if n != fit.n:
        raise SettingsError(
            f"data has {n} respondents but the fit was estimated on {fit.n}",
            hint="pass the data the fit was estimated on: fit = PLS(model).fit(data); overall_fit_test(fit, data).")
    ew = estimation_weight(getattr(fit, "weight", None))
    if ew is None:
        mean = X.mean(axis=0)
        Xc = X - mean
        cov = Xc.T @ Xc / (n - 1)
    else:
        total = float(ew.sum())
        mean = (ew @ X) / total
        Xc = X - mean
        cov = (Xc * ew[:, None]).T @ Xc / (total - 1)
    sd = np.sqrt(np.diag(cov))
    if not np.allclose(cov / np.outer(sd, sd), inp.S, atol=1e-9, rtol=0):
        raise SettingsError(
            "the item correlations of data differ from those the fit was estimated on",
            hint="pass the data (and weights) the fit was estimated on.")
    Xt = bollen_stine(X, sigma, ew) - mean  # centred: the moments of a resample are taken around 0

    cids = list(model.construct_ids)
    state = _TestState(
        Xt=Xt, weight=ew, blocks=construct_blocks(model), modes=[c.mode for c in model.constructs.values()],
        adj=model.adjacency, scheme=settings["scheme"], scaled=settings.get("scaled", True), tol=settings["tol"],
        max_iter=settings["max_iter"], names=cids, item_names=list(model.item_ids), construct_of=inp.construct_of,
        composite=inp.composite, structure=structure,
    )
    children = np.random.SeedSequence(seed).spawn(resamples)
    values = np.empty((resamples, len(TEST_MEASURES)))
    reasons: dict[int, str] = {}
    for start in range(0, resamples, chunk_size):
        seeds = children[start:start + chunk_size]
        out, problems = _resample_measures(state, resample_counts(seeds, n))
        values[start:start + len(seeds)] = out
        reasons.update({start + b: msg for b, msg in problems.items()})
        if progress is not None:
            progress(min(start + chunk_size, resamples), resamples)
    good = np.isfinite(values).all(axis=1)
    draws = values[good]
    if draws.shape[0] < 3:
        raise EstimationError(
            f"only {draws.shape[0]} of {resamples} bootstrap resamples could be re-estimated (admissibly)",
            hint="see the failures of a smaller run; consider a composite (not common-factor) measurement model.")
    obs = np.array([float(observed[m]) for m in TEST_MEASURES])
    table = pd.DataFrame({"measure": list(TEST_MEASURES), "estimate": obs})
    crit = np.quantile(draws, lv, axis=0)  # type 7, as R's default
    for level, c in zip(lv, crit):
        table[f"hi_{_level_name(level)}"] = c
    table["p_value"] = (draws >= obs).mean(axis=0)
    for level, c in zip(lv, crit):
        table[f"reject_{_level_name(level)}"] = obs >= c
    failures = failure_table(reasons)
    info = {"Model": model.name, "Respondents": n, "Engine": fit.engine_description}
    return OverallFitTest(
        table=table, draws=draws, failures=failures, resamples=resamples, used=int(good.sum()), seed=seed,
        structure=structure, levels=tuple(lv), measurement=dict(inp.measurement), info=info,
    )
