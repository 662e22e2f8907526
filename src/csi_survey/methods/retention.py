"""Customer retention, churn and loyalty rates from activity records; the effect of a care programme.

Rates per period (:func:`retention_rates`)
    The input is an activity table with one row per customer and period in which the customer was
    active (ordered, bought, was visited …; repeated rows count once). With A_t the set of
    customers active in period t and t − 1 the period before t in the ordered list of periods::

        retention_t = |A_(t−1) ∩ A_t| / |A_(t−1)|       share of last period's customers still active
        churn_t     = 1 − retention_t = |A_(t−1) \\ A_t| / |A_(t−1)|
        loyalty_t   = |A_(t−k+1) ∩ … ∩ A_t| / D_t      share active in every one of the last k periods

    The loyalty denominator D_t is set by ``loyalty_base``:

    * ``"window"`` (default): the customers active in **at least one** of the k periods
      t − k + 1 … t (``|A_(t−k+1) ∪ … ∪ A_t|``): of the customers seen in the window, the share seen
      in every period of it;
    * ``"current"``: the customers active in period t (``|A_t|``): of this period's customers, the
      share who were also active in each of the k − 1 periods before.

    Retention is NaN in the first period (no period before it), loyalty in the first k − 1
    periods (the window is incomplete); a rate whose denominator is 0 is NaN.

    **Order of the periods.** Text labels in natural order ("2026-Q2" < "2026-Q10", "2025-12" <
    "2026-01"; :func:`csi_survey.ingest.columns.natural_key`), dates and numbers by value. Only the
    periods present in the table exist, so a period in which nobody was active would be skipped
    silently: pass ``periods`` (every period, in order) to include it with no activity.

Care programme (:func:`care_effect`)
    One row per customer: whether the customer was reached by the care programme, and the
    satisfaction score before and after it. Over the customers with both scores, with
    Δ_i = after_i − before_i::

        DiD = mean(Δ | reached) − mean(Δ | not reached)
            = (after̄_R − beforē_R) − (after̄_N − beforē_N)
        SE  = √(s²_R / n_R + s²_N / n_N)                    (s² the sample variances of Δ, n − 1)
        df  = SE⁴ / [ (s²_R/n_R)² / (n_R − 1) + (s²_N/n_N)² / (n_N − 1) ]   (Welch–Satterthwaite)
        interval = DiD ± t_(df, (1 + level)/2) · SE,   t = DiD / SE,  p two-sided

    i.e. Welch's two-sample t test on the per-customer changes (each customer is their own
    control, so the before/after correlation is used). The DiD estimates the programme's effect
    under the usual *parallel trends* assumption: without the programme, reached customers'
    satisfaction would have changed as the others' did; it is not randomized evidence if the
    programme chose whom to reach. Customers missing a score or a group are left out and listed
    in ``excluded``; the group means in ``groups`` are over the customers used, so the DiD equals
    the difference of the group changes exactly.

References: Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", *Journal
of Interactive Marketing* 21(1), 76–90 (retention rate); Angrist, J. D. & Pischke, J.-S. (2009),
*Mostly Harmless Econometrics*, ch. 5 (difference-in-differences); Welch, B. L. (1947), "The
generalization of 'Student's' problem when several different population variances are
involved", *Biometrika* 34, 28–35.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import DataValidationError, InputFileError, SettingsError, check_choice
from ..ingest.columns import natural_key
from ..ingest.readers import RawTable
from ..results import Summary
from .common import find_columns, is_blank, key_text, row_ids, table_input

__all__ = [
    "LOYALTY_BASES",
    "REACHED_YES",
    "REACHED_NO",
    "period_order",
    "retention_rates",
    "CareEffect",
    "care_effect",
]

#: Allowed values of ``loyalty_base`` (module docs).
LOYALTY_BASES = ("window", "current")
#: Values read as "reached" / "not reached" by :func:`care_effect` (case-insensitive).
REACHED_YES = frozenset({"1", "true", "yes", "y", "reached", "是", "已触达", "触达", "已参与", "参与", "已关怀"})
REACHED_NO = frozenset({"0", "false", "no", "n", "not reached", "not_reached", "否", "未触达", "未参与", "未关怀"})

_RATE_COLUMNS = ["period", "active", "previous_active", "retained", "churned", "new", "retention", "churn",
                 "loyal", "loyalty_denominator", "loyalty"]


# ====================================================================== periods
def _is_date(v: Any) -> bool:
    return isinstance(v, (pd.Timestamp, _dt.date, np.datetime64))


def _date_label(v: Any) -> str:
    ts = pd.Timestamp(v)
    return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def period_order(values: Iterable[Any]) -> list[str]:
    """Distinct period labels in order: dates and numbers by value, text in natural order.

    >>> period_order(["2026-Q10", "2026-Q2", "2025-Q4"])
    ['2025-Q4', '2026-Q2', '2026-Q10']
    """
    labels, keys = _period_labels(list(values))
    return _ordered(labels, keys)


def _period_labels(values: list[Any]) -> tuple[list[str], dict[str, Any]]:
    """Labels (text) of the period cells and a sort key per label."""
    present = [v for v in values if not is_blank(v)]
    if present and all(_is_date(v) for v in present):
        labels = [_date_label(v) if not is_blank(v) else "" for v in values]
        keys = {lab: pd.Timestamp(v) for lab, v in zip(labels, values) if lab}
    elif present and all(_is_number(v) for v in present):
        labels = [key_text(v) if not is_blank(v) else "" for v in values]
        keys = {lab: float(v) for lab, v in zip(labels, values) if lab}
    else:
        labels = [(_date_label(v) if _is_date(v) else key_text(v)) if not is_blank(v) else "" for v in values]
        keys = {lab: natural_key(lab) for lab in labels if lab}
    return labels, keys


def _ordered(labels: Sequence[str], keys: dict[str, Any]) -> list[str]:
    return sorted({lab for lab in labels if lab}, key=lambda lab: keys[lab])


# ====================================================================== rates
def retention_rates(
    activity: RawTable | pd.DataFrame,
    *,
    customer: str = "customer_id",
    period: str = "period",
    k: int = 3,
    loyalty_base: str = "window",
    periods: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Retention, churn and k-period loyalty per period (definitions in the module docs).

    Parameters
    ----------
    activity:
        One row per customer and period of activity (a :class:`~csi_survey.ingest.RawTable` from
        ``read_table`` or a DataFrame). Repeated (customer, period) rows count once; completely
        empty rows are skipped.
    customer, period:
        The column names.
    k:
        The loyalty window: the number of consecutive periods (≥ 1) ending with each period.
    loyalty_base:
        ``"window"`` or ``"current"``: the loyalty denominator.
    periods:
        Every period in order (optional): periods without activity are then included (active 0);
        a period of the table not in this list is an error.

    Returns
    -------
    DataFrame
        One row per period in order: ``period, active, previous_active, retained, churned, new``
        (counts; ``new`` = active now but not in the previous period, first-time or returning),
        ``retention, churn`` (0–1), ``loyal, loyalty_denominator`` (counts), ``loyalty`` (0–1).

    Raises
    ------
    InputFileError
        A column is missing, or the table has no activity row.
    DataValidationError
        Rows with a customer but no period or a period but no customer (all listed), or periods
        missing from ``periods``.
    """
    check_choice("loyalty_base", loyalty_base, LOYALTY_BASES)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SettingsError(f"k must be a whole number of periods ≥ 1; got {k!r}", hint="e.g. k=3 for the last three quarters.")
    k = int(k)
    inp = table_input(activity, "retention_rates()")
    found = find_columns(inp, [(customer, "customer id"), (period, "period")],
                         "pass the customer id and period column names as they are in the file (customer=..., period=...).")
    cust_raw = inp.frame[found[customer]].tolist()
    per_raw = inp.frame[found[period]].tolist()
    cust = ["" if is_blank(v) else key_text(v) for v in cust_raw]
    labels, keys = _period_labels(per_raw)
    problems = []
    for pos, (c, p) in enumerate(zip(cust, labels)):
        if bool(c) != bool(p):
            col, val = (period, "") if c else (customer, "")
            problems.append({"row": int(inp.rows[pos]), "respondent_id": c or "", "column": col, "value": val,
                             "problem": "empty period" if c else "empty customer id"})
    if periods is not None:
        order = [_date_label(v) if _is_date(v) else key_text(v) for v in periods]
        if len(set(order)) != len(order):
            raise SettingsError("periods lists a period twice")
        unknown = sorted({lab for lab in labels if lab and lab not in set(order)}, key=natural_key)
        for lab in unknown:
            pos = labels.index(lab)
            problems.append({"row": int(inp.rows[pos]), "respondent_id": cust[pos], "column": period, "value": lab,
                             "problem": "period not in the periods given"})
    else:
        order = _ordered(labels, keys)
    if problems:
        raise DataValidationError(
            f"{inp.where}: activity rows that cannot be used",
            pd.DataFrame(problems),
            hint="every activity row needs a customer id and a period (and every period must be in the periods given).",
        )
    used = [(c, p) for c, p in zip(cust, labels) if c and p]
    if not used:
        raise InputFileError(f"{inp.where} has no activity row (customer id and period)",
                             hint="check the file, the sheet and the column names.")
    sets: dict[str, set[str]] = {p: set() for p in order}
    for c, p in used:
        sets[p].add(c)

    rows = []
    for j, p in enumerate(order):
        now = sets[p]
        prev = sets[order[j - 1]] if j > 0 else None
        retained = len(prev & now) if prev is not None else pd.NA
        if j + 1 >= k:
            window = [sets[order[i]] for i in range(j - k + 1, j + 1)]
            loyal = len(set.intersection(*window))
            denominator = len(set.union(*window)) if loyalty_base == "window" else len(now)
        else:
            loyal = denominator = pd.NA
        rows.append({
            "period": p,
            "active": len(now),
            "previous_active": len(prev) if prev is not None else pd.NA,
            "retained": retained,
            "churned": len(prev - now) if prev is not None else pd.NA,
            "new": len(now - prev) if prev is not None else pd.NA,
            "loyal": loyal,
            "loyalty_denominator": denominator,
        })
    out = pd.DataFrame(rows)
    out["period"] = out["period"].astype(object)
    out["active"] = out["active"].astype(np.int64)
    for c in ("previous_active", "retained", "churned", "new", "loyal", "loyalty_denominator"):
        out[c] = out[c].astype("Int64")

    def rate(num: str, den: str) -> np.ndarray:
        a = out[num].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        b = out[den].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    out["retention"] = rate("retained", "previous_active")
    out["churn"] = 1.0 - out["retention"]
    out["loyalty"] = rate("loyal", "loyalty_denominator")
    return out[_RATE_COLUMNS]


# ====================================================================== care programme
@dataclass(frozen=True)
class CareEffect:
    """The before/after comparison of a care programme (:func:`care_effect`).

    Attributes
    ----------
    effect:
        One row: ``estimate`` (the difference-in-differences), ``std_err``, ``df``, ``t_value``,
        ``p_value``, ``ci_lower``, ``ci_upper``, ``level``, ``n_reached``, ``n_not_reached``.
    groups:
        Two rows (``group`` = "reached", "not_reached"): ``n, before_mean, after_mean, change``
        (after − before of the means = mean of the changes), ``change_sd``, ``std_err`` (of the
        mean change).
    excluded:
        The rows left out: ``row, customer_id, reason``.
    """

    effect: pd.DataFrame
    groups: pd.DataFrame
    excluded: pd.DataFrame

    @property
    def estimate(self) -> float:
        """The difference-in-differences."""
        return float(self.effect.loc[0, "estimate"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables by file name: ``care_effect.csv``, ``care_groups.csv``, ``care_excluded.csv``."""
        return {"care_effect.csv": self.effect, "care_groups.csv": self.groups, "care_excluded.csv": self.excluded}

    def summary(self) -> Summary:
        """A printable summary: the effect with its interval, the groups."""
        e = self.effect.iloc[0]
        info = {
            "Difference-in-differences": f"{e['estimate']:.2f} ({e['level']:.0%} interval {e['ci_lower']:.2f} to {e['ci_upper']:.2f}; "
                                         f"Welch t = {e['t_value']:.2f}, df = {e['df']:.1f}, p = {e['p_value']:.3g})",
            "Customers": f"{int(e['n_reached'])} reached, {int(e['n_not_reached'])} not reached, {len(self.excluded)} left out",
        }
        return Summary(title="Care programme: before/after", info=info, tables={"Groups": self.groups})

    def __repr__(self) -> str:
        return f"<CareEffect: DiD = {self.estimate:.3g}>"


def _welch(x: np.ndarray, y: np.ndarray, level: float) -> dict[str, float]:
    """Welch's t interval for mean(x) − mean(y) (module docs)."""
    nx, ny = x.size, y.size
    vx, vy = float(np.var(x, ddof=1)) / nx, float(np.var(y, ddof=1)) / ny
    est = float(np.mean(x) - np.mean(y))
    se = float(np.sqrt(vx + vy))
    if se > 0:
        df = (vx + vy) ** 2 / (vx**2 / (nx - 1) + vy**2 / (ny - 1))
        t = est / se
        q = float(stats.t.ppf(0.5 + level / 2.0, df))
        p = float(2.0 * stats.t.sf(abs(t), df))
        lo, hi = est - q * se, est + q * se
    else:  # no variation in either group's changes: the difference is known exactly
        df = t = p = np.nan
        lo = hi = est
    return {"estimate": est, "std_err": se, "df": float(df), "t_value": float(t), "p_value": float(p),
            "ci_lower": float(lo), "ci_upper": float(hi)}


def care_effect(
    table: RawTable | pd.DataFrame,
    *,
    reached: str = "reached",
    before: str = "before",
    after: str = "after",
    customer: str | None = None,
    reached_values: Sequence[Any] | None = None,
    level: float = 0.95,
) -> CareEffect:
    """Difference-in-differences of mean satisfaction for customers reached by a care programme.

    Parameters
    ----------
    table:
        One row per customer (a :class:`~csi_survey.ingest.RawTable` or a DataFrame).
    reached:
        The group column. By default 1/0, yes/no, true/false, reached/not reached, 是/否,
        已触达/未触达 (:data:`REACHED_YES`, :data:`REACHED_NO`); with ``reached_values`` the values
        listed mean "reached" and any other value "not reached".
    before, after:
        The satisfaction score columns (any numeric scale: 0–100 scores, 1–10 answers).
    customer:
        The customer id column (optional; used in messages and in ``excluded``).
    level:
        Confidence level of the interval.

    Raises
    ------
    DataValidationError
        Non-numeric scores or unknown group values (every cell listed).
    InputFileError
        A column is missing, or a group has fewer than 2 customers with both scores.
    """
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise SettingsError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    inp = table_input(table, "care_effect()")
    wanted = [(reached, "reached/not reached group"), (before, "score before"), (after, "score after")]
    if customer is not None:
        wanted.append((customer, "customer id"))
    found = find_columns(inp, wanted, "pass the column names as they are in the file (reached=..., before=..., after=...).")
    ids = row_ids(inp, found[customer] if customer is not None else None)
    n = len(inp.frame)
    yes = None if reached_values is None else {key_text(v).casefold() for v in reached_values}

    problems: list[dict] = []
    group = np.full(n, -1, dtype=np.int64)  # 1 reached, 0 not, -1 missing
    for pos, v in enumerate(inp.frame[found[reached]].tolist()):
        if is_blank(v):
            continue
        key = key_text(v).casefold()
        if yes is not None:
            group[pos] = 1 if key in yes else 0
        elif key in REACHED_YES:
            group[pos] = 1
        elif key in REACHED_NO:
            group[pos] = 0
        else:
            problems.append({"row": int(inp.rows[pos]), "respondent_id": ids[pos], "column": str(found[reached]),
                             "value": key_text(v), "problem": "not a reached/not-reached value"})
    scores = {}
    for name in (before, after):
        col = found[name]
        raw = inp.frame[col]
        blank = np.array([is_blank(v) for v in raw], dtype=bool)
        num = pd.to_numeric(raw.where(~blank, np.nan), errors="coerce").to_numpy(dtype=np.float64)
        for pos in np.flatnonzero(~blank & ~np.isfinite(num)):
            problems.append({"row": int(inp.rows[pos]), "respondent_id": ids[pos], "column": str(col),
                             "value": key_text(raw.iloc[pos]), "problem": "not a number"})
        scores[name] = num
    if problems:
        hint = ("use numbers for the scores and 1/0, yes/no or 是/否 for the group"
                if yes is None else "use numbers for the scores")
        raise DataValidationError(f"{inp.where}: cells that cannot be used", pd.DataFrame(problems).sort_values(
            ["row", "column"], kind="stable"), hint=hint + " (empty cells are allowed: the customer is left out).")

    b, a = scores[before], scores[after]
    excluded = []
    for pos in range(n):
        reasons = []
        if group[pos] < 0:
            reasons.append("no group")
        if not np.isfinite(b[pos]):
            reasons.append("no score before")
        if not np.isfinite(a[pos]):
            reasons.append("no score after")
        if reasons:
            excluded.append({"row": int(inp.rows[pos]), "customer_id": ids[pos], "reason": ", ".join(reasons)})
    ok = (group >= 0) & np.isfinite(b) & np.isfinite(a)
    masks = {"reached": ok & (group == 1), "not_reached": ok & (group == 0)}
    small = [f"{g.replace('_', ' ')}: {int(m.sum())}" for g, m in masks.items() if m.sum() < 2]
    if small:
        raise InputFileError(
            f"{inp.where}: the comparison needs at least 2 customers with both scores in each group ({'; '.join(small)})",
            hint="check the group column and that the before and after scores are filled in.",
        )
    group_rows = []
    for g, m in masks.items():
        d = a[m] - b[m]
        group_rows.append({"group": g, "n": int(m.sum()), "before_mean": float(b[m].mean()),
                           "after_mean": float(a[m].mean()), "change": float(d.mean()),
                           "change_sd": float(np.std(d, ddof=1)), "std_err": float(np.std(d, ddof=1) / np.sqrt(d.size))})
    w = _welch(a[masks["reached"]] - b[masks["reached"]], a[masks["not_reached"]] - b[masks["not_reached"]], float(level))
    effect = pd.DataFrame([{**w, "level": float(level), "n_reached": int(masks["reached"].sum()),
                            "n_not_reached": int(masks["not_reached"].sum())}])
    groups = pd.DataFrame(group_rows)
    groups["group"] = groups["group"].astype(object)
    excl = pd.DataFrame(excluded, columns=["row", "customer_id", "reason"])
    excl["row"] = excl["row"].astype(np.int64)
    excl = excl.astype({"customer_id": object, "reason": object})
    return CareEffect(effect=effect, groups=groups, excluded=excl)
