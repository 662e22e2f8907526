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
respondents than ``scores_sheet_limit``).

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

from ..i18n import text
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

__all__ = ["write_report_workbook", "SCORES_SHEET_LIMIT", "CHARTS_SHEET"]

#: The language of the workbook's fixed texts (sheet notes, chart titles, Summary field names), from
#: :data:`csi_survey.i18n.WORKBOOK_TEXTS`. The workbook is written in English whatever the report
#: language: following ``meta["lang"]`` would change the workbooks, so it is left for a later issue.
WORKBOOK_LANG = "en"

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
    table: str
    sheet: str
    note: str | Callable[[RunBundle], str]
    number_formats: dict[str, str] = field(default_factory=dict)


def _t(key: str, **fields: Any) -> str:
    """A fixed text of the workbook (:data:`csi_survey.i18n.WORKBOOK_TEXTS`), fields filled in."""
    return text(WORKBOOK_LANG, key, "workbook", **fields)


def _step(bundle: RunBundle) -> Any:
    step = bundle.meta.get("impact_step")
    return 5 if step is None else step


def _fit_note(bundle: RunBundle) -> str:
    if "parameters" in bundle.tables:
        return _t("note_fit_cbsem")
    return _t("note_fit_pls")


_PERCENT_POINTS = "0.0"

#: The table sheets, in workbook order (Scores is handled apart, other tables go before it).
TABLE_SHEETS: tuple[_TableSheet, ...] = (
    _TableSheet("index", "Index", _t("note_index")),
    _TableSheet("higher_order", "Higher order", _t("note_higher_order"), {"index_weight": "0.000", "dimension_index": "0.0"}),
    _TableSheet("paths", "Paths", _t("note_paths")),
    _TableSheet("effects", "Effects", _t("note_effects")),
    _TableSheet("indirect_effects", "Indirect effects", _t("note_indirect_effects")),
    _TableSheet("mediation", "Mediation", _t("note_mediation")),
    _TableSheet("interaction_effects", "Interaction effects", _t("note_interaction_effects")),
    _TableSheet("simple_slopes", "Simple slopes", _t("note_simple_slopes"), {"moderator_level": "0"}),
    _TableSheet("slope_plot", "Slope plot", _t("note_slope_plot"), {"iv_level": "0", "moderator_level": "0"}),
    _TableSheet("weights", "Weights", _t("note_weights")),
    _TableSheet("r2", "R2", _t("note_r2")),
    _TableSheet(
        "impacts",
        "Impacts",
        lambda b: _t("note_impacts", step=_step(b)),
        {"impact": "0.00"},
    ),
    _TableSheet(
        "ipma",
        "IPMA",
        _t("note_ipma"),
        {"performance": "0.0"},
    ),
    _TableSheet("quadrant", "Quadrant", _t("note_quadrant"), {"satisfaction": "0.0", "satisfaction_cut": "0.0"}),  # 四分图
    _TableSheet("gaps", "Gaps", _t("note_gaps")),
    _TableSheet("item_summary", "Item summary", _t("note_item_summary")),
    _TableSheet("frequencies", "Frequencies", _t("note_frequencies")),
    _TableSheet(
        "nps",
        "NPS",
        _t("note_nps"),
        {c: _PERCENT_POINTS for c in ("promoters", "passives", "detractors", "nps", "std_err")},
    ),
    _TableSheet(
        "csat",
        "CSAT",
        _t("note_csat"),
        {c: _PERCENT_POINTS for c in ("top_box_share", "std_err")},
    ),
    _TableSheet("segment_index", "Segment index", _t("note_segment_index")),
    _TableSheet("segment_paths", "Segment paths", _t("note_segment_paths")),
    _TableSheet(
        "segment_impacts",
        "Segment impacts",
        lambda b: _t("note_segment_impacts", step=_step(b)),
        {"impact": "0.00"},
    ),
    _TableSheet("segment_omnibus", "Segment omnibus", _t("note_segment_omnibus")),
    _TableSheet("segment_differences", "Segment differences", _t("note_segment_differences")),
    _TableSheet("micom", "MICOM", _t("note_micom")),
    _TableSheet("wave_index", "Wave index", _t("note_wave_index")),
    _TableSheet("wave_changes", "Wave changes", _t("note_wave_changes"), {"change": "0.0"}),
    _TableSheet("segment_wave_changes", "Segment wave changes", _t("note_segment_wave_changes"), {"change": "0.0"}),
    _TableSheet("overall_index", "Overall index", _t("note_overall_index"), {"index": "0.0"}),
    _TableSheet("overall_weights", "Overall weights", _t("note_overall_weights")),
    _TableSheet("quality", "Quality", _t("note_quality")),
    _TableSheet("htmt", "HTMT", _t("note_htmt")),
    _TableSheet("fit_measures", "Model fit", _fit_note),
    _TableSheet("model_fit", "Overall fit", _t("note_model_fit_overall"), {"saturated": "0.0000", "estimated": "0.0000"}),
    _TableSheet("fit_test", "Fit test", _t("note_fit_test"), {c: "0.0000" for c in ("estimate", "hi_95", "hi_99")}),
    _TableSheet("prediction", "Prediction", _t("note_prediction")),
    _TableSheet("prediction_summary", "Predictive power", _t("note_prediction_summary")),
    _TableSheet("quality_flags", "Quality flags", _t("note_quality_flags")),
    _TableSheet("parameters", "Parameters", _t("note_parameters")),
    _TableSheet("bootstrap", "Bootstrap", _t("note_bootstrap")),
    _TableSheet("bootstrap_failures", "Bootstrap failures", _t("note_bootstrap_failures")),
    _TableSheet("missing", "Missing", _t("note_missing")),
    _TableSheet("data_quality", "Data quality", _t("note_data_quality")),
    _TableSheet("flags", "Flags", _t("note_flags")),
    _TableSheet("weight_summary", "Survey weights", _t("note_weight_summary")),
    _TableSheet("excluded", "Excluded", _t("note_excluded")),
)
_KNOWN = {spec.table for spec in TABLE_SHEETS} | {"scores"}


def _table_sheets(bundle: RunBundle, scores_sheet_limit: int) -> list[Sheet]:
    tables = bundle.tables
    sheets = []
    for spec in TABLE_SHEETS:
        if spec.table in tables:
            note = spec.note(bundle) if callable(spec.note) else spec.note
            sheets.append(Sheet(spec.sheet, tables[spec.table], note=note, number_formats=spec.number_formats))
    for name, table in tables.items():
        if name not in _KNOWN:
            sheets.append(Sheet(name.replace("_", " ").capitalize(), table, note=_t("note_other", name=name)))
    scores = tables.get("scores")
    if scores is not None:
        if len(scores) <= scores_sheet_limit:
            sheets.append(Sheet("Scores", scores, note=_t("note_scores")))
        else:
            sheets.append(
                Sheet(
                    "Scores",
                    None,
                    note=_t("note_scores_too_many", n=f"{len(scores):,}", limit=f"{scores_sheet_limit:,}",
                            file=scores_file(bundle.meta)),
                )
            )
    return sheets


# -- summary -----------------------------------------------------------------------------------

_SUMMARY_KEYS = {
    "version", "model_name", "index_construct", "labels", "lang", "engine", "n_read", "n_used",
    "n_excluded", "headline", "bootstrap", "segments", "wave", "impact_step",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _summary(bundle: RunBundle) -> pd.DataFrame:
    """The Summary sheet: one row (field, value) per fact of the run's meta data."""
    meta = bundle.meta
    rows: list[tuple[str, Any]] = []

    def add(name: str, value: Any) -> None:
        if value is not None and value != "" and value != []:
            rows.append((name, value))

    add(_t("model"), meta.get("model_name") or bundle.model.name)
    headline = meta.get("headline") if isinstance(meta.get("headline"), dict) else None
    if headline:
        index = _number(headline.get("index"))
        add(_t("satisfaction_index"), None if index is None else round(index, 1))
        low, high = _number(headline.get("ci_lower")), _number(headline.get("ci_upper"))
        if low is not None and high is not None:
            level = _number(headline.get("level"))
            add(_t("interval_level", level=f"{level:.0%}") if level else _t("interval"), f"{low:.1f} – {high:.1f}")
        margin = _number(headline.get("margin_of_error"))
        add(_t("margin"), None if margin is None else round(margin, 1))
        construct = headline.get("construct") or meta.get("index_construct")
        label = headline.get("label")
        add(_t("index_construct"), f"{construct} ({label})" if construct and label and label != construct else construct)
    elif meta.get("index_construct"):
        add(_t("index_construct"), meta.get("index_construct"))
    add(_t("rows_read"), meta.get("n_read"))
    add(_t("respondents"), meta.get("n_used"))
    add(_t("rows_excluded"), meta.get("n_excluded"))
    add(_t("engine"), meta.get("engine"))
    boot = meta.get("bootstrap") if isinstance(meta.get("bootstrap"), dict) else None
    if boot:
        used, resamples, failed = boot.get("used"), boot.get("resamples"), boot.get("failed")
        add(_t("resamples"), _t("resamples_value", used=used, resamples=resamples, failed=failed))
        add(_t("seed"), boot.get("seed"))
        level = _number(boot.get("level"))
        method = boot.get("method")
        add(_t("intervals"), f"{method}, {level:.0%}" if level is not None else method)
        if boot.get("design") == "rao-wu":
            add(_t("bootstrap_design"), _t("bootstrap_design_value", clusters=boot.get("clusters"), strata=boot.get("strata"),
                                           reraked=_t("reraked") if boot.get("reraked") else ""))
    segments = meta.get("segments")
    if isinstance(segments, list) and segments:
        add(_t("segments"), ", ".join(str(s) for s in segments))
    add(_t("wave_column"), meta.get("wave"))
    if "impacts" in bundle.tables or "segment_impacts" in bundle.tables:
        add(_t("impact_step"), _step(bundle))
    add(_t("language"), meta.get("lang"))
    add(_t("version"), meta.get("version"))
    for key, value in meta.items():  # anything else the run recorded
        if key not in _SUMMARY_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            add(key.replace("_", " ").capitalize(), value)
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


def _index_block(bundle: RunBundle) -> _Block | None:
    table = bundle.tables.get("index")
    if not _has(table, "construct", "index"):
        return None
    constructs = _texts(table["construct"])
    labels = _texts(table["label"]) if "label" in table.columns else constructs
    labels = [lab or c for lab, c in zip(labels, constructs)]
    index = _floats(table["index"])
    header = ["construct", "label", "index"]
    columns: list[list[Any]] = [constructs, labels, index]
    formats: list[str | None] = [None, None, "0.0"]
    with_ci = "ci_lower" in table.columns and "ci_upper" in table.columns
    if with_ci:
        low, high = _floats(table["ci_lower"]), _floats(table["ci_upper"])
        with_ci = any(v is not None for v in low + high)
    if with_ci:
        below, above = _error_columns(index, low, high)
        header += ["ci_lower", "ci_upper", "below (index − ci_lower)", "above (ci_upper − index)"]
        columns += [low, high, below, above]
        formats += ["0.0", "0.0", "0.00", "0.00"]
    highlight = bundle.meta.get("index_construct")

    def make(workbook, placed, block):
        title = _t("index_chart_ci" if with_ci else "index_chart")
        chart = _column_chart(workbook, title, _t("ax_index"))
        series: dict[str, Any] = {
            "name": _t("series_index"),
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

    return _Block(_t("index_block"), header, columns, formats, make)


# (b) importance–performance maps -----------------------------------------------------------------


def _ipma_blocks(bundle: RunBundle) -> list[_Block]:
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
        header = ["driver", "label", "performance", "importance", "quadrant"]
        columns: list[list[Any]] = [drivers, labels, performance, importance, quadrant]
        formats: list[str | None] = [None, None, "0.0", "0.000", None]
        p = [v for v in performance if v is not None]
        i = [v for v in importance if v is not None]
        lines = len(p) >= 2 and len(i) >= 2 and len(rows) >= 2
        if lines:
            pad = [None] * (len(rows) - 2)
            med_p, med_i = float(np.median(p)), float(np.median(i))
            header += ["median performance: x", "median performance: y", "median importance: x", "median importance: y"]
            columns += [[med_p, med_p, *pad], [min(i), max(i), *pad], [min(p), max(p), *pad], [med_i, med_i, *pad]]
            formats += ["0.0", "0.000", "0.0", "0.000"]
        target_label = _label_of(bundle, target)

        def make(workbook, placed, block, target_label=target_label, lines=lines):
            chart = workbook.add_chart({"type": "scatter"})
            _set_title(chart, _t("ipma_chart", target=target_label))
            n = block.n_rows
            custom = [
                {"formula": block.cell(placed, placed.first_row + k, 1), "data": block.data(1, k, 1)}
                for k in range(n)
            ]
            chart.add_series(
                {
                    "name": _t("series_drivers"),
                    "categories": block.ref(placed, 2),
                    "categories_data": block.data(2),
                    "values": block.ref(placed, 3),
                    "values_data": block.data(3),
                    "marker": {"type": "circle", "size": 8, "fill": {"color": _BAR}, "border": {"color": _BAR}},
                    "data_labels": {"value": True, "position": "right", "custom": custom},
                }
            )
            if lines:
                for x_col, y_col, name in ((5, 6, _t("median_performance")), (7, 8, _t("median_importance"))):
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
            chart.set_x_axis({"name": _t("ax_performance"), "num_format": "0", "major_gridlines": {"visible": False}})
            chart.set_y_axis({"name": _t("ax_importance"), "num_format": "0.00",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"none": True})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT + 60})
            return chart

        blocks.append(_Block(_t("ipma_chart", target=target_label), header, columns, formats, make, _CHART_HEIGHT + 60))
    return blocks


# (b2) the 四分图: importance × satisfaction, cut at the means ---------------------------------------


def _quadrant_blocks(bundle: RunBundle) -> list[_Block]:
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
        names = [_t(f"q_{q}") if q else "" for q in (_texts(rows["quadrant"]) if "quadrant" in rows.columns else [""] * len(rows))]
        pad = [None] * (len(rows) - 2)
        header = ["driver", "label", "satisfaction", "importance", "quadrant",
                  "mean satisfaction: x", "mean satisfaction: y", "mean importance: x", "mean importance: y"]
        columns: list[list[Any]] = [_texts(rows["driver"]), labels, satisfaction, importance, names,
                                    [cut_s, cut_s, *pad], [min(i_ok), max(i_ok), *pad], [min(s_ok), max(s_ok), *pad],
                                    [cut_i, cut_i, *pad]]
        formats: list[str | None] = [None, None, "0.0", "0.000", None, "0.0", "0.000", "0.0", "0.000"]
        target_label = _label_of(bundle, target)

        def make(workbook, placed, block, target_label=target_label):
            chart = workbook.add_chart({"type": "scatter"})
            _set_title(chart, _t("quadrant_chart", target=target_label))
            custom = [{"formula": block.cell(placed, placed.first_row + k, 1), "data": block.data(1, k, 1)}
                      for k in range(block.n_rows)]
            chart.add_series({
                "name": _t("series_drivers"),
                "categories": block.ref(placed, 2), "categories_data": block.data(2),
                "values": block.ref(placed, 3), "values_data": block.data(3),
                "marker": {"type": "circle", "size": 8, "fill": {"color": _BAR}, "border": {"color": _BAR}},
                "data_labels": {"value": True, "position": "right", "custom": custom},
            })
            for x_col, y_col, name in ((5, 6, _t("mean_satisfaction")), (7, 8, _t("mean_importance"))):
                chart.add_series({
                    "name": name,
                    "categories": block.ref(placed, x_col, 0, 2), "categories_data": block.data(x_col, 0, 2),
                    "values": block.ref(placed, y_col, 0, 2), "values_data": block.data(y_col, 0, 2),
                    "line": {"color": _MEDIAN, "dash_type": "dash", "width": 1}, "marker": {"type": "none"},
                })
            chart.set_x_axis({"name": _t("ax_satisfaction"), "num_format": "0", "major_gridlines": {"visible": False}})
            chart.set_y_axis({"name": _t("ax_importance"), "num_format": "0.00",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"none": True})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT + 60})
            return chart

        blocks.append(_Block(_t("quadrant_chart", target=target_label), header, columns, formats, make, _CHART_HEIGHT + 60))
    return blocks


# (c) index by segment ------------------------------------------------------------------------------


def _segment_blocks(bundle: RunBundle) -> list[_Block]:
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
        keyed = part.assign(_segment=_texts(part["segment"]), _construct=part["construct"].astype(str))
        keyed = keyed.drop_duplicates(["_segment", "_construct"]).set_index(["_segment", "_construct"])

        def values(name: str, construct: str) -> list[float | None]:
            return [
                _number(keyed[name].get((s, construct))) if (s, construct) in keyed.index else None for s in segments
            ]

        if single:
            label = _label_of(bundle, focus)
            index = values("index", focus)
            header = ["segment", "index"]
            columns: list[list[Any]] = [segments, index]
            formats: list[str | None] = [None, "0.0"]
            ci = False
            if with_ci:
                low, high = values("ci_lower", focus), values("ci_upper", focus)
                ci = any(v is not None for v in low + high)
                if ci:
                    below, above = _error_columns(index, low, high)
                    header += ["ci_lower", "ci_upper", "below (index − ci_lower)", "above (ci_upper − index)"]
                    columns += [low, high, below, above]
                    formats += ["0.0", "0.0", "0.00", "0.00"]
            extra = [("n", "0"), ("status", None)]
            for name, fmt in extra:
                if name in keyed.columns:
                    header.append(name)
                    columns.append([_clean(keyed[name].get((s, focus))) if (s, focus) in keyed.index else None for s in segments])
                    formats.append(fmt)
            title = _t("segment_chart", label=label, column=column)
        else:
            label = None
            ci = False
            header = ["segment", *[_label_of(bundle, c) for c in shown]]
            columns = [segments, *[values("index", c) for c in shown]]
            formats = [None, *["0.0"] * len(shown)]
            title = _t("segment_chart_all", column=column)

        def make(workbook, placed, block, title=title, ci=ci, n_series=len(shown), single=single):
            chart = _column_chart(workbook, _t("chart_scale", title=title), _t("ax_index"))
            for k in range(n_series):
                series: dict[str, Any] = {
                    "name": _t("series_index") if single else block.header_ref(placed, 1 + k),
                    "categories": block.ref(placed, 0),
                    "categories_data": block.data(0),
                    "values": block.ref(placed, 1 + k),
                    "values_data": block.data(1 + k),
                    "gap": 80,
                }
                if single:
                    series["fill"] = {"color": _BAR}
                    series["data_labels"] = {"value": True, "num_format": "0.0", "position": "inside_end" if ci else "outside_end"}
                    series["points"] = [{"fill": {"color": _HIGHLIGHT}} if k2 == 0 and block.columns[0][0] == "(total)" else None
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


def _wave_block(bundle: RunBundle) -> _Block | None:
    table = bundle.tables.get("wave_index")
    if not _has(table, "wave", "construct", "index"):
        return None
    waves = list(pd.unique(table["wave"]))
    constructs = list(pd.unique(table["construct"].astype(str)))
    keyed = table.assign(_construct=table["construct"].astype(str)).drop_duplicates(["wave", "_construct"])
    keyed = keyed.set_index(["wave", "_construct"])["index"]
    header = ["wave", *[_label_of(bundle, c) for c in constructs]]
    columns: list[list[Any]] = [[_clean(w) for w in waves]]
    for c in constructs:
        columns.append([_number(keyed.get((w, c))) if (w, c) in keyed.index else None for w in waves])
    formats: list[str | None] = [None, *["0.0"] * len(constructs)]
    focus = bundle.meta.get("index_construct")

    def make(workbook, placed, block):
        chart = workbook.add_chart({"type": "line"})
        _set_title(chart, _t("wave_chart"))
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
        chart.set_x_axis({"name": _t("ax_wave")})
        chart.set_y_axis({"name": _t("ax_index"), "num_format": "0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
        return chart

    return _Block(_t("wave_block"), header, columns, formats, make)


# (e) simple slopes of a moderation ------------------------------------------------------------------


def _level_text(value: float) -> str:
    for level, key in ((-1.0, "level_low"), (0.0, "level_mean"), (1.0, "level_high")):
        if abs(value - level) < 1e-9:
            return _t(key)
    return _t("level_sd", value=f"{value:+g}")


def _slope_blocks(bundle: RunBundle) -> list[_Block]:
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
        header = [_t("iv_level", iv=iv), *[_t("slope_series", moderator=moderator, level=_level_text(m)) for m in m_levels]]
        columns: list[list[Any]] = [[_level_text(x) for x in x_levels], *[[value.get((x, m)) for x in x_levels] for m in m_levels]]
        title = f"{iv} × {moderator} → {target}" if moderator else f"{iv} → {target}"

        def make(workbook, placed, block, n_lines=len(m_levels), iv=iv, target=target, title=title):
            chart = workbook.add_chart({"type": "line"})
            _set_title(chart, _t("slope_block", title=title))
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
            chart.set_x_axis({"name": display_text(_t("ax_slope_x", iv=iv))})
            chart.set_y_axis({"name": display_text(_t("ax_slope_y", target=target)), "num_format": "0.0",
                              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": _CHART_WIDTH, "height": _CHART_HEIGHT})
            return chart

        blocks.append(_Block(_t("slope_block", title=title), header, columns, [None, *["0.000"] * len(m_levels)], make))
    return blocks


def _chart_blocks(bundle: RunBundle) -> list[_Block]:
    blocks: list[_Block] = []
    index = _index_block(bundle)
    if index is not None:
        blocks.append(index)
    blocks += _ipma_blocks(bundle)
    blocks += _quadrant_blocks(bundle)
    blocks += _segment_blocks(bundle)
    wave = _wave_block(bundle)
    if wave is not None:
        blocks.append(wave)
    blocks += _slope_blocks(bundle)
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


def _write_charts_sheet(workbook: xlsxwriter.Workbook, formats: Formats, name: str, blocks: list[_Block]) -> None:
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

    ws.write_string(0, 0, display_text(_t("note_charts")), formats.note)
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


def write_report_workbook(path: str | Path, bundle: RunBundle, *, scores_sheet_limit: int = SCORES_SHEET_LIMIT) -> None:
    """Write the complete ``report.xlsx`` of a run at ``path`` from its bundle.

    Sheets (in the order given in the module documentation): Summary (from ``bundle.meta``),
    Charts (native Excel charts with their data; absent when no table has a chart), then one sheet
    per table of the bundle with a one-line note. ``scores`` goes into the workbook only up to
    ``scores_sheet_limit`` rows (above, the sheet holds a note pointing to ``scores.csv``, or to
    ``scores.parquet`` when ``meta["scores_format"]`` is ``"parquet"``).

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
    summary = Sheet("Summary", _summary(bundle), note=_t("note_summary"))
    tables = _table_sheets(bundle, scores_sheet_limit)
    blocks = _chart_blocks(bundle)
    order: list[Sheet | None] = [summary, *([None] if blocks else []), *tables]  # None: the Charts sheet
    names = sheet_names([CHARTS_SHEET if s is None else s.name for s in order])
    for sheet, name in zip(order, names):
        if sheet is not None:
            check_size(sheet, name)
    title = bundle.meta.get("model_name") or bundle.model.name
    with open_workbook(path, title=title if isinstance(title, str) else None) as (workbook, formats):
        for sheet, name in zip(order, names):
            if sheet is None:
                _write_charts_sheet(workbook, formats, name, blocks)
            else:
                write_sheet(workbook, formats, sheet, name)
