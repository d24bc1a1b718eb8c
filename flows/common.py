"""What every source flow shares: refusals, the load summary, the run artifact."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from expectations.runner import ValidationOutcome


class LoadRefused(RuntimeError):
    """The input was refused: nothing was published. The message names the file and rule."""


class LoadFailed(RuntimeError):
    """The source could not be fetched: nothing was published."""


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


def current_flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def publish_artifact(summary: LoadSummary) -> None:
    create_markdown_artifact(
        key=f"{summary.source}-load",
        markdown=summary.markdown(),
        description=f"{summary.source} load summary",
    )


def save_outcome(outcome: ValidationOutcome, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outcome.document, indent=1, default=str), encoding="utf-8")


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
