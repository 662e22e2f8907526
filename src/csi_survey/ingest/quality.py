"""Data-quality rules: duplicate respondents, straight-lining, speeders, too many missing answers.

The detectors are pure, vectorised functions on the parsed answer matrix (or on one column);
:func:`check_rules` runs the rules a questionnaire's ``quality:`` section switches on and returns,
per rule, the respondents it found with a readable detail. :func:`~csi_survey.ingest.prepare`
turns these into ``SurveyData.flags`` and, for rules with policy ``"exclude"``, into exclusions.

The rules (each with a policy ``"off"`` — not run, ``"flag"`` — respondent kept and listed in the
flags, ``"exclude"`` — respondent left out, listed in the flags *and* in ``excluded``):

``duplicates`` (default ``"flag"``)
    With an ``id_column``: every respondent whose id (text compared after stripping spaces) was
    already seen in an earlier row is a duplicate; the first occurrence is kept. Rows with an empty
    id are not checked (counted in the summary). Without an ``id_column``: a duplicate is a row whose
    cells are identical to an earlier row in *every* column of the table (items and all other
    columns). A table holding only the item columns is then not checked at all: two respondents
    giving the same answers (straight-liners in particular) are not evidence of a double submission.
    Only respondents still in the data are compared (empty rows and rows excluded for invalid
    answers are not), so the copy that is kept is the first usable one.
``straightlining`` (off unless declared)
    The same answer on every item of a construct block with at least ``min_items`` items, judged on
    the answers as given (before reverse coding). Every item of the block must be answered: a block
    with a missing answer is not straight-lined. One flag per respondent and block.
``speeders`` (off unless declared)
    ``column`` read as a duration in seconds: numbers, numeric text, ``"HH:MM:SS"`` / ``"MM:SS"``
    text (optionally with fractional seconds), Chinese durations (``"136秒"`` as 问卷星's 所用时间,
    ``"1分23秒"``, ``"1小时2分3秒"``, ``"2分钟"``), Excel time or duration cells; numbers follow the one
    rule of :mod:`csi_survey.ingest.values` (full-width digits are digits, other scripts are not). A
    duration below ``min_seconds`` is a speeder. Rows whose duration is empty, a missing code,
    negative or unreadable are not speeders; they are counted as *not checked* in the summary.
    A rule that cannot run is refused: when **no** respondent's duration can be read and some
    values are there (text such as ``"fast"``, dates), a
    :class:`~csi_survey.exceptions.DataValidationError` names the column, the values it could not
    read and the formats accepted. When every value is empty (or a missing code) the rule checks
    nobody and says so with a :class:`~csi_survey.exceptions.CsiSurveyWarning` (shown on the
    console): an empty column is a known absence (e.g. a wave without recorded durations), not a
    misreading. When some durations are read and others are not, the rule runs on the readable
    ones and a warning gives the count and the first values it could not read.
``missing`` (off unless declared)
    More than ``max_share`` of the model's items unanswered (empty cells, missing codes and, with
    ``on_invalid="flag"``, invalid answers), before any missing-value treatment.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import CsiSurveyWarning, DataValidationError
from .values import FULLWIDTH, blank_mask, text_numbers, value_numbers

__all__ = [
    "FLAG_COLUMNS",
    "SUMMARY_COLUMNS",
    "RULES",
    "RuleResult",
    "RuleInputs",
    "key_codes",
    "text_keys",
    "row_keys",
    "duplicates",
    "straightlining",
    "parse_durations",
    "Durations",
    "read_durations",
    "DURATION_FORMATS",
    "speeders",
    "missing_share",
    "check_rules",
]

#: Columns of ``SurveyData.flags``.
FLAG_COLUMNS = ("row", "respondent_id", "flag", "detail", "action")
#: Columns of ``SurveyData.quality_summary``.
SUMMARY_COLUMNS = ("flag", "policy", "n_checked", "n_flagged", "n_excluded", "n_not_checked", "note")
#: Flag name → how an exclusion reason starts.
RULES = {
    "invalid_value": "invalid value",
    "duplicate": "duplicate",
    "straightlining": "straight-lining",
    "speeder": "speeder",
    "too_many_missing": "too many missing answers",
}

_DURATION = r"^(?:([0-9]+):)?([0-9]+):([0-9]+(?:\.[0-9]*)?)$"
_DURATION_ZH = r"^(?:([0-9]+)\s*(?:小时|时))?\s*(?:([0-9]+)\s*分钟?)?\s*(?:([0-9]+(?:\.[0-9]*)?)\s*秒钟?)?$"
#: The duration formats the speeders rule reads (for messages).
DURATION_FORMATS = ("seconds (125)", "clock time (2:05, 1:02:05)", "Chinese (125秒, 2分5秒, 1小时2分)", "Excel time cells")
_MAX_VALUES_IN_MESSAGE = 8


@dataclass(frozen=True)
class RuleResult:
    """What one rule found.

    ``pos`` are row positions in the table (a respondent appears once per hit: straight-lining
    gives one hit per block), ``detail`` one readable text per hit.
    """

    flag: str
    policy: str
    pos: np.ndarray
    detail: list[str]
    n_checked: int = 0
    n_not_checked: int = 0
    note: str = ""

    @property
    def n_respondents(self) -> int:
        return int(np.unique(self.pos).size)


# ====================================================================== detectors
def key_codes(s: pd.Series) -> np.ndarray:
    """An integer per cell, equal for equal cells (text compared after stripping); -1 for empty cells."""
    if ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype):
        idx, uniq = pd.factorize(s, use_na_sentinel=True)
        # text stripped, other values (numbers in an object column) as they are; one pass over the distinct cells
        norm = pd.Series([v.strip() if isinstance(v, str) else v for v in np.asarray(uniq, dtype=object)], dtype=object)
        norm = norm.where(norm.ne(""), None)  # whitespace-only text is empty
        u_codes, _ = pd.factorize(norm, use_na_sentinel=True)
        return np.append(u_codes, -1).astype(np.int64)[idx]  # idx -1 (empty) picks the appended -1
    codes, _ = pd.factorize(s, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def text_keys(texts: np.ndarray) -> np.ndarray:
    """An integer per text, equal for equal texts; -1 for the empty text."""
    codes, uniq = pd.factorize(np.asarray(texts, dtype=object))
    codes = np.asarray(codes, dtype=np.int64)
    empty = np.flatnonzero(np.asarray(uniq, dtype=object) == "")
    if empty.size:
        codes[codes == empty[0]] = -1
    return codes


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """An integer per row, equal for rows whose cells are identical in every column (empty = empty)."""
    key = np.zeros(len(frame), dtype=np.int64)
    for k in range(frame.shape[1]):
        codes = key_codes(frame.iloc[:, k]) + 1  # 0 = empty
        width = int(codes.max()) + 1 if codes.size else 1
        key, _ = pd.factorize(key * width + codes)  # re-numbered after every column: no overflow
        key = np.asarray(key, dtype=np.int64)
    return key


def duplicates(keys: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Among the ``active`` rows with a key (≥ 0): the positions repeating an earlier row's key, and
    the position of that earlier (first) row."""
    pos = np.flatnonzero(active & (keys >= 0))
    if pos.size == 0:
        return pos, pos
    _, first_idx, inverse = np.unique(keys[pos], return_index=True, return_inverse=True)
    first = pos[first_idx][np.asarray(inverse).ravel()]
    dup = first != pos
    return pos[dup], first[dup]


def straightlining(values: np.ndarray, blocks: Sequence[Sequence[int]]) -> np.ndarray:
    """``n × len(blocks)``: True where every item (column) of the block is answered with one value."""
    out = np.zeros((values.shape[0], len(blocks)), dtype=bool)
    for b, cols in enumerate(blocks):
        block = values[:, list(cols)]
        with np.errstate(invalid="ignore"):
            out[:, b] = ~np.isnan(block).any(axis=1) & (block.max(axis=1) == block.min(axis=1))
    return out


def parse_durations(
    s: pd.Series,
    missing: Callable[[np.ndarray], np.ndarray] | None = None,
    missing_text: Sequence[str] = (),
) -> np.ndarray:
    """Durations in seconds (NaN where empty, a missing code, negative or unreadable).

    Accepts numbers (seconds), numeric text, ``"HH:MM:SS"``/``"MM:SS"`` text (seconds may have a
    fraction; with hours, minutes must be below 60; seconds always below 60), Chinese text
    (``"136秒"``, ``"1分23秒"``, ``"1小时2分3秒"``, ``"2分钟"``: any value per unit), timedelta values and
    time-of-day values (Excel duration cells). ``missing`` maps an array of numbers to a boolean
    "is a missing code" mask; ``missing_text`` lists text codes (compared after stripping).
    """
    return _durations(s, missing, missing_text)[0]


@dataclass(frozen=True)
class Durations:
    """The speeders rule's duration column, read: ``seconds`` (NaN where not usable) and
    ``unreadable`` (a value is there, is not a missing code, but is no duration: text such as
    ``"fast"``, a negative number, a date), with the column's name and raw cells for messages."""

    column: str
    seconds: np.ndarray
    unreadable: np.ndarray
    cells: pd.Series


def read_durations(s: pd.Series, codes=None, column: object = None) -> Durations:
    """:func:`parse_durations` of a column, keeping which values could not be read.
    ``codes``: a :class:`~csi_survey.ingest.values.CodeSet` of missing codes (None: none)."""
    missing = None if codes is None else codes.is_missing
    texts = () if codes is None else codes.texts
    sec, unreadable = _durations(s, missing, texts)
    return Durations(str(s.name if column is None else column), sec, unreadable, s.reset_index(drop=True))


def _durations(s: pd.Series, missing, missing_text: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and the unreadable mask (see :class:`Durations`)."""
    dtype = s.dtype
    present = ~blank_mask(s)
    code = np.zeros(len(s), dtype=bool)
    if ptypes.is_timedelta64_dtype(dtype):
        sec = s.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    elif ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.DatetimeTZDtype) or ptypes.is_datetime64_any_dtype(dtype):
        sec = np.full(len(s), np.nan)
    elif ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        sec = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        # numbers and numeric text by the one rule (values.py); the rest (clock text, codes, time objects) per distinct value
        sec = value_numbers(s).copy()
        rest = np.flatnonzero(np.isnan(sec) & present)
        if rest.size:
            idx, uniq = pd.factorize(s.iloc[rest], use_na_sentinel=True)
            u_sec, u_code = _parse_duration_values(np.asarray(uniq, dtype=object), missing_text)
            sec[rest] = np.append(u_sec, np.nan)[idx]
            code[rest] = np.append(u_code, False)[idx]
        sec[code] = np.nan
    if missing is not None:
        is_code = missing(sec)
        code |= is_code
        sec = np.where(is_code, np.nan, sec)
    with np.errstate(invalid="ignore"):
        sec = np.where(np.isfinite(sec) & (sec >= 0), sec, np.nan)
    return sec, present & ~code & np.isnan(sec)


def _parse_duration_values(values: np.ndarray, missing_text: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per distinct non-numeric value, and whether the value is a text missing code."""
    u = pd.Series(values, dtype=object)
    stripped = u.str.strip()  # NaN for values that are not text
    is_text = stripped.notna().to_numpy()
    code = stripped.isin(list(missing_text)).to_numpy(dtype=bool, na_value=False)
    stripped = stripped.str.translate(FULLWIDTH)  # full-width digits are digits (values.py); other scripts are not
    sec = text_numbers(stripped)
    clock = is_text & np.isnan(sec) & ~code
    if clock.any():
        parts = stripped[clock].str.extract(_DURATION)
        h = pd.to_numeric(parts[0], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
        m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        sc = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        has_h = parts[0].notna().to_numpy()
        ok = (sc < 60) & (~has_h | (m < 60))
        sec[clock] = np.where(ok, h * 3600 + m * 60 + sc, np.nan)
        zh = clock & np.isnan(sec)
        if zh.any():
            parts = stripped[zh].str.extract(_DURATION_ZH)
            some = parts.notna().any(axis=1).to_numpy()
            h, m, sc = (pd.to_numeric(parts[k], errors="coerce").fillna(0).to_numpy(dtype=np.float64) for k in range(3))
            sec[zh] = np.where(some, h * 3600 + m * 60 + sc, np.nan)
    for k in np.flatnonzero(~is_text):  # timedelta / time objects from workbooks
        v = values[k]
        if isinstance(v, (_dt.timedelta, pd.Timedelta)):
            sec[k] = v.total_seconds()
        elif isinstance(v, _dt.time):
            sec[k] = v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6
    return sec, code


def speeders(seconds: np.ndarray, min_seconds: float) -> np.ndarray:
    """True where the duration is known and below ``min_seconds``."""
    with np.errstate(invalid="ignore"):
        return ~np.isnan(seconds) & (seconds < min_seconds)


def missing_share(missing: np.ndarray) -> np.ndarray:
    """Per row, the share of the items (columns of the boolean matrix) that are missing."""
    if missing.shape[1] == 0:
        return np.zeros(missing.shape[0])
    return missing.sum(axis=1) / missing.shape[1]


# ====================================================================== rules
@dataclass
class RuleInputs:
    """What :func:`check_rules` needs from the prepared table (positions are table rows)."""

    active: np.ndarray  # rows still in the data
    values: np.ndarray  # n × p answers as given (NaN = missing), before reverse coding
    missing: np.ndarray  # n × p: unanswered
    blocks: dict[str, tuple[str, list[int]]]  # construct id → (display name, column indexes)
    row_numbers: np.ndarray
    id_keys: Callable[[], np.ndarray] | None  # per row key of the id column (-1 empty); None without id_column
    id_text: Callable[[np.ndarray], np.ndarray]  # positions → id texts
    row_keys: Callable[[], np.ndarray | None] = field(default=lambda: None)  # identical-row keys, None if not checkable
    n_columns: int = 0
    durations: np.ndarray | Durations | None = None  # seconds, or read_durations(...) (refuses a rule that cannot run)
    where: str = "the data"  # the file (and sheet), for messages


def check_rules(rules, inputs: RuleInputs) -> list[RuleResult]:
    """Run the rules of a :class:`~csi_survey.schema.QualityRules` (policy "off"/None: not run,
    reported with zero counts). Every rule sees the same rows (``inputs.active``)."""
    out: list[RuleResult] = []
    active = inputs.active
    n_active = int(active.sum())

    # ---- duplicates
    policy = rules.duplicates
    if policy == "off":
        out.append(RuleResult("duplicate", "off", _NONE, []))
    elif inputs.id_keys is not None:
        keys = inputs.id_keys()
        pos, first = duplicates(keys, active)
        no_id = int((active & (keys < 0)).sum())
        ids = inputs.id_text(pos)
        detail = [f"respondent id {i!r} already in row {r}" for i, r in zip(ids, inputs.row_numbers[first].tolist())]
        out.append(RuleResult("duplicate", policy, pos, detail, n_checked=n_active - no_id, n_not_checked=no_id,
                              note=f"{no_id} respondent(s) without an id" if no_id else ""))
    else:
        keys = inputs.row_keys()
        if keys is None:
            out.append(RuleResult("duplicate", policy, _NONE, [], n_not_checked=n_active,
                                  note="not checked: no id_column and no column besides the items"))
        else:
            pos, first = duplicates(keys, active)
            detail = [f"identical to row {r} in all {inputs.n_columns} columns" for r in inputs.row_numbers[first].tolist()]
            out.append(RuleResult("duplicate", policy, pos, detail, n_checked=n_active,
                                  note="no id_column: rows identical in every column"))

    # ---- straight-lining
    rule = rules.straightlining
    if rule is None or rule.policy == "off":
        out.append(RuleResult("straightlining", "off", _NONE, []))
    else:
        blocks = [(cid, name, cols) for cid, (name, cols) in inputs.blocks.items() if len(cols) >= rule.min_items]
        if not blocks:
            out.append(RuleResult("straightlining", rule.policy, _NONE, [], n_not_checked=n_active,
                                  note=f"not checked: no construct has {rule.min_items} or more items"))
        else:
            hits = straightlining(inputs.values, [cols for _, _, cols in blocks]) & active[:, None]
            pos, b = np.nonzero(hits)  # row-major: by row, then by block
            answer = inputs.values[pos, np.asarray([blocks[k][2][0] for k in b], dtype=np.int64)] if pos.size else np.empty(0)
            texts: dict[tuple[int, float], str] = {}
            detail = []
            for k, v in zip(b.tolist(), answer.tolist()):
                t = texts.get((k, v))
                if t is None:
                    _, name, cols = blocks[k]
                    t = texts[(k, v)] = f"same answer ({_num(v)}) on all {len(cols)} items of {name}"
                detail.append(t)
            out.append(RuleResult("straightlining", rule.policy, pos.astype(np.int64), detail, n_checked=n_active,
                                  note="blocks: " + ", ".join(cid for cid, _, _ in blocks)))

    # ---- speeders
    rule = rules.speeders
    if rule is None or rule.policy == "off" or inputs.durations is None:
        out.append(RuleResult("speeder", "off", _NONE, []))
    else:
        sec = _usable_durations(inputs.durations, rule, inputs)
        fast = speeders(sec, rule.min_seconds) & active
        pos = np.flatnonzero(fast)
        unknown = int((active & np.isnan(sec)).sum())
        limit = _num(rule.min_seconds)
        detail = [f"interview took {_num(x)} s, less than {limit} s" for x in sec[pos].tolist()]
        out.append(RuleResult("speeder", rule.policy, pos, detail, n_checked=n_active - unknown, n_not_checked=unknown,
                              note=f"{unknown} respondent(s) without a usable duration in {rule.column!r}" if unknown else ""))

    # ---- too many missing answers
    rule = rules.missing
    if rule is None or rule.policy == "off":
        out.append(RuleResult("too_many_missing", "off", _NONE, []))
    else:
        share = missing_share(inputs.missing)
        pos = np.flatnonzero(active & (share > rule.max_share))
        p = inputs.missing.shape[1]
        k_missing = inputs.missing[pos].sum(axis=1).tolist()
        limit = f"{rule.max_share:.0%}"
        detail = [f"{k} of {p} items unanswered ({k / p:.0%} > {limit})" for k in k_missing]
        out.append(RuleResult("too_many_missing", rule.policy, pos, detail, n_checked=n_active))
    return out


_NONE = np.zeros(0, dtype=np.int64)


def _usable_durations(durations, rule, inputs: RuleInputs) -> np.ndarray:
    """The seconds of the speeders rule; refuses a rule that cannot run and warns about values it
    could not read (the policy of the module docstring). ``durations``: :class:`Durations` or seconds."""
    if not isinstance(durations, Durations):
        return durations
    active = inputs.active
    sec = durations.seconds
    bad = durations.unreadable & active
    n_active = int(active.sum())
    n_read = int((active & ~np.isnan(sec)).sum())
    if not bad.any():
        if n_active and n_read == 0:
            warnings.warn(
                f"The speeders rule checked nobody: the duration column {durations.column!r} of {inputs.where} is empty "
                f"(or a missing code) for all {n_active} respondent(s)",
                CsiSurveyWarning, stacklevel=3,
            )
        return sec
    pos = np.flatnonzero(bad)
    texts = pd.Series([_cell(v) for v in durations.cells.iloc[pos].tolist()], dtype=object)
    counts = texts.value_counts(sort=True)
    shown = ", ".join(f"{t!r} ({k})" for t, k in counts.head(_MAX_VALUES_IN_MESSAGE).items())
    more = f", and {len(counts) - _MAX_VALUES_IN_MESSAGE} other value(s)" if len(counts) > _MAX_VALUES_IN_MESSAGE else ""
    accepted = "; ".join(DURATION_FORMATS)
    if n_read == 0:
        table = pd.DataFrame({
            "row": inputs.row_numbers[pos].astype(np.int64),
            "respondent_id": inputs.id_text(pos),
            "column": durations.column,
            "value": texts.to_numpy(dtype=object),
            "problem": "not a duration",
        })
        raise DataValidationError(
            f"The speeders rule cannot run: no interview duration in column {durations.column!r} of {inputs.where} "
            f"can be read ({pos.size} of {n_active} respondent(s) have values that are not durations: {shown}{more}); "
            f"durations are read as {accepted}",
            table,
            hint=f"write the durations in one of these formats, declare codes such as 'unknown' as missing values, "
            f"set quality.speeders.column to the column holding the interview duration (now {rule.column!r}), or "
            f"switch the rule off (quality.speeders.policy: off).",
        )
    warnings.warn(
        f"The speeders rule could not read the interview duration of {pos.size} of {n_active} respondent(s) in column "
        f"{durations.column!r} of {inputs.where} ({shown}{more}); they are not checked. Durations are read as {accepted}",
        CsiSurveyWarning, stacklevel=3,
    )
    return sec


def _cell(v: object) -> str:
    if isinstance(v, (float, np.floating)) and not np.isnan(v):
        return _num(v)
    return str(v)


def _num(x: float) -> str:
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"
