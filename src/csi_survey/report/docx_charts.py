"""The charts of ``report.docx`` as PNG images, drawn with matplotlib (Agg, no display, no pyplot).

Word documents cannot hold the inline SVG of the HTML report in a way every viewer renders, so the
Word report embeds PNG images at 200 dpi: the path diagram (constructs and path coefficients),
the importance–performance map (IPMA) and the importance × satisfaction quadrant chart (四分图).
matplotlib is imported only when a chart is drawn (a run without ``--docx`` never loads it); the
figures are :class:`matplotlib.figure.Figure` objects rendered by the Agg canvas directly, so no
global backend is set and nothing is shown.

**Chinese labels.** matplotlib's default font (DejaVu Sans) has no CJK glyphs. :func:`cjk_font`
asks matplotlib's font manager for the first installed one of :data:`CJK_FONTS` (Noto Sans CJK SC,
Source Han Sans SC, Microsoft YaHei, SimHei, PingFang SC, …) and the charts use it, with DejaVu
Sans as fallback for Latin text. When none is installed the charts are still drawn (Chinese
characters may show as boxes) and :class:`Chart` says so in ``font_missing``, so that the report
can carry a note saying which font to install.

Nothing here computes a statistic: the reference lines are the medians (IPMA) or means (四分图) of
the plotted rows, the cuts the table's quadrants were assigned against.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["CJK_FONTS", "Chart", "DiagramEdge", "ScatterPoint", "cjk_font", "path_diagram_png", "scatter_png"]

#: CJK fonts looked for, in this order (family names as matplotlib's font manager reports them).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_DPI = 200
_ACCENT = "#2e5c8a"
_BOX = "#eaf0f7"
_QUADRANT_COLOR = {
    "fix first": "#c0392b", "keep up": "#1e8449", "possible overkill": "#d68910", "low priority": "#7f8c8d",
    "improve": "#c0392b", "advantage": "#1e8449", "maintain": "#d68910", "opportunity": "#7f8c8d",
}


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG bytes, its size in inches and whether Chinese text was drawn without a CJK font."""

    png: bytes
    width_in: float
    height_in: float
    font_missing: bool = False


@dataclass(frozen=True)
class DiagramEdge:
    """An arrow of the path diagram: source, target, coefficient and its p value (None: no bootstrap)."""

    source: str
    target: str
    estimate: float | None
    p_value: float | None = None


@dataclass(frozen=True)
class ScatterPoint:
    """A driver in a scatter chart: label, x, y and its quadrant (a key of the table, may be "")."""

    label: str
    x: float
    y: float
    quadrant: str = ""


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of the first CJK font of :data:`CJK_FONTS` that matplotlib finds, else None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    return None


def _has_cjk(texts: Sequence[str]) -> bool:
    return any(_CJK.search(t or "") for t in texts)


def _figure(width: float, height: float, texts: Sequence[str]) -> tuple[Any, bool]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    fig.set_facecolor("white")
    return fig, cjk_font() is None and _has_cjk(texts)


def _families() -> list[str]:
    """The font families of the chart texts: the CJK font first (it has Latin letters too), DejaVu Sans as fallback."""
    font = cjk_font()
    return [font, "DejaVu Sans"] if font else ["DejaVu Sans"]


def _props(fig: Any, **extra: Any) -> dict[str, Any]:
    return {"fontfamily": _families(), **extra}


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph … missing from font": reported through Chart.font_missing
        canvas.print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def _stars(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _wrap(text: str, width: int) -> str:
    """Wrap a label at about ``width`` characters (a CJK character counts double)."""
    words = text.split() if " " in text.strip() else [text]
    lines: list[str] = []
    line = ""
    for word in words:
        size = sum(2 if _CJK.match(ch) else 1 for ch in word)
        if size > width and not line:  # one long word or a Chinese label: cut by characters
            chunk = ""
            for ch in word:
                if sum(2 if _CJK.match(c) else 1 for c in chunk + ch) > width:
                    lines.append(chunk)
                    chunk = ""
                chunk += ch
            line = chunk
            continue
        candidate = f"{line} {word}".strip()
        if sum(2 if _CJK.match(ch) else 1 for ch in candidate) > width and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines[:3])


def _levels(nodes: Sequence[str], edges: Sequence[DiagramEdge]) -> dict[str, int]:
    """Column of each construct: the length of the longest path of arrows leading to it."""
    level = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for e in edges:
            if e.source in level and e.target in level and level[e.target] < level[e.source] + 1:
                level[e.target] = level[e.source] + 1
                changed = True
        if not changed:
            break
    return level


def _bezier(p0: tuple[float, float], p2: tuple[float, float], rad: float, t: float) -> tuple[float, float]:
    """A point of matplotlib's ``arc3`` connection (a quadratic Bézier, control point off the chord by ``rad``)."""
    (x0, y0), (x2, y2) = p0, p2
    cx, cy = (x0 + x2) / 2 + rad * (y2 - y0), (y0 + y2) / 2 - rad * (x2 - x0)
    u = 1 - t
    return u * u * x0 + 2 * u * t * cx + t * t * x2, u * u * y0 + 2 * u * t * cy + t * t * y2


def _inside(point: tuple[float, float], box: tuple[float, float, float, float], pad: float = 0.0) -> bool:
    x, y = point
    return box[0] - pad <= x <= box[2] + pad and box[1] - pad <= y <= box[3] + pad


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clip(centre: tuple[float, float], towards: tuple[float, float], half_w: float, half_h: float) -> tuple[float, float]:
    """Where the line from a box's centre towards a point leaves the box (plus a small gap)."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if dx == 0 and dy == 0:
        return centre
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    t *= 1 + 0.04 / math.hypot(dx * t, dy * t)
    return centre[0] + dx * t, centre[1] + dy * t


def path_diagram_png(
    nodes: Sequence[str],
    edges: Sequence[DiagramEdge],
    *,
    labels: Mapping[str, str],
    r2: Mapping[str, float | None],
    highlight: str | None = None,
) -> Chart:
    """The structural model: constructs in columns by their depth in the model (a chain of single
    constructs zigzags, so that arrows skipping a column pass between the boxes), arrows with the
    path coefficients (stars by the bootstrap p value; dashed when not significant at 5 %), R² in
    the boxes of the endogenous constructs. An arrow that would cross a box curves round it."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    nodes = list(dict.fromkeys([*nodes, *(e.source for e in edges), *(e.target for e in edges)]))
    level = _levels(nodes, edges)
    n_levels = max(level.values(), default=0) + 1
    columns = [[n for n in nodes if level[n] == k] for k in range(n_levels)]
    rank: dict[str, float] = {}
    for k, members in enumerate(columns):  # barycentre ordering keeps related constructs side by side
        preds = {n: [rank[e.source] for e in edges if e.target == n and e.source in rank] for n in members}
        columns[k] = sorted(members, key=lambda n: (sum(preds[n]) / len(preds[n]) if preds[n] else nodes.index(n) / 100, nodes.index(n)))
        rank.update({n: float(i) for i, n in enumerate(columns[k])})
    zigzag = n_levels >= 3 and any(len(c) == 1 for c in columns)
    width = 6.6
    box_w, box_h = min(1.45, (width - 0.2) / n_levels - 0.36), 0.62
    row_step = 1.05
    gap_x = (width - 0.2 - box_w) / max(n_levels - 1, 1)
    centre: dict[str, tuple[float, float]] = {}
    for k, members in enumerate(columns):
        x = 0.1 + box_w / 2 + k * gap_x if n_levels > 1 else width / 2
        y0 = (len(members) - 1) * row_step / 2
        shift = (0.45 if k % 2 == 0 else -0.45) if zigzag and len(members) == 1 else 0.0
        for i, n in enumerate(members):
            centre[n] = (x, y0 - i * row_step + shift)
    boxes = {n: (x - box_w / 2, y - box_h / 2, x + box_w / 2, y + box_h / 2) for n, (x, y) in centre.items()}
    # the arrows first (straight, or curved round the boxes in their way), then the height that holds them all
    arrows: list[tuple[DiagramEdge, tuple[float, float], tuple[float, float], float]] = []
    for e in sorted(edges, key=lambda e: abs(level.get(e.target, 0) - level.get(e.source, 0))):
        if e.source not in centre or e.target not in centre:
            continue
        a, b = centre[e.source], centre[e.target]
        start, end = _clip(a, b, box_w / 2, box_h / 2), _clip(b, a, box_w / 2, box_h / 2)
        others = [box for n, box in boxes.items() if n not in (e.source, e.target)]

        def hits(rad: float) -> int:
            return sum(any(_inside(_bezier(start, end, rad, k / 40), box, 0.03) for box in others) for k in range(1, 40))

        arrows.append((e, start, end, min((0.0, -0.3, 0.3, -0.5, 0.5), key=lambda r: (hits(r), abs(r), r))))
    ys = [y for box in boxes.values() for y in (box[1], box[3])]
    ys += [_bezier(s_, e_, rad, k / 20)[1] for _, s_, e_, rad in arrows if rad for k in range(21)]
    low, high = min(ys, default=0.0) - 0.2, max(ys, default=0.0) + 0.2
    height = high - low
    centre = {n: (x, y - low) for n, (x, y) in centre.items()}
    boxes = {n: (b[0], b[1] - low, b[2], b[3] - low) for n, b in boxes.items()}
    arrows = [(e, (s_[0], s_[1] - low), (e_[0], e_[1] - low), rad) for e, s_, e_, rad in arrows]

    texts = [labels.get(n, n) for n in nodes]
    fig, missing = _figure(width, height, texts)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    chars = 2 * max(4, int(box_w / 0.056 / 2))
    for n, (x, y) in centre.items():
        accent = n == highlight
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0,rounding_size=0.07",
                                    facecolor=_ACCENT if accent else _BOX, edgecolor=_ACCENT, linewidth=1.1, zorder=3))
        value = r2.get(n)
        label = _wrap(labels.get(n, n), chars)
        colour = "white" if accent else "#1a1a1a"
        if value is not None and math.isfinite(value):
            ax.text(x, y + 0.08, label, ha="center", va="center", zorder=4, **_props(fig, fontsize=7, color=colour, fontweight="bold"))
            ax.text(x, y - 0.21, f"R² = {value:.2f}", ha="center", va="center", zorder=4, **_props(fig, fontsize=6.5, color=colour))
        else:
            ax.text(x, y, label, ha="center", va="center", zorder=4, **_props(fig, fontsize=7, color=colour, fontweight="bold"))
    placed: list[tuple[float, float, float, float]] = []
    # the arrows between neighbouring columns are labelled first: a longer arrow has more room to move its label
    for e, start, end, rad in arrows:
        significant = e.p_value is None or (math.isfinite(e.p_value) and e.p_value < 0.05)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=8, connectionstyle=f"arc3,rad={rad}",
                                     linewidth=1.0, color="#555555", linestyle="-" if significant else (0, (4, 3)),
                                     shrinkA=0, shrinkB=0, zorder=2))
        if e.estimate is None or not math.isfinite(e.estimate):
            continue
        text_ = f"{e.estimate:.2f}{_stars(e.p_value)}"
        half_w, half_h = 0.026 * len(text_) + 0.03, 0.075
        candidates = [_bezier(start, end, rad, t) for t in (0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8)]

        def clash(point: tuple[float, float]) -> float:
            """The area the label would cover of the boxes and the labels placed so far."""
            bbox = (point[0] - half_w, point[1] - half_h, point[0] + half_w, point[1] + half_h)
            return sum(max(0.0, min(bbox[2], o[2]) - max(bbox[0], o[0])) * max(0.0, min(bbox[3], o[3]) - max(bbox[1], o[1]))
                       for o in [*boxes.values(), *placed])

        x, y = min(candidates, key=clash)  # the first candidate without a clash, else the least clash
        placed.append((x - half_w, y - half_h, x + half_w, y + half_h))
        ax.text(x, y, text_, ha="center", va="center", zorder=5,
                bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.92},
                **_props(fig, fontsize=6.8, color="#1a1a1a"))
    return Chart(_png(fig), width, height, missing)


def scatter_png(
    points: Sequence[ScatterPoint],
    *,
    title: str,
    x_title: str,
    y_title: str,
    x_cut: float | None,
    y_cut: float | None,
    x_cut_label: str = "",
    y_cut_label: str = "",
    quadrant_names: Mapping[str, str] | None = None,
) -> Chart:
    """A driver scatter (IPMA: performance × importance; 四分图: satisfaction × importance) with
    dashed reference lines at ``x_cut`` and ``y_cut`` and the points coloured by quadrant (with
    a legend of ``quadrant_names``)."""
    quadrant_names = quadrant_names or {}
    texts = [title, x_title, y_title, x_cut_label, y_cut_label, *(p.label for p in points), *quadrant_names.values()]
    fig, missing = _figure(6.3, 4.3, texts)
    ax = fig.add_axes((0.11, 0.13, 0.62, 0.77))
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    if xs:
        pad_x = max((max(xs) - min(xs)) * 0.15, 1.0)
        pad_y = max((max(ys) - min(ys)) * 0.15, 0.02)
        ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
        ax.set_ylim(max(0.0, min(ys) - pad_y) if min(ys) >= 0 else min(ys) - pad_y, max(ys) + pad_y)
    seen: dict[str, Any] = {}
    x_lo, x_hi = ax.get_xlim()
    for p in points:
        colour = _QUADRANT_COLOR.get(p.quadrant, _ACCENT)
        handle = ax.scatter([p.x], [p.y], s=42, color=colour, zorder=3, edgecolors="white", linewidths=0.6)
        if p.quadrant and p.quadrant not in seen:
            seen[p.quadrant] = handle
        right = p.x > x_lo + 0.7 * (x_hi - x_lo)  # labels of points on the right go to their left, inside the axes
        ax.annotate(_wrap(p.label, 18), (p.x, p.y), xytext=(-5 if right else 5, 4), textcoords="offset points", zorder=4,
                    ha="right" if right else "left", **_props(fig, fontsize=7, color="#1a1a1a"))
    if x_cut is not None:
        ax.axvline(x_cut, color="#888888", linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
    if y_cut is not None:
        ax.axhline(y_cut, color="#888888", linestyle=(0, (4, 3)), linewidth=0.9, zorder=1)
    ax.set_title(title, loc="left", **_props(fig, fontsize=9, fontweight="bold"))
    ax.set_xlabel(x_title, **_props(fig, fontsize=8))
    ax.set_ylabel(y_title, **_props(fig, fontsize=8))
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#eeeeee", linewidth=0.6, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = list(seen.values())
    names = [quadrant_names.get(q, q) for q in seen]
    from matplotlib.lines import Line2D

    if x_cut_label or y_cut_label:
        handles.append(Line2D([], [], color="#888888", linestyle=(0, (4, 3)), linewidth=0.9))
        names.append(" / ".join(s for s in (x_cut_label, y_cut_label) if s))
    if handles:
        from matplotlib.font_manager import FontProperties

        ax.legend(handles, [_wrap(n, 22) for n in names], loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                  prop=FontProperties(family=_families(), size=7))
    return Chart(_png(fig), 6.3, 4.3, missing)
