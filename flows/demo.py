"""Flow `demo`: every source flow on the bundled sample data, offline.

Each source's flow module provides `run_demo(home, config)`, which loads that source's
samples through the same flow as a real load; they run in dependency order.
"""

from __future__ import annotations

import importlib
from typing import Any

from prefect import flow
from rich.console import Console

from flows.common import holds_warehouse

DEMO_ORDER = ("espaces", "partners", "communes", "observatoire", "footfall", "coverage")


@flow(name="demo", log_prints=True)
@holds_warehouse
def demo(home: str, config: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    progress = Console(stderr=True)
    for step, source in enumerate(DEMO_ORDER, start=1):
        progress.print(f"[bold]demo {step}/{len(DEMO_ORDER)}[/bold] {source}…")
        try:
            module = importlib.import_module(f"flows.{source}")
        except ModuleNotFoundError as exc:
            if exc.name != f"flows.{source}":
                raise
            continue  # that source's flow is not part of this installation
        results[source] = module.run_demo(home=home, config=config)
    return results
