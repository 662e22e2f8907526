"""Segment and wave analysis: per-segment fits, permutation tests between segments, wave changes."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.drivers import impacts
from csi_survey.engine.pls import item_matrix
from csi_survey.exceptions import CsiSurveyWarning, IndexWarning, SettingsError, TooFewSegmentsError
from csi_survey.ingest.columns import natural_key
from csi_survey.multiplicity import adjust_p_values
from csi_survey.segments import (
    SEGMENT_DIFFERENCES_COLUMNS,
    SEGMENT_IMPACTS_COLUMNS,
    SEGMENT_INDEX_COLUMNS,
    SEGMENT_PATHS_COLUMNS,
    WAVE_CHANGES_COLUMNS,
    WAVE_INDEX_COLUMNS,
    _derived_seed,
    _group_estimates,
    _group_state,
    _permutation_masks,
    comparable_segments,
    derived_seed,
    segment_analysis,
    segment_differences,
    subset,
    wave_analysis,
)


REGIONS = ["East", "North", "South", "West"]


@pytest.fixture(scope="module")
def by_region(engine, data):
    return segment_analysis(engine, data, ["region", "channel"])


@pytest.fixture(scope="module")
def region_differences(engine, data):
    return segment_differences(engine, data, "region", permutations=1000, seed=5)


def with_other(data, **columns):
    return dataclasses.replace(data, other=data.other.assign(**columns))


# ---------------------------------------------------------------------- subset
def test_subset_keeps_every_per_respondent_part_aligned(data):
    assert data.imputed is not None  # the example has replaced missing answers
    mask = (data.other["region"] == "East").to_numpy()
    sub = subset(data, mask)
    pos = np.flatnonzero(mask)
    assert sub.n_used == mask.sum() == len(sub.other) == len(sub.respondent_id) == len(sub.row) == sub.imputed.shape[0]
    np.testing.assert_array_equal(sub.items.to_numpy(), data.items.to_numpy()[pos])
    np.testing.assert_array_equal(sub.imputed, data.imputed[pos])
    np.testing.assert_array_equal(sub.row, data.row[pos])
    assert list(sub.respondent_id) == list(data.respondent_id.iloc[pos])
    assert (sub.other["region"] == "East").all()
    assert list(sub.other["respondent_id"]) == list(sub.respondent_id)
    for frame in (sub.items, sub.other):
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    assert list(sub.items.columns) == list(data.items.columns)
    # the file's accounting is context: kept as read
    assert sub.excluded is data.excluded and sub.missing is data.missing and sub.n_read == data.n_read
    assert sub.questionnaire is data.questionnaire
    pd.testing.assert_frame_equal(sub.answers, data.answers.iloc[pos].reset_index(drop=True))
    # a pandas mask works too; wrong shapes and types are refused
    assert subset(data, data.other["region"] == "East").n_used == sub.n_used
    with pytest.raises(SettingsError, match="one entry per used respondent"):
        subset(data, mask[:-1])
    with pytest.raises(SettingsError, match="boolean"):
        subset(data, mask.astype(int))


# ---------------------------------------------------------------------- segment_analysis
def test_region_index_table_has_the_total_and_every_region(by_region, data):
    idx = by_region.index
    assert list(idx.columns) == SEGMENT_INDEX_COLUMNS
    assert list(by_region.paths.columns) == SEGMENT_PATHS_COLUMNS
    assert list(by_region.impacts.columns) == SEGMENT_IMPACTS_COLUMNS
    rows = idx[["segment_column", "segment"]].drop_duplicates()
    assert list(map(tuple, rows.to_numpy())) == [("", "(total)")] + [("region", r) for r in REGIONS] + [
        ("channel", "in-store"), ("channel", "online")]
    assert (idx["status"] == "estimated").all()
    assert idx["ci_lower"].isna().all() and idx["ci_upper"].isna().all()  # no bootstrap asked
    sat = idx[idx["construct"] == "SAT"].set_index("segment")
    assert sat.loc["(total)", "n"] == data.n_used
    assert sat.loc[REGIONS, "n"].sum() == data.n_used
    east = sat.loc["East", "index"]
    for region in ["North", "South", "West"]:
        assert sat.loc[region, "index"] - east > 8  # East is clearly less satisfied
    assert sat.loc["(total)", "label"] == "Customer satisfaction"
    assert set(by_region.fits) == {("", "(total)")} | {("region", r) for r in REGIONS} | {
        ("channel", "in-store"), ("channel", "online")}


def test_segment_fit_equals_a_fit_on_the_subset(by_region, engine, data):
    mask = (data.other["region"] == "East").to_numpy()
    direct = engine.fit(subset(data, mask))
    fit = by_region.fits[("region", "East")]
    for name in ("index", "paths", "effects", "weights", "r2", "scores_100"):
        pd.testing.assert_frame_equal(getattr(fit, name), getattr(direct, name))
    pd.testing.assert_frame_equal(by_region.fits[("", "(total)")].paths, engine.fit(data).paths)
    seg = by_region.index.query("segment == 'East'")
    np.testing.assert_array_equal(seg["index"].to_numpy(), direct.index["index"].to_numpy())
    paths = by_region.paths.query("segment == 'East'")
    np.testing.assert_array_equal(paths["estimate"].to_numpy(), direct.paths["estimate"].to_numpy())
    imp = by_region.impacts.query("segment == 'East'").set_index(["target", "driver"])["impact"]
    ref = impacts(direct).set_index(["target", "driver"])["impact"]
    pd.testing.assert_series_equal(imp.sort_index(), ref.sort_index(), check_names=False)
    # every segment lists the same (target, driver) rows, in the order of the total
    total_rows = by_region.impacts.query("segment == '(total)'")[["target", "driver"]].to_numpy()
    np.testing.assert_array_equal(by_region.impacts.query("segment == 'East'")[["target", "driver"]].to_numpy(), total_rows)


def test_tiny_segment_is_listed_but_not_estimated(engine, data):
    tiny = np.where(np.arange(data.n_used) < 10, "pilot", "main")
    res = segment_analysis(engine, with_other(data, wave_type=tiny), "wave_type")
    idx = res.index.set_index(["segment", "construct"])
    assert idx.loc[("pilot", "SAT"), "status"] == "insufficient sample (n = 10 < 50)"
    assert idx.loc[("pilot", "SAT"), "n"] == 10
    assert idx.xs("pilot")["index"].isna().all()
    assert (idx.xs("main")["status"] == "estimated").all()
    assert ("wave_type", "pilot") not in res.fits and ("wave_type", "main") in res.fits
    for table, value in ((res.paths, "estimate"), (res.impacts, "impact")):
        pilot = table[table["segment"] == "pilot"]
        assert len(pilot) == len(table[table["segment"] == "main"]) > 0
        assert pilot[value].isna().all() and (pilot["status"] == "insufficient sample (n = 10 < 50)").all()
    # min_n is a setting
    res = segment_analysis(engine, with_other(data, wave_type=tiny), "wave_type", min_n=5)
    assert (res.index["status"] == "estimated").all()


def test_a_segment_that_cannot_be_estimated_is_reported_and_the_rest_is_estimated(engine, data):
    west = (data.other["region"] == "West").to_numpy()
    items = data.items.copy()
    items.loc[west, "sat_overall"] = 7.0  # one answer for every West respondent: zero variance
    broken = dataclasses.replace(data, items=items)
    res = segment_analysis(engine, broken, ["region"])
    status = res.index.drop_duplicates("segment").set_index("segment")["status"]
    assert status["West"].startswith("failed: item(s) with zero variance: sat_overall (every answer 7)")
    assert (status.drop("West") == "estimated").all()
    assert res.index.query("segment == 'West'")["index"].isna().all()
    assert res.paths.query("segment == 'West'")["status"].str.startswith("failed: ").all()
    assert ("region", "West") not in res.fits and ("region", "East") in res.fits
    # the other segments are still tested against each other
    diff = segment_differences(engine, broken, "region", permutations=20, seed=1)
    assert "West" not in set(diff["segment_a"]) | set(diff["segment_b"])
    assert len(diff.drop_duplicates(["segment_a", "segment_b"])) == 3
    with pytest.warns(CsiSurveyWarning, match="'West' failed: item"):
        diff = segment_differences(engine, broken, "region", pairs=[("East", "West"), ("East", "North")], permutations=20, seed=1)
    assert diff[["segment_a", "segment_b"]].drop_duplicates().to_numpy().tolist() == [["East", "North"]]


def test_bootstrap_intervals_per_segment_are_reproducible_per_segment(engine, data):
    a = segment_analysis(engine, data, ["channel"], resamples=50, seed=3)
    idx = a.index
    assert idx["ci_lower"].notna().all() and (idx["ci_lower"] <= idx["index"]).all() and (idx["index"] <= idx["ci_upper"]).all()
    assert a.paths["ci_upper"].notna().all() and a.seed == 3
    fit = a.fits[("channel", "online")]
    assert fit.bootstrap.resamples == 50
    # the online segment's stream depends on the seed and its label only, not on the other columns
    b = segment_analysis(engine, data, ["region", "channel"], resamples=50, seed=3)
    np.testing.assert_array_equal(fit.bootstrap.draws, b.fits[("channel", "online")].bootstrap.draws)
    assert a.fits[("channel", "online")].bootstrap.seed != a.fits[("channel", "in-store")].bootstrap.seed
    c = segment_analysis(engine, data, ["channel"], resamples=50, seed=4)
    assert not np.array_equal(fit.bootstrap.draws, c.fits[("channel", "online")].bootstrap.draws)


def test_segments_are_in_natural_order_with_missing_last(engine, data):
    labels = np.array(["Q10", "Q2", "q1", ""], dtype=object)[np.arange(data.n_used) % 4]
    res = segment_analysis(engine, with_other(data, quarter=labels), "quarter", min_n=50)
    assert list(res.index.drop_duplicates("segment")["segment"]) == ["(total)", "q1", "Q2", "Q10", "(missing)"]
    assert sorted(["2026-Q10", "2026-Q2", "2026-Q1", "2025-Q4"], key=natural_key) == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q10"]
    # numbers (and dates) order by value, not by their text
    numbers = np.array([10.0, 1.5, 1.25])[np.arange(data.n_used) % 3]
    res = segment_analysis(engine, with_other(data, score=numbers), "score")
    assert list(res.index.drop_duplicates("segment")["segment"]) == ["(total)", "1.25", "1.5", "10"]


def test_progress_and_settings(engine, data):
    calls = []
    segment_analysis(engine, data, "channel", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(csi.CsiSurveyError, match="'nope'"):
        segment_analysis(engine, data, ["nope"])
    with pytest.raises(SettingsError, match="min_n"):
        segment_analysis(engine, data, ["region"], min_n=0)
    with pytest.raises(SettingsError, match="resamples"):
        segment_analysis(engine, data, ["region"], resamples=1)
    with pytest.raises(SettingsError, match="SurveyData"):
        segment_analysis(engine, data.items, ["region"])
    with pytest.raises(SettingsError, match="do not occur"):
        segment_differences(engine, data, "region", pairs=[("East", "Atlantis")])
    with pytest.raises(SettingsError, match="permutations"):
        segment_differences(engine, data, "region", permutations=0)


# ---------------------------------------------------------------------- segment_differences
def test_batched_permutation_estimates_equal_direct_refits(engine, data, by_region):
    """Each permuted group estimated in the batch equals PLS().fit() on that group (both groups)."""
    a_mask = (data.other["region"] == "East").to_numpy()
    b_mask = (data.other["region"] == "North").to_numpy()
    both = a_mask | b_mask
    X, _ = item_matrix(engine.model, data.items)
    state = _group_state(engine, by_region.fits[("region", "East")], X[both])
    rng = np.random.default_rng(_derived_seed(5, "region", "East", "North"))  # as segment_differences(seed=5)
    masks = _permutation_masks(rng, int(both.sum()), int(a_mask.sum()), 3)
    assert (masks.sum(axis=1) == a_mask.sum()).all()
    va, vb, ok = _group_estimates(state, masks)
    assert ok.all()
    from csi_survey.engine.resample import statistic_labels

    labels, _, _ = statistic_labels(by_region.fits[("region", "East")])
    key = pd.MultiIndex.from_frame(labels[["statistic", "source", "target"]])
    positions = np.flatnonzero(both)
    for r in (0, 2):
        for values, group in ((va[r], masks[r]), (vb[r], ~masks[r])):
            full = np.zeros(data.n_used, dtype=bool)
            full[positions[group]] = True
            refit = engine.fit(subset(data, full))
            got = pd.Series(values, index=key)
            for row in refit.paths.itertuples():
                assert got[("path", row.source, row.target)] == pytest.approx(row.estimate, abs=1e-10)
            for row in refit.index.itertuples():
                assert got[("index", row.construct, "")] == pytest.approx(row.index, abs=1e-10)
            for row in refit.weights.itertuples():
                assert got[("weight", row.construct, row.item)] == pytest.approx(row.weight, abs=1e-10)


def test_region_differences_table_and_the_east_gap(region_differences, by_region):
    diff = region_differences
    assert list(diff.columns) == SEGMENT_DIFFERENCES_COLUMNS
    pairs = diff[["segment_a", "segment_b"]].drop_duplicates().to_numpy().tolist()
    assert pairs == [["East", "North"], ["East", "South"], ["East", "West"], ["North", "South"], ["North", "West"], ["South", "West"]]
    assert (diff["method"] == "permutation").all() and (diff["segment_column"] == "region").all()
    assert set(diff["statistic"]) == {"index", "path"}
    one = diff[(diff["segment_a"] == "East") & (diff["segment_b"] == "North")]
    assert len(one) == 6 + 9  # 6 indices and 9 paths of the retail model
    np.testing.assert_allclose(diff["difference"], diff["value_b"] - diff["value_a"])
    idx = by_region.index.set_index(["segment", "construct"])["index"]
    sat = diff[(diff["statistic"] == "index") & (diff["source"] == "SAT")].set_index(["segment_a", "segment_b"])
    for other in ["North", "South", "West"]:
        row = sat.loc[("East", other)]
        assert row["value_a"] == idx[("East", "SAT")] and row["value_b"] == idx[(other, "SAT")]
        assert row["difference"] > 8 and row["p_value"] < 0.01  # East is significantly less satisfied
    assert diff["p_value"].between(1 / 1001, 1).all()
    paths = diff[diff["statistic"] == "path"]
    assert (paths["target"] != "").all() and (diff.loc[diff["statistic"] == "index", "target"] == "").all()


def test_east_versus_the_rest(engine, data):
    east = np.where(data.other["region"] == "East", "East", "other regions")
    diff = segment_differences(engine, with_other(data, east=east), "east", permutations=500, seed=9)
    sat = diff[(diff["statistic"] == "index") & (diff["source"] == "SAT")].iloc[0]
    assert (sat["segment_a"], sat["segment_b"]) == ("East", "other regions")
    assert sat["difference"] > 8 and sat["p_value"] == pytest.approx(1 / 501)


def test_permutation_p_values_are_roughly_uniform_for_random_halves(mobi):
    """Under the null (random halves of the same sample) the test rejects at about its nominal rate.

    20 random splits of mobi (seed 2026), 200 permutations each: 12 of 380 p values (7 of 140 for
    indices, 5 of 240 for paths) are below 0.05, mean p 0.50 — asserted: share below 0.10 and
    mean p between 0.4 and 0.6.
    """
    rng = np.random.default_rng(2026)
    frame = mobi.copy()
    for k in range(20):
        frame[f"split_{k}"] = np.where(rng.permutation(len(frame)) < len(frame) // 2, "a", "b")
    spec = csi.template("ecsi")
    data = csi.prepare(frame, spec)
    engine = csi.PLS(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        p = pd.concat([segment_differences(engine, data, f"split_{k}", permutations=200, seed=k) for k in range(20)])["p_value"]
    assert len(p) == 20 * (7 + 12)
    assert (p < 0.05).mean() < 0.10
    assert 0.4 < p.mean() < 0.6


def test_permutation_test_is_reproducible_and_pairs_restrict(engine, data, region_differences):
    again = segment_differences(engine, data, "region", permutations=1000, seed=5)
    pd.testing.assert_frame_equal(again, region_differences)
    assert again.attrs["seed"] == 5
    other = segment_differences(engine, data, "region", permutations=1000, seed=6)
    assert not np.array_equal(other["p_value"].to_numpy(), region_differences["p_value"].to_numpy())
    np.testing.assert_array_equal(other["difference"].to_numpy(), region_differences["difference"].to_numpy())
    # a pair's p values do not depend on which other pairs are tested (its adjusted p values do:
    # alone, the pair is a family of one)
    only = segment_differences(engine, data, "region", pairs=[("North", "West")], permutations=1000, seed=5)
    ref = region_differences[(region_differences["segment_a"] == "North") & (region_differences["segment_b"] == "West")]
    tested = SEGMENT_DIFFERENCES_COLUMNS[:-3]
    pd.testing.assert_frame_equal(only[tested], ref[tested].reset_index(drop=True))
    np.testing.assert_array_equal(only["p_adjusted"], only["p_value"])
    calls = []
    segment_differences(engine, data, "region", pairs=[("West", "East")], permutations=150, seed=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, 150), (150, 150)]


def test_p_values_are_adjusted_across_the_pairs_of_each_statistic(engine, data, region_differences):
    diff = region_differences
    assert list(diff.columns[:11]) == ["segment_column", "segment_a", "segment_b", "statistic", "source", "target",
                                       "value_a", "value_b", "difference", "p_value", "method"]  # unchanged, new ones appended
    assert (diff["correction"] == "holm").all() and diff.attrs["correction"] == "holm" and diff.attrs["level"] == 0.95
    assert (diff["p_adjusted"] >= diff["p_value"] - 1e-15).all() and diff["p_adjusted"].le(1).all()
    families = diff.groupby(["statistic", "source", "target"], sort=False)
    assert families.ngroups == 6 + 9 and (families.size() == 6).all()  # six pairs of four regions per statistic
    for _, family in families:
        np.testing.assert_allclose(family["p_adjusted"], adjust_p_values(family["p_value"].to_numpy(), "holm"))
    assert (diff["significant"] == (diff["p_adjusted"] < 0.05)).all()
    sat = diff[(diff["statistic"] == "index") & (diff["source"] == "SAT")].set_index(["segment_a", "segment_b"])
    assert sat.loc[[("East", r) for r in ["North", "South", "West"]], "significant"].all()  # still clear after Holm
    bh = segment_differences(engine, data, "region", permutations=1000, seed=5, correction="bh", level=0.9)
    np.testing.assert_array_equal(bh["p_value"], diff["p_value"])
    assert (bh["p_adjusted"] <= diff["p_adjusted"] + 1e-15).all()  # BH never adjusts more than Holm
    assert (bh["significant"] == (bh["p_adjusted"] < 0.10)).all() and (bh["correction"] == "bh").all()
    none = segment_differences(engine, data, "region", permutations=1000, seed=5, correction="NONE")
    np.testing.assert_array_equal(none["p_adjusted"], diff["p_value"])
    with pytest.raises(SettingsError, match="correction must be one of 'holm', 'bh', 'none'; got 'bonferroni'") as info:
        segment_differences(engine, data, "region", correction="bonferroni")
    assert "--correction holm|bh|none" in str(info.value)


def test_a_column_with_fewer_than_two_estimable_segments_raises(engine, data):
    tiny = np.where(np.arange(data.n_used) < 10, "pilot", "main")
    with pytest.raises(TooFewSegmentsError, match=r"column 'wave_type' has 1 segment\(s\) that can be estimated") as info:
        segment_differences(engine, with_other(data, wave_type=tiny), "wave_type", permutations=10)
    assert "How to fix: lower min_n (now 50" in str(info.value)
    assert list(info.value.segments.columns) == ["segment", "n", "status"]
    one = np.full(data.n_used, "all", dtype=object)
    with pytest.raises(TooFewSegmentsError, match="needs at least two"):
        comparable_segments(engine, with_other(data, single=one), "single")
    groups = comparable_segments(engine, with_other(data, wave_type=tiny), "wave_type", min_n=5)
    assert [(g.label, g.n, g.status) for g in groups] == [("main", data.n_used - 10, "estimated"), ("pilot", 10, "estimated")]
    assert groups[1].mask.sum() == 10 and groups[1].fit is not None
    assert derived_seed(5, "region", "East", "North") == _derived_seed(5, "region", "East", "North")


# ---------------------------------------------------------------------- waves
@pytest.fixture(scope="module")
def quarters(data):
    month = data.other["interview_date"].dt.month
    return month.map({7: "2026-Q1", 8: "2026-Q2", 9: "2026-Q10"}).to_numpy(dtype=object)


@pytest.fixture(scope="module")
def waves(engine, data, quarters):
    return wave_analysis(engine, with_other(data, quarter=quarters), "quarter", resamples=100, seed=11)


def test_waves_are_in_natural_order_with_intervals(waves, data, quarters):
    assert waves.order == ("2026-Q1", "2026-Q2", "2026-Q10")
    idx = waves.index
    assert list(idx.columns) == WAVE_INDEX_COLUMNS
    assert list(idx["wave"].drop_duplicates()) == list(waves.order)
    assert (idx["status"] == "estimated").all()
    n = idx.drop_duplicates("wave").set_index("wave")["n"]
    assert n.to_dict() == pd.Series(quarters).value_counts().to_dict()
    assert ((idx["ci_lower"] <= idx["index"]) & (idx["index"] <= idx["ci_upper"])).all()
    assert set(waves.fits) == set(waves.order) and waves.fits["2026-Q2"].bootstrap.resamples == 100


def test_wave_changes_are_differences_of_the_indices(waves):
    ch = waves.changes
    assert list(ch.columns) == WAVE_CHANGES_COLUMNS
    assert ch[["wave", "previous_wave"]].drop_duplicates().to_numpy().tolist() == [["2026-Q2", "2026-Q1"], ["2026-Q10", "2026-Q2"]]
    idx = waves.index.set_index(["wave", "construct"])["index"]
    for row in ch.itertuples():
        assert row.change == pytest.approx(idx[(row.wave, row.construct)] - idx[(row.previous_wave, row.construct)], abs=1e-12)
        assert row.ci_lower <= row.change <= row.ci_upper
    # the interval is the percentile interval of the paired draw differences
    a, b = waves.fits["2026-Q1"].bootstrap, waves.fits["2026-Q2"].bootstrap
    col = lambda info: info.estimates.index[(info.estimates["statistic"] == "index") & (info.estimates["source"] == "SAT")][0]
    B = min(a.used, b.used)
    d = b.draws[:B, col(b)] - a.draws[:B, col(a)]
    sat = ch[(ch["wave"] == "2026-Q2") & (ch["construct"] == "SAT")].iloc[0]
    assert (sat["ci_lower"], sat["ci_upper"]) == pytest.approx(tuple(np.quantile(d, [0.025, 0.975])), abs=1e-12)


def test_wave_order_small_waves_and_date_columns(engine, data, quarters):
    d = with_other(data, quarter=quarters)
    explicit = wave_analysis(engine, d, "quarter", order=["2026-Q10", "2026-Q2", "2026-Q1"], resamples=0)
    assert explicit.order == ("2026-Q10", "2026-Q2", "2026-Q1")
    assert explicit.changes["previous_wave"].drop_duplicates().tolist() == ["2026-Q10", "2026-Q2"]
    assert explicit.changes["ci_lower"].isna().all() and explicit.changes["change"].notna().all()
    with pytest.raises(SettingsError, match="'2026-Q10'"):
        wave_analysis(engine, d, "quarter", order=["2026-Q1", "2026-Q2"], resamples=0)
    # a wave below min_n is listed and skipped: the next wave is compared with the last estimated one
    small = quarters.copy()
    q2 = np.flatnonzero(small == "2026-Q2")
    small[q2[20:]] = "2026-Q1"
    res = wave_analysis(engine, with_other(data, quarter=small), "quarter", resamples=0)
    status = res.index.drop_duplicates("wave").set_index("wave")["status"]
    assert status["2026-Q2"] == "insufficient sample (n = 20 < 50)"
    assert res.changes[["wave", "previous_wave"]].drop_duplicates().to_numpy().tolist() == [["2026-Q10", "2026-Q1"]]
    # dates order by value
    month_start = data.other["interview_date"].dt.to_period("M").dt.to_timestamp()
    res = wave_analysis(engine, with_other(data, month=month_start), "month", resamples=0)
    assert res.order == ("2026-07-01", "2026-08-01", "2026-09-01")


def test_permutations_that_cannot_be_estimated_are_left_out(engine, data, region_differences):
    used = region_differences.attrs["permutations_used"]
    assert set(used) == {tuple(p) for p in region_differences[["segment_a", "segment_b"]].drop_duplicates().to_numpy()}
    assert all(900 < u <= 1000 for u in used.values())
    # p = (1 + extreme) / (1 + used): its denominator is the number used
    for (a, b), u in used.items():
        p = region_differences[(region_differences["segment_a"] == a) & (region_differences["segment_b"] == b)]["p_value"]
        np.testing.assert_allclose(np.round(p * (1 + u)), p * (1 + u), atol=1e-9)
