"""Generate the loyalty-and-retention example for 48 fictional tobacco retailers.

* ``retention_orders.csv``: ``retailer_id, quarter, order_amount`` — one row per order over six
  quarters (2025-Q1 … 2026-Q2), rows shuffled. 36 retailers are clients from the start and 12
  join later; a client orders in a quarter with probability 0.93 and leaves for good with
  probability 0.05 per quarter; 1–3 orders per active quarter.
* ``retention_care.csv``: ``retailer_id, 是否关怀 (是/否), 满意度_前, 满意度_后`` — 64 retailers,
  satisfaction (0–100) before and after a customer-manager care programme. Everybody gains
  +1 point; the retailers reached gain +6 more (the effect to recover). R2010 has no score after,
  R2031 none before.

Run ``python examples/methods/retention_make_example.py`` to rewrite the files (UTF-8 with BOM,
fixed seeds: the same files at every run). None of it is real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def main() -> None:
    rng = np.random.default_rng(20260711)
    rows = []
    for i in range(48):
        rid = f"R{2001 + i}"
        start = 0 if i < 36 else rng.integers(1, 5)
        for q in range(start, len(QUARTERS)):
            if q > start and rng.random() < 0.05:
                break  # the retailer leaves
            if rng.random() < 0.93:
                for _ in range(rng.integers(1, 4)):
                    rows.append({"retailer_id": rid, "quarter": QUARTERS[q], "order_amount": int(rng.integers(8, 60)) * 100})
    orders = pd.DataFrame(rows).sample(frac=1, random_state=1).reset_index(drop=True)
    orders.to_csv(HERE / "retention_orders.csv", index=False, encoding="utf-8-sig", lineterminator="\n")

    rng = np.random.default_rng(20260713)
    n = 64
    reached = rng.random(n) < 0.45
    before = np.clip(np.round(rng.normal(72, 10, n), 1), 0, 100)
    after = np.clip(np.round(before + 1.0 + 6.0 * reached + rng.normal(0, 5, n), 1), 0, 100)
    care = pd.DataFrame({"retailer_id": [f"R{2001 + i}" for i in range(n)], "是否关怀": np.where(reached, "是", "否"),
                         "满意度_前": before, "满意度_后": after})
    care.loc[9, "满意度_后"] = np.nan
    care.loc[30, "满意度_前"] = np.nan
    care.to_csv(HERE / "retention_care.csv", index=False, encoding="utf-8-sig", lineterminator="\n")


if __name__ == "__main__":
    main()
