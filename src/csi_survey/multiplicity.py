"""Corrections of p values for multiple comparisons: Holm's step-down and Benjamini–Hochberg.

A quarterly report tests many changes and differences at once (every segment of a wave, every pair
of segments); without a correction, one test in twenty is "significant" at 5 % by chance alone.

- **Holm (1979)**, the default: controls the family-wise error rate (the chance of any false
  "significant") for any dependence between the tests. With the m p values sorted,
  p₍₁₎ ≤ … ≤ p₍ₘ₎: p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎).
- **Benjamini & Hochberg (1995)** (``"bh"``): controls the false discovery rate (the expected share
  of false discoveries among the "significant" ones), for independent or positively dependent
  tests: p̃₍ᵢ₎ = min_{j ≥ i} min(1, m p₍ⱼ₎ / j).
- ``"none"``: the p values as they are.

Missing p values (NaN: a test that could not be made) are left out of the family and stay NaN.
R equivalent: ``p.adjust(p, method = "holm" | "BH" | "none")``.

References: Holm, S. (1979), "A simple sequentially rejective multiple test procedure",
*Scandinavian Journal of Statistics* 6(2): 65–70. Benjamini, Y. & Hochberg, Y. (1995),
"Controlling the false discovery rate", *JRSS B* 57(1): 289–300.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .exceptions import SettingsError, check_choice

__all__ = ["CORRECTIONS", "adjust_p_values"]

#: The corrections :func:`adjust_p_values` knows.
CORRECTIONS = ("holm", "bh", "none")


def adjust_p_values(p_values: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """The p values of one family of tests adjusted for multiplicity (see the module docstring).

    >>> adjust_p_values([0.01, 0.04, 0.03, 0.20], "holm").round(3).tolist()
    [0.04, 0.09, 0.09, 0.2]
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.20], "bh").round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    method = str(method).lower()
    check_choice("method", method, CORRECTIONS)
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    finite = ~np.isnan(p)
    if ((p[finite] < 0) | (p[finite] > 1)).any():
        raise SettingsError(f"p values must lie between 0 and 1; got {p[finite][(p[finite] < 0) | (p[finite] > 1)][:3].tolist()}")
    out = np.full(p.shape, np.nan)
    q = p[finite]
    m = q.size
    if m == 0 or method == "none":
        out[finite] = q
        return out
    order = np.argsort(q, kind="stable")
    sorted_p = q[order]
    rank = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - rank + 1) * sorted_p))
    else:  # Benjamini–Hochberg
        adjusted = np.minimum.accumulate(np.minimum(1.0, m * sorted_p / rank)[::-1])[::-1]
    result = np.empty(m)
    result[order] = adjusted
    out[finite] = result
    return out
