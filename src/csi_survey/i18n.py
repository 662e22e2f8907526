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
  when it follows the report language;
- :data:`MEDIATION_TEXTS`: the plain-language sentences of a mediation analysis and the names of the
  types of mediation (:mod:`csi_survey.mediation`, shown by the HTML report).

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
    "MEDIATION_TEXTS",
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
        # ---- the sections of the PLS-SEM methods (csi_survey.report.sections_methods)
        "sec_mediation": "Mediation",
        "mediation_note": "Indirect effects run from a construct through one or more mediators to a target; the total "
        "indirect effect of a pair is the sum of its chains, its share the part of the total effect that runs through "
        "the mediators (only meaningful when direct and indirect effect point the same way). An effect is significant when "
        "its {level} bootstrap percentile interval excludes 0; the type of mediation follows Zhao, Lynch & Chen (2010). "
        "–: the model has no direct path.",
        "mediation_untested": "Indirect effects run from a construct through one or more mediators to a target; the total "
        "indirect effect of a pair is the sum of its chains. Without a bootstrap these are estimates only: the type of "
        "mediation was not tested. –: the model has no direct path.",
        "mediation_sentences": "In plain words",
        "mediation_effects_title": "Direct, indirect and total effects per pair",
        "mediation_chains_title": "Specific indirect effects (chains)",
        "mediation_chains_more": "The {shown} largest of the {n} chains (by absolute size) are shown; indirect_effects.csv "
        "has all of them.",
        "total_indirect": "Total indirect",
        "indirect_interval": "{level} interval (indirect)",
        "share_indirect": "Share indirect",
        "mediation_type": "Type of mediation",
        "chains": "Chains",
        "chain": "Chain",
        "sec_moderation": "Moderation (interaction effects)",
        "moderation_note": "An interaction term iv × moderator lets the effect of the iv on the target depend on the "
        "moderator. Interaction effect (rescaled): how much the iv's effect changes when the moderator rises by one "
        "standard deviation (seminr's convention, used by the simple slopes); standardized interaction effect: the path of "
        "the unit-variance interaction term (cSEM's convention); f²: effect size (Kenny 2018: 0.005 small, 0.01 medium, "
        "0.025 large).",
        "moderation_no_index": "Interaction terms have no 0–100 index: their indicators have no answer scale.",
        "interaction_no_index": "interaction term: no 0–100 index",
        "interaction": "Interaction term",
        "method": "Method",
        "moderator": "Moderator",
        "moderator_level": "Moderator level",
        "interaction_rescaled": "Interaction effect (rescaled)",
        "interaction_standardized": "Standardized interaction effect",
        "f_square": "Effect size f²",
        "adjustment": "Rescaling factor",
        "simple_slopes_title": "Simple slopes",
        "simple_slope": "Simple slope",
        "simple_slopes_note": "Simple slope: the effect of the iv on the target with the moderator held low (−1 SD), at "
        "its mean or high (+1 SD).",
        "slope_plot_note": "Lines: the predicted target (in standard deviations) as the iv goes from −1 SD to +1 SD, with "
        "the moderator held low, at its mean or high; lines that are not parallel show the interaction.",
        "slope_chart_title": "{iv} × {moderator} → {target}",
        "ax_slope_x": "{iv} (standard deviations)",
        "ax_slope_y": "{target} (predicted, SD)",
        "slope_legend": "{moderator}: {level}",
        "level_low": "low (−1 SD)",
        "level_mean": "mean",
        "level_high": "high (+1 SD)",
        "level_sd": "{value} SD",
        "method_product_indicator": "product indicator",
        "method_orthogonal": "orthogonalizing",
        "method_two_stage": "two-stage",
        "sec_higher_order": "Higher-order constructs",
        "higher_order_note": "A higher-order construct is a composite of its dimensions (first-order constructs). Its "
        "0–100 index is the weighted mean of the dimensions' indices; the share is each dimension's normalized weight in it.",
        "higher_order_title": "{construct}: index {index}",
        "higher_order_title_ci": "{construct}: index {index} ({level} interval {lo} – {hi})",
        "dimension": "Dimension",
        "weight": "Weight",
        "loading": "Loading",
        "index_share": "Share of the index",
        "sec_model_fit": "Overall model fit",
        "model_fit_note": "Discrepancy between the observed item correlations and those the model implies (Henseler et al. "
        "2014; Dijkstra & Henseler 2015): saturated model = the constructs correlate freely (tests the measurement "
        "model); estimated model = the correlations implied by the paths (tests the whole model). Lower is better; an "
        "SRMR below 0.08 is commonly read as a good fit. d_G with the natural logarithm (model_fit.csv also has cSEM's log10 "
        "version).",
        "saturated": "Saturated model",
        "estimated_model": "Estimated model",
        "fit_srmr": "SRMR",
        "fit_d_uls": "d_ULS",
        "fit_d_g": "d_G",
        "fit_d_g_log10": "d_G (log10, as cSEM)",
        "fit_d_ml": "d_ML",
        "fit_chi_square": "Chi-square (descriptive)",
        "fit_test_title": "Bootstrap test of exact fit",
        "fit_test_note": "H0: the model reproduces the population correlations exactly (Bollen–Stine bootstrap; Dijkstra "
        "& Henseler 2015). HI95 and HI99: the 95 % and 99 % quantiles of the discrepancy under H0; exact fit is rejected "
        "when the discrepancy reaches its quantile.",
        "fit_test_resamples": "{used} of {resamples} bootstrap resamples used, seed {seed}.",
        "fit_test_settings": "{resamples} bootstrap resamples, seed {seed}.",
        "fit_rejected": "exact fit rejected ({alpha} level)",
        "fit_not_rejected": "exact fit not rejected",
        "verdict": "Verdict",
        "fit_other_title": "Other fit measures",
        "sec_prediction": "Predictive power (PLSpredict)",
        "prediction_note": "Out-of-sample prediction of the items of every endogenous construct by cross-validation "
        "(Shmueli et al. 2016, 2019): PLS against a linear-regression benchmark (LM). Predictive power: high when PLS "
        "predicts all items with a lower RMSE than LM, medium for the majority, low for a minority, none for none. "
        "Q²predict > 0: PLS predicts better than the mean of the training sample.",
        "prediction_design": "Cross-validation: {folds} folds, repetitions: {repetitions}, seed {seed}.",
        "prediction_loo": "Leave-one-out cross-validation.",
        "prediction_summary_title": "Predictive power per construct",
        "prediction_items_title": "Prediction errors per item",
        "predictive_power": "Predictive power",
        "prediction_verdict": "PLS predicts {better} of {items} items better than LM (RMSE); Q²predict > 0 for {q2} of {items}.",
        "power_high": "high",
        "power_medium": "medium",
        "power_low": "low",
        "power_none": "none",
        "assessment": "Assessment",
        "pls_rmse": "PLS RMSE",
        "lm_rmse": "LM RMSE",
        "pls_mae": "PLS MAE",
        "lm_mae": "LM MAE",
        "q2_predict": "Q²predict",
        "lm_q2_predict": "LM Q²predict",
        "prediction_items_note": "Bold: PLS predicts the item better than LM (lower RMSE); highlighted: Q²predict ≤ 0.",
        "htmt2": "HTMT2",
        "htmt2_note": "HTMT2: the HTMT with geometric means (Roemer, Schuberth & Henseler 2021), also valid when the items "
        "of a construct load unequally; empty where it is undefined (correlations of mixed signs).",
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
        "sec_mediation": "中介效应",
        "mediation_note": "间接效应从一个潜变量经由一个或多个中介变量传导至目标变量；某一潜变量对的总间接效应为其各传导链之和，"
        "间接效应占比为总效应中经由中介变量传导的部分（仅当直接效应与间接效应方向相同时才有意义）。效应的 {level} 自助法百分位区间"
        "不包含 0 时视为显著；中介类型依据 Zhao、Lynch 和 Chen（2010）划分。–：模型中没有直接路径。",
        "mediation_untested": "间接效应从一个潜变量经由一个或多个中介变量传导至目标变量；某一潜变量对的总间接效应为其各传导链之和。"
        "未做自助法时仅有估计值：未检验中介类型。–：模型中没有直接路径。",
        "mediation_sentences": "通俗解读",
        "mediation_effects_title": "各潜变量对的直接效应、间接效应与总效应",
        "mediation_chains_title": "特定间接效应（传导链）",
        "mediation_chains_more": "按绝对值列出最大的 {shown} 条传导链（共 {n} 条）；全部结果见 indirect_effects.csv。",
        "total_indirect": "总间接效应",
        "indirect_interval": "{level} 置信区间（间接效应）",
        "share_indirect": "间接效应占比",
        "mediation_type": "中介类型",
        "chains": "传导链数",
        "chain": "传导链",
        "sec_moderation": "调节效应（交互作用）",
        "moderation_note": "交互项（自变量 × 调节变量）使自变量对目标变量的效应随调节变量而变化。交互效应（重标定）：调节变量提高"
        "一个标准差时自变量效应的变化量（seminr 的约定，简单斜率即基于此）；标准化交互效应：单位方差交互项的路径系数（cSEM 的约定）；"
        "效应量 f²（Kenny 2018：0.005 为小，0.01 为中，0.025 为大）。",
        "moderation_no_index": "交互项没有 0–100 指数：其指标没有作答量表。",
        "interaction_no_index": "交互项：无 0–100 指数",
        "interaction": "交互项",
        "method": "方法",
        "moderator": "调节变量",
        "moderator_level": "调节变量水平",
        "interaction_rescaled": "交互效应（重标定）",
        "interaction_standardized": "标准化交互效应",
        "f_square": "效应量 f²",
        "adjustment": "重标定因子",
        "simple_slopes_title": "简单斜率",
        "simple_slope": "简单斜率",
        "simple_slopes_note": "简单斜率：调节变量处于低水平（−1 SD）、均值或高水平（+1 SD）时，自变量对目标变量的效应。",
        "slope_plot_note": "各线：自变量从 −1 SD 变化到 +1 SD 时目标变量的预测值（以标准差计），调节变量分别固定在低水平、均值和"
        "高水平；各线不平行即表明存在交互作用。",
        "slope_chart_title": "{iv} × {moderator} → {target}",
        "ax_slope_x": "{iv}（标准差）",
        "ax_slope_y": "{target}（预测值，标准差）",
        "slope_legend": "{moderator}：{level}",
        "level_low": "低（−1 SD）",
        "level_mean": "均值",
        "level_high": "高（+1 SD）",
        "level_sd": "{value} SD",
        "method_product_indicator": "乘积指标法",
        "method_orthogonal": "正交化法",
        "method_two_stage": "两阶段法",
        "sec_higher_order": "高阶潜变量",
        "higher_order_note": "高阶潜变量由其维度（一阶潜变量）构成。其 0–100 指数为各维度指数的加权平均；占比为各维度在其中的归一化权重。",
        "higher_order_title": "{construct}：指数 {index}",
        "higher_order_title_ci": "{construct}：指数 {index}（{level} 置信区间 {lo} – {hi}）",
        "dimension": "维度",
        "weight": "权重",
        "loading": "载荷",
        "index_share": "指数占比",
        "sec_model_fit": "整体模型拟合",
        "model_fit_note": "观测的题项相关矩阵与模型隐含的相关矩阵之间的差异（Henseler 等 2014；Dijkstra 和 Henseler 2015）："
        "饱和模型 = 潜变量之间自由相关（检验测量模型）；估计模型 = 由路径系数隐含的相关（检验整个模型）。数值越小越好；SRMR 低于 0.08 "
        "通常视为拟合良好。d_G 使用自然对数（model_fit.csv 中另有 cSEM 的 log10 版本）。",
        "saturated": "饱和模型",
        "estimated_model": "估计模型",
        "fit_srmr": "SRMR",
        "fit_d_uls": "d_ULS",
        "fit_d_g": "d_G",
        "fit_d_g_log10": "d_G（log10，同 cSEM）",
        "fit_d_ml": "d_ML",
        "fit_chi_square": "卡方值（仅作描述）",
        "fit_test_title": "精确拟合的自助法检验",
        "fit_test_note": "原假设：模型精确再现总体相关矩阵（Bollen–Stine 自助法；Dijkstra 和 Henseler 2015）。HI95 和 HI99："
        "原假设下差异值的 95% 和 99% 分位数；差异值达到其分位数时拒绝精确拟合。",
        "fit_test_resamples": "{resamples} 次自助法重抽样中使用 {used} 次，随机种子 {seed}。",
        "fit_test_settings": "自助法重抽样 {resamples} 次，随机种子 {seed}。",
        "fit_rejected": "拒绝精确拟合（{alpha} 水平）",
        "fit_not_rejected": "不拒绝精确拟合",
        "verdict": "结论",
        "fit_other_title": "其他拟合指标",
        "sec_prediction": "预测能力（PLSpredict）",
        "prediction_note": "通过交叉验证对各内生潜变量的题项做样本外预测（Shmueli 等 2016、2019）：PLS 与线性回归基准（LM）比较。"
        "预测能力：PLS 对全部题项的 RMSE 均低于 LM 为高，多数题项为中，少数题项为低，没有题项为无。Q²predict > 0："
        "PLS 的预测优于训练样本均值。",
        "prediction_design": "交叉验证：{folds} 折，重复 {repetitions} 次，随机种子 {seed}。",
        "prediction_loo": "留一交叉验证。",
        "prediction_summary_title": "各潜变量的预测能力",
        "prediction_items_title": "各题项的预测误差",
        "predictive_power": "预测能力",
        "prediction_verdict": "{items} 个题项中 PLS 对 {better} 个的预测优于 LM（RMSE）；{items} 个题项中 {q2} 个的 Q²predict > 0。",
        "power_high": "高",
        "power_medium": "中",
        "power_low": "低",
        "power_none": "无",
        "assessment": "评估",
        "pls_rmse": "PLS 的 RMSE",
        "lm_rmse": "LM 的 RMSE",
        "pls_mae": "PLS 的 MAE",
        "lm_mae": "LM 的 MAE",
        "q2_predict": "Q²predict",
        "lm_q2_predict": "LM 的 Q²predict",
        "prediction_items_note": "加粗：PLS 对该题项的预测优于 LM（RMSE 更低）；突出显示：Q²predict ≤ 0。",
        "htmt2": "HTMT2",
        "htmt2_note": "HTMT2：以几何平均计算的 HTMT（Roemer、Schuberth 和 Henseler 2021），题项载荷不相等时同样适用；"
        "无定义时（相关系数正负不一）留空。",
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

# ====================================================================== mediation sentences
#: The plain-language sentences of a mediation analysis (:meth:`csi_survey.mediation.MediationResults.sentences`)
#: and the names of the types of mediation (``label_<type>``, shown by the HTML report), in English and
#: Chinese. The same texts as ``csi_survey.mediation.TEXTS`` (which may import them from here).
#: ``sentence_sep`` joins the sentences of a pair: a space in English, nothing in Chinese.
MEDIATION_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "share": "{pct} % of the effect of {source} on {target} runs through {via}.",
        "all_indirect": "The effect of {source} on {target} runs entirely through {via} (the model has no direct path).",
        "opposite": "The direct effect of {source} on {target} ({direct}) and its indirect effect through {via} "
        "({indirect}) have opposite signs, so no share of the effect can be said to run through the mediators.",
        "no_total": "The direct and indirect effects of {source} on {target} cancel out (total effect 0).",
        "main_chain": "The strongest chain is {path} ({estimate}).",
        "list_sep": ", ",
        "list_last": " and ",
        "sentence_sep": " ",
        "type_complementary": "Both the direct and the indirect effect are significant and point the same way "
        "(complementary mediation).",
        "type_competitive": "Both the direct and the indirect effect are significant but point in opposite directions "
        "(competitive mediation).",
        "type_indirect-only": "Only the indirect effect is significant (indirect-only mediation).",
        "type_direct-only": "Only the direct effect is significant (direct-only: no mediation).",
        "type_no effect": "Neither the direct nor the indirect effect is significant (no effect).",
        "type_not tested": "Significance was not tested (no bootstrap).",
        "label_complementary": "complementary mediation",
        "label_competitive": "competitive mediation",
        "label_indirect-only": "indirect-only mediation",
        "label_direct-only": "direct-only (no mediation)",
        "label_no effect": "no effect",
        "label_not tested": "not tested",
        "significance": "an effect is significant when its {level} bootstrap percentile interval excludes 0",
    },
    "zh": {
        "share": "{source}对{target}的影响中，有{pct}%是通过{via}传导的。",
        "all_indirect": "{source}对{target}的影响完全通过{via}传导（模型中没有直接路径）。",
        "opposite": "{source}对{target}的直接效应（{direct}）与其通过{via}的间接效应（{indirect}）方向相反，"
        "因此无法给出经由中介变量传导的比例。",
        "no_total": "{source}对{target}的直接效应与间接效应相互抵消（总效应为0）。",
        "main_chain": "最强的传导链为{path}（{estimate}）。",
        "list_sep": "、",
        "list_last": "和",
        "sentence_sep": "",
        "type_complementary": "直接效应和间接效应均显著且方向相同（互补型中介）。",
        "type_competitive": "直接效应和间接效应均显著但方向相反（竞争型中介）。",
        "type_indirect-only": "仅间接效应显著（仅间接中介）。",
        "type_direct-only": "仅直接效应显著（仅直接效应：无中介）。",
        "type_no effect": "直接效应和间接效应均不显著（无效应）。",
        "type_not tested": "未进行显著性检验（未做自助法）。",
        "label_complementary": "互补型中介",
        "label_competitive": "竞争型中介",
        "label_indirect-only": "仅间接中介",
        "label_direct-only": "仅直接效应（无中介）",
        "label_no effect": "无效应",
        "label_not tested": "未检验",
        "significance": "自助法{level}百分位区间不包含0时，效应视为显著",
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
        "note_higher_order": "Higher-order constructs: per construct and dimension, the outer weight and loading on the "
        "dimension's score, its share of the construct's 0–100 index (index_weight) and the dimension's 0–100 index.",
        "note_indirect_effects": "Specific indirect effects: every chain source → mediators → target with its estimate (the "
        "product of its path coefficients) and, after a bootstrap, standard error, t and p value and percentile interval.",
        "note_mediation": "Mediation per pair of constructs: direct, total indirect and total effect, the share of the indirect "
        "effect (VAF), bootstrap inference, the type of mediation (Zhao, Lynch & Chen 2010) and a sentence in plain words.",
        "note_interaction_effects": "Interaction effects: the rescaled path (seminr; used by the simple slopes), the path of "
        "the unit-variance term (standardized, cSEM), the rescaling factor, f² and, after a bootstrap, inference.",
        "note_simple_slopes": "Simple slopes: the effect of the iv on the target with the moderator at −1 SD, its mean and "
        "+1 SD. Interaction terms have no 0–100 index.",
        "note_slope_plot": "The points of the simple-slope plots: the predicted target (SD) at the iv levels and moderator "
        "levels −1, 0 and +1 SD.",
        "note_model_fit_overall": "Overall model fit: SRMR, d_ULS, d_G (natural logarithm; d_g_log10 = cSEM's dG), d_ML and "
        "chi-square (descriptive) of the saturated and the estimated model.",
        "note_fit_test": "Bootstrap test of exact fit (Bollen–Stine): the observed discrepancy, its 95% and 99% quantiles "
        "under H0 (hi_95, hi_99), the p value and whether exact fit is rejected at each level.",
        "note_prediction": "PLSpredict: out-of-sample RMSE, MAE and Q²predict of every endogenous item, PLS against the LM "
        "benchmark.",
        "note_prediction_summary": "Predictive power per endogenous construct (Shmueli et al. 2019): items where PLS has the "
        "lower RMSE, items with Q²predict > 0, and the verdict.",
        "note_cvpat": "CVPAT (Liengaard et al. 2021): average out-of-sample loss of model a and model b, overall and per "
        "endogenous construct, their difference (negative: model a predicts better) and the paired t-test.",
        "slope_block": "Simple slopes: {title}",
        "ax_slope_x": "{iv} (SD)",
        "ax_slope_y": "{target} (predicted, SD)",
        "slope_series": "{moderator}: {level}",
        "iv_level": "{iv} level",
        "level_low": "low (−1 SD)",
        "level_mean": "mean",
        "level_high": "high (+1 SD)",
        "level_sd": "{value} SD",
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
        "note_scores_too_many": "{n} respondents: too many for a comfortable sheet (limit {limit}); see {file}.",
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
        "note_higher_order": "高阶潜变量：按潜变量和维度列出其在维度得分上的外部权重和载荷、该维度在 0–100 指数中的占比"
        "（index_weight）以及维度的 0–100 指数。",
        "note_indirect_effects": "特定间接效应：每条传导链（源 → 中介变量 → 目标）的估计值（各路径系数之积），做自助法时另有标准误、"
        "t 值、p 值和百分位区间。",
        "note_mediation": "各潜变量对的中介分析：直接效应、总间接效应和总效应，间接效应占比（VAF），自助法推断，中介类型"
        "（Zhao、Lynch 和 Chen 2010）及通俗解读。",
        "note_interaction_effects": "交互效应：重标定路径系数（seminr；简单斜率基于此）、单位方差交互项的路径系数（标准化，cSEM）、"
        "重标定因子、f²，做自助法时另有推断结果。",
        "note_simple_slopes": "简单斜率：调节变量处于 −1 SD、均值和 +1 SD 时自变量对目标变量的效应。交互项没有 0–100 指数。",
        "note_slope_plot": "简单斜率图的各点：自变量和调节变量分别处于 −1、0、+1 SD 时目标变量的预测值（标准差）。",
        "note_model_fit_overall": "整体模型拟合：饱和模型与估计模型的 SRMR、d_ULS、d_G（自然对数；d_g_log10 = cSEM 的 dG）、"
        "d_ML 和卡方值（仅作描述）。",
        "note_fit_test": "精确拟合的自助法检验（Bollen–Stine）：观测差异值、原假设下的 95% 和 99% 分位数（hi_95、hi_99）、"
        "p 值以及各水平上是否拒绝精确拟合。",
        "note_prediction": "PLSpredict：各内生题项的样本外 RMSE、MAE 和 Q²predict，PLS 与 LM 基准比较。",
        "note_prediction_summary": "各内生潜变量的预测能力（Shmueli 等 2019）：PLS 的 RMSE 更低的题项数、Q²predict > 0 的题项数及结论。",
        "note_cvpat": "CVPAT（Liengaard 等 2021）：模型 a 与模型 b 的平均样本外损失（总体及各内生潜变量）、二者之差"
        "（为负：模型 a 预测更好）及配对 t 检验。",
        "slope_block": "简单斜率：{title}",
        "ax_slope_x": "{iv}（标准差）",
        "ax_slope_y": "{target}（预测值，标准差）",
        "slope_series": "{moderator}：{level}",
        "iv_level": "{iv}水平",
        "level_low": "低（−1 SD）",
        "level_mean": "均值",
        "level_high": "高（+1 SD）",
        "level_sd": "{value} SD",
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
        "note_scores_too_many": "共 {n} 位受访者：行数过多，不便在工作表中查看（上限 {limit}）；请查看 {file}。",
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
CATALOGUES: dict[str, dict[str, dict[str, str]]] = {
    "report": TEXTS, "overview": OVERVIEW_TEXTS, "workbook": WORKBOOK_TEXTS, "mediation": MEDIATION_TEXTS,
}


def texts(lang: str, catalogue: str = "report") -> dict[str, str]:
    """Every text of a catalogue (``"report"``, ``"overview"``, ``"workbook"``, ``"mediation"``) in ``lang``."""
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
