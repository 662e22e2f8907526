"""Built-in Chinese answer scales, and label maps derived from a text + numeric download pair.

问卷星 (wjx.cn), 问卷网 and 腾讯问卷 write an answer either as the option text (问卷星 "按选项文本下载":
``非常满意``, ``4分``) or as the option's position (问卷星 "按选项序号下载": ``1`` … ``k``, the 1-based
position in the option list; research notes /work/notes/cn_platform_layouts.md §1.7–1.9, from the real
exports in gasongjian/reportgen). This module turns option text into scores without a hand-written
``label_maps`` section when the options are one of the usual Chinese scales.

Scales (position 1 = the most negative answer; the code is the position, so a 5-point scale is 1–5):

===========  ======================================================================================
``sat5``     非常不满意/很不满意 · 不满意/比较不满意/不太满意 · 一般 · 满意/比较满意 · 非常满意/很满意
``sat7``     非常不满意 · 不满意 · 比较不满意/不太满意 · 一般 · 比较满意 · 满意 · 非常满意
``agree5``   非常不同意/很不同意/完全不同意 · 不同意/比较不同意/不太同意 · 一般/中立 · 同意/比较同意 · 非常同意/…
``agree7``   as ``sat7`` with 同意
``imp5``     非常不重要 · 不重要/不太重要 · 一般 · 重要/比较重要 · 非常重要
``points``   ``N分`` / ``N星`` (N = 0 … 10): the code is N itself (0–10 and 1–10 分 questions, 1–5 分 stars)
===========  ======================================================================================

Recognition, per column: the distinct answers (spaces stripped; the skip markers ``(跳过)`` and ``(空)``
left aside) must all be labels of one scale, and no two of them may be synonyms of one position (a
column holding both 满意 and 比较满意 is a 7-point scale, not a 5-point one). The scales are tried in
the order above and the first that fits wins. A column whose answers include at least two labels of one
scale but also other text is *suspect*: its unknown labels are reported (:func:`unknown_labels`), and
:func:`check_items` refuses the items holding such text with one error that lists every unknown label
with its columns and the fix (``label_maps`` in the spec).

Skip markers (notes §1.8): ``(跳过)`` (skipped by the questionnaire's logic) and ``(空)`` (optional
question left blank) in the text download; ``-3`` (skipped) and ``-2`` (a ranking option not ranked,
and every option of a skipped ranking question) in the numeric download. All are missing values: the
reader declares them in ``RawTable.missing_values`` so that ``prepare`` counts them per item
(``SurveyData.missing``), never silently.

The 0–10 pitfall (notes §1.9, real files All_Data_Readable.xls / All_Data_Original.xls): a 0–10 question
asked as single choice over ``0分`` … ``10分`` is written as the **option position** in the numeric
download: ``3分`` is written ``4`` (score + 1). The numeric download alone cannot tell; read the text
download, or pair both (:func:`pair_downloads`), which derives position → label → score.

Pairing (:func:`pair_downloads`): the two downloads of the same responses are matched row by row (on
``序号`` when both have it, else by position) and cell by cell: every position must meet one label
and every label one position; a contradiction is refused with the column, the rows and both values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, InputFileError

__all__ = [
    "Scale",
    "SCALES",
    "SKIP_TEXT",
    "SKIP_CODES",
    "recognise",
    "unknown_labels",
    "pair_downloads",
    "check_items",
]

#: Text-download markers of a skipped (``(跳过)``) or blank optional (``(空)``) answer.
SKIP_TEXT = ("(跳过)", "(空)")
#: Numeric-download codes of a skipped question (-3) and of an unranked option (-2).
SKIP_CODES = (-3, -2)


@dataclass(frozen=True)
class Scale:
    """A built-in answer scale: ``positions[k]`` are the synonyms of code ``k + 1`` (low → high)."""

    id: str
    name: str
    positions: tuple[tuple[str, ...], ...] = ()

    def code_of(self, label: str) -> float | None:
        """The code of a label of this scale, or None."""
        if self.id == "points":
            m = _POINTS.match(label)
            return float(m.group(1)) if m and int(m.group(1)) <= 10 else None
        for k, synonyms in enumerate(self.positions):
            if label in synonyms:
                return float(k + 1)
        return None

    def describe(self, codes: Iterable[float] = ()) -> str:
        """``"sat5 (1 = 非常不满意 … 5 = 非常满意)"``; points: the range of the codes seen."""
        if self.id == "points":
            c = sorted(codes)
            lo = 0 if c and c[0] == 0 else 1
            hi = 10 if c and c[-1] > 7 else 7 if c and c[-1] > 5 else 5
            return f"points ({lo}–{hi} 分)"
        return f"{self.id} (1 = {self.positions[0][0]} … {len(self.positions)} = {self.positions[-1][0]})"


_POINTS = re.compile(r"^(\d{1,2})\s*[分星]$")


def _scale(sid: str, name: str, *positions: str) -> Scale:
    return Scale(sid, name, tuple(tuple(p.split("/")) for p in positions))


#: The built-in scales, in the order they are tried.
SCALES: tuple[Scale, ...] = (
    _scale("sat5", "满意度（五级）", "非常不满意/很不满意", "不满意/比较不满意/不太满意", "一般", "满意/比较满意", "非常满意/很满意"),
    _scale("sat7", "满意度（七级）", "非常不满意/很不满意", "不满意", "比较不满意/不太满意", "一般", "比较满意", "满意",
           "非常满意/很满意"),
    _scale("agree5", "同意度（五级）", "非常不同意/很不同意/完全不同意", "不同意/比较不同意/不太同意", "一般/中立", "同意/比较同意",
           "非常同意/很同意/完全同意"),
    _scale("agree7", "同意度（七级）", "非常不同意/很不同意/完全不同意", "不同意", "比较不同意/不太同意", "一般/中立", "比较同意",
           "同意", "非常同意/很同意/完全同意"),
    _scale("imp5", "重要性（五级）", "非常不重要/很不重要", "不重要/不太重要/比较不重要", "一般", "重要/比较重要", "非常重要/很重要"),
    Scale("points", "分值（N分）"),
)


def recognise(labels: Iterable[str]) -> tuple[Scale, dict[str, float]] | None:
    """The first built-in scale holding every label (no two labels on one position), and label → code."""
    labels = [str(x).strip() for x in labels]
    labels = [x for x in labels if x and x not in SKIP_TEXT]
    if not labels:
        return None
    for scale in SCALES:
        codes = {lab: scale.code_of(lab) for lab in labels}
        if any(c is None for c in codes.values()):
            continue
        if len(set(codes.values())) != len(codes):
            continue  # two synonyms of one position: not this scale
        return scale, {k: float(v) for k, v in codes.items()}
    return None


def unknown_labels(labels: Iterable[str]) -> tuple[Scale, list[str]] | None:
    """For a *suspect* column (at least two labels of one scale, some labels in none): that scale and
    the labels it does not hold; None when the column is recognised or does not look like a scale."""
    labels = sorted({str(x).strip() for x in labels} - set(SKIP_TEXT) - {""})
    if not labels or recognise(labels) is not None:
        return None
    best: tuple[int, Scale] | None = None
    for scale in SCALES:
        hits = sum(scale.code_of(x) is not None for x in labels)
        if hits >= 2 and (best is None or hits > best[0]):
            best = (hits, scale)
    if best is None:
        return None
    return best[1], [x for x in labels if best[1].code_of(x) is None]


# ====================================================================== pairing
def pair_downloads(text: Any, numeric: Any) -> Any:
    """Pair a text download and a numeric download of the same responses (both ``RawTable`` from
    :func:`~csi_survey.ingest.readers.read_table`, format ``wjx``).

    Returns the numeric download's table in which every column that the text download holds as
    option text is recoded cell by cell: position → the text's label → its score when the label
    belongs to a built-in scale (the score, so that 0–10 questions get 0–10, not positions 1–11),
    else the position is kept and the label recorded. ``value_labels`` holds, per paired column,
    {code: label}; ``platform.paired`` lists the derived position → label maps.

    Raises
    ------
    InputFileError
        The tables are not two downloads of the same responses (different respondents, rows or
        columns), or a position meets two labels / a label two positions, or a skipped answer in
        one download is an answer in the other (column, rows and both values in the message).
    """
    where = f"{text.source} and {numeric.source}"
    tf, nf = text.frame, numeric.frame
    t_id = _id_column(text)
    n_id = _id_column(numeric)
    if t_id is not None and n_id is not None:
        tk = tf[t_id].astype("string").str.strip()
        nk = nf[n_id].astype("string").str.strip()
        if tk.duplicated().any() or nk.duplicated().any() or set(tk.dropna()) != set(nk.dropna()) or tk.isna().any():
            raise InputFileError(
                f"{where} do not hold the same respondents: the {t_id!r} numbers differ",
                hint="download both files of the same survey at the same time (按选项文本 and 按选项序号), without filtering.",
            )
        order = pd.Series(np.arange(len(tf)), index=tk.to_numpy()).reindex(nk.to_numpy()).to_numpy()
    else:
        if len(tf) != len(nf):
            raise InputFileError(
                f"{where} do not hold the same respondents: {len(tf)} and {len(nf)} rows",
                hint="download both files of the same survey at the same time, without filtering.",
            )
        order = np.arange(len(tf))
    out = nf.copy()
    labels_out: dict[str, dict[Any, str]] = dict(numeric.value_labels or {})
    paired: dict[str, dict[int, str]] = {}
    scaled: dict[str, str] = {}
    problems: list[str] = []
    meta = set(getattr(getattr(numeric, "platform", None), "roles", {}) or {})
    for col in nf.columns:
        if col not in tf.columns or col in meta:
            continue
        n_cells = nf[col]
        pos = pd.to_numeric(n_cells, errors="coerce").to_numpy(dtype=np.float64)
        if (np.isnan(pos) & n_cells.notna().to_numpy()).any():
            continue  # text in the numeric download too (fill-in answers): nothing to pair
        t_lab = _labels_of(tf[col], text.value_labels.get(col, {}))
        if t_lab is None:
            continue
        t_lab = t_lab[order]
        t_skip = np.isin(t_lab, list(SKIP_TEXT)) | pd.isna(t_lab)
        n_skip = np.isin(pos, SKIP_CODES) | np.isnan(pos)
        bad = np.flatnonzero(t_skip != n_skip)
        if bad.size:
            k = int(bad[0])
            problems.append(f"column {col!r}, row {int(numeric.row_numbers[k])}: text {t_lab[k]!r}, number "
                            f"{_fmt(pos[k])} (one download has an answer, the other a skip)"
                            + (f", and {bad.size - 1} more row(s)" if bad.size > 1 else ""))
            continue
        both = ~t_skip
        pairs = pd.DataFrame({"pos": pos[both], "label": t_lab[both]}).drop_duplicates()
        for key, other in (("pos", "label"), ("label", "pos")):
            multi = pairs.groupby(key)[other].nunique()
            for v in multi[multi > 1].index:
                vals = pairs.loc[pairs[key] == v, other].tolist()
                rows = np.flatnonzero(both & ((pos == v) if key == "pos" else (t_lab == v)))[:3]
                problems.append(f"column {col!r}: {'position' if key == 'pos' else 'label'} "
                                f"{_fmt(v) if key == 'pos' else repr(v)} meets {', '.join(map(_fmtv, vals))} "
                                f"(rows {', '.join(str(int(numeric.row_numbers[r])) for r in rows)})")
        if problems and problems[-1].startswith(f"column {col!r}"):
            continue
        pos_to_label = {int(p): str(lab) for p, lab in zip(pairs["pos"], pairs["label"], strict=True)}
        paired[col] = dict(sorted(pos_to_label.items()))
        rec = recognise(pos_to_label.values())
        if rec is not None:
            lab2code = rec[1]
            scaled[col] = rec[0].describe(lab2code.values())
            mapping = {float(p): lab2code[lab] for p, lab in pos_to_label.items()}
            labels_out[col] = {_int(lab2code[lab]): lab for lab in pos_to_label.values()}
            values = pos.copy()
            values[both] = pd.Series(pos[both]).map(mapping).to_numpy(dtype=np.float64)
            out[col] = np.where(np.isnan(pos), np.nan, values)
        else:
            labels_out[col] = dict(paired[col])
    if problems:
        raise InputFileError(
            f"{where} contradict each other, so no label map can be derived from them: " + "; ".join(problems),
            hint="check that both files are downloads of the same survey and the same responses (按选项文本 and "
            "按选项序号, downloaded together), or read the text download alone.",
        )
    info = getattr(numeric, "platform", None)
    if info is not None:
        cols = info.columns.copy()
        hit = cols["column"].isin(list(scaled))
        cols.loc[hit, "scale"] = cols.loc[hit, "column"].map(scaled)
        info = replace(info, download="paired", paired=paired, columns=cols,
                       notes=tuple(n for n in info.notes if "position" not in n) + (
                           f"paired with {text.source}: {len(paired)} column(s) matched cell by cell, {len(scaled)} of "
                           "them recoded from option positions to the scores of their labels",))
        return replace(numeric, frame=out, value_labels=labels_out, platform=info)
    return replace(numeric, frame=out, value_labels=labels_out)


def _id_column(raw: Any) -> str | None:
    info = getattr(raw, "platform", None)
    roles = info.roles if info is not None else {}
    return next((c for c, r in roles.items() if r == "id"), None)


def _labels_of(s: pd.Series, value_labels: Mapping[Any, str]) -> np.ndarray | None:
    """A text column's option labels per cell (codes of a recognised scale turned back into their
    labels), worked out once per distinct value; None for a column without option text (numbers
    typed in, empty)."""
    idx, uniq = pd.factorize(s, use_na_sentinel=True)
    out_u = np.empty(len(uniq) + 1, dtype=object)  # the last entry: empty cells (idx -1)
    has_label = False
    for k, v in enumerate(uniq):
        if isinstance(v, str):
            t = v.strip()
            out_u[k] = t or None
            has_label = has_label or (bool(t) and t not in SKIP_TEXT)
        elif value_labels and _int(v) in value_labels:
            out_u[k] = value_labels[_int(v)]
            has_label = True
        else:
            return None
    return out_u[idx] if has_label else None


def _int(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return int(f) if f.is_integer() else f


def _fmt(v: float) -> str:
    return "empty" if np.isnan(v) else str(_int(v))


def _fmtv(v: Any) -> str:
    return repr(v) if isinstance(v, str) else _fmt(float(v))


# ====================================================================== against the spec
def check_items(raw: Any, questionnaire: Any) -> Any:
    """Check a platform table against the spec before :func:`~csi_survey.ingest.prepare.prepare`.

    * An item column holding option text in no built-in scale, for an item without ``labels:`` in
      the spec, is refused: **one** :class:`DataValidationError` lists every unknown label with its
      columns (and first rows) and says how to declare them (``label_maps`` + ``labels:``).
    * An item whose spec declares ``labels:`` but whose column the reader recognised as a built-in
      scale gets the spec's codes (the spec wins): the cells are turned back into their labels.

    Returns the (possibly recoded) table; other tables are returned unchanged.
    """
    info = getattr(raw, "platform", None)
    if info is None:
        return raw
    frame = raw.frame
    cols = {str(c).strip().casefold(): c for c in frame.columns}
    rows: list[dict[str, Any]] = []
    unknown: dict[str, list[str]] = {}
    recode: dict[str, pd.Series] = {}
    for item in questionnaire.item_ids:
        col = cols.get(str(item).strip().casefold())
        if col is None:
            continue
        spec_labels = questionnaire.item_labels(item)
        vl = raw.value_labels.get(col)
        if spec_labels is not None:
            if vl:  # recognised by the reader: back to the labels, for the spec's map
                uniq = pd.unique(frame[col].dropna().to_numpy(dtype=object))
                back = {v: vl.get(_int(v), v) for v in uniq if not isinstance(v, str)}
                mapped = frame[col].map(back)
                recode[col] = mapped.astype(object).where(mapped.notna(), frame[col].astype(object))
            continue
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        text = s.astype("string").str.strip()
        is_num = pd.to_numeric(text, errors="coerce").notna()
        labels = text[text.notna() & ~is_num & ~text.isin(list(SKIP_TEXT)) & text.ne("")]
        if labels.empty:
            continue
        known = recognise(labels.unique())
        bad_labels = sorted(set(labels.unique())) if known is None else []
        sus = unknown_labels(labels.unique())
        if sus is not None:
            bad_labels = sus[1]
        for lab in bad_labels:
            unknown.setdefault(lab, []).append(str(col))
            hit = np.flatnonzero((text == lab).fillna(False).to_numpy())
            for k in hit[:3]:
                rows.append({"row": int(raw.row_numbers[k]), "respondent_id": "", "column": str(col), "value": lab,
                             "problem": "answer label in no built-in scale"})
    if unknown:
        listed = "; ".join(f"{lab!r} in {', '.join(cs)}" for lab, cs in unknown.items())
        example = ", ".join(f"{lab}: ?" for lab in list(unknown)[:4])
        raise DataValidationError(
            f"{raw.location}: {len(unknown)} answer label(s) are in no built-in Chinese scale, so they have no score: "
            f"{listed}",
            rows,
            hint="declare the scale in the questionnaire spec: label_maps: {my_scale: {" + example + ", …}} (every label "
            "of the question with its score) and labels: my_scale on the construct or item; or correct the labels in "
            "the export.",
        )
    if recode:
        frame = frame.copy()
        for col, s in recode.items():
            frame[col] = s.astype(object)
        labels = {c: v for c, v in raw.value_labels.items() if c not in recode}
        return replace(raw, frame=frame, value_labels=labels)
    return raw

