"""Consistent PLS (PLSc): fidelity to R seminr 2.3.4 and cSEM 0.6.1 (ECSI on mobi, every block
reflective), the inadmissibility flag, the ``measurement`` spec field, batched bootstrap replicates,
and that models without reflective constructs are estimated as before."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.assess import assess
from csi_survey.engine import PLS
from csi_survey.engine.bootstrap import bootstrap
from csi_survey.engine.pls import SINGULAR
from csi_survey.engine.resample import estimate_batch, moment_state, statistic_labels
from csi_survey.exceptions import AdmissibilityWarning, EstimationError
from csi_survey.schema import template_yaml

from .conftest import REFERENCE

NAMES = {"IMG": "Image", "EXP": "Expectation", "PQ": "Quality", "PV": "Value",
         "SAT": "Satisfaction", "COMP": "Complaints", "LOY": "Loyalty"}
SEMINR_TOL = 1e-6   # seminr stops on the sum of absolute weight changes < 1e-7 (README)
CSEM_TOL = 1e-8     # cSEM ran with .tolerance = 1e-10; we run tol=1e-10 for this comparison


def reflective_ecsi() -> csi.Questionnaire:
    """ECSI with every construct reflective by the spec default (single-item COMP stays uncorrected)."""
    return csi.Questionnaire.from_yaml(template_yaml("ecsi") + "measurement: reflective\n")


def fit_quietly(model, data, weight=None, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdmissibilityWarning)
        return PLS(model, **settings).fit(data, weight=weight)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    path = REFERENCE / "plsc_ecsi_mobi_r.csv"
    if not path.is_file():
        pytest.fail(f"benchmark file {path} is missing")
    return pd.read_csv(path, keep_default_na=False, na_values={"value": ["NaN"]})


def ours(fit) -> dict[tuple[str, str, str], float]:
    """Our estimates keyed like the reference rows: (quantity, from, to)."""
    out: dict[tuple[str, str, str], float] = {}
    for r in fit.paths.itertuples():
        out[("path", NAMES[r.source], NAMES[r.target])] = r.estimate
    for r in fit.weights.itertuples():
        out[("weight", r.item, NAMES[r.construct])] = r.weight
        out[("loading", r.item, NAMES[r.construct])] = r.loading
    for r in fit.r2.itertuples():
        out[("r2", NAMES[r.construct], "")] = r.r2
        out[("r2_adj", NAMES[r.construct], "")] = r.r2_adj
    for r in fit.reliability.itertuples():
        out[("rhoA", NAMES[r.construct], "")] = r.rho_a
    cc = fit.construct_correlations
    for a in cc.index:
        for b in cc.columns:
            if a != b:
                out[("construct_cor", NAMES[a], NAMES[b])] = cc.loc[a, b]
    rel = assess(fit).reliability  # alpha; rho_C and AVE from the PLSc loadings (seminr's summary)
    for r in rel.itertuples():
        out[("alpha", NAMES[r.construct], "")] = r.alpha
        out[("rhoC", NAMES[r.construct], "")] = r.rho_c
        out[("AVE", NAMES[r.construct], "")] = r.ave
    out[("n_obs", "", "")] = fit.n
    out[("iterations", "", "")] = fit.iterations
    return out


def compare(reference: pd.DataFrame, tool: str, fit, tol: float) -> tuple[dict[str, int], float]:
    mine = ours(fit)
    rows = reference[(reference["tool"] == tool) & (reference["quantity"] != "verify_status")]
    counts: dict[str, int] = {}
    worst = 0.0
    for r in rows.itertuples():
        key = (r.quantity, getattr(r, "_4"), r.to)
        assert key in mine, key
        dev = abs(mine[key] - r.value)
        assert dev <= tol, (key, mine[key], r.value)
        if r.quantity != "iterations":
            worst = max(worst, dev)
        counts[r.quantity] = counts.get(r.quantity, 0) + 1
    return counts, worst


def test_every_seminr_row_is_reproduced(mobi, reference):
    fit = fit_quietly(reflective_ecsi(), mobi)
    counts, worst = compare(reference, "seminr", fit, SEMINR_TOL)
    assert counts == {"n_obs": 1, "iterations": 1, "path": 12, "weight": 24, "loading": 24, "r2": 6, "r2_adj": 6,
                      "rhoA": 7, "alpha": 7, "rhoC": 7, "AVE": 7, "construct_cor": 21}
    assert sum(counts.values()) == 123
    assert worst < 1e-8  # measured 2.2e-9


def test_every_csem_row_is_reproduced(mobi, reference):
    fit = fit_quietly(reflective_ecsi(), mobi, tol=1e-10)
    counts, worst = compare(reference, "cSEM", fit, CSEM_TOL)
    assert counts == {"iterations": 1, "path": 12, "weight": 24, "loading": 24, "r2": 6, "r2_adj": 6, "rhoA": 7,
                      "construct_cor": 21}
    assert sum(counts.values()) == 101
    assert worst < 1e-13  # measured 2.2e-15

    # cSEM's verify(): code1 convergence, code2 |loading| > 1, code3 construct VCV not PSD,
    # code4 reliability > 1, code5 model-implied indicator VCV not PSD
    status = reference[(reference["tool"] == "cSEM") & (reference["quantity"] == "verify_status")]
    notes = " ".join(fit.notes)
    ids = fit.model.construct_ids
    lam = fit.weights["loading"].to_numpy()
    of = np.array([ids.index(c) for c in fit.weights["construct"]])
    phi = fit.construct_correlations.loc[ids, ids].to_numpy()
    implied = np.outer(lam, lam) * phi[np.ix_(of, of)]
    np.fill_diagonal(implied, 1.0)
    mine = {
        "code1": 0,  # converged (PLS.fit raises otherwise)
        "code2": int("loading(s) above 1" in notes),
        "code3": int("not positive semi-definite" in notes),
        "code4": int("rho_A above 1" in notes),
        "code5": int(np.linalg.eigvalsh(implied)[0] < -1e-10),
    }
    assert len(status) == 5
    assert {r._4: int(r.value) for r in status.itertuples()} == mine


def test_the_inadmissible_solution_is_flagged(mobi):
    with pytest.warns(AdmissibilityWarning, match=r"not positive semi-definite \(smallest eigenvalue -0\.0030\)"):
        fit = PLS(reflective_ecsi()).fit(mobi)
    assert fit.admissible is False
    assert len(fit.notes) == 1 and "EXP 0.462" in fit.notes[0]  # names the least reliable construct
    assert np.linalg.eigvalsh(fit.construct_correlations.to_numpy())[0] == pytest.approx(-0.0030, abs=5e-5)
    text = str(fit.summary())
    assert "Admissible" in text and "Reliability (rho_A)" in text and "PLSc: 6 reflective constructs" in text
    # the reliability table: rho_A used for each construct (1 for the single item, not corrected)
    rel = fit.reliability.set_index("construct")
    assert list(rel.columns) == ["measurement", "n_items", "rho_a", "corrected"]
    assert rel.loc["COMP", "rho_a"] == 1.0 and not rel.loc["COMP", "corrected"]
    assert rel["corrected"].sum() == 6 and (rel["measurement"] == "reflective").all()


def test_an_admissible_plsc_fit_has_no_warning(mobi):
    """Only Quality and Satisfaction reflective (the others composites): admissible on mobi."""
    text = template_yaml("ecsi").replace("items: [PERQ1", "measurement: reflective, items: [PERQ1").replace(
        "items: [CUSA1", "measurement: reflective, items: [CUSA1")
    model = csi.Questionnaire.from_yaml(text)
    assert model.reflective_ids == ["PQ", "SAT"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdmissibilityWarning)
        fit = PLS(model).fit(mobi)
    assert fit.admissible is True and fit.notes == ()
    plain = PLS(csi.template("ecsi")).fit(mobi)
    # composites are not corrected (cSEM's convention): their loadings, and the paths among
    # composites only, are those of PLS; the weights, scores and indices are always PLS's
    pd.testing.assert_frame_equal(fit.weights[["construct", "item", "weight", "index_weight"]],
                                  plain.weights[["construct", "item", "weight", "index_weight"]])
    composite = ~fit.weights["construct"].isin(["PQ", "SAT"])
    np.testing.assert_array_equal(fit.weights["loading"][composite], plain.weights["loading"][composite])
    pd.testing.assert_frame_equal(fit.index, plain.index)
    pd.testing.assert_frame_equal(fit.scores, plain.scores)
    same = fit.paths["source"].isin(["IMG", "EXP"]) & fit.paths["target"].isin(["EXP"])
    np.testing.assert_allclose(fit.paths["estimate"][same], plain.paths["estimate"][same], rtol=0, atol=1e-15)
    rho = fit.reliability.set_index("construct")["rho_a"]
    r = plain.construct_correlations
    assert fit.construct_correlations.loc["PQ", "SAT"] == pytest.approx(r.loc["PQ", "SAT"] / np.sqrt(rho["PQ"] * rho["SAT"]), abs=1e-14)
    assert fit.construct_correlations.loc["PQ", "IMG"] == pytest.approx(r.loc["PQ", "IMG"] / np.sqrt(rho["PQ"]), abs=1e-14)
    assert rho["IMG"] == 1.0 and fit.engine_description.startswith("Consistent PLS path modeling")


def test_reflective_measurement_errors_are_collected_with_locations():
    text = (template_yaml("ecsi")
            .replace("items: [CUSCO]}", "items: [CUSCO], measurement: reflective}")
            .replace("items: [PERV1, PERV2]}", "items: [PERV1, PERV2], mode: B, measurement: Reflective}")
            .replace("index: SAT", "index: SAT\nmeasurment: reflective"))
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml(text, source="ecsi.yaml")
    problems = info.value.problems
    assert len(problems) == 3
    text = problems.to_string()
    loc = {p.split(" ")[1]: where for p, where in zip(problems["problem"], problems["location"])}
    assert "did you mean 'measurement'?" in text
    assert "construct 'COMP' has a single item, which cannot be corrected for attenuation: leave measurement out (reliability 1)" in problems["problem"].tolist()
    assert "construct 'PV' is mode B, which is formative: use measurement: composite or mode A" in problems["problem"].tolist()
    assert loc["'COMP'"].startswith("ecsi.yaml:") and loc["'COMP'"].endswith("constructs.COMP.measurement")
    assert loc["'PV'"].startswith("ecsi.yaml:") and loc["'PV'"].endswith("constructs.PV.measurement")
    with pytest.raises(csi.SpecError, match="single item"):
        csi.Questionnaire.build([("A", {"items": ["a1"], "measurement": "reflective"}), csi.construct("B", ["b1", "b2"])],
                                csi.paths("A", "B"))
    with pytest.raises(csi.SpecError, match="'measurement'"):
        csi.Questionnaire.from_dict({"constructs": {"A": {"items": ["a1", "a2"], "measurment": "reflective"}}})


def test_which_constructs_are_reflective():
    text = template_yaml("ecsi").replace("items: [PERV1, PERV2]}", "items: [PERV1, PERV2], mode: B}").replace(
        "items: [CUSL1", "measurement: composite, items: [CUSL1")
    model = csi.Questionnaire.from_yaml(text + "measurement: reflective\n")
    # single-item COMP, mode-B PV and the explicitly composite LOY are not corrected
    assert model.reflective_ids == ["IMG", "EXP", "PQ", "SAT"]
    assert csi.template("ecsi").reflective_ids == [] and csi.template("ecsi").measurement == "composite"
    built = csi.Questionnaire.build([("A", {"items": ["a1", "a2"], "measurement": "reflective"}),
                                     csi.construct("B", ["b1", "b2"])], csi.paths("A", "B"))
    assert built.reflective_ids == ["A"]
    assert csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1"])],
                                   csi.paths("A", "B"), measurement="reflective").reflective_ids == ["A"]


def test_measurement_round_trips_through_yaml():
    text = template_yaml("ecsi").replace("items: [CUSL1", "measurement: composite, items: [CUSL1")
    model = csi.Questionnaire.from_yaml(text + "measurement: reflective\n")
    dumped = model.to_yaml()
    assert "measurement: reflective" in dumped and "measurement: composite" in dumped
    again = csi.Questionnaire.from_yaml(dumped)
    assert again == model and again.reflective_ids == model.reflective_ids == ["IMG", "EXP", "PQ", "PV", "SAT"]
    assert "measurement" not in csi.template("ecsi").to_yaml()  # the default is not written


def test_a_bootstrap_replicate_is_plsc_refitted_on_the_resample(mobi):
    """The batched PLSc of a bootstrap draw equals PLS(model).fit on the materialized resample."""
    model = reflective_ecsi()
    fit = fit_quietly(model, mobi)
    boot = bootstrap(fit, mobi, resamples=12, seed=11)
    info = boot.bootstrap
    assert info.used == 12
    labels = info.estimates[["statistic", "source", "target"]]
    assert (labels["statistic"] == "rho_a").sum() == 6 and (labels["statistic"] == "construct_correlation").sum() == 21
    children = np.random.SeedSequence(11).spawn(12)
    n = len(mobi)
    for b in (0, 7):
        counts = np.bincount(np.random.default_rng(children[b]).integers(0, n, n), minlength=n)
        rows = np.repeat(np.arange(n), counts)
        refit = fit_quietly(model, mobi.iloc[rows].reset_index(drop=True))
        refit_labels, values, _ = statistic_labels(refit)
        pd.testing.assert_frame_equal(refit_labels, labels)
        np.testing.assert_allclose(info.draws[b], values, rtol=0, atol=1e-8)
    # the loadings drawn are PLSc loadings: the full-sample estimate column is the fit's
    loading = info.estimates[info.estimates["statistic"] == "loading"]["estimate"].to_numpy()
    np.testing.assert_array_equal(loading, fit.weights["loading"].to_numpy())
    assert {"loading_ci_lower", "loading_ci_upper"} <= set(boot.weights.columns)


@pytest.mark.filterwarnings("ignore::csi_survey.exceptions.IndexWarning")
def test_a_non_positive_rho_a_is_an_estimation_error_and_a_failed_draw():
    """Two items that correlate negatively with each other but positively with the construct's neighbour."""
    rng = np.random.default_rng(3)
    n = 300
    s, u = rng.normal(size=n), rng.normal(size=n) * 2.0
    y = s + rng.normal(size=n) * 0.5
    frame = pd.DataFrame({"a1": s + u, "a2": s - u, "b1": y + rng.normal(size=n) * 0.3, "b2": y + rng.normal(size=n) * 0.3})
    model = csi.Questionnaire.build([("A", {"items": ["a1", "a2"], "measurement": "reflective"}),
                                     csi.construct("B", ["b1", "b2"])], csi.paths("A", "B"))
    assert np.corrcoef(frame["a1"], frame["a2"])[0, 1] < 0
    with pytest.raises(EstimationError, match="rho_A of A") as info:
        PLS(model).fit(frame)
    assert "measurement: composite" in info.value.hint
    composite = csi.Questionnaire.build([csi.construct("A", ["a1", "a2"]), csi.construct("B", ["b1", "b2"])],
                                        csi.paths("A", "B"))
    plain = PLS(composite).fit(frame)
    assert plain.reliability is None
    # in the batched re-estimation (bootstrap, permutations) the same data make a failed entry
    _, _, layout = statistic_labels(plain)
    state = moment_state(model, frame[model.item_ids].to_numpy(float), plain.settings, layout)
    _, status, problems = estimate_batch(state, np.ones((2, n)))
    assert list(status) == [SINGULAR, SINGULAR] and "rho_A of A" in problems[0]


def test_a_model_without_reflective_constructs_is_unchanged(mobi):
    plain = PLS(csi.template("ecsi")).fit(mobi)
    explicit = csi.Questionnaire.from_yaml(template_yaml("ecsi") + "measurement: composite\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = PLS(explicit).fit(mobi)
    for name in ("paths", "effects", "weights", "r2", "index", "construct_correlations", "cross_loadings", "scores"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(plain, name), check_exact=True)
    assert plain.reliability is None and plain.admissible is None and plain.notes == ()
    assert plain.engine_description == "PLS path modeling, path scheme"
    # loadings are the own-construct cross-loadings, the construct correlations those of the scores
    cl = plain.cross_loadings.set_index("item")
    own = [cl.loc[r.item, r.construct] for r in plain.weights.itertuples()]
    np.testing.assert_array_equal(plain.weights["loading"].to_numpy(), own)
    np.testing.assert_allclose(plain.construct_correlations.to_numpy(), np.corrcoef(plain.scores.to_numpy().T), atol=1e-12)
    labels, _, layout = statistic_labels(plain)
    assert set(labels["statistic"]) == {"path", "total_effect", "weight", "loading", "r2", "index", "htmt"}
    assert layout.rho_a is None


def test_unscaled_and_weighted_plsc_fits_are_standardized_and_replicated(mobi):
    """Unscaled items: PLSc works on the correlation scale; survey weights enter through C only."""
    model = reflective_ecsi()
    fit = fit_quietly(model, mobi, scaled=False)
    assert fit.reliability["rho_a"].between(0.3, 1.0).all()
    # an unscaled fit's PLSc loadings are standardized: λ = w_std √ρA / (w_stdᵀ w_std)
    sd = mobi[model.item_ids].std(ddof=0).to_numpy()
    w_std = fit.weights["weight"].to_numpy() * sd  # an unscaled fit's weights: unit n-divisor variance (plspm)
    rho = fit.reliability.set_index("construct")["rho_a"]
    for cid in ("EXP", "LOY"):
        mask = (fit.weights["construct"] == cid).to_numpy()
        w = w_std[mask]
        np.testing.assert_allclose(fit.weights["loading"].to_numpy()[mask], w * np.sqrt(rho[cid]) / (w @ w), atol=1e-10)
    weights = np.random.default_rng(2).integers(1, 4, len(mobi)).astype(float)
    weighted = fit_quietly(model, mobi, weight=weights)
    repeated = fit_quietly(model, mobi.iloc[np.repeat(np.arange(len(mobi)), weights.astype(int))].reset_index(drop=True))
    for name in ("paths", "r2"):
        np.testing.assert_allclose(getattr(weighted, name).select_dtypes("number").to_numpy(dtype=float)[:, 0],
                                   getattr(repeated, name).select_dtypes("number").to_numpy(dtype=float)[:, 0], atol=1e-9)
    np.testing.assert_allclose(weighted.reliability["rho_a"], repeated.reliability["rho_a"], atol=1e-10)


def test_the_quality_criteria_of_a_plsc_fit_match_seminr(mobi, reference):
    """assess() on a PLSc fit: rho_A from the composite weights (not from the consistent loadings),
    rho_C and AVE from the consistent loadings, as seminr's summary()$reliability."""
    from csi_survey.assess import assess

    fit = fit_quietly(reflective_ecsi(), mobi)
    table = assess(fit).reliability.set_index("construct")
    ref = reference[(reference["tool"] == "seminr") & reference["quantity"].isin(["rhoA", "rhoC", "AVE", "alpha"])]
    column = {"rhoA": "rho_a", "rhoC": "rho_c", "AVE": "ave", "alpha": "alpha"}
    back = {v: k for k, v in NAMES.items()}
    compared = 0
    for row in ref.to_dict("records"):
        got = table.loc[back[row["from"]], column[row["quantity"]]]
        assert got == pytest.approx(float(row["value"]), abs=SEMINR_TOL), row
        compared += 1
    assert compared == 4 * 7
    np.testing.assert_allclose(table["rho_a"], fit.reliability.set_index("construct")["rho_a"].reindex(table.index), atol=1e-12)


def test_a_plsc_run_reports_the_correction_and_the_inadmissibility(mobi, tmp_path):
    """analyze → tables, run.json meta, CLI-style notes and report.html say what PLSc did."""
    from csi_survey.analysis import AnalysisSettings, analyze
    from csi_survey.report.bundle import bundle_from_tables
    from csi_survey.report.html import render_html

    model = reflective_ecsi()
    data = csi.prepare(mobi, model)
    run = analyze(data, AnalysisSettings(resamples=100, seed=3))
    fit = fit_quietly(model, mobi)
    np.testing.assert_allclose(run.tables["paths"]["estimate"], fit.paths["estimate"], atol=1e-12)
    assert run.meta["reflective"] == ["IMG", "EXP", "PQ", "PV", "SAT", "LOY"] and run.meta["admissible"] is False
    assert any("not positive semi-definite" in n for n in run.notes)
    boot = run.fit.bootstrap.estimates
    assert set(boot.loc[boot["statistic"] == "rho_a", "source"]) == set(run.meta["reflective"])
    html = render_html(bundle_from_tables(run.meta, run.tables, model))
    assert "Consistent PLS (PLSc)" in html and "inadmissible" in html
