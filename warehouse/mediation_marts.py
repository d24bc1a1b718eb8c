"""Marts of the lieux de médiation numérique and the conseillers numériques.

- coverage: `core.commune_nearest_place` kept by `warehouse.coverage.update_nearest` for three
  networks declared here, on the dates of the national files of lieux: the lieux alone, the
  espaces France services open that day, and both (the coverage flow runs it; the model graph
  then rebuilds `marts.mediation_coverage`);
- `marts.france_services_lieux_matches`: the lieux labelled « France Services » of the latest
  file matched to the espaces open that day (`transforms.matching`), refilled.

Both read `core.espaces` and `core.communes` too: the model graph refreshes them after loads of
those sources as well.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from transforms.matching import match_places
from warehouse.coverage import CoverageUpdate, Network, update_nearest
from warehouse.db import fetch_first, insert_frame

_DATES = "select as_of from meta.snapshots where source = 'mediation' order by as_of"
# A network with France services is taken only from the first espace listing on: before it,
# the warehouse does not know the espaces, and "none open" would be a false figure.
_DATES_WITH_ESPACES = """
    select as_of from meta.snapshots
    where source = 'mediation'
        and as_of >= (select min(as_of) from meta.snapshots where source = 'espaces')
    order by as_of
"""
_LIEUX = """
    select 'lieu:' || lieu_id as espace_id, dep_code as insee_dep, valid_from, valid_to,
        latitude, longitude
    from core.lieux_mediation
    where latitude is not null and longitude is not null
"""
_ESPACES = """
    select 'fs:' || espace_id as espace_id, insee_dep, valid_from, valid_to, latitude, longitude
    from core.espaces
    where latitude is not null and longitude is not null
"""


def _network(name: str, dates_sql: str, versions_sql: str) -> Network:
    """A network stored in the shared tables, on the dates of the national files of lieux."""
    return Network(
        name=name,
        dates_sql=dates_sql,
        versions_sql=versions_sql,
        nearest_table="core.commune_nearest_place",
        stored_sql="""
            select as_of, vintage, communes_load_id, network_hash
            from core.place_coverage_dates where network = $network
            """,
        forget_sql=(
            "delete from core.commune_nearest_place where network = $network and as_of = $day",
            "delete from core.place_coverage_dates where network = $network and as_of = $day",
        ),
        copy_sql="""
            insert into core.commune_nearest_place
                (network, as_of, vintage, code_insee, place_id, distance_km)
            select network, $as_of, vintage, code_insee, place_id, distance_km
            from core.commune_nearest_place where network = $network and as_of = $source
            """,
        record_sql="""
            insert into core.place_coverage_dates
                (network, as_of, vintage, communes_load_id, network_hash, n_places,
                 computed_as_of)
            values ($network, $as_of, $vintage, $load_id, $hash, $n_espaces, $source)
            """,
        labelled=True,
    )


NETWORKS = (
    _network("mediation", _DATES, _LIEUX),
    _network("france_services", _DATES_WITH_ESPACES, _ESPACES),
    _network("france_services_mediation", _DATES_WITH_ESPACES, _LIEUX + " union all " + _ESPACES),
)


def update_coverage(con: duckdb.DuckDBPyConnection) -> dict[str, CoverageUpdate]:
    """Nearest places of each network brought up to date (the coverage flow runs it)."""
    return {network.name: update_nearest(con, network) for network in NETWORKS}


def latest_lieux_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = fetch_first(
        con.execute("select max(as_of) from meta.snapshots where source = 'mediation'")
    )
    return row[0] if row else None


def rebuild_matches(con: duckdb.DuckDBPyConnection) -> int:
    """Refill `marts.france_services_lieux_matches` for the latest file; its row count."""
    con.execute("delete from marts.france_services_lieux_matches")
    as_of = latest_lieux_date(con)
    if as_of is None:
        return 0
    lieux = _places(
        con,
        """
        select lieu_id, nom, adresse, code_insee, latitude, longitude
        from core.lieux_mediation
        where valid_from <= $day and (valid_to is null or $day < valid_to)
            and list_contains(dispositif_programmes_nationaux, 'France Services')
        """,
        as_of,
    )
    espaces = _places(
        con,
        """
        select espace_id, name, address, insee_com, latitude, longitude
        from core.espaces
        where valid_from <= $day and (valid_to is null or $day < valid_to)
        """,
        as_of,
    )
    matches = match_places(lieux, espaces)
    names = {
        "lieu": lieux.select(
            pl.col("id").alias("lieu_id"),
            pl.col("name").alias("lieu_name"),
            pl.col("insee_com").alias("lieu_insee_com"),
        ),
        "espace": espaces.select(
            pl.col("id").alias("espace_id"),
            pl.col("name").alias("espace_name"),
            pl.col("insee_com").alias("espace_insee_com"),
        ),
    }
    rows = (
        matches.join(names["lieu"], on="lieu_id", how="left")
        .join(names["espace"], on="espace_id", how="left")
        .with_columns(pl.lit(as_of).alias("as_of"))
    )
    insert_frame(con, "marts.france_services_lieux_matches", rows)
    return rows.height


def _places(con: duckdb.DuckDBPyConnection, sql: str, day: date) -> pl.DataFrame:
    schema = {
        "id": pl.String,
        "name": pl.String,
        "address": pl.String,
        "insee_com": pl.String,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
    }
    rows = con.execute(sql, {"day": day}).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")
