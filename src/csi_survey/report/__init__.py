"""Writing reports: CSV and Excel files, formula-safe, replaced atomically.

The report layer presents results; it computes no statistics.

>>> from csi_survey.report import AtomicOutput, Sheet, write_csv, write_workbook
>>> with AtomicOutput("results") as out:                               # doctest: +SKIP
...     write_csv(index_table, out.path("index.csv"))
...     write_workbook(out.path("report.xlsx"), [Sheet("Index", index_table)], title="ACSI 2026-Q3")
"""

from .atomic import AtomicOutput
from .csv import write_csv
from .methods import write_ahp, write_kano, write_plan, write_retention, write_scorecard
from .safe import safe_frame, safe_text
from .xlsx import Sheet, write_workbook

__all__ = ["safe_text", "safe_frame", "AtomicOutput", "write_csv", "Sheet", "write_workbook",
           "write_scorecard", "write_ahp", "write_kano", "write_plan", "write_retention"]
