"""Terminal tables line up with Chinese text: widths in display columns (UAX #11), not characters (issue 16)."""

from __future__ import annotations

import pandas as pd

from csi_survey.display import display_width, pad
from csi_survey.exceptions import DataValidationError
from csi_survey.results import Summary


def test_wide_characters_take_two_columns_and_combining_marks_none():
    assert display_width("abc") == 3
    assert display_width("满意度") == 6
    assert display_width("顾客满意度（SAT）") == 10 + 4 + 3
    assert display_width("８") == 2  # fullwidth digit
    assert display_width("é") == 1 and display_width("e\u0301") == 1  # precomposed and combining accent
    assert pad("满意", 6) == "满意  " and pad("满意", 6, "right") == "  满意"
    assert pad("toolong", 3) == "toolong"


def _columns_of(line: str, text: str) -> int:
    """The display column where ``text`` starts in ``line``."""
    return display_width(line[: line.index(text)])


def test_an_error_table_with_chinese_cells_lines_up():
    table = pd.DataFrame({"列": ["满意度题目一", "a"], "problem": ["不是数字", "not a number"]})
    text = str(DataValidationError("bad cells", table))
    lines = [line for line in text.splitlines() if line.startswith("  ")]
    assert len(lines) == 3
    assert len({_columns_of(line, word) for line, word in zip(lines, ["problem", "不是数字", "not a number"])}) == 1


def test_a_summary_with_chinese_labels_lines_up():
    table = pd.DataFrame({"construct": ["顾客满意度", "PV"], "index": [78.123, 70.5]})
    text = str(Summary("满意度指数", {"样本量": 300, "n": 1}, {"指数": table}))
    lines = text.splitlines()
    assert lines[1] == "=" * 10  # as wide as the title
    info = [line for line in lines if line.startswith(("样本量", "n "))]
    assert len({_columns_of(line, value) for line, value in zip(info, ["300", "1"])}) == 1
    rows = [line for line in lines if "78.123" in line or "70.500" in line]
    assert len({display_width(line[: line.index(".") + 4]) for line in rows}) == 1  # the numbers end in one column
