"""The DuckDB warehouse: connect, run SQL files from `sql/`, record load attempts."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from transforms.frames import registered
from warehouse import graph
from warehouse.health import forget_shared, open_waiting


def fetch_first(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a query, reading the result to its end: DuckDB refuses new work on a
    connection whose previous result was left half-read."""
    rows = result.fetchall()
    return rows[0] if rows else None


def sql_text(model: str) -> str:
    text = graph.model_sql(model)
    if text is None:
        raise FileNotFoundError(f"no SQL model sql/{model}.sql")
    return text


def statements(sql: str) -> list[str]:
    """Split a model file into statements: each ends with `;` at the end of a line."""
    found, current = [], []
    for line in sql.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            found.append("\n".join(current))
            current = []
    tail = "\n".join(current)
    if tail.strip() and any(
        not part.strip().startswith("--") for part in tail.splitlines() if part.strip()
    ):
        found.append(tail)
    return found


def run_model(
    con: duckdb.DuckDBPyConnection, model: str, parameters: dict[str, Any] | None = None
) -> None:
    for statement in statements(sql_text(model)):
        used = {k: v for k, v in (parameters or {}).items() if f"${k}" in statement}
        con.execute(statement, used) if used else con.execute(statement)


def refresh_models(
    con: duckdb.DuckDBPyConnection, models: list[graph.Model], from_date: date | None = None
) -> dict[str, Any]:
    """Bring `models` up to date, in the order given, each the way the graph declares; what
    each procedure returned, by model."""
    results: dict[str, Any] = {}
    rebuilt: set[str] = set()  # refreshed whole here: what reads them is too
    for model in models:
        if model.refresh in (graph.APPENDED, graph.VIEW):
            continue
        start = from_date or graph.BEGINNING
        if model.refresh == graph.FROM_DATE and rebuilt & set(model.reads):
            start = graph.BEGINNING
        if (model.refresh == graph.REBUILT and not graph.is_reference(model)) or (
            start == graph.BEGINNING
        ):
            rebuilt.add(model.name)
        if model.procedure is not None:
            function = graph.procedure(model)
            if model.refresh == graph.FROM_DATE:
                results[model.name] = function(con, start)
            else:
                results[model.name] = function(con)
        elif model.refresh == graph.FROM_DATE:
            run_model(con, f"{model.name}__refresh", {"from_date": start})
        else:
            run_model(con, model.name)
            if graph.model_sql(f"{model.name}__refresh") is not None:
                run_model(con, f"{model.name}__refresh")
    return results


def refresh_downstream(
    con: duckdb.DuckDBPyConnection, writes: tuple[str, ...], from_date: date | None = None
) -> dict[str, Any]:
    """After a load wrote the models `writes`: bring up to date what the graph says follows,
    except the models a derived flow brings up to date after the load commits."""
    plan = [m for m in graph.refresh_plan(writes) if m.runs_in is None]
    return refresh_models(con, plan, from_date)


@functools.cache  # the models ship with the code: once per process, not per connection
def _schema_fingerprint() -> str:
    parts = [repr(graph.MODELS)]
    parts += [sql_text(model.name) for model in graph.MODELS]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create or update tables and views when the model graph or a model changed since last
    time: every model's file in creation order, then every rebuilt model this flow refreshes.

    The fingerprint is kept in the warehouse, so the usual connection costs one query; the
    models run in one transaction (each auto-committed DDL costs a disk sync).
    """
    fingerprint = _schema_fingerprint()
    try:
        current = fetch_first(con.execute("select fingerprint from meta.schema_state"))
    except duckdb.CatalogException:
        current = None
    if current and current[0] == fingerprint:
        return
    ordered = graph.creation_order()
    with transaction(con):
        for model in ordered:
            run_model(con, model.name)
        refresh_models(
            con, [m for m in ordered if m.refresh == graph.REBUILT and m.runs_in is None]
        )
        con.execute("create table if not exists meta.schema_state (fingerprint varchar)")
        con.execute("delete from meta.schema_state")
        con.execute("insert into meta.schema_state values (?)", [fingerprint])


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse (created and brought to the current schema unless
    `read_only`), waiting as `wait_for_warehouse` says for another process holding it."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = open_waiting(path, read_only)
    try:
        if not read_only:
            _ensure_schema(con)
        yield con
    except duckdb.Error:
        forget_shared(path)
        raise
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure anywhere rolls every table back as it was."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        # An interrupted statement (a signal mid-query) may have aborted the transaction
        # already: the failure that stopped us is the one to report, not the rollback's.
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    con.execute("commit")


def begin_load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    as_of: Any = None,
    file_name: str | None = None,
    sha256: str | None = None,
    size_bytes: int | None = None,
    url: str | None = None,
    options: dict[str, Any] | None = None,
    flow_run_id: str | None = None,
) -> int:
    """Record the attempt before doing anything, so even a crash leaves a trace.

    Runs of one source do not overlap, so an attempt of that source still 'running' from
    another flow run is one whose process died (killed, machine lost): it is marked 'crashed'.
    """
    con.execute(
        """
        update meta.loads set
            status = 'crashed', finished_at = current_timestamp,
            message = 'the run ended without finishing (process killed or lost)'
        where source = $source and status = 'running'
            and flow_run_id is distinct from $flow_run_id
        """,
        {"source": source, "flow_run_id": flow_run_id},
    )
    row = fetch_first(
        con.execute(
            """
        insert into meta.loads
            (source, as_of, file_name, sha256, size_bytes, url, options, flow_run_id, status,
             pid, host)
        values ($source, $as_of, $file_name, $sha256, $size_bytes, $url, $options,
                $flow_run_id, 'running', $pid, $host)
        returning load_id
        """,
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "source": source,
                "as_of": as_of,
                "file_name": file_name,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "url": url,
                "options": json.dumps(options or {}),
                "flow_run_id": flow_run_id,
            },
        )
    )
    assert row is not None
    return int(row[0])


def finish_load(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    status: str,
    message: str,
    **counts: Any,
) -> None:
    allowed = {"rows_read", "rows_loaded", "rows_quarantined", "rows_warned", "raw_path"}
    unknown = set(counts) - allowed
    if unknown:
        raise ValueError(f"unknown load fields {sorted(unknown)}")
    values = {name: counts.get(name) for name in allowed}
    con.execute(
        """
        update meta.loads set
            status = $status, message = $message, finished_at = current_timestamp,
            rows_read = coalesce($rows_read, rows_read),
            rows_loaded = coalesce($rows_loaded, rows_loaded),
            rows_quarantined = coalesce($rows_quarantined, rows_quarantined),
            rows_warned = coalesce($rows_warned, rows_warned),
            raw_path = coalesce($raw_path, raw_path)
        where load_id = $load_id
        """,
        {"status": status, "message": message, "load_id": load_id, **values},
    )


def record_validation(
    con: duckdb.DuckDBPyConnection, load_id: int, suite: str, results: list[dict[str, Any]]
) -> None:
    for result in results:
        con.execute(
            """
            insert into meta.validation_results values
                ($load_id, $suite, $rule, $rule_class, $expectation, $column, $success,
                 $unexpected_count, $observed_value, $message)
            """,
            {
                "load_id": load_id,
                "suite": suite,
                "rule": result["rule"],
                "rule_class": result["rule_class"],
                "expectation": result["expectation"],
                "column": result.get("column"),
                "success": result["success"],
                "unexpected_count": result.get("unexpected_count", 0),
                "observed_value": None
                if result.get("observed_value") is None
                else str(result["observed_value"]),
                "message": result.get("message"),
            },
        )


def record_quarantine(
    con: duckdb.DuckDBPyConnection, load_id: int, source: str, items: list[dict[str, Any]]
) -> None:
    """Refused rows (or cells) of a load: each item has `source_row`, `rule` and `record`."""
    if not items:
        return
    con.executemany(
        "insert into meta.quarantine values (?, ?, ?, ?, ?)",
        [
            (
                load_id,
                source,
                item["source_row"],
                item["rule"],
                json.dumps(item["record"], ensure_ascii=False, default=str),
            )
            for item in items
        ],
    )


def snapshot_sha256(con: duckdb.DuckDBPyConnection, source: str, as_of: Any) -> str | None:
    """Checksum of the file in force for `source`'s snapshot of `as_of` (the latest load for
    that date: a listing, a vintage, an edition), if any."""
    row = fetch_first(
        con.execute(
            """
            select loads.sha256 from meta.snapshots
            join meta.loads using (load_id)
            where snapshots.source = $source and snapshots.as_of = $as_of
            """,
            {"source": source, "as_of": as_of},
        )
    )
    return row[0] if row else None


def published_sha256(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    """Checksum of the input of `source`'s latest publication: reference data and series
    replaced as a whole are in force as their latest published load."""
    row = fetch_first(
        con.execute(
            """
            select sha256 from meta.loads
            where source = $source and status = 'published'
            order by load_id desc limit 1
            """,
            {"source": source},
        )
    )
    return row[0] if row else None


def set_snapshot(con: duckdb.DuckDBPyConnection, source: str, as_of: Any, load_id: int) -> None:
    """Point `source`'s snapshot of `as_of` at this load: a later load for a date replaces it."""
    con.execute(
        "insert or replace into meta.snapshots (source, as_of, load_id) values (?, ?, ?)",
        [source, as_of, load_id],
    )


def table_exists(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> bool:
    """Whether `schema.name` is a table (or view) of the connection's own database, or of the
    attached `database` (the analyst database being built has tables of the same names)."""
    # DuckDB's own name lookup: ~0.15 ms, where a catalogue query costs ~1 ms (a release asks
    # this ~200 times). A failed lookup leaves an open transaction usable.
    try:
        con.table(f"{database}.{table}" if database else table)
    except duckdb.CatalogException:
        return False
    return True


def quote_identifier(name: str) -> str:
    """`name` as an SQL identifier (a column, schema or table name), its quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def quoted_table(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`"schema"."name"` for a table named in code, checked against the warehouse's tables:
    an identifier is never built from data."""
    if not table_exists(con, table):
        raise ValueError(f"no table {table!r}")
    schema, _, name = table.partition(".")
    return f"{quote_identifier(schema)}.{quote_identifier(name)}"


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: Any) -> None:
    """Append `frame`'s rows to `table` (named in code), columns matched by name."""
    target = quoted_table(con, table)
    with registered(con, "incoming_rows", frame):
        con.execute(f"insert into {target} by name select * from incoming_rows")
