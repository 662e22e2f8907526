"""Side-by-side comparison of two fits of the same spec (e.g. PLS and CB-SEM).

Presentation-neutral: returns tidy tables; the CLI and the report writers show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .results import ModelResults

__all__ = ["EngineComparison", "compare_fits"]


@dataclass(frozen=True)
class EngineComparison:
    """Paths and indices of two fits side by side.

    ``paths``: ``source, target, <a>, <b>, difference`` (standardized coefficients);
    ``index``: ``construct, label, <a>, <b>, difference`` (0–100); ``r2`` likewise. Column names
    ``<a>``/``<b>`` are the engines' names (``pls``, ``cbsem``); difference = b − a.
    """

    paths: pd.DataFrame
    index: pd.DataFrame
    r2: pd.DataFrame
    names: tuple[str, str]


def compare_fits(a: ModelResults, b: ModelResults, names: tuple[str, str] | None = None) -> EngineComparison:
    """Compare two fits of the same questionnaire (paths, 0–100 indices and R²).

    >>> import csi_survey as csi, pandas as pd                     # doctest: +SKIP
    >>> spec = csi.load_model("examples/acsi_retail.yaml")            # doctest: +SKIP
    >>> data = csi.read_responses("examples/acsi_retail.xlsx", spec, on_invalid="exclude")  # doctest: +SKIP
    >>> compare_fits(csi.PLS(spec).fit(data), csi.CBSEM(spec).fit(data)).paths  # doctest: +SKIP
    """
    if a.model.construct_ids != b.model.construct_ids:
        raise ValueError("the two fits are of different questionnaires")
    na, nb = names or (a.engine, b.engine)
    if na == nb:
        na, nb = f"{na}_1", f"{nb}_2"

    def side(left: pd.DataFrame, right: pd.DataFrame, keys: list[str], value: str, extra: list[str] = ()) -> pd.DataFrame:
        out = left[keys + list(extra) + [value]].rename(columns={value: na})
        out = out.merge(right[keys + [value]].rename(columns={value: nb}), on=keys, how="left", sort=False)  # same spec: same rows, spec order
        out["difference"] = out[nb] - out[na]
        return out

    return EngineComparison(
        paths=side(a.paths, b.paths, ["source", "target"], "estimate"),
        index=side(a.index, b.index, ["construct"], "index", extra=["label"]),
        r2=side(a.r2, b.r2, ["construct"], "r2"),
        names=(na, nb),
    )
