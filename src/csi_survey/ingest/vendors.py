"""Layouts of survey-tool exports: detection, header rows, question texts, codes.

:func:`~csi_survey.ingest.readers.read_table` reads the cells of a sheet or CSV file; this module
says how the first rows of that grid are to be understood. Layouts (``format``):

``qualtrics`` (CSV, TSV or XLSX)
    Three header rows: row 1 the column ids (``StartDate``, ``Duration (in seconds)``, ``ResponseId``,
    ``Q1``, ``Q2_1``, …), row 2 the question texts (matrix rows as ``Question - Row``), row 3 the
    import ids as JSON (``{"ImportId":"QID1"}``). Data start on row 4. Detected when at least half
    of the non-empty cells of row 3 are ``{"ImportId": …}``. The older "legacy" export (two header
    rows: ids — or ``V1``, ``V2``, … — then texts; detected by ``ResponseID`` with ``ResponseSet``
    in row 1, or ``V1`` in row 1 with ``ResponseID`` in row 2) is read with data from row 3. Column
    names are the row-1 ids, :attr:`RawTable.question_text` the row-2 texts, and
    ``missing_values["*"] = [-99]`` (Qualtrics' code for "seen but unanswered").
``surveymonkey`` (XLSX or CSV, "All responses data")
    Two header rows. Row 1: the respondent section (``Respondent ID``, ``Collector ID``,
    ``Start Date``, ``End Date``, ``IP Address``, ``Email Address``, ``First Name``, ``Last Name``,
    ``Custom Data 1``) then one cell per question, left blank over the 2nd…nth column of a question
    that spans several columns (matrix rows, multiple answers, "Other (please specify)"); row 2:
    blank under the respondent section, ``Response`` / ``Open-Ended Response`` under a one-column
    question, the row or answer label under each column of a multi-column question. Row 1 is
    filled forward over the blank cells of a question. Column names: the question text for a
    one-column question whose row 2 is ``Response``/``Open-Ended Response``/blank, else
    ``question - row-2 text``; in the respondent section the row-1 text (or the row-2 text when
    row 1 is blank there). :attr:`RawTable.question_text` holds each column's question. Data start
    on row 3 (on row 2 when the cell under ``Respondent ID`` in row 2 is filled in: a file saved
    without the second header row). Detected by ``Respondent ID`` and ``Collector ID`` in row 1.
``googleforms`` (CSV from "Download responses", or the linked Google Sheet as XLSX)
    One header row whose first cell is ``Timestamp`` (or its translation in the form's language);
    the other headers are the questions, grid questions as ``Title [Row]``. An answer column whose
    non-empty cells are all numbers or labelled numbers (``10 - Extremely satisfied``,
    ``1 – Not at all``, ``5: Very good``) becomes numeric, and the labels go to
    :attr:`RawTable.value_labels`. A label must start with a non-digit and a hyphen needs a space on
    one side at least, so that ``2-3 times a week`` stays text.
``spss`` (``.sav``/``.zsav``, read with pyreadstat)
    Numeric codes as values; variable labels → ``question_text``; value labels → ``value_labels``;
    user-missing values → ``missing_values``: discrete codes as themselves, ranges as ``(lo, hi)``
    tuples (inclusive; ``LOWEST``/``HIGHEST`` as ``-inf``/``inf``). Row numbers are SPSS case
    numbers (first case = 1).
``wjx`` / ``wenjuan`` / ``tencent`` (XLSX or CSV)
    问卷星, 问卷网 and 腾讯问卷 exports: see :mod:`csi_survey.ingest.cn_platforms` (one header row,
    metadata columns by name, questions renamed ``QN`` / ``QN_k``, Chinese answer scales).
``csv`` / ``xlsx``
    One header row, no interpretation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputFileError
from . import cn_platforms
from .safety import limit_hint

__all__ = [
    "FORMATS",
    "Layout",
    "detect",
    "layout",
    "labelled_numbers",
    "read_spss",
    "QUALTRICS_SEEN_UNANSWERED",
    "SURVEYMONKEY_RESPONDENT_COLUMNS",
    "TIMESTAMP_HEADERS",
]

#: Accepted values of ``read_table(format=...)``.
FORMATS = ("auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss", "googleforms", "wjx", "wenjuan", "tencent")

#: Qualtrics' code for a question that was displayed but not answered.
QUALTRICS_SEEN_UNANSWERED = -99

#: Row-1 headers of SurveyMonkey's respondent section.
SURVEYMONKEY_RESPONDENT_COLUMNS = (
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name", "Custom Data", "Custom Data 1", "Custom Data 2", "Custom Data 3",
)
_SM_META = {s.casefold() for s in SURVEYMONKEY_RESPONDENT_COLUMNS}
_SM_GENERIC = {"response", "open-ended response"}

#: First header of a Google Forms export, in the languages of the form.
TIMESTAMP_HEADERS = (
    "Timestamp", "Marca temporal", "Zeitstempel", "Horodateur", "Horodatage", "Carimbo de data/hora",
    "Informazioni cronologiche", "Indicatore temporale", "Tijdstempel", "Sygnatura czasowa", "Časová značka",
    "Tidsstempel", "Tidstämpel", "Aikaleima", "Zaman damgası", "Отметка времени", "Позначка часу",
    "Χρονική σήμανση", "חותמת זמן", "الطابع الزمني", "タイムスタンプ", "时间戳记", "時間戳記", "타임스탬프",
    "Dấu thời gian", "Cap waktu", "Stempel waktu", "ประทับเวลา",
)
_TIMESTAMPS = {s.casefold() for s in TIMESTAMP_HEADERS}

_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:')


@dataclass
class Layout:
    """How to read the first rows of a grid."""

    format: str
    header_rows: int
    names: list[str]
    question_text: dict[int, str] = field(default_factory=dict)  # column position → text
    missing_values: dict[str, list[Any]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)  # column position → metadata role (Chinese platforms)


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
    return str(v).strip()


def _row(head: Sequence[Sequence[object]], k: int, width: int) -> list[str]:
    if k >= len(head):
        return [""] * width
    r = [_text(v) for v in head[k]]
    return r + [""] * (width - len(r))


# ====================================================================== detection
def _is_qualtrics(head) -> bool:
    return _qualtrics_rows(head) is not None


def _qualtrics_rows(head) -> int | None:
    """3 (current export), 2 (legacy export) or None."""
    if len(head) >= 3:
        row3 = [t for t in (_text(v) for v in head[2]) if t]
        if row3:
            hits = sum(1 for t in row3 if _IMPORT_ID.match(t))
            if hits and hits * 2 >= len(row3):
                return 3
    if len(head) >= 2:
        row1 = {_text(v) for v in head[0]}
        row2 = {_text(v) for v in head[1]}
        first = _text(head[0][0]) if head[0] else ""
        if ("ResponseID" in row1 and "ResponseSet" in row1) or (first == "V1" and "ResponseID" in row2):
            return 2
    return None


def _is_surveymonkey(head, *, loose: bool = False) -> bool:
    if not head:
        return False
    row1 = {_text(v).casefold() for v in head[0]}
    if "respondent id" in row1 and "collector id" in row1:
        return True
    if loose:
        row2 = {_text(v).casefold() for v in head[1]} if len(head) > 1 else set()
        return "respondent id" in row1 or bool(row2 & _SM_GENERIC)
    return False


def _is_googleforms(head) -> bool:
    return bool(head) and bool(head[0]) and _text(head[0][0]).casefold() in _TIMESTAMPS


def detect(head: Sequence[Sequence[object]]) -> str | None:
    """The vendor layout of a grid from its first three rows (header row first), or None."""
    if _is_qualtrics(head):
        return "qualtrics"
    if _is_surveymonkey(head):
        return "surveymonkey"
    if _is_googleforms(head):
        return "googleforms"
    return cn_platforms.detect(head)


# ====================================================================== layouts
def layout(fmt: str, head: Sequence[Sequence[object]], where: str, *, explicit: bool) -> Layout:
    """The :class:`Layout` of ``fmt`` for a grid whose first rows are ``head``.

    With ``explicit`` (the user asked for ``fmt``), a grid that does not have the layout is refused
    with a message saying what was expected and what was found.
    """
    width = max((len(r) for r in head), default=0)
    row1 = _row(head, 0, width)
    if fmt == "qualtrics":
        rows = _qualtrics_rows(head)
        if rows is None:
            raise _not_layout(
                where, "Qualtrics",
                'row 3 should hold import ids such as {"ImportId":"QID1"} (or, in the legacy export, row 1 ResponseID '
                "and ResponseSet)",
                head,
            )
        texts = _row(head, 1, width)
        qt = {j: t for j, t in enumerate(texts) if t and j < width}
        return Layout("qualtrics", rows, row1, qt, {"*": [QUALTRICS_SEEN_UNANSWERED]})
    if fmt == "surveymonkey":
        if not _is_surveymonkey(head, loose=explicit):
            raise _not_layout(
                where, "SurveyMonkey",
                "row 1 should start with 'Respondent ID' and 'Collector ID', row 2 hold 'Response' or the answer "
                "options",
                head,
            )
        return _surveymonkey(head, width)
    if fmt == "googleforms":
        if not _is_googleforms(head):
            raise _not_layout(
                where, "Google Forms",
                "the first column should be the 'Timestamp' of each response",
                head,
            )
        qt = {j: t for j, t in enumerate(row1) if j > 0 and t}
        return Layout("googleforms", 1, row1, qt)
    if fmt in cn_platforms.CN_FORMATS:
        names, qt, roles = cn_platforms.header(fmt, head, where)
        return Layout(fmt, 1, names, qt, roles=roles)
    return Layout(fmt, 1, row1)


def _not_layout(where: str, vendor: str, expected: str, head) -> InputFileError:
    shown = []
    for k in range(min(3, len(head))):
        cells = [repr(_text(v)) for v in list(head[k])[:4]]
        more = ", …" if len(head[k]) > 4 else ""
        shown.append(f"row {k + 1}: {', '.join(cells)}{more}")
    found = "; ".join(shown) if shown else "no rows"
    return InputFileError(
        f"{where} does not look like a {vendor} export: {expected}. Found {found}",
        hint="leave out the format (format='auto', or no --format) to detect the layout, or choose the format "
        "the file was exported in (csv, xlsx, qualtrics, surveymonkey, spss, googleforms, wjx, wenjuan, tencent).",
    )


def _surveymonkey(head, width: int) -> Layout:
    row1 = _row(head, 0, width)
    row2 = _row(head, 1, width)
    if row1 and row1[0].casefold() == "respondent id" and row2 and row2[0]:
        # row 2 is already a respondent (its Respondent ID is filled in): a one-row header
        return Layout("surveymonkey", 1, row1, {j: t for j, t in enumerate(row1) if t.casefold() not in _SM_META})
    # each column belongs to the question whose row-1 cell is the last non-blank one at or left of it
    owner: list[int] = []
    current = -1
    for j in range(width):
        if row1[j]:
            current = j
        owner.append(current)
    n_cols = Counter(owner)
    names: list[str] = []
    qt: dict[int, str] = {}
    for j in range(width):
        o = owner[j]
        q = row1[o] if o >= 0 else ""
        sub = row2[j]
        folded = q.casefold()
        if o < 0 or folded in _SM_META or folded.startswith("custom data"):
            names.append(row1[j] or sub)  # respondent section: its own header, else the row-2 text
            continue
        if not sub or (sub.casefold() in _SM_GENERIC and n_cols[o] == 1):
            names.append(q)
        else:
            names.append(f"{q} - {sub}")
        qt[j] = q
    return Layout("surveymonkey", 2, names, qt)


# ====================================================================== Google Forms answers
_LABELLED = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)(?:\s*[:\u2013\u2014]\s*|\s+-\s*|-\s+)([^\d\s].*?)\s*$", re.S)
_NUMBER = re.compile(r"^\s*[+-]?\d+(?:\.\d+)?\s*$")


def _num(text: str) -> float | int:
    x = float(text.replace(",", "."))
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def labelled_numbers(s: pd.Series) -> tuple[pd.Series, dict[Any, str]] | None:
    """``"10 - Extremely satisfied"``-style answers → numbers and their labels, or None.

    The column qualifies when every non-empty cell is a number or a labelled number and at least
    one is labelled, and a number never carries two different labels. Decided per distinct value.
    """
    values = s.dropna()
    if values.empty:
        return None
    uniq = pd.unique(values.to_numpy(dtype=object))
    mapping: dict[object, float] = {}
    labels: dict[Any, str] = {}
    labelled = False
    for v in uniq:
        if isinstance(v, (bool, np.bool_)):
            return None
        if isinstance(v, (int, float, np.integer, np.floating)):
            mapping[v] = float(v)
            continue
        if not isinstance(v, str):
            return None
        if not v.strip():
            mapping[v] = np.nan
            continue
        if _NUMBER.match(v):
            mapping[v] = float(v)
            continue
        m = _LABELLED.match(v)
        if m is None:
            return None
        code = _num(m.group(1))
        label = m.group(2).strip()
        if labels.get(code, label) != label:
            return None
        labels[code] = label
        mapping[v] = float(code)
        labelled = True
    if not labelled:
        return None
    out = s.map(mapping, na_action="ignore").astype(np.float64)
    return out, dict(sorted(labels.items()))


# ====================================================================== SPSS
_HUGE = 1e300


def _code(v: object) -> object:
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if x <= -_HUGE:
            return -math.inf
        if x >= _HUGE:
            return math.inf
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def read_spss(path: Path, name: str, encoding: str | None, max_cells: int):
    """Read an SPSS ``.sav``/``.zsav`` file.

    Returns ``(frame, row_numbers, question_text, value_labels, missing_values)``.
    """
    import pyreadstat

    kw = {"encoding": encoding} if encoding else {}

    def fail(exc: BaseException) -> InputFileError:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if encoding and (isinstance(exc, LookupError) or "encoding" in str(exc).lower()):
            return InputFileError(
                f"{name} cannot be read with the encoding {encoding!r} ({detail})",
                hint="leave out the encoding (SPSS files record their own), or pass the encoding the file was "
                "saved with (e.g. cp1252, gbk).",
            )
        return InputFileError(
            f"{name} is not a readable SPSS data file ({detail})",
            hint="the file may be damaged or another format renamed to .sav; save it again from SPSS "
            "(File → Save As → SPSS Statistics .sav) or export CSV.",
        )

    try:
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True, **kw)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:
        raise fail(exc) from None
    n_rows = meta.number_rows if isinstance(meta.number_rows, int) and meta.number_rows > 0 else 0
    n_cols = int(meta.number_columns or 0)
    if n_rows * n_cols > max_cells:
        raise InputFileError(
            f"{name} was not read: it holds {n_rows:,} cases × {n_cols:,} variables = {n_rows * n_cols:,} cells, "
            f"more than the limit of {max_cells:,} cells (max_cells)",
            hint=limit_hint("max_cells") + ".",
        )
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, **kw)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:
        raise fail(exc) from None
    frame = frame.reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    question_text = {
        c: str(lbl).strip() for c, lbl in (meta.column_names_to_labels or {}).items() if lbl and str(lbl).strip()
    }
    value_labels = {
        c: {_code(k): str(v) for k, v in labels.items()}
        for c, labels in (meta.variable_value_labels or {}).items()
        if labels
    }
    missing: dict[str, list[Any]] = {}
    for c, ranges in (meta.missing_ranges or {}).items():
        codes: list[Any] = []
        for r in ranges or []:
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, str) or isinstance(hi, str):
                codes.extend(x for x in (lo, hi) if isinstance(x, str) and x not in codes)
            elif lo is not None and hi is not None:
                lo_c, hi_c = _code(lo), _code(hi)
                codes.append(lo_c if lo_c == hi_c else (lo_c, hi_c))
        if codes:
            missing[str(c)] = codes
    for c, values in (getattr(meta, "missing_user_values", None) or {}).items():
        missing.setdefault(str(c), []).extend(_code(v) for v in values)
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame, rows, question_text, value_labels, missing
