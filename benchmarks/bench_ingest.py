"""Reading time of read_table (and read_table + prepare) versus pandas on large exports.

Generates, in a temporary folder, a 1,000,000 × 20 numeric CSV and a 100,000 × 20 xlsx, then prints
the best-of-N wall time of:

* ``read_table`` on the CSV (pandas' pyarrow engine, cells kept as text) vs ``pd.read_csv(engine="pyarrow")``
  and plain ``pd.read_csv`` (C engine), both parsing numbers;
* the same CSV with one quoted text column holding line breaks (pyarrow with ``newlines_in_values``);
* ``read_table`` on the xlsx (safety pre-scan + python-calamine) vs ``pd.read_excel(engine="calamine")``,
  and the pre-scan alone;
* ``read_table`` + ``prepare`` for a questionnaire of 20 items.

Run by hand (not in the test suite):  python benchmarks/bench_ingest.py [--rows 1000000] [--xlsx-rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import csi_survey as csi
from csi_survey.ingest import prepare
from csi_survey.ingest.readers import read_table
from csi_survey.ingest.safety import Limits, open_xlsx

N_ITEMS = 20


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def questionnaire() -> csi.Questionnaire:
    names = ["A", "B", "C", "D"]
    constructs = [csi.construct(c, [f"q{5 * k + i}" for i in range(5)]) for k, c in enumerate(names)]
    return csi.Questionnaire.build(
        constructs=constructs,
        paths=csi.paths("A", ["B", "C", "D"]) + csi.paths("B", ["C", "D"]) + csi.paths("C", "D"),
        scale=(1, 10),
    )


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n)
    cols = {}
    for j in range(N_ITEMS):
        x = 0.8 * latent + 0.6 * rng.standard_normal(n)
        cols[f"q{j}"] = np.clip(np.round(6 + 1.8 * x), 1, 10).astype(np.int64)
    return pd.DataFrame(cols)


def write_xlsx(path: Path, frame: pd.DataFrame) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Responses")
    ws.write_row(0, 0, list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        ws.write_row(i, 0, row)
    wb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    q = questionnaire()
    limits = Limits(max_file_bytes=10**12)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        big = make_data(args.rows)
        csv_path = tmp / "responses.csv"
        big.to_csv(csv_path, index=False)
        quoted_path = tmp / "responses_quoted.csv"
        big.assign(comment='fine, "thanks"\nsee you').to_csv(quoted_path, index=False)
        xlsx_path = tmp / "responses.xlsx"
        write_xlsx(xlsx_path, big.iloc[: args.xlsx_rows])
        print(f"generated in {time.perf_counter() - t0:.1f} s: {csv_path.name} {csv_path.stat().st_size / 1e6:.0f} MB, "
              f"{xlsx_path.name} {xlsx_path.stat().st_size / 1e6:.1f} MB")

        raw = read_table(csv_path, limits=limits)
        assert raw.frame.shape == (args.rows, N_ITEMS) and raw.row_numbers[-1] == args.rows + 1
        rows = []

        def row(label: str, fn) -> None:
            secs = best_of(args.repeat, fn)
            rows.append((label, secs))
            print(f"  {label:<58s} {secs:7.3f} s", flush=True)

        print(f"\nCSV {args.rows:,} × {N_ITEMS} (best of {args.repeat})")
        row("read_table", lambda: read_table(csv_path, limits=limits))
        row('pd.read_csv(engine="pyarrow")  [numbers]', lambda: pd.read_csv(csv_path, engine="pyarrow"))
        row("pd.read_csv (C engine)  [numbers]", lambda: pd.read_csv(csv_path))
        row('pd.read_csv(engine="pyarrow", dtype=str)  [text]', lambda: pd.read_csv(csv_path, engine="pyarrow", dtype=str))
        row("read_table, + 1 quoted text column with line breaks", lambda: read_table(quoted_path, limits=limits))
        row("pd.read_csv (C engine), same file", lambda: pd.read_csv(quoted_path))
        row("read_table + prepare", lambda: prepare(read_table(csv_path, limits=limits), q))
        row("prepare alone (RawTable already read)", lambda: prepare(raw, q))

        print(f"\nXLSX {args.xlsx_rows:,} × {N_ITEMS}")
        raw_x = read_table(xlsx_path)
        assert raw_x.frame.shape == (args.xlsx_rows, N_ITEMS)

        def prescan() -> None:
            with open_xlsx(xlsx_path, xlsx_path.name, Limits()) as pkg:
                pkg.verify(pkg.sheets[0])

        row("read_table (safety pre-scan + calamine)", lambda: read_table(xlsx_path))
        row("  of which the safety pre-scan", prescan)
        row('pd.read_excel(engine="calamine")', lambda: pd.read_excel(xlsx_path, engine="calamine"))
        row("read_table + prepare", lambda: prepare(read_table(xlsx_path), q))


if __name__ == "__main__":
    main()
