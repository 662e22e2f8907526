"""The ``csi-survey`` command line: a thin layer over the library, and the only module that prints.

Library errors (:class:`~csi_survey.exceptions.CsiSurveyError`) become one readable message on
stderr and exit code 1; usage errors exit with 2. No traceback is shown unless the environment
variable ``CSI_SURVEY_DEBUG=1`` is set.

Start-up stays cheap: this module imports only typer, rich and the package's light modules
(exceptions, version), so ``--help``, ``--version`` and ``template`` never load numpy, pandas or
scipy. Each command imports the library modules it needs in its own body.
"""

from __future__ import annotations

import os
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from .exceptions import CsiSurveyError, SettingsError, check_seed
from .cli_output import (BatchBar, CleanConsole, Progress, auto_lang, interval as _interval, num as _num, print_batch, print_compare, print_frame,
                         print_predict, print_summary, print_written, run_folder_lang, status_text as _status)
from .i18n import localize_error, report_language, text as _text, translate
from .version import __version__

app = typer.Typer(
    name="csi-survey",
    help="Customer satisfaction survey exports → ACSI-style satisfaction index, path weights and a report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out = CleanConsole(highlight=False)  # text from the input never reaches the terminal as a control character
err = CleanConsole(stderr=True, highlight=False)

#: The language ("en" or "zh") of the console output of the command that is running: ``run`` and
#: ``validate`` set it from ``--lang``, else from the model's labels (the rule of the reports:
#: :func:`csi_survey.i18n.report_language`); the "Error:" and "Warning:" prefixes follow it.
_console_lang = "en"


def _set_lang(lang: str) -> str:
    global _console_lang
    _console_lang = lang
    return lang


def _t(lang: str, key: str, **fields) -> str:
    """A fixed text of the console output in ``lang`` (:data:`csi_survey.i18n.CLI_TEXTS`)."""
    return _text(lang, key, "cli", **fields)


def _word(lang: str, prefix: str, value) -> str:
    """The catalogue word for a library value (``scheme_path``, ``power_high`` …), else the value."""
    key = f"{prefix}_{value}"
    found = _t(lang, key)
    return str(value) if found == key else found


def _prefix(lang: str, key: str) -> str:
    """``Error:``/``Warning:`` and the space after it (none after a full-width colon)."""
    label = _t(lang, key)
    return label if label.endswith("：") else label + " "

EXIT_ERROR = 1
#: At most this many rows of the index by segment on the console (the CSV has them all).
SEGMENT_ROWS_SHOWN = 30
EXIT_INTERNAL = 3


class SchemeChoice(str, Enum):
    path = "path"
    centroid = "centroid"
    factorial = "factorial"


class OnInvalid(str, Enum):
    error = "error"
    exclude = "exclude"
    flag = "flag"


class MissingChoice(str, Enum):
    mean = "mean"
    mean_strict = "mean-strict"
    listwise = "listwise"
    model = "model"


class FormatChoice(str, Enum):
    auto = "auto"
    csv = "csv"
    xlsx = "xlsx"
    qualtrics = "qualtrics"
    surveymonkey = "surveymonkey"
    spss = "spss"
    googleforms = "googleforms"
    wjx = "wjx"
    wenjuan = "wenjuan"
    tencent = "tencent"


class EngineChoice(str, Enum):
    pls = "pls"
    cbsem = "cbsem"


class CIChoice(str, Enum):
    percentile = "percentile"
    bca = "bca"


class TemplateChoice(str, Enum):
    acsi = "acsi"
    ecsi = "ecsi"
    ccsi = "ccsi"


ResponsesArg = Annotated[Path, typer.Argument(help="The survey export: .xlsx/.xlsm, .xls (Excel 97–2003), .csv/.txt/.tsv (UTF-8, BOM, UTF-16, GBK/GB18030) or SPSS .sav; Qualtrics, SurveyMonkey, Google Forms, 问卷星 (wjx), 问卷网 and 腾讯问卷 layouts are detected.", show_default=False)]
ModelOpt = Annotated[Path, typer.Option("--model", "-m", help="The questionnaire spec (YAML). `csi-survey template acsi` prints one.", show_default=False)]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", help="Sheet of an .xlsx file, by name or 1-based number (default: the first).")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="Encoding of a CSV file (default: detected among UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030, Big5 and Shift-JIS; refused when uncertain).")]
HeaderRowOpt = Annotated[Optional[int], typer.Option("--header-row", min=1, help="Row (1-based, as Excel numbers it) that holds the column names, when a title or notes are above it (default: the first non-empty row).", show_default=False)]
OnInvalidOpt = Annotated[OnInvalid, typer.Option("--on-invalid", help="A non-numeric, out-of-range or unmapped answer: stop with a list of every bad cell (error), exclude that respondent with the reason (exclude), or treat the cell as missing and flag it (flag).")]
MissingOpt = Annotated[MissingChoice, typer.Option("--missing", help="Missing answers: replace by the item mean, single-item constructs included (mean, as SmartPLS and seminr; a respondent with no answer in a whole multi-item construct is still excluded), the same but excluding a respondent without the answer of a single-item construct (mean-strict), drop the respondent (listwise), or impute from the other items (model: iterative imputation).")]
MaxFileOpt = Annotated[Optional[float], typer.Option("--max-file-mb", help="Refuse input files larger than this (MB; default 2000).")]
MaxUncompressedOpt = Annotated[Optional[float], typer.Option("--max-uncompressed-mb", help="Refuse workbooks that expand beyond this (MB; default 200).")]
MaxRatioOpt = Annotated[Optional[float], typer.Option("--max-compression-ratio", help="Refuse workbook parts compressed more than this (default 100; zip bombs reach 1000).")]
MaxCellsOpt = Annotated[Optional[int], typer.Option("--max-cells", help="Refuse sheets with more cells than this (default 20,000,000).")]
MaxColumnsOpt = Annotated[Optional[int], typer.Option("--max-columns", min=1, help="Refuse files with more columns than this (default 16,384, Excel's limit).")]
FormatOpt = Annotated[FormatChoice, typer.Option("--format", help="Layout of the export (default: detected): csv, xlsx, qualtrics, surveymonkey, spss, googleforms, wjx (问卷星), wenjuan (问卷网), tencent (腾讯问卷).")]


def _fail(exc: BaseException | str, code: int = EXIT_ERROR) -> None:
    lang = _console_lang
    if isinstance(exc, CsiSurveyError):  # message, problem table and "How to fix" line in the console language
        message = localize_error(lang, exc)
    else:
        message = str(exc)
        hint = getattr(exc, "hint", None)
        english = "\n" + _t("en", "how_to_fix") + str(hint)
        if lang != "en" and hint and message.endswith(english):  # a hint line, its label in the console language
            message = message[: -len(english)] + "\n" + _t(lang, "how_to_fix") + str(hint)
    label = _prefix(lang, "error")
    err.print(f"[bold red]{label.rstrip()}[/bold red]{label[len(label.rstrip()):]}", end="", markup=True)
    err.print(message, markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _limits(max_file_mb, max_uncompressed_mb, max_compression_ratio, max_cells, max_columns=None):
    """The reading limits from the CLI options (None: the library defaults)."""
    from .ingest.safety import Limits  # lazy: the ingest package loads pandas; only commands that read data need it

    given = {
        "max_file_bytes": None if max_file_mb is None else int(max_file_mb * 1_000_000),
        "max_uncompressed_bytes": None if max_uncompressed_mb is None else int(max_uncompressed_mb * 1_000_000),
        "max_compression_ratio": max_compression_ratio,
        "max_cells": max_cells,
        "max_columns": max_columns,
    }
    given = {k: v for k, v in given.items() if v is not None}
    return Limits(**given) if given else None


def _sheet(value: str | None) -> str | int | None:
    if value is not None and value.isdigit():
        return int(value) - 1  # the user counts sheets from 1
    return value


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)) \
                and "csi_survey" not in str(w.filename):  # another package's notice to programmers, not to users
            continue
        if text not in seen:
            seen.add(text)
            label = _prefix(_console_lang, "warning")
            err.print(f"[yellow]{label.rstrip()}[/yellow]{label[len(label.rstrip()):]}", end="", markup=True)
            err.print(translate(_console_lang, text), markup=False, soft_wrap=True)  # the library's English, catalogued


def _guarded(fn):
    """Run a command body: library errors → one message + exit 1; anything else → exit 3."""

    def wrapper(*args, **kwargs):
        _set_lang("en")  # until the command knows its language
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return fn(*args, **kwargs)
            except (typer.Exit, typer.Abort):
                raise
            except CsiSurveyError as exc:
                _fail(exc)
            except KeyboardInterrupt:
                err.print(_t(_console_lang, "interrupted"))
                raise typer.Exit(130)
            except MemoryError:  # not a bug: the input or the settings ask for more memory than the machine has
                _fail(_t(_console_lang, "out_of_memory"))
            except Exception as exc:  # a bug: say so plainly, keep the traceback for CSI_SURVEY_DEBUG
                if os.environ.get("CSI_SURVEY_DEBUG"):
                    raise
                _fail(_t(_console_lang, "internal_error", kind=type(exc).__name__, message=exc), EXIT_INTERNAL)
            finally:
                _show_warnings(caught)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


def _print_fit_measures(fit, lang: str = "en") -> None:
    m = fit.fit_measures.set_index("measure")["value"]
    out.print(
        _t(lang, "fit_measures", chi2=f"{m['chi2']:.2f}", df=f"{m['df']:.0f}", p=f"{m['p_value']:.3f}", cfi=f"{m['cfi']:.3f}",
           tli=f"{m['tli']:.3f}", rmsea=f"{m['rmsea']:.3f}", lower=f"{m['rmsea_ci_lower']:.3f}",
           upper=f"{m['rmsea_ci_upper']:.3f}", srmr=f"{m['srmr']:.3f}"),
        markup=False,
    )


def _print_results(fit, scheme: str | None, lang: str = "en") -> None:
    spec = fit.model
    boot = fit.bootstrap
    pct = _t(lang, "interval_pct", pct=f"{boot.level:.0%}") if boot is not None else None
    table = Table(title=_t(lang, "index_title", name=spec.name), title_justify="left")
    columns = [(_t(lang, "col_construct"), "left"), (_t(lang, "col_label"), "left"), (_t(lang, "col_index"), "right")]
    if boot is not None:
        columns += [(pct, "right"), ("±", "right")]
    columns.append((_t(lang, "col_n"), "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for r in fit.index.to_dict("records"):
        mark = " ◀" if r["construct"] == spec.index else ""
        value = "–" if r["index"] != r["index"] else f"{r['index']:.1f}{mark}"
        row = [str(r["construct"]), str(r["label"]), value]
        if boot is not None:
            row += [_interval(r["ci_lower"], r["ci_upper"], 1), _num(r["margin_of_error"], 1)]
        table.add_row(*row, f"{r['n']:,}")
    out.print(table)

    paths = Table(title=_t(lang, "paths_title"), title_justify="left")
    columns = [(_t(lang, "col_source"), "left"), (_t(lang, "col_target"), "left"), (_t(lang, "col_estimate"), "right")]
    if boot is not None:
        columns += [(_t(lang, "col_std_err"), "right"), (_t(lang, "col_p_value"), "right"), (pct, "right")]
    for col, justify in columns:
        paths.add_column(col, justify=justify)
    for r in fit.paths.to_dict("records"):
        row = [str(r["source"]), str(r["target"]), f"{r['estimate']:.3f}"]
        if boot is not None:
            row += [_num(r["std_err"], 3), _num(r["p_value"], 3), _interval(r["ci_lower"], r["ci_upper"], 3)]
        paths.add_row(*row)
    out.print(paths)
    if scheme is not None:
        out.print(_t(lang, "pls_converged", scheme=_word(lang, "scheme", scheme), n=fit.iterations), markup=False)
        reliability = getattr(fit, "reliability", None)
        if reliability is not None:
            corrected = reliability[reliability["corrected"]]
            listed = _t(lang, "list_sep").join(_t(lang, "plsc_construct", construct=c, rho=f"{r:.3f}")
                                               for c, r in zip(corrected["construct"], corrected["rho_a"]))
            out.print(_t(lang, "plsc_head", constructs=listed)
                      + _t(lang, "plsc_end" if getattr(fit, "admissible", None) is not False else "plsc_inadmissible"),
                      markup=False)
    else:
        engine = _t(lang, "engine_cbsem") if lang != "en" and getattr(fit, "engine", None) == "cbsem" else fit.engine_description
        out.print(_t(lang, "engine_converged", engine=engine, n=fit.iterations), markup=False)
    if boot is not None:
        failed = _t(lang, "bootstrap_failed", n=boot.failed) if boot.failed else ""
        how = _t(lang, "bootstrap_how", description=boot.description) if getattr(boot, "design", "respondents") != "respondents" else ""
        out.print(_t(lang, "bootstrap", used=f"{boot.used:,}", resamples=f"{boot.resamples:,}", seed=boot.seed,
                     method=_word(lang, "method", boot.method), how=how, failed=failed), markup=False)
    if fit.headline is not None:
        line = _t(lang, "headline", label=spec.label(spec.index), value=f"{fit.headline:.1f}")
        if boot is not None:
            r = fit.index.set_index("construct").loc[spec.index]
            line += _t(lang, "headline_margin", margin=f"{r['margin_of_error']:.1f}", interval=pct,
                       lower=f"{r['ci_lower']:.1f}", upper=f"{r['ci_upper']:.1f}")
        out.print(line, markup=False)


#: The kinds of exclusion reason the data summary counts, and their catalogue keys.
_REASONS = {"invalid value": "reason_invalid_value", "no valid answer for construct": "reason_no_valid_answer",
            "empty row": "reason_empty_row", "missing answer": "reason_missing_answer"}


def _data_summary(data, lang: str = "en") -> None:
    from .ingest.weights import design_effect, effective_n  # lazy: the ingest package loads pandas; only commands that read data need it

    where = _t(lang, "where_sheet", source=data.source, sheet=data.sheet) if data.sheet else data.source
    out.print(
        _t(lang, "read", n_read=f"{data.n_read:,}", where=where, n_used=f"{data.n_used:,}", n_excluded=f"{data.n_excluded:,}"),
        markup=False,
    )
    platform = getattr(data, "platform", None)
    if platform is not None:  # 问卷星, 问卷网, 腾讯问卷: which scales were recognised, the skips, what stays private
        _platform_summary(platform, lang)
    replaced = int(data.missing["n_replaced"].sum())
    if replaced:
        out.print(_t(lang, "replaced_mean" if data.missing_method in ("mean", "mean-strict") else "replaced_model", n=f"{replaced:,}"), markup=False)
    summary = getattr(data, "quality_summary", None)
    if summary is not None:
        for r in summary.to_dict("records"):
            if r.get("n_flagged") or r.get("n_excluded"):
                out.print(_t(lang, "data_quality", flag=r["flag"], flagged=f"{r.get('n_flagged', 0):,}",
                             excluded=f"{r.get('n_excluded', 0):,}", policy=r["policy"]), markup=False)
    if getattr(data, "weight", None) is not None:
        out.print(_t(lang, "weighted", n_eff=f"{effective_n(data.weight):,.0f}", n=f"{data.n_used:,}",
                     deff=f"{design_effect(data.weight):.2f}"), markup=False)
    if data.n_excluded:
        kinds = data.excluded["reason"].str.extract(
            r"^(invalid value|no valid answer for construct|empty row|missing answer)", expand=False
        ).fillna(data.excluded["reason"])
        for reason, count in kinds.value_counts().head(8).items():
            shown = _t(lang, _REASONS[reason]) if reason in _REASONS else reason
            out.print(_t(lang, "excluded", count=f"{count:>5,}", reason=shown), markup=False)


def _platform_summary(platform, lang: str) -> None:
    """What the reader understood of a survey-platform export (``SurveyData.platform``)."""
    from .ingest.cn_platforms import PLATFORM_NAMES  # lazy: the ingest package loads pandas

    name, download = PLATFORM_NAMES.get(platform.platform, platform.platform), _t(lang, f"download_{platform.download}")
    scales = platform.scales
    if len(scales):
        counts = scales.groupby("scale", sort=False)["column"].count()
        listed = ", ".join(_t(lang, "platform_scale", scale=scale, n=n) for scale, n in counts.items())
        out.print(_t(lang, "platform", platform=name, download=download, scales=listed), markup=False)
    else:
        out.print(_t(lang, "platform_no_scale", platform=name, download=download), markup=False)
    skipped = platform.columns[platform.columns["n_skipped"] > 0]
    if len(skipped):
        out.print(_t(lang, "platform_skipped", n=f"{int(skipped['n_skipped'].sum()):,}", k=len(skipped)), markup=False)
    if platform.sensitive:
        out.print(_t(lang, "platform_sensitive", columns=", ".join(platform.sensitive)), markup=False)


class LangChoice(str, Enum):
    en = "en"
    zh = "zh"


LangOpt = Annotated[Optional[LangChoice], typer.Option("--lang", help="Language of the console output (default: Chinese when the model's labels, or the names in the input, are Chinese).")]


class HtmtChoice(str, Enum):
    signed = "signed"
    absolute = "absolute"


class CorrectionChoice(str, Enum):
    holm = "holm"
    bh = "bh"
    none = "none"


@app.command()
@_guarded
def run(
    responses: ResponsesArg,
    model: ModelOpt,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the tables (CSV), report.xlsx and report.html (created if missing).", show_default=False)],
    sheet: SheetOpt = None,
    engine: Annotated[EngineChoice, typer.Option("--engine", help="pls (PLS path modeling, the ACSI method) or cbsem (covariance-based SEM, maximum likelihood).")] = EngineChoice.pls,
    scheme: Annotated[SchemeChoice, typer.Option("--scheme", help="PLS inner weighting scheme.")] = SchemeChoice.path,
    on_invalid: OnInvalidOpt = OnInvalid.error,
    missing: MissingOpt = MissingChoice.mean,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    fmt: FormatOpt = FormatChoice.auto,
    text_download: Annotated[Optional[Path], typer.Option("--text-download", help="With a 问卷星 numeric download (按选项序号) as RESPONSES: the text download (按选项文本) of the same responses; the codes come from pairing the two.", show_default=False)] = None,
    max_file_mb: MaxFileOpt = None,
    max_uncompressed_mb: MaxUncompressedOpt = None,
    max_compression_ratio: MaxRatioOpt = None,
    max_cells: MaxCellsOpt = None,
    max_columns: MaxColumnsOpt = None,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, help="Maximum iterations of the estimation, for both engines: the PLS algorithm and the CB-SEM optimizer (--engine cbsem).")] = 300,
    resamples: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples for standard errors and intervals (0 turns the bootstrap off).")] = 1000,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of every random step (default: drawn and recorded in run.json, so the run can be repeated).")] = None,
    ci: Annotated[CIChoice, typer.Option("--ci", help="Bootstrap interval: percentile or bca (bias-corrected and accelerated).")] = CIChoice.percentile,
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.999, help="Confidence level of the intervals.")] = 0.95,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes for large bootstraps (-1: all cores).")] = -1,
    segment: Annotated[Optional[list[str]], typer.Option("--segment", help="A column to analyse segments by (repeatable): index, paths and impacts per segment, differences with permutation tests.")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help="A column holding the wave (e.g. 2026-Q1): index per wave and change versus the previous wave.")] = None,
    min_n: Annotated[int, typer.Option("--min-n", min=3, help="Segments and waves with fewer respondents are reported as insufficient sample.")] = 50,
    permutations: Annotated[int, typer.Option("--permutations", min=0, help="Permutations for the tests between segments: omnibus, pairwise differences and MICOM (0: no test).")] = 1000,
    pairwise: Annotated[str, typer.Option("--pairwise", metavar="auto|all|none", help="Pairwise tests and MICOM between segments, after the omnibus test: auto (for at most 10 segments: k segments give k(k-1)/2 pairs), all, or none. A run states their cost when it skips them or they are large.")] = "auto",
    lang: Annotated[Optional[LangChoice], typer.Option("--lang", help="Language of the console output and the reports (default: Chinese when the model's labels are Chinese).")] = None,
    overall_weights: Annotated[Optional[Path], typer.Option("--overall-weights", help="A CSV of construct (id or label) and weight, e.g. the weights.csv of `csi-survey ahp`: an overall index of the run from those construct indices, with its interval (overall_index.csv).", show_default=False)] = None,
    correction: Annotated[CorrectionChoice, typer.Option("--correction", help="Multiplicity correction of the tests across segments: holm (family-wise error), bh (Benjamini–Hochberg false discovery rate) or none.")] = CorrectionChoice.holm,
    htmt: Annotated[HtmtChoice, typer.Option("--htmt", help="HTMT convention: signed correlations (cSEM, the published definition; default) or absolute ones (seminr). Every HTMT table says which.")] = HtmtChoice.signed,
    fit_test: Annotated[int, typer.Option("--fit-test", min=0, help="Bootstrap test of exact model fit (SRMR, d_ULS, d_G against their HI95/HI99) with this many resamples, e.g. 499 (0: no test).")] = 0,
    predict: Annotated[Optional[str], typer.Option("--predict", help="PLSpredict: out-of-sample prediction of the endogenous items with K-fold cross-validation (e.g. 10) or 'loo' (leave one out), against the linear-model benchmark (prediction.csv).", show_default=False)] = None,
    predict_repetitions: Annotated[int, typer.Option("--predict-repetitions", min=1, help="Repetitions of the K-fold split for --predict.")] = 10,
    paired: Annotated[bool, typer.Option("--paired", help="With --wave: respondents with the same id (the spec's id_column) in two waves are a panel; their changes are tested with the paired bootstrap (narrower than the independent-samples test).")] = False,
    scores_format: Annotated[str, typer.Option("--scores-format", metavar="csv|parquet", help="File of the per-respondent scores: csv (scores.csv) or parquet (scores.parquet: typed and compressed, for large runs).")] = "csv",
    docx: Annotated[bool, typer.Option("--docx", help="Also write report.docx, the Word report (in the language of --lang): headline index with its margin of error, interpretation, path diagram, charts and tables.")] = False,
) -> None:
    """Estimate the model on a survey export and write the index, drivers, tables, report.xlsx and report.html (and report.docx with --docx)."""
    from .analysis import AnalysisSettings, analyze, work_plan  # lazy: the estimation stack (numpy, pandas, scipy) loads only for commands that estimate
    from .ingest import read_responses  # lazy: the readers load pandas
    from .overall import read_overall_weights  # lazy: loads pandas
    from .preflight import preflight  # lazy: the engine's checks load numpy and pandas
    from .report.atomic import check_output_folder  # lazy: the report package loads pandas and XlsxWriter
    from .report.run_report import write_run  # lazy: XlsxWriter and Jinja2 load only for commands that write files
    from .schema import load_model  # lazy: the spec model loads numpy and pydantic
    _set_lang(lang.value if lang else "en")  # until the spec is read: then --lang, else from its labels
    if scores_format not in ("csv", "parquet"):
        raise SettingsError(f"--scores-format must be csv or parquet; got {scores_format!r}",
                            hint="pass --scores-format csv (the default) or --scores-format parquet.")
    settings = AnalysisSettings(
        engine=engine.value, scheme=scheme.value, max_iter=max_iter, resamples=resamples, seed=seed, level=level,
        ci=ci.value, n_jobs=jobs, segments=tuple(segment or ()), wave=wave, min_n=min_n, permutations=permutations, pairwise=pairwise,
        lang=lang.value if lang else None, correction=correction.value, paired=paired, htmt=htmt.value,
        fit_test=fit_test, predict=_folds(predict), predict_repetitions=predict_repetitions,
        overall_weights=tuple(read_overall_weights(overall_weights).items()) if overall_weights else (),
    )
    spec = load_model(model)
    say = _set_lang(report_language(spec, lang.value if lang else None))
    inputs = tuple(p for p in (responses, model, text_download, overall_weights) if p is not None)
    check_output_folder(out_dir, inputs=inputs)  # before the long work: never replace a file csi-survey did not write
    data = read_responses(responses, spec, sheet=_sheet(sheet), encoding=encoding, on_invalid=on_invalid.value,
                          missing=missing.value, format=fmt.value, text_download=text_download, header_row=header_row,
                          limits=_limits(max_file_mb, max_uncompressed_mb, max_compression_ratio, max_cells, max_columns))
    _data_summary(data, say)
    preflight(data, engine=settings.engine, segments=settings.segments, wave=settings.wave)  # validate's checks; names a --wave column so
    announced = work_plan(data, settings)  # the cost of long work, stated before it starts
    for note in announced:
        out.print(translate(say, note), markup=False)
    with Progress(err, say) as update:
        result = analyze(data, settings, progress=update)
    written = write_run(result, out_dir, scores_format=scores_format, docx=docx, inputs=inputs)
    fit = result.fit
    _print_results(fit, scheme.value if engine is EngineChoice.pls else None, say)
    if engine is EngineChoice.cbsem:
        _print_fit_measures(fit, say)
    _print_drivers(result, say)
    _print_methods(result, say)
    _print_comparisons(result, say)
    for note in result.notes:
        if note not in announced:
            out.print(translate(say, note), markup=False)
    if result.quality is not None and len(result.quality.flags):
        out.print(_t(say, "quality_flags", n=len(result.quality.flags)), markup=False)
    reports = ["report.xlsx", "report.html"] + (["report.docx"] if docx else [])
    files = _t(say, "list_sep").join(reports[:-1]) + _t(say, "and") + reports[-1]
    out.print(_t(say, "wrote_run", n=len(written), out=out_dir, files=files), markup=False)


@app.command()
@_guarded
def report(
    run_dir: Annotated[Path, typer.Argument(help="The --out folder of an earlier `csi-survey run`.", show_default=False)],
    lang: Annotated[Optional[LangChoice], typer.Option("--lang", help="Language of report.html (default: as in the run).")] = None,
) -> None:
    """Re-render report.xlsx and report.html (and report.docx, when the folder has one) from a previous run's tables, without re-estimating."""
    from .report.run_report import rerender  # lazy: XlsxWriter and Jinja2 load only for commands that write files

    say = _set_lang(lang.value if lang else run_folder_lang(run_dir))  # as the reports: the run's language
    written = rerender(run_dir, lang=lang.value if lang else None)
    out.print(_t(say, "rerendered", files=_t(say, "list_sep").join(p.name for p in written), dir=run_dir), markup=False)


def _folds(value: str | None) -> int | str | None:
    """``--predict``: a number of folds or ``loo``; anything else is one readable error."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("loo", "loocv"):
        return "loo"
    if text.isdigit():
        return int(text)
    raise SettingsError(f"--predict must be a number of folds (e.g. 10) or 'loo'; got {value!r}",
                        hint="pass --predict 10 for 10-fold cross-validation or --predict loo for leave-one-out.")


def _print_methods(result, lang: str = "en") -> None:
    """Model fit, its test, mediation and prediction: one or two lines each (the tables have the rest)."""
    t = result.tables
    sep = _t(lang, "items_sep")
    fit = t.get("model_fit")
    if fit is not None and len(fit):
        m = fit.set_index("measure")
        measures = sep.join(_t(lang, "model_fit_measure", name=name, saturated=_num(m.loc[key, "saturated"], 3),
                               estimated=_num(m.loc[key, "estimated"], 3))
                            for key, name in (("srmr", "SRMR"), ("d_uls", "d_ULS"), ("d_g", "d_G")) if key in m.index)
        out.print(_t(lang, "model_fit", measures=measures), markup=False)
    test = t.get("fit_test")
    if test is not None and len(test):
        names = {"srmr": "SRMR", "d_uls": "d_ULS", "d_g": "d_G"}
        shown = [r for r in test.to_dict("records") if r["measure"] in names]
        rejected = [names[r["measure"]] for r in shown if bool(r.get("reject_95"))]
        tests = sep.join(_t(lang, "fit_test_p", name=names[r["measure"]], p=_num(r["p_value"], 3)) for r in shown)
        verdict = (_t(lang, "fit_test_rejected", measures=_t(lang, "list_sep").join(rejected)) if rejected
                   else _t(lang, "fit_test_not_rejected"))
        out.print(_t(lang, "fit_test", tests=tests, verdict=verdict), markup=False)
    effects = t.get("mediation")
    if effects is not None and len(effects):
        model = result.fit.model
        target = model.index or model.construct_ids[-1]
        rows = effects[effects["target"] == target]
        rows = rows.reindex(rows["total_indirect"].abs().sort_values(ascending=False).index).head(3)
        out.print(_t(lang, "mediation", n=f"{len(t['indirect_effects']):,}"), markup=False)
        for sentence in rows["sentence"]:
            if sentence:
                out.print("  " + str(sentence), markup=False)
    verdict = t.get("prediction_summary")
    if verdict is not None and len(verdict):
        verdicts = sep.join(_t(lang, "prediction_verdict", construct=r["construct"], power=_word(lang, "power", r["predictive_power"]))
                            for r in verdict.to_dict("records"))
        out.print(_t(lang, "prediction", verdicts=verdicts), markup=False)


def _print_drivers(result, lang: str = "en") -> None:
    t = result.tables
    impacts = t.get("impacts")
    if impacts is not None and len(impacts):
        labels = {c: result.fit.model.label(c) for c in result.fit.model.construct_ids}
        table = Table(title=_t(lang, "impacts_title"), title_justify="left")
        for col in ("target", "driver", "impact"):
            table.add_column(_t(lang, f"col_{col}"), justify="right" if col == "impact" else "left")
        for r in impacts.to_dict("records"):
            table.add_row(labels.get(r["target"], r["target"]), labels.get(r["driver"], r["driver"]), _num(r["impact"], 2))
        out.print(table)
    nps = t.get("nps")
    if nps is not None and len(nps):
        r = nps.iloc[0]
        out.print(_t(lang, "nps", nps=f"{r['nps']:.1f}", lower=f"{r['ci_lower']:.1f}", upper=f"{r['ci_upper']:.1f}",
                     n=f"{int(r['n']):,}"), markup=False)
    seg = t.get("segment_index")
    if seg is not None and result.fit.model.index:
        rows = seg[seg["construct"] == result.fit.model.index]
        table = Table(title=_t(lang, "segment_title", label=result.fit.model.label(result.fit.model.index)), title_justify="left")
        for col in ("segment_column", "segment", "index", "interval", "n", "status"):
            table.add_column(_t(lang, f"col_{col}"), justify="right" if col in ("index", "n") else "left")
        shown = rows.head(SEGMENT_ROWS_SHOWN)  # 10,000 stores are read in segment_index.csv, not on the console
        if len(rows) > len(shown):
            table.caption = _t(lang, "more_rows", n=f"{len(rows) - len(shown):,}") + " (segment_index.csv)"
        for r in shown.to_dict("records"):
            segment = _t(lang, "segment_total") if lang != "en" and r["segment"] == "(total)" else str(r["segment"])
            table.add_row(str(r["segment_column"]), segment, _num(r["index"], 1), _interval(r["ci_lower"], r["ci_upper"], 1),
                          f"{int(r['n']):,}" if r["n"] == r["n"] else "–", _status(lang, r["status"]))
        out.print(table)
    changes = t.get("wave_changes")
    if changes is not None and result.fit.model.index:
        for r in changes[changes["construct"] == result.fit.model.index].to_dict("records"):
            p = r.get("p_value")
            if r.get("significant"):
                tail = _t(lang, "wave_p", p=f"{p:.3f}") + (" ▲" if r["change"] > 0 else " ▼")
            else:
                tail = _t(lang, "wave_p", p=f"{p:.3f}") if p == p and p is not None else ""
            if r.get("pairing") == "paired":
                tail += _t(lang, "wave_paired", n=f"{int(r['n_matched']):,}")
            out.print(_t(lang, "wave_change", wave=r["wave"], previous=r["previous_wave"], change=f"{r['change']:+.1f}",
                         interval=_interval(r["ci_lower"], r["ci_upper"], 1), tail=tail), markup=False)
    overall = t.get("overall_index")
    if overall is not None and len(overall):
        r = overall.iloc[0]
        used = t["overall_weights"]
        parts = _t(lang, "list_sep").join(_t(lang, "overall_part", construct=c, share=f"{s:.0%}")
                                          for c, s in zip(used["construct"], used["share"]))
        out.print(_t(lang, "overall_index", parts=parts, index=_num(r["index"], 1),
                     interval=_interval(r["ci_lower"], r["ci_upper"], 1)), markup=False)
    by_segment = t.get("segment_wave_changes")
    if by_segment is not None and result.fit.model.index and len(by_segment):
        rows = by_segment[(by_segment["construct"] == result.fit.model.index) & (by_segment["segment"] != "(total)")]
        significant = rows[rows["significant"]]
        listed = _t(lang, "items_sep").join(
            _t(lang, "segment_change", segment=r["segment"], wave=r["wave"], change=f"{r['change']:+.1f}{' ▲' if r['change'] > 0 else ' ▼'}")
            for r in significant.head(8).to_dict("records"))
        out.print(_t(lang, "segment_changes", significant=f"{len(significant):,}", tested=f"{len(rows):,}",
                     correction=_t(lang, f"correction_{result.settings.correction}"))
                  + (_t(lang, "segment_changes_list", changes=listed) if len(significant) else _t(lang, "sentence_end")), markup=False)


def _print_comparisons(result, lang: str = "en") -> None:
    """One line per segment column: the omnibus test and the adjusted pairwise tests; one line when
    MICOM finds every construct invariant (a construct that is not gets its own line among the notes)."""
    t = result.tables
    omnibus, pairwise, invariance = t.get("segment_omnibus"), t.get("segment_differences"), t.get("micom")
    if omnibus is None or not len(omnibus):
        return
    model = result.fit.model
    correction = _t(lang, f"correction_{result.settings.correction}")

    def name(r) -> str:
        return model.label(r["source"]) if r["statistic"] == "index" else f"{r['source']} → {r['target']}"

    for column, rows in omnibus.groupby("segment_column", sort=False):
        parts = []
        for statistic, key in (("index", "differ_indices"), ("path", "differ_paths")):
            part = rows[rows["statistic"] == statistic]
            hits = part[part["significant"]].sort_values("p_value")
            listed = _t(lang, "items_sep").join(_t(lang, "differ_p", name=name(r), p=f"{r['p_value']:.3f}")
                                                for r in hits.head(4).to_dict("records"))
            more = _t(lang, "differ_more") if len(hits) > 4 else ""
            parts.append(_t(lang, key, hits=len(hits), n=len(part)) + (_t(lang, "differ_listed", listed=listed + more) if listed else ""))
        pairs = pairwise[pairwise["segment_column"] == column] if pairwise is not None else pairwise
        tail = ""
        if pairs is not None and len(pairs):
            n_pairs = len(pairs[["segment_a", "segment_b"]].drop_duplicates())
            tail = _t(lang, "pairwise", significant=int(pairs["significant"].sum()), pairs=n_pairs, correction=correction)
        out.print(_t(lang, "segments_differ", column=column, k=int(rows["segments"].iloc[0]), indices=parts[0], paths=parts[1],
                     pairwise=tail), markup=False)
        checked = invariance[invariance["segment_column"] == column] if invariance is not None else None
        if checked is not None and len(checked) and (checked["invariance"] != "none").all():
            n_pairs = len(checked[["segment_a", "segment_b"]].drop_duplicates())
            out.print(_t(lang, "micom_invariant", column=column, pairs=n_pairs), markup=False)


@app.command()
@_guarded
def compare(
    responses: ResponsesArg,
    model: ModelOpt,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for compare_paths.csv, compare_index.csv, compare_r2.csv and compare.xlsx.", show_default=False)],
    sheet: SheetOpt = None,
    scheme: Annotated[SchemeChoice, typer.Option("--scheme", help="PLS inner weighting scheme.")] = SchemeChoice.path,
    on_invalid: OnInvalidOpt = OnInvalid.error,
    missing: MissingOpt = MissingChoice.mean,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = FormatChoice.auto,
    max_file_mb: MaxFileOpt = None,
    max_uncompressed_mb: MaxUncompressedOpt = None,
    max_compression_ratio: MaxRatioOpt = None,
    max_cells: MaxCellsOpt = None,
    max_columns: MaxColumnsOpt = None,
    lang: LangOpt = None,
) -> None:
    """Fit the spec with both engines (PLS and CB-SEM) and write paths and indices side by side."""
    from .compare import compare_fits  # lazy: the estimation stack (numpy, pandas, scipy) loads only for commands that estimate
    from .engine import PLS  # lazy: the estimation stack (numpy, pandas, scipy) loads only for commands that estimate
    from .engine.cbsem import CBSEM  # lazy: scipy.optimize and scipy.stats load only for commands that estimate
    from .ingest import read_responses  # lazy: the readers load pandas
    from .report.run_report import write_comparison  # lazy: XlsxWriter and Jinja2 load only for commands that write files
    from .schema import load_model  # lazy: the spec model loads numpy and pydantic
    _set_lang(lang.value if lang else "en")
    spec = load_model(model)
    say = _set_lang(report_language(spec, lang.value if lang else None))
    data = read_responses(responses, spec, sheet=_sheet(sheet), encoding=encoding, on_invalid=on_invalid.value,
                          missing=missing.value, format=fmt.value,
                          limits=_limits(max_file_mb, max_uncompressed_mb, max_compression_ratio, max_cells, max_columns))
    _data_summary(data, say)
    comparison = compare_fits(PLS(spec, scheme=scheme.value).fit(data), CBSEM(spec).fit(data))
    written = write_comparison(comparison, out_dir, title=f"{spec.name}: PLS vs CB-SEM", inputs=(responses, model))
    print_compare(out, comparison, say)
    print_written(out, written, out_dir, say)


class PredictTechnique(str, Enum):
    direct = "direct"
    earliest = "earliest"


@app.command()
@_guarded
def predict(
    responses: ResponsesArg,
    model: ModelOpt,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for prediction.csv, prediction_summary.csv, cvpat.csv and prediction.xlsx.", show_default=False)],
    folds: Annotated[str, typer.Option("--folds", help="K-fold cross-validation with K folds (e.g. 10), or 'loo' for leave-one-out.")] = "10",
    repetitions: Annotated[int, typer.Option("--repetitions", min=1, help="Repetitions of the K-fold split (ignored for loo).")] = 10,
    technique: Annotated[PredictTechnique, typer.Option("--technique", help="Predict from the direct antecedents (direct) or the exogenous constructs (earliest).")] = PredictTechnique.direct,
    compare_model: Annotated[Optional[Path], typer.Option("--compare", help="A second spec (same endogenous items) to compare with CVPAT: does one model predict better?", show_default=False)] = None,
    benchmark: Annotated[Optional[str], typer.Option("--benchmark", help="Compare the model with a benchmark by CVPAT: lm (linear regressions) or ia (indicator averages).", show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of the fold assignments (default: drawn and printed).")] = None,
    sheet: SheetOpt = None,
    on_invalid: OnInvalidOpt = OnInvalid.error,
    missing: MissingOpt = MissingChoice.mean,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = FormatChoice.auto,
    lang: LangOpt = None,
) -> None:
    """Out-of-sample prediction (PLSpredict) of the endogenous items against the linear-model benchmark, and CVPAT to compare two models."""
    import pandas as pd

    from .engine import PLS  # lazy: the estimation stack (numpy, pandas, scipy) loads only for commands that estimate
    from .ingest import read_responses  # lazy: the readers load pandas
    from .predict import cvpat, plspredict  # lazy: only this command predicts
    from .report.run_report import write_prediction  # lazy: XlsxWriter loads only for commands that write files
    from .schema import load_model  # lazy: the spec model loads numpy and pydantic

    if compare_model is not None and benchmark is not None:
        raise SettingsError("--compare and --benchmark are alternatives", hint="compare the model with a second spec or with a benchmark, not both.")
    if benchmark is not None and benchmark not in ("lm", "ia"):
        raise SettingsError(f"--benchmark must be lm or ia; got {benchmark!r}", hint="pass --benchmark lm or --benchmark ia.")
    _set_lang(lang.value if lang else "en")
    k = _folds(folds)
    spec = load_model(model)
    say = _set_lang(report_language(spec, lang.value if lang else None))
    read = dict(sheet=_sheet(sheet), encoding=encoding, on_invalid=on_invalid.value, missing=missing.value, format=fmt.value)
    data = read_responses(responses, spec, **read)
    _data_summary(data, say)
    seed = check_seed(seed)
    result = plspredict(PLS(spec), data, folds=None if k == "loo" else k, repetitions=repetitions,
                        technique=technique.value, seed=seed)
    comparison = None
    if compare_model is not None or benchmark is not None:
        other = benchmark
        both = data
        if compare_model is not None:
            spec_b = load_model(compare_model)
            data_b = read_responses(responses, spec_b, **read)
            if list(map(int, data_b.row)) != list(map(int, data.row)):
                raise SettingsError(
                    f"the two specs keep different respondents ({data.n_used:,} and {data_b.n_used:,} used)",
                    hint="compare specs whose items are answered by the same respondents, e.g. with --missing mean.")
            extra = [c for c in data_b.items.columns if c not in data.items.columns]
            both = pd.concat([data.items, data_b.items[extra]], axis=1)
            other = PLS(spec_b)
        comparison = cvpat(PLS(spec), other, both, folds=None if k == "loo" else k, repetitions=repetitions,
                           technique=technique.value, seed=seed)
    written = write_prediction(result, comparison, out_dir, title=f"{spec.name}: out-of-sample prediction", lang=say,
                               inputs=tuple(p for p in (responses, model, compare_model) if p is not None))
    print_predict(out, result, comparison, (k, repetitions, technique.value, seed), say)
    print_written(out, written, out_dir, say)


@app.command()
@_guarded
def batch(
    config: Annotated[Path, typer.Argument(help="The batch config (YAML): model, waves, segments, min_n, bootstrap, out, store …; paths relative to it.", show_default=False)],
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Run on a Dask cluster (tcp://HOST:PORT; needs `pip install 'csi-survey\\[dask]'`). Default: the config's dask:, else local processes.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Local worker processes (default: all cores; 1: everything in this process).")] = None,
    reports: Annotated[Optional[bool], typer.Option("--reports/--no-reports", help="Write report.xlsx, report.html and report.docx into every segment folder (default: the config's reports:).")] = None,
) -> None:
    """Estimate every wave × segment of a batch config: tables per segment, index_history.csv, an overview report and the history store.

    Resumable: run it again after an interruption and only the unfinished segments are computed. Exit code 0 when every segment was estimated or skipped for its sample size; 1 when a segment or a wave failed, the history store could not be written or the config is invalid.
    """
    from .batch import load_config, run_batch  # lazy: SQLAlchemy loads only for the batch command
    from .schema import load_model  # lazy: the spec model loads numpy and pydantic

    loaded = load_config(config)
    say = _set_lang(report_language(load_model(loaded.model_path), loaded.lang))  # the config's lang:, else the labels
    result = None
    try:
        with BatchBar(err, say) as update:
            result = run_batch(loaded, scheduler=scheduler, workers=workers, reports=reports, progress=update)
    except KeyboardInterrupt:
        pass
    if result is None:
        err.print(_t(say, "batch_interrupted"), markup=False)
        raise typer.Exit(130)
    print_batch(out, result, say)
    if not result.ok:
        raise typer.Exit(EXIT_ERROR)


@app.command()
@_guarded
def validate(
    responses: ResponsesArg,
    model: ModelOpt,
    sheet: SheetOpt = None,
    on_invalid: OnInvalidOpt = OnInvalid.error,
    missing: MissingOpt = MissingChoice.mean,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    fmt: FormatOpt = FormatChoice.auto,
    max_file_mb: MaxFileOpt = None,
    max_uncompressed_mb: MaxUncompressedOpt = None,
    max_compression_ratio: MaxRatioOpt = None,
    max_cells: MaxCellsOpt = None,
    max_columns: MaxColumnsOpt = None,
) -> None:
    """Check the spec and the export (columns, codes, ranges) without estimating anything."""
    from .ingest import read_responses  # lazy: the readers load pandas
    from .schema import load_model  # lazy: the spec model loads numpy and pydantic

    from .preflight import preflight  # lazy: the engine's checks load numpy and pandas

    spec = load_model(model)
    say = _set_lang(report_language(spec, None))  # validate has no --lang: from the labels, as the reports
    data = read_responses(responses, spec, sheet=_sheet(sheet), encoding=encoding, on_invalid=on_invalid.value,
                          missing=missing.value, format=fmt.value, header_row=header_row,
                          limits=_limits(max_file_mb, max_uncompressed_mb, max_compression_ratio, max_cells, max_columns))
    preflight(data)  # every check run makes before estimating (preflight.py): a refusal exits 1 with run's message
    # "valid" only once everything passed (the spec's "— valid." line used to precede a data error and exit 1)
    out.print(_t(say, "model_valid", name=spec.name, constructs=len(spec.constructs), items=len(spec.item_ids),
                 paths=len(spec.paths)), markup=False)
    _data_summary(data, say)
    out.print(_t(say, "responses_valid"), markup=False)


OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the CSV tables (created if missing).", show_default=False)]


@app.command()
@_guarded
def scorecard(
    config: Annotated[Path, typer.Argument(help="The scorecard config (YAML): indicators, mystery-shopper checklist, complaint deductions, roster.", show_default=False)],
    out_dir: OutDirOpt,
    lang: LangOpt = None,
) -> None:
    """Composite evaluation scorecard: staff, store and manager scores and the ranking per period."""
    from .report import write_scorecard  # lazy: XlsxWriter and Jinja2 load only for commands that write files
    from .methods import load_scorecard_config, scorecard as run_scorecard  # lazy: the method modules load only for their own commands

    _set_lang(lang.value if lang else "en")
    result = run_scorecard(load_scorecard_config(config))
    ranking = result.ranking
    say = _set_lang(auto_lang(lang, ranking, result.managers))
    for period in result.periods:
        rows = ranking[ranking["period"] == period] if "period" in ranking.columns else ranking
        if "level" in rows.columns:  # the store ranking here; staff and managers are in ranking.csv
            rows = rows[rows["level"] == "store"]
        print_frame(out, _t(say, "store_ranking", period=period), rows.drop(columns=[c for c in ("period", "level") if c in rows.columns]),
                    say, digits=2)
    print_frame(out, _t(say, "managers"), result.managers, say, digits=2)
    print_written(out, write_scorecard(result, out_dir), out_dir, say)


@app.command()
@_guarded
def ahp(
    file: Annotated[Path, typer.Argument(help="Pairwise-comparison matrices: YAML (criteria + matrix, optional children) or a sheet.", show_default=False)],
    out_dir: OutDirOpt,
    sheet: SheetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Use the weights even when a consistency ratio exceeds 0.10.")] = False,
    lang: LangOpt = None,
) -> None:
    """AHP weights from pairwise comparisons, with λmax, CI and the consistency ratio (CR ≤ 0.10)."""
    from .report import write_ahp  # lazy: XlsxWriter and Jinja2 load only for commands that write files
    from .methods import ahp as run_ahp  # lazy: the method modules load only for their own commands

    _set_lang(lang.value if lang else "en")
    result = run_ahp(file, sheet=_sheet(sheet), allow_inconsistent=force)
    say = _set_lang(auto_lang(lang, result.weights))
    print_frame(out, _t(say, "weights"), result.weights, say, digits=3)
    print_frame(out, _t(say, "consistency"), result.consistency, say, digits=3, headers={"n": "col_matrix_order"})
    for note in result.notes:
        label = _prefix(say, "warning")
        err.print(f"[yellow]{label.rstrip()}[/yellow]{label[len(label.rstrip()):]}", end="", markup=True)
        err.print(translate(say, note), markup=False, soft_wrap=True)
    print_written(out, write_ahp(result, out_dir), out_dir, say)


@app.command()
@_guarded
def kano(
    responses: ResponsesArg,
    spec: Annotated[Path, typer.Option("--spec", help="The KANO spec (YAML): each feature's functional and dysfunctional column.", show_default=False)],
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for kano_features.csv, kano_shares.csv and kano_pairs.csv.")] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    lang: LangOpt = None,
) -> None:
    """KANO classification: evaluation table per feature, category shares, Better/Worse (Berger et al. 1993)."""
    from .ingest import read_table  # lazy: the readers load pandas
    from .report import write_kano  # lazy: XlsxWriter and Jinja2 load only for commands that write files
    from .methods import kano as run_kano, load_kano_spec  # lazy: the method modules load only for their own commands

    _set_lang(lang.value if lang else "en")
    result = run_kano(read_table(responses, sheet=_sheet(sheet), encoding=encoding), load_kano_spec(spec))
    say = _set_lang(auto_lang(lang, result.features))
    print_summary(out, result, say)
    if out_dir is not None:
        print_written(out, write_kano(result, out_dir), out_dir, say)


@app.command()
@_guarded
def plan(
    margin: Annotated[Optional[float], typer.Option("--margin", help="Target margin of error of the 0–100 index (points).")] = None,
    sd: Annotated[Optional[float], typer.Option("--sd", help="Standard deviation of respondent scores on 0–100 (default 20, or from --pilot).")] = None,
    nps_margin: Annotated[Optional[float], typer.Option("--nps-margin", help="Target margin of error of NPS (points).")] = None,
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.999, help="Confidence level.")] = 0.95,
    population: Annotated[Optional[int], typer.Option("--population", min=1, help="Population size N (finite-population correction).")] = None,
    n: Annotated[Optional[int], typer.Option("--n", min=1, help="Allocate this sample size instead of the computed one.")] = None,
    pilot: Annotated[Optional[Path], typer.Option("--pilot", help="A pilot survey file: --pilot-column (0–100 scores) and/or --nps-column (0–10).")] = None,
    pilot_column: Annotated[Optional[str], typer.Option("--pilot-column", help="The pilot's 0–100 score column (gives the sd).")] = None,
    nps_column: Annotated[Optional[str], typer.Option("--nps-column", help="The pilot's 0–10 recommend column (gives the NPS variance).")] = None,
    frame: Annotated[Optional[Path], typer.Option("--frame", help="The sampling frame (one row per customer) with --stratum-column: proportional allocation.")] = None,
    quota: Annotated[Optional[list[str]], typer.Option("--quota", help="A quota cell and its share, LABEL=SHARE (repeatable): quota allocation.")] = None,
    stratum_column: Annotated[Optional[str], typer.Option("--stratum-column", help="The stratum column of --frame and --achieved.")] = None,
    minimum: Annotated[int, typer.Option("--minimum", min=0, help="At least this many interviews per stratum.")] = 0,
    achieved: Annotated[Optional[Path], typer.Option("--achieved", help="Responses after fieldwork: achieved vs planned per stratum.")] = None,
    tolerance: Annotated[int, typer.Option("--tolerance", min=0, help="Interviews short or over that still count as met.")] = 0,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for sample_size.csv, allocation.csv and fieldwork.csv.")] = None,
    lang: LangOpt = None,
) -> None:
    """Sampling plan: sample size for a margin of error (index, NPS), allocation across strata, fieldwork check."""
    from .ingest import read_table  # lazy: the readers load pandas
    from .methods import fieldwork_status, pilot_values, sampling_plan, stratum_sizes  # lazy: the method modules load only for their own commands
    from .report import write_plan  # lazy: XlsxWriter and Jinja2 load only for commands that write files

    _set_lang(lang.value if lang else "en")
    pilot_scores = nps_pilot = None
    if pilot is not None:
        table = read_table(pilot)
        pilot_scores = pilot_values(table, pilot_column) if pilot_column else None
        nps_pilot = pilot_values(table, nps_column) if nps_column else None
    strata = quotas = None
    if frame is not None:
        if not stratum_column:
            raise SettingsError("--frame needs --stratum-column (the column that names each customer's stratum)")
        strata = stratum_sizes(read_table(frame), stratum_column)
    if quota:
        quotas = {}
        for entry in quota:
            label, sep, share = entry.partition("=")
            try:
                quotas[label.strip()] = float(share)
            except ValueError:
                raise SettingsError(f"--quota must be LABEL=SHARE (e.g. chainA=0.95); got {entry!r}") from None
            if not sep:
                raise SettingsError(f"--quota must be LABEL=SHARE (e.g. chainA=0.95); got {entry!r}")
    result = sampling_plan(margin, sd=sd, pilot=pilot_scores, nps_margin=nps_margin, nps_pilot=nps_pilot, level=level,
                           population=population, strata=strata, quotas=quotas, minimum=minimum, n=n)
    say = _set_lang(auto_lang(lang, result.allocation, *(quota or ())))
    print_summary(out, result, say)
    status = None
    if achieved is not None:
        if not stratum_column:
            raise SettingsError("--achieved needs --stratum-column (the column that names each respondent's stratum)")
        status = fieldwork_status(read_table(achieved), result.allocation, stratum_column, tolerance=tolerance)
        print_frame(out, _t(say, "fieldwork"), status, say, digits=2, words={"status": "fieldwork"})
    if out_dir is not None:
        print_written(out, write_plan(result, out_dir, fieldwork=status), out_dir, say)


@app.command()
@_guarded
def retention(
    activity: Annotated[Path, typer.Argument(help="Customer activity: one row per customer and period in which the customer was active.", show_default=False)],
    customer: Annotated[str, typer.Option("--customer", help="The customer id column.")] = "customer_id",
    period: Annotated[str, typer.Option("--period", help="The period column (e.g. 2026-Q1; sorted naturally).")] = "period",
    k: Annotated[int, typer.Option("--k", min=1, help="Loyalty: active in every one of the last k periods.")] = 3,
    sheet: SheetOpt = None,
    care: Annotated[Optional[Path], typer.Option("--care", help="Before/after satisfaction of customers reached or not by a care programme.")] = None,
    reached: Annotated[str, typer.Option("--reached", help="The care file's column saying whether the customer was reached.")] = "reached",
    before: Annotated[str, typer.Option("--before", help="The care file's satisfaction-before column.")] = "before",
    after: Annotated[str, typer.Option("--after", help="The care file's satisfaction-after column.")] = "after",
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.999, help="Confidence level of the care effect's interval.")] = 0.95,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for retention.csv and the care-effect tables.")] = None,
    lang: LangOpt = None,
) -> None:
    """Retention, churn and k-period loyalty per period; the care programme's effect on satisfaction."""
    from .ingest import read_table  # lazy: the readers load pandas
    from .methods import care_effect, retention_rates  # lazy: the method modules load only for their own commands
    from .report import write_retention  # lazy: XlsxWriter and Jinja2 load only for commands that write files

    _set_lang(lang.value if lang else "en")
    rates = retention_rates(read_table(activity, sheet=_sheet(sheet)), customer=customer, period=period, k=k)
    say = _set_lang(auto_lang(lang, rates, customer, period, *((reached, before, after) if care is not None else ())))
    print_frame(out, _t(say, "retention_title"), rates, say, digits=3)
    effect = None
    if care is not None:
        effect = care_effect(read_table(care), reached=reached, before=before, after=after, level=level)
        print_summary(out, effect, say)
    if out_dir is not None:
        print_written(out, write_retention(out_dir, rates=rates, care=effect), out_dir, say)


@app.command()
@_guarded
def template(
    name: Annotated[Optional[TemplateChoice], typer.Argument(help="acsi (Fornell et al. 1996), ecsi (adds image) or ccsi (GB/T 19038 中国顾客满意指数: 品牌形象, no complaints).", show_default=False)] = None,
    export: Annotated[Optional[Path], typer.Option("--from", help="Draft a spec from a survey export instead (e.g. a 问卷星 download): items, question texts, scales and suggested constructs to confirm.", show_default=False)] = None,
    fmt: FormatOpt = FormatChoice.auto,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="With --from: write the draft to this file (not overwritten) instead of printing it.", show_default=False)] = None,
    lang: LangOpt = None,
) -> None:
    """Print a built-in model spec as YAML, or draft one from an export with --from (redirect it to a file and edit it)."""
    _set_lang(lang.value if lang else "en")
    if (name is None) == (export is None):
        raise SettingsError("give either a template NAME or --from EXPORT, not both" if name else "give a template NAME or --from EXPORT",
                            hint="csi-survey template acsi, or csi-survey template --from answers.xlsx --out spec.yaml.")
    if name is not None:
        if out is not None:
            raise SettingsError("--out is for --from drafts", hint="redirect the template instead: csi-survey template acsi > spec.yaml.")
        from .config import template_yaml  # lazy: only this command prints a template (config loads PyYAML)

        sys.stdout.write(template_yaml(name.value))
        return
    from .ingest import read_table  # lazy: the readers load pandas
    from .spec_draft import draft_spec  # lazy: loads pandas and the scale catalogue

    if out is not None and out.exists():
        raise SettingsError(f"{out} exists: the draft would overwrite it", hint="choose another --out file, or delete that one first.")
    raw = read_table(export, sheet=_sheet(sheet), encoding=encoding, format=fmt.value)
    say = _set_lang(auto_lang(lang, " ".join(map(str, raw.frame.columns)), " ".join(map(str, (raw.question_text or {}).values()))))
    draft = draft_spec(raw)
    if out is None:
        sys.stdout.write(draft)
        return
    out.write_text(draft, encoding="utf-8")
    err.print(_t(say, "draft_written", out=out, export=export), markup=False)


def _version(value: bool) -> None:
    if value:
        out.print(f"csi-survey {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """csi-survey: ACSI-style satisfaction index and drivers from survey exports."""


def main(argv: list[str] | None = None) -> None:
    """Run the typer app on ``argv`` (default ``sys.argv[1:]``); the console script enters through
    :func:`csi_survey.__main__.main`."""
    app(argv)


if __name__ == "__main__":
    main()


def cli_reference() -> str:
    """The command-line reference as Markdown, generated from this typer app (docs/cli.md)."""
    import typer.cli

    command = typer.main.get_command(app)
    text = typer.cli.get_docs_for_click(obj=command, ctx=typer.Context(command), name="csi-survey",
                                        title="Command-line reference")
    return text.rstrip() + "\n"
