"""The footfall flow end to end: real DuckDB, real Prefect runs, the bundled espace samples.

Every validation rule is broken by a file through the flow; corrections, idempotent reloads,
refusals (exports byte-identical), partner aliases, and the demo marts recomputed from the
SYNTHETIC feed file itself.
"""

from __future__ import annotations

import gc
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from flows.footfall import footfall
from flows.pipeline import LoadRefused
from fsdata.config import sample_path
from tests.helpers import DemoHomes, copy_home, query
from warehouse.analyst_db import build_analyst_database
from warehouse.db import connect
from warehouse.footfall import refresh_monthly
from warehouse.release_files import verify_release

DEMO = sample_path("footfall", "footfall-SYNTHETIC-demo.csv")
HEADER = "espace_id,month,partner,requests,resolved,redirected"


@pytest.fixture(scope="module")
def base_home(demo_homes: DemoHomes) -> Path:
    """Espaces (three sample listings) and the partner catalogue loaded (shared: read only)."""
    return demo_homes("espaces", "partners")


@pytest.fixture
def loaded_home(base_home: Path, tmp_path: Path) -> Path:
    """A private copy of the base home for a test that writes."""
    return copy_home(base_home, tmp_path)


@pytest.fixture(scope="module")
def demo_home(demo_homes: DemoHomes) -> Path:
    """The base home with the demo footfall feed loaded (shared: read only)."""
    return demo_homes("espaces", "partners", "footfall")


def feed(folder: Path, lines: list[str], name: str = "feed.csv", header: str = HEADER) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def exports_snapshot(home: Path) -> dict[str, bytes]:
    folder = home / "exports" / "footfall"
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


# --- the demo feed, recomputed independently from the file -------------------------------------


@pytest.fixture(scope="module")
def demo_rows() -> pl.DataFrame:
    """The demo file as plain CSV, minus the rows of espace 10 before it opened (2023-12-01)."""
    rows = pl.read_csv(DEMO, schema_overrides={"espace_id": pl.String, "partner": pl.String})
    return rows.filter(~((pl.col("espace_id") == "10") & (pl.col("month") < "2023-12")))


def test_demo_france_totals_match_the_file(demo_home: Path, demo_rows: pl.DataFrame) -> None:
    totals = demo_rows.filter(pl.col("partner").is_null())
    for month in ("2023-01", "2024-03", "2024-10"):
        expected = totals.filter(pl.col("month") == month)
        got = query(
            demo_home,
            "select requests, resolved, resolution_rate, n_espaces from marts.footfall_monthly "
            "where level = 'france' and partner is null and month = ?",
            [date.fromisoformat(month + "-01")],
        )
        assert got, month
        requests, resolved, rate, n_espaces = got[0]
        assert requests == expected["requests"].sum()
        assert resolved == expected["resolved"].sum()
        assert rate == pytest.approx(100 * expected["resolved"].sum() / expected["requests"].sum())
        assert n_espaces == expected.height


def test_demo_per_partner_totals_follow_aliases(demo_home: Path, demo_rows: pl.DataFrame) -> None:
    # The operators wrote ANTS before 2024 and France Titres after: one partner, one series.
    codes = {"ANTS": "FRANCE_TITRES", "France Titres": "FRANCE_TITRES", "CNAF": "CNAF"}
    parts = demo_rows.filter(pl.col("partner").is_not_null()).with_columns(
        pl.col("partner").replace(codes).alias("code")
    )
    for code in ("FRANCE_TITRES", "CNAF"):
        expected = parts.filter(pl.col("code") == code)["requests"].sum()
        got = query(
            demo_home,
            "select sum(requests) from marts.footfall_monthly "
            "where level = 'france' and partner = ?",
            [code],
        )[0][0]
        assert got == expected, code


def test_demo_departement_region_and_rolling_totals(
    demo_home: Path, demo_rows: pl.DataFrame
) -> None:
    # Sample espaces 4, 5, 6 and 11 are in Corse-du-Sud (2A), région Corse (94).
    totals = demo_rows.filter(pl.col("partner").is_null())
    corse = totals.filter(pl.col("espace_id").is_in(["4", "5", "6", "11"]))
    expected = corse.filter(pl.col("month") == "2024-05")["requests"].sum()
    got = dict(
        query(
            demo_home,
            "select level, requests from marts.footfall_monthly where partner is null "
            "and month = date '2024-05-01' and code in ('2A', '94')",
        )
    )
    assert got == {"departement": expected, "region": expected}
    year_2023 = totals.filter(pl.col("month").str.starts_with("2023"))["requests"].sum()
    rolling = query(
        demo_home,
        "select requests_rolling_12m, requests_per_1000_inhabitants from marts.footfall_monthly "
        "where level = 'france' and partner is null and month = date '2023-12-01'",
    )[0]
    assert rolling == (year_2023, None)  # no communes loaded: no rate per inhabitant


def test_demo_quarantine_outlier_and_synthetic_marking(demo_home: Path) -> None:
    quarantined = query(
        demo_home,
        "select rule, record->>'espace_id', record->>'reason', load_id from meta.quarantine "
        "where source = 'footfall' order by source_row",
    )
    assert len(quarantined) == 5
    assert {(r[0], r[1], r[2]) for r in quarantined} == {
        ("espace_open_in_month", "10", "espace non ouvert pendant ce mois")
    }
    load_ids = query(demo_home, "select load_id from meta.loads where source = 'footfall'")
    assert {r[3] for r in quarantined} == {load_ids[0][0]}
    outliers = query(
        demo_home,
        "select espace_id, month, partner_code from core.footfall where is_outlier",
    )
    assert outliers == [("5", date(2024, 3, 1), None)]
    comment = query(
        demo_home,
        "select comment from duckdb_tables() "
        "where schema_name = 'core' and table_name = 'footfall'",
    )[0][0]
    assert "SYNTHÉTIQUE" in comment
    assert query(demo_home, "select bool_and(is_synthetic) from marts.footfall_monthly") == [
        (True,)
    ]
    readme = (demo_home / "exports" / "footfall" / "README.txt").read_text("utf-8")
    assert "SYNTHÉTIQUE" in readme
    message = query(demo_home, "select message from meta.loads where source = 'footfall'")[0][0]
    assert message.startswith("SYNTHETIC demo feed") and "espace 5 2024-03 total" in message
    parquet = pl.read_parquet(demo_home / "exports" / "footfall" / "footfall_monthly" / "*.parquet")
    assert parquet["is_synthetic"].all()
    assert parquet.height == query(demo_home, "select count(*) from marts.footfall_monthly")[0][0]


def test_demo_reconciliation_compares_official_figures(
    demo_home: Path, demo_rows: pl.DataFrame
) -> None:
    year_2023 = demo_rows.filter(
        pl.col("partner").is_null() & pl.col("month").str.starts_with("2023")
    )["requests"].sum()
    got = query(
        demo_home,
        "select official_value, feed_value, feed_months, is_synthetic "
        "from marts.footfall_reconciliation "
        "where figure_code = 'requests_per_year' and period_start = date '2023-01-01'",
    )
    assert got == [(9_000_000.0, float(year_2023), 12, True)]


# --- idempotence and corrections -------------------------------------------------------------


def test_same_file_twice_changes_nothing(prefect_server: None, loaded_home: Path) -> None:
    path = feed(loaded_home, ["1,2024-01,,300,250,30", "2,2024-01,CAF,50,45,3"])
    first = footfall(home=str(loaded_home), file=str(path))
    before = query(loaded_home, "select * exclude (load_id) from core.footfall order by all")
    again = footfall(home=str(loaded_home), file=str(path))
    assert (first["status"], again["status"]) == ("published", "unchanged")
    assert (
        query(loaded_home, "select * exclude (load_id) from core.footfall order by all") == before
    )
    assert query(loaded_home, "select count(*) from raw.footfall") == [(2,)]


def test_a_feed_is_not_held_in_memory_once_loaded(prefect_server: None, loaded_home: Path) -> None:
    """The parsed feed (its `row_key` column is its own) and its accepted rows are freed by the
    end of the load: nothing (Prefect's result store among others) keeps a ten-million-row
    feed's gigabyte through the marts' refresh and the release."""

    def feed_frames() -> set[int]:
        gc.collect()
        frames = [o for o in gc.get_objects() if isinstance(o, pl.DataFrame)]
        return {id(f) for f in frames if {"row_key", "quality_flags"} & set(f.columns)}

    before = feed_frames()  # another test's, if any
    path = feed(loaded_home, ["1,2024-01,,300,250,30", "2,2024-01,CAF,50,45,3"])
    assert footfall(home=str(loaded_home), file=str(path))["status"] == "published"
    assert feed_frames() <= before


def test_a_resent_month_replaces_that_month(prefect_server: None, loaded_home: Path) -> None:
    first = footfall(
        home=str(loaded_home),
        file=str(
            feed(
                loaded_home,
                ["1,2024-01,,300,250,30", "1,2024-01,CAF,50,45,3", "2,2024-01,,200,150,20"],
                "january.csv",
            )
        ),
    )
    correction = footfall(
        home=str(loaded_home),
        file=str(feed(loaded_home, ["1,2024-01,,310,260,30"], "correction.csv")),
    )
    rows = query(
        loaded_home,
        "select espace_id, partner_code, requests, load_id from core.footfall order by espace_id",
    )
    assert rows == [
        ("1", None, 310, correction["load_id"]),
        ("2", None, 200, first["load_id"]),
    ]
    # The replaced figures stay traceable in raw.
    assert query(loaded_home, "select count(*) from raw.footfall") == [(4,)]
    assert correction["changes"]["replaced"] == 1
    france = query(
        loaded_home,
        "select requests from marts.footfall_monthly where level = 'france' and partner is null",
    )
    assert france == [(510,)]


# --- every validation rule, through the flow --------------------------------------------------


def test_row_rules_quarantine_with_their_name(prefect_server: None, loaded_home: Path) -> None:
    lines = [
        "1,2024-01,,300,250,30",  # 1 good
        ",2024-01,,300,250,30",  # 2 espace id empty
        "2,2024-01,,-3,,",  # 3 negative count
        "2,mars 2024,,300,,",  # 4 month not parseable
        "2,2099-01,,300,,",  # 5 month in the future
        "4,2024-01,,100,120,",  # 6 resolved > requests
        "5,2024-01,Opérateur inconnu,10,5,",  # 7 unknown partner
        "6,2024-01,,100,80,40",  # 8 resolved + redirected > requests: warning, loaded
        "99,2024-01,,100,80,10",  # 9 espace unknown
        "3,2024-09,,100,80,10",  # 10 espace 3 closed on 2024-08-01
        "10,2023-11,,100,80,10",  # 11 espace 10 opened on 2023-12-01
        "3,2024-07,,100,80,10",  # 12 espace 3's last month: open
    ]
    summary = footfall(home=str(loaded_home), file=str(feed(loaded_home, lines)))
    rules = query(
        loaded_home,
        "select source_row, rule, record->>'reason' from meta.quarantine "
        "where source = 'footfall' order by source_row",
    )
    assert rules == [
        (2, "footfall_espace_id_present", None),
        (3, "footfall_counts_non_negative_integers", None),
        (4, "footfall_month_parseable", None),
        (5, "footfall_month_not_future", None),
        (6, "footfall_resolved_le_requests", None),
        (7, "footfall_partner_known", None),
        (9, "espace_open_in_month", "espace inconnu de l'historique des espaces (core.espaces)"),
        (10, "espace_open_in_month", "espace non ouvert pendant ce mois"),
        (11, "espace_open_in_month", "espace non ouvert pendant ce mois"),
    ]
    assert summary["rows_quarantined"] == 9 and summary["rows_loaded"] == 3
    loaded = query(
        loaded_home, "select source_row, quality_flags from core.footfall order by source_row"
    )
    assert loaded == [
        (1, []),
        (8, ["footfall_resolved_plus_redirected_le_requests"]),
        (12, []),
    ]
    assert summary["warnings"] == {"footfall_resolved_plus_redirected_le_requests": 1}


@pytest.mark.parametrize(
    ("lines", "header", "rule"),
    [
        (["1,2024-01,,300,250,30", "1,2024-01,,310,250,30"], HEADER, "footfall_key_unique"),
        (["1,2024-01,CAF,30,,", "1,2024-01,Caisse d'allocations familiales,31,,"], HEADER,
         "footfall_key_unique"),
        (["1,300"], "espace_id,requests", "required_column_present"),
        ([], HEADER, "file_not_empty"),
        (["1,2024-01,2024-02,300"], "espace_id,month,mois,requests", "column_names_unique"),
    ],
)  # fmt: skip
def test_blocking_rules_refuse_and_publish_nothing(
    prefect_server: None, loaded_home: Path, lines: list[str], header: str, rule: str
) -> None:
    footfall(
        home=str(loaded_home), file=str(feed(loaded_home, ["1,2024-01,,300,250,30"], "ok.csv"))
    )
    exports = exports_snapshot(loaded_home)
    core = query(loaded_home, "select * from core.footfall order by all")
    with pytest.raises(LoadRefused, match=rule):
        footfall(home=str(loaded_home), file=str(feed(loaded_home, lines, header=header)))
    assert exports_snapshot(loaded_home) == exports
    assert query(loaded_home, "select * from core.footfall order by all") == core
    status = query(
        loaded_home,
        "select status from meta.loads where source = 'footfall' order by load_id desc limit 1",
    )
    assert status == [("rejected",)]


def test_refused_before_any_espace_history(prefect_server: None, home: Path) -> None:
    with pytest.raises(LoadRefused, match="espaces_loaded"):
        footfall(home=str(home), file=str(feed(home, ["1,2024-01,,300,250,30"])))


def test_partner_aliases_map_to_codes(prefect_server: None, loaded_home: Path) -> None:
    lines = [
        "1,2024-02,Pôle emploi,10,8,1",
        "1,2024-02,france travail,5,4,1",
        "1,2024-03,ants,12,10,1",
        "1,2024-03,CAF,7,6,1",
    ]
    # "Pôle emploi" and "france travail" are one partner: the same key twice in one month.
    with pytest.raises(LoadRefused, match="footfall_key_unique"):
        footfall(home=str(loaded_home), file=str(feed(loaded_home, lines)))
    footfall(home=str(loaded_home), file=str(feed(loaded_home, lines[:1] + lines[2:], "ok.csv")))
    codes = query(
        loaded_home, "select month, partner_code from core.footfall order by month, partner_code"
    )
    assert codes == [
        (date(2024, 2, 1), "FRANCE_TRAVAIL"),
        (date(2024, 3, 1), "CNAF"),
        (date(2024, 3, 1), "FRANCE_TITRES"),
    ]


# --- a month rewrites its year, not the history -------------------------------------------------


def _year_parts(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return con.execute(
        f"select year(month), count(*), sum(hash(t)) from {table} as t group by 1 order by 1"
    ).fetchall()


def test_a_month_rewrites_only_its_year(
    prefect_server: None, demo_home: Path, tmp_path: Path
) -> None:
    """The demo feed spans 2023 and 2024: a corrected October 2024 rewrites the 2024 files of
    the footfall tables and leaves 2023's untouched; the analyst database, updated in place of a
    rebuild, holds what a rebuild holds; the monthly mart refreshed from that month is the mart
    recomputed from the first month."""
    home = copy_home(demo_home, tmp_path)
    exports = home / "exports"
    tables = {
        "footfall/footfall": "core.footfall",
        "footfall/footfall_monthly": "marts.footfall_monthly",
    }
    untouched = [
        exports / f"{stem}/2023{suffix}" for stem in tables for suffix in (".csv", ".parquet")
    ]
    rewritten = [
        exports / f"{stem}/2024{suffix}" for stem in tables for suffix in (".csv", ".parquet")
    ]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in untouched + rewritten}

    summary = footfall(home=str(home), file=str(feed(home, ["1,2024-10,,999,900,99"])))

    assert summary["status"] == "published"
    assert all((p.read_bytes(), p.stat().st_mtime_ns) == before[p] for p in untouched)
    assert all(p.read_bytes() != before[p][0] for p in rewritten)
    assert verify_release(exports)[1] == []
    package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    paths = {r["path"] for r in package["resources"]}
    assert {f"{stem}/{year}.csv" for stem in tables for year in (2023, 2024)} <= paths
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        published = {t: _year_parts(con, t) for t in tables.values()}
    for stem, table in tables.items():
        files = duckdb.sql(
            f"select year(month), count(*) from read_parquet('{exports / stem}/*.parquet') "
            "group by 1 order by 1"
        ).fetchall()
        assert files == [(year, rows) for year, rows, _ in published[table]]

    updated = exports / "france_services.duckdb"
    with connect(home / "warehouse.duckdb") as con:
        rebuilt_dir = tmp_path / "rebuilt"
        build_analyst_database(con, rebuilt_dir)
        con.execute("begin transaction")  # rolled back: the warehouse stays as published
        con.execute("create temp table incremental as select * from marts.footfall_monthly")
        refresh_monthly(con, date(2000, 1, 1))
        differ = con.execute(
            "select (select count(*) from (select * from incremental except all "
            "select * from marts.footfall_monthly)), (select count(*) from (select * from "
            "marts.footfall_monthly except all select * from incremental))"
        ).fetchall()
        con.execute("rollback")
    assert differ == [(0, 0)]
    for path in (updated, rebuilt_dir / "france_services.duckdb"):
        with duckdb.connect(str(path), read_only=True) as analyst:
            assert {t: _year_parts(analyst, t) for t in tables.values()} == published
            held = analyst.execute("select count(*) from meta.table_parts").fetchall()[0][0]
            assert held > 0
