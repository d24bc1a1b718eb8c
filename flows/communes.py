"""Flow `communes`: the commune reference, extract → parse → validate → load → export, then
coverage.

A vintage is one file: loading the same file again is unchanged, loading another file for the
same vintage replaces it. Communes without coordinates are kept and reported; their population
is left out of distance figures (the summary says how much).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from transforms.communes import read_communes
from transforms.errors import SourceFormatError
from warehouse import communes as store
from warehouse.archive import archive, sha256_of
from warehouse.db import (
    begin_load,
    connect,
    finish_load,
    record_validation,
    transaction,
)

SOURCE = "communes"
SUITE = "communes"
DEMO_SAMPLE = ("communes-demo.csv", 2021)


@task(name="parse communes", cache_policy=SourceChecksum(inputs=("sha256", "vintage")))
def parse(file: Path, vintage: int, sha256: str) -> pl.DataFrame:
    return read_communes(file, vintage)


@task(
    name="validate communes",
    cache_policy=SourceChecksum(
        inputs=("sha256", "vintage"), packages=("transforms", "expectations")
    ),
)
def validate_frame(frame: pl.DataFrame, sha256: str, vintage: int) -> ValidationOutcome:
    return validate(frame, SUITE)


@task(name="load communes", cache_policy=NO_CACHE)
def load(
    settings: Settings,
    load_id: int,
    vintage: int,
    file: Path,
    sha256: str,
    frame: pl.DataFrame,
    outcome: ValidationOutcome,
) -> LoadSummary:
    warned = outcome.rows_by_rule("warning")
    rows_warned = len({p for positions in warned.values() for p in positions})
    without = frame.filter(~pl.col("has_coordinates"))
    population = int(frame["population"].sum() or 0)
    population_without = int(without["population"].sum() or 0)
    as_of = store.vintage_date(vintage)
    raw_path = archive(file, settings.raw_dir, SOURCE, as_of, sha256)
    message = (
        f"published {frame.height} communes of vintage {vintage} ({population} inhabitants); "
        f"{without.height} without coordinates ({population_without} inhabitants left out of "
        "distance figures)"
    )
    with connect(settings.warehouse_path) as con, transaction(con):
        store.publish_vintage(con, load_id=load_id, vintage=vintage, communes=frame)
        record_validation(con, load_id, SUITE, results_as_rows(outcome))
        finish_load(
            con,
            load_id,
            "published",
            message,
            rows_read=frame.height,
            rows_loaded=frame.height,
            rows_quarantined=0,
            rows_warned=rows_warned,
            raw_path=str(raw_path),
        )
    return LoadSummary(
        source=SOURCE,
        status="published",
        load_id=load_id,
        as_of=str(vintage),
        file=file.name,
        sha256=sha256,
        message=message,
        rows_read=frame.height,
        rows_loaded=frame.height,
        rows_warned=rows_warned,
        warnings={rule: len(set(positions)) for rule, positions in warned.items()},
        changes={
            "communes": frame.height,
            "population": population,
            "without coordinates": without.height,
            "population without coordinates": population_without,
        },
    )


@flow(name="communes", log_prints=True)
@holds_warehouse
def communes(
    home: str,
    config: str | None = None,
    file: str | None = None,
    vintage: int | None = None,
) -> dict[str, Any]:
    """Load a commune vintage: Etalab's live file as this year's vintage when `file` is None,
    else that local file as `vintage`; then bring coverage up to date. Raises LoadRefused /
    LoadFailed when nothing was published."""
    settings = load_settings(home, config)
    try:
        if file is None:
            summary = _refresh(settings, vintage or date.today().year)
        else:
            if vintage is None:
                raise ValueError("a local file needs the vintage (year) it is the reference of")
            path = Path(file)
            summary = _process(settings, path, sha256_of(path), int(vintage))
    except (LoadRefused, LoadFailed) as exc:
        status = "rejected" if isinstance(exc, LoadRefused) else "failed"
        failed = LoadSummary(source=SOURCE, status=status, message=str(exc), file=file)
        publish_artifact(failed, settings)
        raise
    print(summary.message)
    publish_artifact(summary, settings)
    return summary.to_dict()


def run_demo(home: str, config: str | None = None) -> dict[str, Any]:
    name, vintage = DEMO_SAMPLE
    return communes(home=home, config=config, file=str(sample_path(SOURCE, name)), vintage=vintage)


def _refresh(settings: Settings, vintage: int) -> LoadSummary:
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
    if suffix not in (".csv", ".json"):
        suffix = ".json" if "json" in (fetched.content_type or "") else ".csv"
    named = fetched.path.with_suffix(suffix)
    fetched.path.rename(named)
    try:
        summary = _process(settings, named, fetched.sha256, vintage, fetched)
    finally:
        named.unlink(missing_ok=True)
    return summary


def _process(
    settings: Settings,
    file: Path,
    sha256: str,
    vintage: int,
    fetched: FetchResult | None = None,
) -> LoadSummary:
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            SOURCE,
            as_of=store.vintage_date(vintage),
            file_name=file.name,
            sha256=sha256,
            size_bytes=file.stat().st_size,
            url=fetched.url if fetched else None,
            options={"vintage": vintage},
            flow_run_id=current_flow_run_id(),
        )
        if store.effective_sha256(con, vintage) == sha256:
            message = f"unchanged: {file.name} is already vintage {vintage}"
            finish_load(con, load_id, "unchanged", message)
            remember_http_state(con, SOURCE, fetched, sha256)
            return LoadSummary(
                source=SOURCE,
                status="unchanged",
                load_id=load_id,
                as_of=str(vintage),
                file=file.name,
                sha256=sha256,
                message=message,
            )

    validation_path = settings.validation_dir / SOURCE / f"load-{load_id}.json"
    label = f"{vintage}_{sha256[:16]}"
    with file_tasks(settings) as tasks:
        try:
            frame = tasks.run(parse, file=file, vintage=vintage, sha256=sha256)
        except SourceFormatError as exc:
            raise refuse_unparsed(
                settings, SOURCE, SUITE, load_id, file, label, validation_path, exc
            ) from exc
        outcome = tasks.run(validate_frame, frame=frame, sha256=sha256, vintage=vintage)
    save_outcome(outcome, validation_path)
    refuse_if_blocking(settings, SOURCE, load_id, file, label, outcome, frame.height)
    summary = load(settings, load_id, vintage, file, sha256, frame, outcome)
    with connect(settings.warehouse_path) as con:
        remember_http_state(con, SOURCE, fetched, sha256)
    summary.exports = release(settings, SOURCE, summary.to_dict())
    coverage_after_load(settings)
    return summary
