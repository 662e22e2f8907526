"""Generate the sampling-plan example: a logistics company's 110 client stores (105 of the
convenience chain 惠民便利, 5 of the pharmacy chain 康泰药房), a pilot and the completed interviews.

* ``sampling_clients.csv``: ``client_id, chain, city`` — the client list (the sampling frame);
* ``sampling_pilot.csv``: ``client_id, csi_score, nps_recommend`` — a pilot of 24 clients (0–100
  satisfaction score, 0–10 likelihood to recommend);
* ``sampling_fieldwork.csv``: ``client_id, chain, interview_date`` — 72 completed interviews (68
  of 惠民便利, 4 of 康泰药房), to compare with the plan.

Run ``python examples/methods/sampling_make_example.py`` to rewrite the files (UTF-8 with BOM,
fixed seeds: the same files at every run). None of it is real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(20260709)
    cities = ["杭州", "宁波", "温州", "绍兴"]
    clients = pd.DataFrame({
        "client_id": [f"C{101 + i}" for i in range(110)],
        "chain": ["惠民便利"] * 105 + ["康泰药房"] * 5,
        "city": list(rng.choice(cities, 105, p=[.4, .3, .2, .1])) + ["杭州", "杭州", "宁波", "温州", "绍兴"],
    })
    clients.to_csv(HERE / "sampling_clients.csv", index=False, encoding="utf-8-sig", lineterminator="\n")

    pilot = clients.sample(24, random_state=7).sort_values("client_id")
    score = np.clip(np.round(rng.normal(76, 16, 24)), 0, 100).astype(int)
    nps = np.clip(np.round(5 + (score - 50) / 10 + rng.normal(0, 1.2, 24)), 0, 10).astype(int)
    pd.DataFrame({"client_id": pilot["client_id"], "csi_score": score, "nps_recommend": nps}).to_csv(
        HERE / "sampling_pilot.csv", index=False, encoding="utf-8-sig", lineterminator="\n")

    rng = np.random.default_rng(20260710)
    done = pd.concat([
        clients[clients["chain"] == "惠民便利"].sample(68, random_state=3),
        clients[clients["chain"] == "康泰药房"].sample(4, random_state=3),
    ]).sort_values("client_id")
    days = pd.date_range("2026-07-01", "2026-07-20").strftime("%Y-%m-%d")
    pd.DataFrame({"client_id": done["client_id"], "chain": done["chain"],
                  "interview_date": rng.choice(days, len(done))}).to_csv(
        HERE / "sampling_fieldwork.csv", index=False, encoding="utf-8-sig", lineterminator="\n")


if __name__ == "__main__":
    main()
