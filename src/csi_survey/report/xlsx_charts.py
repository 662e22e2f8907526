"""The run's ``report.xlsx`` from a :class:`~csi_survey.report.bundle.RunBundle`, with native charts.

:func:`write_report_workbook` writes a Summary sheet (from the run's meta data), a ``Charts``
sheet, and one sheet per table of the bundle, each with a one-line note above the table. Tables
the run does not have (no bootstrap, no segments, no waves …) simply give no sheet and no chart.

Sheet order
-----------
Summary, Charts, Index, Higher order, Paths, Effects, Indirect effects, Mediation, Interaction
effects, Simple slopes, Slope plot, Weights, R2, Impacts, IPMA, Quadrant, Gaps, Item summary, Frequencies,
NPS, CSAT, Segment index, Segment paths, Segment impacts, Segment omnibus, Segment differences,
MICOM, Wave index, Wave changes, Segment wave changes, Overall index, Overall weights, Quality,
HTMT, Model fit, Overall fit, Fit test, Prediction, Predictive power, Quality flags, Parameters,
Bootstrap, Bootstrap failures, Missing, Data quality, Flags, Survey weights, Excluded, any other
table of the bundle (named after the table), and Scores last (only a note when the run has more
respondents than ``scores_sheet_limit``). These are the English names; the names in every language
are the workbook texts ``sheet_<table>`` of :data:`csi_survey.i18n.WORKBOOK_TEXTS`.

Language
--------
The workbook follows the run's report language (``meta["lang"]``, as the HTML report). In Chinese
the sheet names, the note of every sheet, chart and axis titles, the Summary's field names and
fixed values (methods, yes/no, language) and the chart data blocks are Chinese; table headers show
the Chinese column names the HTML report uses (:func:`column_header`; columns the HTML report does
not show take the workbook's ``col_<name>`` texts), and each note says that the CSV file keeps the
English snake_case names (the machine-readable copy: a user filtering in Excel reads Chinese
headers, a script reads the CSV). The library's values are translated (statuses, quadrants,
methods, tests, yes/no for boolean columns, sentences such as exclusion reasons through
:func:`csi_survey.i18n.translate`); values from the user's data (labels, segment names, items)
are left as they are. English workbooks are what they always were (headers = column names).

Integers with more digits than Excel's General format shows (a 64-bit bootstrap seed) are stored
as text in the Summary, so the cell shows every digit and the run can be repeated.

Charts
------
All charts are native Excel charts (XlsxWriter chart objects whose series reference worksheet
cells, not pictures), gathered on the **Charts sheet**, second after the Summary so that a reader
finds them at once. Each chart has its own small data block on that sheet (a bold title, a header
and the numbers the chart shows, in columns A…) and is anchored to the right of the blocks, level
with its block; the series reference those cells. The blocks are needed because the tables are
long (one row per segment × construct, per target × driver …) while a chart series needs one
contiguous range, and because error bars need the distances to the interval bounds (helper
columns ``below`` = index − ci_lower and ``above`` = ci_upper − index). The workbook is written
in XlsxWriter's ``constant_memory`` mode (rows in order), so the blocks cannot be written beside
the tables of the other sheets after the fact: a separate sheet keeps both simple. Edit a number
in a block and its chart follows.

* **Index by construct** (table ``index``): columns with the construct labels as categories, the
  index construct highlighted, the value on each bar and, when the table has ``ci_lower`` and
  ``ci_upper``, custom error bars (``plus_values`` / ``minus_values`` → the helper columns).
* **Importance–performance map**, one per target (table ``ipma``, construct level): scatter with
  x = performance, y = importance, each point labelled with its driver's label (custom data labels
  referencing the label cells), and dashed lines at the median performance and importance (the
  quadrant borders).
* **四分图** (importance × satisfaction), one per target (table ``quadrant``): the same scatter with
  x = satisfaction and dashed lines at the means the table carries (``satisfaction_cut``,
  ``importance_cut``); its table on the sheet "Quadrant".
* **Index by segment**, one per segment column (table ``segment_index``): columns for the total and
  each segment; the series is the index construct (with error bars when intervals exist) or, in a
  run without an index construct, one series per construct (clustered).
* **Trend by wave** (table ``wave_index``): one line per construct over the waves.
* **Simple slopes**, one per interaction path (table ``slope_plot``): a line chart with the iv's
  levels (−1 SD, mean, +1 SD) as categories and one line per moderator level (the predicted
  target in standard deviations).

Each series also carries the values as its cached data, so viewers that do not recalculate
charts (previews, some converters) show them too; Excel and LibreOffice read the cells.

Fonts: the charts keep the workbook's default theme fonts. The theme maps East Asian text to a
font with CJK glyphs (SimSun/宋体 for simplified Chinese), and Excel or LibreOffice fall back to an
installed CJK font anyway, so Chinese labels show without naming a font that may not exist on
the reader's machine.

Formula safety: every text (cells, cached chart data) goes through the same protection as the
other sheets (:func:`~csi_survey.report.safe.safe_text`), and chart titles and series names
never start with user text, so a label ``=HYPERLINK(…)`` stays an inert string everywhere.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_range_formula, xl_rowcol_to_cell, quote_sheetname
from xlsxwriter.worksheet import Worksheet

from ..i18n import CATALOGUES, TEXTS, WORKBOOK_TEXTS, check_language, text, translate
from ..ingest.columns import TOTAL_SEGMENT
from .bundle import RunBundle, scores_file
from .xlsx import (
    MAX_WIDTH,
    MIN_WIDTH,
    Sheet,
    check_size,
    display_text,
    Formats,
    open_workbook,
    sheet_names,
    text_width,
    write_sheet,
)

__all__ = ["write_report_workbook", "SCORES_SHEET_LIMIT", "CHARTS_SHEET", "column_header", "localised_sheet"]


#: Per-respondent scores go into the workbook only up to this many rows (scores.csv or scores.parquet
#: has them all): a sheet of ten thousand rows is still readable and written in a fraction of a second;
#: larger runs are analysed from the CSV or Parquet file, and the sheet holds a note pointing to it.
SCORES_SHEET_LIMIT = 10_000
#: Name of the sheet holding the charts and their data.
CHARTS_SHEET = "Charts"

#: Colours: bars, the highlighted index construct, the median lines of the IPMA.
_BAR = "#5B9BD5"
_HIGHLIGHT = "#ED7D31"
_MEDIAN = "#7F7F7F"

#: Chart size in pixels, and the rows (20 px each) a chart needs on the Charts sheet.
_CHART_WIDTH = 640
_CHART_HEIGHT = 340
_ROW_PX = 20


# -- sheets of the tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class _TableSheet:
    """A table's sheet: its name is the workbook text ``sheet_<table>``, its note the text ``note``
    (a key of :data:`csi_survey.i18n.WORKBOOK_TEXTS`, or ``note(bundle, lang)`` for a note that
    depends on the run)."""

    table: str
    note: str | Callable[[RunBundle, str], str]
    number_formats: dict[str, str] = field(default_factory=dict)

    def sheet(self, lang: str) -> str:
        return _t(lang, "sheet_" + self.table)


def _t(lang: str, key: str, **fields: Any) -> str:
    """A fixed text of the workbook (:data:`csi_survey.i18n.WORKBOOK_TEXTS`) in ``lang``, fields filled in."""
    return text(lang, key, "workbook", **fields)


def _step(bundle: RunBundle) -> Any:
    step = bundle.meta.get("impact_step")
    return 5 if step is None else step


def _fit_note(bundle: RunBundle, lang: str) -> str:
    if "parameters" in bundle.tables:
        return _t(lang, "note_fit_cbsem")
    return _t(lang, "note_fit_pls")


_PERCENT_POINTS = "0.0"

#: The table sheets, in workbook order (Scores is handled apart, other tables go before it).
TABLE_SHEETS: tuple[_TableSheet, ...] = (
    _TableSheet("index", "note_index"),
    _TableSheet("higher_order", "note_higher_order", {"index_weight": "0.000", "dimension_index": "0.0"}),
    _TableSheet("paths", "note_paths"),
    _TableSheet("effects", "note_effects"),
    _TableSheet("indirect_effects", "note_indirect_effects"),
    _TableSheet("mediation", "note_mediation"),
    _TableSheet("interaction_effects", "note_interaction_effects"),
    _TableSheet("simple_slopes", "note_simple_slopes", {"moderator_level": "0"}),
    _TableSheet("slope_plot", "note_slope_plot", {"iv_level": "0", "moderator_level": "0"}),
    _TableSheet("weights", "note_weights"),
    _TableSheet("r2", "note_r2"),
    _TableSheet(
        "impacts",
        lambda b, lang: _t(lang, "note_impacts", step=_step(b)),
        {"impact": "0.00"},
    ),
    _TableSheet(
        "ipma",
        "note_ipma",
        {"performance": "0.0"},
    ),
    _TableSheet("quadrant", "note_quadrant", {"satisfaction": "0.0", "satisfaction_cut": "0.0"}),  # 四分图
    _TableSheet("gaps", "note_gaps"),
    _TableSheet("item_summary", "note_item_summary"),
    _TableSheet("frequencies", "note_frequencies"),
    _TableSheet(
        "nps",
        "note_nps",
        {c: _PERCENT_POINTS for c in ("promoters", "passives", "detractors", "nps", "std_err")},
    ),
    _TableSheet(
        "csat",
        "note_csat",
        {c: _PERCENT_POINTS for c in ("top_box_share", "std_err")},
    ),
    _TableSheet("segment_index", "note_segment_index"),
    _TableSheet("segment_paths", "note_segment_paths"),
    _TableSheet(
        "segment_impacts",
        lambda b, lang: _t(lang, "note_segment_impacts", step=_step(b)),
        {"impact": "0.00"},
    ),
    _TableSheet("segment_omnibus", "note_segment_omnibus"),
    _TableSheet("segment_differences", "note_segment_differences"),
    _TableSheet("micom", "note_micom"),
    _TableSheet("wave_index", "note_wave_index"),
    _TableSheet("wave_changes", "note_wave_changes", {"change": "0.0"}),
    _TableSheet("segment_wave_changes", "note_segment_wave_changes", {"change": "0.0"}),
    _TableSheet("overall_index", "note_overall_index", {"index": "0.0"}),
    _TableSheet("overall_weights", "note_overall_weights"),
    _TableSheet("quality", "note_quality"),
    _TableSheet("htmt", "note_htmt"),
    _TableSheet("fit_measures", _fit_note),
    _TableSheet("model_fit", "note_model_fit_overall", {"saturated": "0.0000", "estimated": "0.0000"}),
    _TableSheet("fit_test", "note_fit_test", {c: "0.0000" for c in ("estimate", "hi_95", "hi_99")}),
    _TableSheet("prediction", "note_prediction"),
    _TableSheet("prediction_summary", "note_prediction_summary"),
    _TableSheet("quality_flags", "note_quality_flags"),
    _TableSheet("parameters", "note_parameters"),
    _TableSheet("bootstrap", "note_bootstrap"),
    _TableSheet("bootstrap_failures", "note_bootstrap_failures"),
    _TableSheet("missing", "note_missing"),
    _TableSheet("data_quality", "note_data_quality"),
    _TableSheet("flags", "note_flags"),
    _TableSheet("weight_summary", "note_weight_summary"),
    _TableSheet("excluded", "note_excluded"),
)
_KNOWN = {spec.table for spec in TABLE_SHEETS} | {"scores"}


def _table_sheets(bundle: RunBundle, scores_sheet_limit: int, lang: str) -> list[Sheet]:
    tables = bundle.tables
    sheets = []
    for spec in TABLE_SHEETS:
        if spec.table in tables:
            note = spec.note(bundle, lang) if callable(spec.note) else _t(lang, spec.note)
            sheets.append(localised_sheet(Sheet(spec.sheet(lang), tables[spec.table], note=note, number_formats=spec.number_formats),
                                     spec.table + ".csv", lang))
    for name, table in tables.items():
        if name not in _KNOWN:
            sheet = Sheet(name.replace("_", " ").capitalize(), table, note=_t(lang, "note_other", name=name))
            sheets.append(localised_sheet(sheet, name + ".csv", lang))
    scores = tables.get("scores")
    if scores is not None:
        if len(scores) <= scores_sheet_limit:
            sheets.append(localised_sheet(Sheet(_t(lang, "sheet_scores"), scores, note=_t(lang, "note_scores")), scores_file(bundle.meta), lang))
        else:
            sheets.append(
                Sheet(
                    _t(lang, "sheet_scores"),
                    None,
                    note=_t(lang, "note_scores_too_many", n=f"{len(scores):,}", limit=f"{scores_sheet_limit:,}",
                            file=scores_file(bundle.meta)),
                )
            )
    return sheets


# -- the Chinese workbook: column headers and the library's values -----------------------------

#: Columns the HTML report names: column → key of :data:`csi_survey.i18n.TEXTS` (the same words in
#: both reports). Other columns take the workbook text ``col_<column>``; a column ending in one of
#: :data:`_SUFFIXES` composes (``loading_ci_lower`` → 载荷置信区间下限); any other keeps its name.
_HTML_COLUMNS = {
    c: c for c in (
        "construct", "index", "n", "std_err", "estimate", "t_value", "p_value", "direct", "indirect", "total", "r2",
        "r2_adj", "target", "driver", "total_effect_100", "item", "label", "importance", "performance", "quadrant",
        "expected", "experienced", "expected_mean", "experienced_mean", "gap", "segment_column", "segment", "promoters",
        "passives", "detractors", "nps", "status", "mode", "n_items", "alpha", "rho_a", "rho_c", "ave", "htmt", "htmt2",
        "flag", "measure", "value", "criterion", "message", "threshold", "row", "reason", "wave", "change", "p_adjusted",
        "pairing", "significant", "statistic", "method", "moderator", "moderator_level", "dimension", "weight", "loading",
        "equal_means", "equal_variances", "invariance", "chains", "chain", "total_indirect", "share_indirect", "saturated",
        "predictive_power", "path", "interaction", "verdict", "assessment", "pls_rmse", "lm_rmse", "pls_mae", "lm_mae",
        "q2_predict", "aspect", "respondent",
    )
} | {
    "c": "c_value", "margin_of_error": "margin", "top_box_share": "top_box", "mediation": "mediation_type",
    "sentence": "mediation_sentences", "share": "overall_share", "segments": "segments_k", "estimated": "estimated_model",
    "total_effect": "total", "satisfaction": "docx_satisfaction", "f_square": "f_square", "adjustment": "adjustment",
}
#: Column-name endings that compose with the header of the rest (``weight_p_value`` …).
_SUFFIXES = ("ci_lower", "ci_upper", "p_value", "p_adjusted", "std_err", "t_value", "perm_lower", "perm_upper")


def column_header(name: Any, lang: str) -> str:
    """The header of a table column in ``lang``: the column name itself in English (as in the CSVs);
    in Chinese the word of the HTML report, else of the workbook catalogue, else the name."""
    name = str(name)
    if lang == "en":
        return name
    if name in _HTML_COLUMNS and _HTML_COLUMNS[name] in TEXTS["zh"]:
        return text(lang, _HTML_COLUMNS[name])
    if "col_" + name in WORKBOOK_TEXTS["zh"]:
        return _t(lang, "col_" + name)
    for suffix in _SUFFIXES:
        stem = name[: -len(suffix) - 1]
        if name.endswith("_" + suffix) and stem:
            head, tail = column_header(stem, lang), column_header(suffix, lang)
            if head != stem or tail != suffix:
                return head + (" " if tail[:1].isascii() else "") + tail
    return name


def _headers(table: pd.DataFrame | None, lang: str) -> dict[Any, str]:
    """Column → shown header of a table in ``lang`` (empty in English); unique within the table."""
    if lang == "en" or table is None or isinstance(table.columns, pd.MultiIndex):
        return {}
    out: dict[Any, str] = {}
    seen: set[str] = set()
    for column in table.columns:
        header = column_header(column, lang)
        if header in seen:
            header = f"{header}（{column}）"
        seen.add(header)
        if header != str(column):
            out[column] = header
    return out


#: Columns whose values are the library's own words: column → how a value is shown in Chinese.
_SENTENCE_COLUMNS = ("reason", "message", "note", "detail", "action", "decision", "verdict", "assessment", "policy")


def _known(lang: str, value: str, *keys: tuple[str, str]) -> str:
    """The first catalogued text among ``(catalogue, key)``, else ``value``."""
    for catalogue, key in keys:
        if key in CATALOGUES[catalogue]["zh"]:
            return text(lang, key, catalogue)
    return value


def _value_text(column: str, value: str, lang: str) -> str:
    """A value of the library's vocabulary in Chinese (a status, a quadrant, a method …); user
    data (segment names, labels, items) is left as it is."""
    if column in ("segment", "segment_a", "segment_b") and value == TOTAL_SEGMENT:
        return text(lang, "total_segment")
    if column == "status":
        if value == "estimated":
            return text(lang, "estimated")
        for prefix in ("insufficient sample", "failed"):
            if value.startswith(prefix):
                return text(lang, prefix) + translate(lang, value[len(prefix):])
        return translate(lang, value)
    key = value.lower()
    if column == "quadrant":
        return _known(lang, value, ("workbook", "q_" + key), ("report", key))
    if column in ("method", "correction"):
        return _known(lang, value, ("report", "method_" + key.replace(" ", "_")), ("report", "correction_" + key))
    if column in ("pairing", "change_pairing"):
        return _known(lang, value, ("report", "pairing_" + key))
    if column == "invariance":
        return _known(lang, value, ("report", "inv_" + key))
    if column == "predictive_power":
        return _known(lang, value, ("report", "power_" + key))
    if column == "mediation":
        return _known(lang, value, ("mediation", "label_" + key))
    if column == "level" and key in ("construct", "item"):  # the level of an IPMA row
        return text(lang, key)
    if column in _SENTENCE_COLUMNS:
        return translate(lang, value)
    return value


def _localised_values(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with the library's words in Chinese: booleans as 是/否, known values and
    sentences translated (:func:`_value_text`); numbers and user data unchanged."""
    out = None
    yes, no = text(lang, "yes"), text(lang, "no")
    for position, column in enumerate(table.columns):
        series = table.iloc[:, position]
        name = str(column)
        if pd.api.types.is_bool_dtype(series.dtype):
            shown = series.map({True: yes, False: no}).astype(object)
        elif series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            if not (name in ("segment", "segment_a", "segment_b", "status", "quadrant", "method", "correction", "pairing", "change_pairing",
                             "invariance", "predictive_power", "mediation", "level") or name in _SENTENCE_COLUMNS):
                continue
            shown = series.map(lambda v, name=name: _value_text(name, v, lang) if isinstance(v, str) and v else v)
        else:
            continue
        if out is None:
            out = table.copy()
        out.isetitem(position, shown)
    return table if out is None else out


def localised_sheet(sheet: Sheet, file: str | None, lang: str) -> Sheet:
    """A table sheet in ``lang``: unchanged in English; in Chinese the headers in Chinese
    (:func:`column_header`; the note adds that ``file``, the CSV of the same table, keeps the
    English column names) and the library's values translated (statuses, quadrants, methods,
    yes/no, sentences such as exclusion reasons through :func:`csi_survey.i18n.translate`)."""
    if lang == "en" or sheet.table is None:
        return sheet
    table = _localised_values(sheet.table, lang)
    headers = _headers(table, lang)
    note = sheet.note
    if headers and file:
        note = (note or "") + _t(lang, "columns_note", file=file)
    return dataclasses.replace(sheet, table=table, note=note, headers=headers)


# -- summary -----------------------------------------------------------------------------------

_SUMMARY_KEYS = {
    "version", "model_name", "index_construct", "labels", "lang", "engine", "n_read", "n_used",
    "n_excluded", "headline", "bootstrap", "segments", "wave", "impact_step",
}


#: Facts of the run's meta data whose values are the library's sentences (shown translated).
_TRANSLATED_META = {"engine"}
#: Excel's General format shows at most 11 digits (12 and more in scientific notation, and beyond
#: 2**53 a double drops digits): longer integers go in as text so that the cell shows every digit.
_GENERAL_DIGITS = 11


def _exact_integer(value: Any) -> Any:
    """An integer with more digits than Excel's General format shows, as its exact text (a bootstrap
    seed must reproduce the run: 7.39E+17 would not); anything else unchanged."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and len(str(abs(int(value)))) > _GENERAL_DIGITS:
        return str(int(value))
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _summary(bundle: RunBundle, lang: str) -> pd.DataFrame:
    """The Summary sheet: one row (field, value) per fact of the run's meta data."""
    meta = bundle.meta
    rows: list[tuple[str, Any]] = []

    def add(name: str, value: Any) -> None:
        if value is not None and value != "" and value != []:
            rows.append((name, value))

    add(_t(lang, "model"), meta.get("model_name") or bundle.model.name)
    headline = meta.get("headline") if isinstance(meta.get("headline"), dict) else None
    if headline:
        index = _number(headline.get("index"))
        add(_t(lang, "satisfaction_index"), None if index is None else round(index, 1))
        low, high = _number(headline.get("ci_lower")), _number(headline.get("ci_upper"))
        if low is not None and high is not None:
            level = _number(headline.get("level"))
            add(_t(lang, "interval_level", level=f"{level:.0%}") if level else _t(lang, "interval"), f"{low:.1f} – {high:.1f}")
        margin = _number(headline.get("margin_of_error"))
        add(_t(lang, "margin"), None if margin is None else round(margin, 1))
        construct = headline.get("construct") or meta.get("index_construct")
        label = headline.get("label")
        add(_t(lang, "index_construct"),
            _t(lang, "construct_label", construct=construct, label=label) if construct and label and label != construct else construct)
    elif meta.get("index_construct"):
        add(_t(lang, "index_construct"), meta.get("index_construct"))
    add(_t(lang, "rows_read"), meta.get("n_read"))
    add(_t(lang, "respondents"), meta.get("n_used"))
    add(_t(lang, "rows_excluded"), meta.get("n_excluded"))
    engine = meta.get("engine")
    add(_t(lang, "engine"), translate(lang, engine) if isinstance(engine, str) else engine)
    boot = meta.get("bootstrap") if isinstance(meta.get("bootstrap"), dict) else None
    if boot:
        used, resamples, failed = boot.get("used"), boot.get("resamples"), boot.get("failed")
        add(_t(lang, "resamples"), _t(lang, "resamples_value", used=used, resamples=resamples, failed=failed))
        add(_t(lang, "seed"), _exact_integer(boot.get("seed")))
        level = _number(boot.get("level"))
        method = boot.get("method")
        if isinstance(method, str) and lang != "en":
            method = _known(lang, method, ("report", "method_" + method.lower()))
        add(_t(lang, "intervals"), f"{method}{_t(lang, 'value_sep')}{level:.0%}" if level is not None else method)
        if boot.get("design") == "rao-wu":
            add(_t(lang, "bootstrap_design"), _t(lang, "bootstrap_design_value", clusters=boot.get("clusters"), strata=boot.get("strata"),
                                           reraked=_t(lang, "reraked") if boot.get("reraked") else ""))
    segments = meta.get("segments")
    if isinstance(segments, list) and segments:
        add(_t(lang, "segments"), _t(lang, "list_sep").join(str(s) for s in segments))
    add(_t(lang, "wave_column"), meta.get("wave"))
    if "impacts" in bundle.tables or "segment_impacts" in bundle.tables:
        add(_t(lang, "impact_step"), _step(bundle))
    language = meta.get("lang")
    add(_t(lang, "language"), _t(lang, "lang_" + language) if isinstance(language, str) and language in ("en", "zh") else language)
    add(_t(lang, "version"), meta.get("version"))
    for key, value in meta.items():  # anything else the run recorded
        if key not in _SUMMARY_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            name = _t(lang, "meta_" + key) if "meta_" + key in WORKBOOK_TEXTS["en"] else key.replace("_", " ").capitalize()
            add(name, translate(lang, value) if isinstance(value, str) and key in _TRANSLATED_META else value)
    frame = pd.DataFrame({"field": [r[0] for r in rows], "value": pd.Series([r[1] for r in rows], dtype=object)})
    return frame


# -- chart data blocks -------------------------------------------------------------------------


@dataclass
class _Placed:
    """Where a block was written on the Charts sheet (zero-based rows and columns)."""

    sheet: str
    header_row: int
    first_row: int
    last_row: int


@dataclass
class _Block:
    """A data block of the Charts sheet and the chart drawn from it.

    ``columns[i]`` is the list of the column's values (``str``, number or ``None``), all of the
    same length; ``formats[i]`` its number format.
    """

    title: str
    header: list[str]
    columns: list[list[Any]]
    formats: list[str | None]
    make_chart: Callable[[xlsxwriter.Workbook, _Placed, _Block], Any]
    height_px: int = _CHART_HEIGHT

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows_needed(self) -> int:
        chart_rows = math.ceil(self.height_px / _ROW_PX)
        return max(2 + self.n_rows, chart_rows) + 2

    # chart references ----------------------------------------------------------------------
    def ref(self, placed: _Placed, col: int, first: int = 0, count: int | None = None) -> str:
        count = self.n_rows - first if count is None else count
        return "=" + xl_range_formula(placed.sheet, placed.first_row + first, col, placed.first_row + first + count - 1, col)

    def cell(self, placed: _Placed, row: int, col: int) -> str:
        return "=" + quote_sheetname(placed.sheet) + "!" + xl_rowcol_to_cell(row, col, True, True)

    def header_ref(self, placed: _Placed, col: int) -> str:
        return self.cell(placed, placed.header_row, col)

    def data(self, col: int, first: int = 0, count: int | None = None) -> list[Any]:
        """The cached values of a column, as the cells show them."""
        values = self.columns[col][first:] if count is None else self.columns[col][first : first + count]
        return [_cached(v) for v in values]


def _cached(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return display_text(value)
    number = _number(value)
    return number


def _clean(value: Any) -> Any:
    """A table value as a block cell: finite numbers, text, or ``None`` (empty)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number(value)
    try:
        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _texts(values: Sequence[Any]) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]


def _floats(values: Sequence[Any]) -> list[float | None]:
    return [_number(v) for v in values]


def _label_of(bundle: RunBundle, construct: Any) -> str:
    labels = bundle.meta.get("labels")
    if isinstance(labels, dict) and labels.get(construct):
        return str(labels[construct])
    try:
        return bundle.model.label(construct)
    except KeyError:
        return str(construct)


def _cols(lang: str, *names: str) -> list[str]:
    """The headers of block columns named like table columns, in ``lang``."""
    return [column_header(name, lang) for name in names]


def _has(table: pd.DataFrame | None, *columns: str) -> bool:
    return table is not None and len(table) > 0 and all(c in table.columns for c in columns)


def _error_columns(index: list[float | None], low: list[float | None], high: list[float | None]):
    below = [None if i is None or lo is None else i - lo for i, lo in zip(index, low)]
    above = [None if i is None or hi is None else hi - i for i, hi in zip(index, high)]
    return below, above


def _error_bars(block: _Block, placed: _Placed, below_col: int, above_col: int) -> dict[str, Any]:
    return {
        "type": "custom",
        "minus_values": block.ref(placed, below_col),
        "minus_data": block.data(below_col),
        "plus_values": block.ref(placed, above_col),
        "plus_data": block.data(above_col),
        "end_style": 1,
        "line": {"color": "#404040"},
    }


def _set_title(chart: Any, title: str) -> None:
    """A literal chart title: formula-safe (XlsxWriter would read a title starting with ``=`` as a
    cell reference), as the cells are."""
    chart.set_title({"name": display_text(title), "name_font": {"size": 12, "bold": True}})


def _column_chart(workbook: xlsxwriter.Workbook, title: str, y_title: str, *, full_scale: bool = True):
    chart = workbook.add_chart({"type": "column"})
    _set_title(chart, title)
    axis = {"name": y_title, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}, "num_format": "0"}
    if full_scale:
        axis.update({"min": 0, "max": 100, "major_unit": 20})
    chart.set_y_axis(axis)
    chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
    return chart


# (a) index by construct ------------------------------------------------------------------------


def _index_block(bundle: RunBundle, lang: str) -> _Block | None:
    table = bundle.tables.get("index")
    if not _has(table, "construct", "index"):
        return None
    constructs = _texts(table["construct"])
    labels = _texts(table["label"]) if "label" in table.columns else constructs
    labels = [lab or c for lab, c in zip(labels, constructs)]
    index = _floats(table["index"])
    header = _cols(lang, "construct", "label", "index")
    columns: list[list[Any]] = [constructs, labels, index]
    formats: list[str | None] = [None, None, "0.0"]
    with_ci = "ci_lower" in table.columns and "ci_upper" in table.columns
    if with_ci:
        low, high = _floats(table["ci_lower"]), _floats(table["ci_upper"])
        with_ci = any(v is not None for v in low + high)
    if with_ci:
        below, above = _error_columns(index, low, high)
        header += [*_cols(lang, "ci_lower", "ci_upper"), _t(lang, "block_below"), _t(lang, "block_above")]
        columns += [low, high, below, above]
        formats += ["0.0", "0.0", "0.00", "0.00"]
    highlight = bundle.meta.get("index_construct")

    def make(workbook, placed, block):
        title = _t(lang, "index_chart_ci" if with_ci else "index_chart")
        chart = _column_chart(workbook, title, _t(lang, "ax_index"))
        series: dict[str, Any] = {
            "name": _t(lang, "series_index"),
            "categories": block.ref(placed, 1),
            "categories_data": block.data(1),
            "values": block.ref(placed, 2),
            "values_data": block.data(2),
            "fill": {"color": _BAR},
            "gap": 60,
            "data_labels": {"value": True, "num_format": "0.0", "position": "outside_end" if not with_ci else "inside_end"},
        }
        if highlight in constructs:
            series["points"] = [{"fill": {"color": _HIGHLIGHT}} if c == highlight else None for c in constructs]
        if with_ci:
            series["y_error_bars"] = _error_bars(block, placed, 5, 6)
        chart.add_series(series)
        chart.set_legend({"none": True})
        return chart

    return _Block(_t(lang, "index_block"), header, columns, formats, make)


# (b) importance–performance maps -----------------------------------------------------------------


def _ipma_blocks(bundle: RunBundle, lang: str) -> list[_Block]:
    table = bundle.tables.get("ipma")
    if not _has(table, "target", "driver", "importance", "performance"):
        return []
    if "level" in table.columns:
        table = table[table["level"].astype(str) == "construct"]
    blocks = []
    for target in pd.unique(table["target"]):
        rows = table[table["target"] == target]
        if rows.empty:
            continue
        drivers = _texts(rows["driver"])
        labels = _texts(rows["label"]) if "label" in rows.columns else drivers
        labels = [lab or _label_of(bundle, d) for lab, d in zip(labels, drivers)]
        performance, importance = _floats(rows["performance"]), _floats(rows["importance"])
        quadrant = _texts(rows["quadrant"]) if "quadrant" in rows.columns else [""] * len(rows)
        quadrant = [_value_text("quadrant", q, lang) if q and lang != "en" else q for q in quadrant]
        header = _cols(lang, "driver", "label", "performance", "importance", "quadrant")
        columns: list[list[Any]] = [drivers, labels, performance, importance, quadrant]
        formats: list[str | None] = [None, None, "0.0", "0.000", None]
        p = [v for v in performance if v is not None]
        i = [v for v in importance if v is not None]
        lines = len(p) >= 2 and len(i) >= 2 and len(rows) >= 2
        if lines:
            pad = [None] * (len(rows) - 2)
            med_p, med_i = float(np.median(p)), float(np.median(i))
            header += [_t(lang, f"block_median_{k}") for k in ("performance_x", "performance_y", "importance_x", "importance_y")]
            columns += [[med_p, med_p, *pad], [min(i), max(i), *pad], [min(p), max(p), *pad], [med_i, med_i, *pad]]
            formats += ["0.0", "0.000", "0.0", "0.000"]
        target_label = _label_of(bundle, target)

        def make(workbook, placed, block, target_label=target_label, lines=lines):
            chart = workbook.add_chart({"type": "scatter"})
            _set_title(chart, _t(lang, "ipma_chart", target=target_label))
            n = block.n_rows
            custom = [
                {"formula": block.cell(placed, placed.first_row + k, 1), "data": block.data(1, k, 1)}
                for k in range(n)
            ]
            chart.add_series(
                {
                    "name": _t(lang, "series_drivers"),
                    "categories": block.ref(placed, 2),
                    "categories_data": block.data(2),
                    "values": block.ref(placed, 3),
                    "values_data": block.data(3),
                    "marker": {"type": "circle", "size": 8, "fill": {"color": _BAR}, "border": {"color": _BAR}},
                    "data_labels": {"value": True, "position": "right", "custom": custom},
                }
            )
            if lines:
                for x_col, y_col, name in ((5, 6, _t(lang, "median_performance")), (7, 8, _t(lang, "median_importance"))):
                    chart.add_series(
                        {
                            "name": name,
                            "categories": block.ref(placed, x_col, 0, 2),
                            "categories_data": block.data(x_col, 0, 2),
                            "values": block.ref(placed, y_col, 0, 2),
                            "values_data": block.data(y_col, 0, 2),
                            "line": {"color": _MEDIAN, "dash_type": "dash", "width": 1},
                            "marker": {"type": "none"},
                        }
                    )
            chart.set_x_axis({"name": _t(lang, "ax_performance"), "num_format": "0", "major_gridlines": {"visible": False}})
            chart.set_y_axis({"name": _t(lang, "ax_importance"), "num_format": "0.00",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"none": True})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT + 60})
            return chart

        blocks.append(_Block(_t(lang, "ipma_chart", target=target_label), header, columns, formats, make, _CHART_HEIGHT + 60))
    return blocks


# (b2) the 四分图: importance × satisfaction, cut at the means ---------------------------------------


def _quadrant_blocks(bundle: RunBundle, lang: str) -> list[_Block]:
    """One scatter per target of table ``quadrant``, with the two mean lines the table carries."""
    table = bundle.tables.get("quadrant")
    if not _has(table, "target", "driver", "importance", "satisfaction", "importance_cut", "satisfaction_cut"):
        return []
    blocks = []
    for target in pd.unique(table["target"]):
        rows = table[table["target"] == target]
        satisfaction, importance = _floats(rows["satisfaction"]), _floats(rows["importance"])
        s_ok, i_ok = [v for v in satisfaction if v is not None], [v for v in importance if v is not None]
        cut_s, cut_i = _floats(rows["satisfaction_cut"])[0], _floats(rows["importance_cut"])[0]
        if len(rows) < 2 or len(s_ok) < 2 or len(i_ok) < 2 or cut_s is None or cut_i is None:
            continue
        items = _texts(rows["item"]) if "item" in rows.columns else [""] * len(rows)
        labels = _texts(rows["label"]) if "label" in rows.columns else _texts(rows["driver"])
        labels = [item or lab or _label_of(bundle, d) for item, lab, d in zip(items, labels, _texts(rows["driver"]))]
        names = [_t(lang, f"q_{q}") if q else "" for q in (_texts(rows["quadrant"]) if "quadrant" in rows.columns else [""] * len(rows))]
        pad = [None] * (len(rows) - 2)
        header = [*_cols(lang, "driver", "label", "satisfaction", "importance", "quadrant"),
                  *[_t(lang, f"block_mean_{k}") for k in ("satisfaction_x", "satisfaction_y", "importance_x", "importance_y")]]
        columns: list[list[Any]] = [_texts(rows["driver"]), labels, satisfaction, importance, names,
                                    [cut_s, cut_s, *pad], [min(i_ok), max(i_ok), *pad], [min(s_ok), max(s_ok), *pad],
                                    [cut_i, cut_i, *pad]]
        formats: list[str | None] = [None, None, "0.0", "0.000", None, "0.0", "0.000", "0.0", "0.000"]
        target_label = _label_of(bundle, target)

        def make(workbook, placed, block, target_label=target_label):
            chart = workbook.add_chart({"type": "scatter"})
            _set_title(chart, _t(lang, "quadrant_chart", target=target_label))
            custom = [{"formula": block.cell(placed, placed.first_row + k, 1), "data": block.data(1, k, 1)}
                      for k in range(block.n_rows)]
            chart.add_series({
                "name": _t(lang, "series_drivers"),
                "categories": block.ref(placed, 2), "categories_data": block.data(2),
                "values": block.ref(placed, 3), "values_data": block.data(3),
                "marker": {"type": "circle", "size": 8, "fill": {"color": _BAR}, "border": {"color": _BAR}},
                "data_labels": {"value": True, "position": "right", "custom": custom},
            })
            for x_col, y_col, name in ((5, 6, _t(lang, "mean_satisfaction")), (7, 8, _t(lang, "mean_importance"))):
                chart.add_series({
                    "name": name,
                    "categories": block.ref(placed, x_col, 0, 2), "categories_data": block.data(x_col, 0, 2),
                    "values": block.ref(placed, y_col, 0, 2), "values_data": block.data(y_col, 0, 2),
                    "line": {"color": _MEDIAN, "dash_type": "dash", "width": 1}, "marker": {"type": "none"},
                })
            chart.set_x_axis({"name": _t(lang, "ax_satisfaction"), "num_format": "0", "major_gridlines": {"visible": False}})
            chart.set_y_axis({"name": _t(lang, "ax_importance"), "num_format": "0.00",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"none": True})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT + 60})
            return chart

        blocks.append(_Block(_t(lang, "quadrant_chart", target=target_label), header, columns, formats, make, _CHART_HEIGHT + 60))
    return blocks


# (c) index by segment ------------------------------------------------------------------------------


def _segment_blocks(bundle: RunBundle, lang: str) -> list[_Block]:
    table = bundle.tables.get("segment_index")
    if not _has(table, "segment_column", "segment", "construct", "index"):
        return []
    seg_col = table["segment_column"].astype(object).where(table["segment_column"].notna(), "").astype(str)
    total = table[seg_col == ""]
    order = [str(c) for c in bundle.meta.get("segments") or [] if isinstance(c, str)]
    order += [c for c in pd.unique(seg_col) if c and c not in order]
    constructs = list(pd.unique(table["construct"].astype(str)))
    focus = bundle.meta.get("index_construct")
    single = focus in constructs
    shown = [focus] if single else constructs
    with_ci = single and "ci_lower" in table.columns and "ci_upper" in table.columns
    blocks = []
    for column in order:
        if not (seg_col == column).any():
            continue
        part = pd.concat([total, table[seg_col == column]])
        segments = list(dict.fromkeys(_texts(part["segment"])))
        shown_segments = [_value_text("segment", v, lang) for v in segments] if lang != "en" else segments
        keyed = part.assign(_segment=_texts(part["segment"]), _construct=part["construct"].astype(str))
        keyed = keyed.drop_duplicates(["_segment", "_construct"]).set_index(["_segment", "_construct"])

        def values(name: str, construct: str) -> list[float | None]:
            return [
                _number(keyed[name].get((s, construct))) if (s, construct) in keyed.index else None for s in segments
            ]

        if single:
            label = _label_of(bundle, focus)
            index = values("index", focus)
            header = _cols(lang, "segment", "index")
            columns: list[list[Any]] = [shown_segments, index]
            formats: list[str | None] = [None, "0.0"]
            ci = False
            if with_ci:
                low, high = values("ci_lower", focus), values("ci_upper", focus)
                ci = any(v is not None for v in low + high)
                if ci:
                    below, above = _error_columns(index, low, high)
                    header += [*_cols(lang, "ci_lower", "ci_upper"), _t(lang, "block_below"), _t(lang, "block_above")]
                    columns += [low, high, below, above]
                    formats += ["0.0", "0.0", "0.00", "0.00"]
            extra = [("n", "0"), ("status", None)]
            for name, fmt in extra:
                if name in keyed.columns:
                    header.append(column_header(name, lang))
                    cells = [_clean(keyed[name].get((s, focus))) if (s, focus) in keyed.index else None for s in segments]
                    if lang != "en":
                        cells = [_value_text(name, v, lang) if isinstance(v, str) and v else v for v in cells]
                    columns.append(cells)
                    formats.append(fmt)
            title = _t(lang, "segment_chart", label=label, column=column)
        else:
            label = None
            ci = False
            header = [column_header("segment", lang), *[_label_of(bundle, c) for c in shown]]
            columns = [shown_segments, *[values("index", c) for c in shown]]
            formats = [None, *["0.0"] * len(shown)]
            title = _t(lang, "segment_chart_all", column=column)

        def make(workbook, placed, block, title=title, ci=ci, n_series=len(shown), single=single, segments=segments):
            chart = _column_chart(workbook, _t(lang, "chart_scale", title=title), _t(lang, "ax_index"))
            for k in range(n_series):
                series: dict[str, Any] = {
                    "name": _t(lang, "series_index") if single else block.header_ref(placed, 1 + k),
                    "categories": block.ref(placed, 0),
                    "categories_data": block.data(0),
                    "values": block.ref(placed, 1 + k),
                    "values_data": block.data(1 + k),
                    "gap": 80,
                }
                if single:
                    series["fill"] = {"color": _BAR}
                    series["data_labels"] = {"value": True, "num_format": "0.0", "position": "inside_end" if ci else "outside_end"}
                    series["points"] = [{"fill": {"color": _HIGHLIGHT}} if k2 == 0 and segments[0] == TOTAL_SEGMENT else None
                                        for k2 in range(block.n_rows)]
                else:
                    series["name_data"] = [display_text(block.header[1 + k])]
                if ci:
                    series["y_error_bars"] = _error_bars(block, placed, 4, 5)
                chart.add_series(series)
            if single:
                chart.set_legend({"none": True})
            else:
                chart.set_legend({"position": "bottom"})
            return chart

        blocks.append(_Block(title, header, columns, formats, make))
    return blocks


# (d) trend by wave ---------------------------------------------------------------------------------


def _wave_block(bundle: RunBundle, lang: str) -> _Block | None:
    table = bundle.tables.get("wave_index")
    if not _has(table, "wave", "construct", "index"):
        return None
    waves = list(pd.unique(table["wave"]))
    constructs = list(pd.unique(table["construct"].astype(str)))
    keyed = table.assign(_construct=table["construct"].astype(str)).drop_duplicates(["wave", "_construct"])
    keyed = keyed.set_index(["wave", "_construct"])["index"]
    header = [column_header("wave", lang), *[_label_of(bundle, c) for c in constructs]]
    columns: list[list[Any]] = [[_clean(w) for w in waves]]
    for c in constructs:
        columns.append([_number(keyed.get((w, c))) if (w, c) in keyed.index else None for w in waves])
    formats: list[str | None] = [None, *["0.0"] * len(constructs)]
    focus = bundle.meta.get("index_construct")

    def make(workbook, placed, block):
        chart = workbook.add_chart({"type": "line"})
        _set_title(chart, _t(lang, "wave_chart"))
        for k, construct in enumerate(constructs):
            width = 3.0 if construct == focus else 1.75
            chart.add_series(
                {
                    "name": block.header_ref(placed, 1 + k),
                    "name_data": [display_text(block.header[1 + k])],
                    "categories": block.ref(placed, 0),
                    "categories_data": block.data(0),
                    "values": block.ref(placed, 1 + k),
                    "values_data": block.data(1 + k),
                    "marker": {"type": "circle", "size": 6},
                    "line": {"width": width},
                }
            )
        chart.set_x_axis({"name": _t(lang, "ax_wave")})
        chart.set_y_axis({"name": _t(lang, "ax_index"), "num_format": "0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
        return chart

    return _Block(_t(lang, "wave_block"), header, columns, formats, make)


# (e) simple slopes of a moderation ------------------------------------------------------------------


def _level_text(value: float, lang: str) -> str:
    for level, key in ((-1.0, "level_low"), (0.0, "level_mean"), (1.0, "level_high")):
        if abs(value - level) < 1e-9:
            return _t(lang, key)
    return _t(lang, "level_sd", value=f"{value:+g}")


def _slope_blocks(bundle: RunBundle, lang: str) -> list[_Block]:
    """One line chart per interaction path of ``slope_plot``: x = the iv's levels, a line per moderator level."""
    table = bundle.tables.get("slope_plot")
    if not _has(table, "target", "iv_level", "moderator_level", "estimate"):
        return []
    interaction = _texts(table["interaction"]) if "interaction" in table.columns else [""] * len(table)
    keys = list(zip(interaction, _texts(table["target"])))
    blocks = []
    for key in dict.fromkeys(keys):
        rows = table[[k == key for k in keys]]
        x_levels = sorted({v for v in _floats(rows["iv_level"]) if v is not None})
        m_levels = sorted({v for v in _floats(rows["moderator_level"]) if v is not None})
        value = {(_number(x), _number(m)): _number(e) for x, m, e in zip(rows["iv_level"], rows["moderator_level"], rows["estimate"])}
        first = rows.iloc[0]
        iv = _label_of(bundle, first["iv"]) if "iv" in rows.columns else key[0]
        moderator = _label_of(bundle, first["moderator"]) if "moderator" in rows.columns else ""
        target = _label_of(bundle, key[1])
        header = [_t(lang, "iv_level", iv=iv), *[_t(lang, "slope_series", moderator=moderator, level=_level_text(m, lang)) for m in m_levels]]
        columns: list[list[Any]] = [[_level_text(x, lang) for x in x_levels], *[[value.get((x, m)) for x in x_levels] for m in m_levels]]
        title = f"{iv} × {moderator} → {target}" if moderator else f"{iv} → {target}"

        def make(workbook, placed, block, n_lines=len(m_levels), iv=iv, target=target, title=title):
            chart = workbook.add_chart({"type": "line"})
            _set_title(chart, _t(lang, "slope_block", title=title))
            for k in range(n_lines):
                chart.add_series(
                    {
                        "name": block.header_ref(placed, 1 + k),
                        "name_data": [display_text(block.header[1 + k])],
                        "categories": block.ref(placed, 0),
                        "categories_data": block.data(0),
                        "values": block.ref(placed, 1 + k),
                        "values_data": block.data(1 + k),
                        "marker": {"type": "circle", "size": 6},
                        "line": {"width": 2.25},
                    }
                )
            # the axis names start with a label: formula-safe, as the titles (a name starting with = is a reference)
            chart.set_x_axis({"name": display_text(_t(lang, "ax_slope_x", iv=iv))})
            chart.set_y_axis({"name": display_text(_t(lang, "ax_slope_y", target=target)), "num_format": "0.0",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
            return chart

        blocks.append(_Block(_t(lang, "slope_block", title=title), header, columns, [None, *["0.000"] * len(m_levels)], make))
    return blocks


def _chart_blocks(bundle: RunBundle, lang: str) -> list[_Block]:
    blocks: list[_Block] = []
    index = _index_block(bundle, lang)
    if index is not None:
        blocks.append(index)
    blocks += _ipma_blocks(bundle, lang)
    blocks += _quadrant_blocks(bundle, lang)
    blocks += _segment_blocks(bundle, lang)
    wave = _wave_block(bundle, lang)
    if wave is not None:
        blocks.append(wave)
    blocks += _slope_blocks(bundle, lang)
    return blocks


# -- the Charts sheet --------------------------------------------------------------------------------


def _write_cell(ws: Worksheet, row: int, col: int, value: Any, cell_format: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        if value:
            ws.write_string(row, col, display_text(value))
    else:
        ws.write_number(row, col, value, cell_format)


def _write_charts_sheet(workbook: xlsxwriter.Workbook, formats: Formats, name: str, blocks: list[_Block], lang: str) -> None:
    ws = workbook.add_worksheet(name)
    title_format = workbook.add_format({"bold": True, "font_size": 12})
    n_cols = max(len(b.header) for b in blocks)
    widths = [float(MIN_WIDTH)] * n_cols
    for block in blocks:
        for col, (head, values) in enumerate(zip(block.header, block.columns)):
            texts = [display_text(head)] + [display_text(v) if isinstance(v, str) else f"{v:.3f}" for v in values if v is not None]
            widths[col] = max(widths[col], min(float(MAX_WIDTH), max(text_width(t) for t in texts) + 2.0))
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    chart_col = n_cols + 1

    ws.write_string(0, 0, display_text(_t(lang, "note_charts")), formats.note)
    row = 2
    for block in blocks:
        ws.write_string(row, 0, display_text(block.title), title_format)
        for col, head in enumerate(block.header):
            ws.write_string(row + 1, col, display_text(head), formats.header)
        cell_formats = [formats.number(f) for f in block.formats]
        for k in range(block.n_rows):
            for col, values in enumerate(block.columns):
                _write_cell(ws, row + 2 + k, col, values[k], cell_formats[col])
        placed = _Placed(ws.get_name(), row + 1, row + 2, row + 1 + block.n_rows)
        chart = block.make_chart(workbook, placed, block)
        ws.insert_chart(row, chart_col, chart, {"x_offset": 10, "y_offset": 5, "object_position": 1})
        row += block.rows_needed()


# -- the workbook -----------------------------------------------------------------------------------


def _workbook_language(bundle: RunBundle) -> str:
    """``meta["lang"]`` when the run recorded it (as :func:`csi_survey.i18n.detect_lang` reads it), else English."""
    declared = bundle.meta.get("lang")
    try:
        return check_language(declared) if isinstance(declared, str) else "en"
    except ValueError:
        return "en"


def write_report_workbook(path: str | Path, bundle: RunBundle, *, scores_sheet_limit: int = SCORES_SHEET_LIMIT,
                          lang: str | None = None) -> None:
    """Write the complete ``report.xlsx`` of a run at ``path`` from its bundle.

    Sheets (in the order given in the module documentation): Summary (from ``bundle.meta``),
    Charts (native Excel charts with their data; absent when no table has a chart), then one sheet
    per table of the bundle with a one-line note. ``scores`` goes into the workbook only up to
    ``scores_sheet_limit`` rows (above, the sheet holds a note pointing to ``scores.csv``, or to
    ``scores.parquet`` when ``meta["scores_format"]`` is ``"parquet"``).

    Language: ``lang`` (``"en"`` or ``"zh"``), by default the run's ``meta["lang"]`` (every run
    records its report language, :func:`csi_survey.i18n.report_language`: the ``--lang`` setting,
    else Chinese for Chinese labels; the HTML report follows the same entry). A bundle without a
    recorded language (a folder from before runs recorded it) keeps the English workbook it
    always had. In Chinese the sheet names, notes, chart and axis titles, Summary
    fields and the library's values (statuses, quadrants, methods, yes/no, exclusion reasons …) are
    Chinese, and the table headers show the Chinese column names of the HTML report (each note
    says that the CSV file keeps the English snake_case names). The English workbook is the one
    it always was.

    The file is written directly at ``path`` (pass ``out.path("report.xlsx")`` of an
    :class:`~csi_survey.report.atomic.AtomicOutput` to replace a report atomically); if writing
    fails the partial file is removed.

    Raises
    ------
    ReportError
        If the file cannot be written or a table does not fit in an Excel sheet (checked before
        the file is created).
    """
    if not isinstance(bundle, RunBundle):
        raise TypeError(f"expected a RunBundle, got {type(bundle).__name__}")
    lang = _workbook_language(bundle) if lang is None else check_language(lang)
    summary = localised_sheet(Sheet(_t(lang, "sheet_summary"), _summary(bundle, lang), note=_t(lang, "note_summary")), None, lang)
    tables = _table_sheets(bundle, scores_sheet_limit, lang)
    blocks = _chart_blocks(bundle, lang)
    order: list[Sheet | None] = [summary, *([None] if blocks else []), *tables]  # None: the Charts sheet
    names = sheet_names([_t(lang, "sheet_charts") if s is None else s.name for s in order])
    for sheet, name in zip(order, names):
        if sheet is not None:
            check_size(sheet, name)
    title = bundle.meta.get("model_name") or bundle.model.name
    with open_workbook(path, title=title if isinstance(title, str) else None) as (workbook, formats):
        for sheet, name in zip(order, names):
            if sheet is None:
                _write_charts_sheet(workbook, formats, name, blocks, lang)
            else:
                write_sheet(workbook, formats, sheet, name)
