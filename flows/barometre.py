"""Source `barometre`: the Baromètre des résultats de l'action publique (Etalab / DINUM), the
State's own monthly series of France services labellisations, national, by région and by
département, with its target. One load is a set of the baromètre's files (national detail,
synthèse, regional and departmental France services rows), read as one bundle."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from flows.execution import SourceChecksum, validation_task
from flows.live import LoadFailed, dataset_resources, fetch_live, record_attempt
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, as_latest, bundle_checksum, load_items
from fsdata.config import Settings, load_settings
from transforms.barometre import read_barometre
from transforms.limits import InputLimits
from warehouse import barometre as store


@task(name="parse barometre", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(file: Path, files: list[Path], sha256: str, limits: InputLimits) -> pl.DataFrame:
    return read_barometre(files, limits=limits)


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> store.SeriesChanges:
    return store.publish_series(
        con,
        load_id=loaded.load_id,
        frame=loaded.rows.accepted,
        quarantined=loaded.rows.quarantined,
    )


def summarize(
    con: duckdb.DuckDBPyConnection, loaded: Loaded, changes: store.SeriesChanges
) -> tuple[str, dict[str, int]]:
    agreed = con.execute(
        "select count(*) filter (where flag = 'agrees'), count(*) from marts.network_reconciliation"
    ).fetchall()[0]
    levels = ", ".join(f"{n} {level}" for level, n in changes.rows_by_level.items())
    message = (
        f"published the baromètre series up to {changes.latest_date} ({levels} rows, "
        f"{changes.targets} target(s)); reconciliation: {agreed[0]} of {agreed[1]} official "
        "counts agree with the espace history"
    )
    return message, {
        **changes.rows_by_level,
        "targets": changes.targets,
        "replaced": changes.replaced,
        "reconciled": int(agreed[1]),
    }


SOURCE = Source(
    "barometre", parse, validation_task("barometre"), write, summarize, in_force=as_latest,
)  # fmt: skip


@flow(name="barometre", log_prints=True)
@holds_warehouse
def barometre(
    home: str, config: str | None = None, file: str | list[str] | None = None
) -> dict[str, Any]:
    """Load baromètre files: the dataset's files from data.gouv.fr when `file` is None, else
    the local file(s). Raises LoadRefused / LoadFailed when nothing was published."""
    settings = load_settings(home, config)
    if file is None:
        files, fetched = _download(settings)
    else:
        files, fetched = [Path(f) for f in ([file] if isinstance(file, str) else file)], []
    digest = bundle_checksum(settings, SOURCE.name, {p.name: p for p in sorted(files)})
    item = Item(
        files[0],
        digest,
        as_of=date.today(),
        slot="the series in force",
        display_name=", ".join(p.name for p in files),
        options={"files": [p.name for p in files]},
        parse_args={"files": files},
        replay={"file": files},
        files=tuple(files),
    )
    try:
        return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
    finally:
        for path in fetched:
            path.unlink(missing_ok=True)


def _download(settings: Settings) -> tuple[list[Path], list[Path]]:
    """The dataset's CSV files of the baromètre's France services rows, downloaded."""
    wanted = [
        r for r in dataset_resources(settings, SOURCE.name)
        if r.format == "csv" and r.file_name.startswith("barometre-resultats-")
    ]  # fmt: skip
    files = []
    for resource in wanted:
        fetched = fetch_live(settings, SOURCE.name, resource.url, conditional=False)
        assert fetched is not None and fetched.path is not None
        named = fetched.path.with_name(resource.file_name)
        fetched.path.rename(named)
        files.append(named)
    if not files:
        message = f"{SOURCE.name}: the dataset lists no baromètre CSV file"
        record_attempt(settings, SOURCE.name, "failed", message)
        raise LoadFailed(message)
    return files, files
