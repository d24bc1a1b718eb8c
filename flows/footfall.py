"""Source `footfall`: an operator's footfall feed (fsdata/reference/FOOTFALL_FORMAT.md).

No open dataset gives footfall per espace (SOURCES.md §4): feeds arrive as files. The demo's
feed is SYNTHETIC, marked as such in the tables, the exports and the run summary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import RowSplit, ValidationOutcome, split_rows, validate
from expectations.warehouse_rules import espace_open_in_month
from flows.execution import SourceChecksum
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, load_items, local_file
from fsdata.config import Settings, load_settings
from transforms.footfall import read_footfall
from transforms.limits import InputLimits
from warehouse import footfall as store
from warehouse.db import published_sha256
from warehouse.partners import catalogue_in_force

SYNTHETIC_NOTE = "SYNTHETIC demo feed (invented figures, not real footfall)"
# Months after the month of the run are refused: the key holds that month, not the day.
FEED_KEY = ("sha256", "month_of_run", "catalogue_sha256")
# Before any catalogue load, partner names map through the catalogue kept in fsdata/reference.
FEED_CODE = ("transforms", "fsdata")


@task(
    name="parse footfall",
    cache_policy=SourceChecksum(inputs=(*FEED_KEY, "limits"), packages=FEED_CODE),
)
def parse(
    file: Path,
    sha256: str,
    month_of_run: date,
    aliases: pl.DataFrame | None,
    catalogue_sha256: str | None,
    limits: InputLimits,
) -> pl.DataFrame:
    return read_footfall(file, aliases, month_of_run, limits)


@task(
    name="validate footfall",
    cache_policy=SourceChecksum(inputs=FEED_KEY, packages=(*FEED_CODE, "expectations")),
)
def validate_frame(
    parsed: pl.DataFrame, sha256: str, month_of_run: date, catalogue_sha256: str | None
) -> list[ValidationOutcome]:
    return [validate(parsed, "footfall")]


def catalogue(con: duckdb.DuckDBPyConnection, settings: Settings, item: Item) -> dict[str, Any]:
    """The catalogue as published maps partner names; the repository's before any load."""
    in_force = catalogue_in_force(con)
    return {
        "month_of_run": date.today().replace(day=1),
        "aliases": in_force[0] if in_force else None,
        "catalogue_sha256": published_sha256(con, "partners"),
    }


def split(parsed: pl.DataFrame, outcomes: list[ValidationOutcome]) -> RowSplit:
    """The rows kept, with the columns the write stores only: the raw texts, the row key and
    the check columns are the parsed frame's, released once split (half its memory)."""
    rows = split_rows(parsed, outcomes[0])
    return replace(rows, accepted=rows.accepted.select(store.ACCEPTED_COLUMNS))


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> store.FootfallChanges | str:
    if store.is_unchanged(con, loaded.rows.accepted):
        return "unchanged"
    return store.publish_feed(
        con,
        load_id=loaded.load_id,
        accepted=loaded.rows.accepted,
        quarantined=loaded.rows.quarantined,
        is_synthetic=store.is_synthetic_file(loaded.item.file.name),
    )


def summarize(
    con: duckdb.DuckDBPyConnection, loaded: Loaded, changes: store.FootfallChanges | str
) -> tuple[str, dict[str, int]]:
    synthetic = store.is_synthetic_file(loaded.item.file.name)
    prefix = f"{SYNTHETIC_NOTE}: " if synthetic else ""
    if isinstance(changes, str):
        return f"{prefix}unchanged: {loaded.item.file.name} brings the figures in force", {}
    outliers = ", ".join(
        f"espace {o['espace_id']} {o['month']:%Y-%m} {o['partner_code'] or 'total'}: "
        f"{o['requests']} (median {o['median_requests']:g})"
        for o in changes.outliers
    )
    message = (
        f"{prefix}published {loaded.rows.rows_loaded} figures for {changes.espace_months} "
        f"espace-months ({changes.espace_months_replaced} replaced a month already loaded), "
        f"{loaded.rows.rows_quarantined} rows quarantined"
        + (f"; outliers (≥ 10× the espace's median, kept): {outliers}" if outliers else "")
    )
    if changes.outliers:
        loaded.rows.warnings["footfall_outlier"] = len(changes.outliers)
    return message, {
        "espace-months": changes.espace_months,
        "replaced": changes.espace_months_replaced,
        "figures removed": changes.rows_removed,
        "outliers": len(changes.outliers),
        "synthetic": int(synthetic),
    }


def espaces_loaded(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """A feed is refused before any espace listing: its espaces could be checked against none."""
    if store.espaces_loaded(con):
        return None
    return "espaces_loaded", "no espace history: load the espaces first"


SOURCE = Source(
    "footfall", parse, validate_frame, write, summarize, task_args=catalogue,
    in_force=lambda con, source, item: store.feed_in_force(con, item.sha256),
    precondition=espaces_loaded, warehouse_rules=(espace_open_in_month,), split=split,
    changed_from=lambda loaded: store.first_month(loaded.rows.accepted), releases_frames=True,
)  # fmt: skip


@flow(name="footfall", log_prints=True)
@holds_warehouse
def footfall(home: str, config: str | None = None, file: str | None = None) -> dict[str, Any]:
    """Load one footfall feed file. Raises LoadRefused when nothing was published."""
    settings = load_settings(home, config)
    if file is None:
        raise ValueError("footfall has no live source: give the operator's feed file")
    path, sha256 = local_file(settings, SOURCE.name, file)
    item = Item(
        path,
        sha256,
        as_of=date.today(),
        slot="a feed whose figures are all in force",
        options={"synthetic": store.is_synthetic_file(path.name)},
        replay={"file": path},
    )
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
