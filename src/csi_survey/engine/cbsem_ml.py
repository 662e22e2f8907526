"""The maximum-likelihood optimizer of the covariance-based SEM engine (:mod:`csi_survey.engine.cbsem`).

semopy builds the model matrices and ``∂Σ/∂θ``; this module minimizes the ML discrepancy

    F(θ) = log|Σ(θ)| + tr(S Σ(θ)⁻¹) − log|S| − p        (χ² = N·F; lavaan's ``fmin`` is F/2)

and judges convergence. Facts follow lavaan 0.6 (``lav_start.R``, ``lav_cfa_1fac.R``, ``lav_optim*.R``);
the code is ours.

Starting values (lavaan's ``start = "default"``, :func:`lavaan_start_values`)
-------------------------------------------------------------------------------
* loadings: per latent variable measured by items only, Hägglund's (1982) FABIN3 instrumental-variable
  estimator (:func:`fabin3`): for item i ≥ 2 the instruments are the items other than the marker and i,
  ``λᵢ = s_{i,J} t / (s_{1,J} t)`` with ``t = S_JJ⁻¹ s_{J,1}``; for 2–3 items lavaan's closed form
  (``λ₂ = s₃₂/s₃₁``, ``λ₃ = s₃₂/s₂₁``; 2 items padded to 3 as lavaan does; 1 for a negative triad);
  bounded by ``±sqrt(sᵢᵢ / (0.1·s₁₁))`` (an item reliability of at least 0.1). Loadings on latent
  variables (second order): 1.
* residual variances of items: half the observed variance;
* (residual) variances of latent variables: 0.05, except an exogenous latent variable with one item:
  the item's variance minus its fixed residual variance (1 when free), at least 0.05;
* regressions and covariances: 0. Fixed parameters keep their values.

Optimizer (:class:`MLProblem`)
------------------------------
* analytic gradient ``∂F/∂θₖ = tr((Σ⁻¹ − Σ⁻¹ S Σ⁻¹) ∂Σ/∂θₖ)``;
* expected Hessian ``H(θ) = tr(Σ⁻¹ ∂Σ/∂θᵢ Σ⁻¹ ∂Σ/∂θⱼ)`` (twice the unit expected information);
* scipy's ``trust-exact`` (Moré & Sorensen 1983 trust region) with that Hessian: Fisher scoring in a
  trust region, at most ``max_iter`` iterations; a step to a θ where Σ is not positive definite is a
  failed step (the region shrinks). It also stops when F fell by at most ``STALL_TOL · max(1, F)``
  (1e-5) over the last ``STALL_WINDOW`` (100) iterations: on a ridge (an unidentified model) it would
  otherwise creep on to ``max_iter`` (measured: the ECSI template on random answers, F falling by
  ~6e-8 per iteration, 10,000 iterations in 76 s). A model that converges gets there in far fewer
  iterations (35–66 on the models of the test suite, 152 on 30 respondents of mobi).
  Where it stops is judged like any other end point (below). No bounds (lavaan's default). lavaan runs the PORT quasi-Newton
  ``nlminb``; both reach the same minimum (the test suite checks the lavaan tutorial and the ECSI
  template on mobi, lavaan's F = 2.3023).
* **polish**: the trust region stops when F no longer decreases in floating point. On a
  near-degenerate model (flat valleys) F's rounding (~1e-16) still leaves the flattest parameters
  uncertain by ``sqrt(2·1e-16/λ_min)`` (measured 3e-6 on ECSI/mobi between 1 and 2 BLAS threads). Up
  to ``POLISH_STEPS`` Newton steps on the gradient follow, with the observed Hessian by central
  differences of the analytic gradient; a step is kept while the Hessian is positive definite, Σ stays
  positive definite, F does not rise beyond rounding (``1e-12·max(1, F)``) and the scaled gradient
  norm falls. The gradient is exact to ~1e-16 relative, so the estimates then agree to ~1e-10 whatever
  the summation order.

Convergence verdict (:meth:`MLProblem.decrement`)
-------------------------------------------------
The Newton decrement ``δ = ½ gᵀ H⁺ g`` with the expected Hessian (``H⁺``: pseudo-inverse of H scaled to
unit diagonal, eigenvalues below ``SINGULAR_RCOND`` of the largest dropped) is the decrease of F that
one more scoring step predicts. The engine calls the fit converged when ``δ ≤ tol · max(1, F)``
(``tol = 1e-10``, lavaan's ``rel.tol``). At a minimum δ is of the order of rounding or below (≤ 1e-14 after the
trust region, ≤ 1e-26 after the polish, on every model of the test suite); summation order moves F by
~1e-15: the verdict does not depend on the BLAS.

References: Jöreskog (1969); Lee & Jennrich (1979), *A study of algorithms for covariance structure
analysis with specific comparisons using factor analysis*, Psychometrika 44 (Fisher scoring for
covariance structures); Hägglund (1982), *Factor analysis by instrumental variables methods*,
Psychometrika 47; Moré & Sorensen (1983), *Computing a trust region step*, SIAM J. Sci. Stat. Comput. 4;
Rosseel (2012), lavaan, JSS 48(2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import optimize

__all__ = ["MLProblem", "fabin3", "lavaan_start_values", "SOLVER", "SINGULAR_RCOND", "POLISH_STEPS", "STALL_WINDOW",
           "STALL_TOL"]

#: The scipy optimizer (trust region with the expected Hessian: Fisher scoring).
SOLVER = "trust-exact"

#: The information matrix counts as singular (model not identified) when its smallest eigenvalue,
#: after scaling it to unit diagonal, is below this fraction of the largest one.
SINGULAR_RCOND = 1e-10

#: Newton steps on the gradient after the trust region stops (see the module docstring).
POLISH_STEPS = 6

#: The trust region also stops when F decreased by at most STALL_TOL · max(1, F) over the last
#: STALL_WINDOW iterations (a ridge or a flat valley: bounded work). Where it stops is then judged by
#: the Newton decrement like any other end point.
STALL_WINDOW = 100
STALL_TOL = 1e-5


class MLProblem:
    """The ML discrepancy of a semopy model (``sem.mx_cov`` loaded), its analytic gradient, expected
    Hessian and Newton decrement, and the minimizer. Evaluations at the same θ are cached."""

    def __init__(self, sem: Any) -> None:
        self.sem = sem
        self.S = np.asarray(sem.mx_cov, dtype=float)
        self.p = self.S.shape[0]
        self.logdet_s = float(np.linalg.slogdet(self.S)[1])
        self._key: bytes | None = None
        self._cache: tuple[float, np.ndarray, list[np.ndarray]] | None = None

    def _moments(self, x: np.ndarray) -> tuple[float, np.ndarray, list[np.ndarray]] | None:
        """(log|Σ|, Σ⁻¹, ∂Σ/∂θ) at x, or None when Σ is not positive definite (or not finite)."""
        x = np.asarray(x, dtype=float)
        key = x.tobytes()
        if key == self._key:
            return self._cache
        self._key, self._cache = key, None
        if not np.isfinite(x).all():
            return None
        sem = self.sem
        sem.update_matrices(x)
        try:
            sigma, (m, c) = sem.calc_sigma()
            sigma = np.asarray(sigma, dtype=float)
            sigma = (sigma + sigma.T) / 2
            if not np.isfinite(sigma).all():
                return None
            chol = np.linalg.cholesky(sigma)
        except (np.linalg.LinAlgError, ValueError):
            return None
        inv_chol = np.linalg.inv(chol)
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
        self._cache = (logdet, inv_chol.T @ inv_chol, [np.asarray(g, dtype=float) for g in sem.calc_sigma_grad(m, c)])
        return self._cache

    def value(self, x: np.ndarray) -> float:
        """F(x); ``inf`` where Σ is not positive definite."""
        mom = self._moments(x)
        if mom is None:
            return np.inf
        logdet, inv, _ = mom
        return float(logdet + np.sum(self.S * inv) - self.logdet_s - self.p)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        mom = self._moments(x)
        if mom is None:
            return np.full(len(x), np.nan)
        _, inv, grads = mom
        if not grads:
            return np.zeros(0)
        resid = inv - inv @ self.S @ inv
        return np.stack(grads).reshape(len(grads), -1) @ resid.T.ravel()  # tr(R ∂Σ/∂θₖ)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Expected Hessian of F: ``tr(Σ⁻¹ ∂Σ/∂θᵢ Σ⁻¹ ∂Σ/∂θⱼ)``."""
        mom = self._moments(x)
        if mom is None:
            return np.full((len(x), len(x)), np.nan)
        _, inv, grads = mom
        if not grads:
            return np.zeros((0, 0))
        A = inv @ np.stack(grads)  # Σ⁻¹ ∂Σ/∂θₖ, k × p × p
        k = len(grads)
        H = A.reshape(k, -1) @ A.transpose(0, 2, 1).reshape(k, -1).T  # tr(AᵢAⱼ)
        return (H + H.T) / 2

    def decrement(self, x: np.ndarray) -> float:
        """Newton decrement ½ gᵀH⁺g with the expected Hessian: the decrease of F a scoring step predicts."""
        g, H = self.gradient(x), self.hessian(x)
        if not (np.isfinite(g).all() and np.isfinite(H).all()):
            return np.inf
        if g.size == 0:
            return 0.0
        d = np.sqrt(np.clip(np.diag(H), 0, None))
        d = np.where(d > 0, d, 1.0)
        eig, vec = np.linalg.eigh(H / np.outer(d, d))
        keep = eig > SINGULAR_RCOND * max(eig[-1], 1e-300)
        proj = vec[:, keep].T @ (g / d)
        return 0.5 * float(np.sum(proj ** 2 / eig[keep]))

    def minimize(self, x0: np.ndarray, max_iter: int) -> tuple[np.ndarray, int, list[float]]:
        """Trust-region Fisher scoring from x0, then the Newton polish; returns (θ, iterations, F after
        each iteration). Polishing steps count as iterations, within ``max_iter``."""
        history = [self.value(x0)]
        if len(x0) == 0 or not np.isfinite(history[0]):
            return np.asarray(x0, dtype=float), 0, history

        def objective(x: np.ndarray) -> float:
            value = self.value(x)
            return value if np.isfinite(value) else 1e300  # not positive definite: a failed step

        # scipy evaluates the gradient and Hessian at a proposed point before it rejects the step: where Σ
        # is not positive definite they must still be finite (the step is rejected by its objective)
        def gradient(x: np.ndarray) -> np.ndarray:
            g = self.gradient(x)
            return g if np.isfinite(g).all() else np.zeros(len(x))

        def hessian(x: np.ndarray) -> np.ndarray:
            H = self.hessian(x)
            return H if np.isfinite(H).all() else np.eye(len(x))

        def record(intermediate_result: optimize.OptimizeResult) -> None:
            history.append(float(intermediate_result.fun))
            if len(history) > STALL_WINDOW and history[-STALL_WINDOW - 1] - history[-1] <= STALL_TOL * max(1.0, abs(history[-1])):
                raise StopIteration  # no progress: stop here; the verdict is the decrement's

        x, iterations = np.asarray(x0, dtype=float), 0
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                res = optimize.minimize(objective, x0, jac=gradient, hess=hessian, method=SOLVER,
                                        callback=record, options={"maxiter": int(max_iter), "gtol": 1e-12})
            x, iterations = np.asarray(res.x, dtype=float), int(res.nit)
        except (ValueError, np.linalg.LinAlgError):  # a numerical breakdown: judged as not converged
            iterations = len(history) - 1
        if iterations < max_iter and np.isfinite(self.value(x)):
            x, steps = self._polish(x, min(POLISH_STEPS, int(max_iter) - iterations), history)
            iterations += steps
        return x, iterations, history

    def _observed_hessian(self, x: np.ndarray) -> np.ndarray:
        """Hessian of F by central differences of the analytic gradient."""
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        cols = []
        for k in range(len(x)):
            e = np.zeros(len(x))
            e[k] = h[k]
            cols.append((self.gradient(x + e) - self.gradient(x - e)) / (2 * h[k]))
        H = np.array(cols)
        return (H + H.T) / 2

    def _polish(self, x: np.ndarray, steps: int, history: list[float]) -> tuple[np.ndarray, int]:
        f = self.value(x)
        d = np.sqrt(np.clip(np.diag(self.hessian(x)), 0, None))
        d = np.where(d > 0, d, 1.0)
        gnorm = float(np.linalg.norm(self.gradient(x) / d))
        done = 0
        for _ in range(steps):
            H = self._observed_hessian(x)
            if not np.isfinite(H).all():
                break
            try:
                chol = np.linalg.cholesky(H / np.outer(d, d))
            except np.linalg.LinAlgError:
                break  # not a minimum of a convex neighbourhood: leave x as the trust region left it
            g = self.gradient(x)
            step = -np.linalg.solve(chol.T, np.linalg.solve(chol, g / d)) / d
            x_new = x + step
            f_new = self.value(x_new)
            g_new = self.gradient(x_new)
            gnorm_new = float(np.linalg.norm(g_new / d)) if np.isfinite(g_new).all() else np.inf
            if not (np.isfinite(f_new) and f_new <= f + 1e-12 * max(1.0, abs(f)) and gnorm_new < gnorm):
                break
            x, f, gnorm = x_new, f_new, gnorm_new
            history.append(f)
            done += 1
        return x, done


def fabin3(s: np.ndarray) -> np.ndarray:
    """Starting loadings of one factor from its items' covariance matrix ``s`` (first loading 1):
    lavaan's ``lav_cfa_1fac_fabin`` (FABIN3) for ≥ 4 items, ``lav_cfa_1fac_3ind`` for 2–3 items;
    bounded assuming the first item's reliability is at least 0.1."""
    s = np.asarray(s, dtype=float)
    k = s.shape[0]
    if k == 1:
        return np.ones(1)
    lower = 0.1 * s[0, 0]
    if k < 4:
        if k == 2:
            extra = np.array([np.mean(np.diag(s)), s[1, 0]])
            s = np.block([[s, extra[:, None]], [extra[None, :], np.array([[np.max(np.diag(s))]])]])
        s21, s31, s32 = s[1, 0], s[2, 0], s[2, 1]
        if s21 * s31 * s32 <= 0:
            return np.ones(k)
        lam = np.array([1.0, s32 / s31, s32 / s21])
    else:
        lam = np.ones(k)
        for i in range(1, k):
            rest = [j for j in range(1, k) if j != i]
            s23, s31 = s[i, rest], s[rest, 0]
            try:
                t = np.linalg.solve(s[np.ix_(rest, rest)], s31)
                lam[i] = (s23 @ t) / (s31 @ t)
            except np.linalg.LinAlgError:
                lam[i] = (s23 @ s31) / (s31 @ s31)
    bound = np.sqrt(np.diag(s)[1:] / lower)
    lam[1:] = np.clip(lam[1:], -bound, bound)
    lam[~np.isfinite(lam)] = 1.0
    return lam[:k]


def lavaan_start_values(rows: Sequence[Mapping[str, Any]], item_ids: Sequence[str], S: np.ndarray,
                        x: np.ndarray) -> np.ndarray:
    """lavaan's default starting values (module docstring) for the free parameters.

    ``rows``: the parameter table, one mapping per (lhs, op, rhs) with ``free`` (index into x, or None)
    and ``fixed`` (the value of a fixed parameter); ``S``: the sample covariance matrix of ``item_ids``;
    ``x``: the free parameters (copied; entries this function does not set keep their value)."""
    x = np.array(x, dtype=float)
    pos = {i: k for k, i in enumerate(item_ids)}
    indicators: dict[str, list[str]] = {}
    for row in rows:
        if row["op"] == "=~":
            indicators.setdefault(row["lhs"], []).append(row["rhs"])
    loading: dict[tuple[str, str], float] = {}
    for lv, inds in indicators.items():
        if all(i in pos for i in inds):
            idx = [pos[i] for i in inds]
            loading.update(zip(((lv, i) for i in inds), fabin3(S[np.ix_(idx, idx)])))
    dependent = {r["lhs"] for r in rows if r["op"] == "~"} | {r["rhs"] for r in rows if r["op"] == "=~"}
    fixed_resid = {r["lhs"]: r["fixed"] for r in rows if r["op"] == "~~" and r["lhs"] == r["rhs"] and r["free"] is None}
    done: set[int] = set()
    for row in rows:
        k = row["free"]
        if k is None or k in done:
            continue
        done.add(k)
        lhs, op, rhs = row["lhs"], row["op"], row["rhs"]
        if op == "=~":
            x[k] = loading.get((lhs, rhs), 1.0)
        elif op == "~~" and lhs == rhs and lhs in pos:
            x[k] = 0.5 * S[pos[lhs], pos[lhs]]
        elif op == "~~" and lhs == rhs:
            x[k] = 0.05
            inds = indicators.get(lhs, [])
            if lhs not in dependent and len(inds) == 1 and inds[0] in pos:  # lavaan 6b: exogenous, one item
                resid = fixed_resid.get(inds[0])
                value = S[pos[inds[0]], pos[inds[0]]] - (1.0 if resid is None else resid)
                x[k] = value if np.isfinite(value) and value >= 0.05 else 0.05
        else:
            x[k] = 0.0
    return x
