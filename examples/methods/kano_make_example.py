"""Generate ``kano_retail_service.csv``: KANO answers of 60 fictional retail clients (卷烟零售客户) of
a tobacco distributor on five service features, in Chinese (我喜欢 / 理所当然 / 无所谓 / 能忍受 / 我不喜欢).

Run ``python examples/methods/kano_make_example.py`` to rewrite the file (UTF-8 with BOM, fixed
seed: the same file at every run). Each respondent's category for a feature is drawn from the
shares below, then a pair of answers giving that category (Kano evaluation table). Two questions
are left unanswered (row 19, 网上订货_反向; row 44, 到货短信提醒_正向). None of it is real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ANSWERS = ["like", "must-be", "neutral", "live-with", "dislike"]
ZH = {"like": "我喜欢", "must-be": "理所当然", "neutral": "无所谓", "live-with": "能忍受", "dislike": "我不喜欢"}
ROWS = {"like": "QAAAO", "must-be": "RIIIM", "neutral": "RIIIM", "live-with": "RIIIM", "dislike": "RRRRQ"}
NAMES = dict(zip("AOMIRQ", ["attractive", "one_dimensional", "must_be", "indifferent", "reverse", "questionable"]))
# intended category shares per feature
FEATURES = [
    ("准时送货", {"must_be": .55, "one_dimensional": .2, "indifferent": .15, "attractive": .07, "questionable": .03}),
    ("网上订货", {"one_dimensional": .5, "must_be": .2, "attractive": .15, "indifferent": .15}),
    ("配送实时跟踪", {"attractive": .5, "indifferent": .25, "one_dimensional": .15, "must_be": .1}),
    ("到货短信提醒", {"indifferent": .5, "attractive": .25, "reverse": .1, "one_dimensional": .1, "must_be": .05}),
    ("客户经理上门拜访", {"attractive": .3, "one_dimensional": .3, "indifferent": .3, "must_be": .1}),
]


def main() -> None:
    rng = np.random.default_rng(20260708)
    cells: dict[str, list[tuple[str, str]]] = {}
    for f in ANSWERS:
        for j, d in enumerate(ANSWERS):
            cells.setdefault(NAMES[ROWS[f][j]], []).append((f, d))
    n = 60
    rows = {"编号": [f"LS{1001 + i}" for i in range(n)], "区域": rng.choice(["城区", "郊县"], n, p=[.6, .4])}
    for name, probs in FEATURES:
        cats = list(probs)
        p = np.array(list(probs.values()))
        p /= p.sum()
        functional, dysfunctional = [], []
        for _ in range(n):
            c = rng.choice(cats, p=p)
            f, d = cells[c][rng.integers(len(cells[c]))]
            functional.append(ZH[f])
            dysfunctional.append(ZH[d])
        rows[f"{name}_正向"] = functional
        rows[f"{name}_反向"] = dysfunctional
    frame = pd.DataFrame(rows)
    frame.loc[17, "网上订货_反向"] = None
    frame.loc[42, "到货短信提醒_正向"] = None
    frame.to_csv(HERE / "kano_retail_service.csv", index=False, encoding="utf-8-sig", lineterminator="\n")


if __name__ == "__main__":
    main()
