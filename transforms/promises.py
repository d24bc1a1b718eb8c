"""The promises the network is measured against: cited reference data kept with the code
(`fsdata/reference/promises.csv`), each naming who promised what, when, in which document."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.partners import default_reference_dir
from transforms.readers import read_reference_table, refuse_broken_rows

# Shipped with the package, beside the partner catalogue (fsdata/reference).
REFERENCE = default_reference_dir() / "promises.csv"

PROMISE_COLUMNS = (
    "promise_code", "promise", "promised_by", "document_title", "document_date", "document_url",
    "target", "target_unit", "target_on", "measure", "official_figure_code",
    "why_not_measurable", "note",
)  # fmt: skip


def read_promises(path: Path = REFERENCE) -> pl.DataFrame:
    """`promises.csv` typed; refuses (SourceFormatError) a missing column, a duplicated code, an
    uncited row, a date that is not ISO, a target that is not a number, or a promise that is
    neither measured nor said to be unmeasurable."""
    frame = read_reference_table(path, PROMISE_COLUMNS)
    typed = frame.with_columns(
        pl.col("target").cast(pl.Float64, strict=False),
        pl.col("document_date").str.to_date("%Y-%m-%d", strict=False),
        pl.col("target_on").str.to_date("%Y-%m-%d", strict=False),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("position"),
    )
    checks = {
        "promise_identified": typed["promise_code"].is_null() | typed["promise"].is_null(),
        "promise_code_unique": typed["promise_code"].is_duplicated(),
        "promise_cited": typed["promised_by"].is_null()
        | typed["document_title"].is_null()
        | typed["document_date"].is_null(),
        "date_parseable": (typed["document_date"].is_null() & frame["document_date"].is_not_null())
        | (typed["target_on"].is_null() & frame["target_on"].is_not_null()),
        "target_numeric": typed["target"].is_null() & frame["target"].is_not_null(),
        "promise_measured_or_explained": typed["measure"].is_null()
        & typed["why_not_measurable"].is_null(),
    }
    refuse_broken_rows(path.name, checks)
    return typed
