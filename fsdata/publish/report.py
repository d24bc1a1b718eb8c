"""What a publish did (or, for a dry run, would do), per target: the CLI prints it, a flow makes
it a markdown artifact. It never holds a credential: only paths, keys, ids and counts."""

from __future__ import annotations

from dataclasses import dataclass, field

# Steps that send a file's bytes; the others are server-side copies or metadata.
SENDS_BYTES = ("upload", "create", "replace")


class TargetFailed(Exception):
    """A target could not be published to. `kind`: auth (401/403), remote (network, server,
    refused request) or config (missing credentials). The message is one line, secret-free."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Step:
    action: str  # upload, copy, create, replace, metadata, switch, delete
    file_path: str
    remote: str  # s3: the object key; datagouv: the resource id (or "new")
    size: int | None = None
    done: bool = False


@dataclass
class TargetReport:
    target: str
    dry_run: bool
    steps: list[Step] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None

    @property
    def uploaded(self) -> int:
        """Files whose bytes were sent (planned, for a dry run)."""
        return sum(1 for s in self.steps if s.action in SENDS_BYTES and (s.done or self.dry_run))

    @property
    def uploaded_bytes(self) -> int:
        return sum(
            s.size or 0 for s in self.steps if s.action in SENDS_BYTES and (s.done or self.dry_run)
        )

    def done(self, action: str | None = None) -> list[Step]:
        return [s for s in self.steps if s.done and (action is None or s.action == action)]

    def summary(self) -> str:
        if self.error:
            return f"{self.target}: FAILED ({self.error_kind}): {self.error}"
        verb = "would send" if self.dry_run else "sent"
        if not self.steps:
            return f"{self.target}: up to date, nothing to send"
        others = len(self.steps) - self.uploaded
        return f"{self.target}: {verb} {self.uploaded} file(s), {self.uploaded_bytes:,} bytes" + (
            f", and {others} other step(s) (copies, metadata, switch)" if others else ""
        )


@dataclass
class PublishReport:
    release: str  # the exports folder
    fingerprint: str
    files: int
    dry_run: bool
    targets: list[TargetReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.error is None for t in self.targets)

    def failures(self) -> list[TargetReport]:
        return [t for t in self.targets if t.error is not None]

    def lines(self) -> list[str]:
        """The plain-text account: a line per target, then its steps."""
        head = "plan" if self.dry_run else "published"
        out = [f"{head}: release {self.fingerprint[:12]} ({self.files} files) from {self.release}"]
        for target in self.targets:
            out.append(target.summary())
            out += [f"  note: {note}" for note in target.notes]
            for step in target.steps:
                mark = "" if self.dry_run else ("  done" if step.done else "  not done")
                size = f" ({step.size:,} bytes)" if step.size is not None else ""
                out.append(f"  {step.action:8} {step.file_path} → {step.remote}{size}{mark}")
            for path, reason in target.skipped:
                out.append(f"  skipped  {path}: {reason}")
        return out

    def markdown(self) -> str:
        """For a Prefect markdown artifact: what went where."""
        title = "Publication plan (dry run)" if self.dry_run else "Publication"
        out = [
            f"# {title}",
            "",
            f"Release `{self.fingerprint[:12]}`: {self.files} files from `{self.release}`.",
            "",
        ]
        for target in self.targets:
            out += [f"## {target.target}", "", target.summary(), ""]
            out += [f"- note: {note}" for note in target.notes] + ([""] if target.notes else [])
            if target.steps:
                out += ["| step | file | where | bytes | done |", "|---|---|---|---:|---|"]
                for s in target.steps:
                    done = "planned" if self.dry_run else ("yes" if s.done else "no")
                    size = "" if s.size is None else f"{s.size:,}"
                    out.append(f"| {s.action} | `{s.file_path}` | `{s.remote}` | {size} | {done} |")
                out.append("")
            for path, reason in target.skipped:
                out.append(f"- skipped `{path}`: {reason}")
            if target.skipped:
                out.append("")
        return "\n".join(out)
