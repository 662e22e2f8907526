"""PLSpredict and CVPAT: fidelity to seminr/cSEM (LOOCV on mobi), k-fold and CVPAT properties, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import csi_survey as csi
from csi_survey.exceptions import SettingsError
from csi_survey.predict import CVPATResults, PredictResults, cvpat, plspredict, predictive_power

from .conftest import REFERENCE

# Construct names of the R reference rows: ECSI with seminr's long names, ACSI with short ones.
ECSI_NAMES = {"EXP": "Expectation", "PQ": "Quality", "PV": "Value", "SAT": "Satisfaction",
              "COMP": "Complaints", "LOY": "Loyalty"}
ACSI_NAMES = {"PQ": "QUAL", "PV": "VAL", "SAT": "SAT", "COMP": "COMP", "LOY": "LOY"}
# reference (tool, quantity) → our column; PLS_Q2predict_csem is recomputed from the error arrays
COLUMNS = {
    ("seminr", "PLS_OOS_RMSE"): "pls_rmse", ("seminr", "PLS_OOS_MAE"): "pls_mae",
    ("seminr", "LM_OOS_RMSE"): "lm_rmse", ("seminr", "LM_OOS_MAE"): "lm_mae",
    ("derived_from_seminr", "PLS_Q2predict_sse"): "q2_predict",
    ("derived_from_seminr", "LM_Q2predict_sse"): "lm_q2_predict",
    ("cSEM", "PLS_OOS_RMSE"): "pls_rmse", ("cSEM", "PLS_OOS_MAE"): "pls_mae",
    ("cSEM", "PLS_Q2predict_csem"): "q2_csem",
}
# README: tolerance 1e-6 absolute. seminr stops at Σ|Δw| < 1e-7; we iterate to max|Δw| < 1e-10
# (as the cSEM rows): measured max deviation 3.4e-11 from seminr, 5.3e-15 from cSEM.
TOL = 1e-6
#: a tight convergence tolerance, so the fixed point is reached (see above)
TIGHT = 1e-10


def acsi_mobi() -> csi.Questionnaire:
    """The ACSI model of the R references: ECSI without Image."""
    ecsi = csi.template("ecsi")
    keep = [c for c in ecsi.construct_ids if c != "IMG"]
    return csi.Questionnaire.build(
        constructs=[csi.construct(c, ecsi.constructs[c].item_ids, mode="A") for c in keep],
        paths=[(p.source, p.target) for p in ecsi.paths if p.source != "IMG"],
        name="ACSI on mobi",
        scale={"min": 1, "max": 10},
    )


def reduced(model: csi.Questionnaire, drop: tuple[str, str], name: str = "reduced") -> csi.Questionnaire:
    return csi.Questionnaire.build(
        constructs=[csi.construct(c, model.constructs[c].item_ids, mode="A") for c in model.construct_ids],
        paths=[(p.source, p.target) for p in model.paths if (p.source, p.target) != drop],
        name=name,
    )


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "plspredict_loocv_mobi_r.csv")


@pytest.fixture(scope="module")
def ecsi_engine() -> csi.PLS:
    return csi.PLS(csi.template("ecsi"), tol=TIGHT)


@pytest.fixture(scope="module")
def kfold(ecsi_engine, mobi) -> PredictResults:
    return plspredict(ecsi_engine, mobi, folds=5, repetitions=3, seed=11)


# ---------------------------------------------------------------------- fidelity (LOOCV)
@pytest.mark.parametrize(("model", "technique", "expected"), [
    ("ecsi", "direct", 171), ("ecsi", "earliest", 171), ("acsi", "direct", 144), ("acsi", "earliest", 144),
])
def test_loocv_equals_seminr_and_csem(mobi, reference, model, technique, expected):
    spec, names = (csi.template("ecsi"), ECSI_NAMES) if model == "ecsi" else (acsi_mobi(), ACSI_NAMES)
    res = plspredict(csi.PLS(spec, tol=TIGHT), mobi, folds=None, technique=technique)
    assert res.loocv and res.repetitions == 1 and res.pls_errors.shape == (1, 250, len(res.items))
    ours = res.items.set_index("item")
    # cSEM's Q²predict: mean-centred residuals (module docstring)
    e, mb = res.pls_errors[0], res.naive_errors[0]
    ours["q2_csem"] = 1 - ((e - e.mean(axis=0)) ** 2).sum(axis=0) / ((mb - mb.mean(axis=0)) ** 2).sum(axis=0)
    ref = reference[reference["model"] == f"{model}_{'DA' if technique == 'direct' else 'EA'}"]
    compared = 0
    for row in ref.itertuples():
        column = COLUMNS.get((row.tool, row.quantity))
        if column is None:  # in-sample metrics and cSEM's exogenous no-intercept LM: not our conventions
            continue
        item = row._4
        assert names[ours.loc[item, "construct"]] == row.to, item
        assert ours.loc[item, column] == pytest.approx(row.value, abs=TOL), (row.tool, row.quantity, item)
        compared += 1
    assert compared == expected  # 9 quantities × 19 (ECSI) or 16 (ACSI) endogenous items
    # every endogenous item, and only those, is predicted
    assert set(ours.index) == set(ref["from"])


def test_loocv_predicts_each_respondent_from_the_others(mobi):
    """An independent re-computation of one LOOCV prediction: fit on n − 1 rows, predict the left-out one."""
    model = acsi_mobi()
    res = plspredict(csi.PLS(model, tol=TIGHT), mobi, folds=None, technique="direct")
    i = 17
    train = mobi.drop(index=i)
    fit = csi.PLS(model, tol=TIGHT).fit(train)
    items = model.item_ids
    z = (mobi.loc[i, items] - train[items].mean()) / train[items].std(ddof=1)
    w = fit.weights.pivot(index="item", columns="construct", values="weight").reindex(index=items, columns=model.construct_ids).fillna(0)
    scores = z.to_numpy() @ w.to_numpy()
    B = np.zeros((len(model.construct_ids),) * 2)
    pos = {c: j for j, c in enumerate(model.construct_ids)}
    for r in fit.paths.itertuples():
        B[pos[r.source], pos[r.target]] = r.estimate
    fitted = scores @ B
    loading = fit.weights.set_index("item")["loading"]
    for k, item in enumerate(res.items["item"]):
        c = model.construct_of[item]
        expected = train[item].mean() + train[item].std(ddof=1) * loading[item] * fitted[pos[c]]
        assert res.actual[i, k] - res.pls_errors[0, i, k] == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------------- k-fold properties
def test_kfold_same_seed_same_numbers(ecsi_engine, mobi, kfold):
    again = plspredict(ecsi_engine, mobi, folds=5, repetitions=3, seed=11)
    pd.testing.assert_frame_equal(again.items, kfold.items)
    assert np.array_equal(again.fold_of, kfold.fold_of)
    other = plspredict(ecsi_engine, mobi, folds=5, repetitions=3, seed=12)
    assert not np.array_equal(other.fold_of, kfold.fold_of)
    assert not np.allclose(other.items["pls_rmse"], kfold.items["pls_rmse"])


def test_kfold_predicts_every_row_once_per_repetition(kfold):
    r, n, q = kfold.pls_errors.shape
    assert (r, n, q) == (3, 250, 19)
    assert kfold.fold_of.shape == (3, 250)
    for rep in range(r):
        sizes = np.bincount(kfold.fold_of[rep], minlength=5)
        assert sizes.tolist() == [50] * 5  # 5 folds of equal size, every respondent in exactly one
    assert len({tuple(f) for f in kfold.fold_of}) == 3  # each repetition redraws the folds
    for arr in (kfold.pls_errors, kfold.lm_errors, kfold.naive_errors):
        assert np.isfinite(arr).all()  # one out-of-sample prediction per respondent, item and repetition
    # metrics pool the r × n errors; the predictions table averages the repetitions
    e = kfold.pls_errors
    assert kfold.items["pls_rmse"].to_numpy() == pytest.approx(np.sqrt((e ** 2).mean(axis=(0, 1))), abs=1e-12)
    assert kfold.items["pls_rmse"].to_numpy() ** 2 == pytest.approx(np.mean([(e[k] ** 2).mean(axis=0) for k in range(r)], axis=0), abs=1e-12)
    assert kfold.predictions.to_numpy() == pytest.approx((kfold.actual[None] - e).mean(axis=0), abs=1e-12)
    assert list(kfold.predictions.columns) == list(kfold.items["item"])


def test_kfold_fold_is_an_independent_fit(ecsi_engine, mobi, kfold):
    """The held-out rows of one fold: PLS and LM predictions from a model fitted on the other folds only."""
    model = ecsi_engine.model
    rep, fold = 1, 3
    test = np.flatnonzero(kfold.fold_of[rep] == fold)
    train = mobi.drop(index=test)
    fit = ecsi_engine.fit(train)
    items = model.item_ids
    mean, sd = train[items].mean(), train[items].std(ddof=1)
    z = ((mobi.loc[test, items] - mean) / sd).to_numpy()
    w = fit.weights.pivot(index="item", columns="construct", values="weight").reindex(index=items, columns=model.construct_ids).fillna(0)
    pos = {c: j for j, c in enumerate(model.construct_ids)}
    B = np.zeros((len(pos), len(pos)))
    for r in fit.paths.itertuples():
        B[pos[r.source], pos[r.target]] = r.estimate
    fitted = (z @ w.to_numpy()) @ B
    loading = fit.weights.set_index("item")["loading"]
    for k, item in enumerate(kfold.items["item"]):
        c = model.construct_of[item]
        pls = mean[item] + sd[item] * loading[item] * fitted[:, pos[c]]
        assert (kfold.actual[test, k] - kfold.pls_errors[rep, test, k]) == pytest.approx(pls, abs=1e-9)
        # LM benchmark: OLS with intercept on every item outside the construct, raw training data
        others = [i for i in items if model.construct_of[i] != c]
        A = np.column_stack([np.ones(len(train)), train[others].to_numpy()])
        coef = np.linalg.lstsq(A, train[item].to_numpy(), rcond=None)[0]
        lm = np.column_stack([np.ones(len(test)), mobi.loc[test, others].to_numpy()]) @ coef
        assert (kfold.actual[test, k] - kfold.lm_errors[rep, test, k]) == pytest.approx(lm, abs=1e-9)
        assert (kfold.actual[test, k] - kfold.naive_errors[rep, test, k]) == pytest.approx(np.full(len(test), mean[item]), abs=1e-12)


def test_loocv_equals_kfold_with_n_folds(mobi):
    engine = csi.PLS(acsi_mobi(), tol=TIGHT)
    loo = plspredict(engine, mobi, folds="loo", technique="earliest")
    kn = plspredict(engine, mobi, folds=250, repetitions=2, seed=5, technique="earliest")
    assert loo.folds is None and kn.folds == 250
    cols = ["pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict", "lm_q2_predict"]
    assert kn.items[cols].to_numpy() == pytest.approx(loo.items[cols].to_numpy(), abs=1e-10)
    pd.testing.assert_frame_equal(kn.verdict, loo.verdict)


def test_verdict_follows_shmueli(kfold):
    assert [predictive_power(b, 3) for b in (3, 2, 1, 0)] == ["high", "medium", "low", "none"]
    assert predictive_power(1, 2) == "medium" and predictive_power(1, 1) == "high" and predictive_power(0, 1) == "none"
    items = kfold.items
    for row in kfold.verdict.itertuples():
        block = items[items["construct"] == row.construct]
        assert row.items == len(block)
        assert row.pls_better == int((block["pls_rmse"] < block["lm_rmse"]).sum())
        assert row.q2_positive == int((block["q2_predict"] > 0).sum())
        assert row.predictive_power == predictive_power(row.pls_better, row.items)
    mae = kfold.power("mae")
    assert mae["pls_better"].tolist() == [int((b["pls_mae"] < b["lm_mae"]).sum()) for _, b in items.groupby("construct", sort=False)]
    assert list(kfold.verdict["construct"]) == ["EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    text = str(kfold.summary())
    assert "PLSpredict" in text and "5-fold × 3 repetitions, seed 11" in text and "CUSL3" in text


# ---------------------------------------------------------------------- CVPAT
def test_cvpat_identical_models_do_not_differ(ecsi_engine, mobi):
    res = cvpat(ecsi_engine, csi.PLS(csi.template("ecsi"), tol=TIGHT), mobi, folds=5, repetitions=2, seed=3)
    assert isinstance(res, CVPATResults)
    assert (res.table["difference"] == 0).all() and (res.losses["difference"] == 0).all()
    assert (res.table["p_value"] == 1).all()
    assert "No significant difference" in res.conclusion()


def test_cvpat_model_without_a_key_path_loses(ecsi_engine, mobi):
    worse = csi.PLS(reduced(csi.template("ecsi"), ("PQ", "SAT"), name="ECSI without PQ → SAT"), tol=TIGHT)
    res = cvpat(ecsi_engine, worse, mobi, folds=10, repetitions=2, seed=1)
    table = res.table.set_index("construct")
    assert list(table.index) == ["overall", "EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    assert table.loc["overall", "difference"] < 0 and table.loc["overall", "p_value"] < 0.05
    assert table.loc["SAT", "difference"] < 0 and table.loc["SAT", "p_value"] < 0.05
    # the test is the paired t-test on the per-respondent losses (df = n − 1), item-weighted overall loss
    t = sps.ttest_rel(res.losses["loss_a"], res.losses["loss_b"])
    assert table.loc["overall", "t_value"] == pytest.approx(t.statistic, rel=1e-12)
    assert table.loc["overall", "p_value"] == pytest.approx(t.pvalue, rel=1e-9)
    assert table.loc["overall", "df"] == 249
    assert table.loc["overall", "loss_a"] == pytest.approx(res.losses["loss_a"].mean(), rel=1e-12)
    one_sided = cvpat(ecsi_engine, worse, mobi, folds=10, repetitions=2, seed=1, alternative="less")
    assert one_sided.overall["p_value"] == pytest.approx(t.pvalue / 2, rel=1e-9)
    assert "ECSI model predicts the endogenous items better" in res.conclusion()


def test_cvpat_losses_come_from_plspredict_errors(ecsi_engine, mobi):
    """Same folds (seed) → CVPAT's PLS loss is the mean standardized squared PLSpredict error; IA = training mean."""
    pred = plspredict(ecsi_engine, mobi, folds=5, repetitions=2, seed=7)
    ia = cvpat(ecsi_engine, "ia", mobi, folds=5, repetitions=2, seed=7, standardized=False)
    la = (pred.pls_errors ** 2).mean(axis=0).mean(axis=1)
    lb = (pred.naive_errors ** 2).mean(axis=0).mean(axis=1)
    assert ia.losses["loss_a"].to_numpy() == pytest.approx(la, abs=1e-10)
    assert ia.losses["loss_b"].to_numpy() == pytest.approx(lb, abs=1e-10)
    assert ia.overall["difference"] < 0 and ia.overall["p_value"] < 1e-6  # PLS beats the indicator averages
    lm = cvpat(ecsi_engine, "lm", mobi, folds=5, repetitions=2, seed=7)
    assert lm.model_b == "LM benchmark" and np.isfinite(lm.table["p_value"]).all()
    assert lm.overall["loss_a"] == pytest.approx(
        cvpat(ecsi_engine, "ia", mobi, folds=5, repetitions=2, seed=7).overall["loss_a"], rel=1e-12)
    assert "CVPAT" in str(lm.summary())


def test_cvpat_needs_the_same_endogenous_items(ecsi_engine, mobi):
    # dropping EXP → PQ makes PQ exogenous: its items are no longer predicted
    other = csi.PLS(reduced(csi.template("ecsi"), ("EXP", "PQ")))
    with pytest.raises(SettingsError, match="only model a predicts PERQ1"):
        cvpat(ecsi_engine, other, mobi, folds=5, repetitions=1, seed=1)
    with pytest.raises(SettingsError, match="engine_b"):
        cvpat(ecsi_engine, "mean", mobi)
    with pytest.raises(SettingsError, match="alternative"):
        cvpat(ecsi_engine, "ia", mobi, alternative="smaller")


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(("folds", "message"), [
    (1, "folds must be at least 2; got folds=1"), (0, "folds must be at least 2; got folds=0"),
    (251, "folds=251 is more than the 250 respondents"), (2.5, "got 2.5"), (True, "got True"),
])
def test_bad_folds(ecsi_engine, mobi, folds, message):
    with pytest.raises(SettingsError, match=message) as err:
        plspredict(ecsi_engine, mobi, folds=folds)
    assert err.value.hint and "folds" in err.value.hint


def test_model_without_endogenous_construct(mobi):
    ecsi = csi.template("ecsi")
    flat = csi.Questionnaire.build(constructs=[csi.construct(c, ecsi.constructs[c].item_ids) for c in ("PQ", "SAT")], name="no paths")
    with pytest.raises(SettingsError, match="no endogenous construct"):
        plspredict(csi.PLS(flat), mobi)
    with pytest.raises(SettingsError, match="no endogenous construct"):
        cvpat(csi.PLS(flat), "ia", mobi)


def test_other_bad_settings(ecsi_engine, mobi):
    with pytest.raises(SettingsError, match="technique"):
        plspredict(ecsi_engine, mobi, technique="latest")
    with pytest.raises(SettingsError, match="repetitions"):
        plspredict(ecsi_engine, mobi, repetitions=0)
    with pytest.raises(SettingsError, match="PLS engine"):
        plspredict(ecsi_engine.model, mobi)
    with pytest.raises(SettingsError, match="scaled=False"):
        plspredict(csi.PLS(ecsi_engine.model, scaled=False), mobi)
    with pytest.raises(SettingsError, match="seed"):
        plspredict(ecsi_engine, mobi, seed=-1)


def test_progress_is_reported(ecsi_engine, mobi):
    calls = []
    plspredict(ecsi_engine, mobi, folds=4, repetitions=2, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (8, 8)


def test_reflective_constructs_are_refused(mobi):
    if not hasattr(csi.Questionnaire, "reflective_ids"):
        pytest.skip("this version of the spec has no reflective measurement")
    ecsi = csi.template("ecsi")
    spec = csi.Questionnaire.build(
        constructs=[csi.construct(c, ecsi.constructs[c].item_ids) for c in ecsi.construct_ids],
        paths=[(p.source, p.target) for p in ecsi.paths], measurement="reflective", name="reflective ECSI",
    )
    assert spec.reflective_ids
    with pytest.raises(SettingsError, match="reflective construct"):
        plspredict(csi.PLS(spec), mobi)
