"""The download connector against a real local HTTP server."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fsdata.fetch import FetchRefused, TransientFetchError, check_url_allowed, fetch

BODY = b"id_fs,lib_fs,insee_com\n1,A,01033\n"


def get(url: str, tmp_path: Path, **options: object) -> object:
    settings = {
        "allowed_hosts": ("www.data.gouv.fr",),
        "max_bytes": 1_000_000,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
    }
    settings.update(options)
    return fetch(url, tmp_path / "tmp", **settings)  # type: ignore[arg-type]


def test_200_streams_to_a_file_with_its_checksum(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/listing.csv").respond_with_data(
        BODY, headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"}
    )
    result = get(httpserver.url_for("/listing.csv"), tmp_path)
    assert result.path.read_bytes() == BODY
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert (result.etag, result.last_modified) == ('"v1"', "Wed, 01 Jan 2025 00:00:00 GMT")


def test_conditional_get_sends_validators_and_understands_304(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request(
        "/listing.csv", headers={"If-None-Match": '"v1"'}
    ).respond_with_response(Response(status=304))
    result = get(httpserver.url_for("/listing.csv"), tmp_path, etag='"v1"')
    assert result.not_modified and result.path is None


def test_redirects_are_followed(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/r/stable").respond_with_response(
        Response(status=302, headers={"Location": "/files/liste.csv"})
    )
    httpserver.expect_request("/files/liste.csv").respond_with_data(BODY)
    result = get(httpserver.url_for("/r/stable"), tmp_path)
    assert result.final_url.endswith("/files/liste.csv")
    assert result.path.read_bytes() == BODY


def test_5xx_is_transient_and_4xx_is_not(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/down").respond_with_data("oops", status=503)
    httpserver.expect_request("/gone").respond_with_data("nope", status=404)
    with pytest.raises(TransientFetchError, match="503"):
        get(httpserver.url_for("/down"), tmp_path)
    with pytest.raises(FetchRefused, match="404"):
        get(httpserver.url_for("/gone"), tmp_path)


def test_read_timeout_is_transient(httpserver: HTTPServer, tmp_path: Path) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(BODY)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(TransientFetchError, match="Timeout"):
        get(httpserver.url_for("/slow"), tmp_path, read_timeout=0.3)


def test_oversize_is_refused_by_announcement_and_by_stream(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    with pytest.raises(FetchRefused, match="exceeds the cap"):
        get(httpserver.url_for("/big"), tmp_path, max_bytes=1000)

    def chunked(request: Request) -> Response:
        return Response((b"x" * 600 for _ in range(5)), direct_passthrough=True)

    httpserver.expect_request("/stream").respond_with_handler(chunked)
    with pytest.raises(FetchRefused, match="exceeds the cap"):
        get(httpserver.url_for("/stream"), tmp_path, max_bytes=1000)
    assert not list((tmp_path / "tmp").glob("*.part"))


def test_body_shorter_than_announced_is_transient(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve_truncated() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + BODY)
        connection.close()

    thread = threading.Thread(target=serve_truncated, daemon=True)
    thread.start()
    try:
        with pytest.raises(TransientFetchError, match=r"shorter|interrupted"):
            get(f"http://127.0.0.1:{port}/liste.csv", tmp_path)
    finally:
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.data.gouv.fr/fr/datasets/r/x", True),
        ("http://www.data.gouv.fr/fr/datasets/r/x", False),
        ("https://evil.example.org/x.csv", False),
        ("file:///etc/passwd", False),
        ("http://127.0.0.1:8000/x.csv", True),
    ],
)
def test_only_https_on_the_allow_list(url: str, allowed: bool) -> None:
    if allowed:
        check_url_allowed(url, ("www.data.gouv.fr",))
    else:
        with pytest.raises(FetchRefused):
            check_url_allowed(url, ("www.data.gouv.fr",))


def test_redirect_off_the_allow_list_is_refused(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/r/stable").respond_with_response(
        Response(status=302, headers={"Location": "https://evil.example.org/liste.csv"})
    )
    with pytest.raises(FetchRefused, match="allow-list"):
        get(httpserver.url_for("/r/stable"), tmp_path)
