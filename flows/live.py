"""Fetching a live source: the network task of a run, with retries on transient failures only,
conditional GETs, and the record of an attempt that ends before any file is read."""

from __future__ import annotations

from typing import Any

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.report import current_flow_run_id
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
        with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
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


def record_attempt(settings: Settings, source: str, status: str, message: str, **what: Any) -> int:
    """A load attempt that ends before any file is read (fetch failed, 304, bad edition name)."""
    with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
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
