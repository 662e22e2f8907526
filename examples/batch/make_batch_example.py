"""Generate the batch example: a national telecom satisfaction index, 3 quarterly waves × 40 segments.

Writes, next to this script (``python examples/batch/make_batch_example.py``):

* ``model.yaml`` — the ACSI spec of the survey (the items of ``examples/acsi_retail.yaml``, worded
  for a mobile or broadband provider);
* ``config.yaml`` — the batch config (``csi-survey batch examples/batch/config.yaml``);
* ``rollup.csv`` — the roll-up weights: each provider (by annual revenue, in million) into its
  industry (mobile, fixed broadband, integrated telecom), the industries into the national index;
* ``data/2026-Q1.csv`` (UTF-8), ``data/2026-Q2.xlsx`` and ``data/2026-Q3_north-east.csv`` +
  ``data/2026-Q3_south-west.csv`` (one wave in two files, read through the glob
  ``data/2026-Q3_*.csv``; the second file has its columns in another order).

The segments are 36 providers and 4 regions (40 per wave):

* **Fresh Mobile** enters the market in 2026-Q2 (no respondents in Q1);
* **Tiny Telco** has about 35 respondents per wave: below ``min_n: 50``, so it is skipped with
  ``insufficient sample (n = … < 50)``;
* **Kite/Line Mobile** (a slash) and **星河通信** (Chinese) show how folder names are made;
* **Nordlicht Telekom** improves by several points each quarter, **Harbour Broadband** declines.

Answers are simulated with the ACSI structural model of ``examples/make_examples.py`` (its
``simulate``), with a provider effect, a region effect and a per-provider trend on perceived
quality, value and satisfaction. About 1 % of the answers are "don't know" (98); in 2026-Q2 three
answers are out of range (11), and with ``on_invalid: exclude`` those respondents are excluded and
listed in their provider's ``excluded.csv``. Fixed seeds: re-running gives identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from make_examples import ITEMS, _save_stable, simulate  # noqa: E402  (the generator of the single-run examples)

SEED = 20261001
WAVES = ["2026-Q1", "2026-Q2", "2026-Q3"]
REGIONS = {"North": 0.05, "South": -0.05, "East": 0.10, "West": -0.12}
PROVIDERS = [
    "Aurora Mobile", "Bluebird Telecom", "Cobalt Fibre", "Delta Wireless", "Evergreen Net", "Falcon Broadband",
    "Granite Telecom", "Harbour Broadband", "Ionic Mobile", "Juniper Fibre", "Kite/Line Mobile", "Lumen Wireless",
    "Meridian Telecom", "Nordlicht Telekom", "Orchid Mobile", "Pioneer Cable", "Quartz Fibre", "Redwood Wireless",
    "Saffron Telecom", "Tidewater Net", "Umbra Mobile", "Vertex Broadband", "Willow Telecom", "Xenon Fibre",
    "Yarrow Mobile", "Zephyr Wireless", "Atlas Cable", "Beacon Mobile", "Cedar Net", "Dune Telecom",
    "Ember Fibre", "Fjord Mobile", "星河通信", "Summit Telecom", "Fresh Mobile", "Tiny Telco",
]
ENTRANT, TINY, RISING, FALLING = "Fresh Mobile", "Tiny Telco", "Nordlicht Telekom", "Harbour Broadband"
ITEM_TEXT = {
    "exp_overall": "Before you joined, what were your expectations of the overall quality of {p}? (1 = very low, 10 = very high)",
    "exp_custom": "Before you joined, how well did you expect {p} to meet your personal requirements? (1 = not at all, 10 = completely)",
    "exp_reliab": "Before you joined, how reliable did you expect the service to be? (1 = not at all, 10 = completely)",
    "pq_overall": "How would you rate the overall quality of your provider's network and service? (1 = very poor, 10 = excellent)",
    "pq_custom": "How well does your provider meet your personal requirements? (1 = not at all, 10 = completely)",
    "pq_reliab": "How reliable has the service been in the past three months? (1 = not at all, 10 = completely)",
    "pq_problems": "How often did things go wrong (outages, billing errors, slow support)? (1 = never, 10 = very often)",
    "pv_price_given_q": "Given the quality of the service, how would you rate the price you pay? (1 = very poor value, 10 = very good value)",
    "pv_q_given_price": "Given the price you pay, how would you rate the quality of the service? (1 = very poor, 10 = very good)",
    "sat_overall": "Considering all your experiences, how satisfied are you with your provider overall? (1 = very dissatisfied, 10 = very satisfied)",
    "sat_confirm": "To what extent has your provider fallen short of or exceeded your expectations? (1 = fallen far short, 10 = greatly exceeded)",
    "sat_ideal": "Imagine an ideal provider. How close does yours come to that ideal? (1 = very far, 10 = very close)",
    "comp_complained": "In the past three months, have you complained to your provider? (1 = no, 2 = yes)",
    "loy_repurchase": "How likely are you to stay with your provider for the next year? (1 = very unlikely, 10 = very likely)",
    "loy_price_tol": "If your provider raised its prices by 5 %, how likely would you be to stay? (1 = very unlikely, 10 = very likely)",
}
COLUMNS = ["respondent_id", "interview_date", "company", "region", *ITEMS, "nps_recommend"]


def _providers(rng: np.random.Generator) -> dict[str, dict]:
    out = {}
    for name in PROVIDERS:
        out[name] = {
            "effect": rng.normal(0.0, 0.28),
            "trend": 0.35 if name == RISING else -0.30 if name == FALLING else rng.normal(0.0, 0.06),
            "size": int(rng.integers(32, 38)) if name == TINY else int(rng.integers(90, 200)),
        }
    return out


def build_wave(rng: np.random.Generator, wave: str, k: int, providers: dict[str, dict]) -> pd.DataFrame:
    parts = []
    for name, p in providers.items():
        if name == ENTRANT and k == 0:
            continue
        n = p["size"] + int(rng.integers(-5, 6))
        region = rng.choice(list(REGIONS), size=n, p=[0.3, 0.3, 0.2, 0.2])
        shift = p["effect"] + p["trend"] * k + np.array([REGIONS[r] for r in region])
        answers = simulate(rng, n, pq_shift=shift, sat_shift=0.6 * shift, pv_shift=0.4 * shift)
        frame = pd.DataFrame({key: answers[key] for key in ITEMS})
        frame["nps_recommend"] = answers["nps"]
        frame.insert(0, "region", region)
        frame.insert(0, "company", name)
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)
    data = data.iloc[rng.permutation(len(data))].reset_index(drop=True)  # interview order, not sorted by provider
    month = 1 + 3 * k
    days = rng.integers(0, 85, size=len(data))
    data.insert(0, "interview_date", (pd.Timestamp(2026, month, 1) + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"))
    data.insert(0, "respondent_id", [f"{wave[-2:]}-{i + 1:05d}" for i in range(len(data))])
    # "don't know" (98) on about 1 % of the multi-item answers
    multi = [c for c in ITEMS if c != "comp_complained"]
    dk = rng.random((len(data), len(multi))) < 0.01
    values = data[multi].to_numpy(copy=True)
    values[dk] = 98
    data[multi] = values
    data = data.astype({c: object for c in ITEMS})
    if wave == "2026-Q2":  # three out-of-range answers, excluded with on_invalid: exclude
        for row, col in ((17, "sat_overall"), (402, "pq_reliab"), (1333, "loy_repurchase")):
            data.loc[row, col] = 11
    return data[COLUMNS]


def write_xlsx(data: pd.DataFrame, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(list(data.columns))
    for row in data.itertuples(index=False):
        ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
    _save_stable(wb, path)


def write_model() -> None:
    def item(key: str) -> str:
        reverse = ", reverse: true" if key == "pq_problems" else ""
        return f'      - {{id: {key}, text: "{ITEM_TEXT[key].format(p="your provider")}"{reverse}}}'

    groups = {"EXP": ("Customer expectations", ["exp_overall", "exp_custom", "exp_reliab"]),
              "PQ": ("Perceived quality", ["pq_overall", "pq_custom", "pq_reliab", "pq_problems"]),
              "PV": ("Perceived value", ["pv_price_given_q", "pv_q_given_price"]),
              "SAT": ("Customer satisfaction", ["sat_overall", "sat_confirm", "sat_ideal"]),
              "COMP": ("Complaints", ["comp_complained"]),
              "LOY": ("Customer loyalty", ["loy_repurchase", "loy_price_tol"])}
    lines = [
        "# Questionnaire spec of the batch example (national telecom satisfaction index; simulated data).",
        "# Generated by examples/batch/make_batch_example.py — edit the script, not this file.",
        "name: Telecom satisfaction index",
        "scale: {min: 1, max: 10}",
        "missing_codes: [98, 99]           # 98 = don't know, 99 = refused",
        "id_column: respondent_id",
        "index: SAT",
        "constructs:",
    ]
    for cid, (label, keys) in groups.items():
        lines += [f"  {cid}:", f"    label: {label}"]
        if cid == "COMP":
            lines.append("    scale: {min: 1, max: 2}")
        lines.append("    items:")
        lines += [item(k) for k in keys]
    lines += ["paths:", *(f"  - [{s}, {t}]" for s, t in [("EXP", "PQ"), ("EXP", "PV"), ("EXP", "SAT"), ("PQ", "PV"), ("PQ", "SAT"),
                                                            ("PV", "SAT"), ("SAT", "COMP"), ("SAT", "LOY"), ("COMP", "LOY")]),
              "targets: [SAT, LOY]", "nps_item: nps_recommend", "csat_item: sat_overall", ""]
    (HERE / "model.yaml").write_text("\n".join(lines), encoding="utf-8")


CONFIG = """\
# Batch config of the example: csi-survey batch examples/batch/config.yaml
# Paths are relative to this file. Generated by make_batch_example.py.
model: model.yaml
waves:
  2026-Q1: data/2026-Q1.csv
  2026-Q2: data/2026-Q2.xlsx
  2026-Q3: data/2026-Q3_*.csv        # two files, concatenated
segments: [company, region]
min_n: 50
bootstrap: {resamples: 200, seed: 1}
on_invalid: exclude
out: out
store: sqlite:///out/history.db
reports: false                       # true (or --reports): report.xlsx and report.html per segment
correction: holm                     # wave-change tests across the segments of a wave: holm, bh or none
rollup: {file: rollup.csv, segment: company}   # providers → industries → national index
"""

#: The industry of each provider (by its name) and the industries' shares of the national index.
INDUSTRIES = {"Mobile": ("Mobile", "Wireless"), "Fixed broadband": ("Cable", "Broadband", "Fibre", "Net"),
              "Integrated telecom": ("Telecom", "Telekom", "Telco", "通信")}
INDUSTRY_SHARES = {"Mobile": 0.45, "Fixed broadband": 0.25, "Integrated telecom": 0.30}


def write_rollup() -> None:
    """``rollup.csv``: providers weighted by revenue into industries, industries into the national index."""
    rng = np.random.default_rng(SEED + 1)  # its own stream: the survey data do not change
    rows = ["level,node,parent,weight"]
    for name in PROVIDERS:
        industry = next(k for k, words in INDUSTRIES.items() if any(w in name for w in words))
        rows.append(f"company,{name},{industry},{int(rng.integers(120, 3000))}")
    rows += [f"industry,{k},National,{v}" for k, v in INDUSTRY_SHARES.items()]
    rows.append("national,National,,")
    (HERE / "rollup.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(SEED)
    providers = _providers(rng)
    (HERE / "data").mkdir(exist_ok=True)
    for k, wave in enumerate(WAVES):
        data = build_wave(rng, wave, k, providers)
        if k == 0:
            data.to_csv(HERE / "data" / f"{wave}.csv", index=False, lineterminator="\n")
        elif k == 1:
            write_xlsx(data, HERE / "data" / f"{wave}.xlsx")
        else:
            ne = data[data["region"].isin(["North", "East"])]
            sw = data[data["region"].isin(["South", "West"])]
            ne.to_csv(HERE / "data" / f"{wave}_north-east.csv", index=False, lineterminator="\n")
            sw[list(reversed(COLUMNS))].to_csv(HERE / "data" / f"{wave}_south-west.csv", index=False, lineterminator="\n")
        counts = data["company"].value_counts()
        print(f"{wave}: {len(data):,} respondents, {data['company'].nunique()} providers "
              f"({counts.min()}–{counts.max()} each), {data['region'].nunique()} regions")
    write_model()
    write_rollup()
    (HERE / "config.yaml").write_text(CONFIG, encoding="utf-8")


if __name__ == "__main__":
    main()
