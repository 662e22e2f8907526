"""Tests of the report writers: formula-injection protection, CSV, Excel and atomic output."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from csi_survey.exceptions import ReportError
from csi_survey.report import AtomicOutput, Sheet, safe_frame, safe_text, write_csv, write_workbook

DANGEROUS = ["=1+1", "+cmd", "-2", "-3.5", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")', "-1+2"]


def labels_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["=1+1", "@SUM(A1)", "+cmd", "-2", "\tx", "顾客满意度", "plain", None],
            "score": [1.5, -2.0, 0.1 + 0.2, np.nan, 4.0, 5.0, 6.0, 7.0],
            "n": np.arange(8, dtype="int64"),
        }
    )


# -- safe_text / safe_frame -------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_text_prefixes_every_dangerous_start(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "顾客满意度", "", "a=b", "1+1", "3.5", "'=already", "#N/A"])
def test_safe_text_leaves_harmless_strings_alone(text):
    assert safe_text(text) == text


def test_safe_text_is_idempotent_and_ignores_non_strings():
    assert safe_text(safe_text("=1")) == "'=1"
    for value in (-3.5, -2, 0, None, True, np.float64(-1.0)):
        assert safe_text(value) is value
    nan = float("nan")
    assert safe_text(nan) is nan


def test_safe_frame_prefixes_text_cells_and_column_names_only():
    df = labels_frame().rename(columns={"score": "=score"})
    df["mixed"] = pd.Series(["-x", 3, None, 2.5, "ok", "@a", b"=bytes", "+1"], dtype=object)
    before = df.copy()

    out = safe_frame(df)

    assert list(out.columns) == ["label", "'=score", "n", "mixed"]
    assert out["label"].tolist()[:7] == ["'=1+1", "'@SUM(A1)", "'+cmd", "'-2", "'\tx", "顾客满意度", "plain"]
    assert pd.isna(out["label"].iloc[7])
    assert out["mixed"].tolist()[:2] == ["'-x", 3]
    assert out["mixed"].iloc[3] == 2.5 and out["mixed"].iloc[5] == "'@a" and out["mixed"].iloc[7] == "'+1"
    assert out["mixed"].iloc[6] == b"=bytes"  # not text: left alone
    # numeric columns untouched (values and dtypes), input not modified
    pd.testing.assert_series_equal(out["'=score"], df["=score"], check_names=False)
    pd.testing.assert_series_equal(out["n"], df["n"])
    assert out["label"].dtype == df["label"].dtype
    pd.testing.assert_frame_equal(df, before)


def test_safe_frame_handles_categoricals_and_columns_without_text():
    df = pd.DataFrame(
        {
            "segment": pd.Categorical(["=a", "b", "=a", None]),
            "ints_as_objects": pd.Series([1, 2, 3, 4], dtype=object),
            "flag": [True, False, True, False],
        }
    )
    out = safe_frame(df)
    assert out["segment"].tolist()[:3] == ["'=a", "b", "'=a"]
    assert pd.isna(out["segment"].iloc[3])
    assert isinstance(out["segment"].dtype, pd.CategoricalDtype)
    pd.testing.assert_series_equal(out["ints_as_objects"], df["ints_as_objects"])
    pd.testing.assert_series_equal(out["flag"], df["flag"])


def test_safe_frame_keeps_categories_apart_when_prefixing_would_merge_them():
    out = safe_frame(pd.DataFrame({"c": pd.Categorical(["=x", "'=x"])}))
    assert out["c"].tolist() == ["'=x", "'=x"]  # both are shown the same; no error


def test_safe_frame_with_duplicate_index_and_column_names():
    df = pd.DataFrame([["=a", "=b"], ["c", "-d"]], columns=["x", "x"], index=[0, 0])
    out = safe_frame(df)
    assert out.values.tolist() == [["'=a", "'=b"], ["c", "'-d"]]
    assert list(out.index) == [0, 0]


# -- CSV --------------------------------------------------------------------------------------


def test_write_csv_utf8_bom_prefixed_text_and_full_precision(tmp_path):
    path = tmp_path / "index.csv"
    write_csv(labels_frame(), path)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "顾客满意度".encode("utf-8") in raw

    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == ["label", "score", "n"]
    assert back["label"].tolist()[:7] == ["'=1+1", "'@SUM(A1)", "'+cmd", "'-2", "'\tx", "顾客满意度", "plain"]
    assert back["score"].iloc[2] == 0.1 + 0.2  # 0.30000000000000004: not rounded
    assert back["n"].tolist() == list(range(8))
    # no text cell in the file starts with a formula character (numbers such as -2.0 may)
    for line in raw.decode("utf-8-sig").splitlines():
        for cell in line.split(","):
            try:
                float(cell)
            except ValueError:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_write_csv_empty_frame_gives_header_only(tmp_path):
    path = tmp_path / "empty.csv"
    write_csv(pd.DataFrame({"a": [], "=b": []}), path)
    assert path.read_bytes().decode("utf-8-sig").splitlines() == ["a,'=b"]


def test_write_csv_missing_values_are_empty_fields(tmp_path):
    path = tmp_path / "nan.csv"
    write_csv(pd.DataFrame({"x": [math.nan, 1.0], "y": ["a", None]}), path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["x,y", ",a", "1.0,"]


def test_write_csv_unwritable_path_is_a_report_error(tmp_path):
    with pytest.raises(ReportError) as info:
        write_csv(labels_frame(), tmp_path / "missing" / "index.csv")
    assert "index.csv" in str(info.value) and info.value.hint


# -- Excel ------------------------------------------------------------------------------------


def results_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": ["=HYPERLINK(\"http://evil\",\"x\")", "-1+2", "顾客满意度", "#N/A"],
            "index": [71.234, 65.0, np.nan, 80.5],
            "ci_lower": [70.1, 64.0, 60.0, 79.0],
            "ci_upper": [72.2, 66.0, 61.0, 82.0],
            "sat_index": [1.0, 2.0, 3.0, 4.0],
            "n": np.array([100, 200, 300, 400], dtype="int64"),
            "n_valid": [99.0, 198.0, 290.0, 400.0],
            "row": [2, 3, 4, 5],
            "count": np.array([1, 2, 3, 4], dtype="int32"),
            "weight": [0.12345, 0.5, 0.25, 0.125],
            "share": [0.1, 0.2, 0.3, 0.4],
            "significant": [True, False, True, False],
        }
    )


@pytest.fixture
def workbook_path(tmp_path) -> Path:
    path = tmp_path / "report.xlsx"
    write_workbook(
        path,
        [
            Sheet("Index", results_frame(), number_formats={"share": "0.0%"}),
            Sheet("Drivers", results_frame(), note="Weights are normalised; -1 means reversed."),
            Sheet("About", None, note="Only a note"),
        ],
        title="ACSI 2026-Q3",
    )
    return path


def test_workbook_sheets_in_order_and_title(workbook_path):
    wb = openpyxl.load_workbook(workbook_path)
    assert wb.sheetnames == ["Index", "Drivers", "About"]
    assert wb.properties.title == "ACSI 2026-Q3"


def test_workbook_header_formatting_freeze_and_filter(workbook_path):
    ws = openpyxl.load_workbook(workbook_path)["Index"]
    header = [cell.value for cell in ws[1]]
    assert header == list(results_frame().columns)
    assert all(cell.font.b for cell in ws[1])
    assert ws["A1"].fill.fill_type == "solid"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L5"
    assert not ws["A2"].font.b


def test_workbook_number_formats(workbook_path):
    ws = openpyxl.load_workbook(workbook_path)["Index"]
    formats = {ws.cell(row=1, column=j).value: ws.cell(row=2, column=j).number_format for j in range(1, 13)}
    assert formats["index"] == "0.0"
    assert formats["ci_lower"] == "0.0" and formats["ci_upper"] == "0.0"
    assert formats["sat_index"] == "0.0"
    assert formats["n"] == "0" and formats["n_valid"] == "0" and formats["row"] == "0"
    assert formats["count"] == "0"  # integer dtype
    assert formats["weight"] == "0.000"  # other floats
    assert formats["share"] == "0.0%"  # override
    assert formats["significant"] == "General"


def test_workbook_values_types_and_injection_protection(workbook_path):
    ws = openpyxl.load_workbook(workbook_path)["Index"]
    a2, a3, a4, a5 = ws["A2"], ws["A3"], ws["A4"], ws["A5"]
    assert a2.data_type == "s" and a2.value == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert a3.data_type == "s" and a3.value == "'-1+2"
    assert a4.value == "顾客满意度"
    assert a5.data_type == "s" and a5.value == "#N/A"  # text, not an error code
    assert ws["B2"].value == pytest.approx(71.234) and ws["B2"].data_type == "n"
    assert ws["B4"].value is None  # NaN → empty cell
    assert ws["F2"].value == 100 and isinstance(ws["F2"].value, int)
    assert ws["L2"].value is True and ws["L3"].value is False
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_workbook_dangerous_column_names_are_text(tmp_path):
    path = tmp_path / "names.xlsx"
    write_workbook(path, [Sheet("S", pd.DataFrame({"=cmd()": [1.0], "@x": ["-y"]}))])
    ws = openpyxl.load_workbook(path)["S"]
    assert [(c.value, c.data_type) for c in ws[1]] == [("'=cmd()", "s"), ("'@x", "s")]
    assert (ws["B2"].value, ws["B2"].data_type) == ("'-y", "s")


def test_workbook_note_placement(workbook_path):
    wb = openpyxl.load_workbook(workbook_path)
    ws = wb["Drivers"]
    assert ws["A1"].value == "Weights are normalised; -1 means reversed."
    assert ws["A1"].font.i and ws["A1"].data_type == "s"
    assert ws["A2"].value is None
    assert ws["A3"].value == "construct" and ws["A3"].font.b
    assert ws["A4"].value == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:L7"
    about = wb["About"]
    assert about["A1"].value == "Only a note" and about.max_row == 1
    assert about.freeze_panes is None


def test_workbook_reopens_with_pandas(workbook_path):
    back = pd.read_excel(workbook_path, sheet_name="Drivers", header=2)
    expected = results_frame()
    assert list(back.columns) == list(expected.columns)
    # (pandas reads the text "#N/A" as missing by default, hence the slice)
    assert back["construct"].tolist()[:3] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'-1+2", "顾客满意度"]
    pd.testing.assert_frame_equal(back.drop(columns="construct"), expected.drop(columns="construct"), check_dtype=False)


def test_workbook_cjk_columns_are_wider_than_ascii(tmp_path):
    path = tmp_path / "widths.xlsx"
    table = pd.DataFrame({"a": ["顾客满意度指数测评"], "b": ["abcdefghi"], "c": ["x" * 500], "d": [1]})
    write_workbook(path, [Sheet("W", table)])
    ws = openpyxl.load_workbook(path)["W"]
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] > widths["B"]
    assert widths["A"] >= 18  # 9 CJK characters count as 18
    # XlsxWriter takes widths as Excel shows them and stores them with the cell padding added
    # (60 is stored as 60.71), hence the tolerance.
    assert widths["C"] == pytest.approx(60, abs=1)  # capped
    assert widths["D"] >= 8  # minimum


def test_workbook_sheet_names_sanitised_and_deduplicated(tmp_path):
    path = tmp_path / "names.xlsx"
    long = "Satisfaction index by region and quarter"
    names = ["a/b:c?[d]*\\", long, long, "Index", "INDEX", "'quoted'", ""]
    write_workbook(path, [Sheet(name, pd.DataFrame({"x": [1]})) for name in names])
    result = openpyxl.load_workbook(path).sheetnames
    assert result[0] == "a_b_c__d___"
    assert result[1] == long[:31]
    assert result[2].endswith(" (2)") and len(result[2]) <= 31
    assert result[3] == "Index" and result[4] == "INDEX (2)"
    assert result[5] == "quoted"
    assert result[6] == "Sheet"
    assert len({name.casefold() for name in result}) == len(result)
    assert all(len(name) <= 31 for name in result)


def test_workbook_special_values(tmp_path):
    path = tmp_path / "special.xlsx"
    table = pd.DataFrame(
        {
            "value": [np.inf, -np.inf, np.nan, 1.5],
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
            "mixed": pd.Series([np.int64(7), "=x", None, np.float32(0.5)], dtype=object),
            "text": ["a\x01b", "x\ry", "", "<&>"],
        }
    )
    write_workbook(path, [Sheet("S", table)])
    ws = openpyxl.load_workbook(path)["S"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == ["inf", "'-inf", None, 1.5]
    assert [ws.cell(row=r, column=2).value for r in range(2, 6)] == [1, None, 3, 4]
    assert ws["B2"].number_format == "0"
    assert [ws.cell(row=r, column=3).value for r in range(2, 6)] == [7, "'=x", None, 0.5]
    # A carriage return is stored as the OOXML escape "_x000D_", which Excel decodes and openpyxl
    # does not: decode it as Excel does.
    texts = [ws.cell(row=r, column=4).value for r in range(2, 6)]
    assert [unescape(t) if isinstance(t, str) else t for t in texts] == ["a\ufffdb", "x\ry", None, "<&>"]


def test_workbook_text_like_an_xml_escape_is_kept(tmp_path):
    path = tmp_path / "escape.xlsx"
    write_workbook(path, [Sheet("S", pd.DataFrame({"_x0041_": ["_x0041_", "a_x00e9_b"]}))])
    ws = openpyxl.load_workbook(path)["S"]
    # stored with Excel's escaped underscore ("_x005F_x0041_"), so Excel shows the text as typed
    assert [unescape(c.value) for c in ws["A"]] == ["_x0041_", "_x0041_", "a_x00e9_b"]


def test_workbook_empty_table_writes_header_only(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_workbook(path, [Sheet("Empty", pd.DataFrame({"index": pd.Series([], dtype=float), "label": []}))])
    ws = openpyxl.load_workbook(path)["Empty"]
    assert ws.max_row == 1 and [c.value for c in ws[1]] == ["index", "label"]
    assert ws.freeze_panes == "A2"


def test_workbook_many_rows_round_trip(tmp_path):
    # more rows than one internal chunk, to check rows are streamed in order
    n = 12_345
    table = pd.DataFrame(
        {"row": np.arange(2, n + 2), "score": np.linspace(0, 1, n), "label": [f"r{i}" for i in range(n)]}
    )
    path = tmp_path / "big.xlsx"
    write_workbook(path, [Sheet("Scores", table)])
    back = pd.read_excel(path)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    ws = openpyxl.load_workbook(path, read_only=True)["Scores"]
    assert ws.max_row == n + 1 and ws.max_column == 3


def test_workbook_errors(tmp_path):
    with pytest.raises(ReportError):
        write_workbook(tmp_path / "none.xlsx", [])
    with pytest.raises(ReportError) as info:
        write_workbook(tmp_path / "missing" / "report.xlsx", [Sheet("S", pd.DataFrame({"x": [1]}))])
    assert "report.xlsx" in str(info.value) and info.value.hint
    assert not (tmp_path / "missing").exists()


def test_workbook_too_large_table_is_checked_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr("csi_survey.report.xlsx.MAX_ROWS", 10)
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"old report")
    with pytest.raises(ReportError) as info:
        write_workbook(path, [Sheet("Small", pd.DataFrame({"x": [1]})), Sheet("Big", pd.DataFrame({"x": range(10)}))])
    assert "Big" in str(info.value) and "CSV" in info.value.hint
    assert path.read_bytes() == b"old report"  # nothing written


def test_workbook_failure_half_way_removes_the_partial_file(tmp_path, monkeypatch):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("cannot show")

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where XlsxWriter's temp files go
    out = tmp_path / "out"
    out.mkdir()
    sheets = [
        Sheet("First", pd.DataFrame({"x": np.arange(20_000)})),
        Sheet("Second", pd.DataFrame({"x": pd.Series([1, Unprintable()], dtype=object)})),
    ]
    with pytest.raises(RuntimeError, match="cannot show"):
        write_workbook(out / "report.xlsx", sheets)
    assert list(out.iterdir()) == []
    assert list(scratch.iterdir()) == []  # temp files removed too


# -- AtomicOutput -----------------------------------------------------------------------------


def staging_folders(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith(".csi-survey-tmp-")]


def test_atomic_output_moves_all_files_and_removes_staging(tmp_path):
    out_dir = tmp_path / "results" / "2026-Q3"  # parents created too
    with AtomicOutput(out_dir) as out:
        csv_path = out.path("index.csv")
        xlsx_path = out.path("report.xlsx")
        assert csv_path.parent.parent == out_dir and csv_path.parent.name.startswith(".csi-survey-tmp-")
        write_csv(labels_frame(), csv_path)
        write_workbook(xlsx_path, [Sheet("Index", results_frame())])
        assert not (out_dir / "index.csv").exists()  # nothing visible before success
    assert sorted(p.name for p in out_dir.iterdir()) == [".csi-survey-manifest.json", "index.csv", "report.xlsx"]
    assert pd.read_csv(out_dir / "index.csv", encoding="utf-8-sig")["label"].iloc[0] == "'=1+1"
    assert openpyxl.load_workbook(out_dir / "report.xlsx").sheetnames == ["Index"]


def test_atomic_output_replaces_existing_files(tmp_path):
    with AtomicOutput(tmp_path) as out:  # an earlier run's file (a file csi-survey did not write is refused)
        out.path("index.csv").write_text("old")
    with AtomicOutput(tmp_path) as out:
        out.path("index.csv").write_text("new")
    assert (tmp_path / "index.csv").read_text() == "new"
    assert staging_folders(tmp_path) == []


def test_atomic_output_exception_leaves_directory_unchanged(tmp_path):
    old_csv = tmp_path / "index.csv"
    with AtomicOutput(tmp_path) as out:  # an earlier run's report
        out.path("index.csv").write_bytes(b"\xef\xbb\xbfold,report\n1,2\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    with pytest.raises(RuntimeError, match="engine failed"):
        with AtomicOutput(tmp_path) as out:
            write_csv(labels_frame(), out.path("index.csv"))
            write_csv(labels_frame(), out.path("drivers.csv"))
            raise RuntimeError("engine failed")

    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before


def test_atomic_output_exception_removes_folders_it_created(tmp_path):
    out_dir = tmp_path / "new" / "out"
    with pytest.raises(ValueError):
        with AtomicOutput(out_dir) as out:
            out.path("a.csv").write_text("x")
            raise ValueError
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_directory_is_a_file(tmp_path):
    not_a_dir = tmp_path / "results"
    not_a_dir.write_text("I am a file")
    with pytest.raises(ReportError) as info:
        with AtomicOutput(not_a_dir):
            pass  # pragma: no cover
    assert "is a file" in str(info.value) and info.value.hint
    assert not_a_dir.read_text() == "I am a file"
    with pytest.raises(ReportError):
        with AtomicOutput(not_a_dir / "sub"):
            pass  # pragma: no cover


def test_atomic_output_target_in_the_way_is_a_report_error(tmp_path):
    (tmp_path / "report.xlsx").mkdir()  # a folder where the file should go
    with pytest.raises(ReportError) as info:
        with AtomicOutput(tmp_path) as out:
            out.path("index.csv").write_text("x")
            out.path("report.xlsx").write_text("y")
    assert "report.xlsx" in str(info.value)
    assert not (tmp_path / "index.csv").exists()  # checked before anything is moved
    assert staging_folders(tmp_path) == []


def test_atomic_output_locked_target_names_the_file(tmp_path, monkeypatch):
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == "report.xlsx":  # as Windows does when Excel has the file open
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr("csi_survey.report.atomic.os.replace", replace)
    with pytest.raises(ReportError) as info:
        with AtomicOutput(tmp_path) as out:
            out.path("index.csv").write_text("x")
            out.path("report.xlsx").write_text("y")
    message = str(info.value)
    assert "report.xlsx" in message and "Permission denied" in message
    assert "already written: index.csv" in message  # each move is atomic; the user is told which
    assert not (tmp_path / "report.xlsx").exists()
    assert staging_folders(tmp_path) == []


def test_atomic_output_path_validation(tmp_path):
    with AtomicOutput(tmp_path) as out:
        for bad in ["", "..", "sub/a.csv", "../a.csv", "a\\b.csv"]:
            with pytest.raises(ReportError):
                out.path(bad)
    with pytest.raises(ReportError):
        out.path("late.csv")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_skips_names_never_written(tmp_path):
    with AtomicOutput(tmp_path) as out:
        out.path("unused.csv")
        out.path("used.csv").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".csi-survey-manifest.json", "used.csv"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_atomic_output_unwritable_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ReportError):
            with AtomicOutput(locked):
                pass  # pragma: no cover
    finally:
        locked.chmod(0o700)

