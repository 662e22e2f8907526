"""Running a batch: :func:`run_batch` reads the waves, plans the tasks, reuses the finished ones,
computes the others on a backend and writes the combined outputs (see :mod:`csi_survey.batch`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import CsiSurveyError
from ..ingest.columns import TOTAL_SEGMENT, natural_key, segment_order
from ..rollup import load_rollup, rollup_table
from ..schema import load_model
from ..segments import ESTIMATED
from .backends import Backend, DaskCluster, ProcessPool, make_backend
from .config import BatchConfig, config_error, load_config
from .folders import (
    CACHE_DIR,
    HISTORY_FILE,
    LOCK_FILE,
    MANIFEST_FILE,
    OVERVIEW_HTML,
    ROLLUP_FILE,
    OVERVIEW_XLSX,
    SEGMENTS_FILE,
    check_batch_folder,
    clear_folder,
    folder_names,
    locked_output,
    sweep_leftovers,
)
from .outputs import (
    build_manifest,
    history_table,
    load_record,
    redact_url,
    segments_table,
    task_record,
    write_combined,
    write_store,
    write_unit,
)
from .paired import paired_history
from .plan import Unit, Wave, pack, read_wave, segment_data, split_wave, unit_key, unit_seed
from .tasks import Job, JobResult, Settings, Task, one_line, single_threaded_blas

__all__ = ["BatchProgress", "BatchResult", "Progress", "run_batch"]

#: The ``progress`` callback of :func:`run_batch`.
Progress = Callable[["BatchProgress"], None]


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands (given to the ``progress`` callback after each segment).

    ``done = estimated + failed + skipped`` of ``total`` wave × segment tasks; ``reused`` of the
    estimated and failed ones came from an earlier run's records; ``wave``/``segment`` name the
    task just finished (None for the first call).
    """

    total: int
    done: int
    estimated: int
    failed: int
    skipped: int
    reused: int
    wave: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What a batch produced.

    ``history`` is ``index_history.csv``; ``segments`` is ``segments.csv`` (one row per wave ×
    segment). Counts are over wave × segment tasks: ``estimated + failed + skipped == total``;
    ``computed`` were estimated (or failed) in this run, ``reused`` came from the records of an
    earlier run. ``wave_errors`` maps each wave that could not be read to the reason;
    ``store_error`` says why the history store could not be written (None: written or none
    configured). ``ok`` is False when anything failed.
    """

    out: Path
    history: pd.DataFrame
    segments: pd.DataFrame
    total: int
    estimated: int
    failed: int
    skipped: int
    computed: int
    reused: int
    wave_errors: dict[str, str]
    store_url: str | None
    store_waves: tuple[str, ...]
    store_error: str | None
    manifest: dict
    written: tuple[Path, ...]
    seconds: float
    backend: str
    rollup: pd.DataFrame | None = None  #: ``rollup.csv`` (None without ``rollup:`` in the config)
    index_construct: str | None = None  #: the model's index construct (the overview's headline)

    @property
    def ok(self) -> bool:
        """No segment or wave failed and the store (if any) was written."""
        return self.failed == 0 and not self.wave_errors and self.store_error is None

    @property
    def failures(self) -> pd.DataFrame:
        """The wave × segment rows that failed (status ``failed: …``)."""
        return self.segments[self.segments["status"].str.startswith("failed")].reset_index(drop=True)

    def __repr__(self) -> str:
        return (f"<BatchResult {self.total} segments: {self.estimated} estimated, {self.failed} failed, "
                f"{self.skipped} skipped; {self.computed} computed, {self.reused} reused; out={self.out}>")


def run_batch(
    config: BatchConfig | str | os.PathLike,
    *,
    scheduler: Any = None,
    workers: int | None = None,
    reports: bool | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Run a batch: estimate every wave × segment, write the outputs and the history store.

    Parameters
    ----------
    config:
        A :class:`BatchConfig` (from :func:`load_config`) or the path of the config file.
    scheduler:
        A Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``; default the
        config's ``dask:``, else local processes.
    workers:
        Local worker processes (default: all cores; 1 runs everything in this process). Ignored
        with a Dask scheduler.
    reports:
        Write report.xlsx, report.html and report.docx into every segment folder (default: the config's ``reports``).
    progress:
        Called with a :class:`BatchProgress` once the work is planned and after every segment.
        An exception raised by it stops the batch (finished segments are kept and are not
        recomputed by the next run).

    Returns
    -------
    BatchResult
        Raises :class:`BatchConfigError` for an invalid config and
        :class:`~csi_survey.exceptions.SettingsError` for an unusable backend or a locked
        output folder; every problem of a wave or segment is reported in the result instead.
    """
    started = time.perf_counter()
    if not isinstance(config, BatchConfig):
        config = load_config(config)
    else:
        problems = config.problems()
        if problems:
            raise config_error(config.source, problems)
    if reports is not None:
        config = config.model_copy(update={"reports": bool(reports)})
    spec = load_model(config.model_path)
    if spec.has_extensions:
        raise config_error(config.source, [(("model",), f"the model {config.model!r} declares higher-order constructs or interactions, "
                                            "which the batch does not estimate yet: run such a model with `csi-survey run`")])
    if config.paired and spec.id_column is None:
        raise config_error(config.source, [(("paired",), "paired wave changes match respondents across waves by id, and the "
                                            f"model {config.model!r} declares no id_column: add it to the model, or set paired: false")])
    if config.paired and spec.design is not None and spec.design.cluster is not None:
        raise config_error(config.source, [(("paired",), "paired wave changes resample panel members, and the model declares a "
                                            f"cluster design (cluster: {spec.design.cluster}): set paired: false (the design "
                                            "bootstrap's independent tests are used)")])
    out = config.out_dir
    files = config.wave_files()
    labels = sorted(files, key=natural_key)
    settings = Settings(resamples=config.bootstrap.resamples, seed=config.bootstrap.seed, level=config.bootstrap.level,
                        ci=config.bootstrap.ci, scheme=config.scheme, max_iter=config.max_iter, min_n=config.min_n,
                        lang=config.lang, reports=config.reports, htmt=config.htmt)
    spec_hash = hashlib.sha256(spec.model_dump_json().encode("utf-8")).hexdigest()
    settings_hash = hashlib.sha256(json.dumps(settings.fingerprint(), sort_keys=True).encode()).hexdigest()

    # a folder holding files csi-survey did not write (the config's own folder, say) is refused before any work
    inputs = [config.model_path, config.base_dir / config.source if config.source else None,
              config.path(config.rollup.file) if config.rollup is not None else None, *(f for fs in files.values() for f in fs)]
    check_batch_folder(out, config.store_url, inputs)
    # the backend first: a wrong scheduler address or a missing dask fails before any work
    backend = make_backend(scheduler if scheduler is not None else config.dask, workers, 2)
    try:
        with locked_output(out) as lock:
            return _run(config, spec, out, labels, files, settings, spec_hash, settings_hash, backend, progress, started,
                        lock.fileno())
    finally:
        backend.close()


def _run(config: BatchConfig, spec: Any, out: Path, labels: list[str], files: dict[str, list[Path]], settings: Settings,
         spec_hash: str, settings_hash: str, backend: Backend, progress: Progress | None, started: float,
         lock_fd: int | None = None) -> BatchResult:
    """The batch, with the output folder locked (see :func:`run_batch`)."""
    sweep_leftovers(out)
    # ---- read the waves
    waves = [Wave(label, files[label]) for label in labels]
    for wave in waves:
        read_wave(wave, config, spec)
    rollup_spec = None
    if config.rollup is not None:  # checked before any work, so a bad weights file writes nothing
        column = config.rollup.segment
        values = sorted({str(v) for w in waves if not w.error and w.labels.get(column) is not None for v in w.labels[column]})
        rollup_spec = load_rollup(config.path(config.rollup.file), column, values)
    # ---- plan: one unit per wave × segment
    reserved = [CACHE_DIR, LOCK_FILE, HISTORY_FILE, SEGMENTS_FILE, MANIFEST_FILE, OVERVIEW_XLSX, OVERVIEW_HTML, ROLLUP_FILE]
    wave_dirs = folder_names(labels, reserved=reserved)
    units: list[Unit] = []
    for wave in waves:
        if wave.error:
            continue
        data = wave.data
        units.append(Unit(len(units), wave.label, "", TOTAL_SEGMENT, f"{wave_dirs[wave.label]}/{TOTAL_SEGMENT}", data.n_used,
                          unit_seed(settings.seed, wave.label, "", TOTAL_SEGMENT)))
        seg_labels: list[tuple[str, str]] = []
        positions: dict[tuple[str, str], tuple[np.ndarray, np.ndarray | None]] = {}
        for column in config.segments:
            split = split_wave(wave, column)  # the wave grouped by the column once: each segment a slice
            ordered = segment_order(list(split.bounds))
            seg_labels += [(column, v) for v in ordered]
            for v in ordered:
                positions[column, v] = (split.positions(v), split.raw_positions(v))
        names = folder_names(seg_labels, reserved=[TOTAL_SEGMENT])
        for column, value in seg_labels:
            pos, raw_pos = positions[column, value]
            units.append(Unit(len(units), wave.label, column, value,
                              f"{wave_dirs[wave.label]}/{names[column, value]}", len(pos),
                              unit_seed(settings.seed, wave.label, column, value), pos=pos, raw_pos=raw_pos))
    waves_by_label = {w.label: w for w in waves}
    for unit in units:
        wave = waves_by_label[unit.wave]
        unit.key = unit_key(wave, unit, spec_hash, settings_hash)
        if unit.n < settings.min_n:
            unit.status = f"insufficient sample (n = {unit.n} < {settings.min_n})"

    # ---- what is done already
    counts = {"estimated": 0, "failed": 0, "skipped": 0, "reused": 0, "computed": 0}
    records: dict[str, dict] = {}
    todo: list[Unit] = []
    for unit in units:
        if unit.status is not None:  # skipped: nothing to compute
            clear_folder(out / unit.folder)
            records[unit.key] = task_record(unit, JobResult(unit.key, unit.status), spec, {})
            counts["skipped"] += 1
            continue
        record = load_record(out, unit, config.reports)
        if record is not None:
            records[unit.key] = record
            counts["reused"] += 1
            counts["estimated" if record["status"] == ESTIMATED else "failed"] += 1
        else:
            todo.append(unit)
    total = len(units)

    def report(unit: Unit | None = None) -> None:
        if progress is not None:
            progress(BatchProgress(total, counts["estimated"] + counts["failed"] + counts["skipped"], counts["estimated"],
                                   counts["failed"], counts["skipped"], counts["reused"],
                                   None if unit is None else unit.wave, None if unit is None else unit.segment))

    # ---- compute what is left
    internal_failures: set[str] = set()
    if not todo:
        backend = Backend()
        backend.name = "none (every segment reused)"
    dask = isinstance(backend, DaskCluster)
    sources: dict[str, Any] = {}
    if dask:  # the waves go to the cluster once (scattered); a task names its wave and segment
        for u in todo:
            key = f"{u.wave}\x1f{u.column}"
            if key not in sources:
                wave = waves_by_label[u.wave]
                sources[key] = split_wave(wave, u.column) if u.column else wave.data

    def make_job(u: Unit) -> Job:
        """A unit's job; with local workers its data, cut out of the wave when its work unit is sent."""
        data = None if dask else segment_data(waves_by_label[u.wave], u)
        return Job(u.key, u.wave, u.column, u.value, u.seed, data, u.folder, source=f"{u.wave}\x1f{u.column}")

    slots = backend.slots if dask else getattr(backend, "workers", 1)
    # local workers write the segment folders themselves (in parallel); Dask workers may
    # not see the output folder, so their results are written here
    tasks = pack(todo, settings, slots, make_job, out=None if dask else str(out))
    if isinstance(backend, ProcessPool):
        if len(tasks) <= 1:
            backend = Backend()
        else:
            backend.lock_fd = lock_fd  # the workers hold the output folder's lock too, while they live
    by_key = {u.key: u for u in todo}
    report()

    def finished(task: Task, results: list[JobResult]) -> None:
        for result in results:
            unit = by_key[result.key]
            try:
                records[unit.key] = write_unit(out, unit, result, spec)
            except (CsiSurveyError, OSError) as error:  # e.g. disk full: this segment fails, is retried next time
                result = JobResult(unit.key, f"failed: cannot write the segment folder: {one_line(str(error))}",
                                   deterministic=False)
                records[unit.key] = task_record(unit, result, spec, {})
            counts["computed"] += 1
            counts["estimated" if result.status == ESTIMATED else "failed"] += 1
            if not result.deterministic:
                internal_failures.add(unit.wave)
            report(unit)

    # BLAS limited to one thread from this (main) thread too: OpenBLAS ignores a limit set
    # from another thread, and threads of an in-process Dask cluster run here
    with single_threaded_blas():
        if dask:
            backend.run(tasks, finished, sources)
        else:
            backend.run(tasks, finished)

    # ---- combined outputs
    wave_errors = {w.label: w.error for w in waves if w.error}
    ordered = []
    for wave in waves:
        if wave.error:  # one row for the wave, so the tables say what happened
            status = f"failed: cannot read the wave: {one_line(wave.error.splitlines()[0])}"
            fake = Unit(-1, wave.label, "", TOTAL_SEGMENT, f"{wave_dirs[wave.label]}/{TOTAL_SEGMENT}", 0,
                        unit_seed(settings.seed, wave.label, "", TOTAL_SEGMENT))
            ordered.append(task_record(fake, JobResult("", status), spec, {}))
        else:
            ordered += [records[u.key] for u in units if u.wave == wave.label]
    paired, paired_summary = None, None
    if config.paired and settings.resamples:
        with single_threaded_blas():
            paired, paired_summary = paired_history(waves, units, records, spec, settings)
    history = history_table(ordered, labels, level=config.bootstrap.level, correction=config.correction, paired=paired)
    rollup = rollup_table(rollup_spec, history, labels, level=config.bootstrap.level) if rollup_spec is not None else None
    segments = segments_table(ordered)

    # ---- the history store
    store_url = config.store_url
    store_waves: list[str] = []
    store_error = None
    if store_url is not None:
        good = [w.label for w in waves if not w.error and w.label not in internal_failures]
        store_waves, store_error = write_store(store_url, history, good, rollup)
        held = [w.label for w in waves if not w.error and w.label in internal_failures]
        if held and store_error is None:  # keep the wave's earlier rows rather than rows of a failed run
            store_error = (f"wave(s) {', '.join(held)} not written: a segment failed unexpectedly (see segments.csv); "
                           "run the batch again")

    counts["failed_waves"] = len(wave_errors)
    manifest = build_manifest(config, spec, settings, waves, units, records, counts, backend, store_url, store_waves,
                              store_error, time.perf_counter() - started)
    if paired_summary is not None:
        manifest["paired_changes"] = paired_summary
    written = write_combined(out, spec, config, history, segments, manifest, labels, counts, rollup,
                             folders=[u.folder for u in units], waves_dirs=list(wave_dirs.values()))
    return BatchResult(
    out=out, history=history, segments=segments, total=total, estimated=counts["estimated"], failed=counts["failed"],
    skipped=counts["skipped"], computed=counts["computed"], reused=counts["reused"], wave_errors=wave_errors,
    store_url=redact_url(store_url), store_waves=tuple(store_waves), store_error=store_error, manifest=manifest,
    written=tuple(written), seconds=time.perf_counter() - started, backend=backend.name, rollup=rollup,
    index_construct=spec.index or spec.construct_ids[-1],
    )
