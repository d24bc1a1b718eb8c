"""One edition file, parsed: démarches with their identity, decoded cells, how it was read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from transforms.observatoire.decoding import decode_indicators
from transforms.observatoire.editions import Edition
from transforms.observatoire.identity import Rename, demarches, normalise_title, title_aliases
from transforms.observatoire.reading import read_edition

# Parameters of the suites `observatoire` / `observatoire_values` (expectations/*.json).
SUITE_PARAMETERS: dict[str, int] = {"min_demarches": 150, "max_demarches": 350}


@dataclass
class ParsedEdition:
    """An edition as the pipeline validates and publishes it.

    `demarches`: the per-démarche frame of `demarches()` plus `title_norm` and `title_aliases`
    (every normalised title the démarche has had, oldest first: staging carries an identifier
    found in one edition to editions that have none); `indicators`: `decode_indicators()`.
    """

    demarches: pl.DataFrame
    indicators: pl.DataFrame
    header_row: int
    header_map: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)


def parse_edition(path: Path, edition: Edition, renames: Iterable[Rename]) -> ParsedEdition:
    """Read, identify and decode one edition file (SourceFormatError when it cannot be read)."""
    table = read_edition(path)
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
    return ParsedEdition(
        demarches=frame,
        indicators=decode_indicators(table, edition.edition_id),
        header_row=table.header_row,
        header_map=table.header_map,
        unknown_columns=table.unknown_columns,
    )
