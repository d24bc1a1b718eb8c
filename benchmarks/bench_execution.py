"""Benchmark: what the task cache saves, and the task runners on many observatory editions.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/bench_execution.py [--scale 100] [--editions 40]
        [--footfall-rows 1000000] [--parts espaces footfall observatoire]

1. Cache, espace listing: a synthetic listing of ~3,000 × scale espaces is loaded as of
   2024-08-01, then the same file as of 2024-06-01 (parse reused: the row-count guard's bounds
   differ, so it is validated again) and 2024-04-01 (parse and validation reused).
2. Cache, footfall feed: a synthetic feed loaded twice (the second run is `unchanged`, after
   reusing the parse and the validation).
3. Runners, observatory refresh: `editions` synthetic editions served by a loopback
   data.gouv.fr-like API, refreshed into an empty warehouse with the thread runner, then with
   a local Dask cluster of two worker processes.

Flow runs go to one Prefect test server (start-up excluded); task times are read back from it.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def task_times(home: Path, load_id: int) -> dict[str, tuple[str, float]]:
    """Task name → (state, seconds) for the flow run of `load_id`."""
    import duckdb
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        [(flow_run_id,)] = con.execute(
            "select flow_run_id from meta.loads where load_id = ?", [load_id]
        ).fetchall()
    finally:
        con.close()
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
        )
    return {
        run.name.rsplit("-", 1)[0]: (
            run.state.name if run.state else "?",
            (run.end_time - run.start_time).total_seconds()
            if run.start_time and run.end_time
            else 0.0,
        )
        for run in runs
    }


def timed(function: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(**kwargs)
    return result, time.perf_counter() - started


def bench_espaces_cache(work: Path, scale: int) -> list[dict[str, Any]]:
    from synthetic import espace_snapshots, write_listing_csv

    from flows.espaces import espaces

    _, frame = next(espace_snapshots(scale=scale, days=1))
    listing = write_listing_csv(frame, work / f"listing-{scale}x.csv")
    home = work / "espaces-home"
    rows = []
    for as_of in ("2024-08-01", "2024-06-01", "2024-04-01"):
        summary, seconds = timed(espaces, home=str(home), file=str(listing), as_of=as_of)
        tasks = task_times(home, summary["load_id"])
        rows.append(
            {
                "as_of": as_of,
                "rows": summary["rows_loaded"],
                "flow_s": seconds,
                "parse": tasks["parse espaces"],
                "validate": tasks["validate espaces"],
            }
        )
    return rows


def bench_footfall_cache(work: Path, footfall_rows: int) -> list[dict[str, Any]]:
    from synthetic import (
        BASE_ESPACES,
        espace_snapshots,
        footfall_espaces,
        write_footfall,
        write_listing_csv,
    )

    from flows.espaces import espaces
    from flows.footfall import footfall

    home = work / "footfall-home"
    # Espaces 0…n as of 2016-01-01, so that every feed row names an espace open that month.
    scale = -(-footfall_espaces(footfall_rows) // BASE_ESPACES)
    _, frame = next(espace_snapshots(scale=scale, days=1))
    espaces(
        home=str(home),
        file=str(write_listing_csv(frame, work / "footfall-espaces.csv")),
        as_of="2016-01-01",
    )
    feed = write_footfall(work / "footfall.parquet", rows=footfall_rows)
    rows = []
    for attempt in ("first", "same file again"):
        summary, seconds = timed(footfall, home=str(home), file=str(feed))
        tasks = task_times(home, summary["load_id"])
        rows.append(
            {
                "run": attempt,
                "status": summary["status"],
                "rows": summary["rows_read"],
                "flow_s": seconds,
                "parse": tasks["parse footfall"],
                "validate": tasks["validate footfall"],
            }
        )
    return rows


class _Api(http.server.SimpleHTTPRequestHandler):
    listing: bytes = b""

    def do_GET(self) -> None:
        if self.path.startswith("/api/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.listing)))
            self.end_headers()
            self.wfile.write(self.listing)
        else:
            super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


def serve_editions(folder: Path, editions: list[Path]) -> tuple[str, http.server.HTTPServer]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: _Api(*a, directory=str(folder))
    )
    base = f"http://127.0.0.1:{server.server_address[1]}"
    resources = []
    for path in editions:
        month, year = path.stem.rsplit("-", 2)[-2:]
        resources.append(
            {
                "id": path.stem,
                "title": f"Observatoire - édition {month} {year}",
                "url": f"{base}/{path.name}",
                "format": "csv",
                "checksum": {"type": "sha1", "value": hashlib.sha1(path.read_bytes()).hexdigest()},
            }
        )
    _Api.listing = json.dumps({"resources": resources}).encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"{base}/api/1/datasets/observatoire/", server


def bench_observatory_runners(work: Path, count: int) -> list[dict[str, Any]]:
    import distributed
    from prefect.settings import PREFECT_API_URL
    from synthetic import write_observatory_editions

    from flows.observatoire import observatoire

    editions = write_observatory_editions(work / "editions", editions=count)
    url, server = serve_editions(work / "editions", editions)
    rows = []
    try:
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"PREFECT_API_URL": str(PREFECT_API_URL.value())},
        ) as cluster:
            runners = {
                "threads (2)": 'task_runner = "threads"\ntask_workers = 2\n',
                "dask, 2 worker processes": (
                    f'task_runner = "dask"\ndask_address = "{cluster.scheduler_address}"\n'
                ),
            }
            for label, setting in runners.items():
                home = work / f"observatoire-{label.split()[0].strip(',')}"
                home.mkdir()
                (home / "fsdata.toml").write_text(
                    f'{setting}[sources]\nobservatoire = "{url}"\n', "utf-8"
                )
                report, seconds = timed(observatoire, home=str(home))
                published = sum(1 for e in report["editions"] if e["status"] == "published")
                rows.append({"runner": label, "published": published, "flow_s": seconds})
    finally:
        server.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--editions", type=int, default=40)
    parser.add_argument("--footfall-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--parts", nargs="+", default=["espaces", "footfall", "observatoire"], metavar="PART"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-execution-"))
    os.environ["PREFECT_HOME"] = str(work / ".prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# {date.today()}, work folder {work}")
    with prefect_test_harness(server_startup_timeout=120):
        if "espaces" in args.parts:
            for row in bench_espaces_cache(work, args.scale):
                print("espaces", row)
        if "footfall" in args.parts:
            for row in bench_footfall_cache(work, args.footfall_rows):
                print("footfall", row)
        if "observatoire" in args.parts:
            for row in bench_observatory_runners(work, args.editions):
                print("observatoire", row)
        print("peak RSS (MiB)", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


if __name__ == "__main__":
    main()
