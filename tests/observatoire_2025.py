"""Generated editions in the format DINUM publishes since 2025 (facts of the October 2025 file).

Every value is invented; the layout is the real one: one sheet named after the quarter
(« Chiffres VDE T3-25 (octobre-25) »), the 23 headers in order (one holding two line feeds),
rates as 0–1 floats with binary noise, notes /10 as floats, Excel dates, expired declarations as
"dd/mm/yyyy\\n(périmée)", RGAA « Non » (no audit), placeholders in any column, a trailing empty
row. `rows_2025()` gives the rows; tests count their expectations on these rows, not through the
code under test.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DATE_HEADER = "Date Publication Déclaration\n(rouge : périmée ;\norange : bientôt périmée)"
HEADERS_2025 = [
    "Nom Démarche",
    "ID Démarche",
    "Périmètre ministériel (AC/SG)",
    "Ministère politique",
    "Réf Administration",
    "Statut En ligne",
    "Categories Usagers",
    "Volumétrie Totale",
    "Volumétrie En Ligne",
    "% Recours au Numérique",
    "Note Satisfaction",
    "Prise en compte Handicap",
    "Taux Audit RGAA",
    DATE_HEADER,
    "Note Clarté Langage",
    "Niveau Autonomie",
    "Aide Joignable",
    "Aide Efficace",
    "FranceConnect",
    "Score DLNUF",
    "Taux Dispo",
    "Tps Moy Chargement",
    "URL Démarche",
]
SHEET_2025 = "Chiffres VDE T3-25 (octobre-25)"
EXCEL_EPOCH = date(1899, 12, 30)

ADMINISTRATIONS = ["URSSAF", "CNAF", "DSR", "DGFIP", "ANTS", "MSA", "DILA", "CNAV"]
MINISTRIES = [
    ("Affaires sociales", "Ministère du Travail et des Solidarités"),
    ("Économie et finances", "Ministère de l'Économie et des Finances"),
    ("Intérieur et outre-mer", "Ministère de l'Intérieur"),
]
CATEGORIES = [
    "Particulier",
    "Entreprise",
    "Particulier; Entreprise; Association",
    "Particulier; Autres",
    "Entreprise; Association",
]
ONLINE = ["Oui"] * 8 + ["Partiel", "Non", "En cours de déploiement local", "À venir"]
COMPLIANCE = ["Partielle"] * 5 + ["Non conforme"] * 3 + ["Totale", "–", "À venir"]
FRANCECONNECT = ["FranceConnect"] * 4 + ["FranceConnect +", "Non applicable", "Non", "–"]
SCORES = ["À venir", "Nombre d'avis insuffisant", "–"]


def _noisy_note(index: int) -> float:
    # k × 0.1 carries the binary noise of a spreadsheet float (8.700000000000001).
    return (50 + (index * 7) % 46) * 0.1


def _declaration(index: int) -> Any:
    day = date(2022, 11, 3) + timedelta(days=(index * 53) % 1040)
    if index % 9 == 4:
        return f"{day:%d/%m/%Y}\n(périmée)" + ("\n" if index % 18 == 4 else "")
    if index % 13 == 6:
        return None
    return day


def rows_2025(n: int = 40) -> list[dict[str, Any]]:
    """`n` démarches (n ≥ 13 puts every vocabulary in); the last is « Démarche proactive »."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        perimeter, ministry = MINISTRIES[i % len(MINISTRIES)]
        total = 1000 + 997 * i * i
        online = int(total * (0.35 + (i % 13) * 0.05)) if i % 6 else None
        score = SCORES[i % 3] if i % 4 == 3 else None
        row: dict[str, Any] = {
            "Nom Démarche": f"Démarche générée n° {i + 1}",
            "ID Démarche": float(44 + 91 * i),
            "Périmètre ministériel (AC/SG)": perimeter,
            "Ministère politique": ministry,
            "Réf Administration": ADMINISTRATIONS[i % len(ADMINISTRATIONS)],
            "Statut En ligne": ONLINE[i % len(ONLINE)],
            "Categories Usagers": CATEGORIES[i % len(CATEGORIES)],
            "Volumétrie Totale": float(total) if i % 5 else None,
            "Volumétrie En Ligne": float(online) if online is not None else None,
            "% Recours au Numérique": online / total if online is not None else "À venir",
            "Note Satisfaction": score or _noisy_note(i),
            "Prise en compte Handicap": COMPLIANCE[i % len(COMPLIANCE)],
            "Taux Audit RGAA": "Non" if i % 4 == 1 else (28 + (i * 17) % 73) / 100,
            DATE_HEADER: _declaration(i),
            "Note Clarté Langage": score or _noisy_note(i + 3),
            "Niveau Autonomie": score or (17 + (i * 29) % 76) / 100,
            "Aide Joignable": score or (33 + (i * 11) % 61) / 99,
            "Aide Efficace": score or _noisy_note(i + 5),
            "FranceConnect": FRANCECONNECT[i % len(FRANCECONNECT)],
            "Score DLNUF": float(i % 23) if i % 7 else "Non applicable",
            "Taux Dispo": 1.0 if i % 3 else 0.9911 + i / 10_000,
            "Tps Moy Chargement": float(119 + (i * 613) % 8708),
            "URL Démarche": f"https://demarches.example.test/{44 + 91 * i}",
        }
        rows.append(row)
    proactive = rows[-1]
    for header in HEADERS_2025[5:22]:
        if header not in ("Categories Usagers", "Volumétrie Totale", "Volumétrie En Ligne"):
            proactive[header] = "Démarche proactive"
    return rows


def write_xlsx(path: Path, rows: list[dict[str, Any]], sheet: str = SHEET_2025) -> Path:
    """The rows as the published workbook: one sheet, header on row 1, a trailing empty row."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(HEADERS_2025)
    for row in rows:
        worksheet.append([row.get(header) for header in HEADERS_2025])
        if isinstance(row.get(DATE_HEADER), date):
            worksheet.cell(
                worksheet.max_row, HEADERS_2025.index(DATE_HEADER) + 1
            ).number_format = "dd/mm/yyyy"
    worksheet.append([""] * len(HEADERS_2025))
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The rows as a spreadsheet program exports them to CSV (French locale): semicolons,
    decimal commas, dates as Excel serial numbers."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return str((value - EXCEL_EPOCH).days)
        if isinstance(value, float):
            return repr(value).replace(".", ",")
        return str(value)

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS_2025)
        writer.writerows([text(row.get(header)) for header in HEADERS_2025] for row in rows)
    return path
