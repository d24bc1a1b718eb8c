"""`exports/france_services.duckdb`: the warehouse as analysts read it.

The tables of the release (and the few core tables analysts join with), each table and column
with the warehouse's `COMMENT ON` text, the published loads (`meta.publications`) and views for
the common questions (`sql/analyst/`). Built in a temporary file beside the final one and
renamed over it: a reader that has the previous file open keeps reading its snapshot, and a new
reader opens either the previous database or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.archive import file_digest
from warehouse.db import quote_identifier, sql_text, statements, table_exists, transaction
from warehouse.exports import sweep_orphans
from warehouse.release_catalog import Described, describe_tables
from warehouse.release_parts import part_condition, table_parts
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
PARTS_TABLE = "meta.table_parts"
PARTS_COMMENT = (
    "Empreinte du contenu de chaque table de cette base (par année pour les tables publiées "
    "par année) : une publication ne recopie que ce qui a changé. La ligne « views » : "
    "l'empreinte des vues et de la forme des tables qu'elles lisent."
)
# The parts table's row for the views (a table's name always has a schema): their SQL and the
# tables' signatures, so that an update whose views would come out the same leaves them.
VIEWS_ROW = "views"
# Tables published a year a file are also updated here a year at a time.
SPLIT_BY = {r.table: r.split_by for d in DATASETS for r in d.resources if r.split_by}
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


def _target(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{ALIAS}.{quote_identifier(schema)}.{quote_identifier(name)}"


def _source(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{quote_identifier(schema)}.{quote_identifier(name)}"


def _signature(described: Described) -> str:
    """The table's shape as the analyst sees it: columns, types and descriptions."""
    text = json.dumps([described.comment, described.columns], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, described: Described) -> None:
    schema = table.partition(".")[0]
    target = _target(table)
    con.execute(f"create schema if not exists {ALIAS}.{quote_identifier(schema)}")
    con.execute(f"create or replace table {target} as select * from {_source(table)}")
    if described.comment:
        con.execute(f"comment on table {target} is {_literal(described.comment)}")
    for column, _, text in described.columns:
        if text:
            column_name = f"{target}.{quote_identifier(column)}"
            con.execute(f"comment on column {column_name} is {_literal(text)}")


def _copy_publications(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {ALIAS}.meta")
    con.execute(
        f"""
        create or replace table {ALIAS}.meta.publications as
        select load_id, source, as_of, file_name, sha256, rows_loaded, rows_quarantined,
               rows_warned, finished_at as published_at
        from meta.loads where status = 'published' order by load_id
        """
    )
    con.execute(f"comment on table {ALIAS}.meta.publications is {_literal(PUBLICATIONS_COMMENT)}")


def _views_key(parts: list[tuple[str, str, str, str]]) -> str:
    """What the views depend on: their SQL, which tables there are and their shapes."""
    texts = [sql_text(f"analyst/{view}") for view in VIEWS]
    shapes = sorted({(table, signature) for table, signature, _, _ in parts})
    return hashlib.sha256(json.dumps([texts, shapes]).encode("utf-8")).hexdigest()


def _create_views(path: Path) -> None:
    """The views, in a connection of the new database itself so their names bind there. A view
    over a table not published yet is left out."""
    analyst = duckdb.connect(str(path))
    try:
        for view in VIEWS:
            try:
                for statement in statements(sql_text(f"analyst/{view}")):
                    analyst.execute(statement)
            except duckdb.CatalogException:
                continue
        analyst.execute("checkpoint")
    finally:
        analyst.close()


def _held_parts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, dict[str, str]]]:
    """What the database being updated holds: per table, its signature and its parts'
    fingerprints (empty for a database built before it recorded them)."""
    if not table_exists(con, PARTS_TABLE, ALIAS):
        return {}
    rows = con.execute(
        f"select table_name, signature, part, fingerprint from {ALIAS}.{PARTS_TABLE}"
    ).fetchall()
    held: dict[str, tuple[str, dict[str, str]]] = {}
    for table, signature, part, fingerprint in rows:
        held.setdefault(table, (signature, {}))[1][part] = fingerprint
    return held  # with the views' row: (their key, {})


def _bring_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    described: Described,
    held: tuple[str, dict[str, str]] | None,
) -> list[tuple[str, str, str, str]]:
    """Make the copy of `table` the warehouse's: parts whose fingerprint changed are replaced
    (a year of footfall, not ten), the whole table when its shape changed. Returns its rows
    of the parts table."""
    split_by = SPLIT_BY.get(table)
    parts = table_parts(con, table, split_by)
    signature = _signature(described)
    current = {part.label: part.fingerprint for part in parts}
    if held is None or held[0] != signature or split_by is None:
        if held is None or held[0] != signature or held[1] != current:
            _copy_table(con, table, described)
    else:
        target, source = _target(table), _source(table)
        for part in parts:
            if held[1].get(part.label) != part.fingerprint:
                con.execute(f"delete from {target} where {part.condition}")
                con.execute(f"insert into {target} select * from {source} where {part.condition}")
        for label in held[1].keys() - current.keys():
            con.execute(f"delete from {target} where {part_condition(split_by, label)}")
    return [(table, signature, label, fingerprint) for label, fingerprint in current.items()]


def _record_parts(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str]]) -> None:
    con.execute(
        f"create or replace table {ALIAS}.{PARTS_TABLE} "
        "(table_name varchar, signature varchar, part varchar, fingerprint varchar)"
    )
    con.executemany(f"insert into {ALIAS}.{PARTS_TABLE} values (?, ?, ?, ?)", rows)
    con.execute(f"comment on table {ALIAS}.{PARTS_TABLE} is {_literal(PARTS_COMMENT)}")


COMPACT_FREE_SHARE = 0.25  # of the copy's blocks free: it is built again from nothing


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    # The oldest storage format DuckDB 1.0 and later read: analysts' clients vary.
    con.execute(f"attach {_literal(str(path))} as {ALIAS} (storage_version {_literal(STORAGE)})")


def _mostly_free(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select total_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [ALIAS],
    ).fetchall()
    return bool(row) and row[0][1] > COMPACT_FREE_SHARE * row[0][0]


def build_analyst_database(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    update: bool = False,
) -> tuple[str, int]:
    """Write `exports/france_services.duckdb` from the warehouse `con`; return the sha256 and
    size of the file written. With `update` (the file in place is the one the release
    recorded), the new file starts as a copy of it and only what changed is copied again."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    final = exports_dir / ANALYST_DATABASE
    prefix = f".{ANALYST_DATABASE}.tmp-"
    sweep_orphans(exports_dir, prefix)  # a killed build's files
    temporary = exports_dir / f"{prefix}{os.getpid()}"
    wal = temporary.with_name(temporary.name + ".wal")
    temporary.unlink(missing_ok=True)
    wal.unlink(missing_ok=True)
    try:
        if update:
            shutil.copyfile(final, temporary)
        _attach(con, temporary)
        if update and _mostly_free(con):
            # Replaced years leave free blocks that later writes reuse; past a share of the
            # file, a build from nothing compacts it.
            con.execute(f"detach {ALIAS}")
            temporary.unlink()
            _attach(con, temporary)
        try:
            # One transaction: each statement on its own would commit (and sync) separately.
            with transaction(con):
                held = _held_parts(con)
                held_views = held.pop(VIEWS_ROW, ("", {}))[0]
                tables = analyst_tables(con)
                described = describe_tables(con, tables)
                parts = []
                for table in tables:
                    parts += _bring_table(con, table, described[table], held.get(table))
                for gone in held.keys() - set(tables):
                    con.execute(f"drop table if exists {_target(gone)}")
                _copy_publications(con)
                views = _views_key(parts)
                _record_parts(con, [*parts, (VIEWS_ROW, views, "", "")])
            # Written here, so that a write error (a full disk) is reported as itself rather
            # than as a failed checkpoint at DETACH.
            con.execute(f"checkpoint {ALIAS}")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"detach {ALIAS}")
            raise
        con.execute(f"detach {ALIAS}")
        if views != held_views:
            _create_views(temporary)
        sha256, size = file_digest(temporary)
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
    return sha256, size
