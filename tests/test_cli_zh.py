"""The console output of ``run`` and ``validate`` in Chinese (``--lang zh``, or from Chinese labels)
and unchanged in English (issue 16: "everything a Chinese user reads is in Chinese").

The fixed texts come from :data:`csi_survey.i18n.CLI_TEXTS`; the English entries reproduce the
console output as it was before the catalogue (the golden below was captured from the CLI before the
change, and the README's sample output must still be found in it). Runs use ``COLUMNS=120``, the
width of the README sample, so that rich wraps titles and long lines the same way everywhere.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from rich.cells import cell_len
from typer.testing import CliRunner

from csi_survey import cli
from csi_survey.cli import app
from csi_survey.i18n import CLI_TEXTS

from .conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
ENV = {"COLUMNS": "120"}
XLSX = str(EXAMPLES / "acsi_retail.xlsx")
SPEC = str(EXAMPLES / "acsi_retail.yaml")
ZH_CSV = str(EXAMPLES / "acsi_retail_zh.csv")
ZH_SPEC = str(EXAMPLES / "acsi_retail_zh.yaml")
#: tools/check_outputs.py JOBS["run_zh_wave"], with fewer resamples and permutations (a test, not a benchmark).
ZH_WAVE = ["run", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude", "--segment", "区域", "--wave", "渠道", "--seed", "2",
           "--bootstrap", "200", "--permutations", "100"]

#: ``csi-survey run examples/acsi_retail.xlsx --model examples/acsi_retail.yaml --out out --on-invalid exclude
#: --segment region --seed 1`` as printed before the console texts moved into the catalogue (lines
#: right-stripped; the closing "Wrote N files …" line is checked apart: its count follows the outputs).
GOLDEN_RUN = """
Read 507 rows from acsi_retail.xlsx, sheet 'Responses': 502 used, 5 excluded.
Replaced 228 missing answers by the item mean (per item: missing.csv).
  data quality: invalid_value: 0 flagged, 3 excluded (policy exclude; see flags.csv)
  excluded     3 × invalid value (see excluded.csv)
  excluded     1 × no valid answer for construct (see excluded.csv)
  excluded     1 × empty row (see excluded.csv)
Retail ACSI 2026-Q3 — construct indices (0–100)
┏━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━┳━━━━━┓
┃ construct ┃ label                 ┃  index ┃ 95% interval ┃   ± ┃   n ┃
┡━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━╇━━━━━┩
│ EXP       │ Customer expectations │   74.7 │ [73.1, 76.4] │ 1.6 │ 502 │
│ PQ        │ Perceived quality     │   74.2 │ [72.5, 75.7] │ 1.6 │ 502 │
│ PV        │ Perceived value       │   65.7 │ [63.7, 67.6] │ 1.9 │ 502 │
│ SAT       │ Customer satisfaction │ 68.6 ◀ │ [66.7, 70.3] │ 1.8 │ 502 │
│ COMP      │ Complaints            │   11.2 │  [8.6, 13.8] │ 2.6 │ 502 │
│ LOY       │ Customer loyalty      │   69.0 │ [67.0, 70.9] │ 1.9 │ 502 │
└───────────┴───────────────────────┴────────┴──────────────┴─────┴─────┘
Path coefficients
┏━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━┓
┃ source ┃ target ┃ estimate ┃ std_err ┃ p_value ┃     95% interval ┃
┡━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━┩
│ EXP    │ PQ     │    0.477 │   0.040 │   0.000 │   [0.407, 0.559] │
│ EXP    │ PV     │    0.195 │   0.047 │   0.000 │   [0.106, 0.290] │
│ EXP    │ SAT    │    0.110 │   0.040 │   0.006 │   [0.033, 0.190] │
│ PQ     │ PV     │    0.415 │   0.047 │   0.000 │   [0.323, 0.504] │
│ PQ     │ SAT    │    0.460 │   0.048 │   0.000 │   [0.364, 0.549] │
│ PV     │ SAT    │    0.273 │   0.049 │   0.000 │   [0.178, 0.367] │
│ SAT    │ COMP   │   -0.152 │   0.048 │   0.002 │ [-0.246, -0.059] │
│ SAT    │ LOY    │    0.554 │   0.036 │   0.000 │   [0.484, 0.626] │
│ COMP   │ LOY    │    0.003 │   0.034 │   0.921 │  [-0.061, 0.069] │
└────────┴────────┴──────────┴─────────┴─────────┴──────────────────┘
PLS (path scheme) converged in 5 iterations.
Bootstrap: 1,000 of 1,000 resamples used (seed 1, percentile).
Satisfaction index (Customer satisfaction): 68.6 ± 1.8 (95% interval 66.7–70.3)
Impacts (index points gained when the driver's index rises
by 5)
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┓
┃ target                ┃ driver                ┃ impact ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━┩
│ Customer satisfaction │ Perceived quality     │   3.48 │
│ Customer satisfaction │ Customer expectations │   2.62 │
│ Customer satisfaction │ Perceived value       │   1.37 │
│ Customer loyalty      │ Customer satisfaction │   2.45 │
│ Customer loyalty      │ Perceived quality     │   1.71 │
│ Customer loyalty      │ Customer expectations │   1.29 │
│ Customer loyalty      │ Perceived value       │   0.67 │
│ Customer loyalty      │ Complaints            │   0.01 │
└───────────────────────┴───────────────────────┴────────┘
NPS: 9.8 (95% interval 3.1 to 16.5, n = 502)
Customer satisfaction by segment
┏━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━┳━━━━━━━━━━━┓
┃ segment_column ┃ segment ┃ index ┃ interval     ┃   n ┃ status    ┃
┡━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━╇━━━━━━━━━━━┩
│                │ (total) │  68.6 │ [66.7, 70.3] │ 502 │ estimated │
│ region         │ East    │  57.4 │ [53.1, 62.1] │ 118 │ estimated │
│ region         │ North   │  70.8 │ [67.7, 73.9] │ 154 │ estimated │
│ region         │ South   │  74.1 │ [70.8, 77.0] │ 148 │ estimated │
│ region         │ West    │  70.5 │ [66.0, 74.7] │  82 │ estimated │
└────────────────┴─────────┴───────┴──────────────┴─────┴───────────┘
Model fit (saturated / estimated model): SRMR 0.024 / 0.028; d_ULS 0.071 / 0.096; d_G 0.180 / 0.195 (model_fit.csv).
Mediation: 27 specific indirect effects (indirect_effects.csv, mediation.csv).
  75 % of the effect of customer expectations on customer satisfaction runs through perceived quality and perceived
value. The strongest chain is customer expectations → perceived quality → customer satisfaction (0.22). Both the direct
and the indirect effect are significant and point the same way (complementary mediation).
  20 % of the effect of perceived quality on customer satisfaction runs through perceived value. Both the direct and the
indirect effect are significant and point the same way (complementary mediation).
Segments of region (4 segments; omnibus permutation test): differ in 4 of 6 indices (Perceived quality p = 0.001;
Customer satisfaction p = 0.001; Customer loyalty p = 0.034; Perceived value p = 0.046) and 0 of 9 paths; pairwise: 8
significant difference(s) over 6 pair(s), Holm correction (segment_differences.csv).
MICOM region: every construct is compositionally invariant in the 6 pair(s) of segments compared (micom.csv).
"""

#: ``csi-survey validate examples/acsi_retail.xlsx --model examples/acsi_retail.yaml --on-invalid exclude`` before the change.
GOLDEN_VALIDATE = """
Model 'Retail ACSI 2026-Q3': 6 constructs, 15 items, 9 paths — valid.
Read 507 rows from acsi_retail.xlsx, sheet 'Responses': 502 used, 5 excluded.
Replaced 228 missing answers by the item mean (per item: missing.csv).
  data quality: invalid_value: 0 flagged, 3 excluded (policy exclude; see flags.csv)
  excluded     3 × invalid value (see excluded.csv)
  excluded     1 × no valid answer for construct (see excluded.csv)
  excluded     1 × empty row (see excluded.csv)
The responses are valid for this model.
"""


def invoke(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_run_with_lang_zh_prints_chinese(tmp_path):
    out = tmp_path / "out"
    result = invoke(*ZH_WAVE, "--out", str(out), "--lang", "zh")
    assert result.exit_code == 0, result.output
    printed = lines(result.stdout)
    expected = [
        "从 acsi_retail_zh.csv 读取 312 行：使用 311 行，剔除 1 行。",
        "56 个缺失值已用题项均值替代（各题项明细见 missing.csv）。",
        "  数据质量：invalid_value：标记 0 条，剔除 1 条（处理方式 exclude；见 flags.csv）",
        "  剔除     1 行：无效值（见 excluded.csv）",
        "零售门店顾客满意度调查 2026年第三季度 — 构念指数（0–100）",
        "┃ 构念 ┃ 名称       ┃   指数 ┃ 95% 置信区间 ┃   ± ┃ 样本量 ┃",
        "路径系数",
        "┃ 来源 ┃ 目标 ┃ 估计值 ┃ 标准误 ┃  p 值 ┃     95% 置信区间 ┃",
        "PLS（路径加权方案）经 5 次迭代收敛。",
        "自助法重抽样：200 次中有效 200 次（随机种子 2，百分位数法）。",
        "满意度指数（顾客满意度）：69.4 ± 2.3（95% 置信区间 67.1–71.7）",
        "┃ 目标       ┃ 驱动因素   ┃ 影响力 ┃",
        "净推荐值（NPS）：14.1（95% 置信区间 5.6 至 22.7，样本量 311）",
        "各细分群体的顾客满意度",
        "┃ 细分变量 ┃ 细分群体 ┃ 指数 ┃ 置信区间     ┃ 样本量 ┃ 状态                      ┃",
        "│          │ （总体） │ 69.4 │ [67.1, 71.7] │    311 │ 已估计                    │",
        "│ 区域     │ 西南     │    – │ –            │     35 │ 样本量不足（n = 35 < 50） │",
        "门店 较 线上：+3.8 分 [-0.8, 9.4]，p = 0.172",
        "模型拟合（饱和模型 / 估计模型）：SRMR 0.035 / 0.045；d_ULS 0.144 / 0.242；d_G 0.331 / 0.376（model_fit.csv）。",
        "中介效应：共 27 个特定间接效应（indirect_effects.csv、mediation.csv）。",
        "MICOM（区域）：在比较的 3 组细分群体中，所有构念均具有组成不变性（micom.csv）。",
    ]
    missing = [line for line in expected if line not in printed]
    assert not missing, "\n".join(missing) + "\n---\n" + result.stdout
    assert len(expected) == 21
    text = squeeze(result.stdout)
    assert "驱动因素影响力（驱动因素指数提高 5 分时目标指数提高的分数）" in text
    assert squeeze("各细分群体较上一期的变化：0 项中 0 项显著（多重比较校正：Holm 法，范围为每期的各细分群体；"
                   "segment_wave_changes.csv）。") in text
    assert "按“区域”细分（3 个细分群体；整体置换检验）：6 个指数中有 3 个存在显著差异" in text
    assert re.search(r"已将 \d+ 个文件写入 .*out，其中包括 report\.xlsx 和 report\.html。", text)
    # no English sentence of the CLI is left (the data's own words, e.g. the flag id invalid_value, stay)
    for english in ("Read ", "Wrote ", "Bootstrap:", "Path coefficients", "construct indices", "Replaced ", " excluded (", "excluded ×",
                    "Impacts", "NPS:", "by segment", "Satisfaction index", "Model fit", "Mediation:", "Segments of",
                    "significant", "interval", "points", "estimated", "(total)", "converged", "MICOM 区域:"):
        assert english not in result.stdout, english
    # CJK cells count two columns: every line of each table has the same display width
    tables = re.findall(r"┏.*?┘", result.stdout, re.S)
    assert len(tables) == 4
    for table in tables:
        assert len({cell_len(line.rstrip()) for line in table.splitlines()}) == 1, table


def test_chinese_labels_choose_chinese_and_lang_en_keeps_english(tmp_path):
    auto = invoke(*ZH_WAVE[:6], "--bootstrap", "0", "--out", str(tmp_path / "auto"))
    assert auto.exit_code == 0, auto.output
    assert "从 acsi_retail_zh.csv 读取 312 行：使用 311 行，剔除 1 行。" in lines(auto.stdout)
    assert "路径系数" in lines(auto.stdout) and "Path coefficients" not in auto.stdout

    result = invoke(*ZH_WAVE, "--out", str(tmp_path / "en"), "--lang", "en")
    assert result.exit_code == 0, result.output
    printed = lines(result.stdout)
    expected = [
        "Read 312 rows from acsi_retail_zh.csv: 311 used, 1 excluded.",
        "Replaced 56 missing answers by the item mean (per item: missing.csv).",
        "  data quality: invalid_value: 0 flagged, 1 excluded (policy exclude; see flags.csv)",
        "  excluded     1 × invalid value (see excluded.csv)",
        "┃ construct ┃ label      ┃  index ┃ 95% interval ┃   ± ┃   n ┃",
        "Path coefficients",
        "┃ source ┃ target ┃ estimate ┃ std_err ┃ p_value ┃     95% interval ┃",
        "PLS (path scheme) converged in 5 iterations.",
        "Bootstrap: 200 of 200 resamples used (seed 2, percentile).",
        "Satisfaction index (顾客满意度): 69.4 ± 2.3 (95% interval 67.1–71.7)",
        "NPS: 14.1 (95% interval 5.6 to 22.7, n = 311)",
        "顾客满意度 by segment",
        "│                │ (total) │  69.4 │ [67.1, 71.7] │ 311 │ estimated                         │",
        "│ 区域           │ 西南    │     – │ –            │  35 │ insufficient sample (n = 35 < 50) │",
        "门店 vs 线上: +3.8 points [-0.8, 9.4], p = 0.172",
        "MICOM 区域: every construct is compositionally invariant in the 3 pair(s) of segments compared (micom.csv).",
    ]
    missing = [line for line in expected if line not in printed]
    assert not missing, "\n".join(missing) + "\n---\n" + result.stdout
    assert len(expected) == 16
    assert re.search(r"Wrote \d+ files to .*, among them report\.xlsx and report\.html\.", squeeze(result.stdout))
    for chinese in ("读取", "路径系数", "自助法", "满意度指数（", "驱动因素", "置信区间", "已将"):
        assert chinese not in result.stdout, chinese


def test_english_run_prints_what_it_printed_before(tmp_path, monkeypatch):
    """The README command: the whole output equals the golden, and the README's sample output block
    is found in it (whitespace-normalised: the README wraps a few long lines by hand)."""
    monkeypatch.chdir(tmp_path)
    result = invoke("run", XLSX, "--model", SPEC, "--out", "out", "--on-invalid", "exclude", "--segment", "region", "--seed", "1")
    assert result.exit_code == 0, result.output
    printed = lines(result.stdout)
    assert re.fullmatch(r"Wrote \d+ files to out, among them report\.xlsx and report\.html\.", printed[-1]), printed[-1]
    assert "\n".join(printed[:-1]) == GOLDEN_RUN.strip("\n")
    assert result.stderr == ""

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = re.search(r"```text\n\$ csi-survey run [^\n]*\n(.*?)```", readme, re.S).group(1).splitlines()
    text = squeeze(result.stdout)
    checked = 0
    for line in sample:
        if "…" in line or line.startswith("Wrote "):
            continue
        assert squeeze(line) in text, line
        checked += 1
    assert checked == 38


def test_validate_in_english_and_in_chinese():
    result = invoke("validate", XLSX, "--model", SPEC, "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == GOLDEN_VALIDATE.strip("\n").splitlines()

    result = invoke("validate", ZH_CSV, "--model", ZH_SPEC, "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "模型“零售门店顾客满意度调查 2026年第三季度”：6 个构念、15 个题项、9 条路径——有效。",
        "从 acsi_retail_zh.csv 读取 312 行：使用 311 行，剔除 1 行。",
        "56 个缺失值已用题项均值替代（各题项明细见 missing.csv）。",
        "  数据质量：invalid_value：标记 0 条，剔除 1 条（处理方式 exclude；见 flags.csv）",
        "  剔除     1 行：无效值（见 excluded.csv）",
        "问卷数据符合该模型的要求。",
    ]


def test_errors_carry_the_prefixes_of_the_language(tmp_path):
    """The message, its "Error:" and "How to fix:" labels follow the language (the library's sentence in
    Chinese from the catalogue, csi_survey.i18n.phrases)."""
    zh = invoke("run", ZH_CSV, "--model", ZH_SPEC, "--out", str(tmp_path / "zh"))  # the planted 很满意 is an invalid answer
    assert zh.exit_code == 1 and "Traceback" not in zh.output
    assert zh.stderr.startswith("错误：acsi_retail_zh.csv 中有无效答案"), zh.stderr
    assert "\n解决方法：请在文件中改正这些单元格" in zh.stderr and "How to fix" not in zh.stderr
    assert not (tmp_path / "zh").exists()

    en = invoke("run", ZH_CSV, "--model", ZH_SPEC, "--out", str(tmp_path / "en"), "--lang", "en")
    assert en.exit_code == 1
    assert en.stderr.startswith("Error: Invalid answers in acsi_retail_zh.csv") and "\nHow to fix: correct these cells" in en.stderr

    spec = invoke("run", ZH_CSV, "--model", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "x"), "--lang", "zh")
    assert spec.exit_code == 1 and spec.stderr.startswith("错误：无法读取模型文件"), spec.stderr


def test_warning_prefix_follows_the_language(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("something odd", UserWarning, stacklevel=1)
    try:
        cli._set_lang("zh")
        cli._show_warnings(caught)
        cli._set_lang("en")
        cli._show_warnings(caught)
    finally:
        cli._set_lang("en")
    assert capsys.readouterr().err == "警告：something odd\nWarning: something odd\n"


def test_the_catalogue_has_every_key_in_both_languages_and_distinct_chinese():
    en, zh = CLI_TEXTS["en"], CLI_TEXTS["zh"]
    assert set(en) == set(zh) and len(en) >= 90
    same = sorted(k for k in en if en[k] == zh[k])
    # texts made only of symbols, numbers and file names are the same in both languages
    assert same == ["differ_p", "fit_test_p", "model_fit_measure", "overall_part", "prediction_verdict", "segment_change"], same
