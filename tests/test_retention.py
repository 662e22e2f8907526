"""Retention, churn and k-period loyalty; the difference-in-differences of a care programme."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError
from csi_survey.ingest import read_table
from csi_survey.methods import care_effect, period_order, retention_rates

from .conftest import EXAMPLES


def _activity(spec: dict[str, str]) -> pd.DataFrame:
    """{period: "a b c"} → one row per customer and period."""
    rows = [(c, p) for p, customers in spec.items() for c in customers.split()]
    return pd.DataFrame(rows, columns=["customer_id", "period"])


# P1: a b c d   P2: a b c e   P3: a b e f   P4: a e f
ACTIVITY = _activity({"P1": "a b c d", "P2": "a b c e", "P3": "a b e f", "P4": "a e f"})


def test_retention_churn_new_by_hand():
    t = retention_rates(ACTIVITY, k=2)
    assert list(t.columns) == ["period", "active", "previous_active", "retained", "churned", "new", "retention",
                               "churn", "loyal", "loyalty_denominator", "loyalty"]
    assert t["period"].tolist() == ["P1", "P2", "P3", "P4"]
    assert t["active"].tolist() == [4, 4, 4, 3]
    assert t["previous_active"].tolist()[1:] == [4, 4, 4] and pd.isna(t["previous_active"][0])
    assert t["retained"].tolist()[1:] == [3, 3, 3]      # abc; abe; aef
    assert t["churned"].tolist()[1:] == [1, 1, 1]       # d; c; b
    assert t["new"].tolist()[1:] == [1, 1, 0]           # e; f; –
    np.testing.assert_allclose(t["retention"], [np.nan, 0.75, 0.75, 0.75])
    np.testing.assert_allclose(t["churn"], [np.nan, 0.25, 0.25, 0.25])


def test_k_period_loyalty_window_and_current_bases():
    t = retention_rates(ACTIVITY, k=3)
    # P3: P1∩P2∩P3 = {a, b}; P1∪P2∪P3 = {a..f} → 2/6.  P4: P2∩P3∩P4 = {a, e}; P2∪P3∪P4 = {a,b,c,e,f} → 2/5
    assert t["loyal"].tolist()[2:] == [2, 2] and t["loyal"][:2].isna().all()
    assert t["loyalty_denominator"].tolist()[2:] == [6, 5]
    np.testing.assert_allclose(t["loyalty"], [np.nan, np.nan, 2 / 6, 2 / 5])
    c = retention_rates(ACTIVITY, k=3, loyalty_base="current")
    assert c["loyalty_denominator"].tolist()[2:] == [4, 3]
    np.testing.assert_allclose(c["loyalty"], [np.nan, np.nan, 2 / 4, 2 / 3])
    # k = 4: all four periods: {a} of {a..f}
    np.testing.assert_allclose(retention_rates(ACTIVITY, k=4)["loyalty"], [np.nan] * 3 + [1 / 6])
    # k = 1: everybody active now is "loyal"
    np.testing.assert_allclose(retention_rates(ACTIVITY, k=1)["loyalty"], [1.0] * 4)


def test_repeated_rows_count_once_and_empty_rows_are_skipped():
    doubled = pd.concat([ACTIVITY, ACTIVITY.iloc[:5], pd.DataFrame({"customer_id": [None], "period": [""]})],
                        ignore_index=True)
    pd.testing.assert_frame_equal(retention_rates(doubled, k=2), retention_rates(ACTIVITY, k=2))


def test_natural_order_of_periods():
    frame = _activity({"2026-Q10": "a", "2026-Q2": "a b", "2025-Q4": "a b c"})
    t = retention_rates(frame, k=2)
    assert t["period"].tolist() == ["2025-Q4", "2026-Q2", "2026-Q10"]
    np.testing.assert_allclose(t["retention"], [np.nan, 2 / 3, 1 / 2])
    assert period_order(["第10期", "第2期", "第1期"]) == ["第1期", "第2期", "第10期"]


def test_dates_and_numbers_by_value():
    dates = pd.DataFrame({"c": ["a", "a", "b", "b"], "month": [
        pd.Timestamp("2026-10-01"), pd.Timestamp("2026-02-01"), dt.date(2026, 2, 1), pd.Timestamp("2025-12-01")]})
    t = retention_rates(dates, customer="c", period="month", k=2)
    assert t["period"].tolist() == ["2025-12-01", "2026-02-01", "2026-10-01"]
    assert t["active"].tolist() == [1, 2, 1]
    numbers = pd.DataFrame({"c": ["a", "b", "a"], "year": [2025.0, 2024, 10000]})
    assert retention_rates(numbers, customer="c", period="year")["period"].tolist() == ["2024", "2025", "10000"]


def test_periods_given_include_periods_without_activity():
    frame = _activity({"M1": "a b", "M3": "a"})
    t = retention_rates(frame, k=2, periods=["M1", "M2", "M3"])
    assert t["active"].tolist() == [2, 0, 1]
    np.testing.assert_allclose(t["retention"], [np.nan, 0.0, np.nan])  # M3: nobody was active in M2
    np.testing.assert_allclose(t["loyalty"], [np.nan, 0.0, 0.0])
    with pytest.raises(DataValidationError, match="not in the periods given"):
        retention_rates(frame, periods=["M1", "M2"])


def test_activity_errors_are_listed():
    frame = pd.DataFrame({"customer_id": ["a", None, "b", "c"], "period": ["P1", "P1", "", "P2"]})
    with pytest.raises(DataValidationError) as info:
        retention_rates(frame)
    cases = info.value.failure_cases
    assert cases["row"].tolist() == [3, 4]
    assert cases["problem"].tolist() == ["empty customer id", "empty period"]
    with pytest.raises(InputFileError, match="'customer'"):
        retention_rates(frame, customer="customer")
    with pytest.raises(SettingsError, match="loyalty_base"):
        retention_rates(frame, loyalty_base="all")
    with pytest.raises(SettingsError, match="k must"):
        retention_rates(frame, k=0)
    with pytest.raises(InputFileError, match="no activity"):
        retention_rates(pd.DataFrame({"customer_id": [None], "period": [None]}))


def test_the_retention_example():
    t = retention_rates(read_table(EXAMPLES / "methods" / "retention_orders.csv"),
                        customer="retailer_id", period="quarter", k=4)
    assert t["period"].tolist() == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    ok = t["retention"].notna()
    np.testing.assert_allclose(t.loc[ok, "retention"], t.loc[ok, "retained"] / t.loc[ok, "previous_active"])
    assert (t.loc[ok, "retained"] + t.loc[ok, "churned"] == t.loc[ok, "previous_active"]).all()
    assert (t.loc[ok, "retained"] + t.loc[ok, "new"] == t.loc[ok, "active"]).all()
    assert t["loyalty"].notna().tolist() == [False] * 3 + [True] * 3


# ---------------------------------------------------------------------- care programme
def _care(changes_reached, changes_not, before=70.0):
    r, n = np.asarray(changes_reached, float), np.asarray(changes_not, float)
    return pd.DataFrame({
        "reached": ["yes"] * r.size + ["no"] * n.size,
        "before": before + np.arange(r.size + n.size) % 5,
        "after": np.concatenate([before + np.arange(r.size) % 5 + r, before + np.arange(r.size, r.size + n.size) % 5 + n]),
    })


def test_did_on_a_constructed_case():
    # reached changes 5 ± 1, 5 ± 2; not reached 1 ± 1, 1 ± 3 → DiD = 4 exactly
    e = care_effect(_care([4, 6, 3, 7], [0, 2, -2, 4]))
    assert e.estimate == pytest.approx(4.0)
    g = e.groups.set_index("group")
    assert g.loc["reached", "n"] == 4 and g.loc["not_reached", "n"] == 4
    assert g.loc["reached", "change"] == pytest.approx(5.0) and g.loc["not_reached", "change"] == pytest.approx(1.0)
    assert (g["after_mean"] - g["before_mean"]).tolist() == pytest.approx(g["change"].tolist())
    # Welch: s²_R = 10/3, s²_N = 20/3 → SE = √((10/3 + 20/3)/4) = √2.5
    row = e.effect.iloc[0]
    assert row["std_err"] == pytest.approx(np.sqrt(2.5))
    df = 2.5**2 / ((10 / 12) ** 2 / 3 + (20 / 12) ** 2 / 3)
    assert row["df"] == pytest.approx(df)
    q = stats.t.ppf(0.975, df)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((4 - q * np.sqrt(2.5), 4 + q * np.sqrt(2.5)))
    assert (row["n_reached"], row["n_not_reached"], row["level"]) == (4, 4, 0.95)


def test_did_matches_scipy_welch_test():
    rng = np.random.default_rng(5)
    x, y = rng.normal(3, 2, 23), rng.normal(0, 4, 31)
    row = care_effect(_care(x, y), level=0.9).effect.iloc[0]
    ref = stats.ttest_ind(x, y, equal_var=False)
    ci = ref.confidence_interval(0.9)
    assert row["t_value"] == pytest.approx(ref.statistic)
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert row["df"] == pytest.approx(ref.df)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((ci.low, ci.high))


def test_interval_coverage_sanity():
    rng = np.random.default_rng(20260712)
    effect, hits, reps = 3.0, 0, 400
    for _ in range(reps):
        n = 30
        before = rng.normal(70, 10, 2 * n)
        reached = np.repeat([1, 0], n)
        # a common trend of +2, the effect for the reached, unequal noise (Welch's case)
        after = before + 2 + effect * reached + rng.normal(0, np.where(reached == 1, 6, 3))
        frame = pd.DataFrame({"g": reached, "b": before, "a": after})
        row = care_effect(frame, reached="g", before="b", after="a").effect.iloc[0]
        hits += row["ci_lower"] <= effect <= row["ci_upper"]
    # 95 % nominal; with 400 replications the binomial sd is 1.1 points
    assert 0.91 <= hits / reps <= 0.985


def test_group_values_exclusions_and_errors():
    frame = pd.DataFrame({
        "id": ["K1", "K2", "K3", "K4", "K5", "K6", "K7"],
        "关怀": ["是", "是", "否", "否", "是", None, "否"],
        "前": [70, 60, 80, 75, 65, 70, None],
        "后": [75, 68, 81, 74, None, 72, 70],
    })
    e = care_effect(frame, reached="关怀", before="前", after="后", customer="id")
    assert e.excluded.values.tolist() == [[6, "K5", "no score after"], [7, "K6", "no group"], [8, "K7", "no score before"]]
    assert e.estimate == pytest.approx(6.5 - 0.0)
    # reached_values: listed values are "reached", any other value not
    frame2 = frame.assign(关怀=["A", "A", "B", "C", "A", None, "B"])
    assert care_effect(frame2, reached="关怀", before="前", after="后", reached_values=["A"]).estimate == pytest.approx(6.5)
    bad = frame.assign(关怀=["是", "maybe", "否", "否", "是", None, "否"], 前=[70, "n/a", 80, 75, 65, 70, None])
    with pytest.raises(DataValidationError) as info:
        care_effect(bad, reached="关怀", before="前", after="后", customer="id")
    assert info.value.failure_cases[["row", "respondent_id", "column"]].values.tolist() == [[3, "K2", "关怀"], [3, "K2", "前"]]
    with pytest.raises(InputFileError, match="at least 2"):
        care_effect(frame.iloc[:3], reached="关怀", before="前", after="后")
    with pytest.raises(InputFileError, match="'satisfaction_after'"):
        care_effect(frame, reached="关怀", before="前", after="satisfaction_after")


def test_no_variation_gives_an_exact_difference():
    e = care_effect(_care([5, 5, 5], [1, 1]))
    row = e.effect.iloc[0]
    assert row["estimate"] == pytest.approx(4.0) and row["std_err"] == 0.0
    assert row["ci_lower"] == row["ci_upper"] == pytest.approx(4.0) and np.isnan(row["p_value"])


def test_the_care_example():
    e = care_effect(read_table(EXAMPLES / "methods" / "retention_care.csv"), reached="是否关怀",
                    before="满意度_前", after="满意度_后", customer="retailer_id")
    row = e.effect.iloc[0]
    assert row["n_reached"] + row["n_not_reached"] + len(e.excluded) == 64
    assert row["ci_lower"] > 0  # the example programme has a clear effect (+6 points built in)
    g = e.groups.set_index("group")
    assert row["estimate"] == pytest.approx(g.loc["reached", "change"] - g.loc["not_reached", "change"])


def test_care_summary_and_writing(tmp_path):
    from csi_survey.report import write_retention

    care = care_effect(_care([4, 6, 3, 7], [0, 2, -2, 4]))
    text = str(care.summary())
    assert "Difference-in-differences" in text and "4.00" in text
    paths = write_retention(tmp_path, rates=retention_rates(ACTIVITY, k=2), care=care)
    assert [p.name for p in paths] == ["retention.csv", "care_effect.csv", "care_groups.csv", "care_excluded.csv"]
    back = pd.read_csv(tmp_path / "retention.csv", encoding="utf-8-sig")
    assert back["period"].tolist() == ["P1", "P2", "P3", "P4"] and back["retention"].isna().tolist() == [True] + [False] * 3
    with pytest.raises(SettingsError):
        write_retention(tmp_path)
