"""What a batch writes: the record of each finished task, the combined tables, the history store,
the manifest and the overview.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import platform
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..changes import index_changes
from ..exceptions import CsiSurveyError
from ..i18n import report_language
from ..ingest.columns import TOTAL_SEGMENT
from ..report.atomic import AtomicOutput
from ..report.bundle import json_safe
from ..report.csv import write_csv
from ..report.overview import overview_facts, overview_html, write_overview_workbook
from ..report.safe import clean_frame, clean_text, clean_value
from ..report.run_report import rerender
from ..segments import ESTIMATED
from .backends import Backend, package_versions
from .config import BatchConfig
from .folders import (
    CACHE_DIR,
    HISTORY_FILE,
    MANIFEST_FILE,
    OVERVIEW_HTML,
    ROLLUP_FILE,
    OVERVIEW_XLSX,
    REPORT_FILES,
    SEGMENTS_FILE,
    atomic_write,
    batch_own,
    clear_folder,
    write_folder,
)
from .plan import CACHE_FORMAT, Unit, Wave, relative_path, sha256_file
from .store import CHANGE_COLUMNS as CHANGE_STORE_COLUMNS
from .store import HistoryStore
from .tasks import JobResult, Settings, one_line

__all__ = [
    "HISTORY_COLUMNS",
    "SEGMENTS_COLUMNS",
    "task_record",
    "write_unit",
    "load_record",
    "history_table",
    "segments_table",
    "write_store",
    "redact_url",
    "build_manifest",
    "write_combined",
]

#: Columns of ``index_history.csv`` and of the history store.
HISTORY_COLUMNS = ["wave", "segment", "construct", "index", "std_err", "ci_lower", "ci_upper", "n", "status",
                   "previous_wave", "change", "change_ci_lower", "change_ci_upper", "change_p_value", "change_p_adjusted",
                   "change_significant", "change_pairing"]
#: The columns of the history store's table (:data:`csi_survey.batch.store.COLUMNS`).
_STORE_HISTORY = ["wave", "segment", "construct", "index", "ci_lower", "ci_upper", "n", "status"]
#: Columns of ``segments.csv``.
SEGMENTS_COLUMNS = ["wave", "segment", "segment_column", "segment_value", "folder", "n", "status", "seed", "task", "warnings"]


# ====================================================================== task records
def _json_bytes(value: Any) -> bytes:
    return (json.dumps(json_safe(value), ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _history_rows(model: Any, unit: Unit, rows: list[list] | None) -> list[list]:
    """construct, index, ci_lower, ci_upper, n, std_err for every construct of the model (missing: None, n of the segment)."""
    by = {r[0]: r for r in rows or []}
    return [by.get(c, [c, None, None, None, unit.n, None]) for c in model.construct_ids]


def task_record(unit: Unit, result: JobResult, model: Any, files: dict[str, str]) -> dict:
    """The record of a finished task (``.cache/<task>.json``): status, index rows and the hashes of its files."""
    return {
        "format": CACHE_FORMAT, "task": unit.key, "wave": unit.wave, "segment_column": unit.column, "segment": unit.value,
        "folder": unit.folder, "n": unit.n, "seed": unit.seed, "status": result.status,
        "history": _history_rows(model, unit, result.index), "files": files, "warnings": result.warnings,
        "seconds": round(result.seconds, 4),
        "cpu_seconds": round(result.cpu_seconds, 4),
    }


def write_unit(out: Path, unit: Unit, result: JobResult, model: Any) -> dict:
    """Write a finished segment's folder (atomically, unless the worker did) and then its record."""
    folder = out / unit.folder
    hashes: dict[str, str] = {}
    if result.status == ESTIMATED:
        hashes = result.hashes if result.hashes is not None else write_folder(folder, result.files, result.reports)
    else:
        clear_folder(folder)
    record = task_record(unit, result, model, hashes)
    if result.deterministic:
        atomic_write(out / CACHE_DIR / f"{unit.key}.json", _json_bytes(record))
    return record


def load_record(out: Path, unit: Unit, reports: bool) -> dict | None:
    """The record of an earlier run for this task, if its folder is still intact."""
    path = out / CACHE_DIR / f"{unit.key}.json"
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("format") != CACHE_FORMAT or record.get("task") != unit.key:
        return None
    if record.get("folder") != unit.folder:
        return None
    folder = out / unit.folder
    for name, digest in (record.get("files") or {}).items():
        p = folder / name
        try:
            if not p.is_file() or sha256_file(p) != digest:
                return None
        except OSError:
            return None
    if record.get("status") == ESTIMATED and reports and not all((folder / n).is_file() for n in REPORT_FILES):
        try:
            rerender(folder, docx=True)  # the reports of `reports: true`: report.xlsx, report.html and report.docx
        except CsiSurveyError:
            return None
    return record


# ====================================================================== combined outputs
def history_table(records: list[dict], waves: list[str], *, level: float = 0.95, correction: str = "holm",
                  paired: pd.DataFrame | None = None) -> pd.DataFrame:
    """``index_history.csv`` from the task records (:data:`HISTORY_COLUMNS`): every index with its
    standard error and interval, and its change since the segment's previous estimated wave with
    the interval, p value, adjusted p value and significance flag of
    :func:`csi_survey.changes.index_changes` (``waves`` in time order); ``paired``: the paired
    bootstrap's rows (:func:`csi_survey.batch.paired.paired_history`) replacing the independent test."""
    rows = [[r["wave"], TOTAL_SEGMENT if not r["segment_column"] else f"{r['segment_column']}={r['segment']}", *h, r["status"]]
            for r in records for h in r["history"]]
    table = pd.DataFrame(rows, columns=["wave", "segment", "construct", "index", "ci_lower", "ci_upper", "n", "std_err", "status"])
    for c in ("index", "ci_lower", "ci_upper", "std_err"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(np.float64)
    table["n"] = table["n"].astype(np.int64)
    for c in ("wave", "segment", "construct", "status"):
        table[c] = table[c].astype(object)
    changes = index_changes(table, waves, level=level, correction=correction, estimated=ESTIMATED, paired=paired)
    changes = changes.rename(columns={c: f"change_{c}" for c in ("std_err", "ci_lower", "ci_upper", "p_value", "p_adjusted", "significant",
                                                                 "pairing")})
    table = table.merge(changes.drop(columns=["change_std_err"]), on=["wave", "segment", "construct"], how="left")
    table["change_significant"] = table["change_significant"].astype("boolean").fillna(False).astype(bool)
    return table[HISTORY_COLUMNS]


def segments_table(records: list[dict]) -> pd.DataFrame:
    """``segments.csv`` from the task records (:data:`SEGMENTS_COLUMNS`)."""
    rows = [[r["wave"], TOTAL_SEGMENT if not r["segment_column"] else f"{r['segment_column']}={r['segment']}", r["segment_column"],
             r["segment"], r["folder"], int(r["n"]), r["status"], r["seed"], r["task"], " | ".join(r.get("warnings") or [])]
            for r in records]
    table = pd.DataFrame(rows, columns=SEGMENTS_COLUMNS)
    table["n"] = table["n"].astype(np.int64)
    table["seed"] = table["seed"].astype(np.int64)
    return table


def redact_url(url: str | None) -> str | None:
    """The URL with its password masked (as the store prints it)."""
    if url is None:
        return None
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def write_store(url: str, history: pd.DataFrame, waves: list[str], rollup: pd.DataFrame | None = None) -> tuple[list[str], str | None]:
    """Write each wave's rows to the history store (one transaction per wave); never raises.

    The roll-up levels (``rollup``) go to the store's roll-up table with the wave, in the same transaction."""
    written: list[str] = []
    store = None
    try:
        store = HistoryStore(url)
        for wave in waves:
            rows = history[history["wave"] == wave].reset_index(drop=True)
            store.write_wave(wave, rows[_STORE_HISTORY], changes=rows[rows["change"].notna()][list(CHANGE_STORE_COLUMNS)],
                             rollup=None if rollup is None else rollup[rollup["wave"] == wave])
            written.append(wave)
    except Exception as error:  # a database problem must not lose the batch's other outputs
        return written, str(error) if isinstance(error, CsiSurveyError) else f"{type(error).__name__}: {one_line(str(error))}"
    finally:
        if store is not None:
            try:
                store.close()
            except Exception:
                pass
    return written, None


def build_manifest(config: BatchConfig, spec: Any, settings: Settings, waves: list[Wave], units: list[Unit], records: dict,
                   counts: dict, backend: Backend, store_url: str | None, store_waves: list[str], store_error: str | None,
                   seconds: float) -> dict:
    """``manifest.json``: versions, settings, seeds, the hash of every input file and of every task."""
    base = config.base_dir
    wave_info = {}
    for w in waves:
        files = []
        for k, f in enumerate(w.files):
            entry = {"path": relative_path(f, base), "sha256": sha256_file(f), "bytes": f.stat().st_size}
            if k < len(w.file_rows):
                entry.update(w.file_rows[k])
            files.append(entry)
        info: dict[str, Any] = {"files": files}
        if w.error:
            info["error"] = w.error
        else:
            info.update({"n_read": w.data.n_read, "n_used": w.data.n_used, "n_excluded": w.data.n_excluded})
        wave_info[w.label] = info
    config_path = base / config.source if config.source else None
    return {
        "tool": "csi-survey batch",
        "format": CACHE_FORMAT,
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "versions": package_versions(),
        "platform": platform.platform(),
        "backend": backend.name,
        "worker_versions": getattr(backend, "worker_versions", None),
        "config": {
            "path": config.source, "sha256": sha256_file(config_path) if config_path and config_path.is_file() else None,
            "settings": {**config.model_dump(mode="json"), "store": redact_url(config.store)},
        },
        "model": {"path": relative_path(config.model_path, base), "sha256": sha256_file(config.model_path),
                  "spec_sha256": hashlib.sha256(spec.model_dump_json().encode("utf-8")).hexdigest(), "name": spec.name},
        "settings": {**dataclasses.asdict(settings), "engine": "pls", "permutations": 0},
        "seed": settings.seed,
        "seed_derivation": "SeedSequence([seed, *first 4 little-endian uint32 words of sha256('csi-survey batch\\x1fWAVE\\x1fCOLUMN\\x1fVALUE')]) "
                           "-> 2 uint32 -> 64-bit integer mod 2**63 (column '' and value '(total)' for the whole wave)",
        "waves": wave_info,
        "counts": {"segments": len(units), **counts},
        "store": {"url": redact_url(store_url), "waves_written": store_waves, "error": store_error} if store_url else None,
        "tasks": [{"wave": u.wave, "segment": u.segment, "folder": u.folder, "n": u.n, "seed": u.seed, "task": u.key,
                   "status": records[u.key]["status"]} for u in units],
    }


def write_combined(out: Path, spec: Any, config: BatchConfig, history: pd.DataFrame, segments: pd.DataFrame, manifest: dict,
                   waves: list[str], counts: dict, rollup: pd.DataFrame | None = None, *, folders: list[str] = (),
                   waves_dirs: list[str] = ()) -> list[Path]:
    """Write the combined outputs atomically: index_history.csv, segments.csv, overview.xlsx,
    overview.html, manifest.json and, with a roll-up, rollup.csv; return their paths.

    The folder's manifest lists them and this run's segment ``folders``: the files and segment
    folders of an earlier run that this one did not write (a rollup.csv of a run with roll-up, the
    folders of a wave or segment no longer in the batch) are removed, nothing else
    (:class:`~csi_survey.report.atomic.AtomicOutput`). ``waves_dirs``: the wave folders of this run
    (the batch's even when a segment folder in them could not be written). Control characters in the
    segment names are replaced (:func:`~csi_survey.report.safe.clean_text`)."""
    history, segments, waves = clean_frame(history), clean_frame(segments), [clean_text(w) for w in waves]
    if rollup is not None:
        rollup = clean_frame(rollup)
    lang = report_language(spec, config.lang)
    waves_in = [w for w in waves if w in set(history["wave"])]
    facts = overview_facts(spec, waves, segments, counts, resamples=config.bootstrap.resamples, seed=config.bootstrap.seed,
                           lang=lang)
    own = [*batch_own(out, config.store_url), *waves_dirs]
    with AtomicOutput(out, own=own, folders=folders, verify=False) as staged:
        write_csv(history, staged.path(HISTORY_FILE))
        write_csv(segments, staged.path(SEGMENTS_FILE))
        if rollup is not None:
            write_csv(rollup, staged.path(ROLLUP_FILE))
        write_overview_workbook(staged.path(OVERVIEW_XLSX), spec, history, segments, waves_in, facts, rollup, lang=lang)
        html = overview_html(spec, history, segments, waves_in, facts, lang, config.bootstrap.level, config.correction, rollup)
        staged.path(OVERVIEW_HTML).write_text(clean_text(html), encoding="utf-8")
        staged.path(MANIFEST_FILE).write_bytes(_json_bytes(clean_value(manifest)))
    names = [HISTORY_FILE, SEGMENTS_FILE, OVERVIEW_XLSX, OVERVIEW_HTML, MANIFEST_FILE]
    if rollup is not None:
        names.append(ROLLUP_FILE)
    return [out / n for n in names]
