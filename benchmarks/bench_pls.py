"""PLS fit time on a large survey versus numpy's correlation matrix of the same data.

The engine iterates on the p × p item correlation matrix, so fitting n × p data should cost about
what numpy needs for ``np.corrcoef`` on it (one pass for C, one for the scores).

Run by hand (not in the test suite):  python benchmarks/bench_pls.py [--n 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import csi_survey as csi

ITEMS = {  # the ACSI template with 19 items
    "EXP": 3, "PQ": 5, "PV": 2, "SAT": 3, "COMP": 2, "LOY": 4,
}


def synthetic(n: int, seed: int = 1) -> tuple[csi.Questionnaire, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    model = csi.Questionnaire.build(
        constructs=[csi.construct(c, [f"{c.lower()}{i}" for i in range(1, k + 1)]) for c, k in ITEMS.items()],
        paths=csi.paths("EXP", ["PQ", "PV", "SAT"]) + csi.paths("PQ", ["PV", "SAT"]) + csi.paths("PV", "SAT")
        + csi.paths("SAT", ["COMP", "LOY"]) + csi.paths("COMP", "LOY"),
        scale=(1, 10),
        index="SAT",
    )
    exp = rng.standard_normal(n)
    pq = 0.55 * exp + 0.8 * rng.standard_normal(n)
    pv = 0.1 * exp + 0.55 * pq + 0.8 * rng.standard_normal(n)
    sat = 0.1 * exp + 0.5 * pq + 0.25 * pv + 0.6 * rng.standard_normal(n)
    comp = -0.3 * sat + 0.9 * rng.standard_normal(n)
    loy = 0.6 * sat - 0.1 * comp + 0.7 * rng.standard_normal(n)
    latent = {"EXP": exp, "PQ": pq, "PV": pv, "SAT": sat, "COMP": comp, "LOY": loy}
    cols = {}
    for c, k in ITEMS.items():
        for i in range(1, k + 1):
            x = 0.8 * latent[c] / latent[c].std() + 0.6 * rng.standard_normal(n)
            cols[f"{c.lower()}{i}"] = np.clip(np.round(7.5 + 1.5 * x), 1, 10)
    return model, pd.DataFrame(cols)


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    model, data = synthetic(args.n)
    X = data.to_numpy()
    engine = csi.PLS(model)
    t_corr = best_of(args.repeat, lambda: np.corrcoef(X, rowvar=False))
    t_fit = best_of(args.repeat, lambda: engine.fit(data))
    fit = engine.fit(data)
    print(f"data: {args.n:,} respondents × {X.shape[1]} items, {len(model.paths)} paths")
    print(f"numpy corrcoef : {t_corr:8.3f} s")
    print(f"PLS fit        : {t_fit:8.3f} s  ({fit.iterations} iterations; scores and 0–100 indices included)")
    print(f"ratio fit/corr : {t_fit / t_corr:8.2f}")


if __name__ == "__main__":
    main()
