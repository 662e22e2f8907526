"""The HTML report: self-contained, escaped, in English and Chinese, and drawn by a real headless Chromium.

The browser tests need Debian's ``chromium`` and ``chromium-driver`` (and ``fonts-noto-cjk`` for the
Chinese screenshot to show characters): ``.ci/run`` installs them. Without them the browser tests
FAIL, saying so, unless ``CSI_SURVEY_SKIP_BROWSER=1`` is set.
"""

from __future__ import annotations

import base64
import os
import re
import time
import types
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey import drivers
from csi_survey.report.bundle import bundle_from_tables, load_bundle, save_bundle
from csi_survey.engine.resample import construct_blocks
from csi_survey.higher_order import HigherOrder, HigherOrderPLS
from csi_survey.i18n import TEXTS, detect_lang
from csi_survey.interactions import Interaction, ModeratedPLS, bootstrap_moderation
from csi_survey.invariance import micom
from csi_survey.mediation import mediation
from csi_survey.model_fit import fit_measures, htmt2, overall_fit_test
from csi_survey.predict import plspredict
from csi_survey.omnibus import segment_omnibus
from csi_survey.segments import segment_differences
from csi_survey.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Launch flags that work on the CI machines (no network: the background-networking flags stop
#: Chromium from trying to reach Google at start-up).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SECTIONS = ("summary", "model", "index", "higher-order", "impacts", "ipma", "gaps", "nps", "segments", "trend", "paths", "mediation",
            "moderation", "quality", "model-fit", "prediction", "excluded")
CHARTS = {"path-diagram", "index-chart", "ipma-1", "ipma-2", "segment-1", "segment-2", "trend-chart", "slope-1", "slope-2"}
INJECTION = '<script>alert(1)</script>"><img src=x onerror="window.__pwned=1">'


# ====================================================================== a realistic run bundle
def _bundle(meta, tables, model):
    """A run bundle (meta + tables + model), as the runs make it."""
    return bundle_from_tables(meta, tables, model)


def _ci(mean, se):
    return mean - 1.96 * se, mean + 1.96 * se


def _quadrant(importance, performance, imp_med, perf_med):
    if importance >= imp_med:
        return "keep up" if performance >= perf_med else "fix first"
    return "possible overkill" if performance >= perf_med else "low priority"


def _ipma(fit, data):
    """IPMA rows per the contract (construct and item level) from the fit's total effects and indices."""
    m = fit.model
    te = drivers.total_effects_100(fit)
    index = fit.index.set_index("construct")["index"]
    weights = fit.weights.set_index("item")["index_weight"]
    rows = []
    for target in m.driver_targets:
        part = te[(te["target"] == target) & te["total_effect_100"].notna()]
        construct_rows = [
            dict(target=target, level="construct", driver=r.source, item="", label=m.label(r.source),
                 importance=r.total_effect_100, performance=float(index[r.source]))
            for r in part.itertuples()
        ]
        item_rows = []
        for r in part.itertuples():
            for item in m.constructs[r.source].item_ids:
                scale = m.item_scale(item)
                mean = float(pd.to_numeric(data.answers[item], errors="coerce").mean())
                item_rows.append(dict(target=target, level="item", driver=r.source, item=item, label=m.items[item].text or item,
                                      importance=float(weights[item]) * r.total_effect_100,
                                      performance=100 * (mean - scale.min) / scale.width))
        for group in (construct_rows, item_rows):
            if not group:
                continue
            imp_med = float(np.median([g["importance"] for g in group]))
            perf_med = float(np.median([g["performance"] for g in group]))
            for g in group:
                g["quadrant"] = _quadrant(g["importance"], g["performance"], imp_med, perf_med)
            rows += group
    return pd.DataFrame(rows)


def _gaps(model, data):
    rows = []
    for g in model.gaps:
        a = pd.to_numeric(data.answers[g.expected], errors="coerce")
        b = pd.to_numeric(data.answers[g.experienced], errors="coerce")
        ok = a.notna() & b.notna()
        diff = (b - a)[ok]
        se = float(diff.std(ddof=1) / np.sqrt(ok.sum()))
        lo, hi = _ci(float(diff.mean()), se)
        rows.append(dict(label=g.label or g.experienced, expected=g.expected, experienced=g.experienced, n=int(ok.sum()),
                         expected_mean=float(a[ok].mean()), experienced_mean=float(b[ok].mean()), gap=float(diff.mean()),
                         std_err=se, ci_lower=lo, ci_upper=hi))
    return pd.DataFrame(rows)


def _groups(data, columns):
    """(segment_column, segment, mask) for the total and each segment of each column."""
    other = data.other.reset_index(drop=True)
    yield "", "(total)", np.ones(len(other), dtype=bool)
    for column in columns:
        values = other[column].astype(str)
        for value in dict.fromkeys(values):
            yield column, value, (values == value).to_numpy()


def _nps_csat(model, data, columns):
    score = pd.to_numeric(data.other[model.nps_item], errors="coerce").reset_index(drop=True)
    csat_item = pd.to_numeric(data.answers[model.csat_item], errors="coerce").reset_index(drop=True)
    top = model.item_scale(model.csat_item).max - model.top_box + 1
    nps, csat = [], []
    for column, segment, mask in _groups(data, columns):
        s = score[mask].dropna()
        pro, det = float((s >= 9).mean() * 100), float((s <= 6).mean() * 100)
        value = pro - det
        se = float(np.sqrt(((s >= 9).mean() + (s <= 6).mean() - (value / 100) ** 2) / len(s)) * 100)
        lo, hi = _ci(value, se)
        nps.append(dict(segment_column=column, segment=segment, n=len(s), promoters=pro, passives=100 - pro - det,
                        detractors=det, nps=value, std_err=se, ci_lower=lo, ci_upper=hi))
        c = csat_item[mask].dropna()
        share = float((c >= top).mean() * 100)
        se = float(np.sqrt(share * (100 - share) / len(c)))
        lo, hi = _ci(share, se)
        csat.append(dict(segment_column=column, segment=segment, n=len(c), top_box_share=share, std_err=se, ci_lower=lo, ci_upper=hi))
    return pd.DataFrame(nps), pd.DataFrame(csat)


def _group_index(fit, mask, min_n):
    """Mean 0–100 scores of a group of respondents (a stand-in for a segment re-estimate)."""
    scores = fit.scores_100[mask]
    n = int(mask.sum())
    for construct in fit.model.construct_ids:
        if n < min_n:
            yield dict(construct=construct, label=fit.model.label(construct), index=np.nan, ci_lower=np.nan, ci_upper=np.nan,
                       n=n, status=f"insufficient sample (n = {n} < {min_n})")
            continue
        col = scores[construct]
        lo, hi = _ci(float(col.mean()), float(col.std(ddof=1) / np.sqrt(n)))
        yield dict(construct=construct, label=fit.model.label(construct), index=float(col.mean()), ci_lower=lo, ci_upper=hi,
                   n=n, status="estimated")


def _segment_index(fit, data, columns, min_n):
    rows = [dict(segment_column=c, segment=s, **r) for c, s, mask in _groups(data, columns) for r in _group_index(fit, mask, min_n)]
    return pd.DataFrame(rows)


def _wave_index(fit, data, date_column):
    month = pd.to_datetime(data.other[date_column].reset_index(drop=True), errors="coerce").dt.strftime("%Y-%m")
    rows = []
    for wave in sorted(month.dropna().unique()):
        rows += [dict(wave=wave, **r) for r in _group_index(fit, (month == wave).to_numpy(), 30)]
    return pd.DataFrame(rows)


def _with_htmt2(htmt, fit):
    """The HTMT table with HTMT2 beside HTMT, as the run writes it."""
    model = fit.model
    R = fit.item_correlations.loc[list(model.item_ids), list(model.item_ids)].to_numpy()
    H2 = htmt2(R, construct_blocks(model))
    pos = {c: k for k, c in enumerate(model.construct_ids)}
    out = htmt.copy()
    out.insert(list(out.columns).index("htmt") + 1, "htmt2", [H2[pos[a], pos[b]] for a, b in zip(out["construct_1"], out["construct_2"])])
    return out


def _method_tables(model, data, fit, lang):
    """The tables of the PLS-SEM methods (mediation, moderation PQ × EXP, a higher-order construct QV of PQ
    and PV, overall fit and its test, PLSpredict), computed by the library on the run's data."""
    med = mediation(fit)
    prediction = plspredict(csi.PLS(model), data, folds=5, repetitions=1, seed=1)
    moderated = bootstrap_moderation(ModeratedPLS(model, [Interaction("PQ", "EXP")]).fit(data), data, resamples=100, seed=1)
    hoc_paths = csi.paths("EXP", ["QV", "SAT"]) + csi.paths("QV", "SAT") + csi.paths("SAT", ["COMP", "LOY"]) + csi.paths("COMP", "LOY")
    hoc = HigherOrderPLS(model, [HigherOrder("QV", ("PQ", "PV"))], paths=hoc_paths).fit(data)
    return {
        "indirect_effects": med.indirect,
        "mediation": med.effects.assign(sentence=med.sentences(lang)["sentence"].to_numpy()),
        "model_fit": fit_measures(fit).measures,
        "fit_test": overall_fit_test(fit, data, resamples=50, seed=1).table,
        "prediction": prediction.items,
        "prediction_summary": prediction.verdict,
        "interaction_effects": moderated.interaction_effects,
        "simple_slopes": moderated.slopes,
        "slope_plot": moderated.slope_plot,
        "higher_order": hoc.dimensions,
    }


def _run(spec, responses, *, lang, segments, date_column, min_n):
    model = csi.load_model(EXAMPLES / spec)
    data = csi.read_responses(EXAMPLES / responses, model, on_invalid="exclude")
    fit = csi.bootstrap(csi.PLS(model).fit(data), data, resamples=100, seed=1)
    quality = csi.assess(fit)
    head = fit.index.set_index("construct").loc[model.index]
    boot = fit.bootstrap
    meta = {
        "version": csi.__version__,
        "model_name": model.name,
        "index_construct": model.index,
        "labels": {**{c: model.label(c) for c in model.construct_ids}, "QV": "质量与价值" if lang == "zh" else "Quality and value"},
        "lang": lang,
        "engine": fit.engine_description,
        "n_read": data.n_read,
        "n_used": data.n_used,
        "n_excluded": data.n_excluded,
        "headline": {"construct": model.index, "label": model.label(model.index), "index": float(head["index"]),
                     "ci_lower": float(head["ci_lower"]), "ci_upper": float(head["ci_upper"]),
                     "margin_of_error": float(head["margin_of_error"]), "level": boot.level},
        "bootstrap": {"resamples": boot.resamples, "used": boot.used, "failed": boot.failed, "seed": boot.seed,
                      "level": boot.level, "method": boot.method},
        "segments": list(segments),
        "wave": date_column,
        "impact_step": 5,
        "settings": {"seed": 1, "fit_test": 50, "predict": 5, "predict_repetitions": 1},
    }
    nps, csat = _nps_csat(model, data, segments)
    tables = {
        "index": fit.index,
        "paths": fit.paths,
        "effects": fit.effects,
        "weights": fit.weights,
        "r2": fit.r2,
        "quality": quality.reliability,
        "htmt": _with_htmt2(quality.htmt, fit),
        "fit_measures": quality.fit,
        "quality_flags": quality.flags,
        "impacts": drivers.impacts(fit),
        "ipma": _ipma(fit, data),
        "gaps": _gaps(model, data),
        "nps": nps,
        "csat": csat,
        "segment_index": _segment_index(fit, data, segments, min_n),
        "wave_index": _wave_index(fit, data, date_column),
        "excluded": data.excluded,
        **_method_tables(model, data, fit, lang),
    }
    return _bundle(meta, tables, model)


@pytest.fixture(scope="module")
def english():
    return _run("acsi_retail.yaml", "acsi_retail.xlsx", lang="en", segments=["region", "channel"], date_column="interview_date", min_n=100)


@pytest.fixture(scope="module")
def chinese():
    return _run("acsi_retail_zh.yaml", "acsi_retail_zh.csv", lang="zh", segments=["区域", "渠道"], date_column="访问日期", min_n=50)


@pytest.fixture(scope="module")
def bundles(english, chinese):
    return {"en": english, "zh": chinese}


def _injected(bundle):
    """The bundle with hostile text in every place that comes from the input."""
    meta = dict(bundle.meta, model_name="Model " + INJECTION, labels={**bundle.meta["labels"], "SAT": "SAT " + INJECTION})
    meta["headline"] = dict(meta["headline"], label="SAT " + INJECTION)
    tables = dict(bundle.tables)
    seg = tables["segment_index"].copy()
    seg.loc[seg["segment_column"] != "", "segment"] = seg.loc[seg["segment_column"] != "", "segment"] + INJECTION
    tables["segment_index"] = seg
    ipma = tables["ipma"].copy()
    ipma["label"] = ipma["label"] + INJECTION
    ipma.loc[ipma["level"] == "item", "item"] = ipma.loc[ipma["level"] == "item", "item"] + INJECTION
    tables["ipma"] = ipma
    excluded = tables["excluded"].copy()
    excluded["reason"] = excluded["reason"] + INJECTION
    tables["excluded"] = excluded
    gaps = tables["gaps"].copy()
    gaps["label"] = gaps["label"] + INJECTION
    tables["gaps"] = gaps
    index = tables["index"].copy()
    index["label"] = index["label"] + INJECTION
    tables["index"] = index
    tables["mediation"] = tables["mediation"].assign(sentence=tables["mediation"]["sentence"] + INJECTION)
    tables["prediction"] = tables["prediction"].assign(item=tables["prediction"]["item"] + INJECTION)
    return _bundle(meta, tables, bundle.model)


# ====================================================================== static checks
class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def _assert_self_contained(text: str) -> None:
    tags = _parse(text).tags
    assert "http://" not in text and "https://" not in text
    for tag, attrs in tags:
        assert tag not in ("script", "iframe", "object", "embed", "base", "form", "img", "video", "audio", "source"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                assert value is not None and (value.startswith("#") or value.startswith("data:")), (tag, name, value)
    links = [attrs for tag, attrs in tags if tag == "link"]
    assert all(a.get("href", "").startswith("data:") for a in links)
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(?!#)", text), "every url() must point inside the page"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_is_one_self_contained_file_with_every_section(bundles, lang, tmp_path):
    bundle = bundles[lang]
    path = tmp_path / "report.html"
    text = render_html(bundle, path)
    assert path.read_text(encoding="utf-8") == text
    _assert_self_contained(text)
    ids = {attrs.get("id") for _, attrs in _parse(text).tags}
    assert set(SECTIONS) <= ids
    assert CHARTS <= ids
    # the headline with its margin of error and interval, and the run's facts
    head = bundle.meta["headline"]
    assert f"{head['index']:.1f}" in text
    assert f"± {head['margin_of_error']:.1f}" in text
    assert f"{head['ci_lower']:.1f} – {head['ci_upper']:.1f}" in text
    from csi_survey.i18n import translate

    assert translate(lang, bundle.meta["engine"]) in text and f"{bundle.meta['n_used']:,}" in text
    # every construct label on the page, fixed texts in the report's language
    for label in bundle.meta["labels"].values():
        assert label in text
    words = TEXTS[lang]
    for key in ("sec_model", "sec_index", "sec_ipma", "fix first", "keep up", "possible overkill", "low priority", "sec_excluded"):
        assert words[key] in text, key
    other = TEXTS["zh" if lang == "en" else "en"]
    assert other["sec_model"] not in text and other["fix first"] not in text
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in text


def test_the_language_comes_from_the_argument_the_meta_or_the_labels(bundles):
    en, zh = bundles["en"], bundles["zh"]
    assert detect_lang(en) == "en" and detect_lang(zh) == "zh"
    no_lang = _bundle({k: v for k, v in zh.meta.items() if k != "lang"}, zh.tables, zh.model)
    assert detect_lang(no_lang) == "zh"  # Chinese characters in the construct labels
    no_lang_en = _bundle({k: v for k, v in en.meta.items() if k != "lang"}, en.tables, en.model)
    assert detect_lang(no_lang_en) == "en"
    text = render_html(zh, lang="en")
    assert TEXTS["en"]["sec_model"] in text and "顾客满意度" in text  # English headings, the labels as given
    assert TEXTS["zh"]["sec_model"] in render_html(en, lang="zh")
    with pytest.raises(ValueError, match="lang"):
        render_html(en, lang="de")


def test_hostile_labels_are_shown_as_text_and_cannot_inject_markup(bundles):
    text = render_html(_injected(bundles["en"]))
    parsed = _parse(text)
    _assert_self_contained(text)
    assert "<script" not in text.lower()
    assert "<img" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "".join(parsed.text).count(INJECTION) >= 8  # shown literally: model, labels, segments, items, reasons
    # the SVG charts carry the labels as text too (escaped in <text> and in the tooltips)
    assert re.search(r"<text[^>]*>[^<]*&lt;script&gt;", text)


def test_sections_appear_only_for_the_tables_of_the_run(bundles):
    full = bundles["en"]
    meta = {k: v for k, v in full.meta.items() if k not in ("headline", "bootstrap")}
    index = full.tables["index"][["construct", "label", "index", "n"]]
    text = render_html(_bundle(meta, {"index": index}, full.model))
    ids = {attrs.get("id") for _, attrs in _parse(text).tags}
    assert "index" in ids and "index-chart" in ids
    assert not ids & {"model", "ipma", "segments", "trend", "nps", "gaps", "excluded", "path-diagram", "higher-order", "mediation",
                      "moderation", "model-fit", "prediction", "slope-1"}
    assert TEXTS["en"]["no_headline"] in text
    assert "interval" not in text  # no bootstrap, no intervals
    # no model at all (any object with meta, tables and model): the diagram comes from the paths table
    text = render_html(types.SimpleNamespace(meta={"lang": "en"}, tables={"paths": full.tables["paths"]}, model=None))
    assert 'id="path-diagram"' in text and text.count('class="node"') == 6


@pytest.fixture(scope="module")
def comparison_tables():
    """The omnibus, pairwise and MICOM tables of the retail regions (one MICOM row made to fail)."""
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")
    engine = csi.PLS(model)
    invariance = micom(engine, data, "region", permutations=200, seed=1).table
    failing = (invariance["segment_a"] == "North") & (invariance["segment_b"] == "West") & (invariance["construct"] == "PV")
    invariance.loc[failing, ["compositional", "invariance"]] = [False, "none"]
    return {
        "segment_omnibus": segment_omnibus(engine, data, "region", permutations=200, seed=1),
        "segment_differences": segment_differences(engine, data, "region", permutations=200, seed=1),
        "micom": invariance,
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_segment_comparisons_show_the_omnibus_the_significant_pairs_and_micom(bundles, comparison_tables, lang, tmp_path):
    base = bundles["en"]
    bundle = _bundle(dict(base.meta, lang=lang), {**base.tables, **comparison_tables}, base.model)
    text = render_html(bundle)
    _assert_self_contained(text)
    ids = [attrs.get("id") for _, attrs in _parse(text).tags]
    assert ids.index("segments") < ids.index("comparisons") < ids.index("trend")
    words = TEXTS[lang]
    section = text[text.index('id="comparisons"'):]
    section = section[:section.index("</section>")]
    for key in ("sec_comparisons", "omnibus_title", "pairwise_title", "micom_title", "correction_holm", "inv_none", "inv_full"):
        assert words[key] in section, key
    plain = re.sub(r"<[^>]+>", " ", section)
    # omnibus: the satisfaction index differs across regions (range of the four estimates, p < 0.01)
    assert "57.4 – 74.1" in plain
    # only pairs significant after Holm: East vs the others on satisfaction; no pair of North, South, West on it
    pairs = comparison_tables["segment_differences"]
    shown = pairs[pairs["significant"]]
    assert 0 < len(shown) < len(pairs) and plain.count(" East – ") >= 3
    assert plain.count(" – ") >= len(shown)
    # MICOM: the failing row is highlighted and named in the warning
    assert section.count('class="flag"') == 1
    warning = re.search(r'<p class="warning">(.*?)</p>', section).group(1)
    assert "North – West" in warning and model_label(bundle, "PV") in warning
    # read back from a run folder: the same section
    save_bundle(bundle, tmp_path)
    again = render_html(load_bundle(tmp_path))
    assert again[again.index('id="comparisons"'):].split("</section>")[0] == section


def model_label(bundle, construct):
    return bundle.model.label(construct)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_run_folder_read_back_renders_the_same_report(bundles, lang, tmp_path):
    """The report of a finished run, rendered again from its folder (CSV tables, run.json, model.yaml)."""
    bundle = bundles[lang]
    save_bundle(bundle, tmp_path / "run")
    assert render_html(load_bundle(tmp_path / "run")) == render_html(bundle)


def test_the_path_diagram_is_laid_out_in_topological_columns(bundles):
    text = render_html(bundles["en"])
    svg = text[text.index('<svg'):text.index("</svg>")]
    x = {c: float(re.search(rf'data-construct="{c}"><title>[^<]*</title><rect x="([\d.]+)"', svg).group(1))
         for c in ("EXP", "PQ", "PV", "SAT", "COMP", "LOY")}
    assert x["EXP"] < x["PQ"] < x["PV"] < x["SAT"] < x["COMP"] < x["LOY"]
    assert svg.count('class="edge"') == 9 and svg.count('class="coef"') == 9
    assert "0.55***" in svg and "R² = 0.50" in svg  # SAT → LOY, and SAT's R²
    assert 'stroke-dasharray="6 4"' in svg  # COMP → LOY is not significant


# ====================================================================== real headless Chromium
def _no_browser(reason: str):
    if os.environ.get("CSI_SURVEY_SKIP_BROWSER") == "1":
        pytest.skip(f"CSI_SURVEY_SKIP_BROWSER=1: {reason}")
    pytest.fail(
        f"{reason}. The HTML report's browser tests need Debian's chromium, chromium-driver and fonts-noto-cjk: "
        "run .ci/run, or `sudo apt-get install chromium chromium-driver fonts-noto-cjk` and "
        "`pip install -e '.[test]'` (set CSI_SURVEY_SKIP_BROWSER=1 to skip these tests).",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if os.environ.get("CSI_SURVEY_SKIP_BROWSER") == "1":
        pytest.skip("CSI_SURVEY_SKIP_BROWSER=1")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        _no_browser(f"{' and '.join(missing)} not found")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.selenium_manager import SeleniumManager
    except ImportError as err:
        _no_browser(f"selenium is not installed ({err})")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver and the browser are given: Selenium Manager (which would download them) must not run.
    with mock.patch.object(SeleniumManager, "binary_paths", side_effect=AssertionError("Selenium Manager must not run")):
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, path: Path) -> list[dict]:
    """Load a file and return the browser's console messages of that page load."""
    driver.get_log("browser")  # drop messages of earlier pages
    driver.get(path.resolve().as_uri())
    deadline = time.monotonic() + 10
    while driver.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.05)
    return driver.get_log("browser")


def _screenshot(driver, path: Path) -> None:
    """A PNG of the whole page (not only the window)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}},
    )
    path.write_bytes(base64.b64decode(shot["data"]))


_MEASURE = """
const box = el => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; };
const inside = (a, b) => a.x >= b.x - 0.5 && a.x + a.width <= b.x + b.width + 0.5;
return {
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({id: s.id, ...box(s)})),
  nodes: document.querySelectorAll('#path-diagram g.node').length,
  edges: document.querySelectorAll('#path-diagram path.edge').length,
  coefs: document.querySelectorAll('#path-diagram text.coef').length,
  labels_fit: [...document.querySelectorAll('#path-diagram g.node')].map(g =>
      inside(g.querySelector('text.node-label').getBBox(), g.querySelector('rect').getBBox())),
  index_bars: [...document.querySelectorAll('#index-chart rect.bar')].map(r => r.getBBox().width),
  ipma_points: [...document.querySelectorAll('svg.ipma-chart')].map(s => s.querySelectorAll('circle.point').length),
  quadrant_names: [...document.querySelectorAll('svg.ipma-chart text.quadrant-name')].map(t => t.textContent),
  segment_bars: [...document.querySelectorAll('svg.segment-chart')].map(s => s.querySelectorAll('rect.bar').length),
  segment_notes: document.querySelectorAll('svg.segment-chart text.bar-note').length,
  trend_lines: document.querySelectorAll('#trend-chart polyline.line').length,
  trend_points: document.querySelectorAll('#trend-chart circle.wave-point').length,
  slopes: [...document.querySelectorAll('svg.slope-chart')].map(s => {
    const view = s.viewBox.baseVal;
    return {
      id: s.id,
      lines: s.querySelectorAll('polyline.slope-line').length,
      points: [...s.querySelectorAll('g.slope-series')].map(g =>
          [...g.querySelectorAll('circle.slope-point')].map(c => c.cy.baseVal.value)),
      legend: [...s.querySelectorAll('text.legend-label')].map(t => t.textContent),
      // every text (title, axis titles, tick and legend labels) inside the chart's drawing area
      texts_inside: [...s.querySelectorAll('text')].every(t => {
          const b = t.getBBox(); return b.x >= -0.5 && b.x + b.width <= view.width + 0.5 && b.width > 0; }),
      lines_drawn: [...s.querySelectorAll('polyline.slope-line')].every(l => l.getTotalLength() > 50),
    };
  }),
  sentences: document.querySelectorAll('#mediation ul.sentences li').length,
  method_rows: Object.fromEntries(['higher-order', 'mediation', 'moderation', 'model-fit', 'prediction'].map(id =>
      [id, [...document.querySelectorAll('#' + id + ' table.data')].map(t => t.tBodies[0].rows.length)])),
  badges: [...document.querySelectorAll('#prediction .badge')].map(b => b.textContent),
  page_overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  headline: document.querySelector('.headline-value').textContent,
};
"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_renders_in_headless_chromium_without_console_errors(browser, bundles, lang, tmp_path):
    bundle = bundles[lang]
    path = tmp_path / f"report_{lang}.html"
    render_html(bundle, path)
    logs = _open(browser, path)
    errors = [entry for entry in logs if entry["level"] == "SEVERE"]
    assert not errors, errors
    got = browser.execute_script(_MEASURE)
    _screenshot(browser, tmp_path / f"report_{lang}.png")
    assert (tmp_path / f"report_{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    t = bundle.tables
    charts = {c["id"]: c for c in got["charts"]}
    assert set(charts) == CHARTS
    assert all(c["w"] > 300 and c["h"] > 80 for c in charts.values()), charts
    assert (got["nodes"], got["edges"], got["coefs"]) == (6, 9, 9)
    assert all(got["labels_fit"]), "a construct label is wider than its box"
    assert len(got["index_bars"]) == len(t["index"]) and all(w > 0 for w in got["index_bars"])
    construct_ipma = t["ipma"][t["ipma"]["level"] == "construct"]
    assert got["ipma_points"] == construct_ipma.groupby("target", sort=False).size().tolist()
    assert got["quadrant_names"][:4] == [TEXTS[lang][q] for q in ("fix first", "keep up", "low priority", "possible overkill")]
    seg = t["segment_index"]
    seg = seg[(seg["construct"] == "SAT") & (seg["segment_column"] != "")]
    assert got["segment_bars"] == (seg["status"] == "estimated").groupby(seg["segment_column"], sort=False).sum().tolist()
    assert got["segment_notes"] == int((seg["status"] != "estimated").sum()) >= 1
    waves = t["wave_index"]
    assert got["trend_lines"] == waves["construct"].nunique()
    assert got["trend_points"] == int((waves["status"] == "estimated").sum())
    # the method sections: one simple-slope plot per interaction path, three lines of three points each,
    # drawn where the numbers say, every label inside the chart
    plot = t["slope_plot"]
    paths = list(dict.fromkeys(plot["target"]))
    assert [c["id"] for c in got["slopes"]] == [f"slope-{k + 1}" for k in range(len(paths))] and len(paths) == 2
    for chart, target in zip(got["slopes"], paths):
        assert chart["lines"] == 3 and [len(p) for p in chart["points"]] == [3, 3, 3]
        assert chart["texts_inside"] and chart["lines_drawn"]
        assert chart["legend"] == [TEXTS[lang]["slope_legend"].format(moderator=bundle.meta["labels"]["EXP"], level=TEXTS[lang][k])
                                   for k in ("level_low", "level_mean", "level_high")]
        part = plot[plot["target"] == target].sort_values(["moderator_level", "iv_level"])
        drawn = np.array(chart["points"]).ravel()
        # the points sit at the estimates: screen y is a decreasing linear function of them (y grows downwards)
        slope, intercept = np.polyfit(part["estimate"], drawn, 1)
        assert slope < 0 and np.allclose(slope * part["estimate"] + intercept, drawn, atol=0.6)
    assert got["sentences"] == len(t["mediation"])
    assert got["method_rows"] == {
        "higher-order": [len(t["higher_order"])],
        "mediation": [len(t["mediation"]), min(30, len(t["indirect_effects"]))],
        "moderation": [len(t["interaction_effects"]), len(t["simple_slopes"])],
        "model-fit": [3, 3, 1],
        "prediction": [len(t["prediction_summary"]), len(t["prediction"])],
    }
    assert got["badges"] == [TEXTS[lang][f"power_{p}"] for p in t["prediction_summary"]["predictive_power"]]
    assert got["page_overflow"] <= 0, "the page scrolls sideways"
    assert got["headline"] == f"{bundle.meta['headline']['index']:.1f} / 100"


def test_hostile_labels_do_not_run_in_the_browser(browser, bundles, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    path = tmp_path / "hostile.html"
    render_html(_injected(bundles["en"]), path)
    errors = [e for e in _open(browser, path) if e["level"] == "SEVERE"]
    assert not errors, errors
    assert browser.execute_script("return window.__pwned === undefined && document.scripts.length === 0 && document.images.length === 0")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert INJECTION in browser.execute_script("return document.querySelector('h1').textContent")
    assert INJECTION in browser.execute_script("return document.querySelector('#index-chart text.bar-label').textContent") or \
        INJECTION[:20] in browser.execute_script("return document.querySelector('#index-chart').textContent")


def test_the_console_check_sees_a_blocked_external_load(browser, bundles, tmp_path):
    """The harness works: a (tampered) report that loads something from elsewhere logs an error."""
    text = render_html(bundles["en"]).replace("</main>", '<img src="https://example.invalid/pixel.png"></main>')
    path = tmp_path / "tampered.html"
    path.write_text(text, encoding="utf-8")
    errors = [e for e in _open(browser, path) if e["level"] == "SEVERE"]
    assert errors and any("example.invalid" in e["message"] for e in errors)


def test_quality_values_outside_their_thresholds_are_highlighted(bundles):
    bundle = bundles["en"]
    quality = bundle.tables["quality"].copy()
    quality.loc[quality["construct"] == "PV", "alpha_low"] = True
    htmt = bundle.tables["htmt"].copy()
    htmt.loc[0, "flag"] = True
    text = render_html(_bundle(bundle.meta, {**bundle.tables, "quality": quality, "htmt": htmt}, bundle.model))
    assert text.count('class="num flag"') == 2
    assert TEXTS["en"]["reliability_note"] in text
    assert TEXTS["en"]["reliability_note"] not in render_html(bundle)


def test_the_written_file_has_the_usual_permissions(bundles, tmp_path):
    path = tmp_path / "out" / "report.html"
    render_html(bundles["en"], path)
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
