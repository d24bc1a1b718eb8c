"""Loading an espace listing snapshot into the warehouse and keeping the history right.

A snapshot is the listing as of one date. Publishing one, in a single transaction: its rows go
to `raw.espaces`, its quarantined rows to `meta.quarantine`, `meta.snapshots` points the date
at this load (a later load for the same date replaces the earlier); then, as the model graph
declares, `core.espaces` is rewound to that date and every snapshot from it on is replayed in
order (`replay_history`, warehouse/history.py): the plain append of one snapshot in the usual
case, a correct rebuild for a backfill.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from warehouse import history
from warehouse.db import fetch_first
from warehouse.history import History, replay

SOURCE = "espaces"
HISTORY = History(SOURCE, "core/espaces", "espace_id")


RAW_COLUMNS = (
    "source_row", "espace_id", "name", "type", "format", "address", "address_complement",
    "postcode", "insee_com", "commune", "insee_dep", "latitude", "longitude", "phone", "email",
    "website", "hours_monday", "hours_tuesday", "hours_wednesday", "hours_thursday",
    "hours_friday", "hours_saturday", "hours_sunday", "appointment", "labellisation_date",
    "group_name", "comment", "type_label", "format_label", "coordinates_check",
    "quality_flags", "extra",
)  # fmt: skip


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[date, str] | None:
    row = fetch_first(
        con.execute(
            """
        select snapshots.as_of, loads.sha256 from meta.snapshots
        join meta.loads using (load_id)
        where snapshots.source = $source
        order by snapshots.as_of desc limit 1
        """,
            {"source": SOURCE},
        )
    )
    return (row[0], row[1]) if row else None


def neighbour_row_count(con: duckdb.DuckDBPyConnection, as_of: date) -> int | None:
    """Rows of the published snapshot the new one is compared with: the closest one before
    that date, else the closest after it (a backfill older than everything)."""
    row = fetch_first(
        con.execute(
            """
        select loads.rows_loaded from meta.snapshots
        join meta.loads using (load_id)
        where snapshots.source = $source and snapshots.as_of <> $as_of
        order by (snapshots.as_of > $as_of), abs(datediff('day', snapshots.as_of, $as_of))
        limit 1
        """,
            {"source": SOURCE, "as_of": as_of},
        )
    )
    return int(row[0]) if row else None


def write_snapshot(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    as_of: date,
    accepted: pl.DataFrame,
    quarantined: list[dict[str, Any]],
) -> None:
    """Write one validated snapshot and point its date at this load (the caller commits; the
    model graph then replays the history from that date and refreshes the marts)."""
    incoming = accepted.select(RAW_COLUMNS).with_columns(
        pl.lit(load_id, dtype=pl.Int64).alias("load_id"), pl.lit(as_of).alias("as_of")
    )
    history.write_snapshot(con, HISTORY, "raw.espaces", incoming, load_id, as_of, quarantined)


def replay_history(con: duckdb.DuckDBPyConnection, from_date: date) -> None:
    """Rebuild `core.espaces` from `from_date` on (the model graph's procedure)."""
    replay(con, HISTORY, from_date)
