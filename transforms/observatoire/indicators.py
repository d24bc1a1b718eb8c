"""The indicator vocabulary: each indicator's kind, unit and meaning, and the labels of cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl


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
