"""The data.gouv.fr target: one resource of the dataset per release file, created once, then
updated in place (same resource id, same stable URL), through the API v1 (udata):

- `GET  {api}/datasets/{dataset}/`                        the dataset and its resources;
- `POST {api}/datasets/{dataset}/upload/`                 a new file resource (multipart `file`),
                                                          answered 201 with the resource;
- `POST {api}/datasets/{dataset}/resources/{rid}/upload/` a new file for that resource, 200;
- `PUT  {api}/datasets/{dataset}/resources/{rid}/`        its title, description, format, type;
- `GET  {api}/datasets/extensions/`                       the file extensions it accepts: a text
                                                          file of another (CHANGELOG.md,
                                                          SHA256SUMS) is sent as `<name>.txt`,
                                                          any other file is left out, said so;
- `POST {api}/datasets/{dataset}/resources/`              a remote resource (a link): the
                                                          catalogue page, which data.gouv.fr
                                                          refuses as an upload, when `page_url`
                                                          says where it is served.

Every request carries the key in `X-API-KEY`, read from the environment variable the settings
name; it is never logged, reported, raised or stored. The server answers with each upload's
checksum (SHA-1), compared with the local file's. A resource recorded in the state but gone from
the dataset is created again; a resource that already holds the file's bytes (a run interrupted
between the upload and the state) is adopted rather than uploaded twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import requests

from fsdata.config import DatagouvTarget, Settings
from fsdata.publish.release import Release, ReleaseFile
from fsdata.publish.report import Step, TargetFailed, TargetReport
from fsdata.publish.state import Held, State

# udata refuses an uploaded HTML file (415 "Incorrect file content type: HTML").
REFUSED_FORMATS = {"html": "data.gouv.fr refuses HTML uploads (415); set page_url to link it"}


SENDS = ("create", "replace")


def _metadata(f: ReleaseFile, link: str) -> dict[str, str]:
    return {**f.metadata(), "url": link} if link else f.metadata()


def metadata_sha256(f: ReleaseFile, link: str = "") -> str:
    text = json.dumps(_metadata(f, link), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Op:
    step: Step
    file: ReleaseFile
    rid: str | None
    name: str  # the file name sent (its extension is what data.gouv.fr checks)


TEXT_FORMATS = ("md", "txt", "")


def upload_name(f: ReleaseFile, allowed: set[str] | None) -> str | None:
    """The name to upload `f` under, given the extensions data.gouv.fr accepts (None: unknown,
    the file's own name); None when it accepts no form of this file. A file of a table
    published a year a file is named after its table and year (`footfall_2026.csv`)."""
    name = "_".join(PurePosixPath(f.path).parts[1:]) or f.local.name
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if allowed is None or extension in allowed:
        return name
    if extension in TEXT_FORMATS and "txt" in allowed:
        return f"{name}.txt"
    return None


def _decide(
    f: ReleaseFile, held: Held | None, rid: str | None, remote_sha1: str | None, link: str
) -> str | None:
    """create / replace / metadata (link / metadata for a linked page), or None when the
    resource is up to date."""
    if link:
        if rid is None:
            return "link"
        current = held is not None and held.remote_id == rid and held.sha256 == f.sha256
        # a new page: its metadata is sent again, so data.gouv.fr dates the resource anew
        fresh = current and held is not None and held.metadata_sha256 == metadata_sha256(f, link)
        return None if fresh else "metadata"
    if rid is None:
        return "create"
    bytes_there = (
        remote_sha1 == f.sha1 if remote_sha1 else (held is not None and held.sha256 == f.sha256)
    )
    if not bytes_there:
        return "replace"
    if held is None or held.remote_id != rid or held.sha256 != f.sha256:
        return "metadata"  # the bytes are there, the state does not know it yet
    return None if held.metadata_sha256 == metadata_sha256(f) else "metadata"


def plan(
    release: Release,
    state: State,
    remote: dict[str, dict[str, Any]] | None,
    page_url: str = "",
    allowed: set[str] | None = None,
) -> tuple[list[_Op], list[tuple[str, str]]]:
    """The resources to write. `remote` (resource id → resource) and `allowed` (extensions),
    when read from the API, refine the plan made from the state alone (a dry run)."""
    ops: list[_Op] = []
    skipped: list[tuple[str, str]] = []
    claimed = {h.remote_id for h in state.rows.values() if h.remote_id}
    for f in release.files:
        link = page_url if f.path == "index.html" else ""
        if f.format in REFUSED_FORMATS and not link:
            skipped.append((f.path, REFUSED_FORMATS[f.format]))
            continue
        name = upload_name(f, allowed)
        if name is None and not link:
            extension = f.local.suffix or "(none)"
            skipped.append((f.path, f"data.gouv.fr accepts no upload of extension {extension}"))
            continue
        held = state.get(f.path)
        rid = held.remote_id if held is not None else None
        remote_sha1 = None
        if remote is not None:
            if rid not in remote:
                rid = next(
                    (
                        r_id
                        for r_id, r in remote.items()
                        if r_id not in claimed
                        and (r.get("url") == link if link else _sha1(r) == f.sha1)
                    ),
                    None,
                )
                if rid is not None:
                    claimed.add(rid)
            remote_sha1 = _sha1(remote[rid]) if rid is not None else None
        action = _decide(f, held, rid, remote_sha1, link)
        if action is not None:
            ops.append(
                _Op(
                    Step(action, f.path, rid or "new", f.size if action in SENDS else None),
                    f,
                    rid,
                    name or f.local.name,
                )
            )
    return ops, skipped


def _sha1(resource: dict[str, Any]) -> str | None:
    checksum = resource.get("checksum") or {}
    if isinstance(checksum, dict) and checksum.get("type") == "sha1":
        return str(checksum.get("value") or "") or None
    return None


class _Api:
    def __init__(self, target: DatagouvTarget, settings: Settings, key: str) -> None:
        self.base = target.api_url.rstrip("/")
        self.dataset = quote(target.dataset, safe="")
        self.target = target
        self.settings = settings
        self._key = key
        self.session = requests.Session()
        self.session.headers.update({"X-API-KEY": key, "Accept": "application/json"})

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def call(self, method: str, path: str, retry: bool = True, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base}/datasets/{self.dataset}/{path}"
        delays = list(self.settings.retry_delays[: max(self.settings.fetch_retries - 1, 0)])
        while True:
            for handle in kwargs.get("files", {}).values():
                handle[1].seek(0)
            try:
                response = self.session.request(
                    method,
                    url,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                    **kwargs,
                )
            except requests.RequestException as exc:
                if retry and delays:
                    time.sleep(delays.pop(0))
                    continue
                raise TargetFailed(
                    "remote", self._scrub(f"datagouv: {method} {url} failed: {type(exc).__name__}")
                ) from None
            # a server error or "too many requests": worth another try after a pause
            if (response.status_code >= 500 or response.status_code == 429) and retry and delays:
                time.sleep(delays.pop(0))
                continue
            break
        if response.status_code in (401, 403):
            raise TargetFailed(
                "auth",
                f"datagouv: {self.base} refused the API key from ${self.target.api_key_env} "
                f"for dataset {self.target.dataset} (HTTP {response.status_code})",
            )
        if not response.ok:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            detail = str(answer.get("message") or "")[:200] if isinstance(answer, dict) else ""
            raise TargetFailed(
                "remote",
                self._scrub(
                    f"datagouv: {method} {url} answered HTTP {response.status_code}"
                    + (f": {detail}" if detail else "")
                ),
            )
        try:
            answer = response.json()
        except ValueError:
            raise TargetFailed("remote", f"datagouv: {method} {url} answered no JSON") from None
        if not isinstance(answer, dict):
            raise TargetFailed("remote", f"datagouv: {method} {url} answered no JSON object")
        return answer

    def extensions(self) -> set[str] | None:
        """The upload extensions the server accepts (None when it does not say)."""
        try:
            answer = self.session.get(
                f"{self.base}/datasets/extensions/",
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
            listed = answer.json() if answer.ok else None
        except (requests.RequestException, ValueError):
            return None
        if not isinstance(listed, list):
            return None
        return {str(e).lower().lstrip(".") for e in listed}

    def upload(self, f: ReleaseFile, rid: str | None, name: str) -> dict[str, Any]:
        path = f"resources/{quote(rid, safe='')}/upload/" if rid else "upload/"
        with f.local.open("rb") as handle:
            # A new resource is not sent twice: a lost answer would leave two resources (the
            # next run adopts the one that exists, by its checksum).
            answer = self.call(
                "POST", path, retry=rid is not None, files={"file": (name, handle, f.media_type)}
            )
        if _sha1(answer) not in (None, f.sha1):
            raise TargetFailed(
                "remote", f"datagouv: {f.path} arrived with SHA-1 {_sha1(answer)}, sent {f.sha1}"
            )
        if not answer.get("id"):
            raise TargetFailed("remote", f"datagouv: upload of {f.path} answered no resource id")
        return answer


def publish(
    target: DatagouvTarget, settings: Settings, release: Release, state: State, dry_run: bool
) -> TargetReport:
    if dry_run:
        ops, skipped = plan(release, state, None, target.page_url)
        return TargetReport("datagouv", True, [op.step for op in ops], skipped)
    key = os.environ.get(target.api_key_env, "")
    if not key:
        raise TargetFailed(
            "config",
            f"datagouv: the environment variable {target.api_key_env} (API key) is not set",
        )
    api = _Api(target, settings, key)
    dataset = api.call("GET", "")
    remote = {
        str(r["id"]): r
        for r in dataset.get("resources") or []
        if isinstance(r, dict) and r.get("id")
    }
    ops, skipped = plan(release, state, remote, target.page_url, api.extensions())
    report = TargetReport("datagouv", False, [op.step for op in ops], skipped)
    for op in ops:
        f, rid = op.file, op.rid
        link = target.page_url if f.path == "index.html" else ""
        try:
            if op.step.action in SENDS:
                rid = str(api.upload(f, rid, op.name)["id"])
                op.step.remote = rid
                state.put(Held(f.path, f.path, f.sha256, f.size, rid, None))
            if op.step.action == "link":
                # No retry: a lost answer would leave two links (the next run adopts the one
                # that exists, by its URL).
                body = {**_metadata(f, link), "filetype": "remote"}
                answer = api.call("POST", "resources/", retry=False, json=body)
                if not answer.get("id"):
                    raise TargetFailed("remote", f"datagouv: linking {f.path} answered no id")
                rid = op.step.remote = str(answer["id"])
            else:
                assert rid is not None
                api.call("PUT", f"resources/{quote(rid, safe='')}/", json=_metadata(f, link))
            state.put(Held(f.path, f.path, f.sha256, f.size, rid, metadata_sha256(f, link)))
            op.step.done = True
        except TargetFailed as failure:
            report.error, report.error_kind = str(failure), failure.kind
            return report
    return report
