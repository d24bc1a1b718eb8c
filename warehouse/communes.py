"""Loading a commune reference vintage into the warehouse.

A vintage (population year) is one file. Publishing one, in a single transaction: its rows
replace any earlier rows of that vintage in `core.communes`, and `meta.snapshots` points the
vintage (as January 1st of its year, source `communes`) at this load, so "which file is in
force for a vintage" is answered like for espace snapshots.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.db import fetch_first, insert_frame, set_snapshot

SOURCE = "communes"
CORE_COLUMNS = (
    "vintage", "code_insee", "name", "typecom", "dep_code", "reg_code", "population",
    "latitude", "longitude", "density_class",
)  # fmt: skip


def vintage_date(vintage: int) -> date:
    """The snapshot date standing for a vintage: a vintage is "not after" day D iff its year
    is D's year or earlier."""
    return date(vintage, 1, 1)


def loaded_vintages(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Each vintage in force and the load it comes from."""
    rows = con.execute(
        "select year(as_of), load_id from meta.snapshots where source = $source order by as_of",
        {"source": SOURCE},
    ).fetchall()
    return {int(vintage): int(load_id) for vintage, load_id in rows}


def publish_vintage(
    con: duckdb.DuckDBPyConnection, *, load_id: int, vintage: int, communes: pl.DataFrame
) -> None:
    """Replace the vintage's rows with `communes` (canonical frame) and point the vintage at
    this load (the caller commits)."""
    incoming = communes.select(CORE_COLUMNS).with_columns(
        pl.lit(vintage, dtype=pl.Int32).alias("vintage"),
        pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
    )
    con.execute("delete from core.communes where vintage = $vintage", {"vintage": vintage})
    insert_frame(con, "core.communes", incoming)
    set_snapshot(con, SOURCE, vintage_date(vintage), load_id)


def has_communes(con: duckdb.DuckDBPyConnection) -> bool:
    return fetch_first(con.execute("select 1 from core.communes limit 1")) is not None
