"""Paired changes between waves: the same respondents (a panel) answering in two waves.

When respondents are matched by id across two waves, the two indices are estimated on partly the
same people and their errors are positively correlated; the independent-samples test of
:mod:`csi_survey.changes` then overstates the standard error of the change (it is conservative).
The paired bootstrap keeps each panel member's two answers together:

1. The respondents of the earlier wave (``before``) and of the later wave (``after``) are grouped
   into units by their id (the spec's ``id_column``): *matched* ids answered in both waves,
   the others answered in one wave only. An id must occur at most once per wave.
2. Each replicate draws, with replacement and independently in the three groups, as many matched
   ids as there are (m), as many before-only respondents as there are and as many after-only
   respondents as there are. A drawn matched id counts in **both** waves (its two rows together),
   so the replicate keeps each wave's sample size and the within-person correlation.
3. Both waves' models are re-estimated on their replicate (the counts, as
   :func:`~csi_survey.engine.resample.estimate_batch` does for the ordinary bootstrap), and the
   replicate change ``d*_b = I*_after,b − I*_before,b`` is recorded per construct.

The change ``d = I_after − I_before`` comes from the two full-sample fits (the same number as the
independent test); ``std_err`` is the standard deviation of the d*_b, the interval the percentile
interval of the d*_b, the p value two-sided ``2 Φ(−|d| / std_err)``. Replicates on which either
wave fails to converge are dropped (``replicates`` says how many were used).

This is the bootstrap for two overlapping samples of Efron & Tibshirani (1993), *An Introduction to
the Bootstrap*, §8.3 (resample the independent units, here the panel members) — for a panel it is
the paired bootstrap of a difference. Survey weights are held at each wave's weights (raking is not
redone inside the replicates); a cluster design is not combined with pairing (clusters would be
the resampling units instead of people): use the independent tests there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .engine.pls import OK, PLS, item_matrix
from .engine.resample import estimate_batch, moment_state, statistic_labels
from .exceptions import DataValidationError, SettingsError, check_count, check_level, check_seed
from .ingest.columns import segment_labels
from .ingest.prepare import SurveyData
from .segments import WAVE_CHANGES_COLUMNS, WaveResults, derived_seed, subset

__all__ = ["PAIRED_CHANGE_COLUMNS", "PairedChange", "check_panel", "paired_change", "paired_counts",
           "paired_wave_changes"]

#: Columns of :attr:`PairedChange.table`.
PAIRED_CHANGE_COLUMNS = ["construct", "change", "std_err", "ci_lower", "ci_upper", "p_value"]

#: Replicates estimated per batch of counts (bounds the memory: replicates × respondents floats).
_CELLS = 4_000_000


@dataclass(frozen=True)
class PairedChange:
    """The paired change of every 0–100 index between two waves (module docstring).

    Attributes
    ----------
    table:
        One row per construct: :data:`PAIRED_CHANGE_COLUMNS`.
    draws:
        Replicates × constructs: the replicate changes ``I*_after − I*_before`` that were used.
    n_matched, n_before, n_after:
        Ids in both waves; respondents of each wave.
    replicates:
        Replicates on which both waves were estimated.
    """

    table: pd.DataFrame
    draws: np.ndarray
    n_matched: int
    n_before: int
    n_after: int
    replicates: int


def check_panel(data: SurveyData) -> None:
    """Raise :class:`~csi_survey.exceptions.SettingsError` unless respondents can be matched across
    waves: the spec must declare ``id_column`` and no cluster design."""
    q = getattr(data, "questionnaire", None)
    if q is None or getattr(q, "id_column", None) is None:
        raise SettingsError(
            "paired wave changes match respondents across waves by their id, and the spec declares no id_column",
            hint="add id_column: <the respondent id column> to the spec, or leave out --paired (independent samples).",
        )
    design = getattr(q, "design", None)
    if design is not None and design.cluster is not None:
        raise SettingsError(
            f"paired wave changes resample panel members, and the spec declares a cluster design (cluster: {design.cluster})",
            hint="leave out --paired: the independent-samples test with the design bootstrap is then used (conservative for a panel).",
        )


def _unique_ids(ids: np.ndarray, rows: np.ndarray, column: str, wave: str, problems: list[dict]) -> None:
    """Append a problem row (``DataValidationError`` columns) for every repeated id of one wave."""
    seen = pd.Series(ids).duplicated(keep=False).to_numpy()
    if seen.any():
        dup = pd.DataFrame({"id": ids[seen], "row": rows[seen]})
        for rid, grp in dup.groupby("id", sort=True):
            listed = ", ".join(str(int(r)) for r in grp["row"])
            problems += [{"row": int(r), "respondent_id": str(rid), "column": column, "value": str(rid),
                          "problem": f"id occurs {len(grp)} times in wave {wave} (rows {listed})"} for r in grp["row"]]


def paired_counts(rng: np.random.Generator, before_ids: np.ndarray, after_ids: np.ndarray,
                  replicates: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Counts of one block of paired replicates: ``(K_before, K_after, n_matched)``.

    ``K_before`` is replicates × len(before_ids), ``K_after`` replicates × len(after_ids): how
    often each respondent counts in the replicate (step 2 of the module docstring). Ids must be
    unique within each wave. Draws from ``rng`` in a fixed order (matched, before-only, after-only)."""
    b = pd.Index(np.asarray(before_ids, dtype=object).astype(str))
    a = pd.Index(np.asarray(after_ids, dtype=object).astype(str))
    matched = b.intersection(a, sort=False)
    pb, pa = b.get_indexer(matched), a.get_indexer(matched)
    only_b = np.setdiff1d(np.arange(len(b)), pb)
    only_a = np.setdiff1d(np.arange(len(a)), pa)
    Kb = np.zeros((replicates, len(b)))
    Ka = np.zeros((replicates, len(a)))
    for size, targets in ((len(matched), ((Kb, pb), (Ka, pa))), (len(only_b), ((Kb, only_b),)),
                          (len(only_a), ((Ka, only_a),))):
        if size == 0:
            continue
        counts = rng.multinomial(size, np.full(size, 1.0 / size), size=replicates).astype(float)
        for K, pos in targets:
            K[:, pos] = counts
    return Kb, Ka, len(matched)


def paired_change(
    engine: PLS,
    before: SurveyData,
    after: SurveyData,
    *,
    fits: tuple[Any, Any] | None = None,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    labels: tuple[str, str] = ("before", "after"),
) -> PairedChange:
    """The paired change of every index from ``before`` to ``after`` (module docstring).

    ``fits`` are the two waves' PLS fits when already made (else fitted here); ``labels`` name the
    waves in messages. Raises :class:`~csi_survey.exceptions.DataValidationError` when an id occurs
    twice in a wave (every such id listed) and :class:`~csi_survey.exceptions.SettingsError` when
    respondents cannot be matched (:func:`check_panel`)."""
    check_panel(before)
    resamples = check_count("resamples", resamples, 2)
    level = check_level(level)
    seed = check_seed(seed)
    ids_b = np.asarray(before.respondent_id, dtype=object).astype(str)
    ids_a = np.asarray(after.respondent_id, dtype=object).astype(str)
    problems: list[dict] = []
    id_column = str(before.questionnaire.id_column)
    _unique_ids(ids_b, np.asarray(before.row), id_column, labels[0], problems)
    _unique_ids(ids_a, np.asarray(after.row), id_column, labels[1], problems)
    if problems:
        raise DataValidationError(
            "paired wave changes need each respondent id once per wave; "
            f"{len({(p['respondent_id'], p['problem']) for p in problems})} id(s) occur more than once",
            hint="remove the repeated interviews (or set quality: {duplicates: exclude} per wave), or leave out --paired.",
            table=pd.DataFrame(problems),
        )
    fit_b, fit_a = fits if fits is not None else (engine.fit(before), engine.fit(after))
    model = engine.model
    cids = model.construct_ids
    stat_labels, _, layout = statistic_labels(fit_b)
    where = {src: k for k, (stat, src) in enumerate(zip(stat_labels["statistic"], stat_labels["source"])) if stat == "index"}
    pos = np.array([where[c] for c in cids])
    states = []
    for data in (before, after):
        X, _ = item_matrix(model, data.items)
        states.append(moment_state(model, X, engine.settings, layout, None if data.weight is None else np.asarray(data.weight)))
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, _CELLS // max(len(ids_b), len(ids_a), 1)))
    parts = []
    n_matched = 0
    for start in range(0, resamples, block):
        Kb, Ka, n_matched = paired_counts(rng, ids_b, ids_a, min(block, resamples - start))
        vb, sb, _ = estimate_batch(states[0], Kb)
        va, sa, _ = estimate_batch(states[1], Ka)
        ok = (sb == OK) & (sa == OK)
        parts.append(va[ok][:, pos] - vb[ok][:, pos])
    draws = np.vstack(parts)
    ib = fit_b.index.set_index("construct")["index"].reindex(cids).to_numpy(dtype=float)
    ia = fit_a.index.set_index("construct")["index"].reindex(cids).to_numpy(dtype=float)
    change = ia - ib
    alpha = 1 - level
    if len(draws) >= 2:
        se = np.std(draws, axis=0, ddof=1)
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    else:
        se = lo = hi = np.full(len(cids), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * stats.norm.sf(np.abs(change) / np.where(se > 0, se, 1.0)), np.nan)
    table = pd.DataFrame({"construct": cids, "change": change, "std_err": se, "ci_lower": lo, "ci_upper": hi, "p_value": p})
    return PairedChange(table, draws, n_matched, len(ids_b), len(ids_a), len(draws))


def paired_wave_changes(
    engine: PLS,
    data: SurveyData,
    column: str,
    waves: WaveResults,
    *,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The wave changes of ``waves`` (from :func:`~csi_survey.segments.wave_analysis` on the same
    data) with the paired bootstrap wherever respondents are matched across two consecutive
    estimated waves.

    Returns :data:`~csi_survey.segments.WAVE_CHANGES_COLUMNS` plus ``pairing`` (``"paired"``, or
    ``"independent"`` where no id occurs in both waves: those rows are kept from ``waves.changes``)
    and ``n_matched``. ``p_adjusted`` equals ``p_value`` (the all-respondents series is a family of
    one). The stream of each pair of waves is seeded from ``seed`` and the two wave labels."""
    check_panel(data)
    seed = check_seed(seed)
    labels, _ = segment_labels(data, column)
    estimated = [w for w in waves.order if w in waves.fits]
    out = waves.changes.copy()
    out["pairing"] = "independent"
    out["n_matched"] = 0
    pairs = list(zip(estimated, estimated[1:]))
    for k, (prev, cur) in enumerate(pairs):
        before, after = subset(data, labels == prev), subset(data, labels == cur)
        res = paired_change(engine, before, after, fits=(waves.fits[prev], waves.fits[cur]), resamples=resamples,
                            seed=derived_seed(seed, "paired", column, prev, cur), level=level, labels=(prev, cur))
        if res.n_matched:
            rows = (out["wave"] == cur).to_numpy() & (out["previous_wave"] == prev).to_numpy()
            new = res.table.set_index("construct").reindex(out.loc[rows, "construct"])
            for c in ("change", "std_err", "ci_lower", "ci_upper", "p_value"):
                out.loc[rows, c] = new[c].to_numpy()
            out.loc[rows, "p_adjusted"] = new["p_value"].to_numpy()
            out.loc[rows, "significant"] = (new["p_value"] < 1 - level).to_numpy()
            out.loc[rows, "pairing"] = "paired"
            out.loc[rows, "n_matched"] = res.n_matched
        if progress is not None:
            progress(k + 1, len(pairs))
    out["significant"] = out["significant"].astype(bool)
    out["n_matched"] = out["n_matched"].astype(np.int64)
    return out[[*WAVE_CHANGES_COLUMNS, "pairing", "n_matched"]]
