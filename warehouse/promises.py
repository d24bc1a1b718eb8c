"""The promise tracker: the promises of the network (cited reference data,
`fsdata/reference/promises.csv`) judged on measures computed from the warehouse.

The model graph rebuilds `core.promises` (`load_promises`), `marts.promise_measures`
(`build_measures`: one model per measure series, each reading one table; a series whose source
was never loaded adds nothing, and the promises it measures say so) and `marts.promise_tracker`
after any load of what they read.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from transforms.errors import SourceFormatError
from warehouse.db import insert_frame, run_model

# Shipped with the package, beside the partner catalogue (fsdata/reference).
REFERENCE = Path(str(resources.files("fsdata").joinpath("reference", "promises.csv")))

PROMISE_COLUMNS = (
    "promise_code", "promise", "promised_by", "document_title", "document_date", "document_url",
    "target", "target_unit", "target_on", "measure", "official_figure_code",
    "why_not_measurable", "note",
)  # fmt: skip

# The measure series, one model each (sql/marts/promise_measures__<series>.sql), each reading
# one table (warehouse/graph.py declares what marts.promise_measures reads).
SERIES = ("barometre", "listing", "demarches", "coverage", "conseillers", "partners")


def read_promises(path: Path = REFERENCE) -> pl.DataFrame:
    """`promises.csv` typed; refuses (SourceFormatError) a missing column, a duplicated code, an
    uncited row, a date that is not ISO, a target that is not a number, or a promise that is
    neither measured nor said to be unmeasurable."""
    frame = pl.read_csv(path, infer_schema=False)
    for column in PROMISE_COLUMNS:
        if column not in frame.columns:
            raise SourceFormatError(
                path.name, "required_column_present", "the column is missing", column=column
            )
    frame = frame.select(PROMISE_COLUMNS).with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in PROMISE_COLUMNS
    )
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
    for rule, broken in checks.items():
        rows = broken.arg_true()
        if rows.len():
            raise SourceFormatError(
                path.name, rule, "the row breaks the rule", row=int(rows[0]) + 2
            )
    return typed


def load_promises(con: duckdb.DuckDBPyConnection, reference: Path = REFERENCE) -> None:
    """`core.promises` from the cited reference table kept with the code."""
    con.execute("delete from core.promises")
    insert_frame(con, "core.promises", read_promises(reference))


def build_measures(con: duckdb.DuckDBPyConnection) -> None:
    """`marts.promise_measures`: created empty, then each series added."""
    run_model(con, "marts/promise_measures")
    for series in SERIES:
        run_model(con, f"marts/promise_measures__{series}")
