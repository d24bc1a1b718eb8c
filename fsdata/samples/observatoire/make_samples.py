"""Write the synthetic observatory editions of this folder (invented values, real formats).

Run from the repository root: `python fsdata/samples/observatoire/make_samples.py`. Needs the dev
extras (openpyxl, odfpy). The cell contents are deterministic: no randomness, no clock in the data.

- `observatoire-edition-octobre-2022.csv`: a v1-era edition, semicolon, Windows-1252, old
  headers ("Réalisable En Ligne", "Tx_Recours_Demat"…), rates as fractions 0–1, no identifier;
- `observatoire-2-edition-11-octobre-2025-.xlsx`: a v2 edition, two title rows above the header,
  rates 0–100, notes "X / 10" with comma decimals, « À venir », a declaration date "(périmée)",
  an unknown column, the 2025 compliance labels (Totale / Partielle / Non conforme), autonomy as
  a 0–1 rate, a sheet naming the data's quarter (« Chiffres VDE T3-25 (octobre-25) »);
- `observatoire-2-edition-13-avril-2026-.ods`: the next v2 edition, headers renamed
  (Taux_RGAA_Publie, "Statut En ligne"…), démarche 1007 renamed (same ID_Demarche);
- `demarche_renames.csv`: the rename linking a v1 title to its v2 title (no ID in v1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# id, title (v2), v1 title, ministry, administration, user categories
DEMARCHES: list[tuple[str, str, str, str, str, str]] = [
    (
        "1001",
        "Demander la prime d'activité",
        "Demander la prime d'activité",
        "Solidarités",
        "CAF",
        "Particuliers",
    ),
    ("1002", "Déclarer ses revenus", "Déclarer ses revenus", "Économie", "DGFiP", "Particuliers"),
    (
        "1003",
        "Payer une amende",
        "Payer une amende",
        "Intérieur",
        "ANTS",
        "Particuliers;Professionnels",
    ),
    (
        "1004",
        "Demander un passeport",
        "Demander un passeport",
        "Intérieur",
        "France Titres - ANTS",
        "Particuliers",
    ),
    (
        "1005",
        "S'inscrire comme demandeur d'emploi",
        "S'inscrire comme demandeur d'emploi",
        "Travail",
        "Pôle emploi",
        "Particuliers",
    ),
    (
        "1006",
        "Demander sa retraite",
        "Demander sa retraite",
        "Solidarités",
        "Assurance retraite",
        "Particuliers",
    ),
    (
        "1007",
        "Immatriculer un véhicule",
        "Demande de certificat d'immatriculation",
        "Intérieur",
        "ANTS",
        "Particuliers; Professionnels",
    ),
    (
        "1008",
        "Déclarer une embauche",
        "Déclarer une embauche",
        "Solidarités",
        "URSSAF",
        "Professionnels;Associations",
    ),
    (
        "1009",
        "Obtenir une attestation de droits",
        "Obtenir une attestation de droits",
        "Solidarités",
        "Assurance Maladie",
        "Particuliers",
    ),
    (
        "1010",
        "Demander une bourse sur critères sociaux",
        "Demander une bourse sur critères sociaux",
        "Enseignement supérieur",
        "Crous",
        "Particuliers",
    ),
    (
        "1011",
        "Déclarer ses cotisations agricoles",
        "Déclarer ses cotisations agricoles",
        "Agriculture",
        "MSA",
        "Professionnels",
    ),
    (
        "1012",
        "Demander un titre de séjour",
        "Demander un titre de séjour",
        "Intérieur",
        "DGEF",
        "Particuliers",
    ),
    (
        "1013",
        "Demander un extrait de casier judiciaire",
        "Demander un extrait de casier judiciaire",
        "Justice",
        "Casier judiciaire national",
        "Particuliers;Professionnels",
    ),
    (
        "1014",
        "Réserver un créneau en déchetterie",
        "Réserver un créneau en déchetterie",
        "Transition écologique",
        "Régie intercommunale des déchets",
        "Particuliers",
    ),
]

# Per démarche, per edition: (online status, satisfaction, clarity, help reachable %,
# help efficiency, RGAA, handicap, FranceConnect, DLNUF, uptime %, response ms, volume total,
# volume online).
V1_VALUES: list[tuple[Any, ...]] = [
    (
        "Oui",
        "7,8 / 10",
        "8 / 10",
        0.82,
        "7,1 / 10",
        "Partiel",
        "Oui",
        "FranceConnect",
        1,
        "99,95 %",
        "350 ms",
        1_200_000,
        1_100_000,
    ),
    (
        "Oui",
        "8,4 / 10",
        "7,5 / 10",
        0.9,
        "8 / 10",
        "Oui",
        "Oui",
        "France Connect",
        0,
        "99,99 %",
        "280 ms",
        39_000_000,
        26_000_000,
    ),
    (
        "Oui",
        "6,2 / 10",
        "6 / 10",
        0.55,
        "5,5 / 10",
        "Non",
        "Partiel",
        "Non",
        3,
        "98,7 %",
        "620 ms",
        9_000_000,
        7_500_000,
    ),
    (
        "Partiel",
        "Nombre d'avis insuffisant",
        "À venir",
        0.71,
        "–",
        "Partiel",
        "Partiel",
        "FranceConnect",
        2,
        "99,2 %",
        "540 ms",
        5_000_000,
        3_000_000,
    ),
    (
        "Oui",
        "7 / 10",
        "8,5 / 10",
        0.64,
        "6,8 / 10",
        "Oui",
        "Oui",
        "FranceConnect",
        1,
        "99,5 %",
        "410 ms",
        2_500_000,
        2_300_000,
    ),
    (
        "Oui",
        "8,1 / 10",
        "7,9 / 10",
        0.88,
        "7,7 / 10",
        "Non",
        "Non",
        "FranceConnect",
        4,
        "99,93 %",
        "390 ms",
        800_000,
        600_000,
    ),
    (
        "Oui",
        "5,9 / 10",
        "5 / 10",
        0.42,
        "4,2 / 10",
        "Partiel",
        "Partiel",
        "FranceConnect",
        6,
        "97,9 %",
        "900 ms",
        6_000_000,
        6_000_000,
    ),
    (
        "Oui",
        "8,8 / 10",
        "8,1 / 10",
        0.93,
        "8,6 / 10",
        "Oui",
        "Oui",
        "Non applicable",
        0,
        "99,97 %",
        "250 ms",
        3_000_000,
        2_900_000,
    ),
    (
        "Oui",
        "7,4 / 10",
        "7 / 10",
        0.77,
        "7 / 10",
        "Partiel",
        "Oui",
        "FranceConnect",
        1,
        "99,9 %",
        "330 ms",
        10_000_000,
        8_000_000,
    ),
    (
        "Oui",
        "6,9 / 10",
        "6,5 / 10",
        0.61,
        "6,1 / 10",
        "Non",
        "Partiel",
        "FranceConnect",
        2,
        "99,6 %",
        "480 ms",
        700_000,
        690_000,
    ),
    (
        "Partiel",
        "À venir",
        "6,8 / 10",
        0.5,
        "-",
        "Non",
        "Non",
        "Non",
        5,
        "98,5 %",
        "700 ms",
        150_000,
        90_000,
    ),
    (
        "En cours de déploiement local",
        "4,8 / 10",
        "4,5 / 10",
        0.35,
        "3,9 / 10",
        "Non",
        "Non",
        "Non",
        7,
        "98,1 %",
        "1200 ms",
        1_000_000,
        200_000,
    ),
    (
        "Oui",
        "8,2 / 10",
        "8,8 / 10",
        0.95,
        "8,1 / 10",
        "Oui",
        "Oui",
        "FranceConnect",
        0,
        "99,98 %",
        "210 ms",
        1_500_000,
        1_450_000,
    ),
    ("Non", "", "À venir", "", "", "Non", "Non", "Non", "", "", "", 40_000, 0),
]


def _v2_values(edition: int) -> list[dict[str, Any]]:
    """The v2 edition values: percentages 0–100, notes with comma decimals."""
    rows = []
    for index, v1 in enumerate(V1_VALUES):
        shift = 0.1 * (edition - 10) * (1 if index % 2 else -1)
        sat = v1[1]
        if "/ 10" in str(sat):
            number = float(sat.split("/")[0].replace(",", ".")) + shift
            sat = f"{number:.1f} / 10".replace(".", ",")
        rows.append(
            {
                "online": "Démarche proactive" if index == 0 else v1[0],
                "satisfaction": sat,
                "clarity": v1[2],
                "help_reachable": round(float(v1[3]) * 100, 1) if v1[3] != "" else "À venir",
                "help_efficiency": v1[4],
                "rgaa": [75, 100, 30, 52, 100, 45, 60, 100, 80, 20, 10, 5, 100, "Non applicable"][
                    index
                ],
                # The 2025 format's accessibility compliance labels.
                "handicap": {"Oui": "Totale", "Partiel": "Partielle", "Non": "Non conforme"}[v1[6]],
                "franceconnect": ["FranceConnect +", "FranceConnect", "franceconnect", "Non"][
                    index % 4
                ],
                "dlnuf": v1[8],
                "uptime": v1[9].replace(" %", "").replace(",", ".") if v1[9] else "",
                "response": v1[10].replace(" ms", ""),
                "volume_total": v1[11],
                "volume_online": v1[12],
                "uptake": round(100 * v1[12] / v1[11], 1) if v1[11] else "",
                "date": ["08/04/2022 (périmée)", "15/09/2024", "", "À venir"][index % 4],
            }
        )
    return rows


def write_v1_csv(path: Path) -> None:
    header = [
        "Démarche",
        "Ministère",
        "Administration",
        "Catégories usagers",
        "Réalisable En Ligne",
        "Volumétrie",
        "Tx_Recours_Demat",
        "Satisfaction",
        "Simplicité du langage",
        "Aide joignable",
        "Aide efficace",
        "Prise en compte du handicap",
        "Libelle_RGAA",
        "FranceConnect",
        "DLNUF",
        "Taux dispo",
        "Temps de réponse",
    ]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for demarche, values in zip(DEMARCHES, V1_VALUES, strict=True):
        _id, _title, v1_title, ministry, admin, categories = demarche
        uptake = round(values[12] / values[11], 4) if values[11] else ""
        writer.writerow(
            [
                v1_title,
                ministry,
                admin,
                categories,
                values[0],
                values[11],
                str(uptake).replace(".", ","),
                values[1],
                values[2],
                str(values[3]).replace(".", ","),
                values[4],
                values[6],
                values[5],
                values[7],
                values[8],
                values[9],
                values[10],
            ]
        )
    path.write_bytes(buffer.getvalue().encode("cp1252"))


V2_HEADER_11 = [
    "Nom_Demarche",
    "ID_Demarche",
    "Perimetre_ministeriel_(AC/SG)",
    "Ministere_politique",
    "Ref_Administration",
    "Statut_En_ligne",
    "Categories_Usagers",
    "Volumetrie_Totale",
    "Volumetrie_En_Ligne",
    "%_Recours_au_Numerique",
    "Note_Satisfaction",
    "Prise_en_compte_Handicap",
    "Taux_Audit_RGAA",
    "Date_Publication_Declaration_(accessibilité)",
    "Note_Clarte_Langage",
    "Niveau_Autonomie",
    "Aide_Joignable",
    "Aide_Efficace",
    "FranceConnect",
    "Score_DLNUF",
    "Taux_Dispo",
    "Tps_Moy_Chargement",
    "URL_Demarche",
    "Commentaire",
]
# Edition 13 renames several headers (same order, same meaning).
V2_HEADER_13 = [
    "Nom Démarche ",
    "ID Démarche",
    "Périmètre ministériel (AC/SG)",
    "Ministère politique",
    "Ref Administration",
    "Statut En ligne",
    "Catégories Usagers",
    "Volumétrie Totale",
    "Volumétrie En Ligne",
    "pct Recours au Numérique",
    "Note Satisfaction",
    "Prise en compte Handicap",
    "Taux_RGAA_Publie",
    "Date Publication Déclaration (RGAA)",
    "Note Clarté Langage",
    "Niveau Autonomie",
    "Aide Joignable",
    "Aide Efficace",
    "FranceConnect",
    "Score DLNUF",
    "Taux Dispo",
    "Tps Moy Chargement (ms)",
    "URL Démarche",
    "Commentaire",
]


def _v2_rows(edition: int) -> list[list[Any]]:
    rows = []
    for index, (demarche, values) in enumerate(zip(DEMARCHES, _v2_values(edition), strict=True)):
        identifier, title, _v1, ministry, admin, categories = demarche
        if edition == 13 and identifier == "1007":
            title = "Faire immatriculer son véhicule"
        rows.append(
            [
                title,
                int(identifier),
                "AC" if index % 3 else "SG",
                ministry,
                admin,
                values["online"],
                categories,
                values["volume_total"],
                values["volume_online"],
                values["uptake"],
                values["satisfaction"],
                values["handicap"],
                values["rgaa"],
                values["date"],
                values["clarity"],
                [0.81, 0.63, 0.42][index % 3] if values["help_reachable"] != "À venir" else "–",
                values["help_reachable"],
                values["help_efficiency"],
                values["franceconnect"],
                values["dlnuf"],
                float(values["uptime"]) if values["uptime"] else "À venir",
                int(values["response"]) if values["response"] else "–",
                f"https://demarches.example.test/{identifier}",
                "Données de test" if index == 2 else "",
            ]
        )
    return rows


TITLE_ROWS = [
    ["Observatoire de la qualité des démarches en ligne"],
    ["Édition {number} — données synthétiques de démonstration"],
]


def write_v2_xlsx(path: Path, edition: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chiffres VDE T3-25 (octobre-25)"
    sheet.append(TITLE_ROWS[0])
    sheet.append([TITLE_ROWS[1][0].format(number=edition)])
    sheet.append([])
    sheet.append(V2_HEADER_11)
    for row in _v2_rows(edition):
        sheet.append([None if value == "" else value for value in row])
    notes = workbook.create_sheet("Notes")
    notes.append(["Second sheet: never read."])
    workbook.save(path)


def write_v2_ods(path: Path, edition: int) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Chiffres VDE T1-26 (avril-26)")

    def add_row(values: list[Any]) -> None:
        row = TableRow()
        for value in values:
            if value is None or value == "":
                cell = TableCell()
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            row.addElement(cell)
        table.addElement(row)

    add_row(TITLE_ROWS[0])
    add_row([TITLE_ROWS[1][0].format(number=edition)])
    add_row(V2_HEADER_13)
    for row in _v2_rows(edition):
        add_row(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))


def write_renames(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["from_title", "to_title", "administration", "note"])
        writer.writerow(
            [
                "Demande de certificat d'immatriculation",
                "Immatriculer un véhicule",
                "ANTS",
                "synthetic example: renamed between the v1 and v2 observatories",
            ]
        )


def main() -> None:
    write_v1_csv(HERE / "observatoire-edition-octobre-2022.csv")
    write_v2_xlsx(HERE / "observatoire-2-edition-11-octobre-2025-.xlsx", 11)
    write_v2_ods(HERE / "observatoire-2-edition-13-avril-2026-.ods", 13)
    write_renames(HERE / "demarche_renames.csv")


if __name__ == "__main__":
    main()
