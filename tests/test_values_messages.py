"""Issue 17 (17C): one rule for cell values (xlsx = CSV), messages that point at the real problem, a
speeders rule that cannot run, and `validate` = the checks `run` makes before estimating."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey.cli import app
from csi_survey.config import template_yaml
from csi_survey.exceptions import (CsiSurveyWarning, DataValidationError, EstimationError, InputFileError,
                                   SingularMatrixError)
from csi_survey.i18n import localize_error, translate
from csi_survey.ingest.quality import parse_durations
from csi_survey.ingest.values import text_numbers, value_numbers
from csi_survey.ingest.weights import MAX_WEIGHT_RATIO
from csi_survey.preflight import Preflight, preflight

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mobi.csv"
SPEC = """name: t
scale: {min: 1, max: 10}
constructs:
  A: {items: [a1, a2, a3]}
  B: {items: [b1, b2, b3]}
paths: [[A, B]]
"""
ITEMS = ["a1", "a2", "a3", "b1", "b2", "b3"]
runner = CliRunner()


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "m.yaml"
    p.write_text(SPEC, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(MOBI)


# ============================================================================ 1. one rule for cell values
#: text → the number the rule reads (None: not a number)
RULE = {
    "8": 8, " 7 ": 7, "+4": 4, "-0": 0, "4.5": 4.5, ".5e1": 5, "5.": 5, "1e0": 1,
    "８": 8, "１０": 10, "４．５": 4.5, "＋３": 3, "2\u3000": 2, "\u30009": 9,   # full-width (Chinese/Japanese input)
    "٨": None, "۸": None, "४": None, "1_0": None, "1,000": None, "①": None, "²": None,  # other scripts, literals
    "inf": None, "nan": None, "0x10": None, "": None, "ten": None,
}


def test_text_numbers_rule():
    got = text_numbers(pd.Series(list(RULE), dtype=object))
    want = np.array([np.nan if v is None else v for v in RULE.values()], dtype=float)
    np.testing.assert_array_equal(got, want)
    assert len(RULE) == 26
    # object columns (xlsx) and text columns (CSV) read alike; numbers stay numbers, booleans and dates are not
    mixed = pd.Series([3, 2.5, "８", "٨", True, pd.Timestamp("2026-01-01"), None], dtype=object)
    np.testing.assert_array_equal(value_numbers(mixed), [3, 2.5, 8, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(value_numbers(pd.Series(["８", "1_0"], dtype="string")), [8, np.nan])


def test_xlsx_and_csv_cells_read_alike(tmp_path, spec):
    """The same texts in an xlsx workbook and a CSV file give the same answers and the same invalid cells."""
    texts = ["８", "٨", "1_0", "３", "४", "+4", "1e0", ".5e1", "４．０", " 2 ", "2\u3000", "１"]
    rows = [ITEMS] + [[texts[(k + j) % len(texts)] for j in range(6)] for k in range(len(texts))]
    q = csi.load_model(spec)
    got = {}
    for name, write in (("u.xlsx", write_xlsx), ("u.csv", write_csv)):
        data = csi.read_responses(write(tmp_path / name, rows), q, on_invalid="flag")
        got[name] = data
    a, b = got["u.xlsx"], got["u.csv"]
    np.testing.assert_array_equal(a.answers.to_numpy(), b.answers.to_numpy())  # NaN == NaN here
    assert a.flags["detail"].tolist() == b.flags["detail"].tolist()
    invalid = "; ".join(b.flags["detail"])
    for bad in ("'٨'", "'1_0'", "'४'"):
        assert bad in invalid
    for good in ("８", "３", "４．０", "１"):
        assert f"'{good}'" not in invalid
    # every full-width cell was read as its number: 12 rows × 6 columns, 3 of 12 texts are not numbers
    assert int(np.isnan(b.answers.to_numpy()).sum()) == 3 * 6
    assert b.answers.loc[0, "a1"] == 8 and b.answers.loc[0, "b3"] == 4  # "８", "+4"


def test_spec_missing_code_reads_by_the_rule(tmp_path):
    q = csi.Questionnaire.from_yaml(SPEC.replace("scale:", "missing_codes: ['９９']\nscale:"))
    frame = pd.DataFrame({c: ["3", "4", "6", "5"] for c in ITEMS})
    frame.loc[2, "a1"] = "99"
    frame.loc[1, "b2"] = "９９"
    data = csi.prepare(frame, q)
    assert data.missing["n_missing"].tolist() == [1, 0, 0, 0, 1, 0]  # the code '９９' is 99, and '９９' is 99 too


# ============================================================================ 2. messages
def test_google_forms_reports_only_the_bad_cells(tmp_path, spec):
    """Labelled answers ('1 - Very poor') are valid: two bad cells give two problems, not 120."""
    rng = np.random.default_rng(1)
    labels = {1: "1 - Very poor", 10: "10 - Excellent"}
    rows = [["Timestamp"] + ITEMS]
    for _ in range(40):
        rows.append(["2026/01/01 10:00:00"] + [labels.get(int(v), str(v)) for v in rng.integers(1, 11, 6)])
    rows[4][1] = "abc"
    rows[8][5] = "??"
    path = write_csv(tmp_path / "gf.csv", rows)
    with pytest.raises(DataValidationError) as exc:
        csi.read_responses(path, csi.load_model(spec))
    cases = exc.value.failure_cases
    assert cases[["row", "column", "value"]].values.tolist() == [[5, "a1", "abc"], [9, "b2", "??"]]
    assert "2 cell(s) of 2 respondent(s) are not numbers" in str(exc.value)
    data = csi.read_responses(path, csi.load_model(spec), on_invalid="flag")
    assert len(data.flags) == 2
    k = next(i for i in range(1, 41) if rows[i][1] == "1 - Very poor")  # the labelled answers are read as numbers
    assert data.answers.loc[k - 1, "a1"] == 1


def test_chinese_text_answers_without_label_maps_name_label_maps_and_the_scale(tmp_path, spec):
    labels = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({c: [labels[k] for k in rng.integers(0, 5, 80)] for c in ITEMS})
    path = tmp_path / "zh.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        csi.read_responses(path, csi.load_model(spec))
    message, hint = str(exc.value), exc.value.hint
    assert "480 cell(s) of 80 respondent(s) are not numbers" in message
    assert "Answer labels found in a1, a2, a3, b1, b2, b3:" in message
    assert all(f"'{lab}' (" in message for lab in labels)
    assert "label_maps" in hint and "cn_scales" in hint and "sat5" in hint and "--format wjx" in hint
    zh = translate("zh", message.split(" (480 problems)")[0])
    assert "找到的答案标签" in zh, zh
    # labels of no built-in scale: the hint shows how to declare them
    frame = pd.DataFrame({c: ["good", "bad", "so-so", "good"] * 5 for c in ITEMS})
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        csi.read_responses(path, csi.load_model(spec))
    assert "label_maps: {my_scale: {good: ?, bad: ?, so-so: ?, …}}" in exc.value.hint
    # one stray text keeps the old message (no label hint)
    frame = pd.DataFrame({c: ["3", "4", "5", "4"] * 5 for c in ITEMS})
    frame.loc[2, "a1"] = "很满意"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        csi.read_responses(path, csi.load_model(spec))
    assert "Answer labels found" not in str(exc.value) and exc.value.hint.startswith("correct these cells")


def test_an_extreme_weight_is_named_with_its_row_and_column(tmp_path, spec):
    frame = pd.DataFrame({c: np.random.default_rng(5).integers(1, 11, 30) for c in ITEMS})
    frame["w"] = 1.0
    frame.loc[6, "w"] = 1e300
    path = tmp_path / "w.csv"
    frame.to_csv(path, index=False)
    spec.write_text(SPEC + "weights: {column: w}\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        csi.read_responses(path, csi.load_model(spec))
    cases = exc.value.failure_cases
    assert cases[["row", "column", "value"]].values.tolist() == [[8, "w", "1e+300"]]
    assert cases["problem"][0].startswith("extreme: 1e+300 times the median weight (1)")
    assert "weights column 'w'" in str(exc.value)
    assert "极端值：是权重中位数（1）的 1e+300 倍" in localize_error("zh", exc.value)
    # within the bound: accepted
    frame.loc[6, "w"] = MAX_WEIGHT_RATIO / 10
    frame.to_csv(path, index=False)
    assert csi.read_responses(path, csi.load_model(spec)).weight.shape == (30,)


def test_wave_column_is_called_a_wave_column(tmp_path, mobi):
    (tmp_path / "e.yaml").write_text(template_yaml("ecsi"), encoding="utf-8")
    mobi.to_csv(tmp_path / "d.csv", index=False)
    result = runner.invoke(app, ["run", str(tmp_path / "d.csv"), "--model", str(tmp_path / "e.yaml"), "--out",
                                 str(tmp_path / "out"), "--bootstrap", "0", "--wave", "waev"])
    assert result.exit_code == 1
    assert "wave column 'waev' is not in d.csv" in result.output
    assert "segment column" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ============================================================================ 3. speeders
def _with_durations(spec: Path, durations: list[object]) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({c: rng.integers(1, 11, len(durations)) for c in ITEMS})
    frame["dur"] = pd.Series(durations, dtype=object)
    q = csi.Questionnaire.from_yaml(SPEC + "quality:\n  speeders: {column: dur, min_seconds: 100, policy: flag}\n")
    return frame, q


def test_speeders_rule_that_cannot_run_is_an_error(spec):
    frame, q = _with_durations(spec, ["fast", "slow", "fast", None] * 5)
    with pytest.raises(DataValidationError) as exc:
        csi.prepare(frame, q)
    message = str(exc.value)
    assert "The speeders rule cannot run: no interview duration in column 'dur'" in message
    assert "15 of 20 respondent(s) have values that are not durations: 'fast' (10), 'slow' (5)" in message
    assert "125秒" in message and "2:05" in message  # the formats accepted
    assert len(exc.value.failure_cases) == 15 and set(exc.value.failure_cases["column"]) == {"dur"}
    assert "quality.speeders" in exc.value.hint
    zh = localize_error("zh", exc.value)
    assert zh.startswith("答题过快规则无法执行：<DataFrame> 的列 'dur' 中没有一个答题时长能被读取") and "不是时长" in zh, zh
    assert "中文（125秒、2分5秒、1小时2分）" in zh and "解决方法：请用上述格式之一填写时长" in zh


def test_speeders_rule_warns_about_unreadable_and_all_empty_durations(spec):
    frame, q = _with_durations(spec, ["50秒", "300", "abc", "２分"] * 5)
    with pytest.warns(CsiSurveyWarning, match=r"could not read the interview duration of 5 of 20 respondent\(s\).*'abc' \(5\)"):
        data = csi.prepare(frame, q)
    summary = data.quality_summary.set_index("flag").loc["speeder"]
    assert (summary["n_checked"], summary["n_flagged"], summary["n_not_checked"]) == (15, 5, 5)
    frame, q = _with_durations(spec, [None, " ", None, ""] * 5)
    with pytest.warns(CsiSurveyWarning, match="The speeders rule checked nobody: the duration column 'dur'"):
        data = csi.prepare(frame, q)
    assert data.quality_summary.set_index("flag").loc["speeder", "n_not_checked"] == 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame, q = _with_durations(spec, ["125秒", None, "1:00", 30] * 5)  # readable, some empty: no warning
        csi.prepare(frame, q)


def test_durations_follow_the_number_rule():
    got = parse_durations(pd.Series(["１２５秒", "١٢٥秒", "２:０５", "125", "１２５"], dtype=object))
    np.testing.assert_array_equal(got, [125, np.nan, 125, 125, 125])  # Arabic-Indic digits were read as 0 s before


# ============================================================================ 4. validate = run's checks
def _degenerate(kind: str, mobi: pd.DataFrame) -> tuple[pd.DataFrame, str, type]:
    text = template_yaml("ecsi")
    if kind == "one_respondent":
        return mobi.head(1), text, EstimationError
    if kind == "two_respondents":
        return mobi.head(2), text, EstimationError
    if kind == "zero_variance":
        return mobi.assign(PERV1=5), text, SingularMatrixError
    formative = text.replace("IMG:  {label: Image, ", "IMG:  {label: Image, mode: B, ")
    assert "mode: B" in formative
    return mobi.assign(IMAG2=mobi["IMAG1"]), formative, SingularMatrixError


def _error_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("Error:"))
    return lines[start:]


@pytest.mark.parametrize("kind", ["one_respondent", "two_respondents", "zero_variance", "collinear_formative"])
def test_validate_refuses_what_run_refuses_with_the_same_message(tmp_path, mobi, kind):
    frame, text, error = _degenerate(kind, mobi)
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "d.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(error) as exc:
        preflight(csi.read_responses(tmp_path / "d.csv", csi.load_model(tmp_path / "d.yaml")))
    v = runner.invoke(app, ["validate", str(tmp_path / "d.csv"), "--model", str(tmp_path / "d.yaml")])
    r = runner.invoke(app, ["run", str(tmp_path / "d.csv"), "--model", str(tmp_path / "d.yaml"), "--out",
                            str(tmp_path / "out"), "--bootstrap", "0"])
    assert (v.exit_code, r.exit_code) == (1, 1)
    assert _error_lines(v.output) == _error_lines(r.output)
    assert _error_lines(v.output)[0] == f"Error: {exc.value.message}"
    assert "valid." not in v.output.replace("invalid.", "")


def test_validate_prints_valid_only_when_the_data_pass(tmp_path, spec):
    """A data error after a valid spec: no "— valid." line before the error and exit 1."""
    write_csv(tmp_path / "bad.csv", [ITEMS, ["3", "x", "4", "5", "6", "7"], ["3", "4", "4", "5", "6", "7"]])
    v = runner.invoke(app, ["validate", str(tmp_path / "bad.csv"), "--model", str(spec)])
    assert v.exit_code == 1
    assert "valid." not in v.output.replace("invalid.", "") and "Invalid answers" in v.output


@pytest.mark.parametrize("responses, model, options", [
    ("acsi_retail.xlsx", "acsi_retail.yaml", ["--on-invalid", "exclude"]),
    ("acsi_retail_zh.csv", "acsi_retail_zh.yaml", ["--on-invalid", "exclude"]),
    ("wjx_satisfaction_text.xlsx", "wjx_satisfaction.yaml", []),
    ("wjx_satisfaction_numeric.xlsx", "wjx_satisfaction.yaml", []),
])
def test_validate_passes_the_examples(responses, model, options):
    v = runner.invoke(app, ["validate", str(EXAMPLES / responses), "--model", str(EXAMPLES / model), *options])
    assert v.exit_code == 0, v.output
    assert v.output.rstrip().splitlines()[-1] in ("The responses are valid for this model.", "问卷数据符合该模型的要求。")


def test_preflight_result(tmp_path, mobi):
    q = csi.template("ecsi")
    data = csi.prepare(mobi, q)
    result = preflight(data, segments=["CUSCO"])
    assert isinstance(result, Preflight) and result.n_respondents == 250 and result.n_items == 24
    assert result.checks["check"].tolist() == ["columns named on the command line", "sample size", "items", "construct blocks"]
    assert set(result.checks["status"]) == {"passed"}
    assert result.summary().splitlines()[1] == "Check passed: sample size (250 respondents)"
    with pytest.raises(InputFileError, match="segment column 'stroe' is not in"):
        preflight(data, segments=["stroe"])
    assert preflight(data, engine="cbsem").checks.set_index("check").loc["construct blocks", "status"] == "skipped"
    for line in result.summary().splitlines():
        assert translate("zh", line) != line, line  # every line is catalogued
