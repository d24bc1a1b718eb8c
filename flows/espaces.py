"""Source `espaces`: the France services listing (ANCT), one snapshot a date, kept as history."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import ValidationOutcome, validate
from flows.execution import SourceChecksum
from flows.live import fetch_live
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, load_items
from fsdata.config import Settings, load_settings
from fsdata.fetch import modified_day
from transforms.espaces import parse_listing
from warehouse import espaces as store
from warehouse.archive import sha256_of
from warehouse.db import connect

# A guard bound no listing reaches, for the first snapshot or an operator's override.
UNBOUNDED_ROWS = 10**12


@task(name="parse espaces", cache_policy=SourceChecksum())
def parse(file: Path, sha256: str) -> pl.DataFrame:
    return parse_listing(file)


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


def in_force(con: duckdb.DuckDBPyConnection, item: Item) -> bool:
    """The file in force for that date; a live refresh bringing back the latest file is
    unchanged whatever the date."""
    assert item.as_of is not None
    latest = store.latest_snapshot(con)
    live_latest = item.fetched is not None and latest is not None and latest[1] == item.sha256
    return store.effective_sha256(con, item.as_of) == item.sha256 or live_latest


def guard(con: duckdb.DuckDBPyConnection, settings: Settings, item: Item) -> dict[str, Any]:
    """The row-count guard's bounds, from the neighbouring published snapshot."""
    assert item.as_of is not None
    neighbour = store.neighbour_row_count(con, item.as_of)
    if not neighbour or item.options.get("accept_row_count"):
        return {"parameters": {"min_rows": 0, "max_rows": UNBOUNDED_ROWS, "neighbour": 0}}
    return {
        "parameters": {
            "min_rows": int(neighbour * (1 - settings.row_count_max_fall) + 0.999999),
            "max_rows": int(neighbour * settings.row_count_max_rise),
            "neighbour": neighbour,
        }
    }


def hint(loaded: Loaded) -> str:
    bounds = loaded.task_args["parameters"]
    failed = {r.rule for o in loaded.outcomes for r in o.failures("blocking")}
    if "row_count_guard" not in failed:
        return ""
    return (
        f" (expected {bounds['min_rows']}..{bounds['max_rows']} rows from the neighbouring "
        f"snapshot's {bounds['neighbour']}; if the change is real, load again with "
        "--accept-row-count)"
    )


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    assert loaded.item.as_of is not None
    store.write_snapshot(
        con,
        load_id=loaded.load_id,
        as_of=loaded.item.as_of,
        accepted=loaded.rows.accepted,
        quarantined=loaded.rows.quarantined,
    )


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    assert loaded.item.as_of is not None
    changes = store.snapshot_changes(con, loaded.item.as_of)
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
    name="espaces",
    suite="espaces",
    parse=parse,
    validate=validate_frame,
    writes=("raw/espaces",),
    write=write,
    summarize=summarize,
    in_force=in_force,
    task_args=guard,
    refusal_hint=hint,
)


@flow(name="espaces", log_prints=True)
@holds_warehouse
def espaces(
    home: str,
    file: str | None = None,
    as_of: str | None = None,
    accept_row_count: bool = False,
    config: str | None = None,
) -> dict[str, Any]:
    """Load the espace listing: the live source when `file` is None, else that local file
    as the listing of `as_of`. Raises LoadRefused / LoadFailed when nothing was published."""
    settings = load_settings(home, config)
    options = {"accept_row_count": accept_row_count}
    if file is None:
        items = _download(settings, options)
    else:
        if as_of is None:
            raise ValueError("a local file needs the date it is the listing of (as_of)")
        items = [_item(Path(file), sha256_of(Path(file)), date.fromisoformat(as_of), options)]
    report = load_items(SOURCE, settings, items)
    return report.summaries[0].to_dict() if report.summaries else {"status": "unchanged"}


def _item(file: Path, sha256: str, as_of: date, options: dict[str, Any], **more: Any) -> Item:
    return Item(
        file,
        sha256,
        as_of=as_of,
        label=f"{as_of.isoformat()}_{sha256[:16]}",
        slot="the listing in force",
        options=options,
        **more,
    )


def _download(settings: Settings, options: dict[str, Any]) -> list[Item]:
    fetched = fetch_live(settings, SOURCE.name, settings.source_url(SOURCE.name))
    if fetched is None:
        return []
    assert fetched.path is not None and fetched.sha256 is not None
    suffix = Path(urlsplit(fetched.final_url).path).suffix.lower()
    if suffix not in (".csv", ".geojson", ".json"):
        suffix = ".geojson" if "json" in (fetched.content_type or "") else ".csv"
    with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        latest = store.latest_snapshot(con)
    as_of = modified_day(fetched.last_modified, date.today(), latest[0] if latest else None)
    # Named as its archived or rejected copy will be, so a refusal names a file one can find.
    named = fetched.path.with_name(f"{as_of.isoformat()}_{fetched.sha256[:16]}{suffix}")
    fetched.path.rename(named)
    return [_item(named, fetched.sha256, as_of, options, fetched=fetched)]
