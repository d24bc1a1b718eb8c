"""Flow `footfall`: an operator's footfall feed, parse → validate → load → export.

No open dataset gives footfall per espace (SOURCES.md §4): the feed arrives as a file in the
format of fsdata/reference/FOOTFALL_FORMAT.md. The demo loads the SYNTHETIC feed bundled in
fsdata/samples/footfall/, marked as such in the tables, the exports and the run summary.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from expectations.runner import ValidationOutcome, refusal, validate
from flows.common import (
    LoadRefused,
    LoadSummary,
    current_flow_run_id,
    holds_warehouse,
    publish_artifact,
    refuse_if_blocking,
    refuse_unparsed,
    reject,
    release,
    results_as_rows,
    save_outcome,
)
from flows.execution import SourceChecksum, file_tasks
from fsdata.config import Settings, load_settings, sample_path
from transforms.errors import SourceFormatError
from transforms.footfall import read_footfall
from warehouse import footfall as store
from warehouse.archive import archive, sha256_of
from warehouse.db import begin_load, connect, finish_load, record_validation, transaction
from warehouse.partners import catalogue_in_force, published_sha256

SOURCE = "footfall"
SUITE = "footfall"
DEMO_FILE = "footfall-SYNTHETIC-demo.csv"
SYNTHETIC_NOTE = "SYNTHETIC demo feed (invented figures, not real footfall)"


# Months after the month of the run are refused: the key holds that month, not the day.
FEED_KEY = ("sha256", "month_of_run", "catalogue_sha256")
# Before any catalogue load, partner names map through the catalogue kept in fsdata/reference.
FEED_CODE = ("transforms", "fsdata")


@task(name="parse footfall", cache_policy=SourceChecksum(inputs=FEED_KEY, packages=FEED_CODE))
def parse(
    file: Path,
    sha256: str,
    month_of_run: date,
    aliases: pl.DataFrame | None,
    catalogue_sha256: str | None,
) -> pl.DataFrame:
    return read_footfall(file, aliases, month_of_run)


@task(
    name="validate footfall",
    cache_policy=SourceChecksum(inputs=FEED_KEY, packages=(*FEED_CODE, "expectations")),
)
def validate_frame(
    frame: pl.DataFrame, sha256: str, month_of_run: date, catalogue_sha256: str | None
) -> ValidationOutcome:
    return validate(frame, SUITE)


def _row_record(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "position"}


@task(name="load footfall", cache_policy=NO_CACHE)
def load(
    settings: Settings,
    load_id: int,
    file: Path,
    sha256: str,
    parsed: pl.DataFrame,
    outcome: ValidationOutcome,
    today: date,
) -> LoadSummary:
    frame = parsed.with_row_index("position")
    synthetic = store.is_synthetic_file(file.name)
    rejected = outcome.rows_by_rule("row_rejected")
    warned = outcome.rows_by_rule("warning")
    flags = (
        pl.DataFrame(
            [(position, rule) for rule, positions in warned.items() for position in positions],
            schema={"position": pl.UInt32, "rule": pl.String},
            orient="row",
        )
        .group_by("position")
        .agg(pl.col("rule").alias("quality_flags"))
    )
    quarantined = [
        {"source_row": row["source_row"], "rule": rule, "record": _row_record(row)}
        for rule, positions in rejected.items()
        for row in frame.filter(pl.col("position").is_in(positions)).to_dicts()
    ]
    rejected_positions = {p for positions in rejected.values() for p in positions}
    candidates = frame.filter(~pl.col("position").is_in(list(rejected_positions)))
    with connect(settings.warehouse_path) as con, transaction(con):
        # The warehouse rule: the espace is known and open on at least one day of the month.
        not_open = store.closed_or_unknown(con, candidates)
        reasons = dict(zip(not_open["position"], not_open["reason"], strict=True))
        for row in candidates.filter(pl.col("position").is_in(list(reasons))).to_dicts():
            record = _row_record(row) | {"reason": reasons[row["position"]]}
            quarantined.append(
                {"source_row": row["source_row"], "rule": store.RULE_ESPACE_OPEN, "record": record}
            )
        accepted = (
            candidates.filter(~pl.col("position").is_in(list(reasons)))
            .join(flags, on="position", how="left", maintain_order="left")
            .with_columns(pl.col("quality_flags").fill_null(pl.lit([], dtype=pl.List(pl.String))))
            .drop("position")
        )
        n_quarantined = len(rejected_positions) + len(reasons)
        excluded = rejected_positions | set(reasons)
        rows_warned = flags.filter(~pl.col("position").is_in(list(excluded))).height
        record_validation(con, load_id, SUITE, results_as_rows(outcome))
        prefix = f"{SYNTHETIC_NOTE}: " if synthetic else ""
        if store.is_unchanged(con, accepted):
            message = f"{prefix}unchanged: {file.name} brings the figures already in force"
            # Espaces, communes or the observatory may have been loaded since.
            store.rebuild_marts(con)
            finish_load(
                con,
                load_id,
                "unchanged",
                message,
                rows_read=frame.height,
                rows_loaded=0,
                rows_quarantined=n_quarantined,
            )
            return LoadSummary(
                source=SOURCE,
                status="unchanged",
                load_id=load_id,
                as_of=today.isoformat(),
                file=file.name,
                sha256=sha256,
                message=message,
                rows_read=frame.height,
                rows_quarantined=n_quarantined,
            )
        raw_path = archive(file, settings.raw_dir, SOURCE, today, sha256)
        changes = store.publish_feed(
            con,
            load_id=load_id,
            accepted=accepted,
            quarantined=quarantined,
            is_synthetic=synthetic,
        )
        outliers = ", ".join(
            f"espace {o['espace_id']} {o['month']:%Y-%m} {o['partner_code'] or 'total'}: "
            f"{o['requests']} (median {o['median_requests']:g})"
            for o in changes.outliers
        )
        message = (
            f"{prefix}published {accepted.height} figures for {changes.espace_months} "
            f"espace-months ({changes.espace_months_replaced} replaced a month already loaded), "
            f"{n_quarantined} rows quarantined"
            + (f"; outliers (≥ 10× the espace's median, kept): {outliers}" if outliers else "")
        )
        finish_load(
            con,
            load_id,
            "published",
            message,
            rows_read=frame.height,
            rows_loaded=accepted.height,
            rows_quarantined=n_quarantined,
            rows_warned=rows_warned,
            raw_path=str(raw_path),
        )
    warnings = {rule: len(positions) for rule, positions in warned.items()}
    if changes.outliers:
        warnings["footfall_outlier"] = len(changes.outliers)
    return LoadSummary(
        source=SOURCE,
        status="published",
        load_id=load_id,
        as_of=today.isoformat(),
        file=file.name,
        sha256=sha256,
        message=message,
        rows_read=frame.height,
        rows_loaded=accepted.height,
        rows_quarantined=n_quarantined,
        rows_warned=rows_warned,
        warnings=warnings,
        changes={
            "espace-months": changes.espace_months,
            "replaced": changes.espace_months_replaced,
            "figures removed": changes.rows_removed,
            "outliers": len(changes.outliers),
            "synthetic": int(synthetic),
        },
    )


@flow(name="footfall", log_prints=True)
@holds_warehouse
def footfall(home: str, config: str | None = None, file: str | None = None) -> dict[str, Any]:
    """Load one footfall feed file. Raises LoadRefused when nothing was published."""
    settings = load_settings(home, config)
    if file is None:
        raise ValueError("footfall has no live source: give the operator's feed file")
    path = Path(file)
    try:
        summary = _process(settings, path, date.today())
    except LoadRefused as exc:
        publish_artifact(
            LoadSummary(source=SOURCE, status="rejected", message=str(exc), file=path.name),
            settings,
        )
        raise
    print(summary.message)
    publish_artifact(summary, settings)
    return summary.to_dict()


def run_demo(home: str, config: str | None = None) -> list[dict[str, Any]]:
    return [footfall(home=home, config=config, file=str(sample_path("footfall", DEMO_FILE)))]


def _process(settings: Settings, file: Path, today: date) -> LoadSummary:
    if not file.is_file():
        raise LoadRefused(f"{file}: no such file")
    sha256 = sha256_of(file)
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            SOURCE,
            as_of=today,
            file_name=file.name,
            sha256=sha256,
            size_bytes=file.stat().st_size,
            options={"synthetic": store.is_synthetic_file(file.name)},
            flow_run_id=current_flow_run_id(),
        )
        espaces_known = store.espaces_loaded(con)
        # The catalogue as published maps partner names; the repository's before any load.
        in_force = catalogue_in_force(con)
        catalogue_sha256 = published_sha256(con)
    validation_path = settings.validation_dir / SOURCE / f"load-{load_id}.json"
    if not espaces_known:
        outcome = refusal(SUITE, "espaces_loaded", "no espace history: load the espaces first")
        save_outcome(outcome, validation_path)
        message = f"{file.name}: refused: {outcome.summary()}"
        reject(settings, SOURCE, load_id, file, sha256[:16], [outcome], message)
        raise LoadRefused(message)
    feed_key = {
        "sha256": sha256,
        "month_of_run": today.replace(day=1),
        "catalogue_sha256": catalogue_sha256,
    }
    with file_tasks(settings) as tasks:
        try:
            frame = tasks.run(
                parse,
                file=file,
                aliases=in_force[0] if in_force else None,
                **feed_key,
            )
        except SourceFormatError as exc:
            raise refuse_unparsed(
                settings, SOURCE, SUITE, load_id, file, sha256[:16], validation_path, exc
            ) from exc
        outcome = tasks.run(validate_frame, frame=frame, **feed_key)
    save_outcome(outcome, validation_path)
    refuse_if_blocking(settings, SOURCE, load_id, file, sha256[:16], outcome, frame.height)
    summary = load(settings, load_id, file, sha256, frame, outcome, today)
    # The release re-exports the promise tracker too: its marts were rebuilt with the load.
    summary.exports = release(settings, SOURCE, summary.to_dict())
    return summary
