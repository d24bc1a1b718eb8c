"""`fsdata server start|stop|status`: a local Prefect server kept running for one home.

Without it every command starts a temporary Prefect server (~10 s before any work). Started
here, the server runs in the background on loopback, its state in `<home>/.prefect`, its log
in `<home>/.prefect/server.log`, its URL and process id in `<home>/.prefect/server.json`; every
later command of that home finds it there (fsdata/runtime.py) and uses it, after checking it
answers. `fsdata serve` starts one the same way when none is running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from fsdata.runtime import is_alive, read_server_file, server_file

START_TIMEOUT = 120.0  # a first start migrates the server's database: tens of seconds here
STOP_TIMEOUT = 30.0


class ServerError(RuntimeError):
    """The server could not be started or stopped; the message says why."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def running(home: Path) -> str | None:
    """The URL of this home's server when it answers, else None."""
    recorded = read_server_file(home)
    if recorded is None:
        return None
    url = str(recorded["url"])
    return url if is_alive(url) else None


def start(home: Path, port: int = 0, started_by: str = "fsdata server start") -> str:
    """Start this home's server in the background (or find it running); its API URL."""
    url = running(home)
    if url is not None:
        return url
    state = (home / ".prefect").resolve()
    state.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(state), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log_path = state / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        # Its own session: the server outlives this command and a Ctrl-C typed here.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not is_alive(url):
        if process.poll() is not None:
            raise ServerError(f"the Prefect server exited at start (code {process.returncode}); "
                              f"see {log_path}")  # fmt: skip
        if time.monotonic() > deadline:
            _terminate(process.pid)
            raise ServerError(f"the Prefect server did not answer within {START_TIMEOUT:.0f} s; "
                              f"see {log_path}")  # fmt: skip
        time.sleep(0.5)
    record = {
        "url": url,
        "pid": process.pid,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "started_by": started_by,
        "log": str(log_path),
    }
    server_file(home).write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return url


def _is_prefect_server(pid: int) -> bool:
    """The process still is a Prefect server (a recorded pid may have been reused)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"prefect" in b" ".join(command) and b"server" in command


def _terminate(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)  # the server and the workers it started
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _is_prefect_server(pid):
        time.sleep(0.2)
    if _is_prefect_server(pid):
        os.killpg(pid, signal.SIGKILL)


def stop(home: Path) -> str:
    """Stop this home's server; what was done, in a sentence."""
    recorded = read_server_file(home)
    if recorded is None:
        return "no Prefect server recorded for this home"
    pid = recorded.get("pid")
    if isinstance(pid, int) and _is_prefect_server(pid):
        _terminate(pid)
        message = f"stopped the Prefect server at {recorded['url']} (pid {pid})"
    else:
        message = f"the Prefect server at {recorded['url']} was no longer running"
    server_file(home).unlink(missing_ok=True)
    return message


def status(home: Path) -> str:
    recorded = read_server_file(home)
    if recorded is None:
        return "no Prefect server for this home: commands start a temporary one"
    url = str(recorded["url"])
    if is_alive(url):
        return f"Prefect server running at {url} (pid {recorded.get('pid')}, since " \
               f"{recorded.get('started_at')})"  # fmt: skip
    return f"the Prefect server recorded at {url} does not answer: commands start a temporary one"


def main(home: Path, action: str, port: int = 0) -> int:
    try:
        if action == "start":
            print(f"Prefect server running at {start(home, port)} for {home}")
        elif action == "stop":
            print(stop(home))
        else:
            print(status(home))
    except ServerError as exc:
        print(f"fsdata: server: {exc}", file=sys.stderr)
        return 1
    return 0
