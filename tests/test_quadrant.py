"""The 四分图 (importance × satisfaction quadrants): csi_survey.quadrant, the run table, both reports.

Hand computation on the bundled retail example (examples/acsi_retail.*): the derived importance is
the total effect on SAT rescaled to 0–100 units, t · sd(SAT₁₀₀)/sd(driver₁₀₀) (computed here from
fit.effects and fit.scores_100, not through drivers.py), the satisfaction the driver's index, the
cuts the means (Martilla & James 1977; 四分图模型).
"""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.exceptions import SettingsError
from csi_survey.quadrant import QUADRANT_NAMES, QuadrantResult, classify, quadrant
from csi_survey.report.run_report import write_run

COLUMNS = ["target", "level", "driver", "item", "label", "importance", "satisfaction", "quadrant",
           "importance_cut", "satisfaction_cut", "importance_source"]


@pytest.fixture(scope="module")
def fit(model, data):
    return csi.PLS(model).fit(data)


def _by_hand(importance: np.ndarray, satisfaction: np.ndarray) -> list[str]:
    mi, ms = importance.mean(), satisfaction.mean()
    return [("advantage" if s >= ms else "improve") if i >= mi else ("maintain" if s >= ms else "opportunity")
            for i, s in zip(importance, satisfaction)]


def test_derived_construct_level_matches_a_hand_computation(fit, data):
    result = quadrant(fit, data)
    assert isinstance(result, QuadrantResult) and result.importance == "derived" and result.target == "SAT"
    table = result.table
    assert list(table.columns) == COLUMNS
    drivers = table["driver"].tolist()
    assert sorted(drivers) == ["EXP", "PQ", "PV"]  # every construct with a route to SAT
    sd = fit.scores_100.std(ddof=1)
    eff = fit.effects.set_index(["source", "target"])["total_effect"]
    importance = np.array([eff[(d, "SAT")] * sd["SAT"] / sd[d] for d in drivers])
    satisfaction = fit.index.set_index("construct")["index"].reindex(drivers).to_numpy()
    compared = 0
    for k, d in enumerate(drivers):
        row = table.iloc[k]
        assert row["importance"] == pytest.approx(importance[k], abs=1e-9)
        assert row["satisfaction"] == pytest.approx(satisfaction[k], abs=1e-9)
        compared += 1
    assert compared == 3
    assert table["importance_cut"].iloc[0] == pytest.approx(importance.mean(), abs=1e-12)
    assert table["satisfaction_cut"].iloc[0] == pytest.approx(satisfaction.mean(), abs=1e-12)
    assert table["quadrant"].tolist() == _by_hand(importance, satisfaction)
    assert set(table["quadrant"]) <= set(QUADRANT_NAMES)


def test_item_level_uses_the_item_means_on_0_100(fit, data, model):
    table = quadrant(fit, data, level="item").table
    assert (table["level"] == "item").all()
    items = table["item"].tolist()
    assert len(items) == sum(len(model.constructs[c].item_ids) for c in ("EXP", "PQ", "PV"))
    for k, item in enumerate(items):
        scale = model.item_scale(item)
        expected = (data.items[item].mean() - scale.min) / scale.width * 100
        assert table["satisfaction"].iloc[k] == pytest.approx(expected, abs=1e-9)
    assert table["quadrant"].tolist() == _by_hand(table["importance"].to_numpy(), table["satisfaction"].to_numpy())


def test_stated_importance_numbers_and_columns(fit, data):
    table = quadrant(fit, data, importance="stated", stated={"PQ": 4.6, "PV": 4.1, "EXP": 3.2}).table
    got = dict(zip(table["driver"], table["importance"]))
    assert got == {"PQ": 4.6, "PV": 4.1, "EXP": 3.2}
    assert table["importance_cut"].iloc[0] == pytest.approx((4.6 + 4.1 + 3.2) / 3)
    # a column of the data: its mean (nps_recommend 0–10 stands in for an importance rating)
    col = quadrant(fit, data, importance="stated", stated={"PQ": "nps_recommend", "PV": 5.0}).table
    assert len(col) == 2
    expected = pd.to_numeric(data.other["nps_recommend"], errors="coerce").mean()
    assert dict(zip(col["driver"], col["importance"]))["PQ"] == pytest.approx(expected, abs=1e-9)


def test_bad_arguments_raise_settings_errors(fit, data):
    with pytest.raises(SettingsError, match="stated importance needs"):
        quadrant(fit, data, importance="stated")
    with pytest.raises(SettingsError, match="not a driver"):
        quadrant(fit, data, importance="stated", stated={"LOY": 3.0})
    with pytest.raises(SettingsError):
        quadrant(fit, data, importance="guessed")
    with pytest.raises(SettingsError):
        quadrant(fit, data, level="both")


def test_classify_ties_and_missing():
    got = classify([1.0, 1.0, 0.0, 0.0, np.nan], [5.0, 4.0, 4.0, 5.0, 5.0], 1.0, 5.0)
    assert got.tolist() == ["advantage", "improve", "opportunity", "maintain", ""]


def test_summary_in_both_languages(fit, data):
    result = quadrant(fit, data)
    en, zh = str(result.summary()), str(result.summary("zh"))
    assert "Importance × satisfaction quadrants" in en and "Advantage" in en
    assert "重要性–满意度四分图" in zh and ("优势区" in zh or "修补区" in zh)


def test_run_reports_carry_the_quadrant_chart(data, tmp_path):
    analysis = analyze(data, AnalysisSettings(resamples=0, seed=1))
    table = analysis.tables["quadrant"]
    assert list(table.columns) == COLUMNS and len(table) == 3
    write_run(analysis, tmp_path / "run")
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg[^>]*class="chart quadrant-chart".*?</svg>', html, re.S)
    assert svg is not None
    assert svg.group(0).count('class="median"') == 2  # the two mean lines
    for name in ("Improve first", "Advantage", "Opportunity", "Maintain"):
        assert name in svg.group(0)
    with zipfile.ZipFile(tmp_path / "run" / "report.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode()
        assert 'name="Quadrant"' in workbook
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    titled = [c for c in charts if "Importance × satisfaction quadrants" in c]
    assert len(titled) == 1 and "<c:scatterChart>" in titled[0]
    assert titled[0].count("<c:ser>") == 3  # the drivers and the two mean lines


def test_chinese_html_labels(data, tmp_path):
    from csi_survey.report.bundle import load_bundle
    from csi_survey.report.html import render_html

    analysis = analyze(data, AnalysisSettings(resamples=0, seed=1))
    write_run(analysis, tmp_path / "run", html=False)
    bundle = load_bundle(tmp_path / "run")
    assert bundle.tables["quadrant"]["quadrant"].tolist() == analysis.tables["quadrant"]["quadrant"].tolist()
    html = render_html(bundle, lang="zh")
    for name in ("重要性–满意度四分图", "修补区", "优势区", "机会区", "维持区"):
        assert name in html


def test_the_spec_chooses_stated_importance_for_the_run(model, data, tmp_path):
    """``quadrant: {importance: stated, stated: …}`` in the spec: the run's 四分图 uses the stated
    importances (numbers or the mean of a column of the export), and the reports say so."""
    spec = model.model_copy(update={"quadrant": csi.schema.QuadrantSpec(
        importance="stated", stated={"PQ": "nps_recommend", "PV": 5.0, "EXP": 4.0})})
    stated = csi.read_responses("examples/acsi_retail.xlsx", spec, on_invalid="exclude")
    analysis = analyze(stated, AnalysisSettings(resamples=0, seed=1))
    table = analysis.tables["quadrant"]
    assert set(table["importance_source"]) == {"stated"}
    got = dict(zip(table["driver"], table["importance"]))
    expected = pd.to_numeric(stated.other["nps_recommend"], errors="coerce").mean()
    assert got["PQ"] == pytest.approx(expected, abs=1e-9) and got["PV"] == 5.0 and got["EXP"] == 4.0
    write_run(analysis, tmp_path / "run")
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "stated by the respondents" in html and "derived: total effect" not in html
    derived = analyze(data, AnalysisSettings(resamples=0, seed=1)).tables["quadrant"]
    assert set(derived["importance_source"]) == {"derived"}


@pytest.mark.parametrize("block, words", [
    ({"importance": "stated"}, "needs `stated:`"),
    ({"importance": "derived", "stated": {"PQ": 3}}, "importance: stated"),
    ({"importance": "guessed"}, "quadrant.importance"),
])
def test_a_bad_quadrant_block_is_a_spec_error(block, words):
    from csi_survey.exceptions import SpecError

    raw = {"constructs": {"PQ": {"items": ["a", "b"]}, "SAT": {"items": ["c", "d"]}}, "paths": [["PQ", "SAT"]],
           "index": "SAT", "quadrant": block}
    with pytest.raises(SpecError) as caught:
        csi.Questionnaire.from_dict(raw)
    assert words in str(caught.value)


def test_a_missing_stated_importance_column_is_named_before_estimation(model):
    from csi_survey.exceptions import InputFileError

    spec = model.model_copy(update={"quadrant": csi.schema.QuadrantSpec(importance="stated", stated={"PQ": "imp_quality"})})
    with pytest.raises(InputFileError, match=r"'imp_quality' \(quadrant.stated, the stated importance of PQ\) not found"):
        csi.read_responses("examples/acsi_retail.xlsx", spec, on_invalid="exclude")


def test_stated_importance_of_an_unknown_construct_is_a_spec_error():
    from csi_survey.exceptions import SpecError

    raw = {"constructs": {"PQ": {"items": ["a", "b"]}, "SAT": {"items": ["c", "d"]}}, "paths": [["PQ", "SAT"]],
           "index": "SAT", "quadrant": {"importance": "stated", "stated": {"QP": "imp_q"}}}
    with pytest.raises(SpecError, match="'QP' is not a construct of the model"):
        csi.Questionnaire.from_dict(raw)
