"""Named columns of the prepared survey data: lookup, cell text, segment labels and their order.

One low module that the data preparation (survey weights), the driver tables, the segment and
wave analyses and the batch all use, so that a column is found, a cell is shown and a segment is
labelled and ordered the same way everywhere:

- :func:`resolve_column` finds an item or another column of the export by name (exact, else
  ignoring case and surrounding spaces) and names the closest columns when it is absent;
- :func:`segment_values` / :func:`segment_labels` turn a column into one label per respondent
  (``"(missing)"`` for an empty cell), :func:`natural_key`, :func:`segment_order` and
  :func:`ordered_labels` order them ("Q2" before "Q10", numbers and dates by value, "(missing)" last);
- :func:`cell_text` shows a raw cell as the user sees it in the file (for problem tables).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import InputFileError, SettingsError

__all__ = [
    "MISSING_SEGMENT",
    "TOTAL_SEGMENT",
    "check_survey_data",
    "data_location",
    "resolve_column",
    "item_answers",
    "segment_label",
    "cell_labels",
    "segment_values",
    "segment_labels",
    "natural_key",
    "segment_order",
    "ordered_labels",
    "cell_text",
    "finite_number",
]

#: The label of respondents whose segment cell is empty.
MISSING_SEGMENT = "(missing)"
#: The label of the row for all respondents in the segment tables.
TOTAL_SEGMENT = "(total)"


def check_survey_data(data: Any, function: str) -> Any:
    """``data`` itself when it is the prepared survey data (a ``SurveyData``); else a
    :class:`~csi_survey.exceptions.SettingsError` naming ``function``."""
    # looked up on the class first: ``answers`` is a property that copies every answer
    if not all(hasattr(type(data), a) or hasattr(data, a) for a in ("questionnaire", "answers", "other", "items")):
        raise SettingsError(
            f"{function}() needs the prepared survey data (a SurveyData); got {type(data).__name__}",
            hint="read the responses with csi_survey.read_responses(path, questionnaire) and pass the result.",
        )
    return data


def data_location(data: Any) -> str:
    """Where the data came from, for messages ("export.xlsx, sheet 'Responses'")."""
    return getattr(data, "location", "the data")


def resolve_column(data: Any, name: str, role: str) -> tuple[str, Any]:
    """Where a named column lives: ``("item", item_id)`` or ``("other", column of data.other)``.

    Item ids match exactly; other columns exactly, else ignoring case and surrounding spaces
    (as the item matching of :func:`~csi_survey.ingest.prepare`).
    """
    q = data.questionnaire
    if name in q.items:
        return "item", name
    columns = list(data.other.columns)
    if name in columns:
        return "other", name
    key = str(name).strip().casefold()
    cands = [c for c in columns if str(c).strip().casefold() == key]
    if len(cands) == 1:
        return "other", cands[0]
    where = data_location(data)
    if len(cands) > 1:
        raise InputFileError(
            f"{role} column {name!r} is ambiguous in {where}: " + ", ".join(repr(str(c)) for c in cands)
            + " differ only by case or spaces",
            hint="rename one of these columns in the file.",
        )
    names = list(q.item_ids) + [str(c) for c in columns]
    folded = {n.strip().casefold(): n for n in names}
    close = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)
    closest = "; closest: " + ", ".join(repr(folded[c]) for c in close) if close else "; no similar column"
    shown = ", ".join(repr(n) for n in names[:40]) + (f", … ({len(names)} columns)" if len(names) > 40 else "")
    raise InputFileError(
        f"{role} column {name!r} is not in {where}{closest}",
        hint=f"correct the name in the questionnaire spec or the call (it must be a column of the export). "
        f"Columns available: {shown}",
    )


def item_answers(data: Any, item: str, *, favourable: bool) -> np.ndarray:
    """One item's answers, NaN where missing (before the item-mean replacement): as given
    (``favourable=False``, the column of ``data.answers``) or after reverse coding (``True``).

    Works on the one column, so that it does not copy the whole item matrix as ``data.answers`` does.
    """
    q = data.questionnaire
    j = q.item_ids.index(item)
    values = data.items[item].to_numpy(dtype=np.float64, copy=True)  # after reverse coding
    if data.imputed is not None:
        values[np.asarray(data.imputed)[:, j]] = np.nan
    if not favourable and q.items[item].reverse:
        scale = q.item_scale(item)
        values = (scale.min + scale.max) - values
    return values


def segment_label(v: Any) -> str:
    """One cell as a segment label: text stripped, whole numbers without ``.0``, dates as
    ``YYYY-MM-DD``, booleans as ``TRUE``/``FALSE``; empty cells become ``"(missing)"``."""
    if v is None:
        return MISSING_SEGMENT
    if isinstance(v, str):
        return v.strip() or MISSING_SEGMENT
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return MISSING_SEGMENT
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return MISSING_SEGMENT
    return str(v).strip() or MISSING_SEGMENT


def segment_values(data: Any, column: str) -> pd.Series:
    """The segment of every used respondent as text: a Series named after the column, one entry per
    row of ``data.items``.

    The values come from the raw cells of ``data.other`` (non-item columns; the name matches
    exactly, else ignoring case and surrounding spaces) or, for a construct item, its answers as
    given. Numbers are written without a trailing ``.0`` (``1.0`` → ``"1"``), dates as
    ``YYYY-MM-DD``, text is stripped; empty cells become ``"(missing)"``. Vectorised: each
    distinct value is converted once.

    Raises :class:`~csi_survey.exceptions.InputFileError` naming the column and the closest
    column names when it does not exist. R equivalent: ``as.character(df[[column]])`` with
    ``NA`` → ``"(missing)"``.
    """
    data = check_survey_data(data, "segment_values")
    kind, col = resolve_column(data, column, "segment")
    s = pd.Series(item_answers(data, col, favourable=False)) if kind == "item" else data.other[col]
    return pd.Series(cell_labels(s), name=str(col), dtype=str)


def cell_labels(values: pd.Series) -> np.ndarray:
    """:func:`segment_label` of every cell of a column, as an object array. Vectorised: each
    distinct value is converted once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([segment_label(v) for v in np.asarray(uniques, dtype=object)] + [MISSING_SEGMENT], dtype=object)
    return texts[np.where(codes < 0, len(texts) - 1, codes)]


def natural_key(text: str) -> tuple:
    """Sort key that orders the digit runs of a text by value: "Q2" < "Q10" (case-insensitive)."""
    parts = re.split(r"(\d+)", text.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "") + ((2, 0, text),)


def segment_order(labels: Sequence[str]) -> list[str]:
    """Distinct segment labels in natural order (as the segment tables); "(missing)" last."""
    present = [v for v in dict.fromkeys(labels) if v != MISSING_SEGMENT]
    try:
        order = sorted(present, key=float)
    except ValueError:
        order = sorted(present, key=natural_key)
    return order + ([MISSING_SEGMENT] if MISSING_SEGMENT in labels else [])


def segment_labels(data: Any, column: str) -> tuple[np.ndarray, pd.Series | None]:
    """Per used respondent, the segment label as text ("(missing)" for an empty cell), and the raw
    values behind the labels (for ordering numbers and dates by value; None when not available)."""
    labels = segment_values(data, column)  # resolves the column (clear error naming close columns)
    name = labels.name
    if name in data.other.columns:
        raw = data.other[name]
    elif name in data.questionnaire.items:
        raw = pd.Series(item_answers(data, name, favourable=False), name=name)  # one column, not every answer
    else:
        raw = None
    return np.asarray(labels.to_numpy(dtype=object), dtype=object), raw


def ordered_labels(labels: np.ndarray, raw: pd.Series | None) -> list[str]:
    """The distinct labels in natural order (numbers and dates by value); "(missing)" last."""
    present = [lab for lab in pd.unique(labels) if lab != MISSING_SEGMENT]
    if raw is not None and len(raw) == len(labels) and (
        (ptypes.is_numeric_dtype(raw.dtype) and not ptypes.is_bool_dtype(raw.dtype))
        or ptypes.is_datetime64_any_dtype(raw.dtype)
    ):
        first = pd.Series(raw.to_numpy()).groupby(pd.Series(labels, dtype=object), sort=False).min()
        order = sorted(present, key=lambda lab: (first.get(lab), natural_key(lab)))
    else:
        order = sorted(present, key=natural_key)
    return order + ([MISSING_SEGMENT] if MISSING_SEGMENT in set(labels) else [])


def cell_text(v: Any) -> str:
    """A cell as the user sees it in the file ("" for an empty cell)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    return str(v)


def finite_number(value: Any) -> float | None:
    """A cell or table value as a finite float, else None (empty, NaN, ±inf, a boolean, text that is no number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
