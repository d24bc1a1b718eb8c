"""Benchmark of the nearest-espace step of coverage (run by hand, not in tests).

    .venv/bin/python benchmarks/bench_coverage.py

Needs the real files of ../shared/data. Measures `transforms.coverage.nearest_espaces`
(k-d tree per territory) for one date (the 2024 listing × the 2021 communes), for the 2020
history (16 versions of history-2020 plus the 2020-10-12 file: 17 dates), and how the time grows
with the number of espaces; prints a Markdown section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.communes import read_communes
from transforms.coverage import nearest_espaces
from transforms.errors import SourceFormatError
from transforms.espaces import parse_listing

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REPEATS = 5


def timed(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    runs = []
    result = None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = function(*args)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def network(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("espace_id", "insee_dep", "latitude", "longitude")


def without_identifiers(path: Path) -> pl.DataFrame:
    """The first 2020 version has no identifier column, so the espace parser refuses it (a
    snapshot the warehouse never holds); for timing, its points get row numbers as ids."""
    features = [f for f in json.loads(path.read_text("utf-8"))["features"] if f.get("geometry")]
    return pl.DataFrame(
        {
            "espace_id": [f"row-{i}" for i in range(len(features))],
            "insee_dep": [str(f["properties"]["insee_dep"]) for f in features],
            "latitude": [float(f["geometry"]["coordinates"][1]) for f in features],
            "longitude": [float(f["geometry"]["coordinates"][0]) for f in features],
        }
    )


def history_listings() -> list[tuple[date, pl.DataFrame]]:
    listings = []
    for path in sorted((SHARED / "espaces" / "history-2020").glob("*.geojson")):
        stamp = re.search(r"_(\d{8})T", path.name)
        assert stamp, path.name
        day = date(int(stamp[1][:4]), int(stamp[1][4:6]), int(stamp[1][6:]))
        try:
            frame = network(parse_listing(path))
        except SourceFormatError:
            frame = without_identifiers(path)
        listings.append((day, frame))
    listings.append(
        (
            date(2020, 10, 12),
            network(parse_listing(SHARED / "espaces" / "france_services_20201012.geojson")),
        )
    )
    return sorted(listings, key=lambda item: item[0])


def main() -> None:
    communes = read_communes(SHARED / "communes" / "communes-2021.csv", 2021)
    listing_2024 = network(parse_listing(SHARED / "espaces" / "liste-fs-20240801.csv"))
    lines = [
        "## Coverage",
        "",
        f"Machine: {platform.machine()}, 2 cores, Python {sys.version.split()[0]}, "
        f"{platform.system()}; {date.today().isoformat()}. "
        f"`nearest_espaces` (scipy cKDTree on unit vectors, one tree per territory), median of "
        f"{REPEATS} runs; {communes.height} communes (2021).",
        "",
    ]

    one, _ = timed(nearest_espaces, communes, listing_2024)
    lines += [
        "| case | dates | espaces | time |",
        "|---|---:|---:|---:|",
        f"| one date: 2024-08-01 listing | 1 | {listing_2024.height} | {one * 1000:.0f} ms |",
    ]

    listings = history_listings()
    per_date = []
    for _, frame in listings:
        t, _ = timed(nearest_espaces, communes, frame)
        per_date.append((frame.height, t))
    total = sum(t for _, t in per_date)
    keys = [
        sorted(frame.select("espace_id", "latitude", "longitude").rows()) for _, frame in listings
    ]
    distinct = sum(1 for i, k in enumerate(keys) if i == 0 or k != keys[i - 1])
    lines += [
        f"| 2020 history, every date computed | {len(listings)} | "
        f"{min(n for n, _ in per_date)}…{max(n for n, _ in per_date)} | {total * 1000:.0f} ms |",
        f"| 2020 history, network-changed dates only | {distinct} of {len(listings)} | | "
        f"≈ {total * distinct / len(listings) * 1000:.0f} ms |",
        "",
        "Growth with the number of espaces (2024 listing, random subsets, one date):",
        "",
        "| espaces | time |",
        "|---:|---:|",
    ]
    for n in (250, 500, 1000, 2000, listing_2024.height):
        subset = listing_2024.sample(n=n, seed=1) if n < listing_2024.height else listing_2024
        t, _ = timed(nearest_espaces, communes, subset)
        lines.append(f"| {n} | {t * 1000:.0f} ms |")
    lines += [
        "",
        "Per-date times of the 2020 history: "
        + ", ".join(f"{n} espaces {t * 1000:.0f} ms" for n, t in per_date)
        + ".",
        "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
