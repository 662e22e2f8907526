"""Immutable results objects with tidy tables and a ``summary()`` (as statsmodels).

Every table is a pandas DataFrame with snake_case columns drawn from the project vocabulary:
``source, target, construct, item, estimate, weight, loading, index, n``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .display import display_width, pad
from .index import index_table, index_weights, respondent_indices
from .schema import Questionnaire
from .ingest.weights import effective_n

__all__ = ["ModelResults", "PLSResults", "CBSEMResults", "Summary"]


@dataclass(frozen=True)
class Summary:
    """A printable summary: ``str()`` renders text, notebooks render HTML."""

    title: str
    info: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]

    def __str__(self) -> str:
        out = [self.title, "=" * display_width(self.title)]
        width = max((display_width(k) for k in self.info), default=0)
        out += [f"{pad(k, width)}  {v}" for k, v in self.info.items()]
        with pd.option_context("display.unicode.east_asian_width", True):  # Chinese labels: columns line up
            for name, table in self.tables.items():
                out += ["", name, "-" * display_width(name),
                        table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="")]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        parts = [f"<h3>{html.escape(self.title)}</h3>", "<table>"]
        parts += [f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in self.info.items()]
        parts.append("</table>")
        for name, table in self.tables.items():
            parts.append(f"<h4>{html.escape(name)}</h4>")
            parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, kw_only=True)
class ModelResults:
    """What every engine returns: the tidy tables that drivers and reports use.

    Tables
    ------
    index
        ``construct, label, index, n`` — the 0–100 construct indices (ACSI formula).
    paths
        ``source, target, estimate`` — path coefficients (standardized).
    effects
        ``source, target, direct_effect, indirect_effect, total_effect`` for every pair with a
        directed route between them.
    weights
        ``construct, item, weight, loading, index_weight`` — the item's weight in the construct
        score, its (standardized) loading, and the normalized unstandardized weight behind the
        0–100 index.
    r2
        ``construct, r2, r2_adj`` for each endogenous construct.
    scores, scores_100
        per-respondent construct scores: standardized (mean 0, sd 1) and on 0–100.

    ``weight`` holds the survey weights the fit used (one per respondent, rescaled to mean 1), or
    None for an unweighted fit. A weighted fit's ``index`` table gains the column
    ``n_effective`` (Kish's effective sample size, :func:`csi_survey.ingest.weights.effective_n`); its
    ``n`` stays the number of respondents, and so does the ``n`` of ``r2_adj``.
    """

    model: Questionnaire
    settings: Mapping[str, Any]
    n: int
    iterations: int
    index: pd.DataFrame
    paths: pd.DataFrame
    effects: pd.DataFrame
    weights: pd.DataFrame
    r2: pd.DataFrame
    scores: pd.DataFrame
    scores_100: pd.DataFrame
    respondent_id: pd.Series
    engine: str = "pls"
    notes: tuple[str, ...] = field(default_factory=tuple)
    bootstrap: Any = None  #: :class:`~csi_survey.engine.bootstrap.BootstrapInfo` after bootstrapping
    weight: np.ndarray | None = None  #: survey weights of the respondents (mean 1); None when unweighted

    @property
    def headline(self) -> float | None:
        """The satisfaction index: the 0–100 index of the spec's ``index`` construct (None if unset)."""
        if self.model.index is None:
            return None
        row = self.index.loc[self.index["construct"] == self.model.index, "index"]
        return float(row.iloc[0])

    @property
    def engine_description(self) -> str:
        """One line naming the estimator and its settings, e.g. ``PLS path modeling, path scheme``."""
        scaled = "" if self.settings.get("scaled", True) else ", unscaled items"
        return f"PLS path modeling, {self.settings['scheme']} scheme{scaled}"

    def _summary_tables(self) -> dict[str, pd.DataFrame]:
        return {"Index (0–100)": self.index, "Paths": self.paths, "R²": self.r2}

    def summary(self) -> Summary:
        info = {
            "Model": self.model.name,
            "Engine": self.engine_description,
            "Respondents": self.n,
            "Iterations": self.iterations,
        }
        if self.weight is not None:
            info["Respondents"] = f"{self.n} (weighted; effective sample size {effective_n(self.weight):.1f})"
        if self.headline is not None:
            info["Satisfaction index"] = f"{self.headline:.1f} ({self.model.label(self.model.index)})"
            if self.bootstrap is not None:
                row = self.index.loc[self.index["construct"] == self.model.index].iloc[0]
                info["Satisfaction index"] += (
                    f", {self.bootstrap.level:.0%} interval {row['ci_lower']:.1f}–{row['ci_upper']:.1f}"
                    f" (± {row['margin_of_error']:.1f})"
                )
        if self.bootstrap is not None:
            b = self.bootstrap
            info["Bootstrap"] = f"{b.used} of {b.resamples} resamples used, seed {b.seed}, {b.method} intervals"
            if getattr(b, "design", "respondents") != "respondents":
                info["Bootstrap"] += f"; {b.description}"
        return Summary(title="csi-survey results", info=info, tables=self._summary_tables())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model.name!r}: n={self.n}, {len(self.paths)} paths, {self.iterations} iterations>"


@dataclass(frozen=True, kw_only=True)
class PLSResults(ModelResults):
    """Results of a PLS path model fit. Build with :meth:`csi_survey.PLS.fit`.

    Besides the tables of :class:`ModelResults`:

    cross_loadings
        item × construct correlations (``item`` column, one column per construct).
    construct_correlations, item_correlations
        correlation matrices of the construct scores and of the items.

    Consistent PLS (the spec declares reflective constructs; :mod:`csi_survey.engine.plsc`):
    ``paths``, ``effects``, ``r2`` and ``construct_correlations`` are PLSc values (the
    construct correlations are disattenuated, so they are *not* the correlations of ``scores``),
    and ``weights.loading`` holds the consistent loadings of reflective constructs. The weights,
    ``scores``, ``cross_loadings`` and the 0–100 ``index`` stay those of the PLS composites.

    reliability
        PLSc fits only (None otherwise): ``construct, measurement, n_items, rho_a, corrected`` —
        ρA (Dijkstra & Henseler 2015) used to correct each construct, 1 for composites and
        single items.
    admissible
        PLSc fits only (None otherwise): False when the corrected solution is inadmissible
        (disattenuated construct correlations not positive semi-definite or beyond ±1, a
        consistent loading or ρA above 1); ``notes`` then says why.
    """

    cross_loadings: pd.DataFrame
    construct_correlations: pd.DataFrame
    item_correlations: pd.DataFrame
    reliability: pd.DataFrame | None = None
    admissible: bool | None = None

    @property
    def engine_description(self) -> str:
        base = super().engine_description
        if self.reliability is None:
            return base
        k = int(self.reliability["corrected"].sum())
        return "Consistent " + base + f" (PLSc: {k} reflective construct{'s' if k != 1 else ''} corrected)"

    def summary(self) -> Summary:
        out = super().summary()
        if self.admissible is False:
            info = dict(out.info)
            info["Admissible"] = "no — " + " ".join(self.notes)
            out = Summary(title=out.title, info=info, tables=out.tables)
        return out

    def _summary_tables(self) -> dict[str, pd.DataFrame]:
        tables = super()._summary_tables()
        if self.reliability is not None:
            tables["Reliability (rho_A)"] = self.reliability
        return tables


def _respondent_ids(ids: Any, n: int) -> pd.Series:
    """The ``respondent_id`` Series of a fit: the ids as they are (a text Series stays Arrow text and a
    numeric one numpy: no Python string per respondent, no copy under copy-on-write), other sequences as
    a numpy array; None gives the sheet row numbers 2, 3, … (row 1 is the header)."""
    if ids is None:
        return pd.Series(np.arange(2, n + 2), name="respondent_id")
    if isinstance(ids, pd.Series) and isinstance(ids.dtype, (pd.StringDtype, np.dtype)):
        return ids.reset_index(drop=True).rename("respondent_id")
    return pd.Series(np.asarray(ids), name="respondent_id")


def build_pls_results(
    *,
    engine: Any,
    XT: np.ndarray,
    ids: pd.Series | None,
    item_mean: np.ndarray,
    item_sd: np.ndarray,
    C: np.ndarray,
    core: Any,
    raw_coef: np.ndarray,
    scores: np.ndarray,
    weight: np.ndarray | None = None,
    reliability: pd.DataFrame | None = None,
    admissible: bool | None = None,
    notes: tuple[str, ...] = (),
) -> PLSResults:
    """Assemble the tidy tables of a fit (called by the engine); ``weight``: the survey weights
    (mean 1) or None — the 0–100 indices are then weighted means of the respondents' scores.
    ``core.loadings`` (consistent PLS), when set, replaces the own-construct cross-loadings as the
    ``loading`` column; ``reliability``, ``admissible`` and ``notes`` come from a PLSc fit."""
    model: Questionnaire = engine.model
    cids = model.construct_ids
    items = model.item_ids
    n = XT.shape[1]
    J = len(cids)

    iw = index_weights(model, raw_coef)
    s100 = respondent_indices(XT, iw)
    s100[:, ~iw.has_index] = np.nan

    # paths, in spec order
    pos = {c: k for k, c in enumerate(cids)}
    paths = pd.DataFrame(
        {
            "source": [p.source for p in model.paths],
            "target": [p.target for p in model.paths],
            "estimate": [core.paths[pos[p.source], pos[p.target]] for p in model.paths],
        }
    )

    # effects: every ordered pair connected by a directed route
    reach = np.linalg.matrix_power(np.eye(J) + model.adjacency, J) > 0
    np.fill_diagonal(reach, False)
    src, tgt = np.nonzero(reach)
    order = np.lexsort((tgt, src))
    src, tgt = src[order], tgt[order]
    direct = core.paths[src, tgt]
    total = core.total_effects[src, tgt]
    effects = pd.DataFrame(
        {
            "source": [cids[i] for i in src],
            "target": [cids[j] for j in tgt],
            "direct_effect": direct,
            "indirect_effect": total - direct,
            "total_effect": total,
        }
    )

    construct_idx = [pos[model.construct_of[i]] for i in items]
    item_pos = np.arange(len(items))
    weights = pd.DataFrame(
        {
            "construct": [model.construct_of[i] for i in items],
            "item": items,
            "weight": core.weights[item_pos, construct_idx],
            "loading": (core.cross_loadings if getattr(core, "loadings", None) is None else core.loadings)[item_pos, construct_idx],
            "index_weight": iw.normalized,
        }
    )

    endo = [pos[c] for c in model.endogenous]
    k = np.array([int(model.adjacency[:, j].sum()) for j in endo])
    r2v = core.r2[endo]
    with np.errstate(divide="ignore", invalid="ignore"):
        r2_adj = np.where(n - k - 1 > 0, 1 - (1 - r2v) * (n - 1) / (n - k - 1), np.nan)
    r2 = pd.DataFrame({"construct": model.endogenous, "r2": r2v, "r2_adj": r2_adj})

    cross = pd.DataFrame(core.cross_loadings, columns=cids)
    cross.insert(0, "item", items)

    ids = _respondent_ids(ids, n)

    corr = C / np.outer(np.sqrt(np.diag(C)), np.sqrt(np.diag(C)))
    return PLSResults(
        model=model,
        settings=dict(engine.settings),
        n=n,
        iterations=core.iterations,
        index=index_table(model, s100, iw.has_index, weight=weight),
        paths=paths,
        effects=effects,
        weights=weights,
        r2=r2,
        cross_loadings=cross,
        construct_correlations=pd.DataFrame(core.construct_corr, index=cids, columns=cids),
        item_correlations=pd.DataFrame(corr, index=items, columns=items),
        scores=pd.DataFrame(scores, columns=cids, copy=False),
        scores_100=pd.DataFrame(s100, columns=cids, copy=False),
        respondent_id=ids,
        weight=weight,
        notes=tuple(notes),
        reliability=reliability,
        admissible=admissible,
    )


@dataclass(frozen=True, kw_only=True)
class CBSEMResults(ModelResults):
    """Results of a covariance-based SEM fit (maximum likelihood). Build with :meth:`csi_survey.CBSEM.fit`.

    The tables of :class:`ModelResults` have the same columns as for PLS; their content is
    covariance-based: ``paths`` and ``effects`` are standardized coefficients of the latent
    variables (lavaan's ``std.all``), ``weights.loading`` the standardized loadings,
    ``weights.weight`` the factor-score (regression) weights, ``r2`` is 1 − the standardized
    disturbance variance, and ``scores`` are standardized factor-score estimates. See
    :mod:`csi_survey.engine.cbsem` for every formula. Besides:

    parameters
        one row per model parameter, fixed ones included, in lavaan's order:
        ``lhs, op, rhs, estimate`` (unstandardized), ``std_estimate`` (lavaan ``std.all``),
        ``std_err``, ``z_value``, ``p_value`` (NaN for fixed parameters). ``op`` is ``=~``
        (loading), ``~`` (regression) or ``~~`` (variance or covariance).
    fit_measures
        ``measure, value``: chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper
        (90 %), srmr, aic, bic, logl, n, npar, baseline_chi2, baseline_df, unrestricted_logl, bic2.
    description
        the lavaan/semopy model text that was estimated.
    """

    parameters: pd.DataFrame
    fit_measures: pd.DataFrame
    description: str
    engine: str = "cbsem"

    @property
    def engine_description(self) -> str:
        return "Covariance-based SEM (ML, semopy)"

    def _summary_tables(self) -> dict[str, pd.DataFrame]:
        return {**super()._summary_tables(), "Model fit": self.fit_measures}
