"""Every error csi-survey can raise, collected from the source, for the troubleshooting page.

Each ``raise SomeError(message, hint=…)`` of a csi-survey error class becomes a row: the class,
the message (f-string fields shown as ``{…}``), the fix (the ``hint``) and the module. Generated
at every docs build (docs/conf.py) and checked by the tests, so the page can never miss an error.
"""

from __future__ import annotations

import ast
from pathlib import Path

ERRORS = {
    "CsiSurveyError", "SpecError", "InputFileError", "DataValidationError", "EstimationError",
    "ConvergenceError", "SingularMatrixError", "ReportError", "SettingsError", "StoreError", "TooFewSegmentsError",
}


def _text(node: ast.AST | None) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "{…}"


def collect(src: Path) -> list[dict[str, str]]:
    """Rows (error, message, fix, module) for every raise of a csi-survey error under ``src``."""
    rows = []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(src.parent).with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in ERRORS:
                continue
            message = _text(node.exc.args[0]) if node.exc.args else ""
            hint = next((_text(k.value) for k in node.exc.keywords if k.arg == "hint"), "")
            if not hint and len(node.exc.args) >= 3:
                hint = _text(node.exc.args[2])
            rows.append({"error": name, "message": " ".join(message.split()), "fix": " ".join(hint.split()), "module": module})
    return rows


def render(rows: list[dict[str, str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ") or "—"

    out = ["| error | message | how to fix | where |", "|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["error"], r["module"], r["message"])):
        out.append(f"| `{r['error']}` | {cell(r['message'])} | {cell(r['fix'])} | `{r['module']}` |")
    return "\n".join(out) + "\n"
