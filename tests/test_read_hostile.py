"""Reading hostile or odd files (issue 17, part B): encodings, width, trailing rows of a sheet, the
header row, OLE2 files named .xlsx, missing-value tokens.

Every hostile file is read in its own process under an address-space limit of 2 GiB
(``resource.setrlimit(RLIMIT_AS)``) and a timeout of 120 s; the child exits 0 (and prints what was
read, as JSON) or 1 (and prints the error's message). The assertions are on the exit code and the
message or the values read, never on timing.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csi_survey.config import template_yaml
from csi_survey.exceptions import InputFileError, SettingsError
from csi_survey.ingest import Limits, read_table
from csi_survey.ingest import read_responses as csi_read_responses
from csi_survey.ingest.encoding import decode_text
from csi_survey.ingest.header import find_header_row
from csi_survey.schema import load_model

from .conftest import SHARED

MEMORY_LIMIT = 2 * 1024**3
TIMEOUT = 120

_CHILD = r"""
import json, sys
from csi_survey.exceptions import CsiSurveyError
args = json.loads(sys.argv[1])
try:
    from csi_survey.ingest import Limits
    if "limits" in args.get("kw", {}):
        args["kw"]["limits"] = Limits(**args["kw"]["limits"])
    if args.get("spec"):
        from csi_survey.ingest import read_responses
        from csi_survey.schema import load_model
        kw = args.get("kw", {})
        data = read_responses(args["path"], load_model(args["spec"]), **kw)
        print(json.dumps({"n_used": int(data.n_used), "n_excluded": int(data.n_excluded),
                          "n_missing": int(data.missing["n_missing"].sum()),
                          "excluded_reasons": sorted(set(map(str, data.excluded["reason"])))[:5]}))
    else:
        from csi_survey.ingest import Limits, read_table
        kw = args.get("kw", {})
        raw = read_table(args["path"], **kw)
        frame = raw.frame
        print(json.dumps({"columns": [str(c) for c in frame.columns][:50], "n_columns": int(frame.shape[1]),
                          "rows": [int(r) for r in raw.row_numbers[:5]] + [int(r) for r in raw.row_numbers[-3:]],
                          "n_rows": int(len(frame)), "encoding": raw.encoding, "format": raw.format,
                          "first": [None if v is None or v != v else str(v) for v in frame.iloc[0].tolist()][:50] if len(frame) else [],
                          "missing_tokens": dict(raw.missing_tokens)}, ensure_ascii=False))
except CsiSurveyError as exc:
    print(str(exc))
    sys.exit(1)
"""


def _limit_memory() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def child(path: Path, spec: Path | None = None, **kw) -> tuple[int, str, dict | None]:
    """Read ``path`` in a child process (read_table, or read_responses with ``spec``) under the limits."""
    args = json.dumps({"path": str(path), "spec": str(spec) if spec else None, "kw": kw})
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, args], capture_output=True, timeout=TIMEOUT,
                              preexec_fn=_limit_memory, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} did not end within {TIMEOUT} s")
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out + err, (out + err)[-3000:]
    assert proc.returncode in (0, 1), f"exit code {proc.returncode}: {(out + err)[-3000:]}"
    return proc.returncode, out, (json.loads(out) if proc.returncode == 0 else None)


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(SHARED / "mobi.csv")


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "ecsi.yaml"
    p.write_text(template_yaml("ecsi"), encoding="utf-8")
    return p


# ============================================================================ 1. encodings
TEXTS = {
    "traditional": [["編號", "城市", "滿意度"], ["1", "臺北市", "5"], ["2", "高雄市", "4"], ["3", "臺中市", "3"]],
    "simplified": [["编号", "城市", "满意度"], ["1", "北京市", "5"], ["2", "上海市", "4"], ["3", "广州市", "3"]],
    "japanese": [["番号", "都市", "満足度"], ["1", "東京都", "5"], ["2", "大阪府", "4"], ["3", "京都府", "3"]],
    "short": [["id", "城市"], ["1", "臺北"]],
}
ENCODINGS = ["utf-8", "gbk", "big5", "shift_jis"]
#: The files that must be read right (the others: read right or refused naming --encoding).
MUST_READ = {("traditional", "big5"), ("traditional", "utf-8"), ("simplified", "gbk"), ("simplified", "utf-8"),
             ("japanese", "shift_jis"), ("japanese", "utf-8"), ("japanese", "gbk"), ("traditional", "gbk"),
             ("traditional", "shift_jis"), ("short", "big5"), ("short", "gbk")}


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes | None:
    try:
        return ("\r\n".join(",".join(r) for r in rows) + "\r\n").encode(encoding)
    except UnicodeEncodeError:
        return None


@pytest.mark.parametrize("name", list(TEXTS))
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_cjk_text_in_each_encoding_is_read_right_or_refused(name, encoding):
    data = _csv_bytes(TEXTS[name], encoding)
    if data is None:
        pytest.skip(f"{name} text is not representable in {encoding}")
    try:
        text, used = decode_text(data, "f.csv")
    except InputFileError as exc:
        assert (name, encoding) not in MUST_READ, str(exc)
        assert "--encoding" in str(exc) and "uncertain" in exc.message
        return
    assert text.replace("\r\n", "\n").splitlines() == [",".join(r) for r in TEXTS[name]], (used, text)


def test_big5_and_shift_jis_files_are_read_right_in_bounded_memory(tmp_path):
    rows = TEXTS["traditional"]
    checked = 0
    for encoding, expected in (("big5", "cp950"), ("shift_jis", "cp932")):
        path = tmp_path / f"survey_{encoding}.csv"
        path.write_bytes(_csv_bytes(rows, encoding))
        code, out, got = child(path)
        assert code == 0, out
        assert got["encoding"] == expected
        assert got["columns"] == rows[0] and got["first"] == rows[1]
        checked += 1
    assert checked == 2


def test_uncertain_encoding_is_refused_naming_the_candidates_and_the_option(tmp_path):
    path = tmp_path / "one.csv"
    path.write_bytes("id,q\n1,高\n".encode("big5"))  # one character: as GBK 蔼, as Big5 高, as Shift-JIS 葵-like
    code, out, _ = child(path)
    assert code == 1
    assert "uncertain" in out and "--encoding" in out and "cp950" in out and "gb18030" in out
    # the option settles it
    code, out, got = child(path, encoding="cp950")
    assert code == 0 and got["first"] == ["1", "高"]


def test_single_byte_western_text_is_refused_with_a_guess():
    with pytest.raises(InputFileError, match="cannot be detected") as info:
        decode_text("name,city\nMüller,Köln\nJosé,Málaga\n".encode("cp1252"), "w.csv")
    assert "--encoding" in str(info.value)


# ============================================================================ 2. width, trailing rows
def test_a_header_of_1_3_million_columns_is_refused_quickly(tmp_path):
    path = tmp_path / "wide.csv"
    n = 1_300_000
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n")
    assert path.stat().st_size > 10_000_000
    code, out, _ = child(path)
    assert code == 1
    assert "1,300,000 columns" in out and "max_columns" in out and "16,384" in out


def test_200k_columns_are_refused_and_the_limit_can_be_raised(tmp_path):
    path = tmp_path / "w200k.csv"
    n = 200_000
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n", encoding="utf-8")
    code, out, _ = child(path)
    assert code == 1 and "200,000 columns" in out
    # a modest limit, for a modest file: quoted separators do not count
    small = tmp_path / "q.csv"
    small.write_text('a,"b,c",d\n1,2,3\n', encoding="utf-8")
    assert read_table(small, limits=Limits(max_columns=3)).frame.shape == (1, 3)
    with pytest.raises(InputFileError, match="max_columns"):
        read_table(small, limits=Limits(max_columns=2))


def test_xlsx_wider_than_the_limit_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"c{i}" for i in range(12)])
    ws.append(list(range(12)))
    wb.save(tmp_path / "w.xlsx")
    code, out, _ = child(tmp_path / "w.xlsx", limits={"max_columns": 10})
    assert code == 1 and "more than the limit of 10 columns" in out and "max_columns" in out
    assert read_table(tmp_path / "w.xlsx").frame.shape == (1, 12)


def test_stray_cell_far_below_the_table_is_not_a_million_empty_rows(tmp_path):
    rng = np.random.default_rng(7)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "a1", "a2", "b1", "b2", "note"])
    for i in range(120):
        ws.append([i + 1, *(int(v) for v in rng.integers(1, 11, size=4))])
    ws.cell(row=950_000, column=6, value="x")  # one stray cell: the sheet's extent is 950,000 × 6 cells
    path = tmp_path / "stray.xlsx"
    wb.save(path)
    assert path.stat().st_size < 20_000
    spec = tmp_path / "ab.yaml"
    spec.write_text("scale: [1, 10]\nid_column: id\nconstructs:\n  A: {items: [a1, a2]}\n  B: {items: [b1, b2]}\n"
                    "paths: [[A, B]]\n", encoding="utf-8")
    code, out, got = child(path, spec=spec)
    assert code == 0, out
    # the 120 respondents are used; the stray cell's row (950,000) is one excluded row at most, not
    # 949,878 "empty rows"
    assert got["n_used"] == 120 and got["n_excluded"] <= 1, got
    raw = read_table(path)
    assert len(raw.frame) == 121 and raw.row_numbers[-2:].tolist() == [121, 950_000]


def test_a_wide_sheet_with_a_stray_cell_is_refused_by_its_extent(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"c{i}" for i in range(25)])
    ws.cell(row=950_000, column=1, value="x")
    wb.save(tmp_path / "wide_stray.xlsx")
    with pytest.raises(InputFileError, match="max_cells") as info:
        read_table(tmp_path / "wide_stray.xlsx")
    assert "stray cells" in str(info.value)


def test_interior_empty_rows_of_a_sheet_are_kept_and_long_runs_are_not(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "q"])
    ws.append([1, 5])
    ws.append([2, 4])  # row 3; row 4 empty
    ws.cell(row=5, column=1, value=3)
    ws.cell(row=5 + 5_000, column=1, value=4)  # after 4,999 empty rows
    wb.save(tmp_path / "gaps.xlsx")
    raw = read_table(tmp_path / "gaps.xlsx")
    assert raw.row_numbers.tolist() == [2, 3, 4, 5, 5_005]
    assert raw.frame["id"].isna().tolist() == [False, False, True, False, False]


# ============================================================================ 3. header row
def test_title_line_above_the_csv_header_names_the_header_row(tmp_path, mobi, spec):
    path = tmp_path / "titled.csv"
    path.write_text("Customer survey export 2026-05-01\n" + mobi.to_csv(index=False), encoding="utf-8")
    code, out, _ = child(path, spec=spec)
    assert code == 1
    assert "the header seems to be on row 2" in out and "--header-row 2" in out
    data = csi_read_responses(path, load_model(spec), header_row=2)
    assert data.n_used == len(mobi)
    # without a questionnaire too (read_table: a field-count error with the hint)
    code, out, _ = child(path)
    assert code == 1 and "--header-row 2" in out


def test_title_row_with_the_same_field_count_is_detected_with_the_questionnaire(tmp_path, mobi, spec):
    path = tmp_path / "titled2.csv"
    width = mobi.shape[1]
    path.write_text("Survey 2026" + "," * (width - 1) + "\n" + "," * (width - 1) + "\n" + mobi.to_csv(index=False),
                    encoding="utf-8")
    code, out, _ = child(path, spec=spec)
    assert code == 1
    assert "header seems to be on row 3" in out and "--header-row 3" in out
    assert csi_read_responses(path, load_model(spec), header_row=3).n_used == len(mobi)


def test_title_row_above_the_xlsx_header(tmp_path, mobi, spec):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer survey — all stores"])
    ws.append(list(mobi.columns))
    for row in mobi.itertuples(index=False):
        ws.append(list(row))
    path = tmp_path / "titled.xlsx"
    wb.save(path)
    code, out, _ = child(path, spec=spec)
    assert code == 1 and "--header-row 2" in out
    assert csi_read_responses(path, load_model(spec), header_row=2).n_used == len(mobi)
    assert read_table(path, header_row=2).row_numbers[0] == 3  # the first data row keeps its sheet row number


def test_header_row_checks(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("title\nid,q\n1,2\n", encoding="utf-8")
    raw = read_table(path, header_row=2)
    assert list(raw.frame.columns) == ["id", "q"] and raw.row_numbers.tolist() == [3]
    with pytest.raises(InputFileError, match="row 9"):
        read_table(path, header_row=9)
    with pytest.raises(SettingsError):
        read_table(path, header_row=0)


def test_header_detection_only_when_unambiguous():
    expected = ["a", "b", "c", "d"]
    assert find_header_row([["title"], ["a", "b", "c", "d"], ["1", "2", "3", "4"]], expected) == 1
    assert find_header_row([["a", "b", "c", "d"], ["1", "2", "3", "4"]], expected) is None  # row 0 already
    assert find_header_row([["x"], ["a", "b"], ["A", "B "]], expected) is None  # two rows as good
    assert find_header_row([["x"], ["a"], ["1"]], expected) is None  # fewer than half


# ============================================================================ 4. OLE2 named .xlsx
@pytest.mark.parametrize("kind", ["encrypted", "renamed_xls"])
def test_ole2_file_named_xlsx_is_explained(tmp_path, kind):
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    body += ("EncryptionInfo".encode("utf-16-le") if kind == "encrypted" else b"Workbook") + b"\x00" * 4096
    path = tmp_path / "answers.xlsx"
    path.write_bytes(body)
    code, out, _ = child(path)
    assert code == 1
    assert "BadZipFile" not in out
    if kind == "encrypted":
        assert "password-protected (encrypted)" in out and "remove the password" in out
    else:
        assert "Excel 97–2003 .xls or a password-protected workbook" in out and "save it as" in out


# ============================================================================ 5. missing tokens
def test_r_write_csv_na_tokens_are_missing_and_counted(tmp_path, mobi, spec):
    frame = mobi.astype(object).copy()
    tokens = ["NA", "N/A", "#N/A", "NaN", "null", " na "]
    for k, token in enumerate(tokens):
        frame.iloc[3 + 7 * k, k] = token
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    assert sum(read_table(path).missing_tokens.values()) == len(tokens)
    code, out, got = child(path, spec=spec)
    assert code == 0, out
    assert got["n_used"] == len(mobi) and got["n_missing"] == len(tokens)


def test_missing_tokens_in_xlsx_and_not_in_longer_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "q", "comment"])
    ws.append([1, "n/a", "NA is fine"])
    ws.append([2, 5, "null"])
    wb.save(tmp_path / "t.xlsx")
    raw = read_table(tmp_path / "t.xlsx")
    assert raw.missing_tokens == {"q": 1, "comment": 1}
    assert pd.isna(raw.frame["q"][0]) and raw.frame["comment"][0] == "NA is fine"
    assert np.isnan(raw.frame["q"].astype(float)[0])


def test_missing_tokens_do_not_stop_decimal_commas(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("id;q\n1;7,5\n2;NA\n3;8\n", encoding="utf-8")
    raw = read_table(path)
    assert raw.frame["q"].dtype == np.float64 and raw.frame["q"].isna().tolist() == [False, True, False]
    assert raw.missing_tokens == {"q": 1}
