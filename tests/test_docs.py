"""Every Python example in README.md and docs/ runs, so the docs cannot drift from behaviour."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks():
    for path in DOCS:
        for k, code in enumerate(BLOCK.findall(path.read_text(encoding="utf-8"))):
            yield pytest.param(code, id=f"{path.name}[{k}]")


@pytest.mark.parametrize("code", list(_blocks()))
def test_python_examples_in_the_docs_run(code, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "<docs>", "exec"), namespace)  # noqa: S102 - our own documentation
    if "fit" in namespace:
        assert namespace["fit"].n > 0


def test_the_readme_starts_with_the_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    assert "pip install -e ." in first_block[0] and "csi-survey run examples/" in first_block[0]
    assert first_block[1] == "bash .ci/run"  # the test set-up (system packages, extras) and the test command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest" in ci and "pip install" in ci and "chromium" in ci
