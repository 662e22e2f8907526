"""Run every example job and compare its output files with an earlier run's.

Used to show that a refactoring changes no output: run it once on the old commit and once on
the new one, then compare the two folders.

    python tools/check_outputs.py produce OUT_DIR        # every example job, outputs under OUT_DIR
    python tools/check_outputs.py compare OLD_DIR NEW_DIR

`produce` runs the CLI in a subprocess of this interpreter (set PYTHONPATH to the source tree
to test), each job into its own folder, and keeps what each command printed. `compare` says for
every file whether it is byte-identical, identical apart from run times and version stamps, or
different (with the first differing line), and exits 1 if any file differs or is missing.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
M = EX / "methods"

# job name -> (arguments of csi-survey, working-directory setup)
JOBS: dict[str, list[str]] = {
    "run": ["run", str(EX / "acsi_retail.xlsx"), "--model", str(EX / "acsi_retail.yaml"), "--out", "{out}",
            "--on-invalid", "exclude", "--seed", "1"],
    "run_segment": ["run", str(EX / "acsi_retail.xlsx"), "--model", str(EX / "acsi_retail.yaml"), "--out", "{out}",
                    "--on-invalid", "exclude", "--segment", "region", "--seed", "1"],
    "run_zh_wave": ["run", str(EX / "acsi_retail_zh.csv"), "--model", str(EX / "acsi_retail_zh.yaml"), "--out", "{out}",
                    "--on-invalid", "exclude", "--segment", "区域", "--wave", "渠道", "--seed", "2", "--lang", "zh"],
    "run_cbsem": ["run", str(EX / "acsi_retail.xlsx"), "--model", str(EX / "acsi_retail.yaml"), "--out", "{out}",
                  "--on-invalid", "exclude", "--engine", "cbsem", "--bootstrap", "0", "--seed", "1"],
    "compare": ["compare", str(EX / "acsi_retail.xlsx"), "--model", str(EX / "acsi_retail.yaml"), "--out", "{out}",
                "--on-invalid", "exclude"],
    "batch": ["batch", "{batch}/config.yaml", "--workers", "1", "--reports"],
    "scorecard": ["scorecard", str(M / "scorecard_config.yaml"), "--out", "{out}"],
    "ahp": ["ahp", str(M / "ahp_criteria.yaml"), "--out", "{out}"],
    "ahp_tree": ["ahp", str(M / "ahp_pharmacy.csv"), "--out", "{out}"],
    "kano": ["kano", str(M / "kano_retail_service.csv"), "--spec", str(M / "kano_retail_service.yaml"), "--out", "{out}"],
    "plan": ["plan", "--margin", "2", "--nps-margin", "10", "--pilot", str(M / "sampling_pilot.csv"),
             "--pilot-column", "csi_score", "--nps-column", "nps_recommend", "--frame", str(M / "sampling_clients.csv"),
             "--stratum-column", "chain", "--minimum", "5", "--achieved", str(M / "sampling_fieldwork.csv"), "--out", "{out}"],
    "retention": ["retention", str(M / "retention_orders.csv"), "--customer", "retailer_id", "--period", "quarter",
                  "--k", "4", "--care", str(M / "retention_care.csv"), "--reached", "是否关怀", "--before", "满意度_前",
                  "--after", "满意度_后", "--out", "{out}"],
}
# jobs run after the others on their output: re-render the reports of a run folder
RERENDER = {"report_rerender": ("run_segment", ["report", "{src}", "--lang", "zh"])}

CLI = "import sys; from csi_survey.cli import main; sys.argv[0] = 'csi-survey'; main()"


def _call(args: list[str], log: Path, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd, capture_output=True, text=True,
                          env={**__import__("os").environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"})
    log.write_text(f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}", encoding="utf-8")


def produce(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=False)
    logs = out / "_logs"
    logs.mkdir()
    for name, args in JOBS.items():
        target = out / name
        batch = out / "_batch_input"
        if name == "batch":
            shutil.copytree(EX / "batch", batch, ignore=shutil.ignore_patterns("out", "*.py", "README.md"))
        argv = [a.format(out=target, batch=batch) for a in args]
        _call(argv, logs / f"{name}.txt", out)
        if name == "batch":
            shutil.move(str(batch / "out"), str(target))
            shutil.rmtree(batch)
    for name, (source, args) in RERENDER.items():
        target = out / name
        shutil.copytree(out / source, target)
        _call([a.format(src=target) for a in args], logs / f"{name}.txt", out)


# ---------------------------------------------------------------------- comparing
_STAMPS = [
    (re.compile(rb'"(version|csi_survey|created|started|finished|elapsed_seconds|seconds|python|numpy|pandas|scipy|semopy|time|timestamp|duration)[a-z_]*": ?"?[^,\n}]*'), rb'"\1": STAMP'),
    (re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>"), rb"<dcterms:\1>STAMP</dcterms:\1>"),
    (re.compile(rb"csi-survey \d+\.\d+\.\d+\S*"), b"csi-survey VERSION"),
    (re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?"), b"DATETIME"),
    (re.compile(rb"\b\d+(\.\d+)? ?s\b"), b"SECONDS"),
    (re.compile(rb"'[0-9a-f]{32}'"), b"'RUN_ID'"),  # the history store's run id
]


def _normalize(data: bytes) -> bytes:
    for pattern, repl in _STAMPS:
        data = pattern.sub(repl, data)
    return data


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _sqlite_dump(path: Path) -> bytes:
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump()).encode()
    finally:
        con.close()


def _first_diff(a: bytes, b: bytes) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for k, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {k + 1}: {x[:160]!r} != {y[:160]!r}"
    return f"lengths {len(la)} != {len(lb)} lines"


def _compare_file(a: Path, b: Path, roots: tuple[Path, Path]) -> tuple[str, str]:
    da, db = a.read_bytes(), b.read_bytes()
    if a.suffix in {".txt", ".json"}:  # what a command printed and the manifest name the output folder
        da = da.replace(str(roots[0]).encode(), b"OUT")
        db = db.replace(str(roots[1]).encode(), b"OUT")
    if da == db:
        return "identical", ""
    if a.suffix in {".xlsx", ".zip"}:
        ma, mb = _members(a), _members(b)
        if set(ma) != set(mb):
            return "DIFFERENT", f"members {sorted(set(ma) ^ set(mb))}"
        worst = "identical"
        for n in ma:
            if ma[n] != mb[n]:
                if _normalize(ma[n]) != _normalize(mb[n]):
                    return "DIFFERENT", f"{n}: {_first_diff(ma[n], mb[n])}"
                worst = "stamps only"
        return ("identical" if worst == "identical" else "stamps only (zip container)"), ""
    if a.suffix == ".db":
        return ("stamps only (sqlite file)", "") if _normalize(_sqlite_dump(a)) == _normalize(_sqlite_dump(b)) else \
            ("DIFFERENT", _first_diff(_sqlite_dump(a), _sqlite_dump(b)))
    if _normalize(da) == _normalize(db):
        return "stamps only", ""
    return "DIFFERENT", _first_diff(_normalize(da), _normalize(db))


def compare(old: Path, new: Path) -> int:
    files_a = {p.relative_to(old) for p in old.rglob("*") if p.is_file()}
    files_b = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    bad = 0
    counts: dict[str, int] = {}
    for rel in sorted(files_a | files_b, key=str):
        if rel not in files_a or rel not in files_b:
            status, detail = "MISSING", f"only in {'old' if rel in files_a else 'new'}"
        else:
            status, detail = _compare_file(old / rel, new / rel, (old.resolve(), new.resolve()))
        counts[status] = counts.get(status, 0) + 1
        if status not in {"identical"}:
            print(f"{status:28} {rel} {detail}")
        bad += status in {"DIFFERENT", "MISSING"}
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f" ({len(files_a | files_b)} files)")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "produce":
        produce(Path(argv[1]).resolve())
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
