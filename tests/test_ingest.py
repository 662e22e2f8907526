"""Tests of the ingest layer: reading exports (xlsx/csv) and preparing item scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from csi_survey import Questionnaire
from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError
from csi_survey.ingest import RawTable, SurveyData, prepare, read_responses, read_table

SPEC = """
name: test survey
scale: {min: 1, max: 10}
missing_codes: [98, 99, DK]
constructs:
  PQ:  {label: Perceived quality, items: [pq_overall, pq_custom]}
  SAT: {label: Customer satisfaction, items: [sat_overall, {id: sat_ideal, reverse: true}]}
paths:
  - [PQ, SAT]
"""

HEADER = ["respondent_id", "pq_overall", "pq_custom", "sat_overall", "sat_ideal", "region"]


@pytest.fixture
def q() -> Questionnaire:
    return Questionnaire.from_yaml(SPEC)


@pytest.fixture
def q_id() -> Questionnaire:
    return Questionnaire.from_yaml(SPEC + "id_column: respondent_id\n")


def write_csv(path, rows, encoding="utf-8", sep=","):
    text = "\n".join(sep.join("" if v is None else str(v) for v in r) for r in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path, sheets: dict[str, list[list]]):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(row=r, column=c, value=v)
    wb.save(path)
    return path


def check_accounting(data: SurveyData) -> None:
    assert data.n_used + data.n_excluded == data.n_read
    assert len(data.items) == len(data.respondent_id) == len(data.row) == len(data.other) == data.n_used
    assert list(data.excluded.columns) == ["row", "respondent_id", "reason"]
    assert not data.items.isna().any().any()
    assert (data.items.dtypes == np.float64).all()
    assert set(data.row).isdisjoint(set(data.excluded["row"]))


# ====================================================================== read_table: CSV
def test_csv_utf8(tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER, ["007", 7, 8, 9, 2, "Nord"], ["008", 5, " 6 ", 4, 3, "Süd"]])
    raw = read_table(path)
    assert isinstance(raw, RawTable)
    assert raw.encoding == "utf-8" and raw.sheet is None and raw.source == "r.csv"
    assert list(raw.frame.columns) == HEADER
    assert raw.row_numbers.tolist() == [2, 3]
    assert raw.frame["respondent_id"].tolist() == ["007", "008"]  # text kept as in the file
    assert raw.frame["region"].tolist() == ["Nord", "Süd"]


def test_csv_utf8_bom_and_header_whitespace(tmp_path):
    path = write_csv(tmp_path / "r.csv", [[" respondent_id ", "pq_overall "], ["1", "7"]], encoding="utf-8-sig")
    raw = read_table(path)
    assert raw.encoding == "utf-8-sig"
    assert list(raw.frame.columns) == ["respondent_id", "pq_overall"]  # no BOM, no spaces


def test_csv_gbk(tmp_path):
    header = ["编号", "满意度", "地区"]
    path = write_csv(tmp_path / "gbk.csv", [header, ["001", "8", "华东"], ["002", "9", "华南"]], encoding="gbk")
    raw = read_table(path)
    assert raw.encoding == "gb18030"
    assert list(raw.frame.columns) == header
    assert raw.frame["地区"].tolist() == ["华东", "华南"]


def test_csv_gb18030_beyond_gbk(tmp_path):
    rare = "𠮷野家"  # U+20BB7 is not in GBK, only in GB18030
    path = write_csv(tmp_path / "g.csv", [["名称", "满意度"], [rare, "7"]], encoding="gb18030")
    raw = read_table(path)
    assert raw.encoding == "gb18030"
    assert raw.frame["名称"].tolist() == [rare]


def test_csv_utf16_bom(tmp_path):
    path = write_csv(tmp_path / "u16.csv", [["a", "b"], ["1", "满意"]], encoding="utf-16")
    raw = read_table(path)
    assert raw.encoding == "utf-16"
    assert raw.frame["b"].tolist() == ["满意"]


def test_csv_explicit_encoding(tmp_path):
    path = write_csv(tmp_path / "c.csv", [["name", "x"], ["Zoë", "1"]], encoding="cp1252")
    assert read_table(path, encoding="cp1252").frame["name"].tolist() == ["Zoë"]
    with pytest.raises(InputFileError, match="cannot be decoded as ascii"):
        read_table(path, encoding="ascii")
    with pytest.raises(InputFileError, match="Unknown encoding"):
        read_table(path, encoding="no-such-codec")


def test_csv_undecodable(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n\xff\xff,1\n")  # neither UTF-8 nor GB18030
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    assert "encoding" in str(exc.value) and "bad.csv" in str(exc.value)
    assert "encoding=" in exc.value.hint


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_separator_sniffed(tmp_path, sep):
    path = write_csv(tmp_path / "s.txt", [["a", "b", "c"], ["1", "2,5", "3"]], sep=sep)
    raw = read_table(path)
    assert list(raw.frame.columns) == ["a", "b", "c"]
    # with ';' the comma is a decimal comma (a column of decimal-comma numbers becomes float)
    expected = ["1", 2.5, "3"] if sep == ";" else ["1", "2,5", "3"]
    assert raw.frame.iloc[0].tolist() == expected


def test_csv_row_numbers_with_blank_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n1,2\n\n3,4\n,\n5,6\n\n\n,\n", encoding="utf-8")
    raw = read_table(path)
    assert raw.row_numbers.tolist() == [2, 3, 4, 5, 6]  # trailing empty rows dropped
    assert raw.frame["a"].tolist()[0] == "1" and raw.frame["a"].tolist()[4] == "5"
    assert raw.frame.iloc[1].isna().all() and raw.frame.iloc[3].isna().all()


def test_csv_leading_blank_lines_keep_true_row_numbers(tmp_path):
    path = tmp_path / "lead.csv"
    path.write_text("\n\na,b\n1,2\n", encoding="utf-8")
    raw = read_table(path)
    assert list(raw.frame.columns) == ["a", "b"]
    assert raw.row_numbers.tolist() == [4]


def test_csv_ragged_row_is_explained(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"row 3 has 3 fields but the header has 2"):
        read_table(path)


def test_csv_duplicate_headers(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["id", "q1", "q2", "q1", "q2"], ["1", "2", "3", "4", "5"]])
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    msg = str(exc.value)
    assert "duplicate" in msg
    assert "'q1' (columns B (#2) and D (#4))" in msg
    assert "'q2' (columns C (#3) and E (#5))" in msg


def test_csv_with_sheet_rejected(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["a"], ["1"]])
    assert read_table(path, sheet=0).frame["a"].tolist() == ["1"]
    with pytest.raises(InputFileError, match="no sheets"):
        read_table(path, sheet="Responses")


# ====================================================================== read_table: errors
def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_table(tmp_path / "nope.xlsx")


def test_directory(tmp_path):
    with pytest.raises(InputFileError, match="is a folder"):
        read_table(tmp_path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "old.ods"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    assert ".xlsx, .xlsm, .xls, .csv, .txt" in str(exc.value)
    assert "Save .xlsb and .ods workbooks as .xlsx first" in str(exc.value)


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_text("this is not a zip file", encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    assert "broken.xlsx is not a readable Excel workbook" in str(exc.value)
    assert exc.value.hint


@pytest.mark.parametrize("name,content", [("e.csv", b""), ("e.xlsx", b""), ("w.csv", b"\n \n\n")])
def test_empty_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="no header row"):
        read_table(path)


def test_empty_sheet(tmp_path):
    path = write_xlsx(tmp_path / "e.xlsx", {"Empty": [], "Data": [["a"], [1]]})
    with pytest.raises(InputFileError, match="Sheet 'Empty' of e.xlsx is empty"):
        read_table(path)


# ====================================================================== read_table: xlsx
def test_xlsx_first_sheet_by_default_and_named_sheet(tmp_path):
    path = write_xlsx(
        tmp_path / "acsi.xlsx",
        {"Responses": [["id", "q1"], [1, 7], [2, 8]], "Codebook": [["variable", "label"], ["q1", "Quality"]]},
    )
    raw = read_table(path)
    assert raw.sheet == "Responses" and raw.encoding is None and raw.source == "acsi.xlsx"
    assert raw.frame["q1"].tolist() == [7, 8]
    assert raw.row_numbers.tolist() == [2, 3]
    book = read_table(path, sheet="Codebook")
    assert book.sheet == "Codebook" and book.frame["label"].tolist() == ["Quality"]
    assert read_table(path, sheet=1).sheet == "Codebook"
    assert read_table(path, sheet=" codebook").sheet == "Codebook"  # unique case-insensitive match


def test_xlsx_unknown_sheet_lists_sheets(tmp_path):
    path = write_xlsx(tmp_path / "acsi.xlsx", {"Responses": [["a"], [1]], "Codebook": [["b"], [2]]})
    with pytest.raises(InputFileError) as exc:
        read_table(path, sheet="Data")
    msg = str(exc.value)
    assert "'Data'" in msg and "acsi.xlsx" in msg and "'Responses', 'Codebook'" in msg
    with pytest.raises(InputFileError, match="Sheet number 5 does not exist"):
        read_table(path, sheet=5)


def test_xlsx_interior_empty_rows_kept_trailing_dropped(tmp_path):
    rows = [["id", "q1", "note"], [1, 7, "x"], [None], [3, 9, None], [None], [None, None, "  "]]
    path = write_xlsx(tmp_path / "gaps.xlsx", {"S": rows})
    # a formatted but empty cell far below must not create data rows either
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["S"]["A30"].number_format = "0.00"
    wb.save(path)
    raw = read_table(path)
    assert raw.row_numbers.tolist() == [2, 3, 4]
    assert raw.frame.iloc[1].isna().all()
    assert raw.frame["q1"].tolist()[2] == 9


def test_xlsx_duplicate_headers(tmp_path):
    path = write_xlsx(tmp_path / "d.xlsx", {"S": [["id", "q1", "q1 "], [1, 2, 3]]})
    with pytest.raises(InputFileError, match=r"'q1' \(columns B \(#2\) and C \(#3\)\)"):
        read_table(path)


def test_xlsx_unnamed_column_with_data_and_empty_unnamed_dropped(tmp_path):
    path = write_xlsx(tmp_path / "u.xlsx", {"S": [["id", None, "q1", None], [1, "memo", 7, None]]})
    raw = read_table(path)
    assert list(raw.frame.columns) == ["id", "Unnamed: B", "q1"]


# ====================================================================== prepare: columns
def test_missing_item_columns_listed_with_closest(tmp_path, q_id):
    path = write_xlsx(
        tmp_path / "acsi.xlsx",
        {"Responses": [["resp_id", "pq_overal", "pq_custom", "sat_overal", "region"], [1, 7, 8, 9, "N"]]},
    )
    with pytest.raises(InputFileError) as exc:
        read_responses(path, q_id)
    msg = str(exc.value)
    assert "4 columns of the questionnaire are missing from acsi.xlsx, sheet 'Responses'" in msg
    assert "column 'pq_overall' (item of PQ) not found in acsi.xlsx, sheet 'Responses'; closest: 'pq_overal'" in msg
    assert "column 'sat_overall' (item of SAT) not found" in msg
    assert "column 'sat_ideal' (item of SAT) not found" in msg
    assert "column 'respondent_id' (id_column) not found" in msg and "'resp_id'" in msg
    assert "pq_custom' (item" not in msg


def test_columns_matched_case_and_space_insensitively(q):
    df = pd.DataFrame({"PQ_Overall ": [7, 8], "pq_custom": [8, 9], "SAT_OVERALL": [9, 6], "sat_ideal": [2, 3]})
    data = prepare(df, q)
    assert list(data.items.columns) == q.item_ids
    assert data.items["pq_overall"].tolist() == [7.0, 8.0]
    assert data.items["sat_overall"].tolist() == [9.0, 6.0]


def test_dataframe_duplicate_columns(q):
    df = pd.DataFrame([[1, 2, 3, 4, 5]], columns=["pq_overall", "pq_custom", "sat_overall", "sat_ideal", "pq_custom"])
    with pytest.raises(InputFileError, match="duplicate"):
        prepare(df, q)


def test_header_only(tmp_path, q):
    path = write_csv(tmp_path / "h.csv", [HEADER])
    with pytest.raises(InputFileError, match="no data rows"):
        read_responses(path, q)


# ====================================================================== prepare: cells
def test_missing_codes_numeric_and_text(q):
    df = pd.DataFrame(
        {
            "pq_overall": ["98", 98.0, 7, "DK", " 99 "],
            "pq_custom": [5, 5, 5, 5, 5],
            "sat_overall": [" DK ", 4, "", 6, None],
            "sat_ideal": [2, 2, 2, 2, 2],
        }
    )
    data = prepare(df, q)
    assert data.n_used == 5
    miss = data.missing.set_index("item")
    assert miss.loc["pq_overall", "n_missing"] == 4
    assert miss.loc["sat_overall", "n_missing"] == 3
    assert miss.loc["pq_custom", "n_missing"] == 0
    # mean replacement: pq_overall's only answer is 7; sat_overall's answers are 4 and 6
    assert data.items["pq_overall"].tolist() == [7.0] * 5
    assert data.items["sat_overall"].tolist() == [5.0, 4.0, 5.0, 6.0, 5.0]
    assert miss.loc["sat_overall", "n_replaced"] == 3
    check_accounting(data)


def test_item_level_codes_and_scale_override():
    q = Questionnaire.from_yaml(
        """
scale: {min: 1, max: 10}
missing_codes: [98]
constructs:
  A: {items: [a1, {id: a2, scale: {min: 0, max: 100}, missing_codes: [-1]}]}
  B: {items: [b1], scale: [1, 5]}
paths: [[A, B]]
"""
    )
    # a2's own code (-1) replaces the spec's (98): 98 is a valid answer on its 0–100 scale
    df = pd.DataFrame({"a1": [3, 4, 98], "a2": [-1, 80, 98], "b1": [5, 1, 2]})
    data = prepare(df, q)
    assert data.items["a2"].tolist() == [89.0, 80.0, 98.0]
    assert data.items["a1"].tolist() == [3.0, 4.0, 3.5]
    assert data.missing.set_index("item")["n_missing"].to_dict() == {"a1": 1, "a2": 1, "b1": 0}
    with pytest.raises(DataValidationError) as exc:
        prepare(pd.DataFrame({"a1": [3], "a2": [100], "b1": [6]}), q)
    assert exc.value.failure_cases[["column", "problem"]].values.tolist() == [["b1", "out of range 1–5"]]


def test_reverse_coding(q):
    df = pd.DataFrame({"pq_overall": [7, 5], "pq_custom": [8, 6], "sat_overall": [9, 4], "sat_ideal": [2, 10]})
    data = prepare(df, q)
    assert data.items["sat_ideal"].tolist() == [9.0, 1.0]  # 1 + 10 - x
    assert data.items["sat_overall"].tolist() == [9.0, 4.0]  # not reversed


def test_invalid_cells_error_lists_every_cell_xlsx(tmp_path, q_id):
    rows = [
        HEADER,
        ["r1", 7, 8, 9, 2, "N"],
        [None],  # interior empty row 3
        ["r2", "abc", 8, 11, 2, "S"],
        ["r3", 7, 0, 9, 2, "E"],
        [None],
        ["r4", 7, 8, 9, "7,5", "W"],
    ]
    path = write_xlsx(tmp_path / "acsi.xlsx", {"Responses": rows})
    with pytest.raises(DataValidationError) as exc:
        read_responses(path, q_id)
    fc = exc.value.failure_cases
    assert list(fc.columns) == ["row", "respondent_id", "column", "value", "problem"]
    assert fc.to_dict("records") == [
        {"row": 4, "respondent_id": "r2", "column": "pq_overall", "value": "abc", "problem": "not a number"},
        {"row": 4, "respondent_id": "r2", "column": "sat_overall", "value": "11", "problem": "out of range 1–10"},
        {"row": 5, "respondent_id": "r3", "column": "pq_custom", "value": "0", "problem": "out of range 1–10"},
        {"row": 7, "respondent_id": "r4", "column": "sat_ideal", "value": "7,5", "problem": "not a number"},
    ]
    text = str(exc.value)
    assert "acsi.xlsx, sheet 'Responses'" in text and "(4 problems)" in text
    assert "--on-invalid exclude" in exc.value.hint


def test_invalid_cells_csv_rows(tmp_path, q):
    path = tmp_path / "r.csv"
    path.write_text(
        "pq_overall,pq_custom,sat_overall,sat_ideal\n7,8,9,2\n\n7,x,9,2\n\n\n", encoding="utf-8"
    )
    with pytest.raises(DataValidationError) as exc:
        read_responses(path, q)
    fc = exc.value.failure_cases
    assert fc[["row", "respondent_id", "column", "value"]].values.tolist() == [[4, "4", "pq_custom", "x"]]


def test_exclude_mode_reasons(tmp_path, q_id):
    rows = [
        HEADER,
        ["r1", 7, 8, 9, 2, "N"],
        ["r2", 7, "abc", 11, 2, "S"],
        [None],
        ["r3", 6, 7, 8, 3, "E"],
        ["r4", 3, " DK", 5, 3, "W"],
    ]
    path = write_xlsx(tmp_path / "acsi.xlsx", {"Responses": rows})
    data = read_responses(path, q_id, on_invalid="exclude")
    check_accounting(data)
    assert data.n_read == 5 and data.n_used == 3 and data.n_excluded == 2
    assert data.excluded.to_dict("records") == [
        {
            "row": 3,
            "respondent_id": "r2",
            "reason": "invalid value 'abc' in pq_custom (not a number); 11 in sat_overall (out of range 1–10)",
        },
        {"row": 4, "respondent_id": "", "reason": "empty row"},
    ]
    assert data.respondent_id.tolist() == ["r1", "r3", "r4"]
    assert data.row.tolist() == [2, 5, 6]
    assert data.other.columns.tolist() == ["respondent_id", "region"]
    assert data.other["region"].tolist() == ["N", "E", "W"]
    # pq_custom mean over used respondents (8 and 7) replaces the DK
    assert data.items["pq_custom"].tolist() == [8.0, 7.0, 7.5]
    assert data.source == "acsi.xlsx" and data.sheet == "Responses" and data.missing_method == "mean"


def test_no_valid_answer_for_construct(q):
    df = pd.DataFrame(
        {
            "pq_overall": [7, 6, None, 98, 5],
            "pq_custom": [8, 7, None, "DK", 4],
            "sat_overall": [9, None, None, 99, 5],
            "sat_ideal": [2, "DK", None, None, 5],
            "region": ["N", "S", "E", "W", None],
        }
    )
    data = prepare(df, q)
    check_accounting(data)
    both = "no valid answer for constructs PQ (Perceived quality), SAT (Customer satisfaction)"
    assert data.excluded.to_dict("records") == [
        {"row": 3, "respondent_id": "3", "reason": "no valid answer for construct SAT (Customer satisfaction)"},
        {"row": 4, "respondent_id": "4", "reason": both},
        {"row": 5, "respondent_id": "5", "reason": both},
    ]
    # row 4 has only a region, so it is not an empty row; row 5 holds only missing codes
    assert data.row.tolist() == [2, 6]
    assert data.respondent_id.tolist() == [2, 6]  # no id_column: the sheet row number


def test_all_empty_rows_are_counted(q):
    df = pd.DataFrame(
        {"pq_overall": [7, None, 6, None], "pq_custom": [7, "  ", 5, None], "sat_overall": [7, None, 5, None],
         "sat_ideal": [7, None, 5, None], "note": [None, None, None, " "]}
    )
    data = prepare(df, q)
    check_accounting(data)
    assert data.n_read == 4
    assert data.excluded["row"].tolist() == [3, 5]
    assert set(data.excluded["reason"]) == {"empty row"}


def test_mean_replacement_values_and_counts(q):
    df = pd.DataFrame(
        {
            "pq_overall": [2, 4, None, 9],
            "pq_custom": [5, 5, 5, 5],
            "sat_overall": [1, None, None, 4],
            "sat_ideal": [10, 9, 8, 7],
        }
    )
    data = prepare(df, q, missing="mean")
    check_accounting(data)
    assert data.items["pq_overall"].tolist() == [2.0, 4.0, 5.0, 9.0]
    assert data.items["sat_overall"].tolist() == [1.0, 2.5, 2.5, 4.0]
    assert data.items["sat_ideal"].tolist() == [1.0, 2.0, 3.0, 4.0]
    miss = data.missing
    assert list(miss.columns) == ["item", "construct", "n_missing", "n_replaced", "method"]
    assert set(miss["method"]) == {"mean"}
    assert miss["item"].tolist() == q.item_ids
    assert miss["construct"].tolist() == ["PQ", "PQ", "SAT", "SAT"]
    assert miss["n_missing"].tolist() == [1, 0, 2, 0]
    assert miss["n_replaced"].tolist() == [1, 0, 2, 0]
    assert data.excluded.empty
    assert data.excluded.dtypes["row"] == np.int64


def test_listwise(q_id):
    df = pd.DataFrame(
        {
            "respondent_id": [1001, 1002, 1003, 1004],
            "pq_overall": [2, 4, 6, 9],
            "pq_custom": [5, None, 5, 98],
            "sat_overall": [1, 3, 5, 4],
            "sat_ideal": [10, "DK", 8, 7],
        }
    )
    data = prepare(df, q_id, missing="listwise")
    check_accounting(data)
    assert data.missing_method == "listwise"
    assert data.respondent_id.tolist() == ["1001", "1003"]
    assert data.excluded.to_dict("records") == [
        {"row": 3, "respondent_id": "1002", "reason": "missing answer in listwise mode: pq_custom, sat_ideal"},
        {"row": 5, "respondent_id": "1004", "reason": "missing answer in listwise mode: pq_custom"},
    ]
    assert data.missing["n_missing"].tolist() == [0, 2, 0, 1]
    assert data.missing["n_replaced"].tolist() == [0, 0, 0, 0]
    assert data.items.loc[1].tolist() == [6.0, 5.0, 5.0, 3.0]


def test_id_column_text_from_csv_keeps_leading_zeros(tmp_path, q_id):
    path = write_csv(
        tmp_path / "r.csv",
        [HEADER, ["007", 7, 8, 9, 2, "N"], ["010", 5, 6, 4, 3, "S"], ["011", "x", 6, 4, 3, "S"]],
    )
    data = read_responses(path, q_id, on_invalid="exclude")
    check_accounting(data)
    assert data.respondent_id.tolist() == ["007", "010"]
    assert data.excluded["respondent_id"].tolist() == ["011"]
    assert data.excluded["row"].tolist() == [4]


def test_gbk_csv_end_to_end(tmp_path):
    q = Questionnaire.from_yaml(
        """
scale: [1, 5]
id_column: 编号
constructs:
  质量: {label: 感知质量, items: [质量1, 质量2]}
  满意: {label: 顾客满意度, items: [满意1]}
paths: [[质量, 满意]]
"""
    )
    rows = [["编号", "质量1", "质量2", "满意1", "地区"], ["甲", 4, 5, 3, "华东"], ["乙", 2, "不知道", 5, "华南"]]
    path = write_csv(tmp_path / "问卷.csv", rows, encoding="gbk")
    data = read_responses(path, q, on_invalid="exclude")
    assert data.respondent_id.tolist() == ["甲"]
    assert data.excluded["reason"].tolist() == ["invalid value '不知道' in 质量2 (not a number)"]
    assert data.other["地区"].tolist() == ["华东"]


def test_every_row_excluded(q):
    df = pd.DataFrame({"pq_overall": ["a", None], "pq_custom": [1, None], "sat_overall": [2, None], "sat_ideal": [3, None]})
    with pytest.raises(InputFileError) as exc:
        prepare(df, q, on_invalid="exclude")
    msg = str(exc.value)
    assert "Every row of <DataFrame> was excluded" in msg
    assert "invalid value(s) (1 row)" in msg and "empty row (1 row)" in msg


def test_item_without_any_answer_cannot_be_mean_replaced(q):
    df = pd.DataFrame({"pq_overall": [7, 8], "pq_custom": [None, 98], "sat_overall": [2, 3], "sat_ideal": [3, 4]})
    with pytest.raises(InputFileError, match="'pq_custom' \\(PQ\\)"):
        prepare(df, q)


def test_bool_cell_in_xlsx_is_not_a_number(tmp_path, q):
    path = write_xlsx(
        tmp_path / "b.xlsx", {"S": [["pq_overall", "pq_custom", "sat_overall", "sat_ideal"], [True, 7, 7, 7]]}
    )
    with pytest.raises(DataValidationError) as exc:
        read_responses(path, q)
    assert exc.value.failure_cases["value"].tolist() == ["TRUE"]


def test_numeric_frame_passes_through_unchanged(q):
    rng = np.random.default_rng(1)
    x = rng.integers(1, 11, size=(50, 4)).astype(float)
    df = pd.DataFrame(x, columns=q.item_ids)
    data = prepare(df, q)
    check_accounting(data)
    expected = x.copy()
    expected[:, 3] = 11 - expected[:, 3]
    np.testing.assert_array_equal(data.items.to_numpy(), expected)
    assert isinstance(data.items.index, pd.RangeIndex)
    assert data.row.tolist() == list(range(2, 52))


def test_bad_settings(tmp_path, q):
    df = pd.DataFrame({"pq_overall": [7], "pq_custom": [7], "sat_overall": [7], "sat_ideal": [7]})
    with pytest.raises(SettingsError, match="on_invalid"):
        prepare(df, q, on_invalid="ignore")
    with pytest.raises(SettingsError, match="missing"):
        prepare(df, q, missing="pairwise")
    with pytest.raises(SettingsError):
        read_responses(tmp_path / "does-not-matter.csv", q, missing="median")


def test_answers_are_the_answers_as_given_before_imputation_and_reverse_coding():
    import csi_survey as csi

    q = csi.Questionnaire.from_yaml(
        "scale: {min: 1, max: 5}\nmissing_codes: [9]\n"
        "constructs:\n  A: {items: [a1, {id: a2, reverse: true}]}\n"
    )
    frame = pd.DataFrame({"a1": [1, 9, 5, 4], "a2": [2, 4, None, 1]})
    data = csi.prepare(frame, q)
    # items: reverse-coded and mean-imputed
    assert data.items["a2"].tolist() == [4.0, 2.0, (4 + 2 + 5) / 3, 5.0]
    assert data.items["a1"].tolist()[1] == pytest.approx((1 + 5 + 4) / 3)
    answers = data.answers
    assert answers["a1"].tolist()[0] == 1 and np.isnan(answers["a1"].iloc[1])
    assert answers["a2"].iloc[[0, 1, 3]].tolist() == [2.0, 4.0, 1.0] and np.isnan(answers["a2"].iloc[2])
