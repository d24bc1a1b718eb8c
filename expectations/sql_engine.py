"""The same GX suite, evaluated by DuckDB SQL: for frames where GX on pandas is the bottleneck.

GX stays the source of the suite (the JSON in `expectations/`) and of the result's shape; this
module translates each row-level expectation the suites use into an SQL condition, all of
them evaluated in one query over the frame (as Arrow, no copy), with the semantics of GX's
pandas engine: nulls are ignored by the value checks, `unique` reports every row of a
duplicated value, `match_regex` searches (anchors in the pattern make it a full match).
Values (sets, bounds, patterns) are query parameters; column names come from the suite and
the frame and are quoted as identifiers.
"""

from __future__ import annotations

import tempfile
from functools import cache
from typing import Any

import duckdb
import polars as pl

from transforms.frames import frame_of, registered
from warehouse.db import quote_identifier

SUPPORTED = frozenset(
    {
        "expect_table_row_count_to_be_between",
        "expect_table_columns_to_match_set",
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
    }
)
ROW = "__fsdata_row"


def supports(suite: dict[str, Any]) -> bool:
    """Whether every expectation of the suite has an SQL translation here."""
    return all(
        e["type"] in SUPPORTED and "row_condition" not in e.get("kwargs", {})
        for e in suite["expectations"]
    )


def resolve(kwargs: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Fill `{"$PARAMETER": name}` values as GX does; a missing parameter is an error."""
    resolved = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            name = value["$PARAMETER"]
            if name not in parameters:
                raise KeyError(f"suite parameter {name!r} was not given")
            value = parameters[name]
        resolved[key] = value
    return resolved


def evaluate(frame: pl.DataFrame, suite: dict[str, Any], parameters: dict[str, Any]) -> list[dict]:
    """One result per expectation: success, unexpected row positions, observed value.

    Table-level expectations are answered from the frame's shape; every row-level one becomes
    a boolean column of one query, which reads the frame once and returns only the rows that
    break at least one rule."""
    expectations = [(e["type"], resolve(e["kwargs"], parameters)) for e in suite["expectations"]]
    conditions: dict[int, tuple[str, list[Any]]] = {}
    results: dict[int, dict[str, Any]] = {}
    for index, (kind, kwargs) in enumerate(expectations):
        table_result = _table_outcome(frame, kind, kwargs)
        if table_result is None:
            conditions[index] = _row_condition(frame, kind, kwargs)
        else:
            results[index] = table_result
    used = [
        name
        for index in conditions
        for name in (
            expectations[index][1].get("column_list") or [expectations[index][1]["column"]]
        )
    ]
    failing = _failing_rows(frame.select(list(dict.fromkeys(used))), conditions)
    for index, (kind, kwargs) in ((i, expectations[i]) for i in conditions):
        rows = failing.filter(pl.col(f"e{index}"))[ROW].to_list() if failing.height else []
        considered = frame.height
        if "be_null" not in kind and "column" in kwargs:
            considered -= frame[kwargs["column"]].null_count()
        results[index] = _column_outcome(rows, considered, kwargs)
    return [results[index] for index in range(len(expectations))]


def _failing_rows(
    frame: pl.DataFrame, conditions: dict[int, tuple[str, list[Any]]]
) -> pl.DataFrame:
    """The row position and one boolean per condition (named e<index>) of every row that
    meets at least one condition, in row order."""
    if not conditions:
        return pl.DataFrame()
    flags = ", ".join(
        f"coalesce({where}, false) as e{index}" for index, (where, _) in conditions.items()
    )
    any_flag = " or ".join(f"e{index}" for index in conditions)
    values = [value for _, condition_values in conditions.values() for value in condition_values]
    query = f"select * from (select {ROW}, {flags} from frame) where {any_flag} order by {ROW}"
    if frame.height < OWN_DATABASE_ROWS:
        # A cursor of the shared database: its own connection, safe beside other threads'.
        return _query_failing(_database().cursor(), frame, query, values)
    # A large frame gets a database of its own, closed after (DuckDB keeps the memory a query
    # over millions of rows used until its database closes, and the shared one never does),
    # with a bounded memory: a uniqueness check over ten million keys takes a gigabyte
    # otherwise, beside the frame; beyond the bound it spills to a temporary directory.
    with tempfile.TemporaryDirectory(prefix="fsdata-validation-") as spill:
        config = {"memory_limit": OWN_DATABASE_MEMORY, "temp_directory": spill}
        return _query_failing(duckdb.connect(config=config), frame, query, values)


def _query_failing(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, query: str, values: list[Any]
) -> pl.DataFrame:
    try:
        with registered(con, "frame", frame.with_row_index(ROW)):
            return frame_of(con, query, values)
    finally:
        con.close()


# Frames of at least this many rows are evaluated in a database of their own (opening one costs
# ~45 ms, nothing beside such a query), within this memory.
OWN_DATABASE_ROWS = 1_000_000
OWN_DATABASE_MEMORY = "512MB"


@cache
def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process: opening one costs ~45 ms, more than a suite's query
    on tens of thousands of rows; each evaluation takes a cursor of it."""
    return duckdb.connect()


def _table_outcome(frame: pl.DataFrame, kind: str, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The result of a table-level expectation; None for a row-level one."""
    if kind == "expect_table_row_count_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        ok = (low is None or frame.height >= low) and (high is None or frame.height <= high)
        return {"success": ok, "observed_value": frame.height, "rows": []}
    if kind == "expect_table_columns_to_match_set":
        expected, actual = set(kwargs["column_set"]), set(frame.columns)
        exact = kwargs.get("exact_match", True)
        ok = expected == actual if exact else expected <= actual
        return {"success": ok, "observed_value": sorted(frame.columns), "rows": []}
    if kind == "expect_column_to_exist":
        return {"success": kwargs["column"] in frame.columns, "rows": [], "observed_value": None}
    return None


def _row_condition(frame: pl.DataFrame, kind: str, kwargs: dict[str, Any]) -> tuple[str, list[Any]]:
    """An SQL condition true on the rows that break the expectation, and its parameters."""
    if kind == "expect_compound_columns_to_be_unique":
        columns = [quote_identifier(c) for c in kwargs["column_list"]]
        listed = ", ".join(columns)
        any_value = " or ".join(f"{c} is not null" for c in columns)
        return (
            f"({any_value}) and ({listed}) in (select ({listed}) from frame "
            f"group by all having count(*) > 1)",
            [],
        )
    column = quote_identifier(kwargs["column"])
    if kwargs["column"] not in frame.columns:
        raise KeyError(f"column {kwargs['column']!r} is not in the frame")
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is null", []
    if kind == "expect_column_values_to_be_null":
        return f"{column} is not null", []
    if kind == "expect_column_values_to_be_in_set":
        return f"{column} is not null and not list_contains(?, {column})", [
            list(kwargs["value_set"])
        ]
    if kind == "expect_column_values_to_match_regex":
        return f"{column} is not null and not regexp_matches({column}::varchar, ?)", [
            kwargs["regex"]
        ]
    if kind == "expect_column_values_to_be_unique":
        return (
            f"{column} is not null and {column} in "
            f"(select {column} from frame group by all having count(*) > 1)",
            [],
        )
    if kind == "expect_column_values_to_be_between":
        bounds, values = [], []
        if kwargs.get("min_value") is not None:
            bounds.append(f"{column} {'>' if kwargs.get('strict_min') else '>='} ?")
            values.append(kwargs["min_value"])
        if kwargs.get("max_value") is not None:
            bounds.append(f"{column} {'<' if kwargs.get('strict_max') else '<='} ?")
            values.append(kwargs["max_value"])
        return f"{column} is not null and not ({' and '.join(bounds) or 'true'})", values
    raise ValueError(f"{kind} has no SQL translation")


def _column_outcome(rows: list[int], considered: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    mostly = kwargs.get("mostly")
    ok = not rows if mostly is None or considered == 0 else 1 - len(rows) / considered >= mostly
    return {"success": ok, "rows": rows, "observed_value": None}
