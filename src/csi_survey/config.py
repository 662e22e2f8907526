"""Reading YAML files: the one reader of every YAML file of csi-survey.

The questionnaire spec (:mod:`csi_survey.schema`), the batch config (:mod:`csi_survey.batch.config`)
and the method configs (AHP, KANO, scorecard) are all read here, so that every one of them gets the
same safety and the same messages:

- ``yaml.SafeLoader`` only (no Python objects), with YAML 1.2 booleans: ``NO``, ``on`` and ``y``
  stay strings (a Norway country code or a "y" answer must not become ``False``/``True``);
- every key becomes a string;
- the line of every entry is kept, so that a problem is reported as ``file.yaml:12
  constructs.PQ.items[1]``; keys given twice are collected as problems, not silently overwritten;
- UTF-8 (with or without BOM), else GBK/GB18030 text (Chinese Windows editors);
- bounded work on any file (a hostile or broken one included), checked before anything is built:
  at most :data:`MAX_YAML_BYTES` (5 MB) of text, nesting at most :data:`MAX_YAML_DEPTH` (64)
  levels deep, and at most :data:`MAX_YAML_NODES` (100,000) values once every alias is expanded.
  Anchors and aliases (``&likert`` … ``*likert``) are allowed, but a "billion laughs" alias bomb —
  a few lines whose aliases expand into billions of values — and a recursive alias (``&a [*a]``)
  are refused by counting the expanded size on the composed node graph (each node counted once,
  memoised) before any Python object is constructed. A spec is a few hundred values; the caps are
  far above any real file and far below what takes noticeable time or memory.

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
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "SafeYamlLoader",
    "read_yaml_text",
    "read_yaml_file",
    "parse_yaml",
    "check_yaml_size",
    "yaml_location",
    "format_path",
    "yaml_lines",
    "stringify_keys",
    "TEMPLATES",
    "template_yaml",
]

#: Built-in model templates: ``csi-survey template NAME`` prints one, :func:`csi_survey.schema.template` builds one.
TEMPLATES = ("acsi", "ecsi", "ccsi")


#: Largest YAML file (or text) read, in bytes (characters for text): 5 MB. A spec or config is a few kB.
MAX_YAML_BYTES = 5 * 1024 * 1024
#: Deepest nesting of mappings and sequences (counted with aliases expanded). A spec nests about 6 deep.
MAX_YAML_DEPTH = 64
#: Most values (mappings, sequences, keys and scalars) in a document once every alias is expanded.
MAX_YAML_NODES = 100_000


class _YamlTooLarge(Exception):
    """Raised inside the composer when the nesting is deeper than :data:`MAX_YAML_DEPTH`."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(line)


class SafeYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans (only ``true``/``false`` in any case are booleans),
    refusing nesting deeper than :data:`MAX_YAML_DEPTH` while composing (PyYAML's composer recurses:
    a file of 100,000 ``[`` would otherwise end in a ``RecursionError``)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _YamlTooLarge(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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
    size = Path(path).stat().st_size
    if size > MAX_YAML_BYTES:
        raise error(
            f"The {what} is too large to be a YAML {what}",
            [{"location": Path(path).name, "problem": f"{size:,} bytes; at most {MAX_YAML_BYTES:,} bytes (5 MB) are read"}],
            hint=f"pass the {what} itself (a {what} is a few kB of YAML), not a data file.",
        )
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
    if len(text) > MAX_YAML_BYTES:
        raise error(
            f"The {what} is too large to be a YAML {what}",
            [{"location": source, "problem": f"{len(text):,} characters; at most {MAX_YAML_BYTES:,} (5 MB) are read"}],
            hint=f"pass the {what} itself (a {what} is a few kB of YAML), not a data file.",
        )
    loader = None
    try:
        loader = SafeYamlLoader(text)  # the reader refuses characters YAML forbids (NUL …) here
        try:
            node = loader.get_single_node()
        except _YamlTooLarge as exc:
            raise _bound_error(error, what, f"{source}:{exc.line}",
                               f"nested more than {MAX_YAML_DEPTH} levels deep") from None
        if node is None:
            raise error(f"The {what} is empty", [{"location": source, "problem": "no YAML content"}])
        check_yaml_size(node, source, what, error=error)
        lines: dict[tuple, int] = {}
        dups: list[tuple[tuple, str]] = []
        yaml_lines(node, (), lines, dups)
        try:
            data = loader.construct_document(node)
        except (ValueError, TypeError, OverflowError, IndexError, AttributeError, KeyError) as exc:
            # PyYAML's constructors raise these for a date 2026-13-45, `!!int abc`, an empty `!!float`
            where, problem = _bad_scalar(node, source, exc)
            raise error(
                f"The {what} holds a value YAML cannot read",
                [{"location": where, "problem": problem}],
                hint="quote the value ('2026-13-45') to keep it as text, or correct it; drop the !!tag.",
            ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, most control characters)
        raise error(
            f"The {what} is not valid YAML",
            [{"location": source, "problem": f"character {_char(exc.character)} at position {exc.position} is not allowed in YAML"}],
            hint="remove the character (a stray control character, often from copying text) and save the file again.",
        ) from None
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
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise error(
            f"The {what} is not a mapping",
            [{"location": source, "problem": f"expected {expected}, got {type(data).__name__}"}],
        )
    return stringify_keys(data), lines, dups


def _bad_scalar(root: yaml.Node, source: str, exc: Exception) -> tuple[str, str]:
    """The location and problem of the first scalar below ``root`` that YAML cannot build (the
    document passed :func:`check_yaml_size`: a bounded walk)."""
    builder = SafeYamlLoader("")
    seen: set[int] = set()
    stack = [root]
    try:
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                try:
                    builder.construct_object(node)
                except (ValueError, TypeError, OverflowError, IndexError, AttributeError, KeyError, yaml.YAMLError):
                    kind = node.tag.rsplit(":", 1)[-1]
                    return (f"{source}:{node.start_mark.line + 1}",
                            f"{node.value!r} is not a valid {kind} (a date-like value or a value with a !!{kind} tag)")
            stack.extend(reversed(_children(node)))
    finally:
        builder.dispose()
    return source, f"a value cannot be built ({type(exc).__name__})"


def _char(character: Any) -> str:
    return f"U+{character:04X}" if isinstance(character, int) else repr(character)


def _bound_error(error: type[SpecError], what: str, where: str, problem: str) -> SpecError:
    return error(
        f"The {what} is too large or too deeply nested to read",
        [{"location": where, "problem": problem}],
        hint=(f"a {what} is a few hundred values: write the entries out, or use fewer anchors and aliases "
              f"(&name … *name); at most {MAX_YAML_NODES:,} values with every alias expanded, "
              f"nested at most {MAX_YAML_DEPTH} levels, are read."),
    )


def check_yaml_size(node: yaml.Node, source: str, what: str = "model file", *,
                    error: type[SpecError] = SpecError) -> tuple[int, int]:
    """``(values, depth)`` of the composed document ``node`` with every alias expanded; raises
    ``error`` when there are more than :data:`MAX_YAML_NODES` values, the nesting (through aliases)
    is deeper than :data:`MAX_YAML_DEPTH`, or an alias refers to a node that contains it.

    PyYAML's composer makes an alias the *same* node object as its anchor, so a "billion laughs"
    document is a small graph whose expansion (what construction and every later walk produce)
    is exponential. The expanded size of each node is computed once (memoised by node identity),
    iteratively, so the check itself costs one visit per distinct node.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if done:
            kids = _children(current)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            active.discard(key)
            line = current.start_mark.line + 1
            if size[key] > MAX_YAML_NODES:
                raise _bound_error(error, what, f"{source}:{line}",
                                   f"more than {MAX_YAML_NODES:,} values once the aliases (*name) are expanded "
                                   "(an alias bomb?)")
            if depth[key] > MAX_YAML_DEPTH:
                raise _bound_error(error, what, f"{source}:{line}",
                                   f"nested more than {MAX_YAML_DEPTH} levels deep once the aliases are expanded")
            continue
        if key in size:
            continue
        if key in active:
            raise _bound_error(error, what, f"{source}:{current.start_mark.line + 1}",
                               "an alias (*name) refers to a value that contains it (a recursive alias)")
        active.add(key)
        stack.append((current, True))
        for kid in _children(current):
            if id(kid) not in size:
                if id(kid) in active:
                    raise _bound_error(error, what, f"{source}:{kid.start_mark.line + 1}",
                                       "an alias (*name) refers to a value that contains it (a recursive alias)")
                stack.append((kid, False))
    return size[id(node)], depth[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
