"""Turn a raw responses table into clean item scores for the engines.

:func:`prepare` matches the questionnaire's items to the columns, converts the cells to numbers,
turns missing codes into missing values, checks the scales, reverse-codes items, drops the
respondents that cannot be used (saying why, row by row) and treats the remaining missing answers
(item-mean replacement or listwise deletion). Everything is vectorised per column, so a table of a
million respondents is prepared in about a second.

The result, :class:`SurveyData`, keeps the accounting: ``n_used + n_excluded == n_read``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import DataValidationError, InputFileError, check_choice
from ..schema import Questionnaire
from .readers import RawTable, _location, read_table

__all__ = ["SurveyData", "prepare", "read_responses", "EXCLUDED_COLUMNS"]

#: Columns of :attr:`SurveyData.excluded`.
EXCLUDED_COLUMNS = ("row", "respondent_id", "reason")
_MAX_REASONS_IN_MESSAGE = 5


@dataclass(frozen=True, eq=False)
class SurveyData:
    """Clean survey data, ready for estimation.

    Attributes
    ----------
    questionnaire:
        The spec the data were prepared for.
    items:
        float64, columns = ``questionnaire.item_ids`` in that order, one row per used respondent;
        values on each item's own scale after missing codes → NaN, reverse coding and the missing
        value treatment (no NaN left). RangeIndex.
    respondent_id:
        Per used respondent: the ``id_column`` value as text when the spec declares one, else the
        sheet row number.
    row:
        Per used respondent: the row number in the sheet/file (header = row 1).
    other:
        The non-item columns of the used rows (id column included), same order, RangeIndex.
    excluded:
        One row per respondent left out: ``row`` (int), ``respondent_id`` (str), ``reason`` (str).
    missing:
        Per item: ``item``, ``construct``, ``n_missing`` (missing answers, missing codes included,
        among the respondents that reached the missing-value step, i.e. before the treatment),
        ``n_replaced`` (answers replaced by the item mean; 0 for listwise).
    n_read:
        Data rows read (header and trailing empty rows not counted).
    """

    questionnaire: Questionnaire
    items: pd.DataFrame
    respondent_id: pd.Series
    row: np.ndarray
    other: pd.DataFrame
    excluded: pd.DataFrame
    missing: pd.DataFrame
    n_read: int
    source: str
    sheet: str | None
    missing_method: str
    imputed: np.ndarray | None = None  # n_used × p, True where a missing answer was replaced
    weight: np.ndarray | None = None   # n_used survey weights (mean 1), None when unweighted
    flags: pd.DataFrame | None = None  # row, respondent_id, flag, detail, action: data-quality flags raised

    @property
    def answers(self) -> pd.DataFrame:
        """The answers as given, for the used respondents: NaN where missing (before the item-mean
        replacement) and reverse-coded items on their original coding (before min + max − x)."""
        values = self.items.to_numpy(copy=True)
        if self.imputed is not None:
            values[self.imputed] = np.nan
        q = self.questionnaire
        for j, item in enumerate(q.item_ids):
            if q.items[item].reverse:
                scale = q.item_scale(item)
                values[:, j] = (scale.min + scale.max) - values[:, j]
        return pd.DataFrame(values, columns=list(q.item_ids))

    @property
    def n_used(self) -> int:
        return int(len(self.items))

    @property
    def n_excluded(self) -> int:
        return int(len(self.excluded))

    @property
    def location(self) -> str:
        return _location(self.source, self.sheet)

    def __repr__(self) -> str:
        return (
            f"SurveyData({self.location}: {self.n_read} rows read, {self.n_used} used, "
            f"{self.n_excluded} excluded; {len(self.questionnaire.item_ids)} items; missing={self.missing_method!r})"
        )


# ====================================================================== public functions
def read_responses(
    path: str | Path,
    questionnaire: Questionnaire,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    on_invalid: str = "error",
    missing: str = "mean",
) -> SurveyData:
    """Read a responses file (:func:`~csi_survey.ingest.readers.read_table`) and :func:`prepare` it."""
    check_choice("on_invalid", on_invalid, ["error", "exclude"])
    check_choice("missing", missing, ["mean", "listwise"])
    raw = read_table(path, sheet=sheet, encoding=encoding)
    return prepare(raw, questionnaire, on_invalid=on_invalid, missing=missing)


def prepare(
    raw: RawTable | pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    on_invalid: str = "error",
    missing: str = "mean",
) -> SurveyData:
    """Check and clean the responses for ``questionnaire``.

    Parameters
    ----------
    raw:
        A :class:`RawTable`, or a DataFrame (its rows are numbered 2, 3, … as in a sheet).
    on_invalid:
        ``"error"`` (default): any non-numeric or out-of-scale answer raises one
        :class:`~csi_survey.exceptions.DataValidationError` listing every such cell.
        ``"exclude"``: respondents with such an answer are left out (listed in ``excluded``).
    missing:
        ``"mean"`` (default): replace each missing answer by the item's mean over the used
        respondents. ``"listwise"``: leave out every respondent with a missing answer.

    Rules, in order: all-empty rows are excluded; each item cell is empty/missing code → missing,
    else a number within the item's scale, else invalid; reverse-coded items are flipped
    (``min + max − x``); respondents without a valid answer for some construct are excluded; then
    the missing-value treatment. A row excluded for one reason is not examined for later ones.
    """
    check_choice("on_invalid", on_invalid, ["error", "exclude"])
    check_choice("missing", missing, ["mean", "listwise"])
    q = questionnaire

    if isinstance(raw, RawTable):
        frame = raw.frame.reset_index(drop=True)
        row_numbers = np.asarray(raw.row_numbers, dtype=np.int64)
        source, sheet = raw.source, raw.sheet
    elif isinstance(raw, pd.DataFrame):
        frame = raw.reset_index(drop=True)
        row_numbers = np.arange(2, len(frame) + 2, dtype=np.int64)
        source, sheet = "<DataFrame>", None
        _check_unique_columns(frame, source)
    else:
        raise TypeError(f"prepare() needs a RawTable or a pandas DataFrame, got {type(raw).__name__}")
    if len(row_numbers) != len(frame):
        raise ValueError("RawTable.row_numbers must have one entry per frame row")
    where = _location(source, sheet)
    n = len(frame)

    # ---- 2. columns
    item_cols, id_col = _match_columns(frame, q, where)
    if n == 0:
        raise InputFileError(
            f"{where} has a header but no data rows",
            hint="check that you exported the responses (and chose the right sheet with --sheet).",
        )
    item_ids = q.item_ids
    p = len(item_ids)
    ids = _Ids(frame, id_col, row_numbers)

    # ---- 4. cells → numbers, vectorised per column (done first: rule 3 needs the blank item cells)
    values = np.empty((n, p), dtype=np.float64)
    missing_cell = np.zeros((n, p), dtype=bool)  # empty or missing code
    blank_items = np.ones(n, dtype=bool)  # every item cell empty (for the empty-row test)
    invalid_parts: list[pd.DataFrame] = []
    for j, item in enumerate(item_ids):
        col = item_cols[item]
        s = frame[col]
        scale = q.item_scale(item)
        cell = _parse_column(s, q.item_missing_codes(item), scale)
        blank_items &= cell.blank
        missing_cell[:, j] = cell.blank | cell.code
        if cell.bad.any():
            invalid_parts.append(_invalid_cells(s, cell, col, j, scale))
        values[:, j] = cell.values

    # ---- 3. all-empty rows (every cell of the row, not only the items)
    empty_row = blank_items.copy()
    cand = np.flatnonzero(empty_row)
    if cand.size:
        other_names = [c for c in frame.columns if c not in set(item_cols.values())]
        for c in other_names:
            if cand.size == 0:
                break
            sub_blank = _blank_mask(frame[c].iloc[cand])
            empty_row[cand[~sub_blank]] = False
            cand = cand[sub_blank]

    excluded = np.zeros(n, dtype=bool)
    groups: list[tuple[np.ndarray, list[str], list[str]]] = []  # (positions, reasons, summary categories)

    def exclude(pos: np.ndarray, reasons: list[str], categories: list[str]) -> None:
        excluded[pos] = True
        groups.append((pos, reasons, categories))

    pos = np.flatnonzero(empty_row)
    if pos.size:
        exclude(pos, ["empty row"] * pos.size, ["empty row"] * pos.size)

    # ---- 5. invalid cells
    if invalid_parts:
        bad = pd.concat(invalid_parts, ignore_index=True)
        bad = bad[~excluded[bad["pos"].to_numpy()]]
        bad = bad.sort_values(["pos", "j"], kind="stable").reset_index(drop=True)
    else:
        bad = None
    if bad is not None and len(bad):
        bpos = bad["pos"].to_numpy()
        if on_invalid == "error":
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
            raise DataValidationError(
                f"Invalid answers in {where}: {len(table)} cell(s) of {n_resp} respondent(s) are not numbers "
                f"or are outside the item's scale",
                table,
                hint="correct these cells in the file, declare codes such as 'don't know' as missing_codes in the "
                "questionnaire, or run with --on-invalid exclude (on_invalid='exclude') to leave these respondents out.",
            )
        joined = bad.groupby("pos", sort=True)["piece"].agg("; ".join)
        pos = joined.index.to_numpy(dtype=np.int64)
        exclude(pos, ["invalid value " + r for r in joined.tolist()], ["invalid value(s)"] * pos.size)

    # ---- 6. reverse coding
    for j, item in enumerate(item_ids):
        if q.items[item].reverse:
            scale = q.item_scale(item)
            assert scale is not None  # guaranteed by the spec validation
            values[:, j] = (scale.min + scale.max) - values[:, j]

    # ---- 7. respondents without any valid answer for a construct
    answered = ~np.isnan(values)
    lacking_cols = []
    for cid in q.construct_ids:
        js = [item_ids.index(i) for i in q.constructs[cid].item_ids]
        lacking_cols.append(~answered[:, js].any(axis=1))
    lacking = np.column_stack(lacking_cols) & ~excluded[:, None]
    pos = np.flatnonzero(lacking.any(axis=1))
    if pos.size:
        names = [f"{cid} ({q.label(cid)})" if q.label(cid) != cid else cid for cid in q.construct_ids]
        reasons = _pattern_texts(
            lacking[pos],
            lambda mask: (
                "no valid answer for construct" + ("s " if mask.sum() > 1 else " ")
                + ", ".join(nm for nm, m in zip(names, mask) if m)
            ),
        )
        exclude(pos, reasons, reasons)

    # ---- 8. missing answers
    remaining = np.flatnonzero(~excluded)
    n_missing = missing_cell[remaining].sum(axis=0) if remaining.size else np.zeros(p, dtype=np.int64)
    n_replaced = np.zeros(p, dtype=np.int64)
    if missing == "listwise" and remaining.size:
        holes = np.isnan(values[remaining])
        has_hole = holes.any(axis=1)
        pos = remaining[has_hole]
        if pos.size:
            cols = [item_cols[i] for i in item_ids]
            reasons = _pattern_texts(
                holes[has_hole],
                lambda mask: "missing answer in listwise mode: " + ", ".join(c for c, m in zip(cols, mask) if m),
            )
            exclude(pos, reasons, ["missing answer in listwise mode"] * pos.size)
            remaining = np.flatnonzero(~excluded)

    # ---- 9. nobody left
    excl_table, categories = _excluded_table(groups, row_numbers, ids)
    if remaining.size == 0:
        counts = pd.Series(categories, dtype=object).value_counts()
        top = "; ".join(f"{reason} ({k} row{'s' if k != 1 else ''})" for reason, k in counts.head(_MAX_REASONS_IN_MESSAGE).items())
        more = f"; and {len(counts) - _MAX_REASONS_IN_MESSAGE} other reason(s)" if len(counts) > _MAX_REASONS_IN_MESSAGE else ""
        hint = "check that the questionnaire matches the file (item columns, scale, missing codes) and that the right sheet is read."
        if missing == "listwise":
            hint += " With many missing answers use missing='mean' (--missing mean) instead of listwise deletion."
        raise InputFileError(
            f"Every row of {where} was excluded ({n} data row(s) read, none usable). Reasons: {top}{more}",
            hint=hint,
        )

    items = values[remaining] if remaining.size != n else values
    imputed = None
    if missing == "mean":
        holes = np.isnan(items)
        if holes.any():
            imputed = holes
            n_replaced = holes.sum(axis=0).astype(np.int64)
            means = _col_nanmean(items, holes)
            empty_items = [item_ids[j] for j in range(p) if n_replaced[j] == len(items)]
            if empty_items:
                listed = ", ".join(f"{item_cols[i]!r} ({q.construct_of[i]})" for i in empty_items)
                raise InputFileError(
                    f"No usable respondent of {where} answered item(s) {listed}, so their missing answers cannot be "
                    f"replaced by the item mean",
                    hint="check these columns (are all answers missing codes?), or remove the items from the questionnaire.",
                )
            np.copyto(items, np.broadcast_to(means, items.shape), where=holes)  # items is our own array

    missing_table = pd.DataFrame(
        {
            "item": item_ids,
            "construct": [q.construct_of[i] for i in item_ids],
            "n_missing": np.asarray(n_missing, dtype=np.int64),
            "n_replaced": n_replaced,
        }
    )
    used_frame = frame if remaining.size == n else frame.iloc[remaining]
    other_cols = [c for c in frame.columns if c not in set(item_cols.values())]
    other = used_frame[other_cols].reset_index(drop=True)
    return SurveyData(
        questionnaire=q,
        items=pd.DataFrame(items, columns=list(item_ids)),
        respondent_id=ids.series(remaining),
        row=row_numbers[remaining],
        other=other,
        excluded=excl_table,
        missing=missing_table,
        n_read=n,
        source=source,
        sheet=sheet,
        missing_method=missing,
        imputed=imputed,
    )


# ====================================================================== columns
def _check_unique_columns(frame: pd.DataFrame, where: str) -> None:
    names = [str(c).strip() for c in frame.columns]
    seen: dict[str, list[int]] = {}
    for k, nm in enumerate(names):
        seen.setdefault(nm, []).append(k)
    dups = {nm: ks for nm, ks in seen.items() if len(ks) > 1}
    if dups:
        parts = ", ".join(f"{nm!r} (positions {', '.join(str(k + 1) for k in ks)})" for nm, ks in dups.items())
        raise InputFileError(
            f"The columns of {where} have duplicate names: {parts}",
            hint="rename the columns so that every column name is unique.",
        )


def _match_columns(frame: pd.DataFrame, q: Questionnaire, where: str) -> tuple[dict[str, object], object | None]:
    """Item id → column label (and the id column), exact match first, then case/space-insensitive."""
    columns = list(frame.columns)
    text = [str(c) for c in columns]
    exact = {t: c for t, c in zip(text, columns)}
    wanted: list[tuple[str, str]] = [(i, f"item of {q.construct_of[i]}") for i in q.item_ids]
    if q.id_column is not None:
        wanted.append((q.id_column, "id_column"))
    found: dict[str, object] = {}
    used: set[int] = set()
    for name, _ in wanted:
        if name in exact:
            found[name] = exact[name]
            used.add(text.index(name))
    problems = []
    for name, role in wanted:
        if name in found:
            continue
        key = name.strip().casefold()
        cands = [k for k, t in enumerate(text) if k not in used and t.strip().casefold() == key]
        if len(cands) == 1:
            found[name] = columns[cands[0]]
            used.add(cands[0])
            continue
        if len(cands) > 1:
            problems.append(
                f"column {name!r} ({role}) is ambiguous in {where}: "
                + ", ".join(repr(text[k]) for k in cands) + " differ only by case or spaces"
            )
            continue
        folded = {t.strip().casefold(): t for t in text}
        close = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)
        closest = "; closest: " + ", ".join(repr(folded[c]) for c in close) if close else "; no similar column"
        problems.append(f"column {name!r} ({role}) not found in {where}{closest}")
    if problems:
        head = problems[0] if len(problems) == 1 else (
            f"{len(problems)} columns of the questionnaire are missing from {where}:\n  " + "\n  ".join(problems)
        )
        shown = ", ".join(repr(t) for t in text[:40]) + (f", … ({len(text)} columns)" if len(text) > 40 else "")
        raise InputFileError(
            head,
            hint=f"rename the columns in the file or the item ids in the questionnaire so that they match "
            f"(check the sheet too). Columns found: {shown}",
        )
    id_col = found.pop(q.id_column) if q.id_column is not None else None
    return found, id_col


# ====================================================================== cells
@dataclass
class _Cells:
    values: np.ndarray  # valid numbers, NaN elsewhere
    blank: np.ndarray  # empty cell
    code: np.ndarray  # missing code (not blank)
    not_number: np.ndarray
    out_of_range: np.ndarray
    num: np.ndarray  # parsed numbers (NaN when not a number)

    @property
    def bad(self) -> np.ndarray:
        return self.not_number | self.out_of_range


def _blank_mask(s: pd.Series) -> np.ndarray:
    """Empty cells: NaN/None or whitespace-only text."""
    blank = s.isna().to_numpy()
    if not (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        return blank
    try:
        stripped = s.str.strip()
    except AttributeError:  # object column without any text
        return blank
    return blank | stripped.eq("").to_numpy(dtype=bool, na_value=False)


def _split_codes(codes: Sequence[float | str]) -> tuple[np.ndarray, list[str]]:
    numeric: list[float] = []
    text: list[str] = []
    for c in codes:
        if isinstance(c, str):
            text.append(c.strip())
            try:
                numeric.append(float(c))
            except ValueError:
                pass
        else:
            numeric.append(float(c))
    return np.asarray(numeric, dtype=np.float64), text


def _parse_column(s: pd.Series, codes: Sequence[float | str], scale) -> _Cells:
    n = len(s)
    num_codes, str_codes = _split_codes(codes)
    stripped: pd.Series | None = None
    dtype = s.dtype
    if ptypes.is_bool_dtype(dtype):
        blank = s.isna().to_numpy()
        num = np.full(n, np.nan)
    elif ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        blank = s.isna().to_numpy()
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(dtype, pd.DatetimeTZDtype) or ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        blank = s.isna().to_numpy()
        num = np.full(n, np.nan)
    else:
        arr = s.to_numpy(dtype=object)
        try:
            num = arr.astype(np.float64)  # fast path: every cell is a number, numeric text or empty
            blank = s.isna().to_numpy()
        except (ValueError, TypeError):
            num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            blank = _blank_mask(s)
            try:
                stripped = s.str.strip()
            except AttributeError:
                stripped = None
    num = np.where(blank, np.nan, num)
    code = np.zeros(n, dtype=bool)
    if num_codes.size:
        code |= np.isin(num, num_codes)
    if str_codes and stripped is not None:
        code |= stripped.isin(str_codes).to_numpy(dtype=bool, na_value=False)
    code &= ~blank
    finite = np.isfinite(num)
    considered = ~blank & ~code
    not_number = considered & ~finite
    valid = considered & finite
    if scale is not None:
        out_of_range = valid & ((num < scale.min) | (num > scale.max))
    else:
        out_of_range = np.zeros(n, dtype=bool)
    values = np.where(valid & ~out_of_range, num, np.nan)
    return _Cells(values=values, blank=blank, code=code, not_number=not_number, out_of_range=out_of_range, num=num)


def _fmt_number(x: float) -> str:
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _fmt_scale(scale) -> str:
    return f"{_fmt_number(scale.min)}–{_fmt_number(scale.max)}"


def _cell_text(v: object) -> str:
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
        return "" if np.isnan(v) else _fmt_number(v)
    return str(v)


def _invalid_cells(s: pd.Series, cell: _Cells, column: object, j: int, scale) -> pd.DataFrame:
    pos = np.flatnonzero(cell.bad)
    raw = s.iloc[pos].tolist()
    texts = [_cell_text(v) for v in raw]
    nn = cell.not_number[pos]
    range_text = f"out of range {_fmt_scale(scale)}" if scale is not None else ""
    col = str(column)
    problems = np.where(nn, "not a number", range_text)
    pieces = [
        f"{t!r} in {col} (not a number)" if bad_num else f"{t.strip()} in {col} ({range_text})"
        for t, bad_num in zip(texts, nn)
    ]
    return pd.DataFrame(
        {
            "pos": pos.astype(np.int64),
            "j": np.full(pos.size, j, dtype=np.int64),
            "column": pd.Series([col] * pos.size, dtype=object),
            "value": pd.Series(texts, dtype=object),
            "problem": pd.Series(problems, dtype=object),
            "piece": pd.Series(pieces, dtype=object),
        }
    )


def _col_nanmean(values: np.ndarray, holes: np.ndarray) -> np.ndarray:
    counts = len(values) - holes.sum(axis=0)
    sums = np.nansum(values, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


# ====================================================================== respondents
class _Ids:
    """Respondent ids as text: the id column's value, else the sheet row number."""

    def __init__(self, frame: pd.DataFrame, id_col: object | None, row_numbers: np.ndarray):
        self.column = frame[id_col] if id_col is not None else None
        self.row_numbers = row_numbers

    def strings(self, pos: np.ndarray) -> np.ndarray:
        if self.column is None:
            return self.row_numbers[pos].astype(str).astype(object)
        return np.asarray(_id_texts(self.column.iloc[pos]), dtype=object)

    def series(self, pos: np.ndarray) -> pd.Series:
        if self.column is None:
            return pd.Series(self.row_numbers[pos], name="respondent_id")
        sub = self.column if len(pos) == len(self.column) else self.column.iloc[pos]
        return pd.Series(_id_texts(sub), name="respondent_id", dtype=str)


def _id_texts(s: pd.Series) -> list[str] | np.ndarray:
    if ptypes.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.astype(np.int64).astype(str).to_numpy(dtype=object)
    return [_cell_text(v).strip() for v in s.tolist()]


def _pattern_texts(masks: np.ndarray, describe) -> list[str]:
    """One text per row of a boolean matrix, computed once per distinct pattern."""
    if masks.shape[0] == 0:
        return []
    packed = np.packbits(masks, axis=1)  # one row of bytes per pattern
    if packed.shape[1] <= 8:
        keys = np.zeros(len(packed), dtype=np.uint64)
        for k in range(packed.shape[1]):
            keys = (keys << np.uint64(8)) | packed[:, k].astype(np.uint64)
    else:
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = [describe(masks[i]) for i in first]
    return [texts[k] for k in np.asarray(inverse).ravel()]


def _excluded_table(groups, row_numbers: np.ndarray, ids: _Ids) -> tuple[pd.DataFrame, list[str]]:
    if not groups:
        empty = pd.DataFrame(
            {
                "row": pd.Series(dtype=np.int64),
                "respondent_id": pd.Series(dtype=str),
                "reason": pd.Series(dtype=str),
            }
        )
        return empty, []
    pos = np.concatenate([g[0] for g in groups])
    reasons = [r for g in groups for r in g[1]]
    categories = [c for g in groups for c in g[2]]
    order = np.argsort(pos, kind="stable")
    pos = pos[order]
    table = pd.DataFrame(
        {
            "row": row_numbers[pos].astype(np.int64),
            "respondent_id": pd.Series(ids.strings(pos), dtype=str),
            "reason": pd.Series([reasons[k] for k in order], dtype=str),
        }
    )
    return table, categories
