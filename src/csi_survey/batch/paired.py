"""Paired wave changes of a batch (``paired: true``): the paired bootstrap of :mod:`csi_survey.panel`
for every segment estimated in two consecutive waves whose respondents share ids.

It runs after the wave × segment tasks, in this process, on the waves already read: each pair of a
segment's consecutive estimated waves is refitted on both waves' data and bootstrapped with the
panel members kept together. Its rows replace the independent-samples test of those changes in
``index_history.csv`` before the multiplicity correction (``change_pairing`` says which test a row
had). A pair whose ids are not unique within a wave keeps the independent test and is listed in
the manifest (``paired_changes.problems``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..changes import PAIRED_COLUMNS
from ..engine import PLS
from ..exceptions import CsiSurveyError
from ..ingest.columns import TOTAL_SEGMENT
from ..panel import paired_change
from ..segments import ESTIMATED, derived_seed
from .plan import Unit, Wave, segment_data
from .tasks import Settings, one_line

__all__ = ["paired_history"]


def paired_history(waves: list[Wave], units: list[Unit], records: dict, spec: Any, settings: Settings,
                   progress: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, dict]:
    """The paired changes of every segment (``PAIRED_COLUMNS`` of :mod:`csi_survey.changes`) and a
    summary for the manifest: pairs tried, pairs paired, problems (wave, segment, problem)."""
    order = [w.label for w in waves if not w.error]
    by_label = {w.label: w for w in waves}
    series: dict[tuple[str, str], dict[str, Unit]] = {}
    for unit in units:
        record = records.get(unit.key)
        if record is not None and record.get("status") == ESTIMATED:
            series.setdefault((unit.column, unit.value), {})[unit.wave] = unit
    jobs = []
    for (column, value), by_wave in series.items():
        estimated = [w for w in order if w in by_wave]
        jobs += [(column, value, by_wave[a], by_wave[b]) for a, b in zip(estimated, estimated[1:])]
    engine = PLS(spec, scheme=settings.scheme, max_iter=settings.max_iter)
    parts: list[pd.DataFrame] = []
    problems: list[dict] = []
    for k, (column, value, prev, cur) in enumerate(jobs):
        segment = TOTAL_SEGMENT if not column else f"{column}={value}"
        try:
            before, after = segment_data(by_label[prev.wave], prev), segment_data(by_label[cur.wave], cur)
            res = paired_change(engine, before, after, resamples=settings.resamples, level=settings.level,
                                seed=derived_seed(settings.seed, "paired", cur.wave, prev.wave, column, value),
                                labels=(prev.wave, cur.wave))
        except CsiSurveyError as error:
            problems.append({"wave": cur.wave, "segment": segment, "problem": one_line(str(error))})
        else:
            if res.n_matched:
                parts.append(res.table.assign(wave=cur.wave, previous_wave=prev.wave, segment=segment,
                                              n_matched=res.n_matched))
        if progress is not None:
            progress(k + 1, len(jobs))
    table = (pd.concat(parts, ignore_index=True)[[*PAIRED_COLUMNS, "n_matched"]] if parts
             else pd.DataFrame({c: pd.Series(dtype=object if c in ("wave", "previous_wave", "segment", "construct") else np.float64)
                                for c in [*PAIRED_COLUMNS, "n_matched"]}))
    summary = {"pairs": len(jobs), "paired": len(parts), "problems": problems}
    return table, summary
