"""Source `mediation`: the lieux de médiation numérique (ANCT, data.gouv.fr), one national CSV
per the Table Schema v1.0.2, kept as history like the espace listing (a lieu's versions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import ValidationOutcome, validate
from flows.execution import SourceChecksum
from flows.live import latest_dataset_file
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, load_items
from fsdata.config import load_settings
from fsdata.fetch import modified_day
from transforms.limits import InputLimits
from transforms.mediation import parse_lieux
from warehouse import mediation as store
from warehouse.archive import sha256_of
from warehouse.db import snapshot_sha256


@task(name="parse mediation", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return parse_lieux(file, limits)


@task(
    name="validate mediation", cache_policy=SourceChecksum(packages=("transforms", "expectations"))
)
def validate_frame(parsed: pl.DataFrame, sha256: str) -> list[ValidationOutcome]:
    return [validate(parsed, "mediation")]


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    rows, as_of = loaded.rows, loaded.item.as_of
    store.write_lieux(con, loaded.load_id, as_of, rows.accepted, rows.quarantined)


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    changes = store.lieux_changes(con, loaded.item.as_of)
    return f"published {changes.summary(loaded.item.as_of)}", vars(changes)


SOURCE = Source(
    name="mediation",
    suite="mediation",
    parse=parse,
    validate=validate_frame,
    writes=("raw/lieux_mediation",),
    write=write,
    summarize=summarize,
    in_force=lambda con, item: snapshot_sha256(con, "mediation", item.as_of) == item.sha256,
)


@flow(name="mediation", log_prints=True)
@holds_warehouse
def mediation(
    home: str, config: str | None = None, file: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """The national file of lieux: the live one (dated by its last change), or `file` at `as_of`"""
    settings = load_settings(home, config)
    if file is not None:
        if as_of is None:
            raise ValueError("a local file needs the date it is the national file of (as_of)")
        day, path, fetched = date.fromisoformat(as_of), Path(file), None
    else:
        fetched = latest_dataset_file(settings, SOURCE.name, "csv")
        assert fetched.path is not None
        day, path = modified_day(fetched.last_modified, date.today(), None), fetched.path
    sha256 = fetched.sha256 if fetched else sha256_of(path)
    item = Item(path, sha256, as_of=day, slot="the national file in force", fetched=fetched)
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
