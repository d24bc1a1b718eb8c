"""What every source flow shares: refusals, the load summary, the run artifacts, the warehouse
lock and the release step."""

from __future__ import annotations

import fcntl
import functools
import inspect
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from expectations.runner import ValidationOutcome, refusal
from fsdata.config import Settings, load_settings
from fsdata.fetch import FetchResult, TransientFetchError, fetch
from transforms.errors import SourceFormatError
from warehouse import release as release_store
from warehouse.db import connect, fetch_first, finish_load, record_validation, transaction


class LoadRefused(RuntimeError):
    """The input was refused: nothing was published. The message names the file and rule."""


class LoadFailed(RuntimeError):
    """The source could not be fetched: nothing was published."""


class WarehouseBusy(RuntimeError):
    """Another run held the warehouse for longer than the lock timeout: nothing was done."""


# --- the warehouse lock ------------------------------------------------------------------------
# An flock on <home>/.fsdata.lock, held for a whole flow run: the kernel releases it when the
# process dies, so a crash never leaves the warehouse locked. Re-entrant within a process, for
# subflows (coverage after espaces, every source inside demo or refresh_all).

_held: dict[str, list[int]] = {}  # lock path → [file descriptor, depth]
_held_guard = threading.Lock()


def _holder(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def warehouse_lock(home: Path, timeout: float) -> Iterator[None]:
    """Hold the warehouse for this process; wait up to `timeout` seconds for another run."""
    path = (Path(home) / ".fsdata.lock").resolve()
    key = str(path)
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseBusy(
                    f"another fsdata run holds the warehouse (pid {_holder(path)}); "
                    f"waited {timeout:g} s, nothing was done"
                ) from None
            if not announced:
                print(f"waiting for another fsdata run (pid {_holder(path)}) to finish…")
                announced = True
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    with _held_guard:
        _held[key] = [fd, 1]
    try:
        yield
    finally:
        with _held_guard:
            del _held[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


F = TypeVar("F", bound=Callable[..., Any])


def holds_warehouse(function: F) -> F:
    """Run a flow's body under the warehouse lock of its `home` (and `config`'s timeout).
    Placed under `@flow`, so Prefect still sees the function's own signature."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def locked(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        settings = load_settings(bound.arguments["home"], bound.arguments.get("config"))
        with warehouse_lock(settings.home, settings.lock_timeout):
            return function(*args, **kwargs)

    return locked  # type: ignore[return-value]


# --- the release step ------------------------------------------------------------------------


@task(name="publish release", cache_policy=NO_CACHE)
def release(settings: Settings, source: str, entry: dict[str, Any] | None) -> list[str]:
    """Export what `source` changed and rewrite datapackage.json, CHANGELOG.md, index.html and
    SHA256SUMS (warehouse/release.py). Returns the files written."""
    with connect(settings.warehouse_path) as con:
        written = release_store.publish(
            con, settings.exports_dir, source, entry, settings.validation_dir
        )
    return [str(p) for p in written]


@dataclass
class LoadSummary:
    source: str
    status: str
    load_id: int | None = None
    as_of: str | None = None
    file: str | None = None
    sha256: str | None = None
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_warned: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def markdown(self) -> str:
        lines = [
            f"# {self.source}: {self.status}",
            "",
            f"- as of: {self.as_of or '—'}",
            f"- file: `{self.file or '—'}` (sha256 `{(self.sha256 or '—')[:16]}`)",
            f"- load: {self.load_id if self.load_id is not None else '—'}",
            f"- {self.message}",
            "",
            "| rows read | loaded | quarantined | with warnings |",
            "|---:|---:|---:|---:|",
            f"| {self.rows_read} | {self.rows_loaded} | {self.rows_quarantined} "
            f"| {self.rows_warned} |",
        ]
        if self.changes:
            lines += ["", "| " + " | ".join(self.changes) + " |"]
            lines += ["|" + "---:|" * len(self.changes)]
            lines += ["| " + " | ".join(str(v) for v in self.changes.values()) + " |"]
        if self.warnings:
            lines += ["", "| warning rule | rows |", "|---|---:|"]
            lines += [f"| {rule} | {count} |" for rule, count in sorted(self.warnings.items())]
        return "\n".join(lines)


def current_flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def publish_artifact(summary: LoadSummary, settings: Settings | None = None) -> None:
    """The run's artifacts: the markdown summary and, when the run validated something, a
    table of its rule results and a link to the source's Data Docs."""
    create_markdown_artifact(
        key=f"{summary.source}-load",
        markdown=summary.markdown(),
        description=f"{summary.source} load summary",
    )
    if settings is not None:
        publish_validation_artifacts(settings, summary.source, summary.load_id)


def publish_validation_artifacts(settings: Settings, source: str, load_id: int | None) -> None:
    """The rule results of this flow run's loads of `source` (refused ones included)."""
    run_id = current_flow_run_id()
    if not settings.warehouse_path.exists():
        return
    with connect(settings.warehouse_path) as con:
        rows = con.execute(
            """
            select v.load_id, v.suite, v.rule, v.rule_class, v.success, v.unexpected_count,
                   v.message
            from meta.validation_results v join meta.loads l using (load_id)
            where l.source = $source and (l.load_id = $load_id or l.flow_run_id = $run_id)
            order by v.load_id, v.suite, v.rule
            """,
            {"source": source, "load_id": load_id, "run_id": run_id},
        ).fetchall()
    if rows:
        create_table_artifact(
            key=f"{source}-validation",
            table=[
                {
                    "load": load,
                    "suite": suite,
                    "rule": rule,
                    "class": rule_class,
                    "success": success,
                    "unexpected rows": unexpected,
                    "message": message or "",
                }
                for load, suite, rule, rule_class, success, unexpected, message in rows
            ],
            description=f"{source}: validation results of this run",
        )
    docs = settings.validation_dir / "docs" / f"{source}.html"
    if docs.exists():
        create_link_artifact(
            key=f"{source}-data-docs",
            link=docs.resolve().as_uri(),
            link_text=f"{source} Data Docs",
            description=f"{source}: Data Docs of the latest validation",
        )


def save_outcome(outcome: ValidationOutcome, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outcome.document, indent=1, default=str), encoding="utf-8")


def results_as_rows(outcome: ValidationOutcome) -> list[dict[str, Any]]:
    return [
        {
            "rule": r.rule,
            "rule_class": r.rule_class,
            "expectation": r.expectation,
            "column": r.column,
            "success": r.success,
            "unexpected_count": r.unexpected_count,
            "observed_value": r.observed_value,
            "message": r.message(),
        }
        for r in outcome.results
    ]


# --- live sources and refusals -----------------------------------------------------------------


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


def fetch_live(settings: Settings, source: str, url: str, conditional: bool = True) -> FetchResult:
    """Download `url` as the network task of `source`'s flow: a conditional GET with the
    validators of the last accepted download (when `conditional`), retried with the configured
    delays on transient failures only. Raises FetchError when it gives up."""
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
    return extract(settings, url, etag, last_modified)


def remember_http_state(con: Any, source: str, fetched: FetchResult | None, sha256: str) -> None:
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


def refuse_unparsed(
    settings: Settings,
    source: str,
    suite: str,
    load_id: int,
    file: Path,
    label: str,
    result_path: Path,
    exc: SourceFormatError,
) -> LoadRefused:
    """Record a file its parser refused (the parser's rule as the validation result, the file
    kept under rejected/) and return the error to raise."""
    outcome = refusal(suite, exc.rule, exc.detail)
    save_outcome(outcome, result_path)
    reject(settings, source, load_id, file, label, [outcome], str(exc))
    return LoadRefused(str(exc))


def refuse_if_blocking(
    settings: Settings,
    source: str,
    load_id: int,
    file: Path,
    label: str,
    outcome: ValidationOutcome,
    rows_read: int | None = None,
    hint: str = "",
) -> None:
    """When a blocking rule failed: record the refusal (file kept, results, load status) and
    raise LoadRefused naming the file and the rules; `hint` says what the operator can do."""
    if not outcome.blocking_failed:
        return
    reasons = "; ".join(r.message() for r in outcome.failures("blocking"))
    message = f"{file.name}: refused: {reasons}{hint}"
    reject(settings, source, load_id, file, label, [outcome], message, rows_read)
    raise LoadRefused(message)


def reject(
    settings: Settings,
    source: str,
    load_id: int,
    file: Path,
    label: str,
    outcomes: list[ValidationOutcome],
    message: str,
    rows_read: int | None = None,
) -> None:
    """Record a refused file: kept under <home>/rejected/<source>/ for inspection (named by
    `label`, e.g. its date and checksum), its validation results and the load's status."""
    kept = settings.home / "rejected" / source / f"{label}{file.suffix}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copyfile(file, kept)
    with connect(settings.warehouse_path) as con, transaction(con):
        for outcome in outcomes:
            record_validation(con, load_id, outcome.suite, results_as_rows(outcome))
        finish_load(con, load_id, "rejected", message, rows_read=rows_read, raw_path=str(kept))
