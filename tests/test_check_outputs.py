"""tools/check_outputs.py tells identical outputs, stamp-only differences and real differences apart."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_outputs", ROOT / "tools" / "check_outputs.py")
check_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_outputs)


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_identical_and_stamp_only_folders_pass(tmp_path, capsys):
    old = _write(tmp_path / "old", {"run/index.csv": "construct,index\nSAT,68.6\n",
                                    "run/run.json": json.dumps({"version": "0.1.0", "seconds": 3.2, "n": 502})})
    new = _write(tmp_path / "new", {"run/index.csv": "construct,index\nSAT,68.6\n",
                                    "run/run.json": json.dumps({"version": "0.2.0", "seconds": 2.9, "n": 502})})
    assert check_outputs.compare(old, new) == 0
    out = capsys.readouterr().out
    assert "stamps only" in out and "run/run.json" in out and "1 identical" in out


def test_a_changed_number_or_a_missing_file_fails(tmp_path, capsys):
    old = _write(tmp_path / "old", {"run/index.csv": "construct,index\nSAT,68.6\n", "run/paths.csv": "a\n"})
    new = _write(tmp_path / "new", {"run/index.csv": "construct,index\nSAT,68.7\n"})
    assert check_outputs.compare(old, new) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and "68.6" in out and "68.7" in out
    assert "MISSING" in out and "run/paths.csv" in out
