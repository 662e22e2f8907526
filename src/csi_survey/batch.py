"""The quarterly batch job: every wave × segment estimated, kept in a history, resumable, on any backend.

::

    >>> from csi_survey.batch import load_config, run_batch                     # doctest: +SKIP
    >>> result = run_batch(load_config("examples/batch/config.yaml"))          # doctest: +SKIP
    >>> result.history                                                         # doctest: +SKIP

``csi-survey batch CONFIG.yaml`` is the command-line front end (:mod:`csi_survey.cli`).

Config
------
A YAML file; paths are relative to the folder of the config file. Every problem is reported at
once (:class:`BatchConfigError`, with file and line)::

    model: model.yaml                  # the questionnaire spec (required)
    waves:                             # wave label → file, glob pattern, or a list of them (required)
      2026-Q1: data/q1.csv
      2026-Q2: data/q2.xlsx
      2026-Q3: data/q3_*.csv           # several files: concatenated (they must have the same columns)
    segments: [company, region]        # segment columns; every value of each column is one segment
    min_n: 50                          # segments with fewer respondents are skipped (status says why)
    bootstrap: {resamples: 200, seed: 1, level: 0.95, ci: percentile}
    out: out                           # output folder
    store: sqlite:///out/history.db    # history store: SQLAlchemy URL (relative SQLite path: from the config's folder)
    dask: tcp://scheduler:8786         # optional: run on a Dask cluster (same as --scheduler)
    on_invalid: error                  # error | exclude | flag (as `csi-survey run --on-invalid`)
    missing: mean                      # mean | listwise | model
    reports: false                     # true: report.xlsx and report.html in every segment folder
    # optional: scheme (path), max_iter (300), lang (en|zh), sheet (workbooks: name or number from 1),
    #           encoding (CSV), format (auto)

Waves are processed in natural order of their labels ("2026-Q2" before "2026-Q10"). Rows of
concatenated files are numbered as if the files were stacked under one header: the first file keeps
its row numbers, the next continues after the previous file's last row (``manifest.json`` lists
each file's first and last row), so every row number in ``excluded.csv``/``flags.csv`` is unique.
Each wave is read once (``read_table`` → ``prepare`` → the spec's survey weights, exactly as
:func:`~csi_survey.read_responses`): missing-value replacement, quality rules and raking use the
whole wave; each segment is then that wave's respondents of the segment.

Outputs (``out``)
-----------------
* ``<wave>/(total)/`` and ``<wave>/<column>=<value>/``: for each wave the whole sample and each
  segment, the tables of ``csi-survey run`` (``index.csv``, ``paths.csv``, …, ``run.json``,
  ``model.yaml``: a run folder that ``csi-survey report DIR`` renders), with ``report.xlsx`` and
  ``report.html`` only when ``reports: true`` (or ``--reports``). ``excluded.csv``, ``flags.csv``,
  ``missing.csv`` and ``data_quality.csv`` of a segment folder count the segment's own rows.
* ``index_history.csv``: one tidy table ``wave, segment, construct, index, ci_lower, ci_upper, n,
  status`` (``segment`` is ``"column=value"`` or ``"(total)"``), also written to the history store.
* ``segments.csv``: one row per wave × segment: folder, n, status, seed, task hash, warnings.
* ``overview.xlsx`` and ``overview.html``: segments ranked by the index construct in each wave
  (per segment column) with the change against the previous wave, and each segment's trend.
* ``manifest.json``: versions, settings, seeds, the hash of every input file and of every task.
* ``.cache/``: one small JSON record per finished task (delete it to force a full recomputation).

Folder names
------------
``<column>=<value>`` and wave names are written as they are (Chinese and other letters included)
except: the characters ``/ \\ : * ? " < > | % =``, control and invisible format characters, a leading
``.`` or space and a trailing ``.`` or space are percent-encoded as UTF-8 (``Kite/Line`` →
``Kite%2FLine``, ``a=b`` → ``a%3Db``); Windows device names (``CON``, ``NUL``, ``COM1`` …) get their
first letter encoded; names longer than 120 bytes are cut and get ``~`` and 8 hex digits of a hash
of the full name; names that would be the same on a case-insensitive file system (``ACME`` and
``Acme``) both get the ``~hash`` suffix. The total is ``(total)`` (a segment folder always holds
``=``). ``segments.csv`` maps every wave × segment to its folder, so nobody needs to decode names.

Status and failures
-------------------
``status`` is ``"estimated"``, ``"insufficient sample (n = 37 < 50)"`` (skipped) or ``"failed:
<reason>"`` (no convergence, a singular matrix, an item without variance in the segment, an
unexpected error …). A failing segment never stops the batch. A wave whose files cannot be read
(or lack a segment column) is reported as failed, the other waves go on. :attr:`BatchResult.ok` is
False when any segment or wave failed or the store could not be written; the CLI then exits with
code 1 (0 when every segment was estimated or skipped for its sample size).

History store
-------------
:class:`csi_survey.store.HistoryStore` (``store:``; SQLite by default, any SQLAlchemy URL): once every
task has finished, each wave's rows of ``index_history`` are written in one transaction that
replaces exactly that wave's rows. A wave that could not be read, or in which a segment failed
unexpectedly (an error that is retried by the next run), is not written: the store keeps that
wave's earlier rows, and :attr:`BatchResult.store_error` says so.

Resuming
--------
Each wave × segment is a *task* keyed by a SHA-256 hash of its data (the segment's respondents:
answers, weights, ids, other columns, its excluded rows and flags), the spec, the settings
(resamples, level, interval method, scheme, min_n, language), its seed and the csi-survey version.
When a task finishes, its folder is written atomically (a staging folder, then one rename per file)
and then its record ``.cache/<hash>.json`` (atomically), holding its status, its index rows and
the SHA-256 of every file of its folder. On the next run a task whose record exists and whose
folder still holds exactly those files is not recomputed; a task whose folder was deleted or
altered, or whose data, spec or settings changed, is. So a batch killed at any point and started
again finishes the remaining tasks only, and the combined outputs (written atomically at the end)
are the same as those of an uninterrupted run. Estimation failures are recorded like results (they
fail again the same way); unexpected errors are not, so they are retried. A lock file
(``out/.lock``) stops two batches from writing into the same folder at once.

Parallelism and reproducibility
-------------------------------
Tasks run in a local process pool (all cores by default, ``workers``), serially with ``workers=1``,
or on a Dask distributed cluster (``scheduler="tcp://host:8786"`` or ``dask:`` in the config;
optional dependency ``pip install 'csi-survey[dask]'``; the workers need the same csi-survey
version; the estimation is Python-bound: run several single-threaded worker processes,
``dask worker tcp://… --nworkers N --nthreads 1``). Small segments are packed together into work units of similar size (a
few dozen at most per unit) so that scheduling costs little. Local workers write the segment folders
themselves; with Dask the calling process writes them, so cluster workers need no access to the
output folder. Each task's bootstrap seed is derived from the
``bootstrap.seed`` and a hash of (wave, column, value), and every task runs with single-threaded
BLAS, so the numbers are identical whatever the backend, the number of workers, the packing, or the
other segments of the batch.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import glob as _glob
import hashlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .version import __version__
from .exceptions import CsiSurveyError, CsiSurveyWarning, SettingsError, SpecError

__all__ = [
    "BatchConfig",
    "BatchConfigError",
    "BatchProgress",
    "BatchResult",
    "load_config",
    "run_batch",
    "folder_name",
    "folder_names",
    "HISTORY_COLUMNS",
    "SEGMENTS_COLUMNS",
    "TOTAL",
    "ESTIMATED",
    "unit_seed",
]

#: Columns of ``index_history.csv`` and of the history store.
HISTORY_COLUMNS = ["wave", "segment", "construct", "index", "ci_lower", "ci_upper", "n", "status"]
#: Columns of ``segments.csv``.
SEGMENTS_COLUMNS = ["wave", "segment", "segment_column", "segment_value", "folder", "n", "status", "seed", "task", "warnings"]
#: The whole sample of a wave.
TOTAL = "(total)"
ESTIMATED = "estimated"
MISSING = "(missing)"

#: Bump when the cache records or the outputs change in a way older records do not describe.
CACHE_FORMAT = 1
CACHE_DIR = ".cache"
LOCK_FILE = ".lock"
HISTORY_FILE = "index_history.csv"
SEGMENTS_FILE = "segments.csv"
MANIFEST_FILE = "manifest.json"
OVERVIEW_XLSX = "overview.xlsx"
OVERVIEW_HTML = "overview.html"
REPORT_FILES = ("report.xlsx", "report.html")
#: At most this many segments per work unit (keeps progress smooth and little work lost on a kill).
MAX_UNITS_PER_TASK = 32
#: Work units per worker aimed at (load balancing).
TASKS_PER_WORKER = 8
_NAME_LIMIT = 120  # bytes of a folder name before it is cut and hashed

Progress = Callable[["BatchProgress"], None]


# ====================================================================== config
class BatchConfigError(SpecError):
    """The batch config is invalid. ``problems``: a table of ``location`` (file:line key) and ``problem``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BootstrapConfig(_Strict):
    """``bootstrap:`` of the config."""

    resamples: int = Field(200, ge=0, description="resamples per segment (0: no intervals)")
    seed: int = Field(0, ge=0, description="base seed; each wave × segment derives its own from it")
    level: float = Field(0.95, ge=0.5, le=0.999)
    ci: Literal["percentile", "bca"] = "percentile"

    @field_validator("resamples")
    @classmethod
    def _not_one(cls, value: int) -> int:
        if value == 1:
            raise ValueError("resamples must be 0 (no bootstrap) or at least 2")
        return value


class BatchConfig(_Strict):
    """The batch config (see the module documentation). Paths are relative to :attr:`base_dir`."""

    model: str
    waves: dict[str, str | list[str]] = Field(min_length=1)
    segments: list[str] = Field(default_factory=list)
    min_n: int = Field(50, ge=3)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    out: str = "out"
    store: str | None = None
    dask: str | None = None
    on_invalid: Literal["error", "exclude", "flag"] = "error"
    missing: Literal["mean", "listwise", "model"] = "mean"
    reports: bool = False
    scheme: Literal["path", "centroid", "factorial"] = "path"
    max_iter: int = Field(300, ge=1)
    lang: Literal["en", "zh"] | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    format: Literal["auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss", "googleforms"] = "auto"
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True, description="folder the paths are relative to")
    source: str | None = Field(None, exclude=True, description="the config file, for messages")

    @field_validator("waves")
    @classmethod
    def _wave_labels(cls, value: dict) -> dict:
        for label, files in value.items():
            if not str(label).strip():
                raise ValueError("a wave label is empty")
            if isinstance(files, list) and not files:
                raise ValueError(f"wave {label!r} lists no file")
        return value

    @field_validator("segments")
    @classmethod
    def _segment_columns(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for col in value:
            if not col.strip():
                raise ValueError("a segment column name is empty")
            key = col.strip().casefold()
            if key in seen:
                raise ValueError(f"segment column {col!r} is listed twice (as {seen[key]!r})")
            seen[key] = col
        return value

    @field_validator("dask")
    @classmethod
    def _dask_address(cls, value: str | None) -> str | None:
        if value is not None and not _SCHEDULER.match(value):
            raise ValueError(f"expected a scheduler address such as tcp://host:8786; got {value!r}")
        return value

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", value):
            raise ValueError(f"expected an SQLAlchemy URL such as sqlite:///out/history.db; got {value!r}")
        return value

    # -- resolved paths ---------------------------------------------------------------------------
    def path(self, text: str | os.PathLike) -> Path:
        """A path of the config, resolved against :attr:`base_dir`."""
        return _resolve(self.base_dir, text)

    @property
    def model_path(self) -> Path:
        return self.path(self.model)

    @property
    def out_dir(self) -> Path:
        return self.path(self.out)

    @property
    def store_url(self) -> str | None:
        """The store URL with a relative SQLite path resolved against :attr:`base_dir`."""
        if self.store is None:
            return None
        from .store import resolve_sqlite_url

        return resolve_sqlite_url(self.store, self.base_dir)

    def wave_patterns(self) -> dict[str, list[str]]:
        return {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in self.waves.items()}

    def wave_files(self) -> dict[str, list[Path]]:
        """Each wave's files (glob patterns expanded, in natural order); raises on a missing file."""
        files, problems = _expand(self.base_dir, self.wave_patterns())
        if problems:
            raise _config_error(self.source, problems)
        return files

    def problems(self) -> list[tuple[tuple, str]]:
        """Problems that need the file system: the model file, the wave files, the output folder."""
        return _file_problems(self.base_dir, self.model, self.wave_patterns(), self.out)


def _resolve(base: Path, text: str | os.PathLike) -> Path:
    p = Path(os.path.expanduser(str(text)))
    return p if p.is_absolute() else base / p


def _expand(base: Path, waves: Mapping[str, list[str]]) -> tuple[dict[str, list[Path]], list[tuple[tuple, str]]]:
    from .drivers import natural_key

    files: dict[str, list[Path]] = {}
    problems: list[tuple[tuple, str]] = []
    for label, patterns in waves.items():
        found: list[Path] = []
        for pattern in patterns:
            p = _resolve(base, pattern)
            if p.is_file():
                found.append(p)
            elif _glob.has_magic(str(pattern)):
                matches = sorted((Path(m) for m in _glob.glob(str(p), recursive=True) if Path(m).is_file()),
                                 key=lambda q: natural_key(str(q)))
                if not matches:
                    problems.append((("waves", label), f"the pattern {pattern!r} matches no file (looked in {p.parent})"))
                found += matches
            elif p.exists():
                problems.append((("waves", label), f"{pattern!r} is a folder, not a responses file"))
            else:
                problems.append((("waves", label), f"the file {pattern!r} does not exist (looked for {p})"))
        files[label] = list(dict.fromkeys(found))
    return files, problems


def _file_problems(base: Path, model: Any, waves: Any, out: Any) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    if isinstance(model, str) and model:
        p = _resolve(base, model)
        if not p.is_file():
            problems.append((("model",), f"the model file {model!r} does not exist (looked for {p})"))
    if isinstance(waves, Mapping):
        usable = {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in waves.items()
                  if isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))}
        problems += _expand(base, usable)[1]
    if isinstance(out, str):
        p = _resolve(base, out)
        if p.exists() and not p.is_dir():
            problems.append((("out",), f"{out!r} is a file, not a folder"))
    return problems


def _config_error(source: str | None, problems: list[tuple[tuple, str]], lines: Mapping[tuple, int] | None = None) -> BatchConfigError:
    lines = lines or {}
    return BatchConfigError(
        "The batch config is invalid",
        [{"location": _location(source or "config", loc, lines), "problem": msg} for loc, msg in _sorted(problems, lines)],
        hint="correct each listed entry of the config and run again (paths are relative to the config file's folder).",
    )


_SCHEDULER = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")


def _location(source: str, loc: tuple, lines: Mapping[tuple, int]) -> str:
    line = None
    for cut in range(len(loc), -1, -1):
        if tuple(loc[:cut]) in lines:
            line = lines[tuple(loc[:cut])]
            break
    path = ".".join(str(p) for p in loc) or "(top level)"
    return f"{source}:{line} {path}" if line else f"{source} {path}"


def _merge(base: dict, extra: Mapping) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and key != "waves":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: str | os.PathLike, overrides: Mapping[str, Any] | None = None) -> BatchConfig:
    """Read and validate a batch config (YAML); paths are resolved against the config's folder.

    ``overrides`` replace values of the file before validation; nested keys are merged
    (``{"bootstrap": {"resamples": 50}}`` keeps the seed), except ``waves``, which is replaced as
    a whole. Raises :class:`BatchConfigError` listing every problem found: unknown, repeated or
    missing keys, wrong values, a model file or wave file that does not exist, a glob pattern
    matching nothing.
    """
    import yaml

    from .config import SafeYamlLoader, stringify_keys, yaml_lines

    path = Path(path)
    source = path.name
    if not path.is_file():
        raise BatchConfigError(
            "The batch config cannot be read",
            [{"location": str(path), "problem": "no such file" if not path.exists() else "not a file"}],
            hint="pass the path of the batch config (YAML); examples/batch/config.yaml is an example.",
        )
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    loader = SafeYamlLoader(text)
    lines: dict[tuple, int] = {}
    repeated: list[tuple[tuple, str]] = []
    try:
        node = loader.get_single_node()
        if node is not None:
            yaml_lines(node, (), lines, repeated)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise BatchConfigError(
            "The batch config is not valid YAML",
            [{"location": where, "problem": getattr(exc, "problem", None) or str(exc)}],
            hint="check the indentation and the brackets at that line.",
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise BatchConfigError(
            "The batch config is not a mapping",
            [{"location": source, "problem": "expected keys such as model:, waves:, segments:, out:"}],
        )
    data = stringify_keys(data)
    if overrides:
        data = _merge(data, stringify_keys(dict(overrides)))
    base = path.resolve().parent
    problems: list[tuple[tuple, str]] = [(loc, msg.replace("; ids must be unique", "")) for loc, msg in repeated]
    problems += [((key,), f"unknown key {key!r}") for key in ("base_dir", "source") if key in data]
    data = {k: v for k, v in data.items() if k not in ("base_dir", "source")}
    try:
        config = BatchConfig.model_validate({**data, "base_dir": base, "source": source})
    except ValidationError as exc:
        seen = set()
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if loc[:1] == ("waves",):  # a wave is a file or a list of files: pydantic reports both alternatives
                loc = loc[:2]
            if loc in seen:
                continue
            seen.add(loc)
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            elif err["type"] == "missing":
                msg = f"required key {loc[-1]!r} is missing"
            elif loc[:1] == ("waves",) and len(loc) == 2 and err["type"] != "value_error":
                msg = f"expected a file, a glob pattern or a list of them (got {err.get('input')!r})"
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] != "value_error":
                    msg += f" (got {err.get('input')!r})"
            problems.append((loc, msg))
        # the files of whatever is there, so that every problem is reported at once
        bad = {p[0] for p in problems}
        problems += [p for p in _file_problems(base, data.get("model"), data.get("waves"), data.get("out")) if p[0] not in bad]
        raise _config_error(source, problems, lines) from None
    problems += config.problems()
    if problems:
        raise _config_error(source, problems, lines)
    return config


def _sorted(problems: list[tuple[tuple, str]], lines: Mapping[tuple, int]) -> list[tuple[tuple, str]]:
    def line(loc: tuple) -> int:
        for cut in range(len(loc), -1, -1):
            if tuple(loc[:cut]) in lines:
                return lines[tuple(loc[:cut])]
        return 0

    return sorted(problems, key=lambda p: line(p[0]))


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
    and Linux (see the module documentation). Readable (letters of every script are kept) and
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


# ====================================================================== progress and result
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

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.wave_errors and self.store_error is None

    @property
    def failures(self) -> pd.DataFrame:
        """The wave × segment rows that failed (status ``failed: …``)."""
        return self.segments[self.segments["status"].str.startswith("failed")].reset_index(drop=True)

    def __repr__(self) -> str:
        return (f"<BatchResult {self.total} segments: {self.estimated} estimated, {self.failed} failed, "
                f"{self.skipped} skipped; {self.computed} computed, {self.reused} reused; out={self.out}>")


# ====================================================================== reading the waves
@dataclass
class _Wave:
    label: str
    files: list[Path]
    data: Any = None                 # SurveyData of the whole wave
    raw_rows: np.ndarray | None = None        # row number of every row read
    raw_labels: dict[str, np.ndarray | None] = field(default_factory=dict)  # column → label of every row read
    labels: dict[str, np.ndarray] = field(default_factory=dict)             # column → label of every used row
    file_rows: list[dict] = field(default_factory=list)
    error: str | None = None
    row_hash: np.ndarray | None = None
    items: np.ndarray | None = None
    digest: bytes | None = None


def _labels_of(values: pd.Series) -> np.ndarray:
    """Segment labels as :func:`csi_survey.drivers.segment_values` makes them."""
    from .drivers import _cell_text

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([_cell_text(v) for v in np.asarray(uniques, dtype=object)] + [MISSING], dtype=object)
    return texts[np.where(codes < 0, len(texts) - 1, codes)]


def _concat_raw(raws: list[Any], files: list[Path], base: Path) -> tuple[Any, list[dict]]:
    """One RawTable from several files with the same columns, rows numbered on (see the module docs)."""
    from .ingest.readers import RawTable

    first = raws[0]
    columns = list(first.frame.columns)
    problems = []
    for raw, f in zip(raws[1:], files[1:]):
        cols = list(raw.frame.columns)
        if set(cols) != set(columns):
            lacks = [c for c in columns if c not in cols]
            extra = [c for c in cols if c not in columns]
            what = []
            if lacks:
                what.append("lacks " + ", ".join(map(repr, lacks)))
            if extra:
                what.append("has " + ", ".join(map(repr, extra)) + f" that {_rel(files[0], base)} does not have")
            problems.append(f"{_rel(f, base)} {' and '.join(what)}")
        kinds = {first.format, raw.format}
        if len(kinds) > 1 and not kinds <= {"csv", "xlsx"}:
            problems.append(f"{_rel(f, base)} is a {raw.format} export, {_rel(files[0], base)} a {first.format} export")
    if problems:
        raise SettingsError(
            f"the files of this wave cannot be concatenated: they must have the same columns; {'; '.join(problems)}",
            hint="export every file of the wave with the same columns (the order may differ), or give the files to different waves.",
        )
    frames, rows, info = [], [], []
    last = 0
    for raw, f in zip(raws, files):
        r = np.asarray(raw.row_numbers, dtype=np.int64)
        offset = 0 if not rows else last - (int(r.min()) if len(r) else 0) + 1
        r = r + offset
        frames.append(raw.frame[columns].reset_index(drop=True))
        rows.append(r)
        info.append({"first_row": int(r.min()) if len(r) else None, "last_row": int(r.max()) if len(r) else None})
        last = int(r.max()) if len(r) else last
    missing_values: dict[str, list] = {}
    for raw in raws:
        for k, v in (raw.missing_values or {}).items():
            missing_values.setdefault(k, [])
            missing_values[k] += [x for x in v if x not in missing_values[k]]
    sheets = {raw.sheet for raw in raws}
    names = [raw.source for raw in raws]
    source = " + ".join(names) if len(names) <= 3 else f"{names[0]} + {len(names) - 1} more files"
    table = RawTable(
        frame=pd.concat(frames, ignore_index=True), row_numbers=np.concatenate(rows), source=source,
        sheet=sheets.pop() if len(sheets) == 1 else None, encoding=first.encoding,
        question_text=dict(first.question_text), value_labels=dict(first.value_labels),
        missing_values=missing_values, format=first.format,
    )
    return table, info


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return str(path)


def _read_wave(wave: _Wave, config: BatchConfig, spec: Any) -> None:
    """Read and prepare one wave (all its files); problems become ``wave.error``."""
    from .drivers import segment_values
    from .ingest.prepare import prepare
    from .ingest.readers import read_table

    try:
        raws = []
        for f in wave.files:
            sheet = config.sheet if f.suffix.lower() in (".xlsx", ".xlsm") else None
            if isinstance(sheet, int):
                sheet = sheet - 1  # the user counts sheets from 1, as with --sheet
            raws.append(read_table(f, sheet=sheet, encoding=config.encoding, format=config.format))
        if len(raws) == 1:
            raw = raws[0]
            r = np.asarray(raw.row_numbers, dtype=np.int64)
            wave.file_rows = [{"first_row": int(r.min()) if len(r) else None, "last_row": int(r.max()) if len(r) else None}]
        else:
            raw, wave.file_rows = _concat_raw(raws, wave.files, config.base_dir)
        data = prepare(raw, spec, on_invalid=config.on_invalid, missing=config.missing)
        if spec.weights is not None:
            from .ingest.weights import apply_weights

            data = apply_weights(data)
        labels, raw_labels = {}, {}
        for column in config.segments:
            used = segment_values(data, column)  # resolves the column; a clear error when it is absent
            labels[column] = np.asarray(used.to_numpy(dtype=object), dtype=object)
            raw_labels[column] = _labels_of(raw.frame[used.name]) if used.name in raw.frame.columns else None
        wave.data = data
        wave.raw_rows = np.asarray(raw.row_numbers, dtype=np.int64)
        wave.labels, wave.raw_labels = labels, raw_labels
        wave.items = np.ascontiguousarray(data.items.to_numpy(dtype=np.float64))
        wave.row_hash = _row_hashes(data)
    except CsiSurveyError as error:
        wave.error = str(error)
    except Exception as error:  # a bug or a resource problem: this wave fails, the others go on
        wave.error = f"internal error ({type(error).__name__}: {_one_line(str(error))})"


# ====================================================================== fingerprints
def _row_hashes(data: Any) -> np.ndarray:
    """One 64-bit hash per used respondent of everything but the answers (ids, rows, other columns, weights)."""
    from pandas.util import hash_pandas_object

    n = data.n_used
    frame = data.other.copy() if data.other.shape[1] else pd.DataFrame(index=range(n))
    frame.columns = [f"other:{c}" for c in frame.columns]
    frame["__id"] = data.respondent_id.astype(str).to_numpy()
    frame["__row"] = np.asarray(data.row, dtype=np.int64)
    if data.weight is not None:
        frame["__weight"] = np.asarray(data.weight, dtype=np.float64)
    if data.imputed is not None:
        packed = np.packbits(np.asarray(data.imputed, dtype=bool), axis=1)
        for k in range(packed.shape[1]):
            frame[f"__imputed{k}"] = packed[:, k]
    try:
        return hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:
        return hash_pandas_object(frame.astype(str), index=False).to_numpy()


def _frame_digest(h: Any, frame: pd.DataFrame | None) -> None:
    from pandas.util import hash_pandas_object

    if frame is None:
        h.update(b"none")
        return
    h.update(json.dumps([str(c) for c in frame.columns] + [str(t) for t in frame.dtypes]).encode())
    h.update(str(len(frame)).encode())
    if len(frame):
        try:
            h.update(hash_pandas_object(frame, index=False).to_numpy().tobytes())
        except TypeError:
            h.update(hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unit_seed(seed: int, wave: str, column: str, value: str) -> int:
    """The bootstrap seed of one wave × segment: SeedSequence of ``seed`` and a hash of the key."""
    digest = hashlib.sha256("\x1f".join(("csi-survey batch", wave, column, value)).encode("utf-8", errors="surrogatepass")).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    state = np.random.SeedSequence([seed, *words]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 32 | int(state[1])) % (2**63))


# ====================================================================== tasks
@dataclass
class _Unit:
    """One wave × segment."""

    order: int
    wave: str
    column: str        # "" for the total
    value: str         # TOTAL for the total
    folder: str        # relative to out, posix
    n: int
    seed: int
    pos: np.ndarray | None = None       # positions of the segment's respondents among the wave's used respondents
    raw_pos: np.ndarray | None = None   # positions of the segment's rows among the rows read (None: unknown)
    key: str = ""
    status: str | None = None           # set when known without computing (skipped)

    @property
    def segment(self) -> str:
        return TOTAL if not self.column else f"{self.column}={self.value}"


@dataclass(frozen=True)
class _Settings:
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
        from .analysis import AnalysisSettings

        return AnalysisSettings(engine="pls", scheme=self.scheme, max_iter=self.max_iter, resamples=self.resamples, seed=seed,
                                level=self.level, ci=self.ci, n_jobs=1, segments=(), wave=None, min_n=self.min_n,
                                permutations=0, lang=self.lang)

    def fingerprint(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("reports")
        d.pop("seed")  # enters through each task's own seed
        return d


@dataclass(frozen=True)
class _Job:
    """What a worker needs for one wave × segment."""

    key: str
    wave: str
    column: str
    value: str
    seed: int
    data: Any
    folder: str = ""  # relative to the output folder


@dataclass(frozen=True)
class _Task:
    settings: _Settings
    jobs: tuple[_Job, ...]
    out: str | None = None  # the output folder, when the worker shares the file system: it writes the segment folders


@dataclass
class _JobResult:
    """A finished segment: its status, its index rows and (when estimated) the bytes of its files."""

    key: str
    status: str
    index: list[list] | None = None        # construct, index, ci_lower, ci_upper, n
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
def _single_threaded_blas():
    """BLAS/OpenMP limited to one thread (shared by concurrent threads of one process): the
    numbers then do not depend on how many threads the linear algebra would otherwise use (they
    differ in the last digits otherwise), and worker processes do not oversubscribe the cores.

    OpenBLAS only honours a limit set from the thread that started it (the main thread): tasks
    of a process pool run there; Dask worker processes started by a nanny (the default) have
    ``OPENBLAS_NUM_THREADS=1`` already, and the workers of an in-process cluster run in this
    process, limited by :func:`run_batch` from the main thread."""
    global _BLAS_DEPTH, _BLAS_LIMITER
    try:
        from threadpoolctl import threadpool_limits
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


def _compute_task(task: _Task) -> list[_JobResult]:
    """Estimate every segment of a work unit (runs in a worker); never raises for a segment.

    With ``task.out`` the worker writes each estimated segment's folder itself (atomically) and
    returns the hashes of its files instead of their bytes."""
    with _single_threaded_blas():
        out = []
        for job in task.jobs:
            with _JOB_LOCK:
                result = _compute_job(task.settings, job)
            if task.out is not None and result.status == ESTIMATED:
                try:
                    result.hashes = _write_folder(Path(task.out) / job.folder, result)
                    result.files, result.reports = {}, {}
                except Exception as error:  # e.g. disk full: the folder is left as it was
                    result = _JobResult(job.key, f"failed: cannot write the segment folder: {_one_line(str(error))}",
                                        deterministic=False)
            out.append(result)
        return out


def _compute_job(settings: _Settings, job: _Job) -> _JobResult:
    from .analysis import analyze
    from .exceptions import EstimationError

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            analysis = analyze(job.data, settings.analysis(job.seed))
            meta = dict(analysis.meta)
            meta["batch"] = {"wave": job.wave, "segment_column": job.column, "segment": job.value, "task": job.key}
            index = analysis.tables["index"]
            rows = [[str(r["construct"]), _f(r["index"]), _f(r.get("ci_lower")), _f(r.get("ci_upper")), int(r["n"])]
                    for r in index.to_dict("records")]
            files, reports = _render(meta, analysis.tables, job.data.questionnaire, settings.reports)
            result = _JobResult(job.key, ESTIMATED, rows, files, reports)
        except EstimationError as error:
            result = _JobResult(job.key, f"failed: {_one_line(error.message)}")
        except CsiSurveyError as error:
            result = _JobResult(job.key, f"failed: {_one_line(str(error))}")
        except Exception as error:  # a bug or a resource problem: reported, retried on the next run
            result = _JobResult(job.key, f"failed: internal error ({type(error).__name__}: {_one_line(str(error))})",
                                deterministic=False)
    result.warnings = list(dict.fromkeys(_one_line(str(w.message)) for w in caught))
    result.seconds = time.perf_counter() - start
    return result


def _one_line(text: str) -> str:
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
    from .report.bundle import _save, bundle_from_tables

    bundle = bundle_from_tables(meta, tables, model)
    with tempfile.TemporaryDirectory(prefix="csi-survey-batch-", dir=_scratch()) as tmp:
        folder = Path(tmp)
        names = _save(bundle, _Folder(folder))
        files = {name: (folder / name).read_bytes() for name in names}
        out: dict[str, bytes] = {}
        if reports:
            from .report.html import render_html
            from .report.xlsx_charts import write_report_workbook

            write_report_workbook(folder / "report.xlsx", bundle)
            out["report.xlsx"] = (folder / "report.xlsx").read_bytes()
            out["report.html"] = render_html(bundle, lang=bundle.meta.get("lang")).encode("utf-8")
    return files, out


def _pack(units: list[_Unit], settings: _Settings, workers: int, jobs: dict[str, _Job], out: str | None = None) -> list[_Task]:
    """Work units of similar cost: small segments together, large ones alone."""
    if not units:
        return []
    cost = {u.key: u.n * (settings.resamples + 25) + 40_000 for u in units}
    total = sum(cost.values())
    target = max(total / max(1, workers * TASKS_PER_WORKER), 1.0)
    tasks: list[_Task] = []
    current: list[_Job] = []
    acc = 0.0
    for u in units:
        current.append(jobs[u.key])
        acc += cost[u.key]
        if acc >= target or len(current) >= MAX_UNITS_PER_TASK:
            tasks.append(_Task(settings, tuple(current), out))
            current, acc = [], 0.0
    if current:
        tasks.append(_Task(settings, tuple(current), out))
    return tasks


# ====================================================================== backends
class _Backend:
    name = "serial"

    def run(self, tasks: list[_Task], done: Callable[[_Task, list[_JobResult]], None]) -> None:
        for task in tasks:
            done(task, _compute_task(task))

    def close(self) -> None:
        pass


def _failed_task(task: _Task, reason: str) -> list[_JobResult]:
    return [_JobResult(job.key, f"failed: {reason}", deterministic=False) for job in task.jobs]


class _Processes(_Backend):
    def __init__(self, workers: int):
        self.workers = workers
        self.name = f"processes ({workers})"

    def run(self, tasks: list[_Task], done: Callable[[_Task, list[_JobResult]], None]) -> None:
        import multiprocessing as mp
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        context = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")

        def run_pool(indices: list[int], size: int) -> list[int]:
            """Run the tasks; return those lost because a worker process died."""
            lost: list[int] = []
            pool = ProcessPoolExecutor(max_workers=size, mp_context=context)
            try:
                futures = {pool.submit(_compute_task, tasks[k]): k for k in indices}
                remaining = set(futures)
                while remaining:
                    finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                    for future in sorted(finished, key=lambda f: futures[f]):
                        k = futures[future]
                        try:
                            results = future.result()
                        except BrokenProcessPool:
                            lost.append(k)
                            continue
                        except Exception as error:  # e.g. a result that cannot be sent back
                            results = _failed_task(tasks[k], f"internal error ({type(error).__name__}: {_one_line(str(error))})")
                        done(tasks[k], results)
            except BaseException:
                # stopped (Ctrl-C, an exception of the progress callback): no worker may go on
                # writing after we return; the next run resumes from the records
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=not lost, cancel_futures=True)
            return sorted(lost)

        lost = run_pool(list(range(len(tasks))), min(self.workers, len(tasks)))
        # A worker died (killed, out of memory …): run the lost tasks again one at a time, so the
        # task that kills its process is found and reported, and the others finish.
        completed = len(tasks) - len(lost)
        for k in lost:
            if run_pool([k], 1):
                if completed == 0:  # no worker ever finished anything: they cannot start at all
                    raise SettingsError(
                        "the worker processes of the batch stop before doing any work",
                        hint="when run_batch is called from a script, put the call under `if __name__ == \"__main__\":` "
                             "(the workers import the script); or run in one process (workers=1, --workers 1).",
                    )
                done(tasks[k], _failed_task(tasks[k], "the worker process died while estimating this work unit (out of memory?)"))
            else:
                completed += 1


class _Dask(_Backend):
    def __init__(self, scheduler: Any):
        try:
            import distributed
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
            versions = self.client.run(_versions)
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

    def run(self, tasks: list[_Task], done: Callable[[_Task, list[_JobResult]], None]) -> None:
        from distributed import as_completed

        import uuid

        run = uuid.uuid4().hex[:12]
        futures = [self.client.submit(_compute_task, task, pure=False, key=f"csi-survey-batch-{run}-{k}")
                   for k, task in enumerate(tasks)]
        index = {f.key: k for k, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                k = index[future.key]
                try:
                    results = future.result()
                except Exception as error:  # KilledWorker, a lost connection …
                    results = _failed_task(tasks[k], f"the Dask task failed ({type(error).__name__}: {_one_line(str(error))})")
                done(tasks[k], results)
                future.release()
        except BaseException:
            self.client.cancel(futures)
            raise

    def close(self) -> None:
        if self._own:
            self.client.close()


def _versions() -> dict[str, str | None]:
    """Versions of the packages that determine the numbers (and of Python), for the manifest."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("csi-survey", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "openpyxl", "xlsxwriter",
                 "threadpoolctl", "dask", "distributed", "sqlalchemy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["csi-survey"] = __version__
    try:
        from threadpoolctl import threadpool_info

        out["blas_threads"] = max((int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"), default=None)
    except Exception:  # pragma: no cover
        out["blas_threads"] = None
    return out


def _backend(scheduler: Any, workers: int | None, n_tasks: int) -> _Backend:
    if scheduler is not None:
        if isinstance(scheduler, str) and not _SCHEDULER.match(scheduler):
            raise SettingsError(
                f"--scheduler expects a Dask scheduler address such as tcp://HOST:8786; got {scheduler!r}",
                hint="give the address the scheduler prints when it starts (dask scheduler).",
            )
        return _Dask(scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SettingsError(f"workers must be a positive number of processes; got {workers!r}")
    count = workers or os.cpu_count() or 1
    if count == 1 or n_tasks <= 1:
        return _Backend()
    return _Processes(count)


# ====================================================================== per-segment data
def _positions(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Label → the (sorted) positions where it occurs, in one pass (labels in order of appearance)."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))
    starts = np.concatenate([[0], bounds[:-1]])
    return {str(u): order[a:b] for u, a, b in zip(uniques, starts, bounds)}


def _segment_data(wave: _Wave, unit: _Unit) -> Any:
    """The wave's data restricted to the segment, with the segment's own excluded rows and counts."""
    from .segments import subset

    data = wave.data
    if not unit.column:
        return data
    mask = np.zeros(data.n_used, dtype=bool)
    mask[unit.pos] = True
    sub = subset(data, mask)
    rows = wave.raw_rows[unit.raw_pos] if unit.raw_pos is not None else np.asarray(sub.row, dtype=np.int64)
    excluded, flags, n_read = _segment_tables(wave, unit, rows, sub.n_used)
    return dataclasses.replace(sub, excluded=excluded, flags=flags, n_read=n_read,
                               missing=_segment_missing(data, unit.pos, excluded),
                               quality_summary=_segment_quality(data, flags, excluded, n_read))


def _segment_tables(wave: _Wave, unit: _Unit, rows: np.ndarray, n_used: int) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    data = wave.data
    excluded = data.excluded[data.excluded["row"].isin(rows).to_numpy()].reset_index(drop=True)
    flags = None if data.flags is None else data.flags[data.flags["row"].isin(rows).to_numpy()].reset_index(drop=True)
    n_read = len(unit.raw_pos) if unit.raw_pos is not None else n_used + len(excluded)
    return excluded, flags, n_read


_LISTWISE = re.compile(r"missing answer in listwise mode: (.*?)(?:;|$)")


def _segment_missing(data: Any, pos: np.ndarray, excluded: pd.DataFrame) -> pd.DataFrame:
    out = data.missing.copy()
    p = len(out)
    if data.missing_method in ("mean", "model"):
        replaced = np.asarray(data.imputed)[pos].sum(axis=0).astype(np.int64) if data.imputed is not None else np.zeros(p, np.int64)
        out["n_missing"] = replaced
        out["n_replaced"] = replaced
    else:  # listwise: the segment's respondents left out for a missing answer, per item
        counts = dict.fromkeys(out["item"], 0)
        key = {str(i).strip().casefold(): i for i in out["item"]}
        for reason in excluded["reason"]:
            m = _LISTWISE.search(str(reason))
            if m:
                for col in m.group(1).split(", "):
                    item = key.get(col.strip().casefold())
                    if item is not None:
                        counts[item] += 1
        out["n_missing"] = np.asarray([counts[i] for i in out["item"]], dtype=np.int64)
        out["n_replaced"] = np.zeros(p, dtype=np.int64)
    return out


def _segment_quality(data: Any, flags: pd.DataFrame | None, excluded: pd.DataFrame, n_read: int) -> pd.DataFrame | None:
    """``data_quality`` counted on the segment's rows: flagged and excluded respondents from its
    flags; respondents checked when the wave checked all or none of its candidates (else empty)."""
    summary = data.quality_summary
    if summary is None:
        return None
    out = summary.copy()
    reasons = excluded["reason"].to_numpy(dtype=object)
    empty = sum(1 for r in reasons if str(r).startswith("empty row"))
    invalid = sum(1 for r in reasons if str(r).startswith("invalid value"))
    counts: dict[tuple[str, str], set] = {}
    if flags is not None and len(flags):
        for row, flag, action in zip(flags["row"].to_numpy(), flags["flag"].to_numpy(dtype=object), flags["action"].to_numpy(dtype=object)):
            counts.setdefault((flag, action), set()).add(row)
    checked, not_checked, flagged, dropped = [], [], [], []
    for flag, n_checked, n_not in zip(summary["flag"], summary["n_checked"], summary["n_not_checked"]):
        flagged.append(len(counts.get((flag, "flagged"), ())))
        dropped.append(len(counts.get((flag, "excluded"), ())))
        active = n_read - empty - (0 if flag == "invalid_value" else invalid)
        if int(n_not) == 0:
            checked.append(active), not_checked.append(0)
        elif int(n_checked) == 0:
            checked.append(0), not_checked.append(active)
        else:
            checked.append(pd.NA), not_checked.append(pd.NA)
    out["n_checked"] = pd.array(checked, dtype="Int64")
    out["n_flagged"] = np.asarray(flagged, dtype=np.int64)
    out["n_excluded"] = np.asarray(dropped, dtype=np.int64)
    out["n_not_checked"] = pd.array(not_checked, dtype="Int64")
    out["note"] = ["" if not str(n) else f"whole wave: {n}" for n in summary["note"].fillna("")]
    return out


def _wave_digest(wave: _Wave) -> bytes:
    """What every task of a wave depends on beyond its own rows: how the wave was read and cleaned."""
    if wave.digest is None:
        data = wave.data
        h = hashlib.sha256()
        for frame in (data.missing, data.quality_summary):
            _frame_digest(h, frame)
        h.update(json.dumps([str(c) for c in data.other.columns] + [data.source, data.sheet, data.missing_method],
                            ensure_ascii=False).encode())
        wave.digest = h.digest()
    return wave.digest


def _unit_key(wave: _Wave, unit: _Unit, spec_hash: str, settings_hash: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([CACHE_FORMAT, __version__, spec_hash, settings_hash, unit.wave, unit.column, unit.value, unit.seed],
                        ensure_ascii=False).encode())
    h.update(_wave_digest(wave))
    data = wave.data
    if unit.column:
        pos = unit.pos
        h.update(wave.items[pos].tobytes())
        h.update(wave.row_hash[pos].tobytes())
        rows = wave.raw_rows[unit.raw_pos] if unit.raw_pos is not None else np.asarray(data.row, dtype=np.int64)[pos]
        excluded, flags, n_read = _segment_tables(wave, unit, rows, len(pos))
    else:
        h.update(wave.items.tobytes())
        h.update(wave.row_hash.tobytes())
        excluded, flags, n_read = data.excluded, data.flags, data.n_read
    for frame in (excluded, flags):
        _frame_digest(h, frame)
    h.update(str(n_read).encode())
    return h.hexdigest()


# ====================================================================== writing
def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _json_bytes(value: Any) -> bytes:
    from .report.bundle import _json_safe

    return (json.dumps(_json_safe(value), ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _is_output(name: str) -> bool:
    return name.endswith(".csv") or name in ("run.json", "model.yaml", *REPORT_FILES)


def _clear_folder(folder: Path, keep: Sequence[str] = ()) -> None:
    """Remove the run files of an earlier result from a segment folder (nothing else)."""
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        if p.is_file() and _is_output(p.name) and p.name not in keep:
            try:
                p.unlink()
            except OSError:
                pass
    try:
        folder.rmdir()  # only when empty
    except OSError:
        pass


def _history_rows(model: Any, unit: _Unit, rows: list[list] | None) -> list[list]:
    """construct, index, ci_lower, ci_upper, n for every construct of the model (missing: None, n of the segment)."""
    by = {r[0]: r for r in rows or []}
    return [by.get(c, [c, None, None, None, unit.n]) for c in model.construct_ids]


def _f(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _record(unit: _Unit, result: _JobResult, model: Any, files: dict[str, str]) -> dict:
    return {
        "format": CACHE_FORMAT, "task": unit.key, "wave": unit.wave, "segment_column": unit.column, "segment": unit.value,
        "folder": unit.folder, "n": unit.n, "seed": unit.seed, "status": result.status,
        "history": _history_rows(model, unit, result.index), "files": files, "warnings": result.warnings,
        "seconds": round(result.seconds, 4),
    }


def _write_unit(out: Path, unit: _Unit, result: _JobResult, model: Any) -> dict:
    """Write a finished segment's folder (atomically, unless the worker did) and then its record."""
    folder = out / unit.folder
    hashes: dict[str, str] = {}
    if result.status == ESTIMATED:
        hashes = result.hashes if result.hashes is not None else _write_folder(folder, result)
    else:
        _clear_folder(folder)
    record = _record(unit, result, model, hashes)
    if result.deterministic:
        _atomic_write(out / CACHE_DIR / f"{unit.key}.json", _json_bytes(record))
    return record


def _write_folder(folder: Path, result: _JobResult) -> dict[str, str]:
    """Write the files of an estimated segment atomically (replacing an earlier result's files)."""
    from .report.atomic import AtomicOutput

    with AtomicOutput(folder) as staged:
        for name, content in {**result.files, **result.reports}.items():
            staged.path(name).write_bytes(content)
    _clear_folder(folder, keep=[*result.files, *result.reports])
    return {name: hashlib.sha256(content).hexdigest() for name, content in result.files.items()}


def _load_record(out: Path, unit: _Unit, reports: bool) -> dict | None:
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
            if not p.is_file() or _sha256_file(p) != digest:
                return None
        except OSError:
            return None
    if record.get("status") == ESTIMATED and reports and not all((folder / n).is_file() for n in REPORT_FILES):
        try:
            from .report.run_report import rerender

            rerender(folder)
        except CsiSurveyError:
            return None
    return record


def _sweep(out: Path) -> None:
    """Remove what a killed run may have left: staging folders and temporary files (ours only)."""
    from .report.atomic import STAGING_PREFIX

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
def _locked(out: Path):
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
        yield
    finally:
        handle.close()


# ====================================================================== combined outputs
def _history_table(records: list[dict]) -> pd.DataFrame:
    rows = [[r["wave"], TOTAL if not r["segment_column"] else f"{r['segment_column']}={r['segment']}", *h, r["status"]]
            for r in records for h in r["history"]]
    table = pd.DataFrame(rows, columns=["wave", "segment", "construct", "index", "ci_lower", "ci_upper", "n", "status"])
    for c in ("index", "ci_lower", "ci_upper"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(np.float64)
    table["n"] = table["n"].astype(np.int64)
    for c in ("wave", "segment", "construct", "status"):
        table[c] = table[c].astype(object)
    return table[HISTORY_COLUMNS]


def _segments_table(records: list[dict]) -> pd.DataFrame:
    rows = [[r["wave"], TOTAL if not r["segment_column"] else f"{r['segment_column']}={r['segment']}", r["segment_column"],
             r["segment"], r["folder"], int(r["n"]), r["status"], r["seed"], r["task"], " | ".join(r.get("warnings") or [])]
            for r in records]
    table = pd.DataFrame(rows, columns=SEGMENTS_COLUMNS)
    table["n"] = table["n"].astype(np.int64)
    table["seed"] = table["seed"].astype(np.int64)
    return table


RANKING_COLUMNS = ["wave", "segment_column", "rank", "segment", "index", "ci_lower", "ci_upper", "n", "change", "status"]


def _ranking(history: pd.DataFrame, segments: pd.DataFrame, construct: str, waves: list[str]) -> pd.DataFrame:
    """Per wave and segment column, the segments ranked by the construct's index (highest first;
    not estimated ones last, unranked). ``change``: against the previous wave of the batch."""
    keys = segments[["wave", "segment", "segment_column", "segment_value"]]
    h = history[(history["construct"] == construct) & (history["segment"] != TOTAL)].merge(keys, on=["wave", "segment"], how="left")
    lookup = h.set_index(["wave", "segment"])["index"]
    parts = []
    for k, w in enumerate(waves):
        for _col, g in h[h["wave"] == w].groupby("segment_column", sort=False):
            g = g.copy()
            g["rank"] = g["index"].rank(ascending=False, method="min").astype("Int64")
            g["change"] = [g_i - lookup.get((waves[k - 1], s), np.nan) if k else np.nan for s, g_i in zip(g["segment"], g["index"])]
            parts.append(g.sort_values(["index", "segment"], ascending=[False, True], na_position="last", kind="mergesort"))
    if not parts:
        return pd.DataFrame(columns=[*RANKING_COLUMNS, "segment_value"])
    return pd.concat(parts, ignore_index=True)[[*RANKING_COLUMNS, "segment_value"]]


def _trend(history: pd.DataFrame, construct: str, waves: list[str], order: list[str]) -> pd.DataFrame:
    h = history[history["construct"] == construct]
    wide = h.pivot_table(index="segment", columns="wave", values="index", aggfunc="first", dropna=False)
    wide = wide.reindex(index=order, columns=waves)
    wide.columns = [str(c) for c in wide.columns]
    out = wide.reset_index()
    est = wide.to_numpy(dtype=float)
    last_two = []
    for row in est:
        vals = [v for v in row if v == v]
        last_two.append(vals[-1] - vals[-2] if len(vals) >= 2 else np.nan)
    out["change_last"] = last_two
    out["waves_estimated"] = (~np.isnan(est)).sum(axis=1).astype(np.int64)
    return out


_TEXTS = {
    "en": {
        "title": "Batch overview", "waves": "Waves", "segments": "Segments (wave × segment)", "estimated": "Estimated",
        "failed": "Failed", "skipped": "Skipped (insufficient sample)", "resamples": "Bootstrap resamples", "seed": "Seed",
        "model": "Model", "index": "Index construct", "ranking": "Ranking {wave}", "by": "by {column}",
        "ranking_note": "{construct} index (0–100) per segment, highest first; whiskers: {level} bootstrap interval; "
                        "dashed line: all respondents of the wave. Change: against the previous wave (descriptive).",
        "trend": "Trends", "trend_note": "{construct} index per wave; the last column is the change between the last two "
                                         "waves in which the segment was estimated.",
        "total_chart": "{construct}: all respondents per wave", "problems": "Segments not estimated",
        "rank": "Rank", "segment": "Segment", "interval": "Interval", "change": "Change", "status": "Status", "trend_col": "Trend",
        "wave": "Wave", "all": "all respondents", "generated": "Generated by csi-survey {version} on {date}.",
        "none": "Every segment was estimated.", "chart_limit": "Chart: the {k} highest and lowest segments.",
    },
    "zh": {
        "title": "批量分析概览", "waves": "调查期", "segments": "细分（调查期 × 细分）", "estimated": "已估计",
        "failed": "失败", "skipped": "跳过（样本不足）", "resamples": "自助法重抽样次数", "seed": "随机种子",
        "model": "模型", "index": "指数构念", "ranking": "{wave} 排名", "by": "按 {column}",
        "ranking_note": "各细分的{construct}指数（0–100），从高到低；误差线：{level} 自助法区间；虚线：该期全部受访者。"
                        "变化：与上一期相比（描述性）。",
        "trend": "趋势", "trend_note": "各期的{construct}指数；最后一列为该细分最近两个已估计调查期之间的变化。",
        "total_chart": "{construct}：各期全部受访者", "problems": "未估计的细分",
        "rank": "排名", "segment": "细分", "interval": "区间", "change": "变化", "status": "状态", "trend_col": "趋势",
        "wave": "调查期", "all": "全部受访者", "generated": "由 csi-survey {version} 于 {date} 生成。",
        "none": "所有细分均已估计。", "chart_limit": "图中为指数最高和最低的各 {k} 个细分。",
    },
}


def _overview_sheets(model: Any, history: pd.DataFrame, segments: pd.DataFrame, waves: list[str], summary: pd.DataFrame) -> list[Any]:
    from .report.xlsx import Sheet

    construct = model.index or model.construct_ids[-1]
    order = list(dict.fromkeys(segments["segment"]))
    ranking = _ranking(history, segments, construct, waves)
    trend = _trend(history, construct, waves, order)
    problems = segments[segments["status"] != ESTIMATED][["wave", "segment", "n", "status"]]
    return [
        Sheet("Summary", summary),
        Sheet("Ranking", ranking[RANKING_COLUMNS], note=f"{model.label(construct)} ({construct}) index per segment, ranked within each wave and "
                                       "segment column; change = index − index of the previous wave."),
        Sheet("Trend", trend, note=f"{model.label(construct)} ({construct}) index of each segment per wave; change_last = "
                                   "change between the last two waves in which the segment was estimated."),
        Sheet("Index history", history, note="Every construct index of every wave × segment (index_history.csv)."),
        Sheet("Not estimated", problems, note="Segments skipped for their sample size or failed, with the reason."),
    ]


def _sparkline(values: list[float | None]) -> Any:
    from .report.html import _el

    pts = [(k, v) for k, v in enumerate(values) if v is not None]
    width, height = 90.0, 22.0
    if not pts:
        return ""
    lo = min(v for _, v in pts)
    hi = max(v for _, v in pts)
    span = max(hi - lo, 1.0)
    step = width / max(len(values) - 1, 1)
    xy = [(2 + k * step * (width - 4) / width, 3 + (height - 6) * (1 - (v - lo) / span)) for k, v in pts]
    body = [_el("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in xy), fill="none", stroke="#2e5c8a", stroke_width=1.6)]
    body += [_el("circle", cx=round(x, 1), cy=round(y, 1), r=2.0, fill="#2e5c8a") for x, y in xy[-1:]]
    return _el("svg", body, viewBox=f"0 0 {width:g} {height:g}", width=width, height=height, role="img", class_="spark",
               aria_label=" → ".join("–" if v is None else f"{v:.1f}" for v in values))


def _overview_html(model: Any, history: pd.DataFrame, segments: pd.DataFrame, waves: list[str], facts: list[tuple[str, str]],
                   lang: str, level: float) -> str:
    from importlib import resources

    from markupsafe import Markup

    from .report.html import _Bar, _Series, _el, _fmt, bar_chart, line_chart

    t = _TEXTS[lang]
    construct = model.index or model.construct_ids[-1]
    cname = model.label(construct)
    order = list(dict.fromkeys(segments["segment"]))
    ranking = _ranking(history, segments, construct, waves)
    trend = _trend(history, construct, waves, order)
    level_text = f"{level:.0%}"
    css = resources.files("csi_survey.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    css += ("\n.spark { vertical-align: middle; } td.pos { color: #1e8449; } .facts-batch { display: grid; "
            "grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px 24px; margin: 18px 0; }\n")

    def cell(value: Any, cls: str = "") -> Markup:
        return _el("td", value, class_=cls or None)

    def number(value: Any, digits: int = 1, signed: bool = False) -> Markup:
        if value is None or value != value:
            return cell("–", "num")
        text = f"{value:+.{digits}f}" if signed else _fmt(value, digits)
        return cell(text, "num" + ((" neg" if value < 0 else " pos") if signed and value else ""))

    def table(headers: list[tuple[str, bool]], rows: list[list[Markup]]) -> Markup:
        head = _el("tr", [_el("th", h, class_="num" if num else None, scope="col") for h, num in headers])
        return _el("div", _el("table", [_el("thead", head), _el("tbody", [_el("tr", r) for r in rows])], class_="data"),
                   class_="table-wrap")

    sections: list[Markup] = []
    contents: list[tuple[str, str]] = []
    total_rows = history[(history["segment"] == TOTAL) & (history["construct"] == construct)].set_index("wave")
    for k, w in enumerate(waves):
        sid = f"wave-{k + 1}"
        contents.append((sid, t["ranking"].format(wave=w)))
        parts: list[Markup] = [_el("h2", t["ranking"].format(wave=w))]
        parts.append(_el("p", t["ranking_note"].format(construct=cname, level=level_text), class_="note"))
        reference = _f(total_rows["index"].get(w)) if w in total_rows.index else None
        for col, g in ranking[ranking["wave"] == w].groupby("segment_column", sort=False):
            parts.append(_el("h3", t["by"].format(column=col)))
            est = g[g["index"].notna()]
            shown = est
            note = ""
            if len(est) > 40:
                shown = pd.concat([est.head(15), est.tail(15)])
                note = t["chart_limit"].format(k=15)
            if len(shown):
                bars = [_Bar(str(r["segment_value"]), _f(r["index"]), _f(r["ci_lower"]), _f(r["ci_upper"]))
                        for r in shown.to_dict("records")]
                chart = bar_chart(bars, title=f"{cname} – {w} – {col}", chart_id=f"{sid}-{len(sections)}-{len(parts)}",
                                  reference=reference, reference_label=t["all"])
                parts.append(_el("figure", [_el("div", chart, class_="chart-box")] + ([_el("figcaption", note, class_="note")] if note else [])))
            rows = []
            for r in g.to_dict("records"):
                lo, hi = _f(r["ci_lower"]), _f(r["ci_upper"])
                rows.append([
                    cell("–" if r["rank"] is None or r["rank"] is pd.NA else str(r["rank"]), "num"),
                    cell(str(r["segment_value"])), number(_f(r["index"])),
                    cell("–" if lo is None or hi is None else f"{_fmt(lo, 1)} – {_fmt(hi, 1)}", "num"),
                    cell(f"{int(r['n']):,}", "num"), number(_f(r["change"]), signed=True), cell(str(r["status"])),
                ])
            parts.append(table([(t["rank"], True), (t["segment"], False), (cname, True), (t["interval"], True), ("n", True),
                                (t["change"], True), (t["status"], False)], rows))
        sections.append(_el("section", parts, class_="report-section", id=sid))

    contents.append(("trend", t["trend"]))
    parts = [_el("h2", t["trend"]), _el("p", t["trend_note"].format(construct=cname), class_="note")]
    if len(total_rows):
        series = [_Series(t["all"], [(_f(total_rows["index"].get(w)), _f(total_rows["ci_lower"].get(w)), _f(total_rows["ci_upper"].get(w)))
                                     if w in total_rows.index else (None, None, None) for w in waves], accent=True)]
        parts.append(_el("div", line_chart(waves, series, title=t["total_chart"].format(construct=cname), y_title=cname,
                                           chart_id="trend-total"), class_="chart-box"))
    rows = []
    for r in trend.to_dict("records"):
        values = [_f(r[w]) for w in waves]
        rows.append([cell(str(r["segment"]))] + [number(v) for v in values]
                    + [number(_f(r["change_last"]), signed=True), _el("td", _sparkline(values))])
    parts.append(table([(t["segment"], False)] + [(w, True) for w in waves] + [(t["change"], True), (t["trend_col"], False)], rows))
    sections.append(_el("section", parts, class_="report-section", id="trend"))

    contents.append(("problems", t["problems"]))
    bad = segments[segments["status"] != ESTIMATED]
    parts = [_el("h2", t["problems"])]
    if len(bad):
        parts.append(table([(t["wave"], False), (t["segment"], False), ("n", True), (t["status"], False)],
                           [[cell(str(r["wave"])), cell(str(r["segment"])), cell(f"{int(r['n']):,}", "num"), cell(str(r["status"]), "wide")]
                            for r in bad.to_dict("records")]))
    else:
        parts.append(_el("p", t["none"], class_="note"))
    sections.append(_el("section", parts, class_="report-section", id="problems"))

    facts_html = _el("dl", [_el("div", [_el("dt", k), _el("dd", v)]) for k, v in facts], class_="facts-batch")
    nav = _el("nav", [_el("span", "", class_="contents-title")] + [_el("a", text, href=f"#{sid}") for sid, text in contents],
              class_="contents")
    title = f"{model.name} – {t['title']}"
    date = _dt.date.today().isoformat()
    page = Markup(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "script-src 'none'; base-uri 'none'; form-action 'none'\">\n"
        "<meta name=\"generator\" content=\"csi-survey {version}\">\n<link rel=\"icon\" href=\"data:,\">\n"
        "<title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n"
        "<header class=\"page-header\"><p class=\"kicker\">{kicker}</p><h1>{name}</h1></header>\n"
        "<main>\n{facts}\n{nav}\n{sections}\n</main>\n<footer>{footer}</footer>\n</body>\n</html>\n"
    ).format(lang="zh-CN" if lang == "zh" else "en", version=__version__, title=title, css=Markup(css), kicker=t["title"],
             name=model.name, facts=facts_html, nav=nav, sections=Markup("\n").join(sections),
             footer=t["generated"].format(version=__version__, date=date))
    return str(page)


# ====================================================================== the batch
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
        Write report.xlsx and report.html into every segment folder (default: the config's ``reports``).
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
    from .drivers import natural_key
    from .schema import load_model

    started = time.perf_counter()
    if not isinstance(config, BatchConfig):
        config = load_config(config)
    else:
        problems = config.problems()
        if problems:
            raise _config_error(config.source, problems)
    if reports is not None:
        config = config.model_copy(update={"reports": bool(reports)})
    spec = load_model(config.model_path)
    out = config.out_dir
    files = config.wave_files()
    labels = sorted(files, key=natural_key)
    settings = _Settings(resamples=config.bootstrap.resamples, seed=config.bootstrap.seed, level=config.bootstrap.level,
                         ci=config.bootstrap.ci, scheme=config.scheme, max_iter=config.max_iter, min_n=config.min_n,
                         lang=config.lang, reports=config.reports)
    spec_hash = hashlib.sha256(spec.model_dump_json().encode("utf-8")).hexdigest()
    settings_hash = hashlib.sha256(json.dumps(settings.fingerprint(), sort_keys=True).encode()).hexdigest()

    # the backend first: a wrong scheduler address or a missing dask fails before any work
    backend = _backend(scheduler if scheduler is not None else config.dask, workers, 2)
    try:
        with _locked(out):
            return _run(config, spec, out, labels, files, settings, spec_hash, settings_hash, backend, progress, started)
    finally:
        backend.close()


def _run(config: BatchConfig, spec: Any, out: Path, labels: list[str], files: dict[str, list[Path]], settings: _Settings,
         spec_hash: str, settings_hash: str, backend: _Backend, progress: Progress | None, started: float) -> BatchResult:
    """The batch, with the output folder locked (see :func:`run_batch`)."""
    from .drivers import natural_key

    _sweep(out)
    # ---- read the waves
    waves = [_Wave(label, files[label]) for label in labels]
    for wave in waves:
        _read_wave(wave, config, spec)
    # ---- plan: one unit per wave × segment
    reserved = [CACHE_DIR, LOCK_FILE, HISTORY_FILE, SEGMENTS_FILE, MANIFEST_FILE, OVERVIEW_XLSX, OVERVIEW_HTML]
    wave_dirs = folder_names(labels, reserved=reserved)
    units: list[_Unit] = []
    for wave in waves:
        if wave.error:
            continue
        data = wave.data
        units.append(_Unit(len(units), wave.label, "", TOTAL, f"{wave_dirs[wave.label]}/{TOTAL}", data.n_used,
                           unit_seed(settings.seed, wave.label, "", TOTAL)))
        seg_labels: list[tuple[str, str]] = []
        positions: dict[tuple[str, str], tuple[np.ndarray, np.ndarray | None]] = {}
        for column in config.segments:
            used = _positions(wave.labels[column])
            raw = wave.raw_labels[column]
            read = _positions(raw) if raw is not None else {}
            present = [v for v in used if v != MISSING]
            try:
                ordered = sorted(present, key=float)
            except ValueError:
                ordered = sorted(present, key=natural_key)
            ordered += [MISSING] if MISSING in used else []
            seg_labels += [(column, v) for v in ordered]
            for v in ordered:
                positions[column, v] = (used[v], read.get(v, np.empty(0, dtype=np.int64)) if raw is not None else None)
        names = folder_names(seg_labels, reserved=[TOTAL])
        for column, value in seg_labels:
            pos, raw_pos = positions[column, value]
            units.append(_Unit(len(units), wave.label, column, value,
                               f"{wave_dirs[wave.label]}/{names[column, value]}", len(pos),
                               unit_seed(settings.seed, wave.label, column, value), pos=pos, raw_pos=raw_pos))
    waves_by_label = {w.label: w for w in waves}
    for unit in units:
        wave = waves_by_label[unit.wave]
        unit.key = _unit_key(wave, unit, spec_hash, settings_hash)
        if unit.n < settings.min_n:
            unit.status = f"insufficient sample (n = {unit.n} < {settings.min_n})"

    # ---- what is done already
    counts = {"estimated": 0, "failed": 0, "skipped": 0, "reused": 0, "computed": 0}
    records: dict[str, dict] = {}
    todo: list[_Unit] = []
    for unit in units:
        if unit.status is not None:  # skipped: nothing to compute
            _clear_folder(out / unit.folder)
            records[unit.key] = _record(unit, _JobResult(unit.key, unit.status), spec, {})
            counts["skipped"] += 1
            continue
        record = _load_record(out, unit, config.reports)
        if record is not None:
            records[unit.key] = record
            counts["reused"] += 1
            counts["estimated" if record["status"] == ESTIMATED else "failed"] += 1
        else:
            todo.append(unit)
    total = len(units)

    def report(unit: _Unit | None = None) -> None:
        if progress is not None:
            progress(BatchProgress(total, counts["estimated"] + counts["failed"] + counts["skipped"], counts["estimated"],
                                   counts["failed"], counts["skipped"], counts["reused"],
                                   None if unit is None else unit.wave, None if unit is None else unit.segment))

    # ---- compute what is left
    internal_failures: set[str] = set()
    if not todo:
        backend = _Backend()
        backend.name = "none (every segment reused)"
    jobs = {u.key: _Job(u.key, u.wave, u.column, u.value, u.seed, _segment_data(waves_by_label[u.wave], u), u.folder)
            for u in todo}
    slots = backend.slots if isinstance(backend, _Dask) else getattr(backend, "workers", 1)
    # local workers write the segment folders themselves (in parallel); Dask workers may
    # not see the output folder, so their results are written here
    tasks = _pack(todo, settings, slots, jobs, out=None if isinstance(backend, _Dask) else str(out))
    if isinstance(backend, _Processes) and len(tasks) <= 1:
        backend = _Backend()
    del jobs
    by_key = {u.key: u for u in todo}
    report()

    def finished(task: _Task, results: list[_JobResult]) -> None:
        for result in results:
            unit = by_key[result.key]
            try:
                records[unit.key] = _write_unit(out, unit, result, spec)
            except (CsiSurveyError, OSError) as error:  # e.g. disk full: this segment fails, is retried next time
                result = _JobResult(unit.key, f"failed: cannot write the segment folder: {_one_line(str(error))}",
                                    deterministic=False)
                records[unit.key] = _record(unit, result, spec, {})
            counts["computed"] += 1
            counts["estimated" if result.status == ESTIMATED else "failed"] += 1
            if not result.deterministic:
                internal_failures.add(unit.wave)
            report(unit)

    # BLAS limited to one thread from this (main) thread too: OpenBLAS ignores a limit set
    # from another thread, and threads of an in-process Dask cluster run here
    with _single_threaded_blas():
        backend.run(tasks, finished)

    # ---- combined outputs
    wave_errors = {w.label: w.error for w in waves if w.error}
    ordered = []
    for wave in waves:
        if wave.error:  # one row for the wave, so the tables say what happened
            status = f"failed: cannot read the wave: {_one_line(wave.error.splitlines()[0])}"
            fake = _Unit(-1, wave.label, "", TOTAL, f"{wave_dirs[wave.label]}/{TOTAL}", 0,
                         unit_seed(settings.seed, wave.label, "", TOTAL))
            ordered.append(_record(fake, _JobResult("", status), spec, {}))
        else:
            ordered += [records[u.key] for u in units if u.wave == wave.label]
    history = _history_table(ordered)
    segments = _segments_table(ordered)

    # ---- the history store
    store_url = config.store_url
    store_waves: list[str] = []
    store_error = None
    if store_url is not None:
        good = [w.label for w in waves if not w.error and w.label not in internal_failures]
        store_waves, store_error = _write_store(store_url, history, good)
        held = [w.label for w in waves if not w.error and w.label in internal_failures]
        if held and store_error is None:  # keep the wave's earlier rows rather than rows of a failed run
            store_error = (f"wave(s) {', '.join(held)} not written: a segment failed unexpectedly (see segments.csv); "
                           "run the batch again")

    counts["failed_waves"] = len(wave_errors)
    manifest = _manifest(config, spec, settings, waves, units, records, counts, backend, store_url, store_waves, store_error,
                         time.perf_counter() - started)
    written = _write_combined(out, spec, config, history, segments, manifest, labels, counts)
    return BatchResult(
    out=out, history=history, segments=segments, total=total, estimated=counts["estimated"], failed=counts["failed"],
    skipped=counts["skipped"], computed=counts["computed"], reused=counts["reused"], wave_errors=wave_errors,
    store_url=_redact(store_url), store_waves=tuple(store_waves), store_error=store_error, manifest=manifest,
    written=tuple(written), seconds=time.perf_counter() - started, backend=backend.name,
    )


def _redact(url: str | None) -> str | None:
    """The URL with its password masked (as the store prints it)."""
    if url is None:
        return None
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _write_store(url: str, history: pd.DataFrame, waves: list[str]) -> tuple[list[str], str | None]:
    """Write each wave's rows to the history store (one transaction per wave); never raises."""
    from .store import HistoryStore

    written: list[str] = []
    store = None
    try:
        store = HistoryStore(url)
        for wave in waves:
            store.write_wave(wave, history[history["wave"] == wave].reset_index(drop=True)[HISTORY_COLUMNS])
            written.append(wave)
    except Exception as error:  # a database problem must not lose the batch's other outputs
        return written, str(error) if isinstance(error, CsiSurveyError) else f"{type(error).__name__}: {_one_line(str(error))}"
    finally:
        if store is not None:
            try:
                store.close()
            except Exception:
                pass
    return written, None


def _manifest(config: BatchConfig, spec: Any, settings: _Settings, waves: list[_Wave], units: list[_Unit], records: dict,
              counts: dict, backend: _Backend, store_url: str | None, store_waves: list[str], store_error: str | None,
              seconds: float) -> dict:
    base = config.base_dir
    wave_info = {}
    for w in waves:
        files = []
        for k, f in enumerate(w.files):
            entry = {"path": _rel(f, base), "sha256": _sha256_file(f), "bytes": f.stat().st_size}
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
        "versions": _versions(),
        "platform": platform.platform(),
        "backend": backend.name,
        "worker_versions": getattr(backend, "worker_versions", None),
        "config": {
            "path": config.source, "sha256": _sha256_file(config_path) if config_path and config_path.is_file() else None,
            "settings": {**config.model_dump(mode="json"), "store": _redact(config.store)},
        },
        "model": {"path": _rel(config.model_path, base), "sha256": _sha256_file(config.model_path),
                  "spec_sha256": hashlib.sha256(spec.model_dump_json().encode("utf-8")).hexdigest(), "name": spec.name},
        "settings": {**dataclasses.asdict(settings), "engine": "pls", "permutations": 0},
        "seed": settings.seed,
        "seed_derivation": "SeedSequence([seed, *first 4 little-endian uint32 words of sha256('csi-survey batch\\x1fWAVE\\x1fCOLUMN\\x1fVALUE')]) "
                           "-> 2 uint32 -> 64-bit integer mod 2**63 (column '' and value '(total)' for the whole wave)",
        "waves": wave_info,
        "counts": {"segments": len(units), **counts},
        "store": {"url": _redact(store_url), "waves_written": store_waves, "error": store_error} if store_url else None,
        "tasks": [{"wave": u.wave, "segment": u.segment, "folder": u.folder, "n": u.n, "seed": u.seed, "task": u.key,
                   "status": records[u.key]["status"]} for u in units],
    }


def _write_combined(out: Path, spec: Any, config: BatchConfig, history: pd.DataFrame, segments: pd.DataFrame, manifest: dict,
                    waves: list[str], counts: dict) -> list[Path]:
    from .analysis import _lang
    from .report.atomic import AtomicOutput
    from .report.csv import write_csv
    from .report.xlsx import write_workbook

    lang = _lang(spec, config.lang)
    t = _TEXTS[lang]
    construct = spec.index or spec.construct_ids[-1]
    waves_in = [w for w in waves if w in set(history["wave"])]
    facts = [
        (t["model"], spec.name), (t["index"], f"{spec.label(construct)} ({construct})"), (t["waves"], ", ".join(waves)),
        (t["segments"], f"{len(segments):,}"), (t["estimated"], f"{counts['estimated']:,}"),
        (t["failed"], f"{counts['failed']:,}" + (f" (+{counts['failed_waves']} wave(s))" if counts.get("failed_waves") else "")),
        (t["skipped"], f"{counts['skipped']:,}"), (t["resamples"], f"{config.bootstrap.resamples:,}"),
        (t["seed"], str(config.bootstrap.seed)),
    ]
    summary = pd.DataFrame(facts, columns=["field", "value"]).astype({"value": str})
    with AtomicOutput(out) as staged:
        write_csv(history, staged.path(HISTORY_FILE))
        write_csv(segments, staged.path(SEGMENTS_FILE))
        write_workbook(staged.path(OVERVIEW_XLSX), _overview_sheets(spec, history, segments, waves_in, summary),
                       title=f"{spec.name}: batch overview")
        html = _overview_html(spec, history, segments, waves_in, facts, lang, config.bootstrap.level)
        staged.path(OVERVIEW_HTML).write_text(html, encoding="utf-8")
        staged.path(MANIFEST_FILE).write_bytes(_json_bytes(manifest))
    return [out / n for n in (HISTORY_FILE, SEGMENTS_FILE, OVERVIEW_XLSX, OVERVIEW_HTML, MANIFEST_FILE)]
