"""The package's architecture stays as docs/architecture.md describes it.

- the layer order of pyproject.toml's import-linter contract holds (data flows one way);
- no two modules import each other, directly or through others (no import cycle, also inside a layer);
- no module imports another module's private name (what is shared has a public name);
- a function-level import of a package module says why it is lazy (``# lazy: …``, a heavy
  dependency), so that no lazy import hides a cycle;
- modules stay small (at most 1,200 lines);
- docs/architecture.md names every module of the package, and only modules that exist.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "csi_survey"
MAX_LINES = 1200


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[ast.ImportFrom | ast.Import, str, bool]]:
    """Every import of a package module in ``path``: (node, target module, at module level)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "csi_survey":
                target = node.module
            else:
                continue
            out.append((node, target, id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "csi_survey":
                    out.append((node, alias.name, id(node) in top))
    return out


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for node, target, _ in _imports(name, path):
            names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else [""]
            for imported in names:
                full = f"{target}.{imported}" if imported else target
                dest = full if full in MODULES else target
                if dest in MODULES and dest != name:
                    edges[name].add(dest)
    return edges


def test_the_layer_contract_of_pyproject_holds():
    lint = pytest.importorskip("importlinter.cli")
    code = lint.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, "import-linter found an import against the layer order (its report is printed above)"


def test_the_layer_contract_names_every_top_level_room():
    """Every top-level module or package (but the package's __init__) sits in a layer of the contract."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text[text.index("[[tool.importlinter.contracts]]"):]
    layered = set(re.findall(r"csi_survey(?:\.[a-z_0-9]+)+", block))
    rooms = {".".join(m.split(".")[:2]) for m in MODULES if m.count(".") >= 1}
    covered = {r for r in rooms if any(r == x or x.startswith(r + ".") for x in layered)}
    assert rooms - covered == set(), f"modules in no layer of the contract: {sorted(rooms - covered)}"


def test_no_import_cycle():
    edges = _edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            # a package's __init__ re-exports its modules: that is not a cycle of the data flow
            if MODULES[w].name == "__init__.py" or MODULES[v].name == "__init__.py":
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert cycles == [], f"modules that import each other: {cycles}"


def test_no_private_name_is_imported_from_another_module():
    found = []
    for name, path in MODULES.items():
        for node, target, _ in _imports(name, path):
            if not isinstance(node, ast.ImportFrom):
                continue
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and f"{target}.{alias.name}" not in MODULES and target != name:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}.{alias.name}")
    assert found == [], "private names used across modules (give them a public name):\n" + "\n".join(found)


def test_function_level_imports_of_the_package_say_why_they_are_lazy():
    found = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, target, at_top in _imports(name, path):
            if at_top:
                continue
            text = " ".join(lines[node.lineno - 1: node.end_lineno])
            if "# lazy:" not in text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target} inside a function")
    assert found == [], ("import these at module level, or say which heavy dependency makes them lazy "
                         "(a trailing '# lazy: …' comment):\n" + "\n".join(found))


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for p in MODULES.values() if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert big == {}, f"modules over {MAX_LINES} lines (split them by what they hold): {big}"


def test_the_architecture_page_names_every_module_and_only_modules_that_exist():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(csi_survey(?:\.[a-z_0-9]+)*)`", page))
    missing = sorted(m for m in MODULES if m != "csi_survey" and m not in named)
    unknown = sorted(m for m in named if m not in MODULES)
    assert missing == [], f"docs/architecture.md does not describe: {missing}"
    assert unknown == [], f"docs/architecture.md names modules that do not exist: {unknown}"
