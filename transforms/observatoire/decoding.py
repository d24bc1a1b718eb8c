"""Decoding the cells of an edition into typed, levelled indicator values."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from transforms.observatoire.indicators import (
    DECODED_SCHEMA,
    INDICATOR_COLUMNS,
    INDICATORS,
    Label,
    label_key,
    labels,
)
from transforms.observatoire.reading import EditionTable

# Decoded numbers are rounded to 6 decimals: the binary noise of spreadsheet floats
# (8.6999999999999993, 0.57 × 100 = 56.99999999999999) goes, every published digit stays.
DECIMALS = 6
# Excel serial day numbers read as dates in a date column (1954-10-03 … 2119-01-10): a CSV
# export of a date-formatted cell holds the serial, not the date.
EXCEL_SERIALS = (20_000, 80_000)
EXCEL_EPOCH = date(1899, 12, 30)

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


def find_label(indicator: str, raw: str) -> Label | None:
    """The label a cell's text is, from the label table: the indicator's own labels first (its
    « Démarche proactive » is a status), then those of every indicator (« À venir »…)."""
    table = labels()
    key = label_key(raw)
    return table.get(indicator, {}).get(key) or table.get("*", {}).get(key)


def null_reason(raw: str | None, indicator: str = "*") -> str | None:
    """The null reason of a cell meaning "no value" (« À venir », « – », empty…), else None."""
    if raw is None:
        return "non_renseigne"
    found = find_label(indicator, raw)
    return found.null_reason if found else None


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


def _percent_scale(values: Iterable[str | None], indicator: str = "*") -> tuple[float, bool]:
    bare: list[float] = []
    explicit = False
    for value in values:
        if value is None or find_label(indicator, value):
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


def _clean(value: float) -> float:
    return round(value, DECIMALS)


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
    value = _clean(number * 10.0 / denominator)
    return Decoded(value_num=value, level=_level_note(value))


def _decode_rate(indicator: str, raw: str, scale: float, ambiguous: bool) -> Decoded:
    number, explicit = split_percent(raw)
    if number is None:
        return _unknown(indicator, raw, _expected(indicator, "a rate"))
    value = _clean(number if explicit else number * scale)
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
        return _unknown(indicator, raw, _expected(indicator, "a number"))
    number = _clean(number)
    level = _level_dlnuf(number) if indicator == "dlnuf" else None
    return Decoded(value_num=number, level=level)


def _decode_response_time(indicator: str, raw: str) -> Decoded:
    match = _DURATION.match(raw)
    number = parse_number(match.group(1)) if match else None
    if match is None or number is None:
        return _unknown(indicator, raw, "a duration in ms")
    unit = (match.group(2) or "ms").lower()
    value = _clean(number if unit == "ms" else number * 1000.0)
    return Decoded(value_num=value, level=_level_response(value))


def _decode_date(indicator: str, raw: str) -> Decoded:
    serial = parse_number(raw)
    if (
        serial is not None
        and serial.is_integer()
        and EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]
    ):
        return Decoded(value_text=(EXCEL_EPOCH + timedelta(days=int(serial))).isoformat())
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
    # "08/04/2022\n(périmée)\n": the source's legend is red = expired, orange = soon expired.
    note = " ".join(rest.strip().strip("()[]").split()) or None
    key = label_key(note or "")
    level = "orange" if "bientot" in key else "red" if "perime" in key or "expire" in key else None
    return Decoded(value_text=parsed.isoformat(), level=level, note=note)


def _expected(indicator: str, what: str | None = None) -> str:
    own = [label.label for label in labels().get(indicator, {}).values()]
    return " / ".join(([what] if what else []) + own)


def decode_value(
    indicator: str, raw: str | None, scale: float = 1.0, ambiguous: bool = False
) -> Decoded:
    """Decode one cell of one indicator column (`scale`: see `percent_scale`, rates only).

    A label of the label table wins (« Oui », « Non conforme », « À venir », the RGAA « Non »:
    no audit); else the cell is read by the indicator's kind; else it is unknown
    (null_reason valeur_inconnue and a decode_issue naming the value and what was expected).
    """
    if raw is None:
        return Decoded(null_reason="non_renseigne")
    if found := find_label(indicator, raw):
        return Decoded(
            value_num=found.value_num,
            value_text=found.value_text,
            level=found.level,
            null_reason=found.null_reason,
        )
    kind = INDICATORS[indicator].kind
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
    if kind == "status":
        return _unknown(indicator, raw, _expected(indicator))
    return Decoded(value_text=raw.strip())


def decode_indicators(table: EditionTable, edition_id: str) -> pl.DataFrame:
    """One row per démarche × indicator present in the edition, decoded.

    Columns: `edition_id, source_row, indicator, value_num (Float64), value_text, level
    (green/orange/red), raw (cell text), null_reason, decode_issue, note`. Notes are on 0–10,
    rates on 0–100 (scale decided per column of this edition, see `percent_scale`), times in ms,
    dates as ISO text in `value_text` with any trailing text ("périmée") in `note`. A cell meaning
    "no value" gets value NULL and a `null_reason` (see `NULL_REASONS`), never 0; a value outside
    the vocabulary gets `null_reason` valeur_inconnue and a `decode_issue` naming the source
    column (the cell is quarantined with a warning, the edition still loads).
    """
    headers = {canonical: source for source, canonical in table.header_map.items()}
    present = [c for c in INDICATOR_COLUMNS if c in table.present_columns]
    rows: list[dict[str, Any]] = []
    source_rows = table.frame["source_row"].to_list()
    for indicator in present:
        cells = table.frame[indicator].to_list()
        scale, ambiguous = 1.0, False
        if INDICATORS[indicator].kind in ("rate", "uptime"):
            scale, ambiguous = _percent_scale(cells, indicator)
        for source_row, raw in zip(source_rows, cells, strict=True):
            decoded = decode_value(indicator, raw, scale, ambiguous)
            if decoded.decode_issue and indicator in headers:
                column = " ".join(headers[indicator].split())
                decoded.decode_issue = f"column {column!r}: {decoded.decode_issue}"
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
