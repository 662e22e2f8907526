"""Bootstrap inference for PLS path models: resample respondents, re-estimate everything.

Each resample draws n respondents with replacement. Only the item correlation matrix of the
resample is needed to re-estimate the model (see :mod:`csi_survey.engine.pls`), and that matrix
follows from count-weighted moments of the data: with counts kᵦ (how often each respondent is
drawn), ``Σᵦ = (Xcᵀ diag(kᵦ) Xc − n m̄ᵦ m̄ᵦᵀ)/(n − 1)``. The moments of a whole chunk of resamples
are one matrix product ``K · [xᵢ xⱼ]``, and the PLS iterations then run on the stacked matrices
(:func:`~csi_survey.engine.pls.pls_core_batch`) — no loop over the full estimator.

Survey weights: a weighted fit (``fit.weight``, see :mod:`csi_survey.ingest.weights`) is bootstrapped by
resampling respondents with replacement, each carrying its weight: the moments of resample b use
the weights ``kᵦ,ₙ · wₙ`` (count × weight), so its means are weighted means, its covariance divisor
is ``Σₙ kᵦ,ₙ wₙ − 1`` and its 0–100 indices are weighted as in the fit. Without a
survey design the weights are held fixed (not re-raked per resample), so the interval does not
include the variability of the raking step itself (as ``survey::svrepdesign`` without re-calibration).

Survey design (``design:`` in the spec, see :mod:`csi_survey.ingest.design`): when the data's spec
declares clusters and/or strata, ``design="auto"`` (the default) runs the Rao–Wu rescaling bootstrap
instead of resampling respondents: replicate b gives every respondent the factor
``a_b,n = n_h/(n_h − 1) × (times its cluster was drawn)``, drawing n_h − 1 of the n_h clusters of
each stratum h with replacement (:func:`~csi_survey.ingest.design.rao_wu_factors`; R:
``as.svrepdesign(type = "subbootstrap")``). The moments of replicate b use the weights
``a_b,n × w_n`` — or, when the weights come from raking the full sample, ``a_b,n × base_n`` raked
again to the spec's margins in every replicate (all replicates of a chunk at once,
:func:`~csi_survey.ingest.weights.rake_batch`), so the interval includes the raking step; a replicate
whose raking fails (a category without respondents) is counted as a failure. Clusters answer alike,
so these intervals are wider than the respondent bootstrap's, and correct (see the coverage study in
``docs/methodology.md``). The BCa acceleration then comes from the delete-one-cluster jackknife.
``design="respondents"`` ignores the design; the run records which was used
(``BootstrapInfo.design``).

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
from .pls import OK, NOT_CONVERGED, SINGULAR, item_matrix
from .resample import ResampleState, estimate_batch, moment_state, statistic_labels
from ..ingest.design import (ReplicateWeights, SurveyDesign, jackknife_factors, jackknife_size, rao_wu_factors,
                             replicate_weights, survey_design)
from ..ingest.weights import check_weight_array

__all__ = ["bootstrap", "BootstrapInfo", "METHODS", "DESIGNS", "CHUNK_SIZE"]

METHODS = ("percentile", "bca")
#: How resamples are drawn: from the spec's design when it declares one ("auto"), by respondent, or by design.
DESIGNS = ("auto", "respondents", "rao-wu")
#: Resamples per task. Fixed, so that results never depend on how tasks are spread over workers.
CHUNK_SIZE = 50
#: Below this much work (respondents × resamples × item pairs) everything runs in this process:
#: spawning workers would cost more than it saves (numpy's products already use every core).
PARALLEL_THRESHOLD = 2e9
#: Rows of data per block when forming moments (bounds memory for very large surveys).
_JACKKNIFE_GROUPS = 2_000


@dataclass(frozen=True)
class BootstrapInfo:
    """How a bootstrap was run and everything it estimated.

    ``estimates`` is the tidy long table: ``statistic, source, target, estimate, std_err, t_value,
    p_value, ci_lower, ci_upper`` (``statistic`` is path, total_effect, weight, loading, r2, index or
    htmt; for weights and loadings source = construct and target = item). ``draws`` holds the
    bootstrap estimates of the resamples used (one column per row of ``estimates``).

    ``design`` says how resamples were drawn: ``"respondents"`` (n respondents with replacement) or
    ``"rao-wu"`` (the Rao–Wu bootstrap of the survey design: ``clusters`` clusters in ``strata``
    strata, described in ``design_note``; ``reraked`` when every replicate was raked again).
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
    design: str = "respondents"
    clusters: int | None = None
    strata: int | None = None
    reraked: bool = False
    design_note: str = ""

    def __repr__(self) -> str:
        how = f", Rao–Wu design bootstrap ({self.design_note})" if self.design == "rao-wu" else ""
        return (f"<BootstrapInfo {self.used}/{self.resamples} resamples used, seed={self.seed}, "
                f"{self.method} {self.level:.0%} intervals{how}>")

    @property
    def description(self) -> str:
        """How the resamples were drawn, in one phrase ("respondents resampled" or the design's description)."""
        if self.design != "rao-wu":
            return "respondents resampled"
        return f"Rao–Wu design bootstrap: {self.design_note}" + ("; weights re-raked in every replicate" if self.reraked else "")


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


@dataclass(frozen=True)
class _DesignDraws:
    """The Rao–Wu replicates of a survey design, as counts for :func:`estimate_batch` (sent once per worker)."""

    design: SurveyDesign
    weights: ReplicateWeights
    state_weight: np.ndarray | None  # the engine's weights (mean 1): the counts are replicate weights / them

    def counts(self, factors: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
        if not self.weights.reraked:
            return factors, {}  # estimate_batch multiplies by the (fixed) weights itself
        W, problems = self.weights.of(factors)
        K = W if self.state_weight is None else W / self.state_weight
        K[list(problems)] = 1.0  # placeholders: these replicates are reported as failed
        return K, problems


_WORKER_STATE: tuple[ResampleState, _DesignDraws | None] | None = None


def _init_worker(state: ResampleState, draws: _DesignDraws | None = None) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (state, draws)


def _counts(seeds: Sequence[np.random.SeedSequence], n: int) -> np.ndarray:
    K = np.empty((len(seeds), n))
    for r, seq in enumerate(seeds):
        K[r] = np.bincount(np.random.default_rng(seq).integers(0, n, n), minlength=n)
    return K


def _run_chunk(task: tuple[int, Sequence[np.random.SeedSequence]], state: ResampleState | None = None,
               draws: _DesignDraws | None = None):
    start, seeds = task
    if state is None:
        assert _WORKER_STATE is not None
        state, draws = _WORKER_STATE
    if draws is None:
        K, failed = _counts(seeds, state.Xc.shape[0]), {}
    else:
        K, failed = draws.counts(rao_wu_factors(draws.design, seeds))
    values, status, problems = estimate_batch(state, K)
    for b, msg in failed.items():
        status[b] = SINGULAR
        problems[b] = msg
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
    design: str = "auto",
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
    design:
        ``"auto"`` (default): the Rao–Wu bootstrap of the survey design when the data's spec
        declares ``design:`` (clusters, strata), else respondents are resampled; ``"respondents"``:
        always resample respondents; ``"rao-wu"``: the design bootstrap, an error without a design.

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
    check_choice("design", design, DESIGNS)
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
    labels, estimate, layout = statistic_labels(fit)
    state = moment_state(model, X, settings, layout, weight)
    design_draws = _design_draws(data, design, state)

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
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_init_worker,
                                 initargs=(state, design_draws)) as pool:
            for result in pool.map(_run_chunk, tasks):
                collect(result)
    else:
        for task in tasks:
            collect(_run_chunk(task, state, design_draws))

    used = status == OK
    if used.sum() < 2:
        raise EstimationError(
            f"only {int(used.sum())} of {resamples} bootstrap resamples could be estimated",
            hint="the model is unstable on these data: check for near-constant items or collinear constructs.",
        )
    draws = values[used]
    table = _summarize(labels, estimate, draws, level, method, state if method == "bca" else None, design_draws)
    reasons = dict(problems)
    for b in np.flatnonzero(status == NOT_CONVERGED):
        reasons.setdefault(int(b), f"did not converge in {state.max_iter} iterations")
    failures = pd.DataFrame({"resample": pd.Series(sorted(reasons), dtype=np.int64),
                             "reason": pd.Series([reasons[b] for b in sorted(reasons)], dtype=object)})
    info = BootstrapInfo(
        resamples=resamples, used=int(used.sum()), failed=int((~used).sum()), failures=failures, seed=seed,
        level=level, method=method, estimates=table, draws=draws,
        **({} if design_draws is None else {
            "design": "rao-wu", "clusters": design_draws.design.n_clusters, "strata": design_draws.design.n_strata,
            "reraked": design_draws.weights.reraked, "design_note": design_draws.design.describe()}),
    )
    return _attach(fit, info)


def _design_draws(data: Any, design: str, state: ResampleState) -> _DesignDraws | None:
    """The Rao–Wu replicates of the data's survey design, or None to resample respondents."""
    if design == "respondents":
        return None
    spec = None if isinstance(data, pd.DataFrame) else getattr(getattr(data, "questionnaire", None), "design", None)
    if spec is None:
        if design == "rao-wu":
            raise SettingsError(
                "design='rao-wu' needs survey data whose spec declares the sampling design (design: {cluster: …, strata: …})",
                hint="declare design: in the questionnaire spec and read the data with read_responses, or pass design='auto'.",
            )
        return None
    sd = survey_design(data, lonely="split")  # a segment may hold a single cluster of a stratum
    assert sd is not None
    return _DesignDraws(sd, replicate_weights(data), state.weight)


def _summarize(labels: pd.DataFrame, estimate: np.ndarray, draws: np.ndarray, level: float, method: str,
               state: ResampleState | None, design: _DesignDraws | None = None) -> pd.DataFrame:
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
        lo, hi = _bca(draws, estimate, _jackknife(state) if design is None else _design_jackknife(state, design), alpha)
    table = labels.copy()
    table["estimate"] = estimate
    table["std_err"] = se
    table["t_value"] = t
    table["p_value"] = p
    table["ci_lower"] = lo
    table["ci_upper"] = hi
    return table


def _jackknife(state: ResampleState) -> np.ndarray:
    """Leave-one-out (or leave-one-group-out) estimates, for the BCa acceleration."""
    n = state.Xc.shape[0]
    groups = min(n, _JACKKNIFE_GROUPS)
    member = np.arange(n) * groups // n
    out = []
    for g0 in range(0, groups, CHUNK_SIZE):
        g = np.arange(g0, min(g0 + CHUNK_SIZE, groups))
        K = (member[None, :] != g[:, None]).astype(float)
        values, status, _ = estimate_batch(state, K)
        out.append(values[status == OK])
    return np.concatenate(out)


def _design_jackknife(state: ResampleState, design: _DesignDraws) -> np.ndarray:
    """Delete-one-cluster (JKn) estimates, for the BCa acceleration of the design bootstrap."""
    size = jackknife_size(design.design, _JACKKNIFE_GROUPS)
    out = []
    for g0 in range(0, size, CHUNK_SIZE):
        K, failed = design.counts(jackknife_factors(design.design, _JACKKNIFE_GROUPS, range(g0, min(g0 + CHUNK_SIZE, size))))
        values, status, _ = estimate_batch(state, K)
        status[list(failed)] = SINGULAR
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
