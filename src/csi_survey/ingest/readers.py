"""Read a survey export into a :class:`RawTable`.

The reader knows nothing about the questionnaire: it returns the column names and the cells as
they are in the file, plus the row number of every data row as the user sees it in Excel or a
text editor, so that later messages can point at the right cell. What the export itself declares
(question texts, answer labels, missing-value codes) goes to the table's metadata.

Formats (``format=``; ``"auto"`` detects them from the extension and the first rows, see
:mod:`csi_survey.ingest.vendors` for each layout):

* ``xlsx`` — ``.xlsx``/``.xlsm`` workbooks, read with python-calamine after the safety checks of
  :mod:`csi_survey.ingest.safety` (zip bomb, XML entities, sheet extent, formula cells without a
  stored value); Excel 97–2003 ``.xls`` workbooks (问卷星's Excel downloads) after a check of the
  file signature and of the sheet's extent (``max_cells``; at most 65,536 × 256 cells). Formulas are read as the values Excel stored, never evaluated. Booleans become
  ``"TRUE"``/``"FALSE"``, date cells datetimes; numeric columns without empty cells whose values
  are all whole numbers are ``int64`` (as openpyxl read them).
* ``csv`` — ``.csv``/``.txt``/``.tsv`` text, decoded as UTF-8 (with or without BOM), UTF-16
  (BOM, or detected from its NUL bytes), or one of the legacy code pages of East-Asian Excel,
  GB18030/GBK, Big5 or Shift-JIS, chosen with evidence and refused when uncertain (see
  :mod:`csi_survey.ingest.encoding`; ``encoding=`` overrides); the separator (``,`` ``;`` or tab) is taken from the header line. Cells are kept as text
  (``"007"`` stays ``"007"``), pandas ``str`` dtype, except **decimal commas**: in a
  ``;``-separated file, a column whose non-empty cells are all numbers written with a decimal
  comma or as whole numbers (``7,5``, ``-0,25``, ``8``; at least one comma) becomes float64.
  Thousands separators (``1.234,5``) are not interpreted.
* ``qualtrics``, ``surveymonkey``, ``googleforms`` — the vendors' export layouts (CSV or XLSX).
* ``wjx``, ``wenjuan``, ``tencent`` — 问卷星, 问卷网, 腾讯问卷 (CSV or XLSX; :mod:`csi_survey.ingest.cn_platforms`).
* ``spss`` — ``.sav``/``.zsav`` files, read with pyreadstat.

Speed: text files are parsed by pyarrow's CSV reader (the parser behind pandas'
``engine="pyarrow"``, used directly to pass ``newlines_in_values=True`` for quoted cells holding
line breaks), every column as text, with ``ignore_empty_lines=False`` so that a blank line stays an
all-empty row and the row numbers stay true. A file pyarrow refuses (rows with more or fewer fields
than the header, a line of spaces, NUL bytes) or a missing pyarrow falls back to pandas' C engine,
which gives the same table (or the precise error, e.g. "row 7 has 5 fields but the header has 4").

Width: the header line of a CSV (and a worksheet's extent) is checked against
``Limits.max_columns`` (16,384) before the table is parsed.

Missing tokens: in plain ``csv``/``xlsx`` tables, cells reading ``NA``, ``N/A``, ``#N/A``, ``NaN`` or
``null`` (trimmed, any case; :data:`MISSING_TOKENS`) become empty cells, counted per column in
``RawTable.missing_tokens``; vendor layouts keep their declared missing codes instead.

Worksheets are read row by row (python-calamine's ``iter_rows``): empty rows are never held. An
interior run of empty rows is kept as all-empty rows when it has at most :data:`MAX_EMPTY_RUN`
(1,000) rows, and left out when longer (the sheet's unused area, e.g. above a stray cell far below
the table); row numbers always stay the sheet's. A ``.xlsx`` that is an OLE2 file (an Excel 97–2003
workbook renamed, or a password-protected workbook) is named as such.

Header row: ``header_row=N`` reads the column names from row N (rows above ignored); without it,
a title above the header is detected (:mod:`csi_survey.ingest.header`) and refused with the fix.

Row numbers: header = row 1 for one-row headers (first data row = 2), the first data row is row 4
of a Qualtrics export (3 header rows) and row 3 of a SurveyMonkey one; leading empty rows/lines
before the header are skipped but counted; interior empty rows are kept as all-empty rows and
trailing ones dropped. SPSS rows are case numbers (first case = 1).

Every problem is raised as :class:`~csi_survey.exceptions.InputFileError` with a hint; no
traceback of calamine, pyarrow, pandas, pyreadstat or zipfile reaches the user.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import InputFileError, SettingsError, check_choice
from . import cn_platforms, safety, vendors
from . import encoding as encoding_mod
from . import header as header_mod
from .safety import Limits
from .vendors import FORMATS

__all__ = ["RawTable", "read_table", "MISSING_TOKENS", "SUPPORTED_EXTENSIONS", "FORMATS", "Limits", "column_letter"]

#: File name extensions :func:`read_table` understands.
SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv", ".sav", ".zsav")
_EXCEL = (".xlsx", ".xlsm", ".xls")
#: The first bytes of an OLE2 compound file: an Excel 97–2003 workbook (.xls, as 问卷星 downloads its Excel files).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT = (".csv", ".txt", ".tsv")
#: Cell texts that mean "no value" in plain CSV/xlsx tables (R's write.csv writes NA, Excel #N/A,
#: pandas NaN, JSON tools null); compared trimmed and case-insensitively; such cells become empty.
MISSING_TOKENS = ("NA", "N/A", "#N/A", "NaN", "null")
_TOKENS_FOLDED = frozenset(t.casefold() for t in MISSING_TOKENS)
_SPSS = (".sav", ".zsav")
_SEPARATORS = (",", ";", "\t")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_KIND_NAMES = {"excel": "an Excel workbook", "text": "a text (CSV) file", "spss": "an SPSS data file"}
_FORMAT_KINDS = {
    "csv": ("text",),
    "xlsx": ("excel",),
    "qualtrics": ("text", "excel"),
    "surveymonkey": ("text", "excel"),
    "googleforms": ("text", "excel"),
    "spss": ("spss",),
    "wjx": ("text", "excel"),
    "wenjuan": ("text", "excel"),
    "tencent": ("text", "excel"),
}


@dataclass(frozen=True, eq=False)
class RawTable:
    """A table as read from a file, before any interpretation.

    Attributes
    ----------
    frame:
        Columns are the column names of the file (whitespace-stripped; for vendor layouts see
        :mod:`~csi_survey.ingest.vendors`); cells as read (text, numbers, dates; empty cells are
        NaN/None). Trailing empty rows are dropped, interior empty rows are kept as all-empty rows.
    row_numbers:
        Per frame row, the row number as the user sees it (header = row 1, first data row = 2 for
        a one-row header; SPSS: the case number).
    source:
        The file name, for messages.
    question_text:
        Column → question wording, where the export carries it (Qualtrics' second header row,
        SPSS variable labels, SurveyMonkey's question row, Google Forms' headers).
    value_labels:
        Column → {code: answer label} declared by the export (SPSS value labels; Google Forms
        answers such as ``10 - Extremely satisfied``, read as 10).
    missing_values:
        Column → codes the export declares as missing (SPSS user-missing values; Qualtrics'
        ``-99`` "seen but unanswered"); the key ``"*"`` applies to every column. An entry is a code
        (number or text) or a ``(lo, hi)`` tuple of numbers: the inclusive range ``lo ≤ x ≤ hi``
        (SPSS missing ranges; ``-inf``/``inf`` for LOWEST/HIGHEST).
    format:
        The layout that was read: ``csv``, ``xlsx``, ``qualtrics``, ``surveymonkey``, ``spss``,
        ``googleforms``, ``wjx``, ``wenjuan``, ``tencent`` (``table`` for a DataFrame).
    platform:
        For the Chinese platforms (``wjx``, ``wenjuan``, ``tencent``): a
        :class:`~csi_survey.ingest.cn_platforms.PlatformInfo` (metadata roles, scales recognised,
        skipped answers, columns to keep out of reports); None otherwise.
    sheet:
        The sheet name (workbooks) or None.
    encoding:
        The encoding used to decode a text file (or passed for an SPSS file), None for workbooks.
    missing_tokens:
        Plain CSV and xlsx tables: column → number of cells that held a missing-value token
        (:data:`MISSING_TOKENS`: ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``null``, any case, trimmed);
        these cells are empty in ``frame``, so they count as missing answers.
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    source: str
    sheet: str | None = None
    encoding: str | None = None
    question_text: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    missing_values: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    format: str = "table"
    platform: Any = None
    missing_tokens: Mapping[str, int] = field(default_factory=dict)

    @property
    def location(self) -> str:
        """``"file.xlsx, sheet 'Responses'"`` or ``"file.csv"``, for messages."""
        return source_location(self.source, self.sheet)

    def __repr__(self) -> str:
        where = self.location + (f", encoding {self.encoding}" if self.encoding else "")
        return f"RawTable({where}, {self.format}: {len(self.frame)} rows × {self.frame.shape[1]} columns)"


def source_location(source: str, sheet: str | None) -> str:
    """Where a table came from, for messages: ``"export.xlsx, sheet 'Responses'"`` or the file name."""
    return f"{source}, sheet {sheet!r}" if sheet is not None else source


def column_letter(position: int) -> str:
    """Excel column letter of a 0-based column position (0 → A, 26 → AA)."""
    letters = ""
    n = position + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ====================================================================== entry point
def read_table(
    path: str | Path,
    sheet: str | int | None = None,
    encoding: str | None = None,
    format: str = "auto",
    limits: Limits | None = None,
    header_row: int | None = None,
    expected_columns: Sequence[str] | None = None,
) -> RawTable:
    """Read a survey export: an Excel workbook, a CSV/text file or an SPSS data file.

    Parameters
    ----------
    path:
        The file (``.xlsx``, ``.xlsm``, ``.xls``, ``.csv``, ``.txt``, ``.tsv``, ``.sav``, ``.zsav``).
    sheet:
        Workbooks only: a sheet name or 0-based position; default the first worksheet. For other
        files only ``None`` or ``0`` are accepted.
    encoding:
        Text files: the encoding to use instead of detecting it. SPSS files: the encoding of an
        old file that does not record it.
    format:
        ``"auto"`` (default: from the extension and the first rows), ``"csv"``, ``"xlsx"``,
        ``"qualtrics"``, ``"surveymonkey"``, ``"spss"``, ``"googleforms"``, ``"wjx"`` (问卷星),
        ``"wenjuan"`` (问卷网) or ``"tencent"`` (腾讯问卷). An explicit vendor format is checked
        against the file's header rows.
    limits:
        What the reader agrees to load (:class:`~csi_survey.ingest.safety.Limits`); default
        ``Limits()``.
    header_row:
        CSV files and workbooks: the 1-based row (as Excel or a text editor numbers it) that holds
        the column names, when rows above it hold a title or notes; default: the first non-empty
        row (see :mod:`csi_survey.ingest.header`).
    expected_columns:
        Column names the caller needs (the questionnaire's item ids): when they are not in the
        header row but a later row holds them unambiguously, the file is refused with "the header
        seems to be on row N" and the fix (``header_row``); plain CSV and xlsx layouts only.

    Raises
    ------
    SettingsError
        ``format`` or ``limits`` is not an allowed value.
    InputFileError
        The file is missing, not a file, of an unsupported type or not of the requested format,
        corrupt, unsafe or beyond the limits, empty, cannot be decoded, the sheet does not exist,
        or the header has duplicate column names.
    """
    check_choice("format", format, FORMATS)
    header_row = header_mod.check_header_row(header_row)
    if limits is None:
        limits = Limits()
    elif not isinstance(limits, Limits):
        raise SettingsError(
            f"limits must be a Limits object; got {type(limits).__name__}",
            hint="pass limits=Limits(max_cells=..., ...) (from csi_survey.ingest.safety), or leave it out.",
        )
    p = Path(path)
    name = p.name or str(path)
    try:
        exists, is_dir = p.exists(), p.is_dir()
    except OSError as exc:
        raise _os_error(name, exc) from None
    if not exists:
        raise InputFileError(
            f"The responses file {str(path)!r} does not exist",
            hint=f"check the file name and folder (a relative path is taken from the current directory, {Path.cwd()}).",
        )
    if is_dir:
        raise InputFileError(
            f"{str(path)!r} is a folder, not a responses file",
            hint="pass the path of the exported file itself (.xlsx, .csv, .sav, …).",
        )
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        kind = f"extension {p.suffix!r}" if p.suffix else "no extension"
        extra = " Save .xlsb and .ods workbooks as .xlsx first." if ext in (".xlsb", ".ods") else ""
        raise InputFileError(
            f"{name} has {kind}, which csi-survey cannot read; supported: {', '.join(SUPPORTED_EXTENSIONS)}",
            hint="export the responses as an Excel workbook (.xlsx), as CSV (.csv) or as SPSS (.sav)." + extra,
        )
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise _os_error(name, exc) from None
    if size == 0:
        raise InputFileError(
            f"{name} is empty (0 bytes): there is no header row",
            hint="export the responses again; the first row must hold the column names.",
        )
    safety.check_file_size(size, name, limits)
    kind = "excel" if ext in _EXCEL else "spss" if ext in _SPSS else "text"
    if format != "auto" and kind not in _FORMAT_KINDS[format]:
        raise _wrong_format(name, format, kind)
    if kind != "excel" and sheet is not None and not (isinstance(sheet, (int, np.integer)) and sheet == 0):
        raise InputFileError(
            f"{name} is {_KIND_NAMES[kind]}, which has no sheets; got sheet={sheet!r}",
            hint="leave out the sheet option (--sheet) for CSV and SPSS files.",
        )
    if kind == "spss":
        frame, rows, qt, vl, mv = vendors.read_spss(p, name, encoding, limits.max_cells)
        return RawTable(
            frame=frame, row_numbers=rows, source=name, sheet=None, encoding=encoding,
            question_text=qt, value_labels=vl, missing_values=mv, format="spss",
        )
    if kind == "spss" and header_row is not None and header_row != 1:
        raise InputFileError(
            f"{name} is an SPSS data file, whose variable names are not a row; got header_row={header_row}",
            hint="leave out the header row option (--header-row) for SPSS files.",
        )
    if kind == "excel":
        grid = _excel_grid(p, name, sheet, limits, header_row)
    else:
        grid = _text_grid(p, name, encoding, limits, header_row)
    raw = _assemble(grid, format, name)
    if expected_columns is not None and header_row is None and raw.format in ("csv", "xlsx"):
        _check_header_position(raw, grid, expected_columns)
    return raw


def _check_header_position(raw: RawTable, grid: _Grid, expected: Sequence[str]) -> None:
    """Refuse a table whose expected columns are on a later row than its header (a title above it)."""
    expected = [str(e) for e in dict.fromkeys(expected)]
    have = {str(c) for c in raw.frame.columns}
    folded = {c.strip().casefold() for c in have}
    if all(e in have or e.strip().casefold() in folded for e in expected):
        return
    rows = [list(grid.head[0]) if grid.head else []] + [list(r) for r in grid.peek]
    k = header_mod.find_header_row(rows, expected)
    if k is None:
        return
    scores = header_mod.score_rows(rows, expected)
    first_row = int(grid.peek_rows[0]) - 1 if len(grid.peek_rows) else 1
    row_number = int(grid.peek_rows[k - 1]) if k - 1 < len(grid.peek_rows) else first_row + k
    names = [e for e in expected]
    raise header_mod.misplaced_header(raw.location, row_number, first_row, scores[k], len(expected), names)


def _wrong_format(name: str, fmt: str, kind: str) -> InputFileError:
    fitting = {
        "text": "csv, qualtrics, surveymonkey, googleforms, wjx, wenjuan or tencent",
        "excel": "xlsx, qualtrics, surveymonkey, googleforms, wjx, wenjuan or tencent",
        "spss": "spss",
    }[kind]
    needs = {
        "csv": "a text (CSV) file (.csv, .txt, .tsv)",
        "xlsx": "an Excel workbook (.xlsx, .xlsm)",
        "spss": "an SPSS data file (.sav, .zsav)",
    }.get(fmt, "a CSV file or an Excel workbook")
    return InputFileError(
        f"format={fmt!r} needs {needs}, but {name} is {_KIND_NAMES[kind]}",
        hint=f"leave out the format (format='auto', no --format) to detect it, or use a format for this file: {fitting}.",
    )


def _os_error(name: str, exc: OSError) -> InputFileError:
    if isinstance(exc, PermissionError):
        return InputFileError(
            f"{name} cannot be opened: permission denied",
            hint="close the file if it is open in Excel or another program, and check that you may read it.",
        )
    return InputFileError(f"{name} cannot be read: {exc.strerror or exc}", hint="check the file and try again.")


# ====================================================================== the grid of cells
@dataclass
class _Grid:
    """The cells of a sheet or text file, from the header row on."""

    head: list[list]  # the first (up to) three rows, cells as read, None for empty
    body: Callable[[int], tuple[pd.DataFrame, np.ndarray]]  # rows from k on, positional columns; row numbers
    excel: bool
    sheet: str | None = None
    encoding: str | None = None
    sep: str | None = None
    peek: list = field(default_factory=list)  # the first rows below the header row, cells as read
    peek_rows: Any = ()  # their row numbers


def _assemble(grid: _Grid, fmt: str, name: str) -> RawTable:
    where = source_location(name, grid.sheet)
    explicit = fmt != "auto"
    if not explicit:
        fmt = vendors.detect(grid.head) or ("xlsx" if grid.excel else "csv")
    lay = vendors.layout(fmt, grid.head, where, explicit=explicit)
    body, row_nos = grid.body(lay.header_rows)
    frame, row_nos, by_pos = _build(lay.names, body, row_nos, where, trim=not grid.excel)
    question_text = {by_pos[j]: t for j, t in lay.question_text.items() if j in by_pos and t}
    value_labels: dict[str, dict[Any, str]] = {}
    tokens: dict[str, int] = {}
    if fmt in ("csv", "xlsx"):  # before the decimal commas: a column of 7,5 and NA is a column of numbers
        frame, tokens = _blank_missing_tokens(frame)
    if grid.sep == ";":
        frame = _decimal_commas(frame)
    if fmt == "googleforms":
        frame, value_labels = _google_labels(frame)
    missing_values: dict[str, list[Any]] = dict(lay.missing_values)
    platform = None
    if fmt in cn_platforms.CN_FORMATS:
        roles = {by_pos[j]: r for j, r in lay.roles.items() if j in by_pos}
        headers = {by_pos[j]: _header_name(v) for j, v in enumerate(grid.head[0]) if j in by_pos}
        frame, value_labels, missing_values, platform = cn_platforms.interpret(fmt, frame, roles, headers, question_text)
    return RawTable(
        frame=frame, row_numbers=row_nos, source=name, sheet=grid.sheet, encoding=grid.encoding,
        question_text=question_text, value_labels=value_labels, missing_values=missing_values,
        format=fmt, platform=platform, missing_tokens=tokens,
    )


def _blank_missing_tokens(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Cells holding a :data:`MISSING_TOKENS` text → empty; the count per column.

    One hash pass over every text cell (``pd.factorize`` of all text columns at once; the tokens are
    looked up among the distinct values), so that a wide table costs no per-column string operations."""
    n = len(frame)
    cols: list = []
    parts: list[np.ndarray] = []
    for c, s in frame.items():
        if ptypes.is_string_dtype(s.dtype) or ptypes.is_object_dtype(s.dtype):
            cols.append(c)
            parts.append(s.to_numpy(dtype=object, na_value=None))
    if not cols or n == 0:
        return frame, {}
    flat = np.concatenate(parts)
    del parts
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    hit_u = np.fromiter(
        (isinstance(u, str) and len(u) <= 16 and u.strip().casefold() in _TOKENS_FOLDED for u in uniques),
        dtype=bool, count=len(uniques),
    )
    if not hit_u.any():
        return frame, {}
    mask = np.append(hit_u, False)[codes].reshape(len(cols), n)
    per_col = mask.sum(axis=1)
    counts: dict[str, int] = {}
    frame = frame.copy()
    for k in np.flatnonzero(per_col):
        col = cols[int(k)]
        counts[str(col)] = int(per_col[k])
        s = frame[col].mask(mask[k])
        frame[col] = s.infer_objects() if s.dtype == object else s
    return frame, counts


# ====================================================================== Excel
def _excel_grid(p: Path, name: str, sheet: str | int | None, limits: Limits, header_row: int | None = None) -> _Grid:
    try:
        if p.suffix.lower() == ".xls":
            entry = _legacy_sheet(p, name, sheet, limits)
        else:
            _refuse_ole2(p, name)
            with safety.open_xlsx(p, name, limits) as pkg:
                entry = _pick_sheet(pkg.sheets, name, sheet)
                pkg.verify(entry)
    except OSError as exc:
        raise _os_error(name, exc) from None
    rows, row_nos = _calamine_rows(p, name, entry.name)
    if header_row is not None:
        keep = row_nos >= header_row
        if not keep.any() or row_nos[keep][0] != header_row:
            raise InputFileError(
                f"Row {header_row} of sheet {entry.name!r} of {name} is empty, so it cannot be the header row "
                f"(header_row={header_row})",
                hint="pass the row that holds the column names (--header-row), as Excel numbers the rows.",
            )
        start = int(np.flatnonzero(keep)[0])
        rows, row_nos = rows[start:], row_nos[start:]
    if not rows:
        raise InputFileError(
            f"Sheet {entry.name!r} of {name} is empty: there is no header row",
            hint="choose the sheet that holds the responses (option --sheet), with the column names in the first row.",
        )
    # interior empty rows (kept as all-empty rows, so that they are reported) from the header on
    rows, row_nos = _fill_gaps(rows, row_nos)
    width = max(len(r) for r in rows)
    arr = np.array(rows, dtype=object) if all(len(r) == width for r in rows) else None
    if arr is None or arr.shape != (len(rows), width):
        arr = np.empty((len(rows), width), dtype=object)
        for i, r in enumerate(rows):
            arr[i, : len(r)] = r
    del rows
    if arr.size:
        arr[arr == ""] = None
    head = [[_excel_value(v) for v in r] for r in arr[:3].tolist()]
    peek = [[_excel_value(v) for v in r] for r in arr[1: 1 + header_mod.SCAN_ROWS].tolist()]

    def body(k: int) -> tuple[pd.DataFrame, np.ndarray]:
        return _excel_frame(arr[k:], width), row_nos[k:]

    return _Grid(head=head, body=body, excel=True, sheet=entry.name, peek=peek, peek_rows=row_nos[1: 1 + len(peek)])


#: A run of more consecutive empty rows than this inside a sheet is the sheet's unused area (below the
#: table, above stray cells), not a block of empty responses: it is not kept as rows.
MAX_EMPTY_RUN = 1_000


def _fill_gaps(rows: list[list], row_nos: np.ndarray) -> tuple[list[list], np.ndarray]:
    """The non-empty rows with the empty rows between them put back as ``[]``, except runs longer
    than :data:`MAX_EMPTY_RUN` (left out; the row numbers stay the sheet's)."""
    if len(row_nos) < 2:
        return rows, row_nos
    gaps = np.diff(row_nos) - 1
    if not gaps.any():
        return rows, row_nos
    out: list[list] = []
    nos: list[np.ndarray] = []
    for i, r in enumerate(rows):
        out.append(r)
        nos.append(row_nos[i: i + 1])
        if i < len(gaps) and 0 < gaps[i] <= MAX_EMPTY_RUN:
            out.extend([] for _ in range(int(gaps[i])))
            nos.append(np.arange(row_nos[i] + 1, row_nos[i + 1], dtype=np.int64))
    return out, np.concatenate(nos)


def _refuse_ole2(p: Path, name: str) -> None:
    """An .xlsx/.xlsm that is an OLE2 compound file: an Excel 97–2003 workbook renamed, or an encrypted
    (password-protected) workbook, which Excel stores in an OLE2 container."""
    with open(p, "rb") as f:
        head = f.read(len(_OLE2_MAGIC))
        if head[:4] != _OLE2_MAGIC[:4]:
            return
        probe = f.read(8 << 20)  # the directory names of a small container are within the first MB
    encrypted = "EncryptionInfo".encode("utf-16-le") in probe or "EncryptedPackage".encode("utf-16-le") in probe
    if encrypted:
        raise InputFileError(
            f"{name} is a password-protected (encrypted) Excel workbook, which cannot be read",
            hint="open it in Excel, remove the password (File → Info → Protect Workbook → Encrypt with Password, "
            "clear it) and save it as .xlsx, or export the responses as CSV.",
        )
    raise InputFileError(
        f"{name} is an Excel 97–2003 .xls or a password-protected workbook (an OLE2 file), not an .xlsx workbook "
        f"(a zip file), although its name ends in {p.suffix}",
        hint="open it in Excel and save it as 'Excel Workbook (.xlsx)' without a password, or rename it to .xls if it "
        "is an Excel 97–2003 workbook, or export the responses as CSV.",
    )


def _excel_value(v):
    if type(v) is bool:
        return "TRUE" if v else "FALSE"
    return v


def _pick_sheet(sheets: list[safety.SheetEntry], name: str, sheet: str | int | None) -> safety.SheetEntry:
    names = [s.name for s in sheets]
    listed = ", ".join(repr(s) for s in names)
    if sheet is None:
        for s in sheets:
            if s.kind == "worksheet":
                return s
        raise InputFileError(f"{name} has no worksheet (only chart sheets: {listed})", hint="export the responses to a worksheet.")
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if not 0 <= int(sheet) < len(names):
            raise InputFileError(
                f"Sheet number {int(sheet)} does not exist in {name}: it has {len(names)} sheet(s) "
                f"(numbered from 0): {listed}",
                hint="pass a sheet name or a position from 0 to " + str(len(names) - 1) + ".",
            )
        chosen = sheets[int(sheet)]
    else:
        wanted = str(sheet)
        exact = [s for s in sheets if s.name == wanted]
        if exact:
            chosen = exact[0]
        else:
            loose = [s for s in sheets if s.name.strip().casefold() == wanted.strip().casefold()]
            if len(loose) != 1:
                raise InputFileError(
                    f"Sheet {wanted!r} not found in {name}; the sheets are: {listed}",
                    hint="pass one of these sheet names (option --sheet), or its position counted from 0.",
                )
            chosen = loose[0]
    if chosen.kind != "worksheet":
        what = "a chart sheet" if chosen.kind == "chartsheet" else f"a {chosen.kind}"
        raise InputFileError(
            f"Sheet {chosen.name!r} of {name} is {what}, not a table; the sheets are: {listed}",
            hint="pass the sheet that holds the responses.",
        )
    return chosen


def _legacy_sheet(p: Path, name: str, sheet: str | int | None, limits: Limits) -> safety.SheetEntry:
    """The sheet to read of an Excel 97–2003 workbook (.xls: an OLE2 compound file, read by calamine;
    a sheet holds at most 65,536 × 256 cells), checked against ``limits.max_cells`` before it is loaded."""
    from python_calamine import CalamineWorkbook  # lazy: only workbooks need the reader

    with open(p, "rb") as f:
        magic = f.read(len(_OLE2_MAGIC))
    if magic != _OLE2_MAGIC:
        what, fix = (("an .xlsx workbook (a zip file)", "rename it to .xlsx") if magic.startswith(b"PK\x03\x04") else
                     ("not an Excel 97–2003 workbook (perhaps a web page or text saved as .xls)",
                      "open it in Excel and save it as .xlsx or CSV, or download the responses again as CSV"))
        raise InputFileError(f"{name} has the extension .xls but is {what}", hint=f"{fix} and read it again.")
    try:
        wb = CalamineWorkbook.from_path(str(p))
        kinds = {m.name: ("worksheet" if "WorkSheet" in str(m.typ) else "chartsheet") for m in wb.sheets_metadata}
        entry = _pick_sheet([safety.SheetEntry(n, kinds.get(n, "worksheet"), None) for n in wb.sheet_names], name, sheet)
        sized = wb.get_sheet_by_name(entry.name)
        cells = int(sized.height) * int(sized.width)  # the range calamine loads
        if int(sized.width) > limits.max_columns:
            raise safety.too_wide(name, int(sized.width), limits, where=f"Sheet {entry.name!r} of {name}")
    except InputFileError:
        raise
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # CalamineError, and pyo3's PanicException (a BaseException)
        raise InputFileError(f"{name} cannot be read as an Excel 97–2003 workbook ({type(exc).__name__}: {exc})",
                             hint="open the file in Excel, save it again as .xlsx and retry.") from None
    if cells > limits.max_cells:
        raise InputFileError(f"Sheet {entry.name!r} of {name} spans {cells:,} cells, more than the limit of "
                             f"{limits.max_cells:,} cells (max_cells)", hint=safety.limit_hint("max_cells"))
    return entry


def _calamine_rows(p: Path, name: str, sheet_name: str) -> tuple[list[list], np.ndarray]:
    """The non-empty rows of a sheet (trailing empty cells dropped) and their 1-based row numbers,
    streamed row by row: empty rows are never held as Python lists (a stray cell at row 950,000 below
    a table of 100 rows costs the reader's compact range, not a million lists)."""
    from python_calamine import CalamineWorkbook  # lazy: only workbooks need the reader

    try:
        wb = CalamineWorkbook.from_path(str(p))
        try:
            sh = wb.get_sheet_by_name(sheet_name)
            # the range starts at the first used column (cells left of it are padded back) and its rows
            # may start at row 1 or at the first used row: the offset is known from the count at the end
            col0 = sh.start[1] if sh.start is not None else 0
            pad = [None] * col0
            rows: list[list] = []
            nos: list[int] = []
            n_iter = 0
            for i, r in enumerate(sh.iter_rows()):
                n_iter = i + 1
                if _row_blank(r):
                    continue
                last = len(r)
                while last and (r[last - 1] is None or r[last - 1] == ""):
                    last -= 1
                rows.append(pad + r[:last] if col0 else r[:last] if last < len(r) else r)
                nos.append(i + 1)
            end_row = sh.end[0] + 1 if sh.end is not None else n_iter
            offset = end_row - n_iter
        finally:
            close = getattr(wb, "close", None)  # python-calamine >= 0.3
            if close is not None:
                close()
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # CalamineError, and pyo3's PanicException (a BaseException)
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise InputFileError(
            f"Sheet {sheet_name!r} of {name} cannot be read: the workbook is damaged ({detail})",
            hint="open the file in Excel, save it again as .xlsx and retry.",
        ) from None
    return rows, np.asarray(nos, dtype=np.int64) + max(offset, 0)


def _row_blank(row: Sequence[object]) -> bool:
    for v in row:
        if v is None:
            continue
        if isinstance(v, str):
            if v.strip():
                return False
            continue
        return False
    return True


_KIND = {bool: 1, _dt.date: 2}  # cells to convert in object columns (datetime.datetime is not listed)


def _excel_frame(arr: np.ndarray, width: int) -> pd.DataFrame:
    """Body cells → DataFrame: dtypes inferred per column, booleans as TRUE/FALSE, dates as datetimes,
    whole numbers without empty cells as int64."""
    if arr.shape[0] == 0:
        return pd.DataFrame({k: pd.Series(dtype=object) for k in range(width)})
    frame = pd.DataFrame(arr, columns=range(width)).infer_objects()
    for k in range(width):
        s = frame[k]
        dt = s.dtype
        if ptypes.is_bool_dtype(dt):
            frame[k] = s.map({True: "TRUE", False: "FALSE"}).astype(object)
        elif dt == object:
            values = s.to_numpy()
            kinds = np.fromiter((_KIND.get(type(v), 0) for v in values), dtype=np.int8, count=len(values))
            if kinds.any():
                values = values.copy()
                is_bool = kinds == 1
                values[is_bool] = np.where(values[is_bool].astype(bool), "TRUE", "FALSE")
                for i in np.flatnonzero(kinds == 2):  # a date-formatted cell: a datetime, as Excel holds it
                    values[i] = _dt.datetime.combine(values[i], _dt.time())
                frame[k] = pd.Series(values, dtype=object).infer_objects()
        elif dt == np.float64:
            x = s.to_numpy()
            if len(x) and np.isfinite(x).all() and (np.abs(x) < 2**53).all() and (x == np.round(x)).all():
                frame[k] = x.astype(np.int64)
    return frame


# ====================================================================== text
_UTF8 = ("utf-8", "utf-8-sig")


def _sniff_separator(line: str) -> str:
    counts = dict.fromkeys(_SEPARATORS, 0)
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(_SEPARATORS, key=lambda s: counts[s])  # ties: the first in _SEPARATORS wins
    return best if counts[best] > 0 else ","


def _refuse_binary(raw: bytes, name: str) -> None:
    """A workbook or SPSS file saved under a text extension gets a precise message."""
    if raw.startswith(b"PK\x03\x04"):
        what, fix = "an Excel workbook (a zip file)", "rename it to .xlsx"
    elif raw.startswith((b"$FL2", b"$FL3")):
        what, fix = "an SPSS data file", "rename it to .sav"
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        what, fix = "an old Excel (.xls) workbook or another Office file", "open it in Excel and save it as .xlsx or CSV"
    else:
        return
    raise InputFileError(f"{name} is {what}, not a text (CSV) file", hint=f"{fix} and read it again.")


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _text_grid(p: Path, name: str, encoding: str | None, limits: Limits, header_row: int | None = None) -> _Grid:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise _os_error(name, exc) from None
    _refuse_binary(raw, name)
    text, used = encoding_mod.decode_text(raw, name, encoding)
    # leading blank lines: the header is the first non-blank line (row numbers stay true)
    pos = 1 if text.startswith("\ufeff") else 0
    lines_skipped = 0
    while True:
        nl = text.find("\n", pos)
        line = text[pos:] if nl < 0 else text[pos:nl]
        if (line.strip() if header_row is None else lines_skipped == header_row - 1) or nl < 0:
            break
        lines_skipped += 1
        pos = nl + 1
    if header_row is not None and (lines_skipped != header_row - 1 or not line.strip()):
        what = f"has only {lines_skipped + 1} line(s)" if lines_skipped != header_row - 1 else f"has an empty row {header_row}"
        raise InputFileError(
            f"{name} {what}, so row {header_row} cannot be its header row (header_row={header_row})",
            hint="pass the row that holds the column names (--header-row), as a text editor numbers the lines.",
        )
    if not line.strip():
        raise InputFileError(
            f"{name} holds no data: there is no header row",
            hint="export the responses again; the first row must hold the column names.",
        )
    sep = _sniff_separator(line)
    _check_width(line, sep, name, limits)

    # The decoded text is needed only for the header (and by the C engine): drop it before pyarrow
    # parses the bytes, so that a large file is not held three times (bytes, text, table).
    head_text = text[pos: pos + 1_000_000]
    data = _arrow_input(raw, text, pos, used)
    del text
    frame = _read_arrow(*data, head_text, sep) if data is not None else None
    del data
    if frame is None:
        text = raw.decode(used)  # the codec that decoded it above
        try:
            frame = _read_c(text[pos:], name, sep, lines_skipped)
        except InputFileError as exc:
            if header_row is None:
                _refuse_title_line(exc, head_text, sep, name, lines_skipped)
            raise
        del text
    del raw
    row_nos = np.arange(1, len(frame) + 1, dtype=np.int64) + lines_skipped
    width = frame.shape[1]
    # the first rows, column by column (a frame of many text columns is slow to interleave into rows)
    top = [s.iloc[: 1 + header_mod.SCAN_ROWS].tolist() for _, s in frame.iloc[: 1 + header_mod.SCAN_ROWS].items()]
    first_rows = [list(r) for r in zip(*top)] if top else []
    head = [[None if _is_blank(v) and not isinstance(v, str) else v for v in r] for r in first_rows[:3]]
    peek = first_rows[1:]

    def body(k: int) -> tuple[pd.DataFrame, np.ndarray]:
        sub = frame.iloc[k:].reset_index(drop=True)
        sub.columns = range(width)
        return sub, row_nos[k:]

    return _Grid(head=head, body=body, excel=False, encoding=used, sep=sep, peek=peek, peek_rows=row_nos[1: 1 + len(peek)])


def _check_width(line: str, sep: str, name: str, limits: Limits) -> None:
    """Refuse a header line with more than ``limits.max_columns`` fields, before any parsing of the table."""
    if line.count(sep) + 1 <= limits.max_columns:
        return
    try:
        n = len(next(csv.reader([line], delimiter=sep)))  # quoted separators do not count
    except (csv.Error, StopIteration):
        n = line.count(sep) + 1
    if n > limits.max_columns:
        raise safety.too_wide(name, n, limits)


def _refuse_title_line(exc: InputFileError, head: str, sep: str, name: str, lines_skipped: int) -> None:
    """A field-count error caused by a title line above the header: say where the header seems to be."""
    try:
        counts = [len(r) for r in csv.reader(io.StringIO(head), delimiter=sep) if any(c.strip() for c in r)][: header_mod.SCAN_ROWS]
    except csv.Error:
        return
    k = header_mod.title_line(counts)
    if k is None:
        return
    # row number of the k-th non-blank line from the first one
    lines = head.split("\n")
    seen, row = -1, lines_skipped
    for i, ln in enumerate(lines):
        if ln.strip():
            seen += 1
            if seen == k:
                row = lines_skipped + i + 1
                break
    raise InputFileError(f"{exc.message}; the header seems to be on row {row}", hint=header_mod.header_hint(row)) from None


def _arrow_input(raw: bytes, text: str, pos: int, used: str) -> tuple[memoryview | bytes, bool] | None:
    """The UTF-8 bytes of the file from its header line on (a view of ``raw`` when it is UTF-8) and
    whether they hold a double quote; None when pyarrow cannot read them (no pyarrow, NUL bytes: the
    C engine reads the file)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    try:
        codec = codecs.lookup(used).name
    except LookupError:
        return None
    if codec in _UTF8:
        offset = len(text[:pos].encode("utf-8"))
        if codec == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            offset += 3
        if raw.find(b"\x00", offset) >= 0:
            return None
        return memoryview(raw)[offset:], raw.find(b'"', offset) >= 0
    data = text[pos:].encode("utf-8")
    return None if b"\x00" in data else (data, b'"' in data)


def _read_arrow(data: memoryview | bytes, quoted: bool, head: str, sep: str) -> pd.DataFrame | None:
    """pyarrow's CSV reader (the parser of pandas' ``engine="pyarrow"``), every column as text;
    None when pyarrow refuses the file (the C engine then reads it). ``data``: the UTF-8 bytes from
    the header line on; ``quoted``: whether they hold a double quote; ``head``: the start of the
    decoded text from the header line on.

    Used directly rather than through pandas to set ``newlines_in_values`` (quoted cells holding
    line breaks; pandas does not pass it, and without it the multithreaded chunker cannot split such
    a file safely) and the column types (all text: ``007`` stays ``007``; pandas passes ``dtype=str``
    to the parser only with pyarrow >= 25). ``ignore_empty_lines=False``: a blank line is an
    all-empty row, so the row numbers stay true. The columns are read as ``large_string``, the type
    pandas' ``str`` columns hold, so that the table becomes a DataFrame without a copy.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        first = next(csv.reader(io.StringIO(head), delimiter=sep))
        read_options = pacsv.ReadOptions(autogenerate_column_names=True, use_threads=True)
        buffer = pa.py_buffer(data)
        # only quoted cells can hold line breaks; the option slows parsing down
        parse_options = pacsv.ParseOptions(delimiter=sep, newlines_in_values=quoted, ignore_empty_lines=False)
        convert_options = pacsv.ConvertOptions(
            column_types={f"f{i}": pa.large_string() for i in range(len(first))},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        table = pacsv.read_csv(
            pa.BufferReader(buffer), read_options=read_options, parse_options=parse_options,
            convert_options=convert_options, memory_pool=pa.system_memory_pool(),
        )
        frame = table.to_pandas()
        del table
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # ArrowInvalid (ragged rows, …), csv.Error, StopIteration
        return None
    if frame.shape[0] == 0:
        return None
    if not all(ptypes.is_string_dtype(t) or t == object for t in frame.dtypes):
        return None
    frame.columns = range(frame.shape[1])
    return frame


def _read_c(text: str, name: str, sep: str, lines_skipped: int) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = _FIELDS_RE.search(msg)
        if m:
            expected, line_no, saw = (int(g) for g in m.groups())
            detail = (
                f"row {line_no + lines_skipped} has {saw} fields but the header has {expected} "
                f"(separator: {_SEP_NAMES[sep]})"
            )
        else:
            detail = msg.replace("Error tokenizing data. C error: ", "")
        raise InputFileError(
            f"{name} cannot be read as CSV: {detail}",
            hint="check that this row has no extra separators (put text containing the separator in double "
            "quotes), or that the header line uses the same separator as the data.",
        ) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(
            f"{name} holds no data: there is no header row",
            hint="export the responses again; the first row must hold the column names.",
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # ValueError, UnicodeError, csv.Error, OverflowError, …
        raise InputFileError(f"{name} cannot be read as CSV: {exc}", hint="check the file's format.") from None
    frame = frame.astype("str")
    frame.columns = range(frame.shape[1])
    return frame


_DECIMAL_COMMA = r"\s*[+-]?(?:\d+(?:,\d*)?|,\d+)\s*"


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """``;``-separated files: columns of numbers written with a decimal comma → float64."""
    changed: dict[str, pd.Series] = {}
    for col in frame.columns:
        s = frame[col]
        if not ptypes.is_string_dtype(s.dtype):
            continue
        try:
            if not s.str.contains(",", regex=False, na=False).any():
                continue
            stripped = s.str.strip()
            filled = s.notna() & stripped.ne("").fillna(False).astype(bool)
            if not stripped[filled].str.fullmatch(_DECIMAL_COMMA).all():
                continue
            numbers = pd.to_numeric(stripped.where(filled).str.replace(",", ".", regex=False), errors="raise")
        except (AttributeError, TypeError, ValueError):
            continue
        changed[col] = numbers.astype(np.float64)
    if not changed:
        return frame
    frame = frame.copy()
    for col, s in changed.items():
        frame[col] = s
    return frame


def _google_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[Any, str]]]:
    labels: dict[str, dict[Any, str]] = {}
    changed: dict[str, pd.Series] = {}
    for col in list(frame.columns)[1:]:
        s = frame[col]
        if ptypes.is_numeric_dtype(s.dtype) or ptypes.is_datetime64_any_dtype(s.dtype):
            continue
        res = vendors.labelled_numbers(s)
        if res is not None:
            changed[col], labels[col] = res
    if changed:
        frame = frame.copy()
        for col, s in changed.items():
            frame[col] = s
    return frame, labels


# ====================================================================== common
def _is_blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _header_name(v) -> str:
    if _is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip().lstrip("\ufeff").strip()


def _build(
    header: Sequence[object],
    frame: pd.DataFrame,
    row_nos: np.ndarray,
    where: str,
    *,
    trim: bool,
) -> tuple[pd.DataFrame, np.ndarray, dict[int, str]]:
    """Name the columns; returns the frame, its row numbers and column position → final name."""
    width = max(len(header), frame.shape[1])
    if frame.shape[1] < width:
        frame = frame.reindex(columns=range(width))
    names = [_header_name(v) for v in header] + [""] * (width - len(header))

    if trim:
        frame = _trim_trailing_empty_rows(frame)
    row_nos = np.asarray(row_nos[: len(frame)], dtype=np.int64)

    # columns without a header: dropped when empty, otherwise named after their column letter
    keep = []
    for k, nm in enumerate(names):
        if nm:
            keep.append(k)
        elif not _column_blank(frame.iloc[:, k]):
            names[k] = f"Unnamed: {column_letter(k)}"
            keep.append(k)
    if not keep:
        raise InputFileError(
            f"The first row of {where} is empty: there is no header row with column names",
            hint="put the column names in the first row of the sheet.",
        )

    positions: dict[str, list[int]] = defaultdict(list)
    for k in keep:
        positions[names[k]].append(k)
    dups = {nm: ks for nm, ks in positions.items() if len(ks) > 1}
    if dups:
        parts = [f"{nm!r} (columns {_and([_col_ref(k) for k in ks])})" for nm, ks in dups.items()]
        raise InputFileError(
            f"The header of {where} has duplicate column names: {'; '.join(parts)}",
            hint="rename the columns so that every column name is unique; the questionnaire refers to columns by name.",
        )

    if keep != list(range(frame.shape[1])):
        frame = frame.iloc[:, keep]
    frame = frame.set_axis([names[k] for k in keep], axis=1)
    frame = frame.reset_index(drop=True)
    return frame, row_nos, {k: names[k] for k in keep}


def _col_ref(k: int) -> str:
    return f"{column_letter(k)} (#{k + 1})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _column_blank(s: pd.Series) -> bool:
    notna = s[s.notna()]
    if notna.empty:
        return True
    return all(_is_blank(v) for v in notna)


def _trim_trailing_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    if any(not _is_blank(v) for v in frame.iloc[-1].tolist()):
        return frame  # the usual case: the last row holds data
    any_value = frame.notna().any(axis=1).to_numpy()
    candidates = np.flatnonzero(any_value)
    last = -1
    for i in candidates[::-1]:
        if any(not _is_blank(v) for v in frame.iloc[int(i)].tolist()):
            last = int(i)
            break
    return frame.iloc[: last + 1]
