"""Process-wide settings that must be in place before Prefect is imported."""

from __future__ import annotations

import os
from pathlib import Path


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
