"""Interpretation paragraphs of a run: sentences from the catalogue's templates, filled with the run's numbers.

>>> from csi_survey.report.bundle import load_bundle                   # doctest: +SKIP
>>> from csi_survey.report.interpret import interpret
>>> for paragraph in interpret(load_bundle("results/2026-Q3"), "en"):  # doctest: +SKIP
...     print(paragraph.text)

Every sentence says only what a number of the run's tables shows; nothing here estimates anything.
A sentence whose numbers are missing is left out (never written with a blank). The rules:

* **Headline** (``meta["headline"]``): the index construct's 0–100 index and its margin of error,
  half the width of the bootstrap interval, ``(ci_upper − ci_lower) / 2`` (the ``margin_of_error``
  the run wrote). Without a bootstrap: "no interval: bootstrap off".
* **Strongest driver** (table ``impacts``, rows whose target is the index construct): the driver
  with the largest total effect on the index in index points (``total_effect_100``, the
  unstandardized total effect on the 0–100 scale, the IPMA importance; the standardized
  ``total_effect`` when that column is absent). Its impact (``impact``: the index change for
  +``impact_step`` points) is quoted beside it.
* **Driver to improve first** (table ``ipma``, construct rows of the index construct): the IPMA
  reading of Ringle & Sarstedt (2016, *Industrial Management & Data Systems* 116(9), 1865–1886):
  the driver in the quadrant "fix first" (importance above, performance below the medians of the
  drivers: the quadrant the run assigned); among several, the most important. Its importance is
  the change of the target's index when the driver's performance rises by one point, so "+1 point
  of performance → + importance index points" is the IPMA's own reading, under its assumption that
  the relations hold as estimated and the other drivers stay where they are (the sentence says so).
  When no driver is in "fix first", the sentence says so and names the largest lever (the most
  important driver) with the same reading.
* **Segments** (tables ``segment_omnibus`` and ``segment_differences``, the index construct's
  ``index`` rows): per segment variable, "the index differs between the groups" only when the
  omnibus permutation test is significant (its ``significant`` column, else ``p_value`` < α of
  the run's level), else "does not differ significantly"; the pairs of segments only where
  ``significant`` is true after the multiplicity correction (``p_adjusted``).
* **Waves** (table ``wave_changes``, the index construct): the latest wave's change since the
  previous wave, "risen"/"fallen" only where ``significant`` is true (after the correction), else
  "not significant"; segments' changes (``segment_wave_changes``) only the significant ones.

Language: the templates are the ``interp_*`` keys of :data:`csi_survey.i18n.TEXTS` (English and
Chinese).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..i18n import TEXTS, check_language, detect_lang, text
from ..ingest.columns import TOTAL_SEGMENT
from .html_parts import as_text, fmt_level, is_true
from .svg import finite_number, format_number, format_p, p_statement

__all__ = ["Paragraph", "interpret", "headline_numbers", "strongest_driver", "priority_driver", "labels_of", "index_construct"]


@dataclass(frozen=True)
class Paragraph:
    """One interpretation paragraph: ``kind`` (``"headline"``, ``"strongest"``, ``"priority"``,
    ``"segments"``, ``"waves"``) and its text."""

    kind: str
    text: str


def _signed(value: float) -> str:
    """A change with its sign and one decimal ("+1.2", "-0.4"; "0.0", never "-0.0")."""
    out = f"{value:+.1f}"
    return out[1:] if float(out) == 0 else out


# ====================================================================== reading the bundle
def _tables(bundle: Any) -> dict[str, pd.DataFrame]:
    tables = getattr(bundle, "tables", None) or {}
    return {str(k).removesuffix(".csv"): v for k, v in tables.items() if isinstance(v, pd.DataFrame)}


def _meta(bundle: Any) -> dict[str, Any]:
    return dict(getattr(bundle, "meta", None) or {})


def labels_of(bundle: Any) -> dict[str, str]:
    """Construct id → label, from the index table, the model and ``meta["labels"]`` (later wins)."""
    labels: dict[str, str] = {}
    index = _tables(bundle).get("index")
    if index is not None and {"construct", "label"} <= set(index.columns):
        labels.update({str(c): as_text(lab) for c, lab in zip(index["construct"], index["label"]) if as_text(lab)})
    model = getattr(bundle, "model", None)
    if model is not None:
        labels.update({cid: c.label for cid, c in model.constructs.items() if c.label})
    labels.update({str(k): str(v) for k, v in (_meta(bundle).get("labels") or {}).items() if v})
    return labels


def index_construct(bundle: Any) -> str | None:
    """The run's index construct (``meta["index_construct"]``, the headline's, else the model's)."""
    meta = _meta(bundle)
    found = meta.get("index_construct") or (meta.get("headline") or {}).get("construct")
    model = getattr(bundle, "model", None)
    if not found and model is not None:
        found = model.index
    return str(found) if found else None


def headline_numbers(bundle: Any) -> dict[str, Any] | None:
    """The headline: ``construct``, ``label``, ``index``, ``moe`` (half the interval width, None
    without a bootstrap), ``ci_lower``, ``ci_upper``, ``level`` ("95%"); None without a headline."""
    meta = _meta(bundle)
    h = meta.get("headline") or {}
    value = finite_number(h.get("index"))
    if value is None:
        return None
    lo, hi = finite_number(h.get("ci_lower")), finite_number(h.get("ci_upper"))
    moe = (hi - lo) / 2 if lo is not None and hi is not None else None
    level = fmt_level(h.get("level")) or fmt_level((meta.get("bootstrap") or {}).get("level")) or "95%"
    construct = as_text(h.get("construct")) or index_construct(bundle) or ""
    label = as_text(h.get("label")) or labels_of(bundle).get(construct, construct)
    return {"construct": construct, "label": label, "index": value, "moe": moe, "ci_lower": lo, "ci_upper": hi, "level": level}


def strongest_driver(bundle: Any) -> dict[str, Any] | None:
    """The driver with the largest total effect on the index construct (``impacts``): ``driver``,
    ``target``, ``effect`` (index points per point, else standardized), ``impact``; None when absent."""
    target = index_construct(bundle)
    df = _tables(bundle).get("impacts")
    if target is None or df is None or df.empty or not {"target", "driver"} <= set(df.columns):
        return None
    column = "total_effect_100" if "total_effect_100" in df.columns else "total_effect" if "total_effect" in df.columns else None
    if column is None:
        return None
    rows = df[df["target"].astype(str) == target].copy()
    rows["_effect"] = pd.to_numeric(rows[column], errors="coerce")
    rows = rows[rows["_effect"].notna()]
    if rows.empty:
        return None
    best = rows.loc[rows["_effect"].idxmax()]
    return {"driver": str(best["driver"]), "target": target, "effect": float(best["_effect"]),
            "impact": finite_number(best.get("impact")), "column": column}


def priority_driver(bundle: Any) -> dict[str, Any] | None:
    """The IPMA driver to improve first for the index construct: ``driver``, ``importance``,
    ``performance``, ``fix_first`` (True when it is in the quadrant "fix first"; else it is the
    most important driver, the largest lever). None without construct-level IPMA rows."""
    target = index_construct(bundle)
    df = _tables(bundle).get("ipma")
    if target is None or df is None or df.empty or not {"target", "driver", "importance", "performance"} <= set(df.columns):
        return None
    rows = df[df["target"].astype(str) == target]
    if "level" in rows.columns:
        rows = rows[rows["level"].astype(str) == "construct"]
    rows = rows.assign(_imp=pd.to_numeric(rows["importance"], errors="coerce"), _perf=pd.to_numeric(rows["performance"], errors="coerce"))
    rows = rows[rows["_imp"].notna() & rows["_perf"].notna()]
    if rows.empty:
        return None
    fix = rows[rows["quadrant"].astype(str) == "fix first"] if "quadrant" in rows.columns else rows.iloc[0:0]
    pick = fix if len(fix) else rows
    best = pick.loc[pick["_imp"].idxmax()]
    return {"driver": str(best["driver"]), "target": target, "importance": float(best["_imp"]),
            "performance": float(best["_perf"]), "fix_first": bool(len(fix))}


# ====================================================================== the paragraphs
class _Writer:
    def __init__(self, bundle: Any, lang: str):
        self.bundle, self.lang = bundle, lang
        self.meta = _meta(bundle)
        self.tables = _tables(bundle)
        self.labels = labels_of(bundle)
        self.index = index_construct(bundle)
        settings = self.meta.get("settings") or {}
        level = finite_number(settings.get("level")) or finite_number((self.meta.get("bootstrap") or {}).get("level")) or 0.95
        self.alpha = 1 - level if 0 < level < 1 else 0.05
        self.level = fmt_level(level) or "95%"

    def t(self, key: str, **fields: Any) -> str:
        return text(self.lang, key, **fields)

    def label(self, construct: Any) -> str:
        key = as_text(construct)
        return self.labels.get(key, key)

    def correction(self, value: Any) -> str:
        key = "correction_" + (as_text(value).lower() or as_text((self.meta.get("settings") or {}).get("correction")) or "holm")
        return self.t(key) if key in TEXTS["en"] else as_text(value)

    def headline(self) -> list[Paragraph]:
        h = headline_numbers(self.bundle)
        if h is None:
            return []
        if h["moe"] is None:
            return [Paragraph("headline", self.t("interp_headline_noci", label=h["label"], value=format_number(h["index"], 1)))]
        return [Paragraph("headline", self.t("interp_headline", label=h["label"], value=format_number(h["index"], 1),
                                             moe=format_number(h["moe"], 1), level=h["level"],
                                             lo=format_number(h["ci_lower"], 1), hi=format_number(h["ci_upper"], 1)))]

    def strongest(self) -> list[Paragraph]:
        s = strongest_driver(self.bundle)
        if s is None or s["column"] != "total_effect_100" or s["impact"] is None:
            return []  # without the effect in index points the sentence's reading does not hold
        step = f"{finite_number(self.meta.get('impact_step')) or 5.0:g}"
        return [Paragraph("strongest", self.t("interp_strongest", target=self.label(s["target"]), driver=self.label(s["driver"]),
                                              effect=format_number(s["effect"], 2), impact=format_number(s["impact"], 2), step=step))]

    def priority(self) -> list[Paragraph]:
        p = priority_driver(self.bundle)
        if p is None:
            return []
        key = "interp_priority" if p["fix_first"] else "interp_no_priority"
        return [Paragraph("priority", self.t(key, driver=self.label(p["driver"]), target=self.label(p["target"]),
                                             importance=format_number(p["importance"], 2),
                                             performance=format_number(p["performance"], 1),
                                             effect=format_number(p["importance"], 2)))]

    def segments(self) -> list[Paragraph]:
        omnibus, pairs = self.tables.get("segment_omnibus"), self.tables.get("segment_differences")
        if self.index is None or omnibus is None or omnibus.empty or not {"statistic", "source", "p_value"} <= set(omnibus.columns):
            return []
        label = self.label(self.index)
        rows = omnibus[(omnibus["statistic"].astype(str) == "index") & (omnibus["source"].astype(str) == self.index)]
        out = []
        for r in rows.to_dict("records"):
            column = as_text(r.get("segment_column"))
            p = finite_number(r.get("p_value"))
            if p is None:
                continue
            significant = is_true(r.get("significant")) if "significant" in rows.columns else p < self.alpha
            if not significant:
                out.append(Paragraph("segments", self.t("interp_segments_none", label=label, column=column, p=format_p(p))))
                continue
            sentence = self.t("interp_segments_sig", label=label, column=column, p=format_p(p))
            listed = self._pairs(pairs, column)
            if listed:
                sentence += listed if self.lang == "zh" else " " + listed
            out.append(Paragraph("segments", sentence))
        return out

    def _pairs(self, pairs: pd.DataFrame | None, column: str) -> str:
        need = {"segment_a", "segment_b", "statistic", "source", "difference", "significant"}
        if pairs is None or pairs.empty or not need <= set(pairs.columns):
            return ""
        rows = pairs[(pairs["statistic"].astype(str) == "index") & (pairs["source"].astype(str) == self.index)
                     & pairs["significant"].map(is_true)]
        if "segment_column" in rows.columns:
            rows = rows[rows["segment_column"].map(as_text) == column]
        items = []
        for r in rows.to_dict("records"):
            diff = finite_number(r.get("difference"))  # value_b − value_a
            if diff is None:
                continue
            a, b = as_text(r.get("segment_a")), as_text(r.get("segment_b"))
            low, high = (a, b) if diff > 0 else (b, a)
            item = self.t("interp_pair", low=low, high=high, diff=format_number(abs(diff), 1))
            p = finite_number(r.get("p_adjusted"))
            if p is not None:
                item += f"（{p_statement(p)}）" if self.lang == "zh" else f" ({p_statement(p)})"
            items.append(item)
        if not items:
            return ""
        correction = rows["correction"].iloc[0] if "correction" in rows.columns else None
        sep = "；" if self.lang == "zh" else "; "
        return self.t("interp_segments_pairs", correction=self.correction(correction), pairs=sep.join(items))

    def waves(self) -> list[Paragraph]:
        df = self.tables.get("wave_changes")
        out: list[Paragraph] = []
        need = {"wave", "previous_wave", "construct", "change"}
        if self.index is not None and df is not None and not df.empty and need <= set(df.columns):
            rows = df[df["construct"].astype(str) == self.index]
            if "segment" in rows.columns:
                rows = rows[rows["segment"].map(as_text).isin(["", TOTAL_SEGMENT])]
            if len(rows):
                r = rows.iloc[-1].to_dict()  # the latest wave
                change = finite_number(r.get("change"))
                p = finite_number(r.get("p_adjusted"))
                p = p if p is not None else finite_number(r.get("p_value"))
                lo, hi = finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper"))
                fields = dict(label=self.label(self.index), wave=as_text(r.get("wave")), previous=as_text(r.get("previous_wave")),
                              level=self.level, p=format_p(p))
                if change is not None and p is not None:
                    if is_true(r.get("significant")) and lo is not None and hi is not None:
                        key = "interp_wave_up" if change > 0 else "interp_wave_down"
                        out.append(Paragraph("waves", self.t(key, change=format_number(abs(change), 1),
                                                             lo=_signed(lo), hi=_signed(hi), **fields)))
                    elif not is_true(r.get("significant")):
                        out.append(Paragraph("waves", self.t("interp_wave_none", change=_signed(change), **fields)))
        seg = self.tables.get("segment_wave_changes")
        if self.index is not None and seg is not None and not seg.empty and {"segment", "construct", "change", "significant"} <= set(seg.columns):
            rows = seg[(seg["construct"].astype(str) == self.index) & seg["significant"].map(is_true)
                       & ~seg["segment"].map(as_text).isin(["", TOTAL_SEGMENT])]
            items = [
                self.t("interp_segment_wave_item", segment=as_text(r.get("segment")), wave=as_text(r.get("wave")),
                       change=_signed(finite_number(r.get("change"))) + (" ▲" if finite_number(r.get("change")) > 0 else " ▼"))
                for r in rows.to_dict("records") if finite_number(r.get("change")) is not None
            ]
            if items:
                sep = "；" if self.lang == "zh" else "; "
                out.append(Paragraph("waves", self.t("interp_segment_waves", items=sep.join(items[:12]))))
        return out


def interpret(bundle: Any, lang: str | None = None) -> list[Paragraph]:
    """The interpretation paragraphs of a run bundle (``meta``, ``tables``, ``model``), in the
    order a manager reads them: headline, strongest driver, driver to improve first, segments, waves.

    ``lang`` is ``"en"`` or ``"zh"`` (default: :func:`csi_survey.i18n.detect_lang`). A paragraph
    whose numbers the run does not have is left out.
    """
    lang = detect_lang(bundle) if lang is None else check_language(lang)
    w = _Writer(bundle, lang)
    return [*w.headline(), *w.strongest(), *w.priority(), *w.segments(), *w.waves()]

