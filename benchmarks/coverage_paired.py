"""Coverage of the wave-change intervals on a panel (Monte Carlo): paired against independent bootstrap.

Run by hand (not in the test suite; about 2 minutes on 2 cores with the defaults)::

    python benchmarks/coverage_paired.py [--surveys 500] [--n 300] [--overlap 0.7] [--resamples 400] [--workers 2]

Each simulated tracking survey has two waves of ``--n`` respondents. A share ``--overlap`` of the
second wave's respondents are the first wave's respondents interviewed again (same id); the others
are new. Every person has a stable satisfaction trait ξ ~ N(0, 1); in each wave the person's answers
follow ξ plus occasion noise (person-level correlation of the latent answers between the waves
``--stability``, 0.7 by default). The population does not change between the waves, so the true
change of every index is 0. The model is QUAL (qual1–qual3) → SAT (sat1–sat3), items 1–10.

For every survey the change of the SAT index gets two 95 % percentile intervals from the same number
of resamples: the independent-samples interval of ``csi-survey run --wave`` (each wave bootstrapped on
its own, draws paired by position) and the paired bootstrap of ``--paired`` (panel members resampled
with both their interviews; :mod:`csi_survey.panel`). Reported: coverage of the true change 0 with
its Monte-Carlo SE, mean width, and the mean bootstrap SE against the standard deviation of the
change over the surveys (the SE an interval should reflect).
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
from csi_survey.panel import paired_change  # noqa: E402

SPEC = csi.Questionnaire.from_dict({
    "name": "panel coverage", "scale": {"min": 1, "max": 10}, "id_column": "resp_id", "index": "SAT",
    "constructs": {"QUAL": {"items": ["qual1", "qual2", "qual3"]}, "SAT": {"items": ["sat1", "sat2", "sat3"]}},
    "paths": [["QUAL", "SAT"]],
})


def answers(rng: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """Items 1–10 of people with the latent wave answers ``latent`` (one value per person)."""
    size = len(latent)
    cols = {}
    for construct, loading in (("qual", 0.8), ("sat", 0.9)):
        factor = loading * latent + np.sqrt(1 - loading**2) * rng.standard_normal(size)
        for k in (1, 2, 3):
            item = 0.85 * factor + np.sqrt(1 - 0.85**2) * rng.standard_normal(size)
            cols[f"{construct}{k}"] = np.clip(np.round(7.2 + 1.7 * item), 1, 10)
    return cols


def simulate(rng: np.random.Generator, n: int, overlap: float, stability: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two waves of n respondents; ``overlap`` × n of the second wave answered the first one too."""
    trait = rng.standard_normal(n)
    occasion = np.sqrt(1 - stability)
    first = np.sqrt(stability) * trait + occasion * rng.standard_normal(n)
    m = int(round(overlap * n))
    again = np.sqrt(stability) * trait[:m] + occasion * rng.standard_normal(m)
    new_trait = rng.standard_normal(n - m)
    new = np.sqrt(stability) * new_trait + occasion * rng.standard_normal(n - m)
    w1 = pd.DataFrame({"resp_id": [f"P{k:05d}" for k in range(n)], **answers(rng, first)})
    w2 = pd.DataFrame({"resp_id": [f"P{k:05d}" for k in range(m)] + [f"N{k:05d}" for k in range(n - m)],
                       **answers(rng, np.concatenate([again, new]))})
    return w1, w2


def one_survey(task: tuple[int, np.random.SeedSequence, int, float, float, int]) -> dict:
    s, seq, n, overlap, stability, resamples = task
    w1, w2 = simulate(np.random.default_rng(seq), n, overlap, stability)
    engine = csi.PLS(SPEC)
    d1, d2 = csi.prepare(w1, SPEC), csi.prepare(w2, SPEC)
    f1, f2 = engine.fit(d1), engine.fit(d2)
    sat = SPEC.construct_ids.index("SAT")
    row = {"survey": s}
    # independent samples, as run --wave: each wave bootstrapped, draws paired by position
    draws = []
    for k, (fit, data) in enumerate(((f1, d1), (f2, d2))):
        boot = bootstrap(fit, data, resamples=resamples, seed=2 * s + k, n_jobs=1).bootstrap
        est = boot.estimates
        col = int(np.flatnonzero((est["statistic"] == "index").to_numpy() & (est["source"] == "SAT").to_numpy())[0])
        draws.append(boot.draws[:, col])
    B = min(len(draws[0]), len(draws[1]))
    diff = draws[1][:B] - draws[0][:B]
    change = float(f2.index.set_index("construct").loc["SAT", "index"] - f1.index.set_index("construct").loc["SAT", "index"])
    lo, hi = np.quantile(diff, [0.025, 0.975])
    row |= {"change": change, "independent_lo": lo, "independent_hi": hi, "independent_se": float(np.std(diff, ddof=1))}
    res = paired_change(engine, d1, d2, fits=(f1, f2), resamples=resamples, seed=s)
    t = res.table.iloc[sat]
    row |= {"paired_lo": float(t["ci_lower"]), "paired_hi": float(t["ci_upper"]), "paired_se": float(t["std_err"]),
            "n_matched": res.n_matched}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=500)
    parser.add_argument("--n", type=int, default=300, help="respondents per wave")
    parser.add_argument("--overlap", type=float, default=0.7, help="share of the second wave interviewed in the first")
    parser.add_argument("--stability", type=float, default=0.7, help="correlation of a person's latent answers between waves")
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args()
    t0 = time.perf_counter()
    seqs = np.random.SeedSequence(args.seed).spawn(args.surveys)
    tasks = [(s, seq, args.n, args.overlap, args.stability, args.resamples) for s, seq in enumerate(seqs)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        res = pd.DataFrame(list(pool.map(one_survey, tasks, chunksize=10)))
    S = len(res)
    sd = res["change"].std(ddof=1)
    print(f"{S} surveys, {args.n} respondents per wave, {args.overlap:.0%} of wave 2 re-interviewed "
          f"(stability {args.stability}), {args.resamples} resamples per bootstrap, 95 % percentile intervals; "
          f"true change 0; mean change {res['change'].mean():+.3f}, SD over surveys {sd:.3f}; {time.perf_counter() - t0:.0f} s")
    print("| test of the change | coverage of 0 | Monte-Carlo SE | mean width | mean SE / SD of the change |")
    print("|---|---|---|---|---|")
    for key, name in (("independent", "independent samples (default)"), ("paired", "paired bootstrap (`--paired`)")):
        cover = ((res[f"{key}_lo"] <= 0) & (0 <= res[f"{key}_hi"])).mean()
        print(f"| {name} | {cover:.1%} | {np.sqrt(cover * (1 - cover) / S):.1%} | "
              f"{(res[f'{key}_hi'] - res[f'{key}_lo']).mean():.2f} | {res[f'{key}_se'].mean() / sd:.2f} |")


if __name__ == "__main__":
    main()
