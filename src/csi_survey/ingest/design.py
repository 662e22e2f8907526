"""The sampling design of a survey: clusters sampled within strata, and the Rao–Wu bootstrap.

Satisfaction surveys rarely sample customers independently. Fieldwork picks stores or branches (the
*clusters*, primary sampling units) within regions (the *strata*) and interviews customers there, and
answers from one store resemble each other. The spec says so in a ``design:`` block (the weights stay
in ``weights:``)::

    design: {cluster: store_id, strata: region}

Both are ordinary columns of the export (found in ``SurveyData.other`` by
:func:`~csi_survey.ingest.columns.resolve_column`: exact name, else ignoring case and spaces).
Without ``strata`` the sample is one stratum; without ``cluster`` every respondent is a unit of its
own (a stratified sample of respondents).

:func:`survey_design` reads the design of the data and checks it, reporting every problem in one
:class:`~csi_survey.exceptions.DataValidationError` (row as the user sees it, column, value,
problem): a missing design column (naming the closest), empty cluster or stratum cells, a cluster id
in two strata, a stratum with fewer than two clusters. :func:`~csi_survey.ingest.prepare.prepare`
runs it when the spec declares a design.

The Rao–Wu rescaling bootstrap (Rao & Wu 1988; Rao, Wu & Yue 1992), as R's
``survey::as.svrepdesign(design, type = "subbootstrap")``: in each replicate, every stratum h with
n_h clusters draws n_h − 1 of them with replacement, and every respondent of cluster i gets the
factor ``a_i = n_h / (n_h − 1) × (times cluster i was drawn)`` (0 for clusters not drawn); the
replicate weights are ``a_i × w_i``. :func:`rao_wu_factors` draws them, one random stream per
replicate; :class:`ReplicateWeights` turns them into replicate weights (re-raking them to the
margins when the weights come from raking); the replicate estimates' standard deviation is the
standard error (``survey``'s ``scale = 1/(R − 1)``).

A segment of the data (``segments.subset``) keeps the design columns, so a segment is bootstrapped
with the clusters and strata it contains. There a stratum may hold a single cluster (a segment that
is one store): with ``lonely="split"`` the respondents of such a cluster become the units of their
stratum (the cluster is taken with certainty and its respondents are resampled, Rao–Wu again).

References: Rao, J. N. K. & Wu, C. F. J. (1988), "Resampling inference with complex survey data",
JASA 83, 231–241; Rao, J. N. K., Wu, C. F. J. & Yue, K. (1992), "Some recent work on resampling
methods for complex surveys", Survey Methodology 18, 209–217; Lumley, T. (2010), *Complex Surveys:
A Guide to Analysis Using R*, Wiley.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, InputFileError, SettingsError, check_choice
from .columns import MISSING_SEGMENT, check_survey_data, data_location, resolve_column, segment_order, segment_values
from .weights import RakingMargins, rake_batch, raking_margins

__all__ = ["SurveyDesign", "survey_design", "rao_wu_factors", "jackknife_factors", "jackknife_size", "ReplicateWeights",
           "replicate_weights", "LONELY"]

#: What :func:`survey_design` does with a stratum that has a single cluster.
LONELY = ("error", "split")
_ALL = "(all)"


@dataclass(frozen=True)
class SurveyDesign:
    """Which sampling unit and stratum each respondent belongs to (made by :func:`survey_design`).

    ``unit[n]`` is respondent n's sampling unit (its cluster; a respondent of its own without a
    cluster column or in a ``split`` stratum); units are numbered stratum by stratum, so the units
    of stratum h are ``unit_start[h] … unit_start[h] + units_per_stratum[h] − 1``.
    """

    cluster_column: str | None
    strata_column: str | None
    unit: np.ndarray                 # n, the unit of every respondent
    unit_stratum: np.ndarray         # per unit, its stratum
    strata: tuple[str, ...]          # stratum labels (natural order)
    n_clusters: int                  # distinct clusters of the data (respondents without a cluster column)
    split_strata: tuple[str, ...] = ()   # strata with a single cluster whose respondents became the units

    @property
    def n_strata(self) -> int:
        return len(self.strata)

    @property
    def n_units(self) -> int:
        return int(self.unit_stratum.size)

    @property
    def units_per_stratum(self) -> np.ndarray:
        return np.bincount(self.unit_stratum, minlength=self.n_strata)

    @property
    def unit_start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.units_per_stratum)[:-1]])

    def describe(self) -> str:
        """One line: "40 clusters (store) in 4 strata (region)"."""
        text = f"{self.n_clusters} clusters ({self.cluster_column})" if self.cluster_column else f"{self.n_clusters} respondents"
        text += f" in {self.n_strata} strata ({self.strata_column})" if self.strata_column else " in one stratum"
        if self.split_strata:
            k = len(self.split_strata)
            text += f"; respondents resampled in {k} {'stratum' if k == 1 else 'strata'} with a single cluster"
        return text


# ====================================================================== reading and checking the design
def survey_design(data: Any, *, lonely: str = "error") -> SurveyDesign | None:
    """The sampling design of the data, from the spec's ``design:`` block (None when there is none).

    Checks the design columns of the used respondents and raises one
    :class:`~csi_survey.exceptions.DataValidationError` listing every problem (``failure_cases``:
    row as the user sees it, respondent id, column, value, problem): a design column that is not in
    the data (with the closest names), an empty cluster or stratum cell, a cluster id that occurs in
    two strata, and — with ``lonely="error"`` (the default) — a stratum with fewer than two
    clusters. ``lonely="split"`` accepts such a stratum and makes the respondents of its cluster the
    units of the stratum (used for segments, see the module docstring).
    """
    check_survey_data(data, "survey_design")
    check_choice("lonely", lonely, LONELY)
    spec = getattr(data.questionnaire, "design", None)
    if spec is None:
        return None
    n = len(data.items)
    rows = np.asarray(data.row)
    ids = np.asarray(data.respondent_id).astype(str)
    problems: list[dict[str, Any]] = []
    found: dict[str, tuple[str, np.ndarray]] = {}
    for key in ("cluster", "strata"):
        name = getattr(spec, key)
        if name is None:
            continue
        try:
            kind, col = resolve_column(data, name, f"design.{key}")
        except InputFileError as error:
            problems.append({"row": "", "respondent_id": "", "column": name, "value": "", "problem": error.message})
            continue
        if kind == "item":
            problems.append({"row": "", "respondent_id": "", "column": name, "value": "",
                             "problem": f"design.{key} {name!r} is an item of the model, not a design column"})
            continue
        labels = segment_values(data, col).to_numpy(dtype=object)
        empty = np.flatnonzero(labels == MISSING_SEGMENT)
        what = "cluster id" if key == "cluster" else "stratum"
        problems += [{"row": int(rows[k]), "respondent_id": ids[k], "column": str(col), "value": "",
                      "problem": f"empty {what}: every respondent needs the {what} it was sampled in"} for k in empty]
        found[key] = (str(col), labels)
    if "cluster" in found and "strata" in found:
        problems += _clusters_in_two_strata(found["cluster"], found["strata"], rows)
    known = all(getattr(spec, key) is None or key in found for key in ("cluster", "strata"))
    if lonely == "error" and known:
        problems += _lonely_strata(found, rows, ids)
    if problems:
        _raise(data, problems)

    cluster_col, cluster = found.get("cluster", (None, None))
    strata_col, stratum = found.get("strata", (None, np.full(n, _ALL, dtype=object)))
    if cluster is None:  # every respondent is a unit of its own
        cluster = np.asarray([f"#{k}" for k in range(n)], dtype=object)
    strata = tuple(segment_order(list(stratum)))
    s_code = pd.Categorical(stratum, categories=list(strata)).codes.astype(np.intp)
    c_order = segment_order(list(pd.unique(cluster))) if cluster_col else list(cluster)
    c_code = pd.Categorical(cluster, categories=c_order).codes.astype(np.intp)
    c_stratum = np.zeros(len(c_order), dtype=np.intp)
    c_stratum[c_code] = s_code
    per_stratum = np.bincount(c_stratum, minlength=len(strata))

    split = [strata[h] for h in np.flatnonzero(per_stratum < 2) if np.count_nonzero(s_code == h) >= 2]

    # units: clusters, except that the respondents of a split stratum's cluster become units; numbered by stratum
    unit_key = [(int(s_code[k]), c_code[k] if strata[s_code[k]] not in split else -1, k if strata[s_code[k]] in split else -1)
                for k in range(n)] if split else None
    if unit_key is None:
        order = np.lexsort((np.arange(len(c_order)), c_stratum))  # clusters by stratum, then in natural order
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        unit = rank[c_code]
        unit_stratum = c_stratum[order]
    else:
        keys = sorted(set(unit_key), key=lambda t: (t[0], t[1], t[2]))
        pos = {t: k for k, t in enumerate(keys)}
        unit = np.fromiter((pos[t] for t in unit_key), dtype=np.intp, count=n)
        unit_stratum = np.array([t[0] for t in keys], dtype=np.intp)
    return SurveyDesign(cluster_column=cluster_col, strata_column=strata_col, unit=unit, unit_stratum=unit_stratum,
                        strata=strata, n_clusters=len(c_order), split_strata=tuple(split))


def _clusters_in_two_strata(cluster: tuple[str, np.ndarray], stratum: tuple[str, np.ndarray], rows: np.ndarray) -> list[dict]:
    (c_col, c_lab), (s_col, s_lab) = cluster, stratum
    ok = (c_lab != MISSING_SEGMENT) & (s_lab != MISSING_SEGMENT)
    frame = pd.DataFrame({"c": c_lab[ok], "s": s_lab[ok], "row": rows[ok]})
    first = frame.groupby(["c", "s"], sort=False)["row"].agg(["min", "max", "size"]).reset_index()
    spread = first.groupby("c", sort=False)["s"].transform("size") > 1
    out = []
    for c, part in first[spread].groupby("c", sort=False):
        where = "; ".join(f"{s!r} in {size} row(s) from row {lo}" for s, lo, size in zip(part["s"], part["min"], part["size"]))
        for r in part.itertuples():
            out.append({"row": int(r.min), "respondent_id": "", "column": c_col, "value": str(c),
                        "problem": f"cluster {c!r} occurs in {len(part)} strata of {s_col!r} ({where}): a cluster is "
                        f"sampled within one stratum"})
    return out


def _lonely_strata(found: dict[str, tuple[str, np.ndarray]], rows: np.ndarray, ids: np.ndarray) -> list[dict]:
    """One problem per stratum with fewer than two clusters (respondents, without a cluster column)."""
    s_col, s_lab = found.get("strata", ("", None))
    c_col, c_lab = found.get("cluster", ("", None))
    n = rows.size
    s_lab = np.full(n, _ALL, dtype=object) if s_lab is None else s_lab
    c_lab = np.arange(n).astype(str).astype(object) if c_lab is None else c_lab
    ok = (c_lab != MISSING_SEGMENT) & (s_lab != MISSING_SEGMENT)
    frame = pd.DataFrame({"c": c_lab[ok], "s": s_lab[ok], "k": np.flatnonzero(ok)})
    out = []
    for s, part in frame.groupby("s", sort=False):
        clusters = pd.unique(part["c"])
        if clusters.size >= 2:
            continue
        k = int(part["k"].iloc[0])
        what = f"one cluster ({clusters[0]!r}, {len(part)} respondent(s))" if c_col else f"{len(part)} respondent"
        name = f"stratum {s!r}" if s_col else "the sample (one stratum)"
        out.append({"row": int(rows[k]), "respondent_id": ids[k], "column": s_col or c_col, "value": s if s_col else clusters[0],
                    "problem": f"{name} has only {what}: the Rao–Wu bootstrap draws n − 1 of the n clusters of every "
                    "stratum, so each stratum needs at least two"})
    return out


def _raise(data: Any, problems: list[dict]) -> None:
    table = pd.DataFrame(problems, columns=["row", "respondent_id", "column", "value", "problem"]).astype({"row": object})
    raise DataValidationError(
        f"The survey design (design: in the spec) does not fit {data_location(data)}",
        table,
        hint="1. correct a design column's name in the spec's design: block (it must be a column of the export); "
        "2. fill the empty cluster and stratum cells (every respondent was sampled in one store of one region), or "
        "exclude those respondents from the file; 3. make cluster ids unique across strata (e.g. 'North-S01' "
        "instead of 'S01' in two regions); 4. merge a stratum that holds a single cluster with a similar stratum "
        "(the bootstrap needs two clusters per stratum to see the variation between clusters).",
    )


# ====================================================================== replicate factors
def rao_wu_factors(design: SurveyDesign, seeds: Sequence[np.random.SeedSequence]) -> np.ndarray:
    """The Rao–Wu rescaling factors of each respondent in each replicate: an array len(seeds) × n.

    Replicate r draws from its own stream, ``np.random.default_rng(seeds[r])``: in every stratum h
    (in the order of ``design.strata``) n_h − 1 of its n_h units with replacement, one call of
    ``integers`` for all strata. A unit drawn t times gives its respondents ``n_h / (n_h − 1) × t``
    (0 when not drawn). A stratum with one unit (possible only with ``lonely="split"``) is held
    fixed (factor 1). As ``survey::as.svrepdesign(type = "subbootstrap")``.
    """
    per = design.units_per_stratum
    start = design.unit_start
    sampled = per >= 2
    highs = np.repeat(per[sampled], per[sampled] - 1)
    offsets = np.repeat(start[sampled], per[sampled] - 1)
    scale = np.where(per >= 2, per / np.maximum(per - 1, 1), 1.0)[design.unit_stratum]
    fixed = ~sampled[design.unit_stratum]
    U = design.n_units
    factors = np.empty((len(seeds), U))
    for r, seq in enumerate(seeds):
        drawn = np.random.default_rng(seq).integers(0, highs) + offsets if highs.size else np.empty(0, dtype=np.intp)
        factors[r] = np.bincount(drawn, minlength=U)
    factors *= scale
    factors[:, fixed] = 1.0
    return factors[:, design.unit]


def jackknife_factors(design: SurveyDesign, max_groups: int = 2000, rows: range | None = None) -> np.ndarray:
    """Delete-one-cluster jackknife factors (JKn) of every respondent: one row per unit left out,
    0 for that unit, n_h / (n_h − 1) for the other units of its stratum, 1 elsewhere (a unit alone in
    its stratum is never left out). With more than ``max_groups`` units, units are left out in
    ``max_groups`` equal groups (without rescaling). ``rows`` picks some of the rows (default all;
    :func:`jackknife_size` counts them), so that large designs are formed chunk by chunk. Used for
    the acceleration of BCa intervals."""
    U = design.n_units
    per = design.units_per_stratum
    if U <= max_groups:
        left_out = np.flatnonzero(per[design.unit_stratum] >= 2)
        rows = range(left_out.size) if rows is None else rows
        out = np.ones((len(rows), U))
        for r, g in enumerate(rows):
            u = left_out[g]
            h = design.unit_stratum[u]
            out[r, design.unit_stratum == h] = per[h] / (per[h] - 1)
            out[r, u] = 0.0
    else:
        member = np.arange(U) * max_groups // U
        rows = range(max_groups) if rows is None else rows
        out = (member[None, :] != np.asarray(rows)[:, None]).astype(float)
    return out[:, design.unit]


def jackknife_size(design: SurveyDesign, max_groups: int = 2000) -> int:
    """The number of rows of :func:`jackknife_factors`."""
    if design.n_units > max_groups:
        return max_groups
    return int(np.count_nonzero(design.units_per_stratum[design.unit_stratum] >= 2))


# ====================================================================== replicate weights
@dataclass(frozen=True)
class ReplicateWeights:
    """Turns replicate factors into replicate weights (made by :func:`replicate_weights`).

    Fixed weights (a weight column, or none): ``factor × weight``. Raked weights (``reraked``):
    ``factor × base`` raked to the spec's margins in every replicate
    (:func:`~csi_survey.ingest.weights.rake_batch`, with the spec's ``max_iter`` and ``trim``), so
    the replicates carry the variability of the raking step; the base is the column's weights or
    1. Every replicate's weights sum to n (the full sample's weights have mean 1)."""

    n: int
    weight: np.ndarray | None        # the weights of the data, mean 1 (None: unweighted)
    base: np.ndarray | None = None   # raking: the weights the raking starts from
    margins: RakingMargins | None = None
    max_iter: int = 100
    tol: float = 1e-6
    trim: tuple[float, float] | None = None

    @property
    def reraked(self) -> bool:
        return self.margins is not None

    def of(self, factors: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
        """The replicate weights of every row of factors (m × n) and, for re-raking, the rows that
        failed (NaN weights) with the reason."""
        if self.margins is None:
            return (factors if self.weight is None else factors * self.weight), {}
        assert self.base is not None
        return rake_batch(factors * self.base, self.margins, counts=factors, total=float(self.n), max_iter=self.max_iter,
                          tol=self.tol, trim=self.trim)


def replicate_weights(data: Any) -> ReplicateWeights:
    """How the replicates of ``data`` are weighted: re-raked when the spec rakes and ``data.weight``
    are the raked weights of exactly these respondents (the full sample); otherwise (no raking, a
    weight column, or a segment of raked data, whose weights cannot be raked to the population
    margins on their own) the weights are held fixed."""
    check_survey_data(data, "replicate_weights")
    n = len(data.items)
    weight = getattr(data, "weight", None)
    w = None if weight is None else np.asarray(weight, dtype=np.float64) / np.mean(weight)
    fixed = ReplicateWeights(n=n, weight=w)
    spec = data.questionnaire.weights
    if w is None or spec is None or spec.raking is None:
        return fixed
    try:
        margins = raking_margins(data)
    except (SettingsError, DataValidationError, ValueError):  # e.g. a segment without some categories
        return fixed
    if margins is None:
        return fixed
    if spec.column is not None:
        try:
            kind, col = resolve_column(data, spec.column, "weights")
        except InputFileError:
            return fixed
        if kind != "other":
            return fixed
        base = pd.to_numeric(data.other[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        if not (np.isfinite(base).all() and (base > 0).all()):
            return fixed
        base = base / base.mean()
    else:
        base = np.ones(n)
    raking = spec.raking
    again, failed = rake_batch(base[None, :], margins, total=float(n), max_iter=raking.max_iter, tol=raking.tol,
                               trim=None if raking.trim is None else tuple(raking.trim))
    if failed or not np.allclose(again[0], w, rtol=1e-6, atol=0):
        return fixed  # not the raking of these respondents: a segment, or weights set by hand
    return ReplicateWeights(n=n, weight=w, base=base, margins=margins, max_iter=raking.max_iter, tol=raking.tol,
                            trim=None if raking.trim is None else tuple(raking.trim))

