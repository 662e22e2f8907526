"""Composite evaluation scorecard of staff, stores and managers (pharmacy and retail chains).

Per period (e.g. quarter), every staff member and every store gets::

    score = survey_score + mystery_score − deduction

* **survey_score** — the sample survey: the (weighted) mean of the declared perception indicators
  (e.g. assortment, environment, recommendation, efficacy, personal service, product quality,
  price), rescaled from the answer scale [min, max] to ``survey.points``::

      m̄_k  = mean of indicator k over the responses (empty cells skipped)
      m    = Σ_k v_k m̄_k / Σ_k v_k          over the indicators with at least one answer
      survey_score = (m − min) / (max − min) × points

  (v_k the indicator weights, default 1: the plain mean of the indicator means). A staff member's
  responses are those naming them; a store's are all responses of the store (its staff's and
  those naming only the store).
* **mystery_score** — the scenario (mystery-shopper) check: a visit scores the share of checklist
  items passed among the items that applied (an empty cell = not applicable), optionally
  weighted (``u_i``)::

      visit = Σ_i u_i · passed_i / Σ_i u_i       mystery_score = mean(visit) × points

  A store's score is the mean over its visits. A staff member's is the mean over the visits that
  name them (when the checklist has a staff column), else their store's.
* **deduction** — complaints: the points of each complaint's grade (default A = 3, B = 2, C = 1),
  summed; optionally capped at ``complaints.max_deduction``. A staff member is charged the
  complaints that name them; a store all complaints of the store (its staff's and those naming
  only the store).

**Missing components** (``missing:``): a staff member without survey responses, or a store
without a mystery visit, in a period:

* ``rescale`` (default): the components present are scaled up to the full points,
  ``score = (Σ present) × (Σ all points) / (Σ present points) − deduction``;
* ``zero``: a missing component scores 0;
* ``exclude``: no score (and no rank) for that staff member or store.

With neither component the score is missing whatever the setting. The ``note`` column says what
happened.

**Managers**: a manager's score is the mean of the scores of the staff of their store(s)
(``stores.manager``; staff without a score left out).

**Ranking** (per period and level; ``ranking`` table and the ``rank`` columns): by score,
highest first, on the scores rounded to ``rank_decimals`` (default 2) decimals. **Ties** share
the best rank of their group and the next rank is skipped ("competition ranking" 1, 2, 2, 4; as
``pandas.Series.rank(method="min")``); tied entries are listed by id. No score, no rank.

The configuration (YAML, :func:`load_scorecard_config`; ``file:`` paths are relative to the
configuration file; ``sheet:`` picks a sheet of a workbook)::

    name: 康宁大药房 2026 服务考评
    period: quarter              # the period column of every sheet; or {column: date, by: quarter}
                                 # (by: quarter | month | year); leave out for a single period
    missing: rescale             # rescale | zero | exclude
    rank_decimals: 2
    roster:                      # who is evaluated (required)
      file: roster.csv
      staff: staff_id            # column of staff ids
      name: staff_name           # optional
      store: store_id
    stores:                      # optional: store names and managers
      file: stores.csv
      store: store_id
      name: store_name           # optional
      manager: manager           # optional
    survey:                      # required
      file: survey.csv
      staff: staff_id            # staff and/or store column (a response may name only the store)
      store: store_id
      scale: [1, 5]
      points: 60
      indicators:                # column: label, or column: {label: …, weight: …}, or a list
        assortment: 品种齐全
        environment: 购物环境
    mystery:                     # optional
      file: mystery.csv
      store: store_id
      staff: staff_id            # optional
      points: 40
      items: [greeting, advice, …]   # pass/fail columns; or a mapping with labels and weights
      passed: [达标]              # optional extra wordings (defaults: 1, 是, Y, yes, true, pass, 合格, √ …)
      failed: [未达标]            # (defaults: 0, 否, N, no, false, fail, 不合格, × …)
    complaints:                  # optional
      file: complaints.csv
      store: store_id
      staff: staff_id            # optional: an empty cell charges the store only
      grade: grade
      deductions: {A: 3, B: 2, C: 1}   # points per complaint (grades matched ignoring case)
      max_deduction: 10          # optional cap per staff member / store and period

Any section may set its own ``period:`` (e.g. a different date column). Configuration problems
raise :class:`~csi_survey.exceptions.SpecError` (every one listed, with file and line); columns
missing from a sheet are listed the same way; data problems (unknown staff or store ids, a staff
member's store that contradicts the roster, answers outside the scale, checklist cells that are
neither passed nor failed, **unknown complaint grades**, missing periods or dates) raise one
:class:`~csi_survey.exceptions.DataValidationError` listing every bad cell with its sheet and row.

References: the survey component is the mean-score satisfaction measure rescaled to a points
scale as in ACSI/CCSI practice (Fornell et al. 1996, *Journal of Marketing* 60(4), 7–18); mystery
shopping as a service-quality audit: Wilson, A. M. (2001), "Mystery shopping: using deception to
measure service performance", *Psychology & Marketing* 18(7), 721–734.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import parse_yaml, read_yaml_file, yaml_location
from ..exceptions import DataValidationError, SettingsError, SpecError
from ..ingest.columns import finite_number
from ..ingest.readers import RawTable, read_table
from ..results import Summary
from .common import is_blank

__all__ = [
    "ScorecardConfig",
    "ScorecardResults",
    "Measure",
    "PeriodSpec",
    "DEFAULT_DEDUCTIONS",
    "PASSED",
    "FAILED",
    "load_scorecard_config",
    "scorecard",
]

#: Points deducted per complaint, by grade.
DEFAULT_DEDUCTIONS: Mapping[str, float] = {"A": 3.0, "B": 2.0, "C": 1.0}
#: Checklist cells meaning "passed" / "failed" (compared ignoring case and spaces).
PASSED = ("1", "是", "y", "yes", "true", "pass", "passed", "ok", "合格", "通过", "达标", "√", "✓", "✔")
FAILED = ("0", "否", "n", "no", "false", "fail", "failed", "不合格", "未通过", "不达标", "×", "✗", "✘", "x")
_MISSING = ("rescale", "zero", "exclude")
_BY = ("quarter", "month", "year")
_LEVELS = ("staff", "store", "manager")
ALL_PERIODS = "all"


# ====================================================================== configuration
@dataclass(frozen=True)
class PeriodSpec:
    """Where a sheet's period comes from: a column holding it, or a date column and ``by``."""

    column: str
    by: str | None = None  # None: the cell is the period; quarter | month | year: from a date


@dataclass(frozen=True)
class Measure:
    """A survey indicator or a checklist item: its column, display label and weight."""

    column: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class _Sheet:
    file: str | None
    sheet: str | int | None
    columns: Mapping[str, str | None]  # role → column name (None: not declared)
    period: PeriodSpec | None = None
    period_path: tuple = ("period",)  # where the period is declared in the configuration


@dataclass(frozen=True)
class ScorecardConfig:
    """A validated scorecard configuration (:func:`load_scorecard_config`, :meth:`from_dict`).

    ``survey_scale`` is ``(min, max)``; ``survey_points``/``mystery_points`` the points of the two
    components (``mystery_points`` None without a mystery section); ``deductions`` grade →
    points (None without a complaints section); ``base_dir`` the folder ``file:`` paths are
    relative to.
    """

    name: str
    roster: _Sheet
    stores: _Sheet | None
    survey: _Sheet
    mystery: _Sheet | None
    complaints: _Sheet | None
    indicators: tuple[Measure, ...]
    survey_scale: tuple[float, float]
    survey_points: float
    items: tuple[Measure, ...] = ()
    mystery_points: float | None = None
    passed: tuple[str, ...] = PASSED
    failed: tuple[str, ...] = FAILED
    deductions: Mapping[str, float] | None = None
    max_deduction: float | None = None
    missing: str = "rescale"
    rank_decimals: int = 2
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = "<dict>"
    lines: Mapping[tuple, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def max_points(self) -> float:
        """The full score: survey points plus mystery points."""
        return self.survey_points + (self.mystery_points or 0.0)

    @classmethod
    def from_dict(cls, data: Any, *, base_dir: str | Path | None = None, source: str = "<dict>",
                  lines: Mapping[tuple, int] | None = None) -> ScorecardConfig:
        """Validate a configuration mapping (the YAML's structure); every problem in one SpecError."""
        return _Parser(source, lines or {}).parse(data, Path(base_dir) if base_dir is not None else Path.cwd())

    @classmethod
    def from_yaml(cls, text: str, *, base_dir: str | Path | None = None, source: str = "<string>") -> ScorecardConfig:
        data, lines, _duplicates = parse_yaml(text, source, "scorecard configuration")
        return cls.from_dict(data, base_dir=base_dir, source=source, lines=lines)


def load_scorecard_config(path: str | Path) -> ScorecardConfig:
    """Load and validate a scorecard configuration (YAML, UTF-8 or GBK).

    Raises :class:`~csi_survey.exceptions.SpecError` listing every problem with file and line.
    """
    data, lines, _duplicates, source = read_yaml_file(
        path, "scorecard configuration", hint="pass the scorecard YAML (see docs/scorecard.md for its keys)."
    )
    return ScorecardConfig.from_dict(data, base_dir=Path(path).resolve().parent, source=source, lines=lines)


_SECTION_KEYS = {
    "": ("name", "period", "missing", "rank_decimals", "roster", "stores", "survey", "mystery", "complaints"),
    "roster": ("file", "sheet", "staff", "name", "store"),
    "stores": ("file", "sheet", "store", "name", "manager"),
    "survey": ("file", "sheet", "staff", "store", "period", "scale", "points", "indicators"),
    "mystery": ("file", "sheet", "staff", "store", "period", "points", "items", "passed", "failed"),
    "complaints": ("file", "sheet", "staff", "store", "period", "grade", "deductions", "max_deduction"),
}


def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


class _Parser:
    def __init__(self, source: str, lines: Mapping[tuple, int]):
        self.source, self.lines = source, lines
        self.problems: list[dict] = []

    def loc(self, *path: Any) -> str:
        return yaml_location(self.source, self.lines, tuple(path))

    def bad(self, path: tuple, problem: str) -> None:
        self.problems.append({"location": self.loc(*path), "problem": problem})

    def section(self, data: Mapping, key: str, required: bool) -> Mapping | None:
        value = data.get(key)
        if value is None:
            if required:
                self.bad((), f"the {key}: section is missing")
            return None
        if not isinstance(value, Mapping):
            self.bad((key,), f"{key}: must be a mapping of settings")
            return None
        for k in value:
            if str(k) not in _SECTION_KEYS[key]:
                self.bad((key, str(k)), f"unknown key {str(k)!r} in {key}:; expected {', '.join(_SECTION_KEYS[key])}")
        return value

    def column(self, sec: Mapping, path: tuple, key: str, required: bool) -> str | None:
        value = sec.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(path, f"{'.'.join(path)}.{key} is missing (the column holding it)")
            return None
        if isinstance(value, (Mapping, list, bool)):
            self.bad(path + (key,), f"{key} must be a column name")
            return None
        return _text(value)

    def positive(self, sec: Mapping, path: tuple, key: str, required: bool) -> float | None:
        value = sec.get(key)
        if value is None:
            if required:
                self.bad(path, f"{'.'.join(path)}.{key} is missing (a positive number)")
            return None
        x = finite_number(value)
        if x is None or x <= 0:
            self.bad(path + (key,), f"{key} must be a positive number; got {value!r}")
            return None
        return x

    def period(self, value: Any, path: tuple) -> PeriodSpec | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return PeriodSpec(value.strip())
        if isinstance(value, Mapping):
            extra = [str(k) for k in value if str(k) not in ("column", "by")]
            for k in extra:
                self.bad(path + (k,), f"unknown key {k!r}; period takes column: and by:")
            col = value.get("column")
            by = value.get("by")
            ok = True
            if not isinstance(col, str) or not col.strip():
                self.bad(path, "period.column is missing (the column holding the period or the date)")
                ok = False
            if by is not None and str(by).strip().lower() not in _BY:
                self.bad(path + ("by",), f"by must be one of {', '.join(_BY)}; got {by!r}")
                ok = False
            if ok:
                return PeriodSpec(col.strip(), None if by is None else str(by).strip().lower())
            return None
        self.bad(path, "period must be a column name or {column: …, by: quarter|month|year}")
        return None

    def sheet(self, sec: Mapping, key: str, roles: Mapping[str, bool], period: PeriodSpec | None) -> _Sheet:
        file = sec.get("file")
        if file is not None and (not isinstance(file, str) or not file.strip()):
            self.bad((key, "file"), "file must be a file name (relative to the configuration file)")
            file = None
        sheet = sec.get("sheet")
        if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
            self.bad((key, "sheet"), "sheet must be a sheet name or a 0-based position")
            sheet = None
        cols = {role: self.column(sec, (key,), role, req) for role, req in roles.items()}
        own = self.period(sec.get("period"), (key, "period")) if "period" in sec else None
        return _Sheet(file.strip() if isinstance(file, str) else None, sheet, cols, own or period,
                      (key, "period") if own else ("period",))

    def measures(self, value: Any, path: tuple, what: str) -> tuple[Measure, ...]:
        out: list[Measure] = []
        if isinstance(value, list) and value:
            for k, v in enumerate(value):
                if v is None or isinstance(v, (Mapping, list, bool)) or not _text(v):
                    self.bad(path + (k,), f"{what} {k + 1} must be a column name")
                else:
                    out.append(Measure(_text(v), _text(v)))
        elif isinstance(value, Mapping) and value:
            for col, spec in value.items():
                col = _text(col)
                if spec is None:
                    out.append(Measure(col, col))
                elif isinstance(spec, str):
                    out.append(Measure(col, spec.strip() or col))
                elif finite_number(spec) is not None and not isinstance(spec, bool):
                    if spec <= 0:
                        self.bad(path + (col,), f"the weight of {col!r} must be positive; got {spec!r}")
                    else:
                        out.append(Measure(col, col, float(spec)))
                elif isinstance(spec, Mapping):
                    for k in spec:
                        if str(k) not in ("label", "weight"):
                            self.bad(path + (col, str(k)), f"unknown key {str(k)!r}; expected label, weight")
                    w = spec.get("weight", 1)
                    x = finite_number(w)
                    if x is None or x <= 0:
                        self.bad(path + (col, "weight"), f"the weight of {col!r} must be a positive number; got {w!r}")
                        continue
                    label = spec.get("label")
                    out.append(Measure(col, _text(label) if label is not None else col, x))
                else:
                    self.bad(path + (col,), f"{col!r}: expected a label, a weight or {{label: …, weight: …}}")
        else:
            self.bad(path, f"{path[-1]} must be a non-empty list of columns or a mapping column → label")
        seen: set[str] = set()
        for m in out:
            if m.column in seen:
                self.bad(path, f"column {m.column!r} is listed twice")
            seen.add(m.column)
        return tuple(out)

    def words(self, sec: Mapping, key: str, path: tuple) -> tuple[str, ...]:
        value = sec.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or any(isinstance(v, (Mapping, list)) or v is None for v in value):
            self.bad(path + (key,), f"{key} must be a list of cell values")
            return ()
        return tuple(_fold(v) for v in value)

    def parse(self, data: Any, base_dir: Path) -> ScorecardConfig:
        if not isinstance(data, Mapping):
            raise SpecError("The scorecard configuration is not a mapping",
                            [{"location": self.source, "problem": f"expected keys such as roster: and survey:, got {type(data).__name__}"}])
        for k in data:
            if str(k) not in _SECTION_KEYS[""]:
                self.bad((str(k),), f"unknown key {str(k)!r}; expected {', '.join(_SECTION_KEYS[''])}")
        name = _text(data.get("name") or "Scorecard")
        period = self.period(data.get("period"), ("period",))
        missing = str(data.get("missing", "rescale")).strip().lower()
        if missing not in _MISSING:
            self.bad(("missing",), f"missing must be one of {', '.join(_MISSING)}; got {data.get('missing')!r}")
        decimals = data.get("rank_decimals", 2)
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 10:
            self.bad(("rank_decimals",), f"rank_decimals must be a whole number 0 … 10; got {decimals!r}")
            decimals = 2

        roster_sec = self.section(data, "roster", True)
        stores_sec = self.section(data, "stores", False)
        survey_sec = self.section(data, "survey", True)
        mystery_sec = self.section(data, "mystery", False)
        complaints_sec = self.section(data, "complaints", False)

        empty = _Sheet(None, None, {"staff": None, "name": None, "store": None})
        roster = self.sheet(roster_sec, "roster", {"staff": True, "name": False, "store": True}, None) if roster_sec is not None else empty
        stores = self.sheet(stores_sec, "stores", {"store": True, "name": False, "manager": False}, None) if stores_sec is not None else None
        survey = self.sheet(survey_sec, "survey", {"staff": False, "store": False}, period) if survey_sec is not None else empty
        if survey_sec is not None and survey.columns["staff"] is None and survey.columns["store"] is None:
            self.bad(("survey",), "survey needs a staff: or a store: column (or both)")
        indicators: tuple[Measure, ...] = ()
        scale = (1.0, 5.0)
        points = 100.0
        if survey_sec is not None:
            if "indicators" not in survey_sec:
                self.bad(("survey",), "survey.indicators is missing (the perception indicator columns)")
            else:
                indicators = self.measures(survey_sec["indicators"], ("survey", "indicators"), "indicator")
            raw = survey_sec.get("scale")
            if raw is None:
                self.bad(("survey",), "survey.scale is missing, e.g. [1, 5]")
            else:
                pair = [raw.get("min"), raw.get("max")] if isinstance(raw, Mapping) else raw
                lo, hi = (finite_number(pair[0]), finite_number(pair[1])) if isinstance(pair, list) and len(pair) == 2 else (None, None)
                if lo is None or hi is None or lo >= hi:
                    self.bad(("survey", "scale"), f"scale must be [min, max] with min < max; got {raw!r}")
                else:
                    scale = (lo, hi)
            points = self.positive(survey_sec, ("survey",), "points", True) or points

        items: tuple[Measure, ...] = ()
        mystery = None
        mystery_points = None
        passed, failed = PASSED, FAILED
        if mystery_sec is not None:
            mystery = self.sheet(mystery_sec, "mystery", {"staff": False, "store": False}, period)
            if mystery.columns["staff"] is None and mystery.columns["store"] is None:
                self.bad(("mystery",), "mystery needs a store: column (and optionally staff:)")
            if "items" not in mystery_sec:
                self.bad(("mystery",), "mystery.items is missing (the checklist columns)")
            else:
                items = self.measures(mystery_sec["items"], ("mystery", "items"), "item")
            mystery_points = self.positive(mystery_sec, ("mystery",), "points", True) or 1.0
            extra_pass = self.words(mystery_sec, "passed", ("mystery",))
            extra_fail = self.words(mystery_sec, "failed", ("mystery",))
            both = set(extra_pass) & set(extra_fail)
            if both:
                self.bad(("mystery",), f"{', '.join(sorted(both))} listed as both passed and failed")
            passed = tuple(w for w in PASSED if w not in extra_fail) + extra_pass
            failed = tuple(w for w in FAILED if w not in extra_pass) + extra_fail

        complaints = None
        deductions = None
        max_deduction = None
        if complaints_sec is not None:
            complaints = self.sheet(complaints_sec, "complaints", {"staff": False, "store": False, "grade": True}, period)
            if complaints.columns["staff"] is None and complaints.columns["store"] is None:
                self.bad(("complaints",), "complaints needs a store: column (and optionally staff:)")
            raw = complaints_sec.get("deductions", DEFAULT_DEDUCTIONS)
            if not isinstance(raw, Mapping) or not raw:
                self.bad(("complaints", "deductions"), "deductions must map each grade to its points, e.g. {A: 3, B: 2, C: 1}")
            else:
                deductions = {}
                seen: set[str] = set()
                for g, pts in raw.items():
                    x = finite_number(pts)
                    key = _fold(g)
                    if key in seen:
                        self.bad(("complaints", "deductions", str(g)), f"grade {g!r} is listed twice (grades ignore case)")
                    elif x is None or x < 0:
                        self.bad(("complaints", "deductions", str(g)), f"the points of grade {g!r} must be a number ≥ 0; got {pts!r}")
                    else:
                        deductions[_text(g)] = x
                    seen.add(key)
            if complaints_sec.get("max_deduction") is not None:
                max_deduction = self.positive(complaints_sec, ("complaints",), "max_deduction", False)

        sheets = [("survey", survey)] + ([("mystery", mystery)] if mystery else []) + ([("complaints", complaints)] if complaints else [])
        with_period = [k for k, s in sheets if s.period is not None]
        if with_period and len(with_period) != len(sheets):
            without = [k for k, s in sheets if s.period is None]
            self.bad(("period",), f"{', '.join(with_period)} have a period but {', '.join(without)} do not: set period: at the top "
                                  "(or in every section)")
        if self.problems:
            raise SpecError("The scorecard configuration is not valid", self.problems,
                            hint="fix the keys listed; docs/scorecard.md shows a complete configuration.")
        return ScorecardConfig(
            name=name, roster=roster, stores=stores, survey=survey, mystery=mystery, complaints=complaints,
            indicators=indicators, survey_scale=scale, survey_points=points, items=items,
            mystery_points=mystery_points, passed=passed, failed=failed, deductions=deductions,
            max_deduction=max_deduction, missing=missing, rank_decimals=decimals, base_dir=base_dir, source=self.source,
            lines=dict(self.lines),
        )


def _fold(value: Any) -> str:
    return _text(value).replace("\u3000", " ").replace(" ", "").casefold()


# ====================================================================== reading the sheets
@dataclass
class _Table:
    key: str                 # config section
    frame: pd.DataFrame
    rows: np.ndarray
    where: str
    cols: dict[str, Any]     # declared column name → frame column label




def _as_table(value: Any, key: str, spec: _Sheet, config: ScorecardConfig) -> tuple[pd.DataFrame, np.ndarray, str]:
    if value is None:
        if spec.file is None:
            raise SettingsError(
                f"no {key} table: the configuration's {key}: section has no file: and none was passed",
                hint=f"add file: to {key}: in the configuration, or pass {key}=DataFrame to scorecard().",
            )
        value = read_table(config.base_dir / spec.file, sheet=spec.sheet)
    if isinstance(value, RawTable):
        frame, rows, where = value.frame.reset_index(drop=True), np.asarray(value.row_numbers), value.location
    elif isinstance(value, pd.DataFrame):
        frame, rows, where = value.reset_index(drop=True), np.arange(2, len(value) + 2), f"{key} (DataFrame)"
    else:
        raise SettingsError(f"{key} must be a DataFrame or a RawTable (csi_survey.read_table); got {type(value).__name__}",
                            hint="read the file with csi_survey.read_table(path).")
    keep = np.array([not all(is_blank(v) for v in row) for row in frame.itertuples(index=False)], dtype=bool) if len(frame) else np.zeros(0, bool)
    return frame.loc[keep].reset_index(drop=True), rows[keep], where


def _match_columns(frame: pd.DataFrame, wanted: Sequence[tuple[str, tuple]], where: str, config: ScorecardConfig,
                   problems: list[dict]) -> dict[str, Any]:
    labels = list(frame.columns)
    text = [str(c).strip() for c in labels]
    folded = {t.casefold(): c for t, c in zip(text, labels)}
    found: dict[str, Any] = {}
    for name, path in wanted:
        if name in found:
            continue
        if name in text:
            found[name] = labels[text.index(name)]
        elif name.strip().casefold() in folded:
            found[name] = folded[name.strip().casefold()]
        else:
            shown = ", ".join(text[:30]) + (f", … ({len(text)} columns)" if len(text) > 30 else "")
            problems.append({"location": yaml_location(config.source, config.lines, path),
                             "problem": f"no column {name!r} in {where} (columns: {shown})"})
    return found


def _tables(config: ScorecardConfig, given: Mapping[str, Any]) -> dict[str, _Table]:
    specs = {"roster": config.roster, "stores": config.stores, "survey": config.survey,
             "mystery": config.mystery, "complaints": config.complaints}
    out: dict[str, _Table] = {}
    problems: list[dict] = []
    for key, spec in specs.items():
        if spec is None:
            if given.get(key) is not None:
                raise SettingsError(f"a {key} table was passed but the configuration has no {key}: section",
                                    hint=f"add a {key}: section to the configuration.")
            continue
        frame, rows, where = _as_table(given.get(key), key, spec, config)
        wanted = [(c, (key, role)) for role, c in spec.columns.items() if c is not None]
        if spec.period is not None:
            wanted.append((spec.period.column, spec.period_path))
        measures = config.indicators if key == "survey" else config.items if key == "mystery" else ()
        section = "indicators" if key == "survey" else "items"
        wanted += [(m.column, (key, section, m.column)) for m in measures]
        cols = _match_columns(frame, wanted, where, config, problems)
        out[key] = _Table(key, frame, rows, where, cols)
    if problems:
        raise SpecError("Columns of the scorecard configuration are missing from the sheets", problems,
                        hint="correct the column names in the configuration or in the files (names match ignoring case).")
    return out


# ====================================================================== validating the data
class _Problems:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, t: _Table, k: int, rid: str, column: str, value: Any, problem: str) -> None:
        self.rows.append({"source": t.where, "row": int(t.rows[k]), "respondent_id": rid, "column": column,
                          "value": "" if is_blank(value) else _text(value), "problem": problem})


def _period_of(value: Any, spec: PeriodSpec | None) -> str | None:
    """The period label of a cell (None: invalid)."""
    if spec is None:
        return ALL_PERIODS
    if is_blank(value):
        return None
    if spec.by is None:
        return _text(value)
    try:
        ts = pd.Timestamp(value) if not isinstance(value, str) else pd.to_datetime(value.strip())
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(ts):
        return None
    if spec.by == "quarter":
        return f"{ts.year}Q{ts.quarter}"
    if spec.by == "month":
        return f"{ts.year}-{ts.month:02d}"
    return str(ts.year)


def _ids(t: _Table, col: str | None) -> list[str]:
    if col is None:
        return [""] * len(t.frame)
    return ["" if is_blank(v) else _text(v) for v in t.frame[t.cols[col]]]


def _locate(t: _Table, spec: _Sheet, staff_of: Mapping[str, str], stores: Mapping[str, Any], P: _Problems,
            need: str) -> tuple[list[str], list[str], list[str | None]]:
    """Per row: staff id ('' if none), store id, period; problems for unknown/contradicting ids."""
    staff_col, store_col = spec.columns.get("staff"), spec.columns.get("store")
    staff, store = _ids(t, staff_col), _ids(t, store_col)
    period_col = spec.period.column if spec.period is not None else None
    periods: list[str | None] = []
    for k in range(len(t.frame)):
        rid = staff[k] or store[k] or str(t.rows[k])
        if staff[k]:
            if staff[k] not in staff_of:
                P.add(t, k, rid, staff_col, staff[k], "unknown staff id (not in the roster)")
            elif store[k] and store[k] != staff_of[staff[k]]:
                P.add(t, k, rid, store_col, store[k], f"staff {staff[k]} belongs to store {staff_of[staff[k]]} in the roster")
            else:
                store[k] = staff_of[staff[k]]
        elif store[k]:
            if store[k] not in stores:
                P.add(t, k, rid, store_col, store[k], "unknown store id")
        else:
            P.add(t, k, rid, store_col or staff_col, "", f"no {need} id: the row names neither a staff member nor a store")
        value = t.frame.at[k, t.cols[period_col]] if period_col is not None else None
        p = _period_of(value, spec.period)
        if p is None:
            what = "no period" if is_blank(value) else f"not a date (period by {spec.period.by})" if spec.period.by else "no period"
            P.add(t, k, rid, period_col, value, what)
        periods.append(p)
    return staff, store, periods


def _numbers(t: _Table, measures: Sequence[Measure], lo: float, hi: float, ids: Sequence[str], P: _Problems) -> np.ndarray:
    X = np.full((len(t.frame), len(measures)), np.nan)
    for j, m in enumerate(measures):
        for k, v in enumerate(t.frame[t.cols[m.column]].to_numpy()):
            if is_blank(v):
                continue
            x = finite_number(v.strip() if isinstance(v, str) else v)
            if x is None:
                P.add(t, k, ids[k], m.column, v, f"not a number (the scale is {lo:g} … {hi:g})")
            elif not lo <= x <= hi:
                P.add(t, k, ids[k], m.column, v, f"outside the scale {lo:g} … {hi:g}")
            else:
                X[k, j] = x
    return X


def _checks(t: _Table, config: ScorecardConfig, ids: Sequence[str], P: _Problems) -> np.ndarray:
    passed, failed = set(config.passed), set(config.failed)
    X = np.full((len(t.frame), len(config.items)), np.nan)
    for j, m in enumerate(config.items):
        for k, v in enumerate(t.frame[t.cols[m.column]].to_numpy()):
            if is_blank(v):
                continue
            key = _fold(v)
            if key in passed:
                X[k, j] = 1.0
            elif key in failed:
                X[k, j] = 0.0
            else:
                P.add(t, k, ids[k], m.column, v, "neither passed nor failed (e.g. 1/0, 是/否, Y/N, 合格/不合格; empty = not applicable)")
    return X


# ====================================================================== results
@dataclass(frozen=True)
class ScorecardResults:
    """The scorecard tables (:func:`scorecard`). Every table has a ``period`` column (``all`` when
    the configuration declares no period).

    staff
        ``period, staff_id, staff_name, store_id, store_name, n_responses, survey_score,
        n_visits, mystery_score, n_complaints, deduction, score, rank, note`` — the mystery and
        complaint columns only when those sections are configured. Roster order.
    stores
        ``period, store_id, store_name, manager, n_staff, n_responses, survey_score, n_visits,
        mystery_score, n_complaints, deduction, score, rank, note``.
    managers
        ``period, manager, store_ids, store_names, n_staff, score, rank``: the mean score of the
        staff of the manager's stores (``n_staff`` of them scored).
    ranking
        ``period, level, rank, id, name, store_name, score`` for the levels staff, store, manager;
        ranked entries only, best first (ties by id).
    indicators
        ``period, store_id, store_name, indicator, label, n, mean`` — each store's indicator
        means on the answer scale.
    """

    config: ScorecardConfig
    staff: pd.DataFrame
    stores: pd.DataFrame
    managers: pd.DataFrame
    ranking: pd.DataFrame
    indicators: pd.DataFrame

    @property
    def periods(self) -> list[str]:
        return list(dict.fromkeys(self.staff["period"]))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables by file name."""
        return {"staff.csv": self.staff, "stores.csv": self.stores, "managers.csv": self.managers,
                "ranking.csv": self.ranking, "indicators.csv": self.indicators}

    def summary(self) -> Summary:
        c = self.config
        parts = [f"survey {c.survey_points:g}"]
        if c.mystery_points:
            parts.append(f"mystery {c.mystery_points:g}")
        info: dict[str, Any] = {
            "Periods": ", ".join(self.periods),
            "Staff": self.staff["staff_id"].nunique(),
            "Stores": self.stores["store_id"].nunique(),
            "Points": " + ".join(parts) + (" − complaints (" + ", ".join(f"{g} {p:g}" for g, p in c.deductions.items()) + ")"
                                           if c.deductions else ""),
            "Missing component": c.missing,
        }
        last = self.periods[-1] if self.periods else None
        best = self.ranking.loc[(self.ranking["period"] == last) & (self.ranking["level"] == "store") & (self.ranking["rank"] == 1)]
        if len(best):
            info[f"Best store {last}"] = ", ".join(f"{n} ({s:.1f})" for n, s in zip(best["name"], best["score"]))
        cols = ["period", "store_id", "store_name", "score", "rank"]
        mcols = ["period", "manager", "n_staff", "score", "rank"]
        return Summary(title=c.name, info=info,
                       tables={"Stores": self.stores[cols], "Managers": self.managers[mcols]})

    def __repr__(self) -> str:
        return (f"<ScorecardResults {self.config.name!r}: {len(self.periods)} period(s), "
                f"{self.staff['staff_id'].nunique()} staff, {self.stores['store_id'].nunique()} stores>")


def _ranks(table: pd.DataFrame, decimals: int) -> pd.Series:
    """Competition ranks (1, 2, 2, 4) of ``score`` within each period, on scores rounded to
    ``decimals``; <NA> for a missing score."""
    out = pd.Series(pd.NA, index=table.index, dtype="Int64")
    for _, idx in table.groupby("period", sort=False).groups.items():
        r = table.loc[idx, "score"].astype(float).round(decimals).rank(method="min", ascending=False)
        out.loc[idx] = r.astype("Int64")
    return out


def _combine(survey: float, mystery: float | None, deduction: float, config: ScorecardConfig) -> tuple[float, list[str]]:
    """The evaluation score from its components (mystery None: not configured) and notes."""
    notes: list[str] = []
    parts = [(survey, config.survey_points, "no survey responses")]
    if config.mystery_points is not None:
        parts.append((mystery if mystery is not None else np.nan, config.mystery_points, "no mystery visit"))
    present = [(v, p) for v, p, _ in parts if not np.isnan(v)]
    notes += [msg for v, _, msg in parts if np.isnan(v)]
    if not present:
        return float("nan"), notes
    if len(present) == len(parts):
        return float(sum(v for v, _ in present) - deduction), notes
    if config.missing == "exclude":
        return float("nan"), notes + ["not scored (missing: exclude)"]
    if config.missing == "zero":
        return float(sum(v for v, _ in present) - deduction), notes + ["missing component scored 0"]
    have = sum(p for _, p in present)
    notes.append(f"scaled from {have:g} to {config.max_points:g} points")
    return float(sum(v for v, _ in present) * config.max_points / have - deduction), notes


def scorecard(
    config: ScorecardConfig | str | Path,
    responses: RawTable | pd.DataFrame | None = None,
    mystery: RawTable | pd.DataFrame | None = None,
    complaints: RawTable | pd.DataFrame | None = None,
    *,
    roster: RawTable | pd.DataFrame | None = None,
    stores: RawTable | pd.DataFrame | None = None,
) -> ScorecardResults:
    """Compute the composite evaluation scorecard (formulas in the module docstring).

    Parameters
    ----------
    config:
        A :class:`ScorecardConfig` or the path of its YAML (:func:`load_scorecard_config`).
    responses, mystery, complaints, roster, stores:
        The tables (DataFrame, or RawTable from :func:`csi_survey.read_table` for true row numbers
        in messages); a table not given is read from the configuration's ``file:``.

    Raises
    ------
    SpecError
        A column named in the configuration is missing from its sheet (all listed).
    DataValidationError
        Bad cells (all listed, with sheet and row): unknown or duplicate ids, a staff member's store
        that contradicts the roster, answers outside the scale, checklist cells neither passed
        nor failed, unknown complaint grades, missing periods.
    """
    if not isinstance(config, ScorecardConfig):
        config = load_scorecard_config(config)
    T = _tables(config, {"roster": roster, "stores": stores, "survey": responses, "mystery": mystery, "complaints": complaints})
    P = _Problems()

    # ---- stores and roster
    store_info: dict[str, dict[str, str]] = {}
    if "stores" in T:
        t, spec = T["stores"], config.stores
        ids = _ids(t, spec.columns["store"])
        names = _ids(t, spec.columns["name"]) if spec.columns["name"] else ids
        managers = _ids(t, spec.columns["manager"]) if spec.columns["manager"] else [""] * len(ids)
        for k, sid in enumerate(ids):
            if not sid:
                P.add(t, k, "", spec.columns["store"], "", "empty store id")
            elif sid in store_info:
                P.add(t, k, sid, spec.columns["store"], sid, "store id listed twice")
            else:
                store_info[sid] = {"name": names[k] or sid, "manager": managers[k]}
    t, spec = T["roster"], config.roster
    staff_ids = _ids(t, spec.columns["staff"])
    staff_names = _ids(t, spec.columns["name"]) if spec.columns["name"] else staff_ids
    staff_stores = _ids(t, spec.columns["store"])
    staff_of: dict[str, str] = {}
    staff_name: dict[str, str] = {}
    for k, sid in enumerate(staff_ids):
        if not sid:
            P.add(t, k, "", spec.columns["staff"], "", "empty staff id")
            continue
        if sid in staff_of:
            P.add(t, k, sid, spec.columns["staff"], sid, "staff id listed twice")
            continue
        if not staff_stores[k]:
            P.add(t, k, sid, spec.columns["store"], "", "no store for this staff member")
            continue
        if "stores" in T and staff_stores[k] not in store_info:
            P.add(t, k, sid, spec.columns["store"], staff_stores[k], "store id not in the stores table")
            continue
        staff_of[sid] = staff_stores[k]
        staff_name[sid] = staff_names[k] or sid
    if "stores" not in T:
        for st in dict.fromkeys(staff_stores):
            if st:
                store_info[st] = {"name": st, "manager": ""}

    # ---- survey
    t, spec = T["survey"], config.survey
    s_staff, s_store, s_period = _locate(t, spec, staff_of, store_info, P, "staff or store")
    rid = [a or b or str(r) for a, b, r in zip(s_staff, s_store, t.rows)]
    lo, hi = config.survey_scale
    S = _numbers(t, config.indicators, lo, hi, rid, P)
    # ---- mystery
    V = None
    if "mystery" in T:
        tm = T["mystery"]
        m_staff, m_store, m_period = _locate(tm, config.mystery, staff_of, store_info, P, "store")
        mid = [a or b or str(r) for a, b, r in zip(m_staff, m_store, tm.rows)]
        C = _checks(tm, config, mid, P)
        u = np.array([m.weight for m in config.items])
        applicable = ~np.isnan(C)
        denom = applicable.astype(float) @ u
        V = np.where(denom > 0, np.nan_to_num(C) @ u / np.where(denom > 0, denom, 1), np.nan)
        for k in np.flatnonzero(denom == 0):
            if not any(x["row"] == int(tm.rows[k]) and x["source"] == tm.where for x in P.rows):
                P.add(tm, int(k), mid[k], "", "", "no checklist item filled in for this visit")
    # ---- complaints
    D = None
    if "complaints" in T:
        tc, spec_c = T["complaints"], config.complaints
        c_staff, c_store, c_period = _locate(tc, spec_c, staff_of, store_info, P, "store")
        cid = [a or b or str(r) for a, b, r in zip(c_staff, c_store, tc.rows)]
        points = {_fold(g): p for g, p in config.deductions.items()}
        known = ", ".join(config.deductions)
        D = np.full(len(tc.frame), np.nan)
        for k, g in enumerate(tc.frame[tc.cols[spec_c.columns["grade"]]].to_numpy()):
            if is_blank(g):
                P.add(tc, k, cid[k], spec_c.columns["grade"], g, f"no grade (known grades: {known})")
            elif _fold(g) not in points:
                P.add(tc, k, cid[k], spec_c.columns["grade"], g, f"unknown grade (known grades: {known}); add it to complaints.deductions")
            else:
                D[k] = points[_fold(g)]
    if P.rows:
        raise DataValidationError(
            "The scorecard data have invalid cells",
            pd.DataFrame(P.rows, columns=["source", "row", "respondent_id", "column", "value", "problem"]),
            hint="correct the cells listed (ids must match the roster and the stores sheet; grades the deductions table).",
        )

    # ---- periods
    periods = list(s_period)
    if V is not None:
        periods += m_period
    if D is not None:
        periods += c_period
    period_list = sorted(set(periods))
    if not period_list:
        period_list = [ALL_PERIODS]

    ind = config.indicators
    v = np.array([m.weight for m in ind])

    def survey_score(mask: np.ndarray) -> tuple[int, float, np.ndarray, np.ndarray]:
        X = S[mask]
        answered = ~np.isnan(X)
        n_resp = int(answered.any(axis=1).sum())
        n_k = answered.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(n_k > 0, np.nansum(X, axis=0) / np.where(n_k > 0, n_k, 1), np.nan)
        ok = n_k > 0
        if not ok.any():
            return n_resp, float("nan"), n_k, means
        m = float((v[ok] * means[ok]).sum() / v[ok].sum())
        return n_resp, (m - lo) / (hi - lo) * config.survey_points, n_k, means

    s_staff_a, s_store_a, s_period_a = np.array(s_staff, object), np.array(s_store, object), np.array(s_period, object)
    if V is not None:
        m_staff_a, m_store_a, m_period_a = np.array(m_staff, object), np.array(m_store, object), np.array(m_period, object)
        own_visits = config.mystery.columns.get("staff") is not None
    if D is not None:
        c_staff_a, c_store_a, c_period_a = np.array(c_staff, object), np.array(c_store, object), np.array(c_period, object)

    def cap(x: float) -> float:
        return min(x, config.max_deduction) if config.max_deduction is not None else x

    staff_rows, store_rows, indicator_rows = [], [], []
    for per in period_list:
        # stores first: staff may borrow their store's mystery score
        store_mystery: dict[str, tuple[int, float]] = {}
        for st, info in store_info.items():
            mask = (s_store_a == st) & (s_period_a == per)
            n_resp, sv, n_k, means = survey_score(mask)
            row: dict[str, Any] = {"period": per, "store_id": st, "store_name": info["name"], "manager": info["manager"],
                                   "n_staff": sum(1 for s in staff_of.values() if s == st),
                                   "n_responses": n_resp, "survey_score": sv}
            for m, n_m, mean in zip(ind, n_k, means):
                indicator_rows.append({"period": per, "store_id": st, "store_name": info["name"], "indicator": m.column,
                                       "label": m.label, "n": int(n_m), "mean": mean})
            mv = None
            if V is not None:
                vm = (m_store_a == st) & (m_period_a == per)
                mv = float(V[vm].mean() * config.mystery_points) if vm.any() else float("nan")
                row["n_visits"] = int(vm.sum())
                row["mystery_score"] = mv
                store_mystery[st] = (int(vm.sum()), mv)
            ded = 0.0
            if D is not None:
                cm = (c_store_a == st) & (c_period_a == per)
                row["n_complaints"] = int(cm.sum())
                ded = cap(float(D[cm].sum()))
                row["deduction"] = ded
            score, notes = _combine(sv, mv, ded, config)
            row["score"] = score
            row["note"] = "; ".join(notes)
            store_rows.append(row)
        for sid, st in staff_of.items():
            mask = (s_staff_a == sid) & (s_period_a == per)
            n_resp, sv, _, _ = survey_score(mask)
            row = {"period": per, "staff_id": sid, "staff_name": staff_name[sid], "store_id": st,
                   "store_name": store_info[st]["name"], "n_responses": n_resp, "survey_score": sv}
            notes_extra: list[str] = []
            mv = None
            if V is not None:
                vm = (m_staff_a == sid) & (m_period_a == per) if own_visits else np.zeros(len(V), bool)
                if vm.any():
                    row["n_visits"] = int(vm.sum())
                    mv = float(V[vm].mean() * config.mystery_points)
                else:
                    n_store, mv = store_mystery[st]
                    row["n_visits"] = 0
                    if not np.isnan(mv):
                        notes_extra.append(f"mystery score of the store ({n_store} visit{'s' if n_store != 1 else ''})")
                row["mystery_score"] = mv
            ded = 0.0
            if D is not None:
                cm = (c_staff_a == sid) & (c_period_a == per)
                row["n_complaints"] = int(cm.sum())
                ded = cap(float(D[cm].sum()))
                row["deduction"] = ded
            score, notes = _combine(sv, mv, ded, config)
            row["score"] = score
            row["note"] = "; ".join(notes_extra + notes)
            staff_rows.append(row)

    staff = pd.DataFrame(staff_rows)
    stores_t = pd.DataFrame(store_rows)
    staff.insert(staff.columns.get_loc("score") + 1, "rank", _ranks(staff, config.rank_decimals))
    stores_t.insert(stores_t.columns.get_loc("score") + 1, "rank", _ranks(stores_t, config.rank_decimals))

    # ---- managers
    manager_rows = []
    mgr_stores: dict[str, list[str]] = {}
    for st, info in store_info.items():
        if info["manager"]:
            mgr_stores.setdefault(info["manager"], []).append(st)
    for per in period_list:
        sub = staff.loc[staff["period"] == per]
        for mgr, sts in mgr_stores.items():
            scores = sub.loc[sub["store_id"].isin(sts), "score"].dropna()
            manager_rows.append({"period": per, "manager": mgr, "store_ids": ", ".join(sts),
                                 "store_names": ", ".join(store_info[s]["name"] for s in sts),
                                 "n_staff": int(len(scores)), "score": float(scores.mean()) if len(scores) else float("nan")})
    managers = pd.DataFrame(manager_rows, columns=["period", "manager", "store_ids", "store_names", "n_staff", "score"])
    managers["rank"] = _ranks(managers, config.rank_decimals)

    # ---- ranking
    parts = [
        pd.DataFrame({"period": staff["period"], "level": "staff", "rank": staff["rank"], "id": staff["staff_id"],
                      "name": staff["staff_name"], "store_name": staff["store_name"], "score": staff["score"]}),
        pd.DataFrame({"period": stores_t["period"], "level": "store", "rank": stores_t["rank"], "id": stores_t["store_id"],
                      "name": stores_t["store_name"], "store_name": stores_t["store_name"], "score": stores_t["score"]}),
        pd.DataFrame({"period": managers["period"], "level": "manager", "rank": managers["rank"], "id": managers["manager"],
                      "name": managers["manager"], "store_name": managers["store_names"], "score": managers["score"]}),
    ]
    ranking = pd.concat([p for p in parts if len(p)], ignore_index=True)
    ranking = ranking.loc[ranking["rank"].notna()].copy()
    ranking["_p"] = ranking["period"].map({p: k for k, p in enumerate(period_list)})
    ranking["_l"] = ranking["level"].map({lv: k for k, lv in enumerate(_LEVELS)})
    ranking = ranking.sort_values(["_p", "_l", "rank", "id"], kind="stable").drop(columns=["_p", "_l"]).reset_index(drop=True)
    ranking["rank"] = ranking["rank"].astype("Int64")

    indicators = pd.DataFrame(indicator_rows, columns=["period", "store_id", "store_name", "indicator", "label", "n", "mean"])
    return ScorecardResults(config=config, staff=staff, stores=stores_t, managers=managers, ranking=ranking, indicators=indicators)
