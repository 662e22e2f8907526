"""The overview of a quarterly batch: ``overview.xlsx`` and ``overview.html``.

Presentation only: the tables come from the batch (:mod:`csi_survey.batch`): ``history`` is
``index_history.csv`` (``wave, segment, construct, index, ci_lower, ci_upper, n, status``) and
``segments`` is ``segments.csv`` (one row per wave × segment, with ``segment_column`` and
``segment_value``). The overview ranks the segments by the index construct in each wave (per
segment column) with the change against the previous wave, and shows each segment's trend.

:func:`ranking_table` and :func:`trend_table` are the tables; :func:`write_overview_workbook` and
:func:`overview_html` the two files; :func:`overview_facts` the facts shown above both. The HTML
page reuses the style sheet and the SVG charts of the run report (:mod:`csi_survey.report.svg`);
its texts are in :data:`csi_survey.i18n.OVERVIEW_TEXTS`.
"""

from __future__ import annotations

import datetime as _dt
import os
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..i18n import report_language, texts
from ..ingest.columns import TOTAL_SEGMENT, finite_number
from ..segments import ESTIMATED
from ..version import __version__
from .svg import Bar, Series, bar_chart, element, format_number, format_p, line_chart
from .xlsx import Sheet, write_workbook
from .xlsx_charts import localised_sheet

__all__ = [
    "RANKING_COLUMNS",
    "ranking_table",
    "trend_table",
    "overview_facts",
    "overview_sheets",
    "write_overview_workbook",
    "overview_html",
]

#: Columns of the Ranking sheet of ``overview.xlsx``.
RANKING_COLUMNS = ["wave", "segment_column", "rank", "segment", "index", "ci_lower", "ci_upper", "n", "change",
                   "change_ci_lower", "change_ci_upper", "change_p_adjusted", "change_significant", "change_pairing", "status"]
#: Segments drawn in one trend chart (the first ones in the segment order; the table lists all).
TREND_CHART_LIMIT = 10

#: The sheets of ``overview.xlsx``: sheet key (``xlsx_sheet_<key>`` of the overview texts), the CSV
#: file that holds the same table with its English column names (``None``: only in the workbook).
_OVERVIEW_FILES = {"summary": None, "ranking": None, "trend": None, "history": "index_history.csv",
                   "rollup": "rollup.csv", "problems": "segments.csv"}


# ====================================================================== tables
def ranking_table(history: pd.DataFrame, segments: pd.DataFrame, construct: str, waves: list[str]) -> pd.DataFrame:
    """Per wave and segment column, the segments ranked by the construct's index (highest first;
    not estimated ones last, unranked), with the change since the segment's previous estimated
    wave, its interval, adjusted p value and significance flag (the history's ``change*`` columns)."""
    keys = segments[["wave", "segment", "segment_column", "segment_value"]]
    h = history[(history["construct"] == construct) & (history["segment"] != TOTAL_SEGMENT)].merge(keys, on=["wave", "segment"], how="left")
    parts = []
    for w in waves:
        for _col, g in h[h["wave"] == w].groupby("segment_column", sort=False):
            g = g.copy()
            g["rank"] = g["index"].rank(ascending=False, method="min").astype("Int64")
            parts.append(g.sort_values(["index", "segment"], ascending=[False, True], na_position="last", kind="mergesort"))
    if not parts:
        return pd.DataFrame(columns=[*RANKING_COLUMNS, "segment_value"])
    out = pd.concat(parts, ignore_index=True)
    if "change_pairing" not in out.columns:  # a history written before paired changes existed
        out["change_pairing"] = "independent"
    return out[[*RANKING_COLUMNS, "segment_value"]]


def trend_table(history: pd.DataFrame, construct: str, waves: list[str], order: list[str]) -> pd.DataFrame:
    """The construct's index of each segment (rows, in ``order``) per wave (columns), with
    ``change_last`` (between the last two waves in which the segment was estimated) and
    ``waves_estimated``."""
    h = history[history["construct"] == construct]
    wide = h.pivot_table(index="segment", columns="wave", values="index", aggfunc="first", dropna=False)
    wide = wide.reindex(index=order, columns=waves)
    wide.columns = [str(c) for c in wide.columns]
    out = wide.reset_index()
    est = wide.to_numpy(dtype=float)
    last_two = []
    for row in est:
        vals = [v for v in row if v == v]
        last_two.append(vals[-1] - vals[-2] if len(vals) >= 2 else np.nan)
    out["change_last"] = last_two
    out["waves_estimated"] = (~np.isnan(est)).sum(axis=1).astype(np.int64)
    return out


def overview_facts(model: Any, waves: list[str], segments: pd.DataFrame, counts: dict, *, resamples: int, seed: int,
                   lang: str) -> list[tuple[str, str]]:
    """The facts above the overview (and its Summary sheet): model, index construct, waves, the
    counts of segments estimated, failed (``counts["failed_waves"]``: waves that could not be
    read) and skipped, the bootstrap resamples and seed."""
    t = texts(lang, "overview")
    construct = model.index or model.construct_ids[-1]
    return [
        (t["model"], model.name), (t["index"], f"{model.label(construct)} ({construct})"), (t["waves"], ", ".join(waves)),
        (t["segments"], f"{len(segments):,}"), (t["estimated"], f"{counts['estimated']:,}"),
        (t["failed"], f"{counts['failed']:,}" + (f" (+{counts['failed_waves']} wave(s))" if counts.get("failed_waves") else "")),
        (t["skipped"], f"{counts['skipped']:,}"), (t["resamples"], f"{resamples:,}"),
        (t["seed"], str(seed)),
    ]


# ====================================================================== overview.xlsx
def overview_sheets(model: Any, history: pd.DataFrame, segments: pd.DataFrame, waves: list[str], summary: pd.DataFrame,
                    rollup: pd.DataFrame | None = None, lang: str = "en") -> list[Sheet]:
    """The sheets of ``overview.xlsx``: Summary, Ranking, Trend, Index history, (Roll-up,) Not estimated.

    In ``lang``: in Chinese the sheet names, notes, column headers (the CSV files keep the English
    names; the notes say so) and the library's values (statuses, tests, yes/no) are Chinese, as in
    a run's ``report.xlsx`` (:func:`csi_survey.report.xlsx_charts.localised_sheet`)."""
    t = texts(lang, "overview")
    construct = model.index or model.construct_ids[-1]
    order = list(dict.fromkeys(segments["segment"]))
    ranking = ranking_table(history, segments, construct, waves)
    trend = trend_table(history, construct, waves, order)
    problems = segments[segments["status"] != ESTIMATED][["wave", "segment", "n", "status"]]
    label = model.label(construct)
    sheets = [
        ("summary", Sheet(t["xlsx_sheet_summary"], summary)),
        ("ranking", Sheet(t["xlsx_sheet_ranking"], ranking[RANKING_COLUMNS],
                          note=t["xlsx_ranking_note"].format(label=label, construct=construct))),
        ("trend", Sheet(t["xlsx_sheet_trend"], trend, note=t["xlsx_trend_note"].format(label=label, construct=construct))),
        ("history", Sheet(t["xlsx_sheet_history"], history, note=t["xlsx_history_note"])),
        *([("rollup", Sheet(t["xlsx_sheet_rollup"], rollup, note=t["xlsx_rollup_note"]))] if rollup is not None else []),
        ("problems", Sheet(t["xlsx_sheet_problems"], problems, note=t["xlsx_problems_note"])),
    ]
    return [localised_sheet(sheet, _OVERVIEW_FILES[key], lang) for key, sheet in sheets]


def write_overview_workbook(path: str | os.PathLike, model: Any, history: pd.DataFrame, segments: pd.DataFrame,
                            waves: list[str], facts: list[tuple[str, str]], rollup: pd.DataFrame | None = None,
                            lang: str | None = None) -> None:
    """Write ``overview.xlsx`` at ``path`` (:func:`overview_sheets`, the facts as its Summary) in
    ``lang``; by default the batch's report language (:func:`csi_survey.i18n.report_language`:
    Chinese when the model's name or a construct label is Chinese)."""
    lang = report_language(model, lang)
    summary = pd.DataFrame(facts, columns=["field", "value"]).astype({"value": str})
    title = texts(lang, "overview")["xlsx_title"].format(name=model.name)
    write_workbook(path, overview_sheets(model, history, segments, waves, summary, rollup, lang), title=title)


# ====================================================================== overview.html
def _sparkline(values: list[float | None]) -> Any:
    pts = [(k, v) for k, v in enumerate(values) if v is not None]
    width, height = 90.0, 22.0
    if not pts:
        return ""
    lo = min(v for _, v in pts)
    hi = max(v for _, v in pts)
    span = max(hi - lo, 1.0)
    step = width / max(len(values) - 1, 1)
    xy = [(2 + k * step * (width - 4) / width, 3 + (height - 6) * (1 - (v - lo) / span)) for k, v in pts]
    body = [element("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in xy), fill="none", stroke="#2e5c8a", stroke_width=1.6)]
    body += [element("circle", cx=round(x, 1), cy=round(y, 1), r=2.0, fill="#2e5c8a") for x, y in xy[-1:]]
    return element("svg", body, viewBox=f"0 0 {width:g} {height:g}", width=width, height=height, role="img", class_="spark",
                   aria_label=" → ".join("–" if v is None else f"{v:.1f}" for v in values))


def overview_html(model: Any, history: pd.DataFrame, segments: pd.DataFrame, waves: list[str], facts: list[tuple[str, str]],
                  lang: str, level: float, correction: str = "holm", rollup: pd.DataFrame | None = None) -> str:
    """The text of ``overview.html``: a self-contained page (no script, no network) with the
    ranking of each wave, the trends and the segments not estimated, in ``lang`` ("en" or "zh");
    ``level`` is the bootstrap interval level, ``correction`` the multiplicity correction of the
    change tests (its name is shown), ``rollup`` the roll-up levels (:mod:`csi_survey.rollup`)."""
    t = texts(lang, "overview")
    correction_name = t[f"correction_{correction}"]
    construct = model.index or model.construct_ids[-1]
    cname = model.label(construct)
    order = list(dict.fromkeys(segments["segment"]))
    ranking = ranking_table(history, segments, construct, waves)
    trend = trend_table(history, construct, waves, order)
    level_text = f"{level:.0%}"
    css = resources.files("csi_survey.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    css += ("\n.spark { vertical-align: middle; } td.pos { color: #1e8449; } .facts-batch { display: grid; "
            "grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 8px 24px; margin: 18px 0; }\n")

    def cell(value: Any, cls: str = "") -> Markup:
        return element("td", value, class_=cls or None)

    def number(value: Any, digits: int = 1, signed: bool = False) -> Markup:
        if value is None or value != value:
            return cell("–", "num")
        text = f"{value:+.{digits}f}" if signed else format_number(value, digits)
        return cell(text, "num" + ((" neg" if value < 0 else " pos") if signed and value else ""))

    def change_cell(r: dict) -> Markup:
        """The change since the previous wave: ▲/▼ only where significant after the correction; the
        interval and the adjusted p value in the cell's title (shown on hover)."""
        value = finite_number(r.get("change"))
        if value is None:
            return cell("–", "num")
        lo, hi, p = (finite_number(r.get(c)) for c in ("change_ci_lower", "change_ci_upper", "change_p_adjusted"))
        significant = bool(r.get("change_significant")) and p is not None
        arrow = (" ▲" if value > 0 else " ▼") if significant else ""
        title = (t["change_title"].format(prev=r.get("previous_wave") or "", lo=f"{lo:+.1f}", hi=f"{hi:+.1f}", p=format_p(p) if format_p(p).startswith("<") else f"= {format_p(p)}",
                                          correction=correction_name) if lo is not None and hi is not None and p is not None
                 else t["change_untested"].format(prev=r.get("previous_wave") or ""))
        if r.get("change_pairing") == "paired":
            title += t["change_paired"]
        cls = "num" + (" sig" if significant else "") + (" neg" if value < 0 else " pos" if value > 0 else "")
        return element("td", f"{value:+.1f}{arrow}", class_=cls, title=title)

    def table(headers: list[tuple[str, bool]], rows: list[list[Markup]]) -> Markup:
        head = element("tr", [element("th", h, class_="num" if num else None, scope="col") for h, num in headers])
        return element("div", element("table", [element("thead", head), element("tbody", [element("tr", r) for r in rows])], class_="data"),
                       class_="table-wrap")

    sections: list[Markup] = []
    contents: list[tuple[str, str]] = []
    total_rows = history[(history["segment"] == TOTAL_SEGMENT) & (history["construct"] == construct)].set_index("wave")
    for k, w in enumerate(waves):
        sid = f"wave-{k + 1}"
        contents.append((sid, t["ranking"].format(wave=w)))
        parts: list[Markup] = [element("h2", t["ranking"].format(wave=w))]
        parts.append(element("p", t["ranking_note"].format(construct=cname, level=level_text, correction=correction_name), class_="note"))
        reference = finite_number(total_rows["index"].get(w)) if w in total_rows.index else None
        for col, g in ranking[ranking["wave"] == w].groupby("segment_column", sort=False):
            parts.append(element("h3", t["by"].format(column=col)))
            est = g[g["index"].notna()]
            shown = est
            note = ""
            if len(est) > 40:
                shown = pd.concat([est.head(15), est.tail(15)])
                note = t["chart_limit"].format(k=15)
            if len(shown):
                bars = [Bar(str(r["segment_value"]), finite_number(r["index"]), finite_number(r["ci_lower"]), finite_number(r["ci_upper"]))
                        for r in shown.to_dict("records")]
                chart = bar_chart(bars, title=f"{cname} – {w} – {col}", chart_id=f"{sid}-{len(sections)}-{len(parts)}",
                                  reference=reference, reference_label=t["all"])
                parts.append(element("figure", [element("div", chart, class_="chart-box")]
                                     + ([element("figcaption", note, class_="note")] if note else [])))
            rows = []
            for r in g.to_dict("records"):
                lo, hi = finite_number(r["ci_lower"]), finite_number(r["ci_upper"])
                rows.append([
                    cell("–" if r["rank"] is None or r["rank"] is pd.NA else str(r["rank"]), "num"),
                    cell(str(r["segment_value"])), number(finite_number(r["index"])),
                    cell("–" if lo is None or hi is None else f"{format_number(lo, 1)} – {format_number(hi, 1)}", "num"),
                    cell(f"{int(r['n']):,}", "num"), change_cell(r), cell(str(r["status"])),
                ])
            parts.append(table([(t["rank"], True), (t["segment"], False), (cname, True), (t["interval"], True), ("n", True),
                                (t["change"], True), (t["status"], False)], rows))
        sections.append(element("section", parts, class_="report-section", id=sid))

    contents.append(("trend", t["trend"]))
    parts = [element("h2", t["trend"]), element("p", t["trend_note"].format(construct=cname), class_="note")]
    if len(total_rows):
        series = [Series(t["all"], [(finite_number(total_rows["index"].get(w)), finite_number(total_rows["ci_lower"].get(w)), finite_number(total_rows["ci_upper"].get(w)))
                                    if w in total_rows.index else (None, None, None) for w in waves], accent=True)]
        parts.append(element("div", line_chart(waves, series, title=t["total_chart"].format(construct=cname), y_title=cname,
                                               chart_id="trend-total"), class_="chart-box"))
    by_segment = history[(history["construct"] == construct) & (history["segment"] != TOTAL_SEGMENT)].set_index(["segment", "wave"])
    columns = segments[segments["segment_column"].astype(str) != ""].drop_duplicates("segment")
    for k, (col, g) in enumerate(columns.groupby("segment_column", sort=False)):
        shown = list(g["segment"])[:TREND_CHART_LIMIT]
        series = [Series(str(value), [tuple(finite_number(by_segment[c].get((seg, w))) for c in ("index", "ci_lower", "ci_upper"))
                                      if (seg, w) in by_segment.index else (None, None, None) for w in waves])
                  for seg, value in zip(shown, g["segment_value"])]
        chart = line_chart(waves, series, title=t["segment_trend_chart"].format(construct=cname, column=col), y_title=cname,
                           chart_id=f"trend-{k + 1}")
        note = [element("figcaption", t["chart_first"].format(k=TREND_CHART_LIMIT, n=len(g)), class_="note")] if len(g) > TREND_CHART_LIMIT else []
        parts.append(element("figure", [element("div", chart, class_="chart-box")] + note))
    rows = []
    for r in trend.to_dict("records"):
        values = [finite_number(r[w]) for w in waves]
        rows.append([cell(str(r["segment"]))] + [number(v) for v in values]
                    + [number(finite_number(r["change_last"]), signed=True), element("td", _sparkline(values))])
    parts.append(table([(t["segment"], False)] + [(w, True) for w in waves] + [(t["change"], True), (t["trend_col"], False)], rows))
    sections.append(element("section", parts, class_="report-section", id="trend"))

    if rollup is not None and len(rollup):
        contents.append(("rollup", t["rollup"]))
        parts = [element("h2", t["rollup"]), element("p", t["rollup_note"].format(construct=cname, level=level_text), class_="note")]
        r_c = rollup[rollup["construct"] == construct]
        nodes = list(dict.fromkeys(zip(r_c["level"], r_c["node"])))
        rows = []
        for lvl, node in nodes:
            part = r_c[(r_c["level"] == lvl) & (r_c["node"] == node)].set_index("wave")
            cells = []
            for w in waves:
                if w not in part.index or finite_number(part.at[w, "index"]) is None:
                    cells.append(cell("–", "num"))
                    continue
                lo, hi = finite_number(part.at[w, "ci_lower"]), finite_number(part.at[w, "ci_upper"])
                title = t["rollup_title"].format(lo=format_number(lo, 1), hi=format_number(hi, 1),
                                                 k=int(part.at[w, "members_estimated"]), n=int(part.at[w, "members"]),
                                                 share=f"{float(part.at[w, 'weight_estimated']):.0%}")
                cells.append(element("td", format_number(finite_number(part.at[w, "index"]), 1), class_="num", title=title))
            rows.append([cell(str(lvl)), cell(str(node))] + cells)
        parts.append(table([(t["level"], False), (t["node"], False)] + [(w, True) for w in waves], rows))
        sections.append(element("section", parts, class_="report-section", id="rollup"))

    contents.append(("problems", t["problems"]))
    bad = segments[segments["status"] != ESTIMATED]
    parts = [element("h2", t["problems"])]
    if len(bad):
        parts.append(table([(t["wave"], False), (t["segment"], False), ("n", True), (t["status"], False)],
                           [[cell(str(r["wave"])), cell(str(r["segment"])), cell(f"{int(r['n']):,}", "num"), cell(str(r["status"]), "wide")]
                            for r in bad.to_dict("records")]))
    else:
        parts.append(element("p", t["none"], class_="note"))
    sections.append(element("section", parts, class_="report-section", id="problems"))

    facts_html = element("dl", [element("div", [element("dt", k), element("dd", v)]) for k, v in facts], class_="facts-batch")
    nav = element("nav", [element("span", "", class_="contents-title")] + [element("a", text, href=f"#{sid}") for sid, text in contents],
                  class_="contents")
    title = f"{model.name} – {t['title']}"
    date = _dt.date.today().isoformat()
    page = Markup(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "script-src 'none'; base-uri 'none'; form-action 'none'\">\n"
        "<meta name=\"generator\" content=\"csi-survey {version}\">\n<link rel=\"icon\" href=\"data:,\">\n"
        "<title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n"
        "<header class=\"page-header\"><p class=\"kicker\">{kicker}</p><h1>{name}</h1></header>\n"
        "<main>\n{facts}\n{nav}\n{sections}\n</main>\n<footer>{footer}</footer>\n</body>\n</html>\n"
    ).format(lang="zh-CN" if lang == "zh" else "en", version=__version__, title=title, css=Markup(css), kicker=t["title"],
             name=model.name, facts=facts_html, nav=nav, sections=Markup("\n").join(sections),
             footer=t["generated"].format(version=__version__, date=date))
    return str(page)
