"""One edition file, parsed: démarches with their identity, decoded cells, how it was read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from transforms.limits import DEFAULT_LIMITS, InputLimits
from transforms.observatoire.decoding import decode_indicators
from transforms.observatoire.editions import Edition
from transforms.observatoire.identity import Rename, demarches, normalise_title, title_aliases
from transforms.observatoire.indicators import LABELS_FILE, label_key
from transforms.observatoire.reading import read_edition

# Parameters of the suites `observatoire` / `observatoire_values` (expectations/*.json).
SUITE_PARAMETERS: dict[str, int] = {"min_demarches": 150, "max_demarches": 350}


@dataclass(frozen=True)
class UnknownLabel:
    """A cell text an indicator column's vocabulary does not know, and how many cells hold it."""

    column: str
    indicator: str
    label: str
    count: int

    def __str__(self) -> str:
        return f"{self.column}: {self.label!r} × {self.count}"


def unknown_labels(indicators: pl.DataFrame, header_map: dict[str, str]) -> list[UnknownLabel]:
    """Each unknown label once per column with its count (cells with null_reason
    valeur_inconnue), most frequent first. Labels differing only by case, accents, spacing or
    punctuation are one label, shown as first met; `column` is the source header."""
    headers = {canonical: " ".join(source.split()) for source, canonical in header_map.items()}
    found: dict[tuple[str, str], list[str]] = {}
    unknown = indicators.filter(pl.col("null_reason") == "valeur_inconnue")
    for indicator, raw in zip(unknown["indicator"], unknown["raw"], strict=True):
        text = " ".join(str(raw).split())
        found.setdefault((indicator, label_key(text) or text), []).append(text)
    labels = [
        UnknownLabel(headers.get(indicator, indicator), indicator, texts[0], len(texts))
        for (indicator, _), texts in found.items()
    ]
    return sorted(labels, key=lambda label: (-label.count, label.column, label.label))


def describe_unknown_labels(labels: Iterable[UnknownLabel]) -> str:
    """One line for a run summary: "unknown labels (extend …): Col: 'X' × 12; …", or ""."""
    listed = "; ".join(str(label) for label in labels)
    if not listed:
        return ""
    return f"unknown labels (describe them in transforms/reference/{LABELS_FILE.name}): {listed}"


@dataclass
class ParsedEdition:
    """An edition as the pipeline validates and publishes it.

    `demarches`: the per-démarche frame of `demarches()` plus `title_norm` and `title_aliases`
    (every normalised title the démarche has had, oldest first: staging carries an identifier
    found in one edition to editions that have none); `indicators`: `decode_indicators()`;
    `unknown_labels`: the labels of cells quarantined as unknown, each once with its count;
    `data_period`: the quarter the data covers ("2025-Q3", from the sheet name), beside the
    edition's publication month; `sheet`: the sheet read (None for a CSV).
    """

    demarches: pl.DataFrame
    indicators: pl.DataFrame
    header_row: int
    header_map: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)
    unknown_labels: list[UnknownLabel] = field(default_factory=list)
    data_period: str | None = None
    sheet: str | None = None


def parse_edition(
    path: Path,
    edition: Edition,
    renames: Iterable[Rename],
    limits: InputLimits = DEFAULT_LIMITS,
) -> ParsedEdition:
    """Read, identify and decode one edition file (SourceFormatError when it cannot be read)."""
    table = read_edition(path, limits)
    rename_rows = tuple(renames)
    frame = demarches(table, edition, renames=rename_rows)
    titles = frame["title"].to_list()
    admins = frame["administration"].to_list()
    frame = frame.with_columns(
        pl.Series("title_norm", [normalise_title(t) if t else None for t in titles], dtype=pl.Utf8),
        pl.Series(
            "title_aliases",
            [
                title_aliases(t, a, rename_rows) if t else []
                for t, a in zip(titles, admins, strict=True)
            ],
            dtype=pl.List(pl.Utf8),
        ),
    )
    indicators = decode_indicators(table, edition.edition_id)
    return ParsedEdition(
        demarches=frame,
        indicators=indicators,
        header_row=table.header_row,
        header_map=table.header_map,
        unknown_columns=table.unknown_columns,
        unknown_labels=unknown_labels(indicators, table.header_map),
        data_period=table.data_period,
        sheet=table.sheet,
    )
