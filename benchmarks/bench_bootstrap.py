"""Bootstrap time: 1000 resamples of the ECSI model on mobi (250 respondents × 24 items).

Run by hand (not in the test suite):  python benchmarks/bench_bootstrap.py [--resamples 1000] [--n-jobs -1]
Needs ../shared/data/mobi.csv beside the checkout.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import csi_survey as csi
from csi_survey.engine.bootstrap import bootstrap

MOBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mobi = pd.read_csv(MOBI)
    fit = csi.PLS(csi.template("ecsi")).fit(mobi)
    bootstrap(fit, mobi, resamples=50, seed=0)  # warm-up (imports)
    for method in ("percentile", "bca"):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            boot = bootstrap(fit, mobi, resamples=args.resamples, seed=1, method=method, n_jobs=args.n_jobs)
            times.append(time.perf_counter() - t0)
        print(f"{args.resamples} resamples, ECSI on mobi (250 × 24), {method:10s}: best {min(times):.3f} s "
              f"(of {args.repeat}); {boot.bootstrap.used} used, {boot.bootstrap.failed} failed")


if __name__ == "__main__":
    main()
