"""The outputs of one run: tidy CSV tables and ``report.xlsx``, written atomically into a folder.

Presentation only: every number comes from the results and the prepared data.

Every writer here goes through :class:`~csi_survey.report.atomic.AtomicOutput`, so an output
folder is refused when it holds files csi-survey did not write (``inputs=``: the run's input
files, refused in the folder whatever its manifest says), and after a run holds exactly that
run's files (see :mod:`csi_survey.report.atomic`). A run's tables, meta data and spec are cleaned
of control characters once (:func:`clean_bundle`) before the CSV files, ``run.json``,
``report.xlsx``, ``report.html`` and ``report.docx`` are written from them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any


from ..exceptions import check_choice
from ..i18n import check_language, text, texts
from ..run_tables import run_tables
from .atomic import AtomicOutput
from .bundle import SCORES_FORMATS, RunBundle, bundle_from_tables, load_bundle, save_bundle
from ..ingest.memory import release_unused_memory
from .csv import RELEASE_ROWS, write_csv
from .html import render_html
from .safe import clean_frame, clean_value, has_control
from .xlsx import Sheet, write_workbook
from .xlsx_charts import localised_sheet, write_report_workbook

__all__ = ["write_report", "write_run", "rerender", "write_comparison", "write_prediction", "SCORES_SHEET_LIMIT",
           "SCORES_FORMATS", "clean_bundle"]

#: Input files of a run (responses, spec …): refused inside the output folder.
Inputs = Iterable[str | Path | None]

#: The fixed texts of the plain workbook of :func:`write_report` (English; the charted report.xlsx of a run
#: and prediction.xlsx follow the report language, see :mod:`csi_survey.i18n`).
WORKBOOK = texts("en", "workbook")

#: Per-respondent scores go into report.xlsx only up to this many rows (scores.csv or scores.parquet
#: always has them; above, the Scores sheet holds a note pointing to the file). Ten thousand rows
#: stay readable in a sheet and take a fraction of a second to write; a run of 100,000 respondents
#: wrote its Scores sheet cell by cell for 3.8 s, for a sheet nobody scrolls.
SCORES_SHEET_LIMIT = 10_000


def write_report(
    fit: Any,
    data: Any | None,
    out_dir: str | Path,
    *,
    quality: Any | None = None,
    scores_sheet_limit: int = SCORES_SHEET_LIMIT,
    inputs: Inputs = (),
) -> list[Path]:
    """Write the CSV tables and ``report.xlsx`` into ``out_dir``; return the written paths.

    Atomic: everything is written to a staging folder first and moved into ``out_dir`` only when
    every file is complete, so a failed run never leaves a half-written report. ``out_dir`` must
    be new, empty or hold only csi-survey's files, and none of ``inputs``
    (:class:`~csi_survey.report.atomic.AtomicOutput`).
    """
    run = run_tables(fit, data, quality)
    t = run.tables
    scores = t["scores.csv"]
    if len(scores) <= scores_sheet_limit:
        scores_sheet = Sheet("Scores", scores, note=WORKBOOK["note_scores"])
    else:
        scores_sheet = Sheet(
            "Scores",
            None,
            note=WORKBOOK["note_scores_too_many"].format(n=f"{len(scores):,}", limit=f"{scores_sheet_limit:,}", file="scores.csv"),
        )
    sheets = [
        Sheet("Summary", run.overview),
        Sheet("Index", t["index.csv"], note=WORKBOOK["note_index"]),
        Sheet("Paths", t["paths.csv"], note=WORKBOOK["note_paths"]),
        Sheet("Effects", t["effects.csv"], note=WORKBOOK["note_effects"]),
        Sheet("Weights", t["weights.csv"], note=WORKBOOK["note_weights"]),
        Sheet("R2", t["r2.csv"], note=WORKBOOK["note_r2"]),
    ]
    if "missing.csv" in t:
        sheets.append(Sheet("Missing", t["missing.csv"], note=WORKBOOK["note_missing"]))
    if "quality.csv" in t:
        sheets += [
            Sheet("Quality", t["quality.csv"], note=WORKBOOK["note_quality"]),
            Sheet("HTMT", t["htmt.csv"], note=WORKBOOK["note_htmt"]),
            Sheet("Model fit", t["fit_measures.csv"], note=WORKBOOK["note_fit_pls"]),
            Sheet("Quality flags", t["quality_flags.csv"], note=WORKBOOK["note_quality_flags"]),
        ]
    if "parameters.csv" in t:
        sheets += [
            Sheet("Parameters", t["parameters.csv"], note=WORKBOOK["note_parameters"]),
            Sheet("Model fit", t["fit_measures.csv"], note=WORKBOOK["note_fit_cbsem"]),
        ]
    if "bootstrap.csv" in t:
        sheets.append(Sheet("Bootstrap", t["bootstrap.csv"], note=WORKBOOK["note_bootstrap"]))
    sheets.append(Sheet("Excluded", t["excluded.csv"], note=WORKBOOK["note_excluded"]))
    sheets.append(scores_sheet)

    with AtomicOutput(out_dir, inputs=inputs) as out:
        for name, table in t.items():
            write_csv(table, out.path(name))
        write_workbook(out.path("report.xlsx"), sheets, title=fit.model.name)
        names = [*t, "report.xlsx"]
    return [Path(out_dir) / name for name in names]


def write_comparison(comparison: Any, out_dir: str | Path, *, title: str | None = None, inputs: Inputs = ()) -> list[Path]:
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
    with AtomicOutput(out_dir, inputs=inputs) as out:
        for name, table in tables.items():
            write_csv(table, out.path(name))
        write_workbook(out.path("compare.xlsx"), sheets, title=title)
    return [Path(out_dir) / name for name in [*tables, "compare.xlsx"]]


def write_prediction(prediction: Any, comparison: Any | None, out_dir: str | Path, *, title: str | None = None,
                     lang: str = "en", inputs: Inputs = ()) -> list[Path]:
    """Write PLSpredict (``prediction.csv``, ``prediction_summary.csv``) and, when given, CVPAT
    (``cvpat.csv``) with ``prediction.xlsx`` atomically into ``out_dir``; the workbook in ``lang``
    (``"en"`` or ``"zh"``: sheet names, notes, column headers; the CSVs keep the English names)."""
    lang = check_language(lang)

    def sheet(key: str, table: Any, note: str, file: str) -> Sheet:
        return localised_sheet(Sheet(text(lang, key, "workbook"), table, note=text(lang, note, "workbook")), file, lang)

    tables = {"prediction.csv": prediction.items, "prediction_summary.csv": prediction.verdict}
    sheets = [
        sheet("sheet_prediction", prediction.items, "note_prediction", "prediction.csv"),
        sheet("sheet_prediction_summary", prediction.verdict, "note_prediction_summary", "prediction_summary.csv"),
    ]
    if comparison is not None:
        tables["cvpat.csv"] = comparison.table
        sheets.append(sheet("sheet_cvpat", comparison.table, "note_cvpat", "cvpat.csv"))
    with AtomicOutput(out_dir, inputs=inputs) as out:
        for name, table in tables.items():
            write_csv(table, out.path(name))
        write_workbook(out.path("prediction.xlsx"), sheets, title=title)
    return [Path(out_dir) / name for name in [*tables, "prediction.xlsx"]]


def write_run(
    analysis: Any,
    out_dir: str | Path,
    *,
    html: bool = True,
    scores_sheet_limit: int = SCORES_SHEET_LIMIT,
    scores_format: str = "csv",
    docx: bool = False,
    inputs: Inputs = (),
) -> list[Path]:
    """Write a whole run (:class:`~csi_survey.analysis.Analysis`) into ``out_dir`` atomically.

    The run folder holds every table as CSV, ``run.json`` and ``model.yaml`` (the bundle that
    ``csi-survey report DIR`` re-renders from), ``report.xlsx`` with native charts and, unless
    ``html=False``, the self-contained ``report.html``.

    ``docx=True`` adds ``report.docx``, the Word report (:func:`csi_survey.report.docx.write_docx`,
    in the run's language).

    ``scores_format="parquet"`` writes the per-respondent scores as ``scores.parquet`` instead of
    ``scores.csv`` (typed, compressed: for large runs; recorded as ``"scores_format"`` in
    ``run.json`` so that the folder re-renders). The Scores sheet of ``report.xlsx`` holds the
    scores up to ``scores_sheet_limit`` respondents, above only a note pointing to the file.

    ``out_dir`` must be new, empty or hold only files csi-survey wrote; afterwards it holds exactly
    this run's files (an earlier run's other files are removed). ``inputs`` (the responses file,
    the spec …) are refused inside it. Text with control characters is cleaned (:func:`clean_bundle`).

    Raises
    ------
    SettingsError
        ``scores_format`` is neither ``"csv"`` nor ``"parquet"``.
    ReportError
        ``out_dir`` holds files csi-survey did not write, or an input file (nothing is written).
    """
    check_choice("scores_format", scores_format, list(SCORES_FORMATS))
    scores = analysis.tables.get("scores")
    if scores is not None and len(scores) >= RELEASE_ROWS:  # a large run's peak memory is in the writing
        release_unused_memory()  # the estimation's freed temporaries
    meta = analysis.meta if scores_format == "csv" else {**analysis.meta, "scores_format": scores_format}
    bundle = bundle_from_tables(meta, analysis.tables, analysis.data.questionnaire)
    return _write_bundle(bundle, out_dir, html=html, scores_sheet_limit=scores_sheet_limit, save=True, docx=docx,
                         inputs=inputs)


def rerender(directory: str | Path, *, lang: str | None = None, html: bool = True, docx: bool | None = None) -> list[Path]:
    """Re-render ``report.xlsx`` and ``report.html`` of a previous run from its tables (no estimation);
    ``report.docx`` too with ``docx=True``, or by default (``None``) when the folder has one.

    The folder's other files are kept; a report file csi-survey did not write is never replaced."""
    bundle = load_bundle(directory)
    if lang is not None:
        bundle = dataclasses.replace(bundle, meta={**bundle.meta, "lang": lang})
    if docx is None:
        docx = (Path(directory) / "report.docx").is_file()
    return _write_bundle(bundle, directory, html=html, scores_sheet_limit=SCORES_SHEET_LIMIT, save=False, docx=docx,
                         keep_previous=True)


def _has_control(value: Any) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_control(v) for v in value)
    return False


def clean_bundle(bundle: RunBundle) -> RunBundle:
    """``bundle`` with the control characters of every text cell, column name, meta value and spec
    text replaced (:func:`~csi_survey.report.safe.clean_text`); the same object when it holds none.

    Cleaned once here, every file written from the bundle (CSV, run.json, model.yaml, xlsx, HTML,
    docx) is free of them, and python-docx, which refuses control characters, gets clean text."""
    tables = {name: clean_frame(table) for name, table in bundle.tables.items()}
    meta = clean_value(bundle.meta) if _has_control(bundle.meta) else bundle.meta
    model = bundle.model
    dump = model.model_dump()
    if _has_control(dump):
        try:
            model = type(model).model_validate(clean_value(dump))
        except Exception:  # a spec that no longer validates cleaned: kept (its own writers escape it)
            model = bundle.model
    if meta is bundle.meta and model is bundle.model and all(tables[n] is bundle.tables[n] for n in tables):
        return bundle
    return dataclasses.replace(bundle, meta=meta, tables=tables, model=model)


def _write_bundle(bundle: Any, out_dir: str | Path, *, html: bool, scores_sheet_limit: int, save: bool,
                  docx: bool = False, inputs: Inputs = (), keep_previous: bool = False) -> list[Path]:
    written: list[Path] = []
    bundle = clean_bundle(bundle)
    with AtomicOutput(out_dir, inputs=inputs, keep_previous=keep_previous) as out:
        if save:
            written += save_bundle(bundle, out)
        write_report_workbook(out.path("report.xlsx"), bundle, scores_sheet_limit=scores_sheet_limit)
        written.append(Path(out_dir) / "report.xlsx")
        if html:
            render_html(bundle, out.path("report.html"), lang=bundle.meta.get("lang"))
            written.append(Path(out_dir) / "report.html")
        if docx:
            from .docx import write_docx  # lazy: python-docx and matplotlib load only for a Word report

            write_docx(bundle, out.path("report.docx"), lang=bundle.meta.get("lang"))
            written.append(Path(out_dir) / "report.docx")
    return written
