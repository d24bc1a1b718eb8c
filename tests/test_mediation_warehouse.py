"""Lieux de médiation numérique and conseillers numériques in a real DuckDB warehouse: history
of the lieux, marts per date and territory, coverage by médiation and by France services ∪
médiation (on the shared coverage machinery), and the matching of « France Services » lieux."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from tests.helpers import refresh_after
from transforms.communes import CANONICAL_SCHEMA
from transforms.conseillers import parse_conseillers
from transforms.coverage import haversine_km
from transforms.mediation import parse_lieux
from warehouse import history
from warehouse.communes import publish_vintage
from warehouse.db import begin_load, connect, transaction
from warehouse.espaces import RAW_COLUMNS, write_snapshot
from warehouse.mediation import LIEUX, publish_conseillers, write_lieux

EXAMPLE = Path(__file__).parent / "fixtures" / "mediation" / "exemple-valide.csv"

# (code_insee, dep, région, population, latitude, longitude)
COMMUNES = [
    ("35001", "35", "53", 1000, 48.0, -1.0),
    ("35002", "35", "53", 2000, 48.0, -1.3),
    ("35003", "35", "53", 500, 48.5, -1.0),
    ("2A004", "2A", "94", 100, 41.9, 8.7),  # Corsica: no lieu nor espace there
]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


def lieux_file(folder: Path, name: str, lieux: list[dict[str, Any]]) -> Path:
    """A national file: the schema's example row, with each lieu's changes."""
    header, base = list(csv.reader(io.StringIO(EXAMPLE.read_text("utf-8"))))
    rows = [[lieu.get(column, value) for column, value in zip(header, base, strict=True)]
            for lieu in lieux]  # fmt: skip
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path = folder / name
    path.write_text(out.getvalue(), "utf-8")
    return path


def lieu(lieu_id: str, insee: str, lat: float, lon: float, programmes: str, **more: str) -> dict:
    return {
        "id": lieu_id,
        "code_insee": insee,
        "code_postal": "35000",
        "latitude": str(lat),
        "longitude": str(lon),
        "dispositif_programmes_nationaux": programmes,
        **more,
    }


def load_lieux(con: duckdb.DuckDBPyConnection, file: Path, as_of: date) -> Any:
    load_id = begin_load(con, "mediation", as_of=as_of, file_name=file.name)
    with transaction(con):
        write_lieux(con, load_id, as_of, parse_lieux(file), [])
        refresh_after(con, ("raw/lieux_mediation",), as_of)
        return history.changes(con, LIEUX, as_of)


def load_communes(con: duckdb.DuckDBPyConnection) -> None:
    frame = pl.DataFrame(
        [(c, f"Commune {c}", "COM", d, r, p, lat, lon, None) for c, d, r, p, lat, lon in COMMUNES],
        schema={k: t for k, t in CANONICAL_SCHEMA.items() if k not in ("vintage", "source_row")},
        orient="row",
    ).with_columns(pl.lit(2021, dtype=pl.Int32).alias("vintage"))
    load_id = begin_load(con, "communes", as_of=date(2021, 1, 1))
    with transaction(con):
        publish_vintage(con, load_id=load_id, vintage=2021, communes=frame)
        refresh_after(con, ("core/communes",))


def load_espace(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    values = {
        "source_row": 2,
        "espace_id": "e1",
        "name": "France services de Exempleville",
        "address": "1 place de la Mairie",
        "insee_com": "35001",
        "insee_dep": "35",
        "latitude": 48.0,
        "longitude": -1.0,
        "quality_flags": [],
    }
    types = {"source_row": pl.Int32, "latitude": pl.Float64, "longitude": pl.Float64,
             "quality_flags": pl.List(pl.String), "appointment": pl.Boolean,
             "labellisation_date": pl.Date}  # fmt: skip
    frame = pl.DataFrame(
        {c: pl.Series(c, [values.get(c)], dtype=types.get(c, pl.String)) for c in RAW_COLUMNS}
    )
    load_id = begin_load(con, "espaces", as_of=as_of)
    with transaction(con):
        write_snapshot(con, load_id=load_id, as_of=as_of, accepted=frame, quarantined=[])
        refresh_after(con, ("raw/espaces",), as_of)


def rows(con: duckdb.DuckDBPyConnection, sql: str, parameters: Any = None) -> list[tuple]:
    return con.execute(sql, parameters or []).fetchall()


def test_history_of_lieux_over_files_and_a_backfill(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = lieux_file(
        tmp_path,
        "a.csv",
        [
            lieu("L1", "35002", 48.0, -1.3, "Conseillers numériques"),
            lieu("L2", "35003", 48.5, -1.0, "France Services|Aidants Connect"),
        ],
    )
    second = lieux_file(
        tmp_path,
        "b.csv",
        [
            lieu("L1", "35002", 48.0, -1.3, "Conseillers numériques", nom="Nouveau nom"),
            lieu("L3", "51454", 49.25, 4.03, "Aidants Connect"),
        ],
    )
    assert load_lieux(con, first, date(2024, 9, 1)).open_after == 2
    changes = load_lieux(con, second, date(2024, 10, 1))
    assert (changes.open_before, changes.open_after) == (2, 2)
    assert (changes.opened, changes.closed, changes.changed) == (1, 1, 1)
    versions = rows(
        con, "select lieu_id, valid_from, valid_to, nom from core.lieux_mediation order by all"
    )
    assert versions == [
        ("L1", date(2024, 9, 1), date(2024, 10, 1), "Anonymal"),
        ("L1", date(2024, 10, 1), None, "Nouveau nom"),
        ("L2", date(2024, 9, 1), date(2024, 10, 1), "Anonymal"),
        ("L3", date(2024, 10, 1), None, "Anonymal"),
    ]
    # A file older than everything is replayed before the others: L1 was already there.
    backfill = lieux_file(
        tmp_path, "c.csv", [lieu("L1", "35002", 48.0, -1.3, "Conseillers numériques")]
    )
    load_lieux(con, backfill, date(2024, 8, 15))
    l1 = "select valid_from, valid_to from core.lieux_mediation where lieu_id = 'L1' order by 1"
    assert rows(con, l1) == [(date(2024, 8, 15), date(2024, 10, 1)), (date(2024, 10, 1), None)]
    marts = rows(
        con,
        "select as_of, level, code, n_lieux, n_conseillers_numeriques, n_france_services, "
        "n_aidants_connect from marts.lieux_mediation order by as_of, level, code",
    )
    assert (date(2024, 9, 1), "france", "FR", 2, 1, 1, 1) in marts
    assert (date(2024, 10, 1), "departement", "51", 1, 0, 0, 1) in marts
    assert (date(2024, 10, 1), "region", "53", 1, 1, 0, 0) in marts  # Bretagne
    assert (date(2024, 8, 15), "france", "FR", 1, 1, 0, 0) in marts


def test_coverage_by_mediation_and_by_france_services_and_mediation(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_communes(con)
    load_espace(con, date(2024, 8, 1))
    file = lieux_file(
        tmp_path,
        "lieux.csv",
        [
            lieu("L1", "35002", 48.0, -1.3, "Conseillers numériques"),
            lieu("L2", "35003", 48.5, -1.0, "France Services"),
        ],
    )
    load_lieux(con, file, date(2024, 9, 1))
    nearest = {
        (network, code): (place, distance)
        for network, code, place, distance in rows(
            con,
            "select network, code_insee, place_id, distance_km from core.commune_nearest_place "
            "where as_of = '2024-09-01'",
        )
    }
    a_to_b = float(haversine_km(48.0, -1.0, 48.0, -1.3))
    assert nearest[("mediation", "35001")] == ("lieu:L1", pytest.approx(a_to_b))
    assert nearest[("mediation", "35002")] == ("lieu:L1", pytest.approx(0.0))
    assert nearest[("france_services", "35003")][0] == "fs:e1"
    assert nearest[("france_services_mediation", "35001")] == ("fs:e1", pytest.approx(0.0))
    assert nearest[("france_services_mediation", "35003")] == ("lieu:L2", pytest.approx(0.0))
    assert nearest[("france_services_mediation", "2A004")] == (None, None)

    france = {
        network: (population, n_places, within_5, beyond_20)
        for network, population, n_places, within_5, beyond_20 in rows(
            con,
            "select network, population, n_places, share_pop_within_5km, pop_beyond_20km "
            "from marts.mediation_coverage where level = 'france'",
        )
    }
    assert france["mediation"] == (3600, 2, pytest.approx(100 * 2500 / 3600, abs=1e-3), 1100)
    assert france["france_services"] == (3600, 1, pytest.approx(100 * 1000 / 3600, abs=1e-3), 2600)
    assert france["france_services_mediation"] == (
        3600, 3, pytest.approx(100 * 3500 / 3600, abs=1e-3), 100,
    )  # fmt: skip
    corsica = rows(
        con,
        "select share_pop_within_20km, pop_beyond_20km from marts.mediation_coverage "
        "where level = 'departement' and code = '2A' and network = 'france_services_mediation'",
    )
    assert corsica == [(0.0, 100)]
    # France services' own coverage is still kept in its own tables.
    assert rows(con, "select count(*) from core.commune_nearest_espace") == [(4,)]
    assert_described(con)


def assert_described(con: duckdb.DuckDBPyConnection) -> None:
    """Every table and column of the source's core and marts carries a French description."""
    undescribed = rows(
        con,
        "select table_name, column_name from duckdb_columns() where comment is null "
        "and schema_name in ('core', 'marts') and table_name in ('conseillers_numeriques', "
        "'conseillers_structures', 'lieux_mediation', 'mediation_coverage', "
        "'france_services_lieux_matches', 'commune_nearest_place', 'place_coverage_dates')",
    )
    assert undescribed == []
    tables = rows(
        con,
        "select count(*), count(comment) from duckdb_tables() where schema_name in "
        "('core', 'marts') and table_name in ('conseillers_numeriques', 'lieux_mediation', "
        "'mediation_coverage', 'conseillers_structures', 'commune_nearest_place')",
    )
    assert tables[0][0] == tables[0][1] > 0


def test_networks_with_france_services_wait_for_the_listing_then_follow_it(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_communes(con)
    file = lieux_file(tmp_path, "lieux.csv", [lieu("L1", "35002", 48.0, -1.3, "")])
    load_lieux(con, file, date(2024, 9, 1))
    networks = "select network, n_places from core.place_coverage_dates order by all"
    assert rows(con, networks) == [("mediation", 1)]
    load_espace(con, date(2024, 8, 1))  # a listing older than the lieux: it was open then
    assert rows(con, networks) == [
        ("france_services", 1),
        ("france_services_mediation", 2),
        ("mediation", 1),
    ]
    assert rows(
        con,
        "select place_id, distance_km from core.commune_nearest_place "
        "where network = 'france_services_mediation' and code_insee = '35001'",
    ) == [("fs:e1", 0.0)]


def test_france_services_lieux_matched_to_espaces(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_espace(con, date(2024, 8, 1))
    file = lieux_file(
        tmp_path,
        "lieux.csv",
        [
            lieu("L4", "35001", 48.0001, -1.0001, "France Services",
                 nom="Espace France Services Exempleville", adresse="1 pl. de la Mairie"),
            lieu("L2", "35003", 48.5, -1.0, "France Services|Conseillers numériques"),
            lieu("L1", "35001", 48.0, -1.0, "Conseillers numériques"),  # not labelled
        ],
    )  # fmt: skip
    load_lieux(con, file, date(2024, 9, 1))
    matches = rows(
        con,
        "select status, lieu_id, espace_id, method from marts.france_services_lieux_matches "
        "order by status, lieu_id",
    )
    assert matches == [("lieu_only", "L2", None, None), ("matched", "L4", "e1", "commune")]


@pytest.mark.realdata
def test_the_june_2021_conseillers_in_the_warehouse(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    frame = parse_conseillers(shared_data / "conseillers-numeriques" / "cnfs-2021-06.json")
    as_of = date(2021, 6, 25)
    for _ in range(2):  # a second load of the date replaces the first
        load_id = begin_load(con, "conseillers", as_of=as_of)
        with transaction(con):
            figures = publish_conseillers(con, load_id, as_of, frame, [])
            refresh_after(con, ("core/conseillers_structures",))
    assert (figures.n_structures, figures.n_conseillers) == (1450, 2138)
    assert figures.n_structures_france_services == 312
    mart = "select n_structures, n_conseillers, n_structures_france_services, "
    assert rows(
        con,
        mart + "n_structures_france_services_unknown from marts.conseillers_numeriques "
        "where level = 'france'",
    ) == [(1450, 2138, 312, 293)]
    for level in ("region", "departement"):
        assert rows(
            con,
            "select sum(n_structures), sum(n_conseillers), sum(n_structures_france_services) "
            "from marts.conseillers_numeriques where level = ?",
            [level],
        ) == [(1450, 2138, 312)]
    assert rows(
        con,
        "select n_structures from marts.conseillers_numeriques "
        "where level = 'departement' and code = '01'",
    ) == [(27,)]
    assert_described(con)
