"""Source `conseillers`: the host structures of conseillers numériques (ANCT's June 2021 map
file: one JSON array), one dataset a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from flows.execution import SourceChecksum, validation_task
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, at_its_date, load_items, local_file
from fsdata.config import load_settings
from transforms.conseillers import parse_conseillers
from transforms.limits import InputLimits
from warehouse import mediation as store


@task(name="parse conseillers", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return parse_conseillers(file, limits)


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> store.ConseillersFigures:
    rows, as_of = loaded.rows, loaded.item.as_of
    assert as_of is not None
    return store.publish_conseillers(con, loaded.load_id, as_of, rows.accepted, rows.quarantined)


def summarize(
    con: duckdb.DuckDBPyConnection, loaded: Loaded, figures: store.ConseillersFigures
) -> tuple[str, dict[str, int]]:
    assert loaded.item.as_of is not None
    return f"published {figures.summary(loaded.item.as_of)}", vars(figures)


SOURCE = Source(
    "conseillers", parse, validation_task("conseillers"), write, summarize, in_force=at_its_date,
)  # fmt: skip


@flow(name="conseillers", log_prints=True)
@holds_warehouse
def conseillers(home: str, file: str, as_of: str, config: str | None = None) -> dict[str, Any]:
    """Load a file of conseillers numériques' host structures as the structures of `as_of`."""
    settings = load_settings(home, config)
    path, sha256 = local_file(settings, SOURCE.name, file)
    day = date.fromisoformat(as_of)
    replay = {"file": path, "as_of": as_of}
    item = Item(path, sha256, as_of=day, slot="the file in force", replay=replay)
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
