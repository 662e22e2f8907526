"""The PLS-SEM methods in a run and on the command line: mediation, model fit and its test, HTMT2,
PLSpredict and CVPAT (the methods themselves are tested against seminr/cSEM in their own files)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.cli import app
from csi_survey.mediation import mediation
from csi_survey.model_fit import fit_measures, htmt2
from csi_survey.predict import plspredict

from .conftest import EXAMPLES

runner = CliRunner()
XLSX = str(EXAMPLES / "acsi_retail.xlsx")
SPEC = str(EXAMPLES / "acsi_retail.yaml")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def run(data):
    return analyze(data, AnalysisSettings(resamples=200, seed=5, fit_test=99, predict=5, predict_repetitions=2))


def test_a_run_has_the_mediation_tables_with_sentences(run):
    med = mediation(run.fit)
    pd.testing.assert_frame_equal(run.tables["indirect_effects"], med.indirect)
    effects = run.tables["mediation"]
    assert list(effects.columns[:-1]) == list(med.effects.columns) and effects.columns[-1] == "sentence"
    assert len(effects) == len(med.effects) > 0 and effects["sentence"].str.len().gt(20).all()
    assert set(effects["mediation"]) <= {"complementary", "competitive", "indirect-only", "direct-only", "no effect"}


def test_a_run_has_the_fit_measures_the_test_and_htmt2(run):
    pd.testing.assert_frame_equal(run.tables["model_fit"], fit_measures(run.fit).measures)
    test = run.tables["fit_test"]
    assert {"srmr", "d_uls", "d_g"} <= set(test["measure"]) and test["p_value"].between(0, 1).all()
    # one SRMR: the quality table's equals the fit table's
    m = run.tables["model_fit"].set_index("measure")
    q = run.tables["fit_measures"].set_index("measure")["value"]
    assert q["srmr_saturated"] == pytest.approx(m.loc["srmr", "saturated"], abs=1e-12)
    htmt = run.tables["htmt"]
    model = run.fit.model
    items = model.item_ids
    blocks = [np.array([items.index(i) for i in model.constructs[c].item_ids]) for c in model.construct_ids]
    H2 = htmt2(run.fit.item_correlations.loc[items, items].to_numpy(), blocks)
    pos = {c: k for k, c in enumerate(model.construct_ids)}
    expected = [H2[pos[a], pos[b]] for a, b in zip(htmt["construct_1"], htmt["construct_2"])]
    np.testing.assert_allclose(htmt["htmt2"], expected, rtol=0, atol=1e-12)


def test_a_run_predicts_with_the_same_numbers_as_plspredict(run, data):
    direct = plspredict(csi.PLS(data.questionnaire), data, folds=5, repetitions=2, seed=5)
    pd.testing.assert_frame_equal(run.tables["prediction"], direct.items)
    pd.testing.assert_frame_equal(run.tables["prediction_summary"], direct.verdict)
    assert run.meta["settings"]["predict"] == 5 and run.meta["settings"]["fit_test"] == 99


def test_prediction_of_weighted_data_fails_before_the_bootstrap(data):
    weighted = dataclasses.replace(data, weight=np.linspace(0.5, 1.5, data.n_used))
    with pytest.raises(csi.SettingsError):
        analyze(weighted, AnalysisSettings(resamples=50, seed=1, predict=5))


def test_settings_refuse_a_one_resample_fit_test_and_methods_with_cbsem():
    with pytest.raises(csi.SettingsError, match="fit_test must be 0"):
        AnalysisSettings(fit_test=1)
    with pytest.raises(csi.SettingsError, match="belong to the PLS engine"):
        AnalysisSettings(engine="cbsem", predict=10)


def test_the_run_command_prints_fit_test_mediation_and_prediction(tmp_path):
    res = runner.invoke(app, ["run", XLSX, "--model", SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "out"),
                              "--bootstrap", "100", "--seed", "2", "--fit-test", "49", "--predict", "loo"])
    assert res.exit_code == 0, res.output
    text = flat(res.output)
    assert "Model fit (saturated / estimated model): SRMR" in text and "Test of exact fit (bootstrap, fit_test.csv)" in text
    assert "specific indirect effects" in text and "Predictive power (PLSpredict, prediction.csv)" in text
    for name in ("mediation.csv", "indirect_effects.csv", "model_fit.csv", "fit_test.csv", "prediction.csv", "prediction_summary.csv"):
        assert (tmp_path / "out" / name).is_file(), name


@pytest.mark.parametrize("value, message", [("1", "folds"), ("abc", "--predict must be a number of folds"), ("100000", "folds")])
def test_bad_fold_counts_are_one_readable_error(tmp_path, value, message):
    res = runner.invoke(app, ["run", XLSX, "--model", SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "out"),
                              "--bootstrap", "0", "--predict", value])
    assert res.exit_code == 1 and message in flat(res.output) and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_the_predict_command_writes_prediction_and_cvpat(tmp_path):
    base = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
    assert "- [PV, SAT]" in base
    worse = tmp_path / "worse.yaml"
    worse.write_text(base.replace("  - [PV, SAT]\n", ""), encoding="utf-8")
    res = runner.invoke(app, ["predict", XLSX, "--model", SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "p"),
                              "--folds", "5", "--repetitions", "2", "--seed", "4", "--compare", str(worse)])
    assert res.exit_code == 0, res.output
    assert "CVPAT:" in flat(res.output)
    for name in ("prediction.csv", "prediction_summary.csv", "cvpat.csv", "prediction.xlsx"):
        assert (tmp_path / "p" / name).is_file(), name
    cv = pd.read_csv(tmp_path / "p" / "cvpat.csv")
    assert cv["construct"].iloc[0] == "overall" and cv["p_value"].between(0, 1).all()
    res = runner.invoke(app, ["predict", XLSX, "--model", SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "b"),
                              "--folds", "loo", "--benchmark", "lm"])
    assert res.exit_code == 0, res.output
    bad = runner.invoke(app, ["predict", XLSX, "--model", SPEC, "--on-invalid", "exclude", "--out", str(tmp_path / "c"),
                              "--benchmark", "mean"])
    assert bad.exit_code == 1 and "--benchmark must be lm or ia" in flat(bad.output)
    assert not (tmp_path / "c").exists()


# ---------------------------------------------------------------------- specs with interactions or higher-order constructs
def _spec(tmp_path, text: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_spec_with_an_interaction_runs_on_the_command_line(tmp_path):
    base = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
    spec = _spec(tmp_path, base + "\ninteractions:\n  - PQ*EXP\n", "moderated.yaml")
    res = runner.invoke(app, ["run", XLSX, "--model", spec, "--on-invalid", "exclude", "--out", str(tmp_path / "out"),
                              "--bootstrap", "100", "--seed", "3"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    effects = pd.read_csv(out / "interaction_effects.csv")
    assert set(effects["source"]) == {"PQ*EXP"} and {"ci_lower", "ci_upper"} <= set(effects.columns)
    slopes = pd.read_csv(out / "simple_slopes.csv")
    assert sorted(slopes["moderator_level"].unique()) == [-1, 0, 1]
    quality = pd.read_csv(out / "quality.csv")
    assert "PQ*EXP" not in set(quality["construct"])  # no reliability for an interaction term
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Moderation" in html and "not computed for a model with interactions" in flat(res.output)


def test_a_spec_with_a_higher_order_construct_runs_with_its_index_as_headline(tmp_path, data):
    base = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
    old_paths = "  - [EXP, PQ]\n  - [EXP, PV]\n  - [EXP, SAT]\n  - [PQ, PV]\n  - [PQ, SAT]\n  - [PV, SAT]\n"
    assert old_paths in base and "index: SAT" in base
    text = base.replace(old_paths, "  - [EXP, QV]\n  - [EXP, SAT]\n  - [QV, SAT]\n").replace("index: SAT", "index: QV")
    spec = _spec(tmp_path, text + "\nhigher_order:\n  QV: {dimensions: [PQ, PV], label: Quality and value}\n", "hoc.yaml")
    res = runner.invoke(app, ["run", XLSX, "--model", spec, "--on-invalid", "exclude", "--out", str(tmp_path / "out"),
                              "--bootstrap", "100", "--seed", "3"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    index = pd.read_csv(out / "index.csv").set_index("construct")
    dims = pd.read_csv(out / "higher_order.csv")
    assert list(dims["dimension"]) == ["PQ", "PV"]
    # the index of the higher-order construct is the weighted mean of its dimensions' indices
    assert index.loc["QV", "index"] == pytest.approx((dims["index_weight"] * dims["dimension_index"]).sum(), abs=1e-9)
    assert index.loc["QV", "ci_lower"] < index.loc["QV", "index"] < index.loc["QV", "ci_upper"]
    import json

    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["headline"]["construct"] == "QV" and meta["headline"]["label"] == "Quality and value"
    assert "Quality and value" in (out / "report.html").read_text(encoding="utf-8")


def test_extended_specs_refuse_what_they_do_not_support_yet(tmp_path):
    base = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
    spec = _spec(tmp_path, base + "\ninteractions:\n  - PQ*EXP\n", "moderated.yaml")
    res = runner.invoke(app, ["run", XLSX, "--model", spec, "--on-invalid", "exclude", "--out", str(tmp_path / "out"),
                              "--segment", "region", "--predict", "5"])
    assert res.exit_code == 1 and "--segment, --predict cannot be combined yet" in flat(res.output)
    assert not (tmp_path / "out").exists()
    res = runner.invoke(app, ["run", XLSX, "--model", spec, "--on-invalid", "exclude", "--out", str(tmp_path / "cb"),
                              "--engine", "cbsem"])
    assert res.exit_code == 1 and "covariance-based engine does not estimate" in flat(res.output)


def test_the_batch_refuses_a_model_with_interactions_before_any_work(tmp_path):
    from csi_survey.batch import BatchConfigError, run_batch

    (tmp_path / "model.yaml").write_text((EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8")
                                         + "\ninteractions:\n  - PQ*EXP\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(f"model: model.yaml\nwaves: {{w1: {XLSX}}}\n", encoding="utf-8")
    with pytest.raises(BatchConfigError, match="does not estimate yet"):
        run_batch(tmp_path / "config.yaml", workers=1)
    assert not (tmp_path / "out").exists()
