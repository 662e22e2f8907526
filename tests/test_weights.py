"""Survey weights: weight columns, raking, effective n, and weights in every estimate.

The strongest check is the frequency-weight identity: a fit with integer weights kₙ equals the
unweighted fit of the data with respondent n repeated kₙ times (paths, outer weights, loadings,
R², 0–100 indices, impacts). Equal weights must give bit-identical numbers to no weights.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey import drivers as dr
from csi_survey.engine.bootstrap import bootstrap
from csi_survey.engine.resample import estimate_batch, moment_state, statistic_labels
from csi_survey.engine.pls import item_matrix
from csi_survey.exceptions import ConvergenceError, DataValidationError, EstimationError, SettingsError, SpecError
from csi_survey.segments import _group_estimates, _group_state, segment_analysis, segment_differences, subset
from csi_survey.ingest.weights import (
    WEIGHT_SUMMARY_COLUMNS,
    apply_weights,
    design_effect,
    effective_n,
    weight_summary,
)

from .conftest import EXAMPLES

TOL = 1e-10


def with_weights(q: csi.Questionnaire, **weights) -> csi.Questionnaire:
    spec = q.model_dump()
    spec["weights"] = weights
    return csi.Questionnaire.from_dict(spec)


def replicated(frame: pd.DataFrame, k: np.ndarray) -> pd.DataFrame:
    return frame.loc[np.repeat(np.arange(len(frame)), k)].reset_index(drop=True)


@pytest.fixture(scope="module")
def counts(mobi) -> np.ndarray:
    return np.random.default_rng(20260).integers(1, 4, len(mobi))  # 1, 2 or 3 copies


@pytest.fixture(scope="module")
def mobi_weighted(mobi, counts):
    """mobi prepared with a weights column holding the integer counts."""
    q = with_weights(csi.template("ecsi"), column="wgt")
    data = apply_weights(csi.prepare(mobi.assign(wgt=counts), q))
    return q, data


@pytest.fixture(scope="module")
def example_model():
    return csi.load_model(EXAMPLES / "acsi_retail.yaml")


@pytest.fixture(scope="module")
def example_raw() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(EXAMPLES / "acsi_retail.xlsx", sheet_name="Responses", engine="openpyxl")
    return raw.dropna(subset=["region", "channel"]).reset_index(drop=True)


MARGINS = {"region": {"North": 0.3, "South": 0.3, "East": 0.25, "West": 0.15}, "channel": {"in-store": 0.6, "online": 0.4}}


@pytest.fixture(scope="module")
def raked(example_model, example_raw):
    q = with_weights(example_model, raking={"margins": MARGINS, "max_iter": 200, "tol": 1e-9})
    return apply_weights(csi.prepare(example_raw, q, on_invalid="exclude"))


def _compare_fits(a, b, tol=TOL):
    for table, columns in [("paths", ["estimate"]), ("weights", ["weight", "loading", "index_weight"]),
                           ("r2", ["r2"]), ("index", ["index"]), ("effects", ["direct_effect", "total_effect"])]:
        for c in columns:
            x, y = getattr(a, table)[c].to_numpy(float), getattr(b, table)[c].to_numpy(float)
            np.testing.assert_allclose(x, y, rtol=0, atol=tol, err_msg=f"{table}.{c}")
    np.testing.assert_allclose(a.cross_loadings.iloc[:, 1:].to_numpy(float), b.cross_loadings.iloc[:, 1:].to_numpy(float),
                               rtol=0, atol=tol)
    np.testing.assert_allclose(a.construct_correlations.to_numpy(), b.construct_correlations.to_numpy(), rtol=0, atol=tol)


# ---------------------------------------------------------------------- effective n
def test_effective_n_is_kish():
    assert effective_n([1, 1, 1, 1]) == 4
    assert effective_n([1, 3]) == pytest.approx(16 / 10)
    w = np.array([0.5, 1.0, 2.0, 4.0, 0.25])
    assert effective_n(w) == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert effective_n(7 * w) == pytest.approx(effective_n(w))  # scale-free
    cv = w.std(ddof=0) / w.mean()
    assert design_effect(w) == pytest.approx(1 + cv**2) == pytest.approx(len(w) / effective_n(w))


# ---------------------------------------------------------------------- PLS
@pytest.mark.parametrize("scaled", [True, False])
def test_weighted_pls_equals_pls_on_replicated_rows(mobi, counts, scaled):
    engine = csi.PLS(csi.template("ecsi"), scaled=scaled)
    weighted = engine.fit(mobi, weight=counts)
    copies = engine.fit(replicated(mobi, counts))
    _compare_fits(weighted, copies)
    assert weighted.n == len(mobi) and copies.n == counts.sum()
    np.testing.assert_allclose(dr.impacts(weighted)["impact"], dr.impacts(copies)["impact"], rtol=0, atol=1e-9)
    # index table: n counts respondents, n_effective is Kish's
    assert (weighted.index["n"] == len(mobi)).all()
    assert weighted.index["n_effective"].to_numpy() == pytest.approx(counts.sum() ** 2 / (counts**2).sum())
    assert "n_effective" not in copies.index.columns
    # the scores are centred at the weighted means with unit weighted variance (divisor Σw − 1, w of mean 1)
    w = weighted.weight
    assert w.mean() == pytest.approx(1) and np.allclose(w, counts / counts.mean())
    s = weighted.scores.to_numpy()
    assert np.abs(w @ s).max() < 1e-9
    if scaled:
        assert (w @ s**2) / (w.sum() - 1) == pytest.approx(np.ones(s.shape[1]), abs=1e-9)


def test_surveydata_weights_are_used_automatically(mobi, counts, mobi_weighted):
    q, data = mobi_weighted
    assert data.weight is not None and data.weight.mean() == pytest.approx(1)
    engine = csi.PLS(q)
    _compare_fits(engine.fit(data), engine.fit(mobi, weight=counts), tol=1e-12)


def test_equal_weights_are_bit_identical_to_no_weights(mobi):
    engine = csi.PLS(csi.template("ecsi"))
    plain = engine.fit(mobi)
    ones = engine.fit(mobi, weight=np.ones(len(mobi)))
    twos = engine.fit(mobi, weight=np.full(len(mobi), 2.0))
    for fit in (ones, twos):
        for table in ("paths", "effects", "weights", "r2", "scores", "scores_100", "cross_loadings",
                      "construct_correlations", "item_correlations"):
            assert getattr(plain, table).equals(getattr(fit, table)), table
        assert plain.index.equals(fit.index.drop(columns="n_effective"))
        assert (fit.index["n_effective"] == len(mobi)).all()
    a = bootstrap(plain, mobi, resamples=40, seed=3)
    b = bootstrap(ones, mobi, resamples=40, seed=3)
    assert np.array_equal(a.bootstrap.draws, b.bootstrap.draws)


def test_fit_rejects_bad_weight_arrays(mobi):
    engine = csi.PLS(csi.template("ecsi"))
    with pytest.raises(SettingsError, match="one entry per respondent"):
        engine.fit(mobi, weight=np.ones(3))
    w = np.ones(len(mobi))
    w[[4, 7]] = [0.0, np.nan]
    with pytest.raises(SettingsError, match="positive and finite.*position 4.*position 7"):
        engine.fit(mobi, weight=w)


# ---------------------------------------------------------------------- bootstrap
def test_weighted_bootstrap_is_reproducible_and_sane(mobi, counts):
    engine = csi.PLS(csi.template("ecsi"))
    fit = engine.fit(mobi, weight=counts)
    a = bootstrap(fit, mobi, resamples=200, seed=11)
    b = bootstrap(fit, mobi, resamples=200, seed=11)
    assert np.array_equal(a.bootstrap.draws, b.bootstrap.draws)
    est = a.bootstrap.estimates
    # the point estimates are the weighted fit's, i.e. those of the replicated data
    copies = engine.fit(replicated(mobi, counts))
    paths = est[est["statistic"] == "path"]["estimate"].to_numpy()
    np.testing.assert_allclose(paths, copies.paths["estimate"], rtol=0, atol=TOL)
    se = est["std_err"].to_numpy()
    assert np.isfinite(se).all() and (se > 0).all()
    # of the same order as the unweighted bootstrap's (weights 1–3: design effect ≈ 1.2)
    plain = bootstrap(engine.fit(mobi), mobi, resamples=200, seed=11).bootstrap.estimates
    ratio = est["std_err"].to_numpy() / plain["std_err"].to_numpy()
    assert 0.5 < np.median(ratio) < 2
    idx = a.index.set_index("construct")
    assert ((idx["ci_lower"] < idx["index"]) & (idx["index"] < idx["ci_upper"])).all()


def test_bootstrap_moments_with_counts_of_one_reproduce_the_weighted_fit(mobi, counts):
    """A K row of ones through the batched machinery (K · w moments) is the weighted fit itself,
    the 0–100 index (from weighted item means) included."""
    engine = csi.PLS(csi.template("ecsi"))
    fit = engine.fit(mobi, weight=counts)
    labels, estimate, layout = statistic_labels(fit)
    X, _ = item_matrix(fit.model, mobi)
    state = moment_state(fit.model, X, fit.settings, layout, fit.weight)
    values, status, _ = estimate_batch(state, np.ones((1, len(mobi))))
    assert status[0] == 0
    np.testing.assert_allclose(values[0], estimate, rtol=0, atol=1e-9)
    # and a K row of counts on unweighted data is the same model again
    plain = moment_state(fit.model, X, fit.settings, layout, None)
    values2, _, _ = estimate_batch(plain, counts[None].astype(float))
    np.testing.assert_allclose(values2[0], estimate, rtol=0, atol=1e-9)


def test_bootstrap_refuses_data_weights_the_fit_did_not_use(mobi_weighted):
    q, data = mobi_weighted
    unweighted_fit = csi.PLS(q).fit(dataclasses.replace(data, weight=None))
    with pytest.raises(EstimationError, match="fit is unweighted"):
        bootstrap(unweighted_fit, data, resamples=10, seed=1)


# ---------------------------------------------------------------------- weight column
def test_bad_weight_values_are_listed_with_their_rows():
    df = pd.DataFrame({"a1": [1, 2, 3, 4, 5, 1, 2, 3], "a2": [2, 3, 4, 5, 1, 3, 2, 1], "b1": [3, 4, 5, 1, 2, 2, 3, 4],
                       "Weight ": ["1.5", "", "abc", "0", "-2", "inf", "2", "1"]})
    q = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
                                scale=(1, 5), weights={"column": "weight"})
    data = csi.prepare(df, q)
    with pytest.raises(DataValidationError) as info:
        apply_weights(data)
    cases = info.value.failure_cases
    assert cases["row"].tolist() == [3, 4, 5, 6, 7]  # sheet rows (header = row 1)
    assert cases["value"].tolist() == ["", "abc", "0", "-2", "inf"]
    assert cases["problem"].str.contains("empty|not a number|zero|negative|finite").all()
    text = str(info.value)
    assert "'Weight '" in text and "5 unusable" in text and "How to fix" in text
    good = dataclasses.replace(data, other=data.other.assign(**{"Weight ": ["1", "3", "2", "2", "1", "1", "2", "4"]}))
    w = apply_weights(good).weight
    assert w == pytest.approx(np.array([1, 3, 2, 2, 1, 1, 2, 4]) / 2)


def test_weight_column_must_exist_and_not_be_an_item(mobi):
    q = with_weights(csi.template("ecsi"), column="wieght")
    with pytest.raises(csi.InputFileError, match="not in"):
        apply_weights(csi.prepare(mobi.assign(weight=1.0), q))
    q = with_weights(csi.template("ecsi"), column="CUSA1")
    with pytest.raises(SettingsError, match="is an item"):
        apply_weights(csi.prepare(mobi, q))


def test_no_weights_declared_returns_the_data_unchanged(mobi):
    data = csi.prepare(mobi, csi.template("ecsi"))
    assert apply_weights(data) is data
    with pytest.raises(SettingsError, match="needs weighted data"):
        weight_summary(data)


# ---------------------------------------------------------------------- raking
def test_raking_hits_the_margins(raked, example_raw):
    w = raked.weight
    assert w.mean() == pytest.approx(1) and (w > 0).all()
    frame = raked.other
    for column, shares in MARGINS.items():
        got = pd.Series(w).groupby(frame[column].to_numpy()).sum() / w.sum()
        for cat, share in shares.items():
            assert abs(got[cat] - share) < 1e-6
    summary = weight_summary(raked)
    assert list(summary.columns) == WEIGHT_SUMMARY_COLUMNS
    stats = summary[summary["statistic"] != "share"].set_index("statistic")["value"]
    assert stats["n"] == raked.n_used
    assert stats["effective_n"] == pytest.approx(effective_n(w))
    assert stats["design_effect"] == pytest.approx(1 + stats["cv"] ** 2)
    shares = summary[summary["statistic"] == "share"]
    assert len(shares) == 6 and (shares["value"] - shares["target"]).abs().max() < 1e-6
    north = shares.set_index("category").loc["North"]
    assert north["unweighted"] == pytest.approx((frame["region"] == "North").mean())


def test_raked_weights_flow_into_every_table(raked):
    fit = csi.PLS(raked.questionnaire).fit(raked)
    assert fit.weight is not None and np.allclose(fit.weight, raked.weight)
    # the index is the weighted mean of the 0–100 scores
    s = fit.scores_100.to_numpy()
    assert fit.index["index"].to_numpy() == pytest.approx(np.average(s, axis=0, weights=raked.weight))
    # IPMA item performance: Σ ŵ performance = the (weighted) construct index
    table = dr.ipma(fit, raked)
    items = table[table["level"] == "item"]
    for driver, rows in items[items["target"] == "SAT"].groupby("driver"):
        w = fit.weights.set_index("item").loc[rows["item"], "index_weight"].to_numpy()
        assert w @ rows["performance"].to_numpy() == pytest.approx(fit.index.set_index("construct").loc[driver, "index"])
    # item summary: weighted means of the answers as given
    summary = dr.item_summary(raked).set_index("item")
    x = raked.answers["sat_overall"].to_numpy()
    ok = np.isfinite(x)
    assert summary.loc["sat_overall", "mean"] == pytest.approx(np.average(x[ok], weights=raked.weight[ok]))
    assert summary.loc["sat_overall", "n_answered"] == ok.sum()


def test_raking_reports_missing_cells_and_unmatched_categories(example_model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.read_excel(EXAMPLES / "acsi_retail.xlsx", sheet_name="Responses", engine="openpyxl")
    q = with_weights(example_model, raking={"margins": MARGINS})
    holes = raw.copy()
    holes.loc[[5, 10], "region"] = np.nan
    holes["channel"] = holes["channel"].astype(object)
    holes.loc[12, "channel"] = "  "
    data = csi.prepare(holes, q, on_invalid="exclude")
    with pytest.raises(DataValidationError) as info:
        apply_weights(data)
    cases = info.value.failure_cases
    assert cases["row"].tolist() == [7, 12, 14]  # sheet rows of frame rows 5, 10, 12 (header = row 1)
    assert cases["column"].tolist() == ["region", "region", "channel"]
    assert "3 cell(s)" in str(info.value) and "How to fix" in str(info.value)

    q = with_weights(example_model, raking={"margins": {"region": {"North": 0.5, "South": 0.3, "Central": 0.2}}})
    data = csi.prepare(raw.dropna(subset=["region"]), q, on_invalid="exclude")
    with pytest.raises(SpecError) as info:
        apply_weights(data)
    problems = " ".join(info.value.problems["problem"])
    assert "'East'" in problems and "'West'" in problems and "'Central'" in problems
    assert (info.value.problems["location"] == "weights.raking.margins.region").all()


def test_raking_that_cannot_converge_raises(example_model, example_raw):
    q = with_weights(example_model, raking={"margins": MARGINS, "max_iter": 1, "tol": 1e-12})
    with pytest.raises(ConvergenceError, match="did not reach the margins"):
        apply_weights(csi.prepare(example_raw, q, on_invalid="exclude"))


def test_trimming_bounds_the_weights(example_model, example_raw):
    margins = {"region": {"North": 0.1, "South": 0.1, "East": 0.1, "West": 0.7}, "channel": {"in-store": 0.5, "online": 0.5}}
    q = with_weights(example_model, raking={"margins": margins, "trim": [0.5, 2.0]})
    w = apply_weights(csi.prepare(example_raw, q, on_invalid="exclude")).weight
    assert w.mean() == pytest.approx(1)
    assert w.min() >= 0.5 - 1e-9 and w.max() <= 2.0 + 1e-9
    q = with_weights(example_model, raking={"margins": margins, "trim": [2.0, 5.0]})
    with pytest.raises(SettingsError, match="trim"):
        apply_weights(csi.prepare(example_raw, q, on_invalid="exclude"))


# ---------------------------------------------------------------------- drivers by hand
def _tiny(weights: list[float], **extra):
    n = len(weights)
    df = pd.DataFrame({"a1": ([1, 2, 3, 4, 5] * n)[:n], "a2": ([2, 3, 4, 5, 1] * n)[:n],
                       "b1": ([3, 4, 5, 1, 2] * n)[:n], "w": weights, **extra})
    return df


def test_weighted_nps_and_csat_on_a_hand_made_column():
    recommend = [10, 9, 8, 7, 3, 0, 10, 5]
    weights = [2.0, 1.0, 1.0, 1.0, 3.0, 1.0, 0.5, 0.5]
    df = _tiny(weights, rec=recommend, grp=["x", "x", "x", "x", "y", "y", "y", "y"])
    q = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
                                scale=(1, 5), nps_item="rec", weights={"column": "w"})
    data = apply_weights(csi.prepare(df, q))
    table = dr.nps(data, segments="grp")
    assert list(table.columns)[-2:] == ["n_invalid", "n_effective"]
    total = table.iloc[0]
    w = np.array(weights) / np.mean(weights)
    rec = np.array(recommend)
    p, d = w[rec >= 9].sum() / w.sum(), w[rec <= 6].sum() / w.sum()
    assert total["n"] == 8
    assert total["promoters"] == pytest.approx(100 * p) and total["nps"] == pytest.approx(100 * (p - d))
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert total["n_effective"] == pytest.approx(n_eff)
    assert total["std_err"] == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / n_eff))
    y = table.set_index("segment").loc["y"]
    wy, ry = w[4:], rec[4:]
    assert y["nps"] == pytest.approx(100 * (wy[ry >= 9].sum() - wy[ry <= 6].sum()) / wy.sum())
    assert y["n_effective"] == pytest.approx(wy.sum() ** 2 / (wy**2).sum())

    q = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
                                scale=(1, 5), csat_item="a1", top_box=2, weights={"column": "w"})
    data = apply_weights(csi.prepare(df, q))
    c = dr.csat(data).iloc[0]
    a1 = df["a1"].to_numpy()
    s = w[a1 >= 4].sum() / w.sum()
    assert c["top_box_share"] == pytest.approx(100 * s)
    assert c["std_err"] == pytest.approx(100 * np.sqrt(s * (1 - s) / n_eff))


def test_weighted_frequencies_on_a_hand_made_column():
    weights = [1.0, 2.0, 3.0, 2.0, 2.0]
    df = _tiny(weights)
    df["a1"] = [1, 1, 2, 5, np.nan]
    q = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
                                scale=(1, 5), weights={"column": "w"})
    data = apply_weights(csi.prepare(df, q))
    freq = dr.frequencies(data)
    assert list(freq.columns) == ["item", "construct", "answer", "count", "share", "n"]
    a1 = freq[freq["item"] == "a1"].set_index("answer")
    w = np.array(weights) / 2.0  # mean 1
    assert a1["n"].tolist() == [2, 1, 0, 0, 1]
    assert a1["count"].tolist() == pytest.approx([w[0] + w[1], w[2], 0, 0, w[3]])
    assert a1["share"].tolist() == pytest.approx([(w[0] + w[1]) / w[:4].sum(), w[2] / w[:4].sum(), 0, 0, w[3] / w[:4].sum()])
    assert a1["share"].sum() == pytest.approx(1)


def test_gaps_with_equal_weights_equal_the_unweighted_gaps():
    df = _tiny([2.0] * 10)
    df["a2"] = [3, 4, 2, 5, 5, 1, 2, 4, 4, 3]
    q = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
                                scale=(1, 5), gaps=[["a1", "a2"]], weights={"column": "w"})
    plain = dr.gaps(csi.prepare(df, q))
    weighted = dr.gaps(apply_weights(csi.prepare(df, q)))
    assert list(weighted.columns) == list(plain.columns) + ["n_effective"]
    for c in ["expected_mean", "experienced_mean", "gap", "std_err", "ci_lower", "ci_upper"]:
        assert weighted[c].iloc[0] == pytest.approx(plain[c].iloc[0], rel=1e-12)
    assert weighted["n_effective"].iloc[0] == pytest.approx(10)
    # unequal weights: the weighted mean difference
    df["w"] = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]
    g = dr.gaps(apply_weights(csi.prepare(df, q))).iloc[0]
    d = (df["a2"] - df["a1"]).to_numpy()
    assert g["gap"] == pytest.approx(np.average(d, weights=df["w"]))


# ---------------------------------------------------------------------- segments
def test_subset_keeps_the_weights_and_segment_fits_are_weighted(raked):
    mask = (raked.other["channel"] == "online").to_numpy()
    sub = subset(raked, mask)
    assert np.array_equal(sub.weight, raked.weight[mask])
    engine = csi.PLS(raked.questionnaire)
    seg = segment_analysis(engine, raked, "channel", min_n=30)
    direct = engine.fit(sub.items, weight=sub.weight)
    got = seg.fits[("channel", "online")]
    _compare_fits(got, direct, tol=1e-12)
    unweighted = engine.fit(sub.items)
    assert not np.allclose(got.index["index"], unweighted.index["index"], atol=1e-6)


def test_permutation_groups_carry_their_weights(raked):
    engine = csi.PLS(raked.questionnaire)
    seg = segment_analysis(engine, raked, "channel", min_n=30)
    a_mask = (raked.other["channel"] == "in-store").to_numpy()
    X, _ = item_matrix(engine.model, raked.items)
    state = _group_state(engine, seg.fits[("channel", "in-store")], X, raked.weight)
    va, vb, ok = _group_estimates(state, a_mask[None])
    assert ok.all()
    labels, _, _ = statistic_labels(seg.fits[("channel", "in-store")])
    for values, label in ((va[0], "in-store"), (vb[0], "online")):
        fit = seg.fits[("channel", label)]
        got = pd.Series(values, index=pd.MultiIndex.from_frame(labels[["statistic", "source", "target"]]))
        for row in fit.paths.itertuples():
            assert got[("path", row.source, row.target)] == pytest.approx(row.estimate, abs=1e-10)
        for row in fit.index.itertuples():
            assert got[("index", row.construct, "")] == pytest.approx(row.index, abs=1e-10)
    table = segment_differences(engine, raked, "channel", permutations=30, seed=2, min_n=30)
    assert table["p_value"].between(0, 1).all()
