"""Segment comparisons that scale (issue 17): omnibus first, pairwise tests only where asked or for
few segments (one batched computation across pairs), small segments at no cost, progress, cost notes."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.analysis import AnalysisSettings, analyze
from csi_survey.engine.pls import item_matrix
from csi_survey.exceptions import SettingsError, TooFewSegmentsError
from csi_survey.omnibus import comparison_statistics
from csi_survey.segments import (
    AUTO_PAIRWISE_SEGMENTS,
    _group_estimates,
    _group_state,
    _permutation_masks,
    comparable_segments,
    constant_items,
    derived_seed,
    label_positions,
    pairwise_plan,
    segment_differences,
    take_rows,
    value_codes,
)

ROOT = Path(__file__).resolve().parents[1]


def with_other(data, **columns):
    return dataclasses.replace(data, other=data.other.assign(**columns))


def stores(data, k: int):
    """The retail data with a column ``store`` of k segments of (nearly) equal size."""
    labels = np.array([f"S{j:02d}" for j in np.arange(data.n_used) % k])
    return with_other(data, store=labels)


# ---------------------------------------------------------------------- the plan
def test_pairwise_plan_runs_for_few_segments_and_states_the_cost_otherwise():
    few = pairwise_plan("store", AUTO_PAIRWISE_SEGMENTS, 1000)
    assert few.run and few.pairs == 45 and few.refits == 90_000 and few.note is None
    many = pairwise_plan("store", 100, 1000)
    assert not many.run and many.pairs == 4950 and many.refits == 9_900_000
    assert "4,950 pairs × 1,000 permutations" in many.note and "--pairwise all" in many.note
    assert "19,800,000 refits" in many.note  # pairwise and MICOM
    forced = pairwise_plan("store", 100, 1000, "all")
    assert forced.run and forced.note.startswith("Pairwise tests and MICOM of 'store': 100 segments give 4,950 pairs")
    off = pairwise_plan("store", 3, 1000, "none")
    assert not off.run and "--pairwise none" in off.note
    assert not pairwise_plan("store", 1, 1000).run  # no pair
    with pytest.raises(SettingsError, match="pairwise must be one of"):
        pairwise_plan("store", 3, 1000, "some")
    with pytest.raises(SettingsError, match="pairwise"):
        AnalysisSettings(pairwise="some")


# ---------------------------------------------------------------------- small segments cost nothing
def test_label_positions_equal_the_masks():
    rng = np.random.default_rng(1)
    labels = rng.choice(np.array(["a", "b", "c", "(missing)"]), size=500)
    pos = label_positions(labels, ["c", "a", "b", "(missing)", "absent"])
    for label in ("a", "b", "c", "(missing)"):
        np.testing.assert_array_equal(pos[label], np.flatnonzero(labels == label))
    assert len(pos["absent"]) == 0


def test_ten_thousand_segments_of_three_are_listed_quickly(tmp_path):
    """10,000 segments of 3 respondents: every one listed as insufficient, none estimated, the
    comparison refused with a short message — in a subprocess with a generous timeout (no timing assertion)."""
    script = textwrap.dedent(f"""
        import numpy as np, dataclasses, csi_survey as csi
        from csi_survey.segments import segment_analysis, comparable_segments, take_rows
        from csi_survey.exceptions import TooFewSegmentsError
        model = csi.load_model({str(ROOT / "examples" / "acsi_retail.yaml")!r})
        data = csi.read_responses({str(ROOT / "examples" / "acsi_retail.xlsx")!r}, model, on_invalid="exclude")
        data = take_rows(data, np.arange(30_000) % data.n_used)
        data = dataclasses.replace(data, other=data.other.assign(store=[f"S{{k // 3:05d}}" for k in range(30_000)]))
        engine = csi.PLS(model)
        res = segment_analysis(engine, data, ["store"], min_n=50)
        index = res.index
        assert len(index) == 10_001 * len(model.construct_ids), len(index)
        rows = index[index["segment_column"] == "store"]
        assert rows["status"].eq("insufficient sample (n = 3 < 50)").all() and rows["n"].eq(3).all()
        assert len(res.fits) == 1  # the total only
        try:
            comparable_segments(engine, data, "store", min_n=50)
        except TooFewSegmentsError as error:
            assert "9,990 more segments" in error.message and len(error.message) < 2_000, error.message
            assert len(error.segments) == 10_000
        else:
            raise AssertionError("no error")
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


# ---------------------------------------------------------------------- the batched pairwise tests
def _observed(fit):
    return np.concatenate([fit.index["index"].to_numpy(float), fit.paths["estimate"].to_numpy(float)])


def _loop_p_values(engine, data, column, groups, permutations, seed):
    """The reference: one pair at a time, its own moment state (as before issue 17)."""
    X, _ = item_matrix(engine.model, data.items)
    fitted = [g for g in groups if g.fit is not None]
    out = {}
    for i, a in enumerate(fitted):
        for b in fitted[i + 1:]:
            both = a.mask | b.mask
            state = _group_state(engine, a.fit, X[both])
            rng = np.random.default_rng(derived_seed(seed, column, a.label, b.label))
            masks = _permutation_masks(rng, int(both.sum()), a.n, permutations)
            va, vb, ok = _group_estimates(state, masks)
            ok &= ~constant_items(np.vstack([masks, ~masks]).astype(float), value_codes(X[both])).reshape(2, -1).any(axis=0)
            d_obs = np.abs(_observed(b.fit) - _observed(a.fit))
            _, pos = comparison_statistics(a.fit)
            d = np.abs(vb[ok][:, pos] - va[ok][:, pos])
            extreme = (d >= d_obs - 1e-12 * np.maximum(1.0, d_obs)).sum(axis=0)
            out[(a.label, b.label)] = ((1.0 + extreme) / (1.0 + ok.sum()), int(ok.sum()))
    return out


def test_batched_pairwise_p_values_equal_the_pair_by_pair_loop(engine, data):
    four = stores(data, 4)
    groups = comparable_segments(engine, four, "store", min_n=50)
    table = segment_differences(engine, four, "store", permutations=60, seed=11, segments=groups)
    loop = _loop_p_values(engine, four, "store", groups, 60, 11)
    assert len(loop) == 6
    compared = 0
    for (a, b), (p, used) in loop.items():
        rows = table[(table["segment_a"] == a) & (table["segment_b"] == b)]
        np.testing.assert_allclose(rows["p_value"].to_numpy(float), p, rtol=0, atol=1e-12)
        assert table.attrs["permutations_used"][(a, b)] == used
        compared += len(rows)
    assert compared == 6 * (len(engine.model.construct_ids) + len(engine.model.paths))
    # without the precomputed segments: the same table
    pd.testing.assert_frame_equal(segment_differences(engine, four, "store", permutations=60, seed=11), table)


def test_constant_items_is_exact():
    rng = np.random.default_rng(3)
    n = 60
    X = np.column_stack([rng.integers(1, 11, n), np.where(rng.random(n) < 0.95, 1.0, 2.0), rng.normal(5, 1, n)])
    X[rng.choice(n, 5, replace=False), 0] = 6.8312  # a mean-replaced answer: not a whole number
    codes = value_codes(X)
    masks = np.zeros((400, n), dtype=bool)
    for r in range(400):
        masks[r, rng.permutation(n)[: rng.integers(1, 40)]] = True
    expected = np.array([any(np.ptp(X[m, j]) == 0 for j in range(X.shape[1])) for m in masks])
    np.testing.assert_array_equal(constant_items(masks.astype(float), codes), expected)
    assert expected.sum() > 10  # the yes/no item is constant in many small groups


# ---------------------------------------------------------------------- the run
def test_run_with_many_segments_makes_the_omnibus_test_and_states_the_skipped_pairs(data):
    many = stores(data, AUTO_PAIRWISE_SEGMENTS + 2)  # 12 segments of about 42
    settings = AnalysisSettings(segments=("store",), min_n=20, permutations=20, resamples=0, seed=3)
    stages: dict[str, list[tuple[int, int]]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(many, settings, progress=lambda stage, done, total: stages.setdefault(stage, []).append((done, total)))
    omnibus = result.tables["segment_omnibus"]
    assert len(omnibus) and (omnibus["segments"] == 12).all()
    assert result.tables["segment_differences"].empty and result.tables["micom"].empty
    notes = [n for n in result.notes if n.startswith("Pairwise tests and MICOM of 'store' skipped")]
    assert len(notes) == 1 and "12 segments give 66 pairs × 20 permutations, about 5,280 refits with MICOM" in notes[0]
    for stage in ("segments", "segment fits", "omnibus"):
        assert stages[stage][-1][0] == stages[stage][-1][1] > 0, stage
    assert "permutations" not in stages and "micom" not in stages
    assert result.meta["settings"]["pairwise"] == "auto"

    forced = analyze(many, dataclasses.replace(settings, pairwise="all"), progress=lambda stage, done, total: stages.setdefault(stage, []).append((done, total)))
    pairs = forced.tables["segment_differences"][["segment_a", "segment_b"]].drop_duplicates()
    assert len(pairs) == 66 and len(forced.tables["micom"][["segment_a", "segment_b"]].drop_duplicates()) == 66
    assert stages["permutations"][-1] == (66 * 20, 66 * 20) and stages["micom"][-1] == (66 * 20, 66 * 20)
    pd.testing.assert_frame_equal(forced.tables["segment_omnibus"], omnibus)


def test_few_segments_give_the_same_tables_as_before(data):
    """Four regions (auto: tested): the same tables whether the pairwise tests are asked for or automatic."""
    settings = AnalysisSettings(segments=("region",), permutations=30, resamples=0, seed=5)
    auto = analyze(data, settings)
    forced = analyze(data, dataclasses.replace(settings, pairwise="all"))
    off = analyze(data, dataclasses.replace(settings, pairwise="none"))
    for name in ("segment_omnibus", "segment_differences", "micom"):
        pd.testing.assert_frame_equal(auto.tables[name], forced.tables[name])
    assert len(auto.tables["segment_differences"][["segment_a", "segment_b"]].drop_duplicates()) == 6
    assert off.tables["segment_differences"].empty and off.tables["micom"].empty
    pd.testing.assert_frame_equal(off.tables["segment_omnibus"], auto.tables["segment_omnibus"])
    assert any("--pairwise none" in n for n in off.notes)
    assert not any(n.startswith("Pairwise tests") for n in auto.notes)  # small: nothing to say


def test_too_few_segments_is_still_a_note(data):
    one = with_other(data, store=np.array(["only"] * data.n_used))
    result = analyze(one, AnalysisSettings(segments=("store",), permutations=10, resamples=0, seed=1))
    assert any(n.startswith("Segments of 'store' not compared") for n in result.notes)
    with pytest.raises(TooFewSegmentsError):
        comparable_segments(csi.PLS(data.questionnaire), one, "store")


def test_take_rows_of_a_segment_equals_its_mask(data):
    pos = label_positions(data.other["region"].astype(str).to_numpy(), ["East"])["East"]
    sub = take_rows(data, pos)
    assert sub.n_used == 118 and (sub.other["region"] == "East").all()


def test_the_cost_is_stated_before_the_run_starts(tmp_path):
    """``work_plan`` (printed by ``run`` above the progress bars) says, before any estimation, which
    pairwise tests a run will skip and what they would cost; the run's notes carry the same sentence."""
    import pandas as pd

    import csi_survey as csi
    from csi_survey.analysis import AnalysisSettings, work_plan

    mobi = pd.read_csv(Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mobi.csv")
    frame = pd.concat([mobi] * 2, ignore_index=True)
    frame["store"] = [f"S{k % 12:02d}" for k in range(len(frame))]  # 12 stores of about 41 respondents
    data = csi.prepare(frame, csi.template("ecsi"))
    plan = work_plan(data, AnalysisSettings(segments=("store",), min_n=30, permutations=200, resamples=0))
    assert len(plan) == 1 and plan[0].startswith("Pairwise tests and MICOM of 'store' skipped: 12 segments give 66 pairs")
    assert work_plan(data, AnalysisSettings(segments=("store",), min_n=30, pairwise="all", resamples=0)) == []
    assert work_plan(data, AnalysisSettings(segments=("store",), min_n=50, resamples=0)) == []  # no store reaches 50
    assert work_plan(data, AnalysisSettings(segments=("nowhere",), resamples=0)) == []  # analyze names the column
