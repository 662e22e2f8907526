"""The run bundle (save → load round trip) and report.xlsx with its native charts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

import csi_survey as csi
from csi_survey.exceptions import ReportError
from csi_survey.report.atomic import AtomicOutput
from csi_survey.report.bundle import RunBundle, bundle_from_tables, load_bundle, save_bundle
from csi_survey.run_tables import run_tables
from csi_survey.report.xlsx_charts import write_report_workbook

from .conftest import EXAMPLES

NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}
EVIL = '=HYPERLINK("http://evil.example","click")'


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return csi.load_model(EXAMPLES / "acsi_retail.yaml")


@pytest.fixture(scope="module")
def real_tables(model):
    """The tables of a real bootstrapped run on the retail example (keys as run_tables gives them)."""
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")
    fit = csi.bootstrap(csi.PLS(model).fit(data), data, resamples=30, seed=1, n_jobs=1)
    tables = run_tables(fit, data, csi.assess(fit)).tables
    return tables, fit, data


def _meta(model, **changes):
    meta = {
        "version": csi.__version__,
        "model_name": model.name,
        "index_construct": "SAT",
        "labels": {c: model.label(c) for c in model.construct_ids},
        "lang": "en",
        "engine": "PLS path modeling, path scheme",
        "n_read": 507,
        "n_used": 502,
        "n_excluded": 5,
        "headline": {"construct": "SAT", "label": "Customer satisfaction", "index": 68.5777, "ci_lower": 67.19,
                     "ci_upper": 70.15, "margin_of_error": 1.48, "level": 0.95},
        "bootstrap": {"resamples": 30, "used": 30, "failed": 0, "seed": 1, "level": 0.95, "method": "percentile"},
        "segments": ["region", "channel"],
        "wave": "wave",
        "impact_step": 5,
    }
    meta.update(changes)
    return meta


def _synthetic(labels: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Small tables of every optional kind, following the table contract."""
    lab = {"EXP": "Customer expectations", "PQ": "Perceived quality", "PV": "Perceived value",
           "SAT": "Customer satisfaction", "LOY": "Customer loyalty", "COMP": "Complaints", **(labels or {})}
    status_small = "insufficient sample (n = 37 < 50)"
    return {
        "impacts": pd.DataFrame({
            "target": ["SAT", "SAT", "SAT", "LOY"], "driver": ["EXP", "PQ", "PV", "SAT"],
            "total_effect": [0.44, 0.45, 0.29, 0.51], "total_effect_100": [0.41, 0.52, 0.25, 0.60],
            "impact": [2.05, 2.6, 1.25, 3.0],
        }),
        "ipma": pd.DataFrame({
            "target": ["SAT", "SAT", "SAT", "SAT", "LOY", "LOY"],
            "level": ["construct", "construct", "construct", "item", "construct", "construct"],
            "driver": ["EXP", "PQ", "PV", "PQ", "SAT", "COMP"],
            "item": ["", "", "", "pq_overall", "", ""],
            "label": [lab["EXP"], lab["PQ"], lab["PV"], "pq_overall", lab["SAT"], lab["COMP"]],
            "importance": [0.41, 0.52, 0.25, 0.14, 0.60, 0.05],
            "performance": [74.7, 74.2, 65.7, 75.1, 68.6, 11.2],
            "quadrant": ["low priority", "keep up", "fix first", "keep up", "keep up", "low priority"],
        }),
        "gaps": pd.DataFrame({
            "label": ["Overall quality", "Reliability"], "expected": ["exp_overall", "exp_reliab"],
            "experienced": ["pq_overall", "pq_reliab"], "n": [480, 470], "expected_mean": [7.6, 7.4],
            "experienced_mean": [7.5, 7.6], "gap": [-0.1, 0.2], "std_err": [0.05, 0.06],
            "ci_lower": [-0.2, 0.08], "ci_upper": [0.0, 0.32],
        }),
        "frequencies": pd.DataFrame({
            "item": ["sat_overall"] * 3, "construct": ["SAT"] * 3, "answer": [8, 9, 10],
            "count": [120, 200, 90], "share": [0.29, 0.49, 0.22],
        }),
        "item_summary": pd.DataFrame({
            "item": ["sat_overall", "pq_problems"], "construct": ["SAT", "PQ"], "n_answered": [410, 498],
            "n_missing": [92, 4], "mean": [8.1, 3.2], "top_box_share": [0.52, 0.1], "reverse": [False, True],
        }),
        "nps": pd.DataFrame({
            "segment_column": ["", "region", "region"], "segment": ["(total)", "1", "2"], "n": [502, 250, 252],
            "promoters": [40.0, 42.0, 38.0], "passives": [35.0, 34.0, 36.0], "detractors": [25.0, 24.0, 26.0],
            "nps": [15.0, 18.0, 12.0], "std_err": [3.9, 5.5, 5.6], "ci_lower": [7.4, 7.2, 1.0], "ci_upper": [22.6, 28.8, 23.0],
        }),
        "csat": pd.DataFrame({
            "segment_column": ["", "region", "region"], "segment": ["(total)", "1", "2"], "n": [502, 250, 252],
            "top_box_share": [52.0, 55.0, 49.0], "std_err": [2.2, 3.1, 3.1], "ci_lower": [47.6, 48.9, 42.9],
            "ci_upper": [56.4, 61.1, 55.1],
        }),
        "segment_index": pd.DataFrame({
            "segment_column": ["", "", "region", "region", "region", "region", "channel", "channel", "channel", "channel"],
            "segment": ["(total)", "(total)", "1", "1", "2", "2", "online", "online", "store", "store"],
            "construct": ["SAT", "PQ"] * 5,
            "label": [lab["SAT"], lab["PQ"]] * 5,
            "index": [68.6, 74.2, 70.1, 75.0, np.nan, np.nan, 67.0, 73.1, 69.5, 75.3],
            "ci_lower": [67.2, 73.1, 68.0, 73.9, np.nan, np.nan, 64.8, 71.0, 67.6, 73.9],
            "ci_upper": [70.1, 75.4, 72.3, 76.2, np.nan, np.nan, 69.1, 75.0, 71.4, 76.6],
            "n": [502, 502, 465, 465, 37, 37, 200, 200, 302, 302],
            "status": ["estimated"] * 4 + [status_small] * 2 + ["estimated"] * 4,
        }),
        "segment_paths": pd.DataFrame({
            "segment_column": ["", "region"], "segment": ["(total)", "1"], "source": ["PQ", "PQ"], "target": ["SAT", "SAT"],
            "estimate": [0.42, 0.40], "ci_lower": [0.35, 0.31], "ci_upper": [0.5, 0.49], "status": ["estimated", "estimated"],
        }),
        "segment_impacts": pd.DataFrame({
            "segment_column": ["", "region"], "segment": ["(total)", "1"], "target": ["SAT", "SAT"],
            "driver": ["PQ", "PQ"], "impact": [2.6, 2.4], "status": ["estimated", "failed: singular matrix"],
        }),
        "segment_differences": pd.DataFrame({
            "segment_column": ["channel"], "segment_a": ["online"], "segment_b": ["store"], "statistic": ["index"],
            "source": [""], "target": ["SAT"], "value_a": [67.0], "value_b": [69.5], "difference": [2.5],
            "p_value": [0.08], "method": ["permutation"], "p_adjusted": [0.16], "significant": [False],
            "correction": ["holm"],
        }),
        "segment_omnibus": pd.DataFrame({
            "segment_column": ["region", "region"], "statistic": ["index", "path"], "source": ["SAT", "PQ"],
            "target": ["", "SAT"], "segments": [3, 3], "n": [502, 502], "value_min": [57.4, 0.27], "value_max": [74.1, 0.48],
            "dispersion": [41.2, 0.006], "p_value": [0.001, 0.46], "significant": [True, False],
            "method": ["permutation", "permutation"],
        }),
        "micom": pd.DataFrame({
            "segment_column": ["region"] * 2, "segment_a": ["1", "1"], "segment_b": ["2", "2"], "construct": ["SAT", "PQ"],
            "label": [lab["SAT"], lab["PQ"]], "n_a": [118, 118], "n_b": [154, 154], "configural": [True, True],
            "c": [0.9998, 0.93], "c_critical": [0.9991, 0.99], "c_p_value": [0.49, 0.002], "c_p_adjusted": [0.49, 0.002],
            "compositional": [True, False], "mean_difference": [0.41, 0.2], "mean_perm_lower": [-0.2, -0.2],
            "mean_perm_upper": [0.2, 0.2], "mean_p_value": [0.001, 0.04], "mean_p_adjusted": [0.001, 0.04],
            "equal_means": [False, False], "log_var_difference": [0.1, 0.0], "var_perm_lower": [-0.3, -0.3],
            "var_perm_upper": [0.3, 0.3], "var_p_value": [0.4, 0.9], "var_p_adjusted": [0.4, 0.9],
            "equal_variances": [True, True], "invariance": ["partial", "none"],
            "decision": ["partial measurement invariance (composite means differ): …", "compositional invariance not established …"],
            "correction": ["holm", "holm"], "permutations_used": [1000, 1000],
        }),
        "wave_index": pd.DataFrame({
            "wave": [2024, 2024, 2025, 2025, 2026, 2026], "construct": ["SAT", "PQ"] * 3,
            "label": [lab["SAT"], lab["PQ"]] * 3, "index": [66.0, 73.0, 67.2, 73.8, 68.6, 74.2],
            "ci_lower": [64.5, 71.9, 65.8, 72.6, 67.2, 73.1], "ci_upper": [67.5, 74.1, 68.6, 75.0, 70.1, 75.4],
            "n": [480, 480, 495, 495, 502, 502], "status": ["estimated"] * 6,
        }),
        "wave_changes": pd.DataFrame({
            "wave": [2025, 2026], "previous_wave": [2024, 2025], "construct": ["SAT", "SAT"],
            "label": [lab["SAT"], lab["SAT"]], "change": [1.2, 1.4], "ci_lower": [-0.8, -0.6], "ci_upper": [3.2, 3.4],
        }),
    }


@pytest.fixture(scope="module")
def full_bundle(model, real_tables):
    tables, _, _ = real_tables
    return bundle_from_tables(_meta(model), {**tables, **_synthetic()}, model)


# -- helpers -------------------------------------------------------------------------------------


def _assert_tables_equal(expected: pd.DataFrame, actual: pd.DataFrame, name: str) -> None:
    assert list(actual.columns) == list(expected.columns), name
    if len(expected) == 0:  # CSV cannot tell the dtypes of an empty table
        assert len(actual) == 0, name
        return
    for column in expected.columns:
        e, a = expected[column], actual[column]
        if e.dtype == object or isinstance(e.dtype, pd.StringDtype):
            assert a.tolist() == e.tolist() or a.fillna("").tolist() == e.fillna("").tolist(), (name, column)
            assert isinstance(a.dtype, pd.StringDtype) or a.dtype == object, (name, column, a.dtype)
        else:
            pd.testing.assert_series_equal(a, e, check_names=False, obj=f"{name}.{column}")


def _charts(path: Path) -> list[dict]:
    """Every chart of the workbook: its kind, title and series (references and cached values)."""
    charts = []
    with zipfile.ZipFile(path) as z:
        names = sorted((n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
                       key=lambda n: int(re.search(r"\d+", n.rsplit("/", 1)[1]).group()))
        for name in names:
            root = ET.fromstring(z.read(name))
            plot = root.find("c:chart/c:plotArea", NS)
            kinds = [child.tag.split("}")[1] for child in plot if child.tag.endswith("Chart")]
            title = "".join(t.text or "" for t in root.findall("c:chart/c:title//a:t", NS))
            series = []
            for ser in plot.iter(f"{{{NS['c']}}}ser"):
                def ref(path, ser=ser):
                    f = ser.find(path + "//c:f", NS)
                    return None if f is None else f.text

                def cache(path, ser=ser):
                    return [v.text for v in ser.findall(path + "//c:pt/c:v", NS)]

                series.append({
                    "name": ref("c:tx"), "name_text": ser.findtext("c:tx/c:v", namespaces=NS),
                    "cat": ref("c:cat") or ref("c:xVal"), "val": ref("c:val") or ref("c:yVal"),
                    "cat_cache": cache("c:cat") or cache("c:xVal"),
                    "plus": ref("c:errBars/c:plus"), "minus": ref("c:errBars/c:minus"),
                    "labels": [f.text for f in ser.findall("c:dLbls/c:dLbl/c:tx//c:f", NS)],
                    "label_cache": [v.text for v in ser.findall("c:dLbls/c:dLbl/c:tx//c:v", NS)],
                })
            charts.append({"kinds": kinds, "title": title, "series": series})
    return charts


def _cells(wb: openpyxl.Workbook, ref: str) -> list:
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


# -- bundle: building and saving -------------------------------------------------------------------


def test_bundle_from_tables_strips_csv_and_makes_meta_json_safe(model, real_tables):
    tables, _, _ = real_tables
    meta = _meta(model, n_used=np.int64(502), headline={"index": np.float64(68.5), "ci_lower": np.nan},
                 segments=("region",), bootstrap=None)
    bundle = bundle_from_tables(meta, tables, model)
    assert isinstance(bundle, RunBundle)
    assert "index" in bundle.tables and "index.csv" not in bundle.tables
    assert bundle.table("index") is tables["index.csv"] and bundle.table("ipma") is None
    assert type(bundle.meta["n_used"]) is int
    assert bundle.meta["headline"] == {"index": 68.5, "ci_lower": None}
    assert bundle.meta["segments"] == ["region"]


def test_bundle_from_tables_rejects_bad_input(model):
    index = pd.DataFrame({"construct": ["SAT"], "index": [70.0]})
    with pytest.raises(ReportError, match="given twice"):
        bundle_from_tables({}, {"index": index, "index.csv": index}, model)
    with pytest.raises(ReportError, match="not a valid table name"):
        bundle_from_tables({}, {"../index": index}, model)
    with pytest.raises(ReportError, match="'tables'"):
        bundle_from_tables({"tables": []}, {"index": index}, model)
    with pytest.raises(TypeError):
        bundle_from_tables({}, {"index": [1, 2]}, model)
    with pytest.raises(TypeError):
        bundle_from_tables({}, {"index": index}, "model.yaml")


def test_real_run_round_trips(full_bundle, tmp_path):
    written = save_bundle(full_bundle, tmp_path)
    assert {p.name for p in written} == {f"{n}.csv" for n in full_bundle.tables} | {"run.json", "model.yaml"}
    assert all(p.parent == tmp_path and p.is_file() for p in written)
    loaded = load_bundle(tmp_path)
    assert loaded.meta == full_bundle.meta
    assert loaded.model.model_dump() == full_bundle.model.model_dump()
    assert list(loaded.tables) == list(full_bundle.tables)
    for name, table in full_bundle.tables.items():
        _assert_tables_equal(table, loaded.tables[name], name)


def test_round_trip_restores_sensible_types(full_bundle, tmp_path):
    save_bundle(full_bundle, tmp_path)
    t = load_bundle(tmp_path).tables
    assert t["index"]["index"].dtype == np.float64 and t["index"]["n"].dtype == np.int64
    assert t["quality"]["alpha_low"].dtype == bool and t["item_summary"]["reverse"].tolist() == [False, True]
    # segment codes that look like numbers stay text; the total row keeps segment_column ""
    assert t["nps"]["segment"].tolist() == ["(total)", "1", "2"]
    assert t["nps"]["segment_column"].tolist() == ["", "region", "region"]
    # construct-level IPMA rows keep item ""
    assert t["ipma"]["item"].tolist() == ["", "", "", "pq_overall", "", ""]
    # numbers that are data (waves, answers) come back as numbers; NaN as NaN
    assert t["wave_index"]["wave"].dtype == np.int64 and t["frequencies"]["answer"].tolist() == [8, 9, 10]
    assert t["segment_index"]["index"].isna().sum() == 2
    # ids keep their leading letters/zeros as text, "" for the empty row's id
    excluded = t["excluded"]
    assert excluded["row"].dtype == np.int64 and "R00036" in excluded["respondent_id"].tolist()
    assert t["bootstrap"]["statistic"].iloc[0] == "path"
    # segment comparisons: flags as booleans, segment labels as text, the index rows' target ""
    assert t["micom"]["segment_a"].tolist() == ["1", "1"] and t["micom"]["compositional"].tolist() == [True, False]
    assert t["micom"]["c_p_adjusted"].dtype == np.float64 and t["micom"]["invariance"].tolist() == ["partial", "none"]
    assert t["segment_omnibus"]["significant"].dtype == bool and t["segment_omnibus"]["target"].tolist() == ["", "SAT"]
    assert t["segment_differences"]["correction"].tolist() == ["holm"]


def test_text_that_looks_like_numbers_or_missing_stays_text(model, tmp_path):
    table = pd.DataFrame({
        "construct": ["1", "NA", "None", "null"], "label": ["007", "nan", "True", "-3.5"],
        "index": [1.0, np.nan, np.inf, -np.inf], "n": [1, 2, 3, 4], "id": ["007", "008", "009", "010"],
    })
    save_bundle(bundle_from_tables({}, {"index": table}, model), tmp_path)
    loaded = load_bundle(tmp_path).tables["index"]
    assert loaded["construct"].tolist() == ["1", "NA", "None", "null"]
    assert loaded["label"].tolist() == ["007", "nan", "True", "-3.5"]
    assert loaded["id"].tolist() == ["007", "008", "009", "010"]  # leading zeros: not numbers
    np.testing.assert_array_equal(loaded["index"].to_numpy(), table["index"].to_numpy())
    assert loaded["n"].dtype == np.int64


def test_names_in_the_method_tables_stay_text(model, tmp_path):
    """Construct ids, items, chains, methods and verdicts of the method tables are text even when they look like numbers."""
    tables = {
        "indirect_effects": pd.DataFrame({"source": ["1"], "target": ["3"], "through": ["2"], "path": ["1 → 2 → 3"],
                                          "mediators": [1], "estimate": [0.1]}),
        "mediation": pd.DataFrame({"source": ["1"], "target": ["3"], "direct": [0.2], "total_indirect": [0.1], "mediation": ["NA"],
                                   "chains": [1], "direct_path": [True], "sentence": ["1.5"]}),
        "interaction_effects": pd.DataFrame({"source": ["1*2"], "target": ["3"], "iv": ["1"], "moderator": ["2"],
                                             "method": ["None"], "estimate": [0.05]}),
        "simple_slopes": pd.DataFrame({"interaction": ["1*2"], "iv": ["1"], "moderator": ["2"], "target": ["3"],
                                       "moderator_level": [-1.0], "estimate": [0.3]}),
        "slope_plot": pd.DataFrame({"interaction": ["1*2"], "iv": ["1"], "moderator": ["2"], "target": ["3"], "iv_level": [1.0],
                                    "moderator_level": [0.0], "estimate": [0.3]}),
        "model_fit": pd.DataFrame({"measure": ["1"], "saturated": [0.05], "estimated": [0.06]}),
        "fit_test": pd.DataFrame({"measure": ["1"], "estimate": [0.06], "reject_95": [False]}),
        "prediction": pd.DataFrame({"construct": ["3"], "item": ["007"], "pls_rmse": [1.2]}),
        "prediction_summary": pd.DataFrame({"construct": ["3"], "items": [1], "predictive_power": ["null"], "verdict": ["2"]}),
        "higher_order": pd.DataFrame({"construct": ["4"], "dimension": ["1"], "weight": [0.6], "dimension_index": [70.0]}),
    }
    save_bundle(bundle_from_tables({}, tables, model), tmp_path)
    loaded = load_bundle(tmp_path).tables
    for name, table in tables.items():
        for column in table.columns:
            if table[column].dtype == object:
                assert loaded[name][column].tolist() == table[column].tolist(), (name, column)
            else:
                assert loaded[name][column].dtype == table[column].dtype, (name, column)


DANGEROUS = [EVIL, "-", "-3.5", "+1", "@SUM(A1:A9)", "\tindent", "line\r\nbreak", "顾客满意度", "=1+1 顾客", "plain"]


def test_dangerous_and_chinese_labels_survive_a_round_trip_without_double_prefix(model, tmp_path):
    index = pd.DataFrame({
        "construct": [f"C{i}" for i in range(len(DANGEROUS))], "label": DANGEROUS,
        "index": np.linspace(50, 80, len(DANGEROUS)), "n": 100,
    })
    other = pd.DataFrame({"-x": ["=a", "b"], "@y": [1, 2]})  # dangerous column names, unknown table
    first = tmp_path / "first"
    save_bundle(bundle_from_tables({"model_name": EVIL}, {"index": index, "extra": other}, model), first)

    # neutralised in the written CSV: exactly one protecting quote
    raw = pd.read_csv(first / "index.csv", encoding="utf-8-sig", keep_default_na=False)
    assert raw["label"].tolist()[:6] == ["'" + EVIL, "'-", "'-3.5", "'+1", "'@SUM(A1:A9)", "'\tindent"]
    assert raw["label"].tolist()[7:] == ["顾客满意度", "'=1+1 顾客", "plain"]
    assert (first / "extra.csv").read_text(encoding="utf-8-sig").splitlines()[0] == "'-x,'@y"

    loaded = load_bundle(first)
    assert loaded.tables["index"]["label"].tolist() == DANGEROUS
    assert list(loaded.tables["extra"].columns) == ["-x", "@y"]
    assert loaded.tables["extra"]["-x"].tolist() == ["=a", "b"]
    assert loaded.meta["model_name"] == EVIL  # run.json is data, not a spreadsheet: kept as is

    # a re-render does not double-prefix: saving the loaded bundle writes identical files
    second = tmp_path / "second"
    save_bundle(loaded, second)
    for name in ("index.csv", "extra.csv", "run.json", "model.yaml"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name

    # and the workbook holds each label once prefixed, as a string cell, in the sheet and the chart
    write_report_workbook(second / "report.xlsx", loaded)
    wb = openpyxl.load_workbook(second / "report.xlsx")
    ws = wb["Index"]
    labels = [ws.cell(r, 2).value for r in range(4, 4 + len(DANGEROUS))]
    assert labels[0] == "'" + EVIL and labels[1] == "'-" and labels[7] == "顾客满意度"
    assert all(ws.cell(r, 2).data_type == "s" for r in range(4, 4 + len(DANGEROUS)))
    (chart,) = _charts(second / "report.xlsx")
    assert chart["series"][0]["cat_cache"][0] == "'" + EVIL
    assert chart["series"][0]["cat_cache"][7] == "顾客满意度"
    assert _cells(wb, chart["series"][0]["cat"])[:2] == ["'" + EVIL, "'-"]


def test_a_lone_carriage_return_survives_a_round_trip(model, tmp_path):
    index = pd.DataFrame({"construct": ["A", "B"], "label": ["\rcarriage", "a\rb"], "index": [1.0, 2.0]})
    save_bundle(bundle_from_tables({}, {"index": index}, model), tmp_path)
    assert load_bundle(tmp_path).tables["index"]["label"].tolist() == ["\rcarriage", "a\rb"]


def test_run_json_is_readable_utf8_with_nulls(model, tmp_path):
    meta = _meta(model, lang="zh", labels={"SAT": "顾客满意度"}, headline={"construct": "SAT", "label": "顾客满意度",
                 "index": np.float64(70.25), "ci_lower": np.nan, "ci_upper": None, "margin_of_error": float("inf"), "level": None})
    save_bundle(bundle_from_tables(meta, {"index": pd.DataFrame({"construct": ["SAT"], "index": [70.25]})}, model), tmp_path)
    raw = (tmp_path / "run.json").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    assert "顾客满意度" in text and "\\u" not in text and "NaN" not in text and "Infinity" not in text
    assert '\n  "version"' in text  # indented
    content = json.loads(text)
    assert content["headline"]["ci_lower"] is None and content["headline"]["margin_of_error"] is None
    assert content["tables"] == ["index"]
    assert load_bundle(tmp_path).meta == bundle_from_tables(meta, {}, model).meta
    assert (tmp_path / "model.yaml").read_text(encoding="utf-8") == model.to_yaml()


def test_save_into_an_open_atomic_output_commits_with_the_other_files(full_bundle, tmp_path):
    with AtomicOutput(tmp_path) as out:
        written = save_bundle(full_bundle, out)
        write_report_workbook(out.path("report.xlsx"), full_bundle)
        assert not (tmp_path / "run.json").exists()  # staged only
    assert all(p.is_file() for p in written) and (tmp_path / "report.xlsx").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".csi-survey-manifest.json"]
    assert load_bundle(tmp_path).meta == full_bundle.meta


def test_tables_of_an_earlier_run_in_the_folder_are_not_loaded(model, full_bundle, tmp_path):
    save_bundle(full_bundle, tmp_path)
    smaller = bundle_from_tables(_meta(model, segments=[], wave=None), {"index": full_bundle.tables["index"]}, model)
    save_bundle(smaller, tmp_path)
    assert not (tmp_path / "segment_index.csv").exists()  # the folder holds exactly the second run's files
    assert list(load_bundle(tmp_path).tables) == ["index"]


def test_run_json_without_a_table_list_loads_every_csv(model, tmp_path):
    bundle = bundle_from_tables({}, {"index": pd.DataFrame({"construct": ["SAT"], "index": [1.5]}),
                                     "r2": pd.DataFrame({"construct": ["SAT"], "r2": [0.5]})}, model)
    save_bundle(bundle, tmp_path)
    (tmp_path / "run.json").write_text('{"version": "0.1.0"}', encoding="utf-8")
    loaded = load_bundle(tmp_path)
    assert loaded.meta == {"version": "0.1.0"} and sorted(loaded.tables) == ["index", "r2"]


# -- bundle: not a run folder, corrupt files -------------------------------------------------------


def test_a_folder_that_is_not_a_run_says_what_is_missing(tmp_path):
    with pytest.raises(ReportError) as error:
        load_bundle(tmp_path)
    message = str(error.value)
    assert "not a csi-survey run folder" in message and "run.json and model.yaml are missing" in message
    assert "csi-survey run … --out DIR" in message

    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ReportError, match=r"model\.yaml is missing") as error:
        load_bundle(tmp_path)
    assert "run.json" not in str(error.value).split("How to fix")[0]

    with pytest.raises(ReportError, match="does not exist"):
        load_bundle(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ReportError, match="not a run folder"):
        load_bundle(tmp_path / "file.txt")


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda d: (d / "run.json").write_text("{not json", encoding="utf-8"), r"run\.json .* is corrupt"),
        (lambda d: (d / "run.json").write_text("[1, 2]", encoding="utf-8"), r"JSON list, not an object"),
        (lambda d: (d / "run.json").write_bytes(b"\xff\xfe\x00{"), r"run\.json .* is corrupt"),
        (lambda d: (d / "model.yaml").write_text("constructs: [oops", encoding="utf-8"), r"model\.yaml in .* is corrupt"),
        (lambda d: (d / "index.csv").unlink(), r"incomplete: index\.csv is listed in run\.json but missing"),
        (lambda d: (d / "index.csv").write_bytes(b"construct,index\n\xff\xfe,1\n"), r"index\.csv .* is corrupt"),
        (lambda d: (d / "index.csv").write_text('construct,index\n"SAT,1\n', encoding="utf-8"), r"index\.csv .* is corrupt"),
    ],
)
def test_corrupt_files_give_a_clear_error(model, tmp_path, damage, match):
    save_bundle(bundle_from_tables(_meta(model), {"index": pd.DataFrame({"construct": ["SAT"], "index": [70.0]})}, model), tmp_path)
    damage(tmp_path)
    with pytest.raises(ReportError, match=match):
        load_bundle(tmp_path)


# -- workbook --------------------------------------------------------------------------------------

FULL_ORDER = [
    "Summary", "Charts", "Index", "Paths", "Effects", "Weights", "R2", "Impacts", "IPMA", "Gaps", "Item summary",
    "Frequencies", "NPS", "CSAT", "Segment index", "Segment paths", "Segment impacts", "Segment omnibus",
    "Segment differences", "MICOM", "Wave index", "Wave changes", "Quality", "HTMT", "Model fit", "Quality flags", "Bootstrap", "Bootstrap failures",
    "Missing", "Data quality", "Flags", "Excluded", "Scores",
]


@pytest.fixture(scope="module")
def full_workbook(full_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    save_bundle(full_bundle, folder)
    loaded = load_bundle(folder)  # render from the folder, as `csi-survey report DIR` would
    write_report_workbook(folder / "report.xlsx", loaded)
    return folder / "report.xlsx", loaded


def test_workbook_has_every_sheet_in_order_with_a_note(full_workbook):
    path, bundle = full_workbook
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == FULL_ORDER
    for name in FULL_ORDER:
        assert isinstance(wb[name]["A1"].value, str) and wb[name]["A1"].value, name
    assert wb["Impacts"]["A1"].value.startswith("Impact: points the target's 0–100 index gains") and "5 points" in wb["Impacts"]["A1"].value
    index = wb["Index"]
    assert [c.value for c in index[3]][:4] == ["construct", "label", "index", "n"]
    assert index.max_row == 3 + len(bundle.tables["index"])
    assert wb.properties.title == bundle.meta["model_name"]


def test_summary_sheet_comes_from_meta(full_workbook):
    path, bundle = full_workbook
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["Model"] == "Retail ACSI 2026-Q3"
    assert rows["Satisfaction index (0–100)"] == 68.6
    assert rows["Interval (95%)"] == "67.2 – 70.2" and rows["Margin of error (±)"] == 1.5
    assert rows["Index construct"] == "SAT (Customer satisfaction)"
    assert rows["Respondents used"] == 502 and rows["Rows excluded"] == 5
    assert rows["Bootstrap resamples"] == "30 used of 30 (0 failed)" and rows["Intervals"] == "percentile, 95%"
    assert rows["Segments"] == "region, channel" and rows["Wave column"] == "wave"
    assert rows["csi-survey version"] == csi.__version__


def test_charts_are_native_and_reference_the_charts_sheet(full_workbook):
    path, _ = full_workbook
    charts = _charts(path)
    assert [c["kinds"] for c in charts] == [["barChart"], ["scatterChart"], ["scatterChart"], ["barChart"], ["barChart"], ["lineChart"]]
    assert [c["title"] for c in charts] == [
        "Index by construct (0–100) with intervals",
        "Importance–performance map: Customer satisfaction",
        "Importance–performance map: Customer loyalty",
        "Customer satisfaction by region (0–100)",
        "Customer satisfaction by channel (0–100)",
        "Index by wave (0–100)",
    ]
    refs = [ref for c in charts for s in c["series"] for ref in (s["cat"], s["val"], s["plus"], s["minus"], *s["labels"]) if ref]
    assert refs and all(ref.startswith("Charts!$") for ref in refs)
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/media/")]  # no pictures
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode()  # sheet 2 = Charts
        assert "drawing" in rels
    wb = openpyxl.load_workbook(path)
    assert len(wb["Charts"]._charts) == 6
    assert all(len(wb[name]._charts) == 0 for name in FULL_ORDER if name != "Charts")


def test_index_chart_has_labels_values_and_error_bars_from_helper_columns(full_workbook):
    path, bundle = full_workbook
    wb = openpyxl.load_workbook(path)
    (series,) = _charts(path)[0]["series"]
    table = bundle.tables["index"]
    assert _cells(wb, series["cat"]) == table["label"].tolist()
    np.testing.assert_allclose(_cells(wb, series["val"]), table["index"])
    plus, minus = _cells(wb, series["plus"]), _cells(wb, series["minus"])
    np.testing.assert_allclose(plus, table["ci_upper"] - table["index"])
    np.testing.assert_allclose(minus, table["index"] - table["ci_lower"])
    # the helper columns are labelled as such, beside the block's other columns
    ws = wb["Charts"]
    plus_col = range_boundaries(series["plus"].split("!")[1].replace("$", ""))[0]
    minus_col = range_boundaries(series["minus"].split("!")[1].replace("$", ""))[0]
    header_row = range_boundaries(series["plus"].split("!")[1].replace("$", ""))[1] - 1
    assert ws.cell(header_row, plus_col).value == "above (ci_upper − index)"
    assert ws.cell(header_row, minus_col).value == "below (index − ci_lower)"
    assert series["cat_cache"] == table["label"].tolist()  # cached for viewers that do not recalculate


def test_ipma_chart_per_target_with_driver_labels_and_median_lines(full_workbook):
    path, bundle = full_workbook
    wb = openpyxl.load_workbook(path)
    ipma = bundle.tables["ipma"]
    for chart, target in zip(_charts(path)[1:3], ["SAT", "LOY"]):
        rows = ipma[(ipma["target"] == target) & (ipma["level"] == "construct")]
        points, *lines = chart["series"]
        np.testing.assert_allclose(_cells(wb, points["cat"]), rows["performance"])  # x
        np.testing.assert_allclose(_cells(wb, points["val"]), rows["importance"])  # y
        assert [_cells(wb, ref)[0] for ref in points["labels"]] == rows["label"].tolist()
        assert points["label_cache"] == rows["label"].tolist()
        assert len(lines) == 2
        x, y = _cells(wb, lines[0]["cat"]), _cells(wb, lines[0]["val"])
        assert x == [pytest.approx(rows["performance"].median())] * 2
        assert y == [pytest.approx(rows["importance"].min()), pytest.approx(rows["importance"].max())]
        assert _cells(wb, lines[1]["val"]) == [pytest.approx(rows["importance"].median())] * 2


def test_segment_chart_per_segment_column_with_total_first(full_workbook):
    path, _ = full_workbook
    wb = openpyxl.load_workbook(path)
    region, channel = _charts(path)[3:5]
    (series,) = region["series"]
    assert _cells(wb, series["cat"]) == ["(total)", "1", "2"]
    assert _cells(wb, series["val"]) == [68.6, 70.1, None]  # too small a segment: no bar
    assert _cells(wb, series["plus"]) == [pytest.approx(1.5), pytest.approx(2.2), None]
    (series,) = channel["series"]
    assert _cells(wb, series["cat"]) == ["(total)", "online", "store"]
    assert _cells(wb, series["val"]) == [68.6, 67.0, 69.5]


def test_wave_chart_has_a_line_per_construct(full_workbook):
    path, _ = full_workbook
    wb = openpyxl.load_workbook(path)
    chart = _charts(path)[5]
    assert [_cells(wb, s["name"])[0] for s in chart["series"]] == ["Customer satisfaction", "Perceived quality"]
    assert _cells(wb, chart["series"][0]["cat"]) == [2024, 2025, 2026]
    assert _cells(wb, chart["series"][0]["val"]) == [66.0, 67.2, 68.6]
    assert _cells(wb, chart["series"][1]["val"]) == [73.0, 73.8, 74.2]


def test_missing_optional_tables_give_no_sheet_and_no_chart(model, real_tables, tmp_path):
    tables, _, _ = real_tables
    index = tables["index.csv"][["construct", "label", "index", "n"]]  # without a bootstrap
    bundle = bundle_from_tables(_meta(model, bootstrap=None, segments=[], wave=None), {"index": index}, model)
    write_report_workbook(tmp_path / "a.xlsx", bundle)
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames == ["Summary", "Charts", "Index"]
    (chart,) = _charts(tmp_path / "a.xlsx")
    assert chart["title"] == "Index by construct (0–100)"
    assert chart["series"][0]["plus"] is None and chart["series"][0]["minus"] is None

    bundle = bundle_from_tables(_meta(model), {"paths": tables["paths.csv"]}, model)
    write_report_workbook(tmp_path / "b.xlsx", bundle)
    assert openpyxl.load_workbook(tmp_path / "b.xlsx").sheetnames == ["Summary", "Paths"]
    assert _charts(tmp_path / "b.xlsx") == []


def test_without_an_index_construct_segments_show_every_construct(model, tmp_path):
    tables = _synthetic()
    bundle = bundle_from_tables(_meta(model, index_construct=None, headline=None), {"segment_index": tables["segment_index"]}, model)
    write_report_workbook(tmp_path / "r.xlsx", bundle)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    charts = _charts(tmp_path / "r.xlsx")
    assert len(charts) == 2
    names = [_cells(wb, s["name"])[0] for s in charts[0]["series"]]
    assert names == ["Customer satisfaction", "Perceived quality"]  # clustered: one series per construct
    assert _cells(wb, charts[0]["series"][1]["val"]) == [74.2, 75.0, None]


def test_chinese_labels_in_sheets_and_charts(model, tmp_path):
    zh = {"SAT": "顾客满意度", "PQ": "感知质量", "EXP": "顾客期望", "PV": "感知价值", "LOY": "顾客忠诚", "COMP": "顾客抱怨"}
    tables = _synthetic(zh)
    index = pd.DataFrame({"construct": list(zh), "label": list(zh.values()), "index": np.linspace(60, 80, 6), "n": 500})
    bundle = bundle_from_tables(_meta(model, lang="zh", labels=zh), {"index": index, "ipma": tables["ipma"], "wave_index": tables["wave_index"]}, model)
    save_bundle(bundle, tmp_path)
    loaded = load_bundle(tmp_path)
    assert loaded.tables["index"]["label"].tolist() == list(zh.values())
    write_report_workbook(tmp_path / "report.xlsx", loaded)
    charts = _charts(tmp_path / "report.xlsx")
    assert charts[0]["series"][0]["cat_cache"] == list(zh.values())
    assert charts[1]["title"] == "重要性–表现图：顾客满意度"  # the bundle's language is Chinese: so is the workbook
    assert charts[1]["series"][0]["label_cache"] == ["顾客期望", "感知质量", "感知价值"]
    assert openpyxl.load_workbook(tmp_path / "report.xlsx")["指数"]["B4"].value == "顾客满意度"


def test_dangerous_labels_never_become_chart_formulas(model, tmp_path):
    labels = {"SAT": EVIL, "PQ": "-x"}
    tables = _synthetic(labels)
    bundle = bundle_from_tables(_meta(model, labels=labels), {k: tables[k] for k in ("ipma", "segment_index", "wave_index")}, model)
    write_report_workbook(tmp_path / "r.xlsx", bundle)
    charts = _charts(tmp_path / "r.xlsx")
    titles = [c["title"] for c in charts]
    assert "Importance–performance map: " + EVIL in titles
    assert "'" + EVIL + " by region (0–100)" in titles  # a title starting with the label is protected
    refs = [ref for c in charts for s in c["series"] for ref in (s["name"], s["cat"], s["val"], *s["labels"]) if ref]
    assert all(re.fullmatch(r"Charts!\$[A-Z]+\$\d+(:\$[A-Z]+\$\d+)?", ref) for ref in refs)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert _cells(wb, charts[-1]["series"][0]["name"]) == ["'" + EVIL]


def test_large_score_tables_get_a_note_instead_of_the_sheet(full_bundle, tmp_path):
    write_report_workbook(tmp_path / "r.xlsx", full_bundle, scores_sheet_limit=10)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Scores"]
    assert "502 respondents" in ws["A1"].value and "see scores.csv" in ws["A1"].value and ws.max_row <= 2


def test_unknown_tables_get_a_sheet_before_scores(model, tmp_path):
    bundle = bundle_from_tables(_meta(model), {"scores": pd.DataFrame({"respondent_id": [1], "SAT": [70.0]}),
                                               "driver_notes": pd.DataFrame({"note": ["x"]})}, model)
    write_report_workbook(tmp_path / "r.xlsx", bundle)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["Summary", "Driver notes", "Scores"]
    assert wb["Driver notes"]["A1"].value == "The table driver_notes.csv of the run."


def test_a_failed_workbook_leaves_no_partial_file(full_bundle, tmp_path, monkeypatch):
    import csi_survey.report.xlsx_charts as charts

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(charts, "_write_charts_sheet", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_report_workbook(tmp_path / "report.xlsx", full_bundle)
    assert not (tmp_path / "report.xlsx").exists()
