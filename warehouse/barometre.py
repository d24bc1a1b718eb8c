"""Publishing the baromètre series and reconciling it with the espace history.

A load brings one or several baromètre files (transforms/barometre.py): its observed rows
replace, in one transaction, the series in force for each (indicator, level) they cover — a
departmental file alone leaves the national and regional series as they were — and its target
rows replace the targets of their indicator. The model graph then rebuilds
`marts.network_reconciliation` as a whole: it also reads `core.espaces`, so it is rebuilt
after each espaces snapshot too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from warehouse.db import fetch_first, insert_frame, record_quarantine

SOURCE = "barometre"
SERIES_COLUMNS = (
    "indicator_id", "level", "code", "label", "date", "value", "unit", "measure",
    "indicator_label", "source_file", "source_row", "quality_flags",
)  # fmt: skip


@dataclass(frozen=True)
class SeriesChanges:
    rows_by_level: dict[str, int]  # observed rows written, per level
    targets: int  # target rows written
    replaced: int  # rows of the series in force that were replaced
    latest_date: date | None  # the newest observed date written


def publish_series(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    frame: pl.DataFrame,
    quarantined: list[dict[str, Any]] | None = None,
) -> SeriesChanges:
    """Write one validated load (caller commits): `frame` is the accepted canonical frame
    (with `quality_flags`)."""
    if "quality_flags" not in frame.columns:
        frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags"))
    load = pl.lit(load_id, dtype=pl.Int64).alias("load_id")
    observed = frame.filter(pl.col("kind") == "observed").select(SERIES_COLUMNS)
    targets = frame.filter(pl.col("kind") == "target")

    replaced = 0
    for indicator_id, level in observed.select("indicator_id", "level").unique().iter_rows():
        row = fetch_first(
            con.execute(
                "select count(*) from core.barometre where indicator_id = ? and level = ?",
                [indicator_id, level],
            )
        )
        replaced += int(row[0]) if row else 0
        con.execute(
            "delete from core.barometre where indicator_id = ? and level = ?", [indicator_id, level]
        )
    insert_frame(con, "core.barometre", observed.with_columns(load))

    for (indicator_id,) in targets.select("indicator_id").unique().iter_rows():
        con.execute("delete from core.barometre_targets where indicator_id = ?", [indicator_id])
    insert_frame(
        con,
        "core.barometre_targets",
        targets.select(
            "indicator_id", "level", "code",
            pl.col("date").alias("target_date"), pl.col("value").alias("target_value"),
            "unit", "measure", "indicator_label", "source_file", "source_row",
        ).with_columns(load),
    )  # fmt: skip
    record_quarantine(con, load_id, SOURCE, quarantined or [])
    return SeriesChanges(
        rows_by_level=dict(observed.group_by("level").len().sort("level").iter_rows()),
        targets=targets.height,
        replaced=replaced,
        latest_date=observed["date"].max() if observed.height else None,  # type: ignore[arg-type]
    )
