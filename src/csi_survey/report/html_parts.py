"""The building blocks of the HTML report of a run: sections, blocks and tables as the template draws them.

:mod:`csi_survey.report.html` (the report and its classic sections) and
:mod:`csi_survey.report.sections_methods` (the sections of the PLS-SEM methods: mediation,
moderation, higher-order constructs, overall fit, PLSpredict) build the page from these pieces;
``templates/report.html.j2`` renders them. Nothing here computes a statistic: the helpers turn
table cells into text.

A :class:`Section` holds :class:`Block` objects of one of these kinds: ``"svg"`` (one chart),
``"figure"`` (a grid of charts), ``"table"`` (a :class:`Table`), ``"h3"`` (a heading), ``"list"``
(a bulleted list of texts) and ``"p"`` (a paragraph; ``cls`` ``"note"`` or ``"warning"``).
Texts are escaped by the template (Jinja2 autoescaping); charts are :class:`markupsafe.Markup`
built by :mod:`csi_survey.report.svg`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .svg import finite_number

__all__ = ["Cell", "Table", "Col", "Block", "Section", "make_table", "as_text", "is_true", "fmt_level"]


# ====================================================================== numbers and text
def fmt_level(level: Any) -> str:
    """A confidence level as a percentage: 0.95 → "95%" ("" when missing)."""
    x = finite_number(level)
    if x is None:
        return ""
    x = x * 100 if x <= 1 else x
    return f"{x:.0f}%" if abs(x - round(x)) < 1e-9 else f"{x:g}%"


def as_text(value: Any) -> str:
    """A cell or label as text: "" for missing values."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def is_true(value: Any) -> bool:
    """A flag cell (a boolean, or its text as read back from CSV) that is true."""
    return value is True or (not isinstance(value, float) and as_text(value).strip().lower() in ("true", "1", "yes"))


# ====================================================================== tables for the template
@dataclass
class Cell:
    """A table cell: its content (text, escaped by the template, or Markup) and CSS classes."""

    text: Any
    cls: str = ""


@dataclass
class Table:
    """A table of the page: header cells, rows of cells, an optional caption and a note below."""

    headers: list[Cell]
    rows: list[list[Cell]]
    caption: str = ""
    note: str = ""
    cls: str = ""


@dataclass
class Col:
    """A column of :func:`make_table`: its header, how a record becomes the cell, whether it is a
    number (right-aligned) and extra CSS classes per record."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    num: bool = False
    cls: Callable[[Mapping[str, Any]], str] | None = None


def make_table(df: pd.DataFrame, cols: Sequence[Col], *, caption: str = "", note: str = "", limit: int | None = None) -> Table:
    """The rows of ``df`` (the first ``limit`` when given) as a :class:`Table` of the columns ``cols``."""
    rows = []
    records = df.to_dict("records")
    for rec in records[:limit] if limit is not None else records:
        row = []
        for col in cols:
            extra = col.cls(rec) if col.cls else ""
            cls = " ".join(c for c in ("num" if col.num else "", extra) if c)
            row.append(Cell(col.value(rec), cls))
        rows.append(row)
    return Table([Cell(c.header, "num" if c.num else "") for c in cols], rows, caption=caption, note=note)


@dataclass
class Block:
    """A piece of a section: ``kind`` is "svg", "figure", "table", "h3", "list" or "p"."""

    kind: str
    content: Any = None
    cls: str = ""


@dataclass
class Section:
    """A section of the page (``id`` is its anchor), shown when it has blocks."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
