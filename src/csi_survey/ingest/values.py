"""Cells → numbers: the one rule for reading a cell as a number, and the answers' checks.

Every reader hands over cells as they are in the file: numbers (workbook cells, SPSS), text
(CSV cells, workbook text cells) or other values (dates, booleans). Item answers
(:func:`parse_column`), survey weights (:mod:`csi_survey.ingest.weights`) and interview durations
(:mod:`csi_survey.ingest.quality`) all turn them into numbers here, with one rule, so that a value
reads the same in a CSV file and in a workbook.

**The rule** (:func:`text_numbers`):

* a number cell is that number (booleans, dates and times are not numbers);
* a text cell is a number when, after stripping surrounding spaces (any Unicode space, e.g. the
  ideographic space U+3000) and turning **full-width** digits and signs (``０``–``９``, ``＋``, ``－``,
  ``．``, ``ｅ``/``Ｅ``: what a Chinese or Japanese input method types) into their ASCII forms, it is
  an ASCII decimal number: an optional sign, digits with an optional decimal point (``5``, ``4.5``,
  ``.5``, ``5.``) and an optional exponent (``1e3``);
* anything else is text: digits of other scripts (Arabic-Indic ``٨``, Devanagari ``८``, …), the
  digit-group underscore of Python literals (``1_0``), thousands separators (``1,000``), ``inf`` and
  ``nan`` written out, circled or superscript digits (``①``, ``²``). Text is then looked up in the
  item's answer labels, or reported as "not a number".

Why: Chinese and Japanese spreadsheets (Excel, WPS) turn full-width digits typed into a cell into a
number, and respondents of Chinese surveys type them; no spreadsheet reads ``٨`` or ``1_0`` as a
number, and an answer code in another script is far more likely a stray or look-alike character
than an intended answer. Before this rule, workbook text cells were read by Python's ``float``
(which accepts every Unicode decimal digit and ``1_0``) while CSV cells were read by pandas (which
accepts only ASCII): the same file gave different data in the two formats.

A Google Forms export (``RawTable.format == "googleforms"``) also writes answers as labelled numbers
(``10 - Extremely satisfied``, see :mod:`csi_survey.ingest.vendors`): for an item without answer
labels such a cell is its number, also in a column the reader left as text because some other cell
of it is not a labelled number (so that only the truly bad cells are reported).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import DataValidationError, InputFileError
from ..schema import Questionnaire
from .cn_scales import recognise

__all__ = [
    "FULLWIDTH",
    "NUMBER_PATTERN",
    "LABELLED_NUMBER",
    "text_numbers",
    "value_numbers",
    "CodeSet",
    "code_set",
    "LabelMap",
    "Cells",
    "blank_mask",
    "parse_column",
    "parse_text",
    "number_text",
    "cell_text",
    "invalid_cells",
    "invalid_error",
]

#: Full-width digits and signs → ASCII (applied to text before it is read as a number).
FULLWIDTH = str.maketrans({**{chr(0xFF10 + k): str(k) for k in range(10)},
                           "＋": "+", "－": "-", "．": ".", "ｅ": "e", "Ｅ": "E"})
#: An ASCII decimal number (the whole text, after stripping and :data:`FULLWIDTH`).
NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: A Google Forms labelled number: ``10 - Extremely satisfied``, ``1 – Not at all``, ``5: Very good``
#: (a label starts with a non-digit; a hyphen needs a space on one side, so ``2-3 times`` stays text).
LABELLED_NUMBER = re.compile(r"^([+-]?[0-9]+(?:[.,][0-9]+)?)(?:\s*[:\u2013\u2014]\s*|\s+-\s*|-\s+)([^\d\s].*?)$", re.S)
_MAX_LABELS_IN_MESSAGE = 20
_MAX_TEXTS_IN_MESSAGE = 12
#: Not-a-number cells holding text without digits from which the message treats them as answer labels.
_MIN_LABEL_CELLS = 10
#: Kinds of pandas' infer_dtype for which every non-empty cell of an object column is a number.
_NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float", "decimal", "empty")


def text_numbers(texts: pd.Series) -> np.ndarray:
    """:data:`NUMBER_PATTERN` numbers of text values (the rule of the module docstring): float64,
    NaN where a value is not a number. ``texts`` holds text (stripped or not) or missing values."""
    t = texts.astype(object).where(texts.notna(), None)
    s = pd.Series(t, dtype="string").str.strip().str.translate(FULLWIDTH)
    ok = s.str.fullmatch(NUMBER_PATTERN).to_numpy(dtype=bool, na_value=False)
    out = np.full(len(s), np.nan)
    if ok.any():
        out[ok] = pd.to_numeric(s[ok].astype(object), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def value_numbers(values: pd.Series) -> np.ndarray:
    """Any column's cells as numbers under the one rule: numbers as they are, text by
    :func:`text_numbers`, everything else (booleans, dates, times, empty cells) NaN. Vectorised per
    distinct value for text and object columns."""
    dtype = values.dtype
    if ptypes.is_bool_dtype(dtype):
        return np.full(len(values), np.nan)
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if not (ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)):
        return np.full(len(values), np.nan)  # dates, times, durations
    if ptypes.is_object_dtype(dtype) and pd.api.types.infer_dtype(values, skipna=True) in _NUMERIC_KINDS:
        return values.to_numpy(dtype=object).astype(np.float64)
    idx, uniq = pd.factorize(values, use_na_sentinel=True)
    return np.append(_distinct_numbers(np.asarray(uniq, dtype=object)), np.nan)[idx]


def _distinct_numbers(u: np.ndarray) -> np.ndarray:
    """Numbers of distinct values (object array): text by the rule, real numbers as they are."""
    is_text = np.fromiter((isinstance(v, str) for v in u), dtype=bool, count=len(u))
    out = np.full(len(u), np.nan)
    if is_text.any():
        out[is_text] = text_numbers(pd.Series(u[is_text], dtype=object))
    for k in np.flatnonzero(~is_text):
        v = u[k]
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[k] = float(v)
    return out


# ====================================================================== missing codes
@dataclass(frozen=True)
class CodeSet:
    """The missing codes of one column: numbers, texts (stripped) and inclusive ranges."""

    numbers: np.ndarray
    texts: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]

    def is_missing(self, num: np.ndarray) -> np.ndarray:
        out = np.isin(num, self.numbers) if self.numbers.size else np.zeros(num.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            for lo, hi in self.ranges:
                out |= (num >= lo) & (num <= hi)
        return out


def _is_real(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def code_set(spec_codes: Sequence[float | str], vendor_codes: Sequence[object], column: object, where: str) -> CodeSet:
    """The spec's codes of an item plus the export's (``RawTable.missing_values``) for its column.

    Export entries: a number, a text, or a ``(lo, hi)`` pair of numbers = the inclusive range."""
    numeric: list[float] = []
    text: list[str] = []
    ranges: list[tuple[float, float]] = []

    def add_text(c: str) -> None:
        text.append(c.strip())
        x = text_numbers(pd.Series([c], dtype=object))[0]  # a text code that reads as a number is that number too
        if not np.isnan(x):
            numeric.append(float(x))

    for c in spec_codes:
        if isinstance(c, str):
            add_text(c)
        else:
            numeric.append(float(c))
    for c in vendor_codes:
        if c is None:
            continue
        if isinstance(c, str):
            add_text(c)
        elif _is_real(c):
            if not np.isnan(float(c)):
                numeric.append(float(c))
        elif isinstance(c, (tuple, list)) and len(c) == 2 and all(_is_real(v) for v in c):
            lo, hi = sorted((float(c[0]), float(c[1])))
            ranges.append((lo, hi))
        else:
            raise InputFileError(
                f"The missing values declared by {where} for column {str(column)!r} include {c!r}, which is neither "
                f"a code (number or text) nor a (low, high) range of numbers",
                hint="correct RawTable.missing_values: each entry is a code such as -99 or 'DK', or a pair (low, high).",
            )
    return CodeSet(np.asarray(numeric, dtype=np.float64), tuple(dict.fromkeys(text)), tuple(ranges))


# ====================================================================== answer labels
@dataclass(frozen=True)
class LabelMap:
    """An item's answer-label map: exact (stripped) labels and unambiguous case-folded labels → code."""

    name: str
    exact: dict[str, float]
    folded: dict[str, float]

    @classmethod
    def of(cls, q: Questionnaire, item: str) -> LabelMap | None:
        labels = q.item_labels(item)
        if labels is None:
            return None
        own = q.items[item].labels
        spec = own if own is not None else q.constructs[q.construct_of[item]].labels
        if isinstance(spec, str):
            name = spec
        elif own is not None:
            name = f"labels of item {item}"
        else:
            name = f"labels of construct {q.construct_of[item]}"
        exact = {str(k).strip(): float(v) for k, v in labels.items()}
        folded: dict[str, float] = {}
        clash: set[str] = set()
        for k, v in exact.items():
            f = k.casefold()
            if f in folded and folded[f] != v:
                clash.add(f)
            folded.setdefault(f, v)
        for f in clash:
            del folded[f]
        return cls(name=name, exact=exact, folded=folded)


# ====================================================================== one column of answers
@dataclass
class Cells:
    values: np.ndarray  # valid numbers, NaN elsewhere
    blank: np.ndarray  # empty cell
    code: np.ndarray  # missing code (not blank)
    not_number: np.ndarray  # neither empty, a code, a number nor a known label (item without a label map)
    unmapped: np.ndarray  # text not in the item's label map
    out_of_range: np.ndarray
    labelled: np.ndarray  # the number comes from an answer label
    num: np.ndarray  # parsed numbers (NaN when not a number)

    @property
    def bad(self) -> np.ndarray:
        return self.not_number | self.unmapped | self.out_of_range


def blank_mask(s: pd.Series) -> np.ndarray:
    """Empty cells: NaN/None or whitespace-only text."""
    blank = s.isna().to_numpy()
    if not (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        return blank
    try:
        stripped = s.str.strip()
    except AttributeError:  # object column without any text
        return blank
    return blank | stripped.eq("").to_numpy(dtype=bool, na_value=False)


def parse_column(s: pd.Series, codes: CodeSet, scale, labels: LabelMap | None = None, *,
                 labelled_numbers: bool = False) -> Cells:
    """One item column → :class:`Cells` (the steps of :mod:`csi_survey.ingest.prepare`, step 2).

    ``labelled_numbers``: read Google Forms' ``10 - Extremely satisfied`` as 10 (items without labels)."""
    n = len(s)
    dtype = s.dtype
    no = np.zeros(n, dtype=bool)
    text_code = labelled = unmapped = no
    if ptypes.is_bool_dtype(dtype):
        blank = s.isna().to_numpy()
        num = np.full(n, np.nan)
    elif ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        blank = s.isna().to_numpy()
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(dtype, pd.DatetimeTZDtype) or ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        blank = s.isna().to_numpy()
        num = np.full(n, np.nan)
    elif ptypes.is_object_dtype(dtype) and pd.api.types.infer_dtype(s, skipna=True) in _NUMERIC_KINDS:
        num = s.to_numpy(dtype=object).astype(np.float64)  # fast path: numbers only (no text: the rule is for text)
        blank = s.isna().to_numpy()
    else:  # text (pandas text dtypes, object columns holding text), categoricals: per distinct value
        num, blank, text_code, labelled, unmapped = parse_text(s, codes, labels, labelled_numbers=labelled_numbers)
    num = np.where(blank, np.nan, num)
    code = text_code | codes.is_missing(num)
    code &= ~blank
    finite = np.isfinite(num)
    considered = ~blank & ~code
    unmapped = unmapped & considered
    not_number = considered & ~finite & ~unmapped
    valid = considered & finite
    if scale is not None:
        out_of_range = valid & ((num < scale.min) | (num > scale.max))
    else:
        out_of_range = np.zeros(n, dtype=bool)
    values = np.where(valid & ~out_of_range, num, np.nan)
    return Cells(values=values, blank=blank, code=code, not_number=not_number, unmapped=unmapped,
                 out_of_range=out_of_range, labelled=labelled & valid, num=num)


def parse_text(s: pd.Series, codes: CodeSet, labels: LabelMap | None, *, labelled_numbers: bool = False):
    """A column holding text: parsed once per distinct value, then spread to the rows.

    Returns numbers (labels mapped to their codes), blank, text-code, labelled and unmapped masks.
    """
    idx, uniq = pd.factorize(s, use_na_sentinel=True)  # idx -1: NaN/None
    u_obj = np.asarray(uniq, dtype=object)
    u = pd.Series(u_obj, dtype=object)
    stripped = u.str.strip()  # NaN for values that are not text
    is_text = stripped.notna().to_numpy()
    u_blank = stripped.eq("").to_numpy(dtype=bool, na_value=False)
    u_num = _distinct_numbers(u_obj)
    if codes.texts:
        u_code = stripped.isin(list(codes.texts)).to_numpy(dtype=bool, na_value=False) & ~u_blank
    else:
        u_code = np.zeros(len(u), dtype=bool)
    u_labelled = np.zeros(len(u), dtype=bool)
    u_unmapped = np.zeros(len(u), dtype=bool)
    cand = is_text & ~u_blank & ~u_code & np.isnan(u_num)
    if labels is not None and cand.any():
        texts = stripped[cand]
        mapped = texts.map(labels.exact)
        loose = mapped.isna()
        if loose.any() and labels.folded:
            mapped[loose] = texts[loose].str.casefold().map(labels.folded)
        got = mapped.to_numpy(dtype=np.float64, na_value=np.nan)
        k = np.flatnonzero(cand)
        hit = ~np.isnan(got)
        u_num[k[hit]] = got[hit]
        u_labelled[k[hit]] = True
        u_unmapped[k[~hit]] = True
    elif labelled_numbers and cand.any():
        for k in np.flatnonzero(cand):
            m = LABELLED_NUMBER.match(stripped.iat[k].translate(FULLWIDTH))
            if m is not None:
                u_num[k] = float(m.group(1).replace(",", "."))
                u_labelled[k] = True

    def spread(a: np.ndarray, na) -> np.ndarray:
        return np.append(a, na)[idx]  # idx -1 picks the appended value

    return (
        spread(u_num, np.nan),
        spread(u_blank, True),
        spread(u_code, False),
        spread(u_labelled, False),
        spread(u_unmapped, False),
    )


# ====================================================================== messages
def number_text(x: float) -> str:
    """A number as the user typed it: whole numbers without ``.0``."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _scale_text(scale) -> str:
    return f"{number_text(scale.min)}–{number_text(scale.max)}"


def cell_text(v: object) -> str:
    """A cell as the user sees it in the file."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else number_text(v)
    return str(v)


def invalid_cells(s: pd.Series, cell: Cells, column: object, j: int, scale, labels: LabelMap | None) -> pd.DataFrame:
    """The invalid cells of one column (``cell.bad``) as rows for :func:`invalid_error`."""
    pos = np.flatnonzero(cell.bad)
    raw = s.iloc[pos].tolist()
    texts = [cell_text(v) for v in raw]
    range_text = f"out of range {_scale_text(scale)}" if scale is not None else ""
    col = str(column)
    map_name = labels.name if labels is not None else ""
    kinds: list[str] = []
    problems: list[str] = []
    pieces: list[str] = []
    label_texts: list[str] = []
    for t, k_nn, k_un, k_lab, num in zip(
        texts, cell.not_number[pos].tolist(), cell.unmapped[pos].tolist(), cell.labelled[pos].tolist(),
        cell.num[pos].tolist(),
    ):
        t_strip = t.strip()
        if k_un:
            kinds.append("unmapped")
            problems.append(f"unmapped label {t_strip!r} (map: {map_name})")
            pieces.append(f"{t_strip!r} in {col} (unmapped label, map: {map_name})")
            label_texts.append(t_strip)
        elif k_nn:
            kinds.append("not_number")
            problems.append("not a number")
            pieces.append(f"{t!r} in {col} (not a number)")
            label_texts.append(t_strip)  # the text found: shown in the message, a label for label_maps
        else:
            kinds.append("out_of_range")
            if k_lab:  # a label whose code lies outside the item's scale
                problems.append(f"{range_text} (label {t_strip!r} = {number_text(num)})")
                pieces.append(f"{t_strip!r} = {number_text(num)} in {col} ({range_text})")
            else:
                problems.append(range_text)
                pieces.append(f"{t_strip} in {col} ({range_text})")
            label_texts.append("")
    return pd.DataFrame(
        {
            "pos": pos.astype(np.int64),
            "j": np.full(pos.size, j, dtype=np.int64),
            "column": pd.Series([col] * pos.size, dtype=object),
            "value": pd.Series(texts, dtype=object),
            "problem": pd.Series(problems, dtype=object),
            "piece": pd.Series(pieces, dtype=object),
            "kind": pd.Series(kinds, dtype=object),
            "label": pd.Series(label_texts, dtype=object),
            "map": pd.Series([map_name] * pos.size, dtype=object),
        }
    )


def invalid_error(bad: pd.DataFrame, row_numbers: np.ndarray, ids, where: str) -> DataValidationError:
    """One error listing every invalid cell; its message also lists every distinct unmapped label
    and the distinct texts found where numbers were expected (with the label_maps / built-in
    Chinese scale hint when they look like answer labels). ``ids.strings(pos)``: the respondent ids."""
    bpos = bad["pos"].to_numpy()
    table = pd.DataFrame(
        {
            "row": row_numbers[bpos],
            "respondent_id": ids.strings(bpos),
            "column": bad["column"].to_numpy(dtype=object),
            "value": bad["value"].to_numpy(dtype=object),
            "problem": bad["problem"].to_numpy(dtype=object),
        }
    )
    n_resp = len(np.unique(bpos))
    kinds = set(bad["kind"])
    what = [w for k, w in (("not_number", "not numbers"), ("unmapped", "unmapped answer labels"),
                            ("out_of_range", "outside the item's scale")) if k in kinds]
    listing = ""
    hint = ("correct these cells in the file, declare codes such as 'don't know' as missing_codes in the "
            "questionnaire, or run with --on-invalid exclude (on_invalid='exclude') to leave these respondents out "
            "(--on-invalid flag, on_invalid='flag': keep them, the cells become missing answers).")
    if "not_number" in kinds:
        listing, hint = _text_found(bad[bad["kind"] == "not_number"], hint)
    if "unmapped" in kinds:
        un = bad[bad["kind"] == "unmapped"]
        grouped = un.groupby(["label", "map"], sort=False)
        parts = []
        for (label, map_name), g in grouped:
            cols = ", ".join(dict.fromkeys(g["column"]))
            k = len(g)
            parts.append(f"{label!r} in {cols} (map: {map_name}; {k} cell{'s' if k != 1 else ''})")
        more = f"; and {len(parts) - _MAX_LABELS_IN_MESSAGE} more" if len(parts) > _MAX_LABELS_IN_MESSAGE else ""
        listing += f". Unmapped label(s): {'; '.join(parts[:_MAX_LABELS_IN_MESSAGE])}{more}"
        hint = ("add the unmapped labels to the answer-label map in the questionnaire (label_maps, or labels: on the "
                "construct or item), or " + hint)
    return DataValidationError(
        f"Invalid answers in {where}: {len(table)} cell(s) of {n_resp} respondent(s) are "
        + (" or ".join(what) if len(what) < 3 else f"{what[0]}, {what[1]} or {what[2]}") + listing,
        table,
        hint=hint,
    )


def _text_found(nn: pd.DataFrame, hint: str) -> tuple[str, str]:
    """When the not-a-number cells hold answer labels (at least two distinct texts without digits, in
    at least :data:`_MIN_LABEL_CELLS` cells, e.g. 非常满意 from a 问卷星 text download read without
    its layout): the labels found (most frequent first) and a hint naming ``label_maps`` and, when
    the labels belong to one, the built-in Chinese scale (:mod:`csi_survey.ingest.cn_scales`).
    Else ``("", hint)``: a few stray texts are listed in the table of the error only."""
    counts = nn["label"].value_counts(sort=True)
    labels = [t for t in counts.index if t and not any(ch.isdigit() for ch in t)]
    if len(labels) < 2 or int(counts[labels].sum()) < _MIN_LABEL_CELLS:
        return "", hint
    shown = [f"{t!r} ({counts[t]} cell{'s' if counts[t] != 1 else ''})" for t in labels[:_MAX_TEXTS_IN_MESSAGE]]
    more = f"; and {len(labels) - _MAX_TEXTS_IN_MESSAGE} more" if len(labels) > _MAX_TEXTS_IN_MESSAGE else ""
    cols = ", ".join(dict.fromkeys(nn.loc[nn["label"].isin(labels), "column"]))
    listing = f". Answer labels found in {cols}: {'; '.join(shown)}{more}"
    known = recognise(labels)
    if known is not None:
        scale = known[0]
        label_hint = (f"these are the labels of the built-in Chinese scale {scale.describe()}: read the export with its "
                      f"platform format (--format wjx, wenjuan or tencent) so that the built-in scales (cn_scales) score "
                      f"them, or declare the scale under label_maps in the questionnaire and add labels: <map name> to "
                      f"the construct or item")
    else:
        example = ", ".join(f"{t}: ?" for t in labels[:4])
        label_hint = (f"these columns hold answer labels, not codes: declare the codes in the questionnaire, "
                      f"label_maps: {{my_scale: {{{example}, …}}}}, and add labels: my_scale to the construct or item")
    return listing, label_hint + "; otherwise " + hint
