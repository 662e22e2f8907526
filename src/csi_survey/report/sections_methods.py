"""The sections of the HTML report for the PLS-SEM methods of a run: higher-order constructs,
mediation, moderation, overall model fit and predictive power (PLSpredict).

:class:`MethodSections` is a mixin of the report (:class:`csi_survey.report.html`'s ``_Report``):
each ``section_*`` method reads its tables from the run bundle and returns a
:class:`~csi_survey.report.html_parts.Section`, or ``None`` when the run has no such table (or an
empty one). The tables (names and columns as the run writes them):

* ``higher_order`` — ``construct, dimension, weight, loading, index_weight, dimension_index``
  (:attr:`csi_survey.higher_order.HigherOrderResults.dimensions`); the index of the higher-order
  construct itself (and its interval) comes from the ``index`` table;
* ``mediation`` — the ``effects`` of :func:`csi_survey.mediation.mediation` plus ``sentence`` (the
  plain-language sentence, in the run's language); ``indirect_effects`` — its ``indirect`` table
  (every chain; the section lists the :data:`MAX_CHAINS` largest);
* ``interaction_effects``, ``simple_slopes``, ``slope_plot`` — the moderation tables of
  :class:`csi_survey.interactions.ModerationResults` (one simple-slope plot per interaction path,
  drawn by :func:`csi_survey.report.svg.slope_chart`);
* ``model_fit`` — :attr:`csi_survey.model_fit.ModelFit.measures`; ``fit_test`` —
  :attr:`csi_survey.model_fit.OverallFitTest.table`. Under the test the report quotes
  ``meta["fit_test"]`` (``resamples``, ``used``, ``seed``) when the run records it, else
  ``meta["settings"]["fit_test"]`` (resamples) and ``meta["settings"]["seed"]``;
* ``prediction``, ``prediction_summary`` — :class:`csi_survey.predict.PredictResults` ``items``
  and ``verdict``. The section quotes the design from ``meta["prediction"]`` (``folds`` — None
  for leave-one-out —, ``repetitions``, ``seed``) when the run records it, else from
  ``meta["settings"]`` (``predict`` = folds or ``"loo"``, ``predict_repetitions``, ``seed``).

Presentation only: every number is a cell of these tables (the report sorts and selects rows and
compares two cells for emphasis, nothing more). Every text is an entry of
:data:`csi_survey.i18n.TEXTS` (the names of the types of mediation:
:data:`csi_survey.i18n.MEDIATION_TEXTS`), so each section exists in English and Chinese; texts from
the input (labels, ids, sentences) are escaped by the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..i18n import MEDIATION_TEXTS
from ..i18n import text as _catalogue_text
from .html_parts import Block, Col, Section, as_text, is_true, make_table
from .svg import SlopeLine, element, finite_number, format_number, format_p, slope_chart, stars

__all__ = ["MethodSections", "MAX_CHAINS", "FIT_MEASURES_SHOWN"]

#: The mediation section lists at most this many specific indirect effects (the largest by absolute size).
MAX_CHAINS = 30
#: The discrepancies shown in the model-fit section (the others are in model_fit.csv and report.xlsx).
FIT_MEASURES_SHOWN = ("srmr", "d_uls", "d_g")
_ARROW = " → "
_POWER_CLASS = {"high": "p-high", "medium": "p-medium", "low": "p-low", "none": "p-none"}


def _rows(df: pd.DataFrame | None, *columns: str) -> bool:
    return df is not None and not df.empty and set(columns) <= set(df.columns)


def _ordered(df: pd.DataFrame, column: str) -> list[str]:
    return list(dict.fromkeys(df[column].map(as_text)))


class MethodSections:
    """The method sections of the run's HTML report (a mixin of the report: it uses the report's
    ``t``, ``lang``, ``meta``, ``level``, ``label``, ``table``, ``opt``, ``known``, ``_path_name``
    and ``_inference_cols``)."""

    # ---------------------------------------------------------------- helpers
    def _interaction_name(self, r: Mapping[str, Any]) -> str:
        iv, moderator = as_text(r.get("iv")), as_text(r.get("moderator"))
        if iv and moderator:
            return f"{self.label(iv)} × {self.label(moderator)}"
        return self.label(r.get("interaction") if "interaction" in r else r.get("source"))

    def _moderator_level(self, value: Any) -> str:
        x = finite_number(value)
        if x is None:
            return as_text(value)
        for level, key in ((-1.0, "level_low"), (0.0, "level_mean"), (1.0, "level_high")):
            if abs(x - level) < 1e-9:
                return self.t(key)
        return self.t("level_sd", value=f"{x:+g}")

    def _chain_name(self, path: Any) -> str:
        return _ARROW.join(self.label(c) for c in as_text(path).split(_ARROW))

    def interaction_terms(self) -> set[str]:
        """The construct ids of the run's interaction terms (the sources of ``interaction_effects``)."""
        effects = self.table("interaction_effects")
        return set(effects["source"].map(as_text)) if _rows(effects, "source") else set()

    def _settings(self) -> Mapping[str, Any]:
        settings = self.meta.get("settings")
        return settings if isinstance(settings, Mapping) else {}

    def _mediation_type(self, value: Any) -> str:
        key = "label_" + as_text(value)
        return _catalogue_text(self.lang, key, "mediation") if key in MEDIATION_TEXTS["en"] else as_text(value)

    # ---------------------------------------------------------------- higher-order constructs
    def section_higher_order(self) -> Section | None:
        df = self.table("higher_order")
        if not _rows(df, "construct", "dimension"):
            return None
        index = self.table("index")
        by_construct: dict[str, Mapping[str, Any]] = {}
        if _rows(index, "construct", "index"):
            by_construct = {as_text(r["construct"]): r for r in index.to_dict("records")}
        blocks = [Block("p", self.t("higher_order_note"), "note")]
        for hoc in _ordered(df, "construct"):
            part = df[df["construct"].map(as_text) == hoc]
            rec = by_construct.get(hoc, {})
            value = finite_number(rec.get("index"))
            if value is None:
                blocks.append(Block("h3", self.label(hoc)))
            else:
                lo, hi = finite_number(rec.get("ci_lower")), finite_number(rec.get("ci_upper"))
                fields = {"construct": self.label(hoc), "index": format_number(value, 1)}
                title = self.t("higher_order_title", **fields) if lo is None or hi is None else \
                    self.t("higher_order_title_ci", **fields, level=self.level, lo=format_number(lo, 1), hi=format_number(hi, 1))
                blocks.append(Block("h3", title))
            cols = [
                Col(self.t("dimension"), lambda r: self.label(r.get("dimension"))),
                *self.opt(part, "dimension_index", self.t("index"), 1),
                *self.opt(part, "weight", self.t("weight"), 3),
                *self.opt(part, "loading", self.t("loading"), 3),
                *self.opt(part, "index_weight", self.t("index_share"),
                          fmt=lambda v: "" if finite_number(v) is None else format_number(100 * finite_number(v), 1) + " %"),
            ]
            blocks.append(Block("table", make_table(part, cols)))
        return Section("higher-order", self.t("sec_higher_order"), blocks)

    # ---------------------------------------------------------------- mediation
    def section_mediation(self) -> Section | None:
        effects, chains = self.table("mediation"), self.table("indirect_effects")
        has_effects = _rows(effects, "source", "target", "total_indirect")
        has_chains = _rows(chains, "path", "estimate")
        if not has_effects and not has_chains:
            return None
        tested = (has_effects and "total_indirect_ci_lower" in effects.columns and effects["total_indirect_ci_lower"].notna().any()) \
            or (has_chains and "ci_lower" in chains.columns and chains["ci_lower"].notna().any())
        blocks = [Block("p", self.t("mediation_note", level=self.level) if tested else self.t("mediation_untested"), "note")]
        if has_effects:
            sentences = [as_text(s) for s in effects["sentence"]] if "sentence" in effects.columns else []
            sentences = [s for s in sentences if s.strip()]
            if sentences:
                blocks += [Block("h3", self.t("mediation_sentences")), Block("list", sentences, "sentences")]
            table = make_table(effects, self._mediation_cols(effects))
            table.cls = "wrap-head"
            blocks += [Block("h3", self.t("mediation_effects_title")), Block("table", table)]
        if has_chains:
            order = chains["estimate"].map(lambda v: -abs(finite_number(v) or 0.0)).sort_values(kind="stable").index
            shown = chains.loc[order]
            cols = [
                Col(self.t("chain"), lambda r: self._chain_name(r.get("path"))),
                Col(self.t("estimate"), lambda r: format_number(r.get("estimate"), 3) + stars(r.get("p_value")), num=True),
                *self._inference_cols(chains),
            ]
            more = len(chains) - MAX_CHAINS
            note = self.t("mediation_chains_more", shown=MAX_CHAINS, n=len(chains)) if more > 0 else ""
            blocks += [Block("h3", self.t("mediation_chains_title")),
                       Block("table", make_table(shown, cols, limit=MAX_CHAINS, note=note))]
        return Section("mediation", self.t("sec_mediation"), blocks)

    def _mediation_cols(self, effects: pd.DataFrame) -> list[Col]:
        def direct(r: Mapping[str, Any]) -> str:
            if "direct_path" in r and not is_true(r.get("direct_path")):
                return "–"
            return format_number(r.get("direct"), 3) + stars(r.get("direct_p_value"))

        def share(r: Mapping[str, Any]) -> str:
            d, i, s = finite_number(r.get("direct")), finite_number(r.get("total_indirect")), finite_number(r.get("share_indirect"))
            if s is None or d is None or i is None or d * i < 0:
                return "–"  # opposite signs: no share can be said to run through the mediators
            return format_number(100 * s, 0) + " %"

        def interval(r: Mapping[str, Any]) -> str:
            lo, hi = finite_number(r.get("total_indirect_ci_lower")), finite_number(r.get("total_indirect_ci_upper"))
            return "" if lo is None or hi is None else f"{format_number(lo, 3)} – {format_number(hi, 3)}"

        has_interval = {"total_indirect_ci_lower", "total_indirect_ci_upper"} <= set(effects.columns)
        return [
            Col(self.t("path"), self._path_name),
            *([Col(self.t("direct"), direct, num=True)] if "direct" in effects.columns else []),
            Col(self.t("total_indirect"), lambda r: format_number(r.get("total_indirect"), 3) + stars(r.get("total_indirect_p_value")),
                num=True),
            *([Col(self.t("indirect_interval", level=self.level), interval, num=True)] if has_interval else []),
            *self.opt(effects, "total", self.t("total"), 3),
            *([Col(self.t("share_indirect"), share, num=True)] if "share_indirect" in effects.columns else []),
            *([Col(self.t("mediation_type"), lambda r: self._mediation_type(r.get("mediation")))] if "mediation" in effects.columns else []),
            *self.opt(effects, "chains", self.t("chains"), 0),
        ]

    # ---------------------------------------------------------------- moderation
    def section_moderation(self) -> Section | None:
        effects, slopes, plot = self.table("interaction_effects"), self.table("simple_slopes"), self.table("slope_plot")
        has_effects = _rows(effects, "target", "estimate")
        has_slopes = _rows(slopes, "target", "moderator_level", "estimate")
        has_plot = _rows(plot, "target", "iv_level", "moderator_level", "estimate")
        if not (has_effects or has_slopes or has_plot):
            return None
        blocks = [Block("p", self.t("moderation_note"), "note"), Block("p", self.t("moderation_no_index"), "note")]
        if has_effects:
            cols = [
                Col(self.t("interaction"), self._interaction_name),
                Col(self.t("target"), lambda r: self.label(r.get("target"))),
                *([Col(self.t("method"), lambda r: self.known("method_", r.get("method")), cls=lambda r: "nowrap")]
                  if "method" in effects.columns else []),
                Col(self.t("interaction_rescaled"), lambda r: format_number(r.get("estimate"), 3) + stars(r.get("p_value")), num=True),
                *self.opt(effects, "estimate_unit_variance", self.t("interaction_standardized"), 3),
                *self.opt(effects, "f_square", self.t("f_square"), 3),
                *self.opt(effects, "adjustment", self.t("adjustment"), 3),
                *self._inference_cols(effects),
            ]
            table = make_table(effects, cols)
            table.cls = "wrap-head"
            blocks.append(Block("table", table))
        if has_plot:
            charts = self._slope_charts(plot)
            if charts:
                blocks += [Block("figure", charts), Block("p", self.t("slope_plot_note"), "note")]
        if has_slopes:
            cols = [
                Col(self.t("interaction"), self._interaction_name),
                Col(self.t("target"), lambda r: self.label(r.get("target"))),
                Col(self.t("moderator_level"), lambda r: self._moderator_level(r.get("moderator_level")), cls=lambda r: "nowrap"),
                Col(self.t("simple_slope"), lambda r: format_number(r.get("estimate"), 3) + stars(r.get("p_value")), num=True),
                *self._inference_cols(slopes),
            ]
            blocks += [Block("h3", self.t("simple_slopes_title")),
                       Block("table", make_table(slopes, cols, note=self.t("simple_slopes_note")))]
        return Section("moderation", self.t("sec_moderation"), blocks)

    def _slope_charts(self, plot: pd.DataFrame) -> list[Any]:
        """One simple-slope plot per interaction path (interaction × target) of the ``slope_plot`` table."""
        key = plot["interaction"].map(as_text) if "interaction" in plot.columns else pd.Series("", index=plot.index)
        key = key + "\x00" + plot["target"].map(as_text)
        charts = []
        for k in dict.fromkeys(key):
            part = plot[key == k]
            first = part.iloc[0].to_dict()
            x_levels = sorted({x for x in (finite_number(v) for v in part["iv_level"]) if x is not None})
            m_levels = sorted({m for m in (finite_number(v) for v in part["moderator_level"]) if m is not None})
            value = {(finite_number(r["iv_level"]), finite_number(r["moderator_level"])): finite_number(r["estimate"])
                     for r in part.to_dict("records")}
            iv = as_text(first.get("iv"))
            moderator = as_text(first.get("moderator"))
            iv_name = self.label(iv) if iv else self._interaction_name(first)
            mod_name = self.label(moderator) if moderator else self.t("moderator")
            target = self.label(first.get("target"))
            lines = [SlopeLine(self.t("slope_legend", moderator=mod_name, level=self._moderator_level(m)),
                               [value.get((x, m)) for x in x_levels]) for m in m_levels]
            title = self.t("slope_chart_title", iv=iv_name, moderator=mod_name, target=target)
            charts.append(slope_chart(
                [self._moderator_level(x) for x in x_levels], lines, title=title,
                x_title=self.t("ax_slope_x", iv=iv_name), y_title=self.t("ax_slope_y", target=target),
                chart_id=f"slope-{len(charts) + 1}",
            ))
        return charts

    # ---------------------------------------------------------------- overall model fit
    def section_model_fit(self) -> Section | None:
        measures, test = self.table("model_fit"), self.table("fit_test")
        has_measures = _rows(measures, "measure")
        has_test = _rows(test, "measure", "estimate")
        if not has_measures and not has_test:
            return None
        blocks = [Block("p", self.t("model_fit_note"), "note")]
        if has_measures:
            shown = measures[measures["measure"].map(as_text).isin(FIT_MEASURES_SHOWN)]
            cols = [
                Col(self.t("measure"), lambda r: self.known("fit_", r.get("measure"))),
                *self.opt(shown, "saturated", self.t("saturated"), 3),
                *self.opt(shown, "estimated", self.t("estimated_model"), 3),
            ]
            blocks.append(Block("table", make_table(shown, cols)))
        if has_test:
            blocks += self._fit_test_blocks(test)
        other = self.table("fit_measures")  # the quality section's SRMR (shown above) and GoF
        if has_measures and _rows(other, "measure", "value"):
            rest = other[~other["measure"].map(as_text).str.startswith("srmr")]
            if not rest.empty:
                cols = [
                    Col(self.t("measure"), lambda r: self.known("fit_", r.get("measure"))),
                    Col(self.t("value"), lambda r: format_number(r.get("value"), 3), num=True),
                ]
                blocks += [Block("h3", self.t("fit_other_title")), Block("table", make_table(rest, cols))]
        return Section("model-fit", self.t("sec_model_fit"), blocks)

    def _fit_test_blocks(self, test: pd.DataFrame) -> list[Block]:
        shown = test[test["measure"].map(as_text).isin(FIT_MEASURES_SHOWN)]
        if shown.empty:
            shown = test
        def level_columns(prefix: str) -> list[str]:
            """The levels of the columns ``hi_95``, ``reject_99`` … ("95", "99"; "97_5" for 97.5 %), ascending."""
            found = (re.fullmatch(prefix + r"(\d+(?:_\d+)?)", str(c)) for c in test.columns)
            return sorted((m.group(1) for m in found if m), key=lambda lv: float(lv.replace("_", ".")))

        levels = level_columns("hi_")
        rejects = level_columns("reject_")[::-1]  # the strictest level first

        def rejected_at(r: Mapping[str, Any]) -> str | None:
            """The strictest level at which exact fit is rejected (e.g. "99"), None when it is not rejected."""
            return next((lv for lv in rejects if is_true(r.get(f"reject_{lv}"))), None)

        def verdict(r: Mapping[str, Any]) -> str:
            level = rejected_at(r)
            if level is None:
                return self.t("fit_not_rejected")
            alpha = 100 - float(level.replace("_", "."))
            return self.t("fit_rejected", alpha=f"{alpha:g}%")

        cols = [
            Col(self.t("measure"), lambda r: self.known("fit_", r.get("measure"))),
            Col(self.t("value"), lambda r: format_number(r.get("estimate"), 3), num=True),
            *[Col("HI" + lv.replace("_", "."), lambda r, lv=lv: format_number(r.get(f"hi_{lv}"), 3), num=True) for lv in levels],
            *self.opt(test, "p_value", self.t("p_value"), fmt=format_p),
            *([Col(self.t("verdict"), verdict, cls=lambda r: "flag" if rejected_at(r) is not None else "")] if rejects else []),
        ]
        notes = [self.t("fit_test_note")]
        info = self.meta.get("fit_test") if isinstance(self.meta.get("fit_test"), Mapping) else {}
        settings = self._settings()
        if info.get("resamples") is not None:
            notes.append(self.t("fit_test_resamples", used=as_text(info.get("used", info.get("resamples"))),
                                resamples=as_text(info.get("resamples")), seed=as_text(info.get("seed"))))
        elif finite_number(settings.get("fit_test")):
            notes.append(self.t("fit_test_settings", resamples=as_text(settings.get("fit_test")), seed=as_text(settings.get("seed"))))
        return [Block("h3", self.t("fit_test_title")), Block("table", make_table(shown, cols, note=" ".join(notes)))]

    # ---------------------------------------------------------------- PLSpredict
    def section_prediction(self) -> Section | None:
        summary, items = self.table("prediction_summary"), self.table("prediction")
        has_summary = _rows(summary, "construct", "predictive_power")
        has_items = _rows(items, "construct", "item")
        if not has_summary and not has_items:
            return None
        note = self.t("prediction_note")
        info = self.meta.get("prediction") if isinstance(self.meta.get("prediction"), Mapping) else {}
        settings = self._settings()
        if not info and settings.get("predict") is not None:  # the run's settings: predict = folds or "loo"
            loo = as_text(settings.get("predict")).lower() == "loo"
            info = {"folds": None if loo else settings.get("predict"), "repetitions": settings.get("predict_repetitions", 1),
                    "seed": settings.get("seed")}
        if info:
            if "folds" in info and info.get("folds") is None:
                note += " " + self.t("prediction_loo")
            elif info.get("folds") is not None:
                note += " " + self.t("prediction_design", folds=as_text(info.get("folds")),
                                     repetitions=as_text(info.get("repetitions", 1)), seed=as_text(info.get("seed")))
        blocks = [Block("p", note, "note")]
        if has_summary:
            def power(r: Mapping[str, Any]) -> Any:
                value = as_text(r.get("predictive_power"))
                return element("span", self.known("power_", value), class_=f"badge {_POWER_CLASS.get(value, '')}".strip())

            def assessment(r: Mapping[str, Any]) -> str:
                n, better, q2 = (finite_number(r.get(c)) for c in ("items", "pls_better", "q2_positive"))
                if n is None or better is None or q2 is None:
                    return as_text(r.get("verdict")) if self.lang == "en" else ""
                return self.t("prediction_verdict", better=f"{better:.0f}", items=f"{n:.0f}", q2=f"{q2:.0f}")

            cols = [
                Col(self.t("construct"), lambda r: self.label(r.get("construct")), cls=lambda r: "nowrap"),
                Col(self.t("predictive_power"), power),
                Col(self.t("assessment"), assessment),
            ]
            blocks += [Block("h3", self.t("prediction_summary_title")), Block("table", make_table(summary, cols))]
        if has_items:
            def better(r: Mapping[str, Any]) -> str:
                pls, lm = finite_number(r.get("pls_rmse")), finite_number(r.get("lm_rmse"))
                return "strong" if pls is not None and lm is not None and pls < lm else ""

            def q2_flag(r: Mapping[str, Any]) -> str:
                q2 = finite_number(r.get("q2_predict"))
                return "flag" if q2 is not None and q2 <= 0 else ""

            metric = lambda c: self.opt(items, c, self.t(c), 3)  # noqa: E731
            cols = [
                Col(self.t("construct"), lambda r: self.label(r.get("construct")), cls=lambda r: "nowrap"),
                Col(self.t("item"), lambda r: as_text(r.get("item"))),
                *[Col(c.header, c.value, num=True, cls=better) for c in metric("pls_rmse")],
                *metric("lm_rmse"),
                *metric("pls_mae"),
                *metric("lm_mae"),
                *[Col(c.header, c.value, num=True, cls=q2_flag) for c in metric("q2_predict")],
                *metric("lm_q2_predict"),
            ]
            blocks += [Block("h3", self.t("prediction_items_title")),
                       Block("table", make_table(items, cols, note=self.t("prediction_items_note")))]
        return Section("prediction", self.t("sec_prediction"), blocks)

