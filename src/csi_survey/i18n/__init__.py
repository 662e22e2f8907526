"""Every fixed text of the reports in English and Chinese: one catalogue per report, and how the
language of a report is chosen.

>>> from csi_survey.i18n import text
>>> text("zh", "sec_index")
'指数'
>>> text("en", "impact", step=5)
'Impact (+5 points)'

Catalogues (``{name}`` fields are filled in by :func:`text`):

- :data:`TEXTS`: the HTML report of a run (:mod:`csi_survey.report.html`);
- :data:`OVERVIEW_TEXTS`: the overview of a batch (:mod:`csi_survey.report.overview`);
- :data:`WORKBOOK_TEXTS`: the fixed texts of a run's ``report.xlsx`` and of the batch's
  ``overview.xlsx`` (sheet names, notes, chart titles, Summary field names, column headers;
  :mod:`csi_survey.report.xlsx_charts`), in the language the run recorded (``meta["lang"]``);
- :data:`MEDIATION_TEXTS`: the plain-language sentences of a mediation analysis and the names of the
  types of mediation (:mod:`csi_survey.mediation`, shown by the HTML report);
- :data:`CLI_TEXTS`: the console output of the command line (:mod:`csi_survey.cli`);
- :data:`PHRASES`: the library's own sentences (error messages and hints, warnings, exclusion
  reasons, run notes, engine descriptions), English template → Chinese template, applied by
  :func:`translate` where a text is shown to a Chinese reader; :func:`localize_error` renders a whole
  error (message, problem table, "How to fix" line) in a language.

The texts live in four modules of this package (:mod:`.html`, :mod:`.tables`, :mod:`.console`,
:mod:`.phrases`);
this module is the one way in.

Language: :func:`report_language` (a run: the setting, else Chinese when the model's name or a
construct label has a CJK character) and :func:`detect_lang` (a run bundle: its ``meta["lang"]``,
else Chinese when a construct label has a Chinese character).
"""

from __future__ import annotations

import re
from typing import Any

from .console import CLI_TEXTS
from .html import TEXTS
from .phrases import PHRASES, localize_error, translate, translate_lines
from .tables import MEDIATION_TEXTS, OVERVIEW_TEXTS, WORKBOOK_TEXTS

__all__ = [
    "LANGUAGES",
    "TEXTS",
    "OVERVIEW_TEXTS",
    "WORKBOOK_TEXTS",
    "MEDIATION_TEXTS",
    "CLI_TEXTS",
    "CATALOGUES",
    "texts",
    "text",
    "check_language",
    "has_chinese",
    "detect_lang",
    "report_language",
    "PHRASES",
    "translate",
    "translate_lines",
    "localize_error",
]

#: The languages of the reports.
LANGUAGES = ("en", "zh")


#: Catalogue name → its texts by language.
CATALOGUES: dict[str, dict[str, dict[str, str]]] = {
    "report": TEXTS, "overview": OVERVIEW_TEXTS, "workbook": WORKBOOK_TEXTS, "mediation": MEDIATION_TEXTS,
    "cli": CLI_TEXTS,
}


def texts(lang: str, catalogue: str = "report") -> dict[str, str]:
    """Every text of a catalogue (``"report"``, ``"overview"``, ``"workbook"``, ``"mediation"``, ``"cli"``) in ``lang``."""
    return CATALOGUES[catalogue][lang]


def text(lang: str, key: str, catalogue: str = "report", **fields: Any) -> str:
    """One text of a catalogue in ``lang`` (else the English one, else ``key``), its ``{name}``
    fields filled in from ``fields``; a p value filled in as a bound reads "p < 0.001", not
    "p = < 0.001":

    >>> text("en", "interp_segments_none", label="SAT", column="region", p="< 0.001")[-12:]
    '(p < 0.001).'
    """
    table = CATALOGUES[catalogue]
    value = table.get(lang, {}).get(key, table["en"].get(key, key))
    if not fields:
        return value
    # a p value given as a bound ("< 0.001") after "p = " reads "p < 0.001", in every catalogue text
    return _P_BOUND.sub(r"p \1", value.format(**fields))


#: "p = < 0.001" (a template's "p = {p}" filled with a bound) → "p < 0.001".
_P_BOUND = re.compile(r"p = ([<>≤≥])")


# ====================================================================== the language of a report
#: Chinese (Han) characters, as :func:`detect_lang` looks for them.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
#: CJK characters, as :func:`report_language` looks for them.
_CJK = re.compile(r"[\u3400-\u9fff]")


def has_chinese(value: Any) -> bool:
    """Whether the text of ``value`` holds a Chinese (Han) character."""
    return _HAN.search(str(value)) is not None


def check_language(lang: str) -> str:
    """``"en"`` or ``"zh"`` from a language tag (``"zh"``, ``"ZH-cn"``, ``"en_GB"`` …); raises
    ``ValueError`` for any other language."""
    key = str(lang).strip().lower()
    if key[:2] not in LANGUAGES or (len(key) > 2 and key[2] not in "-_"):
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return key[:2]


def detect_lang(bundle: Any) -> str:
    """``meta["lang"]`` when it is "en" or "zh", else "zh" when a construct label has a Chinese character, else "en"."""
    meta = getattr(bundle, "meta", None) or {}
    declared = meta.get("lang")
    if isinstance(declared, str) and declared.strip().lower()[:2] in LANGUAGES:
        return declared.strip().lower()[:2]
    labels = list((meta.get("labels") or {}).values())
    model = getattr(bundle, "model", None)
    if model is not None:
        labels += [c.label or "" for c in model.constructs.values()]
    index = (getattr(bundle, "tables", None) or {}).get("index")
    if index is not None and "label" in index:
        labels += [str(v) for v in index["label"].tolist()]
    return "zh" if any(has_chinese(v) for v in labels) else "en"


def report_language(model: Any, lang: str | None) -> str:
    """The language of a run's reports: ``lang`` when given, else "zh" when the model's name or a
    construct label has a CJK character, else "en"."""
    if lang:
        return lang
    labels = model.name + "".join(model.label(c) for c in model.construct_ids)
    return "zh" if _CJK.search(labels) else "en"
