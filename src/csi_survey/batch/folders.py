"""The output folder of a batch: the names of its files and folders, and how they are written.

Folder names (:func:`folder_name`, :func:`folder_names`) are valid on Windows, macOS and Linux and
readable (see :mod:`csi_survey.batch`). A segment folder is written atomically
(:func:`write_folder`), cache records through a temporary file (:func:`atomic_write`); a lock file
stops two batches from writing into the same folder (:func:`locked_output`), and
:func:`sweep_leftovers` removes what a killed run left behind.

Every folder the batch writes (each segment folder and the output folder itself) has the manifest
of :mod:`csi_survey.report.atomic`: :func:`check_batch_folder` refuses an output folder holding
files csi-survey did not write (or the batch's own input files) before any work — files the
manifests list are the batch's by name, so that a damaged output is rebuilt; a segment folder
holds exactly its run's files; :func:`clear_folder` removes only what a manifest lists; the
combined outputs' manifest lists the segment folders, so that the next run removes the folders of
segments and waves it no longer has.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import SettingsError
from ..report.atomic import STAGING_PREFIX, AtomicOutput, check_output_folder, read_manifest, remove_output, write_bytes_atomic

__all__ = [
    "CACHE_DIR",
    "LOCK_FILE",
    "HISTORY_FILE",
    "SEGMENTS_FILE",
    "MANIFEST_FILE",
    "OVERVIEW_XLSX",
    "OVERVIEW_HTML",
    "ROLLUP_FILE",
    "REPORT_FILES",
    "folder_name",
    "folder_names",
    "atomic_write",
    "clear_folder",
    "write_folder",
    "batch_own",
    "check_batch_folder",
    "sweep_leftovers",
    "locked_output",
]

#: The task records of finished segments (one JSON file per task).
CACHE_DIR = ".cache"
#: The lock file of a running batch.
LOCK_FILE = ".lock"
#: ``index_history.csv``: every index of every wave × segment.
HISTORY_FILE = "index_history.csv"
#: ``segments.csv``: one row per wave × segment.
SEGMENTS_FILE = "segments.csv"
#: ``manifest.json``: versions, settings, seeds and hashes.
MANIFEST_FILE = "manifest.json"
#: The overview workbook and page.
OVERVIEW_XLSX = "overview.xlsx"
OVERVIEW_HTML = "overview.html"
#: ``rollup.csv``: the roll-up levels per wave (with ``rollup:`` in the config).
ROLLUP_FILE = "rollup.csv"
#: The reports of a segment folder (written with ``reports: true``).
REPORT_FILES = ("report.xlsx", "report.html", "report.docx")
_NAME_LIMIT = 120  # bytes of a folder name before it is cut and hashed


# ====================================================================== folder names
_UNSAFE = set('/\\:*?"<>|%=')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{k}" for k in range(10)), *(f"LPT{k}" for k in range(10)),
             "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}


def _pct(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8", errors="surrogatepass"))


def _encode(text: str) -> str:
    chars = [_pct(ch) if ch in _UNSAFE or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
             for ch in str(text)]
    if chars and chars[0] in (".", " "):
        chars[0] = _pct(chars[0])
    if chars and chars[-1] in (".", " "):
        chars[-1] = _pct(chars[-1])
    return "".join(chars) or "%00"


def _finish(name: str, original: str) -> str:
    base = name.split(".")[0].rstrip(" ").upper()
    if base in _RESERVED:
        name = _pct(name[0]) + name[1:]
    if len(name.encode("utf-8")) > _NAME_LIMIT:
        cut = name
        while len(cut.encode("utf-8")) > _NAME_LIMIT - 9:
            cut = cut[:-1]
        cut = re.sub(r"%[0-9A-F]?$", "", cut)  # never split a %XX
        name = f"{cut}~{_short_hash(original)}"
    return name


def folder_name(text: str, value: str | None = None) -> str:
    """The folder name of a wave (``folder_name("2026-Q1")``) or of a segment
    (``folder_name("company", "Kite/Line")`` → ``"company=Kite%2FLine"``), valid on Windows, macOS
    and Linux (see :mod:`csi_survey.batch`). Readable (letters of every script are kept) and
    reversible (percent-decoding) except for names cut at 120 bytes."""
    if value is None:
        return _finish(_encode(text), str(text))
    return _finish(f"{_encode(text)}={_encode(value)}", f"{text}={value}")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:8]


def folder_names(keys: Sequence[str | tuple[str, str]], reserved: Sequence[str] = ()) -> dict[Any, str]:
    """:func:`folder_name` of each key (a wave label or a ``(column, value)`` pair), with names that
    would be the same on a case-insensitive file system (or equal a ``reserved`` name) made distinct
    by a ``~hash`` suffix of the full text."""
    names = {k: folder_name(*k) if isinstance(k, tuple) else folder_name(k) for k in dict.fromkeys(keys)}
    taken = {unicodedata.normalize("NFC", r).casefold() for r in reserved}
    groups: dict[str, list[Any]] = {}
    for k, n in names.items():
        groups.setdefault(unicodedata.normalize("NFC", n).casefold(), []).append(k)
    for key, members in groups.items():
        if len(members) > 1 or key in taken:
            for k in members:
                names[k] = f"{names[k]}~{_short_hash('='.join(k) if isinstance(k, tuple) else k)}"
    return names


# ====================================================================== writing
#: Cache records are written as the manifest is: one implementation, :func:`csi_survey.report.atomic.write_bytes_atomic`.
atomic_write = write_bytes_atomic


def clear_folder(folder: Path, keep: Sequence[str] = ()) -> None:
    """Remove the files of an earlier result from a segment folder: only those its manifest lists
    (or, for a folder of an earlier version, its run.json), never anything else; then the folder
    if it is empty. ``keep`` is not used any more (kept for callers)."""
    remove_output(folder, verify=False)


def write_folder(folder: Path, files: dict[str, bytes], reports: dict[str, bytes]) -> dict[str, str]:
    """Write the files of an estimated segment atomically (replacing an earlier result's files, whose
    other files are removed): ``files`` (the run folder) and ``reports``; returns the SHA-256 of each
    of ``files``. Raises :class:`~csi_survey.exceptions.ReportError` when the folder holds files
    csi-survey did not write (a file the manifest lists is the batch's even when changed: it is rebuilt)."""
    with AtomicOutput(folder, verify=False) as staged:
        for name, content in {**files, **reports}.items():
            staged.path(name).write_bytes(content)
    return {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}


#: The combined outputs' names (a batch folder of an earlier version, without a manifest, holds them).
_COMBINED = (HISTORY_FILE, SEGMENTS_FILE, MANIFEST_FILE, OVERVIEW_XLSX, OVERVIEW_HTML, ROLLUP_FILE)
_SQLITE = re.compile(r"^sqlite(?:\+\w+)?:///([^?]+)")


def batch_own(out: Path, store_url: str | None = None) -> list[str]:
    """Names in the output folder that are the batch's without being in a manifest: the task records
    and the lock, the SQLite history store when it lies in the folder (with its journal files), and
    the combined outputs of a batch of an earlier version (recognised by its ``manifest.json``)."""
    own = [CACHE_DIR, LOCK_FILE]
    match = _SQLITE.match(store_url or "")
    if match:
        try:
            store = Path(match.group(1)).resolve()
            if store.parent == out.resolve():
                own += [store.name, *(store.name + tail for tail in ("-journal", "-wal", "-shm"))]
        except (OSError, RuntimeError):
            pass
    if read_manifest(out) is None:
        try:
            legacy = json.loads((out / MANIFEST_FILE).read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            legacy = None
        if isinstance(legacy, dict) and legacy.get("tool") == "csi-survey batch":
            own += list(_COMBINED)
    return own


def check_batch_folder(out: Path, store_url: str | None = None, inputs: Sequence[Path | None] = ()) -> None:
    """Refuse (:class:`~csi_survey.exceptions.ReportError`) a batch output folder that holds files
    csi-survey did not write, or one of the batch's input files (config, model, waves, roll-up
    weights); a new or empty folder, or one holding a batch's outputs (finished or interrupted), passes."""
    check_output_folder(out, inputs=inputs, own=batch_own(out, store_url), verify=False)


def sweep_leftovers(out: Path) -> None:
    """Remove what a killed run may have left: staging folders and temporary files (ours only)."""
    if not out.is_dir():
        return
    for root, dirs, files in os.walk(out):
        for d in list(dirs):
            if d.startswith(STAGING_PREFIX):
                shutil.rmtree(Path(root) / d, ignore_errors=True)
                dirs.remove(d)
        for f in files:
            if f.startswith(".") and f.endswith(".tmp"):
                try:
                    os.unlink(Path(root) / f)
                except OSError:
                    pass


@contextmanager
def locked_output(out: Path):
    """Hold the lock file of the output folder (created if missing) while the block runs (it gets
    the open lock file); raise :class:`~csi_survey.exceptions.SettingsError` when another batch
    holds it. The lock (``flock``) belongs to the open file: a worker process given a duplicate of
    its descriptor keeps the folder locked until it ends too."""
    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / LOCK_FILE, "a+")
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise SettingsError(
                    f"another csi-survey batch is writing into {out}",
                    hint="wait until it has finished (or stop it), then run again: the batch resumes where it stopped.",
                ) from None
        yield handle
    finally:
        handle.close()
