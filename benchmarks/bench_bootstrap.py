"""The batched bootstrap against a plain numpy loop of the same refits (issue 15: ≥ 10× at n = 250, 5,000, 50,000).

Model: ECSI on mobi (7 constructs, 24 items). n = 250 is mobi itself; n = 5,000 and 50,000 are mobi's
respondents drawn with replacement (seeded), so the model and the answers stay mobi's.

- bootstrap: ``csi_survey.bootstrap(fit, data, resamples=1000, seed=1)`` with the library's defaults
  (``n_jobs=-1``: worker processes when the problem is large, one BLAS thread each; small problems in
  this process with one BLAS thread). It estimates every path, total effect, weight, loading, R²,
  index and HTMT value of each resample.
- plain loop (written here): for each resample b, the same respondents as the bootstrap's resample b
  (``default_rng(SeedSequence(1).spawn(1000)[b]).integers(0, n, n)``), ``np.corrcoef`` of those rows
  and :func:`csi_survey.engine.pls.pls_core` on it (paths, weights, loadings, R², total effects). The
  loop runs twice per round: with one BLAS thread and with numpy's default threads; the ratio uses
  the faster of the two (by median). At n = 50,000 the loop runs the first ``--loop-large``
  resamples and its time is scaled to 1,000. The script checks that the loop's paths equal the
  bootstrap's draws.

Every round runs the three, in rotating order; the table gives medians with min–max over the
rounds (not the best run), the CPU time of the bootstrap (this process and its workers) and the
ratio of the medians (faster loop / bootstrap); beside it the ratio of CPU times (the one-thread
loop's against the bootstrap's), which a busy machine disturbs less than wall times. The machine's cores and BLAS (threadpoolctl) are
printed above it, the load average before and after.

Run by hand (not in the test suite):  python benchmarks/bench_bootstrap.py [--rounds 5] [--sizes 250 5000 50000]
Needs ../shared/data/mobi.csv beside the checkout.

``run`` mode — the whole command line with the DEFAULT bootstrap (1,000 resamples) on a large survey::

    python benchmarks/bench_bootstrap.py run [--rows 100000 1000000] [--rounds 3] [--baseline-src /tmp/head/src]
                                             [--data /tmp/csi_bench_large]

For each row count, the data of ``benchmarks/bench_large.py`` (ACSI template, 14 items; generated
there, once, and reused) and, in every round in alternating order (reversed every other round), as
separate processes timed by ``/usr/bin/time`` (wall seconds, peak RSS — of the largest process of
the tree, the workers included, not their sum):

* ``floor``: bench_large's floor script (pyarrow read, one ``np.corrcoef``, weighted scores, pyarrow write);
* ``csi-survey run RESPONSES --model acsi.yaml --out DIR --seed 1`` — no ``--bootstrap``: the default
  1,000 resamples, with the package's own workers;
* with ``--baseline-src``, the same command from another source tree (e.g. a ``git worktree`` of HEAD).

Every process gets ``OPENBLAS_NUM_THREADS=1`` (as in bench_large: the package limits its BLAS to
one thread anyway; its worker processes are the parallelism). Prints median (min–max) of the wall
time and of the peak RSS, and the ratio of the medians to the floor's (issue 15 targets: ≤ 4× on
100k rows, ≤ 15× on 1M rows).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import csi_survey as csi
from csi_survey.engine.bootstrap import bootstrap
from csi_survey.engine.pls import item_matrix, pls_core
from csi_survey.engine.threads import single_threaded_blas, usable_cores

MOBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"
SEED = 1


def survey(mobi: pd.DataFrame, n: int) -> pd.DataFrame:
    """mobi itself (n = 250) or n of its respondents drawn with replacement."""
    if n == len(mobi):
        return mobi
    return mobi.iloc[np.random.default_rng(0).integers(0, len(mobi), n)].reset_index(drop=True)


def plain_loop(engine: csi.PLS, X: np.ndarray, seeds: list[np.random.SeedSequence]) -> list:
    """The refits one by one: same respondents as the bootstrap's resamples, np.corrcoef, pls_core."""
    model = engine.model
    modes = [c.mode for c in model.constructs.values()]
    n = X.shape[0]
    out = []
    for seq in seeds:
        rows = np.random.default_rng(seq).integers(0, n, n)
        C = np.corrcoef(X[rows], rowvar=False)
        out.append(pls_core(C, engine.blocks, modes, model.adjacency, engine.scheme, engine.tol, engine.max_iter,
                            model.construct_ids, model.item_ids))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished child processes (the bootstrap's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def check_same_refits(boot, loop_cores: list, model) -> None:
    """The loop refits the bootstrap's resamples: its path coefficients equal the bootstrap's draws."""
    est = boot.bootstrap.estimates
    paths = est.index[est["statistic"] == "path"]
    pos = {c: j for j, c in enumerate(model.construct_ids)}
    for b, core in enumerate(loop_cores[:3]):
        mine = np.array([core.paths[pos[s], pos[t]] for s, t in zip(est.loc[paths, "source"], est.loc[paths, "target"])])
        if not np.allclose(mine, boot.bootstrap.draws[b, paths], atol=1e-9):
            raise SystemExit(f"resample {b}: the plain loop does not refit the bootstrap's resample")


def blas_description() -> str:
    from threadpoolctl import threadpool_info

    libs = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads, "
            f"{Path(i.get('filepath', '')).name})" for i in threadpool_info()]
    return "; ".join(libs) or "none found"


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def run_mode(argv: list[str]) -> None:
    """``run`` mode: the whole ``csi-survey run`` with the default bootstrap against bench_large's floor."""
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_large import BLOCKS, FLOOR, TIME, make_data, timed  # the data generator and floor of bench_large

    parser = argparse.ArgumentParser(prog="bench_bootstrap.py run",
                                     description="csi-survey run with the default bootstrap against the floor")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", default=None, help="another source tree (its src folder) to run beside")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "csi_bench_large")
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) is needed for the peak RSS")

    def env(src: str | None) -> dict[str, str]:
        return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONPATH": src or str(Path(__file__).resolve().parents[1] / "src")}

    print(f"nproc {os.cpu_count()}, usable cores {usable_cores()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, csi-survey {csi.__version__}")
    print(f"BLAS (threadpoolctl, numpy's defaults): {blas_description()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    out_root = Path(tempfile.mkdtemp(prefix="csi_bench_boot_run_"))
    floor_py = out_root / "floor.py"
    floor_py.write_text(FLOOR, encoding="utf-8")
    blocks = ";".join(",".join(items) for items in BLOCKS.values())
    table = []
    try:
        for rows in args.rows:
            model, responses = make_data(args.data, rows)
            variants = [("floor (pyarrow read, np.corrcoef, scores, pyarrow write)",
                         [sys.executable, str(floor_py), str(responses), str(out_root / "floor.csv"), blocks], env(None))]
            trees = [("", None)] + ([(" [baseline]", args.baseline_src)] if args.baseline_src else [])
            for tag, src in trees:
                out = out_root / f"run{rows}{len(variants)}"
                variants.append((f"`run` (default bootstrap, 1,000 resamples){tag}",
                                 [sys.executable, "-m", "csi_survey.cli", "run", str(responses), "--model", str(model),
                                  "--out", str(out), "--seed", "1"], env(src)))
            results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
            for r in range(args.rounds):
                for name, cmd, environment in (variants if r % 2 == 0 else variants[::-1]):
                    for stale in out_root.glob(f"run{rows}*"):
                        shutil.rmtree(stale, ignore_errors=True)  # a fresh output folder every time
                    wall, mib = timed(cmd, environment)
                    results[name].append((wall, mib))
                    print(f"{rows:,} rows, round {r + 1}: {name}: {wall:.2f} s, {mib:.0f} MiB", flush=True)
            floor = statistics.median(w for w, _ in results[variants[0][0]])
            for name, _, _ in variants:
                walls, mibs = [w for w, _ in results[name]], [m for _, m in results[name]]
                table.append(f"| {rows:,} × 14 | {name} | {statistics.median(walls):.2f} ({min(walls):.2f}–{max(walls):.2f}) | "
                             f"{statistics.median(mibs):.0f} ({min(mibs):.0f}–{max(mibs):.0f}) | "
                             f"{statistics.median(walls) / floor:.2f} |")
    finally:
        shutil.rmtree(out_root, ignore_errors=True)
    print(f"\n{args.rounds} alternating rounds, one process (tree) at a time, OPENBLAS_NUM_THREADS=1\n")
    print("| data | command | wall s, median (min–max) | peak RSS MiB, median (min–max) | × floor |")
    print("|---|---|---|---|---|")
    print("\n".join(table))
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        run_mode(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 5000, 50000])
    parser.add_argument("--loop-large", type=int, default=100, help="loop resamples at n ≥ 20,000 (time scaled)")
    args = parser.parse_args()

    mobi = pd.read_csv(MOBI)
    model = csi.template("ecsi")
    engine = csi.PLS(model)
    print(f"nproc {os.cpu_count()}, usable cores {usable_cores()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, csi-survey {csi.__version__}")
    print(f"BLAS (threadpoolctl, numpy's defaults): {blas_description()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.rounds} alternating rounds; {args.resamples} resamples; ECSI on mobi (24 items)\n")

    rows = []
    for n in args.sizes:
        data = survey(mobi, n)
        fit = engine.fit(data)
        X, _ = item_matrix(model, data)
        seeds = np.random.SeedSequence(SEED).spawn(args.resamples)
        loop_b = args.resamples if n < 20_000 else min(args.loop_large, args.resamples)
        scale = args.resamples / loop_b
        boot = bootstrap(fit, data, resamples=args.resamples, seed=SEED)  # warm-up, and the check below
        check_same_refits(boot, plain_loop(engine, X, seeds[:3]), model)
        boot_wall, boot_cpu = [], []
        loop_wall: dict[str, list[float]] = {"one": [], "default": []}
        loop_cpu: list[float] = []
        order = ["boot", "one", "default"]
        for r in range(args.rounds):
            for variant in order[r % 3:] + order[:r % 3]:
                c0, t0 = cpu_seconds(), time.perf_counter()
                if variant == "boot":
                    bootstrap(fit, data, resamples=args.resamples, seed=SEED)
                    boot_wall.append(time.perf_counter() - t0)
                    boot_cpu.append(cpu_seconds() - c0)
                elif variant == "one":
                    with single_threaded_blas():
                        plain_loop(engine, X, seeds[:loop_b])
                    loop_wall["one"].append((time.perf_counter() - t0) * scale)
                    loop_cpu.append((cpu_seconds() - c0) * scale)
                else:
                    plain_loop(engine, X, seeds[:loop_b])
                    loop_wall["default"].append((time.perf_counter() - t0) * scale)
        faster = min(statistics.median(v) for v in loop_wall.values())
        ratio = faster / statistics.median(boot_wall)
        cpu_ratio = statistics.median(loop_cpu) / statistics.median(boot_cpu)
        loop_note = f" ({loop_b} × {scale:g})" if scale != 1 else ""
        rows.append(f"| {n:,} | {args.resamples:,} | {summary(boot_wall)} | {summary(boot_cpu)} | "
                    f"{summary(loop_wall['one'])}{loop_note} | {summary(loop_wall['default'])}{loop_note} | **{ratio:.1f}×** | "
                    f"{summary(loop_cpu)} | {cpu_ratio:.1f}× |")
        print(f"n = {n:,} done: ratio {ratio:.1f}", flush=True)

    print()
    print("| n | resamples | bootstrap, wall s | bootstrap, CPU s (with workers) | plain loop, 1 BLAS thread, wall s per 1,000 "
          "| plain loop, default BLAS threads, wall s per 1,000 | faster loop / bootstrap (wall) "
          "| plain loop, 1 thread, CPU s per 1,000 | loop / bootstrap (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
