"""MICOM (measurement invariance of composites) between segments, checked against R cSEM and seminr.

Reference: ../shared/data/reference/micom_mgd_corp_rep_r.csv — corp_rep's simple model split by
servicetype (1 = prepaid, n = 125; 2 = contract, n = 219). Tolerances as its README section says:
deterministic rows 1e-6 (seminr) / 1e-8 (cSEM); permutation p values ±0.05 (Monte-Carlo SE ≤ 0.016
at 1000 draws). cSEM reports group 1 − group 2; our differences are b − a (segment "2" − "1").
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.exceptions import CsiSurveyWarning, SettingsError, TooFewSegmentsError
from csi_survey.invariance import MICOM_COLUMNS, MicomResults, composite_correlation, micom
from csi_survey.multiplicity import adjust_p_values
from csi_survey.segments import segment_differences, subset

from .conftest import EXAMPLES, REFERENCE, SHARED

CORP_ITEMS = {"COMP": ["comp_1", "comp_2", "comp_3"], "LIKE": ["like_1", "like_2", "like_3"], "CUSA": ["cusa"],
              "CUSL": ["cusl_1", "cusl_2", "cusl_3"]}
CONSTRUCTS = list(CORP_ITEMS)


@pytest.fixture(scope="module")
def corp_spec():
    return csi.Questionnaire.build(
        [csi.construct(c, items) for c, items in CORP_ITEMS.items()],
        csi.paths(["COMP", "LIKE"], ["CUSA", "CUSL"]) + csi.paths("CUSA", "CUSL"),
        scale={"min": 1, "max": 7},
    )


def mean_replaced(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """seminr's ``missing = mean_replacement, missing_value = "-99"``: every -99 becomes its item's mean
    over the rows given (single-item constructs too, so every respondent is kept)."""
    out = frame.copy()
    for item in items:
        valid = out[item].where(out[item] != -99)
        out[item] = valid.fillna(valid.mean())
    return out


@pytest.fixture(scope="module")
def corp_raw():
    path = SHARED / "corp_rep_data.csv"
    if not path.is_file():
        pytest.fail(f"benchmark file {path} is missing: the fidelity tests need ../shared/data beside the checkout")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def corp(corp_raw, corp_spec):
    """Full-sample mean replacement, as cSEM's and seminr's pooled-imputation rows."""
    return csi.prepare(mean_replaced(corp_raw, corp_spec.item_ids), corp_spec)


@pytest.fixture(scope="module")
def ref():
    path = REFERENCE / "micom_mgd_corp_rep_r.csv"
    if not path.is_file():
        pytest.fail(f"reference file {path} is missing")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def rows(ref, tool, quantity):
    return ref[(ref["tool"] == tool) & (ref["quantity"] == quantity)]


@pytest.fixture(scope="module")
def corp_micom(corp, corp_spec):
    # cSEM ran with .tolerance = 1e-10: the same stopping rule here, so its numbers are met to ~1e-15
    return micom(csi.PLS(corp_spec, tol=1e-10), corp, "servicetype", permutations=1000, seed=123)


# ---------------------------------------------------------------------- per-group estimates
@pytest.mark.parametrize("tool, tol, atol", [("cSEM", 1e-10, 1e-8), ("seminr_pooled_imputation", 1e-7, 1e-6)])
def test_per_group_estimates_equal_csem_and_seminr(corp, corp_spec, ref, tool, tol, atol):
    engine = csi.PLS(corp_spec, tol=tol)  # seminr's default stopping rule is ours (1e-7)
    servicetype = corp.other["servicetype"].to_numpy()
    for group in (1, 2):
        fit = engine.fit(subset(corp, servicetype == group))
        assert fit.n == {1: 125, 2: 219}[group]
        for quantity, table, key, column in (
            ("path", fit.paths, ["source", "target"], "estimate"),
            ("weight", fit.weights, ["item", "construct"], "weight"),
            ("loading", fit.weights, ["item", "construct"], "loading"),
        ):
            want = rows(ref, tool, f"{quantity}_group{group}")
            assert len(want) == {"path": 5, "weight": 10, "loading": 10}[quantity]
            got = table.set_index(key)[column].reindex(pd.MultiIndex.from_frame(want[["from", "to"]]))
            np.testing.assert_allclose(got.to_numpy(), want["value"].to_numpy(), rtol=0, atol=atol,
                                       err_msg=f"{tool} {quantity} group {group}")


def test_pooled_fit_and_seminr_mga_groups_with_their_own_imputation(corp, corp_raw, corp_spec, ref):
    engine = csi.PLS(corp_spec)
    pooled = rows(ref, "seminr", "path_pooled")
    got = engine.fit(corp).paths.set_index(["source", "target"])["estimate"]
    np.testing.assert_allclose(got.reindex(pd.MultiIndex.from_frame(pooled[["from", "to"]])), pooled["value"], atol=1e-6)
    # estimate_pls_mga re-runs estimate_pls on each group's raw rows: -99 replaced by that group's means
    fits = {}
    for group in (1, 2):
        frame = mean_replaced(corp_raw[corp_raw["servicetype"] == group], corp_spec.item_ids)
        fits[group] = engine.fit(csi.prepare(frame, corp_spec)).paths.set_index(["source", "target"])["estimate"]
        want = rows(ref, "seminr_mga", f"path_group{group}")
        np.testing.assert_allclose(fits[group].reindex(pd.MultiIndex.from_frame(want[["from", "to"]])), want["value"], atol=1e-6)
    want = rows(ref, "seminr_mga", "path_diff_1minus2")
    diff = (fits[1] - fits[2]).reindex(pd.MultiIndex.from_frame(want[["from", "to"]]))
    np.testing.assert_allclose(diff, want["value"], atol=1e-6)


# ---------------------------------------------------------------------- MICOM against cSEM::testMICOM
def test_micom_statistics_equal_csem(corp_micom, ref):
    t = corp_micom.table.set_index("construct")
    assert list(corp_micom.table.columns) == MICOM_COLUMNS
    assert list(t.index) == CONSTRUCTS
    assert (t["segment_a"] == "1").all() and (t["segment_b"] == "2").all()
    assert (t["n_a"] == 125).all() and (t["n_b"] == 219).all()

    def ref_values(quantity):
        r = rows(ref, "cSEM_testMICOM", quantity).set_index("from")["value"]
        return r.reindex(CONSTRUCTS).to_numpy(dtype=float)

    np.testing.assert_allclose(t["c"], ref_values("step2_c"), rtol=0, atol=1e-8)
    # cSEM: group 1 − group 2; ours: segment_b − segment_a
    np.testing.assert_allclose(t["mean_difference"], -ref_values("step3_mean_diff_1minus2"), rtol=0, atol=1e-8)
    np.testing.assert_allclose(t["log_var_difference"], -ref_values("step3_logvar_diff_1minus2"), rtol=0, atol=1e-8)
    # permutation p values: independent draws, so statistically (±0.05; ours count the data once more)
    np.testing.assert_allclose(t["c_p_value"], ref_values("step2_p"), atol=0.05)
    np.testing.assert_allclose(t["mean_p_value"], ref_values("step3_mean_p"), atol=0.05)
    np.testing.assert_allclose(t["var_p_value"], ref_values("step3_var_p"), atol=0.05)
    assert (t["permutations_used"] == 1000).all()
    assert rows(ref, "cSEM_testMICOM", "n_permutations_admissible")["value"].iloc[0] == 1000


def test_corp_rep_is_fully_invariant_and_says_so(corp_micom):
    t = corp_micom.table.set_index("construct")
    assert t["configural"].all() and t["compositional"].all()
    assert t["equal_means"].all() and t["equal_variances"].all()
    assert (t["invariance"] == "full").all()
    assert t["decision"].str.startswith("full measurement invariance").all()
    assert corp_micom.notes == () and corp_micom.failures.empty
    # the 5 % quantile lies below c; the single-item construct is invariant by construction
    assert (t["c_critical"] <= t["c"] + 1e-10).all()
    assert t.loc["CUSA", "c"] == pytest.approx(1.0, abs=1e-10) and t.loc["CUSA", "c_p_value"] == 1.0
    # the permutation intervals of step 3 contain the observed differences, around 0
    for what in ("mean", "var"):
        lo, hi = t[f"{what}_perm_lower"], t[f"{what}_perm_upper"]
        assert (lo < 0).all() and (hi > 0).all()
    text = str(corp_micom.summary())
    for part in ("MICOM", "Step 2: compositional invariance", "Step 3: equal means and variances", "Decision", "4 full"):
        assert part in text
    assert "<table" in corp_micom.summary()._repr_html_()
    assert "0 construct(s) without compositional invariance" in repr(corp_micom)
    assert isinstance(corp_micom, MicomResults)
    with pytest.raises(dataclasses.FrozenInstanceError):
        corp_micom.notes = ("x",)


def test_c_is_the_correlation_of_the_two_groups_composites_on_the_pooled_items(corp, corp_spec, corp_micom):
    engine = csi.PLS(corp_spec, tol=1e-10)
    servicetype = corp.other["servicetype"].to_numpy()
    X = corp.items[corp_spec.item_ids].to_numpy(dtype=float)
    w = {g: engine.fit(subset(corp, servicetype == g)).weights for g in (1, 2)}
    for construct, items in CORP_ITEMS.items():
        scores = [X[:, [corp_spec.item_ids.index(i) for i in items]] @ w[g].set_index("item").loc[items, "weight"].to_numpy()
                  for g in (1, 2)]
        c = np.corrcoef(scores[0], scores[1])[0, 1]
        assert corp_micom.table.set_index("construct").loc[construct, "c"] == pytest.approx(c, abs=1e-10)
    S = np.array([[1.0, 0.3], [0.3, 2.0]])
    one = np.array([[1.0], [1.0]])
    assert composite_correlation(one, 2 * one, S).item() == pytest.approx(1.0)


# ---------------------------------------------------------------------- Chin permutation test (pairwise MGA) vs cSEM::testMGD
def test_pairwise_permutation_test_agrees_with_csem_testmgd_chin(corp, corp_spec, ref):
    diff = segment_differences(csi.PLS(corp_spec, tol=1e-10), corp, "servicetype", permutations=1000, seed=123)
    paths = diff[diff["statistic"] == "path"].set_index(["source", "target"])
    want_d = rows(ref, "cSEM_testMGD_Chin", "path_diff_1minus2")
    key = pd.MultiIndex.from_frame(want_d[["from", "to"]])
    np.testing.assert_allclose(paths["difference"].reindex(key), -want_d["value"].to_numpy(), atol=1e-8)
    want_p = rows(ref, "cSEM_testMGD_Chin", "path_p")
    np.testing.assert_allclose(paths["p_value"].reindex(pd.MultiIndex.from_frame(want_p[["from", "to"]])),
                               want_p["value"].to_numpy(), atol=0.05)
    # one pair only: the family has one test, so the adjustment changes nothing
    np.testing.assert_array_equal(diff["p_adjusted"], diff["p_value"])


# ---------------------------------------------------------------------- detecting non-invariance
def synthetic(seed: int = 7, n: int = 200, swap: bool = True, shift: float = 0.0) -> pd.DataFrame:
    """Two groups a, b; X → Y. With ``swap`` the items of X carry the factor the other way round in b
    (loadings 0.9, 0.6, 0.1 in a; 0.1, 0.6, 0.9 in b), so X is formed differently; ``shift`` moves
    every answer of group b."""
    rng = np.random.default_rng(seed)
    parts = []
    for group, loadings in (("a", (0.9, 0.6, 0.1)), ("b", (0.1, 0.6, 0.9) if swap else (0.9, 0.6, 0.1))):
        f = rng.normal(size=n)
        e = 0.6 * f + 0.8 * rng.normal(size=n)
        items = {f"x{k + 1}": lo * f + np.sqrt(1 - lo ** 2) * rng.normal(size=n) for k, lo in enumerate(loadings)}
        items.update({f"y{k + 1}": 0.8 * e + 0.6 * rng.normal(size=n) for k in range(3)})
        frame = (4 + 1.2 * pd.DataFrame(items) + (shift if group == "b" else 0.0)).round().clip(1, 7)
        frame["group"] = group
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def xy_spec():
    return csi.Questionnaire.build([csi.construct("X", ["x1", "x2", "x3"]), csi.construct("Y", ["y1", "y2", "y3"])],
                                   [("X", "Y")], scale={"min": 1, "max": 7})


def test_a_construct_formed_differently_fails_step_2_and_says_so(xy_spec):
    data = csi.prepare(synthetic(swap=True), xy_spec)
    res = micom(csi.PLS(xy_spec), data, "group", permutations=300, seed=1)
    t = res.table.set_index("construct")
    assert not t.loc["X", "compositional"] and t.loc["X", "invariance"] == "none"
    assert t.loc["X", "c"] < 0.8 < t.loc["X", "c_critical"]
    assert t.loc["X", "c_p_value"] == pytest.approx(1 / 301)
    assert "do not interpret path comparisons involving X" in t.loc["X", "decision"]
    assert t.loc["Y", "compositional"]
    assert len(res.notes) == 1
    assert res.notes[0].startswith("MICOM group: X is not compositionally invariant between 'a' and 'b' (c = 0.49")
    assert res.notes[0].endswith("path comparisons involving X for this pair should not be interpreted.")
    assert list(res.failures["construct"]) == ["X"]


def test_shifted_answers_keep_composition_but_fail_equal_means(xy_spec):
    data = csi.prepare(synthetic(swap=False, shift=1.0), xy_spec)
    res = micom(csi.PLS(xy_spec), data, "group", permutations=300, seed=1)
    t = res.table.set_index("construct")
    assert t["compositional"].all() and not t["equal_means"].any()
    assert (t["mean_difference"] > 0.5).all()  # b answers one point higher
    assert (t["invariance"] == "partial").all()
    assert t["decision"].str.contains("partial measurement invariance").all()
    assert res.notes == ()


# ---------------------------------------------------------------------- multiplicity across pairs
@pytest.fixture(scope="module")
def retail():
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    return csi.PLS(model), csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")


def test_each_constructs_p_values_are_adjusted_across_the_pairs(retail):
    """Four regions, six pairs, six constructs: 36 tests per step. Unadjusted, a few c fall in the lower
    5 % tail by chance; adjusted across the six pairs of each construct (Holm), they do not."""
    engine, data = retail
    plain = micom(engine, data, "region", permutations=1000, seed=1, correction="none").table
    holm = micom(engine, data, "region", permutations=1000, seed=1).table
    assert len(holm) == 6 * 6 and (holm["correction"] == "holm").all() and (plain["correction"] == "none").all()
    assert holm[["segment_a", "segment_b"]].drop_duplicates().to_numpy().tolist() == [
        ["East", "North"], ["East", "South"], ["East", "West"], ["North", "South"], ["North", "West"], ["South", "West"]]
    for step in ("c", "mean", "var"):
        np.testing.assert_array_equal(plain[f"{step}_p_adjusted"], plain[f"{step}_p_value"])
        np.testing.assert_array_equal(holm[f"{step}_p_value"], plain[f"{step}_p_value"])
        for _, family in holm.groupby("construct"):
            assert len(family) == 6
            np.testing.assert_allclose(family[f"{step}_p_adjusted"], adjust_p_values(family[f"{step}_p_value"].to_numpy(), "holm"))
    np.testing.assert_array_equal(plain["compositional"], plain["c_p_value"] > 0.05)
    np.testing.assert_array_equal(holm["compositional"], holm["c_p_adjusted"] > 0.05)
    # the unadjusted rule flags a few constructs (as Henseler's c < 5 % quantile does); none survive Holm
    assert 1 <= (~plain["compositional"]).sum() <= 4
    assert ((plain["c"] < plain["c_critical"]) == ~plain["compositional"]).mean() > 0.95
    assert holm["compositional"].all()
    assert (holm["invariance"] != "none").all()
    # East answers lower on every construct: step 3 finds unequal means for the East pairs
    east = holm[holm["segment_a"] == "East"]
    assert (~east["equal_means"]).sum() >= 6 and set(east["invariance"]) <= {"partial", "full"}
    with pytest.raises(SettingsError, match="correction must be one of"):
        micom(engine, data, "region", correction="bonferroni")


# ---------------------------------------------------------------------- settings, weights, bad input
def test_reproducible_per_pair_and_independent_of_the_other_pairs(corp, corp_spec, corp_micom):
    engine = csi.PLS(corp_spec, tol=1e-10)
    again = micom(engine, corp, "servicetype", permutations=1000, seed=123)
    pd.testing.assert_frame_equal(again.table, corp_micom.table)
    three = corp.other["serviceprovider"].astype(str).to_numpy()
    with_provider = dataclasses.replace(corp, other=corp.other.assign(provider=three))
    everything = micom(engine, with_provider, "provider", permutations=100, seed=4, min_n=30)
    pairs = everything.table[["segment_a", "segment_b"]].drop_duplicates().to_numpy().tolist()
    assert len(pairs) >= 3
    a, b = pairs[-1]
    only = micom(engine, with_provider, "provider", pairs=[(a, b)], permutations=100, seed=4, min_n=30)
    ref_rows = everything.table[(everything.table["segment_a"] == a) & (everything.table["segment_b"] == b)]
    # the pair's statistics and p values do not depend on the other pairs; its adjusted p values do
    # (alone, it is a family of one) and so may the decisions
    own = [c for c in MICOM_COLUMNS if not c.endswith("_p_adjusted") and c not in (
        "compositional", "equal_means", "equal_variances", "invariance", "decision")]
    pd.testing.assert_frame_equal(only.table[own], ref_rows[own].reset_index(drop=True))
    np.testing.assert_array_equal(only.table["c_p_adjusted"], only.table["c_p_value"])
    calls = []
    micom(engine, corp, "servicetype", permutations=150, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, 150), (150, 150)]


def test_equal_survey_weights_change_nothing_and_weights_are_used(corp, corp_spec):
    engine = csi.PLS(corp_spec)
    plain = micom(engine, corp, "servicetype", permutations=50, seed=2).table
    equal = micom(engine, dataclasses.replace(corp, weight=np.full(corp.n_used, 2.0)), "servicetype", permutations=50, seed=2).table
    pd.testing.assert_frame_equal(plain, equal)
    w = np.where(np.arange(corp.n_used) % 3 == 0, 3.0, 1.0)
    weighted = micom(engine, dataclasses.replace(corp, weight=w), "servicetype", permutations=50, seed=2).table
    assert not np.allclose(weighted["mean_difference"], plain["mean_difference"])
    assert weighted["c"].between(0.9, 1.0 + 1e-10).all()


def test_too_few_segments_and_bad_settings_raise_with_the_fix(corp, corp_spec):
    engine = csi.PLS(corp_spec)
    one = dataclasses.replace(corp, other=corp.other.assign(tiny=np.where(np.arange(corp.n_used) < 20, "pilot", "main")))
    with pytest.raises(TooFewSegmentsError, match="'tiny' has 1 segment") as info:
        micom(engine, one, "tiny", permutations=10, seed=1)
    assert "min_n" in str(info.value) and "How to fix" in str(info.value)
    assert info.value.column == "tiny" and list(info.value.segments["segment"]) == ["main", "pilot"]
    assert isinstance(info.value, SettingsError)
    with pytest.raises(SettingsError, match="do not occur"):
        micom(engine, corp, "servicetype", pairs=[("1", "3")], permutations=10)
    with pytest.raises(SettingsError, match="two different"):
        micom(engine, corp, "servicetype", pairs=[("1", "1")], permutations=10)
    with pytest.raises(SettingsError, match="permutations"):
        micom(engine, corp, "servicetype", permutations=0)
    with pytest.raises(SettingsError, match="level"):
        micom(engine, corp, "servicetype", level=95)
    with pytest.raises(SettingsError, match="PLS engine"):
        micom(csi.CBSEM(corp_spec), corp, "servicetype")
    three = dataclasses.replace(corp, other=corp.other.assign(
        g=np.array(["x", "y", "z"], dtype=object)[np.minimum(np.arange(corp.n_used) // 150, 2)]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = micom(engine, three, "g", pairs=[("x", "z"), ("x", "y")], permutations=10, seed=1)  # z has 43 < 50
    assert any(issubclass(w.category, CsiSurveyWarning) and "'z' insufficient sample" in str(w.message) for w in caught)
    assert res.table[["segment_a", "segment_b"]].drop_duplicates().to_numpy().tolist() == [["x", "y"]]
