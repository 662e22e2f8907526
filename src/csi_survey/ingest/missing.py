"""Missing answers: which respondents stay, and how their missing answers are filled.

Used by :func:`csi_survey.ingest.prepare.prepare` (steps 7 and 8 of its module docs).

Methods (``missing=``, CLI ``--missing``)
-----------------------------------------
``"mean"`` (default)
    Every missing answer of a kept respondent is replaced by its item's mean over the used
    respondents (mean replacement, Hair et al. 2017, ch. 2). This is what seminr
    (``estimate_pls(missing = mean_replacement)``) and SmartPLS ("mean replacement") do, and it
    applies to **single-item constructs too**: a respondent whose only answer in a single-item
    construct is missing keeps it as the item mean. Checked against seminr 2.3.4 on corp_rep
    (all 344 respondents, ``reference/corp_rep_simple_seminr_r.csv``, max deviation < 1e-6).

    One deliberate difference from the peers: a respondent who answered *none* of the items of a
    construct with two or more items is excluded ("no valid answer for construct …"), where
    seminr and SmartPLS would give that respondent the sample-mean score. A whole unanswered
    block is section non-response (the respondent broke off or was routed past the section), not
    item non-response; a score made only of item means would be counted as a real answer in the
    index and the paths. A single unanswered single-item question is ordinary item
    non-response and is replaced, as the peers do. On data where no respondent skips a whole
    multi-item block (corp_rep, mobi) the result equals seminr's.
``"mean-strict"``
    The stricter rule (the default before issue 17): a respondent without any answer for *some* construct
    (single-item constructs included) is excluded; the other missing answers are replaced by the
    item mean. Use it when a single-item construct (e.g. overall satisfaction) must have been
    answered for the respondent to count.
``"model"``
    Iterative (chained-regression) imputation, see :func:`impute_model`; constructs count as for
    ``"mean"``.
``"listwise"``
    Every respondent with a missing answer is excluded (the reason names the items); respondents
    without any answer for a construct get that reason instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..exceptions import SettingsError
from ..schema import Questionnaire

__all__ = ["MISSING_METHODS", "MEAN_METHODS", "constructs_without_answer", "impute_model"]

#: Allowed values of ``missing``.
MISSING_METHODS = ("mean", "mean-strict", "listwise", "model")
#: The methods that replace missing answers by the item mean.
MEAN_METHODS = ("mean", "mean-strict")
#: Methods under which a respondent without an answer for a *single-item* construct is excluded.
_STRICT = ("mean-strict", "listwise")
#: Rounds of chained regressions of ``missing="model"``.
MODEL_MAX_ITER = 10


def constructs_without_answer(values: np.ndarray, questionnaire: Questionnaire, item_ids: Sequence[str],
                              method: str) -> np.ndarray:
    """Boolean ``(n, J)``: respondent r has no answer for construct j **and** that excludes it under
    ``method`` (constructs in ``questionnaire.construct_ids`` order; ``values``: ``(n, p)`` answers,
    NaN = missing, columns in ``item_ids`` order).

    Multi-item constructs count under every method; single-item constructs only under
    ``"mean-strict"`` and ``"listwise"`` (with ``"mean"`` and ``"model"`` their missing answer is
    replaced, as seminr and SmartPLS do). Vectorised: one pass per construct over a boolean matrix.
    """
    answered = ~np.isnan(values)
    col = {i: k for k, i in enumerate(item_ids)}
    cols = []
    for cid in questionnaire.construct_ids:
        js = [col[i] for i in questionnaire.constructs[cid].item_ids]
        if len(js) == 1 and method not in _STRICT:
            cols.append(np.zeros(answered.shape[0], dtype=bool))
        else:
            cols.append(~answered[:, js].any(axis=1))
    if not cols:
        return np.zeros((answered.shape[0], 0), dtype=bool)
    return np.column_stack(cols)


def impute_model(items: np.ndarray, scales: list) -> np.ndarray:
    """IterativeImputer (Bayesian ridge, chained, at most :data:`MODEL_MAX_ITER` rounds,
    ``random_state=0``), reproducible, clipped to each item's scale (``scales``: per column an
    object with ``min``/``max`` or None)."""
    try:  # lazy: scikit-learn is heavy and needed only for missing='model'
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables the import below)
        from sklearn.impute import IterativeImputer
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise SettingsError(
            f"missing='model' needs scikit-learn, which cannot be imported ({exc})",
            hint="install it (pip install scikit-learn) or use missing='mean'.",
        ) from None
    lo = np.array([s.min if s is not None else -np.inf for s in scales], dtype=np.float64)
    hi = np.array([s.max if s is not None else np.inf for s in scales], dtype=np.float64)
    imputer = IterativeImputer(
        max_iter=MODEL_MAX_ITER, random_state=0, min_value=lo, max_value=hi, skip_complete=True
    )  # skip_complete: items without a missing answer are never the regression's target
    with warnings.catch_warnings():
        # "early stopping criterion not reached": the imputations of the last round are used
        warnings.simplefilter("ignore", ConvergenceWarning)
        filled = imputer.fit_transform(items)
    return np.clip(filled, lo, hi)
