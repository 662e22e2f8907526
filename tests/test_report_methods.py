"""The report sections of the PLS-SEM methods (mediation, moderation, higher-order constructs, overall
model fit, PLSpredict, HTMT2) in report.html and report.xlsx, English and Chinese.

Every table is computed by the library on mobi (ECSI; seminr's higher-order demo model for the
higher-order construct), as a run writes it; the tests check that the sections show those numbers,
in words of the report's language, only when their tables are there, escaped, and that they survive
a run folder round trip. The headless-Chromium checks are in test_html_report.py.
"""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from markupsafe import escape

import csi_survey as csi
from csi_survey.engine.bootstrap import bootstrap
from csi_survey.engine.resample import construct_blocks
from csi_survey.higher_order import HigherOrder, HigherOrderPLS
from csi_survey.i18n import MEDIATION_TEXTS, TEXTS, WORKBOOK_TEXTS
from csi_survey.interactions import Interaction, ModeratedPLS, bootstrap_moderation
from csi_survey.mediation import mediation
from csi_survey.model_fit import fit_measures, htmt2, overall_fit_test
from csi_survey.predict import plspredict
from csi_survey.report import sections_methods
from csi_survey.report.bundle import bundle_from_tables, load_bundle, save_bundle
from csi_survey.report.html import render_html
from csi_survey.report.svg import format_number, format_p, stars
from csi_survey.report.xlsx_charts import write_report_workbook

from .test_bundle import _cells, _charts

INJECTION = '<script>alert(1)</script>"><img src=x onerror="window.__pwned=1">'
METHOD_SECTIONS = ("higher-order", "mediation", "moderation", "model-fit", "prediction")
FIT_TEST_RESAMPLES = 60
#: seminr's higher-order demo on mobi (tests/test_higher_order.py): Satisfaction = Image + Value.
HOC_BLOCKS = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
HOC_PATHS = csi.paths(["Expectation", "Quality"], "Satisfaction") + csi.paths("Satisfaction", ["Complaints", "Loyalty"])


# ====================================================================== the tables, as a run writes them
def with_htmt2(htmt: pd.DataFrame, fit) -> pd.DataFrame:
    """The HTMT table with HTMT2 beside HTMT (as the run adds it)."""
    model = fit.model
    R = fit.item_correlations.loc[list(model.item_ids), list(model.item_ids)].to_numpy()
    H2 = htmt2(R, construct_blocks(model))
    pos = {c: k for k, c in enumerate(model.construct_ids)}
    out = htmt.copy()
    out.insert(list(out.columns).index("htmt") + 1, "htmt2", [H2[pos[a], pos[b]] for a, b in zip(out["construct_1"], out["construct_2"])])
    return out


@pytest.fixture(scope="module")
def ecsi():
    return csi.template("ecsi")


@pytest.fixture(scope="module")
def computed(mobi, ecsi):
    """Every method table of a bootstrapped ECSI run on mobi (sentences in both languages)."""
    fit = bootstrap(csi.PLS(ecsi).fit(mobi), mobi, resamples=100, seed=1)
    quality = csi.assess(fit)
    med = mediation(fit)
    prediction = plspredict(csi.PLS(ecsi), mobi, folds=5, repetitions=1, seed=1)
    moderated = bootstrap_moderation(ModeratedPLS(ecsi, [Interaction("IMG", "EXP")]).fit(mobi), mobi, resamples=100, seed=1)
    tables = {
        "index": fit.index,
        "paths": fit.paths,
        "effects": fit.effects,
        "r2": fit.r2,
        "quality": quality.reliability,
        "htmt": with_htmt2(quality.htmt, fit),
        "fit_measures": quality.fit,
        "indirect_effects": med.indirect,
        "mediation": med.effects,
        "model_fit": fit_measures(fit).measures,
        "fit_test": overall_fit_test(fit, mobi, resamples=FIT_TEST_RESAMPLES, seed=1).table,
        "prediction": prediction.items,
        "prediction_summary": prediction.verdict,
        "interaction_effects": moderated.interaction_effects,
        "simple_slopes": moderated.slopes,
        "slope_plot": moderated.slope_plot,
    }
    sentences = {lang: med.sentences(lang)["sentence"].to_numpy() for lang in ("en", "zh")}
    return fit, tables, sentences


def meta(model, lang: str, **changes):
    out = {
        "version": csi.__version__,
        "model_name": "ECSI on mobi",
        "index_construct": model.index,
        "labels": {c: model.label(c) for c in model.construct_ids},
        "lang": lang,
        "bootstrap": {"resamples": 100, "used": 100, "failed": 0, "seed": 1, "level": 0.95, "method": "percentile"},
        "settings": {"seed": 1, "fit_test": FIT_TEST_RESAMPLES, "predict": 5, "predict_repetitions": 1, "resamples": 100},
    }
    out.update(changes)
    return out


def make_bundle(computed, ecsi, lang: str, **replace):
    _, tables, sentences = computed
    tables = {**tables, "mediation": tables["mediation"].assign(sentence=sentences[lang])}
    tables.update(replace)
    return bundle_from_tables(meta(ecsi, lang), {k: v for k, v in tables.items() if v is not None}, ecsi)


@pytest.fixture(scope="module")
def bundles(computed, ecsi):
    return {lang: make_bundle(computed, ecsi, lang) for lang in ("en", "zh")}


@pytest.fixture(scope="module")
def hoc(mobi):
    model = csi.Questionnaire.build(constructs=[csi.construct(c, items) for c, items in HOC_BLOCKS.items()],
                                    scale=(1, 10), name="mobi HOC")
    fit = HigherOrderPLS(model, [HigherOrder("Satisfaction", ("Image", "Value"))], paths=HOC_PATHS).fit(mobi)
    return model, fit


# ====================================================================== reading the page
def section(text: str, sid: str) -> str:
    start = text.index(f'<section id="{sid}"')
    return text[start:text.index("</section>", start)]


def ids(text: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', text)


def cell_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def tables_in(html: str) -> list[list[list[str]]]:
    """Every table of ``html``: rows (the header row first) of cell texts."""
    out = []
    for table in re.findall(r"<table.*?</table>", html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        out.append([[cell_text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows])
    return out


def classes_in(html: str, table: int, cls: str) -> int:
    """How many cells of the table number ``table`` carry the CSS class ``cls``."""
    body = re.findall(r"<table.*?</table>", html, re.S)[table]
    return len(re.findall(rf'<td class="[^"]*\b{cls}\b[^"]*">', body))


def num(value, digits=3) -> str:
    return format_number(value, digits)


# ====================================================================== the sections
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_method_sections_come_in_report_order_with_headings_in_the_language(bundles, lang):
    text = render_html(bundles[lang])
    order = ids(text)
    assert [s for s in order if s in METHOD_SECTIONS or s in ("paths", "quality")] == [
        "paths", "mediation", "moderation", "quality", "model-fit", "prediction"]
    words = TEXTS[lang]
    for sid, key in (("mediation", "sec_mediation"), ("moderation", "sec_moderation"), ("model-fit", "sec_model_fit"),
                     ("prediction", "sec_prediction")):
        assert f"<h2>{escape(words[key])}</h2>" in section(text, sid)
        assert f'href="#{sid}">{escape(words[key])}</a>' in text  # in the contents


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mediation_shows_the_sentences_every_pair_and_the_largest_chains(bundles, computed, ecsi, lang):
    _, tables, sentences = computed
    text = render_html(bundles[lang])
    sec = section(text, "mediation")
    words = TEXTS[lang]
    for key in ("mediation_sentences", "mediation_effects_title", "mediation_chains_title"):
        assert escape(words[key]) in sec
    assert escape(words["mediation_note"].format(level="95%")) in sec
    # the plain-language sentences, one list item each
    items = re.findall(r"<li>(.*?)</li>", sec, re.S)
    assert items == [str(escape(s)) for s in sentences[lang]] and len(items) == 15
    # every pair: direct (– without a path), total indirect with its stars and interval, total, share, type
    effects = tables["mediation"]
    effects_table, chains_table = tables_in(sec)
    assert len(effects_table) == 1 + len(effects) == 16
    compared = 0
    for row, r in zip(effects_table[1:], effects.itertuples()):
        assert row[0] == f"{ecsi.label(r.source)} → {ecsi.label(r.target)}"
        assert row[1] == (num(r.direct) + stars(r.direct_p_value) if r.direct_path else "–")
        assert row[2] == num(r.total_indirect) + stars(r.total_indirect_p_value)
        assert row[3] == f"{num(r.total_indirect_ci_lower)} – {num(r.total_indirect_ci_upper)}"
        assert row[4] == num(r.total)
        assert row[5] == ("–" if r.direct * r.total_indirect < 0 else f"{100 * r.share_indirect:.0f} %")
        assert row[6] == MEDIATION_TEXTS[lang][f"label_{r.mediation}"]
        assert row[7] == str(r.chains)
        compared += 1
    assert compared == 15
    assert {row[6] for row in effects_table[1:]} == {MEDIATION_TEXTS[lang][f"label_{t}"] for t in effects["mediation"]}
    # the 30 largest chains by absolute size, labels joined by arrows, with their inference
    chains = tables["indirect_effects"]
    top = chains.loc[chains["estimate"].abs().sort_values(ascending=False, kind="stable").index[:30]]
    assert len(chains) == 49 and len(chains_table) == 1 + 30
    for row, r in zip(chains_table[1:], top.itertuples()):
        assert row[0] == " → ".join(ecsi.label(c) for c in r.path.split(" → "))
        assert row[1] == num(r.estimate) + stars(r.p_value)
        assert row[2:] == [num(r.std_err), num(r.t_value, 2), format_p(r.p_value), f"{num(r.ci_lower)} – {num(r.ci_upper)}"]
    assert escape(words["mediation_chains_more"].format(shown=30, n=49)) in sec


def test_mediation_without_a_bootstrap_says_it_was_not_tested(computed, ecsi, mobi):
    res = mediation(csi.PLS(ecsi).fit(mobi))
    for lang in ("en", "zh"):
        effects = res.effects.assign(sentence=res.sentences(lang)["sentence"].to_numpy())
        bundle = bundle_from_tables(meta(ecsi, lang, bootstrap=None), {"mediation": effects, "indirect_effects": res.indirect}, ecsi)
        sec = section(render_html(bundle), "mediation")
        assert escape(TEXTS[lang]["mediation_untested"]) in sec
        effects_table, chains_table = tables_in(sec)
        assert [row[-2] for row in effects_table[1:]] == [MEDIATION_TEXTS[lang]["label_not tested"]] * 15
        assert chains_table[0] == [TEXTS[lang]["chain"], TEXTS[lang]["estimate"]]  # no inference columns
        assert "*" not in sec


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_moderation_shows_the_effects_the_simple_slopes_and_a_slope_plot(bundles, computed, ecsi, lang):
    _, tables, _ = computed
    text = render_html(bundles[lang])
    sec = section(text, "moderation")
    words = TEXTS[lang]
    assert escape(words["moderation_no_index"]) in sec and escape(words["moderation_note"]) in sec
    name = f"{ecsi.label('IMG')} × {ecsi.label('EXP')}"
    effects_table, slopes_table = tables_in(sec)
    (e,) = tables["interaction_effects"].itertuples()
    assert effects_table[0][:7] == [words[k] for k in ("interaction", "target", "method", "interaction_rescaled",
                                                       "interaction_standardized", "f_square", "adjustment")]
    assert effects_table[1] == [name, ecsi.label("SAT"), words["method_two_stage"], num(e.estimate) + stars(e.p_value),
                                num(e.estimate_unit_variance), num(e.f_square), num(e.adjustment), num(e.std_err),
                                num(e.t_value, 2), format_p(e.p_value), f"{num(e.ci_lower)} – {num(e.ci_upper)}"]
    slopes = tables["simple_slopes"]
    assert len(slopes_table) == 1 + 3
    for row, r, level in zip(slopes_table[1:], slopes.itertuples(), ("level_low", "level_mean", "level_high")):
        assert row[:4] == [name, ecsi.label("SAT"), words[level], num(r.estimate) + stars(r.p_value)]
        assert row[-1] == f"{num(r.ci_lower)} – {num(r.ci_upper)}"
    # one slope plot: three lines (moderator low/mean/high) of three points each, values in the tooltips
    svg = re.search(r'<svg[^>]*id="slope-1".*?</svg>', sec, re.S).group(0)
    assert "slope-2" not in sec
    assert svg.count('class="slope-line"') == 3 and svg.count('class="slope-point"') == 9
    legend = [cell_text(t) for t in re.findall(r'<text[^>]*class="legend-label"[^>]*>(.*?)</text>', svg, re.S)]
    assert legend == [words["slope_legend"].format(moderator=ecsi.label("EXP"), level=words[k])
                      for k in ("level_low", "level_mean", "level_high")]
    tips = [cell_text(t) for t in re.findall(r'<circle[^>]*class="slope-point"[^>]*><title>(.*?)</title>', svg)]
    plot = tables["slope_plot"].sort_values(["moderator_level", "iv_level"])
    assert [t.rsplit(": ", 1)[1] for t in tips] == [num(v) for v in plot["estimate"]]
    assert escape(words["slope_chart_title"].format(iv=ecsi.label("IMG"), moderator=ecsi.label("EXP"), target=ecsi.label("SAT"))) in svg
    # the lines are drawn where the numbers say: at +1 SD of the iv, high moderator above low when the slope is larger
    points = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*class="slope-point"', svg)
    high_iv = [float(cy) for cx, cy in points[2::3]]  # iv = +1 SD for moderator low, mean, high
    estimates = plot[plot["iv_level"] == 1.0]["estimate"].to_numpy()
    assert np.argsort(high_iv).tolist() == np.argsort(-estimates).tolist()  # SVG y grows downwards


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_interaction_term_in_the_index_table_says_it_has_no_index(computed, ecsi, mobi, lang):
    _, tables, _ = computed
    index = ModeratedPLS(ecsi, [Interaction("IMG", "EXP")]).fit(mobi).index
    assert index.set_index("construct")["index"].isna().tolist() == [False] * 7 + [True]
    bundle = bundle_from_tables(meta(ecsi, lang), {"index": index, "interaction_effects": tables["interaction_effects"]}, ecsi)
    chart = re.search(r'<svg[^>]*id="index-chart".*?</svg>', render_html(bundle), re.S).group(0)
    notes = re.findall(r'<text[^>]*class="bar-note"[^>]*>(.*?)</text>', chart)
    assert notes == [str(escape(TEXTS[lang]["interaction_no_index"]))] and chart.count('class="bar"') == 7
    # without the moderation table the bar is simply empty
    chart = re.search(r'<svg[^>]*id="index-chart".*?</svg>', render_html(bundle_from_tables(meta(ecsi, lang), {"index": index}, ecsi)), re.S)
    assert TEXTS[lang]["interaction_no_index"] not in chart.group(0)


def test_the_moderation_words_of_the_chinese_report(bundles):
    sec = section(render_html(bundles["zh"]), "moderation")
    for term in ("调节效应（交互作用）", "交互项", "调节变量", "调节变量水平", "简单斜率", "低（−1 SD）", "均值", "高（+1 SD）",
                 "两阶段法", "交互效应（重标定）", "标准化交互效应", "效应量 f²", "重标定因子", "交互项没有 0–100 指数：其指标没有作答量表。"):
        assert term in unescape(sec), term
    assert {TEXTS["zh"][f"method_{m}"] for m in ("product_indicator", "orthogonal", "two_stage")} == {"乘积指标法", "正交化法", "两阶段法"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_model_fit_shows_srmr_duls_dg_and_the_test_and_srmr_only_once(bundles, computed, lang):
    _, tables, _ = computed
    text = render_html(bundles[lang])
    sec = section(text, "model-fit")
    words = TEXTS[lang]
    measures_table, test_table, other_table = tables_in(sec)
    measures = tables["model_fit"].set_index("measure")
    assert measures_table[0] == [words["measure"], words["saturated"], words["estimated_model"]]
    assert measures_table[1:] == [[words[f"fit_{m}"], num(measures.loc[m, "saturated"]), num(measures.loc[m, "estimated"])]
                                  for m in ("srmr", "d_uls", "d_g")]
    test = tables["fit_test"].set_index("measure")
    assert test_table[0] == [words["measure"], words["value"], "HI95", "HI99", words["p_value"], words["verdict"]]
    compared = 0
    for row, m in zip(test_table[1:], ("srmr", "d_uls", "d_g")):
        r = test.loc[m]
        verdict = words["fit_rejected"].format(alpha="1%") if r["reject_99"] else \
            words["fit_rejected"].format(alpha="5%") if r["reject_95"] else words["fit_not_rejected"]
        assert row == [words[f"fit_{m}"], num(r["estimate"]), num(r["hi_95"]), num(r["hi_99"]), format_p(r["p_value"]), verdict]
        compared += 1
    assert compared == 3 and test["reject_99"].all()  # the ECSI model does not fit mobi exactly (SRMR 0.124)
    assert classes_in(sec, 1, "flag") == 3
    assert escape(words["fit_test_settings"].format(resamples=FIT_TEST_RESAMPLES, seed=1)) in sec
    # GoF moves here; SRMR is not shown again in the quality section
    gof = tables["fit_measures"].set_index("measure").loc["gof", "value"]
    assert other_table == [[words["measure"], words["value"]], [words["fit_gof"], num(gof)]]
    quality = section(text, "quality")
    assert "SRMR" not in quality and escape(words["fit_title"]) not in quality
    assert escape(words["htmt_title"]) in quality


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_htmt2_is_shown_beside_htmt(bundles, computed, ecsi, lang):
    _, tables, _ = computed
    sec = section(render_html(bundles[lang]), "quality")
    words = TEXTS[lang]
    htmt_table = next(t for t in tables_in(sec) if words["htmt2"] in t[0])
    head = htmt_table[0]
    assert head.index(words["htmt2"]) > head.index(words["htmt"])
    htmt = tables["htmt"]
    assert len(htmt_table) == 1 + len(htmt) == 1 + 21
    at = head.index(words["htmt2"])
    assert [row[at] for row in htmt_table[1:]] == [num(v) for v in htmt["htmt2"]]
    assert escape(words["htmt2_note"]) in sec
    without = bundle_from_tables(meta(ecsi, lang), {"htmt": htmt.drop(columns="htmt2")}, ecsi)
    assert words["htmt2"] not in render_html(without) and escape(words["htmt2_note"]) not in render_html(without)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_prediction_shows_the_power_per_construct_and_the_errors_per_item(bundles, computed, ecsi, lang):
    _, tables, _ = computed
    text = render_html(bundles[lang])
    sec = section(text, "prediction")
    words = TEXTS[lang]
    summary_table, items_table = tables_in(sec)
    verdict = tables["prediction_summary"]
    assert len(summary_table) == 1 + len(verdict) == 7
    for row, r in zip(summary_table[1:], verdict.itertuples()):
        assert row == [ecsi.label(r.construct), words[f"power_{r.predictive_power}"],
                       words["prediction_verdict"].format(better=r.pls_better, items=r.items, q2=r.q2_positive)]
    assert sec.count('class="badge p-') == len(verdict)
    items = tables["prediction"]
    assert len(items_table) == 1 + len(items) == 20
    for row, r in zip(items_table[1:], items.itertuples()):
        assert row == [ecsi.label(r.construct), r.item, num(r.pls_rmse), num(r.lm_rmse), num(r.pls_mae), num(r.lm_mae),
                       num(r.q2_predict), num(r.lm_q2_predict)]
    assert classes_in(sec, 1, "strong") == int((items["pls_rmse"] < items["lm_rmse"]).sum()) > 0
    assert classes_in(sec, 1, "flag") == int((items["q2_predict"] <= 0).sum())
    assert escape(words["prediction_design"].format(folds=5, repetitions=1, seed=1)) in sec


def test_the_prediction_design_comes_from_the_meta_or_the_settings(computed, ecsi):
    _, tables, _ = computed
    parts = {"prediction_summary": tables["prediction_summary"]}
    loo = bundle_from_tables(meta(ecsi, "en", settings={"predict": "loo", "seed": 3}), parts, ecsi)
    assert TEXTS["en"]["prediction_loo"] in render_html(loo)
    given = bundle_from_tables(meta(ecsi, "en", prediction={"folds": 10, "repetitions": 10, "seed": 7}), parts, ecsi)
    assert TEXTS["en"]["prediction_design"].format(folds=10, repetitions=10, seed=7) in render_html(given)
    none = bundle_from_tables(meta(ecsi, "en", settings={}), parts, ecsi)
    assert "Cross-validation" not in render_html(none)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_higher_order_constructs_show_their_index_and_dimensions(hoc, lang):
    model, fit = hoc
    index = fit.index
    bundle = bundle_from_tables({"lang": lang}, {"index": index, "higher_order": fit.dimensions}, model)
    text = render_html(bundle)
    sec = section(text, "higher-order")
    words = TEXTS[lang]
    hoc_index = index.set_index("construct").loc["Satisfaction", "index"]
    assert f"<h3>{escape(words['higher_order_title'].format(construct='Satisfaction', index=num(hoc_index, 1)))}</h3>" in sec
    (table,) = tables_in(sec)
    assert table[0] == [words["dimension"], words["index"], words["weight"], words["loading"], words["index_share"]]
    dims = fit.dimensions
    assert table[1:] == [[r.dimension, num(r.dimension_index, 1), num(r.weight), num(r.loading), f"{100 * r.index_weight:.1f} %"]
                         for r in dims.itertuples()]
    assert len(table) == 3 and abs(dims["index_weight"].sum() - 1) < 1e-12
    # the index of the higher-order construct is the share-weighted mean of its dimensions' indices
    assert abs((dims["index_weight"] * dims["dimension_index"]).sum() - hoc_index) < 1e-9
    assert ids(text).index("index") + 1 == ids(text).index("higher-order")
    # with an interval in the index table, the heading quotes it
    ranged = index.assign(ci_lower=index["index"] - 1.5, ci_upper=index["index"] + 1.5)
    text = render_html(bundle_from_tables({"lang": lang, "bootstrap": {"level": 0.9}}, {"index": ranged, "higher_order": dims}, model))
    assert f"{num(hoc_index - 1.5, 1)} – {num(hoc_index + 1.5, 1)}" in section(text, "higher-order")


def test_sections_appear_only_for_their_tables(computed, ecsi):
    _, tables, _ = computed
    base = {k: tables[k] for k in ("index", "paths", "quality", "htmt", "fit_measures")}
    text = render_html(bundle_from_tables(meta(ecsi, "en"), base, ecsi))
    assert not set(ids(text)) & set(METHOD_SECTIONS)
    assert TEXTS["en"]["fit_title"] in section(text, "quality") and "SRMR" in section(text, "quality")  # the classic fit table
    # empty tables (columns but no rows) give no section either
    empty = {name: tables[name].iloc[0:0] for name in ("indirect_effects", "mediation", "model_fit", "fit_test", "prediction",
                                                        "prediction_summary", "interaction_effects", "simple_slopes", "slope_plot")}
    empty["higher_order"] = pd.DataFrame(columns=["construct", "dimension", "weight", "loading", "index_weight", "dimension_index"])
    text = render_html(bundle_from_tables(meta(ecsi, "en"), {**base, **empty}, ecsi))
    assert not set(ids(text)) & set(METHOD_SECTIONS)
    assert TEXTS["en"]["fit_title"] in section(text, "quality")
    # a part of a section's tables shows that part only
    for name, sid, present, absent in (
        ("indirect_effects", "mediation", "mediation_chains_title", "mediation_effects_title"),
        ("fit_test", "model-fit", "fit_test_title", "saturated"),
        ("slope_plot", "moderation", "slope_plot_note", "simple_slopes_title"),
        ("prediction", "prediction", "prediction_items_title", "prediction_summary_title"),
    ):
        sec = section(render_html(bundle_from_tables(meta(ecsi, "en"), {name: tables[name]}, ecsi)), sid)
        assert TEXTS["en"][present] in sec and TEXTS["en"][absent] not in sec, name


def test_a_run_folder_read_back_renders_the_same_method_sections(bundles, tmp_path):
    for lang, bundle in bundles.items():
        save_bundle(bundle, tmp_path / lang)
        loaded = load_bundle(tmp_path / lang)
        assert render_html(loaded) == render_html(bundle)
        t = loaded.tables
        for name, column in (("indirect_effects", "through"), ("mediation", "sentence"), ("mediation", "mediation"),
                             ("interaction_effects", "method"), ("prediction", "item"), ("prediction_summary", "predictive_power")):
            assert t[name][column].map(type).eq(str).all(), (name, column)
        assert t["mediation"]["direct_path"].dtype == bool and t["fit_test"]["reject_95"].dtype == bool
        assert t["slope_plot"]["moderator_level"].dtype == np.float64


def test_hostile_text_in_the_method_tables_is_escaped(bundles, computed, ecsi):
    bundle = bundles["en"]
    tables = dict(bundle.tables)
    labels = {c: f"{ecsi.label(c)} {INJECTION}" for c in ecsi.construct_ids}
    tables["mediation"] = tables["mediation"].assign(sentence=tables["mediation"]["sentence"] + INJECTION)
    tables["prediction"] = tables["prediction"].assign(item=tables["prediction"]["item"] + INJECTION)
    tables["interaction_effects"] = tables["interaction_effects"].assign(method=INJECTION)
    text = render_html(bundle_from_tables(dict(bundle.meta, labels=labels), tables, ecsi))
    assert "<script" not in text.lower() and "<img" not in text.lower() and "onerror=\"" not in text
    plain = unescape(re.sub(r"<[^>]+>", "", text))
    assert plain.count(INJECTION) > 100  # labels in every table and chart, sentences, items, the method
    svg = re.search(r'<svg[^>]*id="slope-1".*?</svg>', text, re.S).group(0)
    assert "&lt;script&gt;" in svg


def test_every_text_of_the_method_sections_is_in_the_catalogue():
    source = Path(sections_methods.__file__).read_text(encoding="utf-8")
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "t" and node.args \
                and isinstance(node.args[0], ast.Constant):
            keys.add(node.args[0].value)
    assert len(keys) > 50
    assert keys <= set(TEXTS["en"]) and keys <= set(TEXTS["zh"]), keys - set(TEXTS["en"])


# ====================================================================== report.xlsx
METHOD_SHEETS = {
    "Indirect effects": "note_indirect_effects", "Mediation": "note_mediation", "Interaction effects": "note_interaction_effects",
    "Simple slopes": "note_simple_slopes", "Slope plot": "note_slope_plot", "Overall fit": "note_model_fit_overall",
    "Fit test": "note_fit_test", "Prediction": "note_prediction", "Predictive power": "note_prediction_summary",
}


def test_report_xlsx_has_a_sheet_per_method_table_and_a_native_slope_chart(bundles, computed, hoc, tmp_path):
    _, tables, _ = computed
    bundle = bundles["en"]
    path = tmp_path / "report.xlsx"
    write_report_workbook(path, bundle)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Charts", "Index", "Paths", "Effects", "Indirect effects", "Mediation",
                             "Interaction effects", "Simple slopes", "Slope plot", "R2", "Quality", "HTMT", "Model fit",
                             "Overall fit", "Fit test", "Prediction", "Predictive power"]
    names = {"Indirect effects": "indirect_effects", "Mediation": "mediation", "Interaction effects": "interaction_effects",
             "Simple slopes": "simple_slopes", "Slope plot": "slope_plot", "Overall fit": "model_fit", "Fit test": "fit_test",
             "Prediction": "prediction", "Predictive power": "prediction_summary"}
    for sheet, key in METHOD_SHEETS.items():
        ws, table = wb[sheet], bundle.tables[names[sheet]]
        assert ws["A1"].value == WORKBOOK_TEXTS["en"][key]
        assert [c.value for c in ws[3]] == list(table.columns)
        assert ws.max_row == 3 + len(table)
    assert wb["Mediation"].cell(4, list(bundle.tables["mediation"].columns).index("sentence") + 1).value == \
        bundle.tables["mediation"]["sentence"].iloc[0]
    assert [c.value for c in wb["HTMT"][3]][:4] == ["construct_1", "construct_2", "htmt", "htmt2"]
    # the simple-slope chart: x = iv levels, one line per moderator level, values from the Charts sheet
    (chart,) = [c for c in _charts(path) if c["kinds"] == ["lineChart"]]
    assert chart["title"] == "Simple slopes: Image × Customer expectations → Customer satisfaction"
    assert [_cells(wb, s["name"])[0] for s in chart["series"]] == [
        f"Customer expectations: {level}" for level in ("low (−1 SD)", "mean", "high (+1 SD)")]
    plot = tables["slope_plot"]
    for series, m in zip(chart["series"], (-1.0, 0.0, 1.0)):
        assert _cells(wb, series["cat"]) == ["low (−1 SD)", "mean", "high (+1 SD)"]
        expected = plot[plot["moderator_level"] == m].sort_values("iv_level")["estimate"]
        np.testing.assert_allclose(_cells(wb, series["val"]), expected)
        assert series["val"].startswith("Charts!$")
    # a higher-order run: its sheet after Index, with the note
    model, fit = hoc
    write_report_workbook(tmp_path / "hoc.xlsx", bundle_from_tables({"lang": "en"}, {"index": fit.index, "higher_order": fit.dimensions}, model))
    hwb = openpyxl.load_workbook(tmp_path / "hoc.xlsx")
    assert hwb.sheetnames[2:] == ["Index", "Higher order"]
    assert hwb["Higher order"]["A1"].value == WORKBOOK_TEXTS["en"]["note_higher_order"]


def test_dangerous_labels_never_become_formulas_in_the_slope_chart(computed, ecsi, tmp_path):
    _, tables, _ = computed
    evil = '=HYPERLINK("http://evil.example","click")'
    labels = {c: ecsi.label(c) for c in ecsi.construct_ids} | {"IMG": evil, "SAT": "-x"}
    bundle = bundle_from_tables(meta(ecsi, "en", labels=labels), {"slope_plot": tables["slope_plot"]}, ecsi)
    write_report_workbook(tmp_path / "r.xlsx", bundle)
    (chart,) = _charts(tmp_path / "r.xlsx")
    refs = [ref for s in chart["series"] for ref in (s["name"], s["cat"], s["val"]) if ref]
    assert all(re.fullmatch(r"Charts!\$[A-Z]+\$\d+(:\$[A-Z]+\$\d+)?", ref) for ref in refs)
    import zipfile

    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        xml = z.read("xl/charts/chart1.xml").decode()
    axis_titles = re.findall(r"<c:(?:valAx|catAx)>.*?<c:title>(.*?)</c:title>", xml, re.S)
    texts = ["".join(re.findall(r"<a:t>(.*?)</a:t>", t)) for t in axis_titles]
    assert sorted(unescape(t) for t in texts) == sorted(["'" + evil + " (SD)", "'-x (predicted, SD)"])
    assert "<c:f>" + evil not in xml
