"""The SVG charts of the HTML reports: bars with interval whiskers, the importance–performance map,
lines across waves, the simple-slope plot of a moderation and the path diagram, drawn as inline SVG
by small functions (no JavaScript).

Used by the HTML report of a run (:mod:`csi_survey.report.html`) and the overview of a batch
(:mod:`csi_survey.report.overview`); see :mod:`csi_survey.report.html` for why the charts are drawn
here rather than by a charting library.

Every text that comes from the input is escaped: :func:`element` builds markup with
:class:`markupsafe.Markup` formatting, which escapes every argument that is not already markup.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from markupsafe import Markup

from ..ingest.columns import finite_number

__all__ = [
    "QUADRANTS",
    "finite_number",
    "format_number",
    "format_p",
    "p_statement",
    "stars",
    "element",
    "Bar",
    "Point",
    "Series",
    "Edge",
    "bar_chart",
    "ipma_chart",
    "quadrant_chart",
    "line_chart",
    "SlopeLine",
    "slope_chart",
    "path_diagram",
]

#: The IPMA quadrants (the ``quadrant`` values of the ``ipma`` table), in the order of the legend.
QUADRANTS = ("fix first", "keep up", "possible overkill", "low priority")
_QUADRANT_COLOR = {"fix first": "#c0392b", "keep up": "#1e8449", "possible overkill": "#d68910", "low priority": "#7f8c8d",
                   # 四分图 (quadrant chart): 修补区, 优势区, 维持区, 机会区 (the catalogue keys of their names)
                   "q_improve": "#c0392b", "q_advantage": "#1e8449", "q_maintain": "#d68910", "q_opportunity": "#7f8c8d"}
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
_BAR = "#7f9fc4"
_BAR_ACCENT = "#2e5c8a"


# ====================================================================== numbers and text
def format_number(value: Any, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals ("" for a missing value, text as it is; never "-0.00")."""
    x = finite_number(value)
    if x is None:
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_p(value: Any) -> str:
    """A p value with 3 decimals, "< 0.001" below 0.001, "" when missing."""
    x = finite_number(value)
    if x is None:
        return ""
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def p_statement(value: Any) -> str:
    """"p = 0.012", or "p < 0.001" below 0.001 (never "p = < 0.001"); "" when missing. The same in
    every report language (the zh reports write p values the same way)."""
    text = format_p(value)
    if not text:
        return ""
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def stars(value: Any) -> str:
    """Significance stars of a p value: * < 0.05, ** < 0.01, *** < 0.001 ("" otherwise)."""
    x = finite_number(value)
    if x is None:
        return ""
    return "***" if x < 0.001 else "**" if x < 0.01 else "*" if x < 0.05 else ""


def _svg_num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "", "-") else text


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


def element(tag: str, content: Any = None, /, **attrs: Any) -> Markup:
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
    return element(
        "svg",
        [element("title", title), *body],
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
        content = [element("title", text), shown]
    return element("text", content, x=x, y=y, font_size=size, **attrs)


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
    return format_number(value, digits)


# ====================================================================== path diagram
@dataclass
class Edge:
    """An arrow of the path diagram: a path coefficient and its p value (None: unknown)."""

    source: str
    target: str
    estimate: float | None
    p_value: float | None


_BOX_W, _COL_GAP, _ROW_GAP, _FONT, _LINE = 128.0, 72.0, 44.0, 13.0, 16.0
_LANE_STEP, _MARGIN = 26.0, 16.0


def _levels(nodes: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
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
    edges: Sequence[Edge],
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
        element(
            "defs",
            [
                element("marker", element("path", d="M0,0 L10,5 L0,10 z", fill=color), id=f"arrow-{name}", viewBox="0 0 10 10",
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
        coef = "" if e.estimate is None else format_number(e.estimate, 2) + stars(e.p_value)
        if e.p_value is not None:
            tip += f": {format_number(e.estimate, 3)}, {p_statement(e.p_value)}"
        elif e.estimate is not None:
            tip += f": {format_number(e.estimate, 3)}"
        edge_marks.append(
            element("path", element("title", tip), d=d, fill="none", stroke=color, stroke_width=round(stroke, 2),
                stroke_dasharray=None if significant else "6 4", marker_end=f"url(#arrow-{kind})",
                class_="edge", data_source=e.source, data_target=e.target)
        )
        if coef:
            edge_labels.append(element("text", coef, x=mid[0], y=mid[1] + 4, text_anchor="middle", font_size=12.0,
                                   class_="coef", fill=color if kind != "ns" else "#6c757d"))
    node_marks: list[Markup] = []
    for n in nodes:
        x0, y0, x1, y1 = boxes[n]
        lines = wrapped[n]
        accent = n == highlight
        parts: list[Markup] = [
            element("title", n if labels.get(n, n) == n else f"{n}: {labels[n]}"),
            element("rect", x=x0, y=y0, width=_BOX_W, height=box_h, rx=8.0, fill="#fdf2e3" if accent else "#eef3f8",
                stroke="#d68910" if accent else "#4e79a7", stroke_width=2.0 if accent else 1.2),
        ]
        text_block = len(lines) * _LINE
        label_top = y0 + (box_h - (18 if has_r2[n] else 0) - text_block) / 2 + _FONT - 1
        parts.append(
            element("text", [element("tspan", line, x=(x0 + x1) / 2, y=label_top + j * _LINE) for j, line in enumerate(lines)],
                text_anchor="middle", font_size=_FONT, font_weight="600", class_="node-label", fill="#1b2631")
        )
        if has_r2[n]:
            parts.append(element("text", f"R² = {format_number(r2[n], 2)}", x=(x0 + x1) / 2, y=y1 - 8, text_anchor="middle",
                             font_size=11.5, class_="r2", fill="#555f6b"))
        node_marks.append(element("g", parts, class_="node", data_construct=n))
    body += [element("g", edge_marks, class_="edges"), element("g", node_marks, class_="nodes"), element("g", edge_labels, class_="coefs")]
    return _svg(width, height, body, title=title, cls="chart path-diagram", id="path-diagram")


# ====================================================================== bar chart
@dataclass
class Bar:
    """A bar of :func:`bar_chart`: the value (None: no bar, the note instead) and its interval."""

    label: str
    value: float | None
    lo: float | None = None
    hi: float | None = None
    accent: bool = False
    note: str = ""


def bar_chart(
    bars: Sequence[Bar],
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
        body.append(element("line", x1=x, x2=x, y1=top - 4, y2=axis_y, stroke="#e3e7eb" if tick else "#9aa3ab", stroke_width=1.0))
        body.append(element("text", str(tick), x=x, y=axis_y + 16, text_anchor="middle", font_size=11.0, fill="#555f6b"))
    for k, b in enumerate(bars):
        y = top + k * (bar_h + gap)
        cy = y + bar_h / 2
        body.append(_label_text(left - 10, cy + 4.5, b.label, size, label_w, text_anchor="end", fill="#1b2631", class_="bar-label"))
        if b.value is None:
            body.append(element("text", b.note, x=left + 6, y=cy + 4, font_size=11.5, fill="#7f8c8d", font_style="italic", class_="bar-note"))
            continue
        tip = f"{b.label}: {format_number(b.value, 1)}"
        if b.lo is not None and b.hi is not None:
            tip += f" [{format_number(b.lo, 1)} – {format_number(b.hi, 1)}]"
        body.append(element("rect", element("title", tip), x=left, y=y, width=max(scale(b.value) - left, 0.5), height=bar_h, rx=3.0,
                        fill=_BAR_ACCENT if b.accent else _BAR, class_="bar"))
        end = scale(b.value)
        if b.lo is not None and b.hi is not None:
            x0, x1 = scale(b.lo), scale(b.hi)
            body.append(element("g", [
                element("line", x1=x0, x2=x1, y1=cy, y2=cy),
                element("line", x1=x0, x2=x0, y1=cy - 6, y2=cy + 6),
                element("line", x1=x1, x2=x1, y1=cy - 6, y2=cy + 6),
            ], stroke="#1b2631", stroke_width=1.4, class_="whisker"))
            end = max(end, x1)
        body.append(element("text", format_number(b.value, 1), x=end + 6, y=cy + 4.5, font_size=12.0, font_weight="600", fill="#1b2631",
                        class_="bar-value"))
    if reference is not None:
        x = scale(reference)
        body.append(element("line", x1=x, x2=x, y1=top - 8, y2=axis_y, stroke="#d68910", stroke_width=1.6, stroke_dasharray="5 4",
                        class_="reference"))
        body.append(element("text", f"{reference_label} {format_number(reference, 1)}".strip(), x=x, y=axis_y + 30,
                        text_anchor="middle", font_size=11.0, fill="#b9770e", class_="reference-label"))
        height += 8
    return _svg(width, height, body, title=title, cls=cls, id=chart_id)


# ====================================================================== IPMA scatter
@dataclass
class Point:
    """A driver of :func:`ipma_chart`: performance (x), importance (y) and its quadrant."""

    label: str
    x: float | None
    y: float | None
    quadrant: str = ""


def ipma_chart(points: Sequence[Point], *, title: str, t: Callable[..., str], chart_id: str,
               cuts: tuple[float, float] | None = None,
               corners: tuple[str, str, str, str] = ("fix first", "keep up", "low priority", "possible overkill"),
               x_axis: str = "ax_performance", cls: str = "ipma-chart") -> Markup:
    """Importance (y) against performance (x) with the drivers' median lines and the quadrant names.

    ``cuts`` (x, y) places the two lines (default: the medians of the points); ``corners`` are the
    quadrant names (catalogue keys, colours of ``_QUADRANT_COLOR``) top left, top right, bottom
    left, bottom right; ``x_axis`` the catalogue key of the x-axis title.
    """
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
    body: list[Markup] = [element("text", title, x=left, y=22.0, font_size=14.0, font_weight="600", fill="#1b2631", class_="chart-title")]
    body.append(element("rect", x=left, y=top, width=pw, height=ph, fill="#fbfcfd", stroke="#c9d0d6"))
    for v in x_ticks:
        body.append(element("line", x1=sx(v), x2=sx(v), y1=top, y2=top + ph, stroke="#eef1f4"))
        body.append(element("text", _tick_label(v, x_ticks), x=sx(v), y=top + ph + 16, text_anchor="middle", font_size=11.0, fill="#555f6b"))
    for v in y_ticks:
        body.append(element("line", x1=left, x2=left + pw, y1=sy(v), y2=sy(v), stroke="#eef1f4"))
        body.append(element("text", _tick_label(v, y_ticks), x=left - 6, y=sy(v) + 4, text_anchor="end", font_size=11.0, fill="#555f6b"))
    body.append(element("text", t(x_axis), x=left + pw / 2, y=height - 14, text_anchor="middle", font_size=12.0, fill="#1b2631"))
    body.append(element("text", t("ax_importance"), x=16.0, y=top + ph / 2, text_anchor="middle", font_size=12.0, fill="#1b2631",
                    transform=f"rotate(-90 16 {_svg_num(top + ph / 2)})"))
    if pts:
        mx, my = (float(np.median(xs)), float(np.median(ys))) if cuts is None else (float(cuts[0]), float(cuts[1]))
        body.append(element("line", x1=sx(mx), x2=sx(mx), y1=top, y2=top + ph, stroke="#7f8c8d", stroke_dasharray="5 4", class_="median"))
        body.append(element("line", x1=left, x2=left + pw, y1=sy(my), y2=sy(my), stroke="#7f8c8d", stroke_dasharray="5 4", class_="median"))
    # quadrant names in the corners: importance high/low × performance low/high
    corners = ((corners[0], left + 8, top + 16, "start"), (corners[1], left + pw - 8, top + 16, "end"),
               (corners[2], left + 8, top + ph - 8, "start"), (corners[3], left + pw - 8, top + ph - 8, "end"))
    for q, x, y, anchor in corners:
        body.append(element("text", t(q), x=x, y=y, text_anchor=anchor, font_size=12.0, font_weight="600",
                        fill=_QUADRANT_COLOR[q], fill_opacity="0.8", class_="quadrant-name"))
    placed: list[tuple[float, float, float, float]] = [(x - (_text_width(t(q), 12) if a == "end" else 0), y - 12, _text_width(t(q), 12), 14)
                                                       for q, x, y, a in corners]
    for p in sorted(pts, key=lambda p: -p.y):
        px, py = sx(p.x), sy(p.y)
        color = _QUADRANT_COLOR.get(p.quadrant, "#4e79a7")
        tip = f"{p.label}: {t('performance')} {format_number(p.x, 1)}, {t('importance')} {format_number(p.y, 3)}"
        if p.quadrant:
            tip += f" ({t(p.quadrant) if p.quadrant in _QUADRANT_COLOR else p.quadrant})"
        body.append(element("circle", element("title", tip), cx=px, cy=py, r=6.5, fill=color, fill_opacity="0.85", stroke="#fff",
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
        body.append(element("text", text, x=lx, y=ly, text_anchor=anchor, font_size=12.0, fill="#1b2631", class_="point-label"))
    return _svg(width, height, body, title=title, cls=f"chart {cls}", id=chart_id)


def quadrant_chart(points: Sequence[Point], *, title: str, t: Callable[..., str], chart_id: str,
                   cuts: tuple[float, float]) -> Markup:
    """The 四分图: importance (y) against satisfaction (x), the two mean lines ``cuts`` (x, y) and the
    four quadrants 修补区 (top left), 优势区 (top right), 机会区 (bottom left), 维持区 (bottom right).

    A point's ``quadrant`` is a catalogue key (``"q_improve"`` …: its colour and name)."""
    return ipma_chart(points, title=title, t=t, chart_id=chart_id, cuts=cuts,
                      corners=("q_improve", "q_advantage", "q_opportunity", "q_maintain"),
                      x_axis="ax_satisfaction", cls="quadrant-chart")


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# ====================================================================== line chart
@dataclass
class Series:
    """A line of :func:`line_chart`: one ``(value, ci_lower, ci_upper)`` per wave (None: no estimate)."""

    label: str
    values: list[tuple[float | None, float | None, float | None]]  # (value, ci_lower, ci_upper) per wave
    accent: bool = False


def line_chart(waves: Sequence[str], series: Sequence[Series], *, title: str, y_title: str, chart_id: str) -> Markup:
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
    body: list[Markup] = [element("rect", x=left, y=top, width=pw, height=ph, fill="#fbfcfd", stroke="#c9d0d6")]
    for v in ticks:
        body.append(element("line", x1=left, x2=left + pw, y1=sy(v), y2=sy(v), stroke="#eef1f4"))
        body.append(element("text", _tick_label(v, ticks), x=left - 6, y=sy(v) + 4, text_anchor="end", font_size=11.0, fill="#555f6b"))
    for k, w in enumerate(waves):
        body.append(_label_text(sx(k), top + ph + 18, w, 11.5, step - 6, text_anchor="middle", fill="#1b2631", class_="wave-label"))
    body.append(element("text", y_title, x=14.0, y=top + ph / 2, text_anchor="middle", font_size=12.0, fill="#1b2631",
                    transform=f"rotate(-90 14 {_svg_num(top + ph / 2)})"))
    for j, s in enumerate(series):
        color = _PALETTE[j % len(_PALETTE)]
        parts: list[Markup] = [element("title", s.label)]
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
                parts.append(element("polyline", points=" ".join(f"{_svg_num(x)},{_svg_num(y)}" for x, y in seg), fill="none",
                                 stroke=color, stroke_width=3.2 if s.accent else 2.0, class_="line"))
        for k, (v, ci_lo, ci_hi) in enumerate(s.values):
            if v is None:
                continue
            if ci_lo is not None and ci_hi is not None:
                parts.append(element("line", x1=sx(k), x2=sx(k), y1=sy(ci_lo), y2=sy(ci_hi), stroke=color, stroke_opacity="0.45",
                                 stroke_width=1.4, class_="whisker"))
            tip = f"{s.label}, {waves[k]}: {format_number(v, 1)}"
            parts.append(element("circle", element("title", tip), cx=sx(k), cy=sy(v), r=4.5 if s.accent else 3.5, fill=color,
                             stroke="#fff", stroke_width=1.0, class_="wave-point"))
        body.append(element("g", parts, class_="series"))
        ly = top + 10 + j * 20
        lx = left + pw + 14
        body.append(element("line", x1=lx, x2=lx + 18, y1=ly, y2=ly, stroke=color, stroke_width=3.2 if s.accent else 2.0))
        body.append(_label_text(lx + 24, ly + 4, s.label, size, legend_w - 30, fill="#1b2631", class_="legend-label"))
    return _svg(width, height, body, title=title, cls="chart line-chart", id=chart_id)


# ====================================================================== simple-slope plot
#: Colours of the moderator levels of a simple-slope plot: low, mean, high (others from the palette).
_SLOPE_COLORS = ("#c0392b", "#7f8c8d", "#2e5c8a")


@dataclass
class SlopeLine:
    """A line of :func:`slope_chart`: the predicted target at each x level for one moderator level."""

    label: str
    values: list[float | None]


def slope_chart(
    x_labels: Sequence[str],
    lines: Sequence[SlopeLine],
    *,
    title: str,
    x_title: str,
    y_title: str,
    chart_id: str,
    width: float = 540.0,
) -> Markup:
    """The simple-slope plot of an interaction: the predicted target (y) at the iv's levels (x), one
    line per moderator level; the y title above the plot and the legend below it (so long or Chinese
    labels never widen the chart)."""
    size = 12.0
    title_lines = _wrap(title, width - 16, 14.0 * 1.25, 2)  # 1.25: the title is bold (wide sans-serif fonts)
    left, right, top = 64.0, 20.0, 58.0 + 18 * (len(title_lines) - 1)
    plot_h = 230.0
    pw = width - left - right
    legend_top = top + plot_h + 50
    height = legend_top + 20 * len(lines) + 8
    vals = [v for line in lines for v in line.values if v is not None]
    lo, hi = (min(vals), max(vals)) if vals else (-1.0, 1.0)
    pad = max(0.05, 0.08 * (hi - lo))
    y_lo, y_hi, ticks = _ticks(lo - pad, hi + pad)
    n = max(len(x_labels), 1)
    step = pw / n
    sx = lambda k: left + step * (k + 0.5)  # noqa: E731
    sy = lambda v: top + plot_h * (1 - (v - y_lo) / (y_hi - y_lo))  # noqa: E731
    heading = element("text", [element("tspan", line, x=8.0, y=22.0 + 18 * j) for j, line in enumerate(title_lines)],
                      font_size=14.0, font_weight="600", fill="#1b2631", class_="chart-title")
    body: list[Markup] = [heading, element("rect", x=left, y=top, width=pw, height=plot_h, fill="#fbfcfd", stroke="#c9d0d6")]
    for v in ticks:
        body.append(element("line", x1=left, x2=left + pw, y1=sy(v), y2=sy(v), stroke="#9aa3ab" if abs(v) < 1e-12 else "#eef1f4"))
        body.append(element("text", _tick_label(v, ticks), x=left - 6, y=sy(v) + 4, text_anchor="end", font_size=11.0, fill="#555f6b"))
    for k, label in enumerate(x_labels):
        body.append(_label_text(sx(k), top + plot_h + 17, label, 11.5, step - 6, text_anchor="middle", fill="#1b2631", class_="x-label"))
    body.append(_label_text(left + pw / 2, top + plot_h + 36, x_title, size, pw, text_anchor="middle", fill="#1b2631", class_="axis-title"))
    # the y title above the axis (not rotated beside it): long and Chinese titles keep their full width
    body.append(_label_text(8.0, top - 10, y_title, size, width - 16, fill="#1b2631", class_="axis-title"))
    for j, line in enumerate(lines):
        color = _SLOPE_COLORS[j] if len(lines) == len(_SLOPE_COLORS) else _PALETTE[j % len(_PALETTE)]
        points = [(sx(k), sy(v)) for k, v in enumerate(line.values) if v is not None]
        parts: list[Markup] = [element("title", line.label)]
        if len(points) > 1:
            parts.append(element("polyline", points=" ".join(f"{_svg_num(x)},{_svg_num(y)}" for x, y in points), fill="none",
                                 stroke=color, stroke_width=2.4, class_="slope-line"))
        for k, v in enumerate(line.values):
            if v is None:
                continue
            tip = f"{line.label}; {x_labels[k] if k < len(x_labels) else ''}: {format_number(v, 3)}"
            parts.append(element("circle", element("title", tip), cx=sx(k), cy=sy(v), r=4.0, fill=color, stroke="#fff",
                                 stroke_width=1.0, class_="slope-point"))
        body.append(element("g", parts, class_="slope-series"))
        ly = legend_top + j * 20
        body.append(element("line", x1=left, x2=left + 22, y1=ly, y2=ly, stroke=color, stroke_width=2.4))
        body.append(_label_text(left + 30, ly + 4, line.label, size, pw - 30, fill="#1b2631", class_="legend-label"))
    return _svg(width, height, body, title=title, cls="chart slope-chart", id=chart_id)
