"""The cached item products of the batched re-estimation (issue 15): the same numbers to the last bit.

``moment_state`` caches the products ``[xᵢ xⱼ]`` of the centred items (``ResampleState.products``)
when they fit in ``PRODUCTS_CAP`` bytes; ``count_moments`` then takes each block of ``ROW_BLOCK``
respondents' products from the cache instead of forming them for every batch of counts, and the
bootstrap reuses one count matrix from chunk to chunk. None of this may change a number: the
moments, the replicate draws and the tables must be bit-identical with and without the cache
(``np.array_equal``, no tolerance), beyond the cap (no cache: blocks formed per batch), with several
row blocks, with survey weights and with the Rao–Wu design bootstrap, in this process and in workers.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.engine import resample
from csi_survey.engine.bootstrap import bootstrap, resample_counts
from csi_survey.engine.pls import item_matrix
from csi_survey.engine.resample import (cached_rows, count_moments, estimate_batch, moment_products, moment_state,
                                        statistic_labels)

from .conftest import SHARED, _read
from .test_design import DESIGN, spec

COLUMNS = ["estimate", "std_err", "t_value", "p_value", "ci_lower", "ci_upper"]


def old_count_moments(Xc: np.ndarray, K: np.ndarray, row_block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """count_moments as it was before the cache (products formed per block by fancy indexing): the reference."""
    n, p = Xc.shape
    iu, ju = np.triu_indices(p)
    N = K.sum(axis=1)
    S1 = K @ Xc
    S2 = np.zeros((K.shape[0], len(iu)))
    for r0 in range(0, n, row_block):
        Xb = Xc[r0:r0 + row_block]
        S2 += K[:, r0:r0 + row_block] @ (Xb[:, iu] * Xb[:, ju])
    full = np.empty((K.shape[0], p, p))
    full[:, iu, ju] = S2
    full[:, ju, iu] = S2
    return N, S1, full


@pytest.mark.parametrize("n, p, m", [(80, 14, 50), (7, 3, 5), (300, 24, 50), (2_500, 4, 11)])
def test_small_and_large_products_equal_the_old_computation(n, p, m):
    """Shapes on both of OpenBLAS's paths (its small-matrix kernels and the blocked one), e.g. a small segment."""
    X = np.random.default_rng(n).integers(1, 6, (n, p)).astype(float)
    Xc = X - X.mean(axis=0)
    K = resample_counts(np.random.SeedSequence(n).spawn(m), n)
    reference = old_count_moments(Xc, K, resample.ROW_BLOCK)
    assert same(count_moments(Xc, K), reference)
    assert same(count_moments(Xc, K, moment_products(Xc)), reference)


def same(a, b) -> bool:
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))


def draws_and_table(fit) -> tuple[np.ndarray, np.ndarray]:
    info = fit.bootstrap
    return info.draws, info.estimates[COLUMNS].to_numpy()


@pytest.fixture(scope="module")
def centred() -> np.ndarray:
    X = np.random.default_rng(5).integers(1, 11, (1_000, 6)).astype(float)
    return X - X.mean(axis=0)


@pytest.fixture(scope="module")
def ecsi_fit(mobi):
    return csi.PLS(csi.template("ecsi")).fit(mobi)


def test_moment_products_are_the_upper_triangle_products(centred):
    iu, ju = np.triu_indices(centred.shape[1])
    P = moment_products(centred)
    old = centred[:, iu] * centred[:, ju]
    assert P.shape == (1_000, 21) and np.array_equal(P, old)
    assert P.flags.f_contiguous and old.flags.f_contiguous  # the layout of old: the same BLAS path in products
    out = np.full((21, 1_200), np.nan)
    part = moment_products(centred[:700], out=out)  # into the first columns of a buffer
    assert np.array_equal(part, P[:700]) and np.shares_memory(part, out)
    assert np.isnan(out[:, 700:]).all()


@pytest.mark.parametrize("row_block", [20_000, 128, 1_000, 333])
def test_count_moments_with_and_without_products_equal_the_old_computation(centred, monkeypatch, row_block):
    monkeypatch.setattr(resample, "ROW_BLOCK", row_block)
    K = resample_counts(np.random.SeedSequence(3).spawn(37), centred.shape[0])
    reference = old_count_moments(centred, K, row_block)
    full = moment_products(centred)
    assert same(count_moments(centred, K), reference)  # no cache: blocks formed per call
    assert same(count_moments(centred, K, full), reference)  # the whole cache
    for rows in (row_block, 2 * row_block, 500):  # part of the rows cached (whole blocks used, the rest formed)
        assert same(count_moments(centred, K, full[:rows]), reference), rows
    weighted = K * np.random.default_rng(1).uniform(0.2, 3.0, centred.shape[0])
    assert same(count_moments(centred, weighted, full), old_count_moments(centred, weighted, row_block))


def test_the_cache_holds_all_rows_within_the_cap_and_none_beyond():
    assert cached_rows(1_000, 24, cap=1_000 * 300 * 8) == 1_000
    assert cached_rows(1_001, 24, cap=1_000 * 300 * 8) == 0
    assert cached_rows(1_000_000, 14) == 0  # 840 MB of products: above the default cap (256 MiB)
    assert cached_rows(100_000, 14) == 100_000


def test_moment_state_caches_within_the_cap_and_estimates_identically(mobi, ecsi_fit):
    X, _ = item_matrix(ecsi_fit.model, mobi)
    _, _, layout = statistic_labels(ecsi_fit)
    cached = moment_state(ecsi_fit.model, X, ecsi_fit.settings, layout)
    plain = moment_state(ecsi_fit.model, X, ecsi_fit.settings, layout, products_cap=0)
    assert cached.products is not None and cached.products.shape == (250, 300)
    assert np.array_equal(cached.products, moment_products(cached.Xc))
    assert plain.products is None
    K = resample_counts(np.random.SeedSequence(11).spawn(50), X.shape[0])
    a, b = estimate_batch(cached, K), estimate_batch(plain, K)
    assert np.array_equal(a[0], b[0], equal_nan=True) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_resample_counts_fill_a_reused_buffer_identically():
    seeds = np.random.SeedSequence(7).spawn(13)
    fresh = resample_counts(seeds, 400)
    buffer = np.full((20, 400), -1.0)
    filled = resample_counts(seeds, 400, out=buffer)
    assert np.array_equal(filled, fresh) and filled.shape == (13, 400)
    assert np.shares_memory(filled, buffer) and (buffer[13:] == -1).all()
    again = resample_counts(seeds[:4], 400, out=buffer)  # the next, shorter chunk overwrites the first rows
    assert np.array_equal(again, fresh[:4])


def test_bootstrap_draws_are_identical_without_the_cache(mobi, ecsi_fit, monkeypatch):
    cached = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=73, seed=2, n_jobs=1))  # last chunk: 23 resamples
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 0)
    plain = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=73, seed=2, n_jobs=1))
    assert cached[0].shape == (73, 115)
    assert same(cached, plain)


def test_bootstrap_with_several_row_blocks_and_no_cache_is_identical(mobi, ecsi_fit, monkeypatch):
    """Beyond the cap the products are formed block by block for every chunk: the same draws."""
    monkeypatch.setattr(resample, "ROW_BLOCK", 64)  # mobi's 250 respondents in 4 blocks
    cached = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=60, seed=4, n_jobs=1))
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 250 * 300 * 8 - 1)  # one byte short: no cache
    plain = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=60, seed=4, n_jobs=1))
    assert same(cached, plain)


def test_worker_processes_give_the_same_draws(mobi, ecsi_fit, monkeypatch):
    """Workers (each reusing its count matrix, the last chunk shorter) against this process, with and without cache."""
    here = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=120, seed=6, n_jobs=1))
    workers = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=120, seed=6, n_jobs=2, parallel_threshold=0))
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 0)
    uncached = draws_and_table(bootstrap(ecsi_fit, mobi, resamples=120, seed=6, n_jobs=2, parallel_threshold=0))
    assert same(here, workers) and same(here, uncached)


def test_weighted_bootstrap_is_identical_without_the_cache(mobi, monkeypatch):
    q = csi.template("ecsi").model_dump()
    q["weights"] = {"column": "wgt"}
    model = csi.Questionnaire.from_dict(q)
    wgt = np.random.default_rng(20260).integers(1, 4, len(mobi))
    data = csi.apply_weights(csi.prepare(mobi.assign(wgt=wgt), model))
    fit = csi.PLS(model).fit(data)
    assert fit.weight is not None
    cached = draws_and_table(bootstrap(fit, data, resamples=50, seed=8, n_jobs=1))
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 0)
    assert same(cached, draws_and_table(bootstrap(fit, data, resamples=50, seed=8, n_jobs=1)))


@pytest.mark.parametrize("raking", [False, True])
def test_design_bootstrap_is_identical_without_the_cache(monkeypatch, raking):
    from .test_design import RAKING

    frame = _read(SHARED / "clustered_survey.csv")
    q = spec(weights={"column": "weight", **({"raking": RAKING} if raking else {})}, design=DESIGN)
    data = csi.apply_weights(csi.prepare(frame, q))
    fit = csi.PLS(q).fit(data)
    first = bootstrap(fit, data, resamples=40, seed=9, n_jobs=1)
    assert first.bootstrap.design == "rao-wu"
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 0)
    assert same(draws_and_table(first), draws_and_table(bootstrap(fit, data, resamples=40, seed=9, n_jobs=1)))


def test_bca_intervals_are_identical_without_the_cache(mobi, ecsi_fit, monkeypatch):
    cached = bootstrap(ecsi_fit, mobi, resamples=40, seed=12, method="bca", n_jobs=1)
    monkeypatch.setattr(resample, "PRODUCTS_CAP", 0)
    plain = bootstrap(ecsi_fit, mobi, resamples=40, seed=12, method="bca", n_jobs=1)
    assert same(draws_and_table(cached), draws_and_table(plain))
    assert isinstance(cached.bootstrap.estimates, pd.DataFrame)


def _worker_threads(_: int) -> tuple[int | None, str, int]:
    from csi_survey.engine.threads import blas_threads

    return blas_threads(), os.environ.get("OPENBLAS_NUM_THREADS", ""), len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers and /proc: Linux")
def test_a_forked_worker_keeps_one_blas_thread_without_starting_blas_threads(mobi, ecsi_fit):
    """The bootstrap's workers inherit the one-thread limit; setting it again in the worker would start
    OpenBLAS's (spinning) thread pool there: only the worker's thread and its parent watchdog run."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from csi_survey.engine import bootstrap as bm
    from csi_survey.engine.threads import single_threaded_blas

    X, _ = item_matrix(ecsi_fit.model, mobi)
    state = moment_state(ecsi_fit.model, X, ecsi_fit.settings, statistic_labels(ecsi_fit)[2])
    with single_threaded_blas():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=bm._init_worker,
                                 initargs=(state, None, os.getpid())) as pool:
            pool.submit(bm._run_chunk, (0, np.random.SeedSequence(1).spawn(3))).result()  # BLAS work in the worker
            blas, env, threads = pool.submit(_worker_threads, 0).result()
    assert blas == 1 and env == "1"
    assert threads <= 2  # the worker and the watchdog of exit_with_parent; no BLAS pool threads


def test_a_statistic_constant_up_to_rounding_has_no_t_value():
    """The weight of a single-item construct is 1 in every resample up to rounding: its sd is noise
    (~1e-17), so it gets no t or p value instead of t ≈ 1e16."""
    from csi_survey.engine.bootstrap import percentile_summary

    rng = np.random.default_rng(3)
    draws = np.column_stack([1.0 + rng.choice([0.0, 2.2e-16, -1.1e-16], size=500), rng.normal(0.4, 0.05, 500),
                             np.zeros(500)])
    estimate = np.array([1.0, 0.4, 0.0])
    out = percentile_summary(estimate, draws, 0.95)
    assert np.isnan(out["t_value"][0]) and np.isnan(out["p_value"][0])
    assert np.isnan(out["t_value"][2]) and np.isnan(out["p_value"][2])
    assert out["t_value"][1] == pytest.approx(0.4 / draws[:, 1].std(ddof=1), rel=1e-12)
    assert 0 <= out["p_value"][1] < 1e-6
