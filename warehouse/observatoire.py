"""Publishing an observatory edition into the warehouse.

An edition is identified by its `edition_id` ("YYYY-MM") and dated the first day of its month.
Publishing one, in a single transaction: its edition row, démarches and decoded cells go to
`raw.observatoire_*`, its quarantined rows and cells to `meta.quarantine`, `meta.snapshots`
points the edition's date at this load (a later load for the same edition replaces the earlier:
the raw rows of the earlier load stay, unused); the model graph (warehouse/graph.py) then
rebuilds the core tables and marts from every edition in force. Rebuilding everything keeps the
démarche identity (resolved across editions in `staging.observatoire_demarches`) independent of
the order editions were loaded in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fsdata.datagouv import Resource, checksum_matches
from transforms.observatoire import Edition, ParsedEdition, administrations
from warehouse.db import insert_frame, record_quarantine, set_snapshot

SOURCE = "observatoire"

DEMARCHE_COLUMNS = (
    "edition_id", "source_row", "demarche_key", "source_demarche_id", "title", "title_norm",
    "title_aliases", "ministry", "administration", "administration_id", "perimeter",
    "user_categories", "url", "extra",
)  # fmt: skip
INDICATOR_COLUMNS = (
    "edition_id", "source_row", "indicator", "value_num", "value_text", "level", "raw",
    "null_reason", "decode_issue", "note",
)  # fmt: skip


@dataclass(frozen=True)
class LoadedEdition:
    """The load in force for an edition: its recorded options (resource id, checksum…) and
    the archived file it was read from."""

    options: dict[str, Any]
    raw_path: Path | None


def loaded_editions(con: duckdb.DuckDBPyConnection) -> dict[date, LoadedEdition]:
    """Edition date → the load in force."""
    rows = con.execute(
        """
        select snapshots.as_of, loads.options, loads.raw_path from meta.snapshots
        join meta.loads using (load_id)
        where snapshots.source = $source
        """,
        {"source": SOURCE},
    ).fetchall()
    return {
        as_of: LoadedEdition(json.loads(options or "{}"), Path(raw) if raw else None)
        for as_of, options, raw in rows
    }


def publish_edition(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    edition: Edition,
    source_file: str,
    sha256: str,
    parsed: ParsedEdition,
    demarches: pl.DataFrame,
    indicators: pl.DataFrame,
    quarantined: list[dict[str, Any]],
) -> None:
    """Write one validated edition — `parsed` says how its file was read, `demarches` and
    `indicators` are the rows kept (the caller commits; the model graph then rebuilds the core
    tables and marts from every edition in force)."""
    con.execute(
        """
        insert into raw.observatoire_editions (
            load_id, edition_id, edition_date, label, generation, number, source_file, sha256,
            header_row, header_map, unknown_columns, data_period
        ) values
            ($load_id, $edition_id, $edition_date, $label, $generation, $number, $source_file,
             $sha256, $header_row, $header_map, $unknown_columns, $data_period)
        """,
        {
            "load_id": load_id,
            "edition_id": edition.edition_id,
            "edition_date": edition.edition_date,
            "label": edition.label,
            "generation": edition.generation,
            "number": edition.number,
            "source_file": source_file,
            "sha256": sha256,
            "header_row": parsed.header_row,
            "header_map": json.dumps(parsed.header_map, ensure_ascii=False),
            "unknown_columns": parsed.unknown_columns,
            "data_period": parsed.data_period,
        },
    )
    _insert(con, "raw.observatoire_demarches", demarches.select(DEMARCHE_COLUMNS), load_id)
    _insert(con, "raw.observatoire_indicators", indicators.select(INDICATOR_COLUMNS), load_id)
    record_quarantine(con, load_id, SOURCE, quarantined)
    set_snapshot(con, SOURCE, edition.edition_date, load_id)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, load_id: int) -> None:
    insert_frame(con, table, frame.with_columns(pl.lit(load_id, dtype=pl.Int64).alias("load_id")))


def load_reference_administrations(con: duckdb.DuckDBPyConnection) -> None:
    """`core.ref_administrations` from the reference table kept with the code."""
    frame = pl.DataFrame(
        {
            "administration_id": [a.administration_id for a in administrations()],
            "name": [a.name for a in administrations()],
            "ministry": [a.ministry for a in administrations()],
            "aliases": [list(a.aliases) for a in administrations()],
        },
        schema={
            "administration_id": pl.Utf8,
            "name": pl.Utf8,
            "ministry": pl.Utf8,
            "aliases": pl.List(pl.Utf8),
        },
    )
    con.execute("delete from core.ref_administrations")
    insert_frame(con, "core.ref_administrations", frame)


def resource_in_force(loaded: LoadedEdition | None, resource: Resource) -> bool:
    """Whether the edition's load in force already is this data.gouv.fr resource's file: same
    recorded checksum, or (an edition loaded from a local file) an archived file with the
    checksum the API announces. Without any checksum to compare, a loaded edition is kept."""
    if loaded is None:
        return False
    if not resource.checksum:
        return True
    recorded = loaded.options.get("resource_checksum")
    if recorded:
        return recorded == resource.checksum
    if loaded.raw_path is None or not loaded.raw_path.is_file():
        return True
    return checksum_matches(loaded.raw_path, resource.checksum_type, resource.checksum)
