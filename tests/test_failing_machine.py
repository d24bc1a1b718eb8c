"""A machine that fails under a run: a warehouse damaged in the middle (its load register
intact, a table's blocks overwritten) passes the check made before the run, which then meets
the damage: the command exits 5 in one line naming `fsdata rebuild`, and the load it began is
not left `running`. A disk that fills during the run: one line, exit 1."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect
from warehouse.health import warehouse_damage

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ("--as-of", "2024-08-01")


def fsdata(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, reporting to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    return subprocess.run(
        [sys.executable, "-m", "fsdata.cli", *arguments],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def warehouse_damaged_in_the_middle(home: Path) -> Path:
    path = home / "warehouse.duckdb"
    with connect(path) as con:
        con.execute(
            """
            insert into core.communes
            select 2020, lpad(range::varchar, 6, '0'), 'commune ' || range, 'COM', '01', '84',
                   range, 46.0, 5.0, null, 1
            from range(300000)
            """
        )
        con.execute("checkpoint")
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(int(size * 0.3))
        handle.write(os.urandom(int(size * 0.3)))
    return path


def test_damage_met_during_a_run_is_exit_5_and_the_load_is_not_left_running(
    prefect_server: None, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    path = warehouse_damaged_in_the_middle(home)
    assert warehouse_damage(path) is None  # the register reads: the check before a run passes
    communes = tmp_path / "communes.csv"
    communes.write_text(
        "code_insee,nom_standard,population,latitude_centre,longitude_centre\n"
        "01001,L'Abergement-Clémenciat,779,46.15,4.93\n",
        "utf-8",
    )
    result = fsdata("ingest", "communes", str(communes), "--vintage", "2020", "--home", str(home))
    assert result.returncode == 5, result.stderr[-3000:]
    ours = [line for line in result.stderr.splitlines() if line.startswith("fsdata:")]
    assert len(ours) == 1 and "is damaged" in ours[0]
    assert f"fsdata rebuild --home {home}" in ours[0]
    con = duckdb.connect(str(path), read_only=True)
    try:
        statuses = con.execute("select status from meta.loads order by load_id").fetchall()
    finally:
        con.close()
    assert statuses and statuses[-1][0] != "running", statuses


def test_a_disk_that_fills_during_the_run_is_one_line(prefect_server: None, tmp_path: Path) -> None:
    """The home has room (the check before the run passes), its exports/ folder does not."""
    from fsdata.config import sample_path

    home = tmp_path / "home"
    exports = home / "exports"
    exports.mkdir(parents=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(exports)],
        capture_output=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        with contextlib.suppress(OSError), (exports / "filler").open("wb") as filler:
            filler.write(b"\0" * 1024 * 1024)
        listing = sample_path("espaces", "liste-fs-20240801.csv")
        result = fsdata("ingest", "espaces", str(listing), *AS_OF, "--home", str(home))
    finally:
        subprocess.run(["umount", "-l", str(exports)], check=False)
    assert result.returncode == 1, result.stderr[-3000:]
    ours = [line for line in result.stderr.splitlines() if line.startswith("fsdata:")]
    assert len(ours) == 1 and "no space left on" in ours[0].lower(), result.stderr[-3000:]
    assert str(exports) in ours[0]
