"""`fsdata sql`: queries on the published analyst database, read-only, without Prefect.

The database is opened read-only, and statements other than queries are refused before they
run: the analyst database is a snapshot of a publication, never a place to write.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import duckdb

# Statement types that only read (SET and USE change this session's settings, nothing else).
READING = {"SELECT", "EXPLAIN", "PRAGMA", "SET", "CALL"}
FORMATS = ("table", "csv", "json")


class QueryError(Exception):
    """A query that cannot run: the message is one line."""


def one_line(error: BaseException) -> str:
    """DuckDB's message without the query excerpt it appends (`LINE 1: …`)."""
    kept = []
    for line in str(error).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            kept.append(line.strip())
    return " ".join(kept) or type(error).__name__


def open_database(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise QueryError(
            f"{path}: no analyst database (it is written by every publication: run "
            "`fsdata demo` or an ingest first, or pass --database FILE)"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise QueryError(f"{path}: cannot be opened: {one_line(exc)}") from None


def _checked(con: duckdb.DuckDBPyConnection, query: str) -> list[Any]:
    try:
        found = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from None
    if not found:
        raise QueryError("no statement to run")
    for statement in found:
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind not in READING:
            raise QueryError(
                f"the analyst database is read-only: {kind} refused (only queries run here); "
                "nothing was changed"
            )
    return list(found)


def run(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run every statement of `query`; the columns and rows of the last one with a result."""
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for statement in _checked(con, query):
        try:
            result = con.execute(statement)
            if result.description is not None:
                columns = [d[0] for d in result.description]
                rows = result.fetchall()
        except duckdb.Error as exc:
            raise QueryError(one_line(exc)) from None
    return columns, rows


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def write(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, out: TextIO) -> None:
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    elif fmt == "json":
        records = [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        cells = [[_text(v) for v in row] for row in rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        numeric = [
            bool(rows)
            and all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows)
            for i in range(len(columns))
        ]

        def line(values: list[str]) -> str:
            parts = [
                v.rjust(w) if n else v.ljust(w)
                for v, w, n in zip(values, widths, numeric, strict=True)
            ]
            return " | ".join(parts).rstrip()

        out.write(line(columns) + "\n")
        out.write("-+-".join("-" * w for w in widths) + "\n")
        for row in cells:
            out.write(line(row) + "\n")
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def interactive(con: duckdb.DuckDBPyConnection, fmt: str) -> int:
    """A small prompt: statements end with `;`, `.quit` or end of input leaves."""
    print("fsdata sql — the analyst database, read-only. End each query with ';', .quit to leave.")
    buffer: list[str] = []
    while True:
        try:
            line = input("fsdata> " if not buffer else "   ...> ")
        except EOFError:
            print()
            return 0
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            return 0
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        query, buffer = "\n".join(buffer), []
        try:
            write(*run(con, query), fmt, sys.stdout)
        except QueryError as exc:
            print(f"error: {exc}", file=sys.stderr)


def main(database: Path, query: str | None, fmt: str) -> int:
    try:
        con = open_database(database)
    except QueryError as exc:
        print(f"fsdata sql: {exc}", file=sys.stderr)
        return 1
    try:
        if query is None and sys.stdin.isatty():
            return interactive(con, fmt)
        if query is None:
            # Piped statements, as typed at the prompt; its dot commands (.quit) are not SQL.
            lines = sys.stdin.read().splitlines()
            query = "\n".join(line for line in lines if not line.strip().startswith("."))
        try:
            columns, rows = run(con, query)
        except QueryError as exc:
            print(f"fsdata sql: {exc}", file=sys.stderr)
            return 1
        write(columns, rows, fmt, sys.stdout)
        return 0
    finally:
        con.close()
