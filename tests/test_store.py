"""History store: SQLite (a temporary file) and a real PostgreSQL server started by these tests.

The PostgreSQL server comes from the distribution's packages (Debian: ``apt-get install postgresql``,
which ``.ci/run`` does): one throw-away server per test session, made with ``initdb`` in a temporary
folder and started with ``pg_ctl`` on a free port of 127.0.0.1 (its unix socket in that folder too; it
never touches the system's clusters). PostgreSQL refuses to run as root, so when the tests run as
root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` system user (created by the Debian package)
through ``runuser -u postgres --``, in a folder owned by that user. Connections over TCP need a
password (scram-sha-256), so a wrong password is tested against the real server.

Without the server binaries the PostgreSQL tests fail, telling to run ``.ci/run``; set
``CSI_SURVEY_SKIP_POSTGRES=1`` to skip them instead.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from csi_survey.batch import store as store_module
from csi_survey.ingest.columns import natural_key
from csi_survey.exceptions import CsiSurveyError, StoreError
from csi_survey.batch.store import COLUMNS, HistoryStore, resolve_sqlite_url

# --------------------------------------------------------------------------------------------- PostgreSQL

PG_BIN_PATTERN = "/usr/lib/postgresql/*/bin"
SKIP_ENV = "CSI_SURVEY_SKIP_POSTGRES"
PG_USER = "postgres"
PG_DATABASE = "csi_store_test"


def find_postgres_bin(pattern: str | None = None) -> Path | None:
    """The newest PostgreSQL server bin folder holding initdb and pg_ctl, or None."""
    pattern = pattern or PG_BIN_PATTERN
    found = [Path(p) for p in glob.glob(pattern) if (Path(p) / "initdb").is_file() and (Path(p) / "pg_ctl").is_file()]
    return max(found, key=lambda p: natural_key(p.parent.name)) if found else None


def postgres_unavailable(bindir: Path | None, env: dict[str, str]) -> tuple[str, str] | None:
    """("skip" | "fail", message) when the PostgreSQL tests cannot run, else None."""
    if env.get(SKIP_ENV) == "1":
        return "skip", f"{SKIP_ENV}=1: the PostgreSQL tests of the history store are skipped"
    if bindir is None:
        return "fail", (
            f"PostgreSQL server binaries not found ({PG_BIN_PATTERN}/initdb, pg_ctl): run `bash .ci/run`, "
            f"which installs Debian's postgresql package (or `apt-get install postgresql`); "
            f"set {SKIP_ENV}=1 to skip the PostgreSQL tests"
        )
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.password = "pw-" + uuid.uuid4().hex
        # a short folder: the unix socket path must stay under ~100 characters
        self.root = Path(tempfile.mkdtemp(prefix="csi-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.as_root = os.geteuid() == 0
        self.startup_seconds = 0.0

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self.as_root:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", PG_USER, "--", *command]
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120)

    def _fail(self, what: str, result: subprocess.CompletedProcess) -> None:
        log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}")

    def start(self) -> None:
        started = time.perf_counter()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            try:
                shutil.chown(self.root, user=PG_USER)
                shutil.chown(pwfile, user=PG_USER)
            except (LookupError, PermissionError) as error:
                pytest.fail(f"running as root, the PostgreSQL tests need the '{PG_USER}' system user "
                            f"(created by Debian's postgresql package; run `bash .ci/run`): {error}")
        result = self._run(
            self.bindir / "initdb", "-D", self.data, "-U", PG_USER, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        )
        if result.returncode != 0:
            self._fail("initdb", result)
        for _attempt in range(3):  # another process may take the free port meanwhile
            self.port = free_port()
            options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            result = self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                               "-o", options, "start")
            if result.returncode == 0:
                break
        else:
            self._fail("pg_ctl start", result)
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {PG_DATABASE}")
        admin.dispose()
        self.startup_seconds = time.perf_counter() - started

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = PG_DATABASE, password: str | None = None) -> str:
        password = self.password if password is None else password
        return f"postgresql+psycopg://{PG_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def reset(self) -> None:
        """Empty the test database (and end connections a failed test may have left open)."""
        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{PG_DATABASE}' AND pid <> pg_backend_pid()"
            )
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    """One PostgreSQL server for the whole test session (stopped and deleted at the end)."""
    bindir = find_postgres_bin()
    problem = postgres_unavailable(bindir, dict(os.environ))
    if problem:
        kind, message = problem
        (pytest.skip if kind == "skip" else pytest.fail)(message)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'out' / 'history.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    server.reset()
    return server.url()


# --------------------------------------------------------------------------------------------- helpers


def wave_table(wave: str, segments=("A", "B", "C"), constructs=("CSI", "PQ"), base: float = 70.0) -> pd.DataFrame:
    rows = []
    for i, segment in enumerate(segments):
        for j, construct in enumerate(constructs):
            value = base + i + j / 10
            rows.append({"wave": wave, "segment": segment, "construct": construct, "index": value,
                         "ci_lower": value - 2.5, "ci_upper": value + 2.5, "n": 100 + i, "status": "ok"})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def expected(*tables: pd.DataFrame) -> pd.DataFrame:
    """What read() returns for these tables (without the store's columns)."""
    table = pd.concat(tables, ignore_index=True)
    order = sorted(range(len(table)), key=lambda i: tuple(natural_key(str(table[c].iloc[i]))
                                                          for c in ("wave", "segment", "construct")))
    table = table.iloc[order].reset_index(drop=True)
    return table.astype({"wave": "str", "segment": "str", "construct": "str", "index": "float64",
                         "ci_lower": "float64", "ci_upper": "float64", "n": "Int64", "status": "str"})


def stored(store: HistoryStore, wave: str | None = None) -> pd.DataFrame:
    return store.read(wave)[list(COLUMNS)]


# --------------------------------------------------------------------------------------------- tests


def test_rewriting_a_wave_replaces_exactly_its_rows(url):
    with HistoryStore(url) as store:
        q1, q2 = wave_table("2026-Q1"), wave_table("2026-Q2", base=60.0)
        assert store.write_wave("2026-Q1", q1) == 6
        assert store.write_wave("2026-Q2", q2) == 6
        before_q2 = store.read("2026-Q2")

        new_q1 = wave_table("2026-Q1", segments=("B", "D"), constructs=("CSI", "PQ", "PV"), base=80.0)
        assert store.write_wave("2026-Q1", new_q1) == 6
        pd.testing.assert_frame_equal(stored(store, "2026-Q1"), expected(new_q1))
        pd.testing.assert_frame_equal(store.read("2026-Q2"), before_q2)  # untouched, same written_at and run_id
        pd.testing.assert_frame_equal(stored(store), expected(new_q1, q2))

        assert store.write_wave("2026-Q1", new_q1) == 6  # same rows again: still no duplicates
        assert len(store.read()) == 12
        assert store.waves() == ["2026-Q1", "2026-Q2"]


def test_a_write_rejected_by_the_database_keeps_the_previous_rows(url, monkeypatch):
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        store.write_wave("2026-Q2", wave_table("2026-Q2"))
        before = store.read()

        # get a repeated (wave, segment, construct) past the validation, to the uniqueness constraint:
        # the delete and the first inserted rows must be rolled back
        validate = store_module._records
        monkeypatch.setattr(store_module, "_records", lambda wave, table: (rows := validate(wave, table)) + rows[-1:])
        with pytest.raises(StoreError) as caught:
            store.write_wave("2026-Q1", wave_table("2026-Q1", base=90.0))
        assert "2026-Q1" in str(caught.value) and "rolled back" in str(caught.value)
        pd.testing.assert_frame_equal(store.read(), before)


def test_an_exception_in_the_middle_of_a_write_keeps_the_previous_rows(url):
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        before = store.read()
        statements: list[str] = []

        def fail_on_insert(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement.split()[0].upper())
            if statements[-1] == "INSERT":
                raise RuntimeError("injected failure")

        sa.event.listen(store._engine, "before_cursor_execute", fail_on_insert)
        with pytest.raises(RuntimeError, match="injected failure"):
            store.write_wave("2026-Q1", wave_table("2026-Q1", segments=("X",), base=10.0))
        sa.event.remove(store._engine, "before_cursor_execute", fail_on_insert)
        assert "DELETE" in statements and "INSERT" in statements  # the old rows were deleted, then rolled back
        pd.testing.assert_frame_equal(store.read(), before)
    with HistoryStore(url) as store:  # and from a new connection too
        pd.testing.assert_frame_equal(store.read(), before)


def test_waves_segments_and_constructs_come_in_natural_order(url):
    with HistoryStore(url) as store:
        for wave in ("2026-Q10", "2026-Q2", "2025-Q4", "2026-Q1"):
            store.write_wave(wave, wave_table(wave, segments=("Store 10", "Store 2", "Store 1")))
        assert store.waves() == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q10"]
        table = store.read()
        assert list(dict.fromkeys(table["wave"])) == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q10"]
        assert list(table["segment"].iloc[:6]) == ["Store 1"] * 2 + ["Store 2"] * 2 + ["Store 10"] * 2
        assert list(table["construct"].iloc[:2]) == ["CSI", "PQ"]
        assert list(store.read("2026-Q10")["wave"].unique()) == ["2026-Q10"]
        assert store.read("2030-Q1").empty and list(store.read("2030-Q1").columns) == [*COLUMNS, "written_at", "run_id"]


def test_missing_values_are_stored_as_null_and_read_back_as_missing(url):
    table = wave_table("2026-Q1")
    table.loc[0, ["index", "ci_lower", "ci_upper"]] = np.nan
    table["n"] = table["n"].astype("float64")
    table.loc[1, "n"] = np.nan
    table["status"] = table["status"].astype(object)
    table.loc[2, "status"] = None
    table["ci_upper"] = table["ci_upper"].astype("Float64")
    table.loc[3, "ci_upper"] = pd.NA
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", table)
        back = stored(store)
        with store._engine.connect() as connection:
            nulls = connection.execute(sa.text(
                "SELECT COUNT(*) FROM index_history WHERE \"index\" IS NULL OR ci_upper IS NULL OR n IS NULL "
                "OR status IS NULL")).scalar()
    assert nulls == 4  # NULLs in the database, not NaN floats or 'nan' texts
    assert back["index"].isna().tolist() == [True, False, False, False, False, False]
    assert back["ci_upper"].isna().tolist() == [True, False, False, True, False, False]
    assert back["n"].isna().tolist() == [False, True, False, False, False, False]
    assert back["status"].isna().tolist() == [False, False, True, False, False, False]
    pd.testing.assert_frame_equal(back, expected(table))


@pytest.mark.parametrize("repeats", [8])
def test_concurrent_writers_of_different_waves_lose_no_rows(url, repeats):
    with HistoryStore(url):
        pass  # the schema exists before the race (creating it concurrently is tested below)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(wave: str) -> None:
        try:
            with HistoryStore(url) as store:  # one store per writer, as two batch processes
                start.wait()
                for k in range(repeats):
                    store.write_wave(wave, wave_table(wave, segments=[f"S{i}" for i in range(40)], base=float(k)))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("2026-Q1", "2026-Q2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with HistoryStore(url) as store:
        table = store.read()
        assert store.waves() == ["2026-Q1", "2026-Q2"]
    assert table.groupby("wave").size().to_dict() == {"2026-Q1": 80, "2026-Q2": 80}
    assert not table.duplicated(["wave", "segment", "construct"]).any()
    last = float(repeats - 1)
    assert table.loc[(table["segment"] == "S0") & (table["construct"] == "CSI"), "index"].tolist() == [last, last]


def test_concurrent_writers_of_the_same_wave_leave_one_complete_version(url):
    start = threading.Barrier(3)
    errors: list[BaseException] = []
    versions = {name: wave_table("2026-Q1", segments=[f"{name}{i}" for i in range(30)]) for name in ("A", "B", "C")}

    def writer(name: str) -> None:
        try:
            with HistoryStore(url) as store:  # also races to create the schema
                start.wait()
                for _ in range(5):
                    store.write_wave("2026-Q1", versions[name])
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with HistoryStore(url) as store:
        table = stored(store)
    winner = table["segment"].iloc[0][0]
    pd.testing.assert_frame_equal(table, expected(versions[winner]))  # one writer's rows, not a mixture


def test_an_unreachable_server_gives_a_clear_error_without_the_password():
    port = free_port()  # nothing listens there
    secret = "Sup3r-" + uuid.uuid4().hex
    with pytest.raises(StoreError) as caught:
        HistoryStore(f"postgresql+psycopg://survey:{secret}@127.0.0.1:{port}/csi")
    message = str(caught.value)
    assert isinstance(caught.value, CsiSurveyError)
    assert f"postgresql+psycopg://survey:***@127.0.0.1:{port}/csi" in message
    assert "How to fix:" in message and "running" in message and f"127.0.0.1:{port}" in message
    everything = "".join(traceback.format_exception(caught.value))  # chained driver errors included
    assert secret not in everything


def test_a_wrong_password_is_refused_by_the_real_server_without_showing_it(postgres):
    wrong = "wrong-" + uuid.uuid4().hex
    with pytest.raises(StoreError) as caught:
        HistoryStore(postgres.url(password=wrong))
    message = str(caught.value)
    assert "password authentication failed" in message and "***" in message
    assert wrong not in "".join(traceback.format_exception(caught.value))  # chained driver errors included
    assert postgres.password not in message


def test_the_history_survives_closing_and_reopening(url):
    q1, q2 = wave_table("2026-Q1"), wave_table("2026-Q2")
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", q1)
        store.write_wave("2026-Q2", q2)
        first = store.read()
    with HistoryStore(url) as store:
        pd.testing.assert_frame_equal(store.read(), first)
        store.write_wave("2026-Q3", wave_table("2026-Q3"))
    with HistoryStore(url) as store:
        assert store.waves() == ["2026-Q1", "2026-Q2", "2026-Q3"]
        runs = store.read().groupby("wave")["run_id"].first()
    assert runs["2026-Q1"] == runs["2026-Q2"] != runs["2026-Q3"]  # one run id per store (batch run)


def test_written_at_is_utc_and_run_id_can_be_given(url):
    before = pd.Timestamp(datetime.now(UTC)).floor("s")
    with HistoryStore(url, run_id="run-42") as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        store.write_wave("2026-Q2", wave_table("2026-Q2"), run_id="manual")
        table = store.read()
    after = pd.Timestamp(datetime.now(UTC)).ceil("s")
    assert str(table["written_at"].dtype) == "datetime64[us, UTC]"
    assert table["written_at"].between(before, after).all()
    assert table.groupby("wave")["run_id"].unique().map(list).to_dict() == {"2026-Q1": ["run-42"], "2026-Q2": ["manual"]}


def test_an_empty_table_removes_the_wave(url):
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        store.write_wave("2026-Q2", wave_table("2026-Q2"))
        assert store.write_wave("2026-Q1", wave_table("2026-Q1").iloc[:0]) == 0
        assert store.waves() == ["2026-Q2"]


def test_a_table_with_another_schema_is_refused(url):
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE index_history (wave TEXT, score REAL)")
    engine.dispose()
    with pytest.raises(StoreError, match="has another schema") as caught:
        HistoryStore(url)
    assert "missing columns" in str(caught.value) and "score" in str(caught.value)
    with HistoryStore(url, table="csi_history") as store:  # another table in the same database works
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        assert store.waves() == ["2026-Q1"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns=["ci_upper"]), "missing column ci_upper"),
        (lambda t: t.assign(score=1), "unexpected column score"),
        (lambda t: t.assign(wave=["2026-Q1"] * 5 + ["2026-Q2"]), "another wave"),
        (lambda t: pd.concat([t, t.iloc[:1]], ignore_index=True), "more than once: 'A/CSI'"),
        (lambda t: t.assign(n=[100.5] + [100.0] * 5), "n is not a whole number"),
        (lambda t: t.assign(index=["high"] + [70.0] * 5), "index is not a number"),
        (lambda t: t.assign(segment=[None] + ["A"] * 5), "segment is missing"),
    ],
    ids=["missing-column", "extra-column", "other-wave", "duplicate", "fractional-n", "text-index", "no-segment"],
)
def test_invalid_tables_are_refused_and_nothing_is_written(tmp_path, change, message):
    with HistoryStore(f"sqlite:///{tmp_path / 'history.db'}") as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        before = store.read()
        with pytest.raises(StoreError, match=message) as caught:
            store.write_wave("2026-Q1", change(wave_table("2026-Q1", base=50.0)))
        assert "How to fix:" in str(caught.value)
        pd.testing.assert_frame_equal(store.read(), before)


def test_the_stores_own_columns_are_accepted_on_input(tmp_path):
    with HistoryStore(f"sqlite:///{tmp_path / 'history.db'}") as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        assert store.write_wave("2026-Q1", store.read("2026-Q1")) == 6  # a read table can be written back


def test_sqlite_creates_the_file_and_its_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with HistoryStore("sqlite:///out/deep/history.db") as store:  # relative to the working folder
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
    assert (tmp_path / "out" / "deep" / "history.db").is_file()


def test_relative_sqlite_paths_can_be_resolved_against_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = resolve_sqlite_url("sqlite:///out/history.db", tmp_path / "study")
    assert url == f"sqlite:///{tmp_path / 'study' / 'out' / 'history.db'}"
    with HistoryStore(url) as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
    assert (tmp_path / "study" / "out" / "history.db").is_file() and not (tmp_path / "out").exists()
    for unchanged in (url, "sqlite://", "postgresql+psycopg://csi:pw@db:5432/csi"):
        assert resolve_sqlite_url(unchanged, tmp_path) == unchanged


def test_sqlite_in_memory_works_for_quick_use():
    with HistoryStore("sqlite://") as store:
        store.write_wave("2026-Q1", wave_table("2026-Q1"))
        assert store.waves() == ["2026-Q1"]


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        ("out/history.db", "is not a database URL", "sqlite:///out/history.db"),
        ("nosuchdb://user:pw123@host/db", "unknown database type 'nosuchdb'", "sqlite:///"),
        ("postgresql+pg8000://user:pw123@127.0.0.1/db", "driver for 'postgresql+pg8000' is not installed",
         "csi-survey[postgres]"),
        ("", "needs a database URL", "sqlite:///"),
    ],
    ids=["path-not-url", "unknown-dialect", "missing-driver", "empty"],
)
def test_bad_urls_give_clear_errors(url, message, hint):
    if "pg8000" in url:
        try:
            import pg8000  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("pg8000 is installed")
    with pytest.raises(StoreError, match=re.escape(message)) as caught:
        HistoryStore(url)
    assert hint in str(caught.value)
    assert "pw123" not in str(caught.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "history.db"
    path.write_text("wave,segment\n" * 200)
    with pytest.raises(StoreError, match="not a database") as caught:
        HistoryStore(f"sqlite:///{path}")
    assert str(path) in str(caught.value) and "How to fix:" in str(caught.value)


def test_a_closed_store_says_so(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="is closed"):
        store.read()
    assert "closed" in repr(store)


def test_missing_postgres_binaries_fail_with_the_setup_command_unless_skipped(tmp_path):
    assert find_postgres_bin(str(tmp_path / "nothing" / "*" / "bin")) is None
    kind, message = postgres_unavailable(None, {})
    assert kind == "fail" and ".ci/run" in message and SKIP_ENV in message
    assert postgres_unavailable(None, {SKIP_ENV: "1"})[0] == "skip"
    assert postgres_unavailable(Path("/usr/lib/postgresql/15/bin"), {}) is None


def _changes(wave: str, previous: str) -> pd.DataFrame:
    return pd.DataFrame({
        "wave": [wave, wave], "segment": ["(total)", "region=East"], "construct": ["SAT", "SAT"],
        "previous_wave": [previous, previous], "change": [0.4, -3.1], "change_ci_lower": [-0.5, -5.0],
        "change_ci_upper": [1.3, -1.2], "change_p_value": [0.38, 0.0014], "change_p_adjusted": [0.38, 0.0028],
        "change_significant": [False, True],
    })


def test_changes_are_written_with_their_wave_in_one_transaction_and_replaced_with_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    rows = pd.DataFrame({"wave": ["Q2"], "segment": ["(total)"], "construct": ["SAT"], "index": [71.0],
                         "ci_lower": [70.0], "ci_upper": [72.0], "n": [900], "status": ["estimated"]})
    with HistoryStore(url) as store:
        store.write_wave("Q2", rows, changes=_changes("Q2", "Q1"))
        got = store.read_changes("Q2")
        assert got[["segment", "change", "change_p_adjusted"]].values.tolist() == [["(total)", 0.4, 0.38], ["region=East", -3.1, 0.0028]]
        assert got["change_significant"].tolist() == [False, True]
        with pytest.raises(StoreError, match="missing columns change_p_value"):
            store.write_wave("Q2", rows, changes=_changes("Q2", "Q1").drop(columns=["change_p_value"]))
        assert len(store.read_changes("Q2")) == 2  # the failed write changed nothing
        store.write_wave("Q2", rows)  # a re-run without changes: the wave has none
        assert store.read_changes("Q2").empty and len(store.read("Q2")) == 1


def test_a_store_written_before_the_change_table_existed_gets_it(tmp_path):
    import sqlalchemy as sa

    path = tmp_path / "old.db"
    with HistoryStore(f"sqlite:///{path}") as store:
        store.write_wave("Q1", pd.DataFrame({"wave": ["Q1"], "segment": ["A"], "construct": ["SAT"], "index": [70.0],
                                             "ci_lower": [69.0], "ci_upper": [71.0], "n": [100], "status": ["ok"]}))
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE index_history_changes"))
    engine.dispose()
    with HistoryStore(f"sqlite:///{path}") as store:
        assert store.read_changes().empty and len(store.read("Q1")) == 1
