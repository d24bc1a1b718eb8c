"""Which edition a file is: its publication month (from a file name or a given id) and number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from transforms.errors import SourceFormatError
from transforms.readers import strip_accents

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


# The quarter an edition's data covers, as its sheet or title names it: « Chiffres VDE T3-25
# (octobre-25) », « T3 2025 », « 3e trimestre 2025 », « Q3-2025 », « 2025-T3 ».
_QUARTER_PATTERNS = (
    re.compile(r"(?<![a-z0-9])[tq]([1-4])[\s_\-./]*(20\d\d|\d\d)(?!\d)"),
    re.compile(r"(?<!\d)([1-4])\s*(?:er|e|eme|nd)?\s*trimestre\s*(?:de\s*)?(20\d\d|\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(20\d\d)[\s_\-./]*[tq]([1-4])(?![0-9])"),
)


def data_period(text: str | None) -> str | None:
    """The quarter a sheet name or title names, as "YYYY-Qn" ("Chiffres VDE T3-25" → "2025-Q3");
    None when it names none. Two-digit years are 20yy."""
    if not text:
        return None
    lowered = strip_accents(text).lower()
    for index, pattern in enumerate(_QUARTER_PATTERNS):
        if match := pattern.search(lowered):
            quarter, year = match.groups() if index < 2 else reversed(match.groups())
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            return f"{full_year}-Q{quarter}"
    return None


def edition_named(*names: str) -> Edition | None:
    """The edition the first of `names` that names one names (a resource's title, then its
    file name), else None."""
    for name in names:
        try:
            return edition_from_name(name)
        except SourceFormatError:
            continue
    return None
