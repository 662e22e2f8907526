"""The localisation catalogue: every text exists in English and Chinese, with the same fields."""

from __future__ import annotations

import re
import string

import pytest

from csi_survey import template
from csi_survey.i18n import CATALOGUES, LANGUAGES, MEDIATION_TEXTS, check_language, report_language, text, texts


#: Separators that may be only whitespace or empty (a space between English sentences, nothing between Chinese ones).
SEPARATORS = {("mediation", "sentence_sep")}


def _fields(template_text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template_text) if name}


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_every_text_exists_in_every_language_with_the_same_fields(catalogue):
    entries = CATALOGUES[catalogue]
    assert set(entries) == set(LANGUAGES)
    english = entries["en"]
    for lang in LANGUAGES:
        assert set(entries[lang]) == set(english), f"{catalogue}/{lang}: keys differ from English"
        for key, value in entries[lang].items():
            assert value.strip() or (catalogue, key) in SEPARATORS, f"{catalogue}/{lang}/{key} is empty"
            assert _fields(value) == _fields(english[key]), f"{catalogue}/{lang}/{key}: fields differ from English"


def test_text_fills_fields_and_the_chinese_differs_from_the_english():
    assert text("en", "impact", step=5) == "Impact (+5 points)"
    assert text("zh", "sec_index") == "指数"
    assert texts("zh")["sec_index"] != texts("en")["sec_index"]


def test_the_report_language_is_the_setting_else_chinese_for_chinese_labels():
    acsi = template("acsi")
    assert report_language(acsi, None) == "en"
    assert report_language(acsi, "zh") == "zh"
    chinese = acsi.model_copy(update={"name": "零售满意度 2026"})
    assert report_language(chinese, None) == "zh"


def test_an_unknown_language_is_refused():
    with pytest.raises(Exception, match="fr"):
        check_language("fr")


def test_the_mediation_catalogue_holds_the_sentences_of_the_mediation_module():
    """The report shows the names of the types of mediation from MEDIATION_TEXTS; the sentences of the
    mediation module must say the same (the module, not ``csi.mediation``, the function it exports)."""
    import importlib

    mediation = importlib.import_module("csi_survey.mediation")

    assert MEDIATION_TEXTS == mediation.TEXTS
    assert {f"label_{t}" for t in mediation.TYPES} <= set(MEDIATION_TEXTS["en"])
    assert text("zh", "label_indirect-only", "mediation") == "仅间接中介"


def test_a_p_value_given_as_a_bound_never_reads_p_equals_less_than():
    """Every catalogue text with "p = {p}" filled with "< 0.001" reads "p < 0.001" (issue 17)."""
    from csi_survey.i18n import CATALOGUES, text

    checked = 0
    for name, table in CATALOGUES.items():
        for lang in ("en", "zh"):
            for key, template in table[lang].items():
                if "p = {p}" not in template:
                    continue
                names = set(re.findall(r"\{(\w+)\}", template))
                got = text(lang, key, name, **{n: ("< 0.001" if n == "p" else "X") for n in names})
                assert "p = <" not in got and "p < 0.001" in got, (name, lang, key, got)
                checked += 1
    assert checked >= 20
