"""The outputs of one run: tidy CSV tables and ``report.xlsx``, written atomically into a folder.

Presentation only: every number comes from the results and the prepared data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import AtomicOutput
from .csv import write_csv
from .xlsx import Sheet, write_workbook

__all__ = ["RunTables", "run_tables", "write_report", "write_run", "rerender", "write_comparison", "SCORES_SHEET_LIMIT"]

#: Per-respondent scores go into report.xlsx only up to this many rows (scores.csv always has them).
SCORES_SHEET_LIMIT = 100_000


@dataclass(frozen=True)
class RunTables:
    """The tables of a run, as written to CSV (file name → table) and a run overview."""

    tables: dict[str, pd.DataFrame]
    overview: pd.DataFrame


def run_tables(fit: Any, data: Any | None = None, quality: Any | None = None) -> RunTables:
    """Collect the tidy output tables of a fit (and of the prepared data and quality, when given)."""
    model = fit.model
    id_name = model.id_column or "respondent_id"
    scores = fit.scores_100.copy()
    scores.insert(0, id_name, fit.respondent_id.to_numpy())
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
            from ..weights import weight_summary

            tables["weight_summary.csv"] = weight_summary(data)
    else:
        tables["excluded.csv"] = pd.DataFrame({"row": pd.Series(dtype="int64"), "respondent_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})

    boot = getattr(fit, "bootstrap", None)
    if quality is not None:
        tables["quality.csv"] = quality.reliability
        tables["htmt.csv"] = _htmt_with_intervals(quality.htmt, boot)
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
    if fit.headline is not None:
        rows.append(("Satisfaction index (0–100)", round(fit.headline, 1)))
        if boot is not None:
            r = fit.index.set_index("construct").loc[model.index]
            rows.append(("Margin of error (±)", round(float(r["margin_of_error"]), 1)))
            rows.append(("Interval", f"{r['ci_lower']:.1f} – {r['ci_upper']:.1f}"))
        rows.append(("Index construct", f"{model.index} ({model.label(model.index)})"))
    overview = pd.DataFrame(rows, columns=["field", "value"]).astype({"value": str})
    return RunTables(tables, overview)


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


def write_report(
    fit: Any,
    data: Any | None,
    out_dir: str | Path,
    *,
    quality: Any | None = None,
    scores_sheet_limit: int = SCORES_SHEET_LIMIT,
) -> list[Path]:
    """Write the CSV tables and ``report.xlsx`` into ``out_dir``; return the written paths.

    Atomic: everything is written to a staging folder first and moved into ``out_dir`` only when
    every file is complete, so a failed run never leaves a half-written report.
    """
    run = run_tables(fit, data, quality)
    t = run.tables
    scores = t["scores.csv"]
    if len(scores) <= scores_sheet_limit:
        scores_sheet = Sheet("Scores", scores, note="Per-respondent construct scores on 0–100.")
    else:
        scores_sheet = Sheet(
            "Scores",
            None,
            note=f"{len(scores):,} respondents: too many for a comfortable sheet (limit {scores_sheet_limit:,}); see scores.csv.",
        )
    sheets = [
        Sheet("Summary", run.overview),
        Sheet("Index", t["index.csv"], note="0–100 construct indices (ACSI formula: normalized unstandardized outer weights)."),
        Sheet("Paths", t["paths.csv"], note="Path coefficients (standardized)."),
        Sheet("Effects", t["effects.csv"], note="Direct, indirect and total effects (standardized)."),
        Sheet("Weights", t["weights.csv"], note="Outer weights (standardized), loadings and the normalized index weights."),
        Sheet("R2", t["r2.csv"], note="Explained variance of each endogenous construct."),
    ]
    if "missing.csv" in t:
        sheets.append(Sheet("Missing", t["missing.csv"], note="Missing answers per item among the respondents used."))
    if "quality.csv" in t:
        sheets += [
            Sheet("Quality", t["quality.csv"], note="Reliability and convergent validity per construct (flags: information, not errors)."),
            Sheet("HTMT", t["htmt.csv"], note="Heterotrait-monotrait ratio (discriminant validity; flag above 0.90)."),
            Sheet("Model fit", t["fit_measures.csv"], note="SRMR (saturated and estimated model) and GoF."),
            Sheet("Quality flags", t["quality_flags.csv"], note="Every quality criterion outside its threshold, with the reference."),
        ]
    if "parameters.csv" in t:
        sheets += [
            Sheet("Parameters", t["parameters.csv"], note="Every model parameter: unstandardized and standardized estimate, standard error, z and p value."),
            Sheet("Model fit", t["fit_measures.csv"], note="Chi-square test and fit indices (CFI, TLI, RMSEA with its 90% interval, SRMR, AIC, BIC)."),
        ]
    if "bootstrap.csv" in t:
        sheets.append(Sheet("Bootstrap", t["bootstrap.csv"], note="Bootstrap standard errors, t and p values and intervals of every estimate."))
    sheets.append(Sheet("Excluded", t["excluded.csv"], note="Rows not used, with the reason (row as in the input sheet)."))
    sheets.append(scores_sheet)

    with AtomicOutput(out_dir) as out:
        for name, table in t.items():
            write_csv(table, out.path(name))
        write_workbook(out.path("report.xlsx"), sheets, title=fit.model.name)
        names = [*t, "report.xlsx"]
    return [Path(out_dir) / name for name in names]


def write_comparison(comparison: Any, out_dir: str | Path, *, title: str | None = None) -> list[Path]:
    """Write an engine comparison (``compare_paths.csv``, ``compare_index.csv``, ``compare_r2.csv``
    and ``compare.xlsx``) atomically into ``out_dir``."""
    a, b = comparison.names
    tables = {
        "compare_paths.csv": comparison.paths,
        "compare_index.csv": comparison.index,
        "compare_r2.csv": comparison.r2,
    }
    sheets = [
        Sheet("Paths", comparison.paths, note=f"Standardized path coefficients: {a} and {b} (difference = {b} − {a})."),
        Sheet("Index", comparison.index, note=f"0–100 construct indices: {a} and {b}."),
        Sheet("R2", comparison.r2, note=f"R² of the endogenous constructs: {a} and {b}."),
    ]
    with AtomicOutput(out_dir) as out:
        for name, table in tables.items():
            write_csv(table, out.path(name))
        write_workbook(out.path("compare.xlsx"), sheets, title=title)
    return [Path(out_dir) / name for name in [*tables, "compare.xlsx"]]


def write_run(analysis: Any, out_dir: str | Path, *, html: bool = True, scores_sheet_limit: int = SCORES_SHEET_LIMIT) -> list[Path]:
    """Write a whole run (:class:`~csi_survey.analysis.Analysis`) into ``out_dir`` atomically.

    The run folder holds every table as CSV, ``run.json`` and ``model.yaml`` (the bundle that
    ``csi-survey report DIR`` re-renders from), ``report.xlsx`` with native charts and, unless
    ``html=False``, the self-contained ``report.html``.
    """
    from .bundle import bundle_from_tables, save_bundle

    bundle = bundle_from_tables(analysis.meta, analysis.tables, analysis.data.questionnaire)
    return _write_bundle(bundle, out_dir, html=html, scores_sheet_limit=scores_sheet_limit, save=True)


def rerender(directory: str | Path, *, lang: str | None = None, html: bool = True) -> list[Path]:
    """Re-render ``report.xlsx`` and ``report.html`` of a previous run from its tables (no estimation)."""
    from .bundle import load_bundle

    bundle = load_bundle(directory)
    if lang is not None:
        bundle = dataclasses.replace(bundle, meta={**bundle.meta, "lang": lang})
    return _write_bundle(bundle, directory, html=html, scores_sheet_limit=SCORES_SHEET_LIMIT, save=False)


def _write_bundle(bundle: Any, out_dir: str | Path, *, html: bool, scores_sheet_limit: int, save: bool) -> list[Path]:
    from .bundle import save_bundle
    from .html import render_html
    from .xlsx_charts import write_report_workbook

    written: list[Path] = []
    with AtomicOutput(out_dir) as out:
        if save:
            written += save_bundle(bundle, out)
        write_report_workbook(out.path("report.xlsx"), bundle, scores_sheet_limit=scores_sheet_limit)
        written.append(Path(out_dir) / "report.xlsx")
        if html:
            render_html(bundle, out.path("report.html"), lang=bundle.meta.get("lang"))
            written.append(Path(out_dir) / "report.html")
    return written
