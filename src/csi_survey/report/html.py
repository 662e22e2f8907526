"""The HTML report of a run: one self-contained file with the index, the path diagram, charts and tables.

>>> from csi_survey.report.bundle import load_bundle                    # doctest: +SKIP
>>> from csi_survey.report.html import render_html
>>> text = render_html(load_bundle("results/2026-Q3"), "results/2026-Q3/report.html")  # doctest: +SKIP

:func:`render_html` takes a run bundle (``meta``, ``tables``, ``model``: see
:mod:`csi_survey.report.bundle`) and writes one HTML file that needs no network to be viewed: no
links to other files or sites, the style sheet is inline and every chart is inline SVG. Each section
appears only when its table is in the bundle. The report layer presents results: nothing here
computes a statistic (medians of the IPMA drivers are only used to place the reference lines that the
``quadrant`` column of the table was assigned against).

**Chart approach: inline SVG drawn by the small functions of this module, no JavaScript.**
The charts are few and simple (horizontal bars with interval whiskers, a scatter with two median
lines, a line chart, and the path diagram, which no charting library draws anyway), so the code
that draws them is short arithmetic on linear scales. We chose this over embedding a charting
library such as plotly (``include_plotlyjs=True``) because the report is a file people attach to an
e-mail and open anywhere:

* **size** — a report is a few tens of kB instead of ~3.5 MB of JavaScript per file;
* **works where scripts do not run** — mail clients' previews, document viewers and locked-down
  browsers block or strip JavaScript; the page also sets a Content-Security-Policy that forbids any
  script and any load from elsewhere, so nothing in the file can execute or phone home;
* **text stays text** — labels are SVG ``<text>`` in the page's fonts, so Chinese labels render with
  the viewer's own CJK fonts, can be selected, searched and translated, and print sharply;
* **one code path** for the path diagram and the charts, and no new dependency.

What an interactive library adds (hover, zoom) matters little for charts of 3–15 marks; hovering
still shows the full label and value through SVG ``<title>`` elements.

**Security.** Every text that comes from the input (model name, labels, segment names, item names,
reasons, statuses …) is HTML-escaped: the page is rendered by Jinja2 with autoescaping, and the SVG
is built with :class:`markupsafe.Markup` formatting, which escapes every argument that is not
already markup. A label such as ``<script>alert(1)</script>`` is shown as that text.

**Language.** ``lang="en"`` or ``"zh"``; by default ``meta["lang"]``, else Chinese when any construct
label contains a Chinese character, else English. Every fixed text of the page is in :data:`TEXTS`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["render_html", "detect_lang", "TEXTS", "LANGUAGES"]

LANGUAGES = ("en", "zh")

# ====================================================================== fixed texts
#: Every fixed text of the report in English and Chinese (``{name}`` fields are filled in).
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
        "sec_trend": "Trend across waves",
        "trend_note": "Construct indices per wave (0–100).",
        "trend_chart_title": "Indices per wave",
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
        "sec_trend": "各期趋势",
        "trend_note": "各期的潜变量指数（0–100 分）。",
        "trend_chart_title": "各期指数",
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

QUADRANTS = ("fix first", "keep up", "possible overkill", "low priority")
_QUADRANT_COLOR = {"fix first": "#c0392b", "keep up": "#1e8449", "possible overkill": "#d68910", "low priority": "#7f8c8d"}
_QUADRANT_CLASS = {"fix first": "q-fix", "keep up": "q-keep", "possible overkill": "q-overkill", "low priority": "q-low"}
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
_BAR = "#7f9fc4"
_BAR_ACCENT = "#2e5c8a"
_TOTAL_SEGMENT = "(total)"
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


# ====================================================================== entry point
def render_html(bundle: Any, path: str | os.PathLike[str] | None = None, *, lang: str | None = None) -> str:
    """Render the HTML report of a run bundle; return the HTML text and write it to ``path`` when given.

    ``bundle`` has ``meta`` (the run's ``run.json``), ``tables`` (table name → DataFrame; every table
    is optional) and ``model`` (the :class:`~csi_survey.schema.Questionnaire`, may be None).
    ``lang`` is ``"en"`` or ``"zh"``; by default :func:`detect_lang` decides.
    The file is UTF-8 and self-contained: no network is needed to view it.
    """
    report = _Report(bundle, detect_lang(bundle) if lang is None else _check_lang(lang))
    text = report.render()
    if path is not None:
        _write_text(Path(path), text)
    return text


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
    return "zh" if any(_HAN.search(str(v)) for v in labels) else "en"


def _check_lang(lang: str) -> str:
    key = str(lang).strip().lower()
    if key[:2] not in LANGUAGES or (len(key) > 2 and key[2] not in "-_"):
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return key[:2]


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file in the same folder, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkstemp: its files are private (0600); this one gets the usual permissions (umask)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_ENV: Environment | None = None


def _environment() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = Environment(
            loader=PackageLoader("csi_survey.report", "templates"),
            autoescape=True,  # every {{ value }} is escaped unless it is Markup built by this module
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return _ENV


# ====================================================================== numbers and text
def _num(value: Any) -> float | None:
    """A finite float, or None (missing, NaN, text)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _fmt(value: Any, digits: int = 2) -> str:
    x = _num(value)
    if x is None:
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _fmt_p(value: Any) -> str:
    x = _num(value)
    if x is None:
        return ""
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _stars(value: Any) -> str:
    x = _num(value)
    if x is None:
        return ""
    return "***" if x < 0.001 else "**" if x < 0.01 else "*" if x < 0.05 else ""


def _fmt_level(level: Any) -> str:
    x = _num(level)
    if x is None:
        return ""
    x = x * 100 if x <= 1 else x
    return f"{x:.0f}%" if abs(x - round(x)) < 1e-9 else f"{x:g}%"


def _svg_num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "", "-") else text


def _text(value: Any) -> str:
    """A cell or label as text: "" for missing values."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _char_width(ch: str) -> float:
    """Approximate advance of a character in em (sans-serif): generous, so text fits its box."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in " ilI.,:;'|!()[]jft":
        return 0.32
    if ch.isupper() or ch in "mwMW%@":
        return 0.7
    if ch.isdigit():
        return 0.58
    return 0.55


def _text_width(text: str, size: float) -> float:
    return size * sum(_char_width(c) for c in text)


def _tokens(text: str) -> list[str]:
    """Breakable pieces: words (with their trailing space) and single wide characters."""
    out: list[str] = []
    for piece in re.findall(r"\S+\s*|\s+", text):
        word = ""
        for ch in piece:
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                if word:
                    out.append(word)
                    word = ""
                out.append(ch)
            else:
                word += ch
        if word:
            out.append(word)
    return out


def _wrap(text: str, width: float, size: float, max_lines: int = 3) -> list[str]:
    """Greedy line breaking at spaces and between Chinese characters; the last line ends with … when cut."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and _text_width((line + token).rstrip(), size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    lines = [_truncate(s, width, size) for s in lines]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_truncate(lines[max_lines - 1] + "…", width, size, force=True)]
    return lines


def _truncate(text: str, width: float, size: float, force: bool = False) -> str:
    if not force and _text_width(text, size) <= width:
        return text
    text = text.rstrip("…")
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


# ====================================================================== SVG building blocks
def _attr_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def _el(tag: str, content: Any = None, /, **attrs: Any) -> Markup:
    """An SVG/HTML element; ``content`` (text or a list) is escaped unless it is Markup."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = _svg_num(value)
        parts.append(Markup(' {}="{}"').format(Markup(_attr_name(key)), value))
    attr = Markup("").join(parts)
    if content is None:
        return Markup("<{}{}/>").format(Markup(tag), attr)
    if isinstance(content, (list, tuple)):
        content = Markup("").join(content)
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), attr, content)


def _svg(width: float, height: float, body: Iterable[Markup], *, title: str, cls: str, id: str | None = None) -> Markup:
    return _el(
        "svg",
        [_el("title", title), *body],
        viewBox=f"0 0 {_svg_num(width)} {_svg_num(height)}",
        width=float(width),
        height=float(height),
        role="img",
        aria_label=title,
        class_=cls,
        id=id,
    )


def _label_text(x: float, y: float, text: str, size: float, width: float, **attrs: Any) -> Markup:
    """One line of text cut to ``width`` (the full text in a tooltip when cut)."""
    shown = _truncate(text, width, size)
    content: list[Any] = [shown]
    if shown != text:
        content = [_el("title", text), shown]
    return _el("text", content, x=x, y=y, font_size=size, **attrs)


def _ticks(lo: float, hi: float, count: int = 5) -> tuple[float, float, list[float]]:
    """A rounded domain covering [lo, hi] and its tick values (steps of 1, 2, 2.5 or 5 × 10ᵏ)."""
    if not hi > lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if (hi - lo) / step <= count:
            break
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    ticks = [start + k * step for k in range(int(round((stop - start) / step)) + 1)]
    return start, stop, ticks


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    digits = 0
    while digits < 4 and abs(step * 10**digits - round(step * 10**digits)) > 1e-9:
        digits += 1
    return _fmt(value, digits)


# ====================================================================== tables for the template
@dataclass
class _Cell:
    text: Any
    cls: str = ""


@dataclass
class _Table:
    headers: list[_Cell]
    rows: list[list[_Cell]]
    caption: str = ""
    note: str = ""
    cls: str = ""


@dataclass
class _Col:
    header: str
    value: Callable[[Mapping[str, Any]], Any]
    num: bool = False
    cls: Callable[[Mapping[str, Any]], str] | None = None


def _make_table(df: pd.DataFrame, cols: Sequence[_Col], *, caption: str = "", note: str = "", limit: int | None = None) -> _Table:
    rows = []
    records = df.to_dict("records")
    for rec in records[:limit] if limit is not None else records:
        row = []
        for col in cols:
            extra = col.cls(rec) if col.cls else ""
            cls = " ".join(c for c in ("num" if col.num else "", extra) if c)
            row.append(_Cell(col.value(rec), cls))
        rows.append(row)
    return _Table([_Cell(c.header, "num" if c.num else "") for c in cols], rows, caption=caption, note=note)


@dataclass
class _Block:
    kind: str  # "svg", "table", "p", "h3", "figure"
    content: Any = None
    cls: str = ""


@dataclass
class _Section:
    id: str
    title: str
    blocks: list[_Block] = field(default_factory=list)


# ====================================================================== the report
class _Report:
    def __init__(self, bundle: Any, lang: str):
        self.lang = lang
        self.meta: dict[str, Any] = dict(getattr(bundle, "meta", None) or {})
        tables = getattr(bundle, "tables", None) or {}
        self.tables: dict[str, pd.DataFrame] = {
            str(name).removesuffix(".csv"): table for name, table in tables.items() if isinstance(table, pd.DataFrame)
        }
        self.model = getattr(bundle, "model", None)
        boot = self.meta.get("bootstrap") or {}
        self.level = _fmt_level(boot.get("level")) or _fmt_level((self.meta.get("headline") or {}).get("level")) or "95%"
        self.index_construct = self.meta.get("index_construct") or (self.meta.get("headline") or {}).get("construct")
        if self.index_construct is None and self.model is not None:
            self.index_construct = self.model.index
        self._labels = self._collect_labels()

    # ---------------------------------------------------------------- helpers
    def t(self, key: str, **fields: Any) -> str:
        text = TEXTS[self.lang].get(key, TEXTS["en"].get(key, key))
        return text.format(**fields) if fields else text

    def _collect_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        index = self.tables.get("index")
        if index is not None and {"construct", "label"} <= set(index.columns):
            labels.update({str(c): _text(lab) for c, lab in zip(index["construct"], index["label"]) if _text(lab)})
        if self.model is not None:
            labels.update({cid: c.label for cid, c in self.model.constructs.items() if c.label})
        labels.update({str(k): str(v) for k, v in (self.meta.get("labels") or {}).items() if v})
        return labels

    def label(self, construct: Any) -> str:
        key = _text(construct)
        return self._labels.get(key, key)

    def table(self, name: str) -> pd.DataFrame | None:
        df = self.tables.get(name)
        return df if df is not None and len(df.columns) else None

    def has_rows(self, name: str, *columns: str) -> bool:
        df = self.table(name)
        return df is not None and len(df) > 0 and set(columns) <= set(df.columns)

    def interval(self, rec: Mapping[str, Any], digits: int) -> str:
        lo, hi = _num(rec.get("ci_lower")), _num(rec.get("ci_upper"))
        if lo is None or hi is None:
            return ""
        return f"{_fmt(lo, digits)} – {_fmt(hi, digits)}"

    def ci_col(self, df: pd.DataFrame, digits: int) -> list[_Col]:
        if {"ci_lower", "ci_upper"} <= set(df.columns):
            return [_Col(self.t("interval", level=self.level), lambda r: self.interval(r, digits), num=True)]
        return []

    def opt(self, df: pd.DataFrame, column: str, header: str, digits: int = 3, fmt: Callable[[Any], str] | None = None) -> list[_Col]:
        if column not in df.columns:
            return []
        formatter = fmt or (lambda v: _fmt(v, digits))
        return [_Col(header, lambda r: formatter(r.get(column)), num=True)]

    def known(self, prefix: str, value: Any) -> str:
        """The translation of a known value (e.g. a bootstrap method), else the value as given."""
        key = prefix + _text(value).lower()
        return self.t(key) if key in TEXTS["en"] else _text(value)

    def status(self, value: Any) -> str:
        text = _text(value)
        if text == "estimated":
            return self.t("estimated")
        for prefix in ("insufficient sample", "failed"):
            if text.startswith(prefix):
                return self.t(prefix) + text[len(prefix):]
        return text

    def segment_name(self, value: Any) -> str:
        text = _text(value)
        return self.t("total_segment") if text == _TOTAL_SEGMENT else text

    def constructs(self) -> list[str]:
        order: list[str] = list(self.model.construct_ids) if self.model is not None else []
        for name in ("index", "paths"):
            df = self.table(name)
            if df is None:
                continue
            for col in ("construct", "source", "target"):
                if col in df.columns:
                    order += [str(v) for v in df[col].tolist()]
        return list(dict.fromkeys(order))

    # ---------------------------------------------------------------- page
    def render(self) -> str:
        sections = [
            s
            for s in (
                self.section_model(),
                self.section_index(),
                self.section_impacts(),
                self.section_ipma(),
                self.section_gaps(),
                self.section_nps(),
                self.section_segments(),
                self.section_trend(),
                self.section_paths(),
                self.section_quality(),
                self.section_excluded(),
            )
            if s is not None and s.blocks
        ]
        model_name = _text(self.meta.get("model_name")) or (self.model.name if self.model is not None else "")
        template = _environment().get_template("report.html.j2")
        return template.render(
            lang=self.lang,
            html_lang="zh-CN" if self.lang == "zh" else "en",
            t=self.t,
            title=model_name or self.t("report"),
            model_name=model_name,
            headline=self.headline(),
            facts=self.facts(model_name),
            sections=sections,
            version=_text(self.meta.get("version")),
            footer=self.t("footer", version=_text(self.meta.get("version")) or ""),
        )

    def headline(self) -> dict[str, Any] | None:
        h = self.meta.get("headline")
        if not h or _num(h.get("index")) is None:
            return None
        moe, lo, hi = _num(h.get("margin_of_error")), _num(h.get("ci_lower")), _num(h.get("ci_upper"))
        level = _fmt_level(h.get("level")) or self.level
        return {
            "value": _fmt(h.get("index"), 1),
            "label": _text(h.get("label")) or self.label(h.get("construct")),
            "moe": self.t("moe", moe=_fmt(moe, 1)) if moe is not None else "",
            "interval": self.t("interval_text", level=level, lo=_fmt(lo, 1), hi=_fmt(hi, 1)) if lo is not None and hi is not None else "",
        }

    def facts(self, model_name: str) -> list[tuple[str, str]]:
        m = self.meta
        out = []
        if model_name:
            out.append((self.t("model"), model_name))
        for key, label in (("n_used", "respondents"), ("n_read", "rows_read"), ("n_excluded", "rows_excluded")):
            if _num(m.get(key)) is not None:
                out.append((self.t(label), f"{int(_num(m.get(key))):,}"))
        if m.get("engine"):
            out.append((self.t("engine"), _text(m["engine"])))
        boot = m.get("bootstrap")
        if boot:
            out.append(
                (
                    self.t("bootstrap"),
                    self.t(
                        "bootstrap_text",
                        used=_text(boot.get("used")),
                        resamples=_text(boot.get("resamples")),
                        failed=_text(boot.get("failed", 0)),
                        seed=_text(boot.get("seed")),
                        method=self.known("method_", boot.get("method")),
                        level=_fmt_level(boot.get("level")),
                    ),
                )
            )
        elif "bootstrap" in m:
            out.append((self.t("bootstrap"), self.t("no_bootstrap")))
        return out

    # ---------------------------------------------------------------- sections
    def section_model(self) -> _Section | None:
        paths = self.table("paths")
        if paths is None or not {"source", "target"} <= set(paths.columns):
            return None
        r2 = self.table("r2")
        r2_map = {}
        if r2 is not None and {"construct", "r2"} <= set(r2.columns):
            r2_map = {str(c): _num(v) for c, v in zip(r2["construct"], r2["r2"])}
        edges = [
            _Edge(str(r["source"]), str(r["target"]), _num(r.get("estimate")), _num(r.get("p_value")))
            for r in paths.to_dict("records")
        ]
        has_p = "p_value" in paths.columns and paths["p_value"].notna().any()
        name = _text(self.meta.get("model_name")) or (self.model.name if self.model is not None else "")
        svg = path_diagram(
            self.constructs(),
            edges,
            labels={c: self.label(c) for c in self.constructs()},
            r2=r2_map,
            highlight=self.index_construct,
            title=self.t("diagram_title", model=name).strip(),
        )
        note = self.t("model_note_p" if has_p else "model_note")
        return _Section("model", self.t("sec_model"), [_Block("svg", svg, "diagram"), _Block("p", note, "note")])

    def section_index(self) -> _Section | None:
        df = self.table("index")
        if df is None or not {"construct", "index"} <= set(df.columns):
            return None
        name = lambda r: _text(r.get("label")) or self.label(r["construct"])  # noqa: E731
        rows = [
            _Bar(name(r), _num(r["index"]), _num(r.get("ci_lower")), _num(r.get("ci_upper")),
                 accent=str(r["construct"]) == str(self.index_construct))
            for r in df.to_dict("records")
        ]
        has_ci = {"ci_lower", "ci_upper"} <= set(df.columns) and df["ci_lower"].notna().any()
        blocks = [_Block("svg", bar_chart(rows, title=self.t("index_chart_title"), chart_id="index-chart"))]
        blocks.append(_Block("p", self.t("index_note_ci", level=self.level) if has_ci else self.t("index_note"), "note"))
        cols = [
            _Col(self.t("construct"), name),
            _Col(self.t("index"), lambda r: _fmt(r.get("index"), 1), num=True),
            *self.opt(df, "margin_of_error", self.t("margin"), 1),
            *self.ci_col(df, 1),
            *self.opt(df, "std_err", self.t("std_err"), 2),
            *self.opt(df, "n", self.t("n"), 0),
        ]
        blocks.append(_Block("table", _make_table(df, cols)))
        return _Section("index", self.t("sec_index"), blocks)

    def section_impacts(self) -> _Section | None:
        df = self.table("impacts")
        if df is None or not {"target", "driver", "impact"} <= set(df.columns) or df.empty:
            return None
        step = f"{_num(self.meta.get('impact_step')) or 5.0:g}"
        cols = [
            _Col(self.t("target"), lambda r: self.label(r["target"])),
            _Col(self.t("driver"), lambda r: self.label(r["driver"])),
            *self.opt(df, "total_effect_100", self.t("total_effect_100"), 3),
            _Col(self.t("impact", step=step), lambda r: _fmt(r.get("impact"), 2), num=True),
        ]
        return _Section("impacts", self.t("sec_impacts"), [_Block("table", _make_table(df, cols, note=self.t("impacts_note", step=step)))])

    def section_ipma(self) -> _Section | None:
        df = self.table("ipma")
        if df is None or not {"target", "importance", "performance"} <= set(df.columns) or df.empty:
            return None
        level = df["level"].astype(str) if "level" in df.columns else pd.Series("construct", index=df.index)
        blocks: list[_Block] = []
        construct_rows = df[level == "construct"]
        charts = []
        for target in dict.fromkeys(construct_rows["target"].tolist()):
            rows = construct_rows[construct_rows["target"] == target]
            points = [
                _Point(
                    _text(r.get("label")) or self.label(r.get("driver")),
                    _num(r["performance"]),
                    _num(r["importance"]),
                    _text(r.get("quadrant")),
                )
                for r in rows.to_dict("records")
            ]
            title = self.t("ipma_title", target=self.label(target))
            charts.append(ipma_chart(points, title=title, t=self.t, chart_id=f"ipma-{len(charts) + 1}"))
        if charts:
            blocks.append(_Block("figure", charts))
            blocks.append(_Block("p", self.t("ipma_note"), "note"))

        def quadrant(r: Mapping[str, Any]) -> Any:
            q = _text(r.get("quadrant"))
            return _el("span", self.t(q) if q in QUADRANTS else q, class_=f"badge {_QUADRANT_CLASS.get(q, '')}".strip())

        tail = [
            _Col(self.t("importance"), lambda r: _fmt(r.get("importance"), 3), num=True),
            _Col(self.t("performance"), lambda r: _fmt(r.get("performance"), 1), num=True),
            *([_Col(self.t("quadrant"), quadrant)] if "quadrant" in df.columns else []),
        ]
        nowrap = lambda r: "nowrap"  # noqa: E731
        head = [
            _Col(self.t("target"), lambda r: self.label(r["target"]), cls=nowrap),
            _Col(self.t("driver"), lambda r: self.label(r.get("driver")), cls=nowrap),
        ]
        if len(construct_rows):
            blocks.append(_Block("table", _make_table(construct_rows, [*head, *tail])))
        other = df[level != "construct"]
        if len(other):
            cols = [
                *head,
                *([_Col(self.t("item"), lambda r: _text(r.get("item")))] if "item" in df.columns else []),
                *([_Col(self.t("label"), lambda r: _text(r.get("label")), cls=lambda r: "wide")] if "label" in df.columns else []),
                *tail,
            ]
            blocks += [_Block("h3", self.t("ipma_items")), _Block("table", _make_table(other, cols))]
        return _Section("ipma", self.t("sec_ipma"), blocks)

    def section_gaps(self) -> _Section | None:
        df = self.table("gaps")
        if df is None or df.empty or "gap" not in df.columns:
            return None
        cols = [
            _Col(self.t("aspect"), lambda r: _text(r.get("label"))),
            *([_Col(self.t("expected"), lambda r: _text(r.get("expected")))] if "expected" in df.columns else []),
            *([_Col(self.t("experienced"), lambda r: _text(r.get("experienced")))] if "experienced" in df.columns else []),
            *self.opt(df, "n", self.t("n"), 0),
            *self.opt(df, "expected_mean", self.t("expected_mean"), 2),
            *self.opt(df, "experienced_mean", self.t("experienced_mean"), 2),
            _Col(self.t("gap"), lambda r: _fmt(r.get("gap"), 2), num=True, cls=lambda r: "neg" if (_num(r.get("gap")) or 0) < 0 else ""),
            *self.ci_col(df, 2),
        ]
        return _Section("gaps", self.t("sec_gaps"), [_Block("table", _make_table(df, cols, note=self.t("gaps_note")))])

    def _segment_cols(self, df: pd.DataFrame) -> list[_Col]:
        return [
            *([_Col(self.t("segment_column"), lambda r: _text(r.get("segment_column")))] if "segment_column" in df.columns else []),
            *([_Col(self.t("segment"), lambda r: self.segment_name(r.get("segment")))] if "segment" in df.columns else []),
            *self.opt(df, "n", self.t("n"), 0),
        ]

    def section_nps(self) -> _Section | None:
        blocks: list[_Block] = []
        nps = self.table("nps")
        if nps is not None and not nps.empty and "nps" in nps.columns:
            cols = [
                *self._segment_cols(nps),
                *self.opt(nps, "promoters", self.t("promoters"), 1),
                *self.opt(nps, "passives", self.t("passives"), 1),
                *self.opt(nps, "detractors", self.t("detractors"), 1),
                _Col(self.t("nps"), lambda r: _fmt(r.get("nps"), 1), num=True, cls=lambda r: "strong"),
                *self.ci_col(nps, 1),
            ]
            blocks += [_Block("h3", self.t("nps_title")), _Block("table", _make_table(nps, cols, note=self.t("nps_note")))]
        csat = self.table("csat")
        if csat is not None and not csat.empty and "top_box_share" in csat.columns:
            cols = [
                *self._segment_cols(csat),
                _Col(self.t("top_box"), lambda r: _fmt(r.get("top_box_share"), 1), num=True, cls=lambda r: "strong"),
                *self.ci_col(csat, 1),
            ]
            blocks += [_Block("h3", self.t("csat_title")), _Block("table", _make_table(csat, cols))]
        return _Section("nps", self.t("sec_nps"), blocks) if blocks else None

    def section_segments(self) -> _Section | None:
        df = self.table("segment_index")
        if df is None or df.empty or not {"segment", "construct", "index"} <= set(df.columns):
            return None
        construct = self.index_construct if self.index_construct in set(df["construct"].astype(str)) else str(df["construct"].iloc[0])
        rows = df[df["construct"].astype(str) == construct]
        seg_col = rows["segment_column"].map(_text) if "segment_column" in rows.columns else pd.Series("", index=rows.index)
        total = rows[rows["segment"].map(_text) == _TOTAL_SEGMENT]
        total_value = _num(total["index"].iloc[0]) if len(total) else None
        blocks: list[_Block] = []
        charts = []
        for column in dict.fromkeys(c for c in seg_col.tolist() if c):
            part = rows[(seg_col == column) & (rows["segment"].map(_text) != _TOTAL_SEGMENT)]
            bars = []
            for r in part.to_dict("records"):
                status = _text(r.get("status")) or "estimated"
                value = _num(r.get("index")) if status == "estimated" else None
                note = "" if value is not None else (self.status(status) if status != "estimated" else self.t("not_estimated"))
                n = _num(r.get("n"))
                name = _text(r.get("segment")) + (f" (n = {int(n)})" if n is not None else "")
                bars.append(_Bar(name, value, _num(r.get("ci_lower")), _num(r.get("ci_upper")), note=note))
            title = self.t("segment_chart_title", construct=self.label(construct), column=column)
            charts.append(bar_chart(bars, title=title, reference=total_value, reference_label=self.t("total_segment"),
                                    chart_id=f"segment-{len(charts) + 1}", cls="chart segment-chart", width=540.0, heading=title))
        if charts:
            blocks.append(_Block("figure", charts))
            blocks.append(_Block("p", self.t("segments_note", construct=self.label(construct)), "note"))
        # all constructs per segment: one row per segment, one column per construct
        constructs = list(dict.fromkeys(df["construct"].astype(str)))
        keys = ["segment_column", "segment"] if "segment_column" in df.columns else ["segment"]
        records = []
        for key, part in df.groupby([df[k].map(_text) for k in keys], sort=False):
            key = key if isinstance(key, tuple) else (key,)
            rec: dict[str, Any] = dict(zip(keys, key))
            values = {str(c): r for c, r in zip(part["construct"].astype(str), part.to_dict("records"))}
            first = next(iter(values.values()))
            rec["n"] = first.get("n")
            rec["status"] = first.get("status", "estimated")
            for c in constructs:
                r = values.get(c)
                ok = r is not None and (_text(r.get("status")) or "estimated") == "estimated"
                rec["c:" + c] = r.get("index") if ok else None
            records.append(rec)
        pivot = pd.DataFrame(records)
        cols = [
            *([_Col(self.t("segment_column"), lambda r: _text(r.get("segment_column")))] if "segment_column" in keys else []),
            _Col(self.t("segment"), lambda r: self.segment_name(r.get("segment"))),
            _Col(self.t("n"), lambda r: _fmt(r.get("n"), 0), num=True),
            *[_Col(self.label(c), lambda r, c=c: _fmt(r.get("c:" + c), 1), num=True,
                   cls=lambda r, c=c: "strong" if c == construct else "") for c in constructs],
            *([_Col(self.t("status"), lambda r: self.status(r.get("status")), cls=lambda r: "nowrap")] if "status" in df.columns else []),
        ]
        blocks += [_Block("h3", self.t("segment_table")), _Block("table", _make_table(pivot, cols))]
        return _Section("segments", self.t("sec_segments"), blocks)

    def section_trend(self) -> _Section | None:
        df = self.table("wave_index")
        if df is None or df.empty or not {"wave", "construct", "index"} <= set(df.columns):
            return None
        waves = list(dict.fromkeys(df["wave"].map(_text)))
        series = []
        for construct in dict.fromkeys(df["construct"].astype(str)):
            part = df[df["construct"].astype(str) == construct]
            by_wave = {}
            for r in part.to_dict("records"):
                ok = (_text(r.get("status")) or "estimated") == "estimated"
                triple = (_num(r["index"]), _num(r.get("ci_lower")), _num(r.get("ci_upper")))
                by_wave[_text(r["wave"])] = triple if ok else (None, None, None)
            values = [by_wave.get(w, (None, None, None)) for w in waves]
            series.append(_Series(self.label(construct), values, accent=construct == self.index_construct))
        svg = line_chart(waves, series, title=self.t("trend_chart_title"), y_title=self.t("ax_index"), chart_id="trend-chart")
        # the table: one row per construct, one column per wave (and the respondents per wave)
        records = [{"name": s.label, "digits": 1, **{k: v[0] for k, v in enumerate(s.values)}} for s in series]
        if "n" in df.columns:
            wave_of = df["wave"].map(_text)
            records.append({"name": self.t("n"), "digits": 0, **{k: _num(df.loc[wave_of == w, "n"].max()) for k, w in enumerate(waves)}})
        cols = [
            _Col(self.t("construct"), lambda r: r["name"]),
            *[_Col(w, lambda r, k=k: _fmt(r.get(k), r["digits"]), num=True) for k, w in enumerate(waves)],
        ]
        blocks = [_Block("svg", svg), _Block("p", self.t("trend_note"), "note"), _Block("table", _make_table(pd.DataFrame(records), cols))]
        return _Section("trend", self.t("sec_trend"), blocks)

    def _path_name(self, r: Mapping[str, Any]) -> str:
        return f"{self.label(r.get('source'))} → {self.label(r.get('target'))}"

    def _inference_cols(self, df: pd.DataFrame) -> list[_Col]:
        return [
            *self.opt(df, "std_err", self.t("std_err"), 3),
            *self.opt(df, "t_value", self.t("t_value"), 2),
            *self.opt(df, "p_value", self.t("p_value"), fmt=_fmt_p),
            *self.ci_col(df, 3),
        ]

    def section_paths(self) -> _Section | None:
        blocks: list[_Block] = []
        paths = self.table("paths")
        if paths is not None and not paths.empty and {"source", "target", "estimate"} <= set(paths.columns):
            cols = [
                _Col(self.t("path"), self._path_name),
                _Col(self.t("estimate"), lambda r: _fmt(r.get("estimate"), 3) + _stars(r.get("p_value")), num=True),
                *self._inference_cols(paths),
            ]
            blocks += [_Block("h3", self.t("paths_title")), _Block("table", _make_table(paths, cols))]
        r2 = self.table("r2")
        if r2 is not None and not r2.empty and {"construct", "r2"} <= set(r2.columns):
            cols = [
                _Col(self.t("construct"), lambda r: self.label(r.get("construct"))),
                _Col(self.t("r2"), lambda r: _fmt(r.get("r2"), 3), num=True),
                *self.opt(r2, "r2_adj", self.t("r2_adj"), 3),
                *self.ci_col(r2, 3),
            ]
            blocks += [_Block("h3", self.t("r2_title")), _Block("table", _make_table(r2, cols))]
        effects = self.table("effects")
        if effects is not None and not effects.empty and {"source", "target", "total_effect"} <= set(effects.columns):
            cols = [
                _Col(self.t("path"), self._path_name),
                *self.opt(effects, "direct_effect", self.t("direct"), 3),
                *self.opt(effects, "indirect_effect", self.t("indirect"), 3),
                _Col(self.t("total"), lambda r: _fmt(r.get("total_effect"), 3) + _stars(r.get("p_value")), num=True),
                *self._inference_cols(effects),
            ]
            blocks += [_Block("h3", self.t("effects_title")), _Block("table", _make_table(effects, cols))]
        return _Section("paths", self.t("sec_paths"), blocks) if blocks else None

    def section_quality(self) -> _Section | None:
        blocks: list[_Block] = []
        q = self.table("quality")
        if q is not None and not q.empty and "construct" in q.columns:
            def flagged(*flags: str) -> Callable[[Mapping[str, Any]], str]:
                return lambda r: "flag" if any(bool(r.get(f)) and _text(r.get(f)).lower() not in ("false", "0", "") for f in flags) else ""

            cols = [
                _Col(self.t("construct"), lambda r: _text(r.get("label")) or self.label(r.get("construct"))),
                *([_Col(self.t("mode"), lambda r: _text(r.get("mode")))] if "mode" in q.columns else []),
                *self.opt(q, "n_items", self.t("n_items"), 0),
            ]
            for column, flags in (("alpha", ("alpha_low",)), ("rho_a", ()), ("rho_c", ("rho_c_low", "rho_c_high")), ("ave", ("ave_low",))):
                if column in q.columns:
                    cols.append(_Col(self.t(column), lambda r, c=column: _fmt(r.get(c), 3), num=True, cls=flagged(*flags)))
            table = _make_table(q, cols)
            if any("flag" in cell.cls for row in table.rows for cell in row):
                table.note = self.t("reliability_note")
            blocks += [_Block("h3", self.t("reliability_title")), _Block("table", table)]
        htmt = self.table("htmt")
        if htmt is not None and not htmt.empty and {"construct_1", "construct_2", "htmt"} <= set(htmt.columns):
            is_flag = lambda r: bool(r.get("flag")) and _text(r.get("flag")).lower() not in ("false", "0", "")  # noqa: E731
            cols = [
                _Col(self.t("pair"), lambda r: f"{self.label(r.get('construct_1'))} – {self.label(r.get('construct_2'))}"),
                _Col(self.t("htmt"), lambda r: _fmt(r.get("htmt"), 3), num=True, cls=lambda r: "flag" if is_flag(r) else ""),
                *self.ci_col(htmt, 3),
                *([_Col(self.t("flag"), lambda r: self.t("yes") if is_flag(r) else "")] if "flag" in htmt.columns else []),
            ]
            blocks += [_Block("h3", self.t("htmt_title")), _Block("table", _make_table(htmt, cols))]
        fit = self.table("fit_measures")
        if fit is not None and not fit.empty and {"measure", "value"} <= set(fit.columns):
            cols = [
                _Col(self.t("measure"), lambda r: self.known("fit_", r.get("measure"))),
                _Col(self.t("value"), lambda r: _fmt(r.get("value"), 3), num=True),
            ]
            blocks += [_Block("h3", self.t("fit_title")), _Block("table", _make_table(fit, cols))]
        flags = self.table("quality_flags")
        if flags is not None and "message" in flags.columns:
            blocks.append(_Block("h3", self.t("flags_title")))
            if flags.empty:
                blocks.append(_Block("p", self.t("no_flags")))
            else:
                cols = [
                    *([_Col(self.t("criterion"), lambda r: _text(r.get("criterion")))] if "criterion" in flags.columns else []),
                    *([_Col(self.t("construct"), lambda r: self.label(r.get("construct")))] if "construct" in flags.columns else []),
                    _Col(self.t("message"), lambda r: _text(r.get("message"))),
                    *self.opt(flags, "value", self.t("value"), 3),
                    *self.opt(flags, "threshold", self.t("threshold"), 2),
                ]
                blocks.append(_Block("table", _make_table(flags, cols)))
        return _Section("quality", self.t("sec_quality"), blocks) if blocks else None

    def section_excluded(self, limit: int = 50) -> _Section | None:
        df = self.table("excluded")
        if df is None:
            return None
        if df.empty:
            return _Section("excluded", self.t("sec_excluded"), [_Block("p", self.t("excluded_none"))])
        n_read = _num(self.meta.get("n_read"))
        blocks = [_Block("p", self.t("excluded_count", n=f"{len(df):,}", read=f"{int(n_read):,}" if n_read is not None else "?"))]
        cols = [
            *([_Col(self.t("row"), lambda r: _fmt(r.get("row"), 0), num=True)] if "row" in df.columns else []),
            *([_Col(self.t("respondent"), lambda r: _text(r.get("respondent_id")))] if "respondent_id" in df.columns else []),
            *([_Col(self.t("reason"), lambda r: _text(r.get("reason")))] if "reason" in df.columns else []),
        ]
        more = len(df) - limit
        blocks.append(_Block("table", _make_table(df, cols, limit=limit, note=self.t("excluded_more", n=f"{more:,}") if more > 0 else "")))
        return _Section("excluded", self.t("sec_excluded"), blocks)


# ====================================================================== path diagram
@dataclass
class _Edge:
    source: str
    target: str
    estimate: float | None
    p_value: float | None


_BOX_W, _COL_GAP, _ROW_GAP, _FONT, _LINE = 128.0, 72.0, 44.0, 13.0, 16.0
_LANE_STEP, _MARGIN = 26.0, 16.0


def _levels(nodes: Sequence[str], edges: Sequence[_Edge]) -> dict[str, int]:
    """Longest-path level of each node from the sources (0 for nodes without an incoming path)."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        preds.setdefault(e.target, []).append(e.source)
        preds.setdefault(e.source, [])
    level: dict[str, int] = {}

    def visit(n: str, stack: frozenset[str]) -> int:
        if n in level:
            return level[n]
        if n in stack:  # a cycle (the schema forbids it): break it here
            return 0
        level[n] = 1 + max((visit(p, stack | {n}) for p in preds[n]), default=-1)
        return level[n]

    for n in preds:
        visit(n, frozenset())
    return level


def _bezier(p0, p1, p2, p3, t):
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
    )


def _curve_points(a, b, lane_y):
    """A cubic Bézier from port a to port b whose apex (t = 0.5) lies on the lane at height lane_y."""
    dx = min(_COL_GAP * 0.9, (b[0] - a[0]) / 3)
    cy = (lane_y - 0.125 * (a[1] + b[1])) / 0.75
    return a, (a[0] + dx, cy), (b[0] - dx, cy), b


def _segment_hits_box(a, b, box, pad=4.0) -> bool:
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    for k in range(41):
        t = k / 40
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if x0 <= x <= x1 and y0 <= y <= y1:
            return True
    return False


def path_diagram(
    nodes: Sequence[str],
    edges: Sequence[_Edge],
    *,
    labels: Mapping[str, str],
    r2: Mapping[str, float | None],
    highlight: str | None = None,
    title: str = "Path diagram",
) -> Markup:
    """The structural model as SVG: constructs in columns by topological level, coefficients on the arrows."""
    nodes = list(dict.fromkeys([*nodes, *(e.source for e in edges), *(e.target for e in edges)]))
    level = _levels(nodes, edges)
    n_levels = max(level.values(), default=0) + 1
    columns: list[list[str]] = [[] for _ in range(n_levels)]
    order = {n: k for k, n in enumerate(nodes)}
    preds = {n: [e.source for e in edges if e.target == n] for n in nodes}
    rank: dict[str, float] = {}
    for lv in range(n_levels):
        members = [n for n in nodes if level[n] == lv]
        # barycentre of the predecessors' ranks keeps related constructs side by side
        placed_preds = {n: [rank[p] for p in preds[n] if p in rank] for n in members}
        key = {n: float(np.mean(placed_preds[n])) if placed_preds[n] else order[n] / 100 for n in members}
        columns[lv] = sorted(members, key=lambda n: (key[n], order[n]))
        rank.update({n: float(k) for k, n in enumerate(columns[lv])})

    text_w = _BOX_W - 16
    wrapped = {n: _wrap(labels.get(n, n), text_w, _FONT * 1.1, 3) for n in nodes}  # 1.1: the labels are bold
    has_r2 = {n: r2.get(n) is not None for n in nodes}
    box_h = 16 + max(len(w) for w in wrapped.values()) * _LINE + (18 if any(has_r2.values()) else 0) + 4
    col_h = [len(c) * box_h + (len(c) - 1) * _ROW_GAP for c in columns]
    inner_h = max(col_h, default=box_h)

    # which edges need to curve round the boxes of the columns in between
    pos: dict[str, tuple[float, float]] = {}
    for lv, members in enumerate(columns):
        x = _MARGIN + lv * (_BOX_W + _COL_GAP)
        y = (inner_h - col_h[lv]) / 2
        for n in members:
            pos[n] = (x, y)
            y += box_h + _ROW_GAP
    boxes = {n: (x, y, x + _BOX_W, y + box_h) for n, (x, y) in pos.items()}

    def centre_right(n):
        return boxes[n][2], (boxes[n][1] + boxes[n][3]) / 2

    def centre_left(n):
        return boxes[n][0], (boxes[n][1] + boxes[n][3]) / 2

    curved: dict[int, tuple[str, int]] = {}  # edge index -> (side, lane)
    lanes: dict[tuple[str, int], list[tuple[int, int]]] = {}
    needs_curve = []
    for k, e in enumerate(edges):
        a, b = centre_right(e.source), centre_left(e.target)
        others = [boxes[n] for n in nodes if n not in (e.source, e.target) and level[e.source] < level[n] < level[e.target]]
        if any(_segment_hits_box(a, b, box) for box in others):
            needs_curve.append(k)
    needs_curve.sort(key=lambda k: (level[edges[k].target] - level[edges[k].source], level[edges[k].source]))

    def unshifted_lane_y(side: str, lane: int) -> float:
        return -14 - lane * _LANE_STEP if side == "above" else inner_h + 14 + lane * _LANE_STEP

    def collisions(k: int, side: str, lane: int) -> int:
        e = edges[k]
        a, b = centre_right(e.source), centre_left(e.target)
        p = _curve_points(a, b, unshifted_lane_y(side, lane))
        samples = [_bezier(*p, j / 48) for j in range(49)]
        hit = 0
        for n in nodes:
            if n in (e.source, e.target):
                continue
            x0, y0, x1, y1 = boxes[n]
            hit += any(x0 - 5 <= x <= x1 + 5 and y0 - 5 <= y <= y1 + 5 for x, y in samples)
        return hit

    def relative_row(n: str) -> float:
        members = columns[level[n]]
        return members.index(n) / (len(members) - 1) if len(members) > 1 else 0.0

    for k in needs_curve:
        e = edges[k]
        span = (level[e.source], level[e.target])
        # constructs at the top of their columns curve above, those at the bottom below
        first = "above" if relative_row(e.source) + relative_row(e.target) <= 1.0 else "below"
        sides = (first, "below" if first == "above" else "above")
        candidates = [
            (side, lane)
            for lane in range(len(edges))
            for side in sides
            if all(span[1] <= s0 or s1 <= span[0] for s0, s1 in lanes.get((side, lane), []))
        ][:6]
        scored = [(collisions(k, side, lane), j, (side, lane)) for j, (side, lane) in enumerate(candidates)]
        best = min(scored)[2]
        lanes.setdefault(best, []).append(span)
        curved[k] = best
    n_above = 1 + max((lane for (side, lane) in lanes if side == "above"), default=-1)
    n_below = 1 + max((lane for (side, lane) in lanes if side == "below"), default=-1)

    top = _MARGIN + 10 + n_above * _LANE_STEP + (12 if n_above else 0)
    boxes = {n: (x, y + top, x2, y2 + top) for n, (x, y, x2, y2) in boxes.items()}
    width = _MARGIN * 2 + n_levels * _BOX_W + (n_levels - 1) * _COL_GAP
    height = top + inner_h + n_below * _LANE_STEP + (12 if n_below else 0) + _MARGIN + 10
    lane_y = {key: top + unshifted_lane_y(*key) for key in lanes}

    # ports: spread the arrows leaving (right side) and entering (left side) a box
    def side_rank(k: int, other: str) -> tuple:
        side = curved.get(k, ("mid", 0))
        lane = -side[1] if side[0] == "above" else side[1]
        return ({"above": 0, "mid": 1, "below": 2}[side[0]], lane, (boxes[other][1] + boxes[other][3]) / 2)

    out_port: dict[int, tuple[float, float]] = {}
    in_port: dict[int, tuple[float, float]] = {}
    for n in nodes:
        x0, y0, x1, y1 = boxes[n]
        for ports, ks, x, other in (
            (out_port, [k for k, e in enumerate(edges) if e.source == n], x1, lambda k: edges[k].target),
            (in_port, [k for k, e in enumerate(edges) if e.target == n], x0, lambda k: edges[k].source),
        ):
            ks = sorted(ks, key=lambda k: side_rank(k, other(k)))
            spacing = min(12.0, (box_h - 20) / max(len(ks) - 1, 1))
            for j, k in enumerate(ks):
                ports[k] = (x, (y0 + y1) / 2 + (j - (len(ks) - 1) / 2) * spacing)

    body: list[Markup] = [
        _el(
            "defs",
            [
                _el("marker", _el("path", d="M0,0 L10,5 L0,10 z", fill=color), id=f"arrow-{name}", viewBox="0 0 10 10",
                    refX=9.0, refY=5.0, markerWidth=7.0, markerHeight=7.0, orient="auto-start-reverse", markerUnits="userSpaceOnUse")
                for name, color in (("pos", "#2c3e50"), ("neg", "#c0392b"), ("ns", "#9aa3ab"))
            ],
        )
    ]
    edge_marks: list[Markup] = []
    edge_labels: list[Markup] = []
    for k, e in enumerate(edges):
        a, b = out_port[k], in_port[k]
        significant = e.p_value is None or e.p_value < 0.05
        kind = "ns" if not significant else "neg" if (e.estimate or 0) < 0 else "pos"
        color = {"pos": "#2c3e50", "neg": "#c0392b", "ns": "#9aa3ab"}[kind]
        stroke = 1.2 + 2.6 * min(abs(e.estimate or 0), 1.0)
        if k in curved:
            _, p1, p2, _ = _curve_points(a, b, lane_y[curved[k]])
            d = "M{},{} C{},{} {},{} {},{}".format(*map(_svg_num, (*a, *p1, *p2, *b)))
            mid = _bezier(a, p1, p2, b, 0.5)
        else:
            d = "M{},{} L{},{}".format(*map(_svg_num, (*a, *b)))
            mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        tip = f"{labels.get(e.source, e.source)} → {labels.get(e.target, e.target)}"
        coef = "" if e.estimate is None else _fmt(e.estimate, 2) + _stars(e.p_value)
        if e.p_value is not None:
            tip += f": {_fmt(e.estimate, 3)}, p = {_fmt_p(e.p_value).replace('< ', '<')}"
        elif e.estimate is not None:
            tip += f": {_fmt(e.estimate, 3)}"
        edge_marks.append(
            _el("path", _el("title", tip), d=d, fill="none", stroke=color, stroke_width=round(stroke, 2),
                stroke_dasharray=None if significant else "6 4", marker_end=f"url(#arrow-{kind})",
                class_="edge", data_source=e.source, data_target=e.target)
        )
        if coef:
            edge_labels.append(_el("text", coef, x=mid[0], y=mid[1] + 4, text_anchor="middle", font_size=12.0,
                                   class_="coef", fill=color if kind != "ns" else "#6c757d"))
    node_marks: list[Markup] = []
    for n in nodes:
        x0, y0, x1, y1 = boxes[n]
        lines = wrapped[n]
        accent = n == highlight
        parts: list[Markup] = [
            _el("title", n if labels.get(n, n) == n else f"{n}: {labels[n]}"),
            _el("rect", x=x0, y=y0, width=_BOX_W, height=box_h, rx=8.0, fill="#fdf2e3" if accent else "#eef3f8",
                stroke="#d68910" if accent else "#4e79a7", stroke_width=2.0 if accent else 1.2),
        ]
        text_block = len(lines) * _LINE
        label_top = y0 + (box_h - (18 if has_r2[n] else 0) - text_block) / 2 + _FONT - 1
        parts.append(
            _el("text", [_el("tspan", line, x=(x0 + x1) / 2, y=label_top + j * _LINE) for j, line in enumerate(lines)],
                text_anchor="middle", font_size=_FONT, font_weight="600", class_="node-label", fill="#1b2631")
        )
        if has_r2[n]:
            parts.append(_el("text", f"R² = {_fmt(r2[n], 2)}", x=(x0 + x1) / 2, y=y1 - 8, text_anchor="middle",
                             font_size=11.5, class_="r2", fill="#555f6b"))
        node_marks.append(_el("g", parts, class_="node", data_construct=n))
    body += [_el("g", edge_marks, class_="edges"), _el("g", node_marks, class_="nodes"), _el("g", edge_labels, class_="coefs")]
    return _svg(width, height, body, title=title, cls="chart path-diagram", id="path-diagram")


# ====================================================================== bar chart
@dataclass
class _Bar:
    label: str
    value: float | None
    lo: float | None = None
    hi: float | None = None
    accent: bool = False
    note: str = ""


def bar_chart(
    bars: Sequence[_Bar],
    *,
    title: str,
    chart_id: str,
    reference: float | None = None,
    reference_label: str = "",
    cls: str = "chart bar-chart",
    width: float = 720.0,
    heading: str | None = None,
) -> Markup:
    """Horizontal 0–100 bars with interval whiskers (the value written at the end of each bar)."""
    size, bar_h, gap = 12.5, 22.0, 10.0
    label_w = min(width * 0.36, max((_text_width(b.label, size) for b in bars), default=40) + 14)
    left, right, top = label_w + 8, 50.0, 38.0 if heading else 14.0
    plot_w = width - left - right
    height = top + len(bars) * (bar_h + gap) + 34
    scale = lambda v: left + plot_w * max(0.0, min(100.0, v)) / 100  # noqa: E731
    body: list[Markup] = []
    if heading:
        body.append(_label_text(8.0, 20.0, heading, 14.0, width - 16, font_weight="600", fill="#1b2631", class_="chart-title"))
    axis_y = top + len(bars) * (bar_h + gap)
    for tick in range(0, 101, 20):
        x = scale(tick)
        body.append(_el("line", x1=x, x2=x, y1=top - 4, y2=axis_y, stroke="#e3e7eb" if tick else "#9aa3ab", stroke_width=1.0))
        body.append(_el("text", str(tick), x=x, y=axis_y + 16, text_anchor="middle", font_size=11.0, fill="#555f6b"))
    for k, b in enumerate(bars):
        y = top + k * (bar_h + gap)
        cy = y + bar_h / 2
        body.append(_label_text(left - 10, cy + 4.5, b.label, size, label_w, text_anchor="end", fill="#1b2631", class_="bar-label"))
        if b.value is None:
            body.append(_el("text", b.note, x=left + 6, y=cy + 4, font_size=11.5, fill="#7f8c8d", font_style="italic", class_="bar-note"))
            continue
        tip = f"{b.label}: {_fmt(b.value, 1)}"
        if b.lo is not None and b.hi is not None:
            tip += f" [{_fmt(b.lo, 1)} – {_fmt(b.hi, 1)}]"
        body.append(_el("rect", _el("title", tip), x=left, y=y, width=max(scale(b.value) - left, 0.5), height=bar_h, rx=3.0,
                        fill=_BAR_ACCENT if b.accent else _BAR, class_="bar"))
        end = scale(b.value)
        if b.lo is not None and b.hi is not None:
            x0, x1 = scale(b.lo), scale(b.hi)
            body.append(_el("g", [
                _el("line", x1=x0, x2=x1, y1=cy, y2=cy),
                _el("line", x1=x0, x2=x0, y1=cy - 6, y2=cy + 6),
                _el("line", x1=x1, x2=x1, y1=cy - 6, y2=cy + 6),
            ], stroke="#1b2631", stroke_width=1.4, class_="whisker"))
            end = max(end, x1)
        body.append(_el("text", _fmt(b.value, 1), x=end + 6, y=cy + 4.5, font_size=12.0, font_weight="600", fill="#1b2631",
                        class_="bar-value"))
    if reference is not None:
        x = scale(reference)
        body.append(_el("line", x1=x, x2=x, y1=top - 8, y2=axis_y, stroke="#d68910", stroke_width=1.6, stroke_dasharray="5 4",
                        class_="reference"))
        body.append(_el("text", f"{reference_label} {_fmt(reference, 1)}".strip(), x=x, y=axis_y + 30,
                        text_anchor="middle", font_size=11.0, fill="#b9770e", class_="reference-label"))
        height += 8
    return _svg(width, height, body, title=title, cls=cls, id=chart_id)


# ====================================================================== IPMA scatter
@dataclass
class _Point:
    label: str
    x: float | None
    y: float | None
    quadrant: str = ""


def ipma_chart(points: Sequence[_Point], *, title: str, t: Callable[..., str], chart_id: str) -> Markup:
    """Importance (y) against performance (x) with the drivers' median lines and the quadrant names."""
    width, height = 540.0, 420.0
    left, right, top, bottom = 64.0, 24.0, 40.0, 54.0
    pts = [p for p in points if p.x is not None and p.y is not None]
    xs = [p.x for p in pts] or [0.0, 100.0]
    ys = [p.y for p in pts] or [0.0, 1.0]
    span_x = max(max(xs) - min(xs), 10.0)
    x_lo, x_hi, x_ticks = _ticks(max(0.0, min(xs) - 0.15 * span_x), min(100.0, max(xs) + 0.15 * span_x))
    span_y = max(max(ys) - min(ys), 0.1)
    y_lo, y_hi, y_ticks = _ticks(min(0.0, min(ys) - 0.1 * span_y), max(ys) + 0.2 * span_y)
    pw, ph = width - left - right, height - top - bottom
    sx = lambda v: left + pw * (v - x_lo) / (x_hi - x_lo)  # noqa: E731
    sy = lambda v: top + ph * (1 - (v - y_lo) / (y_hi - y_lo))  # noqa: E731
    body: list[Markup] = [_el("text", title, x=left, y=22.0, font_size=14.0, font_weight="600", fill="#1b2631", class_="chart-title")]
    body.append(_el("rect", x=left, y=top, width=pw, height=ph, fill="#fbfcfd", stroke="#c9d0d6"))
    for v in x_ticks:
        body.append(_el("line", x1=sx(v), x2=sx(v), y1=top, y2=top + ph, stroke="#eef1f4"))
        body.append(_el("text", _tick_label(v, x_ticks), x=sx(v), y=top + ph + 16, text_anchor="middle", font_size=11.0, fill="#555f6b"))
    for v in y_ticks:
        body.append(_el("line", x1=left, x2=left + pw, y1=sy(v), y2=sy(v), stroke="#eef1f4"))
        body.append(_el("text", _tick_label(v, y_ticks), x=left - 6, y=sy(v) + 4, text_anchor="end", font_size=11.0, fill="#555f6b"))
    body.append(_el("text", t("ax_performance"), x=left + pw / 2, y=height - 14, text_anchor="middle", font_size=12.0, fill="#1b2631"))
    body.append(_el("text", t("ax_importance"), x=16.0, y=top + ph / 2, text_anchor="middle", font_size=12.0, fill="#1b2631",
                    transform=f"rotate(-90 16 {_svg_num(top + ph / 2)})"))
    if pts:
        mx, my = float(np.median(xs)), float(np.median(ys))
        body.append(_el("line", x1=sx(mx), x2=sx(mx), y1=top, y2=top + ph, stroke="#7f8c8d", stroke_dasharray="5 4", class_="median"))
        body.append(_el("line", x1=left, x2=left + pw, y1=sy(my), y2=sy(my), stroke="#7f8c8d", stroke_dasharray="5 4", class_="median"))
    # quadrant names in the corners: importance high/low × performance low/high
    corners = (("fix first", left + 8, top + 16, "start"), ("keep up", left + pw - 8, top + 16, "end"),
               ("low priority", left + 8, top + ph - 8, "start"), ("possible overkill", left + pw - 8, top + ph - 8, "end"))
    for q, x, y, anchor in corners:
        body.append(_el("text", t(q), x=x, y=y, text_anchor=anchor, font_size=12.0, font_weight="600",
                        fill=_QUADRANT_COLOR[q], fill_opacity="0.8", class_="quadrant-name"))
    placed: list[tuple[float, float, float, float]] = [(x - (_text_width(t(q), 12) if a == "end" else 0), y - 12, _text_width(t(q), 12), 14)
                                                       for q, x, y, a in corners]
    for p in sorted(pts, key=lambda p: -p.y):
        px, py = sx(p.x), sy(p.y)
        color = _QUADRANT_COLOR.get(p.quadrant, "#4e79a7")
        tip = f"{p.label}: {t('performance')} {_fmt(p.x, 1)}, {t('importance')} {_fmt(p.y, 3)}"
        if p.quadrant:
            tip += f" ({t(p.quadrant) if p.quadrant in QUADRANTS else p.quadrant})"
        body.append(_el("circle", _el("title", tip), cx=px, cy=py, r=6.5, fill=color, fill_opacity="0.85", stroke="#fff",
                        stroke_width=1.5, class_="point"))
        text = _truncate(p.label, 170, 12)
        tw = _text_width(text, 12)
        anchor, lx = ("start", px + 10) if px + 10 + tw < left + pw - 2 else ("end", px - 10)
        x_left = lx if anchor == "start" else lx - tw
        ly = py + 4
        for shift in (0, -14, 14, -28, 28, -42, 42):
            y_try = py + 4 + shift
            box = (x_left, y_try - 11, tw, 14)
            if not any(_overlap(box, other) for other in placed) and top + 10 < y_try < top + ph - 2:
                ly = y_try
                break
        placed.append((x_left, ly - 11, tw, 14))
        body.append(_el("text", text, x=lx, y=ly, text_anchor=anchor, font_size=12.0, fill="#1b2631", class_="point-label"))
    return _svg(width, height, body, title=title, cls="chart ipma-chart", id=chart_id)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# ====================================================================== line chart
@dataclass
class _Series:
    label: str
    values: list[tuple[float | None, float | None, float | None]]  # (value, ci_lower, ci_upper) per wave
    accent: bool = False


def line_chart(waves: Sequence[str], series: Sequence[_Series], *, title: str, y_title: str, chart_id: str) -> Markup:
    """One line per construct across the waves (gaps where a wave has no estimate), legend on the right."""
    size = 12.0
    legend_w = min(220.0, max((_text_width(s.label, size) for s in series), default=40) + 34)
    width = max(720.0, 120 + 110 * len(waves) + legend_w)
    height = 340.0
    left, right, top, bottom = 56.0, legend_w + 16, 20.0, 44.0
    pw, ph = width - left - right, height - top - bottom
    vals = [v for s in series for triple in s.values for v in triple if v is not None]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 100.0)
    pad = max(2.0, 0.1 * (hi - lo))
    y_lo, y_hi, ticks = _ticks(max(0.0, lo - pad), min(100.0, hi + pad))
    step = pw / max(len(waves), 1)
    sx = lambda k: left + step * (k + 0.5)  # noqa: E731
    sy = lambda v: top + ph * (1 - (v - y_lo) / (y_hi - y_lo))  # noqa: E731
    body: list[Markup] = [_el("rect", x=left, y=top, width=pw, height=ph, fill="#fbfcfd", stroke="#c9d0d6")]
    for v in ticks:
        body.append(_el("line", x1=left, x2=left + pw, y1=sy(v), y2=sy(v), stroke="#eef1f4"))
        body.append(_el("text", _tick_label(v, ticks), x=left - 6, y=sy(v) + 4, text_anchor="end", font_size=11.0, fill="#555f6b"))
    for k, w in enumerate(waves):
        body.append(_label_text(sx(k), top + ph + 18, w, 11.5, step - 6, text_anchor="middle", fill="#1b2631", class_="wave-label"))
    body.append(_el("text", y_title, x=14.0, y=top + ph / 2, text_anchor="middle", font_size=12.0, fill="#1b2631",
                    transform=f"rotate(-90 14 {_svg_num(top + ph / 2)})"))
    for j, s in enumerate(series):
        color = _PALETTE[j % len(_PALETTE)]
        parts: list[Markup] = [_el("title", s.label)]
        run: list[tuple[float, float]] = []
        segments: list[list[tuple[float, float]]] = []
        for k, (v, _, _) in enumerate(s.values):
            if v is None:
                if run:
                    segments.append(run)
                run = []
            else:
                run.append((sx(k), sy(v)))
        if run:
            segments.append(run)
        for seg in segments:
            if len(seg) > 1:
                parts.append(_el("polyline", points=" ".join(f"{_svg_num(x)},{_svg_num(y)}" for x, y in seg), fill="none",
                                 stroke=color, stroke_width=3.2 if s.accent else 2.0, class_="line"))
        for k, (v, ci_lo, ci_hi) in enumerate(s.values):
            if v is None:
                continue
            if ci_lo is not None and ci_hi is not None:
                parts.append(_el("line", x1=sx(k), x2=sx(k), y1=sy(ci_lo), y2=sy(ci_hi), stroke=color, stroke_opacity="0.45",
                                 stroke_width=1.4, class_="whisker"))
            tip = f"{s.label}, {waves[k]}: {_fmt(v, 1)}"
            parts.append(_el("circle", _el("title", tip), cx=sx(k), cy=sy(v), r=4.5 if s.accent else 3.5, fill=color,
                             stroke="#fff", stroke_width=1.0, class_="wave-point"))
        body.append(_el("g", parts, class_="series"))
        ly = top + 10 + j * 20
        lx = left + pw + 14
        body.append(_el("line", x1=lx, x2=lx + 18, y1=ly, y2=ly, stroke=color, stroke_width=3.2 if s.accent else 2.0))
        body.append(_label_text(lx + 24, ly + 4, s.label, size, legend_w - 30, fill="#1b2631", class_="legend-label"))
    return _svg(width, height, body, title=title, cls="chart line-chart", id=chart_id)
