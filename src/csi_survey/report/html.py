"""The HTML report of a run: one self-contained file with the index, the path diagram, charts and tables.

>>> from csi_survey.report.bundle import load_bundle                    # doctest: +SKIP
>>> from csi_survey.report.html import render_html
>>> text = render_html(load_bundle("results/2026-Q3"), "results/2026-Q3/report.html")  # doctest: +SKIP

:func:`render_html` takes a run bundle (``meta``, ``tables``, ``model``: see
:mod:`csi_survey.report.bundle`) and writes one HTML file that needs no network to be viewed: no
links to other files or sites, the style sheet is inline and every chart is inline SVG. Each section
appears only when its table is in the bundle (and has rows). The sections of the PLS-SEM methods
(higher-order constructs, mediation, moderation with its simple-slope plots, overall model fit,
PLSpredict) are in :mod:`csi_survey.report.sections_methods`; the pieces the page is built of
(sections, blocks, tables) in :mod:`csi_survey.report.html_parts`. The report layer presents
results: nothing here computes a statistic (medians of the IPMA drivers are only used to place the
reference lines that the ``quadrant`` column of the table was assigned against).

**Chart approach: inline SVG drawn by the small functions of** :mod:`csi_survey.report.svg`, **no JavaScript.**
The charts are few and simple (horizontal bars with interval whiskers, a scatter with two median
lines, line charts across waves and for simple slopes, and the path diagram, which no charting
library draws anyway), so the code that draws them is short arithmetic on linear scales. We chose
this over embedding a charting library such as plotly (``include_plotlyjs=True``) because the report
is a file people attach to an e-mail and open anywhere:

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
label contains a Chinese character, else English. Every fixed text of the page is in
:data:`csi_survey.i18n.TEXTS`; the charts are drawn by :mod:`csi_survey.report.svg`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from ..i18n import LANGUAGES, TEXTS, check_language, detect_lang, text, translate
from ..ingest.columns import TOTAL_SEGMENT
from .html_parts import Block as _Block
from .html_parts import Col as _Col
from .html_parts import Section as _Section
from .html_parts import as_text as _text
from .html_parts import fmt_level as _fmt_level
from .html_parts import is_true as _true
from .html_parts import make_table as _make_table
from .sections_methods import MethodSections
from .svg import (
    QUADRANTS,
    Bar,
    Edge,
    Point,
    Series,
    bar_chart,
    element,
    finite_number,
    format_number,
    format_p,
    ipma_chart,
    line_chart,
    quadrant_chart,
    path_diagram,
    stars,
)

__all__ = ["render_html", "detect_lang", "TEXTS", "LANGUAGES"]

_QUADRANT_CLASS = {"fix first": "q-fix", "keep up": "q-keep", "possible overkill": "q-overkill", "low priority": "q-low"}


# ====================================================================== entry point
def render_html(bundle: Any, path: str | os.PathLike[str] | None = None, *, lang: str | None = None) -> str:
    """Render the HTML report of a run bundle; return the HTML text and write it to ``path`` when given.

    ``bundle`` has ``meta`` (the run's ``run.json``), ``tables`` (table name → DataFrame; every table
    is optional) and ``model`` (the :class:`~csi_survey.schema.Questionnaire`, may be None).
    ``lang`` is ``"en"`` or ``"zh"``; by default :func:`detect_lang` decides.
    The file is UTF-8 and self-contained: no network is needed to view it.
    """
    report = _Report(bundle, detect_lang(bundle) if lang is None else check_language(lang))
    text = report.render()
    if path is not None:
        _write_text(Path(path), text)
    return text




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


# ====================================================================== the report
class _Report(MethodSections):
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
        return text(self.lang, key, **fields)

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
        lo, hi = finite_number(rec.get("ci_lower")), finite_number(rec.get("ci_upper"))
        if lo is None or hi is None:
            return ""
        return f"{format_number(lo, digits)} – {format_number(hi, digits)}"

    def ci_col(self, df: pd.DataFrame, digits: int) -> list[_Col]:
        if {"ci_lower", "ci_upper"} <= set(df.columns):
            return [_Col(self.t("interval", level=self.level), lambda r: self.interval(r, digits), num=True)]
        return []

    def opt(self, df: pd.DataFrame, column: str, header: str, digits: int = 3, fmt: Callable[[Any], str] | None = None) -> list[_Col]:
        if column not in df.columns:
            return []
        formatter = fmt or (lambda v: format_number(v, digits))
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
        return self.t("total_segment") if text == TOTAL_SEGMENT else text

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
                self.section_higher_order(),
                self.section_impacts(),
                self.section_ipma(),
                self.section_quadrant(),
                self.section_gaps(),
                self.section_nps(),
                self.section_segments(),
                self.section_comparisons(),
                self.section_trend(),
                self.section_paths(),
                self.section_mediation(),
                self.section_moderation(),
                self.section_quality(),
                self.section_model_fit(),
                self.section_prediction(),
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
        if not h or finite_number(h.get("index")) is None:
            return None
        moe, lo, hi = finite_number(h.get("margin_of_error")), finite_number(h.get("ci_lower")), finite_number(h.get("ci_upper"))
        level = _fmt_level(h.get("level")) or self.level
        return {
            "value": format_number(h.get("index"), 1),
            "label": _text(h.get("label")) or self.label(h.get("construct")),
            "moe": self.t("moe", moe=format_number(moe, 1)) if moe is not None else "",
            "interval": self.t("interval_text", level=level, lo=format_number(lo, 1), hi=format_number(hi, 1)) if lo is not None and hi is not None else "",
        }

    def facts(self, model_name: str) -> list[tuple[str, str]]:
        m = self.meta
        out = []
        if model_name:
            out.append((self.t("model"), model_name))
        for key, label in (("n_used", "respondents"), ("n_read", "rows_read"), ("n_excluded", "rows_excluded")):
            if finite_number(m.get(key)) is not None:
                out.append((self.t(label), f"{int(finite_number(m.get(key))):,}"))
        if m.get("engine"):
            out.append((self.t("engine"), translate(self.lang, _text(m["engine"]))))  # the engine description, catalogued
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
            if boot.get("design") == "rao-wu":
                design = self.t("bootstrap_design_text", clusters=_text(boot.get("clusters")), strata=_text(boot.get("strata")))
                out.append((self.t("bootstrap_design"), design + (self.t("bootstrap_reraked") if boot.get("reraked") else "")))
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
            r2_map = {str(c): finite_number(v) for c, v in zip(r2["construct"], r2["r2"])}
        edges = [
            Edge(str(r["source"]), str(r["target"]), finite_number(r.get("estimate")), finite_number(r.get("p_value")))
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
        blocks = [_Block("svg", svg, "diagram"), _Block("p", note, "note")]
        reflective = self.meta.get("reflective") or []
        if reflective:
            blocks.append(_Block("p", self.t("plsc_note", constructs=", ".join(self.label(c) for c in reflective)), "note"))
            if self.meta.get("admissible") is False:
                blocks.append(_Block("p", self.t("plsc_inadmissible", reason=" ".join(translate(self.lang, str(n)) for n in self.meta.get("notes") or [])), "warning"))
        return _Section("model", self.t("sec_model"), blocks)

    def section_index(self) -> _Section | None:
        df = self.table("index")
        if df is None or not {"construct", "index"} <= set(df.columns):
            return None
        name = lambda r: _text(r.get("label")) or self.label(r["construct"])  # noqa: E731
        terms = self.interaction_terms()  # interaction terms of a moderation have no 0–100 index: say so at their bar
        rows = [
            Bar(name(r), finite_number(r["index"]), finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper")),
                 accent=str(r["construct"]) == str(self.index_construct),
                 note=self.t("interaction_no_index") if str(r["construct"]) in terms else "")
            for r in df.to_dict("records")
        ]
        has_ci = {"ci_lower", "ci_upper"} <= set(df.columns) and df["ci_lower"].notna().any()
        blocks = [_Block("svg", bar_chart(rows, title=self.t("index_chart_title"), chart_id="index-chart"))]
        blocks.append(_Block("p", self.t("index_note_ci", level=self.level) if has_ci else self.t("index_note"), "note"))
        cols = [
            _Col(self.t("construct"), name),
            _Col(self.t("index"), lambda r: format_number(r.get("index"), 1), num=True),
            *self.opt(df, "margin_of_error", self.t("margin"), 1),
            *self.ci_col(df, 1),
            *self.opt(df, "std_err", self.t("std_err"), 2),
            *self.opt(df, "n", self.t("n"), 0),
        ]
        blocks.append(_Block("table", _make_table(df, cols)))
        blocks += self.overall_blocks()
        return _Section("index", self.t("sec_index"), blocks)

    def overall_blocks(self) -> list[_Block]:
        """The overall index of the run (``--overall-weights``): its value and interval, and the
        constructs it weights with their shares."""
        overall, weights = self.table("overall_index"), self.table("overall_weights")
        if overall is None or overall.empty or "index" not in overall.columns:
            return []
        cols = [
            _Col(self.t("index"), lambda r: format_number(r.get("index"), 1), num=True),
            *self.ci_col(overall, 1),
            *self.opt(overall, "std_err", self.t("std_err"), 2),
        ]
        blocks = [_Block("h3", self.t("overall_title")), _Block("p", self.t("overall_note"), "note"),
                  _Block("table", _make_table(overall, cols))]
        if weights is not None and not weights.empty and {"construct", "share"} <= set(weights.columns):
            wcols = [
                _Col(self.t("construct"), lambda r: _text(r.get("label")) or self.label(r["construct"])),
                _Col(self.t("overall_weight"), lambda r: format_number(r.get("weight"), 3), num=True),
                _Col(self.t("overall_share"), lambda r: format_number(100 * (finite_number(r.get("share")) or 0.0), 1) + " %", num=True),
                _Col(self.t("index"), lambda r: format_number(r.get("index"), 1), num=True),
            ]
            blocks.append(_Block("table", _make_table(weights, wcols)))
        return blocks

    def section_impacts(self) -> _Section | None:
        df = self.table("impacts")
        if df is None or not {"target", "driver", "impact"} <= set(df.columns) or df.empty:
            return None
        step = f"{finite_number(self.meta.get('impact_step')) or 5.0:g}"
        cols = [
            _Col(self.t("target"), lambda r: self.label(r["target"])),
            _Col(self.t("driver"), lambda r: self.label(r["driver"])),
            *self.opt(df, "total_effect_100", self.t("total_effect_100"), 3),
            _Col(self.t("impact", step=step), lambda r: format_number(r.get("impact"), 2), num=True),
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
                Point(
                    _text(r.get("label")) or self.label(r.get("driver")),
                    finite_number(r["performance"]),
                    finite_number(r["importance"]),
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
            return element("span", self.t(q) if q in QUADRANTS else q, class_=f"badge {_QUADRANT_CLASS.get(q, '')}".strip())

        tail = [
            _Col(self.t("importance"), lambda r: format_number(r.get("importance"), 3), num=True),
            _Col(self.t("performance"), lambda r: format_number(r.get("performance"), 1), num=True),
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

    def section_quadrant(self) -> _Section | None:
        """The 四分图 (table ``quadrant``): importance × satisfaction, cut at the means the table carries."""
        df = self.table("quadrant")
        if df is None or df.empty or not {"target", "importance", "satisfaction", "quadrant"} <= set(df.columns):
            return None
        blocks: list[_Block] = []
        charts = []
        for target in dict.fromkeys(df["target"].tolist()):
            rows = df[df["target"] == target]
            points = [
                Point(_text(r.get("label")) or self.label(r.get("driver")), finite_number(r["satisfaction"]),
                      finite_number(r["importance"]), f"q_{_text(r.get('quadrant'))}" if _text(r.get("quadrant")) else "")
                for r in rows.to_dict("records")
            ]
            first = rows.iloc[0]
            cuts = (finite_number(first.get("satisfaction_cut")), finite_number(first.get("importance_cut")))
            if None in cuts:
                continue
            title = self.t("quadrant_title", target=self.label(target))
            charts.append(quadrant_chart(points, title=title, t=self.t, chart_id=f"quadrant-{len(charts) + 1}", cuts=cuts))
        if charts:
            blocks.append(_Block("figure", charts))
            source = _text(df["importance_source"].iloc[0]) if "importance_source" in df.columns else "derived"
            importance = self.t("quadrant_stated" if source == "stated" else "quadrant_derived")
            blocks.append(_Block("p", self.t("quadrant_note", importance=importance), "note"))
        badge = {"improve": "q-fix", "advantage": "q-keep", "maintain": "q-overkill", "opportunity": "q-low"}

        def name(r: Mapping[str, Any]) -> Any:
            q = _text(r.get("quadrant"))
            return element("span", self.t(f"q_{q}") if q else "", class_=f"badge {badge.get(q, '')}".strip())

        cols = [
            _Col(self.t("driver"), lambda r: _text(r.get("item")) or self.label(r.get("driver")), cls=lambda r: "nowrap"),
            _Col(self.t("importance"), lambda r: format_number(r.get("importance"), 3), num=True),
            _Col(self.t("satisfaction_0_100"), lambda r: format_number(r.get("satisfaction"), 1), num=True),
            _Col(self.t("quadrant"), name),
        ]
        blocks.append(_Block("table", _make_table(df, cols)))
        return _Section("quadrant", self.t("sec_quadrant"), blocks)

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
            _Col(self.t("gap"), lambda r: format_number(r.get("gap"), 2), num=True, cls=lambda r: "neg" if (finite_number(r.get("gap")) or 0) < 0 else ""),
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
                _Col(self.t("nps"), lambda r: format_number(r.get("nps"), 1), num=True, cls=lambda r: "strong"),
                *self.ci_col(nps, 1),
            ]
            blocks += [_Block("h3", self.t("nps_title")), _Block("table", _make_table(nps, cols, note=self.t("nps_note")))]
        csat = self.table("csat")
        if csat is not None and not csat.empty and "top_box_share" in csat.columns:
            cols = [
                *self._segment_cols(csat),
                _Col(self.t("top_box"), lambda r: format_number(r.get("top_box_share"), 1), num=True, cls=lambda r: "strong"),
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
        total = rows[rows["segment"].map(_text) == TOTAL_SEGMENT]
        total_value = finite_number(total["index"].iloc[0]) if len(total) else None
        blocks: list[_Block] = []
        charts = []
        for column in dict.fromkeys(c for c in seg_col.tolist() if c):
            part = rows[(seg_col == column) & (rows["segment"].map(_text) != TOTAL_SEGMENT)]
            bars = []
            for r in part.to_dict("records"):
                status = _text(r.get("status")) or "estimated"
                value = finite_number(r.get("index")) if status == "estimated" else None
                note = "" if value is not None else (self.status(status) if status != "estimated" else self.t("not_estimated"))
                n = finite_number(r.get("n"))
                name = _text(r.get("segment")) + (f" (n = {int(n)})" if n is not None else "")
                bars.append(Bar(name, value, finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper")), note=note))
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
            _Col(self.t("n"), lambda r: format_number(r.get("n"), 0), num=True),
            *[_Col(self.label(c), lambda r, c=c: format_number(r.get("c:" + c), 1), num=True,
                   cls=lambda r, c=c: "strong" if c == construct else "") for c in constructs],
            *([_Col(self.t("status"), lambda r: self.status(r.get("status")), cls=lambda r: "nowrap")] if "status" in df.columns else []),
        ]
        blocks += [_Block("h3", self.t("segment_table")), _Block("table", _make_table(pivot, cols))]
        return _Section("segments", self.t("sec_segments"), blocks)

    def _statistic_name(self, r: Mapping[str, Any]) -> str:
        if _text(r.get("statistic")) == "path":
            return self._path_name(r)
        return self.label(r.get("source"))

    def section_comparisons(self) -> _Section | None:
        """The omnibus tests, the pairwise differences that stay significant after the correction, and MICOM."""
        omnibus, pairs, micom = self.table("segment_omnibus"), self.table("segment_differences"), self.table("micom")
        blocks: list[_Block] = []
        yes = lambda r, c: self.t("yes") if _true(r.get(c)) else self.t("no")  # noqa: E731
        if omnibus is not None and not omnibus.empty and {"statistic", "source", "p_value"} <= set(omnibus.columns):
            cols = [
                *([_Col(self.t("segment_column"), lambda r: _text(r.get("segment_column")))] if "segment_column" in omnibus.columns else []),
                _Col(self.t("statistic"), self._statistic_name),
                *self.opt(omnibus, "segments", self.t("segments_k"), 0),
                _Col(self.t("range"), lambda r: self._range(r), num=True),
                _Col(self.t("p_value"), lambda r: format_p(r.get("p_value")), num=True,
                     cls=lambda r: "strong" if _true(r.get("significant")) else ""),
                *([_Col(self.t("significant"), lambda r: self.t("yes") if _true(r.get("significant")) else "")] if "significant" in omnibus.columns else []),
            ]
            blocks += [_Block("h3", self.t("omnibus_title")), _Block("table", _make_table(omnibus, cols))]
        if pairs is not None and not pairs.empty and {"segment_a", "segment_b", "difference"} <= set(pairs.columns):
            shown = pairs[pairs["significant"].map(_true)] if "significant" in pairs.columns else pairs
            blocks.append(_Block("h3", self.t("pairwise_title")))
            if shown.empty:
                blocks.append(_Block("p", self.t("pairwise_none")))
            else:
                digits = lambda r: 1 if _text(r.get("statistic")) == "index" else 3  # noqa: E731
                cols = [
                    *([_Col(self.t("segment_column"), lambda r: _text(r.get("segment_column")))] if "segment_column" in pairs.columns else []),
                    _Col(self.t("segment_pair"), self._pair_name, cls=lambda r: "nowrap"),
                    _Col(self.t("statistic"), self._statistic_name),
                    _Col(self.t("difference"), lambda r: format_number(r.get("difference"), digits(r)), num=True,
                         cls=lambda r: "neg" if (finite_number(r.get("difference")) or 0) < 0 else ""),
                    *self.opt(pairs, "p_value", self.t("p_value"), fmt=format_p),
                    *self.opt(pairs, "p_adjusted", self.t("p_adjusted"), fmt=format_p),
                ]
                blocks.append(_Block("table", _make_table(shown, cols, limit=60, note=self.t("pairwise_note"))))
        if micom is not None and not micom.empty and {"segment_a", "segment_b", "construct", "invariance"} <= set(micom.columns):
            alpha = self._alpha()
            failing = micom[micom["invariance"].map(_text) == "none"]
            cols = [
                *([_Col(self.t("segment_column"), lambda r: _text(r.get("segment_column")))] if "segment_column" in micom.columns else []),
                _Col(self.t("segment_pair"), self._pair_name, cls=lambda r: "nowrap"),
                _Col(self.t("construct"), lambda r: self.label(r.get("construct"))),
                *self.opt(micom, "c", self.t("c_value"), 4),
                *self.opt(micom, "c_critical", self.t("c_critical", alpha=alpha), 4),
                *self.opt(micom, "c_p_value", self.t("p_value"), fmt=format_p),
                *self.opt(micom, "c_p_adjusted", self.t("p_adjusted"), fmt=format_p),
                *([_Col(self.t("equal_means"), lambda r: yes(r, "equal_means"))] if "equal_means" in micom.columns else []),
                *([_Col(self.t("equal_variances"), lambda r: yes(r, "equal_variances"))] if "equal_variances" in micom.columns else []),
                _Col(self.t("invariance"), lambda r: self.known("inv_", r.get("invariance")),
                     cls=lambda r: "flag" if _text(r.get("invariance")) == "none" else ""),
            ]
            blocks += [_Block("h3", self.t("micom_title")), _Block("table", _make_table(micom, cols, note=self.t("micom_note", alpha=alpha)))]
            if not failing.empty:
                items = "; ".join(f"{self.label(r.get('construct'))} ({_text(r.get('segment_a'))} – {_text(r.get('segment_b'))})"
                                  for r in failing.to_dict("records"))
                blocks.append(_Block("p", self.t("micom_failures", items=items), "warning"))
        if not blocks:
            return None
        correction = pairs["correction"].iloc[0] if pairs is not None and "correction" in pairs.columns and len(pairs) else \
            (self.meta.get("settings") or {}).get("correction", "holm")
        blocks.insert(0, _Block("p", self.t("comparisons_note", correction=self.known("correction_", correction)), "note"))
        return _Section("comparisons", self.t("sec_comparisons"), blocks)

    def _pair_name(self, r: Mapping[str, Any]) -> str:
        return f"{_text(r.get('segment_a'))} – {_text(r.get('segment_b'))}"

    def _range(self, r: Mapping[str, Any]) -> str:
        digits = 1 if _text(r.get("statistic")) == "index" else 3
        lo, hi = finite_number(r.get("value_min")), finite_number(r.get("value_max"))
        return "" if lo is None or hi is None else f"{format_number(lo, digits)} – {format_number(hi, digits)}"

    def _alpha(self) -> str:
        level = finite_number((self.meta.get("settings") or {}).get("level"))
        return _fmt_level(1 - level if level is not None and 0 < level < 1 else 0.05)

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
                triple = (finite_number(r["index"]), finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper")))
                by_wave[_text(r["wave"])] = triple if ok else (None, None, None)
            values = [by_wave.get(w, (None, None, None)) for w in waves]
            series.append(Series(self.label(construct), values, accent=construct == self.index_construct))
        svg = line_chart(waves, series, title=self.t("trend_chart_title"), y_title=self.t("ax_index"), chart_id="trend-chart")
        # the table: one row per construct, one column per wave (and the respondents per wave)
        records = [{"name": s.label, "digits": 1, **{k: v[0] for k, v in enumerate(s.values)}} for s in series]
        if "n" in df.columns:
            wave_of = df["wave"].map(_text)
            records.append({"name": self.t("n"), "digits": 0, **{k: finite_number(df.loc[wave_of == w, "n"].max()) for k, w in enumerate(waves)}})
        cols = [
            _Col(self.t("construct"), lambda r: r["name"]),
            *[_Col(w, lambda r, k=k: format_number(r.get(k), r["digits"]), num=True) for k, w in enumerate(waves)],
        ]
        blocks = [_Block("svg", svg), _Block("p", self.t("trend_note"), "note"), _Block("table", _make_table(pd.DataFrame(records), cols))]
        blocks += self.wave_change_blocks()
        return _Section("trend", self.t("sec_trend"), blocks)

    def wave_change_blocks(self) -> list[_Block]:
        """The index construct's change since the previous wave, for all respondents and (when the run
        had segments) every segment: ▲/▼ only where significant after the multiplicity correction."""
        df = self.table("segment_wave_changes")
        if df is None or df.empty:
            df = self.table("wave_changes")
        if df is None or df.empty or "change" not in df.columns:
            return []
        construct = self.index_construct
        if construct is not None:
            df = df[df["construct"].astype(str) == construct]

        def change(r: Mapping[str, Any]) -> str:
            value = finite_number(r.get("change"))
            if value is None:
                return "–"
            arrow = (" ▲" if value > 0 else " ▼") if str(r.get("significant")).lower() == "true" else ""
            return f"{value:+.1f}{arrow}"

        def interval(r: Mapping[str, Any]) -> str:
            lo, hi = finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper"))
            return "–" if lo is None or hi is None else f"{lo:+.1f} – {hi:+.1f}"

        cols = [
            _Col(self.t("wave"), lambda r: f"{_text(r.get('wave'))} / {_text(r.get('previous_wave'))}"),
            *([_Col(self.t("segment"), lambda r: self.segment_name(r.get("segment")))] if "segment" in df.columns else []),
            _Col(self.t("change"), change, num=True),
            _Col(self.t("interval", level=self.level), interval, num=True),
            _Col(self.t("p_adjusted"), lambda r: format_p(r.get("p_adjusted")), num=True),
        ]
        if "pairing" in df.columns and df["pairing"].astype(str).eq("paired").any():
            cols.append(_Col(self.t("pairing"), lambda r: self.t(f"pairing_{r.get('pairing')}")
                             if str(r.get("pairing")) in ("paired", "independent") else "–"))
        return [_Block("h3", self.t("changes_title")), _Block("p", self.t("changes_note"), "note"), _Block("table", _make_table(df, cols))]

    def _path_name(self, r: Mapping[str, Any]) -> str:
        return f"{self.label(r.get('source'))} → {self.label(r.get('target'))}"

    def _inference_cols(self, df: pd.DataFrame) -> list[_Col]:
        return [
            *self.opt(df, "std_err", self.t("std_err"), 3),
            *self.opt(df, "t_value", self.t("t_value"), 2),
            *self.opt(df, "p_value", self.t("p_value"), fmt=format_p),
            *self.ci_col(df, 3),
        ]

    def section_paths(self) -> _Section | None:
        blocks: list[_Block] = []
        paths = self.table("paths")
        if paths is not None and not paths.empty and {"source", "target", "estimate"} <= set(paths.columns):
            cols = [
                _Col(self.t("path"), self._path_name),
                _Col(self.t("estimate"), lambda r: format_number(r.get("estimate"), 3) + stars(r.get("p_value")), num=True),
                *self._inference_cols(paths),
            ]
            blocks += [_Block("h3", self.t("paths_title")), _Block("table", _make_table(paths, cols))]
        r2 = self.table("r2")
        if r2 is not None and not r2.empty and {"construct", "r2"} <= set(r2.columns):
            cols = [
                _Col(self.t("construct"), lambda r: self.label(r.get("construct"))),
                _Col(self.t("r2"), lambda r: format_number(r.get("r2"), 3), num=True),
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
                _Col(self.t("total"), lambda r: format_number(r.get("total_effect"), 3) + stars(r.get("p_value")), num=True),
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
                    cols.append(_Col(self.t(column), lambda r, c=column: format_number(r.get(c), 3), num=True, cls=flagged(*flags)))
            table = _make_table(q, cols)
            if any("flag" in cell.cls for row in table.rows for cell in row):
                table.note = self.t("reliability_note")
            blocks += [_Block("h3", self.t("reliability_title")), _Block("table", table)]
        htmt = self.table("htmt")
        if htmt is not None and not htmt.empty and {"construct_1", "construct_2", "htmt"} <= set(htmt.columns):
            is_flag = lambda r: bool(r.get("flag")) and _text(r.get("flag")).lower() not in ("false", "0", "")  # noqa: E731
            cols = [
                _Col(self.t("pair"), lambda r: f"{self.label(r.get('construct_1'))} – {self.label(r.get('construct_2'))}"),
                _Col(self.t("htmt"), lambda r: format_number(r.get("htmt"), 3), num=True, cls=lambda r: "flag" if is_flag(r) else ""),
                *self.ci_col(htmt, 3),
                *self.opt(htmt, "htmt2", self.t("htmt2"), 3),
                *([_Col(self.t("flag"), lambda r: self.t("yes") if is_flag(r) else "")] if "flag" in htmt.columns else []),
            ]
            conventions = set(htmt["convention"].dropna().astype(str)) if "convention" in htmt.columns else {"signed"}
            note = " ".join([self.t(f"htmt_note_{c}") for c in ("signed", "absolute") if c in conventions]
                            + ([self.t("htmt2_note")] if "htmt2" in htmt.columns else []))
            blocks += [_Block("h3", self.t("htmt_title")), _Block("table", _make_table(htmt, cols, note=note))]
        fit = self.table("fit_measures")
        # with the overall-fit tables, SRMR and GoF are shown in the model-fit section instead
        if fit is not None and not fit.empty and {"measure", "value"} <= set(fit.columns) and not self.has_rows("model_fit", "measure"):
            cols = [
                _Col(self.t("measure"), lambda r: self.known("fit_", r.get("measure"))),
                _Col(self.t("value"), lambda r: format_number(r.get("value"), 3), num=True),
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
        n_read = finite_number(self.meta.get("n_read"))
        blocks = [_Block("p", self.t("excluded_count", n=f"{len(df):,}", read=f"{int(n_read):,}" if n_read is not None else "?"))]
        cols = [
            *([_Col(self.t("row"), lambda r: format_number(r.get("row"), 0), num=True)] if "row" in df.columns else []),
            *([_Col(self.t("respondent"), lambda r: _text(r.get("respondent_id")))] if "respondent_id" in df.columns else []),
            *([_Col(self.t("reason"), lambda r: translate(self.lang, _text(r.get("reason"))))] if "reason" in df.columns else []),
        ]
        more = len(df) - limit
        blocks.append(_Block("table", _make_table(df, cols, limit=limit, note=self.t("excluded_more", n=f"{more:,}") if more > 0 else "")))
        return _Section("excluded", self.t("sec_excluded"), blocks)
