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

Validation (:func:`validate_higher_order`): a HOC needs its own id (not a construct's), at least two
dimensions, each a first-order construct of the model used by one HOC only (a dimension shared by
two HOCs would be an indicator of two composites in stage 2, which PLS's disjoint measurement
blocks do not allow), no HOC among the dimensions (third-order models are not supported; a HOC
that is its own dimension, or a cycle of HOCs, is reported as such); the structural paths may
name constructs and HOCs but no dimension (a dimension's paths are its HOC's), and must be
recursive (no cycle).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .engine.pls import PLS, SCHEMES, item_matrix
from .exceptions import EstimationError, SettingsError, SpecError, check_choice
from .index import weighted_mean
from .ingest.weights import check_weight_array, effective_n, estimation_weight
from .results import PLSResults, Summary
from .schema import Questionnaire

__all__ = [
    "METHODS",
    "HigherOrder",
    "HigherOrderPLS",
    "HigherOrderResults",
    "validate_higher_order",
    "format_location",
]

#: The estimators of a higher-order model (see the module docstring).
METHODS = ("two_stage", "embedded", "repeated_indicators")
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
def format_location(path: Sequence[Any]) -> str:
    """A location tuple as text: ``("higher_order", "SAT", "dimensions", 1)`` → ``higher_order.SAT.dimensions[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _suggest(name: str, choices: Iterable[str], kind: str) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; {kind} are {', '.join(choices)}"


def _cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """One directed cycle of the graph (as a closed list of nodes), or None."""
    succ: dict[str, list[str]] = {}
    for s, t in edges:
        succ.setdefault(s, []).append(t)
        succ.setdefault(t, [])
    state: dict[str, int] = {}
    for start in succ:
        if start in state:
            continue
        stack = [(start, iter(succ[start]))]
        trail = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                trail.pop()
                state[node] = 2
            elif state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
                trail.append(nxt)
    return None


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
    :func:`format_location`. Depends on nothing but the arguments, so the spec layer can use it.
    """
    cids = list(constructs.construct_ids if isinstance(constructs, Questionnaire) else constructs)
    cset = set(cids)
    problems: list[tuple[Location, str]] = []
    hocs: dict[str, HigherOrder] = {}
    for h in higher_order:
        where = ("higher_order", h.construct)
        if h.construct in hocs:
            problems.append((where, f"higher-order construct {h.construct!r} is declared more than once"))
            continue
        hocs[h.construct] = h
        if h.construct in cset:
            problems.append((where, f"higher-order construct {h.construct!r} has the id of a construct of the model; "
                                    "give the higher-order construct an id of its own"))
    hoc_ids = set(hocs)

    owner: dict[str, str] = {}
    hoc_edges: list[tuple[str, str]] = []
    for hid, h in hocs.items():
        where = ("higher_order", hid, "dimensions")
        if len(set(h.dimensions)) < 2:
            problems.append((where, f"higher-order construct {hid!r} has {len(set(h.dimensions))} dimension(s); "
                                    "it needs at least two (a single dimension is the construct itself)"))
        seen: set[str] = set()
        for k, d in enumerate(h.dimensions):
            loc = where + (k,)
            if d in seen:
                problems.append((loc, f"dimension {d!r} is listed twice for {hid!r}"))
                continue
            seen.add(d)
            if d == hid:
                problems.append((loc, f"higher-order construct {hid!r} is its own dimension"))
            elif d in hoc_ids:
                hoc_edges.append((hid, d))
                problems.append((loc, f"dimension {d!r} is itself a higher-order construct; only second-order "
                                      "models are supported (dimensions are first-order constructs with items)"))
            elif d not in cset:
                problems.append((loc, f"dimension {d!r} of {hid!r} is not a construct of the model"
                                      f"{_suggest(d, cids, 'constructs')}"))
            elif d in owner:
                problems.append((loc, f"dimension {d!r} belongs to two higher-order constructs ({owner[d]!r} and "
                                      f"{hid!r}); a construct can be the dimension of one higher-order construct only"))
            else:
                owner[d] = hid
    cyc = _cycle(hoc_edges)
    if cyc:
        problems.append((("higher_order",), "the higher-order constructs are dimensions of each other in a cycle: "
                                            + " → ".join(cyc)))

    names = cids + [h for h in hocs if h not in cset]
    seen_paths: dict[tuple[str, str], int] = {}
    edges = []
    for k, p in enumerate(paths):
        loc = ("paths", k)
        try:
            s, t = (p.source, p.target) if hasattr(p, "source") else p
        except (TypeError, ValueError):
            problems.append((loc, f"a path is a pair (source, target); got {p!r}"))
            continue
        bad = False
        for end, name in (("source", s), ("target", t)):
            if name in owner:
                problems.append((loc, f"path {end} {name!r} is a dimension of {owner[name]!r}; a dimension has no "
                                      f"paths of its own — link {owner[name]!r} instead"))
                bad = True
            elif name not in cset and name not in hoc_ids:
                problems.append((loc, f"path {end} {name!r} is neither a construct nor a higher-order construct"
                                      f"{_suggest(str(name), names, 'constructs')}"))
                bad = True
        if s == t:
            problems.append((loc, f"path from {s!r} to itself"))
            bad = True
        if (s, t) in seen_paths:
            problems.append((loc, f"path {s} → {t} is listed twice (also paths[{seen_paths[(s, t)]}])"))
            bad = True
        seen_paths.setdefault((s, t), k)
        if not bad:
            edges.append((s, t))
    cyc = _cycle(edges)
    if cyc:
        problems.append((("paths",), "the paths form a cycle: " + " → ".join(cyc) + " (the model must be recursive)"))
    return problems


def _raise_problems(problems: list[tuple[Location, str]]) -> None:
    if problems:
        raise SpecError(
            "The higher-order model is invalid",
            [{"location": format_location(loc), "problem": msg} for loc, msg in problems],
            hint="correct each listed higher-order construct or path and run again.",
        )


# ====================================================================== model building
@dataclass(frozen=True)
class _Frame:
    """Data handed to a stage's PLS fit: the item columns, the respondent ids and the survey weights."""

    items: pd.DataFrame
    respondent_id: pd.Series | None
    weight: np.ndarray | None


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
        The first-order spec: every construct with its items, the HOCs' dimensions included.
        Its paths are the structural model unless ``paths`` is given.
    higher_order:
        The HOCs (one :class:`HigherOrder` or a sequence).
    paths:
        The complete structural model as ``(source, target)`` pairs naming constructs and HOCs
        (:func:`csi_survey.paths` builds them); replaces ``model.paths``. No dimension may appear.
    method:
        ``"two_stage"`` (disjoint, seminr's; default), ``"embedded"`` or ``"repeated_indicators"``.
    scheme, tol, max_iter:
        As :class:`~csi_survey.engine.pls.PLS` (items are always standardized).

    Raises :class:`~csi_survey.exceptions.SpecError` listing every problem of the HOC definitions
    and paths (:func:`validate_higher_order`).

    Example
    -------
    >>> hoc = HigherOrder("Satisfaction", ("Image", "Value"))                        # doctest: +SKIP
    >>> fit = HigherOrderPLS(model, [hoc], paths=csi.paths(["Expectation", "Quality"], "Satisfaction")
    ...                      + csi.paths("Satisfaction", ["Complaints", "Loyalty"])).fit(mobi)  # doctest: +SKIP
    """

    model: Questionnaire
    higher_order: Sequence[HigherOrder] | HigherOrder
    paths: Sequence[tuple[str, str]] | None = None
    method: Method = "two_stage"
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
        check_choice("method", self.method, METHODS)
        check_choice("scheme", self.scheme, SCHEMES)
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
        _raise_problems(validate_higher_order(self.model, hocs, structural))
        # the engine settings are checked by PLS itself
        PLS(self.model, scheme=self.scheme, tol=self.tol, max_iter=self.max_iter)
        repeated: dict[str, str] = {}
        if self.method == "two_stage":
            dims = {h.construct: h.dimensions for h in hocs}
            m = self.model
            stage1 = _questionnaire(m, f"{m.name} (stage 1)", {c: _construct_entry(m, c) for c in m.construct_ids},
                                    _expand(structural, dims))
        else:
            stage1, repeated = self._repeated_model()
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
    def _run(engine: PLS, frame: _Frame, what: str) -> PLSResults:
        try:
            return engine.fit(frame, weight=frame.weight)
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
        base = pd.DataFrame(X, columns=m.item_ids)

        items1 = self._with_aliases(base, self.repeated) if self.repeated else base
        if self.method == "repeated_indicators":
            fit1 = self._run(self._engine(self.stage1_model), _Frame(items1, ids, w), "repeated-indicators model")
            return self._combine(fit1, None, self.repeated, w)
        fit1 = self._run(self._engine(self.stage1_model), _Frame(items1, ids, w), "stage 1")

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
        cols = {}
        for c in stage2_model.constructs:
            for i in stage2_model.constructs[c].item_ids:
                if i in indicator:
                    d = indicator[i]
                    cols[i] = (fit1.scores_100 if d in scaled else fit1.scores)[d].to_numpy()
                else:
                    cols[i] = base[i].to_numpy()
        frame2 = _Frame(pd.DataFrame(cols, columns=stage2_model.item_ids), ids, w)
        fit2 = self._run(self._engine(stage2_model), frame2, "stage 2")
        return self._combine(fit1, fit2, indicator, w)

    @staticmethod
    def _with_aliases(base: pd.DataFrame, alias: Mapping[str, str]) -> pd.DataFrame:
        extra = pd.DataFrame({a: base[i].to_numpy() for a, i in alias.items()}, index=base.index)
        return pd.concat([base, extra], axis=1)

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
        index1 = dict(zip(fit1.index["construct"], fit1.index["index"]))

        # per HOC: its weights on the dimensions and its 0–100 index
        rows = []
        hoc_index: dict[str, float] = {}
        for h in self.higher_order:
            dims = list(h.dimensions)
            index_d = np.array([index1[d] for d in dims])
            if fit2 is not None:
                t = fit2.weights
                own = t[t["construct"] == h.construct]
                by_dim = {names[i]: k for k, i in enumerate(own["item"])}
                pick = [by_dim[d] for d in dims]
                weight_d = own["weight"].to_numpy()[pick]
                loading_d = own["loading"].to_numpy()[pick]
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
            rows.append(pd.DataFrame({
                "construct": h.construct, "dimension": dims, "weight": weight_d, "loading": loading_d,
                "index_weight": what, "dimension_index": index_d,
            }))
        dimensions = pd.concat(rows, ignore_index=True)

        # index: the final fit's constructs, the dimensions from stage 1, the HOCs' own formula
        fin = final.index
        pos_fin = {c: k for k, c in enumerate(fin["construct"])}
        pos_1 = {c: k for k, c in enumerate(fit1.index["construct"])}
        src = [(fit1.index, pos_1[c]) if c in dim_of else (fin, pos_fin[c]) for c in order]
        index = pd.DataFrame({
            "construct": order,
            "label": [(hocs[c].label or c) if c in hocs else self.model.label(c) for c in order],
            "index": [hoc_index[c] if c in hocs else float(t["index"].iat[k]) for c, (t, k) in zip(order, src)],
            "n": [int(t["n"].iat[k]) for t, k in src],
            "level": [2 if c in hocs else 1 for c in order],
            "higher_order": pd.Series([dim_of.get(c) for c in order], dtype=object),
        })
        if "n_effective" in fin.columns:
            index["n_effective"] = float(fin["n_effective"].iat[0])

        # weights: the dimensions' items from stage 1, everything else from the final fit
        parts = []
        for table, stage, keep in ((fit1, 1, fit2 is not None), (fit2, 2, True)):
            if table is None:
                continue
            t = table.weights
            if stage == 1 and keep:
                t = t[t["construct"].isin(list(dim_of))]
            t = t[["construct", "item", "weight", "loading", "index_weight"]].copy()
            t["item"] = [names[i] if c in hocs else i for c, i in zip(t["construct"], t["item"])]
            t["stage"] = stage if fit2 is not None else 1
            parts.append(t)
        weights = pd.concat(parts, ignore_index=True)
        weights = weights.iloc[np.argsort([rank[c] for c in weights["construct"]], kind="stable")].reset_index(drop=True)

        # scores: the final fit's constructs and the dimensions' stage-1 scores
        def combined(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({c: (b[c] if c in dim_of else a[c]).to_numpy() for c in order})

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
