"""Flow `demo`: every source flow on the bundled sample data, offline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from prefect import flow

from flows.espaces import espaces

# Sample espace listings and the date each one is the listing of, oldest first.
ESPACE_SAMPLES = (
    ("france_services_20200312.geojson", "2020-03-12"),
    ("liste-fs-20231201.csv", "2023-12-01"),
    ("liste-fs-20240801.csv", "2024-08-01"),
)


def sample_path(*parts: str) -> Path:
    return Path(str(resources.files("fsdata").joinpath("samples", *parts)))


@flow(name="demo", log_prints=True)
def demo(home: str, config: str | None = None) -> list[dict[str, Any]]:
    summaries = []
    for name, as_of in ESPACE_SAMPLES:
        summaries.append(
            espaces(home=home, file=str(sample_path("espaces", name)), as_of=as_of, config=config)
        )
    return summaries
