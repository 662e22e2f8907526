"""CSV output."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..exceptions import ReportError
from .safe import safe_frame

__all__ = ["write_csv"]


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` to ``path`` as CSV, protected against formula injection.

    * The file is encoded as **UTF-8 with a byte-order mark** (``utf-8-sig``) on purpose: without
      the BOM, Excel (in particular Chinese Excel, which assumes GBK) shows Chinese labels such as
      ``顾客满意度`` as mojibake when the file is double-clicked. pandas, R and Python's ``csv`` read
      the BOM transparently (``encoding="utf-8-sig"``; pandas also with the default ``utf-8``).
    * Text cells and column names go through :func:`~csi_survey.report.safe.safe_frame`, so a
      label such as ``=1+1`` is written as ``'=1+1``. Numbers are written as numbers.
    * Floats are written at full precision (shortest representation that round-trips); the
      report never rounds data.
    * The index is not written; an empty frame gives the header line only.

    Raises
    ------
    ReportError
        If the file cannot be written (folder missing, no permission, file open in Excel…).
    """
    table = safe_frame(df)
    path = Path(path)
    try:
        handle = open(path, "w", encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ReportError(
            f"cannot write the CSV file {path}: {error.strerror or error}",
            hint="close the file if it is open (e.g. in Excel) and check that the folder exists "
            "and that you may write to it.",
        ) from error
    try:
        with handle:
            # CRLF rows (RFC 4180): the csv module then quotes any field holding \r or \n, so text
            # with a lone carriage return cannot split a row.
            table.to_csv(handle, index=False, lineterminator="\r\n")
    except BaseException as error:
        # The file is incomplete: do not leave it behind looking like a report.
        try:
            os.remove(path)
        except OSError:
            pass
        if isinstance(error, UnicodeEncodeError):
            raise ReportError(
                f"cannot write the CSV file {path}: a text cell holds characters that are not "
                f"valid Unicode ({error.reason})",
                hint="clean the offending labels or free-text answers in the input file.",
            ) from error
        if isinstance(error, OSError):
            raise ReportError(
                f"cannot write the CSV file {path}: {error.strerror or error}",
                hint="check that the disk is not full and that you may write to the folder.",
            ) from error
        raise
