"""The width of text in a terminal, for tables that line up with Chinese, Japanese and Korean text.

A terminal shows East Asian wide and fullwidth characters (``W``/``F`` in Unicode's
East_Asian_Width property: 汉字, ，、：（）, fullwidth digits) in two columns, combining marks in
none, and everything else in one. ``len()`` counts characters, so a column of Chinese labels
padded with ``str.ljust`` comes out ragged; :func:`pad` pads to a display width instead.

Reference: Unicode Standard Annex #11, *East Asian Width*; the same rule as POSIX ``wcwidth()``
for these classes (ambiguous-width characters count as one column, as in non-CJK locales).

Text from the input is shown only after :func:`clean_text`: control characters (an ESC sequence
would drive the user's terminal; a NUL or a bidi override would garble a file) become U+FFFD. The
rule is the one of every output file (:mod:`csi_survey.report.safe`), defined here, in the lowest
layer, so that the console uses it without loading the report writers.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["display_width", "pad", "clean_text", "has_control", "CONTROL_CHARACTERS", "REPLACEMENT"]

#: The characters :func:`clean_text` replaces (a regular-expression character class): C0 controls
#: but tab, line feed and carriage return; DEL and the C1 controls; the explicit bidi controls.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_CONTROL = re.compile(CONTROL_CHARACTERS)
#: What each of them becomes: U+FFFD REPLACEMENT CHARACTER.
REPLACEMENT = "\ufffd"


def has_control(text: str) -> bool:
    """True when ``text`` holds a character that :func:`clean_text` replaces."""
    return _CONTROL.search(text) is not None


def clean_text(value: Any) -> Any:
    r"""``value`` with its control characters replaced by U+FFFD; anything but a string is returned
    unchanged. Idempotent.

    >>> clean_text("Kite\x1b[2JLine")
    'Kite�[2JLine'
    >>> clean_text("two\r\nlines\tand a tab")
    'two\r\nlines\tand a tab'
    """
    if isinstance(value, str):
        return _CONTROL.sub(REPLACEMENT, value)
    return value


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
