"""Excel workbook output.

:func:`write_workbook` writes one worksheet per :class:`Sheet`: an optional note line, a bold
header with a light fill, a frozen header row, an autofilter, column widths fitted to the content
(Chinese characters count as two) and number formats chosen from the column names.

Every text cell (data, column names, note) goes through :func:`~csi_survey.report.safe.safe_text`
and is stored as a *string* cell, so a label such as ``=HYPERLINK(...)`` can never become a
formula. Numbers are stored as numbers, missing values as empty cells.

How the file is produced
------------------------
openpyxl builds the workbook: sheets, note, header, styles, number formats, frozen panes,
autofilter, column widths and document properties. The data rows of each table are then streamed
into the worksheet XML by this module, column by column, because openpyxl serialises cells in
pure Python (without lxml) at ~7 µs per cell: a 100,000 × 15 table took 18–24 s with openpyxl
alone (normal or write-only mode), against ~3 s this way. The rows use only the simplest parts of
the format (numbers, booleans and inline strings with a style index registered by openpyxl).
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..exceptions import ReportError
from .safe import safe_frame, safe_text

__all__ = ["Sheet", "write_workbook"]

#: Excel limits.
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767

#: Column widths (in characters) are clamped to this range.
MIN_WIDTH = 8
MAX_WIDTH = 60

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
NOTE_FONT = Font(italic=True)

#: Rows serialised per chunk (bounds memory for big tables).
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
    """

    name: str
    table: pd.DataFrame | None
    note: str | None = None
    number_formats: Mapping[str, str] = field(default_factory=dict)


# -- text helpers ------------------------------------------------------------------------------


def _display_text(value: Any) -> str:
    """Text as stored in a cell: formula-safe, without characters XML cannot hold, ≤ 32,767."""
    text = _ILLEGAL_XML.sub("\ufffd", safe_text(str(value)))
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def _xml_escape(text: str) -> str:
    # "\r" as a character reference, otherwise XML parsers turn it into "\n".
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _text_width(text: str) -> int:
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


def _sheet_names(names: Sequence[Any]) -> list[str]:
    """Valid, unique (case-insensitively) Excel sheet names, in order."""
    used: set[str] = set()
    result: list[str] = []
    for raw in names:
        base = _INVALID_SHEET_CHARS.sub("_", _ILLEGAL_XML.sub("", str(raw)))
        base = base.strip("'")  # Excel forbids a leading or trailing apostrophe
        if not base.strip():
            base = "Sheet"
        if base.casefold() == "history":  # reserved by Excel
            base = "History_"
        candidate = base[:MAX_SHEET_NAME].rstrip("'")
        number = 2
        while candidate.casefold() in used:
            suffix = f" ({number})"
            candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip("'") + suffix
            number += 1
        used.add(candidate.casefold())
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


# -- columns -----------------------------------------------------------------------------------


@dataclass
class _Column:
    letter: str
    kind: str  # "float", "int", "bool", "text" or "any"
    values: np.ndarray
    style: str  # ' s="N"' (the number format's style index) or ""
    width: float


def _cell_text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_escape(text)}</t></is></c>'


def _cell_nonfinite(ref: str, value: float) -> str:
    if value != value:  # NaN: empty cell
        return ""
    return _cell_text(ref, _display_text("inf" if value > 0 else "-inf"))


def _cell_any(ref: str, value: Any, style: str) -> str:
    """Cell XML of a value of any type (columns of mixed or unusual dtype)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return f'<c r="{ref}"{style}><v>{int(value)}</v></c>'
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number):
            return f'<c r="{ref}"{style}><v>{number!r}</v></c>'
        return _cell_nonfinite(ref, number)
    if isinstance(value, str):
        return _cell_text(ref, _display_text(value)) if value else ""
    try:
        if pd.isna(value) is True:  # NaT of numpy, Decimal("NaN") …
            return ""
    except (TypeError, ValueError):
        pass
    text = str(value)  # dates, Decimal, lists …: shown as text
    return _cell_text(ref, _display_text(text)) if text else ""


def _encode(column: _Column, start: int, stop: int, rows: range) -> list[str]:
    """XML of the cells ``start:stop`` of a column ("" for an empty cell)."""
    letter, style = column.letter, column.style
    values = column.values[start:stop].tolist()
    if column.kind == "float":
        return [
            f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>'
            if v - v == 0  # finite
            else _cell_nonfinite(f"{letter}{r}", v)
            for v, r in zip(values, rows)
        ]
    if column.kind == "int":
        return [f'<c r="{letter}{r}"{style}><v>{v}</v></c>' for v, r in zip(values, rows)]
    if column.kind == "bool":
        return [f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>' for v, r in zip(values, rows)]
    if column.kind == "text":
        return [
            _cell_text(f"{letter}{r}", _display_text(v)) if v else "" for v, r in zip(values, rows)
        ]
    return [_cell_any(f"{letter}{r}", v, style) for v, r in zip(values, rows)]


def _prepare_column(
    series: pd.Series,
    letter: str,
    header: str,
    style: str,
    number_format: str | None,
) -> _Column:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        kind, values = "bool", series.to_numpy()
        data_width = 5 if len(values) else 0
    elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        kind = "float" if dtype.kind == "f" else "int"
        values = series.to_numpy()
        data_width = 0
        numbers = values.astype("float64") if kind == "float" else values
        finite = numbers[np.isfinite(numbers)] if kind == "float" else numbers
        if len(finite):
            data_width = max(
                _formatted_width(finite.min(), number_format),
                _formatted_width(finite.max(), number_format),
            )
        if kind == "float" and np.isinf(numbers).any():
            data_width = max(data_width, 5)
    elif isinstance(dtype, pd.StringDtype):
        kind, values = "text", series.to_numpy(dtype=object, na_value=None)
        data_width = _column_text_width(series)
    else:
        kind, values = "any", series.to_numpy(dtype=object)
        data_width = _column_text_width(series)
    width = max(_text_width(header) + 3, data_width + 2)  # +3: room for the filter button
    return _Column(letter, kind, values, style, float(min(max(width, MIN_WIDTH), MAX_WIDTH)))


# -- workbook ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What remains to be streamed into one worksheet after openpyxl has written it."""

    worksheet: Worksheet
    first_row: int
    n_rows: int
    columns: list[_Column]
    dimension: str


def _column_names(columns: pd.Index) -> list[str]:
    if isinstance(columns, pd.MultiIndex):
        return [" / ".join(str(part) for part in label if str(part) != "") for label in columns]
    return [str(label) for label in columns]


class _Styles:
    """Style indices of the data cells' number formats, registered in the workbook by openpyxl."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def style_id(self, ws: Worksheet, number_format: str) -> int:
        if number_format not in self._ids:
            cell = Cell(ws)  # a detached cell: registers the style without adding a cell to ws
            cell.number_format = number_format
            self._ids[number_format] = cell.style_id
        return self._ids[number_format]


def _build_sheet(ws: Worksheet, sheet: Sheet, styles: _Styles) -> _Plan | None:
    header_row = 1
    if sheet.note:
        note = ws.cell(row=1, column=1, value=_display_text(sheet.note))
        note.data_type = "s"
        note.font = NOTE_FONT
        header_row = 3
    table = sheet.table
    if table is None or table.shape[1] == 0:
        return None

    n_rows, n_cols = table.shape
    if header_row + n_rows > MAX_ROWS or n_cols > MAX_COLUMNS:
        raise ReportError(
            f"the table of sheet {ws.title!r} has {n_rows:,} rows × {n_cols:,} columns, more than an "
            f"Excel sheet holds ({MAX_ROWS:,} rows × {MAX_COLUMNS:,} columns)",
            hint="write this table as CSV instead, or split it.",
        )

    raw_names = list(table.columns)
    names = _column_names(table.columns)
    safe = safe_frame(table)
    columns: list[_Column] = []
    for position, (raw, name) in enumerate(zip(raw_names, names)):
        letter = get_column_letter(position + 1)
        header = _display_text(name)
        cell = ws.cell(row=header_row, column=position + 1, value=header)
        cell.data_type = "s"  # never a formula nor an error code such as "#N/A"
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        series = safe.iloc[:, position]
        number_format = _number_format(raw, name, series.dtype, sheet.number_formats)
        style = f' s="{styles.style_id(ws, number_format)}"' if number_format else ""
        column = _prepare_column(series, letter, header, style, number_format)
        ws.column_dimensions[letter].width = column.width
        columns.append(column)

    last = get_column_letter(n_cols)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + n_rows}"
    if n_rows == 0:
        return None
    return _Plan(ws, header_row + 1, n_rows, columns, f"A1:{last}{header_row + n_rows}")


def _rows_xml(plan: _Plan) -> Iterator[str]:
    for start in range(0, plan.n_rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, plan.n_rows)
        rows = range(plan.first_row + start, plan.first_row + stop)
        cells = [_encode(column, start, stop, rows) for column in plan.columns]
        yield "".join(
            f'<row r="{r}">{"".join(row_cells)}</row>' for r, row_cells in zip(rows, zip(*cells))
        )


_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


def _stream_sheet(xml: str, plan: _Plan, out: Any) -> None:
    """Write openpyxl's sheet XML with the data rows inserted at the end of ``<sheetData>``."""
    xml = _DIMENSION.sub(f'<dimension ref="{plan.dimension}"/>', xml, count=1)
    end = xml.find("</sheetData>")
    if end >= 0:
        head, tail = xml[:end], xml[end:]
    else:
        empty = re.search(r"<sheetData\s*/>", xml)
        if empty is None:  # pragma: no cover - openpyxl always writes sheetData
            raise RuntimeError("worksheet XML without <sheetData>")
        head, tail = xml[: empty.start()] + "<sheetData>", "</sheetData>" + xml[empty.end() :]
    out.write(head.encode("utf-8"))
    for chunk in _rows_xml(plan):
        out.write(chunk.encode("utf-8"))
    out.write(tail.encode("utf-8"))


def _assemble(skeleton: bytes, handle: Any, plans: list[_Plan]) -> None:
    by_part = {plan.worksheet.path.lstrip("/"): plan for plan in plans}
    with zipfile.ZipFile(io.BytesIO(skeleton)) as source, zipfile.ZipFile(
        handle, "w", compression=zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            plan = by_part.pop(info.filename, None)
            if plan is None:
                target.writestr(info, data)
                continue
            part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with target.open(part, "w") as out:
                _stream_sheet(data.decode("utf-8"), plan, out)
    if by_part:  # pragma: no cover - would mean openpyxl changed its package layout
        raise RuntimeError(f"worksheet parts not found in the workbook: {sorted(by_part)}")


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
        If the file cannot be written or a table does not fit in an Excel sheet.
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

    workbook = Workbook()
    workbook.remove(workbook.active)
    if title:
        workbook.properties.title = _ILLEGAL_XML.sub("\ufffd", str(title))
    workbook.properties.creator = "csi-survey"

    styles = _Styles()
    plans: list[_Plan] = []
    for sheet, name in zip(sheets, _sheet_names([s.name for s in sheets])):
        ws = workbook.create_sheet(title=name)
        plan = _build_sheet(ws, sheet, styles)
        if plan is not None:
            plans.append(plan)

    skeleton = io.BytesIO()
    workbook.save(skeleton)

    path = Path(path)
    try:
        handle = open(path, "wb")
    except OSError as error:
        raise ReportError(
            f"cannot write the workbook {path}: {error.strerror or error}",
            hint="close the file if it is open in Excel and check that the folder exists and that "
            "you may write to it.",
        ) from error
    try:
        with handle:
            _assemble(skeleton.getvalue(), handle, plans)
    except BaseException as error:
        try:
            os.remove(path)  # a partial workbook is worse than none
        except OSError:
            pass
        if isinstance(error, OSError):
            raise ReportError(
                f"cannot write the workbook {path}: {error.strerror or error}",
                hint="check that the disk is not full and that you may write to the folder.",
            ) from error
        raise
