"""Benchmark: `fsdata ingest` of the real 2024 listing, whole processes, next to an empty Prefect
flow run in the same conditions (issue 15, measures 1 and 2).

    .venv/bin/python benchmarks/bench_ingest.py [--runs 5] [--checkout DIR]

A template home holds a previous snapshot (the real listing of 2020-10-12) and a Prefect
database already created. Each run copies it and times, as separate processes, interleaved:

- `running`: this home's Prefect server (`fsdata server start`) answering; the ingest finds it
  through `<home>/.prefect/server.json`; the reference is an empty flow with `PREFECT_API_URL`
  set to the same server;
- `temporary`: no server; each process starts Prefect's temporary one (the reference too);
- `unchanged`: the same ingest again on a home that already holds it, on the running server.

`--checkout DIR` runs the project code of another checkout (e.g. `git archive <commit>`
unpacked there) with this virtualenv, to measure a "before". Needs ../shared/data.
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
DATA = ROOT.parent / "shared" / "data" / "espaces"
LISTING = DATA / "liste-fs-20240801.csv"
PREVIOUS = DATA / "france_services_20201012.geojson"
EMPTY_FLOW = "from prefect import flow\nflow(name='empty')(lambda: None)()\n"


def _env(checkout: Path, prefect_home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(prefect_home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    # A loaded machine may take longer than the default 20 s to start a temporary server.
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    env["PYTHONPATH"] = str(checkout)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def _ingest(checkout: Path, home: Path, file: Path, as_of: str) -> list[str]:
    command = [sys.executable, "-m", "fsdata.cli", "ingest", "espaces", str(file)]
    return [*command, "--as-of", as_of, "--accept-row-count", "--home", str(home)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--modes", default="running,temporary,unchanged")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    template = work / "template"
    # The server and the first load run this checkout's `fsdata server` (the before has none).
    server_env = _env(ROOT, template / ".prefect", None)
    subprocess.run(
        [sys.executable, "-m", "fsdata.cli", "server", "start", "--home", str(template)],
        env=server_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    url = json.loads((template / ".prefect" / "server.json").read_text())["url"]
    try:
        subprocess.run(
            _ingest(ROOT, template, PREVIOUS, "2020-10-12"),
            env=_env(ROOT, template / ".prefect", url),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        loaded = work / "loaded"  # the template with the 2024 listing in it too
        shutil.copytree(template, loaded)
        subprocess.run(
            _ingest(ROOT, loaded, LISTING, "2024-08-01"),
            env=_env(ROOT, loaded / ".prefect", url),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        # The temporary server's own state, created once (a first start migrates its database).
        temporary_state = work / "temporary-prefect"
        subprocess.run(
            [sys.executable, "-c", EMPTY_FLOW],
            env=_env(ROOT, temporary_state, None),
            cwd=work,
            check=True,
            capture_output=True,
        )
        results: dict[str, dict[str, object]] = {}
        for mode in args.modes.split(","):
            project, reference = [], []
            for run in range(args.runs):
                home = work / f"{mode}-{run}"
                shutil.copytree(loaded if mode == "unchanged" else template, home)
                api = url if mode in ("running", "unchanged") else None
                state = home / ".prefect" if api else temporary_state
                if api is None:
                    (home / ".prefect" / "server.json").unlink()
                # This checkout finds the running server in <home>/.prefect/server.json; an
                # older one is given PREFECT_API_URL.
                given = api if checkout != ROOT else None
                command = _ingest(checkout, home, LISTING, "2024-08-01")
                project.append(_timed(command, _env(checkout, state, given), checkout))
                reference_env = _env(checkout, state, api)
                reference.append(_timed([sys.executable, "-c", EMPTY_FLOW], reference_env, work))
                shutil.rmtree(home, ignore_errors=True)
            p, r = statistics.median(project), statistics.median(reference)
            results[mode] = {
                "ingest_s": round(p, 2),
                "empty_flow_s": round(r, 2),
                "ratio": round(p / r, 2),
                "ingest_runs": [round(x, 2) for x in project],
                "empty_runs": [round(x, 2) for x in reference],
            }
            print(mode, json.dumps(results[mode]), flush=True)
        print(json.dumps({"checkout": str(checkout), "load": os.getloadavg(), **results}))
    finally:
        subprocess.run(
            [sys.executable, "-m", "fsdata.cli", "server", "stop", "--home", str(template)],
            env=server_env,
            cwd=ROOT,
            capture_output=True,
        )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
