"""Source `observatoire`: the démarches observatory (DINUM), one spreadsheet per edition.

A file is one edition (`--edition YYYY-MM`, else the one its name names). A refresh lists the
data.gouv.fr dataset's resources: each edition not loaded, or whose checksum changed, is
downloaded, checked and loaded — in one run of the pipeline, oldest first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import RowSplit, ValidationOutcome, split_rows, validate
from flows.execution import SourceChecksum
from flows.live import LoadFailed, dataset_resources, download_resource, record_attempt
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, LoadRefused, Source, at_its_date, load_items, local_file
from flows.report import UNKNOWN_LABEL, LoadSummary, RunReport
from fsdata import datagouv
from fsdata.config import Settings, load_settings
from transforms.errors import SourceFormatError
from transforms.limits import InputLimits
from transforms.observatoire import (
    SUITE_PARAMETERS,
    Edition,
    ParsedEdition,
    describe_unknown_labels,
    edition_from_id,
    edition_from_name,
    edition_named,
    load_renames,
    parse_edition,
)
from warehouse import observatoire as store
from warehouse.db import connect

EDITION_FORMATS = ("xlsx", "xls", "ods", "csv")
# The rule an undecodable cell is quarantined under (it stays in core, with no value).
CELL_RULE = "value_decoded"
# An edition's parse depends on its file, on which edition it is and on the rename table.
EDITION_KEY = ("sha256", "edition", "renames_path")


@task(name="parse observatoire", cache_policy=SourceChecksum(inputs=(*EDITION_KEY, "limits")))
def parse(
    file: Path, sha256: str, edition: Edition, renames_path: Path | None, limits: InputLimits
) -> ParsedEdition:
    return parse_edition(file, edition, load_renames(renames_path), limits)


@task(
    name="validate observatoire",
    cache_policy=SourceChecksum(inputs=EDITION_KEY, packages=("transforms", "expectations")),
)
def validate_frames(
    parsed: ParsedEdition, sha256: str, edition: Edition, renames_path: Path | None
) -> list[ValidationOutcome]:
    per_demarche = parsed.demarches.drop("title_norm", "title_aliases")
    return [
        validate(per_demarche, "observatoire", SUITE_PARAMETERS),
        validate(parsed.indicators, "observatoire_values", SUITE_PARAMETERS),
    ]


def split(parsed: ParsedEdition, outcomes: list[ValidationOutcome]) -> RowSplit:
    """Démarches, then the cells of the démarches kept. An undecodable cell stays in core with
    no value (null_reason valeur_inconnue) and is quarantined as a cell, with its rule."""
    rows = split_rows(parsed.demarches, outcomes[0], drop=("title_norm", "title_aliases"))
    rejected = set(parsed.demarches["source_row"]) - set(rows.accepted["source_row"])
    cells = split_rows(parsed.indicators, outcomes[1])
    kept = cells.accepted.filter(~pl.col("source_row").is_in(list(rejected)))
    undecoded = kept.filter(pl.col("decode_issue").is_not_null()).drop("quality_flags")
    quarantined_cells = [q for q in cells.quarantined if q["source_row"] not in rejected]
    quarantined_cells += [{"source_row": c["source_row"], "rule": CELL_RULE, "record": c}
                          for c in undecoded.to_dicts()]  # fmt: skip
    warned = {p["source_row"] for p in quarantined_cells} - rejected
    return RowSplit(
        accepted=(rows.accepted, kept),
        quarantined=rows.quarantined + quarantined_cells,
        rows_quarantined=rows.rows_quarantined + len(quarantined_cells),
        rows_warned=rows.rows_warned + len(warned),
        warnings={**cells.warnings, **rows.warnings},
        rows_read=rows.rows_read,
        rows_loaded=rows.rows_loaded,
    )


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    demarches, cells = loaded.rows.accepted
    store.publish_edition(
        con,
        load_id=loaded.load_id,
        edition=loaded.item.parse_args["edition"],
        source_file=loaded.item.display_name,
        sha256=loaded.item.sha256,
        parsed=loaded.parsed,
        demarches=demarches,
        indicators=cells,
        quarantined=loaded.rows.quarantined,
    )


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    edition: Edition = loaded.item.parse_args["edition"]
    demarches, cells = loaded.rows.accepted
    n_values = cells.filter(
        pl.col("value_num").is_not_null() | pl.col("value_text").is_not_null()
    ).height
    n_demarches = loaded.rows.rows_read - demarches.height
    n_cells = loaded.rows.rows_quarantined - n_demarches
    parsed: ParsedEdition = loaded.parsed
    message = (
        f"published edition {edition.edition_id} ({edition.label}) from "
        f"{loaded.item.display_name}: {demarches.height} démarches, {n_values} indicator "
        f"values, {n_cells} quarantined cells, {n_demarches} quarantined démarches"
        + (f"; data of {parsed.data_period}" if parsed.data_period else "")
        + (f"; {describe_unknown_labels(parsed.unknown_labels)}" if parsed.unknown_labels else "")
    )
    return message, {
        "démarches": demarches.height,
        "indicator values": n_values,
        "quarantined cells": n_cells,
        "quarantined démarches": n_demarches,
        "unknown columns": len(parsed.unknown_columns),
        "unknown labels": len(parsed.unknown_labels),
        **{
            f"{UNKNOWN_LABEL}{label.column}: {label.label!r}": label.count
            for label in parsed.unknown_labels
        },
    }


SOURCE = Source(
    "observatoire", parse, validate_frames, write, summarize, in_force=at_its_date, split=split
)


@flow(name="observatoire", log_prints=True)
@holds_warehouse
def observatoire(
    home: str, config: str | None = None, file: str | None = None,
    edition: str | None = None, renames: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Load observatory editions: every edition not loaded yet from data.gouv.fr when `file` is
    None, else that local file as the edition `edition` (YYYY-MM; default: from the file name).
    `renames` is a rename table (from_title, to_title, administration, note) used instead of
    transforms/reference/demarche_renames.csv. Raises LoadRefused / LoadFailed when an edition
    was refused or could not be fetched (the other editions of a refresh are still loaded)."""
    settings = load_settings(home, config)
    renames_path = Path(renames) if renames else None
    report = RunReport(SOURCE.name)
    if file is None:
        items = _new_editions(settings, renames_path, report)
    else:
        path, sha256 = local_file(settings, SOURCE.name, file)
        items = [_item(path, sha256, _edition_of(settings, path, edition), renames_path)]
    return load_items(SOURCE, settings, items, report).to_dict()


def _item(file: Path, sha256: str, edition: Edition, renames: Path | None, **more: Any) -> Item:
    return Item(
        file,
        sha256,
        as_of=edition.edition_date,
        as_of_label=edition.edition_id,
        label=f"{edition.edition_id}_{sha256[:16]}",
        slot=f"the file of edition {edition.edition_id}",
        parse_args={"edition": edition, "renames_path": renames},
        replay={"file": file, "edition": edition.edition_id, "renames": renames},
        files=(file, renames) if renames else (file,),
        **{"options": {"edition": edition.edition_id}, **more},
    )


def _edition_of(settings: Settings, file: Path, edition_id: str | None) -> Edition:
    """The edition a local file is: `edition_id` when given (with the number and generation the
    file name tells, if it names the same edition), else the one its name names."""
    try:
        given = edition_from_id(edition_id) if edition_id else edition_from_name(file.name)
    except SourceFormatError as exc:
        message = f"{file.name}: refused: rule {exc.rule}: {exc.detail}"
        record_attempt(settings, SOURCE.name, "rejected", message, file_name=file.name)
        raise LoadRefused(message) from exc
    named = edition_named(file.name)
    return named if named is not None and named.edition_id == given.edition_id else given


def _new_editions(settings: Settings, renames: Path | None, report: RunReport) -> list[Item]:
    """The editions the dataset lists that are not loaded, or whose file changed, downloaded
    (a download that fails is reported and the others go on)."""
    editions: dict[str, tuple[Edition, datagouv.Resource]] = {}
    for resource in dataset_resources(settings, SOURCE.name):
        name = resource.title or resource.url
        if resource.format not in EDITION_FORMATS:
            report.skipped.append(f"{name}: format {resource.format or 'unknown'} is not a sheet")
            continue
        edition = edition_named(resource.title, resource.file_name)
        if edition is None:
            report.skipped.append(f"{name}: no edition month and year in its title or file name")
            continue
        current = editions.get(edition.edition_id)
        if current is None or (resource.last_modified or "") > (current[1].last_modified or ""):
            editions[edition.edition_id] = (edition, resource)
    with connect(settings.warehouse_path) as con:
        loaded = store.loaded_editions(con)
    items = []
    for edition, resource in sorted(editions.values(), key=lambda pair: pair[0].edition_date):
        if not store.resource_in_force(loaded.get(edition.edition_date), resource):
            try:
                items.append(_download(settings, edition, resource, renames))
            except LoadFailed as exc:
                report.summaries.append(
                    LoadSummary(SOURCE.name, "failed", as_of=edition.edition_id, message=str(exc))
                )
    if not items and not report.summaries:
        message = f"unchanged: all {len(editions)} listed editions are already loaded"
        report.summaries.append(LoadSummary(SOURCE.name, "unchanged", message=message))
    return items


def _download(
    settings: Settings, edition: Edition, resource: datagouv.Resource, renames: Path | None
) -> Item:
    fetched = download_resource(settings, SOURCE.name, resource, edition.edition_date)
    assert fetched.path is not None and fetched.sha256 is not None
    options = {
        "edition": edition.edition_id,
        "resource_id": resource.id,
        "resource_title": resource.title,
        "resource_checksum": resource.checksum,
        "resource_last_modified": resource.last_modified,
    }
    return _item(
        fetched.path, fetched.sha256, edition, renames,
        display_name=resource.file_name, fetched=fetched, options=options,
    )  # fmt: skip
