"""The CSV tables of the satisfaction-management methods (:mod:`csi_survey.methods`).

Each writer takes a method's result (whose ``tables()`` gives the tables by file name) and writes
the tables into a folder: UTF-8 with BOM, safe against formula injection, replaced atomically
(all files or none).

- :func:`write_scorecard` — ``staff.csv``, ``stores.csv``, ``managers.csv``, ``ranking.csv``,
  ``indicators.csv``;
- :func:`write_ahp` — ``weights.csv``, ``consistency.csv``;
- :func:`write_kano` — ``kano_features.csv``, ``kano_shares.csv``, ``kano_pairs.csv``;
- :func:`write_plan` — ``sample_size.csv``, ``allocation.csv`` and ``fieldwork.csv``;
- :func:`write_retention` — ``retention.csv`` and the ``care_*.csv`` tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..exceptions import SettingsError
from .atomic import AtomicOutput
from .csv import write_csv

if TYPE_CHECKING:  # annotations only: loading the methods (and scipy with them) waits for a command that uses them
    from ..methods.ahp import AHPResults  # lazy: annotations only (scipy.stats loads with the methods)
    from ..methods.kano import KanoResults  # lazy: annotations only (scipy.stats loads with the methods)
    from ..methods.retention import CareEffect  # lazy: annotations only (scipy.stats loads with the methods)
    from ..methods.sampling import SamplingPlan  # lazy: annotations only (scipy.stats loads with the methods)
    from ..methods.scorecard import ScorecardResults  # lazy: annotations only (scipy.stats loads with the methods)

__all__ = ["write_scorecard", "write_ahp", "write_kano", "write_plan", "write_retention"]


def _write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write ``tables`` (file name → table) as CSV files atomically into ``out_dir``; the paths written."""
    with AtomicOutput(out_dir) as out:
        for name, table in tables.items():
            write_csv(table, out.path(name))
    return [Path(out_dir) / name for name in tables]


def write_scorecard(results: ScorecardResults, out_dir: str | Path) -> list[Path]:
    """Write ``staff.csv``, ``stores.csv``, ``managers.csv``, ``ranking.csv`` and
    ``indicators.csv`` (UTF-8 with BOM, formula-safe) atomically into ``out_dir``."""
    return _write_tables(results.tables(), out_dir)


def write_ahp(results: AHPResults, out_dir: str | Path) -> list[Path]:
    """Write ``weights.csv`` and ``consistency.csv`` (UTF-8 with BOM, formula-safe) atomically
    into ``out_dir``; returns the paths written."""
    return _write_tables(results.tables(), out_dir)


def write_kano(results: KanoResults, out_dir: str | Path) -> list[Path]:
    """Write ``kano_features.csv``, ``kano_shares.csv`` and ``kano_pairs.csv`` (UTF-8 with BOM,
    formula-safe) atomically into ``out_dir``; returns the paths written."""
    return _write_tables(results.tables(), out_dir)


def write_plan(plan: SamplingPlan, out_dir: str | Path, fieldwork: pd.DataFrame | None = None) -> list[Path]:
    """Write ``sample_size.csv``, ``allocation.csv`` and, when given, ``fieldwork.csv`` (the table of
    :func:`~csi_survey.methods.sampling.fieldwork_status`) atomically into ``out_dir`` (UTF-8 with
    BOM, formula-safe)."""
    tables = plan.tables()
    if fieldwork is not None:
        tables["fieldwork.csv"] = fieldwork
    return _write_tables(tables, out_dir)


def write_retention(out_dir: str | Path, rates: pd.DataFrame | None = None, care: CareEffect | None = None) -> list[Path]:
    """Write ``retention.csv`` (the table of :func:`~csi_survey.methods.retention.retention_rates`)
    and/or the tables of a :class:`~csi_survey.methods.retention.CareEffect` atomically into
    ``out_dir`` (UTF-8 with BOM, formula-safe)."""
    tables = {} if rates is None else {"retention.csv": rates}
    if care is not None:
        tables.update(care.tables())
    if not tables:
        raise SettingsError("write_retention() needs rates and/or care")
    return _write_tables(tables, out_dir)
