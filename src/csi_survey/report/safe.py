"""Protection against formula injection ("CSV injection") and raw control characters in written reports.

Survey exports contain free text typed by respondents and labels typed by analysts. A spreadsheet
program treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a formula, so a label
such as ``=HYPERLINK("http://evil.example", "click")`` would run when a manager opens the report.
Following the OWASP guidance on CSV injection, such text is prefixed with a single quote ``'``
(also text starting with a tab or a carriage return, which some programs strip before parsing).

Only *text* is changed: numbers are stored as numbers and never prefixed. Text that merely looks
like a negative number (``"-3.5"``) is still text and is prefixed too.

Control characters
------------------
Survey exports may carry control characters in ids, segment values, labels or free text (a NUL
from a database export, an ESC sequence pasted from a terminal, U+0085 from a Latin-1 round trip).
Written raw they corrupt or hijack what the user opens: a terminal executes ESC sequences, XML
(xlsx, docx) cannot hold them, HTML calls them parse errors, and a right-to-left override makes a
label display reversed ("Trojan source" spoofing). :func:`clean_text` — the one function every
writer uses (CSV, xlsx, HTML, docx through the run bundle, the console through
:func:`clean_text` too) — replaces each of these with U+FFFD ``�`` (the Unicode replacement
character, what decoders write for undecodable bytes; one character for one, so nothing else moves):

* C0 controls U+0000–U+001F **except** tab, line feed and carriage return (every output format
  holds those: CSV quotes a cell holding a line break, RFC 4180; XML and HTML allow them);
* DEL U+007F and the C1 controls U+0080–U+009F (U+0085 "next line" included);
* the explicit bidirectional embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069:
  they can make a label display as another one. The implicit marks (U+200E, U+200F, U+061C) are
  kept, and right-to-left text displays correctly without the explicit controls (the Unicode
  bidirectional algorithm orders it by its own letters).

A visible U+FFFD rather than a silent deletion or an escape such as ``\x1b``: the reader sees that
the input held something that cannot be shown, and no text is written that the respondent did not
type. :func:`safe_text` and :func:`safe_frame` clean before they prefix.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["safe_text", "safe_frame", "DANGEROUS_PREFIXES", "clean_text", "clean_frame", "clean_value", "has_control",
           "CONTROL_CHARACTERS", "REPLACEMENT"]

#: First characters that make a spreadsheet program interpret a cell as a formula.
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

from ..display import CONTROL_CHARACTERS, REPLACEMENT, clean_text, has_control  # one rule, shared with the console

_CONTROL = re.compile(CONTROL_CHARACTERS)


def clean_value(value: Any) -> Any:
    """:func:`clean_text` applied to every string (keys too) of nested dicts, lists and tuples (JSON-like
    meta data); other values unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_value(v) for v in value)
    return value


def safe_text(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is a string starting with a formula character.

    Strings starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed with
    a single quote; every other value (other strings, numbers, ``None`` …) is returned unchanged.
    The function is idempotent: a prefixed string starts with ``'`` and is not prefixed again.

    >>> safe_text("=1+1")
    "'=1+1"
    >>> safe_text("-3.5")
    "'-3.5"
    >>> safe_text("顾客满意度")
    '顾客满意度'
    >>> safe_text(-3.5)
    -3.5

    Control characters are replaced first (:func:`clean_text`).
    """
    if isinstance(value, str):
        value = _CONTROL.sub(REPLACEMENT, value)
        if value.startswith(DANGEROUS_PREFIXES):
            return "'" + value
    return value


def _prefix_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Prefix ``values[mask]`` (strings) with ``'`` in a copy of the object array ``values``."""
    out = np.array(values, dtype=object, copy=True)
    out[mask] = "'" + out[mask]
    return out


def _clean_series(s: pd.Series) -> pd.Series:
    """A text column with its control characters replaced (the same object if it holds none).

    The common case (no control character) costs one join and one scan of the joined text (a
    string column: one vectorised search, Arrow's for pandas' ``str`` dtype)."""
    if isinstance(s.dtype, pd.StringDtype):
        if not s.str.contains(CONTROL_CHARACTERS, regex=True, na=False).to_numpy(dtype=bool, na_value=False).any():
            return s
        return s.str.replace(CONTROL_CHARACTERS, REPLACEMENT, regex=True)
    try:
        found = _CONTROL.search("".join(s.to_numpy(dtype=object)))
    except TypeError:  # missing values or non-strings among the text
        try:
            found = s.str.contains(CONTROL_CHARACTERS, regex=True, na=False).to_numpy(dtype=bool, na_value=False).any()
        except AttributeError:  # an object column holding no strings at all
            return s
    if not found:
        return s
    values = s.to_numpy(dtype=object, copy=True)
    for position, value in enumerate(values):  # only for a column that holds a control character
        if isinstance(value, str):
            values[position] = _CONTROL.sub(REPLACEMENT, value)
    return pd.Series(values, index=s.index, name=s.name, dtype=s.dtype)


def _safe_series(s: pd.Series) -> pd.Series:
    """The column with its control characters replaced and its dangerous strings prefixed (the same
    object if nothing changes)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        categories = s.cat.categories
        if not (categories.dtype == object or isinstance(categories.dtype, pd.StringDtype)):
            return s
        renamed = [safe_text(c) for c in categories]  # categories are few: a loop is fine
        if renamed == list(categories):
            return s
        if len(set(renamed)) == len(renamed):
            return s.cat.rename_categories(renamed)
        # "=x" and "'=x" are both categories: prefixing would merge them, so fall back to objects.
        s = s.astype(object)
    elif not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return s  # numbers, booleans, dates: not text

    s = _clean_series(s)
    try:
        mask = s.str.startswith(DANGEROUS_PREFIXES, na=False)
    except AttributeError:  # an object column holding no strings at all
        return s
    mask = mask.to_numpy(dtype=bool, na_value=False)
    if not mask.any():
        return s
    values = _prefix_where(s.to_numpy(dtype=object), mask)
    return pd.Series(values, index=s.index, name=s.name, dtype=s.dtype)


def _safe_columns(columns: pd.Index) -> pd.Index:
    if isinstance(columns, pd.MultiIndex):
        tuples = [tuple(safe_text(part) for part in t) for t in columns]
        if tuples == list(columns):
            return columns
        return pd.MultiIndex.from_tuples(tuples, names=columns.names)
    labels = [safe_text(c) for c in columns]
    if labels == list(columns):
        return columns
    return pd.Index(labels, name=columns.name)


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` whose text cells and column names went through :func:`safe_text`
    (control characters replaced, formula starts prefixed).

    Text columns (``object``, ``str``/``string`` and categorical columns with text categories) are
    processed with vectorised string methods, so tables of a million rows are fast. Numeric,
    boolean and date columns are untouched (numbers stay numbers). The index is left as is (the
    writers do not write it). ``df`` itself is never modified.
    """
    out = df.copy()
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        safe = _safe_series(column)
        if safe is not column:
            out.isetitem(position, safe)
    out.columns = _safe_columns(df.columns)
    return out


def clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the control characters of its text cells and column names replaced
    (:func:`clean_text`; no formula prefix: for tables that are rendered again, e.g. a run bundle).
    Returns ``df`` itself when it holds none, else a copy; ``df`` is never modified."""
    out = None
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        cleaned = column
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories
            if categories.dtype == object or isinstance(categories.dtype, pd.StringDtype):
                renamed = [clean_text(c) for c in categories]
                if renamed != list(categories):
                    cleaned = (column.cat.rename_categories(renamed) if len(set(renamed)) == len(renamed)
                               else _clean_series(column.astype(object)))
        elif column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            cleaned = _clean_series(column)
        if cleaned is not column:
            if out is None:
                out = df.copy()
            out.isetitem(position, cleaned)
    columns = df.columns
    if isinstance(columns, pd.MultiIndex):
        tuples = [tuple(clean_text(part) for part in t) for t in columns]
        new_columns = columns if tuples == list(columns) else pd.MultiIndex.from_tuples(tuples, names=columns.names)
    else:
        labels = [clean_text(c) for c in columns]
        new_columns = columns if labels == list(columns) else pd.Index(labels, name=columns.name)
    if new_columns is not columns:
        if out is None:
            out = df.copy()
        out.columns = new_columns
    return df if out is None else out
