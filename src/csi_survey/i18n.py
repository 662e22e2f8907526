"""Every fixed text of the reports in English and Chinese: one catalogue per report, and how the
language of a report is chosen.

>>> from csi_survey.i18n import text
>>> text("zh", "sec_index")
'指数'
>>> text("en", "impact", step=5)
'Impact (+5 points)'

Catalogues (``{name}`` fields are filled in by :func:`text`):

- :data:`TEXTS`: the HTML report of a run (:mod:`csi_survey.report.html`);
- :data:`OVERVIEW_TEXTS`: the overview of a batch (:mod:`csi_survey.report.overview`);
- :data:`WORKBOOK_TEXTS`: the fixed texts of a run's ``report.xlsx`` (sheet notes, chart titles,
  Summary field names; :mod:`csi_survey.report.xlsx_charts`). The workbook is written in English
  whatever the report language (it uses the ``"en"`` entries); the Chinese entries are there for
  when it follows the report language.

Language: :func:`report_language` (a run: the setting, else Chinese when the model's name or a
construct label has a CJK character) and :func:`detect_lang` (a run bundle: its ``meta["lang"]``,
else Chinese when a construct label has a Chinese character).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "LANGUAGES",
    "TEXTS",
    "OVERVIEW_TEXTS",
    "WORKBOOK_TEXTS",
    "CATALOGUES",
    "texts",
    "text",
    "check_language",
    "has_chinese",
    "detect_lang",
    "report_language",
]

#: The languages of the reports.
LANGUAGES = ("en", "zh")

# ====================================================================== the HTML report of a run
#: Every fixed text of the HTML report in English and Chinese (``{name}`` fields are filled in).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "report": "Customer satisfaction report",
        "contents": "Contents",
        "headline": "Satisfaction index",
        "scale": "0–100 scale",
        "moe": "margin of error ± {moe}",
        "interval_text": "{level} interval {lo} – {hi}",
        "no_headline": "The model names no index construct, so there is no headline index.",
        "model": "Model",
        "respondents": "Respondents used",
        "rows_read": "Rows read",
        "rows_excluded": "Rows excluded",
        "engine": "Engine",
        "bootstrap": "Bootstrap",
        "bootstrap_text": "{used} of {resamples} resamples used ({failed} failed), seed {seed}, {method} {level} intervals",
        "bootstrap_design": "Sampling design",
        "bootstrap_design_text": "Rao–Wu bootstrap of {clusters} clusters in {strata} strata",
        "bootstrap_reraked": "; weights re-raked in every replicate",
        "no_bootstrap": "not run: no intervals or p values",
        "sec_model": "Path model",
        "model_note_p": "Standardized path coefficients on the arrows; * p < 0.05, ** p < 0.01, *** p < 0.001 "
        "(bootstrap); dashed arrows are not significant at 5 %. R² (explained variance) in the boxes of the "
        "endogenous constructs.",
        "model_note": "Standardized path coefficients on the arrows. R² (explained variance) in the boxes of the "
        "endogenous constructs.",
        "diagram_title": "Path diagram of {model}",
        "sec_index": "Indices",
        "index_note": "Construct indices on 0–100.",
        "index_note_ci": "Construct indices on 0–100; whiskers: {level} bootstrap interval.",
        "index_chart_title": "Construct indices (0–100)",
        "sec_impacts": "Drivers: impacts",
        "impacts_note": "Impact: the change of the target's index when the driver's index rises by {step} points "
        "(total effect in index points × {step}).",
        "sec_ipma": "Importance–performance map",
        "ipma_title": "Drivers of {target}",
        "ipma_note": "x: performance (the driver's index, 0–100); y: importance (total effect on the target in index "
        "points per point); dashed lines: medians of the drivers.",
        "ipma_items": "Item level",
        "sec_gaps": "Expectation gaps",
        "gaps_note": "Gap = experienced − expected (item means on the answer scale).",
        "sec_nps": "NPS and CSAT",
        "nps_title": "Net Promoter Score",
        "nps_note": "Shares in %; NPS = promoters − detractors, in points from −100 to 100.",
        "csat_title": "CSAT (top-box share)",
        "sec_segments": "Segments",
        "segments_note": "{construct} index per segment; dashed line: all respondents. Segments with too few "
        "respondents are not estimated.",
        "segment_chart_title": "{construct} index by {column}",
        "segment_table": "Indices per segment",
        "sec_comparisons": "Segment comparisons",
        "comparisons_note": "First one omnibus permutation test per segment variable and statistic (do the segments "
        "differ at all?), then the pairs of segments (multiplicity correction across the pairs: {correction}). "
        "MICOM checks that each construct is formed alike in the segments compared.",
        "omnibus_title": "Omnibus test across segments",
        "statistic": "Statistic",
        "segments_k": "Segments",
        "range": "Range (min – max)",
        "significant": "Significant",
        "pairwise_title": "Significant differences between pairs of segments",
        "pairwise_note": "Only pairs whose difference stays significant after the correction are listed; "
        "segment_differences.csv has every pair.",
        "pairwise_none": "No difference between two segments is significant after the correction.",
        "segment_pair": "Pair",
        "difference": "Difference (b − a)",
        "micom_title": "Measurement invariance (MICOM)",
        "micom_note": "c: correlation of the construct's composites formed with either segment's weights (step 2: "
        "compositional invariance, rejected when its permutation p value, adjusted across the pairs, is at most {alpha}; "
        "c far below the {alpha} quantile of its permutation distribution is the sign); step 3 compares the composites' means and variances. Full: compare paths, the data could be pooled; partial: "
        "compare paths; none: do not interpret path comparisons involving the construct for that pair.",
        "micom_failures": "Not compositionally invariant: {items}. Path comparisons involving these constructs should "
        "not be interpreted for these pairs.",
        "c_value": "c",
        "c_critical": "{alpha} quantile",
        "equal_means": "Equal means",
        "equal_variances": "Equal variances",
        "invariance": "Invariance",
        "inv_full": "full",
        "inv_partial": "partial",
        "inv_none": "none",
        "inv_not tested": "not tested",
        "correction_holm": "Holm",
        "correction_bh": "Benjamini–Hochberg",
        "correction_none": "none",
        "no": "no",
        "sec_trend": "Trend across waves",
        "trend_note": "Construct indices per wave (0–100).",
        "trend_chart_title": "Indices per wave",
        "changes_title": "Changes since the previous wave",
        "changes_note": "Change of the index since the previous wave, with its interval and p value; ▲/▼ only where it is "
        "significant after correcting for the number of segments tested in the wave (the correction chosen for the run; "
        "all respondents are tested on their own).",
        "pairing": "Test",
        "plsc_note": "Consistent PLS (PLSc): the paths, loadings, construct correlations and R² of the reflective constructs "
        "({constructs}) are corrected for attenuation with their reliability rho_A (Dijkstra & Henseler 2015); the 0–100 "
        "indices are those of the composite scores.",
        "plsc_inadmissible": "The consistent PLS solution is inadmissible and should not be interpreted: {reason}",
        "overall_title": "Overall index",
        "overall_note": "The weighted mean of the construct indices below (weights given with --overall-weights); "
        "its interval comes from the same bootstrap replicates as the construct indices.",
        "overall_weight": "Weight",
        "overall_share": "Share",
        "pairing_paired": "paired (same respondents)",
        "pairing_independent": "independent samples",
        "change": "Change",
        "p_adjusted": "p (adjusted)",
        "sec_paths": "Paths and effects",
        "paths_title": "Path coefficients",
        "r2_title": "Explained variance (R²)",
        "effects_title": "Direct, indirect and total effects",
        "sec_quality": "Measurement quality",
        "reliability_title": "Reliability and convergent validity",
        "reliability_note": "Highlighted values are outside the usual thresholds (information, not errors).",
        "htmt_title": "Discriminant validity (HTMT)",
        "fit_title": "Model fit",
        "flags_title": "Quality flags",
        "no_flags": "Every quality criterion is within its threshold.",
        "sec_excluded": "Excluded rows",
        "excluded_none": "No rows were excluded.",
        "excluded_count": "{n} of {read} rows were excluded and not used.",
        "excluded_more": "… and {n} more rows (see excluded.csv).",
        "footer": "Generated by csi-survey {version}. A self-contained file: viewing it needs no network.",
        # column headers
        "construct": "Construct",
        "index": "Index",
        "n": "n",
        "std_err": "Std. error",
        "interval": "{level} interval",
        "margin": "± margin",
        "path": "Path",
        "estimate": "Coefficient",
        "t_value": "t",
        "p_value": "p",
        "direct": "Direct",
        "indirect": "Indirect",
        "total": "Total",
        "r2": "R²",
        "r2_adj": "Adjusted R²",
        "target": "Target",
        "driver": "Driver",
        "total_effect_100": "Total effect (index points)",
        "impact": "Impact (+{step} points)",
        "item": "Item",
        "label": "Label",
        "importance": "Importance",
        "performance": "Performance",
        "quadrant": "Quadrant",
        "aspect": "Aspect",
        "expected": "Expected (item)",
        "experienced": "Experienced (item)",
        "expected_mean": "Expected mean",
        "experienced_mean": "Experienced mean",
        "gap": "Gap",
        "segment_column": "Segment variable",
        "segment": "Segment",
        "promoters": "Promoters %",
        "passives": "Passives %",
        "detractors": "Detractors %",
        "nps": "NPS",
        "top_box": "Top-box %",
        "status": "Status",
        "mode": "Mode",
        "n_items": "Items",
        "alpha": "Cronbach's α",
        "rho_a": "ρ_A",
        "rho_c": "ρ_C",
        "ave": "AVE",
        "pair": "Constructs",
        "htmt": "HTMT",
        "flag": "Flag",
        "measure": "Measure",
        "value": "Value",
        "criterion": "Criterion",
        "message": "Message",
        "threshold": "Threshold",
        "row": "Row",
        "respondent": "Respondent",
        "reason": "Reason",
        "wave": "Wave",
        "yes": "yes",
        # values
        "fix first": "fix first",
        "keep up": "keep up",
        "possible overkill": "possible overkill",
        "low priority": "low priority",
        "total_segment": "Total",
        "estimated": "estimated",
        "insufficient sample": "insufficient sample",
        "failed": "failed",
        "not_estimated": "not estimated",
        "ax_performance": "Performance (index 0–100)",
        "ax_importance": "Importance (index points)",
        "ax_index": "Index (0–100)",
        "fit_srmr_saturated": "SRMR (saturated model)",
        "fit_srmr_estimated": "SRMR (estimated model)",
        "fit_gof": "GoF",
        "method_percentile": "percentile",
        "method_bca": "BCa",
    },
    "zh": {
        "report": "顾客满意度报告",
        "contents": "目录",
        "headline": "满意度指数",
        "scale": "0–100 分",
        "moe": "误差范围 ± {moe}",
        "interval_text": "{level} 置信区间 {lo} – {hi}",
        "no_headline": "模型未指定指数潜变量，因此没有总体指数。",
        "model": "模型",
        "respondents": "有效样本",
        "rows_read": "读取行数",
        "rows_excluded": "排除行数",
        "engine": "估计方法",
        "bootstrap": "自助法（Bootstrap）",
        "bootstrap_text": "{resamples} 次重抽样中使用 {used} 次（失败 {failed} 次），随机种子 {seed}，{method} {level} 置信区间",
        "bootstrap_design": "抽样设计",
        "bootstrap_design_text": "Rao–Wu 自助法：{strata} 个层中的 {clusters} 个群（整群重抽样）",
        "bootstrap_reraked": "；每次重抽样均重新进行权重调整（raking）",
        "no_bootstrap": "未运行：没有置信区间和 p 值",
        "sec_model": "路径模型",
        "model_note_p": "箭头上为标准化路径系数；* p < 0.05，** p < 0.01，*** p < 0.001（自助法）；虚线箭头在 5% 水平上不显著。"
        "内生潜变量框内为 R²（解释方差）。",
        "model_note": "箭头上为标准化路径系数。内生潜变量框内为 R²（解释方差）。",
        "diagram_title": "{model} 的路径图",
        "sec_index": "指数",
        "index_note": "各潜变量指数（0–100 分）。",
        "index_note_ci": "各潜变量指数（0–100 分）；误差线：{level} 自助法置信区间。",
        "index_chart_title": "潜变量指数（0–100）",
        "sec_impacts": "驱动因素：影响力",
        "impacts_note": "影响力：驱动因素指数提高 {step} 分时目标指数的变化（以指数分计的总效应 × {step}）。",
        "sec_ipma": "重要性–表现分析（IPMA）",
        "ipma_title": "{target}的驱动因素",
        "ipma_note": "横轴：表现（驱动因素的指数，0–100）；纵轴：重要性（对目标的总效应，以指数分计）；虚线：驱动因素的中位数。",
        "ipma_items": "题项层级",
        "sec_gaps": "期望差距",
        "gaps_note": "差距 = 实际感知 − 期望（题项在原量表上的均值）。",
        "sec_nps": "净推荐值与满意率",
        "nps_title": "净推荐值（NPS）",
        "nps_note": "比例以 % 计；NPS = 推荐者 − 贬损者，取值 −100 至 100。",
        "csat_title": "满意率（CSAT，高分段比例）",
        "sec_segments": "细分群体",
        "segments_note": "各细分群体的{construct}指数；虚线：全部受访者。样本量不足的群体不予估计。",
        "segment_chart_title": "按{column}划分的{construct}指数",
        "segment_table": "各细分群体的指数",
        "sec_comparisons": "细分群体比较",
        "comparisons_note": "先对每个细分变量和统计量做一次整体置换检验（各细分群体之间是否存在差异？），再对两两群体进行检验"
        "（各群体对之间的多重比较校正：{correction}）。MICOM 检验各潜变量在所比较的群体中的构成是否相同。",
        "omnibus_title": "各细分群体的整体检验",
        "statistic": "统计量",
        "segments_k": "群体数",
        "range": "范围（最小 – 最大）",
        "significant": "显著",
        "pairwise_title": "两两细分群体之间的显著差异",
        "pairwise_note": "仅列出经多重比较校正后仍显著的群体对；全部结果见 segment_differences.csv。",
        "pairwise_none": "经多重比较校正后，任何两个细分群体之间均无显著差异。",
        "segment_pair": "群体对",
        "difference": "差异（b − a）",
        "micom_title": "测量不变性（MICOM）",
        "micom_note": "c：分别用两个群体的权重构成的潜变量复合得分之间的相关系数（第 2 步：构成不变性；经群体对之间多重比较校正后的置换 p 值"
        "不超过 {alpha} 时拒绝，此时 c 明显低于其置换分布的 {alpha} 分位数）；第 3 步比较复合得分的均值与方差。完全：可比较路径，数据也可合并；部分：可比较路径；无：不应解读该群体对之间"
        "涉及此潜变量的路径比较。",
        "micom_failures": "不满足构成不变性：{items}。不应解读这些群体对之间涉及这些潜变量的路径比较。",
        "c_value": "c",
        "c_critical": "{alpha} 分位数",
        "equal_means": "均值相等",
        "equal_variances": "方差相等",
        "invariance": "不变性",
        "inv_full": "完全",
        "inv_partial": "部分",
        "inv_none": "无",
        "inv_not tested": "未检验",
        "correction_holm": "Holm 法",
        "correction_bh": "Benjamini–Hochberg 法",
        "correction_none": "无",
        "no": "否",
        "sec_trend": "各期趋势",
        "trend_note": "各期的潜变量指数（0–100 分）。",
        "trend_chart_title": "各期指数",
        "changes_title": "与上一期相比的变化",
        "changes_note": "指数相对上一期的变化及其区间和 p 值；仅在按该期检验的群体数进行多重比较校正后仍显著时标注 ▲/▼"
        "（校正方法为本次运行所选；全部受访者单独检验）。",
        "pairing": "检验",
        "plsc_note": "一致性 PLS（PLSc）：反映型潜变量（{constructs}）的路径系数、载荷、潜变量相关和 R² 已按其信度 rho_A 做衰减校正"
        "（Dijkstra & Henseler 2015）；0–100 指数仍来自复合得分。",
        "plsc_inadmissible": "一致性 PLS 的解不可接受，不应解读：{reason}",
        "overall_title": "综合指数",
        "overall_note": "下列潜变量指数的加权平均（权重由 --overall-weights 给出）；其区间来自与各潜变量指数相同的自助法重抽样。",
        "overall_weight": "权重",
        "overall_share": "占比",
        "pairing_paired": "配对（同一批受访者）",
        "pairing_independent": "独立样本",
        "change": "变化",
        "p_adjusted": "p 值（校正后）",
        "sec_paths": "路径与效应",
        "paths_title": "路径系数",
        "r2_title": "解释方差（R²）",
        "effects_title": "直接效应、间接效应与总效应",
        "sec_quality": "测量质量",
        "reliability_title": "信度与收敛效度",
        "reliability_note": "突出显示的数值超出常用阈值（仅供参考，并非错误）。",
        "htmt_title": "区分效度（HTMT）",
        "fit_title": "模型拟合",
        "flags_title": "质量提示",
        "no_flags": "所有质量指标均在阈值范围内。",
        "sec_excluded": "排除的数据行",
        "excluded_none": "没有排除任何数据行。",
        "excluded_count": "共读取 {read} 行，其中 {n} 行被排除、未参与分析。",
        "excluded_more": "……另有 {n} 行（见 excluded.csv）。",
        "footer": "由 csi-survey {version} 生成。本文件为独立文件，查看时无需联网。",
        "construct": "潜变量",
        "index": "指数",
        "n": "样本量",
        "std_err": "标准误",
        "interval": "{level} 置信区间",
        "margin": "误差范围 ±",
        "path": "路径",
        "estimate": "系数",
        "t_value": "t 值",
        "p_value": "p 值",
        "direct": "直接效应",
        "indirect": "间接效应",
        "total": "总效应",
        "r2": "R²",
        "r2_adj": "调整后 R²",
        "target": "目标",
        "driver": "驱动因素",
        "total_effect_100": "总效应（指数分）",
        "impact": "影响力（+{step} 分）",
        "item": "题项",
        "label": "名称",
        "importance": "重要性",
        "performance": "表现",
        "quadrant": "象限",
        "aspect": "方面",
        "expected": "期望（题项）",
        "experienced": "实际（题项）",
        "expected_mean": "期望均值",
        "experienced_mean": "实际均值",
        "gap": "差距",
        "segment_column": "细分变量",
        "segment": "群体",
        "promoters": "推荐者 %",
        "passives": "被动者 %",
        "detractors": "贬损者 %",
        "nps": "NPS",
        "top_box": "高分段比例 %",
        "status": "状态",
        "mode": "模式",
        "n_items": "题项数",
        "alpha": "Cronbach's α",
        "rho_a": "ρ_A",
        "rho_c": "ρ_C",
        "ave": "AVE",
        "pair": "潜变量对",
        "htmt": "HTMT",
        "flag": "提示",
        "measure": "指标",
        "value": "数值",
        "criterion": "准则",
        "message": "说明",
        "threshold": "阈值",
        "row": "行号",
        "respondent": "受访者",
        "reason": "原因",
        "wave": "期次",
        "yes": "是",
        "fix first": "优先改进",
        "keep up": "继续保持",
        "possible overkill": "可能过度投入",
        "low priority": "低优先级",
        "total_segment": "总体",
        "estimated": "已估计",
        "insufficient sample": "样本不足",
        "failed": "估计失败",
        "not_estimated": "未估计",
        "ax_performance": "表现（指数 0–100）",
        "ax_importance": "重要性（指数分）",
        "ax_index": "指数（0–100）",
        "fit_srmr_saturated": "SRMR（饱和模型）",
        "fit_srmr_estimated": "SRMR（估计模型）",
        "fit_gof": "拟合优度 GoF",
        "method_percentile": "百分位数法",
        "method_bca": "BCa 法",
    },
}

# ====================================================================== the overview of a batch
#: Every fixed text of the batch overview (overview.html, the Summary of overview.xlsx) in English and Chinese.
OVERVIEW_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Batch overview", "waves": "Waves", "segments": "Segments (wave × segment)", "estimated": "Estimated",
        "failed": "Failed", "skipped": "Skipped (insufficient sample)", "resamples": "Bootstrap resamples", "seed": "Seed",
        "model": "Model", "index": "Index construct", "ranking": "Ranking {wave}", "by": "by {column}",
        "ranking_note": "{construct} index (0–100) per segment, highest first; whiskers: {level} bootstrap interval; "
                        "dashed line: all respondents of the wave. Change: against the segment's previous estimated wave; "
                        "▲/▼ only where it is significant at {level} after the {correction} correction across the "
                        "segments of the wave (hover a change for its interval and p value).",
        "change_title": "since {prev}: interval {lo} to {hi}; p ({correction}) {p}",
        "change_paired": " (paired: the same respondents in both waves)",
        "change_untested": "since {prev}: no interval (no bootstrap)",
        "correction_holm": "Holm", "correction_bh": "Benjamini–Hochberg", "correction_none": "no",
        "segment_trend_chart": "{construct} by {column} per wave",
        "rollup": "Roll-up", "level": "Level", "node": "Node",
        "rollup_note": "{construct} index of each level: the weighted mean of its members' indices (weights from the roll-up "
                       "file, renormalized over the members estimated in the wave); hover a value for its {level} interval and "
                       "how much of the weight was estimated.",
        "rollup_title": "interval {lo} – {hi}; {k} of {n} members estimated ({share} of the weight)",
        "xlsx_rollup_note": "Every level of the roll-up per wave and construct: weighted mean of the members, standard error, "
                            "interval, members estimated and the share of the weight they carry.",
        "chart_first": "Chart: the first {k} of {n} segments (the table lists all).",
        "trend": "Trends", "trend_note": "{construct} index per wave; the last column is the change between the last two "
                                         "waves in which the segment was estimated.",
        "total_chart": "{construct}: all respondents per wave", "problems": "Segments not estimated",
        "rank": "Rank", "segment": "Segment", "interval": "Interval", "change": "Change", "status": "Status", "trend_col": "Trend",
        "wave": "Wave", "all": "all respondents", "generated": "Generated by csi-survey {version} on {date}.",
        "none": "Every segment was estimated.", "chart_limit": "Chart: the {k} highest and lowest segments.",
        # overview.xlsx (written in English whatever the language: it uses the "en" entries)
        "xlsx_title": "{name}: batch overview",
        "xlsx_ranking_note": "{label} ({construct}) index per segment, ranked within each wave and segment column; "
                             "change = index − index of the previous wave.",
        "xlsx_trend_note": "{label} ({construct}) index of each segment per wave; change_last = change between the last "
                           "two waves in which the segment was estimated.",
        "xlsx_history_note": "Every construct index of every wave × segment (index_history.csv).",
        "xlsx_problems_note": "Segments skipped for their sample size or failed, with the reason.",
    },
    "zh": {
        "title": "批量分析概览", "waves": "调查期", "segments": "细分（调查期 × 细分）", "estimated": "已估计",
        "failed": "失败", "skipped": "跳过（样本不足）", "resamples": "自助法重抽样次数", "seed": "随机种子",
        "model": "模型", "index": "指数构念", "ranking": "{wave} 排名", "by": "按 {column}",
        "ranking_note": "各细分的{construct}指数（0–100），从高到低；误差线：{level} 自助法区间；虚线：该期全部受访者。"
                        "变化：与该细分上一个已估计调查期相比；仅在经 {correction} 多重比较校正（同一调查期的各细分之间）后"
                        "在 {level} 水平上显著时标注 ▲/▼（鼠标悬停可查看区间和 p 值）。",
        "change_title": "相对 {prev}：区间 {lo} 至 {hi}；p（{correction}校正）{p}",
        "change_paired": "（配对：两期为同一批受访者）",
        "change_untested": "相对 {prev}：无区间（未做自助法）",
        "correction_holm": "Holm", "correction_bh": "Benjamini–Hochberg", "correction_none": "未",
        "segment_trend_chart": "各期按{column}划分的{construct}",
        "rollup": "汇总指数", "level": "层级", "node": "节点",
        "rollup_note": "各层级的{construct}指数：其成员指数的加权平均（权重取自汇总权重文件，并在该期已估计的成员间重新归一）；"
                       "鼠标悬停可查看 {level} 区间及已估计成员所占权重。",
        "rollup_title": "区间 {lo} – {hi}；{n} 个成员中已估计 {k} 个（占权重 {share}）",
        "xlsx_rollup_note": "每期、每个构念的各汇总层级：成员加权平均、标准误、区间、已估计成员数及其权重占比。",
        "chart_first": "图中为 {n} 个细分中的前 {k} 个（表中列出全部）。",
        "trend": "趋势", "trend_note": "各期的{construct}指数；最后一列为该细分最近两个已估计调查期之间的变化。",
        "total_chart": "{construct}：各期全部受访者", "problems": "未估计的细分",
        "rank": "排名", "segment": "细分", "interval": "区间", "change": "变化", "status": "状态", "trend_col": "趋势",
        "wave": "调查期", "all": "全部受访者", "generated": "由 csi-survey {version} 于 {date} 生成。",
        "none": "所有细分均已估计。", "chart_limit": "图中为指数最高和最低的各 {k} 个细分。",
        "xlsx_title": "{name}：批量分析概览",
        "xlsx_ranking_note": "各细分的{label}（{construct}）指数，在每期和每个细分变量内排名；变化 = 指数 − 上一期的指数。",
        "xlsx_trend_note": "各细分每期的{label}（{construct}）指数；change_last = 该细分最近两个已估计调查期之间的变化。",
        "xlsx_history_note": "每期 × 每个细分的全部构念指数（index_history.csv）。",
        "xlsx_problems_note": "因样本量不足而跳过或估计失败的细分，附原因。",
    },
}

# ====================================================================== report.xlsx of a run
#: The fixed texts of a run's ``report.xlsx``. The workbook uses the ``"en"`` entries only.
WORKBOOK_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        # notes above the table sheets
        "note_index": "0–100 construct indices (ACSI formula: normalized unstandardized outer weights).",
        "note_paths": "Path coefficients (standardized).",
        "note_effects": "Direct, indirect and total effects (standardized).",
        "note_weights": "Outer weights (standardized), loadings and the normalized index weights.",
        "note_r2": "Explained variance of each endogenous construct.",
        "note_impacts": "Impact: points the target's 0–100 index gains when the driver's index rises by {step} points "
        "(= {step} × total effect in 0–100 units).",
        "note_ipma": "Importance (total effect in 0–100 units) and performance (0–100) of each driver, with its quadrant "
        "against the medians of the drivers of that target.",
        "note_gaps": "Expectation–experience gaps: experienced − expected mean per item pair, with the interval.",
        "note_item_summary": "Answers per item: answered, missing, mean, top-box share, reverse coding.",
        "note_frequencies": "Answer frequencies per item (share of the respondents who answered).",
        "note_nps": "Net Promoter Score: promoters, passives and detractors in %, NPS in points (−100…100), total and per segment.",
        "note_csat": "CSAT: top-box share in %, total and per segment.",
        "note_segment_index": "0–100 indices per segment (total row first); status says why a segment has none.",
        "note_segment_paths": "Path coefficients (standardized) per segment.",
        "note_segment_impacts": "Impacts per segment (gain of the target's index for a {step}-point rise of the driver's index).",
        "note_segment_differences": "Differences between pairs of segments in indices and path coefficients: permutation p value, "
        "p value adjusted across the pairs of each statistic (Holm unless set otherwise) and significance.",
        "note_segment_omnibus": "Omnibus permutation test per segment variable and statistic: do the segments differ at all? "
        "Dispersion = weighted variance of the segment estimates.",
        "note_micom": "Measurement invariance of composites (MICOM) per pair of segments and construct: c with its 5% "
        "permutation quantile (step 2), differences of composite means and log variances (step 3), permutation p values "
        "and p values adjusted across the pairs; invariance none = do not interpret path comparisons involving the "
        "construct for that pair.",
        "note_wave_index": "0–100 indices per wave.",
        "note_wave_changes": "Change of each index since the previous wave (index points), with the interval; pairing: paired "
        "bootstrap where the same respondents (by id) answered in both waves (--paired), else independent samples.",
        "note_overall_index": "Overall index: the weighted mean of the construct indices (weights given with --overall-weights), "
        "its standard error and interval from the same bootstrap replicates.",
        "note_overall_weights": "The constructs of the overall index with their weights and shares.",
        "note_segment_wave_changes": "Change of each index since the previous wave, total and per segment: interval, p value, "
        "p value adjusted across the segments of the wave (Holm unless set otherwise) and significance.",
        "note_quality": "Reliability and convergent validity per construct (flags: information, not errors).",
        "note_htmt": "Heterotrait-monotrait ratio (discriminant validity; flag above 0.90).",
        "note_fit_pls": "SRMR (saturated and estimated model) and GoF.",
        "note_fit_cbsem": "Chi-square test and fit indices (CFI, TLI, RMSEA with its 90% interval, SRMR, AIC, BIC).",
        "note_quality_flags": "Every quality criterion outside its threshold, with the reference.",
        "note_parameters": "Every model parameter: unstandardized and standardized estimate, standard error, z and p value.",
        "note_bootstrap": "Bootstrap standard errors, t and p values and intervals of every estimate.",
        "note_bootstrap_failures": "Bootstrap resamples that could not be estimated, with the reason.",
        "note_missing": "Missing answers per item among the respondents used.",
        "note_data_quality": "Data-quality rules: policy and how many respondents each flagged or excluded.",
        "note_flags": "Every data-quality flag raised, with the row as in the input sheet and what was done.",
        "note_weight_summary": "Survey weights: effective sample size, design effect, range, and achieved vs target margins.",
        "note_excluded": "Rows not used, with the reason (row as in the input sheet).",
        "note_other": "The table {name}.csv of the run.",
        "note_scores": "Per-respondent construct scores on 0–100.",
        "note_scores_too_many": "{n} respondents: too many for a comfortable sheet (limit {limit}); see scores.csv.",
        "note_summary": "The run at a glance.",
        "note_charts": "Native Excel charts of the run, each beside the data it shows (edit a number and its chart follows).",
        # the Summary sheet: field names (and one value)
        "model": "Model",
        "satisfaction_index": "Satisfaction index (0–100)",
        "interval_level": "Interval ({level})",
        "interval": "Interval",
        "margin": "Margin of error (±)",
        "index_construct": "Index construct",
        "rows_read": "Rows read",
        "respondents": "Respondents used",
        "rows_excluded": "Rows excluded",
        "engine": "Engine",
        "resamples": "Bootstrap resamples",
        "resamples_value": "{used} used of {resamples} ({failed} failed)",
        "seed": "Bootstrap seed",
        "intervals": "Intervals",
        "bootstrap_design": "Bootstrap design",
        "bootstrap_design_value": "Rao–Wu: {clusters} clusters in {strata} strata{reraked}",
        "reraked": "; weights re-raked in every replicate",
        "segments": "Segments",
        "wave_column": "Wave column",
        "impact_step": "Impact step (index points)",
        "language": "Language",
        "version": "csi-survey version",
        # charts: titles, axes, series
        "index_block": "Index by construct",
        "index_chart": "Index by construct (0–100)",
        "index_chart_ci": "Index by construct (0–100) with intervals",
        "ipma_chart": "Importance–performance map: {target}",
        "segment_chart": "{label} by {column}",
        "segment_chart_all": "Index by {column}",
        "chart_scale": "{title} (0–100)",
        "wave_block": "Index by wave",
        "wave_chart": "Index by wave (0–100)",
        "ax_index": "Index (0–100)",
        "ax_performance": "Performance (0–100 index)",
        "ax_importance": "Importance (total effect, 0–100 units)",
        "ax_wave": "Wave",
        "series_index": "Index",
        "series_drivers": "Drivers",
        "median_performance": "Median performance",
        "median_importance": "Median importance",
    },
    "zh": {
        "note_index": "0–100 分潜变量指数（ACSI 公式：归一化的非标准化外部权重）。",
        "note_paths": "路径系数（标准化）。",
        "note_effects": "直接效应、间接效应与总效应（标准化）。",
        "note_weights": "外部权重（标准化）、载荷及归一化的指数权重。",
        "note_r2": "各内生潜变量的解释方差。",
        "note_impacts": "影响力：驱动因素指数提高 {step} 分时目标 0–100 指数增加的分数（= {step} × 以 0–100 单位计的总效应）。",
        "note_ipma": "各驱动因素的重要性（以 0–100 单位计的总效应）与表现（0–100），以及相对于该目标各驱动因素中位数所在的象限。",
        "note_gaps": "期望–体验差距：每对题项的实际均值 − 期望均值，附置信区间。",
        "note_item_summary": "各题项的作答情况：作答数、缺失数、均值、高分段比例、反向计分。",
        "note_frequencies": "各题项的答案频数（占作答受访者的比例）。",
        "note_nps": "净推荐值：推荐者、被动者和贬损者比例（%），NPS 分值（−100…100），总体及各细分群体。",
        "note_csat": "满意率（CSAT）：高分段比例（%），总体及各细分群体。",
        "note_segment_index": "各细分群体的 0–100 指数（总体行在前）；状态列说明某群体没有指数的原因。",
        "note_segment_paths": "各细分群体的路径系数（标准化）。",
        "note_segment_impacts": "各细分群体的影响力（驱动因素指数提高 {step} 分时目标指数的增加）。",
        "note_segment_differences": "两两细分群体之间指数和路径系数的差异：置换检验 p 值、按每个统计量在各群体对之间做多重比较校正后的 p 值"
        "（默认 Holm）及是否显著。",
        "note_segment_omnibus": "按细分变量和统计量的整体置换检验：各细分群体之间是否存在任何差异？离散度 = 各群体估计值的加权方差。",
        "note_micom": "复合测量不变性检验（MICOM），按群体对和潜变量：c 及其 5% 置换分位数（第 2 步），复合得分均值与对数方差之差"
        "（第 3 步），置换检验 p 值及经群体对之间多重比较校正后的 p 值；不变性为“无”时，不应解读该群体对之间涉及此潜变量的路径比较。",
        "note_wave_index": "各期的 0–100 指数。",
        "note_wave_changes": "各指数相对上一期的变化（指数分），附置信区间；pairing：两期由同一批受访者（按编号匹配）作答时用配对自助法"
        "（--paired），否则按独立样本检验。",
        "note_overall_index": "综合指数：各潜变量指数的加权平均（权重由 --overall-weights 给出），其标准误和区间来自同一批自助法重抽样。",
        "note_overall_weights": "综合指数所含的潜变量及其权重和占比。",
        "note_segment_wave_changes": "总体及各细分的指数相对上一期的变化：区间、p 值、同一调查期各细分间多重比较校正后的 p 值"
        "（默认 Holm）及是否显著。",
        "note_quality": "各潜变量的信度与收敛效度（提示仅供参考，并非错误）。",
        "note_htmt": "异质–单质比率（区分效度；高于 0.90 时提示）。",
        "note_fit_pls": "SRMR（饱和模型与估计模型）及拟合优度 GoF。",
        "note_fit_cbsem": "卡方检验与拟合指数（CFI、TLI、RMSEA 及其 90% 置信区间、SRMR、AIC、BIC）。",
        "note_quality_flags": "超出阈值的各项质量准则，附参考文献。",
        "note_parameters": "所有模型参数：非标准化与标准化估计值、标准误、z 值和 p 值。",
        "note_bootstrap": "各估计值的自助法标准误、t 值、p 值及置信区间。",
        "note_bootstrap_failures": "无法估计的自助法重抽样及其原因。",
        "note_missing": "有效受访者中各题项的缺失答案数。",
        "note_data_quality": "数据质量规则：处理方式及各规则提示或排除的受访者人数。",
        "note_flags": "触发的每条数据质量提示，附输入表中的行号及处理方式。",
        "note_weight_summary": "调查权重：有效样本量、设计效应、取值范围以及实际与目标边际分布的对比。",
        "note_excluded": "未使用的数据行及原因（行号与输入表一致）。",
        "note_other": "本次运行的表 {name}.csv。",
        "note_scores": "每位受访者的潜变量得分（0–100）。",
        "note_scores_too_many": "共 {n} 位受访者：行数过多，不便在工作表中查看（上限 {limit}）；请查看 scores.csv。",
        "note_summary": "本次运行概要。",
        "note_charts": "本次运行的原生 Excel 图表，每个图表位于其数据旁（修改数字后图表随之更新）。",
        "model": "模型",
        "satisfaction_index": "满意度指数（0–100）",
        "interval_level": "置信区间（{level}）",
        "interval": "置信区间",
        "margin": "误差范围（±）",
        "index_construct": "指数潜变量",
        "rows_read": "读取行数",
        "respondents": "有效样本",
        "rows_excluded": "排除行数",
        "engine": "估计方法",
        "resamples": "自助法重抽样次数",
        "resamples_value": "{resamples} 次中使用 {used} 次（失败 {failed} 次）",
        "seed": "自助法随机种子",
        "intervals": "置信区间方法",
        "bootstrap_design": "自助法抽样设计",
        "bootstrap_design_value": "Rao–Wu：{strata} 个层中的 {clusters} 个群{reraked}",
        "reraked": "；每次重抽样均重新进行权重调整",
        "segments": "细分变量",
        "wave_column": "期次变量",
        "impact_step": "影响力步长（指数分）",
        "language": "语言",
        "version": "csi-survey 版本",
        "index_block": "各潜变量指数",
        "index_chart": "各潜变量指数（0–100）",
        "index_chart_ci": "各潜变量指数（0–100，含置信区间）",
        "ipma_chart": "重要性–表现图：{target}",
        "segment_chart": "按{column}划分的{label}",
        "segment_chart_all": "按{column}划分的指数",
        "chart_scale": "{title}（0–100）",
        "wave_block": "各期指数",
        "wave_chart": "各期指数（0–100）",
        "ax_index": "指数（0–100）",
        "ax_performance": "表现（0–100 指数）",
        "ax_importance": "重要性（总效应，0–100 单位）",
        "ax_wave": "期次",
        "series_index": "指数",
        "series_drivers": "驱动因素",
        "median_performance": "表现中位数",
        "median_importance": "重要性中位数",
    },
}

#: Catalogue name → its texts by language.
CATALOGUES: dict[str, dict[str, dict[str, str]]] = {"report": TEXTS, "overview": OVERVIEW_TEXTS, "workbook": WORKBOOK_TEXTS}


def texts(lang: str, catalogue: str = "report") -> dict[str, str]:
    """Every text of a catalogue (``"report"``, ``"overview"``, ``"workbook"``) in ``lang``."""
    return CATALOGUES[catalogue][lang]


def text(lang: str, key: str, catalogue: str = "report", **fields: Any) -> str:
    """One text of a catalogue in ``lang`` (else the English one, else ``key``), its ``{name}``
    fields filled in from ``fields``."""
    table = CATALOGUES[catalogue]
    value = table.get(lang, {}).get(key, table["en"].get(key, key))
    return value.format(**fields) if fields else value


# ====================================================================== the language of a report
#: Chinese (Han) characters, as :func:`detect_lang` looks for them.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
#: CJK characters, as :func:`report_language` looks for them.
_CJK = re.compile(r"[\u3400-\u9fff]")


def has_chinese(value: Any) -> bool:
    """Whether the text of ``value`` holds a Chinese (Han) character."""
    return _HAN.search(str(value)) is not None


def check_language(lang: str) -> str:
    """``"en"`` or ``"zh"`` from a language tag (``"zh"``, ``"ZH-cn"``, ``"en_GB"`` …); raises
    ``ValueError`` for any other language."""
    key = str(lang).strip().lower()
    if key[:2] not in LANGUAGES or (len(key) > 2 and key[2] not in "-_"):
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return key[:2]


def detect_lang(bundle: Any) -> str:
    """``meta["lang"]`` when it is "en" or "zh", else "zh" when a construct label has a Chinese character, else "en"."""
    meta = getattr(bundle, "meta", None) or {}
    declared = meta.get("lang")
    if isinstance(declared, str) and declared.strip().lower()[:2] in LANGUAGES:
        return declared.strip().lower()[:2]
    labels = list((meta.get("labels") or {}).values())
    model = getattr(bundle, "model", None)
    if model is not None:
        labels += [c.label or "" for c in model.constructs.values()]
    index = (getattr(bundle, "tables", None) or {}).get("index")
    if index is not None and "label" in index:
        labels += [str(v) for v in index["label"].tolist()]
    return "zh" if any(has_chinese(v) for v in labels) else "en"


def report_language(model: Any, lang: str | None) -> str:
    """The language of a run's reports: ``lang`` when given, else "zh" when the model's name or a
    construct label has a CJK character, else "en"."""
    if lang:
        return lang
    labels = model.name + "".join(model.label(c) for c in model.construct_ids)
    return "zh" if _CJK.search(labels) else "en"
