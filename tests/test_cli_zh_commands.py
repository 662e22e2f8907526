"""The console output of every other command in Chinese (issue 16: "everything a Chinese user reads
is in Chinese with --lang zh (or from the labels): CLI summaries and errors"), English unchanged.

``run`` and ``validate`` are tested in tests/test_cli_zh.py. Here: the progress-bar stage names of
``run`` and ``batch``, the batch summary (with its counts made true when a wave cannot be read,
issue 17), ``report``, ``compare``, ``predict``, the method commands (``scorecard``, ``ahp``,
``kano``, ``plan``, ``retention``) and ``template --from``. Each command is run in Chinese (from
``--lang zh`` or from the Chinese names of its input, as the reports choose their language) and in
English, where the lines it printed before the catalogue must still be found verbatim.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from csi_survey.cli import app
from csi_survey.cli_output import STAGES, BatchBar, Progress, batch_counts, batch_headline, stage_name
from csi_survey.i18n import CLI_TEXTS, has_chinese

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
METHODS = EXAMPLES / "methods"
runner = CliRunner()
ENV = {"COLUMNS": "200"}  # wide: table titles and lines are not wrapped, so they can be found whole
ZH_CSV = str(EXAMPLES / "acsi_retail_zh.csv")
ZH_SPEC = str(EXAMPLES / "acsi_retail_zh.yaml")
XLSX = str(EXAMPLES / "acsi_retail.xlsx")
SPEC = str(EXAMPLES / "acsi_retail.yaml")


def invoke(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def flat(text: str) -> str:
    return " ".join(text.split())


def rows(text: str) -> list[str]:
    """The printed lines, right-stripped (rich pads table titles to the table's width)."""
    return [line.rstrip() for line in text.splitlines()]


def chinese_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if has_chinese(line)]


# ------------------------------------------------------------------------------------ progress stages
def test_every_stage_the_library_reports_has_an_english_and_a_chinese_name():
    """The stages analysis.analyze reports (``stage("…")`` in its source) are the ones the bar names."""
    source = (ROOT / "src" / "csi_survey" / "analysis.py").read_text(encoding="utf-8")
    reported = set(re.findall(r'stage\("([^"]+)"\)', source))
    assert reported and reported <= set(STAGES), reported - set(STAGES)
    for stage in STAGES:
        key = "stage_" + stage.replace(" ", "_")
        assert key in CLI_TEXTS["en"] and key in CLI_TEXTS["zh"], key
        assert stage_name("zh", stage) == CLI_TEXTS["zh"][key] and has_chinese(stage_name("zh", stage)), stage
        assert not has_chinese(stage_name("en", stage))
    # the English names the bar showed before the catalogue
    assert [stage_name("en", s) for s in ("bootstrap", "segments", "permutations", "segment waves", "omnibus")] == [
        "Bootstrap", "Segments", "Permutation tests", "Waves per segment", "Omnibus tests"]
    assert stage_name("zh", "something new") == "something new"  # an unknown stage: its own name


def _terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=120, color_system=None), buffer


def test_the_progress_bars_show_the_stage_names_and_counts_in_the_language():
    console, buffer = _terminal()
    with Progress(console, "zh") as update:
        update("bootstrap", 5, 10)
        update("segments", 1, 4)
    shown = buffer.getvalue()
    assert "自助法重抽样" in shown and "细分群体" in shown and "Bootstrap" not in shown

    p = SimpleNamespace(total=16, done=5, estimated=3, failed=1, skipped=1, reused=2)
    assert batch_counts("en", p) == "3 done, 1 failed, 1 skipped (2 from an earlier run)"  # as before the catalogue
    assert batch_counts("zh", p) == "完成 3，失败 1，跳过 1（其中 2 个沿用上次结果）"
    console, buffer = _terminal()
    with BatchBar(console, "zh") as update:
        update(p)
    assert "细分任务" in buffer.getvalue() and "完成 3，失败 1" in buffer.getvalue()


# ------------------------------------------------------------------------------------ batch
def _batch(folder: Path, lang: str | None) -> Path:
    """3 waves of the Chinese example: two cannot be read (columns missing), one is estimated."""
    folder.mkdir()
    shutil.copy(ZH_CSV, folder / "q3.csv")
    shutil.copy(ZH_SPEC, folder / "model.yaml")
    (folder / "q1.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "q2.csv").write_text("x\n1\n", encoding="utf-8")
    config = folder / "config.yaml"
    config.write_text(
        "model: model.yaml\nwaves: {2026-Q1: q1.csv, 2026-Q2: q2.csv, 2026-Q3: q3.csv}\nsegments: [区域]\n"
        "bootstrap: {resamples: 0}\non_invalid: exclude\nout: out\n" + (f"lang: {lang}\n" if lang else ""),
        encoding="utf-8")
    return config


def test_batch_headline_counts_the_failed_waves_in_both_languages(tmp_path):
    """Issue 17: "5 estimated, 0 failed" while 2 of 3 waves failed. The headline now counts the waves
    (read / failed) and then the segments of the waves read; in Chinese from the model's labels."""
    zh = invoke("batch", str(_batch(tmp_path / "zh", None)), "--workers", "1")
    assert zh.exit_code == 1, zh.output  # a wave failed
    text = flat(zh.stdout)
    assert text.startswith("批量运行：共 3 期：读取 1 期，失败 2 期（无法读取）；1 期共 5 个细分任务（期 × 细分群体）：已估计 4 个，失败 0 个，跳过 1 个（样本量不足）"), text[:200]
    assert "第 2026-Q1 期无法读取：" in text and "第 2026-Q2 期无法读取：" in text
    assert "估计失败的细分群体" in text and "无法读取该期数据" in text and "（总体）" in text
    assert re.search(r"已将 index_history\.csv、.* 和 manifest\.json 写入 ", text)
    assert "Batch:" not in text and "Wrote" not in text

    en = invoke("batch", str(_batch(tmp_path / "en", "en")), "--workers", "1")
    assert en.exit_code == 1, en.output
    text = flat(en.stdout)
    assert text.startswith("Batch: 3 wave(s): 1 read, 2 failed (could not be read); 5 segments (wave × segment) in 1 wave(s): "
                           "4 estimated, 0 failed, 1 skipped (insufficient sample); 4 computed now, 0 reused from an earlier run"), text[:300]
    assert "Wave 2026-Q1 could not be read: 16 columns of the questionnaire are missing from q1.csv" in text
    assert "Failed segments" in text and re.search(r"Wrote index_history\.csv, .* and manifest\.json to ", text)
    assert not chinese_lines(en.stdout.split("Failed segments")[0].split("Wave 2026-Q1")[0])


def test_batch_headline_without_failed_waves_is_as_before():
    """No wave failed: the English headline is the line printed before the catalogue (test_batch checks it too)."""
    result = SimpleNamespace(manifest={"waves": {"w1": {}, "w2": {}}}, wave_errors={}, total=16, estimated=12, failed=2, skipped=2,
                             computed=0, reused=14, backend="serial", seconds=1.25)
    assert batch_headline("en", result) == (
        "Batch: 16 segments (wave × segment) in 2 wave(s): 12 estimated, 2 failed, 2 skipped (insufficient sample); "
        "0 computed now, 14 reused from an earlier run (serial, 1.2 s).")
    assert batch_headline("zh", result).startswith("批量运行：2 期共 16 个细分任务（期 × 细分群体）：已估计 12 个，失败 2 个，跳过 2 个")


# ------------------------------------------------------------------------------------ report, compare, predict
@pytest.fixture(scope="module")
def zh_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zh_run") / "out"
    result = runner.invoke(app, ["run", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude", "--bootstrap", "0", "--seed", "1",
                                 "--permutations", "0", "--out", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    return out


def test_report_says_what_it_rendered_in_the_run_language(zh_run):
    zh = invoke("report", str(zh_run))
    assert zh.exit_code == 0, zh.output
    assert re.fullmatch(r"已在 .* 中重新生成 report\.xlsx、report\.html。", flat(zh.stdout)), zh.stdout
    en = invoke("report", str(zh_run), "--lang", "en")
    assert en.exit_code == 0, en.output
    assert re.fullmatch(r"Re-rendered report\.xlsx, report\.html in .*\.", flat(en.stdout)), en.stdout
    invoke("report", str(zh_run))  # the folder's reports back in the run's language


def test_compare_in_chinese_from_the_labels_and_in_english(tmp_path):
    zh = invoke("compare", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "zh"))
    assert zh.exit_code == 0, zh.output
    lines = rows(zh.stdout)
    assert lines[0].startswith("从 acsi_retail_zh.csv 读取 312 行")
    for title in ("路径系数（标准化）", "构念指数（0–100）"):
        assert title in lines, title
    assert any("来源" in line and "目标" in line and "差值" in line for line in lines)
    assert lines[-1].startswith("已将 ") and "个文件写入" in lines[-1] and "compare.xlsx" in lines[-1]

    en = invoke("compare", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "en"), "--lang", "en")
    assert en.exit_code == 0, en.output
    lines = rows(en.stdout)
    assert lines[0].startswith("Read 312 rows from acsi_retail_zh.csv")
    assert "Path coefficients (standardized)" in lines and "Construct indices (0–100)" in lines
    assert any(re.fullmatch(r"┃ source ┃ target ┃    pls ┃  cbsem ┃ difference ┃", line) for line in lines)
    assert re.fullmatch(r"Wrote \d+ files to .*: compare_paths\.csv, .*compare\.xlsx", lines[-1]), lines[-1]


def test_predict_in_chinese_and_english(tmp_path):
    args = ["predict", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude", "--folds", "5", "--repetitions", "1", "--seed", "3",
            "--benchmark", "lm"]
    zh = invoke(*args, "--out", str(tmp_path / "zh"))
    assert zh.exit_code == 0, zh.output
    text = flat(zh.stdout)
    assert "PLSpredict 样本外预测（5 折交叉验证 × 1 次，由直接前因构念预测，随机种子 3）" in text
    assert "题项" in text and "PLS 均方根误差" in text
    assert re.search(r"SAT：预测能力(高|中|低|无)：\d+ 个题项中有 \d+ 个的 PLS 均方根误差低于线性模型", text)
    assert "CVPAT：" in text and "已将 " in text
    assert "PLS RMSE below LM" not in text and "Wrote" not in text

    en = invoke(*args, "--out", str(tmp_path / "en"), "--lang", "en")
    assert en.exit_code == 0, en.output
    text = flat(en.stdout)
    assert "PLSpredict (5-fold × 1, direct antecedents, seed 3)" in text
    assert re.search(r"SAT: (high|medium|low|none): PLS RMSE below LM for \d+ of \d+ items?", text)
    assert "CVPAT: " in text and re.search(r"Wrote \d+ files to ", text)


# ------------------------------------------------------------------------------------ the method commands
def test_ahp_in_chinese_from_its_criteria_and_in_english(tmp_path):
    zh = invoke("ahp", str(METHODS / "ahp_pharmacy.yaml"), "--out", str(tmp_path / "zh"))
    assert zh.exit_code == 0, zh.output
    lines = rows(zh.stdout)
    assert "权重" in lines and "一致性检验" in lines
    assert any("准则" in line and "全局权重" in line for line in lines) and any("阶数" in line for line in lines)
    assert lines[-1].startswith("已将 2 个文件写入 ") and lines[-1].endswith("weights.csv、consistency.csv")
    en = invoke("ahp", str(METHODS / "ahp_pharmacy.yaml"), "--out", str(tmp_path / "en"), "--lang", "en")
    lines = rows(en.stdout)
    assert "Weights" in lines and "Consistency" in lines
    assert any(re.fullmatch(r"┃ level ┃ parent\s+┃ criterion\s+┃ weight ┃ global_weight ┃", line) for line in lines)
    assert re.fullmatch(r"Wrote 2 files to .*: weights\.csv, consistency\.csv", lines[-1]), lines[-1]


def test_kano_in_chinese_from_its_labels_and_in_english():
    args = ["kano", str(METHODS / "kano_retail_service.csv"), "--spec", str(METHODS / "kano_retail_service.yaml")]
    zh = invoke(*args)
    assert zh.exit_code == 0, zh.output
    lines = rows(zh.stdout)
    assert lines[0] == "KANO 分类：5 个功能特性，60 名受访者（行）；票数相同时按 M > O > A > I > R > Q 归类（Berger 等，1993）。"
    assert "各功能特性" in lines and any("必备属性" in line and "准时送货" in line for line in lines)
    assert not any("must_be" in line for line in lines)
    en = invoke(*args, "--lang", "en")
    assert en.stdout.startswith("KANO classification\n===================\nFeatures            5\nRespondents (rows)  60\n")


def test_plan_and_retention_in_chinese_and_english(tmp_path):
    plan = ["plan", "--margin", "2", "--frame", str(METHODS / "sampling_clients.csv"), "--stratum-column", "chain",
            "--achieved", str(METHODS / "sampling_fieldwork.csv")]
    zh = invoke(*plan)  # the chains are named in Chinese
    assert zh.exit_code == 0, zh.output
    lines = rows(zh.stdout)
    assert lines[0].startswith("抽样方案：样本量 ") and "样本分配" in lines and "实地执行：实际完成与计划样本量" in lines
    assert any("满意度指数" in line and "默认值" in line for line in lines)
    en = invoke(*plan, "--lang", "en")
    assert en.stdout.startswith("Sampling plan\n=============\nSample size  ") and "Fieldwork: achieved vs planned" in en.stdout

    retention = ["retention", str(METHODS / "retention_orders.csv"), "--customer", "retailer_id", "--period", "quarter",
                 "--care", str(METHODS / "retention_care.csv"), "--reached", "是否关怀", "--before", "满意度_前", "--after", "满意度_后",
                 "--out", str(tmp_path / "r")]
    zh = invoke(*retention)
    assert zh.exit_code == 0, zh.output
    text = flat(zh.stdout)
    assert text.startswith("留存率与忠诚度") and "留存率" in text and "关怀项目：双重差分估计 " in text
    assert "已关怀" in text and "未关怀" in text and "已将 " in text
    en = invoke(*retention, "--lang", "en")
    text = flat(en.stdout)
    assert text.startswith("Retention and loyalty") and "Care programme: before/after" in text and "Difference-in-differences" in text
    assert re.search(r"Wrote \d+ files to ", text)


def test_scorecard_in_chinese_and_english(tmp_path):
    config = str(METHODS / "scorecard_config.yaml")
    zh = invoke("scorecard", config, "--out", str(tmp_path / "zh"))
    assert zh.exit_code == 0, zh.output
    lines = rows(zh.stdout)
    assert "2026Q1 门店排名" in lines and "管理人员得分" in lines and lines[-1].startswith("已将 5 个文件写入 ")
    en = invoke("scorecard", config, "--out", str(tmp_path / "en"), "--lang", "en")
    lines = rows(en.stdout)
    assert "Store ranking 2026Q1" in lines and "Managers" in lines and lines[-1].startswith("Wrote 5 files to ")


# ------------------------------------------------------------------------------------ template --from
def test_template_from_says_what_to_do_next_in_the_language_of_the_export(tmp_path):
    """The 问卷星 example (Chinese headers) gets the Chinese message; --lang en the English one. The
    drafted YAML is the same in both (its comments stay English with a Chinese header line)."""
    export = EXAMPLES / "wjx_satisfaction_text.xlsx"
    zh = invoke("template", "--from", str(export), "--out", str(tmp_path / "zh.yaml"))
    assert zh.exit_code == 0, zh.output
    assert flat(zh.stderr).startswith(f"已写入问卷设计草稿 {tmp_path / 'zh.yaml'}：请确认标有 TODO 的各行，然后运行 csi-survey run")
    en = invoke("template", "--from", str(export), "--out", str(tmp_path / "en.yaml"), "--lang", "en")
    assert en.exit_code == 0, en.output
    assert flat(en.stderr).startswith(f"Wrote the draft spec {tmp_path / 'en.yaml'}: confirm the lines marked TODO, then csi-survey run")
    assert (tmp_path / "zh.yaml").read_text(encoding="utf-8") == (tmp_path / "en.yaml").read_text(encoding="utf-8")


def test_the_new_texts_have_both_languages():
    assert set(CLI_TEXTS["en"]) == set(CLI_TEXTS["zh"])
    for key in ("batch_waves", "batch_segments", "rerendered", "wrote_files", "predict_title", "kano_summary", "draft_written"):
        fields = lambda s: sorted(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        assert fields(CLI_TEXTS["en"][key]) == fields(CLI_TEXTS["zh"][key]), key
        assert has_chinese(CLI_TEXTS["zh"][key]) and not has_chinese(CLI_TEXTS["en"][key]), key
