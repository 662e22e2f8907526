"""Batch speed: 2,000 synthetic segments (n = 300 each) × 200 bootstrap resamples.

Run by hand (not in the test suite)::

    python benchmarks/bench_batch.py [--segments 2000] [--n 300] [--resamples 200] [--workers N] [--out DIR]

Generates one wave of ``segments × n`` respondents (the ACSI model of ``examples/batch``, answers
simulated as in ``examples/make_examples.py``, a provider effect per segment), writes it as CSV and
runs :func:`csi_survey.batch.run_batch` on it with the default settings (local processes, all
cores; per-segment tables but no per-segment reports). Prints the time of the batch, the cost per
segment (wall time and compute time) and the time of a second run, in which every segment is
reused from the first. The whole wave (the ``(total)`` task, ``segments × n`` respondents) is
estimated and bootstrapped too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from make_examples import ITEMS, simulate  # noqa: E402

from csi_survey.batch import load_config, run_batch  # noqa: E402


def make_data(folder: Path, segments: int, n: int, seed: int = 20261101) -> Path:
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
                      "bootstrap: {resamples: 200, seed: 1}\nout: out\nstore: sqlite:///out/history.db\n", encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--n", type=int, default=300, help="respondents per segment")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    parser.add_argument("--out", type=Path, default=None, help="working folder (default: a temporary folder, removed afterwards)")
    args = parser.parse_args()

    folder = args.out or Path(tempfile.mkdtemp(prefix="csi-survey-bench-batch-"))
    try:
        t0 = time.perf_counter()
        config = make_data(folder, args.segments, args.n)
        print(f"data: {args.segments:,} segments × {args.n} = {args.segments * args.n:,} respondents "
              f"({(folder / 'data' / 'wave.csv').stat().st_size / 1e6:.0f} MB CSV, generated in {time.perf_counter() - t0:.1f} s); "
              f"{os.cpu_count()} cores; output in {folder / 'out'}")
        cfg = load_config(config, overrides={"bootstrap": {"resamples": args.resamples}})

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
              f"the (total) task ({args.segments * args.n:,} respondents): {total_task:.1f} s")

        t2 = time.perf_counter()
        again = run_batch(cfg, workers=args.workers)
        print(f"second run (resume, nothing to compute): {time.perf_counter() - t2:.1f} s, {again.computed} computed, {again.reused:,} reused")
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
