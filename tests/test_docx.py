"""report.docx: the Word report of a run, in English and Chinese, checked through LibreOffice's PDF.

The PDF tests need LibreOffice (``soffice``, Debian package ``libreoffice-writer``), poppler
(``pdftotext``, ``pdffonts``, ``pdfinfo``: ``poppler-utils``) and a CJK font (``fonts-noto-cjk``);
``.ci/run`` installs them. They are skipped, saying so, only when ``soffice`` is missing.
LibreOffice runs with a profile of its own in the test's temporary folder, so that it does not
collide with another LibreOffice running on the machine.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.i18n import TEXTS
from csi_survey.report.bundle import bundle_from_tables
from csi_survey.report.docx import render_docx, write_docx
from csi_survey.report.interpret import interpret, priority_driver, strongest_driver

from .conftest import EXAMPLES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer")
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


# ====================================================================== the example runs
def _bundle(responses: Path, spec: Path, segment: str, lang: str):
    model = csi.load_model(spec)
    data = csi.read_responses(responses, model, on_invalid="exclude")
    settings = AnalysisSettings(resamples=100, seed=3, segments=(segment,), permutations=200, n_jobs=1, lang=lang)
    result = analyze(data, settings)
    return bundle_from_tables(result.meta, result.tables, data.questionnaire)


@pytest.fixture(scope="module")
def bundles():
    """The retail examples (English xlsx by region, Chinese GBK CSV by 区域): 100 resamples, 200 permutations."""
    return {
        "en": _bundle(EXAMPLES / "acsi_retail.xlsx", EXAMPLES / "acsi_retail.yaml", "region", "en"),
        "zh": _bundle(EXAMPLES / "acsi_retail_zh.csv", EXAMPLES / "acsi_retail_zh.yaml", "区域", "zh"),
    }


@pytest.fixture(scope="module")
def documents(bundles, tmp_path_factory):
    """report.docx of both examples."""
    folder = tmp_path_factory.mktemp("docx")
    return {lang: write_docx(bundle, folder / f"report_{lang}.docx", lang=lang, date="2026-12-05") for lang, bundle in bundles.items()}


@pytest.fixture(scope="module")
def pdfs(documents, tmp_path_factory):
    """Both documents converted to PDF by LibreOffice (one call, its own profile)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer")
    out = tmp_path_factory.mktemp("pdf")
    profile = (out / "profile").as_uri()
    done = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out),
                           *map(str, documents.values())], capture_output=True, text=True, timeout=240)
    paths = {lang: out / (path.stem + ".pdf") for lang, path in documents.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    assert not missing, f"LibreOffice wrote no PDF ({missing}): {done.stdout} {done.stderr}"
    return paths


def _tool(name: str, *args: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: apt-get install poppler-utils"
    return subprocess.run([path, *args], capture_output=True, text=True, check=True, timeout=60).stdout


def _squash(text: str) -> str:
    """Text without white space (pdftotext breaks lines and spaces CJK text as laid out)."""
    return re.sub(r"\s+", "", text)


def _labels(bundle) -> dict[str, str]:
    index = bundle.tables["index"]
    return dict(zip(index["construct"], index["label"]))


# ====================================================================== the package
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_docx_package_is_complete_and_reopens(documents, lang):
    """Opens without repair: every part a relationship points to exists, every part has a content
    type, and python-docx reads the document back with its images and tables."""
    import docx

    path = documents[lang]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        types = ElementTree.fromstring(z.read("[Content_Types].xml"))
        defaults = {e.get("Extension").lower() for e in types.iter(f"{CT_NS}Default")}
        overrides = {e.get("PartName").lstrip("/") for e in types.iter(f"{CT_NS}Override")}
        checked = 0
        for rels in [n for n in names if n.endswith(".rels")]:
            base = PurePosixPath(rels).parent.parent  # word/_rels/document.xml.rels → word
            for rel in ElementTree.fromstring(z.read(rels)).iter(f"{REL_NS}Relationship"):
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target")
                part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath(base, target))
                part = posixpath.normpath(part)
                assert part in names, f"{rels} points to {target}, which is not in the package"
                checked += 1
        assert checked >= 10
        for part in names:
            if part.endswith("/") or part == "[Content_Types].xml":
                continue
            assert part in overrides or part.rsplit(".", 1)[-1].lower() in defaults, f"{part} has no content type"
    document = docx.Document(str(path))
    assert len(document.inline_shapes) >= 3  # path diagram, IPMA, 四分图
    assert len(document.tables) >= 5  # index, drivers, IPMA, 四分图, segments
    header = document.tables[0].rows[0].cells
    assert header[0].text == TEXTS[lang]["construct"] and header[1].text == TEXTS[lang]["index"]
    # numbers right-aligned, one decimal in the index column
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    first = document.tables[0].rows[1].cells[1].paragraphs[0]
    assert first.alignment == WD_ALIGN_PARAGRAPH.RIGHT and re.fullmatch(r"\d+\.\d", first.text)


def test_every_run_names_a_chinese_font(documents):
    """Each run of the Chinese report names its East Asian font (w:eastAsia) and zh-CN."""
    with zipfile.ZipFile(documents["zh"]) as z:
        body = z.read("word/document.xml").decode("utf-8")
    runs = re.findall(r"<w:r>.*?</w:r>", body, flags=re.S)
    with_text = [r for r in runs if "<w:t" in r]
    assert len(with_text) > 100
    assert all('w:eastAsia="Microsoft YaHei"' in r and 'w:eastAsia="zh-CN"' in r for r in with_text)


# ====================================================================== through LibreOffice
@needs_soffice
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pdf_has_the_pages_numbers_and_names(bundles, pdfs, lang):
    bundle = bundles[lang]
    pages = int(re.search(r"Pages:\s+(\d+)", _tool("pdfinfo", str(pdfs[lang]))).group(1))
    assert pages >= 3
    text = _squash(_tool("pdftotext", "-enc", "UTF-8", str(pdfs[lang]), "-"))
    headline = bundle.meta["headline"]
    assert f"{headline['index']:.1f}" in text
    assert _squash(f"± {(headline['ci_upper'] - headline['ci_lower']) / 2:.1f}") in text
    labels = _labels(bundle)
    drivers = bundle.tables["impacts"]
    names = {labels[d] for d in drivers.loc[drivers["target"] == "SAT", "driver"]}
    assert len(names) == 3 and all(_squash(n) in text for n in names)
    titles = [TEXTS[lang][k] for k in ("docx_title", "docx_sec_findings", "docx_sec_diagram", "docx_sec_index", "docx_sec_drivers",
                                       "docx_sec_ipma", "docx_sec_quadrant", "docx_sec_segments", "docx_sec_methods")]
    assert [t for t in titles if _squash(t) not in text] == []
    if lang == "zh":
        assert "主要结论" in text and "重要性–满意度四分图" in text and "路径模型" in text


@needs_soffice
def test_the_chinese_pdf_embeds_a_cjk_font(pdfs):
    fonts = _tool("pdffonts", str(pdfs["zh"]))
    cjk = [line for line in fonts.splitlines()[2:] if re.search(r"CJK|SourceHan|YaHei|SimHei|SimSun|WenQuanYi|PingFang", line, re.I)]
    assert cjk, f"no CJK font embedded:\n{fonts}"
    assert all(line.split()[-5] == "yes" for line in cjk)  # embedded
    english = _tool("pdffonts", str(pdfs["en"]))
    assert len(english.splitlines()) > 2


# ====================================================================== contents
def test_the_quadrant_section_only_with_its_table(bundles):
    import docx
    import io

    bundle = bundles["zh"]
    assert "quadrant" in bundle.tables
    title = TEXTS["zh"]["docx_sec_quadrant"]
    with_table = docx.Document(io.BytesIO(render_docx(bundle, lang="zh")))
    assert any(p.text == title for p in with_table.paragraphs)
    tables = {k: v for k, v in bundle.tables.items() if k != "quadrant"}
    without = docx.Document(io.BytesIO(render_docx(dataclasses.replace(bundle, tables=tables), lang="zh")))
    assert not any(p.text == title for p in without.paragraphs)
    assert len(without.inline_shapes) == len(with_table.inline_shapes) - 1


def test_a_run_without_bootstrap_says_so(bundles):
    import docx
    import io

    bundle = bundles["en"]
    meta = {**bundle.meta, "bootstrap": None,
            "headline": {k: v for k, v in bundle.meta["headline"].items() if k not in ("ci_lower", "ci_upper", "margin_of_error")}}
    tables = {k: v.drop(columns=[c for c in ("ci_lower", "ci_upper", "margin_of_error", "p_value") if c in v.columns])
              for k, v in bundle.tables.items() if not k.startswith("segment_")}
    plain = dataclasses.replace(bundle, meta=meta, tables=tables)
    paragraphs = [p.kind for p in interpret(plain, "en")]
    assert paragraphs[0] == "headline" and "segments" not in paragraphs
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(plain, lang="en"))).paragraphs)
    assert "No interval: bootstrap off" in text and "no interval: bootstrap off" in text
    assert "margin of error" not in text.lower().replace("no interval", "")


# ====================================================================== interpretation
def test_interpretation_numbers_come_from_the_tables(bundles):
    bundle = bundles["en"]
    impacts = bundle.tables["impacts"]
    sat = impacts[impacts["target"] == "SAT"]
    best = sat.loc[sat["total_effect_100"].idxmax()]
    strongest = strongest_driver(bundle)
    assert strongest["driver"] == best["driver"] and strongest["effect"] == pytest.approx(best["total_effect_100"], abs=1e-12)
    ipma = bundle.tables["ipma"]
    rows = ipma[(ipma["target"] == "SAT") & (ipma["level"] == "construct")]
    priority = priority_driver(bundle)
    fix = rows[rows["quadrant"] == "fix first"]
    expected = (fix if len(fix) else rows).sort_values("importance").iloc[-1]
    assert priority["driver"] == expected["driver"] and priority["fix_first"] == bool(len(fix))
    texts = {p.kind: p.text for p in interpret(bundle, "en")}
    h = bundle.meta["headline"]
    assert f"{h['index']:.1f}" in texts["headline"] and f"± {(h['ci_upper'] - h['ci_lower']) / 2:.1f}" in texts["headline"]
    assert f"{priority['importance']:.2f} points" in texts["priority"] and "assumes" in texts["priority"]
    # East is the less satisfied region of the example: named only in significant pairs
    pairs = bundle.tables["segment_differences"]
    sig = pairs[(pairs["statistic"] == "index") & (pairs["source"] == "SAT") & pairs["significant"]]
    assert len(sig) >= 1
    for r in sig.itertuples():
        low, high = (r.segment_a, r.segment_b) if r.difference > 0 else (r.segment_b, r.segment_a)
        assert f"{low} is {abs(r.difference):.1f} points below {high}" in texts["segments"]
    insignificant = pairs[(pairs["statistic"] == "index") & (pairs["source"] == "SAT") & ~pairs["significant"]]
    for r in insignificant.itertuples():
        assert f"{r.segment_a} is" not in texts["segments"] or f"below {r.segment_b} " not in texts["segments"]


def _synthetic(**tables):
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    meta = {"model_name": "T", "index_construct": "SAT", "lang": "en", "impact_step": 5,
            "headline": {"construct": "SAT", "label": "Customer satisfaction", "index": 70.0, "ci_lower": 68.0, "ci_upper": 72.5,
                         "level": 0.95},
            "settings": {"level": 0.95, "correction": "holm"}}
    return bundle_from_tables(meta, tables, model)


def test_a_fix_first_driver_is_named_with_its_effect():
    ipma = pd.DataFrame({"target": ["SAT"] * 3, "level": ["construct"] * 3, "driver": ["PQ", "PV", "EXP"], "item": [""] * 3,
                         "label": ["Perceived quality", "Perceived value", "Customer expectations"],
                         "importance": [0.40, 0.55, 0.10], "performance": [80.0, 60.0, 75.0],
                         "quadrant": ["keep up", "fix first", "low priority"]})
    texts = {p.kind: p.text for p in interpret(_synthetic(ipma=ipma), "en")}
    assert texts["headline"].startswith("The Customer satisfaction index is 70.0") and "± 2.2 points" in texts["headline"]
    assert texts["priority"].startswith("Improve Perceived value first") and "by about 0.55 points" in texts["priority"]
    zh = {p.kind: p.text for p in interpret(_synthetic(ipma=ipma), "zh")}
    assert zh["priority"].startswith("建议优先改进Perceived value") and "0.55 分" in zh["priority"]


def test_segment_and_wave_sentences_only_where_significant():
    omnibus = pd.DataFrame({"segment_column": ["region", "channel"], "statistic": ["index", "index"], "source": ["SAT", "SAT"],
                            "target": ["", ""], "p_value": [0.30, 0.001], "significant": [False, True]})
    pairs = pd.DataFrame({"segment_column": ["region", "channel", "channel"], "segment_a": ["N", "Online", "Online"],
                          "segment_b": ["S", "Store", "Phone"], "statistic": ["index"] * 3, "source": ["SAT"] * 3, "target": [""] * 3,
                          "difference": [6.0, 4.2, -1.0], "p_value": [0.04, 0.002, 0.2], "p_adjusted": [0.08, 0.004, 0.2],
                          "significant": [False, True, False], "correction": ["holm"] * 3})
    waves = pd.DataFrame({"wave": ["Q2", "Q3"], "previous_wave": ["Q1", "Q2"], "segment": ["(total)", "(total)"],
                          "construct": ["SAT", "SAT"], "change": [3.0, -2.5], "ci_lower": [0.5, -4.0], "ci_upper": [5.5, -1.0],
                          "p_value": [0.02, 0.003], "p_adjusted": [0.02, 0.003], "significant": [True, True]})
    texts = [p.text for p in interpret(_synthetic(segment_omnibus=omnibus, segment_differences=pairs, wave_changes=waves), "en")]
    joined = " ".join(texts)
    assert "does not differ significantly between the groups of region (p = 0.300)" in joined
    assert "differs between the groups of channel" in joined and "Online is 4.2 points below Store" in joined
    assert "Phone" not in joined and " N " not in joined  # not significant after the correction: not commented on
    assert "has fallen by 2.5 points to Q3" in joined and "Q1" not in joined  # the latest wave only
    flat = waves.assign(significant=[True, False], p_adjusted=[0.02, 0.2])
    texts = " ".join(p.text for p in interpret(_synthetic(wave_changes=flat), "en"))
    assert "is not significant" in texts and "fallen" not in texts and "risen" not in texts


# ====================================================================== run and batch
def test_run_writes_report_docx_with_the_flag(tmp_path):
    from typer.testing import CliRunner

    from csi_survey.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(EXAMPLES / "acsi_retail_zh.csv"), "-m", str(EXAMPLES / "acsi_retail_zh.yaml"),
                                      "-o", str(out), "--on-invalid", "exclude", "--bootstrap", "0", "--lang", "zh", "--docx"])
    assert result.exit_code == 0, result.output
    assert (out / "report.docx").is_file() and "report.docx" in result.output
    import docx

    text = "\n".join(p.text for p in docx.Document(str(out / "report.docx")).paragraphs)
    assert TEXTS["zh"]["docx_no_interval"] in text and "顾客满意度指数" in text
    from csi_survey.report.run_report import rerender

    (out / "report.docx").unlink()
    assert "report.docx" not in {p.name for p in rerender(out)}  # re-rendered only where the run had one
    assert "report.docx" in {p.name for p in rerender(out, docx=True)}
    plain = tmp_path / "plain"
    result = CliRunner().invoke(app, ["run", str(EXAMPLES / "acsi_retail_zh.csv"), "-m", str(EXAMPLES / "acsi_retail_zh.yaml"),
                                      "-o", str(plain), "--on-invalid", "exclude", "--bootstrap", "0"])
    assert result.exit_code == 0 and not (plain / "report.docx").exists()


def test_batch_reports_include_report_docx(tmp_path):
    from csi_survey.batch import load_config, run_batch

    from .test_batch import _make_small

    config = _make_small(tmp_path)
    cfg = load_config(config, overrides={"segments": ["region"], "waves": {"w1": "data/w1.csv"}, "reports": True,
                                         "bootstrap": {"resamples": 20, "seed": 7}})
    result = run_batch(cfg, workers=1)
    assert result.estimated == 3
    folder = tmp_path / "out" / "w1" / "region=North"
    assert {"report.xlsx", "report.html", "report.docx"} <= {p.name for p in folder.iterdir()}
    (folder / "report.docx").unlink()
    (folder / "report.html").unlink()
    again = run_batch(cfg, workers=1)  # computed already: the missing reports are rendered again, the Word report with them
    assert again.computed == 0 and (folder / "report.docx").is_file()
