"""Sampling plan: sample sizes (index, NPS), allocation with largest-remainder rounding, fieldwork control."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError
from csi_survey.ingest import read_table
from csi_survey.methods import (
    allocate_proportional,
    allocate_quota,
    fieldwork_status,
    index_sample_size,
    nps_sample_size,
    sampling_plan,
    stratum_sizes,
)
from csi_survey.methods.sampling import z_value

from .conftest import EXAMPLES

Z95 = 1.959963984540054


def test_index_sd20_margin2_gives_385():
    row = index_sample_size(2.0).iloc[0]
    assert row["z"] == pytest.approx(Z95)
    assert row["n0"] == pytest.approx((Z95 * 20 / 2) ** 2)  # 384.146
    assert row["n0"] == pytest.approx(384.1459, abs=1e-4)
    assert (row["n_without_fpc"], row["n"], row["sd"], row["sd_source"]) == (385, 385, 20.0, "default")
    assert pd.isna(row["population"])


def test_finite_population_correction_110_clients():
    row = index_sample_size(2.0, population=110).iloc[0]
    n0 = (Z95 * 10) ** 2
    assert n0 / (1 + (n0 - 1) / 110) == pytest.approx(85.686, abs=1e-3)
    assert (row["n_without_fpc"], row["n"], row["population"]) == (385, 86, 110)


def test_fpc_never_exceeds_the_population_and_tiny_populations():
    assert index_sample_size(0.1, population=40).loc[0, "n"] == 40
    assert index_sample_size(50.0, population=1).loc[0, "n"] == 1


def test_pilot_sd_and_other_levels():
    pilot = [60, 70, 80, 90, 100]  # sd = 15.811
    row = index_sample_size(3.0, pilot=pilot, level=0.90).iloc[0]
    assert row["sd"] == pytest.approx(np.std(pilot, ddof=1))
    assert row["z"] == pytest.approx(1.6448536)
    assert row["n"] == math.ceil((1.6448536 * 15.8113883 / 3) ** 2)  # 75.15 → 76
    assert row["n"] == 76 and row["sd_source"] == "pilot (n = 5)"
    assert index_sample_size(2.0, sd=10).loc[0, "n"] == 97  # 96.04 → 97


def test_whole_number_n0_is_not_rounded_up_by_floating_point():
    # sd = 10/z, E = 0.5 → n0 = (10/0.5)² = 400 exactly (up to rounding error)
    assert index_sample_size(0.5, sd=10 / Z95).loc[0, "n"] == 400


def test_nps_worst_case_and_from_shares():
    row = nps_sample_size(5.0).iloc[0]
    assert row["sd"] == 100.0 and row["sd_source"] == "worst case"
    assert row["n0"] == pytest.approx(Z95**2 * 1 / 0.05**2)  # 1536.58
    assert row["n"] == 1537
    # p = .5, d = .2: var = .7 − .09 = .61; E = 5 points → 3.8415 × .61 / .0025 = 937.3 → 938
    row = nps_sample_size(5.0, promoters=0.5, detractors=0.2).iloc[0]
    assert row["sd"] == pytest.approx(100 * math.sqrt(0.61))
    assert row["n0"] == pytest.approx(Z95**2 * 0.61 / 0.0025)
    assert row["n"] == 938
    # with N = 110
    assert nps_sample_size(10.0, population=110).loc[0, "n"] == math.ceil(
        (Z95**2 / 0.01) / (1 + (Z95**2 / 0.01 - 1) / 110))


def test_nps_from_pilot_answers():
    answers = [10, 9, 9, 8, 7, 6, 3, 10, "x", None]  # 8 valid: p = 4/8 (9–10), d = 2/8 (0–6)
    row = nps_sample_size(10.0, pilot=answers).iloc[0]
    var = 0.5 + 0.25 - 0.25**2
    assert row["sd"] == pytest.approx(100 * math.sqrt(var))
    assert row["n"] == math.ceil(Z95**2 * var / 0.01)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: index_sample_size(0), "margin"),
        (lambda: index_sample_size(2, level=1.2), "level"),
        (lambda: index_sample_size(2, sd=5, pilot=[1, 2]), "either"),
        (lambda: index_sample_size(2, pilot=[3]), "at least 2"),
        (lambda: index_sample_size(2, population=0), "population"),
        (lambda: nps_sample_size(5, promoters=0.7, detractors=0.5), "sum"),
        (lambda: nps_sample_size(5, promoters=0.7), "both"),
        (lambda: nps_sample_size(5, promoters=1.0, detractors=0.0), "variance of 0"),
    ],
)
def test_settings_errors(call, message):
    with pytest.raises(SettingsError, match=message):
        call()


def test_z_value():
    assert z_value(0.95) == pytest.approx(Z95)
    assert z_value(0.99) == pytest.approx(2.5758293)


# ---------------------------------------------------------------------- allocation
def test_105_5_proportional_allocation():
    a = allocate_proportional(50, {"chain A": 105, "chain B": 5})
    assert list(a.columns) == ["stratum", "population", "target_share", "exact", "planned", "sampling_fraction"]
    # 50 × 105/110 = 47.727, 50 × 5/110 = 2.273 → floors 47 + 2 = 49; the larger remainder (.727) gets the last one
    np.testing.assert_allclose(a["exact"], [47.7272727, 2.2727273])
    assert a["planned"].tolist() == [48, 2]
    np.testing.assert_allclose(a["sampling_fraction"], [48 / 105, 2 / 5])
    # n = 86 (the fpc sample size of 110 clients): 82.09 / 3.909 → 82 + 3 = 85 → chain B (.909) gets the 86th
    assert allocate_proportional(86, {"chain A": 105, "chain B": 5})["planned"].tolist() == [82, 4]
    # a census
    assert allocate_proportional(110, {"chain A": 105, "chain B": 5})["planned"].tolist() == [105, 5]


def test_minimum_per_stratum():
    assert allocate_proportional(50, {"A": 105, "B": 5}, minimum=5)["planned"].tolist() == [45, 5]
    # the floor is capped at the stratum size
    assert allocate_proportional(50, {"A": 100, "B": 2}, minimum=5)["planned"].tolist() == [48, 2]
    # iterative: B (0.985) and C (0.493) are raised to 3, A gets the rest
    a = allocate_proportional(100, {"A": 1000, "B": 10, "C": 5}, minimum=3)
    assert a["planned"].tolist() == [94, 3, 3]
    assert a["exact"].tolist() == [94.0, 3.0, 3.0]
    # raising one stratum can push another below the floor
    a = allocate_proportional(20, {"A": 60, "B": 30, "C": 6, "D": 4}, minimum=3)
    # first pass: 12, 6, 1.2, 0.8 → C, D fixed at 3; 14 left for A, B: 9.333, 4.667 → 9 + 5
    assert a["planned"].tolist() == [9, 5, 3, 3]


def test_rounding_keeps_the_total_and_ties():
    # 20, 17.5, 12.5 → 20 + 17 + 12 = 49; tie of .5 remainders → the larger cell (35 %) gets the 50th
    q = allocate_quota(50, {"城区": 40, "近郊": 35, "远郊": 25})
    assert q["planned"].tolist() == [20, 18, 12]
    np.testing.assert_allclose(q["target_share"], [0.4, 0.35, 0.25])
    # equal shares: ties in size too → order given
    assert allocate_quota(100, {"北": 1, "南": 1, "西": 1})["planned"].tolist() == [34, 33, 33]
    assert allocate_quota(10, {"a": 0.5, "b": 0.5, "c": 0}, minimum=2)["planned"].tolist() == [5, 5, 0]


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=8).filter(lambda s: sum(s) > 0),
    frac=st.floats(min_value=0.0, max_value=1.0),
)
def test_property_planned_sums_to_n_and_is_a_quota_rounding(sizes, frac):
    total = sum(sizes)
    n = max(1, round(frac * total))
    a = allocate_proportional(n, {f"s{k}": v for k, v in enumerate(sizes)})
    planned = a["planned"].to_numpy()
    assert planned.sum() == n
    exact = n * np.asarray(sizes) / total
    assert np.all(planned >= np.floor(exact - 1e-9)) and np.all(planned <= np.ceil(exact + 1e-9))
    assert np.all(planned <= np.asarray(sizes))


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=6),
    minimum=st.integers(min_value=0, max_value=10),
    frac=st.floats(min_value=0.0, max_value=1.0),
)
def test_property_minimum_respected(sizes, minimum, frac):
    total = sum(sizes)
    floor = sum(min(minimum, s) for s in sizes)
    n = max(1, floor, round(frac * total))
    a = allocate_proportional(n, {f"s{k}": v for k, v in enumerate(sizes)}, minimum=minimum)
    planned = a["planned"].to_numpy()
    assert planned.sum() == n
    assert np.all(planned >= np.minimum(minimum, sizes)) and np.all(planned <= np.asarray(sizes))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: allocate_proportional(120, {"A": 105, "B": 5}), "exceeds the population"),
        (lambda: allocate_proportional(8, {"A": 105, "B": 5}, minimum=5), "minimum"),
        (lambda: allocate_proportional(10, {"A": 10.5}), "whole number"),
        (lambda: allocate_proportional(0, {"A": 10}), "n must be"),
        (lambda: allocate_quota(10, {"A": -1, "B": 2}), "share"),
        (lambda: allocate_quota(10, {}), "no stratum"),
    ],
)
def test_allocation_errors(call, message):
    with pytest.raises(SettingsError, match=message):
        call()


def test_stratum_sizes_from_a_client_list():
    frame = pd.DataFrame({"chain": ["Q10", "Q2", "Q2", " Q10 ", "Q1"]})
    s = stratum_sizes(frame, "chain")
    assert s.index.tolist() == ["Q1", "Q2", "Q10"] and s.tolist() == [1, 2, 2]
    with pytest.raises(DataValidationError) as info:
        stratum_sizes(pd.DataFrame({"chain": ["A", None, "B", ""]}), "chain")
    assert info.value.failure_cases["row"].tolist() == [3, 5]
    with pytest.raises(InputFileError, match="'chian'"):
        stratum_sizes(frame, "chian")


# ---------------------------------------------------------------------- fieldwork
def test_fieldwork_status_achieved_vs_planned():
    plan = allocate_proportional(86, {"chain A": 105, "chain B": 5})  # 82 / 4
    responses = pd.DataFrame({"chain": ["chain A"] * 80 + ["chain B"] * 4 + ["chain C"] + [None]})
    t = fieldwork_status(responses, plan, "chain")
    assert list(t.columns) == ["stratum", "planned", "achieved", "difference", "share_achieved", "status"]
    assert t["stratum"].tolist() == ["(total)", "chain A", "chain B", "chain C", "(missing)"]
    assert t["planned"].tolist() == [86, 82, 4, 0, 0]
    assert t["achieved"].tolist() == [86, 80, 4, 1, 1]
    assert t["difference"].tolist() == [0, -2, 0, 1, 1]
    assert t["status"].tolist() == ["met", "short", "met", "over", "over"]
    np.testing.assert_allclose(t["share_achieved"][:3], [1.0, 80 / 82, 1.0])
    assert t["share_achieved"][3:].isna().all()
    # a mapping as plan, a tolerance, a stratum with no interview yet
    t = fieldwork_status(pd.DataFrame({"s": [1, 1, 2.0]}), {"1": 3, "2": 1, "3": 2}, "s", tolerance=1)
    assert t["achieved"].tolist() == [3, 2, 1, 0]
    assert t["status"].tolist() == ["short", "met", "met", "short"]


def test_sampling_plan_and_the_example():
    clients = read_table(EXAMPLES / "methods" / "sampling_clients.csv")
    sizes = stratum_sizes(clients, "chain")
    assert sizes.sum() == 110 and sorted(sizes.tolist()) == [5, 105]
    pilot = read_table(EXAMPLES / "methods" / "sampling_pilot.csv").frame
    plan = sampling_plan(2.0, pilot=pilot["csi_score"], nps_margin=10.0, nps_pilot=pilot["nps_recommend"],
                         strata=sizes, minimum=5)
    assert plan.sample_size["statistic"].tolist() == ["index", "nps"]
    assert (plan.sample_size["population"] == 110).all()
    assert plan.n == plan.sample_size["n"].max() == 72
    assert dict(zip(plan.allocation["stratum"], plan.allocation["planned"])) == {"惠民便利": 67, "康泰药房": 5}
    t = fieldwork_status(read_table(EXAMPLES / "methods" / "sampling_fieldwork.csv"), plan.allocation, "chain")
    assert dict(zip(t["stratum"], t["status"])) == {"(total)": "met", "康泰药房": "short", "惠民便利": "over"}


def test_sampling_plan_options():
    plan = sampling_plan(2.0, population=110)
    assert plan.n == 86 and plan.allocation.empty
    plan = sampling_plan(n=50, quotas={"北": 0.5, "南": 0.5})
    assert plan.sample_size.empty and plan.allocation["planned"].tolist() == [25, 25]
    with pytest.raises(SettingsError, match="differs"):
        sampling_plan(2.0, population=100, strata={"A": 105, "B": 5})
    with pytest.raises(SettingsError, match="margin"):
        sampling_plan()
    with pytest.raises(SettingsError, match="not both"):
        sampling_plan(2.0, strata={"A": 1}, quotas={"A": 1})


def test_plan_summary_and_writing(tmp_path):
    from csi_survey.report import write_plan

    plan = sampling_plan(2.0, strata={"A": 105, "B": 5})
    text = str(plan.summary())
    assert "Sampling plan" in text and "86" in text and "Allocation" in text
    status = fieldwork_status(pd.DataFrame({"chain": ["A"] * 82 + ["B"] * 3}), plan.allocation, "chain")
    paths = write_plan(plan, tmp_path, fieldwork=status)
    assert [p.name for p in paths] == ["sample_size.csv", "allocation.csv", "fieldwork.csv"]
    back = pd.read_csv(tmp_path / "allocation.csv", encoding="utf-8-sig")
    assert back["planned"].tolist() == [82, 4]
    assert pd.read_csv(tmp_path / "fieldwork.csv")["status"].tolist() == ["short", "met", "short"]


def test_pilot_values():
    from csi_survey.methods import pilot_values

    pilot = read_table(EXAMPLES / "methods" / "sampling_pilot.csv")
    scores = pilot_values(pilot, "CSI_score ")
    assert scores.name == "CSI_score " and len(scores) == 24
    assert index_sample_size(2.0, pilot=scores).loc[0, "sd_source"] == "pilot (n = 24)"
    with pytest.raises(InputFileError, match="closest: 'csi_score'"):
        pilot_values(pilot, "csi_scores")
