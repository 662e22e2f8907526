"""The library's own sentences in Chinese: error messages and their hints, warnings, exclusion
reasons, run notes and engine descriptions.

The library words every message in English where it is raised (one sentence with its numbers,
names and places filled in). This catalogue pairs each *English template* with its Chinese one, as
gettext pairs a ``msgid`` with its translation: ``{name}`` fields stand for the parts filled in
(a file name, a column, a count). :func:`translate` finds the template that matches an English
sentence and fills the Chinese template with the same parts:

>>> translate("zh", "every respondent was excluded")
'所有受访者均被排除'
>>> translate("en", "anything")
'anything'

A sentence no template matches stays in English (a message is never lost), and so does every part
of a sentence that is a name or a value from the user's files.

How a text is matched, in order:

1. the whole text, exactly;
2. else sentence by sentence (split after ". " and "; "): each exactly, then as a template
   (``{name}`` matches any text, shortest first; a field named ``{n}``, ``{k}`` … or ending in
   ``_n`` matches a number only).

Fields whose value is itself a catalogued sentence (e.g. a nested reason) are translated too.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PHRASES", "translate", "translate_lines", "template_pattern"]

#: English template → Chinese template. Keys are the library's sentences as raised; add a pair
#: when a message is added (the test ``tests/test_i18n_phrases.py`` lists the ones users meet most).
PHRASES: dict[str, str] = {
    "every respondent was excluded": "所有受访者均被排除",
}

#: Field names that match a number only (so that "{n} rows" cannot swallow words).
_NUMERIC_FIELDS = re.compile(r"^(n|k|m|count|rows?|cols?|columns?|cells?|total|used|resamples|limit|size|value_n|\w+_n)$")
_NUMBER = r"-?[0-9][0-9,._]*(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_FIELD = re.compile(r"\{(\w+)\}")
_SPLIT = re.compile(r"(?<=[.;])\s+(?=\S)")


def template_pattern(template: str) -> re.Pattern[str]:
    """The regular expression of an English template: literal text, each ``{name}`` a named group."""
    parts: list[str] = []
    seen: set[str] = set()
    pos = 0
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>{_NUMBER})" if _NUMERIC_FIELDS.match(name) else f"(?P<{name}>.+?)")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    # longer (more specific) templates first, so that "{x} rows excluded" wins over "{x}"
    items = sorted(PHRASES.items(), key=lambda kv: -len(_FIELD.sub("", kv[0])))
    return tuple((template_pattern(en), zh) for en, zh in items if "{" in en)


def _one(text: str, depth: int) -> str | None:
    """The Chinese of one whole sentence, or None when no template matches it."""
    stripped = text.strip()
    if not stripped:
        return text
    end = ""
    if stripped[-1] == "." and stripped[:-1] in PHRASES:
        stripped, end = stripped[:-1], "。"
    if stripped in PHRASES:
        return PHRASES[stripped] + end
    core = stripped[:-1] if stripped[-1] in ".;" else stripped
    end = {".": "。", ";": "；"}.get(stripped[-1], "")
    if core in PHRASES:
        return PHRASES[core] + end
    for pattern, zh in _compiled():
        m = pattern.match(core)
        if m:
            fields = {k: (translate("zh", v, depth + 1) if depth < 2 else v) for k, v in m.groupdict().items()}
            return zh.format(**fields) + end
    return None


def translate(lang: str, text: str, depth: int = 0) -> str:
    """``text`` (an English sentence or several) in ``lang``: unchanged for English; for Chinese the
    catalogued translation, sentence by sentence, any sentence without one kept in English."""
    if lang == "en" or not text:
        return text
    if text.strip() in PHRASES:
        return PHRASES[text.strip()]
    pieces = _SPLIT.split(text)
    if len(pieces) == 1:
        whole = _one(text, depth)
        return text if whole is None else whole
    out = []
    for piece in pieces:
        done = _one(piece, depth)
        out.append(piece if done is None else done)
    # Chinese sentences end in full-width punctuation: no space after them
    joined = ""
    for piece in out:
        if joined and not joined.endswith(("。", "；", "：")):
            joined += " "
        joined += piece
    return joined


def translate_lines(lang: str, lines: list[str]) -> list[str]:
    """:func:`translate` applied to each line of ``lines``."""
    return [translate(lang, line) for line in lines]
