"""Planning a batch: the waves read once each, one unit per wave × segment with its data, seed and
cache key, and the units packed into work units of similar cost.

Each wave is split once per segment column (:func:`split_wave`): one grouping of the labels
(``pd.factorize`` and a stable ``argsort``), one take of every per-respondent part in segment
order, and one pass assigning the wave's excluded rows and flags to the segments (by row number).
A segment is then a contiguous slice (:meth:`WaveSplit.segment`), so the preparation grows
linearly with the rows and the segments (about 1 ms per segment; before, every segment scanned
the whole wave: a mask, ``segments.subset``, ``isin`` over the excluded rows and flags, so 2,000
segments of 300 respondents took 5 × longer per segment than 500). The data are identical to
:func:`csi_survey.segments.subset` with the segment's mask — values, dtypes and the memory
layout of the answers, so the estimates do not change in the last bits — with the segment's own
excluded rows, flags and counts. Work units (:class:`TaskList`) are built when they are sent, so
only those being computed hold their segments' data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
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
from ..report.atomic import file_sha256
from ..segments import take_rows
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
    "take_rows",
    "WaveSplit",
    "split_wave",
    "segment_data",
    "unit_key",
    "TaskList",
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
    splits: dict[str, WaveSplit] = field(default_factory=dict)  # segment column → the wave split by it (split_wave)


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


#: The SHA-256 of a file (hex): one implementation, :func:`csi_survey.report.atomic.file_sha256`.
sha256_file = file_sha256


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
# A wave is split once per segment column (:func:`split_wave`): its respondents are put in segment
# order with one take of every per-respondent part, so that each segment is a contiguous range, and
# its excluded rows and flags are assigned to the segments in one pass. A segment's data is then a
# slice of that (:meth:`WaveSplit.segment`): the preparation costs O(rows) per segment column plus a
# small constant per segment, instead of a scan of the whole wave per segment. The data are
# identical to those of :func:`csi_survey.segments.subset` with the segment's mask (same values,
# dtypes and memory layout of the answers), with the segment's own excluded rows, flags and counts.
def _group(labels: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Positions in label order (stable: ascending within a label) and label → its range of them
    (labels in order of appearance)."""
    codes, uniques = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    bounds = np.cumsum(counts) + int(np.count_nonzero(codes < 0))  # unlabelled positions (none: labels are text) first
    starts = bounds - counts
    return order, {str(u): (int(a), int(b)) for u, a, b in zip(uniques, starts, bounds)}


def label_positions(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Label → the (sorted) positions where it occurs, in one pass (labels in order of appearance)."""
    order, bounds = _group(labels)
    return {label: order[a:b] for label, (a, b) in bounds.items()}


def _ranges(codes: np.ndarray, labels: list[str]) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Positions of the entries with a code ≥ 0 in code order (stable) and label k → its range."""
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.argsort(codes[keep], kind="stable")]
    counts = np.bincount(codes[keep], minlength=len(labels))
    bounds = np.cumsum(counts)
    return order, {label: (int(b - c), int(b)) for label, b, c in zip(labels, bounds, counts)}


@dataclass
class WaveSplit:
    """One wave split by one segment column (:func:`split_wave`); :meth:`segment` gives a segment's data.

    Picklable: a Dask worker builds the segments of its tasks from the split, which is sent to the
    cluster once (not in the task graph)."""

    column: str
    data: Any                                   # the wave's SurveyData, respondents in segment order
    bounds: dict[str, tuple[int, int]]          # label → its respondents: rows a:b of ``data``
    order: np.ndarray                           # their positions among the wave's used respondents
    raw_pos: dict[str, np.ndarray] | None       # label → positions of its rows among the rows read (None: unknown)
    excluded: pd.DataFrame | None = None        # the excluded rows of each segment, in segment order
    excluded_bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    flags: pd.DataFrame | None = None           # the flags of each segment's rows, in segment order
    flag_bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    empty: np.ndarray | None = None             # per row of ``excluded``: left out as an empty row
    invalid: np.ndarray | None = None           # per row of ``excluded``: left out for an invalid value
    flag_rows: dict[str, dict[tuple[Any, Any], int]] = field(default_factory=dict)  # label → (flag, action) → rows flagged
    wave_rows: np.ndarray | None = None         # fallback (row numbers not unique): the rows read, per position
    whole: Any = None                           # fallback: the wave's tables as read
    _tables: dict[str, tuple] = field(default_factory=dict, repr=False)  # label → tables() (each used twice)
    _whole_tables: _WaveTables | None = field(default=None, repr=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_tables"], state["_whole_tables"] = {}, None  # caches: rebuilt where needed
        return state

    def positions(self, label: str) -> np.ndarray:
        """The positions of the segment's respondents among the wave's used respondents (ascending)."""
        a, b = self.bounds[label]
        return self.order[a:b]

    def raw_positions(self, label: str) -> np.ndarray | None:
        """The positions of the segment's rows among the rows read (None: unknown)."""
        return None if self.raw_pos is None else self.raw_pos.get(label, np.empty(0, dtype=np.int64))

    def tables(self, label: str) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
        """The segment's excluded rows, flags and rows read."""
        if label in self._tables:
            return self._tables[label]
        n_used = self.bounds[label][1] - self.bounds[label][0]
        if self.excluded is None:  # row numbers not unique: by row number, as the rows of a segment
            raw = self.raw_positions(label)
            rows = self.wave_rows[raw] if raw is not None else np.asarray(self.data.row[slice(*self.bounds[label])], dtype=np.int64)
            whole = self.whole
            excluded = whole.excluded[whole.excluded["row"].isin(rows).to_numpy()].reset_index(drop=True)
            flags = None if whole.flags is None else whole.flags[whole.flags["row"].isin(rows).to_numpy()].reset_index(drop=True)
        else:
            a, b = self.excluded_bounds[label]
            excluded = self.excluded.iloc[a:b].reset_index(drop=True)
            flags = None
            if self.flags is not None:
                a, b = self.flag_bounds[label]
                flags = self.flags.iloc[a:b].reset_index(drop=True)
        raw = self.raw_positions(label)
        self._tables[label] = excluded, flags, len(raw) if raw is not None else n_used + len(excluded)
        return self._tables[label]

    def segment(self, label: str) -> Any:
        """The wave's data restricted to the segment, with the segment's own excluded rows and counts."""
        a, b = self.bounds[label]
        d = self.data
        sub = dataclasses.replace(
            d,
            items=d.items.iloc[a:b].reset_index(drop=True).copy(),  # a copy: the memory layout of a take
            respondent_id=d.respondent_id.iloc[a:b].reset_index(drop=True),
            row=np.array(d.row[a:b]),
            other=d.other.iloc[a:b].reset_index(drop=True),
            imputed=None if d.imputed is None else np.array(d.imputed[a:b]),
            weight=None if d.weight is None else np.array(d.weight[a:b]),
        )
        excluded, flags, n_read = self.tables(label)
        if self.excluded is None:
            empty, invalid = (int(kind.sum()) for kind in _reason_kinds(excluded))
            flagged = _flag_rows(flags)
        else:
            ea, eb = self.excluded_bounds[label]
            empty, invalid = int(self.empty[ea:eb].sum()), int(self.invalid[ea:eb].sum())
            flagged = self.flag_rows.get(label, {})
        if self._whole_tables is None:
            self._whole_tables = _wave_tables(d)
        return dataclasses.replace(sub, excluded=excluded, flags=flags, n_read=n_read,
                                   missing=_segment_missing(self._whole_tables, sub.imputed, excluded),
                                   quality_summary=_segment_quality(self._whole_tables, flagged, empty, invalid, n_read))


def _reason_kinds(excluded: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    reasons = [str(r) for r in excluded["reason"].to_numpy(dtype=object)]
    return (np.fromiter((r.startswith("empty row") for r in reasons), dtype=bool, count=len(reasons)),
            np.fromiter((r.startswith("invalid value") for r in reasons), dtype=bool, count=len(reasons)))


def _flag_rows(flags: pd.DataFrame | None) -> dict[tuple[Any, Any], int]:
    """(flag, action) → number of distinct rows with it."""
    counts: dict[tuple, set] = {}
    if flags is not None and len(flags):
        for row, flag, action in zip(flags["row"].to_numpy(), flags["flag"].to_numpy(dtype=object),
                                     flags["action"].to_numpy(dtype=object)):
            counts.setdefault((flag, action), set()).add(row)
    return {k: len(v) for k, v in counts.items()}


def _flag_rows_by_segment(flags: pd.DataFrame, codes: np.ndarray, labels: list[str]) -> dict[str, dict[tuple[Any, Any], int]]:
    """label → (flag, action) → number of distinct rows with it (``codes``: the segment of each flag)."""
    counts: dict[int, dict[tuple, set]] = {}
    for s, row, flag, action in zip(codes.tolist(), flags["row"].to_numpy(), flags["flag"].to_numpy(dtype=object),
                                    flags["action"].to_numpy(dtype=object)):
        counts.setdefault(s, {}).setdefault((flag, action), set()).add(row)
    return {labels[s]: {k: len(v) for k, v in c.items()} for s, c in counts.items()}


def split_wave(wave: Wave, column: str) -> WaveSplit:
    """Split a wave by a segment column once (cached on the wave): every segment a contiguous range."""
    if column in wave.splits:
        return wave.splits[column]
    data = wave.data
    order, bounds = _group(wave.labels[column])
    raw = wave.raw_labels.get(column)
    raw_pos = None
    if raw is not None:
        raw_order, raw_bounds = _group(raw)
        raw_pos = {label: raw_order[a:b] for label, (a, b) in raw_bounds.items()}
    split = WaveSplit(column, take_rows(data, order), bounds, order, raw_pos)
    # the rows of each segment: those read (when the column is known there) or those used
    rows = wave.raw_rows if raw_pos is not None else np.asarray(data.row, dtype=np.int64)
    index = pd.Index(rows)
    if not index.is_unique:  # never with rows read by read_table; kept correct all the same
        split.wave_rows, split.whole = wave.raw_rows, data
        wave.splits[column] = split
        return split
    labels = list(bounds)
    member = np.full(len(rows), -1, dtype=np.int64)
    for k, label in enumerate(labels):
        member[split.positions(label) if raw_pos is None else split.raw_positions(label)] = k

    def assign(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[int, int]], np.ndarray]:
        at = index.get_indexer(table["row"].to_numpy())
        codes = np.where(at >= 0, member[np.maximum(at, 0)], -1) if len(at) else np.empty(0, dtype=np.int64)
        pos, ranges = _ranges(codes, labels)
        return table.iloc[pos].reset_index(drop=True), ranges, codes[pos]

    split.excluded, split.excluded_bounds, _ = assign(data.excluded)
    split.empty, split.invalid = _reason_kinds(split.excluded)
    if data.flags is not None:
        split.flags, split.flag_bounds, codes = assign(data.flags)
        split.flag_rows = _flag_rows_by_segment(split.flags, codes, labels)
    wave.splits[column] = split
    return split


def segment_data(wave: Wave, unit: Unit) -> Any:
    """The wave's data restricted to the segment, with the segment's own excluded rows and counts."""
    if not unit.column:
        return wave.data
    return split_wave(wave, unit.column).segment(unit.value)


_LISTWISE = re.compile(r"missing answer in listwise mode: (.*?)(?:;|$)")


@dataclass
class _WaveTables:
    """What the ``missing`` and ``data_quality`` tables of a wave's segments take from the whole
    wave's tables, read once."""

    missing: dict[str, Any]                # column → values of the wave's ``missing`` table
    missing_index: pd.Index
    items: list
    listwise: bool
    quality: dict[str, Any] | None         # column → values of the wave's ``quality_summary``
    quality_index: pd.Index | None
    rules: list[tuple[Any, Any, Any]]      # flag, n_checked, n_not_checked of the wave
    notes: Any


def _wave_tables(data: Any) -> _WaveTables:
    summary = data.quality_summary
    quality = rules = notes = None
    if summary is not None:
        quality = {c: summary[c].array for c in summary.columns}
        rules = list(zip(summary["flag"].tolist(), summary["n_checked"].tolist(), summary["n_not_checked"].tolist()))
        notes = pd.Series(["" if not str(n) else f"whole wave: {n}" for n in summary["note"].fillna("")], index=summary.index).array
    return _WaveTables({c: data.missing[c].array for c in data.missing.columns}, data.missing.index, data.missing["item"].tolist(),
                       data.missing_method not in ("mean", "model"), quality, None if summary is None else summary.index,
                       rules or [], notes)


def _segment_missing(tables: _WaveTables, imputed: np.ndarray | None, excluded: pd.DataFrame) -> pd.DataFrame:
    """``missing`` counted on the segment: answers replaced among its respondents (``imputed``, its
    rows), or with listwise deletion its respondents left out for a missing answer, per item."""
    p = len(tables.items)
    if not tables.listwise:  # mean or model replacement
        replaced = np.asarray(imputed).sum(axis=0).astype(np.int64) if imputed is not None else np.zeros(p, np.int64)
        n_missing, n_replaced = replaced, replaced
    else:  # listwise: the segment's respondents left out for a missing answer, per item
        counts = dict.fromkeys(tables.items, 0)
        key = {str(i).strip().casefold(): i for i in tables.items}
        for reason in excluded["reason"]:
            m = _LISTWISE.search(str(reason))
            if m:
                for col in m.group(1).split(", "):
                    item = key.get(col.strip().casefold())
                    if item is not None:
                        counts[item] += 1
        n_missing = np.asarray([counts[i] for i in tables.items], dtype=np.int64)
        n_replaced = np.zeros(p, dtype=np.int64)
    # the whole wave's table with the two counts replaced (built at once: cheaper than setting columns)
    columns = dict(tables.missing)
    columns["n_missing"], columns["n_replaced"] = n_missing, n_replaced
    return pd.DataFrame(columns, index=tables.missing_index)


def _segment_quality(tables: _WaveTables, flagged_rows: dict[tuple[Any, Any], int], empty: int, invalid: int,
                     n_read: int) -> pd.DataFrame | None:
    """``data_quality`` counted on the segment's rows: flagged and excluded respondents from its
    flags (``flagged_rows``: (flag, action) → distinct rows); respondents checked when the wave
    checked all or none of its candidates (else empty); ``empty``/``invalid``: its rows left out as
    empty or for an invalid value."""
    if tables.quality is None:
        return None
    checked, not_checked, flagged, dropped = [], [], [], []
    for flag, n_checked, n_not in tables.rules:
        flagged.append(flagged_rows.get((flag, "flagged"), 0))
        dropped.append(flagged_rows.get((flag, "excluded"), 0))
        active = n_read - empty - (0 if flag == "invalid_value" else invalid)
        if int(n_not) == 0:
            checked.append(active), not_checked.append(0)
        elif int(n_checked) == 0:
            checked.append(0), not_checked.append(active)
        else:
            checked.append(pd.NA), not_checked.append(pd.NA)
    columns = dict(tables.quality)  # the whole wave's table with the counts replaced
    columns["n_checked"] = pd.array(checked, dtype="Int64")
    columns["n_flagged"] = np.asarray(flagged, dtype=np.int64)
    columns["n_excluded"] = np.asarray(dropped, dtype=np.int64)
    columns["n_not_checked"] = pd.array(not_checked, dtype="Int64")
    columns["note"] = tables.notes
    return pd.DataFrame(columns, index=tables.quality_index)


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
        excluded, flags, n_read = split_wave(wave, unit.column).tables(unit.value)
    else:
        h.update(wave.items.tobytes())
        h.update(wave.row_hash.tobytes())
        excluded, flags, n_read = data.excluded, data.flags, data.n_read
    for frame in (excluded, flags):
        _frame_digest(h, frame)
    h.update(str(n_read).encode())
    return h.hexdigest()


# ====================================================================== work units
class TaskList(Sequence[Task]):
    """The work units of a batch, each built when it is asked for (``tasks[k]``): its jobs' data are
    cut out of the waves then (``make_job``), so that only the work units being computed are held
    in memory, and the first one starts without waiting for the others."""

    def __init__(self, groups: list[list[Unit]], settings: Settings, make_job: Callable[[Unit], Job], out: str | None = None):
        self.groups = groups
        self.settings = settings
        self.make_job = make_job
        self.out = out

    def __len__(self) -> int:
        return len(self.groups)

    def __getitem__(self, k: int) -> Task:  # type: ignore[override]
        return Task(self.settings, tuple(self.make_job(u) for u in self.groups[k]), self.out)


def pack(units: list[Unit], settings: Settings, workers: int, make_job: Callable[[Unit], Job], out: str | None = None) -> TaskList:
    """Work units of similar cost: small segments together, large ones alone (``make_job`` builds
    each unit's :class:`Job` when its work unit is built)."""
    groups: list[list[Unit]] = []
    if units:
        cost = {u.key: u.n * (settings.resamples + 25) + 40_000 for u in units}
        total = sum(cost.values())
        target = max(total / max(1, workers * TASKS_PER_WORKER), 1.0)
        current: list[Unit] = []
        acc = 0.0
        for u in units:
            current.append(u)
            acc += cost[u.key]
            if acc >= target or len(current) >= MAX_UNITS_PER_TASK:
                groups.append(current)
                current, acc = [], 0.0
        if current:
            groups.append(current)
    return TaskList(groups, settings, make_job, out)
