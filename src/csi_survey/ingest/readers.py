"""Read a survey export (Excel workbook or CSV/text file) into a :class:`RawTable`.

The reader knows nothing about the questionnaire: it returns the header and the cells as they are
in the file, plus the row number of every data row as the user sees it in Excel or a text editor
(the header is row 1), so that later messages can point at the right cell.

* ``.xlsx`` / ``.xlsm`` are read with openpyxl in read-only mode with cached formula values
  (formulas are never evaluated).
* ``.csv`` / ``.txt`` are decoded as UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030 (a
  superset of GBK, which Chinese Excel uses for "CSV"), and the separator (``,`` ``;`` or tab) is
  taken from the header line. CSV cells are kept as text (``"007"`` stays ``"007"``).

Every problem is raised as :class:`~csi_survey.exceptions.InputFileError` with a hint; no
traceback of openpyxl, pandas or zipfile reaches the user.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputFileError

__all__ = ["RawTable", "read_table", "SUPPORTED_EXTENSIONS", "column_letter"]

#: File name extensions :func:`read_table` understands.
SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".csv", ".txt")
_EXCEL = (".xlsx", ".xlsm")
_TEXT = (".csv", ".txt")
_SEPARATORS = (",", ";", "\t")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True, eq=False)
class RawTable:
    """A table as read from a file, before any interpretation.

    Attributes
    ----------
    frame:
        Columns are the header names of the file (whitespace-stripped); cells as read (text,
        numbers, dates; empty cells are NaN/None). Trailing empty rows are dropped, interior empty
        rows are kept as all-empty rows.
    row_numbers:
        Per frame row, the row number as the user sees it (header = row 1, first data row = 2).
    source:
        The file name, for messages.
    question_text:
        Column → question wording, where the export carries it (Qualtrics' second header row,
        SPSS variable labels, SurveyMonkey's question row).
    value_labels:
        Column → {code: answer label} declared by the export (SPSS value labels).
    missing_values:
        Column → codes the export declares as missing (SPSS user-missing values; Qualtrics'
        ``-99`` "seen but unanswered"); the key ``"*"`` applies to every column.
    format:
        The layout that was read: ``csv``, ``xlsx``, ``qualtrics``, ``surveymonkey``, ``spss``,
        ``googleforms`` (``table`` for a DataFrame).
    sheet:
        The sheet name (workbooks) or None (text files).
    encoding:
        The encoding used to decode a text file, None for workbooks.
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

    @property
    def location(self) -> str:
        """``"file.xlsx, sheet 'Responses'"`` or ``"file.csv"``, for messages."""
        return _location(self.source, self.sheet)

    def __repr__(self) -> str:
        where = self.location + (f", encoding {self.encoding}" if self.encoding else "")
        return f"RawTable({where}: {len(self.frame)} rows × {self.frame.shape[1]} columns)"


def _location(source: str, sheet: str | None) -> str:
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
def read_table(path: str | Path, sheet: str | int | None = None, encoding: str | None = None) -> RawTable:
    """Read an Excel workbook (``.xlsx``/``.xlsm``) or a CSV/text file (``.csv``/``.txt``).

    Parameters
    ----------
    path:
        The file.
    sheet:
        Workbooks only: a sheet name or 0-based position; default the first sheet. For a text
        file only ``None`` or ``0`` are accepted.
    encoding:
        Text files only: the encoding to use instead of detecting it.

    Raises
    ------
    InputFileError
        The file is missing, not a file, of an unsupported type, corrupt, empty, cannot be
        decoded, the sheet does not exist, or the header has duplicate column names.
    """
    p = Path(path)
    name = p.name or str(path)
    if not p.exists():
        raise InputFileError(
            f"The responses file {str(path)!r} does not exist",
            hint=f"check the file name and folder (a relative path is taken from the current directory, {Path.cwd()}).",
        )
    if p.is_dir():
        raise InputFileError(
            f"{str(path)!r} is a folder, not a responses file",
            hint="pass the path of the exported file itself (.xlsx, .xlsm, .csv or .txt).",
        )
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        kind = f"extension {p.suffix!r}" if p.suffix else "no extension"
        extra = " Save old .xls workbooks as .xlsx in Excel first." if ext in (".xls", ".xlsb", ".ods") else ""
        raise InputFileError(
            f"{name} has {kind}, which csi-survey cannot read; supported: {', '.join(SUPPORTED_EXTENSIONS)}",
            hint="export the responses as an Excel workbook (.xlsx) or as CSV (.csv)." + extra,
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
    if ext in _EXCEL:
        return _read_excel(p, name, sheet)
    if sheet not in (None, 0):
        raise InputFileError(
            f"{name} is a text (CSV) file, which has no sheets; got sheet={sheet!r}",
            hint="leave out the sheet option (--sheet) for CSV files.",
        )
    return _read_text(p, name, encoding)


def _os_error(name: str, exc: OSError) -> InputFileError:
    if isinstance(exc, PermissionError):
        return InputFileError(
            f"{name} cannot be opened: permission denied",
            hint="close the file if it is open in Excel or another program, and check that you may read it.",
        )
    return InputFileError(f"{name} cannot be read: {exc.strerror or exc}", hint="check the file and try again.")


# ====================================================================== Excel
def _read_excel(p: Path, name: str, sheet: str | int | None) -> RawTable:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's "extension is not supported" notices
            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except MemoryError:
        raise
    except OSError as exc:
        if isinstance(exc, PermissionError):
            raise _os_error(name, exc) from None
        raise _not_a_workbook(name, exc) from None
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError, XML errors, …
        raise _not_a_workbook(name, exc) from None
    try:
        sheet_name, ws = _pick_sheet(wb, name, sheet)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows, row_nos = _excel_rows(ws)
        except MemoryError:
            raise
        except Exception as exc:
            raise InputFileError(
                f"Sheet {sheet_name!r} of {name} cannot be read: the workbook is damaged ({type(exc).__name__}: {exc})",
                hint="open the file in Excel, save it again as .xlsx and retry.",
            ) from None
    finally:
        wb.close()
    if not rows:
        raise InputFileError(
            f"Sheet {sheet_name!r} of {name} is empty: there is no header row",
            hint="choose the sheet that holds the responses (option --sheet), with the column names in the first row.",
        )
    header, body = rows[0], rows[1:]
    return _build(header, body, np.asarray(row_nos[1:], dtype=np.int64), name, sheet_name, None, excel=True)


def _not_a_workbook(name: str, exc: BaseException) -> InputFileError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return InputFileError(
        f"{name} is not a readable Excel workbook ({detail})",
        hint="the file may be damaged, password-protected, or another format renamed to .xlsx; "
        "open it in Excel and save it as 'Excel Workbook (.xlsx)' or export CSV.",
    )


def _pick_sheet(wb, name: str, sheet: str | int | None):
    names = list(wb.sheetnames)
    listed = ", ".join(repr(s) for s in names)
    if sheet is None:
        for s in names:
            if hasattr(wb[s], "iter_rows"):
                return s, wb[s]
        raise InputFileError(f"{name} has no worksheet (only chart sheets: {listed})", hint="export the responses to a worksheet.")
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if not 0 <= int(sheet) < len(names):
            raise InputFileError(
                f"Sheet number {int(sheet)} does not exist in {name}: it has {len(names)} sheet(s) "
                f"(numbered from 0): {listed}",
                hint="pass a sheet name or a position from 0 to " + str(len(names) - 1) + ".",
            )
        chosen = names[int(sheet)]
    else:
        wanted = str(sheet)
        if wanted in names:
            chosen = wanted
        else:
            loose = [s for s in names if s.strip().casefold() == wanted.strip().casefold()]
            if len(loose) != 1:
                raise InputFileError(
                    f"Sheet {wanted!r} not found in {name}; the sheets are: {listed}",
                    hint="pass one of these sheet names (option --sheet), or its position counted from 0.",
                )
            chosen = loose[0]
    ws = wb[chosen]
    if not hasattr(ws, "iter_rows"):
        raise InputFileError(
            f"Sheet {chosen!r} of {name} is a chart sheet, not a table; the sheets are: {listed}",
            hint="pass the sheet that holds the responses.",
        )
    return chosen, ws


def _excel_rows(ws) -> tuple[list[tuple], list[int]]:
    """Rows from the first non-empty row to the last non-empty row, with their sheet row numbers.

    Booleans become ``"TRUE"``/``"FALSE"`` (as Excel shows them) so that they are not taken for 1/0.
    """
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # the stored dimension is often wrong in exported files; read all rows
    rows: list[tuple] = []
    row_nos: list[int] = []
    last_nonempty = -1
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        nonempty = False
        has_bool = False
        for v in row:
            if v is None:
                continue
            if type(v) is str:
                if not nonempty and v.strip():
                    nonempty = True
            else:
                nonempty = True
                if type(v) is bool:
                    has_bool = True
        if not rows and not nonempty:
            continue  # leading empty rows: the header is the first non-empty row
        if has_bool:
            row = tuple(("TRUE" if v else "FALSE") if type(v) is bool else v for v in row)
        rows.append(row)
        row_nos.append(number)
        if nonempty:
            last_nonempty = len(rows) - 1
    del rows[last_nonempty + 1:]
    del row_nos[last_nonempty + 1:]
    return rows, row_nos


# ====================================================================== text
def _decode(raw: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise InputFileError(
                f"Unknown encoding {encoding!r} for {name}",
                hint="use a Python codec name such as utf-8, utf-8-sig, gb18030, gbk, utf-16 or cp1252.",
            ) from None
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{name} cannot be decoded as {encoding}: invalid byte(s) at position {exc.start}",
                hint="leave out the encoding to detect it, or pass the encoding the file was saved with.",
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif _looks_utf16(raw):
        candidates = ["utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16 nor GBK/GB18030 text",
        hint="save the file as 'CSV UTF-8' in Excel, or pass the encoding it was saved with "
        "(encoding='cp1252', --encoding cp1252, …).",
    )


def _looks_utf16(raw: bytes) -> bool:
    head = raw[:200]
    if len(head) < 4 or b"\x00" not in head:
        return False
    odd_zero = head[1::2].count(0) / max(1, len(head[1::2]))
    even_zero = head[0::2].count(0) / max(1, len(head[0::2]))
    return odd_zero > 0.7 or even_zero > 0.7


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


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read_text(p: Path, name: str, encoding: str | None) -> RawTable:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise _os_error(name, exc) from None
    text, used = _decode(raw, name, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    # leading blank lines: the header is the first non-blank line (row numbers stay true)
    lines_skipped = 0
    pos = 0
    while True:
        nl = text.find("\n", pos)
        line = text[pos:] if nl < 0 else text[pos:nl]
        if line.strip() or nl < 0:
            break
        lines_skipped += 1
        pos = nl + 1
    text = text[pos:]
    nl = text.find("\n")
    first_line = text if nl < 0 else text[:nl]
    if not text.strip():
        raise InputFileError(
            f"{name} holds no data: there is no header row",
            hint="export the responses again; the first row must hold the column names.",
        )
    sep = _sniff_separator(first_line)
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
    except (ValueError, UnicodeError) as exc:
        raise InputFileError(f"{name} cannot be read as CSV: {exc}", hint="check the file's format.") from None

    values = frame.to_numpy(dtype=object)
    header = tuple(values[0]) if len(values) else ()
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    row_nos = np.arange(2, len(body) + 2, dtype=np.int64) + lines_skipped
    return _build(header, body, row_nos, name, None, used, excel=False)


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
    header: tuple,
    body: list[tuple] | pd.DataFrame,
    row_nos: np.ndarray,
    name: str,
    sheet: str | None,
    encoding: str | None,
    *,
    excel: bool,
) -> RawTable:
    where = _location(name, sheet)
    if isinstance(body, pd.DataFrame):
        frame = body
        width = max(len(header), frame.shape[1])
    else:
        width = max([len(header)] + [len(r) for r in body])
        if body:
            frame = pd.DataFrame([tuple(r) + (None,) * (width - len(r)) for r in body], columns=range(width))
        else:
            frame = pd.DataFrame({k: pd.Series(dtype=object) for k in range(width)})
    names = [_header_name(v) for v in header] + [""] * (width - len(header))

    if not excel:
        frame = _trim_trailing_empty_rows(frame)
        row_nos = row_nos[: len(frame)]

    # columns without a header: dropped when empty, otherwise named after their column letter
    keep = []
    for k, nm in enumerate(names):
        if nm:
            keep.append(k)
        elif k < frame.shape[1] and not _column_blank(frame.iloc[:, k]):
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
    return RawTable(frame=frame, row_numbers=np.asarray(row_nos, dtype=np.int64), source=name, sheet=sheet, encoding=encoding)


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
