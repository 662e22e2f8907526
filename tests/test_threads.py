"""engine/threads.py: one BLAS thread for the small-matrix work, worker counts, workers that die with their parent."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import csi_survey as csi
import csi_survey.engine.cbsem as cbsem_module
import csi_survey.engine.pls as pls_module
from csi_survey.engine.threads import (blas_threads, exit_with_parent, limit_process_threads, single_threaded_blas,
                                       usable_cores, worker_count)

LINUX = sys.platform.startswith("linux")


def blas_counts() -> list[int]:
    """The thread count of every loaded BLAS library, as threadpoolctl reads it now."""
    return [int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"]


def test_single_threaded_blas_limits_nests_and_restores():
    with threadpool_limits(limits=2):  # a known state to restore (also under OPENBLAS_NUM_THREADS=1)
        before = blas_counts()
        assert before and set(before) == {2}
        with single_threaded_blas():
            assert set(blas_counts()) == {1}
            assert blas_threads() == 1
            with single_threaded_blas():
                assert set(blas_counts()) == {1}
            assert set(blas_counts()) == {1}  # the outer block still holds the limit
        assert blas_counts() == before
        with pytest.raises(RuntimeError):
            with single_threaded_blas():
                raise RuntimeError("boom")
        assert blas_counts() == before  # restored on an exception too


def test_the_limit_holds_until_the_last_thread_leaves():
    inside, release, done = threading.Event(), threading.Event(), threading.Event()

    def worker() -> None:
        with single_threaded_blas():
            inside.set()
            release.wait(10)
        done.set()

    with threadpool_limits(limits=2):  # set from this thread: the other one must still be able to limit
        thread = threading.Thread(target=worker)
        thread.start()
        try:
            assert inside.wait(10)
            assert set(blas_counts()) == {1}  # limited by the other thread
            with single_threaded_blas():
                assert set(blas_counts()) == {1}
            assert set(blas_counts()) == {1}  # the other thread is still inside
        finally:
            release.set()
            thread.join(10)
        assert done.is_set()
        assert set(blas_counts()) == {2}  # restored by the other thread when it left


def test_pls_and_cbsem_fits_run_with_one_blas_thread(monkeypatch, mobi):
    seen: list[set[int]] = []

    def spy(original):
        def wrapped(*args, **kwargs):
            seen.append(set(blas_counts()))
            return original(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(pls_module, "pls_core", spy(pls_module.pls_core))
    monkeypatch.setattr(cbsem_module, "_sample_covariance", spy(cbsem_module._sample_covariance))
    rng = np.random.default_rng(1)
    a = rng.standard_normal(400)
    b = 0.5 * a + rng.standard_normal(400)
    data = pd.DataFrame({f"a{i}": a + 0.6 * rng.standard_normal(400) for i in (1, 2, 3)}
                        | {f"b{i}": b + 0.6 * rng.standard_normal(400) for i in (1, 2, 3)})
    model = csi.Questionnaire.build(
        constructs=[csi.construct("A", ["a1", "a2", "a3"], scale=(-9, 9)), csi.construct("B", ["b1", "b2", "b3"], scale=(-9, 9))],
        paths=csi.paths("A", "B"),
    )
    with threadpool_limits(limits=2):
        csi.PLS(csi.template("ecsi")).fit(mobi)
        csi.CBSEM(model).fit(data)
        assert set(blas_counts()) == {2}  # restored after each fit
    assert seen == [{1}, {1}]


def test_worker_count_never_exceeds_the_usable_cores():
    cores = usable_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    assert worker_count(-1) == worker_count(None) == cores
    assert worker_count(1) == 1
    assert worker_count(10_000) == cores
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(csi.SettingsError, match="n_jobs must be a positive number"):
            worker_count(bad)


def test_a_worker_process_limits_itself_for_life():
    out = subprocess.run(
        [sys.executable, "-c", "import os\n"
         "from csi_survey.engine.threads import limit_process_threads, blas_threads\n"
         "limit_process_threads()\n"
         "import scipy.linalg\n"
         "from threadpoolctl import threadpool_info\n"
         "print(sorted({i['num_threads'] for i in threadpool_info()}), os.environ['OPENBLAS_NUM_THREADS'])"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[1]", "1"]
    assert callable(limit_process_threads)


def _read_line(proc: subprocess.Popen, deadline: float) -> str:
    """The next line of ``proc``'s stdout, waiting at most until ``deadline`` (time.monotonic)."""
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            raise AssertionError(f"no output from the process in time (so far {line!r})")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise AssertionError(f"the process ended (code {proc.wait()}) before printing a line (so far {line!r})")
        line += chunk
    return line.decode().strip()


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not reaped, does not run)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    """Poll until none of ``pids`` runs or ``seconds`` have passed; the pids still running."""
    deadline = time.monotonic() + seconds
    while True:
        running = [pid for pid in pids if alive(pid)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


CHILD = textwrap.dedent("""
    import sys, time
    from csi_survey.engine.threads import exit_with_parent
    exit_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    print("ready", flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_worker_exits_within_seconds_when_its_parent_is_killed():
    parent_code = textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", {CHILD!r}])
        print(child.pid, flush=True)
        time.sleep(120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE)
    child = None
    try:
        deadline = time.monotonic() + 60
        child = int(_read_line(parent, deadline))
        assert _read_line(parent, deadline) == "ready"  # the child prints to the same pipe
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert wait_until_gone([child], 5.0) == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if child is not None and alive(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_process_watching_another_exits_when_it_ends_even_as_a_zombie():
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(watched.pid)], stdout=subprocess.PIPE)
    try:
        assert _read_line(child, time.monotonic() + 60) == "ready"
        watched.send_signal(signal.SIGKILL)  # not reaped yet: a zombie until watched.wait()
        deadline = time.monotonic() + 5.0
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() == 1
    finally:
        for proc in (watched, child):
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def test_exit_with_parent_exits_at_once_when_the_watched_process_is_gone():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = subprocess.run([sys.executable, "-c", CHILD, str(gone.pid)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "ready" not in out.stdout
    assert callable(exit_with_parent)
