"""The S3 target: an S3-compatible bucket holding every release under `releases/YYYY-MM-DD/`
and the newest under `latest/`.

Order of writes, so a reader never takes half a release for a whole one:
1. `releases/<day>/<file>`: the files that changed are uploaded, the others copied server-side
   from where the bucket already holds the same bytes (no upload);
2. `latest/<file>`: server-side copies of the files that changed;
3. `releases/<day>/manifest.json`, then `latest/manifest.json`, last: the switch. It lists every
   file with its sha256 and the dated key holding it, which never changes afterwards (the same
   day published twice excepted);
4. `latest/` objects of files no longer in the release are deleted.
A run interrupted anywhere leaves `latest/manifest.json` naming the previous, complete release;
each object is recorded in the state once written, so the next run resumes where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fsdata.config import S3Target, Settings
from fsdata.publish.release import Release, ReleaseFile
from fsdata.publish.report import Step, TargetFailed, TargetReport
from fsdata.publish.state import Held, State

MANIFEST = "manifest.json"
LATEST_MANIFEST = f"latest/{MANIFEST}"
AUTH_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
}


@dataclass
class _Op:
    step: Step
    key: str  # relative to the prefix
    file: ReleaseFile | None = None
    source: str | None = None  # relative key of a copy's source


def _full(target: S3Target, key: str) -> str:
    prefix = target.prefix.strip("/")
    return f"{prefix}/{key}" if prefix else key


def plan(target: S3Target, release: Release, state: State, day: date) -> list[_Op]:
    """Every write this release needs, in order; empty when `latest/` already is this release."""
    paths = {f.path for f in release.files}
    stale = [
        held
        for key, held in state.rows.items()
        if key.startswith("latest/") and key != LATEST_MANIFEST and held.file_path not in paths
    ]
    manifest = state.get(LATEST_MANIFEST)
    latest_current = all(
        (held := state.get(f"latest/{f.path}")) is not None and held.sha256 == f.sha256
        for f in release.files
    )
    switched = manifest is not None and manifest.sha256 == release.fingerprint
    if latest_current and switched and not stale:
        return []
    ops: list[_Op] = []
    dated = f"releases/{day.isoformat()}"
    for f in release.files:
        key = f"{dated}/{f.path}"
        held = state.get(key)
        if held is not None and held.sha256 == f.sha256:
            continue
        holders = [h.remote_key for h in state.holding(f.path, f.sha256) if h.remote_key != key]
        # a dated key first, the newest: it is not rewritten by later publishes
        sources = sorted((k for k in holders if k.startswith("releases/")), reverse=True)
        sources += sorted(k for k in holders if not k.startswith("releases/"))
        if sources:
            ops.append(_Op(Step("copy", f.path, _full(target, key), f.size), key, f, sources[0]))
        else:
            ops.append(_Op(Step("upload", f.path, _full(target, key), f.size), key, f))
    for f in release.files:
        held = state.get(f"latest/{f.path}")
        if held is None or held.sha256 != f.sha256:
            key = f"latest/{f.path}"
            ops.append(
                _Op(Step("copy", f.path, _full(target, key), f.size), key, f, f"{dated}/{f.path}")
            )
    ops.append(_Op(Step("switch", MANIFEST, _full(target, LATEST_MANIFEST)), LATEST_MANIFEST))
    for held in sorted(stale, key=lambda h: h.remote_key):
        ops.append(
            _Op(Step("delete", held.file_path, _full(target, held.remote_key)), held.remote_key)
        )
    return ops


def _client(target: S3Target, settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        # Path-style keys and checksums only when required: what S3-compatible stores accept.
        s3={"addressing_style": "path" if target.endpoint_url else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=target.endpoint_url or None,
        region_name=target.region or None,
        config=config,
    )


def _failure(target: S3Target, action: str, key: str, exc: Exception) -> TargetFailed:
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

    where = f"bucket {target.bucket}" + (
        f" at {target.endpoint_url}" if target.endpoint_url else ""
    )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return TargetFailed(
            "config",
            f"s3: no credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "?"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in (401, 403) or code in AUTH_CODES:
            return TargetFailed(
                "auth",
                f"s3: access refused by {where} ({code}, HTTP {status}); "
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
            )
        return TargetFailed(
            "remote", f"s3: {action} {key} in {where} failed: {code} (HTTP {status})"
        )
    return TargetFailed(
        "remote", f"s3: {action} {key} in {where} failed: {type(exc).__name__}: {exc}"
    )


def _manifest(target: S3Target, release: Release, day: date) -> bytes:
    dated = f"releases/{day.isoformat()}"
    document = {
        "name": "france-services-data",
        "release": day.isoformat(),
        "fingerprint": release.fingerprint,
        "published_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": [
            {
                "path": f.path,
                "key": _full(target, f"{dated}/{f.path}"),
                "sha256": f.sha256,
                "bytes": f.size,
                "mediatype": f.media_type,
            }
            for f in release.files
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _remote_fingerprint(client: Any, target: S3Target) -> str | None:
    """The release `latest/manifest.json` describes now (None when there is none)."""
    from botocore.exceptions import ClientError

    try:
        answer = client.get_object(Bucket=target.bucket, Key=_full(target, LATEST_MANIFEST))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    try:
        return str(json.loads(answer["Body"].read())["fingerprint"])
    except (ValueError, KeyError, TypeError):
        return "unreadable"


def publish(
    target: S3Target,
    settings: Settings,
    release: Release,
    state: State,
    day: date,
    dry_run: bool,
) -> TargetReport:
    if dry_run:
        return TargetReport("s3", True, [op.step for op in plan(target, release, state, day)])
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(target, settings)
    bucket = target.bucket
    notes = []
    try:
        remote = _remote_fingerprint(client, target)
    except (BotoCoreError, ClientError) as exc:
        failure = _failure(target, "read", _full(target, LATEST_MANIFEST), exc)
        return TargetReport("s3", False, error=str(failure), error_kind=failure.kind)
    held = state.get(LATEST_MANIFEST)
    if remote != (held.sha256 if held is not None else None):
        # The bucket is not what was recorded (emptied, replaced, written by someone else):
        # the records are void, every file is sent again.
        state.reset()
        notes.append(
            f"{_full(target, LATEST_MANIFEST)} does not match the recorded state: "
            "publishing every file again"
        )
    ops = plan(target, release, state, day)
    report = TargetReport("s3", False, [op.step for op in ops], notes=notes)

    def upload(op: _Op) -> None:
        assert op.file is not None
        with op.file.local.open("rb") as body:
            client.put_object(
                Bucket=bucket,
                Key=_full(target, op.key),
                Body=body,
                ContentLength=op.file.size,
                ContentMD5=op.file.md5_b64,  # the server refuses bytes damaged on the way
                ContentType=op.file.media_type,
                Metadata={"sha256": op.file.sha256},
            )

    for op in ops:
        try:
            if op.step.action == "upload":
                upload(op)
            elif op.step.action == "copy":
                assert op.source is not None
                try:
                    client.copy_object(
                        Bucket=bucket,
                        Key=_full(target, op.key),
                        CopySource={"Bucket": bucket, "Key": _full(target, op.source)},
                        MetadataDirective="COPY",
                    )
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                        raise
                    op.step.action = "upload"  # the source went away: send the bytes
                    upload(op)
            elif op.step.action == "switch":
                body = _manifest(target, release, day)
                for key in (f"releases/{day.isoformat()}/{MANIFEST}", LATEST_MANIFEST):
                    client.put_object(
                        Bucket=bucket,
                        Key=_full(target, key),
                        Body=body,
                        ContentType="application/json",
                        CacheControl="no-cache",
                    )
                state.put(
                    Held(
                        LATEST_MANIFEST,
                        MANIFEST,
                        release.fingerprint,
                        len(body),
                        _full(target, LATEST_MANIFEST),
                        None,
                    )
                )
            elif op.step.action == "delete":
                client.delete_object(Bucket=bucket, Key=_full(target, op.key))
                state.drop(op.key)
            if op.file is not None:
                state.put(
                    Held(
                        op.key,
                        op.file.path,
                        op.file.sha256,
                        op.file.size,
                        _full(target, op.key),
                        None,
                    )
                )
            op.step.done = True
        except (BotoCoreError, ClientError) as exc:
            failure = _failure(target, op.step.action, _full(target, op.key), exc)
            report.error, report.error_kind = str(failure), failure.kind
            return report
    return report
