"""The one flow body every source runs.

    begin load → unchanged? → parse → refuse → validate → split rows →
    publish (one transaction: the source's rows, the models the graph says follow them, the
    load's record) → release → downstream flows

A source is a declaration (`Source`): its name, its parse and validate tasks, how its accepted
rows are written, what its change summary says. What follows a load — which models are
rebuilt, which release datasets are re-exported, which derived flow (coverage) runs — comes
from the model graph (`sql/graph.toml`), from the models it says the source writes.

A run loads one or several `Item`s (an observatory refresh finds several editions): each is
begun in order, every pending item is parsed and validated at once on the task runner, then
each is published in order; the release and the downstream flows run once, at the end.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture
from prefect.tasks import Task

from expectations.runner import RowSplit, RuleResult, ValidationOutcome, refusal, split_rows
from flows.execution import FileTasks, file_tasks
from flows.live import LoadFailed, record_attempt, remember_http_state
from flows.report import LoadSummary, RunReport, current_flow_run_id, publish_artifacts
from fsdata.config import Settings
from fsdata.fetch import FetchResult
from fsdata.guards import input_file_problem
from transforms.errors import SourceFormatError
from warehouse import graph
from warehouse import release as release_store
from warehouse.archive import archive, log_load, sha256_of
from warehouse.db import (
    begin_load,
    connect,
    fetch_first,
    finish_load,
    published_sha256,
    record_validation,
    refresh_downstream,
    snapshot_sha256,
    transaction,
)


class LoadRefused(RuntimeError):
    """The input was refused: nothing was published. The message names the file and rule."""


@dataclass
class Item:
    """One input of a load: a file (or the first file of a bundle) and what it is."""

    file: Path
    sha256: str
    as_of: date | None = None  # the date its data is of: snapshot, vintage, edition, run day
    label: str = ""  # what its archived or refused copy is named after (default: checksum)
    display_name: str = ""
    as_of_label: str = ""  # how its summary names the date (an edition "2025-10", a vintage)
    slot: str = "the data in force"  # what it is when unchanged: "the listing in force"…
    options: dict[str, Any] = field(default_factory=dict)  # recorded in meta.loads
    fetched: FetchResult | None = None
    parse_args: dict[str, Any] = field(default_factory=dict)  # beyond file and sha256
    # The flow's arguments that load it again (its files become their archived copies): the
    # raw archive's log, from which `fsdata rebuild` recreates a warehouse.
    replay: dict[str, Any] = field(default_factory=dict)
    files: tuple[Path, ...] = ()  # every file of a bundle (default: `file`)

    def __post_init__(self) -> None:
        self.label = self.label or self.sha256[:16]
        self.display_name = self.display_name or self.file.name
        self.files = self.files or (self.file,)


@dataclass
class Loaded:
    """A validated item being published: what the source's write and summary work from."""

    load_id: int
    item: Item
    parsed: Any
    outcomes: list[ValidationOutcome]
    rows: RowSplit
    task_args: dict[str, Any]


def split_first(parsed: Any, outcomes: list[ValidationOutcome]) -> RowSplit:
    return split_rows(parsed, outcomes[0])


@dataclass(frozen=True)
class Source:
    name: str
    parse: Task[..., Any]  # (file, sha256, limits, **item.parse_args, **task_args) → parsed
    validate: Task[..., list[ValidationOutcome]]  # (parsed, sha256, **task_args) → outcomes
    write: Callable[[duckdb.DuckDBPyConnection, Loaded], Any]
    summarize: Callable[[duckdb.DuckDBPyConnection, Loaded, Any], tuple[str, dict[str, int]]]
    # Whether the item already is the data in force (then `unchanged`, never parsed).
    in_force: Callable[[duckdb.DuckDBPyConnection, str, Item], bool] = lambda con, source, item: (
        False
    )
    suite: str = ""  # the suite a file refused before validation is recorded under (the name)
    # Inputs of the parse and validate tasks read from the warehouse (also in their cache key),
    # each passed to the tasks that take it.
    task_args: Callable[[duckdb.DuckDBPyConnection, Settings, Item], dict[str, Any]] = (
        lambda con, settings, item: {}
    )
    # A reason to refuse any file before parsing (e.g. footfall before any espace listing).
    precondition: Callable[[duckdb.DuckDBPyConnection], tuple[str, str] | None] = lambda con: None
    # Rules evaluated against the warehouse on the parsed frame (expectations/warehouse_rules).
    warehouse_rules: tuple[Callable[[duckdb.DuckDBPyConnection, Any], RuleResult], ...] = ()
    split: Callable[[Any, list[ValidationOutcome]], RowSplit] = split_first
    refusal_hint: Callable[[Loaded], str] = lambda loaded: ""
    # The first date the load changed: `from_date` models are refreshed from it on.
    changed_from: Callable[[Loaded], date | None] = lambda loaded: loaded.item.as_of
    # Whether the write reads the accepted rows only and the summary neither frame: the parsed
    # frame is then released once split, the accepted rows once written, instead of at the end
    # of the run (a ten-million-row feed's frames hold gigabytes through the models' refresh).
    releases_frames: bool = False

    def __post_init__(self) -> None:
        if not self.suite:
            object.__setattr__(self, "suite", self.name)


def at_its_date(con: duckdb.DuckDBPyConnection, source: str, item: Item) -> bool:
    """In force: the file of the snapshot of the item's date (a listing, a vintage…)."""
    return snapshot_sha256(con, source, item.as_of) == item.sha256


def as_latest(con: duckdb.DuckDBPyConnection, source: str, item: Item) -> bool:
    """In force: the input of the source's latest publication (replaced as a whole)."""
    return published_sha256(con, source) == item.sha256


# --- one load ----------------------------------------------------------------------------------


@dataclass
class Pending:
    item: Item
    load_id: int
    task_args: dict[str, Any]
    parsed: PrefectFuture[Any] | None = None
    outcomes: PrefectFuture[list[ValidationOutcome]] | None = None


def _begin(source: Source, settings: Settings, item: Item) -> Pending | LoadSummary:
    """Record the attempt; `unchanged` when the item is the data in force; refuse it when the
    source's precondition fails."""
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(
            con,
            source.name,
            as_of=item.as_of,
            file_name=item.display_name,
            sha256=item.sha256,
            size_bytes=item.file.stat().st_size,
            url=item.fetched.url if item.fetched else None,
            options=item.options,
            flow_run_id=current_flow_run_id(),
        )
        if source.in_force(con, source.name, item):
            message = f"unchanged: {item.display_name} is already {item.slot}"
            finish_load(con, load_id, "unchanged", message)
            remember_http_state(con, source.name, item.fetched, item.sha256)
            return _summary(source, item, "unchanged", message, load_id)
        problem = source.precondition(con)
        task_args = source.task_args(con, settings, item) if problem is None else {}
    if problem is not None:
        rule, detail = problem
        _refuse(source, settings, load_id, item, [refusal(source.suite, rule, detail)])
    return Pending(item, load_id, task_args)


def _submit(source: Source, settings: Settings, tasks: FileTasks, pending: Pending) -> None:
    item = pending.item
    given = {"file": item.file, "sha256": item.sha256, "limits": settings.input_limits}
    given |= item.parse_args | pending.task_args
    pending.parsed = tasks.submit(source.parse, **_taken_by(source.parse, given))
    given["parsed"] = pending.parsed
    pending.outcomes = tasks.submit(source.validate, **_taken_by(source.validate, given))


def _taken_by(task: Task[..., Any], given: dict[str, Any]) -> dict[str, Any]:
    accepted = inspect.signature(task.fn).parameters
    return {name: value for name, value in given.items() if name in accepted}


def _finish(source: Source, settings: Settings, pending: Pending) -> LoadSummary:
    """Refuse or publish a begun item once its parse and validation are done."""
    assert pending.parsed is not None and pending.outcomes is not None
    item, load_id = pending.item, pending.load_id
    try:
        parsed = pending.parsed.result()
    except SourceFormatError as exc:
        _refuse(source, settings, load_id, item, [refusal(source.suite, exc.rule, exc.detail)])
    outcomes = pending.outcomes.result()
    # The futures' final states hold the parsed frame: only `parsed` and `loaded` keep it now.
    pending.parsed = pending.outcomes = None
    if source.warehouse_rules:
        with connect(settings.warehouse_path) as con:
            extra = [rule(con, parsed) for rule in source.warehouse_rules]
        outcomes = [outcomes[0].with_results(extra), *outcomes[1:]]
    rows = source.split(parsed, outcomes)
    loaded = Loaded(load_id, item, parsed, outcomes, rows, pending.task_args)
    if any(o.blocking_failed for o in outcomes):
        _refuse(source, settings, load_id, item, outcomes, rows.rows_read, loaded)
    _save_outcomes(settings, source, load_id, outcomes)
    changed_from = source.changed_from(loaded)
    if source.releases_frames:
        del parsed
        loaded.parsed = None
        _collect_released()
    with connect(settings.warehouse_path) as con, transaction(con):
        written = source.write(con, loaded)
        if source.releases_frames:
            rows = loaded.rows = replace(loaded.rows, accepted=None)
            _collect_released()
        # A source's write may find the rows are the figures already in force.
        status = "unchanged" if written == "unchanged" else "published"
        archived: dict[Path, Path] = {}
        if status == "published":
            archived = _archive(settings, source, item)
            refresh_downstream(con, graph.source_models(source.name), changed_from)
        message, changes = source.summarize(con, loaded, written)
        for outcome in outcomes:
            record_validation(con, load_id, outcome.suite, outcome.as_rows())
        finish_load(
            con,
            load_id,
            status,
            message,
            rows_read=rows.rows_read,
            rows_loaded=rows.rows_loaded if status == "published" else 0,
            rows_quarantined=rows.rows_quarantined,
            rows_warned=rows.rows_warned,
            raw_path=str(archived[item.file]) if archived else None,
        )
        remember_http_state(con, source.name, item.fetched, item.sha256)
    if archived and item.replay:
        log_load(settings.raw_dir, source.name, item.replay, archived)
    summary = _summary(source, item, status, message, load_id)
    summary.rows_read, summary.rows_quarantined = rows.rows_read, rows.rows_quarantined
    if status == "published":
        summary.rows_loaded, summary.rows_warned = rows.rows_loaded, rows.rows_warned
        summary.warnings, summary.changes = rows.warnings, changes
    return summary


def _collect_released() -> None:
    """Free a released frame now: Prefect's task states and futures hold it in reference
    cycles, which Python collects only after enough new objects (a 10 M-row feed's parsed
    frame, ~0.9 GiB, stayed through the marts' refresh)."""
    gc.collect()


def _archive(settings: Settings, source: Source, item: Item) -> dict[Path, Path]:
    """Every file of the item in the raw archive: each file's archived copy."""
    day = item.as_of or date.today()
    return {
        path: archive(path, settings.raw_dir, source.name, day,
                      item.sha256 if path == item.file else sha256_of(path))
        for path in item.files
    }  # fmt: skip


def _summary(
    source: Source, item: Item, status: str, message: str, load_id: int | None
) -> LoadSummary:
    return LoadSummary(
        source=source.name,
        status=status,
        load_id=load_id,
        as_of=item.as_of_label or (item.as_of.isoformat() if item.as_of else None),
        file=item.display_name,
        sha256=item.sha256,
        message=message,
    )


def _save_outcomes(
    settings: Settings, source: Source, load_id: int, outcomes: list[ValidationOutcome]
) -> None:
    """Each outcome as validation/<source>/load-<id>[-<suite>].json (the Data Docs' input)."""
    folder = settings.validation_dir / source.name
    folder.mkdir(parents=True, exist_ok=True)
    for outcome in outcomes:
        suffix = "" if len(outcomes) == 1 else f"-{outcome.suite}"
        name = f"load-{load_id}{suffix}.json"
        text = json.dumps(outcome.document, indent=1, default=str)
        (folder / name).write_text(text, encoding="utf-8")


def _refuse(
    source: Source,
    settings: Settings,
    load_id: int,
    item: Item,
    outcomes: list[ValidationOutcome],
    rows_read: int | None = None,
    loaded: Loaded | None = None,
) -> Any:
    """Record a refused item — kept under <home>/rejected/<source>/ for inspection, its rule
    results, the load's status — and raise LoadRefused naming the file and the rules."""
    reasons = "; ".join(r.message() for o in outcomes for r in o.failures("blocking"))
    hint = source.refusal_hint(loaded) if loaded is not None else ""
    message = f"{item.display_name}: refused: {reasons}{hint}"
    _save_outcomes(settings, source, load_id, outcomes)
    kept = settings.home / "rejected" / source.name / f"{item.label}{item.file.suffix}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copyfile(item.file, kept)
    with connect(settings.warehouse_path) as con, transaction(con):
        for outcome in outcomes:
            record_validation(con, load_id, outcome.suite, outcome.as_rows())
        finish_load(con, load_id, "rejected", message, rows_read=rows_read, raw_path=str(kept))
    raise LoadRefused(message)


def local_file(settings: Settings, source: str, file: str | Path) -> tuple[Path, str]:
    """A local input and its SHA-256; LoadRefused, recorded, when it is not a regular file (a
    link's target, which could be any file of the machine, is never read nor copied into
    rejected/) or cannot be read."""
    path = Path(file)
    problem = input_file_problem(path)
    if problem is not None:
        record_attempt(settings, source, "rejected", problem, file_name=path.name)
        raise LoadRefused(problem)
    return path, sha256_of(path)


def bundle_checksum(settings: Settings, source: str, files: dict[str, Path | None]) -> str:
    """One checksum for a bundle of local files loaded as one item (`name: path`, None for a
    file not given): the same files under the same names give the same checksum."""
    digest = hashlib.sha256()
    for name, path in files.items():
        sha256 = local_file(settings, source, path)[1] if path is not None else "-"
        digest.update(f"{name}:{sha256}\n".encode())
    return digest.hexdigest()


# --- a run -------------------------------------------------------------------------------------


def load_items(
    source: Source, settings: Settings, items: list[Item], report: RunReport | None = None
) -> RunReport:
    """Load `items` in order (parsed and validated at once), then release and run what follows.
    Raises LoadRefused / LoadFailed at the end when an item was refused or failed; the others
    are published all the same."""
    report = report or RunReport(source.name)
    try:
        _load_each(source, settings, items, report)
    finally:
        for item in items:
            if item.fetched is not None:  # a download: the archive keeps its accepted copy
                item.file.unlink(missing_ok=True)
    finish_run(source.name, settings, report)
    problems = [s for s in report.summaries if s.status in ("rejected", "failed")]
    if problems:
        refused = all(s.status == "rejected" for s in problems)
        raise (LoadRefused if refused else LoadFailed)("; ".join(s.message for s in problems))
    return report


def _load_each(source: Source, settings: Settings, items: list[Item], report: RunReport) -> None:
    pending: list[Pending] = []
    for item in items:
        try:
            begun = _begin(source, settings, item)
        except LoadRefused as exc:
            report.summaries.append(_summary(source, item, "rejected", str(exc), None))
            continue
        if isinstance(begun, LoadSummary):
            report.summaries.append(begun)
        else:
            pending.append(begun)
    if pending:
        with file_tasks(settings) as tasks:
            for p in pending:
                _submit(source, settings, tasks, p)
            for p in pending:
                try:
                    report.summaries.append(_finish(source, settings, p))
                except LoadRefused as exc:
                    summary = _summary(source, p.item, "rejected", str(exc), p.load_id)
                    report.summaries.append(summary)


def finish_run(source: str, settings: Settings, report: RunReport) -> None:
    """The release (re-exporting what the published loads changed; checking the rest), the
    run's artifacts, then the derived flows whose inputs changed (or whose last run failed)."""
    entry = report.release_entry()
    plan = graph.refresh_plan(graph.source_models(source))
    derived = sorted({m.runs_in for m in plan if m.runs_in not in (None, source)})
    with connect(settings.warehouse_path) as con:
        files = release_store.publish(
            con,
            settings.exports_dir,
            source,
            entry or {"source": source, "status": report.status},
            settings.validation_dir,
        )
        due = [flow for flow in derived if entry is not None or _last_run_failed(con, flow)]
    report.exports = [str(p) for p in files]
    for summary in report.summaries:
        print(summary.message)
    publish_artifacts(report, settings)
    if entry is not None:
        send_release(settings)
    for flow_name in due:
        run_derived(str(flow_name), settings)


def send_release(settings: Settings) -> None:
    """Publish the release to the targets `publish_after_refresh` names (fsdata/publish): what
    went where is the run's artifact; a target that fails is said, the load stays published
    and the next publication sends what is missing."""
    from fsdata.publish import ReleaseInvalid, publish_after_refresh

    try:
        sent = publish_after_refresh(settings)
    except ReleaseInvalid as exc:
        print(f"release not sent: it fails its own checksums: {exc}")
        return
    if sent is None:
        return
    create_markdown_artifact(
        key="publication", markdown=sent.markdown(), description="where the release went"
    )
    for line in sent.lines():
        print(line)


def _last_run_failed(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    row = fetch_first(
        con.execute(
            "select status from meta.loads where source = ? order by load_id desc limit 1",
            [source],
        )
    )
    return row is not None and row[0] not in ("published", "unchanged", "skipped")


def run_derived(flow_name: str, settings: Settings) -> None:
    """Run a derived flow (coverage) as a subflow. The load that called it is published: a
    failure here is recorded by that flow and retried by the next run, never raised."""
    import importlib

    module = importlib.import_module(f"flows.{flow_name}")
    function = getattr(module, flow_name)
    has_work = getattr(module, "has_work", None)  # a flow with nothing to do is not started
    if has_work is not None and not has_work(settings):
        print(f"{flow_name}: nothing to compute yet")
        return
    try:
        function(home=str(settings.home))
    except Exception as exc:
        print(f"{flow_name} not brought up to date: {exc}; the next run retries it")
