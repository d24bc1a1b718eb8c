"""Reading communes (Etalab CSV, geo.api.gouv.fr JSON) and the communes GX suite."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from expectations.runner import validate
from transforms.communes import CANONICAL_SCHEMA, CHECK_COLUMNS, derive_dep_code, read_communes
from transforms.errors import SourceFormatError

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fsdata" / "samples" / "communes" / "communes-demo.csv"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COMMUNES_2021 = SHARED_DATA / "communes" / "communes-2021.csv"

HEADER_2021 = (
    ",code_insee,nom_standard,typecom,reg_code,dep_code,code_postal,population,"
    "superficie_km2,latitude_centre,longitude_centre"
)
COLUMNS_2025 = [
    "code_insee",
    "nom_standard",
    "nom_sans_pronom",
    "nom_a",
    "nom_de",
    "nom_sans_accent",
    "nom_standard_majuscule",
    "typecom",
    "typecom_texte",
    "reg_code",
    "reg_nom",
    "dep_code",
    "dep_nom",
    "canton_code",
    "canton_nom",
    "epci_code",
    "epci_nom",
    "academie_code",
    "academie_nom",
    "code_postal",
    "codes_postaux",
    "zone_emploi",
    "code_insee_centre_zone_emploi",
    "code_unite_urbaine",
    "nom_unite_urbaine",
    "taille_unite_urbaine",
    "type_commune_unite_urbaine",
    "statut_commune_unite_urbaine",
    "population",
    "superficie_hectare",
    "superficie_km2",
    "densite",
    "altitude_moyenne",
    "altitude_minimale",
    "altitude_maximale",
    "latitude_mairie",
    "longitude_mairie",
    "latitude_centre",
    "longitude_centre",
    "grille_densite",
    "grille_densite_texte",
    "niveau_equipements_services",
    "niveau_equipements_services_texte",
    "gentile",
    "url_wikipedia",
    "url_villedereve",
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def row_2025(**values: str) -> str:
    cells = [values.get(column, "") for column in COLUMNS_2025]
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


# --- Etalab CSV ------------------------------------------------------------------------------


def test_reduced_2021_layout_with_index_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "communes.csv",
        HEADER_2021
        + "\n0,01901,Bourg-la-Plaine,COM,84,01,01000,38250,24.1,46.2150,5.2310"
        + "\n1,2A903,Tavaco-Suttanu,COM,94,2A,20167,420,12.6,41.9980,8.8520"
        + "\n2,97451,Saint-Denis-des-Hauts,COM,4,974,97400,24800,31.6,-20.9020,55.4780"
        + "\n3,1914,Saint-Martin-du-Bugey,COM,84,1,01230,220,11.8,,\n",
    )
    frame = read_communes(path, 2021)
    assert frame.columns == [*CANONICAL_SCHEMA, *CHECK_COLUMNS]
    assert dict(frame.select(list(CANONICAL_SCHEMA)).schema) == CANONICAL_SCHEMA
    assert frame["vintage"].to_list() == [2021] * 4
    assert frame["code_insee"].to_list() == ["01901", "2A903", "97451", "01914"]
    assert frame["name"][1] == "Tavaco-Suttanu"
    assert frame["dep_code"].to_list() == ["01", "2A", "974", "01"]
    assert frame["reg_code"].to_list() == ["84", "94", "04", "84"]
    assert frame["population"].to_list() == [38250, 420, 24800, 220]
    assert frame["latitude"].to_list() == [46.215, 41.998, -20.902, None]
    assert frame["longitude"].to_list() == [5.231, 8.852, 55.478, None]
    assert frame["density_class"].null_count() == 4
    assert frame["source_row"].to_list() == [2, 3, 4, 5]
    assert frame["has_coordinates"].to_list() == [True, True, True, False]
    assert frame["coordinates_in_territory_box"].to_list() == [True, True, True, None]
    assert frame["dep_code_consistent"].to_list() == [True] * 4


def test_etalab_2025_layout(tmp_path: Path) -> None:
    lines = [
        "," + ",".join(COLUMNS_2025),
        "0,"
        + row_2025(
            code_insee="01053",
            nom_standard="Bourg-la-Plaine",
            typecom="COM",
            reg_code="84",
            dep_code="01",
            population="41 365",
            latitude_mairie="46.2052",
            longitude_mairie="5.2255",
            latitude_centre="46.2100",
            longitude_centre="5.2400",
            grille_densite="2",
            grille_densite_texte="Centres urbains intermédiaires",
        ),
        "1,"
        + row_2025(
            code_insee="2A004",
            nom_standard="Aiacciu-Marina",
            typecom="COM",
            reg_code="94",
            dep_code="2A",
            population="71000",
            latitude_mairie="41,9192",  # comma decimal, no centre: the town hall stands in
            longitude_mairie="8,7386",
            grille_densite="3",
        ),
        "2,"
        + row_2025(
            code_insee="01999",
            nom_standard="Ancienne-Commune",
            typecom="COMD",
            reg_code="84",
            dep_code="01",
            population="300",
        ),
    ]
    frame = read_communes(write(tmp_path, "communes-france-2025.csv", "\n".join(lines)), 2025)
    assert frame["code_insee"].to_list() == ["01053", "2A004"]  # the delegated commune dropped
    assert frame["population"].to_list() == [41365, 71000]
    assert frame["latitude"].to_list() == [46.21, 41.9192]
    assert frame["longitude"].to_list() == [5.24, 8.7386]
    assert frame["density_class"].to_list() == ["Centres urbains intermédiaires", "3"]
    assert frame["vintage"].to_list() == [2025, 2025]
    assert frame["coordinates_in_territory_box"].to_list() == [True, True]


def test_dep_code_derived_when_column_absent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "communes.csv",
        "code_insee;nom_standard;population;latitude_centre;longitude_centre\n"
        "01001;Un;10;46.1;5.0\n2A004;Deux;20;41.9;8.7\n97411;Trois;30;-20.9;55.4\n"
        "98818;Quatre;40;-22.2;166.4\n",
    )
    frame = read_communes(path, 2021)
    assert frame["dep_code"].to_list() == ["01", "2A", "974", "988"]
    assert frame["typecom"].to_list() == ["COM"] * 4
    assert frame["reg_code"].null_count() == 4
    assert derive_dep_code("75101") == "75"
    assert derive_dep_code(None) is None


def test_arrondissements_replace_their_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "communes.csv",
        HEADER_2021
        + "\n0,75056,Paris,COM,11,75,75001,2100000,105.4,48.8566,2.3522"
        + "\n1,75101,Paris 1er Arrondissement,ARM,11,75,75001,16000,1.8,48.8626,2.3363"
        + "\n2,75102,Paris 2e Arrondissement,ARM,11,75,75002,21000,1.0,48.8683,2.3428"
        + "\n3,69123,Lyon,COM,84,69,69001,520000,47.9,45.7640,4.8357"
        + "\n4,13055,Marseille,COM,93,13,13001,870000,240.6,43.2965,5.3698"
        + "\n5,13201,Marseille 1er Arrondissement,ARM,93,13,13001,39000,1.8,43.3,5.38\n",
    )
    frame = read_communes(path, 2021)
    # Paris and Marseille counted through their arrondissements; Lyon, listed without them, kept.
    assert frame["code_insee"].to_list() == ["75101", "75102", "69123", "13201"]
    assert frame["typecom"].to_list() == ["ARM", "ARM", "COM", "ARM"]


def test_missing_required_columns_are_refused(tmp_path: Path) -> None:
    without_population = write(
        tmp_path,
        "a.csv",
        ",code_insee,nom_standard,dep_code,latitude_centre,longitude_centre\n0,01001,Un,01,46,5\n",
    )
    with pytest.raises(SourceFormatError) as caught:
        read_communes(without_population, 2021)
    assert caught.value.rule == "required_column_present"
    assert caught.value.column == "population"
    assert caught.value.file == "a.csv"

    without_code = write(tmp_path, "b.csv", "nom,population,latitude,longitude\nUn,1,46,5\n")
    with pytest.raises(SourceFormatError) as caught:
        read_communes(without_code, 2021)
    assert (caught.value.rule, caught.value.column) == ("required_column_present", "code_insee")

    without_longitude = write(
        tmp_path, "c.csv", "code_insee,nom_standard,population,latitude_centre\n01001,Un,1,46\n"
    )
    with pytest.raises(SourceFormatError) as caught:
        read_communes(without_longitude, 2021)
    assert caught.value.column == "longitude_centre"


def test_non_numeric_population_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "communes.csv",
        HEADER_2021 + "\n0,01001,Un,COM,84,01,01400,832,15.9,46.15,4.93"
        "\n1,01002,Deux,COM,84,01,01640,beaucoup,9.1,46.0,5.4\n",
    )
    with pytest.raises(SourceFormatError) as caught:
        read_communes(path, 2021)
    assert (caught.value.rule, caught.value.column, caught.value.row) == (
        "value_numeric",
        "population",
        3,
    )


def test_html_page_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "communes.csv", "<!doctype html><html><body>Erreur</body></html>")
    with pytest.raises(SourceFormatError) as caught:
        read_communes(path, 2021)
    assert caught.value.rule == "file_parseable"


# --- geo.api.gouv.fr JSON -------------------------------------------------------------------


def test_geo_api_json(tmp_path: Path) -> None:
    items = [
        {
            "nom": "Bourg-la-Plaine",
            "code": "01901",
            "codesPostaux": ["01000"],
            "codeDepartement": "01",
            "codeRegion": "84",
            "population": 38250,
            "surface": 2410.5,
            "centre": {"type": "Point", "coordinates": [5.231, 46.215]},
        },
        {
            "nom": "Îlet-des-Trois-Salazes",
            "code": "97457",
            "codesPostaux": ["97413"],
            "codeDepartement": "974",
            "codeRegion": "04",
            "population": 2970,
            "centre": {"type": "Point", "coordinates": [55.472, -21.133]},
        },
        {  # no population (the API omits it for some communes), no centre
            "nom": "Sans-Habitants",
            "code": "55039",
            "codeDepartement": "55",
            "codeRegion": "44",
        },
        {
            "nom": "Marseille",
            "code": "13055",
            "codeDepartement": "13",
            "codeRegion": "93",
            "population": 870000,
            "centre": {"type": "Point", "coordinates": [5.37, 43.29]},
        },
        {
            "nom": "Marseille 1er Arrondissement",
            "code": "13201",
            "type": "arrondissement-municipal",
            "codeDepartement": "13",
            "codeRegion": "93",
            "population": 39000,
            "centre": {"type": "Point", "coordinates": [5.38, 43.30]},
        },
    ]
    path = write(tmp_path, "communes.json", json.dumps(items, ensure_ascii=False))
    frame = read_communes(path, 2024)
    assert frame["code_insee"].to_list() == ["01901", "97457", "55039", "13201"]
    assert frame["name"][1] == "Îlet-des-Trois-Salazes"
    assert frame["typecom"].to_list() == ["COM", "COM", "COM", "ARM"]
    assert frame["dep_code"].to_list() == ["01", "974", "55", "13"]
    assert frame["population"].to_list() == [38250, 2970, None, 39000]
    assert frame["latitude"].to_list() == [46.215, -21.133, None, 43.30]
    assert frame["longitude"].to_list() == [5.231, 55.472, None, 5.38]
    assert frame["source_row"].to_list() == [1, 2, 3, 5]
    assert frame["density_class"].null_count() == 4


def test_geo_api_json_without_centres_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "communes.json", json.dumps([{"nom": "Un", "code": "01001"}]))
    with pytest.raises(SourceFormatError) as caught:
        read_communes(path, 2024)
    assert caught.value.rule == "required_column_present"
    assert caught.value.column == "population"


# --- the demo sample and the GX suite -------------------------------------------------------


def test_demo_sample() -> None:
    frame = read_communes(DEMO, 2021)
    assert frame.height == 30
    assert set(frame["dep_code"]) == {"01", "2A", "974"}
    assert frame["has_coordinates"].to_list().count(False) == 1
    assert frame["coordinates_in_territory_box"].drop_nulls().all()
    assert frame["dep_code_consistent"].all()


def test_suite_passes_on_demo_sample_with_one_warning() -> None:
    outcome = validate(read_communes(DEMO, 2021), "communes")
    assert not outcome.blocking_failed
    assert set(outcome.rows_by_rule("warning")) == {"coordinates_present"}


def test_suite_flags_bad_frames() -> None:
    good = read_communes(DEMO, 2021)
    bad = pl.concat([good, good.head(1)]).with_columns(
        pl.when(pl.col("code_insee") == "01905")
        .then(-5)
        .otherwise(pl.col("population"))
        .alias("population"),
        pl.when(pl.col("code_insee") == "2A903")
        .then(False)
        .otherwise(pl.col("coordinates_in_territory_box"))
        .alias("coordinates_in_territory_box"),
        pl.when(pl.col("code_insee") == "97451")
        .then(False)
        .otherwise(pl.col("dep_code_consistent"))
        .alias("dep_code_consistent"),
    )
    outcome = validate(bad, "communes")
    assert outcome.blocking_failed
    blocking = outcome.rows_by_rule("blocking")
    assert set(blocking) == {"code_insee_unique", "population_non_negative"}
    assert blocking["code_insee_unique"] == [0, 30]
    warnings = outcome.rows_by_rule("warning")
    codes = bad["code_insee"].to_list()
    assert [codes[i] for i in warnings["coordinates_in_territory_box"]] == ["2A903"]
    assert [codes[i] for i in warnings["dep_code_consistent"]] == ["97451"]


# --- real data ------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.skipif(not COMMUNES_2021.exists(), reason="real data in ../shared/data is absent")
def test_real_communes_2021() -> None:
    frame = read_communes(COMMUNES_2021, 2021)
    assert frame.height == 34_976
    assert frame["population"].sum() == 67_406_310
    assert frame.filter(pl.col("typecom") == "ARM").height == 45
    assert frame["code_insee"].is_in(["75056", "69123", "13055"]).sum() == 0
    assert frame["code_insee"].n_unique() == frame.height
    assert frame.filter(~pl.col("has_coordinates")).height == 3
    assert frame["coordinates_in_territory_box"].drop_nulls().all()
    assert frame["dep_code_consistent"].all()
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(frame["dep_code"])
    outcome = validate(frame, "communes")
    assert not outcome.blocking_failed
    assert set(outcome.rows_by_rule("warning")) == {"coordinates_present"}
