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
``SeedSequence(seed).spawn(resamples)[b]`` (:func:`resample_counts`), and chunks have a fixed size, so
the same seed gives identical numbers whatever the number of worker processes. The other respondent
bootstraps of the package (moderation, higher-order models, the bootstrap test of exact fit) draw
by the same rule, so a seed draws the same respondents in all of them, and the moderation and
higher-order bootstraps summarize their draws as here (:func:`batched_bootstrap`,
:func:`percentile_summary`, :func:`attach_intervals`).

Threads and processes (:mod:`csi_survey.engine.threads`): the matrices are small, so the work runs
with one BLAS thread — in this process for small problems (below :data:`PARALLEL_THRESHOLD`), else
in worker processes, one BLAS thread each and never more workers than usable cores, so threads ×
processes never exceed the cores (numpy's default of one BLAS thread per core in each worker made
every product 10–40 × slower on a busy machine). One thread also makes the numbers independent of
the machine: OpenBLAS rounds a product differently with another thread count. On Linux the workers
are forked (they share the data instead of receiving a copy) and die with this process, even when
it is killed (SIGKILL): no worker outlives it by more than a second.

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
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationError, SettingsError, check_choice, check_count, check_level, check_seed
from .pls import OK, NOT_CONVERGED, SINGULAR, item_matrix
from .resample import ResampleState, estimate_batch, moment_state, statistic_labels
from ..ingest.design import (ReplicateWeights, SurveyDesign, jackknife_factors, jackknife_size, rao_wu_factors,
                             replicate_weights, survey_design)
from ..ingest.weights import check_weight_array
from .threads import (exit_with_parent, limit_process_threads, single_threaded_blas,
                      worker_count)

__all__ = ["bootstrap", "BootstrapInfo", "METHODS", "DESIGNS", "CHUNK_SIZE", "INFERENCE_COLUMNS", "resample_counts",
           "percentile_summary", "failure_table", "batched_bootstrap", "attach_intervals", "bootstrap_data",
           "BootstrapData"]

METHODS = ("percentile", "bca")
#: How resamples are drawn: from the spec's design when it declares one ("auto"), by respondent, or by design.
DESIGNS = ("auto", "respondents", "rao-wu")
#: Resamples per task. Fixed, so that results never depend on how tasks are spread over workers.
CHUNK_SIZE = 50
#: Below this much work (respondents × resamples × item pairs) everything runs in this process, with one
#: BLAS thread: it takes less than ~0.2 s, and starting and stopping the workers (~50 ms of wall time,
#: ~0.08 s of CPU) would eat most of the gain. Above it, worker processes (one BLAS thread each, at most
#: one per usable core) share the chunks; e.g. 1,000 resamples of 24 items from 3,400 respondents on.
PARALLEL_THRESHOLD = 1e9
#: Groups of the jackknife of the BCa acceleration (leave one group out) for more respondents than this.
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


@dataclass(frozen=True)
class BootstrapData:
    """The checked inputs of a bootstrap of a fit (:func:`bootstrap_data`)."""

    X: np.ndarray                # n × p: the model's items
    weight: np.ndarray | None    # the fit's survey weights (mean 1), held fixed; None: unweighted
    resamples: int
    level: float
    seed: int                    # drawn when none was given (recorded, so the run can be repeated)

    @property
    def n(self) -> int:
        return self.X.shape[0]


def bootstrap_data(fit: Any, model: Any, data: Any, *, resamples: Any, level: Any, seed: Any,
                   function: str = "bootstrap") -> BootstrapData:
    """The inputs of a bootstrap of ``fit``, checked: the settings (``resamples`` an integer ≥ 2,
    ``level`` in (0, 1), ``seed`` a non-negative integer or None, which draws one), the n × p matrix
    of ``model``'s items in ``data`` and the fit's survey weights (``fit.weight``).

    ``data`` must be the data of the fit: as many respondents (``fit.n``) and, when the data carry
    survey weights, the weights the fit was estimated with; else an
    :class:`~csi_survey.exceptions.EstimationError` (``function`` names the bootstrap in the hint).
    Bad settings raise :class:`~csi_survey.exceptions.SettingsError`.
    """
    resamples, level, seed = check_count("resamples", resamples, 2), check_level(level), check_seed(seed)
    X, _ = item_matrix(model, data)
    n = X.shape[0]
    if n != fit.n:
        raise EstimationError(
            f"the data have {n} respondents but the fit was estimated on {fit.n}",
            hint=f"pass the same data to {function}() as to fit().",
        )
    fitted = getattr(fit, "weight", None)
    given = None if isinstance(data, pd.DataFrame) else getattr(data, "weight", None)
    if given is not None:
        given = check_weight_array(given, n, "data.weight")
        if fitted is None or not np.allclose(given, fitted, rtol=1e-12, atol=0):
            raise EstimationError(
                "the data carry survey weights that the fit was not estimated with"
                + (" (the fit is unweighted)" if fitted is None else " (the fit used other weights)"),
                hint=f"fit and bootstrap the same data: fit(data), then {function}(fit, data).",
            )
    return BootstrapData(X=X, weight=fitted, resamples=resamples, level=level, seed=seed)


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


def _init_worker(state: ResampleState, draws: _DesignDraws | None = None, parent: int | None = None) -> None:
    """A worker of the bootstrap's pool: it dies with ``parent`` (this process), runs one BLAS thread
    (the workers are the parallelism: threads × processes ≤ cores) and keeps the state.

    A forked worker inherits the one-thread limit of :func:`bootstrap` (the pool starts inside it):
    it only sets the thread variables for libraries loaded later. Setting the limit again would
    start OpenBLAS's thread pool in the worker (OpenBLAS 0.3.30/0.3.31: one idle thread per BLAS
    library, which spin and took 30–40 % of the chunks' time from the two workers on 2 cores)."""
    global _WORKER_STATE, _WORKER_COUNTS
    exit_with_parent(parent)
    limit_process_threads()  # forked inside single_threaded_blas, the limit holds: only the variables are set
    _WORKER_STATE, _WORKER_COUNTS = (state, draws), None


def _pool_context() -> Any:
    """Linux: fork (workers start at once and share the data instead of receiving a pickled copy);
    elsewhere the platform's default (spawn)."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def resample_counts(seeds: Sequence[np.random.SeedSequence], n: int, out: np.ndarray | None = None) -> np.ndarray:
    """How often each of ``n`` respondents is drawn in each bootstrap resample: a len(seeds) × n float array.

    Resample b draws n respondents with replacement (``integers(0, n, n)``) from its own stream
    ``np.random.default_rng(seeds[b])``, with ``seeds = SeedSequence(seed).spawn(resamples)[start:stop]``.
    Every respondent bootstrap of the package draws this way (:func:`bootstrap`, the moderation and
    higher-order bootstraps, the bootstrap test of exact fit), so a seed draws the same respondents in
    each of them, whatever the chunking or the number of worker processes.

    ``out``: a C-contiguous float array of at least len(seeds) rows and n columns, reused from chunk
    to chunk (the counts go into its first rows, which are returned): for a million respondents a chunk's
    counts take 400 MB, and touching fresh memory every chunk costs more than drawing the counts.
    """
    K = np.empty((len(seeds), n)) if out is None else out[:len(seeds)]
    for r, seq in enumerate(seeds):
        K[r] = np.bincount(np.random.default_rng(seq).integers(0, n, n), minlength=n)
    return K


#: The inference columns a bootstrap adds to a results table (paths, effects, weights_*, loading_*).
INFERENCE_COLUMNS = ["std_err", "t_value", "p_value", "ci_lower", "ci_upper"]


def percentile_summary(estimate: np.ndarray, draws: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """The bootstrap summary of each statistic (a column of ``draws``, the B resamples used).

    ``std_err``: the sd of the draws (divisor B − 1); ``t_value = estimate / std_err`` (NaN when the sd
    is 0 or below 1e-12 of the estimate's size: a statistic constant across the resamples, such as the
    weight of a single-item construct, has no t value) and the two-sided ``p_value`` from Student's t with B − 1 degrees of freedom (as SmartPLS);
    ``ci_lower``, ``ci_upper``: the α/2 and 1 − α/2 quantiles of the draws (α = 1 − ``level``; numpy's
    default linear interpolation = R's type 7; a NaN statistic stays NaN). Keys in
    :data:`INFERENCE_COLUMNS` order.
    """
    from scipy.special import stdtr  # lazy: scipy (not scipy.stats: the same numbers) loads only when a bootstrap is summarised

    with np.errstate(divide="ignore", invalid="ignore"):
        se = draws.std(axis=0, ddof=1)
        # a statistic that does not vary across the resamples (e.g. the weight of a single-item construct, 1 up to
        # rounding) has no t value: its standard error is rounding noise, below 1e-12 of its size
        varies = se > _CONSTANT_SE * np.maximum(1.0, np.abs(estimate))
        t = np.where(varies, estimate / se, np.nan)
    alpha = 1 - level
    lower, upper = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    return {"std_err": se, "t_value": t, "p_value": 2 * stdtr(draws.shape[0] - 1, -np.abs(t)),
            "ci_lower": lower, "ci_upper": upper}


def failure_table(reasons: Mapping[int, str]) -> pd.DataFrame:
    """The failed resamples as a table ``resample, reason`` (by resample number): ``BootstrapInfo.failures``."""
    order = sorted(reasons)
    return pd.DataFrame({"resample": pd.Series(order, dtype=np.int64),
                         "reason": pd.Series([reasons[b] for b in order], dtype=object)})


@single_threaded_blas()  # small matrices: one BLAS thread (engine/threads.py)
def batched_bootstrap(
    estimate_batch: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, Mapping[int, str]]],
    labels: pd.DataFrame,
    estimate: np.ndarray,
    inputs: BootstrapData,
    *,
    chunk: int,
    progress: Callable[[int, int], None] | None = None,
) -> BootstrapInfo:
    """A respondent bootstrap of an estimator that re-estimates many resamples at once (percentile intervals).

    ``estimate_batch(K)`` re-estimates the resamples given by their counts K (m × n,
    :func:`resample_counts`; ``inputs`` from :func:`bootstrap_data` give n, the number of resamples,
    the seed and the level) and returns their statistics (m × len(labels), in the order of the rows
    of ``labels``), a status per resample (``OK`` or a failure code) and ``{row: reason}`` for the
    failed ones. Resamples are drawn and estimated ``chunk`` at a time (``progress(done, total)``
    after each chunk); failed resamples are left out and listed in ``failures``. Returns the
    :class:`BootstrapInfo` whose ``estimates`` are ``labels`` with ``estimate`` and the
    :func:`percentile_summary`. Raises :class:`~csi_survey.exceptions.EstimationError` when fewer
    than two resamples could be estimated.
    """
    n, resamples, seed, level = inputs.n, inputs.resamples, inputs.seed, inputs.level
    children = np.random.SeedSequence(seed).spawn(resamples)
    values = np.empty((resamples, len(labels)))
    status = np.empty(resamples, dtype=int)
    problems: dict[int, str] = {}
    for start in range(0, resamples, chunk):
        vals, st, probs = estimate_batch(resample_counts(children[start:start + chunk], n))
        values[start:start + len(st)] = vals
        status[start:start + len(st)] = st
        problems.update({start + b: message for b, message in probs.items()})
        if progress is not None:
            progress(start + len(st), resamples)
    used = status == OK
    if used.sum() < 2:
        raise EstimationError(f"only {int(used.sum())} of {resamples} bootstrap resamples could be estimated",
                              hint="the model is unstable on these data: check for near-constant items or collinear constructs.")
    draws = values[used]
    table = labels.assign(estimate=estimate, **percentile_summary(estimate, draws, level))
    return BootstrapInfo(resamples=resamples, used=int(used.sum()), failed=int((~used).sum()),
                         failures=failure_table(problems), seed=seed, level=level, method="percentile",
                         estimates=table, draws=draws)


#: A worker's count matrix, reused by its chunks (see :func:`resample_counts`); made at its first chunk.
_WORKER_COUNTS: np.ndarray | None = None


def _run_chunk(task: tuple[int, Sequence[np.random.SeedSequence]], state: ResampleState | None = None,
               draws: _DesignDraws | None = None, counts: np.ndarray | None = None):
    """Estimate one chunk of resamples (in a worker: with the worker's state and count buffer)."""
    global _WORKER_COUNTS
    start, seeds = task
    if state is None:
        assert _WORKER_STATE is not None
        state, draws = _WORKER_STATE
        if draws is None:
            if _WORKER_COUNTS is None or _WORKER_COUNTS.shape[1] != state.Xc.shape[0] or len(_WORKER_COUNTS) < len(seeds):
                _WORKER_COUNTS = np.empty((max(CHUNK_SIZE, len(seeds)), state.Xc.shape[0]))
            counts = _WORKER_COUNTS
    if draws is None:
        K, failed = resample_counts(seeds, state.Xc.shape[0], out=counts), {}
    else:
        K, failed = draws.counts(rao_wu_factors(draws.design, seeds))
    values, status, problems = estimate_batch(state, K)
    for b, msg in failed.items():
        status[b] = SINGULAR
        problems[b] = msg
    return start, values, status, {start + b: msg for b, msg in problems.items()}


@single_threaded_blas()  # small matrices: one BLAS thread here; large problems use worker processes
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
    htmt: str = "signed",
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
        Worker processes for large problems (-1: all usable cores; never more than the usable cores).
        Small problems run in this process. Either way with one BLAS thread per process.
    progress:
        Called as ``progress(done, total)`` after each chunk of resamples (silent by default).
    design:
        ``"auto"`` (default): the Rao–Wu bootstrap of the survey design when the data's spec
        declares ``design:`` (clusters, strata), else respondents are resampled; ``"respondents"``:
        always resample respondents; ``"rao-wu"``: the design bootstrap, an error without a design.
    htmt:
        The HTMT convention of the ``htmt`` statistics (:func:`csi_survey.assess.assess`):
        ``"signed"`` (default, cSEM) or ``"absolute"`` (seminr).

    Returns
    -------
    PLSResults
        A copy of ``fit`` whose ``paths``, ``effects``, ``r2`` and ``index`` tables gain the columns
        ``std_err, t_value, p_value, ci_lower, ci_upper`` (the index also ``margin_of_error``, the
        interval's half-width; for effects they refer to ``total_effect``), whose ``weights`` table
        gains ``weight_*`` and ``loading_*`` versions of them, and whose ``bootstrap`` attribute is a
        :class:`BootstrapInfo`.
    """
    if hasattr(fit, "higher_order") or hasattr(fit, "interactions"):
        raise SettingsError(f"bootstrap() resamples plain PLS fits; this is a {type(fit).__name__}",
                            hint="use csi_survey.higher_order.bootstrap_higher_order or csi_survey.interactions.bootstrap_moderation.")
    inputs = bootstrap_data(fit, fit.model, data, resamples=resamples, level=level, seed=seed)
    check_choice("method", method, METHODS)
    check_choice("design", design, DESIGNS)
    workers = worker_count(n_jobs)

    model = fit.model
    X, weight, resamples, level, seed = inputs.X, inputs.weight, inputs.resamples, inputs.level, inputs.seed
    n = X.shape[0]
    settings = fit.settings
    check_choice("htmt", htmt, ["signed", "absolute"])
    labels, estimate, layout = statistic_labels(fit, htmt)  # the HTMT rows in the run's convention
    state = moment_state(model, X, settings, layout, weight)
    design_draws = _design_draws(data, design, state)

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
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=_pool_context(),
                                 initializer=_init_worker, initargs=(state, design_draws, os.getpid())) as pool:
            for result in pool.map(_run_chunk, tasks):
                collect(result)
    else:
        counts = None if design_draws is not None else np.empty((min(CHUNK_SIZE, resamples), n))  # reused by the chunks
        for task in tasks:
            collect(_run_chunk(task, state, design_draws, counts))
        del counts

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
    info = BootstrapInfo(
        resamples=resamples, used=int(used.sum()), failed=int((~used).sum()), failures=failure_table(reasons), seed=seed,
        level=level, method=method, estimates=table, draws=draws,
        **({} if design_draws is None else {
            "design": "rao-wu", "clusters": design_draws.design.n_clusters, "strata": design_draws.design.n_strata,
            "reraked": design_draws.weights.reraked, "design_note": design_draws.design.describe()}),
    )
    return attach_intervals(fit, info)


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
    summary = percentile_summary(estimate, draws, level)
    if method == "bca":
        assert state is not None
        summary["ci_lower"], summary["ci_upper"] = _bca(
            draws, estimate, _jackknife(state) if design is None else _design_jackknife(state, design), 1 - level)
    return labels.assign(estimate=estimate, **summary)


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


#: Relative standard error below which a statistic counts as constant across the resamples (no t value).
_CONSTANT_SE = 1e-12


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
    from scipy.special import ndtr, ndtri  # lazy: scipy loads only when BCa intervals are asked for

    B = draws.shape[0]
    below = (draws < estimate).mean(axis=0)
    z0 = ndtri(np.clip(below, 1 / (B + 1), B / (B + 1)))  # Φ⁻¹
    d = jack.mean(axis=0) - jack
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
    a = np.nan_to_num(a)
    out = []
    for q in (alpha / 2, 1 - alpha / 2):
        zq = ndtri(q)
        adj = ndtr(z0 + (z0 + zq) / (1 - a * (z0 + zq)))  # Φ
        adj = np.nan_to_num(adj, nan=q)
        out.append(np.array([np.quantile(draws[:, k], adj[k]) for k in range(draws.shape[1])]))
    return out[0], out[1]


def attach_intervals(results: Any, info: BootstrapInfo, **tables: Any) -> Any:
    """A copy of ``results`` with the bootstrap ``info`` and its inference beside the estimates.

    ``paths`` and ``effects`` (of ``total_effect``) gain :data:`INFERENCE_COLUMNS`, ``weights`` gains
    ``weight_*`` and ``loading_*`` versions of them, ``r2`` and ``index`` gain ``std_err, ci_lower,
    ci_upper`` (the index also ``margin_of_error``, the interval's half-width), matched by the order
    of the statistics ``path``, ``total_effect``, ``weight``, ``loading``, ``r2`` and ``index`` in
    ``info.estimates`` (the order of the rows of those tables). ``results`` is a frozen dataclass
    with these tables and a ``bootstrap`` field (a PLS, moderation or higher-order fit); ``tables``
    replaces further fields (e.g. a moderation's own bootstrapped tables).
    """
    est = info.estimates
    short = ["std_err", "ci_lower", "ci_upper"]

    def part(statistic: str, columns: list[str] = INFERENCE_COLUMNS) -> pd.DataFrame:
        return est.loc[est["statistic"] == statistic, columns].reset_index(drop=True)

    index = part("index", short)
    index["margin_of_error"] = (index["ci_upper"] - index["ci_lower"]) / 2
    return dataclasses.replace(
        results,
        paths=pd.concat([results.paths, part("path")], axis=1),
        effects=pd.concat([results.effects, part("total_effect")], axis=1),
        weights=pd.concat([results.weights, part("weight").add_prefix("weight_"),
                           part("loading").add_prefix("loading_")], axis=1),
        r2=pd.concat([results.r2, part("r2", short)], axis=1),
        index=pd.concat([results.index, index], axis=1),
        bootstrap=info,
        **tables,
    )
