"""Paired wave changes (csi_survey.panel): the paired bootstrap of a panel answering in two waves."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.exceptions import DataValidationError, SettingsError
from csi_survey.panel import paired_change, paired_counts, paired_wave_changes
from csi_survey.segments import subset, wave_analysis

from .conftest import EXAMPLES

ITEMS_RANGE = (1, 10)


def _panel_frame(share: float = 0.8, seed: int = 3) -> pd.DataFrame:
    """The retail example as wave 2026-Q1; wave 2026-Q2 re-interviews ``share`` of its respondents
    (same id, answers moved by ±1 on a fifth of the items) and adds new respondents (other ids,
    answers of a shuffled copy), so the two waves' indices are strongly correlated."""
    raw = pd.read_excel(EXAMPLES / "acsi_retail.xlsx", engine="openpyxl")
    rng = np.random.default_rng(seed)
    items = [c for c in raw.columns if c.startswith(("exp_", "pq_", "pv_", "sat_", "loy_"))]
    q1 = raw.assign(quarter="2026-Q1")
    keep = rng.random(len(raw)) < share
    again = raw[keep].copy()
    for c in items:
        x = pd.to_numeric(again[c], errors="coerce")
        valid = x.between(*ITEMS_RANGE)
        moved = (x + rng.choice([-1, 1], len(x)) * (rng.random(len(x)) < 0.2)).clip(*ITEMS_RANGE)
        again[c] = np.where(valid, moved, x)
    new = raw[~keep].sample(frac=1.0, random_state=seed).copy()
    new["respondent_id"] = [f"N{k:05d}" for k in range(len(new))]
    q2 = pd.concat([again, new], ignore_index=True).assign(quarter="2026-Q2")
    return pd.concat([q1, q2], ignore_index=True)


@pytest.fixture(scope="module")
def panel(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("panel") / "panel.csv"
    _panel_frame().to_csv(path, index=False)
    return csi.read_responses(path, model, on_invalid="exclude")


@pytest.fixture(scope="module")
def panel_waves(engine, panel):
    return wave_analysis(engine, panel, "quarter", resamples=300, seed=4)


@pytest.fixture(scope="module")
def paired(engine, panel, panel_waves):
    return paired_wave_changes(engine, panel, "quarter", panel_waves, resamples=300, seed=4)


def _waves(panel):
    labels = panel.other["quarter"].astype(str).to_numpy()
    return subset(panel, labels == "2026-Q1"), subset(panel, labels == "2026-Q2")


def test_paired_change_keeps_the_point_estimate_and_narrows_the_interval(panel_waves, paired):
    independent = panel_waves.changes.set_index("construct")
    table = paired.set_index("construct")
    assert (table["pairing"] == "paired").all()
    assert (table["n_matched"] > 300).all()
    # the same full-sample indices: the same change
    np.testing.assert_allclose(table["change"], independent["change"], rtol=0, atol=1e-9)
    # 80 % of the respondents answer again, with nearly the same answers: the paired standard error
    # of the change is far below the independent one for every construct
    ratio = table["std_err"] / independent["std_err"]
    assert (ratio < 0.75).all(), ratio
    assert (table["ci_lower"] <= table["change"]).all() and (table["change"] <= table["ci_upper"]).all()
    assert (table["p_adjusted"] == table["p_value"]).all()
    assert list(paired.columns[-2:]) == ["pairing", "n_matched"]


def test_each_replicate_is_the_model_refitted_on_the_resampled_panel(engine, panel):
    """The batched replicate changes equal plain refits on the materialized resamples."""
    before, after = _waves(panel)
    res = paired_change(engine, before, after, resamples=3, seed=21)
    Kb, Ka, n_matched = paired_counts(np.random.default_rng(21), before.respondent_id.to_numpy(),
                                      after.respondent_id.to_numpy(), 3)
    assert n_matched == res.n_matched and res.replicates == 3
    ids_b, ids_a = before.respondent_id.to_numpy(), after.respondent_id.to_numpy()
    common = set(ids_b) & set(ids_a)
    for b in range(3):
        # a matched id counts as often in both waves; every wave keeps its size
        count_b = dict(zip(ids_b, Kb[b]))
        count_a = dict(zip(ids_a, Ka[b]))
        assert all(count_b[i] == count_a[i] for i in common)
        assert Kb[b].sum() == len(ids_b) and Ka[b].sum() == len(ids_a)
        fits = []
        for data, K in ((before, Kb[b]), (after, Ka[b])):
            rows = np.repeat(np.arange(data.n_used), K.astype(int))
            fits.append(engine.fit(data.items.iloc[rows].reset_index(drop=True)).index.set_index("construct")["index"])
        expected = (fits[1] - fits[0]).reindex(engine.model.construct_ids).to_numpy()
        np.testing.assert_allclose(res.draws[b], expected, rtol=0, atol=1e-8)


def test_same_seed_same_numbers_and_waves_without_common_ids_stay_independent(engine, panel, panel_waves, paired):
    again = paired_wave_changes(engine, panel, "quarter", panel_waves, resamples=300, seed=4)
    pd.testing.assert_frame_equal(paired, again)
    # no respondent of 2026-Q2 answered in 2026-Q1: the independent rows are kept
    renamed = dataclasses.replace(panel, respondent_id=panel.respondent_id.where(
        panel.other["quarter"].astype(str).eq("2026-Q1"), "Z" + panel.respondent_id.astype(str)))
    out = paired_wave_changes(engine, renamed, "quarter", panel_waves, resamples=50, seed=4)
    assert (out["pairing"] == "independent").all() and (out["n_matched"] == 0).all()
    pd.testing.assert_frame_equal(out.drop(columns=["pairing", "n_matched"]), panel_waves.changes)


def test_an_id_twice_in_a_wave_is_one_error_listing_every_row(engine, panel):
    before, after = _waves(panel)
    ids = after.respondent_id.copy()
    ids.iloc[[1, 2, 5]] = ids.iloc[0]
    twice = dataclasses.replace(after, respondent_id=ids)
    with pytest.raises(DataValidationError) as info:
        paired_change(engine, before, twice, resamples=10, seed=1, labels=("2026-Q1", "2026-Q2"))
    table = info.value.failure_cases
    assert len(table) == 4 and set(table["column"]) == {"respondent_id"}
    assert table["problem"].str.contains("occurs 4 times in wave 2026-Q2").all()
    assert sorted(table["row"]) == sorted(int(r) for r in np.asarray(after.row)[[0, 1, 2, 5]])
    assert "1 id(s) occur more than once" in str(info.value)


def test_pairing_needs_an_id_column_and_no_cluster_design(engine, panel):
    before, after = _waves(panel)
    no_id = dataclasses.replace(before, questionnaire=before.questionnaire.model_copy(update={"id_column": None}))
    with pytest.raises(SettingsError, match="declares no id_column"):
        paired_change(engine, no_id, after, resamples=10, seed=1)
    design = csi.schema.DesignSpec(cluster="store")
    clustered = dataclasses.replace(before, questionnaire=before.questionnaire.model_copy(update={"design": design}))
    with pytest.raises(SettingsError, match="cluster design"):
        paired_change(engine, clustered, after, resamples=10, seed=1)


# ---------------------------------------------------------------------- in a run, on the command line and in a batch
@pytest.fixture(scope="module")
def paired_run(panel):
    from csi_survey.analysis import AnalysisSettings, analyze

    settings = AnalysisSettings(resamples=200, seed=7, segments=("region",), wave="quarter", min_n=30, permutations=0, paired=True)
    return analyze(panel, settings)


def test_a_paired_run_tests_the_total_and_every_segment_paired_then_adjusts(paired_run):
    from csi_survey.multiplicity import adjust_p_values

    total = paired_run.tables["wave_changes"]
    assert (total["pairing"] == "paired").all() and (total["n_matched"] > 300).all()
    seg = paired_run.tables["segment_wave_changes"]
    assert (seg["pairing"] == "paired").all()
    sat = seg[seg["construct"] == "SAT"]
    regions = sat[sat["segment"] != "(total)"]
    assert len(regions) == 4
    assert regions["p_adjusted"].to_numpy() == pytest.approx(adjust_p_values(regions["p_value"].to_numpy(), "holm"), rel=1e-12)
    # the total row repeats the run's own paired change statistics
    row = sat[sat["segment"] == "(total)"].iloc[0]
    own = total.set_index("construct").loc["SAT"]
    assert (row["std_err"], row["p_value"]) == pytest.approx((own["std_err"], own["p_value"]), rel=1e-12)
    assert paired_run.meta["paired"] is True


def test_the_html_report_says_which_changes_are_paired(paired_run):
    from csi_survey.report.bundle import bundle_from_tables
    from csi_survey.report.html import render_html

    html = render_html(bundle_from_tables(paired_run.meta, paired_run.tables, paired_run.data.questionnaire))
    assert "paired (same respondents)" in html


def test_paired_needs_a_wave_column():
    from csi_survey.analysis import AnalysisSettings

    with pytest.raises(SettingsError, match="paired wave changes need the wave column"):
        AnalysisSettings(paired=True)


def test_the_cli_runs_paired_and_refuses_it_without_an_id_column(tmp_path):
    from typer.testing import CliRunner

    from csi_survey.cli import app

    panel_csv = tmp_path / "panel.csv"
    _panel_frame().to_csv(panel_csv, index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(panel_csv), "--model", str(EXAMPLES / "acsi_retail.yaml"), "--out", str(tmp_path / "out"),
                              "--wave", "quarter", "--paired", "--bootstrap", "200", "--seed", "3", "--on-invalid", "exclude"])
    assert res.exit_code == 0, res.output
    printed = " ".join(res.output.split())
    assert "2026-Q2 vs 2026-Q1" in printed and "respondents in both waves)" in printed and "(paired: " in printed
    written = pd.read_csv(tmp_path / "out" / "wave_changes.csv")
    assert (written["pairing"] == "paired").all()
    spec = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8").replace("id_column: respondent_id", "")
    (tmp_path / "no_id.yaml").write_text(spec, encoding="utf-8")
    res = runner.invoke(app, ["run", str(panel_csv), "--model", str(tmp_path / "no_id.yaml"), "--out", str(tmp_path / "out2"),
                              "--wave", "quarter", "--paired", "--on-invalid", "exclude"])
    assert res.exit_code != 0 and "declares no id_column" in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not (tmp_path / "out2").exists()


def _panel_batch(tmp_path, paired: bool):
    frame = _panel_frame()
    folder = tmp_path / ("paired" if paired else "independent")
    (folder / "data").mkdir(parents=True)
    for quarter, part in frame.groupby("quarter"):
        part.drop(columns="quarter").to_csv(folder / "data" / f"{quarter}.csv", index=False)
    (folder / "model.yaml").write_text((EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "config.yaml").write_text(
        "model: model.yaml\nwaves: {2026-Q1: data/2026-Q1.csv, 2026-Q2: data/2026-Q2.csv}\nsegments: [region]\n"
        f"min_n: 30\nbootstrap: {{resamples: 200, seed: 2}}\non_invalid: exclude\nout: out\npaired: {str(paired).lower()}\n",
        encoding="utf-8")
    from csi_survey.batch import run_batch

    return run_batch(folder / "config.yaml", workers=1)


def test_a_paired_batch_replaces_the_independent_tests_of_matched_segments(tmp_path):
    paired = _panel_batch(tmp_path, True)
    independent = _panel_batch(tmp_path, False)
    keys = ["wave", "segment", "construct"]
    a = paired.history.dropna(subset=["change"]).set_index(keys)
    b = independent.history.dropna(subset=["change"]).set_index(keys).loc[a.index]
    assert len(a) == 5 * 6  # the total and four regions, six constructs
    assert (a["change_pairing"] == "paired").all() and (b["change_pairing"] == "independent").all()
    np.testing.assert_allclose(a["change"], b["change"], rtol=0, atol=1e-9)
    width_a = a["change_ci_upper"] - a["change_ci_lower"]
    width_b = b["change_ci_upper"] - b["change_ci_lower"]
    assert (width_a < 0.8 * width_b).all()
    assert paired.manifest["paired_changes"] == {"pairs": 5, "paired": 5, "problems": []}
    written = pd.read_csv(paired.out / "index_history.csv", encoding="utf-8-sig")
    assert "change_pairing" in written.columns
    assert "(paired: the same respondents in both waves)" in (paired.out / "overview.html").read_text(encoding="utf-8")


def test_a_paired_batch_needs_an_id_column(tmp_path):
    from csi_survey.batch import BatchConfigError, run_batch

    folder = tmp_path / "b"
    (folder / "data").mkdir(parents=True)
    _panel_frame().drop(columns="quarter").to_csv(folder / "data" / "w.csv", index=False)
    spec = (EXAMPLES / "acsi_retail.yaml").read_text(encoding="utf-8").replace("id_column: respondent_id", "")
    (folder / "model.yaml").write_text(spec, encoding="utf-8")
    (folder / "config.yaml").write_text("model: model.yaml\nwaves: {w1: data/w.csv}\npaired: true\n", encoding="utf-8")
    with pytest.raises(BatchConfigError, match="declares no id_column"):
        run_batch(folder / "config.yaml", workers=1)
    assert not (folder / "out").exists()
