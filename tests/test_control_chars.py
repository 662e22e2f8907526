"""Control characters from the input never reach an output file raw (issue 17).

NUL, ESC, BEL, DEL, the C1 controls (U+0085 …) and the bidirectional overrides (U+202E …) in ids,
segment values, labels and free text are replaced by U+FFFD in every text cell written (CSV,
run.json, xlsx, HTML, docx; :func:`csi_survey.report.safe.clean_text`); tab, line feed and carriage
return are kept (CSV quotes them); formula injection stays blocked."""

from __future__ import annotations

import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.report.csv import write_csv
from csi_survey.report.run_report import rerender, write_run
from csi_survey.report.safe import (
    REPLACEMENT,
    clean_frame,
    clean_text,
    clean_value,
    has_control,
    safe_frame,
    safe_text,
)

from .conftest import EXAMPLES

#: Every character that must not appear raw in an output (what clean_text replaces).
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BAD = ["\x00", "\x1b[31m", "\x07", "\x7f", "\x85", "\u202e", "\x1b]0;pwned\x07", "\x9b", "\x0b", "\u2066"]


# ---------------------------------------------------------------------------------------------- the function
@pytest.mark.parametrize("char", [chr(c) for c in [*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
                                                   *range(0x202A, 0x202F), *range(0x2066, 0x206A)]])
def test_every_control_character_becomes_the_replacement_character(char):
    assert clean_text(f"a{char}b") == f"a{REPLACEMENT}b" and has_control(f"a{char}b")


def test_tab_line_breaks_and_ordinary_text_are_kept():
    for text in ["two\r\nlines", "tab\there", "顾客满意度", "שלום \u200f marks", "emoji 😀", "", "a\u2028b"]:
        assert clean_text(text) == text and not has_control(text)
    assert clean_text(clean_text("x\x00y")) == "x\ufffdy"  # idempotent
    for value in (None, 1.5, np.nan, 3):
        assert clean_text(value) is value or (value != value and clean_text(value) != clean_text(value))


def test_safe_text_cleans_then_blocks_formulas():
    assert safe_text("=1+1\x00") == "'=1+1\ufffd"
    assert safe_text("\x00=1+1") == "\ufffd=1+1"  # no longer a formula start
    assert safe_text("\t=1") == "'\t=1"  # a tab is kept, and still prefixed


def test_clean_value_walks_meta_data():
    meta = {"labels": {"a\x1b": ["x\x85", ("y\x00", 1)]}, "n": 3, "ok": None}
    assert clean_value(meta) == {"labels": {"a\ufffd": ["x\ufffd", ("y\ufffd", 1)]}, "n": 3, "ok": None}


def test_frames_text_columns_categoricals_and_column_names():
    df = pd.DataFrame({
        "id\x1b": ["a\x00", "b", None],
        "seg": pd.Categorical(["x\u202e", "y", "x\u202e"]),
        "s": pd.array(["p\x07", pd.NA, "=q"], dtype="string"),
        "n": [1.0, 2.0, 3.0],
    })
    cleaned = clean_frame(df)
    assert list(cleaned.columns) == ["id\ufffd", "seg", "s", "n"]
    assert cleaned["id\ufffd"].tolist()[:2] == ["a\ufffd", "b"] and cleaned["id\ufffd"].isna().iloc[2]
    assert cleaned["seg"].tolist() == ["x\ufffd", "y", "x\ufffd"] and isinstance(cleaned["seg"].dtype, pd.CategoricalDtype)
    assert cleaned["s"].tolist()[0] == "p\ufffd" and str(cleaned["s"].dtype) == "string"
    assert df["id\x1b"].iloc[0] == "a\x00"  # the input is not modified
    clean = pd.DataFrame({"a": ["x", "y"]})
    assert clean_frame(clean) is clean  # nothing to do: no copy
    safe = safe_frame(df)
    assert safe["s"].tolist()[2] == "'=q" and safe["id\ufffd"].tolist()[0] == "a\ufffd"


@pytest.mark.parametrize("rows", [1, 3, 40_000])  # pandas path, and the fast (Arrow) path in chunks
def test_write_csv_writes_no_raw_control_character(tmp_path, rows):
    df = pd.DataFrame({"id": [f"R{i}{BAD[i % len(BAD)]}" for i in range(rows)], "x": np.arange(rows, dtype=float),
                       "comment": [f"two\r\nlines{BAD[i % len(BAD)]}" for i in range(rows)]})
    path = tmp_path / "t.csv"
    write_csv(df, path)
    text = path.read_bytes().decode("utf-8-sig")
    assert RAW.search(text) is None
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert len(back) == rows and back["comment"].iloc[0] == "two\r\nlines\ufffd"  # line breaks kept, quoted


# ---------------------------------------------------------------------------------------------- a whole run
def _responses(folder: Path) -> Path:
    """The bundled example with control characters in the id, a segment column, free text and a bad answer."""
    data = pd.read_excel(EXAMPLES / "acsi_retail.xlsx", engine="openpyxl")
    n = len(data)
    data["respondent_id"] = [f"R{i}{BAD[i % len(BAD)]}" for i in range(n)]
    data["region"] = data["region"].map({"South": "So\x1buth", "North": "North\u202e", "East": '=HYPERLINK("http://x")\x00'})
    data["comment"] = [f"c{BAD[i % len(BAD)]}\r\nline" for i in range(n)]
    data["exp_overall"] = data["exp_overall"].astype(object)
    data.loc[3, "exp_overall"] = "bad\x1b[2J"
    path = folder / "responses.csv"
    data.to_csv(path, index=False)
    assert "\x00" in path.read_text(encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("control")
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(_responses(folder), model, on_invalid="exclude")
    result = analyze(data, AnalysisSettings(resamples=30, seed=1, segments=("region",), permutations=0))
    assert any(RAW.search(str(v)) for v in result.tables["segment_index"]["segment"])  # the input does hold them
    out = folder / "out"
    written = write_run(result, out, docx=True)
    return out, written


def _texts(path: Path) -> dict[str, str]:
    """The text of a file, or of every XML part of an xlsx/docx."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as archive:
            return {f"{path.name}:{m}": archive.read(m).decode("utf-8") for m in archive.namelist()
                    if m.endswith((".xml", ".rels"))}
    return {path.name: path.read_bytes().decode("utf-8-sig")}


def test_every_output_file_is_free_of_raw_control_characters(run_folder):
    out, written = run_folder
    assert {"report.xlsx", "report.html", "report.docx", "segment_index.csv", "scores.csv"} <= {p.name for p in written}
    checked = 0
    for path in sorted(out.iterdir()):
        for name, text in _texts(path).items():
            assert RAW.search(text) is None, (name, RAW.findall(text)[:5])
            checked += 1
    assert checked >= len(written)
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))  # JSON escapes (\u001b) would hide them
    assert not any(RAW.search(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(meta, ensure_ascii=False))
                   if "\\u00" not in s)
    assert "\\u001b" not in (out / "run.json").read_text(encoding="utf-8")
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "R1\ufffd[31m" in set(scores.iloc[:, 0])


def test_formula_injection_is_still_blocked(run_folder):
    out, _ = run_folder
    segments = pd.read_csv(out / "segment_index.csv", encoding="utf-8-sig", keep_default_na=False)
    assert "'=HYPERLINK(\"http://x\")\ufffd" in set(segments["segment"])
    assert not any(str(s).startswith("=") for s in segments["segment"])
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("HYPERLINK" in c for c in cells) and not any(c.startswith("=") for c in cells)
    assert not any(RAW.search(c) for c in cells)


class _Checker(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
            "path", "circle", "rect", "line", "polyline", "polygon", "stop", "ellipse", "use"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for _, value in attrs:
            if value and RAW.search(value):
                self.errors.append(f"control character in an attribute of <{tag}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_report_html_is_well_formed_and_shows_the_replacement(run_folder):
    out, _ = run_folder
    html = (out / "report.html").read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    text = "".join(checker.text)  # character references resolved: none yields a control character
    assert RAW.search(text) is None
    assert "So\ufffduth" in text


def test_the_word_report_opens_and_a_rerender_stays_clean(run_folder):
    docx = pytest.importorskip("docx")
    out, _ = run_folder
    document = docx.Document(str(out / "report.docx"))
    assert any("\ufffd" in cell.text for table in document.tables for row in table.rows for cell in row.cells)
    rerender(out, docx=True)
    for path in sorted(out.iterdir()):
        for name, text in _texts(path).items():
            assert RAW.search(text) is None, name
