"""0–100 construct indices (the ACSI index) from unstandardized, normalized outer weights.

For construct j with items i on scales [minᵢ, maxᵢ] (after reverse coding) and unstandardized
weights bᵢ (the weight of the *raw* item in the construct score: bᵢ = wᵢ / sᵢ, the
standardized outer weight divided by the item's standard deviation):

    ŵᵢ = bᵢ / Σₖ bₖ                        (normalized to sum 1)
    scoreₙ = Σᵢ ŵᵢ xₙᵢ                      (on the items' own scale)
    index = (mean(score) − min) / (max − min) × 100

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

__all__ = ["IndexWeights", "index_weights", "respondent_indices"]


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


def index_weights(model: Questionnaire, raw_coef: np.ndarray) -> IndexWeights:
    """ACSI index weights from the p × J raw coefficients (column j: weights of construct j's items).

    Emits :class:`~csi_survey.exceptions.IndexWarning` when a construct's normalized weights are not
    all positive (its index may leave the 0–100 range) or when a construct has no scale.
    """
    items = model.item_ids
    p, J = len(items), len(model.construct_ids)
    normalized = np.full(p, np.nan)
    matrix = np.zeros((p, J))
    offset = np.zeros(J)
    has_index = np.zeros(J, dtype=bool)
    pos = {item: k for k, item in enumerate(items)}
    unscaled = [cid for cid in model.construct_ids if not model.has_scale(cid)]
    if unscaled:
        warnings.warn(
            f"no 0–100 index for {', '.join(unscaled)}: their items have no declared scale "
            "(add scale: {min: …, max: …} to the spec)",
            IndexWarning,
            stacklevel=4,
        )
    for j, (cid, c) in enumerate(model.constructs.items()):
        idx = np.array([pos[i] for i in c.item_ids])
        if cid in unscaled:
            offset[j] = np.nan
            continue
        scales = [model.item_scale(i) for i in c.item_ids]
        lo = np.array([s.min for s in scales])
        width = np.array([s.width for s in scales])
        b = raw_coef[idx, j] * width / 100.0  # weights on items rescaled to 0–100
        total = b.sum()
        if abs(total) < 1e-12 * np.abs(b).sum() or total == 0:
            warnings.warn(
                f"the weights of construct {cid} sum to zero: its 0–100 index is not defined",
                IndexWarning,
                stacklevel=4,
            )
            offset[j] = np.nan
            continue
        w = b / total
        if (w < 0).any():
            neg = [c.item_ids[k] for k in np.flatnonzero(w < 0)]
            warnings.warn(
                f"construct {cid} has negative index weights ({', '.join(neg)}): its 0–100 scores can leave "
                "the 0–100 range; check the item coding (reverse: true?)",
                IndexWarning,
                stacklevel=4,
            )
        normalized[idx] = w
        matrix[idx, j] = w * 100.0 / width
        offset[j] = -float(np.sum(w * lo * 100.0 / width))
        has_index[j] = True
    return IndexWeights(normalized, matrix, offset, has_index)


def respondent_indices(XT: np.ndarray, weights: IndexWeights) -> np.ndarray:
    """Per-respondent 0–100 construct scores (n × J) from the p × n item matrix; the index is their mean."""
    return (weights.matrix.T @ XT + weights.offset[:, None]).T


def index_table(model: Questionnaire, scores_100: np.ndarray, has_index: np.ndarray) -> pd.DataFrame:
    """The tidy index table: construct, label, index, n."""
    n = scores_100.shape[0]
    means = np.where(has_index, scores_100.mean(axis=0) if n else np.nan, np.nan)
    return pd.DataFrame(
        {
            "construct": model.construct_ids,
            "label": [model.label(c) for c in model.construct_ids],
            "index": means,
            "n": n,
        }
    )
