"""Excel workbook output.

:func:`write_workbook` writes one worksheet per :class:`Sheet`: an optional note line, a bold
header with a light fill, a frozen header row, an autofilter, column widths fitted to the content
(Chinese characters count as two) and number formats chosen from the column names.

Every text cell (data, column names, note) goes through :func:`~csi_survey.report.safe.safe_text`
and is written with ``write_string``, and the workbook is created with XlsxWriter's
``strings_to_formulas``/``strings_to_numbers``/``strings_to_urls`` turned off, so a label such as
``=HYPERLINK(...)`` can never become a formula, a number or a link. Numbers are stored as numbers,
missing values as empty cells.

How the file is produced
------------------------
XlsxWriter writes the workbook (openpyxl is only used to *read* workbooks). It runs in
``constant_memory`` mode: each row is flushed to a temporary file as soon as the next one starts,
so memory stays flat however large the table is, and text is stored as inline strings. Rows must
therefore be written in order: note, header, then the data, row by row. Number formats are set
on the columns (XlsxWriter applies a column's format to the cells written without one), and each
column is written with one ``write_number`` / ``write_string`` / ``write_boolean`` method chosen
from its dtype; only columns of mixed (``object``) dtype are dispatched cell by cell. The
temporary files live in a private folder that is removed whatever happens.

:func:`write_sheet` writes one :class:`Sheet` into an open ``xlsxwriter.Workbook`` and returns
the worksheet and the table's position (:class:`TableRange`), so that native Excel charts can be
added to it; :func:`open_workbook` opens and saves such a workbook.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError, FileSizeError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ..exceptions import ReportError
from .safe import safe_frame, safe_text

__all__ = [
    "Sheet",
    "write_workbook",
    "Formats",
    "TableRange",
    "open_workbook",
    "write_sheet",
    "sheet_names",
    "check_size",
    "display_text",
    "text_width",
]

#: Excel limits (lengths in UTF-16 code units, as Excel counts them).
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767

#: Column widths (in characters, as Excel shows them) are clamped to this range.
MIN_WIDTH = 8
MAX_WIDTH = 60

HEADER_FORMAT = {"bold": True, "pattern": 1, "bg_color": "#DDEBF7"}
NOTE_FORMAT = {"italic": True}

#: Text never becomes a formula, a number or a hyperlink, whichever method writes it.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

#: Integers beyond 2**53 lose digits as Excel numbers (IEEE doubles): they are written as text, so
#: that a cell shows the whole integer (e.g. a 64-bit bootstrap seed that must reproduce the run).
MAX_EXACT_INT = 2**53

#: Rows converted to Python values at a time (bounds memory for big tables).
_CHUNK_ROWS = 5_000

_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
#: Characters XML 1.0 cannot hold (control characters, lone surrogates, non-characters).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: East Asian wide/full-width characters (CJK ideographs, kana, hangul, full-width forms): they
#: take two character widths in a spreadsheet column.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0002fffd\U00030000-\U0003fffd]"
)
_FIXED_DECIMALS = re.compile(r"^0(?:\.(0+))?$")


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a workbook.

    Attributes
    ----------
    name:
        Sheet name. Excel allows at most 31 characters and none of ``[]:*?/\\``; invalid
        characters are replaced by ``_``, long names are shortened and duplicates (Excel compares
        names case-insensitively) get a `` (2)``, `` (3)`` … suffix.
    table:
        The data (its index is not written: ``reset_index()`` first to keep it), or ``None`` for
        a sheet holding only the note.
    note:
        A line of text shown in A1 (italic) above the table, which then starts in row 3.
    number_formats:
        Column name → Excel number format (e.g. ``{"share": "0.0%"}``), overriding the defaults:
        ``index``, ``ci_lower``, ``ci_upper`` and ``*_index`` → ``0.0``; ``n``, ``row``, ``n_*``
        and integer columns → ``0``; other float columns → ``0.000``; anything else → General.
        Names that are not columns of the table are ignored.
    headers:
        Column name → the header text shown instead of the name (e.g. a Chinese header for
        ``ci_lower``); number formats still follow the column *names*. Unlisted columns show
        their names.
    """

    name: str
    table: pd.DataFrame | None
    note: str | None = None
    number_formats: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[Any, str] = field(default_factory=dict)


# -- text helpers ------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    """Length as Excel counts it: characters above U+FFFF take two UTF-16 units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _clip(text: str, limit: int) -> str:
    """The longest prefix of ``text`` of at most ``limit`` UTF-16 units."""
    if len(text) <= limit // 2 or _utf16_len(text) <= limit:
        return text
    length = 0
    for position, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > limit:
            return text[:position]
    return text  # pragma: no cover - the length check above returned already


def display_text(value: Any) -> str:
    """Text as stored in a cell: formula-safe, without characters XML cannot hold, ≤ 32,767."""
    text = _ILLEGAL_XML.sub("\ufffd", safe_text(str(value)))
    if len(text) > MAX_CELL_TEXT // 2 and _utf16_len(text) > MAX_CELL_TEXT:
        text = _clip(text, MAX_CELL_TEXT - 1) + "…"
    return text


def text_width(text: str) -> int:
    """Width of a text in a spreadsheet column, in characters: wide (CJK) characters count 2."""
    return len(text) + len(_WIDE.findall(text))


def _column_text_width(strings: pd.Series) -> int:
    """Widest entry of a column of strings (missing values ignored), wide characters count 2."""
    strings = strings.dropna()
    if strings.empty:
        return 0
    strings = strings.astype(str)
    widths = strings.str.len() + strings.str.count(_WIDE.pattern)
    return int(widths.max())


# -- sheet names -------------------------------------------------------------------------------


def sheet_names(names: Sequence[Any]) -> list[str]:
    """Valid, unique (case-insensitively) Excel sheet names, in order."""
    used: set[str] = set()
    result: list[str] = []

    def taken(candidate: str) -> bool:
        return candidate.casefold() in used or candidate.lower() in used

    for raw in names:
        base = _INVALID_SHEET_CHARS.sub("_", _ILLEGAL_XML.sub("", str(raw)))
        base = base.strip("'")  # Excel forbids a leading or trailing apostrophe
        if not base.strip():
            base = "Sheet"
        if base.casefold() == "history":  # reserved by Excel
            base = "History_"
        candidate = _clip(base, MAX_SHEET_NAME).rstrip("'")
        number = 2
        while taken(candidate):
            suffix = f" ({number})"
            candidate = _clip(base, MAX_SHEET_NAME - len(suffix)).rstrip("'") + suffix
            number += 1
        used.update((candidate.casefold(), candidate.lower()))
        result.append(candidate)
    return result


# -- number formats ----------------------------------------------------------------------------


def _default_number_format(name: str, dtype: Any) -> str | None:
    key = name.lower()
    if key in ("index", "ci_lower", "ci_upper") or key.endswith("_index"):
        return "0.0"
    if key in ("n", "row") or key.startswith("n_"):
        return "0"
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return "0"
    if pd.api.types.is_float_dtype(dtype):
        return "0.000"
    return None


def _number_format(
    raw_name: Any, name: str, dtype: Any, overrides: Mapping[Any, str]
) -> str | None:
    for key in (raw_name, name):
        try:
            if key in overrides:
                return str(overrides[key])
        except TypeError:  # an unhashable label
            continue
    return _default_number_format(name, dtype)


def _formatted_width(value: float, number_format: str | None) -> int:
    """Width of a number as Excel shows it (approximately)."""
    match = _FIXED_DECIMALS.match(number_format or "")
    if match:
        decimals = len(match.group(1) or "")
        return len(f"{value:.{decimals}f}")
    if float(value).is_integer() and abs(value) < 1e11:
        return len(str(int(value)))
    return min(len(repr(float(value))), 11)  # General shows at most ~11 characters


class Formats:
    """The cell formats of one workbook, each created once."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self.header = workbook.add_format(HEADER_FORMAT)
        self.note = workbook.add_format(NOTE_FORMAT)
        self._numbers: dict[str, Format] = {}

    def number(self, number_format: str | None) -> Format | None:
        """The cell format of an Excel number format (None: no format)."""
        if number_format is None:
            return None
        if number_format not in self._numbers:
            self._numbers[number_format] = self._workbook.add_format({"num_format": number_format})
        return self._numbers[number_format]


# -- columns -----------------------------------------------------------------------------------

#: ``writer(row, col, value)``: writes one non-missing cell.
_Writer = Callable[[int, int, Any], Any]

_INF_TEXT = {math.inf: display_text("inf"), -math.inf: display_text("-inf")}


@dataclass
class _Column:
    """One table column, ready to be written: its values and how to write them.

    ``kind`` is ``"bool"``, ``"int"``, ``"float"`` (finite or NaN), ``"float_inf"`` (with ±inf,
    written as text), ``"text"`` or ``"any"`` (mixed values, dispatched cell by cell).
    """

    kind: str
    values: np.ndarray
    number_format: str | None
    width: float

    def chunk(self, start: int, stop: int) -> list[Any]:
        """Python values of the rows ``start:stop``; ``None`` for an empty cell."""
        values = self.values[start:stop]
        if self.kind in ("bool", "int"):
            return values.tolist()
        if self.kind in ("float", "float_inf"):
            missing = np.isnan(values)
            infinite = np.isinf(values) if self.kind == "float_inf" else None
            if not missing.any() and (infinite is None or not infinite.any()):
                return values.tolist()
            cells = values.astype(object)
            cells[missing] = None
            if infinite is not None:
                cells[infinite & (values > 0)] = _INF_TEXT[math.inf]
                cells[infinite & (values < 0)] = _INF_TEXT[-math.inf]
            return cells.tolist()
        if self.kind == "text":
            return [display_text(v) if v else None for v in values.tolist()]
        return values.tolist()

    def writer(self, worksheet: Worksheet) -> _Writer:
        if self.kind == "bool":
            return worksheet.write_boolean
        if self.kind in ("int", "float"):
            return worksheet.write_number
        if self.kind == "text":
            return worksheet.write_string
        if self.kind == "float_inf":
            return _float_or_text_writer(worksheet)
        return _any_writer(worksheet)


def _float_or_text_writer(worksheet: Worksheet) -> _Writer:
    write_number, write_string = worksheet.write_number, worksheet.write_string

    def write(row: int, col: int, value: Any) -> None:
        if value.__class__ is str:  # ±inf, already turned into text by _Column.chunk
            write_string(row, col, value)
        else:
            write_number(row, col, value)

    return write


def _any_writer(worksheet: Worksheet) -> _Writer:
    """Writer for columns of mixed values (``object`` dtype, categoricals, dates …)."""
    write_number = worksheet.write_number
    write_string = worksheet.write_string
    write_boolean = worksheet.write_boolean

    def write_text(row: int, col: int, text: str) -> None:
        if text:
            write_string(row, col, display_text(text))

    def write(row: int, col: int, value: Any) -> None:
        if value is pd.NA or value is pd.NaT:
            return
        if isinstance(value, (bool, np.bool_)):
            write_boolean(row, col, bool(value))
        elif isinstance(value, (int, np.integer)):
            number = int(value)
            if abs(number) > MAX_EXACT_INT:  # a double would drop digits: keep the exact integer as text
                write_text(row, col, str(number))
            else:
                write_number(row, col, number)
        elif isinstance(value, (float, np.floating)):
            number = float(value)
            if math.isfinite(number):
                write_number(row, col, number)
            elif number == number:  # ±inf
                write_string(row, col, _INF_TEXT[number])
        elif isinstance(value, str):
            write_text(row, col, value)
        else:
            try:
                if pd.isna(value) is True:  # NaT of numpy, Decimal("NaN") …
                    return
            except (TypeError, ValueError):
                pass
            write_text(row, col, str(value))  # dates, Decimal, lists …: shown as text

    return write


def _prepare_column(series: pd.Series, header: str, number_format: str | None) -> _Column:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        kind, values = "bool", series.to_numpy()
        data_width = 5 if len(values) else 0
    elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        kind = "float" if dtype.kind == "f" else "int"
        values = series.to_numpy()
        if kind == "int" and len(values) and (values.max() > MAX_EXACT_INT or values.min() < -MAX_EXACT_INT):
            return _prepare_column(series.astype(object), header, number_format)  # exact integers as text
        data_width = 0
        numbers = values.astype("float64") if kind == "float" else values
        finite = numbers[np.isfinite(numbers)] if kind == "float" else numbers
        if len(finite):
            data_width = max(
                _formatted_width(finite.min(), number_format),
                _formatted_width(finite.max(), number_format),
            )
        if kind == "float" and np.isinf(numbers).any():
            kind = "float_inf"
            data_width = max(data_width, 5)
    elif isinstance(dtype, pd.StringDtype) or (
        dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string"
    ):
        kind, values = "text", series.to_numpy(dtype=object, na_value=None)
        data_width = _column_text_width(series)
    else:
        kind, values = "any", series.to_numpy(dtype=object)
        data_width = _column_text_width(series)
    width = max(text_width(header) + 3, data_width + 2)  # +3: room for the filter button
    return _Column(kind, values, number_format, float(min(max(width, MIN_WIDTH), MAX_WIDTH)))


def _column_names(columns: pd.Index) -> list[str]:
    if isinstance(columns, pd.MultiIndex):
        return [" / ".join(str(part) for part in label if str(part) != "") for label in columns]
    return [str(label) for label in columns]


# -- worksheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRange:
    """Where a table was written, in XlsxWriter's zero-based (row, column) numbers.

    The header is in row ``header_row``, columns ``0`` to ``last_col``; the data in rows
    ``first_row`` to ``last_row`` (``last_row == header_row`` when the table has no rows).
    """

    sheet: str
    header_row: int
    first_row: int
    last_row: int
    last_col: int
    columns: tuple[str, ...]  # the header texts, as written

    def column(self, position: int) -> list[Any]:
        """The data cells of one column, as an XlsxWriter chart reference (``values``,
        ``categories``): ``[sheet, first_row, position, last_row, position]``."""
        if not 0 <= position <= self.last_col:
            raise IndexError(f"column {position} is not in the table of sheet {self.sheet!r}")
        return [self.sheet, self.first_row, position, self.last_row, position]


def check_size(sheet: Sheet, name: str) -> None:
    """Raise :class:`ReportError` if the table of ``sheet`` does not fit in an Excel sheet."""
    if sheet.table is None:
        return
    n_rows, n_cols = sheet.table.shape
    header_row = 3 if sheet.note else 1  # one-based
    if header_row + n_rows > MAX_ROWS or n_cols > MAX_COLUMNS:
        raise ReportError(
            f"the table of sheet {name!r} has {n_rows:,} rows × {n_cols:,} columns, more than an "
            f"Excel sheet holds ({MAX_ROWS:,} rows × {MAX_COLUMNS:,} columns)",
            hint="write this table as CSV instead, or split it.",
        )


def write_sheet(
    workbook: xlsxwriter.Workbook, formats: Formats, sheet: Sheet, name: str
) -> tuple[Worksheet, TableRange | None]:
    """Add ``sheet`` to ``workbook`` as the worksheet ``name`` (a valid, unused sheet name, see
    :func:`sheet_names`).

    Returns the worksheet and where its table is, or ``None`` for a sheet without a table.
    """
    check_size(sheet, name)
    ws = workbook.add_worksheet(name)
    header_row = 0
    if sheet.note:
        ws.write_string(0, 0, display_text(sheet.note), formats.note)
        header_row = 2
    table = sheet.table
    if table is None or table.shape[1] == 0:
        return ws, None

    n_rows, n_cols = table.shape
    raw_names = list(table.columns)
    names = _column_names(table.columns)
    safe = safe_frame(table)
    headers: list[str] = []
    columns: list[_Column] = []
    for position, (raw, label) in enumerate(zip(raw_names, names)):
        header = display_text(_shown_header(sheet.headers, raw, label))
        ws.write_string(header_row, position, header, formats.header)
        series = safe.iloc[:, position]
        number_format = _number_format(raw, label, series.dtype, sheet.number_formats)
        column = _prepare_column(series, header, number_format)
        ws.set_column(position, position, column.width, formats.number(number_format))
        headers.append(header)
        columns.append(column)

    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, header_row + n_rows, n_cols - 1)
    _write_rows(ws, columns, header_row + 1, n_rows)
    return ws, TableRange(
        ws.get_name(), header_row, header_row + 1, header_row + n_rows, n_cols - 1, tuple(headers)
    )


def _shown_header(headers: Mapping[Any, str], raw: Any, label: str) -> str:
    """The header text of a column: ``headers[raw]`` (or ``headers[label]``) when given, else its name."""
    for key in (raw, label):
        try:
            if key in headers:
                return str(headers[key])
        except TypeError:  # an unhashable label
            continue
    return label


def _write_rows(ws: Worksheet, columns: list[_Column], first_row: int, n_rows: int) -> None:
    """Write the data row by row (``constant_memory`` mode needs rows in order)."""
    writers = [column.writer(ws) for column in columns]
    for start in range(0, n_rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_rows)
        chunks = [column.chunk(start, stop) for column in columns]
        for row, values in enumerate(zip(*chunks), start=first_row + start):
            for col, value in enumerate(values):
                if value is not None:  # an empty cell: nothing to write
                    writers[col](row, col, value)


# -- workbook ----------------------------------------------------------------------------------


def _write_error(path: Path, error: BaseException) -> ReportError:
    reason = getattr(error, "strerror", None) or error
    return ReportError(
        f"cannot write the workbook {path}: {reason}",
        hint="close the file if it is open in Excel, and check that the folder exists, that you "
        "may write to it and that the disk is not full.",
    )


def _abandon(workbook: xlsxwriter.Workbook) -> None:
    """Close the temporary files of a workbook that will not be saved.

    XlsxWriter has no public way to drop a workbook: in ``constant_memory`` mode each worksheet
    keeps its rows in an open temporary file until :meth:`~xlsxwriter.Workbook.close`. Left
    open, they are only closed by the garbage collector (with a ``ResourceWarning``), and on
    Windows the temporary folder could not be removed.
    """
    for worksheet in workbook.worksheets():
        close = getattr(worksheet, "_opt_close", None)  # private: best effort only
        if close is None or getattr(worksheet, "row_data_fh", None) is None:
            continue
        try:
            close()
        except Exception:  # never hide the error that made us give up the workbook
            pass


@contextmanager
def open_workbook(
    path: str | Path, *, title: str | None = None
) -> Iterator[tuple[xlsxwriter.Workbook, Formats]]:
    """An XlsxWriter workbook writing to ``path``, with its formats and document properties.

    The workbook is saved when the ``with`` block ends. If the block or the saving fails, the
    partial file is removed (a partial workbook is worse than none) and a file-system error is
    raised as :class:`ReportError`.
    """
    path = Path(path)
    try:
        handle = open(path, "wb")
    except OSError as error:
        raise _write_error(path, error) from error
    try:
        with handle, tempfile.TemporaryDirectory(
            prefix="csi-survey-xlsx-", ignore_cleanup_errors=True
        ) as tmpdir:
            workbook = xlsxwriter.Workbook(handle, {**WORKBOOK_OPTIONS, "tmpdir": tmpdir})
            try:
                properties = {"author": "csi-survey"}
                if title:
                    properties["title"] = _ILLEGAL_XML.sub("\ufffd", str(title))
                workbook.set_properties(properties)
                yield workbook, Formats(workbook)
                workbook.close()
            except BaseException:
                _abandon(workbook)
                raise
    except BaseException as error:
        try:
            os.remove(path)
        except OSError:
            pass
        if isinstance(error, FileCreateError):
            cause = error.args[0] if error.args else error
            raise _write_error(path, cause) from error
        if isinstance(error, OSError):
            raise _write_error(path, error) from error
        if isinstance(error, FileSizeError):
            raise ReportError(
                f"the workbook {path} would be larger than 4 GB",
                hint="write the large tables as CSV instead.",
            ) from error
        raise


def write_workbook(path: str | Path, sheets: Sequence[Sheet], *, title: str | None = None) -> None:
    """Write ``sheets`` (in order) as an Excel workbook at ``path``.

    Each sheet gets: the note in A1 (italic) if set, the table header (bold, light fill) in row 1,
    or row 3 below a note, a frozen pane below the header, an autofilter over the table, column
    widths from the content (CJK characters count as two; between 8 and 60), and number formats
    (see :class:`Sheet`). Text is formula-safe and stored as string cells; NaN/None are empty
    cells; ±inf are written as the text ``inf`` / ``'-inf``; booleans as booleans; dates and other
    objects as text. ``title`` sets the document title property.

    The file is written directly at ``path``; use :class:`~csi_survey.report.atomic.AtomicOutput`
    to replace an existing report atomically. If writing fails half-way the partial file is
    removed.

    Raises
    ------
    ReportError
        If the file cannot be written or a table does not fit in an Excel sheet (checked before
        the file is created).
    """
    sheets = list(sheets)
    if not sheets:
        raise ReportError("a workbook needs at least one sheet", hint="pass at least one Sheet.")
    for sheet in sheets:
        if not isinstance(sheet, Sheet):
            raise TypeError(f"expected Sheet objects, got {type(sheet).__name__}")
        if sheet.table is not None and not isinstance(sheet.table, pd.DataFrame):
            raise TypeError(
                f"Sheet {sheet.name!r}: table must be a DataFrame or None, "
                f"got {type(sheet.table).__name__}"
            )
    names = sheet_names([s.name for s in sheets])
    for sheet, name in zip(sheets, names):
        check_size(sheet, name)

    with open_workbook(path, title=title) as (workbook, formats):
        for sheet, name in zip(sheets, names):
            write_sheet(workbook, formats, sheet, name)
