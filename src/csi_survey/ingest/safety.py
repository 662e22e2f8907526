"""Safety checks made before a responses file is loaded.

A survey export comes from outside, so it is treated as untrusted input:

* :class:`Limits` bounds what :func:`~csi_survey.ingest.readers.read_table` agrees to load (file
  size, uncompressed size and compression ratio of a workbook, number of cells).
* :func:`open_xlsx` / :meth:`XlsxPackage.verify` inspect an ``.xlsx``/``.xlsm`` workbook (a zip of
  XML files) **before** any spreadsheet library parses it:

  1. the zip's central directory: every member's declared uncompressed size, its compression ratio
     (members above 1 MB only: small XML parts legitimately compress very well) and the total
     are checked against the limits, without decompressing anything (a zip bomb is refused in
     milliseconds);
  2. every member is then decompressed as a stream, in 1 MB pieces that are dropped at once, and
     refused as soon as it produces more bytes than its header declares (a lying header) or its
     CRC does not match; XML members are refused when they contain a document type declaration
     (``<!DOCTYPE``: Excel never writes one; it is what XML entity-expansion attacks such as
     "billion laughs" need);
  3. the chosen worksheet's ``<dimension ref="A1:T100001">`` (read from its first bytes) and the
     actual extent of its cell references (the highest row and column referenced, found with
     regular expressions on the streamed XML) must stay within ``max_cells``: the spreadsheet
     reader allocates rows × columns cells from A1, so a sparse sheet with one cell at XFD1048576
     would otherwise need billions;
  4. formula cells: the workbook is read with the values Excel stored for its formulas (never
     evaluated). When the sheet holds formulas (a ``<f>`` element), it is parsed once more with
     :mod:`defusedxml`, and a formula cell without a stored value (a file written by a script and
     never opened in Excel) is refused, naming the cells, instead of silently becoming an empty
     answer.

Every refusal is an :class:`~csi_survey.exceptions.InputFileError` saying what was found, in which
file, which limit it exceeds and how to raise it.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import BinaryIO

from ..exceptions import InputFileError, SettingsError

__all__ = ["Limits", "LIMIT_OPTIONS", "check_file_size", "too_wide", "open_xlsx", "XlsxPackage", "SheetEntry", "cell_ref"]

#: The command-line option that sets each limit (used in the hints of the messages).
LIMIT_OPTIONS = {
    "max_file_bytes": "--max-file-mb",
    "max_uncompressed_bytes": "--max-uncompressed-mb",
    "max_compression_ratio": "--max-compression-ratio",
    "max_cells": "--max-cells",
    "max_columns": "--max-columns",
}

_MB = 1_000_000
_CHUNK = 1 << 20  # decompressed bytes per piece
_READ = 1 << 16  # compressed bytes read at a time
_RATIO_GRACE = 1 * _MB  # members smaller than this are not checked for their compression ratio
_HEAD = 1 << 16  # bytes of a worksheet searched for its <dimension>
_MAX_FORMULA_CELLS_LISTED = 10


@dataclass(frozen=True)
class Limits:
    """What :func:`~csi_survey.ingest.readers.read_table` agrees to load.

    Attributes
    ----------
    max_file_bytes:
        Size of the file on disk (any format). Default 2 GB.
    max_uncompressed_bytes:
        Workbooks: the total size of the workbook's parts once decompressed (and of any single
        part). Default 200 MB, about 6 million numeric cells.
    max_compression_ratio:
        Workbooks: uncompressed / compressed size of any part above 1 MB. Real worksheets compress
        5–30×; a zip bomb compresses about 1000×. Default 100.
    max_cells:
        Workbooks and SPSS files: rows × columns of the table (for a worksheet, from A1 to the last
        row and column used). Default 20 million.
    max_columns:
        CSV files and workbooks: columns of the table (a CSV's header line, a worksheet's last column
        used). Default 16,384, the most an Excel worksheet holds (column XFD). Checked before the
        table is parsed: a header line of a million fields is refused in milliseconds instead of
        costing minutes and gigabytes.
    """

    max_file_bytes: int = 2_000 * _MB
    max_uncompressed_bytes: int = 200 * _MB
    max_compression_ratio: float = 100.0
    max_cells: int = 20_000_000
    max_columns: int = 16_384

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v != v:
                raise SettingsError(
                    f"Limits.{f.name} must be a positive number; got {v!r}",
                    hint=f"pass a positive value, e.g. Limits({f.name}={f.default!r}) (the default).",
                )


def limit_hint(limit: str, value: float | None = None) -> str:
    """The fix to name when a safety limit refused a file: how to raise ``limit`` from Python and on the command line."""
    unit = " (in MB)" if limit.endswith("_bytes") else ""
    example = f"Limits({limit}=...)"
    return (
        f"if you trust the file, raise the limit: read_table(..., limits={example}) or the command-line "
        f"option {LIMIT_OPTIONS[limit]}{unit}"
    )


def _mb(n: float) -> str:
    return f"{n / _MB:,.1f} MB" if n < 10 * _MB else f"{n / _MB:,.0f} MB"


def check_file_size(size: int, name: str, limits: Limits) -> None:
    """Refuse a file larger than ``limits.max_file_bytes``."""
    if size > limits.max_file_bytes:
        raise InputFileError(
            f"{name} is {_mb(size)}, more than the limit of {_mb(limits.max_file_bytes)} for a responses file "
            f"(max_file_bytes)",
            hint=limit_hint("max_file_bytes") + ".",
        )


def too_wide(name: str, n_columns: int, limits: Limits, where: str | None = None, at_least: bool = False) -> InputFileError:
    """The refusal of a table wider than ``limits.max_columns``."""
    return InputFileError(
        f"{where or name} was not read: it has {'at least ' if at_least else ''}{n_columns:,} columns, more than the limit of "
        f"{limits.max_columns:,} columns (max_columns); a survey export rarely has more than a few hundred",
        hint="keep only the questionnaire's columns (and the id, weight or segment columns) in the export, or, if the "
        "file is right, " + limit_hint("max_columns").removeprefix("if you trust the file, ") + ".",
    )


def cell_ref(row: int, col: int) -> str:
    """``cell_ref(1, 1) == "A1"`` (1-based row and column)."""
    letters = ""
    n = col
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        n = n * 26 + (ord(ch) - 64)
    return n


# ====================================================================== xlsx
@dataclass(frozen=True)
class SheetEntry:
    name: str
    kind: str  # "worksheet", "chartsheet", "dialogsheet", "macrosheet", …
    member: str | None  # path of its XML inside the zip


@dataclass
class XlsxPackage:
    """An opened workbook that passed the checks of the zip directory (see :func:`open_xlsx`)."""

    path: Path
    name: str
    limits: Limits
    zf: zipfile.ZipFile
    sheets: list[SheetEntry] = field(default_factory=list)

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> XlsxPackage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ checks of every member
    def verify(self, sheet: SheetEntry) -> None:
        """Stream every member (true sizes, CRC, no DTD) and check ``sheet``'s extent and formulas."""
        where = f"sheet {sheet.name!r} of {self.name}"
        total = 0
        scan: _SheetScan | None = None
        with open(self.path, "rb") as fh:
            for info in self.zf.infolist():
                if info.is_dir():
                    continue
                is_sheet = info.filename == sheet.member
                is_xml = info.filename.lower().endswith((".xml", ".rels", ".vml")) or is_sheet
                if is_sheet:
                    scan = _SheetScan(where, self.limits)
                in_prolog = is_xml
                for chunk in _member_chunks(fh, info, self.name):
                    total += len(chunk)
                    if total > self.limits.max_uncompressed_bytes:
                        raise _too_big(self.name, total, self.limits, lying=True)
                    if in_prolog:  # a DTD can only come before the root element
                        _check_no_dtd(chunk, info.filename, self.name)
                        in_prolog = _ROOT_START.search(chunk) is None
                    if scan is not None and is_sheet:
                        scan.feed(chunk)
                if scan is not None and is_sheet:
                    scan.finish()
        if scan is None:
            part = f"its part {sheet.member!r} is" if sheet.member else "its XML part is"
            raise InputFileError(
                f"{where} cannot be read: {part} missing from the workbook",
                hint="the file is damaged; open it in Excel, save it again as .xlsx and retry.",
            )
        if scan.formulas:
            self._check_formulas(sheet, where)

    def _check_formulas(self, sheet: SheetEntry, where: str) -> None:
        import defusedxml.ElementTree as DET

        missing: list[str] = []
        n_missing = 0
        try:
            with self.zf.open(sheet.member) as stream:
                for _event, elem in DET.iterparse(stream, events=("end",), forbid_dtd=True):
                    tag = elem.tag.rsplit("}", 1)[-1]
                    if tag == "c":
                        f = v = None
                        for child in elem:
                            ctag = child.tag.rsplit("}", 1)[-1]
                            if ctag == "f":
                                f = child
                            elif ctag in ("v", "is"):
                                v = child
                        if f is not None:
                            t = elem.get("t", "n")
                            has_value = v is not None and (_value_text(v) != "" or t in ("str", "inlineStr"))
                            if not has_value:
                                n_missing += 1
                                if len(missing) < _MAX_FORMULA_CELLS_LISTED:
                                    formula = (f.text or "").strip()
                                    ref = elem.get("r") or "?"
                                    missing.append(f"{ref} (={formula})" if formula else ref)
                        elem.clear()
                    elif tag == "row":
                        elem.clear()
        except InputFileError:
            raise
        except Exception as exc:  # defusedxml refusals, XML syntax errors
            raise InputFileError(
                f"{where} cannot be read: its XML is damaged or unsafe ({type(exc).__name__}: {exc})",
                hint="open the file in Excel, save it again as .xlsx and retry.",
            ) from None
        if n_missing:
            listed = ", ".join(missing) + (f" and {n_missing - len(missing)} more" if n_missing > len(missing) else "")
            raise InputFileError(
                f"{where} has {n_missing} formula cell(s) without a calculated value: {listed}. "
                f"Formulas are never evaluated, and reading these cells as empty would silently lose answers",
                hint="the file was written by a program that does not calculate formulas; open it in Excel "
                "(or LibreOffice) and save it, so that the results are stored, or replace the formulas by their "
                "values (Copy, Paste Special → Values) before exporting.",
            )


def _value_text(elem) -> str:
    """Text of a ``<v>`` (or the concatenated ``<t>`` texts of an ``<is>``), stripped."""
    if elem.tag.rsplit("}", 1)[-1] == "is":
        return "".join(t.text or "" for t in elem.iter() if t.tag.rsplit("}", 1)[-1] == "t")
    return (elem.text or "").strip()


def open_xlsx(path: Path, name: str, limits: Limits) -> XlsxPackage:
    """Open a workbook's zip and check its directory (sizes, ratios); list its sheets.

    Raises :class:`InputFileError` for a file that is not a zip, damaged, encrypted, or beyond the
    limits. Nothing is decompressed beyond the few small parts that list the sheets.
    """
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except PermissionError:
        raise InputFileError(
            f"{name} cannot be opened: permission denied",
            hint="close the file if it is open in Excel or another program, and check that you may read it.",
        ) from None
    except Exception as exc:  # BadZipFile, ValueError, struct.error, unsupported compression methods, …
        raise _not_a_workbook(name, exc) from None
    try:
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:  # which copy would a reader use? refuse rather than guess
                raise _damaged(name, f"it holds the part {info.filename!r} twice")
            seen.add(info.filename)
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise InputFileError(
                    f"{name} is encrypted (password-protected) and cannot be read",
                    hint="open it in Excel, remove the password (File → Info → Protect Workbook) and save it again, "
                    "or export the responses as CSV.",
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _damaged(name, f"part {info.filename!r} uses an unsupported compression method ({info.compress_type})")
            size = info.file_size
            total += size
            if size > limits.max_uncompressed_bytes or total > limits.max_uncompressed_bytes:
                raise _too_big(name, max(size, total), limits, lying=False, member=info.filename if size > limits.max_uncompressed_bytes else None)
            if size > _RATIO_GRACE and size > limits.max_compression_ratio * max(info.compress_size, 1):
                ratio = size / max(info.compress_size, 1)
                raise InputFileError(
                    f"{name} was not read: its part {info.filename!r} expands {ratio:,.0f} times "
                    f"({_mb(info.compress_size)} → {_mb(size)}), more than the limit of "
                    f"{limits.max_compression_ratio:g} (max_compression_ratio). Real worksheets compress 5–30 times; "
                    f"this looks like a 'zip bomb'",
                    hint=limit_hint("max_compression_ratio") + ", or export the responses as CSV.",
                )
        pkg = XlsxPackage(path=path, name=name, limits=limits, zf=zf)
        with open(path, "rb") as fh:
            pkg.sheets = _list_sheets(zf, fh, name)
        return pkg
    except BaseException:
        zf.close()
        raise


def _not_a_workbook(name: str, exc: BaseException) -> InputFileError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return InputFileError(
        f"{name} is not a readable Excel workbook ({detail})",
        hint="the file may be damaged, password-protected, or another format renamed to .xlsx; "
        "open it in Excel and save it as 'Excel Workbook (.xlsx)' or export CSV.",
    )


def _damaged(name: str, detail: str) -> InputFileError:
    return InputFileError(
        f"{name} is not a readable Excel workbook: {detail}",
        hint="the file is damaged or was not written by a spreadsheet program; open it in Excel, save it again "
        "as .xlsx and retry, or export CSV.",
    )


def _too_big(name: str, size: int, limits: Limits, *, lying: bool, member: str | None = None) -> InputFileError:
    what = f"its part {member!r}" if member else "its parts"
    amount = f"more than {_mb(size)}" if lying else _mb(size)
    return InputFileError(
        f"{name} was not read: {what} expand to {amount} once decompressed, more than the limit of "
        f"{_mb(limits.max_uncompressed_bytes)} for a workbook (max_uncompressed_bytes)",
        hint=limit_hint("max_uncompressed_bytes") + ", or export the responses as CSV (read without this limit).",
    )


def _member_chunks(fh: BinaryIO, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """Decompress one member as a stream of pieces of at most 1 MB.

    Never produces more than the declared size (refuses instead), and checks the CRC at the end.
    """
    where = f"part {info.filename!r}"
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise _damaged(name, f"{where} has no valid local header")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    remaining = info.compress_size
    declared = info.file_size
    produced = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != declared:
            raise _damaged(name, f"{where} is stored with inconsistent sizes")
        while remaining:
            data = fh.read(min(_CHUNK, remaining))
            if not data:
                raise _damaged(name, f"{where} is truncated")
            remaining -= len(data)
            crc = zlib.crc32(data, crc)
            yield data
        produced = declared
    else:
        d = zlib.decompressobj(-15)
        try:
            while not d.eof:
                if d.unconsumed_tail:
                    buf = d.unconsumed_tail
                elif remaining > 0:
                    buf = fh.read(min(_READ, remaining))
                    if not buf:
                        raise _damaged(name, f"{where} is truncated")
                    remaining -= len(buf)
                else:
                    buf = b""
                out = d.decompress(buf, _CHUNK)
                if out:
                    produced += len(out)
                    if produced > declared:
                        raise InputFileError(
                            f"{name} was not read: its {where} decompresses to more than the {declared:,} bytes its "
                            f"zip header declares; the file is damaged or crafted (a 'zip bomb')",
                            hint="do not use this file; export the responses again (as .xlsx or CSV).",
                        )
                    crc = zlib.crc32(out, crc)
                    yield out
                elif not buf:
                    break
        except zlib.error as exc:
            raise _damaged(name, f"{where} cannot be decompressed ({exc})") from None
        if not d.eof:
            raise _damaged(name, f"{where} is truncated")
    if produced != declared:
        raise _damaged(name, f"{where} is {produced:,} bytes instead of the {declared:,} its header declares")
    if (crc & 0xFFFFFFFF) != info.CRC:
        raise _damaged(name, f"{where} fails its CRC check")


def _read_small(zf: zipfile.ZipFile, fh: BinaryIO, member: str, name: str) -> bytes | None:
    try:
        info = zf.getinfo(member)
    except KeyError:
        return None
    data = b"".join(_member_chunks(fh, info, name))
    _check_no_dtd(data, member, name)
    return data


def _check_no_dtd(probe: bytes, member: str, name: str) -> None:
    if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe or _utf16_dtd(probe):
        raise InputFileError(
            f"{name} was not read: its part {member!r} contains an XML document type declaration (<!DOCTYPE>/"
            f"<!ENTITY>), which Excel never writes and which XML entity-expansion attacks ('billion laughs') use",
            hint="do not use this file; export the responses again from the survey tool or Excel.",
        )


def _utf16_dtd(probe: bytes) -> bool:
    if probe[:2] in (b"\xff\xfe", b"\xfe\xff") or probe[:2] in (b"<\x00", b"\x00<"):
        for enc in ("utf-16-le", "utf-16-be"):
            text = probe.decode(enc, errors="ignore")
            if "<!DOCTYPE" in text or "<!ENTITY" in text:
                return True
    return False


_REL_NS_END = "}id"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(data: bytes, member: str, name: str):
    import defusedxml.ElementTree as DET

    try:
        return DET.fromstring(data, forbid_dtd=True)
    except Exception as exc:
        raise _damaged(name, f"part {member!r} is not valid XML ({type(exc).__name__}: {exc})") from None


def _rels(zf: zipfile.ZipFile, fh: BinaryIO, rels_member: str, base_dir: str, name: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target member path)."""
    data = _read_small(zf, fh, rels_member, name)
    if data is None:
        return {}
    root = _parse_xml(data, rels_member, name)
    out: dict[str, tuple[str, str]] = {}
    for el in root.iter():
        if _local(el.tag) != "Relationship":
            continue
        rid, typ, target = el.get("Id"), el.get("Type", ""), el.get("Target", "")
        if not rid or el.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(base_dir, target))
        out[rid] = (typ, path)
    return out


def _list_sheets(zf: zipfile.ZipFile, fh: BinaryIO, name: str) -> list[SheetEntry]:
    root_rels = _rels(zf, fh, "_rels/.rels", "", name)
    wb_member = next((t for typ, t in root_rels.values() if typ.endswith("/officeDocument")), "xl/workbook.xml")
    data = _read_small(zf, fh, wb_member, name)
    if data is None:
        raise _damaged(name, "it has no workbook part (xl/workbook.xml)")
    wb_dir = posixpath.dirname(wb_member)
    rels = _rels(zf, fh, posixpath.join(wb_dir, "_rels", posixpath.basename(wb_member) + ".rels"), wb_dir, name)
    root = _parse_xml(data, wb_member, name)
    sheets: list[SheetEntry] = []
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        sname = el.get("name")
        if sname is None:
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith(_REL_NS_END) and k != "sheetId"), None)
        typ, target = rels.get(rid, ("", None)) if rid else ("", None)
        kind = typ.rsplit("/", 1)[-1] if typ else "worksheet"
        sheets.append(SheetEntry(name=sname, kind=kind, member=target))
    if not sheets:
        raise _damaged(name, "its workbook part lists no sheets")
    return sheets


# ---------------------------------------------------------------------- worksheet extent
def _ci(ch: str) -> str:
    return f"[{ch}{ch.lower()}]"


def _letters_greater(cand: str) -> bytes:
    """Regex alternatives for column letters greater than ``cand`` (case-insensitive)."""
    n = len(cand)
    alts = [f"[A-Za-z]{{{n + 1},}}"]
    for i, ch in enumerate(cand):
        if ch < "Z":
            nxt = chr(ord(ch) + 1)
            cls = f"[{nxt}-Z{nxt.lower()}-z]"
            rest = n - i - 1
            alts.append("".join(_ci(c) for c in cand[:i]) + cls + (f"[A-Za-z]{{{rest}}}" if rest else ""))
    return ("(?:" + "|".join(alts) + ")").encode()


def _digits_greater(cand: str) -> bytes:
    """Regex alternatives for a decimal number greater than ``cand`` (no leading zeros in cand)."""
    n = len(cand)
    alts = [f"[1-9][0-9]{{{n},}}"]
    for i, ch in enumerate(cand):
        if ch < "9":
            rest = n - i - 1
            alts.append(cand[:i] + f"[{int(ch) + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return ("(?:" + "|".join(alts) + ")").encode()


_ATTR = rb"r\s*=\s*[\"']"
_DIM_RE = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([A-Za-z]*)([0-9]*)(?::([A-Za-z]*)([0-9]*))?[\"']")
_ROOT_RE = re.compile(rb"<([\w.-]+:)?worksheet\b")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_MAX_STEPS = 64  # regex matches per piece before switching to an exact scan of the piece
_SPACE = (b" ", b"\t", b"\n", b"\r")
_REF = re.compile(rb"r\s*=\s*[\"']([A-Za-z]*)0*([0-9]*)")
_REF_ANY = re.compile(rb"r\s*=\s*[\"']([A-Za-z]*)0*([0-9]*)[\"']")
_LAST_REF = re.compile(rb"[\"']([0-9]+)[A-Za-z]*[\"']\s*=\s*r\s")  # r="A123" read backwards


class _SheetScan:
    """Streams a worksheet's XML: declared dimension, highest row/column referenced, formulas."""

    def __init__(self, where: str, limits: Limits):
        self.where = where
        self.limits = limits
        self.col = "A"
        self.row = "1"
        self.prefix = b""
        self.head = b""
        self.started = False
        self.tail = b""
        self.formulas = False
        self._col_re = self._compile_col()
        self._row_re = self._compile_row()

    def _compile_col(self):
        return re.compile(_ATTR + _letters_greater(self.col) + rb"[0-9]")

    def _compile_row(self):
        return re.compile(_ATTR + rb"[A-Za-z]*0*" + _digits_greater(self.row) + rb"[\"']")

    def feed(self, chunk: bytes) -> None:
        if not self.started:
            self.head += chunk
            if len(self.head) < _HEAD and b"<sheetData" not in self.head and b":sheetData" not in self.head:
                return
            self.started = True
            data = self.head
            self.head = b""
            m = _ROOT_RE.search(data[:_HEAD])
            if m and m.group(1):
                self.prefix = m.group(1)
            self._check_dimension(data[:_HEAD])
        else:
            data = self.tail + chunk
        self._scan(data)
        self.tail = data[-128:]

    def finish(self) -> None:
        if not self.started:
            self.started = True
            self._check_dimension(self.head)
            self._scan(self.head)
        self._check_extent()

    def _check_dimension(self, head: bytes) -> None:
        m = _DIM_RE.search(head)
        if not m:
            return
        c1, r1, c2, r2 = (g.decode("ascii") if g else "" for g in m.groups())
        if not (c2 or r2):
            c2, r2 = c1, r1
        try:
            rows = int(r2) if r2 else 1_048_576
            cols = _col_number(c2) if c2 else 16_384
        except ValueError:
            return
        if rows * cols > self.limits.max_cells:
            ref = f"{c1}{r1}:{c2}{r2}" if m.group(3) is not None or m.group(4) is not None else f"{c1}{r1}"
            raise InputFileError(
                f"{self.where} was not read: it declares a used range of {ref}, {rows:,} rows × {cols:,} columns = "
                f"{rows * cols:,} cells, more than the limit of {self.limits.max_cells:,} cells (max_cells)",
                hint=limit_hint("max_cells") + ", or export the responses as CSV; if the sheet holds stray cells far "
                "below or right of the table, delete those rows/columns in Excel and save again.",
            )

    def _scan(self, data: bytes) -> None:
        if not self.formulas:
            f_tag = b"<" + self.prefix + b"f"
            pos = data.find(f_tag)
            while pos >= 0:
                nxt = data[pos + len(f_tag): pos + len(f_tag) + 1]
                if nxt in (b">", b" ", b"/", b"\t", b"\n", b"\r"):
                    self.formulas = True
                    break
                pos = data.find(f_tag, pos + 1)
        # rows normally ascend: start from the highest row referenced near the end of the piece
        last = _LAST_REF.search(data[-4096:][::-1])
        if last is not None:
            digits = last.group(1)[::-1].decode("ascii").lstrip("0")
            if digits and (len(digits), digits) > (len(self.row), self.row):
                self.row = digits
                self._row_re = self._compile_row()
        for kind in ("col", "row"):
            pos = 0
            steps = 0
            while True:
                rx = self._col_re if kind == "col" else self._row_re
                m = rx.search(data, pos)
                if m is None:
                    break
                steps += 1
                if steps > _MAX_STEPS:  # references in a pathological order: take the exact maxima
                    self._exact(data)
                    return
                pos = m.start() + 1
                if m.start() > 0 and data[m.start() - 1: m.start()] not in _SPACE:
                    continue  # an attribute whose name ends in "r" (header="…"), not r="…"
                ref = _REF.match(data, m.start())
                if ref is None:
                    continue
                if kind == "col":
                    self.col = ref.group(1).decode("ascii").upper() or self.col
                    self._col_re = self._compile_col()
                else:
                    self.row = ref.group(2).decode("ascii") or self.row
                    self._row_re = self._compile_row()
                self._check_extent()

    def _exact(self, data: bytes) -> None:
        best_row, best_col = int(self.row), _col_number(self.col)
        for m in _REF_ANY.finditer(data):
            if m.start() > 0 and data[m.start() - 1: m.start()] not in _SPACE:
                continue
            if m.group(1):
                c = _col_number(m.group(1))
                if c > best_col:
                    best_col, self.col = c, m.group(1).decode("ascii").upper()
            if m.group(2) and int(m.group(2)) > best_row:
                best_row = int(m.group(2))
                self.row = str(best_row)
        self._col_re = self._compile_col()
        self._row_re = self._compile_row()
        self._check_extent()

    def _check_extent(self) -> None:
        rows = int(self.row)
        cols = _col_number(self.col)
        if cols > self.limits.max_columns:
            raise too_wide("", cols, self.limits, where=f"{self.where} (its cells reach column {self.col})", at_least=True)
        if rows * cols > self.limits.max_cells:
            raise InputFileError(
                f"{self.where} was not read: its cells reach {cell_ref(rows, cols) if cols <= 16_384 and rows <= 10**9 else 'beyond XFD1048576'}, "
                f"{rows:,} rows × {cols:,} columns = {rows * cols:,} cells counted from A1, more than the limit of "
                f"{self.limits.max_cells:,} cells (max_cells)",
                hint=limit_hint("max_cells") + "; if the sheet holds stray cells far below or right of the table, "
                "delete those rows/columns in Excel and save again.",
            )
