"""A data.gouv.fr dataset as its API describes it (`GET /api/1/datasets/{slug-or-id}/`): the
resources a live source is published as, with the checksum the platform announces."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    url: str
    format: str  # lowercase, from the API or else from the file name's suffix
    checksum_type: str | None
    checksum: str | None
    last_modified: str | None

    @property
    def file_name(self) -> str:
        return Path(unquote(urlsplit(self.url).path)).name


def resources(document: dict[str, Any]) -> list[Resource]:
    """Every resource of a dataset document, in the API's order."""
    found = []
    for item in document.get("resources") or []:
        url = str(item.get("url") or "")
        file_name = Path(unquote(urlsplit(url).path)).name
        checksum = item.get("checksum") or {}
        found.append(
            Resource(
                id=str(item.get("id") or ""),
                title=str(item.get("title") or ""),
                url=url,
                format=str(item.get("format") or Path(file_name).suffix.lstrip(".")).lower(),
                checksum_type=checksum.get("type") or None,
                checksum=checksum.get("value") or None,
                last_modified=item.get("last_modified"),
            )
        )
    return found


def checksum_matches(path: Path, kind: str | None, expected: str | None) -> bool:
    """Whether `path` has the checksum the API announces (True when it announces none that
    can be checked)."""
    if not expected or not kind or kind.lower() not in ("sha1", "sha256", "md5"):
        return True
    digest = hashlib.new(kind.lower())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().lower() == expected.lower()
