"""Survey design: the ``design:`` block, its data checks, the Rao–Wu bootstrap and re-raking.

Reference: ``../shared/data/clustered_survey.csv`` (1,285 respondents, 40 stores in 4 regions, design
weights) and R survey 4.1-1's results on it (``reference/survey_clustered_r.csv``): the linearization
SEs of ``svymean`` (with-replacement PSU variance) and the raked weights of ``rake``. Tolerances, as the
data README states them: deterministic numbers 1e-8 relative (raked weights 1e-6); replicate SEs within
10 % of the linearization SEs (the Monte-Carlo error of an SE from 2,000 replicates is about 1.6 %, and
Rao–Wu and linearization differ by O(1/n_h)). No assertion depends on timing or on summation order.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.engine.bootstrap import bootstrap
from csi_survey.exceptions import DataValidationError, SettingsError, SpecError
from csi_survey.ingest.design import jackknife_factors, jackknife_size, rao_wu_factors, replicate_weights, survey_design
from csi_survey.ingest.weights import rake_weights
from csi_survey.segments import subset
from csi_survey.survey_means import design_means

from .conftest import REFERENCE, SHARED, _read

ITEMS = ["exp1", "exp2", "qual1", "qual2", "qual3", "val1", "val2", "sat1", "sat2", "sat3"]
DESIGN = {"cluster": "store", "strata": "region"}
REGION_TOTALS = {"North": 120000, "South": 150000, "East": 90000, "West": 140000}
GENDER_TOTALS = {"F": 255000, "M": 245000}
RAKING = {"margins": {"region": {k: v / 500000 for k, v in REGION_TOTALS.items()},
                      "gender": {k: v / 500000 for k, v in GENDER_TOTALS.items()}}}
ACSI = {
    "name": "Clustered ACSI", "scale": {"min": 1, "max": 10}, "id_column": "resp_id", "index": "SAT",
    "constructs": {"EXP": {"items": ["exp1", "exp2"]}, "QUAL": {"items": ["qual1", "qual2", "qual3"]},
                   "VAL": {"items": ["val1", "val2"]}, "SAT": {"items": ["sat1", "sat2", "sat3"]}},
    "paths": [["EXP", "QUAL"], ["EXP", "VAL"], ["QUAL", "VAL"], ["EXP", "SAT"], ["QUAL", "SAT"], ["VAL", "SAT"]],
}


def csi_score(frame: pd.DataFrame) -> pd.Series:
    """The reference's fixed-weight index: (0.40 sat1 + 0.35 sat2 + 0.25 sat3 − 1)/9 × 100."""
    return (0.40 * frame["sat1"] + 0.35 * frame["sat2"] + 0.25 * frame["sat3"] - 1) / 9 * 100


def spec(**extra) -> csi.Questionnaire:
    return csi.Questionnaire.from_dict({**ACSI, **extra})


@pytest.fixture(scope="module")
def clustered() -> pd.DataFrame:
    return _read(SHARED / "clustered_survey.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _read(REFERENCE / "survey_clustered_r.csv")


def ref_values(reference: pd.DataFrame, quantity: str, to: str | None = None) -> pd.Series:
    rows = reference[reference["quantity"] == quantity]
    if to is not None:
        rows = rows[rows["to"] == to]
    return rows.set_index("from")["value"].astype(float)


@pytest.fixture(scope="module")
def weighted(clustered):
    q = spec(weights={"column": "weight"}, design=DESIGN)
    return q, csi.apply_weights(csi.prepare(clustered, q))


@pytest.fixture(scope="module")
def raked(clustered):
    q = spec(weights={"column": "weight", "raking": RAKING}, design=DESIGN)
    return q, csi.apply_weights(csi.prepare(clustered, q))


# ====================================================================== the spec
def test_the_design_block_is_validated_with_every_problem_at_once():
    base = {**ACSI, "weights": {"column": "weight"}}
    with pytest.raises(SpecError) as err:
        csi.Questionnaire.from_dict({**base, "design": {"clustr": "store"}})
    text = str(err.value)
    assert "unknown key 'clustr'; did you mean 'cluster'?" in text
    assert "declare design.cluster" in text  # both problems in one error
    with pytest.raises(SpecError) as err:
        csi.Questionnaire.from_dict({**base, "design": {"cluster": "region", "strata": "region"}})
    assert "names the cluster column 'region' too" in str(err.value)
    with pytest.raises(SpecError) as err:
        csi.Questionnaire.from_dict({**base, "design": {"cluster": "sat1"}})
    assert "is an item of construct 'SAT'" in str(err.value)
    q = csi.Questionnaire.from_dict({**base, "design": DESIGN})
    assert (q.design.cluster, q.design.strata) == ("store", "region")
    assert csi.Questionnaire.from_yaml(q.to_yaml()).design == q.design  # round-trips
    assert csi.Questionnaire.from_dict({**base, "design": {"strata": "region"}}).design.cluster is None


def test_weights_may_rake_the_weight_column():
    q = spec(weights={"column": "weight", "raking": RAKING})
    assert q.weights.column == "weight" and q.weights.raking is not None
    with pytest.raises(SpecError, match="declare weights.column, weights.raking or both"):
        spec(weights={})


# ====================================================================== data checks (one DataValidationError)
def _design_error(frame: pd.DataFrame, design: dict = DESIGN) -> pd.DataFrame:
    with pytest.raises(DataValidationError) as err:
        csi.prepare(frame, spec(design=design))
    assert "does not fit" in str(err.value) and "How to fix: 1." in str(err.value)
    return err.value.failure_cases


def test_a_missing_design_column_is_named_with_the_closest(clustered):
    cases = _design_error(clustered, {"cluster": "store_id", "strata": "region"})
    assert len(cases) == 1
    row = cases.iloc[0]
    assert row["column"] == "store_id" and row["row"] == ""
    assert "not in" in row["problem"] and "closest: 'store'" in row["problem"]


def test_empty_cluster_cells_are_listed_by_row(clustered):
    frame = clustered.copy()
    frame.loc[[3, 700], "store"] = np.nan
    cases = _design_error(frame)
    assert cases["row"].tolist() == [5, 702]  # the header is row 1, the first respondent row 2
    assert cases["respondent_id"].tolist() == ["4", "701"]
    assert set(cases["column"]) == {"store"} and cases["problem"].str.contains("empty cluster id").all()


def test_a_cluster_in_two_strata_is_reported(clustered):
    frame = clustered.copy()
    first_s02 = frame.index[frame["store"] == "S02"][0]
    frame.loc[first_s02, "region"] = "South"
    cases = _design_error(frame)
    assert set(cases["value"]) == {"S02"} and len(cases) == 2  # one row per stratum it occurs in
    assert cases["problem"].str.contains("occurs in 2 strata of 'region'").all()
    assert int(first_s02) + 2 in cases["row"].tolist()


def test_a_stratum_with_a_single_cluster_is_reported(clustered):
    frame = clustered[~clustered["store"].isin([f"S{k}" for k in range(32, 41)])]  # West keeps S31 only
    cases = _design_error(frame)
    assert len(cases) == 1
    row = cases.iloc[0]
    assert (row["column"], row["value"]) == ("region", "West")
    assert "only one cluster ('S31'" in row["problem"] and "at least two" in row["problem"]


def test_every_design_problem_comes_in_one_error(clustered):
    frame = clustered[~clustered["store"].isin([f"S{k}" for k in range(32, 41)])].copy()
    frame.loc[3, "store"] = ""
    frame.loc[frame.index[frame["store"] == "S02"][0], "region"] = "East"
    cases = _design_error(frame)
    problems = " | ".join(cases["problem"])
    assert "empty cluster id" in problems and "occurs in 2 strata" in problems and "stratum 'West' has only one" in problems


def test_read_responses_checks_the_design(clustered, tmp_path):
    path = tmp_path / "export.csv"
    frame = clustered.copy()
    frame.loc[10, "store"] = None
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as err:
        csi.read_responses(path, spec(design=DESIGN))
    assert err.value.failure_cases["row"].tolist() == [12] and "export.csv" in str(err.value)


# ====================================================================== the Rao–Wu factors
def test_rao_wu_factors_draw_n_minus_one_clusters_per_stratum(weighted):
    _, data = weighted
    design = survey_design(data)
    assert (design.n_clusters, design.n_strata, design.units_per_stratum.tolist()) == (40, 4, [10, 10, 10, 10])
    seeds = np.random.SeedSequence(3).spawn(400)
    F = rao_wu_factors(design, seeds)
    assert F.shape == (400, data.n_used)
    store = data.other["store"].to_numpy()
    region = data.other["region"].to_numpy()
    per_store = pd.DataFrame(F.T).groupby(store).first()        # one factor per store and replicate
    assert (pd.DataFrame(F.T).groupby(store).nunique() == 1).all().all()  # constant within a store
    times = per_store / (10 / 9)
    np.testing.assert_allclose(times, np.round(times), atol=1e-9)  # k × n_h/(n_h − 1)
    by_region = times.groupby(pd.Series(region, index=store).groupby(level=0).first()).sum()
    np.testing.assert_allclose(by_region, 9, atol=1e-9)  # n_h − 1 draws in every stratum
    assert abs(per_store.to_numpy().mean() - 1) < 0.02   # unbiased: E[a] = 1
    np.testing.assert_array_equal(F[17], rao_wu_factors(design, seeds[17:18])[0])  # one stream per replicate


def test_jackknife_factors_leave_one_cluster_out(weighted):
    _, data = weighted
    design = survey_design(data)
    J = jackknife_factors(design)
    assert J.shape == (jackknife_size(design), data.n_used) == (40, data.n_used)
    store = data.other["store"].to_numpy()
    assert all(len(set(store[J[r] == 0])) == 1 for r in range(40))
    np.testing.assert_array_equal(jackknife_factors(design, rows=range(5, 9)), J[5:9])


# ====================================================================== (a) weighted means against R survey
def test_replicate_means_agree_with_the_linearization_of_survey(weighted, reference):
    _, data = weighted
    values = data.items[ITEMS].assign(csi=csi_score(data.items))
    table = design_means(data, values, replicates=2000, seed=20241204).set_index("column")
    means = ref_values(reference, "svymean", "linearization")
    lin = ref_values(reference, "svymean_se", "linearization")
    assert set(lin.index) == set(ITEMS) | {"csi"}
    np.testing.assert_allclose(table["mean"], means[table.index], rtol=1e-8)
    ratio = table["std_err"] / lin[table.index]
    assert ((ratio > 0.90) & (ratio < 1.10)).all(), ratio
    assert (table["replicates"] == 2000).all() and table.attrs["seed"] == 20241204
    # clusters matter: the naive SE of the respondent-level weighted mean is far smaller
    w = data.weight
    naive = np.sqrt(np.cov(values["csi"], aweights=w) / (w.sum() ** 2 / (w**2).sum()))
    assert naive < 0.75 * table.loc["csi", "std_err"]


def test_replicate_means_are_reproducible_and_cover_raked_data(raked, reference):
    _, data = raked
    values = {"csi": csi_score(data.items).to_numpy()}
    a = design_means(data, values, replicates=2000, seed=5)
    b = design_means(data, values, replicates=2000, seed=5)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)  # same replicates (BLAS may change last bits)
    assert a.attrs["reraked"] is True
    assert a["mean"].item() == pytest.approx(ref_values(reference, "rake_margins_svymean")["csi"], rel=1e-8)
    se = ref_values(reference, "rake_margins_svymean_se")["csi"]
    assert 0.90 < a["std_err"].item() / se < 1.10


# ====================================================================== (b) the PLS pipeline with weights held fixed
def test_design_bootstrap_of_fixed_weight_indices_agrees_with_survey(clustered, reference):
    """Single-item constructs have a fixed outer weight (1), so their 0–100 index is the weighted
    mean on 0–100: sat1–sat3 and the reference's fixed-weight csi score (as a column)."""
    q = csi.Questionnaire.from_dict({
        "name": "fixed weights", "scale": {"min": 1, "max": 10}, "id_column": "resp_id", "index": "CSI",
        "constructs": {"S1": {"items": ["sat1"]}, "S2": {"items": ["sat2"]}, "S3": {"items": ["sat3"]},
                       "CSI": {"items": ["csi_score"]}},
        "weights": {"column": "weight"}, "design": DESIGN,
    })
    data = csi.apply_weights(csi.prepare(clustered.assign(csi_score=0.40 * clustered["sat1"] + 0.35 * clustered["sat2"]
                                                          + 0.25 * clustered["sat3"]), q))
    fit = csi.PLS(q).fit(data)
    boot = bootstrap(fit, data, resamples=2000, seed=11)
    info = boot.bootstrap
    assert (info.design, info.clusters, info.strata, info.reraked) == ("rao-wu", 40, 4, False)
    index = boot.index.set_index("construct")
    means = ref_values(reference, "svymean", "linearization")
    lin = ref_values(reference, "svymean_se", "linearization")
    expected = {"S1": "sat1", "S2": "sat2", "S3": "sat3"}
    for construct, item in expected.items():
        assert index.loc[construct, "index"] == pytest.approx((means[item] - 1) / 9 * 100, rel=1e-8)
        assert 0.90 < index.loc[construct, "std_err"] / (lin[item] * 100 / 9) < 1.10
    assert index.loc["CSI", "index"] == pytest.approx(means["csi"], rel=1e-8)
    assert 0.90 < index.loc["CSI", "std_err"] / lin["csi"] < 1.10
    respondents = bootstrap(fit, data, resamples=500, seed=11, design="respondents").index.set_index("construct")
    assert respondents.loc["CSI", "std_err"] < 0.65 * index.loc["CSI", "std_err"]  # ignoring the clusters: too narrow


def test_every_replicate_equals_the_weighted_fit_on_its_replicate_weights(weighted, clustered):
    q, data = weighted
    fit = csi.PLS(q).fit(data)
    boot = bootstrap(fit, data, resamples=60, seed=4)
    info = boot.bootstrap
    design = survey_design(data)
    children = np.random.SeedSequence(4).spawn(60)
    est = info.estimates
    draws = pd.DataFrame(info.draws, columns=pd.MultiIndex.from_frame(est[["statistic", "source", "target"]]))
    for b in (0, 33, 59):
        a = rao_wu_factors(design, children[b:b + 1])[0]
        keep = a > 0
        frame = clustered.loc[keep].assign(weight=(a * clustered["weight"].to_numpy())[keep]).reset_index(drop=True)
        refit = csi.PLS(q).fit(csi.apply_weights(csi.prepare(frame, q)))
        for r in refit.paths.itertuples():
            assert draws.loc[b, ("path", r.source, r.target)] == pytest.approx(r.estimate, abs=1e-9)
        for r in refit.index.itertuples():
            assert draws.loc[b, ("index", r.construct, "")] == pytest.approx(r.index, abs=1e-8)


def test_reraked_replicates_equal_the_fit_on_their_raked_weights(raked, clustered):
    q, data = raked
    weights = replicate_weights(data)
    assert weights.reraked
    fit = csi.PLS(q).fit(data)
    boot = bootstrap(fit, data, resamples=50, seed=8)
    info = boot.bootstrap
    assert info.reraked and info.used == 50
    a = rao_wu_factors(survey_design(data), np.random.SeedSequence(8).spawn(50)[7:8])
    W, failed = weights.of(a)
    assert failed == {}
    w = W[0]
    for column, totals in (("region", REGION_TOTALS), ("gender", GENDER_TOTALS)):  # the replicate meets the margins
        got = pd.Series(w).groupby(data.other[column].to_numpy()).sum() / w.sum()
        np.testing.assert_allclose(got[list(totals)], np.array(list(totals.values())) / 500000, atol=1e-8)
    keep = w > 0
    frame = clustered.loc[keep].assign(weight=w[keep]).reset_index(drop=True)
    plain = csi.Questionnaire.from_dict({**ACSI, "weights": {"column": "weight"}})
    refit = csi.PLS(plain).fit(csi.apply_weights(csi.prepare(frame, plain)))
    est = info.estimates
    row = est.index[(est["statistic"] == "index") & (est["source"] == "SAT")][0]
    assert info.draws[7, row] == pytest.approx(refit.index.set_index("construct").loc["SAT", "index"], abs=1e-7)


# ====================================================================== (c) raking against survey::rake
def _weight_summary(w: np.ndarray) -> dict[str, float]:
    q25, median, q75 = np.quantile(w, [0.25, 0.5, 0.75])  # numpy's default = R's quantile type 7
    return {"min": w.min(), "q25": q25, "median": median, "q75": q75, "max": w.max(), "mean": w.mean(),
            "sum": w.sum(), "sd": w.std(ddof=1)}


@pytest.mark.parametrize("how", ["function", "spec"])
def test_raked_weights_equal_survey_rake(how, clustered, raked, reference):
    if how == "function":
        w = rake_weights(clustered["weight"], {"region": clustered["region"], "gender": clustered["gender"]},
                         {"region": REGION_TOTALS, "gender": GENDER_TOTALS}, total=500000, tol=1e-9)
    else:
        _, data = raked
        w = data.weight * 500000 / data.n_used
    summary = _weight_summary(np.asarray(w))
    expected = ref_values(reference, "rake_margins_weight_summary")
    for key, value in summary.items():
        assert value == pytest.approx(expected[key], rel=1e-6), key
    for column in ("region", "gender"):
        sums = pd.Series(np.asarray(w)).groupby(clustered[column]).sum()
        ref = ref_values(reference, f"rake_margins_weight_sum_by_{column}")
        np.testing.assert_allclose(sums[ref.index], ref, rtol=1e-6)
    ratio = np.asarray(w) / clustered["weight"].to_numpy()  # raked / design weight
    ref = ref_values(reference, "rake_margins_weight_ratio_summary")
    np.testing.assert_allclose([ratio.min(), np.median(ratio), ratio.max()], ref[["min", "median", "max"]], rtol=1e-6)


def test_raking_to_cells_is_post_stratification(clustered, reference):
    cells = reference[reference["quantity"] == "pop_total_cell"]
    targets = {f"{region}|{gender}": float(v) for region, gender, v in zip(cells["from"], cells["to"], cells["value"])}
    w = rake_weights(clustered["weight"], {"cell": clustered["region"] + "|" + clustered["gender"]}, {"cell": targets},
                     total=500000)
    expected = ref_values(reference, "rake_cells_weight_summary")
    for key, value in _weight_summary(w).items():
        assert value == pytest.approx(expected[key], rel=1e-6), key


def test_numpy_raking_from_equal_weights_matches_weightipy(clustered):
    """Raking without a weight column runs weightipy; the batched raking of the replicates agrees."""
    q = spec(weights={"raking": RAKING})
    data = csi.apply_weights(csi.prepare(clustered, q))
    mine = rake_weights(np.ones(len(clustered)), {"region": clustered["region"], "gender": clustered["gender"]},
                        {"region": REGION_TOTALS, "gender": GENDER_TOTALS}, total=len(clustered))
    np.testing.assert_allclose(mine, data.weight, rtol=1e-7)
    assert replicate_weights(data).reraked


def test_raking_a_replicate_without_a_category_fails_that_replicate(raked):
    _, data = raked
    weights = replicate_weights(data)
    a = np.ones((2, data.n_used))
    a[1, data.other["gender"].to_numpy() == "F"] = 0.0  # no woman in this replicate
    W, failed = weights.of(a)
    assert list(failed) == [1] and "gender = 'F'" in failed[1]
    assert np.isnan(W[1]).all() and np.isfinite(W[0]).all()


def test_raking_with_trimming_bounds_the_replicate_weights(clustered):
    q = spec(weights={"column": "weight", "raking": {**RAKING, "trim": [0.8, 1.3]}}, design=DESIGN)
    data = csi.apply_weights(csi.prepare(clustered, q))
    assert data.weight.min() >= 0.8 - 1e-9 and data.weight.max() <= 1.3 + 1e-9
    weights = replicate_weights(data)
    assert weights.reraked  # the trimmed raking of these respondents is reproduced
    a = rao_wu_factors(survey_design(data), np.random.SeedSequence(2).spawn(3))
    W, failed = weights.of(a)
    assert failed == {}
    drawn = a > 0
    per_copy = np.where(drawn, W / np.where(drawn, a, 1), np.nan)
    mean = (W.sum(axis=1) / a.sum(axis=1))[:, None]
    assert np.nanmin(per_copy / mean) >= 0.8 - 1e-9 and np.nanmax(per_copy / mean) <= 1.3 + 1e-9


# ====================================================================== reproducibility and defaults
def test_same_seed_same_replicates_for_one_and_two_workers(raked, weighted):
    for q, data in (weighted, raked):
        fit = csi.PLS(q).fit(data)
        one = bootstrap(fit, data, resamples=120, seed=21, n_jobs=1)
        two = bootstrap(fit, data, resamples=120, seed=21, n_jobs=2, parallel_threshold=0)
        # the same replicates: other draws would move the estimates by far more than 1e-9
        np.testing.assert_allclose(one.bootstrap.draws, two.bootstrap.draws, rtol=1e-9, atol=1e-12)
        pd.testing.assert_frame_equal(one.bootstrap.estimates, two.bootstrap.estimates, check_exact=False, rtol=1e-9)
        assert one.bootstrap.design == two.bootstrap.design == "rao-wu"
        other = bootstrap(fit, data, resamples=120, seed=22, n_jobs=1)
        assert not np.allclose(one.bootstrap.draws, other.bootstrap.draws, rtol=1e-6)


def test_without_a_design_the_bootstrap_is_unchanged(clustered, weighted):
    plain = spec(weights={"column": "weight"})
    data = csi.apply_weights(csi.prepare(clustered, plain))
    fit = csi.PLS(plain).fit(data)
    auto = bootstrap(fit, data, resamples=100, seed=3)
    assert auto.bootstrap.design == "respondents" and auto.bootstrap.clusters is None
    q, designed = weighted
    ignored = bootstrap(csi.PLS(q).fit(designed), designed, resamples=100, seed=3, design="respondents")
    np.testing.assert_allclose(auto.bootstrap.draws, ignored.bootstrap.draws, rtol=1e-9, atol=1e-12)
    with pytest.raises(SettingsError, match="needs survey data whose spec declares the sampling design"):
        bootstrap(fit, data, resamples=10, seed=1, design="rao-wu")
    with pytest.raises(SettingsError, match="design must be one of"):
        bootstrap(fit, data, resamples=10, seed=1, design="clusters")


def test_bca_with_a_design_uses_the_cluster_jackknife(weighted):
    q, data = weighted
    fit = csi.PLS(q).fit(data)
    bca = bootstrap(fit, data, resamples=300, seed=5, method="bca")
    pct = bootstrap(fit, data, resamples=300, seed=5)
    np.testing.assert_allclose(bca.paths["std_err"], pct.paths["std_err"], rtol=1e-9)  # same replicates
    assert np.isfinite(bca.index["ci_lower"]).all() and (bca.index["ci_lower"] < bca.index["ci_upper"]).all()


def test_a_segment_keeps_its_design_and_a_single_store_is_resampled_by_respondent(weighted):
    q, data = weighted
    women = subset(data, (data.other["gender"] == "F").to_numpy())
    fit = csi.PLS(q).fit(women)
    info = bootstrap(fit, women, resamples=50, seed=1).bootstrap
    assert (info.design, info.clusters, info.strata) == ("rao-wu", 40, 4)
    store = subset(data, (data.other["store"] == "S05").to_numpy())
    info = bootstrap(csi.PLS(q).fit(store), store, resamples=50, seed=1).bootstrap
    assert (info.clusters, info.strata) == (1, 1) and "respondents resampled in 1 stratum with a single cluster" in info.design_note
    assert info.used == 50


def test_the_run_records_the_design(tmp_path):
    from typer.testing import CliRunner

    from csi_survey.cli import app

    from .conftest import EXAMPLES

    model = tmp_path / "model.yaml"
    model.write_text((EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
                     + "design: {cluster: store, strata: region}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(EXAMPLES / "acsi_retail.xlsx"), "--model", str(model), "--on-invalid",
                                      "exclude", "--bootstrap", "200", "--seed", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Rao–Wu design bootstrap: 12 clusters (store) in 4 strata (region)" in " ".join(result.output.split())
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["bootstrap"]["design"] == "rao-wu"
    assert (meta["bootstrap"]["clusters"], meta["bootstrap"]["strata"], meta["bootstrap"]["reraked"]) == (12, 4, False)
    assert "Sampling design" in (out / "report.html").read_text(encoding="utf-8")
