"""Source `espaces`: the France services listing (ANCT), one snapshot a date, kept as history."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import ValidationOutcome, validate
from expectations.warehouse_rules import row_count_bounds, row_count_hint
from flows.execution import SourceChecksum
from flows.live import fetch_live, named_download
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, at_its_date, load_items, local_file
from fsdata.config import Settings, load_settings
from fsdata.fetch import modified_day
from transforms.espaces import parse_listing
from transforms.limits import InputLimits
from warehouse import espaces as store
from warehouse import history
from warehouse.db import connect


@task(name="parse espaces", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return parse_listing(file, limits)


@task(
    name="validate espaces",
    cache_policy=SourceChecksum(
        inputs=("sha256", "parameters"), packages=("transforms", "expectations")
    ),
)
def validate_frame(
    parsed: pl.DataFrame, sha256: str, parameters: dict[str, int]
) -> list[ValidationOutcome]:
    return [validate(parsed, "espaces", parameters)]


def in_force(con: duckdb.DuckDBPyConnection, source: str, item: Item) -> bool:
    """The file in force for that date; a live refresh bringing back the latest file is
    unchanged whatever the date."""
    assert item.as_of is not None
    latest = store.latest_snapshot(con)
    live_latest = item.fetched is not None and latest is not None and latest[1] == item.sha256
    return at_its_date(con, source, item) or live_latest


def guard(con: duckdb.DuckDBPyConnection, settings: Settings, item: Item) -> dict[str, Any]:
    """The row-count guard's bounds, from the neighbouring published snapshot."""
    neighbour = store.neighbour_row_count(con, item.as_of)  # type: ignore[arg-type]
    accepted = bool(item.options.get("accept_row_count"))
    fall, rise = settings.row_count_max_fall, settings.row_count_max_rise
    return {"parameters": row_count_bounds(neighbour, fall, rise, accepted)}


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    rows, as_of = loaded.rows, loaded.item.as_of
    store.write_snapshot(
        con,
        load_id=loaded.load_id,
        as_of=as_of,
        accepted=rows.accepted,
        quarantined=rows.quarantined,
    )


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    assert loaded.item.as_of is not None
    changes = history.changes(con, store.HISTORY, loaded.item.as_of)
    message = (
        f"published {loaded.rows.rows_loaded} espaces as of {loaded.item.as_of}: "
        f"{changes.opened} opened, {changes.closed} closed, {changes.changed} changed"
    )
    return message, {
        "open before": changes.open_before,
        "open after": changes.open_after,
        "opened": changes.opened,
        "closed": changes.closed,
        "changed": changes.changed,
    }


SOURCE = Source(
    "espaces", parse, validate_frame, write, summarize, in_force=in_force, task_args=guard,
    refusal_hint=lambda loaded: row_count_hint(loaded.outcomes, loaded.task_args["parameters"]),
)  # fmt: skip


@flow(name="espaces", log_prints=True)
@holds_warehouse
def espaces(
    home: str, file: str | None = None, as_of: str | None = None,
    accept_row_count: bool = False, config: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Load the espace listing: the live source when `file` is None, else that local file
    as the listing of `as_of`. Raises LoadRefused / LoadFailed when nothing was published."""
    settings = load_settings(home, config)
    options = {"accept_row_count": accept_row_count}
    if file is None:
        items = _download(settings, options)
    else:
        if as_of is None:
            raise ValueError("a local file needs the date it is the listing of (as_of)")
        path, sha256 = local_file(settings, SOURCE.name, file)
        items = [_item(path, sha256, date.fromisoformat(as_of), options)]
    report = load_items(SOURCE, settings, items)
    return report.summaries[0].to_dict() if report.summaries else {"status": "unchanged"}


def _item(file: Path, sha256: str, as_of: date, options: dict[str, Any], **more: Any) -> Item:
    label = f"{as_of.isoformat()}_{sha256[:16]}"
    replay = {"file": file, "as_of": as_of.isoformat(), **options}
    return Item(file, sha256, as_of, label, slot="the listing in force", options=options,
                replay=replay, **more)  # fmt: skip


def _download(settings: Settings, options: dict[str, Any]) -> list[Item]:
    fetched = fetch_live(settings, SOURCE.name, settings.source_url(SOURCE.name))
    if fetched is None:
        return []
    assert fetched.sha256 is not None
    with connect(settings.warehouse_path) as con:
        latest = store.latest_snapshot(con)
    as_of = modified_day(fetched.last_modified, date.today(), latest[0] if latest else None)
    # Named as its archived or rejected copy will be, so a refusal names a file one can find.
    stem = f"{as_of.isoformat()}_{fetched.sha256[:16]}"
    named = named_download(fetched, (".csv", ".geojson", ".json"), stem)
    return [_item(named, fetched.sha256, as_of, options, fetched=fetched)]
