"""The `communes` and `coverage` flows end to end: real Prefect runs, a real DuckDB file, real
exports, a local HTTP server for `refresh communes`, and the real published files when present."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.communes import communes
from flows.coverage import coverage
from flows.espaces import espaces
from flows.pipeline import LoadRefused
from fsdata.cli import EXIT_REFUSED, main
from fsdata.config import sample_path
from tests.helpers import copy_home, exports_digest, published_state, query
from transforms.coverage import haversine_km, km_within_minutes, nearest_espaces
from warehouse.coverage import open_on, vintage_for

pytestmark = pytest.mark.usefixtures("prefect_server")

DEMO_COMMUNES = sample_path("communes", "communes-demo.csv")
SAMPLE_2020 = sample_path("espaces", "france_services_20200312.geojson")
SAMPLE_2023 = sample_path("espaces", "liste-fs-20231201.csv")
SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")
HEADER_2021 = (
    ",code_insee,nom_standard,typecom,reg_code,dep_code,code_postal,population,"
    "superficie_km2,latitude_centre,longitude_centre"
)


def load_espaces(home: Path, file: Path, as_of: str) -> dict[str, Any]:
    # The demo listings differ in size more than the row-count guard allows between neighbours.
    return espaces(home=str(home), file=str(file), as_of=as_of, accept_row_count=True)


def load_communes(home: Path, file: Path, vintage: int) -> dict[str, Any]:
    return communes(home=str(home), file=str(file), vintage=vintage)


def coverage_runs(home: Path) -> list[str]:
    return [
        r[0]
        for r in query(home, "select message from meta.loads where source = 'coverage' order by 1")
    ]


def last_coverage(home: Path) -> str:
    rows = query(
        home,
        "select message from meta.loads where source = 'coverage' order by load_id desc limit 1",
    )
    return rows[0][0]


def expected_nearest(home: Path) -> dict[date, dict[str, tuple[str | None, float | None]]]:
    """Each date's nearest espaces recomputed from scratch from core.espaces and core.communes."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        versions = pl.DataFrame(
            con.execute(
                "select espace_id, insee_dep, valid_from, valid_to, latitude, longitude "
                "from core.espaces where latitude is not null and longitude is not null"
            ).fetchall(),
            schema=["espace_id", "insee_dep", "valid_from", "valid_to", "latitude", "longitude"],
            orient="row",
        )
        dates = [
            r[0]
            for r in con.execute(
                "select as_of from meta.snapshots where source = 'espaces'"
            ).fetchall()
        ]
        vintages = [
            r[0] for r in con.execute("select distinct vintage from core.communes").fetchall()
        ]
        result = {}
        for day in dates:
            vintage = vintage_for(day, vintages)
            frame = pl.DataFrame(
                con.execute(
                    "select code_insee, dep_code, latitude, longitude from core.communes "
                    "where vintage = ?",
                    [vintage],
                ).fetchall(),
                schema=["code_insee", "dep_code", "latitude", "longitude"],
                orient="row",
            )
            nearest = nearest_espaces(frame, open_on(versions, day))
            result[day] = {r[0]: (r[1], r[2]) for r in nearest.iter_rows()}
        return result
    finally:
        con.close()


def stored_nearest(home: Path) -> dict[date, dict[str, tuple[str | None, float | None]]]:
    result: dict[date, dict[str, tuple[str | None, float | None]]] = {}
    for as_of, code, espace_id, km in query(
        home, "select as_of, code_insee, espace_id, distance_km from core.commune_nearest_espace"
    ):
        result.setdefault(as_of, {})[code] = (espace_id, km)
    return result


# --- ingest, incremental coverage, backfill --------------------------------------------------


def test_demo_communes_and_incremental_coverage(home: Path) -> None:
    summary = load_communes(home, DEMO_COMMUNES, 2021)
    assert summary["status"] == "published"
    assert summary["changes"] == {
        "communes": 30,
        "population": 204_750,
        "without coordinates": 1,
        "population without coordinates": 220,
    }
    assert summary["warnings"] == {"coordinates_present": 1}
    assert query(home, "select count(*), sum(population) from core.communes") == [(30, 204_750)]
    # No espace snapshot yet: coverage has nothing to measure.
    assert query(home, "select count(*) from core.commune_nearest_espace") == [(0,)]
    assert load_communes(home, DEMO_COMMUNES, 2021)["status"] == "unchanged"

    # Each espace load brings coverage up to date; a new snapshot costs one date.
    load_espaces(home, SAMPLE_2023, "2023-12-01")
    assert last_coverage(home).startswith("1 dates: 1 computed")
    load_espaces(home, SAMPLE_2024, "2024-08-01")
    assert last_coverage(home).startswith("2 dates: 1 computed, 0 reused from a date")
    assert last_coverage(home).endswith("1 kept, 0 removed")
    # The same network under a new date: its rows are copied, not computed.
    load_espaces(home, SAMPLE_2024, "2024-09-01")
    assert last_coverage(home).startswith("3 dates: 0 computed, 1 reused")

    # A backfilled older snapshot: its date is computed, and every date stays right.
    load_espaces(home, SAMPLE_2020, "2020-03-12")
    message = last_coverage(home)
    assert message.startswith("4 dates: ")
    assert "1 computed" in message or "2 computed" in message
    stored = stored_nearest(home)
    expected = expected_nearest(home)
    assert (
        set(stored)
        == set(expected)
        == {
            date(2020, 3, 12),
            date(2023, 12, 1),
            date(2024, 8, 1),
            date(2024, 9, 1),
        }
    )
    for day, rows in expected.items():
        assert set(stored[day]) == set(rows)
        for code, (espace_id, km) in rows.items():
            assert stored[day][code][0] == espace_id
            assert stored[day][code][1] == pytest.approx(km, abs=1e-9)

    # The marts and exports follow; the demo's two far communes are listed.
    assert query(home, "select distinct as_of from marts.coverage order by 1") == [
        (date(2020, 3, 12),),
        (date(2023, 12, 1),),
        (date(2024, 8, 1),),
        (date(2024, 9, 1),),
    ]
    far = query(home, "select code_insee from marts.communes_far order by population_rank")
    assert far == [("97457",), ("01911",)]
    france = query(
        home,
        "select population, n_communes, pop_without_coordinates from marts.coverage "
        "where level = 'france' and as_of = '2024-08-01'",
    )
    assert france == [(204_750, 30, 220)]
    for name in ("coverage", "communes_far"):
        for suffix in (".parquet", ".csv"):
            assert (home / "exports" / "coverage" / f"{name}{suffix}").is_file()
    assert (home / "exports" / "communes" / "communes.csv").is_file()

    # Run by hand with nothing new: every date kept, exports unchanged.
    before = exports_digest(home)
    assert coverage(home=str(home))["status"] == "unchanged"
    assert last_coverage(home) == (
        "4 dates: 0 computed, 0 reused from a date with the same network and communes, "
        "4 kept, 0 removed"
    )
    assert exports_digest(home) == before


def test_vintage_selection_and_replacement(home: Path, tmp_path: Path) -> None:
    assert vintage_for(date(2020, 3, 12), [2021, 2024]) == 2021  # none not after: the oldest
    assert vintage_for(date(2023, 12, 1), [2021, 2024]) == 2021
    assert vintage_for(date(2024, 1, 1), [2021, 2024]) == 2024
    assert vintage_for(date(2030, 1, 1), [2024, 2021]) == 2024
    with pytest.raises(ValueError):
        vintage_for(date(2024, 1, 1), [])

    for file, as_of in ((SAMPLE_2020, "2020-03-12"), (SAMPLE_2024, "2024-08-01")):
        load_espaces(home, file, as_of)
    assert query(home, "select count(*) from core.commune_nearest_espace") == [(0,)]
    load_communes(home, DEMO_COMMUNES, 2021)
    assert query(home, "select as_of, vintage from core.coverage_dates order by 1") == [
        (date(2020, 3, 12), 2021),
        (date(2024, 8, 1), 2021),
    ]

    # A 2024 vintage: the 2024 date switches to it, the 2020 date keeps the oldest.
    text = DEMO_COMMUNES.read_text("utf-8")
    doubled = tmp_path / "communes-2024.csv"
    doubled.write_text(text.replace(",38250,", ",76500,"), encoding="utf-8")
    load_communes(home, doubled, 2024)
    assert last_coverage(home).startswith("2 dates: 1 computed")
    assert query(home, "select as_of, vintage from core.coverage_dates order by 1") == [
        (date(2020, 3, 12), 2021),
        (date(2024, 8, 1), 2024),
    ]
    assert query(
        home, "select as_of, population from marts.coverage where level = 'france' order by 1"
    ) == [(date(2020, 3, 12), 204_750), (date(2024, 8, 1), 204_750 + 38_250)]

    # The same vintage loaded again from another file replaces it, and its dates follow.
    lines = text.splitlines()
    smaller = tmp_path / "communes-2024-v2.csv"
    smaller.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert load_communes(home, smaller, 2024)["status"] == "published"
    assert query(home, "select vintage, count(*) from core.communes group by 1 order by 1") == [
        (2021, 30),
        (2024, 29),
    ]
    assert last_coverage(home).startswith("2 dates: 1 computed")
    assert query(
        home, "select count(*) from core.commune_nearest_espace where as_of = '2024-08-01'"
    ) == [(28,)]  # 29 communes, one without coordinates


def test_arrondissements_replace_their_parent(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "paris.csv"
    file.write_text(
        HEADER_2021
        + "\n0,75056,Paris,COM,11,75,75001,2100000,105.4,48.8566,2.3522"
        + "\n1,75101,Paris 1er Arrondissement,ARM,11,75,75001,16000,1.8,48.8626,2.3363"
        + "\n2,75102,Paris 2e Arrondissement,ARM,11,75,75002,21000,1.0,48.8683,2.3428"
        + "\n3,01901,Bourg-la-Plaine,COM,84,01,01000,38250,24.1,46.2150,5.2310\n",
        encoding="utf-8",
    )
    load_espaces(home, SAMPLE_2024, "2024-08-01")
    summary = load_communes(home, file, 2021)
    assert summary["changes"]["communes"] == 3
    assert query(home, "select code_insee, typecom from core.communes order by 1") == [
        ("01901", "COM"),
        ("75101", "ARM"),
        ("75102", "ARM"),
    ]
    assert query(
        home,
        "select code, population, n_communes from marts.coverage "
        "where level = 'departement' order by code",
    ) == [("01", 38_250, 1), ("75", 37_000, 2)]


# --- refusals --------------------------------------------------------------------------------


# What a refused load must leave as it was: these tables and the whole release.
PUBLISHED_TABLES = (
    "core.communes",
    "core.commune_nearest_espace",
    "marts.coverage",
    "marts.communes_far",
    "meta.snapshots",
)


@pytest.fixture(scope="module")
def listing_and_communes(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2024 sample listing, then the demo communes (2021), loaded once for the module.
    Shared: a test reads it, or writes to its own copy."""
    home = tmp_path_factory.mktemp("coverage") / "home"
    load_espaces(home, SAMPLE_2024, "2024-08-01")
    load_communes(home, DEMO_COMMUNES, 2021)
    return home


def test_refused_files_change_nothing(listing_and_communes: Path, tmp_path: Path) -> None:
    home = copy_home(listing_and_communes, tmp_path, "loaded")
    before = published_state(home, PUBLISHED_TABLES)

    text = DEMO_COMMUNES.read_text("utf-8").splitlines()
    no_population = tmp_path / "no-population.csv"
    no_population.write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 7) for line in text),
        encoding="utf-8",
    )
    assert (
        main(
            [
                "ingest",
                "communes",
                str(no_population),
                "--vintage",
                "2021",
                "--home",
                str(home),
            ]
        )
        == EXIT_REFUSED
    )
    duplicated = tmp_path / "duplicated.csv"
    duplicated.write_text("\n".join([*text, text[1]]) + "\n", encoding="utf-8")
    with pytest.raises(LoadRefused, match="code_insee_unique"):
        load_communes(home, duplicated, 2021)

    assert published_state(home, PUBLISHED_TABLES) == before
    rejected = query(
        home,
        "select file_name, status from meta.loads where source = 'communes' "
        "and status = 'rejected' order by load_id",
    )
    assert rejected == [("no-population.csv", "rejected"), ("duplicated.csv", "rejected")]
    failed_rules = query(
        home,
        "select rule from meta.validation_results join meta.loads using (load_id) "
        "where file_name = 'duplicated.csv' and not success",
    )
    assert ("code_insee_unique",) in failed_rules
    assert (home / "rejected" / "communes").is_dir()


# --- refresh from the live source ------------------------------------------------------------

COLUMNS_2025 = (
    "code_insee,nom_standard,typecom,reg_code,dep_code,population,latitude_mairie,"
    "longitude_mairie,latitude_centre,longitude_centre,grille_densite,grille_densite_texte"
)
ETALAB_CSV = (
    "," + COLUMNS_2025 + "\n"
    "0,01901,Bourg-la-Plaine,COM,84,01,38250,46.2052,5.2255,46.2150,5.2310,2,"
    "Centres urbains intermédiaires\n"
    "1,01902,Viriat-les-Étangs,COM,84,01,6420,46.2460,5.2650,,,4,Rural à habitat dispersé\n"
    "2,2A903,Tavaco-Suttanu,COM,94,2A,420,41.9980,8.8520,41.9980,8.8520,4,"
    "Rural à habitat dispersé\n"
)


def test_refresh_communes_then_not_modified(home: Path, httpserver: HTTPServer) -> None:
    etag = '"communes-v1"'
    requests_seen: list[str | None] = []

    def handler(request: Request) -> Response:
        requests_seen.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304)
        return Response(ETALAB_CSV.encode("utf-8"), content_type="text/csv", headers={"ETag": etag})

    httpserver.expect_request("/communes-france.csv").respond_with_handler(handler)
    url = httpserver.url_for("/communes-france.csv")
    (home / "fsdata.toml").write_text(
        f'retry_delays = [0.1]\n[sources]\ncommunes = "{url}"\n', encoding="utf-8"
    )
    load_espaces(home, SAMPLE_2024, "2024-08-01")
    first = communes(home=str(home))
    assert first["status"] == "published"
    year = date.today().year
    assert query(
        home, "select vintage, code_insee, density_class from core.communes order by 2"
    ) == [
        (year, "01901", "Centres urbains intermédiaires"),
        (year, "01902", "Rural à habitat dispersé"),
        (year, "2A903", "Rural à habitat dispersé"),
    ]
    # The town hall stands in for a missing centre.
    assert query(home, "select latitude from core.communes where code_insee = '01902'") == [
        (46.246,)
    ]
    assert len(list((home / "raw" / "communes").glob(f"{year}-01-01_*.csv"))) == 1
    assert query(home, "select count(*) from marts.coverage where level = 'densite'") == [(2,)]

    second = communes(home=str(home))
    assert second["status"] == "unchanged"
    assert requests_seen == [None, etag]


def test_travel_proxy_in_marts_matches_python(listing_and_communes: Path) -> None:
    home = listing_and_communes
    rows = query(
        home,
        "select n.distance_km, c.population from core.commune_nearest_espace n "
        "join core.communes c using (vintage, code_insee)",
    )
    within = sum(p for km, p in rows if km is not None and km <= km_within_minutes(30))
    total = sum(p for _, p in rows)
    assert query(
        home, "select share_pop_within_30min from marts.coverage where level = 'france'"
    ) == [(pytest.approx(round(100 * within / total, 3)),)]


# --- real data -------------------------------------------------------------------------------


def brute_force_territory(dep: str) -> str:
    """An independent spelling of the territories: Corsica and each overseas code on its own."""
    if dep in ("2A", "2B"):
        return "corse"
    if dep.startswith("97") or dep.startswith("98"):
        return dep
    return "metropole"


@pytest.mark.realdata
def test_real_coverage_matches_brute_force(home: Path, shared_data: Path) -> None:
    listing = shared_data / "espaces" / "liste-fs-20240801.csv"
    communes_file = shared_data / "communes" / "communes-2021.csv"
    load_espaces(home, listing, "2024-08-01")
    load_communes(home, communes_file, 2021)
    as_of = date(2024, 8, 1)

    # Independent inputs: the published files read directly, every pair measured.
    espaces_frame = (
        pl.read_csv(listing, infer_schema=False)
        .select(
            pl.col("id_fs").alias("espace_id"),
            pl.col("insee_dep").str.zfill(2),
            pl.col("latitude").cast(pl.Float64),
            pl.col("longitude").cast(pl.Float64),
        )
        .drop_nulls()
    )
    raw = pl.read_csv(communes_file, infer_schema=False)
    commune_frame = raw.select(
        pl.col("code_insee"),
        pl.col("dep_code").str.zfill(2),
        pl.col("population").cast(pl.Int64),
        pl.col("latitude_centre").cast(pl.Float64).alias("latitude"),
        pl.col("longitude_centre").cast(pl.Float64).alias("longitude"),
    )
    assert commune_frame.height == 34_976
    e_territory = np.array([brute_force_territory(d) for d in espaces_frame["insee_dep"]])
    e_lat = espaces_frame["latitude"].to_numpy()
    e_lon = espaces_frame["longitude"].to_numpy()
    located = commune_frame.drop_nulls(["latitude", "longitude"])
    distances = np.full(located.height, np.nan)
    c_territory = np.array([brute_force_territory(d) for d in located["dep_code"]])
    c_lat = located["latitude"].to_numpy()
    c_lon = located["longitude"].to_numpy()
    for territory in np.unique(c_territory):
        rows = np.flatnonzero(c_territory == territory)
        mask = e_territory == territory
        if not mask.any():
            continue
        for chunk in np.array_split(rows, max(1, rows.size // 1000)):
            pairs = haversine_km(
                c_lat[chunk, None], c_lon[chunk, None], e_lat[None, mask], e_lon[None, mask]
            )
            distances[chunk] = pairs.min(axis=1)
    brute = located.with_columns(pl.Series("distance_km", distances))

    def figures(frame: pl.DataFrame) -> dict[str, float]:
        reached = frame.filter(pl.col("distance_km").is_not_null())
        population = reached["population"].to_numpy().astype(float)
        km = reached["distance_km"].to_numpy()
        located_population = frame["population"].sum()
        return {
            "mean_distance_km": float((population * km).sum() / population.sum()),
            "share_pop_within_10km": float(100 * population[km <= 10].sum() / located_population),
            "share_pop_within_30min": float(
                100 * population[km <= km_within_minutes(30)].sum() / located_population
            ),
        }

    def mart_row(level: str, code: str) -> dict[str, Any]:
        con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
        try:
            cursor = con.execute(
                "select * from marts.coverage where as_of = ? and level = ? and code = ?",
                [as_of, level, code],
            )
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            con.close()
        assert len(rows) == 1
        return dict(zip(names, rows[0], strict=True))

    france = mart_row("france", "FR")
    assert france["population"] == commune_frame["population"].sum() == 67_406_310
    assert france["n_communes"] == 34_976
    assert france["n_communes_without_coordinates"] == 3
    assert france["pop_without_coordinates"] == (
        commune_frame.filter(pl.col("latitude").is_null())["population"].sum()
    )
    for name, value in figures(brute).items():
        assert france[name] == pytest.approx(value, abs=2e-3), name
    for dep in ("01", "2A", "974", "75"):
        row = mart_row("departement", dep)
        part = brute.filter(pl.col("dep_code") == dep)
        assert (
            row["population"] == commune_frame.filter(pl.col("dep_code") == dep)["population"].sum()
        )
        for name, value in figures(part).items():
            assert row[name] == pytest.approx(value, abs=2e-3), (dep, name)
    assert query(home, "select count(*) from core.coverage_dates") == [(1,)]
