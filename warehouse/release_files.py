"""The release's files as the warehouse records them, and checks of a folder against them.

Each file the release writes under `exports/` has a row in `meta.release_files`: the sha256 and
size of the bytes written, the rows of the table it exports, and the publication it reflects
(`generation`, the last published load of the sources that feed it). `SHA256SUMS` and
`datapackage.json` are written from these rows; the folder is compared with them on every run,
and what differs is written again. `verify_release` checks a folder alone (a downloaded copy).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import duckdb

from warehouse.archive import sha256_of

CHECKSUMS = "SHA256SUMS"
# Temporary files of a write in progress (ours and DuckDB's): never part of the release.
_TEMPORARY = re.compile(r"^\..+\.tmp-\d+(\.wal)?$|\.duckdb\.wal$")
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


@dataclass(frozen=True)
class FileRecord:
    path: str  # relative to exports/, POSIX separators
    sha256: str
    bytes: int
    rows: int | None = None  # data files: rows of the exported table (or year of it)
    generation: int | None = None  # data files: the last published load they reflect
    fingerprint: str | None = None  # data files: the content exported (release_parts)
    mtime_ns: int | None = None  # the file's modification time when recorded


def stamped(exports_dir: Path, record: FileRecord) -> FileRecord:
    """The record with the modification time of its file as it is on disk now."""
    return replace(record, mtime_ns=(exports_dir / record.path).stat().st_mtime_ns)


def read_records(con: duckdb.DuckDBPyConnection) -> dict[str, FileRecord]:
    rows = con.execute(
        "select path, sha256, bytes, rows, generation, fingerprint, mtime_ns "
        "from meta.release_files order by path"
    ).fetchall()
    return {row[0]: FileRecord(*row) for row in rows}


def record_files(con: duckdb.DuckDBPyConnection, records: list[FileRecord]) -> None:
    if not records:
        return
    con.executemany(
        """
        insert or replace into meta.release_files (path, sha256, bytes, rows, generation,
                                                  written_at, fingerprint, mtime_ns)
        values (?, ?, ?, ?, ?, current_timestamp, ?, ?)
        """,
        [
            (r.path, r.sha256, r.bytes, r.rows, r.generation, r.fingerprint, r.mtime_ns)
            for r in records
        ],
    )


def forget_files(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    if paths:
        con.executemany("delete from meta.release_files where path = ?", [(p,) for p in paths])


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write atomically (temp + rename), and not at all when the bytes are the same."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def write_recorded(exports_dir: Path, relative: str, content: str) -> tuple[FileRecord, bool]:
    """Write a generated text file of the release; its record is the hash of these bytes."""
    data = content.encode("utf-8")
    changed = write_if_changed(exports_dir / relative, data)
    record = FileRecord(relative, hashlib.sha256(data).hexdigest(), len(data))
    return stamped(exports_dir, record), changed


def disk_problem(exports_dir: Path, record: FileRecord) -> str | None:
    """Why the file on disk is not the one recorded, or None when it is. A file whose size and
    modification time are the recorded ones is not read again (every run checks every file;
    `fsdata verify` reads them all)."""
    path = exports_dir / record.path
    if not path.is_file():
        return "missing"
    status = path.stat()
    if status.st_size != record.bytes:
        return "changed on disk"
    if record.mtime_ns is not None and status.st_mtime_ns == record.mtime_ns:
        return None
    if sha256_of(path) != record.sha256:
        return "changed on disk"
    return None


def checksums_text(records: dict[str, FileRecord]) -> str:
    """`sha256sum -c` format, relative paths, every recorded file but SHA256SUMS itself."""
    lines = [f"{r.sha256}  {path}" for path, r in sorted(records.items()) if path != CHECKSUMS]
    return "\n".join(lines) + "\n"


def folder_files(exports_dir: Path) -> list[str]:
    """Every file under the folder (relative POSIX paths), temporary writes left out."""
    if not exports_dir.is_dir():
        return []
    return sorted(
        p.relative_to(exports_dir).as_posix()
        for p in exports_dir.rglob("*")
        if (p.is_file() or p.is_symlink()) and not _TEMPORARY.search(p.name)
    )


def _safe_relative(name: str) -> bool:
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


def verify_release(exports_dir: Path) -> tuple[int, list[str]]:
    """Check a release folder alone: every line of SHA256SUMS matches its file, every file is
    listed, and datapackage.json's sizes and hashes agree. Returns (files checked, problems),
    one line per problem."""
    problems: list[str] = []
    sums = exports_dir / CHECKSUMS
    if not exports_dir.is_dir():
        return 0, [f"{exports_dir}: no such folder"]
    if not sums.is_file():
        return 0, [f"{CHECKSUMS}: missing, nothing certifies this folder"]
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text("utf-8", errors="replace").splitlines(), 1):
        match = _SUM_LINE.match(line)
        if not match:
            problems.append(f"{CHECKSUMS} line {number}: not a `sha256  path` line")
            continue
        digest, name = match.groups()
        if not _safe_relative(name):
            problems.append(f"{CHECKSUMS} line {number}: {name}: path outside the release")
            continue
        listed[name] = digest
    for name, digest in listed.items():
        path = exports_dir / name
        if path.is_symlink() or not path.is_file():
            problems.append(f"{name}: listed in {CHECKSUMS} but missing")
        elif sha256_of(path) != digest:
            problems.append(f"{name}: sha256 differs from {CHECKSUMS}")
    for name in folder_files(exports_dir):
        if name != CHECKSUMS and name not in listed:
            problems.append(f"{name}: not listed in {CHECKSUMS} (not part of the release)")
    problems += _package_problems(exports_dir, listed)
    return len(listed), problems


def _package_problems(exports_dir: Path, listed: dict[str, str]) -> list[str]:
    package_path = exports_dir / "datapackage.json"
    if not package_path.is_file():
        return ["datapackage.json: missing"]
    try:
        package = json.loads(package_path.read_text("utf-8"))
        resources = list(package.get("resources", []))
    except (ValueError, AttributeError, TypeError) as exc:
        return [f"datapackage.json: not a data package ({exc})"]
    problems = []
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            problems.append("datapackage.json: a resource without a path")
            continue
        name = resource["path"]
        if not _safe_relative(name):
            problems.append(f"datapackage.json: {name}: path outside the release")
            continue
        expected = str(resource.get("hash", "")).removeprefix("sha256:")
        if name not in listed:
            problems.append(f"datapackage.json: {name}: not listed in {CHECKSUMS}")
        elif expected != listed[name]:
            problems.append(f"datapackage.json: {name}: hash differs from {CHECKSUMS}")
        path = exports_dir / name
        if path.is_file() and resource.get("bytes") != path.stat().st_size:
            problems.append(f"datapackage.json: {name}: size differs from the file")
    return problems


def differences_from_records(exports_dir: Path, records: dict[str, FileRecord]) -> list[str]:
    """What SHA256SUMS certifies that the warehouse did not publish, and the reverse: a folder
    rewritten consistently (files and SHA256SUMS) still differs from the warehouse."""
    sums = exports_dir / CHECKSUMS
    listed: dict[str, str] = {}
    if sums.is_file():
        for line in sums.read_text("utf-8", errors="replace").splitlines():
            match = _SUM_LINE.match(line)
            if match:
                listed[match.group(2)] = match.group(1)
    problems = []
    for name, record in sorted(records.items()):
        if name == CHECKSUMS:
            continue
        if name not in listed:
            problems.append(f"{name}: published by the warehouse, not listed in {CHECKSUMS}")
        elif listed[name] != record.sha256:
            problems.append(f"{name}: {CHECKSUMS} differs from what the warehouse published")
    for name in sorted(set(listed) - set(records)):
        problems.append(f"{name}: listed in {CHECKSUMS}, not published by the warehouse")
    return problems
