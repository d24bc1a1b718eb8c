"""Lieux de médiation numérique and conseillers numériques: parsers, the suite derived from the
national Table Schema, the conseillers suite, and the matching of « France Services » lieux."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import great_expectations.expectations as gx_expectations
import polars as pl
import pytest

from expectations import sql_engine
from expectations.mediation_schema import SUITE_FILE, derive_suite, render
from expectations.runner import load_suite, validate
from transforms.conseillers import decode_latin1_escapes, pad_departement, parse_conseillers
from transforms.errors import SourceFormatError
from transforms.matching import match_places
from transforms.mediation import (
    enumeration,
    parse_lieux,
    programme_names,
    required_fields,
    table_schema,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mediation"
EXAMPLE = FIXTURES / "exemple-valide.csv"
BROKEN = FIXTURES / "one-break-per-row.csv"


def failures(frame: pl.DataFrame, engine: str) -> set[tuple[str, str]]:
    """(rule, lieu id, or `row N` when the id is empty) of every row a rule refuses."""
    outcome = validate(frame, "mediation", engine=engine)
    assert not [r.rule for r in outcome.results if not r.success and not r.unexpected_rows]
    ids, rows = frame["id"].to_list(), frame["source_row"].to_list()
    return {
        (result.rule, ids[i] or f"row {rows[i]}")
        for result in outcome.results
        if not result.success
        for i in result.unexpected_rows
    }


def test_the_committed_suite_is_the_one_derived_from_the_schema() -> None:
    assert SUITE_FILE.read_text("utf-8") == render(derive_suite(table_schema()))


@pytest.mark.realdata
def test_the_kept_schema_is_the_published_one(shared_data: Path) -> None:
    published = shared_data / "mediation-numerique" / "schema-lieux-mediation-numerique.json"
    assert table_schema() == json.loads(published.read_text("utf-8"))
    assert table_schema()["version"] == "v1.0.2"


def test_suite_rules_follow_the_schema_constraints() -> None:
    suite = load_suite("mediation")
    classes = {e["meta"]["rule"]: e["meta"]["rule_class"] for e in suite["expectations"]}
    for name in required_fields():
        assert classes[f"{name}_required"] == "row_rejected"
    assert classes["pivot_pattern"] == "row_rejected"  # a required field's pattern
    assert classes["date_maj_is_date"] == "row_rejected"
    assert classes["telephone_pattern"] == "warning"  # an optional field's pattern
    assert classes["services_in_list"] == "warning"
    assert classes["presentation_resume_max_length"] == "warning"
    assert classes["rows_present"] == classes["schema_columns_present"] == "blocking"
    assert classes["id_unique"] == "row_rejected"


def test_suites_use_existing_gx_expectations_that_the_sql_engine_translates() -> None:
    for name in ("mediation", "conseillers"):
        suite = load_suite(name)
        assert sql_engine.supports(suite), name
        for expectation in suite["expectations"]:
            class_name = "".join(p.title() for p in expectation["type"].split("_"))
            assert hasattr(gx_expectations, class_name), expectation["type"]


def test_enumerations_are_read_from_the_schema_patterns() -> None:
    assert enumeration("(?:(?:^|\\|)(Gratuit|Gratuit sous condition|Payant))+$") == [
        "Gratuit",
        "Gratuit sous condition",
        "Payant",
    ]
    assert enumeration("^\\d{5}$") is None
    names = set(programme_names().values())
    assert {"Conseillers numériques", "France Services", "Aidants Connect"} <= names
    assert "Relais numérique (Emmaüs Connect)" in names


@pytest.mark.parametrize("engine", ["gx", "duckdb"])
def test_the_schema_example_validates_without_failure(engine: str) -> None:
    frame = parse_lieux(EXAMPLE)
    outcome = validate(frame, "mediation", engine=engine)
    assert outcome.summary() == "all rules passed"
    row = frame.row(0, named=True)
    assert row["source_row"] == 2
    assert row["pivot_kind"] == "siret" and row["siren"] == "434933123"
    assert row["dep_code"] == "51"
    assert str(row["date_maj_date"]) == "2024-04-02"
    assert (row["latitude_deg"], row["longitude_deg"]) == (43.52609, 5.41423)
    assert row["typologie_items"] == ["TIERS_LIEUX", "ASSO"]
    assert row["programmes"] == ["Aidants Connect", "Conseillers numériques", "La Croix Rouge"]
    assert row["courriels_items"] == [
        "contact@laquincaillerie.tl",
        "responsable@laquincaillerie.tl",
    ]


@pytest.mark.parametrize("engine", ["gx", "duckdb"])
def test_each_broken_constraint_names_its_row_and_rule(engine: str) -> None:
    frame = parse_lieux(BROKEN)
    expected = {
        (match[1], lieu_id)
        for lieu_id in frame["id"].drop_nulls().to_list()
        if (match := re.fullmatch(r"breaks-(.+)", lieu_id))
    } | {("id_required", "row 2")}
    assert failures(frame, engine) == expected
    # Every row-level rule of the suite has its row in the fixture.
    row_rules = {
        e["meta"]["rule"]
        for e in load_suite("mediation")["expectations"]
        if e["type"].startswith("expect_column")
    }
    assert row_rules == {rule for rule, _ in expected}


def test_programmes_are_spelled_as_the_schema_and_lists_split() -> None:
    frame = parse_lieux(BROKEN).filter(
        pl.col("id") == "breaks-dispositif_programmes_nationaux_in_list"
    )
    assert frame["programmes"].to_list() == [["France Services", "Conseillers numériques"]]
    pending = parse_lieux(BROKEN).filter(
        pl.col("id") == "breaks-prise_en_charge_specifique_in_list"
    )
    assert pending["prise_en_charge_specifique_items"].to_list() == [["Surdité"]]


def test_windows_1252_semicolon_file_reads_like_the_utf8_one(tmp_path: Path) -> None:
    header, *rows = list(csv.reader(io.StringIO(EXAMPLE.read_text("utf-8"))))
    out = io.StringIO()
    # Headers drift in case and accents between publishers: they are normalised.
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([[name.upper() for name in header], *rows])
    file = tmp_path / "lieux.csv"
    file.write_bytes(out.getvalue().encode("cp1252"))
    assert parse_lieux(file).equals(parse_lieux(EXAMPLE))


def test_a_missing_required_column_refuses_the_file(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text("utf-8").splitlines()
    file = tmp_path / "sans-date.csv"
    file.write_text(
        lines[0].replace('"date_maj"', '"date_mise_a_jour"') + "\n" + lines[1] + "\n", "utf-8"
    )
    with pytest.raises(SourceFormatError) as error:
        parse_lieux(file)
    assert error.value.rule == "required_columns_present"
    assert error.value.column == "date_maj"
    assert "sans-date.csv" in str(error.value)
    # An unknown column is kept in `extra`, not lost.
    assert json.loads(parse_lieux_with_extra(tmp_path)["extra"][0]) == {"horaires_ete": "Fermé"}


def parse_lieux_with_extra(tmp_path: Path) -> pl.DataFrame:
    lines = EXAMPLE.read_text("utf-8").splitlines()
    file = tmp_path / "extra.csv"
    file.write_text(lines[0] + ',"horaires_ete"\n' + lines[1] + ',"Fermé"\n', "utf-8")
    return parse_lieux(file)


def test_conseillers_helpers() -> None:
    assert decode_latin1_escapes("57 Rue Ren<e9> Nicod") == "57 Rue René Nicod"
    assert [pad_departement(c) for c in ("1", "2A", "974", "0", None)] == [
        "01",
        "2A",
        "974",
        None,
        None,
    ]


def test_conseillers_placeholders_become_nulls(tmp_path: Path) -> None:
    file = tmp_path / "cnfs.json"
    record = {
        "id": 7,
        "raison_sociale": "0",
        "commune_insee": "0",
        "siret": "null",
        "nb_cnfs": 2,
        "france_services": "non renseigné",
        "code_département": "1",
        "code_postal": 1960,
        "adresse_absente": "oui",
        "latitude": 44.9687,
        "longitude": 4.691,
        "result_label": "Nas 07270 Saint-Barth<e9>lemy-Grozon",
        "insee_dep": "07",
    }
    file.write_text(json.dumps([record]), "utf-8")
    row = parse_conseillers(file).row(0, named=True)
    assert (row["name"], row["commune"], row["siret"]) == (None, None, None)
    assert (row["latitude"], row["longitude"]) == (None, None)
    assert row["postcode"] == "01960" and row["dep_code"] == "01"
    assert row["france_services"] is None and row["france_services_label"] == "non renseigné"
    assert row["geocoder_label"] == "Nas 07270 Saint-Barthélemy-Grozon"
    assert row["departement_consistent"] is False and row["address_present"] is False


def test_conseillers_refuses_what_is_not_an_array_of_structures(tmp_path: Path) -> None:
    file = tmp_path / "cnfs.json"
    file.write_text('{"type": "FeatureCollection"}', "utf-8")
    with pytest.raises(SourceFormatError, match=r"cnfs\.json: rule file_parseable"):
        parse_conseillers(file)
    file.write_text('[{"id": 1, "nb_cnfs": 1, "france_services": "oui"}]', "utf-8")
    with pytest.raises(SourceFormatError) as error:
        parse_conseillers(file)
    assert error.value.rule == "required_fields_present"
    assert error.value.column == "code_département"


@pytest.mark.realdata
def test_the_june_2021_file(shared_data: Path) -> None:
    frame = parse_conseillers(shared_data / "conseillers-numeriques" / "cnfs-2021-06.json")
    assert frame.height == 1450
    assert frame["nb_conseillers"].sum() == 2138
    split = dict(frame["france_services_label"].value_counts().iter_rows())
    assert split == {"oui": 312, "non": 845, "non renseigné": 293}
    assert frame["france_services"].sum() == 312
    assert frame["france_services"].null_count() == 293
    assert frame["postcode"].str.contains(r"^\d{5}$").all()
    assert frame["dep_code"].str.contains(r"^(\d{2}|2A|2B|97\d)$").all()
    assert not frame["geocoder_label"].drop_nulls().str.contains("<[0-9a-f]{2}>").any()
    assert not frame["address"].drop_nulls().str.contains("\n").any()
    outcome = validate(frame, "conseillers", engine="duckdb")
    assert not outcome.failures("blocking") and not outcome.failures("row_rejected")
    warned = {r.rule: r.unexpected_count for r in outcome.failures("warning")}
    assert warned["address_present"] == 7
    assert warned["departement_matches_geocoder"] == 15


def places(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=dict.fromkeys(("id", "name", "address", "insee_com"), pl.String)
        | dict.fromkeys(("latitude", "longitude"), pl.Float64),
        orient="row",
    )


def test_matching_commune_first_then_similarity_and_distance() -> None:
    lieux = places(
        [
            # Same commune, names alike once the generic words go.
            ("l1", "France Services de Vitré", "12 rue de la Gare", "35360", 48.124, -1.209),
            # Commune code differs (arrondissement vs commune) but 150 m away, same address.
            ("l2", "Espace numérique Paris Centre", "1 av. Foch", "75056", 48.8530, 2.3499),
            # Nothing alike nearby.
            ("l3", "Médiathèque", "3 place du Marché", "01001", 46.15, 4.92),
            # Two lieux in one commune with one espace: the better one gets it.
            ("l4", "Mairie annexe", "5 rue Haute", "35238", 48.11, -1.68),
            ("l5", "France services Rennes Nord", "2 rue du Nord", "35238", 48.12, -1.67),
        ]
    )
    espaces = places(
        [
            ("e1", "Maison France services Vitré", "12 Rue de la Gare", "35360", 48.125, -1.21),
            ("e2", "FS Paris Centre", "1 avenue Foch", "75101", 48.8535, 2.3501),
            ("e3", "France services Rennes-Nord", "2 rue du Nord", "35238", 48.121, -1.671),
            ("e4", "France services Lyon 9", "8 rue Sergent", "69389", 45.77, 4.80),
        ]
    )
    result = match_places(lieux, espaces)
    pairs = {
        (r["lieu_id"], r["espace_id"]): r
        for r in result.filter(pl.col("status") == "matched").to_dicts()
    }
    assert set(pairs) == {("l1", "e1"), ("l2", "e2"), ("l5", "e3")}
    assert pairs[("l1", "e1")]["method"] == "commune"
    assert pairs[("l2", "e2")]["method"] == "distance"
    assert pairs[("l2", "e2")]["distance_km"] < 0.1
    only = result.filter(pl.col("status") != "matched")
    assert sorted(only["lieu_id"].drop_nulls().to_list()) == ["l3", "l4"]
    assert only["espace_id"].drop_nulls().to_list() == ["e4"]
    # Deterministic whatever the order of the inputs.
    assert (
        match_places(lieux.reverse(), espaces.reverse())
        .sort("status", "lieu_id", "espace_id")
        .equals(result.sort("status", "lieu_id", "espace_id"))
    )
