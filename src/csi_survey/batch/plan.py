"""Planning a batch: the waves read once each, one unit per wave × segment with its data, seed and
cache key, and the units packed into work units of similar cost.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.util import hash_pandas_object

from ..exceptions import CsiSurveyError, SettingsError
from ..ingest.columns import TOTAL_SEGMENT, cell_labels, segment_values
from ..ingest.prepare import prepare
from ..ingest.readers import RawTable, read_table
from ..ingest.weights import apply_weights
from ..segments import subset
from ..version import __version__
from .config import BatchConfig
from .tasks import Job, Settings, Task, one_line

__all__ = [
    "CACHE_FORMAT",
    "MAX_UNITS_PER_TASK",
    "TASKS_PER_WORKER",
    "Wave",
    "read_wave",
    "relative_path",
    "sha256_file",
    "unit_seed",
    "Unit",
    "label_positions",
    "segment_data",
    "unit_key",
    "pack",
]

#: Bump when the cache records or the outputs change in a way older records do not describe.
CACHE_FORMAT = 2  # 2: the index rows carry the bootstrap standard error (wave-change tests)
#: At most this many segments per work unit (keeps progress smooth and little work lost on a kill).
MAX_UNITS_PER_TASK = 32
#: Work units per worker aimed at (load balancing).
TASKS_PER_WORKER = 8


# ====================================================================== reading the waves
@dataclass
class Wave:
    """One wave of the batch: its files and, once read, its prepared data (or the error)."""

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


def _concat_raw(raws: list[Any], files: list[Path], base: Path) -> tuple[Any, list[dict]]:
    """One RawTable from several files with the same columns, rows numbered on (see the module docs)."""
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
                what.append("has " + ", ".join(map(repr, extra)) + f" that {relative_path(files[0], base)} does not have")
            problems.append(f"{relative_path(f, base)} {' and '.join(what)}")
        kinds = {first.format, raw.format}
        if len(kinds) > 1 and not kinds <= {"csv", "xlsx"}:
            problems.append(f"{relative_path(f, base)} is a {raw.format} export, {relative_path(files[0], base)} a {first.format} export")
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


def relative_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` (posix), or as it is when it is on another drive."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return str(path)


def read_wave(wave: Wave, config: BatchConfig, spec: Any) -> None:
    """Read and prepare one wave (all its files); problems become ``wave.error``."""
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
            data = apply_weights(data)
        labels, raw_labels = {}, {}
        for column in config.segments:
            used = segment_values(data, column)  # resolves the column; a clear error when it is absent
            labels[column] = np.asarray(used.to_numpy(dtype=object), dtype=object)
            raw_labels[column] = cell_labels(raw.frame[used.name]) if used.name in raw.frame.columns else None
        wave.data = data
        wave.raw_rows = np.asarray(raw.row_numbers, dtype=np.int64)
        wave.labels, wave.raw_labels = labels, raw_labels
        wave.items = np.ascontiguousarray(data.items.to_numpy(dtype=np.float64))
        wave.row_hash = _row_hashes(data)
    except CsiSurveyError as error:
        wave.error = str(error)
    except Exception as error:  # a bug or a resource problem: this wave fails, the others go on
        wave.error = f"internal error ({type(error).__name__}: {one_line(str(error))})"


# ====================================================================== fingerprints
def _row_hashes(data: Any) -> np.ndarray:
    """One 64-bit hash per used respondent of everything but the answers (ids, rows, other columns, weights)."""
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


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file (hex)."""
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


# ====================================================================== units
@dataclass
class Unit:
    """One wave × segment."""

    order: int
    wave: str
    column: str        # "" for the total
    value: str         # TOTAL_SEGMENT for the total
    folder: str        # relative to out, posix
    n: int
    seed: int
    pos: np.ndarray | None = None       # positions of the segment's respondents among the wave's used respondents
    raw_pos: np.ndarray | None = None   # positions of the segment's rows among the rows read (None: unknown)
    key: str = ""
    status: str | None = None           # set when known without computing (skipped)

    @property
    def segment(self) -> str:
        """``"column=value"``, or ``"(total)"`` for the whole wave."""
        return TOTAL_SEGMENT if not self.column else f"{self.column}={self.value}"


# ====================================================================== per-segment data
def label_positions(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Label → the (sorted) positions where it occurs, in one pass (labels in order of appearance)."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))
    starts = np.concatenate([[0], bounds[:-1]])
    return {str(u): order[a:b] for u, a, b in zip(uniques, starts, bounds)}


def segment_data(wave: Wave, unit: Unit) -> Any:
    """The wave's data restricted to the segment, with the segment's own excluded rows and counts."""
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


def _segment_tables(wave: Wave, unit: Unit, rows: np.ndarray, n_used: int) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
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


def _wave_digest(wave: Wave) -> bytes:
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


def unit_key(wave: Wave, unit: Unit, spec_hash: str, settings_hash: str) -> str:
    """The task key of a unit: a SHA-256 of its data, the spec, the settings, its seed and the version."""
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


# ====================================================================== work units
def pack(units: list[Unit], settings: Settings, workers: int, jobs: dict[str, Job], out: str | None = None) -> list[Task]:
    """Work units of similar cost: small segments together, large ones alone."""
    if not units:
        return []
    cost = {u.key: u.n * (settings.resamples + 25) + 40_000 for u in units}
    total = sum(cost.values())
    target = max(total / max(1, workers * TASKS_PER_WORKER), 1.0)
    tasks: list[Task] = []
    current: list[Job] = []
    acc = 0.0
    for u in units:
        current.append(jobs[u.key])
        acc += cost[u.key]
        if acc >= target or len(current) >= MAX_UNITS_PER_TASK:
            tasks.append(Task(settings, tuple(current), out))
            current, acc = [], 0.0
    if current:
        tasks.append(Task(settings, tuple(current), out))
    return tasks
