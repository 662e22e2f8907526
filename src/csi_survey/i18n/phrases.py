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
>>> print(translate("zh", "invalid value 'abc' in pq_custom (not a number); 12 in sat_ideal (out of range 1–10)"))
无效答案：pq_custom 中的 'abc'（不是数字）；sat_ideal 中的 12（超出量表范围 1–10）

A sentence no template matches stays in English (a message is never lost), and so does every part
of a sentence that is a name or a value from the user's files. The pairs live in
:mod:`csi_survey.i18n.phrases_catalogue` (:data:`PHRASES`).

How a text is matched, in order:

1. the whole text, exactly, then as a template (``{name}`` matches any text without a line break
   and without "; ", shortest first; a field named ``{n}``, ``{k}``, ``{m}``, ``{row}``, ``{cells}`` … or
   ending in ``_n`` matches a number only; a field whose name starts with ``all_`` matches any text);
2. else line by line (a message with an indented list), each line keeping its indentation;
3. else sentence by sentence (split after ". " and "; " outside brackets), each as in 1.

Fields whose value is itself a catalogued sentence (a nested reason, a list of reasons) are
translated too. A final full stop or semicolon becomes its full-width form (。；).

:func:`localize_error` renders a whole :class:`~csi_survey.exceptions.CsiSurveyError` in a
language: the message, its table of problems (Chinese headers, every ``problem`` cell translated)
and the "How to fix" line; in English it is ``str(error)``, byte for byte.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..exceptions import MAX_ROWS_IN_MESSAGE, render_table
from .console import CLI_TEXTS
from .phrases_catalogue import CATALOGUE

__all__ = ["PHRASES", "translate", "translate_lines", "template_pattern", "localize_error", "TABLE_HEADERS"]

#: English template → Chinese template. Keys are the library's sentences as raised; add a pair
#: when a message is added (the test ``tests/test_i18n_phrases.py`` lists the ones users meet most).
PHRASES: dict[str, str] = CATALOGUE

#: The column headers of an error's problem table (``SpecError.problems``,
#: ``DataValidationError.failure_cases``) by language.
TABLE_HEADERS: dict[str, dict[str, str]] = {
    "zh": {"location": "位置", "problem": "问题", "row": "行", "respondent_id": "受访者编号", "column": "列",
           "value": "值", "segment": "细分群体", "n": "人数", "status": "状态"},
}

#: The texts around an error's table, by language (English: those of :mod:`csi_survey.exceptions`).
_ERROR_TEXTS: dict[str, dict[str, str]] = {
    "zh": {"head": "{message}（{n} 个问题）：", "more": "  …… 另有 {n} 个问题（完整列表见错误对象）",
           "hint": CLI_TEXTS["zh"]["how_to_fix"]},
}

#: Field names that match a number only (so that "{n} rows" cannot swallow words).
_NUMERIC_FIELDS = re.compile(r"^(n|k|m|count|rows?|cells|total|used|resamples|\w+_n)$")
_NUMBER = r"-?[0-9](?:[0-9,._]*[0-9])?(?:[eE][-+]?[0-9]+)?"
_FIELD = re.compile(r"\{(\w+)\}")
_PLAIN = r"(?:(?!; )[^\n])+?"
_MAX_DEPTH = 4


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
            if _NUMERIC_FIELDS.match(name):
                parts.append(f"(?P<{name}>{_NUMBER})")
            elif name.startswith("all_"):
                parts.append(f"(?P<{name}>.+?)")
            else:
                parts.append(f"(?P<{name}>{_PLAIN})")
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    # longer (more specific) templates first, so that "{x} rows excluded" wins over "{x}"
    items = sorted(PHRASES.items(), key=lambda kv: -len(_FIELD.sub("", kv[0])))
    return tuple((template_pattern(en), zh) for en, zh in items if _FIELD.search(en))


def _fill(zh: str, fields: dict[str, str]) -> str:
    """The Chinese template with its ``{name}`` fields filled in (other braces kept as they are)."""
    return _FIELD.sub(lambda m: fields.get(m.group(1), m.group(0)), zh)


def _one(text: str, depth: int) -> str | None:
    """The Chinese of one whole sentence (its indentation kept), or None when no template matches it."""
    stripped = text.strip()
    if not stripped:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    if stripped in PHRASES:
        return lead + PHRASES[stripped]
    end = {".": "。", ";": "；"}.get(stripped[-1], "")
    core = stripped[:-1] if end else stripped
    if end and core in PHRASES:
        return lead + PHRASES[core] + end
    for pattern, zh in _compiled():
        m = pattern.match(stripped) or (pattern.match(core) if end else None)
        if m:
            tail = end if m.string is core and end else ""
            fields = {k: (translate("zh", v, depth + 1) if depth < _MAX_DEPTH else v) for k, v in m.groupdict().items()}
            return lead + _fill(zh, fields) + tail
    return None


def _sentences(text: str) -> list[str]:
    """``text`` cut after ". " and "; " outside round and square brackets and quotes."""
    pieces: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and (i == 0 or not text[i - 1].isalnum()):
            quote = ch  # a quoted name ('don't' has a letter before its apostrophe: no quote)
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in ".;" and depth == 0 and text[i + 1: i + 2] == " " and text[i + 2: i + 3].strip():
            pieces.append(text[start: i + 1])
            start = i + 2
            i += 1
        i += 1
    pieces.append(text[start:])
    return pieces


def translate(lang: str, text: str, depth: int = 0) -> str:
    """``text`` (an English sentence or several) in ``lang``: unchanged for English; for Chinese the
    catalogued translation, sentence by sentence, any sentence without one kept in English."""
    if lang == "en" or not text:
        return text
    if depth == 0:
        return _translate_zh(text)
    return _translate(text, depth)


@lru_cache(maxsize=65_536)
def _translate_zh(text: str) -> str:
    """:func:`translate` of a whole text, cached: reasons and problem cells repeat across respondents."""
    return _translate(text, 0)


def _translate(text: str, depth: int) -> str:
    lang = "zh"
    whole = _one(text, depth)
    if whole is not None:
        return whole
    if "\n" in text:
        return "\n".join(translate(lang, line, depth) for line in text.split("\n"))
    pieces = _sentences(text)
    if len(pieces) == 1:
        return text
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


def _problem_table(exc: Any) -> Any:
    """The table of problems of an error (``SpecError.problems``, ``DataValidationError.failure_cases``), or None."""
    for attribute in ("problems", "failure_cases"):
        table = getattr(exc, attribute, None)
        if table is not None and hasattr(table, "columns"):
            return table
    return None


def localize_error(lang: str, exc: BaseException) -> str:
    """The full text of ``exc`` in ``lang``, as ``str(exc)`` words it in English.

    For Chinese: the message translated (:func:`translate`), the table of problems of a
    :class:`~csi_survey.exceptions.SpecError` / :class:`~csi_survey.exceptions.DataValidationError`
    with Chinese headers (位置/问题, 行/受访者编号/列/值/问题) and each ``problem`` cell translated,
    and the hint on a line of its own after "解决方法：". Names and values from the user's files
    are kept as they are.

    >>> from csi_survey.exceptions import InputFileError
    >>> error = InputFileError("x.csv has a header but no data rows", hint="check that you exported the responses (and chose the right sheet with --sheet).")
    >>> localize_error("en", error) == str(error)
    True
    >>> print(localize_error("zh", error))
    x.csv 只有表头，没有数据行
    解决方法：请确认导出的是答卷数据（并用 --sheet 选对了工作表）。
    """
    if lang == "en" or lang not in _ERROR_TEXTS:
        return str(exc)
    words = _ERROR_TEXTS[lang]
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        return translate(lang, str(exc))
    text = translate(lang, message)
    table = _problem_table(exc)
    if table is not None:
        shown = table.head(MAX_ROWS_IN_MESSAGE).astype(str)
        if "problem" in shown.columns:
            cache: dict[str, str] = {}
            shown["problem"] = [cache.setdefault(p, translate(lang, p)) for p in shown["problem"]]
        shown = shown.rename(columns=TABLE_HEADERS.get(lang, {}))
        text = words["head"].format(message=text, n=len(table)) + "\n" + render_table(shown, max_rows=MAX_ROWS_IN_MESSAGE)
        if len(table) > MAX_ROWS_IN_MESSAGE:
            text += "\n" + words["more"].format(n=len(table) - MAX_ROWS_IN_MESSAGE)
    hint = getattr(exc, "hint", None)
    if hint:
        text += "\n" + words["hint"] + translate(lang, str(hint))
    return text
