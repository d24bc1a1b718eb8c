"""Operating the service: two writers never share the warehouse (the second waits, or gives up
cleanly after its timeout, even when the first one crashed holding it), status reads in a
terminal, and the lock is re-entrant for subflows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from flows.lock import WarehouseBusy, warehouse_lock

ROOT = Path(__file__).resolve().parents[1]

# A first writer: takes the warehouse lock, writes to the warehouse, says so, then either dies
# abruptly (SIGKILL: no cleanup runs) or keeps the lock for a while.
HOLDER = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from flows.lock import warehouse_lock
    from warehouse.db import connect
    home, hold, crash = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "crash"
    with warehouse_lock(home, 5):
        with connect(home / "warehouse.duckdb") as con:
            con.execute("create table if not exists main.busy as select 1 as x")
        print("held", flush=True)
        time.sleep(hold)
        if crash:
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


def api_environment(home: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment, pointed at the session's Prefect server (no server per process)."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "FSDATA_HOME": str(home), **extra}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return env


def start_holder(home: Path, hold: float, crash: bool) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home), str(hold), "crash" if crash else "keep"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def fsdata(home: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fsdata.cli", *arguments, "--home", str(home)],
        cwd=ROOT,
        env={**api_environment(home, **env), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def loads(home: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select load_id, source, status from meta.loads order by 1").fetchall()
    finally:
        con.close()


def test_second_writer_gives_up_cleanly_after_its_timeout(prefect_server: None, home: Path) -> None:
    holder = start_holder(home, hold=30, crash=False)
    try:
        result = fsdata(home, "refresh", "partners", FSDATA_LOCK_TIMEOUT="1")
        assert result.returncode == 4, result.stderr
        assert f"another fsdata run holds the warehouse (pid {holder.pid})" in result.stderr
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=30)
    # The holder keeps the warehouse open until it ends: read once it has.
    assert loads(home) == []  # nothing written, not even an attempt


def test_second_writer_waits_for_a_writer_that_crashed(prefect_server: None, home: Path) -> None:
    holder = start_holder(home, hold=3, crash=True)
    started = time.monotonic()
    result = fsdata(home, "refresh", "partners")
    holder.wait(timeout=30)
    assert holder.returncode == -signal.SIGKILL
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 2.5
    assert "waiting for another fsdata run" in result.stdout + result.stderr
    assert [(s, st) for _, s, st in loads(home)] == [("partners", "published")]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from core.partners").fetchall()[0][0] > 0
    finally:
        con.close()


def test_lock_is_reentrant_in_one_process_and_exclusive_across(tmp_path: Path) -> None:
    with warehouse_lock(tmp_path, 1), warehouse_lock(tmp_path, 1):
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from flows.lock import warehouse_lock\n"
                "with warehouse_lock(Path(sys.argv[1]), 0.3): pass",
                str(tmp_path),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode != 0
        assert "another fsdata run holds the warehouse" in other.stderr
    with warehouse_lock(tmp_path, 0.1):
        pass  # released once the outermost holder is done
    with pytest.raises(WarehouseBusy):
        holder = start_holder(tmp_path, hold=30, crash=False)
        try:
            with warehouse_lock(tmp_path, 0.3):
                pass
        finally:
            holder.send_signal(signal.SIGTERM)
            holder.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.prefect_server
def test_deployment_runs_on_a_real_server_through_a_process_worker(tmp_path: Path) -> None:
    """prefect.yaml → a real Prefect server on loopback → a process worker → the warehouse."""
    import httpx

    home = tmp_path / "home"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "FSDATA_HOME": str(home),
        "PWD": str(ROOT),
        "PYTHONPATH": str(ROOT),
    }
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.5)

        def cli(*arguments: str) -> None:
            done = subprocess.run(
                [prefect, "--no-prompt", *arguments],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr

        cli("work-pool", "create", "fsdata", "--type", "process")
        cli("deploy", "--name", "partners-monthly")
        deployment = httpx.get(f"{api}/deployments/name/partners/partners-monthly").json()
        assert deployment["parameters"] == {"home": str(home)}
        assert deployment["schedules"][0]["schedule"]["cron"] == "0 5 1 * *"
        run = httpx.post(f"{api}/deployments/{deployment['id']}/create_flow_run", json={}).json()
        cli("worker", "start", "--pool", "fsdata", "--run-once")
        deadline = time.monotonic() + 60
        while True:
            state = httpx.get(f"{api}/flow_runs/{run['id']}").json()["state"]["type"]
            if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, f"the flow run is still {state}"
            time.sleep(1)
        assert state == "COMPLETED"
        assert [(s, st) for _, s, st in loads(home)] == [("partners", "published")]
        assert (home / "exports" / "datapackage.json").is_file()
    finally:
        server.terminate()
        server.wait(timeout=30)
