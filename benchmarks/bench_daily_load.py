"""Benchmark: one more daily espace load on a warehouse that already holds years of history.

Run by hand, on a warehouse built by benchmarks/bench_history.py (its path is printed there):

    .venv/bin/python benchmarks/bench_daily_load.py /tmp/bench-history-…/warehouse.duckdb

Works on a copy. Takes the latest snapshot in force, changes 1 % of the phone numbers, loads it
as the next day and times each statement group of the load (the steps of
warehouse.espaces.publish_snapshot), median of 3 consecutive days.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from warehouse import espaces as store  # noqa: E402
from warehouse.db import begin_load, connect, set_snapshot, transaction  # noqa: E402


def one_day(con: duckdb.DuckDBPyConnection, day_offset: int) -> dict[str, float]:
    last = con.execute("select max(as_of) from meta.snapshots").fetchall()[0][0]
    frame = pl.from_arrow(
        con.sql(
            "select * exclude (load_id, as_of, attributes_hash) from staging.espaces "
            "where as_of = $last",
            params={"last": last},
        ).to_arrow_table()
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 100 == day_offset)
        .then(pl.lit("01 00 00 00 00"))
        .otherwise(pl.col("phone"))
        .alias("phone")
    )
    day = last + timedelta(days=1)
    load_id = begin_load(con, "espaces", as_of=day)
    timings: dict[str, float] = {}
    with transaction(con):
        started = time.perf_counter()
        incoming = frame.select(store.RAW_COLUMNS).with_columns(
            pl.lit(load_id, dtype=pl.Int64).alias("load_id"), pl.lit(day).alias("as_of")
        )
        con.register("incoming_espaces", incoming.to_arrow())
        con.execute("insert into raw.espaces by name select * from incoming_espaces")
        con.unregister("incoming_espaces")
        set_snapshot(con, "espaces", day, load_id)
        timings["raw_insert_s"] = time.perf_counter() - started
        started = time.perf_counter()
        store.replay_history(con, day)
        timings["history_s"] = time.perf_counter() - started
        started = time.perf_counter()
        store.rebuild_marts(con, day)
        timings["marts_s"] = time.perf_counter() - started
        started = time.perf_counter()
    timings["commit_s"] = time.perf_counter() - started
    timings["total_s"] = sum(timings.values())
    return timings


def main() -> None:
    source = Path(sys.argv[1])
    copy = Path(tempfile.mkdtemp(prefix="bench-daily-")) / "warehouse.duckdb"
    shutil.copyfile(source, copy)
    with connect(copy) as con:
        days = con.execute("select count(*) from meta.snapshots").fetchall()[0][0]
        runs = [one_day(con, offset) for offset in range(3)]
    result = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    print(json.dumps({"history_days": days, **result}))


if __name__ == "__main__":
    main()
