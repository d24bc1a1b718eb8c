"""`fsdata rebuild`: a deleted or damaged warehouse recreated from the raw archive alone gives
the same tables (load identifiers and timestamps aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flows.rebuild import rebuild
from fsdata.cli import EXIT_DAMAGED, main
from tests.helpers import DemoHomes, copy_home

# Columns that say which load, not what: they differ between two loads of one file (and the
# timestamps, which say when).
VOLATILE = ("load_id", "communes_load_id")


def tables(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every core and mart table's rows, in a stable order, without the volatile columns."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        found = {}
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('core', 'marts') order by all"
        ).fetchall()
        for schema, table in names:
            columns = [
                c
                for (c, kind) in con.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? "
                    "and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if c not in VOLATILE and not kind.startswith("TIMESTAMP")
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            found[f"{schema}.{table}"] = con.execute(
                f'select {listed} from "{schema}"."{table}" order by all'
            ).fetchall()
        return found
    finally:
        con.close()


def test_a_deleted_warehouse_is_rebuilt_with_the_same_tables(
    demo_homes: DemoHomes, tmp_path: Path
) -> None:
    sources = ("espaces", "partners", "communes", "observatoire", "footfall")
    home = copy_home(demo_homes(*sources), tmp_path)
    before = tables(home)
    assert sum(len(rows) for rows in before.values()) > 1000

    (home / "warehouse.duckdb").unlink()
    result = rebuild(home=str(home))
    assert result["loads"] == 9  # 3 listings, the catalogue, a vintage, 3 editions, a feed
    assert tables(home) == before


def test_a_damaged_warehouse_says_the_way_out_and_rebuild_takes_it(
    demo_homes: DemoHomes, tmp_path: Path, capsys: Any
) -> None:
    home = copy_home(demo_homes("espaces"), tmp_path)
    before = tables(home)
    warehouse = home / "warehouse.duckdb"
    warehouse.write_bytes(warehouse.read_bytes()[:5000])  # truncated

    assert main(["status", "--home", str(home)]) == EXIT_DAMAGED
    assert "fsdata rebuild" in capsys.readouterr().err
    assert rebuild(home=str(home))["loads"] == 3
    assert tables(home) == before
    assert list(home.glob("warehouse.duckdb.before-rebuild-*"))  # the damaged file, kept
