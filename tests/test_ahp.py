"""AHP (csi_survey.methods.ahp): Saaty's published examples, hierarchies, every validation error,
the five-level satisfaction score and the expert (AHP) weights for the 0–100 index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.exceptions import DataValidationError, InputFileError, SettingsError, SpecError
from csi_survey.methods import ahp, ahp_satisfaction, expert_index
from csi_survey.report import write_ahp
from csi_survey.methods.ahp import LEVELS, RANDOM_INDEX, answer_level, principal_weights

from .conftest import EXAMPLES

EX = EXAMPLES / "methods"


def _problems(exc: pytest.ExceptionInfo) -> list[str]:
    return list(exc.value.problems["problem"])


# ====================================================================== published examples
def test_the_issue_example_from_yaml_with_fractions_as_text():
    res = ahp(EX / "ahp_criteria.yaml")
    assert list(res.weights.columns) == ["criterion", "weight"]
    assert list(res.weights["criterion"]) == ["quality", "price", "service"]
    np.testing.assert_allclose(res.weights["weight"], [0.637, 0.258, 0.105], atol=5e-4)
    assert res.weights["weight"].sum() == pytest.approx(1.0)
    row = res.consistency.iloc[0]
    assert list(res.consistency.columns) == ["n", "lambda_max", "ci", "ri", "cr", "consistent"]
    assert row["lambda_max"] == pytest.approx(3.039, abs=5e-4)
    assert row["ci"] == pytest.approx((row["lambda_max"] - 3) / 2) and row["ci"] == pytest.approx(0.019, abs=5e-4)
    assert row["ri"] == 0.58 and row["cr"] == pytest.approx(0.033, abs=5e-4) and bool(row["consistent"])
    assert not res.hierarchy and res.inconsistent == []


# Saaty, T. L. (1990), "How to make a decision: the analytic hierarchy process", European Journal of
# Operational Research 48, 9–26: the house-buying example, the pairwise comparisons of the eight
# criteria (size of house, transportation, neighborhood, age of house, yard space, modern facilities,
# general condition, financing). Published priority vector .173 .054 .188 .018 .031 .036 .167 .333,
# λmax = 9.669, C.I. = 0.238, C.R. = 0.169 (with RI(8) = 1.41): an inconsistent matrix.
# (The same judgments, some removed, are the "incomplete housing" matrix of Bozóki, Fülöp & Rónyai
# 2010, Mathematical and Computer Modelling 52, 318–333.)
HOUSE = [
    "1 5 3 7 6 6 1/3 1/4",
    "1/5 1 1/3 5 3 3 1/5 1/7",
    "1/3 3 1 6 3 4 6 1/5",
    "1/7 1/5 1/6 1 1/3 1/4 1/7 1/8",
    "1/6 1/3 1/3 3 1 1/2 1/5 1/6",
    "1/6 1/3 1/4 4 2 1 1/5 1/6",
    "3 5 1/6 7 5 5 1 1/2",
    "4 7 5 8 6 6 2 1",
]
HOUSE_CRITERIA = ["size", "transportation", "neighborhood", "age", "yard", "facilities", "condition", "financing"]


def _house() -> dict:
    return {"criteria": HOUSE_CRITERIA, "matrix": [row.split() for row in HOUSE]}


def test_saaty_1990_house_example_is_refused_as_inconsistent():
    with pytest.raises(SpecError, match="inconsistent") as exc:
        ahp(_house())
    (problem,) = _problems(exc)
    assert "CR = 0.169 > 0.10" in problem and "λmax = 9.669" in problem and "CI = 0.238" in problem and "RI = 1.41" in problem
    assert "neighborhood vs condition = 6" in problem  # the judgment most at odds with the weights
    assert "allow_inconsistent=True" in str(exc.value) and "--force" in str(exc.value)


def test_saaty_1990_house_example_published_numbers():
    res = ahp(_house(), allow_inconsistent=True)
    np.testing.assert_allclose(res.weights["weight"], [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333], atol=5e-4)
    row = res.consistency.iloc[0]
    assert row["lambda_max"] == pytest.approx(9.669, abs=5e-4)
    assert row["ci"] == pytest.approx(0.238, abs=5e-4)
    assert row["ri"] == 1.41 and row["cr"] == pytest.approx(0.169, abs=5e-4)
    assert not row["consistent"] and res.inconsistent == ["goal"]
    assert "used anyway" in res.notes[0] and "CR > 0.10 for goal" in str(res.summary())


# Saaty, T. L. (2008), "Decision making with the analytic hierarchy process", International Journal
# of Services Sciences 1(1), 83–98, table 2: "Which drink is consumed more in the U.S.?" — published
# eigenvector coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129, water .327.
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]


def test_saaty_2008_drinks_example():
    res = ahp({"criteria": DRINKS, "matrix": DRINKS_MATRIX})
    np.testing.assert_allclose(res.weights["weight"], [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], atol=5e-4)
    row = res.consistency.iloc[0]
    assert row["ri"] == 1.32 and row["cr"] < 0.10  # consistent: used without override


def test_random_index_table_is_saatys_1980_table():
    assert list(RANDOM_INDEX) == list(range(1, 16))
    assert [RANDOM_INDEX[n] for n in range(1, 16)] == [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59]


def test_another_random_index_table_and_cr_limit():
    res = ahp(EX / "ahp_criteria.yaml", random_index={3: 0.52})
    assert res.consistency["ri"][0] == 0.52 and res.consistency["cr"][0] == pytest.approx(res.consistency["ci"][0] / 0.52)
    with pytest.raises(SpecError, match="CR = 0.033 > 0.03"):
        ahp(EX / "ahp_criteria.yaml", cr_limit=0.03)
    with pytest.raises(SettingsError, match="cr_limit"):
        ahp(EX / "ahp_criteria.yaml", cr_limit=2)
    with pytest.raises(SettingsError, match="random_index has invalid entries for n = 3"):
        ahp(EX / "ahp_criteria.yaml", random_index={3: 0})
    with pytest.raises(SettingsError, match="random_index must map"):
        ahp(EX / "ahp_criteria.yaml", random_index={"x": "y"})


def test_principal_weights_low_level():
    w, lam = principal_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])  # consistent: w = (4, 2, 1)/7
    np.testing.assert_allclose(w, [4 / 7, 2 / 7, 1 / 7])
    assert lam == pytest.approx(3.0)
    with pytest.raises(SettingsError, match="square"):
        principal_weights([[1, 2]])
    with pytest.raises(SettingsError, match="positive"):
        principal_weights([[1, -2], [0.5, 1]])


def test_one_and_two_criteria_are_always_consistent():
    one = ahp({"criteria": ["only"], "matrix": [[1]]})
    assert one.weights["weight"].tolist() == [1.0] and one.consistency["cr"][0] == 0
    two = ahp({"criteria": ["a", "b"], "matrix": [[1, 4], ["1/4", 1]]})
    np.testing.assert_allclose(two.weights["weight"], [0.8, 0.2])
    assert two.consistency[["lambda_max", "ci", "ri", "cr"]].iloc[0].tolist() == pytest.approx([2, 0, 0, 0])


# ====================================================================== hierarchies
HIER = {
    "name": "satisfaction",
    "criteria": ["A", "B"],
    "matrix": [[1, 2], ["1/2", 1]],  # (2/3, 1/3)
    "children": {
        "A": {"criteria": ["a1", "a2", "a3"], "matrix": [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]],  # (4, 2, 1)/7
              "children": {"a1": {"criteria": ["x", "y"], "matrix": [[1, 1], [1, 1]]}}},  # (1/2, 1/2)
        "B": {"criteria": ["b1", "b2"], "matrix": [[1, 3], ["1/3", 1]]},  # (3/4, 1/4)
    },
}


def test_hierarchy_global_weights_by_hand():
    res = ahp(HIER)
    w = res.weights
    assert list(w.columns) == ["level", "parent", "criterion", "weight", "global_weight"]
    assert list(w["criterion"]) == ["A", "a1", "x", "y", "a2", "a3", "B", "b1", "b2"]  # depth-first
    assert list(w["level"]) == [1, 2, 3, 3, 2, 2, 1, 2, 2]
    assert list(w["parent"]) == ["satisfaction", "A", "a1", "a1", "A", "A", "satisfaction", "B", "B"]
    expected = {"A": 2 / 3, "a1": 8 / 21, "x": 4 / 21, "y": 4 / 21, "a2": 4 / 21, "a3": 2 / 21, "B": 1 / 3, "b1": 1 / 4, "b2": 1 / 12}
    for c, g in expected.items():
        assert w.loc[w["criterion"] == c, "global_weight"].item() == pytest.approx(g)
    leaves = res.leaf_weights()
    assert list(leaves.index) == ["x", "y", "a2", "a3", "b1", "b2"] and leaves.sum() == pytest.approx(1.0)
    assert res.local_weights("A").to_dict() == pytest.approx({"a1": 4 / 7, "a2": 2 / 7, "a3": 1 / 7})
    assert res.local_weights().to_dict() == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    c = res.consistency
    assert list(c.columns) == ["matrix", "n", "lambda_max", "ci", "ri", "cr", "consistent"]
    assert list(c["matrix"]) == ["satisfaction", "A", "a1", "B"]
    assert c["cr"].abs().max() < 1e-9 and c["consistent"].all()
    assert set(res.matrices) == {"satisfaction", "A", "a1", "B"}
    assert res.matrices["B"].loc["b2", "b1"] == pytest.approx(1 / 3)
    with pytest.raises(SettingsError, match="no matrix 'zz'"):
        res.local_weights("zz")


def test_example_hierarchy_yaml_and_sheet_layout_agree():
    a = ahp(EX / "ahp_pharmacy.yaml")
    b = ahp(EX / "ahp_pharmacy.csv")
    pd.testing.assert_frame_equal(a.weights, b.weights)
    pd.testing.assert_frame_equal(a.consistency, b.consistency)
    assert a.name == b.name == "顾客满意度"
    assert a.leaf_weights().sum() == pytest.approx(1.0)
    top = a.weights[a.weights["level"] == 1]
    np.testing.assert_allclose(top["weight"], [0.558, 0.320, 0.122], atol=5e-4)
    assert a.consistency["consistent"].all()


def test_excel_sheet_with_decimal_judgments(tmp_path):
    frame = pd.DataFrame({"criterion": ["quality", "price", "service"], "quality": [1, 0.33, 0.2],
                          "price": [3, 1, 0.33], "service": [5, 3, 1]})
    path = tmp_path / "judgments.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="notes", index=False)
        frame.to_excel(xw, sheet_name="AHP", index=False)
    res = ahp(path, sheet="AHP")
    np.testing.assert_allclose(res.weights["weight"], [0.637, 0.258, 0.105], atol=2e-3)
    # within the tolerance the pair is made exactly reciprocal (geometric mean of a_ij and 1/a_ji)
    m = res.matrices["goal"]
    assert m.loc["quality", "price"] * m.loc["price", "quality"] == pytest.approx(1.0)
    assert m.loc["quality", "price"] == pytest.approx(np.sqrt(3 / 0.33))


def test_labelled_dataframe_and_first_column_layouts():
    crit = ["quality", "price", "service"]
    m = pd.DataFrame([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], index=crit, columns=crit)
    np.testing.assert_allclose(ahp(m).weights["weight"], [0.637, 0.258, 0.105], atol=5e-4)
    sheet = m.rename_axis("名称").reset_index()
    assert list(ahp(sheet).weights["criterion"]) == crit  # no criterion column: the first column
    sheet.insert(0, "matrix", "")
    assert list(ahp(sheet).weights["criterion"]) == crit  # … other than the matrix column


def test_reciprocal_tolerance():
    data = {"criteria": ["a", "b"], "matrix": [[1, 3], [0.3, 1]]}  # 3 × 0.3 = 0.9
    with pytest.raises(SpecError, match="not reciprocal: a vs b is 3, so b vs a must be 1/3, not 0.3"):
        ahp(data)
    res = ahp(data, reciprocal_tol=0.15)
    np.testing.assert_allclose(res.weights["weight"], [np.sqrt(10) / (1 + np.sqrt(10)), 1 / (1 + np.sqrt(10))])


def test_write_ahp_single_and_hierarchy(tmp_path):
    written = write_ahp(ahp(EX / "ahp_criteria.yaml"), tmp_path / "one")
    assert [p.name for p in written] == ["weights.csv", "consistency.csv"]
    w = pd.read_csv(tmp_path / "one" / "weights.csv", encoding="utf-8-sig")
    c = pd.read_csv(tmp_path / "one" / "consistency.csv", encoding="utf-8-sig")
    assert list(w.columns) == ["criterion", "weight"] and list(c.columns) == ["n", "lambda_max", "ci", "ri", "cr", "consistent"]
    write_ahp(ahp(EX / "ahp_pharmacy.yaml"), tmp_path / "tree")
    w = pd.read_csv(tmp_path / "tree" / "weights.csv", encoding="utf-8-sig")
    c = pd.read_csv(tmp_path / "tree" / "consistency.csv", encoding="utf-8-sig")
    assert list(w.columns) == ["level", "parent", "criterion", "weight", "global_weight"] and w["criterion"][1] == "品种齐全"
    assert list(c["matrix"]) == ["顾客满意度", "商品", "服务"]


def test_summary_and_repr():
    res = ahp(EX / "ahp_pharmacy.yaml")
    text = str(res.summary())
    assert "AHP weights" in text and "every CR ≤ 0.10" in text and "商品" in text
    assert repr(res) == "<AHPResults '顾客满意度': 3 matrices, 9 criteria>"


# ====================================================================== validation errors
def test_matrix_problems_are_all_listed_at_once():
    data = {
        "criteria": ["a", "b", "c", "a"],
        "matrix": [
            [1, 2, "x", 1],       # 'x' is not a number
            ["1/2", 2, 3],        # diagonal 2; a row of 3 entries
            [4, "1/3", 1, ""],    # an empty entry
            [1, 1, 1, 1],
            [1, 1, 1, 1],         # a fifth row
        ],
    }
    with pytest.raises(SpecError) as exc:
        ahp(data)
    assert _problems(exc) == [
        "criterion 'a' appears twice (positions 1 and 4); names must be unique",
        "the matrix of 'goal' has 5 rows but 4 criteria; it must be 4 × 4",
        "row 2 (b) has 3 entries; expected 4",
        "a vs c: 'x' is not a number or a fraction such as 1/3",
        "c vs a: empty entry",
        "diagonal entry b vs b is 2; it must be 1",
    ]
    assert list(exc.value.problems["location"])[3:] == ["<dict> matrix[0][2]", "<dict> matrix[2][3]", "<dict> matrix[1][1]"]


def test_every_non_reciprocal_pair_is_listed():
    data = {"criteria": ["a", "b", "c"], "matrix": [[1, 2, 3], [2, 1, 4], [3, "1/4", 1]]}
    with pytest.raises(SpecError) as exc:
        ahp(data)
    problems = _problems(exc)
    assert len(problems) == 2
    assert "not reciprocal: a vs b is 2, so b vs a must be 1/2, not 2" in problems[0]
    assert "not reciprocal: a vs c is 3, so c vs a must be 1/3, not 3" in problems[1]
    assert exc.value.problems["location"][0] == "<dict> matrix[1][0]"


def test_non_positive_and_non_numeric_entries():
    data = {"criteria": ["a", "b"], "matrix": [[1, 0], [-1, True]]}
    with pytest.raises(SpecError) as exc:
        ahp(data)
    problems = _problems(exc)
    assert "a vs b: 0 is not a positive number (judgments are 1/9 … 9)" in problems
    assert "b vs a: -1 is not a positive number (judgments are 1/9 … 9)" in problems
    assert "b vs b: True is not a number" in problems
    with pytest.raises(SpecError, match="'1/0' is not a number or a fraction"):
        ahp({"criteria": ["a", "b"], "matrix": [[1, "1/0"], [1, 1]]})


def test_hierarchy_structure_problems(tmp_path):
    data = {
        "name": "A",                      # also a criterion
        "criteria": ["A", "B"],
        "matrix": [[1, 1], [1, 1]],
        "colour": "red",                  # unknown key
        "children": {
            "C": {"criteria": ["x"], "matrix": [[1]]},              # not a criterion of the goal
            "A": {"criteria": ["B", "y"], "matrix": [[1, 1], [1, 1]], "weight": 2},  # B twice in the tree; unknown key
            "B": {"matrix": [[1]]},                                 # no criteria
        },
    }
    with pytest.raises(SpecError) as exc:
        ahp(data)
    problems = _problems(exc)
    expected = [
        "unknown key 'colour'",
        "'C' is not a criterion of 'A'",
        "unknown key 'weight'",
        "the matrix of 'B' has no criteria: list",
        "criterion 'B' is also a criterion of 'A'",
        "the goal's name 'A' is also a criterion",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == len(expected)


def test_more_than_fifteen_criteria_has_no_random_index():
    names = [f"c{k}" for k in range(16)]
    with pytest.raises(SpecError, match="16 criteria: the random index is tabulated for n ≤ 15 only"):
        ahp({"criteria": names, "matrix": np.ones((16, 16)).tolist()})


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("criteria: [a, b]\nmatrix:\n  - [1, 2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML") as exc:
        ahp(bad)
    assert exc.value.problems["location"][0].startswith("bad.yaml:")
    bad.write_text("criteria: [a, b]\nmatrix:\n  - [1, 2]\n  - [1/3, 1]\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        ahp(bad)
    assert exc.value.problems["location"][0] == "bad.yaml:4 matrix[1][0]"
    bad.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="expected a mapping"):
        ahp(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(SpecError, match="empty"):
        ahp(bad)
    with pytest.raises(SpecError, match="cannot be read"):
        ahp(tmp_path / "missing.yaml")
    other = tmp_path / "judgments.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown type"):
        ahp(other)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("criteria: [质量, 价格]\nmatrix: [[1, 2], [1/2, 1]]\n".encode("gbk"))
    assert list(ahp(gbk).weights["criterion"]) == ["质量", "价格"]
    with pytest.raises(SettingsError, match="needs a file path"):
        ahp(42)
    with pytest.raises(SpecError, match="criteria must be a non-empty list"):
        ahp({"criteria": [], "matrix": []})
    with pytest.raises(SpecError, match="matrix must be a list of rows"):
        ahp({"criteria": ["a"], "matrix": [1]})


def test_sheet_layout_problems():
    two_tops = pd.DataFrame({
        "matrix": ["", "", "Z", "Z"], "criterion": ["A", "B", "z1", "z2"],
        "A": [1, 1, None, None], "B": [1, 1, None, None], "z1": [None, None, 1, 1], "z2": [None, None, 1, 1],
    })
    with pytest.raises(SpecError) as exc:
        ahp(two_tops)
    assert "2 blocks could be the top matrix ('', 'Z')" in _problems(exc)[0]
    tree = pd.DataFrame({
        "matrix": ["goal", "goal", "A", "A"], "criterion": ["A", "B", "a1", "a2"],
        "A": [1, 1, None, 5],                     # 5: a judgment outside the block of A's children
        "B": [1, 1, None, None], "a1": [None, None, 1, 1], "a2": [None, None, 1, 1],
    })
    with pytest.raises(SpecError) as exc:
        ahp(tree)
    (problem,) = _problems(exc)
    assert "a judgment outside the block 'A', whose criteria are a1, a2" in problem
    assert exc.value.problems["location"][0] == "<DataFrame>, row 5, column A"
    tree.loc[3, "A"] = None
    res = ahp(tree)
    assert list(res.weights["criterion"]) == ["A", "a1", "a2", "B"] and res.name == "goal"
    with pytest.raises(SpecError, match="no column 'a2' for the judgments against 'a2'"):
        ahp(tree.drop(columns=["a2"]))
    with pytest.raises(SpecError, match="at least one row"):
        ahp(pd.DataFrame({"criterion": []}))
    with pytest.raises(SpecError, match="empty criterion name"):
        ahp(tree.assign(criterion=["A", "B", "a1", None]))


def test_sheet_block_not_attached_to_the_hierarchy():
    frame = pd.DataFrame({
        "matrix": ["", "", "zz", "zz"],
        "criterion": ["A", "B", "zz", "q"],
        "A": [1, 1, None, None], "B": [1, 1, None, None], "zz": [None, None, 1, 1], "q": [None, None, 1, 1],
    })
    with pytest.raises(SpecError) as exc:
        ahp(frame)
    assert "'zz' is not a criterion of any other block" in _problems(exc)[0]


def test_csv_read_through_read_table_reports_rows(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("criterion,a,b\na,1,2\nb,1/3,1\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        ahp(path)
    assert exc.value.problems["location"][0] == "m.csv, row 3, column a"
    (tmp_path / "m.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputFileError):
        ahp(tmp_path / "m.xlsx")


# ====================================================================== five-level satisfaction
def test_satisfaction_score_by_hand():
    answers = pd.DataFrame({
        "id": ["r1", "r2", "r3", "r4"],
        "f1": ["非常满意", "满意", "一般", "满意"],                     # 100 75 50 75 → 75
        "f2": ["very satisfied", "Very Dissatisfied", "", 5],          # 100 0 – 100 → 66.667
    })
    res = ahp_satisfaction({"f1": 3, "f2": 2}, answers, id_column="id")  # weights normalized: 0.6, 0.4
    assert res.score == pytest.approx(0.6 * 75 + 0.4 * 200 / 3)
    s = res.scores.set_index("criterion")
    assert s.loc["f1", "score"] == 75 and s.loc["f2", "score"] == pytest.approx(200 / 3)
    assert s.loc["f2", "n"] == 3 and s.loc["f1", "weight"] == pytest.approx(0.6)
    assert s["contribution"].sum() == pytest.approx(res.score)
    d = res.distribution
    assert list(d.columns) == ["factor", "level", "level_score", "count", "share"]
    assert d.loc[(d["factor"] == "f1") & (d["level"] == "satisfied"), "share"].item() == 0.5
    # the 100/80/60/40/20 convention
    alt = ahp_satisfaction({"f1": 3, "f2": 2}, answers, level_scores=(100, 80, 60, 40, 20))
    assert alt.score == pytest.approx(0.6 * 80 + 0.4 * 220 / 3)
    assert "100 / 80 / 60 / 40 / 20" in str(alt.summary())


def test_example_satisfaction_matches_an_independent_computation():
    weights = ahp(EX / "ahp_pharmacy.yaml")
    res = ahp_satisfaction(weights, csi.read_table(EX / "ahp_answers.csv"), id_column="编号")
    raw = pd.read_csv(EX / "ahp_answers.csv", dtype=str, keep_default_na=False)
    points = {"非常满意": 100, "满意": 75, "一般": 50, "不满意": 25, "非常不满意": 0}
    leaves = weights.leaf_weights()
    factor_scores = {f: raw[f].map(points).dropna().mean() for f in leaves.index}
    assert res.score == pytest.approx(sum(leaves[f] * factor_scores[f] for f in leaves.index))
    s = res.scores.set_index("criterion")
    for f, v in factor_scores.items():
        assert s.loc[f, "score"] == pytest.approx(v)
    # an inner criterion: the local-weighted mean of its children
    kids = weights.local_weights("服务")
    assert s.loc["服务", "score"] == pytest.approx(sum(kids[k] * factor_scores[k] for k in kids.index))
    assert pd.isna(s.loc["服务", "n"]) and s.loc["人员服务", "n"] == (raw["人员服务"] != "").sum()
    top = s[s["level"] == 1]
    assert (top["weight"] * top["score"]).sum() == pytest.approx(res.score)
    assert list(res.scores.columns) == ["level", "parent", "criterion", "weight", "global_weight", "n", "score", "contribution"]


def test_distribution_input_gives_the_same_score():
    weights = ahp(EX / "ahp_pharmacy.yaml")
    res = ahp_satisfaction(weights, csi.read_table(EX / "ahp_answers.csv"))
    wide = res.distribution.pivot(index="factor", columns="level", values="count").reset_index()
    wide = wide.rename(columns={"very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般",
                                "dissatisfied": "不满意", "very_dissatisfied": "非常不满意"})
    again = ahp_satisfaction(weights, distribution=wide)
    assert again.score == pytest.approx(res.score)
    bad = wide.drop(columns=["一般"]).copy()
    bad.loc[0, "满意"] = -1
    with pytest.raises(DataValidationError, match="no column for level neutral"):
        ahp_satisfaction(weights, distribution=bad)
    bad = wide.astype(object)
    bad.loc[0, "满意"] = "many"
    bad.loc[1, "factor"] = "unknown"
    with pytest.raises(DataValidationError) as exc:
        ahp_satisfaction(weights, distribution=bad)
    problems = list(exc.value.failure_cases["problem"])
    assert "not a count ≥ 0" in problems and "not a factor of the weights" in problems
    assert any(p.startswith("no row for factor") for p in problems)


def test_satisfaction_errors_list_every_cell():
    answers = pd.DataFrame({"id": ["a", "b", "c"], "f1": ["满意", "不清楚", "6"], "f3": ["", "", ""]})
    with pytest.raises(DataValidationError) as exc:
        ahp_satisfaction({"f1": 1, "f2": 1, "f3": 1}, answers, id_column="id")
    f = exc.value.failure_cases
    assert list(f["row"]) == [3, 4, ""] and list(f["respondent_id"]) == ["b", "c", ""]
    assert "no column for factor 'f2'" in f["problem"].iloc[2]
    assert list(f["value"][:2]) == ["不清楚", "6"]
    with pytest.raises(DataValidationError, match="factor 'f3' has no valid answer"):
        ahp_satisfaction({"f1": 1, "f3": 1}, answers.iloc[:1])
    with pytest.raises(SettingsError, match="either responses= .* or distribution="):
        ahp_satisfaction({"f1": 1})
    with pytest.raises(SettingsError, match="weights must be positive numbers; not so for f1: -1"):
        ahp_satisfaction({"f1": -1}, answers)
    with pytest.raises(SettingsError, match="level_scores needs five numbers"):
        ahp_satisfaction({"f1": 1}, answers.iloc[:1], level_scores=(1, 2))
    with pytest.raises(SettingsError, match="must give a score for each"):
        ahp_satisfaction({"f1": 1}, answers.iloc[:1], level_scores={"good": 1})
    with pytest.raises(SettingsError, match="labels must map answers"):
        ahp_satisfaction({"f1": 1}, answers.iloc[:1], labels={"不清楚": "maybe"})


def test_columns_mapping_and_labels():
    answers = pd.DataFrame({"Q1": ["很满意", "1 非常不满意", "5. 非常满意"], "Q2": [1, 2, 5]})
    res = ahp_satisfaction({"quality": 1, "price": 1}, answers, columns={"quality": "Q1", "price": "Q2"})
    s = res.scores.set_index("criterion")["score"]
    assert s["quality"] == pytest.approx(200 / 3) and s["price"] == pytest.approx((0 + 25 + 100) / 3)
    reversed_codes = {1: "very_satisfied", 2: "satisfied", 4: "dissatisfied", 5: "very_dissatisfied"}
    res = ahp_satisfaction({"Q2": 1}, answers, labels=reversed_codes)
    assert res.score == pytest.approx((100 + 75 + 0) / 3)


def test_answer_level_wordings():
    assert [answer_level(x) for x in ("非常满意", "比较满意", "一般", "不太满意", "很不满意")] == list(LEVELS)
    assert [answer_level(x) for x in ("Very satisfied", "satisfied", "Neutral", "dissatisfied", "very_dissatisfied")] == list(LEVELS)
    assert [answer_level(x) for x in (5, 4.0, "3", 2, 1)] == list(LEVELS)
    assert answer_level("") is None and answer_level(None) is None and answer_level(float("nan")) is None
    assert answer_level("满意。") == "satisfied" and answer_level("5 - Very satisfied") == "very_satisfied"
    with pytest.raises(ValueError):
        answer_level("不清楚")
    assert answer_level("不清楚", labels={"不清楚": "neutral"}) == "neutral"


# ====================================================================== expert weights
@pytest.fixture(scope="module")
def retail():
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")
    return model, data, csi.PLS(model).fit(data)


def test_expert_index_with_pls_weights_reproduces_the_pls_index(retail):
    model, data, fit = retail
    pls = fit.weights.set_index("item")["index_weight"]
    res = expert_index(fit, data, {c: pls[list(model.constructs[c].item_ids)].to_dict() for c in model.construct_ids})
    np.testing.assert_allclose(res.index["expert_index"], res.index["pls_index"], atol=1e-9)
    assert (res.index["weights"] == "ahp").all() and res.overall is None


def test_expert_index_by_hand(retail):
    model, data, fit = retail
    sat = ahp({"criteria": ["sat_overall", "sat_confirm", "sat_ideal"], "matrix": [[1, 2, 3], ["1/2", 1, 2], ["1/3", "1/2", 1]]})
    cw = ahp({"criteria": ["PQ", "PV", "SAT"], "matrix": [[1, 2, 1], ["1/2", 1, "1/2"], [1, 2, 1]]})  # (0.4, 0.2, 0.4)
    res = expert_index(fit, data, {"SAT": sat}, construct_weights=cw)
    items = data.items  # on 1–10 after reverse coding, as the fit used them
    w = sat.leaf_weights()
    hand = sum(w[i] * (items[i].mean() - 1) / 9 * 100 for i in w.index)
    idx = res.index.set_index("construct")
    assert idx.loc["SAT", "expert_index"] == pytest.approx(hand)
    assert idx.loc["SAT", "pls_index"] == pytest.approx(fit.index.set_index("construct").loc["SAT", "index"])
    assert idx.loc["SAT", "difference"] == pytest.approx(hand - idx.loc["SAT", "pls_index"])
    assert idx.loc["PQ", "weights"] == "pls" and idx.loc["PQ", "difference"] == 0
    overall_expert = 0.4 * idx.loc["PQ", "expert_index"] + 0.2 * idx.loc["PV", "expert_index"] + 0.4 * hand
    overall_pls = 0.4 * idx.loc["PQ", "pls_index"] + 0.2 * idx.loc["PV", "pls_index"] + 0.4 * idx.loc["SAT", "pls_index"]
    assert res.overall == pytest.approx((overall_pls, overall_expert))
    assert list(res.index.columns) == ["construct", "label", "weights", "pls_index", "expert_index", "difference"]
    assert list(res.items.columns) == ["construct", "item", "mean_100", "pls_weight", "ahp_weight"]
    assert res.items.set_index("item").loc["sat_ideal", "ahp_weight"] == pytest.approx(w["sat_ideal"])
    assert list(res.construct_weights["construct"]) == ["PQ", "PV", "SAT"]
    text = str(res.summary())
    assert "Constructs with AHP item weights  1" in text and "Overall index (PLS / expert)" in text
    assert set(res.tables()) == {"expert_index.csv", "expert_items.csv", "expert_construct_weights.csv"}


def test_expert_index_errors(retail):
    model, data, fit = retail
    with pytest.raises(SpecError) as exc:
        expert_index(fit, data, {"SAT": {"sat_overall": 1, "sat_extra": 1}, "XYZ": {"a": 1}}, construct_weights={"NOPE": 1})
    problems = list(exc.value.problems["problem"])
    assert any("no construct 'XYZ'" in p for p in problems)
    assert any("'sat_extra' is not an item of SAT" in p for p in problems)
    assert any("item 'sat_confirm' of SAT has no AHP weight" in p for p in problems)
    assert any("item 'sat_ideal' of SAT has no AHP weight" in p for p in problems)
    assert any("no construct 'NOPE'" in p for p in problems)
    assert len(problems) == 5
    with pytest.raises(SettingsError, match="must be positive numbers"):
        expert_index(fit, data, {"SAT": {"sat_overall": 0, "sat_confirm": 1, "sat_ideal": 1}})
    with pytest.raises(SettingsError, match="data has 10 respondents but the fit was estimated on"):
        expert_index(fit, data.items.iloc[:10], {})
    with pytest.raises(SettingsError, match="must be AHP results or a mapping"):
        expert_index(fit, data, {"SAT": [0.5, 0.5]})
