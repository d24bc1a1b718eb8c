"""Benchmark: one more daily espace load at day 10 and at day N (issue 15, measure 4).

    .venv/bin/python benchmarks/bench_daily_load.py [--days 3650] [--keep DIR | --reuse DIR]

Builds a warehouse of N daily snapshots of `benchmarks/synthetic.py` (seed 7, ~3,000 espaces,
~18 changes a day): each day's rows go to `raw.espaces` and the snapshot is applied to
`core.espaces` by the same SQL a load runs (`espaces__apply_snapshot.sql`), 50 days a
transaction; the marts are then refreshed once. A copy is kept at day 10. On a copy of each,
three more days are loaded the way a load's transaction does (warehouse.espaces.write_snapshot,
then every model the graph brings up to date in the load, then the run summary's counts), and
timed; the medians at day 10 and day N are printed side by side, with their ratio.
`--keep DIR` keeps the two built warehouses there; `--reuse DIR` measures them again (e.g. with
another checkout on PYTHONPATH, for a before/after on the same data).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or Path(__file__).parents[1])
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402
from synthetic import espace_snapshots  # noqa: E402

from warehouse import espaces as store  # noqa: E402
from warehouse import graph, history  # noqa: E402
from warehouse.db import (  # noqa: E402
    begin_load,
    connect,
    finish_load,
    refresh_models,
    run_model,
    transaction,
)

IN_LOAD = [m for m in graph.refresh_plan(("raw/espaces",)) if m.runs_in is None]


def build(folder: Path, days: int) -> tuple[Path, Path]:
    """The warehouse at day 10 and at day `days`."""
    folder.mkdir(parents=True, exist_ok=True)
    path, early = folder / "warehouse-last.duckdb", folder / "warehouse-day10.duckdb"
    with connect(path) as con:
        in_transaction = False
        for day, (as_of, frame) in enumerate(espace_snapshots(scale=1, days=days), start=1):
            if not in_transaction:
                con.execute("begin transaction")
                in_transaction = True
            load_id = begin_load(con, "espaces", as_of=as_of)
            store.write_snapshot(con, load_id=load_id, as_of=as_of, accepted=frame, quarantined=[])
            finish_load(con, load_id, "published", "bench", rows_loaded=frame.height)
            run_model(con, "core/espaces__apply_snapshot", {"as_of": as_of})
            if day % 50 == 0 or day == days or day == 10:
                con.execute("commit")
                in_transaction = False
            if day == 10:
                _finish_marts(con)
                con.execute("checkpoint")
                shutil.copyfile(path, early)
            if day % 500 == 0:
                print(f"built {day} days", file=sys.stderr, flush=True)
        _finish_marts(con)
    return early, path


def _finish_marts(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        refresh_models(con, [m for m in IN_LOAD if m.name != "core/espaces"])


def one_day(con: duckdb.DuckDBPyConnection, offset: int) -> float:
    last = con.execute("select max(as_of) from meta.snapshots").fetchall()[0][0]
    frame = pl.from_arrow(
        con.sql(
            "select * exclude (load_id, as_of, attributes_hash) from staging.espaces "
            "where as_of = $last",
            params={"last": last},
        ).to_arrow_table()
    ).with_columns(  # 1 % of the espaces change their phone number
        pl.when(pl.int_range(pl.len()) % 100 == offset)
        .then(pl.lit("01 00 00 00 00"))
        .otherwise(pl.col("phone"))
        .alias("phone")
    )
    day = last + timedelta(days=1)
    load_id = begin_load(con, "espaces", as_of=day)
    started = time.perf_counter()
    with transaction(con):
        store.write_snapshot(con, load_id=load_id, as_of=day, accepted=frame, quarantined=[])
        refresh_models(con, IN_LOAD, day)
        history.changes(con, store.HISTORY, day)
        finish_load(con, load_id, "published", "bench", rows_loaded=frame.height)
    return time.perf_counter() - started


def measure(source: Path, runs: int) -> tuple[float, list[float], int]:
    copy = Path(tempfile.mkdtemp(prefix="bench-daily-")) / "warehouse.duckdb"
    shutil.copyfile(source, copy)
    try:
        with connect(copy) as con:
            days = con.execute("select count(*) from meta.snapshots").fetchall()[0][0]
            one_day(con, 99)  # warm-up: the first connection may update the schema
            samples = [one_day(con, offset) for offset in range(runs)]
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    return statistics.median(samples), samples, days


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--reuse", type=Path)
    args = parser.parse_args()
    if args.reuse:
        early, last = args.reuse / "warehouse-day10.duckdb", args.reuse / "warehouse-last.duckdb"
        build_s = 0.0
    else:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-days-"))
        started = time.perf_counter()
        early, last = build(folder, args.days)
        build_s = time.perf_counter() - started
    results: dict[str, object] = {"code": str(ROOT), "build_s": round(build_s, 1)}
    early_runs: list[float] = []
    last_runs: list[float] = []
    for _ in range(2):  # interleaved: the machine's load weighs on both alike
        e, samples_e, days_e = measure(early, args.runs)
        n, samples_n, days_n = measure(last, args.runs)
        early_runs += samples_e
        last_runs += samples_n
    e, n = statistics.median(early_runs), statistics.median(last_runs)
    results.update(
        {
            f"day_{days_e + 1}_s": round(e, 3),
            f"day_{days_n + 1}_s": round(n, 3),
            "ratio": round(n / e, 2),
            "runs_early": [round(x, 3) for x in early_runs],
            "runs_last": [round(x, 3) for x in last_runs],
            "load": os.getloadavg(),
        }
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
