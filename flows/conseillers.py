"""Source `conseillers`: the host structures of conseillers numériques (ANCT's June 2021 map
file: one JSON array), one dataset a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import ValidationOutcome, validate
from flows.execution import SourceChecksum
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, load_items
from fsdata.config import load_settings
from transforms.conseillers import parse_conseillers
from transforms.limits import InputLimits
from warehouse import mediation as store
from warehouse.archive import sha256_of
from warehouse.db import snapshot_sha256


@task(name="parse conseillers", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return parse_conseillers(file, limits)


@task(
    name="validate conseillers",
    cache_policy=SourceChecksum(packages=("transforms", "expectations")),
)
def validate_frame(parsed: pl.DataFrame, sha256: str) -> list[ValidationOutcome]:
    return [validate(parsed, "conseillers")]


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
    name="conseillers",
    suite="conseillers",
    parse=parse,
    validate=validate_frame,
    writes=("core/conseillers_structures",),
    write=write,
    summarize=summarize,
    in_force=lambda con, item: snapshot_sha256(con, "conseillers", item.as_of) == item.sha256,
)


@flow(name="conseillers", log_prints=True)
@holds_warehouse
def conseillers(home: str, file: str, as_of: str, config: str | None = None) -> dict[str, Any]:
    """Load a file of conseillers numériques' host structures as the structures of `as_of`."""
    settings = load_settings(home, config)
    path = Path(file)
    item = Item(path, sha256_of(path), as_of=date.fromisoformat(as_of), slot="the file in force")
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
