"""Flow `observatoire`: the démarches observatory, every edition, extract → parse → validate →
load → export.

With a file, that file is loaded as one edition (`--edition YYYY-MM`, else the edition named by
the file name). Without one (refresh), the data.gouv.fr dataset API lists the resources (one per
edition); each edition not loaded yet, or whose resource checksum changed since it was loaded,
is downloaded, checked against the API's checksum, archived and loaded. One edition is one
`edition_id`: the same file again is `unchanged`, another file for the same edition replaces it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from expectations.runner import ValidationOutcome, refusal, validate
from flows.common import (
    LoadFailed,
    LoadRefused,
    LoadSummary,
    current_flow_run_id,
    fetch_live,
    holds_warehouse,
    publish_validation_artifacts,
    reject,
    release,
    results_as_rows,
    save_outcome,
)
from flows.execution import FileTasks, SourceChecksum, file_tasks
from fsdata.config import Settings, load_settings, sample_path
from fsdata.fetch import FetchError, FetchResult
from transforms.errors import SourceFormatError
from transforms.observatoire import (
    SUITE_PARAMETERS,
    Edition,
    ParsedEdition,
    describe_unknown_labels,
    edition_from_id,
    edition_from_name,
    load_renames,
    parse_edition,
)
from warehouse import observatoire as store
from warehouse import partners as partners_store
from warehouse.archive import archive, sha256_of
from warehouse.db import begin_load, connect, finish_load, record_validation, transaction

SOURCE = "observatoire"
SUITE = "observatoire"
VALUES_SUITE = "observatoire_values"
# Spreadsheet formats an edition is published in; other resources (PDF notes…) are skipped.
EDITION_FORMATS = ("xlsx", "xls", "ods", "csv")
# The rule an undecodable cell is quarantined under (a warning of the values suite).
CELL_RULE = "value_decoded"
# A load's `changes` key per unknown label ("unknown label: Prise en compte Handicap: 'X'").
UNKNOWN_LABEL = "unknown label: "


# An edition's parse depends on its file, on which edition it is and on the rename table.
EDITION_KEY = ("sha256", "edition", "renames_path")


@task(name="parse observatoire", cache_policy=SourceChecksum(inputs=EDITION_KEY))
def parse(file: Path, sha256: str, edition: Edition, renames_path: Path | None) -> ParsedEdition:
    return parse_edition(file, edition, load_renames(renames_path))


@task(
    name="validate observatoire",
    cache_policy=SourceChecksum(inputs=EDITION_KEY, packages=("transforms", "expectations")),
)
def validate_frames(
    parsed: ParsedEdition, sha256: str, edition: Edition, renames_path: Path | None
) -> tuple[ValidationOutcome, ValidationOutcome]:
    per_demarche = parsed.demarches.drop("title_norm", "title_aliases")
    outcome = validate(per_demarche, SUITE, SUITE_PARAMETERS)
    values = validate(parsed.indicators, VALUES_SUITE, SUITE_PARAMETERS)
    return outcome, values


@dataclass
class PreparedEdition:
    """An edition's parse and validation, submitted to the task runner."""

    parsed: PrefectFuture[ParsedEdition]
    outcomes: PrefectFuture[tuple[ValidationOutcome, ValidationOutcome]]


def prepare(
    tasks: FileTasks, file: Path, sha256: str, edition: Edition, renames_path: Path | None
) -> PreparedEdition:
    key = {"sha256": sha256, "edition": edition, "renames_path": renames_path}
    parsed = tasks.submit(parse, file=file, **key)
    return PreparedEdition(parsed, tasks.submit(validate_frames, parsed=parsed, **key))


@task(name="load observatoire", cache_policy=NO_CACHE)
def load(
    settings: Settings,
    load_id: int,
    edition: Edition,
    file: Path,
    sha256: str,
    parsed: ParsedEdition,
    outcomes: tuple[ValidationOutcome, ValidationOutcome],
) -> LoadSummary:
    outcome, values_outcome = outcomes
    frame = parsed.demarches.with_row_index("position")
    cells = parsed.indicators.with_row_index("position")

    rejected = outcome.rows_by_rule("row_rejected")
    rejected_positions = {p for positions in rejected.values() for p in positions}
    quarantined = [
        {"source_row": row["source_row"], "rule": rule, "record": row}
        for rule, positions in rejected.items()
        for row in frame.filter(pl.col("position").is_in(positions))
        .drop("position", "title_norm", "title_aliases")
        .to_dicts()
    ]
    rejected_rows = set(
        frame.filter(pl.col("position").is_in(list(rejected_positions)))["source_row"]
    )
    accepted = frame.filter(~pl.col("position").is_in(list(rejected_positions))).drop("position")

    # Cells the values suite rejects go with their rule; undecodable cells stay in core with
    # no value (null_reason valeur_inconnue) and are quarantined as cells, with a warning.
    cell_rejected = values_outcome.rows_by_rule("row_rejected")
    cell_rejected_positions = {p for positions in cell_rejected.values() for p in positions}
    cell_rules: dict[int, str] = {p: r for r, ps in cell_rejected.items() for p in ps}
    for position in cells.filter(pl.col("decode_issue").is_not_null())["position"]:
        cell_rules.setdefault(position, CELL_RULE)
    quarantined_cells = [
        {"source_row": cell["source_row"], "rule": cell_rules[cell["position"]], "record": cell}
        for cell in cells.filter(pl.col("position").is_in(list(cell_rules))).to_dicts()
        if cell["source_row"] not in rejected_rows
    ]
    for item in quarantined_cells:
        item["record"].pop("position")
    accepted_cells = cells.filter(
        ~pl.col("position").is_in(list(cell_rejected_positions))
        & ~pl.col("source_row").is_in(list(rejected_rows))
    ).drop("position")

    warnings: dict[str, int] = {}
    warned_rows: set[int] = set()
    for result, source in [(r, frame) for r in outcome.failures("warning")] + [
        (r, cells) for r in values_outcome.failures("warning")
    ]:
        warnings[result.rule] = warnings.get(result.rule, 0) + max(result.unexpected_count, 1)
        if result.unexpected_rows:
            found = source.filter(pl.col("position").is_in(list(result.unexpected_rows)))
            warned_rows |= set(found["source_row"].to_list())

    raw_path = archive(file, settings.raw_dir, SOURCE, edition.edition_date, sha256)
    n_values = accepted_cells.filter(
        pl.col("value_num").is_not_null() | pl.col("value_text").is_not_null()
    ).height
    message = (
        f"published edition {edition.edition_id} ({edition.label}) from {file.name}: "
        f"{accepted.height} démarches, {n_values} indicator values, "
        f"{len(quarantined_cells)} quarantined cells, {len(quarantined)} quarantined démarches"
        + (f"; data of {parsed.data_period}" if parsed.data_period else "")
        + (f"; {describe_unknown_labels(parsed.unknown_labels)}" if parsed.unknown_labels else "")
    )
    with connect(settings.warehouse_path) as con, transaction(con):
        store.publish_edition(
            con,
            load_id=load_id,
            edition=edition,
            source_file=file.name,
            sha256=sha256,
            header_row=parsed.header_row,
            header_map=parsed.header_map,
            unknown_columns=parsed.unknown_columns,
            demarches=accepted,
            indicators=accepted_cells,
            quarantined=quarantined + quarantined_cells,
            data_period=parsed.data_period,
        )
        # The promise tracker reads the observatory: rebuilt with the edition, in one commit.
        partners_store.rebuild_marts(con)
        record_validation(con, load_id, SUITE, results_as_rows(outcome))
        record_validation(con, load_id, VALUES_SUITE, results_as_rows(values_outcome))
        finish_load(
            con,
            load_id,
            "published",
            message,
            rows_read=frame.height,
            rows_loaded=accepted.height,
            rows_quarantined=len(quarantined) + len(quarantined_cells),
            rows_warned=len(warned_rows - rejected_rows),
            raw_path=str(raw_path),
        )
    return LoadSummary(
        source=SOURCE,
        status="published",
        load_id=load_id,
        as_of=edition.edition_id,
        file=file.name,
        sha256=sha256,
        message=message,
        rows_read=frame.height,
        rows_loaded=accepted.height,
        rows_quarantined=len(quarantined) + len(quarantined_cells),
        rows_warned=len(warned_rows - rejected_rows),
        warnings=warnings,
        changes={
            "démarches": accepted.height,
            "indicator values": n_values,
            "quarantined cells": len(quarantined_cells),
            "quarantined démarches": len(quarantined),
            "unknown columns": len(parsed.unknown_columns),
            "unknown labels": len(parsed.unknown_labels),
            **{
                f"{UNKNOWN_LABEL}{label.column}: {label.label!r}": label.count
                for label in parsed.unknown_labels
            },
        },
    )


# Sample editions bundled for the demo, oldest first, and the rename table linking them.
DEMO_SAMPLES = (
    "observatoire-edition-octobre-2022.csv",
    "observatoire-2-edition-11-octobre-2025-.xlsx",
    "observatoire-2-edition-13-avril-2026-.ods",
)
DEMO_RENAMES = "demarche_renames.csv"


@dataclass
class RunReport:
    summaries: list[LoadSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = [s.status for s in self.summaries]
        for status in ("published", "rejected", "failed"):
            if status in statuses:
                return status
        return "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "status": self.status,
            "editions": [s.to_dict() for s in self.summaries],
            "skipped": self.skipped,
            "exports": self.exports,
        }

    def markdown(self) -> str:
        lines = [
            f"# {SOURCE}: {self.status}",
            "",
            "| edition | status | file | démarches | indicator values | quarantined cells "
            "| quarantined démarches | warnings |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for s in self.summaries:
            lines.append(
                f"| {s.as_of or '—'} | {s.status} | `{s.file or '—'}` "
                f"| {s.changes.get('démarches', 0)} | {s.changes.get('indicator values', 0)} "
                f"| {s.changes.get('quarantined cells', 0)} "
                f"| {s.changes.get('quarantined démarches', 0)} | {sum(s.warnings.values())} |"
            )
        lines += ["", *(f"- {s.as_of or '—'}: {s.message}" for s in self.summaries)]
        warnings: dict[str, int] = {}
        for s in self.summaries:
            for rule, count in s.warnings.items():
                warnings[rule] = warnings.get(rule, 0) + count
        unknown: dict[str, int] = {}
        for s in self.summaries:
            for key, count in s.changes.items():
                if key.startswith(UNKNOWN_LABEL):
                    label = key.removeprefix(UNKNOWN_LABEL)
                    unknown[label] = unknown.get(label, 0) + count
        if unknown:
            lines += ["", "Unknown labels (quarantined cells; describe them in "
                      "transforms/reference/observatoire_labels.csv):"]  # fmt: skip
            lines += [f"- {label} × {count}" for label, count in unknown.items()]
        if warnings:
            lines += ["", "| warning rule | count |", "|---|---:|"]
            lines += [f"| {rule} | {count} |" for rule, count in sorted(warnings.items())]
        if self.skipped:
            lines += ["", "Resources skipped:", *(f"- {item}" for item in self.skipped)]
        return "\n".join(lines)


@flow(name="observatoire", log_prints=True)
@holds_warehouse
def observatoire(
    home: str,
    config: str | None = None,
    file: str | None = None,
    edition: str | None = None,
    renames: str | None = None,
) -> dict[str, Any]:
    """Load observatory editions: every edition not loaded yet from data.gouv.fr when `file` is
    None, else that local file as the edition `edition` (YYYY-MM; default: from the file name).
    `renames` is a rename table (from_title, to_title, administration, note) used instead of
    transforms/reference/demarche_renames.csv. Raises LoadRefused / LoadFailed when an edition
    was refused or could not be fetched (the other editions of a refresh are still loaded)."""
    settings = load_settings(home, config)
    renames_path = Path(renames) if renames else None
    report = RunReport()
    problem: LoadRefused | LoadFailed | None = None
    try:
        if file is None:
            problem = _refresh(settings, renames_path, report)
        else:
            path = Path(file)
            the_edition = _edition_of(settings, path, edition)
            report.summaries.append(
                _process(settings, path, sha256_of(path), the_edition, renames_path)
            )
    except (LoadRefused, LoadFailed) as exc:
        status = "rejected" if isinstance(exc, LoadRefused) else "failed"
        report.summaries.append(
            LoadSummary(source=SOURCE, status=status, message=str(exc), file=file)
        )
        problem = exc
    if report.status == "published":
        published = [s for s in report.summaries if s.status == "published"]
        entry = {
            "source": SOURCE,
            "status": "published",
            "as_of": published[-1].as_of,
            "load_id": published[-1].load_id,
            "message": "; ".join(s.message for s in published),
        }
        report.exports = release(settings, SOURCE, entry)
    for summary in report.summaries:
        print(summary.message)
    create_markdown_artifact(
        key=f"{SOURCE}-load", markdown=report.markdown(), description=f"{SOURCE} run summary"
    )
    publish_validation_artifacts(settings, SOURCE, None)
    if problem is not None:
        raise problem
    return report.to_dict()


def run_demo(home: str, config: str | None = None) -> list[dict[str, Any]]:
    renames = str(sample_path(SOURCE, DEMO_RENAMES))
    return [
        observatoire(home=home, file=str(sample_path(SOURCE, name)), config=config, renames=renames)
        for name in DEMO_SAMPLES
    ]


def _edition_of(settings: Settings, file: Path, edition_id: str | None) -> Edition:
    """The edition a local file is: `edition_id` when given (with the number and generation the
    file name tells, if it names the same edition), else the one its name names."""
    named: Edition | None = None
    try:
        named = edition_from_name(file.name)
    except SourceFormatError as exc:
        if edition_id is None:
            raise _refused(settings, file, exc) from exc
    if edition_id is None:
        assert named is not None
        return named
    try:
        given = edition_from_id(edition_id)
    except SourceFormatError as exc:
        raise _refused(settings, file, exc) from exc
    if named is not None and named.edition_id == given.edition_id:
        return named
    return given


def _refused(settings: Settings, file: Path, exc: SourceFormatError) -> LoadRefused:
    """Record a file refused before its edition is known, and the error to raise."""
    message = f"{file.name}: refused: rule {exc.rule}: {exc.detail}"
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(con, SOURCE, file_name=file.name, flow_run_id=current_flow_run_id())
        finish_load(con, load_id, "rejected", message)
    return LoadRefused(message)


def _fail(settings: Settings, url: str, message: str, as_of: Any = None) -> LoadFailed:
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(con, SOURCE, as_of=as_of, url=url, flow_run_id=current_flow_run_id())
        finish_load(con, load_id, "failed", message)
    return LoadFailed(message)


@dataclass(frozen=True)
class Resource:
    """One edition resource of the dataset, as the data.gouv.fr API describes it."""

    edition: Edition
    id: str
    title: str
    url: str
    format: str
    checksum_type: str | None
    checksum: str | None
    last_modified: str | None

    @property
    def suffix(self) -> str:
        suffix = Path(unquote(urlsplit(self.url).path)).suffix.lower().lstrip(".")
        return f".{suffix if suffix in EDITION_FORMATS else self.format}"

    def options(self) -> dict[str, Any]:
        return {
            "edition": self.edition.edition_id,
            "resource_id": self.id,
            "resource_title": self.title,
            "resource_checksum": self.checksum,
            "resource_last_modified": self.last_modified,
        }


def edition_resources(document: dict[str, Any]) -> tuple[list[Resource], list[str]]:
    """The edition resources of a dataset document (one per edition: the latest modified when
    an edition is published twice) and a note for each resource skipped."""
    found: dict[str, Resource] = {}
    skipped: list[str] = []
    for item in document.get("resources") or []:
        title = str(item.get("title") or "")
        url = str(item.get("url") or "")
        file_name = Path(unquote(urlsplit(url).path)).name
        fmt = str(item.get("format") or Path(file_name).suffix.lstrip(".")).lower()
        if fmt not in EDITION_FORMATS:
            skipped.append(f"{title or url}: format {fmt or 'unknown'} is not an edition sheet")
            continue
        edition = None
        for name in (title, file_name):
            try:
                edition = edition_from_name(name)
                break
            except SourceFormatError:
                continue
        if edition is None:
            skipped.append(f"{title or url}: no edition month and year in its title or file name")
            continue
        checksum = item.get("checksum") or {}
        resource = Resource(
            edition=edition,
            id=str(item.get("id") or ""),
            title=title,
            url=url,
            format=fmt,
            checksum_type=(checksum.get("type") or None),
            checksum=(checksum.get("value") or None),
            last_modified=item.get("last_modified"),
        )
        current = found.get(edition.edition_id)
        if current is None or (resource.last_modified or "") > (current.last_modified or ""):
            found[edition.edition_id] = resource
    return sorted(found.values(), key=lambda r: r.edition.edition_date), skipped


def _checksum_matches(path: Path, kind: str | None, expected: str | None) -> bool:
    if not expected or not kind or kind.lower() not in ("sha1", "sha256", "md5"):
        return True
    digest = hashlib.new(kind.lower())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().lower() == expected.lower()


def _in_force(loaded: store.LoadedEdition | None, resource: Resource) -> bool:
    """Whether the edition's load in force already is this resource's file: same recorded
    checksum, or (an edition loaded from a local file) an archived file with the checksum the
    API announces. Without any checksum to compare, a loaded edition is kept."""
    if loaded is None:
        return False
    if not resource.checksum:
        return True
    recorded = loaded.options.get("resource_checksum")
    if recorded:
        return recorded == resource.checksum
    if loaded.raw_path is None or not loaded.raw_path.is_file():
        return True
    return _checksum_matches(loaded.raw_path, resource.checksum_type, resource.checksum)


def _refresh(
    settings: Settings, renames_path: Path | None, report: RunReport
) -> LoadRefused | LoadFailed | None:
    url = settings.source_url(SOURCE)
    try:
        listing = fetch_live(settings, SOURCE, url, conditional=False)
    except FetchError as exc:
        raise _fail(settings, url, f"{SOURCE}: dataset listing fetch failed: {exc}") from exc
    assert listing.path is not None
    try:
        document = json.loads(listing.path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(settings, url, f"{SOURCE}: the dataset listing is not JSON: {exc}") from exc
    finally:
        listing.path.unlink(missing_ok=True)
    resources, report.skipped = edition_resources(document)

    with connect(settings.warehouse_path) as con:
        loaded = store.loaded_editions(con)
    problems: list[LoadRefused | LoadFailed] = []

    def record_problem(resource: Resource, exc: LoadRefused | LoadFailed) -> None:
        status = "rejected" if isinstance(exc, LoadRefused) else "failed"
        report.summaries.append(
            LoadSummary(
                source=SOURCE,
                status=status,
                as_of=resource.edition.edition_id,
                file=resource.title,
                message=str(exc),
            )
        )
        problems.append(exc)

    # Downloaded one after the other; every new edition is then parsed and validated at once
    # on the task runner; then loaded one after the other, oldest first.
    downloads: dict[Resource, tuple[Path, FetchResult]] = {}
    try:
        for resource in resources:
            if _in_force(loaded.get(resource.edition.edition_date), resource):
                continue
            try:
                downloads[resource] = _download(settings, resource)
            except (LoadRefused, LoadFailed) as exc:
                record_problem(resource, exc)
        pending: dict[Resource, PendingEdition] = {}
        for resource, (file, fetched) in downloads.items():
            assert fetched.sha256 is not None
            begun = _begin(settings, file, fetched.sha256, resource.edition, fetched, resource)
            if isinstance(begun, LoadSummary):
                report.summaries.append(begun)
            else:
                pending[resource] = begun
        with file_tasks(settings) as tasks:
            prepared = {
                resource: prepare(tasks, p.file, p.sha256, p.edition, renames_path)
                for resource, p in pending.items()
            }
            for resource, p in pending.items():
                try:
                    report.summaries.append(_finish(settings, p, prepared[resource]))
                except (LoadRefused, LoadFailed) as exc:
                    record_problem(resource, exc)
    finally:
        for file, _ in downloads.values():
            file.unlink(missing_ok=True)
    if not report.summaries:
        report.summaries.append(
            LoadSummary(
                source=SOURCE,
                status="unchanged",
                message=f"unchanged: all {len(resources)} listed editions are already loaded",
            )
        )
    if not problems:
        return None
    kind = LoadRefused if all(isinstance(p, LoadRefused) for p in problems) else LoadFailed
    return kind("; ".join(str(p) for p in problems))


def _download(settings: Settings, resource: Resource) -> tuple[Path, FetchResult]:
    """The resource's file, named with its format's suffix, checked against the checksum the
    API announces. The caller deletes it."""
    as_of = resource.edition.edition_date
    try:
        fetched = fetch_live(settings, SOURCE, resource.url, conditional=False)
    except FetchError as exc:
        raise _fail(
            settings, resource.url, f"edition {resource.edition.edition_id}: {exc}", as_of
        ) from exc
    assert fetched.path is not None and fetched.sha256 is not None
    named = fetched.path.with_suffix(resource.suffix)
    fetched.path.rename(named)
    if not _checksum_matches(named, resource.checksum_type, resource.checksum):
        named.unlink(missing_ok=True)
        raise _fail(
            settings,
            resource.url,
            f"edition {resource.edition.edition_id}: the downloaded file's "
            f"{resource.checksum_type} does not match the checksum the API announces",
            as_of,
        )
    return named, fetched


@dataclass
class PendingEdition:
    """An edition whose load has begun (a `meta.loads` row) and that is not unchanged."""

    file: Path
    sha256: str
    edition: Edition
    load_id: int
    display_name: str


def _process(
    settings: Settings, file: Path, sha256: str, edition: Edition, renames_path: Path | None
) -> LoadSummary:
    """Load one local file as `edition`."""
    begun = _begin(settings, file, sha256, edition)
    if isinstance(begun, LoadSummary):
        return begun
    with file_tasks(settings) as tasks:
        prepared = prepare(tasks, file, sha256, edition, renames_path)
        return _finish(settings, begun, prepared)


def _begin(
    settings: Settings,
    file: Path,
    sha256: str,
    edition: Edition,
    fetched: FetchResult | None = None,
    resource: Resource | None = None,
) -> PendingEdition | LoadSummary:
    """Record the load attempt; the `unchanged` summary when the edition already is this file."""
    display_name = Path(unquote(urlsplit(resource.url).path)).name if resource else file.name
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            SOURCE,
            as_of=edition.edition_date,
            file_name=display_name,
            sha256=sha256,
            size_bytes=file.stat().st_size,
            url=fetched.url if fetched else None,
            options=resource.options() if resource else {"edition": edition.edition_id},
            flow_run_id=current_flow_run_id(),
        )
        in_force = store.edition_in_force(con, edition.edition_date)
        if in_force is not None and in_force[1] == sha256:
            message = (
                f"unchanged: {display_name} is already the file of edition {edition.edition_id}"
            )
            finish_load(con, load_id, "unchanged", message)
            return LoadSummary(
                source=SOURCE,
                status="unchanged",
                load_id=load_id,
                as_of=edition.edition_id,
                file=display_name,
                sha256=sha256,
                message=message,
            )
    return PendingEdition(file, sha256, edition, load_id, display_name)


def _finish(settings: Settings, pending: PendingEdition, prepared: PreparedEdition) -> LoadSummary:
    """Refuse or load a begun edition once its parse and validation are done."""
    result_dir = settings.validation_dir / SOURCE
    label = f"{pending.edition.edition_id}_{pending.sha256[:16]}"
    try:
        parsed = prepared.parsed.result()
    except SourceFormatError as exc:
        outcome = refusal(SUITE, exc.rule, exc.detail)
        save_outcome(outcome, result_dir / f"load-{pending.load_id}.json")
        message = f"{pending.display_name}: refused: rule {exc.rule}: {exc.detail}"
        reject(settings, SOURCE, pending.load_id, pending.file, label, [outcome], message)
        raise LoadRefused(message) from exc
    outcomes = prepared.outcomes.result()
    save_outcome(outcomes[0], result_dir / f"load-{pending.load_id}.json")
    save_outcome(outcomes[1], result_dir / f"load-{pending.load_id}-values.json")
    blocking = [r for o in outcomes for r in o.failures("blocking")]
    if blocking:
        reasons = "; ".join(r.message() for r in blocking)
        message = f"{pending.display_name}: refused: {reasons}"
        rows_read = parsed.demarches.height
        reject(
            settings,
            SOURCE,
            pending.load_id,
            pending.file,
            label,
            list(outcomes),
            message,
            rows_read,
        )
        raise LoadRefused(message)
    summary = load(
        settings, pending.load_id, pending.edition, pending.file, pending.sha256, parsed, outcomes
    )
    summary.file = pending.display_name
    return summary
