"""The tidy output tables of one run (file name → table) and its overview, as a run writes them.

Collecting only: every number comes from the fit, the prepared data, the quality criteria and
the bootstrap. The report writers (:mod:`csi_survey.report`) present these tables; the analysis
pipeline (:func:`csi_survey.analysis.analyze`) and the batch hand them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .engine.resample import construct_blocks
from .ingest.weights import weight_summary
from .model_fit import htmt2

__all__ = ["RunTables", "run_tables"]


@dataclass(frozen=True)
class RunTables:
    """The tables of a run, as written to CSV (file name → table) and a run overview."""

    tables: dict[str, pd.DataFrame]
    overview: pd.DataFrame


def run_tables(fit: Any, data: Any | None = None, quality: Any | None = None) -> RunTables:
    """Collect the tidy output tables of a fit (and of the prepared data and quality, when given)."""
    model = fit.model
    id_name = model.id_column or "respondent_id"
    # a shallow copy (copy-on-write: fit.scores_100 stays as it is) and the ids as they are (text stays
    # Arrow text): no second copy of a million rows of scores, no Python string per respondent
    scores = fit.scores_100.copy(deep=False)
    scores.insert(0, id_name, fit.respondent_id.array)
    tables = {
        "index.csv": fit.index,
        "paths.csv": fit.paths,
        "effects.csv": fit.effects,
        "weights.csv": fit.weights,
        "r2.csv": fit.r2,
        "scores.csv": scores,
    }
    if data is not None:
        tables["excluded.csv"] = data.excluded
        tables["missing.csv"] = data.missing
        if getattr(data, "flags", None) is not None:
            tables["flags.csv"] = data.flags
        if getattr(data, "quality_summary", None) is not None:
            tables["data_quality.csv"] = data.quality_summary
        if getattr(data, "weight", None) is not None:
            tables["weight_summary.csv"] = weight_summary(data)
    else:
        tables["excluded.csv"] = pd.DataFrame({"row": pd.Series(dtype="int64"), "respondent_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})

    boot = getattr(fit, "bootstrap", None)
    if quality is not None:
        tables["quality.csv"] = quality.reliability
        tables["htmt.csv"] = _with_htmt2(_htmt_with_intervals(quality.htmt, boot), fit)
        tables["fit_measures.csv"] = quality.fit
        tables["quality_flags.csv"] = quality.flags
    parameters = getattr(fit, "parameters", None)  # covariance-based SEM
    if parameters is not None:
        tables["parameters.csv"] = parameters
        tables["fit_measures.csv"] = fit.fit_measures
    if boot is not None:
        tables["bootstrap.csv"] = boot.estimates
        tables["bootstrap_failures.csv"] = boot.failures

    rows = [("Model", model.name)]
    if data is not None:
        source = data.source + (f", sheet '{data.sheet}'" if data.sheet else "")
        rows += [
            ("Responses", source),
            ("Rows read", data.n_read),
            ("Respondents used", data.n_used),
            ("Rows excluded", data.n_excluded),
            ("Missing values", {"mean": "replaced by the item mean", "model": "imputed from the other items (iterative imputation)",
                                "mean-strict": "replaced by the item mean; a construct without any answer excludes the respondent",
                                "listwise": "listwise deletion"}.get(data.missing_method, data.missing_method)),
            ("Values replaced", int(data.missing["n_replaced"].sum())),
        ]
    else:
        rows.append(("Respondents used", fit.n))
    rows += [
        ("Engine", fit.engine_description),
        ("Iterations", fit.iterations),
    ]
    if boot is not None:
        rows += [
            ("Bootstrap resamples", f"{boot.used} used of {boot.resamples} ({boot.failed} failed)"),
            ("Bootstrap seed", boot.seed),
            ("Intervals", f"{boot.method}, {boot.level:.0%}"),
        ]
        if getattr(boot, "design", "respondents") != "respondents":
            rows.append(("Bootstrap design", boot.description))
    if fit.headline is not None:
        rows.append(("Satisfaction index (0–100)", round(fit.headline, 1)))
        if boot is not None:
            r = fit.index.set_index("construct").loc[model.index]
            rows.append(("Margin of error (±)", round(float(r["margin_of_error"]), 1)))
            rows.append(("Interval", f"{r['ci_lower']:.1f} – {r['ci_upper']:.1f}"))
        rows.append(("Index construct", f"{model.index} ({model.label(model.index)})"))
    overview = pd.DataFrame(rows, columns=["field", "value"]).astype({"value": str})
    return RunTables(tables, overview)


def _with_htmt2(htmt: pd.DataFrame, fit: Any) -> pd.DataFrame:
    """The HTMT table with HTMT2 (Roemer, Schuberth & Henseler 2021; :func:`csi_survey.model_fit.htmt2`)
    of each pair beside HTMT (NaN where HTMT2 is undefined: heterotrait correlations of mixed signs)."""
    if htmt.empty or not {"construct_1", "construct_2"} <= set(htmt.columns):
        return htmt
    model = fit.model
    items = list(model.item_ids)
    R = fit.item_correlations.loc[items, items].to_numpy(dtype=float)
    pos = {c: k for k, c in enumerate(model.construct_ids)}
    absolute = "convention" in htmt.columns and bool((htmt["convention"] == "absolute").any())  # as the HTMT beside it
    with np.errstate(invalid="ignore", divide="ignore"):
        H2 = htmt2(R, construct_blocks(model), absolute=absolute)
    out = htmt.copy()
    at = list(out.columns).index("htmt") + 1 if "htmt" in out.columns else len(out.columns)
    out.insert(at, "htmt2", [float(H2[pos[a], pos[b]]) for a, b in zip(out["construct_1"], out["construct_2"])])
    return out


def _htmt_with_intervals(htmt: pd.DataFrame, boot: Any | None) -> pd.DataFrame:
    """The HTMT table, with the bootstrap interval of each pair when a bootstrap ran."""
    if boot is None:
        return htmt
    est = boot.estimates[boot.estimates["statistic"] == "htmt"]
    lookup = {frozenset((r.source, r.target)): (r.ci_lower, r.ci_upper) for r in est.itertuples()}
    pairs = [lookup.get(frozenset((a, b)), (float("nan"), float("nan"))) for a, b in zip(htmt["construct_1"], htmt["construct_2"])]
    out = htmt.copy()
    out.insert(3, "ci_lower", [p[0] for p in pairs])
    out.insert(4, "ci_upper", [p[1] for p in pairs])
    return out
