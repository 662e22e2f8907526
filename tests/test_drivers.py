"""Driver analysis: impacts, IPMA, gaps, frequencies, item summary, NPS and CSAT.

Each statistic is checked against a direct computation (numpy OLS on 0–100 scores, a hand-made
column, pandas on the raw example export), not against the function's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import csi_survey as csi
from csi_survey import drivers as dr
from csi_survey.exceptions import InputFileError, SettingsError

from .conftest import EXAMPLES

CONTRACT = {
    "ipma": ["target", "level", "driver", "item", "label", "importance", "performance", "quadrant"],
    "gaps": ["label", "expected", "experienced", "n", "expected_mean", "experienced_mean", "gap", "std_err",
             "ci_lower", "ci_upper"],
    "frequencies": ["item", "construct", "answer", "count", "share"],
    "item_summary": ["item", "construct", "n_answered", "n_missing", "mean", "top_box_share", "reverse"],
    "nps": ["segment_column", "segment", "n", "promoters", "passives", "detractors", "nps", "std_err",
            "ci_lower", "ci_upper"],
    "csat": ["segment_column", "segment", "n", "top_box_share", "std_err", "ci_lower", "ci_upper"],
}


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def example():
    """The retail example with NPS, CSAT and two gap pairs declared (one of them with the reverse item)."""
    spec = csi.load_model(EXAMPLES / "acsi_retail.yaml").model_dump()
    spec.update(
        nps_item="nps_recommend",
        csat_item="sat_overall",
        gaps=[{"expected": "exp_overall", "experienced": "pq_overall", "label": "Quality vs expectation"},
              ["exp_reliab", "pq_problems"]],
    )
    q = csi.Questionnaire.from_dict(spec)
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", q, on_invalid="exclude")
    return q, data, csi.PLS(q).fit(data)


@pytest.fixture(scope="module")
def raw_used(example):
    """The example sheet read with pandas only, restricted to the respondents the tool used."""
    _, data, _ = example
    raw = pd.read_excel(EXAMPLES / "acsi_retail.xlsx", sheet_name="Responses")
    raw = raw.set_index("respondent_id").loc[data.respondent_id.to_numpy()].reset_index()
    assert len(raw) == data.n_used == 502
    return raw


def _numeric(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw, errors="coerce").replace({98: np.nan, 99: np.nan})


def _scores_100(fit, data) -> pd.DataFrame:
    """0–100 construct scores by hand: Σ ŵᵢ (xᵢ − min)/(max − min)·100 on the reverse-coded items."""
    out = {}
    for cid in fit.model.construct_ids:
        w = fit.weights[fit.weights["construct"] == cid]
        scale = fit.model.constructs[cid].scale or fit.model.scale
        x = data.items[w["item"]].to_numpy()
        out[cid] = (x - scale.min) / (scale.max - scale.min) * 100 @ w["index_weight"].to_numpy()
    return pd.DataFrame(out)


def _ols(y: np.ndarray, *xs: np.ndarray) -> np.ndarray:
    """Slopes of y on xs (with intercept), plain least squares."""
    design = np.column_stack([np.ones_like(y), *xs])
    return np.linalg.lstsq(design, y, rcond=None)[0][1:]


def _simulate(n: int, seed: int, paths: dict[str, dict[str, float]], items: dict[str, list[str]], scale_max: int):
    """Latent scores along ``paths`` ({target: {source: beta}}), items on 1…scale_max."""
    rng = np.random.default_rng(seed)
    latent: dict[str, np.ndarray] = {}
    for c in items:
        base = rng.normal(size=n) * 0.7
        latent[c] = base + sum(b * latent[s] for s, b in paths.get(c, {}).items())
    cols = {}
    for c, ids in items.items():
        for k, item in enumerate(ids):
            z = (0.9 - 0.1 * k) * latent[c] / latent[c].std() + rng.normal(scale=0.6, size=n)
            cols[item] = np.clip(np.round((scale_max + 1) / 2 + z * scale_max / 5), 1, scale_max)
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------- impacts
def test_impacts_are_five_times_the_ols_slopes_of_the_0_100_scores_for_direct_drivers():
    """Y has only direct drivers (X1, X2): impact = 5 × the multiple-regression slope of Y₁₀₀ on X1₁₀₀, X2₁₀₀."""
    items = {"X1": ["a1", "a2", "a3"], "X2": ["b1", "b2"], "Y": ["y1", "y2", "y3"]}
    df = _simulate(400, 7, {"Y": {"X1": 0.5, "X2": 0.3}}, items, 10)
    q = csi.Questionnaire.build([csi.construct(c, i) for c, i in items.items()], csi.paths(["X1", "X2"], "Y"),
                                scale=(1, 10))
    data = csi.prepare(df, q)
    fit = csi.PLS(q).fit(data)
    s = _scores_100(fit, data)
    np.testing.assert_allclose(s.to_numpy(), fit.scores_100.to_numpy(), atol=1e-9)
    slopes = _ols(s["Y"].to_numpy(), s["X1"].to_numpy(), s["X2"].to_numpy())
    got = dr.impacts(fit, ["Y"]).set_index("driver")
    np.testing.assert_allclose(got.loc[["X1", "X2"], "impact"], 5 * slopes, rtol=1e-9)
    np.testing.assert_allclose(got.loc[["X1", "X2"], "total_effect_100"], slopes, rtol=1e-9)
    assert got["impact"].is_monotonic_decreasing


# ---------------------------------------------------------------------------- IPMA
@pytest.fixture(scope="module")
def mediated():
    """X → M → Y and X → Y on a 1–7 scale; x3 is reverse-coded and some answers are missing."""
    items = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2"], "Y": ["y1", "y2"]}
    df = _simulate(300, 11, {"M": {"X": 0.6}, "Y": {"X": 0.3, "M": 0.4}}, items, 7)
    df["x3"] = 8 - df["x3"]  # asked the other way round
    df.loc[[3, 50, 120], "x3"] = np.nan
    df.loc[[7, 8], "m1"] = 99  # "refused"
    q = csi.Questionnaire.build(
        [csi.construct("X", ["x1", "x2", {"id": "x3", "reverse": True}], label="Expectation"),
         csi.construct("M", ["m1", "m2"], label="Mediator"), csi.construct("Y", ["y1", "y2"], label="Outcome")],
        [("X", "M"), ("X", "Y"), ("M", "Y")],
        scale=(1, 7), missing_codes=[99], targets=["Y"],
    )
    data = csi.prepare(df, q)
    return df, q, data, csi.PLS(q).fit(data)


def test_ipma_matches_a_hand_computation_with_numpy_ols(mediated):
    df, q, data, fit = mediated
    s = _scores_100(fit, data)
    a = _ols(s["M"].to_numpy(), s["X"].to_numpy())[0]
    c_direct, b = _ols(s["Y"].to_numpy(), s["X"].to_numpy(), s["M"].to_numpy())
    total = {"X": c_direct + a * b, "M": b}  # unstandardized total effects on Y, 0–100 units

    table = dr.ipma(fit, data)
    assert list(table.columns) == CONTRACT["ipma"]
    assert (table["target"] == "Y").all()

    cons = table[table["level"] == "construct"].set_index("driver")
    assert list(cons.index) == sorted(total, key=total.get, reverse=True)
    assert (cons["item"] == "").all() and cons.loc["X", "label"] == "Expectation"
    for c in total:
        assert cons.loc[c, "importance"] == pytest.approx(total[c], rel=1e-9)
        assert cons.loc[c, "performance"] == pytest.approx(s[c].mean(), rel=1e-12)

    items = table[table["level"] == "item"].set_index("item")
    assert list(items.index) == [i for c in cons.index for i in q.constructs[c].item_ids]
    w = fit.weights.set_index("item")["index_weight"]
    for item in items.index:
        answered = df[item].where(df[item] != 99).dropna()  # the raw answers given
        if item == "x3":
            answered = 8 - answered  # performance after reverse coding
        perf = (answered.mean() - 1) / 6 * 100
        assert items.loc[item, "performance"] == pytest.approx(perf, rel=1e-12)
        assert items.loc[item, "importance"] == pytest.approx(w[item] * total[q.construct_of[item]], rel=1e-9)
        assert items.loc[item, "driver"] == q.construct_of[item] and items.loc[item, "label"] == item
    # the item level adds up to the construct level (the index weights sum to 1)
    by_construct = items.groupby("driver")
    np.testing.assert_allclose(by_construct["importance"].sum()[list(total)], [total[c] for c in total], rtol=1e-9)
    weighted = (items["performance"] * w[items.index]).groupby(items["driver"]).sum()
    np.testing.assert_allclose(weighted[list(total)], [s[c].mean() for c in total], rtol=1e-12)


def test_ipma_importance_is_the_total_effect_and_performance_the_index(example):
    """Would fail if the two were swapped (as in some documentation): importance = t₁₀₀, performance = index."""
    q, data, fit = example
    table = dr.ipma(fit, data)
    index = fit.index.set_index("construct")["index"]
    imp = dr.impacts(fit)
    for target in q.driver_targets:
        rows = table[(table["target"] == target) & (table["level"] == "construct")].set_index("driver")
        ref = imp[imp["target"] == target].set_index("driver")
        assert list(rows.index) == list(ref.index)  # every driver with a route, largest first
        np.testing.assert_allclose(rows["importance"], ref["total_effect_100"], rtol=1e-12)
        np.testing.assert_allclose(rows["importance"], ref["impact"] / 5, rtol=1e-12)
        np.testing.assert_allclose(rows["performance"], index[rows.index], rtol=1e-12)
    # importance is points of the target per point of the driver (< 1 here), performance an index (tens)
    assert (table["importance"].abs() < 1).all() and (table.loc[table["driver"] != "COMP", "performance"] > 50).all()
    assert set(table["target"]) == {"SAT", "LOY"}
    assert len(table[(table["target"] == "SAT") & (table["level"] == "item")]) == 9  # EXP, PQ, PV items


def test_ipma_item_performance_uses_reverse_coding(example, raw_used):
    _, data, fit = example
    table = dr.ipma(fit, data)
    perf = table[(table["level"] == "item")].drop_duplicates("item").set_index("item")["performance"]
    raw = _numeric(raw_used["pq_problems"])
    assert perf["pq_problems"] == pytest.approx(((11 - raw).mean() - 1) / 9 * 100, rel=1e-12)
    assert perf["pq_overall"] == pytest.approx((_numeric(raw_used["pq_overall"]).mean() - 1) / 9 * 100, rel=1e-12)


def test_quadrants_by_hand():
    got = dr._quadrant(np.array([2.0, 2.0, 0.5, 0.5, 1.0, np.nan]), np.array([40, 60, 60, 40, 50, 50.0]), 1.0, 50.0)
    assert list(got) == ["fix first", "keep up", "possible overkill", "low priority", "keep up", ""]
    assert set(dr.QUADRANTS) == {"fix first", "keep up", "possible overkill", "low priority"}


def test_ipma_quadrants_use_the_medians_per_target_and_level(example):
    _, data, fit = example
    table = dr.ipma(fit, data)
    for _, group in table.groupby(["target", "level"]):
        mi, mp = group["importance"].median(), group["performance"].median()
        for row in group.itertuples():
            hi, hp = row.importance >= mi, row.performance >= mp
            expected = {(True, False): "fix first", (True, True): "keep up",
                        (False, True): "possible overkill", (False, False): "low priority"}[(hi, hp)]
            assert row.quadrant == expected
    assert table["quadrant"].nunique() >= 3


def test_ipma_levels_and_errors(example, mediated):
    q, data, fit = example
    only = dr.ipma(fit)
    assert set(only["level"]) == {"construct"}
    pd.testing.assert_frame_equal(only, dr.ipma(fit, data, level="construct"))
    assert set(dr.ipma(fit, data, level="item")["level"]) == {"item"}
    with pytest.raises(SettingsError, match="needs the data"):
        dr.ipma(fit, level="item")
    with pytest.raises(SettingsError, match="level must be one of"):
        dr.ipma(fit, data, level="items")
    with pytest.raises(SettingsError, match="unknown: 'SATT'"):
        dr.ipma(fit, data, targets=["SATT"])
    with pytest.raises(SettingsError, match="no column for item"):
        dr.ipma(fit, mediated[2])  # data of another survey
    with pytest.raises(SettingsError, match="100 respondents but the model was fitted on 502"):
        dr.ipma(fit, data.items.iloc[:100])
    pq = dr.ipma(fit, data, targets="PV")
    assert set(pq["driver"]) == {"EXP", "PQ"}


# ---------------------------------------------------------------------------- gaps
def test_gaps_match_a_direct_paired_computation(example, raw_used):
    _, data, _ = example
    table = dr.gaps(data)
    assert list(table.columns) == CONTRACT["gaps"]
    assert list(table["label"]) == ["Quality vs expectation", "pq_problems vs exp_reliab"]
    for row, (exp_col, exper_col, reverse) in zip(
        table.itertuples(), [("exp_overall", "pq_overall", False), ("exp_reliab", "pq_problems", True)]
    ):
        a = _numeric(raw_used[exp_col]).to_numpy()
        b = _numeric(raw_used[exper_col]).to_numpy()
        if reverse:
            b = 11 - b  # compared after reverse coding
        both = ~np.isnan(a) & ~np.isnan(b)
        d = b[both] - a[both]
        assert row.n == both.sum() < 502
        assert row.gap == pytest.approx(d.mean(), rel=1e-12)
        assert row.expected_mean == pytest.approx(a[both].mean()) and row.experienced_mean == pytest.approx(b[both].mean())
        assert row.std_err == pytest.approx(d.std(ddof=1) / np.sqrt(both.sum()), rel=1e-12)
        ci = stats.ttest_rel(b[both], a[both]).confidence_interval(0.95)
        assert (row.ci_lower, row.ci_upper) == pytest.approx((ci.low, ci.high), rel=1e-10)
    narrow = dr.gaps(data, level=0.5)
    assert (narrow["ci_upper"] - narrow["ci_lower"] < table["ci_upper"] - table["ci_lower"]).all()


def _small(extra: dict | None = None, **spec):
    """A 12-respondent survey: construct A (a1, reverse a2) on 1–5 plus non-item columns."""
    df = pd.DataFrame({
        "id": [f"r{k}" for k in range(12)],
        "a1": [1, 2, 4, 5, 5, 4, 2, 1, 5, 4, 4, np.nan],
        "a2": [5, 4, 1, 1, 2, 99, 5, 4, 1, 2, 2, 3],
        "b1": [3, 3, 4, 2, 5, 1, 3, 2, 4, 5, 1, 2],
        **(extra or {}),
    })
    q = csi.Questionnaire.build(
        [csi.construct("A", ["a1", {"id": "a2", "reverse": True}]), csi.construct("B", ["b1"])],
        [("A", "B")], scale=(1, 5), missing_codes=[99, "n/a"], id_column="id", **spec,
    )
    return csi.prepare(df, q)


def test_gaps_read_other_columns_with_missing_codes_and_compare_reverse_items_after_reversal():
    expect = ["3", " 4", "n/a", "2", "", "5", "99", "1", "4", "junk", "3", "2"]
    data = _small({"expect_text": expect}, gaps=[["expect_text", "a2"], {"expected": "a1", "experienced": "b1"}])
    table = dr.gaps(data)
    a = np.array([3, 4, np.nan, 2, np.nan, 5, np.nan, 1, 4, np.nan, 3, 2])
    a2 = 6 - np.array([5, 4, 1, 1, 2, np.nan, 5, 4, 1, 2, 2, 3])  # after reverse coding
    both = ~np.isnan(a) & ~np.isnan(a2)
    d = a2[both] - a[both]
    first = table.iloc[0]
    assert first["label"] == "a2 vs expect_text" and first["n"] == both.sum() == 7
    assert first["gap"] == pytest.approx(d.mean())
    assert first["std_err"] == pytest.approx(d.std(ddof=1) / np.sqrt(7))
    half = stats.t.ppf(0.975, 6) * first["std_err"]
    assert (first["ci_lower"], first["ci_upper"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert table.iloc[1]["n"] == 11  # a1 is missing once; the item-mean replacement is not used


def test_gaps_unknown_column_names_the_closest():
    data = _small({"expect_text": ["1"] * 12}, gaps=[["expect_txt", "a1"]])
    with pytest.raises(InputFileError) as err:
        dr.gaps(data)
    assert "'expect_txt'" in str(err.value) and "closest: 'expect_text'" in str(err.value)
    assert list(dr.gaps(_small()).columns) == CONTRACT["gaps"] and dr.gaps(_small()).empty


# ---------------------------------------------------------------------------- frequencies
def test_frequencies_on_the_example(example, raw_used):
    q, data, _ = example
    freq = dr.frequencies(data)
    summary = dr.item_summary(data)
    assert list(freq.columns) == CONTRACT["frequencies"] and list(summary.columns) == CONTRACT["item_summary"]
    summary = summary.set_index("item")
    assert list(summary.index) == q.item_ids
    for item, group in freq.groupby("item", sort=False):
        answers = _numeric(raw_used[item])  # as given, missing codes removed
        points = [1.0, 2.0] if item == "comp_complained" else [float(v) for v in range(1, 11)]
        assert group["answer"].tolist() == points
        assert group["count"].sum() == summary.loc[item, "n_answered"] == answers.notna().sum()
        assert summary.loc[item, "n_answered"] + summary.loc[item, "n_missing"] == 502
        assert group["share"].sum() == pytest.approx(1.0)
        expected = answers.value_counts().reindex(points, fill_value=0)
        assert group["count"].tolist() == expected.tolist()
        assert summary.loc[item, "mean"] == pytest.approx(answers.mean(), rel=1e-12)
        assert summary.loc[item, "construct"] == q.construct_of[item]
    # the reverse item: answers as given (1 = never goes wrong), top box = its lowest two answers
    pq = _numeric(raw_used["pq_problems"]).dropna()
    assert bool(summary.loc["pq_problems", "reverse"]) and summary["reverse"].sum() == 1
    assert summary.loc["pq_problems", "mean"] < 4  # not flipped
    assert summary.loc["pq_problems", "top_box_share"] == pytest.approx(100 * (pq <= 2).mean())
    sat = _numeric(raw_used["sat_overall"]).dropna()
    assert summary.loc["sat_overall", "top_box_share"] == pytest.approx(100 * (sat >= 9).mean())


def test_frequencies_list_unused_scale_points_with_count_zero():
    data = _small()
    freq = dr.frequencies(data)
    a1 = freq[freq["item"] == "a1"]
    assert a1["answer"].tolist() == [1, 2, 3, 4, 5]
    assert a1["count"].tolist() == [2, 2, 0, 4, 3]  # nobody answered 3; one missing
    assert a1["share"].tolist() == pytest.approx([2 / 11, 2 / 11, 0, 4 / 11, 3 / 11])
    a2 = freq[freq["item"] == "a2"]
    assert a2["count"].tolist() == [3, 3, 1, 2, 2]  # as given, 99 is missing
    summary = dr.item_summary(data).set_index("item")
    assert summary.loc["a2", "n_missing"] == 1 and summary.loc["a1", "n_missing"] == 1
    assert summary.loc["a2", "top_box_share"] == pytest.approx(100 * 6 / 11)  # 1 or 2 as given
    assert summary.loc["a1", "top_box_share"] == pytest.approx(100 * 7 / 11)  # 4 or 5


def test_frequencies_of_a_wide_scale_list_only_given_answers():
    df = pd.DataFrame({"p1": [0, 25, 25, 100, 62.5], "p2": [10, 20, 30, 40, 50]})
    q = csi.Questionnaire.build([csi.construct("P", ["p1", "p2"])], scale=(0, 100))
    freq = dr.frequencies(csi.prepare(df, q))
    p1 = freq[freq["item"] == "p1"]
    assert p1["answer"].tolist() == [0, 25, 62.5, 100] and p1["count"].tolist() == [1, 2, 1, 1]


# ---------------------------------------------------------------------------- NPS
def test_nps_formula_and_standard_error_on_a_hand_made_column():
    recommend = [10, 9] * 5 + [7, 8, 7, 8, 7] + [0, 3, 6, 5, 6]  # 10 promoters, 5 passives, 5 detractors
    extra = {"recommend": [str(v) for v in recommend] + ["n/a", "11", "7.5", "", "ten"],
             "group": ["x"] * 10 + ["y"] * 10 + [np.nan] * 5}
    df = pd.DataFrame({
        "a1": [1, 2, 3, 4, 5] * 5, "a2": [2, 3, 4, 5, 1] * 5, "b1": [3, 4, 5, 1, 2] * 5, **extra,
    })
    q = csi.Questionnaire.build(
        [csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])], [("A", "B")],
        scale=(1, 5), missing_codes=["n/a"], nps_item="recommend",
    )
    table = dr.nps(csi.prepare(df, q), segments="group")
    assert list(table.columns) == CONTRACT["nps"] + ["n_invalid"]
    total = table.iloc[0]
    assert (total["segment_column"], total["segment"]) == ("", "(total)")
    assert total["n"] == 20 and total["n_invalid"] == 3  # "11", "7.5", "ten"; "n/a" and "" are missing
    assert (total["promoters"], total["passives"], total["detractors"]) == pytest.approx((50, 25, 25))
    assert total["nps"] == pytest.approx(25)
    se = 100 * np.sqrt((0.5 + 0.25 - 0.25**2) / 20)
    assert total["std_err"] == pytest.approx(se) and se == pytest.approx(18.5405, abs=1e-4)
    assert (total["ci_lower"], total["ci_upper"]) == pytest.approx((25 - 1.959964 * se, 25 + 1.959964 * se))
    seg = table.iloc[1:].set_index("segment")
    assert list(seg.index) == ["x", "y", "(missing)"] and (seg["segment_column"] == "group").all()
    assert seg.loc["x", "nps"] == pytest.approx(100) and seg.loc["x", "std_err"] == 0
    assert (seg.loc["x", "ci_lower"], seg.loc["x", "ci_upper"]) == (100, 100)
    assert seg.loc["y", "nps"] == pytest.approx(-50)  # 5 passives, 5 detractors
    assert seg.loc["(missing)", "n"] == 0 and np.isnan(seg.loc["(missing)", "nps"])
    assert seg.loc["(missing)", "n_invalid"] == 3


def test_nps_per_region_on_the_example(example):
    _, data, _ = example
    table = dr.nps(data, segments=["region", "channel"], level=0.9)
    raw = data.other.assign(x=pd.to_numeric(data.other["nps_recommend"]))
    z = stats.norm.ppf(0.95)
    groups = [("", "(total)", raw)] + [
        (col, value, raw[raw[col] == value]) for col in ["region", "channel"] for value in sorted(raw[col].unique())
    ]
    assert list(zip(table["segment_column"], table["segment"])) == [(c, v) for c, v, _ in groups]
    for row, (_, _, g) in zip(table.itertuples(), groups):
        p, d = (g["x"] >= 9).mean(), (g["x"] <= 6).mean()
        assert row.n == len(g)
        assert row.nps == pytest.approx(100 * (p - d), rel=1e-12)
        assert row.passives == pytest.approx(100 * g["x"].between(7, 8).mean())
        assert row.std_err == pytest.approx(100 * np.sqrt((p + d - (p - d) ** 2) / len(g)), rel=1e-12)
        assert row.ci_upper - row.nps == pytest.approx(z * row.std_err)
    east = table[table["segment"] == "East"].iloc[0]
    assert east["nps"] < table.iloc[0]["nps"]  # the planted less satisfied region


def test_nps_on_the_chinese_csv_reads_text_cells():
    """CSV cells are text: the NPS column and the segment column are read from the raw strings."""
    q = csi.load_model(EXAMPLES / "acsi_retail_zh.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail_zh.csv", q, on_invalid="exclude")
    table = dr.nps(data, segments=["区域"])
    x = pd.to_numeric(data.other[q.nps_item], errors="coerce")
    total = table.iloc[0]
    assert total["n"] == x.between(0, 10).sum() > 300
    assert total["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    per_region = table.iloc[1:]
    assert set(per_region["segment"]) == set(data.other["区域"].str.strip())
    assert per_region["n"].sum() == total["n"]


# ---------------------------------------------------------------------------- CSAT
def test_csat_on_a_hand_made_column_uses_the_top_level_scale():
    data = _small({"csat": [5, 4, 5, 3, 1, 2, 4, "x", 5, 4, 7, np.nan], "seg": [1.0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]},
                  csat_item="csat")
    table = dr.csat(data, segments=["seg"], level=0.95)
    assert list(table.columns) == CONTRACT["csat"] + ["n_invalid"]
    total = table.iloc[0]
    assert total["n"] == 9 and total["n_invalid"] == 2  # "x" and 7 (outside 1–5)
    s = 6 / 9  # answers 4 or 5
    assert total["top_box_share"] == pytest.approx(100 * s)
    assert total["std_err"] == pytest.approx(100 * np.sqrt(s * (1 - s) / 9))
    assert total["ci_lower"] == pytest.approx(100 * s - 1.959964 * total["std_err"])
    assert table["segment"].tolist() == ["(total)", "1", "2"]  # 1.0 → "1"
    assert table.iloc[1]["top_box_share"] == pytest.approx(60) and table.iloc[2]["top_box_share"] == pytest.approx(75)


def test_csat_of_a_reverse_item_counts_the_lowest_answers_as_given():
    data = _small(csat_item="a2", top_box=1)
    total = dr.csat(data).iloc[0]
    assert total["n"] == 11 and total["top_box_share"] == pytest.approx(100 * 3 / 11)  # answered 1


def test_csat_per_region_on_the_example(example, raw_used):
    _, data, _ = example
    table = dr.csat(data, segments="region")
    sat = _numeric(raw_used["sat_overall"])
    assert table.iloc[0]["n"] == sat.notna().sum()
    assert table.iloc[0]["top_box_share"] == pytest.approx(100 * (sat.dropna() >= 9).mean())
    for row in table.iloc[1:].itertuples():
        g = sat[raw_used["region"] == row.segment].dropna()
        s = (g >= 9).mean()
        assert row.n == len(g) and row.top_box_share == pytest.approx(100 * s)
        assert row.std_err == pytest.approx(100 * np.sqrt(s * (1 - s) / len(g)))
    assert table.set_index("segment")["top_box_share"].idxmin() == "East"


def test_the_shipped_example_spec_runs_every_table():
    q = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", q, on_invalid="exclude")
    tables = {"gaps": dr.gaps(data), "nps": dr.nps(data, ["region"]), "csat": dr.csat(data, ["channel"]),
              "frequencies": dr.frequencies(data), "item_summary": dr.item_summary(data),
              "ipma": dr.ipma(csi.PLS(q).fit(data), data)}
    for name, table in tables.items():
        assert list(table.columns)[: len(CONTRACT[name])] == CONTRACT[name] and len(table) > 0, name


# ---------------------------------------------------------------------------- segments and errors
def test_segment_values(example):
    _, data, _ = example
    region = dr.segment_values(data, " Region ")  # case and spaces are forgiven, as for the items
    assert region.name == "region" and len(region) == data.n_used
    assert region.tolist() == data.other["region"].tolist()
    nps_text = dr.segment_values(data, "nps_recommend")
    assert set(nps_text) == {str(v) for v in range(11)}  # 10.0 → "10"
    problems = dr.segment_values(data, "pq_problems")  # an item: its answers as given (not reverse coded)
    expected = data.answers["pq_problems"].map(lambda v: "(missing)" if np.isnan(v) else str(int(v)))
    assert problems.tolist() == expected.tolist() and (problems == "(missing)").sum() == 21
    small = _small({"seg": ["a", None, " b ", ""] * 3})
    assert dr.segment_values(small, "seg").tolist()[:4] == ["a", "(missing)", "b", "(missing)"]
    with pytest.raises(InputFileError) as err:
        dr.segment_values(data, "regoin")
    assert "'regoin'" in str(err.value) and "'region'" in str(err.value)


def test_errors_name_what_is_missing(example):
    q, data, _ = example
    spec = q.model_dump()
    spec.update(nps_item=None, csat_item=None)
    plain = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", csi.Questionnaire.from_dict(spec), on_invalid="exclude")
    with pytest.raises(SettingsError) as err:
        dr.nps(plain)
    assert "nps_item" in str(err.value) and "nps_item: <column>" in str(err.value)
    with pytest.raises(SettingsError, match="csat_item"):
        dr.csat(plain)
    with pytest.raises(InputFileError, match="closest: 'region'"):
        dr.nps(data, segments=["regio"])
    with pytest.raises(SettingsError, match="level must be"):
        dr.nps(data, level=95)
    with pytest.raises(SettingsError, match="SurveyData"):
        dr.frequencies(data.items)
    no_scale = csi.Questionnaire.build([csi.construct("A", ["a1"], scale=(1, 5))], csat_item="score")
    df = pd.DataFrame({"a1": [1, 2, 3], "score": [1, 2, 3]})
    with pytest.raises(SettingsError) as err:
        dr.csat(csi.prepare(df, no_scale))
    assert "top-level scale" in str(err.value) and "scale: {min: 1, max: 5}" in str(err.value)
    wrong = csi.Questionnaire.build([csi.construct("A", ["a1"], scale=(1, 5))], nps_item="recomend")
    with pytest.raises(InputFileError) as err:
        dr.nps(csi.prepare(df.assign(recommend=[9, 9, 9]), wrong))
    assert "'recomend'" in str(err.value) and "closest: 'recommend'" in str(err.value)
