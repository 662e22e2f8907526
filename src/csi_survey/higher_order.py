"""Higher-order constructs (HOC) in PLS path models: two-stage (disjoint and embedded) and repeated indicators.

A higher-order construct ``H`` (e.g. overall satisfaction) is a composite of two or more first-order
constructs, its *dimensions* or lower-order components ``d`` (e.g. Image and Value), each measured
by its own items. The structural model links ``H`` — not its dimensions — to the other constructs.
Three estimators are offered (Becker, Klein & Wetzels 2012, *Long Range Planning* 45, 359–394;
Ringle, Sarstedt & Straub 2012, *MIS Quarterly* 36(1); Sarstedt, Hair, Cheah, Becker & Ringle 2019,
*Australasian Marketing Journal* 27(3), 197–211):

``two_stage`` — disjoint two-stage approach, R seminr's ``higher_composite(method = two_stage)``
(the reference implementation; every number of seminr 2.3.4 is reproduced to 1e-6):

1. *Stage 1* is the model without ``H``: its dimensions take over its paths. Every path ``A → H``
   becomes ``A → d`` and every ``H → B`` becomes ``d → B`` for each dimension ``d`` (a path between
   two HOCs becomes one path between every pair of their dimensions). All first-order constructs
   are estimated from their items.
2. *Stage 2* is the original model: ``H`` is a composite (mode A or B, as declared) whose indicators
   are the stage-1 scores of its dimensions, all other constructs are re-estimated from their
   items, the dimensions themselves are not part of it.

   The combined tables take the weights and loadings of the dimensions' items from stage 1 and
   everything else (paths, R², the HOC's weights on its dimensions, the other constructs) from
   stage 2 (as seminr's ``combine_first_order_second_order_matrices``).

``embedded`` — embedded two-stage approach (Ringle et al. 2012; Sarstedt et al. 2019):
stage 1 is the repeated-indicators model below (``H`` measured by all items of its dimensions,
linked to the rest of the model); stage 2 is the same as for ``two_stage``, with the dimensions'
scores taken from that repeated-indicators stage 1. seminr does not implement it.

``repeated_indicators`` — one PLS model (Lohmöller 1989, *Latent Variable Path Modeling with Partial
Least Squares*): ``H`` has every item of its dimensions as its own indicators (the items are
*repeated*; internally the copies are named ``"<H>.<item>"``, the combined tables show the original
item ids), the other constructs' paths attach to ``H``, and ``H`` is linked to each dimension by a
structural path whose direction follows the HOC's mode (Becker et al. 2012; Sarstedt et al. 2019):
a reflective-type (mode A) HOC points to its dimensions, ``H → d``; a formative-type (mode B) HOC is
formed by them, ``d → H``. With ``d → H`` the dimensions explain almost all of ``H``'s variance, so
the paths from the HOC's other antecedents are biased towards zero (Becker et al. 2012; Ringle et
al. 2012) — this is why the two-stage approaches exist; use them for a formative HOC with
antecedents.

Stage 2 uses *unit-variance scores*, as seminr: PLS standardizes every indicator (sd with n − 1),
so any increasing linear function of a dimension's stage-1 score gives identical stage-2
estimates. We pass each dimension's **0–100 score** (below), which is such a function, and declare
the scale 0–100 for it, so that the stage-2 fit's own 0–100 index of the HOC is defined; when a
dimension has no 0–100 score (its items declare no scale) its unit-variance score is passed and
the HOC gets no index.

0–100 index of a HOC (two-stage approaches). A dimension's 0–100 score is linear in its items,
``S_d = Σᵢ ŵᵢ (xᵢ − minᵢ)/(maxᵢ − minᵢ) · 100`` (:mod:`csi_survey.index`, Fornell et al. 1996), so
its unit-variance stage-1 score is ``z_d = (S_d − mean S_d) / sd(S_d)`` (sd with n − 1; weighted
with survey weights). The HOC's stage-2 score is ``Σ_d w_d z_d`` with ``w_d`` its standardized
outer weights, i.e. the raw weight of ``S_d`` is ``v_d = w_d / sd(S_d)``. Applying the ACSI rule
to the HOC's indicators ``S_d`` (scale 0–100) normalizes these raw weights to sum 1:

    ŵ_d = v_d / Σₖ vₖ,     HOC 0–100 score = Σ_d ŵ_d S_d,     HOC index = Σ_d ŵ_d · index_d

(the index is the (weighted) mean of the respondents' HOC 0–100 scores, and the mean is linear).
Equivalently the HOC score is a weighted average of the 0–100 item values with the weights
``ŵ_d · ŵᵢ`` (the product of the two normalized weights, summing to 1). With the repeated-indicators
approach the HOC is a composite of the items themselves, and its index is the ordinary ACSI index
of its (repeated) items.

Conventions: seminr stops when the *sum* of absolute weight changes is < 1e-7; we stop when the
*largest* change is below ``tol`` (default 1e-7, as :class:`~csi_survey.engine.pls.PLS`);
``tol=1e-10`` reproduces seminr's published numbers to 1e-6 (they differ from full convergence by
up to 4e-9). cSEM's built-in second-order syntax (``.approach_2ndorder = "2stage"``) is a different
estimator (a saturated first stage; non-HOC constructs kept at their first-stage scores); we follow
seminr because its stage 2 re-estimates the whole model as the literature describes.

The spec (:mod:`csi_survey.schema`) declares the HOCs as ``higher_order: {SAT: [IMG, PV]}`` (or
``{SAT: {dimensions: [IMG, PV], mode: B, label: …}}``) and the estimator as the spec-level
``higher_order_method`` (one method per model: the stages are shared by all HOCs); its ``paths``
are the structural model naming HOC ids. ``HigherOrderPLS(model)`` reads both;
``HigherOrderPLS(model, higher_order=…, paths=…, method=…)`` overrides them.

Validation (:func:`validate_higher_order`, the checks of :mod:`csi_survey.spec_checks` that the
spec runs too, with file and line): a HOC needs its own id (not a construct's), at least two
dimensions, each a first-order construct of the model used by one HOC only (a dimension shared by
two HOCs would be an indicator of two composites in stage 2, which PLS's disjoint measurement
blocks do not allow), no HOC among the dimensions (third-order models are not supported; a HOC
that is its own dimension, or a cycle of HOCs, is reported as such); the structural paths may
name constructs and HOCs but no dimension (a dimension's paths are its HOC's), and must be
recursive (no cycle).

**Bootstrap** (:func:`bootstrap_higher_order`; seminr's ``bootstrap_model()`` re-runs both stages on
every resample, so do we — batched, without materializing the resamples). Resample b counts
respondent n ``k_bn`` times (drawn from ``SeedSequence(seed).spawn(B)[b]``, the rule of
:func:`csi_survey.bootstrap`, so a seed draws the same respondents there and here); its item
covariance C_b comes from count-weighted moments (:func:`csi_survey.engine.resample.count_moments`;
with survey weights, of ``k_bn · w_n``), R_b is its correlation matrix. Stage 1 runs on R_b (on
``R_b`` with the repeated items' rows and columns duplicated for a repeated-indicators stage 1;
all resamples at once, :func:`~csi_survey.engine.pls.pls_core_batch`). A dimension's stage-1 score
is ``ξ_d = Σᵢ w_di zᵢ`` (z the standardized items, w_d its stage-1 weights), so stage 2's
correlation matrix of [items of the other constructs, dimension scores] follows without the data:

    corr(z_i, ξ_d) = (R_b w_d)_i,    corr(ξ_d, ξ_e) = w_dᵀ R_b w_e   (w_dᵀ R_b w_d = 1)

i.e. ``C2_b = A_bᵀ R_b A_b`` with A_b = [the selected unit columns | the stage-1 weight columns];
stage 2 then runs batched on C2_b. (Equivalently, with raw weights b_d = w_d / sd:
cov(items, score_d) = C_b b_d, var(score_d) = b_dᵀ C_b b_d.) The 0–100 indices of the first-order
constructs are linear in the resample's item means (:func:`csi_survey.index.indices_from_means`)
and the HOC index follows the formula above with sd(S_d) = 1/|T_d|, ``T_d = Σᵢ bᵢ (maxᵢ − minᵢ)/100``
(S_d = (score_d + const)/T_d, a unit-variance score). A resample's estimates therefore equal
``HigherOrderPLS(...).fit`` on the resampled rows (rows repeated by their counts) up to rounding
(tested to 1e-8). Percentile intervals; std_err = sd of the draws (n − 1), t = estimate/std_err and
a two-sided p from Student's t with B − 1 df, as :mod:`csi_survey.engine.bootstrap`. Respondents
are resampled (a survey design's clusters are not, unlike :func:`csi_survey.bootstrap`); no sign
correction (as seminr).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .engine.bootstrap import BootstrapInfo, attach_intervals, batched_bootstrap, bootstrap_data
from .engine.pls import NOT_CONVERGED, OK, PLS, SCHEMES, SINGULAR, item_matrix, pls_core_batch
from .engine.resample import construct_blocks, count_moments
from .exceptions import EstimationError, SettingsError, SpecError, check_choice
from .index import indices_from_means, weighted_mean
from .ingest.weights import check_weight_array, effective_n, estimation_weight
from .results import PLSResults, Summary
from .schema import Questionnaire
from .spec_checks import HIGHER_ORDER_METHODS, format_location, higher_order_problems, structural_problems

__all__ = [
    "METHODS",
    "HigherOrder",
    "HigherOrderPLS",
    "HigherOrderResults",
    "bootstrap_higher_order",
    "validate_higher_order",
    "format_location",
]

#: The estimators of a higher-order model (see the module docstring).
METHODS = HIGHER_ORDER_METHODS
Method = Literal["two_stage", "embedded", "repeated_indicators"]

Location = tuple[Any, ...]


@dataclass(frozen=True)
class HigherOrder:
    """A higher-order construct: its id, its dimensions (first-order constructs) and its mode.

    ``mode`` "A" (correlation weights; a reflective-type HOC) or "B" (regression weights; a
    formative-type HOC) is the mode of the HOC's own measurement (its weights on the dimensions'
    scores, or on the repeated items); the dimensions keep their own modes. ``label`` names the
    HOC in tables (default: its id).

    >>> HigherOrder("SAT", ("IMG", "PV"))
    HigherOrder(construct='SAT', dimensions=('IMG', 'PV'), mode='A', label=None)
    """

    construct: str
    dimensions: tuple[str, ...]
    mode: Literal["A", "B"] = "A"
    label: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.construct, str) or not self.construct:
            raise SettingsError(f"a higher-order construct needs a non-empty string id; got {self.construct!r}")
        dims = (self.dimensions,) if isinstance(self.dimensions, str) else self.dimensions
        try:
            dims = tuple(dims)
        except TypeError:
            raise SettingsError(
                f"dimensions of {self.construct} must be a sequence of construct ids; got {self.dimensions!r}"
            ) from None
        if not all(isinstance(d, str) for d in dims):
            raise SettingsError(f"dimensions of {self.construct} must be construct ids (strings); got {dims!r}")
        object.__setattr__(self, "dimensions", dims)
        mode = self.mode.upper() if isinstance(self.mode, str) else self.mode
        check_choice(f"mode of {self.construct}", mode, ("A", "B"))
        object.__setattr__(self, "mode", mode)


# ====================================================================== validation
def validate_higher_order(
    constructs: Questionnaire | Iterable[str],
    higher_order: Sequence[HigherOrder],
    paths: Sequence[tuple[str, str]],
) -> list[tuple[Location, str]]:
    """Every problem of a higher-order model as ``(location, problem)``; an empty list when valid.

    ``constructs`` are the first-order construct ids (or a :class:`Questionnaire`), ``paths`` the
    complete structural model (``(source, target)`` pairs or :class:`~csi_survey.schema.PathSpec`, naming
    constructs and HOC ids). Locations are tuples in the spec document,
    ``("higher_order", "SAT", "dimensions", 1)`` or ``("paths", 3)``; render them with
    :func:`format_location`. The checks are those of the spec (:mod:`csi_survey.spec_checks`).
    """
    cids = list(constructs.construct_ids if isinstance(constructs, Questionnaire) else constructs)
    pairs = [(h.construct, h.dimensions) for h in higher_order]
    problems = higher_order_problems(cids, pairs)
    located = []
    for k, p in enumerate(paths):
        try:
            s, t = (p.source, p.target) if hasattr(p, "source") else p
        except (TypeError, ValueError):
            problems.append((("paths", k), f"a path is a pair (source, target); got {p!r}"))
            continue
        located.append((("paths", k), s, t))
    return problems + structural_problems(cids, located, pairs)


def _raise_problems(problems: list[tuple[Location, str]]) -> None:
    if problems:
        raise SpecError(
            "The higher-order model is invalid",
            [{"location": format_location(loc), "problem": msg} for loc, msg in problems],
            hint="correct each listed higher-order construct or path and run again.",
        )


# ====================================================================== model building
def _scale_of(model: Questionnaire, item: str) -> dict[str, float] | None:
    s = model.item_scale(item)
    return None if s is None else {"min": s.min, "max": s.max}


def _item_entry(item_id: str, scale: Mapping[str, float] | None) -> dict[str, Any]:
    return {"id": item_id} if scale is None else {"id": item_id, "scale": dict(scale)}


def _construct_entry(model: Questionnaire, cid: str) -> dict[str, Any]:
    c = model.constructs[cid]
    entry: dict[str, Any] = {"mode": c.mode, "items": [_item_entry(i, _scale_of(model, i)) for i in c.item_ids]}
    if c.label is not None:
        entry["label"] = c.label
    return entry


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}_{k}"
    taken.add(out)
    return out


def _questionnaire(model: Questionnaire, name: str, constructs: dict[str, dict[str, Any]], paths: list[tuple[str, str]]) -> Questionnaire:
    """A stage's spec: only what PLS uses (constructs with explicit item scales, paths, the index)."""
    data: dict[str, Any] = {"name": name, "constructs": constructs, "paths": [list(p) for p in paths]}
    if model.index is not None and model.index in constructs:
        data["index"] = model.index
    return Questionnaire.from_dict(data, source=name)


def _expand(paths: Sequence[tuple[str, str]], dims: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Stage-1 paths of the disjoint approach: each HOC replaced by its dimensions (in path order)."""
    out: list[tuple[str, str]] = []
    for s, t in paths:
        for a in dims.get(s, (s,)):
            for b in dims.get(t, (t,)):
                if (a, b) not in out:
                    out.append((a, b))
    return out


# ====================================================================== results
@dataclass(frozen=True, kw_only=True)
class HigherOrderResults:
    """Results of :meth:`HigherOrderPLS.fit`.

    ``stage1`` is the first-stage fit (``two_stage``: the model without the HOCs; ``embedded`` and
    ``repeated_indicators``: the repeated-indicators model), ``stage2`` the second-stage fit (None
    for ``repeated_indicators``); ``final`` is the fit the structural results come from. Both are
    ordinary :class:`~csi_survey.results.PLSResults` of internal stage models (so
    :func:`csi_survey.assess` works on them); in stage 2 a HOC's indicators are named by its
    dimensions, in a repeated-indicators model the repeated items are named ``"<HOC>.<item>"``;
    ``internal_names`` maps such internal item names of the final fit to the original ids.

    Tables (combined over the stages, constructs in model order with each HOC placed before its
    dimensions):

    index
        ``construct, label, index, n, level, higher_order`` — the 0–100 indices: ``level`` 2 for a
        HOC, 1 otherwise; ``higher_order`` names the HOC of a dimension (None otherwise). Two-stage
        HOC index: Σ ŵ_d · index_d (module docstring); dimensions from stage 1.
    paths, effects, r2
        of the final fit (``repeated_indicators``: including the HOC–dimension paths).
    weights
        ``construct, item, weight, loading, index_weight, stage``: the dimensions' items from
        stage 1, everything else from the final stage; a two-stage HOC's rows have its dimensions
        as ``item``; repeated items carry their original ids.
    dimensions
        ``construct, dimension, weight, loading, index_weight, dimension_index``: per HOC and
        dimension, the HOC's outer weight and loading on the dimension's score (two-stage; NaN
        weight and the HOC–dimension correlation as loading for repeated indicators),
        ``index_weight`` = ŵ_d (repeated indicators: the dimension's share of the HOC's item index
        weights) and the dimension's 0–100 index.
    scores, scores_100
        per respondent: the final fit's constructs and the dimensions' (stage-1) scores.

    After :func:`bootstrap_higher_order`, ``paths``, ``effects`` (of ``total_effect``) gain
    ``std_err, t_value, p_value, ci_lower, ci_upper``, ``r2`` and ``index`` gain ``std_err,
    ci_lower, ci_upper`` (the index also ``margin_of_error``), ``weights`` gains ``weight_*`` and
    ``loading_*`` versions of them, and ``bootstrap`` holds the
    :class:`~csi_survey.engine.bootstrap.BootstrapInfo` (long table ``estimates`` and the ``draws``).
    """

    model: Questionnaire
    higher_order: tuple[HigherOrder, ...]
    structural_paths: tuple[tuple[str, str], ...]
    method: str
    settings: Mapping[str, Any]
    n: int
    stage1: PLSResults
    stage2: PLSResults | None
    internal_names: Mapping[str, str]
    index: pd.DataFrame
    paths: pd.DataFrame
    effects: pd.DataFrame
    weights: pd.DataFrame
    r2: pd.DataFrame
    dimensions: pd.DataFrame
    scores: pd.DataFrame
    scores_100: pd.DataFrame
    respondent_id: pd.Series
    weight: np.ndarray | None = None
    bootstrap: BootstrapInfo | None = None  #: after :func:`bootstrap_higher_order`

    @property
    def headline(self) -> float | None:
        """The 0–100 index of the spec's ``index`` construct (a HOC or a construct); None if unset."""
        row = self.index.loc[self.index["construct"] == self.model.index, "index"]
        return float(row.iloc[0]) if len(row) else None

    @property
    def final(self) -> PLSResults:
        """The fit the structural results come from (stage 2, or the single repeated-indicators fit)."""
        return self.stage2 if self.stage2 is not None else self.stage1

    @property
    def iterations(self) -> tuple[int, ...]:
        return tuple(f.iterations for f in (self.stage1, self.stage2) if f is not None)

    def summary(self) -> Summary:
        method = {"two_stage": "two-stage (disjoint)", "embedded": "two-stage (embedded)",
                  "repeated_indicators": "repeated indicators"}[self.method]
        info = {
            "Model": self.model.name,
            "Engine": f"PLS path modeling, {self.settings['scheme']} scheme",
            "Higher-order method": method,
            "Higher-order constructs": "; ".join(
                f"{h.construct} (mode {h.mode}) = {', '.join(h.dimensions)}" for h in self.higher_order),
            "Respondents": self.n if self.weight is None
            else f"{self.n} (weighted; effective sample size {effective_n(self.weight):.1f})",
            "Iterations": " + ".join(str(i) for i in self.iterations),
        }
        if self.bootstrap is not None:
            b = self.bootstrap
            info["Bootstrap"] = (f"{b.used} of {b.resamples} resamples (seed {b.seed}), {b.method} "
                                 f"{b.level:.0%} intervals; both stages re-estimated")
        return Summary(
            title="csi-survey higher-order results",
            info=info,
            tables={"Index (0–100)": self.index, "Higher-order constructs": self.dimensions,
                    "Paths": self.paths, "R²": self.r2},
        )

    def __repr__(self) -> str:
        hocs = ", ".join(h.construct for h in self.higher_order)
        return f"<HigherOrderResults {self.model.name!r}: {self.method}, HOC {hocs}, n={self.n}, {len(self.paths)} paths>"


# ====================================================================== engine
@dataclass(frozen=True)
class HigherOrderPLS:
    """PLS with higher-order constructs: holds settings; :meth:`fit` returns :class:`HigherOrderResults`.

    Parameters
    ----------
    model:
        The spec: every first-order construct with its items, the HOCs' dimensions included.
        Its paths are the structural model unless ``paths`` is given; its ``higher_order`` section
        declares the HOCs unless ``higher_order`` is given.
    higher_order:
        The HOCs (one :class:`HigherOrder` or a sequence); None (default): the spec's
        ``higher_order`` section.
    paths:
        The complete structural model as ``(source, target)`` pairs naming constructs and HOCs
        (:func:`csi_survey.paths` builds them); replaces ``model.paths``. No dimension may appear.
    method:
        ``"two_stage"`` (disjoint, seminr's), ``"embedded"`` or ``"repeated_indicators"``; None
        (default): the spec's ``higher_order_method`` (``two_stage`` unless declared).
    scheme, tol, max_iter:
        As :class:`~csi_survey.engine.pls.PLS` (items are always standardized).

    Raises :class:`~csi_survey.exceptions.SpecError` listing every problem of the HOC definitions
    and paths (:func:`validate_higher_order`), and :class:`~csi_survey.exceptions.SettingsError` for
    a spec that also declares interaction terms (moderation with HOCs is not supported yet).

    Example
    -------
    >>> fit = HigherOrderPLS(csi.load_model("hoc.yaml")).fit(data)                   # doctest: +SKIP
    >>> hoc = HigherOrder("Satisfaction", ("Image", "Value"))                        # doctest: +SKIP
    >>> fit = HigherOrderPLS(model, [hoc], paths=csi.paths(["Expectation", "Quality"], "Satisfaction")
    ...                      + csi.paths("Satisfaction", ["Complaints", "Loyalty"])).fit(mobi)  # doctest: +SKIP
    """

    model: Questionnaire
    higher_order: Sequence[HigherOrder] | HigherOrder | None = None
    paths: Sequence[tuple[str, str]] | None = None
    method: Method | None = None
    scheme: str = "path"
    tol: float = 1e-7
    max_iter: int = 300
    stage1_model: Questionnaire = field(init=False, repr=False, compare=False)
    stage2_model: Questionnaire | None = field(init=False, repr=False, compare=False)
    indicator: Mapping[str, str] = field(init=False, repr=False, compare=False)
    repeated: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, Questionnaire):
            raise SettingsError(f"model must be a Questionnaire (csi_survey.load_model); got {type(self.model).__name__}")
        if self.model.interactions:
            raise SettingsError(
                "this spec declares higher-order constructs and interaction terms together, which is not supported yet",
                hint="estimate the higher-order model without interactions: (HigherOrderPLS), or the moderation "
                "without higher_order: (ModeratedPLS).",
            )
        method = self.model.higher_order_method if self.method is None else self.method
        check_choice("method", method, METHODS)
        check_choice("scheme", self.scheme, SCHEMES)
        if self.higher_order is None:
            if not self.model.higher_order:
                raise SettingsError(
                    "the spec declares no higher-order constructs",
                    hint="declare them in the spec (higher_order: {SAT: [IMG, PV]}) or pass "
                    "higher_order=[HigherOrder('SAT', ('IMG', 'PV'))].",
                )
            hocs = tuple(HigherOrder(hid, tuple(h.dimensions), h.mode, h.label) for hid, h in self.model.higher_order.items())
        else:
            hocs = (self.higher_order,) if isinstance(self.higher_order, HigherOrder) else tuple(self.higher_order)
        if not hocs or not all(isinstance(h, HigherOrder) for h in hocs):
            raise SettingsError(
                "higher_order must be one or more HigherOrder(construct, dimensions, mode)",
                hint="pass e.g. higher_order=[HigherOrder('SAT', ('IMG', 'PV'))].",
            )
        raw = self.model.paths if self.paths is None else self.paths
        structural = tuple((p.source, p.target) if hasattr(p, "source") else tuple(p) for p in raw)
        object.__setattr__(self, "higher_order", hocs)
        object.__setattr__(self, "paths", structural)
        object.__setattr__(self, "method", method)
        _raise_problems(validate_higher_order(self.model, hocs, structural))
        repeated: dict[str, str] = {}
        if self.method == "two_stage":
            dims = {h.construct: h.dimensions for h in hocs}
            m = self.model
            stage1 = _questionnaire(m, f"{m.name} (stage 1)", {c: _construct_entry(m, c) for c in m.construct_ids},
                                    _expand(structural, dims))
        else:
            stage1, repeated = self._repeated_model()
        self._engine(stage1)  # the engine settings (tol, max_iter) are checked by PLS itself
        stage2, indicator = (None, {}) if self.method == "repeated_indicators" else self._stage2_model(None)
        object.__setattr__(self, "stage1_model", stage1)
        object.__setattr__(self, "stage2_model", stage2)
        object.__setattr__(self, "indicator", indicator)
        object.__setattr__(self, "repeated", repeated)

    # ---------------------------------------------------------------- stage specs
    def _order(self) -> list[str]:
        """Final construct order: model order, each HOC placed before its dimensions (grouped)."""
        of = {d: h for h in self.higher_order for d in h.dimensions}
        out: list[str] = []
        for c in self.model.construct_ids:
            if c not in of:
                out.append(c)
            elif of[c].construct not in out:
                out += [of[c].construct, *of[c].dimensions]
        return out

    def _hoc_entry(self, h: HigherOrder, items: list[dict[str, Any]]) -> dict[str, Any]:
        entry: dict[str, Any] = {"mode": h.mode, "items": items}
        if h.label is not None:
            entry["label"] = h.label
        return entry

    def _repeated_model(self) -> tuple[Questionnaire, dict[str, str]]:
        """The repeated-indicators spec (HOC → dimensions for mode A, dimensions → HOC for mode B)."""
        m = self.model
        taken = set(m.item_ids)
        alias: dict[str, str] = {}
        constructs: dict[str, dict[str, Any]] = {}
        hocs = {h.construct: h for h in self.higher_order}
        for c in self._order():
            if c in hocs:
                h = hocs[c]
                items = []
                for d in h.dimensions:
                    for i in m.constructs[d].item_ids:
                        a = _unique(f"{h.construct}.{i}", taken)
                        alias[a] = i
                        items.append(_item_entry(a, _scale_of(m, i)))
                constructs[c] = self._hoc_entry(h, items)
            else:
                constructs[c] = _construct_entry(m, c)
        paths = list(self.paths)
        for h in self.higher_order:
            paths += [(h.construct, d) if h.mode == "A" else (d, h.construct) for d in h.dimensions]
        return _questionnaire(m, f"{m.name} (repeated indicators)", constructs, paths), alias

    def _stage2_model(self, scaled_dims: set[str] | None) -> tuple[Questionnaire, dict[str, str]]:
        """The stage-2 spec and its HOC indicators' names → dimension ids.

        ``scaled_dims``: the dimensions whose indicators are their 0–100 scores (scale 0–100; None:
        all); the others' are their unit-variance scores (no scale, so the HOC gets no index)."""
        m = self.model
        hocs = {h.construct: h for h in self.higher_order}
        dim_of = {d for h in self.higher_order for d in h.dimensions}
        kept = [c for c in self._order() if c not in dim_of]
        taken = {i for c in kept if c not in hocs for i in m.constructs[c].item_ids}
        indicator: dict[str, str] = {}
        constructs: dict[str, dict[str, Any]] = {}
        for c in kept:
            if c in hocs:
                items = []
                for d in hocs[c].dimensions:
                    name = _unique(d, taken)
                    indicator[name] = d
                    scaled = scaled_dims is None or d in scaled_dims
                    items.append(_item_entry(name, {"min": 0.0, "max": 100.0} if scaled else None))
                constructs[c] = self._hoc_entry(hocs[c], items)
            else:
                constructs[c] = _construct_entry(m, c)
        return _questionnaire(m, f"{m.name} (stage 2)", constructs, list(self.paths)), indicator

    # ---------------------------------------------------------------- fitting
    def _engine(self, model: Questionnaire) -> PLS:
        return PLS(model, scheme=self.scheme, tol=self.tol, max_iter=self.max_iter)

    @staticmethod
    def _run(engine: PLS, X: np.ndarray, ids: Any, w: np.ndarray | None, what: str) -> PLSResults:
        try:
            return engine.fit_items(X, ids, w)
        except EstimationError as exc:
            raise type(exc)(f"{what}: {exc.message}", hint=exc.hint) from exc

    def fit(self, data: Any, weight: Any = None) -> HigherOrderResults:
        """Estimate the higher-order model on ``data`` (SurveyData or DataFrame holding the items).

        Survey weights as :meth:`csi_survey.PLS.fit`: ``data.weight`` of a weighted SurveyData, or
        ``weight`` (one positive number per respondent); both stages use them."""
        m = self.model
        X, ids = item_matrix(m, data)
        n = X.shape[0]
        if weight is None:
            weight = getattr(data, "weight", None) if not isinstance(data, pd.DataFrame) else None
            w = None if weight is None else check_weight_array(weight, n, "data.weight")
        else:
            w = check_weight_array(weight, n, "weight")
        pos = {item: k for k, item in enumerate(m.item_ids)}
        X1 = X[:, [pos[self.repeated.get(i, i)] for i in self.stage1_model.item_ids]] if self.repeated else X
        if self.method == "repeated_indicators":
            fit1 = self._run(self._engine(self.stage1_model), X1, ids, w, "repeated-indicators model")
            return self._combine(fit1, None, self.repeated, w)
        fit1 = self._run(self._engine(self.stage1_model), X1, ids, w, "stage 1")

        # stage 2: the dimensions' 0–100 scores where they exist (an increasing linear function of
        # the unit-variance scores), else their unit-variance scores
        scaled = set()
        for h in self.higher_order:
            if all(self._has_increasing_index(fit1, d) for d in h.dimensions):
                scaled.update(h.dimensions)
        all_dims = {d for h in self.higher_order for d in h.dimensions}
        if scaled == all_dims:
            stage2_model, indicator = self.stage2_model, self.indicator
        else:
            stage2_model, indicator = self._stage2_model(scaled)
        cols = []
        for i in stage2_model.item_ids:
            if i in indicator:
                d = indicator[i]
                cols.append((fit1.scores_100 if d in scaled else fit1.scores)[d].to_numpy())
            else:
                cols.append(X[:, pos[i]])
        fit2 = self._run(self._engine(stage2_model), np.column_stack(cols), ids, w, "stage 2")
        return self._combine(fit1, fit2, indicator, w)

    @staticmethod
    def _has_increasing_index(fit: PLSResults, d: str) -> bool:
        s100 = fit.scores_100[d].to_numpy()
        if not np.isfinite(s100).all():
            return False
        z = fit.scores[d].to_numpy()
        return float((s100 - s100.mean()) @ z) > 0

    # ---------------------------------------------------------------- combining
    def _combine(self, fit1: PLSResults, fit2: PLSResults | None, names: Mapping[str, str],
                 w: np.ndarray | None) -> HigherOrderResults:
        final = fit2 if fit2 is not None else fit1
        hocs = {h.construct: h for h in self.higher_order}
        dim_of = {d: h.construct for h in self.higher_order for d in h.dimensions}
        order = self._order()
        rank = {c: k for k, c in enumerate(order)}
        index1 = dict(zip(fit1.index["construct"].tolist(), fit1.index["index"].to_numpy()))

        # per HOC: its weights on the dimensions and its 0–100 index
        rows = []
        hoc_index: dict[str, float] = {}
        for h in self.higher_order:
            dims = list(h.dimensions)
            index_d = np.array([index1[d] for d in dims])
            if fit2 is not None:
                t = fit2.weights
                row = {(c, names.get(i)): k for k, (c, i) in enumerate(zip(t["construct"].tolist(), t["item"].tolist()))}
                pick = [row[(h.construct, d)] for d in dims]
                weight_d = t["weight"].to_numpy()[pick]
                loading_d = t["loading"].to_numpy()[pick]
                what = self._dimension_index_weights(fit1, dims, weight_d, w)
                hoc_index[h.construct] = float(what @ index_d)
            else:
                corr = fit1.construct_correlations
                weight_d = np.full(len(dims), np.nan)
                loading_d = np.array([corr.at[h.construct, d] for d in dims])
                t = fit1.weights
                own = t[t["construct"] == h.construct]
                dim_item = [self.model.construct_of[names[i]] for i in own["item"]]
                share = pd.Series(own["index_weight"].to_numpy()).groupby(dim_item).sum(min_count=1)
                what = share.reindex(dims).to_numpy()
                hoc_index[h.construct] = float(index1[h.construct])
            rows.append(([h.construct] * len(dims), dims, weight_d, loading_d, what, index_d))
        dimensions = pd.DataFrame({name: np.concatenate([r[k] for r in rows]) for k, name in enumerate(
            ["construct", "dimension", "weight", "loading", "index_weight", "dimension_index"])}, copy=False)

        # index: the final fit's constructs, the dimensions from stage 1, the HOCs' own formula
        fin = final.index
        tables = {1: (fit1.index["index"].to_numpy(), fit1.index["n"].to_numpy()), 2: (fin["index"].to_numpy(), fin["n"].to_numpy())}
        pos = {1: {c: k for k, c in enumerate(fit1.index["construct"].tolist())},
               2: {c: k for k, c in enumerate(fin["construct"].tolist())}}
        src = [(1 if c in dim_of else 2, c) for c in order]
        index = pd.DataFrame({
            "construct": order,
            "label": [(hocs[c].label or c) if c in hocs else self.model.label(c) for c in order],
            "index": [hoc_index[c] if c in hocs else float(tables[k][0][pos[k][c]]) for k, c in src],
            "n": [int(tables[k][1][pos[k][c]]) for k, c in src],
            "level": [2 if c in hocs else 1 for c in order],
            "higher_order": pd.Series([dim_of.get(c) for c in order], dtype=object),
        })
        if "n_effective" in fin.columns:
            index["n_effective"] = float(fin["n_effective"].iat[0])

        # weights: the dimensions' items from stage 1, everything else from the final fit (in construct order)
        rows: list[tuple[str, str, float, float, float, int]] = []
        for table, stage, keep in ((fit1, 1, fit2 is not None), (fit2, 2, True)):
            if table is None:
                continue
            t = table.weights
            values = zip(t["construct"].tolist(), t["item"].tolist(), t["weight"].to_numpy(), t["loading"].to_numpy(),
                         t["index_weight"].to_numpy())
            rows += [(c, names[i] if c in hocs else i, wt, ld, iw, stage if fit2 is not None else 1)
                     for c, i, wt, ld, iw in values if not (stage == 1 and keep) or c in dim_of]
        rows = [rows[k] for k in np.argsort([rank[r[0]] for r in rows], kind="stable")]
        columns = ["construct", "item", "weight", "loading", "index_weight", "stage"]
        weights = pd.DataFrame({c: np.array(v) for c, v in zip(columns, zip(*rows))}, copy=False)

        # scores: the final fit's constructs and the dimensions' stage-1 scores
        def combined(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
            pa, pb = {c: k for k, c in enumerate(a.columns)}, {c: k for k, c in enumerate(b.columns)}
            A, B = a.to_numpy(), b.to_numpy()
            return pd.DataFrame(np.column_stack([B[:, pb[c]] if c in dim_of else A[:, pa[c]] for c in order]),
                                columns=order)

        settings = {"scheme": self.scheme, "tol": self.tol, "max_iter": self.max_iter, "method": self.method}
        return HigherOrderResults(
            model=self.model,
            higher_order=tuple(self.higher_order),
            structural_paths=tuple(self.paths),
            method=self.method,
            settings=settings,
            n=final.n,
            stage1=fit1,
            stage2=fit2,
            internal_names=dict(names),
            index=index,
            paths=final.paths.copy(),
            effects=final.effects.copy(),
            weights=weights,
            r2=final.r2.copy(),
            dimensions=dimensions,
            scores=combined(final.scores, fit1.scores),
            scores_100=combined(final.scores_100, fit1.scores_100),
            respondent_id=final.respondent_id,
            weight=w,
        )

    @staticmethod
    def _dimension_index_weights(fit1: PLSResults, dims: list[str], weight_d: np.ndarray,
                                 w: np.ndarray | None) -> np.ndarray:
        """ŵ_d = v_d / Σ v_k with v_d = w_d / sd(S_d): the HOC's weights on its dimensions' 0–100
        scores S_d (sd with n − 1, survey-weighted as the engine standardizes)."""
        s100 = fit1.scores_100[dims].to_numpy()
        centred = s100 - weighted_mean(s100, w)
        ew = estimation_weight(w)
        if ew is None:
            sd = np.sqrt((centred ** 2).sum(axis=0) / (len(s100) - 1))
        else:
            sd = np.sqrt((ew @ centred ** 2) / (ew.sum() - 1))
        v = weight_d / sd
        return v / v.sum()


# ====================================================================== bootstrap
#: Memory budget (bytes) of one batch of resamples (the counts, the moments and the stage matrices).
_BATCH_BYTES = 2**27


@dataclass(frozen=True)
class _Stage:
    """One stage of the batched re-estimation: its PLS inputs and where each of its items comes from."""

    model: Questionnaire
    blocks: list[np.ndarray]
    modes: list[str]
    source: np.ndarray      # per stage item: position of its data item (−1: a dimension's stage-1 score)
    dimension: np.ndarray   # per stage item: stage-1 position of the dimension it is the score of (−1: an item)

    def run(self, C: np.ndarray, settings: Mapping[str, Any]):
        m = self.model
        return pls_core_batch(C, self.blocks, self.modes, m.adjacency, settings["scheme"], settings["tol"],
                              settings["max_iter"], m.construct_ids, m.item_ids)


@dataclass(frozen=True)
class _Plan:
    """Everything :func:`_estimate_batch` needs (made once per bootstrap)."""

    Xc: np.ndarray              # n × p data items, centred at the full-sample (weighted) means
    means: np.ndarray           # p full-sample item means
    weight: np.ndarray | None   # survey weights (mean 1); None: unweighted
    stage1: _Stage
    stage2: _Stage | None
    width1: np.ndarray          # stage-1 item scale widths (NaN: no scale)
    settings: Mapping[str, Any]
    layout: Mapping[str, Any]


def _make_stage(model: Questionnaire, origin: Callable[[str], tuple[int, int]]) -> _Stage:
    pairs = np.array([origin(i) for i in model.item_ids], dtype=int).reshape(-1, 2)
    return _Stage(model, construct_blocks(model), [c.mode for c in model.constructs.values()], pairs[:, 0], pairs[:, 1])


def _stage_items(results: HigherOrderResults, repeated: Mapping[str, str]) -> dict[tuple[int, str, str], int]:
    """(stage, construct, item id of the combined tables) → position of the stage model's internal item."""
    out = {}
    for stage, fit, names in ((1, results.stage1, repeated), (2, results.stage2, results.internal_names)):
        if fit is None:
            continue
        pos = {i: k for k, i in enumerate(fit.model.item_ids)}
        for c, con in fit.model.constructs.items():
            out.update({(stage, c, names.get(i, i)): pos[i] for i in con.item_ids})
    return out


def _plan(results: HigherOrderResults, X: np.ndarray) -> _Plan:
    engine = HigherOrderPLS(results.model, results.higher_order, paths=results.structural_paths, method=results.method,
                            scheme=results.settings["scheme"], tol=results.settings["tol"],
                            max_iter=results.settings["max_iter"])
    ew = estimation_weight(results.weight)
    means = weighted_mean(X, ew)
    base = {i: k for k, i in enumerate(results.model.item_ids)}
    m1 = results.stage1.model
    pos1 = {c: j for j, c in enumerate(m1.construct_ids)}
    stage1 = _make_stage(m1, lambda i: (base[engine.repeated.get(i, i)], -1))
    stage2 = None
    indicator = results.internal_names
    if results.stage2 is not None:
        stage2 = _make_stage(results.stage2.model, lambda i: (-1, pos1[indicator[i]]) if i in indicator else (base[i], -1))
    scales = [m1.item_scale(i) for i in m1.item_ids]
    width1 = np.array([np.nan if sc is None else sc.width for sc in scales])

    final = results.final.model
    posF = {c: j for j, c in enumerate(final.construct_ids)}
    where = _stage_items(results, engine.repeated)
    stage_pos = {1: pos1, 2: posF}
    w = results.weights
    hocs = {h.construct: h for h in results.higher_order}
    dim_of = {d for h in results.higher_order for d in h.dimensions}
    two = results.stage2 is not None
    index_kind = [2 if two and c in hocs else 0 if two and c in dim_of else 1 for c in results.index["construct"]]
    hoc_list = list(hocs) if two else []
    layout = {
        "path_src": np.array([posF[s] for s in results.paths["source"]], dtype=int),
        "path_tgt": np.array([posF[t] for t in results.paths["target"]], dtype=int),
        "eff_src": np.array([posF[s] for s in results.effects["source"]], dtype=int),
        "eff_tgt": np.array([posF[t] for t in results.effects["target"]], dtype=int),
        "endo": np.array([posF[c] for c in results.r2["construct"]], dtype=int),
        "w_stage": w["stage"].to_numpy(dtype=int),
        "w_item": np.array([where[(s, c, i)] for s, c, i in zip(w["stage"], w["construct"], w["item"])], dtype=int),
        "w_con": np.array([stage_pos[s][c] for s, c in zip(w["stage"], w["construct"])], dtype=int),
        "index_kind": np.array(index_kind, dtype=int),
        "index_pos": np.array([hoc_list.index(c) if k == 2 else (pos1 if k == 0 else posF)[c]
                               for c, k in zip(results.index["construct"], index_kind)], dtype=int),
        # per HOC (two-stage methods): its stage-2 position, its indicators' and its dimensions' stage-1 positions
        "hocs": [(posF[h], np.array([where[(2, h, d)] for d in hocs[h].dimensions], dtype=int),
                  np.array([pos1[d] for d in hocs[h].dimensions], dtype=int)) for h in hoc_list],
    }
    return _Plan(Xc=X - means, means=means, weight=ew, stage1=stage1, stage2=stage2, width1=width1,
                 settings=results.settings, layout=layout)


def _labels(results: HigherOrderResults) -> tuple[pd.DataFrame, np.ndarray]:
    """The statistics of a resample (statistic, source, target), in the column order of
    :func:`_estimate_batch`, and their full-sample estimates (from the tables of ``results``)."""
    w = results.weights
    parts = [
        ("path", results.paths["source"], results.paths["target"], results.paths["estimate"]),
        ("total_effect", results.effects["source"], results.effects["target"], results.effects["total_effect"]),
        ("weight", w["construct"], w["item"], w["weight"]),
        ("loading", w["construct"], w["item"], w["loading"]),
        ("r2", results.r2["construct"], None, results.r2["r2"]),
        ("index", results.index["construct"], None, results.index["index"]),
    ]
    frames = [pd.DataFrame({"statistic": name, "source": list(src),
                            "target": [""] * len(src) if tgt is None else list(tgt)}) for name, src, tgt, _ in parts]
    estimate = np.concatenate([est.to_numpy(dtype=float) for *_, est in parts])
    return pd.concat(frames, ignore_index=True), estimate


def _mark(status: np.ndarray, problems: dict[int, str], mask: np.ndarray, message: str) -> None:
    """Record ``message`` for the resamples of ``mask`` that have not failed yet."""
    for b in np.flatnonzero(np.asarray(mask) & (status == OK)):
        status[b] = SINGULAR
        problems[int(b)] = message


def _merge(status: np.ndarray, problems: dict[int, str], core: Any, what: str, max_iter: int) -> None:
    _mark(status, problems, core.status == NOT_CONVERGED, f"{what} did not converge in {max_iter} iterations")
    for b, message in core.problems.items():
        _mark(status, problems, np.arange(len(status)) == b, f"{what}: {message}")


def _estimate_batch(plan: _Plan, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Re-estimate the higher-order model for each row of counts K (m × n): statistics, status, problems."""
    N, S1, S2 = count_moments(plan.Xc, K if plan.weight is None else K * plan.weight)
    m = len(N)
    mean = S1 / N[:, None]
    cov = (S2 - N[:, None, None] * mean[:, :, None] * mean[:, None, :]) / (N - 1)[:, None, None]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0, None))
    item_mean = plan.means + mean
    status = np.full(m, OK)
    problems: dict[int, str] = {}
    flat = (sd <= 1e-12 * np.maximum(1.0, np.abs(item_mean))).any(axis=1)
    _mark(status, problems, flat, "an item has the same answer for every respondent of this resample")
    sd = np.where(sd > 0, sd, 1.0)
    R = cov / (sd[:, :, None] * sd[:, None, :])
    R[flat] = np.eye(R.shape[1])

    s1, s2, lay, settings = plan.stage1, plan.stage2, plan.layout, plan.settings
    src1 = s1.source
    core1 = s1.run(R[:, src1[:, None], src1[None, :]], settings)
    _merge(status, problems, core1, "stage 1" if s2 is not None else "the repeated-indicators model", settings["max_iter"])
    W1 = np.nan_to_num(core1.weights)
    raw1 = W1 / sd[:, src1][:, :, None]
    index1 = indices_from_means(s1.model, raw1, item_mean[:, src1])
    cores = {1: core1, 2: core1}
    indexF = index1
    if s2 is not None:
        # stage 2: corr([items, dimension scores]) = Aᵀ R A with A = [unit columns | stage-1 weight columns]
        A = np.zeros((m, R.shape[1], len(s2.source)))
        cols = np.flatnonzero(s2.source >= 0)
        A[:, s2.source[cols], cols] = 1.0
        for c in np.flatnonzero(s2.source < 0):
            block = s1.blocks[s2.dimension[c]]
            A[:, src1[block], c] = W1[:, block, s2.dimension[c]]
        C2 = A.transpose(0, 2, 1) @ R @ A
        sd2 = np.sqrt(np.clip(np.einsum("bii->bi", C2), 0, None))
        _mark(status, problems, (sd2 <= 1e-12).any(axis=1), "a dimension's stage-1 score has zero variance")
        sd2 = np.where(sd2 > 1e-12, sd2, 1.0)
        C2 = C2 / (sd2[:, :, None] * sd2[:, None, :])
        C2[status != OK] = np.eye(C2.shape[1])
        core2 = s2.run(C2, settings)
        _merge(status, problems, core2, "stage 2", settings["max_iter"])
        cores[2] = core2
        item_sd2 = np.where(s2.source >= 0, sd[:, np.maximum(s2.source, 0)], np.nan)  # the scores: no item index
        mean2 = np.where(s2.source >= 0, item_mean[:, np.maximum(s2.source, 0)], np.nan)
        indexF = indices_from_means(s2.model, core2.weights / item_sd2[:, :, None], mean2)
    final = cores[2]

    # the HOC index (two-stage): Σ ŵ_d index_d, ŵ_d ∝ w_d / sd(S_d) = w_d |T_d| (module docstring)
    member = np.zeros((len(src1), len(s1.blocks)))
    for j, block in enumerate(s1.blocks):
        member[block, j] = 1.0
    own = np.einsum("bij,ij->bi", raw1, member)  # each stage-1 item's raw weight in its own construct
    T = _nan_block_sum(own * plan.width1 / 100.0, member)
    hoc_index = np.full((m, len(lay["hocs"])), np.nan)
    for k, (h, indicators, dims) in enumerate(lay["hocs"]):
        v = final.weights[:, indicators, h] * np.abs(T[:, dims])
        hoc_index[:, k] = ((v / v.sum(axis=1, keepdims=True)) * index1[:, dims]).sum(axis=1)
    kind, pos = lay["index_kind"], lay["index_pos"]
    index = np.empty((m, len(kind)))
    for code, source in ((0, index1), (1, indexF), (2, hoc_index)):
        index[:, kind == code] = source[:, pos[kind == code]]

    weights = np.empty((m, len(lay["w_item"])))
    loadings = np.empty_like(weights)
    for stage, core in cores.items():
        rows = lay["w_stage"] == stage
        weights[:, rows] = core.weights[:, lay["w_item"][rows], lay["w_con"][rows]]
        loadings[:, rows] = core.cross_loadings[:, lay["w_item"][rows], lay["w_con"][rows]]
    values = np.concatenate([
        final.paths[:, lay["path_src"], lay["path_tgt"]],
        final.total_effects[:, lay["eff_src"], lay["eff_tgt"]],
        weights,
        loadings,
        final.r2[:, lay["endo"]],
        index,
    ], axis=1)
    return values, status, problems


def _nan_block_sum(values: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per-construct sums (m × J) of item values (m × p); NaN for a construct with a NaN item."""
    bad = np.isnan(values)
    return np.where(bad @ member > 0, np.nan, np.where(bad, 0.0, values) @ member)


def bootstrap_higher_order(
    results: HigherOrderResults,
    data: Any,
    resamples: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> HigherOrderResults:
    """Bootstrap a higher-order fit, re-estimating both stages in every resample (batched).

    ``data`` must be the data of the fit (same respondents; a weighted fit is bootstrapped with its
    weights, held fixed). Returns a copy of ``results`` whose ``paths`` and ``effects`` (of
    ``total_effect``) gain ``std_err, t_value, p_value, ci_lower, ci_upper`` (percentile intervals at
    ``level``), ``r2`` and ``index`` (every construct, the HOCs included) gain ``std_err, ci_lower,
    ci_upper`` (the index also ``margin_of_error``), ``weights`` gains ``weight_*`` and ``loading_*``
    versions, and ``bootstrap`` is a :class:`~csi_survey.engine.bootstrap.BootstrapInfo` (long table
    ``estimates``: statistic path, total_effect, weight, loading, r2, index; ``draws``). ``progress``
    is called as ``progress(done, total)`` after each batch. The same ``seed`` gives the same numbers
    and draws the same respondents as :func:`csi_survey.bootstrap`. See the module docstring.
    """
    if not isinstance(results, HigherOrderResults):
        raise SettingsError(f"results must be the HigherOrderResults of HigherOrderPLS.fit; got {type(results).__name__}",
                            hint="fit the model with HigherOrderPLS(model).fit(data) first.")
    inputs = bootstrap_data(results, results.model, data, resamples=resamples, level=level, seed=seed,
                            function="bootstrap_higher_order")
    plan = _plan(results, inputs.X)
    n, p = inputs.X.shape
    info = batched_bootstrap(lambda K: _estimate_batch(plan, K), *_labels(results), inputs,
                             chunk=max(20, _BATCH_BYTES // (8 * (n + 4 * p * p))), progress=progress)
    return attach_intervals(results, info)
