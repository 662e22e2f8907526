"""The csi-survey command line on the bundled examples and on broken inputs (typer CliRunner)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey.cli import app

from .conftest import EXAMPLES

runner = CliRunner()
XLSX = str(EXAMPLES / "acsi_retail.xlsx")
SPEC = str(EXAMPLES / "acsi_retail.yaml")
ZH_CSV = str(EXAMPLES / "acsi_retail_zh.csv")
ZH_SPEC = str(EXAMPLES / "acsi_retail_zh.yaml")
OUTPUTS = {"quadrant.csv", "index.csv", "paths.csv", "effects.csv", "weights.csv", "r2.csv", "scores.csv", "excluded.csv", "missing.csv",
           "quality.csv", "htmt.csv", "fit_measures.csv", "quality_flags.csv", "impacts.csv", "ipma.csv", "gaps.csv",
           "frequencies.csv", "item_summary.csv", "nps.csv", "csat.csv", "flags.csv", "data_quality.csv",
           "model_fit.csv", "mediation.csv", "indirect_effects.csv", "run.json", "model.yaml", "report.xlsx", "report.html"}
BOOTSTRAP_OUTPUTS = {"bootstrap.csv", "bootstrap_failures.csv"}


def invoke(*args: str):
    return runner.invoke(app, list(args))


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: "), result.stderr  # one message, on stderr
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_run_on_the_bundled_example_writes_every_table(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--on-invalid", "exclude", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Read 507 rows from acsi_retail.xlsx, sheet 'Responses': 502 used, 5 excluded." in result.output
    assert "Bootstrap: 1,000 of 1,000 resamples used (seed 1, percentile)." in result.output
    assert re.search(r"Satisfaction index \(Customer satisfaction\): \d+\.\d ± \d\.\d \(95% interval", result.output)
    assert {p.name for p in out.iterdir()} == OUTPUTS | BOOTSTRAP_OUTPUTS | {".csi-survey-manifest.json"}

    index = pd.read_csv(out / "index.csv", encoding="utf-8-sig")
    assert list(index.columns) == ["construct", "label", "index", "n", "std_err", "ci_lower", "ci_upper", "margin_of_error"]
    assert (index["ci_lower"] < index["index"]).all() and (index["index"] < index["ci_upper"]).all()
    assert index["construct"].tolist() == ["EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    assert index["index"].between(0, 100).all() and (index["n"] == 502).all()
    assert list(pd.read_csv(out / "paths.csv", encoding="utf-8-sig").columns) == [
        "source", "target", "estimate", "std_err", "t_value", "p_value", "ci_lower", "ci_upper"]
    quality = pd.read_csv(out / "quality.csv", encoding="utf-8-sig")
    assert {"construct", "alpha", "rho_a", "rho_c", "ave"} <= set(quality.columns) and len(quality) == 6
    assert {"construct_1", "construct_2", "htmt", "ci_lower", "ci_upper"} <= set(pd.read_csv(out / "htmt.csv", encoding="utf-8-sig").columns)
    assert {"source", "target", "total_effect"} <= set(pd.read_csv(out / "effects.csv", encoding="utf-8-sig").columns)
    weights = pd.read_csv(out / "weights.csv", encoding="utf-8-sig")
    assert {"construct", "item", "weight", "loading"} <= set(weights.columns) and len(weights) == 15
    assert list(pd.read_csv(out / "r2.csv", encoding="utf-8-sig").columns) == ["construct", "r2", "r2_adj", "std_err", "ci_lower", "ci_upper"]

    # every row accounted for: the planted problems of examples/README.md, with Excel row numbers
    excluded = pd.read_csv(out / "excluded.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(excluded.columns) == ["row", "respondent_id", "reason"]
    assert excluded["row"].tolist() == [37, 120, 243, 305, 450]
    assert "'ten' in sat_overall (not a number)" in excluded["reason"][0]
    assert excluded["reason"][1] == "no valid answer for construct SAT (Customer satisfaction)"
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig")
    assert list(scores.columns) == ["respondent_id", "EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    assert len(scores) + len(excluded) == 507
    assert scores["SAT"].mean() == pytest.approx(index.set_index("construct").loc["SAT", "index"], abs=1e-9)

    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert {"Summary", "Charts", "Index", "Paths", "Impacts", "IPMA", "Gaps", "NPS", "Quality", "HTMT", "Bootstrap",
            "Excluded", "Scores"} <= set(wb.sheetnames)
    wb.close()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Retail ACSI 2026-Q3" in html and "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["bootstrap"]["seed"] == 1 and run["headline"]["construct"] == "SAT"


def test_bootstrap_off_and_reproducible_by_seed(tmp_path):
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path / "a"), "--on-invalid", "exclude", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "a").iterdir()} == OUTPUTS | {".csi-survey-manifest.json"}
    assert list(pd.read_csv(tmp_path / "a" / "paths.csv", encoding="utf-8-sig").columns) == ["source", "target", "estimate"]
    for name in ("b", "c"):
        invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path / name), "--on-invalid", "exclude", "--bootstrap", "200", "--seed", "5")
    assert (tmp_path / "b" / "bootstrap.csv").read_bytes() == (tmp_path / "c" / "bootstrap.csv").read_bytes()


def test_library_run_equals_cli_run(tmp_path):
    invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path), "--on-invalid", "exclude", "--scheme", "centroid", "--bootstrap", "0")
    model = csi.load_model(SPEC)
    fit = csi.PLS(model, scheme="centroid").fit(csi.read_responses(XLSX, model, on_invalid="exclude"))
    cli_paths = pd.read_csv(tmp_path / "paths.csv", encoding="utf-8-sig")
    pd.testing.assert_series_equal(cli_paths["estimate"], fit.paths["estimate"], rtol=0, atol=1e-15)


def test_chinese_gbk_example_with_chinese_labels(tmp_path):
    result = invoke("run", ZH_CSV, "--model", ZH_SPEC, "--out", str(tmp_path), "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output
    assert "顾客满意度" in result.output
    index = pd.read_csv(tmp_path / "index.csv", encoding="utf-8-sig")
    assert index["label"].tolist() == ["顾客期望", "感知质量", "感知价值", "顾客满意度", "顾客抱怨", "顾客忠诚"]
    scores = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")
    assert scores.columns[0] == "编号"
    excluded = pd.read_csv(tmp_path / "excluded.csv", encoding="utf-8-sig")
    assert len(scores) + len(excluded) == 312


def test_invalid_cells_stop_the_run_with_every_bad_cell_and_write_nothing(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out))
    assert_clean_failure(result, "3 problems", "37", "ten", "305", "out of range 1–10", "450", "--on-invalid exclude")
    assert not out.exists() or not any(out.iterdir())


def test_validate_checks_without_estimating(tmp_path):
    result = invoke("validate", XLSX, "--model", SPEC, "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output
    assert "14 items" not in result.output and "15 items" in result.output
    assert "502 used, 5 excluded" in result.output
    assert_clean_failure(invoke("validate", XLSX, "--model", SPEC), "sat_overall")


@pytest.mark.parametrize("name", ["acsi", "ecsi"])
def test_template_prints_loadable_yaml(name):
    result = invoke("template", name)
    assert result.exit_code == 0
    assert csi.Questionnaire.from_yaml(result.stdout) == csi.template(name)


def test_missing_responses_file(tmp_path):
    assert_clean_failure(invoke("run", str(tmp_path / "nope.xlsx"), "--model", SPEC, "--out", str(tmp_path / "o")), "nope.xlsx")


def test_bad_model_file_lists_every_problem(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text("constructs:\n  A: {items: [a]}\npaths:\n  - [A, B]\nindex: Q\n", encoding="utf-8")
    assert_clean_failure(invoke("run", XLSX, "--model", str(spec), "--out", str(tmp_path / "o")),
                         "2 problems", "m.yaml:4 paths[0]", "path target 'B'", "m.yaml:5 index")


def test_unknown_sheet_lists_the_sheets(tmp_path):
    assert_clean_failure(invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path), "--sheet", "Data"), "Responses", "Notes")


def test_sheet_by_number(tmp_path):
    result = invoke("validate", XLSX, "--model", SPEC, "--sheet", "1", "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output


def test_missing_item_column_names_the_closest(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text(Path(SPEC).read_text(encoding="utf-8").replace("sat_confirm", "sat_confirmed"), encoding="utf-8")
    assert_clean_failure(invoke("validate", XLSX, "--model", str(spec)), "sat_confirmed", "sat_confirm")


def test_estimation_errors_are_one_message(tmp_path):
    data = pd.read_csv(ZH_CSV, encoding="gbk")
    data["满意_总体"] = 7
    path = tmp_path / "flat.csv"
    data.to_csv(path, index=False, encoding="gbk")
    assert_clean_failure(invoke("run", str(path), "--model", ZH_SPEC, "--out", str(tmp_path / "o"), "--on-invalid", "exclude",
                                "--lang", "en"), "zero variance", "满意_总体")
    assert_clean_failure(invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path / "o"), "--on-invalid", "exclude", "--max-iter", "1"),
                         "did not converge in 1 iterations")


def test_usage_errors_exit_2():
    result = invoke("run", XLSX, "--model", SPEC, "--out", "x", "--scheme", "pathway")
    assert result.exit_code == 2


def test_listwise_excludes_respondents_with_missing_answers(tmp_path):
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path), "--on-invalid", "exclude", "--missing", "listwise", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    excluded = pd.read_csv(tmp_path / "excluded.csv", encoding="utf-8-sig")
    listwise = excluded["reason"].str.startswith("missing answer")
    assert listwise.sum() > 100
    assert pd.read_csv(tmp_path / "missing.csv", encoding="utf-8-sig")["n_replaced"].sum() == 0


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and csi.__version__ in result.output


def test_segments_waves_and_rerender(tmp_path):
    out = tmp_path / "seg"
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--on-invalid", "exclude", "--seed", "2",
                    "--bootstrap", "200", "--permutations", "200", "--segment", "region", "--segment", "channel")
    assert result.exit_code == 0, result.output
    assert "Customer satisfaction by segment" in result.output and "East" in result.output
    seg = pd.read_csv(out / "segment_index.csv", encoding="utf-8-sig", keep_default_na=False)
    sat = seg[seg["construct"] == "SAT"].set_index("segment")
    assert set(sat.index) >= {"(total)", "East", "North", "South", "West", "in-store", "online"}
    assert float(sat.loc["East", "index"]) < float(sat.loc["North", "index"]) - 5
    diffs = pd.read_csv(out / "segment_differences.csv", encoding="utf-8-sig", keep_default_na=False)
    assert {"segment_a", "segment_b", "difference", "p_value", "p_adjusted", "significant"} <= set(diffs.columns)
    assert set(diffs["correction"]) == {"holm"}
    omnibus = pd.read_csv(out / "segment_omnibus.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(dict.fromkeys(omnibus["segment_column"])) == ["region", "channel"] and len(omnibus) == 2 * 15
    micom = pd.read_csv(out / "micom.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(micom) == (6 + 1) * 6 and set(micom["invariance"]) <= {"full", "partial", "none"}
    # one readable line per column for the omnibus test, and the MICOM verdict
    assert "Segments of region (4 segments; omnibus permutation test): differ in " in result.output
    assert "Segments of channel (2 segments; omnibus permutation test)" in result.output
    assert "Holm correction (segment_differences.csv)" in result.output
    assert "MICOM region: every construct is compositionally invariant" in result.output
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["settings"]["correction"] == "holm"

    # re-render without re-estimating: same tables, fresh reports, in Chinese on request
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"}
    (out / "report.html").unlink()
    result = invoke("report", str(out), "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists() and "驱动" in (out / "report.html").read_text(encoding="utf-8")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"} == before


def test_correction_option_and_a_column_with_one_estimable_segment(tmp_path):
    out = tmp_path / "bh"
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--on-invalid", "exclude", "--seed", "4", "--bootstrap", "0",
                    "--permutations", "100", "--segment", "region", "--segment", "channel", "--min-n", "300", "--correction", "bh")
    assert result.exit_code == 0, result.output
    # no region reaches 300 respondents, one channel does: neither column is compared, and the run says why
    assert "Segments of 'region' not compared: column 'region' has 0 segment(s) that can be estimated" in " ".join(result.output.split())
    assert "Segments of 'channel' not compared: column 'channel' has 1 segment(s)" in " ".join(result.output.split())
    for name in ("segment_omnibus", "segment_differences", "micom"):
        assert pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig").empty
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--on-invalid", "exclude", "--seed", "4", "--bootstrap", "0",
                    "--permutations", "100", "--segment", "region", "--correction", "bh")
    assert result.exit_code == 0, result.output
    assert "Benjamini–Hochberg correction" in result.output
    assert set(pd.read_csv(out / "segment_differences.csv", encoding="utf-8-sig")["correction"]) == {"bh"}
    assert set(pd.read_csv(out / "micom.csv", encoding="utf-8-sig")["correction"]) == {"bh"}
    assert invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--correction", "bonferroni").exit_code == 2


def test_waves_from_a_column(tmp_path):
    data = pd.read_excel(XLSX, sheet_name="Responses")
    month = pd.to_datetime(data["interview_date"]).dt.month
    data["wave"] = month.map({7: "2026-Q1", 8: "2026-Q2", 9: "2026-Q10"})
    path = tmp_path / "waves.csv"
    data.to_csv(path, index=False)
    result = invoke("run", str(path), "--model", SPEC, "--out", str(tmp_path / "w"), "--on-invalid", "exclude",
                    "--seed", "3", "--bootstrap", "100", "--wave", "wave")
    assert result.exit_code == 0, result.output
    waves = pd.read_csv(tmp_path / "w" / "wave_index.csv", encoding="utf-8-sig")
    assert list(dict.fromkeys(waves["wave"])) == ["2026-Q1", "2026-Q2", "2026-Q10"]
    assert "2026-Q2 vs 2026-Q1" in result.output


def test_report_on_a_folder_that_is_not_a_run(tmp_path):
    assert_clean_failure(invoke("report", str(tmp_path)), "run.json")


def test_covariance_based_engine_and_engine_comparison(tmp_path):
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path / "cb"), "--on-invalid", "exclude", "--engine", "cbsem")
    assert result.exit_code == 0, result.output
    assert "Model fit: χ² =" in result.output and "CFI" in result.output and "RMSEA" in result.output
    params = pd.read_csv(tmp_path / "cb" / "parameters.csv", encoding="utf-8-sig")
    assert {"lhs", "op", "rhs", "estimate", "std_estimate", "std_err", "z_value", "p_value"} <= set(params.columns)
    assert list(pd.read_csv(tmp_path / "cb" / "paths.csv", encoding="utf-8-sig").columns) == ["source", "target", "estimate"]

    result = invoke("compare", XLSX, "--model", SPEC, "--out", str(tmp_path / "cmp"), "--on-invalid", "exclude")
    assert result.exit_code == 0, result.output
    paths = pd.read_csv(tmp_path / "cmp" / "compare_paths.csv", encoding="utf-8-sig")
    assert list(paths.columns) == ["source", "target", "pls", "cbsem", "difference"]
    assert paths[["source", "target"]].apply(tuple, axis=1).tolist()[:2] == [("EXP", "PQ"), ("EXP", "PV")]  # spec order
    assert (paths["pls"] * paths["cbsem"] > 0).all()  # the engines agree on every sign
    index = pd.read_csv(tmp_path / "cmp" / "compare_index.csv", encoding="utf-8-sig")
    assert (index["difference"].abs() < 3).all()
    assert (tmp_path / "cmp" / "compare.xlsx").exists()


def test_cbsem_with_segments_is_refused_clearly(tmp_path):
    assert_clean_failure(invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path), "--engine", "cbsem", "--segment", "region"),
                         "segment and wave analysis use the PLS engine")


def _example_frame() -> pd.DataFrame:
    return pd.read_excel(XLSX, sheet_name="Responses", engine="calamine").dropna(how="all")


def test_a_qualtrics_export_is_detected_and_rows_stay_true(tmp_path):
    frame = _example_frame()
    path = tmp_path / "qualtrics.csv"
    ids = list(frame.columns)
    texts = [f"Question text of {c}" for c in ids]
    imports = ['{"ImportId":"QID%d"}' % k for k in range(1, len(ids) + 1)]
    header = pd.DataFrame([ids, texts, imports], columns=ids)
    pd.concat([header, frame.astype(object)], ignore_index=True).to_csv(path, index=False, header=False)
    result = invoke("run", str(path), "--model", SPEC, "--out", str(tmp_path / "q"), "--on-invalid", "exclude",
                    "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    excluded = pd.read_csv(tmp_path / "q" / "excluded.csv", encoding="utf-8-sig", keep_default_na=False)
    # 3 header rows: respondent k is on row k + 3 (R00036 on row 39, where the plain sheet has 37)
    assert excluded.loc[excluded["respondent_id"] == "R00036", "row"].item() == 39
    run = json.loads((tmp_path / "q" / "run.json").read_text(encoding="utf-8"))
    assert run["n_used"] == 502


def test_raking_weights_from_the_spec_flow_into_the_index(tmp_path):
    spec = tmp_path / "weighted.yaml"
    spec.write_text(Path(SPEC).read_text(encoding="utf-8") + (
        "weights:\n  raking:\n    margins:\n      region: {East: 0.4, North: 0.2, South: 0.2, West: 0.2}\n"
    ), encoding="utf-8")
    result = invoke("run", XLSX, "--model", str(spec), "--out", str(tmp_path / "w"), "--on-invalid", "exclude",
                    "--bootstrap", "100", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Weighted: effective sample size" in result.output
    summary = pd.read_csv(tmp_path / "w" / "weight_summary.csv", encoding="utf-8-sig", keep_default_na=False)
    shares = summary[summary["statistic"] == "share"].set_index("category")
    assert float(shares.loc["East", "value"]) == pytest.approx(0.4, abs=1e-6)
    run = json.loads((tmp_path / "w" / "run.json").read_text(encoding="utf-8"))
    assert run["weights"]["method"] == "raking" and run["weights"]["n_effective"] < 502
    weighted = pd.read_csv(tmp_path / "w" / "index.csv", encoding="utf-8-sig").set_index("construct")
    # East (the least satisfied region) weighs more than its sample share: the SAT index drops
    unweighted = csi.PLS(csi.load_model(SPEC)).fit(csi.read_responses(XLSX, csi.load_model(SPEC), on_invalid="exclude"))
    assert weighted.loc["SAT", "index"] < unweighted.index.set_index("construct").loc["SAT", "index"] - 1
    assert "n_effective" in weighted.columns


def test_a_workbook_beyond_the_limits_is_refused_with_the_option_named(tmp_path):
    assert_clean_failure(invoke("validate", XLSX, "--model", SPEC, "--max-uncompressed-mb", "0.01"), "--max-uncompressed-mb")


def test_quality_rules_and_model_imputation(tmp_path):
    spec = tmp_path / "q.yaml"
    spec.write_text(Path(SPEC).read_text(encoding="utf-8") + (
        "quality:\n  duplicates: exclude\n  straightlining: {policy: flag, min_items: 3}\n  missing: {max_share: 0.3, policy: exclude}\n"
    ), encoding="utf-8")
    result = invoke("run", XLSX, "--model", str(spec), "--out", str(tmp_path / "o"), "--on-invalid", "flag",
                    "--missing", "model", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "by iterative imputation" in result.output and "data quality: invalid_value" in result.output
    flags = pd.read_csv(tmp_path / "o" / "flags.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(flags.columns) == ["row", "respondent_id", "flag", "detail", "action"]
    assert set(flags.loc[flags["flag"] == "invalid_value", "row"]) == {37, 305, 450}  # flagged and kept
    missing = pd.read_csv(tmp_path / "o" / "missing.csv", encoding="utf-8-sig")
    assert (missing["method"] == "model").all() and missing["n_replaced"].sum() > 200


def test_running_out_of_memory_is_one_message_and_writes_nothing(tmp_path, monkeypatch):
    """A MemoryError (the work is larger than the machine) is not reported as a bug: one message with
    what to reduce, exit 1, and the output folder is not created."""
    import csi_survey.analysis as analysis

    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 61.0 MiB for an array with shape (1600, 5000)")

    monkeypatch.setattr(analysis, "analyze", exhausted)
    out = tmp_path / "out"
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(out), "--on-invalid", "exclude", "--bootstrap", "0")
    assert_clean_failure(result, "ran out of memory", "--permutations", "nothing was written")
    assert "internal error" not in result.output and not out.exists()


def test_deprecation_notices_of_other_packages_do_not_reach_users(tmp_path, monkeypatch):
    """A DeprecationWarning/FutureWarning raised inside a dependency is for its programmers: the console
    does not show it; csi-survey's own warnings still show."""
    import warnings

    import csi_survey.analysis as analysis

    real = analysis.analyze

    def noisy(*args, **kwargs):
        warnings.warn_explicit("the default will change", FutureWarning, "/site-packages/pandas/core/frame.py", 1)
        warnings.warn_explicit("fork() may deadlock", DeprecationWarning, "/usr/lib/python3.12/multiprocessing/popen_fork.py", 1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "analyze", noisy)
    result = invoke("run", XLSX, "--model", SPEC, "--out", str(tmp_path / "o"), "--on-invalid", "exclude", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "the default will change" not in result.output and "fork()" not in result.output
