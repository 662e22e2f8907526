"""Bootstrap: exact per-resample agreement with the full estimator, reproducibility, sanity of SEs."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import csi_survey as csi
from csi_survey.engine.bootstrap import bootstrap


@pytest.fixture(scope="module")
def ecsi_fit(mobi):
    return csi.PLS(csi.template("ecsi")).fit(mobi)


@pytest.fixture(scope="module")
def ecsi_boot(ecsi_fit, mobi):
    return bootstrap(ecsi_fit, mobi, resamples=200, seed=7)


def test_every_resample_equals_the_full_estimator_on_the_resampled_data(ecsi_boot, mobi):
    """The batched moments + batched PLS must give exactly what PLS().fit() gives on each resample."""
    info = ecsi_boot.bootstrap
    assert info.used == 200 and info.failed == 0
    children = np.random.SeedSequence(7).spawn(200)
    est = info.estimates
    for b in (0, 57, 199):
        idx = np.random.default_rng(children[b]).integers(0, len(mobi), len(mobi))
        refit = csi.PLS(csi.template("ecsi")).fit(mobi.iloc[idx].reset_index(drop=True))
        draws = pd.Series(info.draws[b], index=pd.MultiIndex.from_frame(est[["statistic", "source", "target"]]))
        for r in refit.paths.itertuples():
            assert draws[("path", r.source, r.target)] == pytest.approx(r.estimate, abs=1e-10)
        for r in refit.weights.itertuples():
            assert draws[("weight", r.construct, r.item)] == pytest.approx(r.weight, abs=1e-10)
            assert draws[("loading", r.construct, r.item)] == pytest.approx(r.loading, abs=1e-10)
        for r in refit.index.itertuples():
            assert draws[("index", r.construct, "")] == pytest.approx(r.index, abs=1e-9)
        for r in refit.r2.itertuples():
            assert draws[("r2", r.construct, "")] == pytest.approx(r.r2, abs=1e-10)
        for r in refit.effects.itertuples():
            assert draws[("total_effect", r.source, r.target)] == pytest.approx(r.total_effect, abs=1e-10)


def test_tables_gain_inference_columns(ecsi_boot, ecsi_fit):
    cols = ["std_err", "t_value", "p_value", "ci_lower", "ci_upper"]
    assert list(ecsi_boot.paths.columns) == ["source", "target", "estimate", *cols]
    assert list(ecsi_boot.effects.columns)[-5:] == cols
    assert {"weight_std_err", "weight_ci_lower", "loading_p_value", "loading_ci_upper"} <= set(ecsi_boot.weights.columns)
    assert list(ecsi_boot.index.columns) == ["construct", "label", "index", "n", "std_err", "ci_lower", "ci_upper", "margin_of_error"]
    pd.testing.assert_series_equal(ecsi_boot.paths["estimate"], ecsi_fit.paths["estimate"])
    p = ecsi_boot.paths
    assert (p["ci_lower"] <= p["estimate"]).all() and (p["estimate"] <= p["ci_upper"]).all()
    np.testing.assert_allclose(p["t_value"], p["estimate"] / p["std_err"])
    np.testing.assert_allclose(p["p_value"], 2 * sps.t.sf(np.abs(p["t_value"]), df=199))
    by_path = p.set_index(["source", "target"])
    assert by_path.loc[("PQ", "SAT"), "p_value"] < 1e-6        # the strongest driver
    assert by_path.loc[("EXP", "SAT"), "p_value"] > 0.05       # 0.06: not significant (as in the literature)
    idx = ecsi_boot.index.set_index("construct")
    assert idx.loc["SAT", "margin_of_error"] == pytest.approx((idx.loc["SAT", "ci_upper"] - idx.loc["SAT", "ci_lower"]) / 2)
    assert 0.5 < idx.loc["SAT", "margin_of_error"] < 5
    htmt = ecsi_boot.bootstrap.estimates.query("statistic == 'htmt'")
    assert len(htmt) == 21 and htmt["std_err"].gt(0).all()
    assert "seed 7" in str(ecsi_boot.summary())


def test_same_seed_same_numbers_whatever_the_number_of_workers(ecsi_fit, mobi):
    a = bootstrap(ecsi_fit, mobi, resamples=120, seed=11, n_jobs=1)
    b = bootstrap(ecsi_fit, mobi, resamples=120, seed=11, n_jobs=2, parallel_threshold=0)
    c = bootstrap(ecsi_fit, mobi, resamples=120, seed=11)
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)
    np.testing.assert_array_equal(a.bootstrap.draws, c.bootstrap.draws)
    pd.testing.assert_frame_equal(a.bootstrap.estimates, b.bootstrap.estimates)
    d = bootstrap(ecsi_fit, mobi, resamples=120, seed=12)
    assert not np.array_equal(a.bootstrap.draws, d.bootstrap.draws)


def test_standard_error_of_a_correlation_matches_the_analytic_value():
    """Single-item constructs x → y: the path is r, with asymptotic SE (1 − r²)/√n (bivariate normal)."""
    rng = np.random.default_rng(3)
    n, rho = 2000, 0.5
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    data = pd.DataFrame({"x": x, "y": y})
    model = csi.Questionnaire.build(constructs=[csi.construct("X", ["x"]), csi.construct("Y", ["y"])], paths=csi.paths("X", "Y"))
    with pytest.warns(csi.IndexWarning):
        fit = csi.PLS(model).fit(data)
    boot = bootstrap(fit, data, resamples=2000, seed=1)
    r = fit.paths["estimate"].item()
    assert r == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    analytic = (1 - r**2) / np.sqrt(n)
    # Monte Carlo error of a bootstrap SE with B = 2000 is about 1/√(2B) ≈ 1.6 %; allow 8 %.
    assert boot.paths["std_err"].item() == pytest.approx(analytic, rel=0.08)
    # R² = r², so its SE is about 2r·SE(r) (delta method)
    assert boot.r2["std_err"].item() == pytest.approx(2 * r * analytic, rel=0.10)


def test_monte_carlo_spread_matches_the_bootstrap_standard_error():
    """Multi-item model with known population paths: the spread of estimates over independent samples
    equals the bootstrap SE of one sample (within Monte Carlo error)."""
    rng = np.random.default_rng(5)
    model = csi.Questionnaire.build(
        constructs=[csi.construct("A", ["a1", "a2", "a3"], scale=(-10, 10)), csi.construct("B", ["b1", "b2", "b3"], scale=(-10, 10))],
        paths=csi.paths("A", "B"),
    )

    def sample(n: int) -> pd.DataFrame:
        a = rng.standard_normal(n)
        b = 0.4 * a + np.sqrt(1 - 0.16) * rng.standard_normal(n)
        cols = {f"a{i}": 0.8 * a + 0.6 * rng.standard_normal(n) for i in (1, 2, 3)}
        cols |= {f"b{i}": 0.8 * b + 0.6 * rng.standard_normal(n) for i in (1, 2, 3)}
        return pd.DataFrame(cols)

    engine = csi.PLS(model)
    estimates = [engine.fit(sample(300)).paths["estimate"].item() for _ in range(300)]
    data = sample(300)
    boot = bootstrap(engine.fit(data), data, resamples=1000, seed=2)
    assert boot.paths["std_err"].item() == pytest.approx(np.std(estimates, ddof=1), rel=0.2)


def test_bca_and_level(ecsi_fit, mobi):
    pct95 = bootstrap(ecsi_fit, mobi, resamples=300, seed=3)
    pct90 = bootstrap(ecsi_fit, mobi, resamples=300, seed=3, level=0.90)
    bca = bootstrap(ecsi_fit, mobi, resamples=300, seed=3, method="bca")
    w95 = pct95.paths["ci_upper"] - pct95.paths["ci_lower"]
    w90 = pct90.paths["ci_upper"] - pct90.paths["ci_lower"]
    assert (w90 < w95).all()
    np.testing.assert_array_equal(pct95.paths["std_err"], bca.paths["std_err"])  # same draws
    # BCa moves the interval but keeps it close to the percentile one for these well-behaved paths
    np.testing.assert_allclose(bca.paths["ci_lower"], pct95.paths["ci_lower"], atol=0.05)
    assert not np.allclose(bca.paths["ci_lower"], pct95.paths["ci_lower"], atol=1e-9)
    assert bca.bootstrap.method == "bca"


def test_failed_resamples_are_counted_and_left_out():
    rng = np.random.default_rng(0)
    n = 30
    x = rng.normal(size=(n, 2))
    rare = np.zeros(n)
    rare[0] = 1.0  # one respondent answered differently: every resample without them has zero variance
    data = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "r": rare, "y": x[:, 0] + rng.normal(size=n)})
    model = csi.Questionnaire.build(
        constructs=[csi.construct("X", ["x1", "x2"], scale=(-5, 5)), csi.construct("R", ["r"], scale=(0, 1)), csi.construct("Y", ["y"], scale=(-9, 9))],
        paths=csi.paths(["X", "R"], "Y"),
    )
    fit = csi.PLS(model).fit(data)
    boot = bootstrap(fit, data, resamples=200, seed=4)
    info = boot.bootstrap
    assert info.used + info.failed == 200
    # exactly the resamples that did not draw respondent 0 fail (P = (29/30)^30 ≈ 0.36), no others
    draws_0 = [(np.random.default_rng(s).integers(0, n, n) == 0).any() for s in np.random.SeedSequence(4).spawn(200)]
    assert info.failed == 200 - sum(draws_0)
    assert set(info.failures["resample"]) == {b for b, drawn in enumerate(draws_0) if not drawn}
    assert set(info.failures.columns) == {"resample", "reason"} and len(info.failures) == info.failed
    assert info.failures["reason"].str.contains("same answer for every respondent").all()
    assert info.draws.shape[0] == info.used and np.isfinite(info.draws[:, :3]).all()


def test_progress_is_reported_and_settings_are_checked(ecsi_fit, mobi):
    calls = []
    bootstrap(ecsi_fit, mobi, resamples=120, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(50, 120), (100, 120), (120, 120)]
    with pytest.raises(csi.SettingsError, match="method must be one of 'percentile', 'bca'"):
        bootstrap(ecsi_fit, mobi, resamples=10, method="normal")
    with pytest.raises(csi.SettingsError, match="level"):
        bootstrap(ecsi_fit, mobi, resamples=10, level=95)
    with pytest.raises(csi.EstimationError, match="same data"):
        bootstrap(ecsi_fit, mobi.iloc[:100], resamples=10)


def test_seed_is_recorded_when_not_given(ecsi_fit, mobi):
    a = bootstrap(ecsi_fit, mobi, resamples=20)
    b = bootstrap(ecsi_fit, mobi, resamples=20, seed=a.bootstrap.seed)
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)


# ---------------------------------------------------------------- threads and worker processes (issue 15)

def _blas_counts() -> set[int]:
    from threadpoolctl import threadpool_info

    return {int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"}


def test_the_bootstrap_runs_with_one_blas_thread_and_restores_the_callers(ecsi_fit, mobi):
    from threadpoolctl import threadpool_limits

    seen = []
    with threadpool_limits(limits=2):
        bootstrap(ecsi_fit, mobi, resamples=100, seed=1, n_jobs=1, progress=lambda done, total: seen.append(_blas_counts()))
        assert _blas_counts() == {2}
    assert seen == [{1}, {1}]


def test_the_same_seed_gives_the_same_draws_whatever_the_callers_blas_threads(ecsi_fit, mobi):
    """One BLAS thread inside: the caller's thread count (which changes the rounding of OpenBLAS's
    products) does not reach the numbers."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2):
        a = bootstrap(ecsi_fit, mobi, resamples=100, seed=5, n_jobs=1)
    with threadpool_limits(limits=1):
        b = bootstrap(ecsi_fit, mobi, resamples=100, seed=5, n_jobs=1)
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)


_SPY: dict = {}


def _spy_chunk(task, state=None, draws=None):
    """The bootstrap's chunk, logging the process and its BLAS threads (one short line: appends do not interleave)."""
    with open(_SPY["log"], "a", encoding="ascii") as f:
        f.write(f"{os.getpid()} {max(_blas_counts())}\n")
    return _SPY["run_chunk"](task, state, draws)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers (Linux)")
def test_workers_run_one_blas_thread_each_and_no_more_workers_than_cores(ecsi_fit, mobi, tmp_path, monkeypatch):
    from csi_survey.engine import bootstrap as module
    from csi_survey.engine.threads import usable_cores

    log = tmp_path / "workers.txt"
    monkeypatch.setitem(_SPY, "log", log)
    monkeypatch.setitem(_SPY, "run_chunk", module._run_chunk)
    monkeypatch.setattr(module, "_run_chunk", _spy_chunk)  # the forked workers inherit the patched module
    a = bootstrap(ecsi_fit, mobi, resamples=300, seed=2, n_jobs=64, parallel_threshold=0)
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == 6  # 300 resamples in chunks of 50
    pids = {int(pid) for pid, _ in lines}
    assert os.getpid() not in pids and 1 <= len(pids) <= usable_cores()
    assert {int(threads) for _, threads in lines} == {1}
    monkeypatch.undo()
    np.testing.assert_array_equal(a.bootstrap.draws, bootstrap(ecsi_fit, mobi, resamples=300, seed=2, n_jobs=1).bootstrap.draws)


KILLED_PARENT = textwrap.dedent("""
    import numpy as np, pandas as pd
    import csi_survey as csi
    from csi_survey.engine.bootstrap import bootstrap

    rng = np.random.default_rng(0)
    n = 20_000
    a = rng.standard_normal(n)
    b = 0.5 * a + rng.standard_normal(n)
    data = pd.DataFrame({f"a{i}": a + 0.6 * rng.standard_normal(n) for i in (1, 2, 3)}
                        | {f"b{i}": b + 0.6 * rng.standard_normal(n) for i in (1, 2, 3)})
    model = csi.Questionnaire.build(
        constructs=[csi.construct("A", ["a1", "a2", "a3"], scale=(-9, 9)), csi.construct("B", ["b1", "b2", "b3"], scale=(-9, 9))],
        paths=csi.paths("A", "B"),
    )
    fit = csi.PLS(model).fit(data)

    def progress(done, total):
        if done == 50:
            print("running", flush=True)

    bootstrap(fit, data, resamples=200_000, seed=1, n_jobs=2, parallel_threshold=0, progress=progress)  # minutes
    print("finished", flush=True)
""")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")  # a zombie has ended
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_within_seconds_when_the_parent_is_killed(tmp_path):
    from csi_survey.engine.threads import usable_cores

    if usable_cores() < 2:
        pytest.skip("one usable core: the bootstrap runs in-process")
    errors = tmp_path / "stderr.txt"
    with open(errors, "wb") as err:
        parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], stdout=subprocess.PIPE, stderr=err)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        ready, _, _ = select.select([parent.stdout], [], [], deadline - time.monotonic())
        line = parent.stdout.readline().decode().strip() if ready else ""
        assert line == "running", f"the bootstrap did not start: {line!r}; {errors.read_text()[-2000:]}"
        workers = [pid for pid in _children(parent.pid) if _running(pid)]
        descendants = workers + [c for w in workers for c in _children(w)]
        assert len(workers) == 2, f"expected 2 worker processes, found {workers}"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5.0
        while any(_running(pid) for pid in descendants) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in descendants if _running(pid)] == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in workers:  # only the workers this test started, should the check have failed
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
