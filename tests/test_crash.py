"""Crash safety: a run killed with SIGKILL during the load or during the export leaves a
warehouse that opens, the previous complete exports, and a next run that completes.

The run is a real `fsdata ingest` in a child process, on a synthetic listing large enough that
the load and the export each take a while; the kill is timed by markers visible from outside:
the raw archive copy (written when the load task starts, before its transaction) and the
export's temporary file `.<name>.parquet.tmp-<pid>`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.espaces import espaces
from fsdata.config import load_settings, sample_path
from warehouse.db import connect

SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")
ROWS = 60_000
RUN_DATE = "2024-09-01"


def exports_state(home: Path) -> dict[str, str]:
    folder = home / "exports" / "espaces"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def big_listing(path: Path, rows: int) -> Path:
    """The 2024 sample's espaces repeated under new identifiers until `rows` rows."""
    records = list(csv.reader(io.StringIO(SAMPLE_2024.read_text("utf-8"))))
    header, body = records[0], [r for r in records[1:] if r[0]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number in range(rows):
        template = body[number % len(body)]
        writer.writerow([str(100_000 + number), *template[1:]])
    path.write_text(out.getvalue(), "utf-8")
    return path


@pytest.fixture(scope="module")
def baseline(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("crash") / "home"
    assert espaces(home=str(home), file=str(SAMPLE_2024), as_of="2024-08-01")["status"] == (
        "published"
    )
    return home


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_listing(tmp_path_factory.mktemp("listing") / "liste-big.csv", ROWS)


def run_and_kill(home: Path, listing: Path, marker: Callable[[], bool]) -> None:
    """`fsdata ingest` in a child process, SIGKILLed as soon as `marker()` is true."""
    from prefect.settings import PREFECT_API_URL

    environment = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    command = (
        "import sys; from fsdata.cli import main; sys.exit(main(sys.argv[1:]))",
        "ingest",
        "espaces",
        str(listing),
        "--as-of",
        RUN_DATE,
        "--accept-row-count",
        "--home",
        str(home),
    )
    child = subprocess.Popen(
        [sys.executable, "-c", *command],
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while not marker():
            if child.poll() is not None:
                error = child.stderr.read().decode() if child.stderr else ""
                pytest.fail(f"the run ended before the marker appeared: {error[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the marker never appeared")
            time.sleep(0.002)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def loads(home: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(
            "select load_id, status, as_of from meta.loads where source = 'espaces' "
            "order by load_id"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("moment", ["load", "export"])
def test_killed_run_leaves_a_usable_warehouse_and_the_previous_exports(
    baseline: Path, listing: Path, tmp_path: Path, moment: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(baseline, home)
    before = exports_state(home)
    raw = home / "raw" / "espaces"
    exports = home / "exports" / "espaces"
    markers = {
        "load": lambda: any(raw.glob(f"{RUN_DATE}_*.csv")),
        "export": lambda: any(exports.glob(".espaces_history.parquet.tmp-*")),
    }
    run_and_kill(home, listing, markers[moment])

    # The warehouse opens, read-only (a reader while nothing runs) and read-write.
    # Killed during the load, the attempt is still 'running'; during the export, its publish
    # had committed.
    killed = loads(home)[-1]
    assert killed[1] == ("running" if moment == "load" else "published")
    with connect(load_settings(home).warehouse_path) as con:
        snapshots = con.execute("select as_of::varchar from meta.snapshots order by 1").fetchall()
    # Killed during the load, the transaction never committed; during the export it had.
    assert snapshots == ([("2024-08-01",)] if moment == "load" else [("2024-08-01",), (RUN_DATE,)])
    # Every export file is the previous complete one (only a temporary file may be left).
    assert {k: v for k, v in exports_state(home).items() if not k.startswith(".")} == before

    # The next run completes, and repairs what the killed one left.
    summary = espaces(home=str(home), file=str(listing), as_of=RUN_DATE, accept_row_count=True)
    assert summary["status"] == ("published" if moment == "load" else "unchanged")
    statuses = [row[1] for row in loads(home)]
    assert statuses[-2:] == ["crashed" if moment == "load" else "published", summary["status"]]
    assert not [p.name for p in exports.iterdir() if p.name.startswith(".")]
    assert exports_state(home) != before  # the exports caught up with the warehouse
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        current = con.execute("select count(*) from marts.espaces_current").fetchone()
        exported = con.execute(
            "select count(*) from read_parquet(?)", [str(exports / "espaces_current.parquet")]
        ).fetchone()
    finally:
        con.close()
    assert current == exported == (ROWS,)
