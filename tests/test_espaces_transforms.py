"""The espace listing parser: every era, every encoding, every refusal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations.runner import validate
from fsdata.config import sample_path
from transforms.errors import SourceFormatError
from transforms.espaces import classify, parse_labellisation_date, parse_listing
from transforms.hours import normalise_hours

HEADER_2024 = (
    "id_fs,insee_dep,lib_fs,adresse,complement_adresse,insee_com,code_postal,lib_com,latitude,"
    "longitude,mail,telephone,h_lundi,h_mardi,h_mercredi,h_jeudi,h_vendredi,h_samedi,prise_rdv,"
    "commentaire,type_fs,format_fs,groupe_fs,labellisation_fs"
)
ROW_2024 = (
    '"12","01","France services Test","1 Rue Haute",,"01033","01200","Valserhône",46.1,5.8,'
    '"a@example.org","04 00 00 00 00","09:00 - 12:00",,,,,,"Oui",,"Principal","Fixe",,'
    '"Espace labellisé 01/02/2021"'
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def feature(properties: dict, coordinates: list[float] | None = None) -> dict:
    geometry = {"type": "Point", "coordinates": coordinates} if coordinates else None
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_2024_csv_maps_every_canonical_column(tmp_path: Path) -> None:
    frame = parse_listing(write(tmp_path / "l.csv", f"{HEADER_2024}\n{ROW_2024}\n"))
    row = frame.row(0, named=True)
    assert row["espace_id"] == "12"
    assert row["name"] == "France services Test"
    assert (row["type"], row["format"]) == ("principal", "fixe")
    assert (row["postcode"], row["insee_com"], row["insee_dep"]) == ("01200", "01033", "01")
    assert (row["latitude"], row["longitude"]) == (46.1, 5.8)
    assert row["hours_monday"] == "09:00 - 12:00" and row["hours_tuesday"] is None
    assert row["appointment"] is True
    assert row["labellisation_date"] == date(2021, 2, 1)
    assert row["coordinates_check"] == "ok" and row["departement_consistent"] is True
    assert row["extra"] is None


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "newline"),
    [
        ("utf-8", False, ",", "\n"),
        ("utf-8", True, ",", "\r\n"),
        ("cp1252", False, ";", "\r\n"),
        ("utf-8", False, ";", "\n"),
    ],
)
def test_csv_encodings_and_delimiters(
    tmp_path: Path, encoding: str, bom: bool, delimiter: str, newline: str
) -> None:
    header = HEADER_2024.replace(",", delimiter)
    row = ROW_2024.replace(",", delimiter)
    text = ("\ufeff" if bom else "") + header + newline + row + newline
    frame = parse_listing(write(tmp_path / "l.csv", text, encoding))
    assert frame["commune"].to_list() == ["Valserhône"]
    assert frame["labellisation_date"].to_list() == [date(2021, 2, 1)]


def test_2023_era_format_column_gives_the_type(tmp_path: Path) -> None:
    header = "id_fs;insee_dep;lib_fs;insee_com;latitude;longitude;site_web;itinerance;format_fs"
    rows = [
        "1;01;A;01033;46.1;5.8;https://a.example.org;Non;Site principal",
        "2;01;B;01033;46.1;5.8;;Oui;Antenne",
    ]
    frame = parse_listing(write(tmp_path / "l.csv", "\n".join([header, *rows]) + "\n"))
    assert frame["type"].to_list() == ["principal", "antenne"]
    assert frame["format"].to_list() == ["fixe", "itinerant"]
    assert frame["website"].to_list() == ["https://a.example.org", None]
    assert frame["labels_recognised"].to_list() == [True, True]


def test_2020_geojson_drift_is_tamed(tmp_path: Path) -> None:
    properties = {
        "MATRICULE": 7.0,
        "DEPARTEMENT": "1",
        "lib_france_services": "Valserhône ",
        "ADRESSE": "9 Rue des Papetiers",
        "COMPLEMENT.D.ADRESSE": "",
        "insee_com": "01033",
        "code_postal": 1200,
        "lib_com": "Valserhône",
        "COMMUNE": "VALSERHÔNE",
        "LATITUDE": 46.105747,
        "LONGITUDE": 5.825644,
        "h_lundi": "9h - 12h / 14h – 17h",
        "h_samedi": "-",
        "ITINERANCE": "Oui",
        "FORMAT_FS": "Espace labellisé",
        "Labellisation": "Espace labélisé 01/2020",
        "categorie": "FS itinerante",
        "result_score": 0.9,
    }
    frame = parse_listing(geojson(tmp_path / "f.geojson", [feature(properties, [5.8, 46.1])]))
    row = frame.row(0, named=True)
    assert row["espace_id"] == "7"
    assert row["insee_dep"] == "01" and row["postcode"] == "01200"
    assert row["name"] == "Valserhône"
    assert (row["type"], row["format"]) == ("principal", "itinerant")
    assert row["hours_monday"] == "09:00 - 12:00 / 14:00 - 17:00"
    assert row["hours_saturday"] is None
    assert row["labellisation_date"] == date(2020, 1, 1)
    # properties win over the geometry; unknown and shadowed columns are kept, not dropped
    assert (row["latitude"], row["longitude"]) == (46.105747, 5.825644)
    assert json.loads(row["extra"]) == {"COMMUNE": "VALSERHÔNE", "result_score": "0.9"}


def test_geojson_without_coordinate_properties_uses_the_geometry(tmp_path: Path) -> None:
    properties = {"MATRICULE": 3, "lib_france_services": "X", "insee_com": "97412"}
    frame = parse_listing(geojson(tmp_path / "f.geojson", [feature(properties, [55.61, -21.35])]))
    assert frame.select("latitude", "longitude", "insee_dep").row(0) == (-21.35, 55.61, "974")


def test_swapped_outside_and_missing_coordinates_are_labelled(tmp_path: Path) -> None:
    header = "id_fs,insee_dep,lib_fs,insee_com,latitude,longitude"
    rows = [
        "1,2A,A,2A004,8.73,41.92",  # swapped: corrected
        "2,974,B,97412,46.1,5.8",  # a metropolitan point for a Réunion espace
        "3,01,C,01033,,",
        "4,978,D,97801,18.07,-63.05",  # Saint-Martin, a COM
    ]
    frame = parse_listing(write(tmp_path / "l.csv", "\n".join([header, *rows]) + "\n"))
    assert frame["coordinates_check"].to_list() == ["swapped", "outside_territory", "missing", "ok"]
    assert frame.row(0, named=True)["latitude"] == 41.92


def test_departement_inconsistent_with_commune_is_flagged(tmp_path: Path) -> None:
    header = "id_fs,insee_dep,lib_fs,insee_com"
    frame = parse_listing(write(tmp_path / "l.csv", f"{header}\n1,27,A,76540\n2,,B,2B033\n"))
    assert frame["departement_consistent"].to_list() == [False, None]
    assert frame["insee_dep"].to_list() == ["27", "2B"]  # derived from the commune when absent


def test_unknown_labels_leave_attributes_null_and_are_reported() -> None:
    assert classify("Principal", "Fixe", None) == ("principal", "fixe", True)
    assert classify("Antenne", "Bus_équivalent", None) == ("antenne", "bus", True)
    assert classify(None, "Fixe_antenne(s)", None) == (None, "fixe_antennes", True)
    assert classify("Antenne itinerante", None, None) == ("antenne", "itinerant", True)
    assert classify("Kiosque", "Multisites", None) == (None, "multisite", False)
    assert classify(None, "Téléporteur", None) == (None, None, False)
    assert classify(None, None, "Peut-être") == (None, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:00 - 12:00 / 13:30 - 17:00", "09:00 - 12:00 / 13:30 - 17:00"),
        ("7h30 – 12h / 13h/16h", "07:30 - 12:00 / 13:00 - 16:00"),
        ("8h30-12h et 13h30-17h", "08:30 - 12:00 / 13:30 - 17:00"),
        ("Sur rendez-vous", "Sur rendez-vous"),
        ("9h - 12h (le 1er samedi du mois)", "9h - 12h (le 1er samedi du mois)"),
        ("-", None),
        ("Horaires non communiqués", None),
        ("", None),
    ],
)
def test_opening_hours_have_one_notation(text: str, expected: str | None) -> None:
    assert normalise_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Espace labellisé 01/01/2020", date(2020, 1, 1)),
        ("Espace labélisé 02/2020", date(2020, 2, 1)),
        ("Espace labellisé 31/02/2020", None),
        ("bientôt", None),
    ],
)
def test_labellisation_dates(text: str, expected: date | None) -> None:
    assert parse_labellisation_date(text) == expected


def test_no_identifier_column_is_refused_naming_file_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "noid.csv", "lib_fs,insee_com\nA,01033\n")
    with pytest.raises(SourceFormatError) as refused:
        parse_listing(path)
    assert refused.value.rule == "identifier_column_present"
    assert "noid.csv" in str(refused.value) and "id_fs" in str(refused.value)


def test_missing_required_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError) as refused:
        parse_listing(write(tmp_path / "l.csv", "id_fs,lib_fs\n1,A\n"))
    assert refused.value.rule == "required_column_present"
    assert refused.value.column == "insee_com"


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "file_not_empty"),
        (b"<!DOCTYPE html><html><body>Erreur 503</body></html>", "file_parseable"),
        (b'{"type": "FeatureCollection", "features": [', "file_parseable"),
        (b'{"type": "Feature"}', "file_parseable"),
        (b"id_fs,lib_fs,insee_com\n1,A,01033,x,y\n", "file_parseable"),
    ],
)
def test_unparseable_files_are_refused(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError) as refused:
        parse_listing(path)
    assert refused.value.rule == rule


def test_suite_classes_on_a_listing_with_problems(tmp_path: Path) -> None:
    header = "id_fs,insee_dep,lib_fs,insee_com,code_postal,latitude,longitude,type_fs"
    rows = [
        "1,01,A,01033,01200,46.1,5.8,Principal",
        ",01,B,01033,01200,46.1,5.8,Principal",  # no identifier: row rejected
        "3,01,C,01033,1 200,46.1,5.8,Kiosque",  # unknown type; "1 200" reads as 01200
        "4,01,D,01033,012000,46.1,5.8,Principal",  # six digits
        "5,01,E,01033,2O137,,,Principal",  # letter O in postcode, no coordinates
    ]
    frame = parse_listing(write(tmp_path / "l.csv", "\n".join([header, *rows]) + "\n"))
    outcome = validate(frame, "espaces", {"min_rows": 0, "max_rows": 100})
    assert not outcome.blocking_failed
    assert outcome.rows_by_rule("row_rejected") == {"identifier_present": [1]}
    warnings = outcome.rows_by_rule("warning")
    assert warnings["type_format_known"] == [2]
    assert warnings["postcode_wellformed"] == [3, 4]
    assert warnings["coordinates_present"] == [4]


def test_suite_blocks_duplicates_and_row_count_jumps(tmp_path: Path) -> None:
    header = "id_fs,lib_fs,insee_com"
    frame = parse_listing(write(tmp_path / "l.csv", f"{header}\n1,A,01033\n1,B,01033\n"))
    outcome = validate(frame, "espaces", {"min_rows": 10, "max_rows": 20})
    failed = {r.rule for r in outcome.failures("blocking")}
    assert failed == {"identifiers_unique", "row_count_guard"}


def test_bundled_samples_parse_in_every_era() -> None:
    heights = [
        parse_listing(sample_path("espaces", name)).height
        for name in (
            "france_services_20200312.geojson",
            "liste-fs-20231201.csv",
            "liste-fs-20240801.csv",
        )
    ]
    assert heights == [9, 11, 11]


@pytest.mark.realdata
def test_every_real_file_parses_or_is_refused_for_its_missing_identifier(
    shared_data: Path,
) -> None:
    folder = shared_data / "espaces"
    files = [
        *sorted(folder.glob("history-2020/*.geojson")),
        folder / "france_services_20201012.geojson",
        folder / "liste-fs-20240801.csv",
    ]
    refused = []
    for path in files:
        try:
            frame = parse_listing(path)
        except SourceFormatError as exc:
            refused.append((path.name, exc.rule))
            continue
        assert frame.height > 0
        assert frame["espace_id"].null_count() == 0
        assert frame["espace_id"].n_unique() == frame.height
        assert frame.filter(pl.col("coordinates_check") == "ok").height >= frame.height - 5
    assert refused == [
        ("france_services_20200102T1846_b88c14a.geojson", "identifier_column_present")
    ]
    listing = parse_listing(folder / "liste-fs-20240801.csv")
    assert listing.height == 2845
    assert listing["type"].value_counts().sort("type").rows() == [
        ("antenne", 124),
        ("principal", 2721),
    ]
    assert listing["insee_dep"].n_unique() == 102
