"""Safety of read_table on untrusted files: zip bombs, XML entities, sheet extent, formula cells,
limits, and property tests (random and damaged inputs raise InputFileError, never anything else)."""

from __future__ import annotations

import io
import struct
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from csi_survey.exceptions import InputFileError, SettingsError
from csi_survey.ingest.readers import RawTable, read_table
from csi_survey.ingest.safety import Limits

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def small_xlsx(path, rows=(("id", "q1"), (1, 7), (2, 8))):
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def replace_parts(path, replacements: dict[str, bytes], *, out=None, compresslevel=None):
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    parts.update(replacements)
    out = out or path
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return out


def sheet_xml(cells: str, dimension: str | None = "A1:B3") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"<worksheet {NS}>{dim}<sheetData>{cells}</sheetData></worksheet>".encode()


def refused(path, **kwargs) -> tuple[InputFileError, float, int]:
    """read_table must raise InputFileError: the error, the seconds it took and the peak memory traced."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(InputFileError) as exc:
            read_table(path, **kwargs)
    finally:
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return exc.value, elapsed, peak


# ====================================================================== zip bombs
@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """A workbook whose sheet XML is 400 MB of zeros, compressed to well under 1 MB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    small_xlsx(path)
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            if n != "xl/worksheets/sheet1.xml":
                z.writestr(n, b)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f"<worksheet {NS}><sheetData>".encode())
            zeros = bytes(8 * 1024 * 1024)
            for _ in range(50):
                fh.write(zeros)
    return path


def test_zip_bomb_refused_fast_and_small(zip_bomb):
    assert zip_bomb.stat().st_size < 1_000_000
    err, elapsed, peak = refused(zip_bomb)
    assert elapsed < 0.5 and peak < 5_000_000
    msg = str(err)
    assert "bomb.xlsx was not read" in msg and "'xl/worksheets/sheet1.xml'" in msg
    assert "419 MB" in msg and "limit of 200 MB" in msg and "max_uncompressed_bytes" in msg
    assert "Limits(max_uncompressed_bytes=...)" in err.hint and "--max-uncompressed-mb" in err.hint


def test_zip_bomb_compression_ratio(zip_bomb):
    err, elapsed, peak = refused(zip_bomb, limits=Limits(max_uncompressed_bytes=10**12))
    assert elapsed < 0.5 and peak < 5_000_000
    msg = str(err)
    assert "expands" in msg and "times" in msg and "max_compression_ratio" in msg and "zip bomb" in msg
    assert "--max-compression-ratio" in err.hint


def patch_declared_size(path: Path, member: str, new_size: int) -> None:
    """Make the zip headers of ``member`` declare ``new_size`` uncompressed bytes (a lying header)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, new_size)  # local header
    name = member.encode()
    pos = data.find(b"PK\x01\x02")  # central directory entries
    while pos >= 0:
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + nlen] == name:
            struct.pack_into("<I", data, pos + 24, new_size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


def test_lying_zip_header_refused(tmp_path):
    path = small_xlsx(tmp_path / "liar.xlsx")
    big = sheet_xml("".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 200_000)), None)
    replace_parts(path, {"xl/worksheets/sheet1.xml": big})
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 1000)
    err, elapsed, peak = refused(path)
    assert "decompresses to more than the 1,000 bytes its zip header declares" in str(err)
    assert elapsed < 0.5 and peak < 5_000_000


def test_fake_dimension_refused_fast(tmp_path):
    path = small_xlsx(tmp_path / "dim.xlsx")
    cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
    replace_parts(path, {"xl/worksheets/sheet1.xml": sheet_xml(cells, "A1:CV1000000")})  # 100 × 10^6 = 10^8 cells
    err, elapsed, peak = refused(path)
    assert elapsed < 0.5 and peak < 5_000_000
    msg = str(err)
    assert "sheet 'Responses' of dim.xlsx was not read: it declares a used range of A1:CV1000000" in msg
    assert "100,000,000 cells, more than the limit of 20,000,000 cells (max_cells)" in msg
    assert "--max-cells" in err.hint


@pytest.mark.parametrize("ref", ['r="XFD1048576"', "r='XFD1048576'", 'r = "xfd1048576"'])
def test_stray_far_cell_refused_before_allocation(tmp_path, ref):
    """One cell at XFD1048576 in a tiny file: the reader would allocate 17 billion cells from A1."""
    path = small_xlsx(tmp_path / "far.xlsx")
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
        f'<row r="1048576"><c {ref}><v>1</v></c></row>'
    )
    replace_parts(path, {"xl/worksheets/sheet1.xml": sheet_xml(cells, "A1")})
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    msg = str(exc.value)
    assert "its cells reach XFD1048576" in msg and "1,048,576 rows × 16,384 columns" in msg
    assert "delete those rows/columns" in exc.value.hint


def test_row_extent_counts_every_cell_reference(tmp_path):
    path = small_xlsx(tmp_path / "rows.xlsx")
    cells = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A5000"><v>3</v></c></row>'
    replace_parts(path, {"xl/worksheets/sheet1.xml": sheet_xml(cells, None)})
    with pytest.raises(InputFileError, match=r"5,000 rows × 2 columns = 10,000 cells"):
        read_table(path, limits=Limits(max_cells=9_999))
    raw = read_table(path, limits=Limits(max_cells=10_000))
    assert raw.row_numbers.tolist()[-1] == 5000


def test_references_in_pathological_order_are_scanned_in_linear_time(tmp_path):
    path = small_xlsx(tmp_path / "order.xlsx")
    n = 200_000
    cells = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in [*range(2, n), 1])  # last ref smallest
    wide = "".join(f'<c r="{c}1"><v>1</v></c>' for c in ["B", "C", "AA", "D", "ZZ", "E", "ABC"])
    replace_parts(path, {"xl/worksheets/sheet1.xml": sheet_xml(f'<row r="1">{wide}</row>' + cells, None)})
    err, elapsed, _ = refused(path, limits=Limits(max_cells=100))
    assert "max_cells" in str(err) and elapsed < 2  # refused as soon as the extent passes the limit
    err, elapsed, _ = refused(path, limits=Limits(max_cells=199_999 * 731 - 1))
    assert "its cells reach ABC199999, 199,999 rows × 731 columns" in str(err) and elapsed < 2


def test_header_attribute_is_not_a_cell_reference(tmp_path):
    path = small_xlsx(tmp_path / "margins.xlsx")
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    xml = xml.replace("</sheetData>", '</sheetData><headerFooter><oddHeader>x</oddHeader></headerFooter>')
    xml = xml.replace("<pageMargins", '<pageSetup firstPageNumber="4294967295"/><pageMargins')
    replace_parts(path, {"xl/worksheets/sheet1.xml": xml.encode()})
    assert read_table(path).frame["q1"].tolist() == [7, 8]


def test_within_limits_reads(tmp_path):
    path = small_xlsx(tmp_path / "ok.xlsx")
    assert read_table(path, limits=Limits(max_cells=6)).frame["q1"].tolist() == [7, 8]
    with pytest.raises(InputFileError, match="max_cells"):
        read_table(path, limits=Limits(max_cells=5))


# ====================================================================== damaged / not a zip
@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04" + bytes(40), b"PK\x05\x06" + bytes(18)])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="x.xlsx is not a readable Excel workbook"):
        read_table(path)


def test_truncated_and_corrupted_workbook(tmp_path):
    path = small_xlsx(tmp_path / "t.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match="not a readable Excel workbook"):
        read_table(path)
    # flip bytes inside the compressed sheet: CRC / inflate error, cleanly reported
    ok = small_xlsx(tmp_path / "c.xlsx")
    with zipfile.ZipFile(ok) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(ok.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 5, start + min(info.compress_size, 60)):
        raw[k] ^= 0x5A
    ok.write_bytes(bytes(raw))
    with pytest.raises(InputFileError, match="c.xlsx is not a readable Excel workbook"):
        read_table(ok)


def test_duplicate_member_refused(tmp_path):
    path = small_xlsx(tmp_path / "dup.xlsx")
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))
    with pytest.raises(InputFileError, match="holds the part 'xl/worksheets/sheet1.xml' twice"):
        read_table(path)


def test_encrypted_member_refused(tmp_path):
    path = small_xlsx(tmp_path / "enc.xlsx")
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        data[pos + 8] |= 0x1
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="enc.xlsx is encrypted"):
        read_table(path)


# ====================================================================== XML entities
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_billion_laughs_refused(tmp_path, member):
    path = small_xlsx(tmp_path / "lol.xlsx")
    with zipfile.ZipFile(path) as z:
        xml = z.read(member).decode()
    xml = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    if member.endswith("sheet1.xml"):
        xml = xml.replace("<v>7</v>", "<v>&lol9;</v>")
    replace_parts(path, {member: (LAUGHS + xml).encode()})
    t0 = time.perf_counter()
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    assert time.perf_counter() - t0 < 1
    assert "document type declaration" in str(exc.value) and repr(member) in str(exc.value)


def test_openpyxl_uses_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


# ====================================================================== formula cells
def test_formula_without_cached_value_refused(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["id", "q1", "q2"])
    ws.append([1, 7, "=B2+1"])
    ws.append([2, 8, "=B3+1"])
    path = tmp_path / "script.xlsx"
    wb.save(path)
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    msg = str(exc.value)
    assert "sheet 'Data' of script.xlsx has 2 formula cell(s) without a calculated value: C2 (=B2+1), C3 (=B3+1)" in msg
    assert "open it in Excel" in exc.value.hint and "Paste Special" in exc.value.hint


def test_formulas_on_another_sheet_do_not_matter(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["q1"])
    ws.append([7])
    wb.create_sheet("Calc").append(["=1+1"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    assert read_table(path).frame["q1"].tolist() == [7]
    with pytest.raises(InputFileError, match="sheet 'Calc'"):
        read_table(path, sheet="Calc")


def test_limits_validation():
    with pytest.raises(SettingsError, match="max_cells must be a positive number"):
        Limits(max_cells=0)
    with pytest.raises(SettingsError):
        Limits(max_file_bytes="2GB")
    assert Limits().max_uncompressed_bytes == 200_000_000 and Limits().max_compression_ratio == 100


# ====================================================================== property tests
# derandomized (reproducible, no example database written to the checkout); a few seconds in all
PROPERTY = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None)


def _read_tmp(data: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"f{suffix}"
        path.write_bytes(data)
        try:
            raw = read_table(path)
        except InputFileError:
            return None
        assert isinstance(raw, RawTable)
        assert len(raw.row_numbers) == len(raw.frame)
        if len(raw.row_numbers) > 1:
            assert (raw.row_numbers[1:] > raw.row_numbers[:-1]).all()
        return raw


@PROPERTY
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".sav", ".tsv"]))
def test_random_bytes(data, suffix):
    _read_tmp(data, suffix)


csv_text = st.lists(
    st.sampled_from(list('ab1 2,;\t"\n\r-.9\ufeff\x00é中{}:') + ['{"ImportId":"QID1"}', "Timestamp", "\r\n", "7,5", "Respondent ID", "Collector ID"]),
    max_size=120,
).map("".join)


@PROPERTY
@given(text=csv_text, encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "utf-8-sig"]))
def test_random_csv_text(text, encoding):
    raw = _read_tmp(text.encode(encoding, errors="replace"), ".csv")
    if raw is not None:
        assert raw.format in ("csv", "qualtrics", "surveymonkey", "googleforms")
        assert raw.row_numbers.min(initial=2) >= 2


_XML_PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"]


@pytest.fixture(scope="module")
def template_parts(tmp_path_factory):
    path = small_xlsx(tmp_path_factory.mktemp("tpl") / "t.xlsx")
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@PROPERTY
@given(
    drop=st.sets(st.sampled_from(_XML_PARTS)),
    junk=st.dictionaries(st.sampled_from(_XML_PARTS + ["x/y.bin"]), st.binary(max_size=300), max_size=3),
    stored=st.booleans(),
)
def test_random_zip_members(template_parts, drop, junk, stored):
    parts = {n: b for n, b in template_parts.items() if n not in drop}
    parts.update(junk)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    _read_tmp(buf.getvalue(), ".xlsx")


@PROPERTY
@given(cut=st.floats(0, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=4))
def test_damaged_xlsx(template_parts, cut, flips):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in template_parts.items():
            z.writestr(n, b)
    data = bytearray(buf.getvalue())
    for where, x in flips:
        data[int(where * (len(data) - 1))] ^= x
    data = bytes(data[: max(1, int(cut * len(data)))]) if cut < 1 else bytes(data)
    _read_tmp(data, ".xlsx")


@pytest.fixture(scope="module")
def sav_bytes(tmp_path_factory):
    pyreadstat = pytest.importorskip("pyreadstat")
    import pandas as pd

    path = tmp_path_factory.mktemp("sav") / "s.sav"
    pyreadstat.write_sav(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), str(path), column_labels=["A", "B"])
    return path.read_bytes()


@settings(max_examples=30, deadline=3000, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.floats(0.05, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=3))
def test_damaged_sav(sav_bytes, cut, flips):
    data = bytearray(sav_bytes)
    for where, x in flips:
        data[int(where * (len(data) - 1))] ^= x
    _read_tmp(bytes(data[: max(1, int(cut * len(data)))]), ".sav")
