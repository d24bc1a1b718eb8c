"""The fault matrix: live sources that misbehave and files that drift, through real flow runs.

Each row ends in a recovery (the snapshot published as if the file were clean) or a clear
refusal (the message names the file and the rule; nothing published; the previous exports
byte-identical; a `meta.loads` row). Rows already covered elsewhere are not repeated here:
5xx then success and persistent 5xx/404 and an HTML page served with 200 through `refresh`
(tests/test_espaces_flow.py::test_refresh_*), a required column removed and an empty listing
through `ingest` (test_refused_files_publish_nothing), and the connector's own behaviour on each
network fault (tests/test_fetch.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from flows.communes import communes
from flows.espaces import espaces
from flows.observatoire import observatoire
from flows.pipeline import LoadFailed, LoadRefused
from fsdata.config import sample_path
from tests.helpers import copy_home, published_state, query

SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")
COMMUNES_SAMPLE = sample_path("communes", "communes-demo.csv")
LISTING = SAMPLE_2024.read_text("utf-8")
READ_TIMEOUT = 0.5


# --- helpers -------------------------------------------------------------------------------


# What a refused load must leave as it was: these tables and the whole release.
PUBLISHED_TABLES = (
    "core.espaces",
    "marts.espaces_current",
    "marts.network_by_departement",
    "meta.snapshots",
    "raw.espaces",
    "core.communes",
)


def last_load(home: Path, source: str) -> tuple[str, str]:
    row = query(
        home,
        "select status, message from meta.loads where source = ? order by load_id desc limit 1",
        [source],
    )
    return row[0]


def write_settings(home: Path, **sources: str) -> None:
    lines = [
        "retry_delays = [0, 0, 0]",
        f"read_timeout = {READ_TIMEOUT}",
        "connect_timeout = 1.0",
        "max_download_bytes = 100000",
        "",
        "[sources]",
    ]
    lines += [f'{source} = "{url}"' for source, url in sources.items()]
    (home / "fsdata.toml").write_text("\n".join(lines) + "\n", "utf-8")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def rename_header(text: str, renames: dict[str, str]) -> str:
    rows = rows_of(text)
    rows[0] = [renames.get(name, name) for name in rows[0]]
    return csv_text(rows)


def drop_column(text: str, name: str) -> str:
    rows = rows_of(text)
    index = rows[0].index(name)
    return csv_text([row[:index] + row[index + 1 :] for row in rows])


def set_cell(text: str, espace_id: str, column: str, value: str) -> str:
    rows = rows_of(text)
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == espace_id:
            row[index] = value
    return csv_text(rows)


def swap_coordinates(text: str, espace_id: str) -> str:
    rows = rows_of(text)
    lat, lon = rows[0].index("latitude"), rows[0].index("longitude")
    for row in rows[1:]:
        if row[0] == espace_id:
            row[lat], row[lon] = row[lon], row[lat]
    return csv_text(rows)


def duplicate_row(text: str, espace_id: str) -> str:
    rows = rows_of(text)
    rows += [row for row in rows[1:] if row[0] == espace_id]
    return csv_text(rows)


def explode(text: str, factor: int) -> str:
    rows = rows_of(text)
    body = [row for row in rows[1:] if row[0]]
    copies = [[f"{copy}{row[0]}", *row[1:]] for copy in range(1, factor) for row in body]
    return csv_text(rows + copies)


class FaultyServer:
    """A bare HTTP server on a socket: each connection gets the next behaviour of the script
    (the last one repeats), for the faults a well-behaved HTTP library cannot produce."""

    def __init__(self, body: bytes, script: list[str]) -> None:
        self.body = body
        self.script = script
        self.connections = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/listing.csv"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            behaviour = self.script[min(self.connections, len(self.script) - 1)]
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection, behaviour), daemon=True).start()

    def _answer(self, connection: socket.socket, behaviour: str) -> None:
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                request += chunk
            head = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n"
            if behaviour == "reset":
                # SO_LINGER 0: close() sends RST, the client sees "connection reset by peer".
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif behaviour == "short":
                announced = len(self.body) + 1000
                connection.sendall(f"{head}Content-Length: {announced}\r\n\r\n".encode())
                connection.sendall(self.body)
            elif behaviour == "timeout":
                time.sleep(READ_TIMEOUT * 3)
            elif behaviour == "ok":
                connection.sendall(f"{head}Content-Length: {len(self.body)}\r\n\r\n".encode())
                connection.sendall(self.body)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def faulty_server() -> Iterator[Callable[[bytes, list[str]], FaultyServer]]:
    servers: list[FaultyServer] = []

    def start(body: bytes, script: list[str]) -> FaultyServer:
        servers.append(FaultyServer(body, script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- one loaded baseline, copied per test ----------------------------------------------------


@pytest.fixture(scope="module")
def baseline(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2024 sample listing published as of 2024-08-01, and the demo communes."""
    home = tmp_path_factory.mktemp("faults") / "home"
    summary = espaces(home=str(home), file=str(SAMPLE_2024), as_of="2024-08-01")
    assert summary["status"] == "published" and summary["rows_loaded"] == 10
    assert communes(home=str(home), file=str(COMMUNES_SAMPLE), vintage=2024)["status"] == (
        "published"
    )
    return home


@pytest.fixture
def loaded(baseline: Path, tmp_path: Path) -> Path:
    return copy_home(baseline, tmp_path)


# --- espaces: network faults through `refresh` ----------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "reset", "short"])
@pytest.mark.parametrize("persists", [False, True], ids=["then-success", "every-attempt"])
def test_network_fault_is_retried_then_recovers_or_fails_cleanly(
    loaded: Path, faulty_server: Callable[..., FaultyServer], fault: str, persists: bool
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    # Re-quoted: the same listing in other bytes, so the refresh is not "already in force".
    body = csv_text(rows_of(LISTING)).encode("utf-8")
    server = faulty_server(body, [fault] if persists else [fault, "ok"])
    write_settings(loaded, espaces=server.url)
    if persists:
        with pytest.raises(LoadFailed, match="fetch failed") as failed:
            espaces(home=str(loaded))
        assert server.url in str(failed.value)
        assert server.connections == 4  # the first attempt and three retries
        assert published_state(loaded, PUBLISHED_TABLES) == before
        status, message = last_load(loaded, "espaces")
        assert status == "failed" and server.url in message
        assert not list((loaded / "tmp").glob("*"))  # no partial download left behind
        return
    summary = espaces(home=str(loaded))
    assert summary["status"] == "published" and summary["as_of"] == date.today().isoformat()
    assert summary["changes"] == {
        "open before": 10,
        "open after": 10,
        "opened": 0,
        "closed": 0,
        "changed": 0,
    }
    assert last_load(loaded, "espaces")[0] == "published"


def test_download_over_the_size_cap_is_refused_without_retry(
    loaded: Path, httpserver: HTTPServer
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    write_settings(loaded, espaces=httpserver.url_for("/listing.csv"))
    httpserver.expect_request("/listing.csv").respond_with_data(b"x" * 100_001)
    with pytest.raises(LoadFailed, match="exceeds the cap of 100000 bytes"):
        espaces(home=str(loaded))
    assert len(httpserver.log) == 1  # a refusal, not a transient failure: no retry
    assert published_state(loaded, PUBLISHED_TABLES) == before
    assert last_load(loaded, "espaces")[0] == "failed"


# --- espaces: files that drift, served by the live source ----------------------------------

CP1252_NAME = "France services L’Œuvre – Valserhône"  # ’ Œ – exist in Windows-1252 only
LATIN1_NAME = "France services Valserhône « Ré »"


def _variant(kind: str) -> bytes:
    if kind == "utf8-bom":
        return b"\xef\xbb\xbf" + LISTING.encode("utf-8")
    if kind == "semicolon":
        return csv_text(rows_of(LISTING), delimiter=";").encode("utf-8")
    if kind == "windows-1252":
        return set_cell(LISTING, "1", "lib_fs", CP1252_NAME).encode("cp1252")
    if kind == "latin-1":
        return set_cell(LISTING, "1", "lib_fs", LATIN1_NAME).encode("latin-1")
    if kind == "renamed-by-alias":
        renames = {"lib_fs": "Nom", "code_postal": "CP", "telephone": "Tél", "mail": "Courriel"}
        return rename_header(LISTING, renames).encode("utf-8")
    if kind == "optional-column-removed":
        return drop_column(LISTING, "telephone").encode("utf-8")
    if kind == "lat-lon-swapped":
        return swap_coordinates(LISTING, "2").encode("utf-8")
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "changed"),
    [
        ("utf8-bom", 0),
        ("semicolon", 0),
        ("windows-1252", 1),  # espace 1 renamed in the variant
        ("latin-1", 1),
        ("renamed-by-alias", 0),
        ("optional-column-removed", 10),  # every phone number is gone: a real change
        ("lat-lon-swapped", 0),  # corrected back, flagged
    ],
)
def test_drifting_file_is_read_as_the_clean_one(
    loaded: Path, httpserver: HTTPServer, kind: str, changed: int
) -> None:
    write_settings(loaded, espaces=httpserver.url_for("/listing.csv"))
    httpserver.expect_request("/listing.csv").respond_with_data(_variant(kind))
    summary = espaces(home=str(loaded))
    assert summary["status"] == "published", summary["message"]
    assert (summary["changes"]["opened"], summary["changes"]["closed"]) == (0, 0)
    assert summary["changes"]["changed"] == changed
    current = dict(query(loaded, "select espace_id, name from marts.espaces_current"))
    expected_name = {"windows-1252": CP1252_NAME, "latin-1": LATIN1_NAME}.get(
        kind, "France services Valserhône"
    )
    assert current["1"] == expected_name and len(current) == 10
    if kind == "optional-column-removed":
        assert query(loaded, "select count(phone) from marts.espaces_current") == [(0,)]
    if kind == "lat-lon-swapped":
        assert summary["warnings"]["coordinates_swapped"] == 1
        # The corrected pair equals the version in force, so no new version: the raw row
        # of this load carries the check.
        assert query(
            loaded,
            "select latitude, longitude, coordinates_check from raw.espaces "
            "where espace_id = '2' and load_id = ?",
            [summary["load_id"]],
        ) == [(46.205167, 5.2255, "swapped")]


@pytest.mark.parametrize(
    ("kind", "content", "rule"),
    [
        ("empty-body", b"", "file_not_empty"),
        ("utf-16", LISTING.encode("utf-16"), "file_parseable"),
        (
            "identifier-renamed-unknown",
            rename_header(LISTING, {"id_fs": "identifiant_espace"}).encode(),
            "identifier_column_present",
        ),
        (
            "required-renamed-unknown",
            rename_header(LISTING, {"lib_fs": "designation"}).encode(),
            "required_column_present",
        ),
        ("duplicated-ids", duplicate_row(LISTING, "2").encode(), "identifiers_unique"),
        ("ten-times-the-rows", explode(LISTING, 10).encode(), "row_count_guard"),
    ],
)
def test_bad_file_is_refused_naming_file_and_rule(
    loaded: Path, httpserver: HTTPServer, kind: str, content: bytes, rule: str
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    write_settings(loaded, espaces=httpserver.url_for("/listing.csv"))
    httpserver.expect_request("/listing.csv").respond_with_data(content)
    with pytest.raises(LoadRefused) as refused:
        espaces(home=str(loaded))
    kept = f"{date.today().isoformat()}_{hashlib.sha256(content).hexdigest()[:16]}.csv"
    assert rule in str(refused.value) and kept in str(refused.value)
    assert (loaded / "rejected" / "espaces" / kept).read_bytes() == content
    assert published_state(loaded, PUBLISHED_TABLES) == before
    status, message = last_load(loaded, "espaces")
    assert status == "rejected" and rule in message and kept in message
    if rule == "row_count_guard":
        assert "accept-row-count" in message


# --- the other live sources ------------------------------------------------------------------

ETALAB_CSV = (
    ",code_insee,nom_standard,typecom,reg_code,dep_code,population,latitude_mairie,"
    "longitude_mairie,latitude_centre,longitude_centre,grille_densite,grille_densite_texte\n"
    "0,01901,Bourg-la-Plaine,COM,84,01,38250,46.2052,5.2255,46.2150,5.2310,2,"
    "Centres urbains intermédiaires\n"
).encode()


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        (["reset", "ok"], "published"),
        (["short", "ok"], "published"),
        (["timeout"], "failed"),
    ],
)
def test_communes_refresh_network_faults(
    loaded: Path, faulty_server: Callable[..., FaultyServer], script: list[str], outcome: str
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    server = faulty_server(ETALAB_CSV, script)
    write_settings(loaded, communes=server.url)
    if outcome == "failed":
        with pytest.raises(LoadFailed, match="fetch failed"):
            communes(home=str(loaded))
        assert published_state(loaded, PUBLISHED_TABLES) == before
    else:
        assert communes(home=str(loaded))["status"] == "published"
    assert last_load(loaded, "communes")[0] == outcome


@pytest.mark.parametrize(
    ("content", "rule"),
    [(b"", "file_not_empty"), (b"<!doctype html><title>502</title>", "file_parseable")],
)
def test_communes_refresh_refuses_a_non_file(
    loaded: Path, httpserver: HTTPServer, content: bytes, rule: str
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    write_settings(loaded, communes=httpserver.url_for("/communes.csv"))
    httpserver.expect_request("/communes.csv").respond_with_data(content)
    with pytest.raises(LoadRefused, match=rule):
        communes(home=str(loaded))
    assert published_state(loaded, PUBLISHED_TABLES) == before
    assert last_load(loaded, "communes")[0] == "rejected"


@pytest.mark.parametrize(
    ("respond", "match"),
    [
        (lambda: Response("busy", status=503), "503"),
        (lambda: Response(b"<html>maintenance</html>", content_type="text/html"), "not JSON"),
        (lambda: Response(b"x" * 100_001), "exceeds the cap"),
    ],
    ids=["5xx-every-attempt", "html-with-200", "over-the-size-cap"],
)
def test_observatoire_listing_faults_fail_cleanly(
    loaded: Path, httpserver: HTTPServer, respond: Callable[[], Response], match: str
) -> None:
    before = published_state(loaded, PUBLISHED_TABLES)
    write_settings(loaded, observatoire=httpserver.url_for("/api/1/datasets/observatoire/"))
    httpserver.expect_request("/api/1/datasets/observatoire/").respond_with_handler(
        lambda request: respond()
    )
    with pytest.raises(LoadFailed, match=match):
        observatoire(home=str(loaded))
    assert published_state(loaded, PUBLISHED_TABLES) == before
    status, message = last_load(loaded, "observatoire")
    assert status == "failed" and match in message
