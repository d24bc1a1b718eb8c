"""Fetching a live source: the network task of a run, with retries on transient failures only,
conditional GETs, and the record of an attempt that ends before any file is read."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.report import current_flow_run_id
from fsdata import datagouv
from fsdata.config import Settings
from fsdata.fetch import FetchError, FetchResult, TransientFetchError, fetch
from warehouse.db import begin_load, connect, fetch_first, finish_load


class LoadFailed(RuntimeError):
    """The source could not be fetched: nothing was published."""


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry connection errors, timeouts, 5xx, short bodies; never a
    4xx, an oversize body or a host off the allow-list."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:
        return False
    return False


@task(name="extract", cache_policy=NO_CACHE)
def _extract(
    settings: Settings, url: str, etag: str | None, last_modified: str | None
) -> FetchResult:
    return fetch(
        url,
        settings.home / "tmp",
        allowed_hosts=settings.allowed_hosts,
        max_bytes=settings.max_download_bytes,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        total_timeout=settings.download_timeout,
        etag=etag,
        last_modified=last_modified,
    )


def fetch_live(
    settings: Settings, source: str, url: str, conditional: bool = True, as_of: Any = None
) -> FetchResult | None:
    """Download `url` as the network task of `source`'s run (a conditional GET with the
    validators of the last accepted download when `conditional`; retried on transient failures
    only). None when the server answers 304 Not Modified (recorded `unchanged`); LoadFailed,
    recorded `failed`, when it gives up."""
    etag = last_modified = None
    if conditional:
        with connect(settings.warehouse_path) as con:
            cached = fetch_first(
                con.execute(
                    "select etag, last_modified from meta.http_state where source = ? and url = ?",
                    [source, url],
                )
            )
        etag, last_modified = cached if cached else (None, None)
    extract = _extract.with_options(
        name=f"extract {source}",
        retries=settings.fetch_retries,
        retry_delay_seconds=list(settings.retry_delays),
        retry_condition_fn=retry_only_transient,
    )
    try:
        fetched = extract(settings, url, etag, last_modified)
    except FetchError as exc:
        message = f"{source}: fetch failed: {exc}"
        record_attempt(settings, source, "failed", message, url=url, as_of=as_of)
        raise LoadFailed(message) from exc
    if fetched.not_modified:
        message = "unchanged: the server answered 304 Not Modified"
        record_attempt(settings, source, "unchanged", message, url=url)
        return None
    return fetched


def named_download(fetched: FetchResult, suffixes: tuple[str, ...], stem: str = "") -> Path:
    """The downloaded file renamed with its URL's suffix when it is one of `suffixes` (else the
    first, or a JSON one when the server says JSON), and with `stem` when given."""
    assert fetched.path is not None
    suffix = Path(urlsplit(fetched.final_url).path).suffix.lower()
    if suffix not in suffixes:
        json_like = [s for s in suffixes if "json" in s]
        is_json = "json" in (fetched.content_type or "") and json_like
        suffix = json_like[0] if is_json else suffixes[0]
    named = fetched.path.with_name(f"{stem or fetched.path.stem}{suffix}")
    fetched.path.rename(named)
    return named


def dataset_resources(settings: Settings, source: str) -> list[datagouv.Resource]:
    """The resources of `source`'s data.gouv.fr dataset, as its API lists them (the source's
    URL is the dataset's API address). LoadFailed, recorded, when the listing is not JSON."""
    url = settings.source_url(source)
    listing = fetch_live(settings, source, url, conditional=False)
    assert listing is not None and listing.path is not None
    try:
        return datagouv.resources(json.loads(listing.path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"{source}: the dataset listing is not JSON: {exc}"
        record_attempt(settings, source, "failed", message, url=url)
        raise LoadFailed(message) from exc
    finally:
        listing.path.unlink(missing_ok=True)


def download_resource(
    settings: Settings, source: str, resource: datagouv.Resource, as_of: Any = None
) -> FetchResult:
    """A dataset resource's file, named with its own suffix (else its format's), checked
    against the checksum the API announces. LoadFailed, recorded, when it cannot be had."""
    fetched = fetch_live(settings, source, resource.url, conditional=False, as_of=as_of)
    assert fetched is not None and fetched.path is not None
    suffix = Path(resource.file_name).suffix.lower() or f".{resource.format}"
    named = fetched.path.with_suffix(suffix)
    fetched.path.rename(named)
    fetched = replace(fetched, path=named)
    if not datagouv.checksum_matches(named, resource.checksum_type, resource.checksum):
        named.unlink(missing_ok=True)
        message = (
            f"{source}: {resource.file_name}: the downloaded file's {resource.checksum_type} "
            "does not match the checksum the API announces"
        )
        record_attempt(settings, source, "failed", message, url=resource.url, as_of=as_of)
        raise LoadFailed(message)
    return fetched


def latest_dataset_file(settings: Settings, source: str, file_format: str) -> FetchResult:
    """The latest modified resource of `file_format` of `source`'s dataset, downloaded."""
    found = [r for r in dataset_resources(settings, source) if r.format == file_format]
    if not found:
        message = f"{source}: the dataset lists no {file_format} file"
        record_attempt(settings, source, "failed", message, url=settings.source_url(source))
        raise LoadFailed(message)
    latest = max(found, key=lambda r: r.last_modified or "")
    fetched = download_resource(settings, source, latest)
    return replace(fetched, last_modified=fetched.last_modified or latest.last_modified)


def record_attempt(settings: Settings, source: str, status: str, message: str, **what: Any) -> int:
    """A load attempt that ends before any file is read (fetch failed, 304, bad edition name)."""
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(con, source, flow_run_id=current_flow_run_id(), **what)
        finish_load(con, load_id, status, message)
    return load_id


def remember_http_state(
    con: duckdb.DuckDBPyConnection, source: str, fetched: FetchResult | None, sha256: str
) -> None:
    """Keep the validators of an accepted download for the next conditional GET (a refused
    file's are not kept: the next refresh must download it again)."""
    if fetched is None:
        return
    con.execute(
        """
        insert or replace into meta.http_state
        values ($source, $url, $etag, $last_modified, $sha256, current_timestamp)
        """,
        {
            "source": source,
            "url": fetched.url,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "sha256": sha256,
        },
    )
