"""Segment comparisons that scale (issue 17): ``csi-survey run --segment store`` as whole processes,
beside the same run without ``--segment`` (the baseline, in the same session).

Run by hand (not in the test suite)::

    python benchmarks/bench_segments.py [--rounds 3] [--cases stores100 tiny10k stores10]
                                        [--baseline-src /tmp/head/src] [--timeout 900] [--data /tmp/csi_bench_segments]

The data (generated once, seeded, kept in ``--data``): the telecom model of ``examples/batch``
(EXP, PQ, PV, SAT, COMP, LOY; 17 items on 1–10, one yes/no complaint item) and answers simulated
as in ``examples/make_examples.py`` with a store effect, in three cases:

* ``stores100`` — 100 stores × 50 respondents (5,000), default settings (1,000 bootstrap
  resamples, ``--min-n 50``, 1,000 permutations, ``--pairwise auto``): every store is estimated and
  bootstrapped, the omnibus test runs across the 100 stores, the 4,950 pairwise tests and MICOM
  are skipped with a note stating their cost;
* ``tiny10k`` — 10,000 stores × 3 respondents (30,000), default settings: no store reaches min_n,
  so nothing is estimated per store and nothing is compared;
* ``stores10`` — 10 stores × 50 (500), default settings: the pairwise tests and MICOM run (45
  pairs, batched across pairs).

Every round runs, per case, ``csi-survey run data.csv --model model.yaml --out DIR --seed 1
--jobs 1`` without and with ``--segment store`` (and, with ``--baseline-src``, ``--segment store``
with ``PYTHONPATH`` set to another source tree, e.g. ``git archive HEAD src`` of the commit before),
in alternating order (reversed every other round), one process at a time, with
``OPENBLAS_NUM_THREADS=1``. Wall time (``time.perf_counter`` around the process) and CPU time of
the process (``resource.getrusage(RUSAGE_CHILDREN)``, user + system) are printed as medians with
min–max; the ratio is the median of the segment run over the median of its baseline. A process
that exceeds ``--timeout`` is killed and reported as such. The machine may be shared: the CPU time
varies less than the wall time with the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from make_examples import ITEMS, simulate  # noqa: E402

PYTHON = sys.executable
CASES = {"stores100": (100, 50), "tiny10k": (10_000, 3), "stores10": (10, 50)}


def make_data(folder: Path, stores: int, n: int, seed: int = 20261205) -> Path:
    """``folder/data.csv`` (respondent_id, store, the items) and ``folder/model.yaml``; kept when present."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "data.csv").exists():
        rng = np.random.default_rng(seed)
        effect = rng.normal(0.0, 0.3, size=stores)
        store = np.repeat(np.arange(stores), n)
        shift = effect[store]
        answers = simulate(rng, stores * n, pq_shift=shift, sat_shift=0.6 * shift, pv_shift=0.4 * shift)
        data = pd.DataFrame({key: answers[key] for key in ITEMS})
        data["nps_recommend"] = answers["nps"]
        data.insert(0, "store", [f"S{k + 1:05d}" for k in store])
        data.insert(0, "respondent_id", np.arange(1, len(data) + 1))
        data.to_csv(folder / "data.csv", index=False)
    shutil.copy(ROOT / "examples" / "batch" / "model.yaml", folder / "model.yaml")
    return folder


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = src if src else str(ROOT / "src")
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and the last line of its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return float("inf"), float("inf"), f"killed after {timeout:.0f} s"
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    notes = [line for line in done.stdout.splitlines() if "Pairwise" in line or "not compared" in line]
    return wall, cpu, (notes[0][:160] if notes else "")


def summary(values: list[float]) -> str:
    if any(v == float("inf") for v in values):
        return "killed"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--baseline-src", default=None, help="another source tree (e.g. the commit before) run with --segment")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "csi_bench_segments")
    args = parser.parse_args()

    out_root = Path(tempfile.mkdtemp(prefix="bench_segments_"))
    rows = []
    for case in args.cases:
        stores, n = CASES[case]
        folder = make_data(args.data / case, stores, n)
        base = [PYTHON, "-m", "csi_survey.cli", "run", str(folder / "data.csv"), "--model", str(folder / "model.yaml"),
                "--seed", "1", "--jobs", "1"]
        variants = [("without --segment (baseline)", base, _env(None)),
                    ("--segment store", base + ["--segment", "store"], _env(None))]
        if args.baseline_src:
            variants.append((f"--segment store, {args.baseline_src}", base + ["--segment", "store"], _env(args.baseline_src)))
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
        said: dict[str, str] = {}
        for r in range(args.rounds):
            order = variants if r % 2 == 0 else variants[::-1]
            for name, cmd, env in order:
                run_dir = out_root / f"{case}_{r}_{abs(hash(name))}"
                wall, cpu, note = timed(cmd + ["--out", str(run_dir)], env, args.timeout)
                results[name].append((wall, cpu))
                said[name] = note
                shutil.rmtree(run_dir, ignore_errors=True)
                print(f"{case} round {r + 1}: {name}: wall {wall:.2f} s, CPU {cpu:.2f} s", file=sys.stderr, flush=True)
        base_wall = statistics.median(w for w, _ in results[variants[0][0]])
        base_cpu = statistics.median(c for _, c in results[variants[0][0]])
        for name, _, _ in variants:
            walls, cpus = [w for w, _ in results[name]], [c for _, c in results[name]]
            ratio = "killed" if float("inf") in walls else f"{statistics.median(walls) / base_wall:.1f}× / {statistics.median(cpus) / base_cpu:.1f}×"
            rows.append((f"{case} ({stores:,} × {n})", name, summary(walls), summary(cpus), ratio, said[name]))
    shutil.rmtree(out_root, ignore_errors=True)
    print(f"\n{args.rounds} rounds, OPENBLAS_NUM_THREADS=1, --jobs 1, nproc = {os.cpu_count()}\n")
    print("| case | run | wall s, median (min–max) | CPU s, median (min–max) | ratio to baseline (wall / CPU) | note printed |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
