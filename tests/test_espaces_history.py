"""The espace history (SCD type 2) replayed directly on an in-memory DuckDB, through the model
graph's refresh after a snapshot is written: opening, closing, changing, coming back, a
backfill older than everything, and a second file for a date already loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.espaces import ATTRIBUTES
from warehouse import graph, history
from warehouse.db import connect, refresh_models
from warehouse.espaces import HISTORY, RAW_COLUMNS, write_snapshot

D0, D1, D2, D3 = date(2020, 1, 1), date(2020, 2, 1), date(2020, 3, 1), date(2020, 4, 1)
AFTER_A_LOAD = [m for m in graph.refresh_plan(("raw/espaces",)) if m.runs_in is None]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(Path(":memory:")) as connection:
        yield connection


def snapshot(con: duckdb.DuckDBPyConnection, load_id: int, as_of: date, **names: str) -> None:
    """Write the snapshot of `as_of` holding espace id → name, then refresh as a load does."""
    given = {
        "source_row": list(range(len(names))),
        "espace_id": list(names),
        "name": list(names.values()),
        "insee_dep": ["01"] * len(names),
    }
    missing = [pl.lit(None).alias(c) for c in RAW_COLUMNS if c not in given]
    frame = pl.DataFrame(given).with_columns(*missing)
    frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags"))
    write_snapshot(con, load_id=load_id, as_of=as_of, accepted=frame, quarantined=[])
    refresh_models(con, AFTER_A_LOAD, as_of)


def versions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, date, date | None]]:
    return con.execute(
        "select espace_id, name, valid_from, valid_to from core.espaces order by all"
    ).fetchall()


def test_open_close_change_return(con: duckdb.DuckDBPyConnection) -> None:
    snapshot(con, 1, D1, a="A", b="B")
    snapshot(con, 2, D2, a="A renamed")
    snapshot(con, 3, D3, a="A renamed", b="B")
    assert versions(con) == [
        ("a", "A", D1, D2),
        ("a", "A renamed", D2, None),
        ("b", "B", D1, D2),
        ("b", "B", D3, None),
    ]
    changes = history.changes(con, HISTORY, D3)
    assert (changes.open_before, changes.open_after, changes.opened, changes.changed) == (
        1, 2, 1, 0,
    )  # fmt: skip
    assert con.execute(
        "select as_of, count(*) from marts.espaces_current group by all"
    ).fetchall() == [(D3, 2)]


def test_backfill_and_same_date_replacement_give_the_history_of_the_files_in_force(
    con: duckdb.DuckDBPyConnection,
) -> None:
    snapshot(con, 1, D1, a="A", b="B")
    snapshot(con, 2, D3, a="A", b="B")
    snapshot(con, 3, D0, c="C")  # older than everything: replayed from D0 on
    snapshot(con, 4, D2, a="A")  # between the two: b closes at D2, comes back at D3
    snapshot(con, 5, D2, a="A", b="B")  # another file for D2 replaces it
    assert versions(con) == [("a", "A", D1, None), ("b", "B", D1, None), ("c", "C", D0, D1)]
    by_date = con.execute(
        "select as_of, sum(n_open) from marts.network_by_departement group by all order by all"
    ).fetchall()
    assert [(day, int(n)) for day, n in by_date] == [(D0, 1), (D1, 2), (D2, 2), (D3, 2)]


def test_the_version_hash_reads_the_parsers_canonical_attributes() -> None:
    """staging.espaces hashes the attributes the parser calls canonical, in that order."""
    sql = graph.model_sql("staging/espaces") or ""
    packed = re.search(r"struct_pack\((.*?)\)\)", sql, re.DOTALL)
    assert packed is not None
    assert tuple(name.strip() for name in packed.group(1).split(",")) == ATTRIBUTES
