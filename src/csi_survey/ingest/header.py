"""Where the header row is: the ``header_row`` option and the detection of a title above the header.

Exports are meant to start with the header row (row 1; leading empty rows are skipped). Some
files have a title or a note above it ("Customer survey, exported 2026-05-01"). Such a file gives
a confusing error (a field-count error, or "15 columns missing"), so the reader looks for the
header when the questionnaire's columns are not in the first row:

* ``header_row=N`` (``--header-row N``, 1-based, the row number as the user sees it in Excel or a
  text editor): the header is row N; the rows above it are ignored, the data start on row N + 1,
  and the row numbers in every message stay the file's.
* Without it, :func:`find_header_row` scores each of the first :data:`SCAN_ROWS` rows by the
  number of its cells that name an expected column (the questionnaire's item ids and id column;
  exact text, else trimmed and case-insensitive). A later row is reported as "the header seems to be
  on row N" only when the answer is unambiguous: it holds more expected names than the first row,
  at least half of them (and at least one), and no other scanned row holds as many. The file is
  then refused with the fix (``--header-row N``) rather than read from that row silently: the rows
  above could be anything.
* A field-count error in a CSV whose first line has one field and whose following lines all have
  more (a title line) names the first line of the table the same way, even without a questionnaire.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..exceptions import InputFileError, SettingsError

__all__ = ["SCAN_ROWS", "check_header_row", "find_header_row", "score_rows", "header_hint", "misplaced_header"]

#: Rows examined when looking for the header.
SCAN_ROWS = 30


def check_header_row(header_row: object) -> int | None:
    """``header_row`` as an int ≥ 1, or None; :class:`SettingsError` otherwise."""
    if header_row is None:
        return None
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise SettingsError(
            f"header_row must be a row number from 1 (the row of the column names, as Excel numbers it); "
            f"got {header_row!r}",
            hint="pass the 1-based row that holds the column names, e.g. header_row=2 (--header-row 2), or leave it out.",
        )
    return int(header_row)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        if v.is_integer():
            return str(int(v))
    return str(v).strip().lstrip("\ufeff").strip()


def score_rows(rows: Sequence[Sequence[object]], expected: Sequence[str]) -> list[int]:
    """Per row: how many distinct expected names it holds (exact, else trimmed case-insensitive)."""
    exact = {str(e) for e in expected}
    folded = {str(e).strip().casefold() for e in expected}
    scores = []
    for row in rows[:SCAN_ROWS]:
        cells = {_cell(v) for v in row}
        cells.discard("")
        hit_exact = exact & cells
        rest = {c.casefold() for c in cells if c not in hit_exact}
        loose = {e for e in folded if e in rest} - {h.strip().casefold() for h in hit_exact}
        scores.append(len(hit_exact) + len(loose))
    return scores


def find_header_row(rows: Sequence[Sequence[object]], expected: Sequence[str]) -> int | None:
    """0-based index of the row that is unambiguously the header (see the module docstring), if it
    is not row 0; None when row 0 is as good as any or the evidence is not clear."""
    expected = list(dict.fromkeys(str(e) for e in expected))
    if not expected or not rows:
        return None
    scores = score_rows(rows, expected)
    best = max(scores)
    if best <= scores[0] or best < max(1, (len(expected) + 1) // 2):
        return None
    at = [k for k, s in enumerate(scores) if s == best]
    return at[0] if len(at) == 1 else None


def title_line(field_counts: Sequence[int]) -> int | None:
    """0-based index of the first line of the table when the lines before it have one field and the
    lines from it on have more, all the same count; None otherwise."""
    counts = [c for c in field_counts[:SCAN_ROWS] if c > 0]
    if len(counts) < 2 or counts[0] != 1:
        return None
    k = 0
    while k < len(counts) and counts[k] == 1:
        k += 1
    rest = counts[k:]
    if not rest or len(set(rest)) != 1:
        return None
    return k


def header_hint(row_number: int) -> str:
    """The fix when the header seems to be on ``row_number`` (a hint, with its final full stop)."""
    return f"pass --header-row {row_number} (header_row={row_number}), or delete the rows above the header."


def misplaced_header(where: str, row_number: int, current: int, found: int, wanted: int, names: Sequence[str]) -> InputFileError:
    """The refusal when the questionnaire's columns are on a later row than the header used."""
    shown = ", ".join(repr(n) for n in list(names)[:5]) + (", …" if len(names) > 5 else "")
    return InputFileError(
        f"The columns of the questionnaire are not in the header row of {where} (row {current}): the header seems to "
        f"be on row {row_number}, which holds {found} of the {wanted} expected column names ({shown})",
        hint=header_hint(row_number),
    )
