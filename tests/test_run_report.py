"""write_report: the run's files, atomic on failure, formula-safe, scores sheet limit."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import csi_survey as csi
import csi_survey.report.run_report as run_report


@pytest.fixture(scope="module")
def mobi_fit(mobi):
    spec = csi.template("ecsi").model_dump()
    spec["constructs"]["SAT"]["label"] = '=HYPERLINK("http://evil","click")'
    spec["constructs"]["LOY"]["label"] = "@SUM(A1:A9)"
    model = csi.Questionnaire.from_dict(spec)
    return csi.PLS(model).fit(mobi)


def test_labels_from_the_spec_can_never_become_formulas(mobi_fit, tmp_path):
    csi.write_report(mobi_fit, None, tmp_path)
    index = pd.read_csv(tmp_path / "index.csv", encoding="utf-8-sig")
    assert index.loc[index["construct"] == "SAT", "label"].item() == """'=HYPERLINK("http://evil","click")"""
    assert index.loc[index["construct"] == "LOY", "label"].item() == "'@SUM(A1:A9)"
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["Index"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


def test_without_prepared_data_excluded_csv_is_header_only(mobi_fit, tmp_path):
    written = csi.write_report(mobi_fit, None, tmp_path)
    assert {p.name for p in written} == {"index.csv", "paths.csv", "effects.csv", "weights.csv", "r2.csv", "scores.csv", "excluded.csv", "report.xlsx"}
    assert (tmp_path / "excluded.csv").read_text(encoding="utf-8-sig").strip() == "row,respondent_id,reason"
    scores = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")
    assert len(scores) == 250 and scores["respondent_id"].tolist()[:2] == [2, 3]  # row numbers as ids


def test_large_score_tables_stay_out_of_the_workbook(mobi_fit, tmp_path):
    run_report.write_report(mobi_fit, None, tmp_path, scores_sheet_limit=100)
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["Scores"]
    assert "see scores.csv" in ws["A1"].value and ws.max_row <= 2
    assert len(pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")) == 250


def test_a_failed_write_leaves_the_previous_report_untouched(mobi_fit, tmp_path, monkeypatch):
    csi.write_report(mobi_fit, None, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(run_report, "write_workbook", broken)
    with pytest.raises(OSError, match="disk full"):
        csi.write_report(mobi_fit.__class__(**{**mobi_fit.__dict__, "n": 1}), None, tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # nothing replaced, nothing half-written, no staging folder left


def test_summary_sheet_accounts_for_every_row(tmp_path):
    from .conftest import EXAMPLES

    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")
    fit = csi.PLS(model).fit(data)
    csi.write_report(fit, data, tmp_path)
    summary = pd.read_excel(tmp_path / "report.xlsx", sheet_name="Summary").set_index("field")["value"]
    assert int(summary["Rows read"]) == int(summary["Respondents used"]) + int(summary["Rows excluded"]) == 507
    assert float(summary["Satisfaction index (0–100)"]) == pytest.approx(fit.headline, abs=0.05)
