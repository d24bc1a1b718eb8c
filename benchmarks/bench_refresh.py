"""Benchmark: a refresh with nothing new upstream versus an empty Prefect flow run.

Run by hand (not part of the tests):

    .venv/bin/python benchmarks/bench_refresh.py

A local HTTP server plays data.gouv.fr: it answers the first request with the bundled 2024
sample listing and an ETag, then 304 Not Modified. The espaces flow is loaded once, then
timed on refreshes that find nothing new (median of 7), next to a flow that does nothing
(median of 7), on the same ephemeral Prefect server.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    os.environ["PREFECT_HOME"] = str(work / ".prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from flows.espaces import espaces
    from fsdata.config import sample_path

    body = sample_path("espaces", "liste-fs-20240801.csv").read_bytes()

    class Listing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Listing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = work / "home"
    home.mkdir()
    url = f"http://127.0.0.1:{server.server_port}/listing.csv"
    (home / "fsdata.toml").write_text(f'[sources]\nespaces = "{url}"\n', "utf-8")

    @flow(name="empty")
    def empty() -> None:
        return None

    def median_of(function: object, repeat: int = 7) -> float:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            function()  # type: ignore[operator]
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    with prefect_test_harness(server_startup_timeout=120):
        espaces(home=str(home))  # the first load
        empty()  # warm-up
        nothing_new = median_of(lambda: espaces(home=str(home)))
        empty_run = median_of(empty)
    server.shutdown()
    print(
        json.dumps(
            {
                "refresh_nothing_new_s": round(nothing_new, 3),
                "empty_flow_run_s": round(empty_run, 3),
                "ratio": round(nothing_new / empty_run, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
