"""The entry point of the ``csi-survey`` console script (and of ``python -m csi_survey``).

Two commands need no argument parsing and no library: ``csi-survey --version`` and
``csi-survey template NAME`` (a built-in template printed as YAML). They are answered here, before
:mod:`csi_survey.cli` loads typer — which builds a pydantic validator for every argument it parses,
about a third of the start-up of a command. Their output is exactly what the typer commands print;
any other command line (including ``template --help`` or an unknown name, which get typer's
messages) goes to :func:`csi_survey.cli.main`.
"""

from __future__ import annotations

import sys

from .version import __version__

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the command line ``argv`` (default ``sys.argv[1:]``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        sys.stdout.write(f"csi-survey {__version__}\n")
        return
    if len(args) == 2 and args[0] == "template":
        from .config import TEMPLATES, template_yaml  # lazy: only this command prints a template (PyYAML)

        if args[1] in TEMPLATES:
            sys.stdout.write(template_yaml(args[1]))
            return
    from .cli import main as cli_main  # lazy: typer, rich and the commands load only for the commands that need them

    cli_main(argv)


if __name__ == "__main__":
    main()
