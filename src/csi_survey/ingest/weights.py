"""Survey weights: a weight column of the export or raking to population margins.

The questionnaire declares the weights (``weights:`` in the spec, see
:class:`~csi_survey.schema.WeightSpec`)::

    weights: {column: wgt}                      # a column of the export

    weights:                                    # raking (iterative proportional fitting)
      raking:
        margins:
          region: {North: 0.4, South: 0.6}      # shares summing to 1 (or 100)
          gender: {f: 0.52, m: 0.48}
        max_iter: 100
        tol: 1.0e-6                             # largest allowed |achieved − target| share
        trim: [0.2, 5]                          # optional bounds relative to the mean weight

and :func:`apply_weights` turns the declaration into one weight per used respondent,
``SurveyData.weight``; every estimate of the package then uses it (PLS, bootstrap, 0–100 indices,
drivers, segments; see the docstrings of :mod:`csi_survey.engine.pls`,
:mod:`csi_survey.engine.bootstrap`, :mod:`csi_survey.drivers` and :mod:`csi_survey.segments`).
The covariance-based engine (CB-SEM) does not use weights.

Conventions
    * Weights are **normalized to mean 1** (they sum to the number of respondents n), so weighted
      counts are on the scale of the sample.
    * **Raking** is done by the ``weightipy`` library (the RIM / iterative proportional fitting
      algorithm of Quantipy, Deming & Stephan 1940), run until the weights stop changing or
      ``max_iter`` sweeps; the achieved weighted shares must then be within ``tol`` of every
      target share, else :class:`~csi_survey.exceptions.ConvergenceError`. Respondents with an
      empty cell in a raking column are an error (listed by row): give them a category (e.g.
      "unknown" with its own target share) or exclude them from the file.
    * **Trimming** (``trim: [lo, hi]``, raking only): weights are clipped to
      ``[lo, hi] × mean`` and re-normalized to mean 1, repeatedly until every weight is within the
      bounds (re-normalizing can push a clipped weight out again). Trimming is applied after raking,
      so the achieved margins can move away from the targets: :func:`weight_summary` reports them.
    * **Effective sample size** (Kish 1965): ``n_eff = (Σw)² / Σw²``; the design effect of the
      weighting is ``deff = n / n_eff = 1 + cv²`` with cv the coefficient of variation of the
      weights (standard deviation with the n divisor over the mean).

References: Kish, L. (1965), *Survey Sampling*, Wiley (effective sample size, design effect);
Deming, W. E. & Stephan, F. F. (1940), "On a least squares adjustment of a sampled frequency table
when the expected marginal totals are known", Annals of Mathematical Statistics 11(4), 427–444;
Battaglia, Hoaglin & Frankel (2009), "Practical considerations in raking survey data", Survey
Practice 2(5) (trimming). R equivalents: ``survey::rake()``, ``anesrake::anesrake()``,
``survey::trimWeights()``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import ConvergenceError, DataValidationError, SettingsError, SpecError
from .columns import MISSING_SEGMENT, cell_text, resolve_column, segment_values

__all__ = [
    "apply_weights",
    "weight_summary",
    "effective_n",
    "design_effect",
    "check_weight_array",
    "estimation_weight",
    "WEIGHT_SUMMARY_COLUMNS",
]

#: Columns of :func:`weight_summary`.
WEIGHT_SUMMARY_COLUMNS = ["statistic", "column", "category", "value", "target", "unweighted"]

#: Trimming stops after this many clip-and-renormalize rounds (it converges in a few).
_TRIM_ROUNDS = 1000


# ====================================================================== small helpers (used by the engines)
def effective_n(w: Any) -> float:
    """Kish's (1965) effective sample size ``(Σw)² / Σw²`` of the weights ``w``.

    Equals n for equal weights and is smaller the more the weights vary; it does not depend on
    the scale of the weights. NaN for an empty array.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.size == 0:
        return float("nan")
    total = float(w.sum())
    return total * total / float(np.dot(w, w))


def design_effect(w: Any) -> float:
    """The design effect of the weighting, ``n / n_eff = n Σw² / (Σw)² = 1 + cv²`` (Kish 1965)."""
    w = np.asarray(w, dtype=np.float64)
    return w.size / effective_n(w) if w.size else float("nan")


def check_weight_array(weight: Any, n: int, what: str = "weight") -> np.ndarray:
    """``weight`` as a float64 array of length ``n``, positive and finite, rescaled to mean 1.

    Raises :class:`~csi_survey.exceptions.SettingsError` saying which entries are wrong.
    """
    try:
        w = np.asarray(weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{what} must be numbers, one per respondent; got {type(weight).__name__} that is not numeric",
            hint="pass a numeric array (e.g. data.weight from csi_survey.apply_weights).",
        ) from None
    if w.ndim != 1 or w.shape[0] != n:
        raise SettingsError(
            f"{what} must have one entry per respondent ({n}); got shape {w.shape}",
            hint="pass the weights of exactly the respondents of the data.",
        )
    bad = np.flatnonzero(~(np.isfinite(w) & (w > 0)))
    if bad.size:
        shown = ", ".join(f"position {k} ({w[k]!r})" for k in bad[:10]) + (f", … ({bad.size} in all)" if bad.size > 10 else "")
        raise SettingsError(
            f"{what} must be positive and finite; not so at {shown}",
            hint="remove these respondents or correct their weights.",
        )
    return w / w.mean()


def estimation_weight(weight: np.ndarray | None) -> np.ndarray | None:
    """The weights an estimator uses: None when unweighted *or when all weights are equal*
    (equal weights change no estimate, and the unweighted code path gives bit-identical numbers),
    else the weights rescaled to mean 1."""
    if weight is None:
        return None
    w = np.asarray(weight, dtype=np.float64)
    if w.size == 0 or np.all(w == w[0]):
        return None
    return w / w.mean()


def _normalized(w: np.ndarray) -> np.ndarray:
    return w / w.mean()


# ====================================================================== apply_weights
def apply_weights(data: Any) -> Any:
    """The survey data with the weights declared in the questionnaire: ``data.weight`` set.

    ``questionnaire.weights.column``: the column of the export (``data.other``; the name matches
    exactly, else ignoring case and surrounding spaces) holds each respondent's weight. Every
    value must be a positive, finite number; all problems are reported together in one
    :class:`~csi_survey.exceptions.DataValidationError` whose ``failure_cases`` give the row as
    the user sees it in the sheet (``data.row``), the respondent id, the value and the problem.

    ``questionnaire.weights.raking``: weights that reproduce the population ``margins`` (raking
    with ``weightipy``; see the module docstring). The categories are the cell texts of the
    columns (numbers without a trailing ``.0``, text stripped, as the segment tables show them).
    A category of the data without a target share, a target category with a positive share that
    no respondent has, or a zero target share for a category that occurs raise
    :class:`~csi_survey.exceptions.SpecError` listing all of them; an empty cell in a raking column
    raises :class:`~csi_survey.exceptions.DataValidationError` listing the rows.

    The weights are normalized to mean 1 (and trimmed when ``trim`` is set). Without a
    ``weights`` declaration the data are returned unchanged, so calling this after
    :func:`~csi_survey.ingest.prepare.read_responses` is always safe. Returns
    ``dataclasses.replace(data, weight=w)``.
    """
    _check_data(data, "apply_weights")
    spec = data.questionnaire.weights
    if spec is None:
        return data
    if spec.column is not None:
        w = _column_weights(data, spec.column)
    elif spec.raking is not None:
        w = _raked_weights(data, spec.raking)
    else:  # the schema forbids it; kept for hand-made specs
        raise SettingsError("weights declares neither a column nor raking", hint="declare weights.column or weights.raking.")
    return dataclasses.replace(data, weight=w)


def _check_data(data: Any, function: str) -> None:
    if not all(hasattr(data, a) for a in ("questionnaire", "other", "items", "row")):
        raise SettingsError(
            f"{function}() needs the prepared survey data (a SurveyData); got {type(data).__name__}",
            hint="read the responses with csi_survey.read_responses(path, questionnaire) and pass the result.",
        )


def _ids(data: Any, pos: np.ndarray) -> list[str]:
    return [str(v) for v in np.asarray(data.respondent_id)[pos]]


def _column_weights(data: Any, name: str) -> np.ndarray:
    kind, col = resolve_column(data, name, "weights")
    q = data.questionnaire
    if kind == "item":
        raise SettingsError(
            f"the weights column {name!r} is an item of construct {q.construct_of[col]}, not a weight",
            hint="name the column of the export that holds the survey weights in weights.column.",
        )
    s = data.other[col]
    n = len(s)
    if ptypes.is_bool_dtype(s.dtype):
        num = np.full(n, np.nan)
        blank = s.isna().to_numpy()
    elif ptypes.is_numeric_dtype(s.dtype) and not ptypes.is_complex_dtype(s.dtype):
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = s.isna().to_numpy()
    else:
        text = s.astype("string").str.strip()
        blank = (text.isna() | text.eq("")).to_numpy(dtype=bool, na_value=True)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    problem = np.full(n, "", dtype=object)
    problem[~blank & np.isnan(num)] = "not a number"
    problem[np.isinf(num)] = "not a finite number"
    problem[np.isfinite(num) & (num == 0)] = "zero (a weight must be positive)"
    problem[np.isfinite(num) & (num < 0)] = "negative (a weight must be positive)"
    problem[blank] = "empty (no weight)"
    pos = np.flatnonzero(problem != "")
    if pos.size:
        raw = s.iloc[pos].tolist()
        table = pd.DataFrame({
            "row": np.asarray(data.row)[pos].astype(np.int64),
            "respondent_id": _ids(data, pos),
            "column": str(col),
            "value": [cell_text(v) for v in raw],
            "problem": problem[pos].astype(str),
        })
        raise DataValidationError(
            f"The weights column {str(col)!r} of {_where(data)} has {pos.size} unusable value(s) among {n} respondents",
            table,
            hint="every used respondent needs a positive number (decimal point, e.g. 1.25) in the weights column: "
            "correct these cells, or exclude these respondents from the file.",
        )
    return _normalized(num)


def _where(data: Any) -> str:
    return getattr(data, "location", "the data")


# ====================================================================== raking
def _margin_labels(data: Any, raking: Any) -> dict[str, tuple[str, np.ndarray]]:
    """Per margin column: the resolved column name and every respondent's category label."""
    out = {}
    missing_rows = []
    for column in raking.margins:
        labels = segment_values(data, column)  # clear error naming close columns when it does not exist
        values = labels.to_numpy(dtype=object)
        empty = np.flatnonzero(values == MISSING_SEGMENT)
        if empty.size:
            missing_rows.append(pd.DataFrame({
                "row": np.asarray(data.row)[empty].astype(np.int64),
                "respondent_id": _ids(data, empty),
                "column": str(labels.name),
                "value": "",
                "problem": "empty cell in a raking column",
            }))
        out[column] = (str(labels.name), values)
    if missing_rows:
        table = pd.concat(missing_rows, ignore_index=True).sort_values(["row", "column"], kind="stable")
        raise DataValidationError(
            f"Raking needs every respondent's category, but {len(table)} cell(s) of the raking columns of "
            f"{_where(data)} are empty",
            table,
            hint="fill these cells, or give the missing answers a category of their own (e.g. 'unknown') with a "
            "target share in weights.raking.margins, or exclude these respondents from the file.",
        )
    return out


def _targets(raking: Any) -> dict[str, dict[str, float]]:
    """Target shares as proportions (the spec allows shares summing to 1 or to 100), keys stripped."""
    out = {}
    for column, shares in raking.margins.items():
        total = float(sum(shares.values()))
        out[column] = {str(k).strip(): float(v) / total for k, v in shares.items()}
    return out


def _category_problems(labels: dict[str, tuple[str, np.ndarray]], targets: dict[str, dict[str, float]]) -> list[dict]:
    problems = []
    for column, (_, values) in labels.items():
        counts = pd.Series(values).value_counts(sort=False)
        present = {str(k): int(v) for k, v in counts.items()}
        where = f"weights.raking.margins.{column}"
        shares = targets[column]
        for cat, k in present.items():
            if cat not in shares:
                problems.append({"location": where, "problem": f"category {cat!r} occurs in the data ({k} respondent(s)) "
                                 f"but has no target share; categories with targets: {', '.join(map(repr, shares))}"})
            elif shares[cat] == 0:
                problems.append({"location": where, "problem": f"category {cat!r} has target share 0 but occurs in the data "
                                 f"({k} respondent(s)); a weight must be positive"})
        for cat, share in shares.items():
            if share > 0 and cat not in present:
                problems.append({"location": where, "problem": f"category {cat!r} has target share {share:g} but no "
                                 f"respondent has it; categories in the data: {', '.join(map(repr, present))}"})
    return problems


def _achieved(w: np.ndarray, values: np.ndarray) -> pd.Series:
    return pd.Series(w).groupby(values, sort=False).sum() / float(w.sum())


def _raked_weights(data: Any, raking: Any) -> np.ndarray:
    import weightipy

    labels = _margin_labels(data, raking)
    targets = _targets(raking)
    problems = _category_problems(labels, targets)
    if problems:
        raise SpecError(
            f"The raking margins do not match the categories of {_where(data)}",
            problems,
            hint="give every category of the data a target share (spelled as in the file) and remove target "
            "categories nobody has, or merge categories in the file.",
        )
    # weightipy works on a DataFrame of the raking columns; plain names keep its query strings safe
    names = {column: f"m{k}" for k, column in enumerate(labels)}
    frame = pd.DataFrame({names[c]: pd.Series(v, dtype=str) for c, (_, v) in labels.items()})
    scheme_dict = {names[c]: {cat: 100.0 * s for cat, s in targets[c].items() if s > 0} for c in labels}
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), warnings.catch_warnings():  # the library prints; we never do
        warnings.simplefilter("ignore")
        try:
            scheme = weightipy.scheme_from_dict(
                scheme_dict, name="csi_survey", rim_params={"max_iterations": int(raking.max_iter), "convcrit": 1e-9}
            )
            raw = weightipy.weight(frame, scheme)
        except (ValueError, TypeError, KeyError) as error:  # pragma: no cover - guarded by the checks above
            raise SettingsError(
                f"raking to the margins failed in weightipy: {error}",
                hint="check weights.raking.margins against the categories of the data.",
            ) from None
    w = np.asarray(raw, dtype=np.float64)
    if w.shape != (len(frame),) or not (np.isfinite(w).all() and (w > 0).all()):
        raise ConvergenceError(
            "raking produced weights that are not all positive and finite",
            hint="check the margins for categories with very few respondents, or merge small categories.",
        )
    w = _normalized(w)
    worst, where = 0.0, ""
    for column, (name, values) in labels.items():
        got = _achieved(w, values)
        for cat, share in targets[column].items():
            dev = abs(float(got.get(cat, 0.0)) - share)
            if dev > worst:
                worst, where = dev, f"{name} = {cat!r}: {float(got.get(cat, 0.0)):.6g} vs target {share:.6g}"
    if not worst <= raking.tol:
        raise ConvergenceError(
            f"raking did not reach the margins within tol {raking.tol:g} in max_iter {raking.max_iter} sweeps "
            f"(largest deviation {worst:.3g}, {where})",
            hint="raise weights.raking.max_iter, or merge categories with few respondents; margins that no "
            "weighting of these respondents can reproduce (e.g. contradictory targets) never converge.",
        )
    if raking.trim is not None:
        w = _trim(w, raking.trim)
    return w


def _trim(w: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    lo, hi = float(trim[0]), float(trim[1])
    if not (0 < lo <= 1 <= hi and lo < hi):
        raise SettingsError(
            f"weights.raking.trim must be [lo, hi] with 0 < lo ≤ 1 ≤ hi (bounds relative to the mean weight); got [{lo:g}, {hi:g}]",
            hint="e.g. trim: [0.2, 5] keeps every weight between a fifth and five times the mean.",
        )
    for _ in range(_TRIM_ROUNDS):
        w = _normalized(np.clip(w, lo, hi))
        if w.min() >= lo * (1 - 1e-12) and w.max() <= hi * (1 + 1e-12):
            break
    return w


# ====================================================================== summary
def weight_summary(data: Any) -> pd.DataFrame:
    """How the weights look and what they achieve: a tidy table ``statistic, column, category,
    value, target, unweighted``.

    First one row per statistic of the weights (``column``/``category`` "", ``target`` NaN):
    ``n`` (respondents), ``effective_n`` (Kish: (Σw)²/Σw²), ``design_effect`` (n / effective_n),
    ``min`` and ``max`` (relative to the mean weight; the weights of :func:`apply_weights` have
    mean 1), ``cv`` (coefficient of variation: sd with the n divisor / mean; deff = 1 + cv²);
    ``unweighted`` holds the value without weights (n, n, 1, 1, 1, 0). Then, when the spec rakes,
    one ``share`` row per margin category: ``value`` the achieved weighted share, ``target`` the
    target share, ``unweighted`` the sample share (all proportions 0–1).

    Raises :class:`~csi_survey.exceptions.SettingsError` when the data carry no weights
    (call :func:`apply_weights` first).
    """
    _check_data(data, "weight_summary")
    if getattr(data, "weight", None) is None:
        raise SettingsError(
            "weight_summary() needs weighted data, but data.weight is None",
            hint="declare weights in the questionnaire and call csi_survey.apply_weights(data) first.",
        )
    w = np.asarray(data.weight, dtype=np.float64)
    n = w.size
    mean = w.mean()
    stats = [
        ("n", float(n), float(n)),
        ("effective_n", effective_n(w), float(n)),
        ("design_effect", design_effect(w), 1.0),
        ("min", float(w.min() / mean), 1.0),
        ("max", float(w.max() / mean), 1.0),
        ("cv", float(w.std(ddof=0) / mean), 0.0),
    ]
    rows = [{"statistic": s, "column": "", "category": "", "value": v, "target": np.nan, "unweighted": u}
            for s, v, u in stats]
    spec = data.questionnaire.weights
    if spec is not None and spec.raking is not None:
        targets = _targets(spec.raking)
        labels = _margin_labels(data, spec.raking)
        for column, (name, values) in labels.items():
            got = _achieved(w, values)
            sample = pd.Series(values).value_counts(sort=False) / n
            cats = list(targets[column]) + [c for c in got.index if c not in targets[column]]
            for cat in cats:
                rows.append({"statistic": "share", "column": name, "category": str(cat),
                             "value": float(got.get(cat, 0.0)), "target": targets[column].get(cat, np.nan),
                             "unweighted": float(sample.get(cat, 0.0))})
    out = pd.DataFrame(rows, columns=WEIGHT_SUMMARY_COLUMNS)
    return out.astype({"statistic": str, "column": str, "category": str, "value": np.float64,
                       "target": np.float64, "unweighted": np.float64})
