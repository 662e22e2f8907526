"""A large survey through the command line: ``csi-survey run --bootstrap 0`` and ``validate`` on
1,000,000 respondents × 14 items, beside a hand-written floor, as whole processes with peak RSS.

Run by hand (not in the test suite)::

    python benchmarks/bench_large.py [--rows 1000000] [--rounds 3] [--scores-format csv]
                                     [--baseline-src /tmp/head/src ...] [--data /tmp/csi_bench_large]
                                     [--xlsx-rows 100000]

The data (generated once, seeded, kept in ``--data``; regenerated when ``--rows`` changes): the
ACSI template (``csi-survey template acsi``: EXP, PQ, PV, SAT, COMP, LOY, 14 items, ``respondent_id``)
and a CSV of ``--rows`` respondents, answers simulated as in ``examples/make_examples.py`` (the
reverse-worded ``pq_problems`` item of the example is not in the template), ids ``R0000001`` …

Every round runs, in alternating order (the order is reversed in every other round), as separate
processes timed by ``/usr/bin/time -f "%e %M"`` (wall seconds, peak resident set size):

* ``floor``: a short script (below, ``FLOOR``) that reads the CSV with pyarrow, forms one
  correlation matrix with ``np.corrcoef``, computes weighted construct scores (equal weights on the
  standardized items), rescales them to 0–100 and writes id + scores with pyarrow's CSV writer —
  what any run must at least do;
* ``csi-survey run RESPONSES --model acsi.yaml --out DIR --bootstrap 0 --seed 1`` (with
  ``--scores-format`` when given);
* ``csi-survey validate RESPONSES --model acsi.yaml``;
* with ``--baseline-src`` (repeatable), the same two commands with ``PYTHONPATH`` set to another
  source tree (e.g. a ``git worktree`` of an earlier commit), for a before/after comparison in one
  session; each tree's rows are labelled with its path.

Prints a markdown table: median and min–max of the wall time and of the peak RSS over the rounds,
the ratio of the medians to the floor, and the targets of issue 15 with whether the medians meet
them (``run --bootstrap 0``: ≤ 1.5 × the floor and ≤ 500 MiB peak RSS; ``validate``: ≤ 400 MiB).
The machine may be shared: read the min–max beside the medians, and compare trees within one run. Every process runs with ``OPENBLAS_NUM_THREADS=1`` and
one process at a time (a 2-core machine: processes × BLAS threads never exceed the cores).

With ``--xlsx-rows N`` (e.g. 100000) it also times ``report.xlsx`` of a run of N respondents: the run
folder is written once (``--bootstrap 0``), then every round a process loads its bundle and writes
``report.xlsx`` (:func:`csi_survey.report.xlsx_charts.write_report_workbook` with the tree's
``SCORES_SHEET_LIMIT``), timed inside the process; with ``--baseline-src`` the other tree too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TIME = "/usr/bin/time"

#: The 14 items of the ACSI template, construct → items (``csi-survey template acsi``).
BLOCKS = {
    "EXP": ["exp_overall", "exp_custom", "exp_reliab"],
    "PQ": ["pq_overall", "pq_custom", "pq_reliab"],
    "PV": ["pv_price_given_q", "pv_q_given_price"],
    "SAT": ["sat_overall", "sat_confirm", "sat_ideal"],
    "COMP": ["comp_complained"],
    "LOY": ["loy_repurchase", "loy_price_tol"],
}

FLOOR = r'''
import sys
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

src, dst, blocks = sys.argv[1], sys.argv[2], [b.split(",") for b in sys.argv[3].split(";")]
table = pacsv.read_csv(src)
items = [i for b in blocks for i in b]
X = np.column_stack([table.column(i).to_numpy().astype(np.float64) for i in items])
R = np.corrcoef(X, rowvar=False)
Z = (X - X.mean(axis=0)) / X.std(axis=0)
W = np.zeros((len(items), len(blocks)))
k = 0
for c, b in enumerate(blocks):
    W[k: k + len(b), c] = 1.0
    k += len(b)
W /= np.sqrt(np.einsum("ic,ij,jc->c", W, R, W))  # unit-variance composites
S = Z @ W
lo, hi = S.min(axis=0), S.max(axis=0)
S = 100 * (S - lo) / (hi - lo)
names = ["respondent_id"] + ["c%d" % c for c in range(len(blocks))]
out = pa.table([table.column("respondent_id")] + [pa.array(S[:, c]) for c in range(S.shape[1])], names=names)
pacsv.write_csv(out, dst)
'''


XLSX = r'''
import sys, time
from csi_survey.report import run_report
from csi_survey.report.bundle import load_bundle
from csi_survey.report.xlsx_charts import write_report_workbook

bundle = load_bundle(sys.argv[1])
t = time.perf_counter()
write_report_workbook(sys.argv[2], bundle, scores_sheet_limit=run_report.SCORES_SHEET_LIMIT)
print(time.perf_counter() - t)
'''


def make_data(folder: Path, rows: int, seed: int = 20260115) -> tuple[Path, Path]:
    """The model spec and the responses CSV in ``folder`` (generated once per row count)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"responses_{rows}.csv"
    model_path = folder / "acsi.yaml"
    if not model_path.exists():
        text = subprocess.run([PYTHON, "-m", "csi_survey.cli", "template", "acsi"], check=True, capture_output=True,
                              text=True, env=_env(None)).stdout
        model_path.write_text(text, encoding="utf-8")
    if csv_path.exists():
        return model_path, csv_path
    sys.path.insert(0, str(ROOT / "examples"))
    from make_examples import simulate  # noqa: E402

    import pandas as pd

    rng = np.random.default_rng(seed)
    zero = np.zeros(rows)
    answers = simulate(rng, rows, pq_shift=zero, sat_shift=zero, pv_shift=zero)
    frame = pd.DataFrame({"respondent_id": np.char.add("R", np.char.zfill(np.arange(1, rows + 1).astype(str), 7))})
    for items in BLOCKS.values():
        for item in items:
            frame[item] = answers[item].astype(np.int64)
    tmp = csv_path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(csv_path)
    return model_path, csv_path


def _env(src: str | None) -> dict[str, str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["PYTHONPATH"] = src if src else str(ROOT / "src")
    return env


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process, from /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run([TIME, "-f", "%e %M", "-o", report.name, *cmd], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
        wall, kib = report.read().split()[-2:]
    return float(wall), int(kib) / 1024


def _target(name: str, ratio: float, rss: float) -> str:
    """The issue-15 target of a row and whether the medians meet it."""
    if name.startswith("`run"):
        return f"≤ 1.5× floor {'met' if ratio <= 1.5 else 'NOT met'}, ≤ 500 MiB {'met' if rss <= 500 else 'NOT met'}"
    if name.startswith("`validate"):
        return f"≤ 400 MiB {'met' if rss <= 400 else 'NOT met'}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scores-format", choices=["csv", "parquet"], default=None)
    parser.add_argument("--baseline-src", action="append", default=[],
                        help="another source tree (its src folder) to run beside; repeatable")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "csi_bench_large")
    parser.add_argument("--xlsx-rows", type=int, default=0, help="also time report.xlsx of a run of this many respondents")
    args = parser.parse_args()
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) is needed for the peak RSS")

    t0 = time.perf_counter()
    model, responses = make_data(args.data, args.rows)
    print(f"data: {responses} ({responses.stat().st_size / 1e6:.0f} MB, ready in {time.perf_counter() - t0:.1f} s)")
    out_root = Path(tempfile.mkdtemp(prefix="csi_bench_large_out_"))
    floor_py = out_root / "floor.py"
    floor_py.write_text(FLOOR, encoding="utf-8")
    blocks = ";".join(",".join(items) for items in BLOCKS.values())
    fmt = ["--scores-format", args.scores_format] if args.scores_format else []

    variants: list[tuple[str, list[str], dict[str, str]]] = [
        ("floor (pyarrow read, np.corrcoef, scores, pyarrow write)", [PYTHON, str(floor_py), str(responses), str(out_root / "floor.csv"), blocks], _env(None)),
    ]
    trees = [("", None)] + [(f" [{src}]", src) for src in args.baseline_src]
    for tag, src in trees:
        out = out_root / f"run{len(variants)}"
        variants.append((f"`run --bootstrap 0`{' ' + ' '.join(fmt) if fmt and not src else ''}{tag}",
                         [PYTHON, "-m", "csi_survey.cli", "run", str(responses), "--model", str(model), "--out", str(out),
                          "--bootstrap", "0", "--seed", "1", *(fmt if not src else [])], _env(src)))
        variants.append((f"`validate`{tag}", [PYTHON, "-m", "csi_survey.cli", "validate", str(responses), "--model", str(model)], _env(src)))

    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        for name, cmd, env in order:
            wall, mib = timed(cmd, env)
            results[name].append((wall, mib))
            print(f"round {r + 1}: {name}: {wall:.2f} s, {mib:.0f} MiB", flush=True)

    xlsx: dict[str, list[float]] = {}
    if args.xlsx_rows:
        model_x, responses_x = make_data(args.data, args.xlsx_rows)
        run_dir = out_root / "xlsx_run"
        subprocess.run([PYTHON, "-m", "csi_survey.cli", "run", str(responses_x), "--model", str(model_x), "--out", str(run_dir),
                        "--bootstrap", "0", "--seed", "1"], check=True, env=_env(None), stdout=subprocess.DEVNULL)
        script = out_root / "xlsx.py"
        script.write_text(XLSX, encoding="utf-8")
        for r in range(args.rounds):
            for tag, src in (trees if r % 2 == 0 else trees[::-1]):
                name = f"report.xlsx of {args.xlsx_rows:,} respondents{tag}"
                done = subprocess.run([PYTHON, str(script), str(run_dir), str(out_root / "r.xlsx")], check=True,
                                      env=_env(src), capture_output=True, text=True)
                xlsx.setdefault(name, []).append(float(done.stdout.split()[-1]))
                print(f"round {r + 1}: {name}: {xlsx[name][-1]:.2f} s", flush=True)
    shutil.rmtree(out_root, ignore_errors=True)

    floor = statistics.median(w for w, _ in results[variants[0][0]])
    print(f"\n{args.rows:,} respondents × 14 items, {args.rounds} alternating rounds, one process at a time, "
          f"OPENBLAS_NUM_THREADS=1, nproc {os.cpu_count()}\n")
    print("| command | wall s, median (min–max) | peak RSS MiB, median (min–max) | × floor | target (issue 15) |")
    print("|---|---|---|---|---|")
    for name, _, _ in variants:
        walls = [w for w, _ in results[name]]
        mibs = [m for _, m in results[name]]
        ratio, rss = statistics.median(walls) / floor, statistics.median(mibs)
        print(f"| {name} | {statistics.median(walls):.2f} ({min(walls):.2f}–{max(walls):.2f}) | "
              f"{rss:.0f} ({min(mibs):.0f}–{max(mibs):.0f}) | {ratio:.2f} | {_target(name, ratio, rss)} |")
    if xlsx:
        print("\n| writing | s, median (min–max) |\n|---|---|")
        for name, secs in xlsx.items():
            print(f"| {name} | {statistics.median(secs):.2f} ({min(secs):.2f}–{max(secs):.2f}) |")


if __name__ == "__main__":
    main()
