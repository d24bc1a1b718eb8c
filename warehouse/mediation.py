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
from warehouse import history
from warehouse.db import fetch_first, insert_frame, record_quarantine, set_snapshot
from warehouse.history import History, replay

SOURCE_LIEUX = "mediation"
LIEUX = History(SOURCE_LIEUX, "core/lieux_mediation", "lieu_id")
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


def write_lieux(
    con: duckdb.DuckDBPyConnection, load_id: int, as_of: date,
    accepted: pl.DataFrame, quarantined: list[dict[str, Any]],
) -> None:  # fmt: skip
    """Write one validated national file and point its date at this load (the caller
    commits; the model graph then replays the history from that date and the marts)."""
    rows = lieux_rows(accepted, load_id, as_of)
    history.write_snapshot(con, LIEUX, "raw.lieux_mediation", rows, load_id, as_of, quarantined)


def replay_lieux(con: duckdb.DuckDBPyConnection, from_date: date) -> None:
    """Rebuild `core.lieux_mediation` from `from_date` on (the model graph's procedure)."""
    replay(con, LIEUX, from_date)


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
