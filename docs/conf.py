"""Sphinx configuration: `python -m sphinx -W --keep-going -b html docs docs/_build/html` builds the site."""

from __future__ import annotations

import csi_survey

project = "csi-survey"
author = "csi-survey developers"
release = version = csi_survey.__version__
copyright = "2026, csi-survey developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build", "README.md", "_generated", "_ext"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference from the docstrings (numpy style). Type hints stay out of the signatures: without
# network access the pandas/numpy inventories cannot be fetched, so they would be unresolvable.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True  # "Attributes" sections as fields: no duplicate entries beside autodoc's


def _write_cli_reference() -> None:
    """docs/cli.md from the typer app itself, so the reference always matches ``--help``."""
    from pathlib import Path

    from csi_survey.cli import cli_reference

    Path(__file__).with_name("cli.md").write_text(cli_reference(), encoding="utf-8")


def _write_error_catalog() -> None:
    """docs/_generated/errors.md: every error the package can raise, from the source."""
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    sys.path.insert(0, str(here / "_ext"))
    from error_catalog import collect, render

    out = here / "_generated"
    out.mkdir(exist_ok=True)
    (out / "errors.md").write_text(render(collect(here.parent / "src" / "csi_survey")), encoding="utf-8")


_write_cli_reference()
_write_error_catalog()

html_theme = "furo"
html_title = f"csi-survey {release}"
html_static_path: list[str] = []
