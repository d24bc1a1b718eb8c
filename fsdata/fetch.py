"""Download one live source file: conditional GET, streamed, capped, checksummed.

One call makes one attempt. Failures worth retrying (connection errors, timeouts, 5xx, a body
shorter than announced) raise `TransientFetchError`; the flow's network task retries those and
only those. Everything else (4xx, oversize, a host off the allow-list) raises `FetchRefused`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import requests

MAX_REDIRECTS = 5
CHUNK_BYTES = 1 << 16
# The read timeout bounds each wait for bytes, not a server that trickles them: this bounds
# the whole download.
DEFAULT_TOTAL_TIMEOUT = 600.0


class FetchError(RuntimeError):
    pass


class TransientFetchError(FetchError):
    """Worth another attempt: the network or the server had a bad moment."""


class FetchRefused(FetchError):
    """Not worth another attempt: the request or the answer is wrong."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    not_modified: bool
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url_allowed(url: str, allowed_hosts: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _is_loopback(host) and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https":
        raise FetchRefused(f"{url}: only https URLs are fetched (got {parts.scheme or 'none'!r})")
    if host not in allowed_hosts:
        raise FetchRefused(f"{url}: host {host!r} is not on the allow-list {list(allowed_hosts)}")


def fetch(
    url: str,
    dest_dir: Path,
    *,
    allowed_hosts: tuple[str, ...],
    max_bytes: int,
    connect_timeout: float,
    read_timeout: float,
    etag: str | None = None,
    last_modified: str | None = None,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
) -> FetchResult:
    """GET `url` into a new file under `dest_dir`; a 304 answer returns `not_modified`."""
    deadline = time.monotonic() + total_timeout
    headers = {"User-Agent": "france-services-data (open-data warehouse)"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    session = requests.Session()
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url_allowed(current, allowed_hosts)
            try:
                response = session.get(
                    current,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(connect_timeout, read_timeout),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientFetchError(f"{current}: {type(exc).__name__}: {exc}") from exc
            if response.is_redirect:
                current = urljoin(current, response.headers["Location"])
                response.close()
                continue
            return _receive(url, current, response, dest_dir, max_bytes, deadline)
        raise FetchRefused(f"{url}: more than {MAX_REDIRECTS} redirects")
    finally:
        session.close()


def _receive(
    url: str,
    final_url: str,
    response: requests.Response,
    dest_dir: Path,
    max_bytes: int,
    deadline: float,
) -> FetchResult:
    with response:
        if response.status_code == 304:
            return FetchResult(url=url, final_url=final_url, not_modified=True)
        if response.status_code >= 500:
            raise TransientFetchError(f"{final_url}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise FetchRefused(f"{final_url}: HTTP {response.status_code} {response.reason}")
        announced = response.headers.get("Content-Length")
        if announced and announced.isdigit() and int(announced) > max_bytes:
            raise FetchRefused(
                f"{final_url}: announced size {int(announced)} bytes exceeds the cap of "
                f"{max_bytes} bytes"
            )
        dest_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, name = tempfile.mkstemp(dir=dest_dir, prefix="download-", suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in response.iter_content(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchRefused(
                            f"{final_url}: body exceeds the cap of {max_bytes} bytes"
                        )
                    if time.monotonic() > deadline:
                        raise TransientFetchError(
                            f"{final_url}: download still unfinished at its time limit"
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except (requests.ConnectionError, requests.Timeout) as exc:
            path.unlink(missing_ok=True)
            raise TransientFetchError(f"{final_url}: body interrupted: {exc}") from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            path.unlink(missing_ok=True)
            raise TransientFetchError(f"{final_url}: body shorter than announced: {exc}") from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return FetchResult(
            url=url,
            final_url=final_url,
            not_modified=False,
            path=path,
            sha256=digest.hexdigest(),
            size=size,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_type=response.headers.get("Content-Type"),
        )


def modified_day(last_modified: str | None, today: date, latest: date | None) -> date:
    """The date a downloaded file is the data of: the day the server last modified it
    (Europe/Paris), so a file fetched days after its update is dated by its update; the fetch
    day when the server does not say, says a future day, or says a day before `latest` (the
    latest snapshot: a changed file cannot predate it without rewriting the history)."""
    if not last_modified:
        return today
    try:
        modified = parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return today
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    day = modified.astimezone(ZoneInfo("Europe/Paris")).date()
    if day > today or (latest is not None and day < latest):
        return today
    return day
