"""The omnibus permutation test across all segments of a column."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
import csi_survey.omnibus as omnibus
from csi_survey.exceptions import IndexWarning, SettingsError, TooFewSegmentsError
from csi_survey.omnibus import SEGMENT_OMNIBUS_COLUMNS, between_variance, segment_omnibus
from csi_survey.segments import segment_analysis, segment_differences


REGIONS = ["East", "North", "South", "West"]


@pytest.fixture(scope="module")
def regions(engine, data):
    return segment_omnibus(engine, data, "region", permutations=1000, seed=5)


def with_other(data, **columns):
    return dataclasses.replace(data, other=data.other.assign(**columns))


def test_region_table_and_the_satisfaction_gap(regions, engine, data):
    t = regions
    assert list(t.columns) == SEGMENT_OMNIBUS_COLUMNS
    assert len(t) == 6 + 9  # every index, then every path of the retail model
    assert list(t["statistic"]) == ["index"] * 6 + ["path"] * 9
    assert (t["segment_column"] == "region").all() and (t["method"] == "permutation").all()
    assert (t["segments"] == 4).all() and (t["n"] == data.n_used).all()
    assert t.attrs["segments"] == REGIONS and t.attrs["seed"] == 5 and 900 < t.attrs["permutations_used"] <= 1000
    sat = t[(t["statistic"] == "index") & (t["source"] == "SAT")].iloc[0]
    assert sat["p_value"] == pytest.approx(1 / (1 + t.attrs["permutations_used"]))  # East is clearly less satisfied
    assert sat["significant"] and sat["value_max"] - sat["value_min"] > 8
    assert t["p_value"].between(1 / 1001, 1).all()
    assert (t["significant"] == (t["p_value"] < 0.05)).all()


def test_dispersion_is_the_weighted_variance_of_the_segment_estimates(regions, engine, data):
    seg = segment_analysis(engine, data, "region")
    idx = seg.index[seg.index["segment_column"] == "region"]
    n = idx.drop_duplicates("segment").set_index("segment")["n"].reindex(REGIONS).to_numpy(dtype=float)
    share = n / n.sum()
    for row in regions[regions["statistic"] == "index"].itertuples():
        values = idx[idx["construct"] == row.source].set_index("segment")["index"].reindex(REGIONS).to_numpy()
        mean = share @ values
        assert row.dispersion == pytest.approx(share @ (values - mean) ** 2, rel=1e-9)
        assert (row.value_min, row.value_max) == pytest.approx((values.min(), values.max()), rel=1e-9)
    paths = seg.paths[seg.paths["segment_column"] == "region"]
    row = regions[(regions["statistic"] == "path") & (regions["source"] == "PQ") & (regions["target"] == "SAT")].iloc[0]
    values = paths[(paths["source"] == "PQ") & (paths["target"] == "SAT")].set_index("segment")["estimate"].reindex(REGIONS)
    assert row["dispersion"] == pytest.approx(between_variance(values.to_numpy()[:, None], share)[0], rel=1e-9)


def test_two_segments_give_the_pairwise_test(engine, data):
    """For k = 2, T = π_a π_b d²: the omnibus p value estimates the pairwise one (independent draws)."""
    omni = segment_omnibus(engine, data, "channel", permutations=1000, seed=3)
    pair = segment_differences(engine, data, "channel", permutations=1000, seed=3)
    n = data.other["channel"].value_counts()
    share = n.reindex(["in-store", "online"]).to_numpy() / n.sum()
    np.testing.assert_allclose(omni["dispersion"], share[0] * share[1] * pair["difference"] ** 2, rtol=1e-10)
    assert np.abs(omni["p_value"].to_numpy() - pair["p_value"].to_numpy()).max() < 0.06
    d = np.array([[1.0, 3.0]])  # two segments, one statistic: π_a π_b d²
    assert between_variance(d.T, np.array([0.25, 0.75]))[0] == pytest.approx(0.25 * 0.75 * 4)


def test_p_values_are_roughly_uniform_for_random_groups(mobi):
    """Under the null (three random thirds of mobi) the omnibus test rejects at about its nominal rate:
    10 random splits, 200 permutations each, 19 statistics each (190 p values)."""
    rng = np.random.default_rng(11)
    frame = mobi.copy()
    for k in range(10):
        frame[f"split_{k}"] = np.array(["a", "b", "c"])[rng.permutation(len(frame)) % 3]
    spec = csi.template("ecsi")
    data = csi.prepare(frame, spec)
    engine = csi.PLS(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        p = pd.concat([segment_omnibus(engine, data, f"split_{k}", permutations=200, seed=k) for k in range(10)])["p_value"]
    assert len(p) == 10 * (7 + 12)
    assert (p < 0.05).mean() < 0.10
    assert 0.4 < p.mean() < 0.6


def test_reproducible_and_independent_of_the_batch_size(engine, data, regions, monkeypatch):
    again = segment_omnibus(engine, data, "region", permutations=1000, seed=5)
    pd.testing.assert_frame_equal(again, regions)
    monkeypatch.setattr(omnibus, "ROWS_PER_BATCH", 7)  # one permutation (4 segments) per batch
    small = segment_omnibus(engine, data, "region", permutations=1000, seed=5)
    pd.testing.assert_frame_equal(small, regions)
    other = segment_omnibus(engine, data, "region", permutations=1000, seed=6)
    assert not np.array_equal(other["p_value"], regions["p_value"])
    np.testing.assert_allclose(other["dispersion"], regions["dispersion"], rtol=1e-9)
    calls = []
    monkeypatch.setattr(omnibus, "ROWS_PER_BATCH", 200)
    segment_omnibus(engine, data, "region", permutations=120, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(50, 120), (100, 120), (120, 120)]


def test_too_few_segments_and_bad_settings(engine, data):
    tiny = np.where(np.arange(data.n_used) < 10, "pilot", "main")
    with pytest.raises(TooFewSegmentsError, match="'wave_type' has 1 segment") as info:
        segment_omnibus(engine, with_other(data, wave_type=tiny), "wave_type", permutations=10)
    assert "lower min_n (now 50" in str(info.value)
    assert info.value.segments.set_index("segment").loc["pilot", "status"] == "insufficient sample (n = 10 < 50)"
    assert len(segment_omnibus(engine, with_other(data, wave_type=tiny), "wave_type", permutations=10, min_n=5, seed=1)) == 15
    with pytest.raises(SettingsError, match="permutations"):
        segment_omnibus(engine, data, "region", permutations=0)
    with pytest.raises(SettingsError, match="level"):
        segment_omnibus(engine, data, "region", level=1.5)
    with pytest.raises(SettingsError, match="seed"):
        segment_omnibus(engine, data, "region", seed=-1)
    with pytest.raises(csi.CsiSurveyError, match="'nope'"):
        segment_omnibus(engine, data, "nope")
