"""One complete analysis run, as the CLI does it: fit → bootstrap → quality → drivers → segments → waves.

The same steps serve the command line, notebooks and batch jobs::

    >>> import csi_survey as csi                                                     # doctest: +SKIP
    >>> model = csi.load_model("examples/acsi_retail.yaml")                          # doctest: +SKIP
    >>> data = csi.read_responses("examples/acsi_retail.xlsx", model, on_invalid="exclude")  # doctest: +SKIP
    >>> result = csi.analyze(data, csi.AnalysisSettings(segments=("region",), seed=1))  # doctest: +SKIP
    >>> result.tables["segment_index"]                                               # doctest: +SKIP

The result holds every output table (named as the CSV files of a run, see
``docs/outputs.md``) and the run's meta data; :func:`csi_survey.report.run_report.write_run`
writes them with the workbook and the HTML report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .version import __version__
from .exceptions import AdmissibilityWarning, CsiSurveyError, EstimationError, SettingsError, TooFewSegmentsError, check_choice
from .i18n import report_language
from .assess import assess
from .drivers import csat, frequencies, gaps, impacts, ipma, item_summary, nps
from .quadrant import quadrant
from .engine.pls import PLS
from .engine.threads import single_threaded_blas
from .ingest.memory import release_unused_memory
from .ingest.weights import design_effect, effective_n
from .run_tables import run_tables
from .mediation import mediation
from .model_fit import fit_measures
from .ingest.columns import MISSING_SEGMENT, TOTAL_SEGMENT, ordered_labels, segment_labels
from .multiplicity import CORRECTIONS

# Loaded by the steps that use them (a run without segments, waves, bootstrap or extensions never
# imports them; issue 15): engine.bootstrap, engine.cbsem, segments, omnibus, invariance, panel,
# higher_order, interactions, predict, changes, overall and model_fit.overall_fit_test.

__all__ = ["AnalysisSettings", "Analysis", "analyze", "work_plan"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of a run (the CLI options of ``csi-survey run``)."""

    engine: str = "pls"             #: "pls" or "cbsem"
    scheme: str = "path"            #: PLS inner weighting scheme
    max_iter: int = 300
    resamples: int = 1000           #: bootstrap resamples (0: no bootstrap)
    seed: int | None = None
    level: float = 0.95
    ci: str = "percentile"          #: "percentile" or "bca"
    n_jobs: int = -1
    segments: tuple[str, ...] = ()  #: segment columns
    wave: str | None = None         #: wave column
    min_n: int = 50                 #: segments/waves below this size are not estimated
    permutations: int = 1000        #: permutation test of segment differences (0: none)
    htmt: str = "signed"            #: HTMT convention: "signed" (cSEM; default) or "absolute" (seminr), tables and bootstrap alike
    pairwise: str = "auto"          #: pairwise tests and MICOM between segments: "auto" (at most 10 segments), "all" or "none"
    lang: str | None = None         #: report language "en" | "zh" (default: from the labels)
    correction: str = "holm"        #: multiplicity correction across segments: "holm" | "bh" | "none"
    overall_weights: tuple[tuple[str, float], ...] = ()  #: weights of an overall index of the run, as pairs of construct id or label and weight
    paired: bool = False            #: wave changes by the paired bootstrap where respondents are matched by id (csi_survey.panel)
    fit_test: int = 0               #: resamples of the bootstrap test of exact model fit (0: no test; csi_survey.model_fit)
    predict: int | str | None = None  #: PLSpredict folds (2 … n) or "loo"; None: no prediction (csi_survey.predict)
    predict_repetitions: int = 10   #: repetitions of the k-fold split

    def __post_init__(self) -> None:
        check_choice("engine", self.engine, ["pls", "cbsem"])
        check_choice("correction", self.correction, list(CORRECTIONS))
        check_choice("ci", self.ci, ["percentile", "bca"])
        check_choice("pairwise", self.pairwise, ["auto", "all", "none"])
        check_choice("htmt", self.htmt, ["signed", "absolute"])
        if self.lang is not None:
            check_choice("lang", self.lang, ["en", "zh"])
        if self.min_n < 3:
            raise SettingsError(f"min_n must be at least 3; got {self.min_n}")
        if self.engine == "cbsem" and (self.segments or self.wave):  # noqa: SIM102
            raise SettingsError(
                "segment and wave analysis use the PLS engine (its bootstrap and permutation tests)",
                hint="run segments and waves without --engine cbsem, or compare engines with `csi-survey compare`.",
            )
        if self.engine == "cbsem" and (self.fit_test or self.predict is not None):
            raise SettingsError("the test of exact fit and PLSpredict belong to the PLS engine",
                                hint="leave out --fit-test and --predict with --engine cbsem (CB-SEM reports its own fit measures).")
        if isinstance(self.fit_test, bool) or not isinstance(self.fit_test, int) or self.fit_test < 0 or self.fit_test == 1:
            raise SettingsError(f"fit_test must be 0 (no test) or at least 2 resamples; got {self.fit_test!r}",
                                hint="pass e.g. --fit-test 499.")
        if self.paired and not self.wave:
            raise SettingsError("paired wave changes need the wave column", hint="add --wave COLUMN, or leave out --paired.")


@dataclass(frozen=True)
class Analysis:
    """Everything a run produced: the fit, quality, every output table and the meta data."""

    settings: AnalysisSettings
    data: Any
    fit: Any
    quality: Any
    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)


def work_plan(data: Any, settings: AnalysisSettings) -> list[str]:
    """What a run of ``analyze(data, settings)`` will skip or spend on its segment comparisons, said
    before it starts (the CLI prints it above the progress bars; the same sentences end up in the
    run's notes): per segment column, the plan of :func:`csi_survey.segments.pairwise_plan` for the
    segments of at least ``min_n`` respondents (the segments that can be estimated: at most these)."""
    from .ingest.columns import segment_labels  # lazy: only with --segment
    from .segments import pairwise_plan  # lazy: the permutation tests load only with --segment

    plans = []
    for column in settings.segments:
        try:
            labels, _ = segment_labels(data, column)
        except CsiSurveyError:  # an unknown column: analyze() says so, with the close names
            continue
        _, counts = np.unique(labels.astype(str), return_counts=True)
        note = pairwise_plan(column, int((counts >= settings.min_n).sum()), settings.permutations, settings.pairwise).note
        if note:
            plans.append(note)
    return plans


def analyze(data: Any, settings: AnalysisSettings | None = None, progress: Progress | None = None) -> Analysis:
    """Run the whole analysis on prepared data (:class:`~csi_survey.ingest.SurveyData`).

    ``progress(stage, done, total)`` is called during the long stages ("bootstrap",
    "segments", "permutations", "waves"); silent by default.

    Every step runs with one BLAS thread (:func:`~csi_survey.engine.threads.single_threaded_blas`):
    the permutation tests and every other small-matrix step, as the engines' own work; parallelism
    comes from the bootstrap's worker processes (issue 15).
    """
    if _rows(data) >= RELEASE_ROWS:  # what reading a large file freed, before the estimation needs memory (issue 15)
        release_unused_memory()
    with single_threaded_blas():
        return _analyze(data, settings, progress)


#: Respondents from which a run gives freed memory back to the system before estimating (a few
#: milliseconds: not worth it for the many small fits of a batch).
RELEASE_ROWS = 100_000


def _rows(data: Any) -> int:
    items = getattr(data, "items", None)
    return len(items) if isinstance(items, pd.DataFrame) else len(data) if isinstance(data, pd.DataFrame) else 0


def _analyze(data: Any, settings: AnalysisSettings | None, progress: Progress | None) -> Analysis:
    settings = settings or AnalysisSettings()
    if settings.seed is None:  # one seed for every random step, recorded in run.json
        import numpy as np

        settings = dataclasses.replace(settings, seed=int(np.random.SeedSequence().entropy % (2**63)))
    model = data.questionnaire
    notes: list[str] = []
    tables_early: dict[str, pd.DataFrame] = {}

    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(name, done, total))

    if settings.engine == "cbsem":
        if getattr(data, "weight", None) is not None:
            raise SettingsError(
                "the covariance-based engine does not use survey weights, and these data are weighted",
                hint="estimate weighted data with PLS (the default engine), or remove weights: from the spec.",
            )
        from .engine.cbsem import CBSEM  # lazy: scipy.optimize loads only for --engine cbsem

        fit = CBSEM(model, max_iter=settings.max_iter).fit(data)
        quality = None
        notes.append("The bootstrap applies to PLS; CB-SEM reports maximum-likelihood standard errors (parameters.csv).")
    elif model.has_extensions:  # higher-order constructs or interactions: their own engines and bootstraps
        return _extended_analysis(data, settings, notes, stage)
    else:
        engine = PLS(model, scheme=settings.scheme, max_iter=settings.max_iter)
        with warnings.catch_warnings():  # the admissibility of a PLSc fit is reported among the run's notes
            warnings.simplefilter("ignore", AdmissibilityWarning)
            fit = engine.fit(data)
        notes.extend(getattr(fit, "notes", ()) or ())
        if settings.predict is not None:  # first: a model or data it cannot predict fails before the long work
            tables_early["prediction"], tables_early["prediction_summary"] = _prediction(engine, data, settings, stage("prediction"))
        if settings.resamples:
            from .engine.bootstrap import bootstrap  # lazy: scipy.stats and the worker pool load only when resampling

            fit = bootstrap(fit, data, resamples=settings.resamples, seed=settings.seed, level=settings.level,
                            method=settings.ci, n_jobs=settings.n_jobs, progress=stage("bootstrap"), htmt=settings.htmt)
        quality = assess(fit, htmt=settings.htmt)

    tables = {name.removesuffix(".csv"): table for name, table in run_tables(fit, data, quality).tables.items()}
    tables.update(tables_early)
    if settings.engine != "cbsem":
        tables.update(_mediation_tables(fit, report_language(model, settings.lang)))
        tables["model_fit"] = fit_measures(fit).measures
        if settings.fit_test:
            from .model_fit import overall_fit_test  # lazy: the test of exact fit loads only with --fit-test

            try:
                tables["fit_test"] = overall_fit_test(fit, data, resamples=settings.fit_test, seed=settings.seed,
                                                      progress=stage("fit test")).table
            except EstimationError as error:  # e.g. an inadmissible PLSc solution: nothing to test
                notes.append(f"The bootstrap test of exact model fit was not run: {error.message}")
    tables["impacts"] = impacts(fit)
    tables["ipma"] = ipma(fit, data)
    if model.index:  # 四分图: importance (derived, or stated in the spec) × satisfaction of the index drivers
        spec = model.quadrant
        tables["quadrant"] = quadrant(fit, data, importance=spec.importance, level=spec.level,
                                      stated=dict(spec.stated) or None).table
    if settings.overall_weights:
        from .overall import overall_index  # lazy: the reader of the weights file loads only with --overall-weights

        tables["overall_index"], tables["overall_weights"] = overall_index(fit, dict(settings.overall_weights))
    if model.gaps:
        tables["gaps"] = gaps(data, level=settings.level)
    tables["frequencies"] = frequencies(data)
    tables["item_summary"] = item_summary(data)
    if model.nps_item:
        tables["nps"] = nps(data, segments=settings.segments, level=settings.level)
    if model.csat_item:
        tables["csat"] = csat(data, segments=settings.segments, level=settings.level)

    if settings.segments:
        from .segments import segment_analysis  # lazy: scipy.stats loads only with --segment or --wave

        seg = segment_analysis(engine, data, settings.segments, min_n=settings.min_n, resamples=min(settings.resamples, 1000),
                               seed=settings.seed, level=settings.level, progress=stage("segments"))
        tables["segment_index"] = _total_from_fit(seg.index, fit.index, ["construct"], "index")
        tables["segment_paths"] = _total_from_fit(seg.paths, fit.paths, ["source", "target"], "estimate")
        tables["segment_impacts"] = seg.impacts
        if settings.permutations:
            tables.update(_segment_comparisons(engine, data, settings, notes, stage))
    if settings.wave:
        from .panel import check_panel, paired_wave_changes  # lazy: scipy.stats loads only with --wave
        from .segments import wave_analysis  # lazy: scipy.stats loads only with --segment or --wave

        if settings.paired:
            check_panel(data)  # before any work
        waves = wave_analysis(engine, data, settings.wave, min_n=settings.min_n, resamples=_wave_resamples(settings),
                              seed=settings.seed, level=settings.level, progress=stage("waves"))
        tables["wave_index"] = waves.index
        if settings.paired:
            tables["wave_changes"] = paired_wave_changes(engine, data, settings.wave, waves, resamples=_wave_resamples(settings),
                                                         seed=settings.seed, level=settings.level, progress=stage("paired waves"))
        else:
            tables["wave_changes"] = waves.changes.assign(pairing="independent", n_matched=0)
        if settings.segments:
            tables["segment_wave_changes"] = _segment_wave_changes(engine, data, settings, waves, tables["wave_changes"],
                                                                   stage("segment waves"))

    meta = run_meta(fit, data, settings)
    return Analysis(settings, data, fit, quality, tables, meta, tuple(notes))


def _extended_analysis(data: Any, settings: AnalysisSettings, notes: list[str], stage: Callable) -> Analysis:
    """A run of a spec with higher-order constructs (:class:`~csi_survey.higher_order.HigherOrderPLS`)
    or interactions (:class:`~csi_survey.interactions.ModeratedPLS`): the model, its bootstrap, the
    construct tables, quality, mediation and the method's own tables (``higher_order``;
    ``interaction_effects``, ``simple_slopes``, ``slope_plot``)."""
    model = data.questionnaire
    kind = "higher-order constructs" if model.higher_order else "interactions"
    unsupported = [name for name, on in (("--segment", settings.segments), ("--wave", settings.wave),
                                         ("--predict", settings.predict is not None), ("--fit-test", settings.fit_test),
                                         ("--overall-weights", settings.overall_weights), ("--ci bca", settings.ci == "bca"))
                   if on]
    if unsupported:
        raise SettingsError(f"{', '.join(unsupported)} cannot be combined yet with a spec that declares {kind}",
                            hint=f"leave out {', '.join(unsupported)}, or run the model without its {kind}.")
    if getattr(model, "design", None) is not None:
        notes.append(f"The bootstrap of a model with {kind} resamples respondents: the survey design (clusters, strata) is not used.")
    resamples = settings.resamples
    if model.higher_order:
        from .higher_order import HigherOrderPLS, bootstrap_higher_order  # lazy: only for a spec with higher-order constructs

        res = HigherOrderPLS(model, scheme=settings.scheme, max_iter=settings.max_iter).fit(data)
        if resamples:
            res = bootstrap_higher_order(res, data, resamples=resamples, seed=settings.seed, level=settings.level,
                                         progress=stage("bootstrap"))
        fit = res.final
        extra = {"higher_order": res.dimensions}
        if res.bootstrap is not None:
            extra |= {"bootstrap": res.bootstrap.estimates, "bootstrap_failures": res.bootstrap.failures}
        own = {"index": res.index, "paths": res.paths, "effects": res.effects, "weights": res.weights, "r2": res.r2}
        quality = assess(res.stage2 if res.stage2 is not None else res.final, htmt=settings.htmt)
    else:
        from .interactions import ModeratedPLS, bootstrap_moderation  # lazy: its engine loads only for a spec with interactions

        fit = ModeratedPLS(model, scheme=settings.scheme, max_iter=settings.max_iter).fit(data)
        if resamples:
            fit = bootstrap_moderation(fit, data, resamples=resamples, seed=settings.seed, level=settings.level)
        extra = {"interaction_effects": fit.interaction_effects, "simple_slopes": fit.slopes, "slope_plot": fit.slope_plot}
        own = {}
        quality = assess(fit, htmt=settings.htmt)
    tables = {name.removesuffix(".csv"): table for name, table in run_tables(fit, data, quality).tables.items()}
    tables.update(own)
    tables.update(extra)
    tables.update(_mediation_tables(fit, report_language(model, settings.lang)))
    tables["frequencies"] = frequencies(data)
    tables["item_summary"] = item_summary(data)
    if model.nps_item:
        tables["nps"] = nps(data, level=settings.level)
    if model.csat_item:
        tables["csat"] = csat(data, level=settings.level)
    if model.interactions:  # reliability and discriminant validity do not apply to an interaction term
        terms = set(model.interaction_ids)
        for name, columns in (("quality", ["construct"]), ("htmt", ["construct_1", "construct_2"]), ("quality_flags", ["construct"])):
            table = tables.get(name)
            if table is not None and set(columns) <= set(table.columns):
                tables[name] = table[~table[columns].isin(terms).any(axis=1)].reset_index(drop=True)
    notes.append(f"Impacts, the importance–performance map and the overall model-fit measures (model_fit.csv) "
                 f"are not computed for a model with {kind}.")
    meta = run_meta(fit, data, settings)
    if model.higher_order:  # every construct's label, the dimensions' too (stage 2 does not hold them)
        labels = res.index.set_index("construct")["label"]
        meta["labels"] = {**{str(c): str(v) for c, v in labels.items()}, **meta["labels"]}
        if model.index in labels.index:
            row = res.index.set_index("construct").loc[model.index]
            meta["headline"] = {**(meta.get("headline") or {}), "construct": model.index, "label": str(labels[model.index]),
                                "index": _num(row["index"]), "ci_lower": _num(row.get("ci_lower")),
                                "ci_upper": _num(row.get("ci_upper")), "margin_of_error": _num(row.get("margin_of_error")),
                                "level": settings.level if resamples else None}
    meta["extensions"] = kind
    return Analysis(settings, data, fit, quality, tables, meta, tuple(notes))


def _mediation_tables(fit: Any, lang: str) -> dict[str, pd.DataFrame]:
    """``indirect_effects`` (every specific indirect effect) and ``mediation`` (per source and target:
    direct, total indirect, type and a plain-language sentence), when the model has a mediator."""
    res = mediation(fit)
    if res.effects.empty:
        return {}
    sentences = res.sentences(lang).set_index(["source", "target"])["sentence"]
    effects = res.effects.copy()
    effects["sentence"] = [sentences.get((s, t), "") for s, t in zip(effects["source"], effects["target"])]
    return {"indirect_effects": res.indirect, "mediation": effects}


def _prediction(engine: Any, data: Any, settings: AnalysisSettings, progress: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PLSpredict's item table and per-construct verdict (:func:`csi_survey.predict.plspredict`)."""
    from .predict import plspredict  # lazy: scipy.stats loads only with --predict

    folds = None if settings.predict in ("loo", None) else settings.predict
    res = plspredict(engine, data, folds=folds, repetitions=settings.predict_repetitions, seed=settings.seed, progress=progress)
    return res.items, res.verdict


def _wave_resamples(settings: AnalysisSettings) -> int:
    """Bootstrap resamples per wave: the run's, at least 200 (the wave tests need intervals)."""
    return max(settings.resamples, 200) if settings.resamples else 200


def _wave_history(fits: dict, segment: str) -> list[pd.DataFrame]:
    """The index rows (index, std_err) of each wave's fit, labelled with the segment."""
    return [fit.index[["construct", "index", "std_err"]].assign(wave=wave, segment=segment, status="estimated")
            for wave, fit in fits.items() if "std_err" in fit.index.columns]


def _segment_wave_changes(engine: Any, data: Any, settings: AnalysisSettings, total: Any, total_changes: pd.DataFrame,
                          progress: Any) -> pd.DataFrame:
    """The change of every index between consecutive waves for the total and each segment
    (:func:`csi_survey.changes.index_changes`: Wald interval and p value from the bootstrap standard
    errors, adjusted across the segments of a wave with ``settings.correction``; with
    ``settings.paired``, the paired bootstrap of :mod:`csi_survey.panel` where respondents are matched)."""
    from .changes import index_changes  # lazy: scipy.stats loads only with --wave
    from .panel import paired_wave_changes  # lazy: scipy.stats loads only with --wave
    from .segments import subset, wave_analysis  # lazy: scipy.stats loads only with --segment or --wave

    parts = _wave_history(total.fits, TOTAL_SEGMENT)
    paired: list[pd.DataFrame] = []
    jobs = []
    for column in settings.segments:
        labels, raw = segment_labels(data, column)
        jobs += [(column, value, labels == value) for value in ordered_labels(labels, raw) if value != MISSING_SEGMENT]
    resamples = _wave_resamples(settings)
    for k, (column, value, mask) in enumerate(jobs):
        if int(mask.sum()) >= settings.min_n:
            seed = int.from_bytes(hashlib.sha256(f"{settings.seed}\x1f{column}\x1f{value}".encode()).digest()[:8], "little") % 2**63
            sub = subset(data, mask)
            res = wave_analysis(engine, sub, settings.wave, order=list(total.order), min_n=settings.min_n,
                                resamples=resamples, seed=seed, level=settings.level)
            parts += _wave_history(res.fits, f"{column}={value}")
            if settings.paired:
                rows = paired_wave_changes(engine, sub, settings.wave, res, resamples=resamples, seed=seed, level=settings.level)
                paired.append(rows[rows["pairing"] == "paired"].assign(segment=f"{column}={value}"))
        if progress is not None:
            progress(k + 1, len(jobs))
    history = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["wave", "segment", "construct", "index", "std_err", "status"])
    out = index_changes(history, list(total.order), level=settings.level, correction=settings.correction,
                        paired=pd.concat(paired, ignore_index=True) if paired else None)
    # one number, one interval: the all-respondents rows take the wave analysis's own change statistics
    own = total_changes.set_index(["wave", "construct"])
    rows = out.index[(out["segment"] == TOTAL_SEGMENT).to_numpy()]
    keys = list(zip(out.loc[rows, "wave"], out.loc[rows, "construct"]))
    for column in ("std_err", "ci_lower", "ci_upper", "p_value", "p_adjusted", "significant", "pairing"):
        out.loc[rows, column] = [own[column].get(k, out.at[r, column]) for k, r in zip(keys, rows)]
    out["significant"] = out["significant"].astype(bool)
    return out


def _segment_comparisons(engine: Any, data: Any, settings: AnalysisSettings, notes: list[str],
                         stage: Callable[[str], Any]) -> dict[str, pd.DataFrame]:
    """Per segment column: the omnibus test, then — where :func:`csi_survey.segments.pairwise_plan`
    says so (``settings.pairwise``: by default at most 10 segments) — the pairwise tests (adjusted
    across the pairs with ``settings.correction``) and MICOM. The segments are estimated once for
    all three. A column with fewer than two estimable segments is not compared (a note says why);
    pairwise tests not made, or costly ones, get a note with their cost; so does a construct
    without compositional invariance."""
    from .invariance import MICOM_COLUMNS, micom  # lazy: the permutation tests load only with --segment
    from .omnibus import SEGMENT_OMNIBUS_COLUMNS, segment_omnibus  # lazy: the permutation tests load only with --segment
    from .segments import SEGMENT_DIFFERENCES_COLUMNS, comparable_segments, pairwise_plan, segment_differences  # lazy: with --segment

    omnibus, pairwise, invariance = [], [], []
    common = {"permutations": settings.permutations, "seed": settings.seed, "min_n": settings.min_n, "level": settings.level}
    for column in settings.segments:
        try:
            groups = comparable_segments(engine, data, column, min_n=settings.min_n, progress=stage("segment fits"))
        except TooFewSegmentsError as error:
            notes.append(f"Segments of {column!r} not compared: {error.message}.")
            continue
        omnibus.append(segment_omnibus(engine, data, column, progress=stage("omnibus"), segments=groups, **common))
        plan = pairwise_plan(column, sum(g.fit is not None for g in groups), settings.permutations, settings.pairwise)
        if plan.note:
            notes.append(plan.note)
        if not plan.run:
            continue
        pairwise.append(segment_differences(engine, data, column, correction=settings.correction,
                                            progress=stage("permutations"), segments=groups, **common))
        result = micom(engine, data, column, correction=settings.correction, progress=stage("micom"), segments=groups, **common)
        invariance.append(result.table)
        notes.extend(result.notes)

    def joined(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    return {
        "segment_omnibus": joined(omnibus, SEGMENT_OMNIBUS_COLUMNS),
        "segment_differences": joined(pairwise, SEGMENT_DIFFERENCES_COLUMNS),
        "micom": joined(invariance, MICOM_COLUMNS),
    }


def _total_from_fit(table: pd.DataFrame, main: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Give the "(total)" rows of a segment table the main fit's estimate and interval, so one
    number never shows two intervals (the segment analysis re-bootstraps the total with its own seed)."""
    out = table.copy()
    total = out["segment"] == "(total)"
    if not total.any():
        return out
    columns = [c for c in (value, "ci_lower", "ci_upper") if c in main.columns and c in out.columns]
    lookup = main.set_index(keys)[columns]
    idx = pd.MultiIndex.from_frame(out.loc[total, keys]) if len(keys) > 1 else out.loc[total, keys[0]]
    out.loc[total, columns] = lookup.reindex(idx).to_numpy()
    return out


def run_meta(fit: Any, data: Any, settings: AnalysisSettings) -> dict[str, Any]:
    """The meta data of a run (``run.json``): see the RunBundle contract in ``report/bundle.py``."""
    model = fit.model
    boot = getattr(fit, "bootstrap", None)
    headline = None
    if model.index is not None:
        row = fit.index.set_index("construct").loc[model.index]
        headline = {
            "construct": model.index,
            "label": model.label(model.index),
            "index": _num(row["index"]),
            "ci_lower": _num(row.get("ci_lower")),
            "ci_upper": _num(row.get("ci_upper")),
            "margin_of_error": _num(row.get("margin_of_error")),
            "level": settings.level if boot is not None else None,
        }
    return {
        "version": __version__,
        "model_name": model.name,
        "index_construct": model.index,
        "labels": {c: model.label(c) for c in model.construct_ids},
        "lang": report_language(model, settings.lang),
        "engine": fit.engine_description,
        "reflective": [] if getattr(fit, "reliability", None) is None
        else [str(c) for c in fit.reliability.loc[fit.reliability["corrected"], "construct"]],
        "admissible": getattr(fit, "admissible", None),
        "notes": list(getattr(fit, "notes", ()) or ()),
        "source": getattr(data, "source", None),
        "sheet": getattr(data, "sheet", None),
        "n_read": int(getattr(data, "n_read", fit.n)),
        "n_used": int(fit.n),
        "n_excluded": int(getattr(data, "n_excluded", 0)),
        "headline": headline,
        "bootstrap": None if boot is None else {
            "resamples": boot.resamples, "used": boot.used, "failed": boot.failed, "seed": boot.seed,
            "level": boot.level, "method": boot.method, "design": boot.design,
            **({"clusters": boot.clusters, "strata": boot.strata, "reraked": boot.reraked,
                "design_note": boot.design_note} if boot.design == "rao-wu" else {}),
        },
        "weights": _weights_meta(data),
        "segments": list(settings.segments),
        "wave": settings.wave,
        "paired": settings.paired,
        "impact_step": 5,
        "settings": {
            "engine": settings.engine, "scheme": settings.scheme, "max_iter": settings.max_iter,
            "resamples": settings.resamples, "seed": settings.seed, "level": settings.level, "ci": settings.ci,
            "min_n": settings.min_n, "permutations": settings.permutations, "correction": settings.correction,
            "pairwise": settings.pairwise,
            "fit_test": settings.fit_test, "predict": settings.predict, "predict_repetitions": settings.predict_repetitions,
        },
    }


def _weights_meta(data: Any) -> dict[str, Any] | None:
    weight = getattr(data, "weight", None)
    if weight is None:
        return None
    spec = data.questionnaire.weights
    return {
        "method": "raking" if spec is not None and spec.raking is not None else "column",
        "column": spec.column if spec is not None else None,
        "n_effective": float(effective_n(weight)),
        "design_effect": float(design_effect(weight)),
    }


def _num(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else value
