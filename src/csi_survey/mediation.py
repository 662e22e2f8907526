"""Mediation analysis of a PLS fit: every specific indirect effect, the total indirect effect of each
pair of constructs, and the type of mediation in plain words.

Formulas (B is the matrix of standardized path coefficients, ``b_ij`` the path i → j):

* **Specific indirect effect** of a chain ``s → m₁ → … → m_k → t`` (k ≥ 1 mediators; every directed
  chain of the structural model is listed): the product of its path coefficients,
  ``b_{s m₁} · b_{m₁ m₂} ⋯ b_{m_k t}`` (Alwin & Hauser 1975; Hair, Hult, Ringle & Sarstedt 2022,
  *A Primer on PLS-SEM*, 3rd ed., ch. 7; seminr ``specific_effect_significance()``).
* **Total indirect effect** of a pair (s, t): the sum of its specific indirect effects — equal to
  the total effect minus the direct effect, ``[(I − B)⁻¹ − I − B]_st`` for a recursive model.
  **Total effect** = direct + total indirect (the direct effect is 0 when the model has no path s → t).
* **Share of the indirect effect** ``share_indirect = total_indirect / total``: the *variance
  accounted for* (VAF) of Hair et al. (2022, ch. 7). It is only meaningful when the direct and the
  indirect effect have the same sign (it then lies between 0 and 1); with opposite signs it can be
  negative or above 1, and the plain-language sentence says so instead of quoting a share. It is
  NaN when the total effect is exactly 0.

Bootstrap (when the fit was bootstrapped, :func:`csi_survey.engine.bootstrap.bootstrap`): the
products and sums above are formed in every resample from the resample's path coefficients
(``BootstrapInfo.draws``), so no new estimation is needed. As for every other statistic of the
package: ``std_err`` = standard deviation of the bootstrap estimates (n − 1 divisor);
``t_value = estimate / std_err``; ``p_value`` two-sided from Student's t with (resamples used − 1)
degrees of freedom (what :mod:`csi_survey.engine.bootstrap` reports, as SmartPLS; with 1,000
resamples it equals the normal p value to the third decimal); ``ci_lower``/``ci_upper`` =
**percentile** interval, the α/2 and 1 − α/2 quantiles of the bootstrap estimates (linear
interpolation = R's ``quantile`` type 7, as seminr), at the bootstrap's level unless ``level`` is
given. The intervals here are percentile intervals even after a BCa bootstrap (BCa would need the
jackknife of every product); the direct effect's interval is then also recomputed as a percentile
interval from the same draws, so that direct and indirect effects are judged alike. The interval of
the total indirect effect comes from the draws of the sum (seminr's ``total_indirect_ci()`` takes
the quantiles of bootstrap total − direct, the same numbers).

Type of mediation, per pair, after Zhao, Lynch & Chen (2010), "Reconsidering Baron and Kenny:
Myths and truths about mediation analysis", *Journal of Consumer Research* 37(2), 197–206 (the
classification Hair et al. 2022 use for PLS-SEM). An effect counts as **significant when its
bootstrap interval excludes 0** (at the interval's level; Zhao et al. recommend the bootstrap test
of the indirect effect); the sign is that of the estimate. The indirect effect of a pair is its
*total* indirect effect (with several chains, each chain's own interval is in the ``indirect`` table):

* ``complementary`` — direct and indirect both significant, same sign (partial mediation);
* ``competitive`` — both significant, opposite signs (partial mediation, a suppressor);
* ``indirect-only`` — indirect significant, direct not (full mediation);
* ``direct-only`` — direct significant, indirect not (no mediation);
* ``no effect`` — neither significant (no mediation);
* ``not tested`` — the fit was not bootstrapped (estimates only).

A pair without a direct path in the model has a direct effect that is **structurally zero** (fixed by
the model, not estimated): it is never significant, so such a pair is ``indirect-only`` or
``no effect``, and its direct-effect inference columns are empty (NaN); ``direct_path`` says which
pairs have a path.

The fixed texts of the plain-language sentences (:meth:`MediationResults.sentences`) are in
:data:`TEXTS` (English and Chinese). Construct names in sentences are the labels of the spec; an
English label written in title case ("Perceived quality") gets a lower-case first letter mid-sentence,
acronyms ("ACSI") are kept.

R equivalents: ``seminr::specific_effect_significance()``, ``seminr::total_indirect_ci()``,
``cSEM::summarize()$Effect_estimates$Indirect_effect``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .i18n import MEDIATION_TEXTS
from .engine.bootstrap import percentile_summary
from .exceptions import SettingsError, check_choice, check_level
from .results import ModelResults, Summary

__all__ = [
    "mediation",
    "MediationResults",
    "classify",
    "TEXTS",
    "TYPES",
    "COMPLEMENTARY",
    "COMPETITIVE",
    "INDIRECT_ONLY",
    "DIRECT_ONLY",
    "NO_EFFECT",
    "NOT_TESTED",
    "MAX_CHAINS",
    "INDIRECT_COLUMNS",
    "EFFECT_COLUMNS",
]

#: Every fixed text of the mediation sentences and labels, in English and Chinese (``{name}`` fields
#: are filled in with :meth:`str.format`): the one catalogue, :data:`csi_survey.i18n.MEDIATION_TEXTS`.
TEXTS: dict[str, dict[str, str]] = MEDIATION_TEXTS

#: Values of the ``mediation`` column (Zhao, Lynch & Chen 2010; "not tested" without a bootstrap).
COMPLEMENTARY, COMPETITIVE, INDIRECT_ONLY, DIRECT_ONLY, NO_EFFECT, NOT_TESTED = (
    "complementary", "competitive", "indirect-only", "direct-only", "no effect", "not tested")
TYPES = (COMPLEMENTARY, COMPETITIVE, INDIRECT_ONLY, DIRECT_ONLY, NO_EFFECT, NOT_TESTED)

#: At most this many chains are enumerated (a dense recursive model has exponentially many).
MAX_CHAINS = 100_000

_INFERENCE = ["std_err", "t_value", "p_value", "ci_lower", "ci_upper"]
#: Columns of the ``indirect`` table (the inference columns only after a bootstrap).
INDIRECT_COLUMNS = ["source", "target", "through", "path", "mediators", "estimate", *_INFERENCE]
_DIRECT_INF = ["direct_std_err", "direct_p_value", "direct_ci_lower", "direct_ci_upper"]
_TOTAL_INF = ["total_indirect_std_err", "total_indirect_t_value", "total_indirect_p_value",
              "total_indirect_ci_lower", "total_indirect_ci_upper"]
#: Columns of the ``effects`` table (the ``direct_*``/``total_indirect_*`` inference columns only after a bootstrap).
EFFECT_COLUMNS = ["source", "target", "direct", "total_indirect", "total", "share_indirect", *_DIRECT_INF, *_TOTAL_INF,
                  "mediation", "chains", "direct_path"]
_ARROW = " → "


@dataclass(frozen=True)
class MediationResults:
    """Specific and total indirect effects of a fit and the type of mediation (:func:`mediation`).

    Tables
    ------
    indirect
        One row per directed chain with at least one mediator: ``source, target, through`` (the
        mediators, e.g. ``"PQ → PV"``), ``path`` (the whole chain, e.g. ``"EXP → PQ → PV → SAT"``),
        ``mediators`` (how many), ``estimate`` (product of the path coefficients); after a bootstrap
        also ``std_err, t_value, p_value, ci_lower, ci_upper``. Rows in construct order of source,
        then target, then shorter chains first.
    effects
        One row per pair connected by at least one chain: ``source, target, direct`` (the path, 0
        without one), ``total_indirect`` (sum of the chains), ``total``, ``share_indirect``
        (total_indirect / total, the VAF — only meaningful when direct and indirect have the same
        sign), after a bootstrap ``direct_std_err, direct_p_value, direct_ci_lower, direct_ci_upper``
        (NaN without a direct path) and ``total_indirect_std_err, total_indirect_t_value,
        total_indirect_p_value, total_indirect_ci_lower, total_indirect_ci_upper``; ``mediation``
        (one of :data:`TYPES`), ``chains`` (number of chains) and ``direct_path`` (whether the model
        has the path source → target).

    ``indirect_draws`` (resamples × chains, columns in the order of ``indirect``) and
    ``total_indirect_draws`` (resamples × pairs, in the order of ``effects``) hold the bootstrap
    estimates, None without a bootstrap. ``level`` is the level of the intervals (None without a
    bootstrap), ``resamples`` the number of resamples used.
    """

    model: Any
    indirect: pd.DataFrame
    effects: pd.DataFrame
    level: float | None = None
    resamples: int | None = None
    seed: int | None = None
    indirect_draws: np.ndarray | None = None
    total_indirect_draws: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def bootstrapped(self) -> bool:
        """Whether the effects carry bootstrap inference."""
        return self.level is not None

    def sentences(self, lang: str = "en") -> pd.DataFrame:
        """One plain-language sentence per pair of ``effects``: ``source, target, sentence``.

        E.g. "62 % of the effect of perceived quality on customer loyalty runs through customer
        satisfaction. Both the direct and the indirect effect are significant and point the same way
        (complementary mediation)." The sentence names every mediator of the pair's chains and, when
        there are several chains, the strongest one (largest absolute estimate). ``lang`` is ``"en"``
        or ``"zh"`` (texts in :data:`TEXTS`)."""
        check_choice("lang", lang, tuple(TEXTS))
        t = TEXTS[lang]
        chain_mediators: dict[tuple[str, str], set[str]] = {}
        strongest: dict[tuple[str, str], tuple[float, str]] = {}
        for row in self.indirect.itertuples(index=False):
            pair = (row.source, row.target)
            chain_mediators.setdefault(pair, set()).update(row.through.split(_ARROW))
            if pair not in strongest or abs(row.estimate) > abs(strongest[pair][0]):
                strongest[pair] = (row.estimate, row.path)
        order = {c: k for k, c in enumerate(self.model.construct_ids)}
        out = []
        for row in self.effects.itertuples(index=False):
            via = sorted(chain_mediators.get((row.source, row.target), ()), key=order.get)
            names = {"source": _name(self.model, row.source, lang), "target": _name(self.model, row.target, lang),
                     "via": _join([_name(self.model, m, lang) for m in via], t)}
            if not row.direct_path:
                first = t["all_indirect"].format(**names)
            elif row.total == 0:
                first = t["no_total"].format(**names)
            elif row.direct * row.total_indirect >= 0:
                first = t["share"].format(pct=f"{100 * row.share_indirect:.0f}", **names)
            else:
                first = t["opposite"].format(direct=f"{row.direct:.2f}", indirect=f"{row.total_indirect:.2f}", **names)
            parts = [first]
            if row.chains > 1:
                value, chain = strongest[(row.source, row.target)]
                parts.append(t["main_chain"].format(
                    path=_ARROW.join(_name(self.model, c, lang) for c in chain.split(_ARROW)), estimate=f"{value:.2f}"))
            parts.append(t[f"type_{row.mediation}"])
            out.append(t["sentence_sep"].join(parts))
        return pd.DataFrame({"source": self.effects["source"].to_numpy(dtype=object),
                             "target": self.effects["target"].to_numpy(dtype=object),
                             "sentence": pd.Series(out, dtype=object)})

    def summary(self) -> Summary:
        info: dict[str, Any] = {"Model": getattr(self.model, "name", ""),
                                "Specific indirect effects": f"{len(self.indirect)} chains, {len(self.effects)} pairs"}
        if self.bootstrapped:
            info["Bootstrap"] = f"{self.resamples} resamples used, seed {self.seed}"
            info["Significance"] = TEXTS["en"]["significance"].format(level=f"{self.level:.0%}")
            counts = self.effects["mediation"].value_counts()
            info["Mediation"] = ", ".join(f"{counts[v]} {v}" for v in TYPES if counts.get(v, 0)) or "no pair"
        else:
            info["Bootstrap"] = "not run: estimates only, mediation not tested"
        for k, note in enumerate(self.notes, 1):
            info[f"Note {k}"] = note
        eff = ["source", "target", "direct", "total_indirect", "total", "share_indirect"]
        ind = ["path", "estimate"]
        if self.bootstrapped:
            eff += ["direct_ci_lower", "direct_ci_upper", "total_indirect_ci_lower", "total_indirect_ci_upper"]
            ind += ["std_err", "p_value", "ci_lower", "ci_upper"]
        eff.append("mediation")
        sentences = self.sentences("en")["sentence"].to_frame()
        return Summary(title="Mediation analysis", info=info, tables={
            "Direct, indirect and total effects": self.effects[eff],
            "Specific indirect effects": self.indirect[ind],
            "In plain words": sentences,
        })

    def __repr__(self) -> str:
        how = f", {self.level:.0%} intervals from {self.resamples} resamples" if self.bootstrapped else ", not bootstrapped"
        return f"<MediationResults {len(self.indirect)} chains, {len(self.effects)} pairs{how}>"


def classify(direct: Any, direct_significant: Any, indirect: Any, indirect_significant: Any) -> np.ndarray:
    """The type of mediation of each pair (Zhao, Lynch & Chen 2010), from the estimates and whether each
    is significant; arrays of equal length, result an array of :data:`TYPES` strings.

    A structurally zero direct effect (no path) is passed as ``direct = 0`` and ``direct_significant = False``.

    >>> classify([0.3, 0.3, 0.0], [True, True, False], [0.2, -0.2, 0.1], [True, True, True]).tolist()
    ['complementary', 'competitive', 'indirect-only']
    """
    d, i = np.asarray(direct, dtype=float), np.asarray(indirect, dtype=float)
    ds, is_ = np.asarray(direct_significant, dtype=bool), np.asarray(indirect_significant, dtype=bool)
    same = np.sign(d) * np.sign(i) > 0
    return np.select(
        [ds & is_ & same, ds & is_, is_, ds],
        [COMPLEMENTARY, COMPETITIVE, INDIRECT_ONLY, DIRECT_ONLY],
        default=NO_EFFECT,
    ).astype(object)


def mediation(fit: Any, *, level: float | None = None) -> MediationResults:
    """Specific indirect effects, total indirect effects and the type of mediation of a fit.

    Parameters
    ----------
    fit:
        A fit (:class:`~csi_survey.results.PLSResults`), optionally bootstrapped
        (:func:`csi_survey.engine.bootstrap.bootstrap`): then every effect gets a standard error,
        p value and percentile interval from the bootstrap draws, and each pair a mediation type.
    level:
        Level of the intervals (and so of the significance behind the mediation type); None (default)
        = the bootstrap's level. Ignored when the fit is not bootstrapped.

    Returns
    -------
    MediationResults
        The ``indirect`` and ``effects`` tables (empty, with their columns, when the model has no
        chain with a mediator). See the module docstring for every formula.
    """
    if not isinstance(fit, ModelResults):
        raise SettingsError(f"mediation() needs a fit (the result of PLS(model).fit(data)); got {type(fit).__name__}",
                            hint="fit the model first: fit = csi.PLS(model).fit(data), optionally bootstrap(fit, data).")
    model = fit.model
    cids = list(model.construct_ids)
    pos = {c: k for k, c in enumerate(cids)}
    J = len(cids)
    src = np.array([pos[s] for s in fit.paths["source"]], dtype=int)
    tgt = np.array([pos[t] for t in fit.paths["target"]], dtype=int)
    coef = fit.paths["estimate"].to_numpy(dtype=float)
    edge = -np.ones((J, J), dtype=int)      # position of the path i → j in fit.paths, -1 when none
    edge[src, tgt] = np.arange(len(src))

    chains = _chains(edge, J)
    boot = getattr(fit, "bootstrap", None)
    if boot is not None:
        level = check_level(boot.level if level is None else level)
    notes: list[str] = []
    if boot is not None and getattr(boot, "method", "percentile") != "percentile":
        notes.append(f"the bootstrap used {boot.method} intervals for the other statistics; the intervals here are "
                     "percentile intervals from the same draws (for the direct effects too)")

    # chain → padded matrix of edge positions (the padding points at a column of ones)
    P = len(coef)
    L = max((len(c) - 1 for c in chains), default=1)
    idx = np.full((len(chains), L), P, dtype=int)
    for k, c in enumerate(chains):
        idx[k, :len(c) - 1] = edge[c[:-1], c[1:]]
    est = np.append(coef, 1.0)[idx].prod(axis=1)

    # pairs in construct order; membership of chains in pairs
    pair_of_chain = [(c[0], c[-1]) for c in chains]
    pairs = sorted(set(pair_of_chain))
    pair_pos = {p: k for k, p in enumerate(pairs)}
    member = np.zeros((len(chains), len(pairs)))
    member[np.arange(len(chains)), [pair_pos[p] for p in pair_of_chain]] = 1.0
    ps = np.array([p[0] for p in pairs], dtype=int)
    pt = np.array([p[1] for p in pairs], dtype=int)
    has_direct = edge[ps, pt] >= 0
    direct_col = np.where(has_direct, edge[ps, pt], P)        # P: the appended zero (no direct path)
    direct = np.append(coef, 0.0)[direct_col]
    total_ind = est @ member
    total = direct + total_ind
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total != 0, total_ind / np.where(total != 0, total, 1.0), np.nan)

    indirect = pd.DataFrame({
        "source": pd.Series([cids[c[0]] for c in chains], dtype=object),
        "target": pd.Series([cids[c[-1]] for c in chains], dtype=object),
        "through": pd.Series([_ARROW.join(cids[m] for m in c[1:-1]) for c in chains], dtype=object),
        "path": pd.Series([_ARROW.join(cids[m] for m in c) for c in chains], dtype=object),
        "mediators": np.array([len(c) - 2 for c in chains], dtype=np.int64),
        "estimate": est,
    })
    effects = pd.DataFrame({
        "source": pd.Series([cids[i] for i in ps], dtype=object),
        "target": pd.Series([cids[j] for j in pt], dtype=object),
        "direct": direct,
        "total_indirect": total_ind,
        "total": total,
        "share_indirect": share,
    })
    n_chains = member.sum(axis=0).astype(np.int64)

    if boot is None:
        effects["mediation"] = pd.Series([NOT_TESTED] * len(pairs), dtype=object)
        effects["chains"] = n_chains
        effects["direct_path"] = has_direct
        return MediationResults(model=model, indirect=indirect, effects=effects, notes=tuple(notes))

    assert level is not None
    path_draws = _path_draws(fit, boot)                       # B × P
    B = path_draws.shape[0]
    chain_draws = np.hstack([path_draws, np.ones((B, 1))])[:, idx].prod(axis=2)   # B × chains
    total_draws = chain_draws @ member                                              # B × pairs
    direct_draws = np.hstack([path_draws, np.zeros((B, 1))])[:, direct_col]      # B × pairs

    for name, value in zip(_INFERENCE, _inference(est, chain_draws, level)):
        indirect[name] = value
    d_inf = _inference(direct, direct_draws, level)
    for name, value in zip(_DIRECT_INF, (d_inf[0], d_inf[2], d_inf[3], d_inf[4])):
        effects[name] = np.where(has_direct, value, np.nan)
    t_inf = _inference(total_ind, total_draws, level)
    for name, value in zip(_TOTAL_INF, t_inf):
        effects[name] = value
    d_sig = has_direct & ((d_inf[3] > 0) | (d_inf[4] < 0))
    i_sig = (t_inf[3] > 0) | (t_inf[4] < 0)
    effects["mediation"] = pd.Series(classify(direct, d_sig, total_ind, i_sig), dtype=object)
    effects["chains"] = n_chains
    effects["direct_path"] = has_direct
    return MediationResults(model=model, indirect=indirect, effects=effects, level=level, resamples=B,
                            seed=getattr(boot, "seed", None), indirect_draws=chain_draws,
                            total_indirect_draws=total_draws, notes=tuple(notes))


def _chains(edge: np.ndarray, J: int) -> list[list[int]]:
    """Every directed chain with at least two paths (one mediator), in construct order of source, then
    target, then length, then the mediators' positions. The model is recursive (checked by the spec)."""
    adj = (edge >= 0).astype(float)
    # number of chains of length ≥ 2 (a recursive model has no walk longer than J − 1)
    count, power = 0.0, adj.copy()
    for _ in range(2, J):
        power = power @ adj
        count += power.sum()
    if count > MAX_CHAINS:
        raise SettingsError(
            f"the structural model has {count:.0f} chains with a mediator, more than the {MAX_CHAINS} mediation() lists",
            hint="analyse mediation on a smaller structural model (fewer paths between the constructs).")
    succ = [np.flatnonzero(edge[i] >= 0).tolist() for i in range(J)]
    out: list[list[int]] = []
    stack = [[s] for s in range(J)]
    while stack:
        chain = stack.pop()
        if len(chain) >= 3:
            out.append(chain)
        stack.extend(chain + [n] for n in succ[chain[-1]])
    out.sort(key=lambda c: (c[0], c[-1], len(c), c))
    return out


def _path_draws(fit: Any, boot: Any) -> np.ndarray:
    """The bootstrap estimates of the paths of ``fit.paths`` (resamples × paths), from ``boot.draws``."""
    est = boot.estimates
    rows = np.flatnonzero(est["statistic"].to_numpy() == "path")
    where = {(s, t): k for k, s, t in zip(rows, est["source"].to_numpy()[rows], est["target"].to_numpy()[rows])}
    cols = [where.get((s, t)) for s, t in zip(fit.paths["source"], fit.paths["target"])]
    if any(c is None for c in cols):
        raise SettingsError(
            "the fit's bootstrap has no draws for some of its paths (fit and bootstrap do not belong together)",
            hint="bootstrap the fit itself: fit = bootstrap(PLS(model).fit(data), data).")
    return np.asarray(boot.draws, dtype=float)[:, np.array(cols, dtype=int)]


def _inference(estimate: np.ndarray, draws: np.ndarray, level: float):
    """std_err, t_value, p_value, ci_lower, ci_upper of the columns of draws: the bootstrap's own
    conventions (:func:`csi_survey.engine.bootstrap.percentile_summary`)."""
    if draws.shape[1] == 0:
        empty = np.zeros(0)
        return empty, empty, empty, empty, empty
    summary = percentile_summary(estimate, draws, level)
    return tuple(summary[k] for k in ("std_err", "t_value", "p_value", "ci_lower", "ci_upper"))


def _name(model: Any, cid: str, lang: str) -> str:
    """A construct's label for the middle of a sentence (English title case → lower-case first letter)."""
    label = model.label(cid)
    words = label.split()
    if lang == "en" and words and len(words[0]) > 1 and words[0][0].isupper() and words[0][1:].islower():
        return label[0].lower() + label[1:]
    return label


def _join(names: list[str], t: dict[str, str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return t["list_sep"].join(names[:-1]) + t["list_last"] + names[-1]
