"""Design bootstrap cost: the Rao–Wu bootstrap against the respondent bootstrap, side by side.

Run by hand (not in the test suite)::

    python benchmarks/bench_design.py [--resamples 2000] [--repeat 7] [--copies 1]

Data: ``../shared/data/clustered_survey.csv`` (1,285 respondents in 40 stores in 4 regions, a
design-weight column), an ACSI-like model (EXP, QUAL, VAL → SAT; 10 items). ``--copies k`` stacks
k copies of the file with new store ids (k × 1,285 respondents, k × 40 stores), to see how the
cost grows with the sample. Three pairs, each timed on the same fit with ``n_jobs=1``:

* ``fixed``: weights from the ``weight`` column, held fixed — respondents vs Rao–Wu;
* ``raked``: the ``weight`` column raked to region and gender margins — respondents (weights held
  fixed) vs Rao–Wu with the weights re-raked in every replicate.

The runs alternate within each round (so drifts of the machine hit every variant alike); the
report gives, per variant, the median and min–max over the rounds of the wall time and of the
process CPU time, and the ratios of the medians to the respondent bootstrap. BLAS runs on one
thread (set ``OPENBLAS_NUM_THREADS`` to change it), so the CPU time measures the work itself even
when other processes share the cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import csi_survey as csi  # noqa: E402
from csi_survey.engine.bootstrap import bootstrap  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clustered_survey.csv"

SPEC = {
    "name": "Clustered ACSI",
    "scale": {"min": 1, "max": 10},
    "id_column": "resp_id",
    "index": "SAT",
    "constructs": {
        "EXP": {"items": ["exp1", "exp2"]},
        "QUAL": {"items": ["qual1", "qual2", "qual3"]},
        "VAL": {"items": ["val1", "val2"]},
        "SAT": {"items": ["sat1", "sat2", "sat3"]},
    },
    "paths": [["EXP", "QUAL"], ["EXP", "VAL"], ["QUAL", "VAL"], ["EXP", "SAT"], ["QUAL", "SAT"], ["VAL", "SAT"]],
    "design": {"cluster": "store", "strata": "region"},
}
RAKING = {"margins": {"region": {"North": 0.24, "South": 0.30, "East": 0.18, "West": 0.28},  # population totals / 500,000
                      "gender": {"F": 0.51, "M": 0.49}}}


def load(copies: int) -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    parts = []
    for k in range(copies):
        part = frame.copy()
        part["store"] = part["store"] + ("" if k == 0 else f"-{k}")
        part["resp_id"] = part["resp_id"] + k * len(frame)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    frame = load(args.copies)
    fits = {}
    for kind, weights in (("fixed", {"column": "weight"}), ("raked", {"column": "weight", "raking": RAKING})):
        spec = csi.Questionnaire.from_dict({**SPEC, "weights": weights})
        data = csi.apply_weights(csi.prepare(frame, spec))
        fits[kind] = (csi.PLS(spec).fit(data), data)
    variants = [(kind, design) for kind in fits for design in ("respondents", "auto")]
    for kind, design in variants:  # warm-up (imports, caches)
        fit, data = fits[kind]
        bootstrap(fit, data, resamples=100, seed=0, n_jobs=1, design=design)
    times: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    cpu: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    infos = {}
    for _ in range(args.repeat):
        for kind, design in variants:
            fit, data = fits[kind]
            t0, c0 = time.perf_counter(), time.process_time()
            boot = bootstrap(fit, data, resamples=args.resamples, seed=1, n_jobs=1, design=design)
            cpu[(kind, design)].append(time.process_time() - c0)
            times[(kind, design)].append(time.perf_counter() - t0)
            infos[(kind, design)] = boot.bootstrap
    n = len(frame)
    print(f"{args.resamples} replicates, ACSI-like model (10 items) on {n:,} respondents in {40 * args.copies} stores, "
          f"{args.repeat} alternating rounds, n_jobs=1, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; "
          f"{platform.processor() or platform.machine()}, "
          f"numpy {np.__version__}, Python {platform.python_version()}")
    print("| weights | bootstrap | wall s, median (min–max) | CPU s, median (min–max) | used | ratio wall | ratio CPU |")
    print("|---|---|---|---|---|---|---|")
    for kind in fits:
        base_wall = float(np.median(times[(kind, "respondents")]))
        base_cpu = float(np.median(cpu[(kind, "respondents")]))
        for design in ("respondents", "auto"):
            t, c = np.array(times[(kind, design)]), np.array(cpu[(kind, design)])
            info = infos[(kind, design)]
            name = "respondents" if info.design == "respondents" else "Rao–Wu" + (" + re-raking" if info.reraked else "")
            print(f"| {kind} | {name} | {np.median(t):.3f} ({t.min():.3f}–{t.max():.3f}) | "
                  f"{np.median(c):.3f} ({c.min():.3f}–{c.max():.3f}) | {info.used}/{info.resamples} | "
                  f"{np.median(t) / base_wall:.2f} | {np.median(c) / base_cpu:.2f} |")


if __name__ == "__main__":
    main()
