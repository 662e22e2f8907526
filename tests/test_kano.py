"""KANO classification: the evaluation table, counts, mode with ties, Better/Worse, answers and errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError, SpecError
from csi_survey.ingest import read_table
from csi_survey.methods import KanoSpec, evaluation_table, kano, kano_answer, kano_category, load_kano_spec
from csi_survey.methods.kano import ANSWERS, EVALUATION_TABLE

from .conftest import EXAMPLES

# Berger et al. (1993), table 2: rows functional, columns dysfunctional (like, must-be, neutral, live-with, dislike)
BERGER = [
    "QAAAO",
    "RIIIM",
    "RIIIM",
    "RIIIM",
    "RRRRQ",
]
CODE = {"A": "attractive", "O": "one_dimensional", "M": "must_be", "I": "indifferent", "R": "reverse", "Q": "questionable"}
ZH = {"like": "我喜欢", "must-be": "理所当然", "neutral": "无所谓", "live-with": "能忍受", "dislike": "我不喜欢"}
EN = {"like": "I like it", "must-be": "It must be that way", "neutral": "I am neutral",
      "live-with": "I can live with it", "dislike": "I dislike it"}

SPEC = KanoSpec.from_dict({"features": [{"id": "tracking", "label": "配送跟踪", "functional": "f", "dysfunctional": "d"}]})


@pytest.mark.parametrize("i", range(5))
@pytest.mark.parametrize("j", range(5))
def test_every_cell_of_the_evaluation_table(i, j):
    f, d = ANSWERS[i], ANSWERS[j]
    expected = CODE[BERGER[i][j]]
    assert EVALUATION_TABLE[(f, d)] == expected
    assert kano_category(f, d) == expected  # answer names
    assert kano_category(i + 1, j + 1) == expected  # codes 1–5
    assert kano_category(float(i + 1), str(j + 1)) == expected  # as read from xlsx / csv
    assert kano_category(ZH[f], ZH[d]) == expected
    assert kano_category(EN[f], EN[d]) == expected


def test_evaluation_table_frame_counts():
    table = evaluation_table()
    assert len(table) == 25 and list(table.columns) == ["functional", "dysfunctional", "category", "code"]
    assert table["code"].value_counts().to_dict() == {"I": 9, "R": 7, "A": 3, "M": 3, "Q": 2, "O": 1}


def _responses(pairs):
    return pd.DataFrame({"f": [p[0] for p in pairs], "d": [p[1] for p in pairs]})


def test_hand_computed_feature():
    # 3 A, 2 O, 4 M, 1 I, 1 R, 1 Q, and 2 incomplete pairs: n = 12
    pairs = ([("like", "neutral")] * 2 + [("like", "must-be")]                       # A A A
             + [("like", "dislike")] * 2                                              # O O
             + [("neutral", "dislike"), ("must-be", "dislike"), ("live-with", "dislike"), ("neutral", "dislike")]  # M × 4
             + [("neutral", "neutral")]                                               # I
             + [("dislike", "like")]                                                  # R
             + [("like", "like")]                                                     # Q
             + [("like", None), (None, None)])
    r = kano(_responses(pairs), SPEC)
    row = r.features.iloc[0]
    assert row["feature"] == "tracking" and row["label"] == "配送跟踪"
    assert (row["n"], row["n_missing"]) == (12, 2)
    counts = {c: int(row[c]) for c in CODE.values()}
    assert counts == {"attractive": 3, "one_dimensional": 2, "must_be": 4, "indifferent": 1, "reverse": 1, "questionable": 1}
    assert row["category"] == "must_be"
    # Better = (A + O)/(A + O + M + I) = 5/10, Worse = −(O + M)/(A + O + M + I) = −6/10 (R and Q left out)
    assert row["better"] == pytest.approx(0.5)
    assert row["worse"] == pytest.approx(-0.6)
    shares = r.shares.set_index("category")
    assert shares.loc["must_be", "count"] == 4 and shares.loc["must_be", "share"] == pytest.approx(4 / 12)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert list(r.shares.columns) == ["feature", "label", "category", "count", "share"]
    # one row per respondent and feature, with the sheet row number
    assert r.pairs["row"].tolist() == list(range(2, 16))
    assert r.pairs["category"].iloc[-1] is None and r.pairs["functional"].iloc[-2] == "like"


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("like", "dislike")] * 3 + [("neutral", "dislike")] * 3, "must_be"),  # O = M → M
        ([("like", "dislike")] * 2 + [("like", "neutral")] * 2, "one_dimensional"),  # O = A → O
        ([("like", "neutral")] * 2 + [("neutral", "neutral")] * 2, "attractive"),  # A = I → A
        ([("neutral", "neutral")] * 2 + [("dislike", "like")] * 2, "indifferent"),  # I = R → I
        ([("dislike", "like")] * 2 + [("like", "like")] * 2, "reverse"),  # R = Q → R
        ([("like", "like")] * 3 + [("neutral", "neutral")] * 2, "questionable"),  # the mode, even Q
    ],
)
def test_ties_follow_the_priority_m_o_a_i(pairs, expected):
    assert kano(_responses(pairs), SPEC).features.loc[0, "category"] == expected


def test_better_worse_nan_when_only_reverse_and_questionable():
    r = kano(_responses([("dislike", "like"), ("like", "like")]), SPEC).features.iloc[0]
    assert math.isnan(r["better"]) and math.isnan(r["worse"]) and r["n"] == 2


def test_feature_nobody_answered():
    r = kano(_responses([(None, None), ("", " ")]), SPEC)
    row = r.features.iloc[0]
    assert row["n"] == 0 and row["n_missing"] == 2 and row["category"] is None
    assert math.isnan(row["better"]) and r.shares["share"].isna().all()


def test_chinese_english_and_code_wordings():
    pairs = [
        ("我喜欢", "我不喜欢"),                    # O
        ("喜欢。", "理所当然"),                    # A (trailing punctuation ignored)
        ("1. 我喜欢", "5 - I dislike it"),        # O (code prefix + wording)
        ("  I LIKE IT that way ", "I expect it"),  # A (case and spaces ignored)
        (3, "能忍受"),                             # I
        (3.0, "5"),                                # M
        ("It must be that way", "我不喜欢"),        # M
    ]
    r = kano(_responses(pairs), SPEC)
    assert r.pairs["category"].tolist() == ["one_dimensional", "attractive", "one_dimensional", "attractive",
                                           "indifferent", "must_be", "must_be"]
    assert kano_answer("我喜欢") == "like" and kano_answer(None) is None
    with pytest.raises(SettingsError):
        kano_answer("maybe")


def test_answer_mapping_from_the_spec_and_argument_overrides_codes():
    spec = KanoSpec.from_dict({
        "features": {"tracking": {"functional": "f", "dysfunctional": "d"}},
        "answers": {1: "dislike", 5: "like", "还行": "neutral"},  # a survey that codes 1 = dislike … 5 = like
    })
    r = kano(_responses([(5, 1), ("还行", 1), ("很棒", 1)]), spec, answers={"很棒": "我喜欢"})
    assert r.pairs["category"].tolist() == ["one_dimensional", "must_be", "one_dimensional"]
    assert r.features.loc[0, "label"] == "tracking"  # no label: the id


def test_unknown_answers_are_listed_in_one_error():
    frame = pd.DataFrame({
        "id": ["A1", "A2", "A3", "A4"],
        "f": ["我喜欢", "maybe", "我喜欢", 7],
        "d": ["我不喜欢", "我不喜欢", "很讨厌吧", "我不喜欢"],
    })
    spec = KanoSpec.from_dict({"id_column": "id", "features": [{"id": "x", "functional": "f", "dysfunctional": "d"}]})
    with pytest.raises(DataValidationError) as info:
        kano(frame, spec)
    cases = info.value.failure_cases
    assert cases[["row", "respondent_id", "column", "value"]].values.tolist() == [
        [3, "A2", "f", "maybe"], [4, "A3", "d", "很讨厌吧"], [5, "A4", "f", "7"]]
    assert "3 problems" in str(info.value) and "我喜欢" in str(info.value)


def test_missing_columns_are_listed_together():
    spec = KanoSpec.from_dict({"features": [
        {"id": "a", "functional": "fa", "dysfunctional": "da"},
        {"id": "b", "functional": "f", "dysfunctional": "db"},
    ]})
    with pytest.raises(InputFileError) as info:
        kano(_responses([("like", "like")]), spec)
    text = str(info.value)
    assert "3 columns are missing" in text and "'fa'" in text and "'da'" in text and "'db'" in text


def test_column_names_match_case_and_space_insensitively():
    frame = pd.DataFrame({" F ": ["like"], "D": ["dislike"]})
    assert kano(frame, SPEC).features.loc[0, "category"] == "one_dimensional"


def test_spec_problems_are_all_reported_with_lines(tmp_path):
    path = tmp_path / "kano.yaml"
    path.write_text(
        "features:\n"
        "  - id: a\n"
        "    functional: fa\n"
        "  - id: a\n"
        "    functional: x\n"
        "    dysfunctional: x\n"
        "  - label: no id\n"
        "    functional: f\n"
        "    dysfunctional: d\n"
        "    colour: red\n"
        "answers:\n"
        "  超棒: wonderful\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        load_kano_spec(path)
    problems = info.value.problems
    assert len(problems) == 6, problems
    text = problems["problem"].str.cat(sep="\n")
    for part in ("dysfunctional column is missing", "used twice", "the same column", "no id", "unknown key 'colour'",
                 "'wonderful' is not a Kano answer"):
        assert part in text
    assert problems["location"].str.startswith("kano.yaml:").all()
    assert "kano.yaml:2 features[0].dysfunctional" in problems["location"].tolist()
    assert "kano.yaml:10 features[2].colour" in problems["location"].tolist()


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="cannot be read"):
        load_kano_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("features: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_kano_spec(bad)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("features:\n  - {id: 跟踪, functional: 正向, dysfunctional: 反向}\n".encode("gbk"))
    assert load_kano_spec(gbk).features[0].functional == "正向"


def test_gbk_csv_through_read_table(tmp_path):
    path = tmp_path / "kano.csv"
    frame = pd.DataFrame({"编号": [1, 2, 3], "正向": ["我喜欢", "无所谓", "我喜欢"], "反向": ["无所谓", "我不喜欢", "我不喜欢"]})
    path.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode("gbk"))
    spec = KanoSpec.from_yaml("id_column: 编号\nfeatures:\n  - {id: 跟踪, functional: 正向, dysfunctional: 反向}\n")
    r = kano(read_table(path), spec)
    assert r.pairs["category"].tolist() == ["attractive", "must_be", "one_dimensional"]
    assert r.pairs["respondent_id"].tolist() == ["1", "2", "3"]


def test_the_example():
    spec = load_kano_spec(EXAMPLES / "methods" / "kano_retail_service.yaml")
    r = kano(read_table(EXAMPLES / "methods" / "kano_retail_service.csv"), spec)
    s = r.features.set_index("feature")
    assert s["category"].to_dict() == {
        "on_time_delivery": "must_be", "online_ordering": "one_dimensional", "delivery_tracking": "attractive",
        "arrival_sms": "indifferent", "manager_visits": "indifferent",
    }
    assert s.loc["online_ordering", "n_missing"] == 1 and s.loc["arrival_sms", "n_missing"] == 1
    aomi = s[["attractive", "one_dimensional", "must_be", "indifferent"]].sum(axis=1)
    np.testing.assert_allclose(s["better"], (s["attractive"] + s["one_dimensional"]) / aomi)
    np.testing.assert_allclose(s["worse"], -(s["one_dimensional"] + s["must_be"]) / aomi)
    assert (s["n"] + s["n_missing"] == 60).all()


def test_summary_tables_and_writing(tmp_path):
    from csi_survey.report import write_kano

    frame = pd.DataFrame({"f": ["like", "=HYPERLINK(1)"], "d": ["dislike", None]})
    spec = KanoSpec.from_dict({"features": [{"id": "x", "label": "=1+1", "functional": "f", "dysfunctional": "d"}],
                               "answers": {"=HYPERLINK(1)": "neutral"}})
    r = kano(frame, spec)
    assert "KANO classification" in str(r.summary()) and "one_dimensional" in str(r.summary())
    paths = write_kano(r, tmp_path / "out")
    assert [p.name for p in paths] == ["kano_features.csv", "kano_shares.csv", "kano_pairs.csv"]
    text = (tmp_path / "out" / "kano_features.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("feature,label,n,attractive") and "'=1+1" in text  # formula-safe
    back = pd.read_csv(tmp_path / "out" / "kano_shares.csv", encoding="utf-8-sig")
    assert back["count"].sum() == 1
