"""Expert (AHP) weights in place of the PLS weights of the 0–100 index, compared with the PLS indices.

**Expert weights** (:func:`expert_index`): AHP weights replace the PLS weights of the 0–100 index.
For a construct j with items i on scales [minᵢ, maxᵢ]::

    expert_index_j = Σᵢ vᵢ · (x̄ᵢ − minᵢ) / (maxᵢ − minᵢ) · 100       vᵢ = AHP item weights (Σ = 1)

the ACSI formula (:mod:`csi_survey.index`) with the AHP weights in place of the normalized PLS
weights, on the same respondents and (survey-weighted) item means as the fit. With AHP construct
weights ``W_c`` an overall index is ``Σ_c W_c · index_c``, reported for both sets of indices.

Reference: Fornell, C. et al. (1996), "The American Customer Satisfaction Index: nature, purpose,
and findings", *Journal of Marketing* 60(4), 7–18.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.pls import item_matrix
from ..exceptions import SettingsError, SpecError
from ..index import weighted_mean
from ..results import Summary
from .ahp import AHPResults, normalize_weights

__all__ = ["ExpertIndex", "expert_index"]


@dataclass(frozen=True)
class ExpertIndex:
    """0–100 indices with AHP ("expert") weights beside the PLS ones (:func:`expert_index`).

    Attributes
    ----------
    index:
        ``construct, label, weights, pls_index, expert_index, difference`` (difference = expert −
        PLS). ``weights`` is ``ahp`` for constructs given AHP item weights, ``pls`` for the
        others (their expert index is the PLS index). With construct weights a last row
        ``construct = overall`` holds ``Σ_c W_c · index_c`` for both columns.
    items:
        ``construct, item, mean_100, pls_weight, ahp_weight`` — each item's mean on 0–100 and its
        two normalized weights.
    construct_weights:
        ``construct, weight`` (the AHP construct weights) or None.
    """

    index: pd.DataFrame
    items: pd.DataFrame
    construct_weights: pd.DataFrame | None

    @property
    def overall(self) -> tuple[float, float] | None:
        """(PLS-based, expert) overall index, or None without construct weights."""
        row = self.index.loc[self.index["construct"] == "overall"]
        if row.empty:
            return None
        return float(row["pls_index"].iloc[0]), float(row["expert_index"].iloc[0])

    def summary(self) -> Summary:
        constructs = self.index.loc[self.index["construct"] != "overall"]
        info: dict[str, Any] = {"Constructs with AHP item weights": int((constructs["weights"] == "ahp").sum())}
        if self.overall is not None:
            info["Overall index (PLS / expert)"] = f"{self.overall[0]:.1f} / {self.overall[1]:.1f}"
        return Summary(title="Expert (AHP) weights vs PLS weights", info=info,
                       tables={"Indices (0–100)": self.index, "Items": self.items})

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"expert_index.csv": self.index, "expert_items.csv": self.items}
        if self.construct_weights is not None:
            out["expert_construct_weights.csv"] = self.construct_weights
        return out


def _weights_of(value: Any, what: str) -> pd.Series:
    if isinstance(value, AHPResults):
        return value.leaf_weights()
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if not isinstance(value, Mapping) or not value:
        raise SettingsError(f"{what} must be AHP results or a mapping name → weight; got {type(value).__name__}",
                            hint="pass ahp(...) or e.g. {'q1': 0.5, 'q2': 0.5}.")
    return normalize_weights(value, what)


def expert_index(
    fit: Any,
    data: Any,
    item_weights: Mapping[str, AHPResults | Mapping[str, float]] | None = None,
    construct_weights: AHPResults | Mapping[str, float] | None = None,
) -> ExpertIndex:
    """Replace the PLS weights of the 0–100 indices by AHP ("expert") weights and compare.

    Parameters
    ----------
    fit:
        A fit (:class:`~csi_survey.results.ModelResults`, e.g. ``csi_survey.PLS(model).fit(data)``).
    data:
        The data the fit was estimated on (:class:`~csi_survey.ingest.SurveyData` or DataFrame):
        the item means come from it, survey-weighted with the fit's weights if it has any.
    item_weights:
        construct → AHP results (their leaf weights) or a mapping item → weight, covering exactly
        the construct's items. Constructs left out keep their PLS weights.
    construct_weights:
        AHP results or a mapping construct → weight, for the overall index (optional).

    Raises
    ------
    SpecError
        Unknown constructs, items that do not match the construct's items (every mismatch
        listed), constructs without a 0–100 scale.
    SettingsError
        Weights that are not positive numbers, or data of another length than the fit.

    >>> import csi_survey as csi                                           # doctest: +SKIP
    >>> expert_index(fit, data, {"SAT": {"sat_overall": .5, "sat_confirm": .3, "sat_ideal": .2}})  # doctest: +SKIP
    """
    model = fit.model
    X, _ = item_matrix(model, data)
    if X.shape[0] != fit.n:
        raise SettingsError(f"data has {X.shape[0]} respondents but the fit was estimated on {fit.n}",
                            hint="pass the same data that was given to fit().")
    item_weights = dict(item_weights or {})
    problems: list[dict] = []
    parsed: dict[str, pd.Series] = {}
    for c, value in item_weights.items():
        c = str(c)
        if c not in model.constructs:
            problems.append({"location": f"item_weights[{c!r}]", "problem": f"no construct {c!r} in the model ({', '.join(model.construct_ids)})"})
            continue
        wts = _weights_of(value, f"item_weights[{c!r}]")
        items = list(model.constructs[c].item_ids)
        extra = [i for i in wts.index if i not in items]
        missing = [i for i in items if i not in wts.index]
        for i in extra:
            problems.append({"location": f"item_weights[{c!r}]", "problem": f"{i!r} is not an item of {c} ({', '.join(items)})"})
        for i in missing:
            problems.append({"location": f"item_weights[{c!r}]", "problem": f"item {i!r} of {c} has no AHP weight"})
        if not model.has_scale(c):
            problems.append({"location": f"item_weights[{c!r}]", "problem": f"construct {c} has no scale, so no 0–100 index"})
        parsed[c] = wts.reindex(items)
    cw = None
    if construct_weights is not None:
        cw = _weights_of(construct_weights, "construct_weights")
        for c in cw.index:
            if c not in model.constructs:
                problems.append({"location": "construct_weights", "problem": f"no construct {c!r} in the model ({', '.join(model.construct_ids)})"})
            elif not model.has_scale(c):
                problems.append({"location": "construct_weights", "problem": f"construct {c} has no scale, so no 0–100 index"})
    if problems:
        raise SpecError("The expert weights do not match the model", problems,
                        hint="give each construct's AHP weights for exactly its items (the item ids of the spec).")

    means = weighted_mean(X, fit.weight)
    item_rows = []
    pls_weight = dict(zip(fit.weights["item"], fit.weights["index_weight"]))
    for k, i in enumerate(model.item_ids):
        scale = model.item_scale(i)
        m100 = (means[k] - scale.min) / scale.width * 100.0 if scale else np.nan
        c = model.construct_of[i]
        item_rows.append({"construct": c, "item": i, "mean_100": m100, "pls_weight": pls_weight.get(i, np.nan),
                          "ahp_weight": float(parsed[c][i]) if c in parsed else np.nan})
    items = pd.DataFrame(item_rows)
    index = fit.index[["construct", "label", "index"]].rename(columns={"index": "pls_index"}).copy()
    expert = []
    for c, pls in zip(index["construct"], index["pls_index"]):
        if c in parsed:
            sub = items.loc[items["construct"] == c]
            expert.append(float((sub["ahp_weight"] * sub["mean_100"]).sum()))
        else:
            expert.append(float(pls))
    index.insert(2, "weights", ["ahp" if c in parsed else "pls" for c in index["construct"]])
    index["expert_index"] = expert
    index["difference"] = index["expert_index"] - index["pls_index"]
    cw_table = None
    if cw is not None:
        by = index.set_index("construct")
        pls_overall = float(sum(cw[c] * by.at[c, "pls_index"] for c in cw.index))
        exp_overall = float(sum(cw[c] * by.at[c, "expert_index"] for c in cw.index))
        index = pd.concat([index, pd.DataFrame([{
            "construct": "overall", "label": "Overall (AHP construct weights)", "weights": "ahp",
            "pls_index": pls_overall, "expert_index": exp_overall, "difference": exp_overall - pls_overall,
        }])], ignore_index=True)
        cw_table = pd.DataFrame({"construct": list(cw.index), "weight": cw.to_numpy()})
    return ExpertIndex(index=index, items=items, construct_weights=cw_table)
