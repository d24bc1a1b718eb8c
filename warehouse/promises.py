"""The promise tracker: the promises of the network (cited reference data,
`fsdata/reference/promises.csv`) judged on measures computed from the warehouse.

The model graph rebuilds `core.promises` (`load_promises`), `marts.promise_measures`
(`build_measures`: one model per measure series, each reading one table; a series whose source
was never loaded adds nothing, and the promises it measures say so) and `marts.promise_tracker`
after any load of what they read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.promises import REFERENCE, read_promises
from warehouse.db import insert_frame, run_model

# The measure series, one model each (sql/marts/promise_measures__<series>.sql), each reading
# one table (warehouse/graph.py declares what marts.promise_measures reads).
SERIES = ("barometre", "listing", "demarches", "coverage", "conseillers", "partners")


def load_promises(con: duckdb.DuckDBPyConnection, reference: Path = REFERENCE) -> None:
    """`core.promises` from the cited reference table kept with the code."""
    con.execute("delete from core.promises")
    insert_frame(con, "core.promises", read_promises(reference))


def build_measures(con: duckdb.DuckDBPyConnection) -> None:
    """`marts.promise_measures`: created empty, then each series added."""
    run_model(con, "marts/promise_measures")
    for series in SERIES:
        run_model(con, f"marts/promise_measures__{series}")
