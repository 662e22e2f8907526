"""report.xlsx and overview.xlsx in the report language (issue 16: with ``--lang zh`` or Chinese labels
"the Excel sheets and notes" are in Chinese), the English workbook as it always was, and exact seeds.

The fixed texts come from the one catalogue (:data:`csi_survey.i18n.WORKBOOK_TEXTS`, the column words of
the HTML report in :data:`csi_survey.i18n.TEXTS`); values from the data (labels, segment names, item
names) stay as they are. Runs use few resamples: these are tests of the wording, not of the numbers.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from csi_survey.cli import app
from csi_survey.i18n import WORKBOOK_TEXTS, has_chinese, translate
from csi_survey.report.xlsx import Sheet, write_workbook
from csi_survey.report.xlsx_charts import column_header, localised_sheet

from .conftest import EXAMPLES

runner = CliRunner()
#: A 64-bit seed (as a run draws one when --seed is not given): beyond 2**53 a double drops digits.
BIG_SEED = 739182736451827364
#: The sheets of the English run below, as written before the workbook followed the language.
ENGLISH_SHEETS = [
    "Summary", "Charts", "Index", "Paths", "Effects", "Indirect effects", "Mediation", "Weights", "R2", "Impacts", "IPMA",
    "Quadrant", "Gaps", "Item summary", "Frequencies", "NPS", "CSAT", "Segment index", "Segment paths", "Segment impacts",
    "Segment omnibus", "Segment differences", "MICOM", "Quality", "HTMT", "Model fit", "Overall fit", "Quality flags",
    "Bootstrap", "Bootstrap failures", "Missing", "Data quality", "Flags", "Excluded", "Scores",
]
_INVALID = re.compile(r"[\[\]:*?/\\]")
#: An English sentence: four words of letters in a row (Chinese notes name methods, not sentences).
_ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){3,}")


def _run(tmp: Path, *args: str) -> Path:
    result = runner.invoke(app, ["run", *args, "--out", str(tmp), "--bootstrap", "30", "--permutations", "30"])
    assert result.exit_code == 0, result.output
    return tmp


@pytest.fixture(scope="module")
def wjx(tmp_path_factory) -> Path:
    """The 问卷星 text download of the example survey (Chinese labels: Chinese without --lang)."""
    return _run(tmp_path_factory.mktemp("wjx") / "out", str(EXAMPLES / "wjx_satisfaction_text.xlsx"),
                "--model", str(EXAMPLES / "wjx_satisfaction.yaml"), "--seed", "3")


def _english_args() -> list[str]:
    return [str(EXAMPLES / "acsi_retail.xlsx"), "--model", str(EXAMPLES / "acsi_retail.yaml"), "--on-invalid", "exclude",
            "--segment", "region", "--seed", str(BIG_SEED)]


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("en") / "out", *_english_args())


@pytest.fixture(scope="module")
def english_zh(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("en_zh") / "out", *_english_args(), "--lang", "zh")


def _sheets(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _chart_titles(path: Path) -> list[list[str]]:
    """The chart and axis titles of every chart (xl/charts/chart*.xml), per chart."""
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode("utf-8") for n in sorted(z.namelist()) if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    return [["".join(re.findall(r"<a:t>(.*?)</a:t>", t, re.S)) for t in re.findall(r"<c:title>.*?</c:title>", x, re.S)]
            for x in charts]


def _check_chinese_workbook(path: Path, csv_folder: Path) -> dict[str, list[tuple]]:
    sheets = _sheets(path)
    names = list(sheets)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31 and not _INVALID.search(name) and not name.startswith("'"), name
        assert has_chinese(name), name
    zh_notes = set()
    for name, rows in sheets.items():
        note = rows[0][0]
        assert isinstance(note, str) and has_chinese(note), (name, note)
        assert not _ENGLISH_SENTENCE.search(note), (name, note)
        zh_notes.add(note)
    english_notes = {v for k, v in WORKBOOK_TEXTS["en"].items() if k.startswith("note_")}
    assert not zh_notes & english_notes
    # Summary: every field name Chinese
    summary = sheets[names[0]]
    assert summary[2] == ("项目", "数值")
    fields = [row[0] for row in summary[3:] if row[0] is not None]
    assert len(fields) >= 12 and all(has_chinese(f) for f in fields), fields
    # table headers: the Chinese column names, and the note says the CSV keeps the English ones
    index = sheets["指数"]
    columns = list(pd.read_csv(csv_folder / "index.csv", nrows=0).columns)
    assert list(index[2][: len(columns)]) == [column_header(c, "zh") for c in columns]
    assert index[2][:3] == ("潜变量", "名称", "指数") and "index.csv" in index[0][0]
    headers = [h for rows in sheets.values() if len(rows) > 2 for h in rows[2] if isinstance(h, str)]
    assert not {"ci_lower", "ci_upper", "std_err", "p_value", "estimate", "reason", "status", "segment"} & set(headers)
    # charts: every title and axis title Chinese
    titles = _chart_titles(path)
    assert len(titles) >= 4
    for chart in titles:
        assert chart and all(has_chinese(t) for t in chart), chart
    return sheets


def test_the_wjx_example_writes_a_chinese_workbook(wjx):
    sheets = _check_chinese_workbook(wjx / "report.xlsx", wjx)
    assert list(sheets)[:4] == ["概要", "图表", "指数", "路径系数"]
    summary = {row[0]: row[1] for row in sheets["概要"][3:]}
    assert summary["语言"] == "中文" and summary["自助法随机种子"] == 3
    assert summary["估计方法"] == translate("zh", "PLS path modeling, path scheme")
    assert summary["置信区间方法"] == "百分位数法，95%"
    # the values of the library are Chinese: quadrant names, IPMA levels, yes/no
    quadrant = sheets["四分图"]
    col = quadrant[2].index("象限")
    assert {r[col] for r in quadrant[3:]} <= {"优势区", "修补区", "机会区", "维持区"}
    ipma = sheets["重要性–表现"]
    assert {r[ipma[2].index("层级")] for r in ipma[3:]} <= {"潜变量", "题项"}
    assert {r[ipma[2].index("象限")] for r in ipma[3:]} <= {"优先改进", "继续保持", "可能过度投入", "低优先级"}


def test_an_english_survey_with_lang_zh_writes_a_chinese_workbook_with_the_exact_seed(english_zh):
    sheets = _check_chinese_workbook(english_zh / "report.xlsx", english_zh)
    summary = {row[0]: row[1] for row in sheets["概要"][3:]}
    assert summary["自助法随机种子"] == str(BIG_SEED)  # every digit, as text
    assert summary["指数潜变量"] == "SAT（Customer satisfaction）"  # the label from the data stays as it is
    segment = sheets["细分指数"]
    assert segment[3][segment[2].index("群体")] == "总体"
    statuses = {r[segment[2].index("状态")] for r in segment[3:]}
    assert statuses and all(has_chinese(s) for s in statuses), statuses
    # the same data as the English workbook: data values (labels) unchanged
    assert {r[1] for r in sheets["指数"][3:]} == {"Customer expectations", "Perceived quality", "Perceived value",
                                                   "Customer satisfaction", "Complaints", "Customer loyalty"}


def test_the_english_workbook_keeps_its_sheets_notes_and_headers(english):
    sheets = _sheets(english / "report.xlsx")
    assert list(sheets) == ENGLISH_SHEETS
    assert sheets["Summary"][0][0] == "The run at a glance."
    assert sheets["Index"][0][0] == "0–100 construct indices (ACSI formula: normalized unstandardized outer weights)."
    assert sheets["Index"][2][:4] == ("construct", "label", "index", "n")
    assert sheets["Excluded"][0][0] == "Rows not used, with the reason (row as in the input sheet)."
    summary = {row[0]: row[1] for row in sheets["Summary"][3:]}
    assert summary["Bootstrap seed"] == str(BIG_SEED)  # was 7.39182736451827E+17: the run could not be repeated
    assert summary["Engine"] == "PLS path modeling, path scheme" and summary["Language"] == "en"
    assert summary["Intervals"] == "percentile, 95%"
    for chart in _chart_titles(english / "report.xlsx"):
        assert chart and not any(has_chinese(t) for t in chart)
    assert sheets["Segment index"][3][sheets["Segment index"][2].index("segment")] == "(total)"


def test_rerendering_in_chinese_changes_the_workbook_not_the_numbers(english, tmp_path):
    from csi_survey.report.run_report import rerender

    folder = tmp_path / "run"
    shutil.copytree(english, folder)
    rerender(folder, lang="zh", html=False)
    en, zh = _sheets(english / "report.xlsx"), _sheets(folder / "report.xlsx")
    assert len(en) == len(zh)
    for (en_name, en_rows), (zh_name, zh_rows) in zip(en.items(), zh.items()):
        numbers = lambda rows: [v for row in rows[3:] for v in row if isinstance(v, (int, float)) and not isinstance(v, bool)]  # noqa: E731
        assert numbers(en_rows) == numbers(zh_rows), (en_name, zh_name)


def test_integers_beyond_2_53_are_written_exactly(tmp_path):
    table = pd.DataFrame({"seed": [BIG_SEED, 7], "n": [1, 2]})
    mixed = pd.DataFrame({"value": pd.Series([BIG_SEED, 1.5, "x"], dtype=object)})
    write_workbook(tmp_path / "t.xlsx", [Sheet("T", table), Sheet("M", mixed)])
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert [c.value for c in wb["T"]["A"]][1:] == [str(BIG_SEED), 7]  # the big one as text (exact), the others numbers
    assert [c.value for c in wb["T"]["B"]][1:] == [1, 2]
    assert [c.value for c in wb["M"]["A"]][1:] == [str(BIG_SEED), 1.5, "x"]
    assert wb["T"]["A2"].data_type == "s"


def test_translated_text_is_formula_safe(tmp_path):
    table = pd.DataFrame({"status": ["=1+1", "estimated"], "reason": ["@SUM(A1)", "every respondent was excluded"],
                          "significant": [True, False], "segment": ["(total)", "-x"]})
    sheet = localised_sheet(Sheet("T", table, note="=note"), "t.csv", "zh")
    write_workbook(tmp_path / "t.xlsx", [sheet])
    rows = list(openpyxl.load_workbook(tmp_path / "t.xlsx")["T"].iter_rows(values_only=True))
    assert rows[0][0].startswith("'=note") and "t.csv" in rows[0][0]
    assert rows[2] == ("状态", "原因", "显著", "群体")
    assert rows[3] == ("'=1+1", "'@SUM(A1)", "是", "总体")
    assert rows[4] == ("已估计", "所有受访者均被排除", "否", "'-x")


def test_the_batch_overview_is_in_chinese(tmp_path):
    """A batch of a survey with Chinese labels (as tests/test_batch.py test_chinese_labels_and_no_bootstrap)."""
    shutil.copy(EXAMPLES / "acsi_retail_zh.csv", tmp_path / "q3.csv")
    shutil.copy(EXAMPLES / "acsi_retail_zh.yaml", tmp_path / "model.yaml")
    config = tmp_path / "config.yaml"
    config.write_text("model: model.yaml\nwaves: {2026-Q3: q3.csv}\nsegments: [区域]\nmin_n: 30\n"
                      "bootstrap: {resamples: 0}\non_invalid: exclude\nout: out\nstore: sqlite:///out/history.db\n",
                      encoding="utf-8")
    from csi_survey.batch import run_batch

    assert run_batch(config, workers=1).ok
    sheets = _sheets(tmp_path / "out" / "overview.xlsx")
    assert list(sheets) == ["概要", "排名", "趋势", "指数历史", "未估计的细分"]
    for name, rows in sheets.items():
        assert len(name) <= 31 and not _INVALID.search(name)
        if name != "概要":
            assert has_chinese(rows[0][0]) and not _ENGLISH_SENTENCE.search(rows[0][0]), (name, rows[0][0])
    assert sheets["概要"][0] == ("项目", "数值") and all(has_chinese(r[0]) for r in sheets["概要"][1:])
    ranking = sheets["排名"][2]
    assert ranking[:5] == ("期次", "细分变量", "排名", "群体", "指数")
    assert "index_history.csv" in sheets["指数历史"][0][0]


def test_prediction_workbook_follows_the_language(tmp_path):
    from types import SimpleNamespace

    from csi_survey.report.run_report import write_prediction

    items = pd.DataFrame({"construct": ["SAT"], "item": ["sat1"], "pls_rmse": [0.8], "lm_rmse": [0.9]})
    verdict = pd.DataFrame({"construct": ["SAT"], "predictive_power": ["high"]})
    cvpat = SimpleNamespace(table=pd.DataFrame({"construct": ["all"], "p_value": [0.01]}))
    prediction = SimpleNamespace(items=items, verdict=verdict)
    write_prediction(prediction, cvpat, tmp_path / "en")
    write_prediction(prediction, cvpat, tmp_path / "zh", lang="zh")
    en, zh = _sheets(tmp_path / "en" / "prediction.xlsx"), _sheets(tmp_path / "zh" / "prediction.xlsx")
    assert list(en) == ["Prediction", "Predictive power", "CVPAT"]
    assert en["Prediction"][2] == ("construct", "item", "pls_rmse", "lm_rmse")
    assert list(zh) == ["样本外预测", "预测能力", "CVPAT 检验"]
    assert zh["样本外预测"][2] == ("潜变量", "题项", "PLS 的 RMSE", "LM 的 RMSE")
    assert zh["预测能力"][3] == ("SAT", "高") and "prediction_summary.csv" in zh["预测能力"][0][0]
    assert (tmp_path / "zh" / "prediction.csv").read_text(encoding="utf-8-sig").startswith("construct,item,pls_rmse")
