"""Threads and worker processes: single-threaded BLAS for small-matrix work, workers that die with their parent.

The estimation works on small matrices (p × p item correlations, batches of them, the moments of
a chunk of resamples). numpy's BLAS (OpenBLAS) starts one thread per core by default; on such
matrices the threads mostly wait for each other, and when the cores are busy — other programs, or
our own worker processes, each with its own BLAS threads — they oversubscribe the cores and every
product gets 3–40 × slower (issue 15: a bootstrap on mobi 0.78 s with the default threads against
0.16 s with one; a CB-SEM fit 0.65–0.86 s against 0.10 s). So the package runs its small-matrix
work with one BLAS thread and gets its parallelism from its own worker processes, one thread each,
never more workers than usable cores: threads × processes ≤ cores.

One thread also makes the numbers reproducible across machines: OpenBLAS splits a product among
its threads in a way that depends on the thread count, and the last bits of the result change
with it (measured: the bootstrap moments of a chunk differ in the 14th digit between 1 and 2
threads). With one thread everywhere — in this process and in every worker — the same seed gives
the same numbers on any number of cores and any number of workers.

- :func:`single_threaded_blas` — a context manager limiting BLAS/OpenMP to one thread in this
  process (through threadpoolctl), restoring the previous limits on exit. It nests and may be
  entered by several threads at once: the limit holds until the last one leaves (numpy's OpenBLAS
  has one thread pool for the whole process). Libraries loaded while the limit is held are not
  limited: import first (the libraries are listed again when ``sys.modules`` has grown). A BLAS
  whose limits are per calling thread (OpenBLAS built on OpenMP, MKL) is limited for the thread
  that entered first only.
- :func:`limit_process_threads` — one BLAS/OpenMP thread for the rest of the process's life (for
  worker processes; also sets ``OPENBLAS_NUM_THREADS`` etc. to 1 for libraries loaded later).
- :func:`usable_cores`, :func:`worker_count` — the cores this process may use (CPU affinity and,
  on Linux, the cgroup CPU quota of a container) and the number of worker processes for an
  ``n_jobs`` setting (never more than the usable cores).
- :func:`exit_with_parent` — called in a worker process: the worker exits when its parent dies,
  even by SIGKILL (which no clean-up code sees). On Linux the kernel sends the worker SIGKILL at
  once (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread also polls every half second
  whether the parent is gone (its parent pid changed, or the watched process no longer runs) and
  ends the worker with ``os._exit``. Without this, a pool's workers wait forever on their task
  queue after a SIGKILL of the parent (forked workers hold the queue's pipe open themselves).

threadpoolctl comes with scikit-learn (a dependency); without it the limits do nothing.
This module imports nothing from the package but :mod:`csi_survey.exceptions`.

Reference: threadpoolctl (https://github.com/joblib/threadpoolctl); OpenBLAS's FAQ on
multithreaded programs; Linux prctl(2), PR_SET_PDEATHSIG.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exceptions import SettingsError

__all__ = ["single_threaded_blas", "limit_process_threads", "blas_threads", "usable_cores", "worker_count",
           "exit_with_parent", "one_thread_environment", "THREAD_VARIABLES"]

#: Environment variables that set the thread count of BLAS/OpenMP libraries when they load.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

#: How often the watchdog of :func:`exit_with_parent` looks at the parent (seconds).
WATCH_INTERVAL = 0.5

_LOCK = threading.Lock()
_DEPTH = 0
_LIMITER: Any = None  # (controller, limiter) while a block holds the limit
_CONTROLLER: Any = None
_MODULES_SEEN = -1


def _after_fork_in_child() -> None:
    """A forked child starts outside any limit block, with a free lock (the parent may have held it)."""
    global _LOCK, _DEPTH, _LIMITER
    _LOCK, _DEPTH, _LIMITER = threading.Lock(), 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _controller() -> Any:
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries (None without threadpoolctl).

    Listing the libraries costs ~2 ms, limiting them ~0.01 ms: the list is kept and made again
    only when modules were imported since (new extension modules may have loaded a library)."""
    global _CONTROLLER, _MODULES_SEEN
    if _CONTROLLER is None or len(sys.modules) != _MODULES_SEEN:
        try:
            from threadpoolctl import ThreadpoolController  # lazy: only estimation needs it (~10 ms to import)
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return None
        _MODULES_SEEN = len(sys.modules)
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS/OpenMP limited to one thread in this process while the block runs (see the module docstring).

    Re-entrant and shared by concurrent threads of the process: the first to enter sets the
    limit, the last to leave restores the limits found on entry."""
    global _DEPTH, _LIMITER
    with _LOCK:
        if _DEPTH == 0:
            controller = _controller()
            if controller is not None:
                with _in_control(controller):
                    _LIMITER = (controller, controller.limit(limits=1))
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0 and _LIMITER is not None:
                controller, limiter = _LIMITER
                _LIMITER = None
                with _in_control(controller):
                    limiter.restore_original_limits()


@contextmanager
def _in_control(controller: Any) -> Iterator[None]:
    """Let this thread set the thread counts of a process-wide BLAS pool, then release it.

    threadpoolctl (≥ 3.8) lets only one thread — the first to set a limit, while it lives — change
    a process-wide OpenBLAS pool and silently ignores the others, so a limit set from a second
    thread would do nothing (measured: the main thread, having once set a limit, keeps control for
    the process's life). The calls of this module are serialized by its lock, so this thread takes
    control for the call (``clear_controlling_thread(force=True)``) and gives it back after."""
    classes = {type(lib) for lib in controller.lib_controllers if hasattr(type(lib), "clear_controlling_thread")}
    for cls in classes:
        cls.clear_controlling_thread(force=True)
    try:
        yield
    finally:
        for cls in classes:
            cls.clear_controlling_thread()


def limit_process_threads() -> None:
    """One BLAS/OpenMP thread for the rest of this process's life (call it in a worker's main thread).

    Libraries already loaded are limited now; the environment variables of :data:`THREAD_VARIABLES`
    are set to 1 for libraries loaded later and for processes this one starts. A process whose BLAS
    already runs one thread (forked inside :func:`single_threaded_blas`, or started with the
    variables set) is left as it is: setting the limit again would start OpenBLAS's thread pool
    there (OpenBLAS 0.3.30/0.3.31), whose idle threads spin and take time from the workers."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    if blas_threads() == 1:
        return
    controller = _controller()
    if controller is not None:
        with _LOCK, _in_control(controller):
            controller.limit(limits=1)


@contextmanager
def one_thread_environment() -> Iterator[None]:
    """The variables of :data:`THREAD_VARIABLES` set to 1 inside the block, restored after it.

    For processes started inside the block (a forkserver, spawned workers): their BLAS loads with one
    thread, so no thread pool is ever started there."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def blas_threads() -> int | None:
    """The largest thread count of the loaded BLAS libraries now (None when threadpoolctl cannot tell)."""
    controller = _controller()
    if controller is None:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    counts = [int(info["num_threads"]) for info in controller.info() if info.get("user_api") == "blas"]
    return max(counts, default=None)


def usable_cores() -> int:
    """The number of cores this process may use: its CPU affinity and, on Linux, the cgroup (v2 or v1)
    CPU quota of its container, whichever is smaller; at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, quota)
    return max(1, cores)


def _cgroup_quota() -> int | None:
    """Whole cores of the cgroup's CPU quota (rounded up), None without a quota (or off Linux)."""
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as f:  # cgroup v2: "max 100000" or "200000 100000"
            quota, period = f.read().split()[:2]
        if quota == "max":
            return None
        q, p = int(quota), int(period)
    except (OSError, ValueError):
        try:  # cgroup v1
            with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", encoding="ascii") as f:
                q = int(f.read())
            with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us", encoding="ascii") as f:
                p = int(f.read())
        except (OSError, ValueError):
            return None
    if q <= 0 or p <= 0:
        return None
    return max(1, -(-q // p))


def worker_count(n_jobs: int | None) -> int:
    """Worker processes for ``n_jobs``: -1 or None all usable cores (:func:`usable_cores`), else
    ``n_jobs`` but never more than the usable cores (each worker runs one BLAS thread).

    Raises :class:`~csi_survey.exceptions.SettingsError` for 0, numbers below -1 and non-integers."""
    cores = usable_cores()
    if n_jobs is None or (isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and n_jobs == -1):
        return cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise SettingsError(f"n_jobs must be a positive number of processes or -1 (all cores); got {n_jobs!r}",
                            hint="pass n_jobs=-1 (all cores), n_jobs=1 (this process only) or another positive integer.")
    return min(n_jobs, cores)


def exit_with_parent(parent: int | None = None, interval: float = WATCH_INTERVAL) -> None:
    """Make this (worker) process exit when ``parent`` dies (default: its parent process now).

    Call it first thing in a worker, e.g. in a pool's ``initializer``. On Linux the kernel sends
    SIGKILL to this process when its parent dies (``PR_SET_PDEATHSIG``; strictly, when the thread
    that started it ends — a pool started by a thread that ends before the pool would lose its
    workers). In addition a daemon thread checks every ``interval`` seconds that ``parent`` still
    runs — when ``parent`` is the parent process, that this process was not re-parented — and
    else ends this process at once (``os._exit(1)``: a worker has nothing to clean up). If
    ``parent`` is already gone when this is called, the process exits immediately. (Windows neither
    re-parents orphans nor has the signal; there a pool's workers end when their pipes close.)"""
    direct = os.getppid()
    watched = direct if parent is None else int(parent)
    if sys.platform.startswith("linux"):
        _parent_death_signal()
    if direct == watched:
        def gone() -> bool:
            return os.getppid() != watched
    else:
        def gone() -> bool:
            return not _running(watched)
    if gone():
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if gone():
                os._exit(1)

    threading.Thread(target=watch, name="csi-survey-exit-with-parent", daemon=True).start()


def _parent_death_signal() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes  # lazy: only worker processes on Linux need it

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the watchdog thread remains
        pass


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie, ended but not yet reaped, counts as ended).
    Off POSIX it cannot tell and says yes (on Windows ``os.kill(pid, 0)`` would end the process)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill(pid, 0) succeeded
    return state not in ("Z", "X")
