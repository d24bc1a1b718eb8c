"""Reading an edition file: the sheet's rows as text, the header row, canonical columns."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits, check_row_widths, check_table_file
from transforms.observatoire.editions import data_period
from transforms.observatoire.indicators import INDICATOR_COLUMNS
from transforms.readers import decode_text, normalise_header, sniff_delimiter

IDENTITY_COLUMNS: tuple[str, ...] = (
    "source_demarche_id",
    "title",
    "ministry",
    "administration",
    "perimeter",
    "user_categories",
    "url",
)

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
    "autonomie": "autonomy",
    "taux_autonomie": "autonomy",
    "taux_d_autonomie": "autonomy",
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


@dataclass
class EditionTable:
    """One edition as read: one row per démarche, every cell as text.

    `frame` columns: `source_row` (1-based sheet row), the identity columns, one column per
    canonical indicator (null when the edition lacks it; see `header_map`), `extra` (JSON text).
    `data_period`: the quarter the data covers ("2025-Q3"), when the sheet name or a title row
    names it (see `editions.data_period`); the edition itself is its publication month.
    """

    frame: pl.DataFrame
    header_map: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)
    file: str = ""
    header_row: int = 1
    sheet: str | None = None
    data_period: str | None = None

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


def _read_spreadsheet(path: Path) -> tuple[str, list[list[str | None]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise SourceFormatError(path.name, "file_not_empty", "the workbook has no sheet")
        name = workbook.sheet_names[0]
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except SourceFormatError:
        raise
    except Exception as exc:  # calamine raises several unrelated exception types
        raise SourceFormatError(
            path.name, "file_parseable", f"not a readable spreadsheet: {exc}"
        ) from exc
    return name, [[render_cell(cell) for cell in row] for row in rows]


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
    return read_sheet(path)[1]


def read_sheet(
    path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[str | None, list[list[str | None]]]:
    """(name of the first sheet, None for a CSV; its rows as in `read_rows`)."""
    if not path.exists():
        raise SourceFormatError(path.name, "file_parseable", "the file does not exist")
    if path.stat().st_size == 0:
        raise SourceFormatError(path.name, "file_not_empty", "the file is empty")
    check_table_file(path, limits)  # size and shape bounded before any reader allocates for them
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods") or _is_zip(path):
        sheet, rows = _read_spreadsheet(path)
    else:
        sheet, rows = None, _read_delimited(path)
    check_row_widths(rows, path.name, limits)  # cells bounded before any is decoded
    return sheet, rows


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


def read_edition(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> EditionTable:
    """Read one edition file (CSV, XLSX or ODS, first sheet) into an `EditionTable`.

    The header row is the first of the first 30 rows naming the démarche title and at least 3
    known columns; rows above it (titles, notes) are ignored. A header maps to a canonical column
    through `COLUMN_ALIASES` after `normalise_header`; a second header mapping to an already
    mapped column, and every unknown header, is kept in `extra` (JSON object, source header →
    cell text). Empty rows and notes (rows with at most one filled cell, e.g. a "Source : …"
    footer) are skipped.
    """
    path = Path(path)
    sheet, rows = read_sheet(path, limits)
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
        sheet=sheet,
        data_period=_data_period(sheet, rows[:header_index]),
    )


def _data_period(sheet: str | None, title_rows: list[list[str | None]]) -> str | None:
    """The quarter the sheet name names (« Chiffres VDE T3-25 »), else the title rows above
    the header."""
    texts = [sheet, *(cell for row in title_rows for cell in row if cell)]
    return next((found for text in texts if (found := data_period(text))), None)
