"""Keeping `core.commune_nearest_espace` up to date, incrementally, and the coverage marts.

Every espace snapshot date (`meta.snapshots`, source `espaces`) gets the nearest open espace
of each commune of the vintage it uses: the latest vintage not after that date, else the
oldest. `core.coverage_dates` records, per date, what its rows were computed from: the vintage,
the load that vintage comes from, and a hash of the network open that day (espace, département,
coordinates). An update then:

1. groups the dates by network with `network_change_dates` (a date whose network did not change
   since the previous snapshot date shares its hash, without hashing it again);
2. keeps every date whose (network hash, vintage, vintage load) is unchanged: a new snapshot
   costs one date;
3. for every other date, copies the rows of a date with the same key when there is one (same
   network, same communes: same result), else computes them with a k-d tree;
4. forgets dates that are no longer snapshot dates.

The same steps serve any `Network` (its dates, its places, its tables): France services by
default, and the networks with lieux de médiation numérique (`warehouse/mediation_marts.py`).

A backfilled older snapshot rewrites `core.espaces` from its date on: the later dates whose
network changed get a new hash and are recomputed, the others are kept. A vintage loaded again
from another file changes its load: the dates using it are recomputed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import polars as pl

from transforms.coverage import nearest_espaces, network_change_dates
from warehouse.communes import loaded_vintages
from warehouse.db import insert_frame


@dataclass(frozen=True)
class Network:
    """A network whose coverage is kept: where its dates and places come from, where its
    rows go. Each statement is a constant in code, never built from values; `$network` is
    the network's name. `ESPACES` (France services, the default) is this module's;
    `warehouse/mediation_marts.py` declares the networks with lieux de médiation.

    `dates_sql` gives the dates (`as_of`, ascending); `versions_sql` the placeable versions
    (`espace_id`, `insee_dep`, `valid_from`, `valid_to`, `latitude`, `longitude`; the id is
    the place's, whatever it is); the rest read and write the rows of one date.
    """

    name: str
    dates_sql: str
    versions_sql: str
    nearest_table: str
    stored_sql: str
    forget_sql: tuple[str, ...]
    copy_sql: str
    record_sql: str
    # The shared tables (core.commune_nearest_place): rows carry `network`, ids are `place_id`.
    labelled: bool = False


ESPACES = Network(
    name="espaces",
    dates_sql="select as_of from meta.snapshots where source = 'espaces' order by as_of",
    versions_sql="""
        select espace_id, insee_dep, valid_from, valid_to, latitude, longitude
        from core.espaces
        where latitude is not null and longitude is not null
        """,
    nearest_table="core.commune_nearest_espace",
    stored_sql="select as_of, vintage, communes_load_id, network_hash from core.coverage_dates",
    forget_sql=(
        "delete from core.commune_nearest_espace where as_of = $day",
        "delete from core.coverage_dates where as_of = $day",
    ),
    copy_sql="""
        insert into core.commune_nearest_espace
        select $as_of, vintage, code_insee, espace_id, distance_km
        from core.commune_nearest_espace where as_of = $source
        """,
    record_sql="""
        insert into core.coverage_dates
            (as_of, vintage, communes_load_id, network_hash, n_espaces, computed_as_of)
        values ($as_of, $vintage, $load_id, $hash, $n_espaces, $source)
        """,
)
_VERSION_SCHEMA = {
    "espace_id": pl.String,
    "insee_dep": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
}
_COMMUNE_SCHEMA = {
    "code_insee": pl.String,
    "dep_code": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
}


@dataclass(frozen=True)
class DatePlan:
    as_of: date
    vintage: int
    communes_load_id: int
    network_hash: str
    n_espaces: int


@dataclass
class CoverageUpdate:
    dates: int = 0
    kept: list[date] = field(default_factory=list)
    computed: list[date] = field(default_factory=list)
    reused: list[date] = field(default_factory=list)
    removed: list[date] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {
            "dates": self.dates,
            "kept": len(self.kept),
            "computed": len(self.computed),
            "reused": len(self.reused),
            "removed": len(self.removed),
        }


def vintage_for(day: date, vintages: list[int]) -> int:
    """The latest vintage not after `day` (by year), else the oldest."""
    if not vintages:
        raise ValueError("no commune vintage loaded")
    not_after = [v for v in vintages if v <= day.year]
    return max(not_after) if not_after else min(vintages)


def _frame(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    schema: dict[str, Any],
    parameters: dict[str, Any] | None = None,
) -> pl.DataFrame:
    rows = con.execute(sql, parameters or {}).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _parameters(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values a statement uses: DuckDB refuses a parameter it does not name."""
    return {name: value for name, value in values.items() if f"${name}" in sql}


def _execute(
    con: duckdb.DuckDBPyConnection, network: Network, sql: str, values: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    return con.execute(sql, _parameters(sql, {"network": network.name, **values}))


def espace_versions(con: duckdb.DuckDBPyConnection, network: Network = ESPACES) -> pl.DataFrame:
    """Versions of the network's places that can be placed: with both coordinates."""
    sql = network.versions_sql
    return _frame(con, sql, _VERSION_SCHEMA, _parameters(sql, {"network": network.name}))


def open_on(versions: pl.DataFrame, day: date) -> pl.DataFrame:
    return versions.filter(
        (pl.col("valid_from") <= day)
        & (pl.col("valid_to").is_null() | (pl.lit(day) < pl.col("valid_to")))
    )


def network_hash(network: pl.DataFrame) -> str:
    lines = (
        network.select(
            pl.concat_str(
                [
                    pl.col("espace_id"),
                    pl.col("insee_dep").fill_null(""),
                    pl.col("latitude").cast(pl.String),
                    pl.col("longitude").cast(pl.String),
                ],
                separator="|",
            )
        )
        .to_series()
        .sort()
        .to_list()
    )
    return hashlib.md5("\n".join(lines).encode("utf-8")).hexdigest()


def snapshot_dates(con: duckdb.DuckDBPyConnection, network: Network = ESPACES) -> list[date]:
    rows = _execute(con, network, network.dates_sql, {}).fetchall()
    return [row[0] for row in rows]


def plan_dates(con: duckdb.DuckDBPyConnection, network: Network = ESPACES) -> list[DatePlan]:
    """What every snapshot date should be computed from, as of now."""
    vintages = loaded_vintages(con)
    dates = snapshot_dates(con, network)
    if not vintages or not dates:
        return []
    versions = espace_versions(con, network)
    changes = network_change_dates(versions, dates)
    by_change: dict[date, tuple[str, int]] = {}
    for day in changes:
        network = open_on(versions, day)
        by_change[day] = (network_hash(network), network.height)
    plans = []
    current = changes[0]
    for day in dates:
        if day in by_change:
            current = day
        digest, count = by_change[current]
        vintage = vintage_for(day, sorted(vintages))
        plans.append(DatePlan(day, vintage, vintages[vintage], digest, count))
    return plans


def _stored(con: duckdb.DuckDBPyConnection, network: Network) -> dict[date, tuple[int, int, str]]:
    rows = _execute(con, network, network.stored_sql, {}).fetchall()
    return {row[0]: (int(row[1]), int(row[2]), row[3]) for row in rows}


def _key(plan: DatePlan) -> tuple[int, int, str]:
    return (plan.vintage, plan.communes_load_id, plan.network_hash)


def update_nearest(con: duckdb.DuckDBPyConnection, network: Network = ESPACES) -> CoverageUpdate:
    """Bring the network's nearest places (`core.commune_nearest_espace` for France services)
    up to date with its dates and the vintages (the caller commits)."""
    plans = plan_dates(con, network)
    stored = _stored(con, network)
    update = CoverageUpdate(dates=len(plans))
    wanted = {plan.as_of for plan in plans}
    for day in sorted(set(stored) - wanted):
        _forget(con, network, day)
        update.removed.append(day)

    # Dates whose rows are right as stored, by key: the source for copies.
    available: dict[tuple[int, int, str], date] = {}
    for plan in plans:
        if stored.get(plan.as_of) == _key(plan):
            update.kept.append(plan.as_of)
            available.setdefault(_key(plan), plan.as_of)

    versions: pl.DataFrame | None = None
    communes: dict[int, pl.DataFrame] = {}
    for plan in plans:
        if plan.as_of in update.kept:
            continue
        _forget(con, network, plan.as_of)
        source = available.get(_key(plan))
        if source is not None:
            _execute(con, network, network.copy_sql, {"as_of": plan.as_of, "source": source})
            update.reused.append(plan.as_of)
        else:
            if versions is None:
                versions = espace_versions(con, network)
            if plan.vintage not in communes:
                communes[plan.vintage] = _frame(
                    con,
                    """
                    select code_insee, dep_code, latitude, longitude from core.communes
                    where vintage = $vintage order by code_insee
                    """,
                    _COMMUNE_SCHEMA,
                    {"vintage": plan.vintage},
                )
            _insert_nearest(
                con,
                network,
                plan,
                nearest_espaces(communes[plan.vintage], open_on(versions, plan.as_of)),
            )
            update.computed.append(plan.as_of)
            source = plan.as_of
            available[_key(plan)] = plan.as_of
        _execute(
            con,
            network,
            network.record_sql,
            {
                "as_of": plan.as_of,
                "vintage": plan.vintage,
                "load_id": plan.communes_load_id,
                "hash": plan.network_hash,
                "n_espaces": plan.n_espaces,
                "source": source,
            },
        )
    return update


def _forget(con: duckdb.DuckDBPyConnection, network: Network, day: date) -> None:
    for sql in network.forget_sql:
        _execute(con, network, sql, {"day": day})


def _insert_nearest(
    con: duckdb.DuckDBPyConnection, network: Network, plan: DatePlan, nearest: pl.DataFrame
) -> None:
    rows = nearest.select(
        pl.lit(plan.as_of).alias("as_of"),
        pl.lit(plan.vintage, dtype=pl.Int32).alias("vintage"),
        "code_insee",
        "espace_id",
        "distance_km",
    )
    if network.labelled:
        rows = rows.rename({"espace_id": "place_id"}).with_columns(
            pl.lit(network.name).alias("network")
        )
    insert_frame(con, network.nearest_table, rows)
