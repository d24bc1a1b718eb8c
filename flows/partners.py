"""Flow `partners`: the partner catalogue (reference data), parse → validate → load → export.

No machine-readable source exists (SOURCES.md §3): the catalogue is kept in the repository
(`fsdata/reference/`), or a user points the flow at their own partners (and services) file.
The administration→partner mapping and the cited official figures always come from the
repository's reference folder.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from expectations.runner import RuleResult, ValidationOutcome, validate
from flows.common import (
    LoadRefused,
    LoadSummary,
    current_flow_run_id,
    holds_warehouse,
    publish_artifact,
    refuse_if_blocking,
    refuse_unparsed,
    release,
    results_as_rows,
    save_outcome,
)
from flows.execution import SourceChecksum, file_tasks
from fsdata.config import Settings, load_settings
from transforms.errors import SourceFormatError
from transforms.partners import (
    PartnerCatalogue,
    default_reference_dir,
    read_administration_partners,
    read_partner_catalogue,
)
from warehouse import partners as store
from warehouse.archive import archive, sha256_of
from warehouse.db import begin_load, connect, finish_load, record_validation, transaction

SOURCE = "partners"
SUITES = ("partners", "partner_services")


def _inputs(file: str | None, services: str | None) -> dict[str, Path | None]:
    reference = default_reference_dir()
    if file is None:
        partners_path = reference / "partners.csv"
        services_path = Path(services) if services else reference / "partner_services.csv"
    else:
        # A user's catalogue is theirs entirely: no services file means no services.
        partners_path = Path(file)
        services_path = Path(services) if services else None
    return {
        "partners": partners_path,
        "services": services_path,
        "administration_partners": reference / "administration_partners.csv",
        "official_figures": reference / "official_figures.csv",
    }


def _checksum(inputs: dict[str, Path | None]) -> str:
    """One checksum for the catalogue: the same four files give the same load."""
    digest = hashlib.sha256()
    for name, path in inputs.items():
        digest.update(f"{name}:{sha256_of(path) if path else '-'}\n".encode())
    return digest.hexdigest()


# The official figures are read by the warehouse package: its code counts too.
@task(name="parse partners", cache_policy=SourceChecksum(packages=("transforms", "warehouse")))
def parse(inputs: dict[str, Path | None], sha256: str) -> dict[str, pl.DataFrame]:
    partners_path = inputs["partners"]
    assert partners_path is not None
    catalogue = read_partner_catalogue(partners_path, inputs["services"])
    mapping_path = inputs["administration_partners"]
    figures_path = inputs["official_figures"]
    assert mapping_path is not None and figures_path is not None
    return {
        "partners": catalogue.partners,
        "services": catalogue.services,
        "aliases": catalogue.aliases,
        "mapping": read_administration_partners(mapping_path),
        "figures": store.read_official_figures(figures_path),
    }


def _services_reference_check(frames: dict[str, pl.DataFrame]) -> RuleResult:
    """Each service names a partner of the same catalogue (the suites see one file each)."""
    codes = set(frames["partners"]["partner_code"].drop_nulls().to_list())
    services = frames["services"].with_row_index("position")
    unknown = services.filter(~pl.col("partner_code").is_in(list(codes)))
    return RuleResult(
        rule="service_partner_known",
        rule_class="blocking",
        expectation="service_partner_in_catalogue",
        column="partner_code",
        success=unknown.height == 0,
        unexpected_count=unknown.height,
        unexpected_rows=tuple(int(p) for p in unknown["position"]),
        detail=(
            f"services of unknown partners: {', '.join(sorted(set(unknown['partner_code'])))}"
            if unknown.height
            else ""
        ),
    )


@task(
    name="validate partners",
    cache_policy=SourceChecksum(packages=("transforms", "warehouse", "expectations")),
)
def validate_frames(frames: dict[str, pl.DataFrame], sha256: str) -> dict[str, ValidationOutcome]:
    """The outcome of each suite, by suite name."""
    return {
        suite: validate(frames[frame_name], suite)
        for suite, frame_name in zip(SUITES, ("partners", "services"), strict=True)
    }


def _combined(
    outcomes: dict[str, ValidationOutcome], frames: dict[str, pl.DataFrame]
) -> ValidationOutcome:
    """The catalogue's outcome: both suites' rules and the cross-file reference check."""
    results = [r for outcome in outcomes.values() for r in outcome.results]
    results.append(_services_reference_check(frames))
    documents = {suite: outcome.document for suite, outcome in outcomes.items()}
    return ValidationOutcome(suite=SOURCE, results=results, document=documents)


@task(name="load partners", cache_policy=NO_CACHE)
def load(
    settings: Settings,
    load_id: int,
    inputs: dict[str, Path | None],
    sha256: str,
    frames: dict[str, pl.DataFrame],
    outcome: ValidationOutcome,
) -> LoadSummary:
    catalogue = PartnerCatalogue(
        partners=frames["partners"], services=frames["services"], aliases=frames["aliases"]
    )
    mapping = frames["mapping"]
    figures = frames["figures"]
    today = date.today()
    raw_paths = [
        archive(path, settings.raw_dir, SOURCE, today, sha256_of(path))
        for path in inputs.values()
        if path is not None
    ]
    warned = outcome.rows_by_rule("warning")
    with connect(settings.warehouse_path) as con, transaction(con):
        store.publish_catalogue(
            con, load_id=load_id, catalogue=catalogue, mapping=mapping, figures=figures
        )
        coverage_rows = con.execute(
            "select count(*) from marts.demarche_partner_coverage"
        ).fetchall()[0][0]
        message = (
            f"published {catalogue.partners.height} partners, {catalogue.services.height} "
            f"services, {catalogue.aliases.height} names, {mapping.height} administration "
            f"names, {figures.height} official figures; promise tracker: {coverage_rows} "
            "edition(s)" + ("" if inputs["services"] else " (no services file given: no services)")
        )
        record_validation(con, load_id, SOURCE, results_as_rows(outcome))
        finish_load(
            con,
            load_id,
            "published",
            message,
            rows_read=catalogue.partners.height,
            rows_loaded=catalogue.partners.height,
            rows_quarantined=0,
            rows_warned=len({p for rows in warned.values() for p in rows}),
            raw_path=str(raw_paths[0]),
        )
    return LoadSummary(
        source=SOURCE,
        status="published",
        load_id=load_id,
        as_of=today.isoformat(),
        file=inputs["partners"].name if inputs["partners"] else None,
        sha256=sha256,
        message=message,
        rows_read=catalogue.partners.height,
        rows_loaded=catalogue.partners.height,
        warnings={rule: len(rows) for rule, rows in warned.items()},
        changes={
            "partners": catalogue.partners.height,
            "services": catalogue.services.height,
            "names": catalogue.aliases.height,
            "official figures": figures.height,
        },
    )


@flow(name="partners", log_prints=True)
@holds_warehouse
def partners(
    home: str, config: str | None = None, file: str | None = None, services: str | None = None
) -> dict[str, Any]:
    """Load the partner catalogue: the repository's when `file` is None, else the user's
    partners file (and `services` file). Raises LoadRefused when nothing was published."""
    settings = load_settings(home, config)
    inputs = _inputs(file, services)
    try:
        summary = _process(settings, inputs)
    except LoadRefused as exc:
        refused = LoadSummary(source=SOURCE, status="rejected", message=str(exc), file=file)
        publish_artifact(refused, settings)
        raise
    print(summary.message)
    publish_artifact(summary, settings)
    return summary.to_dict()


def run_demo(home: str, config: str | None = None) -> list[dict[str, Any]]:
    return [partners(home=home, config=config)]


def _process(settings: Settings, inputs: dict[str, Path | None]) -> LoadSummary:
    for path in inputs.values():
        if path is not None and not path.is_file():
            raise LoadRefused(f"{path}: no such file")
    sha256 = _checksum(inputs)
    summary: LoadSummary | None = None
    partners_path = inputs["partners"]
    assert partners_path is not None
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            SOURCE,
            as_of=date.today(),
            file_name=partners_path.name,
            sha256=sha256,
            size_bytes=partners_path.stat().st_size,
            options={k: str(v) if v else None for k, v in inputs.items()},
            flow_run_id=current_flow_run_id(),
        )
        if store.published_sha256(con) == sha256:
            message = "unchanged: this catalogue is already the one in force"
            with transaction(con):
                # The observatory may have been loaded since: the promise tracker follows it.
                store.rebuild_marts(con)
                finish_load(con, load_id, "unchanged", message)
            summary = LoadSummary(
                source=SOURCE,
                status="unchanged",
                load_id=load_id,
                file=partners_path.name,
                sha256=sha256,
                message=message,
            )
    if summary is not None:
        summary.exports = release(settings, SOURCE, summary.to_dict())
        return summary

    result_dir = settings.validation_dir / SOURCE
    with file_tasks(settings) as tasks:
        try:
            frames = tasks.run(parse, inputs=inputs, sha256=sha256)
        except SourceFormatError as exc:
            result_path = result_dir / f"load-{load_id}.json"
            raise refuse_unparsed(
                settings, SOURCE, SOURCE, load_id, partners_path, sha256[:16], result_path, exc
            ) from exc
        outcomes = tasks.run(validate_frames, frames=frames, sha256=sha256)
    for suite, suite_outcome in outcomes.items():
        save_outcome(suite_outcome, result_dir / f"load-{load_id}-{suite}.json")
    outcome = _combined(outcomes, frames)
    refuse_if_blocking(settings, SOURCE, load_id, partners_path, sha256[:16], outcome)
    summary = load(settings, load_id, inputs, sha256, frames, outcome)
    summary.exports = release(settings, SOURCE, summary.to_dict())
    return summary
