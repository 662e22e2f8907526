"""Batch speed: preparation, 1 against 2 local workers, Dask against the local pool, a 2,000-segment run.

Run by hand (not in the test suite)::

    python benchmarks/bench_batch.py prep    [--segments 500 2000] [--rounds 3]
    python benchmarks/bench_batch.py workers [--segments 500] [--resamples 200] [--rounds 3]
    python benchmarks/bench_batch.py dask    [--segments 500] [--resamples 200] [--rounds 3]
    python benchmarks/bench_batch.py run     [--segments 2000] [--n 300] [--resamples 200] [--workers N]

Each mode generates one wave of ``segments × n`` respondents (n = 300; the ACSI model of
``examples/batch``, answers simulated as in ``examples/make_examples.py``, a provider effect per
segment), written as CSV, segment column ``company``. Timings are medians with min–max of
alternating runs (the baseline in the same run), wall clock (``time.perf_counter``).

* ``prep`` — the serial preparation of a batch, before and besides the estimation: reading the wave
  (``read_wave``), splitting it by the segment column once (``split_wave``), the task key and the
  data of every segment (``unit_key``, ``segment_data``). Baseline in the same run: the same
  segments cut out as before issue 15 — a mask over the whole wave and ``segments.subset`` per
  segment, the wave's excluded rows and flags scanned per segment (``isin``). Printed per segment
  count, with the time per segment: linear growth keeps it flat.
* ``workers`` — ``run_batch`` with 1 and with 2 local worker processes, alternating: wall time,
  speed-up, the summed compute time of the workers (``seconds`` and ``cpu_seconds`` of every task
  record: estimate, bootstrap and tables of each segment, wall and CPU time of the worker's
  thread; 2 workers should need no more than 1.15 × one worker's), and the time until the work
  starts (planning: the first progress call). The CPU time does not grow when other programs
  load the machine, the wall time does.
* ``dask`` — a 2-worker Dask ``LocalCluster`` (processes, one thread each; started before the
  timing) against the local pool of 2 processes, alternating.
* ``run`` — one batch with the default settings (local processes, all cores) and a second run in
  which every segment is reused from the first.

The machine should be otherwise idle for ``workers`` and ``dask`` (2 workers on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.util import hash_pandas_object

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from make_examples import ITEMS, simulate  # noqa: E402

import csi_survey as csi  # noqa: E402
from csi_survey.batch import load_config, run_batch  # noqa: E402
from csi_survey.batch.plan import Unit, Wave, label_positions, read_wave, segment_data, split_wave, unit_key  # noqa: E402
from csi_survey.segments import subset  # noqa: E402


def make_data(folder: Path, segments: int, n: int, seed: int = 20261101, resamples: int = 200) -> Path:
    rng = np.random.default_rng(seed)
    effect = rng.normal(0.0, 0.3, size=segments)
    company = np.repeat(np.arange(segments), n)
    shift = effect[company]
    answers = simulate(rng, segments * n, pq_shift=shift, sat_shift=0.6 * shift, pv_shift=0.4 * shift)
    data = pd.DataFrame({key: answers[key] for key in ITEMS})
    data["nps_recommend"] = answers["nps"]
    data.insert(0, "company", [f"Provider {k + 1:04d}" for k in company])
    data.insert(0, "respondent_id", np.arange(1, len(data) + 1))
    (folder / "data").mkdir(parents=True, exist_ok=True)
    data.to_csv(folder / "data" / "wave.csv", index=False)
    shutil.copy(ROOT / "examples" / "batch" / "model.yaml", folder / "model.yaml")
    config = folder / "config.yaml"
    config.write_text("model: model.yaml\nwaves: {2026-Q1: data/wave.csv}\nsegments: [company]\nmin_n: 50\n"
                      f"bootstrap: {{resamples: {resamples}, seed: 1}}\nout: out\nstore: sqlite:///out/history.db\n",
                      encoding="utf-8")
    return config


def _summary(values: list[float], unit: str = "s") -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}–{max(values):.2f})"


# ====================================================================== prep
def _old_segment(wave: Wave, pos: np.ndarray, raw_pos: np.ndarray | None) -> object:
    """A segment cut out as before issue 15 (the baseline): a mask over the whole wave and
    ``segments.subset``, the wave's excluded rows and flags scanned (``isin``) for the segment's
    data and again for its task key."""
    data = wave.data
    mask = np.zeros(data.n_used, dtype=bool)
    mask[pos] = True
    sub = subset(data, mask)
    rows = wave.raw_rows[raw_pos] if raw_pos is not None else np.asarray(sub.row, dtype=np.int64)
    excluded = data.excluded[data.excluded["row"].isin(rows).to_numpy()].reset_index(drop=True)
    flags = None if data.flags is None else data.flags[data.flags["row"].isin(rows).to_numpy()].reset_index(drop=True)
    h = hashlib.sha256(wave.items[pos].tobytes() + wave.row_hash[pos].tobytes())
    for table in (data.excluded, data.flags):
        if table is not None:
            h.update(hash_pandas_object(table[table["row"].isin(rows).to_numpy()], index=False).to_numpy().tobytes())
    missing = data.missing.copy()
    replaced = np.asarray(sub.imputed).sum(axis=0).astype(np.int64) if sub.imputed is not None else np.zeros(len(missing), np.int64)
    missing["n_missing"], missing["n_replaced"] = replaced, replaced
    summary = data.quality_summary.copy() if data.quality_summary is not None else None
    return sub, excluded, flags, missing, summary


def _prep_once(config_path: Path, old: bool) -> tuple[float, float, int]:
    """(seconds reading the wave, seconds splitting + keying + cutting every segment, segments)."""
    cfg = load_config(config_path)
    spec = csi.load_model(cfg.model_path)
    label, files = next(iter(cfg.wave_files().items()))
    t0 = time.perf_counter()
    wave = Wave(label, files)
    read_wave(wave, cfg, spec)
    t1 = time.perf_counter()
    column = cfg.segments[0]
    count = 0
    if old:
        used = label_positions(wave.labels[column])  # the positions were grouped once before issue 15 too
        raw = wave.raw_labels[column]
        read = label_positions(raw) if raw is not None else {}
        for value, pos in used.items():
            _old_segment(wave, pos, read.get(value, np.empty(0, dtype=np.int64)) if raw is not None else None)
            count += 1
    else:
        split = split_wave(wave, column)
        for value in split.bounds:
            unit = Unit(0, label, column, value, "", 0, 1, pos=split.positions(value), raw_pos=split.raw_positions(value))
            unit_key(wave, unit, "spec", "settings")
            segment_data(wave, unit)
            count += 1
    return t1 - t0, time.perf_counter() - t1, count


def bench_prep(args: argparse.Namespace, folder: Path) -> None:
    print(f"preparation of one wave (n = {args.n} per segment), {args.rounds} alternating rounds; "
          "'split' = read once, split once, key + data per segment; 'scan' = the same segments cut out by scanning the wave")
    print(f"{'segments':>9} {'read':>24} {'split + cut (new)':>26} {'scan per segment (before)':>28} {'per segment new / before':>26}")
    for segments in args.segments:
        config = make_data(folder / f"prep{segments}", segments, args.n)
        reads, new, old = [], [], []
        for _ in range(args.rounds):
            r, t, _ = _prep_once(config, old=False)
            reads.append(r)
            new.append(t)
            _, t, _ = _prep_once(config, old=True)
            old.append(t)
        print(f"{segments:>9,} {_summary(reads):>24} {_summary(new):>26} {_summary(old):>28} "
              f"{statistics.median(new) / segments * 1e3:>10.2f} ms / {statistics.median(old) / segments * 1e3:.2f} ms", flush=True)


# ====================================================================== workers, dask
def _one_run(config: Path, resamples: int, **kwargs) -> dict:
    out = config.parent / "out"
    shutil.rmtree(out, ignore_errors=True)
    cfg = load_config(config, overrides={"bootstrap": {"resamples": resamples}})
    first: list[float] = []
    t0 = time.perf_counter()
    result = run_batch(cfg, progress=lambda p: first.append(time.perf_counter() - t0) if not first else None, **kwargs)
    wall = time.perf_counter() - t0
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (out / ".cache").glob("*.json")]
    assert result.computed == result.total - result.skipped, result
    return {"wall": wall, "compute": sum(r["seconds"] for r in records), "cpu": sum(r["cpu_seconds"] for r in records),
            "start": first[0], "backend": result.backend}


def bench_workers(args: argparse.Namespace, folder: Path) -> None:
    segments = args.segments[0]
    config = make_data(folder / "workers", segments, args.n, resamples=args.resamples)
    print(f"run_batch: {segments:,} segments × {args.n} respondents, {args.resamples} resamples; {os.cpu_count()} cores; "
          f"{args.rounds} alternating rounds of 1 and 2 local workers")
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for k in range(args.rounds):
        for workers in (1, 2) if k % 2 == 0 else (2, 1):
            r = _one_run(config, args.resamples, workers=workers)
            runs[workers].append(r)
            print(f"  round {k + 1}: {workers} worker(s) ({r['backend']}): {r['wall']:.1f} s wall, {r['compute']:.1f} s compute "
                  f"({r['cpu']:.1f} s CPU), work starts after {r['start']:.2f} s", flush=True)
    for workers in (1, 2):
        rs = runs[workers]
        print(f"{workers} worker(s): wall {_summary([r['wall'] for r in rs])}; summed compute {_summary([r['compute'] for r in rs])}, "
              f"CPU {_summary([r['cpu'] for r in rs])}; "
              f"planning before the work starts {_summary([r['start'] for r in rs])} "
              f"({statistics.median([r['start'] / r['wall'] for r in rs]) * 100:.1f} % of the run)")
    speedup = [a["wall"] / b["wall"] for a, b in zip(runs[1], runs[2])]
    compute = [b["compute"] / a["compute"] for a, b in zip(runs[1], runs[2])]
    cpu = [b["cpu"] / a["cpu"] for a, b in zip(runs[1], runs[2])]
    print(f"speed-up of 2 workers: {_summary(speedup, '×')} (target ≥ 1.7 on an idle machine); summed compute 2 workers / "
          f"1 worker: wall {_summary(compute, '×')}, CPU {_summary(cpu, '×')} (target ≤ 1.15; CPU time does not depend on "
          "other programs' load, wall time does)")


def bench_dask(args: argparse.Namespace, folder: Path) -> None:
    import warnings

    import distributed  # optional: pip install 'csi-survey[dask]'

    segments = args.segments[0]
    config = make_data(folder / "dask", segments, args.n, resamples=args.resamples)
    print(f"run_batch: {segments:,} segments × {args.n} respondents, {args.resamples} resamples; a 2-worker Dask "
          f"LocalCluster (processes, 1 thread each) against 2 local worker processes, {args.rounds} alternating rounds")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs: dict[str, list[dict]] = {"pool": [], "dask": []}
        for k in range(args.rounds):
            for name in ("pool", "dask") if k % 2 == 0 else ("dask", "pool"):
                r = _one_run(config, args.resamples, **({"workers": 2} if name == "pool" else {"scheduler": client}))
                runs[name].append(r)
                print(f"  round {k + 1}: {r['backend']}: {r['wall']:.1f} s wall, {r['compute']:.1f} s compute ({r['cpu']:.1f} s CPU)",
                      flush=True)
    large = [str(w.message).splitlines()[0] for w in caught if "large graph" in str(w.message)]
    for name in ("pool", "dask"):
        print(f"{name}: wall {_summary([r['wall'] for r in runs[name]])}; summed compute {_summary([r['compute'] for r in runs[name]])}, "
              f"CPU {_summary([r['cpu'] for r in runs[name]])}")
    ratio = [d["wall"] / p["wall"] for p, d in zip(runs["pool"], runs["dask"])]
    print(f"Dask / local pool: {_summary(ratio, '×')} (target ≤ 1.2); 'large graph' warnings: {len(large)} {large[:1]}")


# ====================================================================== one big run
def bench_run(args: argparse.Namespace, folder: Path) -> None:
    t0 = time.perf_counter()
    segments = args.segments[0]
    config = make_data(folder, segments, args.n, resamples=args.resamples)
    print(f"data: {segments:,} segments × {args.n} = {segments * args.n:,} respondents "
          f"({(folder / 'data' / 'wave.csv').stat().st_size / 1e6:.0f} MB CSV, generated in {time.perf_counter() - t0:.1f} s); "
          f"{os.cpu_count()} cores; output in {folder / 'out'}")
    cfg = load_config(config)
    last = [0.0]

    def progress(p) -> None:
        now = time.perf_counter()
        if now - last[0] > 15 or p.done == p.total:
            last[0] = now
            print(f"  {p.done:>5,}/{p.total:,} segments ({p.failed} failed, {p.skipped} skipped) after {now - t1:6.1f} s", flush=True)

    t1 = time.perf_counter()
    result = run_batch(cfg, workers=args.workers, progress=progress)
    wall = time.perf_counter() - t1
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (folder / "out" / ".cache").glob("*.json")]
    seconds = {r["segment"]: r["seconds"] for r in records}
    total_task = seconds.pop("(total)", float("nan"))
    compute = np.array(list(seconds.values()))
    print(f"batch: {result.total:,} tasks ({result.estimated:,} estimated, {result.failed} failed, {result.skipped} skipped) "
          f"in {wall:.1f} s on {result.backend}, {args.resamples} resamples each")
    print(f"per segment: {wall / result.total * 1000:.0f} ms of wall time; compute (estimate + bootstrap + tables) "
          f"median {np.median(compute) * 1000:.0f} ms, mean {compute.mean() * 1000:.0f} ms in one worker; "
          f"the (total) task ({segments * args.n:,} respondents): {total_task:.1f} s")
    t2 = time.perf_counter()
    again = run_batch(cfg, workers=args.workers)
    print(f"second run (resume, nothing to compute): {time.perf_counter() - t2:.1f} s, {again.computed} computed, {again.reused:,} reused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["prep", "workers", "dask", "run"])
    parser.add_argument("--segments", type=int, nargs="+", default=None,
                        help="segment counts (prep: default 500 2000; workers, dask: 500; run: 2000)")
    parser.add_argument("--n", type=int, default=300, help="respondents per segment")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (prep, workers, dask)")
    parser.add_argument("--workers", type=int, default=None, help="run: local processes (default: all cores)")
    parser.add_argument("--out", type=Path, default=None, help="working folder (default: a temporary folder, removed afterwards)")
    args = parser.parse_args()
    if args.segments is None:
        args.segments = {"prep": [500, 2000], "workers": [500], "dask": [500], "run": [2000]}[args.mode]
    folder = args.out or Path(tempfile.mkdtemp(prefix="csi-survey-bench-batch-"))
    try:
        {"prep": bench_prep, "workers": bench_workers, "dask": bench_dask, "run": bench_run}[args.mode](args, folder)
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
