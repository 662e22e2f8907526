"""Coverage of the bootstrap intervals of the SAT index on clustered surveys (Monte Carlo).

Run by hand (not in the test suite; about 2 minutes on 2 cores with the defaults)::

    python benchmarks/coverage_design.py [--surveys 2000] [--resamples 400] [--workers 2] [--seed 20260101] [--rake]

Each simulated survey follows the generator of ``../shared/data/clustered_survey.csv`` (R script
``survey.R``, see the data README): 4 regions (strata) with 80/100/60/90 stores in the population,
10 stores sampled per region (40 clusters), 20–40 customers interviewed per store, store size
M ~ U(800, 2000), design weight = (stores in region / 10) × M / n; a store effect u ~ N(0, 1) enters
every answer as √0.10·u, so the intra-cluster correlation of the latent answers is 0.10; items on
1–10. The model is a small ACSI-like one, QUAL (qual1–qual3) → SAT (sat1–sat3), estimated by PLS
with the design weights; the quantity is the 0–100 SAT index (estimated outer weights). With
``--rake`` the design weights are raked to the population's region and gender shares (the design
bootstrap then rakes every replicate again; the respondent bootstrap holds the weights fixed).

For every survey two bootstraps with the same number of resamples, both with 95 % percentile
intervals: respondents resampled (the weights held fixed; the design ignored) and the Rao–Wu
design bootstrap (``design: {cluster: store, strata: region}``). The true SAT index is the PLS
estimate on one very large survey from the same population (``--truth-stores`` stores per region,
so its own error is negligible). Reported: coverage of the true value with its Monte-Carlo SE,
mean interval width, mean bootstrap SE against the standard deviation of the estimates over the
surveys (the SE that an interval should reflect).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread per worker process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import csi_survey as csi  # noqa: E402
from csi_survey.engine.bootstrap import bootstrap  # noqa: E402

REGIONS = {"North": (80, 0.15), "South": (100, -0.05), "East": (60, 0.05), "West": (90, -0.15)}  # stores, effect
SAMPLED = 10
ICC = 0.10
BASE = {
    "name": "coverage", "scale": {"min": 1, "max": 10}, "id_column": "resp_id", "index": "SAT",
    "constructs": {"QUAL": {"items": ["qual1", "qual2", "qual3"]}, "SAT": {"items": ["sat1", "sat2", "sat3"]}},
    "paths": [["QUAL", "SAT"]],
    "design": {"cluster": "store", "strata": "region"},
}
_STORES = sum(p for p, _ in REGIONS.values())
SPECS = {
    False: csi.Questionnaire.from_dict({**BASE, "weights": {"column": "weight"}}),
    True: csi.Questionnaire.from_dict({**BASE, "weights": {"column": "weight", "raking": {"margins": {
        "region": {r: p / _STORES for r, (p, _) in REGIONS.items()}, "gender": {"F": 0.5, "M": 0.5}}}}}),
}


def simulate(rng: np.random.Generator, stores_per_region: int = SAMPLED) -> pd.DataFrame:
    """One survey: ``stores_per_region`` stores per region, 20–40 customers each (as survey.R)."""
    parts = []
    for r, (region, (population, effect)) in enumerate(REGIONS.items()):
        n = rng.integers(20, 41, stores_per_region)
        M = rng.uniform(800, 2000, stores_per_region)
        u = rng.standard_normal(stores_per_region)
        store = np.repeat(np.arange(stores_per_region), n)
        size = n.sum()
        xi = rng.standard_normal(size)
        female = rng.random(size) < 0.5
        cols = {}
        for construct, loading in (("qual", 0.8), ("sat", 0.9)):
            factor = loading * xi + np.sqrt(1 - loading**2) * rng.standard_normal(size)
            for k in (1, 2, 3):
                item = 0.85 * factor + np.sqrt(1 - 0.85**2) * rng.standard_normal(size)
                z = effect + np.sqrt(ICC) * u[store] + np.sqrt(1 - ICC) * item + 0.10 * female
                cols[f"{construct}{k}"] = np.clip(np.round(7.2 + 1.7 * z), 1, 10)
        parts.append(pd.DataFrame({
            "region": region, "store": [f"{region[0]}{s:05d}" for s in store], "gender": np.where(female, "F", "M"),
            "weight": (population / stores_per_region * M / n)[store], **cols}))
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "resp_id", np.arange(1, len(frame) + 1))
    return frame


def sat_index(frame: pd.DataFrame, spec: csi.Questionnaire) -> float:
    data = csi.apply_weights(csi.prepare(frame, spec))
    return float(csi.PLS(spec).fit(data).index.set_index("construct").loc["SAT", "index"])


def one_survey(task: tuple[int, np.random.SeedSequence, int, bool]) -> dict:
    s, seq, resamples, rake = task
    spec = SPECS[rake]
    frame = simulate(np.random.default_rng(seq))
    data = csi.apply_weights(csi.prepare(frame, spec))
    fit = csi.PLS(spec).fit(data)
    row = {"survey": s, "n": len(frame), "estimate": float(fit.index.set_index("construct").loc["SAT", "index"])}
    for design in ("respondents", "auto"):
        boot = bootstrap(fit, data, resamples=resamples, seed=s, n_jobs=1, design=design)
        sat = boot.index.set_index("construct").loc["SAT"]
        key = "rao_wu" if design == "auto" else "respondents"
        row |= {f"{key}_lo": float(sat["ci_lower"]), f"{key}_hi": float(sat["ci_upper"]), f"{key}_se": float(sat["std_err"]),
                f"{key}_failed": boot.bootstrap.failed, f"{key}_reraked": boot.bootstrap.reraked}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--truth-stores", type=int, default=10000, help="stores per region of the survey that gives the true value")
    parser.add_argument("--out", default=None, help="write the per-survey results to this CSV")
    parser.add_argument("--rake", action="store_true", help="rake the design weights to region and gender shares")
    args = parser.parse_args()
    t0 = time.perf_counter()
    root = np.random.SeedSequence(args.seed)
    truth_seq, survey_root = root.spawn(2)
    truth = sat_index(simulate(np.random.default_rng(truth_seq), args.truth_stores), SPECS[args.rake])
    tasks = [(s, seq, args.resamples, args.rake) for s, seq in enumerate(survey_root.spawn(args.surveys))]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(one_survey, tasks, chunksize=10))
    res = pd.DataFrame(rows)
    if args.out:
        res.to_csv(args.out, index=False)
    sd = res["estimate"].std(ddof=1)
    S = len(res)
    weights = "design weights raked to region and gender" if args.rake else "design weights"
    print(f"{S} surveys (mean n = {res['n'].mean():.0f}, 40 stores in 4 regions, ICC {ICC}, {weights}), {args.resamples} resamples "
          f"per bootstrap, 95 % percentile intervals; true SAT index {truth:.3f} (from {4 * args.truth_stores:,} stores); "
          f"mean estimate {res['estimate'].mean():.3f}, SD over surveys {sd:.3f}; {time.perf_counter() - t0:.0f} s")
    print("| bootstrap | coverage | Monte-Carlo SE | mean width | mean SE / SD of estimates | failed resamples |")
    print("|---|---|---|---|---|---|")
    reraked = " (re-raked)" if res["rao_wu_reraked"].all() else ""
    for key, name in (("respondents", "respondents resampled"), ("rao_wu", f"Rao–Wu design bootstrap{reraked}")):
        cover = ((res[f"{key}_lo"] <= truth) & (truth <= res[f"{key}_hi"])).mean()
        print(f"| {name} | {cover:.1%} | {np.sqrt(cover * (1 - cover) / S):.1%} | "
              f"{(res[f'{key}_hi'] - res[f'{key}_lo']).mean():.2f} | {res[f'{key}_se'].mean() / sd:.2f} | "
              f"{int(res[f'{key}_failed'].sum())} |")


if __name__ == "__main__":
    main()
