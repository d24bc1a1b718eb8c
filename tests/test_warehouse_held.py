"""An analyst holding the working warehouse open (a read-only DuckDB connection in another
process) never breaks a load: the load waits for it like for another run, then completes, or
gives up after `lock_timeout` naming the holder, having written nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.espaces import espaces
from flows.lock import warehouse_lock
from fsdata.config import sample_path
from tests.helpers import query
from warehouse.db import connect
from warehouse.health import WarehouseHeld

SAMPLE_2023 = sample_path("espaces", "liste-fs-20231201.csv")
SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")


def hold_read_only(home: Path, seconds: float) -> subprocess.Popen[bytes]:
    """A second process with a read-only connection to the warehouse for `seconds`; returns
    once the connection is open."""
    ready = home / "holder.ready"
    code = (
        "import duckdb, pathlib, sys, time\n"
        f"con = duckdb.connect({str(home / 'warehouse.duckdb')!r}, read_only=True)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        f"time.sleep({seconds})\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code])
    while not ready.exists():
        assert holder.poll() is None, "the holder could not open the warehouse"
        time.sleep(0.05)
    return holder


@pytest.fixture
def loaded(prefect_server: None, home: Path) -> Path:
    assert espaces(home=str(home), file=str(SAMPLE_2023), as_of="2023-12-01")["status"] == (
        "published"
    )
    return home


def test_a_load_waits_for_a_reader_then_completes(loaded: Path) -> None:
    holder = hold_read_only(loaded, 3)
    started = time.monotonic()
    summary = espaces(home=str(loaded), file=str(SAMPLE_2024), as_of="2024-08-01")
    assert summary["status"] == "published"
    assert time.monotonic() - started >= 2  # it waited for the reader to let go
    assert holder.wait(timeout=30) == 0


def test_a_load_gives_up_naming_the_holder_and_writes_nothing(loaded: Path) -> None:
    (loaded / "fsdata.toml").write_text("lock_timeout = 1\n", "utf-8")
    before = query(loaded, "select load_id, status from meta.loads order by load_id")
    holder = hold_read_only(loaded, 60)
    try:
        with pytest.raises(WarehouseHeld, match=rf"pid {holder.pid} \(python"):
            espaces(home=str(loaded), file=str(SAMPLE_2024), as_of="2024-08-01")
    finally:
        holder.kill()
        holder.wait()
    assert query(loaded, "select load_id, status from meta.loads order by load_id") == before
    assert not list((loaded / "raw" / "espaces").glob("2024-08-01_*"))


def _can_read(path: Path) -> bool:
    """Whether another process can open the warehouse read-only right now."""
    code = f"import duckdb\nduckdb.connect({str(path)!r}, read_only=True).close()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_a_run_keeps_the_warehouse_between_its_steps_and_lets_go_at_its_end(
    tmp_path: Path,
) -> None:
    """Once a run has opened the warehouse, no reader slips in between two of its steps (the
    next step would wait for it, or give up half-way); the file is free when the run ends."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse_lock(tmp_path, 1):
        with connect(path) as con:
            con.execute("create table main.first_step as select 1 as x")
        assert not _can_read(path)  # between two steps
        with connect(path) as con:
            assert con.execute("select x from main.first_step").fetchall() == [(1,)]
    assert _can_read(path)


def test_after_a_duckdb_error_the_next_step_opens_the_warehouse_afresh(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with warehouse_lock(tmp_path, 1):
        with pytest.raises(duckdb.Error), connect(path) as con:
            con.execute("create table main.kept as select 1 as x")
            held = con.execute("select current_setting('memory_limit')").fetchall()
            con.execute("select * from main.no_such_table")
        assert _can_read(path)  # the run's open database was closed with the error
        with connect(path) as con:
            assert con.execute("select current_setting('memory_limit')").fetchall() == held
            assert con.execute("select x from main.kept").fetchall() == [(1,)]
