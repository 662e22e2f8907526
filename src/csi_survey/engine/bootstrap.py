"""Bootstrap inference for PLS path models: resample respondents, re-estimate everything.

Each resample draws n respondents with replacement. Only the item correlation matrix of the
resample is needed to re-estimate the model (see :mod:`csi_survey.engine.pls`), and that matrix
follows from count-weighted moments of the data: with counts kᵦ (how often each respondent is
drawn), ``Σᵦ = (Xcᵀ diag(kᵦ) Xc − n m̄ᵦ m̄ᵦᵀ)/(n − 1)``. The moments of a whole chunk of resamples
are one matrix product ``K · [xᵢ xⱼ]``, and the PLS iterations then run on the stacked matrices
(:func:`~csi_survey.engine.pls.pls_core_batch`) — no loop over the full estimator.

Survey weights: a weighted fit (``fit.weight``, see :mod:`csi_survey.weights`) is bootstrapped by
resampling respondents with replacement, each carrying its weight: the moments of resample b use
the weights ``kᵦ,ₙ · wₙ`` (count × weight), so its means are weighted means, its covariance divisor
is ``Σₙ kᵦ,ₙ wₙ − 1`` and its 0–100 indices are weighted as in the fit. The weights are held fixed
(not re-raked per resample), so the interval does not include the variability of the raking step
itself (as ``survey::svrepdesign`` without re-calibration).

Reproducibility: resample b draws its respondents from its own random stream,
``SeedSequence(seed).spawn(resamples)[b]``, and chunks have a fixed size, so the same seed gives
identical numbers whatever the number of worker processes.

Statistics, for every path, total effect, outer weight, loading, R², 0–100 index and HTMT value:

* ``std_err``: the standard deviation of the bootstrap estimates (n − 1 divisor);
* ``t_value = estimate / std_err`` and the two-sided ``p_value`` from Student's t with
  (resamples used − 1) degrees of freedom, as SmartPLS reports them;
* percentile interval (default): the α/2 and 1 − α/2 quantiles of the bootstrap estimates;
* BCa interval (``method="bca"``, Efron 1987): quantiles at
  ``Φ(z₀ + (z₀ + z_q)/(1 − a(z₀ + z_q)))`` with bias correction ``z₀ = Φ⁻¹(#{θ*ᵦ < θ̂}/B)`` and
  acceleration ``a = Σ(θ̄ − θ₍ᵢ₎)³ / (6 [Σ(θ̄ − θ₍ᵢ₎)²]^{3/2})`` from the jackknife (leave one
  respondent out; for more than 2,000 respondents, leave one of 2,000 equal groups out).

Resamples that do not converge or hit a singular matrix are counted, reported in
``BootstrapInfo.failures`` and left out.

References: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*; Efron (1987), "Better
bootstrap confidence intervals", JASA 82; Davison & Hinkley (1997). R equivalents:
``seminr::bootstrap_model()``, ``cSEM::csem(.resample_method = "bootstrap")``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..exceptions import EstimationError, SettingsError, check_choice
from ..index import indices_from_means
from .pls import OK, NOT_CONVERGED, pls_core_batch, item_matrix
from ..assess import htmt_matrix
from ..ingest.weights import check_weight_array, estimation_weight

__all__ = ["bootstrap", "BootstrapInfo", "METHODS", "CHUNK_SIZE"]

METHODS = ("percentile", "bca")
#: Resamples per task. Fixed, so that results never depend on how tasks are spread over workers.
CHUNK_SIZE = 50
#: Below this much work (respondents × resamples × item pairs) everything runs in this process:
#: spawning workers would cost more than it saves (numpy's products already use every core).
PARALLEL_THRESHOLD = 2e9
#: Rows of data per block when forming moments (bounds memory for very large surveys).
_ROW_BLOCK = 20_000
_JACKKNIFE_GROUPS = 2_000


@dataclass(frozen=True)
class BootstrapInfo:
    """How a bootstrap was run and everything it estimated.

    ``estimates`` is the tidy long table: ``statistic, source, target, estimate, std_err, t_value,
    p_value, ci_lower, ci_upper`` (``statistic`` is path, total_effect, weight, loading, r2, index or
    htmt; for weights and loadings source = construct and target = item). ``draws`` holds the
    bootstrap estimates of the resamples used (one column per row of ``estimates``).
    """

    resamples: int
    used: int
    failed: int
    failures: pd.DataFrame
    seed: int
    level: float
    method: str
    estimates: pd.DataFrame
    draws: np.ndarray

    def __repr__(self) -> str:
        return (f"<BootstrapInfo {self.used}/{self.resamples} resamples used, seed={self.seed}, "
                f"{self.method} {self.level:.0%} intervals>")


@dataclass(frozen=True)
class _State:
    """What a worker needs to estimate resamples (sent once per worker)."""

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


@dataclass(frozen=True)
class _Layout:
    path_src: np.ndarray
    path_tgt: np.ndarray
    eff_src: np.ndarray
    eff_tgt: np.ndarray
    item_pos: np.ndarray
    item_construct: np.ndarray
    endo: np.ndarray
    htmt_i: np.ndarray
    htmt_j: np.ndarray


def _labels(fit: Any) -> tuple[pd.DataFrame, np.ndarray, _Layout]:
    """Rows (statistic, source, target), their full-sample estimates, and where to find them."""
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
    est.append(_htmt(fit.item_correlations.to_numpy()[None], _blocks(model))[0, hi, hj])

    layout = _Layout(
        path_src=np.array([pos[s] for s in fit.paths["source"]], dtype=int),
        path_tgt=np.array([pos[t] for t in fit.paths["target"]], dtype=int),
        eff_src=np.array([pos[s] for s in fit.effects["source"]], dtype=int),
        eff_tgt=np.array([pos[t] for t in fit.effects["target"]], dtype=int),
        item_pos=np.arange(len(model.item_ids)),
        item_construct=np.array([pos[model.construct_of[i]] for i in model.item_ids], dtype=int),
        endo=np.array([pos[c] for c in fit.r2["construct"]], dtype=int),
        htmt_i=hi,
        htmt_j=hj,
    )
    labels = pd.DataFrame(rows, columns=["statistic", "source", "target"])
    return labels, np.concatenate(est), layout


def _blocks(model: Any) -> list[np.ndarray]:
    pos = {item: k for k, item in enumerate(model.item_ids)}
    return [np.array([pos[i] for i in c.item_ids]) for c in model.constructs.values()]


def _htmt(R: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    return htmt_matrix(R, blocks)


def _moments(Xc: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count-weighted totals: N (m), first moments (m × p) and second moments (m × p × p)."""
    n, p = Xc.shape
    iu, ju = np.triu_indices(p)
    N = K.sum(axis=1)
    S1 = K @ Xc
    S2 = np.zeros((K.shape[0], len(iu)))
    for r0 in range(0, n, _ROW_BLOCK):
        Xb = Xc[r0:r0 + _ROW_BLOCK]
        S2 += K[:, r0:r0 + _ROW_BLOCK] @ (Xb[:, iu] * Xb[:, ju])
    full = np.empty((K.shape[0], p, p))
    full[:, iu, ju] = S2
    full[:, ju, iu] = S2
    return N, S1, full


def _estimate(state: _State, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Re-estimate the model for each row of counts K (m × n): statistics (m × k), status, problems.

    With survey weights the moments are taken with the weights ``K · w`` (each respondent's count
    times its weight), so a 0/1 row of K estimates the weighted model on that group."""
    if state.weight is not None:
        K = K * state.weight
    N, S1, S2 = _moments(state.Xc, K)
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
    for b in np.flatnonzero(flat):
        status[b] = 2
        problems[int(b)] = "an item has the same answer for every respondent of this resample"

    lay: _Layout = state.layout
    if state.scaled:
        raw = core.weights / safe_sd[:, :, None]
    else:
        raw = core.weights * np.sqrt((N - 1) / N)[:, None, None]  # as PLS.fit (unit n − 1 variance)
    index = indices_from_means(state.model, raw, state.means + mean)
    R = cov / (safe_sd[:, :, None] * safe_sd[:, None, :])
    htmt = _htmt(R, state.blocks)
    parts = [
        core.paths[:, lay.path_src, lay.path_tgt],
        core.total_effects[:, lay.eff_src, lay.eff_tgt],
        core.weights[:, lay.item_pos, lay.item_construct],
        core.cross_loadings[:, lay.item_pos, lay.item_construct],
        core.r2[:, lay.endo],
        index,
        htmt[:, lay.htmt_i, lay.htmt_j],
    ]
    return np.concatenate(parts, axis=1), status, problems


def moment_state(model: Any, X: np.ndarray, settings: Any, layout: Any, weight: np.ndarray | None = None) -> _State:
    """The batched-estimation state for the n × p items X (and survey weights, one per row of X)."""
    ew = estimation_weight(weight)  # None for equal weights: bit-identical to the unweighted bootstrap
    means = X.mean(axis=0) if ew is None else (ew @ X) / ew.sum()
    return _State(
        Xc=X - means, means=means, blocks=_blocks(model), modes=[c.mode for c in model.constructs.values()],
        adj=model.adjacency, scheme=settings["scheme"], scaled=settings.get("scaled", True), tol=settings["tol"],
        max_iter=settings["max_iter"], names=model.construct_ids, item_names=model.item_ids, model=model, layout=layout,
        weight=ew,
    )


def _fit_weight(fit: Any, data: Any, n: int) -> np.ndarray | None:
    """The survey weights of the fit, checked against those of the data (when it carries any)."""
    fitted = getattr(fit, "weight", None)
    given = None if isinstance(data, pd.DataFrame) else getattr(data, "weight", None)
    if given is not None:
        given = check_weight_array(given, n, "data.weight")
        if fitted is None or not np.allclose(given, fitted, rtol=1e-12, atol=0):
            raise EstimationError(
                "the data carry survey weights that the fit was not estimated with"
                + (" (the fit is unweighted)" if fitted is None else " (the fit used other weights)"),
                hint="fit and bootstrap the same data: PLS(model).fit(data) then bootstrap(fit, data).",
            )
    return fitted


_WORKER_STATE: _State | None = None


def _init_worker(state: _State) -> None:
    global _WORKER_STATE
    _WORKER_STATE = state


def _counts(seeds: Sequence[np.random.SeedSequence], n: int) -> np.ndarray:
    K = np.empty((len(seeds), n))
    for r, seq in enumerate(seeds):
        K[r] = np.bincount(np.random.default_rng(seq).integers(0, n, n), minlength=n)
    return K


def _run_chunk(task: tuple[int, Sequence[np.random.SeedSequence]], state: _State | None = None):
    start, seeds = task
    state = state or _WORKER_STATE
    assert state is not None
    values, status, problems = _estimate(state, _counts(seeds, state.Xc.shape[0]))
    return start, values, status, {start + b: msg for b, msg in problems.items()}


def _workers(n_jobs: int | None) -> int:
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == -1:
        return cores
    if n_jobs < -1 or n_jobs == 0:
        raise SettingsError(f"n_jobs must be a positive number of processes or -1 (all cores); got {n_jobs}")
    return n_jobs


def bootstrap(
    fit: Any,
    data: Any,
    *,
    resamples: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    method: str = "percentile",
    n_jobs: int | None = -1,
    progress: Callable[[int, int], None] | None = None,
    parallel_threshold: float = PARALLEL_THRESHOLD,
):
    """Bootstrap a PLS fit: standard errors, t and p values and intervals for every estimate.

    Parameters
    ----------
    fit:
        The :class:`~csi_survey.results.PLSResults` of ``PLS(...).fit(data)``. A weighted fit
        (``fit.weight``) is bootstrapped with its weights (see the module docstring).
    data:
        The same data the fit was estimated on (SurveyData or DataFrame); weighted data must
        have been fitted with the same weights.
    resamples:
        Number of bootstrap resamples (1000).
    seed:
        Seed of the random streams; ``None`` draws one (recorded in ``BootstrapInfo.seed`` so the
        run can be repeated exactly).
    level:
        Confidence level of the intervals (0.95).
    method:
        ``"percentile"`` (default) or ``"bca"`` (bias-corrected and accelerated).
    n_jobs:
        Worker processes for large problems (-1: all cores). Small problems run in this process.
    progress:
        Called as ``progress(done, total)`` after each chunk of resamples (silent by default).

    Returns
    -------
    PLSResults
        A copy of ``fit`` whose ``paths``, ``effects``, ``r2`` and ``index`` tables gain the columns
        ``std_err, t_value, p_value, ci_lower, ci_upper`` (the index also ``margin_of_error``, the
        interval's half-width; for effects they refer to ``total_effect``), whose ``weights`` table
        gains ``weight_*`` and ``loading_*`` versions of them, and whose ``bootstrap`` attribute is a
        :class:`BootstrapInfo`.
    """
    if not (isinstance(resamples, (int, np.integer)) and resamples >= 2):
        raise SettingsError(f"resamples must be an integer of at least 2; got {resamples!r}")
    if not (0 < level < 1):
        raise SettingsError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    check_choice("method", method, METHODS)
    workers = _workers(n_jobs)

    model = fit.model
    X, _ = item_matrix(model, data)
    n = X.shape[0]
    if n != fit.n:
        raise EstimationError(
            f"the data have {n} respondents but the fit was estimated on {fit.n}",
            hint="pass the same data to bootstrap() as to fit().",
        )
    weight = _fit_weight(fit, data, n)
    settings = fit.settings
    labels, estimate, layout = _labels(fit)
    state = moment_state(model, X, settings, layout, weight)

    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    children = np.random.SeedSequence(seed).spawn(resamples)
    tasks = [(s, children[s:s + CHUNK_SIZE]) for s in range(0, resamples, CHUNK_SIZE)]
    values = np.empty((resamples, len(labels)))
    status = np.empty(resamples, dtype=int)
    problems: dict[int, str] = {}
    done = 0

    def collect(result) -> None:
        nonlocal done
        start, vals, st, probs = result
        values[start:start + len(st)] = vals
        status[start:start + len(st)] = st
        problems.update(probs)
        done += len(st)
        if progress is not None:
            progress(done, resamples)

    work = n * resamples * X.shape[1] * (X.shape[1] + 1) / 2
    if workers > 1 and len(tasks) > 1 and work >= parallel_threshold:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_init_worker, initargs=(state,)) as pool:
            for result in pool.map(_run_chunk, tasks):
                collect(result)
    else:
        for task in tasks:
            collect(_run_chunk(task, state))

    used = status == OK
    if used.sum() < 2:
        raise EstimationError(
            f"only {int(used.sum())} of {resamples} bootstrap resamples could be estimated",
            hint="the model is unstable on these data: check for near-constant items or collinear constructs.",
        )
    draws = values[used]
    table = _summarize(labels, estimate, draws, level, method, state if method == "bca" else None)
    failures = pd.DataFrame(
        {"resample": sorted(problems), "reason": [problems[b] for b in sorted(problems)]},
        columns=["resample", "reason"],
    )
    for b in np.flatnonzero(status == NOT_CONVERGED):
        if b not in problems:
            failures.loc[len(failures)] = [int(b), f"did not converge in {state.max_iter} iterations"]
    failures = failures.sort_values("resample", ignore_index=True)
    info = BootstrapInfo(
        resamples=resamples, used=int(used.sum()), failed=int((~used).sum()), failures=failures, seed=seed,
        level=level, method=method, estimates=table, draws=draws,
    )
    return _attach(fit, info)


def _summarize(labels: pd.DataFrame, estimate: np.ndarray, draws: np.ndarray, level: float, method: str,
               state: _State | None) -> pd.DataFrame:
    B = draws.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        se = draws.std(axis=0, ddof=1)
        t = np.where(se > 0, estimate / se, np.nan)
    p = 2 * sps.t.sf(np.abs(t), df=B - 1)
    alpha = 1 - level
    if method == "percentile":
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)  # NaN stays NaN (e.g. no index)
    else:
        assert state is not None
        lo, hi = _bca(draws, estimate, _jackknife(state), alpha)
    table = labels.copy()
    table["estimate"] = estimate
    table["std_err"] = se
    table["t_value"] = t
    table["p_value"] = p
    table["ci_lower"] = lo
    table["ci_upper"] = hi
    return table


def _jackknife(state: _State) -> np.ndarray:
    """Leave-one-out (or leave-one-group-out) estimates, for the BCa acceleration."""
    n = state.Xc.shape[0]
    groups = min(n, _JACKKNIFE_GROUPS)
    member = np.arange(n) * groups // n
    out = []
    for g0 in range(0, groups, CHUNK_SIZE):
        g = np.arange(g0, min(g0 + CHUNK_SIZE, groups))
        K = (member[None, :] != g[:, None]).astype(float)
        values, status, _ = _estimate(state, K)
        out.append(values[status == OK])
    return np.concatenate(out)


def _bca(draws: np.ndarray, estimate: np.ndarray, jack: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    B = draws.shape[0]
    below = (draws < estimate).mean(axis=0)
    z0 = sps.norm.ppf(np.clip(below, 1 / (B + 1), B / (B + 1)))
    d = jack.mean(axis=0) - jack
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
    a = np.nan_to_num(a)
    out = []
    for q in (alpha / 2, 1 - alpha / 2):
        zq = sps.norm.ppf(q)
        adj = sps.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
        adj = np.nan_to_num(adj, nan=q)
        out.append(np.array([np.quantile(draws[:, k], adj[k]) for k in range(draws.shape[1])]))
    return out[0], out[1]


_INFERENCE = ["std_err", "t_value", "p_value", "ci_lower", "ci_upper"]


def _attach(fit: Any, info: BootstrapInfo):
    est = info.estimates

    def part(statistic: str) -> pd.DataFrame:
        return est[est["statistic"] == statistic].reset_index(drop=True)

    paths = pd.concat([fit.paths, part("path")[_INFERENCE]], axis=1)
    effects = pd.concat([fit.effects, part("total_effect")[_INFERENCE]], axis=1)
    w, l = part("weight"), part("loading")
    weights = pd.concat(
        [fit.weights, w[_INFERENCE].add_prefix("weight_"), l[_INFERENCE].add_prefix("loading_")], axis=1
    )
    r2 = pd.concat([fit.r2, part("r2")[["std_err", "ci_lower", "ci_upper"]]], axis=1)
    idx = part("index")[["std_err", "ci_lower", "ci_upper"]].copy()
    idx["margin_of_error"] = (idx["ci_upper"] - idx["ci_lower"]) / 2
    index = pd.concat([fit.index, idx], axis=1)
    return dataclasses.replace(fit, paths=paths, effects=effects, weights=weights, r2=r2, index=index, bootstrap=info)
