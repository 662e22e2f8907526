"""The questionnaire spec: constructs, their items, scales, missing codes and paths.

A spec reads like the path diagram (as R seminr's ``constructs()`` / ``relationships()``) and is
used by every engine. It is written in YAML::

    name: Retail ACSI 2026-Q3
    scale: {min: 1, max: 10}          # default for every item
    missing_codes: [98, 99]           # "don't know" / "refused": treated as missing
    id_column: respondent_id          # optional
    index: SAT                        # the construct reported as the satisfaction index
    constructs:
      PQ:  {label: Perceived quality, items: [pq_overall, pq_custom, pq_reliab]}
      SAT: {label: 顾客满意度, items: [sat_overall, {id: sat_ideal, reverse: true}]}
    paths:
      - [PQ, SAT]

or built in Python::

    >>> from csi_survey import Questionnaire, construct, paths
    >>> q = Questionnaire.build(
    ...     constructs=[construct("PQ", ["q1", "q2"]), construct("SAT", ["s1", "s2"])],
    ...     paths=paths("PQ", "SAT"), scale=(1, 10))
    >>> q.item_ids
    ['q1', 'q2', 's1', 's2']

Validation reports **every** problem at once as a :class:`~csi_survey.exceptions.SpecError`
whose ``problems`` table gives the location (file, line and path in the document) of each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config import TEMPLATES, parse_yaml, read_yaml_text, template_yaml, yaml_location
from .exceptions import SpecError
from .spec_checks import (
    did_you_mean,
    higher_order_problems,
    interaction_path_problems,
    interaction_structure,
    structural_problems,
)

__all__ = [
    "QualityRules",
    "WeightSpec",
    "Raking",
    "DesignSpec",
    "Scale",
    "Item",
    "Construct",
    "PathSpec",
    "HigherOrderSpec",
    "InteractionSpec",
    "Questionnaire",
    "load_model",
    "template",
    "template_yaml",
    "TEMPLATES",
    "construct",
    "paths",
]

MissingCode = float | str



class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Base):
    """A response scale, e.g. ``{min: 1, max: 10}``. Both ends are valid answers."""

    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"min": value[0], "max": value[1]}
        return value

    @property
    def width(self) -> float:
        return self.max - self.min


def _as_code_list(value: Any) -> Any:
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, (tuple, set)):
        return list(value)
    return [value]


class Item(_Base):
    """One survey item (a column of the export).

    ``scale`` and ``missing_codes`` override the construct's and the questionnaire's. A
    ``reverse`` item is flipped on its scale (``min + max − x``) before anything else.
    """

    id: str
    text: str | None = None
    reverse: bool = False
    scale: Scale | None = None
    missing_codes: list[MissingCode] | None = None
    labels: str | dict[str, float] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_to_str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    _codes = field_validator("missing_codes", mode="before")(classmethod(lambda cls, v: _as_code_list(v)))


class Construct(_Base):
    """A construct measured by one or more items.

    ``mode`` A (reflective, correlation weights; the default) or B (formative, regression weights).
    ``measurement`` says what the construct is: ``composite`` (the weighted sum of its items) or
    ``reflective`` (a common factor the items measure with error: PLS applies the consistent-PLS
    correction, :mod:`csi_survey.engine.plsc`); None (default) takes the spec's ``measurement``.
    """

    label: str | None = None
    items: list[Item] = Field(default_factory=list)
    mode: Literal["A", "B"] = "A"
    measurement: Literal["composite", "reflective"] | None = None
    scale: Scale | None = None
    missing_codes: list[MissingCode] | None = None
    labels: str | dict[str, float] | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if isinstance(value, (str, int)):
            value = [value]
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, (str, int, float)) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("measurement", mode="before")
    @classmethod
    def _measurement_lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    _codes = field_validator("missing_codes", mode="before")(classmethod(lambda cls, v: _as_code_list(v)))

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]


class PathSpec(_Base):
    """A directed path ``source → target`` between two constructs. Written ``[source, target]``."""

    source: str
    target: str

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"a path is a pair [source, target], got {len(value)} element(s): {list(value)}")
            return {"source": value[0], "target": value[1]}
        if isinstance(value, str) and "->" in value:
            source, _, target = value.partition("->")
            return {"source": source.strip(), "target": target.strip()}
        return value


class HigherOrderSpec(_Base):
    """A higher-order construct: ``{dimensions: [IMG, PV], mode: A, label: …}`` or the short form
    ``[IMG, PV]`` (the dimensions only). Its dimensions are first-order constructs of the spec;
    ``mode`` is the mode of the HOC's own weights (A or B), :mod:`csi_survey.higher_order`."""

    dimensions: list[str]
    mode: Literal["A", "B"] = "A"
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple, str)):
            return {"dimensions": [value] if isinstance(value, str) else list(value)}
        return value

    _mode = field_validator("mode", mode="before")(classmethod(lambda cls, v: v.upper() if isinstance(v, str) else v))


def _method_name(value: Any) -> Any:
    return value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else value


class InteractionSpec(_Base):
    """An interaction term ``iv × moderator`` (:mod:`csi_survey.interactions`), written
    ``{iv: IMG, moderator: EXP, method: two_stage, mode: A, targets: [SAT]}`` or ``"IMG*EXP"``.
    Its id ``"IMG*EXP"`` may be a path source."""

    iv: str
    moderator: str
    method: Literal["two_stage", "product_indicator", "orthogonal"] = "two_stage"
    mode: Literal["A", "B"] = "A"
    targets: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            iv, star, moderator = value.partition("*")
            if not star or not iv.strip() or not moderator.strip():
                raise ValueError(f"an interaction is written 'IV*MODERATOR' (e.g. IMG*EXP) or {{iv: IMG, moderator: EXP}}; "
                                 f"got {value!r}")
            return {"iv": iv.strip(), "moderator": moderator.strip()}
        return value

    _method = field_validator("method", mode="before")(classmethod(lambda cls, v: _method_name(v)))
    _mode = field_validator("mode", mode="before")(classmethod(lambda cls, v: v.upper() if isinstance(v, str) else v))
    _targets = field_validator("targets", mode="before")(classmethod(lambda cls, v: [v] if isinstance(v, str) else v))

    @property
    def id(self) -> str:
        """The construct id of the term, ``f"{iv}*{moderator}"``."""
        return f"{self.iv}*{self.moderator}"


Policy = Literal["off", "flag", "exclude"]


class StraightliningRule(_Base):
    """Same answer on every item of a construct block (blocks with at least ``min_items`` items)."""

    policy: Policy = "flag"
    min_items: int = Field(default=3, ge=2)


class SpeederRule(_Base):
    """Interview duration (``column``, in seconds) below ``min_seconds``."""

    column: str
    min_seconds: float = Field(gt=0)
    policy: Policy = "flag"


class MissingShareRule(_Base):
    """More than ``max_share`` of the model's items unanswered."""

    max_share: float = Field(default=0.5, gt=0, le=1)
    policy: Policy = "flag"


class QualityRules(_Base):
    """Data-quality rules; each flags (default) or excludes the respondents it finds.

    Out-of-range and non-numeric answers are governed by ``on_invalid`` (error / exclude / flag).
    """

    duplicates: Policy = "flag"
    straightlining: StraightliningRule | None = None
    speeders: SpeederRule | None = None
    missing: MissingShareRule | None = None

    @field_validator("straightlining", "missing", mode="before")
    @classmethod
    def _policy_shorthand(cls, value: Any) -> Any:
        return {"policy": value} if isinstance(value, str) else value


class Raking(_Base):
    """Raking (iterative proportional fitting) to population margins: column → {category: share}."""

    margins: dict[str, dict[str, float]]
    max_iter: int = Field(default=100, ge=1)
    tol: float = Field(default=1e-6, gt=0)
    trim: tuple[float, float] | None = None  #: bounds on the weights relative to their mean, e.g. (0.2, 5)


class WeightSpec(_Base):
    """Survey weights: a ``column`` of the export, ``raking`` to population margins, or both (the
    column's weights, e.g. the design weights, raked to the margins)."""

    column: str | None = None
    raking: Raking | None = None


class DesignSpec(_Base):
    """The sampling design: ``cluster`` names the column of the primary sampling units (stores,
    branches: the clusters sampled), ``strata`` the column of the strata they were sampled in
    (regions). Either may be left out: without ``strata`` the whole sample is one stratum, without
    ``cluster`` every respondent is a unit of its own. The weights stay in ``weights``."""

    cluster: str | None = None
    strata: str | None = None


class QuadrantSpec(_Base):
    """How the 四分图 (importance × satisfaction quadrants, :mod:`csi_survey.quadrant`) of a run is
    drawn: ``importance`` "derived" (default: the driver's total effect on the index) or "stated"
    (what respondents said: ``stated`` maps each driver — a construct, or an item with
    ``level: item`` — to a number or to the column of the export holding its rated importance,
    whose mean is used)."""

    importance: Literal["derived", "stated"] = "derived"
    level: Literal["construct", "item"] = "construct"
    stated: dict[str, float | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _stated_given(self) -> QuadrantSpec:
        if self.importance == "stated" and not self.stated:
            raise ValueError("importance: stated needs `stated:` — each driver with its importance "
                             "(a number or the column of the rated importance)")
        if self.importance == "derived" and self.stated:
            raise ValueError("`stated:` importances are given with importance: derived — set importance: stated")
        return self


class GapSpec(_Base):
    """An expectation–perception item pair: gap = experienced − expected (same scale)."""

    expected: str
    experienced: str
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return {"expected": value[0], "experienced": value[1]}
        return value


class Questionnaire(_Base):
    """A questionnaire spec: constructs with items, scales, missing codes and the paths between them.

    Driver analysis: ``targets`` are the constructs whose drivers are analysed (default: the
    ``index`` construct and ``LOY`` when the spec has one); ``gaps`` are expectation–perception
    item pairs ``[expected, experienced]``; ``nps_item`` is a 0–10 likelihood-to-recommend column
    and ``csat_item`` a column whose top-``top_box`` answers (default 2) count as satisfied. These
    columns need not belong to a construct.

    Answer labels: ``label_maps`` names maps from answer labels to codes (``{非常满意: 5, 满意: 4}``);
    an item or construct declares ``labels:`` with such a name or an inline map (the item's wins).
    ``quality`` sets the data-quality rules and ``weights`` the survey weights (a column or raking).

    Measurement: ``measurement`` (``composite``, the default, or ``reflective``) is the default of
    every construct's own ``measurement``; PLS corrects the reflective ones for attenuation
    (consistent PLS, see :attr:`reflective_ids`).

    Model extensions (PLS): ``higher_order`` declares higher-order constructs (HOC id →
    :class:`HigherOrderSpec`), estimated by :class:`csi_survey.higher_order.HigherOrderPLS` with the
    spec's ``higher_order_method`` (``two_stage``, the default, ``embedded`` or
    ``repeated_indicators``: one method for the whole model, as the stages are shared);
    ``interactions`` declares interaction terms (:class:`InteractionSpec`), estimated by
    :class:`csi_survey.interactions.ModeratedPLS`. ``paths`` is then the full structural model: it
    may name HOC ids and (as sources) interaction ids such as ``IMG*EXP``; ``index`` and ``targets``
    may name a HOC. :attr:`construct_ids`, :attr:`item_ids`, :attr:`adjacency` and
    :attr:`endogenous` stay those of the first-order constructs; :attr:`structural_paths` is the
    full structural model. The plain :class:`~csi_survey.engine.pls.PLS` engine refuses such a spec.

    For the covariance-based engine only: ``covariances`` lists free covariances between two items
    (residual covariances) or two constructs, written ``[a, b]``; ``sem_lines`` adds lavaan-style
    lines verbatim, e.g. ``"visual ~~ 1*visual"`` (fixed values). PLS ignores both.

    Build one with :func:`load_model` (YAML file), :meth:`from_yaml`, :meth:`from_dict`,
    :meth:`build` or :func:`template`. Instances are immutable; every cross-reference has been
    checked (see :class:`~csi_survey.exceptions.SpecError`).
    """

    name: str = "Untitled survey"
    scale: Scale | None = None
    missing_codes: list[MissingCode] = Field(default_factory=list)
    id_column: str | None = None
    index: str | None = None
    constructs: dict[str, Construct]
    paths: list[PathSpec] = Field(default_factory=list)
    higher_order: dict[str, HigherOrderSpec] = Field(default_factory=dict)
    higher_order_method: Literal["two_stage", "embedded", "repeated_indicators"] = "two_stage"
    interactions: list[InteractionSpec] = Field(default_factory=list)
    covariances: list[PathSpec] = Field(default_factory=list)
    sem_lines: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    gaps: list[GapSpec] = Field(default_factory=list)
    nps_item: str | None = None
    csat_item: str | None = None
    top_box: int = Field(default=2, ge=1)
    label_maps: dict[str, dict[str, float]] = Field(default_factory=dict)
    quality: QualityRules = Field(default_factory=QualityRules)
    weights: WeightSpec | None = None
    design: DesignSpec | None = None
    measurement: Literal["composite", "reflective"] = "composite"
    quadrant: QuadrantSpec = Field(default_factory=QuadrantSpec)

    _codes = field_validator("missing_codes", mode="before")(
        classmethod(lambda cls, v: [] if v is None else _as_code_list(v))
    )
    _measurement = field_validator("measurement", mode="before")(
        classmethod(lambda cls, v: v.lower() if isinstance(v, str) else v)
    )
    _hoc_method = field_validator("higher_order_method", mode="before")(classmethod(lambda cls, v: _method_name(v)))

    @model_validator(mode="after")
    def _check_references(self) -> Questionnaire:
        problems = _semantic_problems(self)
        if problems:
            error = SpecError(
                "The questionnaire spec is invalid",
                [{"location": _fmt_loc((loc,)), "problem": msg} for loc, msg in problems],
                hint="correct each listed entry in the spec and run again.",
            )
            error.raw_problems = problems
            raise error
        return self

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Questionnaire:
        """Validate a mapping of the YAML shape; every problem is reported in one SpecError."""
        return _validate(data, source=source, lines={}, early_problems=[])

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> Questionnaire:
        """Parse and validate YAML text (``source`` names it in error messages)."""
        data, lines, dups = parse_yaml(text, source, "model file")
        return _validate(data, source=source, lines=lines, early_problems=dups)

    @classmethod
    def build(
        cls,
        constructs: Iterable[tuple[str, dict[str, Any]]],
        paths: Iterable[tuple[str, str]] = (),
        **settings: Any,
    ) -> Questionnaire:
        """Build a spec in Python from :func:`construct` and :func:`paths` (as seminr)."""
        data: dict[str, Any] = dict(settings)
        built: dict[str, Any] = {}
        dups = []
        for cid, spec in constructs:
            if cid in built:
                dups.append(((("constructs", cid),), f"construct {cid!r} is declared more than once"))
            built[cid] = spec
        data["constructs"] = built
        data["paths"] = [list(p) for p in paths]
        return _validate(data, source="<build>", lines={}, early_problems=[(loc[0], msg) for loc, msg in dups])

    def to_yaml(self) -> str:
        """The spec as YAML (round-trips through :meth:`from_yaml`)."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["constructs"] = {
            cid: {**c.model_dump(mode="json", exclude_defaults=True), "items": [_item_yaml(i) for i in c.items]}
            for cid, c in self.constructs.items()
        }
        data["paths"] = [[p.source, p.target] for p in self.paths]
        if self.covariances:
            data["covariances"] = [[c.source, c.target] for c in self.covariances]
        if self.higher_order:
            data["higher_order"] = {
                hid: list(h.dimensions) if (h.mode, h.label) == ("A", None) else h.model_dump(mode="json", exclude_defaults=True)
                for hid, h in self.higher_order.items()
            }
        if self.interactions:
            data["interactions"] = [
                t.id if (t.method, t.mode, t.targets) == ("two_stage", "A", []) and "*" not in t.iv + t.moderator
                else t.model_dump(mode="json", exclude_defaults=True)
                for t in self.interactions
            ]
        data = _ints(data)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)

    # ---------------------------------------------------------------- derived facts
    @cached_property
    def construct_ids(self) -> list[str]:
        return list(self.constructs)

    @cached_property
    def item_ids(self) -> list[str]:
        """Every item id, in construct order."""
        return [i.id for c in self.constructs.values() for i in c.items]

    @cached_property
    def items(self) -> dict[str, Item]:
        return {i.id: i for c in self.constructs.values() for i in c.items}

    @cached_property
    def construct_of(self) -> dict[str, str]:
        """Item id → construct id."""
        return {i.id: cid for cid, c in self.constructs.items() for i in c.items}

    def label(self, construct_id: str) -> str:
        """The construct's label, or its id when it has none."""
        return self.constructs[construct_id].label or construct_id

    def item_scale(self, item_id: str) -> Scale | None:
        """The scale of an item: its own, else its construct's, else the questionnaire's."""
        item = self.items[item_id]
        return item.scale or self.constructs[self.construct_of[item_id]].scale or self.scale

    def item_missing_codes(self, item_id: str) -> list[MissingCode]:
        """The missing codes of an item: the most specific declaration wins (item, construct, spec)."""
        item = self.items[item_id]
        construct_codes = self.constructs[self.construct_of[item_id]].missing_codes
        if item.missing_codes is not None:
            return list(item.missing_codes)
        if construct_codes is not None:
            return list(construct_codes)
        return list(self.missing_codes)

    def item_labels(self, item_id: str) -> dict[str, float] | None:
        """The answer-label map of an item (label → code): its own, else its construct's; None if none."""
        item = self.items[item_id]
        spec = item.labels if item.labels is not None else self.constructs[self.construct_of[item_id]].labels
        if spec is None:
            return None
        return dict(self.label_maps[spec]) if isinstance(spec, str) else dict(spec)

    def has_scale(self, construct_id: str) -> bool:
        """True when every item of the construct has a scale, so that a 0–100 index is defined."""
        return all(self.item_scale(i) is not None for i in self.constructs[construct_id].item_ids)

    @cached_property
    def adjacency(self) -> np.ndarray:
        """``J × J`` 0/1 matrix, ``[i, j] = 1`` when there is a path from construct i to construct j
        (paths naming a higher-order construct or an interaction term are not among them)."""
        pos = {c: k for k, c in enumerate(self.construct_ids)}
        adj = np.zeros((len(pos), len(pos)))
        for p in self.paths:
            if p.source in pos and p.target in pos:
                adj[pos[p.source], pos[p.target]] = 1.0
        return adj

    @property
    def has_extensions(self) -> bool:
        """True when the spec declares higher-order constructs or interaction terms (PLS refuses it)."""
        return bool(self.higher_order or self.interactions)

    @cached_property
    def higher_order_ids(self) -> list[str]:
        """The ids of the higher-order constructs, in spec order."""
        return list(self.higher_order)

    @cached_property
    def interaction_ids(self) -> list[str]:
        """The ids of the interaction terms (``"IMG*EXP"``), in spec order."""
        return [t.id for t in self.interactions]

    @cached_property
    def structural_paths(self) -> list[tuple[str, str]]:
        """The full structural model as ``(source, target)`` pairs: ``paths`` (constructs, HOCs,
        interaction terms), then each interaction term's ``targets``, or for a term with neither a
        path nor ``targets`` its default targets (every construct that both its iv and moderator
        have a path to). Equals ``paths`` for a spec without interactions."""
        located, _ = interaction_structure(self.construct_ids, _located_paths(self), self.interactions, full=False,
                                           higher_order_ids=self.higher_order_ids)
        return [(s, t) for _, s, t in located]

    @cached_property
    def reflective_ids(self) -> list[str]:
        """The constructs treated as reflective (common factors), in construct order: those declaring
        ``measurement: reflective``, and mode-A constructs with two or more items that declare none
        when the spec's ``measurement`` is ``reflective``. A single item under that default is not
        corrected (its reliability is 1, as seminr and cSEM treat it), nor is a mode-B block."""
        out = []
        for cid, c in self.constructs.items():
            if c.measurement == "reflective" or (
                c.measurement is None and self.measurement == "reflective" and c.mode == "A" and len(c.items) > 1
            ):
                out.append(cid)
        return out

    @cached_property
    def endogenous(self) -> list[str]:
        """Constructs that are the target of at least one path, in construct order."""
        targets = {p.target for p in self.paths}
        return [c for c in self.construct_ids if c in targets]

    @cached_property
    def driver_targets(self) -> list[str]:
        """The constructs whose drivers are analysed: ``targets``, else the index construct and LOY."""
        if self.targets:
            return list(self.targets)
        explained = {t for _, t in self.structural_paths}
        endogenous = self.endogenous + [h for h in self.higher_order if h in explained]
        default = [c for c in (self.index, "LOY") if c is not None and c in endogenous]
        return list(dict.fromkeys(default)) or list(self.endogenous[-1:])

    def predecessors(self, construct_id: str) -> list[str]:
        return [p.source for p in self.paths if p.target == construct_id]


# ====================================================================== Python builders
def construct(
    construct_id: str,
    items: Sequence[str | Mapping[str, Any]],
    label: str | None = None,
    mode: Literal["A", "B"] = "A",
    scale: tuple[float, float] | Mapping[str, float] | None = None,
    missing_codes: Sequence[MissingCode] | None = None,
) -> tuple[str, dict[str, Any]]:
    """One construct for :meth:`Questionnaire.build` (as seminr's ``composite()``)."""
    spec: dict[str, Any] = {"items": list(items), "mode": mode}
    if label is not None:
        spec["label"] = label
    if scale is not None:
        spec["scale"] = scale
    if missing_codes is not None:
        spec["missing_codes"] = list(missing_codes)
    return construct_id, spec


def paths(sources: str | Sequence[str], targets: str | Sequence[str]) -> list[tuple[str, str]]:
    """Every path from each source to each target (as seminr's ``paths(from, to)``).

    >>> paths(["EXP", "PQ"], "SAT")
    [('EXP', 'SAT'), ('PQ', 'SAT')]
    """
    sources = [sources] if isinstance(sources, str) else list(sources)
    targets = [targets] if isinstance(targets, str) else list(targets)
    return [(s, t) for s in sources for t in targets]


# ====================================================================== loading
def load_model(path: str | Path) -> Questionnaire:
    """Load and validate a questionnaire spec from a YAML file.

    Raises :class:`~csi_survey.exceptions.SpecError` listing every problem (with file and line),
    or when the file is missing or not valid YAML.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(
            "The model file cannot be read",
            [{"location": str(path), "problem": "no such file" if not path.exists() else "not a file"}],
            hint="pass the path of the questionnaire YAML with --model (csi-survey template acsi prints one).",
        )
    return Questionnaire.from_yaml(read_yaml_text(path, "model file"), source=path.name)




def template(name: str) -> Questionnaire:
    """A built-in model: ``acsi`` (Fornell et al. 1996), ``ecsi`` (adds image; mobi items) or ``ccsi``
    (GB/T 19038-2009 / Tsinghua CCSI: image, no complaints; Chinese labels).

    >>> template("ecsi").index
    'SAT'
    """
    return Questionnaire.from_yaml(template_yaml(name), source=f"template {name}")


# ---------------------------------------------------------------------- validation
_LOC_CONTEXT: dict[str, Any] = {}


def _fmt_loc(loc: tuple) -> str:
    """Render ``(path_tuple,)`` with the file and line from the current validation context."""
    path = loc[0] if loc and isinstance(loc[0], tuple) else loc
    return yaml_location(_LOC_CONTEXT.get("source", ""), _LOC_CONTEXT.get("lines", {}), path)


def _validate(data: Mapping[str, Any], source: str, lines: dict, early_problems: list) -> Questionnaire:
    """Validate ``data``; collect structural (pydantic) and cross-reference problems into one SpecError.

    When pydantic finds structural problems, the offending entries are pruned and the rest is
    validated again, so that cross-reference problems are reported in the same error (at the
    positions of the document: list entries after a pruned one keep their original index).
    """
    _LOC_CONTEXT.update(source=source, lines=lines)
    rounds: list[dict[tuple, list[int]]] = []  # per pruning: list (pruned position) → original indices kept

    def original(loc: tuple) -> tuple:
        for kept in reversed(rounds):
            loc = tuple(kept[loc[:i]][part] if isinstance(part, int) and loc[:i] in kept and part < len(kept[loc[:i]])
                        else part for i, part in enumerate(loc))
        return loc

    try:
        problems: list[tuple[tuple, str]] = list(early_problems)
        current: Any = dict(data)
        model = None
        for _attempt in range(5):
            try:
                model = Questionnaire.model_validate(current)
                break
            except ValidationError as exc:
                locs = []
                for err in exc.errors(include_url=False):
                    loc = tuple(err["loc"])
                    problems.append((original(loc), _pydantic_message(err, original(loc))))
                    locs.append(loc)
                pruned = _prune(current, locs)
                if pruned is None:
                    break
                current, kept = pruned
                rounds.append(kept)
            except SpecError as exc:
                problems.extend((original(loc), msg) for loc, msg in exc.raw_problems)  # of the (pruned) spec
                break
        if problems:
            raise SpecError(
                "The questionnaire spec is invalid",
                [{"location": _fmt_loc((loc,)), "problem": msg} for loc, msg in _by_line(problems, lines)],
                hint="correct each listed entry in the spec and run again.",
            ) from None
        assert model is not None
        return model
    finally:
        _LOC_CONTEXT.clear()


def _pydantic_message(err: dict, loc: tuple) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return f"required field {loc[-1]!r} is missing"
    msg = str(err["msg"])
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    return f"{msg} (got {err.get('input')!r})"


def _prune(data: Any, locs: list[tuple]) -> tuple[Any, dict[tuple, list[int]]] | None:
    """A copy of ``data`` without the entries at ``locs`` and, per shortened list (by its position in
    the copy), the original indices of the entries kept; None when nothing could be removed."""
    import copy

    pruned = copy.deepcopy(data)
    removed = False

    def remove(loc: tuple) -> bool | None:
        """Remove the entry at ``loc``: True; False when it is a missing key of a mapping; None else."""
        parent = pruned
        try:
            for part in loc[:-1]:
                parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return None
        last = loc[-1]
        if isinstance(parent, dict) and last in parent:
            del parent[last]
            return True
        if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            parent[last] = _PRUNED
            return True
        return False if isinstance(parent, dict) else None

    for loc in sorted(locs, key=lambda l: [str(p) for p in l], reverse=True):
        if not loc:
            continue
        done = remove(loc)
        if done is False and len(loc) > 1:  # a required key is missing: drop the entry that lacks it
            done = remove(loc[:-1])
        removed = removed or bool(done)
    if not removed:
        return None
    kept: dict[tuple, list[int]] = {}
    return _drop_pruned(pruned, (), kept), kept


_PRUNED = object()


def _drop_pruned(value: Any, path: tuple, kept: dict[tuple, list[int]]) -> Any:
    if isinstance(value, dict):
        return {k: _drop_pruned(v, path + (k,), kept) for k, v in value.items()}
    if isinstance(value, list):
        keep = [k for k, v in enumerate(value) if v is not _PRUNED]
        if len(keep) < len(value):
            kept[path] = keep
        return [_drop_pruned(value[k], path + (j,), kept) for j, k in enumerate(keep)]
    return value


def _by_line(problems: list[tuple[tuple, str]], lines: dict) -> list[tuple[tuple, str]]:
    def line_of(path: tuple) -> int:
        for cut in range(len(path), -1, -1):
            if tuple(path[:cut]) in lines:
                return lines[tuple(path[:cut])]
        return 0

    seen = set()
    unique = []
    for loc, msg in problems:
        if (loc, msg) not in seen:
            seen.add((loc, msg))
            unique.append((loc, msg))
    return sorted(unique, key=lambda p: line_of(p[0])) if lines else unique


_KNOWN_KEYS = {
    "top": ["name", "scale", "missing_codes", "id_column", "index", "constructs", "paths", "covariances", "sem_lines",
            "targets", "gaps", "nps_item", "csat_item", "top_box", "label_maps", "quality", "weights", "design",
            "measurement", "higher_order", "higher_order_method", "interactions"],
    "design": ["cluster", "strata"],
    "higher_order": ["dimensions", "mode", "label"],
    "interaction": ["iv", "moderator", "method", "mode", "targets"],
    "construct": ["label", "items", "mode", "measurement", "scale", "missing_codes", "labels"],
    "item": ["id", "text", "reverse", "scale", "missing_codes", "labels"],
    "scale": ["min", "max"],
}


def _unknown_key_message(loc: tuple) -> str:
    key = str(loc[-1])
    if len(loc) == 1:
        kind = "top"
    elif loc[0] in ("design", "higher_order"):
        kind = str(loc[0])
    elif loc[0] == "interactions":
        kind = "interaction"
    elif "scale" in loc[:-1]:
        kind = "scale"
    elif "items" in loc[:-1]:
        kind = "item"
    else:
        kind = "construct"
    close = difflib.get_close_matches(key, _KNOWN_KEYS[kind], n=1)
    suggestion = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(_KNOWN_KEYS[kind])}"
    return f"unknown key {key!r}{suggestion}"


def _semantic_problems(q: Questionnaire) -> list[tuple[tuple, str]]:
    """Every cross-reference problem of a structurally valid spec, as ``(path, message)``."""
    problems: list[tuple[tuple, str]] = []
    cids = list(q.constructs)

    def check_scale(scale: Scale | None, path: tuple) -> None:
        if scale is not None and not scale.min < scale.max:
            problems.append((path, f"scale min ({scale.min:g}) must be below max ({scale.max:g})"))

    check_scale(q.scale, ("scale",))
    if not q.constructs:
        problems.append((("constructs",), "the spec declares no construct"))

    owner: dict[str, tuple[str, int]] = {}
    for cid, c in q.constructs.items():
        check_scale(c.scale, ("constructs", cid, "scale"))
        if not c.items:
            problems.append((("constructs", cid, "items"), f"construct {cid!r} has no items"))
        for k, item in enumerate(c.items):
            path = ("constructs", cid, "items", k)
            check_scale(item.scale, path + ("scale",))
            if item.id in owner:
                other, other_k = owner[item.id]
                where = "twice in this construct" if other == cid else f"also in construct {other!r}"
                problems.append((path, f"item {item.id!r} is {where}; an item measures one construct only"))
            else:
                owner[item.id] = (cid, k)
            if item.reverse and (item.scale or c.scale or q.scale) is None:
                problems.append((path, f"reverse-coded item {item.id!r} needs a scale (declare scale: on the item, its construct or the spec)"))
            if q.id_column is not None and item.id == q.id_column:
                problems.append((path, f"item {item.id!r} is also the id_column"))
        if c.measurement == "reflective" and len(c.items) == 1:
            problems.append((("constructs", cid, "measurement"),
                             f"construct {cid!r} has a single item, which cannot be corrected for attenuation: "
                             "leave measurement out (reliability 1)"))
        if c.measurement == "reflective" and c.mode == "B":
            problems.append((("constructs", cid, "measurement"),
                             f"construct {cid!r} is mode B, which is formative: use measurement: composite or mode A"))

    hocs = [(hid, h.dimensions) for hid, h in q.higher_order.items()]
    structural = cids + [h for h in q.higher_order if h not in q.constructs]  # constructs and HOCs
    if q.index is not None and q.index not in structural:
        what = "neither a construct nor a higher-order construct" if q.higher_order else "not a construct"
        problems.append((("index",), f"index names {q.index!r}, which is {what}{did_you_mean(q.index, structural)}"))

    # the structural model: constructs, higher-order constructs, interaction terms (spec_checks)
    problems += higher_order_problems(cids, hocs)
    located, more = interaction_structure(cids, _located_paths(q), q.interactions, full=False,
                                          higher_order_ids=q.higher_order_ids)
    problems += more
    problems += structural_problems(cids, located, hocs, q.interaction_ids)
    problems += interaction_path_problems(cids, located, q.interactions, full=False, higher_order_ids=q.higher_order_ids)

    names = set(q.constructs) | set(owner)
    seen_cov: dict[frozenset, int] = {}
    for k, cov in enumerate(q.covariances):
        path = ("covariances", k)
        for end in (cov.source, cov.target):
            if end not in names:
                problems.append((path, f"covariance names {end!r}, which is neither an item nor a construct"
                                       f"{did_you_mean(end, sorted(names), 'items and constructs')}"))
        key = frozenset((cov.source, cov.target))
        if key in seen_cov:
            problems.append((path, f"covariance {cov.source} ~~ {cov.target} is listed twice (also covariances[{seen_cov[key]}])"))
        seen_cov.setdefault(key, k)
        if (cov.source in q.constructs) != (cov.target in q.constructs):
            problems.append((path, f"covariance between item and construct ({cov.source} ~~ {cov.target}): "
                                   "write covariances between two items or between two constructs"))
    for k, line in enumerate(q.sem_lines):
        if not re.search(r"=~|~~|~", line):
            problems.append((("sem_lines", k), f"{line!r} is not a lavaan-style line (expected =~, ~ or ~~)"))

    for cid, c in q.constructs.items():
        for where, spec in [(("constructs", cid, "labels"), c.labels)] + [
            (("constructs", cid, "items", k, "labels"), it.labels) for k, it in enumerate(c.items)
        ]:
            if isinstance(spec, str) and spec not in q.label_maps:
                problems.append((where, f"label map {spec!r} is not declared under label_maps"
                                        f"{did_you_mean(spec, sorted(q.label_maps), 'label maps')}"))
    if q.weights is not None:
        if q.weights.column is None and q.weights.raking is None:
            problems.append((("weights",), "declare weights.column, weights.raking or both (raking the column's weights)"))
        if q.weights.raking is not None:
            for column, shares in q.weights.raking.margins.items():
                total = sum(shares.values())
                if any(v < 0 for v in shares.values()) or abs(total - 1) > 1e-6 and abs(total - 100) > 1e-4:
                    problems.append((("weights", "raking", "margins", column),
                                     f"the shares of {column!r} must be non-negative and sum to 1 (or 100); they sum to {total:g}"))

    explained = {t for _, _, t in located}
    dimension_of = {d: hid for hid, dims in reversed(hocs) for d in dims}  # the first HOC listing d
    for k, target in enumerate(q.targets):
        if target in q.interaction_ids:
            problems.append((("targets", k), f"target {target!r} is an interaction term, which has no drivers; name "
                                             "the construct whose drivers it moderates"))
        elif target not in structural:
            problems.append((("targets", k), f"target {target!r} is not a construct{did_you_mean(target, structural)}"))
        elif target in dimension_of and target in q.constructs:
            problems.append((("targets", k), f"target {target!r} is a dimension of {dimension_of[target]!r}, which "
                                             f"stands for it in the paths: name {dimension_of[target]!r}"))
        elif target not in explained:
            problems.append((("targets", k), f"target {target!r} has no incoming path, so it has no drivers"))
    for k, gap in enumerate(q.gaps):
        if gap.expected == gap.experienced:
            problems.append((("gaps", k), f"gap compares {gap.expected!r} with itself"))
    for key in ("nps_item", "csat_item"):
        value = getattr(q, key)
        if value is not None and value == q.id_column:
            problems.append(((key,), f"{key} {value!r} is the id_column"))
    if q.design is not None:
        d = q.design
        if d.cluster is None and d.strata is None:
            problems.append((("design",), "declare design.cluster (the sampled units, e.g. stores), design.strata "
                                          "(e.g. regions) or both"))
        if d.cluster is not None and d.cluster == d.strata:
            problems.append((("design", "strata"), f"design.strata names the cluster column {d.cluster!r} too; the "
                                                   "strata are the groups the clusters were sampled in (e.g. regions)"))
        for key in ("cluster", "strata"):
            value = getattr(d, key)
            if value is not None and value in owner:
                problems.append((("design", key), f"design.{key} {value!r} is an item of construct "
                                                  f"{owner[value][0]!r}; name a column that identifies the "
                                                  f"{'cluster (e.g. store_id)' if key == 'cluster' else 'stratum (e.g. region)'}"))

    known = set(cids) if q.quadrant.level == "construct" else set(owner)
    for driver in q.quadrant.stated:
        if driver not in known:
            kind = "construct" if q.quadrant.level == "construct" else "item"
            problems.append((("quadrant", "stated", driver), f"{driver!r} is not a {kind} of the model; quadrant.stated "
                                                             f"names the {kind}s whose importance was rated"))
    return problems



def _located_paths(q: Questionnaire) -> list[tuple[tuple, str, str]]:
    """The spec's paths with their locations, ``(("paths", k), source, target)``."""
    return [(("paths", k), p.source, p.target) for k, p in enumerate(q.paths)]


def _ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _item_yaml(item: Item) -> Any:
    dumped = item.model_dump(mode="json", exclude_defaults=True)
    return item.id if list(dumped) == ["id"] else dumped
