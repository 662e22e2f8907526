"""Roll-ups: indices of members weighted into higher levels (the ACSI national-index method).

The ACSI publishes company indices, weights them into industry indices, industries into sectors and
sectors into the national index (Fornell et al. 1996, "The American Customer Satisfaction Index",
*Journal of Marketing* 60(4); ACSI Methodology Report). csi-survey does the same with the segments
of a batch: the members of the lowest level are the segments of one segment column (e.g. each
``company``), and a weights file says which node each member and each higher node belongs to and
with what weight (revenue, market share, population).

The weights file (CSV or xlsx) has one row per node::

    level,node,parent,weight
    company,Aurora Mobile,Mobile,1250
    company,Atlas Cable,Broadband,830
    industry,Mobile,National,0.55
    industry,Broadband,National,0.45
    national,National,,

- ``level``: the segment column for the members, else the name of the level of that node;
- ``node``: the member (a value of the segment column) or the name of a higher node;
- ``parent``: the node it is weighted into (empty for a top node);
- ``weight``: its weight within its parent (positive; empty only for a top node).

For a node p with children c (members or lower nodes) estimated in a wave, and per construct:

- index ``I_p = Σ w_c I_c / Σ w_c`` over the estimated children (the weights are renormalized
  over what was estimated; ``weight_estimated`` says which share of the weight that is);
- standard error ``se_p = √(Σ (w_c / Σ w_c)² se_c²)``: the children are independent samples,
  so the variance of the weighted mean is the weighted sum of their bootstrap variances;
- interval ``I_p ± z_{1−α/2} se_p``.

A node none of whose children was estimated in a wave has no index that wave. Every problem of the
weights file (a missing column, a member that is no segment of the batch, a missing, negative or
zero weight, a node listed twice, an unknown parent, a cycle) is reported at once, with the file and
the row, before anything is computed or written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .exceptions import DataValidationError, InputFileError
from .ingest.columns import cell_text, finite_number
from .ingest.readers import RawTable, read_table

__all__ = ["ROLLUP_COLUMNS", "RollupSpec", "load_rollup", "rollup_table"]

#: Columns of ``rollup.csv``.
ROLLUP_COLUMNS = ["wave", "level", "node", "parent", "construct", "index", "std_err", "ci_lower", "ci_upper",
                  "members", "members_estimated", "weight_estimated"]

_NEEDED = ("level", "node", "parent", "weight")


@dataclass(frozen=True)
class RollupSpec:
    """A validated roll-up hierarchy (:func:`load_rollup`).

    Attributes
    ----------
    segment:
        The segment column whose segments are the members.
    nodes:
        One row per node: ``level, node, parent, weight, row`` (``row`` as in the file).
    source:
        The weights file's name, for messages.
    """

    segment: str
    nodes: pd.DataFrame
    source: str

    @property
    def members(self) -> list[str]:
        """The members (segment values), in file order."""
        return self.nodes.loc[self.nodes["level"] == self.segment, "node"].tolist()

    def order(self) -> list[str]:
        """The higher nodes, children before parents (each after every node that is weighted into it)."""
        children: dict[str, list[str]] = {}
        for node, parent in zip(self.nodes["node"], self.nodes["parent"]):
            if parent:
                children.setdefault(parent, []).append(node)
        depth: dict[str, int] = {}

        def height(node: str) -> int:
            if node not in depth:
                depth[node] = 1 + max((height(c) for c in children.get(node, [])), default=-1)
            return depth[node]

        higher = self.nodes[self.nodes["level"] != self.segment]
        return sorted(higher["node"], key=lambda n: (height(n), int(higher.index[higher["node"] == n][0])))


def load_rollup(path: str | Path, segment: str, segment_values: Sequence[str] | None = None) -> RollupSpec:
    """Read and validate a roll-up weights file (module docstring).

    ``segment`` is the segment column of the members; ``segment_values``, when given, are the
    values that column takes in the batch: a member that is none of them is an error (a typo would
    otherwise drop the member silently). Raises :class:`~csi_survey.exceptions.DataValidationError`
    with one row per problem (row as in the file, column, value, problem) and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"The roll-up weights file {str(path)!r} does not exist",
                             hint="set rollup.file in the batch config to the CSV (level, node, parent, weight), relative to the config.")
    raw: RawTable = read_table(path)
    frame = raw.frame
    columns = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise InputFileError(
            f"The roll-up weights file {path.name} lacks the column(s) {', '.join(missing)}",
            hint="give it the columns level, node, parent, weight (one row per node; empty parent and weight for a top node).",
        )
    rows = np.asarray(raw.row_numbers)
    text = {c: [cell_text(v).strip() for v in frame[columns[c]]] for c in ("level", "node", "parent")}
    weights = [finite_number(v) for v in frame[columns["weight"]]]
    problems: list[dict] = []

    def bad(k: int, column: str, value: object, problem: str) -> None:
        problems.append({"row": int(rows[k]), "column": column, "value": cell_text(value), "problem": problem})

    seen: dict[str, int] = {}
    for k in range(len(frame)):
        level, node, parent, w = text["level"][k], text["node"][k], text["parent"][k], weights[k]
        if not level:
            bad(k, "level", frame[columns["level"]].iloc[k], "empty: name the level of the node (the segment column for a member)")
        if not node:
            bad(k, "node", frame[columns["node"]].iloc[k], "empty: name the node")
        elif node in seen:
            bad(k, "node", node, f"listed twice (also row {seen[node]}): each node has one parent and one weight")
        else:
            seen[node] = int(rows[k])
        if parent and w is None:
            raw_w = frame[columns["weight"]].iloc[k]
            bad(k, "weight", raw_w, "missing or not a number: a node with a parent needs its weight")
        elif w is not None and w <= 0:
            bad(k, "weight", frame[columns["weight"]].iloc[k], "not positive: weights are revenue, share or population (> 0)")
        if not parent and level == segment:
            bad(k, "parent", "", "a member needs a parent (the node it is weighted into)")
    nodes = set(seen)
    for k in range(len(frame)):
        parent = text["parent"][k]
        if parent and parent not in nodes:
            bad(k, "parent", parent, "not a node of the file: add a row for it (or correct the name)")
        if text["level"][k] == segment and segment_values is not None and text["node"][k] and text["node"][k] not in set(segment_values):
            bad(k, "node", text["node"][k], f"no segment {segment}={text['node'][k]!r} in any wave of the batch")
    if not any(level == segment for level in text["level"]):
        problems.append({"row": 0, "column": "level", "value": "", "problem": f"no row has level {segment!r}: the members are the segments of that column"})
    # cycles: follow the parents
    parent_of = {text["node"][k]: text["parent"][k] for k in range(len(frame)) if text["node"][k]}
    for start in parent_of:
        node, steps = start, 0
        while node and steps <= len(parent_of):
            node, steps = parent_of.get(node, ""), steps + 1
        if node:
            problems.append({"row": seen.get(start, 0), "column": "parent", "value": start, "problem": "the parents form a cycle"})
            break
    if problems:
        table = pd.DataFrame(problems, columns=["row", "column", "value", "problem"])
        raise DataValidationError(
            f"The roll-up weights file {path.name} has {len(problems)} problem(s)",
            table.assign(file=path.name)[["file", "row", "column", "value", "problem"]],
            hint="correct these rows: one row per node (level, node, parent, weight); members are the values of the "
            f"segment column {segment!r}; every parent is a node of the file; weights are positive numbers.",
        )
    out = pd.DataFrame({"level": text["level"], "node": text["node"], "parent": text["parent"],
                        "weight": [np.nan if w is None else w for w in weights], "row": rows.astype(np.int64)})
    return RollupSpec(segment=segment, nodes=out, source=path.name)


def rollup_table(spec: RollupSpec, history: pd.DataFrame, waves: Sequence[str], *, level: float = 0.95,
                 estimated: str = "estimated") -> pd.DataFrame:
    """The index of every higher node per wave and construct (:data:`ROLLUP_COLUMNS`), from the
    members' rows of ``history`` (segment ``"<segment>=<member>"``, with ``index``, ``std_err`` and
    ``status``)."""
    z = stats.norm.ppf(1 - (1 - float(level)) / 2)
    parent_of = dict(zip(spec.nodes["node"], spec.nodes["parent"]))
    weight_of = dict(zip(spec.nodes["node"], spec.nodes["weight"]))
    level_of = dict(zip(spec.nodes["node"], spec.nodes["level"]))
    children: dict[str, list[str]] = {}
    for node, parent in parent_of.items():
        if parent:
            children.setdefault(parent, []).append(node)
    member_count = {n: _count_members(n, children, level_of, spec.segment) for n in parent_of}
    prefix = f"{spec.segment}="
    rows = []
    for wave in waves:
        part = history[(history["wave"] == wave) & history["segment"].astype(str).str.startswith(prefix)]
        if "status" in part.columns:
            part = part[part["status"] == estimated]
        constructs = list(dict.fromkeys(history["construct"]))
        for construct in constructs:
            rows_c = part[part["construct"] == construct]
            value: dict[str, tuple[float, float]] = {}
            estimated_members: dict[str, int] = {}
            estimated_weight: dict[str, float] = {}
            for seg, idx, se in zip(rows_c["segment"], rows_c["index"], rows_c["std_err"]):
                member = str(seg)[len(prefix):]
                if member in level_of and level_of[member] == spec.segment and idx == idx:
                    value[member] = (float(idx), float(se) if se == se else np.nan)
                    estimated_members[member] = 1
            for node in spec.order():
                kids = children.get(node, [])
                got = [c for c in kids if c in value]
                total_w = sum(weight_of[c] for c in kids)
                est_members = sum(estimated_members.get(c, 0) for c in kids)
                if got:
                    w = np.array([weight_of[c] for c in got], dtype=float)
                    share = w / w.sum()
                    idx = float(share @ np.array([value[c][0] for c in got]))
                    se = float(np.sqrt(np.sum(share ** 2 * np.array([value[c][1] for c in got]) ** 2)))
                    value[node] = (idx, se)
                    # the share of the node's weight that rests on estimated members
                    estimated_weight[node] = float(np.sum(w * np.array([estimated_weight.get(c, 1.0) for c in got])) / total_w)
                estimated_members[node] = est_members
                idx, se = value.get(node, (np.nan, np.nan))
                rows.append({
                    "wave": wave, "level": level_of[node], "node": node, "parent": parent_of[node], "construct": construct,
                    "index": idx, "std_err": se,
                    "ci_lower": idx - z * se if se == se else np.nan, "ci_upper": idx + z * se if se == se else np.nan,
                    "members": member_count[node], "members_estimated": est_members,
                    "weight_estimated": estimated_weight.get(node, 0.0),
                })
    table = pd.DataFrame(rows, columns=ROLLUP_COLUMNS)
    table["members"] = table["members"].astype(np.int64)
    table["members_estimated"] = table["members_estimated"].astype(np.int64)
    return table


def _count_members(node: str, children: Mapping[str, list[str]], level_of: Mapping[str, str], segment: str) -> int:
    if level_of.get(node) == segment:
        return 1
    return sum(_count_members(c, children, level_of, segment) for c in children.get(node, []))
