"""The width of text in a terminal, for tables that line up with Chinese, Japanese and Korean text.

A terminal shows East Asian wide and fullwidth characters (``W``/``F`` in Unicode's
East_Asian_Width property: 汉字, ，、：（）, fullwidth digits) in two columns, combining marks in
none, and everything else in one. ``len()`` counts characters, so a column of Chinese labels
padded with ``str.ljust`` comes out ragged; :func:`pad` pads to a display width instead.

Reference: Unicode Standard Annex #11, *East Asian Width*; the same rule as POSIX ``wcwidth()``
for these classes (ambiguous-width characters count as one column, as in non-CJK locales).
"""

from __future__ import annotations

import unicodedata

__all__ = ["display_width", "pad"]


def display_width(text: object) -> int:
    """Columns ``str(text)`` takes in a terminal: 2 per wide/fullwidth character, 0 per combining mark, else 1."""
    width = 0
    for ch in str(text):
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: object, width: int, align: str = "left") -> str:
    """``str(text)`` padded with spaces to ``width`` display columns (``align``: ``"left"`` or ``"right"``)."""
    s = str(text)
    fill = " " * max(0, width - display_width(s))
    return s + fill if align == "left" else fill + s
