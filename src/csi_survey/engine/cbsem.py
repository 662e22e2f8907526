"""Covariance-based SEM (maximum likelihood), estimated with semopy, reproducing lavaan.

The engine takes the same questionnaire spec as PLS and returns the same tidy tables
(:class:`~csi_survey.results.CBSEMResults`), plus every parameter with its standard error and the
usual fit measures. Estimates, standard errors, standardized estimates and fit measures equal
lavaan 0.6's defaults (``cfa()``/``sem()``, ML, expected information); the test suite checks the
Holzinger–Swineford CFA and Bollen's Political Democracy model against the lavaan tutorial.

Translation of the spec
-----------------------
The spec becomes a lavaan-style model text (``CBSEMResults.description``; semopy and lavaan read
the same syntax):

* each construct ``C`` with items ``i1, i2, …``: ``C =~ i1 + i2 + …``, a common factor (reflective
  measurement). As in lavaan, the loading of the first item is fixed to 1 (marker variable), which
  sets the scale of the latent variable. Mode-B (formative) constructs cannot be composites in a
  factor model: they are estimated as common factors too, with a
  :class:`~csi_survey.exceptions.MeasurementModelWarning`.
* a single-item construct: loading fixed to 1 and the item's residual variance fixed to 0
  (``i ~~ 0*i``), so the construct *is* the item (as lavaan and seminr do).
* paths: ``T ~ S1 + S2 + …`` for each target, sources in spec order.
* ``covariances``: ``a ~~ b`` (two items: residual covariance; two constructs: (disturbance)
  covariance).
* the covariances of the exogenous constructs are free, written out explicitly
  (``A ~~ B``). In a spec without paths (a CFA) every construct is exogenous, so all construct
  covariances are free, as lavaan's ``cfa()``; with paths this is lavaan's ``sem()`` default.
  Residual variances of items and (disturbance) variances of constructs are free.
* ``sem_lines`` are appended verbatim. Every variable they name must be an item or construct of the
  spec, or a new latent variable defined in them (``g =~ visual + textual``); a modifier
  ``m*x`` is a number (fixed value) or a label (equality constraint).

Ids that are not valid identifiers in the model syntax (spaces, dashes, …) are replaced by aliases
in the model text; the tables use the spec's ids.

Estimation
----------
Maximum likelihood on the biased sample covariance matrix ``S`` (divisor N, as lavaan's default
``likelihood = "normal"``). With ``Σ(θ)`` the model-implied covariance matrix of the p items
(LISREL/RAM form ``Σ = Λ (I − B)⁻¹ Ψ (I − B)⁻ᵀ Λᵀ + Θ``, built by semopy), we minimize the ML
discrepancy

    F(θ) = log|Σ(θ)| + tr(S Σ(θ)⁻¹) − log|S| − p        (χ² = N·F; lavaan's ``fmin`` is F/2)

with our own optimizer, :mod:`csi_survey.engine.cbsem_ml` (semopy only builds the model matrices
and ``∂Σ/∂θ``; see that module for the formulas): lavaan's starting values (``start = "default"``:
FABIN3 loadings, half the observed variances, latent variances 0.05, 0 else), the analytic gradient,
Fisher scoring in a trust region (scipy ``trust-exact`` with the expected Hessian) for at most
``max_iter`` iterations (10,000 by default, lavaan's ``iter.max``), then a few Newton steps on the
gradient that pin down the flattest directions of a near-degenerate model. No bounds on variances
(lavaan's default), so a Heywood case shows up as a negative variance. lavaan runs ``nlminb``; both
reach the same minimum (the lavaan tutorial; the ECSI template on mobi: lavaan F = 2.3023 in 220
iterations, ours 2.302285 in about 65). semopy's SLSQP, which we used before, wandered on the flat
valley of that model and stopped at F = 2.3030 after 1,108 iterations.

**Convergence verdict** (independent of the summation order of the BLAS, i.e. of the thread count):
at the point where the optimizer stops we compute the Newton decrement
``δ = ½ gᵀ H⁺ g`` (the decrease of F still predicted by a Fisher-scoring step; ``H⁺`` the
pseudo-inverse with relative eigenvalue cut-off ``SINGULAR_RCOND``). The fit has converged when
``δ ≤ tol · max(1, F)`` (``tol = 1e-10`` by default, lavaan's ``rel.tol`` of ``nlminb``). At a
minimum δ is far below the rounding error of F (≤ 1e-26 on every model of the test suite, after the
Newton polish; ≤ 1e-14 before it), and summation order changes F by ~1e-15, far below the threshold; the other
decisions below have the same kind of margin. Otherwise :class:`~csi_survey.exceptions.ConvergenceError`
says how many iterations ran, the last change of F and δ, and names the setting to raise
(``max_iter``; ``--max-iter`` on the command line). Where the optimizer stopped on a ridge
(a singular information matrix), the identification error below is raised instead.

Standard errors from the expected information (lavaan's default), evaluated at θ̂:
``I(θ) = N/2 · tr(Σ⁻¹ ∂Σ/∂θᵢ Σ⁻¹ ∂Σ/∂θⱼ)``, ``SE = sqrt(diag I⁻¹)``, ``z = θ̂/SE``, two-sided normal
p-values. (semopy's Fisher information is this matrix; we compute it from semopy's ``∂Σ/∂θ``.)

Standardized solution (lavaan ``std.all``), with model-implied variances ``v`` of latent and
observed variables: loading ``λ·sd(η)/sd(x)``; regression ``β·sd(rhs)/sd(lhs)``; variance
``θ/v``; covariance between two different variables ``θ_ab/sqrt(|θ_aa θ_bb|)`` — divided by the
two (residual) *variance parameters*, i.e. a residual correlation, as lavaan ≥ 0.6.

Fit measures (lavaan's formulas; ``q`` free parameters, ``p* = p(p+1)/2``):
``χ² = N·F(θ̂)``, ``df = p* − q``; baseline (independence) model ``χ²_b = N(Σ log sᵢᵢ − log|S|)``,
``df_b = p(p−1)/2``; ``CFI = 1 − max(χ²−df, 0)/max(χ²−df, χ²_b−df_b, 0)`` (Bentler 1990);
``TLI = 1 − (χ²−df)·df_b / ((χ²_b−df_b)·df)`` (Tucker & Lewis 1973);
``RMSEA = sqrt(max(χ²/(N·df) − 1/N, 0))`` (Steiger & Lind 1980) with the 90 % interval of Browne &
Cudeck (1993): the non-centralities λ with ``P(χ²_df(λ) ≤ χ²) = 0.95`` and ``0.05``
(``scipy.stats.ncx2``), ``sqrt(λ/(N·df))``; SRMR (Bentler's, lavaan ``srmr`` without mean
structure) ``sqrt(mean over i ≤ j of ((sᵢⱼ − σ̂ᵢⱼ)/sqrt(sᵢᵢ sⱼⱼ))²)``;
``logl = −N/2 (p log 2π + log|Σ̂| + tr(S Σ̂⁻¹))``, ``AIC = −2 logl + 2q``, ``BIC = −2 logl + q log N``,
``bic2 = −2 logl + q log((N+2)/24)``.

Tidy tables (same columns as PLS)
---------------------------------
* ``paths``: standardized path coefficients (``std.all`` of the regressions), comparable with PLS.
* ``effects``: standardized direct, indirect and total effects, ``T = (I − B*)⁻¹ − I`` with ``B*``
  the standardized structural coefficients; every ordered pair with a directed route, as PLS.
* ``r2``: ``R² = 1 − ψ_jj / Var(η_j)`` (one minus the standardized disturbance variance), and
  ``r2_adj = 1 − (1 − R²)(n − 1)/(n − k − 1)`` with k predictors, as for PLS.
* ``weights``: ``loading`` is the standardized loading; ``weight`` and ``index_weight`` come from the
  factor-score weights below.

Construct scores and the 0–100 index
------------------------------------
Construct scores are regression (Thurstone 1935) factor-score estimates computed from each
construct's own items: for construct j with items x_j,

    b_j ∝ Σ̂_jj⁻¹ Cov(x_j, η_j) = Σ̂_jj⁻¹ λ_j · Var(η_j)

where Σ̂_jj is the model-implied covariance matrix of the construct's items and λ_j their
(unstandardized) loadings. For a one-factor block with uncorrelated residuals this is proportional
to ``Θ_j⁻¹ λ_j`` (each item weighted by loading / residual variance); a single item gets weight 1.
``b_j`` is the weight of the *raw* item; ``weight`` is the weight of the standardized item,
``b_j · sd(x)`` rescaled so that the composite of standardized items has unit variance (sample
correlations, sd with n − 1), and ``scores`` are that composite. The 0–100 index then uses
:func:`csi_survey.index.index_weights` exactly as for PLS: ``index_weight`` is ``b_j`` normalized
to sum 1 (on items rescaled to 0–100), the index the weighted mean item score on 0–100.

Difference from PLS: PLS outer weights come out of the iterative inner/outer estimation, so they
depend on the structural model (the neighbouring constructs); these weights come from the
measurement model alone (loadings and residual variances), so an item that is reliable (large
loading, small residual variance) weighs more, whatever the paths.

Admissibility
-------------
Nothing is returned silently wrong: a non-positive-definite sample covariance matrix
(collinear or duplicated items) raises :class:`~csi_survey.exceptions.SingularMatrixError`;
a model with more free parameters than variances and covariances (df < 0) or a singular
information matrix (parameters without a defined standard error: an unidentified model) raises
:class:`~csi_survey.exceptions.EstimationError` naming the parameters; non-convergence raises
:class:`~csi_survey.exceptions.ConvergenceError`; a negative variance estimate (Heywood case) or a
non-positive-definite covariance matrix of the constructs emits
:class:`~csi_survey.exceptions.AdmissibilityWarning` naming the parameters (``x3 ~~ x3 = -0.12``).

**Near-degenerate solutions.** An admissible solution in which two constructs correlate almost ±1
(model-implied latent correlation ``|r| ≥ NEAR_DEGENERATE = 0.98``) is returned with a
:class:`~csi_survey.exceptions.CsiSurveyWarning` and a note naming every such pair, largest first
(``corr(EXP, PQ) = 0.995``): the two constructs are empirically indistinguishable (no discriminant
validity), their paths have large standard errors, and a small change of the data or the model can
move the solution to the boundary ``|r| = 1``. Example: the ECSI template on mobi (lavaan agrees:
admissible, near-degenerate, F = 2.3023). The threshold is far from any rounding effect (the
correlations are computed from the converged estimates, stable to ~1e-9).

References: Jöreskog (1969), *A general approach to confirmatory maximum likelihood factor
analysis*, Psychometrika 34; Bollen (1989), *Structural Equations with Latent Variables*; Rosseel
(2012), *lavaan: An R Package for Structural Equation Modeling*, JSS 48(2); Igolkina &
Meshcheryakov (2020), *semopy: A Python Package for Structural Equation Modeling*, SEM 27(6);
Browne & Cudeck (1993), *Alternative ways of assessing model fit*; Hu & Bentler (1999), SEM 6(1);
Thurstone (1935), *The Vectors of Mind*. R equivalents: ``lavaan::sem()``, ``lavaan::cfa()``,
``seminr::estimate_cbsem()``.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..exceptions import (
    AdmissibilityWarning,
    ConvergenceError,
    CsiSurveyWarning,
    EstimationError,
    MeasurementModelWarning,
    SettingsError,
    SingularMatrixError,
    SpecError,
)
from ..index import index_table, index_weights, respondent_indices
from ..schema import Questionnaire
from .cbsem_ml import SINGULAR_RCOND, SOLVER, STALL_TOL, STALL_WINDOW, MLProblem, lavaan_start_values
from .pls import item_matrix
from .threads import single_threaded_blas
from ..results import CBSEMResults

__all__ = ["CBSEM", "model_description", "SOLVER", "MAX_ITER", "TOL", "NEAR_DEGENERATE"]

#: Default iteration limit (lavaan's ``iter.max`` of ``nlminb``).
MAX_ITER = 10_000

#: Default convergence tolerance: the Newton decrement relative to max(1, F) (lavaan's ``rel.tol``).
TOL = 1e-10

#: A model-implied latent correlation with at least this absolute value makes the solution
#: near-degenerate: a warning and a note name the pair.
NEAR_DEGENERATE = 0.98


#: Eigenvalues of the item correlation matrix below this (relative to the largest) make the sample
#: covariance matrix non positive definite for our purpose (collinear items).
COLLINEAR_RCOND = 1e-10

_IDENT = re.compile(r"[^\W\d][\w.]*")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LINE = re.compile(r"^\s*(?P<lhs>[^=~+*]+?)\s*(?P<op>=~|~~|~)\s*(?P<rhs>.+?)\s*$")


# ====================================================================== model text
@dataclass(frozen=True)
class _Term:
    modifier: str | None  # a number (fixed value) or a label
    name: str


@dataclass(frozen=True)
class _Line:
    lhs: str
    op: str
    terms: tuple[_Term, ...]

    def render(self, alias: dict[str, str]) -> str:
        rhs = " + ".join((f"{t.modifier}*" if t.modifier is not None else "") + alias.get(t.name, t.name) for t in self.terms)
        return f"{alias.get(self.lhs, self.lhs)} {self.op} {rhs}"


def _parse_line(text: str) -> _Line:
    """Parse ``lhs op term + term …`` (op ``=~``, ``~~`` or ``~``; term ``[modifier*]name``)."""
    body = text.split("#", 1)[0]
    match = _LINE.match(body)
    if not match:
        raise ValueError("expected 'lhs =~ rhs', 'lhs ~ rhs' or 'lhs ~~ rhs'")
    lhs, op = match["lhs"].strip(), match["op"]
    terms = []
    for raw in match["rhs"].split("+"):
        raw = raw.strip()
        if not raw:
            raise ValueError("empty term on the right-hand side")
        modifier, _, name = raw.rpartition("*")
        modifier, name = modifier.strip() or None, name.strip()
        if "*" in (modifier or ""):
            raise ValueError(f"term {raw!r} has more than one '*'")
        if modifier is not None and not (_NUMBER.fullmatch(modifier) or _IDENT.fullmatch(modifier)):
            raise ValueError(f"modifier {modifier!r} in {raw!r} is neither a number (fixed value) nor a label")
        if modifier is not None and modifier.startswith("_"):
            raise ValueError(f"label {modifier!r} in {raw!r} must not start with '_' (reserved for semopy's own parameter names)")
        if modifier == "NA":
            raise ValueError(f"{raw!r}: freeing a parameter with NA* is not supported; fix another parameter instead")
        if not name or "~" in name or "=" in name:
            raise ValueError(f"term {raw!r} does not name a variable")
        terms.append(_Term(modifier, name))
    return _Line(lhs, op, tuple(terms))


@dataclass(frozen=True)
class _Translation:
    """The model text of a spec and the bookkeeping needed to read semopy's results back."""

    text: str
    alias: dict[str, str]            # construct id / new latent → name in the model text
    item_alias: dict[str, str]       # item id → name in the model text
    name_of: dict[str, str]          # name in the model text → spec id
    measurement: frozenset[tuple[str, str]]  # (latent, indicator) pairs, spec ids
    order: dict[tuple[str, str, str], int]   # (lhs, op, rhs) → position in the text
    new_latents: tuple[str, ...]     # latent variables defined in sem_lines
    single_items: tuple[str, ...]    # items of single-item constructs (residual variance 0)
    mode_b: tuple[str, ...]


def _fresh(base: str, taken: set[str], avoid: set[str]) -> str:
    name = base
    while name in taken or name in avoid:
        name += "_"
    taken.add(name)
    return name


def _translate(model: Questionnaire) -> _Translation:
    """Build the lavaan/semopy model text of a spec (see the module docstring for the rules)."""
    constructs, items = set(model.construct_ids), set(model.item_ids)

    # --- sem_lines: parse and check every name before anything else
    problems: list[dict[str, str]] = []
    parsed: list[_Line | None] = []
    for k, text in enumerate(model.sem_lines):
        try:
            parsed.append(_parse_line(text))
        except ValueError as exc:
            problems.append({"location": f"sem_lines[{k}]", "problem": f"{text!r}: {exc}"})
            parsed.append(None)
    new_latents = []
    for line in parsed:
        if line is not None and line.op == "=~" and line.lhs not in constructs and line.lhs not in new_latents:
            if line.lhs in items:
                continue  # reported below
            new_latents.append(line.lhs)
    known = constructs | items | set(new_latents)
    for k, line in enumerate(parsed):
        if line is None:
            continue
        if line.op == "=~" and line.lhs in items:
            problems.append({"location": f"sem_lines[{k}]", "problem": f"{line.lhs!r} is an item: only a construct or a new latent variable can be measured (=~)"})
        for name in [line.lhs] + [t.name for t in line.terms]:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append({"location": f"sem_lines[{k}]", "problem": f"{name!r} is neither an item nor a construct of the spec{hint}"})
    for name in new_latents:
        if not _IDENT.fullmatch(name):
            problems.append({"location": "sem_lines", "problem": f"new latent variable {name!r} is not a valid name (letters, digits, _ and . only, not starting with a digit)"})
    if problems:
        problems.sort(key=lambda pr: int(re.sub(r"\D", "", pr["location"]) or -1))
        raise SpecError(
            "The sem_lines of the spec cannot be used",
            problems,
            hint="write lavaan-style lines (e.g. 'x1 ~~ x2', 'visual ~~ 1*visual', 'g =~ visual + textual') "
            "naming only the spec's items and constructs.",
        )
    sem = [line for line in parsed if line is not None]

    # --- aliases: items whose id is also a construct id get their own name
    taken: set[str] = set()
    avoid = constructs | items | set(new_latents)
    alias_c: dict[str, str] = {}
    for k, c in enumerate(model.construct_ids):
        alias_c[c] = c if _IDENT.fullmatch(c) else _fresh(f"F{k + 1}_", taken, avoid)
        taken.add(alias_c[c])
    alias_i: dict[str, str] = {}
    for k, i in enumerate(model.item_ids):
        ok = _IDENT.fullmatch(i) and i not in constructs and i not in taken
        alias_i[i] = i if ok else _fresh(f"x{k + 1}_", taken, avoid)
        taken.add(alias_i[i])
    alias_l = {g: g for g in new_latents}
    for g in new_latents:
        if g in taken:
            raise SpecError("The sem_lines of the spec cannot be used",
                            [{"location": "sem_lines", "problem": f"new latent {g!r} clashes with a generated alias"}])

    def a_item(name: str) -> str:
        return alias_i[name]

    def a_any(name: str) -> str:
        # in sem_lines and covariances a name is a construct if it is one, else an item / new latent
        if name in constructs:
            return alias_c[name]
        if name in items:
            return alias_i[name]
        return alias_l[name]

    lines: list[str] = []
    order: dict[tuple[str, str, str], int] = {}
    measurement: set[tuple[str, str]] = set()

    def add(lhs: str, op: str, rhs: Sequence[tuple[str | None, str]], lhs_alias: str, rhs_alias: Sequence[str]) -> None:
        text = " + ".join((f"{m}*" if m is not None else "") + r for (m, _), r in zip(rhs, rhs_alias))
        lines.append(f"{lhs_alias} {op} {text}")
        for _, name in rhs:
            order.setdefault((lhs, op, name), len(order))

    lines.append("# measurement model (first loading fixed to 1)")
    mode_b = []
    single = []
    for cid, c in model.constructs.items():
        if c.mode == "B":
            mode_b.append(cid)
        add(cid, "=~", [(None, i) for i in c.item_ids], alias_c[cid], [a_item(i) for i in c.item_ids])
        measurement.update((cid, i) for i in c.item_ids)
        if len(c.item_ids) == 1:
            single.append(c.item_ids[0])
    if model.paths:
        lines.append("# structural model")
        for target in model.endogenous:
            sources = model.predecessors(target)
            add(target, "~", [(None, s) for s in sources], alias_c[target], [alias_c[s] for s in sources])
    if model.covariances:
        lines.append("# covariances of the spec")
        for cov in model.covariances:
            add(cov.source, "~~", [(None, cov.target)], a_any(cov.source), [a_any(cov.target)])

    # exogenous constructs: no path into them, not an indicator of a new latent, not regressed in sem_lines
    inbound = {p.target for p in model.paths}
    for line in sem:
        if line.op == "~":
            inbound.add(line.lhs)
        elif line.op == "=~":
            inbound.update(t.name for t in line.terms)
    exogenous = [c for c in model.construct_ids if c not in inbound]
    declared = {frozenset((c.source, c.target)) for c in model.covariances}
    declared |= {frozenset((line.lhs, t.name)) for line in sem if line.op == "~~" for t in line.terms}
    pairs = [(a, b) for k, a in enumerate(exogenous) for b in exogenous[k + 1:] if frozenset((a, b)) not in declared]
    if pairs:
        lines.append("# covariances of the exogenous constructs (free, as lavaan)" if model.paths
                     else "# covariances of the constructs (free, as lavaan's cfa())")
        for a, b in pairs:
            add(a, "~~", [(None, b)], alias_c[a], [alias_c[b]])
    fixed_by_user = {(line.lhs, t.name) for line in sem if line.op == "~~" for t in line.terms}
    single_fixed = [i for i in single if (i, i) not in fixed_by_user]
    if single_fixed:
        lines.append("# single-item constructs: residual variance fixed to 0")
        for i in single_fixed:
            add(i, "~~", [("0", i)], a_item(i), [a_item(i)])
    if sem:
        lines.append("# sem_lines of the spec")
        rename = {**{i: alias_i[i] for i in items}, **alias_c}
        for raw, line in zip(model.sem_lines, sem):
            names = [line.lhs] + [t.name for t in line.terms]
            verbatim = all(rename.get(x, x) == x for x in names)
            lines.append(raw.strip() if verbatim else line.render(rename))
            for t in line.terms:
                order.setdefault((line.lhs, line.op, t.name), len(order))
            if line.op == "=~":
                measurement.update((line.lhs, t.name) for t in line.terms)

    name_of = {v: k for k, v in alias_i.items()}
    name_of.update({v: k for k, v in alias_c.items()})
    name_of.update({v: k for k, v in alias_l.items()})
    header = []
    renamed = [(k, v) for k, v in list(alias_c.items()) + list(alias_i.items()) if k != v]
    if renamed:
        header.append("# names replaced by aliases (not valid identifiers or shared by an item and a construct):")
        header += [f"#   {v} = {k!r}" for k, v in renamed]
    return _Translation(
        text="\n".join(header + lines) + "\n",
        alias={**alias_c, **alias_l},
        item_alias=alias_i,
        name_of=name_of,
        measurement=frozenset(measurement),
        order=order,
        new_latents=tuple(new_latents),
        single_items=tuple(single),
        mode_b=tuple(mode_b),
    )


def model_description(model: Questionnaire) -> str:
    """The lavaan/semopy model text that :class:`CBSEM` estimates for ``model``.

    >>> import csi_survey as csi
    >>> print(model_description(csi.Questionnaire.build([csi.construct("F", ["a", "b", "c"])])), end="")
    # measurement model (first loading fixed to 1)
    F =~ a + b + c
    """
    return _translate(model).text


# ====================================================================== the engine
@contextmanager
def _quiet_semopy() -> Iterator[None]:
    """Drop semopy's log records (it logs to the root logger; the library never prints)."""
    import semopy

    root_dir = os.path.dirname(semopy.__file__)

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.pathname).startswith(root_dir)

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # semopy's logging.warn
            yield
    finally:
        root.removeFilter(keep)


@dataclass(frozen=True)
class CBSEM:
    """Covariance-based SEM engine (maximum likelihood, as lavaan): holds settings; :meth:`fit`
    returns a :class:`~csi_survey.results.CBSEMResults`.

    Parameters
    ----------
    model:
        The questionnaire spec (constructs, items, paths; ``covariances`` and ``sem_lines`` are
        used by this engine only). See the module docstring for the translation.
    max_iter:
        Maximum number of optimizer iterations (10,000, lavaan's ``iter.max``; ``--max-iter`` of
        ``csi-survey run``). Reaching it raises :class:`~csi_survey.exceptions.ConvergenceError`.
    tol:
        Convergence tolerance: the fit has converged when the decrease of the ML discrepancy F still
        predicted by a Fisher-scoring step (the Newton decrement) is at most ``tol · max(1, F)``
        (1e-10, lavaan's ``rel.tol``). See the module docstring.

    Example
    -------
    >>> import csi_survey as csi                                            # doctest: +SKIP
    >>> fit = csi.CBSEM(csi.load_model("model.yaml")).fit(data)             # doctest: +SKIP
    >>> fit.fit_measures.set_index("measure").loc[["chi2", "cfi", "rmsea"]]   # doctest: +SKIP
    """

    model: Questionnaire
    max_iter: int = MAX_ITER
    tol: float = TOL

    def __post_init__(self) -> None:
        if not isinstance(self.model, Questionnaire):
            raise SettingsError(f"model must be a Questionnaire (csi_survey.load_model); got {type(self.model).__name__}")
        if self.model.has_extensions:
            raise SettingsError(
                "this spec declares higher-order constructs or interactions, which the covariance-based engine does not estimate",
                hint="estimate it with PLS (the default engine: csi.HigherOrderPLS / csi.ModeratedPLS, or `csi-survey run`).",
            )
        if isinstance(self.max_iter, bool) or not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise SettingsError(f"max_iter must be a positive integer; got {self.max_iter!r}",
                                hint=f"pass max_iter={MAX_ITER} (the default) or another positive integer.")
        if isinstance(self.tol, bool) or not (isinstance(self.tol, (int, float, np.floating)) and math.isfinite(self.tol) and 0 < self.tol < 1):
            raise SettingsError(f"tol must be a number between 0 and 1 (exclusive); got {self.tol!r}",
                                hint=f"pass tol={TOL:g} (the default) or another small positive number.")

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "estimator": "ML",
            "optimizer": f"Fisher scoring, scipy {SOLVER}, lavaan starting values",
            "information": "expected",
            "covariance_divisor": "N",
            "max_iter": int(self.max_iter),
            "tol": float(self.tol),
        }

    @property
    def description(self) -> str:
        """The lavaan/semopy model text estimated for this spec."""
        return _translate(self.model).text

    def fit(self, data: Any):
        """Estimate the model on ``data`` (SurveyData or DataFrame) and return :class:`CBSEMResults`.

        Runs with one BLAS thread (:func:`~csi_survey.engine.threads.single_threaded_blas`): the
        matrices are small, and more threads only wait for each other (3–8 × slower on a busy machine)."""
        import semopy  # noqa: F401  (imported before the thread limit, so that the libraries it loads are limited too)

        with single_threaded_blas():
            return self._fit(data)

    def _fit(self, data: Any):
        model = self.model
        tr = _translate(model)
        notes: list[str] = []
        if tr.mode_b:
            msg = (f"covariance-based SEM estimates mode-B construct(s) {', '.join(tr.mode_b)} as common factors "
                   "(reflective measurement): a factor model has no composites; use PLS for formative constructs")
            warnings.warn(msg, MeasurementModelWarning, stacklevel=3)
            notes.append(msg)

        X, ids = item_matrix(model, data)
        n, p = X.shape
        S, sd1 = _sample_covariance(model, X)
        moments = p * (p + 1) // 2

        import semopy

        obs = [tr.item_alias[i] for i in model.item_ids]
        frame = pd.DataFrame(X, columns=obs)
        try:
            with _quiet_semopy():
                sem = semopy.Model(tr.text)
        except Exception as exc:  # semopy raises bare Exception/KeyError/SyntaxError
            raise EstimationError(
                f"semopy cannot build the model from the spec: {type(exc).__name__}: {exc}",
                hint=f"check the covariances and sem_lines of the spec; the model text was:\n{tr.text}",
            ) from None
        q = sum(1 for prm in sem.parameters.values() if prm.active)
        df = moments - q
        with _quiet_semopy():
            sem.load(data=frame, cov=pd.DataFrame(S, index=obs, columns=obs))
        table = _ParameterTable.build(sem, tr)

        if df < 0:
            sem.update_matrices(sem.param_vals)
            culprits = _null_parameters(sem, table)
            raise EstimationError(
                f"the model is not identified: it has {q} free parameters but the {p} items give only "
                f"{moments} variances and covariances (df = {df})"
                + (f"; parameters without a defined standard error: {', '.join(culprits)}" if culprits else ""),
                hint="remove free covariances or sem_lines, add items to the constructs, or fix parameters (e.g. 'a ~~ 0*b').",
            )

        ml = MLProblem(sem)
        x0 = lavaan_start_values(table.rows, model.item_ids, S, np.asarray(sem.param_vals, dtype=float))
        theta, iterations, history = ml.minimize(x0, int(self.max_iter))
        fun = ml.value(theta)
        decrement = ml.decrement(theta) if np.isfinite(fun) else np.inf
        converged = bool(np.isfinite(fun) and decrement <= float(self.tol) * max(1.0, fun))
        if not converged:
            if np.isfinite(theta).all():
                _raise_if_unidentified(sem, tr, theta, n)
            change = abs(history[-1] - history[-2]) if len(history) > 1 else np.nan
            why = (f"reached max_iter = {self.max_iter} iterations" if iterations >= self.max_iter
                   else f"stopped after {iterations} iterations (F fell by less than {STALL_TOL:g} · max(1, F) over the last "
                   f"{STALL_WINDOW} iterations, or no step decreased it any more)")
            bound = float(self.tol) * (max(1.0, fun) if np.isfinite(fun) else 1.0)
            raise ConvergenceError(
                f"ML estimation did not converge: the optimizer {why}; discrepancy F = {fun:.6g}, last change of F "
                f"{change:.3g}, decrease still predicted {decrement:.3g} (converged means ≤ {bound:.3g})",
                hint=(f"raise max_iter (CBSEM(model, max_iter=…); `--max-iter` of `csi-survey run`; now {self.max_iter}); "
                      if iterations >= self.max_iter else "")
                + "check the spec for constructs with weak or few items and for near-duplicate items; a model that "
                "does not fit the data at all may not converge.",
            )
        sem.update_matrices(theta)
        mats = _Matrices.of(sem)
        table.mats = mats
        info = _unit_information(sem, mats.sigma)  # per observation
        vcov = _inverse_information(info, n, table)

        table = table.with_estimates(theta, vcov)
        std = _standardize(table, mats, tr)
        params = table.frame(std)
        notes += _admissibility(params, mats, tr, model)
        notes += _near_degenerate(mats, tr, model)

        perm = [mats.observed.index(name) for name in obs]  # semopy sorts the observed variables
        fit_measures = _fit_measures(S, mats.sigma[np.ix_(perm, perm)], n, q, df)
        return _build_results(self, tr, X, ids, sd1, mats, table, params, fit_measures, int(iterations), tuple(notes))


# ====================================================================== numerics
def _sample_covariance(model: Questionnaire, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The biased sample covariance matrix (divisor N) and the item sd (divisor N − 1); checks it is PD."""
    n, p = X.shape
    if n < 2:
        raise EstimationError(f"covariance-based SEM needs at least 2 respondents; the data have {n}")
    Xc = X - X.mean(axis=0)
    S = (Xc.T @ Xc) / n
    S = (S + S.T) / 2
    var = np.diag(S).copy()
    flat = var <= 1e-12 * np.maximum(1.0, np.abs(X.mean(axis=0))) ** 2
    if flat.any():
        bad = [f"{model.item_ids[i]} (every answer {X[0, i]:g})" for i in np.flatnonzero(flat)]
        raise SingularMatrixError(
            f"item(s) with zero variance: {', '.join(bad)}",
            hint="an item with one answer for every respondent carries no information: remove it from its construct.",
        )
    sd = np.sqrt(var)
    R = S / np.outer(sd, sd)
    eig, vec = np.linalg.eigh(R)
    small = eig < COLLINEAR_RCOND * eig[-1]
    if small.any():
        involved: list[str] = []
        for k in np.flatnonzero(small):
            v = vec[:, k] / np.abs(vec[:, k]).max()
            involved += [model.item_ids[i] for i in np.flatnonzero(np.abs(v) > 0.05) if model.item_ids[i] not in involved]
        why = f"; there are fewer respondents ({n}) than items ({p})" if n <= p else ""
        raise SingularMatrixError(
            f"the sample covariance matrix of the items is not positive definite: items {', '.join(involved)} are "
            f"collinear (one is a linear combination of the others{why})",
            hint="remove duplicated items (the same column twice, or an item that is a sum of others) or collect more responses.",
        )
    return S, sd * math.sqrt(n / (n - 1))


@dataclass(frozen=True)
class _Matrices:
    """Model matrices at the estimate and the implied moments, by variable name (model text names)."""

    beta: np.ndarray
    lam: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    sigma: np.ndarray            # implied covariance of the observed variables
    inner_cov: np.ndarray        # implied covariance of the inner (latent/structural) variables
    inner: list[str]
    observed: list[str]

    @classmethod
    def of(cls, sem: Any) -> _Matrices:
        beta, lam, psi, theta = (np.array(m, dtype=float) for m in sem.matrices[:4])
        c = np.linalg.inv(np.eye(beta.shape[0]) - beta)
        inner_cov = c @ psi @ c.T
        sigma = lam @ inner_cov @ lam.T + theta
        return cls(beta, lam, psi, theta, (sigma + sigma.T) / 2, (inner_cov + inner_cov.T) / 2,
                   list(sem.names_beta[0]), list(sem.names_theta[0]))

    def variance(self, name: str) -> float:
        if name in self.observed:
            k = self.observed.index(name)
            return float(self.sigma[k, k])
        k = self.inner.index(name)
        return float(self.inner_cov[k, k])


def _unit_information(sem: Any, sigma: np.ndarray) -> np.ndarray:
    """Expected information per observation, ``½ tr(Σ⁻¹ ∂Σ/∂θᵢ Σ⁻¹ ∂Σ/∂θⱼ)`` (lavaan's default)."""
    _, (m, c) = sem.calc_sigma()
    grads = sem.calc_sigma_grad(m, c)
    if not grads:
        return np.zeros((0, 0))
    inv = np.linalg.inv(sigma)
    A = np.einsum("ab,kbc->kac", inv, np.stack([np.asarray(g, dtype=float) for g in grads]))
    info = 0.5 * np.einsum("iab,jba->ij", A, A)
    return (info + info.T) / 2


def _null_parameters(sem: Any, table: _ParameterTable, info: np.ndarray | None = None) -> list[str]:
    """Free parameters in the (near) null space of the information matrix: not identified."""
    if info is None:
        sigma, _ = sem.calc_sigma()
        info = _unit_information(sem, sigma)
    if info.size == 0:
        return []
    d = np.sqrt(np.clip(np.diag(info), 0, None))
    zero = d <= 1e-300
    safe = np.where(zero, 1.0, d)
    scaled = info / np.outer(safe, safe)
    scaled[zero, :] = 0
    scaled[:, zero] = 0
    eig, vec = np.linalg.eigh(scaled)
    null = eig < SINGULAR_RCOND * max(eig[-1], 1e-300)
    bad = set(np.flatnonzero(zero))
    for k in np.flatnonzero(null):
        v = vec[:, k] / np.abs(vec[:, k]).max()
        bad.update(np.flatnonzero(np.abs(v) > 0.1))
    return [table.free_label(k) for k in sorted(bad)]


def _raise_if_unidentified(sem: Any, tr: _Translation, theta: np.ndarray, n: int) -> None:
    """Where the optimizer stopped without converging: raise the identification error of
    :func:`_inverse_information` when the information matrix is singular there.

    On a ridge of the likelihood (parameters that the data cannot tell apart, e.g. two constructs
    correlated +1) an optimizer wanders and stops anywhere, converged or not, depending on the
    floating-point details of each step (the BLAS threads among them); the ridge itself is the
    finding to report, not the iteration limit. Any numerical failure of the check leaves the
    convergence error to the caller."""
    try:
        sem.update_matrices(theta)
        mats = _Matrices.of(sem)
        table = _ParameterTable.build(sem, tr)
        table.mats = mats
        info = _unit_information(sem, mats.sigma)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return
    _inverse_information(info, n, table)


def _inverse_information(info: np.ndarray, n: int, table: _ParameterTable) -> np.ndarray:
    """``vcov = (N · I₁)⁻¹``; raises EstimationError when the information matrix is singular."""
    if info.size == 0:
        return info
    culprits = _null_parameters(None, table, info)
    d = np.sqrt(np.clip(np.diag(info), 0, None))
    vcov = None
    if not culprits:
        try:
            scaled_inv = np.linalg.inv(info / np.outer(d, d))
            vcov = scaled_inv / np.outer(d, d) / n
        except np.linalg.LinAlgError:
            culprits = [table.free_label(k) for k in range(len(d))]
    if vcov is not None:
        var = np.diag(vcov)
        bad = np.flatnonzero(~np.isfinite(var) | (var <= 0))
        culprits = [table.free_label(k) for k in bad]
    if culprits:
        raise EstimationError(
            "the model is not identified on these data: the information matrix is singular, so these parameters "
            f"have no defined standard error: {', '.join(culprits)}"
            + _near_collinear_note(table),
            hint="the listed parameters cannot be told apart by the data: fix one of them, remove a path or "
            "covariance, or merge constructs that measure the same thing (a latent correlation near ±1).",
        )
    return vcov


def _near_collinear_note(table: _ParameterTable) -> str:
    mats = table.mats
    if mats is None:
        return ""
    lat = [k for k, name in enumerate(mats.inner) if name in table.latents_m]
    if len(lat) < 2:
        return ""
    V = mats.inner_cov[np.ix_(lat, lat)]
    d = np.sqrt(np.abs(np.diag(V)))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = V / np.outer(d, d)
    names = [table.tr.name_of.get(mats.inner[k], mats.inner[k]) for k in lat]
    pairs = [f"{names[a]}–{names[b]} ({R[a, b]:+.3f})" for a in range(len(lat)) for b in range(a + 1, len(lat))
             if np.isfinite(R[a, b]) and abs(R[a, b]) > 0.995]
    return f". Latent correlations near ±1 at the estimate: {', '.join(pairs)}" if pairs else ""


# ====================================================================== parameter table
@dataclass
class _ParameterTable:
    """Every parameter of the semopy model as (lhs, op, rhs) rows in lavaan's order."""

    rows: list[dict[str, Any]]
    tr: _Translation
    free_names: list[str]              # one label per free parameter (first row that uses it)
    latents: set[str] = field(default_factory=set)     # latent variables, spec ids
    latents_m: set[str] = field(default_factory=set)   # latent variables, model-text names
    mats: _Matrices | None = None

    @classmethod
    def build(cls, sem: Any, tr: _Translation) -> _ParameterTable:
        names = {id(sem.mx_beta): ("beta", sem.names_beta), id(sem.mx_lambda): ("lambda", sem.names_lambda),
                 id(sem.mx_psi): ("psi", sem.names_psi), id(sem.mx_theta): ("theta", sem.names_theta)}
        back = tr.name_of
        free_index = {}
        for name, prm in sem.parameters.items():
            if prm.active:
                free_index[name] = len(free_index)
        rows = []
        for name, prm in sem.parameters.items():
            for loc in prm.locations:
                kind, (rnames, cnames) = names[id(loc.matrix)]
                r, c = (back.get(v, v) for v in (rnames[loc.indices[0]], cnames[loc.indices[1]]))
                if kind in ("beta", "lambda"):
                    lhs, op, rhs = (c, "=~", r) if (c, r) in tr.measurement else (r, "~", c)
                else:
                    lhs, op, rhs = r, "~~", c
                lhs_m, rhs_m = ((cnames[loc.indices[1]], rnames[loc.indices[0]]) if op == "=~"
                                else (rnames[loc.indices[0]], cnames[loc.indices[1]]))
                rows.append({"lhs": lhs, "op": op, "rhs": rhs, "lhs_m": lhs_m, "rhs_m": rhs_m, "free": free_index.get(name),
                             "fixed": None if prm.active else float(prm.start), "name": name,
                             "matrix": kind, "index": tuple(int(i) for i in loc.indices)})
        latents = {back.get(v, v) for v in sem.vars["latent"]}
        table = cls(rows, tr, [], latents, set(sem.vars["latent"]))
        table._sort()
        labels: dict[int, str] = {}
        for row in table.rows:
            if row["free"] is not None:
                labels.setdefault(row["free"], f"{row['lhs']} {row['op']} {row['rhs']}")
        table.free_names = [labels[k] for k in range(len(free_index))]
        return table

    def _sort(self) -> None:
        tr = self.tr
        model_items = list(tr.name_of.values())
        item_pos = {name: k for k, name in enumerate(model_items)}

        def key(row: dict[str, Any]) -> tuple:
            lhs, op, rhs = row["lhs"], row["op"], row["rhs"]
            text = tr.order.get((lhs, op, rhs), tr.order.get((rhs, op, lhs), 10**6))
            if op == "=~":
                return (0, text)
            if op == "~":
                return (1, text)
            if lhs != rhs:
                return (2, text)
            section = 4 if lhs in self.latents else 3
            return (section, item_pos.get(lhs, 10**6), lhs)

        self.rows.sort(key=key)

    def free_label(self, k: int) -> str:
        return self.free_names[k]

    def with_estimates(self, theta: np.ndarray, vcov: np.ndarray) -> _ParameterTable:
        se = np.sqrt(np.diag(vcov)) if vcov.size else np.zeros(0)
        for row in self.rows:
            k = row["free"]
            row["estimate"] = float(theta[k]) if k is not None else row["fixed"]
            row["std_err"] = float(se[k]) if k is not None else np.nan
        return self

    def frame(self, std: list[float]) -> pd.DataFrame:
        est = np.array([r["estimate"] for r in self.rows], dtype=float)
        se = np.array([r["std_err"] for r in self.rows], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        pval = 2 * stats.norm.sf(np.abs(z))
        return pd.DataFrame({
            "lhs": [r["lhs"] for r in self.rows],
            "op": [r["op"] for r in self.rows],
            "rhs": [r["rhs"] for r in self.rows],
            "estimate": est,
            "std_estimate": np.asarray(std, dtype=float),
            "std_err": se,
            "z_value": z,
            "p_value": pval,
        })


def _standardize(table: _ParameterTable, mats: _Matrices, tr: _Translation) -> list[float]:
    """lavaan's ``std.all`` for every row (see the module docstring)."""
    var = mats.variance
    var_param = {r["lhs_m"]: r["estimate"] for r in table.rows if r["op"] == "~~" and r["lhs_m"] == r["rhs_m"]}
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in table.rows:
            lhs, op, rhs, est = r["lhs_m"], r["op"], r["rhs_m"], r["estimate"]
            if op == "=~":
                value = est * _sqrt(var(lhs)) / _sqrt(var(rhs))
            elif op == "~":
                value = est * _sqrt(var(rhs)) / _sqrt(var(lhs))
            elif lhs == rhs:
                v = var(lhs)
                value = est / v if abs(v) > np.finfo(float).eps else np.nan
            else:
                a, b = abs(var_param.get(lhs, np.nan)), abs(var_param.get(rhs, np.nan))
                value = est / math.sqrt(a * b) if a * b > 0 else np.nan
            out.append(float(value))
    return out


def _sqrt(v: float) -> float:
    return math.sqrt(v) if v > 0 else np.nan


def _admissibility(params: pd.DataFrame, mats: _Matrices, tr: _Translation, model: Questionnaire) -> list[str]:
    """Warn (AdmissibilityWarning) about negative variances and a non-PD construct covariance matrix."""
    notes = []
    variances = params[(params["op"] == "~~") & (params["lhs"] == params["rhs"]) & params["std_err"].notna()]
    negative = variances[variances["estimate"] < 0]
    if len(negative):
        listed = "; ".join(f"{r.lhs} ~~ {r.rhs} = {r.estimate:.3g}" for r in negative.itertuples())
        msg = (f"negative variance estimate(s) (Heywood case): {listed}. The solution is not admissible: "
               "likely causes are too few or weak items for a construct, an item that is almost the construct "
               "(standardized loading > 1), a misspecified model or a small sample")
        warnings.warn(msg, AdmissibilityWarning, stacklevel=4)
        notes.append(msg)
    construct_names = {tr.alias[c] for c in model.construct_ids}
    lat = [k for k, name in enumerate(mats.inner) if name in construct_names]
    if len(lat) > 1:
        V = mats.inner_cov[np.ix_(lat, lat)]
        eig = np.linalg.eigvalsh(V)
        if eig[0] < -1e-10 * max(abs(eig[-1]), 1e-300):
            d = np.sqrt(np.abs(np.diag(V)))
            R = V / np.outer(d, d)
            names = [tr.name_of.get(mats.inner[k], mats.inner[k]) for k in lat]
            worst = max(((a, b) for a in range(len(lat)) for b in range(a + 1, len(lat))), key=lambda ab: abs(R[ab]))
            msg = ("the model-implied covariance matrix of the constructs is not positive definite "
                   f"(largest latent correlation {names[worst[0]]}–{names[worst[1]]} = {R[worst]:+.3f}): "
                   "the solution is not admissible")
            warnings.warn(msg, AdmissibilityWarning, stacklevel=4)
            notes.append(msg)
    return notes


def _near_degenerate(mats: _Matrices, tr: _Translation, model: Questionnaire) -> list[str]:
    """Warn about construct pairs whose model-implied correlation is at least NEAR_DEGENERATE in absolute value."""
    construct_names = {tr.alias[c] for c in model.construct_ids}
    lat = [k for k, name in enumerate(mats.inner) if name in construct_names]
    if len(lat) < 2:
        return []
    V = mats.inner_cov[np.ix_(lat, lat)]
    d = np.sqrt(np.diag(V))
    if not (np.isfinite(d).all() and (d > 0).all()):
        return []  # a non-positive variance is reported by _admissibility
    R = V / np.outer(d, d)
    names = [tr.name_of.get(mats.inner[k], mats.inner[k]) for k in lat]
    order = {c: k for k, c in enumerate(model.construct_ids)}
    pairs = []
    for a in range(len(lat)):
        for b in range(a + 1, len(lat)):
            if abs(R[a, b]) >= NEAR_DEGENERATE:
                x, y = sorted((names[a], names[b]), key=lambda c: order.get(c, len(order)))
                pairs.append((-abs(R[a, b]), order.get(x, 0), order.get(y, 0), f"corr({x}, {y}) = {R[a, b]:.3f}"))
    if not pairs:
        return []
    listed = ", ".join(text for *_, text in sorted(pairs))
    msg = (f"near-degenerate solution: construct correlation(s) close to ±1 (|r| ≥ {NEAR_DEGENERATE}): {listed}. "
           "The solution is admissible, but these constructs are empirically almost the same (no discriminant "
           "validity): their paths have large standard errors and may change a lot with the data; consider "
           "merging them or revising their items")
    warnings.warn(msg, CsiSurveyWarning, stacklevel=4)
    return [msg]


def _fit_measures(S: np.ndarray, sigma: np.ndarray, n: int, q: int, df: int) -> pd.DataFrame:
    """lavaan's fit measures (module docstring) as a ``measure, value`` table."""
    p = S.shape[0]
    _, logdet_s = np.linalg.slogdet(S)
    _, logdet_sigma = np.linalg.slogdet(sigma)
    inv = np.linalg.inv(sigma)
    trace = float(np.einsum("ij,ji->", S, inv))
    F = max(logdet_sigma + trace - logdet_s - p, 0.0)
    chi2 = n * F
    pvalue = float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan
    base_chi2 = n * (float(np.sum(np.log(np.diag(S)))) - logdet_s)
    base_df = p * (p - 1) // 2
    t1 = max(chi2 - df, 0.0)
    t2 = max(chi2 - df, base_chi2 - base_df, 0.0)
    cfi = 1.0 if (math.isclose(t1, 0, abs_tol=1.5e-8) and math.isclose(t2, 0, abs_tol=1.5e-8)) else 1 - t1 / t2
    u1, u2 = (chi2 - df) * base_df, (base_chi2 - base_df) * df
    tli = 1 - u1 / u2 if (df > 0 and abs(u2) > 0) else 1.0
    rmsea = math.sqrt(max(chi2 / n / df - 1 / n, 0.0)) if df > 0 else 0.0
    lower, upper = _rmsea_ci(chi2, df, n)
    sd = np.sqrt(np.diag(S))
    resid = (S - sigma) / np.outer(sd, sd)
    srmr = math.sqrt(float(np.mean(resid[np.triu_indices(p)] ** 2)))
    logl = -n / 2 * (p * math.log(2 * math.pi) + logdet_sigma + trace)
    unrestricted = -n / 2 * (p * math.log(2 * math.pi) + logdet_s + p)
    values = {
        "chi2": chi2, "df": df, "p_value": pvalue, "cfi": cfi, "tli": tli, "rmsea": rmsea,
        "rmsea_ci_lower": lower, "rmsea_ci_upper": upper, "srmr": srmr,
        "aic": -2 * logl + 2 * q, "bic": -2 * logl + q * math.log(n), "logl": logl,
        "n": n, "npar": q, "baseline_chi2": base_chi2, "baseline_df": base_df,
        "unrestricted_logl": unrestricted, "bic2": -2 * logl + q * math.log((n + 2) / 24),
    }
    return pd.DataFrame({"measure": list(values), "value": [float(v) for v in values.values()]})


def _rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Browne & Cudeck's interval for the RMSEA, computed as lavaan's ``lav_fit_rmsea_ci``."""
    if df < 1 or not np.isfinite(chi2):
        return 0.0, 0.0
    hi_p, lo_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.ncx2.cdf(chi2, df, lam)) if lam > 0 else float(stats.chi2.cdf(chi2, df))

    if cdf(0.0) - hi_p < 0:
        lower = 0.0
    else:
        lam = optimize.brentq(lambda x: cdf(x) - hi_p, 0.0, chi2, xtol=1e-12)
        lower = math.sqrt(lam / (n * df))
    cap = max(n, 4 * chi2)
    if cdf(cap) - lo_p > 0 or cdf(0.0) - lo_p < 0:
        upper = 0.0
    else:
        lam = optimize.brentq(lambda x: cdf(x) - lo_p, 0.0, cap, xtol=1e-12)
        upper = math.sqrt(lam / (n * df))
    return lower, upper


# ====================================================================== tidy results
def _build_results(engine: CBSEM, tr: _Translation, X: np.ndarray, ids: pd.Series | None, sd1: np.ndarray,
                   mats: _Matrices, table: _ParameterTable, params: pd.DataFrame, fit_measures: pd.DataFrame, iterations: int,
                   notes: tuple[str, ...]):
    model = engine.model
    cids, items = model.construct_ids, model.item_ids
    n, p = X.shape
    J = len(cids)
    inner_m = {v: k for k, v in enumerate(mats.inner)}
    inner_pos = {c: inner_m[tr.alias[c]] for c in cids}
    obs_m = {v: k for k, v in enumerate(mats.observed)}
    obs_pos = {i: obs_m[tr.item_alias[i]] for i in items}
    sd_inner = np.sqrt(np.clip(np.diag(mats.inner_cov), 0, None))

    # standardized structural coefficients of the inner variables, [target, source]
    with np.errstate(divide="ignore", invalid="ignore"):
        B_std = mats.beta * sd_inner[None, :] / sd_inner[:, None]
    B_std = np.nan_to_num(B_std)
    structural = params[params["op"] == "~"]
    std_of = {(r.lhs, r.rhs): r.std_estimate for r in structural.itertuples()}
    paths = pd.DataFrame({
        "source": [pth.source for pth in model.paths],
        "target": [pth.target for pth in model.paths],
        "estimate": [float(std_of.get((pth.target, pth.source), np.nan)) for pth in model.paths],
    })

    # effects over the inner variables, reported for pairs of constructs with a directed route
    m = len(mats.inner)
    total_all = np.linalg.inv(np.eye(m) - B_std) - np.eye(m)
    adj = np.zeros((m, m))  # [source, target]: the regressions ('~') between inner variables
    for row in table.rows:
        if row["op"] == "~" and row["matrix"] == "beta":
            adj[row["index"][1], row["index"][0]] = 1.0
    reach_all = np.linalg.matrix_power(np.eye(m) + adj, max(m, 1)) > 0
    cpos = np.array([inner_pos[c] for c in cids])
    reach = reach_all[np.ix_(cpos, cpos)]
    np.fill_diagonal(reach, False)
    src, tgt = np.nonzero(reach)
    order = np.lexsort((tgt, src))
    src, tgt = src[order], tgt[order]
    direct = np.array([B_std[cpos[t], cpos[s]] for s, t in zip(src, tgt)], dtype=float)
    total = np.array([total_all[cpos[t], cpos[s]] for s, t in zip(src, tgt)], dtype=float)
    effects = pd.DataFrame({
        "source": [cids[i] for i in src],
        "target": [cids[j] for j in tgt],
        "direct_effect": direct,
        "indirect_effect": total - direct,
        "total_effect": total,
    })

    # factor-score weights: b_j ∝ Σ_jj⁻¹ Cov(x_j, η_j)
    cov_x_eta = mats.lam @ mats.inner_cov  # observed × inner
    Xc = X - X.mean(axis=0)
    R = np.corrcoef(X, rowvar=False) if p > 1 else np.ones((1, 1))
    W = np.zeros((p, J))  # weights of standardized items, composite variance 1
    for j, cid in enumerate(cids):
        idx = [items.index(i) for i in model.constructs[cid].item_ids]
        oi = [obs_pos[i] for i in model.constructs[cid].item_ids]
        b = np.linalg.solve(mats.sigma[np.ix_(oi, oi)], cov_x_eta[oi, inner_pos[cid]])
        w = b * sd1[idx]
        w = w / math.sqrt(float(w @ R[np.ix_(idx, idx)] @ w))
        W[idx, j] = w
    raw = W / sd1[:, None]
    scores = Xc @ raw
    iw = index_weights(model, raw)
    XT = np.ascontiguousarray(X.T)
    s100 = respondent_indices(XT, iw)
    s100[:, ~iw.has_index] = np.nan

    loading = {(r.lhs, r.rhs): r.std_estimate for r in params[params["op"] == "=~"].itertuples()}
    construct_idx = [cids.index(model.construct_of[i]) for i in items]
    weights = pd.DataFrame({
        "construct": [model.construct_of[i] for i in items],
        "item": items,
        "weight": W[np.arange(p), construct_idx],
        "loading": [float(loading.get((model.construct_of[i], i), np.nan)) for i in items],
        "index_weight": iw.normalized,
    })

    endo = model.endogenous
    r2v = np.array([1 - mats.psi[inner_pos[c], inner_pos[c]] / mats.inner_cov[inner_pos[c], inner_pos[c]] for c in endo], dtype=float)
    k = np.array([len(model.predecessors(c)) for c in endo])
    with np.errstate(divide="ignore", invalid="ignore"):
        r2_adj = np.where(n - k - 1 > 0, 1 - (1 - r2v) * (n - 1) / (n - k - 1), np.nan)
    r2 = pd.DataFrame({"construct": endo, "r2": r2v, "r2_adj": r2_adj})

    if ids is None:
        ids = pd.Series(np.arange(2, n + 2), name="respondent_id")
    ids = pd.Series(np.asarray(ids), name="respondent_id")
    return CBSEMResults(
        model=model,
        settings=dict(engine.settings),
        n=n,
        iterations=iterations,
        index=index_table(model, s100, iw.has_index),
        paths=paths,
        effects=effects,
        weights=weights,
        r2=r2,
        scores=pd.DataFrame(scores, columns=cids),
        scores_100=pd.DataFrame(s100, columns=cids),
        respondent_id=ids,
        notes=notes,
        parameters=params,
        fit_measures=fit_measures,
        description=tr.text,
    )
