"""Flow `refresh_all`: every live source in dependency order, then coverage, under one hold of
the warehouse. A source that is refused or cannot be fetched does not stop the others; the run
fails at the end, naming them."""

from __future__ import annotations

import importlib
from typing import Any

from prefect import flow

from flows.lock import holds_warehouse
from flows.pipeline import LoadFailed, LoadRefused

REFRESH_ORDER = ("espaces", "observatoire", "communes", "partners", "coverage")


@flow(name="refresh_all", log_prints=True)
@holds_warehouse
def refresh_all(home: str, config: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    problems: list[str] = []
    for source in REFRESH_ORDER:
        flow_function = getattr(importlib.import_module(f"flows.{source}"), source)
        try:
            results[source] = flow_function(home=home, config=config)
        except (LoadRefused, LoadFailed) as exc:
            results[source] = {"source": source, "status": "problem", "message": str(exc)}
            problems.append(f"{source}: {exc}")
    if problems:
        raise LoadFailed("; ".join(problems))
    return results
