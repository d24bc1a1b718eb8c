"""`fsdata publish`: send the release (`<home>/exports/`, as its `SHA256SUMS` lists it) to the
targets of `fsdata.toml` — an S3-compatible bucket (`s3.py`) and a data.gouv.fr dataset
(`datagouv.py`) — uploading only the files whose sha256 changed since the last publish to each
target (the state is in the warehouse, `meta.publications`).

The caller holds the warehouse lock (the CLI takes it; a flow already holds it).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fsdata.config import DatagouvTarget, S3Target, Settings
from fsdata.publish import datagouv, s3
from fsdata.publish.release import ReleaseInvalid, read_release
from fsdata.publish.report import PublishReport, Step, TargetFailed, TargetReport
from fsdata.publish.state import State, open_state

__all__ = [
    "PublishError",
    "PublishReport",
    "ReleaseInvalid",
    "Step",
    "TargetReport",
    "publish_after_refresh",
    "publish_release",
]


class PublishError(ValueError):
    """A usage error: an unknown or unconfigured target. Nothing was sent."""


def release_day() -> date:
    """The day that names a dated release: the project's calendar is Europe/Paris."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def publish_release(
    settings: Settings,
    targets: list[str] | None = None,
    dry_run: bool = False,
    day: date | None = None,
) -> PublishReport:
    """Publish the release to `targets` (default: every configured one), or with `dry_run`
    only plan it, touching neither the targets nor the state.

    Raises PublishError for an unknown target and ReleaseInvalid when the local release fails
    its own checksums (then nothing is sent anywhere). A target that fails (network, server,
    refused key) is reported in its TargetReport (`error`, `error_kind`: auth / remote / config)
    and the others still run; `report.ok` says whether all succeeded.
    """
    names = list(dict.fromkeys(targets)) if targets else list(settings.publish)
    if not names:
        raise PublishError(
            "no publish target configured: add [publish.s3] or [publish.datagouv] to fsdata.toml"
        )
    for name in names:
        if name not in settings.publish:
            configured = ", ".join(settings.publish) or "none"
            raise PublishError(f"no target {name!r} in the settings (configured: {configured})")
    release = read_release(settings.exports_dir)
    report = PublishReport(
        str(settings.exports_dir), release.fingerprint, len(release.files), dry_run
    )
    with open_state(settings.warehouse_path, dry_run) as con:
        for name in names:
            target = settings.publish[name]
            state = State(con, name)
            try:
                if isinstance(target, S3Target):
                    result = s3.publish(
                        target, settings, release, state, day or release_day(), dry_run
                    )
                elif isinstance(target, DatagouvTarget):
                    result = datagouv.publish(target, settings, release, state, dry_run)
                else:  # pragma: no cover - config.py knows only these two kinds
                    raise PublishError(f"target {name!r} has no publisher")
            except TargetFailed as failure:
                result = TargetReport(name, dry_run, error=str(failure), error_kind=failure.kind)
            report.targets.append(result)
    return report


def publish_after_refresh(settings: Settings) -> PublishReport | None:
    """For a flow, after a successful publication: publish to the targets named by
    `publish_after_refresh` (None when it names none)."""
    if not settings.publish_after_refresh:
        return None
    return publish_release(settings, list(settings.publish_after_refresh))
