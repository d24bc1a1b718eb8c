"""Benchmark: footfall flat over time (issue 15, measure 3), side by side in one run.

    .venv/bin/python benchmarks/bench_footfall.py [--runs 3] [--memory-rows 10000000]
        [--skip-flat] [--checkout DIR]

On one Prefect server (`fsdata server start` on a scratch home), in this process:

- `month into empty` / `month into ten years`: one month's feed (3,000 espaces × 10 partners =
  30,000 rows, 2026-01) loaded into a warehouse holding the espaces only, and into one holding
  ten years of the same espaces (2016–2025, 3.6 M rows); each run on a fresh copy of the
  warehouse, the two interleaved; the task cache off (`task_cache_days = 0`);
- `unchanged`: the same month's feed again on a warehouse that holds it, next to an empty flow;
- with `--memory-rows N`, the first load of an N-row feed (`synthetic.write_footfall`) in a
  child process `fsdata ingest footfall`, its peak RSS (ru_maxrss, read by a small process
  that starts it: the RSS of a process that forks counts in its child's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def month_feed(path: Path, espaces: int, month: str) -> Path:
    import numpy as np
    import polars as pl
    from synthetic import FEED_PARTNERS

    rng = np.random.default_rng(5)
    rows = espaces * len(FEED_PARTNERS)
    requests = rng.poisson(40, rows)
    resolved = (requests * rng.uniform(0.5, 1.0, rows)).astype(np.int64)
    pl.DataFrame(
        {
            "espace_id": (np.arange(rows) // len(FEED_PARTNERS)).astype(str),
            "month": [month] * rows,
            "partner": pl.Series(np.array(FEED_PARTNERS)[np.arange(rows) % len(FEED_PARTNERS)]),
            "requests": requests,
            "resolved": resolved,
            "redirected": requests - resolved,
        }
    ).write_parquet(path, compression="zstd")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, default=0)
    parser.add_argument("--skip-flat", action="store_true")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the project code measured")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    sys.path.insert(0, str(checkout))
    work = Path(tempfile.mkdtemp(prefix="bench-footfall-"))
    os.environ["FSDATA_TASK_CACHE_DAYS"] = "0"
    scratch = work / "server-home"
    # The server is this checkout's `fsdata server` (an older checkout has none).
    server = [sys.executable, "-m", "fsdata.cli", "server"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(scratch / ".prefect")}
    subprocess.run([*server, "start", "--home", str(scratch)], env=env, check=True, cwd=ROOT)
    record = json.loads((scratch / ".prefect" / "server.json").read_text("utf-8"))
    os.environ.update(PREFECT_API_URL=record["url"], PREFECT_HOME=str(scratch / ".prefect"))
    os.environ["PYTHONPATH"] = str(checkout)  # for the child process of the memory measure
    try:
        results = {} if args.skip_flat else flat(work, args.runs)
        if args.memory_rows:
            results["first_load"] = first_load(work, args.memory_rows, checkout)
        print(json.dumps({"checkout": str(checkout), "load": os.getloadavg(), **results}))
    finally:
        subprocess.run([*server, "stop", "--home", str(scratch)], env=env, cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)


def _espaces_home(work: Path, name: str, espaces_needed: int) -> Path:
    from synthetic import BASE_ESPACES, espace_snapshots, write_listing_csv

    from flows.espaces import espaces

    home = work / name
    # Espaces 0…n as of 2016-01-01, so that every feed row names an espace open that month.
    _, frame = next(espace_snapshots(scale=-(-espaces_needed // BASE_ESPACES), days=1))
    listing = write_listing_csv(frame, work / f"{name}-espaces.csv")
    espaces(home=str(home), file=str(listing), as_of="2016-01-01")
    return home


def flat(work: Path, runs: int) -> dict[str, object]:
    from prefect import flow
    from synthetic import write_footfall

    from flows.footfall import footfall

    empty_home = _espaces_home(work, "empty", 3_000)
    years_home = work / "years"
    shutil.copytree(empty_home, years_home)
    ten_years = write_footfall(work / "ten-years.parquet", rows=3_600_000)
    footfall(home=str(years_home), file=str(ten_years))
    feed = month_feed(work / "feed-2026-01.parquet", 3_000, "2026-01")

    def once(home: Path, loads: list[float]) -> float:
        trial = work / "trial"
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(home, trial, ignore=shutil.ignore_patterns("cache"))
        os.sync()  # the copy's write-back (a ten-year release is ~1 GB) is not the load's cost
        started = time.perf_counter()
        summary = footfall(home=str(trial), file=str(feed))
        elapsed = time.perf_counter() - started
        assert summary["status"] == "published", summary
        loads.append(elapsed - release_seconds.pop())
        return elapsed

    # The release (re-export of the footfall dataset) timed apart: the rest is the load.
    from flows import pipeline

    publish, release_seconds = pipeline.release_store.publish, []

    def timed_publish(*args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return publish(*args, **kwargs)
        finally:
            release_seconds.append(time.perf_counter() - started)

    pipeline.release_store.publish = timed_publish  # type: ignore[assignment]
    into_empty, into_years, load_empty, load_years = [], [], [], []
    for _ in range(runs):
        into_empty.append(once(empty_home, load_empty))
        into_years.append(once(years_home, load_years))
    # The same feed again, on a warehouse that holds it: found in force before parsing.
    footfall(home=str(empty_home), file=str(feed))

    @flow(name="empty")
    def nothing() -> None:
        return None

    nothing()
    unchanged, reference = [], []
    for _ in range(runs + 2):
        started = time.perf_counter()
        summary = footfall(home=str(empty_home), file=str(feed))
        unchanged.append(time.perf_counter() - started)
        assert summary["status"] == "unchanged", summary
        started = time.perf_counter()
        nothing()
        reference.append(time.perf_counter() - started)
    e, y = statistics.median(into_empty), statistics.median(into_years)
    u, r = statistics.median(unchanged), statistics.median(reference)
    return {
        "month_into_empty_s": round(e, 2),
        "month_into_ten_years_s": round(y, 2),
        "ratio_ten_years_to_empty": round(y / e, 2),
        "runs_empty": [round(x, 2) for x in into_empty],
        "runs_ten_years": [round(x, 2) for x in into_years],
        "without_release_into_empty_s": round(statistics.median(load_empty), 2),
        "without_release_into_ten_years_s": round(statistics.median(load_years), 2),
        "without_release_ratio": round(
            statistics.median(load_years) / statistics.median(load_empty), 2
        ),
        "unchanged_s": round(u, 2),
        "empty_flow_s": round(r, 2),
        "ratio_unchanged_to_empty_flow": round(u / r, 2),
    }


def first_load(work: Path, rows: int, checkout: Path) -> dict[str, object]:
    from synthetic import footfall_espaces, write_footfall

    home = _espaces_home(work, "memory", footfall_espaces(rows))
    feed = write_footfall(work / "feed-big.parquet", rows=rows)
    command = [sys.executable, "-m", "fsdata.cli", "ingest", "footfall", str(feed)]
    started = time.perf_counter()
    # Started by a small process of its own: a child's ru_maxrss counts the RSS of the process
    # that forked it (this one holds the generated feed and the espace history: gigabytes).
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, *command, "--home", str(home)],
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stdout.strip().splitlines()[-1]) / 1024 / 1024  # KiB → GiB
    return {"rows": rows, "seconds": round(elapsed, 1), "peak_rss_gib": round(peak, 2)}


# Runs its arguments as a command, exits with its status; prints its peak RSS (KiB) last.
PEAK_OF_CHILD = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


if __name__ == "__main__":
    main()
