"""The command line on hostile arguments and a failing machine: usage errors exit 1, a
refused input 2, a damaged warehouse 5 naming `fsdata rebuild`; each condition is one line on
stderr, never a traceback; nothing is written before the arguments are checked.

These run `fsdata` as a real child process (`python -m fsdata.cli`) and stop before any flow
starts, so no Prefect server is needed. Read-only and full-disk homes are small tmpfs mounts
(skipped where mounting is not allowed)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from rich.console import Console

from fsdata.status import print_status
from warehouse.db import begin_load, connect
from warehouse.health import is_damage, mark_unfinished, warehouse_damage

ROOT = Path(__file__).resolve().parents[1]


def fsdata(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fsdata.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture
def listing(tmp_path: Path) -> Path:
    path = tmp_path / "liste.csv"
    path.write_text("id_fs,lib_fs,insee_com\n1,a,01001\n", "utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["ingest"],  # missing arguments
        ["frobnicate"],  # unknown command
        ["ingest", "communes", "communes.csv", "--vintage", "abc"],
        ["ingest", "espaces", "-liste.csv", "--as-of", "2024-01-01"],  # a path starting with -
        ["status", "--unknown-option"],
    ],
)
def test_usage_errors_exit_1(args: list[str], tmp_path: Path) -> None:
    result = fsdata(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created


def _paris_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("2024-02-30", "not a date"),
        ("2024-2-3", "not a date"),
        ("abc", "not a date"),
        ("9999-12-31", "after today"),
        ((_paris_today() + timedelta(days=1)).isoformat(), "after today"),
    ],
)
def test_as_of_must_be_a_real_date_not_after_today(
    as_of: str, says: str, listing: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    result = fsdata("ingest", "espaces", str(listing), "--as-of", as_of, "--home", str(home))
    assert result.returncode == 1
    line = one_line(result)
    assert "--as-of" in line and says in line
    assert not home.exists()


def test_a_vintage_that_is_no_year_is_a_usage_error(listing: Path, tmp_path: Path) -> None:
    result = fsdata(
        "ingest", "communes", str(listing), "--vintage", "99999", "--home", str(tmp_path)
    )
    assert result.returncode == 1 and "--vintage 99999" in one_line(result)


@pytest.mark.parametrize(
    "command", [["status"], ["ingest", "espaces", "{listing}", "--as-of", "2024-01-01"]]
)
def test_a_home_that_is_a_file_is_one_line(
    command: list[str], listing: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder", "utf-8")
    args = [a.replace("{listing}", str(listing)) for a in command]
    result = fsdata(*args, "--home", str(home))
    assert result.returncode == 1
    assert "is not a folder" in one_line(result)


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_read_only_home_is_one_line_before_prefect_starts(listing: Path, tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "ro", "1m", read_only=True) as home:
        result = fsdata(
            "ingest", "espaces", str(listing), "--as-of", "2024-01-01", "--home", str(home)
        )
    assert result.returncode == 1
    line = one_line(result)
    assert "cannot write in" in line and "read-only" in line
    assert "Prefect" not in result.stderr + result.stdout


def test_a_full_disk_is_one_line(listing: Path, tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "full", "256k") as home:
        with contextlib.suppress(OSError), (home / "filler").open("wb") as filler:
            filler.write(b"\0" * 1024 * 1024)
        result = fsdata(
            "ingest", "espaces", str(listing), "--as-of", "2024-01-01", "--home", str(home)
        )
    assert result.returncode == 1
    assert "no space left" in one_line(result)


# --- a damaged warehouse -----------------------------------------------------------------------


def damaged_warehouse(home: Path, how: str) -> Path:
    """A real warehouse (schema and one load), then truncated or overwritten at its head."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "warehouse.duckdb"
    with connect(path) as con:
        begin_load(con, "espaces", file_name="liste.csv")
    size = path.stat().st_size
    if how == "truncated":
        os.truncate(path, size // 3)
    elif how == "header":
        with path.open("r+b") as handle:
            handle.write(os.urandom(8192))
    return path


@pytest.mark.parametrize("how", ["truncated", "header"])
@pytest.mark.parametrize("command", ["status", "ingest"])
def test_a_damaged_warehouse_is_exit_5_naming_the_way_out(
    how: str, command: str, listing: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    damaged_warehouse(home, how)
    args = (
        ["status"]
        if command == "status"
        else ["ingest", "espaces", str(listing), "--as-of", "2024-01-01"]
    )
    result = fsdata(*args, "--home", str(home))
    assert result.returncode == 5, result.stderr
    line = one_line(result)
    assert "is damaged" in line and f"fsdata rebuild --home {home}" in line
    assert not (home / "raw").exists() and not (home / "rejected").exists()


def test_damage_is_told_from_other_database_errors(tmp_path: Path) -> None:
    path = damaged_warehouse(tmp_path / "home", "header")
    assert warehouse_damage(path) is not None
    with pytest.raises(duckdb.Error) as raised:
        duckdb.connect(str(path))
    assert is_damage(raised.value)
    assert not is_damage(duckdb.CatalogException("Catalog Error: Table x does not exist"))
    assert warehouse_damage(tmp_path / "absent.duckdb") is None


# --- symbolic links ----------------------------------------------------------------------------


def test_ingest_refuses_a_symbolic_link_and_copies_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    link = tmp_path / "liste.csv"
    link.symlink_to(secret)
    home = tmp_path / "home"
    for args in (
        ["ingest", "espaces", str(link), "--as-of", "2024-01-01"],
        ["ingest", "partners", str(secret.parent / "none.csv")],
    ):
        result = fsdata(*args, "--home", str(home))
        assert result.returncode in (1, 2)
        one_line(result)
    result = fsdata("ingest", "espaces", str(link), "--as-of", "2024-01-01", "--home", str(home))
    assert result.returncode == 2
    assert "symbolic link" in one_line(result)
    copies = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert not [p for p in copies if "root:x" in p.read_text("utf-8", errors="replace")]


def test_ingest_refuses_a_device_or_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = fsdata(
        "ingest", "espaces", str(fifo), "--as-of", "2024-01-01", "--home", str(tmp_path / "h")
    )
    assert result.returncode == 2 and "not a regular file" in one_line(result)


# --- a run whose process is gone ---------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_status_shows_a_load_whose_process_is_gone_as_crashed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with connect(home / "warehouse.duckdb") as con:
        load_id = begin_load(con, "espaces", file_name="liste.csv")
        con.execute("update meta.loads set pid = ? where load_id = ?", [dead_pid(), load_id])
        live = begin_load(con, "communes", file_name="communes.csv")
    console = Console(record=True, width=100)
    assert print_status(home, console) == 0
    text = console.export_text()
    espaces_panel = text[text.index("espaces") :]
    communes_panel = text[: text.index("espaces")]
    assert "crashed" in espaces_panel and "ended without finishing" in espaces_panel
    assert "running" in communes_panel  # this process recorded that load and is alive
    # The interrupted run's own process marks its load at once.
    assert mark_unfinished(home / "warehouse.duckdb", "interrupted", "interrupted by SIGTERM") == 1
    with connect(home / "warehouse.duckdb") as con:
        status = con.execute("select status from meta.loads where load_id = ?", [live]).fetchall()
    assert status == [("interrupted",)]


def test_old_warehouses_gain_the_pid_columns(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        con.execute("alter table meta.loads drop column pid")
        con.execute("alter table meta.loads drop column host")
        con.execute("delete from meta.schema_state")  # as a warehouse of the previous schema
    with connect(path) as con:
        load_id = begin_load(con, "espaces")
        pid = con.execute("select pid from meta.loads where load_id = ?", [load_id]).fetchall()
    assert pid == [(os.getpid(),)]
