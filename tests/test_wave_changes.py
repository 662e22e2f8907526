"""Changes between waves in a run: tested for the total and for every segment, Holm across segments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.multiplicity import adjust_p_values

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def run():
    spec = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", spec, on_invalid="exclude")
    settings = AnalysisSettings(resamples=100, seed=7, segments=("region",), wave="channel", min_n=30, permutations=0)
    return analyze(data, settings)


def test_the_total_change_has_its_test_from_the_bootstrap_draws(run):
    ch = run.tables["wave_changes"]
    assert {"std_err", "p_value", "p_adjusted", "significant"} <= set(ch.columns)
    sat = ch[ch["construct"] == "SAT"].iloc[0]
    assert sat["p_value"] == pytest.approx(2 * stats.norm.sf(abs(sat["change"]) / sat["std_err"]), rel=1e-9)
    assert sat["p_adjusted"] == sat["p_value"] and bool(sat["significant"]) == (sat["p_value"] < 0.05)


def test_every_segment_gets_its_change_adjusted_across_the_segments_of_the_wave(run):
    seg = run.tables["segment_wave_changes"]
    sat = seg[seg["construct"] == "SAT"]
    regions = sat[sat["segment"] != "(total)"]
    assert set(regions["segment"]) == {"region=East", "region=North", "region=South", "region=West"}
    assert regions["p_adjusted"].to_numpy() == pytest.approx(adjust_p_values(regions["p_value"].to_numpy(), "holm"), rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert np.allclose(regions["ci_upper"] - regions["change"], z * regions["std_err"], rtol=1e-9)
    # one number, one interval: the total row repeats the wave analysis's own change statistics
    total = sat[sat["segment"] == "(total)"].iloc[0]
    own = run.tables["wave_changes"].set_index("construct").loc["SAT"]
    assert (total["ci_lower"], total["ci_upper"], total["p_value"]) == pytest.approx(
        (own["ci_lower"], own["ci_upper"], own["p_value"]), rel=1e-12)


def test_an_unknown_correction_is_refused():
    with pytest.raises(csi.SettingsError, match="correction must be one of"):
        AnalysisSettings(correction="bonferroni")


def test_the_html_report_lists_the_changes_with_arrows_only_where_significant(run):
    from csi_survey.report.bundle import bundle_from_tables
    from csi_survey.report.html import render_html

    html = render_html(bundle_from_tables(run.meta, run.tables, run.data.questionnaire))
    assert "Changes since the previous wave" in html
    seg = run.tables["segment_wave_changes"]
    sat = seg[seg["construct"] == "SAT"]
    assert html.count(" ▲<") + html.count(" ▼<") == int(sat["significant"].sum())
    for r in sat.to_dict("records"):
        assert f"{r['change']:+.1f}" in html
