"""Overall model fit (csi_survey.model_fit) against cSEM 0.6.1 (reference/fit_htmt_ecsi_mobi_r.csv,
reference/plsc_ecsi_mobi_r.csv), and properties of the bootstrap test of exact fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import csi_survey as csi
from csi_survey.assess import htmt_matrix
from csi_survey.exceptions import EstimationError, SettingsError
from csi_survey.model_fit import (
    MEASURES,
    TEST_MEASURES,
    ModelFit,
    OverallFitTest,
    bollen_stine,
    discrepancies,
    fit_measures,
    htmt2,
    implied_construct_correlations,
    implied_correlations,
    overall_fit_test,
)
from csi_survey.schema import Questionnaire, template_yaml

from .conftest import REFERENCE

#: cSEM's long construct names → the ids of csi.template("ecsi").
LONG = {"Image": "IMG", "Expectation": "EXP", "Quality": "PQ", "Value": "PV", "Satisfaction": "SAT",
        "Complaints": "COMP", "Loyalty": "LOY"}
#: reference quantity → our measure (the per-structure rows).
QUANTITY = {"SRMR": "srmr", "d_ULS": "d_uls", "d_G_log10": "d_g_log10", "d_G_ln": "d_g", "d_ML": "d_ml"}
#: reference assess_* rows (estimated model) → our measure.
ASSESS = {"assess_SRMR": "srmr", "assess_DL": "d_uls", "assess_DG": "d_g_log10", "assess_DML": "d_ml",
          "assess_Chi_square": "chi_square"}
FIT_RTOL = 1e-8  # README: 1e-8 relative for fit values
HTMT_TOL = 1e-12  # README: closed form


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fit_htmt_ecsi_mobi_r.csv")


@pytest.fixture(scope="module")
def plsc_ref() -> pd.DataFrame:
    table = pd.read_csv(REFERENCE / "plsc_ecsi_mobi_r.csv")
    return table[table["tool"] == "cSEM"]


@pytest.fixture(scope="module")
def ecsi():
    return csi.template("ecsi")


@pytest.fixture(scope="module")
def tight_fit(ecsi, mobi):
    """ECSI composites on mobi, converged as tightly as the cSEM reference (tolerance 1e-10)."""
    return csi.PLS(ecsi, tol=1e-10).fit(mobi)


@pytest.fixture(scope="module")
def ecsi_fit(ecsi, mobi):
    return csi.PLS(ecsi).fit(mobi)


def _reflective_model(constructs: list[str] | None = None) -> Questionnaire:
    """The ECSI template with the given constructs (all multi-item ones when None) declared reflective."""
    spec = yaml.safe_load(template_yaml("ecsi"))
    if constructs is None:
        spec["measurement"] = "reflective"
    else:
        for c in constructs:
            spec["constructs"][c]["measurement"] = "reflective"
    return Questionnaire.from_dict(spec)


def _fit_quietly(model, data, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PLSc of the full ECSI is inadmissible (AdmissibilityWarning)
        return csi.PLS(model, **settings).fit(data)


def _compare_fit(mf: ModelFit, ref: pd.DataFrame, model: str) -> tuple[int, float]:
    """Relative deviations of every fit row of ``model`` in the reference; returns (rows, max deviation)."""
    rows = ref[(ref["model"] == model) & ref["quantity"].isin(list(QUANTITY) + list(ASSESS))]
    worst = 0.0
    for r in rows.itertuples():
        if r.quantity in QUANTITY:
            ours = mf.value(QUANTITY[r.quantity], r._4)
        else:
            ours = mf.value(ASSESS[r.quantity], "estimated")
        assert ours == pytest.approx(r.value, rel=FIT_RTOL), (model, r.quantity, r._4)
        worst = max(worst, abs(ours / r.value - 1))
    return len(rows), worst


def _plsc_inputs(plsc_ref: pd.DataFrame, model) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    cids = model.construct_ids
    loadings = plsc_ref[plsc_ref["quantity"] == "loading"].set_index("from")["value"].astype(float)
    phi = pd.DataFrame(np.eye(len(cids)), index=cids, columns=cids)
    cors = plsc_ref[plsc_ref["quantity"] == "construct_cor"]
    for r in cors.itertuples():
        a, b = LONG[r._4], LONG[r.to]
        phi.loc[a, b] = phi.loc[b, a] = float(r.value)
    paths = plsc_ref[plsc_ref["quantity"] == "path"]
    paths = pd.DataFrame({"source": paths["from"].map(LONG), "target": paths["to"].map(LONG),
                          "estimate": paths["value"].astype(float)})
    assert (len(loadings), len(cors), len(paths)) == (24, 21, 12)
    return loadings, phi, paths


# ====================================================================== fit measures vs cSEM
def test_composite_fit_matches_csem(tight_fit, ref):
    mf = fit_measures(tight_fit)
    assert set(mf.measurement.values()) == {"composite"}
    n, worst = _compare_fit(mf, ref, "ecsi_composite")
    assert n == 15  # 5 measures × (saturated, estimated) + 5 assess_* rows
    assert worst < 1e-12  # measured 3.4e-15


def test_common_factor_fit_with_csem_plsc_inputs_matches_csem(tight_fit, ref, plsc_ref, ecsi):
    loadings, phi, paths = _plsc_inputs(plsc_ref, ecsi)
    mf = fit_measures(tight_fit, measurement="common_factor", loadings=loadings, construct_correlations=phi, paths=paths)
    n, worst = _compare_fit(mf, ref, "ecsi_plsc")
    assert n == 15
    assert worst < 1e-12  # the inputs carry 15 significant digits; measured 3.3e-15


@pytest.mark.parametrize("model_name", ["ecsi_composite", "ecsi_plsc"])
def test_verify_matches_csem(model_name, tight_fit, ref, plsc_ref, ecsi):
    if model_name == "ecsi_plsc":
        loadings, phi, paths = _plsc_inputs(plsc_ref, ecsi)
        mf = fit_measures(tight_fit, measurement="common_factor", loadings=loadings, construct_correlations=phi,
                          paths=paths)
    else:
        mf = fit_measures(tight_fit)
    rows = ref[(ref["model"] == model_name) & (ref["quantity"] == "verify_status")]
    expected = {int(r._4.removeprefix("code")): bool(r.value) for r in rows.itertuples()}
    ours = dict(zip(mf.verify["code"], mf.verify["failed"]))
    assert len(ours) == 4 and all(ours[c] == expected[c] for c in ours)  # codes 2–5 (code 1: convergence)
    assert mf.admissible == (model_name == "ecsi_composite")
    if model_name == "ecsi_plsc":
        assert mf.verify.set_index("code").loc[3, "value"] == pytest.approx(-0.0030275, abs=1e-6)


def test_engine_plsc_fit_matches_csem(ref, mobi):
    """A consistent-PLS fit of the engine (every multi-item block reflective) is a common-factor model by default."""
    fit = _fit_quietly(_reflective_model(), mobi, tol=1e-10)
    mf = fit_measures(fit)
    assert mf.measurement["COMP"] == "composite" and mf.measurement["SAT"] == "common_factor"
    n, worst = _compare_fit(mf, ref, "ecsi_plsc")
    assert n == 15 and worst < 1e-8
    assert not mf.admissible


def test_d_g_bases_and_chi_square(ecsi_fit):
    mf = fit_measures(ecsi_fit)
    m = mf.measures.set_index("measure")
    assert list(m.index) == list(MEASURES)
    np.testing.assert_allclose(m.loc["d_g"], m.loc["d_g_log10"] * np.log(10) ** 2, rtol=1e-14)
    np.testing.assert_allclose(m.loc["chi_square"], m.loc["d_ml"] * (ecsi_fit.n - 1), rtol=1e-14)
    assert (m.loc["srmr", "estimated"] > m.loc["srmr", "saturated"])  # ECSI is not saturated
    assert "Model fit" in str(mf.summary()) and "d_g_log10" in str(mf.summary())
    assert "ModelFit" in repr(mf)


# ====================================================================== implied correlations
def test_implied_matrix_structure(ecsi_fit, ecsi):
    S = ecsi_fit.item_correlations
    for structure in ("saturated", "estimated"):
        sigma = implied_correlations(ecsi_fit, structure=structure)
        assert list(sigma.index) == ecsi.item_ids == list(sigma.columns)
        np.testing.assert_allclose(np.diag(sigma), 1.0, atol=1e-14)
        np.testing.assert_allclose(sigma, sigma.T, atol=1e-15)
        for c in ecsi.construct_ids:  # composites: within-block correlations are the observed ones
            items = ecsi.constructs[c].item_ids
            np.testing.assert_array_equal(sigma.loc[items, items], S.loc[items, items])
    sat = implied_correlations(ecsi_fit, structure="saturated")
    lam = ecsi_fit.weights.set_index("item")["loading"]
    phi = ecsi_fit.construct_correlations
    assert sat.loc["CUSA1", "CUSL2"] == pytest.approx(lam["CUSA1"] * lam["CUSL2"] * phi.loc["SAT", "LOY"], abs=1e-15)
    mf = fit_measures(ecsi_fit)
    np.testing.assert_array_equal(mf.implied_estimated, implied_correlations(ecsi_fit))


def test_common_factor_blocks_are_one_factor(tight_fit, plsc_ref, ecsi):
    loadings, phi, paths = _plsc_inputs(plsc_ref, ecsi)
    sigma = implied_correlations(tight_fit, structure="saturated", measurement="common_factor", loadings=loadings,
                                 construct_correlations=phi, paths=paths)
    assert sigma.loc["CUSA1", "CUSA2"] == pytest.approx(loadings["CUSA1"] * loadings["CUSA2"], abs=1e-15)
    assert sigma.loc["CUSA1", "CUSA1"] == pytest.approx(1.0, abs=1e-15)  # λ² + θ


def test_implied_construct_correlations_of_a_chain_and_of_a_saturated_model():
    # chain A → B → C: ρ̂_AC = β_AB β_BC; the pairs on a path are reproduced
    V = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.6], [0.3, 0.6, 1.0]])
    B = np.zeros((3, 3))
    B[0, 1], B[1, 2] = 0.5, 0.6
    out = implied_construct_correlations(V, B)
    assert out[0, 2] == pytest.approx(0.3, abs=1e-15) and out[2, 0] == out[0, 2]
    assert out[0, 1] == pytest.approx(0.5) and out[1, 2] == pytest.approx(0.6)
    V2 = V.copy()
    V2[0, 2] = V2[2, 0] = 0.1
    assert implied_construct_correlations(V2, B)[0, 2] == pytest.approx(0.3, abs=1e-15)
    # a saturated recursive model (OLS paths) reproduces V exactly
    Bs = np.zeros((3, 3))
    Bs[0, 1] = V[0, 1]
    Bs[[0, 1], 2] = np.linalg.solve(V[:2, :2], V[:2, 2])
    np.testing.assert_allclose(implied_construct_correlations(V, Bs), V, atol=1e-15)
    # no paths: unchanged; batched: as one by one
    np.testing.assert_array_equal(implied_construct_correlations(V, np.zeros((3, 3))), V)
    stack = implied_construct_correlations(np.stack([V, V2]), np.stack([B, B]))
    np.testing.assert_allclose(stack[1], implied_construct_correlations(V2, B), atol=1e-15)


def test_saturated_structural_model_has_equal_fit(mobi):
    model = csi.Questionnaire.build(
        constructs=[csi.construct("EXP", ["CUEX1", "CUEX2", "CUEX3"]), csi.construct("PQ", ["PERQ1", "PERQ2", "PERQ3"]),
                    csi.construct("SAT", ["CUSA1", "CUSA2", "CUSA3"])],
        paths=csi.paths("EXP", ["PQ", "SAT"]) + csi.paths("PQ", ["SAT"]), scale={"min": 1, "max": 10},
    )
    m = fit_measures(csi.PLS(model).fit(mobi)).measures.set_index("measure")
    np.testing.assert_allclose(m["saturated"], m["estimated"], rtol=1e-12)


def test_discrepancies_are_zero_for_equal_matrices_and_batched(ecsi_fit):
    S = ecsi_fit.item_correlations.to_numpy()
    zero = discrepancies(S, S)
    for m in TEST_MEASURES:
        assert abs(float(zero[m])) < 1e-12
    sigma = implied_correlations(ecsi_fit).to_numpy()
    one = discrepancies(S, sigma)
    stack = discrepancies(np.stack([S, S]), np.stack([S, sigma]))
    for m in TEST_MEASURES:
        assert stack[m][1] == pytest.approx(float(one[m]), rel=1e-12)
    assert np.isnan(discrepancies(S, -np.eye(len(S)))["d_g"])  # not positive definite: undefined


def test_input_errors(ecsi_fit, ecsi):
    with pytest.raises(SettingsError, match="PLSResults"):
        fit_measures(ecsi_fit.paths)
    with pytest.raises(SettingsError, match="structure"):
        implied_correlations(ecsi_fit, structure="full")
    with pytest.raises(SettingsError, match="differs from how the fit estimated"):
        fit_measures(ecsi_fit, measurement="common_factor")
    with pytest.raises(SettingsError, match="does not have"):
        fit_measures(ecsi_fit, measurement={"XYZ": "composite"})
    with pytest.raises(SettingsError, match="measurement"):
        fit_measures(ecsi_fit, measurement="reflective")
    with pytest.raises(SettingsError, match="24 values"):
        fit_measures(ecsi_fit, loadings=np.ones(3))
    with pytest.raises(SettingsError, match="no value for"):
        fit_measures(ecsi_fit, loadings={"CUEX1": 0.5})
    with pytest.raises(SettingsError, match="7 × 7"):
        fit_measures(ecsi_fit, construct_correlations=np.eye(3))
    bad = ecsi_fit.paths.copy()
    bad.loc[0, "target"] = "COMP"
    with pytest.raises(SettingsError, match="not a path of the model"):
        fit_measures(ecsi_fit, paths=bad)


# ====================================================================== HTMT2 and HTMT
def _blocks(model):
    pos = {i: k for k, i in enumerate(model.item_ids)}
    return [np.array([pos[i] for i in model.constructs[c].item_ids]) for c in model.construct_ids]


def _compare_htmt(H: np.ndarray, rows: pd.DataFrame, cids: list[str]) -> tuple[int, float]:
    worst = 0.0
    for r in rows.itertuples():
        ours = H[cids.index(LONG[r._4]), cids.index(LONG[r.to])]
        if np.isnan(r.value):
            assert np.isnan(ours), (r._4, r.to)
            continue
        assert ours == pytest.approx(r.value, abs=HTMT_TOL), (r._4, r.to)
        worst = max(worst, abs(ours - r.value))
    return len(rows), worst


def test_htmt2_matches_csem(ecsi_fit, ecsi, ref):
    R = ecsi_fit.item_correlations.to_numpy()
    H = htmt2(R, _blocks(ecsi))
    rows = ref[(ref["model"] == "ecsi") & (ref["tool"] == "cSEM") & (ref["quantity"] == "htmt2")]
    n, worst = _compare_htmt(H, rows, ecsi.construct_ids)
    assert n == 21 and worst < HTMT_TOL
    assert np.isnan(H[ecsi.construct_ids.index("LOY"), ecsi.construct_ids.index("PQ")])  # cor(PERQ2, CUSL2) < 0
    np.testing.assert_array_equal(np.diag(H), 1.0)
    np.testing.assert_array_equal(H, H.T)


def test_htmt2_absolute_matches_derived_rows(ecsi_fit, ecsi, ref):
    H = htmt2(ecsi_fit.item_correlations.to_numpy(), _blocks(ecsi), absolute=True)
    rows = ref[(ref["model"] == "ecsi") & (ref["tool"] == "derived_abs_cor") & (ref["quantity"] == "htmt2")]
    n, worst = _compare_htmt(H, rows, ecsi.construct_ids)
    assert n == 21 and worst < HTMT_TOL


def test_htmt2_signs_and_batches():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((300, 1)) @ np.ones((1, 5)) + rng.standard_normal((300, 5))
    R = np.corrcoef(X, rowvar=False)
    blocks = [np.array([0, 1]), np.array([2, 3]), np.array([4])]
    H = htmt2(R, blocks)
    flip = np.diag([1, 1, -1, -1, 1.0])
    Hf = htmt2(flip @ R @ flip, blocks)  # block 2 reversed: all its heterotrait correlations negative
    assert Hf[1, 0] == pytest.approx(-H[1, 0], abs=1e-15) and Hf[2, 0] == pytest.approx(H[2, 0], abs=1e-15)
    mixed = R.copy()
    mixed[0, 2] = mixed[2, 0] = -0.1
    assert np.isnan(htmt2(mixed, blocks)[1, 0])
    assert htmt2(mixed, blocks, absolute=True)[1, 0] > 0
    bad_mono = R.copy()
    bad_mono[0, 1] = bad_mono[1, 0] = -0.2
    assert np.isnan(htmt2(bad_mono, blocks)[1, 0]) and np.isnan(htmt2(bad_mono, blocks)[2, 0])
    assert htmt2(R, blocks)[2, 1] == pytest.approx(np.sqrt(R[4, 2] * R[4, 3]) / np.sqrt(R[2, 3]), abs=1e-15)
    np.testing.assert_allclose(htmt2(np.stack([R, flip @ R @ flip]), blocks)[1], Hf, atol=1e-15)
    with pytest.raises(SettingsError):
        htmt2(R, [np.array([0, 9])])


def test_existing_htmt_follows_csem_by_default_and_seminr_with_absolute(ecsi_fit, ecsi, ref):
    """csi_survey.assess.htmt_matrix: signed correlations = cSEM; absolute=True = seminr."""
    R = ecsi_fit.item_correlations.to_numpy()
    cids = ecsi.construct_ids
    rows = ref[(ref["model"] == "ecsi") & (ref["quantity"] == "htmt")]
    n1, w1 = _compare_htmt(htmt_matrix(R, _blocks(ecsi)), rows[rows["tool"] == "cSEM"], cids)
    n2, w2 = _compare_htmt(htmt_matrix(R, _blocks(ecsi), absolute=True), rows[rows["tool"] == "seminr"], cids)
    assert (n1, n2) == (21, 21) and max(w1, w2) < HTMT_TOL


# ====================================================================== the bootstrap test
@pytest.fixture(scope="module")
def omf(ecsi_fit, mobi) -> OverallFitTest:
    return overall_fit_test(ecsi_fit, mobi, resamples=120, seed=11)


def test_overall_fit_test_table(omf, ecsi_fit):
    t = omf.table.set_index("measure")
    assert list(t.index) == list(TEST_MEASURES)
    assert list(omf.table.columns) == ["measure", "estimate", "hi_95", "hi_99", "p_value", "reject_95", "reject_99"]
    est = fit_measures(ecsi_fit).measures.set_index("measure")["estimated"]
    np.testing.assert_allclose(t["estimate"], est.loc[list(TEST_MEASURES)], rtol=1e-12)
    assert ((t["p_value"] >= 0) & (t["p_value"] <= 1)).all()
    assert (t["hi_99"] >= t["hi_95"]).all()
    assert (t["reject_95"] == (t["estimate"] >= t["hi_95"])).all()
    np.testing.assert_allclose(omf.draws[:, 2], omf.draws[:, 3] * np.log(10) ** 2, rtol=1e-13)
    assert t.loc["d_g", "p_value"] == t.loc["d_g_log10", "p_value"]
    # the ECSI composite model does not fit mobi exactly (SRMR 0.124): rejected
    assert t.loc["srmr", "p_value"] == 0 and t.loc["srmr", "reject_99"]
    assert omf.used + omf.failed == omf.resamples == 120 and omf.draws.shape == (omf.used, len(TEST_MEASURES))
    assert "Bollen–Stine" in str(omf.summary()) and "OverallFitTest" in repr(omf)


def test_overall_fit_test_is_reproducible_and_does_not_depend_on_chunks(omf, ecsi_fit, mobi):
    again = overall_fit_test(ecsi_fit, mobi, resamples=120, seed=11)
    np.testing.assert_array_equal(again.draws, omf.draws)
    pd.testing.assert_frame_equal(again.table, omf.table)
    chunked = overall_fit_test(ecsi_fit, mobi, resamples=120, seed=11, chunk_size=7)
    np.testing.assert_allclose(chunked.draws, omf.draws, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(chunked.table["p_value"], omf.table["p_value"])
    other = overall_fit_test(ecsi_fit, mobi, resamples=120, seed=12)
    assert not np.allclose(other.draws, omf.draws)


def test_quantiles_increase_with_the_level(ecsi_fit, mobi):
    t = overall_fit_test(ecsi_fit, mobi, resamples=60, seed=5, levels=(0.99, 0.5, 0.9), structure="saturated")
    assert [c for c in t.table.columns if c.startswith("hi_")] == ["hi_50", "hi_90", "hi_99"]
    assert (t.table["hi_50"] <= t.table["hi_90"]).all() and (t.table["hi_90"] <= t.table["hi_99"]).all()
    sat = fit_measures(ecsi_fit).measures.set_index("measure")["saturated"]
    np.testing.assert_allclose(t.table.set_index("measure")["estimate"], sat.loc[list(TEST_MEASURES)], rtol=1e-12)


def _composite_population(model) -> np.ndarray:
    """Item correlations of a composite population obeying the model: equal within-block correlations
    (0.6) and equal weights, so PLS mode A is exact; construct correlations from paths 0.3."""
    cids, items = model.construct_ids, model.item_ids
    pos = {c: k for k, c in enumerate(cids)}
    B = np.zeros((len(cids), len(cids)))
    for p in model.paths:
        B[pos[p.source], pos[p.target]] = 0.3
    phi = np.eye(len(cids))
    for _ in range(100):  # fixed point: unit variances consistent with the paths
        phi = implied_construct_correlations(phi, B)
    blocks = _blocks(model)
    sigma = np.zeros((len(items), len(items)))
    lam = []
    for b in blocks:
        s = np.full((len(b), len(b)), 0.6)
        np.fill_diagonal(s, 1.0)
        sigma[np.ix_(b, b)] = s
        lam.append(s @ np.ones(len(b)) / np.sqrt(s.sum()))
    for j, bj in enumerate(blocks):
        for k, bk in enumerate(blocks):
            if j != k:
                sigma[np.ix_(bj, bk)] = np.outer(lam[j], lam[k]) * phi[j, k]
    return sigma


def test_a_correct_model_is_not_rejected_systematically(ecsi):
    """Ten samples from a population where the ECSI composite model holds exactly: the SRMR p-values
    spread over [0, 1] (a throwaway study with 200 samples gave rejection rates 5.0 % at 5 %)."""
    sigma = _composite_population(ecsi)
    L = np.linalg.cholesky(sigma)
    rng = np.random.default_rng(2024)
    p_values = []
    for r in range(10):
        frame = pd.DataFrame(rng.standard_normal((250, len(ecsi.item_ids))) @ L.T, columns=ecsi.item_ids)
        fit = csi.PLS(ecsi).fit(frame)
        test = overall_fit_test(fit, frame, resamples=60, seed=r)
        p_values.append(test.table.set_index("measure").loc["srmr", "p_value"])
    assert np.mean(p_values) > 0.2 and sum(p <= 0.05 for p in p_values) <= 3


def test_bollen_stine_transform(ecsi_fit, ecsi, mobi):
    X = mobi[ecsi.item_ids].to_numpy(dtype=float)
    sigma = implied_correlations(ecsi_fit).to_numpy()
    Xt = bollen_stine(X, sigma)
    np.testing.assert_allclose(np.corrcoef(Xt, rowvar=False), sigma, atol=1e-12)
    np.testing.assert_allclose(Xt.mean(axis=0), X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(Xt.std(axis=0, ddof=1), X.std(axis=0, ddof=1), rtol=1e-12)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    Xw = bollen_stine(X, sigma, w)
    w = w / w.mean()
    m = w @ Xw / w.sum()
    cov = ((Xw - m) * w[:, None]).T @ (Xw - m) / (w.sum() - 1)
    d = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(cov / np.outer(d, d), sigma, atol=1e-12)
    with pytest.raises(SettingsError):
        bollen_stine(X, sigma[:3, :3])


def test_weighted_and_unscaled_fits(ecsi, mobi, omf):
    equal = csi.PLS(ecsi).fit(mobi, weight=np.full(len(mobi), 2.0))  # equal weights: the unweighted estimates
    same = overall_fit_test(equal, mobi, resamples=120, seed=11)
    np.testing.assert_array_equal(same.draws, omf.draws)
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(mobi))
    weighted = overall_fit_test(csi.PLS(ecsi).fit(mobi, weight=w), mobi, resamples=40, seed=1)
    assert weighted.used > 30 and weighted.table["p_value"].between(0, 1).all()
    unscaled_fit = csi.PLS(ecsi, scaled=False).fit(mobi)
    unscaled = overall_fit_test(unscaled_fit, mobi, resamples=40, seed=1)
    est = fit_measures(unscaled_fit).measures.set_index("measure")["estimated"]
    np.testing.assert_allclose(unscaled.table.set_index("measure")["estimate"], est.loc[list(TEST_MEASURES)], rtol=1e-12)
    assert unscaled.used > 30


def test_common_factor_test_and_inadmissible_fits(mobi):
    fit = _fit_quietly(_reflective_model(["SAT", "LOY"]), mobi)
    mf = fit_measures(fit)
    assert mf.admissible and mf.measurement["SAT"] == "common_factor" and mf.measurement["PQ"] == "composite"
    test = overall_fit_test(fit, mobi, resamples=50, seed=3)
    np.testing.assert_allclose(test.table.set_index("measure")["estimate"],
                               mf.measures.set_index("measure")["estimated"].loc[list(TEST_MEASURES)], rtol=1e-12)
    assert test.used + len(test.failures) == 50
    assert test.failures["reason"].str.startswith("inadmissible").all()
    chunked = overall_fit_test(fit, mobi, resamples=50, seed=3, chunk_size=9)
    np.testing.assert_allclose(chunked.draws, test.draws, rtol=1e-9, atol=1e-12)
    with pytest.raises(EstimationError, match="inadmissible"):
        overall_fit_test(_fit_quietly(_reflective_model(), mobi), mobi, resamples=10, seed=1)


def test_overall_fit_test_settings(ecsi_fit, mobi):
    with pytest.raises(SettingsError, match="resamples"):
        overall_fit_test(ecsi_fit, mobi, resamples=2)
    with pytest.raises(SettingsError, match="levels"):
        overall_fit_test(ecsi_fit, mobi, resamples=10, levels=(95,))
    with pytest.raises(SettingsError, match="seed"):
        overall_fit_test(ecsi_fit, mobi, resamples=10, seed=-1)
    with pytest.raises(SettingsError, match="respondents"):
        overall_fit_test(ecsi_fit, mobi.iloc[:100], resamples=10)
    shuffled = mobi.copy()
    shuffled["CUSA1"] = shuffled["CUSA1"].to_numpy()[::-1]
    with pytest.raises(SettingsError, match="differ"):
        overall_fit_test(ecsi_fit, shuffled, resamples=10)
    seen = []
    t = overall_fit_test(ecsi_fit, mobi, resamples=10, chunk_size=4, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(4, 10), (8, 10), (10, 10)] and isinstance(t.seed, int)


@pytest.mark.parametrize("measurement", ["composite", "reflective"])
def test_assess_reports_the_same_srmr_as_the_fit_measures(mobi, measurement):
    """One SRMR in every table: assess()'s equals fit_measures()' for the model as declared."""
    import warnings

    from csi_survey.assess import assess
    from csi_survey.exceptions import AdmissibilityWarning
    from csi_survey.model_fit import fit_measures

    model = csi.Questionnaire.from_yaml(csi.template("ecsi").to_yaml() + f"measurement: {measurement}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdmissibilityWarning)
        fit = csi.PLS(model).fit(mobi)
    ours = assess(fit).fit.set_index("measure")["value"]
    measures = fit_measures(fit)
    assert ours["srmr_saturated"] == pytest.approx(measures.value("srmr", "saturated"), abs=1e-12)
    assert ours["srmr_estimated"] == pytest.approx(measures.value("srmr", "estimated"), abs=1e-12)
