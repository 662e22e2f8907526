"""Vendor export layouts: Qualtrics (CSV/XLSX), SurveyMonkey (XLSX/CSV), Google Forms, SPSS .sav.

Each fixture is built here in the layout the vendor documents (see csi_survey.ingest.vendors)."""

from __future__ import annotations

import csv
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from csi_survey import Questionnaire
from csi_survey.exceptions import InputFileError
from csi_survey.ingest import prepare
from csi_survey.ingest.readers import read_table
from csi_survey.ingest.safety import Limits
from csi_survey.ingest.vendors import detect, labelled_numbers

# ---------------------------------------------------------------------- Qualtrics
Q_IDS = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "ResponseId",
         "Q1", "Q2_1", "Q2_2", "Q3_TEXT"]
Q_TEXT = ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)", "Finished", "Response ID",
          "Overall, how satisfied are you with us?", "Please rate our service - Quality",
          "Please rate our service - Price", "Any comments? (\"anything\")"]
Q_IMPORT = ['{"ImportId":"startDate","timeZone":"America/Denver"}', '{"ImportId":"endDate","timeZone":"America/Denver"}',
            '{"ImportId":"status"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}', '{"ImportId":"finished"}',
            '{"ImportId":"_recordId"}', '{"ImportId":"QID1"}', '{"ImportId":"QID2_1"}', '{"ImportId":"QID2_2"}',
            '{"ImportId":"QID3_TEXT"}']
Q_DATA = [
    ["2024-03-01 10:00:00", "2024-03-01 10:05:12", "IP Address", "100", "312", "True", "R_1aBc", "9", "8", "-99", "Great,\nthanks"],
    ["2024-03-01 11:00:00", "2024-03-01 11:02:00", "IP Address", "100", "120", "True", "R_2dEf", "7", "-99", "6", ""],
    ["2024-03-02 09:00:00", "2024-03-02 09:09:00", "IP Address", "100", "540", "True", "R_3gHi", "-99", "5", "4", "ok"],
]


def write_csv_rows(path, rows, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx_rows(path, rows, sheet="Sheet1"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None and v != "":
                ws.cell(row=r, column=c, value=v)
    wb.save(path)
    return path


QUESTIONNAIRE = Questionnaire.from_yaml(
    "scale: [0, 10]\nid_column: ResponseId\nconstructs:\n  SAT: {items: [Q1]}\n  SERV: {items: [Q2_1, Q2_2]}\n"
    "paths: [[SERV, SAT]]\n"
)


def test_qualtrics_csv(tmp_path):
    path = write_csv_rows(tmp_path / "qualtrics.csv", [Q_IDS, Q_TEXT, Q_IMPORT, *Q_DATA])
    raw = read_table(path)
    assert raw.format == "qualtrics"
    assert list(raw.frame.columns) == Q_IDS
    assert raw.row_numbers.tolist() == [4, 5, 6]  # first respondent on row 4
    assert raw.question_text["Q1"] == "Overall, how satisfied are you with us?"
    assert raw.question_text["Q2_2"] == "Please rate our service - Price"
    assert raw.question_text["Duration (in seconds)"] == "Duration (in seconds)"
    assert raw.missing_values == {"*": [-99]}
    assert raw.frame["ResponseId"].tolist() == ["R_1aBc", "R_2dEf", "R_3gHi"]
    assert raw.frame["Q3_TEXT"].tolist()[0] == "Great,\nthanks"
    assert raw.frame["Q2_2"].tolist() == ["-99", "6", "4"]
    # -99 is missing for prepare (not "out of range 0–10"): the third respondent has no answer for SAT,
    # excluded under the strict rule (the default, as seminr, replaces a single item's missing answer by its mean)
    data = prepare(raw, QUESTIONNAIRE, missing="mean-strict")
    assert data.excluded[["row", "respondent_id"]].values.tolist() == [[6, "R_3gHi"]]
    assert "no valid answer for construct SAT" in data.excluded["reason"][0]
    assert data.missing.set_index("item")["n_missing"].to_dict() == {"Q1": 0, "Q2_1": 1, "Q2_2": 1}
    assert data.row.tolist() == [4, 5]


def test_qualtrics_xlsx(tmp_path):
    rows = [Q_IDS, Q_TEXT, Q_IMPORT] + [
        [dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 3, 1, 10, 5), "IP Address", 100, 312, 1, "R_1", 9, 8, -99, "fine"],
        [dt.datetime(2024, 3, 1, 11), dt.datetime(2024, 3, 1, 11, 2), "IP Address", 100, 120, 1, "R_2", 7, -99, 6, None],
    ]
    path = write_xlsx_rows(tmp_path / "qualtrics.xlsx", rows)
    raw = read_table(path)
    assert raw.format == "qualtrics" and raw.sheet == "Sheet1"
    assert raw.row_numbers.tolist() == [4, 5]
    assert raw.frame["Q2_2"].tolist() == [-99, 6]
    assert raw.frame["StartDate"].tolist()[0] == pd.Timestamp("2024-03-01 10:00")
    assert raw.question_text["Q2_1"] == "Please rate our service - Quality"
    assert raw.missing_values == {"*": [-99]}


def test_qualtrics_legacy_two_header_rows(tmp_path):
    rows = [["ResponseID", "ResponseSet", "StartDate", "Q1"], ["ResponseID", "ResponseSet", "StartDate", "How satisfied?"],
            ["R_1", "Default Response Set", "2017-01-01", "4"]]
    raw = read_table(write_csv_rows(tmp_path / "legacy.csv", rows))
    assert raw.format == "qualtrics"
    assert raw.row_numbers.tolist() == [3]
    assert raw.frame["Q1"].tolist() == ["4"] and raw.question_text["Q1"] == "How satisfied?"


def test_explicit_qualtrics_on_a_plain_file(tmp_path):
    path = write_csv_rows(tmp_path / "plain.csv", [["id", "q1"], ["1", "2"], ["2", "3"]])
    with pytest.raises(InputFileError) as exc:
        read_table(path, format="qualtrics")
    msg = str(exc.value)
    assert "plain.csv does not look like a Qualtrics export" in msg and "ImportId" in msg
    assert "row 1: 'id', 'q1'" in msg
    assert "format='auto'" in exc.value.hint


# ---------------------------------------------------------------------- SurveyMonkey
SM_ROW1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
           "Last Name", "Custom Data 1", None, "How satisfied are you with our service?", "Please rate the following:",
           None, None, "What did you like?", None, "Comments"]
SM_ROW2 = [None] * 9 + ["Custom Data 2", "Response", "Quality", "Price", "Support", "Speed", "Other (please specify)",
                        "Open-Ended Response"]
SM_NAMES = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
            "Last Name", "Custom Data 1", "Custom Data 2", "How satisfied are you with our service?",
            "Please rate the following: - Quality", "Please rate the following: - Price",
            "Please rate the following: - Support", "What did you like? - Speed",
            "What did you like? - Other (please specify)", "Comments"]


def sm_data():
    return [
        [114000001, 401, dt.datetime(2024, 4, 1, 9), dt.datetime(2024, 4, 1, 9, 5), "1.2.3.4", None, None, None, "a", "b",
         "Very satisfied", 5, 4, 5, "Speed", None, "Nice"],
        [114000002, 401, dt.datetime(2024, 4, 2, 9), dt.datetime(2024, 4, 2, 9, 5), "1.2.3.5", None, None, None, None, None,
         "Satisfied", 3, None, 4, None, "the staff", None],
    ]


def test_surveymonkey_xlsx(tmp_path):
    path = write_xlsx_rows(tmp_path / "sm.xlsx", [SM_ROW1, SM_ROW2, *sm_data()])
    raw = read_table(path)
    assert raw.format == "surveymonkey"
    assert list(raw.frame.columns) == SM_NAMES
    assert raw.row_numbers.tolist() == [3, 4]
    assert raw.frame["Respondent ID"].tolist() == [114000001, 114000002]
    assert raw.frame["Please rate the following: - Price"].tolist()[0] == 4
    assert pd.isna(raw.frame["What did you like? - Other (please specify)"][0])
    assert raw.frame["What did you like? - Other (please specify)"][1] == "the staff"
    assert raw.question_text["Please rate the following: - Support"] == "Please rate the following:"
    assert raw.question_text["How satisfied are you with our service?"] == "How satisfied are you with our service?"
    assert "Respondent ID" not in raw.question_text
    assert raw.missing_values == {}


def test_surveymonkey_csv(tmp_path):
    rows = [SM_ROW1, SM_ROW2, [str(v) if v is not None else "" for v in sm_data()[0]]]
    raw = read_table(write_csv_rows(tmp_path / "sm.csv", [[("" if v is None else v) for v in r] for r in rows]))
    assert raw.format == "surveymonkey"
    assert list(raw.frame.columns) == SM_NAMES
    assert raw.row_numbers.tolist() == [3]


def test_surveymonkey_without_second_header_row(tmp_path):
    rows = [["Respondent ID", "Collector ID", "How satisfied?"], [114000001, 401, 9], [114000002, 401, 7]]
    raw = read_table(write_xlsx_rows(tmp_path / "sm1.xlsx", rows))
    assert raw.format == "surveymonkey"
    assert raw.row_numbers.tolist() == [2, 3]
    assert raw.frame["How satisfied?"].tolist() == [9, 7]
    assert raw.question_text == {"How satisfied?": "How satisfied?"}


def test_explicit_surveymonkey_on_a_plain_file(tmp_path):
    path = write_xlsx_rows(tmp_path / "plain.xlsx", [["id", "q1"], [1, 2]])
    with pytest.raises(InputFileError, match="plain.xlsx, sheet 'Sheet1' does not look like a SurveyMonkey export"):
        read_table(path, format="surveymonkey")


# ---------------------------------------------------------------------- Google Forms
GF_ROWS = [
    ["Timestamp", "How satisfied are you overall?", "Rate our service [Speed]", "Rate our service [Friendliness]",
     "How often do you visit?", "Any comments?"],
    ["2024/03/01 10:15:32 AM GMT+1", "10 - Extremely satisfied", "4", "5 - Excellent", "2-3 times a week", "Nice, thanks"],
    ["2024/03/01 11:00:00 AM GMT+1", "1 - Not at all satisfied", "3 \u2013 OK", "1: Poor", "Once a week", ""],
    ["2024/03/02 08:00:00 AM GMT+1", "7", "", "4", "Never", "10 - would come again"],
]


def test_google_forms_csv(tmp_path):
    raw = read_table(write_csv_rows(tmp_path / "form.csv", GF_ROWS, encoding="utf-8"))
    assert raw.format == "googleforms"
    f = raw.frame
    assert f["How satisfied are you overall?"].tolist() == [10.0, 1.0, 7.0]
    assert raw.value_labels["How satisfied are you overall?"] == {1: "Not at all satisfied", 10: "Extremely satisfied"}
    speed = f["Rate our service [Speed]"].tolist()
    assert speed[:2] == [4.0, 3.0] and math.isnan(speed[2])
    assert raw.value_labels["Rate our service [Speed]"] == {3: "OK"}
    assert f["Rate our service [Friendliness]"].tolist() == [5.0, 1.0, 4.0]
    assert raw.value_labels["Rate our service [Friendliness]"] == {1: "Poor", 5: "Excellent"}
    # not a labelled scale: stays text
    assert f["How often do you visit?"].tolist() == ["2-3 times a week", "Once a week", "Never"]
    assert f["Any comments?"].tolist()[2] == "10 - would come again"
    assert f["Timestamp"].tolist()[0] == "2024/03/01 10:15:32 AM GMT+1"
    assert raw.question_text["Rate our service [Speed]"] == "Rate our service [Speed]"
    assert "Timestamp" not in raw.question_text
    assert raw.row_numbers.tolist() == [2, 3, 4]


def test_google_forms_xlsx(tmp_path):
    rows = [GF_ROWS[0][:3], [dt.datetime(2024, 3, 1, 10), "10 - Extremely satisfied", 4], [dt.datetime(2024, 3, 2), 5, "2 - Slow"]]
    raw = read_table(write_xlsx_rows(tmp_path / "form.xlsx", rows))
    assert raw.format == "googleforms"
    assert raw.frame["How satisfied are you overall?"].tolist() == [10.0, 5.0]
    assert raw.frame["Rate our service [Speed]"].tolist() == [4.0, 2.0]
    assert raw.value_labels == {"How satisfied are you overall?": {10: "Extremely satisfied"},
                                "Rate our service [Speed]": {2: "Slow"}}


@pytest.mark.parametrize(
    "values,expected",
    [
        (["10 - Extremely satisfied", "9", None], ([10.0, 9.0, np.nan], {10: "Extremely satisfied"})),
        (["-1 - Worse", "0 - Same", "1 - Better"], ([-1.0, 0.0, 1.0], {-1: "Worse", 0: "Same", 1: "Better"})),
        (["7,5 \u2014 Good"], ([7.5], {7.5: "Good"})),
        (["2-3 times", "4-5 times"], None),  # a range, not a labelled number
        (["1 - Bad", "1 - Poor"], None),  # one code, two labels
        (["5", "6"], None),  # no label at all
        (["1 - 2 times"], None),  # label starting with a digit
    ],
)
def test_labelled_numbers(values, expected):
    res = labelled_numbers(pd.Series(values, dtype=object))
    if expected is None:
        assert res is None
    else:
        numbers, labels = res
        np.testing.assert_array_equal(numbers.to_numpy(), np.asarray(expected[0], dtype=float))
        assert labels == expected[1]


def test_explicit_googleforms_needs_a_timestamp_column(tmp_path):
    path = write_csv_rows(tmp_path / "x.csv", [["when", "q"], ["1", "2"]], encoding="utf-8")
    with pytest.raises(InputFileError, match="does not look like a Google Forms export.*Timestamp"):
        read_table(path, format="googleforms")


def test_detect():
    assert detect([Q_IDS, Q_TEXT, Q_IMPORT]) == "qualtrics"
    assert detect([SM_ROW1, SM_ROW2]) == "surveymonkey"
    assert detect([["Marca temporal", "Pregunta"]]) == "googleforms"
    assert detect([["id", "q1"], ["1", "2"], ["3", "4"]]) is None
    assert detect([]) is None


# ---------------------------------------------------------------------- SPSS
def write_sav(path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame(
        {
            "resp_id": [101.0, 102, 103, 104, 105],
            "sat1": [9.0, 99, 7, 8, np.nan],
            "sat2": [8.0, 6, 97, 98, 5],
            "region": ["N", "S", "DK", "E", "W"],
        }
    )
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels={"sat1": "Overall satisfaction", "sat2": "Compared with your ideal", "region": "Region"},
        variable_value_labels={"sat1": {1: "Very dissatisfied", 10: "Very satisfied", 99: "No answer"}},
        missing_ranges={"sat1": [99], "sat2": [{"lo": 97, "hi": 98}], "region": ["DK"]},
    )
    return path


def test_spss_sav(tmp_path):
    raw = read_table(write_sav(tmp_path / "survey.sav"))
    assert raw.format == "spss" and raw.sheet is None
    assert list(raw.frame.columns) == ["resp_id", "sat1", "sat2", "region"]
    assert raw.row_numbers.tolist() == [1, 2, 3, 4, 5]  # SPSS case numbers
    assert raw.frame["sat1"].tolist()[:4] == [9.0, 99.0, 7.0, 8.0]  # codes kept, user-missing included
    assert raw.frame["sat2"].tolist() == [8.0, 6.0, 97.0, 98.0, 5.0]
    assert raw.question_text == {"sat1": "Overall satisfaction", "sat2": "Compared with your ideal", "region": "Region"}
    assert raw.value_labels == {"sat1": {1: "Very dissatisfied", 10: "Very satisfied", 99: "No answer"}}
    assert raw.missing_values == {"sat1": [99], "sat2": [(97, 98)], "region": ["DK"]}


def test_spss_missing_values_honoured_by_prepare(tmp_path):
    raw = read_table(write_sav(tmp_path / "survey.sav"))
    q = Questionnaire.from_yaml("scale: [1, 10]\nid_column: resp_id\nconstructs:\n  A: {items: [sat1, sat2]}\n")
    data = prepare(raw, q)  # on_invalid="error": 99 and 97/98 would be out of range if not missing
    assert data.n_used == 5
    assert data.missing.set_index("item")["n_missing"].to_dict() == {"sat1": 2, "sat2": 2}
    assert data.respondent_id.tolist() == ["101", "102", "103", "104", "105"]


def test_spss_errors(tmp_path):
    bad = tmp_path / "bad.sav"
    bad.write_bytes(b"$FL2 this is not really an SPSS file" + bytes(100))
    with pytest.raises(InputFileError) as exc:
        read_table(bad)
    assert "bad.sav is not a readable SPSS data file" in str(exc.value)
    path = write_sav(tmp_path / "big.sav")
    with pytest.raises(InputFileError, match=r"5 cases × 4 variables = 20 cells, more than the limit of 10 cells"):
        read_table(path, limits=Limits(max_cells=10))
    with pytest.raises(InputFileError, match="format='csv' needs a text"):
        read_table(path, format="csv")
    assert read_table(path, format="spss").format == "spss"


def test_spss_zsav(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "c.zsav"
    pyreadstat.write_sav(pd.DataFrame({"a": [1.0, 2.0]}), str(path), compress=True, column_labels=["Item A"])
    raw = read_table(path)
    assert raw.format == "spss" and raw.frame["a"].tolist() == [1.0, 2.0] and raw.question_text == {"a": "Item A"}
