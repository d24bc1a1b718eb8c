"""The one flow body every source runs.

    begin load → unchanged? → parse → refuse → validate → split rows →
    publish (one transaction: the source's rows, the models the graph says follow them, the
    load's record) → release → downstream flows

A source is a declaration (`Source`): its name, its parse and validate tasks, how its accepted
rows are written, what its change summary says. What follows a load — which models are
rebuilt, which release datasets are re-exported, which derived flow (coverage) runs — comes
from the model graph (`warehouse/graph.py`), from the models the source declares it writes.

A run loads one or several `Item`s (an observatory refresh finds several editions): each is
begun in order, every pending item is parsed and validated at once on the task runner, then
each is published in order; the release and the downstream flows run once, at the end.
"""

from __future__ import annotations

import inspect
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from prefect.futures import PrefectFuture
from prefect.tasks import Task

from expectations.runner import RowSplit, RuleResult, ValidationOutcome, refusal, split_rows
from flows.execution import FileTasks, file_tasks
from flows.live import LoadFailed, remember_http_state
from flows.report import LoadSummary, RunReport, current_flow_run_id, publish_artifacts
from fsdata.config import Settings
from fsdata.fetch import FetchResult
from transforms.errors import SourceFormatError
from warehouse import graph
from warehouse import release as release_store
from warehouse.archive import archive
from warehouse.db import (
    begin_load,
    connect,
    fetch_first,
    finish_load,
    record_validation,
    refresh_models,
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

    def __post_init__(self) -> None:
        self.label = self.label or self.sha256[:16]
        self.display_name = self.display_name or self.file.name


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
    suite: str  # the suite a file refused before validation is recorded under
    parse: Task[..., Any]  # (sha256, **item.parse_args, **task_args) → parsed
    validate: Task[..., list[ValidationOutcome]]  # (parsed, sha256, **task_args) → outcomes
    writes: tuple[str, ...]  # the models `write` fills: the roots of what follows in the graph
    write: Callable[[duckdb.DuckDBPyConnection, Loaded], Any]
    summarize: Callable[[duckdb.DuckDBPyConnection, Loaded, Any], tuple[str, dict[str, int]]]
    # The checksum of the data in force for this item's slot: equal → `unchanged`, not parsed.
    in_force: Callable[[duckdb.DuckDBPyConnection, Item], bool] = lambda con, item: False
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
    with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
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
        if source.in_force(con, item):
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


def _submit(source: Source, tasks: FileTasks, pending: Pending) -> None:
    item = pending.item
    given = {"file": item.file, "sha256": item.sha256, **item.parse_args, **pending.task_args}
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
    if source.warehouse_rules:
        with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
            extra = [rule(con, parsed) for rule in source.warehouse_rules]
        outcomes = [outcomes[0].with_results(extra), *outcomes[1:]]
    rows = source.split(parsed, outcomes)
    loaded = Loaded(load_id, item, parsed, outcomes, rows, pending.task_args)
    if any(o.blocking_failed for o in outcomes):
        _refuse(source, settings, load_id, item, outcomes, rows.rows_read, loaded)
    _save_outcomes(settings, source, load_id, outcomes)
    with (
        connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con,
        transaction(con),
    ):
        written = source.write(con, loaded)
        # A source's write may find the rows are the figures already in force.
        status = "unchanged" if written == "unchanged" else "published"
        raw_path = None
        if status == "published":
            raw_path = archive(item.file, settings.raw_dir, source.name, _archive_date(item),
                               item.sha256)  # fmt: skip
            refresh_models(con, _in_load(source), source.changed_from(loaded))
        message, changes = source.summarize(con, loaded, written)
        for outcome in outcomes:
            record_validation(con, load_id, outcome.suite, results_as_rows(outcome))
        finish_load(
            con,
            load_id,
            status,
            message,
            rows_read=rows.rows_read,
            rows_loaded=rows.rows_loaded if status == "published" else 0,
            rows_quarantined=rows.rows_quarantined,
            rows_warned=rows.rows_warned,
            raw_path=str(raw_path) if raw_path else None,
        )
        remember_http_state(con, source.name, item.fetched, item.sha256)
    summary = _summary(source, item, status, message, load_id)
    summary.rows_read, summary.rows_quarantined = rows.rows_read, rows.rows_quarantined
    if status == "published":
        summary.rows_loaded, summary.rows_warned = rows.rows_loaded, rows.rows_warned
        summary.warnings, summary.changes = rows.warnings, changes
    return summary


def _archive_date(item: Item) -> date:
    return item.as_of or date.today()


def _in_load(source: Source) -> list[graph.Model]:
    """The models a load of `source` brings up to date in its own transaction."""
    return [m for m in graph.refresh_plan(source.writes) if m.runs_in is None]


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
    with (
        connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con,
        transaction(con),
    ):
        for outcome in outcomes:
            record_validation(con, load_id, outcome.suite, results_as_rows(outcome))
        finish_load(con, load_id, "rejected", message, rows_read=rows_read, raw_path=str(kept))
    raise LoadRefused(message)


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
    finish_run(source.name, settings, report, source.writes)
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
                _submit(source, tasks, p)
            for p in pending:
                try:
                    report.summaries.append(_finish(source, settings, p))
                except LoadRefused as exc:
                    summary = _summary(source, p.item, "rejected", str(exc), p.load_id)
                    report.summaries.append(summary)


def finish_run(source: str, settings: Settings, report: RunReport, writes: tuple[str, ...]) -> None:
    """The release (re-exporting what the published loads changed; checking the rest), the
    run's artifacts, then the derived flows whose inputs changed (or whose last run failed)."""
    entry = report.release_entry()
    plan = graph.refresh_plan(writes)
    mine = [m for m in plan if m.runs_in in (None, source)] + _written(writes)
    datasets = graph.datasets_fed(mine) if entry is not None else []
    derived = sorted({m.runs_in for m in plan if m.runs_in not in (None, source)})
    with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        files = release_store.publish(
            con,
            settings.exports_dir,
            source,
            entry or {"source": source, "status": report.status},
            settings.validation_dir,
            datasets,
        )
        due = [flow for flow in derived if entry is not None or _last_run_failed(con, flow)]
    report.exports = [str(p) for p in files]
    for summary in report.summaries:
        print(summary.message)
    publish_artifacts(report, settings)
    for flow_name in due:
        run_derived(str(flow_name), settings)


def _written(writes: tuple[str, ...]) -> list[graph.Model]:
    return [graph.MODEL_BY_NAME[name] for name in writes]


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
