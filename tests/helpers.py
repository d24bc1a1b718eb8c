"""Helpers shared by the tests: reading a warehouse, and bringing one up to date after writing
a source's tables directly (what a load's transaction and then the coverage flow do)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from warehouse import graph
from warehouse.db import refresh_downstream, refresh_models


def query(home: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of `sql` on the warehouse of `home`, opened read-only."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def exports_digest(home: Path, under: str = "") -> dict[str, str]:
    """The sha256 of every file of the release (or of its folder `under`), by path."""
    folder = home / "exports" / under
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def published_state(home: Path, tables: Iterable[str], exports: str = "") -> dict[str, Any]:
    """What a refused or failed load must leave exactly as it was: every row of `tables` and
    every export file (under exports/`exports`)."""
    rows = {table: query(home, f"select * from {table} order by all") for table in tables}
    return {"exports": exports_digest(home, exports), "tables": rows}


class DemoHomes:
    """Data homes with sources' demo samples loaded through their flows, in the order named,
    each built once a session (a flow run costs seconds) from a copy of its longest built
    prefix. Shared: a test reads one directly and writes only to `copy_home(...)`."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._built: dict[tuple[str, ...], tuple[Path, list[dict[str, Any]]]] = {}

    def __call__(self, *sources: str) -> Path:
        return self._build(sources)[0]

    def summaries(self, *sources: str) -> list[dict[str, Any]]:
        """The summaries of the last source's sample loads, as `load_samples` returned them."""
        return self._build(sources)[1]

    def _build(self, sources: tuple[str, ...]) -> tuple[Path, list[dict[str, Any]]]:
        if sources not in self._built:
            from flows.demo import load_samples

            folder = self._factory.mktemp("demo-" + "-".join(sources)) / "home"
            if len(sources) > 1:
                shutil.copytree(self(*sources[:-1]), folder)
            self._built[sources] = (folder, load_samples(str(folder), sources[-1]))
        return self._built[sources]


def copy_home(baseline: Path, tmp_path: Path, name: str = "home") -> Path:
    """A private copy of a shared loaded home, for a test that writes."""
    folder = tmp_path / name
    shutil.copytree(baseline, folder)
    return folder


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Headless chromium with a throwaway profile, offline as far as it can be told."""
    binary = chromium()
    assert binary is not None
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def refresh_after(
    con: duckdb.DuckDBPyConnection, writes: tuple[str, ...], as_of: date | None = None
) -> None:
    """After writing `writes` directly: the models the graph says follow, derived ones too."""
    refresh_downstream(con, writes, as_of)
    derived = [m for m in graph.refresh_plan(writes) if m.runs_in is not None]
    refresh_models(con, derived)


def refresh_promise_tracker(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild the promise tracker's models as the graph does; the rows per verdict."""
    names = ("core/promises", "marts/promise_measures", "marts/promise_tracker")
    refresh_models(con, [graph.MODEL_BY_NAME[name] for name in names])
    counts = con.execute("select verdict, count(*) from marts.promise_tracker group by verdict")
    return {verdict: int(n) for verdict, n in counts.fetchall()}
