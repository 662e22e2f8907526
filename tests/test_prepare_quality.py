"""prepare(): answer labels, vendor missing codes, on_invalid="flag", data-quality rules, model imputation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from csi_survey import Questionnaire
from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError
from csi_survey.ingest import RawTable, SurveyData, prepare, read_responses
from csi_survey.ingest.prepare import FLAG_COLUMNS
from csi_survey.ingest.quality import (
    SUMMARY_COLUMNS,
    duplicates,
    key_codes,
    missing_share,
    parse_durations,
    row_keys,
    speeders,
    straightlining,
)


def check_accounting(data: SurveyData) -> None:
    assert data.n_used + data.n_excluded == data.n_read
    assert len(data.items) == len(data.respondent_id) == len(data.row) == len(data.other) == data.n_used
    assert not data.items.isna().any().any()
    assert set(data.row).isdisjoint(set(data.excluded["row"]))
    assert list(data.flags.columns) == list(FLAG_COLUMNS)
    assert set(data.flags["action"]) <= {"flagged", "excluded"}
    assert list(data.quality_summary.columns) == list(SUMMARY_COLUMNS)


def raw_table(frame: pd.DataFrame, missing_values=None) -> RawTable:
    return RawTable(
        frame=frame, row_numbers=np.arange(2, len(frame) + 2), source="export.sav", missing_values=missing_values or {}
    )


# ====================================================================== answer labels
LABEL_SPEC = """
scale: [1, 5]
missing_codes: [9, DK]
label_maps:
  sat5: {非常满意: 5, 满意: 4, 一般: 3, 不满意: 2, 非常不满意: 1}
  de5: {Sehr zufrieden: 5, Zufrieden: 4, Neutral: 3, Unzufrieden: 2, Sehr unzufrieden: 1}
constructs:
  SAT: {label: 顾客满意度, labels: sat5, items: [s1, s2, {id: s3, labels: de5}]}
  LOY: {items: [l1, l2]}
paths: [[SAT, LOY]]
"""


@pytest.fixture
def q_labels() -> Questionnaire:
    return Questionnaire.from_yaml(LABEL_SPEC)


def test_labels_become_codes_chinese_and_item_map_overrides_construct(q_labels):
    df = pd.DataFrame(
        {
            "s1": ["非常满意", " 满意 ", "3", 2, "一般"],  # labels, numeric text and numbers mix
            "s2": ["一般", "非常不满意", 4, "满意", "不满意"],
            "s3": ["Sehr zufrieden", "zufrieden", "NEUTRAL", " Unzufrieden", "Sehr unzufrieden"],  # its own map
            "l1": [1, 2, 3, 4, 5],
            "l2": [5, 4, 3, 2, 1],
        }
    )
    data = prepare(df, q_labels)
    check_accounting(data)
    assert data.items["s1"].tolist() == [5.0, 4.0, 3.0, 2.0, 3.0]
    assert data.items["s2"].tolist() == [3.0, 1.0, 4.0, 4.0, 2.0]
    assert data.items["s3"].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]  # case-insensitive match: "zufrieden", "NEUTRAL"
    assert data.missing["n_missing"].sum() == 0 and data.flags.empty


def test_label_of_another_map_is_unmapped_and_all_unmapped_labels_are_listed_in_one_error(q_labels):
    df = pd.DataFrame(
        {
            "s1": ["Sehr zufrieden", "满意", "Sehr zufrieden", "满意"],  # German label, but s1 uses sat5
            "s2": ["很好", "满意", "一般", "满意"],  # not in sat5
            "s3": ["Zufrieden", "非常满意", "Neutral", "Neutral"],  # s3 uses de5, not the construct's sat5
            "l1": [1, "x", 3, 4],  # no label map: not a number
            "l2": [5, 4, 7, 2],  # out of range
        }
    )
    with pytest.raises(DataValidationError) as exc:
        prepare(df, q_labels)
    fc = exc.value.failure_cases
    assert fc.to_dict("records") == [
        {"row": 2, "respondent_id": "2", "column": "s1", "value": "Sehr zufrieden",
         "problem": "unmapped label 'Sehr zufrieden' (map: sat5)"},
        {"row": 2, "respondent_id": "2", "column": "s2", "value": "很好", "problem": "unmapped label '很好' (map: sat5)"},
        {"row": 3, "respondent_id": "3", "column": "s3", "value": "非常满意", "problem": "unmapped label '非常满意' (map: de5)"},
        {"row": 3, "respondent_id": "3", "column": "l1", "value": "x", "problem": "not a number"},
        {"row": 4, "respondent_id": "4", "column": "s1", "value": "Sehr zufrieden",
         "problem": "unmapped label 'Sehr zufrieden' (map: sat5)"},
        {"row": 4, "respondent_id": "4", "column": "l2", "value": "7", "problem": "out of range 1–5"},
    ]
    msg = str(exc.value)
    assert "(6 problems)" in msg
    assert "not numbers, unmapped answer labels or outside the item's scale" in msg
    assert (
        "Unmapped label(s): 'Sehr zufrieden' in s1 (map: sat5; 2 cells); '很好' in s2 (map: sat5; 1 cell); "
        "'非常满意' in s3 (map: de5; 1 cell)"
    ) in msg
    assert "label_maps" in exc.value.hint


def test_inline_maps_are_named_after_their_item_or_construct():
    q = Questionnaire.from_yaml(
        "scale: [1, 3]\nconstructs:\n"
        "  A: {labels: {low: 1, mid: 2, high: 3}, items: [a1, {id: a2, labels: {nein: 1, ja: 3}}]}\n"
    )
    with pytest.raises(DataValidationError) as exc:
        prepare(pd.DataFrame({"a1": ["low", "hoch"], "a2": ["ja", "mid"]}), q)
    assert exc.value.failure_cases["problem"].tolist() == [
        "unmapped label 'hoch' (map: labels of construct A)",
        "unmapped label 'mid' (map: labels of item a2)",
    ]


def test_case_insensitive_match_only_when_unambiguous():
    q = Questionnaire.from_yaml(
        "scale: [1, 5]\nconstructs:\n  A: {labels: {Yes: 5, YES: 4, Maybe: 3, MAYBE: 3}, items: [a1]}\n"
    )
    data = prepare(pd.DataFrame({"a1": ["Yes", "YES", "maybe", "Maybe"]}), q)
    assert data.items["a1"].tolist() == [5.0, 4.0, 3.0, 3.0]  # exact wins; 'maybe' folds to one code
    with pytest.raises(DataValidationError) as exc:
        prepare(pd.DataFrame({"a1": ["yes"]}), q)  # 'yes' could be 5 or 4
    assert exc.value.failure_cases["problem"].tolist() == ["unmapped label 'yes' (map: labels of construct A)"]


def test_labels_and_missing_codes(q_labels):
    q = Questionnaire.from_yaml(LABEL_SPEC.replace("非常不满意: 1}", "非常不满意: 1, 不知道: 9, DK: 3}"))
    df = pd.DataFrame(
        {"s1": ["不知道", "DK", "满意", "9"], "s2": [3, 3, 3, 3], "s3": [1, 2, 3, 4], "l1": [1, 2, 3, 4], "l2": [1, 2, 3, 4]}
    )
    data = prepare(df, q)
    # a label whose code is a missing code is missing; a text missing code wins over a label of that text
    assert data.missing.set_index("item").loc["s1", "n_missing"] == 3
    assert data.answers["s1"].isna().tolist() == [True, True, False, True]


def test_label_code_outside_the_scale_is_out_of_range():
    q = Questionnaire.from_yaml("scale: [1, 5]\nconstructs:\n  A: {labels: {Top: 7, Low: 1}, items: [a1]}\n")
    with pytest.raises(DataValidationError) as exc:
        prepare(pd.DataFrame({"a1": ["Low", "Top"]}), q)
    assert exc.value.failure_cases["problem"].tolist() == ["out of range 1–5 (label 'Top' = 7)"]
    data = prepare(pd.DataFrame({"a1": ["Low", "Top", "Low"]}), q, on_invalid="exclude")
    assert data.excluded["reason"].tolist() == ["invalid value 'Top' = 7 in a1 (out of range 1–5)"]


def test_labels_in_a_pandas_string_column(q_labels):
    df = pd.DataFrame(
        {
            "s1": pd.Series(["满意", None, "一般"], dtype="string"),
            "s2": pd.Series(["一般", "满意", "非常满意"], dtype="str"),
            "s3": pd.Categorical(["Neutral", "Zufrieden", "Neutral"]),
            "l1": [1, 2, 3],
            "l2": [1, 2, 3],
        }
    )
    data = prepare(df, q_labels)
    assert data.answers["s1"].tolist()[0::2] == [4.0, 3.0] and np.isnan(data.answers["s1"].iloc[1])
    assert data.items["s2"].tolist() == [3.0, 4.0, 5.0]
    assert data.items["s3"].tolist() == [3.0, 4.0, 3.0]


# ====================================================================== vendor missing values
VENDOR_SPEC = """
scale: [0, 100]
missing_codes: [999]
constructs:
  A: {items: [a1, a2]}
  B: {items: [b1, b2]}
paths: [[A, B]]
"""


def test_vendor_missing_values_per_column_and_for_every_column():
    q = Questionnaire.from_yaml(VENDOR_SPEC)
    df = pd.DataFrame(
        {
            "a1": [10, 8, -99, 50, " -99 ", 999],
            "a2": [8, 20, 30, -99, 40, 50],  # 8 is a valid answer here: the code 8 is declared for a1 only
            "b1": ["n/a", "70", "80", "n/a ", "-99", "60"],
            "b2": [1, 2, 3, 4, 5, 6],
        }
    )
    raw = raw_table(df, {"*": [-99], "a1": [8], "b1": ["n/a"]})
    data = prepare(raw, q)
    check_accounting(data)
    assert data.missing.set_index("item")["n_missing"].to_dict() == {"a1": 4, "a2": 1, "b1": 3, "b2": 0}
    assert data.answers["a1"].isna().tolist() == [False, True, True, False, True, True]
    assert data.answers["a2"].tolist()[0] == 8.0
    assert data.answers["b1"].isna().tolist() == [True, False, False, True, True, False]
    # without the export's declaration -99 is an answer outside the scale
    with pytest.raises(DataValidationError) as exc:
        prepare(df.assign(b1=[1, 2, 3, 4, 5, 6]), q)
    assert set(exc.value.failure_cases["problem"]) == {"out of range 0–100"}


def test_vendor_missing_ranges_are_inclusive():
    q = Questionnaire.from_yaml(VENDOR_SPEC)
    df = pd.DataFrame(
        {"a1": [89.5, 90, 95, 99, 99.5, 5], "a2": [-1, 3, 4, 5, -7, 6], "b1": [1, 2, 3, 4, 5, 6], "b2": 1}
    )
    raw = raw_table(df, {"a1": [(90, 99)], "*": [(float("-inf"), -1)]})
    data = prepare(raw, q)
    assert data.answers["a1"].isna().tolist() == [False, True, True, True, False, False]
    assert data.answers["a2"].isna().tolist() == [True, False, False, False, True, False]
    assert data.missing["n_missing"].tolist() == [3, 2, 0, 0]


def test_vendor_missing_values_that_are_not_codes_are_explained():
    q = Questionnaire.from_yaml(VENDOR_SPEC)
    raw = raw_table(pd.DataFrame({"a1": [1], "a2": [2], "b1": [3], "b2": [4]}), {"a1": [(1, 2, 3)]})
    with pytest.raises(InputFileError, match=r"column 'a1' include \(1, 2, 3\)"):
        prepare(raw, q)


# ====================================================================== on_invalid="flag"
FLAG_SPEC = """
scale: {min: 1, max: 10}
missing_codes: [98, 99, DK]
id_column: respondent_id
constructs:
  PQ:  {items: [pq_overall, pq_custom]}
  SAT: {items: [sat_overall, {id: sat_ideal, reverse: true}]}
paths:
  - [PQ, SAT]
"""


def test_on_invalid_flag_keeps_the_respondent_and_turns_the_cells_into_missing_answers():
    q = Questionnaire.from_yaml(FLAG_SPEC)
    df = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4"],
            "pq_overall": [7, "abc", 5, 9],
            "pq_custom": [8, 6, 0, 4],
            "sat_overall": [9, 11, 5, 4],
            "sat_ideal": [2, 3, 4, 5],
        }
    )
    data = prepare(df, q, on_invalid="flag")
    check_accounting(data)
    assert data.n_used == 4 and data.excluded.empty
    assert data.flags.to_dict("records") == [
        {"row": 3, "respondent_id": "r2", "flag": "invalid_value", "action": "flagged",
         "detail": "'abc' in pq_overall (not a number); 11 in sat_overall (out of range 1–10)"},
        {"row": 4, "respondent_id": "r3", "flag": "invalid_value", "action": "flagged",
         "detail": "0 in pq_custom (out of range 1–10)"},
    ]
    assert data.missing["n_missing"].tolist() == [1, 1, 1, 0]
    assert data.missing["n_replaced"].tolist() == [1, 1, 1, 0]
    assert data.items["pq_overall"].tolist() == [7.0, 7.0, 5.0, 9.0]  # mean of 7, 5, 9
    assert data.items["sat_overall"].tolist() == [9.0, 6.0, 5.0, 4.0]
    assert np.isnan(data.answers.loc[1, "pq_overall"]) and np.isnan(data.answers.loc[2, "pq_custom"])
    summary = data.quality_summary.set_index("flag").loc["invalid_value"]
    assert (summary["policy"], summary["n_flagged"], summary["n_excluded"]) == ("flag", 2, 0)


def test_on_invalid_exclude_also_records_flags():
    q = Questionnaire.from_yaml(FLAG_SPEC)
    df = pd.DataFrame(
        {"respondent_id": ["r1", "r2"], "pq_overall": [7, "x"], "pq_custom": [8, 6], "sat_overall": [9, 5], "sat_ideal": [2, 3]}
    )
    data = prepare(df, q, on_invalid="exclude")
    check_accounting(data)
    assert data.excluded["reason"].tolist() == ["invalid value 'x' in pq_overall (not a number)"]
    assert data.flags[["row", "flag", "action"]].values.tolist() == [[3, "invalid_value", "excluded"]]


def test_settings_are_checked(tmp_path):
    q = Questionnaire.from_yaml(FLAG_SPEC)
    df = pd.DataFrame({"respondent_id": [1], "pq_overall": [7], "pq_custom": [7], "sat_overall": [7], "sat_ideal": [7]})
    with pytest.raises(SettingsError, match="'error', 'exclude', 'flag'"):
        prepare(df, q, on_invalid="ignore")
    with pytest.raises(SettingsError, match="'mean', 'mean-strict', 'listwise', 'model'"):
        prepare(df, q, missing="knn")
    with pytest.raises(SettingsError):
        read_responses(tmp_path / "not-read.csv", q, on_invalid="drop")


# ====================================================================== quality rules
QUALITY_SPEC = """
scale: [1, 5]
missing_codes: [9]
id_column: id
constructs:
  A: {label: Quality, items: [a1, a2, a3]}
  B: {items: [b1, b2, b3, {id: b4, reverse: true}]}
  C: {items: [c1, c2]}
paths: [[A, C], [B, C]]
"""

# row 2: clean; row 3: straight-lines A; row 4: straight-lines B (b4 as given) and is fast; row 5: repeats id r1;
# row 6: 6 of 9 items unanswered, no duration; row 7: straight-lines A and B, unreadable duration;
# row 8: fast; row 9: repeats id r6 (with spaces).
QUALITY_ROWS = [
    # id      a1 a2 a3   b1 b2 b3 b4   c1 c2  duration
    ["r1",    1, 2, 3,   2, 3, 4, 2,   3, 4,  300],
    ["r2",    4, 4, 4,   1, 2, 3, 4,   2, 2,  "00:05:10"],
    ["r3",    2, 3, 2,   5, 5, 5, 5,   5, 5,  "1:05"],
    ["r1",    3, 3, 2,   1, 2, 1, 2,   3, 3,  400],
    ["r4",    None, 9, 3,   None, None, 9, 2,   1, None,  None],
    ["r5",    4, 4, 4,   4, 4, 4, 4,   4, 4,  "abc"],
    ["r6",    2, 1, 2,   3, 2, 3, 1,   2, 3,  100],
    [" r6 ",  3, 2, 1,   2, 3, 2, 3,   1, 2,  "0:03:00"],
]
QUALITY_COLUMNS = ["id", "a1", "a2", "a3", "b1", "b2", "b3", "b4", "c1", "c2", "duration"]

EXPECTED_FLAGS = {
    "duplicate": [
        (5, "r1", "respondent id 'r1' already in row 2"),
        (9, "r6", "respondent id 'r6' already in row 8"),
    ],
    "straightlining": [
        (3, "r2", "same answer (4) on all 3 items of A (Quality)"),
        (4, "r3", "same answer (5) on all 4 items of B"),
        (7, "r5", "same answer (4) on all 3 items of A (Quality)"),
        (7, "r5", "same answer (4) on all 4 items of B"),
    ],
    "speeder": [
        (4, "r3", "interview took 65 s, less than 120 s"),
        (8, "r6", "interview took 100 s, less than 120 s"),
    ],
    "too_many_missing": [(6, "r4", "6 of 9 items unanswered (67% > 50%)")],
}
RULE_KEYS = {
    "duplicate": ("duplicates", None),
    "straightlining": ("straightlining", {"min_items": 3}),
    "speeder": ("speeders", {"column": "duration", "min_seconds": 120}),
    "too_many_missing": ("missing", {"max_share": 0.5}),
}
TITLES = {"duplicate": "duplicate", "straightlining": "straight-lining", "speeder": "speeder",
          "too_many_missing": "too many missing answers"}


def quality_q(**rules) -> Questionnaire:
    spec = Questionnaire.from_yaml(QUALITY_SPEC).model_dump(mode="json", exclude_defaults=True)
    spec["quality"] = {"duplicates": "off", **rules}
    return Questionnaire.from_dict(spec)


def quality_frame() -> pd.DataFrame:
    return pd.DataFrame(QUALITY_ROWS, columns=QUALITY_COLUMNS, dtype=object)  # cells as a CSV reader gives them


def rule_setting(flag: str, policy: str):
    key, extra = RULE_KEYS[flag]
    return {key: policy if extra is None else {**extra, "policy": policy}}


@pytest.mark.parametrize("flag", list(EXPECTED_FLAGS))
@pytest.mark.parametrize("policy", ["off", "flag", "exclude"])
def test_each_quality_rule_with_each_policy(flag, policy):
    data = prepare(quality_frame(), quality_q(**rule_setting(flag, policy)))
    check_accounting(data)
    expected = [] if policy == "off" else EXPECTED_FLAGS[flag]
    assert [tuple(r) for r in data.flags[["row", "respondent_id", "detail"]].values.tolist()] == expected
    assert set(data.flags["flag"]) <= {flag}
    if policy == "exclude":
        assert set(data.flags["action"]) == {"excluded"}
        rows = sorted({r for r, _, _ in expected})
        assert data.excluded["row"].tolist() == rows
        for row in rows:
            details = [d for r, _, d in expected if r == row]
            reason = data.excluded.set_index("row").loc[row, "reason"]
            assert reason == "; ".join(f"{TITLES[flag]}: {d}" for d in details)
        assert data.n_used == 8 - len(rows)
    else:
        assert set(data.flags["action"]) <= {"flagged"}
        assert data.excluded.empty and data.n_used == 8
    summary = data.quality_summary.set_index("flag").loc[flag]
    assert summary["policy"] == policy
    n_resp = len({r for r, _, _ in expected})
    assert (summary["n_flagged"], summary["n_excluded"]) == ((n_resp, 0) if policy == "flag" else (0, n_resp) if policy == "exclude" else (0, 0))


def test_mixed_policies_complete_audit_and_reasons():
    q = quality_q(
        duplicates="exclude",
        straightlining={"policy": "flag", "min_items": 3},
        speeders={"column": "duration", "min_seconds": 120, "policy": "exclude"},
        missing={"max_share": 0.5, "policy": "flag"},
    )
    data = prepare(quality_frame(), q)
    check_accounting(data)
    assert data.flags.to_dict("records") == [
        {"row": 3, "respondent_id": "r2", "flag": "straightlining", "detail": "same answer (4) on all 3 items of A (Quality)", "action": "flagged"},
        {"row": 4, "respondent_id": "r3", "flag": "straightlining", "detail": "same answer (5) on all 4 items of B", "action": "flagged"},
        {"row": 4, "respondent_id": "r3", "flag": "speeder", "detail": "interview took 65 s, less than 120 s", "action": "excluded"},
        {"row": 5, "respondent_id": "r1", "flag": "duplicate", "detail": "respondent id 'r1' already in row 2", "action": "excluded"},
        {"row": 6, "respondent_id": "r4", "flag": "too_many_missing", "detail": "6 of 9 items unanswered (67% > 50%)", "action": "flagged"},
        {"row": 7, "respondent_id": "r5", "flag": "straightlining", "detail": "same answer (4) on all 3 items of A (Quality)", "action": "flagged"},
        {"row": 7, "respondent_id": "r5", "flag": "straightlining", "detail": "same answer (4) on all 4 items of B", "action": "flagged"},
        {"row": 8, "respondent_id": "r6", "flag": "speeder", "detail": "interview took 100 s, less than 120 s", "action": "excluded"},
        {"row": 9, "respondent_id": "r6", "flag": "duplicate", "detail": "respondent id 'r6' already in row 8", "action": "excluded"},
    ]
    assert data.excluded.to_dict("records") == [
        {"row": 4, "respondent_id": "r3", "reason": "speeder: interview took 65 s, less than 120 s"},
        {"row": 5, "respondent_id": "r1", "reason": "duplicate: respondent id 'r1' already in row 2"},
        {"row": 8, "respondent_id": "r6", "reason": "speeder: interview took 100 s, less than 120 s"},
        {"row": 9, "respondent_id": "r6", "reason": "duplicate: respondent id 'r6' already in row 8"},
    ]
    assert data.respondent_id.tolist() == ["r1", "r2", "r4", "r5"]
    summary = data.quality_summary.set_index("flag")
    assert summary.index.tolist() == ["invalid_value", "duplicate", "straightlining", "speeder", "too_many_missing"]
    assert summary.loc["speeder", "n_not_checked"] == 2  # row 6 (no duration) and row 7 ('abc')
    assert summary.loc["speeder", "n_checked"] == 6
    assert "2 respondent(s) without a usable duration" in summary.loc["speeder", "note"]
    assert summary.loc["straightlining", "note"] == "blocks: A, B"  # C has 2 items only
    assert summary.loc["straightlining", "n_flagged"] == 3
    assert summary.loc["duplicate", "n_excluded"] == 2
    # the answers as given, before imputation, reach the estimation unchanged for the used rows
    assert data.items.loc[0, ["a1", "a2", "a3"]].tolist() == [1.0, 2.0, 3.0]


def test_one_respondent_excluded_by_two_rules_has_one_joined_reason():
    q = quality_q(
        straightlining={"policy": "exclude", "min_items": 3},
        speeders={"column": "duration", "min_seconds": 120, "policy": "exclude"},
    )
    data = prepare(quality_frame(), q)
    check_accounting(data)
    reasons = data.excluded.set_index("row")["reason"]
    assert reasons[4] == (
        "straight-lining: same answer (5) on all 4 items of B; speeder: interview took 65 s, less than 120 s"
    )
    assert reasons[7] == (
        "straight-lining: same answer (4) on all 3 items of A (Quality); "
        "straight-lining: same answer (4) on all 4 items of B"
    )
    assert data.excluded["row"].tolist() == [3, 4, 7, 8]


def test_quality_rules_come_after_invalid_handling_and_before_the_construct_check():
    q = quality_q(missing={"max_share": 0.5, "policy": "exclude"})
    df = quality_frame()
    df.loc[0, "a1"] = "abc"  # row 2: invalid → excluded before the quality rules
    df.loc[1, ["c1", "c2"]] = None  # row 3: no answer for C, but only 2 of 9 missing
    df.loc[4, "c1"] = None  # row 6: also lacks C, but is excluded by the missing-share rule first
    data = prepare(df, q, on_invalid="exclude")
    check_accounting(data)
    assert data.excluded.to_dict("records") == [
        {"row": 2, "respondent_id": "r1", "reason": "invalid value 'abc' in a1 (not a number)"},
        {"row": 3, "respondent_id": "r2", "reason": "no valid answer for construct C"},
        {"row": 6, "respondent_id": "r4", "reason": "too many missing answers: 7 of 9 items unanswered (78% > 50%)"},
    ]
    assert data.flags["flag"].tolist() == ["invalid_value", "too_many_missing"]


def test_flagged_invalid_answers_count_as_unanswered_for_the_missing_share_rule():
    q = quality_q(missing={"max_share": 0.5, "policy": "flag"})
    df = quality_frame()
    df.loc[0, ["a1", "a2", "a3", "b1", "b2"]] = ["x", "x", 7, "x", "x"]  # row 2: 5 of 9 invalid
    data = prepare(df, q, on_invalid="flag")
    check_accounting(data)
    flags = data.flags[data.flags["row"] == 2]
    assert flags["flag"].tolist() == ["invalid_value", "too_many_missing"]
    assert flags["detail"].tolist()[1] == "5 of 9 items unanswered (56% > 50%)"


def test_duplicates_flagged_by_default_and_empty_ids_not_checked():
    q = Questionnaire.from_yaml(QUALITY_SPEC)  # quality not declared: duplicates = flag
    df = quality_frame()
    df.loc[2, "id"] = " "
    df.loc[5, "id"] = None
    data = prepare(df, q)
    check_accounting(data)
    assert data.flags[["row", "flag", "action"]].values.tolist() == [[5, "duplicate", "flagged"], [9, "duplicate", "flagged"]]
    summary = data.quality_summary.set_index("flag").loc["duplicate"]
    assert (summary["n_checked"], summary["n_not_checked"]) == (6, 2)


def test_duplicates_without_id_column_are_identical_rows():
    q = Questionnaire.from_yaml("scale: [1, 5]\nconstructs:\n  A: {items: [a1, a2]}\n")
    df = pd.DataFrame(
        {"a1": [1, 2, 1, 1, "1"], "a2": [3, 4, 3, 3, 3], "started": ["10:01", "10:02", "10:01", "10:05", "10:01"]}
    )
    data = prepare(df, q)
    # row 4 repeats row 2 in every column; row 5 differs in the start time, row 6 in the cell "1" vs 1
    assert data.flags[["row", "detail"]].values.tolist() == [[4, "identical to row 2 in all 3 columns"]]
    only_items = prepare(df.drop(columns="started"), q)  # equal answers alone are no evidence
    assert only_items.flags.empty
    note = only_items.quality_summary.set_index("flag").loc["duplicate", "note"]
    assert note == "not checked: no id_column and no column besides the items"


def test_speeder_column_must_exist():
    q = quality_q(speeders={"column": "duration_s", "min_seconds": 60})
    with pytest.raises(InputFileError, match=r"column 'duration_s' \(speeders.column, the interview duration\) not found"):
        prepare(quality_frame(), q)


def test_speeder_durations_honour_the_exports_missing_codes_only():
    q = quality_q(speeders={"column": "duration", "min_seconds": 120})
    df = quality_frame()
    df["duration"] = [-99, 9, 300, 300, 300, 300, 300, 300]  # 9 is an item missing code, not a duration code
    data = prepare(raw_table(df, {"*": [-99]}), q)
    assert data.flags[["row", "detail"]].values.tolist() == [[3, "interview took 9 s, less than 120 s"]]
    assert data.quality_summary.set_index("flag").loc["speeder", "n_not_checked"] == 1


def test_every_row_excluded_by_quality_rules_is_explained():
    q = quality_q(missing={"max_share": 0.05, "policy": "exclude"})
    df = quality_frame()
    df.loc[:, "c2"] = None
    with pytest.raises(InputFileError) as exc:
        prepare(df, q)
    assert "too many missing answers (8 rows)" in str(exc.value)
    assert "policy 'flag'" in exc.value.hint


# ---------------------------------------------------------------------- the detectors themselves
def test_parse_durations():
    s = pd.Series(
        ["90", 75, "1:30", "01:02:03", "00:00:59.5", "", None, "abc", "-5", "1:75", "1:60:00",
         dt.timedelta(minutes=2), dt.time(0, 3, 0), " 42 ", "DK"],
        dtype=object,
    )
    sec = parse_durations(s, missing_text=["DK"])
    expected = [90, 75, 90, 3723, 59.5, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 120, 180, 42, np.nan]
    np.testing.assert_array_equal(sec, np.asarray(expected, dtype=float))
    np.testing.assert_array_equal(parse_durations(pd.Series([30.0, -99.0, np.nan]), lambda x: x == -99), [30, np.nan, np.nan])
    np.testing.assert_array_equal(parse_durations(pd.Series(pd.to_timedelta([5, 65], unit="s"))), [5, 65])
    np.testing.assert_array_equal(speeders(np.array([10, np.nan, 200.0]), 60), [True, False, False])


def test_detector_functions():
    values = np.array([[1, 1, 1, 2], [3, 3, np.nan, 3], [2, 2, 2, 2]], dtype=float)
    np.testing.assert_array_equal(straightlining(values, [[0, 1, 2], [0, 1, 2, 3]]), [[True, False], [False, False], [True, True]])
    np.testing.assert_allclose(missing_share(np.isnan(values)), [0, 0.25, 0])
    keys = key_codes(pd.Series(["a", " a", None, "b", "a ", ""], dtype=object))
    assert keys.tolist()[2] == -1 and keys.tolist()[5] == -1 and len({keys[0], keys[1], keys[4]}) == 1
    pos, first = duplicates(keys, np.array([True, True, True, True, True, True]))
    assert pos.tolist() == [1, 4] and first.tolist() == [0, 0]
    pos, first = duplicates(keys, np.array([False, True, True, True, True, True]))  # the first active copy is kept
    assert pos.tolist() == [4] and first.tolist() == [1]
    frame = pd.DataFrame({"x": [1, 1, 2, 1], "y": ["a", "a", "a", None]})
    rk = row_keys(frame)
    assert rk[0] == rk[1] and len(set(rk.tolist())) == 3


# ====================================================================== missing="model"
def correlated(n=400, p=5, share=0.2, seed=3):
    """Items driven by one factor; answers removed completely at random. Returns (true, with holes)."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    true = np.clip(5.5 + 1.8 * f + 0.6 * rng.normal(size=(n, p)), 1, 10)
    holes = rng.random((n, p)) < share
    holes[holes.all(axis=1), 0] = False  # keep an answer per respondent
    observed = np.where(holes, np.nan, true)
    return true, observed, holes


def model_q(p=5, reverse_last=False) -> Questionnaire:
    items = [f"x{k}" for k in range(1, p)] + ([{"id": f"x{p}", "reverse": True}] if reverse_last else [f"x{p}"])
    return Questionnaire.from_dict({"scale": [1, 10], "constructs": {"A": {"items": items}}})


def test_model_imputation_beats_the_mean_and_is_reproducible():
    true, observed, holes = correlated()
    q = model_q()
    df = pd.DataFrame(observed, columns=q.item_ids)
    model = prepare(df, q, missing="model")
    mean = prepare(df, q, missing="mean")
    check_accounting(model)
    rmse_model = np.sqrt(np.mean((model.items.to_numpy()[holes] - true[holes]) ** 2))
    rmse_mean = np.sqrt(np.mean((mean.items.to_numpy()[holes] - true[holes]) ** 2))
    assert rmse_model < 0.6 * rmse_mean  # about 0.64 against 1.84 with these data
    again = prepare(df, q, missing="model")
    np.testing.assert_array_equal(again.items.to_numpy(), model.items.to_numpy())
    np.testing.assert_array_equal(model.items.to_numpy()[~holes], observed[~holes])  # answers untouched
    np.testing.assert_array_equal(model.imputed, holes)
    assert model.answers.isna().to_numpy().tolist() == holes.tolist()
    assert model.missing["n_replaced"].tolist() == holes.sum(axis=0).tolist()
    assert model.missing["n_missing"].tolist() == holes.sum(axis=0).tolist()
    assert set(model.missing["method"]) == {"model"} and model.missing_method == "model"


def test_model_imputation_stays_within_each_items_scale():
    rng = np.random.default_rng(7)
    f = rng.normal(size=300)
    # near the top of the scale: a linear prediction for the highest respondents exceeds 5
    x = np.clip(np.rint(4 + 1.5 * f[:, None] + 0.3 * rng.normal(size=(300, 4))), 1, 5)
    x[f > 1.0, 3] = np.nan
    x[rng.random(300) < 0.1, 0] = np.nan
    q = Questionnaire.from_dict({"scale": [1, 5], "constructs": {"A": {"items": ["a", "b", "c", {"id": "d", "reverse": True}]}}})
    data = prepare(pd.DataFrame(x, columns=["a", "b", "c", "d"]), q, missing="model")
    items = data.items.to_numpy()
    assert items.min() >= 1 and items.max() <= 5
    assert data.missing.set_index("item").loc["d", "n_replaced"] == int((f > 1.0).sum())
    # d is reverse-coded: high answers (5) are low scores; the imputations follow the others
    answers = data.answers.to_numpy()
    assert np.isnan(answers[f > 1.0, 3]).all()
    assert items[f > 1.0, 3].mean() < 2.5


def test_model_imputation_with_an_item_nobody_answered_is_explained():
    q = model_q(p=3)
    df = pd.DataFrame({"x1": [1, 2, 3], "x2": [None, None, None], "x3": [3, 4, 5]})
    with pytest.raises(InputFileError, match="cannot be replaced by the imputation model"):
        prepare(df, q, missing="model")


def test_model_without_missing_answers_changes_nothing():
    q = model_q(p=3)
    df = pd.DataFrame({"x1": [1, 2, 3], "x2": [2, 3, 4], "x3": [3, 4, 5]})
    data = prepare(df, q, missing="model")
    assert data.imputed is None and data.missing["n_replaced"].sum() == 0
    np.testing.assert_array_equal(data.items.to_numpy(), df.to_numpy(dtype=float))


def test_listwise_reports_its_method():
    true, observed, holes = correlated(n=50)
    q = model_q()
    data = prepare(pd.DataFrame(observed, columns=q.item_ids), q, missing="listwise")
    check_accounting(data)
    assert set(data.missing["method"]) == {"listwise"} and data.missing["n_replaced"].sum() == 0
    assert data.n_used == int((~holes.any(axis=1)).sum())
