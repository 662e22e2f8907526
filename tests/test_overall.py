"""An overall index from several construct indices with given weights, its interval from the same replicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.exceptions import DataValidationError, SettingsError
from csi_survey.overall import OVERALL_COLUMNS, overall_index, read_overall_weights

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def boot():
    spec = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", spec, on_invalid="exclude")
    fit = csi.PLS(spec).fit(data)
    return csi.bootstrap(fit, data, resamples=200, seed=3)


def test_the_overall_index_is_the_weighted_mean_with_an_interval_from_the_same_replicates(boot):
    overall, used = overall_index(boot, {"SAT": 2, "Perceived quality": 1, "pv": 1})
    assert list(overall.columns) == OVERALL_COLUMNS
    idx = boot.index.set_index("construct")["index"]
    expected = 0.5 * idx["SAT"] + 0.25 * idx["PQ"] + 0.25 * idx["PV"]
    assert overall.at[0, "index"] == pytest.approx(expected, abs=1e-10)
    assert used["construct"].tolist() == ["SAT", "PQ", "PV"] and used["share"].sum() == pytest.approx(1.0)
    est = boot.bootstrap.estimates
    col = {s: k for k, (st, s) in enumerate(zip(est["statistic"], est["source"])) if st == "index"}
    draws = boot.bootstrap.draws[:, [col["SAT"], col["PQ"], col["PV"]]] @ np.array([0.5, 0.25, 0.25])
    assert overall.at[0, "std_err"] == pytest.approx(np.std(draws, ddof=1), rel=1e-10)
    assert (overall.at[0, "ci_lower"], overall.at[0, "ci_upper"]) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])), rel=1e-10)
    # the constructs are positively correlated: the overall interval is wider than under independence
    ses = boot.index.set_index("construct")["std_err"]
    independent = np.sqrt(0.25 * ses["SAT"] ** 2 + 0.0625 * ses["PQ"] ** 2 + 0.0625 * ses["PV"] ** 2)
    assert overall.at[0, "std_err"] > independent


def test_ahp_weights_files_are_read_and_bad_rows_listed(tmp_path, boot):
    good = tmp_path / "weights.csv"
    good.write_text("criterion,weight\nSAT,0.6\nPQ,0.3\nPV,0.1\n", encoding="utf-8")
    assert read_overall_weights(good) == {"SAT": 0.6, "PQ": 0.3, "PV": 0.1}
    bad = tmp_path / "bad.csv"
    bad.write_text("construct,weight\nSAT,-1\nPQ,\nSAT,2\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        read_overall_weights(bad)
    rows = set(zip(caught.value.failure_cases["row"], caught.value.failure_cases["column"]))
    assert {(2, "weight"), (3, "weight"), (4, "construct")} <= rows
    with pytest.raises(SettingsError, match="name no construct: 'Value for money'"):
        overall_index(boot, {"Value for money": 1})


def test_the_command_line_reports_the_overall_index_or_one_readable_error(tmp_path):
    from typer.testing import CliRunner

    from csi_survey.cli import app

    weights = tmp_path / "w.csv"
    weights.write_text("criterion,weight\nSAT,0.6\nPQ,0.3\nPV,0.1\n", encoding="utf-8")
    args = ["run", str(EXAMPLES / "acsi_retail.xlsx"), "--model", str(EXAMPLES / "acsi_retail.yaml"), "--on-invalid", "exclude",
            "--bootstrap", "50", "--seed", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--overall-weights", str(weights)])
    assert result.exit_code == 0, result.output
    assert "Overall index (SAT 60%, PQ 30%, PV 10%)" in result.output
    assert (tmp_path / "out" / "overall_index.csv").is_file() and (tmp_path / "out" / "overall_weights.csv").is_file()
    # report.html shows it in the index section, with the interval and the shares
    overall = pd.read_csv(tmp_path / "out" / "overall_index.csv").iloc[0]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Overall index" in html and f"{overall['index']:.1f}" in html and "60.0 %" in html
    assert f"{overall['ci_lower']:.1f}" in html and f"{overall['ci_upper']:.1f}" in html
    weights.write_text("criterion,weight\nquality,0.6\n", encoding="utf-8")
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bad"), "--overall-weights", str(weights)])
    assert bad.exit_code == 1 and "name no construct: 'quality'" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "bad").exists()
