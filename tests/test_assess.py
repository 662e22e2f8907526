"""Quality criteria (csi_survey.assess): fidelity to R plspm and hand-computed cases."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.assess import Assessment, _implied_construct_corr, assess, htmt_matrix
from csi_survey.engine import PLS

from .test_pls import satisfaction_model

SAT_CONSTRUCTS = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]


@pytest.fixture(scope="module")
def sat_fit(satisfaction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)  # the satisfaction data declare no scale
        return PLS(satisfaction_model("A"), scheme="centroid", scaled=False).fit(satisfaction)


@pytest.fixture(scope="module")
def ecsi_fit(mobi):
    return PLS(csi.template("ecsi")).fit(mobi)


def _ref(plspm, quantity, scheme):
    rows = plspm[(plspm["mode"] == "A") & (plspm["scheme"] == scheme) & (plspm["quantity"] == quantity)]
    return rows.set_index("from")["value"]


def _exact_data(sigma: np.ndarray, n: int, seed: int, names: list[str]) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly ``sigma``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, sigma.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T))).T
    return pd.DataFrame(z @ np.linalg.cholesky(sigma).T, columns=names)


# ====================================================================== fidelity: R plspm
# The unidimensionality quantities depend only on the item correlations, not on the PLS fit:
# measured agreement 8e-15 (alpha, DG rho, eigenvalues).
UNIDIM_TOL = 1e-10
# AVE and GoF depend on the PLS loadings, and plspm stops iterating early (loadings differ by up
# to 6.6e-7, see tests/test_pls.py): measured agreement 1.5e-7 (AVE) and 6.3e-9 (GoF).
PLSPM_FIT_TOL = 1e-5


def test_unidimensionality_equals_plspm(sat_fit, plspm_satisfaction):
    """alpha, DG rho, eig_1st, eig_2nd = plspm's ``unidim`` table (scaled = FALSE), to 1e-10.

    Conventions that reproduce plspm: alpha is the *standardized* alpha (plspm's get_unidim
    rescales each block to unit variance even when scaled = FALSE); DG rho uses the loadings on
    the block's first principal component, not the PLS loadings.
    """
    rel = assess(sat_fit).reliability.set_index("construct")
    for ours, theirs in [("alpha", "cronbach_alpha"), ("dg_rho", "dillon_goldstein_rho"),
                         ("eig_1st", "eig_1st"), ("eig_2nd", "eig_2nd")]:
        ref = _ref(plspm_satisfaction, theirs, "none")
        assert sorted(ref.index) == sorted(SAT_CONSTRUCTS)
        for c in SAT_CONSTRUCTS:
            assert rel.loc[c, ours] == pytest.approx(ref[c], abs=UNIDIM_TOL), (ours, c)


def test_alpha_is_standardized_even_for_unscaled_fits(sat_fit, satisfaction, plspm_satisfaction):
    """The raw-score alpha differs from plspm's by up to 8e-3 on these data: plspm standardizes."""
    ref = _ref(plspm_satisfaction, "cronbach_alpha", "none")
    diffs = []
    for c in SAT_CONSTRUCTS:
        items = sat_fit.model.constructs[c].item_ids
        cov = np.cov(satisfaction[items].to_numpy().T)
        k = len(items)
        raw_alpha = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
        diffs.append(abs(raw_alpha - ref[c]))
    assert max(diffs) > 1e-3


def test_ave_and_gof_equal_plspm(sat_fit, plspm_satisfaction):
    """AVE (plspm inner_summary) and GoF (plspm $gof), centroid scheme, to 1e-5 (measured 1.5e-7)."""
    a = assess(sat_fit)
    ave = _ref(plspm_satisfaction, "ave", "centroid")
    rel = a.reliability.set_index("construct")
    for c in SAT_CONSTRUCTS:
        assert rel.loc[c, "ave"] == pytest.approx(ave[c], abs=PLSPM_FIT_TOL), c
    gof = _ref(plspm_satisfaction, "gof", "centroid")["model"]
    assert a.fit.set_index("measure").loc["gof", "value"] == pytest.approx(gof, abs=PLSPM_FIT_TOL)


def test_clean_satisfaction_model_raises_no_reliability_flag(sat_fit):
    a = assess(sat_fit)
    assert not a.reliability[["alpha_low", "rho_c_low", "rho_c_high", "ave_low"]].to_numpy().any()
    assert not a.flags["criterion"].isin(["alpha", "rho_c", "rho_c_redundant", "ave"]).any()


# ====================================================================== reliability formulas
def test_rho_c_ave_rho_a_by_hand(ecsi_fit):
    """rho_C and AVE from the loadings; rho_A (Dijkstra & Henseler 2015) from the reported weights."""
    a = assess(ecsi_fit)
    rel = a.reliability.set_index("construct")
    R = ecsi_fit.item_correlations
    for c in ["IMG", "PQ", "SAT", "LOY"]:
        w = ecsi_fit.weights[ecsi_fit.weights["construct"] == c]
        lam, wt = w["loading"].to_numpy(), w["weight"].to_numpy()
        assert rel.loc[c, "rho_c"] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()), abs=1e-12)
        assert rel.loc[c, "ave"] == pytest.approx(np.mean(lam**2), abs=1e-12)
        S = R.loc[w["item"], w["item"]].to_numpy()
        off = S - np.diag(np.diag(S))
        ww = np.outer(wt, wt)
        rho_a = (wt @ wt) ** 2 * (wt @ off @ wt) / (wt @ (ww - np.diag(np.diag(ww))) @ wt)
        assert rel.loc[c, "rho_a"] == pytest.approx(rho_a, abs=1e-10)
        # the usual ordering for a well-behaved reflective block (not a theorem: on mobi, LOY with
        # its weak CUSL2 has rho_A 0.746 > rho_C 0.722)
        if c != "LOY":
            assert rel.loc[c, "alpha"] <= rel.loc[c, "rho_a"] <= rel.loc[c, "rho_c"]


def test_rho_a_of_an_unscaled_fit_uses_standardized_weights(sat_fit, satisfaction):
    """An unscaled fit reports weights on the raw item scale (normalized with the n-denominator
    covariance); rho_A needs the weights of the standardized items, w_std = w_raw · sd_n."""
    rel = assess(sat_fit).reliability.set_index("construct")
    R = sat_fit.item_correlations
    for c in SAT_CONSTRUCTS:
        w = sat_fit.weights[sat_fit.weights["construct"] == c]
        wt = w["weight"].to_numpy() * satisfaction[w["item"]].std(ddof=0).to_numpy()
        S = R.loc[w["item"], w["item"]].to_numpy()
        assert wt @ S @ wt == pytest.approx(1.0, abs=1e-12)
        ww = np.outer(wt, wt)
        rho_a = (wt @ wt) ** 2 * (wt @ (S - np.diag(np.diag(S))) @ wt) / (wt @ (ww - np.diag(np.diag(ww))) @ wt)
        assert rel.loc[c, "rho_a"] == pytest.approx(rho_a, abs=1e-10), c


def test_single_item_block_conventions(ecsi_fit):
    rel = assess(ecsi_fit).reliability.set_index("construct").loc["COMP"]
    assert rel["n_items"] == 1
    assert rel[["alpha", "rho_a", "rho_c", "ave", "dg_rho", "eig_1st"]].tolist() == pytest.approx([1.0] * 6)
    assert np.isnan(rel["eig_2nd"])
    assert not rel[["alpha_low", "rho_c_low", "rho_c_high", "ave_low"]].any()


def test_fornell_larcker_matrix(ecsi_fit):
    a = assess(ecsi_fit)
    fl = a.fornell_larcker
    ave = a.reliability.set_index("construct")["ave"]
    np.testing.assert_allclose(np.diag(fl.to_numpy()), np.sqrt(ave.loc[fl.index]), atol=1e-14)
    off = ~np.eye(len(fl), dtype=bool)
    np.testing.assert_allclose(fl.to_numpy()[off], ecsi_fit.construct_correlations.to_numpy()[off], atol=1e-14)
    # every violation is flagged and nothing else
    flagged = {(r.construct, r.other) for r in a.flags[a.flags["criterion"] == "fornell_larcker"].itertuples()}
    expected = {(j, k) for j in fl.index for k in fl.columns
                if j != k and abs(fl.loc[j, k]) > fl.loc[j, j]}
    assert flagged == expected and expected  # mobi has known violations (IMG–PQ, PQ–SAT)


# ====================================================================== HTMT
def _small_R() -> np.ndarray:
    """Blocks A = items 0–1, B = items 2–4, C = item 5 (single item)."""
    R = np.eye(6)
    pairs = {(0, 1): 0.6,
             (2, 3): 0.5, (2, 4): 0.4, (3, 4): 0.6,
             (0, 2): 0.3, (0, 3): 0.2, (0, 4): 0.1, (1, 2): 0.2, (1, 3): 0.3, (1, 4): 0.1,
             (0, 5): 0.3, (1, 5): 0.5,
             (2, 5): 0.2, (3, 5): 0.2, (4, 5): 0.5}
    for (i, j), r in pairs.items():
        R[i, j] = R[j, i] = r
    return R


SMALL_BLOCKS = [np.array([0, 1]), np.array([2, 3, 4]), np.array([5])]


def test_htmt_by_hand():
    """Henseler et al. (2015): mean hetero / sqrt(mean mono_i · mean mono_j); single item: mono = 1.

    mono_A = 0.6, mono_B = (0.5 + 0.4 + 0.6)/3 = 0.5, mono_C = 1 (single item);
    hetero A–B = (0.3+0.2+0.1+0.2+0.3+0.1)/6 = 0.2, A–C = (0.3+0.5)/2 = 0.4, B–C = (0.2+0.2+0.5)/3 = 0.3.
    """
    H = htmt_matrix(_small_R(), SMALL_BLOCKS)
    expected = np.array([
        [1.0, 0.2 / np.sqrt(0.6 * 0.5), 0.4 / np.sqrt(0.6)],
        [0.2 / np.sqrt(0.6 * 0.5), 1.0, 0.3 / np.sqrt(0.5)],
        [0.4 / np.sqrt(0.6), 0.3 / np.sqrt(0.5), 1.0],
    ])
    np.testing.assert_allclose(H, expected, atol=1e-15)
    assert H[0, 1] == pytest.approx(0.365148, abs=1e-6)


def test_htmt_sign_conventions():
    R = _small_R()
    # a reverse-keyed item 1 (not recoded): mono_A = -0.6 < 0 → HTMT undefined for A's pairs
    flip = np.ones(6)
    flip[1] = -1
    H = htmt_matrix(R * np.outer(flip, flip), SMALL_BLOCKS)
    assert np.isnan(H[0, 1]) and np.isnan(H[0, 2]) and np.isnan(H[2, 0])
    assert H[1, 2] == pytest.approx(0.3 / np.sqrt(0.5))
    assert np.diag(H).tolist() == [1.0, 1.0, 1.0]
    # absolute=True recovers the recoded result
    np.testing.assert_allclose(htmt_matrix(R * np.outer(flip, flip), SMALL_BLOCKS, absolute=True),
                               htmt_matrix(R, SMALL_BLOCKS), atol=1e-15)


def _naive_htmt(R: np.ndarray, blocks) -> np.ndarray:
    J = len(blocks)
    out = np.eye(J)
    mono = []
    for b in blocks:
        sub = R[np.ix_(b, b)]
        mono.append(1.0 if len(b) == 1 else sub[np.triu_indices(len(b), 1)].mean())
    for i in range(J):
        for j in range(J):
            if i != j:
                denom = np.sqrt(mono[i] * mono[j]) if mono[i] > 0 and mono[j] > 0 else np.nan
                out[i, j] = R[np.ix_(blocks[i], blocks[j])].mean() / denom
    return out


def test_htmt_batch_equals_loop_of_single_calls():
    rng = np.random.default_rng(7)
    p = 9
    blocks = [np.array([0, 3, 5]), np.array([1, 2]), np.array([4]), np.array([6, 7, 8])]  # unordered items
    mats = []
    for _ in range(60):
        loadings = rng.uniform(0.4, 0.9, p)
        x = rng.standard_normal((40, 1)) * loadings + rng.standard_normal((40, p))
        mats.append(np.corrcoef(x.T))
    stack = np.stack(mats)
    batched = htmt_matrix(stack, blocks)
    assert batched.shape == (60, 4, 4)
    for b in range(60):
        single = htmt_matrix(stack[b], blocks)
        np.testing.assert_allclose(batched[b], single, atol=1e-14)
        np.testing.assert_allclose(single, _naive_htmt(stack[b], blocks), atol=1e-12)
    # any number of leading dimensions
    np.testing.assert_allclose(htmt_matrix(stack.reshape(6, 10, p, p), blocks).reshape(60, 4, 4), batched, atol=1e-15)
    # symmetric, unit diagonal
    np.testing.assert_allclose(batched, np.swapaxes(batched, -1, -2), atol=1e-15)
    np.testing.assert_array_equal(np.diagonal(batched, axis1=-2, axis2=-1), 1.0)


def test_htmt_rejects_bad_input():
    with pytest.raises(csi.SettingsError, match="shape"):
        htmt_matrix(np.ones((3, 4)), [np.array([0])])
    with pytest.raises(csi.SettingsError, match="empty"):
        htmt_matrix(np.eye(3), [np.array([0]), np.array([], dtype=int)])
    with pytest.raises(csi.SettingsError, match="outside"):
        htmt_matrix(np.eye(3), [np.array([0, 3])])


def test_htmt_tables_of_a_fit(ecsi_fit):
    a = assess(ecsi_fit)
    cids = ecsi_fit.model.construct_ids
    assert list(a.htmt.columns) == ["construct_1", "construct_2", "htmt", "flag", "convention"]
    assert len(a.htmt) == len(cids) * (len(cids) - 1) // 2
    R = ecsi_fit.item_correlations.to_numpy()
    pos = {i: k for k, i in enumerate(ecsi_fit.model.item_ids)}
    blocks = [np.array([pos[i] for i in ecsi_fit.model.constructs[c].item_ids]) for c in cids]
    naive = _naive_htmt(R, blocks)
    for r in a.htmt.itertuples():
        i, j = cids.index(r.construct_1), cids.index(r.construct_2)
        assert i < j
        assert r.htmt == pytest.approx(naive[i, j], abs=1e-12)
        assert a.htmt_matrix.loc[r.construct_2, r.construct_1] == pytest.approx(r.htmt, abs=1e-15)
        assert np.isnan(a.htmt_matrix.loc[r.construct_1, r.construct_2])
        assert r.flag == (r.htmt > 0.90)
    assert a.htmt["flag"].any()  # PQ–SAT on mobi
    assert np.isnan(np.diag(a.htmt_matrix.to_numpy())).all()


# ====================================================================== VIF and f²
def test_item_vif_equals_ols(mobi, ecsi_fit):
    """VIF_g = 1/(1 − R²_g), R²_g from the OLS regression of item g on the other items of its block."""
    vif = assess(ecsi_fit).item_vif.set_index("item")
    for c in ["IMG", "PQ", "SAT", "PV"]:
        items = ecsi_fit.model.constructs[c].item_ids
        for g in items:
            others = [h for h in items if h != g]
            X = np.column_stack([np.ones(len(mobi)), mobi[others].to_numpy(float)])
            y = mobi[g].to_numpy(float)
            resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
            r2 = 1 - resid.var() / y.var()
            assert vif.loc[g, "vif"] == pytest.approx(1 / (1 - r2), abs=1e-10), g
    assert vif.loc["CUSCO", "vif"] == 1.0
    assert list(assess(ecsi_fit).item_vif.columns) == ["construct", "item", "mode", "vif", "flag"]


def test_inner_vif_equals_ols_on_scores(ecsi_fit):
    a = assess(ecsi_fit)
    s = ecsi_fit.scores
    vif = a.inner_vif.set_index(["target", "source"])["vif"]
    for target in ["SAT", "LOY"]:
        preds = ecsi_fit.model.predecessors(target)
        for g in preds:
            others = [h for h in preds if h != g]
            X = np.column_stack([np.ones(len(s)), s[others].to_numpy()])
            resid = s[g].to_numpy() - X @ np.linalg.lstsq(X, s[g].to_numpy(), rcond=None)[0]
            r2 = 1 - resid.var() / s[g].to_numpy().var()
            assert vif.loc[(target, g)] == pytest.approx(1 / (1 - r2), abs=1e-10)
    assert vif.loc[("EXP", "IMG")] == 1.0  # a single predecessor


def test_f2_is_the_r2_difference_without_reestimation(ecsi_fit):
    """f² = (R²_incl − R²_excl)/(1 − R²_incl), R²_excl = OLS of the target's score on its other
    predecessors' scores from the *same* fit (cSEM's calculatef2; no re-estimation)."""
    a = assess(ecsi_fit)
    s = ecsi_fit.scores
    r2 = ecsi_fit.r2.set_index("construct")["r2"]
    f2 = a.f2.set_index(["source", "target"])
    assert len(f2) == len(ecsi_fit.paths)
    for (source, target), row in f2.iterrows():
        others = [h for h in ecsi_fit.model.predecessors(target) if h != source]
        if others:
            X = np.column_stack([np.ones(len(s)), s[others].to_numpy()])
            resid = s[target].to_numpy() - X @ np.linalg.lstsq(X, s[target].to_numpy(), rcond=None)[0]
            r2_excl = 1 - resid.var() / s[target].to_numpy().var()
        else:
            r2_excl = 0.0
        expected = (r2[target] - r2_excl) / (1 - r2[target])
        assert row["f2"] == pytest.approx(expected, abs=1e-10), (source, target)
        label = "large" if expected >= 0.35 else "medium" if expected >= 0.15 else "small" if expected >= 0.02 else "none"
        assert row["effect"] == label
    # a single predecessor: f² = R²/(1 − R²)
    assert f2.loc[("IMG", "EXP"), "f2"] == pytest.approx(r2["EXP"] / (1 - r2["EXP"]), abs=1e-12)


@pytest.mark.parametrize("scheme, measured", [("path", 3.0e-4), ("centroid", 2.5e-5), ("factorial", 6.5e-5)])
def test_f2_versus_refitting_without_the_path(mobi, scheme, measured):
    """seminr's fSquared re-runs PLS without the path, which changes the outer weights; the two
    conventions differ slightly (measured |Δf²| for IMG → SAT on mobi: ≤ 3.0e-4)."""
    fit = PLS(csi.template("ecsi"), scheme=scheme).fit(mobi)
    spec = csi.template("ecsi").model_dump()
    spec["paths"] = [p for p in spec["paths"] if (p["source"], p["target"]) != ("IMG", "SAT")]
    refit = PLS(csi.Questionnaire.from_dict(spec), scheme=scheme).fit(mobi)
    r2_incl = fit.r2.set_index("construct").loc["SAT", "r2"]
    r2_excl = refit.r2.set_index("construct").loc["SAT", "r2"]
    refit_f2 = (r2_incl - r2_excl) / (1 - r2_incl)
    ours = assess(fit).f2.set_index(["source", "target"]).loc[("IMG", "SAT"), "f2"]
    assert abs(ours - refit_f2) < 1e-3
    assert abs(ours - refit_f2) == pytest.approx(measured, rel=0.1)


# ====================================================================== SRMR
def _composite_population():
    """Three composites A (3 items), B (3), C (2) with a chain A → B → C that holds exactly."""
    S_A = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1.]])
    S_B = np.array([[1, .6, .2], [.6, 1, .4], [.2, .4, 1.]])
    S_C = np.array([[1, .5], [.5, 1.]])
    ws = [np.array([.5, .3, .4]), np.array([.2, .5, .6]), np.array([.7, .4])]
    Ss = [S_A, S_B, S_C]
    ws = [w / np.sqrt(w @ S @ w) for w, S in zip(ws, Ss)]
    phi = np.array([[1, .5, .3], [.5, 1, .6], [.3, .6, 1.]])  # φ_AC = φ_AB·φ_BC: the chain is exact
    sizes = [3, 3, 2]
    starts = np.cumsum([0] + sizes)
    sigma = np.zeros((8, 8))
    for j in range(3):
        for l in range(3):
            bj, bl = slice(starts[j], starts[j + 1]), slice(starts[l], starts[l + 1])
            sigma[bj, bl] = Ss[j] if j == l else np.outer(Ss[j] @ ws[j], Ss[l] @ ws[l]) * phi[j, l]
    names = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"]
    return sigma, names


@pytest.mark.parametrize("mode", ["B", "A"])
def test_srmr_is_zero_when_the_implied_matrix_is_the_observed_one(mode):
    """Data with the exact correlation matrix of a composite model: with mode B the PLS weights are
    the population weights, so the saturated implied matrix (observed within blocks,
    λλᵀφ between) equals the data: SRMR = 0; the chain holds exactly, so the estimated-model SRMR
    is 0 as well. In mode A the implied within-block λλᵀ cannot reproduce it: SRMR > 0."""
    sigma, names = _composite_population()
    assert np.linalg.eigvalsh(sigma).min() > 0
    data = _exact_data(sigma, 300, seed=3, names=names)
    model = csi.Questionnaire.build(
        constructs=[csi.construct("A", names[:3], mode=mode), csi.construct("B", names[3:6], mode=mode),
                    csi.construct("C", names[6:], mode=mode)],
        paths=csi.paths("A", "B") + csi.paths("B", "C"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)
        fit = PLS(model, scheme="centroid").fit(data)
    np.testing.assert_allclose(fit.item_correlations.to_numpy(), sigma, atol=1e-12)
    measures = assess(fit).fit.set_index("measure")["value"]
    if mode == "B":
        assert measures["srmr_saturated"] < 1e-7
        assert measures["srmr_estimated"] < 1e-7
    else:  # mode-A weights are not the population weights: the between-block part cannot be exact
        assert measures["srmr_saturated"] > 1e-4


def test_srmr_by_hand_on_mobi(ecsi_fit):
    """sqrt of the mean squared residual over the lower triangle incl. the diagonal (p(p+1)/2 terms)."""
    a = assess(ecsi_fit)
    items = ecsi_fit.model.item_ids
    R = ecsi_fit.item_correlations.loc[items, items].to_numpy()
    w = ecsi_fit.weights.set_index("item")
    phi = ecsi_fit.construct_correlations
    total, count = 0.0, 0
    for g in range(len(items)):
        for h in range(g + 1):
            cg, ch = w.loc[items[g], "construct"], w.loc[items[h], "construct"]
            if g == h:
                implied = 1.0
            elif cg == ch:  # a composite leaves its own block unrestricted
                implied = R[g, h]
            else:
                implied = w.loc[items[g], "loading"] * w.loc[items[h], "loading"] * phi.loc[cg, ch]
            total += (R[g, h] - implied) ** 2
            count += 1
    assert count == len(items) * (len(items) + 1) // 2
    srmr = a.fit.set_index("measure").loc["srmr_saturated", "value"]
    assert srmr == pytest.approx(np.sqrt(total / count), abs=1e-14)
    assert a.fit.set_index("measure").loc["srmr_estimated", "value"] > srmr  # ECSI is not saturated


def test_estimated_equals_saturated_for_a_saturated_structural_model(mobi):
    model = csi.Questionnaire.build(
        constructs=[csi.construct("IMG", [f"IMAG{i}" for i in range(1, 6)], scale=(1, 10)),
                    csi.construct("SAT", ["CUSA1", "CUSA2", "CUSA3"], scale=(1, 10)),
                    csi.construct("LOY", ["CUSL1", "CUSL2", "CUSL3"], scale=(1, 10))],
        paths=csi.paths("IMG", ["SAT", "LOY"]) + csi.paths("SAT", "LOY"),
    )
    m = assess(PLS(model).fit(mobi)).fit.set_index("measure")["value"]
    assert m["srmr_estimated"] == pytest.approx(m["srmr_saturated"], abs=1e-14)


def test_implied_construct_correlations_by_hand():
    """Chain A → B → C: φ̂_AC = β_AB β_BC; regressions reproduce each target's correlations with
    its own predecessors; the diagonal is 1."""
    phi = np.array([[1, .5, .2], [.5, 1, .6], [.2, .6, 1.]])
    B = np.zeros((3, 3))
    B[0, 1], B[1, 2] = 0.5, 0.6  # OLS with one predecessor: β = φ
    implied = _implied_construct_corr(phi, B)
    np.testing.assert_allclose(implied, [[1, .5, .3], [.5, 1, .6], [.3, .6, 1]], atol=1e-15)
    # A, B exogenous (correlated) → C: saturated equation, implied = observed
    phi2 = np.array([[1, .4, .5], [.4, 1, .3], [.5, .3, 1.]])
    beta = np.linalg.solve(phi2[:2, :2], phi2[:2, 2])
    B2 = np.zeros((3, 3))
    B2[:2, 2] = beta
    np.testing.assert_allclose(_implied_construct_corr(phi2, B2), phi2, atol=1e-15)


# ====================================================================== flags
def test_flags_raised_where_expected(mobi):
    """A stray item (a noisy copy of CUSA2) in the image block, two pure-noise items in the
    satisfaction block and a near-duplicate value item: each problem raises its flag."""
    rng = np.random.default_rng(1)
    data = mobi.assign(
        STRAY=mobi["CUSA2"] + rng.normal(0, 0.5, len(mobi)),
        NOISE1=rng.integers(1, 11, len(mobi)),
        NOISE2=rng.integers(1, 11, len(mobi)),
        PERV1B=mobi["PERV1"] + rng.normal(0, 0.05, len(mobi)),
    )
    spec = csi.template("ecsi").model_dump()
    spec["constructs"]["IMG"]["items"].append({"id": "STRAY"})
    spec["constructs"]["SAT"]["items"] += [{"id": "NOISE1"}, {"id": "NOISE2"}]
    spec["constructs"]["PV"]["items"].append({"id": "PERV1B"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)
        a = assess(PLS(csi.Questionnaire.from_dict(spec)).fit(data))
    f = a.flags
    assert list(f.columns) == ["criterion", "construct", "other", "item", "value", "threshold", "message", "reference"]

    def has(**kw):
        mask = np.ones(len(f), dtype=bool)
        for k, v in kw.items():
            mask &= (f[k] == v).to_numpy()
        return mask.any()

    assert has(criterion="cross_loading", item="STRAY", construct="IMG", other="SAT")
    assert has(criterion="ave", construct="SAT") and has(criterion="alpha", construct="SAT")
    assert has(criterion="item_vif", item="PERV1B", construct="PV")
    assert has(criterion="rho_c_redundant", construct="PV")
    assert has(criterion="htmt", construct="PQ", other="SAT")
    assert a.cross_loadings.set_index("item").loc["STRAY", "flag"]
    assert a.item_vif.set_index("item").loc["PERV1B", "vif"] > 100
    rel = a.reliability.set_index("construct")
    assert rel.loc["SAT", "ave_low"] and rel.loc["PV", "rho_c_high"]
    # every flag row carries its threshold and a reference
    assert f["reference"].str.len().gt(0).all() and f["threshold"].notna().all()
    # the flags in the tables and in the flags table agree
    assert a.item_vif["flag"].sum() == (f["criterion"] == "item_vif").sum()
    assert a.cross_loadings["flag"].sum() == (f["criterion"] == "cross_loading").sum()
    assert a.htmt["flag"].sum() == (f["criterion"] == "htmt").sum()


def test_inner_vif_flag_for_collinear_predecessors():
    """X1 and X2 correlate 0.95: inner VIF = 1/(1 − 0.95²) ≈ 10.3 > 5 for both paths into Y."""
    phi = np.array([[1, .95, .5], [.95, 1, .5], [.5, .5, 1.]])
    sigma = phi  # single-item constructs: item correlations = construct correlations
    data = _exact_data(sigma, 200, seed=5, names=["x1", "x2", "y"])
    model = csi.Questionnaire.build(
        constructs=[csi.construct("X1", ["x1"]), csi.construct("X2", ["x2"]), csi.construct("Y", ["y"])],
        paths=csi.paths(["X1", "X2"], "Y"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)
        a = assess(PLS(model).fit(data))
    np.testing.assert_allclose(a.inner_vif["vif"], 1 / (1 - 0.95**2), atol=1e-10)
    assert a.inner_vif["flag"].all()
    assert set(a.flags.loc[a.flags["criterion"] == "inner_vif", "construct"]) == {"X1", "X2"}
    # single items: the implied matrix is the construct correlation matrix → saturated SRMR = 0
    assert a.fit.set_index("measure").loc["srmr_saturated", "value"] < 1e-12


def test_mode_b_blocks_get_vif_but_no_reflective_flags(satisfaction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", csi.IndexWarning)
        a = assess(PLS(satisfaction_model("B"), scheme="centroid", scaled=False).fit(satisfaction))
    assert (a.reliability["mode"] == "B").all()
    assert not a.reliability[["alpha_low", "rho_c_low", "rho_c_high", "ave_low"]].to_numpy().any()
    assert not a.htmt["flag"].any() and not a.cross_loadings["flag"].any()
    assert not a.flags["criterion"].isin(["alpha", "rho_c", "ave", "htmt", "fornell_larcker", "cross_loading"]).any()
    assert (a.item_vif["mode"] == "B").all() and (a.item_vif["vif"] >= 1).all()


# ====================================================================== object behaviour
def test_tables_and_columns(ecsi_fit):
    a = assess(ecsi_fit)
    assert isinstance(a, Assessment)
    assert list(a.reliability.columns) == [
        "construct", "label", "mode", "n_items", "alpha", "rho_a", "rho_c", "ave", "dg_rho", "eig_1st", "eig_2nd",
        "alpha_low", "rho_c_low", "rho_c_high", "ave_low"]
    cids = ecsi_fit.model.construct_ids
    assert list(a.cross_loadings.columns) == ["item", "construct", *cids, "flag"]
    pd.testing.assert_frame_equal(a.cross_loadings[["item", *cids]], ecsi_fit.cross_loadings)
    assert list(a.inner_vif.columns) == ["target", "source", "vif", "flag"]
    assert list(a.f2.columns) == ["source", "target", "f2", "effect"]
    assert a.fit["measure"].tolist() == ["srmr_saturated", "srmr_estimated", "gof"]
    assert list(a.fornell_larcker.index) == cids and list(a.htmt_matrix.columns) == cids
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.flags = None  # type: ignore[misc]


def test_summary_renders_and_library_never_prints(ecsi_fit, capsys):
    a = assess(ecsi_fit)
    assert capsys.readouterr().out == ""
    text = str(a.summary())
    assert "csi-survey measurement quality" in text
    assert "SRMR (saturated / estimated)" in text and "Fornell–Larcker" in text
    assert "PQ–SAT: HTMT" in text
    assert "<table" in a.summary()._repr_html_()
    assert "flag(s)" in repr(a)


def test_assess_rejects_other_objects():
    with pytest.raises(csi.SettingsError, match="PLSResults"):
        assess(object())  # type: ignore[arg-type]


def test_model_without_paths(mobi):
    """One construct, no paths: no R² (GoF NaN), no inner VIF/f², HTMT table empty, SRMR defined."""
    model = csi.Questionnaire.build(constructs=[csi.construct("PQ", [f"PERQ{i}" for i in range(1, 8)], scale=(1, 10))])
    a = assess(PLS(model).fit(mobi))
    assert a.htmt.empty and a.inner_vif.empty and a.f2.empty
    m = a.fit.set_index("measure")["value"]
    assert np.isnan(m["gof"]) and m["srmr_saturated"] == pytest.approx(m["srmr_estimated"])
    assert "GoF" in str(a.summary())
