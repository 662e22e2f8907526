"""Every Python example in README.md and docs/ runs, so the docs cannot drift from behaviour."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _documents():
    for path in DOCS:
        blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
        if blocks:
            yield pytest.param(path, blocks, id=path.name)


@pytest.mark.parametrize("path, blocks", list(_documents()))
def test_python_examples_in_the_docs_run(path, blocks, tmp_path, monkeypatch):
    """Each page's Python blocks run in order in one namespace, as a reader would run them."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for k, code in enumerate(blocks):
        try:
            exec(compile(code, f"<{path.name} block {k + 1}>", "exec"), namespace)  # noqa: S102 - our own documentation
        except Exception as exc:  # pragma: no cover - the message says which block broke
            pytest.fail(f"{path.name}, Python block {k + 1} failed: {type(exc).__name__}: {exc}")


def test_the_readme_starts_with_the_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    assert "pip install -e ." in first_block[0] and "csi-survey run examples/" in first_block[0]
    assert first_block[1] == "bash .ci/run"  # the test set-up (system packages, extras) and the test command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest" in ci and "pip install" in ci and "chromium" in ci


def test_the_docs_build_in_strict_mode(tmp_path):
    """`python -m sphinx -W --keep-going -b html docs OUT`: broken links or missing references fail."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "html" / "index.html").exists() and (tmp_path / "html" / "tutorial.html").exists()


def test_the_cli_reference_matches_the_app():
    from csi_survey.cli import cli_reference

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference(), "run the docs build to regenerate docs/cli.md"


def test_the_error_catalog_lists_every_error_class_raised():
    import sys

    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    from error_catalog import collect

    rows = collect(ROOT / "src" / "csi_survey")
    raised = {r["error"] for r in rows}
    assert {"SpecError", "InputFileError", "DataValidationError", "EstimationError", "ConvergenceError",
            "SingularMatrixError", "ReportError", "SettingsError"} <= raised
    assert len(rows) > 100 and all(r["message"] for r in rows)


CONSOLE = re.compile(r"```(?:console|sh)\n(.*?)```", re.S)


def _console_examples():
    for path in DOCS:
        if path.name == "cli.md":  # generated usage synopses, not examples
            continue
        for block in CONSOLE.findall(path.read_text(encoding="utf-8")):
            lines = block.replace("\\\n", " ").splitlines()  # join lines continued with a backslash
            for line in lines:
                line = line.strip()
                if line.startswith("$ csi-survey "):
                    yield pytest.param(line[2:], id=f"{path.name}: {line[2:60]}")


@pytest.mark.parametrize("command", list(_console_examples()))
def test_console_examples_in_the_docs_run(command, tmp_path, monkeypatch):
    """Every `$ csi-survey …` example of the docs runs and succeeds (the CLI as a reader would type it)."""
    import shlex

    from typer.testing import CliRunner

    from csi_survey.cli import app

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{command}\\n{result.output[-2000:]}"
