"""The 0–100 ACSI index: formula checked by hand and across the two codings of the mobi data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.engine import PLS


def test_index_formula_by_hand(mobi):
    """index = (mean(Σ ŵᵢ xᵢ) − min)/(max − min)·100 with ŵ = (wᵢ/sᵢ)/Σ(wₖ/sₖ) (Fornell et al. 1996)."""
    fit = PLS(csi.template("ecsi")).fit(mobi)
    for construct in ["SAT", "PQ", "LOY"]:
        w = fit.weights[fit.weights["construct"] == construct]
        items = w["item"].tolist()
        raw = w["weight"].to_numpy() / mobi[items].std(ddof=1).to_numpy()
        norm = raw / raw.sum()
        np.testing.assert_allclose(w["index_weight"].to_numpy(), norm, atol=1e-12)
        score = mobi[items].to_numpy() @ norm
        expected = (score.mean() - 1) / (10 - 1) * 100
        got = fit.index.set_index("construct").loc[construct, "index"]
        assert got == pytest.approx(expected, abs=1e-10)
        np.testing.assert_allclose(fit.scores_100[construct], (score - 1) / 9 * 100, atol=1e-10)
    assert fit.headline == pytest.approx(fit.index.set_index("construct").loc["SAT", "index"])
    assert set(fit.index.columns) == {"construct", "label", "index", "n"}
    assert (fit.index["n"] == 250).all()


MOBILE_NAMES = {"IMAG": "ima", "CUEX": "exp", "PERQ": "qua", "PERV": "val", "CUSA": "sat", "CUSL": "loy"}


def test_index_is_the_same_on_the_0_100_recoding_of_mobi(mobi, mobile_0_100):
    """plspm's `mobile` is round((mobi − 1)·100/9, 2): the indices must agree up to that rounding."""
    spec = csi.template("ecsi").model_dump()
    spec["scale"] = {"min": 0, "max": 100}
    for c in spec["constructs"].values():
        c["items"] = [
            {"id": "comp" if i["id"] == "CUSCO" else MOBILE_NAMES[i["id"][:4]] + i["id"][4:]} for i in c["items"]
        ]
    fit_0_100 = PLS(csi.Questionnaire.from_dict(spec)).fit(mobile_0_100)
    fit_1_10 = PLS(csi.template("ecsi")).fit(mobi)
    np.testing.assert_allclose(fit_0_100.index["index"], fit_1_10.index["index"], atol=2e-3)
    np.testing.assert_allclose(fit_0_100.paths["estimate"], fit_1_10.paths["estimate"], atol=1e-4)


def test_items_on_different_scales_are_rescaled_first(mobi):
    """An item recorded on 0–1 (x' = (x−1)/9) instead of 1–10 must not change the index."""
    spec = csi.template("ecsi").model_dump()
    spec["constructs"]["SAT"]["items"][1] = {"id": "CUSA2", "scale": {"min": 0, "max": 1}}
    fit = PLS(csi.Questionnaire.from_dict(spec)).fit(mobi.assign(CUSA2=(mobi["CUSA2"] - 1) / 9))
    ref = PLS(csi.template("ecsi")).fit(mobi)
    np.testing.assert_allclose(fit.index["index"], ref.index["index"], atol=1e-10)
    np.testing.assert_allclose(fit.scores_100, ref.scores_100, atol=1e-10)


def test_constructs_without_scale_get_no_index_and_one_warning(satisfaction):
    model = csi.Questionnaire.build(
        constructs=[csi.construct("SAT", ["sat1", "sat2", "sat3"], scale=(0, 10)), csi.construct("LOY", ["loy1", "loy2", "loy3"])],
        paths=csi.paths("SAT", "LOY"),
    )
    with pytest.warns(csi.IndexWarning, match=r"no 0–100 index for LOY") as record:
        fit = PLS(model).fit(satisfaction)
    assert len(record) == 1
    idx = fit.index.set_index("construct")["index"]
    assert np.isnan(idx["LOY"]) and 0 < idx["SAT"] < 100
    assert fit.scores_100["LOY"].isna().all()


def test_negative_index_weight_warns(mobi):
    data = mobi.assign(CUSA3=11 - mobi["CUSA3"])  # a reverse-worded item that was not declared reverse
    with pytest.warns(csi.IndexWarning, match=r"SAT has negative index weights \(CUSA3\)"):
        PLS(csi.template("ecsi")).fit(data)
