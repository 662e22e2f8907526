"""What a worker computes: a work unit (:class:`Task`) of wave × segment jobs, each estimated into
the files of its segment folder, with single-threaded BLAS so that the numbers do not depend on
the backend.

The classes are pickled to worker processes (and Dask workers): they stay importable at module
level.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import AnalysisSettings, analyze
from ..engine.threads import exit_with_parent, limit_process_threads, single_threaded_blas
from ..exceptions import CsiSurveyError, EstimationError
from ..ingest.columns import finite_number
from ..report.bundle import bundle_from_tables, write_bundle_files
from ..report.html import render_html
from ..report.run_report import clean_bundle
from ..report.xlsx_charts import write_report_workbook
from ..segments import ESTIMATED
from .folders import write_folder

__all__ = ["Settings", "Job", "Task", "JobResult", "single_threaded_blas", "compute_task", "one_line", "start_worker",
           "parent_alive", "InheritedFd"]


@dataclass(frozen=True)
class Settings:
    """The settings of every task of a batch (those that enter the task keys: :meth:`fingerprint`)."""

    resamples: int
    seed: int
    level: float
    ci: str
    scheme: str
    max_iter: int
    min_n: int
    lang: str | None
    reports: bool
    htmt: str = "signed"

    def analysis(self, seed: int) -> Any:
        """The :class:`~csi_survey.analysis.AnalysisSettings` of one segment (its own bootstrap seed)."""
        return AnalysisSettings(engine="pls", scheme=self.scheme, max_iter=self.max_iter, resamples=self.resamples, seed=seed,
                                level=self.level, ci=self.ci, n_jobs=1, segments=(), wave=None, min_n=self.min_n,
                                permutations=0, lang=self.lang, htmt=self.htmt)

    def fingerprint(self) -> dict:
        """The settings that determine a task's results (its seed aside), for the task key."""
        d = dataclasses.asdict(self)
        d.pop("reports")
        d.pop("seed")  # enters through each task's own seed
        if d["htmt"] == "signed":  # the default: keys (and caches) of batches from before the setting stay valid
            d.pop("htmt")
        return d


@dataclass(frozen=True)
class Job:
    """What a worker needs for one wave × segment."""

    key: str
    wave: str
    column: str
    value: str
    seed: int
    data: Any          # the segment's SurveyData; None: cut out of ``source`` by the worker
    folder: str = ""   # relative to the output folder
    source: str = ""   # the key of the wave's data among the sources of compute_task (Dask: sent once, not per task)


@dataclass(frozen=True)
class Task:
    """A work unit: the jobs one worker estimates in a row."""

    settings: Settings
    jobs: tuple[Job, ...]
    out: str | None = None  # the output folder, when the worker shares the file system: it writes the segment folders


@dataclass
class JobResult:
    """A finished segment: its status, its index rows and (when estimated) the bytes of its files."""

    key: str
    status: str
    index: list[list] | None = None        # construct, index, ci_lower, ci_upper, n, std_err
    files: dict[str, bytes] = field(default_factory=dict)   # the run folder: CSV tables, run.json, model.yaml
    reports: dict[str, bytes] = field(default_factory=dict)  # report.xlsx, report.html
    hashes: dict[str, str] | None = None   # set when the worker wrote the folder itself: SHA-256 of the run files
    warnings: list[str] = field(default_factory=list)
    deterministic: bool = True
    seconds: float = 0.0       # wall time of the estimation (estimate, bootstrap, tables)
    cpu_seconds: float = 0.0   # CPU time of the same (this thread: independent of the load of the machine)


#: One segment at a time per process: warnings are captured per segment with
#: ``warnings.catch_warnings``, which is process-global (the estimation is Python-bound anyway:
#: run Dask workers as several processes with one thread each).
_JOB_LOCK = threading.Lock()


def compute_task(task: Task, sources: dict[str, Any] | None = None) -> list[JobResult]:
    """Estimate every segment of a work unit (runs in a worker); never raises for a segment.

    A job without data is cut out of ``sources[job.source]``: the whole wave's SurveyData for
    the total, else the wave split by the segment column (:class:`csi_survey.batch.plan.WaveSplit`,
    whose ``segment(value)`` gives the segment's data). With ``task.out`` the worker writes each
    estimated segment's folder itself (atomically) and returns the hashes of its files instead of
    their bytes; in a local worker process only while the batch process that started it runs
    (:func:`parent_alive`), so that nothing is written once it has lost the output folder's lock."""
    with single_threaded_blas():
        out = []
        for job in task.jobs:
            with _JOB_LOCK:
                if job.data is None:
                    job = _with_data(job, sources)
                result = _compute_job(task.settings, job)
            if task.out is not None and result.status == ESTIMATED:
                if not parent_alive():
                    os._exit(1)  # the batch is gone: write nothing (the next run computes this segment again)
                try:
                    result.hashes = write_folder(Path(task.out) / job.folder, result.files, result.reports)
                    result.files, result.reports = {}, {}
                except Exception as error:  # e.g. disk full: the folder is left as it was
                    result = JobResult(job.key, f"failed: cannot write the segment folder: {one_line(str(error))}",
                                       deterministic=False)
            out.append(result)
        return out


def _with_data(job: Job, sources: dict[str, Any] | None) -> Job:
    source = (sources or {}).get(job.source)
    if source is None:
        return job  # reported by _compute_job as an internal error
    return dataclasses.replace(job, data=source if not job.column else source.segment(job.value))


def _compute_job(settings: Settings, job: Job) -> JobResult:
    start, cpu = time.perf_counter(), time.thread_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            analysis = analyze(job.data, settings.analysis(job.seed))
            meta = dict(analysis.meta)
            meta["batch"] = {"wave": job.wave, "segment_column": job.column, "segment": job.value, "task": job.key}
            index = analysis.tables["index"]
            rows = [[str(r["construct"]), finite_number(r["index"]), finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper")), int(r["n"]),
                     finite_number(r.get("std_err"))]
                    for r in index.to_dict("records")]
            files, reports = _render(meta, analysis.tables, job.data.questionnaire, settings.reports)
            result = JobResult(job.key, ESTIMATED, rows, files, reports)
        except EstimationError as error:
            result = JobResult(job.key, f"failed: {one_line(error.message)}")
        except CsiSurveyError as error:
            result = JobResult(job.key, f"failed: {one_line(str(error))}")
        except Exception as error:  # a bug or a resource problem: reported, retried on the next run
            result = JobResult(job.key, f"failed: internal error ({type(error).__name__}: {one_line(str(error))})",
                               deterministic=False)
    result.warnings = list(dict.fromkeys(one_line(str(w.message)) for w in caught))
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = time.thread_time() - cpu
    return result


def one_line(text: str) -> str:
    """``text`` on one line (runs of white space, line breaks included, as one space)."""
    return " ".join(str(text).split())


def _scratch() -> str | None:
    """A folder in memory for rendering files (Linux /dev/shm), else the default temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


class _Folder:
    """Where :func:`csi_survey.report.bundle.save_bundle` writes (the ``path(name)`` of an AtomicOutput)."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / name


def _render(meta: dict, tables: dict[str, pd.DataFrame], model: Any, reports: bool) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files of a segment folder as bytes: exactly what ``csi-survey run`` writes (the run
    bundle: CSV tables, run.json, model.yaml) and, on request (``reports: true``), report.xlsx,
    report.html and report.docx (the Word report: a segment's reports go to its managers, so
    the Word report comes with the other two). Text with control characters is cleaned first
    (:func:`csi_survey.report.run_report.clean_bundle`), as ``csi-survey run`` does."""
    bundle = clean_bundle(bundle_from_tables(meta, tables, model))
    with tempfile.TemporaryDirectory(prefix="csi-survey-batch-", dir=_scratch()) as tmp:
        folder = Path(tmp)
        names = write_bundle_files(bundle, _Folder(folder))
        files = {name: (folder / name).read_bytes() for name in names}
        out: dict[str, bytes] = {}
        if reports:
            write_report_workbook(folder / "report.xlsx", bundle)
            out["report.xlsx"] = (folder / "report.xlsx").read_bytes()
            out["report.html"] = render_html(bundle, lang=bundle.meta.get("lang")).encode("utf-8")
            from ..report.docx import render_docx  # lazy: python-docx and matplotlib load only for reports

            out["report.docx"] = render_docx(bundle, lang=bundle.meta.get("lang"))
    return files, out


# ====================================================================== local worker processes
# A worker of the local process pool must not outlive the batch process that started it, and must
# write nothing once that process is gone (the output folder's lock is then released and another
# batch may be writing there). The pool passes each worker (its ``initializer``, :func:`start_worker`):
#
# * the read end of a pipe whose write end only the batch process holds. The pipe becomes
#   readable (end of file) the moment the batch process dies — even by SIGKILL, which no clean-up
#   code sees — or closes it (the pool stops its workers so). A watchdog thread waits on it and
#   ends the worker at once (``os._exit``); :func:`parent_alive` asks it without waiting, before
#   each segment folder is written. The pipe, unlike a parent pid, cannot be mistaken for another
#   process, and the worker's parent is the forkserver, not the batch process.
#   :func:`csi_survey.engine.threads.exit_with_parent` watches the batch process's pid as well
#   (a second line of defence should another process hold the pipe's write end).
# * a duplicate of the output folder's lock file descriptor (:class:`InheritedFd`): the ``flock``
#   of the batch belongs to the open file, so the folder stays locked while any worker still runs,
#   and a worker's last write can never fall after the lock was released.
_PARENT_PIPE: Any = None
_HELD: list[int] = []


class InheritedFd:
    """A file descriptor handed to a worker process by multiprocessing (duplicated into it when the
    worker starts, by any start method); in the worker it unpickles to the descriptor number."""

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self) -> tuple:
        from multiprocessing.reduction import DupFd  # only while a worker process is being started

        return _detach, (DupFd(self.fd),)


def _detach(dup: Any) -> int:
    return dup.detach()


def start_worker(parent: Any, parent_pid: int, lock: int | None = None) -> None:
    """Initializer of a local worker process: one BLAS thread for its life, exit as soon as the
    batch process (``parent``: the read end of its pipe; ``parent_pid``) is gone, hold ``lock``
    (the output folder's lock, from :class:`InheritedFd`) until the worker ends."""
    global _PARENT_PIPE
    limit_process_threads()
    _PARENT_PIPE = parent
    if lock is not None:
        _HELD.append(lock)  # kept open (never closed) until the process ends
    if not parent_alive():
        os._exit(1)

    def watch() -> None:
        try:
            parent.poll(None)  # returns at end of file: the batch process died or closed its end
        except (OSError, EOFError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="csi-survey-batch-parent-watch", daemon=True).start()
    exit_with_parent(parent_pid)


def parent_alive() -> bool:
    """False in a local worker process whose batch process is gone (or has stopped its workers);
    True elsewhere (this process, Dask workers)."""
    if _PARENT_PIPE is None:
        return True
    try:
        return not _PARENT_PIPE.poll(0)
    except (OSError, EOFError):
        return False
