"""Benchmark: years of daily espace snapshots (run by hand, not in tests).

    .venv/bin/python benchmarks/bench_history.py --scale 1 --days 365

Snapshots come from benchmarks/synthetic.py and are loaded through
`warehouse.espaces.write_snapshot` and the refresh the model graph says follows, in one
transaction each, as the pipeline does
(3,650 Prefect flow runs would take hours; the flow adds a fixed cost per run, measured in
benchmarks/bench_espaces.py). Reports the cost of each daily load as history grows, peak
memory, GX validation versus the same checks in plain DuckDB SQL, analyst queries on the marts,
and Parquet versus CSV export sizes. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import espace_snapshots  # noqa: E402

from expectations.runner import validate  # noqa: E402
from warehouse import espaces as store  # noqa: E402
from warehouse.db import begin_load, connect, finish_load, refresh_downstream, transaction  # noqa: E402
from warehouse.exports import export_table  # noqa: E402

PLAIN_SQL_CHECKS = """
select
    count(*) between $min_rows and $max_rows as row_count_guard,
    count(distinct espace_id) = count(espace_id) as identifiers_unique,
    count(*) filter (where espace_id is null) as identifier_present,
    count(*) filter (where coordinates_check not in ('ok', 'swapped')) as coordinates_present,
    count(*) filter (where not regexp_full_match(insee_dep, '(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-8])')) as departement_valid,
    count(*) filter (where not regexp_full_match(postcode, '[0-9]{5}')) as postcode_wellformed,
    count(*) filter (where not regexp_full_match(insee_com, '[0-9][0-9AB][0-9]{3}')) as insee_com_wellformed
from frame
"""  # noqa: E501


def timed(function, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    db_path = work / "warehouse.duckdb"
    load_seconds: dict[int, float] = {}
    started = time.perf_counter()
    last_frame = None
    for day, (as_of, frame) in enumerate(espace_snapshots(args.scale, args.days)):
        start = time.perf_counter()
        with connect(db_path) as con:
            load_id = begin_load(con, "espaces", as_of=as_of)
            with transaction(con):
                store.write_snapshot(
                    con, load_id=load_id, as_of=as_of, accepted=frame, quarantined=[]
                )
                refresh_downstream(con, ("raw/espaces",), as_of)
                finish_load(con, load_id, "published", "bench", rows_loaded=frame.height)
        load_seconds[day + 1] = time.perf_counter() - start
        last_frame = frame
    backfill = time.perf_counter() - started
    assert last_frame is not None

    # The check columns the parser derives, which the synthetic frames do not carry.
    last_frame = last_frame.with_columns(
        pl.lit(True).alias("departement_consistent"), pl.lit(True).alias("labels_recognised")
    )
    n = last_frame.height
    parameters = {"min_rows": int(n * 0.8), "max_rows": n * 2}
    gx = timed(lambda: validate(last_frame, "espaces", parameters, engine="gx"), repeat=3)
    sql_engine = timed(
        lambda: validate(last_frame, "espaces", parameters, engine="duckdb"), repeat=3
    )
    import duckdb

    plain_con = duckdb.connect()
    plain_con.register("frame", last_frame.to_arrow())
    plain = timed(lambda: plain_con.execute(PLAIN_SQL_CHECKS, parameters).fetchall())

    with connect(db_path) as con:
        dep = timed(
            lambda: con.execute(
                "select as_of, n_open, n_opened, n_closed from marts.network_by_departement "
                "where insee_dep = '35' order by as_of"
            ).fetchall()
        )
        current = timed(
            lambda: con.execute(
                "select insee_dep, count(*) from marts.espaces_current group by 1"
            ).fetchall()
        )
        raw_rows = con.execute("select count(*) from raw.espaces").fetchone()[0]
        versions = con.execute("select count(*) from core.espaces").fetchone()[0]
        sizes = {}
        for table, name in (
            ("core.espaces", "espaces_history"),
            ("marts.network_by_departement", "network_by_departement"),
        ):
            files = export_table(con, table, work / "exports", name)
            sizes[name] = {p.suffix: p.stat().st_size for p in files}
    checkpoints = sorted({10, 100, args.days // 2, args.days} & set(load_seconds))
    window = {
        d: statistics.median(load_seconds[x] for x in range(max(1, d - 4), d + 1))
        for d in checkpoints
    }
    print(
        json.dumps(
            {
                "scale": args.scale,
                "days": args.days,
                "espaces_last_day": n,
                "raw_rows": raw_rows,
                "core_versions": versions,
                "backfill_s": round(backfill, 1),
                "daily_load_s_median_of_5_ending_at_day": {
                    d: round(v, 3) for d, v in window.items()
                },
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "gx_validation_s": round(gx, 3),
                "suite_in_duckdb_validation_s": round(sql_engine, 4),
                "plain_sql_checks_s": round(plain, 4),
                "mart_query_one_departement_s": round(dep, 4),
                "mart_query_espaces_current_s": round(current, 4),
                "export_sizes_bytes": sizes,
                "db_bytes": db_path.stat().st_size,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
