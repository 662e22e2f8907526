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
    * **Extreme weights are refused**: the largest weight of a weights column may be at most
      :data:`MAX_WEIGHT_RATIO` (10⁶) times the smallest. Beyond that one respondent outweighs the
      sample (a weight of 1e300 among weights near 1 leaves every other respondent a weight of about
      1e-300, so every item has "zero variance"): such a column is a data error (a typo, an
      unconverted unit, a missing-value code such as 999999 left in the weights). The rows whose
      weight is more than 1,000 (√10⁶) times above or below the median weight are named. Real
      design weights rarely vary by more than a factor of 100; trimmed raking weights stay within
      ``trim``.

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
import functools
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import ConvergenceError, DataValidationError, SettingsError, SpecError
from .columns import MISSING_SEGMENT, cell_text, resolve_column, segment_values
from .values import text_numbers

__all__ = [
    "apply_weights",
    "weight_summary",
    "effective_n",
    "design_effect",
    "check_weight_array",
    "estimation_weight",
    "RakingMargins",
    "raking_margins",
    "rake_weights",
    "rake_batch",
    "WEIGHT_SUMMARY_COLUMNS",
    "MAX_WEIGHT_RATIO",
]

#: Columns of :func:`weight_summary`.
WEIGHT_SUMMARY_COLUMNS = ["statistic", "column", "category", "value", "target", "unweighted"]

#: The largest weight of a weights column may be at most this many times the smallest (see the module docstring).
MAX_WEIGHT_RATIO = 1e6

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
    if spec.raking is not None:  # raking, from the column's weights when the spec names one too
        base = _column_weights(data, spec.column) if spec.column is not None else None
        w = _raked_weights(data, spec.raking, base)
    elif spec.column is not None:
        w = _column_weights(data, spec.column)
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
        num = text_numbers(text)  # the one rule for numbers in cells (values.py)
    problem = np.full(n, "", dtype=object)
    problem[~blank & np.isnan(num)] = "not a number"
    problem[np.isinf(num)] = "not a finite number"
    problem[np.isfinite(num) & (num == 0)] = "zero (a weight must be positive)"
    problem[np.isfinite(num) & (num < 0)] = "negative (a weight must be positive)"
    problem[blank] = "empty (no weight)"
    if not (problem != "").any():
        problem = _extreme(num)
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
            "correct these cells, or exclude these respondents from the file; the largest weight may be at most "
            f"{MAX_WEIGHT_RATIO:.0e} times the smallest (check extreme weights for typos or missing-value codes).",
        )
    return _normalized(num)


def _extreme(num: np.ndarray) -> np.ndarray:
    """Per weight (all positive and finite): "" or why it is extreme, when the largest weight is more than
    :data:`MAX_WEIGHT_RATIO` times the smallest (rows beyond √ratio of the median are named)."""
    problem = np.full(num.size, "", dtype=object)
    if num.size == 0 or not num.max() > MAX_WEIGHT_RATIO * num.min():
        return problem
    median = float(np.median(num))
    bound = np.sqrt(MAX_WEIGHT_RATIO)
    for k in np.flatnonzero((num > bound * median) | (num < median / bound)):
        problem[k] = (f"extreme: {num[k] / median:.3g} times the median weight ({median:.6g}); the largest weight may be at "
                      f"most {MAX_WEIGHT_RATIO:.0e} times the smallest (here {num.max() / num.min():.3g})")
    return problem


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


def _checked_margins(data: Any, raking: Any) -> tuple[dict[str, tuple[str, np.ndarray]], dict[str, dict[str, float]]]:
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
    return labels, targets


def _raked_weights(data: Any, raking: Any, base: np.ndarray | None = None) -> np.ndarray:
    labels, targets = _checked_margins(data, raking)
    if base is None:
        w = _weightipy_raking(labels, targets, raking)
    else:  # design weights raked to the margins (weightipy starts from equal weights only)
        margins = RakingMargins.build({c: v for c, (_, v) in labels.items()}, targets)
        raked, failed = rake_batch(base[None, :], margins, total=float(base.size), max_iter=raking.max_iter)
        w = raked[0] if not failed else np.full(base.size, np.nan)
    if not (np.isfinite(w).all() and (w > 0).all()):
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


def _weightipy_raking(labels: dict[str, tuple[str, np.ndarray]], targets: dict[str, dict[str, float]], raking: Any) -> np.ndarray:
    import weightipy

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
    if w.shape != (len(frame),):
        return np.full(len(frame), np.nan)
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


# ====================================================================== raking given base weights (batched)
@dataclasses.dataclass(frozen=True)
class RakingMargins:
    """The margins of a raking, coded once: per margin column the category code of every respondent
    and the target share of every category. Build with :meth:`build` or :func:`raking_margins`."""

    columns: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    codes: tuple[np.ndarray, ...]     #: per margin, n category codes (0 … categories − 1)
    shares: tuple[np.ndarray, ...]    #: per margin, the target shares (summing to 1)

    @functools.cached_property
    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """The distinct combinations of categories (cells): every respondent's cell, the respondents
        sorted by cell, where each cell starts among them, and per margin the cells × categories
        membership matrix. Made once; raking works on cell totals."""
        combos, cell = np.unique(np.stack(self.codes, axis=1), axis=0, return_inverse=True)
        cell = cell.reshape(-1)
        order = np.argsort(cell, kind="stable")
        starts = np.searchsorted(cell[order], np.arange(len(combos)))
        member = [np.eye(len(shares))[combos[:, j]] for j, shares in enumerate(self.shares)]
        return cell, order, starts, member

    @classmethod
    def build(cls, labels: Any, targets: Any) -> RakingMargins:
        """From ``labels`` (margin column → one category label per respondent) and ``targets``
        (margin column → {category: target share or population total}; rescaled to shares).

        Raises :class:`~csi_survey.exceptions.SettingsError` when a respondent's category has no
        target or a margin's respondent count differs from the others."""
        columns, cats, codes, shares = [], [], [], []
        n = None
        for column, values in labels.items():
            values = np.asarray(values, dtype=object).astype(str)
            if n is not None and values.size != n:
                raise SettingsError(f"raking margin {column!r} has {values.size} labels, the others {n}",
                                    hint="give every margin one label per respondent.")
            n = values.size
            target = {str(k).strip(): float(v) for k, v in targets[column].items()}
            total = sum(target.values())
            names = tuple(target)
            pos = {c: k for k, c in enumerate(names)}
            unknown = sorted(set(values) - set(names))
            if unknown or not total > 0 or any(v < 0 for v in target.values()):
                raise SettingsError(
                    f"raking margin {column!r}: "
                    + (f"categories {', '.join(map(repr, unknown[:10]))} have no target" if unknown
                       else "the targets must be non-negative with a positive sum"),
                    hint="give every category that occurs a target share (or population total).",
                )
            columns.append(str(column))
            cats.append(names)
            codes.append(np.fromiter((pos[v] for v in values), dtype=np.intp, count=values.size))
            shares.append(np.array([target[c] / total for c in names]))
        return cls(tuple(columns), tuple(cats), tuple(codes), tuple(shares))


def raking_margins(data: Any) -> RakingMargins | None:
    """The coded raking margins of the spec's ``weights.raking`` for the respondents of ``data``
    (None when the spec does not rake). The categories are checked as :func:`apply_weights` does."""
    _check_data(data, "raking_margins")
    spec = data.questionnaire.weights
    if spec is None or spec.raking is None:
        return None
    labels, targets = _checked_margins(data, spec.raking)
    return RakingMargins.build({c: v for c, (_, v) in labels.items()}, targets)


#: Raking stops when every category total is within this relative distance of its target.
RAKE_STOP = 1e-10


def rake_batch(base: np.ndarray, margins: RakingMargins, *, counts: np.ndarray | None = None,
               total: float | np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-6,
               trim: tuple[float, float] | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """Rake every row of ``base`` (m × n non-negative weights) to the margins, all rows at once.

    Iterative proportional fitting (Deming & Stephan 1940, as ``survey::rake``): each sweep
    multiplies the weights of every category of each margin in turn by target / achieved total,
    until every category total is within :data:`RAKE_STOP` (relative) of its target or ``max_iter``
    sweeps. A row whose largest share deviation then exceeds ``tol``, or that has no weight in a
    category with a positive target, fails: its weights are NaN and ``problems[row]`` says why.
    Weights of zero stay zero (a respondent not drawn in a bootstrap replicate).

    The factors depend only on a respondent's combination of categories (its cell), so the sweeps
    run on the m × cells totals, and the weights are formed once at the end: the cost of a row is
    one pass over the respondents whatever the number of sweeps.

    ``total``: the sum of each raked row (default: the row's sum of ``base``). ``trim`` ([lo, hi],
    after raking, as ``weights.raking.trim``): the weight of one copy of a respondent, ``w / counts``
    (``counts``, default 1, are the bootstrap multiplicities), is clipped to ``[lo, hi]`` × the
    count-weighted mean and the row rescaled, repeatedly, as in :func:`apply_weights`.
    Returns ``(weights, problems)``.
    """
    W0 = np.asarray(base, dtype=np.float64)
    W0 = W0[None, :] if W0.ndim == 1 else W0
    m, n = W0.shape
    totals = W0.sum(axis=1) if total is None else np.broadcast_to(np.asarray(total, dtype=np.float64), (m,)).copy()
    cell, order, starts, member = margins.cells
    T0 = np.add.reduceat(W0[:, order], starts, axis=1) if n else np.zeros((m, len(starts)))  # m × cells
    target = [totals[:, None] * shares[None, :] for shares in margins.shares]
    T = T0.copy()
    active = np.ones(m, dtype=bool)
    problems: dict[int, str] = {}
    for j, shares in enumerate(margins.shares):
        empty = (T0 @ member[j] <= 0) & (shares[None, :] > 0)
        for r in np.flatnonzero(empty.any(axis=1)):
            cats = [margins.categories[j][c] for c in np.flatnonzero(empty[r])]
            problems[int(r)] = (f"raking: no weight in {margins.columns[j]} = {', '.join(map(repr, cats))} "
                                "(no respondent of this category)")
            active[r] = False
    for _ in range(int(max_iter)):
        worst = np.zeros(m)
        for j in range(len(margins.shares)):
            sums = T @ member[j]
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(sums > 0, target[j] / sums, 1.0)
            factor[~active] = 1.0
            worst = np.maximum(worst, np.abs(factor - 1).max(axis=1))
            T *= factor @ member[j].T
        if not (worst[active] > RAKE_STOP).any():
            break
    for j, shares in enumerate(margins.shares):
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.abs((T @ member[j]) / T.sum(axis=1, keepdims=True) - shares[None, :]).max(axis=1)
        for r in np.flatnonzero(active & ~(dev <= tol)):
            problems[int(r)] = f"raking did not reach the margins within {tol:g} in {max_iter} sweeps"
            active[r] = False
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.where(T0 > 0, T / T0, 1.0)  # the adjustment of every cell
    W = W0 * G[:, cell]
    W[~active] = 1.0  # placeholders, set to NaN below
    if trim is not None:
        W = _trim_batch(W, np.ones(n) if counts is None else np.asarray(counts, dtype=np.float64), trim, totals)
    W *= (totals / W.sum(axis=1))[:, None]
    W[~active] = np.nan
    return W, problems


def _trim_batch(W: np.ndarray, counts: np.ndarray, trim: tuple[float, float], totals: np.ndarray) -> np.ndarray:
    lo, hi = float(trim[0]), float(trim[1])
    if not (0 < lo <= 1 <= hi and lo < hi):
        raise SettingsError(f"trim must be [lo, hi] with 0 < lo ≤ 1 ≤ hi; got [{lo:g}, {hi:g}]",
                            hint="e.g. trim: [0.2, 5] keeps every weight between a fifth and five times the mean.")
    counts = np.broadcast_to(counts, W.shape)
    drawn = counts > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(drawn, W / np.where(drawn, counts, 1.0), 0.0)  # the weight of one copy
    n_copies = counts.sum(axis=1, keepdims=True)
    for _ in range(_TRIM_ROUNDS):
        u = u / ((counts * u).sum(axis=1, keepdims=True) / n_copies)
        u = np.where(drawn, np.clip(u, lo, hi), 0.0)
        u = u / ((counts * u).sum(axis=1, keepdims=True) / n_copies)
        inside = np.where(drawn, (u >= lo * (1 - 1e-12)) & (u <= hi * (1 + 1e-12)), True)
        if inside.all():
            break
    W = counts * u
    return W * (totals / W.sum(axis=1))[:, None]


def rake_weights(base: Any, margins: Any, targets: Any, *, total: float | None = None, max_iter: int = 100,
                 tol: float = 1e-6, trim: tuple[float, float] | None = None) -> np.ndarray:
    """Base weights (e.g. design weights) raked to population margins, as ``survey::rake``.

    ``base``: one non-negative weight per respondent (or an m × n array: m sets at once);
    ``margins``: margin column → one category label per respondent; ``targets``: margin column →
    {category: population total or share} (rescaled to shares); ``total``: the sum of the raked
    weights (default: the sum of ``base``; pass the population size to get population totals).
    Iterates as :func:`rake_batch` (until every category total is within 1e-10 of its target).
    Raises :class:`~csi_survey.exceptions.ConvergenceError` when a set does not reach the margins
    within ``tol`` (share) in ``max_iter`` sweeps or cannot (a category without weight).

    >>> import numpy as np
    >>> w = rake_weights(np.ones(4), {"sex": ["f", "f", "f", "m"]}, {"sex": {"f": 50, "m": 50}}, total=100)
    >>> w.round(4).tolist()
    [16.6667, 16.6667, 16.6667, 50.0]
    """
    base = np.asarray(base, dtype=np.float64)
    if base.ndim not in (1, 2) or not (np.isfinite(base).all() and (base >= 0).all()):
        raise SettingsError("base weights must be a 1-d or 2-d array of non-negative, finite numbers",
                            hint="pass one weight per respondent (e.g. the design weights).")
    coded = margins if isinstance(margins, RakingMargins) else RakingMargins.build(margins, targets)
    raked, problems = rake_batch(base, coded, total=total, max_iter=max_iter, tol=tol, trim=trim)
    if problems:
        first = min(problems)
        raise ConvergenceError(f"raking failed for {len(problems)} of {raked.shape[0]} weight set(s); first: {problems[first]}",
                               hint="raise max_iter, or merge categories with few respondents.")
    return raked[0] if base.ndim == 1 else raked


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
