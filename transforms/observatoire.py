"""The démarches observatory ("Vos démarches essentielles", DINUM): read and decode one edition.

One edition is one spreadsheet (CSV, XLSX or ODS; first sheet), one row per démarche, scored on a
set of indicators. Headers were renamed between editions and values are written in many ways
("7,8 / 10", "45 %", 0.45, "À venir", "08/04/2022 (périmée)"). This module turns any edition into:

- `read_edition(path)` → `EditionTable`: one row per démarche, every cell kept as text, source
  headers mapped to canonical columns through `COLUMN_ALIASES`, unknown columns kept in `extra`;
- `decode_indicators(table, edition_id)` → one row per démarche × indicator, typed and levelled
  (see `INDICATORS` for the vocabulary, units and meaning);
- `demarches(table, edition)` → the per-démarche frame with a stable `demarche_key` and the
  administration resolved against `transforms/reference/administrations.csv`.

Pure functions: the only I/O is reading the named file and the small reference CSVs shipped next
to this module.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import check_table_file
from transforms.readers import decode_text, normalise_header, sniff_delimiter, strip_accents

REFERENCE_DIR = Path(__file__).parent / "reference"

# --------------------------------------------------------------------------------------------
# Editions
# --------------------------------------------------------------------------------------------

MONTHS: dict[str, int] = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
MONTH_LABELS: dict[int, str] = {
    1: "janvier",
    2: "février",
    3: "mars",
    4: "avril",
    5: "mai",
    6: "juin",
    7: "juillet",
    8: "août",
    9: "septembre",
    10: "octobre",
    11: "novembre",
    12: "décembre",
}
# The second generation of the observatory (numbered editions) started in 2023.
V2_FIRST_EDITION = date(2023, 1, 1)

_MONTH_RE = "|".join(MONTHS)
_MONTH_YEAR = re.compile(rf"(?<![a-z])({_MONTH_RE})[\s_\-./]*(20\d\d)(?!\d)")
_YEAR_MONTH = re.compile(rf"(?<!\d)(20\d\d)[\s_\-./]*({_MONTH_RE})(?![a-z])")
_YEAR_NUM_MONTH = re.compile(r"(?<!\d)(20\d\d)[-_./](0[1-9]|1[0-2])(?!\d)")
_EDITION_NUMBER = re.compile(r"edition[\s_\-]*(?:n[o°]?[\s_\-]*)?(\d{1,3})(?!\d)")
_V2_MARK = re.compile(r"observatoire[\s_\-]*2(?!\d)|\bv2\b")
_EDITION_ID = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Edition:
    """One published edition: `edition_id` "YYYY-MM", dated the first day of its month."""

    edition_id: str
    edition_date: date
    label: str
    generation: str
    number: int | None = None


def _edition(year: int, month: int, number: int | None, generation: str | None) -> Edition:
    edition_date = date(year, month, 1)
    if generation is None:
        generation = "v2" if number is not None or edition_date >= V2_FIRST_EDITION else "v1"
    month_year = f"{MONTH_LABELS[month]} {year}"
    label = f"Édition {number} — {month_year}" if number is not None else month_year
    return Edition(f"{year:04d}-{month:02d}", edition_date, label, generation, number)


def edition_from_name(name: str) -> Edition:
    """The edition named by a data.gouv resource title or a file name.

    Recognises `observatoire-2-edition-11-octobre-2025-.xlsx`, `Observatoire - édition janvier
    2021.csv`, `2022-octobre` (the site's v1 edition slug), `… 2022-10 …`; French month names
    with or without accents, any case. The edition number ("édition 11") is kept when present;
    the generation is v2 for numbered editions, names marked "observatoire 2", or dates from
    2023, else v1. No month and year → SourceFormatError(rule="edition_identifiable").
    """
    text = strip_accents(Path(name).name if "/" in name else name).lower()
    stem = re.sub(r"\.(xlsx|xls|ods|csv|json)$", "", text)
    year = month = None
    if match := _MONTH_YEAR.search(stem):
        month, year = MONTHS[match.group(1)], int(match.group(2))
    elif match := _YEAR_MONTH.search(stem):
        year, month = int(match.group(1)), MONTHS[match.group(2)]
    elif match := _YEAR_NUM_MONTH.search(stem):
        year, month = int(match.group(1)), int(match.group(2))
    if year is None or month is None:
        raise SourceFormatError(
            name,
            "edition_identifiable",
            "no month and year in the name; pass the edition explicitly (--edition YYYY-MM)",
        )
    number_match = _EDITION_NUMBER.search(stem)
    number = int(number_match.group(1)) if number_match else None
    generation = "v2" if number is not None or _V2_MARK.search(stem) else None
    return _edition(year, month, number, generation)


def edition_from_id(
    edition_id: str, *, number: int | None = None, generation: str | None = None
) -> Edition:
    """An edition given explicitly as "YYYY-MM" (the CLI's `--edition`)."""
    match = _EDITION_ID.match(edition_id.strip())
    if not match:
        raise SourceFormatError(
            edition_id, "edition_identifiable", "an edition is written YYYY-MM, e.g. 2025-10"
        )
    if generation not in (None, "v1", "v2"):
        raise ValueError(f"generation must be v1 or v2, not {generation!r}")
    return _edition(int(match.group(1)), int(match.group(2)), number, generation)


# --------------------------------------------------------------------------------------------
# Columns: canonical names and every historical header seen for them
# --------------------------------------------------------------------------------------------

IDENTITY_COLUMNS: tuple[str, ...] = (
    "source_demarche_id",
    "title",
    "ministry",
    "administration",
    "perimeter",
    "user_categories",
    "url",
)


@dataclass(frozen=True)
class Indicator:
    """One indicator of the vocabulary: how its cells are decoded, its unit and meaning."""

    name: str
    kind: str
    unit: str
    meaning: str


# kind: status (coded text), note (0–10), rate (percent 0–100), count, dlnuf, uptime,
# response_time, date, franceconnect, text (kept verbatim).
INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "online_status",
            "status",
            "code",
            "Can the démarche be completed online: oui, partiel, en_cours_deploiement_local, "
            "non, demarche_proactive (done for the user, nothing to ask).",
        ),
        Indicator("volume_total", "count", "démarches/year", "Yearly number of démarches."),
        Indicator("volume_online", "count", "démarches/year", "Yearly number done online."),
        Indicator(
            "digital_uptake",
            "rate",
            "% (0–100)",
            "Share of the démarches done online (recours au numérique).",
        ),
        Indicator(
            "satisfaction",
            "note",
            "note /10",
            "Users' satisfaction (« Je donne mon avis »); green ≥ 8, orange ≥ 5, red < 5.",
        ),
        Indicator(
            "handicap",
            "status",
            "code",
            "Taking disability into account: oui, partiel, non.",
        ),
        Indicator(
            "accessibility_rate",
            "rate",
            "% (0–100)",
            "RGAA accessibility compliance rate; Oui = 100, Partiel / Non kept as value_text. "
            "Level green = 100, orange ≥ 50, red < 50.",
        ),
        Indicator(
            "accessibility_declaration_date",
            "date",
            "ISO date",
            "Publication date of the accessibility declaration; trailing text kept in `note`.",
        ),
        Indicator(
            "clarity",
            "note",
            "note /10",
            "Clarity / simplicity of the language; green ≥ 8, orange ≥ 5, red < 5.",
        ),
        Indicator("autonomy", "text", "text", "Level of autonomy (kept verbatim)."),
        Indicator(
            "help_reachable",
            "rate",
            "% (0–100)",
            "Share of attempts where help (phone, mail, chat) could be reached.",
        ),
        Indicator(
            "help_efficiency",
            "note",
            "note /10",
            "Efficiency of the help received; green ≥ 8, orange ≥ 5, red < 5.",
        ),
        Indicator(
            "franceconnect",
            "franceconnect",
            "code",
            "Authentication offered: franceconnect, franceconnect_plus, non "
            "(level green / green / red).",
        ),
        Indicator(
            "dlnuf",
            "dlnuf",
            "fields",
            "« Dites-le-nous une fois »: fields that could be pre-filled; green (Optimal) 0–1, "
            "orange (Partiel) 2–4, red (Faible) ≥ 5.",
        ),
        Indicator(
            "uptime",
            "uptime",
            "% (0–100)",
            "Availability rate; green (Optimal) > 99.9, orange (Partiel) ≥ 98.5, else red.",
        ),
        Indicator(
            "response_time_ms",
            "response_time",
            "ms",
            "Mean page load time; green (Optimal) < 400, orange (Partiel) < 800, else red.",
        ),
    )
}

INDICATOR_COLUMNS: tuple[str, ...] = tuple(INDICATORS)
CANONICAL_COLUMNS: tuple[str, ...] = IDENTITY_COLUMNS + INDICATOR_COLUMNS

# Normalised source header (transforms.readers.normalise_header) → canonical column.
COLUMN_ALIASES: dict[str, str] = {
    # identity
    "id_demarche": "source_demarche_id",
    "id": "source_demarche_id",
    "identifiant": "source_demarche_id",
    "identifiant_demarche": "source_demarche_id",
    "nom_demarche": "title",
    "nom_de_la_demarche": "title",
    "demarche": "title",
    "intitule": "title",
    "intitule_demarche": "title",
    "titre": "title",
    "title": "title",
    "ministere_politique": "ministry",
    "ministere": "ministry",
    "ministere_de_rattachement": "ministry",
    "ref_administration": "administration",
    "administration": "administration",
    "administration_de_rattachement": "administration",
    "organisme": "administration",
    "perimetre_ministeriel_ac_sg": "perimeter",
    "perimetre_ministeriel": "perimeter",
    "perimetre": "perimeter",
    "categories_usagers": "user_categories",
    "categorie_usagers": "user_categories",
    "categories_d_usagers": "user_categories",
    "public_concerne": "user_categories",
    "usagers": "user_categories",
    "url_demarche": "url",
    "url": "url",
    "lien": "url",
    "lien_demarche": "url",
    # indicators
    "statut_en_ligne": "online_status",
    "realisable_en_ligne": "online_status",
    "demarche_realisable_en_ligne": "online_status",
    "volumetrie_totale": "volume_total",
    "volumetrie": "volume_total",
    "volume_total": "volume_total",
    "volumetrie_en_ligne": "volume_online",
    "volume_en_ligne": "volume_online",
    "pct_recours_au_numerique": "digital_uptake",
    "recours_au_numerique": "digital_uptake",
    "taux_de_recours_au_numerique": "digital_uptake",
    "tx_recours_demat": "digital_uptake",
    "taux_recours_demat": "digital_uptake",
    "taux_de_dematerialisation": "digital_uptake",
    "note_satisfaction": "satisfaction",
    "satisfaction": "satisfaction",
    "satisfaction_usagers": "satisfaction",
    "avis_usagers": "satisfaction",
    "prise_en_compte_handicap": "handicap",
    "prise_en_compte_du_handicap": "handicap",
    "taux_audit_rgaa": "accessibility_rate",
    "taux_rgaa_publie": "accessibility_rate",
    "libelle_rgaa": "accessibility_rate",
    "taux_rgaa": "accessibility_rate",
    "accessibilite_rgaa": "accessibility_rate",
    "conformite_rgaa": "accessibility_rate",
    "date_publication_declaration": "accessibility_declaration_date",
    "date_declaration_accessibilite": "accessibility_declaration_date",
    "note_clarte_langage": "clarity",
    "clarte_langage": "clarity",
    "clarte_du_langage": "clarity",
    "simplicite_du_langage": "clarity",
    "simplicite": "clarity",
    "niveau_autonomie": "autonomy",
    "niveau_d_autonomie": "autonomy",
    "aide_joignable": "help_reachable",
    "joignabilite": "help_reachable",
    "aide_efficace": "help_efficiency",
    "efficacite_de_l_aide": "help_efficiency",
    "franceconnect": "franceconnect",
    "france_connect": "franceconnect",
    "identification_franceconnect": "franceconnect",
    "score_dlnuf": "dlnuf",
    "dlnuf": "dlnuf",
    "dites_le_nous_une_fois": "dlnuf",
    "taux_dispo": "uptime",
    "taux_disponibilite": "uptime",
    "taux_de_disponibilite": "uptime",
    "disponibilite": "uptime",
    "tps_moy_chargement": "response_time_ms",
    "temps_moyen_chargement": "response_time_ms",
    "temps_moyen_de_chargement": "response_time_ms",
    "temps_de_reponse": "response_time_ms",
}
# Headers whose tail varies between editions ("Date_Publication_Declaration_(…)"): prefix match.
COLUMN_PREFIX_ALIASES: dict[str, str] = {
    "date_publication_declaration_": "accessibility_declaration_date",
    "date_de_publication_de_la_declaration": "accessibility_declaration_date",
    "pct_recours_au_numerique_": "digital_uptake",
    "tps_moy_chargement_": "response_time_ms",
    "temps_moyen_de_chargement_": "response_time_ms",
    "taux_dispo_": "uptime",
    "volumetrie_totale_": "volume_total",
    "volumetrie_en_ligne_": "volume_online",
}

HEADER_SEARCH_ROWS = 30
HEADER_MIN_MATCHES = 3


def canonical_column(header: str) -> str | None:
    """The canonical column of a source header, or None when it is not a known name."""
    key = normalise_header(header)
    if not key:
        return None
    if key in COLUMN_ALIASES:
        return COLUMN_ALIASES[key]
    for prefix, column in COLUMN_PREFIX_ALIASES.items():
        if key.startswith(prefix):
            return column
    return None


# --------------------------------------------------------------------------------------------
# Reading an edition
# --------------------------------------------------------------------------------------------


@dataclass
class EditionTable:
    """One edition as read: one row per démarche, every cell as text.

    `frame` columns: `source_row` (1-based sheet row), the identity columns, one column per
    canonical indicator (null when the edition lacks it; see `header_map`), `extra` (JSON text).
    """

    frame: pl.DataFrame
    header_map: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)
    file: str = ""
    header_row: int = 1

    @property
    def present_columns(self) -> set[str]:
        return set(self.header_map.values())


def render_cell(value: Any) -> str | None:
    """A spreadsheet cell as the text a reader sees: 12.0 → "12", dates ISO, empty → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def _read_spreadsheet(path: Path) -> list[list[str | None]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise SourceFormatError(path.name, "file_not_empty", "the workbook has no sheet")
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except SourceFormatError:
        raise
    except Exception as exc:  # calamine raises several unrelated exception types
        raise SourceFormatError(
            path.name, "file_parseable", f"not a readable spreadsheet: {exc}"
        ) from exc
    return [[render_cell(cell) for cell in row] for row in rows]


def _read_delimited(path: Path) -> list[list[str | None]]:
    """A CSV whose header may follow title lines: the delimiter is sniffed on the busiest line."""
    text = decode_text(path.read_bytes(), path.name)
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    sample = max(lines, key=lambda line: sum(line.count(d) for d in ";,\t"), default="")
    delimiter = sniff_delimiter(sample)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise SourceFormatError(path.name, "file_parseable", f"malformed CSV: {exc}") from exc
    return [[cell if cell.strip() else None for cell in record] for record in records]


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_rows(path: Path) -> list[list[str | None]]:
    """Every row of the first sheet (or of the CSV) as text cells, row i = sheet row i + 1."""
    if not path.exists():
        raise SourceFormatError(path.name, "file_parseable", "the file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path.name, "file_not_empty", "the file is empty")
    check_table_file(path)  # size and shape bounded before any reader allocates for them
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods") or _is_zip(path):
        return _read_spreadsheet(path)
    return _read_delimited(path)


def _find_header(rows: list[list[str | None]], file: str) -> int:
    """Index of the header row: the first row naming the title and ≥ 3 known columns."""
    best: tuple[int, int, set[str]] = (-1, 0, set())
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {c for c in (canonical_column(cell) for cell in row if cell) if c}
        if len(known) >= HEADER_MIN_MATCHES and "title" in known:
            return index
        if len(known) > best[1]:
            best = (index, len(known), known)
    if best[0] < 0:
        raise SourceFormatError(
            file,
            "required_column_present",
            f"no header row naming known observatory columns in the first "
            f"{HEADER_SEARCH_ROWS} rows",
            column="title",
        )
    names = ", ".join(sorted(best[2]))
    raise SourceFormatError(
        file,
        "required_column_present",
        f"the header row (known columns: {names}) has no démarche name column (e.g. Nom_Demarche)",
        column="title",
        row=best[0] + 1,
    )


def read_edition(path: Path) -> EditionTable:
    """Read one edition file (CSV, XLSX or ODS, first sheet) into an `EditionTable`.

    The header row is the first of the first 30 rows naming the démarche title and at least 3
    known columns; rows above it (titles, notes) are ignored. A header maps to a canonical column
    through `COLUMN_ALIASES` after `normalise_header`; a second header mapping to an already
    mapped column, and every unknown header, is kept in `extra` (JSON object, source header →
    cell text). Empty rows and notes (rows with at most one filled cell, e.g. a "Source : …"
    footer) are skipped.
    """
    path = Path(path)
    rows = read_rows(path)
    if not any(any(cell is not None for cell in row) for row in rows):
        raise SourceFormatError(path.name, "file_not_empty", "the first sheet is empty")
    header_index = _find_header(rows, path.name)
    header = rows[header_index]
    width = max(len(row) for row in rows[header_index:])
    header_map: dict[str, str] = {}
    positions: dict[str, int] = {}
    extra_positions: list[tuple[str, int]] = []
    data_rows = rows[header_index + 1 :]
    for position in range(width):
        source = header[position] if position < len(header) else None
        canonical = canonical_column(source) if source else None
        if source and canonical and canonical not in positions:
            header_map[source] = canonical
            positions[canonical] = position
        elif source:
            extra_positions.append((source.strip(), position))
        elif any(position < len(row) and row[position] is not None for row in data_rows):
            extra_positions.append((f"column_{position + 1}", position))

    records: dict[str, list[Any]] = {name: [] for name in ("source_row", *CANONICAL_COLUMNS)}
    extras: list[str] = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        filled = [cell for cell in row if cell is not None]
        if not filled:
            continue
        if len(filled) <= 1:
            continue  # a note or footer ("Source : …"): a démarche fills more than one cell
        records["source_row"].append(index + 1)
        for column in CANONICAL_COLUMNS:
            position = positions.get(column)
            value = row[position] if position is not None and position < len(row) else None
            records[column].append(value)
        extra = {
            name: (row[position] if position < len(row) else None)
            for name, position in extra_positions
        }
        extras.append(json.dumps(extra, ensure_ascii=False))
    if not records["source_row"]:
        raise SourceFormatError(
            path.name, "file_not_empty", "the sheet has a header but no démarche row"
        )
    schema: dict[str, Any] = {"source_row": pl.Int64, **dict.fromkeys(CANONICAL_COLUMNS, pl.Utf8)}
    frame = pl.DataFrame(records, schema=schema).with_columns(
        pl.Series("extra", extras, dtype=pl.Utf8)
    )
    unknown = [name for name, _ in extra_positions]
    return EditionTable(
        frame=frame,
        header_map=header_map,
        unknown_columns=unknown,
        file=path.name,
        header_row=header_index + 1,
    )


# --------------------------------------------------------------------------------------------
# Decoding values
# --------------------------------------------------------------------------------------------

NULL_REASONS: tuple[str, ...] = (
    "a_venir",
    "non_applicable",
    "avis_insuffisants",
    "non_renseigne",
    "valeur_inconnue",
)
# One level vocabulary for every indicator, the observatory's colours: the source's labels
# Optimal / Partiel / Faible (DLNUF, uptime, response time) are green / orange / red.
LEVELS: tuple[str, ...] = ("green", "orange", "red")

# Cell text (normalise_header form) → null reason. Cells of punctuation only ("–", "-") and
# empty cells normalise to "" → non_renseigne.
_NULL_MARKERS: dict[str, str] = {
    "a_venir": "a_venir",
    "non_applicable": "non_applicable",
    "n_a": "non_applicable",
    "na": "non_applicable",
    "sans_objet": "non_applicable",
    "non_concerne": "non_applicable",
    "nombre_d_avis_insuffisant": "avis_insuffisants",
    "nombre_d_avis_insuffisants": "avis_insuffisants",
    "avis_insuffisants": "avis_insuffisants",
    "nb_d_avis_insuffisant": "avis_insuffisants",
    "": "non_renseigne",
    "nc": "non_renseigne",
    "n_c": "non_renseigne",
    "nd": "non_renseigne",
    "non_renseigne": "non_renseigne",
    "non_disponible": "non_renseigne",
}

# Status values (normalise_header form) → (code, level).
STATUS_VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "online_status": {
        "oui": ("oui", "green"),
        "demarche_proactive": ("demarche_proactive", "green"),
        "proactive": ("demarche_proactive", "green"),
        "partiel": ("partiel", "orange"),
        "partiellement": ("partiel", "orange"),
        "en_cours_de_deploiement_local": ("en_cours_deploiement_local", "orange"),
        "en_cours_deploiement_local": ("en_cours_deploiement_local", "orange"),
        "non": ("non", "red"),
    },
    "handicap": {
        "oui": ("oui", "green"),
        "partiel": ("partiel", "orange"),
        "non": ("non", "red"),
    },
}
FRANCECONNECT_VALUES: dict[str, tuple[str, str]] = {
    "franceconnect": ("franceconnect", "green"),
    "franceconnectplus": ("franceconnect_plus", "green"),
    "fc": ("franceconnect", "green"),
    "fcplus": ("franceconnect_plus", "green"),
    "non": ("non", "red"),
}
# Accessibility written as a word instead of a rate.
ACCESSIBILITY_WORDS: dict[str, tuple[float | None, str, str]] = {
    "oui": (100.0, "oui", "green"),
    "partiel": (None, "partiel", "orange"),
    "non": (None, "non", "red"),
}
STATUS_CODES: dict[str, tuple[str, ...]] = {
    "online_status": (
        "oui",
        "partiel",
        "en_cours_deploiement_local",
        "non",
        "demarche_proactive",
    ),
    "handicap": ("oui", "partiel", "non"),
    "franceconnect": ("franceconnect", "franceconnect_plus", "non"),
    "accessibility_rate": ("oui", "partiel", "non"),
}

DECODED_SCHEMA: dict[str, Any] = {
    "edition_id": pl.Utf8,
    "source_row": pl.Int64,
    "indicator": pl.Utf8,
    "value_num": pl.Float64,
    "value_text": pl.Utf8,
    "level": pl.Utf8,
    "raw": pl.Utf8,
    "null_reason": pl.Utf8,
    "decode_issue": pl.Utf8,
    "note": pl.Utf8,
}

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")


@dataclass
class Decoded:
    value_num: float | None = None
    value_text: str | None = None
    level: str | None = None
    null_reason: str | None = None
    decode_issue: str | None = None
    note: str | None = None


def null_reason(raw: str | None) -> str | None:
    """The null reason of a cell meaning "no value" (« À venir », « – », empty…), else None."""
    if raw is None:
        return "non_renseigne"
    key = normalise_header(raw.replace("\u2019", "'"))
    return _NULL_MARKERS.get(key)


def parse_number(text: str) -> float | None:
    """ "12 345" → 12345, "7,8" → 7.8, "1.234,5" → 1234.5, "0.45" → 0.45; None if not a number.

    A comma is a decimal separator (French); when both comma and dot appear, the last one is.
    """
    cleaned = _SPACES.sub("", text.strip()).lower()
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.match(cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def split_percent(text: str) -> tuple[float | None, bool]:
    """(number, written with a % sign): "45 %" → (45.0, True), "0,45" → (0.45, False)."""
    stripped = text.strip()
    explicit = stripped.endswith("%")
    return parse_number(stripped.rstrip("%").strip()), explicit


def percent_scale(values: Iterable[str | None]) -> float:
    """The factor turning the bare numbers of one rate column of one edition into 0–100.

    Rates are stored as percentages 0–100. Editions write them either as fractions 0–1 (a cell
    formatted "%" in a spreadsheet holds 0.45) or as 0–100; a cell written with a "%" sign
    ("45 %") is always on 0–100 and is never rescaled. For the bare numbers of the column:

    - any bare number > 1 → the column is on 0–100 (factor 1);
    - else any bare number strictly between 0 and 1 → the column is on 0–1 (factor 100);
    - else (only 0 and 1, or no bare number): if "%" cells exist the column is on 0–100
      (factor 1), otherwise 0/1 read as fractions (0 % and 100 %, factor 100) — a column where
      every démarche scores exactly 0 % or 1 % is far less likely than 0 % / 100 %. Callers
      flag such cells in `note` (`percent_scale_ambiguous`).
    """
    return _percent_scale(values)[0]


def _percent_scale(values: Iterable[str | None]) -> tuple[float, bool]:
    bare: list[float] = []
    explicit = False
    for value in values:
        if value is None or null_reason(value):
            continue
        number, has_sign = split_percent(value)
        if number is None:
            continue
        if has_sign:
            explicit = True
        else:
            bare.append(number)
    if any(v > 1 for v in bare):
        return 1.0, False
    if any(0 < v < 1 for v in bare):
        return 100.0, False
    if explicit:
        return 1.0, False
    return 100.0, bool(bare)


def _level_note(value: float) -> str:
    return "green" if value >= 8 else "orange" if value >= 5 else "red"


def _level_dlnuf(value: float) -> str:
    return "green" if value <= 1 else "orange" if value <= 4 else "red"


def _level_uptime(value: float) -> str:
    return "green" if value > 99.9 else "orange" if value >= 98.5 else "red"


def _level_response(value: float) -> str:
    return "green" if value < 400 else "orange" if value < 800 else "red"


def _level_accessibility(value: float) -> str:
    return "green" if value >= 100 else "orange" if value >= 50 else "red"


def _unknown(indicator: str, raw: str, expected: str) -> Decoded:
    return Decoded(
        null_reason="valeur_inconnue",
        decode_issue=f"{indicator}: unknown value {raw.strip()!r} (expected {expected})",
    )


_NOTE = re.compile(r"^\s*([^/]+?)\s*(?:/\s*(\d+(?:[.,]\d+)?)\s*)?$")
_DATE_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(.*)$", re.DOTALL)
_DATE_YMD = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?(.*)$", re.DOTALL
)
_DURATION = re.compile(r"^\s*(.+?)\s*(ms|s|sec|secondes?)?\s*$", re.IGNORECASE)


def _decode_note(indicator: str, raw: str) -> Decoded:
    match = _NOTE.match(raw)
    number = parse_number(match.group(1)) if match else None
    if match is None or number is None:
        return _unknown(indicator, raw, 'a note such as "7,8 / 10"')
    denominator = parse_number(match.group(2)) if match.group(2) else 10.0
    if not denominator:
        return _unknown(indicator, raw, 'a note such as "7,8 / 10"')
    value = round(number * 10.0 / denominator, 6)
    return Decoded(value_num=value, level=_level_note(value))


def _decode_rate(indicator: str, raw: str, scale: float, ambiguous: bool) -> Decoded:
    if indicator == "accessibility_rate":
        word = ACCESSIBILITY_WORDS.get(normalise_header(raw))
        if word:
            return Decoded(value_num=word[0], value_text=word[1], level=word[2])
    number, explicit = split_percent(raw)
    if number is None:
        expected = "a rate, Oui, Partiel or Non" if indicator == "accessibility_rate" else "a rate"
        return _unknown(indicator, raw, expected)
    value = number if explicit else round(number * scale, 6)
    note = "percent_scale_ambiguous" if ambiguous and not explicit else None
    level = None
    if indicator == "uptime":
        level = _level_uptime(value)
    elif indicator == "accessibility_rate":
        level = _level_accessibility(value)
    return Decoded(value_num=value, level=level, note=note)


def _decode_count(indicator: str, raw: str) -> Decoded:
    number = parse_number(raw)
    if number is None:
        return _unknown(indicator, raw, "a number")
    level = _level_dlnuf(number) if indicator == "dlnuf" else None
    return Decoded(value_num=number, level=level)


def _decode_response_time(indicator: str, raw: str) -> Decoded:
    match = _DURATION.match(raw)
    number = parse_number(match.group(1)) if match else None
    if match is None or number is None:
        return _unknown(indicator, raw, "a duration in ms")
    unit = (match.group(2) or "ms").lower()
    value = number if unit == "ms" else round(number * 1000.0, 6)
    return Decoded(value_num=value, level=_level_response(value))


def _decode_date(indicator: str, raw: str) -> Decoded:
    if match := _DATE_DMY.match(raw):
        day, month, year, rest = match.groups()
    elif match := _DATE_YMD.match(raw):
        year, month, day, rest = match.groups()
    else:
        return _unknown(indicator, raw, "a date dd/mm/yyyy")
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        return _unknown(indicator, raw, "a valid date dd/mm/yyyy")
    note = rest.strip().strip("()[]").strip() or None
    return Decoded(value_text=parsed.isoformat(), note=note)


def _decode_status(indicator: str, raw: str) -> Decoded:
    vocabulary = STATUS_VALUES[indicator]
    found = vocabulary.get(normalise_header(raw))
    if not found:
        expected = " / ".join(sorted({code for code, _ in vocabulary.values()}))
        return _unknown(indicator, raw, expected)
    return Decoded(value_text=found[0], level=found[1])


def _decode_franceconnect(indicator: str, raw: str) -> Decoded:
    key = strip_accents(raw).lower().replace("+", "plus")
    key = re.sub(r"[^a-z]+", "", key)
    found = FRANCECONNECT_VALUES.get(key)
    if not found:
        return _unknown(indicator, raw, "FranceConnect / FranceConnect + / Non / Non applicable")
    return Decoded(value_text=found[0], level=found[1])


def decode_value(
    indicator: str, raw: str | None, scale: float = 1.0, ambiguous: bool = False
) -> Decoded:
    """Decode one cell of one indicator column (`scale`: see `percent_scale`, rates only)."""
    reason = null_reason(raw)
    if reason or raw is None:
        return Decoded(null_reason=reason or "non_renseigne")
    kind = INDICATORS[indicator].kind
    if kind == "status":
        return _decode_status(indicator, raw)
    if kind == "franceconnect":
        return _decode_franceconnect(indicator, raw)
    if kind == "note":
        return _decode_note(indicator, raw)
    if kind in ("rate", "uptime"):
        return _decode_rate(indicator, raw, scale, ambiguous)
    if kind in ("count", "dlnuf"):
        return _decode_count(indicator, raw)
    if kind == "response_time":
        return _decode_response_time(indicator, raw)
    if kind == "date":
        return _decode_date(indicator, raw)
    return Decoded(value_text=raw.strip())


def decode_indicators(table: EditionTable, edition_id: str) -> pl.DataFrame:
    """One row per démarche × indicator present in the edition, decoded.

    Columns: `edition_id, source_row, indicator, value_num (Float64), value_text, level
    (green/orange/red), raw (cell text), null_reason, decode_issue, note`. Notes are on 0–10,
    rates on 0–100 (scale decided per column of this edition, see `percent_scale`), times in ms,
    dates as ISO text in `value_text` with any trailing text ("périmée") in `note`. A cell meaning
    "no value" gets value NULL and a `null_reason` (a_venir, non_applicable, avis_insuffisants,
    non_renseigne), never 0; a value outside the vocabulary gets `null_reason` valeur_inconnue and
    a `decode_issue` (the cell is quarantined with a warning, the edition still loads).
    """
    present = [c for c in INDICATOR_COLUMNS if c in table.present_columns]
    rows: list[dict[str, Any]] = []
    source_rows = table.frame["source_row"].to_list()
    for indicator in present:
        cells = table.frame[indicator].to_list()
        scale, ambiguous = 1.0, False
        if INDICATORS[indicator].kind in ("rate", "uptime"):
            scale, ambiguous = _percent_scale(cells)
        for source_row, raw in zip(source_rows, cells, strict=True):
            decoded = decode_value(indicator, raw, scale, ambiguous)
            rows.append(
                {
                    "edition_id": edition_id,
                    "source_row": source_row,
                    "indicator": indicator,
                    "value_num": decoded.value_num,
                    "value_text": decoded.value_text,
                    "level": decoded.level,
                    "raw": raw,
                    "null_reason": decoded.null_reason,
                    "decode_issue": decoded.decode_issue,
                    "note": decoded.note,
                }
            )
    return pl.DataFrame(rows, schema=DECODED_SCHEMA)


def split_user_categories(text: str | None) -> list[str]:
    """ "Particuliers ; Professionnels;" → ["Particuliers", "Professionnels"] (order kept)."""
    if text is None:
        return []
    seen: list[str] = []
    for part in text.split(";"):
        value = " ".join(part.split())
        if value and value not in seen:
            seen.append(value)
    return seen


# --------------------------------------------------------------------------------------------
# Administrations and identity across editions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Administration:
    administration_id: str
    name: str
    ministry: str
    aliases: tuple[str, ...]


def _admin_key(text: str) -> str:
    key = normalise_header(text.replace("\u2019", "'"))
    return re.sub(r"^(l|la|le|les)_", "", key)


@cache
def administrations() -> tuple[Administration, ...]:
    """The reference table `transforms/reference/administrations.csv`."""
    path = REFERENCE_DIR / "administrations.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Administration(
                administration_id=row["administration_id"].strip(),
                name=row["name"].strip(),
                ministry=row["ministry"].strip(),
                aliases=tuple(a.strip() for a in row["aliases"].split("|") if a.strip()),
            )
            for row in csv.DictReader(handle)
        )


@cache
def _administration_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for admin in administrations():
        for name in (admin.administration_id, admin.name, *admin.aliases):
            index.setdefault(_admin_key(name), admin.administration_id)
    return index


def normalise_administration(name: str | None) -> str | None:
    """The `administration_id` of an administration name or alias; None when unknown.

    Matching is exact after normalisation (case, accents, punctuation, a leading article); a
    name with a parenthesis ("Assurance Maladie (CNAM)") is also tried without it and by its
    content. Nothing is guessed: an unlisted name gives None.
    """
    if name is None or not name.strip():
        return None
    index = _administration_index()
    candidates = [name]
    if match := re.match(r"^(.*?)\((.*?)\)(.*)$", name):
        candidates += [match.group(1) + match.group(3), match.group(2)]
    candidates += [part for part in re.split(r"\s+[-–—/]\s+", name) if part != name]
    for candidate in candidates:
        found = index.get(_admin_key(candidate))
        if found:
            return found
    return None


def normalise_title(title: str) -> str:
    """The form titles are compared in: accents, case, punctuation and spacing dropped."""
    return normalise_header(title.replace("\u2019", "'"))


@dataclass(frozen=True)
class Rename:
    from_title: str
    to_title: str
    administration: str | None
    note: str = ""


def load_renames(path: Path | None = None) -> tuple[Rename, ...]:
    """The rename table (from_title, to_title, administration, note); default: the shipped one."""
    path = path or REFERENCE_DIR / "demarche_renames.csv"
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Rename(
                from_title=row["from_title"].strip(),
                to_title=row["to_title"].strip(),
                administration=(row.get("administration") or "").strip() or None,
                note=(row.get("note") or "").strip(),
            )
            for row in csv.DictReader(handle)
        )


def _admin_part(administration: str | None) -> str:
    if administration is None or not administration.strip():
        return "inconnue"
    return normalise_administration(administration) or _admin_key(administration)


def _rename_applies(rename: Rename, admin_part: str) -> bool:
    return rename.administration is None or _admin_part(rename.administration) == admin_part


def title_aliases(
    title: str, administration: str | None, renames: Iterable[Rename] = ()
) -> list[str]:
    """Every normalised title the démarche has had, the oldest first.

    Follows the rename table backwards (to_title → from_title) to the oldest title, then
    forwards, within the same administration (or renames listed without administration).
    """
    admin = _admin_part(administration)
    applicable = [r for r in renames if _rename_applies(r, admin)]
    backwards = {normalise_title(r.to_title): normalise_title(r.from_title) for r in applicable}
    forwards: dict[str, list[str]] = {}
    for r in applicable:
        forwards.setdefault(normalise_title(r.from_title), []).append(normalise_title(r.to_title))
    oldest = normalise_title(title)
    seen = {oldest}
    while oldest in backwards and backwards[oldest] not in seen:
        oldest = backwards[oldest]
        seen.add(oldest)
    ordered = [oldest]
    queue = [oldest]
    while queue:
        for newer in forwards.get(queue.pop(0), []):
            if newer not in ordered:
                ordered.append(newer)
                queue.append(newer)
    if normalise_title(title) not in ordered:
        ordered.append(normalise_title(title))
    return ordered


def _clean_id(source_demarche_id: str | None) -> str | None:
    if source_demarche_id is None:
        return None
    text = source_demarche_id.strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text or None


def demarche_key(
    source_demarche_id: str | None,
    title: str | None,
    administration: str | None,
    *,
    renames: Iterable[Rename] = (),
    known_ids: Mapping[tuple[str, str], str] | None = None,
    edition_id: str | None = None,
) -> str:
    """The stable key of a démarche across editions.

    1. The source's own identifier when the edition has one: `id:<ID_Demarche>`.
    2. Else an identifier known for that title: `known_ids` maps (edition_id, title) → ID, with
       "*" as edition for "any edition" (build it with `known_ids_from`); every title the
       démarche has had through the rename table is tried, the given edition first.
    3. Else `t:<oldest normalised title>@<administration>`: the title as first known through the
       rename table (`transforms/reference/demarche_renames.csv`), normalised by
       `normalise_title`, and the administration's reference id, or its normalised name when it
       is not in the reference table ("inconnue" when empty). A rename thus keeps the key of the
       first title; a rename not listed in the table starts a new key.
    """
    cleaned = _clean_id(source_demarche_id)
    if cleaned:
        return f"id:{cleaned}"
    if title is None or not normalise_title(title):
        raise ValueError("a démarche without identifier needs a title")
    aliases = title_aliases(title, administration, renames)
    if known_ids:
        normalised = normalise_known_ids(known_ids)
        for edition in (edition_id, "*"):
            for alias in [normalise_title(title), *aliases]:
                found = normalised.get((edition or "*", alias))
                if found:
                    return f"id:{_clean_id(found)}"
    return f"t:{aliases[0]}@{_admin_part(administration)}"


class _NormalisedIds(dict[tuple[str, str], str]):
    """A `known_ids` mapping whose titles are already normalised (built once per edition)."""


def normalise_known_ids(known_ids: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """`known_ids` with titles in `normalise_title` form (idempotent, cheap when already done)."""
    if isinstance(known_ids, _NormalisedIds):
        return known_ids
    return _NormalisedIds(
        ((edition, normalise_title(title)), identifier)
        for (edition, title), identifier in known_ids.items()
    )


def known_ids_from(table: EditionTable) -> dict[tuple[str, str], str]:
    """("*", title) → source ID for the titles of an edition carrying IDs (unique titles only)."""
    frame = table.frame.filter(
        pl.col("source_demarche_id").is_not_null() & pl.col("title").is_not_null()
    )
    counts: dict[str, int] = {}
    for title in frame["title"].to_list():
        counts[normalise_title(title)] = counts.get(normalise_title(title), 0) + 1
    return {
        ("*", title): str(_clean_id(identifier))
        for title, identifier in zip(
            frame["title"].to_list(), frame["source_demarche_id"].to_list(), strict=True
        )
        if counts[normalise_title(title)] == 1
    }


def demarches(
    table: EditionTable,
    edition: Edition | str,
    *,
    renames: Iterable[Rename] | None = None,
    known_ids: Mapping[tuple[str, str], str] | None = None,
) -> pl.DataFrame:
    """The per-démarche frame of an edition (what `expectations/observatoire.json` checks).

    Columns: `edition_id, source_row, demarche_key, source_demarche_id, title, ministry,
    administration, administration_id (null when unknown), perimeter, user_categories
    (list of text, split on ";"), url, extra`. `renames` defaults to the shipped rename table.
    """
    edition_id = edition.edition_id if isinstance(edition, Edition) else edition
    rename_rows = tuple(load_renames() if renames is None else renames)
    if known_ids:
        known_ids = normalise_known_ids(known_ids)
    frame = table.frame
    keys = [
        demarche_key(
            identifier,
            title,
            admin,
            renames=rename_rows,
            known_ids=known_ids,
            edition_id=edition_id,
        )
        if identifier or (title and normalise_title(title))
        else None
        for identifier, title, admin in zip(
            frame["source_demarche_id"].to_list(),
            frame["title"].to_list(),
            frame["administration"].to_list(),
            strict=True,
        )
    ]
    admin_ids = [normalise_administration(a) for a in frame["administration"].to_list()]
    categories = [split_user_categories(c) for c in frame["user_categories"].to_list()]
    return pl.DataFrame(
        {
            "edition_id": [edition_id] * frame.height,
            "source_row": frame["source_row"],
            "demarche_key": pl.Series(keys, dtype=pl.Utf8),
            "source_demarche_id": frame["source_demarche_id"],
            "title": frame["title"],
            "ministry": frame["ministry"],
            "administration": frame["administration"],
            "administration_id": pl.Series(admin_ids, dtype=pl.Utf8),
            "perimeter": frame["perimeter"],
            "user_categories": pl.Series(categories, dtype=pl.List(pl.Utf8)),
            "url": frame["url"],
            "extra": frame["extra"],
        }
    )


# Parameters of the suites `observatoire` / `observatoire_values` (expectations/*.json).
SUITE_PARAMETERS: dict[str, int] = {"min_demarches": 150, "max_demarches": 350}
