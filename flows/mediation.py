"""Source `mediation`: the lieux de médiation numérique (ANCT, data.gouv.fr), one national CSV
per the Table Schema v1.0.2, kept as history like the espace listing (a lieu's versions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from flows.execution import SourceChecksum, validation_task
from flows.live import latest_dataset_file
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, at_its_date, load_items, local_file
from fsdata.config import load_settings
from fsdata.fetch import modified_day
from transforms.limits import InputLimits
from transforms.mediation import parse_lieux
from warehouse import history
from warehouse import mediation as store


@task(name="parse mediation", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return parse_lieux(file, limits)


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    rows, as_of = loaded.rows, loaded.item.as_of
    store.write_lieux(con, loaded.load_id, as_of, rows.accepted, rows.quarantined)


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    changes = history.changes(con, store.LIEUX, loaded.item.as_of)
    message = (
        f"published {changes.open_after} lieux de médiation as of {loaded.item.as_of} (before: "
        f"{changes.open_before}): {changes.opened} appeared, {changes.closed} gone, "
        f"{changes.changed} changed"
    )
    return message, vars(changes)


SOURCE = Source(
    "mediation", parse, validation_task("mediation"), write, summarize,
    in_force=at_its_date,
)  # fmt: skip


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
        (path, sha256), day, fetched = (
            local_file(settings, SOURCE.name, file),
            date.fromisoformat(as_of),
            None,
        )
    else:
        fetched = latest_dataset_file(settings, SOURCE.name, "csv")
        assert fetched.path is not None and fetched.sha256 is not None
        day, path, sha256 = (
            modified_day(fetched.last_modified, date.today(), None),
            fetched.path,
            fetched.sha256,
        )
    item = Item(path, sha256, as_of=day, slot="the national file in force", fetched=fetched,
                replay={"file": path, "as_of": day.isoformat()})  # fmt: skip
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
