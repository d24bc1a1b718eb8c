"""Benchmark: ingesting an espace listing, at the real size and 100× larger.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/bench_espaces.py [--scales 1 100]

Each scale runs in its own process so that its peak memory is its own. The real 2,845-row
listing of ../shared/data is the 1× input; the 100× input repeats its rows with new
identifiers. Stages are timed through the same functions the flow's tasks call, plus one
full `espaces` flow run on an ephemeral Prefect server (server start-up excluded).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_LISTING = ROOT.parent / "shared" / "data" / "espaces" / "liste-fs-20240801.csv"


def make_listing(scale: int, target: Path) -> Path:
    """The real listing repeated `scale` times, identifiers offset per copy."""
    with REAL_LISTING.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for copy in range(scale):
            for row in body:
                writer.writerow([str(copy * 100_000 + int(row[0])), *row[1:]])
    return target


def run_scale(scale: int) -> dict[str, float | int]:
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix=f"bench-espaces-{scale}x-"))
    os.environ["PREFECT_HOME"] = str(work / ".prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    import polars as pl

    from expectations.runner import validate
    from fsdata.config import load_settings
    from transforms.espaces import parse_listing
    from warehouse import espaces as store
    from warehouse.db import begin_load, connect, refresh_downstream, transaction
    from warehouse.exports import export_table

    listing = make_listing(scale, work / "listing.csv")
    settings = load_settings(work / "home")
    timings: dict[str, float | int] = {"scale": scale}

    started = time.perf_counter()
    frame = parse_listing(listing)
    timings["parse_s"] = time.perf_counter() - started
    timings["rows"] = frame.height

    validate(frame.head(10), "espaces", {"min_rows": 0, "max_rows": 10**12})  # GX warm-up
    started = time.perf_counter()
    outcome = validate(frame, "espaces", {"min_rows": 0, "max_rows": 10**12})
    timings["validate_s"] = time.perf_counter() - started

    accepted = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags"))
    for label, day, rows in (
        ("first_load_s", date(2024, 8, 1), accepted),
        # a day later: 1 % of the espaces changed their phone number
        (
            "next_day_load_s",
            date(2024, 8, 2),
            accepted.with_columns(
                pl.when(pl.int_range(pl.len()) % 100 == 0)
                .then(pl.lit("01 00 00 00 00"))
                .otherwise(pl.col("phone"))
                .alias("phone")
            ),
        ),
    ):
        with connect(settings.warehouse_path) as con:
            load_id = begin_load(con, "espaces", as_of=day)
            started = time.perf_counter()
            with transaction(con):
                store.write_snapshot(con, load_id=load_id, as_of=day, accepted=rows, quarantined=[])
                refresh_downstream(con, ("raw/espaces",), day)
            timings[label] = time.perf_counter() - started

    started = time.perf_counter()
    with connect(settings.warehouse_path) as con:
        for name, table in (
            ("espaces_history", "core.espaces"),
            ("espaces_current", "marts.espaces_current"),
            ("network_by_departement", "marts.network_by_departement"),
        ):
            export_table(con, table, settings.exports_dir / "espaces", name)
    timings["export_s"] = time.perf_counter() - started
    timings["blocking_failed"] = int(outcome.blocking_failed)

    from prefect.testing.utilities import prefect_test_harness

    from flows.espaces import espaces

    with prefect_test_harness(server_startup_timeout=120):
        started = time.perf_counter()
        espaces(home=str(work / "flow-home"), file=str(listing), as_of="2024-08-01")
        timings["flow_run_s"] = time.perf_counter() - started

    timings["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_scale(args.child)))
        return
    if not REAL_LISTING.exists():
        sys.exit(f"{REAL_LISTING} is needed (the real listing of ../shared/data)")
    print(f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    for scale in args.scales:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(scale)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
