"""What the command line prints for its secondary commands, in English or Chinese.

The printing helpers of :mod:`csi_survey.cli` that do not need typer: the progress bars of ``run``
and ``batch`` (their stage names), the batch summary, the tables of ``compare`` and ``predict``,
the tables and closing lines of the method commands (``scorecard``, ``ahp``, ``kano``, ``plan``,
``retention``). Every fixed text comes from the ``"cli"`` catalogue of :mod:`csi_survey.i18n`
(:data:`~csi_survey.i18n.CLI_TEXTS`); the English entries reproduce the earlier output verbatim.
The rich consoles are passed in by the CLI (``out`` for stdout, ``err`` for stderr).

Light on purpose: imports rich and the catalogue only (numpy and pandas load with the commands).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table

from .display import clean_text
from .i18n import detect_lang, has_chinese, text as _text, translate


class CleanConsole(Console):
    """A rich console that never prints a raw control character from the input: an ESC sequence in a
    label or an id would drive the user's terminal. Text becomes U+FFFD where the output files have
    it too (:func:`csi_survey.display.clean_text`); rich's own styling is untouched."""

    def render_str(self, text: str, **kwargs: Any):  # noqa: D102 - rich's hook for every printed text
        return super().render_str(clean_text(text), **kwargs)

__all__ = [
    "STAGES", "t", "message", "stage_name", "auto_lang", "run_folder_lang", "num", "interval", "status_text", "Progress", "BatchBar",
    "print_batch", "print_frame", "print_written", "print_compare", "print_predict", "cvpat_line",
    "print_summary",
]

#: Every stage the library reports through ``progress(stage, done, total)`` (analysis.analyze),
#: each with its catalogue key ``stage_<name>`` (spaces as underscores).
STAGES = ("bootstrap", "fit test", "prediction", "segments", "permutations", "waves", "segment waves",
          "paired waves", "segment fits", "omnibus", "micom")


def t(lang: str, key: str, **fields: Any) -> str:
    """A fixed text of the console output in ``lang`` (the ``"cli"`` catalogue)."""
    return _text(lang, key, "cli", **fields)


def stage_name(lang: str, stage: str) -> str:
    """The name shown on the progress bar for a library stage (the stage itself when unknown)."""
    key = "stage_" + stage.replace(" ", "_")
    found = t(lang, key)
    return stage if found == key else found


def auto_lang(lang: Any, *texts: Any) -> str:
    """``--lang`` when given, else Chinese when any of ``texts`` (names from the user's files: text,
    or a DataFrame, whose column names and first 200 rows of text are looked at) has a Chinese
    character, else English — the rule of :func:`csi_survey.i18n.report_language`."""
    if lang:
        return getattr(lang, "value", lang)
    for x in texts:
        if hasattr(x, "columns"):
            cells = [str(c) for c in x.columns] + [str(v) for c in x.columns if x[c].dtype == object or str(x[c].dtype).startswith(("str", "string"))
                                                   for v in x[c].head(200).tolist()]
            if any(has_chinese(v) for v in cells):
                return "zh"
        elif x is not None and has_chinese(x):
            return "zh"
    return "en"


def run_folder_lang(run_dir: Any) -> str:
    """The language of a run folder's reports (:func:`csi_survey.i18n.detect_lang` on its
    ``run.json``: the recorded ``lang``, else Chinese when a construct label is Chinese); "en"
    when the file cannot be read (the command then fails with the reader's message)."""
    import json
    from types import SimpleNamespace

    try:
        meta = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "en"
    return detect_lang(SimpleNamespace(meta=meta if isinstance(meta, dict) else {}))


def num(value: float, digits: int) -> str:
    return "–" if value != value else f"{value:.{digits}f}"


def interval(lo: float, hi: float, digits: int) -> str:
    return "–" if lo != lo else f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def _join(lang: str, names: list[str]) -> str:
    """``a, b and c`` (``a、b 和 c``)."""
    if len(names) < 2:
        return "".join(names)
    return t(lang, "list_sep").join(names[:-1]) + t(lang, "and") + names[-1]


def status_text(lang: str, status: Any) -> str:
    """A segment's status (``estimated``, ``insufficient sample (n = 35 < 50)``, ``failed: …``) in ``lang``."""
    text = str(status)
    if lang == "en":
        return text
    if text == "estimated":
        return t(lang, "status_estimated")
    short = re.fullmatch(r"insufficient sample \(n = ([\d,]+) < ([\d,]+)\)", text)
    if short:
        return t(lang, "status_insufficient", n=short[1], min_n=short[2])
    if text.startswith("failed: "):
        reason = text[len("failed: "):]
        if reason.startswith("cannot read the wave: "):
            reason = t(lang, "wave_unreadable", reason=message(lang, reason[len("cannot read the wave: "):]))
        return t(lang, "status_failed", reason=message(lang, reason))
    return text


def message(lang: str, text: str) -> str:
    """A library message (perhaps ending in a ``How to fix: …`` line) in ``lang``: the message and
    the hint each through :func:`csi_survey.i18n.translate` (what is not catalogued stays English),
    the hint's label from the catalogue."""
    if lang == "en":
        return text
    english = "\n" + t("en", "how_to_fix")
    body, found, hint = str(text).partition(english)
    body = translate(lang, body)
    return body + ("\n" + t(lang, "how_to_fix") + translate(lang, hint) if found else "")


# ================================================================================ progress bars
class Progress:
    """A rich progress bar on ``console`` (stderr) for the long stages of ``run`` (nothing when it is
    not a terminal); the stage names in ``lang``."""

    def __init__(self, console: Any, lang: str = "en") -> None:
        self.console, self.lang = console, lang

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn  # only while estimating

        self.bar = Bar(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=self.console, transient=True, disable=not self.console.is_terminal)
        self.bar.__enter__()
        self.tasks: dict[str, int] = {}
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage_name(self.lang, stage), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


def batch_counts(lang: str, p: Any) -> str:
    """The counts on the batch's bar: ``12 done, 2 failed, 2 skipped (3 from an earlier run)``."""
    counts = t(lang, "batch_counts", estimated=f"{p.estimated:,}", failed=f"{p.failed:,}", skipped=f"{p.skipped:,}")
    return counts + (t(lang, "batch_counts_reused", reused=f"{p.reused:,}") if p.reused else "")


class BatchBar:
    """The batch's bar over wave × segment tasks with done / failed / skipped counts (stderr, terminals only)."""

    def __init__(self, console: Any, lang: str = "en") -> None:
        self.console, self.lang = console, lang

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn  # only while estimating

        self.bar = Bar(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[counts]}"), TimeRemainingColumn(),
                       console=self.console, transient=True, disable=not self.console.is_terminal)
        self.bar.__enter__()
        self.task = None
        return self.update

    def update(self, p: Any) -> None:
        counts = batch_counts(self.lang, p)
        if self.task is None:
            self.task = self.bar.add_task(t(self.lang, "batch_bar"), total=p.total, counts=counts)
        self.bar.update(self.task, completed=p.done, total=p.total, counts=counts)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


# ================================================================================ batch
def batch_headline(lang: str, result: Any) -> str:
    """The first line of ``csi-survey batch``: waves read and failed (when a wave failed), then the
    wave × segment counts over the waves read. Every count is a count of what it names: a wave that
    could not be read is a failed wave, not a segment."""
    waves = len(result.manifest["waves"])
    failed_waves = len(result.wave_errors)
    head = t(lang, "batch_head")
    if failed_waves:
        head += t(lang, "batch_waves", waves=f"{waves:,}", read=f"{waves - failed_waves:,}", failed=f"{failed_waves:,}")
    return head + t(lang, "batch_segments", total=f"{result.total:,}", waves=f"{waves - failed_waves:,}",
                    estimated=f"{result.estimated:,}", failed=f"{result.failed:,}", skipped=f"{result.skipped:,}",
                    computed=f"{result.computed:,}", reused=f"{result.reused:,}", backend=result.backend,
                    seconds=f"{result.seconds:,.1f}")


def _print_changes(out: Any, result: Any, lang: str) -> None:
    """The significant changes of the last wave (after the multiplicity correction), largest first."""
    history = result.history
    tested = history[history["change_p_adjusted"].notna()]
    if tested.empty:
        return
    settings = result.manifest["config"]["settings"]
    correction = t(lang, f"correction_{settings.get('correction', 'holm')}")
    level = settings.get("bootstrap", {}).get("level", 0.95)
    last = tested[tested["wave"] == tested["wave"].iloc[-1]]
    significant = last[last["change_significant"]]
    out.print(t(lang, "batch_changes", wave=last["wave"].iloc[0], significant=f"{len(significant):,}", tested=f"{len(last):,}",
                level=f"{level:.0%}", correction=correction), markup=False)
    if len(significant):
        table = Table(title_justify="left")
        for col in ("segment", "construct", "change", "interval", "p_adjusted"):
            table.add_column(t(lang, f"col_{col}"), justify="left" if col in ("segment", "construct") else "right")
        shown = significant.reindex(significant["change"].abs().sort_values(ascending=False).index).head(10)
        for r in shown.to_dict("records"):
            arrow = "▲" if r["change"] > 0 else "▼"
            table.add_row(str(r["segment"]), str(r["construct"]), f"{r['change']:+.1f} {arrow}",
                          f"[{r['change_ci_lower']:+.1f}, {r['change_ci_upper']:+.1f}]", f"{r['change_p_adjusted']:.3f}")
        out.print(table)
        if len(significant) > 10:
            out.print(t(lang, "and_more", n=f"{len(significant) - 10:,}"), markup=False)


def print_batch(out: Any, result: Any, lang: str = "en") -> None:
    """Everything ``csi-survey batch`` prints after the run."""
    out.print(batch_headline(lang, result), markup=False)
    for wave, error in result.wave_errors.items():
        out.print(t(lang, "batch_wave_error", wave=wave, error=message(lang, str(error))), markup=False)
    failures = result.failures
    if len(failures):
        table = Table(title=t(lang, "batch_failed_title"), title_justify="left")
        for col in ("wave", "segment", "n", "status"):
            table.add_column(t(lang, f"col_{col}"), justify="right" if col == "n" else "left")
        for r in failures.head(20).to_dict("records"):
            segment = t(lang, "segment_total") if lang != "en" and r["segment"] == "(total)" else str(r["segment"])
            table.add_row(str(r["wave"]), segment, f"{int(r['n']):,}", status_text(lang, r["status"]))
        out.print(table)
        if len(failures) > 20:
            out.print(t(lang, "batch_more_failed", n=f"{len(failures) - 20:,}"), markup=False)
    _print_changes(out, result, lang)
    if result.store_url is not None:
        waves = t(lang, "list_sep").join(result.store_waves) or t(lang, "none")
        if result.store_error:
            out.print(t(lang, "store_not_written", url=result.store_url, error=message(lang, str(result.store_error)),
                        waves=waves), markup=False)
        else:
            out.print(t(lang, "store_written", url=result.store_url, waves=waves), markup=False)
    if result.rollup is not None and len(result.rollup):
        r = result.rollup
        last = r[r["wave"] == r["wave"].iloc[-1]]
        tops = last[last["parent"].fillna("").astype(str) == ""]
        for row in tops[tops["construct"] == result.index_construct].to_dict("records"):
            out.print(t(lang, "rollup", node=row["node"], construct=row["construct"], wave=row["wave"], index=num(row["index"], 1),
                        interval=interval(row["ci_lower"], row["ci_upper"], 1), estimated=int(row["members_estimated"]),
                        members=int(row["members"])), markup=False)
    out.print(t(lang, "batch_wrote", files=_join(lang, [p.name for p in result.written]), out=result.out), markup=False)


# ================================================================================ tables of the other commands
def _word(lang: str, prefix: str, value: Any) -> str:
    """The catalogue word ``<prefix>_<value>`` (a KANO category, a group …), else the value."""
    key = f"{prefix}_{value}"
    found = t(lang, key)
    return str(value) if found == key else found


def print_frame(out: Any, title: str, frame: Any, lang: str = "en", digits: int = 3, max_rows: int = 40,
                words: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
    """A DataFrame as a rich table (numbers rounded for reading; the CSV keeps full precision). In
    Chinese the column names the catalogue knows (``col_<name>``, or the key ``headers`` gives for a
    column) are shown in Chinese, and so are the values of the columns in ``words`` (column →
    catalogue prefix: ``kano_must_be`` …)."""
    import pandas as pd

    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        header = str(col)
        if lang != "en":
            key = (headers or {}).get(str(col), f"col_{col}")
            found = t(lang, key)
            header = header if found == key else found
        table.add_column(header, justify="right" if numeric else "left")
    coded = [(words or {}).get(str(c)) if lang != "en" else None for c in frame.columns]
    for row in frame.head(max_rows).itertuples(index=False):
        cells = []
        for value, prefix in zip(row, coded):
            if isinstance(value, float):
                cells.append("–" if value != value else f"{value:.{digits}f}")
            elif isinstance(value, bool) and lang != "en":
                cells.append(t(lang, "yes" if value else "no"))
            else:
                cells.append(_word(lang, prefix, value) if prefix else str(value))
        table.add_row(*cells)
    out.print(table)
    if len(frame) > max_rows:
        out.print(t(lang, "more_rows", n=len(frame) - max_rows), markup=False)


def print_written(out: Any, paths: Iterable[Any], out_dir: Any, lang: str = "en") -> None:
    """``Wrote 3 files to out: a.csv, b.csv, c.xlsx``."""
    names = [Path(p).name for p in paths]
    out.print(t(lang, "wrote_files", n=len(names), out=out_dir, files=t(lang, "list_sep").join(names)), markup=False)


def print_compare(out: Any, comparison: Any, lang: str = "en") -> None:
    """The two tables of ``csi-survey compare``: paths and indices of both engines side by side."""
    a, b = comparison.names
    for title, table, keys, digits in (
        (t(lang, "compare_paths_title"), comparison.paths, ["source", "target"], 3),
        (t(lang, "compare_index_title"), comparison.index, ["construct", "label"], 1),
    ):
        shown = Table(title=title, title_justify="left")
        for col in [*keys, a, b, "difference"]:
            shown.add_column(t(lang, f"col_{col}") if col in (*keys, "difference") else col,
                             justify="left" if col in keys else "right")
        for r in table.to_dict("records"):
            shown.add_row(*[str(r[k]) for k in keys], num(r[a], digits), num(r[b], digits), num(r["difference"], digits))
        out.print(shown)


def cvpat_line(lang: str, comparison: Any, alpha: float = 0.05) -> str:
    """The CVPAT conclusion (:meth:`csi_survey.predict.CVPATResult.conclusion`) in ``lang``."""
    if lang == "en":
        return "CVPAT: " + comparison.conclusion(alpha)
    row = comparison.overall
    p = f"{row['p_value']:.3g}"
    if not (row["p_value"] < alpha):
        return t(lang, "cvpat_same", a=comparison.model_a, b=comparison.model_b, p=p)
    better = comparison.model_a if row["difference"] < 0 else comparison.model_b
    return t(lang, "cvpat_better", better=better, p=p)


def print_predict(out: Any, result: Any, comparison: Any, design: tuple, lang: str = "en") -> None:
    """The item table, one verdict per construct and the CVPAT line of ``csi-survey predict``.
    ``design`` is ``(folds or "loo", repetitions, technique, seed)``."""
    k, repetitions, technique, seed = design
    shown = t(lang, "design_loo") if k == "loo" else t(lang, "design_kfold", k=k, r=repetitions)
    table = Table(title=t(lang, "predict_title", design=shown, technique=t(lang, f"technique_{technique}"), seed=seed),
                  title_justify="left")
    for col in ("construct", "item", "pls_rmse", "lm_rmse", "q2_predict"):
        table.add_column(t(lang, f"col_{col}"), justify="left" if col in ("construct", "item") else "right")
    for r in result.items.to_dict("records"):
        table.add_row(str(r["construct"]), str(r["item"]), num(r["pls_rmse"], 3), num(r["lm_rmse"], 3), num(r["q2_predict"], 3))
    out.print(table)
    items = result.items
    for r in result.verdict.to_dict("records"):
        if lang == "en":
            out.print(f"{r['construct']}: {r['verdict']}", markup=False)
            continue
        block = items[items["construct"] == r["construct"]]
        bad = [str(i) for i in block.loc[~(block["q2_predict"] > 0), "item"]]
        line = t(lang, "predict_verdict", construct=r["construct"], power=t(lang, f"power_{r['predictive_power']}"),
                 better=int(r["pls_better"]), items=int(r["items"]))
        if bad:
            line += t(lang, "predict_q2_bad", items=t(lang, "list_sep").join(bad))
        out.print(line + t(lang, "sentence_end"), markup=False)
    if comparison is not None:
        out.print(cvpat_line(lang, comparison), markup=False)


# ================================================================================ the method commands' summaries
def print_summary(out: Any, result: Any, lang: str = "en") -> None:
    """The summary of a method result (KANO, sampling plan, care effect). English: the library's
    :class:`~csi_survey.results.Summary` as it prints; Chinese: the same facts from the catalogue."""
    if lang == "en":
        out.print(str(result.summary()), markup=False)
        return
    kind = type(result).__name__
    if kind == "KanoResults":
        respondents = int(result.pairs["row"].nunique()) if len(result.pairs) else 0
        out.print(t(lang, "kano_summary", features=len(result.features), respondents=respondents), markup=False)
        cols = [c for c in ("feature", "label", "n", "attractive", "one_dimensional", "must_be", "indifferent", "reverse",
                            "questionable", "category", "better", "worse") if c in result.features.columns]
        print_frame(out, t(lang, "kano_features"), result.features[cols], lang, words={"category": "kano"})
    elif kind == "SamplingPlan":
        size = result.sample_size
        line = t(lang, "plan_summary", n=result.n)
        if len(size):
            pop = size["population"].iloc[0]
            line += t(lang, "plan_level", level=f"{float(size['level'].iloc[0]):.0%}",
                      population=t(lang, "plan_no_population") if pop != pop else int(pop))
        out.print(line + t(lang, "sentence_end"), markup=False)
        cols = [c for c in ("statistic", "margin", "sd", "sd_source", "n_without_fpc", "n") if c in size.columns]
        print_frame(out, t(lang, "plan_sample_size"), size[cols], lang, words={"statistic": "statistic", "sd_source": "sd_source"})
        if len(result.allocation):
            print_frame(out, t(lang, "plan_allocation"), result.allocation, lang)
    elif kind == "CareEffect":
        e = result.effect.iloc[0]
        out.print(t(lang, "care_summary", estimate=f"{e['estimate']:.2f}", level=f"{e['level']:.0%}", lower=f"{e['ci_lower']:.2f}",
                    upper=f"{e['ci_upper']:.2f}", t=f"{e['t_value']:.2f}", df=f"{e['df']:.1f}", p=f"{e['p_value']:.3g}",
                    reached=int(e["n_reached"]), not_reached=int(e["n_not_reached"]), excluded=len(result.excluded)), markup=False)
        print_frame(out, t(lang, "care_groups"), result.groups, lang, words={"group": "group"})
    else:  # a result this function does not know: as the library prints it
        out.print(str(result.summary()), markup=False)
