"""The official figures kept as cited reference data (fsdata/reference/official_figures.csv):
national aggregates published by the Sénat and the Cour des comptes, each with its document."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.readers import read_reference_table, refuse_broken_rows

OFFICIAL_FIGURE_COLUMNS = (
    "figure_code",
    "period_start",
    "period_end",
    "value",
    "unit",
    "scope",
    "source_document",
    "source_date",
    "note",
)


def read_official_figures(path: Path) -> pl.DataFrame:
    """`official_figures.csv` typed; refuses (SourceFormatError) a missing column, a value that
    is not a number, a date that is not ISO, or an uncited row (`official_figure_cited`)."""
    frame = read_reference_table(path, OFFICIAL_FIGURE_COLUMNS)
    typed = frame.with_columns(
        pl.col("value").cast(pl.Float64, strict=False),
        *(
            pl.col(c).str.to_date("%Y-%m-%d", strict=False)
            for c in ("period_start", "period_end", "source_date")
        ),
    )
    checks = {
        "official_figure_value_numeric": typed["value"].is_null(),
        "date_parseable": (
            (typed["period_start"].is_null() & frame["period_start"].is_not_null())
            | (typed["period_end"].is_null() & frame["period_end"].is_not_null())
            | (typed["source_date"].is_null() & frame["source_date"].is_not_null())
        ),
        "official_figure_cited": typed["source_document"].is_null()
        | typed["source_date"].is_null(),
        "official_figure_described": typed["figure_code"].is_null()
        | typed["unit"].is_null()
        | typed["scope"].is_null(),
    }
    refuse_broken_rows(path.name, checks)
    return typed
