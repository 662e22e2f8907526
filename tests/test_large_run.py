"""A large run without extra copies of the answers (issue 15): behaviour only, no timing.

The run of a million respondents now computes the item tables one column at a time, keeps the
respondent ids as they were read (Arrow text, not a Python string per respondent), frees the
centred item matrix before building the results and runs the analysis with one BLAS thread. The
tables must be exactly those of the straightforward computation on the whole answer matrix (the
way they were computed before), the ids must keep their type and text, and nothing else changes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey import analysis as analysis_module
from csi_survey import drivers as dr
from csi_survey.engine import threads
from csi_survey.index import index_weights, respondent_indices
from csi_survey.ingest.columns import segment_labels
from csi_survey.ingest.memory import release_unused_memory
from csi_survey.ingest.prepare import SurveyData

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def example():
    """The retail example: 502 respondents used, a reverse-coded item, missing answers replaced by the item mean."""
    model = csi.load_model(EXAMPLES / "acsi_retail.yaml")
    data = csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")
    assert data.n_used == 502 and data.imputed is not None and data.imputed.any()
    assert any(model.items[i].reverse for i in model.item_ids)
    return model, data


def _weighted(data: SurveyData) -> SurveyData:
    w = np.random.default_rng(7).uniform(0.3, 2.5, data.n_used)
    return dataclasses.replace(data, weight=w / w.mean())


# ---------------------------------------------------------------- the old computations, on the whole matrix
def _item_summary_whole_matrix(data: SurveyData) -> pd.DataFrame:
    """item_summary as it was computed before issue 15: on a copy of every answer (``data.answers``)."""
    q = data.questionnaire
    answers = data.answers.to_numpy(dtype=np.float64)
    answered = np.isfinite(answers)
    n_answered = answered.sum(axis=0)
    weight = data.weight
    base = n_answered if weight is None else weight @ answered
    with np.errstate(invalid="ignore", divide="ignore"):
        if weight is None:
            mean = np.where(answered, answers, 0.0).sum(axis=0) / n_answered
        else:
            mean = (weight @ np.where(answered, answers, 0.0)) / base
    top = np.full(len(q.item_ids), np.nan)
    for j, item in enumerate(q.item_ids):
        scale = q.item_scale(item)
        if scale is None or n_answered[j] == 0:
            continue
        col = answers[:, j]
        hits = col <= scale.min + q.top_box - 1 if q.items[item].reverse else col >= scale.max - q.top_box + 1
        top[j] = (100.0 * np.count_nonzero(hits) / n_answered[j] if weight is None
                  else 100.0 * float(weight[hits].sum()) / base[j])
    return pd.DataFrame({
        "item": pd.Series(q.item_ids, dtype=str),
        "construct": pd.Series([q.construct_of[i] for i in q.item_ids], dtype=str),
        "n_answered": n_answered.astype(np.int64),
        "n_missing": (len(answers) - n_answered).astype(np.int64),
        "mean": mean,
        "top_box_share": top,
        "reverse": np.array([q.items[i].reverse for i in q.item_ids], dtype=bool),
    })


@pytest.mark.parametrize("weighted", [False, True])
def test_item_summary_is_the_whole_matrix_computation_to_the_last_digit(example, weighted):
    _, data = example
    data = _weighted(data) if weighted else data
    got = dr.item_summary(data)
    want = _item_summary_whole_matrix(data)
    assert len(got) == len(want) == len(data.questionnaire.item_ids) == 15
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["top_box_share"].notna().all() and (got["n_missing"] > 0).any()  # the top box and the missing answers were exercised


@pytest.mark.parametrize("weighted", [False, True])
def test_frequencies_are_the_value_counts_of_the_answers(example, weighted):
    _, data = example
    data = _weighted(data) if weighted else data
    got = dr.frequencies(data)
    answers = data.answers
    rows = 0
    for item, part in got.groupby("item", sort=False):
        col = answers[item]
        counts = col.dropna().value_counts()
        n_answered = int(col.notna().sum())
        given = part[part["answer"].isin(counts.index)]
        unweighted = given["n"] if weighted else given["count"]
        assert unweighted.tolist() == counts.reindex(given["answer"]).tolist()
        assert (part.loc[~part["answer"].isin(counts.index), "n" if weighted else "count"] == 0).all()
        if weighted:
            w = pd.Series(data.weight).groupby(col.to_numpy()).sum()
            np.testing.assert_allclose(given["count"], w.reindex(given["answer"]).to_numpy(), rtol=1e-12)
            np.testing.assert_allclose(given["share"], given["count"] / w.sum(), rtol=1e-12)
        else:
            assert given["share"].tolist() == (counts.reindex(given["answer"]) / n_answered).tolist()
        rows += len(part)
    assert rows == len(got) > 15 * 5
    assert list(got["item"].unique()) == list(data.questionnaire.item_ids)


def test_the_item_tables_never_copy_every_answer(example, monkeypatch):
    """``SurveyData.answers`` copies the whole n × p matrix: the run's item tables and the data check
    must not touch it (one column at a time instead)."""
    _, data = example
    want = (dr.item_summary(data), dr.frequencies(data))

    def no_copy(self):
        raise AssertionError("data.answers (a copy of every answer) was used")

    monkeypatch.setattr(SurveyData, "answers", property(no_copy))
    got = (dr.item_summary(data), dr.frequencies(data))
    for a, b in zip(got, want):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_segment_labels_of_an_item_give_its_answers_as_given(example):
    model, data = example
    item = next(i for i in model.item_ids if model.items[i].reverse)
    _, raw = segment_labels(data, item)
    expected = data.answers[item]
    assert raw.name == item and len(raw) == 502
    np.testing.assert_array_equal(raw.to_numpy(), expected.to_numpy())  # NaN where missing, original coding


def test_the_driver_scales_are_the_pandas_standard_deviations(example):
    _, data = example
    fit = csi.PLS(data.questionnaire).fit(data)
    sd = fit.scores_100.std(ddof=1)
    te = dr.total_effects_100(fit)
    want = te["total_effect"].to_numpy() * (sd.reindex(te["target"]).to_numpy() / sd.reindex(te["source"]).to_numpy())
    assert len(te) > 0
    assert te["total_effect_100"].to_numpy().tolist() == want.tolist()


def test_respondent_indices_are_the_straightforward_product(example):
    model, data = example
    XT = np.ascontiguousarray(data.items[model.item_ids].to_numpy(dtype=np.float64).T)
    # raw coefficients of the fit's shape (items × constructs, each item in its own construct's column)
    own = np.array([[model.construct_of[i] == c for c in model.construct_ids] for i in model.item_ids])
    iw = index_weights(model, np.random.default_rng(3).uniform(0.1, 1, own.shape) * own)
    got = respondent_indices(XT, iw)
    want = (iw.matrix.T @ XT + iw.offset[:, None]).T
    assert got.shape == (502, len(model.construct_ids))
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- ids
def test_text_ids_stay_arrow_text_in_the_fit_and_the_scores(example, tmp_path):
    model, data = example
    assert isinstance(data.respondent_id.dtype, pd.StringDtype)
    fit = csi.PLS(model).fit(data)
    assert isinstance(fit.respondent_id.dtype, pd.StringDtype)  # no object array of Python strings
    assert fit.respondent_id.name == "respondent_id"
    assert fit.respondent_id.tolist() == data.respondent_id.tolist()
    assert fit.respondent_id.index.equals(pd.RangeIndex(502))
    result = csi.analyze(data, csi.AnalysisSettings(resamples=0, seed=1))
    from csi_survey.report.run_report import write_run

    write_run(result, tmp_path / "run", html=False)
    scores = pd.read_csv(tmp_path / "run" / "scores.csv", dtype={"respondent_id": str}, encoding="utf-8-sig")
    assert scores["respondent_id"].tolist() == data.respondent_id.tolist()
    assert len(scores) == 502


def test_ids_without_an_id_column_are_sheet_rows_and_other_ids_keep_their_values(example):
    model, data = example
    frame = data.items.copy()
    fit = csi.PLS(model).fit(frame)  # a DataFrame: no ids, the sheet rows 2, 3, …
    assert fit.respondent_id.dtype == np.int64 and fit.respondent_id.tolist() == list(range(2, 504))
    numbers = dataclasses.replace(data, respondent_id=pd.Series(np.arange(1000, 1502), name="whatever"))
    fit = csi.PLS(model).fit(numbers)
    assert fit.respondent_id.dtype == np.int64 and fit.respondent_id.name == "respondent_id"
    assert fit.respondent_id.tolist() == list(range(1000, 1502))
    objects = dataclasses.replace(data, respondent_id=pd.Series([f"x{k}" for k in range(502)], dtype=object))
    fit = csi.PLS(model).fit(objects)
    assert fit.respondent_id.tolist() == [f"x{k}" for k in range(502)]


# ---------------------------------------------------------------- BLAS threads and memory
def test_analyze_runs_every_step_with_one_blas_thread(example, monkeypatch):
    _, data = example
    seen = []
    original = analysis_module.item_summary

    def spy(d):
        seen.append(threads.blas_threads())
        return original(d)

    monkeypatch.setattr(analysis_module, "item_summary", spy)
    before = threads.blas_threads()
    result = csi.analyze(data, csi.AnalysisSettings(resamples=0, seed=1))
    assert seen in ([1], [None])  # None only without threadpoolctl
    assert threads.blas_threads() == before  # the limit ends with the analysis
    assert len(result.tables["item_summary"]) == 15


def test_giving_memory_back_changes_no_number(example):
    model, data = example
    a = csi.PLS(model).fit(data)
    release_unused_memory()
    release_unused_memory()  # twice: nothing to give back is fine
    b = csi.PLS(model).fit(data)
    pd.testing.assert_frame_equal(a.scores_100, b.scores_100, check_exact=True)
    pd.testing.assert_frame_equal(a.index, b.index, check_exact=True)


def test_only_large_runs_give_memory_back(example, monkeypatch, tmp_path):
    """Giving memory back costs milliseconds: a large run does it before estimating and before writing,
    the many small fits of a batch do not."""
    from csi_survey.report import run_report

    _, data = example
    calls = []
    monkeypatch.setattr(analysis_module, "release_unused_memory", lambda: calls.append("analyze"))
    monkeypatch.setattr(run_report, "release_unused_memory", lambda: calls.append("write"))
    small = csi.analyze(data, csi.AnalysisSettings(resamples=0, seed=1))
    run_report.write_run(small, tmp_path / "small", html=False)
    assert calls == []  # 502 respondents
    monkeypatch.setattr(analysis_module, "RELEASE_ROWS", 500)
    monkeypatch.setattr(run_report, "RELEASE_ROWS", 500)
    large = csi.analyze(data, csi.AnalysisSettings(resamples=0, seed=1))
    run_report.write_run(large, tmp_path / "large", html=False)
    assert calls == ["analyze", "write"]
    for name in ("index", "paths", "scores", "item_summary"):
        pd.testing.assert_frame_equal(small.tables[name], large.tables[name], check_exact=True)
