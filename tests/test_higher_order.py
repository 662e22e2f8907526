"""Higher-order constructs: seminr's two-stage HOC on mobi (all four mode variants, every row at 1e-6),
the 0–100 index of a HOC, the embedded and repeated-indicators approaches, the validation, the spec's
higher_order: section, and the batched bootstrap against refits of the resampled rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey import higher_order as ho
from csi_survey.exceptions import SettingsError, SingularMatrixError, SpecError
from csi_survey.higher_order import HigherOrder, HigherOrderPLS, format_location, validate_higher_order

from .conftest import REFERENCE, _read

BLOCKS = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
#: seminr's demo model: Expectation, Quality → Satisfaction → Complaints, Loyalty
PATHS = csi.paths(["Expectation", "Quality"], "Satisfaction") + csi.paths("Satisfaction", ["Complaints", "Loyalty"])
SAT = ("Satisfaction", ("Image", "Value"))
TIGHT = 1e-10  # max |weight change|; seminr stops at Σ|change| < 1e-7 (≤ 4.2e-9 from full convergence)


def mobi_model(lower: str = "A", scale=(1, 10)) -> csi.Questionnaire:
    """The first-order constructs of seminr's HOC demo; ``lower`` = mode of Image and Value."""
    return csi.Questionnaire.build(
        constructs=[csi.construct(c, items, mode=lower if c in ("Image", "Value") else "A") for c, items in BLOCKS.items()],
        scale=scale, name="mobi HOC",
    )


def hoc_engine(lower="A", upper="A", method="two_stage", scale=(1, 10), **kw) -> HigherOrderPLS:
    return HigherOrderPLS(mobi_model(lower, scale), [HigherOrder(*SAT, mode=upper)], paths=PATHS, method=method,
                          tol=TIGHT, **kw)


@pytest.fixture(scope="module")
def hoc_ref() -> pd.DataFrame:
    return _read(REFERENCE / "hoc_mobi_r.csv")


@pytest.fixture(scope="module")
def fits(mobi):
    """Two-stage fits of the four variants hoc_XY (X = mode of Image and Value, Y = mode of the HOC)."""
    return {f"hoc_{x}{y}": hoc_engine(x, y).fit(mobi) for x in "AB" for y in "AB"}


def ours_as_reference(fit) -> dict[tuple[str, str, str], float]:
    """Our numbers keyed as the reference rows: (quantity, from, to)."""
    out: dict[tuple[str, str, str], float] = {}
    for prefix, paths, weights in (("", fit.paths, fit.weights), ("stage1_", fit.stage1.paths, fit.stage1.weights)):
        for r in paths.itertuples():
            out[(prefix + "path", r.source, r.target)] = r.estimate
        for r in weights.itertuples():
            out[(prefix + "weight", r.item, r.construct)] = r.weight
            out[(prefix + "loading", r.item, r.construct)] = r.loading
    for r in fit.r2.itertuples():
        out[("r2", r.construct, "")] = r.r2
        out[("r2_adj", r.construct, "")] = r.r2_adj
    return out


def compare(fit, ref: pd.DataFrame, tol: float) -> tuple[int, float]:
    ours = ours_as_reference(fit)
    worst = 0.0
    count = 0
    for row in ref.itertuples():
        if row.quantity.endswith("iterations"):  # engine metadata, not estimates
            continue
        key = (row.quantity, row._4, "" if pd.isna(row.to) else row.to)
        assert key in ours, f"{key} missing from our results"
        dev = abs(ours[key] - row.value)
        assert dev <= tol, (key, ours[key], row.value)
        worst = max(worst, dev)
        count += 1
    return count, worst


# ---------------------------------------------------------------------- fidelity (seminr 2.3.4)
@pytest.mark.parametrize("variant", ["hoc_AA", "hoc_BA", "hoc_AB", "hoc_BB"])
def test_two_stage_equals_seminr(fits, hoc_ref, variant):
    ref = hoc_ref[(hoc_ref["model"] == variant) & (hoc_ref["tool"] == "seminr")]
    counts = ref["quantity"].value_counts().to_dict()
    assert counts == {"weight": 23, "loading": 23, "stage1_weight": 21, "stage1_loading": 21, "stage1_path": 8,
                      "path": 4, "r2": 3, "r2_adj": 3, "iterations": 1, "stage1_iterations": 1}
    n, worst = compare(fits[variant], ref, 1e-6)
    assert n == 106  # 4 paths + 23 weights + 23 loadings + 3 R² + 3 adj. R² + 8 + 21 + 21 stage-1 rows
    assert worst < 1e-8  # measured: 3.2e-10 (AA), 6.2e-10 (AB), 3.6e-9 (BA), 4.2e-9 (BB)
    # and we report no weight or path seminr does not have
    assert len(fits[variant].weights) == 23 and len(fits[variant].paths) == 4


@pytest.mark.parametrize("variant", ["hoc_AA", "hoc_BA", "hoc_AB", "hoc_BB"])
def test_two_stage_equals_csem_manual(fits, hoc_ref, variant):
    """cSEM's step-by-step repetition of seminr's algorithm, converged to 1e-10 as we are."""
    ref = hoc_ref[(hoc_ref["model"] == variant) & (hoc_ref["tool"] == "cSEM_manual2stage")]
    n, worst = compare(fits[variant], ref, 1e-8)
    assert n == 56  # measured max deviation 2.8e-15


def test_all_reference_rows_compared(hoc_ref):
    seminr = hoc_ref[(hoc_ref["tool"] == "seminr") & ~hoc_ref["quantity"].str.endswith("iterations")]
    assert len(seminr) == 4 * 106
    assert set(hoc_ref["model"]) == {"hoc_AA", "hoc_BA", "hoc_AB", "hoc_BB", "hoc_AA_csem_builtin_2stage"}


# ---------------------------------------------------------------------- the combined tables
def test_combined_tables_take_dimension_items_from_stage1(fits):
    fit = fits["hoc_AA"]
    w = fit.weights
    assert list(dict.fromkeys(w["construct"])) == ["Satisfaction", "Image", "Value", "Expectation", "Quality",
                                                    "Complaints", "Loyalty"]
    dims = w[w["construct"].isin(["Image", "Value"])]
    assert set(dims["stage"]) == {1} and set(w.loc[~w.index.isin(dims.index), "stage"]) == {2}
    s1 = fit.stage1.weights.set_index("item")
    assert np.array_equal(dims["weight"].to_numpy(), s1.loc[dims["item"], "weight"].to_numpy())
    hoc = w[w["construct"] == "Satisfaction"]
    assert list(hoc["item"]) == ["Image", "Value"]
    # the stage-1 model: HOC removed, its dimensions took over its paths (seminr's order)
    assert list(zip(fit.stage1.paths["source"], fit.stage1.paths["target"])) == [
        ("Expectation", "Image"), ("Expectation", "Value"), ("Quality", "Image"), ("Quality", "Value"),
        ("Image", "Complaints"), ("Value", "Complaints"), ("Image", "Loyalty"), ("Value", "Loyalty")]
    assert "Image" not in fit.stage2.model.constructs and "Satisfaction" in fit.stage2.model.constructs
    assert list(fit.scores.columns) == list(dict.fromkeys(w["construct"]))
    assert np.array_equal(fit.scores["Image"].to_numpy(), fit.stage1.scores["Image"].to_numpy())
    assert np.array_equal(fit.scores["Loyalty"].to_numpy(), fit.stage2.scores["Loyalty"].to_numpy())
    text = str(fit.summary())
    assert "two-stage (disjoint)" in text and "Satisfaction (mode A) = Image, Value" in text
    assert "HOC Satisfaction" in repr(fit)


@pytest.mark.parametrize("variant", ["hoc_AA", "hoc_BB"])
def test_hoc_index_formula(fits, mobi, variant):
    """HOC index = Σ ŵ_d index_d, ŵ_d ∝ w_d / sd(S_d) = the mean of the respondents' HOC 0–100 scores."""
    fit = fits[variant]
    dims = ["Image", "Value"]
    s100 = fit.stage1.scores_100[dims].to_numpy()
    hoc_w = fit.weights.set_index(["construct", "item"]).loc["Satisfaction"].loc[dims, "weight"].to_numpy()
    v = hoc_w / s100.std(axis=0, ddof=1)
    what = v / v.sum()
    index = fit.index.set_index("construct")["index"]
    expected = float(what @ index[dims].to_numpy())
    # respondent-level HOC 0–100 scores built the same way, from the items: Σ_d ŵ_d Σ_i ŵ_i (x_i − 1)/9·100
    s1w = fit.stage1.weights.set_index("item")
    per_resp = sum(
        what[k] * sum(s1w.at[i, "index_weight"] * (mobi[i].to_numpy() - 1) / 9 * 100 for i in BLOCKS[d])
        for k, d in enumerate(dims))
    assert index["Satisfaction"] == pytest.approx(expected, abs=1e-9)
    assert index["Satisfaction"] == pytest.approx(per_resp.mean(), abs=1e-9)
    assert np.allclose(fit.scores_100["Satisfaction"].to_numpy(), per_resp, atol=1e-9, rtol=0)
    # the stage-2 engine's own ACSI index of the HOC (its indicators are the 0–100 scores, scale 0–100)
    stage2 = fit.stage2.index.set_index("construct")["index"]
    assert stage2["Satisfaction"] == pytest.approx(expected, abs=1e-9)
    table = fit.dimensions
    assert list(table["dimension"]) == dims
    assert np.allclose(table["index_weight"], what, atol=1e-12)
    assert np.allclose(table["index_weight"], fit.weights.iloc[:2]["index_weight"], atol=1e-12)
    assert table["index_weight"].sum() == pytest.approx(1.0)
    assert list(fit.index["level"]) == [2, 1, 1, 1, 1, 1, 1]
    assert list(fit.index["higher_order"][:3]) == [None, "Satisfaction", "Satisfaction"]


def test_hoc_index_with_survey_weights_equals_repeated_rows(mobi):
    """Integer survey weights give the estimates of the data with each respondent repeated."""
    k = np.tile([1, 2, 3, 1, 2], 50)
    engine = hoc_engine("A", "A")
    weighted = engine.fit(mobi, weight=k)
    repeated = engine.fit(mobi.loc[mobi.index.repeat(k)].reset_index(drop=True))
    for table, col in (("paths", "estimate"), ("weights", "weight"), ("weights", "loading"), ("r2", "r2"),
                       ("index", "index"), ("dimensions", "index_weight")):
        a = getattr(weighted, table)[col].to_numpy(dtype=float)
        b = getattr(repeated, table)[col].to_numpy(dtype=float)
        assert np.allclose(a, b, atol=1e-9, rtol=0), (table, col)
    assert "n_effective" in weighted.index.columns and "weighted" in str(weighted.summary())


# ---------------------------------------------------------------------- stage 2 uses the stage-1 scores
def hand_stage2(fit, lower_scores: pd.DataFrame, mobi, upper="A") -> csi.PLSResults:
    """Stage 2 rebuilt by hand: the dimensions' unit-variance stage-1 scores as the HOC's indicators."""
    data = mobi.copy()
    data["Image_s1"] = lower_scores["Image"].to_numpy()
    data["Value_s1"] = lower_scores["Value"].to_numpy()
    model = csi.Questionnaire.build(
        constructs=[csi.construct("Expectation", BLOCKS["Expectation"]), csi.construct("Quality", BLOCKS["Quality"]),
                    csi.construct("Satisfaction", ["Image_s1", "Value_s1"], mode=upper),
                    csi.construct("Complaints", BLOCKS["Complaints"]), csi.construct("Loyalty", BLOCKS["Loyalty"])],
        paths=PATHS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)  # the hand-built model declares no scale
        return csi.PLS(model, tol=TIGHT).fit(data)


@pytest.mark.parametrize("method", ["two_stage", "embedded"])
@pytest.mark.parametrize("upper", ["A", "B"])
def test_stage2_uses_stage1_scores_exactly(mobi, method, upper):
    fit = hoc_engine("A", upper, method=method).fit(mobi)
    scores = fit.stage1.scores
    assert np.allclose(scores[["Image", "Value"]].std(ddof=1), 1.0, atol=1e-12)  # unit variance, sd n − 1
    hand = hand_stage2(fit, scores, mobi, upper)
    assert np.allclose(fit.paths["estimate"], hand.paths["estimate"], atol=1e-10, rtol=0)
    assert np.allclose(fit.r2["r2"], hand.r2["r2"], atol=1e-10, rtol=0)
    ours = fit.weights[fit.weights["stage"] == 2].set_index(["construct", "item"])
    theirs = hand.weights.assign(item=hand.weights["item"].str.removesuffix("_s1")).set_index(["construct", "item"])
    assert len(ours) == len(theirs) == 16
    for col in ("weight", "loading"):
        assert np.allclose(ours[col], theirs.loc[ours.index, col], atol=1e-10, rtol=0)
    assert np.allclose(fit.scores["Satisfaction"], hand.scores["Satisfaction"], atol=1e-9, rtol=0)
    # the 0–100 stage-2 indicators are an increasing linear function of the unit-variance scores
    s2 = fit.stage2.item_correlations.loc[["Image", "Value"], ["Image", "Value"]].to_numpy()
    s1 = fit.stage1.construct_correlations.loc[["Image", "Value"], ["Image", "Value"]].to_numpy()
    assert np.allclose(s2, s1, atol=1e-12)


def test_without_scale_same_estimates_and_no_hoc_index(mobi, fits):
    """Without item scales the unit-variance scores are the indicators: same estimates, no index."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)
        fit = hoc_engine("A", "A", scale=None).fit(mobi)
    ref = fits["hoc_AA"]
    assert np.allclose(fit.paths["estimate"], ref.paths["estimate"], atol=1e-12, rtol=0)
    assert np.allclose(fit.weights["weight"], ref.weights["weight"], atol=1e-12, rtol=0)
    assert np.allclose(fit.weights["loading"], ref.weights["loading"], atol=1e-12, rtol=0)
    assert fit.index["index"].isna().all() and fit.dimensions["index_weight"].isna().all()
    assert fit.stage2.model.item_scale("Image") is None


def test_embedded_stage1_is_the_repeated_indicators_model(mobi):
    embedded = hoc_engine("A", "A", method="embedded").fit(mobi)
    ri = hoc_engine("A", "A", method="repeated_indicators").fit(mobi)
    assert embedded.stage1.model.to_yaml() == ri.stage1.model.to_yaml()
    for table, col in (("paths", "estimate"), ("weights", "weight"), ("weights", "loading")):
        assert np.array_equal(getattr(embedded.stage1, table)[col], getattr(ri.stage1, table)[col])
    # dimension items come from that stage 1; the HOC's weights from stage 2
    dims = embedded.weights[embedded.weights["construct"] == "Image"]
    ri_w = ri.weights[ri.weights["construct"] == "Image"]
    assert np.array_equal(dims["weight"].to_numpy(), ri_w["weight"].to_numpy())
    assert list(embedded.weights[embedded.weights["construct"] == "Satisfaction"]["item"]) == ["Image", "Value"]
    assert "embedded" in str(embedded.summary())


# ---------------------------------------------------------------------- repeated indicators
def hand_repeated(mobi, upper: str) -> csi.PLSResults:
    data = mobi.copy()
    rep = BLOCKS["Image"] + BLOCKS["Value"]
    for i in rep:
        data[f"r_{i}"] = data[i]
    link = csi.paths("Satisfaction", ["Image", "Value"]) if upper == "A" else csi.paths(["Image", "Value"], "Satisfaction")
    model = csi.Questionnaire.build(
        constructs=[csi.construct("Satisfaction", [f"r_{i}" for i in rep], mode=upper)]
        + [csi.construct(c, items) for c, items in BLOCKS.items()],
        paths=PATHS + link, scale=(1, 10))
    return csi.PLS(model, tol=TIGHT).fit(data)


@pytest.mark.parametrize("upper", ["A", "B"])
def test_repeated_indicators_equals_hand_built_model(mobi, upper):
    fit = hoc_engine("A", upper, method="repeated_indicators").fit(mobi)
    hand = hand_repeated(mobi, upper)
    assert fit.stage2 is None and fit.final is fit.stage1
    # the HOC is measured by every item of its dimensions, shown under their own ids
    hoc = fit.weights[fit.weights["construct"] == "Satisfaction"]
    assert list(hoc["item"]) == BLOCKS["Image"] + BLOCKS["Value"]
    hand_hoc = hand.weights[hand.weights["construct"] == "Satisfaction"]
    assert np.allclose(hoc["weight"], hand_hoc["weight"], atol=1e-10, rtol=0)
    assert np.allclose(hoc["loading"], hand_hoc["loading"], atol=1e-10, rtol=0)
    ours = fit.paths.set_index(["source", "target"])["estimate"]
    theirs = hand.paths.set_index(["source", "target"])["estimate"]
    assert len(ours) == 6 and np.allclose(ours.loc[theirs.index], theirs, atol=1e-10, rtol=0)
    # mode A: HOC → dimension paths (a single predictor: the path is the correlation); mode B: dimensions → HOC
    corr = fit.stage1.construct_correlations
    if upper == "A":
        assert ours[("Satisfaction", "Image")] == pytest.approx(corr.at["Satisfaction", "Image"], abs=1e-12)
        assert set(fit.r2["construct"]) >= {"Image", "Value"}
    else:
        assert ("Image", "Satisfaction") in ours.index
        # the dimensions explain almost all of the HOC: the other antecedents' paths collapse (documented bias)
        r2 = fit.r2.set_index("construct")["r2"]
        assert r2["Satisfaction"] > 0.95 and abs(ours[("Quality", "Satisfaction")]) < 0.1
    # the HOC index is the ACSI index of its repeated items; the dimensions' shares sum to 1
    hand_index = hand.index.set_index("construct")["index"]
    assert fit.index.set_index("construct").at["Satisfaction", "index"] == pytest.approx(hand_index["Satisfaction"], abs=1e-9)
    assert fit.dimensions["index_weight"].sum() == pytest.approx(1.0)
    assert fit.dimensions["weight"].isna().all()


def test_fits_are_reproducible(mobi):
    for method in ("two_stage", "embedded", "repeated_indicators"):
        engine = hoc_engine("B", "A", method=method)
        a, b = engine.fit(mobi), engine.fit(mobi)
        for table in ("paths", "weights", "r2", "index", "dimensions", "scores"):
            pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


# ---------------------------------------------------------------------- more shapes of models
def test_two_hocs_and_a_path_between_them(mobi):
    model = mobi_model()
    hocs = [HigherOrder("Front", ("Image", "Expectation"), label="Front end"),
            HigherOrder("Outcome", ("Complaints", "Loyalty"), mode="B")]
    paths = csi.paths("Quality", ["Front", "Value"]) + csi.paths(["Front", "Value"], "Outcome")
    engine = HigherOrderPLS(model, hocs, paths=paths, tol=TIGHT)
    assert [c for c in engine.stage1_model.construct_ids] == model.construct_ids
    s1 = {(p.source, p.target) for p in engine.stage1_model.paths}
    assert s1 == {("Quality", "Image"), ("Quality", "Expectation"), ("Quality", "Value"),
                  ("Image", "Complaints"), ("Image", "Loyalty"), ("Expectation", "Complaints"),
                  ("Expectation", "Loyalty"), ("Value", "Complaints"), ("Value", "Loyalty")}
    fit = engine.fit(mobi)
    assert list(fit.index["construct"]) == ["Front", "Image", "Expectation", "Quality", "Value", "Outcome",
                                            "Complaints", "Loyalty"]
    assert fit.index.set_index("construct").at["Front", "label"] == "Front end"
    for hoc in ("Front", "Outcome"):
        t = fit.dimensions[fit.dimensions["construct"] == hoc]
        idx = fit.index.set_index("construct").at[hoc, "index"]
        assert idx == pytest.approx(float(t["index_weight"] @ t["dimension_index"]), abs=1e-9)


def test_paths_default_to_the_models_paths(mobi):
    model = csi.Questionnaire.build(
        constructs=[csi.construct(c, items) for c, items in BLOCKS.items()],
        paths=csi.paths("Expectation", ["Quality", "Loyalty"]), scale=(1, 10))
    fit = HigherOrderPLS(model, HigherOrder("Perception", ("Image", "Value"))).fit(mobi)
    assert fit.structural_paths == (("Expectation", "Quality"), ("Expectation", "Loyalty"))
    assert np.isfinite(fit.index.set_index("construct").at["Perception", "index"])  # a HOC without paths


def test_stage_errors_say_which_stage(mobi):
    data = mobi.assign(IMAG6=mobi["IMAG1"])  # a duplicated item in a mode-B dimension
    model = csi.Questionnaire.build(
        constructs=[csi.construct(c, items + (["IMAG6"] if c == "Image" else []), mode="B" if c == "Image" else "A")
                    for c, items in BLOCKS.items()], scale=(1, 10))
    with pytest.raises(SingularMatrixError, match=r"^stage 1: the items of mode-B construct Image"):
        HigherOrderPLS(model, HigherOrder(*SAT), paths=PATHS).fit(data)


# ---------------------------------------------------------------------- validation
CONSTRUCTS = list(BLOCKS)


def problems(higher_order, paths=PATHS) -> list[tuple[tuple, str]]:
    return validate_higher_order(CONSTRUCTS, higher_order, paths)


def test_valid_model_has_no_problems():
    assert problems([HigherOrder(*SAT)]) == []
    assert validate_higher_order(mobi_model(), [HigherOrder(*SAT)], PATHS) == []


@pytest.mark.parametrize(("hocs", "paths", "location", "fragment"), [
    ([HigherOrder("Image", ("Value", "Quality"))], [], ("higher_order", "Image"), "has the id of a construct"),
    ([HigherOrder(*SAT), HigherOrder("Satisfaction", ("Quality", "Expectation"))], PATHS,
     ("higher_order", "Satisfaction"), "declared more than once"),
    ([HigherOrder("Satisfaction", ("Image",))], PATHS, ("higher_order", "Satisfaction", "dimensions"), "at least two"),
    ([HigherOrder("Satisfaction", ("Image", "Image"))], PATHS, ("higher_order", "Satisfaction", "dimensions", 1),
     "listed twice"),
    ([HigherOrder("Satisfaction", ("Image", "Valeu"))], PATHS, ("higher_order", "Satisfaction", "dimensions", 1),
     "not a construct of the model; did you mean 'Value'?"),
    ([HigherOrder(*SAT), HigherOrder("Other", ("Value", "Quality"))], PATHS, ("higher_order", "Other", "dimensions", 0),
     "belongs to two higher-order constructs"),
    ([HigherOrder("Satisfaction", ("Satisfaction", "Image"))], PATHS, ("higher_order", "Satisfaction", "dimensions", 0),
     "is its own dimension"),
    ([HigherOrder(*SAT), HigherOrder("Top", ("Satisfaction", "Quality"))], PATHS, ("higher_order", "Top", "dimensions", 0),
     "only second-order models are supported"),
    ([HigherOrder(*SAT)], PATHS + [("Image", "Loyalty")], ("paths", 4), "is a dimension of 'Satisfaction'"),
    ([HigherOrder(*SAT)], PATHS + [("Satisfation", "Loyalty")], ("paths", 4),
     "neither a construct nor a higher-order construct; did you mean 'Satisfaction'?"),
    ([HigherOrder(*SAT)], PATHS + [("Loyalty", "Loyalty")], ("paths", 4), "to itself"),
    ([HigherOrder(*SAT)], PATHS + [("Quality", "Satisfaction")], ("paths", 4), "listed twice (also paths[1])"),
    ([HigherOrder(*SAT)], PATHS + [("Loyalty", "Expectation")], ("paths",),
     "the paths form a cycle: Expectation → Satisfaction → Loyalty → Expectation"),
])
def test_each_problem_is_reported(hocs, paths, location, fragment):
    found = problems(hocs, paths)
    assert any(loc == location and fragment in msg for loc, msg in found), found


def test_cycle_of_hocs():
    found = problems([HigherOrder("H1", ("H2", "Image")), HigherOrder("H2", ("H1", "Value"))], [])
    assert (("higher_order",), "the higher-order constructs are dimensions of each other in a cycle: H1 → H2 → H1") in found
    assert sum("only second-order" in msg for _, msg in found) == 2


def test_engine_raises_spec_error_with_every_problem():
    hocs = [HigherOrder("Satisfaction", ("Image",)), HigherOrder("Quality", ("Value", "Complaints"))]
    with pytest.raises(SpecError) as info:
        HigherOrderPLS(mobi_model(), hocs, paths=PATHS + [("Image", "Loyalty")])
    table = info.value.problems
    assert list(table.columns) == ["location", "problem"]
    assert set(table["location"]) >= {"higher_order.Satisfaction.dimensions", "higher_order.Quality", "paths[4]"}
    assert "How to fix" in str(info.value)
    assert format_location(("higher_order", "SAT", "dimensions", 1)) == "higher_order.SAT.dimensions[1]"


def test_settings_are_checked():
    with pytest.raises(SettingsError, match="mode of SAT"):
        HigherOrder("SAT", ("IMG", "PV"), mode="C")
    assert HigherOrder("SAT", ["IMG", "PV"], mode="b") == HigherOrder("SAT", ("IMG", "PV"), mode="B")
    with pytest.raises(SettingsError, match="method"):
        HigherOrderPLS(mobi_model(), HigherOrder(*SAT), paths=PATHS, method="mixed")
    with pytest.raises(SettingsError, match="scheme"):
        HigherOrderPLS(mobi_model(), HigherOrder(*SAT), paths=PATHS, scheme="pathx")
    with pytest.raises(SettingsError, match="higher_order"):
        HigherOrderPLS(mobi_model(), [], paths=PATHS)
    with pytest.raises(SettingsError, match="tol"):
        HigherOrderPLS(mobi_model(), HigherOrder(*SAT), paths=PATHS, tol=0)


def test_indicator_names_do_not_clash_with_items(mobi):
    """A stage-2 item named like a dimension: the HOC's indicator gets another internal name."""
    data = mobi.assign(Image=mobi["CUSL1"])
    blocks = {**BLOCKS, "Loyalty": ["Image", "CUSL2", "CUSL3"]}
    model = csi.Questionnaire.build(constructs=[csi.construct(c, items) for c, items in blocks.items()], scale=(1, 10))
    engine = HigherOrderPLS(model, HigherOrder(*SAT), paths=PATHS, tol=TIGHT)
    assert engine.indicator == {"Image_2": "Image", "Value": "Value"}
    fit = engine.fit(data)
    reference = hoc_engine().fit(mobi)
    assert np.allclose(fit.paths["estimate"], reference.paths["estimate"], atol=1e-12, rtol=0)
    assert list(fit.weights[fit.weights["construct"] == "Satisfaction"]["item"]) == ["Image", "Value"]
    assert list(fit.weights[fit.weights["construct"] == "Loyalty"]["item"]) == ["Image", "CUSL2", "CUSL3"]


# ---------------------------------------------------------------------- the spec declares the HOCs
HOC_SPEC = """\
name: mobi HOC
scale: [1, 10]
index: Satisfaction
constructs:
  Image: {items: [IMAG1, IMAG2, IMAG3, IMAG4, IMAG5], mode: B}
  Expectation: {items: [CUEX1, CUEX2, CUEX3]}
  Quality: {items: [PERQ1, PERQ2, PERQ3, PERQ4, PERQ5, PERQ6, PERQ7]}
  Value: {items: [PERV1, PERV2], mode: B}
  Complaints: {items: [CUSCO]}
  Loyalty: {items: [CUSL1, CUSL2, CUSL3]}
higher_order:
  Satisfaction: {dimensions: [Image, Value], mode: A, label: Overall satisfaction}
higher_order_method: {method}
paths:
  - [Expectation, Satisfaction]
  - [Quality, Satisfaction]
  - Satisfaction -> Complaints
  - [Satisfaction, Loyalty]
"""


def hoc_spec(method: str = "two_stage") -> csi.Questionnaire:
    return csi.Questionnaire.from_yaml(HOC_SPEC.replace("{method}", method), source="hoc.yaml")


@pytest.mark.parametrize("method", ["two_stage", "embedded", "repeated_indicators"])
def test_the_spec_declares_the_hocs_and_the_method(mobi, method):
    """HigherOrderPLS(model) reads higher_order: and higher_order_method: — the same fit as the arguments."""
    from_spec = HigherOrderPLS(hoc_spec(method), tol=TIGHT)
    explicit = hoc_engine("B", "A", method=method)
    assert from_spec.method == method and from_spec.higher_order == (
        HigherOrder("Satisfaction", ("Image", "Value"), "A", "Overall satisfaction"),)
    a, b = from_spec.fit(mobi), explicit.fit(mobi)
    for table in ("paths", "r2", "dimensions"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    assert np.array_equal(a.weights["weight"], b.weights["weight"])
    assert a.index.set_index("construct").at["Satisfaction", "label"] == "Overall satisfaction"
    assert a.headline == a.index.set_index("construct").at["Satisfaction", "index"]
    # explicit arguments override the spec
    other = HigherOrderPLS(hoc_spec(method), method="two_stage", tol=TIGHT)
    assert other.method == "two_stage"


def test_seminr_numbers_from_a_spec_file(mobi, hoc_ref, tmp_path):
    """The seminr hoc_BA variant, declared in a YAML file: every reference row at 1e-6."""
    path = tmp_path / "hoc.yaml"
    path.write_text(HOC_SPEC.replace("{method}", "two_stage"), encoding="utf-8")
    fit = HigherOrderPLS(csi.load_model(path), tol=TIGHT).fit(mobi)
    ref = hoc_ref[(hoc_ref["model"] == "hoc_BA") & (hoc_ref["tool"] == "seminr")]
    n, worst = compare(fit, ref, 1e-6)
    assert n == 106 and worst < 1e-8


def test_plain_pls_refuses_a_hoc_spec_and_the_engines_their_misuse():
    with pytest.raises(SettingsError, match="csi.HigherOrderPLS / csi.ModeratedPLS, or `csi-survey run`"):
        csi.PLS(hoc_spec())
    with pytest.raises(SettingsError, match="declares no higher-order constructs"):
        HigherOrderPLS(mobi_model())
    both = hoc_spec().model_dump()
    both["interactions"] = [{"iv": "Expectation", "moderator": "Quality", "targets": ["Loyalty"]}]
    both["paths"] += [{"source": "Expectation", "target": "Loyalty"}, {"source": "Quality", "target": "Loyalty"}]
    spec = csi.Questionnaire.from_dict(both)
    with pytest.raises(SettingsError, match="not supported yet"):
        HigherOrderPLS(spec)
    with pytest.raises(SettingsError, match="not supported yet"):
        HigherOrderPLS(spec, [HigherOrder(*SAT)])


# ---------------------------------------------------------------------- bootstrap
def _refit_values(engine: HigherOrderPLS, data: pd.DataFrame, counts: np.ndarray, weight=None) -> np.ndarray:
    rows = np.repeat(np.arange(len(data)), counts.astype(int))
    with warnings.catch_warnings():  # a resample may give an item a negative index weight
        warnings.simplefilter("ignore", csi.IndexWarning)
        fit = engine.fit(data.iloc[rows].reset_index(drop=True), weight=None if weight is None else weight[rows])
    return ho._labels(fit)[1]


def _counts(seed: int, resamples: int, n: int) -> list[np.ndarray]:
    """The respondents each resample draws: the rule of csi_survey.bootstrap (SeedSequence per resample)."""
    return [np.bincount(np.random.default_rng(s).integers(0, n, n), minlength=n)
            for s in np.random.SeedSequence(seed).spawn(resamples)]


@pytest.mark.parametrize("method", ["two_stage", "embedded", "repeated_indicators"])
@pytest.mark.parametrize("lower, upper", [("A", "A"), ("B", "B")])
def test_each_replicate_is_the_model_refitted_on_the_resampled_rows(mobi, method, lower, upper):
    """Both stages re-estimated per resample from count-weighted moments: a replicate equals
    HigherOrderPLS.fit on the materialized resample (measured max difference 5.7e-14)."""
    engine = hoc_engine(lower, upper, method=method)
    fit = engine.fit(mobi)
    boot = ho.bootstrap_higher_order(fit, mobi, resamples=3, seed=11)
    assert boot.bootstrap.used == 3
    labels, _ = ho._labels(fit)
    assert len(labels) == boot.bootstrap.draws.shape[1] == len(boot.bootstrap.estimates)
    for b, counts in enumerate(_counts(11, 3, len(mobi))):
        expected = _refit_values(engine, mobi, counts)
        assert np.isfinite(expected).all()
        np.testing.assert_allclose(boot.bootstrap.draws[b], expected, rtol=0, atol=1e-8)


def test_weighted_replicates_equal_weighted_refits(mobi):
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(mobi))
    engine = hoc_engine("A", "B")
    fit = engine.fit(mobi, weight=w)
    boot = ho.bootstrap_higher_order(fit, mobi, resamples=2, seed=4)
    for b, counts in enumerate(_counts(4, 2, len(mobi))):
        np.testing.assert_allclose(boot.bootstrap.draws[b], _refit_values(engine, mobi, counts, w), rtol=0, atol=1e-8)


def test_unit_counts_reproduce_the_fit(mobi):
    fit = hoc_engine("B", "A", method="embedded").fit(mobi)
    X, _ = csi.engine.pls.item_matrix(fit.model, mobi)
    values, status, problems = ho._estimate_batch(ho._plan(fit, X), np.ones((1, len(mobi))))
    labels, estimate = ho._labels(fit)
    assert status.tolist() == [0] and problems == {}
    np.testing.assert_allclose(values[0], estimate, rtol=0, atol=1e-9)
    counts = labels["statistic"].value_counts().to_dict()
    assert counts == {"path": 4, "total_effect": 8, "weight": 23, "loading": 23, "r2": 3, "index": 7}


def test_bootstrap_tables_reproducibility_and_progress(mobi):
    fit = HigherOrderPLS(hoc_spec()).fit(mobi)
    calls = []
    a = ho.bootstrap_higher_order(fit, mobi, resamples=200, seed=5, progress=lambda done, total: calls.append((done, total)))
    b = ho.bootstrap_higher_order(fit, mobi, resamples=200, seed=5)
    np.testing.assert_array_equal(a.bootstrap.draws, b.bootstrap.draws)
    assert calls[-1] == (200, 200)
    full = {"std_err", "t_value", "p_value", "ci_lower", "ci_upper"}
    for table in (a.paths, a.effects):
        assert full <= set(table.columns) and (table["ci_lower"] <= table["ci_upper"]).all()
    assert {f"weight_{c}" for c in full} | {f"loading_{c}" for c in full} <= set(a.weights.columns)
    assert {"std_err", "ci_lower", "ci_upper"} <= set(a.r2.columns)
    idx = a.index.set_index("construct")
    assert np.isfinite(idx[["std_err", "ci_lower", "ci_upper", "margin_of_error"]].to_numpy()).all()
    assert idx.at["Satisfaction", "ci_lower"] < idx.at["Satisfaction", "index"] < idx.at["Satisfaction", "ci_upper"]
    pd.testing.assert_frame_equal(a.index.iloc[:, :len(fit.index.columns)], fit.index)
    assert set(a.bootstrap.estimates["statistic"]) == {"path", "total_effect", "weight", "loading", "r2", "index"}
    assert "200 of 200 resamples (seed 5)" in str(a.summary())
    other = ho.bootstrap_higher_order(fit, mobi, resamples=200, seed=6)
    assert not np.array_equal(other.bootstrap.draws, a.bootstrap.draws)


def test_bootstrap_checks_its_arguments(mobi):
    fit = hoc_engine().fit(mobi)
    with pytest.raises(SettingsError, match="resamples"):
        ho.bootstrap_higher_order(fit, mobi, resamples=1)
    with pytest.raises(SettingsError, match="level"):
        ho.bootstrap_higher_order(fit, mobi, resamples=10, level=95)
    with pytest.raises(csi.EstimationError, match="respondents"):
        ho.bootstrap_higher_order(fit, mobi.iloc[:100], resamples=10)
    with pytest.raises(SettingsError, match="HigherOrderResults"):
        ho.bootstrap_higher_order(fit.stage1, mobi, resamples=10)


def test_the_shared_bootstrap_helpers_follow_their_rules():
    """One rule draws the respondents of every bootstrap (csi_survey.bootstrap, moderation, HOC, the fit
    test) and one summary gives se, t, p and the percentile interval."""
    from scipy import stats

    from csi_survey.engine.bootstrap import percentile_summary, resample_counts

    K = resample_counts(np.random.SeedSequence(7).spawn(5), 40)
    assert K.dtype == np.float64 and K.shape == (5, 40) and (K.sum(axis=1) == 40).all()
    np.testing.assert_array_equal(K, np.stack(_counts(7, 5, 40)))
    draws = np.random.default_rng(1).normal(size=(200, 3))
    draws[:, 2] = 0.5  # no spread: t is undefined
    estimate = np.array([0.1, -0.2, 0.5])
    out = percentile_summary(estimate, draws, 0.9)
    assert list(out) == ["std_err", "t_value", "p_value", "ci_lower", "ci_upper"]
    se = draws.std(axis=0, ddof=1)
    np.testing.assert_array_equal(out["std_err"], se)
    np.testing.assert_allclose(out["t_value"][:2], estimate[:2] / se[:2], rtol=1e-15)
    assert np.isnan(out["t_value"][2]) and np.isnan(out["p_value"][2])
    np.testing.assert_allclose(out["p_value"][:2], 2 * stats.t.sf(np.abs(estimate[:2] / se[:2]), 199), rtol=1e-12)
    np.testing.assert_allclose(out["ci_lower"], np.quantile(draws, 0.05, axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(out["ci_upper"], np.quantile(draws, 0.95, axis=0), rtol=0, atol=0)


def test_stages_are_fitted_from_the_item_matrix(mobi):
    """The stages run PLS.fit_items on arrays (no DataFrames): the same numbers as PLS.fit on a frame."""
    plain = csi.Questionnaire.build(constructs=[csi.construct(c, items) for c, items in BLOCKS.items()],
                                    paths=csi.paths("Image", ["Expectation", "Quality"]), scale=(1, 10))
    pls = csi.PLS(plain)
    X = mobi[plain.item_ids].to_numpy(dtype=float)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(mobi))
    a, b = pls.fit(mobi, weight=w), pls.fit_items(X, weight=w)
    for table in ("paths", "weights", "index", "scores", "scores_100"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    pd.testing.assert_series_equal(a.respondent_id, b.respondent_id)
    with pytest.raises(SettingsError, match="one column per item"):
        pls.fit_items(X[:, :3])
    X[0, 0] = np.nan
    with pytest.raises(csi.EstimationError, match="missing values"):
        pls.fit_items(X)
