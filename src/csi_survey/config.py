"""Reading YAML files: the one reader of every YAML file of csi-survey.

The questionnaire spec (:mod:`csi_survey.schema`), the batch config (:mod:`csi_survey.batch.config`)
and the method configs (AHP, KANO, scorecard) are all read here, so that every one of them gets the
same safety and the same messages:

- ``yaml.SafeLoader`` only (no Python objects), with YAML 1.2 booleans: ``NO``, ``on`` and ``y``
  stay strings (a Norway country code or a "y" answer must not become ``False``/``True``);
- every key becomes a string;
- the line of every entry is kept, so that a problem is reported as ``file.yaml:12
  constructs.PQ.items[1]``; keys given twice are collected as problems, not silently overwritten;
- UTF-8 (with or without BOM), else GBK/GB18030 text (Chinese Windows editors).

Nothing here knows what a spec or config holds: validation stays with the caller. The texts of the
built-in templates are read here too (:func:`template_yaml`), so that ``csi-survey template`` prints
one without loading the spec model (pydantic, numpy).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .exceptions import SpecError

__all__ = [
    "SafeYamlLoader",
    "read_yaml_text",
    "read_yaml_file",
    "parse_yaml",
    "yaml_location",
    "format_path",
    "yaml_lines",
    "stringify_keys",
    "TEMPLATES",
    "template_yaml",
]

#: Built-in model templates: ``csi-survey template NAME`` prints one, :func:`csi_survey.schema.template` builds one.
TEMPLATES = ("acsi", "ecsi", "ccsi")


class SafeYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans (only ``true``/``false`` in any case are booleans)."""


SafeYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml_text(path: Path, what: str, *, error: type[SpecError] = SpecError) -> str:
    """The text of a YAML file: UTF-8 (with or without BOM), else GBK/GB18030 (Chinese Windows).

    Raises ``error`` (a :class:`~csi_survey.exceptions.SpecError` by default) naming ``what`` when
    the bytes are neither.
    """
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise error(
                f"The {what} is not text",
                [{"location": Path(path).name, "problem": "neither UTF-8 nor GBK/GB18030 text"}],
                hint="save the YAML file as UTF-8.",
            ) from None


def parse_yaml(
    text: str, source: str, what: str = "model file", *, error: type[SpecError] = SpecError,
    expected: str = "a mapping of keys and values",
) -> tuple[Any, dict[tuple, int], list[tuple[tuple, str]]]:
    """Parse YAML (YAML 1.2 booleans, safe) and keep the line of every entry, for messages.

    Returns ``(data, lines, duplicates)``: ``lines`` maps a path in the document (``("constructs",
    "PQ", "items", 1)``) to its line; ``duplicates`` lists keys given twice as ``(path, message)``.
    Raises ``error`` (a :class:`~csi_survey.exceptions.SpecError` by default; naming ``what`` and
    the line) for invalid or empty YAML, or when the document is not a mapping (saying it
    ``expected`` something else).
    """
    loader = SafeYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise error(f"The {what} is empty", [{"location": source, "problem": "no YAML content"}])
        lines: dict[tuple, int] = {}
        dups: list[tuple[tuple, str]] = []
        yaml_lines(node, (), lines, dups)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(
            f"The {what} is not valid YAML",
            [{"location": where, "problem": problem}],
            hint="check the indentation and the brackets at that line.",
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise error(
            f"The {what} is not a mapping",
            [{"location": source, "problem": f"expected {expected}, got {type(data).__name__}"}],
        )
    return stringify_keys(data), lines, dups


def read_yaml_file(
    path: str | Path, what: str, *, error: type[SpecError] = SpecError, hint: str | None = None,
    expected: str = "a mapping of keys and values",
) -> tuple[Any, dict[tuple, int], list[tuple[tuple, str]], str]:
    """Read and parse a YAML file: ``(data, lines, duplicates, file name)`` (see :func:`parse_yaml`).

    Raises ``error`` naming ``what`` (with ``hint``, when given) when the file does not exist, is
    not text, or is not a YAML mapping (of the keys ``expected``).
    """
    p = Path(path)
    if not p.is_file():
        raise error(
            f"The {what} cannot be read",
            [{"location": str(path), "problem": "no such file" if not p.exists() else "not a file"}],
            **({"hint": hint} if hint else {}),
        )
    data, lines, dups = parse_yaml(read_yaml_text(p, what, error=error), p.name, what, error=error, expected=expected)
    return data, lines, dups, p.name


def yaml_lines(node: yaml.Node, path: tuple, lines: dict, dups: list) -> None:
    """Record the line of every entry below ``node`` in ``lines`` (path → line) and keys given twice
    in ``dups`` (as ``(path, message)``)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                dups.append((path + (key,), f"key {key!r} appears twice (lines {seen[key]} and {line}); ids must be unique"))
            seen[key] = line
            yaml_lines(value_node, path + (key,), lines, dups)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for k, child in enumerate(node.value):
            yaml_lines(child, path + (k,), lines, dups)


def stringify_keys(value: Any) -> Any:
    """``value`` with every mapping key turned into a string (recursively)."""
    if isinstance(value, dict):
        return {str(k): stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify_keys(v) for v in value]
    return value


def format_path(path: Sequence[Any]) -> str:
    """A path in a document as text: ``("constructs", "PQ", "items", 1)`` → ``constructs.PQ.items[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def yaml_location(source: str, lines: dict[tuple, int], path: Sequence[Any]) -> str:
    """``"file.yaml:12 constructs.PQ.items[1]"``: the file, the line of the nearest entry, the path."""
    path = tuple(path)
    line = None
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            line = lines[path[:cut]]
            break
    where = f"{source}:{line}" if (source and line) else source
    return f"{where} {format_path(path)}".strip()


def template_yaml(name: str) -> str:
    """The YAML text of a built-in template (``acsi``, ``ecsi`` or ``ccsi``); a :class:`SpecError` for another name."""
    key = name.lower()
    if key not in TEMPLATES:
        raise SpecError(
            "Unknown template",
            [{"location": "template", "problem": f"{name!r} is not a template; choose one of {', '.join(TEMPLATES)}"}],
        )
    return resources.files("csi_survey").joinpath(f"templates/{key}.yaml").read_text(encoding="utf-8")
