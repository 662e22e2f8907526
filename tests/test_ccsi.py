"""The GB/T 19038 / CCSI template (``csi-survey template ccsi``): six constructs, 11 paths, fits.

The paths are those of the Chinese Customer Satisfaction Index (GB/T 19038-2009《顾客满意测评模型和
方法指南》, Tsinghua CCSI): 6 structural variables in 11 causal relations, 品牌形象/预期质量/感知质量/
感知价值 the causes of 顾客满意度 and 顾客忠诚 its result (see the comment of templates/ccsi.yaml).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import csi_survey as csi
from csi_survey.config import TEMPLATES, template_yaml

CONSTRUCTS = {"IMG": "品牌形象", "EXP": "预期质量", "PQ": "感知质量", "PV": "感知价值", "SAT": "顾客满意度", "LOY": "顾客忠诚"}
PATHS = {("IMG", "EXP"), ("IMG", "PQ"), ("IMG", "PV"), ("IMG", "SAT"), ("EXP", "PQ"), ("EXP", "PV"), ("EXP", "SAT"),
         ("PQ", "PV"), ("PQ", "SAT"), ("PV", "SAT"), ("SAT", "LOY")}


def simulate(model: csi.Questionnaire, n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Answers 1–10 generated from the CCSI structure (standardized paths 0.4, loadings ~0.85)."""
    rng = np.random.default_rng(seed)
    order = ["IMG", "EXP", "PQ", "PV", "SAT", "LOY"]
    eta: dict[str, np.ndarray] = {}
    for c in order:
        parents = [s for s, t in PATHS if t == c]
        x = sum((0.4 * eta[p] for p in parents), np.zeros(n))
        x = x + rng.normal(size=n)
        eta[c] = (x - x.mean()) / x.std()
    cols = {}
    for c in order:
        for item in model.constructs[c].item_ids:
            y = 0.85 * eta[c] + 0.5 * rng.normal(size=n)
            cols[item] = np.clip(np.round(6.5 + 1.6 * y), 1, 10)
    return pd.DataFrame(cols)


def test_ccsi_template_is_registered_and_loads():
    assert "ccsi" in TEMPLATES
    assert "GB/T 19038" in template_yaml("ccsi")
    model = csi.template("ccsi")
    assert model.index == "SAT"
    assert {c: model.label(c) for c in model.construct_ids} == CONSTRUCTS
    assert len(model.construct_ids) == 6
    got = set(model.structural_paths)
    assert got == PATHS and len(got) == 11
    assert "COMP" not in model.construct_ids  # no complaints construct in the CCSI


def test_ccsi_fits_on_simulated_data():
    model = csi.template("ccsi")
    fit = csi.PLS(model).fit(simulate(model))
    paths = fit.paths
    assert len(paths) == 11
    est = {(r.source, r.target): r.estimate for r in paths.itertuples()}
    assert set(est) == PATHS
    assert est[("SAT", "LOY")] > 0.2 and est[("IMG", "EXP")] > 0.2
    r2 = fit.r2.set_index("construct")["r2"]
    assert 0.2 < r2["SAT"] < 0.95
    index = fit.index.set_index("construct")["index"]
    assert set(index.index) == set(CONSTRUCTS)
    assert ((index > 0) & (index < 100)).all()
