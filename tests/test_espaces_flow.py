"""The `espaces` flow end to end: real Prefect runs, a real DuckDB file, real exports."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from flows.espaces import espaces
from flows.pipeline import LoadFailed, LoadRefused
from fsdata.config import sample_path
from fsdata.fetch import modified_day
from tests.helpers import DemoHomes, copy_home, published_state, query

pytestmark = pytest.mark.usefixtures("prefect_server")

SAMPLE_2020 = sample_path("espaces", "france_services_20200312.geojson")
SAMPLE_2023 = sample_path("espaces", "liste-fs-20231201.csv")
SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")


def ingest(home: Path, file: Path, as_of: str, **options: Any) -> dict[str, Any]:
    return espaces(home=str(home), file=str(file), as_of=as_of, **options)


# What a refused load must leave as it was: these tables and exports/espaces.
ESPACES_TABLES = (
    "core.espaces",
    "marts.espaces_current",
    "marts.network_by_departement",
    "meta.snapshots",
    "raw.espaces",
)


@pytest.fixture
def demo_home(demo_homes: DemoHomes, tmp_path: Path) -> Path:
    return copy_home(demo_homes("espaces"), tmp_path, "demo-home")


def history(home: Path) -> list[tuple[Any, ...]]:
    return query(
        home,
        "select espace_id, valid_from, valid_to, attributes_hash from core.espaces order by all",
    )


def test_demo_samples_build_the_history(demo_homes: DemoHomes) -> None:
    home, summaries = demo_homes("espaces"), demo_homes.summaries("espaces")
    assert [s["status"] for s in summaries] == ["published"] * 3
    assert summaries[1]["changes"]["opened"] == 2  # espaces 10 and 11
    assert summaries[2]["changes"]["closed"] == 1  # espace 3
    assert summaries[2]["rows_quarantined"] == 1  # the row without identifier
    assert summaries[2]["warnings"] == {"postcode_wellformed": 1}
    assert summaries[0]["warnings"] == {"coordinates_swapped": 1}

    open_by_date = query(
        home,
        """
        select s.as_of, count(e.espace_id) from meta.snapshots s
        left join core.espaces e on e.valid_from <= s.as_of
            and (e.valid_to is null or s.as_of < e.valid_to)
        group by s.as_of order by s.as_of
        """,
    )
    assert open_by_date == [
        (date(2020, 3, 12), 9),
        (date(2023, 12, 1), 11),
        (date(2024, 8, 1), 10),
    ]
    closed = "select max(valid_to) from core.espaces where espace_id = '3'"
    assert query(home, closed) == [(date(2024, 8, 1),)]
    assert query(home, "select count(*) from marts.espaces_current") == [(10,)]
    swapped = query(
        home,
        "select latitude, longitude, quality_flags from core.espaces "
        "where espace_id = '8' order by valid_from limit 1",
    )
    assert swapped == [(-20.882057, 55.450675, ["coordinates_swapped"])]
    quarantine = query(home, "select rule, source_row from meta.quarantine")
    assert quarantine == [("identifier_present", 11)]
    department = query(
        home,
        """
        select n_open, n_principal, n_antenne, n_opened, n_closed, n_changed
        from marts.network_by_departement where as_of = '2024-08-01' and insee_dep = '01'
        """,
    )
    assert department == [(3, 3, 0, 0, 1, 3)]
    loads = query(home, "select status, rows_read, rows_loaded from meta.loads order by load_id")
    assert loads == [("published", 9, 9), ("published", 11, 11), ("published", 11, 10)]
    names = sorted(p.name for p in (home / "exports" / "espaces").iterdir())
    assert names == [
        f"{n}.{ext}"
        for n in ("espaces_current", "espaces_history", "network_by_departement")
        for ext in ("csv", "parquet")
    ]
    archived = sorted(p.name[:10] for p in (home / "raw" / "espaces").iterdir())
    assert archived == ["2020-03-12", "2023-12-01", "2024-08-01"]


def test_loading_the_same_file_twice_changes_nothing(home: Path) -> None:
    ingest(home, SAMPLE_2023, "2023-12-01")
    before = published_state(home, ESPACES_TABLES, "espaces")
    again = ingest(home, SAMPLE_2023, "2023-12-01")
    assert again["status"] == "unchanged"
    assert published_state(home, ESPACES_TABLES, "espaces") == before
    assert query(home, "select status from meta.loads order by load_id") == [
        ("published",),
        ("unchanged",),
    ]


def test_backfilling_an_older_date_rebuilds_the_same_history(home: Path, tmp_path: Path) -> None:
    in_order = tmp_path / "in-order"
    in_order.mkdir()
    samples = [
        (SAMPLE_2020, "2020-03-12"),
        (SAMPLE_2023, "2023-12-01"),
        (SAMPLE_2024, "2024-08-01"),
    ]
    for file, as_of in samples:
        ingest(in_order, file, as_of)
    for file, as_of in (samples[2], samples[0], samples[1]):
        ingest(home, file, as_of)
    assert history(home) == history(in_order)
    mart = "select * exclude (previous_as_of) from marts.network_by_departement order by all"
    assert query(home, mart) == query(in_order, mart)


def test_a_new_file_for_a_loaded_date_replaces_that_snapshot(home: Path) -> None:
    ingest(home, SAMPLE_2020, "2020-03-12")
    ingest(home, SAMPLE_2023, "2023-12-01")
    # a corrected listing for 2023-12-01: the 2024 file (espace 3 gone) stands in for it
    ingest(home, SAMPLE_2024, "2023-12-01")
    assert query(home, "select count(*) from meta.snapshots") == [(2,)]
    assert query(home, "select count(*) from marts.espaces_current") == [(10,)]
    assert query(home, "select valid_to from core.espaces where espace_id = '3'") == [
        (date(2023, 12, 1),)
    ]


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"lib_fs,insee_com\nA,01033\n", "identifier_column_present"),
        (b"id_fs,insee_com\n1,01033\n", "required_column_present"),
        (b"id_fs,lib_fs,insee_com\n1,A,01033\n1,B,01033\n", "identifiers_unique"),
        (b"id_fs,lib_fs,insee_com\n", "rows_present"),
        (b"", "file_not_empty"),
        (b"<html><body>503 Service Unavailable</body></html>", "file_parseable"),
        (b"id_fs,lib_fs,insee_com\n1,A,01033\n2,B,01033\n", "row_count_guard"),
    ],
)
def test_refused_files_publish_nothing(
    demo_home: Path, tmp_path: Path, content: bytes, rule: str
) -> None:
    home = demo_home
    before = published_state(home, ESPACES_TABLES, "espaces")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(LoadRefused) as refused:
        ingest(home, bad, "2024-09-01")
    assert rule in str(refused.value) and "bad.csv" in str(refused.value)
    assert published_state(home, ESPACES_TABLES, "espaces") == before
    last = query(home, "select status, message from meta.loads order by load_id desc limit 1")
    assert last[0][0] == "rejected" and rule in last[0][1]
    failed_rules = query(
        home,
        "select rule, rule_class from meta.validation_results where not success and load_id = "
        "(select max(load_id) from meta.loads)",
    )
    assert (rule, "blocking") in failed_rules


def test_row_count_guard_can_be_overridden_for_one_load(demo_home: Path, tmp_path: Path) -> None:
    home = demo_home
    small = tmp_path / "small.csv"
    small.write_text("id_fs,lib_fs,insee_com\n1,A,01033\n2,B,01033\n", "utf-8")
    with pytest.raises(LoadRefused, match="accept-row-count"):
        ingest(home, small, "2024-09-01")
    summary = ingest(home, small, "2024-09-01", accept_row_count=True)
    assert summary["status"] == "published" and summary["changes"]["closed"] == 8
    options = query(home, "select options->>'accept_row_count' from meta.loads order by load_id")
    assert [o[0] for o in options][-2:] == ["false", "true"]


def test_cli_exit_codes_and_reasons(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fsdata.cli import main

    ok = ["ingest", "espaces", str(SAMPLE_2020), "--as-of", "2020-03-12", "--home", str(home)]
    assert main(ok) == 0
    bad = tmp_path / "noid.csv"
    bad.write_text("lib_fs,insee_com\nA,01033\n", "utf-8")
    code = main(["ingest", "espaces", str(bad), "--as-of", "2020-04-01", "--home", str(home)])
    assert code == 2
    assert "identifier_column_present" in capsys.readouterr().err
    assert main(["ingest", "espaces", str(bad), "--home", str(home)]) == 1
    assert "--as-of" in capsys.readouterr().err


def write_settings(home: Path, url: str) -> None:
    (home / "fsdata.toml").write_text(
        f'retry_delays = [0, 0, 0]\nread_timeout = 1.0\n\n[sources]\nespaces = "{url}"\n',
        "utf-8",
    )


def test_refresh_from_a_live_server(home: Path, httpserver: HTTPServer) -> None:
    body = SAMPLE_2024.read_bytes()
    write_settings(home, httpserver.url_for("/fr/datasets/r/listing"))
    httpserver.expect_ordered_request("/fr/datasets/r/listing").respond_with_data(
        "busy", status=503
    )
    httpserver.expect_ordered_request("/fr/datasets/r/listing").respond_with_data(
        body, headers={"ETag": '"a1"', "Content-Type": "text/csv"}
    )
    first = espaces(home=str(home))
    assert first["status"] == "published" and first["rows_loaded"] == 10
    assert first["as_of"] == date.today().isoformat()

    httpserver.clear()
    httpserver.expect_request(
        "/fr/datasets/r/listing", headers={"If-None-Match": '"a1"'}
    ).respond_with_response(Response(status=304))
    assert espaces(home=str(home))["status"] == "unchanged"

    httpserver.clear()  # a server that ignores validators: same content, same checksum
    httpserver.expect_request("/fr/datasets/r/listing").respond_with_data(body)
    assert espaces(home=str(home))["status"] == "unchanged"
    statuses = query(home, "select status from meta.loads order by load_id")
    assert statuses == [("published",), ("unchanged",), ("unchanged",)]


def test_refresh_failures_publish_nothing(demo_home: Path, httpserver: HTTPServer) -> None:
    home = demo_home
    before = published_state(home, ESPACES_TABLES, "espaces")
    write_settings(home, httpserver.url_for("/listing"))
    httpserver.expect_request("/listing").respond_with_data("no", status=404)
    with pytest.raises(LoadFailed, match="404"):
        espaces(home=str(home))
    httpserver.clear()
    httpserver.expect_request("/listing").respond_with_data("down", status=502)
    with pytest.raises(LoadFailed, match="502"):
        espaces(home=str(home))
    assert len(httpserver.log) == 4  # 1 attempt + 3 retries: 5xx is retried, 404 is not
    httpserver.clear()
    httpserver.expect_request("/listing").respond_with_data(b"<html>maintenance</html>")
    with pytest.raises(LoadRefused, match="HTML"):
        espaces(home=str(home))
    assert published_state(home, ESPACES_TABLES, "espaces") == before
    statuses = query(home, "select status from meta.loads where load_id > 3 order by load_id")
    assert statuses == [("failed",), ("failed",), ("rejected",)]


@pytest.mark.realdata
def test_real_history_open_counts_match_each_snapshot(home: Path, shared_data: Path) -> None:
    folder = shared_data / "espaces"
    loads: list[tuple[Path, str]] = []
    for path in sorted(folder.glob("history-2020/*.geojson")):
        stamp = path.name.split("_")[2]
        loads.append((path, f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"))
    loads += [
        (folder / "france_services_20201012.geojson", "2020-10-12"),
        (folder / "liste-fs-20240801.csv", "2024-08-01"),
    ]
    refused, accepted_with_override = [], []
    for path, as_of in loads:
        try:
            ingest(home, path, as_of)
        except LoadRefused as exc:
            if "row_count_guard" in str(exc):
                ingest(home, path, as_of, accept_row_count=True)
                accepted_with_override.append(as_of)
            else:
                refused.append((path.name, str(exc)))
    assert len(refused) == 1 and "identifier_column_present" in refused[0][1]
    assert accepted_with_override == ["2024-08-01"]

    expected = dict(
        query(
            home,
            "select s.as_of, l.rows_loaded from meta.snapshots s join meta.loads l using (load_id)",
        )
    )
    open_counts = dict(
        query(
            home,
            """
            select s.as_of, count(e.espace_id) from meta.snapshots s
            join core.espaces e on e.valid_from <= s.as_of
                and (e.valid_to is null or s.as_of < e.valid_to)
            group by s.as_of
            """,
        )
    )
    assert open_counts == expected
    assert expected[date(2024, 8, 1)] == 2845 and expected[date(2020, 10, 12)] == 908
    assert len(expected) == 13  # same-day files replace each other: 15 loaded, 11 dates + 2
    mart_totals = dict(
        query(home, "select as_of, sum(n_open) from marts.network_by_departement group by 1")
    )
    assert mart_totals == expected


def test_raw_archive_is_immutable(home: Path) -> None:
    ingest(home, SAMPLE_2020, "2020-03-12")
    archived = next((home / "raw" / "espaces").iterdir())
    assert archived.read_bytes() == SAMPLE_2020.read_bytes()
    assert not archived.stat().st_mode & 0o222
    copy = home / "copy.geojson"
    shutil.copyfile(SAMPLE_2020, copy)
    ingest(home, copy, "2020-03-12")  # unchanged: the archive is not rewritten
    assert len(list((home / "raw" / "espaces").iterdir())) == 1


def test_a_refreshed_listing_is_dated_by_its_last_modification(
    home: Path, httpserver: HTTPServer
) -> None:
    updated = date.today() - timedelta(days=3)
    write_settings(home, httpserver.url_for("/fr/datasets/r/listing"))
    httpserver.expect_request("/fr/datasets/r/listing").respond_with_data(
        SAMPLE_2024.read_bytes(),
        headers={
            "Last-Modified": format_datetime(
                datetime(updated.year, updated.month, updated.day, 9, tzinfo=UTC), usegmt=True
            )
        },
    )
    summary = espaces(home=str(home))
    assert summary["as_of"] == updated.isoformat()
    assert query(home, "select max(as_of) from meta.snapshots where source = 'espaces'") == [
        (updated,)
    ]


def test_listing_date_rules() -> None:
    today, latest = date(2026, 11, 28), date(2026, 11, 20)
    assert modified_day(None, today, latest) == today
    assert modified_day("not a date", today, latest) == today
    # 23:30 UTC on the 24th is already the 25th in Paris.
    assert modified_day("Tue, 24 Nov 2026 23:30:00 GMT", today, latest) == date(2026, 11, 25)
    assert modified_day("Fri, 20 Nov 2026 08:00:00 GMT", today, latest) == latest
    assert modified_day("Thu, 19 Nov 2026 08:00:00 GMT", today, latest) == today  # before it
    assert modified_day("Sun, 29 Nov 2026 08:00:00 GMT", today, latest) == today  # future
    assert modified_day("Thu, 19 Nov 2026 08:00:00 GMT", today, None) == date(2026, 11, 19)
