"""Nearest espaces, network change dates and the coverage marts on hand-made and real data."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from transforms.coverage import (
    EARTH_RADIUS_KM,
    TRAVEL_DETOUR_FACTOR,
    TRAVEL_SPEED_KMH,
    haversine_km,
    km_within_minutes,
    nearest_espaces,
    network_change_dates,
    search_territory,
    travel_minutes,
)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COMMUNES_2021 = SHARED_DATA / "communes" / "communes-2021.csv"
LISTING_2024 = SHARED_DATA / "espaces" / "liste-fs-20240801.csv"


def brute_force(communes: pl.DataFrame, espaces: pl.DataFrame) -> dict[str, tuple[str, float]]:
    """Nearest espace of each commune over every pair of the same territory (haversine)."""
    result: dict[str, tuple[str, float]] = {}
    e_territory = np.array([search_territory(d) for d in espaces["insee_dep"].to_list()])
    e_lat = espaces["latitude"].to_numpy()
    e_lon = espaces["longitude"].to_numpy()
    e_id = espaces["espace_id"].cast(pl.String).to_list()
    for row in communes.drop_nulls(["latitude", "longitude"]).iter_rows(named=True):
        mask = e_territory == search_territory(row["dep_code"])
        if not mask.any():
            continue
        distances = haversine_km(row["latitude"], row["longitude"], e_lat[mask], e_lon[mask])
        order = np.argsort(distances, kind="stable")
        best = distances[order[0]]
        ids = [e_id[i] for i in np.flatnonzero(mask)]
        # Among equidistant espaces (the same building), the smallest id as text.
        tied = [ids[i] for i in order if distances[i] <= best + 1e-9]
        result[row["code_insee"]] = (min(tied), float(best))
    return result


# --- territories and the travel-time proxy ---------------------------------------------------


def test_search_territory() -> None:
    """One definition of territories (transforms.territory); Corsica is its own, as an island."""
    assert search_territory("01") == "metropole"
    assert search_territory("95") == "metropole"
    assert search_territory("1") == "metropole"  # 2020-era unpadded code
    assert search_territory("2A") == "corse"
    assert search_territory("2b") == "corse"
    for code in ("971", "972", "973", "974", "976", "975", "977", "978", "986", "987", "988"):
        assert search_territory(code) == code
    assert search_territory("99") is None
    assert search_territory("979") is None
    assert search_territory(None) is None


def test_travel_proxy_constants() -> None:
    assert TRAVEL_DETOUR_FACTOR == 1.3
    assert TRAVEL_SPEED_KMH == 60.0
    assert km_within_minutes(30) == pytest.approx(23.0769, abs=1e-4)
    assert travel_minutes(km_within_minutes(30)) == pytest.approx(30.0)
    assert EARTH_RADIUS_KM == 6371.0088


def test_haversine_known_distance() -> None:
    # One degree of latitude along a meridian: R × π / 180.
    assert float(haversine_km(45.0, 5.0, 46.0, 5.0)) == pytest.approx(111.1951, abs=1e-3)


# --- nearest espaces ------------------------------------------------------------------------


def random_points(rng: np.random.Generator, n: int, box: tuple[float, float, float, float]):
    lat_min, lat_max, lon_min, lon_max = box
    return rng.uniform(lat_min, lat_max, n), rng.uniform(lon_min, lon_max, n)


def test_nearest_espaces_equals_brute_force_on_random_points() -> None:
    rng = np.random.default_rng(20240801)
    boxes = {"01": (42.3, 51.0, -4.5, 8.0), "974": (-21.38, -20.88, 55.22, 55.83)}
    communes_parts, espaces_parts = [], []
    for dep, box in boxes.items():
        c_lat, c_lon = random_points(rng, 2000, box)
        e_lat, e_lon = random_points(rng, 150 if dep == "01" else 12, box)
        communes_parts.append(
            pl.DataFrame(
                {
                    "code_insee": [f"{dep}-{i}" for i in range(c_lat.size)],
                    "dep_code": dep,
                    "latitude": c_lat,
                    "longitude": c_lon,
                }
            )
        )
        espaces_parts.append(
            pl.DataFrame(
                {
                    "espace_id": [f"{dep}{i:04d}" for i in range(e_lat.size)],
                    "insee_dep": dep,
                    "latitude": e_lat,
                    "longitude": e_lon,
                }
            )
        )
    communes = pl.concat(communes_parts)
    espaces = pl.concat(espaces_parts)
    # Two espaces in the same building: the smallest id must win, whatever the row order.
    twin = espaces.head(1).with_columns(pl.lit("00000").alias("espace_id"))
    espaces = pl.concat([espaces, twin])
    espaces = espaces.sample(fraction=1.0, shuffle=True, seed=7)

    result = nearest_espaces(communes, espaces)
    expected = brute_force(communes, espaces)
    assert result.columns == ["code_insee", "espace_id", "distance_km"]
    assert result.schema["distance_km"] == pl.Float64
    assert result["code_insee"].to_list() == communes["code_insee"].to_list()
    for code, espace_id, distance in result.iter_rows():
        assert distance == pytest.approx(expected[code][1], abs=1e-9)
        assert espace_id == expected[code][0]
    found = set(result["espace_id"].to_list())
    assert "00000" in found  # the first random espace is some commune's nearest…
    assert "010000" not in found  # …and its twin with the smaller id stands for both


def test_nearest_espaces_respects_territories() -> None:
    communes = pl.DataFrame(
        {
            "code_insee": ["97411", "01053", "2A004", "97611", "97101"],
            "dep_code": ["974", "01", "2A", "976", None],
            "latitude": [-21.34, 46.2, 41.93, -12.78, 16.0],
            "longitude": [55.48, 5.22, 8.73, 45.23, -61.7],
        }
    )
    # Mayotte's espace is far nearer Réunion than any metro one, yet never Réunion's match;
    # Réunion's own espace is farther than Mayotte's for nothing: same territory only.
    espaces = pl.DataFrame(
        {
            "espace_id": [1, 2, 3, 4],
            "insee_dep": ["01", "976", "974", "2B"],
            "latitude": [46.205, -12.78, -20.88, 42.70],
            "longitude": [5.225, 45.23, 55.45, 9.45],
        }
    )
    result = {r[0]: r[1:] for r in nearest_espaces(communes, espaces).iter_rows()}
    assert result["97411"][0] == "3"
    assert result["01053"][0] == "1"
    assert result["2A004"][0] == "4"  # a 2B espace serves Corse-du-Sud: one island
    assert result["97611"] == ("2", pytest.approx(0.0, abs=1e-9))
    # Guadeloupe (dep_code from the code) has no espace: null, never a metro espace.
    assert result["97101"] == (None, None)


def test_corsica_is_its_own_territory() -> None:
    """Nice's espace is nearer Calvi than any Corsican one would be, yet never Calvi's match."""
    communes = pl.DataFrame(
        {
            "code_insee": ["2B050", "06088"],
            "dep_code": ["2B", "06"],
            "latitude": [42.567, 43.70],
            "longitude": [8.757, 7.27],
        }
    )
    espaces = pl.DataFrame(
        {"espace_id": ["nice"], "insee_dep": ["06"], "latitude": [43.70], "longitude": [7.26]}
    )
    result = {r[0]: r[1:] for r in nearest_espaces(communes, espaces).iter_rows()}
    assert result["2B050"] == (None, None)
    assert result["06088"][0] == "nice"


def test_nearest_espaces_skips_communes_without_coordinates() -> None:
    communes = pl.DataFrame(
        {
            "code_insee": ["01001", "01002"],
            "dep_code": ["01", "01"],
            "latitude": [46.0, None],
            "longitude": [5.0, None],
        }
    )
    espaces = pl.DataFrame(
        {"espace_id": ["9"], "dep_code": ["01"], "latitude": [46.0], "longitude": [5.1]}
    )
    result = nearest_espaces(communes, espaces)
    assert result["code_insee"].to_list() == ["01001"]
    assert result["distance_km"][0] == pytest.approx(float(haversine_km(46.0, 5.0, 46.0, 5.1)))


# --- network change dates -------------------------------------------------------------------


def test_network_change_dates() -> None:
    versions = pl.DataFrame(
        {
            "espace_id": ["1", "1", "2", "3", "4"],
            "valid_from": [
                date(2024, 1, 1),
                date(2024, 3, 1),  # new version, same place (a new phone number)
                date(2024, 1, 1),
                date(2024, 4, 15),  # opens
                date(2024, 1, 1),
            ],
            "valid_to": [date(2024, 3, 1), None, date(2024, 6, 1), None, None],
            "latitude": [46.0, 46.0, 45.0, 44.0, 43.0],
            "longitude": [5.0, 5.0, 4.0, 3.0, 2.0],
        }
    )
    moved = pl.DataFrame(
        {
            "espace_id": ["4"],
            "valid_from": [date(2024, 8, 1)],
            "valid_to": [None],
            "latitude": [43.5],
            "longitude": [2.0],
        },
        schema=versions.schema,
    )
    versions = pl.concat(
        [
            versions.with_columns(
                pl.when(pl.col("espace_id") == "4")
                .then(pl.lit(date(2024, 8, 1)))
                .otherwise(pl.col("valid_to"))
                .alias("valid_to")
            ),
            moved,
        ]
    )
    snapshots = [
        date(2024, 2, 1),
        date(2024, 1, 1),  # unsorted on purpose
        date(2024, 3, 1),  # unchanged: espace 1 got a new version at the same place
        date(2024, 4, 1),  # unchanged
        date(2024, 4, 15),  # espace 3 opens (valid_from inclusive)
        date(2024, 5, 31),  # unchanged
        date(2024, 6, 1),  # espace 2 closed (valid_to exclusive)
        date(2024, 6, 1),  # duplicate
        date(2024, 8, 1),  # espace 4 moved
        date(2024, 9, 1),
    ]
    assert network_change_dates(versions, snapshots) == [
        date(2024, 1, 1),
        date(2024, 4, 15),
        date(2024, 6, 1),
        date(2024, 8, 1),
    ]
    # A new version that only changes the département moves the espace between areas.
    redistricted = pl.concat(
        [
            versions.with_columns(pl.lit("01").alias("insee_dep")),
            pl.DataFrame(
                {
                    "espace_id": ["1"],
                    "valid_from": [date(2024, 9, 1)],
                    "valid_to": [None],
                    "latitude": [46.0],
                    "longitude": [5.0],
                    "insee_dep": ["39"],
                },
                schema=versions.schema | {"insee_dep": pl.String},
            ),
        ]
    ).with_columns(
        pl.when((pl.col("espace_id") == "1") & pl.col("valid_to").is_null())
        .then(pl.when(pl.col("insee_dep") == "01").then(date(2024, 9, 1)))
        .otherwise(pl.col("valid_to"))
        .alias("valid_to")
    )
    assert network_change_dates(redistricted, snapshots)[-1] == date(2024, 9, 1)
    assert network_change_dates(versions, []) == []
    assert network_change_dates(versions, [date(2020, 1, 1), date(2021, 1, 1)]) == [
        date(2020, 1, 1)
    ]


# --- SQL marts on hand-made tables ----------------------------------------------------------

DDL = """
create schema core;
create schema marts;
create table core.communes (
    vintage INTEGER, code_insee VARCHAR, name VARCHAR, typecom VARCHAR, dep_code VARCHAR,
    reg_code VARCHAR, population BIGINT, latitude DOUBLE, longitude DOUBLE,
    density_class VARCHAR
);
create table core.commune_nearest_espace (
    as_of DATE, vintage INTEGER, code_insee VARCHAR, espace_id VARCHAR, distance_km DOUBLE
);
create table core.espaces (
    espace_id VARCHAR, valid_from DATE, valid_to DATE, name VARCHAR, insee_com VARCHAR,
    insee_dep VARCHAR, latitude DOUBLE, longitude DOUBLE
);
"""


def run_marts(
    con: duckdb.DuckDBPyConnection,
    communes: list[tuple],
    nearest: list[tuple],
    espaces: list[tuple],
) -> None:
    con.execute(DDL)
    con.executemany("insert into core.communes values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", communes)
    if nearest:
        con.executemany("insert into core.commune_nearest_espace values (?, ?, ?, ?, ?)", nearest)
    con.executemany("insert into core.espaces values (?, ?, ?, ?, ?, ?, ?, ?)", espaces)
    run_models(con)


def run_models(con: duckdb.DuckDBPyConnection) -> None:
    """Run both models statement by statement, as the warehouse does: each statement ends
    with `;` at the end of a line."""
    for model in ("coverage", "communes_far"):
        current: list[str] = []
        for line in (REPO / "sql" / "marts" / f"{model}.sql").read_text("utf-8").splitlines():
            current.append(line)
            if line.rstrip().endswith(";"):
                statement = "\n".join(current)
                assert any(
                    part.strip() and not part.strip().startswith("--")
                    for part in statement.splitlines()
                ), f"{model}.sql: a comment line ends with ';'"
                con.execute(statement)
                current = []
        assert not "\n".join(current).strip()


HAND_COMMUNES = [
    # vintage, code, name, typecom, dep, reg, population, lat, lon, density
    (2021, "01001", "Alpha", "COM", "01", "84", 1000, 46.0, 5.0, "urbain"),
    (2021, "01002", "Bravo", "COM", "01", "84", 3000, 46.1, 5.1, "rural"),
    (2021, "2A001", "Charlie", "COM", "2A", "94", 500, 41.9, 8.9, "rural"),
    (2021, "2A002", "Delta", "COM", "2A", "94", 200, 41.5, 9.1, None),
    (2021, "2A003", "Echo", "COM", "2A", "94", 300, None, None, "rural"),
    (2021, "97401", "Foxtrot", "COM", "974", "04", 400, -21.1, 55.5, None),
]
LATEST = date(2024, 1, 1)
EARLIER = date(2023, 12, 1)
HAND_NEAREST = [
    (LATEST, 2021, "01001", "e1", 2.0),
    (LATEST, 2021, "01002", "e1", 8.0),
    (LATEST, 2021, "2A001", "e3", 23.0),  # within 30 min (≤ 23.077 km), beyond 20 km
    (LATEST, 2021, "2A002", "e3", 25.0),  # beyond both
    (LATEST, 2021, "97401", None, None),  # no espace in La Réunion that day
    (EARLIER, 2021, "01001", "e1", 2.0),
    (EARLIER, 2021, "01002", "e2", 1.0),
    (EARLIER, 2021, "2A001", "e3", 30.0),
    (EARLIER, 2021, "2A002", "e3", 3.0),
    (EARLIER, 2021, "97401", None, None),
]
HAND_ESPACES = [
    # id, valid_from, valid_to, name, insee_com, insee_dep, lat, lon
    ("e1", date(2023, 1, 1), None, "FS Alpha", "01001", "01", 46.0, 5.0),
    ("e2", date(2023, 1, 1), date(2024, 1, 1), "FS Bravo", "01002", "01", 46.1, 5.1),  # closed
    ("e3", date(2023, 1, 1), date(2024, 1, 1), "FS Ajaccio (old)", "2A001", "2A", 41.9, 8.7),
    ("e3", date(2024, 1, 1), None, "FS Ajaccio", "2A001", "2A", 41.9, 8.7),
    ("e4", date(2024, 2, 1), None, "FS later", "2A002", "2A", 41.6, 9.0),  # not open yet
    ("e5", date(2023, 1, 1), None, "FS Saint-Martin", "97801", "978", 18.07, -63.05),
]


@pytest.fixture
def marts() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    run_marts(con, HAND_COMMUNES, HAND_NEAREST, HAND_ESPACES)
    return con


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)


def coverage_row(con: duckdb.DuckDBPyConnection, as_of: date, level: str, code: str) -> dict:
    frame = query(
        con,
        "select * from marts.coverage where as_of = ? and level = ? and code = ?",
        [as_of, level, code],
    )
    assert frame.height == 1, (as_of, level, code)
    return frame.row(0, named=True)


def test_coverage_mart_france_by_hand(marts: duckdb.DuckDBPyConnection) -> None:
    row = coverage_row(marts, LATEST, "france", "FR")
    assert row["population"] == 5400
    assert row["n_communes"] == 6
    assert row["n_espaces"] == 3  # e1, e3 (opens that day), e5 (Saint-Martin); not e2, e4
    assert row["espaces_per_100k"] == pytest.approx(3 * 100000 / 5400, abs=1e-3)
    # Distances over communes having coordinates and an espace: 4,700 inhabitants.
    assert row["mean_distance_km"] == pytest.approx(
        (1000 * 2 + 3000 * 8 + 500 * 23 + 200 * 25) / 4700, abs=1e-3
    )
    assert row["median_distance_km"] == 8.0  # 1000 at 2 km, then 4000 ≥ 4700 / 2 at 8 km
    # Shares over the 5,100 inhabitants with coordinates (Foxtrot, without espace, included).
    assert row["share_pop_within_5km"] == pytest.approx(100 * 1000 / 5100, abs=1e-3)
    assert row["share_pop_within_10km"] == pytest.approx(100 * 4000 / 5100, abs=1e-3)
    assert row["share_pop_within_20km"] == pytest.approx(100 * 4000 / 5100, abs=1e-3)
    assert row["share_pop_within_30min"] == pytest.approx(100 * 4500 / 5100, abs=1e-3)
    # Charlie (23 km), Delta (25 km), Foxtrot (no espace in its territory)
    assert row["pop_beyond_20km"] == 1100
    assert row["n_communes_beyond_20km"] == 3
    assert row["pop_without_coordinates"] == 300
    assert row["n_communes_without_coordinates"] == 1


def test_coverage_mart_levels_by_hand(marts: duckdb.DuckDBPyConnection) -> None:
    levels = marts.execute(
        "select level, code from marts.coverage where as_of = ?", [LATEST]
    ).fetchall()
    assert levels == [  # the mart's own order: france, region, departement, densite
        ("france", "FR"),
        ("region", "04"),
        ("region", "84"),
        ("region", "94"),
        ("departement", "01"),
        ("departement", "2A"),
        ("departement", "974"),
        ("densite", "rural"),
        ("densite", "urbain"),
    ]
    corse = coverage_row(marts, LATEST, "departement", "2A")
    assert corse["population"] == 1000
    assert corse["n_espaces"] == 1
    assert corse["mean_distance_km"] == pytest.approx((500 * 23 + 200 * 25) / 700, abs=1e-3)
    assert corse["median_distance_km"] == 23.0
    assert corse["share_pop_within_20km"] == 0.0
    assert corse["share_pop_within_30min"] == pytest.approx(100 * 500 / 700, abs=1e-3)
    assert corse["pop_without_coordinates"] == 300
    reunion = coverage_row(marts, LATEST, "region", "04")
    assert reunion["n_espaces"] == 0
    assert reunion["mean_distance_km"] is None
    assert reunion["median_distance_km"] is None
    assert reunion["share_pop_within_30min"] == 0.0
    assert reunion["pop_beyond_20km"] == 400
    rural = coverage_row(marts, LATEST, "densite", "rural")
    assert rural["population"] == 3800
    assert rural["n_espaces"] == 1  # e3, through its commune Charlie; e2 closed, e4 not open
    assert coverage_row(marts, LATEST, "densite", "urbain")["n_espaces"] == 1  # e1
    assert rural["median_distance_km"] == 8.0
    assert rural["mean_distance_km"] == pytest.approx((3000 * 8 + 500 * 23) / 3500, abs=1e-3)
    earlier = coverage_row(marts, EARLIER, "france", "FR")
    assert earlier["n_espaces"] == 4  # e1, e2, e3 (old name), e5
    assert earlier["median_distance_km"] == 1.0  # 3000 at 1 km ≥ 4700 / 2
    assert earlier["share_pop_within_30min"] == pytest.approx(100 * 4200 / 5100, abs=1e-3)


def test_communes_far_mart_by_hand(marts: duckdb.DuckDBPyConnection) -> None:
    rows = query(marts, "select * from marts.communes_far")
    assert rows.columns == [
        "as_of",
        "population_rank",
        "code_insee",
        "name",
        "dep_code",
        "population",
        "espace_id",
        "espace_name",
        "distance_km",
        "travel_minutes_proxy",
    ]
    assert rows["as_of"].to_list() == [LATEST] * 3
    assert rows["code_insee"].to_list() == ["2A001", "97401", "2A002"]  # 500, 400, 200
    assert rows["population_rank"].to_list() == [1, 2, 3]
    delta = rows.row(2, named=True)
    assert delta["espace_id"] == "e3"
    assert delta["espace_name"] == "FS Ajaccio"  # the version open on the latest date
    assert delta["distance_km"] == 25.0
    assert delta["travel_minutes_proxy"] == pytest.approx(round(travel_minutes(25.0), 1))
    assert rows.row(1, named=True)["espace_id"] is None
    assert rows.row(1, named=True)["distance_km"] is None
    assert rows.row(0, named=True)["travel_minutes_proxy"] == 29.9  # 23 km × 1.3 at 60 km/h


def test_sql_parameters_match_python() -> None:
    """The 30-minute distance of both SQL models equals km_within_minutes(30)."""
    con = duckdb.connect(":memory:")
    km = km_within_minutes(30)
    communes = [
        (2021, "01001", "Inside", "COM", "01", "84", 10, 46.0, 5.0, None),
        (2021, "01002", "Outside", "COM", "01", "84", 30, 46.1, 5.0, None),
    ]
    nearest = [
        (LATEST, 2021, "01001", "e1", km - 1e-6),
        (LATEST, 2021, "01002", "e1", km + 1e-6),
    ]
    run_marts(con, communes, nearest, [HAND_ESPACES[0]])
    row = coverage_row(con, LATEST, "france", "FR")
    assert row["share_pop_within_30min"] == 25.0
    far = con.execute("select travel_minutes_proxy from marts.communes_far").fetchall()
    assert far == [(30.0,), (30.0,)]


def test_coverage_mart_empty_inputs() -> None:
    con = duckdb.connect(":memory:")
    run_marts(con, HAND_COMMUNES, [], HAND_ESPACES)
    assert con.execute("select count(*) from marts.coverage").fetchone() == (0,)
    assert con.execute("select count(*) from marts.communes_far").fetchone() == (0,)


# --- real data ------------------------------------------------------------------------------

realdata = pytest.mark.skipif(
    not (COMMUNES_2021.exists() and LISTING_2024.exists()),
    reason="real data in ../shared/data is absent",
)


@pytest.fixture(scope="module")
def real_inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    from transforms.communes import read_communes

    communes = read_communes(COMMUNES_2021, 2021)
    espaces = pl.read_csv(LISTING_2024, infer_schema=False).select(
        pl.col("id_fs").alias("espace_id"),
        pl.col("insee_dep"),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
    )
    return communes, espaces


@realdata
@pytest.mark.realdata
def test_real_nearest_espaces_match_brute_force(
    real_inputs: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    communes, espaces = real_inputs
    started = time.perf_counter()
    result = nearest_espaces(communes, espaces)
    elapsed = time.perf_counter() - started
    print(f"nearest_espaces: {communes.height} communes × {espaces.height} espaces: {elapsed:.3f}s")
    assert result.height == communes.filter(pl.col("has_coordinates")).height == 34973
    assert result["espace_id"].null_count() == 0  # every territory with communes has espaces
    by_code = {r[0]: r[1:] for r in result.iter_rows()}
    for dep in ("01", "2A", "974", "75"):
        sample = communes.filter(pl.col("dep_code") == dep)
        expected = brute_force(sample, espaces)
        assert len(expected) == sample.filter(pl.col("has_coordinates")).height > 0
        for code, (espace_id, distance) in expected.items():
            assert by_code[code][1] == pytest.approx(distance, abs=1e-9)
            assert by_code[code][0] == espace_id
    # A Réunion commune is matched with a Réunion espace only.
    reunion_ids = set(espaces.filter(pl.col("insee_dep") == "974")["espace_id"].to_list())
    reunion = result.filter(pl.col("code_insee").str.starts_with("974"))
    assert set(reunion["espace_id"].to_list()) <= reunion_ids
    assert elapsed < 5.0


@realdata
@pytest.mark.realdata
def test_real_coverage_mart_totals(real_inputs: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    communes, espaces = real_inputs
    nearest = nearest_espaces(communes, espaces)
    as_of = date(2024, 8, 1)
    con = duckdb.connect(":memory:")
    con.execute(DDL)
    core_communes = communes.select(
        "vintage",
        "code_insee",
        "name",
        "typecom",
        "dep_code",
        "reg_code",
        "population",
        "latitude",
        "longitude",
        "density_class",
    )
    core_nearest = nearest.select(
        pl.lit(as_of).alias("as_of"), pl.lit(2021, dtype=pl.Int32).alias("vintage"), pl.all()
    )
    core_espaces = espaces.select(
        "espace_id",
        pl.lit(date(2024, 8, 1)).alias("valid_from"),
        pl.lit(None, dtype=pl.Date).alias("valid_to"),
        pl.lit("").alias("name"),
        pl.lit(None, dtype=pl.String).alias("insee_com"),
        "insee_dep",
        "latitude",
        "longitude",
    )
    con.register("communes_frame", core_communes.to_arrow())
    con.register("nearest_frame", core_nearest.to_arrow())
    con.register("espaces_frame", core_espaces.to_arrow())
    con.execute("insert into core.communes select * from communes_frame")
    con.execute("insert into core.commune_nearest_espace select * from nearest_frame")
    con.execute("insert into core.espaces select * from espaces_frame")
    run_models(con)
    france = coverage_row(con, as_of, "france", "FR")
    assert france["population"] == communes["population"].sum() == 67_406_310
    assert france["n_communes"] == 34_976
    assert france["n_espaces"] == 2_845
    assert france["n_communes_without_coordinates"] == 3
    departements = con.execute(
        "select sum(population), sum(n_espaces) from marts.coverage "
        "where as_of = ? and level = 'departement'",
        [as_of],
    ).fetchone()
    assert departements[0] == 67_406_310
    assert departements[1] == 2_845 - espaces.filter(pl.col("insee_dep") == "978").height
    # The population-weighted mean recomputed in polars.
    located = communes.join(nearest, on="code_insee")
    mean = (located["population"] * located["distance_km"]).sum() / located["population"].sum()
    assert france["mean_distance_km"] == pytest.approx(mean, abs=1e-3)
    assert 0 < france["share_pop_within_5km"] < france["share_pop_within_30min"] <= 100
    far = con.execute("select count(*), min(distance_km) from marts.communes_far").fetchone()
    assert far[0] == france["n_communes_beyond_20km"] > 0
    assert far[1] > 20.0
