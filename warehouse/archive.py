"""The raw archive: every accepted source file, unchanged and immutable.

`<home>/raw/<source>/<as_of>_<sha256 prefix>.<ext>`; a file already there with the same name
has the same content (the name carries its checksum) and is never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from datetime import date
from pathlib import Path
from typing import Any


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 and size of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    return file_digest(path)[0]


_SOURCE = re.compile(r"^[a-z][a-z0-9_]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


def archive_path(raw_dir: Path, source: str, as_of: date, sha256: str, suffix: str) -> Path:
    """The archived file's place: built from checked parts only, so it stays under `raw_dir`."""
    if not _SOURCE.match(source) or not _SHA256.match(sha256):
        raise ValueError(f"refusing archive name parts {source!r}, {sha256!r}")
    suffix = suffix.lower() if _SUFFIX.match(suffix.lower()) else ".bin"
    return raw_dir / source / f"{as_of.isoformat()}_{sha256[:16]}{suffix}"


def archive(file: Path, raw_dir: Path, source: str, as_of: date, sha256: str) -> Path:
    """Copy `file` into the archive (atomically, read-only) unless it is already there."""
    target = archive_path(raw_dir, source, as_of, sha256, file.suffix or ".bin")
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    os.close(handle)
    try:
        shutil.copyfile(file, temporary)
        os.chmod(temporary, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


# The log of every published load, in load order: what `fsdata rebuild` replays.
LOG_NAME = "loads.jsonl"


def log_load(
    raw_dir: Path, source: str, arguments: dict[str, Any], archived: dict[Path, Path]
) -> None:
    """Append a published load to the archive's log: its source and the flow's arguments that
    load it again, each input file replaced by its archived copy (relative to `raw_dir`)."""

    def archived_copy(value: Any) -> Any:
        if isinstance(value, Path | str) and Path(value) in archived:
            return archived[Path(value)].relative_to(raw_dir).as_posix()
        if isinstance(value, list | tuple):
            return [archived_copy(v) for v in value]
        return value

    entry = {
        "source": source,
        "arguments": {k: archived_copy(v) for k, v in arguments.items()},
        # The names the files were loaded under (an edition's, a SYNTHETIC feed's…).
        "names": {archived_copy(path): path.name for path in archived},
    }
    raw_dir.mkdir(parents=True, exist_ok=True)
    with (raw_dir / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        log.flush()
        os.fsync(log.fileno())


def logged_loads(raw_dir: Path) -> list[dict[str, Any]]:
    """The published loads of the log, in load order, with their files as absolute paths
    (`names`: each file's name when it was loaded)."""
    path = raw_dir / LOG_NAME
    if not path.is_file():
        return []
    entries = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]

    for entry in entries:
        entry["names"] = {str(raw_dir / k): v for k, v in entry.get("names", {}).items()}
        for name in FILE_ARGUMENTS:
            value = entry["arguments"].get(name)
            if isinstance(value, str):
                entry["arguments"][name] = str(raw_dir / value)
            elif isinstance(value, list):
                entry["arguments"][name] = [str(raw_dir / v) for v in value]
    return entries


# The flow arguments that name input files (the others are dates, vintages, options).
FILE_ARGUMENTS = ("file", "services", "renames")
