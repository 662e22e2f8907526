"""Covariance-based SEM engine: fidelity to lavaan 0.6-20 (Holzinger–Swineford CFA, Political
Democracy SEM), the spec translation, the shared tidy tables, admissibility checks and behaviour."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.engine.cbsem import CBSEM, model_description
from csi_survey.exceptions import (
    AdmissibilityWarning,
    ConvergenceError,
    EstimationError,
    IndexWarning,
    MeasurementModelWarning,
    SettingsError,
    SingularMatrixError,
    SpecError,
)
from csi_survey.results import CBSEMResults

from .conftest import REFERENCE, SHARED, _read

HS_YAML = """
name: Holzinger & Swineford (1939) three-factor CFA
constructs:
  visual:  {items: [x1, x2, x3]}
  textual: {items: [x4, x5, x6]}
  speed:   {items: [x7, x8, x9]}
"""

PD_YAML = """
name: Political democracy (Bollen 1989)
constructs:
  ind60: {items: [x1, x2, x3]}
  dem60: {items: [y1, y2, y3, y4]}
  dem65: {items: [y5, y6, y7, y8]}
paths:
  - [ind60, dem60]
  - [ind60, dem65]
  - [dem60, dem65]
covariances:
  - [y1, y5]
  - [y2, y4]
  - [y2, y6]
  - [y3, y7]
  - [y4, y8]
  - [y6, y8]
"""

# The ACSI template's structure with the mobi items (as the template says: rename the items).
ACSI_MOBI_YAML = """
name: ACSI model on the mobi data
scale: {min: 1, max: 10}
index: SAT
constructs:
  EXP:  {label: Customer expectations, items: [CUEX1, CUEX2, CUEX3]}
  PQ:   {label: Perceived quality,     items: [PERQ1, PERQ2, PERQ3, PERQ4, PERQ5, PERQ6, PERQ7]}
  PV:   {label: Perceived value,       items: [PERV1, PERV2]}
  SAT:  {label: Customer satisfaction, items: [CUSA1, CUSA2, CUSA3]}
  COMP: {label: Complaint handling,    items: [CUSCO]}
  LOY:  {label: Customer loyalty,      items: [CUSL1, CUSL2, CUSL3]}
paths:
  - [EXP, PQ]
  - [EXP, PV]
  - [EXP, SAT]
  - [PQ, PV]
  - [PQ, SAT]
  - [PV, SAT]
  - [SAT, COMP]
  - [SAT, LOY]
  - [COMP, LOY]
"""

#: lavaan's fit-measure names → ours
FIT_NAMES = {
    "chisq": "chi2", "df": "df", "pvalue": "p_value", "baseline.chisq": "baseline_chi2", "baseline.df": "baseline_df",
    "cfi": "cfi", "tli": "tli", "logl": "logl", "unrestricted.logl": "unrestricted_logl", "aic": "aic", "bic": "bic",
    "bic2": "bic2", "rmsea": "rmsea", "rmsea.ci.lower": "rmsea_ci_lower", "rmsea.ci.upper": "rmsea_ci_upper",
    "srmr": "srmr", "npar": "npar", "nobs": "n",
}
#: lavaan's parameter columns → ours
PARAM_COLUMNS = {"est": "estimate", "se": "std_err", "z": "z_value", "pvalue": "p_value", "std_all": "std_estimate"}

# The reference prints 3 decimals; our values are the converged ML solution, so |ours − printed| ≤ 5e-4
# plus the optimizer's residual error (measured: at most 5.0e-4 over every quantity, both models).
LAVAAN_TOL = 1e-3


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return _read(SHARED / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def political() -> pd.DataFrame:
    return _read(SHARED / "political_democracy.csv")


@pytest.fixture(scope="module")
def lavaan_ref() -> pd.DataFrame:
    return _read(REFERENCE / "lavaan_tutorial_0.6-20.csv")


def _fit(spec: csi.Questionnaire, data: pd.DataFrame, **settings) -> CBSEMResults:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)  # the reference data declare no scale
        return CBSEM(spec, **settings).fit(data)


@pytest.fixture(scope="module")
def hs_fit(hs) -> CBSEMResults:
    return _fit(csi.Questionnaire.from_yaml(HS_YAML), hs)


@pytest.fixture(scope="module")
def pd_fit(political) -> CBSEMResults:
    return _fit(csi.Questionnaire.from_yaml(PD_YAML), political)


@pytest.fixture(scope="module")
def acsi_mobi_fit(mobi) -> CBSEMResults:
    return CBSEM(csi.Questionnaire.from_yaml(ACSI_MOBI_YAML)).fit(mobi)


def _compare(fit: CBSEMResults, ref: pd.DataFrame) -> dict[str, float]:
    """Largest |ours − lavaan| per quantity; asserts every reference number is matched."""
    worst: dict[str, float] = {}
    params = fit.parameters
    measures = fit.fit_measures.set_index("measure")["value"]
    for row in ref.itertuples():
        if row.lhs == "fit":
            key = FIT_NAMES[row.op]
            diff = abs(measures[key] - float(row.est))
            assert diff <= LAVAAN_TOL, (key, measures[key], row.est)
            worst[key] = max(worst.get(key, 0.0), diff)
            continue
        sel = params[(params["lhs"] == row.lhs) & (params["op"] == row.op) & (params["rhs"] == row.rhs)]
        assert len(sel) == 1, f"{row.lhs} {row.op} {row.rhs} missing from our parameters"
        ours = sel.iloc[0]
        for col, our_col in PARAM_COLUMNS.items():
            value = getattr(row, col)
            if pd.isna(value):
                if col in ("se", "z", "pvalue"):  # a fixed parameter
                    assert np.isnan(ours[our_col]), (row.lhs, row.op, row.rhs, col)
                continue
            diff = abs(ours[our_col] - float(value))
            assert diff <= LAVAAN_TOL, (row.lhs, row.op, row.rhs, col, ours[our_col], value)
            worst[col] = max(worst.get(col, 0.0), diff)
    return worst


# ====================================================================== fidelity to lavaan
def test_holzinger_swineford_cfa_equals_lavaan(hs_fit, lavaan_ref):
    ref = lavaan_ref[lavaan_ref["model"] == "HS_cfa"]
    worst = _compare(hs_fit, ref)
    assert {"est", "se", "z", "pvalue", "chi2", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr",
            "aic", "bic", "logl", "unrestricted_logl", "bic2", "baseline_chi2", "npar", "n"} <= set(worst)
    # every lavaan parameter and nothing else (24 rows, lavaan's order: loadings, covariances, variances)
    assert len(hs_fit.parameters) == 24
    expected = [(r.lhs, r.op, r.rhs) for r in ref[ref["lhs"] != "fit"].itertuples()]
    assert list(hs_fit.parameters[["lhs", "op", "rhs"]].itertuples(index=False, name=None)) == expected


def test_political_democracy_sem_equals_lavaan(pd_fit, lavaan_ref):
    ref = lavaan_ref[lavaan_ref["model"] == "PD_sem"]
    worst = _compare(pd_fit, ref)
    assert {"est", "se", "z", "pvalue", "std_all", "chi2", "df", "npar", "n"} <= set(worst)
    expected = [(r.lhs, r.op, r.rhs) for r in ref[ref["lhs"] != "fit"].itertuples()]
    assert list(pd_fit.parameters[["lhs", "op", "rhs"]].itertuples(index=False, name=None)) == expected


def test_political_democracy_fit_indices_follow_lavaan_formulas(pd_fit, political):
    """The tutorial prints only χ², df and p for this model: check the other indices by their formulas."""
    m = pd_fit.fit_measures.set_index("measure")["value"]
    n, df, chi2, b_chi2, b_df = m["n"], m["df"], m["chi2"], m["baseline_chi2"], m["baseline_df"]
    assert (n, df, m["npar"], b_df) == (75, 35, 31, 55)
    assert m["cfi"] == pytest.approx(1 - max(chi2 - df, 0) / max(chi2 - df, b_chi2 - b_df), abs=1e-12)
    assert m["tli"] == pytest.approx(1 - (chi2 - df) * b_df / ((b_chi2 - b_df) * df), abs=1e-12)
    assert m["rmsea"] == pytest.approx(np.sqrt((chi2 - df) / (n * df)), abs=1e-12)
    assert m["rmsea_ci_lower"] == 0.0  # P(χ²₃₅ ≤ 38.1) < 0.95 at λ = 0
    from scipy.stats import ncx2

    lam = m["rmsea_ci_upper"] ** 2 * n * df
    assert ncx2.cdf(chi2, df, lam) == pytest.approx(0.05, abs=1e-8)
    S = np.cov(political.to_numpy().T, bias=True)
    assert b_chi2 == pytest.approx(n * (np.log(np.diag(S)).sum() - np.linalg.slogdet(S)[1]), rel=1e-12)
    assert m["aic"] == pytest.approx(-2 * m["logl"] + 2 * m["npar"], rel=1e-12)
    assert m["bic"] == pytest.approx(-2 * m["logl"] + m["npar"] * np.log(n), rel=1e-12)


def test_standardized_paths_effects_and_r2_follow_the_standardized_solution(pd_fit):
    p = pd_fit.parameters.set_index(["lhs", "op", "rhs"])
    paths = pd_fit.paths.set_index(["source", "target"])["estimate"]
    assert list(pd_fit.paths.columns) == ["source", "target", "estimate"]
    for (src, tgt), value in paths.items():
        assert value == p.loc[(tgt, "~", src), "std_estimate"]
    e = pd_fit.effects.set_index(["source", "target"])
    assert list(e.index) == [("ind60", "dem60"), ("ind60", "dem65"), ("dem60", "dem65")]
    total = paths[("ind60", "dem65")] + paths[("ind60", "dem60")] * paths[("dem60", "dem65")]
    assert e.loc[("ind60", "dem65"), "total_effect"] == pytest.approx(total, abs=1e-12)
    assert e.loc[("ind60", "dem65"), "indirect_effect"] == pytest.approx(total - paths[("ind60", "dem65")], abs=1e-12)
    r2 = pd_fit.r2.set_index("construct")["r2"]
    for c in ("dem60", "dem65"):  # 1 − standardized disturbance variance (lavaan std.all of c ~~ c)
        assert r2[c] == pytest.approx(1 - p.loc[(c, "~~", c), "std_estimate"], abs=1e-12)
    loading = pd_fit.weights.set_index("item")["loading"]
    assert loading["y2"] == p.loc[("dem60", "=~", "y2"), "std_estimate"]


def test_results_do_not_depend_on_construct_or_item_order(hs, hs_fit):
    """semopy sorts variables alphabetically: the tables must follow the spec, not semopy's order."""
    spec = csi.Questionnaire.from_yaml("""
constructs:
  speed:   {items: [x9, x7, x8]}
  visual:  {items: [x1, x2, x3]}
  textual: {items: [x4, x5, x6]}
""")
    fit = _fit(spec, hs[["x6", "x5", "x4", "x9", "x8", "x7", "x3", "x2", "x1"]])
    a, b = fit.fit_measures.set_index("measure")["value"], hs_fit.fit_measures.set_index("measure")["value"]
    pd.testing.assert_series_equal(a, b, atol=1e-5, rtol=0)
    assert fit.weights["item"].tolist() == ["x9", "x7", "x8", "x1", "x2", "x3", "x4", "x5", "x6"]
    # x9 is now the marker of speed: the standardized solution is the same model
    std = lambda f: f.parameters.set_index(["lhs", "op", "rhs"])["std_estimate"]  # noqa: E731
    assert std(fit)[("speed", "=~", "x8")] == pytest.approx(std(hs_fit)[("speed", "=~", "x8")], abs=1e-5)


# ====================================================================== spec translation
def test_model_text_follows_the_lavaan_defaults():
    pd_spec = csi.Questionnaire.from_yaml(PD_YAML)
    assert model_description(pd_spec).splitlines()[1:] == [
        "ind60 =~ x1 + x2 + x3",
        "dem60 =~ y1 + y2 + y3 + y4",
        "dem65 =~ y5 + y6 + y7 + y8",
        "# structural model",
        "dem60 ~ ind60",
        "dem65 ~ ind60 + dem60",
        "# covariances of the spec",
        "y1 ~~ y5", "y2 ~~ y4", "y2 ~~ y6", "y3 ~~ y7", "y4 ~~ y8", "y6 ~~ y8",
    ]
    # CFA: all construct covariances free (lavaan cfa()); SEM: those of the exogenous constructs (sem())
    hs_text = model_description(csi.Questionnaire.from_yaml(HS_YAML))
    assert "visual ~~ textual\nvisual ~~ speed\ntextual ~~ speed" in hs_text
    ecsi = model_description(csi.template("ecsi"))
    assert "CUSCO ~~ 0*CUSCO" in ecsi and "IMG ~~" not in ecsi  # IMG is the only exogenous construct
    two_exo = csi.Questionnaire.build([csi.construct(c, [f"{c}{i}" for i in (1, 2, 3)]) for c in "ABC"],
                                      paths=csi.paths(["A", "B"], "C"))
    assert "A ~~ B" in model_description(two_exo)


def test_sem_lines_are_appended_and_checked(hs, hs_fit):
    # a second-order factor over three first-order factors is just identified: same χ² as the CFA
    spec = csi.Questionnaire.from_yaml(HS_YAML + "sem_lines: ['g =~ visual + textual + speed']\n")
    assert model_description(spec).rstrip().endswith("# sem_lines of the spec\ng =~ visual + textual + speed")
    assert "visual ~~ textual" not in model_description(spec)  # no longer exogenous
    fit = _fit(spec, hs)
    chi2 = lambda f: f.fit_measures.set_index("measure").loc["chi2", "value"]  # noqa: E731
    assert chi2(fit) == pytest.approx(chi2(hs_fit), abs=1e-4)
    assert ("g", "=~", "speed") in set(fit.parameters[["lhs", "op", "rhs"]].itertuples(index=False, name=None))

    bad = csi.Questionnaire.from_yaml(HS_YAML + "sem_lines: ['x1 ~~ x10', 'visual ~~ NA*visual', 'x1 =~ x2']\n")
    with pytest.raises(SpecError) as info:
        CBSEM(bad).fit(hs)
    problems = info.value.problems
    assert problems["location"].tolist() == ["sem_lines[0]", "sem_lines[1]", "sem_lines[2]"]
    assert "'x10' is neither an item nor a construct" in problems["problem"][0]
    assert "did you mean 'x1'" in problems["problem"][0]
    assert "NA*" in problems["problem"][1]
    assert "x1' is an item" in problems["problem"][2]


def test_fixed_values_in_sem_lines(hs, hs_fit):
    # fixing the residual covariance x1 ~~ x4 to 0 is the default: the same fit, one row more
    spec = csi.Questionnaire.from_yaml(HS_YAML + "sem_lines: ['x1 ~~ 0*x4']\n")
    fit = _fit(spec, hs)
    assert fit.fit_measures.set_index("measure").loc["df", "value"] == 24
    row = fit.parameters.query("lhs == 'x1' and rhs == 'x4'").iloc[0]
    assert row["estimate"] == 0 and np.isnan(row["std_err"])


def test_ids_that_are_not_identifiers_get_aliases(hs, hs_fit):
    names = {f"x{k}": f"item {k}-a" for k in range(1, 10)}
    spec = csi.Questionnaire.from_yaml(HS_YAML.replace("visual:", "visual aspect:")
                                       .replace("[x1, x2, x3]", "['item 1-a', 'item 2-a', 'item 3-a']")
                                       .replace("[x4, x5, x6]", "['item 4-a', 'item 5-a', 'item 6-a']")
                                       .replace("[x7, x8, x9]", "['item 7-a', 'item 8-a', 'item 9-a']"))
    fit = _fit(spec, hs.rename(columns=names))
    assert "'item 1-a'" in fit.description and "'visual aspect'" in fit.description
    assert fit.parameters["lhs"].iloc[0] == "visual aspect" and fit.parameters["rhs"].iloc[0] == "item 1-a"
    np.testing.assert_allclose(fit.parameters["estimate"], hs_fit.parameters["estimate"], atol=1e-5)


# ====================================================================== the shared tables
def test_acsi_on_mobi_fits_with_sane_indices_and_expected_signs(acsi_mobi_fit, mobi):
    fit = acsi_mobi_fit
    assert fit.engine == "cbsem" and fit.engine_description == "Covariance-based SEM (ML, semopy)"
    assert fit.n == 250 and fit.iterations > 0 and not fit.notes
    # the single-item construct: loading 1, residual variance fixed to 0, so COMP is the item
    p = fit.parameters.set_index(["lhs", "op", "rhs"])
    assert p.loc[("COMP", "=~", "CUSCO"), "estimate"] == 1.0
    assert p.loc[("CUSCO", "~~", "CUSCO"), "estimate"] == 0.0 and np.isnan(p.loc[("CUSCO", "~~", "CUSCO"), "std_err"])
    assert fit.weights.set_index("item").loc["CUSCO", ["weight", "loading", "index_weight"]].tolist() == [1.0, 1.0, 1.0]
    assert np.allclose(fit.scores["COMP"], (mobi["CUSCO"] - mobi["CUSCO"].mean()) / mobi["CUSCO"].std())
    # 0–100 indices: inside the range and close to the mean item scores
    index = fit.index.set_index("construct")["index"]
    assert index.between(55, 85).all(), index
    assert index["COMP"] == pytest.approx((mobi["CUSCO"].mean() - 1) / 9 * 100)
    assert fit.headline == index["SAT"]
    assert (fit.weights["index_weight"] > 0).all()
    for c, items in ((c, fit.model.constructs[c].item_ids) for c in fit.model.construct_ids):
        means = (mobi[items].mean() - 1) / 9 * 100  # a weighted mean of the item means (positive weights)
        assert means.min() - 1e-9 <= index[c] <= means.max() + 1e-9, c
    pls_index = csi.PLS(fit.model).fit(mobi).index.set_index("construct")["index"]
    assert (index - pls_index).abs().max() < 2.5  # measured: 2.2 (PV), 2.1 (LOY)
    # the paths of the ACSI model are positive where the theory says so (EXP's direct paths are small)
    paths = fit.paths.set_index(["source", "target"])["estimate"]
    for key in [("EXP", "PQ"), ("PQ", "PV"), ("PQ", "SAT"), ("PV", "SAT"), ("SAT", "COMP"), ("SAT", "LOY")]:
        assert paths[key] > 0.2, (key, paths[key])
    assert (fit.effects["total_effect"] > 0).all()
    assert fit.r2["r2"].between(0, 1).all()
    # model fit is reported, and the sample is the one given
    m = fit.fit_measures.set_index("measure")["value"]
    assert (m["n"], m["df"], m["npar"]) == (250, 144, 46)
    assert 0.8 < m["cfi"] <= 1 and 0 < m["rmsea"] < 0.1


def test_tables_have_exactly_the_columns_of_the_pls_tables(acsi_mobi_fit, mobi):
    fit = acsi_mobi_fit
    pls = csi.PLS(fit.model).fit(mobi)
    for table in ("index", "paths", "effects", "weights", "r2", "scores", "scores_100"):
        assert list(getattr(fit, table).columns) == list(getattr(pls, table).columns), table
        assert len(getattr(fit, table)) == len(getattr(pls, table)), table
    for table in ("paths", "effects"):
        keys = ["source", "target"]
        assert getattr(fit, table)[keys].equals(getattr(pls, table)[keys])
    assert fit.weights[["construct", "item"]].equals(pls.weights[["construct", "item"]])
    assert fit.respondent_id.equals(pls.respondent_id)
    assert isinstance(fit, csi.ModelResults)
    assert list(fit.parameters.columns) == ["lhs", "op", "rhs", "estimate", "std_estimate", "std_err", "z_value", "p_value"]
    assert list(fit.fit_measures.columns) == ["measure", "value"]
    assert fit.fit_measures["measure"].tolist() == [
        "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic",
        "logl", "n", "npar", "baseline_chi2", "baseline_df", "unrestricted_logl", "bic2"]


def test_factor_score_weights_and_index_weights(acsi_mobi_fit, mobi):
    fit = acsi_mobi_fit
    p = fit.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    items = fit.model.constructs["SAT"].item_ids
    w = fit.weights.set_index("item")
    # one factor, uncorrelated residuals: b ∝ Θ⁻¹λ (raw-item weights), normalized to sum 1 for the index
    lam = np.array([p[("SAT", "=~", i)] for i in items])
    theta = np.array([p[(i, "~~", i)] for i in items])
    b = lam / theta
    np.testing.assert_allclose(w.loc[items, "index_weight"], b / b.sum(), atol=1e-6)
    # standardized-item weights ∝ b · sd, composite of standardized items has unit variance
    sd = mobi[items].std()
    np.testing.assert_allclose(w.loc[items, "weight"] / (b * sd.to_numpy()), (w.loc[items, "weight"] / (b * sd.to_numpy())).iloc[0], rtol=1e-6)
    z = (mobi[items] - mobi[items].mean()) / sd
    score = z.to_numpy() @ w.loc[items, "weight"].to_numpy()
    np.testing.assert_allclose(score, fit.scores["SAT"], atol=1e-10)
    assert fit.scores.std().to_numpy() == pytest.approx(np.ones(6))
    assert fit.scores.mean().abs().max() < 1e-10
    # the index is the mean of the respondents' 0–100 scores, which use the normalized weights
    s100 = ((mobi[items] - 1) / 9 * 100).to_numpy() @ w.loc[items, "index_weight"].to_numpy()
    np.testing.assert_allclose(fit.scores_100["SAT"], s100, atol=1e-9)
    assert fit.index.set_index("construct").loc["SAT", "index"] == pytest.approx(s100.mean())


def test_unscaled_items_get_no_index_with_a_warning(hs):
    with pytest.warns(IndexWarning, match="no 0–100 index for visual, textual, speed"):
        fit = CBSEM(csi.Questionnaire.from_yaml(HS_YAML)).fit(hs)
    assert fit.index["index"].isna().all() and fit.scores_100.isna().all().all()
    assert fit.weights["index_weight"].isna().all() and fit.weights["weight"].notna().all()


def test_summary_includes_the_fit_measures(pd_fit):
    text = str(pd_fit.summary())
    assert "Covariance-based SEM (ML, semopy)" in text and "Model fit" in text and "rmsea" in text
    assert "<h4>Model fit</h4>" in pd_fit.summary()._repr_html_()


# ====================================================================== admissibility
def _exact_data(R: np.ndarray, n: int, columns: list[str], seed: int = 1) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly R (sd 2, mean 5)."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, R.shape[0]))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(Z.T @ Z / n)).T
    return pd.DataFrame(Z @ np.linalg.cholesky(R).T * 2 + 5, columns=columns)


def test_heywood_case_is_a_warning_naming_the_parameter():
    # one factor, three items with r12 = r13 = .8, r23 = .4: λ₁² = r12·r13/r23 = 1.6, so θ₁ = 1 − 1.6 < 0
    R = np.array([[1, .8, .8], [.8, 1, .4], [.8, .4, 1]])
    data = _exact_data(R, 200, ["a", "b", "c"])
    spec = csi.Questionnaire.build([csi.construct("F", ["a", "b", "c"])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        with pytest.warns(AdmissibilityWarning, match=r"Heywood case\): a ~~ a = -2\.4"):
            fit = CBSEM(spec).fit(data)
    p = fit.parameters.set_index(["lhs", "op", "rhs"])
    assert p.loc[("a", "~~", "a"), "estimate"] == pytest.approx(-0.6 * 4, abs=1e-4)  # θ₁ on the item scale (sd 2)
    assert p.loc[("a", "~~", "a"), "std_estimate"] == pytest.approx(-0.6, abs=1e-5)
    assert p.loc[("F", "=~", "a"), "std_estimate"] == pytest.approx(np.sqrt(1.6), abs=1e-5)
    assert any("Heywood" in note for note in fit.notes)
    # a saturated model (df = 0) fits exactly: χ² = 0, no p value, RMSEA 0, CFI = TLI = 1
    m = fit.fit_measures.set_index("measure")["value"]
    assert m["df"] == 0 and m["chi2"] == pytest.approx(0, abs=1e-8) and np.isnan(m["p_value"])
    assert (m["rmsea"], m["rmsea_ci_lower"], m["rmsea_ci_upper"], m["tli"]) == (0, 0, 0, 1)
    assert m["cfi"] == pytest.approx(1, abs=1e-12)
    assert m["srmr"] == pytest.approx(0, abs=1e-6)


def test_negative_degrees_of_freedom_is_an_estimation_error(mobi):
    spec = csi.Questionnaire.from_dict({
        "constructs": {"SAT": {"items": ["CUSA1", "CUSA2", "CUSA3"]}},
        "covariances": [["CUSA1", "CUSA2"], ["CUSA1", "CUSA3"]],
    })
    with pytest.raises(EstimationError, match=r"8 free parameters .* only 6 variances and covariances \(df = -2\)") as info:
        CBSEM(spec).fit(mobi)
    assert "CUSA1 ~~ CUSA2" in str(info.value) and "How to fix" in str(info.value)


def test_singular_information_matrix_names_the_unidentified_parameters(mobi):
    # 4 items, 2 residual covariances: df = 0 but φ, λ₃, λ₄ cannot be separated (only φλ₃, φλ₄ are)
    spec = csi.Questionnaire.from_dict({
        "constructs": {"PQ": {"items": ["PERQ1", "PERQ2", "PERQ3", "PERQ4"]}},
        "covariances": [["PERQ1", "PERQ2"], ["PERQ3", "PERQ4"]],
    })
    with pytest.raises(EstimationError, match="information matrix is singular") as info:
        CBSEM(spec).fit(mobi)
    for name in ("PQ =~ PERQ3", "PQ =~ PERQ4", "PQ ~~ PQ"):
        assert name in str(info.value)
    assert not isinstance(info.value, ConvergenceError)


#: lavaan 0.6 on the ECSI template on mobi (issue 17, measured by the reporter): ML discrepancy F = χ²/N = 2.3023,
#: converged in 220 iterations to an admissible, near-degenerate solution. Only 5 digits are known, so we compare
#: with |F − 2.3023| < 5e-4 (measured: ours 2.302285, 1.5e-5 from the printed value).
LAVAAN_ECSI_MOBI_F = 2.3023


def test_ecsi_template_on_mobi_converges_to_lavaans_near_degenerate_solution(mobi):
    """The issue-17 case: this used to stop on a ridge (SLSQP, 1,108 iterations, F = 2.3030) and be reported as
    unidentified or unconverged depending on the BLAS threads. Its premise was wrong: lavaan converges to an
    admissible minimum, and so do we, with a warning naming the construct correlations close to 1."""
    spec = csi.template("ecsi")
    assert "CUSCO ~~ 0*CUSCO" in model_description(spec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = CBSEM(spec).fit(mobi)
    m = fit.fit_measures.set_index("measure")["value"]
    assert abs(m["chi2"] / m["n"] - LAVAAN_ECSI_MOBI_F) < 5e-4, m["chi2"] / m["n"]
    assert (m["n"], m["df"], m["npar"]) == (250, 241, 59)
    assert 0 < fit.iterations < 220  # lavaan (nlminb) needs 220; Fisher scoring in a trust region fewer
    # admissible: every variance positive, the construct covariance matrix positive definite, every SE defined
    p = fit.parameters
    variances = p[(p["op"] == "~~") & (p["lhs"] == p["rhs"]) & p["std_err"].notna()]
    assert len(variances) == 30 and (variances["estimate"] > 0).all()
    assert p["std_err"].notna().sum() == 59 and (p["std_err"].dropna() > 0).all()
    assert not [w for w in caught if issubclass(w.category, AdmissibilityWarning)]
    # the diagnosis the docs promise: which construct correlations go to ±1
    near = [str(w.message) for w in caught if issubclass(w.category, csi.CsiSurveyWarning)
            and "near-degenerate" in str(w.message)]
    assert len(near) == 1 and near[0] in fit.notes
    assert "corr(EXP, PQ) = 0.995, corr(IMG, EXP) = 0.988, corr(IMG, PQ) = 0.983, corr(IMG, SAT) = 0.981." in near[0]


_THREAD_SCRIPT = """
import json, sys, warnings
import pandas as pd
import csi_survey as csi
from csi_survey.engine.cbsem import CBSEM
from csi_survey.exceptions import CsiSurveyError
from threadpoolctl import threadpool_info
data = pd.read_csv(sys.argv[1])
out = {"threads": sorted({i["num_threads"] for i in threadpool_info()})}
for how in ("fit", "_fit"):  # fit(): one BLAS thread; _fit(): the threads of the environment
    engine = CBSEM(csi.template("ecsi"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = getattr(engine, how)(data)
        except CsiSurveyError as exc:
            out[how] = {"verdict": type(exc).__name__}
            continue
    m = fit.fit_measures.set_index("measure")["value"]
    out[how] = {"verdict": "converged", "notes": list(fit.notes), "F": m["chi2"] / m["n"],
                "estimates": fit.parameters["estimate"].tolist(), "std_err": fit.parameters["std_err"].tolist()}
print(json.dumps(out))
"""


def test_ecsi_verdict_and_estimates_do_not_depend_on_blas_threads(tmp_path):
    """The same verdict and the same estimates (to 1e-6) with 1 and 2 BLAS/OpenMP threads, in fresh processes
    (the thread count of OpenBLAS is fixed when it loads), inside fit()'s single-thread limit and outside it."""
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "ecsi_threads.py"
    script.write_text(_THREAD_SCRIPT, encoding="utf-8")
    runs = {}
    for threads in ("1", "2"):
        env = {**os.environ, **{v: threads for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
        done = subprocess.run([sys.executable, str(script), str(SHARED / "mobi.csv")], env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[threads] = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs["2"]["threads"] == [2] and runs["1"]["threads"] == [1]  # the environment took effect
    results = [runs[t][how] for t in ("1", "2") for how in ("fit", "_fit")]
    assert {r["verdict"] for r in results} == {"converged"}
    assert len({tuple(r["notes"]) for r in results}) == 1
    for r in results[1:]:
        assert abs(r["F"] - results[0]["F"]) < 1e-9
        np.testing.assert_allclose(r["estimates"], results[0]["estimates"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(r["std_err"], results[0]["std_err"], rtol=0, atol=1e-6, equal_nan=True)
    assert len(results[0]["estimates"]) == 67  # every row of the parameter table


def test_collinear_items_make_the_sample_covariance_matrix_singular(mobi):
    data = mobi.assign(PERQ1_copy=mobi["PERQ1"])
    spec = csi.Questionnaire.from_dict({"constructs": {"PQ": {"items": ["PERQ1", "PERQ2", "PERQ1_copy", "PERQ3"]}}})
    with pytest.raises(SingularMatrixError, match="not positive definite: items PERQ1, PERQ1_copy are collinear"):
        CBSEM(spec).fit(data)
    assert issubclass(SingularMatrixError, EstimationError)
    with pytest.raises(SingularMatrixError, match=r"zero variance: CUSA1 \(every answer 7\)"):
        CBSEM(csi.Questionnaire.from_dict({"constructs": {"S": {"items": ["CUSA1", "CUSA2", "CUSA3"]}}})).fit(mobi.assign(CUSA1=7))


def test_non_convergence_is_a_convergence_error_that_names_the_setting(political):
    spec = csi.Questionnaire.from_yaml(PD_YAML)
    with pytest.raises(ConvergenceError, match=r"did not converge: the optimizer reached max_iter = 2 iterations; "
                       r"discrepancy F = [\d.]+, last change of F [\d.e+-]+, decrease still predicted") as info:
        CBSEM(spec, max_iter=2).fit(political)
    assert "raise max_iter" in str(info.value) and "`--max-iter` of `csi-survey run`" in str(info.value)


def test_max_iter_is_honoured(political, pd_fit):
    spec = csi.Questionnaire.from_yaml(PD_YAML)
    assert CBSEM(spec).max_iter == 10_000  # lavaan's iter.max
    assert 0 < pd_fit.iterations < 100
    # the iterations the fit reports are enough; far fewer are not (the verdict is the Newton decrement, so the
    # last few iterations, which only polish rounding, are not needed for it)
    enough = _fit(spec, political, max_iter=pd_fit.iterations)
    np.testing.assert_allclose(enough.parameters["estimate"], pd_fit.parameters["estimate"], atol=1e-12)
    with pytest.raises(ConvergenceError, match="max_iter = 5 iterations"):
        _fit(spec, political, max_iter=5)


def test_run_passes_max_iter_to_the_cbsem_engine(tmp_path):
    from csi_survey.analysis import AnalysisSettings, analyze

    spec = csi.Questionnaire.from_yaml(PD_YAML)
    data = csi.read_responses(SHARED / "political_democracy.csv", spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        with pytest.raises(ConvergenceError, match="max_iter = 3 iterations"):
            analyze(data, AnalysisSettings(engine="cbsem", max_iter=3, resamples=0))


def test_lavaan_starting_values(political):
    """lavaan's start = "default": FABIN3 loadings, half the observed variances, latent variances 0.05, 0 else."""
    from csi_survey.engine import cbsem_ml as cbsem

    S = np.cov(political.to_numpy().T, bias=True)
    # 3 items: lavaan's closed form (λ₂ = s₃₂/s₃₁, λ₃ = s₃₂/s₂₁); 4 items: FABIN3
    s3 = S[:3, :3]
    np.testing.assert_allclose(cbsem.fabin3(s3), [1, s3[2, 1] / s3[2, 0], s3[2, 1] / s3[1, 0]], rtol=1e-12)
    s4 = S[3:7, 3:7]
    lam = cbsem.fabin3(s4)
    rest = [1, 3]  # for item 2 (index 2): instruments are the items other than 1 and itself
    t = np.linalg.solve(s4[np.ix_(rest, rest)], s4[rest, 0])
    assert lam[2] == pytest.approx(s4[2, rest] @ t / (s4[rest, 0] @ t), rel=1e-12)
    assert cbsem.fabin3(s4[:2, :2]).shape == (2,) and cbsem.fabin3(s4[:1, :1]).tolist() == [1.0]


def test_mode_b_constructs_are_estimated_as_common_factors_with_a_warning(political, pd_fit):
    spec = csi.Questionnaire.from_yaml(PD_YAML.replace("ind60: {items: [x1, x2, x3]}", "ind60: {items: [x1, x2, x3], mode: B}"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IndexWarning)
        with pytest.warns(MeasurementModelWarning, match="mode-B construct.*ind60 as common factors"):
            fit = CBSEM(spec).fit(political)
    np.testing.assert_allclose(fit.parameters["estimate"], pd_fit.parameters["estimate"], atol=1e-6)
    assert any("mode-B" in note for note in fit.notes)


def test_missing_item_columns_and_bad_data_are_clear_errors(political):
    spec = csi.Questionnaire.from_yaml(PD_YAML)
    with pytest.raises(EstimationError, match="no column for item"):
        CBSEM(spec).fit(political.drop(columns="y3"))
    with pytest.raises(EstimationError, match="missing values"):
        CBSEM(spec).fit(political.assign(y3=np.nan))


# ====================================================================== engine behaviour
def test_settings_are_checked():
    spec = csi.Questionnaire.from_yaml(HS_YAML)
    for bad in ({"max_iter": 0}, {"max_iter": True}, {"max_iter": 2.5}, {"tol": 0}, {"tol": -1e-9},
                {"tol": float("nan")}, {"tol": 1.5}, {"tol": "1e-9"}):
        with pytest.raises(SettingsError):
            CBSEM(spec, **bad)
    with pytest.raises(SettingsError, match="model must be a Questionnaire"):
        CBSEM("model.yaml")
    assert CBSEM(spec).settings == {"estimator": "ML", "optimizer": "Fisher scoring, scipy trust-exact, lavaan starting values",
                                    "information": "expected", "covariance_divisor": "N", "max_iter": 10_000, "tol": 1e-10}


def test_engine_and_results_are_immutable_and_the_engine_is_reusable(political, pd_fit):
    engine = CBSEM(csi.Questionnaire.from_yaml(PD_YAML))
    with pytest.raises(dataclasses.FrozenInstanceError):
        engine.tol = 1e-6
    with pytest.raises(dataclasses.FrozenInstanceError):
        pd_fit.n = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        pd_fit.parameters = None
    a, b = _fit(engine.model, political), _fit(engine.model, political)
    pd.testing.assert_frame_equal(a.parameters, b.parameters)
    pd.testing.assert_frame_equal(a.parameters, pd_fit.parameters)
    assert pd_fit.settings == engine.settings and pd_fit.description == engine.description


def test_library_does_not_print_or_log(political, capsys, caplog):
    with caplog.at_level("DEBUG"):
        _fit(csi.Questionnaire.from_yaml(PD_YAML), political, max_iter=1000)
        with pytest.raises(ConvergenceError):
            _fit(csi.Questionnaire.from_yaml(PD_YAML), political, max_iter=2)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert not [r for r in caplog.records if "semopy" in r.pathname]
