"""The same GX suite, evaluated by DuckDB SQL: for frames where GX on pandas is the bottleneck.

GX stays the source of the suite (the JSON in `expectations/`) and of the result's shape; this
module translates each expectation type the suites use into one SQL query over the frame (as
Arrow, no copy), with the semantics of GX's pandas engine: nulls are ignored by the value
checks, `unique` reports every row of a duplicated value, `match_regex` searches (anchors in
the pattern make it a full match). Values (sets, bounds, patterns) are query parameters;
column names come from the suite and the frame and are quoted as identifiers.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

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


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    """One result per expectation: success, unexpected row positions, observed value."""
    con = duckdb.connect()
    try:
        con.register("frame", frame.with_row_index(ROW).to_arrow())
        return [
            _evaluate_one(con, frame, expectation, resolve(expectation["kwargs"], parameters))
            for expectation in suite["expectations"]
        ]
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, where: str, values: list[Any]) -> list[int]:
    query = f"select {ROW} from frame where {where} order by {ROW}"
    return [row[0] for row in con.execute(query, values).fetchall()]


def _evaluate_one(
    con: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    expectation: dict[str, Any],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    kind = expectation["type"]
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
    if kind == "expect_compound_columns_to_be_unique":
        columns = [_identifier(c) for c in kwargs["column_list"]]
        listed = ", ".join(columns)
        any_value = " or ".join(f"{c} is not null" for c in columns)
        rows = _rows(
            con,
            f"({any_value}) and ({listed}) in (select ({listed}) from frame "
            f"group by all having count(*) > 1)",
            [],
        )
        return _column_outcome(rows, frame.height, kwargs)

    column = _identifier(kwargs["column"])
    if kwargs["column"] not in frame.columns:
        raise KeyError(f"column {kwargs['column']!r} is not in the frame")
    values: list[Any] = []
    if kind == "expect_column_values_to_not_be_null":
        where = f"{column} is null"
    elif kind == "expect_column_values_to_be_null":
        where = f"{column} is not null"
    elif kind == "expect_column_values_to_be_in_set":
        where = f"{column} is not null and not list_contains(?, {column})"
        values = [list(kwargs["value_set"])]
    elif kind == "expect_column_values_to_match_regex":
        where = f"{column} is not null and not regexp_matches({column}::varchar, ?)"
        values = [kwargs["regex"]]
    elif kind == "expect_column_values_to_be_unique":
        where = (
            f"{column} is not null and {column} in "
            f"(select {column} from frame group by all having count(*) > 1)"
        )
    elif kind == "expect_column_values_to_be_between":
        bounds = []
        if kwargs.get("min_value") is not None:
            bounds.append(f"{column} {'>' if kwargs.get('strict_min') else '>='} ?")
            values.append(kwargs["min_value"])
        if kwargs.get("max_value") is not None:
            bounds.append(f"{column} {'<' if kwargs.get('strict_max') else '<='} ?")
            values.append(kwargs["max_value"])
        where = f"{column} is not null and not ({' and '.join(bounds) or 'true'})"
    else:
        raise ValueError(f"{kind} has no SQL translation")
    rows = _rows(con, where, values)
    non_null = frame.height - (0 if "be_null" in kind else frame[kwargs["column"]].null_count())
    return _column_outcome(rows, non_null, kwargs)


def _column_outcome(rows: list[int], considered: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    mostly = kwargs.get("mostly")
    ok = not rows if mostly is None or considered == 0 else 1 - len(rows) / considered >= mostly
    return {"success": ok, "rows": rows, "observed_value": None}
