"""Polars frames into DuckDB and back, without copying them.

A frame reaches DuckDB as an Arrow table in polars' own `string_view` form: the default
conversion turns every text column into `large_string`, a copy (gigabytes for a ten-million-row
feed), where DuckDB reads the `string_view` buffers as they are. A query's result comes back as
one polars frame through Arrow. Validation and the warehouse both cross this way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa


def arrow_view(frame: pl.DataFrame) -> pa.Table:
    """`frame` as an Arrow table sharing its buffers."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


@contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A polars frame readable as the view `name` (no copy) for the block."""
    con.register(name, arrow_view(frame))
    try:
        yield con
    except BaseException:
        # A failed statement (or a signal) may have aborted the transaction, and unregistering
        # then fails too: the error to report is the first one.
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def frame_of(con: duckdb.DuckDBPyConnection, query: str, parameters: Any = None) -> pl.DataFrame:
    """A query's whole result as a polars frame (read to its end)."""
    frame = pl.from_arrow(con.sql(query, params=parameters).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame
