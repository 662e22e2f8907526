"""The composite evaluation scorecard (csi_survey.methods.scorecard): the worked example checked by
hand and by an independent recomputation, the missing-component rules, ties, periods, and every
configuration and data error."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError, SpecError
from csi_survey.methods import ScorecardConfig, load_scorecard_config, scorecard
from csi_survey.report import write_scorecard

from .conftest import EXAMPLES

EX = EXAMPLES / "methods"
CONFIG = EX / "scorecard_config.yaml"
INDICATORS = ["assortment", "environment", "recommendation", "efficacy", "service", "quality", "price"]
ITEMS = {"greeting": 1, "inquiry": 1, "advice": 2, "contraindication": 1, "checkout": 1, "farewell": 1}


@pytest.fixture(scope="module")
def result():
    return scorecard(CONFIG)


def _row(table: pd.DataFrame, **keys) -> pd.Series:
    mask = np.ones(len(table), bool)
    for k, v in keys.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, keys
    return table.loc[mask].iloc[0]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(EX / name, dtype=str, keep_default_na=False)


# ====================================================================== the worked example by hand
def test_staff_scores_by_hand(result):
    # E01, 2026Q1: responses R001 (4 4 4 4 4 4 3) and R002 (5 5 4 5 3 5 4). Indicator means
    # 4.5 4.5 4 4.5 3.5 4.5 3.5 → mean 29/7 = 4.142857 → survey (4.142857 − 1)/(5 − 1) × 60 = 47.142857.
    # Own mystery visit V02: every item 是 → 1 × 40 = 40. No complaint. Score 87.142857.
    e01 = _row(result.staff, period="2026Q1", staff_id="E01")
    assert e01["survey_score"] == pytest.approx((29 / 7 - 1) / 4 * 60)
    assert e01["mystery_score"] == pytest.approx(40.0) and e01["n_visits"] == 1
    assert e01["score"] == pytest.approx(87.142857, abs=1e-6)
    assert e01["staff_name"] == "赵磊" and e01["store_name"] == "人民路店"

    # E16, 2026Q1: R036 (3 4 5 4 3 5 4), R037 (4 4 4 – 4 3 4: efficacy not answered), R038 (3 3 2 3 3 4 4).
    # Means 10/3, 11/3, 11/3, 7/2 (two answers), 10/3, 4, 4 → Σ = 25.5 → mean 25.5/7 = 3.642857
    # → survey 2.642857/4 × 60 = 39.642857. No own visit: the store's V05 (greeting 否, the other
    # five 是; advice weighs 2) = 6/7 × 40 = 34.285714. Score 73.928571.
    e16 = _row(result.staff, period="2026Q1", staff_id="E16")
    assert e16["survey_score"] == pytest.approx((25.5 / 7 - 1) / 4 * 60)
    assert e16["mystery_score"] == pytest.approx(6 / 7 * 40) and e16["n_visits"] == 0
    assert "mystery score of the store (1 visit)" in e16["note"]
    assert e16["score"] == pytest.approx(73.928571, abs=1e-6)

    # E15, 2026Q1: R035 (3 5 4 3 3 5 4) → 27/7 → survey 2.857143/4 × 60 = 42.857143; store visit
    # 34.285714; complaint C01 grade A → −3. Score 74.142857.
    e15 = _row(result.staff, period="2026Q1", staff_id="E15")
    assert e15["deduction"] == 3 and e15["n_complaints"] == 1
    assert e15["score"] == pytest.approx((27 / 7 - 1) / 4 * 60 + 6 / 7 * 40 - 3)


def test_missing_components_are_rescaled_by_hand(result):
    # E25 joined in Q2: no survey response in Q1. The store's Q1 visit V07: 是 是 否(advice, ×2)
    # –(n/a) 否 是 → passed 1 + 1 + 1 = 3 of 1 + 1 + 2 + 1 + 1 = 6 → 0.5 × 40 = 20; rescaled to the
    # full 100 points: 20 × 100/40 = 50.
    e25 = _row(result.staff, period="2026Q1", staff_id="E25")
    assert e25["n_responses"] == 0 and math.isnan(e25["survey_score"])
    assert e25["mystery_score"] == pytest.approx(20.0)
    assert e25["score"] == pytest.approx(50.0)
    assert "no survey responses" in e25["note"] and "scaled from 40 to 100 points" in e25["note"]
    # E22, Q2: one response R114 (3 4 4 2 3 3 3) = 22/7 → 32.142857; 徐东店 has no Q2 visit → × 100/60.
    e22 = _row(result.staff, period="2026Q2", staff_id="E22")
    assert math.isnan(e22["mystery_score"])
    assert e22["score"] == pytest.approx((22 / 7 - 1) / 4 * 60 * 100 / 60)
    s06 = _row(result.stores, period="2026Q2", store_id="S06")
    assert s06["n_visits"] == 0 and s06["score"] == pytest.approx(s06["survey_score"] * 100 / 60)


def test_store_scores_pool_staff_and_store_responses_by_hand(result):
    survey = _read("scorecard_survey.csv")
    rows = survey[(survey["quarter"] == "2026Q1") & (survey["store_id"] == "S04")]
    assert "" in set(rows["staff_id"])  # R060 names only the store: it counts for the store
    values = rows[INDICATORS].replace("", np.nan).astype(float)
    m = values.mean().mean()
    s04 = _row(result.stores, period="2026Q1", store_id="S04")
    assert s04["n_responses"] == len(rows) == 12
    assert s04["survey_score"] == pytest.approx((m - 1) / 4 * 60)
    # complaints of the store: C01 (A, staff E15) + C02 (C, store only) = 3 + 1
    assert s04["n_complaints"] == 2 and s04["deduction"] == 4
    assert s04["score"] == pytest.approx((m - 1) / 4 * 60 + 6 / 7 * 40 - 4)
    assert s04["manager"] == "张敏" and s04["n_staff"] == 4


def test_manager_score_is_the_mean_of_their_staff(result):
    staff = result.staff
    for period in ("2026Q1", "2026Q2"):
        wang = _row(result.managers, period=period, manager="王芳")  # manages S01 and S02
        scores = staff.loc[(staff["period"] == period) & staff["store_id"].isin(["S01", "S02"]), "score"]
        assert wang["n_staff"] == 9 and wang["score"] == pytest.approx(scores.mean())
        assert wang["store_ids"] == "S01, S02" and wang["store_names"] == "人民路店, 解放大道店"


def test_ties_share_the_best_rank(result):
    q1 = result.ranking[(result.ranking["period"] == "2026Q1") & (result.ranking["level"] == "staff")]
    # E05, E10 and E11 all score 81.785714 → rank 7 (listed by id); the next is rank 10 (E04, E20)
    tied = q1.loc[q1["rank"] == 7]
    assert list(tied["id"]) == ["E05", "E10", "E11"]
    assert tied["score"].round(6).nunique() == 1
    assert list(q1.loc[q1["rank"] == 10, "id"]) == ["E04", "E20"]
    assert 8 not in set(q1["rank"]) and 9 not in set(q1["rank"])
    assert list(q1["rank"]) == sorted(q1["rank"])  # best first
    assert q1["rank"].iloc[0] == 1 and len(q1) == 25


def test_ranking_table_covers_every_level_and_period(result):
    r = result.ranking
    assert list(r.columns) == ["period", "level", "rank", "id", "name", "store_name", "score"]
    counts = r.groupby(["period", "level"]).size().to_dict()
    assert counts == {("2026Q1", "manager"): 5, ("2026Q1", "staff"): 25, ("2026Q1", "store"): 6,
                      ("2026Q2", "manager"): 5, ("2026Q2", "staff"): 25, ("2026Q2", "store"): 6}
    best = r[(r["period"] == "2026Q2") & (r["level"] == "store")].iloc[0]
    assert (best["id"], best["name"], best["rank"]) == ("S03", "光谷店", 1)
    assert result.periods == ["2026Q1", "2026Q2"]


# ====================================================================== independent recomputation
def _recompute() -> tuple[dict, dict]:
    """Every staff and store score of the example, with plain pandas (no library code)."""
    roster, stores = _read("scorecard_roster.csv"), _read("scorecard_stores.csv")
    survey, mystery, complaints = _read("scorecard_survey.csv"), _read("scorecard_mystery.csv"), _read("scorecard_complaints.csv")
    store_of = dict(zip(roster["staff_id"], roster["store_id"]))
    x = survey[INDICATORS].replace("", np.nan).astype(float)
    survey = pd.concat([survey[["quarter", "staff_id", "store_id"]], x], axis=1)
    mystery["quarter"] = pd.to_datetime(mystery["visit_date"]).dt.to_period("Q").astype(str)
    checks = mystery[list(ITEMS)].replace({"是": 1.0, "否": 0.0, "": np.nan})
    w = pd.Series(ITEMS, dtype=float)
    mystery["visit"] = (checks.fillna(0) * w).sum(axis=1) / (checks.notna() * w).sum(axis=1)
    points = {"A": 3, "B": 2, "C": 1}
    complaints["points"] = complaints["grade"].map(points)

    def survey_points(rows: pd.DataFrame) -> float:
        means = rows[INDICATORS].mean()
        return (means.mean() - 1) / 4 * 60 if means.notna().any() else np.nan

    def combine(sv: float, mv: float, ded: float) -> float:
        if np.isnan(sv) and np.isnan(mv):
            return np.nan
        if np.isnan(mv):
            return sv * 100 / 60 - ded
        if np.isnan(sv):
            return mv * 100 / 40 - ded
        return sv + mv - ded

    staff_scores, store_scores = {}, {}
    for q in ("2026Q1", "2026Q2"):
        for st in stores["store_id"]:
            visits = mystery[(mystery["quarter"] == q) & (mystery["store_id"] == st)]
            mv = visits["visit"].mean() * 40 if len(visits) else np.nan
            sv = survey_points(survey[(survey["quarter"] == q) & (survey["store_id"] == st)])
            ded = complaints[(complaints["quarter"] == q) & (complaints["store_id"] == st)]["points"].sum()
            store_scores[q, st] = combine(sv, mv, ded)
        for sid in roster["staff_id"]:
            own = mystery[(mystery["quarter"] == q) & (mystery["staff_id"] == sid)]
            store_visits = mystery[(mystery["quarter"] == q) & (mystery["store_id"] == store_of[sid])]
            visits = own if len(own) else store_visits
            mv = visits["visit"].mean() * 40 if len(visits) else np.nan
            sv = survey_points(survey[(survey["quarter"] == q) & (survey["staff_id"] == sid)])
            ded = complaints[(complaints["quarter"] == q) & (complaints["staff_id"] == sid)]["points"].sum()
            staff_scores[q, sid] = combine(sv, mv, ded)
    return staff_scores, store_scores


def test_every_score_matches_an_independent_recomputation(result):
    staff_scores, store_scores = _recompute()
    got_staff = {(p, s): v for p, s, v in zip(result.staff["period"], result.staff["staff_id"], result.staff["score"])}
    got_store = {(p, s): v for p, s, v in zip(result.stores["period"], result.stores["store_id"], result.stores["score"])}
    assert got_staff.keys() == staff_scores.keys() and len(got_staff) == 50
    assert got_store.keys() == store_scores.keys() and len(got_store) == 12
    for key, value in staff_scores.items():
        assert got_staff[key] == pytest.approx(value, abs=1e-9), key
    for key, value in store_scores.items():
        assert got_store[key] == pytest.approx(value, abs=1e-9), key
    # and the competition ranks from those scores
    for q in ("2026Q1", "2026Q2"):
        s = pd.Series({sid: v for (p, sid), v in staff_scores.items() if p == q})
        expected = s.round(2).rank(method="min", ascending=False).astype(int)
        got = result.staff[result.staff["period"] == q].set_index("staff_id")["rank"]
        assert (got.astype(int) == expected.reindex(got.index)).all()


def test_indicator_means_per_store(result):
    ind = result.indicators
    assert list(ind.columns) == ["period", "store_id", "store_name", "indicator", "label", "n", "mean"]
    row = _row(ind, period="2026Q1", store_id="S04", indicator="efficacy")
    survey = _read("scorecard_survey.csv")
    cells = survey[(survey["quarter"] == "2026Q1") & (survey["store_id"] == "S04")]["efficacy"].replace("", np.nan).dropna().astype(float)
    assert row["label"] == "药品疗效" and row["n"] == len(cells) == 11 and row["mean"] == pytest.approx(cells.mean())


def test_tables_columns_and_summary(result):
    assert list(result.staff.columns) == [
        "period", "staff_id", "staff_name", "store_id", "store_name", "n_responses", "survey_score", "n_visits",
        "mystery_score", "n_complaints", "deduction", "score", "rank", "note"]
    assert list(result.stores.columns) == [
        "period", "store_id", "store_name", "manager", "n_staff", "n_responses", "survey_score", "n_visits",
        "mystery_score", "n_complaints", "deduction", "score", "rank", "note"]
    assert list(result.managers.columns) == ["period", "manager", "store_ids", "store_names", "n_staff", "score", "rank"]
    text = str(result.summary())
    assert "康宁大药房 2026 服务考评" in text and "survey 60 + mystery 40 − complaints (A 3, B 2, C 1)" in text
    assert "Best store 2026Q2  光谷店 (88.9)" in text
    assert "25 staff" in repr(result)


def test_write_scorecard(result, tmp_path):
    written = write_scorecard(result, tmp_path / "out")
    assert [p.name for p in written] == ["staff.csv", "stores.csv", "managers.csv", "ranking.csv", "indicators.csv"]
    back = pd.read_csv(tmp_path / "out" / "ranking.csv", encoding="utf-8-sig")
    assert len(back) == len(result.ranking) and back["name"].iloc[0] == result.ranking["name"].iloc[0]


# ====================================================================== settings
def _config(**changes) -> dict:
    import yaml

    data = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if sub:
            if value is None:
                data[section].pop(sub, None)
            else:
                data[section][sub] = value
        elif value is None:
            data.pop(section, None)
        else:
            data[section] = value
    return data


def _run(data: dict, **tables):
    return scorecard(ScorecardConfig.from_dict(data, base_dir=EX), **tables)


def test_missing_zero_and_exclude():
    zero = _run(_config(missing="zero"))
    assert _row(zero.staff, period="2026Q1", staff_id="E25")["score"] == pytest.approx(20.0)
    e22 = _row(zero.staff, period="2026Q2", staff_id="E22")
    assert e22["score"] == pytest.approx((22 / 7 - 1) / 4 * 60) and "missing component scored 0" in e22["note"]
    excl = _run(_config(missing="exclude"))
    e25 = _row(excl.staff, period="2026Q1", staff_id="E25")
    assert math.isnan(e25["score"]) and pd.isna(e25["rank"]) and "not scored" in e25["note"]
    q2 = excl.ranking[(excl.ranking["period"] == "2026Q2") & (excl.ranking["level"] == "staff")]
    assert len(q2) == 21 and not {"E22", "E23", "E24", "E25"} & set(q2["id"])  # 徐东店 has no Q2 visit
    # the manager of 徐东店 has no scored staff in Q2
    chen = _row(excl.managers, period="2026Q2", manager="陈静")
    assert chen["n_staff"] == 0 and math.isnan(chen["score"]) and pd.isna(chen["rank"])


def test_survey_only_configuration_and_single_period():
    res = _run(_config(mystery=None, complaints=None, period=None))
    assert set(res.staff["period"]) == {"all"}
    assert "mystery_score" not in res.staff.columns and "deduction" not in res.staff.columns
    e01 = _row(res.staff, staff_id="E01")
    survey = _read("scorecard_survey.csv")
    rows = survey[survey["staff_id"] == "E01"][INDICATORS].astype(float)
    assert e01["score"] == pytest.approx((rows.mean().mean() - 1) / 4 * 60)
    assert e01["n_responses"] == len(rows)


def test_custom_deductions_cap_and_grades_ignore_case():
    complaints = _read("scorecard_complaints.csv")
    complaints.loc[complaints["complaint_id"] == "C05", "grade"] = "a"  # lower case = A
    res = _run(_config(complaints__deductions={"A": 5, "B": 2, "C": 1}, complaints__max_deduction=6), complaints=complaints)
    s04 = _row(res.stores, period="2026Q1", store_id="S04")
    assert s04["deduction"] == 6  # A 5 + C 1
    e15 = _row(res.staff, period="2026Q2", staff_id="E15")
    assert e15["deduction"] == 5
    res = _run(_config(complaints__max_deduction=3))
    assert _row(res.stores, period="2026Q1", store_id="S04")["deduction"] == 3  # 4 capped at 3
    chinese = complaints.assign(grade=complaints["grade"].str.upper().map({"A": "一级", "B": "二级", "C": "三级"}))
    res = _run(_config(complaints__deductions={"一级": 3, "二级": 2, "三级": 1}), complaints=chinese)
    assert _row(res.stores, period="2026Q1", store_id="S04")["deduction"] == 4


def test_rank_decimals_decides_ties():
    roster = pd.DataFrame({"staff_id": ["a", "b", "c"], "store_id": ["s", "s", "s"]})
    survey = pd.DataFrame({"staff_id": ["a", "b", "c"], "q": [4.0, 4.0, 3.0]})
    data = {"roster": {"staff": "staff_id", "store": "store_id"},
            "survey": {"staff": "staff_id", "scale": [1, 5], "points": 100, "indicators": ["q"]}}
    complaints = pd.DataFrame({"staff_id": ["b"], "grade": ["x"]})
    data["complaints"] = {"staff": "staff_id", "grade": "grade", "deductions": {"x": 0.004}}
    # a: 75, b: 74.996 → equal to 2 decimals (75.00): both rank 1, c rank 3
    res = scorecard(ScorecardConfig.from_dict(data), survey, complaints=complaints, roster=roster)
    assert list(res.staff["rank"]) == [1, 1, 3]
    data["rank_decimals"] = 3
    res = scorecard(ScorecardConfig.from_dict(data), survey, complaints=complaints, roster=roster)
    assert list(res.staff["rank"]) == [1, 2, 3]
    assert res.managers.empty and set(res.ranking["level"]) == {"staff", "store"}


def test_periods_from_dates_by_month_and_year():
    survey = _read("scorecard_survey.csv")
    survey["date"] = survey["quarter"].map({"2026Q1": "2026/2/3", "2026Q2": "2026-05-06"})
    mystery = _read("scorecard_mystery.csv")
    data = _config(period={"column": "date", "by": "month"}, complaints=None)
    data["mystery"]["period"] = {"column": "visit_date", "by": "month"}
    res = _run(data, responses=survey, mystery=mystery)
    assert res.periods == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]  # visits in every month
    q1 = scorecard(CONFIG)
    feb = _row(res.staff, period="2026-02", staff_id="E01")  # every Q1 response is dated February
    assert feb["survey_score"] == pytest.approx(_row(q1.staff, period="2026Q1", staff_id="E01")["survey_score"])
    assert _row(res.staff, period="2026-03", staff_id="E01")["mystery_score"] == 40  # V02, 2026/3/18
    data = _config(period={"column": "date", "by": "year"}, complaints=None)
    data["mystery"]["period"] = {"column": "visit_date", "by": "year"}
    res = _run(data, responses=survey)
    assert res.periods == ["2026"]
    e01 = _row(res.staff, staff_id="E01")
    assert e01["n_visits"] == 1  # V02 only: E01 has no Q2 visit of their own


def test_without_staff_column_in_the_checklist_staff_get_their_store_score():
    data = _config()
    del data["mystery"]["staff"]
    res = _run(data)
    e01 = _row(res.staff, period="2026Q1", staff_id="E01")
    assert e01["mystery_score"] == pytest.approx(40.0) and e01["n_visits"] == 0
    e14 = _row(res.staff, period="2026Q2", staff_id="E14")  # the store's visit V11, not E14's own (same here)
    assert e14["mystery_score"] == pytest.approx(_row(res.stores, period="2026Q2", store_id="S04")["mystery_score"])


def test_config_from_a_path_string_and_tables_as_dataframes():
    res = scorecard(str(CONFIG), responses=_read("scorecard_survey.csv"), roster=_read("scorecard_roster.csv"))
    assert _row(res.staff, period="2026Q1", staff_id="E01")["score"] == pytest.approx(87.142857, abs=1e-6)


def test_config_read_from_another_folder_resolves_files_next_to_it(tmp_path, monkeypatch):
    target = tmp_path / "cfg"
    shutil.copytree(EX, target, ignore=shutil.ignore_patterns("*.py", "ahp_*"))
    monkeypatch.chdir(tmp_path)
    cfg = load_scorecard_config(target / "scorecard_config.yaml")
    assert cfg.base_dir == target.resolve() and cfg.max_points == 100
    assert len(scorecard(cfg).staff) == 50


# ====================================================================== configuration errors
def _spec_problems(exc: pytest.ExceptionInfo) -> list[str]:
    return list(exc.value.problems["problem"])


def test_every_configuration_problem_is_listed_at_once():
    data = _config(missing="drop", rank_decimals=-1, extra_key=1)
    data["survey"]["points"] = 0
    data["survey"]["scale"] = [5, 1]
    data["survey"]["indicators"] = {"assortment": {"weight": -1}, "price": {"label": "价格", "colour": "red"}}
    data["mystery"]["items"] = []
    data["mystery"]["passed"] = ["ok", "达标"]
    data["mystery"]["failed"] = ["达标"]
    data["complaints"]["deductions"] = {"A": -3, "a": 2}
    data["roster"].pop("staff")
    data["stores"]["colour"] = "x"
    with pytest.raises(SpecError) as exc:
        ScorecardConfig.from_dict(data)
    problems = _spec_problems(exc)
    expected = [
        "unknown key 'extra_key'", "missing must be one of rescale, zero, exclude", "rank_decimals must be a whole number",
        "roster.staff is missing", "unknown key 'colour' in stores:", "points must be a positive number",
        "scale must be [min, max] with min < max", "the weight of 'assortment' must be a positive number",
        "unknown key 'colour'; expected label, weight", "items must be a non-empty list",
        "达标 listed as both passed and failed", "the points of grade 'A' must be a number ≥ 0",
        "grade 'a' is listed twice",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected)


def test_configuration_requires_roster_and_survey_and_consistent_periods():
    with pytest.raises(SpecError) as exc:
        ScorecardConfig.from_dict({"name": "x"})
    assert _spec_problems(exc) == ["the roster: section is missing", "the survey: section is missing"]
    data = _config(period=None)
    data["mystery"]["period"] = {"column": "visit_date", "by": "quarter"}
    with pytest.raises(SpecError) as exc:
        ScorecardConfig.from_dict(data)
    assert "mystery have a period but survey, complaints do not" in _spec_problems(exc)[0]
    data = _config(period={"column": "quarter", "by": "week"})
    with pytest.raises(SpecError, match="by must be one of quarter, month, year"):
        ScorecardConfig.from_dict(data)
    data = _config()
    data["survey"] = {"scale": [1, 5], "points": 60, "indicators": ["q"]}
    data["mystery"]["staff"] = None
    data["mystery"]["store"] = None
    with pytest.raises(SpecError) as exc:
        ScorecardConfig.from_dict(data)
    assert [p.split(" (")[0] for p in _spec_problems(exc)] == [
        "survey needs a staff: or a store: column", "mystery needs a store: column"]


def test_yaml_errors_have_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nroster:\n  staff: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML") as exc:
        load_scorecard_config(bad)
    assert exc.value.problems["location"][0].startswith("bad.yaml:")
    bad.write_text("name: x\nroster: {staff: id, store: st}\nsurvey:\n  scale: [1, 5]\n  points: -2\n  indicators: [q]\n  staff: id\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_scorecard_config(bad)
    assert exc.value.problems["location"][0] == "bad.yaml:5 survey.points"
    with pytest.raises(SpecError, match="cannot be read"):
        load_scorecard_config(tmp_path / "nope.yaml")


def test_columns_missing_from_the_sheets_are_listed_with_their_config_line():
    survey = _read("scorecard_survey.csv").drop(columns=["price", "efficacy"])
    complaints = _read("scorecard_complaints.csv").rename(columns={"grade": "level"})
    with pytest.raises(SpecError) as exc:
        scorecard(CONFIG, responses=survey, complaints=complaints)
    p = exc.value.problems
    assert len(p) == 3
    assert any("no column 'price'" in x for x in p["problem"]) and any("no column 'grade'" in x for x in p["problem"])
    assert any(loc.startswith("scorecard_config.yaml:") and "survey.indicators.price" in loc for loc in p["location"])


def test_files_and_tables_errors():
    data = _config()
    data["survey"]["file"] = "missing.csv"
    with pytest.raises(InputFileError, match="does not exist"):
        _run(data)
    del data["survey"]["file"]
    with pytest.raises(SettingsError, match="no survey table"):
        _run(data)
    with pytest.raises(SettingsError, match="configuration has no mystery: section"):
        _run(_config(mystery=None), mystery=_read("scorecard_mystery.csv"))
    with pytest.raises(SettingsError, match="DataFrame or a RawTable"):
        _run(_config(), responses=[1, 2])


# ====================================================================== data errors
def test_every_bad_cell_is_listed_at_once():
    survey = _read("scorecard_survey.csv")
    survey.loc[0, "price"] = "6"           # outside 1 … 5 (row 2)
    survey.loc[1, "service"] = "好"         # not a number (row 3)
    survey.loc[2, "staff_id"] = "E99"      # not in the roster (row 4)
    survey.loc[3, "store_id"] = "S03"      # E02 is in S01 (row 5)
    survey.loc[4, "quarter"] = ""          # no period (row 6)
    survey.loc[5, ["staff_id", "store_id"]] = ""  # neither staff nor store (row 7)
    mystery = _read("scorecard_mystery.csv")
    mystery.loc[0, "greeting"] = "maybe"   # neither passed nor failed
    mystery.loc[1, "visit_date"] = "2026/13/45"  # not a date
    mystery.loc[2, "store_id"] = "S77"     # unknown store (and V03's E07 belongs to S02)
    complaints = _read("scorecard_complaints.csv")
    complaints.loc[0, "grade"] = "D"        # unknown grade
    complaints.loc[1, "grade"] = ""         # no grade
    complaints.loc[2, "grade"] = "E"        # unknown grade
    with pytest.raises(DataValidationError) as exc:
        scorecard(CONFIG, responses=survey, mystery=mystery, complaints=complaints)
    f = exc.value.failure_cases
    assert list(f.columns) == ["source", "row", "respondent_id", "column", "value", "problem"]
    got = {(s.split(" ")[0], r, c): p for s, r, c, p in zip(f["source"], f["row"], f["column"], f["problem"])}
    expected = {
        ("survey", 2, "price"): "outside the scale 1 … 5",
        ("survey", 3, "service"): "not a number",
        ("survey", 4, "staff_id"): "unknown staff id",
        ("survey", 5, "store_id"): "staff E02 belongs to store S01",
        ("survey", 6, "quarter"): "no period",
        ("survey", 7, "store_id"): "the row names neither a staff member nor a store",
        ("mystery", 2, "greeting"): "neither passed nor failed",
        ("mystery", 3, "visit_date"): "not a date",
        ("mystery", 4, "store_id"): "staff E07 belongs to store S02",
        ("complaints", 2, "grade"): "unknown grade (known grades: A, B, C)",
        ("complaints", 3, "grade"): "no grade",
        ("complaints", 4, "grade"): "unknown grade",
    }
    assert set(got) == set(expected), got
    for key, text in expected.items():
        assert text in got[key], (key, got[key])
    message = str(exc.value)
    assert "12 problems" in message and "scorecard_complaints" not in message  # DataFrames: named by their section
    assert list(f.loc[f["problem"].str.startswith("unknown grade"), "value"]) == ["D", "E"]


def test_roster_and_stores_problems():
    roster = _read("scorecard_roster.csv")
    roster.loc[1, "staff_id"] = "E01"       # listed twice
    roster.loc[2, "store_id"] = "S42"       # not in the stores table
    roster.loc[3, "store_id"] = ""          # no store
    stores = _read("scorecard_stores.csv")
    stores.loc[5, "store_id"] = "S05"       # listed twice
    survey = _read("scorecard_survey.csv")
    survey = survey[~survey["staff_id"].isin(["E02", "E03", "E04"])]
    with pytest.raises(DataValidationError) as exc:
        scorecard(CONFIG, responses=survey, roster=roster, stores=stores)
    problems = list(exc.value.failure_cases["problem"])
    for text in ("store id listed twice", "staff id listed twice", "store id not in the stores table", "no store for this staff member"):
        assert text in problems
    # complaints and visits of the roster's broken rows are unknown staff now
    assert any("unknown staff id" in p for p in problems)


def test_checklist_visit_without_any_item_and_extra_pass_words():
    mystery = _read("scorecard_mystery.csv")
    mystery.loc[0, list(ITEMS)] = ""
    with pytest.raises(DataValidationError, match="no checklist item filled in"):
        scorecard(CONFIG, mystery=mystery)
    mystery = _read("scorecard_mystery.csv").replace({"是": "达标", "否": "未达到"})
    data = _config()
    data["mystery"]["passed"] = ["达标"]
    data["mystery"]["failed"] = ["未达到"]
    res = _run(data, mystery=mystery)
    assert _row(res.staff, period="2026Q1", staff_id="E16")["mystery_score"] == pytest.approx(6 / 7 * 40)
    ok = _read("scorecard_mystery.csv").replace({"是": "√", "否": "×"})
    res = scorecard(CONFIG, mystery=ok)
    assert _row(res.staff, period="2026Q1", staff_id="E16")["mystery_score"] == pytest.approx(6 / 7 * 40)


def test_excel_workbook_with_gbk_free_sheets(tmp_path):
    """The inputs can be sheets of one workbook (read_table; store names stay Chinese)."""
    book = tmp_path / "chain.xlsx"
    with pd.ExcelWriter(book) as xw:
        for name in ("roster", "stores", "survey", "mystery", "complaints"):
            frame = _read(f"scorecard_{name}.csv")
            if name == "survey":
                frame[INDICATORS] = frame[INDICATORS].replace("", np.nan).astype(float)
            frame.to_excel(xw, sheet_name=name, index=False)
    data = _config()
    for name in ("roster", "stores", "survey", "mystery", "complaints"):
        data[name]["file"] = "chain.xlsx"
        data[name]["sheet"] = name
    res = scorecard(ScorecardConfig.from_dict(data, base_dir=tmp_path))
    ref = scorecard(CONFIG)
    pd.testing.assert_frame_equal(res.staff, ref.staff)
    assert _row(res.stores, period="2026Q1", store_id="S06")["store_name"] == "徐东店"
