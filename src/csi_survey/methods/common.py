"""What the method modules share: reading their input tables the same way.

The KANO, sampling and retention functions (and the scorecard and AHP ones for the blank-cell
test) take a table of the user's file and report problems by sheet row and column. This module
holds the pieces they have in common:

- :class:`TableInput` / :func:`table_input` — a :class:`~csi_survey.ingest.RawTable` or a
  DataFrame as its frame, the sheet row number of every frame row (header = row 1) and its
  location for messages;
- :func:`find_columns` — the frame columns of the wanted names (exact, else ignoring case and
  surrounding spaces), every missing one reported at once with the closest names;
- :func:`is_blank` — the empty-cell test (None, NaN/NaT, or text of spaces only);
- :func:`key_text` — a cell as text for keys and messages (whole floats without ``.0``, text
  stripped);
- :func:`row_ids` — per row the id of an id column as text, else the sheet row number.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputFileError
from ..ingest.readers import RawTable

__all__ = ["TableInput", "table_input", "find_columns", "is_blank", "key_text", "row_ids"]


@dataclass(frozen=True)
class TableInput:
    """A method's input table: the frame, the sheet row numbers of its rows (header = row 1) and
    its location for messages ("file.xlsx, sheet 'X'" or ``"<DataFrame>"``)."""

    frame: pd.DataFrame
    rows: np.ndarray  # sheet row numbers (header = row 1)
    where: str


def table_input(table: RawTable | pd.DataFrame, what: str) -> TableInput:
    """A RawTable or DataFrame as (frame, sheet row numbers, location for messages).

    A DataFrame's rows are numbered 2, 3, … as in a sheet. ``what`` names the caller in the
    TypeError raised for anything else.
    """
    if isinstance(table, RawTable):
        frame = table.frame.reset_index(drop=True)
        rows = np.asarray(table.row_numbers, dtype=np.int64)
        if len(rows) != len(frame):
            raise ValueError("RawTable.row_numbers must have one entry per frame row")
        return TableInput(frame, rows, table.location)
    if isinstance(table, pd.DataFrame):
        return TableInput(table.reset_index(drop=True), np.arange(2, len(table) + 2, dtype=np.int64), "<DataFrame>")
    raise TypeError(f"{what} needs a RawTable (csi_survey.ingest.read_table) or a pandas DataFrame, got {type(table).__name__}")


def find_columns(inp: TableInput, wanted: Sequence[tuple[str, str]], fix: str) -> dict[str, Any]:
    """Wanted column name → frame column label (exact match, else case/space-insensitive).

    ``wanted`` holds ``(name, role)`` pairs; every missing column is reported in one
    :class:`InputFileError`, with the closest names found and ``fix`` as the hint.
    """
    columns = list(inp.frame.columns)
    text = [str(c) for c in columns]
    folded = {t.strip().casefold(): c for t, c in zip(text, columns)}
    found: dict[str, Any] = {}
    problems: list[str] = []
    for name, role in dict.fromkeys(wanted):
        if name in found:
            continue
        if name in text:
            found[name] = columns[text.index(name)]
            continue
        key = str(name).strip().casefold()
        if key in folded:
            found[name] = folded[key]
            continue
        close = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)
        hint = "; closest: " + ", ".join(repr(str(folded[c])) for c in close) if close else "; no similar column"
        problems.append(f"column {name!r} ({role}) not found{hint}")
    if problems:
        head = (problems[0] + f" in {inp.where}") if len(problems) == 1 else (
            f"{len(problems)} columns are missing from {inp.where}:\n  " + "\n  ".join(problems)
        )
        shown = ", ".join(repr(t) for t in text[:40]) + (f", … ({len(text)} columns)" if len(text) > 40 else "")
        raise InputFileError(head, hint=f"{fix} Columns found: {shown}")
    return found


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, NaN/NaT/NA, or text of spaces only."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def key_text(value: Any) -> str:
    """A cell as text for keys and messages: whole floats without ``.0``, text stripped.

    Unlike :func:`csi_survey.ingest.columns.cell_text` (the cell as shown in the file), booleans
    read ``True``/``False`` and an empty cell is not turned into ``""``; test :func:`is_blank` first.
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value).strip()


def row_ids(inp: TableInput, column: Any | None) -> np.ndarray:
    """Per row the respondent/customer id as text ('' for an empty cell), else the sheet row number."""
    if column is None:
        return inp.rows.astype(str).astype(object)
    return np.array(["" if is_blank(v) else key_text(v) for v in inp.frame[column]], dtype=object)
