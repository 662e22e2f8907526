"""The structural checks of a questionnaire spec: paths, higher-order constructs, interaction terms.

Pure functions of ids and pairs (no pydantic, no engine), shared by the spec
(:mod:`csi_survey.schema`, which adds the file and line of each problem) and the engines that also
take these definitions as Python arguments (:mod:`csi_survey.higher_order`,
:mod:`csi_survey.interactions`), so that a problem is worded the same way wherever it is found.

Every check returns a list of ``(location, problem)`` pairs: ``location`` is a path tuple in the
spec document — ``("paths", 3)``, ``("higher_order", "SAT", "dimensions", 1)``,
``("interactions", 0, "moderator")`` — rendered by :func:`format_location` as
``higher_order.SAT.dimensions[1]``; ``problem`` says what is wrong and how to fix it.

The rules (Becker, Klein & Wetzels 2012 and Sarstedt et al. 2019 for higher-order constructs;
Henseler & Chin 2010 and Becker, Ringle & Sarstedt 2018 for interaction terms; the estimators are
documented in :mod:`csi_survey.higher_order` and :mod:`csi_survey.interactions`):

- a higher-order construct (HOC) has an id of its own and two or more dimensions, each a first-order
  construct of the model belonging to one HOC only; only second-order models (no HOC as a
  dimension, hence no cycle of HOCs);
- a dimension has no paths of its own: its HOC's paths stand for it;
- an interaction term ``iv*moderator`` joins two different constructs; it only explains other
  constructs (never a path target), each of its targets needs the main effects iv → target and
  moderator → target, and it may not explain its own iv or moderator;
- the structural paths name constructs, HOCs and interaction terms, appear once, and are recursive.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from .config import format_path

__all__ = [
    "HIGHER_ORDER_METHODS",
    "INTERACTION_METHODS",
    "format_location",
    "did_you_mean",
    "find_cycle",
    "default_targets",
    "higher_order_problems",
    "interaction_structure",
    "structural_problems",
    "interaction_path_problems",
]

#: The estimators of a higher-order model (:mod:`csi_survey.higher_order`).
HIGHER_ORDER_METHODS = ("two_stage", "embedded", "repeated_indicators")
#: How the indicators of an interaction term are built (:mod:`csi_survey.interactions`).
INTERACTION_METHODS = ("product_indicator", "orthogonal", "two_stage")

Location = tuple[Any, ...]
Problem = tuple[Location, str]
LocatedPath = tuple[Location, str, str]


def format_location(path: Sequence[Any]) -> str:
    """A location tuple as text: ``("higher_order", "SAT", "dimensions", 1)`` → ``higher_order.SAT.dimensions[1]``."""
    return format_path(path)


def did_you_mean(name: str, choices: Iterable[str], kind: str = "constructs") -> str:
    """``"; did you mean 'X'?"`` for the closest choice, else ``"; <kind> are a, b, c"``."""
    choices = list(choices)
    close = difflib.get_close_matches(str(name), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; {kind} are {', '.join(choices)}"


def find_cycle(edges: Iterable[tuple[str, str]], nodes: Iterable[str] = ()) -> list[str] | None:
    """One directed cycle of the graph as a closed list of nodes (``[a, b, a]``), or None.

    Nodes are visited in the order of ``nodes``, then in the order they appear in ``edges``."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
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


# ====================================================================== higher-order constructs
def higher_order_problems(constructs: Sequence[str],
                          higher_order: Sequence[tuple[str, Sequence[str]]]) -> list[Problem]:
    """The problems of the HOC definitions ``(hoc id, dimensions)`` of a model with these constructs."""
    cids = list(constructs)
    cset = set(cids)
    problems: list[Problem] = []
    hocs: dict[str, Sequence[str]] = {}
    for hid, dims in higher_order:
        where = ("higher_order", hid)
        if hid in hocs:
            problems.append((where, f"higher-order construct {hid!r} is declared more than once"))
            continue
        hocs[hid] = dims
        if hid in cset:
            problems.append((where, f"higher-order construct {hid!r} has the id of a construct of the model; "
                                    "give the higher-order construct an id of its own"))
    owner: dict[str, str] = {}
    hoc_edges: list[tuple[str, str]] = []
    for hid, dims in hocs.items():
        where = ("higher_order", hid, "dimensions")
        if len(set(dims)) < 2:
            problems.append((where, f"higher-order construct {hid!r} has {len(set(dims))} dimension(s); "
                                    "it needs at least two (a single dimension is the construct itself)"))
        seen: set[str] = set()
        for k, d in enumerate(dims):
            loc = where + (k,)
            if d in seen:
                problems.append((loc, f"dimension {d!r} is listed twice for {hid!r}"))
                continue
            seen.add(d)
            if d == hid:
                problems.append((loc, f"higher-order construct {hid!r} is its own dimension"))
            elif d in hocs:
                hoc_edges.append((hid, d))
                problems.append((loc, f"dimension {d!r} is itself a higher-order construct; only second-order "
                                      "models are supported (dimensions are first-order constructs with items)"))
            elif d not in cset:
                problems.append((loc, f"dimension {d!r} of {hid!r} is not a construct of the model"
                                      f"{did_you_mean(d, cids)}"))
            elif d in owner:
                problems.append((loc, f"dimension {d!r} belongs to two higher-order constructs ({owner[d]!r} and "
                                      f"{hid!r}); a construct can be the dimension of one higher-order construct only"))
            else:
                owner[d] = hid
    cycle = find_cycle(hoc_edges)
    if cycle:
        problems.append((("higher_order",), "the higher-order constructs are dimensions of each other in a cycle: "
                                            + " → ".join(cycle)))
    return problems


def _dimension_owner(constructs: Collection[str], higher_order: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """Dimension → its HOC, for the valid dimensions (first-order constructs, first HOC listing them)."""
    owner: dict[str, str] = {}
    for hid, dims in higher_order:
        for d in dims:
            if d in constructs and d != hid:
                owner.setdefault(d, hid)
    return owner


# ====================================================================== the structural model
def structural_problems(
    constructs: Sequence[str],
    paths: Sequence[LocatedPath],
    higher_order: Sequence[tuple[str, Sequence[str]]] = (),
    interaction_ids: Collection[str] = (),
) -> list[Problem]:
    """The problems of the structural paths ``(location, source, target)``: ends that name no construct,
    HOC or (as a source) interaction term, a dimension or an interaction term as an end where it may
    not be, paths to themselves or listed twice, and cycles."""
    cids = list(constructs)
    cset = set(cids)
    hoc_ids = [h for h, _ in higher_order]
    owner = _dimension_owner(cset, higher_order)
    names = cids + [h for h in hoc_ids if h not in cset] + [i for i in interaction_ids if i not in cset]
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Location] = {}
    edges: list[tuple[str, str]] = []
    for loc, s, t in paths:
        bad = False
        for end, name in (("source", s), ("target", t)):
            if name in owner:
                problems.append((loc, f"path {end} {name!r} is a dimension of {owner[name]!r}; a dimension has no "
                                      f"paths of its own — link {owner[name]!r} instead"))
                bad = True
            elif name in cset or name in hoc_ids:
                continue
            elif name in interaction_ids:
                if end == "target":
                    problems.append((loc, f"interaction term {name!r} is the target of a path; an interaction term only "
                                          "explains other constructs: remove the path or swap its ends"))
                    bad = True
            else:
                kinds = ["a construct"] + (["a higher-order construct"] if hoc_ids else []) \
                    + (["a declared interaction"] if "*" in str(name) else [])
                what = "is not a construct" if len(kinds) == 1 else "is neither " + " nor ".join(kinds)
                declare = " (declare it under interactions)" if "*" in str(name) else ""
                problems.append((loc, f"path {end} {name!r} {what}{did_you_mean(str(name), names)}{declare}"))
                bad = True
        if s == t:
            problems.append((loc, f"path from {s!r} to itself"))
            bad = True
        if (s, t) in seen:
            problems.append((loc, f"path {s} → {t} is listed twice (also {format_location(seen[(s, t)])})"))
            bad = True
        seen.setdefault((s, t), loc)
        if not bad:
            edges.append((s, t))
    cycle = find_cycle(edges, names)
    if cycle:
        problems.append((("paths",), "the paths form a cycle: " + " → ".join(cycle) + " (the model must be recursive)"))
    return problems


# ====================================================================== interaction terms
def _term_id(term: Any) -> str:
    return f"{term.iv}*{term.moderator}"


def default_targets(term: Any, paths: Iterable[tuple[str, str]], order: Sequence[str]) -> list[str]:
    """The constructs (in ``order``) that both the iv and the moderator of ``term`` have a path to."""
    pairs = list(paths)
    succ = {t for s, t in pairs if s == term.iv}
    mod = {t for s, t in pairs if s == term.moderator}
    return [c for c in order if c in succ and c in mod]


def interaction_structure(
    constructs: Sequence[str],
    paths: Sequence[LocatedPath],
    terms: Sequence[Any],
    *,
    full: bool,
    higher_order_ids: Collection[str] = (),
) -> tuple[list[LocatedPath], list[Problem]]:
    """The structural model with the interaction paths, and the problems of the terms' definitions.

    ``terms`` hold objects with ``iv``, ``moderator`` and ``targets`` (None for an entry that could not
    be read; it is skipped). ``full``: ``paths`` is the complete structural model and a term may not
    declare ``targets``. Otherwise a term's paths are its ``targets`` plus the paths in ``paths``
    from its id; a term with neither gets a path to every construct that both its iv and moderator
    have a path to (its *default targets*)."""
    cids = list(constructs)
    cset = set(cids)
    problems: list[Problem] = []
    seen: dict[frozenset, int] = {}
    for k, term in enumerate(terms):
        if term is None:
            continue
        loc = ("interactions", k)
        for key in ("iv", "moderator"):
            name = getattr(term, key)
            if name in higher_order_ids and name not in cset:
                problems.append((loc + (key,), f"{key} {name!r} is a higher-order construct; interactions with "
                                               "higher-order constructs are not supported yet"))
            elif name not in cset:
                problems.append((loc + (key,), f"{key} {name!r} is not a construct{did_you_mean(name, cids)}"))
        if term.iv == term.moderator:
            problems.append((loc, f"interaction of {term.iv!r} with itself: a quadratic effect is not an interaction "
                                  "term; choose a different moderator"))
            continue
        if _term_id(term) in cset:
            problems.append((loc, f"the interaction id {_term_id(term)!r} is already a construct id; rename that construct"))
        key = frozenset((term.iv, term.moderator))
        if key in seen:
            problems.append((loc, f"interaction {_term_id(term)} duplicates interactions[{seen[key]}] "
                                  f"({_term_id(terms[seen[key]])}; the product is symmetric): remove one of them"))
        seen.setdefault(key, k)
        if full and term.targets:
            problems.append((loc + ("targets",), f"targets of {_term_id(term)} are given although the full structural "
                                                 "model (paths) is given too: write its paths in paths only"))

    located = list(paths)
    if full:
        return located, problems
    ordinary = [(s, t) for _, s, t in paths]
    sources = {s for s, _ in ordinary}
    first: set[frozenset] = set()
    for k, term in enumerate(terms):
        if term is None or term.iv == term.moderator or term.iv not in cset or term.moderator not in cset:
            continue
        if frozenset((term.iv, term.moderator)) in first:
            continue  # a duplicate (reported above)
        first.add(frozenset((term.iv, term.moderator)))
        tid = _term_id(term)
        if term.targets:
            located += [(("interactions", k, "targets", j), tid, t) for j, t in enumerate(term.targets)]
        elif tid not in sources:
            targets = default_targets(term, ordinary, cids)
            if not targets:
                problems.append((("interactions", k), f"interaction {tid} has no target: {term.iv} and {term.moderator} "
                                                      "have no path to a common construct; declare targets: [Y] and "
                                                      "the paths [iv, Y] and [moderator, Y]"))
            located += [(("interactions", k), tid, t) for t in targets]
    return located, problems


def interaction_path_problems(constructs: Sequence[str], paths: Sequence[LocatedPath], terms: Sequence[Any],
                              *, full: bool, higher_order_ids: Collection[str] = ()) -> list[Problem]:
    """The problems of the paths from interaction terms in the structural model ``paths`` (as made by
    :func:`interaction_structure`): a term explaining its own iv or moderator, a target without the
    main effects, a HOC as target, and (``full``) a term without any path."""
    cset = set(constructs)
    valid = {_term_id(t): t for t in terms
             if t is not None and t.iv in cset and t.moderator in cset and t.iv != t.moderator}
    all_ids = {_term_id(t) for t in terms if t is not None}
    ordinary = {(s, t) for _, s, t in paths if s not in all_ids}
    problems: list[Problem] = []
    used: set[str] = set()
    for loc, source, target in paths:
        if source not in valid or target in all_ids:
            continue  # ordinary paths, invalid terms and terms as targets are reported elsewhere
        term = valid[source]
        used.add(source)
        if target in higher_order_ids and target not in cset:
            problems.append((loc, f"{source} → {target}: moderating a path to a higher-order construct is not "
                                  "supported yet"))
            continue
        if target not in cset:
            continue  # an unknown construct (structural_problems)
        if target in (term.iv, term.moderator):
            problems.append((loc, f"{source} → {target}: an interaction term cannot explain its own "
                                  f"{'iv' if target == term.iv else 'moderator'}; remove this path"))
            continue
        missing = [f"[{c}, {target}]" for c in (term.iv, term.moderator) if (c, target) not in ordinary]
        if missing:
            problems.append((loc, f"{source} → {target} needs the main effects {term.iv} → {target} and "
                                  f"{term.moderator} → {target}; add the path(s) {', '.join(missing)} "
                                  "(an interaction without its main effects is misspecified)"))
    if full:
        for k, term in enumerate(terms):
            if term is not None and _term_id(term) in valid and _term_id(term) not in used:
                tid = _term_id(term)
                problems.append((("interactions", k), f"interaction {tid} has no path to any construct; add a path "
                                                      f"[{tid}, Y] for the target Y whose {term.iv} effect it moderates"))
    return problems
