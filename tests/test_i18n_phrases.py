"""The library's own sentences in Chinese (issue 16: "everything a Chinese user reads is in Chinese
with --lang zh … CLI summaries and errors, … engine descriptions, exclusion reasons — from the one
localisation catalogue").

The catalogue is :data:`csi_survey.i18n.PHRASES` (English template → Chinese template, in
:mod:`csi_survey.i18n.phrases_catalogue`). These tests check

(a) the catalogue itself: every template compiles, its fields are the same in English and Chinese,
    and the Chinese keeps no English prose;
(b) the errors users meet most, provoked for real through the library and the CLI with ``--lang
    zh``: the Chinese output holds the Chinese sentence and the user's names and values (file,
    column, row), and none of the English sentence; in English the output is ``str(error)``;
(c) a Chinese run's ``excluded.csv`` has Chinese reasons, an English run's the library's reasons;
(d) the raise sites counted as "top": their wording in the source and a catalogue entry for it, so
    that a new wording without a catalogue entry fails here.
"""

from __future__ import annotations

import doctest
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey import cli
from csi_survey.cli import app
from csi_survey.exceptions import CsiSurveyError, DataValidationError, SpecError
from csi_survey.i18n import PHRASES, localize_error, translate
from csi_survey.i18n import phrases as phrases_module
from csi_survey.i18n.phrases import template_pattern

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "csi_survey"
runner = CliRunner()
XLSX = EXAMPLES / "acsi_retail.xlsx"
SPEC = EXAMPLES / "acsi_retail.yaml"
FIELD = re.compile(r"\{(\w+)\}")
HAN = re.compile("[\u4e00-\u9fff]")
#: Three or more English words in a row: prose (option names and code are copied from the English).
PROSE = re.compile(r"[A-Za-z]+(?:[ -][A-Za-z]+){2,}")


# ====================================================================== (a) the catalogue
def test_every_template_compiles_and_its_fields_agree():
    assert len(PHRASES) >= 200
    for en, zh in PHRASES.items():
        template_pattern(en)  # compiles
        assert set(FIELD.findall(en)) == set(FIELD.findall(zh)), en
        assert HAN.search(zh) or "：" in zh, en  # Chinese words, or full-width punctuation around the fields
        assert not en.endswith((".", "。")) or en.endswith("…"), f"keys carry no final full stop: {en!r}"


def test_the_chinese_keeps_no_english_prose():
    """Every run of three English words in a Chinese template is code copied from the English one
    (an option such as ``--on-invalid exclude``, a spec key, a command), not untranslated prose."""
    checked = 0
    for en, zh in PHRASES.items():
        for run in PROSE.findall(FIELD.sub(" ", zh)):
            assert run in en, f"{run!r} in the Chinese of {en!r}"
            checked += 1
    assert checked >= 3


def test_doctests_of_the_phrases_module():
    result = doctest.testmod(phrases_module)
    assert result.attempted >= 5 and result.failed == 0


def test_english_is_unchanged_and_unknown_text_stays_english():
    for en in list(PHRASES)[:50]:
        assert translate("en", en) == en
    assert translate("zh", "a sentence nobody catalogued") == "a sentence nobody catalogued"
    # a final full stop becomes the full-width one; fields from the user's files are kept
    assert translate("zh", "x.csv has a header but no data rows.") == "x.csv 只有表头，没有数据行。"
    assert translate("zh", "PLS needs at least 3 respondents; the data have 2") == "PLS 至少需要 3 名受访者；数据中只有 2 名"


def test_nested_reasons_and_lists_are_translated():
    text = ("Every row of r.csv was excluded (9 data row(s) read, none usable). Reasons: no valid answer for "
            "constructs EXP, PQ (8 rows); empty row (1 row)")
    zh = translate("zh", text)
    assert zh == "r.csv 的所有行都被排除了（读取了 9 行数据，没有一行可用）。原因：以下构念都没有有效答案：EXP, PQ（8 行）；空行（1 行）"
    reason = "speeder: interview took 30 s, less than 60 s; straight-lining: same answer (3) on all 4 items of PQ"
    assert translate("zh", reason) == "答题过快：答题用时 30 秒，少于 60 秒；直线作答：PQ 的全部 4 个题目都选了同一个答案（3）"


# ====================================================================== (b) the errors users meet most
def _error(fn) -> CsiSurveyError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CsiSurveyError) as info:
            fn()
    return info.value


def _english_sentences(message: str) -> list[str]:
    """The English sentences of a message that are not names or values: 4+ letter words in a row."""
    return [m for m in re.findall(r"[A-Za-z]+(?: [A-Za-z]+){3,}", message)]


def _check(exc: CsiSurveyError, chinese: list[str], kept: list[str]) -> str:
    """``exc`` in Chinese holds each of ``chinese`` and ``kept`` and no English sentence of its own;
    in English it is ``str(exc)``."""
    assert localize_error("en", exc) == str(exc)
    zh = localize_error("zh", exc)
    for part in chinese + kept:
        assert part in zh, (part, zh)
    assert "How to fix" not in zh
    if exc.hint:
        assert "\n解决方法：" in zh
    for sentence in _english_sentences(exc.message) + _english_sentences(exc.hint or ""):
        assert sentence not in zh, (sentence, zh)
    return zh


@pytest.fixture(scope="module")
def questionnaire():
    return csi.load_model(SPEC)


@pytest.fixture(scope="module")
def frame():
    return pd.read_excel(XLSX, engine="openpyxl")


def test_file_not_found_folder_and_unsupported_type(tmp_path, questionnaire):
    exc = _error(lambda: csi.read_responses(tmp_path / "答卷.xlsx", questionnaire))
    _check(exc, ["答卷文件", "不存在", "请检查文件名和所在文件夹"], ["答卷.xlsx"])
    exc = _error(lambda: csi.read_responses(tmp_path, questionnaire))
    _check(exc, ["是一个文件夹，不是答卷文件"], [str(tmp_path)])
    (tmp_path / "survey.pdf").write_bytes(b"%PDF-1.4")
    exc = _error(lambda: csi.read_responses(tmp_path / "survey.pdf", questionnaire))
    _check(exc, ["csi-survey 无法读取", "扩展名 '.pdf'"], ["survey.pdf"])
    (tmp_path / "empty.csv").write_bytes(b"")
    exc = _error(lambda: csi.read_responses(tmp_path / "empty.csv", questionnaire))
    _check(exc, ["是空文件（0 字节）", "请重新导出答卷"], ["empty.csv"])


def test_sheet_errors(questionnaire):
    exc = _error(lambda: csi.read_responses(XLSX, questionnaire, sheet="回答"))
    _check(exc, ["中找不到工作表", "现有工作表"], ["'回答'", "acsi_retail.xlsx", "'Responses'"])
    exc = _error(lambda: csi.read_responses(XLSX, questionnaire, sheet=5))
    zh = _check(exc, ["中不存在编号为 5 的工作表", "共有 2 个工作表"], ["acsi_retail.xlsx"])
    assert "0 到 1 之间" in zh


def test_missing_columns(tmp_path, questionnaire, frame):
    frame.drop(columns=["pq_custom", "sat_ideal"]).to_csv(tmp_path / "export.csv", index=False)
    exc = _error(lambda: csi.read_responses(tmp_path / "export.csv", questionnaire))
    zh = _check(exc, ["问卷中有 2 列在 export.csv 中找不到", "找不到列 'pq_custom'（构念 PQ 的题目）", "最接近的列"],
                ["'sat_ideal'", "'exp_custom'"])
    assert zh.count("\n  在 export.csv 中找不到列") == 2  # the list keeps its lines and indentation


def test_duplicate_column_names(tmp_path, questionnaire):
    (tmp_path / "dup.csv").write_text("满意度,满意度,b\n1,2,3\n", encoding="utf-8")
    exc = _error(lambda: csi.read_responses(tmp_path / "dup.csv", questionnaire))
    _check(exc, ["的表头中有重复的列名", "请重命名这些列"], ["dup.csv", "'满意度'"])


def test_header_without_rows_and_every_row_excluded(tmp_path, questionnaire, frame):
    (tmp_path / "hdr.csv").write_text(",".join(frame.columns) + "\n", encoding="utf-8")
    exc = _error(lambda: csi.read_responses(tmp_path / "hdr.csv", questionnaire))
    _check(exc, ["只有表头，没有数据行"], ["hdr.csv"])
    empty = frame.copy()
    empty[questionnaire.item_ids] = np.nan
    empty.to_csv(tmp_path / "none.csv", index=False)
    exc = _error(lambda: csi.read_responses(tmp_path / "none.csv", questionnaire))
    _check(exc, ["的所有行都被排除了", "没有一行可用", "原因：以下构念都没有有效答案", "空行（1 行）"],
           ["none.csv", "EXP (Customer expectations)"])


def test_invalid_answers_table(tmp_path, questionnaire, frame):
    bad = frame.astype(object)
    bad.loc[3, "pq_custom"] = "很好"
    bad.loc[5, "sat_ideal"] = 12
    bad.to_csv(tmp_path / "inv.csv", index=False)
    exc = _error(lambda: csi.read_responses(tmp_path / "inv.csv", questionnaire))
    assert isinstance(exc, DataValidationError)
    zh = _check(exc, ["inv.csv 中有无效答案", "不是数字，或超出题目量表范围", "个问题）：",
                      "行", "受访者编号", "列", "值", "问题", "超出量表范围 1–10", "不是数字"],
                ["pq_custom", "很好", "sat_ideal", "R00004", "R00006"])
    header = zh.split("\n")[1].split()
    assert header == ["行", "受访者编号", "列", "值", "问题"]
    for problem in exc.failure_cases["problem"]:
        assert problem not in zh.split("\n", 1)[1]  # every problem cell translated


def test_unknown_label_of_a_chinese_platform_export(tmp_path):
    """An option text in no scale (issue 16, "Bad input"): one error listing it, in Chinese. The
    问卷星 text download is examples/wjx_satisfaction_text.xlsx (its layout: /work/notes/cn_platform_layouts.md)."""
    import openpyxl

    path = tmp_path / "wjx.xlsx"
    shutil.copy(EXAMPLES / "wjx_satisfaction_text.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(3, 11).value = "还行吧"
    wb.save(path)
    result = runner.invoke(app, ["run", str(path), "--model", str(EXAMPLES / "wjx_satisfaction.yaml"), "--out",
                                 str(tmp_path / "out"), "--lang", "zh"])
    assert result.exit_code == 1
    text = result.output
    for part in ["错误：", "有 1 个答案标签不属于任何内置中文量表，因此无法计分", "Q5_1 中的 '还行吧'", "答案标签不属于任何内置量表",
                 "解决方法：请在问卷模型中声明该量表：label_maps: {my_scale: {还行吧: ?, …}}", "wjx.xlsx 的工作表 'Sheet1'"]:
        assert part in text, (part, text)
    assert "no built-in" not in text and "How to fix" not in text
    english = runner.invoke(app, ["run", str(path), "--model", str(EXAMPLES / "wjx_satisfaction.yaml"), "--out",
                                  str(tmp_path / "out"), "--lang", "en"])
    assert "answer label(s) are in no built-in Chinese scale" in english.output


def test_spec_errors(tmp_path):
    text = SPEC.read_text(encoding="utf-8")
    bad = text.replace("  - [EXP, PQ]", "  - [EXP, PQQ]\n  - [EXP, EXP]\n  - [PQ, SAT]\n  - [SAT, PQ]")
    bad = bad.replace("{id: pq_custom", "{id: exp_custom").replace("index: SAT", "index: SATX\nfoo: 1")
    (tmp_path / "模型.yaml").write_text(bad, encoding="utf-8")
    exc = _error(lambda: csi.load_model(tmp_path / "模型.yaml"))
    assert isinstance(exc, SpecError)
    zh = _check(exc, ["问卷模型文件有误", "位置", "问题", "路径构成了循环：SAT → PQ → SAT", "路径终点 'PQQ' 不是模型中的构念；您是不是指 'PQ'？",
                      "路径从 'EXP' 指向它自身", "重复列出", "题目 'exp_custom' 也属于构念 'EXP'", "index 指定的 'SATX' 不是模型中的构念",
                      "未知的键 'foo'", "解决方法：请逐条改正"], ["模型.yaml:"])
    assert zh.split("\n")[1].split() == ["位置", "问题"]
    for problem in exc.problems["problem"]:
        assert problem not in zh
    exc = _error(lambda: csi.load_model(tmp_path / "nope.yaml"))
    _check(exc, ["无法读取模型文件", "文件不存在"], ["nope.yaml"])


def test_zero_variance_and_not_converged(tmp_path, questionnaire, frame):
    const = frame.copy()
    const["pq_custom"] = 5
    const.to_csv(tmp_path / "const.csv", index=False)
    data = csi.read_responses(tmp_path / "const.csv", questionnaire, on_invalid="exclude")
    exc = _error(lambda: csi.PLS(questionnaire).fit(data))
    _check(exc, ["以下题目的方差为零", "（所有答案都是 5）", "请把它从所属构念中删除"], ["pq_custom"])
    data = csi.read_responses(XLSX, questionnaire, on_invalid="exclude")
    exc = _error(lambda: csi.PLS(questionnaire, max_iter=1, tol=1e-15).fit(data))
    _check(exc, ["PLS 在 1 次迭代内没有收敛", "容差 1e-15", "请提高 max_iter"], [])


def test_too_few_respondents_and_segments(questionnaire, frame):
    exc = _error(lambda: csi.PLS(questionnaire).fit(frame.head(2)))
    _check(exc, ["PLS 至少需要 3 名受访者；数据中只有 2 名"], [])
    from csi_survey.segments import comparable_segments

    data = csi.read_responses(XLSX, questionnaire, on_invalid="exclude")
    exc = _error(lambda: comparable_segments(csi.PLS(questionnaire), data, "region", min_n=10_000))
    zh = _check(exc, ["列 'region' 中只有 0 个细分群体可以估计", "比较细分群体至少需要两个", "样本不足（n = ", "< 10000）",
                      "请降低 min_n（当前为 10000"], [])
    assert "insufficient" not in zh


def test_output_folder_errors(tmp_path):
    from csi_survey.report.atomic import AtomicOutput

    (tmp_path / "报告").write_text("x", encoding="utf-8")
    with pytest.raises(CsiSurveyError) as info:
        with AtomicOutput(tmp_path / "报告"):
            pass
    _check(info.value, ["输出文件夹", "是一个文件，不是文件夹", "请换一个输出文件夹"], ["报告"])


def test_weights_errors(tmp_path):
    (tmp_path / "wt.yaml").write_text(SPEC.read_text(encoding="utf-8") + "\nweights: {column: nps_recommend}\n",
                                      encoding="utf-8")
    questionnaire = csi.load_model(tmp_path / "wt.yaml")
    exc = _error(lambda: csi.read_responses(XLSX, questionnaire, on_invalid="exclude"))
    zh = _check(exc, ["的权重列 'nps_recommend' 在 502 名受访者中有 6 个不可用的值", "为零（权重必须为正数）",
                      "acsi_retail.xlsx 的工作表 'Responses'", "解决方法：每名参与分析的受访者在权重列中都需要一个正数"],
                ["R00047", "nps_recommend"])
    assert "zero (a weight" not in zh


def test_speeder_exclusions_of_a_wjx_run_in_chinese(tmp_path):
    """问卷星's 所用时间 ("383秒") feeds the speeder rule (layout: /work/notes/cn_platform_layouts.md); a
    Chinese run's excluded.csv says why in Chinese."""
    spec = (EXAMPLES / "wjx_satisfaction.yaml").read_text(encoding="utf-8")
    assert "min_seconds: 60, policy: flag" in spec
    (tmp_path / "wjx.yaml").write_text(spec.replace("min_seconds: 60, policy: flag", "min_seconds: 200, policy: exclude"),
                                       encoding="utf-8")
    result = runner.invoke(app, ["run", str(EXAMPLES / "wjx_satisfaction_text.xlsx"), "--model", str(tmp_path / "wjx.yaml"),
                                 "--out", str(tmp_path / "out"), "--bootstrap", "0", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    reasons = pd.read_csv(tmp_path / "out" / "excluded.csv", encoding="utf-8-sig", dtype=str)["reason"].tolist()
    assert len(reasons) > 100
    pattern = re.compile(r"^答题过快：答题用时 \d+ 秒，少于 200 秒$")
    assert all(pattern.match(r) for r in reasons), reasons[:5]


def test_cli_prints_the_chinese_error_and_english_unchanged(tmp_path):
    missing = tmp_path / "不存在.csv"
    zh = runner.invoke(app, ["run", str(missing), "--model", str(SPEC), "--out", str(tmp_path / "o"), "--lang", "zh"])
    en = runner.invoke(app, ["run", str(missing), "--model", str(SPEC), "--out", str(tmp_path / "o"), "--lang", "en"])
    assert zh.exit_code == en.exit_code == 1
    assert "错误：答卷文件 '" in zh.output and "不存在.csv' 不存在" in zh.output and "解决方法：请检查文件名" in zh.output
    assert "does not exist" not in zh.output
    exc = _error(lambda: csi.read_responses(missing, csi.load_model(SPEC)))
    assert en.output.replace("\n", "") == ("Error: " + str(exc)).replace("\n", "")


def test_warnings_are_translated(capsys):
    message = warnings.WarningMessage(
        csi.exceptions.IndexWarning("construct PQ has negative index weights (pq_1, pq_2): its 0–100 scores can leave "
                                    "the 0–100 range; check the item coding (reverse: true?)"),
        csi.exceptions.IndexWarning, "x.py", 1)
    cli._set_lang("zh")
    try:
        cli._show_warnings([message])
    finally:
        cli._set_lang("en")
    err = capsys.readouterr().err
    assert "警告：构念 PQ 有负的指数权重（pq_1, pq_2）" in err and "reverse: true" in err
    assert "negative index weights" not in err
    cli._show_warnings([message])
    assert "Warning: construct PQ has negative index weights" in capsys.readouterr().err


def test_engine_descriptions_and_notes():
    assert translate("zh", "PLS path modeling, path scheme") == "PLS 路径建模，路径加权方案"
    assert translate("zh", "Consistent PLS path modeling, path scheme (PLSc: 3 reflective constructs corrected)") == (
        "一致性 PLS 路径建模，路径加权方案（PLSc：校正了 3 个反映型构念）")
    assert translate("zh", "Covariance-based SEM (ML, semopy)").startswith("协方差结构方程模型")
    note = "The bootstrap applies to PLS; CB-SEM reports maximum-likelihood standard errors (parameters.csv)."
    assert translate("zh", note) == "自助法（bootstrap）只用于 PLS；CB-SEM 报告的是最大似然标准误（见 parameters.csv）。"


# ====================================================================== (c) excluded.csv
def test_excluded_reasons_in_a_chinese_run_and_unchanged_in_english(tmp_path, questionnaire):
    common = [str(XLSX), "--model", str(SPEC), "--on-invalid", "exclude", "--bootstrap", "0", "--seed", "1"]
    en = runner.invoke(app, ["run", *common, "--out", str(tmp_path / "en")])
    zh = runner.invoke(app, ["run", *common, "--out", str(tmp_path / "zh"), "--lang", "zh"])
    assert en.exit_code == 0 and zh.exit_code == 0, (en.output, zh.output)
    library = csi.read_responses(XLSX, questionnaire, on_invalid="exclude").excluded
    en_csv = pd.read_csv(tmp_path / "en" / "excluded.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    zh_csv = pd.read_csv(tmp_path / "zh" / "excluded.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(library) == len(en_csv) == len(zh_csv) == 5
    assert en_csv["reason"].tolist() == library["reason"].tolist()  # the library's English, as before
    assert zh_csv["reason"].tolist() == [translate("zh", r) for r in library["reason"]]
    assert zh_csv["row"].tolist() == en_csv["row"].tolist()
    for reason in zh_csv["reason"]:
        assert HAN.search(reason) and "invalid value" not in reason and "no valid answer" not in reason
    assert "无效答案：sat_overall 中的 'ten'（不是数字）" in zh_csv["reason"].tolist()
    html = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "PLS 路径建模，路径加权方案" in html and "空行" in html
    import json

    meta = json.loads((tmp_path / "zh" / "run.json").read_text(encoding="utf-8"))
    assert meta["engine"] == "PLS path modeling, path scheme"  # run.json keeps the English original


# ====================================================================== (d) the top raise sites
#: (source file, wording at the raise site, catalogue template): the errors and texts users meet most.
TOP_SITES = [
    ("ingest/readers.py", 'f"The responses file {str(path)!r} does not exist"', "The responses file {path} does not exist"),
    ("ingest/readers.py", 'f"{str(path)!r} is a folder, not a responses file"', "{path} is a folder, not a responses file"),
    ("ingest/readers.py", 'f"{name} has {kind}, which csi-survey cannot read; supported: {', "{name} has {kind}, which csi-survey cannot read; supported: {supported}"),
    ("ingest/readers.py", 'f"{name} is empty (0 bytes): there is no header row"', "{name} is empty (0 bytes): there is no header row"),
    ("ingest/readers.py", 'f"Sheet {wanted!r} not found in {name}; the sheets are: {listed}"', "Sheet {sheet} not found in {name}; the sheets are: {sheets}"),
    ("ingest/readers.py", 'f"Sheet number {int(sheet)} does not exist in {name}: it has {len(names)} sheet(s) "', "Sheet number {n} does not exist in {name}: it has {k} sheet(s) (numbered from 0): {sheets}"),
    ("ingest/readers.py", 'f"The header of {where} has duplicate column names: ', "The header of {where} has duplicate column names: {all_parts}"),
    ("ingest/encoding.py", 'f"The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16, GB18030/GBK, Big5 nor "', "The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16, GB18030/GBK, Big5 nor Shift-JIS text"),
    ("ingest/prepare.py", 'f"{where} has a header but no data rows"', "{where} has a header but no data rows"),
    ("ingest/prepare.py", 'f"column {name!r} ({role}) not found in {where}{closest}"', "column {column} ({role}) not found in {where}; closest: {closest}"),
    ("ingest/prepare.py", 'f"{len(problems)} columns of the questionnaire are missing from {where}:', "{n} columns of the questionnaire are missing from {where}:\n  {all_lines}"),
    ("ingest/values.py", 'f"Invalid answers in {where}: {len(table)} cell(s) of {n_resp} respondent(s) are "', "Invalid answers in {where}: {cells_n} cell(s) of {resp_n} respondent(s) are {what}"),
    ("ingest/values.py", 'f"unmapped label {t_strip!r} (map: {map_name})"', "unmapped label {label} (map: {map})"),
    ("ingest/values.py", 'problems.append("not a number")', "not a number"),
    ("ingest/prepare.py", 'f"Every row of {where} was excluded ({n} data row(s) read, none usable). Reasons: {top}{more}"', "Every row of {where} was excluded ({n} data row(s) read, none usable). Reasons: {all_reasons}"),
    ("ingest/prepare.py", '"invalid value " + r for r in texts', "invalid value {all_pieces}"),
    ("ingest/prepare.py", '"no valid answer for construct" + ("s " if mask.sum() > 1 else " ")', "no valid answer for constructs {names}"),
    ("ingest/prepare.py", '["empty row"] * pos.size', "empty row"),
    ("ingest/prepare.py", 'f"The columns of {where} have duplicate names: {parts}"', "The columns of {where} have duplicate names: {all_parts}"),
    ("ingest/cn_scales.py", 'f"{raw.location}: {len(unknown)} answer label(s) are in no built-in Chinese scale, so they have no score: "', "{where}: {n} answer label(s) are in no built-in Chinese scale, so they have no score: {all_listed}"),
    ("ingest/cn_scales.py", '"problem": "answer label in no built-in scale"', "answer label in no built-in scale"),
    ("ingest/quality.py", 'f"interview took {_num(x)} s, less than {limit} s"', "interview took {secs} s, less than {limit} s"),
    ("ingest/quality.py", 'f"same answer ({_num(v)}) on all {len(cols)} items of {name}"', "same answer ({value}) on all {k} items of {name}"),
    ("ingest/quality.py", 'f"respondent id {i!r} already in row {r}"', "respondent id {id} already in row {row}"),
    ("ingest/weights.py", 'f"The weights column {str(col)!r} of {_where(data)} has {pos.size} unusable value(s) among {n} respondents"', "The weights column {column} of {where} has {k} unusable value(s) among {n} respondents"),
    ("schema.py", '"The questionnaire spec is invalid"', "The questionnaire spec is invalid"),
    ("schema.py", 'f"scale min ({scale.min:g}) must be below max ({scale.max:g})"', "scale min ({low}) must be below max ({high})"),
    ("spec_checks.py", 'f"path from {s!r} to itself"', "path from {name} to itself"),
    ("spec_checks.py", '"the paths form a cycle: " + " → ".join(cycle) + " (the model must be recursive)"', "the paths form a cycle: {cycle} (the model must be recursive)"),
    ("spec_checks.py", 'f"path {s} → {t} is listed twice (also {format_location(seen[(s, t)])})"', "path {source} → {target} is listed twice (also {location})"),
    ("engine/pls.py", 'f"item(s) with zero variance: {\', \'.join(bad)}"', "item(s) with zero variance: {all_items}"),
    ("engine/pls.py", 'f"PLS did not converge in {max_iter} iterations (largest change of an outer weight "', "PLS did not converge in {n} iterations (largest change of an outer weight in the last iteration: {change}, tolerance {tol})"),
    ("engine/pls.py", 'f"PLS needs at least 3 respondents; the data have {n}"', "PLS needs at least 3 respondents; the data have {n}"),
    ("engine/pls.py", 'f"the predictors of {names[j]} ({\', \'.join(names[k] for k in pred)}) are perfectly collinear"', "the predictors of {name} ({names}) are perfectly collinear"),
    ("segments.py", 'f"column {column!r} has {len(estimated)} segment(s) that can be estimated ({found}); "', "column {column} has {k} segment(s) that can be estimated ({all_found}); comparing segments needs at least two"),
    ("report/atomic.py", 'f"the output folder {directory} is a file, not a folder"', "the output folder {folder} is a file, not a folder"),
    ("report/atomic.py", 'f"cannot write {name} into {target_dir}: {error.strerror or error}"', "cannot write {name} into {folder}: {reason}"),
    ("index.py", 'f"construct {cid} has negative index weights ({\', \'.join(neg)}): its 0–100 scores can leave "', "construct {construct} has negative index weights ({items}): its 0–100 scores can leave the 0–100 range; check the item coding (reverse: true?)"),
    ("results.py", 'return f"PLS path modeling, {self.settings[\'scheme\']} scheme{scaled}"', "PLS path modeling, path scheme"),
    ("results.py", 'return "Covariance-based SEM (ML, semopy)"', "Covariance-based SEM (ML, semopy)"),
]


@pytest.mark.parametrize("source, wording, template", TOP_SITES, ids=[t[2][:40] for t in TOP_SITES])
def test_top_raise_sites_have_a_catalogue_entry(source, wording, template):
    """A raise site counted as "top" still words its message this way, and the catalogue has the
    template of that wording: a changed wording must come with a changed catalogue entry."""
    assert wording in (SRC / source).read_text(encoding="utf-8"), f"{source} no longer words: {wording}"
    assert template in PHRASES, template


def test_the_top_sites_are_many():
    assert len(TOP_SITES) >= 40
