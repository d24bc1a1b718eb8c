"""`exports/france_services.duckdb`: the warehouse as analysts read it.

The tables of the release (and the few core tables analysts join with), each table and column
with the warehouse's `COMMENT ON` text, the published loads (`meta.publications`) and views for
the common questions (`sql/analyst/`). Built in a temporary file beside the final one and
renamed over it: a reader that has the previous file open keeps reading its snapshot, and a new
reader opens either the previous database or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb

from warehouse.archive import file_digest
from warehouse.db import sql_text, statements, table_exists, transaction
from warehouse.exports import sweep_orphans
from warehouse.release_catalog import table_comment
from warehouse.release_registry import ANALYST_DATABASE, ANALYST_EXTRA_TABLES, DATASETS

ALIAS = "analyst_build"
STORAGE = "v1.0.0"
# Views for the common questions, each sql/analyst/<name>.sql.
VIEWS = (
    "network_size",
    "openings_closures_by_year",
    "communes_farthest",
    "coverage_by_departement_latest",
    "demarche_indicators_by_edition",
    "promise_tracker",
    "footfall_france_monthly",
)
PUBLICATIONS_COMMENT = (
    "Chargements publiés de l'entrepôt : source, date des données, fichier et empreinte "
    "sha256, lignes chargées, mises en quarantaine et avec avertissement, date de publication."
)


def analyst_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse tables copied, in registry order, those that exist."""
    names = [r.table for d in DATASETS for r in d.resources] + list(ANALYST_EXTRA_TABLES)
    return [t for t in dict.fromkeys(names) if table_exists(con, t)]


def _literal(text: str) -> str:
    # DDL (COMMENT ON, ATTACH) takes no parameters: the text is quoted as an SQL literal.
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    schema, _, name = table.partition(".")
    target = f"{ALIAS}.{_identifier(schema)}.{_identifier(name)}"
    con.execute(f"create schema if not exists {ALIAS}.{_identifier(schema)}")
    con.execute(f"create table {target} as select * from {_identifier(schema)}.{_identifier(name)}")
    comment = table_comment(con, table)
    if comment:
        con.execute(f"comment on table {target} is {_literal(comment)}")
    columns = con.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? and table_name = ? "
        "and comment is not null order by column_index",
        [schema, name],
    ).fetchall()
    for column, text in columns:
        con.execute(f"comment on column {target}.{_identifier(column)} is {_literal(text)}")


def _copy_publications(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {ALIAS}.meta")
    con.execute(
        f"""
        create table {ALIAS}.meta.publications as
        select load_id, source, as_of, file_name, sha256, rows_loaded, rows_quarantined,
               rows_warned, finished_at as published_at
        from meta.loads where status = 'published' order by load_id
        """
    )
    con.execute(f"comment on table {ALIAS}.meta.publications is {_literal(PUBLICATIONS_COMMENT)}")


def _create_views(path: Path) -> list[str]:
    """The views, in a connection of the new database itself so their names bind there. A view
    over a table not published yet is left out."""
    created = []
    analyst = duckdb.connect(str(path))
    try:
        for view in VIEWS:
            try:
                for statement in statements(sql_text(f"analyst/{view}")):
                    analyst.execute(statement)
            except duckdb.CatalogException:
                continue
            created.append(view)
        analyst.execute("checkpoint")
    finally:
        analyst.close()
    return created


def build_analyst_database(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> tuple[str, int]:
    """Write `exports/france_services.duckdb` from the warehouse `con`; return the sha256 and
    size of the file written."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    final = exports_dir / ANALYST_DATABASE
    prefix = f".{ANALYST_DATABASE}.tmp-"
    sweep_orphans(exports_dir, prefix)  # a killed build's files
    temporary = exports_dir / f"{prefix}{os.getpid()}"
    wal = temporary.with_name(temporary.name + ".wal")
    temporary.unlink(missing_ok=True)
    wal.unlink(missing_ok=True)
    try:
        # The oldest storage format DuckDB 1.0 and later read: analysts' clients vary.
        con.execute(
            f"attach {_literal(str(temporary))} as {ALIAS} (storage_version {_literal(STORAGE)})"
        )
        try:
            # One transaction: each statement on its own would commit (and sync) separately.
            with transaction(con):
                for table in analyst_tables(con):
                    _copy_table(con, table)
                _copy_publications(con)
            # Written here, so that a write error (a full disk) is reported as itself rather
            # than as a failed checkpoint at DETACH.
            con.execute(f"checkpoint {ALIAS}")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"detach {ALIAS}")
            raise
        con.execute(f"detach {ALIAS}")
        _create_views(temporary)
        sha256, size = file_digest(temporary)
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
    return sha256, size
