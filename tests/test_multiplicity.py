"""Holm and Benjamini–Hochberg adjustments, checked against their definitions and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from csi_survey.exceptions import SettingsError
from csi_survey.multiplicity import adjust_p_values


def test_holm_matches_r_p_adjust_on_a_worked_example():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.20), "holm") = 0.04 0.09 0.09 0.20
    assert adjust_p_values([0.01, 0.04, 0.03, 0.20], "holm") == pytest.approx([0.04, 0.09, 0.09, 0.20], abs=1e-15)


def test_bh_equals_scipy_false_discovery_control():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=40) ** 2
    assert adjust_p_values(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"), rel=1e-12)


def test_holm_is_monotone_never_below_the_raw_p_and_at_most_one():
    rng = np.random.default_rng(5)
    p = rng.uniform(size=25) ** 3
    adj = adjust_p_values(p, "holm")
    order = np.argsort(p)
    assert (np.diff(adj[order]) >= 0).all() and (adj >= p).all() and (adj <= 1).all()


def test_missing_p_values_stay_missing_and_leave_the_family():
    adj = adjust_p_values([0.01, np.nan, 0.5], "holm")
    assert adj[0] == pytest.approx(0.02) and np.isnan(adj[1]) and adj[2] == pytest.approx(0.5)
    assert adjust_p_values([0.3, 0.01], "none").tolist() == [0.3, 0.01]


def test_bad_method_or_p_value_is_refused():
    with pytest.raises(SettingsError, match="method must be one of"):
        adjust_p_values([0.1], "bonferroni")
    with pytest.raises(SettingsError, match="between 0 and 1"):
        adjust_p_values([1.5], "holm")
