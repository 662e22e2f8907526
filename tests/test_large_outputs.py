"""Large runs: the fast CSV writer (byte for byte what pandas writes), scores as Parquet, the Scores
sheet limit, and the ingest that frees the text of the item columns as it parses them (same data)."""

from __future__ import annotations

import importlib
import io
import json
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import csi_survey as csi
import csi_survey.report.csv as csv_writer
import csi_survey.report.run_report as run_report
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.cli import app
from csi_survey.exceptions import ReportError, SettingsError
from csi_survey.ingest import readers
from csi_survey.ingest.prepare import _col_nanmean, prepare, read_responses
from csi_survey.ingest.readers import read_table
from csi_survey.report import xlsx_charts
from csi_survey.report.bundle import bundle_from_tables, load_bundle, save_bundle
from csi_survey.report.safe import safe_frame

from .conftest import EXAMPLES

prepare_module = importlib.import_module("csi_survey.ingest.prepare")
XLSX = EXAMPLES / "acsi_retail.xlsx"
SPEC = EXAMPLES / "acsi_retail.yaml"


def pandas_bytes(df: pd.DataFrame) -> bytes:
    """What write_csv wrote before the fast path: pandas' to_csv of the formula-safe frame, UTF-8 with BOM, CRLF."""
    buffer = io.StringIO()
    safe_frame(df).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


WORDS = ["a", "b,c", 'x"y', "line\nbreak", "cr\rx", "=1+1", "-3", "+x", "@a", "\tt", "顾客满意度", "", " sp ", "'=x",
         '"', ",", "R0001", "007", "nan", "None"]


def floats(rng: np.random.Generator, n: int) -> np.ndarray:
    kind = rng.integers(0, 6, n)
    v = rng.random(n) * 100
    v[kind == 1] = np.round(v[kind == 1])  # whole numbers: "100.0"
    k = kind == 2  # every magnitude: scientific notation below 1e-4 and from 1e16
    v[k] = rng.standard_normal(k.sum()) * 10.0 ** rng.integers(-25, 25, k.sum())
    k = kind == 3
    v[k] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e16, 1e15, 9999999999999998.0, 1e-4, 9.99e-5, 5e-324,
                       123456.0, 1.7976931348623157e308, 0.1 + 0.2], k.sum())
    k = kind == 4
    v[k] = np.round(rng.random(k.sum()) * 100, 2)
    return v


def random_table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    columns = {}
    for k in range(int(rng.integers(2, 7))):
        kind = int(rng.integers(0, 6))
        if kind == 0:
            columns[f"f{k}"] = floats(rng, n)
        elif kind == 1:
            columns[f"i{k}"] = rng.integers(-10**15, 10**15, n)
        elif kind == 2:
            columns[f"b{k}"] = rng.random(n) < 0.5
        elif kind == 3:
            s = pd.Series(rng.choice(WORDS, n), dtype=object)
            s[rng.random(n) < 0.1] = None
            columns[f"=o{k}"] = s
        elif kind == 4:
            s = pd.Series(rng.choice(WORDS, n), dtype="str")
            s[rng.random(n) < 0.1] = np.nan
            columns[f"s,{k}"] = s
        else:
            columns[f"t{k}"] = pd.Series(rng.choice(["plain", "x y", "R0001", "顾客"], n), dtype="str")
    return pd.DataFrame(columns)


# -- the fast CSV writer ----------------------------------------------------------------------------


@pytest.mark.parametrize("cores", [1, 2])
def test_fast_csv_writer_writes_the_bytes_pandas_writes(tmp_path, monkeypatch, cores):
    monkeypatch.setattr(csv_writer, "CSV_CHUNK_ROWS", 97)  # many chunks, several in flight with threads
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    rng = np.random.default_rng(20260115 + cores)
    compared = fast = 0
    for trial in range(60):
        df = random_table(rng, int(rng.integers(0, 600)))
        path = tmp_path / f"t{trial}.csv"
        csv_writer.write_csv(df, path)
        assert path.read_bytes() == pandas_bytes(df), (trial, df.dtypes.to_dict())
        compared += 1
        fast += csv_writer._fast_sources(df) is not None
    assert compared == 60 and fast >= 40  # most tables took the fast path


def test_fast_csv_writer_on_a_scores_table_of_many_rows(tmp_path):
    rng = np.random.default_rng(7)
    n = 150_000  # three chunks
    scores = pd.DataFrame({"respondent_id": pd.Series([f"R{i:07d}" for i in range(n)], dtype="str")})
    for c in ("EXP", "PQ", "COMP"):
        scores[c] = np.round(rng.random(n) * 9) / 9 * 100  # 0–100 scores, whole numbers among them
    scores.loc[5, "respondent_id"] = "=cmd"
    scores.loc[6, "respondent_id"] = 'id "6", quoted'
    assert csv_writer._fast_sources(scores) is not None
    csv_writer.write_csv(scores, tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_bytes() == pandas_bytes(scores)
    back = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig", dtype={"respondent_id": str})
    assert back["respondent_id"].iloc[5] == "'=cmd" and back["respondent_id"].iloc[6] == 'id "6", quoted'
    np.testing.assert_array_equal(back["PQ"].to_numpy(), scores["PQ"].to_numpy())  # full precision


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"only": ["=a", "", None, "b"]}),  # one column: an empty field is written ""
        pd.DataFrame({"when": pd.to_datetime(["2026-01-01", "2026-02-01"]), "x": [1.5, 2.0]}),
        pd.DataFrame({"segment": pd.Categorical(["=a", "b"]), "x": [1, 2]}),
        pd.DataFrame({"mixed": pd.Series(["a", 3, 2.5, None], dtype=object), "x": [1.0, 2.0, 3.0, 4.0]}),
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": ["a", "b"]}),
        pd.DataFrame({"x": pd.Series([], dtype=float), "y": pd.Series([], dtype=str)}),
        pd.DataFrame({"x": np.array([1.5, 2.25], dtype=np.float32), "y": ["a", "b"]}),
    ],
    ids=["one-column", "dates", "categorical", "mixed-objects", "nullable-int", "empty", "float32"],
)
def test_tables_the_fast_path_does_not_know_are_written_by_pandas(tmp_path, df):
    csv_writer.write_csv(df, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == pandas_bytes(df)


def test_a_text_that_is_not_valid_unicode_still_gives_a_report_error(tmp_path):
    df = pd.DataFrame({"label": pd.Series(["ok", "bad \ud800"], dtype=object), "x": [1.0, 2.0]})
    with pytest.raises(ReportError, match="not valid Unicode"):
        csv_writer.write_csv(df, tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


# -- scores as Parquet, the Scores sheet -----------------------------------------------------------


@pytest.fixture(scope="module")
def example_run():
    model = csi.load_model(SPEC)
    data = read_responses(XLSX, model, on_invalid="exclude")
    return analyze(data, AnalysisSettings(resamples=0, seed=1))


def test_the_scores_sheet_limit_is_ten_thousand_rows():
    assert run_report.SCORES_SHEET_LIMIT == xlsx_charts.SCORES_SHEET_LIMIT == 10_000


def test_scores_as_parquet_round_trip_and_re_render(example_run, tmp_path):
    out = tmp_path / "run"
    written = run_report.write_run(example_run, out, scores_format="parquet", scores_sheet_limit=100)
    names = {p.name for p in written}
    assert "scores.parquet" in names and "scores.csv" not in names and not (out / "scores.csv").exists()
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["scores_format"] == "parquet" and "scores" in meta["tables"]

    expected = example_run.tables["scores"]
    loaded = load_bundle(out)
    scores = loaded.tables["scores"]
    assert list(scores.columns) == list(expected.columns) and len(scores) == len(expected) == 502
    assert scores["respondent_id"].tolist() == expected["respondent_id"].tolist()
    assert isinstance(scores["respondent_id"].dtype, pd.StringDtype)
    for column in expected.columns[1:]:
        assert scores[column].dtype == np.float64
        np.testing.assert_array_equal(scores[column].to_numpy(), expected[column].to_numpy())  # exact
    assert loaded.meta["scores_format"] == "parquet"
    # the other tables are CSV as ever
    assert (out / "index.csv").is_file() and set(loaded.tables) == set(example_run.tables)

    ws = openpyxl.load_workbook(out / "report.xlsx", read_only=True)["Scores"]
    note = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))[0]
    assert "502 respondents" in note and "scores.parquet" in note and "scores.csv" not in note

    run_report.rerender(out)  # the re-render reads scores.parquet (502 rows ≤ the default limit: a sheet)
    ws = openpyxl.load_workbook(out / "report.xlsx", read_only=True)["Scores"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 502 + 3  # note, blank row, header


def test_scores_stay_csv_by_default_and_run_json_does_not_change(example_run, tmp_path):
    run_report.write_run(example_run, tmp_path, html=False)
    assert (tmp_path / "scores.csv").is_file() and not (tmp_path / "scores.parquet").exists()
    assert "scores_format" not in json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))


def test_an_unknown_scores_format_is_refused(example_run, tmp_path):
    with pytest.raises(SettingsError, match="scores_format"):
        run_report.write_run(example_run, tmp_path / "x", scores_format="xlsx")
    assert not (tmp_path / "x").exists()
    with pytest.raises(ReportError, match="scores format"):
        bundle_from_tables({"scores_format": "feather"}, {}, example_run.data.questionnaire)


def test_a_run_json_with_an_unknown_scores_format_is_corrupt(example_run, tmp_path):
    bundle = bundle_from_tables({"model_name": "x"}, {"index": example_run.tables["index"]}, example_run.data.questionnaire)
    save_bundle(bundle, tmp_path)
    meta = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    (tmp_path / "run.json").write_text(json.dumps({**meta, "scores_format": "xml"}), encoding="utf-8")
    with pytest.raises(ReportError, match="corrupt"):
        load_bundle(tmp_path)


def test_a_missing_scores_parquet_is_reported(example_run, tmp_path):
    run_report.write_run(example_run, tmp_path, scores_format="parquet", html=False)
    (tmp_path / "scores.parquet").unlink()
    with pytest.raises(ReportError, match="scores.parquet"):
        load_bundle(tmp_path)


def test_cli_run_with_scores_format_parquet(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(XLSX), "--model", str(SPEC), "--out", str(out), "--on-invalid", "exclude",
                                 "--bootstrap", "0", "--seed", "1", "--scores-format", "parquet"])
    assert result.exit_code == 0, result.output
    assert (out / "scores.parquet").is_file() and not (out / "scores.csv").exists()
    assert len(pd.read_parquet(out / "scores.parquet")) == 502
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output

    bad = runner.invoke(app, ["run", str(XLSX), "--model", str(SPEC), "--out", str(tmp_path / "bad"),
                              "--scores-format", "xlsx"])
    assert bad.exit_code == 1 and "--scores-format must be csv or parquet" in bad.output
    assert not (tmp_path / "bad").exists()


# -- ingest: the same data with less memory ----------------------------------------------------------

MODEL_YAML = """name: t
scale: {min: 1, max: 10}
missing_codes: [98, 99]
%(id)s
constructs:
  A: {items: [q0, q1, q2]}
  B: {items: [q3, q4, q5]}
paths:
  - [A, B]
quality:
  duplicates: flag
  straightlining: {policy: flag}
  speeders: {column: seconds, min_seconds: 30, policy: exclude}
"""


def _survey_csv(path, n=1500, seed=3):
    rng = np.random.default_rng(seed)
    ids = np.array([f" R{i:05d} " if i % 7 else f"R{i:05d}" for i in range(n)], dtype=object)
    ids[5] = ids[9] = "R00001"  # a duplicate id
    ids[11], ids[12] = "", "   "  # empty ids
    frame = pd.DataFrame({"respondent_id": ids, **{f"q{j}": rng.integers(1, 11, n).astype(object) for j in range(6)}})
    frame["seconds"] = rng.integers(10, 600, n)
    frame.loc[rng.random(n) < 0.05, "q1"] = ""
    frame.loc[rng.random(n) < 0.03, "q2"] = 99
    frame.loc[17, "q3"], frame.loc[18, "q4"], frame.loc[19, "q5"] = "abc", 42, " 7 "
    frame.loc[40, ["q0", "q1", "q2"]] = ""
    frame.loc[50:52, [f"q{j}" for j in range(6)]] = 5  # straight-liners
    frame.to_csv(path, index=False)
    return path


def _same_survey_data(a, b) -> None:
    ia, ib = a.items.to_numpy(), b.items.to_numpy()
    assert ia.tobytes(order="A") == ib.tobytes(order="A") and ia.flags.f_contiguous == ib.flags.f_contiguous
    pd.testing.assert_series_equal(a.respondent_id, b.respondent_id)
    np.testing.assert_array_equal(a.row, b.row)
    for name in ("other", "excluded", "missing", "flags", "quality_summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert (a.imputed is None) == (b.imputed is None)
    if a.imputed is not None:
        np.testing.assert_array_equal(a.imputed, b.imputed)


@pytest.mark.parametrize("with_id", [True, False])
@pytest.mark.parametrize("on_invalid,missing", [("exclude", "mean"), ("flag", "mean"), ("flag", "listwise"), ("flag", "model")])
def test_read_responses_frees_the_item_text_and_gives_the_same_data(tmp_path, monkeypatch, with_id, on_invalid, missing):
    path = _survey_csv(tmp_path / "r.csv")
    (tmp_path / "m.yaml").write_text(MODEL_YAML % {"id": "id_column: respondent_id" if with_id else ""}, encoding="utf-8")
    model = csi.load_model(tmp_path / "m.yaml")
    released = []
    monkeypatch.setattr(prepare_module, "release_unused_memory", lambda: released.append(1))
    kept = prepare(read_table(path), model, on_invalid=on_invalid, missing=missing)  # the table stays whole
    assert len(released) == with_id  # the ids' hash table of the duplicates rule
    released.clear()
    freed = read_responses(path, model, on_invalid=on_invalid, missing=missing)  # item columns dropped as parsed
    # with an id column the six item columns are dropped too; without one, the duplicates rule compares
    # whole rows, so the columns stay
    assert len(released) == 2 + (6 + 1 if with_id else 0)  # after reading, per dropped column, the ids, at the end
    _same_survey_data(kept, freed)
    assert len(freed.flags) > 0 and freed.n_excluded > 0  # the rules and exclusions were exercised
    assert freed.items.to_numpy().flags.f_contiguous  # one contiguous column per item, as the engines read them


def test_ids_of_a_text_column_give_the_same_duplicates_and_series_as_object_ids(tmp_path):
    path = _survey_csv(tmp_path / "r.csv")
    (tmp_path / "m.yaml").write_text(MODEL_YAML % {"id": "id_column: respondent_id"}, encoding="utf-8")
    model = csi.load_model(tmp_path / "m.yaml")
    raw = read_table(path)
    as_text = prepare(raw, model, on_invalid="flag")
    as_objects = prepare(raw.frame.astype(object), model, on_invalid="flag")  # the generic path of the ids
    assert as_text.respondent_id.tolist() == as_objects.respondent_id.tolist()
    assert isinstance(as_text.respondent_id.dtype, pd.StringDtype) and as_text.respondent_id.name == "respondent_id"
    dup = as_text.flags[as_text.flags["flag"] == "duplicate"]
    assert dup["respondent_id"].tolist() == ["R00001", "R00001"]  # rows 7 and 11 repeat row 3 (" R00001 ", stripped)
    assert all("R00001" in d and "row 3" in d for d in dup["detail"])
    for name in ("flags", "quality_summary"):
        pd.testing.assert_frame_equal(getattr(as_text, name).drop(columns=["row"], errors="ignore"),
                                      getattr(as_objects, name).drop(columns=["row"], errors="ignore"), obj=name)


def test_item_means_do_not_depend_on_the_memory_layout():
    rng = np.random.default_rng(11)
    checked = 0
    for n, p in [(1, 2), (7, 3), (502, 15), (8193, 4), (20_000, 14)]:
        x = rng.standard_normal((n, p)) * 10.0 ** rng.integers(-3, 4) + rng.integers(1, 11, (n, p))
        holes = rng.random((n, p)) < 0.2
        holes[0] = False
        x[holes] = np.nan
        row_major = _col_nanmean(np.ascontiguousarray(x), holes)
        column_major = _col_nanmean(np.asfortranarray(x), np.asfortranarray(holes))
        assert row_major.tobytes() == column_major.tobytes()
        checked += 1
    assert checked == 5


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_the_arrow_reader_gives_the_c_engines_table_in_every_encoding(tmp_path, monkeypatch, encoding):
    text = "\n\nid,标签,q1\n007,顾客满意度,7\n008,,10\n\n009,\"a, \"\"b\"\"\",3\n"
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode(encoding))
    fast = read_table(path)
    monkeypatch.setattr(readers, "_read_arrow", lambda *a, **k: None)
    slow = read_table(path)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    np.testing.assert_array_equal(fast.row_numbers, slow.row_numbers)
    assert fast.row_numbers.tolist() == [4, 5, 6, 7] and fast.frame["id"].tolist()[0] == "007"
    assert fast.frame["标签"].tolist()[3] == 'a, "b"'
