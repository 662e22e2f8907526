"""read_table: plain CSV (engines, encodings, separators, decimal commas), xlsx via calamine, formats."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from csi_survey.exceptions import InputFileError, SettingsError
from csi_survey.ingest import readers
from csi_survey.ingest.readers import FORMATS, SUPPORTED_EXTENSIONS, read_table
from csi_survey.ingest.safety import Limits


def write_xlsx(path, rows, sheet="Responses"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    wb.save(path)
    return path


# ====================================================================== CSV engines
def test_pyarrow_and_c_engine_give_the_same_table(tmp_path, monkeypatch):
    rows = ["id,q1,q2,note", "007,1,10,a b", "008,,7,", "", "009,3,, x ", ",,,", "010,5,5,z", "", ""]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fast = read_table(path)
    calls = []
    real = readers._read_c

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(readers, "_read_c", spy)
    read_table(path)
    assert calls == []  # no quotes, regular rows: the pyarrow engine read it
    monkeypatch.setattr(readers, "_read_arrow", lambda *a, **k: None)
    slow = read_table(path)
    assert calls == [1]
    for raw in (fast, slow):
        assert list(raw.frame.columns) == ["id", "q1", "q2", "note"]
        assert raw.row_numbers.tolist() == [2, 3, 4, 5, 6, 7]  # blank line 4 kept, trailing blanks dropped
        assert raw.frame["id"].tolist()[:2] == ["007", "008"]
        assert raw.frame.iloc[2].isna().all() and raw.frame.iloc[4].isna().all()
        assert raw.frame["note"].tolist()[3] == " x "  # cells as in the file
        assert raw.format == "csv"
    pd.testing.assert_frame_equal(fast.frame, slow.frame)


def test_quoted_cells_with_line_breaks_keep_record_numbers_in_both_engines(tmp_path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text('id,comment,q1\n1,"line one\nline two",7\n2,"a, ""b""",8\n\n3,"",9\n', encoding="utf-8")
    fast = read_table(path)
    monkeypatch.setattr(readers, "_read_arrow", lambda *a, **k: None)
    slow = read_table(path)
    for raw in (fast, slow):
        assert raw.frame["comment"].tolist()[:2] == ["line one\nline two", 'a, "b"']
        assert pd.isna(raw.frame["comment"][3])  # "" is an empty cell
        assert raw.row_numbers.tolist() == [2, 3, 4, 5]  # records, as Excel shows them
        assert raw.frame["q1"].tolist()[:2] == ["7", "8"]
    pd.testing.assert_frame_equal(fast.frame, slow.frame)


def test_quoted_multiline_cells_across_pyarrow_blocks(tmp_path):
    lines = ["id,comment,q1"] + [f'{i},"first line\nsecond, line {i}",{i % 10 + 1}' for i in range(60_000)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_table(path)
    assert len(raw.frame) == 60_000 and raw.row_numbers[-1] == 60_001
    assert raw.frame["comment"].tolist()[-1] == "first line\nsecond, line 59999"
    assert raw.frame["q1"].tolist()[-1] == "10"


def test_ragged_short_row_falls_back_and_is_padded(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("a,b,c\n1,2,3\n4\n \n5,6,7\n", encoding="utf-8")
    raw = read_table(path)
    assert raw.row_numbers.tolist() == [2, 3, 4, 5]
    assert raw.frame["a"].tolist() == ["1", "4", " ", "5"]
    assert np.isnan(raw.frame["b"].tolist()[1])


def test_cr_only_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b\r1,2\r3,4\r")
    raw = read_table(path)
    assert raw.frame.values.tolist() == [["1", "2"], ["3", "4"]]
    assert raw.row_numbers.tolist() == [2, 3]


def test_text_cells_stay_text_not_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,x,y\n007,1.50,1e3\n", encoding="utf-8")
    raw = read_table(path)
    assert raw.frame.iloc[0].tolist() == ["007", "1.50", "1e3"]
    assert all(pd.api.types.is_string_dtype(t) for t in raw.frame.dtypes)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_with_leading_blank_lines(tmp_path, encoding):
    text = "\n\n编号,满意度,地区\n001,8,华东\n002,,华南\n"
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode(encoding))
    raw = read_table(path)
    assert list(raw.frame.columns) == ["编号", "满意度", "地区"]
    assert raw.frame["编号"].tolist() == ["001", "002"]
    assert raw.frame["地区"].tolist() == ["华东", "华南"]
    assert raw.row_numbers.tolist() == [4, 5]
    expected = {"gbk": "gb18030", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}.get(encoding, encoding)
    assert raw.encoding == expected


def test_tsv_extension_and_tab_separator(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    raw = read_table(path)
    assert raw.frame.to_dict("list") == {"a": ["1"], "b": ["2"]}


# ====================================================================== decimal commas
def test_decimal_commas_with_semicolons(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text(
        "id;gewicht;q1;mix;text;tausend\n"
        "001;7,5;8;1,5;a,b;1.234,5\n"
        "002;-0,25;9;x;c;2.000,0\n"
        "003;;10;2;d;3,0\n"
        "004;3;7; ;e;4\n",
        encoding="utf-8",
    )
    raw = read_table(path)
    f = raw.frame
    assert f["gewicht"].dtype == np.float64
    assert f["gewicht"].tolist()[:2] == [7.5, -0.25] and np.isnan(f["gewicht"][2]) and f["gewicht"][3] == 3.0
    # no comma at all: stays text; a non-number in the column: stays text; thousands separators: text
    assert f["q1"].tolist() == ["8", "9", "10", "7"]
    assert f["mix"].tolist()[:2] == ["1,5", "x"]
    assert f["text"].tolist()[0] == "a,b"
    assert f["tausend"].tolist()[0] == "1.234,5"
    assert f["id"].tolist() == ["001", "002", "003", "004"]


def test_decimal_commas_not_converted_with_comma_separator(tmp_path):
    path = tmp_path / "en.csv"
    path.write_text('a,b\n"7,5",1\n', encoding="utf-8")
    assert read_table(path).frame["a"].tolist() == ["7,5"]


def test_decimal_commas_prepare_end_to_end(tmp_path):
    from csi_survey import Questionnaire
    from csi_survey.ingest import prepare

    q = Questionnaire.from_yaml("scale: [1, 10]\nconstructs:\n  A: {items: [a1, a2]}\n  B: {items: [b1]}\npaths: [[A, B]]\n")
    path = tmp_path / "de.csv"
    path.write_text("a1;a2;b1\n7,5;8;9\n6;5,5;4\n", encoding="utf-8")
    data = prepare(read_table(path), q)
    assert data.items["a1"].tolist() == [7.5, 6.0]
    assert data.items["a2"].tolist() == [8.0, 5.5]


# ====================================================================== xlsx via calamine
def test_xlsx_values_types_and_row_numbers(tmp_path):
    rows = [
        None,  # leading empty row: header is row 2
        ["id", "q1", "when", "flag", "mixed", "note", "day"],
        ["r1", 7, dt.datetime(2024, 5, 1, 10, 30), True, 1, "x", dt.date(2024, 5, 1)],
        ["r2", 8.5, dt.datetime(2024, 5, 2), False, "DK", None, dt.date(2024, 5, 2)],
        None,
        ["r3", None, None, None, 3, "  ", None],
    ]
    path = tmp_path / "v.xlsx"
    wb = Workbook()
    ws = wb.active
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row or [], start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    wb.save(path)
    raw = read_table(path)
    assert raw.format == "xlsx" and raw.sheet == "Sheet" and raw.encoding is None
    assert raw.row_numbers.tolist() == [3, 4, 5, 6]
    f = raw.frame
    assert f["q1"].tolist()[:2] == [7.0, 8.5] and np.isnan(f["q1"][2])
    assert f["when"].tolist()[0] == pd.Timestamp("2024-05-01 10:30")
    assert f["flag"].tolist()[:2] == ["TRUE", "FALSE"]
    assert f["mixed"].tolist() == [1.0, "DK", None, 3.0]  # a mixed column keeps numbers and text
    assert f.iloc[2].isna().all()
    # a date-formatted cell is a datetime, as Excel holds it (calamine returns datetime.date)
    assert f["day"].dtype.kind == "M" and f["day"].tolist()[0] == pd.Timestamp("2024-05-01")


def test_xlsx_whole_number_columns_are_int64(tmp_path):
    path = write_xlsx(tmp_path / "i.xlsx", [["id", "q1", "q2"], [1001, 7, 7.5], [1002, 8, 1]])
    f = read_table(path).frame
    assert f["id"].dtype == np.int64 and f["id"].tolist() == [1001, 1002]
    assert f["q2"].dtype == np.float64


def test_xlsx_cached_formula_values_are_read(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["a", "b"], [1, 2]])
    # give B2 a formula with a stored result, as Excel writes it
    import zipfile

    src = zipfile.ZipFile(path)
    parts = {n: src.read(n) for n in src.namelist()}
    src.close()
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="B2" t="n"><v>2</v></c>', '<c r="B2"><f>A2*2</f><v>2</v></c>')
    sheet = sheet.replace("</row></sheetData>", '<c r="C2" t="str"><f>""</f><v></v></c></row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    raw = read_table(path)
    assert raw.frame["b"].tolist() == [2]


def test_xlsx_sheet_by_position_and_chart_sheet(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["a"])
    ws.append([1])
    from openpyxl.chart import BarChart, Reference

    cs = wb.create_chartsheet("Chart")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=2))
    cs.add_chart(chart)
    wb.move_sheet("Chart", offset=-1)
    path = tmp_path / "c.xlsx"
    wb.save(path)
    assert read_table(path).sheet == "Data"  # default: the first worksheet
    with pytest.raises(InputFileError, match="'Chart' of c.xlsx is a chart sheet"):
        read_table(path, sheet=0)
    assert read_table(path, sheet=1).frame["a"].tolist() == [1]


# ====================================================================== formats
def test_format_names_and_unknown_format(tmp_path):
    assert FORMATS == ("auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss", "googleforms", "wjx", "wenjuan", "tencent")
    assert SUPPORTED_EXTENSIONS[:5] == (".xlsx", ".xlsm", ".xls", ".csv", ".txt")
    path = tmp_path / "r.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        read_table(path, format="excel")
    assert "'auto', 'csv', 'xlsx', 'qualtrics', 'surveymonkey', 'spss', 'googleforms', 'wjx', 'wenjuan', 'tencent'" in str(exc.value)
    with pytest.raises(SettingsError, match="Limits"):
        read_table(path, limits={"max_cells": 10})


@pytest.mark.parametrize(
    "fname,fmt,needs",
    [("r.csv", "spss", "an SPSS data file"), ("r.csv", "xlsx", "an Excel workbook"), ("r.xlsx", "csv", "a text (CSV) file")],
)
def test_explicit_format_that_does_not_fit_the_file(tmp_path, fname, fmt, needs):
    path = tmp_path / fname
    if fname.endswith(".csv"):
        path.write_text("a\n1\n", encoding="utf-8")
    else:
        write_xlsx(path, [["a"], [1]])
    with pytest.raises(InputFileError) as exc:
        read_table(path, format=fmt)
    assert f"format={fmt!r} needs {needs}" in str(exc.value)
    assert "leave out the format" in exc.value.hint


def test_explicit_plain_format_reads_a_vendor_file_as_is(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('Q1,Q2\nHow?,Why?\n"{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"\n5,6\n', encoding="utf-8")
    assert read_table(path).format == "qualtrics"
    plain = read_table(path, format="csv")
    assert plain.format == "csv" and plain.row_numbers.tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "content,what", [(b"PK\x03\x04rest", "an Excel workbook"), (b"$FL2@(#) SPSS", "an SPSS data file"), (b"\xd0\xcf\x11\xe0xx", "old Excel")]
)
def test_binary_file_with_text_extension(tmp_path, content, what):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=what):
        read_table(path)


def test_sheet_option_refused_for_spss_and_csv(tmp_path):
    path = tmp_path / "r.sav"
    path.write_bytes(b"x")
    with pytest.raises(InputFileError, match="an SPSS data file, which has no sheets"):
        read_table(path, sheet="S")


def test_file_size_limit(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a\n" + "1\n" * 1000, encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        read_table(path, limits=Limits(max_file_bytes=100))
    assert "more than the limit" in str(exc.value) and "max_file_bytes" in str(exc.value)
    assert "--max-file-mb" in exc.value.hint
    assert len(read_table(path).frame) == 1000


def test_raw_table_repr_names_the_format(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert repr(read_table(path)) == "RawTable(r.csv, encoding utf-8, csv: 1 rows × 1 columns)"
