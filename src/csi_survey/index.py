"""0–100 construct indices (the ACSI index) from unstandardized, normalized outer weights.

For construct j with items i on scales [minᵢ, maxᵢ] (after reverse coding) and unstandardized
weights bᵢ (the weight of the *raw* item in the construct score: bᵢ = wᵢ / sᵢ, the
standardized outer weight divided by the item's standard deviation):

    ŵᵢ = bᵢ / Σₖ bₖ                        (normalized to sum 1)
    scoreₙ = Σᵢ ŵᵢ xₙᵢ                      (on the items' own scale)
    index = (mean(score) − min) / (max − min) × 100

With survey weights the mean is the weighted mean Σ wₙ scoreₙ / Σ w (see :func:`index_table`).

Reference: Fornell, Johnson, Anderson, Cha & Bryant (1996), "The American Customer Satisfaction
Index: Nature, Purpose, and Findings", Journal of Marketing 60(4), 7–18 (the index is the
weighted average of the items, weights from PLS, rescaled to 0–100).

When the items of one construct have different scales, every item is first rescaled to 0–100,
``x'ᵢ = (xᵢ − minᵢ)/(maxᵢ − minᵢ) × 100``, and the weights bᵢ are expressed on that scale
(``b'ᵢ = bᵢ (maxᵢ − minᵢ)/100``) before normalizing; with one common scale this is exactly the
formula above. A construct whose items have no declared scale gets no index (NaN).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .exceptions import IndexWarning
from .schema import Questionnaire
from .ingest.weights import effective_n, estimation_weight

__all__ = ["IndexWeights", "index_weights", "respondent_indices", "index_table", "weighted_mean"]


@dataclass(frozen=True)
class IndexWeights:
    """Normalized raw-item weights per construct and the linear map to 0–100 scores.

    ``score_100 = X @ matrix + offset`` for an n × p item matrix X (items in model order).
    Per-respondent scores for items without a scale are NaN.
    """

    normalized: np.ndarray  # p, ŵᵢ (NaN for constructs without scale)
    matrix: np.ndarray      # p × J
    offset: np.ndarray      # J
    has_index: np.ndarray   # J bool


@dataclass(frozen=True)
class _Layout:
    """Where each item sits and its scale, in model order (NaN scale for items without one)."""

    construct: np.ndarray   # p, construct position of each item
    member: np.ndarray      # p × J, 1 where item i belongs to construct j
    lo: np.ndarray          # p
    width: np.ndarray       # p
    has_index: np.ndarray   # J


def _layout(model: Questionnaire) -> _Layout:
    pos = {c: j for j, c in enumerate(model.construct_ids)}
    construct = np.array([pos[model.construct_of[i]] for i in model.item_ids])
    member = np.zeros((len(construct), len(pos)))
    member[np.arange(len(construct)), construct] = 1.0
    scales = [model.item_scale(i) for i in model.item_ids]
    lo = np.array([s.min if s else np.nan for s in scales])
    width = np.array([s.width if s else np.nan for s in scales])
    has_index = np.array([model.has_scale(c) for c in model.construct_ids])
    return _Layout(construct, member, lo, width, has_index)


def _block_sum(values: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per-construct sums (…, J) of item values (…, p); NaN only for constructs with a NaN item."""
    bad = ~np.isfinite(values)
    sums = np.where(bad, 0.0, values) @ member
    return np.where((bad @ member) > 0, np.nan, sums)


def normalized_weights(model: Questionnaire, raw_coef: np.ndarray) -> np.ndarray:
    """ŵ (…, p) from raw coefficients (…, p, J); works on a leading batch axis.

    ``raw_coef[..., i, j]`` is the weight of raw item i in construct j's score. NaN for constructs
    without a scale or whose weights sum to zero.
    """
    lay = _layout(model)
    coef = raw_coef[..., np.arange(len(lay.construct)), lay.construct]
    b = coef * lay.width / 100.0  # weights on items rescaled to 0–100
    totals = _block_sum(b, lay.member)
    scale = _block_sum(np.abs(b), lay.member)
    totals = np.where(np.abs(totals) > 1e-12 * scale, totals, np.nan)
    return b / totals[..., lay.construct]


def indices_from_means(model: Questionnaire, raw_coef: np.ndarray, item_means: np.ndarray) -> np.ndarray:
    """0–100 construct indices (…, J) from raw coefficients (…, p, J) and item means (…, p).

    The index is linear in the data, so it needs only the item means:
    index_j = Σᵢ ŵᵢ (meanᵢ − minᵢ)/(maxᵢ − minᵢ) · 100.
    """
    lay = _layout(model)
    w = normalized_weights(model, raw_coef)
    return _block_sum(w * (item_means - lay.lo) * 100.0 / lay.width, lay.member)


def index_weights(model: Questionnaire, raw_coef: np.ndarray) -> IndexWeights:
    """ACSI index weights from the p × J raw coefficients (column j: weights of construct j's items).

    Emits :class:`~csi_survey.exceptions.IndexWarning` when a construct's normalized weights are not
    all positive (its index may leave the 0–100 range) or when constructs have no scale.
    """
    lay = _layout(model)
    unscaled = [c for c, ok in zip(model.construct_ids, lay.has_index) if not ok]
    if unscaled:
        warnings.warn(
            f"no 0–100 index for {', '.join(unscaled)}: their items have no declared scale "
            "(add scale: {min: …, max: …} to the spec)",
            IndexWarning,
            stacklevel=4,
        )
    w = normalized_weights(model, raw_coef)
    has_index = lay.has_index & np.isfinite(_block_sum(w, lay.member))
    for j, cid in enumerate(model.construct_ids):
        items = lay.construct == j
        if lay.has_index[j] and not has_index[j]:
            warnings.warn(f"the weights of construct {cid} sum to zero: its 0–100 index is not defined", IndexWarning, stacklevel=4)
        elif has_index[j] and (w[items] < 0).any():
            neg = [i for i, k in zip(model.item_ids, items & (w < 0)) if k]
            warnings.warn(
                f"construct {cid} has negative index weights ({', '.join(neg)}): its 0–100 scores can leave "
                "the 0–100 range; check the item coding (reverse: true?)",
                IndexWarning,
                stacklevel=4,
            )
    ok_item = has_index[lay.construct]
    w = np.where(ok_item, w, np.nan)
    factor = np.where(ok_item, w * 100.0 / lay.width, 0.0)
    matrix = factor[:, None] * lay.member
    offset = np.where(has_index, -(np.where(ok_item, factor * lay.lo, 0.0) @ lay.member), np.nan)
    return IndexWeights(w, matrix, offset, has_index)


def respondent_indices(XT: np.ndarray, weights: IndexWeights) -> np.ndarray:
    """Per-respondent 0–100 construct scores (n × J) from the p × n item matrix; the index is their mean."""
    out = weights.matrix.T @ XT
    out += weights.offset[:, None]  # in place: the same sums, no second J × n array
    return out.T


def weighted_mean(values: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """Column means of an n × k array: plain (``weight`` None or all equal: bit-identical to
    ``values.mean(axis=0)``) or weighted, Σ wₙ xₙ / Σ w."""
    ew = estimation_weight(weight)
    if ew is None:
        return values.mean(axis=0)
    return (ew @ values) / ew.sum()


def index_table(model: Questionnaire, scores_100: np.ndarray, has_index: np.ndarray,
                weight: np.ndarray | None = None) -> pd.DataFrame:
    """The tidy index table: construct, label, index, n.

    With survey weights (``weight``, one per respondent) the index is the *weighted* mean of the
    respondents' 0–100 scores, ``n`` stays the number of respondents and a column
    ``n_effective`` = (Σw)²/Σw² (Kish's effective sample size) is added; unweighted tables have no
    such column.
    """
    n = scores_100.shape[0]
    means = np.where(has_index, weighted_mean(scores_100, weight) if n else np.nan, np.nan)
    table = pd.DataFrame(
        {
            "construct": model.construct_ids,
            "label": [model.label(c) for c in model.construct_ids],
            "index": means,
            "n": n,
        }
    )
    if weight is not None:
        table["n_effective"] = effective_n(weight)
    return table
