"""Host structures of conseillers numériques (ANCT's map, June 2021) into one frame.

The published JSON array is messy (see `../shared/data/README.md`): `commune_insee` holds the
commune *name* and `insee_com` its code; `code_postal` is an integer that lost its leading zero
(`code_postal_bis` is the padded text); `code_département` is unpadded (`"1"`); `adresse`
holds a line feed; geocoder labels keep Latin-1 escapes (`Ren<e9>`); the 7 structures whose
address is absent carry placeholders (`"0"` for the name and commune, `"null"` for the SIRET)
and the coordinates of a failed geocoding. Here each becomes what it means: text decoded,
codes padded, placeholders null, the coordinates of an absent address dropped.

One row per structure, `source_row` its 1-based position in the array; the check columns
(`departement_consistent`, `address_present`) are read by `expectations/conseillers.json`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits, check_file_size, check_json
from transforms.readers import decode_text

REQUIRED_KEYS = ("id", "nb_cnfs", "france_services", "code_département")
_LATIN1_ESCAPE = re.compile(r"<([0-9a-fA-F]{2})>")
_PLACEHOLDERS = frozenset({"", "0", "null", "none", "nan"})

SCHEMA: dict[str, Any] = {
    "source_row": pl.Int32,
    "structure_id": pl.String,
    "name": pl.String,
    "siret": pl.String,
    "siren": pl.String,
    "structure_type": pl.String,
    "nb_conseillers": pl.Int64,
    "france_services_label": pl.String,
    "france_services": pl.Boolean,
    "validation_date": pl.Date,
    "address": pl.String,
    "commune": pl.String,
    "insee_com": pl.String,
    "postcode": pl.String,
    "dep_code": pl.String,
    "dep_code_geocoded": pl.String,
    "reg_code": pl.String,
    "zrr": pl.Boolean,
    "qpv": pl.Boolean,
    "state_investment_eur": pl.Int64,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "geocoder_score": pl.Float64,
    "geocoder_label": pl.String,
    "geocoded_manually": pl.Boolean,
    "address_present": pl.Boolean,
    "departement_consistent": pl.Boolean,
}


def decode_latin1_escapes(text: str) -> str:
    """`"Ren<e9> Nicod"` → `"René Nicod"`: the geocoder wrote non-ASCII bytes as `<xx>`."""
    return _LATIN1_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]).decode("latin-1"), text)


def pad_departement(code: Any) -> str | None:
    """`"1"` → `"01"`, `"2A"` → `"2A"`, `"974"` → `"974"`; placeholders → None."""
    text = _text(code)
    if text is None:
        return None
    text = text.upper()
    return text.zfill(2) if text.isdigit() and len(text) < 2 else text


def parse_conseillers(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> pl.DataFrame:
    """The structures of one published JSON file (an array of objects)."""
    check_file_size(path, limits)
    text = decode_text(path.read_bytes(), path.name)
    check_json(text, path.name, limits)  # nesting bounded before json.loads recurses
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(
            path.name, "file_parseable", f"not JSON: {exc.msg}", row=exc.lineno
        ) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SourceFormatError(path.name, "file_parseable", "expected a JSON array of objects")
    if not records:
        raise SourceFormatError(path.name, "file_not_empty", "the array is empty")
    missing = [key for key in REQUIRED_KEYS if not any(key in r for r in records)]
    if missing:
        raise SourceFormatError(
            path.name,
            "required_fields_present",
            f"no structure has the field(s) {', '.join(missing)}",
            column=missing[0],
        )
    rows = [_structure(position, record) for position, record in enumerate(records, start=1)]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _structure(position: int, record: dict[str, Any]) -> tuple[Any, ...]:
    address = _text(record.get("adresse"))
    absent = record.get("adresse_absente") == "oui" or address is None
    siret = _text(record.get("siret"))
    dep_code = pad_departement(record.get("code_département"))
    geocoded = pad_departement(record.get("insee_dep"))
    label = _text(record.get("france_services"))
    postcode = _text(record.get("code_postal_bis")) or _postcode(record.get("code_postal"))
    values = {
        "source_row": position,
        "structure_id": _text(record.get("id")),
        "name": _text(record.get("raison_sociale")),
        "siret": siret,
        "siren": siret[:9] if siret and re.fullmatch(r"\d{9}(\d{5})?", siret) else None,
        "structure_type": _text(record.get("type")),
        "nb_conseillers": _integer(record.get("nb_cnfs")),
        "france_services_label": label,
        "france_services": {"oui": True, "non": False}.get(label or ""),
        "validation_date": _date(record.get("date_de_validation_en_comité_de_sélection")),
        "address": re.sub(r"\s*\n\s*", ", ", address) if address else None,
        "commune": _text(record.get("commune_insee")),
        "insee_com": _text(record.get("insee_com")),
        "postcode": postcode,
        "dep_code": dep_code,
        "dep_code_geocoded": geocoded,
        "reg_code": _text(record.get("insee_reg")),
        "zrr": _yes_no(record.get("zrr")),
        "qpv": _yes_no(record.get("qpv")),
        "state_investment_eur": _integer(
            record.get("investissement_financier_estimatif_total_de_l.etat")
        ),
        # A structure without address was geocoded on nothing: its point is no place.
        "latitude": None if absent else _number(record.get("latitude")),
        "longitude": None if absent else _number(record.get("longitude")),
        "geocoder_score": _number(record.get("result_score")),
        "geocoder_label": _text(record.get("result_label")),
        "geocoded_manually": _yes_no(record.get("geocodage_manuel")),
        "address_present": not absent,
        "departement_consistent": geocoded is None or geocoded == dep_code,
    }
    return tuple(values[name] for name in SCHEMA)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = decode_latin1_escapes(str(value)).strip()
    return None if text.lower() in _PLACEHOLDERS else text


def _postcode(value: Any) -> str | None:
    text = _text(value)
    return text.zfill(5) if text and text.isdigit() and len(text) <= 5 else text


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    return int(text) if text and text.lstrip("-").isdigit() else None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(value)
    try:
        return float(text.replace(",", ".")) if text else None
    except ValueError:
        return None


def _yes_no(value: Any) -> bool | None:
    return {"oui": True, "non": False}.get((_text(value) or "").lower())


def _date(value: Any) -> date | None:
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
