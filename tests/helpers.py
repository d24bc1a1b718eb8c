"""Helpers shared by the tests: reading a warehouse, and bringing one up to date after writing
a source's tables directly (what a load's transaction and then the coverage flow do)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from warehouse import graph
from warehouse.db import refresh_downstream, refresh_models


def query(home: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of `sql` on the warehouse of `home`, opened read-only."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def refresh_after(
    con: duckdb.DuckDBPyConnection, writes: tuple[str, ...], as_of: date | None = None
) -> None:
    """After writing `writes` directly: the models the graph says follow, derived ones too."""
    refresh_downstream(con, writes, as_of)
    derived = [m for m in graph.refresh_plan(writes) if m.runs_in is not None]
    refresh_models(con, derived)


def refresh_promise_tracker(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild the promise tracker's models as the graph does; the rows per verdict."""
    names = ("core/promises", "marts/promise_measures", "marts/promise_tracker")
    refresh_models(con, [graph.MODEL_BY_NAME[name] for name in names])
    counts = con.execute("select verdict, count(*) from marts.promise_tracker group by verdict")
    return {verdict: int(n) for verdict, n in counts.fetchall()}
