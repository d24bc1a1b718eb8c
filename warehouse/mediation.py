"""Publishing lieux de médiation numérique (with history) and conseillers numériques files.

Lieux, like the espace listing (`warehouse/espaces.py`): a national file is the list as of one
date. Publishing one, in the caller's transaction: its rows go to `raw.lieux_mediation`, its
quarantined rows to `meta.quarantine`, `meta.snapshots` points the date at this load (a later
load for the date replaces it), then `core.lieux_mediation` (SCD2) is rewound to that date and
every file from it on replayed in order; the marts follow (`warehouse/mediation_marts.py`).

Conseillers: one dataset per date, `core.conseillers_structures` rows of that date replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from transforms.mediation import LIST_FIELDS
from warehouse.db import fetch_first, insert_frame, record_quarantine, run_model, set_snapshot

SOURCE_LIEUX = "mediation"
SOURCE_CONSEILLERS = "conseillers"

_TEXT_FIELDS = (
    "id", "pivot_kind", "siren", "nom", "commune", "code_postal", "code_insee",
    "dep_code", "adresse", "complement_adresse", "telephone", "horaires", "presentation_resume",
    "presentation_detail", "source", "structure_parente", "fiche_acces_libre", "prise_rdv",
    "extra",
)  # fmt: skip
_CONSEILLERS_COLUMNS = (
    "source_row", "structure_id", "name", "siret", "siren", "structure_type", "nb_conseillers",
    "france_services", "france_services_label", "validation_date", "address", "commune",
    "insee_com", "postcode", "dep_code", "dep_code_geocoded", "reg_code", "zrr", "qpv",
    "state_investment_eur", "latitude", "longitude", "geocoder_score", "geocoder_label",
    "geocoded_manually", "quality_flags",
)  # fmt: skip


@dataclass(frozen=True)
class LieuxChanges:
    listed_before: int
    listed_after: int
    appeared: int
    disappeared: int
    changed: int

    def summary(self, as_of: date) -> str:
        return (
            f"{self.listed_after} lieux de médiation as of {as_of} (before: "
            f"{self.listed_before}): {self.appeared} appeared, {self.disappeared} gone, "
            f"{self.changed} changed"
        )


@dataclass(frozen=True)
class ConseillersFigures:
    n_structures: int
    n_conseillers: int
    n_structures_france_services: int

    def summary(self, as_of: date) -> str:
        return (
            f"{self.n_structures} structures hosting {self.n_conseillers} conseillers "
            f"numériques as of {as_of}, {self.n_structures_france_services} of them France "
            "services"
        )


def with_flags(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with a `quality_flags` list (empty when the pipeline added none)."""
    if "quality_flags" in frame.columns:
        return frame.with_columns(
            pl.col("quality_flags").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    return frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags"))


def lieux_rows(accepted: pl.DataFrame, load_id: int, as_of: date) -> pl.DataFrame:
    """The parsed frame (`transforms.mediation.parse_lieux`) as `raw.lieux_mediation` rows."""
    frame = with_flags(accepted)
    lists = [
        pl.col(f"{name}_items").alias(name)
        for name in LIST_FIELDS
        if name != "dispositif_programmes_nationaux"
    ]
    return frame.select(
        pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
        pl.lit(as_of).alias("as_of"),
        "source_row",
        *_TEXT_FIELDS,
        pl.col("pivot").alias("pivot_code"),  # `pivot` is an SQL keyword
        pl.col("latitude_deg").alias("latitude"),
        pl.col("longitude_deg").alias("longitude"),
        pl.col("date_maj_date").alias("date_maj"),
        pl.col("programmes").alias("dispositif_programmes_nationaux"),
        *lists,
        "quality_flags",
    )


def listed_count(con: duckdb.DuckDBPyConnection, day: date) -> int:
    row = fetch_first(
        con.execute(
            "select count(*) from core.lieux_mediation "
            "where valid_from <= $day and (valid_to is null or $day < valid_to)",
            {"day": day},
        )
    )
    return int(row[0]) if row else 0


def write_lieux(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    as_of: date,
    accepted: pl.DataFrame,
    quarantined: list[dict[str, Any]],
) -> None:
    """Write one validated national file and point its date at this load (the caller
    commits; the model graph then replays the history from that date and the marts)."""
    insert_frame(con, "raw.lieux_mediation", lieux_rows(accepted, load_id, as_of))
    record_quarantine(con, load_id, SOURCE_LIEUX, quarantined)
    set_snapshot(con, SOURCE_LIEUX, as_of, load_id)


def lieux_changes(con: duckdb.DuckDBPyConnection, as_of: date) -> LieuxChanges:
    """What the file of `as_of` changed against the file before it, once the history is up
    to date."""
    previous = fetch_first(
        con.execute(
            "select max(as_of) from meta.snapshots where source = $source and as_of < $as_of",
            {"source": SOURCE_LIEUX, "as_of": as_of},
        )
    )
    previous_date = previous[0] if previous else None
    listed_before = listed_count(con, previous_date) if previous_date else 0
    changes = fetch_first(
        con.execute(
            """
        select
            count(*) filter (where valid_from = $as_of and not exists (
                select 1 from core.lieux_mediation p
                where p.lieu_id = v.lieu_id and p.valid_to = v.valid_from)),
            count(*) filter (where valid_to = $as_of and not exists (
                select 1 from core.lieux_mediation n
                where n.lieu_id = v.lieu_id and n.valid_from = v.valid_to)),
            count(*) filter (where valid_from = $as_of and exists (
                select 1 from core.lieux_mediation p
                where p.lieu_id = v.lieu_id and p.valid_to = v.valid_from))
        from core.lieux_mediation v
        """,
            {"as_of": as_of},
        )
    )
    assert changes is not None
    appeared, disappeared, changed = (int(c) for c in changes)
    return LieuxChanges(
        listed_before=listed_before,
        listed_after=listed_count(con, as_of),
        appeared=appeared if previous_date else 0,  # the history starts here
        disappeared=disappeared,
        changed=changed,
    )


def replay_lieux(con: duckdb.DuckDBPyConnection, from_date: date) -> None:
    """Rebuild `core.lieux_mediation` from `from_date` on: rewind, then apply each file."""
    run_model(con, "core/lieux_mediation__rewind", {"as_of": from_date})
    dates = [
        row[0]
        for row in con.execute(
            "select as_of from meta.snapshots where source = $source and as_of >= $from "
            "order by as_of",
            {"source": SOURCE_LIEUX, "from": from_date},
        ).fetchall()
    ]
    for day in dates:
        run_model(con, "core/lieux_mediation__apply_snapshot", {"as_of": day})


def publish_conseillers(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    as_of: date,
    accepted: pl.DataFrame,
    quarantined: list[dict[str, Any]],
) -> ConseillersFigures:
    """Replace the structures of `as_of` (the caller commits; the graph rebuilds the mart)."""
    rows = with_flags(accepted).select(
        pl.lit(as_of).alias("as_of"),
        pl.lit(load_id, dtype=pl.Int64).alias("load_id"),
        *_CONSEILLERS_COLUMNS,
    )
    con.execute("delete from core.conseillers_structures where as_of = $as_of", {"as_of": as_of})
    insert_frame(con, "core.conseillers_structures", rows)
    record_quarantine(con, load_id, SOURCE_CONSEILLERS, quarantined)
    set_snapshot(con, SOURCE_CONSEILLERS, as_of, load_id)
    figures = fetch_first(
        con.execute(
            "select count(*), coalesce(sum(nb_conseillers), 0), count(*) filter "
            "(where france_services) from core.conseillers_structures where as_of = $as_of",
            {"as_of": as_of},
        )
    )
    assert figures is not None
    return ConseillersFigures(*(int(value) for value in figures))
