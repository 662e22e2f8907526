"""The checks a run makes before estimating, in one public function: :func:`preflight`.

``csi-survey run`` calls it on the prepared data before the estimation starts, and
``csi-survey validate`` calls the same function, so that validate exits non-zero exactly when run
would refuse the data before estimating, with the same message. Reading and preparing the data
(:func:`~csi_survey.ingest.prepare.read_responses`: columns, answer values, missing codes, quality
rules, survey weights and design) come first in both commands; then, in this order:

1. **columns** named on the command line: every ``--segment`` column and the ``--wave`` column
   must be a column of the export (or an item); a missing one is named with its role ("wave column
   'waev' is not in …") and the closest column names;
2. **sample size**: the engines need at least 3 respondents (n − 1 divides every variance, and a
   path needs residual degrees of freedom);
3. **survey weights** (weighted data): positive and finite, one per respondent
   (:func:`~csi_survey.ingest.weights.check_weight_array`); extreme weights are refused earlier,
   when the weights column is read (:func:`~csi_survey.ingest.weights.apply_weights`);
4. **items**: numbers without missing values (:func:`~csi_survey.engine.pls.item_matrix`);
5. **zero-variance items**: an item answered the same by every respondent (weighted: with a
   weighted variance of zero) carries no information (:func:`~csi_survey.engine.pls.item_moments`,
   the step-1 moments of the PLS algorithm);
6. **construct blocks** (PLS engine, models without higher-order constructs or interactions, whose
   engines build their own blocks): the start of the PLS algorithm on the item correlations —
   a construct score of zero variance, and the items of a formative (mode-B) construct that are
   perfectly collinear (their correlation matrix cannot be inverted, so the regression weights of
   step 4 do not exist). This runs the engine's own start
   (:func:`~csi_survey.engine.pls.pls_core_batch` with no iteration), so its verdict is the
   engine's.

Each check raises the exception the engine raises at that point, with the same message and hint:
:class:`~csi_survey.exceptions.InputFileError` (1),
:class:`~csi_survey.exceptions.EstimationError` (2, 4),
:class:`~csi_survey.exceptions.SettingsError` (3),
:class:`~csi_survey.exceptions.SingularMatrixError` (5, 6). Problems that only the estimation
itself can show (an iteration that does not converge, collinear construct scores in a path
regression, an inadmissible PLSc solution) are not preflight checks: validate does not estimate.

Cost: one pass over the items (the correlation matrix), as the first step of a fit; the start of
the algorithm works on the p × p correlations only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import EstimationError, SettingsError, SingularMatrixError, check_choice
from .engine.pls import SINGULAR, item_matrix, item_moments, pls_core_batch
from .engine.threads import single_threaded_blas
from .ingest.columns import resolve_column
from .ingest.weights import check_weight_array, effective_n

__all__ = ["Preflight", "preflight", "PREFLIGHT_COLUMNS", "MIN_RESPONDENTS"]

#: Columns of :attr:`Preflight.checks`.
PREFLIGHT_COLUMNS = ("check", "status", "detail")
#: The fewest respondents an engine estimates from.
MIN_RESPONDENTS = 3


@dataclass(frozen=True)
class Preflight:
    """What :func:`preflight` checked: one row per check (``check``, ``status`` "passed" or
    "skipped", ``detail``), the respondents, items and (weighted data) Kish's effective sample size."""

    checks: pd.DataFrame
    n_respondents: int
    n_items: int
    effective_n: float | None = None

    @property
    def ok(self) -> bool:
        """Always True: a failing check raises."""
        return True

    def summary(self) -> str:
        """One line per check, e.g. ``"Check passed: sample size (250 respondents)"``."""
        return "\n".join(
            f"Check {r.status}: {r.check} ({r.detail})" if r.detail else f"Check {r.status}: {r.check}"
            for r in self.checks.itertuples(index=False)
        )


def preflight(data: Any, *, engine: str = "pls", segments: tuple[str, ...] | list[str] = (),
              wave: str | None = None) -> Preflight:
    """Run every check that ``csi-survey run`` makes before estimating (module docstring) on the
    prepared survey data (:class:`~csi_survey.ingest.prepare.SurveyData`).

    ``engine``: ``"pls"`` (default) or ``"cbsem"`` (the construct-block check is PLS's);
    ``segments`` / ``wave``: the columns a run analyses by. Raises at the first failing check, the
    exception and message the estimation would raise; returns a :class:`Preflight` otherwise.
    """
    check_choice("engine", engine, ["pls", "cbsem"])
    model = getattr(data, "questionnaire", None)
    if model is None or not isinstance(getattr(data, "items", None), pd.DataFrame):
        raise SettingsError(
            f"preflight() needs the prepared survey data (a SurveyData); got {type(data).__name__}",
            hint="read the responses with csi_survey.read_responses(path, questionnaire) and pass the result.",
        )
    rows: list[tuple[str, str, str]] = []

    # 1. the columns of the command line, named by their role
    named = [(c, "segment") for c in segments] + ([(wave, "wave")] if wave else [])
    for column, role in named:
        resolve_column(data, column, role)
    if named:
        rows.append(("columns named on the command line", "passed", ", ".join(repr(column) for column, _ in named)))

    # 2. sample size
    n = len(data.items)
    if n < MIN_RESPONDENTS:
        name = "PLS" if engine == "pls" else "CB-SEM"
        raise EstimationError(
            f"{name} needs at least {MIN_RESPONDENTS} respondents; the data have {n}",
            hint="check the exclusions (excluded.csv, --on-invalid, the quality rules): estimation needs at least "
            f"{MIN_RESPONDENTS} usable respondents, and many more for stable estimates.",
        )
    rows.append(("sample size", "passed", f"{n} respondents"))

    # 3. survey weights
    weight = getattr(data, "weight", None)
    w = None
    n_eff = None
    if weight is not None:
        w = check_weight_array(weight, n, "data.weight")
        n_eff = effective_n(w)
        rows.append(("survey weights", "passed", f"effective sample size {n_eff:.1f}"))

    # 4.–5. items: numbers, no missing values, some variance
    X, _ = item_matrix(model, data)
    with single_threaded_blas():  # as the engine: the same moments, bit for bit
        mom = item_moments(X, w, True, model.item_ids)
    del X
    p = len(model.item_ids)
    rows.append(("items", "passed", f"{p} items, every one varies"))

    # 6. the start of the PLS algorithm: construct scores of zero variance, collinear formative blocks
    if engine != "pls" or model.has_extensions:
        rows.append(("construct blocks", "skipped", "checked by the engine of this model" if engine == "pls"
                     else "PLS check; CB-SEM checks its own model"))
    else:
        pos = {item: k for k, item in enumerate(model.item_ids)}
        blocks = [np.array([pos[i] for i in c.item_ids]) for c in model.constructs.values()]
        modes = [c.mode for c in model.constructs.values()]
        with single_threaded_blas():
            start = pls_core_batch(mom.C[None], blocks, modes, model.adjacency, max_iter=0,
                                   names=model.construct_ids, item_names=model.item_ids)
        if int(start.status[0]) == SINGULAR:
            raise SingularMatrixError(  # as BatchCore.checked raises it in the fit
                start.problems[0],
                hint="remove one of the collinear items or constructs, or check for duplicated items.",
            )
        n_b = sum(m == "B" for m in modes)
        rows.append(("construct blocks", "passed", f"{len(blocks)} constructs"
                     + (f", {n_b} formative block(s) not collinear" if n_b else "")))
    checks = pd.DataFrame(rows, columns=list(PREFLIGHT_COLUMNS))
    return Preflight(checks=checks, n_respondents=n, n_items=p, effective_n=n_eff)
