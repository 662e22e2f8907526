"""Generate ``ahp_answers.csv``: five-level answers (非常满意 … 非常不满意) of 60 fictional pharmacy
customers to the seven satisfaction factors of ``ahp_pharmacy.yaml``.

Run ``python examples/methods/ahp_make_example.py`` to rewrite the file (UTF-8, fixed seed: the
same file at every run). About 5 % of the cells are empty (not answered). None of it is real data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FACTORS = ["品种齐全", "商品质量", "价格合理", "药品疗效", "推荐用药", "人员服务", "购物环境"]
LEVELS = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
# probabilities of the five levels per factor (best first)
PROBS = {
    "品种齐全": [0.30, 0.45, 0.15, 0.07, 0.03],
    "商品质量": [0.40, 0.45, 0.10, 0.05, 0.00],
    "价格合理": [0.10, 0.30, 0.35, 0.20, 0.05],
    "药品疗效": [0.35, 0.45, 0.15, 0.05, 0.00],
    "推荐用药": [0.25, 0.40, 0.25, 0.07, 0.03],
    "人员服务": [0.35, 0.40, 0.15, 0.07, 0.03],
    "购物环境": [0.30, 0.50, 0.15, 0.05, 0.00],
}


def main() -> None:
    rng = np.random.default_rng(8)
    rows = []
    for k in range(1, 61):
        row = [f"{k:03d}"]
        for f in FACTORS:
            row.append("" if rng.random() < 0.05 else LEVELS[int(rng.choice(5, p=PROBS[f]))])
        rows.append(row)
    with open(HERE / "ahp_answers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["编号", *FACTORS])
        w.writerows(rows)
    print(f"{len(rows)} respondents")


if __name__ == "__main__":
    main()
