"""Batch preparation and data flow (issue 15), behaviour only (timings are in benchmarks/bench_batch.py):
each wave is split once per segment column and a segment's data are identical to
``segments.subset`` with the segment's own excluded rows, flags and counts (as before the split);
work units are built when sent; Dask workers get the waves once (scattered), not in the task graph."""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.batch import load_config, run_batch
from csi_survey.batch import plan as batch_plan
from csi_survey.batch import runner as batch_runner
from csi_survey.batch import tasks as batch_tasks
from csi_survey.batch.plan import Wave, read_wave, split_wave
from csi_survey.segments import subset

from .conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
from make_examples import ITEMS, simulate  # noqa: E402

EXAMPLE = EXAMPLES / "batch"


# ---------------------------------------------------------------------------------------------- data
def _rich_wave(seed: int, n: int = 600) -> pd.DataFrame:
    """A wave with everything a segment must count: missing answers, invalid values, straightliners,
    empty rows, duplicates, survey weights, a segment column with empty cells."""
    rng = np.random.default_rng(seed)
    a = simulate(rng, n, np.zeros(n), np.zeros(n), np.zeros(n))
    f = pd.DataFrame({k: a[k] for k in ITEMS}).astype(object)
    f["nps_recommend"] = a["nps"]
    f.insert(0, "region", rng.choice(["North", "South", None], size=n, p=[0.45, 0.45, 0.1]))
    f.insert(0, "company", rng.choice([f"C{k}" for k in range(7)], size=n))
    f.insert(0, "respondent_id", [f"R{seed}-{i}" for i in range(n)])
    f["w"] = rng.uniform(0.5, 2, size=n)
    items = list(ITEMS)
    for i in rng.choice(n, 50, replace=False):
        f.loc[i, rng.choice(items)] = None
    for i in rng.choice(n, 10, replace=False):
        f.loc[i, "sat_overall"] = 42
    for i in rng.choice(n, 12, replace=False):
        f.loc[i, [it for it in items if it != "comp_complained"]] = 5
    for i in rng.choice(n, 4, replace=False):
        f.loc[i, items + ["nps_recommend"]] = None
    return pd.concat([f, f.iloc[rng.choice(n, 6, replace=False)]], ignore_index=True)


def _rich_config(folder: Path, missing: str, on_invalid: str, segments: str = "[company, region]") -> Path:
    (folder / "data").mkdir(parents=True)
    _rich_wave(1).to_csv(folder / "data" / "w1.csv", index=False)
    w2 = _rich_wave(2)
    w2.iloc[:350].to_csv(folder / "data" / "w2_a.csv", index=False)  # two files, concatenated
    w2.iloc[350:].to_csv(folder / "data" / "w2_b.csv", index=False)
    (folder / "model.yaml").write_text(
        (EXAMPLE / "model.yaml").read_text(encoding="utf-8")
        + "quality:\n  duplicates: exclude\n  straightlining: {policy: exclude}\n  missing: {max_share: 0.3, policy: flag}\n"
          "weights: {column: w}\n", encoding="utf-8")
    path = folder / "config.yaml"
    path.write_text(f"model: model.yaml\nwaves:\n  w1: data/w1.csv\n  w2: data/w2_*.csv\nsegments: {segments}\n"
                    f"min_n: 30\nbootstrap: {{resamples: 20, seed: 3}}\non_invalid: {on_invalid}\nmissing: {missing}\nout: out\n",
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- the reference
_LISTWISE = re.compile(r"missing answer in listwise mode: (.*?)(?:;|$)")


def _reference(wave: Wave, column: str, label: str):
    """A segment's data as the batch built them before the split: the whole wave scanned per segment."""
    data = wave.data
    sub = subset(data, np.asarray(wave.labels[column] == label, dtype=bool))
    raw = wave.raw_labels[column]
    rows = wave.raw_rows[np.flatnonzero(raw == label)] if raw is not None else np.asarray(sub.row, dtype=np.int64)
    excluded = data.excluded[data.excluded["row"].isin(rows).to_numpy()].reset_index(drop=True)
    flags = None if data.flags is None else data.flags[data.flags["row"].isin(rows).to_numpy()].reset_index(drop=True)
    n_read = int(np.count_nonzero(raw == label)) if raw is not None else sub.n_used + len(excluded)
    missing = data.missing.copy()
    if data.missing_method in ("mean", "model"):
        replaced = np.asarray(sub.imputed).sum(axis=0).astype(np.int64)
        missing["n_missing"], missing["n_replaced"] = replaced, replaced
    else:
        counts = dict.fromkeys(missing["item"], 0)
        for reason in excluded["reason"]:
            m = _LISTWISE.search(str(reason))
            for col in (m.group(1).split(", ") if m else []):
                counts[col.strip()] += 1
        missing["n_missing"] = np.asarray([counts[i] for i in missing["item"]], dtype=np.int64)
        missing["n_replaced"] = np.zeros(len(missing), dtype=np.int64)
    summary = data.quality_summary.copy()
    reasons = excluded["reason"].astype(str)
    empty, invalid = int(reasons.str.startswith("empty row").sum()), int(reasons.str.startswith("invalid value").sum())
    checked, not_checked, flagged, dropped = [], [], [], []
    for flag, n_checked, n_not in zip(summary["flag"], summary["n_checked"], summary["n_not_checked"]):
        mine = flags[flags["flag"] == flag] if flags is not None else flags
        flagged.append(mine.loc[mine["action"] == "flagged", "row"].nunique() if mine is not None else 0)
        dropped.append(mine.loc[mine["action"] == "excluded", "row"].nunique() if mine is not None else 0)
        active = n_read - empty - (0 if flag == "invalid_value" else invalid)
        if int(n_not) == 0:
            checked.append(active), not_checked.append(0)
        elif int(n_checked) == 0:
            checked.append(0), not_checked.append(active)
        else:
            checked.append(pd.NA), not_checked.append(pd.NA)
    summary["n_checked"] = pd.array(checked, dtype="Int64")
    summary["n_flagged"] = np.asarray(flagged, dtype=np.int64)
    summary["n_excluded"] = np.asarray(dropped, dtype=np.int64)
    summary["n_not_checked"] = pd.array(not_checked, dtype="Int64")
    summary["note"] = ["" if not str(n) else f"whole wave: {n}" for n in summary["note"].fillna("")]
    return sub, excluded, flags, n_read, missing, summary


def _compare_every_segment(config_path: Path) -> tuple[int, int]:
    """Every segment of every wave × column of the config: split data == reference; returns
    (segments compared, segments with excluded rows)."""
    cfg = load_config(config_path)
    spec = csi.load_model(cfg.model_path)
    compared = with_excluded = 0
    for label, files in cfg.wave_files().items():
        wave = Wave(label, files)
        read_wave(wave, cfg, spec)
        assert wave.error is None, wave.error
        for column in cfg.segments:
            split = split_wave(wave, column)
            assert split_wave(wave, column) is split  # once per wave and column
            for value in split.bounds:
                got = split.segment(value)
                sub, excluded, flags, n_read, missing, summary = _reference(wave, column, value)
                pd.testing.assert_frame_equal(got.items, sub.items, check_exact=True)
                # the same memory layout as a take: the numbers of the estimation do not change in the last bits
                assert got.items.to_numpy().strides == sub.items.to_numpy().strides
                pd.testing.assert_series_equal(got.respondent_id, sub.respondent_id, check_exact=True)
                pd.testing.assert_frame_equal(got.other, sub.other, check_exact=True)
                np.testing.assert_array_equal(got.row, sub.row)
                np.testing.assert_array_equal(got.imputed, sub.imputed)
                np.testing.assert_array_equal(got.weight, sub.weight)
                assert (got.weight is None) == (sub.weight is None)
                pd.testing.assert_frame_equal(got.excluded, excluded, check_exact=True)
                pd.testing.assert_frame_equal(got.flags, flags, check_exact=True)
                pd.testing.assert_frame_equal(got.missing, missing, check_exact=True)
                pd.testing.assert_frame_equal(got.quality_summary, summary, check_exact=True)
                assert got.n_read == n_read and got.n_used == sub.n_used
                np.testing.assert_array_equal(split.positions(value), np.flatnonzero(wave.labels[column] == value))
                compared += 1
                with_excluded += len(excluded) > 0
    return compared, with_excluded


# ---------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("missing,on_invalid", [("listwise", "exclude"), ("mean", "flag")])
def test_split_segments_equal_the_subset_of_each_segment(tmp_path, missing, on_invalid):
    compared, with_excluded = _compare_every_segment(_rich_config(tmp_path, missing, on_invalid))
    assert compared == 2 * (7 + 3)  # 2 waves × (7 companies + North, South, (missing))
    assert with_excluded == compared  # every segment has rows left out: the counts are exercised


def test_rows_numbered_twice_fall_back_to_scanning_and_give_the_same_segments(tmp_path):
    """read_table numbers rows uniquely; should two rows share a number, the split assigns the
    excluded rows and flags by scanning, as before, and the segments are the same."""
    cfg = load_config(_rich_config(tmp_path, "listwise", "exclude"))
    label, files = list(cfg.wave_files().items())[1]
    wave = Wave(label, files)
    read_wave(wave, cfg, csi.load_model(cfg.model_path))
    wave.raw_rows = wave.raw_rows.copy()
    wave.raw_rows[5] = wave.raw_rows[6]
    compared = 0
    for column in cfg.segments:
        split = split_wave(wave, column)
        for value in split.bounds:
            got = split.segment(value)
            sub, excluded, flags, n_read, missing, summary = _reference(wave, column, value)
            pd.testing.assert_frame_equal(got.items, sub.items, check_exact=True)
            pd.testing.assert_frame_equal(got.excluded, excluded, check_exact=True)
            pd.testing.assert_frame_equal(got.flags, flags, check_exact=True)
            pd.testing.assert_frame_equal(got.missing, missing, check_exact=True)
            pd.testing.assert_frame_equal(got.quality_summary, summary, check_exact=True)
            assert got.n_read == n_read
            compared += 1
    assert compared == 7 + 3


def test_split_segments_of_the_bundled_example_equal_the_subset(tmp_path):
    compared, with_excluded = _compare_every_segment(EXAMPLE / "config.yaml")
    assert compared == 122 - 3  # the example's 122 tasks but the 3 totals (Tiny Telco included: skipped only later)
    assert with_excluded >= 3


def test_each_wave_is_split_once_per_segment_column_and_work_units_are_built_when_sent(tmp_path, monkeypatch):
    config = _rich_config(tmp_path, "mean", "flag")
    takes, built = [], []
    take_rows, segment_data = batch_plan.take_rows, batch_runner.segment_data
    monkeypatch.setattr(batch_plan, "take_rows", lambda data, pos: takes.append(len(pos)) or take_rows(data, pos))
    monkeypatch.setattr(batch_runner, "segment_data", lambda wave, unit: built.append(unit.key) or segment_data(wave, unit))
    # the estimation itself is not what this test is about
    monkeypatch.setattr(batch_tasks, "_compute_job", lambda settings, job: batch_tasks.JobResult(job.key, "failed: not estimated here"))
    seen = []
    result = run_batch(config, workers=1, progress=lambda p: seen.append((p.done - p.skipped, len(built))))
    assert result.total == 2 * (1 + 7 + 3)
    assert len(takes) == 2 * 2  # 2 waves × 2 segment columns, whatever the number of segments
    # the first work unit was computed before the data of the others were cut out
    first_done = next(n_built for done, n_built in seen if done >= 1)
    assert first_done < result.computed
    assert sorted(built) == sorted(set(built))  # and each segment's data once


def test_dask_workers_get_the_waves_once_and_not_in_the_task_graph(tmp_path):
    """A 2-process LocalCluster: every task graph stays tiny (the data are scattered once per wave ×
    column), and the outputs are byte-identical to those of a serial run."""
    distributed = pytest.importorskip("distributed")
    import dask

    config = load_config(_rich_config(tmp_path, "mean", "flag", segments="[region]"), overrides={"bootstrap": {"resamples": 2}})
    serial = run_batch(config, workers=1)
    reference = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*.csv")}
    shutil.rmtree(tmp_path / "out")
    scattered = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            dask.config.set({"distributed.admin.large-graph-warning-threshold": "50kB"}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scatter = client.scatter

        def counting(data, **kwargs):
            scattered.append(len(data))
            return scatter(data, **kwargs)

        client.scatter = counting
        result = run_batch(config, scheduler=client)
    assert result.backend.startswith("dask") and result.computed == serial.computed == 2 * (1 + 3)
    assert not [w for w in caught if "large graph" in str(w.message)], [str(w.message) for w in caught]
    assert scattered == [2 * (1 + 1)]  # one scatter: each wave's data and its split by region
    got = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*.csv")}
    assert got.keys() == reference.keys() and len(got) > 40
    assert [k for k in got if got[k] != reference[k]] == []


class _KillsItsWorker:
    """Job data whose unpickling ends the worker process (as an out-of-memory kill would)."""

    def __reduce__(self):
        import os

        return os._exit, (1,)


def test_a_worker_that_dies_loses_only_its_work_unit(tmp_path):
    """Work units are handed to the pool a few at a time: when a worker dies, the units in flight
    are run again one by one (the one that kills its worker is reported), the others go on."""
    from csi_survey.batch.backends import ProcessPool
    from csi_survey.batch.tasks import Job, Settings, Task

    settings = Settings(resamples=0, seed=1, level=0.95, ci="percentile", scheme="path", max_iter=300, min_n=1, lang=None,
                        reports=False)
    tasks = [Task(settings, (Job(f"k{k}", "w", "c", str(k), 1, _KillsItsWorker() if k == 2 else None),)) for k in range(9)]
    done: dict[str, list[str]] = {}
    ProcessPool(2).run(tasks, lambda task, results: done.setdefault(task.jobs[0].key, []).extend(r.status for r in results))
    assert sorted(done) == [f"k{k}" for k in range(9)]  # each work unit reported once
    assert all(len(statuses) == 1 for statuses in done.values())
    assert done["k2"][0].startswith("failed: the worker process died while estimating this work unit")
    # the others ran in a worker (a job without data fails there, which is all they are here for)
    assert all(not done[f"k{k}"][0].startswith("failed: the worker process died") for k in range(9) if k != 2), done


def _record_threads(path: str) -> None:
    """Write the BLAS thread count, OPENBLAS_NUM_THREADS and the names of the threads of this process to ``path``."""
    import os

    from csi_survey.engine.threads import blas_threads

    names = [Path(f"/proc/self/task/{t}/comm").read_text().strip() for t in os.listdir("/proc/self/task")]
    Path(path).write_text(f"{blas_threads()} {os.environ.get('OPENBLAS_NUM_THREADS', '')} {','.join(names)}")


class _RecordsItsThreads:
    """Job data whose unpickling (in the worker, before the task runs) records the worker's threads."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return _record_threads, (self.path,)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver workers and /proc: Linux")
def test_batch_workers_load_blas_with_one_thread_and_start_no_blas_threads(tmp_path):
    """The local pool's forkserver starts with the BLAS thread variables at 1, so its workers load
    BLAS single-threaded: no OpenBLAS thread pool (whose idle threads spin and slow the other worker)."""
    import os

    from csi_survey.batch.backends import ProcessPool
    from csi_survey.batch.tasks import Job, Settings, Task

    before = {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    settings = Settings(resamples=0, seed=1, level=0.95, ci="percentile", scheme="path", max_iter=300, min_n=1, lang=None,
                        reports=False)
    paths = [tmp_path / f"threads{k}.txt" for k in range(2)]
    tasks = [Task(settings, (Job(f"k{k}", "w", "c", str(k), 1, _RecordsItsThreads(str(p))),)) for k, p in enumerate(paths)]
    ProcessPool(2).run(tasks, lambda task, results: None)
    for p in paths:
        blas, env, names = p.read_text().split()
        assert (blas, env) == ("1", "1")
        # the worker's main thread, its parent watchdog and lifeline, Arrow's allocator thread — and no OpenBLAS
        # pool threads (with the default threads at load, 2 more threads ran here on a 2-core machine)
        assert len(names.split(",")) <= 4, names
    assert {name: os.environ.get(name) for name in before} == before  # this process's environment is restored
