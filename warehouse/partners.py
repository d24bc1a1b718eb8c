"""Publishing the partner catalogue and the marts that join partners to the observatory.

The catalogue is reference data: each published load replaces `core.partners`,
`core.partner_services`, `core.partner_aliases`, `core.administration_partners` and
`core.official_figures` as a whole (the files themselves stay in the raw archive). The promise
tracker (`marts.demarche_partner_coverage`, `marts.demarche_uncovered_administrations`) is
rebuilt from whatever exists: empty tables with their documented columns until the observatory
is loaded.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl

from transforms.frames import frame_of
from transforms.partners import partner_for_administration
from warehouse import graph
from warehouse.db import insert_frame

SOURCE = "partners"
PARTNER_COLUMNS = (
    "partner_code", "name", "former_names", "aliases", "themes", "effective_from",
    "effective_to", "source_document", "source_date", "source_url",
)  # fmt: skip
SERVICE_COLUMNS = (
    "partner_code", "service_code", "service_label", "theme", "effective_from", "effective_to",
    "source_document", "source_date",
)  # fmt: skip
# The tables a catalogue load replaces (the model graph's models written by partners).
CATALOGUE_TABLES = tuple(name.replace("/", ".") for name in graph.source_models(SOURCE))


def _extra_json(frame: pl.DataFrame, known: tuple[str, ...]) -> pl.Series:
    extra = [
        c for c in frame.columns if c not in known and c not in ("note", "effective_from_le_to")
    ]
    if not extra:
        return pl.Series("extra", ["{}"] * frame.height, dtype=pl.String)
    values = [
        json.dumps(dict(zip(extra, row, strict=True)), ensure_ascii=False, default=str)
        for row in frame.select(extra).iter_rows()
    ]
    return pl.Series("extra", values, dtype=pl.String)


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace every row of `table` (one of ours, named in code) by `frame`'s rows."""
    if table not in CATALOGUE_TABLES:
        raise ValueError(f"not a catalogue table: {table!r}")
    con.execute(f"delete from {table}")
    insert_frame(con, table, frame)


def publish_catalogue(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    partners: pl.DataFrame,
    services: pl.DataFrame,
    aliases: pl.DataFrame,
    mapping: pl.DataFrame,
    figures: pl.DataFrame,
) -> None:
    """Replace the catalogue tables (the caller commits)."""
    load = pl.lit(load_id, dtype=pl.Int64).alias("load_id")
    published = partners
    if "note" not in published.columns:
        published = published.with_columns(pl.lit(None, dtype=pl.String).alias("note"))
    published = published.select(*PARTNER_COLUMNS, "note").with_columns(
        _extra_json(partners, PARTNER_COLUMNS), load
    )
    services = services.select(SERVICE_COLUMNS).with_columns(
        _extra_json(services, SERVICE_COLUMNS), load
    )
    aliases = aliases.select("alias_normalised", "partner_code", "kind", "alias")
    _replace(con, "core.partners", published)
    _replace(con, "core.partner_services", services)
    _replace(con, "core.partner_aliases", aliases.with_columns(load))
    _replace(
        con,
        "core.administration_partners",
        mapping.select("administration", "administration_normalised", "partner_code", "note")
        .unique("administration_normalised", keep="first", maintain_order=True)
        .with_columns(load),
    )
    _replace(con, "core.official_figures", figures.with_columns(load))


def catalogue_in_force(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(aliases, administration mapping) as published, or None before any catalogue load."""
    aliases = frame_of(
        con, "select alias_normalised, partner_code, kind, alias from core.partner_aliases"
    )
    if aliases.height == 0:
        return None
    mapping = frame_of(
        con,
        "select administration, administration_normalised, partner_code, note "
        "from core.administration_partners",
    )
    return aliases, mapping


def map_observatory_administrations(con: duckdb.DuckDBPyConnection) -> int:
    """Fill `core.observatory_administration_partners` from core.demarches; the number of
    administrations mapped to no partner (listed, never guessed)."""
    con.execute("delete from core.observatory_administration_partners")
    in_force = catalogue_in_force(con)
    if in_force is None:
        return 0
    aliases, mapping = in_force
    pairs = con.execute(
        "select distinct administration_id, administration from core.demarches"
    ).fetchall()
    rows = []
    for administration_id, administration in pairs:
        partner_code, matched_on = None, None
        # The published name first (what the mapping table was written from), then the id.
        for value, kind in (
            (administration, "administration"),
            (administration_id, "administration_id"),
        ):
            if value is None:
                continue
            partner_code = partner_for_administration(value, mapping, aliases)
            if partner_code is not None:
                matched_on = kind
                break
        rows.append(
            {
                "administration_id": administration_id,
                "administration": administration,
                "partner_code": partner_code,
                "matched_on": matched_on,
            }
        )
    frame = pl.DataFrame(
        rows,
        schema=dict.fromkeys(
            ("administration_id", "administration", "partner_code", "matched_on"), pl.String
        ),
    )
    insert_frame(con, "core.observatory_administration_partners", frame)
    return frame.filter(pl.col("partner_code").is_null()).height
