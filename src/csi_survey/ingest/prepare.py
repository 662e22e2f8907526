"""Turn a raw responses table into clean item scores for the engines.

:func:`prepare` matches the questionnaire's items to the columns, converts the cells to numbers
(answer labels to their codes), turns missing codes into missing values, checks the scales, applies
the data-quality rules, reverse-codes items, drops the respondents that cannot be used (saying why,
row by row) and treats the remaining missing answers (item mean, model-based imputation or listwise
deletion). Everything is vectorised per column (text columns per distinct value), so a table of a
million respondents is prepared in about a second or two.

The steps, in order (a row excluded at one step is not examined by the later ones):

1. **Columns**: every item, the ``id_column`` and the speeders' duration column (when that rule is
   on) are matched to the table's columns, exactly or else ignoring case and surrounding spaces.
2. **Cells → numbers**, per item column:

   * an empty (or whitespace-only) cell is missing;
   * a *missing code* is missing: the spec's codes for the item (item, else construct, else spec)
     **plus** the codes the export declares, ``RawTable.missing_values[column]`` and
     ``RawTable.missing_values["*"]`` (every column; e.g. Qualtrics' ``-99``). Vendor entries may be
     numbers, text, or ``(lo, hi)`` pairs of numbers meaning the inclusive range ``lo ≤ x ≤ hi``
     (SPSS missing ranges; use ``-inf``/``inf`` for LOWEST/HIGHEST). Vendor codes are missing even
     when they lie on the item's scale;
   * a number, or text that reads as a number (spaces around it allowed), is that number;
   * other text of an item with an answer-label map (:meth:`Questionnaire.item_labels`: the item's
     ``labels``, else its construct's) becomes the label's code: exact match after stripping spaces
     on both sides, else a case-insensitive match (``str.casefold``) when it is unambiguous (the
     labels equal up to case carry one code). Text that reads as a number is never looked up, a
     text missing code wins over a label of the same text, and a label whose code is a missing code
     is missing. Text that is none of these is invalid, ``unmapped label 'X' (map: NAME)``; for an
     item without a label map it is ``not a number``;
   * a number (or a label's code) outside the item's scale is invalid.
3. **Empty rows** (every cell of the row empty) are excluded.
4. **Invalid cells**, by ``on_invalid``: ``"error"`` raises one
   :class:`~csi_survey.exceptions.DataValidationError` listing every cell (and every distinct
   unmapped label in its message); ``"exclude"`` excludes the respondent (the reason lists the
   cells); ``"flag"`` turns the cells into missing answers and keeps the respondent. With
   ``"exclude"`` and ``"flag"`` each such respondent also gets one ``invalid_value`` flag.
5. **Data-quality rules** (``questionnaire.quality``, see :mod:`csi_survey.ingest.quality`):
   duplicates, straight-lining, speeders, too many missing answers, all judged on the same
   respondents (those left after steps 3–4) and on the answers as given. Policy ``"flag"`` keeps
   the respondent, ``"exclude"`` excludes it (the reasons of several rules are joined by semicolons).
6. **Reverse coding** (``min + max − x``).
7. Respondents **without a valid answer for some construct** are excluded (single-item constructs:
   only with ``missing="mean-strict"`` or ``"listwise"``).
8. **Missing values** (``missing``, rules in :mod:`csi_survey.ingest.missing`): ``"mean"`` replaces each
   missing answer by the item's mean over the used respondents, single-item constructs included
   (seminr, SmartPLS; ``"mean-strict"`` excludes at step 7 a respondent without its single-item
   answer); ``"model"`` imputes it with scikit-learn's ``IterativeImputer`` (each item
   regressed on the others with Bayesian ridge, chained, at most 10 rounds, ``random_state=0`` so
   that runs are reproducible), fitted on the model's items of the used respondents and clipped to
   each item's scale; ``"listwise"`` excludes every respondent with a missing answer. The model's
   cost grows with respondents × items² × rounds: a fraction of a second for a few thousand
   respondents, about a minute or more for a million (the item mean takes well under a second).
9. **Survey design** (when the spec declares ``design:``): the cluster and stratum columns of the
   used respondents are checked by :func:`~csi_survey.ingest.design.survey_design` (empty cells, a
   cluster in two strata, a stratum with fewer than two clusters, a missing column), every problem
   in one :class:`~csi_survey.exceptions.DataValidationError`.

:attr:`SurveyData.flags` is the complete audit of the quality findings: one row per flag raised
(``invalid_value`` per respondent, ``duplicate``, ``straightlining`` per respondent and block,
``speeder``, ``too_many_missing``), with ``action`` saying what that rule did to the respondent
(``"flagged"``: kept; ``"excluded"``: left out because of it). A respondent excluded by one rule
still shows the flags of the other rules, with their own action. Exclusions are also in
:attr:`SurveyData.excluded` with a readable reason.

The result, :class:`SurveyData`, keeps the accounting: ``n_used + n_excluded == n_read``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import DataValidationError, InputFileError, SettingsError, check_choice
from ..schema import Questionnaire
from . import quality as _quality
from .quality import FLAG_COLUMNS, RULES, SUMMARY_COLUMNS
from .cn_scales import check_items, pair_downloads
from .readers import RawTable, read_table, source_location
from .design import survey_design
from .memory import release_unused_memory
from .missing import MEAN_METHODS, MISSING_METHODS, constructs_without_answer, impute_model
from .weights import apply_weights
from .values import LabelMap, blank_mask, cell_text, code_set, invalid_cells, invalid_error, parse_column

__all__ = [
    "SurveyData",
    "prepare",
    "read_responses",
    "EXCLUDED_COLUMNS",
    "FLAG_COLUMNS",
    "MISSING_COLUMNS",
    "ON_INVALID",
    "MISSING_METHODS",
]

#: Columns of :attr:`SurveyData.excluded`.
EXCLUDED_COLUMNS = ("row", "respondent_id", "reason")
#: Columns of :attr:`SurveyData.missing`.
MISSING_COLUMNS = ("item", "construct", "n_missing", "n_replaced", "method")
#: Allowed values of ``on_invalid``.
ON_INVALID = ("error", "exclude", "flag")
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
        values on each item's own scale after answer labels → codes, missing codes → NaN, reverse
        coding and the missing value treatment (no NaN left). RangeIndex.
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
        Per item: ``item``, ``construct``, ``n_missing`` (missing answers — empty cells, missing
        codes and, with ``on_invalid="flag"``, invalid answers — among the respondents that reached
        the missing-value step, i.e. before the treatment), ``n_replaced`` (answers replaced: by the
        item mean for ``"mean"``, by the imputation model for ``"model"``; 0 for ``"listwise"``; the
        column keeps this name for every method) and ``method`` (``"mean"``, ``"model"`` or
        ``"listwise"``).
    n_read:
        Data rows read (header and trailing empty rows not counted).
    flags:
        The data-quality flags raised: ``row``, ``respondent_id``, ``flag`` (``invalid_value``,
        ``duplicate``, ``straightlining``, ``speeder``, ``too_many_missing``), ``detail`` and
        ``action`` (``"flagged"`` or ``"excluded"``: what that flag's rule did). Flags of excluded
        respondents are listed too. Sorted by row, then in the order of the rules.
    quality_summary:
        One row per rule (``flag``): ``policy`` (``"off"`` for a rule not run; for
        ``invalid_value`` the ``on_invalid`` setting), ``n_checked``, ``n_flagged`` and
        ``n_excluded`` (respondents), ``n_not_checked`` (e.g. rows without a usable duration for
        the speeders rule) and a ``note``.
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
    quality_summary: pd.DataFrame | None = None  # per rule: policy and counts
    platform: Any = None  # a 问卷星/问卷网/腾讯问卷 export: its cn_platforms.PlatformInfo (scales recognised, skips)

    @property
    def answers(self) -> pd.DataFrame:
        """The answers as given, for the used respondents: NaN where missing (before the item-mean
        or model replacement) and reverse-coded items on their original coding (before min + max − x)."""
        values = self.items.to_numpy(copy=True)
        if self.imputed is not None:
            values[self.imputed] = np.nan
        q = self.questionnaire
        for j, item in enumerate(q.item_ids):
            if q.items[item].reverse:
                scale = q.item_scale(item)
                values[:, j] = (scale.min + scale.max) - values[:, j]
        return pd.DataFrame(values, columns=list(q.item_ids), copy=False)  # our own copy already

    @property
    def n_used(self) -> int:
        return int(len(self.items))

    @property
    def n_excluded(self) -> int:
        return int(len(self.excluded))

    @property
    def location(self) -> str:
        return source_location(self.source, self.sheet)

    def __repr__(self) -> str:
        n_flags = 0 if self.flags is None else len(self.flags)
        return (
            f"SurveyData({self.location}: {self.n_read} rows read, {self.n_used} used, "
            f"{self.n_excluded} excluded; {len(self.questionnaire.item_ids)} items; missing={self.missing_method!r}; "
            f"{n_flags} quality flag(s))"
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
    format: str = "auto",
    limits: Any = None,
    text_download: str | Path | None = None,
    header_row: int | None = None,
) -> SurveyData:
    """Read a responses file (:func:`~csi_survey.ingest.readers.read_table`), :func:`prepare` it and
    apply the spec's survey weights (:func:`~csi_survey.ingest.weights.apply_weights`), if it declares any.

    ``text_download``: with a 问卷星 numeric download (按选项序号) as ``path``, the text download
    (按选项文本) of the same responses; the answers' codes then come from pairing the two, cell by
    cell (:func:`~csi_survey.ingest.cn_scales.pair_downloads`: contradictions are refused).

    ``format`` (auto-detected by default: csv, xlsx, qualtrics, surveymonkey, spss, googleforms, wjx, wenjuan,
    tencent) and
    ``limits`` (:class:`~csi_survey.ingest.safety.Limits`) are passed to the reader."""
    check_choice("on_invalid", on_invalid, ON_INVALID)
    check_choice("missing", missing, MISSING_METHODS)
    # handed over, not kept here: _prepare frees each item column's text once parsed (less memory, same data)
    raw = read_table(path, sheet=sheet, encoding=encoding, format=format, limits=limits, header_row=header_row, expected_columns=questionnaire.item_ids)
    if text_download is not None:
        raw = pair_downloads(read_table(text_download, sheet=sheet, encoding=encoding, format=format, limits=limits), raw)
    raw = check_items(raw, questionnaire)
    owned, platform = [raw], raw.platform  # platform exports: every unknown answer label in one error (check_items)
    del raw
    release_unused_memory()  # the file's bytes and the parser's buffers
    data = _prepare(owned, questionnaire, on_invalid=on_invalid, missing=missing)
    data = data if platform is None else dataclasses.replace(data, platform=platform)
    if questionnaire.weights is None:
        return data
    return apply_weights(data)


def prepare(
    raw: RawTable | pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    on_invalid: str = "error",
    missing: str = "mean",
) -> SurveyData:
    """Check and clean the responses for ``questionnaire`` (the steps are listed in the module docs).

    Parameters
    ----------
    raw:
        A :class:`RawTable` (its ``missing_values`` are honoured), or a DataFrame (its rows are
        numbered 2, 3, … as in a sheet).
    on_invalid:
        What to do with a non-numeric, unmapped-label or out-of-scale answer. ``"error"``
        (default): raise one :class:`~csi_survey.exceptions.DataValidationError` listing every such
        cell. ``"exclude"``: leave these respondents out (listed in ``excluded``). ``"flag"``: the
        cell becomes a missing answer, the respondent is kept and flagged (``flags``).
    missing:
        ``"mean"`` (default): replace each missing answer by the item's mean over the used
        respondents, single-item constructs included (as seminr and SmartPLS). ``"mean-strict"``:
        the same, but a respondent without the answer of a single-item construct is left out.
        ``"model"``: impute it with an iterative (chained-regressions) model of the items,
        reproducibly, clipped to the item's scale. ``"listwise"``: leave out every respondent with
        a missing answer. Details: :mod:`csi_survey.ingest.missing`.
    """
    return _prepare(raw, questionnaire, on_invalid=on_invalid, missing=missing)


def _prepare(raw: RawTable | pd.DataFrame | list[RawTable], questionnaire: Questionnaire, *, on_invalid: str,
             missing: str) -> SurveyData:
    """:func:`prepare`. ``raw`` may also be a list holding the only reference to a RawTable
    (:func:`read_responses`): the table is taken out of it and its item columns of text are freed as
    they are parsed (the results are the same)."""
    check_choice("on_invalid", on_invalid, ON_INVALID)
    check_choice("missing", missing, MISSING_METHODS)
    q = questionnaire

    vendor: Mapping[str, Sequence[object]] = {}
    labelled_numbers = False
    owned = isinstance(raw, list)
    if owned:
        raw = raw.pop()
    if isinstance(raw, RawTable):
        frame = raw.frame.reset_index(drop=True)
        row_numbers = np.asarray(raw.row_numbers, dtype=np.int64)
        source, sheet = raw.source, raw.sheet
        labelled_numbers = raw.format == "googleforms"  # '10 - Extremely satisfied' is 10 (values.py)
        vendor = raw.missing_values or {}
        if owned:
            del raw  # `frame` is now the only holder of the columns
    elif isinstance(raw, pd.DataFrame):
        frame = raw.reset_index(drop=True)
        row_numbers = np.arange(2, len(frame) + 2, dtype=np.int64)
        source, sheet = "<DataFrame>", None
        _check_unique_columns(frame, source)
    else:
        raise TypeError(f"prepare() needs a RawTable or a pandas DataFrame, got {type(raw).__name__}")
    if len(row_numbers) != len(frame):
        raise ValueError("RawTable.row_numbers must have one entry per frame row")
    where = source_location(source, sheet)
    n = len(frame)
    rules = q.quality
    speed_rule = rules.speeders if rules.speeders is not None and rules.speeders.policy != "off" else None

    # ---- 1. columns
    extra = [(speed_rule.column, "speeders.column, the interview duration")] if speed_rule is not None else []
    extra += [(c, f"quadrant.stated, the stated importance of {d}") for d, c in q.quadrant.stated.items() if isinstance(c, str)]
    found = _match_columns(frame, q, where, extra)
    item_ids = q.item_ids
    item_cols = {i: found[i] for i in item_ids}
    id_col = found[q.id_column] if q.id_column is not None else None
    if n == 0:
        raise InputFileError(
            f"{where} has a header but no data rows",
            hint="check that you exported the responses (and chose the right sheet with --sheet).",
        )
    p = len(item_ids)
    ids = _Ids(frame, id_col, row_numbers)
    vendor_all = list(vendor.get("*", ()))
    n_columns = frame.shape[1]
    # an owned table's text item columns are dropped once parsed (own blocks: nothing is copied), unless a later
    # step reads them: the id and duration columns, the duplicates rule without an id (compares whole rows)
    freed: dict[object, int] = {}
    if owned and not (id_col is None and rules.duplicates != "off" and n_columns > p):
        keep = {id_col, found[speed_rule.column] if speed_rule is not None else None}
        for j, item in enumerate(item_ids):
            col = item_cols[item]
            if col not in keep and isinstance(frame[col].dtype, pd.StringDtype):
                freed[col] = j  # the last item read from the column

    # ---- 2. cells → numbers, vectorised per column (done first: step 3 needs the blank item cells)
    # column-major: each item is written (and later read by the engines) as one contiguous column, and
    # SurveyData.items wraps it without a copy (pandas keeps a 2-d float block column-major too)
    values = np.empty((n, p), dtype=np.float64, order="F")
    missing_cell = np.zeros((n, p), dtype=bool)  # empty or missing code (or flagged invalid, below)
    blank_items = np.ones(n, dtype=bool)  # every item cell empty (for the empty-row test)
    invalid_parts: list[pd.DataFrame] = []
    for j, item in enumerate(item_ids):
        col = item_cols[item]
        s = frame[col]
        scale = q.item_scale(item)
        codes = code_set(q.item_missing_codes(item), vendor_all + list(vendor.get(str(col), ())), col, where)
        labels = LabelMap.of(q, item)
        cell = parse_column(s, codes, scale, labels, labelled_numbers=labelled_numbers)
        blank_items &= cell.blank
        missing_cell[:, j] = cell.blank | cell.code
        if cell.bad.any():
            invalid_parts.append(invalid_cells(s, cell, col, j, scale, labels))
        values[:, j] = cell.values
        del s, cell
        if freed.get(col) == j:
            del frame[col]
            release_unused_memory()

    # ---- 3. all-empty rows (every cell of the row, not only the items)
    empty_row = blank_items.copy()
    cand = np.flatnonzero(empty_row)
    if cand.size:
        other_names = [c for c in frame.columns if c not in set(item_cols.values())]
        for c in other_names:
            if cand.size == 0:
                break
            sub_blank = blank_mask(frame[c].iloc[cand])
            empty_row[cand[~sub_blank]] = False
            cand = cand[sub_blank]

    excluded = np.zeros(n, dtype=bool)
    groups: list[tuple[np.ndarray, list[str], list[str]]] = []  # (positions, reasons, summary categories)
    flag_parts: list[tuple[str, np.ndarray, list[str], str]] = []  # (flag, positions, details, action)

    def exclude(pos: np.ndarray, reasons: list[str], categories: list[str]) -> None:
        excluded[pos] = True
        groups.append((pos, reasons, categories))

    pos = np.flatnonzero(empty_row)
    if pos.size:
        exclude(pos, ["empty row"] * pos.size, ["empty row"] * pos.size)

    # ---- 4. invalid cells
    if invalid_parts:
        bad = pd.concat(invalid_parts, ignore_index=True)
        bad = bad[~excluded[bad["pos"].to_numpy()]]
        bad = bad.sort_values(["pos", "j"], kind="stable").reset_index(drop=True)
    else:
        bad = None
    n_invalid_checked = int((~excluded).sum())
    invalid_summary = {"flag": "invalid_value", "policy": on_invalid, "n_checked": n_invalid_checked,
                       "n_flagged": 0, "n_excluded": 0, "n_not_checked": 0, "note": ""}
    if bad is not None and len(bad):
        if on_invalid == "error":
            raise invalid_error(bad, row_numbers, ids, where)
        joined = bad.groupby("pos", sort=True)["piece"].agg("; ".join)
        pos = joined.index.to_numpy(dtype=np.int64)
        texts = joined.tolist()
        if on_invalid == "exclude":
            exclude(pos, ["invalid value " + r for r in texts], ["invalid value(s)"] * pos.size)
            flag_parts.append(("invalid_value", pos, texts, "excluded"))
            invalid_summary["n_excluded"] = int(pos.size)
        else:  # "flag": the cells (already NaN in values) become missing answers
            missing_cell[bad["pos"].to_numpy(), bad["j"].to_numpy()] = True
            flag_parts.append(("invalid_value", pos, texts, "flagged"))
            invalid_summary["n_flagged"] = int(pos.size)
        invalid_summary["note"] = f"{len(bad)} invalid cell(s)"

    # ---- 5. data-quality rules, on the answers as given (before reverse coding)
    active = ~excluded
    results = _quality.check_rules(
        rules,
        _quality.RuleInputs(
            active=active,
            values=values,
            missing=missing_cell,
            blocks={
                cid: (_construct_name(q, cid), [item_ids.index(i) for i in q.constructs[cid].item_ids])
                for cid in q.construct_ids
            },
            row_numbers=row_numbers,
            id_keys=ids.keys if id_col is not None else None,
            id_text=ids.strings,
            row_keys=(lambda: _quality.row_keys(frame)) if n_columns > p else (lambda: None),
            n_columns=n_columns,
            durations=_durations(frame, found[speed_rule.column], vendor, vendor_all, where) if speed_rule else None,
            where=where,
        ),
    )
    summary_rows = [invalid_summary]
    quality_pos: list[np.ndarray] = []
    quality_reasons: list[str] = []
    quality_titles: list[str] = []
    for r in results:
        row = {"flag": r.flag, "policy": r.policy, "n_checked": r.n_checked, "n_flagged": 0, "n_excluded": 0,
               "n_not_checked": r.n_not_checked, "note": r.note}
        if r.pos.size:
            action = "excluded" if r.policy == "exclude" else "flagged"
            flag_parts.append((r.flag, r.pos, r.detail, action))
            row["n_excluded" if r.policy == "exclude" else "n_flagged"] = r.n_respondents
            if r.policy == "exclude":
                title = RULES[r.flag]
                quality_pos.append(r.pos)
                quality_reasons.extend(f"{title}: {d}" for d in r.detail)
                quality_titles.extend([title] * r.pos.size)
        summary_rows.append(row)
    if quality_pos:
        hits = pd.DataFrame({"pos": np.concatenate(quality_pos), "reason": quality_reasons, "title": quality_titles})
        by_pos = hits.groupby("pos", sort=True)
        reasons = by_pos["reason"].agg("; ".join)
        titles = by_pos["title"].agg(lambda t: ", ".join(dict.fromkeys(t)))
        exclude(reasons.index.to_numpy(dtype=np.int64), reasons.tolist(), titles.tolist())

    # ---- 6. reverse coding
    for j, item in enumerate(item_ids):
        if q.items[item].reverse:
            scale = q.item_scale(item)
            assert scale is not None  # guaranteed by the spec validation
            values[:, j] = (scale.min + scale.max) - values[:, j]

    # ---- 7. respondents without any valid answer for a construct
    lacking = constructs_without_answer(values, q, item_ids, missing) & ~excluded[:, None]
    pos = np.flatnonzero(lacking.any(axis=1))
    if pos.size:
        names = [_construct_name(q, cid) for cid in q.construct_ids]
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
                lambda mask: "missing answer in listwise mode: " + ", ".join(str(c) for c, m in zip(cols, mask) if m),
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
        if any(r.policy == "exclude" and r.pos.size for r in results):
            hint += " Data-quality rules with policy 'exclude' left respondents out: consider policy 'flag' in the questionnaire's quality section."
        raise InputFileError(
            f"Every row of {where} was excluded ({n} data row(s) read, none usable). Reasons: {top}{more}",
            hint=hint,
        )

    items = values if remaining.size == n else np.empty((remaining.size, p), dtype=np.float64, order="F")
    for j in range(p if items is not values else 0):  # our own array either way, column-major
        items[:, j] = values[remaining, j]
    del values
    imputed = None
    if missing != "listwise":
        holes = np.isnan(items)
        if holes.any():
            imputed = holes
            n_replaced = holes.sum(axis=0).astype(np.int64)
            empty_items = [item_ids[j] for j in range(p) if n_replaced[j] == len(items)]
            if empty_items:
                listed = ", ".join(f"{item_cols[i]!r} ({q.construct_of[i]})" for i in empty_items)
                how = "by the item mean" if missing in MEAN_METHODS else "by the imputation model (missing='model')"
                raise InputFileError(
                    f"No usable respondent of {where} answered item(s) {listed}, so their missing answers cannot be "
                    f"replaced {how}",
                    hint="check these columns (are all answers missing codes?), or remove the items from the questionnaire.",
                )
            if missing in MEAN_METHODS:
                means = _col_nanmean(items, holes)
                np.copyto(items, np.broadcast_to(means, items.shape), where=holes)
            else:
                filled = impute_model(np.ascontiguousarray(items), [q.item_scale(i) for i in item_ids])
                np.copyto(items, filled, where=holes)

    missing_table = pd.DataFrame(
        {
            "item": item_ids,
            "construct": [q.construct_of[i] for i in item_ids],
            "n_missing": np.asarray(n_missing, dtype=np.int64),
            "n_replaced": n_replaced,
            "method": [missing] * p,
        }
    )
    used_frame = frame if remaining.size == n else frame.iloc[remaining]
    other_cols = [c for c in frame.columns if c not in set(item_cols.values())]
    other = used_frame[other_cols].reset_index(drop=True)
    data = SurveyData(
        questionnaire=q,
        items=pd.DataFrame(items, columns=list(item_ids), copy=False),
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
        flags=_flags_table(flag_parts, row_numbers, ids),
        quality_summary=pd.DataFrame(summary_rows, columns=list(SUMMARY_COLUMNS)),
    )
    if q.design is not None:
        survey_design(data)  # the design columns of the used respondents: every problem in one error
    if owned:
        release_unused_memory()  # the temporaries of the checks, before the estimation needs memory
    return data


def _construct_name(q: Questionnaire, cid: str) -> str:
    return f"{cid} ({q.label(cid)})" if q.label(cid) != cid else cid


def _durations(frame: pd.DataFrame, column: object, vendor, vendor_all: list, where: str) -> _quality.Durations:
    """The speeders rule's duration column in seconds; only the export's missing codes apply to it
    (the spec's missing codes are answer codes: 98 seconds is a duration)."""
    codes = code_set([], vendor_all + list(vendor.get(str(column), ())), column, where)
    return _quality.read_durations(frame[column], codes, column)  # the rule refuses to run on unreadable durations


def _flags_table(parts, row_numbers: np.ndarray, ids: "_Ids") -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(
            {
                "row": pd.Series(dtype=np.int64),
                "respondent_id": pd.Series(dtype=str),
                "flag": pd.Series(dtype=str),
                "detail": pd.Series(dtype=str),
                "action": pd.Series(dtype=str),
            }
        )
    pos = np.concatenate([p[1] for p in parts]).astype(np.int64)
    flag = np.concatenate([np.full(p[1].size, p[0], dtype=object) for p in parts])
    action = np.concatenate([np.full(p[1].size, p[3], dtype=object) for p in parts])
    detail = np.asarray([d for p in parts for d in p[2]], dtype=object)
    order = np.argsort(pos, kind="stable")  # by row; within a row in the order of the rules
    pos = pos[order]
    return pd.DataFrame(
        {
            "row": row_numbers[pos].astype(np.int64),
            "respondent_id": pd.Series(ids.strings(pos), dtype=str),
            "flag": pd.Series(flag[order], dtype=str),
            "detail": pd.Series(detail[order], dtype=str),
            "action": pd.Series(action[order], dtype=str),
        },
        columns=list(FLAG_COLUMNS),
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


def _match_columns(
    frame: pd.DataFrame, q: Questionnaire, where: str, extra: Sequence[tuple[str, str]] = ()
) -> dict[str, object]:
    """Wanted name → column label: the items, the id column and ``extra`` ``(name, role)`` columns;
    exact match first, then case/space-insensitive."""
    columns = list(frame.columns)
    text = [str(c) for c in columns]
    exact = {t: c for t, c in zip(text, columns)}
    wanted: list[tuple[str, str]] = [(i, f"item of {q.construct_of[i]}") for i in q.item_ids]
    if q.id_column is not None:
        wanted.append((q.id_column, "id_column"))
    wanted.extend(extra)
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
    return found


def _col_nanmean(values: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """The mean of each column over its answered cells.

    The sums add the rows in order (a sequential sum: what numpy does for a row-major matrix), also
    for a column-major ``values``, whose own column sums numpy would add pairwise — the means, and so
    every result, do not depend on the memory layout."""
    counts = len(values) - holes.sum(axis=0)
    if values.flags.c_contiguous:
        sums = values.sum(axis=0, where=~holes)
    else:
        sums = np.array([np.cumsum(np.where(holes[:, j], 0.0, values[:, j]))[-1] for j in range(values.shape[1])])
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


# ====================================================================== respondents
class _Ids:
    """Respondent ids as text: the id column's value (stripped), else the sheet row number.

    A text column (pandas ``str``, as the CSV reader gives) stays Arrow text: stripped once, it gives
    the duplicate keys, the ids of the excluded or flagged rows and :attr:`SurveyData.respondent_id`
    without a Python string per respondent."""

    def __init__(self, frame: pd.DataFrame, id_col: object | None, row_numbers: np.ndarray):
        self.column = frame[id_col] if id_col is not None else None
        self.row_numbers = row_numbers
        self._texts: np.ndarray | None = None
        self._stripped: pd.Series | None = None
        if self.column is not None and isinstance(self.column.dtype, pd.StringDtype):
            self._stripped = self.column.str.strip()  # as _id_texts does: NaN stays NaN (an empty id)

    @property
    def texts(self) -> np.ndarray:
        """The id text of every row (object array; "" for an empty id cell). Needs an id column."""
        if self._texts is None:
            assert self.column is not None
            if self._stripped is not None:
                self._texts = self._stripped.to_numpy(dtype=object, na_value="")
            else:
                self._texts = _id_texts(self.column)
        return self._texts

    def keys(self) -> np.ndarray:
        """An integer per row, equal for equal ids, -1 for an empty id (the classes of
        :func:`quality.text_keys` of :attr:`texts`). Needs an id column.

        Text ids are sorted (Arrow) and numbered by run of equal ids: half the memory of a hash
        table of a million ids."""
        if self._stripped is None:
            return _quality.text_keys(self.texts)
        import pyarrow as pa
        import pyarrow.compute as pc

        pool = pa.system_memory_pool()  # given back by release_unused_memory (Arrow's own pool keeps memory)
        ids = pa.array(self._stripped.array)  # no copy
        order = pc.sort_indices(ids, memory_pool=pool)  # missing ids last
        ranked = pc.take(ids, order, memory_pool=pool)
        new_run = np.ones(len(ids), dtype=bool)
        if len(ids) > 1:
            same = pc.equal(ranked.slice(1), ranked.slice(0, len(ids) - 1), memory_pool=pool)
            new_run[1:] = ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        del ranked
        keys = np.empty(len(ids), dtype=np.int64)
        keys[order.to_numpy(zero_copy_only=False)] = np.cumsum(new_run) - 1
        del order
        empty = pc.fill_null(pc.equal(ids, ""), True).to_numpy(zero_copy_only=False)  # "" or missing
        keys[empty] = -1
        release_unused_memory()
        return keys

    def strings(self, pos: np.ndarray) -> np.ndarray:
        if self.column is None:
            return self.row_numbers[pos].astype(str).astype(object)
        if self._stripped is not None:
            return self._stripped.iloc[pos].to_numpy(dtype=object, na_value="")
        if self._texts is None and len(pos) * 10 < len(self.column):
            return _id_texts(self.column.iloc[pos])
        return self.texts[pos]

    def series(self, pos: np.ndarray) -> pd.Series:
        if self.column is None:
            return pd.Series(self.row_numbers[pos], name="respondent_id")
        if self._stripped is not None:
            chosen = self._stripped if len(pos) == len(self.column) else self._stripped.iloc[pos]
            return chosen.fillna("").astype(str).reset_index(drop=True).rename("respondent_id")
        texts = self.texts if len(pos) == len(self.column) else self.texts[pos]
        return pd.Series(texts, name="respondent_id", dtype=str)


def _id_texts(s: pd.Series) -> np.ndarray:
    """Cells as text, stripped (object array); vectorised per distinct value."""
    if ptypes.is_integer_dtype(s.dtype) and not s.isna().any():
        return s.astype(np.int64).astype(str).to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "empty":
        return np.full(len(s), "", dtype=object)
    if kind == "string":  # only text (and empty cells)
        stripped = s.astype(object).str.strip() if ptypes.is_object_dtype(s.dtype) else s.str.strip()
        return stripped.to_numpy(dtype=object, na_value="")
    idx, uniq = pd.factorize(s, use_na_sentinel=True)
    u = np.asarray(uniq, dtype=object)
    is_str = np.fromiter((type(v) is str for v in u), dtype=bool, count=len(u))
    out = np.empty(len(u), dtype=object)
    if is_str.any():
        out[is_str] = pd.Series(u[is_str], dtype=object).str.strip().to_numpy(dtype=object)
    others = np.flatnonzero(~is_str)
    if others.size:
        out[others] = [cell_text(v).strip() for v in u[others]]
    return np.append(out, "")[idx]  # idx -1 (empty cell) picks ""


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
