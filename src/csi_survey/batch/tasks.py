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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import AnalysisSettings, analyze
from ..exceptions import CsiSurveyError, EstimationError
from ..ingest.columns import finite_number
from ..report.bundle import bundle_from_tables, write_bundle_files
from ..report.html import render_html
from ..report.xlsx_charts import write_report_workbook
from ..segments import ESTIMATED
from .folders import write_folder

__all__ = ["Settings", "Job", "Task", "JobResult", "single_threaded_blas", "compute_task", "one_line"]


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

    def analysis(self, seed: int) -> Any:
        """The :class:`~csi_survey.analysis.AnalysisSettings` of one segment (its own bootstrap seed)."""
        return AnalysisSettings(engine="pls", scheme=self.scheme, max_iter=self.max_iter, resamples=self.resamples, seed=seed,
                                level=self.level, ci=self.ci, n_jobs=1, segments=(), wave=None, min_n=self.min_n,
                                permutations=0, lang=self.lang)

    def fingerprint(self) -> dict:
        """The settings that determine a task's results (its seed aside), for the task key."""
        d = dataclasses.asdict(self)
        d.pop("reports")
        d.pop("seed")  # enters through each task's own seed
        return d


@dataclass(frozen=True)
class Job:
    """What a worker needs for one wave × segment."""

    key: str
    wave: str
    column: str
    value: str
    seed: int
    data: Any
    folder: str = ""  # relative to the output folder


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
    seconds: float = 0.0


_BLAS_LOCK = threading.Lock()
_BLAS_DEPTH = 0
_BLAS_LIMITER: Any = None


@contextmanager
def single_threaded_blas():
    """BLAS/OpenMP limited to one thread (shared by concurrent threads of one process): the
    numbers then do not depend on how many threads the linear algebra would otherwise use (they
    differ in the last digits otherwise), and worker processes do not oversubscribe the cores.

    OpenBLAS only honours a limit set from the thread that started it (the main thread): tasks
    of a process pool run there; Dask worker processes started by a nanny (the default) have
    ``OPENBLAS_NUM_THREADS=1`` already, and the workers of an in-process cluster run in this
    process, limited by :func:`run_batch` from the main thread."""
    global _BLAS_DEPTH, _BLAS_LIMITER
    try:
        from threadpoolctl import threadpool_limits  # lazy: threadpoolctl is optional (it comes with scikit-learn)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_DEPTH == 0:
            _BLAS_LIMITER = threadpool_limits(limits=1)
        _BLAS_DEPTH += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0 and _BLAS_LIMITER is not None:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


#: One segment at a time per process: warnings are captured per segment with
#: ``warnings.catch_warnings``, which is process-global (the estimation is Python-bound anyway:
#: run Dask workers as several processes with one thread each).
_JOB_LOCK = threading.Lock()


def compute_task(task: Task) -> list[JobResult]:
    """Estimate every segment of a work unit (runs in a worker); never raises for a segment.

    With ``task.out`` the worker writes each estimated segment's folder itself (atomically) and
    returns the hashes of its files instead of their bytes."""
    with single_threaded_blas():
        out = []
        for job in task.jobs:
            with _JOB_LOCK:
                result = _compute_job(task.settings, job)
            if task.out is not None and result.status == ESTIMATED:
                try:
                    result.hashes = write_folder(Path(task.out) / job.folder, result.files, result.reports)
                    result.files, result.reports = {}, {}
                except Exception as error:  # e.g. disk full: the folder is left as it was
                    result = JobResult(job.key, f"failed: cannot write the segment folder: {one_line(str(error))}",
                                       deterministic=False)
            out.append(result)
        return out


def _compute_job(settings: Settings, job: Job) -> JobResult:
    start = time.perf_counter()
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
    bundle: CSV tables, run.json, model.yaml) and, on request, report.xlsx and report.html."""
    bundle = bundle_from_tables(meta, tables, model)
    with tempfile.TemporaryDirectory(prefix="csi-survey-batch-", dir=_scratch()) as tmp:
        folder = Path(tmp)
        names = write_bundle_files(bundle, _Folder(folder))
        files = {name: (folder / name).read_bytes() for name in names}
        out: dict[str, bytes] = {}
        if reports:
            write_report_workbook(folder / "report.xlsx", bundle)
            out["report.xlsx"] = (folder / "report.xlsx").read_bytes()
            out["report.html"] = render_html(bundle, lang=bundle.meta.get("lang")).encode("utf-8")
    return files, out
