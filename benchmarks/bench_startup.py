"""Start-up time of the command line and of the package, beside ``python -c "import pandas"``.

Run by hand (not in the test suite)::

    python benchmarks/bench_startup.py [--rounds 9] [--baseline-src /tmp/head/src] [--no-bytecode-cache]

Every round runs each command once as a separate process, in alternating order (reversed in every
other round), one process at a time; the wall time is measured around the whole process
(``time.perf_counter`` from spawn to exit) and the peak resident set size comes from the kernel's
accounting of the child (``os.wait4``'s ``ru_maxrss``). Commands:

* ``python -c "pass"`` (the interpreter alone) and the baselines ``python -c "import pandas"`` and
  ``python -c "import numpy, pandas"`` (the issue's baseline);
* ``csi-survey --help``, ``csi-survey --version``, ``csi-survey template acsi`` (the console script
  of the environment, run by this interpreter) and ``python -c "import csi_survey"``;
* with ``--baseline-src``, the same four with ``PYTHONPATH`` set to another source tree (e.g. a
  ``git worktree`` of an earlier commit), for a before/after comparison in one session.

Prints a markdown table: median and min–max of the wall time and of the peak RSS over the rounds,
the ratio of the medians to ``import pandas`` and the target of issue 15 (``--help``, ``--version``,
``template``: ≤ 0.5×; ``import csi_survey``: ≤ 1.3×). Processes run with ``OPENBLAS_NUM_THREADS=1``.

Bytecode: the processes run as an installed package does, with compiled bytecode cached. The
cache goes to a temporary ``PYTHONPYCACHEPREFIX`` (written by an untimed warm-up round, so the
source trees stay clean), also where ``PYTHONDONTWRITEBYTECODE`` is set. ``--no-bytecode-cache``
keeps the environment as it is (then, with ``PYTHONDONTWRITEBYTECODE=1``, every process compiles
every module of the package it imports: the more modules a command imports, the more it pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SCRIPT = Path(PYTHON).parent / "csi-survey"

#: The console script's code, for an environment without the installed script.
CONSOLE = "import sys; from csi_survey.cli import main; sys.argv[0] = 'csi-survey'; sys.exit(main())"


def _env(src: str | None, pycache: str | None) -> dict[str, str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["PYTHONPATH"] = src if src else str(ROOT / "src")
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds (spawn to exit) and peak RSS (MiB) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{error[-2000:]}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--baseline-src", default=None, help="another source tree (its src folder) to run beside")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as the environment has it")
    args = parser.parse_args()

    pycache = None if args.no_bytecode_cache else tempfile.mkdtemp(prefix="csi_bench_startup_pycache_")
    cli = [PYTHON, str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-c", CONSOLE]
    base = _env(None, pycache)
    variants: list[tuple[str, list[str], dict[str, str], str]] = [
        ('`python -c "pass"`', [PYTHON, "-c", "pass"], base, ""),
        ('`python -c "import pandas"` (baseline)', [PYTHON, "-c", "import pandas"], base, ""),
        ('`python -c "import numpy, pandas"`', [PYTHON, "-c", "import numpy, pandas"], base, ""),
    ]
    trees = [("", None)] + ([(" [baseline src]", args.baseline_src)] if args.baseline_src else [])
    for tag, src in trees:
        env = _env(src, pycache)
        variants += [
            (f"`csi-survey --help`{tag}", [*cli, "--help"], env, "≤ 0.5×"),
            (f"`csi-survey --version`{tag}", [*cli, "--version"], env, "≤ 0.5×"),
            (f"`csi-survey template acsi`{tag}", [*cli, "template", "acsi"], env, "≤ 0.5×"),
            (f'`python -c "import csi_survey"`{tag}', [PYTHON, "-c", "import csi_survey"], env, "≤ 1.3×"),
        ]

    for _, cmd, env, _ in variants:  # warm the file cache and the bytecode caches; not counted
        timed(cmd, env)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _, _ in variants}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        for name, cmd, env, _ in order:
            results[name].append(timed(cmd, env))
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    if pycache is not None:
        shutil.rmtree(pycache, ignore_errors=True)

    pandas = statistics.median(w for w, _ in results[variants[1][0]])
    print(f"\n{args.rounds} alternating rounds, one process at a time, OPENBLAS_NUM_THREADS=1, nproc {os.cpu_count()}, "
          f"Python {sys.version.split()[0]}, bytecode {'as the environment has it' if pycache is None else 'cached'}\n")
    print("| command | wall s, median (min–max) | peak RSS MiB, median (min–max) | × import pandas | target |")
    print("|---|---|---|---|---|")
    for name, _, _, target in variants:
        walls = [w for w, _ in results[name]]
        mibs = [m for _, m in results[name]]
        print(f"| {name} | {statistics.median(walls):.3f} ({min(walls):.3f}–{max(walls):.3f}) | "
              f"{statistics.median(mibs):.0f} ({min(mibs):.0f}–{max(mibs):.0f}) | "
              f"{statistics.median(walls) / pandas:.2f} | {target} |")


if __name__ == "__main__":
    main()
