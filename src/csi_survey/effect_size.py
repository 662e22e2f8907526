"""Cohen's f² effect sizes of the structural paths, in the two conventions of the R packages.

    f²(i → j) = (R²_incl − R²_excl) / (1 − R²_incl)                    (Cohen 1988)

with R²_incl the R² of construct j in the estimated model and R²_excl its R² without the path
i → j. The packages differ in how R²_excl is obtained:

``"fixed_weights"`` (default; cSEM ``calculatef2``, also :attr:`csi_survey.assess.Assessment.f2`)
    The target regressed on its other predecessors with the construct correlations of the
    *fitted* model: the outer weights stay those of the full model. Cheap (no re-estimation).
``"reestimate"`` (seminr ``fSquared``, seminr 2.3.4 ``R/evaluate_effects.R``)
    The whole PLS algorithm is run again on the same data without the path (same scheme,
    tolerance and iteration limit; consistent PLS again when the fit is PLSc), and R²_excl is the
    target's R² in that model — 0 when the path was its only predecessor. Removing the path
    changes the inner weights and so the outer weights and scores. A construct left without any
    path is dropped from the re-estimated model, as seminr estimates only the constructs of its
    structural model (``estimate_simplePLS``); a model of two constructs gives
    f² = R² / (1 − R²), as seminr's shortcut.

The two agree exactly for a target whose weights do not depend on the path; in general they
differ: on mobi by up to 4.8e-3 (ECSI, 7 constructs: Image → Loyalty 0.0355 vs 0.0308) and
1.6e-2 (ACSI, 6 constructs: Satisfaction → Loyalty 0.4727 vs 0.4563).

The re-estimations need only the item correlation matrix the fit was estimated on
(``fit.item_correlations``; weighted fits keep their weighted correlations), so no data are
read again. All variants that keep every construct are one batched call of
:func:`csi_survey.engine.pls.pls_core_batch` (one structural model per batch entry); a variant
that drops a construct is estimated on its own (at most one call per path).

Reference: Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences* (2nd ed.).
Hair, J. F., Hult, G. T. M., Ringle, C. M. & Sarstedt, M. (2017). *A Primer on PLS-SEM*, 2nd ed.
(f² from re-estimation, as SmartPLS and seminr).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assess import f2_table
from .engine.pls import OK, pls_core_batch
from .engine.plsc import plsc_batch, reflective_mask
from .exceptions import EstimationError, SettingsError, check_choice
from .results import PLSResults

__all__ = ["F2_CONVENTIONS", "f_squared"]

#: Conventions of :func:`f_squared`.
F2_CONVENTIONS = ("fixed_weights", "reestimate")


def f_squared(fit: PLSResults, convention: str = "fixed_weights") -> pd.DataFrame:
    """Cohen's f² of every path of ``fit`` in the given convention (module docs).

    Returns ``source, target, f2, effect, convention`` (one row per path, in the spec's order):
    the table of :func:`csi_survey.assess.f2_table`. ``"reestimate"`` raises
    :class:`~csi_survey.exceptions.EstimationError` when a model without one of the paths cannot be
    estimated (e.g. it does not converge), naming the path.

    R equivalent: ``cSEM::calculatef2()`` (``"fixed_weights"``); ``seminr::fSquared()`` /
    ``summary(fit)$fSquare`` (``"reestimate"``).
    """
    if not isinstance(fit, PLSResults):
        raise SettingsError(f"f_squared() needs a PLSResults (from csi_survey.PLS(...).fit); got {type(fit).__name__}")
    check_choice("convention", convention, F2_CONVENTIONS)
    model = fit.model
    cids = list(model.construct_ids)
    phi = fit.construct_correlations.loc[cids, cids].to_numpy(dtype=np.float64)
    r2 = fit.r2.set_index("construct")["r2"]
    if convention == "fixed_weights":
        return f2_table(model, phi, r2, convention="fixed_weights")
    if not fit.settings.get("scaled", True):
        raise SettingsError(
            "f² by re-estimation needs a fit on standardized items; this fit used unscaled items (scaled=False)",
            hint="use convention='fixed_weights', or fit with scaled=True (as seminr, which standardizes the items).",
        )
    return f2_table(model, phi, r2, r2_excluded=_r2_without_each_path(fit), convention="reestimate")


def _r2_without_each_path(fit: PLSResults) -> dict[tuple[str, str], float]:
    """R² of each path's target in the model re-estimated without that path."""
    model = fit.model
    cids = list(model.construct_ids)
    items = list(model.item_ids)
    pos = {c: k for k, c in enumerate(cids)}
    item_pos = {i: k for k, i in enumerate(items)}
    R = fit.item_correlations.loc[items, items].to_numpy(dtype=np.float64)
    adj = np.asarray(model.adjacency, dtype=np.float64)
    modes = [model.constructs[c].mode for c in cids]
    corrected = reflective_mask(model)
    settings = fit.settings
    scheme, tol, max_iter = settings.get("scheme", "path"), settings.get("tol", 1e-7), settings.get("max_iter", 300)

    paths = [(p.source, p.target) for p in model.paths]
    out: dict[tuple[str, str], float] = {}
    variants: dict[tuple[int, ...], list[int]] = {}   # kept constructs → variants (paths removed)
    adjs = np.repeat(adj[None], len(paths), axis=0)
    for v, (s, t) in enumerate(paths):
        adjs[v, pos[s], pos[t]] = 0.0
        if not adjs[v][:, pos[t]].any():
            out[(s, t)] = 0.0   # the target has no predecessor left: R²_excl = 0 (seminr)
            continue
        connected = adjs[v].any(axis=0) | adjs[v].any(axis=1)
        variants.setdefault(tuple(np.flatnonzero(connected)), []).append(v)

    for kept, vs in variants.items():
        keep = np.asarray(kept, dtype=np.intp)
        names = [cids[k] for k in keep]
        blocks_items = [[item_pos[i] for i in model.constructs[c].item_ids] for c in names]
        sub = np.array([i for b in blocks_items for i in b], dtype=np.intp)
        where = {i: k for k, i in enumerate(sub)}
        blocks = [np.array([where[i] for i in b], dtype=np.intp) for b in blocks_items]
        C = np.broadcast_to(R[np.ix_(sub, sub)], (len(vs), sub.size, sub.size)).copy()
        A = adjs[np.asarray(vs)][:, keep[:, None], keep[None, :]]
        core = pls_core_batch(C, blocks, [modes[k] for k in keep], A, scheme=scheme, tol=tol, max_iter=max_iter,
                              names=names, item_names=[items[i] for i in sub])
        r2 = core.r2
        mask = corrected[keep]
        for b, v in enumerate(vs):
            s, t = paths[v]
            if core.status[b] != OK:
                why = core.problems.get(b) or f"PLS did not converge in {max_iter} iterations (tolerance {tol:g})"
                raise EstimationError(
                    f"f² of {s} → {t}: the model without this path cannot be estimated: {why}",
                    hint="use the f² convention 'fixed_weights' (no re-estimation).",
                )
            value = r2[b, names.index(t)]
            if mask.any():  # consistent PLS: the re-estimated model is corrected too (seminr: reflective())
                pc = plsc_batch(C[b:b + 1], core.weights[b:b + 1], core.construct_corr[b:b + 1],
                                core.cross_loadings[b:b + 1], blocks, A[b], mask, names)
                if not pc.ok[0]:
                    raise EstimationError(f"f² of {s} → {t}: the model without this path has no consistent PLS "
                                          f"solution: {pc.problems[0]}",
                                          hint="use the f² convention 'fixed_weights' (no re-estimation).")
                value = pc.r2[0, names.index(t)]
            out[(s, t)] = float(value)
    return out
