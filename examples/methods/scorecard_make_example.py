"""Generate the scorecard worked example: a fictional pharmacy chain (康宁大药房), 6 stores, 25 staff.

Run ``python examples/methods/scorecard_make_example.py`` to rewrite the five CSV files beside this
script (UTF-8). The numbers are drawn with a fixed seed, so the files are identical at every run.
None of it is real data.

* ``scorecard_stores.csv`` — store_id, store_name, manager (王芳 manages two stores);
* ``scorecard_roster.csv`` — staff_id, staff_name, store_id;
* ``scorecard_survey.csv`` — one row per customer response: response_id, quarter (2026Q1/2026Q2),
  staff_id (empty for a response about the store as a whole), store_id and the seven perception
  indicators on 1–5 (an empty cell = not answered). E25 joined in Q2: no response in Q1;
* ``scorecard_mystery.csv`` — one row per mystery-shopper visit: visit_id, visit_date, store_id,
  staff_id (the staff member served; empty when not recorded) and six checklist items 是/否
  (empty = not applicable). 徐东店 (S06) has no visit in Q2;
* ``scorecard_complaints.csv`` — complaint_id, quarter, store_id, staff_id (empty: a complaint about
  the store), grade A/B/C and a description.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
INDICATORS = ["assortment", "environment", "recommendation", "efficacy", "service", "quality", "price"]
ITEMS = ["greeting", "inquiry", "advice", "contraindication", "checkout", "farewell"]
STORES = [
    ("S01", "人民路店", "王芳"),
    ("S02", "解放大道店", "王芳"),
    ("S03", "光谷店", "李强"),
    ("S04", "汉口火车站店", "张敏"),
    ("S05", "江汉路店", "刘洋"),
    ("S06", "徐东店", "陈静"),
]
SIZES = {"S01": 5, "S02": 4, "S03": 4, "S04": 4, "S05": 4, "S06": 4}
NAMES = ["赵磊", "钱丽", "孙浩", "李娜", "周杰", "吴敏", "郑涛", "王蕾", "冯军", "陈晨", "褚红", "卫东", "蒋欣",
         "沈洁", "韩冰", "杨帆", "朱琳", "秦勇", "尤佳", "许静", "何平", "吕婷", "施磊", "张悦", "孔明"]
LEVEL = {"S01": 0.3, "S02": 0.0, "S03": 0.5, "S04": -0.6, "S05": 0.1, "S06": -0.2}  # store quality


def _write(name: str, header: list[str], rows: list[list]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    rng = np.random.default_rng(20260401)
    _write("scorecard_stores.csv", ["store_id", "store_name", "manager"], [list(s) for s in STORES])
    roster = []
    k = 0
    for store, n in SIZES.items():
        for _ in range(n):
            roster.append([f"E{k + 1:02d}", NAMES[k], store])
            k += 1
    _write("scorecard_roster.csv", ["staff_id", "staff_name", "store_id"], roster)
    staff_level = {sid: LEVEL[st] + rng.normal(0, 0.35) for sid, _, st in roster}

    survey = []
    r = 0
    for quarter in ("2026Q1", "2026Q2"):
        for sid, _, st in roster:
            if sid == "E25" and quarter == "2026Q1":
                continue  # joined in Q2
            for _ in range(int(rng.integers(1, 5))):
                r += 1
                base = 4.0 + staff_level[sid]
                answers = np.clip(np.rint(base + rng.normal(0, 0.7, len(INDICATORS))), 1, 5).astype(int).tolist()
                if rng.random() < 0.15:
                    answers[int(rng.integers(len(INDICATORS)))] = ""  # not answered
                survey.append([f"R{r:03d}", quarter, sid, st, *answers])
        for st in ("S02", "S04"):  # responses about the store as a whole
            r += 1
            answers = np.clip(np.rint(4.0 + LEVEL[st] + rng.normal(0, 0.7, len(INDICATORS))), 1, 5).astype(int).tolist()
            survey.append([f"R{r:03d}", quarter, "", st, *answers])
    _write("scorecard_survey.csv", ["response_id", "quarter", "staff_id", "store_id", *INDICATORS], survey)

    visits = []
    v = 0
    dates = {"2026Q1": ["2026/1/14", "2026/2/11", "2026/3/18"], "2026Q2": ["2026/4/15", "2026/5/20", "2026/6/10"]}
    for quarter in ("2026Q1", "2026Q2"):
        for st, _, _ in STORES:
            n_visits = 0 if (st == "S06" and quarter == "2026Q2") else (2 if st == "S01" and quarter == "2026Q1" else 1)
            members = [s for s, _, x in roster if x == st]
            for _ in range(n_visits):
                v += 1
                p = 0.8 + LEVEL[st] / 3
                cells = ["是" if rng.random() < p else "否" for _ in ITEMS]
                if rng.random() < 0.3:
                    cells[ITEMS.index("contraindication")] = ""  # not applicable (no prescription drug asked for)
                served = "" if rng.random() < 0.3 else members[int(rng.integers(len(members)))]
                visits.append([f"V{v:02d}", dates[quarter][int(rng.integers(3))], st, served, *cells])
    _write("scorecard_mystery.csv", ["visit_id", "visit_date", "store_id", "staff_id", *ITEMS], visits)

    complaints = [
        ["C01", "2026Q1", "S04", "E15", "A", "态度生硬，拒绝解释用药"],
        ["C02", "2026Q1", "S04", "", "C", "店内排队时间长"],
        ["C03", "2026Q1", "S02", "E08", "B", "找零错误"],
        ["C04", "2026Q1", "S06", "E24", "C", "未主动询问症状"],
        ["C05", "2026Q2", "S04", "E15", "B", "推荐与病情无关的保健品"],
        ["C06", "2026Q2", "S05", "", "B", "药品陈列杂乱"],
        ["C07", "2026Q2", "S03", "E12", "C", "等候时间长"],
        ["C08", "2026Q2", "S01", "E02", "A", "发错药品规格"],
    ]
    _write("scorecard_complaints.csv", ["complaint_id", "quarter", "store_id", "staff_id", "grade", "description"], complaints)
    print(f"{len(roster)} staff, {len(survey)} responses, {len(visits)} visits, {len(complaints)} complaints")


if __name__ == "__main__":
    main()
