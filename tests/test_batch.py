"""The quarterly batch (``csi_survey.batch``, ``csi-survey batch``): statuses, values, resuming,
identical results on every backend, the history store, the overview and the bundled example."""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey.batch import (
    HISTORY_COLUMNS,
    BatchConfigError,
    folder_name,
    folder_names,
    load_config,
    run_batch,
    unit_seed,
)
from csi_survey.cli import app
from csi_survey.exceptions import DataValidationError
from csi_survey.segments import subset
from csi_survey.batch.store import HistoryStore

from .conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
from make_examples import ITEMS, simulate  # noqa: E402

EXAMPLE = EXAMPLES / "batch"
runner = CliRunner()
N = {"Acme": 90, "Kite/Line": 70, "星河通信": 60, "Tiny": 12, "Flat": 60}  # respondents per company and wave


# ---------------------------------------------------------------------------------------------- data
def _wave(seed: int, shift: float) -> pd.DataFrame:
    """One wave: five companies (one too small, one whose segment cannot be estimated), two regions."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, (company, n) in enumerate(N.items()):
        s = shift + 0.3 * k - 0.6
        answers = simulate(rng, n, np.full(n, s), np.full(n, 0.6 * s), np.full(n, 0.3 * s))
        frame = pd.DataFrame({key: answers[key] for key in ITEMS})
        frame["nps_recommend"] = answers["nps"]
        if company == "Flat":
            frame["exp_overall"] = 7  # no variance within the segment: it fails, the batch goes on
        frame.insert(0, "region", rng.choice(["North", "South"], size=n))
        frame.insert(0, "company", company)
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)
    data.insert(0, "respondent_id", [f"R{seed}-{i:04d}" for i in range(len(data))])
    return data


def _config(folder: Path, name: str = "config.yaml", **extra: str) -> Path:
    text = {
        "model": "model.yaml",
        "waves": "\n  w1: data/w1.csv\n  w2: data/w2.csv",
        "segments": "[company, region]",
        "min_n": "30",
        "bootstrap": "{resamples: 20, seed: 7}",
        "out": "out",
        "store": "sqlite:///out/history.db",
        **extra,
    }
    path = folder / name
    path.write_text("".join(f"{k}: {v}\n" for k, v in text.items()), encoding="utf-8")
    return path


def _make_small(folder: Path) -> Path:
    (folder / "data").mkdir()
    shutil.copy(EXAMPLE / "model.yaml", folder / "model.yaml")
    _wave(1, 0.0).to_csv(folder / "data" / "w1.csv", index=False)
    _wave(2, 0.2).to_csv(folder / "data" / "w2.csv", index=False)
    return _config(folder)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A small batch: 2 waves × (total + 5 companies + 2 regions) = 16 tasks; resamples 20."""
    return _make_small(tmp_path)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small batch run once, serially: (config path, result, every output file)."""
    config = _make_small(tmp_path_factory.mktemp("reference"))
    result = run_batch(config, workers=1)
    return config, result, _files(config.parent / "out")


def _copy_outputs(reference, small: Path) -> None:
    """The reference run's outputs (and records) in ``small``'s folder, as if it had run there."""
    shutil.copytree(reference[0].parent / "out", small.parent / "out")


def _files(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path → bytes), without the ones that legitimately differ between runs."""
    skip = {"manifest.json", "overview.html", "overview.xlsx", "history.db", ".lock"}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in skip and ".cache" not in p.parts
            and p.relative_to(folder).as_posix() != ".csi-survey-manifest.json"}  # lists manifest.json's hash (run times)


def _seg(result, wave: str, segment: str) -> pd.Series:
    rows = result.segments[(result.segments["wave"] == wave) & (result.segments["segment"] == segment)]
    assert len(rows) == 1, (wave, segment)
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------- a batch
def test_small_batch_statuses_values_folders_and_store(reference):
    small, result, _ = reference
    out = small.parent / "out"
    assert (result.total, result.estimated, result.failed, result.skipped) == (16, 12, 2, 2)
    assert (result.computed, result.reused) == (14, 0)
    assert not result.ok and result.wave_errors == {} and result.store_error is None

    # statuses, with the reason
    tiny = _seg(result, "w1", "company=Tiny")
    assert tiny["status"] == "insufficient sample (n = 12 < 30)" and tiny["n"] == 12
    flat = _seg(result, "w2", "company=Flat")
    assert flat["status"].startswith("failed: item(s) with zero variance: exp_overall"), flat["status"]
    assert set(result.failures["segment"]) == {"company=Flat"}

    # the combined table: every construct of every wave × segment
    history = pd.read_csv(out / "index_history.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(history.columns) == HISTORY_COLUMNS
    assert len(history) == 16 * 6
    assert history["wave"].drop_duplicates().tolist() == ["w1", "w2"]
    assert history.loc[history["wave"] == "w1", "segment"].drop_duplicates().tolist() == [  # total, then natural order
        "(total)", "company=Acme", "company=Flat", "company=Kite/Line", "company=Tiny", "company=星河通信",
        "region=North", "region=South"]
    assert history.loc[history["segment"] == "(total)", "construct"].tolist()[:6] == ["EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    not_estimated = history[history["status"] != "estimated"]
    assert not_estimated["index"].isna().all() and len(not_estimated) == 4 * 6
    est = history[history["status"] == "estimated"]
    assert est["index"].between(0, 100).all() and (est["ci_lower"] < est["index"]).all() and (est["index"] < est["ci_upper"]).all()
    total = history[(history["wave"] == "w1") & (history["segment"] == "(total)")]
    assert (total["n"] == sum(N.values())).all()

    # a segment's numbers are those of `analyze` on the segment's respondents with the derived seed
    data = csi.read_responses(small.parent / "data" / "w2.csv", csi.load_model(small.parent / "model.yaml"))
    acme = subset(data, (data.other["company"] == "Acme").to_numpy())
    seed = unit_seed(7, "w2", "company", "Acme")
    expected = csi.analyze(acme, csi.AnalysisSettings(resamples=20, seed=seed, permutations=0, n_jobs=1)).tables["index"]
    got = history[(history["wave"] == "w2") & (history["segment"] == "company=Acme")]
    np.testing.assert_allclose(got["index"], expected["index"], rtol=1e-12)
    np.testing.assert_allclose(got["ci_lower"], expected["ci_lower"], rtol=1e-12)
    assert got["n"].tolist() == [90] * 6

    # per wave × segment: the tables of `run` in a safely named folder (no reports unless asked)
    folder = out / "w2" / "company=Acme"
    names = {p.name for p in folder.iterdir()}
    assert {"index.csv", "paths.csv", "impacts.csv", "scores.csv", "bootstrap.csv", "run.json", "model.yaml"} <= names
    assert not names & {"report.xlsx", "report.html"}
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert meta["batch"] == {"wave": "w2", "segment_column": "company", "segment": "Acme", "task": _seg(result, "w2", "company=Acme")["task"]}
    assert meta["n_used"] == 90 and meta["settings"]["seed"] == seed
    assert (out / "w1" / "company=Kite%2FLine").is_dir() and (out / "w1" / "company=星河通信").is_dir()
    assert (out / "w1" / "(total)" / "index.csv").is_file()
    assert not (out / "w1" / "company=Tiny").exists() and not (out / "w1" / "company=Flat").exists()
    assert _seg(result, "w1", "company=Kite/Line")["folder"] == "w1/company=Kite%2FLine"

    # the history store holds exactly the combined table
    with HistoryStore(result.store_url) as store:
        assert store.waves() == ["w1", "w2"]
        stored = store.read()
    assert len(stored) == len(history)
    merged = stored.merge(result.history, on=["wave", "segment", "construct"], suffixes=("", "_csv"))
    assert len(merged) == len(history)
    np.testing.assert_allclose(merged["index"], merged["index_csv"], equal_nan=True)
    assert (merged["status"] == merged["status_csv"]).all()

    # the manifest: versions, settings, seeds, input and task hashes
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["versions"]["csi-survey"] == csi.__version__ and manifest["versions"]["numpy"] == np.__version__
    assert manifest["settings"]["resamples"] == 20 and manifest["seed"] == 7
    w1 = manifest["waves"]["w1"]["files"][0]
    assert w1["sha256"] == hashlib.sha256((small.parent / "data" / "w1.csv").read_bytes()).hexdigest()
    assert len(manifest["tasks"]) == 16 and {t["task"] for t in manifest["tasks"]} == set(result.segments["task"])
    assert manifest["counts"]["failed"] == 2 and manifest["counts"]["skipped"] == 2

    # the overview: ranking by the index construct per wave and segment column, and the trends
    wb = openpyxl.load_workbook(out / "overview.xlsx", read_only=True)
    assert wb.sheetnames == ["Summary", "Ranking", "Trend", "Index history", "Not estimated"]
    ranking = pd.read_excel(out / "overview.xlsx", sheet_name="Ranking", header=2, engine="openpyxl")
    w1_companies = ranking[(ranking["wave"] == "w1") & (ranking["segment_column"] == "company")]
    sat = history[(history["wave"] == "w1") & (history["construct"] == "SAT") & history["segment"].str.startswith("company=")]
    assert w1_companies["segment"].iloc[0] == sat.loc[sat["index"].idxmax(), "segment"]
    assert w1_companies["rank"].iloc[0] == 1
    trend = pd.read_excel(out / "overview.xlsx", sheet_name="Trend", header=2, engine="openpyxl")
    acme_trend = trend[trend["segment"] == "company=Acme"].iloc[0]
    sat_acme = history[(history["segment"] == "company=Acme") & (history["construct"] == "SAT")].set_index("wave")["index"]
    assert acme_trend["change_last"] == pytest.approx(sat_acme["w2"] - sat_acme["w1"])
    html = (out / "overview.html").read_text(encoding="utf-8")
    assert "Ranking w1" in html and "Kite/Line" in html and "insufficient sample (n = 12 &lt; 30)" in html
    assert "<script" not in html


def test_results_are_identical_on_every_backend(reference, tmp_path):
    """Serial, 2 local processes and an in-process Dask cluster give byte-identical outputs."""
    distributed = pytest.importorskip("distributed")
    small, serial, files = reference
    assert serial.backend == "serial"
    assert "index_history.csv" in files and "w2/company=Acme/bootstrap.csv" in files
    runs = {}
    cfg = load_config(small, overrides={"out": str(tmp_path / "processes"), "store": f"sqlite:///{tmp_path}/p.db"})
    runs["processes"] = run_batch(cfg, workers=2)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        cfg = load_config(small, overrides={"out": str(tmp_path / "dask"), "store": f"sqlite:///{tmp_path}/d.db"})
        runs["dask"] = run_batch(cfg, scheduler=client)
    assert runs["processes"].backend == "processes (2)" and runs["dask"].backend.startswith("dask")
    for name, result in runs.items():
        other = _files(tmp_path / name)
        assert other.keys() == files.keys()
        assert [k for k in files if files[k] != other[k]] == [], name
        pd.testing.assert_frame_equal(result.history, serial.history)


def test_a_segment_does_not_depend_on_the_rest_of_the_batch(reference, tmp_path):
    small, result, _ = reference
    full = result.history
    cfg = load_config(small, overrides={"segments": ["company"], "out": str(tmp_path / "only"), "store": f"sqlite:///{tmp_path}/o.db"})
    part = run_batch(cfg, workers=1).history
    keys = ["wave", "segment", "construct"]
    merged = part.merge(full, on=keys, suffixes=("", "_full"))
    assert len(merged) == len(part) == 2 * 6 * 6
    np.testing.assert_array_equal(merged["index"].to_numpy(), merged["index_full"].to_numpy())
    np.testing.assert_array_equal(merged["ci_upper"].to_numpy(), merged["ci_upper_full"].to_numpy())


# ---------------------------------------------------------------------------------------------- resuming
class _Killed(Exception):
    pass


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_batch_resumes_without_recomputing_and_gives_the_same_outputs(small, reference, workers):
    base = small.parent
    expected = reference[2]

    def kill_after_five(p):
        if p.done - p.skipped >= 5:
            raise _Killed

    with pytest.raises(_Killed):
        run_batch(small, workers=workers, progress=kill_after_five)
    out = base / "out"
    finished = len(list((out / ".cache").glob("*.json")))
    assert 5 <= finished < 14
    assert not (out / "index_history.csv").exists()  # the combined outputs are written at the end only

    seen = []
    resumed = run_batch(small, workers=workers, progress=seen.append)
    assert (resumed.computed, resumed.reused) == (14 - finished, finished)
    assert seen[0].done == 2 + finished and seen[0].reused == finished  # the bar starts where the killed run stopped
    assert seen[-1].done == 16 and (seen[-1].estimated, seen[-1].failed, seen[-1].skipped) == (12, 2, 2)
    assert _files(out) == expected
    assert not list(out.rglob(".csi-survey-tmp-*"))  # what a killed worker left half-written is gone

    again = run_batch(small, workers=1)
    assert (again.computed, again.reused) == (0, 14)
    assert _files(out) == expected


def test_deleted_or_damaged_outputs_are_rebuilt_and_nothing_else(small, reference):
    out = small.parent / "out"
    _copy_outputs(reference, small)
    before = reference[2]
    shutil.rmtree(out / "w1" / "company=Acme")
    (out / "w2" / "region=North" / "scores.csv").write_text("truncated", encoding="utf-8")
    (out / "index_history.csv").unlink()
    (out / "overview.html").unlink()
    result = run_batch(small, workers=1)
    assert (result.computed, result.reused) == (2, 12)
    assert _files(out) == before
    assert (out / "overview.html").is_file()


def test_changed_data_recomputes_only_the_segments_it_touches(small, reference):
    _copy_outputs(reference, small)
    first = reference[1]
    data = pd.read_csv(small.parent / "data" / "w2.csv")
    row = data.index[data["company"] == "Acme"][0]
    data.loc[row, "sat_overall"] = 1 if data.loc[row, "sat_overall"] != 1 else 2
    data.to_csv(small.parent / "data" / "w2.csv", index=False)
    second = run_batch(small, workers=1)
    region = data.loc[row, "region"]
    changed = set(second.segments["task"]) - set(first.segments["task"])
    recomputed = second.segments[second.segments["task"].isin(changed)]
    assert set(zip(recomputed["wave"], recomputed["segment"])) == {("w2", "(total)"), ("w2", "company=Acme"), ("w2", f"region={region}")}
    assert second.computed == 3 and second.reused == 11
    h1, h2 = first.history.set_index(["wave", "segment", "construct"]), second.history.set_index(["wave", "segment", "construct"])
    assert h1.loc["w1"].equals(h2.loc["w1"])
    assert h1.loc[("w2", "company=Acme", "SAT"), "index"] != h2.loc[("w2", "company=Acme", "SAT"), "index"]
    with HistoryStore(second.store_url) as store:  # the wave was replaced, not duplicated
        assert len(store.read("w2")) == 8 * 6 and len(store.read()) == 16 * 6


# ---------------------------------------------------------------------------------------------- problems
def test_every_config_problem_is_reported_at_once(tmp_path):
    shutil.copy(EXAMPLE / "model.yaml", tmp_path / "model.yaml")
    path = _config(tmp_path, waves="\n  w1: data/missing.csv\n  w2: data/none_*.csv", min_n="1",
                   bootstrap="{resamples: 1, seed: -3}", dask="localhost:8786", segmnts="[company]")
    with pytest.raises(BatchConfigError) as info:
        load_config(path)
    text = str(info.value)
    for fragment in ("config.yaml:3 waves.w1", "the file 'data/missing.csv' does not exist",
                     "config.yaml:4 waves.w2", "the pattern 'data/none_*.csv' matches no file",
                     "min_n", "greater than or equal to 3", "bootstrap.resamples", "0 (no bootstrap) or at least 2",
                     "bootstrap.seed", "dask", "tcp://host:8786", "unknown key 'segmnts'"):
        assert fragment in text, (fragment, text)
    assert text.startswith("The batch config is invalid (7 problems)")
    result = runner.invoke(app, ["batch", str(path)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: The batch config is invalid")


def test_a_glob_concatenates_files_and_a_mismatch_fails_only_that_wave(small, reference):
    base = small.parent
    w2 = pd.read_csv(base / "data" / "w2.csv")
    w2.iloc[:150].to_csv(base / "data" / "w2_a.csv", index=False)
    w2.iloc[150:][list(reversed(w2.columns))].to_csv(base / "data" / "w2_b.csv", index=False)  # other column order: fine
    cfg = load_config(small, overrides={"waves": {"w1": "data/w1.csv", "w2": "data/w2_*.csv"}})
    whole = reference[1].history
    glob = run_batch(cfg, workers=1)
    assert glob.ok is False and glob.failed == 2  # only Flat, in both waves
    merged = glob.history.merge(whole, on=["wave", "segment", "construct"], suffixes=("", "_one_file"))
    np.testing.assert_array_equal(merged["index"].to_numpy(), merged["index_one_file"].to_numpy())
    rows = glob.manifest["waves"]["w2"]["files"]
    assert [(f["path"], f["first_row"], f["last_row"]) for f in rows] == [("data/w2_a.csv", 2, 151), ("data/w2_b.csv", 152, 293)]

    w2.iloc[150:].drop(columns=["region"]).to_csv(base / "data" / "w2_b.csv", index=False)
    broken = run_batch(cfg, workers=1)
    assert list(broken.wave_errors) == ["w2"] and "w2_b.csv lacks 'region'" in broken.wave_errors["w2"]
    assert broken.total == 8 and broken.estimated == 6  # w1 went on
    failed = broken.history[broken.history["wave"] == "w2"]
    assert len(failed) == 6 and failed["status"].str.startswith("failed: cannot read the wave").all()
    with HistoryStore(broken.store_url) as store:  # the store keeps the last good w2
        assert store.waves() == ["w1", "w2"]
        assert store.read("w2")["status"].eq("estimated").sum() == 6 * 6


def test_reports_on_request(small):
    one_wave = {"segments": ["region"], "waves": {"w1": "data/w1.csv"}}
    cfg = load_config(small, overrides={**one_wave})
    plain = run_batch(cfg, workers=1)
    folder = small.parent / "out" / "w1" / "region=North"
    assert not (folder / "report.xlsx").exists()
    result = run_batch(cfg, workers=1, reports=True)  # the tables are there: only the reports are rendered
    assert (result.computed, result.estimated) == (0, plain.estimated) == (0, 3)
    assert (folder / "report.xlsx").is_file() and (folder / "report.html").is_file()
    assert "Customer satisfaction" in (folder / "report.html").read_text(encoding="utf-8")
    (folder / "report.html").unlink()
    cfg = load_config(small, overrides={**one_wave, "bootstrap": {"resamples": 30}, "reports": True})
    fresh = run_batch(cfg, workers=1)  # other settings: computed again, with the reports rendered by the workers
    assert fresh.computed == 3 and (folder / "report.html").is_file() and (folder / "report.xlsx").is_file()


def test_a_dask_scheduler_needs_the_optional_dependency(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask[distributed] were not installed
    with pytest.raises(csi.SettingsError, match=r"pip install 'csi-survey\[dask\]'"):
        run_batch(small, scheduler="tcp://127.0.0.1:8786")
    result = runner.invoke(app, ["batch", str(small), "--scheduler", "127.0.0.1:8786"])
    assert result.exit_code == 1 and "tcp://HOST:8786" in result.stderr


def test_folder_names_are_safe_readable_and_distinct():
    assert folder_name("2026-Q1") == "2026-Q1"
    assert folder_name("company", "星河通信") == "company=星河通信"
    assert folder_name("company", "Kite/Line") == "company=Kite%2FLine"
    assert folder_name("a=b", "x:y*?") == "a%3Db=x%3Ay%2A%3F"
    assert folder_name("..") == "%2E%2E" and folder_name(" x.") == "%20x%2E"
    assert folder_name("CON") == "%43ON" and folder_name("nul.txt") == "%6Eul.txt"
    assert folder_name("tab\there") == "tab%09here" and folder_name("100%") == "100%25"
    long = folder_name("company", "x" * 300)
    assert len(long.encode()) <= 120 and long.startswith("company=xxx") and "~" in long
    assert folder_name("company", "x" * 300) != folder_name("company", "x" * 299 + "y")
    names = folder_names([("c", "Acme"), ("c", "ACME"), ("c", "Beta")])
    assert names[("c", "Beta")] == "c=Beta"
    assert names[("c", "Acme")] != names[("c", "ACME")] and names[("c", "Acme")].casefold() != names[("c", "ACME")].casefold()
    assert folder_names(["index_history.csv"], reserved=["index_history.csv"])["index_history.csv"].startswith("index_history.csv~")


def test_the_command_line_reports_counts_and_the_exit_code(small, reference):
    def text(result) -> str:
        return " ".join(result.stdout.split())

    _copy_outputs(reference, small)  # computed already: the command reports the same counts
    result = runner.invoke(app, ["batch", str(small), "--workers", "1"])
    assert result.exit_code == 1, result.output  # a segment failed
    assert "16 segments (wave × segment) in 2 wave(s): 12 estimated, 2 failed, 2 skipped" in text(result)
    assert "0 computed now, 14 reused" in text(result)
    assert "company=Flat" in result.stdout and "zero variance" in result.stdout
    assert "wrote wave(s) w1, w2" in text(result)
    regions = _config(small.parent, "regions.yaml", segments="[region]", out="out_regions", store="sqlite:///out_regions/h.db")
    ok = runner.invoke(app, ["batch", str(regions), "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    assert "6 segments (wave × segment) in 2 wave(s): 6 estimated, 0 failed, 0 skipped" in text(ok)


def test_chinese_labels_and_no_bootstrap(tmp_path):
    """A GBK CSV with Chinese columns and segments: Chinese folder names and overview; resamples 0 gives no intervals."""
    shutil.copy(EXAMPLES / "acsi_retail_zh.csv", tmp_path / "q3.csv")
    shutil.copy(EXAMPLES / "acsi_retail_zh.yaml", tmp_path / "model.yaml")
    config = _config(tmp_path, waves="{2026-Q3: q3.csv}", segments="[区域]", bootstrap="{resamples: 0}", on_invalid="exclude")
    result = run_batch(config, workers=1)
    assert result.ok and result.estimated == result.total >= 4
    regions = result.segments[result.segments["segment_column"] == "区域"]
    assert "区域=华北" in set(regions["segment"]) and (tmp_path / "out" / "2026-Q3" / "区域=华北" / "index.csv").is_file()
    assert result.history["ci_lower"].isna().all() and result.history["index"].notna().all()
    html = (tmp_path / "out" / "overview.html").read_text(encoding="utf-8")
    assert "2026-Q3 排名" in html and "按 区域" in html and 'lang="zh-CN"' in html


def test_ctrl_c_says_how_to_resume(small, monkeypatch):
    import csi_survey.batch as batch

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_batch", interrupted)
    result = runner.invoke(app, ["batch", str(small)])
    assert result.exit_code == 130
    assert "finished segments are saved: run the same command again to resume" in " ".join(result.stderr.split())


# ---------------------------------------------------------------------------------------------- the example
def test_the_bundled_example_end_to_end(tmp_path):
    """examples/batch: 3 waves × 40 segments (36 providers, 4 regions), CSV, xlsx and a two-file glob."""
    example = tmp_path / "batch"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("out", "__pycache__"))
    cfg = load_config(example / "config.yaml", overrides={"bootstrap": {"resamples": 50}})
    assert cfg.wave_files()["2026-Q3"] == [example / "data" / "2026-Q3_north-east.csv", example / "data" / "2026-Q3_south-west.csv"]
    result = run_batch(cfg)
    out = example / "out"
    assert (result.total, result.estimated, result.failed, result.skipped) == (122, 119, 0, 3)
    assert result.ok and result.store_waves == ("2026-Q1", "2026-Q2", "2026-Q3")
    per_wave = result.segments.groupby("wave")["segment"].count().to_dict()
    assert per_wave == {"2026-Q1": 40, "2026-Q2": 41, "2026-Q3": 41}  # total + 35/36 providers + 4 regions
    skipped = result.segments[result.segments["status"].str.startswith("insufficient")]
    assert set(skipped["segment"]) == {"company=Tiny Telco"} and (skipped["n"] < 50).all()
    assert "company=Fresh Mobile" not in set(result.segments.loc[result.segments["wave"] == "2026-Q1", "segment"])

    waves = result.manifest["waves"]
    assert waves["2026-Q3"]["n_read"] == sum(len(pd.read_csv(f)) for f in cfg.wave_files()["2026-Q3"])
    assert waves["2026-Q2"]["n_excluded"] >= 3  # three out-of-range answers, excluded (on_invalid: exclude)
    excluded = pd.concat([pd.read_csv(p, encoding="utf-8-sig") for p in (out / "2026-Q2").glob("company=*/excluded.csv")])
    total_excluded = pd.read_csv(out / "2026-Q2" / "(total)" / "excluded.csv", encoding="utf-8-sig")
    assert sorted(excluded["row"]) == sorted(total_excluded["row"])  # each excluded row in its provider's folder
    assert (out / "2026-Q1" / "company=Kite%2FLine Mobile" / "index.csv").is_file()
    assert (out / "2026-Q2" / "company=星河通信" / "index.csv").is_file()

    sat = result.history[result.history["construct"] == "SAT"].pivot(index="segment", columns="wave", values="index")
    assert sat.loc["company=Nordlicht Telekom", "2026-Q3"] - sat.loc["company=Nordlicht Telekom", "2026-Q1"] > 4
    assert sat.loc["company=Harbour Broadband", "2026-Q3"] - sat.loc["company=Harbour Broadband", "2026-Q1"] < -4
    assert 60 < sat.loc["(total)", "2026-Q2"] < 90
    with HistoryStore(result.store_url) as store:
        assert len(store.read()) == len(result.history) == 122 * 6
    html = (out / "overview.html").read_text(encoding="utf-8")
    assert "Ranking 2026-Q3" in html and "Nordlicht Telekom" in html and "Trends" in html


def test_the_example_overview_marks_exactly_the_significant_changes(tmp_path):
    """examples/batch: every change since the previous wave has an interval and a Holm-adjusted p value
    (across the segments of the wave); the overview marks ▲/▼ on exactly the significant ones, and the
    history store holds the same changes."""
    import re as _re

    from csi_survey.changes import index_changes

    example = tmp_path / "batch"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("out", "__pycache__"))
    cfg = load_config(example / "config.yaml", overrides={"bootstrap": {"resamples": 50}})
    result = run_batch(cfg)
    history = result.history
    assert list(history.columns) == HISTORY_COLUMNS
    waves = ["2026-Q1", "2026-Q2", "2026-Q3"]
    expected = index_changes(history, waves, level=cfg.bootstrap.level, correction="holm")
    got = history[history["change"].notna()]
    assert len(got) == len(expected) > 200
    merged = got.merge(expected, on=["wave", "segment", "construct"])
    assert np.allclose(merged["change_p_adjusted"], merged["p_adjusted"], rtol=1e-12, atol=0, equal_nan=True)
    assert (merged["change_significant"] == merged["significant"]).all()
    first = history[history["wave"] == "2026-Q1"]
    assert first["change"].isna().all() and not first["change_significant"].any()

    sat = history[(history["construct"] == "SAT") & (history["segment"] != "(total)") & history["change"].notna()]
    html = (example / "out" / "overview.html").read_text(encoding="utf-8")
    marked = _re.findall(r'<td class="num sig (?:neg|pos)"[^>]*>([+−-][0-9.]+) ([▲▼])</td>', html)
    assert len(marked) == int(sat["change_significant"].sum())
    for value, arrow in marked:
        assert (arrow == "▲") == (not value.startswith(("-", "−")))
    assert html.count('title="since ') == len(sat)  # every change has its interval and p value on hover
    with HistoryStore(result.store_url) as store:
        stored = store.read_changes()
        rolled = store.read_rollup()
    assert len(stored) == len(got)
    assert stored["change_significant"].astype(bool).sum() == int(got["change_significant"].sum())

    # the roll-up: each level is the weighted mean of its estimated members (weights of rollup.csv)
    rollup = result.rollup
    assert (example / "out" / "rollup.csv").is_file() and "Roll-up" in html
    weights = pd.read_csv(example / "rollup.csv")
    members = weights[weights["level"] == "company"].set_index("node")
    for wave in waves:
        h = history[(history["wave"] == wave) & (history["construct"] == "SAT") & (history["status"] == "estimated")]
        by_company = {s.split("=", 1)[1]: v for s, v in zip(h["segment"], h["index"]) if s.startswith("company=")}
        industries = {}
        for industry, part in members.groupby("parent"):
            est = [m for m in part.index if m in by_company]
            w = part.loc[est, "weight"].to_numpy(dtype=float)
            industries[industry] = float(w @ np.array([by_company[m] for m in est]) / w.sum())
            row = rollup[(rollup["wave"] == wave) & (rollup["construct"] == "SAT") & (rollup["node"] == industry)].iloc[0]
            assert row["index"] == pytest.approx(industries[industry], abs=1e-9)
            assert row["members_estimated"] == len(est) and row["members"] == len(part)
        shares = weights[weights["level"] == "industry"].set_index("node")["weight"]
        national = sum(shares[k] * v for k, v in industries.items()) / shares.sum()
        top = rollup[(rollup["wave"] == wave) & (rollup["construct"] == "SAT") & (rollup["node"] == "National")].iloc[0]
        assert top["index"] == pytest.approx(national, abs=1e-9)
        assert top["ci_lower"] < top["index"] < top["ci_upper"]
    assert len(rolled) == len(rollup) and (rolled["node"] == "National").sum() == 3 * len(set(history["construct"]))
    national = rolled[(rolled["node"] == "National") & (rolled["construct"] == "SAT")].set_index("wave")["index"]
    top = rollup[(rollup["node"] == "National") & (rollup["construct"] == "SAT")].set_index("wave")["index"]
    assert np.allclose(national.loc[top.index], top, rtol=1e-12)


def test_a_bad_rollup_weights_file_stops_the_batch_before_anything_is_written(small):
    folder = small.parent
    (folder / "rollup.csv").write_text("level,node,parent,weight\ncompany,Acme,All,-3\ncompany,Nobody,All,5\nall,All,,\n",
                                       encoding="utf-8")
    config = _config(folder, rollup="{file: rollup.csv, segment: company}")
    with pytest.raises(DataValidationError) as caught:
        run_batch(load_config(config))
    cases = caught.value.failure_cases
    assert set(zip(cases["row"], cases["column"])) == {(2, "weight"), (3, "node")}
    assert "rollup.csv" in str(caught.value)
    assert not (folder / "out").exists() or not any(p.name != ".lock" for p in (folder / "out").iterdir())
    with pytest.raises(Exception, match="rollup.segment|not one of the segments"):
        load_config(_config(folder, rollup="{file: rollup.csv, segment: channel}"))


# ---------------------------------------------------------------------------------------------- a killed batch process
def _proc_table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, state) of every process (Linux /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def _descendants(pid: int) -> list[int]:
    table, found, todo = _proc_table(), [], [pid]
    while todo:
        parent = todo.pop()
        children = [p for p, (pp, _) in table.items() if pp == parent]
        found += children
        todo += children
    return found


def _running(pid: int) -> bool:
    state = _proc_table().get(pid, (0, "X"))[1]
    return state not in ("Z", "X")  # a zombie has ended


def _written(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".lock" and ".cache" not in p.parts}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table in /proc")
def test_a_sigkilled_batch_leaves_no_worker_behind_and_nothing_is_written_after_it(tmp_path):
    """SIGKILL of a `batch` process with 2 local workers (issue 15): within 5 s none of its child
    processes (forkserver, workers, resource tracker) remains; nothing is written once they are
    gone; the output folder's lock is free then — a worker never wrote outside it."""
    import fcntl
    import os
    import signal
    import subprocess
    import time

    rng = np.random.default_rng(3)
    segments, n = 200, 60
    answers = simulate(rng, segments * n, np.zeros(segments * n), np.zeros(segments * n), np.zeros(segments * n))
    data = pd.DataFrame({key: answers[key] for key in ITEMS})
    data["nps_recommend"] = answers["nps"]
    data.insert(0, "company", [f"P{k:04d}" for k in np.repeat(np.arange(segments), n)])
    data.insert(0, "respondent_id", np.arange(segments * n))
    (tmp_path / "data").mkdir()
    data.to_csv(tmp_path / "data" / "w.csv", index=False)
    shutil.copy(EXAMPLE / "model.yaml", tmp_path / "model.yaml")
    config = tmp_path / "config.yaml"
    config.write_text("model: model.yaml\nwaves: {w1: data/w.csv}\nsegments: [company]\nmin_n: 30\n"
                      "bootstrap: {resamples: 100, seed: 1}\nout: out\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", f"from csi_survey.batch import run_batch; run_batch({str(config)!r}, workers=2)"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while len(list(out.glob("w1/company=*/index.csv"))) < 3:  # the workers are writing segment folders
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no segment folder written in 180 s"
            time.sleep(0.02)
        children = _descendants(proc.pid)
        assert len(children) >= 3  # the forkserver and two workers (and the resource tracker)
    finally:
        killed = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    while [p for p in children if _running(p)] and time.monotonic() < killed + 5:
        time.sleep(0.02)
    left = [p for p in children if _running(p)]
    for pid in left:  # leave nothing behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of the batch's {len(children)} child processes still run 5 s after its SIGKILL"
    gone = time.time()
    before = _written(out)
    time.sleep(1.0)
    assert _written(out) == before  # nothing written any more
    late = {name for name, (mtime, _) in before.items() if mtime > gone * 1e9}
    assert late == set()
    with open(out / ".lock", "a+") as lock:  # free: held by no orphan
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
