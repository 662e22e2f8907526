"""The quarterly batch job: every wave × segment estimated, kept in a history, resumable, on any backend.

::

    >>> from csi_survey.batch import load_config, run_batch                     # doctest: +SKIP
    >>> result = run_batch(load_config("examples/batch/config.yaml"))          # doctest: +SKIP
    >>> result.history                                                         # doctest: +SKIP

``csi-survey batch CONFIG.yaml`` is the command-line front end (:mod:`csi_survey.cli`).

Config
------
A YAML file; paths are relative to the folder of the config file. Every problem is reported at
once (:class:`BatchConfigError`, with file and line)::

    model: model.yaml                  # the questionnaire spec (required)
    waves:                             # wave label → file, glob pattern, or a list of them (required)
      2026-Q1: data/q1.csv
      2026-Q2: data/q2.xlsx
      2026-Q3: data/q3_*.csv           # several files: concatenated (they must have the same columns)
    segments: [company, region]        # segment columns; every value of each column is one segment
    min_n: 50                          # segments with fewer respondents are skipped (status says why)
    bootstrap: {resamples: 200, seed: 1, level: 0.95, ci: percentile}
    out: out                           # output folder
    store: sqlite:///out/history.db    # history store: SQLAlchemy URL (relative SQLite path: from the config's folder)
    dask: tcp://scheduler:8786         # optional: run on a Dask cluster (same as --scheduler)
    on_invalid: error                  # error | exclude | flag (as `csi-survey run --on-invalid`)
    missing: mean                      # mean | listwise | model
    reports: false                     # true: report.xlsx, report.html and report.docx in every segment folder
    correction: holm                   # wave-change tests across the segments of a wave: holm | bh | none
    paired: false                      # true: changes of respondents matched by id_column across waves
                                       #       tested with the paired bootstrap (csi_survey.panel)
    rollup: {file: rollup.csv, segment: company}   # optional: roll-up of the members (csi_survey.rollup)
    # optional: scheme (path), max_iter (300), lang (en|zh), sheet (workbooks: name or number from 1),
    #           encoding (CSV), format (auto)

Waves are processed in natural order of their labels ("2026-Q2" before "2026-Q10"). Rows of
concatenated files are numbered as if the files were stacked under one header: the first file keeps
its row numbers, the next continues after the previous file's last row (``manifest.json`` lists
each file's first and last row), so every row number in ``excluded.csv``/``flags.csv`` is unique.
Each wave is read once (``read_table`` → ``prepare`` → the spec's survey weights, exactly as
:func:`~csi_survey.read_responses`): missing-value replacement, quality rules and raking use the
whole wave; each segment is then that wave's respondents of the segment.

Outputs (``out``)
-----------------
* ``<wave>/(total)/`` and ``<wave>/<column>=<value>/``: for each wave the whole sample and each
  segment, the tables of ``csi-survey run`` (``index.csv``, ``paths.csv``, …, ``run.json``,
  ``model.yaml``: a run folder that ``csi-survey report DIR`` renders), with ``report.xlsx`` and
  ``report.html`` only when ``reports: true`` (or ``--reports``). ``excluded.csv``, ``flags.csv``,
  ``missing.csv`` and ``data_quality.csv`` of a segment folder count the segment's own rows.
* ``index_history.csv``: one tidy table ``wave, segment, construct, index, ci_lower, ci_upper, n,
  status`` (``segment`` is ``"column=value"`` or ``"(total)"``), also written to the history store.
* ``segments.csv``: one row per wave × segment: folder, n, status, seed, task hash, warnings.
* ``overview.xlsx`` and ``overview.html``: segments ranked by the index construct in each wave
  (per segment column) with the change against the previous wave, and each segment's trend.
* ``manifest.json``: versions, settings, seeds, the hash of every input file and of every task.
* ``.cache/``: one small JSON record per finished task (delete it to force a full recomputation).
* ``.csi-survey-manifest.json`` in the output folder and in every segment folder: what the batch
  wrote there (:mod:`csi_survey.report.atomic`). A batch refuses, before any work, an output folder
  holding files csi-survey did not write or one of its own input files (``out: .`` beside the
  config); a file the manifests list is the batch's and is rebuilt when damaged. After a run the
  folder holds exactly that run's files: segment folders of waves or segments the batch no longer
  has are removed (only the files their manifests list), as is an earlier ``rollup.csv``.

Folder names
------------
``<column>=<value>`` and wave names are written as they are (Chinese and other letters included)
except: the characters ``/ \\ : * ? " < > | % =``, control and invisible format characters, a leading
``.`` or space and a trailing ``.`` or space are percent-encoded as UTF-8 (``Kite/Line`` →
``Kite%2FLine``, ``a=b`` → ``a%3Db``); Windows device names (``CON``, ``NUL``, ``COM1`` …) get their
first letter encoded; names longer than 120 bytes are cut and get ``~`` and 8 hex digits of a hash
of the full name; names that would be the same on a case-insensitive file system (``ACME`` and
``Acme``) both get the ``~hash`` suffix. The total is ``(total)`` (a segment folder always holds
``=``). ``segments.csv`` maps every wave × segment to its folder, so nobody needs to decode names.

Status and failures
-------------------
``status`` is ``"estimated"``, ``"insufficient sample (n = 37 < 50)"`` (skipped) or ``"failed:
<reason>"`` (no convergence, a singular matrix, an item without variance in the segment, an
unexpected error …). A failing segment never stops the batch. A wave whose files cannot be read
(or lack a segment column) is reported as failed, the other waves go on. :attr:`BatchResult.ok` is
False when any segment or wave failed or the store could not be written; the CLI then exits with
code 1 (0 when every segment was estimated or skipped for its sample size).

History store
-------------
:class:`csi_survey.batch.store.HistoryStore` (``store:``; SQLite by default, any SQLAlchemy URL): once every
task has finished, each wave's rows of ``index_history`` are written in one transaction that
replaces exactly that wave's rows. A wave that could not be read, or in which a segment failed
unexpectedly (an error that is retried by the next run), is not written: the store keeps that
wave's earlier rows, and :attr:`BatchResult.store_error` says so.

Resuming
--------
Each wave × segment is a *task* keyed by a SHA-256 hash of its data (the segment's respondents:
answers, weights, ids, other columns, its excluded rows and flags), the spec, the settings
(resamples, level, interval method, scheme, min_n, language), its seed and the csi-survey version.
When a task finishes, its folder is written atomically (a staging folder, then one rename per file)
and then its record ``.cache/<hash>.json`` (atomically), holding its status, its index rows and
the SHA-256 of every file of its folder. On the next run a task whose record exists and whose
folder still holds exactly those files is not recomputed; a task whose folder was deleted or
altered, or whose data, spec or settings changed, is. So a batch killed at any point and started
again finishes the remaining tasks only, and the combined outputs (written atomically at the end)
are the same as those of an uninterrupted run. Estimation failures are recorded like results (they
fail again the same way); unexpected errors are not, so they are retried. A lock file
(``out/.lock``) stops two batches from writing into the same folder at once.

Parallelism and reproducibility
-------------------------------
Tasks run in a local process pool (all cores by default, ``workers``), serially with ``workers=1``,
or on a Dask distributed cluster (``scheduler="tcp://host:8786"`` or ``dask:`` in the config;
optional dependency ``pip install 'csi-survey[dask]'``; the workers need the same csi-survey
version; the estimation is Python-bound: run several single-threaded worker processes,
``dask worker tcp://… --nworkers N --nthreads 1``). Small segments are packed together into work units of similar size (a
few dozen at most per unit) so that scheduling costs little. Local workers write the segment folders
themselves; with Dask the calling process writes them, so cluster workers need no access to the
output folder. Each task's bootstrap seed is derived from the
``bootstrap.seed`` and a hash of (wave, column, value), and every task runs with single-threaded
BLAS, so the numbers are identical whatever the backend, the number of workers, the packing, or the
other segments of the batch.

Modules
-------
* :mod:`csi_survey.batch.config`: the config (:func:`load_config`, :class:`BatchConfig`);
* :mod:`csi_survey.batch.folders`: names of the output folders and files, atomic writing, the lock;
* :mod:`csi_survey.batch.plan`: reading the waves, one unit per wave × segment with its data, seed
  and task key, packing units into work units;
* :mod:`csi_survey.batch.tasks`: what a worker computes (picklable work units);
* :mod:`csi_survey.batch.backends`: this process, a local process pool, or a Dask cluster;
* :mod:`csi_survey.batch.outputs`: task records, the combined tables, the store, the manifest and
  the overview (drawn by :mod:`csi_survey.report.overview`);
* :mod:`csi_survey.batch.runner`: :func:`run_batch`;
* :mod:`csi_survey.batch.store`: the history store (:class:`HistoryStore`).
"""

from __future__ import annotations

from ..ingest.columns import TOTAL_SEGMENT as TOTAL
from ..segments import ESTIMATED
from .config import BatchConfig, BatchConfigError, BootstrapConfig, load_config
from .folders import folder_name, folder_names
from .outputs import HISTORY_COLUMNS, SEGMENTS_COLUMNS
from .plan import unit_seed
from .runner import BatchProgress, BatchResult, Progress, run_batch
from .store import HistoryStore

__all__ = [
    "BatchConfig",
    "BatchConfigError",
    "BatchProgress",
    "BatchResult",
    "BootstrapConfig",
    "HistoryStore",
    "Progress",
    "load_config",
    "run_batch",
    "folder_name",
    "folder_names",
    "HISTORY_COLUMNS",
    "SEGMENTS_COLUMNS",
    "TOTAL",
    "ESTIMATED",
    "unit_seed",
]
