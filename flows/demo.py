"""Flow `demo`: every source on bundled files, offline, through the same flows as a real load.

`SAMPLES` declares the small invented samples of `fsdata/samples/` (what the tests load), each
source's files in the order they are loaded; the sources run in dependency order.
"""

from __future__ import annotations

import importlib
from typing import Any

from prefect import flow
from rich.console import Console

from flows.lock import holds_warehouse
from fsdata.config import load_settings, sample_path
from warehouse.datadocs import refresh_gx_data_docs
from warehouse.db import connect

# source → the flow's keyword arguments for each sample file (`file` relative to its folder).
SAMPLES: dict[str, tuple[dict[str, Any], ...]] = {
    "espaces": (
        {"file": "france_services_20200312.geojson", "as_of": "2020-03-12"},
        {"file": "liste-fs-20231201.csv", "as_of": "2023-12-01"},
        {"file": "liste-fs-20240801.csv", "as_of": "2024-08-01"},
    ),
    "partners": ({},),  # the catalogue kept in fsdata/reference
    "communes": ({"file": "communes-demo.csv", "vintage": 2021},),
    "observatoire": tuple(
        {"file": name, "renames": "demarche_renames.csv"}
        for name in (
            "observatoire-edition-octobre-2022.csv",
            "observatoire-2-edition-11-octobre-2025-.xlsx",
            "observatoire-2-edition-13-avril-2026-.ods",
        )
    ),
    "footfall": ({"file": "footfall-SYNTHETIC-demo.csv"},),
    "coverage": ({},),  # already brought up to date: shows the incremental path
}


def load_samples(home: str, source: str, config: str | None = None) -> list[dict[str, Any]]:
    """Load `source`'s samples through its flow; each run's summary."""
    flow_function = getattr(importlib.import_module(f"flows.{source}"), source)
    runs = []
    for arguments in SAMPLES[source]:
        paths = {
            name: str(sample_path(source, value))
            for name, value in arguments.items()
            if name in ("file", "renames")
        }
        runs.append(flow_function(home=home, config=config, **{**arguments, **paths}))
    return runs


@flow(name="demo", log_prints=True)
@holds_warehouse
def demo(home: str, config: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    progress = Console(stderr=True)
    for step, source in enumerate(SAMPLES, start=1):
        progress.print(f"[bold]demo {step}/{len(SAMPLES)}[/bold] {source}…")
        results[source] = load_samples(home, source, config)
    settings = load_settings(home, config)
    with connect(
        settings.warehouse_path, memory_limit=settings.memory_limit
    ) as con:  # built once, after every source
        refresh_gx_data_docs(con, settings.exports_dir, settings.validation_dir)
    return results
