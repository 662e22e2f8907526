"""Generate the bundled example data of csi-survey (run: ``python examples/make_examples.py``).

Writes, next to this script:

* ``acsi_retail.yaml`` + ``acsi_retail.xlsx`` — the 2026-Q3 wave of a (fictitious) retail chain's
  customer-satisfaction survey, 506 respondents, ACSI questionnaire (1–10 scales), as a survey
  platform would export it (sheet ``Responses``; a ``Notes`` sheet describes the survey).
* ``acsi_retail_zh.yaml`` + ``acsi_retail_zh.csv`` — the same kind of survey with Chinese labels,
  item names and column headers, 312 respondents, the CSV saved in GBK as Chinese Excel does.

Simulation
----------
1. **Latent scores** follow the ACSI structural model (Fornell et al. 1996) with standardized paths
   EXP→PQ 0.55, EXP→PV 0.10, PQ→PV 0.55, EXP→SAT 0.10, PQ→SAT 0.50, PV→SAT 0.25,
   SAT→COMP −0.30, SAT→LOY 0.60, COMP→LOY −0.10. Each construct is the weighted sum of its
   predecessors plus a normal disturbance whose variance makes the construct's variance 1.
   Segment effects are added to the disturbances (so they propagate down the model): one region
   is clearly worse (perceived quality −0.6 SD, satisfaction −0.3 SD), the online channel has
   slightly lower quality (−0.1 SD) and slightly better value (+0.1 SD).
2. **Items** are ``loading × latent + sqrt(1 − loading²) × noise + item offset`` with loadings
   0.70–0.90 (standardized reflective measurement model). The offset makes e.g. price and
   price-tolerance items lower than the quality items, as in real ACSI data.
3. **Response scale**: a standardized item score ``z`` becomes ``11 − exp(1.05 − 0.55·z)``, rounded
   and clipped to 1–10. That is a left-skewed distribution that clusters at 7–9 (mean ≈ 7.5,
   ~10 % answer 10, few answers below 4), as customer-satisfaction answers do. The reverse-coded
   item ``pq_problems`` ("how often did things go wrong", 1 = never … 10 = very often) is
   ``11 − score`` of a quality item. The complaint item is 2 (complained) when the COMP latent is in
   its top 12 %, else 1, so complaints are more frequent among the dissatisfied. The NPS item
   (0–10, not part of any construct) is mapped from a loyalty-driven score the same way.
4. **Data problems** are planted at fixed respondents (see ``EN_PLANTED`` / ``ZH_PLANTED``) and
   random cells: "don't know" (98) and "refused" (99) codes, one respondent with 99 for every
   satisfaction item, invalid cells (text, out of range), genuinely empty cells, an empty row
   (xlsx only) and comments that start with ``=``, ``+``, ``-`` or ``@`` (formula injection).
   Every other respondent keeps at least one valid answer for every construct, so the only
   respondent without a score for a construct is the planted one. The Excel row numbers of the
   planted problems (header = row 1) are printed when the script runs and written into the
   ``Notes`` sheet; ``README.md`` lists them.

Everything is drawn from ``numpy.random.default_rng`` with fixed seeds, and the xlsx is saved with
fixed document-property dates and zip-entry timestamps, so re-running the script reproduces the
files byte for byte (with the same numpy/openpyxl/zlib).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from statistics import NormalDist

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

HERE = Path(__file__).resolve().parent
SEED_EN = 20260930
SEED_ZH = 20260931
#: Document-property dates and zip-entry timestamps of the xlsx (keeps the file byte-stable).
FIXED_TIME = dt.datetime(2026, 10, 5, 9, 0, 0)

# ============================================================================ model
CONSTRUCTS = ["EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
PATHS = [
    ("EXP", "PQ", 0.55),
    ("EXP", "PV", 0.10),
    ("EXP", "SAT", 0.10),
    ("PQ", "PV", 0.55),
    ("PQ", "SAT", 0.50),
    ("PV", "SAT", 0.25),
    ("SAT", "COMP", -0.30),
    ("SAT", "LOY", 0.60),
    ("COMP", "LOY", -0.10),
]
#: Generic item key → (construct, loading, offset in SD units). comp_complained is binary.
ITEMS = {
    "exp_overall": ("EXP", 0.85, 0.00),
    "exp_custom": ("EXP", 0.80, -0.10),
    "exp_reliab": ("EXP", 0.75, 0.05),
    "pq_overall": ("PQ", 0.90, 0.15),
    "pq_custom": ("PQ", 0.82, 0.00),
    "pq_reliab": ("PQ", 0.80, 0.10),
    "pq_problems": ("PQ", 0.70, 0.25),  # stored reverse-coded: 1 = never went wrong
    "pv_price_given_q": ("PV", 0.88, -0.45),
    "pv_q_given_price": ("PV", 0.85, -0.20),
    "sat_overall": ("SAT", 0.90, 0.05),
    "sat_confirm": ("SAT", 0.82, -0.15),
    "sat_ideal": ("SAT", 0.80, -0.30),
    "comp_complained": ("COMP", 1.00, 0.00),
    "loy_repurchase": ("LOY", 0.88, 0.20),
    "loy_price_tol": ("LOY", 0.72, -0.60),
}
REVERSED = {"pq_problems"}
COMPLAINT_RATE = 0.12
SKEW_MU, SKEW_SIGMA = 1.05, 0.55

#: Relative "don't know" (98) rates per item; scaled to the survey's overall rate.
DK_WEIGHT = {
    "exp_overall": 1.2, "exp_custom": 1.2, "exp_reliab": 1.2,
    "pq_overall": 0.6, "pq_custom": 0.7, "pq_reliab": 0.7, "pq_problems": 1.0,
    "pv_price_given_q": 1.7, "pv_q_given_price": 1.7,
    "sat_overall": 0.4, "sat_confirm": 0.6, "sat_ideal": 0.6,
    "comp_complained": 0.0,  # single-item construct: a DK would leave COMP without an answer
    "loy_repurchase": 0.7, "loy_price_tol": 2.4,
}


def _latent_scores(rng: np.random.Generator, shifts: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Latent scores of the ACSI model, unit variance before the segment shifts."""
    cov: dict[tuple[str, str], float] = {}
    eta: dict[str, np.ndarray] = {}
    for c in CONSTRUCTS:
        preds = [(s, b) for s, t, b in PATHS if t == c]
        explained = sum(b1 * b2 * cov[s1, s2] for s1, b1 in preds for s2, b2 in preds)
        noise = np.sqrt(1.0 - explained) * rng.standard_normal(n)
        eta[c] = sum((b * eta[s] for s, b in preds), np.zeros(n)) + noise + shifts.get(c, 0.0)
        cov[c, c] = 1.0
        for k in list(eta)[:-1]:
            cov[c, k] = cov[k, c] = sum(b * cov[s, k] for s, b in preds)
    return eta


def _to_scale(z: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Left-skewed mapping of a standardized score onto the integer scale lo..hi."""
    y = hi + 1 - np.exp(SKEW_MU - SKEW_SIGMA * z)
    return np.clip(np.rint(y), lo, hi).astype(int)


def simulate(rng: np.random.Generator, n: int, pq_shift: np.ndarray, sat_shift: np.ndarray,
             pv_shift: np.ndarray) -> dict[str, np.ndarray]:
    """Item answers (generic keys of ITEMS plus ``nps``) of n respondents, before any data problem."""
    eta = _latent_scores(rng, {"PQ": pq_shift, "SAT": sat_shift, "PV": pv_shift}, n)
    out: dict[str, np.ndarray] = {}
    for key, (c, loading, offset) in ITEMS.items():
        z = loading * eta[c] + np.sqrt(1 - loading**2) * rng.standard_normal(n) + offset
        if key == "comp_complained":
            out[key] = np.where(eta[c] > NormalDist().inv_cdf(1 - COMPLAINT_RATE), 2, 1)
        elif key in REVERSED:
            out[key] = 11 - _to_scale(z, 1, 10)
        else:
            out[key] = _to_scale(z, 1, 10)
    out["nps"] = _to_scale(0.85 * eta["LOY"] + np.sqrt(1 - 0.85**2) * rng.standard_normal(n), 0, 10)
    return out


# ============================================================================ data problems
def _construct_items(item_cols: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, col in item_cols.items():
        groups.setdefault(ITEMS[key][0], []).append(col)
    return groups


def _is_valid(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and 1 <= v <= 10


def _has_other_valid(values: dict[str, list], groups: dict[str, list[str]], col: str, i: int) -> bool:
    """True when respondent i has a valid answer on another item of col's construct."""
    group = next(g for g in groups.values() if col in g)
    return any(_is_valid(values[c][i]) for c in group if c != col)


def plant_codes(rng: np.random.Generator, values: dict[str, list], item_cols: dict[str, str], protected: set[int],
                dk_rate: float, n_refused: int, n_empty: int) -> dict[str, list[tuple[str, int]]]:
    """Overlay 98 / 99 / empty cells; keep ≥ 1 valid answer per construct for every respondent.

    Returns the (column, respondent index) of each planted code, by kind.
    """
    n = len(next(iter(values.values())))
    groups = _construct_items(item_cols)
    mean_w = float(np.mean(list(DK_WEIGHT.values())))
    planted: dict[str, list[tuple[str, int]]] = {"98": [], "99": [], "empty": []}
    for key, col in item_cols.items():
        hit = rng.random(n) < dk_rate * DK_WEIGHT[key] / mean_w
        for i in np.flatnonzero(hit):
            if i not in protected and _has_other_valid(values, groups, col, i):
                values[col][i] = 98
                planted["98"].append((col, int(i)))
    eligible = [col for key, col in item_cols.items() if DK_WEIGHT[key] > 0]
    for kind, count, code in (("99", n_refused, 99), ("empty", n_empty, None)):
        while len(planted[kind]) < count:
            col = eligible[int(rng.integers(len(eligible)))]
            i = int(rng.integers(n))
            if i in protected or not _is_valid(values[col][i]) or not _has_other_valid(values, groups, col, i):
                continue
            values[col][i] = code
            planted[kind].append((col, i))
        planted[kind].sort(key=lambda p: (p[1], p[0]))
    return planted


# ============================================================================ English xlsx
EN_N = 506
EN_REGIONS = {  # region: (share, stores, PQ shift, SAT shift)
    "North": (0.36, ["Northgate Mall", "Lakeside", "Millbrook", "Harbor Point"], 0.00, 0.00),
    "South": (0.27, ["Riverside", "Oak Park", "Southfield"], 0.05, 0.05),
    "East": (0.22, ["Eastgate", "Kingsbridge", "Old Town"], -0.60, -0.30),
    "West": (0.15, ["Westfield", "Canyon Road"], 0.10, 0.00),
}
EN_ONLINE_SHARE = 0.30
EN_COMMENT_RATE = 0.08

#: Respondent index (0-based, in file order) of each planted problem.
EN_PLANTED = {
    "ten": 35,          # sat_overall typed as the word "ten"
    "all99_sat": 118,   # 99 (refused) in all three satisfaction items
    "blank_before": 241,  # an empty row sits right before this respondent
    "eleven": 302,      # 11 in pq_overall (scale 1–10)
    "zero": 447,        # 0 in loy_repurchase (scale 1–10)
}
EN_SPECIAL_COMMENTS = {
    77: '=HYPERLINK("http://x","click")',
    164: "+1 for the new self-checkout, much faster",
    401: "-- staff at the checkout were rude, will not come back",
    489: "@Brightway your app keeps logging me out",
    213: "Parking was full again.\nHad to circle for 15 minutes before I could even get in.",
}
EN_COMMENTS_GOOD = [
    "Friendly staff, found everything I needed.",
    "Great selection and the store was very clean.",
    "Quick checkout, no queue at all.",
    "Love the loyalty app discounts.",
    "The online order arrived a day early, thanks!",
    "Always a pleasant experience, keep it up.",
    "Helpful staff in the garden section.",
]
EN_COMMENTS_MID = [
    "OK overall but prices went up again.",
    "Fine, although the shelves were half empty in the afternoon.",
    "Decent, but the self-checkout machines often need staff help.",
    "Good products, a bit expensive compared to the competition.",
    "Delivery slot was changed twice, otherwise fine.",
]
EN_COMMENTS_BAD = [
    "Waited 20 minutes at the till, only one checkout open.",
    "Item out of stock again, third time this month.",
    "Online order arrived damaged and the refund took two weeks.",
    "Staff could not answer a simple question about the warranty.",
    "Prices on the shelf did not match the till.",
    "Nobody answered the customer service line.",
]

EN_ITEM_TEXT = {
    "exp_overall": "Before your most recent visit or order, what were your expectations of the overall "
                   "quality of Brightway? (1 = very low, 10 = very high)",
    "exp_custom": "Before your most recent visit or order, how well did you expect Brightway to meet your "
                  "personal requirements? (1 = not at all, 10 = completely)",
    "exp_reliab": "Before your most recent visit or order, how reliable did you expect Brightway to be? "
                  "(1 = not at all reliable, 10 = completely reliable)",
    "pq_overall": "How would you rate the overall quality of Brightway's products and service? "
                  "(1 = very poor, 10 = excellent)",
    "pq_custom": "How well did Brightway meet your personal requirements? (1 = not at all, 10 = completely)",
    "pq_reliab": "How reliable was Brightway on this visit or order? (1 = not at all reliable, "
                 "10 = completely reliable)",
    "pq_problems": "How often did things go wrong during your visit or order (out-of-stock items, "
                   "errors at the till, late delivery)? (1 = never, 10 = very often)",
    "pv_price_given_q": "Given the quality of the products and service, how would you rate the prices you "
                        "paid? (1 = very poor value, 10 = very good value)",
    "pv_q_given_price": "Given the prices you paid, how would you rate the quality of the products and "
                        "service? (1 = very poor, 10 = very good)",
    "sat_overall": "Considering all your experiences with Brightway, how satisfied are you overall? "
                   "(1 = very dissatisfied, 10 = very satisfied)",
    "sat_confirm": "To what extent has Brightway fallen short of or exceeded your expectations? "
                   "(1 = fallen far short, 10 = greatly exceeded)",
    "sat_ideal": "Imagine an ideal store. How close does Brightway come to that ideal? "
                 "(1 = very far from ideal, 10 = very close to ideal)",
    "comp_complained": "In the past three months, have you complained to Brightway staff or customer "
                       "service? (1 = no, did not complain, 2 = yes, complained)",
    "loy_repurchase": "How likely are you to shop at Brightway again in the next three months? "
                      "(1 = very unlikely, 10 = very likely)",
    "loy_price_tol": "If Brightway raised its prices by 5 %, how likely would you still be to shop there? "
                     "(1 = very unlikely, 10 = very likely)",
}
EN_NPS_TEXT = ("How likely are you to recommend Brightway to a friend or colleague? "
               "(0 = not at all likely, 10 = extremely likely)")


def _segments(rng: np.random.Generator, n: int, regions: dict, online_share: float):
    names = list(regions)
    shares = np.array([regions[r][0] for r in names])
    region = rng.choice(len(names), size=n, p=shares / shares.sum())
    store = [regions[names[r]][1][int(rng.integers(len(regions[names[r]][1])))] for r in region]
    online = rng.random(n) < online_share
    pq_shift = np.array([regions[names[r]][2] for r in region]) - 0.10 * online
    sat_shift = np.array([regions[names[r]][3] for r in region])
    pv_shift = 0.10 * online
    days = np.sort(rng.integers(0, 92, size=n))  # 2026-07-01 … 2026-09-30
    dates = [dt.date(2026, 7, 1) + dt.timedelta(days=int(d)) for d in days]
    return [names[r] for r in region], store, online, dates, pq_shift, sat_shift, pv_shift


def _comments(rng, sat: np.ndarray, rate: float, good: list, mid: list, bad: list) -> list:
    out: list = [None] * len(sat)
    for i in np.flatnonzero(rng.random(len(sat)) < rate):
        pool = good if sat[i] >= 8 else bad if sat[i] <= 5 else mid
        out[i] = pool[int(rng.integers(len(pool)))]
    return out


def build_en() -> dict:
    rng = np.random.default_rng(SEED_EN)
    region, store, online, dates, pq_shift, sat_shift, pv_shift = _segments(rng, EN_N, EN_REGIONS, EN_ONLINE_SHARE)
    sim = simulate(rng, EN_N, pq_shift, sat_shift, pv_shift)
    item_cols = {k: k for k in ITEMS}
    values = {col: [int(v) for v in sim[key]] for key, col in item_cols.items()}
    comments = _comments(rng, sim["sat_overall"], EN_COMMENT_RATE, EN_COMMENTS_GOOD, EN_COMMENTS_MID, EN_COMMENTS_BAD)
    for i, text in EN_SPECIAL_COMMENTS.items():
        comments[i] = text
    protected = {EN_PLANTED[k] for k in ("ten", "all99_sat", "eleven", "zero")}
    codes = plant_codes(rng, values, item_cols, protected, dk_rate=0.03, n_refused=8, n_empty=6)
    for col in ("sat_overall", "sat_confirm", "sat_ideal"):
        values[col][EN_PLANTED["all99_sat"]] = 99
    values["sat_overall"][EN_PLANTED["ten"]] = "ten"
    values["pq_overall"][EN_PLANTED["eleven"]] = 11
    values["loy_repurchase"][EN_PLANTED["zero"]] = 0

    columns = ["respondent_id", "interview_date", "region", "store", "channel", *item_cols.values(),
               "nps_recommend", "comment"]
    records = []
    for i in range(EN_N):
        records.append([f"R{i + 1:05d}", dates[i], region[i], store[i], "online" if online[i] else "in-store",
                        *(values[c][i] for c in item_cols.values()), int(sim["nps"][i]), comments[i]])
    blank = EN_PLANTED["blank_before"]

    def row_of(i: int) -> int:  # Excel row of respondent i (header = row 1)
        return i + 2 + (1 if i >= blank else 0)

    return dict(columns=columns, records=records, values=values, sim=sim, codes=codes, row_of=row_of,
                region=region, comments=comments, blank_row=blank + 2)


def _problem_table_en(d: dict) -> list[tuple]:
    """(Excel row, respondent id, column, value, expected handling) of every planted problem."""
    row_of, rid = d["row_of"], (lambda i: f"R{i + 1:05d}")
    p = EN_PLANTED
    rows = [
        (row_of(p["ten"]), rid(p["ten"]), "sat_overall", "ten",
         "not a number → invalid: an error, or the respondent is excluded with on_invalid='exclude'"),
        (row_of(p["all99_sat"]), rid(p["all99_sat"]), "sat_overall, sat_confirm, sat_ideal", "99, 99, 99",
         "refused all SAT items → no valid answer for the index construct: respondent excluded"),
        (d["blank_row"], "", "(all)", "(empty row)", "completely empty row between respondents: skipped, not a respondent"),
        (row_of(p["eleven"]), rid(p["eleven"]), "pq_overall", "11",
         "out of range 1–10 → invalid: an error, or the respondent is excluded with on_invalid='exclude'"),
        (row_of(p["zero"]), rid(p["zero"]), "loy_repurchase", "0",
         "out of range 1–10 (0 is not a missing code here) → invalid: an error, or excluded with on_invalid='exclude'"),
    ]
    for col, i in d["codes"]["99"]:
        rows.append((row_of(i), rid(i), col, "99", "refused → missing value; respondent kept"))
    for col, i in d["codes"]["empty"]:
        rows.append((row_of(i), rid(i), col, "(empty cell)", "skipped question → missing value; respondent kept"))
    for i in sorted(EN_SPECIAL_COMMENTS):
        text = EN_SPECIAL_COMMENTS[i]
        what = ("multi-line free text; plain text" if "\n" in text else
                f"free text starting with {text[0]!r} → must stay text; escape in CSV/Excel reports (formula injection)")
        rows.append((row_of(i), rid(i), "comment", text.replace("\n", "\\n"), what))
    return sorted(rows, key=lambda r: r[0])


def write_en(d: dict) -> list[tuple]:
    problems = _problem_table_en(d)
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(d["columns"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    blank = EN_PLANTED["blank_before"]
    for i, rec in enumerate(d["records"]):
        if i == blank:
            ws.append([])  # the planted empty row
        ws.append(rec)
    comment_col = d["columns"].index("comment") + 1
    date_col = d["columns"].index("interview_date") + 1
    for row in ws.iter_rows(min_row=2):
        if len(row) >= comment_col and row[comment_col - 1].value is not None:
            cell = row[comment_col - 1]
            cell.data_type = "s"  # keep "=HYPERLINK(...)" a text cell, not a formula
            if "\n" in str(cell.value):
                cell.alignment = Alignment(wrap_text=True)
        if len(row) >= date_col and row[date_col - 1].value is not None:
            row[date_col - 1].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "B2"
    widths = {"respondent_id": 14, "interview_date": 14, "region": 9, "store": 16, "channel": 10, "comment": 60}
    for k, col in enumerate(d["columns"], start=1):
        ws.column_dimensions[get_column_letter(k)].width = widths.get(col, max(8, len(col) + 2))

    notes = wb.create_sheet("Notes")
    sat = np.array([v for v in d["values"]["sat_overall"] if _is_valid(v)])
    lines: list[list] = [
        ["Brightway Stores — customer satisfaction survey, 2026-Q3 (SIMULATED example data of csi-survey)"],
        [],
        ["Fieldwork", "2026-07-01 to 2026-09-30, telephone and web interviews of recent customers"],
        ["Respondents", f"{EN_N} (one row each in sheet Responses; row 1 = column headers)"],
        ["Questionnaire", "American Customer Satisfaction Index (ACSI); spec: acsi_retail.yaml"],
        ["Scale", "1–10 for every item except comp_complained (1 = no, 2 = yes) and nps_recommend (0–10)"],
        ["Missing codes", "98 = don't know, 99 = refused; an empty cell = question skipped"],
        ["Reverse-coded", "pq_problems (1 = things never went wrong … 10 = very often): flip before analysis"],
        ["Not in the model", "nps_recommend (Net Promoter question, 0–10) and comment (free text)"],
        ["Segments", "region (North, South, East, West), store (12 stores), channel (in-store / online; "
                     "online orders are assigned to the fulfilling store)"],
        ["Generated by", "examples/make_examples.py (fixed seed; see its docstring for the simulation)"],
        ["Mean sat_overall", f"{sat.mean():.2f} (valid answers)"],
        [],
        ["Column", "Question"],
        ["respondent_id", "Respondent identifier"],
        ["interview_date", "Date of the interview"],
        ["region", "Sales region of the store"],
        ["store", "Store visited (or fulfilling the online order)"],
        ["channel", "in-store = visit to a store, online = web/app order"],
        *[[col, EN_ITEM_TEXT[col]] for col in ITEMS],
        ["nps_recommend", EN_NPS_TEXT],
        ["comment", "Is there anything else you would like to tell us? (free text, optional)"],
        [],
        ["Planted data problems (for testing the import); Excel row numbers, header = row 1"],
        ["Excel row", "Respondent", "Column", "Value", "Expected handling"],
        *[list(r) for r in problems],
        ["(many)", "", "item columns", "98",
         f"{len(d['codes']['98'])} 'don't know' cells (≈3 % of item cells) → missing values; respondents kept"],
    ]
    for line in lines:
        notes.append(line)
    notes["A1"].font = Font(bold=True, size=12)
    for header in ("Column", "Excel row"):
        hdr = next(k for k, line in enumerate(lines, start=1) if line and line[0] == header)
        for cell in notes[hdr]:
            cell.font = Font(bold=True)
    notes[f"A{hdr - 1}"].font = Font(bold=True)
    for row in notes.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    notes.column_dimensions["C"].width = 36
    notes.column_dimensions["D"].width = 34
    notes.column_dimensions["E"].width = 90

    _save_stable(wb, HERE / "acsi_retail.xlsx")
    return problems


def _save_stable(wb: Workbook, path: Path) -> None:
    """Save an openpyxl workbook with fixed dates so that re-running gives identical bytes."""
    wb.properties.creator = "csi-survey examples"
    wb.properties.lastModifiedBy = "csi-survey examples"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps "modified" with the current time: core.xml is rewritten below
    wb.properties.modified = FIXED_TIME
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


def write_en_yaml() -> None:
    def item(key: str, reverse: bool = False) -> str:
        rev = ", reverse: true" if reverse else ""
        return f"      - {{id: {key}, text: {_yaml_str(EN_ITEM_TEXT[key])}{rev}}}\n"

    labels = {"EXP": "Customer expectations", "PQ": "Perceived quality", "PV": "Perceived value",
              "SAT": "Customer satisfaction", "COMP": "Complaints", "LOY": "Customer loyalty"}
    text = (
        "# Questionnaire spec of examples/acsi_retail.xlsx (Brightway Stores, 2026-Q3; simulated data).\n"
        "# The built-in ACSI template (csi-survey template acsi) adapted to this export.\n"
        "# Generated by examples/make_examples.py — edit the script, not this file.\n"
        "name: Retail ACSI 2026-Q3\n"
        "scale: {min: 1, max: 10}          # default for every item\n"
        "missing_codes: [98, 99]           # 98 = don't know, 99 = refused\n"
        "id_column: respondent_id\n"
        "index: SAT\n"
        "constructs:\n"
    )
    for c in CONSTRUCTS:
        text += f"  {c}:\n    label: {labels[c]}\n"
        if c == "COMP":
            text += "    scale: {min: 1, max: 2}        # 1 = did not complain, 2 = complained\n"
        text += "    items:\n"
        for key, (cc, _, _) in ITEMS.items():
            if cc == c:
                text += item(key, reverse=key in REVERSED)
    text += "# nps_recommend (0–10) and comment are columns of the export but not part of any construct.\n"
    text += "paths:\n" + "".join(f"  - [{s}, {t}]\n" for s, t in _template_paths())
    text += (
        "# Driver analysis\n"
        "targets: [SAT, LOY]               # constructs whose drivers are analysed (impacts, IPMA)\n"
        "nps_item: nps_recommend           # 0–10 likelihood to recommend → Net Promoter Score\n"
        "csat_item: sat_overall            # top-2-box share of overall satisfaction (CSAT)\n"
        "gaps:                             # expectation vs experience, same wording before and after\n"
        "  - {expected: exp_overall, experienced: pq_overall, label: Overall quality}\n"
        "  - {expected: exp_custom, experienced: pq_custom, label: Meeting personal requirements}\n"
        "  - {expected: exp_reliab, experienced: pq_reliab, label: Reliability}\n"
    )
    (HERE / "acsi_retail.yaml").write_text(text, encoding="utf-8", newline="\n")


def _template_paths() -> list[tuple[str, str]]:
    # The template's path order (EXP→PQ, EXP→PV, EXP→SAT, PQ→PV, PQ→SAT, PV→SAT, SAT→COMP, SAT→LOY, COMP→LOY).
    return [(s, t) for s, t, _ in PATHS]


# ============================================================================ Chinese CSV (GBK)
ZH_N = 312
ZH_REGIONS = {
    "华东": (0.40, ["上海徐家汇店", "上海五角场店", "杭州西湖店", "南京新街口店", "苏州观前店"], 0.00, 0.00),
    "华南": (0.25, ["广州天河店", "深圳福田店", "厦门中山路店"], 0.05, 0.05),
    "华北": (0.22, ["北京朝阳店", "北京海淀店", "天津和平店"], -0.60, -0.30),
    "西南": (0.13, ["成都春熙路店"], 0.10, 0.00),
}
ZH_COLUMNS = {  # generic key → Chinese column header (= item id in the YAML)
    "exp_overall": "期望_总体",
    "exp_custom": "期望_个性化",
    "exp_reliab": "期望_可靠性",
    "pq_overall": "质量_总体",
    "pq_custom": "质量_个性化",
    "pq_reliab": "质量_可靠性",
    "pq_problems": "质量_出错频率",
    "pv_price_given_q": "价值_价格",
    "pv_q_given_price": "价值_质量",
    "sat_overall": "满意_总体",
    "sat_confirm": "满意_期望比较",
    "sat_ideal": "满意_理想比较",
    "comp_complained": "抱怨_是否抱怨",
    "loy_repurchase": "忠诚_再次购买",
    "loy_price_tol": "忠诚_价格容忍",
}
ZH_ITEM_TEXT = {
    "exp_overall": "在本次购物之前，您对本店整体质量的期望如何？（1 = 非常低，10 = 非常高）",
    "exp_custom": "在本次购物之前，您期望本店能在多大程度上满足您的个人需求？（1 = 完全不能，10 = 完全能够）",
    "exp_reliab": "在本次购物之前，您期望本店的服务有多可靠？（1 = 非常不可靠，10 = 非常可靠）",
    "pq_overall": "您如何评价本店商品和服务的整体质量？（1 = 非常差，10 = 非常好）",
    "pq_custom": "本店在多大程度上满足了您的个人需求？（1 = 完全没有，10 = 完全满足）",
    "pq_reliab": "本次购物中本店的服务有多可靠？（1 = 非常不可靠，10 = 非常可靠）",
    "pq_problems": "本次购物中出现问题（缺货、收银错误、配送延误等）的频率如何？（1 = 从未出现，10 = 经常出现）",
    "pv_price_given_q": "考虑到商品和服务的质量，您如何评价所支付的价格？（1 = 非常不划算，10 = 非常划算）",
    "pv_q_given_price": "考虑到所支付的价格，您如何评价商品和服务的质量？（1 = 非常差，10 = 非常好）",
    "sat_overall": "综合您在本店的所有购物经历，您的总体满意程度如何？（1 = 非常不满意，10 = 非常满意）",
    "sat_confirm": "本店的表现与您的期望相比如何？（1 = 远低于期望，10 = 远超期望）",
    "sat_ideal": "请设想一家理想的门店，本店与之相比有多接近？（1 = 相差很远，10 = 非常接近）",
    "comp_complained": "过去三个月内，您是否向本店员工或客服投诉过？（1 = 没有投诉，2 = 投诉过）",
    "loy_repurchase": "未来三个月内，您再次到本店购物的可能性有多大？（1 = 非常不可能，10 = 非常可能）",
    "loy_price_tol": "如果本店价格上涨5%，您仍会在本店购物的可能性有多大？（1 = 非常不可能，10 = 非常可能）",
}
ZH_LABELS = {"EXP": "顾客期望", "PQ": "感知质量", "PV": "感知价值", "SAT": "顾客满意度", "COMP": "顾客抱怨", "LOY": "顾客忠诚"}
ZH_PLANTED = {"invalid_text": 57}  # 满意_总体 = "很满意" (text instead of a number)
ZH_SPECIAL_COMMENTS = {  # respondent index: (comment, what it tests)
    23: ("=_= 排队太久了，收银台只开了两个",
         "free text starting with '=' → must stay text; escape in CSV/Excel reports (formula injection)"),
    140: ('店员说"明天到货",结果等了一个星期', "free text with quotes and a comma → CSV quoting"),
}
ZH_COMMENTS_GOOD = ["服务态度很好，环境干净。", "商品种类齐全，会员折扣很实惠。", "线上下单第二天就到了，很满意。", "店员很耐心地帮我找商品。"]
ZH_COMMENTS_MID = ["总体还行，就是价格又涨了。", "下午去的时候货架有点空。", "自助收银机经常需要店员帮忙。"]
ZH_COMMENTS_BAD = ["结账排队二十分钟。", "想买的商品又缺货了。", "网购商品收到时已损坏，退款很慢。", "客服电话一直打不通。"]
ZH_NPS_COL, ZH_COMMENT_COL = "推荐_意愿", "意见建议"


def build_zh() -> dict:
    rng = np.random.default_rng(SEED_ZH)
    region, store, online, dates, pq_shift, sat_shift, pv_shift = _segments(rng, ZH_N, ZH_REGIONS, 0.35)
    sim = simulate(rng, ZH_N, pq_shift, sat_shift, pv_shift)
    values = {col: [int(v) for v in sim[key]] for key, col in ZH_COLUMNS.items()}
    comments = _comments(rng, sim["sat_overall"], 0.06, ZH_COMMENTS_GOOD, ZH_COMMENTS_MID, ZH_COMMENTS_BAD)
    for i, (text, _) in ZH_SPECIAL_COMMENTS.items():
        comments[i] = text
    bad = ZH_PLANTED["invalid_text"]
    codes = plant_codes(rng, values, ZH_COLUMNS, {bad}, dk_rate=0.01, n_refused=3, n_empty=2)
    values["满意_总体"][bad] = "很满意"
    columns = ["编号", "访问日期", "区域", "门店", "渠道", *ZH_COLUMNS.values(), ZH_NPS_COL, ZH_COMMENT_COL]
    records = []
    for i in range(ZH_N):
        records.append([i + 1, f"{dates[i].year}/{dates[i].month}/{dates[i].day}", region[i], store[i],
                        "线上" if online[i] else "门店", *(values[c][i] for c in ZH_COLUMNS.values()),
                        int(sim["nps"][i]), comments[i]])
    return dict(columns=columns, records=records, values=values, codes=codes, row_of=lambda i: i + 2)


def write_zh(d: dict) -> list[tuple]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # as Excel writes CSV on Windows
    writer.writerow(d["columns"])
    for rec in d["records"]:
        writer.writerow(["" if v is None else v for v in rec])
    (HERE / "acsi_retail_zh.csv").write_bytes(buf.getvalue().encode("gbk"))  # strict: fails on non-GBK text
    row_of = d["row_of"]
    rows = [(row_of(ZH_PLANTED["invalid_text"]), ZH_PLANTED["invalid_text"] + 1, "满意_总体", "很满意",
             "not a number → invalid: an error, or the respondent is excluded with on_invalid='exclude'")]
    for col, i in d["codes"]["99"]:
        rows.append((row_of(i), i + 1, col, "99", "refused → missing value; respondent kept"))
    for col, i in d["codes"]["empty"]:
        rows.append((row_of(i), i + 1, col, "(empty cell)", "skipped question → missing value; respondent kept"))
    for i, (text, what) in ZH_SPECIAL_COMMENTS.items():
        rows.append((row_of(i), i + 1, ZH_COMMENT_COL, text, what))
    return sorted(rows, key=lambda r: r[0])


def write_zh_yaml() -> None:
    text = (
        "# 示例数据 examples/acsi_retail_zh.csv（GBK 编码）的问卷模型；数据为模拟数据。\n"
        "# Questionnaire spec of examples/acsi_retail_zh.csv (GBK-encoded CSV; simulated data).\n"
        "# Generated by examples/make_examples.py — edit the script, not this file.\n"
        "name: 零售门店顾客满意度调查 2026年第三季度\n"
        "scale: {min: 1, max: 10}\n"
        "missing_codes: [98, 99]           # 98 = 不知道，99 = 拒绝回答\n"
        "id_column: 编号\n"
        "index: SAT\n"
        "constructs:\n"
    )
    for c in CONSTRUCTS:
        text += f"  {c}:\n    label: {ZH_LABELS[c]}\n"
        if c == "COMP":
            text += "    scale: {min: 1, max: 2}        # 1 = 没有投诉，2 = 投诉过\n"
        text += "    items:\n"
        for key, (cc, _, _) in ITEMS.items():
            if cc == c:
                rev = ", reverse: true" if key in REVERSED else ""
                text += f"      - {{id: {ZH_COLUMNS[key]}, text: {_yaml_str(ZH_ITEM_TEXT[key])}{rev}}}\n"
    text += f"# {ZH_NPS_COL}（0–10）和 {ZH_COMMENT_COL} 是数据列，但不属于任何潜变量。\n"
    text += "paths:\n" + "".join(f"  - [{s}, {t}]\n" for s, t in _template_paths())
    text += (
        "# 驱动因素分析 (driver analysis)\n"
        "targets: [SAT, LOY]\n"
        f"nps_item: {ZH_NPS_COL}               # 0–10 推荐意愿 → 净推荐值 NPS\n"
        f"csat_item: {ZH_COLUMNS['sat_overall']}               # 总体满意度的前两格比例 (CSAT)\n"
        "gaps:                             # 期望与实际感知的差距\n"
        f"  - {{expected: {ZH_COLUMNS['exp_overall']}, experienced: {ZH_COLUMNS['pq_overall']}, label: 整体质量}}\n"
        f"  - {{expected: {ZH_COLUMNS['exp_custom']}, experienced: {ZH_COLUMNS['pq_custom']}, label: 满足个人需求}}\n"
        f"  - {{expected: {ZH_COLUMNS['exp_reliab']}, experienced: {ZH_COLUMNS['pq_reliab']}, label: 可靠性}}\n"
    )
    (HERE / "acsi_retail_zh.yaml").write_text(text, encoding="utf-8", newline="\n")


# ============================================================================ main
def _print_table(title: str, rows: list[tuple]) -> None:
    print(title)
    for r in rows:
        print("  row {:>3}  {:<8} {:<40} {:<45} {}".format(*[str(x) for x in r]))


def _summary(d: dict, item_cols: list[str], sat_col: str) -> None:
    counts = Counter(col for col, _ in d["codes"]["98"])
    n_cells = len(d["records"]) * len(item_cols)
    print(f"  98 (don't know): {len(d['codes']['98'])} cells = {len(d['codes']['98']) / n_cells:.1%} of item cells; "
          + ", ".join(f"{c} {counts[c]}" for c in item_cols if counts[c]))
    sat = np.array([v for v in d["values"][sat_col] if _is_valid(v)])
    print(f"  {sat_col}: mean {sat.mean():.2f} of {len(sat)} valid answers")


def main() -> None:
    en = build_en()
    problems = write_en(en)
    write_en_yaml()
    print(f"acsi_retail.xlsx: {EN_N} respondents, rows 2–{EN_N + 2} (empty row {en['blank_row']}); "
          f"columns: {', '.join(en['columns'])}")
    _summary(en, list(ITEMS), "sat_overall")
    comp = np.array(en["values"]["comp_complained"])
    print(f"  complained: {np.mean(comp == 2):.1%}")
    region = np.array(en["region"])
    sat = np.array([v if _is_valid(v) else np.nan for v in en["values"]["sat_overall"]], dtype=float)
    print("  sat_overall by region: " + ", ".join(
        f"{r} n={np.sum(region == r)} mean={np.nanmean(sat[region == r]):.2f}" for r in EN_REGIONS))
    _print_table("Planted problems in acsi_retail.xlsx (Excel rows, header = row 1):", problems)

    zh = build_zh()
    zh_problems = write_zh(zh)
    write_zh_yaml()
    print(f"acsi_retail_zh.csv (GBK): {ZH_N} respondents, rows 2–{ZH_N + 1}; columns: {', '.join(zh['columns'])}")
    _summary(zh, list(ZH_COLUMNS.values()), "满意_总体")
    _print_table("Planted problems in acsi_retail_zh.csv (rows as Excel shows them, header = row 1):", zh_problems)


if __name__ == "__main__":
    main()
