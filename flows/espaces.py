"""Flow `espaces`: the France services listing, extract → parse → validate → load → export."""

from __future__ import annotations

from datetime import UTC, date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from expectations.runner import ValidationOutcome, validate
from flows.common import (
    LoadFailed,
    LoadRefused,
    LoadSummary,
    current_flow_run_id,
    fetch_live,
    holds_warehouse,
    publish_artifact,
    refuse_if_blocking,
    refuse_unparsed,
    release,
    remember_http_state,
    results_as_rows,
    save_outcome,
)
from flows.coverage import coverage_after_load
from flows.execution import SourceChecksum, file_tasks
from fsdata.config import Settings, load_settings, sample_path
from fsdata.fetch import FetchError, FetchResult
from transforms.errors import SourceFormatError
from transforms.espaces import parse_listing
from warehouse import espaces as store
from warehouse.archive import archive, sha256_of
from warehouse.db import (
    begin_load,
    connect,
    fetch_first,
    finish_load,
    record_validation,
    transaction,
)
from warehouse.release import DATASET_BY_NAME

SOURCE = "espaces"
SUITE = "espaces"
# A guard bound no listing reaches, for the first snapshot or an operator's override.
UNBOUNDED_ROWS = 10**12


@task(name="parse espaces", cache_policy=SourceChecksum())
def parse(file: Path, sha256: str) -> pl.DataFrame:
    return parse_listing(file)


@task(
    name="validate espaces",
    cache_policy=SourceChecksum(
        inputs=("sha256", "parameters"), packages=("transforms", "expectations")
    ),
)
def validate_frame(
    frame: pl.DataFrame, sha256: str, parameters: dict[str, int]
) -> ValidationOutcome:
    return validate(frame, SUITE, parameters)


@task(name="load espaces", cache_policy=NO_CACHE)
def load(
    settings: Settings,
    load_id: int,
    as_of: date,
    file: Path,
    sha256: str,
    parsed: pl.DataFrame,
    outcome: ValidationOutcome,
) -> LoadSummary:
    frame = parsed.with_row_index("position")
    rejected = outcome.rows_by_rule("row_rejected")
    warned = outcome.rows_by_rule("warning")
    rejected_positions = sorted({p for positions in rejected.values() for p in positions})
    quarantined = [
        {"source_row": row["source_row"], "rule": rule, "record": row}
        for rule, positions in rejected.items()
        for row in frame.filter(pl.col("position").is_in(positions)).drop("position").to_dicts()
    ]
    flags = pl.DataFrame(
        [(position, rule) for rule, positions in warned.items() for position in positions],
        schema={"position": pl.UInt32, "rule": pl.String},
        orient="row",
    )
    flags = flags.group_by("position").agg(pl.col("rule").sort().alias("quality_flags"))
    accepted = (
        frame.filter(~pl.col("position").is_in(rejected_positions))
        .join(flags, on="position", how="left")
        .with_columns(pl.col("quality_flags").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .sort("position")
        .drop("position")
    )
    rows_warned = flags.filter(~pl.col("position").is_in(rejected_positions)).height
    raw_path = archive(file, settings.raw_dir, SOURCE, as_of, sha256)
    with connect(settings.warehouse_path) as con, transaction(con):
        changes = store.publish_snapshot(
            con, load_id=load_id, as_of=as_of, accepted=accepted, quarantined=quarantined
        )
        message = (
            f"published {accepted.height} espaces as of {as_of}: {changes.opened} opened, "
            f"{changes.closed} closed, {changes.changed} changed"
        )
        record_validation(con, load_id, SUITE, results_as_rows(outcome))
        finish_load(
            con,
            load_id,
            "published",
            message,
            rows_read=frame.height,
            rows_loaded=accepted.height,
            rows_quarantined=len(quarantined),
            rows_warned=rows_warned,
            raw_path=str(raw_path),
        )
    return LoadSummary(
        source=SOURCE,
        status="published",
        load_id=load_id,
        as_of=as_of.isoformat(),
        file=file.name,
        sha256=sha256,
        message=message,
        rows_read=frame.height,
        rows_loaded=accepted.height,
        rows_quarantined=len(quarantined),
        rows_warned=rows_warned,
        warnings={rule: len(positions) for rule, positions in warned.items()},
        changes={
            "open before": changes.open_before,
            "open after": changes.open_after,
            "opened": changes.opened,
            "closed": changes.closed,
            "changed": changes.changed,
        },
    )


# Sample listings bundled for the demo and the date each one is the listing of, oldest first.
DEMO_SAMPLES = (
    ("france_services_20200312.geojson", "2020-03-12"),
    ("liste-fs-20231201.csv", "2023-12-01"),
    ("liste-fs-20240801.csv", "2024-08-01"),
)


@flow(name="espaces", log_prints=True)
@holds_warehouse
def espaces(
    home: str,
    file: str | None = None,
    as_of: str | None = None,
    accept_row_count: bool = False,
    config: str | None = None,
) -> dict[str, Any]:
    """Load the espace listing: the live source when `file` is None, else that local file
    as the listing of `as_of`. Raises LoadRefused / LoadFailed when nothing was published."""
    settings = load_settings(home, config)
    try:
        if file is None:
            summary = _refresh(settings, accept_row_count)
        else:
            if as_of is None:
                raise ValueError("a local file needs the date it is the listing of (as_of)")
            path = Path(file)
            summary = _process(
                settings, path, sha256_of(path), date.fromisoformat(as_of), accept_row_count
            )
    except (LoadRefused, LoadFailed) as exc:
        status = "rejected" if isinstance(exc, LoadRefused) else "failed"
        failed = LoadSummary(source=SOURCE, status=status, message=str(exc), file=file)
        publish_artifact(failed, settings)
        raise
    if summary.status == "unchanged" and _exports_behind(settings):
        # A run killed after its publish committed but before its exports were written.
        summary.exports = release(settings, SOURCE, None)
    print(summary.message)
    publish_artifact(summary, settings)
    return summary.to_dict()


def run_demo(home: str, config: str | None = None) -> list[dict[str, Any]]:
    return [
        espaces(home=home, file=str(sample_path("espaces", name)), as_of=as_of, config=config)
        for name, as_of in DEMO_SAMPLES
    ]


def _refresh(settings: Settings, accept_row_count: bool) -> LoadSummary:
    url = settings.source_url(SOURCE)
    try:
        fetched = fetch_live(settings, SOURCE, url)
    except FetchError as exc:
        with connect(settings.warehouse_path) as con:
            load_id = begin_load(con, SOURCE, url=url, flow_run_id=current_flow_run_id())
            finish_load(con, load_id, "failed", f"fetch failed: {exc}")
        raise LoadFailed(f"{SOURCE}: fetch failed: {exc}") from exc
    if fetched.not_modified:
        with connect(settings.warehouse_path) as con:
            load_id = begin_load(con, SOURCE, url=url, flow_run_id=current_flow_run_id())
            message = "unchanged: the server answered 304 Not Modified"
            finish_load(con, load_id, "unchanged", message)
        return LoadSummary(source=SOURCE, status="unchanged", load_id=load_id, message=message)
    assert fetched.path is not None and fetched.sha256 is not None
    suffix = Path(urlsplit(fetched.final_url).path).suffix.lower()
    if suffix not in (".csv", ".geojson", ".json"):
        suffix = ".geojson" if "json" in (fetched.content_type or "") else ".csv"
    with connect(settings.warehouse_path) as con:
        latest = store.latest_snapshot(con)
    as_of = listing_date(fetched.last_modified, date.today(), latest[0] if latest else None)
    # Named as its archived or rejected copy will be, so a refusal names a file one can find.
    named = fetched.path.with_name(f"{as_of.isoformat()}_{fetched.sha256[:16]}{suffix}")
    fetched.path.rename(named)
    try:
        summary = _process(settings, named, fetched.sha256, as_of, accept_row_count, fetched)
    finally:
        named.unlink(missing_ok=True)
    return summary


def listing_date(last_modified: str | None, today: date, latest: date | None) -> date:
    """The date a downloaded listing is the listing of: the day the server last modified it
    (Europe/Paris), so a listing fetched days after its update is dated by its update; the
    fetch day when the server does not say, says a future day, or says a day before the
    latest snapshot (a changed file cannot predate it without rewriting the history)."""
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


def _process(
    settings: Settings,
    file: Path,
    sha256: str,
    as_of: date,
    accept_row_count: bool,
    fetched: FetchResult | None = None,
) -> LoadSummary:
    options = {"accept_row_count": accept_row_count}
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            SOURCE,
            as_of=as_of,
            file_name=file.name,
            sha256=sha256,
            size_bytes=file.stat().st_size,
            url=fetched.url if fetched else None,
            options=options,
            flow_run_id=current_flow_run_id(),
        )
        latest = store.latest_snapshot(con)
        in_force = store.effective_sha256(con, as_of)
        # A live refresh that brings back the latest file is unchanged whatever the date.
        if in_force == sha256 or (fetched is not None and latest and latest[1] == sha256):
            message = f"unchanged: {file.name} is already the listing in force"
            finish_load(con, load_id, "unchanged", message)
            remember_http_state(con, SOURCE, fetched, sha256)
            return LoadSummary(
                source=SOURCE,
                status="unchanged",
                load_id=load_id,
                as_of=as_of.isoformat(),
                file=file.name,
                sha256=sha256,
                message=message,
            )
        neighbour_rows = store.neighbour_row_count(con, as_of)

    validation_path = settings.validation_dir / SOURCE / f"load-{load_id}.json"
    label = f"{as_of.isoformat()}_{sha256[:16]}"
    parameters = {"min_rows": 0, "max_rows": UNBOUNDED_ROWS}
    if neighbour_rows and not accept_row_count:
        parameters = {
            "min_rows": int(neighbour_rows * (1 - settings.row_count_max_fall) + 0.999999),
            "max_rows": int(neighbour_rows * settings.row_count_max_rise),
        }
    with file_tasks(settings) as tasks:
        try:
            frame = tasks.run(parse, file=file, sha256=sha256)
        except SourceFormatError as exc:
            raise refuse_unparsed(
                settings, SOURCE, SUITE, load_id, file, label, validation_path, exc
            ) from exc
        outcome = tasks.run(validate_frame, frame=frame, sha256=sha256, parameters=parameters)
    save_outcome(outcome, validation_path)
    hint = ""
    if any(r.rule == "row_count_guard" for r in outcome.failures("blocking")):
        hint = (
            f" (expected {parameters['min_rows']}..{parameters['max_rows']} rows from "
            f"the neighbouring snapshot's {neighbour_rows}; if the change is real, "
            "load again with --accept-row-count)"
        )
    refuse_if_blocking(settings, SOURCE, load_id, file, label, outcome, frame.height, hint)
    summary = load(settings, load_id, as_of, file, sha256, frame, outcome)
    with connect(settings.warehouse_path) as con:
        remember_http_state(con, SOURCE, fetched, sha256)
    summary.exports = release(settings, SOURCE, summary.to_dict())
    coverage_after_load(settings)
    return summary


def _exports_behind(settings: Settings) -> bool:
    """True when an export file is missing or older than the last published load."""
    with connect(settings.warehouse_path) as con:
        row = fetch_first(
            con.execute(
                "select max(finished_at) from meta.loads where source = ? and status = 'published'",
                [SOURCE],
            )
        )
    published_at = row[0] if row else None
    if published_at is None:
        return False
    files = [
        settings.exports_dir / SOURCE / f"{resource.name}{suffix}"
        for resource in DATASET_BY_NAME[SOURCE].resources
        for suffix in (".parquet", ".csv")
    ]
    if not all(file.exists() for file in files):
        return True
    return min(file.stat().st_mtime for file in files) < published_at.timestamp()
