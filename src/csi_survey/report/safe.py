"""Protection against formula injection ("CSV injection") in written reports.

Survey exports contain free text typed by respondents and labels typed by analysts. A spreadsheet
program treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a formula, so a label
such as ``=HYPERLINK("http://evil.example", "click")`` would run when a manager opens the report.
Following the OWASP guidance on CSV injection, such text is prefixed with a single quote ``'``
(also text starting with a tab or a carriage return, which some programs strip before parsing).

Only *text* is changed: numbers are stored as numbers and never prefixed. Text that merely looks
like a negative number (``"-3.5"``) is still text and is prefixed too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["safe_text", "safe_frame", "DANGEROUS_PREFIXES"]

#: First characters that make a spreadsheet program interpret a cell as a formula.
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


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
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _prefix_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Prefix ``values[mask]`` (strings) with ``'`` in a copy of the object array ``values``."""
    out = np.array(values, dtype=object, copy=True)
    out[mask] = "'" + out[mask]
    return out


def _safe_series(s: pd.Series) -> pd.Series:
    """The column with its dangerous strings prefixed (the same object if nothing changes)."""
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
    """Return a copy of ``df`` whose text cells and column names went through :func:`safe_text`.

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
