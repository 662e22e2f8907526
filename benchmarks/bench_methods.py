"""The PLS-SEM methods beside a plain PLS fit of the same data (mobi, n = 250).

Targets (issue 14): a PLSc fit and a moderated fit ≤ 2 × a plain PLS fit; 1,000 bootstrap resamples
of a moderated ACSI model ≤ 2 s; leave-one-out PLSpredict on n = 250 ≤ 1 s. Also timed: a two-stage
higher-order fit, the bootstrap test of exact fit and (when available) the bootstrap of a
higher-order model, each beside its baseline (a plain fit, or a plain 1,000-resample bootstrap).

Every round runs each variant once, in alternating order; reported are the median and min–max of
the wall time over the rounds (and CPU time), and the ratio of the medians to the baseline's.

Run by hand (not in the test suite)::

    python benchmarks/bench_methods.py [--rounds 15] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":  # BLAS threads must be fixed before numpy loads
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads)
    os.environ.setdefault("OMP_NUM_THREADS", _threads)

import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import csi_survey as csi  # noqa: E402
from csi_survey.engine.bootstrap import bootstrap  # noqa: E402
from csi_survey.higher_order import HigherOrder, HigherOrderPLS  # noqa: E402
from csi_survey.interactions import Interaction, ModeratedPLS, bootstrap_moderation  # noqa: E402
from csi_survey.model_fit import overall_fit_test  # noqa: E402
from csi_survey.predict import plspredict  # noqa: E402

MOBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"


def acsi() -> csi.Questionnaire:
    """ECSI without image (the ACSI model of the R references)."""
    ecsi = csi.template("ecsi")
    keep = [c for c in ecsi.construct_ids if c != "IMG"]
    return csi.Questionnaire.build(
        constructs=[csi.construct(c, ecsi.constructs[c].item_ids) for c in keep],
        paths=[(p.source, p.target) for p in ecsi.paths if "IMG" not in (p.source, p.target)],
    )


def reflective(model: csi.Questionnaire) -> csi.Questionnaire:
    return csi.Questionnaire.from_yaml(model.to_yaml() + "measurement: reflective\n")


def timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", default="1", help="BLAS threads (set before numpy loads)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    mobi = pd.read_csv(MOBI)
    model = acsi()
    plain = csi.PLS(model)
    plsc = csi.PLS(reflective(model))
    moderated = ModeratedPLS(model, [Interaction("PQ", "EXP")])
    ecsi = csi.template("ecsi")
    hoc_model = csi.Questionnaire.build(
        constructs=[csi.construct(c, ecsi.constructs[c].item_ids) for c in ecsi.construct_ids if c != "SAT"],
        paths=[],
    )
    hoc = HigherOrderPLS(hoc_model, [HigherOrder("SAT", ("IMG", "PV"))],
                         paths=[("EXP", "SAT"), ("PQ", "SAT"), ("SAT", "COMP"), ("SAT", "LOY")])
    plain_fit, mod_fit, hoc_fit = plain.fit(mobi), moderated.fit(mobi), hoc.fit(mobi)
    boot_hoc = getattr(__import__("csi_survey.higher_order", fromlist=["x"]), "bootstrap_higher_order", None)

    fits = {
        "plain PLS fit (baseline)": lambda: plain.fit(mobi),
        "PLSc fit (every construct reflective)": lambda: plsc.fit(mobi),
        "moderated fit (PQ×EXP, two-stage)": lambda: moderated.fit(mobi),
        "higher-order fit (two-stage)": lambda: hoc.fit(mobi),
    }
    boots = {
        "plain bootstrap 1,000 (baseline)": lambda: bootstrap(plain_fit, mobi, resamples=1000, seed=1, n_jobs=1),
        "moderated bootstrap 1,000": lambda: bootstrap_moderation(mod_fit, mobi, resamples=1000, seed=1),
        "test of exact fit, 1,000 resamples": lambda: overall_fit_test(plain_fit, mobi, resamples=1000, seed=1),
        "PLSpredict leave-one-out (n = 250)": lambda: plspredict(plain, mobi, folds="loo"),
        "PLSpredict 10-fold × 10": lambda: plspredict(plain, mobi, folds=10, repetitions=10, seed=1),
    }
    if boot_hoc is not None:
        boots["higher-order bootstrap 1,000"] = lambda: boot_hoc(hoc_fit, mobi, resamples=1000, seed=1)
    for fn in [*fits.values(), *boots.values()]:  # warm-up
        fn()
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in [*fits, *boots]}
    names = list(results)
    calls = {**fits, **boots}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            if name in fits:  # one fit is too short to time alone: 50 in a row
                w, c = timed(lambda f=calls[name]: [f() for _ in range(50)])
                results[name].append((w / 50, c / 50))
            else:
                results[name].append(timed(calls[name]))
    print(f"mobi n = {len(mobi)}, {args.rounds} alternating rounds, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"numpy {np.__version__}, csi-survey {csi.__version__}")
    print("| work | wall, median (min–max) | CPU, median | ratio to baseline (wall medians) |")
    print("|---|---|---|---|")
    for group, baseline in ((fits, "plain PLS fit (baseline)"), (boots, "plain bootstrap 1,000 (baseline)")):
        base = float(np.median([w for w, _ in results[baseline]]))
        for name in group:
            wall = np.array([w for w, _ in results[name]])
            cpu = np.array([c for _, c in results[name]])
            unit, scale = ("ms", 1e3) if group is fits else ("s", 1.0)
            print(f"| {name} | {np.median(wall) * scale:.3g} {unit} ({wall.min() * scale:.3g}–{wall.max() * scale:.3g}) | "
                  f"{np.median(cpu) * scale:.3g} {unit} | {np.median(wall) / base:.2f} |")


if __name__ == "__main__":
    main()
