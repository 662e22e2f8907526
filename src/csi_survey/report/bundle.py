"""A run's outputs as one object: the :class:`RunBundle` (meta, tables, model) and its folder.

A run folder holds every table as ``<name>.csv`` (UTF-8 with BOM, formula-safe, see
:func:`~csi_survey.report.csv.write_csv`), ``run.json`` (the run's meta data) and ``model.yaml``
(the questionnaire spec used). :func:`save_bundle` writes such a folder (atomically),
:func:`load_bundle` reads it back, so that reports (``report.xlsx``, HTML) can be rendered again
from a finished run without re-estimating anything::

    bundle = bundle_from_tables(meta, run_tables(fit, data, quality).tables, fit.model)
    save_bundle(bundle, "results/2026-Q3")
    ...
    bundle = load_bundle("results/2026-Q3")
    write_report_workbook("report.xlsx", bundle)

Reading the tables back
-----------------------
CSV files carry no types, so :func:`load_bundle` restores them as follows:

* The columns that hold names and labels in the table contract (``construct``, ``label``,
  ``source``, ``target``, ``item``, ``segment_column``, ``segment``, ``status`` …) are always
  read as text, even when every value looks like a number (a segment ``"1"`` stays ``"1"``).
  An empty text cell is the empty string ``""`` (as in ``segment_column`` of a total row, the
  ``item`` of a construct-level IPMA row, the ``target`` of an index in ``bootstrap``): CSV
  cannot tell a missing text from ``""``, and the tables use ``""`` for "not applicable". The
  strings ``"NA"``, ``"null"``, ``"None"`` … are text, never missing values.
* Every other column is a number column when all its non-empty cells are numbers as pandas
  writes them (``int64`` when they are all integers written without a decimal point and none is
  missing, ``float64`` otherwise, an empty cell being ``NaN``); a boolean column when they are
  all ``True``/``False``; else text (so ``"007"`` or ``"R00036"`` stay text). A column without
  any value is ``float64`` (all ``NaN``); in a zero-row table it has ``object`` dtype (as
  :func:`pandas.read_csv` gives), text columns of the contract ``str``.
* The formula-injection protection is undone: the writers put a ``'`` in front of text starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (:func:`~csi_survey.report.safe.
  safe_text`), so **a text cell (or column name) starting with ``'`` followed by one of these
  characters is taken as our protection prefix and the ``'`` is removed**. Rendering the loaded
  tables again therefore prefixes once, never twice. The one ambiguity: a label that itself
  started with ``'=`` (quote then formula character) comes back without its quote.

Per-respondent scores as Parquet
--------------------------------
A run of many respondents may keep ``scores`` as ``scores.parquet`` instead of ``scores.csv``
(``csi-survey run … --scores-format parquet``): the meta key ``"scores_format"`` (``"csv"``, the
default when absent, or ``"parquet"``) says which, :func:`save_bundle` writes that file and
:func:`load_bundle` reads it back (typed columns as written, no formula prefix: see
:func:`~csi_survey.report.csv.write_parquet`). Every other table is always CSV.

``run.json`` also records the names of the run's tables (key ``"tables"``), so that a CSV left in
the folder by an earlier run (say ``segment_index.csv`` of a run with segments) is not taken for
a table of the new one. The key is removed from :attr:`RunBundle.meta` when loading, so it is
reserved: ``meta`` may not contain it. A ``run.json`` without the key (written by other tools)
loads every ``*.csv`` of the folder.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import CsiSurveyError, ReportError
from ..i18n import translate
from ..schema import Questionnaire, load_model
from .atomic import AtomicOutput
from .csv import write_csv, write_parquet
from .safe import DANGEROUS_PREFIXES

__all__ = [
    "RunBundle",
    "bundle_from_tables",
    "save_bundle",
    "load_bundle",
    "RUN_FILE",
    "MODEL_FILE",
    "TEXT_COLUMNS",
    "json_safe",
    "write_bundle_files",
    "SCORES_FORMATS",
    "scores_file",
]

#: The run's meta data (JSON) and the questionnaire spec used (YAML), beside the CSV tables.
RUN_FILE = "run.json"
MODEL_FILE = "model.yaml"
#: Key of ``run.json`` listing the run's tables (reserved: not part of ``RunBundle.meta``).
TABLES_KEY = "tables"

#: Meta key saying how the per-respondent scores are stored, and its values (default "csv").
SCORES_FORMAT_KEY = "scores_format"
SCORES_FORMATS = ("csv", "parquet")

_HOW_TO_MAKE = "`csi-survey run … --out DIR` writes them"

_SEGMENT = ("segment_column", "segment")
#: Table → the columns always read back as text (names, labels, codes), from the table contract.
TEXT_COLUMNS: dict[str, frozenset[str]] = {
    name: frozenset(cols)
    for name, cols in {
        "index": ("construct", "label"),
        "paths": ("source", "target"),
        "effects": ("source", "target"),
        "weights": ("construct", "item"),
        "r2": ("construct",),
        "quality": ("construct", "label", "mode"),
        "htmt": ("construct_1", "construct_2"),
        "fit_measures": ("measure",),
        "model_fit": ("measure",),
        "fit_test": ("measure",),
        "indirect_effects": ("source", "target", "through", "path"),
        "mediation": ("source", "target", "mediation", "sentence"),
        "interaction_effects": ("source", "target", "iv", "moderator", "method"),
        "simple_slopes": ("interaction", "iv", "moderator", "target"),
        "slope_plot": ("interaction", "iv", "moderator", "target"),
        "prediction": ("construct", "item"),
        "prediction_summary": ("construct", "predictive_power", "verdict"),
        "higher_order": ("construct", "dimension"),
        "quality_flags": ("criterion", "construct", "other", "item", "message", "reference"),
        "impacts": ("target", "driver"),
        "ipma": ("target", "level", "driver", "item", "label", "quadrant"),
        "quadrant": ("target", "level", "driver", "item", "label", "quadrant"),
        "gaps": ("label", "expected", "experienced"),
        "frequencies": ("item", "construct"),
        "item_summary": ("item", "construct"),
        "nps": _SEGMENT,
        "csat": _SEGMENT,
        "segment_index": (*_SEGMENT, "construct", "label", "status"),
        "segment_paths": (*_SEGMENT, "source", "target", "status"),
        "segment_impacts": (*_SEGMENT, "target", "driver", "status"),
        "segment_differences": ("segment_column", "segment_a", "segment_b", "statistic", "source", "target", "method",
                                "correction"),
        "segment_omnibus": ("segment_column", "statistic", "source", "target", "method"),
        "micom": ("segment_column", "segment_a", "segment_b", "construct", "label", "invariance", "decision", "correction"),
        "wave_index": ("construct", "label", "status"),
        "wave_changes": ("construct", "label"),
        "segment_wave_changes": ("wave", "previous_wave", "segment", "construct"),
        "overall_index": ("name",),
        "overall_weights": ("construct", "label"),
        "missing": ("item", "construct", "method"),
        "excluded": ("reason",),
        "flags": ("respondent_id", "flag", "detail", "action"),
        "data_quality": ("flag", "policy", "note"),
        "weight_summary": ("statistic", "column", "category"),
        "bootstrap": ("statistic", "source", "target"),
        "bootstrap_failures": ("reason",),
    }.items()
}
#: Text columns of tables not in :data:`TEXT_COLUMNS`.
_COMMON_TEXT = frozenset(
    {"construct", "label", "source", "target", "item", "driver", "segment_column", "segment", "status", "message", "reason"}
)

_PROTECTED = re.compile("'[" + re.escape("".join(DANGEROUS_PREFIXES)) + "]", re.DOTALL)
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|inf)")


@dataclass(frozen=True)
class RunBundle:
    """The outputs of one run, as written to (and read back from) its folder.

    Attributes
    ----------
    meta:
        The content of ``run.json``: ``version``, ``model_name``, ``index_construct``, ``labels``,
        ``lang``, ``engine``, ``n_read``, ``n_used``, ``n_excluded``, ``headline``, ``bootstrap``,
        ``segments``, ``wave``, ``impact_step`` (see the table contract). JSON values only.
    tables:
        Table name (no ``.csv``) → tidy table; optional tables may be absent.
    model:
        The questionnaire spec used by the run.
    """

    meta: dict
    tables: dict[str, pd.DataFrame]
    model: Questionnaire

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name`` (``"index"``, ``"ipma"`` …), or ``None`` when the run has none."""
        return self.tables.get(name)


# -- building ----------------------------------------------------------------------------------


def json_safe(value: Any, where: str = "meta") -> Any:
    """``value`` made of JSON types only: numpy scalars → Python, NaN/±inf/NA → ``None``,
    tuples/sets/arrays → lists, paths and dates → text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [json_safe(v, where) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [json_safe(v, where) for v in value]
    if isinstance(value, (set, frozenset)):
        return [json_safe(v, where) for v in sorted(value, key=str)]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (_dt.date, _dt.time)):  # datetime and pandas.Timestamp too
        return value.isoformat()
    try:
        if pd.isna(value) is True:  # pd.NA, pd.NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _table_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"table names must be strings, got {name!r}")
    stem = name[:-4] if name.lower().endswith(".csv") else name
    if not stem or stem in (".", "..") or any(sep in stem for sep in "/\\\0") or stem.startswith("."):
        raise ReportError(f"{name!r} is not a valid table name", hint="use plain names such as 'index' or 'index.csv'.")
    return stem


def scores_file(meta: Mapping[str, Any]) -> str:
    """The file holding the per-respondent scores of a run with this meta: ``scores.csv`` or
    ``scores.parquet`` (``meta["scores_format"]``).

    Raises
    ------
    ReportError
        ``meta["scores_format"]`` is neither ``"csv"`` nor ``"parquet"``.
    """
    fmt = meta.get(SCORES_FORMAT_KEY) or "csv"
    if fmt not in SCORES_FORMATS:
        raise ReportError(
            f"the scores format {fmt!r} is unknown: use 'csv' or 'parquet'",
            hint="write the scores as CSV (the default) or Parquet (--scores-format parquet).",
        )
    return f"scores.{fmt}"


def _file_name(meta: Mapping[str, Any], name: str) -> str:
    return scores_file(meta) if name == "scores" else f"{name}.csv"


def bundle_from_tables(meta: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], model: Questionnaire) -> RunBundle:
    """A :class:`RunBundle` from a run's meta data, tables and model.

    ``tables`` may be keyed ``"index"`` or ``"index.csv"`` (as
    :func:`~csi_survey.run_tables.run_tables` returns them); the keys are stored without ``.csv``. ``meta`` is copied
    with JSON types only (numpy numbers → Python numbers, NaN → ``None``, tuples → lists), so
    that it equals the meta of the bundle read back by :func:`load_bundle`.
    """
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    if TABLES_KEY in meta:
        raise ReportError(
            f"meta may not have the key {TABLES_KEY!r}: run.json uses it to list the run's tables",
            hint="rename that key.",
        )
    if not isinstance(model, Questionnaire):
        raise TypeError(f"model must be a Questionnaire, got {type(model).__name__}")
    scores_file(meta)  # a known scores format, before any work
    stored: dict[str, pd.DataFrame] = {}
    for key, table in tables.items():
        name = _table_name(key)
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"table {key!r} must be a DataFrame, got {type(table).__name__}")
        if name in stored:
            raise ReportError(f"the table {name!r} is given twice", hint=f"pass either {name!r} or '{name}.csv'.")
        stored[name] = table
    return RunBundle(json_safe(dict(meta)), stored, model)


# -- saving ------------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except UnicodeEncodeError as error:
        raise ReportError(
            f"cannot write {path.name}: a text holds characters that are not valid Unicode ({error.reason})",
            hint="clean the offending labels in the model or the run settings.",
        ) from error
    except OSError as error:
        raise ReportError(
            f"cannot write {path}: {error.strerror or error}",
            hint="check that the folder exists, that you may write to it and that the disk is not full.",
        ) from error


def write_bundle_files(bundle: RunBundle, out: AtomicOutput) -> list[str]:
    """Write the files of ``bundle`` through ``out`` (anything with ``path(name)``, such as an entered
    :class:`~csi_survey.report.atomic.AtomicOutput`): ``<name>.csv`` per table, ``run.json`` and
    ``model.yaml`` (``scores.parquet`` instead of ``scores.csv`` when ``meta["scores_format"]`` is
    ``"parquet"``). Returns the file names written.

    A Chinese run (``meta["lang"] == "zh"``) writes the ``reason`` cells of ``excluded.csv`` in
    Chinese (:func:`csi_survey.i18n.translate`); ``run.json`` and the tables in memory keep the
    library's English."""
    names: list[str] = []
    lang = bundle.meta.get("lang")
    for name, table in bundle.tables.items():
        if name == "excluded" and lang in ("zh",) and "reason" in table.columns:  # a Chinese run's reasons in Chinese
            table = table.assign(reason=[translate(lang, r) if isinstance(r, str) else r for r in table["reason"]])
        file_name = _file_name(bundle.meta, name)
        if file_name.endswith(".parquet"):
            write_parquet(table, out.path(file_name))
        else:
            write_csv(table, out.path(file_name))
        names.append(file_name)
    meta = {**json_safe(dict(bundle.meta)), TABLES_KEY: list(bundle.tables)}
    _write_text(out.path(RUN_FILE), json.dumps(meta, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    _write_text(out.path(MODEL_FILE), bundle.model.to_yaml())
    return [*names, RUN_FILE, MODEL_FILE]


def save_bundle(bundle: RunBundle, out: AtomicOutput | str | Path) -> list[Path]:
    """Write ``bundle`` as a run folder: ``<name>.csv`` per table, ``run.json`` and ``model.yaml``.

    ``out`` is a folder (written atomically: nothing changes in it unless every file was
    written) or an :class:`~csi_survey.report.atomic.AtomicOutput` already entered (``with
    AtomicOutput(folder) as out:``), so that other files (``report.xlsx``…) are committed together
    with the bundle. Returns the paths of the files in the output folder (where they are once the
    ``AtomicOutput`` block has ended).

    ``run.json`` is UTF-8 (no byte-order mark), indented, non-ASCII characters kept as they are,
    NaN written as ``null``. CSV files hide nothing: they are the tables, formula-safe.
    """
    if not isinstance(bundle, RunBundle):
        raise TypeError(f"expected a RunBundle, got {type(bundle).__name__}")
    if isinstance(out, AtomicOutput):
        names = write_bundle_files(bundle, out)
        return [out.directory / name for name in names]
    with AtomicOutput(out) as atomic:
        names = write_bundle_files(bundle, atomic)
    return [Path(out) / name for name in names]


# -- loading -----------------------------------------------------------------------------------


def _unprotect(values: pd.Series) -> pd.Series:
    """Remove the ``'`` that :func:`~csi_survey.report.safe.safe_text` put in front of text."""
    mask = values.str.match(_PROTECTED).to_numpy(dtype=bool, na_value=False)
    if not mask.any():
        return values
    out = values.to_numpy(dtype=object, copy=True)
    out[mask] = [text[1:] for text in out[mask]]
    return pd.Series(out, index=values.index, name=values.name, dtype=values.dtype)


def _restore_column(raw: pd.Series, force_text: bool) -> pd.Series:
    """One CSV column (read as strings, nothing taken as missing) with its type restored."""
    if not force_text:
        filled = raw[raw != ""]
        if len(raw) == 0:
            return pd.Series([], index=raw.index, name=raw.name, dtype=object)
        if len(filled) == 0:
            return pd.Series(np.nan, index=raw.index, name=raw.name, dtype="float64")
        if len(filled) == len(raw) and filled.str.fullmatch(_INT).all():
            numbers = pd.to_numeric(filled, errors="coerce")
            if numbers.dtype == np.int64:
                return numbers
        if filled.str.fullmatch(_FLOAT).all():
            return pd.Series(
                pd.to_numeric(raw.replace("", np.nan), errors="coerce"), index=raw.index, name=raw.name, dtype="float64"
            )
        if filled.isin(["True", "False"]).all():
            if len(filled) == len(raw):
                return raw == "True"
            return raw.map({"True": True, "False": False, "": None}).astype(object)
    return _unprotect(raw.astype("str"))


def _read_table(path: Path, name: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:  # a table without columns is written as an empty line
        return pd.DataFrame()
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as error:
        raise ReportError(
            f"the table {path.name} in {path.parent} is corrupt: {error}",
            hint=f"write the run folder again ({_HOW_TO_MAKE}).",
        ) from error
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}", hint="check that you may read the file.") from error
    text_columns = TEXT_COLUMNS.get(name, _COMMON_TEXT)
    headers = _unprotect(pd.Series(list(raw.columns), dtype="str")).tolist()
    table = pd.DataFrame(
        {
            position: _restore_column(raw.iloc[:, position], header in text_columns)
            for position, header in enumerate(headers)
        },
        index=raw.index,
    )
    table.columns = headers
    return table


def _read_meta(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8-sig")
        meta = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(
            f"{path.name} in {path.parent} is corrupt: {error}",
            hint=f"write the run folder again ({_HOW_TO_MAKE}).",
        ) from error
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}", hint="check that you may read the file.") from error
    if not isinstance(meta, dict):
        raise ReportError(
            f"{path.name} in {path.parent} is corrupt: it holds a JSON {type(meta).__name__}, not an object",
            hint=f"write the run folder again ({_HOW_TO_MAKE}).",
        )
    return meta


def load_bundle(directory: str | Path) -> RunBundle:
    """Read a run folder written by :func:`save_bundle` (``csi-survey run … --out DIR``).

    Raises
    ------
    ReportError
        When the folder does not exist, is not a csi-survey run folder (``run.json`` or
        ``model.yaml`` missing: the message names the missing file), a table listed in
        ``run.json`` is missing, or a file is corrupt.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(
            f"the run folder {directory} does not exist" if not directory.exists() else f"{directory} is a file, not a run folder",
            hint="pass the folder written by `csi-survey run … --out DIR`.",
        )
    missing = [name for name in (RUN_FILE, MODEL_FILE) if not (directory / name).is_file()]
    if missing:
        files = " and ".join(missing)
        raise ReportError(
            f"{directory} is not a csi-survey run folder: {files} {'is' if len(missing) == 1 else 'are'} missing",
            hint=f"pass the folder of a run: {RUN_FILE}, {MODEL_FILE} and the CSV tables are written by "
            f"`csi-survey run … --out DIR`.",
        )
    meta = _read_meta(directory / RUN_FILE)
    listed = meta.pop(TABLES_KEY, None)
    try:
        scores_file(meta)
    except ReportError as error:
        raise ReportError(f"{RUN_FILE} in {directory} is corrupt: {error}", hint=f"write the run folder again ({_HOW_TO_MAKE}).") from None
    if isinstance(listed, list) and all(isinstance(n, str) for n in listed):
        names = listed
        absent = [_file_name(meta, n) for n in names if not (directory / _file_name(meta, n)).is_file()]
        if absent:
            raise ReportError(
                f"the run folder {directory} is incomplete: {', '.join(absent)} "
                f"{'is' if len(absent) == 1 else 'are'} listed in {RUN_FILE} but missing",
                hint=f"write the run folder again ({_HOW_TO_MAKE}).",
            )
    else:
        names = sorted(p.stem for p in directory.glob("*.csv") if p.is_file() and not p.name.startswith("."))
        if scores_file(meta) != "scores.csv":
            names = [n for n in names if n != "scores"]
            if (directory / scores_file(meta)).is_file():
                names = sorted([*names, "scores"])
    try:
        model = load_model(directory / MODEL_FILE)
    except CsiSurveyError as error:
        raise ReportError(
            f"{MODEL_FILE} in {directory} is corrupt:\n{error}",
            hint=f"write the run folder again ({_HOW_TO_MAKE}).",
        ) from error
    tables = {
        name: _read_parquet(directory / file) if file.endswith(".parquet") else _read_table(directory / file, name)
        for name, file in ((name, _file_name(meta, name)) for name in names)
    }
    return RunBundle(meta, tables, model)


def _read_parquet(path: Path) -> pd.DataFrame:
    """A table written by :func:`~csi_survey.report.csv.write_parquet`, with its own column types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise ReportError(
            f"the table {path.name} in {path.parent} is corrupt: {error}",
            hint=f"write the run folder again ({_HOW_TO_MAKE}).",
        ) from error
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror or error}", hint="check that you may read the file.") from error
