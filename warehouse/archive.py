"""The raw archive: every accepted source file, unchanged and immutable.

`<home>/raw/<source>/<as_of>_<sha256 prefix>.<ext>`; a file already there with the same name
has the same content (the name carries its checksum) and is never rewritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from datetime import date
from pathlib import Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
