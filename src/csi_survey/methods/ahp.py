"""AHP (analytic hierarchy process) weights, a five-level satisfaction score and "expert" indices.

**Weights of one pairwise-comparison matrix** (Saaty 1977, 1980). The n criteria are compared in
pairs on Saaty's 1–9 scale: ``a_ij`` says how much more important criterion i is than j
(``a_ji = 1/a_ij``, ``a_ii = 1``). The weights are the principal (Perron) eigenvector of A::

    A w = λmax w,      w normalized to Σ wᵢ = 1 (all wᵢ > 0 for a positive matrix)

computed with :func:`numpy.linalg.eig` (the eigenvalue with the largest real part). Consistency::

    CI = (λmax − n) / (n − 1)          consistency index (0 for a consistent matrix, where λmax = n)
    CR = CI / RI(n)                    consistency ratio; RI = Saaty's random index below

A matrix with **CR > 0.10** is inconsistent: :func:`ahp` refuses it (a
:class:`~csi_survey.exceptions.SpecError` naming the matrix, its CR and the judgment most at odds
with the weights, i.e. the largest ``max(εᵢⱼ, 1/εᵢⱼ)`` with ``εᵢⱼ = aᵢⱼ wⱼ / wᵢ``, Saaty 2003)
unless ``allow_inconsistent=True`` (CLI ``--force``). Matrices of order 1 and 2 are always
consistent (CI = 0) and get CR = 0.

**Random index** (:data:`RANDOM_INDEX`): the mean CI of random reciprocal matrices, as tabulated
by Saaty (1980, p. 21) for n = 1…15::

    n    1     2     3     4     5     6     7     8     9     10    11    12    13    14    15
    RI   0.00  0.00  0.58  0.90  1.12  1.24  1.32  1.41  1.45  1.49  1.51  1.48  1.56  1.57  1.59

(the values for n ≤ 10 are those of Saaty 1990, p. 13). Other tables exist (Saaty 2005's
0.52/0.89/1.11/…, or the Chinese textbook table 0.52/0.89/1.12/1.26/…); pass
``random_index={n: RI}`` to use one. A matrix of more than 15 criteria has no RI: split it
into sub-criteria (Saaty recommends at most 7 ± 2 elements per matrix).

**Hierarchy.** Criteria can have sub-criteria, each set with its own matrix. The **global
weight** of a criterion is its local weight times its parent's global weight (the top level's
global weights are its local weights), so the global weights of the leaves sum to 1.

**Input.** YAML (``.yaml``/``.yml``) or a sheet (``.xlsx``/``.xlsm``/``.csv``, read with
:func:`csi_survey.ingest.read_table`). Entries are numbers or fractions written as text
(``1/3``; YAML reads ``1/3`` as text). A single matrix::

    criteria: [quality, price, service]
    matrix:
      - [1, 3, 5]
      - [1/3, 1, 3]
      - [1/5, 1/3, 1]

A hierarchy adds ``children``, keyed by the criterion they refine, to any depth (and an optional
``name`` for the goal, default ``goal``)::

    name: 满意度
    criteria: [商品, 服务]
    matrix: [[1, 2], [1/2, 1]]
    children:
      商品:
        criteria: [品种齐全, 质量, 价格]
        matrix: [[1, 1/2, 2], [2, 1, 3], [1/2, 1/3, 1]]

A sheet holds one block of rows per matrix: a ``criterion`` column with the row labels (else the
first column), one column per criterion holding the judgments, and, for a hierarchy, a ``matrix``
column naming the matrix of each row (the goal's rows empty or ``goal``/the goal's name, the other
blocks by the criterion they refine). Cells of columns outside a block stay empty.

Every problem is reported at once (:class:`~csi_survey.exceptions.SpecError`): a matrix that is
not square, an entry that is not a positive number, a diagonal entry other than 1, every pair
that is not reciprocal (``|aᵢⱼ·aⱼᵢ − 1| > reciprocal_tol``, default 0.05, which accepts entries
rounded to two decimals such as 0.33 for 1/3), duplicate criterion names (also across the
hierarchy), children of unknown criteria, unknown keys. Pairs within the tolerance are made exactly
reciprocal by their geometric mean, ``aᵢⱼ ← √(aᵢⱼ / aⱼᵢ)``, which leaves exact input unchanged.

**Satisfaction score from five-level answers** (:func:`ahp_satisfaction`). Each factor (a leaf
criterion) gets the mean of its level scores over the valid answers::

    score_f = Σₖ p_fk · s_k            p_fk = share of level k among f's answers
    s = (100, 75, 50, 25, 0)           very satisfied … very dissatisfied (非常满意 … 非常不满意)
    S = Σ_f W_f · score_f              W_f = the factor's global AHP weight

The level scores are the 5-point mean rescaled to 0–100, ``(x̄ − 1)/(5 − 1) × 100`` with
5 = very satisfied: the same linear 0–100 transformation as the ACSI index (Fornell et al. 1996)
and the China Customer Satisfaction Index (CCSI) practice of reporting indices on 0–100. Some
Chinese evaluation schemes score the five levels 100/80/60/40/20 instead: pass
``level_scores=(100, 80, 60, 40, 20)``. Inner criteria of a hierarchy get the weighted mean of
their children's scores (local weights), so the goal's score equals S.

**Expert weights** in place of the PLS weights of the 0–100 index
(:func:`~csi_survey.methods.expert_weights.expert_index`): see :mod:`csi_survey.methods.expert_weights`.

References: Saaty, T. L. (1977), "A scaling method for priorities in hierarchical structures",
*Journal of Mathematical Psychology* 15(3), 234–281; Saaty, T. L. (1980), *The Analytic Hierarchy
Process*, McGraw-Hill; Saaty, T. L. (1990), "How to make a decision: the analytic hierarchy
process", *European Journal of Operational Research* 48(1), 9–26; Saaty, T. L. (2003),
"Decision-making with the AHP: why is the principal eigenvector necessary", *EJOR* 145(1),
85–91; Saaty, T. L. (2008), "Decision making with the analytic hierarchy process", *International
Journal of Services Sciences* 1(1), 83–98; Fornell, C. et al. (1996), "The American Customer
Satisfaction Index: nature, purpose, and findings", *Journal of Marketing* 60(4), 7–18.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import read_yaml_file, yaml_location
from ..exceptions import DataValidationError, SettingsError, SpecError
from ..ingest.readers import RawTable, read_table
from ..results import Summary
from .common import is_blank

__all__ = [
    "RANDOM_INDEX",
    "CR_LIMIT",
    "RECIPROCAL_TOL",
    "LEVELS",
    "LEVEL_SCORES",
    "AHPResults",
    "AHPSatisfaction",
    "ahp",
    "principal_weights",
    "ahp_satisfaction",
    "answer_level",
    "normalize_weights",
]

#: Saaty's (1980, p. 21) random index RI(n) for n = 1…15.
RANDOM_INDEX: Mapping[int, float] = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
    9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
#: A matrix with a consistency ratio above this is inconsistent (Saaty 1980).
CR_LIMIT = 0.10
#: Largest accepted ``|aᵢⱼ·aⱼᵢ − 1|`` of a pair of judgments.
RECIPROCAL_TOL = 0.05
#: The five answer levels, best first.
LEVELS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
#: Default level scores (the 5-point mean rescaled to 0–100).
LEVEL_SCORES: Mapping[str, float] = dict(zip(LEVELS, (100.0, 75.0, 50.0, 25.0, 0.0)))

_TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv")
_YAML_SUFFIXES = (".yaml", ".yml")
_NODE_KEYS = ("criteria", "matrix", "children")
_TOP_KEYS = ("name", *_NODE_KEYS)


# ====================================================================== numbers
def _judgment(value: Any) -> float | str:
    """A matrix entry as a float, or the reason it is not one (a str)."""
    if is_blank(value):
        return "empty entry"
    if isinstance(value, (bool, np.bool_)):
        return f"{value!r} is not a number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
    else:
        text = str(value).strip().replace("／", "/").replace(" ", "").replace("\u3000", "")
        try:
            x = float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            return f"{str(value)!r} is not a number or a fraction such as 1/3"
    if not math.isfinite(x) or x <= 0:
        return f"{_fmt(value)} is not a positive number (judgments are 1/9 … 9)"
    return x


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _ratio(x: float) -> str:
    """3.0 → '3', 0.3333 → '1/3', 0.42 → '0.42' (for messages)."""
    if x >= 1:
        return f"{x:.3g}"
    inv = 1.0 / x
    if abs(inv - round(inv)) < 1e-6:
        return f"1/{round(inv)}"
    return f"{x:.3g}"


# ====================================================================== parsing into nodes
@dataclass
class _Node:
    """One pairwise-comparison matrix as parsed (before the numbers are checked)."""

    name: str
    criteria: list[str]
    entries: list[list[Any]]            # rows of raw entries
    loc_entry: Any                      # (i, j) → location text
    loc_criteria: str
    loc_matrix: str
    parent: str | None = None           # the criterion this matrix refines (None for the top)
    level: int = 1                      # level of its criteria (top matrix: 1)


def _nodes_from_mapping(data: Any, source: str, lines: Mapping[tuple, int]) -> tuple[str, list[_Node], list[dict]]:
    """Walk the YAML-like mapping → goal name, nodes (top first, depth-first) and problems."""
    problems: list[dict] = []
    loc = lambda path: yaml_location(source, lines, path)  # noqa: E731
    if not isinstance(data, Mapping):
        problems.append({"location": source, "problem": f"expected a mapping with criteria: and matrix:, got {type(data).__name__}"})
        return "goal", [], problems
    name = data.get("name", "goal")
    if is_blank(name) or isinstance(name, (Mapping, list)):
        problems.append({"location": loc(("name",)), "problem": "name must be a text (the goal's name)"})
        name = "goal"
    name = str(name).strip()
    nodes: list[_Node] = []

    def visit(node: Any, path: tuple, title: str, parent: str | None, level: int, allowed: Sequence[str]) -> None:
        if not isinstance(node, Mapping):
            problems.append({"location": loc(path), "problem": f"expected a mapping with criteria: and matrix:, got {type(node).__name__}"})
            return
        for key in node:
            if str(key) not in allowed:
                problems.append({"location": loc(path + (str(key),)), "problem": f"unknown key {str(key)!r}; expected {', '.join(allowed)}"})
        ok = True
        crit = node.get("criteria")
        if crit is None:
            problems.append({"location": loc(path) or source, "problem": f"the matrix of {title!r} has no criteria: list"})
            ok = False
        elif not isinstance(crit, list) or not crit:
            problems.append({"location": loc(path + ("criteria",)), "problem": "criteria must be a non-empty list of names"})
            ok = False
        else:
            bad = [k for k, c in enumerate(crit) if is_blank(c) or isinstance(c, (Mapping, list))]
            for k in bad:
                problems.append({"location": loc(path + ("criteria", k)), "problem": f"criterion {k + 1} is not a name: {crit[k]!r}"})
            ok = ok and not bad
        mat = node.get("matrix")
        if mat is None:
            problems.append({"location": loc(path) or source, "problem": f"the matrix of {title!r} is missing (matrix: a list of rows)"})
            ok = False
        elif not isinstance(mat, list) or not all(isinstance(r, list) for r in mat):
            problems.append({"location": loc(path + ("matrix",)), "problem": "matrix must be a list of rows, e.g. [[1, 3], [1/3, 1]]"})
            ok = False
        criteria = [_fmt(c).strip() for c in crit] if ok else []
        if ok:
            nodes.append(_Node(
                name=title,
                criteria=criteria,
                entries=[list(r) for r in mat],
                loc_entry=lambda i, j, p=path: loc(p + ("matrix", i, j)),
                loc_criteria=loc(path + ("criteria",)),
                loc_matrix=loc(path + ("matrix",)),
                parent=parent,
                level=level,
            ))
        children = node.get("children")
        if children is None:
            return
        if not isinstance(children, Mapping):
            problems.append({"location": loc(path + ("children",)), "problem": "children must map a criterion to its sub-criteria matrix"})
            return
        for key, child in children.items():
            key = _fmt(key).strip()
            if criteria and key not in criteria:
                problems.append({
                    "location": loc(path + ("children", key)),
                    "problem": f"{key!r} is not a criterion of {title!r} ({', '.join(criteria)}); children are keyed by the criterion they refine",
                })
                continue
            visit(child, path + ("children", key), key, key, level + 1, _NODE_KEYS)

    visit(data, (), name, None, 1, _TOP_KEYS)
    return name, nodes, problems


def _column(frame: pd.DataFrame, names: Sequence[str]) -> Any | None:
    folded = {str(c).strip().casefold(): c for c in frame.columns}
    for n in names:
        if n in folded:
            return folded[n]
    return None


def _nodes_from_table(table: RawTable | pd.DataFrame) -> tuple[str, list[_Node], list[dict]]:
    """Blocks of a sheet → goal name, nodes (top first, depth-first) and problems."""
    if isinstance(table, RawTable):
        frame, rows, where = table.frame.reset_index(drop=True), np.asarray(table.row_numbers), table.location
    else:
        if not isinstance(table.index, pd.RangeIndex):  # a labelled square matrix: index = criteria
            table = table.rename_axis("criterion").reset_index()
        frame, rows, where = table.reset_index(drop=True), np.arange(2, len(table) + 2), "<DataFrame>"
    problems: list[dict] = []
    keep = ~frame.apply(lambda r: all(is_blank(v) for v in r), axis=1).to_numpy(dtype=bool) if len(frame) else np.zeros(0, bool)
    frame, rows = frame.loc[keep].reset_index(drop=True), rows[keep]
    if frame.shape[1] < 2 or frame.empty:
        return "goal", [], [{"location": where, "problem": "expected a criterion column and one column per criterion, with at least one row"}]
    mat_col = _column(frame, ("matrix", "parent", "矩阵"))
    crit_col = _column(frame, ("criterion", "criteria", "指标", "准则"))
    if crit_col is None:
        crit_col = next(c for c in frame.columns if c != mat_col)
    columns = {str(c).strip(): c for c in frame.columns if c not in (crit_col, mat_col)}
    blocks: dict[str, list[int]] = {}
    for k in range(len(frame)):
        label = "" if mat_col is None or is_blank(frame.at[k, mat_col]) else _fmt(frame.at[k, mat_col]).strip()
        blocks.setdefault(label, []).append(k)
    names = list(blocks)
    all_criteria = {_fmt(frame.at[k, crit_col]).strip() for k in range(len(frame)) if not is_blank(frame.at[k, crit_col])}
    tops = [n for n in names if n == "" or n.casefold() == "goal" or n not in all_criteria]
    goal = "goal"
    if len(tops) != 1:
        problems.append({
            "location": f"{where}, column {mat_col!s}" if mat_col is not None else where,
            "problem": (f"{len(tops)} blocks could be the top matrix ({', '.join(repr(t) for t in tops)}): "
                        "leave the matrix cell of the goal's rows empty (or write goal) and name every other block "
                        "by the criterion it refines") if tops else "no top matrix: leave the matrix cell of the goal's rows empty",
        })
        return goal, [], problems
    top = tops[0]
    if top:
        goal = top
    parsed: dict[str, _Node] = {}
    for label, idx in blocks.items():
        crit = []
        for k in idx:
            if is_blank(frame.at[k, crit_col]):
                problems.append({"location": f"{where}, row {rows[k]}, column {crit_col}", "problem": "empty criterion name"})
            crit.append(_fmt(frame.at[k, crit_col]).strip())
        missing = [c for c in crit if c and c not in columns]
        for c in dict.fromkeys(missing):
            problems.append({"location": f"{where}, block {label or goal!r}", "problem": f"no column {c!r} for the judgments against {c!r}"})
        used = [columns[c] for c in crit if c in columns]
        for k in idx:
            for col in columns.values():
                if col not in used and not is_blank(frame.at[k, col]):
                    problems.append({"location": f"{where}, row {rows[k]}, column {col}",
                                     "problem": f"a judgment outside the block {label or goal!r}, whose criteria are {', '.join(crit)}; leave it empty"})
        if missing or any(not c for c in crit):
            continue
        entries = [[frame.at[k, columns[c]] for c in crit] for k in idx]
        parsed[label] = _Node(
            name=label or goal,
            criteria=crit,
            entries=entries,
            loc_entry=lambda i, j, idx=idx, crit=crit: f"{where}, row {rows[idx[i]]}, column {crit[j]}",
            loc_criteria=f"{where}, block {label or goal!r}, column {crit_col}",
            loc_matrix=f"{where}, block {label or goal!r}",
        )
    if problems or top not in parsed:
        return goal, [], problems
    # order depth-first from the top, attach parents and levels
    nodes: list[_Node] = []
    placed: set[str] = set()

    def visit(label: str, parent: str | None, level: int) -> None:
        node = parsed[label]
        node.parent, node.level = parent, level
        nodes.append(node)
        placed.add(label)
        for c in node.criteria:
            if c in parsed and c not in placed and c != top:
                visit(c, c, level + 1)

    visit(top, None, 1)
    for label in parsed:
        if label not in placed:
            problems.append({"location": f"{where}, block {label!r}", "problem": f"{label!r} is not a criterion of any other block: this block is not attached to the hierarchy"})
    return goal, nodes, problems


# ====================================================================== checking the numbers
@dataclass(frozen=True)
class _Matrix:
    name: str
    criteria: tuple[str, ...]
    A: np.ndarray
    parent: str | None
    level: int


def _check(node: _Node, tol: float, ri: Mapping[int, float]) -> tuple[_Matrix | None, list[dict]]:
    problems: list[dict] = []
    crit = node.criteria
    n = len(crit)
    seen: dict[str, int] = {}
    for k, c in enumerate(crit):
        if c in seen:
            problems.append({"location": node.loc_criteria, "problem": f"criterion {c!r} appears twice (positions {seen[c] + 1} and {k + 1}); names must be unique"})
        else:
            seen[c] = k
    if n not in ri:
        top = max(ri)
        problems.append({"location": node.loc_criteria, "problem": f"{n} criteria: the random index is tabulated for n ≤ {top} only; group them into sub-criteria"})
    rows = node.entries
    if len(rows) != n:
        problems.append({"location": node.loc_matrix, "problem": f"the matrix of {node.name!r} has {len(rows)} rows but {n} criteria; it must be {n} × {n}"})
    for i, r in enumerate(rows):
        if len(r) != n:
            label = f" ({crit[i]})" if i < n else ""
            problems.append({"location": node.loc_matrix, "problem": f"row {i + 1}{label} has {len(r)} entr{'y' if len(r) == 1 else 'ies'}; expected {n}"})
    # every entry present is checked, also in a matrix of the wrong shape
    size = max([n, len(rows), *(len(r) for r in rows)])
    A = np.full((size, size), np.nan)
    name = lambda k: crit[k] if k < n else f"#{k + 1}"  # noqa: E731
    for i, r in enumerate(rows):
        for j, value in enumerate(r):
            x = _judgment(value)
            if isinstance(x, str):
                problems.append({"location": node.loc_entry(i, j), "problem": f"{name(i)} vs {name(j)}: {x}"})
            else:
                A[i, j] = x
    for i in range(size):
        if np.isfinite(A[i, i]) and abs(A[i, i] - 1.0) > 1e-9:
            problems.append({"location": node.loc_entry(i, i), "problem": f"diagonal entry {name(i)} vs {name(i)} is {_fmt(rows[i][i])}; it must be 1"})
    for i in range(size):
        for j in range(i + 1, size):
            a, b = A[i, j], A[j, i]
            if np.isfinite(a) and np.isfinite(b) and abs(a * b - 1.0) > tol:
                problems.append({
                    "location": node.loc_entry(j, i),
                    "problem": f"not reciprocal: {name(i)} vs {name(j)} is {_fmt(rows[i][j])}, so {name(j)} vs {name(i)} must be "
                               f"{_ratio(1 / a)}, not {_fmt(rows[j][i])}",
                })
    if problems:
        return None, problems
    # exact reciprocity: geometric mean of each pair (exact input unchanged)
    R = np.sqrt(A / A.T)
    np.fill_diagonal(R, 1.0)
    return _Matrix(node.name, tuple(crit), R, node.parent, node.level), []


def principal_weights(matrix: Any) -> tuple[np.ndarray, float]:
    """Weights (principal eigenvector, normalized to sum 1) and λmax of a positive square matrix.

    >>> w, lam = principal_weights([[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]])
    >>> [round(x, 3) for x in w], round(lam, 3)
    ([0.637, 0.258, 0.105], 3.039)
    """
    A = np.asarray(matrix, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise SettingsError(f"the matrix must be square and not empty; got shape {A.shape}",
                            hint="pass an n × n array of positive judgments.")
    if not (np.isfinite(A).all() and (A > 0).all()):
        raise SettingsError("the matrix must hold positive finite numbers only",
                            hint="pairwise judgments are positive (1/9 … 9).")
    values, vectors = np.linalg.eig(A)
    k = int(np.argmax(values.real))
    w = vectors[:, k].real
    w = np.abs(w / w.sum())  # the Perron vector has one sign; abs() only removes −0.0
    return w / w.sum(), float(values[k].real)


def _consistency(n: int, lam: float, ri: Mapping[int, float]) -> tuple[float, float, float]:
    if n <= 2:
        return 0.0, float(ri.get(n, 0.0)), 0.0
    ci = max((lam - n) / (n - 1), 0.0)  # λmax ≥ n for a positive reciprocal matrix; clip rounding
    r = float(ri[n])
    return ci, r, (ci / r if r > 0 else 0.0)


# ====================================================================== results
@dataclass(frozen=True)
class AHPResults:
    """AHP weights and consistency of one matrix or a hierarchy. Build with :func:`ahp`.

    Tables
    ------
    weights
        One matrix: ``criterion, weight``. A hierarchy: ``level, parent, criterion, weight,
        global_weight`` (``weight`` is the local weight within the parent's matrix; level 1's
        parent is the goal's name), depth-first (each criterion followed by its sub-criteria).
    consistency
        ``n, lambda_max, ci, ri, cr, consistent`` (one matrix), with a first column ``matrix`` (the
        goal's name or the criterion the matrix refines) for a hierarchy; ``consistent`` is
        ``cr <= cr_limit``.
    matrices
        Matrix name → the judgments used (a labelled square DataFrame, exactly reciprocal).
    """

    name: str
    weights: pd.DataFrame
    consistency: pd.DataFrame
    matrices: Mapping[str, pd.DataFrame]
    hierarchy: bool
    cr_limit: float = CR_LIMIT
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def inconsistent(self) -> list[str]:
        """Names of the matrices whose CR exceeds the limit (used only with ``allow_inconsistent``)."""
        names = self.consistency["matrix"] if "matrix" in self.consistency else pd.Series([self.name])
        return [str(n) for n, ok in zip(names, self.consistency["consistent"]) if not ok]

    def leaf_weights(self) -> pd.Series:
        """Global weights of the leaf criteria (criterion → weight, summing to 1), in tree order."""
        if not self.hierarchy:
            return pd.Series(self.weights["weight"].to_numpy(), index=list(self.weights["criterion"]), name="weight")
        parents = set(self.weights["parent"])
        leaves = self.weights.loc[~self.weights["criterion"].isin(parents)]
        return pd.Series(leaves["global_weight"].to_numpy(), index=list(leaves["criterion"]), name="weight")

    def local_weights(self, matrix: str | None = None) -> pd.Series:
        """The weights of one matrix (criterion → local weight): the goal's when ``matrix`` is None."""
        if not self.hierarchy:
            if matrix not in (None, self.name):
                raise SettingsError(f"no matrix {matrix!r}: this AHP has one matrix, {self.name!r}",
                                    hint="call local_weights() without an argument.")
            return self.leaf_weights()
        key = self.name if matrix is None else str(matrix)
        rows = self.weights.loc[self.weights["parent"] == key]
        if rows.empty:
            raise SettingsError(
                f"no matrix {key!r} in this AHP hierarchy",
                hint=f"choose one of {', '.join(repr(m) for m in self.matrices)}.",
            )
        return pd.Series(rows["weight"].to_numpy(), index=list(rows["criterion"]), name="weight")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables: ``weights.csv`` and ``consistency.csv``."""
        return {"weights.csv": self.weights, "consistency.csv": self.consistency}

    def summary(self) -> Summary:
        info: dict[str, Any] = {
            "Goal": self.name,
            "Matrices": len(self.matrices),
            "Criteria": len(self.weights),
            "Consistency": (f"every CR ≤ {self.cr_limit:.2f}" if not self.inconsistent
                            else f"CR > {self.cr_limit:.2f} for {', '.join(self.inconsistent)} (used because allow_inconsistent=True)"),
        }
        return Summary(title="AHP weights", info=info, tables={"Weights": self.weights, "Consistency": self.consistency})

    def __repr__(self) -> str:
        return f"<AHPResults {self.name!r}: {len(self.matrices)} matrices, {len(self.weights)} criteria>"


def _load(source: Any, sheet: str | int | None) -> tuple[str, list[_Node], list[dict], str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise SpecError(
                "The AHP file cannot be read",
                [{"location": str(source), "problem": "no such file" if not path.exists() else "not a file"}],
                hint="pass a YAML file (criteria: and matrix:) or a sheet (.xlsx/.csv) of pairwise judgments.",
            )
        suffix = path.suffix.lower()
        if suffix in _YAML_SUFFIXES:
            data, lines, _duplicates, _name = read_yaml_file(path, "AHP file")
            return (*_nodes_from_mapping(data, path.name, lines), path.name)
        if suffix in _TABLE_SUFFIXES:
            return (*_nodes_from_table(read_table(path, sheet=sheet)), path.name)
        raise SpecError(
            "The AHP file has an unknown type",
            [{"location": path.name, "problem": f"extension {suffix or '(none)'!r}; expected .yaml, .yml, .xlsx, .xlsm, .csv, .txt or .tsv"}],
            hint="save the judgments as YAML or as a sheet.",
        )
    if isinstance(source, (RawTable, pd.DataFrame)):
        return (*_nodes_from_table(source), "<table>")
    if isinstance(source, Mapping):
        return (*_nodes_from_mapping(source, "<dict>", {}), "<dict>")
    raise SettingsError(
        f"ahp() needs a file path, a mapping (criteria:, matrix:) or a table; got {type(source).__name__}",
        hint="pass e.g. ahp('examples/methods/ahp_criteria.yaml').",
    )


def _random_index(random_index: Mapping[int, float] | None) -> Mapping[int, float]:
    if random_index is None:
        return RANDOM_INDEX
    try:
        table = {int(k): float(v) for k, v in dict(random_index).items()}
    except (TypeError, ValueError):
        raise SettingsError("random_index must map a matrix size n to its random index RI(n)",
                            hint="e.g. random_index={3: 0.52, 4: 0.89, 5: 1.11}.") from None
    bad = [k for k, v in table.items() if k < 1 or not math.isfinite(v) or v < 0 or (k >= 3 and v == 0)]
    if bad:
        raise SettingsError(f"random_index has invalid entries for n = {', '.join(map(str, sorted(bad)))}",
                            hint="give positive RI values for n ≥ 3 (RI(1) = RI(2) = 0).")
    return {1: 0.0, 2: 0.0, **table}


def ahp(
    source: Any,
    *,
    sheet: str | int | None = None,
    allow_inconsistent: bool = False,
    cr_limit: float = CR_LIMIT,
    reciprocal_tol: float = RECIPROCAL_TOL,
    random_index: Mapping[int, float] | None = None,
) -> AHPResults:
    """AHP weights and consistency of a pairwise-comparison matrix or a hierarchy of them.

    Parameters
    ----------
    source:
        A YAML file (``.yaml``/``.yml``), a sheet (``.xlsx``/``.xlsm``/``.csv``/``.txt``/``.tsv``),
        a mapping with the YAML's structure, or a table (DataFrame / RawTable) in the sheet layout.
        See the module docstring for the formats.
    sheet:
        Workbooks: the sheet (name or 0-based position); default the first.
    allow_inconsistent:
        Use matrices whose CR exceeds ``cr_limit`` (the CLI's ``--force``); they are flagged in
        ``consistency.consistent`` and ``notes``. Default False: such a matrix is an error.
    cr_limit:
        The largest acceptable consistency ratio (0.10, Saaty 1980).
    reciprocal_tol:
        Largest accepted ``|aᵢⱼ·aⱼᵢ − 1|``.
    random_index:
        ``{n: RI(n)}`` to use instead of Saaty's (1980) table :data:`RANDOM_INDEX`.

    Raises
    ------
    SpecError
        The file or mapping is malformed (every problem listed), or — unless
        ``allow_inconsistent`` — a matrix has CR > ``cr_limit`` (each listed with its CR and the
        judgment most at odds with the weights).

    >>> res = ahp({"criteria": ["quality", "price", "service"],
    ...            "matrix": [[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]]})
    >>> res.weights.round(3).to_dict("list")
    {'criterion': ['quality', 'price', 'service'], 'weight': [0.637, 0.258, 0.105]}
    """
    if not (isinstance(cr_limit, (int, float)) and 0 < cr_limit < 1):
        raise SettingsError(f"cr_limit must be a number between 0 and 1; got {cr_limit!r}", hint="the usual limit is 0.10.")
    if not (isinstance(reciprocal_tol, (int, float)) and 0 <= reciprocal_tol < 1):
        raise SettingsError(f"reciprocal_tol must be a number in [0, 1); got {reciprocal_tol!r}", hint="the default 0.05 accepts 0.33 for 1/3.")
    ri = _random_index(random_index)
    goal, nodes, problems, source_name = _load(source, sheet)
    matrices: list[_Matrix] = []
    for node in nodes:
        m, probs = _check(node, float(reciprocal_tol), ri)
        problems += probs
        if m is not None:
            matrices.append(m)
    # names unique across the hierarchy
    where: dict[str, tuple[int, str]] = {}
    for k, node in enumerate(nodes):
        for c in dict.fromkeys(node.criteria):
            if c in where and where[c][0] != k:
                problems.append({"location": node.loc_criteria,
                                 "problem": f"criterion {c!r} is also a criterion of {where[c][1]!r}; names must be unique across the hierarchy"})
            where.setdefault(c, (k, node.name))
    if goal in where:
        problems.append({"location": nodes[0].loc_criteria if nodes else source_name,
                         "problem": f"the goal's name {goal!r} is also a criterion; rename the goal (name:)"})
    if not problems and not nodes:
        problems.append({"location": source_name, "problem": "no pairwise-comparison matrix found"})
    if problems:
        raise SpecError(
            "The AHP judgments are not valid",
            problems,
            hint="each matrix is square with 1 on the diagonal, positive entries (fractions such as 1/3 are fine) "
                 "and a_ji = 1/a_ij; criterion names are unique.",
        )

    hierarchy = len(matrices) > 1
    consistency_rows, weight_rows, labelled = [], [], {}
    local: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for m in matrices:
        w, lam = principal_weights(m.A)
        n = len(m.criteria)
        ci, r, cr = _consistency(n, lam, ri)
        consistency_rows.append({"matrix": m.name, "n": n, "lambda_max": lam, "ci": ci, "ri": r, "cr": cr, "consistent": bool(cr <= cr_limit)})
        local[m.name] = (m.criteria, w)
        labelled[m.name] = pd.DataFrame(m.A, index=list(m.criteria), columns=list(m.criteria))
    consistency = pd.DataFrame(consistency_rows)

    bad = consistency.loc[~consistency["consistent"]]
    notes: list[str] = []
    if len(bad):
        rows = []
        for rec in bad.to_dict("records"):
            m = next(x for x in matrices if x.name == rec["matrix"])
            crit, w = local[m.name]
            eps = m.A * np.outer(1 / w, w)  # ε_ij = a_ij w_j / w_i
            dev = np.maximum(eps, 1 / eps)
            i, j = np.unravel_index(np.argmax(np.triu(dev, 1)), dev.shape)
            rows.append({
                "location": next(nd.loc_matrix for nd in nodes if nd.name == m.name),
                "problem": f"matrix {m.name!r}: CR = {rec['cr']:.3f} > {cr_limit:.2f} (λmax = {rec['lambda_max']:.3f}, CI = {rec['ci']:.3f}, "
                           f"RI = {rec['ri']:.2f}); the judgment most at odds with the weights is {crit[i]} vs {crit[j]} = "
                           f"{_ratio(m.A[i, j])}, the weights imply {_ratio(w[i] / w[j])}",
            })
        if not allow_inconsistent:
            raise SpecError(
                "The AHP judgments are inconsistent",
                rows,
                hint=f"revise the judgments named (CR must be ≤ {cr_limit:.2f}), or use them anyway with "
                     "allow_inconsistent=True (csi-survey ahp --force).",
            )
        notes += [r["problem"] + " — used anyway (allow_inconsistent=True)" for r in rows]

    # weights, depth-first with global weights
    top = matrices[0]
    if not hierarchy:
        crit, w = local[top.name]
        weights = pd.DataFrame({"criterion": list(crit), "weight": w})
        consistency = consistency.drop(columns="matrix")
    else:
        out: list[dict] = []

        def emit(name: str, parent_global: float, level: int) -> None:
            crit, w = local[name]
            for c, wc in zip(crit, w):
                out.append({"level": level, "parent": name, "criterion": c, "weight": float(wc), "global_weight": float(wc) * parent_global})
                if c in local:
                    emit(c, float(wc) * parent_global, level + 1)

        emit(top.name, 1.0, 1)
        weights = pd.DataFrame(out, columns=["level", "parent", "criterion", "weight", "global_weight"])
    return AHPResults(name=top.name, weights=weights, consistency=consistency.reset_index(drop=True),
                      matrices=labelled, hierarchy=hierarchy, cr_limit=float(cr_limit), notes=tuple(notes))


# ====================================================================== five-level answers
_LEVEL_WORDS: Mapping[str, tuple[str, ...]] = {
    "very_satisfied": ("very satisfied", "extremely satisfied", "completely satisfied", "非常满意", "很满意", "十分满意", "特别满意"),
    "satisfied": ("satisfied", "somewhat satisfied", "fairly satisfied", "满意", "比较满意", "较满意"),
    "neutral": ("neutral", "neither satisfied nor dissatisfied", "neither", "average", "一般", "中立", "说不清", "还行"),
    "dissatisfied": ("dissatisfied", "unsatisfied", "somewhat dissatisfied", "不满意", "比较不满意", "较不满意", "不太满意"),
    "very_dissatisfied": ("very dissatisfied", "very unsatisfied", "extremely dissatisfied", "completely dissatisfied",
                          "非常不满意", "很不满意", "十分不满意", "特别不满意"),
}
_CODE_LEVEL = {"5": "very_satisfied", "4": "satisfied", "3": "neutral", "2": "dissatisfied", "1": "very_dissatisfied"}
_PREFIX = re.compile(r"^\s*[1-5]\s*[.、:：)）\-–=]?\s*(?=\D)")


def _norm(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).replace("\u3000", " ").replace("_", " ").strip().casefold()
    return re.sub(r"\s+", " ", text).rstrip(".。!！")


def _label_table(labels: Mapping[Any, Any] | None) -> dict[str, str]:
    base = {_norm(w): level for level, words in _LEVEL_WORDS.items() for w in (*words, level)}
    base.update(_CODE_LEVEL)
    table = dict(base)
    if labels:
        bad = []
        for key, level in labels.items():
            lv = base.get(_norm(level))
            if lv is None:
                bad.append(f"{key!r}: {level!r}")
            else:
                table[_norm(key)] = lv
        if bad:
            raise SettingsError(
                f"labels must map answers to one of the five levels; not so for {', '.join(bad)}",
                hint=f"use a level name ({', '.join(LEVELS)}) or its code 5 … 1 (5 = very satisfied).",
            )
    return table


def answer_level(value: Any, labels: Mapping[Any, Any] | None = None) -> str | None:
    """The level (one of :data:`LEVELS`) of an answer, None for an empty cell.

    Accepted: the level names, English and Chinese wordings (非常满意, 满意, 一般, 不满意,
    非常不满意 and variants such as 比较满意, 很不满意), codes 5 … 1 (5 = very satisfied) and
    coded labels such as ``"5 非常满意"``; ``labels`` adds or overrides entries (``{1:
    "very_satisfied", 5: "very_dissatisfied"}`` reverses the codes). Raises ValueError for
    anything else.

    >>> answer_level("比较满意"), answer_level(1), answer_level("Very satisfied")
    ('satisfied', 'very_dissatisfied', 'very_satisfied')
    """
    level = _level(value, _label_table(labels))
    if level is _INVALID:
        raise ValueError(f"{value!r} is not one of the five satisfaction levels")
    return level  # type: ignore[return-value]


_INVALID = object()


def _level(value: Any, table: Mapping[str, str]) -> str | None | object:
    if is_blank(value):
        return None
    key = _norm(value)
    if key in table:
        return table[key]
    stripped = _PREFIX.sub("", key)
    if stripped != key and stripped in table:
        return table[stripped]
    return _INVALID


def _level_scores(level_scores: Any) -> dict[str, float]:
    if level_scores is None:
        return dict(LEVEL_SCORES)
    if isinstance(level_scores, Mapping):
        keys = {str(k).strip(): v for k, v in level_scores.items()}
        if set(keys) != set(LEVELS):
            raise SettingsError(f"level_scores must give a score for each of {', '.join(LEVELS)}; got {', '.join(keys)}",
                                hint="or pass five numbers, best level first, e.g. (100, 80, 60, 40, 20).")
        values = [keys[k] for k in LEVELS]
    else:
        values = list(level_scores)
        if len(values) != 5:
            raise SettingsError(f"level_scores needs five numbers (very satisfied … very dissatisfied); got {len(values)}",
                                hint="e.g. level_scores=(100, 75, 50, 25, 0).")
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        raise SettingsError(f"level_scores must be numbers; got {values!r}", hint="e.g. (100, 75, 50, 25, 0).") from None
    if not all(math.isfinite(v) for v in floats):
        raise SettingsError(f"level_scores must be finite numbers; got {values!r}", hint="e.g. (100, 75, 50, 25, 0).")
    return dict(zip(LEVELS, floats))


def _factor_weights(weights: Any) -> tuple[pd.Series, AHPResults | None]:
    if isinstance(weights, AHPResults):
        return weights.leaf_weights(), weights
    if isinstance(weights, pd.Series):
        weights = weights.to_dict()
    if not isinstance(weights, Mapping) or not weights:
        raise SettingsError(
            f"weights must be AHP results (csi_survey.methods.ahp) or a mapping factor → weight; got {type(weights).__name__}",
            hint="pass ahp('judgments.yaml') or e.g. {'quality': 0.6, 'price': 0.4}.",
        )
    return normalize_weights(weights, "weights"), None


def normalize_weights(weights: Mapping[Any, Any], what: str) -> pd.Series:
    """Positive weights by name (name → number) as a float Series named ``weight`` summing to 1.

    Raises :class:`~csi_survey.exceptions.SettingsError`, naming ``what`` and every entry that is
    not a positive finite number.
    """
    values, bad = {}, []
    for k, v in weights.items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = float("nan")
        if not (math.isfinite(x) and x > 0):
            bad.append(f"{k}: {v!r}")
        values[str(k)] = x
    if bad:
        raise SettingsError(f"{what} must be positive numbers; not so for {', '.join(bad)}",
                            hint="give every factor a weight above 0 (they are normalized to sum 1).")
    s = pd.Series(values, name="weight", dtype=float)
    return s / s.sum()


@dataclass(frozen=True)
class AHPSatisfaction:
    """A satisfaction score from five-level answers weighted by AHP weights (:func:`ahp_satisfaction`).

    Attributes
    ----------
    score:
        The overall 0–100 score ``S = Σ_f W_f · score_f``.
    scores:
        One row per criterion: ``criterion, weight, global_weight, n, score, contribution``
        (hierarchies add ``level, parent`` first). ``n`` is the number of valid answers of a
        factor (leaves; NaN for inner criteria), ``score`` the factor's 0–100 score (inner
        criteria: the weighted mean of their children's) and ``contribution = global_weight ×
        score`` (the leaves' contributions sum to ``score``).
    distribution:
        ``factor, level, level_score, count, share`` — the answer distribution of each factor.
    """

    score: float
    scores: pd.DataFrame
    distribution: pd.DataFrame
    level_scores: Mapping[str, float]

    def summary(self) -> Summary:
        scores = dict(self.level_scores)
        info = {
            "Satisfaction score (0–100)": f"{self.score:.1f}",
            "Level scores": " / ".join(f"{scores[k]:g}" for k in LEVELS) + " (very satisfied … very dissatisfied)",
        }
        return Summary(title="AHP satisfaction score", info=info, tables={"Scores": self.scores})

    def tables(self) -> dict[str, pd.DataFrame]:
        """CSV tables: ``satisfaction_scores.csv`` and ``satisfaction_distribution.csv``."""
        return {"satisfaction_scores.csv": self.scores, "satisfaction_distribution.csv": self.distribution}


def _frame_rows(table: Any, what: str) -> tuple[pd.DataFrame, np.ndarray]:
    if isinstance(table, RawTable):
        return table.frame.reset_index(drop=True), np.asarray(table.row_numbers)
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True), np.arange(2, len(table) + 2)
    raise SettingsError(f"{what} must be a DataFrame or a RawTable (csi_survey.read_table); got {type(table).__name__}",
                        hint=f"read the file with csi_survey.read_table(path) and pass it as {what}=.")


def ahp_satisfaction(
    weights: AHPResults | Mapping[str, float],
    responses: RawTable | pd.DataFrame | None = None,
    *,
    distribution: pd.DataFrame | None = None,
    columns: Mapping[str, str] | None = None,
    id_column: str | None = None,
    labels: Mapping[Any, Any] | None = None,
    level_scores: Mapping[str, float] | Sequence[float] | None = None,
) -> AHPSatisfaction:
    """A 0–100 satisfaction score from five-level answers, weighted by AHP weights.

    Parameters
    ----------
    weights:
        :class:`AHPResults` (the leaves' global weights; inner criteria get roll-up scores) or a
        mapping factor → weight (normalized to sum 1).
    responses:
        One row per respondent and one column per factor (named as the factor, or mapped with
        ``columns``), cells holding the answers (see :func:`answer_level`); empty cells are not
        counted. Other columns are ignored.
    distribution:
        Instead of ``responses``: the answer counts, one row per factor: a ``factor`` column and
        one column per level (named by a level or any of its wordings, e.g. ``非常满意``).
    columns:
        factor → column of ``responses`` when they differ.
    id_column:
        Column with respondent ids, for the error messages.
    labels, level_scores:
        Extra answer wordings (:func:`answer_level`) and the five level scores, best first
        (default 100, 75, 50, 25, 0).

    Raises
    ------
    DataValidationError
        Lists every answer that is not one of the five levels, every factor without a column and
        every factor without any valid answer.
    """
    scores_map = _level_scores(level_scores)
    w, res = _factor_weights(weights)
    table = _label_table(labels)
    factors = list(w.index)
    columns = {str(k): str(v) for k, v in (columns or {}).items()}
    problems: list[dict] = []
    counts = pd.DataFrame(0.0, index=factors, columns=list(LEVELS))
    if (responses is None) == (distribution is None):
        raise SettingsError("pass either responses= (one answer per cell) or distribution= (counts per level), not both or neither",
                            hint="e.g. ahp_satisfaction(weights, read_table('answers.csv')).")
    if responses is not None:
        frame, rows = _frame_rows(responses, "responses")
        ids = (frame[id_column].map(lambda v: "" if is_blank(v) else _fmt(v).strip()).to_numpy()
               if id_column is not None and id_column in frame.columns else rows.astype(str))
        if id_column is not None and id_column not in frame.columns:
            problems.append({"row": "", "respondent_id": "", "column": id_column, "value": "", "problem": "id column not found"})
        for f in factors:
            col = columns.get(f, f)
            if col not in frame.columns:
                problems.append({"row": "", "respondent_id": "", "column": col, "value": "",
                                 "problem": f"no column for factor {f!r}" + ("" if col == f else f" (mapped to {col!r})")})
                continue
            for k, v in enumerate(frame[col].to_numpy()):
                level = _level(v, table)
                if level is _INVALID:
                    problems.append({"row": int(rows[k]), "respondent_id": ids[k], "column": col, "value": str(v),
                                     "problem": "not one of the five levels (非常满意 … 非常不满意 / very satisfied … very dissatisfied / 5 … 1)"})
                elif level is not None:
                    counts.at[f, level] += 1
    else:
        frame, rows = _frame_rows(distribution, "distribution")
        fcol = _column(frame, ("factor", "criterion", "因素", "指标"))
        level_cols: dict[str, Any] = {}
        for c in frame.columns:
            if c == fcol:
                continue
            lv = _level(c, table)
            if isinstance(lv, str):
                if lv in level_cols:
                    problems.append({"row": 1, "respondent_id": "", "column": str(c), "value": "", "problem": f"a second column for level {lv}"})
                level_cols[lv] = c
        if fcol is None:
            problems.append({"row": 1, "respondent_id": "", "column": "factor", "value": "", "problem": "no factor column"})
        for lv in LEVELS:
            if lv not in level_cols:
                problems.append({"row": 1, "respondent_id": "", "column": lv, "value": "", "problem": f"no column for level {lv}"})
        if not problems:
            seen = set()
            for k in range(len(frame)):
                f = _fmt(frame.at[k, fcol]).strip()
                if f not in counts.index:
                    if f:
                        problems.append({"row": int(rows[k]), "respondent_id": f, "column": str(fcol), "value": f,
                                         "problem": "not a factor of the weights"})
                    continue
                if f in seen:
                    problems.append({"row": int(rows[k]), "respondent_id": f, "column": str(fcol), "value": f, "problem": "factor listed twice"})
                seen.add(f)
                for lv, c in level_cols.items():
                    v = frame.at[k, c]
                    try:
                        x = 0.0 if is_blank(v) else float(v)
                    except (TypeError, ValueError):
                        x = float("nan")
                    if not (math.isfinite(x) and x >= 0):
                        problems.append({"row": int(rows[k]), "respondent_id": f, "column": str(c), "value": str(v), "problem": "not a count ≥ 0"})
                    else:
                        counts.at[f, lv] = x
            for f in factors:
                if f not in seen:
                    problems.append({"row": "", "respondent_id": f, "column": str(fcol), "value": "", "problem": f"no row for factor {f!r}"})
    if np.all(np.mod(counts.to_numpy(), 1) == 0):
        counts = counts.astype(np.int64)
    n = counts.sum(axis=1)
    if not problems:
        for f in factors:
            if n[f] == 0:
                problems.append({"row": "", "respondent_id": "", "column": columns.get(f, f), "value": "", "problem": f"factor {f!r} has no valid answer"})
    if problems:
        raise DataValidationError("The five-level answers cannot be scored", problems,
                                  hint="map other wordings with labels={...}; every weighted factor needs a column and answers.")

    level_vec = np.array([scores_map[lv] for lv in LEVELS])
    share = counts.div(n, axis=0)
    leaf_score = share.to_numpy() @ level_vec
    leaf = pd.Series(leaf_score, index=factors)
    S = float((w * leaf).sum())
    distribution_table = pd.DataFrame({
        "factor": np.repeat(factors, len(LEVELS)),
        "level": np.tile(LEVELS, len(factors)),
        "level_score": np.tile(level_vec, len(factors)),
        "count": counts.to_numpy().ravel(),
        "share": share.to_numpy().ravel(),
    })
    if res is not None and res.hierarchy:
        wt = res.weights.copy()
        score = dict(leaf)
        for rec in reversed(wt.to_dict("records")):  # children come after their parent: fill bottom-up
            c = rec["criterion"]
            if c not in score:
                kids = wt.loc[wt["parent"] == c]
                score[c] = float((kids["weight"] * kids["criterion"].map(score)).sum())
        wt["n"] = wt["criterion"].map(n).astype("Int64" if counts.dtypes.iloc[0] == np.int64 else float)
        wt["score"] = wt["criterion"].map(score)
        wt["contribution"] = wt["global_weight"] * wt["score"]
        scores = wt
    else:
        scores = pd.DataFrame({"criterion": factors, "weight": w.to_numpy(), "global_weight": w.to_numpy(),
                               "n": n.to_numpy(), "score": leaf_score})
        scores["contribution"] = scores["global_weight"] * scores["score"]
    return AHPSatisfaction(score=S, scores=scores.reset_index(drop=True), distribution=distribution_table, level_scores=scores_map)
