"""Changes between waves: z test on independent bootstrap standard errors, Holm across segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csi_survey.changes import CHANGE_COLUMNS, index_changes
from csi_survey.exceptions import SettingsError
from csi_survey.multiplicity import adjust_p_values


def _history(rows):
    return pd.DataFrame(rows, columns=["wave", "segment", "construct", "index", "std_err", "n", "status"])


HISTORY = _history([
    ("Q1", "(total)", "SAT", 70.0, 0.5, 900, "estimated"),
    ("Q2", "(total)", "SAT", 71.5, 0.5, 900, "estimated"),
    ("Q1", "region=East", "SAT", 60.0, 1.0, 300, "estimated"),
    ("Q2", "region=East", "SAT", 64.0, 1.2, 300, "estimated"),
    ("Q1", "region=West", "SAT", 72.0, 1.0, 300, "estimated"),
    ("Q2", "region=West", "SAT", 72.5, 1.0, 300, "estimated"),
    ("Q1", "region=North", "SAT", 70.0, 1.0, 300, "estimated"),
    ("Q2", "region=North", "SAT", np.nan, np.nan, 20, "insufficient sample (n = 20 < min_n = 50)"),
    ("Q3", "region=North", "SAT", 75.0, 1.0, 300, "estimated"),
])


def test_change_interval_and_p_value_follow_the_two_sample_z_test():
    out = index_changes(HISTORY, ["Q1", "Q2", "Q3"])
    assert list(out.columns) == CHANGE_COLUMNS
    east = out[(out["segment"] == "region=East")].iloc[0]
    se = np.sqrt(1.0**2 + 1.2**2)
    assert east["change"] == pytest.approx(4.0, abs=1e-12)
    assert east["std_err"] == pytest.approx(se, rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert (east["ci_lower"], east["ci_upper"]) == pytest.approx((4.0 - z * se, 4.0 + z * se), rel=1e-12)
    assert east["p_value"] == pytest.approx(2 * stats.norm.sf(4.0 / se), rel=1e-10)


def test_holm_runs_across_the_segments_of_a_wave_and_the_total_stands_alone():
    out = index_changes(HISTORY, ["Q1", "Q2", "Q3"])
    q2 = out[(out["wave"] == "Q2") & (out["segment"] != "(total)")]
    assert set(q2["segment"]) == {"region=East", "region=West"}  # North has no index in Q2
    assert q2["p_adjusted"].to_numpy() == pytest.approx(adjust_p_values(q2["p_value"].to_numpy(), "holm"), rel=1e-12)
    total = out[out["segment"] == "(total)"].iloc[0]
    assert total["p_adjusted"] == total["p_value"]
    assert out["significant"].tolist() == (out["p_adjusted"] < 0.05).tolist()
    bh = index_changes(HISTORY, ["Q1", "Q2", "Q3"], correction="bh")
    assert (bh["p_adjusted"] <= out["p_adjusted"] + 1e-15).all()


def test_a_skipped_wave_is_stepped_over_and_named():
    out = index_changes(HISTORY, ["Q1", "Q2", "Q3"])
    north = out[out["segment"] == "region=North"]
    assert north[["wave", "previous_wave"]].values.tolist() == [["Q3", "Q1"]]
    assert north["change"].iloc[0] == pytest.approx(5.0)


def test_without_standard_errors_the_change_has_no_test():
    out = index_changes(HISTORY.assign(std_err=np.nan), ["Q1", "Q2", "Q3"])
    assert out["change"].notna().all() and out[["std_err", "ci_lower", "p_value", "p_adjusted"]].isna().all().all()
    assert not out["significant"].any()


def test_bad_settings_are_refused():
    with pytest.raises(SettingsError, match="correction must be one of"):
        index_changes(HISTORY, ["Q1", "Q2"], correction="bonferroni")
    with pytest.raises(SettingsError, match="std_err"):
        index_changes(HISTORY.drop(columns=["std_err"]), ["Q1", "Q2"])
