"""What a run says about itself: one summary per load, the run's report, and its Prefect
artifacts (the markdown summary, the table of rule results, the link to the Data Docs)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.runtime import flow_run

from fsdata.config import Settings
from warehouse.db import connect

# A run's status is the most telling of its loads' statuses.
STATUS_PRECEDENCE = ("published", "rejected", "failed", "unchanged", "skipped")


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


@dataclass
class RunReport:
    """Every load of one run of a source (several for an observatory refresh), what was
    skipped, and the release files written."""

    source: str
    summaries: list[LoadSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.summaries}
        return next((s for s in STATUS_PRECEDENCE if s in statuses), "unchanged")

    @property
    def published(self) -> list[LoadSummary]:
        return [s for s in self.summaries if s.status == "published"]

    def release_entry(self) -> dict[str, Any] | None:
        """The CHANGELOG entry of this run: None when nothing was published."""
        if not self.published:
            return None
        if len(self.published) == 1:
            return self.published[0].to_dict()
        last = self.published[-1]
        return {
            "source": self.source,
            "status": "published",
            "as_of": last.as_of,
            "load_id": last.load_id,
            "message": "; ".join(s.message for s in self.published),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "editions": [s.to_dict() for s in self.summaries],
            "skipped": self.skipped,
            "exports": self.exports,
        }

    def markdown(self) -> str:
        if len(self.summaries) == 1 and not self.skipped:
            return self.summaries[0].markdown()
        lines = [
            f"# {self.source}: {self.status}",
            "",
            "| as of | status | file | read | loaded | quarantined | with warnings |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s.as_of or '—'} | {s.status} | `{s.file or '—'}` | {s.rows_read} "
            f"| {s.rows_loaded} | {s.rows_quarantined} | {s.rows_warned} |"
            for s in self.summaries
        ]
        lines += ["", *(f"- {s.as_of or '—'}: {s.message}" for s in self.summaries)]
        warnings: dict[str, int] = {}
        for s in self.summaries:
            for rule, count in s.warnings.items():
                warnings[rule] = warnings.get(rule, 0) + count
        if warnings:
            lines += ["", "| warning rule | count |", "|---|---:|"]
            lines += [f"| {rule} | {count} |" for rule, count in sorted(warnings.items())]
        if self.skipped:
            lines += ["", "Resources skipped:", *(f"- {item}" for item in self.skipped)]
        return "\n".join(lines)


def current_flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def publish_artifacts(report: RunReport, settings: Settings) -> None:
    """The run's artifacts: the markdown summary, the rule results of this run's loads (refused
    ones included) and a link to the source's validation report."""
    create_markdown_artifact(
        key=f"{report.source}-load",
        markdown=report.markdown(),
        description=f"{report.source} run summary",
    )
    if not settings.warehouse_path.exists():
        return
    load_ids = [s.load_id for s in report.summaries if s.load_id is not None]
    with connect(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        rows = con.execute(
            """
            select v.load_id, v.suite, v.rule, v.rule_class, v.success, v.unexpected_count,
                   v.message
            from meta.validation_results v join meta.loads l using (load_id)
            where l.source = $source
                and (list_contains($load_ids, l.load_id) or l.flow_run_id = $run_id)
            order by v.load_id, v.suite, v.rule
            """,
            {"source": report.source, "load_ids": load_ids, "run_id": current_flow_run_id()},
        ).fetchall()
    if rows:
        create_table_artifact(
            key=f"{report.source}-validation",
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
            description=f"{report.source}: validation results of this run",
        )
    docs = settings.validation_dir / "docs" / f"{report.source}.html"
    if docs.exists():
        create_link_artifact(
            key=f"{report.source}-data-docs",
            link=docs.resolve().as_uri(),
            link_text=f"{report.source} Data Docs",
            description=f"{report.source}: Data Docs of the latest validation",
        )
