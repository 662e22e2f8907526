"""Where the tasks run: in this process, in a local process pool, or on a Dask cluster.

Every backend calls ``done(task, results)`` in this process for each finished work unit. The Dask
backend needs the optional dependency ``dask[distributed]``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from importlib import metadata
from typing import Any

from ..engine.threads import one_thread_environment
from ..exceptions import CsiSurveyWarning, SettingsError
from ..version import __version__
from .config import SCHEDULER_ADDRESS
from .tasks import InheritedFd, JobResult, Task, compute_task, one_line, start_worker

__all__ = ["Backend", "ProcessPool", "DaskCluster", "package_versions", "make_backend"]


class Backend:
    """The tasks one after the other in this process."""

    name = "serial"

    def run(self, tasks: Sequence[Task], done: Callable[[Task, list[JobResult]], None]) -> None:
        """Run ``tasks``, calling ``done(task, results)`` for each finished one."""
        for k in range(len(tasks)):
            task = tasks[k]
            done(task, compute_task(task))

    def close(self) -> None:
        """Release what the backend holds."""


def _failed_task(task: Task, reason: str) -> list[JobResult]:
    return [JobResult(job.key, f"failed: {reason}", deterministic=False) for job in task.jobs]


class ProcessPool(Backend):
    """The tasks in a pool of local worker processes (a lost worker's tasks are run again one by one).

    At most :data:`IN_FLIGHT` work units per worker are handed to the pool at a time (each is built
    — its segments cut out of the waves — just before), so memory holds a few work units' data,
    not the whole batch's. The workers die with this process, even when it is killed (SIGKILL),
    and write nothing after it (see :func:`csi_survey.batch.tasks.start_worker`): they hold
    ``lock_fd`` (the output folder's lock, set by :func:`~csi_survey.batch.run_batch`) while they
    live, and stop as soon as this process closes its end of their pipe or dies."""

    #: Work units per worker handed to the pool at a time.
    IN_FLIGHT = 2

    def __init__(self, workers: int):
        self.workers = workers
        self.name = f"processes ({workers})"
        self.lock_fd: int | None = None

    def run(self, tasks: Sequence[Task], done: Callable[[Task, list[JobResult]], None]) -> None:
        context = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        if context.get_start_method() == "forkserver":
            from multiprocessing import forkserver  # lazy: POSIX only

            with one_thread_environment():  # the server, and every worker it forks, load BLAS with one thread
                forkserver.ensure_running()

        def run_pool(indices: list[int], size: int, in_flight: int) -> tuple[list[int], list[int]]:
            """Run the tasks (at most ``in_flight`` handed to the pool at a time); return those lost
            because a worker process died and those not started then."""
            lost: list[int] = []
            reader, writer = context.Pipe(duplex=False)  # the workers' lifeline: only this process holds ``writer``
            lock = InheritedFd(self.lock_fd) if self.lock_fd is not None and os.name == "posix" else None
            pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=start_worker,
                                       initargs=(reader, os.getpid(), lock))
            queue = list(reversed(indices))
            running: dict[Any, tuple[int, Task]] = {}
            broken = False

            def submit() -> None:
                while queue and len(running) < in_flight and not broken:
                    task = tasks[queue[-1]]
                    running[pool.submit(compute_task, task)] = (queue.pop(), task)

            try:
                submit()
                while running:
                    finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in sorted(finished, key=lambda f: running[f][0]):
                        k, task = running.pop(future)
                        try:
                            results = future.result()
                        except BrokenProcessPool:
                            lost.append(k)
                            broken = True
                            continue
                        except Exception as error:  # e.g. a result that cannot be sent back
                            results = _failed_task(task, f"internal error ({type(error).__name__}: {one_line(str(error))})")
                        done(task, results)
                    try:
                        submit()
                    except BrokenProcessPool:
                        broken = True
            except BaseException:
                # stopped (Ctrl-C, an exception of the progress callback): no worker may go on
                # writing after we return; the next run resumes from the records
                _stop(pool, writer)
                reader.close()
                raise
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            finally:
                writer.close()  # a worker still there ends now
                reader.close()
            return sorted(lost), list(reversed(queue))

        pending = list(range(len(tasks)))
        completed = 0
        while pending:
            before = len(pending)
            size = min(self.workers, len(pending))
            lost, pending = run_pool(pending, size, size * self.IN_FLIGHT)
            completed += before - len(lost) - len(pending)
            # A worker died (killed, out of memory …): run the lost tasks again one at a time in one
            # worker, so the task that kills its process is found and reported, and the others finish.
            dead: list[int] = []
            while lost:
                before = len(lost)
                killer, lost = run_pool(lost, 1, 1)  # one in flight: the one lost is the one that killed its worker
                completed += before - len(killer) - len(lost)
                dead += killer
            if dead and completed == 0:  # no worker ever finished anything: they cannot start at all
                raise SettingsError(
                    "the worker processes of the batch stop before doing any work",
                    hint="when run_batch is called from a script, put the call under `if __name__ == \"__main__\":` "
                         "(the workers import the script); or run in one process (workers=1, --workers 1).",
                )
            for k in dead:
                done(tasks[k], _failed_task(tasks[k], "the worker process died while estimating this work unit (out of memory?)"))


def _stop(pool: ProcessPoolExecutor, writer: Any) -> None:
    """Stop the pool's workers now and wait until they have ended (they hold the output folder's lock)."""
    writer.close()
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(5)


class DaskCluster(Backend):
    """The tasks on a Dask distributed cluster (a scheduler address or a ``distributed.Client``)."""

    def __init__(self, scheduler: Any):
        try:
            import distributed  # lazy: dask is optional
        except ImportError:
            raise SettingsError(
                "running the batch on a Dask cluster needs the optional dependency dask[distributed], which is not installed",
                hint="install it with `pip install 'csi-survey[dask]'` (on the workers too), or leave out --scheduler/dask: to use local processes.",
            ) from None
        self._own = not hasattr(scheduler, "submit")
        if self._own:
            try:
                self.client = distributed.Client(scheduler, timeout="20s", set_as_default=False)
            except (OSError, TimeoutError) as error:
                raise SettingsError(
                    f"cannot connect to the Dask scheduler at {scheduler}: {error}",
                    hint="check the address (tcp://HOST:PORT) and that the scheduler is running and reachable.",
                ) from None
            address = scheduler
        else:
            self.client = scheduler
            address = getattr(scheduler, "scheduler", None) and scheduler.scheduler.address
        self.address = str(address)
        self.name = f"dask ({self.address})"
        self.worker_versions = self._check_workers()

    def _check_workers(self) -> dict:
        try:
            versions = self.client.run(package_versions)
        except Exception as error:  # pragma: no cover - a scheduler without workers answers {}
            raise SettingsError(f"cannot query the Dask workers at {self.address}: {error}") from None
        if not versions:
            raise SettingsError(
                f"the Dask cluster at {self.address} has no workers",
                hint="start workers (dask worker tcp://HOST:PORT) and run again.",
            )
        wrong = {w: v.get("csi-survey") for w, v in versions.items() if v.get("csi-survey") != __version__}
        if wrong:
            listed = ", ".join(f"{w} ({v or 'not installed'})" for w, v in sorted(wrong.items())[:5])
            raise SettingsError(
                f"Dask workers run another csi-survey version than this one ({__version__}): {listed}",
                hint="install the same csi-survey version on every worker, so the results are identical to a local run.",
            )
        threaded = sorted(w for w, v in versions.items() if (v.get("blas_threads") or 1) > 1)
        if threaded and self._own:
            warnings.warn(
                f"{len(threaded)} Dask worker(s) run BLAS with several threads ({threaded[0]} …): their numbers may differ "
                "from a local run in the last digits; start the workers with a nanny (the default of `dask worker`) or "
                "with OPENBLAS_NUM_THREADS=1",
                CsiSurveyWarning, stacklevel=3,
            )
        return versions

    @property
    def slots(self) -> int:
        try:
            info = self.client.scheduler_info()
            return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        except Exception:  # pragma: no cover
            return 1

    def run(self, tasks: Sequence[Task], done: Callable[[Task, list[JobResult]], None], sources: dict[str, Any] | None = None) -> None:
        """Run ``tasks``; their jobs' data come from ``sources`` (source key → the wave's data, or the
        wave split by a segment column), sent to the cluster once each (scattered) — never in the
        task graph, whose tasks name their sources only."""
        from distributed import as_completed  # lazy: dask is optional

        run = uuid.uuid4().hex[:12]
        built = [tasks[k] for k in range(len(tasks))]
        names = list(sources or {})
        scattered = dict(zip(names, self.client.scatter([sources[n] for n in names], hash=False))) if names else {}
        futures = []
        try:
            for k, task in enumerate(built):
                needed = {job.source: scattered[job.source] for job in task.jobs if job.data is None and job.source in scattered}
                futures.append(self.client.submit(compute_task, task, needed, pure=False, key=f"csi-survey-batch-{run}-{k}"))
            index = {f.key: k for k, f in enumerate(futures)}
            for future in as_completed(futures):
                k = index[future.key]
                try:
                    results = future.result()
                except Exception as error:  # KilledWorker, a lost connection …
                    results = _failed_task(built[k], f"the Dask task failed ({type(error).__name__}: {one_line(str(error))})")
                done(built[k], results)
                future.release()
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            for future in scattered.values():
                future.release()

    def close(self) -> None:
        if self._own:
            self.client.close()


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that determine the numbers (and of Python), for the manifest."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("csi-survey", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "openpyxl", "xlsxwriter",
                 "threadpoolctl", "dask", "distributed", "sqlalchemy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["csi-survey"] = __version__
    try:
        from threadpoolctl import threadpool_info  # lazy: threadpoolctl is optional (it comes with scikit-learn)

        out["blas_threads"] = max((int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"), default=None)
    except Exception:  # pragma: no cover
        out["blas_threads"] = None
    return out


def make_backend(scheduler: Any, workers: int | None, n_tasks: int) -> Backend:
    """The backend of a batch: Dask with a scheduler, else local processes (``workers``, default all
    cores), else this process (one worker or at most one task)."""
    if scheduler is not None:
        if isinstance(scheduler, str) and not SCHEDULER_ADDRESS.match(scheduler):
            raise SettingsError(
                f"--scheduler expects a Dask scheduler address such as tcp://HOST:8786; got {scheduler!r}",
                hint="give the address the scheduler prints when it starts (dask scheduler).",
            )
        return DaskCluster(scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SettingsError(f"workers must be a positive number of processes; got {workers!r}")
    count = workers or os.cpu_count() or 1
    if count == 1 or n_tasks <= 1:
        return Backend()
    return ProcessPool(count)
