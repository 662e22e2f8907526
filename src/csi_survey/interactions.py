"""Moderation in PLS path models: interaction terms between constructs, simple slopes, bootstrap.

A moderator M changes the effect of a construct X (the *iv*) on a target Y. The structural
equation gains the interaction term X·M:

    Y = b_X·X + b_M·M + b_XM·(X·M) + …                                             (1)

so that the effect of X on Y at a moderator level m (in standard deviations of M) is the
*simple slope* ``b_X + b_XM·m``. PLS has no product of latent variables, so the term X·M is
built as a construct of its own ("Image*Expectation", id ``f"{iv}*{moderator}"``) with indicators
made from the data, and the model with that construct is estimated as any PLS model
(:mod:`csi_survey.engine.pls`). Three ways to build the indicators (R ``seminr::interaction_term(iv,
moderator, method)``; all three as seminr 2.3.4 does them):

``product_indicator`` (Chin, Marcolin & Newsted 2003; "standardized product indicator" of
Henseler & Chin 2010)
    every iv item times every moderator item, both column-standardized (mean 0, sd with n − 1):
    ``z_ij = x̃_i · m̃_j`` for all pairs, named ``IMAG1*CUEX1`` (iv item outer, moderator item
    inner, in item order).
``orthogonal`` (Little, Bovaird & Widaman 2006; Henseler & Chin 2010)
    each ``z_ij`` above replaced by its OLS residual (with intercept) on *all* iv and moderator
    items, so the interaction indicators are uncorrelated with the main-effect items.
``two_stage`` (Henseler & Chin 2010; the default here, as recommended by Becker, Ringle &
Sarstedt 2018 for most settings)
    stage 1 estimates the model without interaction terms (the ordinary paths only); the single
    indicator ``Image*Expectation_intxn`` is the product ``ξ·η`` of the unit-variance stage-1
    scores of iv and moderator. Stage 2 re-estimates every construct of the full model.

The interaction term is a composite of its indicators (mode A by default, seminr's ``weights =
mode_A``; mode B is allowed) and has no incoming path.

**Scale of the interaction term (two conventions).** PLS scores have unit variance. A product of
two standardized variables does not: with a unit-variance interaction term the coefficient b_XM
in (1) is not the one for which ``b_X + b_XM·m`` is the slope of X at M = m. seminr therefore
rescales the interaction score after convergence (``adjust_interaction``, citing Henseler & Chin
2010):

    adj = Σ_i sd(z_i)·|l_i| / Σ_i |l_i|                                            (2)

with z_i the raw interaction indicators as built above (sd with n − 1) and l_i their
correlations with the (unit-variance) interaction score. The score is multiplied by adj, so

* interaction loadings are ``adj × correlation`` (cov(standardized item, rescaled score));
* the interaction path is ``b_unit / adj``, b_unit being the path of the unit-variance term;
* its direct, indirect and total effects are divided by adj as well;
* all other paths, R², weights and the correlation tables are unchanged.

For ``two_stage``, adj is exactly sd(ξ·η), so the rescaled path is exactly the coefficient of the
(centred) product of the standardized scores, for which the simple-slope formula holds; for the
indicator methods adj is a loading-weighted average of the indicator sds, an approximation of
the same. **The tables (``paths``, ``effects``, ``weights.loading``, ``scores``, the simple slopes)
use seminr's rescaled convention** — it is the one the simple-slope analysis needs and the one
seminr reports. The path of the unit-variance term (cSEM's convention, comparable in size with
the other standardized paths) is reported beside it as ``estimate_unit_variance`` in
``interaction_effects`` (and ``path_unit_variance`` in the bootstrap). ``cross_loadings``,
``construct_correlations`` and ``item_correlations`` stay correlations (they do not depend on the
scale of a score). Outer weights are those of the unit-variance composite (as seminr's).

**Simple slopes** (seminr ``slope_analysis``): for each interaction path X·M → Y,

    slope(m) = b_X + b_XM·m,             m ∈ {−1, 0, +1}  (moderator at −1 SD, mean, +1 SD)
    ŷ(x, m) = b_X·x + b_XM·x·m + b_M·m,   x, m ∈ {−1, 0, +1}  (the 9 points of the plot; no intercept)

with b_XM the rescaled interaction path. **Effect size** (Cohen's f², as seminr's ``fSquared``):
``f² = (R²_with − R²_without)/(1 − R²_with)``, R²_without from re-estimating the model without
that interaction path (and without the interaction term when it has no other path); Kenny (2018)
suggests 0.005, 0.01 and 0.025 as small, medium and large for interaction effects.

**How a fit is computed.** Stage 1 (two-stage terms) needs only the unit-variance scores of the
model without interaction terms: the PLS core on its item correlations
(:func:`~csi_survey.engine.pls.pls_core`; ``ModerationResults.stage1``,
the full ``PLS`` fit, is built when first read). Stage 2 and the f² models run as one batch on the
item correlations of [items, interaction indicators] (:func:`~csi_survey.engine.pls.pls_core_batch`
with one structural model per entry: the model, then each variant without one interaction path; a
term left without paths in its variant gets indicators uncorrelated with every other item and with
each other, so it keeps its starting weights and changes no other construct — the same numbers as
the model without the term). The rescaling (2) is applied to the core (paths, total effects,
loadings, scores) before the tables are built, once. The numbers equal separate fits of each model
up to floating-point rounding (≲ 1e-15; tested).

**The main effects must be in the model**: every interaction path X·M → Y needs the paths X → Y
and M → Y (Becker, Ringle & Sarstedt 2018; Hair et al. 2017): without them the interaction
coefficient absorbs the omitted main effect, and the simple slopes are not defined.

**No 0–100 index for an interaction term.** The index of a construct is its weighted item mean
rescaled from the items' response scale to 0–100 (:mod:`csi_survey.index`). Interaction
indicators have no response scale: they are products of standardized items (or residuals, or a
product of standardized scores) with mean ≈ cov(X, M) by construction, so their "level" is a
correlation, not a satisfaction level. The index (and ``scores_100``) of an interaction term is
NaN; the indices of the ordinary constructs come from their weights in the moderated model.

Survey weights: standardization, the orthogonalizing regression (weighted least squares) and
the stage-1 fit use the survey weights as the PLS engine does (frequency-weight convention with
the weights rescaled to mean 1, divisor Σw − 1 = n − 1); seminr has no survey weights. For integer
weights every correlation-based number (weights, correlation loadings, unit-variance paths, R²,
indices) equals the fit of the data with each row repeated wₙ times; adj is an sd, so it and the
rescaled interaction paths differ from that by the factor √((n − 1)N / (n(N − 1))), N = Σw (tested).

**Bootstrap** (:func:`bootstrap_moderation`, as ``seminr::bootstrap_model``, which re-runs
``estimate_pls`` on the resampled raw data): the interaction indicators are rebuilt inside every
resample (standardized with the resample's means and sds, residualized by the resample's
regression, stage 1 re-estimated), exactly, but without materializing the resamples. Every
interaction indicator is an affine function of the fixed columns

    U = [x_1 … x_p,  x_i·x_j for each iv item i and moderator item j]   (items centred)

with coefficients that depend on the resample: for resample b with item means μ_b and sds s_b,
``z_ij = (x_i·x_j − μ_bj·x_i − μ_bi·x_j + const)/(s_bi·s_bj)``; the orthogonal residual is
``z − β_bᵀ g`` with β_b = Σ_b(g, g)⁻¹ Σ_b(g, z) (g the iv and moderator items); the two-stage
indicator is ``ξη = Σ_ij w_i w_j z_ij`` with w the resample's stage-1 weights. Hence
``z = A_b u + c_b`` and the resample's covariance matrix of [items, interaction indicators] is
``A_b Σ_b(U) A_bᵀ``, where Σ_b(U) comes from count-weighted moments (up to fourth order in the
items) of U — one matrix product for all resamples (:func:`csi_survey.engine.resample.count_moments`).
The PLS algorithm then runs on all resamples at once
(:func:`~csi_survey.engine.pls.pls_core_batch`; for two_stage, stage 1 too). The result equals a
refit of the resampled rows up to floating-point rounding (tested). Resample b draws its
respondents from ``SeedSequence(seed).spawn(resamples)[b]`` as :func:`csi_survey.bootstrap` does,
so a seed gives the same resamples there and here. Percentile intervals; std_err = sd of the
draws (n − 1); t = estimate / std_err and a two-sided p from Student's t with B − 1 df, as
SmartPLS and :mod:`csi_survey.engine.bootstrap`. Statistics: every path (rescaled), total effect,
outer weight, loading, R², the 0–100 indices of the ordinary constructs, adj, the unit-variance
interaction paths and the simple slopes. As seminr and :func:`csi_survey.bootstrap`, no sign
correction is applied: a weak interaction term measured by many indicators (typically
orthogonalized ones) can come out with reversed weights in some resamples, which widens and
distorts its intervals; ``interaction_terms.orientation_agreement`` (share of resamples whose
weights w_b satisfy w_bᵀŵ > 0) flags it — e.g. ≈ 0.75 for an orthogonal PQ×PV term on mobi, always 1
for two-stage terms (single indicator, positive weight). The two-stage method avoids the problem.

**In the spec** (:mod:`csi_survey.schema`): ``interactions: [IMG*EXP, {iv: PQ, moderator: PV, method:
orthogonal, mode: A, targets: [SAT]}]`` declares the terms, and ``paths`` may name a term as a
source (``[IMG*EXP, SAT]`` or ``"IMG*EXP -> SAT"``); a term's paths are its ``targets`` plus the
paths from it, else (neither given) one path to every construct both its iv and moderator point
to. ``ModeratedPLS(model)`` reads them; the checks (:func:`validate`) are the spec's own
(:mod:`csi_survey.spec_checks`), so a spec file reports them with file and line.

Convergence: seminr stops when the *sum* of absolute weight changes is below 1e-7; this engine
stops on the *largest* change (``tol``, 1e-7 as SmartPLS). Use ``tol=1e-10`` to agree with
seminr's published numbers to 1e-6 (the tests do).

References: Chin, Marcolin & Newsted (2003), Information Systems Research 14(2), 189–217;
Little, Bovaird & Widaman (2006), Structural Equation Modeling 13(4), 497–519; Henseler & Chin
(2010), Structural Equation Modeling 17(1), 82–109; Becker, Ringle & Sarstedt (2018), Journal of
Applied Structural Equation Modeling 2(2), 1–21; Hair, Hult, Ringle & Sarstedt (2017), *A Primer
on PLS-SEM*, 2nd ed., ch. 7; Kenny (2018), *Moderation* (davidakenny.net/cm/moderation.htm).
R equivalents: ``seminr::interaction_term()``, ``seminr::slope_analysis()``,
``seminr::bootstrap_model()``.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .engine.bootstrap import INFERENCE_COLUMNS, attach_intervals, batched_bootstrap, bootstrap_data
from .engine.pls import (
    NOT_CONVERGED,
    OK,
    PLS,
    SCHEMES,
    SINGULAR,
    ItemMoments,
    PLSCore,
    item_matrix,
    item_moments,
    pls_core,
    pls_core_batch,
)
from .engine.resample import construct_blocks, count_moments
from .exceptions import (
    EstimationError,
    IndexWarning,
    SettingsError,
    SingularMatrixError,
    SpecError,
    check_choice,
    check_count,
)
from .index import indices_from_means
from .ingest.weights import check_weight_array, estimation_weight
from .results import PLSResults, Summary, build_pls_results
from .schema import Questionnaire
from .spec_checks import (
    INTERACTION_METHODS,
    format_location,
    interaction_path_problems,
    interaction_structure,
    structural_problems,
)

__all__ = [
    "METHODS",
    "LEVELS",
    "Interaction",
    "ModeratedPLS",
    "ModerationResults",
    "validate",
    "format_location",
    "bootstrap_moderation",
]

#: How the indicators of an interaction term are built.
METHODS = INTERACTION_METHODS
#: Moderator levels of the simple slopes, in standard deviations of the moderator.
LEVELS = (-1.0, 0.0, 1.0)
Method = Literal["product_indicator", "orthogonal", "two_stage"]

#: Memory budget (bytes) of one batch of the moderation bootstrap: a batch holds a few B × d × d arrays
#: (d = items + item products). Large batches pay the Python overhead of a PLS iteration once for
#: many resamples (a batch iterates until its slowest resample converges).
_BATCH_BYTES = 2**27


# ====================================================================== specification
@dataclass(frozen=True)
class Interaction:
    """An interaction term ``iv × moderator`` (seminr ``interaction_term(iv, moderator, method)``).

    Parameters
    ----------
    iv, moderator:
        Construct ids of the model. The term's id (its construct id) is ``f"{iv}*{moderator}"``.
    method:
        ``"two_stage"`` (default), ``"product_indicator"`` or ``"orthogonal"`` (see the module
        docstring). seminr's default is ``product_indicator``.
    mode:
        Outer weights of the term's indicators: ``"A"`` (correlation weights, seminr's default)
        or ``"B"``.
    targets:
        Constructs the term has a path to. Empty (default): every construct that both the iv
        and the moderator have a path to. Must stay empty when ``ModeratedPLS(paths=…)`` gives
        the full structural model (the term's paths are then written there).
    """

    iv: str
    moderator: str
    method: Method = "two_stage"
    mode: Literal["A", "B"] = "A"
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("iv", "moderator"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise SettingsError(f"Interaction {name} must be a construct id (a non-empty string); got {value!r}")
        check_choice("method", self.method, METHODS)
        mode = self.mode.upper() if isinstance(self.mode, str) else self.mode
        check_choice("mode", mode, ("A", "B"))
        object.__setattr__(self, "mode", mode)
        targets = (self.targets,) if isinstance(self.targets, str) else tuple(self.targets)
        if not all(isinstance(t, str) and t for t in targets):
            raise SettingsError(f"Interaction targets must be construct ids; got {self.targets!r}")
        object.__setattr__(self, "targets", targets)

    @property
    def id(self) -> str:
        """The construct id of the term, e.g. ``"Image*Expectation"``."""
        return f"{self.iv}*{self.moderator}"

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> Interaction:
        """From a mapping ``{iv, moderator, method?, mode?, targets?}`` (the shape of a spec entry)."""
        unknown = set(spec) - {"iv", "moderator", "method", "mode", "targets"}
        if unknown:
            raise SettingsError(f"unknown interaction key(s) {', '.join(sorted(map(str, unknown)))}",
                                hint="an interaction has the keys iv, moderator, method, mode and targets.")
        return cls(**dict(spec))


def _as_path(value: Any) -> tuple[str, str] | None:
    if hasattr(value, "source") and hasattr(value, "target"):
        return str(value.source), str(value.target)
    if isinstance(value, str) and "->" in value:
        s, _, t = value.partition("->")
        return s.strip(), t.strip()
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def _model_paths(model: Questionnaire, terms: Sequence[Interaction | None]) -> list[tuple[tuple, str, str]]:
    """The model's paths with their locations, but those from interaction terms of the spec that
    ``terms`` does not declare (explicit terms replace the spec's)."""
    ids = {t.id for t in terms if t is not None}
    dropped = set(model.interaction_ids) - ids
    return [(("paths", k), p.source, p.target) for k, p in enumerate(model.paths) if p.source not in dropped]


def _structural_paths(model: Questionnaire, terms: Sequence[Interaction],
                      paths: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """The full structural model: ``paths`` as given, or the model's paths plus each term's targets
    (or default targets, :func:`csi_survey.spec_checks.interaction_structure`)."""
    if paths is not None:
        return list(paths)
    located, _ = interaction_structure(model.construct_ids, _model_paths(model, terms), terms, full=False)
    return [(s, t) for _, s, t in located]


def validate(
    model: Questionnaire,
    interactions: Sequence[Interaction | Mapping[str, Any]],
    paths: Sequence[Any] | None = None,
) -> list[tuple[tuple, str]]:
    """Every problem of a moderation spec, as ``(location, problem)`` pairs (empty when valid).

    ``location`` is a path tuple in the spec, as :mod:`csi_survey.schema` uses internally:
    ``("interactions", 0, "moderator")``, ``("interactions", 1, "targets", 0)`` or ``("paths", 5)``
    (:func:`format_location` renders it). ``interactions`` holds :class:`Interaction` objects or
    mappings ``{iv, moderator, method, mode, targets}`` (a spec's ``interactions:`` entries);
    ``paths`` is the full structural model (None: the model's paths plus each term's targets).
    Each problem says how to fix it. The checks are those the spec runs
    (:mod:`csi_survey.spec_checks`).
    """
    problems: list[tuple[tuple, str]] = []
    terms: list[Interaction | None] = []
    for k, spec in enumerate(interactions):
        loc = ("interactions", k)
        if isinstance(spec, Interaction):
            terms.append(spec)
            continue
        if not isinstance(spec, Mapping):
            problems.append((loc, f"an interaction is a mapping {{iv: …, moderator: …}}; got {spec!r}"))
            terms.append(None)
            continue
        missing = [key for key in ("iv", "moderator") if key not in spec]
        for key in missing:
            problems.append((loc, f"required field {key!r} is missing (write {{iv: X, moderator: M}})"))
        try:
            terms.append(None if missing else Interaction.from_mapping(spec))
        except SettingsError as exc:
            key = next((k2 for k2 in ("method", "mode", "targets", "iv", "moderator")
                        if re.search(rf"\b{k2}\b", str(exc.message))), None)
            problems.append((loc + ((key,) if key else ()), exc.message + (f"; {exc.hint}" if exc.hint else "")))
            terms.append(None)

    cids = model.construct_ids
    full = paths is not None
    if paths is None:
        located = _model_paths(model, terms)
    else:
        located = []
        for k, value in enumerate(paths):
            pair = _as_path(value)
            if pair is None:
                problems.append((("paths", k), f"a path is a pair [source, target]; got {value!r}"))
                continue
            located.append((("paths", k), *pair))
    hocs = [(hid, h.dimensions) for hid, h in model.higher_order.items()]
    located, more = interaction_structure(cids, located, terms, full=full, higher_order_ids=model.higher_order_ids)
    problems += more
    problems += structural_problems(cids, located, hocs, [t.id for t in terms if t is not None])
    problems += interaction_path_problems(cids, located, terms, full=full, higher_order_ids=model.higher_order_ids)
    return problems


def _raise_problems(problems: list[tuple[tuple, str]]) -> None:
    if problems:
        error = SpecError(
            "The moderation spec is invalid",
            [{"location": format_location(loc), "problem": msg} for loc, msg in problems],
            hint="correct each listed interaction or path and run again.",
        )
        error.raw_problems = problems
        raise error


def _expanded_model(model: Questionnaire, terms: Sequence[Interaction], indicators: Mapping[str, list[str]],
                    paths: Sequence[tuple[str, str]]) -> Questionnaire:
    """The model with the interaction terms as constructs (their items have no scale: no index)."""
    data = _first_order_dump(model)
    for cid, c in data["constructs"].items():
        for item in c["items"]:
            scale = model.item_scale(item["id"])
            item["scale"] = None if scale is None else {"min": scale.min, "max": scale.max}
    data["scale"] = None
    for term in terms:
        entry: dict[str, Any] = {
            "items": list(indicators[term.id]), "mode": term.mode,
            "label": f"{model.label(term.iv)} × {model.label(term.moderator)}",
        }
        data["constructs"][term.id] = entry
    data["paths"] = [{"source": s, "target": t} for s, t in paths]
    return Questionnaire.from_dict(data, source="<moderated model>")


def _first_order_dump(model: Questionnaire) -> dict[str, Any]:
    """The spec as a mapping without its model extensions (the internal models declare the terms as constructs)."""
    data = model.model_dump()
    for key in ("higher_order", "higher_order_method", "interactions"):
        data.pop(key, None)
    return data


def _stage1_model(model: Questionnaire, paths: Sequence[tuple[str, str]], ids: set[str]) -> Questionnaire:
    data = _first_order_dump(model)
    data["paths"] = [{"source": s, "target": t} for s, t in paths if s not in ids]
    return Questionnaire.from_dict(data, source="<stage-1 model>")


def _indicator_names(model: Questionnaire, term: Interaction) -> list[str]:
    if term.method == "two_stage":
        return [f"{term.id}_intxn"]
    return [f"{a}*{b}" for a in model.constructs[term.iv].item_ids for b in model.constructs[term.moderator].item_ids]


# ====================================================================== results
@dataclass(frozen=True, kw_only=True, repr=False)
class ModerationResults(PLSResults):
    """A moderated PLS fit (:meth:`ModeratedPLS.fit`): the fit of the model with the interaction
    terms as constructs, plus the moderation tables.

    ``model`` is that expanded model (interaction terms are constructs ``"iv*moderator"`` whose
    items are the interaction indicators); ``base_model`` the questionnaire without them. The
    tables of :class:`~csi_survey.results.PLSResults` follow seminr's rescaled convention for the
    interaction terms (see the module docstring): ``paths``, ``effects``, ``weights.loading`` and
    ``scores`` of an interaction term use the rescaled score; ``index``/``scores_100`` are NaN for
    interaction terms.

    interaction_terms
        ``construct, iv, moderator, method, mode, n_indicators, adjustment`` — adjustment = adj of
        formula (2), the sd of the rescaled interaction score; after :func:`bootstrap_moderation`
        also ``orientation_agreement`` (module docstring, "Bootstrap").
    interaction_effects
        one row per interaction path: ``source, target, iv, moderator, method, estimate``
        (rescaled, = ``paths``), ``estimate_unit_variance`` (path of the unit-variance term),
        ``adjustment``, ``f_square``; after :func:`bootstrap_moderation` also ``std_err, t_value,
        p_value, ci_lower, ci_upper`` of ``estimate``.
    slopes
        simple slopes: ``interaction, iv, moderator, target, moderator_level, estimate`` (slope of
        iv on target at moderator = −1, 0, +1 SD); bootstrapped: ``std_err, t_value, p_value,
        ci_lower, ci_upper``.
    slope_plot
        the 9 points per interaction path of the simple-slope plot: ``interaction, iv, moderator,
        target, iv_level, moderator_level, estimate`` (ŷ = b_iv·x + b_int·x·m + b_mod·m).
    stage1
        the stage-1 fit (the model without interaction terms) when a term is two-stage, else None;
        built when first read (the estimation itself needs only the stage-1 scores, computed from
        the PLS core). ``stage1_model`` is its spec.
    """

    base_model: Questionnaire
    interactions: tuple[Interaction, ...]
    interaction_terms: pd.DataFrame
    interaction_effects: pd.DataFrame
    slopes: pd.DataFrame
    slope_plot: pd.DataFrame
    stage1_model: Questionnaire | None = None
    _stage1_items: np.ndarray | None = field(default=None, repr=False, compare=False)  # the data of the stage-1 fit

    @property
    def stage1(self) -> PLSResults | None:
        """The stage-1 fit (``PLS(stage1_model).fit`` of the base items), built on first access; None
        without two-stage terms."""
        if self.stage1_model is None or self._stage1_items is None:
            return None
        fit = self.__dict__.get("_stage1_fit")
        if fit is None:
            engine = PLS(self.stage1_model, scheme=self.settings["scheme"], scaled=True,
                         max_iter=self.settings["max_iter"], tol=self.settings["tol"])
            with warnings.catch_warnings():  # its indices are not reported: the second stage's are
                warnings.simplefilter("ignore", IndexWarning)
                fit = engine.fit(pd.DataFrame(self._stage1_items, columns=self.stage1_model.item_ids), weight=self.weight)
            object.__setattr__(self, "_stage1_fit", fit)  # a cache, not a field
        return fit

    def __repr__(self) -> str:
        terms = ", ".join(f"{t.id} ({t.method})" for t in self.interactions)
        return f"<ModerationResults {self.base_model.name!r}: n={self.n}, {terms}>"

    @property
    def adjustment(self) -> dict[str, float]:
        """Interaction id → adj (formula (2)): the sd of seminr's rescaled interaction score."""
        return dict(zip(self.interaction_terms["construct"], self.interaction_terms["adjustment"].astype(float)))

    @property
    def engine_description(self) -> str:
        methods = ", ".join(f"{t.id} ({t.method.replace('_', ' ')})" for t in self.interactions)
        return f"{super().engine_description}; moderation: {methods}"

    def _summary_tables(self) -> dict[str, pd.DataFrame]:
        tables = dict(super()._summary_tables())
        tables["Interaction terms"] = self.interaction_terms
        tables["Interaction effects (paths of the rescaled term; unit-variance path beside)"] = self.interaction_effects
        tables["Simple slopes (moderator at −1 SD, mean, +1 SD)"] = self.slopes
        return tables

    def summary(self) -> Summary:
        out = super().summary()
        return Summary(title="csi-survey moderation results", info=out.info, tables=out.tables)


# ====================================================================== estimation
def _check_paths(paths: Any) -> tuple[tuple[str, str], ...] | None:
    if paths is None:
        return None
    if isinstance(paths, (str, bytes)) or not isinstance(paths, Sequence):
        raise SettingsError(f"paths must be a list of [source, target] pairs (the full structural model); got {paths!r}")
    out = []
    for k, value in enumerate(paths):
        pair = _as_path(value)
        if pair is None:
            raise SettingsError(f"paths[{k}] must be a pair [source, target] (or 'source -> target'); got {value!r}",
                                hint="write paths as csi.paths(sources, targets) does, e.g. [('IMG*EXP', 'SAT')].")
        out.append(pair)
    return tuple(out)


def _moments(X: np.ndarray, ew: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Column means and sds (divisor n − 1, or Σw − 1 with weights) — the PLS engine's convention."""
    if ew is None:
        return X.mean(axis=0), X.std(axis=0, ddof=1)
    total = ew.sum()
    mean = (ew @ X) / total
    return mean, np.sqrt((ew @ (X - mean) ** 2) / (total - 1))


@dataclass(frozen=True)
class ModeratedPLS:
    """PLS path modeling with interaction terms (moderation); :meth:`fit` returns :class:`ModerationResults`.

    Parameters
    ----------
    model:
        The questionnaire with the ordinary constructs (composites; consistent PLS is not
        supported with interaction terms).
    interactions:
        :class:`Interaction` terms (or mappings ``{iv, moderator, method, mode, targets}``); None
        (default): the spec's ``interactions:`` section. Explicit terms replace the spec's.
    paths:
        The full structural model as ``(source, target)`` pairs, sources may be interaction ids
        (``"IMG*EXP"``); the model's own paths are then ignored. None (default): the model's paths
        (which may name interaction terms as sources) plus each term's paths to its ``targets``;
        a term with neither gets a path to every common target of its iv and moderator.

    A spec that declares ``higher_order:`` raises :class:`~csi_survey.exceptions.SettingsError`
    (moderation with higher-order constructs is not supported yet).
    scheme, max_iter, tol:
        As :class:`~csi_survey.engine.pls.PLS` (``tol`` bounds the largest weight change; seminr's
        published numbers are matched to 1e-6 with ``tol=1e-10``).

    Example
    -------
    >>> import csi_survey as csi                                                        # doctest: +SKIP
    >>> from csi_survey.interactions import Interaction, ModeratedPLS                   # doctest: +SKIP
    >>> fit = ModeratedPLS(csi.template("ecsi"), [Interaction("IMG", "EXP")]).fit(mobi) # doctest: +SKIP
    >>> fit = ModeratedPLS(csi.load_model("moderation.yaml")).fit(data)               # doctest: +SKIP
    >>> fit.slopes                                                                      # doctest: +SKIP
    """

    model: Questionnaire
    interactions: Sequence[Interaction] | None = None
    paths: Sequence[tuple[str, str]] | None = None
    scheme: Literal["path", "centroid", "factorial"] = "path"
    max_iter: int = 300
    tol: float = 1e-7
    _expanded: Questionnaire = field(init=False, repr=False, compare=False)
    _stage1: Questionnaire | None = field(init=False, repr=False, compare=False)
    _layout: _FitLayout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, Questionnaire):
            raise SettingsError(f"model must be a Questionnaire (csi_survey.load_model); got {type(self.model).__name__}")
        check_choice("scheme", self.scheme, SCHEMES)
        check_count("max_iter", self.max_iter)
        if isinstance(self.tol, bool) or not isinstance(self.tol, (int, float)) or not self.tol > 0:
            raise SettingsError(f"tol must be positive; got {self.tol!r}")
        if self.model.higher_order:
            raise SettingsError(
                "this spec declares higher-order constructs"
                + (" and interaction terms together, which is not supported yet" if self.model.interactions or
                   self.interactions is not None else "; moderation with higher-order constructs is not supported yet"),
                hint="estimate the higher-order model without interactions: (HigherOrderPLS), or the moderation "
                "without higher_order: (ModeratedPLS).",
            )
        if self.interactions is None:
            if not self.model.interactions:
                raise SettingsError("the spec declares no interaction terms",
                                    hint="declare them in the spec (interactions: [IMG*EXP]) or pass "
                                    "interactions=[Interaction('IMG', 'EXP')].")
            object.__setattr__(self, "interactions", [
                Interaction(t.iv, t.moderator, t.method, t.mode, tuple(t.targets)) for t in self.model.interactions])
        if isinstance(self.interactions, (Interaction, Mapping, str)) or not isinstance(self.interactions, Sequence):
            raise SettingsError("interactions must be a list of Interaction terms",
                                hint="pass e.g. [Interaction('IMG', 'EXP', method='two_stage')].")
        if not self.interactions:
            raise SettingsError("interactions is empty: a moderated model needs at least one interaction term",
                                hint="use csi.PLS for a model without interaction terms.")
        terms = []
        for k, t in enumerate(self.interactions):
            if isinstance(t, Mapping):
                t = Interaction.from_mapping(t)
            if not isinstance(t, Interaction):
                raise SettingsError(f"interactions[{k}] must be an Interaction; got {type(t).__name__}")
            terms.append(t)
        paths = _check_paths(self.paths)
        reflective = getattr(self.model, "reflective_ids", None)
        if reflective:
            raise SettingsError(
                f"moderation is estimated for composites; the spec declares reflective construct(s) "
                f"{', '.join(reflective)} (consistent PLS)",
                hint="declare them measurement: composite for the moderation analysis.",
            )
        _raise_problems(validate(self.model, terms, paths))
        object.__setattr__(self, "interactions", tuple(terms))
        object.__setattr__(self, "paths", paths)
        # the expanded model is built (and so its paths checked: unknown constructs, cycles …) up front
        structural = self.structural_paths
        names = {t.id: _indicator_names(self.model, t) for t in terms}
        object.__setattr__(self, "_expanded", _expanded_model(self.model, terms, names, structural))
        stage1 = (_stage1_model(self.model, structural, set(names))
                  if any(t.method == "two_stage" for t in terms) else None)
        object.__setattr__(self, "_stage1", stage1)
        object.__setattr__(self, "_layout", _fit_layout(self))

    @property
    def expanded_model(self) -> Questionnaire:
        """The model with the interaction terms as constructs (what the second stage estimates)."""
        return self._expanded

    @property
    def structural_paths(self) -> list[tuple[str, str]]:
        """The full structural model (ordinary and interaction paths)."""
        return _structural_paths(self.model, self.interactions, self.paths)

    @property
    def settings(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "scaled": True, "max_iter": self.max_iter, "tol": self.tol}

    def _engine(self, model: Questionnaire) -> PLS:
        return PLS(model, scheme=self.scheme, scaled=True, max_iter=self.max_iter, tol=self.tol)

    def fit(self, data: Any, weight: Any = None) -> ModerationResults:
        """Build the interaction indicators from ``data`` (SurveyData or DataFrame with the item
        columns) and estimate the moderated model; survey weights as :meth:`PLS.fit`.

        The numbers are those of ``PLS(stage1_model).fit`` (stage 1), ``PLS(expanded_model).fit`` of
        the items with the interaction indicators (stage 2) and one PLS run per interaction path
        without that path (f²), computed from the PLS core (:func:`~csi_survey.engine.pls.pls_core_batch`:
        stage 2 and the f² variants in one batch), so the tables are built once."""
        base = self.model
        X, ids = item_matrix(base, data)
        n = X.shape[0]
        if n < 3:
            raise EstimationError(f"PLS needs at least 3 respondents; the data have {n}")
        if weight is None:
            weight = None if isinstance(data, pd.DataFrame) else getattr(data, "weight", None)
            w = None if weight is None else check_weight_array(weight, n, "data.weight")
        else:
            w = check_weight_array(weight, n, "weight")
        ew = estimation_weight(w)
        terms = self.interactions
        lay = self._layout
        scores1, X1 = None, None
        if lay.stage1 is not None:  # the stage-1 scores, as PLS(stage1_model).fit computes them
            s1 = lay.stage1
            X1 = X if np.array_equal(s1.columns, np.arange(X.shape[1])) else X[:, s1.columns]
            mom1 = item_moments(X1, w, True, s1.item_names)
            core1 = pls_core(mom1.C, s1.blocks, s1.modes, s1.adj, self.scheme, self.tol, self.max_iter, s1.names,
                             s1.item_names)
            scores1 = dict(zip(s1.names, mom1.composite_scores(core1.weights)[1].T))
        blocks = [_indicators(base, term, X, ew, scores1) for term in terms]
        unscaled = [c for c in base.construct_ids if not base.has_scale(c)]
        if unscaled:
            warnings.warn(f"no 0–100 index for {', '.join(unscaled)}: their items have no declared scale "
                          "(add scale: {min: …, max: …} to the spec)", IndexWarning, stacklevel=2)

        mom = item_moments(np.hstack([X] + blocks), w, True, self._expanded.item_ids)
        core, f_square = _stage2(self, mom.C)
        raw_sd = {t.id: _moments(Z, ew)[1] for t, Z in zip(terms, blocks)}
        return _assemble(self, mom, core, f_square, raw_sd, ids, w, X1)


@dataclass(frozen=True)
class _Stage1:
    """The stage-1 model's PLS inputs (two-stage terms) and the positions of its items in the base model's."""

    blocks: list
    modes: list
    adj: np.ndarray
    names: list
    item_names: list
    columns: np.ndarray


@dataclass(frozen=True)
class _FitLayout:
    """What :meth:`ModeratedPLS.fit` needs besides the data (made once per engine)."""

    pls: PLS                      # the stage-2 engine (its model and settings label the results)
    blocks: list
    modes: list
    adjacency: np.ndarray         # J × J, or (1 + V) × J × J: the model, then the V models without one interaction path
    variants: list                # per interaction path: (source, target, target position, items to isolate or None)
    terms: list                   # per term: (its construct position, its item positions)
    stage1: _Stage1 | None


def _fit_layout(engine: ModeratedPLS) -> _FitLayout:
    expanded = engine._expanded
    cids = expanded.construct_ids
    cpos = {c: j for j, c in enumerate(cids)}
    blocks = construct_blocks(expanded)
    ids = {t.id for t in engine.interactions}
    # f² (seminr fSquared): the model without the interaction path; without the term too when it has no
    # other path — in the batch, its items are then made uncorrelated with everything (and among
    # themselves) and it has no path: it stays at its starting weights and touches no other construct
    variants, adjs = [], [expanded.adjacency]
    for p in expanded.paths:
        if p.source not in ids:
            continue
        a = expanded.adjacency.copy()
        a[cpos[p.source], cpos[p.target]] = 0.0
        alone = not a[cpos[p.source]].any()
        variants.append((p.source, p.target, cpos[p.target], blocks[cpos[p.source]] if alone else None))
        adjs.append(a)
    stage1 = None
    if engine._stage1 is not None:
        m1 = engine._stage1  # the base model's constructs and items, without the interaction paths
        pos = {item: k for k, item in enumerate(engine.model.item_ids)}
        stage1 = _Stage1(construct_blocks(m1), [c.mode for c in m1.constructs.values()], m1.adjacency,
                         m1.construct_ids, m1.item_ids, np.array([pos[i] for i in m1.item_ids]))
    return _FitLayout(
        pls=engine._engine(expanded), blocks=blocks, modes=[c.mode for c in expanded.constructs.values()],
        adjacency=np.stack(adjs) if variants else expanded.adjacency, variants=variants,
        terms=[(cpos[t.id], blocks[cpos[t.id]]) for t in engine.interactions], stage1=stage1,
    )


def _stage2(engine: ModeratedPLS, C: np.ndarray) -> tuple[PLSCore, dict[tuple[str, str], float]]:
    """The stage-2 PLS core on the item correlations C and the f² of every interaction path (one batch)."""
    lay, expanded = engine._layout, engine._expanded
    Cs = np.repeat(C[None], 1 + len(lay.variants), axis=0)
    for k, (*_, alone) in enumerate(lay.variants, start=1):
        if alone is not None:
            Cs[k, alone, :] = 0.0
            Cs[k, :, alone] = 0.0
            Cs[k, alone, alone] = 1.0
    batch = pls_core_batch(Cs, lay.blocks, lay.modes, lay.adjacency, engine.scheme, engine.tol, engine.max_iter,
                           expanded.construct_ids, expanded.item_ids)
    core = batch.checked(0, engine.tol, engine.max_iter)
    f_square = {}
    for k, (source, target, j, _) in enumerate(lay.variants, start=1):
        try:
            without = batch.checked(k, engine.tol, engine.max_iter)
        except EstimationError as exc:
            raise type(exc)(f"f² of {source} → {target} (the model without that path): {exc.message}",
                            hint=exc.hint) from exc
        r2_with = float(core.r2[j])
        r2_without = float(without.r2[j]) if lay.adjacency[k][:, j].any() else 0.0
        f_square[(source, target)] = (r2_with - r2_without) / (1 - r2_with)
    return core, f_square


def _indicators(model: Questionnaire, term: Interaction, X: np.ndarray, ew: np.ndarray | None,
                stage1: Mapping[str, np.ndarray] | None) -> np.ndarray:
    """The n × q interaction indicators of one term (module docstring); ``stage1``: the stage-1 scores by construct."""
    pos = {item: k for k, item in enumerate(model.item_ids)}
    iv = [pos[i] for i in model.constructs[term.iv].item_ids]
    mod = [pos[i] for i in model.constructs[term.moderator].item_ids]
    if term.method == "two_stage":
        assert stage1 is not None
        return (stage1[term.iv] * stage1[term.moderator])[:, None]
    G = X[:, iv + mod]
    mean, sd = _moments(G, ew)
    flat = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    if flat.any():
        names = [model.item_ids[k] for k, bad in zip(iv + mod, flat) if bad]
        raise SingularMatrixError(
            f"item(s) with zero variance: {', '.join(names)} (needed for the interaction {term.id})",
            hint="an item with one answer for every respondent carries no information: remove it from its construct.")
    S = (G - mean) / sd
    a, b = S[:, :len(iv)], S[:, len(iv):]
    P = (a[:, :, None] * b[:, None, :]).reshape(len(X), -1)  # iv item outer, moderator item inner
    if term.method == "product_indicator":
        return P
    D = np.column_stack([np.ones(len(X)), G])
    sw = np.ones(len(X)) if ew is None else np.sqrt(ew)
    beta, *_ = np.linalg.lstsq(D * sw[:, None], P * sw[:, None], rcond=None)
    return P - D @ beta


def _assemble(engine: ModeratedPLS, mom: ItemMoments, core: PLSCore, f_square: Mapping[tuple[str, str], float],
              raw_sd: Mapping[str, np.ndarray], ids: Any, w: np.ndarray | None,
              stage1_items: np.ndarray | None) -> ModerationResults:
    """Rescale the interaction terms (seminr's convention) in the core, build the tables once and add
    the moderation tables."""
    lay, expanded, terms = engine._layout, engine._expanded, engine.interactions
    adj: dict[str, float] = {}
    scale = np.ones(len(expanded.construct_ids))
    loadings = core.cross_loadings.copy()
    for term, (j, rows) in zip(terms, lay.terms):
        loads = np.abs(core.cross_loadings[rows, j])
        adj[term.id] = scale[j] = float((raw_sd[term.id] * loads).sum() / loads.sum())
        loadings[rows, j] = loadings[rows, j] * adj[term.id]
    factor = (1.0 / scale)[:, None]  # rows = sources: only the interaction terms' paths and effects change
    rescaled = dataclasses.replace(core, paths=core.paths * factor, total_effects=core.total_effects * factor,
                                   loadings=loadings)  # the `loading` column; cross_loadings stay correlations
    raw_coef, scores = mom.composite_scores(core.weights)  # unit-variance scores; the terms' rescaled below
    for j, _ in lay.terms:
        scores[:, j] = scores[:, j] * scale[j]
    with warnings.catch_warnings():  # said once, for the base model's constructs, by fit()
        warnings.filterwarnings("ignore", message="no 0–100 index for", category=IndexWarning)
        fit = build_pls_results(engine=lay.pls, XT=mom.XT, ids=ids, item_mean=mom.mean, item_sd=mom.item_sd, C=mom.C,
                                core=rescaled, raw_coef=raw_coef, scores=scores, weight=w)

    by_term = {t.id: t for t in terms}
    cpos = {c: j for j, c in enumerate(expanded.construct_ids)}
    B = rescaled.paths
    rows_e, rows_s, rows_p = [], [], []
    for path in expanded.paths:  # the order of the paths table
        source, target = path.source, path.target
        if source not in by_term:
            continue
        term = by_term[source]
        t = cpos[target]
        b_int, b_iv, b_mod = B[cpos[source], t], B[cpos[term.iv], t], B[cpos[term.moderator], t]
        head = (source, term.iv, term.moderator, target)
        rows_e.append((source, target, term.iv, term.moderator, term.method, b_int, float(core.paths[cpos[source], t]),
                       adj[source], f_square[(source, target)]))
        rows_s += [(*head, m, b_iv + b_int * m) for m in LEVELS]
        rows_p += [(*head, x, m, b_iv * x + b_int * x * m + b_mod * m) for x in LEVELS for m in LEVELS]
    terms_table = _table([(t.id, t.iv, t.moderator, t.method, t.mode, len(expanded.constructs[t.id].items), adj[t.id])
                          for t in terms], ["construct", "iv", "moderator", "method", "mode", "n_indicators", "adjustment"])
    return ModerationResults(
        **{f.name: getattr(fit, f.name) for f in dataclasses.fields(fit)},
        base_model=engine.model,
        interactions=tuple(terms),
        interaction_terms=terms_table,
        interaction_effects=_table(rows_e, ["source", "target", "iv", "moderator", "method", "estimate",
                                            "estimate_unit_variance", "adjustment", "f_square"]),
        slopes=_table(rows_s, ["interaction", "iv", "moderator", "target", "moderator_level", "estimate"]),
        slope_plot=_table(rows_p, ["interaction", "iv", "moderator", "target", "iv_level", "moderator_level", "estimate"]),
        stage1_model=engine._stage1,
        _stage1_items=stage1_items,
    )


def _table(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of row tuples, built from one array per column (faster than from records)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({c: np.array(v) for c, v in zip(columns, zip(*rows))}, copy=False)


# ====================================================================== bootstrap
@dataclass(frozen=True)
class _Plan:
    """Everything the batched re-estimation needs (made once per bootstrap)."""

    U: np.ndarray               # n × d: items centred at the full-sample means, then the item products (centred)
    weight: np.ndarray | None   # survey weights (mean 1) or None
    means: np.ndarray           # p full-sample item means (to detect constant items)
    p: int                      # ordinary items
    terms: tuple                # per term: (method, iv items, moderator items, its product columns of U, its indicator rows 0…q−1)
    blocks: list                # expanded model
    modes: list
    adj: np.ndarray
    names: list
    item_names: list
    stage1: tuple | None        # (blocks, modes, adj, names, {term index: (iv construct, moderator construct)})
    scheme: str
    tol: float
    max_iter: int
    layout: dict
    index_model: Questionnaire  # the ordinary constructs, with the item scales (0–100 indices)


def _plan(results: ModerationResults, X: np.ndarray, weight: np.ndarray | None) -> _Plan:
    base, expanded = results.base_model, results.model
    ew = estimation_weight(weight)
    means = X.mean(axis=0) if ew is None else (ew @ X) / ew.sum()
    Xc = X - means
    p = X.shape[1]
    pos = {item: k for k, item in enumerate(base.item_ids)}
    cols, terms, row = [Xc], [], 0
    d = p
    for term in results.interactions:
        iv = np.array([pos[i] for i in base.constructs[term.iv].item_ids])
        mod = np.array([pos[i] for i in base.constructs[term.moderator].item_ids])
        prod = (Xc[:, iv][:, :, None] * Xc[:, mod][:, None, :]).reshape(len(X), -1)
        prod = prod - (prod.mean(axis=0) if ew is None else (ew @ prod) / ew.sum())
        pcols = np.arange(d, d + prod.shape[1])
        d += prod.shape[1]
        cols.append(prod)
        q = 1 if term.method == "two_stage" else prod.shape[1]
        terms.append((term.method, iv, mod, pcols, np.arange(row, row + q)))
        row += q
    stage1 = None
    if results.stage1_model is not None:
        m1 = results.stage1_model
        cpos1 = {c: j for j, c in enumerate(m1.construct_ids)}
        which = {k: (cpos1[t.iv], cpos1[t.moderator]) for k, t in enumerate(results.interactions) if t.method == "two_stage"}
        stage1 = (construct_blocks(m1), [c.mode for c in m1.constructs.values()], m1.adjacency, m1.construct_ids, which)
    cids = expanded.construct_ids
    cpos = {c: j for j, c in enumerate(cids)}
    ipos = {i: k for k, i in enumerate(expanded.item_ids)}
    ids = [t.id for t in results.interactions]
    eff = results.interaction_effects
    layout = {
        "path_src": np.array([cpos[s] for s in results.paths["source"]]),
        "path_tgt": np.array([cpos[t] for t in results.paths["target"]]),
        "eff_src": np.array([cpos[s] for s in results.effects["source"]]),
        "eff_tgt": np.array([cpos[t] for t in results.effects["target"]]),
        "w_item": np.array([ipos[i] for i in results.weights["item"]]),
        "w_con": np.array([cpos[c] for c in results.weights["construct"]]),
        "endo": np.array([cpos[c] for c in results.r2["construct"]]),
        "index_pos": np.array([cpos[c] for c in results.index["construct"]]),
        "term_pos": np.array([cpos[i] for i in ids]),
        "int_src": np.array([cpos[s] for s in eff["source"]], dtype=int),
        "int_tgt": np.array([cpos[t] for t in eff["target"]], dtype=int),
        "int_iv": np.array([cpos[v] for v in eff["iv"]], dtype=int),
        "int_mod": np.array([cpos[v] for v in eff["moderator"]], dtype=int),
        "int_term": np.array([ids.index(s) for s in eff["source"]], dtype=int),
    }
    return _Plan(U=np.hstack(cols), weight=ew, means=means, p=p, terms=tuple(terms), blocks=construct_blocks(expanded),
                 modes=[c.mode for c in expanded.constructs.values()], adj=expanded.adjacency, names=cids,
                 item_names=expanded.item_ids, stage1=stage1, scheme=results.settings["scheme"],
                 tol=results.settings["tol"], max_iter=results.settings["max_iter"], layout=layout,
                 index_model=base)


def _labels(results: ModerationResults) -> tuple[pd.DataFrame, np.ndarray]:
    """The statistics of a resample, in the column order of :func:`_estimate_batch`, and their estimates."""
    rows: list[tuple] = []
    est: list[np.ndarray] = []
    nan = np.nan
    rows += [("path", s, t, nan) for s, t in zip(results.paths["source"], results.paths["target"])]
    est.append(results.paths["estimate"].to_numpy(dtype=float))
    rows += [("total_effect", s, t, nan) for s, t in zip(results.effects["source"], results.effects["target"])]
    est.append(results.effects["total_effect"].to_numpy(dtype=float))
    rows += [("weight", c, i, nan) for c, i in zip(results.weights["construct"], results.weights["item"])]
    est.append(results.weights["weight"].to_numpy(dtype=float))
    rows += [("loading", c, i, nan) for c, i in zip(results.weights["construct"], results.weights["item"])]
    est.append(results.weights["loading"].to_numpy(dtype=float))
    rows += [("r2", c, "", nan) for c in results.r2["construct"]]
    est.append(results.r2["r2"].to_numpy(dtype=float))
    rows += [("index", c, "", nan) for c in results.index["construct"]]
    est.append(results.index["index"].to_numpy(dtype=float))
    rows += [("adjustment", c, "", nan) for c in results.interaction_terms["construct"]]
    est.append(results.interaction_terms["adjustment"].to_numpy(dtype=float))
    eff = results.interaction_effects
    rows += [("path_unit_variance", s, t, nan) for s, t in zip(eff["source"], eff["target"])]
    est.append(eff["estimate_unit_variance"].to_numpy(dtype=float))
    sl = results.slopes
    rows += [("simple_slope", s, t, m) for s, t, m in zip(sl["interaction"], sl["target"], sl["moderator_level"])]
    est.append(sl["estimate"].to_numpy(dtype=float))
    labels = pd.DataFrame(rows, columns=["statistic", "source", "target", "moderator_level"])
    return labels, np.concatenate(est)


def _pi_rows(T: np.ndarray, rows: np.ndarray, iv: np.ndarray, mod: np.ndarray, pcols: np.ndarray,
             mx: np.ndarray, sd: np.ndarray) -> None:
    """Write into T[:, rows, :] the coefficients of the standardized products z_ij on the columns of U."""
    ii = np.repeat(iv, len(mod))
    jj = np.tile(mod, len(iv))
    inv = 1.0 / (sd[:, ii] * sd[:, jj])
    T[:, rows, pcols] = inv
    T[:, rows, ii] = -mx[:, jj] * inv
    T[:, rows, jj] = -mx[:, ii] * inv


def _estimate_batch(plan: _Plan, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Re-estimate the moderated model for each row of counts K (m × n): statistics, status, problems."""
    Kw = K if plan.weight is None else K * plan.weight
    N, S1, S2 = count_moments(plan.U, Kw)
    m, d = S1.shape
    p = plan.p
    mean = S1 / N[:, None]
    cov = (S2 - N[:, None, None] * mean[:, :, None] * mean[:, None, :]) / (N - 1)[:, None, None]
    mx = mean[:, :p]
    var = np.einsum("bii->bi", cov[:, :p, :p])
    sd = np.sqrt(np.clip(var, 0, None))
    flat = (sd <= 1e-12 * np.maximum(1.0, np.abs(plan.means + mx))).any(axis=1)
    sd = np.where(sd > 0, sd, 1.0)
    status = np.zeros(m, dtype=int)
    problems: dict[int, str] = {}

    def fail(mask: np.ndarray, message: str) -> None:
        for b in np.flatnonzero(mask & (status == OK)):
            status[b] = SINGULAR
            problems[int(b)] = message

    fail(flat, "an item has the same answer for every respondent of this resample")
    Cxx = cov[:, :p, :p] / (sd[:, :, None] * sd[:, None, :])
    Cxx[flat] = np.eye(p)

    W1 = None
    if plan.stage1 is not None:
        blocks1, modes1, adj1, names1, _ = plan.stage1
        core1 = pls_core_batch(Cxx, blocks1, modes1, adj1, plan.scheme, plan.tol, plan.max_iter, names1)
        fail(core1.status == NOT_CONVERGED, f"stage 1 did not converge in {plan.max_iter} iterations")
        for b, msg in core1.problems.items():
            fail(np.arange(m) == b, f"stage 1: {msg}")
        W1 = np.nan_to_num(core1.weights)

    q = len(plan.item_names) - p
    R = np.zeros((m, q, d))
    for k, (method, iv, mod, pcols, rows) in enumerate(plan.terms):
        if method == "two_stage":
            T = np.zeros((m, len(pcols), d))
            _pi_rows(T, np.arange(len(pcols)), iv, mod, pcols, mx, sd)
            a, c = plan.stage1[4][k]
            wprod = (W1[:, iv, a][:, :, None] * W1[:, mod, c][:, None, :]).reshape(m, -1)
            R[:, rows[0], :] = np.einsum("bq,bqd->bd", wprod, T)
            continue
        _pi_rows(R, rows, iv, mod, pcols, mx, sd)
        if method == "orthogonal":
            g = np.concatenate([iv, mod])
            Tk = R[:, rows, :]
            Sgg = cov[:, g[:, None], g[None, :]]
            Sgt = np.einsum("bgd,bqd->bgq", cov[:, g, :], Tk)
            ok = np.isfinite(Sgg).all(axis=(1, 2))
            ok[ok] = np.linalg.cond(Sgg[ok]) < 1e13
            fail(~ok, "the iv and moderator items are collinear in this resample (orthogonalizing regression)")
            Sgg = np.where(ok[:, None, None], Sgg, np.eye(len(g)))
            beta = np.linalg.solve(Sgg, Sgt)  # g × q per resample
            Tk[:, :, g] -= beta.transpose(0, 2, 1)
            R[:, rows, :] = Tk
    RS = R @ cov                                   # m × q × d
    Czx = RS[:, :, :p]
    Czz = RS @ R.transpose(0, 2, 1)
    zsd = np.sqrt(np.clip(np.einsum("bii->bi", Czz), 0, None))
    fail((zsd <= 1e-12).any(axis=1), "an interaction indicator has zero variance in this resample")
    zsafe = np.where(zsd > 0, zsd, 1.0)
    P = p + q
    C = np.empty((m, P, P))
    C[:, :p, :p] = Cxx
    C[:, p:, :p] = Czx / (zsafe[:, :, None] * sd[:, None, :])
    C[:, :p, p:] = C[:, p:, :p].transpose(0, 2, 1)
    C[:, p:, p:] = Czz / (zsafe[:, :, None] * zsafe[:, None, :])
    bad = status != OK
    C[bad] = np.eye(P)

    core = pls_core_batch(C, plan.blocks, plan.modes, plan.adj, plan.scheme, plan.tol, plan.max_iter, plan.names,
                          plan.item_names)
    fail(core.status == NOT_CONVERGED, f"did not converge in {plan.max_iter} iterations")
    for b, msg in core.problems.items():
        fail(np.arange(m) == b, msg)

    lay = plan.layout
    J = len(plan.names)
    adjust = np.ones((m, J))
    for k, (_, _, _, _, rows) in enumerate(plan.terms):
        j = lay["term_pos"][k]
        loads = np.abs(core.cross_loadings[:, p + rows, j])
        adjust[:, j] = (zsd[:, rows] * loads).sum(axis=1) / loads.sum(axis=1)
    paths = core.paths / adjust[:, :, None]          # rows = sources: only interaction sources change
    total = core.total_effects / adjust[:, :, None]
    loadings = core.cross_loadings * adjust[:, None, :]
    unit = core.paths[:, lay["int_src"], lay["int_tgt"]]
    b_int = paths[:, lay["int_src"], lay["int_tgt"]]
    b_iv = paths[:, lay["int_iv"], lay["int_tgt"]]
    slopes = (b_iv[:, :, None] + b_int[:, :, None] * np.array(LEVELS)).reshape(m, -1)
    J0 = len(plan.index_model.construct_ids)
    index = np.full((m, J), np.nan)
    index[:, :J0] = indices_from_means(plan.index_model, core.weights[:, :p, :J0] / sd[:, :, None], plan.means + mx)
    index = index[:, lay["index_pos"]]
    parts = [
        paths[:, lay["path_src"], lay["path_tgt"]],
        total[:, lay["eff_src"], lay["eff_tgt"]],
        core.weights[:, lay["w_item"], lay["w_con"]],
        loadings[:, lay["w_item"], lay["w_con"]],
        core.r2[:, lay["endo"]],
        index,
        adjust[:, lay["term_pos"]],
        unit,
        slopes,
    ]
    return np.concatenate(parts, axis=1), status, problems


def bootstrap_moderation(
    results: ModerationResults,
    data: Any,
    resamples: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
) -> ModerationResults:
    """Bootstrap a moderated fit, rebuilding the interaction indicators in every resample.

    ``data`` must be the data of the fit (same respondents; a weighted fit is bootstrapped with its
    weights, which are held fixed). Returns a copy of ``results`` whose ``paths``, ``effects``
    (for ``total_effect``), ``r2``, ``interaction_effects`` and ``slopes`` gain ``std_err,
    t_value, p_value, ci_lower, ci_upper`` (percentile intervals at ``level``), ``weights`` gains
    ``weight_*`` and ``loading_*`` versions, and ``bootstrap`` is a
    :class:`~csi_survey.engine.bootstrap.BootstrapInfo` whose ``estimates`` also hold
    ``adjustment``, ``path_unit_variance`` and ``simple_slope`` rows (column ``moderator_level``).
    See the module docstring for the batched exact computation.
    """
    if not isinstance(results, ModerationResults):
        raise SettingsError(f"results must be the ModerationResults of ModeratedPLS.fit; got {type(results).__name__}",
                            hint="fit the model with ModeratedPLS(...).fit(data) first.")
    inputs = bootstrap_data(results, results.base_model, data, resamples=resamples, level=level, seed=seed,
                            function="bootstrap_moderation")
    plan = _plan(results, inputs.X, inputs.weight)
    d = plan.U.shape[1] + len(plan.item_names)
    info = batched_bootstrap(lambda K: _estimate_batch(plan, K), *_labels(results), inputs,
                             chunk=max(50, _BATCH_BYTES // (8 * 4 * d * d)))
    table = info.estimates
    slopes = table.loc[table["statistic"] == "simple_slope", INFERENCE_COLUMNS].reset_index(drop=True)
    terms = results.interaction_terms.copy()
    terms["orientation_agreement"] = _orientation_agreement(results, table, info.draws)
    return attach_intervals(
        results, info,
        interaction_effects=pd.concat([results.interaction_effects, _matching(table, "path", results.interaction_effects)], axis=1),
        slopes=pd.concat([results.slopes, slopes], axis=1),
        interaction_terms=terms,
    )


def _orientation_agreement(results: ModerationResults, table: pd.DataFrame, draws: np.ndarray) -> np.ndarray:
    """Per interaction term, the share of resamples whose outer weights point the way of the fit's
    (w_bᵀ w > 0). PLS composites have no fixed sign; a weak term measured by many indicators (typically
    orthogonalized ones) can come out reversed in some resamples, which widens and distorts its
    intervals. Values well below 1 (say < 0.95) flag such a term; two-stage terms are always 1."""
    out = []
    for term in results.interaction_terms["construct"]:
        sel = ((table["statistic"] == "weight") & (table["source"] == term)).to_numpy()
        w0 = table.loc[sel, "estimate"].to_numpy(dtype=float)
        out.append(float(((draws[:, sel] @ w0) > 0).mean()))
    return np.array(out)


def _matching(table: pd.DataFrame, statistic: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The inference columns of ``statistic`` rows for each (source, target) of ``rows``."""
    sub = table[table["statistic"] == statistic].set_index(["source", "target"])
    return sub.loc[list(zip(rows["source"], rows["target"])), INFERENCE_COLUMNS].reset_index(drop=True)
