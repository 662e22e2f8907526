"""Out-of-sample prediction for PLS path models: PLSpredict and CVPAT.

PLSpredict (Shmueli, Ray, Velasquez Estrada & Chatla 2016; Shmueli et al. 2019)
-------------------------------------------------------------------------------
The respondents are split into k folds (``folds=k``, repeated ``repetitions`` times with fresh
random fold assignments) or left out one at a time (``folds=None``: leave-one-out, LOOCV,
deterministic). For each fold f the model is re-estimated on the training rows (every other
fold) with the engine's settings, and the endogenous items of the held-out rows are predicted:

1. training moments: means ``μ_f`` and standard deviations ``σ_f`` (divisor N_f − 1) of the
   items, and their correlation matrix ``C_f``; PLS on ``C_f`` gives outer weights ``W_f``
   (unit-variance scores), loadings ``λ_f`` and path coefficients ``B_f`` (``B[i, j]`` = i → j) —
   composite PLS, as seminr and cSEM's PLSpredict (a spec with reflective constructs, which the
   engine would correct with PLSc, is refused);
2. the test row is standardized with the *training* moments, ``z = (x − μ_f)/σ_f``, and its
   construct scores are ``s = z W_f`` (scores of every construct, from the test row's own items);
3. construct prediction. *Direct antecedents* (``technique="direct"``, DA, Danks 2021; seminr's
   ``predict_DA``): ``ŝ = s B_f`` — each endogenous construct from the scores of its direct
   predecessors (which for an endogenous predecessor come from that construct's own items).
   *Earliest antecedents* (``technique="earliest"``, EA, Shmueli et al. 2016; seminr's
   ``predict_EA``, cSEM's default): only the scores of exogenous constructs (no incoming path)
   are kept, ``s_exo``, and propagated through the structural model, ``ŝ = s_exo (I − B_f)⁻¹``;
4. item prediction: ``x̂_k = μ_f,k + σ_f,k · λ_f,k · ŝ_c(k)`` for every item k of an endogenous
   construct c(k) (the exogenous items are the predictors, not predicted).

Benchmarks, fitted on the same training rows:

* LM (seminr's convention): each endogenous item is regressed by OLS **with intercept** on *all
  other indicators of the model* except the items of its own construct (this includes indicators
  of downstream constructs). OLS with intercept is affine invariant, so it is computed on the
  training correlations: ``β = C_PP⁻¹ C_Pk``, ``x̂_k = μ_k + σ_k Σ_P β_P (x_P − μ_P)/σ_P``.
  (cSEM's ``.benchmark = "lm"`` differs — no intercept, raw indicators of the exogenous
  constructs only; Shmueli et al. 2019 describe the exogenous-indicator regression.)
* the training mean ``ȳ_f`` (the naive benchmark behind Q²predict).

Metrics per endogenous item over all out-of-sample predictions (n per repetition, pooled over the
repetitions): ``RMSE = √(mean e²)``, ``MAE = mean |e|`` with ``e = y − ŷ``, and

    Q²predict = 1 − Σ e² / Σ (yᵢ − ȳ_f(i))²,

``ȳ_f(i)`` the mean of the training rows of the fold that held i out (SmartPLS; for LOOCV
``ȳ_(−i)``). cSEM's ``Q2_predict`` uses mean-centred residuals instead,
``1 − Σ (e − ē)² / Σ (e_mb − ē_mb)²`` with ``e_mb = y − ȳ_f`` — it ignores a systematic bias of
the predictions; on mobi (LOOCV) the two differ by up to 7.5e-6. We follow the SSE definition
(Shmueli et al. 2019 and SmartPLS: the PLS errors against those of the training-sample mean,
bias included); ``PredictResults.naive_errors`` holds ``e_mb`` for either version.

Repetitions: the RMSE/MAE/Q² pool the r × n out-of-sample errors (so RMSE² is the mean of the
per-repetition MSEs). seminr instead averages each respondent's r predictions before computing
errors (a bagged prediction, not the error of a model estimated once), and cSEM averages the
per-repetition metrics. With one repetition or LOOCV all three agree. ``predictions`` reports
each respondent's mean prediction over the repetitions.

Predictive power per endogenous construct (Shmueli et al. 2019): compare the PLS and LM
RMSE of its items — PLS lower for *all* items: **high**; for the majority (or half): **medium**;
for a minority: **low**; for none: **none** (no predictive power). Items with Q²predict ≤ 0
(PLS no better than the training mean) are flagged. Shmueli et al. recommend MAE instead of
RMSE when the prediction errors are highly asymmetric: :meth:`PredictResults.power`.

CVPAT (Liengaard, Sharma, Hult, Jensen, Sarstedt, Hair & Ringle 2021)
---------------------------------------------------------------------
Two models predict the same endogenous items over the *same* folds. The loss of respondent i is
the average squared prediction error over the endogenous items,
``Lᵢ = (1/q) Σ_k e²ᵢₖ``, with errors on the training-standardized scale ``eᵢₖ/σ_f,k`` by default
(as the authors' ``cvpat`` R package, ``rescale_pred_errors = FALSE``; ``standardized=False``
uses raw errors as cSEM's ``testCVPAT``). With r repetitions each respondent's loss is averaged
over the repetitions (the original test uses a single k-fold split). With
``Dᵢ = L_a,i − L_b,i``, ``D̄ = mean(D)`` and ``s_D`` its sd (n − 1):

    T = D̄ / (s_D / √n),   df = n − 1,

two-sided p = 2·P(t_df > |T|); ``alternative="less"``: H1 model a has the lower loss,
p = P(t_df < T) (``"greater"`` the reverse) — the paired t-test (scipy ``ttest_rel``). When every
Dᵢ is exactly 0 (identical predictions) we report T = 0, p = 1. Per endogenous construct the
same test runs on the losses of its items only (p values not adjusted for multiplicity).
``Overall`` losses weight every item equally (Liengaard et al.; cSEM), not every construct
(seminrExtras). Benchmarks for one model (``engine_b="lm"`` or ``"ia"``, Sharma et al. 2023):
*IA* predicts the training mean; *LM* regresses each endogenous item (OLS with intercept) on the
indicators of its construct's direct antecedents (technique ``"direct"``, as the ``cvpat``
package) or of all exogenous constructs (``"earliest"``). The bootstrap variants of Sharma et
al. (2023) are not implemented.

Computation: each fold's training moments follow from the full-sample moments by removing the
test rows (a rank-one downdate per row: ``Σ_train xxᵀ = Σ_all xxᵀ − Σ_test xxᵀ``), and the PLS
algorithm runs on all folds' correlation matrices at once
(:func:`~csi_survey.engine.pls.pls_core_batch`); predictions are batched matrix products over
folds. LOOCV on 250 respondents is one batch of 250 PLS estimations.

References: Shmueli, Ray, Velasquez Estrada & Chatla (2016), *The elephant in the room:
Predictive performance of PLS models*, J. Business Research 69(10), 4552–4564; Shmueli, Sarstedt,
Hair, Cheah, Ting, Vaithilingam & Ringle (2019), *Predictive model assessment in PLS-SEM:
guidelines for using PLSpredict*, European J. Marketing 53(11), 2322–2347; Danks (2021), *The
piggy in the middle: the role of mediators in PLS-SEM-based prediction*, The DATA BASE for
Advances in Information Systems 52(SI); Liengaard et al. (2021), *Prediction: coveted, yet
forsaken? Introducing a cross-validated predictive ability test in partial least squares path
modeling*, Decision Sciences 52(2), 362–392; Sharma, Liengaard, Hair, Sarstedt & Ringle (2023),
*Predictive model assessment and selection in composite-based modeling using PLS-SEM*, European
J. Marketing 57(6), 1662–1677. R equivalents: ``seminr::predict_pls()``, ``cSEM::predict()``,
``cSEM::testCVPAT()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .engine.pls import OK, PLS, item_matrix, pls_core_batch
from .exceptions import EstimationError, SettingsError, check_choice, check_count, check_seed
from .ingest.weights import estimation_weight
from .results import Summary

__all__ = ["plspredict", "cvpat", "PredictResults", "CVPATResults", "predictive_power", "TECHNIQUES",
           "ALTERNATIVES", "BENCHMARKS", "POWER_LEVELS"]

TECHNIQUES = ("direct", "earliest")
ALTERNATIVES = ("two-sided", "less", "greater")
#: Single-model CVPAT benchmarks: linear model, indicator (training) averages.
BENCHMARKS = ("lm", "ia")
#: Predictive power levels of Shmueli et al. (2019), strongest first.
POWER_LEVELS = ("high", "medium", "low", "none")
#: Held-out rows per batch (bounds the memory of the batched predictions).
ROW_BLOCK = 100_000
#: Training folds per batch of PLS estimations (bounds the memory of the stacked p × p matrices).
FOLD_BLOCK = 2_000

_TECHNIQUE_TEXT = {"direct": "direct antecedents (DA)", "earliest": "earliest antecedents (EA)"}


# ====================================================================== results
@dataclass(frozen=True, eq=False)
class PredictResults:
    """PLSpredict results: out-of-sample prediction errors of PLS and the LM benchmark.

    Tables
    ------
    items
        One row per endogenous item: ``construct, item, pls_rmse, pls_mae, lm_rmse, lm_mae,
        q2_predict, lm_q2_predict`` (Q²predict of the PLS and LM predictions against the
        training-fold mean, SSE definition; see the module docstring).
    verdict
        One row per endogenous construct: ``construct, items, pls_better`` (items whose PLS RMSE
        is below the LM's), ``q2_positive`` (items with Q²predict > 0), ``predictive_power``
        (high / medium / low / none, Shmueli et al. 2019) and ``verdict`` (a sentence).
    predictions
        Respondents × endogenous items: each respondent's out-of-sample PLS prediction (the mean
        over the repetitions); indexed by respondent id when the data have one.

    Arrays (repetitions × respondents × endogenous items, columns in ``items`` order): ``actual``
    (n × q), ``pls_errors`` and ``lm_errors`` (y − ŷ), ``naive_errors`` (y − training-fold mean).
    ``fold_of`` (repetitions × n) is the fold that held each respondent out (0 … k − 1; for
    leave-one-out the respondent's own position). ``folds`` is None for leave-one-out.
    """

    items: pd.DataFrame
    verdict: pd.DataFrame
    predictions: pd.DataFrame
    technique: str
    folds: int | None
    repetitions: int
    seed: int | None
    n: int
    settings: Mapping[str, Any]
    model_name: str
    actual: np.ndarray
    pls_errors: np.ndarray
    lm_errors: np.ndarray
    naive_errors: np.ndarray
    fold_of: np.ndarray

    @property
    def loocv(self) -> bool:
        """True for leave-one-out cross-validation."""
        return self.folds is None

    @property
    def design(self) -> str:
        """The cross-validation design in words."""
        if self.folds is None:
            return f"leave-one-out ({self.n} training samples of {self.n - 1})"
        return f"{self.folds}-fold × {self.repetitions} repetition{'s' if self.repetitions != 1 else ''}, seed {self.seed}"

    def power(self, metric: str = "rmse") -> pd.DataFrame:
        """The predictive-power table judged on ``metric`` ("rmse", the default, or "mae")."""
        check_choice("metric", metric, ("rmse", "mae"))
        return _verdict_table(self.items, metric)

    def summary(self) -> Summary:
        info = {
            "Model": self.model_name,
            "Respondents": self.n,
            "Cross-validation": self.design,
            "Prediction": _TECHNIQUE_TEXT[self.technique],
            "Benchmark": "LM: OLS with intercept on every other indicator of the model (seminr)",
            "Q²predict": "1 − SSE / Σ(y − training mean)²",
        }
        return Summary(
            title="PLSpredict: out-of-sample prediction of the endogenous items",
            info=info,
            tables={"Items": self.items, "Predictive power (RMSE, Shmueli et al. 2019)": self.verdict},
        )

    def __repr__(self) -> str:
        power = ", ".join(f"{c} {p}" for c, p in zip(self.verdict["construct"], self.verdict["predictive_power"]))
        return f"<PredictResults {self.design}, {self.technique}: {power}>"


@dataclass(frozen=True, eq=False)
class CVPATResults:
    """CVPAT results: average losses of two predictions of the same endogenous items and the paired t-test.

    ``table`` has one row for all endogenous items (``construct = "overall"``) and one per endogenous
    construct: ``construct, items, loss_a, loss_b, difference`` (= loss_a − loss_b; negative: model a
    predicts better), ``t_value, df, p_value``. ``losses`` holds the per-respondent overall losses
    (columns ``loss_a, loss_b, difference``).
    """

    table: pd.DataFrame
    losses: pd.DataFrame
    model_a: str
    model_b: str
    technique: str
    folds: int | None
    repetitions: int
    seed: int | None
    n: int
    alternative: str
    standardized: bool

    @property
    def overall(self) -> pd.Series:
        """The ``overall`` row of :attr:`table`."""
        return self.table.iloc[0]

    def conclusion(self, alpha: float = 0.05) -> str:
        """One sentence on the overall test at level ``alpha``."""
        row = self.overall
        better = self.model_a if row["difference"] < 0 else self.model_b
        if not (row["p_value"] < alpha):
            return (f"No significant difference in out-of-sample loss between {self.model_a} and {self.model_b} "
                    f"(p = {row['p_value']:.3g}).")
        return f"{better} predicts the endogenous items better (p = {row['p_value']:.3g}, {self.alternative})."

    def summary(self) -> Summary:
        design = ("leave-one-out" if self.folds is None else
                  f"{self.folds}-fold × {self.repetitions} repetition{'s' if self.repetitions != 1 else ''}, seed {self.seed}")
        info = {
            "Model a": self.model_a,
            "Model b": self.model_b,
            "Respondents": self.n,
            "Cross-validation": design,
            "Prediction": _TECHNIQUE_TEXT[self.technique],
            "Loss": "mean squared prediction error of the endogenous items"
                    + (" (standardized with the training sd)" if self.standardized else " (raw scale)"),
            "Test": f"paired t-test on the per-respondent loss differences, {self.alternative}",
            "Conclusion": self.conclusion(),
        }
        return Summary(title="CVPAT: cross-validated predictive ability test", info=info, tables={"Losses": self.table})

    def __repr__(self) -> str:
        row = self.overall
        return (f"<CVPATResults {self.model_a} vs {self.model_b}: loss {row['loss_a']:.4f} vs {row['loss_b']:.4f}, "
                f"p = {row['p_value']:.3g}>")


# ====================================================================== public functions
def plspredict(
    engine: PLS,
    data: Any,
    *,
    folds: int | str | None = 10,
    repetitions: int = 10,
    technique: str = "direct",
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PredictResults:
    """PLSpredict: cross-validated out-of-sample predictions of the endogenous items, with the LM benchmark.

    Parameters
    ----------
    engine:
        A :class:`~csi_survey.PLS` engine (its model and settings are re-estimated on every training
        fold; items must be standardized, ``scaled=True``, as in seminr and cSEM).
    data:
        SurveyData or DataFrame with the model's items (unweighted).
    folds:
        Number of folds k (2 ≤ k ≤ n; 10 as SmartPLS), or None / ``"loo"`` for leave-one-out.
    repetitions:
        How often the k-fold split is redrawn (10 as SmartPLS; ignored for leave-one-out).
    technique:
        ``"direct"`` (direct antecedents, seminr's default) or ``"earliest"`` (earliest antecedents).
    seed:
        Seed of the fold assignments (None: a fresh one, recorded in the results).
    progress:
        Called as ``progress(done, total)`` after each batch of training folds.

    Returns
    -------
    PredictResults
    """
    check_choice("technique", technique, TECHNIQUES)
    setup = _setup(engine, data, "engine")
    n = setup.X.shape[0]
    k = _check_folds(folds, n)
    repetitions = 1 if k is None else check_count("repetitions", repetitions)
    seed = None if k is None else check_seed(seed)
    assign = _assignments(n, k, repetitions, seed)
    lm_sets = _lm_all_other(setup)
    cv = _cross_validate(setup, assign, technique, lm_sets, progress, 0, None)

    model = engine.model
    y = setup.X[:, setup.endo_items]
    pls_e = y[None] - cv.pls
    lm_e = y[None] - cv.lm
    naive_e = y[None] - cv.mean
    items = pd.DataFrame({
        "construct": [model.construct_ids[c] for c in setup.item_construct[setup.endo_items]],
        "item": [model.item_ids[i] for i in setup.endo_items],
        "pls_rmse": _rmse(pls_e), "pls_mae": _mae(pls_e),
        "lm_rmse": _rmse(lm_e), "lm_mae": _mae(lm_e),
        "q2_predict": _q2(pls_e, naive_e), "lm_q2_predict": _q2(lm_e, naive_e),
    })
    predictions = pd.DataFrame(cv.pls.mean(axis=0), columns=list(items["item"]))
    if setup.ids is not None and len(setup.ids) == n:
        predictions.index = pd.Index(np.asarray(setup.ids), name=getattr(setup.ids, "name", None) or "respondent_id")
    return PredictResults(
        items=items, verdict=_verdict_table(items, "rmse"), predictions=predictions, technique=technique, folds=k,
        repetitions=repetitions, seed=seed, n=n, settings=dict(engine.settings), model_name=_model_name(engine),
        actual=y, pls_errors=pls_e, lm_errors=lm_e, naive_errors=naive_e, fold_of=assign,
    )


def cvpat(
    engine_a: PLS,
    engine_b: PLS | str,
    data: Any,
    *,
    folds: int | str | None = 10,
    repetitions: int = 10,
    seed: int | None = None,
    technique: str = "direct",
    alternative: str = "two-sided",
    standardized: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CVPATResults:
    """CVPAT: do two models (or a model and a benchmark) differ in out-of-sample predictive loss?

    Parameters
    ----------
    engine_a, engine_b:
        Two :class:`~csi_survey.PLS` engines whose models have the same endogenous items (the
        exogenous part and the paths may differ), or ``engine_b="lm"`` / ``"ia"`` to compare model a
        with the linear-model or indicator-average benchmark (see the module docstring).
    data:
        SurveyData or DataFrame with the items of both models (unweighted).
    folds, repetitions, seed, technique, progress:
        As :func:`plspredict`; both models are cross-validated on the same fold assignments.
    alternative:
        ``"two-sided"`` (default), ``"less"`` (H1: model a has the lower loss) or ``"greater"``.
    standardized:
        Losses from errors divided by the training sd (True, the CVPAT authors' default) or raw errors.

    Returns
    -------
    CVPATResults
    """
    check_choice("technique", technique, TECHNIQUES)
    check_choice("alternative", alternative, ALTERNATIVES)
    benchmark = engine_b if isinstance(engine_b, str) else None
    if benchmark is not None:
        check_choice("engine_b", benchmark, BENCHMARKS)
    setup_a = _setup(engine_a, data, "engine_a")
    setup_b = None if benchmark is not None else _setup(engine_b, data, "engine_b")
    n = setup_a.X.shape[0]
    items_a = [engine_a.model.item_ids[i] for i in setup_a.endo_items]
    if setup_b is not None:
        items_b = [engine_b.model.item_ids[i] for i in setup_b.endo_items]
        if set(items_a) != set(items_b):
            only_a = sorted(set(items_a) - set(items_b))
            only_b = sorted(set(items_b) - set(items_a))
            raise SettingsError(
                "CVPAT compares models that predict the same endogenous items; "
                + "; ".join(s for s in (f"only model a predicts {', '.join(only_a)}" if only_a else "",
                                        f"only model b predicts {', '.join(only_b)}" if only_b else "") if s),
                hint="keep the endogenous constructs and their items identical; only the exogenous part and the paths may differ.",
            )
    k = _check_folds(folds, n)
    repetitions = 1 if k is None else check_count("repetitions", repetitions)
    seed = None if k is None else check_seed(seed)
    assign = _assignments(n, k, repetitions, seed)
    G = assign.shape[0] * (n if k is None else k)
    total = 2 * G if setup_b is not None else G

    lm_sets = _lm_antecedents(setup_a, technique) if benchmark == "lm" else None
    cv_a = _cross_validate(setup_a, assign, technique, lm_sets, progress, 0, total)
    y = setup_a.X[:, setup_a.endo_items]
    err_a = (y[None] - cv_a.pls)
    if benchmark == "lm":
        err_b = y[None] - cv_a.lm
    elif benchmark == "ia":
        err_b = y[None] - cv_a.mean
    else:
        cv_b = _cross_validate(setup_b, assign, technique, None, progress, G, total)
        order = [items_b.index(i) for i in items_a]
        err_b = setup_b.X[:, setup_b.endo_items][None] - cv_b.pls
        err_b = err_b[:, :, order]
    if standardized:
        err_a = err_a / cv_a.sd
        err_b = err_b / cv_a.sd
    sq_a = (err_a ** 2).mean(axis=0)  # n × q: squared errors averaged over the repetitions
    sq_b = (err_b ** 2).mean(axis=0)

    model_a = engine_a.model
    groups: list[tuple[str, np.ndarray]] = [("overall", np.arange(len(items_a)))]
    constructs_b = None if setup_b is None else _item_sets(engine_b.model)
    for c in dict.fromkeys(model_a.construct_of[i] for i in items_a):
        cols = np.array([j for j, i in enumerate(items_a) if model_a.construct_of[i] == c])
        if constructs_b is None or frozenset(items_a[j] for j in cols) in constructs_b:
            groups.append((c, cols))
    rows = []
    for name, cols in groups:
        la, lb = sq_a[:, cols].mean(axis=1), sq_b[:, cols].mean(axis=1)
        t, p = _paired_t(la - lb, alternative)
        rows.append({"construct": name, "items": len(cols), "loss_a": la.mean(), "loss_b": lb.mean(),
                     "difference": la.mean() - lb.mean(), "t_value": t, "df": n - 1, "p_value": p})
    la, lb = sq_a.mean(axis=1), sq_b.mean(axis=1)
    losses = pd.DataFrame({"loss_a": la, "loss_b": lb, "difference": la - lb})
    name_a = _model_name(engine_a)
    if benchmark == "lm":
        name_b = "LM benchmark"
    elif benchmark == "ia":
        name_b = "indicator averages"
    else:
        name_b = _model_name(engine_b)
        if name_b == name_a:
            name_a, name_b = f"{name_a} (a)", f"{name_b} (b)"
    return CVPATResults(
        table=pd.DataFrame(rows), losses=losses, model_a=name_a, model_b=name_b, technique=technique, folds=k,
        repetitions=repetitions, seed=seed, n=n, alternative=alternative, standardized=bool(standardized),
    )


def predictive_power(better: int, total: int) -> str:
    """Shmueli et al. (2019): PLS beats the LM benchmark on all items → ``"high"``, on the majority (or
    half) → ``"medium"``, on a minority → ``"low"``, on none → ``"none"``.

    >>> predictive_power(2, 3), predictive_power(1, 2), predictive_power(1, 3)
    ('medium', 'medium', 'low')
    """
    if total <= 0 or not 0 <= better <= total:
        raise SettingsError(f"predictive_power needs 0 ≤ better ≤ total and total ≥ 1; got better={better}, total={total}")
    if better == total:
        return "high"
    if better == 0:
        return "none"
    return "medium" if 2 * better >= total else "low"


# ====================================================================== set-up
@dataclass(frozen=True)
class _Setup:
    engine: PLS
    X: np.ndarray               # n × p items in model order
    ids: Any
    item_construct: np.ndarray  # p: construct position of each item
    endo_items: np.ndarray      # positions of the items of endogenous constructs (model order)
    exo_mask: np.ndarray        # J: 1 for constructs without an incoming path


def _setup(engine: Any, data: Any, name: str) -> _Setup:
    if not isinstance(engine, PLS):
        raise SettingsError(f"{name} must be a csi_survey.PLS engine; got {type(engine).__name__}",
                            hint="pass csi_survey.PLS(model) (with the settings to re-estimate on every training fold).")
    if not engine.scaled:
        raise SettingsError(f"{name} has scaled=False; out-of-sample prediction works on standardized items",
                            hint="use csi_survey.PLS(model) with the default scaled=True (as seminr and cSEM).")
    model = engine.model
    if not model.endogenous:
        raise SettingsError(
            f"the model {model.name!r} has no endogenous construct (no path), so there is nothing to predict",
            hint="add the structural paths (e.g. paths: [[PQ, SAT], …]) to the spec.",
        )
    if estimation_weight(getattr(data, "weight", None) if not isinstance(data, pd.DataFrame) else None) is not None:
        raise SettingsError(
            "out-of-sample prediction does not use survey weights, and these data are weighted",
            hint="pass the unweighted responses (e.g. the DataFrame of items) to predict with equal weights.",
        )
    reflective = list(getattr(model, "reflective_ids", []) or [])
    if reflective:
        raise SettingsError(
            f"out-of-sample prediction uses PLS composites, but the model declares reflective construct(s) "
            f"{', '.join(reflective)}, which the engine corrects with consistent PLS (PLSc)",
            hint="predict with the composite model (measurement: composite in the spec, the default); "
                 "PLSc-based prediction is not implemented.",
        )
    X, ids = item_matrix(model, data)
    pos = {c: j for j, c in enumerate(model.construct_ids)}
    item_construct = np.array([pos[model.construct_of[i]] for i in model.item_ids], dtype=int)
    endo = {pos[c] for c in model.endogenous}
    endo_items = np.array([k for k, c in enumerate(item_construct) if c in endo], dtype=int)
    exo_mask = (model.adjacency.sum(axis=0) == 0).astype(float)
    return _Setup(engine, X, ids, item_construct, endo_items, exo_mask)


def _model_name(engine: PLS) -> str:
    return str(getattr(engine.model, "name", "") or "model")


def _item_sets(model: Any) -> set[frozenset[str]]:
    return {frozenset(model.constructs[c].item_ids) for c in model.endogenous}


def _check_folds(folds: Any, n: int) -> int | None:
    """The number of folds, or None for leave-one-out; a SettingsError naming the value otherwise."""
    if folds is None or (isinstance(folds, str) and folds.lower() in ("loo", "loocv")):
        return None
    if isinstance(folds, (bool, np.bool_)) or not isinstance(folds, (int, np.integer)):
        raise SettingsError(f"folds must be a whole number of folds or None (leave-one-out); got {folds!r}",
                            hint="use folds=10 (the usual choice) or folds=None for leave-one-out cross-validation.")
    if folds < 2:
        raise SettingsError(f"folds must be at least 2; got folds={folds}",
                            hint="use folds=10 (the usual choice) or folds=None for leave-one-out cross-validation.")
    if folds > n:
        raise SettingsError(f"folds={folds} is more than the {n} respondents (each fold needs at least one)",
                            hint=f"use at most {n} folds, or folds=None for leave-one-out cross-validation.")
    return int(folds)


def _assignments(n: int, k: int | None, repetitions: int, seed: int | None) -> np.ndarray:
    """Fold of every respondent in every repetition (repetitions × n). Repetition r shuffles the
    respondents with its own stream ``SeedSequence(seed).spawn(repetitions)[r]`` and cuts them into k
    folds whose sizes differ by at most one (as seminr's ``cut(seq(n), breaks = k)``)."""
    if k is None:
        return np.arange(n)[None, :]
    cut = np.arange(n) * k // n
    out = np.empty((repetitions, n), dtype=int)
    for r, stream in enumerate(np.random.SeedSequence(seed).spawn(repetitions)):
        out[r, np.random.default_rng(stream).permutation(n)] = cut
    return out


def _lm_all_other(setup: _Setup) -> dict[int, np.ndarray]:
    """seminr's LM predictors: for each endogenous construct, every item of the model not in it."""
    out = {}
    for c in dict.fromkeys(setup.item_construct[setup.endo_items]):
        out[int(c)] = np.flatnonzero(setup.item_construct != c)
    return out


def _lm_antecedents(setup: _Setup, technique: str) -> dict[int, np.ndarray]:
    """CVPAT's LM predictors: items of the direct antecedents (DA) or of the exogenous constructs (EA)."""
    adj = setup.engine.model.adjacency
    out = {}
    for c in dict.fromkeys(setup.item_construct[setup.endo_items]):
        sources = np.flatnonzero(adj[:, c]) if technique == "direct" else np.flatnonzero(setup.exo_mask)
        out[int(c)] = np.flatnonzero(np.isin(setup.item_construct, sources))
    return out


# ====================================================================== batched cross-validation
@dataclass(frozen=True)
class _CV:
    pls: np.ndarray    # r × n × q out-of-sample PLS predictions of the endogenous items
    lm: np.ndarray | None
    mean: np.ndarray   # r × n × q training-fold means
    sd: np.ndarray     # r × n × q training-fold sds (n − 1)


def _cross_validate(setup: _Setup, assign: np.ndarray, technique: str, lm_sets: dict[int, np.ndarray] | None,
                    progress: Callable[[int, int], None] | None, offset: int, total: int | None) -> _CV:
    """Estimate the model on every training fold (in batches) and predict the held-out rows."""
    eng = setup.engine
    model = eng.model
    X = setup.X
    n, p = X.shape
    reps = assign.shape[0]
    k = int(assign.max()) + 1
    G = reps * k
    total = G if total is None else total

    m = X.mean(axis=0)
    Xc = X - m
    S1_all = Xc.sum(axis=0)
    S2_all = Xc.T @ Xc
    # held-out rows of each training fold g = rep·k + fold, padded to the largest fold (sizes differ by ≤ 1)
    g_all = (np.arange(reps)[:, None] * k + assign).ravel()
    order = np.argsort(g_all, kind="stable")
    gs = g_all[order]
    counts = np.bincount(gs, minlength=G)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    L = int(counts.max())
    held = np.full((G, L), -1)
    held[gs, np.arange(reps * n) - starts[gs]] = order  # flat index rep·n + respondent

    endo = setup.endo_items
    endo_c = setup.item_construct[endo]
    q = len(endo)
    out_pls = np.full((reps * n, q), np.nan)
    out_lm = np.full((reps * n, q), np.nan) if lm_sets else None
    out_mean = np.full((reps * n, q), np.nan)
    out_sd = np.full((reps * n, q), np.nan)
    modes = [c.mode for c in model.constructs.values()]
    eye_j = np.eye(len(model.construct_ids))
    failures: dict[int, str] = {}

    step = max(1, min(FOLD_BLOCK, ROW_BLOCK // L))
    for g0 in range(0, G, step):
        g1 = min(G, g0 + step)
        idx = held[g0:g1]
        valid = idx >= 0
        Xt = np.where(valid[..., None], Xc[np.where(valid, idx % n, 0)], 0.0)  # Gc × L × p, centred at the full means
        N = (n - counts[g0:g1]).astype(float)
        mean_c = (S1_all - Xt.sum(axis=1)) / N[:, None]
        S2 = S2_all - Xt.transpose(0, 2, 1) @ Xt
        cov = (S2 - N[:, None, None] * mean_c[:, :, None] * mean_c[:, None, :]) / (N - 1)[:, None, None]
        sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0, None))
        mu = m + mean_c
        flat = (sd <= 1e-12 * np.maximum(1.0, np.abs(mu))).any(axis=1)
        safe = np.where(sd > 0, sd, 1.0)
        C = cov / (safe[:, :, None] * safe[:, None, :])
        C[flat] = np.eye(p)
        core = pls_core_batch(C, eng.blocks, modes, model.adjacency, eng.scheme, eng.tol, eng.max_iter,
                              model.construct_ids, model.item_ids)
        for b in np.flatnonzero(flat):
            failures.setdefault(g0 + int(b), "an item has the same answer for every training respondent")
        for b in np.flatnonzero(core.status != OK):
            failures.setdefault(g0 + int(b), core.problems.get(int(b), f"did not converge in {eng.max_iter} iterations"))

        Z = (Xt - mean_c[:, None, :]) / safe[:, None, :]  # held-out rows standardized with the training moments
        scores = Z @ core.weights                          # Gc × L × J
        if technique == "direct":
            fitted = scores @ np.nan_to_num(core.paths)
        else:
            fitted = (scores * setup.exo_mask) @ (core.total_effects + eye_j)
        lam = core.cross_loadings[:, endo, endo_c]          # Gc × q: each item's loading on its construct
        mu_e, sd_e = mu[:, endo], safe[:, endo]
        pred = mu_e[:, None, :] + sd_e[:, None, :] * lam[:, None, :] * fitted[:, :, endo_c]
        rows = idx[valid]
        out_pls[rows] = pred[valid]
        out_mean[rows] = np.broadcast_to(mu_e[:, None, :], pred.shape)[valid]
        out_sd[rows] = np.broadcast_to(sd_e[:, None, :], pred.shape)[valid]
        if lm_sets:
            for c, P in lm_sets.items():
                cols = np.flatnonzero(endo_c == c)
                beta = _solve_lm(C[:, P[:, None], P[None, :]], C[:, P[:, None], endo[cols][None, :]],
                                 model.construct_ids[c], flat, g0, failures)
                zhat = Z[:, :, P] @ beta                   # Gc × L × |items of c|
                lm_pred = mu_e[:, None, cols] + sd_e[:, None, cols] * zhat
                out_lm[rows[:, None], cols[None, :]] = lm_pred[valid]
        if progress is not None:
            progress(offset + g1, total)

    if failures:
        _raise_failures(failures, k, n, G)
    shape = (reps, n, q)
    return _CV(out_pls.reshape(shape), None if out_lm is None else out_lm.reshape(shape), out_mean.reshape(shape),
               out_sd.reshape(shape))


def _solve_lm(A: np.ndarray, B: np.ndarray, construct: str, flat: np.ndarray, g0: int, failures: dict[int, str]) -> np.ndarray:
    """OLS coefficients of every training fold (batched); singular folds are recorded as failures."""
    A = A.copy()
    A[flat] = np.eye(A.shape[1])
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        ok = np.linalg.cond(A) < 1e13
        for b in np.flatnonzero(~ok):
            failures.setdefault(g0 + int(b), f"the LM benchmark's predictors of {construct} are perfectly collinear")
        A[~ok] = np.eye(A.shape[1])
        return np.linalg.solve(A, B)


def _raise_failures(failures: dict[int, str], k: int, n: int, G: int) -> None:
    loo = k == n and G == n
    def where(g: int) -> str:
        return f"leaving out respondent {g + 1}" if loo else f"fold {g % k + 1} of repetition {g // k + 1}"
    shown = "; ".join(f"{where(g)}: {msg}" for g, msg in sorted(failures.items())[:5])
    more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    raise EstimationError(
        f"the model could not be estimated on {len(failures)} of {G} training samples — {shown}{more}",
        hint="raise max_iter of the engine, use fewer folds (larger training samples), or remove near-constant items.",
    )


# ====================================================================== metrics and tests
def _rmse(e: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(e ** 2, axis=(0, 1)))


def _mae(e: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(e), axis=(0, 1))


def _q2(e: np.ndarray, naive: np.ndarray) -> np.ndarray:
    return 1.0 - np.sum(e ** 2, axis=(0, 1)) / np.sum(naive ** 2, axis=(0, 1))


def _verdict_table(items: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = []
    for construct, block in items.groupby("construct", sort=False):
        better = int((block[f"pls_{metric}"] < block[f"lm_{metric}"]).sum())
        total = len(block)
        q2_bad = list(block.loc[~(block["q2_predict"] > 0), "item"])
        power = predictive_power(better, total)
        text = f"{power}: PLS {metric.upper()} below LM for {better} of {total} item{'s' if total != 1 else ''}"
        if q2_bad:
            text += f"; Q²predict ≤ 0 (no better than the training mean) for {', '.join(q2_bad)}"
        rows.append({"construct": construct, "items": total, "pls_better": better, "q2_positive": total - len(q2_bad),
                     "predictive_power": power, "verdict": text})
    return pd.DataFrame(rows)


def _paired_t(d: np.ndarray, alternative: str) -> tuple[float, float]:
    """t statistic and p value of the paired t-test of mean(d) = 0 (df = n − 1)."""
    n = len(d)
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else float("nan")
    if not np.any(d != 0):
        return 0.0, 1.0
    if sd == 0:
        t = np.inf if mean > 0 else -np.inf
    else:
        t = mean / (sd / np.sqrt(n))
    df = n - 1
    if alternative == "two-sided":
        p = 2 * sps.t.sf(abs(t), df)
    elif alternative == "less":
        p = sps.t.cdf(t, df)
    else:
        p = sps.t.sf(t, df)
    return float(t), float(min(1.0, p))
