"""The indicator vocabulary: each indicator's kind, unit and meaning, and the labels of cells."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from transforms.readers import strip_accents

LABELS_FILE = Path(__file__).parent.parent / "reference" / "observatoire_labels.csv"


@dataclass(frozen=True)
class Indicator:
    """One indicator of the vocabulary: how its cells are decoded, its unit and meaning."""

    name: str
    kind: str
    unit: str
    meaning: str


# kind: status (coded text, through the label table), note (0–10), rate (percent 0–100), count,
# dlnuf, uptime, response_time, date, text (kept verbatim).
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
            "Accessibility compliance (« Prise en compte Handicap »): totale (green), partielle "
            "(orange), non_conforme (red); older editions wrote oui / partiel / non.",
        ),
        Indicator(
            "accessibility_rate",
            "rate",
            "% (0–100)",
            "RGAA audit rate; Oui = 100, Partiel kept as value_text, « Non » means no audit "
            "(null_reason sans_audit, never 0). Level green = 100, orange ≥ 50, red < 50.",
        ),
        Indicator(
            "accessibility_declaration_date",
            "date",
            "ISO date",
            "Publication date of the accessibility declaration (ISO, in value_text; Excel "
            "serial dates read too). Expired flag: « (périmée) » → level red, « (bientôt "
            "périmée) » → orange, the text kept in `note`.",
        ),
        Indicator(
            "clarity",
            "note",
            "note /10",
            "Clarity / simplicity of the language; green ≥ 8, orange ≥ 5, red < 5.",
        ),
        Indicator(
            "autonomy",
            "rate",
            "% (0–100)",
            "Autonomy level (« Niveau Autonomie »), published as a 0–1 rate: share of users "
            "completing the démarche on their own.",
        ),
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
            "status",
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


# Why a cell has no value; never replaced by 0. `sans_audit`: the RGAA rate « Non » (no audit
# was done, which is not 0 %); `valeur_inconnue`: a label nobody has described yet (quarantined).
NULL_REASONS: tuple[str, ...] = (
    "a_venir",
    "non_applicable",
    "avis_insuffisants",
    "demarche_proactive",
    "sans_audit",
    "non_renseigne",
    "valeur_inconnue",
)
# One level vocabulary for every indicator, the observatory's colours: the source's labels
# Optimal / Partiel / Faible (DLNUF, uptime, response time) are green / orange / red.
LEVELS: tuple[str, ...] = ("green", "orange", "red")


@dataclass(frozen=True)
class Label:
    """One written form of a cell and what it means: a value (code, number, level) or a reason
    for having none. `indicator` "*" applies to every indicator without a label of its own."""

    indicator: str
    label: str
    value_text: str | None = None
    value_num: float | None = None
    level: str | None = None
    null_reason: str | None = None


def label_key(text: str) -> str:
    """The form labels are matched in: accents, case, spacing and punctuation dropped, "+" kept
    as "plus" (« FranceConnect + » ≠ « FranceConnect »). « – », « - » and "" give ""."""
    text = strip_accents(text.replace("\u2019", "'")).lower().replace("+", "plus")
    return re.sub(r"[^a-z0-9]+", "", text)


def read_labels(path: Path = LABELS_FILE) -> dict[str, dict[str, Label]]:
    """The label table (indicator, label, value_text, value_num, level, null_reason): indicator
    (or "*") → label_key → Label. A row is either a value or a null reason; a malformed row is a
    ValueError naming the file, the row and the rule. Extend the shipped table
    `transforms/reference/observatoire_labels.csv` when an edition brings a new label."""
    table: dict[str, dict[str, Label]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            label = _label_row(row, f"{path.name}:{line}")
            found = table.setdefault(label.indicator, {})
            key = label_key(label.label)
            if key in found and found[key] != label:
                raise ValueError(f"{path.name}:{line}: label {label.label!r} already described")
            found[key] = label
    return table


def _label_row(row: dict[str, str | None], where: str) -> Label:
    def cell(name: str) -> str | None:
        return (row.get(name) or "").strip() or None

    indicator, text = cell("indicator"), row.get("label")
    number = cell("value_num")
    label = Label(
        indicator=indicator or "",
        label=(text or "").strip(),
        value_text=cell("value_text"),
        value_num=float(number) if number else None,
        level=cell("level"),
        null_reason=cell("null_reason"),
    )
    if label.indicator != "*" and label.indicator not in INDICATORS:
        raise ValueError(f"{where}: unknown indicator {indicator!r}")
    if label.level is not None and label.level not in LEVELS:
        raise ValueError(f"{where}: level must be one of {', '.join(LEVELS)}")
    if label.null_reason is not None and label.null_reason not in NULL_REASONS:
        raise ValueError(f"{where}: null_reason must be one of {', '.join(NULL_REASONS)}")
    has_value = label.value_text is not None or label.value_num is not None
    if has_value == (label.null_reason is not None):
        raise ValueError(f"{where}: a label has either a value or a null_reason, not both")
    if label.indicator == "*" and has_value:
        raise ValueError(f"{where}: labels of every indicator (*) can only be null reasons")
    return label


@cache
def labels() -> dict[str, dict[str, Label]]:
    """The shipped label table (read once)."""
    return read_labels()


def status_codes() -> dict[str, tuple[str, ...]]:
    """Indicator → the codes its labels decode to, in table order."""
    codes: dict[str, tuple[str, ...]] = {}
    for indicator, found in labels().items():
        values = [label.value_text for label in found.values() if label.value_text]
        if indicator != "*" and values:
            codes[indicator] = tuple(dict.fromkeys(values))
    return codes


STATUS_CODES: dict[str, tuple[str, ...]] = status_codes()

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
