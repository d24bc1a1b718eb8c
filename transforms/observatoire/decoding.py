"""Decoding the cells of an edition into typed, levelled indicator values."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from transforms.observatoire.indicators import (
    _NULL_MARKERS,
    ACCESSIBILITY_WORDS,
    DECODED_SCHEMA,
    FRANCECONNECT_VALUES,
    INDICATOR_COLUMNS,
    INDICATORS,
    STATUS_VALUES,
)
from transforms.observatoire.reading import EditionTable
from transforms.readers import normalise_header, strip_accents

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
