"""The importance × satisfaction quadrant chart (四分图): which drivers to improve first.

Each driver of the satisfaction index (a construct, or an item of one) is a point with

* **satisfaction** on x: its performance on 0–100 — the construct's index (``fit.index``) or the
  item's mean rescaled to 0–100, (mean(xᵢ) − minᵢ)/(maxᵢ − minᵢ) · 100. Both come from
  :func:`csi_survey.drivers.ipma` (``performance``), which this module calls: one rescaling for
  the IPMA and the 四分图;
* **importance** on y, either
  - ``"derived"``: the driver's total effect on the index construct in 0–100 units,
    t₁₀₀ = t · sd(score₁₀₀,index)/sd(score₁₀₀,driver) (the IPMA importance, Ringle & Sarstedt 2016;
    at the item level ŵᵢ · t₁₀₀ with ŵᵢ the item's normalized unstandardized weight), or
  - ``"stated"``: what respondents said — a mapping driver → number, or driver → a column of the
    data (an importance rating), whose mean (weighted with ``fit.weight`` for a weighted fit) is
    the importance.

The plane is cut at the **means** of the two coordinates over the drivers shown (the usual
convention of the Chinese 四分图模型 and of importance–performance analysis, Martilla & James
1977, "Importance-performance analysis", Journal of Marketing 41(1), 77–79, who place the
cross-hairs at the means or at a chosen level; drivers.ipma uses the medians, as SmartPLS):

============  ==========  ===============  ============================================
quadrant      label (zh)  importance       satisfaction
============  ==========  ===============  ============================================
advantage     优势区      ≥ mean (high)    ≥ mean (high) — keep it up
improve       修补区      ≥ mean (high)    < mean (low)  — improve first
opportunity   机会区      < mean (low)     < mean (low)  — improve later
maintain      维持区      < mean (low)     ≥ mean (high) — maintain, do not over-invest
============  ==========  ===============  ============================================

A driver on a mean counts as high. A driver without a value (no 0–100 index) gets quadrant "".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .drivers import classify_quadrants, ipma
from .exceptions import SettingsError, check_choice
from .i18n import check_language, text
from .index import weighted_mean
from .ingest.columns import resolve_column
from .results import ModelResults, Summary

__all__ = ["QUADRANT_NAMES", "QuadrantResult", "quadrant", "classify"]

#: The quadrants, in the order advantage (优势区), improve (修补区), opportunity (机会区), maintain (维持区).
QUADRANT_NAMES = ("advantage", "improve", "opportunity", "maintain")
_COLUMNS = ["target", "level", "driver", "item", "label", "importance", "satisfaction", "quadrant",
            "importance_cut", "satisfaction_cut", "importance_source"]


def classify(importance: Any, satisfaction: Any, importance_cut: float, satisfaction_cut: float) -> np.ndarray:
    """Quadrant names (:data:`QUADRANT_NAMES`) of points against the two cuts; "" where a value is NaN."""
    return classify_quadrants(importance, satisfaction, importance_cut, satisfaction_cut,
                              ("advantage", "improve", "maintain", "opportunity"))


@dataclass(frozen=True)
class QuadrantResult:
    """A 四分图: ``table`` with one row per driver.

    Columns ``target, level, driver, item, label, importance, satisfaction, quadrant,
    importance_cut, satisfaction_cut, importance_source`` (the cuts are the means, repeated on every
    row so that a report draws the lines without computing anything; ``importance_source`` is
    ``"derived"`` or ``"stated"``, so that a report says which importance its y axis shows).
    ``importance`` says the same.
    """

    table: pd.DataFrame
    importance: str
    level: str
    target: str

    @property
    def importance_cut(self) -> float:
        """The mean importance (the horizontal line)."""
        return float(self.table["importance_cut"].iloc[0]) if len(self.table) else float("nan")

    @property
    def satisfaction_cut(self) -> float:
        """The mean satisfaction (the vertical line)."""
        return float(self.table["satisfaction_cut"].iloc[0]) if len(self.table) else float("nan")

    def summary(self, lang: str = "en") -> Summary:
        """The drivers by quadrant, improve (修补区) first; ``lang`` "en" or "zh"."""
        lang = check_language(lang)
        order = {q: k for k, q in enumerate(("improve", "advantage", "opportunity", "maintain", ""))}
        t = self.table.assign(_o=self.table["quadrant"].map(order)).sort_values(["_o", "importance"], ascending=[True, False],
                                                                                  kind="stable")
        shown = pd.DataFrame({
            text(lang, "driver"): t["label"].where(t["item"] == "", t["item"]).to_numpy(),
            text(lang, "importance"): t["importance"].to_numpy(),
            text(lang, "satisfaction_0_100"): t["satisfaction"].to_numpy(),
            text(lang, "quadrant"): [text(lang, f"q_{q}") if q else "" for q in t["quadrant"]],
        })
        info = {
            text(lang, "quadrant_importance"): text(lang, f"quadrant_{self.importance}"),
            text(lang, "quadrant_cuts"): f"{self.importance_cut:.3f} / {self.satisfaction_cut:.1f}",
        }
        return Summary(text(lang, "sec_quadrant"), info, {text(lang, "quadrant_table"): shown})


def quadrant(
    fit: ModelResults,
    data: Any = None,
    *,
    importance: str = "derived",
    stated: Mapping[str, float | str] | None = None,
    level: str = "construct",
    target: str | None = None,
) -> QuadrantResult:
    """The 四分图 of the drivers of ``target`` (default: the index construct of the spec).

    ``importance="derived"`` uses the total effects (see the module docstring); ``"stated"`` needs
    ``stated``: driver id (a construct id at ``level="construct"``, an item id at ``level="item"``)
    → a number, or → the name of a column of ``data`` (its mean is the importance). The stated
    drivers must be drivers of ``target``; drivers not in ``stated`` are left out. ``level="item"``
    and stated columns need ``data`` (the SurveyData the model was fitted on).
    """
    check_choice("importance", importance, ["derived", "stated"])
    check_choice("level", level, ["construct", "item"])
    target = fit.model.index if target is None else target
    if not target:
        raise SettingsError("the 四分图 needs a target: the spec names no index construct",
                            hint="pass target='SAT' (a construct of the model), or set index: in the spec.")
    if importance == "stated" and not stated:
        raise SettingsError(
            "stated importance needs the importances: none were given",
            hint="pass stated={'PQ': 4.6, 'PV': 4.1, ...} (numbers) or stated={'PQ': 'imp_quality', ...} (columns of the data).",
        )
    if importance == "derived" and stated:
        raise SettingsError("stated importances were given with importance='derived'",
                            hint="pass importance='stated' to use them, or leave stated out.")
    base = ipma(fit, data, targets=[target], level=level)
    key = base["driver"] if level == "construct" else base["item"]
    values = base["importance"].to_numpy(dtype=np.float64)
    if importance == "stated":
        assert stated is not None
        unknown = [k for k in stated if k not in set(key)]
        if unknown:
            raise SettingsError(
                f"stated importance for {', '.join(map(repr, unknown))}, which {'is' if len(unknown) == 1 else 'are'} "
                f"not {'a driver' if level == 'construct' else 'an item of a driver'} of {target!r}",
                hint=f"give importances for: {', '.join(map(str, key))}.",
            )
        keep = key.isin(list(stated)).to_numpy()
        base, key = base[keep].reset_index(drop=True), key[keep].reset_index(drop=True)
        values = np.array([_stated_value(fit, data, k, stated[k]) for k in key], dtype=np.float64)
    sat = base["performance"].to_numpy(dtype=np.float64)
    cut_i = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
    cut_s = float(np.nanmean(sat)) if np.isfinite(sat).any() else np.nan
    table = pd.DataFrame({
        "target": base["target"].to_numpy(dtype=object),
        "level": base["level"].to_numpy(dtype=object),
        "driver": base["driver"].to_numpy(dtype=object),
        "item": base["item"].to_numpy(dtype=object),
        "label": base["label"].to_numpy(dtype=object),
        "importance": values,
        "satisfaction": sat,
        "quadrant": classify(values, sat, cut_i, cut_s),
        "importance_cut": cut_i,
        "satisfaction_cut": cut_s,
        "importance_source": importance,
    }, columns=_COLUMNS)
    return QuadrantResult(table=table, importance=importance, level=level, target=target)


def _stated_value(fit: ModelResults, data: Any, driver: str, value: float | str) -> float:
    """A stated importance: the number given, or the (weighted) mean of the named column."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise SettingsError(f"stated importance of {driver!r} must be a number or a column name, not {type(value).__name__}")
    if data is None:
        raise SettingsError(f"stated importance of {driver!r} is the column {value!r}, but no data were given",
                            hint="pass the SurveyData the model was fitted on: quadrant(fit, data, ...).")
    if isinstance(data, pd.DataFrame):
        if value not in data.columns:
            raise SettingsError(f"stated importance of {driver!r}: the data have no column {value!r}")
        column = pd.to_numeric(data[value], errors="coerce")
    else:
        kind, col = resolve_column(data, value, "stated importance")
        column = pd.to_numeric((data.items if kind == "item" else data.other)[col], errors="coerce")
        codes = [c for c in (getattr(data.questionnaire, "missing_codes", None) or []) if isinstance(c, Real)]
        if codes:
            column = column.mask(column.isin(codes))
    x = column.to_numpy(dtype=np.float64)
    weight = getattr(fit, "weight", None)
    if weight is not None and len(weight) == len(x):
        ok = np.isfinite(x)
        return float(weighted_mean(x[ok][:, None], np.asarray(weight)[ok])[0]) if ok.any() else float("nan")
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
