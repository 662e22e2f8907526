"""Roll-ups: weighted means of members into higher levels, their standard errors, and the checks of the weights file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csi_survey.exceptions import DataValidationError, InputFileError
from csi_survey.rollup import ROLLUP_COLUMNS, load_rollup, rollup_table

WEIGHTS = """level,node,parent,weight
company,A,Mobile,300
company,B,Mobile,100
company,C,Fixed,200
company,D,Fixed,200
industry,Mobile,National,0.6
industry,Fixed,National,0.4
national,National,,
"""


def _history(rows):
    return pd.DataFrame(rows, columns=["wave", "segment", "construct", "index", "std_err", "status"])


HISTORY = _history([
    ("Q1", "company=A", "SAT", 80.0, 1.0, "estimated"),
    ("Q1", "company=B", "SAT", 60.0, 2.0, "estimated"),
    ("Q1", "company=C", "SAT", 70.0, 1.5, "estimated"),
    ("Q1", "company=D", "SAT", np.nan, np.nan, "insufficient sample (n = 20 < min_n = 50)"),
    ("Q1", "region=North", "SAT", 99.0, 1.0, "estimated"),
])


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "rollup.csv"
    path.write_text(WEIGHTS, encoding="utf-8")
    return load_rollup(path, "company", ["A", "B", "C", "D", "E"])


def test_each_level_is_the_weighted_mean_of_its_estimated_children(spec):
    out = rollup_table(spec, HISTORY, ["Q1"]).set_index("node")
    assert list(rollup_table(spec, HISTORY, ["Q1"]).columns) == ROLLUP_COLUMNS
    assert out.loc["Mobile", "index"] == pytest.approx((300 * 80 + 100 * 60) / 400, abs=1e-12)
    assert out.loc["Mobile", "std_err"] == pytest.approx(np.sqrt(0.75**2 * 1.0 + 0.25**2 * 4.0), rel=1e-12)
    assert out.loc["Fixed", "index"] == pytest.approx(70.0) and out.loc["Fixed", "members_estimated"] == 1
    assert out.loc["Fixed", "weight_estimated"] == pytest.approx(0.5)  # D (half of Fixed's weight) was not estimated
    national = 0.6 * out.loc["Mobile", "index"] + 0.4 * out.loc["Fixed", "index"]
    assert out.loc["National", "index"] == pytest.approx(national, abs=1e-12)
    se = np.sqrt(0.36 * out.loc["Mobile", "std_err"] ** 2 + 0.16 * out.loc["Fixed", "std_err"] ** 2)
    assert out.loc["National", "std_err"] == pytest.approx(se, rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert out.loc["National", "ci_upper"] == pytest.approx(national + z * se, rel=1e-12)
    assert (out.loc["National", "members"], out.loc["National", "members_estimated"]) == (4, 3)
    assert out.loc["National", "weight_estimated"] == pytest.approx(0.6 * 1.0 + 0.4 * 0.5)


def test_every_problem_of_the_weights_file_is_listed_with_its_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("level,node,parent,weight\ncompany,A,Mobile,300\ncompany,Ghost,Mobile,-5\ncompany,A,Mobile,\n"
                    "company,B,Nowhere,10\nindustry,Mobile,,\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_rollup(path, "company", ["A", "B"])
    table = caught.value.failure_cases
    problems = {(int(r["row"]), r["column"]) for r in table.to_dict("records")}
    assert {(3, "weight"), (3, "node"), (4, "node"), (4, "weight"), (5, "parent")} <= problems
    assert "bad.csv" in str(caught.value)


def test_a_missing_file_or_column_is_named(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_rollup(tmp_path / "none.csv", "company")
    path = tmp_path / "w.csv"
    path.write_text("level,node,weight\ncompany,A,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="parent"):
        load_rollup(path, "company")
