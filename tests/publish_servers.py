"""Real servers on loopback for the publish tests: moto's S3 server behind a fault switch, and a
stand-in of the part of the data.gouv.fr API v1 (udata) that `fsdata publish` uses, checking each
request as the API documents it (method, path, X-API-KEY, multipart `file`, JSON body)."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

S3_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>1</RequestId></Error>"
)


@dataclass
class Faults:
    """Answer requests from number `fail_from` on (1-based) with a 500; `deny`: every request
    with a 403; `lose_answer_of`: carry out that request, then answer 500 (a lost answer)."""

    fail_from: int | None = None
    deny: bool = False
    lose_answer_of: int | None = None
    count: int = 0
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def reset(self) -> None:
        self.fail_from, self.deny, self.lose_answer_of, self.count = None, False, None, 0
        self.log.clear()


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:  # no access log
        pass


class Served:
    """A WSGI app served on 127.0.0.1 from a thread, stopped by `close()`."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


class S3Server:
    """moto's S3 (its own server app, unchanged) with faults injected in front of it."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = Faults()
        self.served = Served(self.app)
        self.url = self.served.url

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        faults = self.faults
        faults.count += 1
        headers = {
            k[5:].replace("_", "-").lower(): str(v)
            for k, v in environ.items()
            if k.startswith("HTTP_")
        }
        faults.log.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), headers))
        if faults.deny:
            body = S3_ERROR.format(code="AccessDenied", message="Access Denied")
            return Response(body, 403, content_type="application/xml")(environ, start_response)
        if faults.fail_from is not None and faults.count >= faults.fail_from:
            body = S3_ERROR.format(code="InternalError", message="injected")
            return Response(body, 500, content_type="application/xml")(environ, start_response)
        return self.moto(environ, start_response)

    def writes(self) -> list[tuple[str, str]]:
        """(kind, path) of each object write: upload (bytes sent) or copy (server side)."""
        found = []
        for method, path, headers in self.faults.log:
            if method == "PUT" and path.count("/") > 1:
                found.append(("copy" if "x-amz-copy-source" in headers else "upload", path))
        return found

    def close(self) -> None:
        self.served.close()


class DatagouvStandIn:
    """The resources of one dataset, behind the four requests of the API v1 that publish uses."""

    RESOURCE_FIELDS = frozenset(
        ("title", "description", "format", "type", "url", "filetype", "mime", "schema", "extras",
         "checksum", "filesize")
    )  # fmt: skip

    # What GET /datasets/extensions/ answers: a part of udata's whitelist, with Parquet.
    EXTENSIONS = ("csv", "txt", "json", "parquet", "pdf", "xml", "zip", "geojson", "xlsx", "ods")

    def __init__(self, dataset: str, api_key: str) -> None:
        self.dataset = dataset
        self.api_key = api_key
        self.resources: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.violations: list[str] = []
        self.faults = Faults()
        self.served = Served(self.app)
        self.api_url = f"{self.served.url}/api/1"

    def close(self) -> None:
        self.served.close()

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        faults = self.faults
        faults.count += 1
        faults.log.append((request.method, request.path, dict(request.headers)))
        if faults.deny:
            response = _json({"message": "Forbidden"}, 403)
        elif faults.fail_from is not None and faults.count >= faults.fail_from:
            response = _json({"message": "injected"}, 500)
        else:
            response = self.handle(request)
            if faults.lose_answer_of == faults.count:
                response = _json({"message": "answer lost"}, 500)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        prefix = f"/api/1/datasets/{self.dataset}/"
        if request.headers.get("X-API-KEY") != self.api_key:
            return _json({"message": "Invalid API Key"}, 401)
        if request.method == "GET" and request.path == "/api/1/datasets/extensions/":
            return _json(list(self.EXTENSIONS))
        if not request.path.startswith(prefix):
            return _json({"message": "Not found"}, 404)
        rest = request.path[len(prefix) :].split("/")
        if request.method == "GET" and rest == [""]:
            return _json(
                {
                    "id": self.dataset,
                    "title": "stand-in",
                    "resources": list(self.resources.values()),
                }
            )
        if request.method == "POST" and rest == ["upload", ""]:
            return self.upload(request, None)
        if request.method == "POST" and rest == ["resources", ""]:
            return self.link(request)
        if len(rest) == 4 and rest[0] == "resources" and rest[2:] == ["upload", ""]:
            if request.method != "POST":
                return self.violation(f"{request.method} {request.path}: upload is POST")
            return self.upload(request, rest[1])
        if len(rest) == 3 and rest[0] == "resources" and rest[2] == "":
            if request.method != "PUT":
                return self.violation(f"{request.method} {request.path}: update is PUT")
            return self.update(request, rest[1])
        return self.violation(f"{request.method} {request.path}: not part of the API")

    def violation(self, text: str) -> Response:
        self.violations.append(text)
        return _json({"message": text}, 400)

    def upload(self, request: Request, rid: str | None) -> Response:
        if rid is not None and rid not in self.resources:
            return _json({"message": "Resource does not exist"}, 404)
        if set(request.files) != {"file"} or not request.mimetype.startswith("multipart/form-data"):
            return self.violation(f"{request.path}: a multipart form with one `file` field")
        upload = request.files["file"]
        name = upload.filename or "file"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if "html" in mime:
            return _json({"message": "Incorrect file content type: HTML"}, 415)
        if "." not in name or name.rsplit(".", 1)[1].lower() not in self.EXTENSIONS:
            return _json({"message": "This file type is not allowed"}, 400)
        data = upload.read()
        resource = self.resources.get(rid or "") or {
            "id": str(uuid.uuid4()),
            "type": "main",
            "filetype": "file",
            "description": None,
        }
        resource.update(
            {
                "title": name,
                "format": name.rsplit(".", 1)[-1].lower() if "." in name else "",
                "mime": mime,
                "filesize": len(data),
                "checksum": {"type": "sha1", "value": hashlib.sha1(data).hexdigest()},
                "url": f"{self.served.url}/files/{self.dataset}/{name}",
                "success": True,
            }
        )
        self.resources[resource["id"]] = resource
        self.files[resource["id"]] = data
        return _json(resource, 200 if rid else 201)

    def link(self, request: Request) -> Response:
        """A remote resource: this endpoint takes no file (udata answers 400 otherwise)."""
        body = request.get_json(silent=True)
        if request.mimetype != "application/json" or not isinstance(body, dict):
            return self.violation(f"{request.path}: a JSON body")
        if not set(body) <= self.RESOURCE_FIELDS:
            return self.violation(f"{request.path}: unknown resource fields in {body!r}")
        if body.get("filetype") != "remote":
            return _json({"message": "This endpoint only supports remote resources"}, 400)
        if not body.get("title") or not body.get("url"):
            return _json({"errors": {"title": ["required"], "url": ["required"]}}, 400)
        resource = {"id": str(uuid.uuid4()), "type": "main", "checksum": None, **body}
        self.resources[resource["id"]] = resource
        return _json(resource, 201)

    def update(self, request: Request, rid: str) -> Response:
        if rid not in self.resources:
            return _json({"message": "Resource does not exist"}, 404)
        if request.mimetype != "application/json":
            return self.violation(f"{request.path}: a JSON body")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not set(body) <= self.RESOURCE_FIELDS:
            return self.violation(f"{request.path}: unknown resource fields in {body!r}")
        if "title" in body and not body["title"]:
            return _json({"errors": {"title": ["required"]}}, 400)
        self.resources[rid].update(body)
        return _json(self.resources[rid], 200)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")
