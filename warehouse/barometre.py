"""Publishing the baromètre series and reconciling it with the espace history.

A load brings one or several baromètre files (transforms/barometre.py): its observed rows
replace, in one transaction, the series in force for each (indicator, level) they cover — a
departmental file alone leaves the national and regional series as they were — and its target
rows replace the targets of their indicator. `marts.network_reconciliation` is then rebuilt as a
whole: it also reads `core.espaces`, so it is rebuilt after each espaces snapshot too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from expectations.runner import ValidationOutcome
from warehouse.db import fetch_first, insert_frame, record_quarantine, run_model

SOURCE = "barometre"
SUITE = "barometre"
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
    reconciliation_rows: int


def apply_validation(
    frame: pl.DataFrame, outcome: ValidationOutcome
) -> tuple[pl.DataFrame, list[dict[str, Any]], int]:
    """Split a validated canonical frame: (accepted rows with `quality_flags`, quarantine
    items for `meta.quarantine`, number of accepted rows carrying a warning)."""
    indexed = frame.with_row_index("position")
    rejected = outcome.rows_by_rule("row_rejected")
    rejected_positions = sorted({p for positions in rejected.values() for p in positions})
    quarantined = [
        {"source_row": row["source_row"], "rule": rule, "record": row}
        for rule, positions in rejected.items()
        for row in indexed.filter(pl.col("position").is_in(positions)).drop("position").to_dicts()
    ]
    flags = pl.DataFrame(
        [
            (position, rule)
            for rule, positions in outcome.rows_by_rule("warning").items()
            for position in positions
        ],
        schema={"position": pl.UInt32, "rule": pl.String},
        orient="row",
    )
    flags = flags.group_by("position").agg(pl.col("rule").unique().sort().alias("quality_flags"))
    accepted = (
        indexed.filter(~pl.col("position").is_in(rejected_positions))
        .join(flags, on="position", how="left")
        .with_columns(pl.col("quality_flags").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .sort("position")
        .drop("position")
    )
    warned = accepted.filter(pl.col("quality_flags").list.len() > 0).height
    return accepted, quarantined, warned


def publish_series(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    frame: pl.DataFrame,
    quarantined: list[dict[str, Any]] | None = None,
) -> SeriesChanges:
    """Write one validated load (caller commits): `frame` is the accepted canonical frame
    (with `quality_flags`, see `apply_validation`)."""
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
    reconciliation_rows = rebuild_marts(con)
    return SeriesChanges(
        rows_by_level=dict(observed.group_by("level").len().sort("level").iter_rows()),
        targets=targets.height,
        replaced=replaced,
        latest_date=observed["date"].max() if observed.height else None,  # type: ignore[arg-type]
        reconciliation_rows=reconciliation_rows,
    )


def _ensure_departements(con: duckdb.DuckDBPyConnection) -> None:
    """The région of each département (core.ref_departements), for the regional rows."""
    row = fetch_first(con.execute("select count(*) from core.ref_departements"))
    if not row or not row[0]:
        from warehouse.footfall import load_departements

        load_departements(con)


def rebuild_marts(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild `marts.network_reconciliation` from the series and the espace history in
    force; its number of rows."""
    _ensure_departements(con)
    run_model(con, "marts/network_reconciliation")
    row = fetch_first(con.execute("select count(*) from marts.network_reconciliation"))
    return int(row[0]) if row else 0
