"""The output folder (issue 17): a run never replaces a file it did not write, and after a run the
folder holds exactly that run's files (``csi_survey.report.atomic``: the manifest
``.csi-survey-manifest.json``), for ``csi-survey run``, ``csi-survey report`` and the batch."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.cli import app
from csi_survey.exceptions import ReportError
from csi_survey.report.atomic import MANIFEST_FILE, AtomicOutput, check_output_folder, read_manifest, remove_output
from csi_survey.report.run_report import rerender, write_run

from .conftest import EXAMPLES

SPEC = EXAMPLES / "acsi_retail.yaml"
XLSX = EXAMPLES / "acsi_retail.xlsx"
runner = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path → bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def write(out: Path, files: dict[str, str], **kwargs) -> AtomicOutput:
    with AtomicOutput(out, **kwargs) as staged:
        for name, text in files.items():
            staged.path(name).write_text(text, encoding="utf-8")
    return staged


@pytest.fixture(scope="module")
def data():
    model = csi.load_model(SPEC)
    return csi.read_responses(XLSX, model, on_invalid="exclude")


@pytest.fixture(scope="module")
def plain(data):
    return analyze(data, AnalysisSettings(resamples=0, seed=1))


@pytest.fixture(scope="module")
def segmented(data):
    return analyze(data, AnalysisSettings(resamples=0, seed=1, segments=("region",), permutations=0))


# ---------------------------------------------------------------------------------------------- AtomicOutput
def test_a_new_folder_gets_the_files_and_a_manifest_of_them(tmp_path):
    out = tmp_path / "new" / "results"
    staged = write(out, {"index.csv": "a", "paths.csv": "b"})
    assert names(out) == {"index.csv", "paths.csv", MANIFEST_FILE} and staged.written == ["index.csv", "paths.csv"]
    manifest = read_manifest(out)
    assert manifest["tool"] == "csi-survey" and manifest["version"] == csi.__version__ and manifest["run_id"]
    assert sorted(manifest["files"]) == ["index.csv", "paths.csv"] and "pending" not in manifest
    # a repeated run writes the same manifest, byte for byte
    first = (out / MANIFEST_FILE).read_bytes()
    write(out, {"index.csv": "a", "paths.csv": "b"})
    assert (out / MANIFEST_FILE).read_bytes() == first


def test_a_folder_holding_other_files_is_refused_and_left_as_it_was(tmp_path):
    (tmp_path / "scores.csv").write_text("respondent_id,q1\n1,5\n")
    (tmp_path / "model.yaml").write_text("# my comments\nname: x\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "w1.csv").write_text("x")
    before = snapshot(tmp_path)
    with pytest.raises(ReportError) as info:
        write(tmp_path, {"scores.csv": "new", "model.yaml": "new"})
    message = str(info.value)
    assert "csi-survey did not write" in message and "model.yaml" in message and "scores.csv" in message
    assert "data/w1.csv" in message
    assert "empty or new folder" in info.value.hint and "--out results" in info.value.hint
    assert snapshot(tmp_path) == before and names(tmp_path) == {"scores.csv", "model.yaml", "data"}  # no staging left


def test_a_file_changed_since_the_run_is_not_replaced(tmp_path):
    write(tmp_path, {"index.csv": "ours"})
    (tmp_path / "index.csv").write_text("edited by the user")
    with pytest.raises(ReportError, match=r"index\.csv \(changed since csi-survey wrote it\)"):
        write(tmp_path, {"index.csv": "new"})
    assert (tmp_path / "index.csv").read_text() == "edited by the user"


def test_a_second_run_removes_the_files_of_the_first_it_did_not_write(tmp_path):
    write(tmp_path, {"index.csv": "1", "segment_index.csv": "1", "segment_paths.csv": "1"})
    (tmp_path / ".DS_Store").write_bytes(b"\0")  # added by the system: neither refused nor removed
    staged = write(tmp_path, {"index.csv": "2"})
    assert names(tmp_path) == {"index.csv", MANIFEST_FILE, ".DS_Store"}
    assert sorted(staged.removed) == ["segment_index.csv", "segment_paths.csv"]
    assert list(read_manifest(tmp_path)["files"]) == ["index.csv"]


def test_keep_previous_adds_files_and_never_replaces_a_foreign_one(tmp_path):
    write(tmp_path, {"index.csv": "1"})
    (tmp_path / "notes.txt").write_text("mine")
    write(tmp_path, {"report.html": "r"}, keep_previous=True)
    assert names(tmp_path) == {"index.csv", "report.html", "notes.txt", MANIFEST_FILE}
    assert sorted(read_manifest(tmp_path)["files"]) == ["index.csv", "report.html"]
    with pytest.raises(ReportError, match="csi-survey did not write"):
        write(tmp_path, {"notes.txt": "overwritten?"}, keep_previous=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_input_file_in_the_folder_is_refused_whatever_the_manifest_says(tmp_path):
    write(tmp_path, {"scores.csv": "ours"})  # listed in the manifest, and now used as an input
    with pytest.raises(ReportError, match="input file scores.csv"):
        write(tmp_path, {"index.csv": "x"}, inputs=[tmp_path / "scores.csv"])
    with pytest.raises(ReportError, match="input file"):
        check_output_folder(tmp_path, inputs=[str(tmp_path / "sub" / ".." / "scores.csv")])  # compared resolved
    check_output_folder(tmp_path, inputs=[tmp_path.parent / "elsewhere.csv"])  # an input elsewhere is fine
    assert (tmp_path / "scores.csv").read_text() == "ours"


def test_a_failed_block_leaves_the_folder_exactly_as_before(tmp_path):
    write(tmp_path, {"index.csv": "1", "paths.csv": "1"})
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="engine failed"):
        with AtomicOutput(tmp_path) as staged:
            staged.path("index.csv").write_text("2")
            staged.path("other.csv").write_text("2")
            raise RuntimeError("engine failed")
    assert snapshot(tmp_path) == before and names(tmp_path) == {"index.csv", "paths.csv", MANIFEST_FILE}


def test_a_commit_interrupted_half_way_leaves_a_folder_the_next_run_accepts(tmp_path, monkeypatch):
    write(tmp_path, {"a.csv": "1", "b.csv": "1"})
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == "b.csv":
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr("csi_survey.report.atomic.os.replace", replace)
    with pytest.raises(ReportError, match="already written: a.csv"):
        write(tmp_path, {"a.csv": "2", "b.csv": "2"})
    monkeypatch.setattr("csi_survey.report.atomic.os.replace", real_replace)
    assert (tmp_path / "a.csv").read_text() == "2" and (tmp_path / "b.csv").read_text() == "1"
    write(tmp_path, {"a.csv": "3"})  # both versions were listed: the folder is still csi-survey's
    assert names(tmp_path) == {"a.csv", MANIFEST_FILE}


def test_remove_output_removes_only_what_the_manifest_lists(tmp_path):
    write(tmp_path / "seg", {"index.csv": "1"})
    (tmp_path / "seg" / "mine.csv").write_text("x")
    remove_output(tmp_path / "seg")
    assert names(tmp_path / "seg") == {"mine.csv"}
    write(tmp_path / "seg2", {"index.csv": "1"})
    remove_output(tmp_path / "seg2")
    assert not (tmp_path / "seg2").exists()


def test_a_run_folder_of_an_earlier_version_is_recognised_by_its_run_json(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"tables": ["index", "segment_index"]}))
    (tmp_path / "model.yaml").write_text("name: x\n")
    (tmp_path / "index.csv").write_text("old")
    (tmp_path / "segment_index.csv").write_text("old")
    write(tmp_path, {"index.csv": "new", "run.json": "{}", "model.yaml": "name: y\n"})
    assert names(tmp_path) == {"index.csv", "run.json", "model.yaml", MANIFEST_FILE}


# ---------------------------------------------------------------------------------------------- write_run, report, CLI
def test_rerunning_into_the_same_folder_leaves_exactly_the_new_runs_files(segmented, plain, tmp_path):
    out = tmp_path / "out"
    first = write_run(segmented, out, html=False)
    assert (out / "segment_index.csv").is_file()
    second = write_run(plain, out, html=False)
    assert names(out) == {p.name for p in second} | {MANIFEST_FILE}
    assert not (out / "segment_index.csv").exists() and len(first) > len(second)
    # re-rendering keeps the tables and adds the page, listed in the manifest
    rerender(out, html=True)
    assert names(out) == {p.name for p in second} | {MANIFEST_FILE, "report.html"}
    assert "report.html" in read_manifest(out)["files"]
    # run.json and model.yaml are ours now: a run may replace them; an edited one it refuses
    (out / "model.yaml").write_text("# edited\n" + (out / "model.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ReportError, match=r"model\.yaml \(changed"):
        write_run(plain, out, html=False)


def test_a_run_failing_while_writing_leaves_the_previous_run_exactly_as_it_was(segmented, plain, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_run(segmented, out, html=False)
    before = snapshot(out)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory while rendering")

    monkeypatch.setattr("csi_survey.report.run_report.render_html", broken)
    with pytest.raises(MemoryError):
        write_run(plain, out, html=True)  # the tables are staged, the page fails
    assert snapshot(out) == before and not any(p.name.startswith(".csi-survey-tmp-") for p in out.iterdir())
    fresh = tmp_path / "fresh" / "out"
    with pytest.raises(MemoryError):
        write_run(plain, fresh, html=True)
    assert not (tmp_path / "fresh").exists()  # the folders it created are gone too


def test_write_run_refuses_its_inputs_and_leaves_the_folder_untouched(plain, tmp_path):
    out = tmp_path / "out"
    write_run(plain, out, html=False)
    before = snapshot(out)
    with pytest.raises(ReportError, match="input file scores.csv"):
        write_run(plain, out, html=False, inputs=[out / "scores.csv", SPEC])
    assert snapshot(out) == before


def test_cli_run_with_out_dot_next_to_its_inputs_touches_nothing(tmp_path, monkeypatch):
    data = pd.read_excel(XLSX, engine="openpyxl")
    data.to_csv(tmp_path / "scores.csv", index=False)
    shutil.copy(SPEC, tmp_path / "model.yaml")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "scores.csv", "--model", "model.yaml", "--out", ".", "--bootstrap", "0",
                                 "--on-invalid", "exclude"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # refused before reading the data: the folder holds the run's own inputs
    assert "holds the input files" in result.output and "model.yaml" in result.output and "scores.csv" in result.output
    assert snapshot(tmp_path) == before and names(tmp_path) == {"scores.csv", "model.yaml"}
    # the fix the message gives works
    result = runner.invoke(app, ["run", "scores.csv", "--model", "model.yaml", "--out", "results", "--bootstrap", "0",
                                 "--on-invalid", "exclude"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "results" / "index.csv").is_file() and snapshot(tmp_path)["model.yaml"] == before["model.yaml"]


# ---------------------------------------------------------------------------------------------- the batch
def _batch(folder: Path, segments: str, out: str = "out") -> Path:
    """A tiny batch config: one wave of the bundled example, the total and (optionally) regions."""
    model = csi.load_model(SPEC)
    frame = pd.read_excel(XLSX, engine="openpyxl")
    frame["region"] = frame["region"].map({"South": "So\x1buth", "North": "North\u202e"}).fillna(frame["region"])
    (folder / "data").mkdir(exist_ok=True)
    frame.to_csv(folder / "data" / "w1.csv", index=False)
    (folder / "model.yaml").write_text(model.to_yaml(), encoding="utf-8")
    config = folder / "config.yaml"
    config.write_text(f"model: model.yaml\nwaves:\n  w1: data/w1.csv\nsegments: {segments}\nmin_n: 30\n"
                      f"bootstrap: {{resamples: 0, seed: 1}}\nout: {out}\non_invalid: exclude\n", encoding="utf-8")
    return config


def test_batch_refuses_a_folder_with_other_files_and_removes_segments_it_no_longer_has(tmp_path):
    from csi_survey.batch import run_batch

    config = _batch(tmp_path, "[region]", out=".")
    before = snapshot(tmp_path)
    with pytest.raises(ReportError, match="holds the input files model.yaml, config.yaml"):
        run_batch(config, workers=1)
    assert snapshot(tmp_path) == before  # not even a lock file

    config = _batch(tmp_path, "[region]")
    first = run_batch(config, workers=1)
    out = tmp_path / "out"
    regions = {p.name for p in (out / "w1").iterdir()}
    assert "(total)" in regions and any(n.startswith("region=") for n in regions)
    assert first.estimated >= 2 and "w1/(total)" in read_manifest(out)["folders"]
    for folder in (out / "w1").iterdir():
        assert (folder / MANIFEST_FILE).is_file()
    # control characters in the segment values reach no file raw (folder names percent-encode them)
    assert "region=So%1Buth" in regions
    raw = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    for path in [out / "overview.html", out / "index_history.csv", out / "segments.csv", out / "w1" / "region=So%1Buth" / "run.json"]:
        text = path.read_bytes().decode("utf-8-sig")
        assert raw.search(text) is None and "\\u001b" not in text and "So\ufffduth" in text, path

    config = _batch(tmp_path, "[]")
    run_batch(config, workers=1)
    assert {p.name for p in (out / "w1").iterdir()} == {"(total)"}  # the region folders of the first run are gone
    assert read_manifest(out)["folders"] == ["w1/(total)"]
    # a file of the user's inside a segment folder makes the next batch refuse, before any work
    (out / "w1" / "(total)" / "my_notes.txt").write_text("x")
    with pytest.raises(ReportError, match=r"w1/\(total\)/my_notes\.txt"):
        run_batch(config, workers=1)
    assert (out / "w1" / "(total)" / "my_notes.txt").read_text() == "x"
