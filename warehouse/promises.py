"""The promise tracker: the promises of the network (cited reference data,
`fsdata/reference/promises.csv`) judged on measures computed from the warehouse.

`refresh_promise_tracker(con)` rebuilds `core.promises`, `marts.promise_measures` and
`marts.promise_tracker` from what the warehouse holds now. Each measure series is one model
reading one table; a series whose table does not exist yet (its source never loaded) is left out,
and the promises it measures say so. Call it inside the publication's transaction, after any
publication of the tables in `SERIES`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from transforms.errors import SourceFormatError
from warehouse.db import fetch_first, insert_frame, run_model

# Shipped with the package, beside the partner catalogue (fsdata/reference).
REFERENCE = Path(str(resources.files("fsdata").joinpath("reference", "promises.csv")))

PROMISE_COLUMNS = (
    "promise_code", "promise", "promised_by", "document_title", "document_date", "document_url",
    "target", "target_unit", "target_on", "measure", "official_figure_code",
    "why_not_measurable", "note",
)  # fmt: skip

# Each measure series: its model, and the table it reads (the series runs only when it exists).
SERIES: tuple[tuple[str, str], ...] = (
    ("marts/promise_measures__barometre", "core.barometre"),
    ("marts/promise_measures__listing", "marts.network_by_departement"),
    ("marts/promise_measures__demarches", "marts.demarche_partner_coverage"),
    ("marts/promise_measures__coverage", "marts.coverage"),
    ("marts/promise_measures__conseillers", "marts.conseillers_numeriques"),
    ("marts/promise_measures__partners", "core.partners"),
)
# Tables the tracker itself reads besides the measures (created by the schema models).
TRACKER_INPUTS = ("core.official_figures",)
MODELS = ("core/promises", "marts/promise_measures", "marts/promise_tracker")


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


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, _, name = table.partition(".")
    found = con.execute(
        "select 1 from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    )
    return fetch_first(found) is not None


def refresh_promise_tracker(
    con: duckdb.DuckDBPyConnection, reference: Path = REFERENCE
) -> dict[str, int]:
    """Rebuild the tracker; returns the rows per verdict (and per series measured)."""
    promises = read_promises(reference)
    missing = [t for t in TRACKER_INPUTS if not _exists(con, t)]
    if missing:
        raise ValueError(f"the promise tracker needs {', '.join(missing)}: run the schema first")
    run_model(con, "core/promises")
    con.execute("delete from core.promises")
    insert_frame(con, "core.promises", promises)
    run_model(con, "marts/promise_measures")
    for model, table in SERIES:
        if _exists(con, table):
            run_model(con, model)
    run_model(con, "marts/promise_tracker")
    counts = con.execute(
        "select verdict, count(*) from marts.promise_tracker group by verdict"
    ).fetchall()
    return {verdict: int(n) for verdict, n in counts}
