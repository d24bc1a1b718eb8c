"""Flow `demo`: every source on bundled files, offline, through the same flows as a real load.

By default the real published files bundled in `fsdata/data/` (`fsdata/realdata.py` says what
each is loaded as): the espace listings of 2020 and 2024, the communes of 2021, the partner
catalogue, the baromètre, the October 2025 observatory edition and the conseillers numériques
of June 2021 — no invented figure. With `samples`, the small invented samples of
`fsdata/samples/` (`SAMPLES`, what the tests load), the SYNTHETIC footfall feed among them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from prefect import flow
from rich.console import Console

from flows.lock import holds_warehouse
from fsdata import realdata
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


# The real files' sources in dependency order (partners: the catalogue kept with the code).
REAL_ORDER = ("espaces", "partners", "communes", "barometre", "observatoire", "conseillers")


def load_real(home: str, source: str, config: str | None = None) -> list[dict[str, Any]]:
    """Load `source`'s bundled real files through its flow; each run's summary. A file the
    declaration says is refused (the first 2020 version) is refused, as it would be live."""
    from flows.pipeline import LoadRefused

    flow_function = getattr(importlib.import_module(f"flows.{source}"), source)
    folder = Path(home) / "tmp" / "realdata"
    entries = realdata.files(source)
    if source == "partners":
        return [flow_function(home=home, config=config)]
    if source == "barometre":  # its files are one load
        paths = [str(realdata.extract(entry, folder)) for entry in entries]
        return [flow_function(home=home, config=config, file=paths)]
    runs = []
    for entry in entries:
        arguments: dict[str, Any] = {"file": str(realdata.extract(entry, folder)), **entry.options}
        if entry.as_of:
            arguments["as_of"] = entry.as_of.isoformat()
        if entry.vintage:
            arguments["vintage"] = entry.vintage
        if entry.edition:
            arguments["edition"] = entry.edition
        try:
            runs.append(flow_function(home=home, config=config, **arguments))
        except LoadRefused as refused:
            if entry.refused_by is None or entry.refused_by not in str(refused):
                raise
            runs.append({"source": source, "status": "rejected", "message": str(refused)})
    return runs


@flow(name="demo", log_prints=True)
@holds_warehouse
def demo(home: str, config: str | None = None, samples: bool = False) -> dict[str, Any]:
    """Every source on the bundled real files, or on the invented samples (`samples`)."""
    results: dict[str, Any] = {}
    progress = Console(stderr=True)
    order = tuple(SAMPLES) if samples else REAL_ORDER
    for step, source in enumerate(order, start=1):
        progress.print(f"[bold]demo {step}/{len(order)}[/bold] {source}…")
        load = load_samples if samples else load_real
        results[source] = load(home, source, config)
    settings = load_settings(home, config)
    with connect(settings.warehouse_path) as con:  # GX's Data Docs: once, after every source
        refresh_gx_data_docs(con, settings.exports_dir, settings.validation_dir)
    return results
