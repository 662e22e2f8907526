"""CSV (and Parquet) output.

:func:`write_csv` writes every CSV table of the project. Large tables (``scores.csv`` of a run of a
million respondents) are formatted column by column with Arrow's compute kernels, chunk by chunk;
the file is byte for byte the one pandas' ``to_csv`` writes (shortest round-trip floats, ``''`` for
missing values, RFC 4180 quoting as Python's :mod:`csv` module does it, CRLF rows). Tables holding
column types the fast path does not know (dates, categoricals, mixed objects …) are written by
pandas, as before.

:func:`write_parquet` writes a table as Apache Parquet (``--scores-format parquet`` of
``csi-survey run``): typed columns, compressed, read by pandas, R (arrow), Spark, DuckDB, Power BI.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import ReportError
from .safe import safe_frame

__all__ = ["write_csv", "write_parquet", "CSV_CHUNK_ROWS"]

#: Rows formatted at a time by the fast writer (bounds its memory: a chunk of 7 number columns is
#: about 2 MB of text; with two formatting threads a million-row scores table adds about 55 MiB to the
#: resident memory at 16,384 rows a chunk, against 110 MiB at 65,536, in the same time).
CSV_CHUNK_ROWS = 16_384

#: Rows from which :func:`write_csv` gives the memory of its buffers back to the system when done.
RELEASE_ROWS = 100_000

#: Characters that make Python's csv module (QUOTE_MINIMAL, CRLF rows) quote a field.
_NEEDS_QUOTES = '[,"\r\n]'


def _open_error(path: Path, error: OSError) -> ReportError:
    return ReportError(
        f"cannot write the CSV file {path}: {error.strerror or error}",
        hint="close the file if it is open (e.g. in Excel) and check that the folder exists "
        "and that you may write to it.",
    )


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` to ``path`` as CSV, protected against formula injection.

    * The file is encoded as **UTF-8 with a byte-order mark** (``utf-8-sig``) on purpose: without
      the BOM, Excel (in particular Chinese Excel, which assumes GBK) shows Chinese labels such as
      ``顾客满意度`` as mojibake when the file is double-clicked. pandas, R and Python's ``csv`` read
      the BOM transparently (``encoding="utf-8-sig"``; pandas also with the default ``utf-8``).
    * Text cells and column names go through :func:`~csi_survey.report.safe.safe_frame`, so a
      label such as ``=1+1`` is written as ``'=1+1`` and control characters (NUL, ESC, U+0085,
      bidi overrides …) as U+FFFD; tab and line breaks are kept (the cell is quoted). Numbers are
      written as numbers.
    * Floats are written at full precision (shortest representation that round-trips); the
      report never rounds data.
    * The index is not written; an empty frame gives the header line only.

    Raises
    ------
    ReportError
        If the file cannot be written (folder missing, no permission, file open in Excel…).
    """
    path = Path(path)
    sources = _fast_sources(df)
    table = safe_frame(df if sources is None else df.iloc[:0])  # the fast path protects its text columns itself
    try:
        handle = open(path, "w", encoding="utf-8-sig", newline="")
    except OSError as error:
        raise _open_error(path, error) from error
    try:
        with handle:
            # CRLF rows (RFC 4180): the csv module then quotes any field holding \r or \n, so text
            # with a lone carriage return cannot split a row.
            if sources is None:
                table.to_csv(handle, index=False, lineterminator="\r\n")
            else:
                table.iloc[:0].to_csv(handle, index=False, lineterminator="\r\n")  # the header, as pandas writes it
                handle.flush()
                for chunk in _fast_body(sources, len(df)):
                    handle.buffer.write(chunk)
                sources = chunk = None  # drop the last chunk and the column texts
                if len(df) >= RELEASE_ROWS:  # the chunks' buffers, before the next file (xlsx, html) needs memory
                    from ..ingest.memory import release_unused_memory  # lazy: the ingest package loads the spec model

                    release_unused_memory()
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


# -- the fast writer ------------------------------------------------------------------------------
#
# Each column becomes a "source": ("float", ndarray), ("int", ndarray), ("bool", ndarray) or
# ("text", pyarrow array without nulls, already quoted where needed). A chunk of rows is formatted
# into one Arrow string array per column; Arrow's CSV writer (no quoting) joins them, or, when a
# field of the chunk holds a quote, comma or line break (quoted by us as the csv module does),
# binary_join_element_wise does.


def _fast_sources(table: pd.DataFrame) -> list[tuple[str, Any]] | None:
    """The columns of ``table`` ready for the fast writer (text formula-safe and quoted), or None
    when pandas must write the table."""
    if table.shape[1] < 2 or isinstance(table.columns, pd.MultiIndex) or len(table) < 2:
        # One column: the csv module writes an empty field as "" (an empty row otherwise), so pandas
        # writes it. Tiny tables gain nothing.
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    sources: list[tuple[str, Any]] = []
    for position in range(table.shape[1]):
        s = table.iloc[:, position]
        dtype = s.dtype
        if isinstance(dtype, np.dtype):
            if dtype == np.float64:
                sources.append(("float", s.to_numpy()))
                continue
            if dtype.kind in "iu":
                sources.append(("int", s.to_numpy()))
                continue
            if dtype.kind == "b":
                sources.append(("bool", s.to_numpy()))
                continue
            if dtype != object:
                return None  # datetimes, timedeltas, float32, complex …
        elif not isinstance(dtype, pd.StringDtype):
            return None  # categoricals, nullable numbers, ArrowDtype …
        if dtype == object and ptypes.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return None  # numbers, bytes, dates … among the text
        s = safe_frame(table.iloc[:, [position]]).iloc[:, 0]
        try:
            text = pa.array(s.array if isinstance(dtype, pd.StringDtype) else s.to_numpy(), type=pa.large_string(),
                            from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, UnicodeError):
            return None  # e.g. lone surrogates: pandas raises the precise error
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        text = pc.fill_null(text, "")  # missing text: an empty field, as pandas' na_rep
        quote = pc.match_substring_regex(text, _NEEDS_QUOTES)
        if pc.any(quote).as_py():
            mark = pa.scalar('"', pa.large_string())
            quoted = pc.binary_join_element_wise(mark, pc.replace_substring(text, '"', '""'), mark, pa.scalar("", pa.large_string()))
            text = pc.if_else(quote, quoted, text)
            sources.append(("quoted", text))
        else:
            sources.append(("text", text))
    return sources


def _float_text(values: np.ndarray) -> Any:
    """``values`` as the text pandas writes (numpy's ``str`` of a float64: the shortest repr; NaN → '').

    Arrow's cast gives the same shortest digits; it differs from Python's repr only in the layout
    of some numbers (no ``.0`` on whole numbers, positional notation below 1e-4, its own exponent
    format), so those are completed with ``.0`` or formatted by numpy (few in real tables)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(values), pa.string())
    dot = pc.match_substring(text, ".").to_numpy(zero_copy_only=False)
    exp = pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = ~exp & (size < 1e16)
        as_is = plain & dot & (size >= 1e-4)
        whole = plain & ~dot & (values == np.trunc(values))  # finite whole numbers below 1e16: "100" → "100.0"
    fix = ~as_is
    if not fix.any():
        return text
    # the texts to replace, in order: Arrow's + ".0" for whole numbers, numpy's str for the rest (NaN: "")
    patched = pc.filter(text, pa.array(fix))
    patched = pc.if_else(pa.array(whole[fix]), pc.binary_join_element_wise(patched, ".0", ""), patched)
    other = fix & ~whole
    if other.any():
        numpy_text = np.where(np.isnan(values[other]), "", values[other].astype(str))
        patched = pc.replace_with_mask(patched, pa.array(other[fix]), pa.array(numpy_text, type=pa.string()))
    return pc.replace_with_mask(text, pa.array(fix), patched)


def _chunk_column(kind: str, source: Any, start: int, stop: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "float":
        return _float_text(source[start:stop])
    if kind == "int":
        return pc.cast(pa.array(source[start:stop]), pa.string())
    if kind == "bool":
        return pa.array(np.where(source[start:stop], "True", "False"), type=pa.string())
    return pc.cast(source.slice(start, stop - start), pa.string())


def _format_chunk(sources: list[tuple[str, Any]], start: int, stop: int) -> bytes | memoryview:
    """Rows ``start:stop`` as UTF-8 bytes (CRLF after every row)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    columns = [_chunk_column(kind, source, start, stop) for kind, source in sources]
    if any(kind == "quoted" for kind, _ in sources):
        rows = pc.binary_join_element_wise(pc.binary_join_element_wise(*columns, ","), pa.scalar("\r\n"), "")
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=4 * rows.offset)
        return memoryview(rows.buffers()[2])[offsets[0]: offsets[-1]]
    sink = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")
    pacsv.write_csv(pa.table(columns, names=[f"c{k}" for k in range(len(columns))]), sink, write_options=options)
    return sink.getbuffer()


def _fast_body(sources: list[tuple[str, Any]], n_rows: int) -> Iterator[bytes | memoryview]:
    """The data rows as UTF-8 bytes, chunk by chunk, in order.

    Arrow's kernels release the GIL, so with two or more cores the next chunks are formatted by two
    threads while one is written (at most three chunks in memory at a time)."""
    bounds = [(start, min(start + CSV_CHUNK_ROWS, n_rows)) for start in range(0, n_rows, CSV_CHUNK_ROWS)]
    workers = min(2, os.cpu_count() or 1)
    if workers < 2 or len(bounds) < 3:
        for start, stop in bounds:
            yield _format_chunk(sources, start, stop)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="csi-csv") as pool:
        pending: deque[Future] = deque()
        for start, stop in bounds:
            pending.append(pool.submit(_format_chunk, sources, start, stop))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# -- Parquet --------------------------------------------------------------------------------------


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` to ``path`` as Apache Parquet (typed columns, Snappy-compressed; no index).

    Values are stored as they are: Parquet is read by data tools, never opened as a spreadsheet, so
    text needs no formula-injection prefix (the CSV and Excel writers add it). A missing text is a
    null.

    Raises
    ------
    ReportError
        If the file cannot be written, or a column cannot be stored in Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise ReportError(
            f"cannot write the Parquet file {path}: {error}",
            hint="write this table as CSV (the default).",
        ) from error
    try:
        pq.write_table(table, path)
    except BaseException as error:
        try:
            os.remove(path)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise ReportError(
                f"cannot write the Parquet file {path}: {error.strerror or error}",
                hint="close the file if it is open, check that the folder exists, that you may write "
                "to it and that the disk is not full.",
            ) from error
        raise
