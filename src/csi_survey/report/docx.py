"""The Word report of a run (``report.docx``), in English or Chinese, for the managers a survey is for.

>>> from csi_survey.report.bundle import load_bundle                     # doctest: +SKIP
>>> from csi_survey.report.docx import write_docx
>>> write_docx(load_bundle("results/2026-Q3"), "results/2026-Q3/report.docx", lang="zh")  # doctest: +SKIP

:func:`write_docx` takes a run bundle (``meta``, ``tables``, ``model``: see
:mod:`csi_survey.report.bundle`), as :func:`csi_survey.report.html.render_html` does, and writes one
``.docx`` (python-docx) with the content in the order a manager reads it:

1. title, date and the data (source, respondents used, rows read and excluded);
2. the headline index with its margin of error (half the width of the bootstrap interval; "no
   interval: bootstrap off" without one);
3. the interpretation paragraphs of :mod:`csi_survey.report.interpret` (templates of the
   catalogue filled with the numbers: nothing the numbers do not support);
4. the path diagram (constructs, path coefficients, R²) as an image;
5. the index table; the driver table (``impacts``: total effects and impacts);
6. the IPMA chart and table; the importance × satisfaction quadrant chart (四分图) and table
   when the run has the table ``quadrant`` (columns ``driver, importance, satisfaction,
   quadrant``);
7. the segment table (the index construct per segment), the wave-change table;
8. a methods note.

A section whose table the run does not have is left out. The charts are PNG images drawn by
:mod:`csi_survey.report.docx_charts` (matplotlib, loaded only here).

**Fonts.** Every run of text carries its fonts explicitly — Latin ``Arial`` and East Asian
(``w:eastAsia``) ``Microsoft YaHei`` (微软雅黑, on every Chinese Windows) — and the document's
styles (Normal, Title, headings, tables) say the same, with the language ``zh-CN`` for East Asian
text. Word uses those fonts; LibreOffice (and Word without them) substitutes its own CJK font
(fontconfig gives Noto Sans CJK SC on Debian with ``fonts-noto-cjk``), so Chinese text never
falls back to a font without CJK glyphs. The tests convert the document to PDF with LibreOffice
and check the embedded fonts.

**Atomic.** The file is written to a temporary file in the same folder and renamed, so a reader
never sees half a document; :func:`render_docx` returns the bytes instead (the batch writes them
into a segment folder with the other files).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import ReportError
from ..i18n import TEXTS, check_language, detect_lang, text, translate
from ..ingest.columns import TOTAL_SEGMENT
from .docx_charts import DiagramEdge, ScatterPoint, path_diagram_png, scatter_png
from .html_parts import as_text, fmt_level, is_true
from .interpret import headline_numbers, index_construct, interpret, labels_of
from .svg import finite_number, format_number, format_p, stars

__all__ = ["write_docx", "render_docx", "LATIN_FONT", "EAST_ASIAN_FONT"]

#: The Latin and the East Asian font named on every run of text.
LATIN_FONT = "Arial"
EAST_ASIAN_FONT = "Microsoft YaHei"
_ACCENT = "2E5C8A"
_HEADER_FILL = "DCE6F1"
_IMAGE_WIDTH_CM = 16.0
_TABLE_WIDTH_CM = 16.6


# ====================================================================== entry points
def render_docx(bundle: Any, *, lang: str | None = None, date: _dt.date | str | None = None) -> bytes:
    """The ``report.docx`` of a run bundle as bytes (``lang`` ``"en"``/``"zh"``, by default from
    the bundle: :func:`csi_survey.i18n.detect_lang`; ``date`` printed under the title, by default
    ``meta["date"]``, else today: run.json holds no run time, so that a repeated run writes the same bytes)."""
    lang = detect_lang(bundle) if lang is None else check_language(lang)
    try:
        import docx  # noqa: F401  (python-docx)
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise ReportError("report.docx needs the package python-docx", hint="pip install python-docx matplotlib") from error
    document = _DocxReport(bundle, lang, date).build()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_docx(bundle: Any, path: str | os.PathLike[str], *, lang: str | None = None,
               date: _dt.date | str | None = None) -> Path:
    """Write the ``report.docx`` of a run bundle to ``path`` (atomically); return the path.

    ``bundle`` has ``meta`` (the run's ``run.json``), ``tables`` (every table optional) and
    ``model``; ``lang`` is ``"en"`` or ``"zh"`` (default: from the bundle).

    Raises
    ------
    ReportError
        When the file cannot be written (the message says why).
    """
    content = render_docx(bundle, lang=lang, date=date)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "xb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportError(f"cannot write {path}: {error.strerror or error}",
                          hint="check that the folder exists, that you may write to it and that the disk is not full.") from error
    return path


# ====================================================================== fonts and low-level pieces
def _set_fonts(rpr_parent: Any, *, size: float | None = None, bold: bool | None = None, colour: str | None = None) -> None:
    """Name the Latin and East Asian fonts (and the zh-CN language of East Asian text) on a run or a style."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = rpr_parent.font
    font.name = LATIN_FONT
    rpr = rpr_parent.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT), ("w:eastAsia", EAST_ASIAN_FONT)):
        fonts.set(qn(attr), value)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if colour is not None:
        font.color.rgb = RGBColor.from_string(colour)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shading = tcpr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill})
    tcpr.append(shading)


def _repeat_header(row: Any) -> None:
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))


def _width(texts: Sequence[str], pick: Callable[..., int]) -> int:
    """The display width of texts (a CJK character counts two), combined with ``pick`` (``max``)."""
    return pick(sum(2 if ord(ch) >= 0x2E80 else 1 for ch in t) for t in texts)


def _signed(value: float, digits: int) -> str:
    """A change with its sign: "+1.2", "−0.4"; "0.0" when it rounds to zero (never "-0.0")."""
    text_ = f"{value:+.{digits}f}"
    return text_[1:] if float(text_) == 0 else text_


class Col:
    """A table column: header, how a record becomes its text, whether it is a number (right-aligned)."""

    def __init__(self, header: str, value: Callable[[Mapping[str, Any]], str], num: bool = False):
        self.header, self.value, self.num = header, value, num


# ====================================================================== the report
class _DocxReport:
    def __init__(self, bundle: Any, lang: str, date: _dt.date | str | None):
        self.bundle, self.lang = bundle, lang
        self.meta: dict[str, Any] = dict(getattr(bundle, "meta", None) or {})
        tables = getattr(bundle, "tables", None) or {}
        self.tables = {str(k).removesuffix(".csv"): v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
        self.model = getattr(bundle, "model", None)
        self.labels = labels_of(bundle)
        self.index = index_construct(bundle)
        boot = self.meta.get("bootstrap") or {}
        self.level = fmt_level(boot.get("level")) or fmt_level((self.meta.get("headline") or {}).get("level")) or "95%"
        self.date = date if date is not None else self.meta.get("date") or _dt.date.today()
        self.doc: Any = None
        self.font_missing = False

    def t(self, key: str, **fields: Any) -> str:
        return text(self.lang, key, **fields)

    def label(self, construct: Any) -> str:
        key = as_text(construct)
        return self.labels.get(key, key)

    def table_of(self, name: str, *columns: str) -> pd.DataFrame | None:
        df = self.tables.get(name)
        if df is None or df.empty or not set(columns) <= set(df.columns):
            return None
        return df

    def known(self, prefix: str, value: Any) -> str:
        key = prefix + as_text(value).lower()
        return self.t(key) if key in TEXTS["en"] else as_text(value)

    # ---------------------------------------------------------------- document pieces
    def paragraph(self, content: str = "", *, size: float | None = None, bold: bool = False, colour: str | None = None,
                  style: str | None = None, align: str | None = None, space_after: float | None = None) -> Any:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        p = self.doc.add_paragraph(style=style)
        if content:
            run = p.add_run(content)
            _set_fonts(run, size=size, bold=bold or None, colour=colour)
        if align == "center":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if space_after is not None:
            p.paragraph_format.space_after = Pt(space_after)
        return p

    def heading(self, content: str, level: int = 1) -> None:
        p = self.doc.add_heading(level=level)
        _set_fonts(p.add_run(content), colour=_ACCENT)

    def note(self, content: str) -> None:
        if content:
            self.paragraph(content, size=8.5, colour="555555", space_after=8)

    def image(self, chart: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        width = min(_IMAGE_WIDTH_CM, chart.width_in * 2.54)
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run().add_picture(io.BytesIO(chart.png), width=Cm(width))
        self.font_missing |= chart.font_missing

    def table(self, df: pd.DataFrame, cols: Sequence[Col], *, limit: int | None = None) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt

        records = df.to_dict("records")
        if limit is not None:
            records = records[:limit]
        texts = [[col.value(rec) for rec in records] for col in cols]
        table = self.doc.add_table(rows=1 + len(records), cols=len(cols))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header = table.rows[0]
        _repeat_header(header)
        for cell, col in zip(header.cells, cols):
            _shade(cell, _HEADER_FILL)
            p = cell.paragraphs[0]
            _set_fonts(p.add_run(col.header), size=8.5, bold=True)
            if col.num:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for k, row in enumerate(table.rows[1:]):
            for cell, col, values in zip(row.cells, cols, texts):
                p = cell.paragraphs[0]
                _set_fonts(p.add_run(values[k]), size=8.5)
                if col.num:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        # column widths by their content (the widest cell; the header on two lines at most), within limits
        table.autofit = False
        weights = [float(min(30, max(5, _width(col.header.split() or [""], max), _width([col.header], max) / 2 + 1,
                                     _width(values, max) if values else 0)))
                   for col, values in zip(cols, texts)]
        widths = [_TABLE_WIDTH_CM * w / sum(weights) for w in weights]
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)  # the grid (LibreOffice reads it), then every cell (Word reads those)
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
                cell.paragraphs[0].paragraph_format.space_after = Pt(0)
        self.doc.add_paragraph().paragraph_format.space_after = Pt(2)

    def num(self, column: str, digits: int) -> Callable[[Mapping[str, Any]], str]:
        return lambda r: format_number(r.get(column), digits) if finite_number(r.get(column)) is not None else "–"

    def interval(self, digits: int, signed: bool = False) -> Callable[[Mapping[str, Any]], str]:
        def cell(r: Mapping[str, Any]) -> str:
            lo, hi = finite_number(r.get("ci_lower")), finite_number(r.get("ci_upper"))
            if lo is None or hi is None:
                return "–"
            return f"{_signed(lo, digits)} – {_signed(hi, digits)}" if signed else f"{format_number(lo, digits)} – {format_number(hi, digits)}"
        return cell

    # ---------------------------------------------------------------- build
    def build(self) -> Any:
        import docx
        from docx.shared import Cm

        self.doc = docx.Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.2))
        section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
            with contextlib.suppress(KeyError):
                _set_fonts(self.doc.styles[name])
        _set_fonts(self.doc.styles["Normal"], size=10.5)
        props = self.doc.core_properties
        props.title = self.model_name() or self.t("docx_title")
        props.language = "zh-CN" if self.lang == "zh" else "en"
        props.author = "csi-survey"
        footer = section.footer.paragraphs[0]
        _set_fonts(footer.add_run(self.t("docx_footer", version=as_text(self.meta.get("version")))), size=8, colour="777777")

        self.title_block()
        self.headline_block()
        self.findings()
        self.diagram()
        self.index_table()
        self.driver_table()
        self.ipma()
        self.quadrant()
        self.segments()
        self.waves()
        self.methods()
        return self.doc

    def model_name(self) -> str:
        return as_text(self.meta.get("model_name")) or (self.model.name if self.model is not None else "")

    def date_text(self) -> str:
        value = self.date
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = _dt.date.fromisoformat(value[:10])
        if isinstance(value, _dt.date):
            return f"{value.year}年{value.month}月{value.day}日" if self.lang == "zh" else value.isoformat()
        return as_text(value)

    def title_block(self) -> None:
        self.paragraph(self.t("docx_title"), size=22, bold=True, colour=_ACCENT, space_after=4)
        name = self.model_name()
        if name:
            self.paragraph(name, size=14, bold=True, space_after=4)
        self.paragraph(self.t("docx_date", date=self.date_text()), size=10, colour="555555", space_after=2)
        m = self.meta
        n, read, excluded = (finite_number(m.get(k)) for k in ("n_used", "n_read", "n_excluded"))
        if n is not None and read is not None and excluded is not None and as_text(m.get("source")):
            data = self.t("docx_data", source=as_text(m.get("source")), n=f"{int(n):,}", read=f"{int(read):,}",
                          excluded=f"{int(excluded):,}")
        elif n is not None:
            data = self.t("docx_data_short", n=f"{int(n):,}")
        else:
            data = ""
        if data:
            self.paragraph(data, size=10, colour="555555", space_after=10)

    def headline_block(self) -> None:
        h = headline_numbers(self.bundle)
        if h is None:
            return
        self.paragraph(self.t("docx_headline", label=h["label"]), size=12, bold=True, space_after=0)
        self.paragraph(format_number(h["index"], 1), size=32, bold=True, colour=_ACCENT, space_after=0)
        if h["moe"] is not None:
            moe = self.t("docx_moe", moe=format_number(h["moe"], 1), level=h["level"], lo=format_number(h["ci_lower"], 1),
                         hi=format_number(h["ci_upper"], 1))
        else:
            moe = self.t("docx_no_interval")
        self.paragraph(moe, size=10, colour="555555", space_after=10)

    def findings(self) -> None:
        paragraphs = interpret(self.bundle, self.lang)
        if not paragraphs:
            return
        self.heading(self.t("docx_sec_findings"))
        for p in paragraphs:
            self.paragraph(p.text, style="List Bullet", space_after=4)

    def diagram(self) -> None:
        paths = self.table_of("paths", "source", "target")
        if paths is None:
            return
        r2 = self.table_of("r2", "construct", "r2")
        r2_map = {str(c): finite_number(v) for c, v in zip(r2["construct"], r2["r2"])} if r2 is not None else {}
        edges = [DiagramEdge(str(r["source"]), str(r["target"]), finite_number(r.get("estimate")), finite_number(r.get("p_value")))
                 for r in paths.to_dict("records")]
        nodes = list(self.model.construct_ids) if self.model is not None else []
        nodes = [n for n in nodes if any(n in (e.source, e.target) for e in edges)]
        chart = path_diagram_png(nodes, edges, labels={n: self.label(n) for n in {*nodes, *(e.source for e in edges),
                                                                                  *(e.target for e in edges)}},
                                 r2=r2_map, highlight=self.index)
        self.heading(self.t("docx_sec_diagram"))
        self.image(chart)
        self.note(self.t("docx_diagram_note"))

    def index_table(self) -> None:
        df = self.table_of("index", "construct", "index")
        if df is None:
            return
        cols = [
            Col(self.t("construct"), lambda r: as_text(r.get("label")) or self.label(r.get("construct"))),
            Col(self.t("index"), self.num("index", 1), True),
        ]
        if "margin_of_error" in df.columns and df["margin_of_error"].notna().any():
            cols.append(Col(self.t("margin"), self.num("margin_of_error", 1), True))
        if {"ci_lower", "ci_upper"} <= set(df.columns) and df["ci_lower"].notna().any():
            cols.append(Col(self.t("interval", level=self.level), self.interval(1), True))
        if "n" in df.columns:
            cols.append(Col(self.t("n"), self.num("n", 0), True))
        self.heading(self.t("docx_sec_index"))
        self.table(df, cols)

    def driver_table(self) -> None:
        df = self.table_of("impacts", "target", "driver")
        if df is None:
            return
        step = f"{finite_number(self.meta.get('impact_step')) or 5.0:g}"
        effects = self.table_of("effects", "source", "target", "p_value")
        p_of = {}
        if effects is not None:
            p_of = {(str(r["source"]), str(r["target"])): finite_number(r.get("p_value")) for r in effects.to_dict("records")}
        cols = [Col(self.t("target"), lambda r: self.label(r.get("target"))), Col(self.t("driver"), lambda r: self.label(r.get("driver")))]
        if "total_effect" in df.columns:
            cols.append(Col(self.t("docx_total_std"), lambda r: (format_number(r.get("total_effect"), 3)
                                                                  + stars(p_of.get((str(r.get("driver")), str(r.get("target"))))))
                            if finite_number(r.get("total_effect")) is not None else "–", True))
        if "total_effect_100" in df.columns:
            cols.append(Col(self.t("total_effect_100"), self.num("total_effect_100", 2), True))
        if "impact" in df.columns:
            cols.append(Col(self.t("impact", step=step), self.num("impact", 2), True))
        self.heading(self.t("docx_sec_drivers"))
        self.table(df, cols)
        self.note(self.t("docx_drivers_note", step=step))

    def ipma(self) -> None:
        df = self.table_of("ipma", "target", "driver", "importance", "performance")
        if df is None:
            return
        rows = df[df["level"].astype(str) == "construct"] if "level" in df.columns else df
        if rows.empty:
            return
        self.heading(self.t("docx_sec_ipma"))
        targets = list(dict.fromkeys(rows["target"].astype(str)))
        targets = [t for t in targets if t == self.index] or targets[:1]
        for target in targets:
            part = rows[rows["target"].astype(str) == target]
            points = [ScatterPoint(as_text(r.get("label")) or self.label(r.get("driver")), float(r["performance"]), float(r["importance"]),
                                   as_text(r.get("quadrant")))
                      for r in part.to_dict("records")
                      if finite_number(r.get("performance")) is not None and finite_number(r.get("importance")) is not None]
            if not points:
                continue
            perf = pd.Series([p.x for p in points])
            imp = pd.Series([p.y for p in points])
            chart = scatter_png(points, title=self.t("ipma_title", target=self.label(target)), x_title=self.t("ax_performance"),
                                y_title=self.t("ax_importance"), x_cut=float(perf.median()), y_cut=float(imp.median()),
                                x_cut_label=text(self.lang, "median_performance", "workbook"),
                                y_cut_label=text(self.lang, "median_importance", "workbook"),
                                quadrant_names={q: self.t(q) for q in ("fix first", "keep up", "possible overkill", "low priority")})
            self.image(chart)
        self.note(self.t("ipma_note"))
        cols = [
            Col(self.t("target"), lambda r: self.label(r.get("target"))),
            Col(self.t("driver"), lambda r: self.label(r.get("driver"))),
            Col(self.t("importance"), self.num("importance", 3), True),
            Col(self.t("performance"), self.num("performance", 1), True),
        ]
        if "quadrant" in rows.columns:
            cols.append(Col(self.t("quadrant"), lambda r: self.known("", r.get("quadrant"))))
        self.table(rows, cols)

    def quadrant_name(self, value: Any) -> str:
        """The catalogue name of a 四分图 quadrant (``q_advantage`` … of :mod:`csi_survey.quadrant`), else the value."""
        q = as_text(value)
        return self.t(f"q_{q}") if f"q_{q}" in TEXTS["en"] else q

    def quadrant(self) -> None:
        df = self.table_of("quadrant", "driver", "importance", "satisfaction")
        if df is None:
            return
        if "level" in df.columns:
            df = df[df["level"].astype(str) == "construct"]
        if "target" in df.columns and len(df):
            targets = list(dict.fromkeys(df["target"].astype(str)))
            df = df[df["target"].astype(str) == (self.index if self.index in targets else targets[0])]
        records = [r for r in df.to_dict("records")
                   if finite_number(r.get("importance")) is not None and finite_number(r.get("satisfaction")) is not None]
        if not records:
            return
        target = as_text(records[0].get("target")) or self.index or ""
        points = [ScatterPoint(as_text(r.get("label")) or self.label(r.get("driver")), float(r["satisfaction"]), float(r["importance"]),
                               as_text(r.get("quadrant"))) for r in records]

        def cut(column: str, values: list[float]) -> float:  # the cut the table's quadrants were assigned against
            given = finite_number(records[0].get(column))
            return given if given is not None else float(pd.Series(values).mean())

        names = {p.quadrant: self.quadrant_name(p.quadrant) for p in points if p.quadrant}
        title = self.t("quadrant_title", target=self.label(target)) if "quadrant_title" in TEXTS["en"] else self.t("docx_sec_quadrant")
        chart = scatter_png(points, title=title, x_title=self.t("docx_satisfaction"), y_title=self.t("importance"),
                            x_cut=cut("satisfaction_cut", [p.x for p in points]), y_cut=cut("importance_cut", [p.y for p in points]),
                            x_cut_label=self.t("docx_mean_satisfaction"), y_cut_label=self.t("docx_mean_importance"),
                            quadrant_names=names)
        self.heading(self.t("docx_sec_quadrant"))
        self.image(chart)
        source = as_text(records[0].get("importance_source")) or "derived"
        self.note(self.t("docx_quadrant_note", importance=self.t("quadrant_stated" if source == "stated" else "quadrant_derived")))
        cols = [
            Col(self.t("driver"), lambda r: as_text(r.get("label")) or self.label(r.get("driver"))),
            Col(self.t("importance"), self.num("importance", 3), True),
            Col(self.t("docx_satisfaction"), self.num("satisfaction", 1), True),
        ]
        if "quadrant" in df.columns:
            cols.append(Col(self.t("quadrant"), lambda r: self.quadrant_name(r.get("quadrant"))))
        self.table(pd.DataFrame(records), cols)

    def segments(self) -> None:
        df = self.table_of("segment_index", "segment", "construct", "index")
        if df is None:
            return
        construct = self.index if self.index in set(df["construct"].astype(str)) else str(df["construct"].iloc[0])
        rows = df[df["construct"].astype(str) == construct]

        def status(r: Mapping[str, Any]) -> str:
            s = as_text(r.get("status")) or "estimated"
            if s == "estimated":
                return self.t("estimated")
            for prefix in ("insufficient sample", "failed"):
                if s.startswith(prefix):
                    return self.t(prefix) + s[len(prefix):]
            return s

        def value(r: Mapping[str, Any]) -> str:
            ok = (as_text(r.get("status")) or "estimated") == "estimated"
            return format_number(r.get("index"), 1) if ok and finite_number(r.get("index")) is not None else "–"

        cols = [
            *([Col(self.t("segment_column"), lambda r: as_text(r.get("segment_column")))] if "segment_column" in rows.columns else []),
            Col(self.t("segment"), lambda r: self.t("total_segment") if as_text(r.get("segment")) == TOTAL_SEGMENT else as_text(r.get("segment"))),
            *([Col(self.t("n"), self.num("n", 0), True)] if "n" in rows.columns else []),
            Col(self.t("index"), value, True),
            *([Col(self.t("interval", level=self.level), self.interval(1), True)] if "ci_lower" in rows.columns else []),
            *([Col(self.t("status"), status)] if "status" in rows.columns else []),
        ]
        self.heading(self.t("docx_sec_segments"))
        self.table(rows, cols, limit=200)
        self.note(self.t("docx_segments_note", label=self.label(construct)))

    def waves(self) -> None:
        df = self.table_of("segment_wave_changes", "change") if self.table_of("segment_wave_changes", "change") is not None \
            else self.table_of("wave_changes", "change")
        if df is None:
            return
        if self.index is not None and "construct" in df.columns:
            df = df[df["construct"].astype(str) == self.index]
        if df.empty:
            return

        def change(r: Mapping[str, Any]) -> str:
            v = finite_number(r.get("change"))
            if v is None:
                return "–"
            return _signed(v, 1) + ((" ▲" if v > 0 else " ▼") if is_true(r.get("significant")) else "")

        cols = [
            Col(self.t("wave"), lambda r: f"{as_text(r.get('wave'))} / {as_text(r.get('previous_wave'))}"),
            *([Col(self.t("segment"), lambda r: self.t("total_segment") if as_text(r.get("segment")) in ("", TOTAL_SEGMENT)
                   else as_text(r.get("segment")))] if "segment" in df.columns else []),
            Col(self.t("change"), change, True),
            Col(self.t("interval", level=self.level), self.interval(1, signed=True), True),
            Col(self.t("p_adjusted"), lambda r: format_p(r.get("p_adjusted")) if finite_number(r.get("p_adjusted")) is not None else "–", True),
        ]
        correction = (self.meta.get("settings") or {}).get("correction", "holm")
        self.heading(self.t("docx_sec_waves"))
        self.table(df, cols, limit=200)
        self.note(self.t("docx_waves_note", label=self.label(self.index), correction=self.known("correction_", correction)))

    def methods(self) -> None:
        self.heading(self.t("docx_sec_methods"))
        m = self.meta
        n = finite_number(m.get("n_used"))
        parts = [self.t("docx_methods", engine=translate(self.lang, as_text(m.get("engine"))) or "PLS", n=f"{int(n):,}" if n is not None else "?")]
        boot = m.get("bootstrap")
        if boot:
            parts.append(self.t("docx_methods_boot", used=as_text(boot.get("used")), method=self.known("method_", boot.get("method")),
                                level=fmt_level(boot.get("level")) or self.level, seed=as_text(boot.get("seed"))))
        else:
            parts.append(self.t("docx_methods_noboot"))
        if self.table_of("ipma", "importance") is not None:
            parts.append(self.t("docx_methods_ipma"))
        if self.table_of("segment_omnibus", "p_value") is not None or self.table_of("wave_changes", "change") is not None:
            correction = (m.get("settings") or {}).get("correction", "holm")
            parts.append(self.t("docx_methods_tests", correction=self.known("correction_", correction)))
        parts.append(self.t("docx_methods_interpretation"))
        sep = "" if self.lang == "zh" else " "
        self.paragraph(sep.join(parts), size=9.5)
        if self.font_missing:
            self.note(self.t("docx_chart_font_missing"))
