"""SIGTERM or SIGINT during a load stops the run cleanly: the command exits 128 + the signal,
says so in one line, the load is recorded `interrupted` at once (not left `running`), nothing
is published, and the temporary Prefect server the command started is stopped (no orphan).

A real `fsdata ingest` in a child process, with no Prefect server configured so that it starts
its own; the signal is sent once the load task has begun (its raw archive copy appears)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from fsdata.config import sample_path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-09-01"


def big_listing(path: Path, rows: int) -> Path:
    """The 2024 sample's espaces repeated under new identifiers until `rows` rows."""
    lines = sample_path("espaces", "liste-fs-20240801.csv").read_text("utf-8").splitlines()
    body = [line for line in lines[1:] if line and not line.startswith(",")]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(lines[0] + "\n")
        for number in range(rows):
            template = body[number % len(body)]
            handle.write(f'"{100_000 + number}"' + template[template.index(",") :] + "\n")
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_run_marks_it_interrupted_and_leaves_no_server(
    tmp_path: Path, signum: signal.Signals
) -> None:
    listing = big_listing(tmp_path / "liste-big.csv", 60_000)
    home = tmp_path / "home"
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")
    }
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "fsdata.cli", "ingest", "espaces", str(listing)]
    child = subprocess.Popen(
        [*command, "--as-of", AS_OF, "--home", str(home)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    raw = home / "raw" / "espaces"
    helpers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 300
        while not any(raw.glob(f"{AS_OF}_*.csv")):
            assert child.poll() is None, f"the run ended first: {child.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "the load never started"
            time.sleep(0.005)
        helpers = psutil.Process(child.pid).children(recursive=True)
        child.send_signal(signum)
        _, stderr = child.communicate(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert helpers, "the run started no temporary Prefect server"

    assert child.returncode == 128 + signum, stderr[-3000:]
    last = [line for line in stderr.splitlines() if line.startswith("fsdata:")]
    assert last == [f"fsdata: interrupted by {signum.name}: nothing more was published"]

    # No process the run started outlives it.
    _, alive = psutil.wait_procs(helpers, timeout=20)
    assert not alive, [p.cmdline() for p in alive]

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        loads = con.execute("select status, message from meta.loads order by load_id").fetchall()
        snapshots = con.execute("select count(*) from meta.snapshots").fetchall()
    finally:
        con.close()
    assert loads[-1][0] == "interrupted", loads
    assert signum.name in loads[-1][1]
    assert snapshots == [(0,)]  # the load's transaction rolled back
    assert not (home / "exports" / "espaces").exists()
