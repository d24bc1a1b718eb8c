"""The local release as a publisher sees it: every file `exports/SHA256SUMS` lists (and that file
itself), checked against its checksum, with a title, description and format for each."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

CHECKSUMS = "SHA256SUMS"
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")

# Files the datapackage does not describe: what a reader of data.gouv.fr should see.
DEFAULT_METADATA: dict[str, tuple[str, str, str]] = {
    CHECKSUMS: (
        "Sommes de contrôle SHA-256",
        "Empreinte SHA-256 de chaque fichier de la publication (`sha256sum -c SHA256SUMS`).",
        "documentation",
    ),
    "datapackage.json": (
        "Data Package (Frictionless)",
        "Description de la publication : schéma de chaque table, licence, sources, empreintes.",
        "documentation",
    ),
    "CHANGELOG.md": (
        "Journal des publications",
        "Une entrée par publication : source, date, ce qui a changé, lignes avant et après.",
        "documentation",
    ),
    "index.html": (
        "Page du catalogue",
        "Page statique du catalogue : graphiques, jeux de données, validations.",
        "documentation",
    ),
    "france_services.duckdb": (
        "Base DuckDB pour analystes",
        "Toutes les tables publiées dans une base DuckDB en lecture seule.",
        "main",
    ),
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "duckdb": "application/octet-stream",
}


class ReleaseInvalid(ValueError):
    """The local release does not match its own checksums: nothing may be published."""


@dataclass(frozen=True)
class ReleaseFile:
    path: str  # relative to exports/, with forward slashes
    local: Path
    sha256: str
    sha1: str  # data.gouv.fr reports the checksum of an upload in SHA-1
    md5_b64: str  # Content-MD5 of an S3 upload, checked by the server
    size: int
    title: str
    description: str
    format: str
    kind: str  # data.gouv.fr resource type: main / documentation

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.format, "application/octet-stream")

    def metadata(self) -> dict[str, str]:
        return {
            "title": self.title,
            "description": self.description,
            "format": self.format,
            "type": self.kind,
        }


@dataclass(frozen=True)
class Release:
    folder: Path
    files: tuple[ReleaseFile, ...]

    @property
    def fingerprint(self) -> str:
        """One checksum for the whole release: its files' paths and checksums."""
        text = "".join(f"{f.sha256}  {f.path}\n" for f in self.files)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digests(path: Path) -> tuple[str, str, str, int]:
    sha256, sha1, md5 = hashlib.sha256(), hashlib.sha1(), hashlib.md5()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(block)
            sha1.update(block)
            md5.update(block)
            size += len(block)
    return sha256.hexdigest(), sha1.hexdigest(), base64.b64encode(md5.digest()).decode(), size


def _descriptions(folder: Path) -> dict[str, dict[str, Any]]:
    """datapackage.json's resources by path (a Parquet twin borrows its CSV's)."""
    path = folder / "datapackage.json"
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # checked by its checksum like any file; its prose is optional here
    found: dict[str, dict[str, Any]] = {}
    for resource in document.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("path"), str):
            found[resource["path"]] = resource
    for path_text, resource in list(found.items()):
        if path_text.endswith(".csv"):
            twin = path_text[: -len(".csv")] + ".parquet"
            found.setdefault(twin, {**resource, "format": "parquet", "twin_of": path_text})
    return found


def _describe(path: str, described: dict[str, dict[str, Any]]) -> tuple[str, str, str, str]:
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix.lstrip(".").lower()
    fmt = suffix or "txt"
    resource = described.get(path)
    if resource is not None:
        title = str(resource.get("title") or path)
        if resource.get("twin_of"):
            title = f"{title} (Parquet)"
        description = str(resource.get("description") or "")
        return title, description, str(resource.get("format") or fmt).lower(), "main"
    if name in DEFAULT_METADATA and path == name:
        title, description, kind = DEFAULT_METADATA[name]
        return title, description, fmt, kind
    return path, "", fmt, "documentation" if fmt in ("md", "txt", "html") else "main"


def read_release(folder: Path) -> Release:
    """The release in `folder`, every file checked against `SHA256SUMS`; raises ReleaseInvalid
    naming the first file (or line) that does not match."""
    sums = folder / CHECKSUMS
    if not sums.is_file():
        raise ReleaseInvalid(f"{sums}: no such file (nothing to publish)")
    root = folder.resolve()
    described = _descriptions(folder)
    files: list[ReleaseFile] = []
    for number, line in enumerate(sums.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ReleaseInvalid(f"{sums}, line {number}: not `<sha256>  <path>`")
        expected, path = match.group(1), match.group(2)
        local = (folder / path).resolve()
        if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise ReleaseInvalid(f"{sums}, line {number}: {path} is outside the release")
        if not local.is_relative_to(root):
            raise ReleaseInvalid(f"{sums}, line {number}: {path} is outside the release")
        if not local.is_file():
            raise ReleaseInvalid(f"{sums}, line {number}: {path} is missing")
        sha256, sha1, md5_b64, size = _digests(local)
        if sha256 != expected:
            raise ReleaseInvalid(
                f"{sums}, line {number}: {path} has sha256 {sha256[:12]}…, "
                f"the release lists {expected[:12]}…"
            )
        files.append(
            ReleaseFile(path, local, sha256, sha1, md5_b64, size, *_describe(path, described))
        )
    if not files:
        raise ReleaseInvalid(f"{sums}: lists no file (nothing to publish)")
    sha256, sha1, md5_b64, size = _digests(sums)
    files.append(
        ReleaseFile(CHECKSUMS, sums, sha256, sha1, md5_b64, size, *_describe(CHECKSUMS, described))
    )
    return Release(folder, tuple(files))
