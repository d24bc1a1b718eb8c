"""The démarches observatory: reading every edition format, decoding every value encoding."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from expectations.runner import validate
from transforms.errors import SourceFormatError
from transforms.observatoire import (
    COLUMN_ALIASES,
    IDENTITY_COLUMNS,
    INDICATORS,
    SUITE_PARAMETERS,
    EditionTable,
    Rename,
    administrations,
    canonical_column,
    decode_indicators,
    decode_value,
    demarche_key,
    demarches,
    edition_from_id,
    edition_from_name,
    known_ids_from,
    load_renames,
    normalise_administration,
    percent_scale,
    read_edition,
    split_user_categories,
)

SAMPLES = Path(__file__).parent.parent / "fsdata" / "samples" / "observatoire"
XLSX_SAMPLE = SAMPLES / "observatoire-2-edition-11-octobre-2025-.xlsx"
ODS_SAMPLE = SAMPLES / "observatoire-2-edition-13-avril-2026-.ods"
CSV_SAMPLE = SAMPLES / "observatoire-edition-octobre-2022.csv"

V2_HEADER = ["Nom_Demarche", "ID_Demarche", "Ref_Administration", "Statut_En_ligne"]


# ------------------------------------------------------------------------------ fixtures


def write_csv(
    path: Path, rows: list[list[Any]], *, delimiter: str = ";", encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_ods(path: Path, rows: list[list[Any]]) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Feuille1")
    for values in rows:
        row = TableRow()
        for value in values:
            if value is None:
                cell = TableCell()
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def table_of(columns: dict[str, list[str | None]]) -> EditionTable:
    """An EditionTable built directly from canonical columns (title added when missing)."""
    height = len(next(iter(columns.values())))
    data: dict[str, Any] = {"source_row": list(range(2, height + 2))}
    data["title"] = columns.get("title", [f"Démarche {i}" for i in range(height)])
    for name, values in columns.items():
        data[name] = values
    frame = pl.DataFrame(data, schema_overrides={"source_row": pl.Int64})
    header_map = {name: name for name in columns}
    header_map["title"] = "title"
    return EditionTable(frame=frame, header_map=header_map)


def decoded(indicator: str, values: list[str | None]) -> list[dict[str, Any]]:
    return decode_indicators(table_of({indicator: values}), "2025-10").to_dicts()


# ------------------------------------------------------------------------------ editions


@pytest.mark.parametrize(
    ("name", "edition_id", "generation", "number", "label"),
    [
        (
            "observatoire-2-edition-11-octobre-2025-.xlsx",
            "2025-10",
            "v2",
            11,
            "Édition 11 — octobre 2025",
        ),
        (
            "observatoire-2-edition-13-avril-2026-.ods",
            "2026-04",
            "v2",
            13,
            "Édition 13 — avril 2026",
        ),
        ("Observatoire - édition janvier 2021.csv", "2021-01", "v1", None, "janvier 2021"),
        ("2022-octobre", "2022-10", "v1", None, "octobre 2022"),
        ("Édition Février 2020", "2020-02", "v1", None, "février 2020"),
        ("observatoire-edition-aout-2021.csv", "2021-08", "v1", None, "août 2021"),
        ("Observatoire 2 - Édition 12 - Janvier 2026", "2026-01", "v2", 12, None),
        ("/some/folder/observatoire-décembre-2019.csv", "2019-12", "v1", None, None),
    ],
)
def test_edition_from_name(
    name: str, edition_id: str, generation: str, number: int | None, label: str | None
) -> None:
    edition = edition_from_name(name)
    assert edition.edition_id == edition_id
    assert edition.edition_date == date(int(edition_id[:4]), int(edition_id[5:]), 1)
    assert edition.generation == generation
    assert edition.number == number
    if label:
        assert edition.label == label


@pytest.mark.parametrize("name", ["observatoire.xlsx", "edition-11.ods", "octobre.csv", ""])
def test_edition_from_name_refuses_names_without_month_and_year(name: str) -> None:
    with pytest.raises(SourceFormatError) as error:
        edition_from_name(name)
    assert error.value.rule == "edition_identifiable"


def test_edition_from_id() -> None:
    edition = edition_from_id("2025-10", number=11)
    assert (edition.edition_id, edition.generation, edition.label) == (
        "2025-10",
        "v2",
        "Édition 11 — octobre 2025",
    )
    assert edition_from_id("2021-04").generation == "v1"
    for bad in ("2025-13", "25-10", "octobre 2025"):
        with pytest.raises(SourceFormatError, match="edition_identifiable"):
            edition_from_id(bad)


# ------------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Réalisable En Ligne", "online_status"),
        ("Statut En ligne", "online_status"),
        ("Statut_En_ligne", "online_status"),
        ("STATUT EN LIGNE  ", "online_status"),
        ("Libelle_RGAA", "accessibility_rate"),
        ("Taux_RGAA_Publie", "accessibility_rate"),
        ("Taux_Audit_RGAA", "accessibility_rate"),
        ("Tx_Recours_Demat", "digital_uptake"),
        ("pct_Recours_au_Numerique", "digital_uptake"),
        ("% Recours au Numérique", "digital_uptake"),
        ("Nom_Demarche", "title"),
        ("Nom Démarche ", "title"),
        ("Démarche", "title"),
        ("ID_Demarche", "source_demarche_id"),
        ("Perimetre_ministeriel_(AC/SG)", "perimeter"),
        ("Ministere_politique", "ministry"),
        ("Ref_Administration", "administration"),
        ("Categories_Usagers", "user_categories"),
        ("Volumetrie_Totale", "volume_total"),
        ("Volumétrie", "volume_total"),
        ("Volumetrie_En_Ligne", "volume_online"),
        ("Note_Satisfaction", "satisfaction"),
        ("Prise_en_compte_Handicap", "handicap"),
        ("Date_Publication_Declaration_(accessibilité)", "accessibility_declaration_date"),
        ("Date Publication Déclaration (RGAA)", "accessibility_declaration_date"),
        ("Note_Clarte_Langage", "clarity"),
        ("Simplicité du langage", "clarity"),
        ("Niveau_Autonomie", "autonomy"),
        ("Aide_Joignable", "help_reachable"),
        ("Aide_Efficace", "help_efficiency"),
        ("FranceConnect", "franceconnect"),
        ("Score_DLNUF", "dlnuf"),
        ("Taux_Dispo", "uptime"),
        ("Tps_Moy_Chargement", "response_time_ms"),
        ("Tps Moy Chargement (ms)", "response_time_ms"),
        ("URL_Demarche", "url"),
        ("Commentaire", None),
        ("", None),
    ],
)
def test_canonical_column_aliases(header: str, canonical: str | None) -> None:
    assert canonical_column(header) == canonical


def test_every_alias_targets_a_known_column() -> None:
    known = set(INDICATORS) | set(IDENTITY_COLUMNS)
    assert set(COLUMN_ALIASES.values()) <= known


def test_header_row_below_title_rows_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "observatoire-2-edition-11-octobre-2025-.xlsx",
        [
            ["Observatoire de la qualité des démarches en ligne"],
            ["Édition 11"],
            [],
            [*V2_HEADER, "Taux_Dispo", "Volumetrie_Totale", "Commentaire"],
            ["Déclarer ses revenus", 1002, "DGFiP", "Oui", 0.9995, 12.0, "à revoir"],
            ["Demander un passeport", 1004, "ANTS", "Partiel", 0.985, 1234567.0, None],
            [],
            ["Source : synthetic"],
        ],
    )
    table = read_edition(path)
    assert table.header_row == 4
    assert table.frame["source_row"].to_list() == [5, 6]
    assert table.frame["title"].to_list() == ["Déclarer ses revenus", "Demander un passeport"]
    # Numbers from spreadsheets are text without a spurious ".0".
    assert table.frame["source_demarche_id"].to_list() == ["1002", "1004"]
    assert table.frame["volume_total"].to_list() == ["12", "1234567"]
    assert table.frame["uptime"].to_list() == ["0.9995", "0.985"]
    assert table.unknown_columns == ["Commentaire"]
    assert [json.loads(e) for e in table.frame["extra"]] == [
        {"Commentaire": "à revoir"},
        {"Commentaire": None},
    ]
    assert table.header_map["Statut_En_ligne"] == "online_status"


def test_header_row_below_title_line_in_semicolon_cp1252_csv(tmp_path: Path) -> None:
    path = tmp_path / "Observatoire - édition janvier 2021.csv"
    text = (
        "Observatoire des démarches, édition de janvier 2021\r\n"
        "\r\n"
        "Démarche;Administration;Réalisable En Ligne;Tx_Recours_Demat;Satisfaction\r\n"
        "Déclarer une embauche;URSSAF;Oui;0,45;7,8 / 10\r\n"
        "Demander sa retraite;CNAV;Non;0,5;À venir\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    table = read_edition(path)
    assert table.header_row == 3
    assert table.frame["source_row"].to_list() == [4, 5]
    assert table.frame["title"].to_list() == ["Déclarer une embauche", "Demander sa retraite"]
    assert table.frame["digital_uptake"].to_list() == ["0,45", "0,5"]
    values = decode_indicators(table, "2021-01")
    uptake = values.filter(pl.col("indicator") == "digital_uptake")["value_num"].to_list()
    assert uptake == [45.0, 50.0]


def test_comma_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "obs-2020-07.csv"
    content = "Nom_Demarche,Ref_Administration,Statut_En_ligne,Note_Satisfaction\n"
    content += 'Payer une amende,ANTS,Oui,"8,5 / 10"\n'
    path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    table = read_edition(path)
    assert table.frame["title"].to_list() == ["Payer une amende"]
    assert table.frame["satisfaction"].to_list() == ["8,5 / 10"]


def test_ods_renamed_headers(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "observatoire-2-edition-13-avril-2026-.ods",
        [
            ["Titre du fichier"],
            ["Nom Démarche", "ID Démarche", "Ref Administration", "Taux_RGAA_Publie", "Taux Dispo"],
            ["Demander un passeport", 1004, "ANTS", 75, 99.95],
        ],
    )
    table = read_edition(path)
    assert table.header_row == 2
    assert table.frame.select("source_demarche_id", "accessibility_rate", "uptime").row(0) == (
        "1004",
        "75",
        "99.95",
    )


def test_duplicate_canonical_header_is_kept_in_extra(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "obs-2022-10.csv",
        [[*V2_HEADER, "Réalisable en ligne"], ["Payer une amende", "1003", "ANTS", "Oui", "Non"]],
    )
    table = read_edition(path)
    assert table.frame["online_status"].to_list() == ["Oui"]
    assert json.loads(table.frame["extra"][0]) == {"Réalisable en ligne": "Non"}


# ------------------------------------------------------------------------------ refusals


def test_missing_title_column_is_refused_naming_file_rule_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "obs-2021-04.csv",
        [["ID_Demarche", "Ref_Administration", "Statut_En_ligne"], ["1", "CAF", "Oui"]],
    )
    with pytest.raises(SourceFormatError) as error:
        read_edition(path)
    assert error.value.rule == "required_column_present"
    assert error.value.column == "title"
    assert "obs-2021-04.csv" in str(error.value)
    assert "required_column_present" in str(error.value)


def test_file_with_no_known_header_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "obs-2021-04.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(SourceFormatError) as error:
        read_edition(path)
    assert (error.value.rule, error.value.column) == ("required_column_present", "title")


@pytest.mark.parametrize(
    ("content", "suffix", "rule"),
    [
        (b"", ".csv", "file_not_empty"),
        (b"", ".xlsx", "file_not_empty"),
        (b"   \n\n", ".csv", "file_not_empty"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", ".csv", "file_parseable"),
        (b"PK\x03\x04 this is not a workbook", ".xlsx", "file_parseable"),
        (b"not a spreadsheet at all", ".ods", "file_parseable"),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, content: bytes, suffix: str, rule: str
) -> None:
    path = tmp_path / f"observatoire-2-edition-11-octobre-2025-{suffix}"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError) as error:
        read_edition(path)
    assert error.value.rule == rule
    assert path.name in str(error.value)


def test_header_without_rows_and_empty_sheet_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="file_not_empty"):
        read_edition(write_xlsx(tmp_path / "a-2025-10.xlsx", [V2_HEADER]))
    with pytest.raises(SourceFormatError, match="file_not_empty"):
        read_edition(write_xlsx(tmp_path / "b-2025-10.xlsx", [[]]))


# ------------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("Oui", "oui", "green"),
        (" oui ", "oui", "green"),
        ("Partiel", "partiel", "orange"),
        ("Non", "non", "red"),
        ("En cours de déploiement local", "en_cours_deploiement_local", "orange"),
        ("En cours de deploiement local", "en_cours_deploiement_local", "orange"),
        ("Démarche proactive", "demarche_proactive", "green"),
    ],
)
def test_online_status(raw: str, code: str, level: str) -> None:
    [row] = decoded("online_status", [raw])
    assert (row["value_text"], row["level"], row["value_num"], row["raw"]) == (
        code,
        level,
        None,
        raw,
    )
    assert row["null_reason"] is None and row["decode_issue"] is None


@pytest.mark.parametrize(
    ("raw", "value", "level"),
    [
        ("7,8 / 10", 7.8, "orange"),
        ("8.4/10", 8.4, "green"),
        ("8 / 10", 8.0, "green"),
        ("4,9 / 10", 4.9, "red"),
        ("5", 5.0, "orange"),
        ("10/10", 10.0, "green"),
        ("16 / 20", 8.0, "green"),
    ],
)
def test_notes(raw: str, value: float, level: str) -> None:
    for indicator in ("satisfaction", "clarity", "help_efficiency"):
        [row] = decoded(indicator, [raw])
        assert row["value_num"] == pytest.approx(value)
        assert row["level"] == level


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("À venir", "a_venir"),
        ("A venir", "a_venir"),
        ("à venir.", "a_venir"),
        ("Non applicable", "non_applicable"),
        ("N/A", "non_applicable"),
        ("Nombre d'avis insuffisant", "avis_insuffisants"),
        ("Nombre d’avis insuffisant", "avis_insuffisants"),
        ("NOMBRE D'AVIS INSUFFISANTS", "avis_insuffisants"),
        ("–", "non_renseigne"),
        ("-", "non_renseigne"),
        ("—", "non_renseigne"),
        ("", "non_renseigne"),
        (None, "non_renseigne"),
    ],
)
def test_missing_values_are_null_with_a_reason_never_zero(raw: str | None, reason: str) -> None:
    for indicator in INDICATORS:
        result = decode_value(indicator, raw)
        assert result.null_reason == reason, indicator
        assert result.value_num is None and result.value_text is None and result.level is None
        assert result.decode_issue is None


def test_missing_values_in_a_decoded_frame() -> None:
    rows = decoded("satisfaction", ["À venir", None, "Nombre d'avis insuffisant", "7 / 10"])
    assert [r["null_reason"] for r in rows] == [
        "a_venir",
        "non_renseigne",
        "avis_insuffisants",
        None,
    ]
    assert [r["value_num"] for r in rows] == [None, None, None, 7.0]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 0–1 fractions (a "%"-formatted spreadsheet column, or "0,45" in a CSV).
        (["0.45", "0,8", "1", "0"], [45.0, 80.0, 100.0, 0.0]),
        # 0–100: any bare number above 1 decides the whole column.
        (["45", "0.5", "100", "1"], [45.0, 0.5, 100.0, 1.0]),
        # Explicit "%" is never rescaled, even beside fractions.
        (["45 %", "0,5", "12,5%"], [45.0, 50.0, 12.5]),
        # Only "%" cells and 0/1: the column is on 0–100.
        (["45 %", "1", "0"], [45.0, 1.0, 0.0]),
    ],
)
def test_percent_scale_per_column(values: list[str], expected: list[float]) -> None:
    rows = decoded("digital_uptake", values)
    assert [r["value_num"] for r in rows] == pytest.approx(expected)
    assert all(r["note"] is None for r in rows)


def test_percent_column_of_only_zero_and_one_is_read_as_fractions_and_flagged() -> None:
    assert percent_scale(["0", "1", "1", None, "À venir"]) == 100.0
    rows = decoded("help_reachable", ["0", "1", "1", "À venir"])
    assert [r["value_num"] for r in rows] == [0.0, 100.0, 100.0, None]
    assert [r["note"] for r in rows[:3]] == ["percent_scale_ambiguous"] * 3


def test_percent_scale_is_decided_for_each_column_of_the_edition() -> None:
    table = table_of(
        {
            "digital_uptake": ["0.45", "0.9"],
            "help_reachable": ["45", "90"],
            "uptime": ["0.9995", "0.98"],
        }
    )
    frame = decode_indicators(table, "2025-10")
    by = {
        indicator: frame.filter(pl.col("indicator") == indicator)["value_num"].to_list()
        for indicator in ("digital_uptake", "help_reachable", "uptime")
    }
    assert by["digital_uptake"] == pytest.approx([45.0, 90.0])
    assert by["help_reachable"] == pytest.approx([45.0, 90.0])
    assert by["uptime"] == pytest.approx([99.95, 98.0])


@pytest.mark.parametrize(
    ("raw", "value", "text", "level"),
    [
        ("100", 100.0, None, "green"),
        ("75 %", 75.0, None, "orange"),
        ("50", 50.0, None, "orange"),
        ("30", 30.0, None, "red"),
        ("Oui", 100.0, "oui", "green"),
        ("Partiel", None, "partiel", "orange"),
    ],
)
def test_accessibility(raw: str, value: float | None, text: str | None, level: str) -> None:
    # A second cell above 1 fixes the column on 0–100.
    [row, _] = decoded("accessibility_rate", [raw, "60"])
    assert (row["value_num"], row["value_text"], row["level"]) == (value, text, level)


@pytest.mark.parametrize("raw", ["Non", "non", " NON "])
def test_rgaa_non_is_no_audit_never_a_number(raw: str) -> None:
    [row, _] = decoded("accessibility_rate", [raw, "0,6"])
    assert (row["value_num"], row["value_text"], row["level"]) == (None, None, None)
    assert (row["null_reason"], row["decode_issue"]) == ("sans_audit", None)


@pytest.mark.parametrize(
    ("raw", "iso", "note"),
    [
        ("08/04/2022 (périmée)", "2022-04-08", "périmée"),
        ("08/04/2022", "2022-04-08", None),
        ("8/4/2022", "2022-04-08", None),
        ("2022-04-08", "2022-04-08", None),
        ("2022-04-08 00:00:00", "2022-04-08", None),
        ("15/09/2024 - à mettre à jour", "2024-09-15", "- à mettre à jour"),
    ],
)
def test_declaration_dates(raw: str, iso: str, note: str | None) -> None:
    [row] = decoded("accessibility_declaration_date", [raw])
    assert (row["value_text"], row["note"], row["decode_issue"]) == (iso, note, None)


def test_invalid_declaration_date_is_an_issue() -> None:
    [row] = decoded("accessibility_declaration_date", ["31/02/2022"])
    assert row["null_reason"] == "valeur_inconnue"
    assert "accessibility_declaration_date" in row["decode_issue"]


@pytest.mark.parametrize(
    ("indicator", "raw", "value", "level"),
    [
        ("dlnuf", "0", 0.0, "green"),
        ("dlnuf", "1", 1.0, "green"),
        ("dlnuf", "2", 2.0, "orange"),
        ("dlnuf", "4", 4.0, "orange"),
        ("dlnuf", "5", 5.0, "red"),
        ("dlnuf", "12", 12.0, "red"),
        ("uptime", "99,95 %", 99.95, "green"),
        ("uptime", "99.9 %", 99.9, "orange"),
        ("uptime", "98,5 %", 98.5, "orange"),
        ("uptime", "98.4 %", 98.4, "red"),
        ("response_time_ms", "399", 399.0, "green"),
        ("response_time_ms", "400 ms", 400.0, "orange"),
        ("response_time_ms", "799", 799.0, "orange"),
        ("response_time_ms", "800", 800.0, "red"),
        ("response_time_ms", "1 250 ms", 1250.0, "red"),
        ("response_time_ms", "0,35 s", 350.0, "green"),
    ],
)
def test_technical_levels(indicator: str, raw: str, value: float, level: str) -> None:
    [row] = decoded(indicator, [raw])
    assert row["value_num"] == pytest.approx(value)
    assert row["level"] == level


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("FranceConnect", "franceconnect", "green"),
        ("France Connect", "franceconnect", "green"),
        ("franceconnect ", "franceconnect", "green"),
        ("FRANCECONNECT", "franceconnect", "green"),
        ("FranceConnect +", "franceconnect_plus", "green"),
        ("FranceConnect+", "franceconnect_plus", "green"),
        ("France Connect +", "franceconnect_plus", "green"),
        ("FranceConnect Plus", "franceconnect_plus", "green"),
        ("Non", "non", "red"),
    ],
)
def test_franceconnect_variants(raw: str, code: str, level: str) -> None:
    [row] = decoded("franceconnect", [raw])
    assert (row["value_text"], row["level"]) == (code, level)


def test_franceconnect_not_applicable_is_null() -> None:
    [row] = decoded("franceconnect", ["Non applicable"])
    assert (row["value_text"], row["null_reason"]) == (None, "non_applicable")


def test_volumes_with_spaces() -> None:
    rows = decoded("volume_total", ["12 345", "1\u202f200\u202f000", "40000"])
    assert [r["value_num"] for r in rows] == [12345.0, 1200000.0, 40000.0]


@pytest.mark.parametrize(
    ("indicator", "raw"),
    [
        ("online_status", "Bientôt"),
        ("handicap", "Peut-être"),
        ("franceconnect", "Oui"),
        ("satisfaction", "très bien"),
        ("dlnuf", "beaucoup"),
        ("accessibility_rate", "en audit"),
        ("response_time_ms", "rapide"),
    ],
)
def test_unknown_value_is_null_with_a_decode_issue(indicator: str, raw: str) -> None:
    [row] = decoded(indicator, [raw])
    assert row["value_num"] is None and row["value_text"] is None
    assert row["null_reason"] == "valeur_inconnue"
    assert indicator in row["decode_issue"] and raw in row["decode_issue"]


def test_decoded_frame_shape() -> None:
    frame = decode_indicators(table_of({"online_status": ["Oui"], "dlnuf": ["3"]}), "2025-10")
    assert frame.columns == [
        "edition_id",
        "source_row",
        "indicator",
        "value_num",
        "value_text",
        "level",
        "raw",
        "null_reason",
        "decode_issue",
        "note",
    ]
    assert frame.schema["value_num"] == pl.Float64
    assert frame.height == 2  # only the indicators the edition has


def test_user_categories() -> None:
    assert split_user_categories("Particuliers;Professionnels") == [
        "Particuliers",
        "Professionnels",
    ]
    assert split_user_categories(" Particuliers ;  Associations ; ; Particuliers") == [
        "Particuliers",
        "Associations",
    ]
    assert split_user_categories(None) == []


# ------------------------------------------------------------------------------ administrations


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CAF", "cnaf"),
        ("Caf", "cnaf"),
        ("CNAF", "cnaf"),
        ("Caisse nationale des allocations familiales", "cnaf"),
        ("Assurance Maladie", "cnam"),
        ("Assurance Maladie (CNAM)", "cnam"),
        ("CNAM", "cnam"),
        ("CNAV", "cnav"),
        ("L'Assurance retraite", "cnav"),
        ("Assurance retraite", "cnav"),
        ("MSA", "msa"),
        ("Pôle emploi", "france_travail"),
        ("Pole Emploi", "france_travail"),
        ("France Travail", "france_travail"),
        ("DGFiP", "dgfip"),
        ("ANTS", "ants"),
        ("France Titres", "ants"),
        ("France Titres - ANTS", "ants"),
        ("URSSAF", "urssaf"),
        ("DINUM", "dinum"),
        ("Régie intercommunale des déchets", None),
        ("Caisse", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_administration(name: str | None, expected: str | None) -> None:
    assert normalise_administration(name) == expected


def test_reference_administrations_are_consistent() -> None:
    rows = administrations()
    assert 15 <= len(rows) <= 40
    ids = [a.administration_id for a in rows]
    assert len(ids) == len(set(ids))
    for admin in rows:
        for alias in (admin.name, *admin.aliases):
            assert normalise_administration(alias) == admin.administration_id, alias


# ------------------------------------------------------------------------------ identity


def test_key_is_the_source_id_when_present() -> None:
    assert demarche_key("1007", "Immatriculer un véhicule", "ANTS") == "id:1007"
    assert demarche_key("1007.0", "Autre titre", "ANTS") == "id:1007"


def test_key_from_title_and_administration_ignores_spelling_and_alias() -> None:
    a = demarche_key(None, "Demander la prime d'activité", "CAF")
    b = demarche_key(
        "", "  DEMANDER LA PRIME D’ACTIVITE ", "Caisse nationale des allocations familiales"
    )
    assert a == b == "t:demander_la_prime_d_activite@cnaf"
    assert demarche_key(None, "Demander la prime d'activité", "MSA") != a
    assert demarche_key(None, "X", "Mairie de Test") == "t:x@mairie_de_test"
    assert demarche_key(None, "X", None) == "t:x@inconnue"


def test_rename_table_carries_the_key_of_the_first_title() -> None:
    renames = [
        Rename("Demande de carte grise", "Demande de certificat d'immatriculation", "ANTS"),
        Rename("Demande de certificat d'immatriculation", "Immatriculer un véhicule", None),
    ]
    first = demarche_key(None, "Demande de carte grise", "ANTS", renames=renames)
    assert first == "t:demande_de_carte_grise@ants"
    assert demarche_key(None, "Immatriculer un véhicule", "France Titres", renames=renames) == first
    assert (
        demarche_key(None, "Demande de certificat d'immatriculation", "ANTS", renames=renames)
        == first
    )
    # A rename listed for one administration does not apply to another.
    assert demarche_key(None, "Demande de carte grise", "DGFiP", renames=renames) != first


def test_known_ids_carry_an_identifier_to_editions_without_one() -> None:
    known = {("*", "Immatriculer un véhicule"): "1007", ("2020-01", "Payer une amende"): "1003"}
    assert demarche_key(None, "immatriculer un vehicule", "ANTS", known_ids=known) == "id:1007"
    renames = [Rename("Demande de carte grise", "Immatriculer un véhicule", "ANTS")]
    assert (
        demarche_key(None, "Demande de carte grise", "ANTS", renames=renames, known_ids=known)
        == "id:1007"
    )
    assert (
        demarche_key(None, "Payer une amende", "ANTS", known_ids=known, edition_id="2020-01")
        == "id:1003"
    )
    assert demarche_key(
        None, "Payer une amende", "ANTS", known_ids=known, edition_id="2021-01"
    ) == ("t:payer_une_amende@ants")


def test_identity_carries_across_the_sample_editions() -> None:
    renames = load_renames(SAMPLES / "demarche_renames.csv")
    v2_11 = read_edition(XLSX_SAMPLE)
    v2_13 = read_edition(ODS_SAMPLE)
    v1 = read_edition(CSV_SAMPLE)
    known = known_ids_from(v2_11)
    keys = {
        name: dict(
            zip(
                frame["source_row"].to_list(),
                demarches(frame_table, edition, renames=renames, known_ids=known)[
                    "demarche_key"
                ].to_list(),
                strict=True,
            )
        )
        for name, frame_table, edition, frame in (
            ("v1", v1, "2022-10", v1.frame),
            ("11", v2_11, "2025-10", v2_11.frame),
            ("13", v2_13, "2026-04", v2_13.frame),
        )
    }
    titles_13 = dict(zip(v2_13.frame["source_row"], v2_13.frame["title"], strict=True))
    renamed_row = next(r for r, t in titles_13.items() if t == "Faire immatriculer son véhicule")
    assert keys["13"][renamed_row] == "id:1007"
    assert "id:1007" in keys["11"].values()
    # v1 has no identifier: its old title reaches 1007 through the rename table.
    assert "id:1007" in keys["v1"].values()
    assert set(keys["v1"].values()) == set(keys["11"].values()) == set(keys["13"].values())


# ------------------------------------------------------------------------------ samples


@pytest.mark.parametrize("path", [CSV_SAMPLE, XLSX_SAMPLE, ODS_SAMPLE])
def test_samples_read_and_decode(path: Path) -> None:
    table = read_edition(path)
    edition = edition_from_name(path.name)
    assert 12 <= table.frame.height <= 20
    frame = decode_indicators(table, edition.edition_id)
    assert frame.filter(pl.col("decode_issue").is_not_null()).height == 0
    uptake = frame.filter(pl.col("indicator") == "digital_uptake")["value_num"].drop_nulls()
    assert uptake.max() > 1  # fractions of the v1 file are rescaled to 0–100
    assert uptake.max() <= 100
    per_demarche = demarches(table, edition)
    assert per_demarche["administration_id"].null_count() == 1


def test_shipped_rename_table_has_the_documented_columns() -> None:
    path = Path(__file__).parent.parent / "transforms" / "reference" / "demarche_renames.csv"
    with path.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["from_title", "to_title", "administration", "note"]
    assert isinstance(load_renames(), tuple)


# ------------------------------------------------------------------------------ GX suites


def test_demarche_suite_on_good_and_bad_frames() -> None:
    table = read_edition(XLSX_SAMPLE)
    good = demarches(table, edition_from_name(XLSX_SAMPLE.name))
    outcome = validate(good, "observatoire", {"min_demarches": 10, "max_demarches": 30})
    assert not outcome.blocking_failed, outcome.summary()
    assert outcome.rows_by_rule("warning") == {"administration_known": [13]}

    bad = pl.concat([good, good.head(1)]).with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("title")).alias("title")
    )
    outcome = validate(bad, "observatoire", SUITE_PARAMETERS)
    assert outcome.blocking_failed
    assert outcome.rows_by_rule("blocking") == {"one_row_per_demarche": [0, 14]}
    assert outcome.rows_by_rule("row_rejected") == {"title_present": [2]}
    assert "demarche_count_plausible" in outcome.summary()


def test_values_suite_on_good_and_bad_frames() -> None:
    table = read_edition(ODS_SAMPLE)
    good = decode_indicators(table, "2026-04")
    outcome = validate(good, "observatoire_values")
    assert outcome.summary() == "all rules passed"

    bad_table = table_of(
        {
            "satisfaction": ["12 / 10", "8 / 10"],
            "digital_uptake": ["150", "50"],
            "response_time_ms": ["-5", "300"],
            "online_status": ["Bientôt", "Oui"],
        }
    )
    bad = decode_indicators(bad_table, "2026-04")
    outcome = validate(bad, "observatoire_values")
    assert not outcome.blocking_failed
    warnings = outcome.rows_by_rule("warning")
    position = {(row["indicator"], row["source_row"]): i for i, row in enumerate(bad.to_dicts())}
    assert warnings["note_in_range"] == [position[("satisfaction", 2)]]
    assert warnings["rate_in_range"] == [position[("digital_uptake", 2)]]
    assert warnings["response_time_non_negative"] == [position[("response_time_ms", 2)]]
    assert warnings["value_decoded"] == [position[("online_status", 2)]]

    duplicated = pl.concat([good, good.head(1)])
    assert validate(duplicated, "observatoire_values").rows_by_rule("blocking") == {
        "one_value_per_demarche_indicator": [0, good.height]
    }
