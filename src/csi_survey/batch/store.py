"""History store of the quarterly batch: the tidy index table of every wave, kept safe across quarters.

One table, by default named ``index_history``, in an embedded SQLite file (``sqlite:///out/history.db``,
created with its parent folders if missing) or in any database SQLAlchemy can reach
(``postgresql+psycopg://user@db.example.org:5432/csi`` for a team; ``pip install 'csi-survey[postgres]'``).

Columns (the schema is created if missing, with SQLAlchemy Core):

============  ===================  ==========================================================
column        type                 meaning
============  ===================  ==========================================================
id            integer, key         surrogate primary key (not returned by :meth:`~HistoryStore.read`)
wave          varchar(255)         wave label, e.g. ``2026-Q2``
segment       varchar(255)         segment label
construct     varchar(255)         construct (or index) name
index         double precision     0–100 index (NULL = not available)
ci_lower      double precision     lower interval bound (NULL = not available)
ci_upper      double precision     upper interval bound (NULL = not available)
n             integer              sample size (NULL = not available)
status        text                 segment status (e.g. ``ok``, ``failed: …``)
written_at    timestamp with tz    when the store wrote the row (UTC); added by the store
run_id        varchar(64)          which run wrote the row; added by the store
============  ===================  ==========================================================

with a uniqueness constraint and an index on ``(wave, segment, construct)``. Missing values (NaN,
``None``, ``pd.NA``) are stored as NULL and read back as missing.

A second table, ``<table>_changes`` (``index_history_changes``), holds the change of each index
since the segment's previous estimated wave (:func:`csi_survey.changes.index_changes`): the
columns :data:`CHANGE_COLUMNS` (``previous_wave``, ``change``, ``change_ci_lower``,
``change_ci_upper``, ``change_p_value``, ``change_p_adjusted``, ``change_significant``) with
``written_at`` and ``run_id``. It is written in the same transaction as the wave's index rows
(:meth:`~HistoryStore.write_wave` with ``changes=``) and read with :meth:`~HistoryStore.read_changes`;
a database written by an earlier version gets the table added when the store opens it.

A third table, ``<table>_rollup`` (``index_history_rollup``), holds the roll-up levels of a batch
(:mod:`csi_survey.rollup`; columns :data:`ROLLUP_COLUMNS` with ``written_at`` and ``run_id``), also
written with the wave's rows (``rollup=``) and read with :meth:`~HistoryStore.read_rollup`.

Writing a wave is one transaction: delete the rows of that wave, insert the new ones. A failed write
(bad row, lost connection, an exception, Ctrl-C) leaves the wave's previous rows as they were; re-running
a wave replaces exactly that wave's rows. Concurrent writers are safe: on SQLite each write takes the
database's write lock at its start (``BEGIN IMMEDIATE``) and waits for it up to
:data:`SQLITE_BUSY_TIMEOUT` seconds; on PostgreSQL writers of different waves run side by side and
writers of the same wave are serialized by a transaction-scoped advisory lock (the last one wins).

Every problem raises :class:`~csi_survey.exceptions.StoreError`; its message names the URL with the
password masked and says how to fix it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from ..exceptions import StoreError
from ..ingest.columns import natural_key

__all__ = ["HistoryStore", "COLUMNS", "CHANGE_COLUMNS", "ROLLUP_COLUMNS", "STORE_COLUMNS", "DEFAULT_TABLE", "SQLITE_BUSY_TIMEOUT",
           "resolve_sqlite_url"]

#: Columns of the table passed to :meth:`HistoryStore.write_wave` (any order).
COLUMNS: tuple[str, ...] = ("wave", "segment", "construct", "index", "ci_lower", "ci_upper", "n", "status")
#: Columns of the change table passed to :meth:`HistoryStore.write_wave` as ``changes=`` (any order).
CHANGE_COLUMNS: tuple[str, ...] = ("wave", "segment", "construct", "previous_wave", "change", "change_ci_lower",
                                   "change_ci_upper", "change_p_value", "change_p_adjusted", "change_significant")
#: Columns of the roll-up table passed to :meth:`HistoryStore.write_wave` as ``rollup=`` (any order).
ROLLUP_COLUMNS: tuple[str, ...] = ("wave", "level", "node", "parent", "construct", "index", "std_err", "ci_lower", "ci_upper",
                                   "members", "members_estimated", "weight_estimated")
_ROLLUP_TEXT = ("wave", "level", "node", "parent", "construct")
_ROLLUP_INT = ("members", "members_estimated")
#: Columns the store adds to each row it writes (returned by :meth:`HistoryStore.read`).
STORE_COLUMNS: tuple[str, ...] = ("written_at", "run_id")
#: Name of the table in the database.
DEFAULT_TABLE = "index_history"
#: Seconds a SQLite writer waits for another writer to finish before giving up.
SQLITE_BUSY_TIMEOUT = 60.0
#: Seconds to wait for a PostgreSQL server to answer (unless the URL sets ``connect_timeout``).
CONNECT_TIMEOUT = 10
#: Longest wave, segment and construct label (characters).
MAX_LABEL = 255

_KEY = ("wave", "segment", "construct")
_NUMBERS = ("index", "ci_lower", "ci_upper")
_SHOWN = 5  # problems of one kind listed in an error message


def _key_columns() -> tuple[sa.Column, ...]:
    """The surrogate key and the (wave, segment, construct) key of a history or change row."""
    return (sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            *(sa.Column(c, sa.String(MAX_LABEL), nullable=False) for c in _KEY))


def _stamp_columns() -> tuple[sa.Column, ...]:
    """The columns the store adds to every row it writes (:data:`STORE_COLUMNS`)."""
    return (sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("run_id", sa.String(64), nullable=False))


def _define_table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        *_key_columns(),
        sa.Column("index", sa.Double, nullable=True),
        sa.Column("ci_lower", sa.Double, nullable=True),
        sa.Column("ci_upper", sa.Double, nullable=True),
        sa.Column("n", sa.Integer, nullable=True),
        sa.Column("status", sa.Text, nullable=True),
        *_stamp_columns(),
        sa.UniqueConstraint(*_KEY, name=f"uq_{name}_key"),
        sa.Index(f"ix_{name}_key", *_KEY),
    )


def _define_changes_table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        *_key_columns(),
        sa.Column("previous_wave", sa.String(MAX_LABEL), nullable=True),
        *(sa.Column(c, sa.Double, nullable=True) for c in ("change", "change_ci_lower", "change_ci_upper", "change_p_value",
                                                              "change_p_adjusted")),
        sa.Column("change_significant", sa.Boolean, nullable=True),
        *_stamp_columns(),
        sa.UniqueConstraint(*_KEY, name=f"uq_{name}_key"),
    )


def _define_rollup_table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *(sa.Column(c, sa.String(MAX_LABEL), nullable=c == "parent") for c in _ROLLUP_TEXT),
        *(sa.Column(c, sa.Double, nullable=True) for c in ("index", "std_err", "ci_lower", "ci_upper", "weight_estimated")),
        *(sa.Column(c, sa.Integer, nullable=True) for c in _ROLLUP_INT),
        *_stamp_columns(),
        sa.UniqueConstraint("wave", "node", "construct", name=f"uq_{name}_key"),
    )


def _rollup_records(wave: str, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Validate the roll-up rows of one wave; return them as plain Python values (NaN → None)."""
    if not isinstance(table, pd.DataFrame) or [c for c in ROLLUP_COLUMNS if c not in table.columns]:
        raise StoreError(f"the roll-up of wave {wave!r} cannot be stored: it must be a DataFrame with the columns "
                         f"{', '.join(ROLLUP_COLUMNS)}", hint="pass the rows of rollup.csv for that wave.")
    other = sorted({str(w) for w in table["wave"]} - {wave})
    if other:
        raise StoreError(f"the roll-up of wave {wave!r} has rows of other waves ({', '.join(other)})",
                         hint="pass only the rows of that wave.")
    out = []
    for row in table[list(ROLLUP_COLUMNS)].to_dict("records"):
        rec: dict[str, Any] = {}
        for c, v in row.items():
            if c in _ROLLUP_TEXT:
                rec[c] = None if _is_missing(v) or (c == "parent" and str(v) == "") else str(v)
            else:
                x = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
                rec[c] = None if pd.isna(x) else (int(x) if c in _ROLLUP_INT else float(x))
        out.append(rec)
    return out


def _change_records(wave: str, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Validate the change rows of one wave; return them as plain Python values (NaN → None)."""
    if not isinstance(table, pd.DataFrame):
        raise StoreError(f"the changes of wave {wave!r} must be a pandas DataFrame; got {type(table).__name__}",
                         hint=f"pass a DataFrame with the columns {', '.join(CHANGE_COLUMNS)}.")
    missing = [c for c in CHANGE_COLUMNS if c not in table.columns]
    other = sorted({str(w) for w in table.get("wave", pd.Series(dtype=str)).tolist()} - {wave})
    if missing or other:
        what = ([f"missing columns {', '.join(missing)}"] if missing else []) + ([f"rows of other waves ({', '.join(other)})"] if other else [])
        raise StoreError(f"the changes of wave {wave!r} cannot be stored: {'; '.join(what)}",
                         hint=f"pass exactly the change rows of that wave with the columns {', '.join(CHANGE_COLUMNS)}.")
    out = []
    for row in table[list(CHANGE_COLUMNS)].to_dict("records"):
        rec: dict[str, Any] = {}
        for c, v in row.items():
            if c == "change_significant":
                rec[c] = None if _is_missing(v) else bool(v)
            elif c in ("wave", "segment", "construct", "previous_wave"):
                rec[c] = None if _is_missing(v) else str(v)
            else:
                x = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
                rec[c] = None if pd.isna(x) else float(x)
        out.append(rec)
    return out


# --------------------------------------------------------------------------------------------- URLs


def _mask(text: str, password: str | None = None) -> str:
    """``text`` with a password (the given one, and any ``user:password@`` in a URL) replaced by ***."""
    if password:
        text = text.replace(password, "***")
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*(@)", r"\1***\2", text)


def _parse_url(url: str) -> URL:
    if isinstance(url, URL):
        return url
    if not isinstance(url, str) or not url.strip():
        raise StoreError(
            f"the history store needs a database URL; got {url!r}",
            hint="pass sqlite:///out/history.db for a SQLite file, or a SQLAlchemy URL such as "
            "postgresql+psycopg://user@host:5432/database.",
        )
    try:
        return make_url(url.strip())
    except (sa_exc.ArgumentError, ValueError) as error:
        raise StoreError(
            f"{_mask(url)!r} is not a database URL ({error})",
            hint="write it as dialect+driver://user@host:port/database, e.g. sqlite:///out/history.db "
            "(a SQLite file, relative to the working folder) or postgresql+psycopg://user@host:5432/database.",
        ) from None


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def _lock_key(*parts: str) -> int:
    """A signed 64-bit key for a PostgreSQL advisory lock."""
    digest = hashlib.blake2b("\x1f".join(("csi-survey", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def resolve_sqlite_url(url: str, folder: str | Path) -> str:
    """``url`` with a relative SQLite path made relative to ``folder`` (e.g. the config file's folder).

    Other URLs (absolute SQLite paths, in-memory SQLite, servers) are returned unchanged.

    >>> resolve_sqlite_url("sqlite:///out/history.db", "/data/study")
    'sqlite:////data/study/out/history.db'
    >>> resolve_sqlite_url("postgresql+psycopg://csi@db/csi", "/data/study")
    'postgresql+psycopg://csi@db/csi'
    """
    parsed = _parse_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or _is_memory(parsed) or database.startswith("file:") \
            or Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(folder) / database)).render_as_string(hide_password=False)


# --------------------------------------------------------------------------------------------- rows


def _is_missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _listing(labels: Sequence[Any]) -> str:
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in list(labels)[:_SHOWN])
    return shown + (f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else "")


def _records(wave: str, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Validate the table of one wave and return its rows as plain Python values (NaN → None)."""
    if not isinstance(wave, str) or not wave.strip():
        raise StoreError(f"the wave to write must be a non-empty text; got {wave!r}",
                         hint="pass the wave label, e.g. write_wave('2026-Q2', table).")
    if not isinstance(table, pd.DataFrame):
        raise StoreError(f"the rows of wave {wave!r} must be a pandas DataFrame; got {type(table).__name__}",
                         hint=f"pass a DataFrame with the columns {', '.join(COLUMNS)}.")
    columns = list(table.columns)
    doubled = sorted({str(c) for c in columns if columns.count(c) > 1})
    missing = [c for c in COLUMNS if c not in columns]
    extra = [str(c) for c in columns if c not in COLUMNS and c not in STORE_COLUMNS]
    if doubled or missing or extra:
        what = []
        if missing:
            what.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if extra:
            what.append(f"unexpected column{'s' if len(extra) > 1 else ''} {', '.join(extra)}")
        if doubled:
            what.append(f"repeated column{'s' if len(doubled) > 1 else ''} {', '.join(doubled)}")
        raise StoreError(
            f"the table of wave {wave!r} cannot be stored: {'; '.join(what)}",
            hint=f"pass exactly the columns {', '.join(COLUMNS)} (any order); "
            f"{' and '.join(STORE_COLUMNS)} are added by the store.",
        )

    labels = table.index
    problems: list[str] = []
    values: dict[str, list[Any]] = {}
    for column in _KEY:
        raw = table[column].tolist()
        absent = [labels[i] for i, v in enumerate(raw) if _is_missing(v)]
        if absent:
            problems.append(f"{column} is missing in the rows with index {_listing(absent)}")
        texts = [None if _is_missing(v) else str(v) for v in raw]
        long = [labels[i] for i, v in enumerate(texts) if v is not None and len(v) > MAX_LABEL]
        if long:
            problems.append(f"{column} is longer than {MAX_LABEL} characters in the rows with index {_listing(long)}")
        values[column] = texts
    other = [(labels[i], v) for i, v in enumerate(values["wave"]) if v is not None and v != wave]
    if other:
        problems.append(
            f"rows belong to another wave ({_listing(sorted({v for _, v in other}, key=natural_key))}; "
            f"rows with index {_listing([i for i, _ in other])})"
        )

    for column in (*_NUMBERS, "n"):
        series = table[column]
        numbers = pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce")
        numbers = numbers.astype("float64")
        bad = series.notna().to_numpy() & numbers.isna().to_numpy()
        if bad.any():
            shown = _listing([f"{series.iloc[i]!r} (index {labels[i]})" for i in np.flatnonzero(bad)])
            problems.append(f"{column} is not a number in {int(bad.sum())} rows: {shown}")
        floats = numbers.to_numpy()
        if column == "n":
            present = ~np.isnan(floats)
            fraction = present & (~np.isfinite(floats) | (floats != np.round(floats)))
            if fraction.any():
                shown = _listing([f"{floats[i]} (index {labels[i]})" for i in np.flatnonzero(fraction)])
                problems.append(f"n is not a whole number in {int(fraction.sum())} rows: {shown}")
            values[column] = [None if np.isnan(x) or not np.isfinite(x) else int(x) for x in floats]
        else:
            values[column] = [None if np.isnan(x) else float(x) for x in floats]
    values["status"] = [None if _is_missing(v) else str(v) for v in table["status"].tolist()]

    keys = list(zip(values["segment"], values["construct"]))
    seen: dict[tuple, int] = {}
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
    repeated = [f"{s}/{c}" for (s, c), count in seen.items() if count > 1 and s is not None and c is not None]
    if repeated:
        problems.append(f"(segment, construct) appears more than once: {_listing(repeated)}")

    if problems:
        raise StoreError(
            f"the table of wave {wave!r} cannot be stored ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}):\n" + "\n".join(f"  - {p}" for p in problems),
            hint="fix these rows; a wave holds one row per (segment, construct), with numbers or missing "
            "values in index, ci_lower, ci_upper and n. Nothing was written.",
        )
    return [dict(zip(COLUMNS, row)) for row in zip(*(values[c] for c in COLUMNS))]


def _frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Rows (in the order COLUMNS + STORE_COLUMNS) → a typed DataFrame in natural order."""
    rows = sorted(rows, key=lambda r: (natural_key(r[0]), natural_key(r[1]), natural_key(r[2])))
    names = (*COLUMNS, *STORE_COLUMNS)
    columns = list(zip(*rows)) if rows else [() for _ in names]
    data = dict(zip(names, columns))
    out = pd.DataFrame({
        "wave": pd.Series(data["wave"], dtype="str"),
        "segment": pd.Series(data["segment"], dtype="str"),
        "construct": pd.Series(data["construct"], dtype="str"),
        "index": pd.Series(data["index"], dtype="float64"),
        "ci_lower": pd.Series(data["ci_lower"], dtype="float64"),
        "ci_upper": pd.Series(data["ci_upper"], dtype="float64"),
        "n": pd.Series(pd.array(list(data["n"]), dtype="Int64")),
        "status": pd.Series(data["status"], dtype="str"),
        # SQLite keeps the UTC time without its zone; PostgreSQL returns it in the session's zone.
        "written_at": pd.to_datetime(pd.Series(data["written_at"], dtype=object), utc=True).astype("datetime64[us, UTC]"),
        "run_id": pd.Series(data["run_id"], dtype="str"),
    })
    return out


# --------------------------------------------------------------------------------------------- store


class HistoryStore:
    """The index history of every wave in a SQLite file or any SQLAlchemy database.

    Parameters
    ----------
    url:
        ``sqlite:///path/history.db`` (relative to the working folder; the file and its parent folders
        are created if missing; ``sqlite:////abs/path.db`` for an absolute path) or any SQLAlchemy URL,
        e.g. ``postgresql+psycopg://user@127.0.0.1:5432/csi`` (a bare ``postgresql://`` uses psycopg 3
        when it is installed). Prefer ``~/.pgpass`` or ``PGPASSWORD`` to a password in the URL; it is
        masked in messages anyway.
    table:
        Name of the table (default ``index_history``), e.g. to keep several studies in one database.
    run_id:
        Text recorded in the ``run_id`` column of every row this store writes (default: a new random
        id per store, so the waves written by one batch run share it).

    Notes
    -----
    The schema is created if missing, and checked if present. Errors raise :class:`StoreError`.

    >>> import pandas as pd, tempfile, os
    >>> with HistoryStore("sqlite:///" + os.path.join(tempfile.mkdtemp(), "history.db")) as store:
    ...     rows = pd.DataFrame({"wave": ["2026-Q1"], "segment": ["A"], "construct": ["CSI"], "index": [71.5],
    ...                          "ci_lower": [69.0], "ci_upper": [74.0], "n": [250], "status": ["ok"]})
    ...     store.write_wave("2026-Q1", rows), store.waves()
    (1, ['2026-Q1'])
    """

    def __init__(self, url: str, *, table: str = DEFAULT_TABLE, run_id: str | None = None):
        self._engine: sa.Engine | None = None
        parsed = _parse_url(url)
        if parsed.get_backend_name() == "postgresql" and "+" not in parsed.drivername:
            parsed = self._default_postgres_driver(parsed)
        self._url = parsed
        #: The URL with its password masked (``***``), safe to print.
        self.url: str = parsed.render_as_string(hide_password=True)
        self.run_id: str = run_id or uuid.uuid4().hex
        if not isinstance(table, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,50}", table):
            raise StoreError(f"{table!r} is not a usable table name for the history store at {self.url}",
                             hint="use letters, digits and underscores (at most 51 characters), e.g. index_history.")
        self.table_name = table
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self._postgres = parsed.get_backend_name() == "postgresql"
        self._metadata = sa.MetaData()
        self._table = _define_table(self._metadata, table)
        self._changes = _define_changes_table(self._metadata, f"{table}_changes")
        self._rollup = _define_rollup_table(self._metadata, f"{table}_rollup")
        self._engine = self._create_engine()
        try:
            self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            self._engine = None
            raise

    # ---------------------------------------------------------------------------------- set-up

    @staticmethod
    def _default_postgres_driver(url: URL) -> URL:
        try:
            import psycopg  # noqa: F401  # lazy: psycopg is optional
        except ImportError:
            return url
        return url.set(drivername="postgresql+psycopg")

    def _create_engine(self) -> sa.Engine:
        url = self._url
        kwargs: dict[str, Any] = {}
        connect_args: dict[str, Any] = {}
        if self._sqlite:
            connect_args = {"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}
            if _is_memory(url):
                kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database (tests, examples)
            elif not (url.database or "").startswith("file:"):
                folder = Path(url.database).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise StoreError(
                        f"cannot create the folder {str(folder)!r} of the history store at {self.url}: "
                        f"{error.strerror or error}",
                        hint="check the path in the store URL and that you may write there.",
                    ) from None
        else:
            kwargs["pool_pre_ping"] = True
            if self._postgres and url.get_driver_name() in ("psycopg", "psycopg2") \
                    and "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = CONNECT_TIMEOUT
        try:
            engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        except sa_exc.NoSuchModuleError:
            raise StoreError(
                f"unknown database type {url.drivername!r} in the history store URL {self.url}",
                hint="use sqlite:///out/history.db or postgresql+psycopg://user@host:5432/database "
                "(any dialect SQLAlchemy supports works once its driver is installed).",
            ) from None
        except ImportError as error:
            hint = ("install the PostgreSQL driver: pip install 'csi-survey[postgres]' (psycopg 3), "
                    "and write the URL as postgresql+psycopg://…") if self._postgres else \
                f"install the Python driver for {url.drivername} (see SQLAlchemy's dialect documentation)."
            raise StoreError(
                f"the database driver for {url.drivername!r} is not installed ({error.name or error}); "
                f"it is needed for the history store at {self.url}",
                hint=hint,
            ) from None
        except (sa_exc.ArgumentError, TypeError, ValueError) as error:
            raise StoreError(f"the history store URL {self.url} cannot be used: {_mask(str(error), url.password)}",
                             hint="check the URL's options.") from None
        if self._sqlite:
            # Let SQLAlchemy (not the sqlite3 module) emit BEGIN, so that writes can BEGIN IMMEDIATE:
            # they take the write lock first and wait for it (busy timeout) instead of failing later.
            @sa.event.listens_for(engine, "connect")
            def _no_implicit_begin(dbapi_connection, _record):  # noqa: ANN001
                dbapi_connection.isolation_level = None

            @sa.event.listens_for(engine, "begin")
            def _begin(connection):  # noqa: ANN001
                mode = connection.get_execution_options().get("csi_survey_begin", "DEFERRED")
                connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")
        return engine

    def _ensure_schema(self) -> None:
        try:
            with self._engine.connect() as connection:
                inspector = sa.inspect(connection)
                exists = all(inspector.has_table(t.name) for t in (self._table, self._changes, self._rollup))
            if not exists:
                try:
                    with self._write_transaction() as connection:
                        if self._postgres:
                            self._advisory_lock(connection, "schema", self.table_name)
                        # checkfirst: another process may have created it while we waited for the lock
                        self._metadata.create_all(connection, checkfirst=True)
                except sa_exc.SQLAlchemyError:
                    # another writer of a database without advisory locks created it meanwhile?
                    with self._engine.connect() as connection:
                        if not sa.inspect(connection).has_table(self.table_name):
                            raise
            with self._engine.connect() as connection:
                self._check_schema(sa.inspect(connection))
        except sa_exc.SQLAlchemyError as error:
            raise self._error("open", error) from error

    def _check_schema(self, inspector: sa.Inspector) -> None:
        expected = [c.name for c in self._table.columns]
        found = [c["name"] for c in inspector.get_columns(self.table_name)]
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        keyed = any(sorted(u["column_names"]) == sorted(_KEY) for u in inspector.get_unique_constraints(self.table_name)) \
            or any(i.get("unique") and sorted(i["column_names"]) == sorted(_KEY) for i in inspector.get_indexes(self.table_name))
        if missing or extra or not keyed:
            what = []
            if missing:
                what.append(f"missing columns {', '.join(missing)}")
            if extra:
                what.append(f"unexpected columns {', '.join(extra)}")
            if not keyed:
                what.append("no uniqueness constraint on (wave, segment, construct)")
            raise StoreError(
                f"the table {self.table_name!r} in the history store at {self.url} has another schema "
                f"({'; '.join(what)})",
                hint=f"point the store to another database or table (HistoryStore(url, table=...)), or rename "
                f"that table; the store creates its own table with the columns {', '.join(expected)}.",
            )

    # ---------------------------------------------------------------------------------- helpers

    @property
    def _live_engine(self) -> sa.Engine:
        if self._engine is None:
            raise StoreError(f"the history store at {self.url} is closed",
                             hint="open a new HistoryStore (or use it in a `with` block).")
        return self._engine

    @contextmanager
    def _write_transaction(self) -> Iterator[sa.Connection]:
        with self._live_engine.connect() as connection:
            if self._sqlite:
                connection.execution_options(csi_survey_begin="IMMEDIATE")
            with connection.begin():
                yield connection

    @staticmethod
    def _advisory_lock(connection: sa.Connection, *parts: str) -> None:
        """Hold a PostgreSQL lock on ``parts`` until the transaction ends."""
        key = sa.cast(sa.literal(_lock_key(*parts), sa.BigInteger), sa.BigInteger)
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def _error(self, action: str, error: BaseException, rolled_back: bool = False) -> StoreError:
        original = getattr(error, "orig", None) or error
        detail = " ".join(str(original).split())
        detail = _mask(detail, self._url.password) or type(original).__name__
        lower = detail.lower()
        if rolled_back:
            hint = "nothing was changed (the transaction was rolled back): the wave keeps its previous rows."
        else:
            hint = ""
        if isinstance(error, sa_exc.IntegrityError):
            hint += " Another writer may have written the same rows at the same time; run the wave again."
        elif "database is locked" in lower or "busy" in lower:
            hint += (f" Another process held the SQLite database longer than {SQLITE_BUSY_TIMEOUT:.0f} s; run it "
                     "again, or use a PostgreSQL store for many concurrent writers.")
        elif "file is not a database" in lower:
            hint += " The file is not a SQLite database: point the store URL to another file (e.g. sqlite:///out/history.db)."
        elif "unable to open database file" in lower or "readonly" in lower or "read-only" in lower:
            hint += " Check that the path in the store URL exists and that you may write there."
        elif isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) and not self._sqlite:
            where = f"{self._url.host or 'localhost'}:{self._url.port or 'default port'}"
            hint += (f" Check that the database server is running and accepts connections at {where}, that the "
                     f"database {self._url.database!r} exists and that the user name and password are right "
                     "(a password is best kept in ~/.pgpass or PGPASSWORD, not in the URL); or use a local "
                     "SQLite store, e.g. sqlite:///out/history.db.")
        else:
            hint += " Check the store URL and the database."
        return StoreError(f"cannot {action} the history store at {self.url}: {detail}", hint=hint.strip())

    # ---------------------------------------------------------------------------------- API

    def write_wave(self, wave: str, table: pd.DataFrame, *, changes: pd.DataFrame | None = None,
                   rollup: pd.DataFrame | None = None, run_id: str | None = None) -> int:
        """Replace the rows of ``wave`` by ``table`` in one transaction; return the number of rows written.

        ``table`` has the columns :data:`COLUMNS` (any order; columns ``written_at``/``run_id`` are
        ignored) and one row per (segment, construct); its ``wave`` column must equal ``wave``. The rows
        of other waves are never touched; if anything fails, the wave keeps its previous rows. An empty
        table removes the wave. ``changes`` (:data:`CHANGE_COLUMNS`) replaces the wave's rows of the
        change table in the same transaction (``None``: the wave then has no change rows), and
        ``rollup`` (:data:`ROLLUP_COLUMNS`) the wave's rows of the roll-up table likewise.
        """
        rows = _records(wave, table)
        change_rows = [] if changes is None else _change_records(wave, changes)
        rollup_rows = [] if rollup is None else _rollup_records(wave, rollup)
        written_at = datetime.now(UTC)
        if self._sqlite:
            written_at = written_at.replace(tzinfo=None)  # SQLite has no time zones: stored as UTC
        stamp = {"written_at": written_at, "run_id": str(run_id or self.run_id)[:64]}
        rows = [{**row, **stamp} for row in rows]
        change_rows = [{**row, **stamp} for row in change_rows]
        rollup_rows = [{**row, **stamp} for row in rollup_rows]
        history = self._table
        try:
            with self._write_transaction() as connection:
                if self._postgres:  # writers of the same wave wait for each other; other waves go on
                    self._advisory_lock(connection, "wave", self.table_name, wave)
                connection.execute(sa.delete(history).where(history.c.wave == wave))
                connection.execute(sa.delete(self._changes).where(self._changes.c.wave == wave))
                if rows:
                    connection.execute(sa.insert(history), rows)
                if change_rows:
                    connection.execute(sa.insert(self._changes), change_rows)
                connection.execute(sa.delete(self._rollup).where(self._rollup.c.wave == wave))
                if rollup_rows:
                    connection.execute(sa.insert(self._rollup), rollup_rows)
        except sa_exc.SQLAlchemyError as error:
            raise self._error(f"write wave {wave!r} to", error, rolled_back=True) from error
        return len(rows)

    def read(self, wave: str | None = None) -> pd.DataFrame:
        """The stored rows (of one wave, or all), ordered by wave, segment and construct in natural order
        ("2026-Q2" before "2026-Q10").

        Columns: :data:`COLUMNS` then ``written_at`` (UTC) and ``run_id``. Missing values come back as
        NaN (``n`` is a nullable ``Int64`` column, missing = ``<NA>``). An unknown wave gives no rows.
        """
        history = self._table
        query = sa.select(*(history.c[c] for c in (*COLUMNS, *STORE_COLUMNS)))
        if wave is not None:
            query = query.where(history.c.wave == str(wave))
        try:
            with self._live_engine.connect() as connection:
                rows = connection.execute(query).all()
        except sa_exc.SQLAlchemyError as error:
            raise self._error("read", error) from error
        return _frame(rows)

    def _select(self, table: sa.Table, columns: Sequence[str], wave: str | None) -> list:
        """The rows of ``table`` (of one wave, or all) as tuples of ``columns`` + the store's columns, in write order."""
        query = sa.select(*(table.c[c] for c in (*columns, *STORE_COLUMNS))).order_by(table.c.id)
        if wave is not None:
            query = query.where(table.c.wave == str(wave))
        try:
            with self._live_engine.connect() as connection:
                return connection.execute(query).all()
        except sa_exc.SQLAlchemyError as error:
            raise self._error("read", error) from error

    def read_changes(self, wave: str | None = None) -> pd.DataFrame:
        """The stored changes (of one wave, or all): :data:`CHANGE_COLUMNS` then ``written_at`` and
        ``run_id``, ordered by wave, segment and construct in natural order."""
        rows = self._select(self._changes, CHANGE_COLUMNS, wave)
        rows = sorted(rows, key=lambda r: (natural_key(r[0]), natural_key(r[1]), natural_key(r[2])))
        frame = pd.DataFrame([tuple(r) for r in rows], columns=[*CHANGE_COLUMNS, *STORE_COLUMNS])
        for c in ("change", "change_ci_lower", "change_ci_upper", "change_p_value", "change_p_adjusted"):
            frame[c] = frame[c].astype("float64")
        frame["change_significant"] = frame["change_significant"].astype("boolean")
        frame["written_at"] = pd.to_datetime(frame["written_at"], utc=True).astype("datetime64[us, UTC]")
        return frame

    def read_rollup(self, wave: str | None = None) -> pd.DataFrame:
        """The stored roll-up levels (of one wave, or all): :data:`ROLLUP_COLUMNS` then ``written_at`` and ``run_id``."""
        rows = self._select(self._rollup, ROLLUP_COLUMNS, wave)
        frame = pd.DataFrame([tuple(r) for r in rows], columns=[*ROLLUP_COLUMNS, *STORE_COLUMNS])
        for c in ("index", "std_err", "ci_lower", "ci_upper", "weight_estimated"):
            frame[c] = frame[c].astype("float64")
        frame["written_at"] = pd.to_datetime(frame["written_at"], utc=True).astype("datetime64[us, UTC]")
        return frame

    def waves(self) -> list[str]:
        """The stored waves in natural order ("2026-Q2" before "2026-Q10")."""
        history = self._table
        try:
            with self._live_engine.connect() as connection:
                waves = connection.execute(sa.select(history.c.wave).distinct()).scalars().all()
        except sa_exc.SQLAlchemyError as error:
            raise self._error("read", error) from error
        return sorted(waves, key=natural_key)

    def close(self) -> None:
        """Close the connections (idempotent)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> HistoryStore:
        self._live_engine
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._engine is None else "open"
        return f"HistoryStore({self.url!r}, table={self.table_name!r}, {state})"
