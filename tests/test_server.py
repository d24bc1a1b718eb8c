"""`fsdata server`: a real Prefect server on loopback kept for a home, found by every command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fsdata.config import sample_path
from fsdata.runtime import choose_server, server_file

ROOT = Path(__file__).resolve().parents[1]


def fsdata(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run(
        [sys.executable, "-m", "fsdata.cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_recorded_server_that_does_not_answer_is_not_used(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server_file(home).parent.mkdir(parents=True)
    url = f"http://127.0.0.1:{closed_port()}/api"
    server_file(home).write_text(json.dumps({"url": url, "pid": 1}), "utf-8")
    choice = choose_server(home)
    assert choice.origin == "temporary" and choice.url is None
    assert "PREFECT_API_URL" not in os.environ
    assert "temporary" in choice.describe()


def test_the_users_prefect_api_url_comes_first(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:1/api")
    choice = choose_server(home)
    assert choice.origin == "PREFECT_API_URL"
    assert "(PREFECT_API_URL)" in choice.describe()


def test_started_server_is_used_by_the_next_commands_then_stopped(home: Path) -> None:
    started = fsdata(home, "server", "start")
    assert started.returncode == 0, started.stderr
    try:
        record = json.loads(server_file(home).read_text("utf-8"))
        assert record["url"].startswith("http://127.0.0.1:")
        assert "running at" in fsdata(home, "server", "status").stdout
        listing = str(sample_path("espaces", "liste-fs-20240801.csv"))
        for expected in ("published", "unchanged"):
            loaded = fsdata(home, "ingest", "espaces", listing, "--as-of", "2024-08-01")
            assert loaded.returncode == 0, loaded.stderr
            assert f"Prefect server: {record['url']} (this home's server" in loaded.stdout
            assert expected in loaded.stdout + loaded.stderr
        # the flow runs were recorded by that server
        runs = subprocess.run(
            [sys.executable, "-c", "import urllib.request, sys; print(urllib.request.urlopen("
             "urllib.request.Request(sys.argv[1] + '/flow_runs/count', method='POST', data=b'{}',"
             " headers={'Content-Type': 'application/json'})).read().decode())", record["url"]],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert int(runs.stdout) >= 2, runs.stderr
    finally:
        stopped = fsdata(home, "server", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
    assert not server_file(home).exists()
    assert "no Prefect server" in fsdata(home, "server", "status").stdout
