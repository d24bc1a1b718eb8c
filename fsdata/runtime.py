"""Process-wide settings that must be in place before Prefect is imported, and the choice of
the Prefect server a command talks to."""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# Written by `fsdata server start` (and `fsdata serve`): the URL of the server kept running
# for this home, so that every later command uses it instead of starting a temporary one.
SERVER_FILE = "server.json"
# A server that does not answer its health check within this is taken for gone.
HEALTH_TIMEOUT = 1.0


def prepare_prefect_environment(home: Path) -> None:
    """Keep Prefect's state inside the project's data folder and its telemetry off.

    Without a configured server (`PREFECT_API_URL`), Prefect starts an ephemeral one whose
    database lives in `PREFECT_HOME`; the analytics job of that server otherwise logs
    "database is locked" tracebacks.
    """
    prefect_home = (home / ".prefect").resolve()
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class ServerChoice:
    url: str | None  # None: Prefect starts a temporary server for this process
    origin: str  # "PREFECT_API_URL", "home" or "temporary"

    def describe(self) -> str:
        if self.origin == "PREFECT_API_URL":
            return f"Prefect server: {self.url} (PREFECT_API_URL)"
        if self.origin == "home":
            return f"Prefect server: {self.url} (this home's server; `fsdata server stop` ends it)"
        return (
            "Prefect server: a temporary one for this command (~10 s to start; "
            "`fsdata server start` keeps one running for this home)"
        )


def server_file(home: Path) -> Path:
    return home / ".prefect" / SERVER_FILE


def read_server_file(home: Path) -> dict[str, object] | None:
    try:
        recorded = json.loads(server_file(home).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and isinstance(recorded.get("url"), str) else None


def is_alive(url: str, timeout: float = HEALTH_TIMEOUT) -> bool:
    """The server at `url` (ending in /api) answers its health check."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def choose_server(home: Path) -> ServerChoice:
    """The server this command uses, set in the environment before Prefect is imported:
    `PREFECT_API_URL` when the user set it; else the server recorded for this home when it
    answers; else none (Prefect starts a temporary one, as it always did)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return ServerChoice(configured, "PREFECT_API_URL")
    recorded = read_server_file(home)
    if recorded is not None and is_alive(str(recorded["url"])):
        url = str(recorded["url"])
        os.environ["PREFECT_API_URL"] = url
        return ServerChoice(url, "home")
    return ServerChoice(None, "temporary")
