"""The release after failures between the warehouse commit and the end of the release step, and
the analyst database under readers: real flows, real files, a real full filesystem, real reader
processes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.espaces import espaces
from fsdata.config import sample_path
from warehouse.archive import sha256_of
from warehouse.db import connect
from warehouse.release import ReleaseFailed, publish
from warehouse.release_files import FileRecord, record_files

LISTING = sample_path("espaces", "liste-fs-20240801.csv")
FIRST = sample_path("espaces", "liste-fs-20231201.csv")


def fsdata(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("fsdata")), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def ingest(home: Path, file: Path, as_of: str) -> dict[str, object]:
    return espaces(home=str(home), file=str(file), as_of=as_of)


def last_load(home: Path) -> tuple[str, str]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        row = con.execute(
            "select status, cast(as_of as varchar) from meta.loads "
            "where source = 'espaces' order by load_id desc limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    return row[0], row[1]


def assert_release_is_the_warehouse(home: Path) -> None:
    """`sha256sum -c` passes and every file is the one the warehouse recorded."""
    exports = home / "exports"
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "--strict", "--quiet", "SHA256SUMS"],
            cwd=exports,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    verified = fsdata("verify", "--home", str(home))
    assert verified.returncode == 0, verified.stderr
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        recorded = con.execute("select path, sha256, bytes from meta.release_files").fetchall()
        newest = con.execute(
            "select max(load_id) from meta.loads where status = 'published'"
        ).fetchall()[0][0]
    finally:
        con.close()
    for path, digest, size in recorded:
        assert sha256_of(exports / path) == digest, path
        assert (exports / path).stat().st_size == size, path
    analyst = duckdb.connect(str(exports / "france_services.duckdb"), read_only=True)
    try:
        latest = analyst.execute("select max(load_id) from meta.publications").fetchall()[0][0]
    finally:
        analyst.close()
    assert latest == newest  # the analyst database has the last publication


def test_a_release_that_failed_after_the_commit_is_repaired_by_the_rerun(
    prefect_server: None,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ingest(home, FIRST, "2023-12-01")
    # The release cannot write the dataset's folder: a file stands where it should be.
    folder = home / "exports" / "espaces"
    shutil.rmtree(folder)
    folder.write_text("in the way\n")
    with pytest.raises(ReleaseFailed):
        ingest(home, LISTING, "2024-08-01")
    assert last_load(home) == ("published", "2024-08-01")  # committed before the release
    assert fsdata("verify", "--home", str(home)).returncode == 2
    folder.unlink()
    capsys.readouterr()
    assert ingest(home, LISTING, "2024-08-01")["status"] == "unchanged"
    # Printed; inside a flow, Prefect's log_prints turns prints into log records.
    said = "".join(capsys.readouterr()) + caplog.text
    assert "release: repaired espaces/espaces_current.csv (behind the warehouse" in said
    assert "release: repaired france_services.duckdb (behind the warehouse" in said
    assert_release_is_the_warehouse(home)


def test_a_file_the_release_no_longer_produces_is_removed_and_a_stranger_kept(
    prefect_server: None, home: Path
) -> None:
    """A file the release wrote under an earlier layout (a table since split by year, say) is
    forgotten and removed; a file it never wrote is reported and left alone."""
    ingest(home, FIRST, "2023-12-01")
    exports = home / "exports"
    retired = exports / "espaces" / "espaces_history_2019.csv"
    retired.write_text("an earlier layout\n")
    stranger = exports / "notes.txt"
    stranger.write_text("an operator's note\n")
    size = retired.stat().st_size
    record = FileRecord(retired.relative_to(exports).as_posix(), sha256_of(retired), size, 1, 1)
    with connect(home / "warehouse.duckdb") as con:
        record_files(con, [record])
    ingest(home, LISTING, "2024-08-01")
    assert not retired.exists()
    assert stranger.read_text() == "an operator's note\n"
    assert "espaces_history_2019" not in (exports / "SHA256SUMS").read_text()
    assert fsdata("verify", "--home", str(home)).returncode == 2  # the stranger is not listed
    stranger.unlink()
    assert_release_is_the_warehouse(home)


def test_a_publication_whose_release_never_ran_gets_its_files_and_changelog_entry(
    prefect_server: None, home: Path
) -> None:
    """Stopped after the commit, before the release step wrote anything (here: the release
    folder cannot be opened): the rerun writes the files and the publication's entry."""
    ingest(home, FIRST, "2023-12-01")
    exports, aside = home / "exports", home / "exports-aside"
    exports.rename(aside)
    exports.write_text("in the way\n")
    with pytest.raises(ReleaseFailed):
        ingest(home, LISTING, "2024-08-01")
    assert last_load(home) == ("published", "2024-08-01")
    exports.unlink()
    aside.rename(exports)
    assert ingest(home, LISTING, "2024-08-01")["status"] == "unchanged"
    assert_release_is_the_warehouse(home)
    changelog = (exports / "CHANGELOG.md").read_text("utf-8")
    entries = re.split(r"^## ", changelog, flags=re.MULTILINE)[1:]
    assert len(entries) == 2  # one per publication
    assert "publication exportée par une exécution suivante" in entries[0]
    assert "données au : 2024-08-01" in entries[0]
    assert "| espaces/espaces_history |" in entries[0]  # rows before → after, from the records


@pytest.fixture
def small_exports(home: Path) -> Iterator[Path]:
    """`<home>/exports` on a 16 MiB tmpfs of its own, to fill up (needs root and mount)."""
    exports = home / "exports"
    exports.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(exports)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield exports
    finally:
        subprocess.run(["umount", "-l", str(exports)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """A file taking all the free space of `folder`'s filesystem but `leave` bytes."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    filler = folder / "filler.bin"
    with filler.open("wb") as handle:
        handle.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = max(free - leave, 0)
        try:
            while remaining > 0:
                remaining -= handle.write(chunk[: min(len(chunk), remaining)])
        except OSError:
            pass  # already full
    return filler


@pytest.mark.parametrize("leave", [0, 256 * 1024], ids=["data-files", "analyst-database"])
def test_a_full_disk_during_the_release_is_repaired_by_the_rerun(
    prefect_server: None, home: Path, small_exports: Path, leave: int
) -> None:
    """A full disk under exports/ after the warehouse commit: with no byte left the data files
    fail; with a little left they are written and the analyst database fails. Either way the
    load is published, the release half-written; once space is freed, the rerun repairs it."""
    ingest(home, FIRST, "2023-12-01")
    assert_release_is_the_warehouse(home)
    filler = fill(small_exports, leave)
    with pytest.raises(ReleaseFailed, match="No space left on device"):
        ingest(home, LISTING, "2024-08-01")
    assert last_load(home) == ("published", "2024-08-01")
    assert fsdata("verify", "--home", str(home)).returncode == 2
    filler.unlink()
    assert ingest(home, LISTING, "2024-08-01")["status"] == "unchanged"
    # What the pipeline does after every run, published or not (flows/pipeline.py):
    with connect(home / "warehouse.duckdb") as con:
        publish(con, home / "exports", "espaces", {"status": "unchanged"}, home / "validation")
    assert_release_is_the_warehouse(home)
    assert not [p.name for p in small_exports.iterdir() if ".tmp-" in p.name]


# --- readers of the analyst database while publications happen --------------------------------

READER = r"""
import json, os, sys, duckdb
path, out, ready, stop, mode = sys.argv[1:6]
query = ("select (select count(*) from core.espaces), "
         "(select count(*) from marts.network_by_departement), "
         "(select count(*) from meta.publications)")
seen, errors, reads = {}, [], 0
held = duckdb.connect(path, read_only=True) if mode == "hold" else None
while not os.path.exists(stop):
    try:
        con = held or duckdb.connect(path, read_only=True)
        row = json.dumps(list(con.execute(query).fetchall()[0]))
        if held is None:
            con.close()
        seen[row] = seen.get(row, 0) + 1
        reads += 1
        if reads == 1:
            open(ready, "w").close()
    except Exception as exc:
        errors.append(repr(exc))
json.dump({"seen": seen, "errors": errors[:5], "n_errors": len(errors), "reads": reads},
          open(out, "w"))
"""


def counts(database: Path) -> str:
    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute(
            "select (select count(*) from core.espaces), "
            "(select count(*) from marts.network_by_departement), "
            "(select count(*) from meta.publications)"
        ).fetchall()[0]
    finally:
        con.close()
    return json.dumps(list(row))


def test_readers_see_one_whole_publication_while_three_are_published(
    prefect_server: None, home: Path, tmp_path: Path
) -> None:
    ingest(home, LISTING, "2024-08-01")
    database = home / "exports" / "france_services.duckdb"
    states = [counts(database)]
    stop = tmp_path / "stop"
    readers = {}
    for mode in ("reconnect", "hold"):
        out, ready = tmp_path / f"{mode}.json", tmp_path / f"{mode}.ready"
        process = subprocess.Popen(
            [sys.executable, "-c", READER, str(database), str(out), str(ready), str(stop), mode]
        )
        readers[mode] = (process, out, ready)
    try:
        deadline = time.monotonic() + 60
        while not all(ready.exists() for _, _, ready in readers.values()):
            assert time.monotonic() < deadline, "the readers never read"
            time.sleep(0.05)
        lines = LISTING.read_text("utf-8").splitlines(keepends=True)
        for n, as_of in enumerate(("2024-09-01", "2024-10-01", "2024-11-01"), start=1):
            variant = tmp_path / f"liste-{as_of}.csv"
            variant.write_text("".join(lines[: len(lines) - n]), "utf-8")
            assert ingest(home, variant, as_of)["status"] == "published"
            states.append(counts(database))
            time.sleep(0.3)  # let the readers read this one too
    finally:
        stop.touch()
        for process, _, _ in readers.values():
            process.wait(timeout=60)
    assert len(set(states)) == 4  # each publication changed the counts
    reconnecting = json.loads(readers["reconnect"][1].read_text())
    holding = json.loads(readers["hold"][1].read_text())
    for result in (reconnecting, holding):
        assert result["n_errors"] == 0, result["errors"]
        assert result["reads"] > 0
    assert set(reconnecting["seen"]) <= set(states)  # never a mix of two publications
    assert len(reconnecting["seen"]) >= 2  # it did read through the publications
    assert set(holding["seen"]) == {states[0]}  # a notebook keeps its snapshot
