"""The real public files bundled under fsdata/data: unchanged bytes, declared, small enough."""

from __future__ import annotations

import gzip
import hashlib
from datetime import date
from pathlib import Path

import pytest

from fsdata import realdata


def test_every_bundled_file_decompresses_to_the_declared_bytes(tmp_path: Path) -> None:
    for entry in realdata.BUNDLED:
        path = realdata.extract(entry, tmp_path)
        data = path.read_bytes()
        assert path.name == entry.name
        assert len(data) == entry.size, entry.name
        assert hashlib.sha256(data).hexdigest() == entry.sha256, entry.name


def test_the_bundle_is_what_the_declaration_lists_and_stays_under_5_mb() -> None:
    folder = realdata.data_dir()
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.gz")}
    assert on_disk == {entry.bundled_name for entry in realdata.BUNDLED}
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total <= realdata.MAX_BUNDLE_BYTES, f"{total} bytes"
    assert (folder / "README.md").is_file()


def test_the_declaration_says_how_each_file_is_loaded() -> None:
    history = realdata.files("espaces")
    assert len(history) == 18  # 16 versions of 2020, 2020-10-12, 2024-08-01
    # load order: oldest first, same-day versions in publication order (the later one wins)
    assert [e.name for e in history] == [
        *sorted(e.name for e in history[:16]),
        "france_services_20201012.geojson",
        "liste-fs-20240801.csv",
    ]
    dates = [e.as_of for e in history]
    assert dates == sorted(dates)  # type: ignore[type-var]
    refused = [e for e in history if e.refused_by]
    assert [(e.as_of, e.refused_by) for e in refused] == [
        (date(2020, 1, 2), "identifier_column_present")
    ]
    loaded_dates = {e.as_of for e in history if not e.refused_by}
    assert len(loaded_dates) == 13  # 15 loadable 2020 versions on 11 days, then two listings
    assert realdata.BY_NAME["france_services_20200206T1719_fbe2109.geojson"].as_of == date(
        2020, 2, 6
    )
    assert realdata.BY_NAME["liste-fs-20240801.csv"].options == {"accept_row_count": True}
    assert realdata.BY_NAME["communes-2021.csv"].vintage == 2021
    assert realdata.BY_NAME["observatoire-2-edition-11-octobre-2025-.xlsx"].edition == "2025-10"
    assert len(realdata.files("barometre")) == 4


def test_a_damaged_bundle_never_yields_a_file(tmp_path: Path, monkeypatch) -> None:
    entry = realdata.BY_NAME["barometre-resultats-synthese-national.csv"]
    fake = tmp_path / "bundle"
    (fake / "barometre").mkdir(parents=True)
    (fake / entry.bundled_name).write_bytes(gzip.compress(b"mesure,indicateur\nnot,it\n"))
    monkeypatch.setattr(realdata, "data_dir", lambda: fake)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="bundle_checksum"):
        realdata.extract(entry, out)
    assert not any(out.iterdir())
    with pytest.raises(KeyError, match="no bundled file"):
        realdata.extract("nothing.csv", out)


def test_the_bundle_rebuilds_identically_from_the_published_files(
    shared_data: Path, tmp_path: Path
) -> None:
    written = realdata.bundle_from(shared_data, tmp_path)
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (realdata.data_dir() / relative).read_bytes(), relative


def test_the_bundled_history_loads_as_declared_and_reconciles(tmp_path: Path) -> None:
    """Every listing as the declaration says (refused, date, row-count option), then the
    baromètre: the 13 snapshot dates, and 856 = 856 at the 2020 date."""
    import polars as pl

    from expectations.runner import split_rows, validate
    from fsdata.config import Settings
    from transforms.barometre import read_barometre
    from transforms.errors import SourceFormatError
    from transforms.espaces import parse_listing
    from warehouse import barometre, espaces, history
    from warehouse.db import begin_load, connect, refresh_downstream, transaction

    settings = Settings()
    previous_rows = None
    with connect(tmp_path / "warehouse.duckdb") as con:
        for entry in realdata.files("espaces"):
            path = realdata.extract(entry, tmp_path / "files")
            try:
                frame = parse_listing(path)
            except SourceFormatError as refused:
                assert refused.rule == entry.refused_by, entry.name
                continue
            assert entry.refused_by is None, entry.name
            # the row-count guard against the snapshot before (the loads go oldest first)
            if previous_rows is not None:
                within = (
                    previous_rows * (1 - settings.row_count_max_fall)
                    <= frame.height
                    <= previous_rows * settings.row_count_max_rise
                )
                assert within != bool(entry.options.get("accept_row_count")), entry.name
            previous_rows = frame.height
            frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags"))
            with transaction(con):
                load_id = begin_load(con, "espaces", as_of=entry.as_of)
                espaces.write_snapshot(
                    con, load_id=load_id, as_of=entry.as_of, accepted=frame, quarantined=[]
                )
            refresh_downstream(con, ("raw/espaces",), entry.as_of)
        snapshots = con.execute("select as_of from meta.snapshots order by 1").fetchall()
        assert len(snapshots) == 13
        for (day,) in snapshots:  # the espaces open each day are that day's listing
            file = max(
                e.name for e in realdata.files("espaces") if e.as_of == day and not e.refused_by
            )
            assert (
                history.open_count(con, espaces.HISTORY, day)
                == parse_listing(tmp_path / "files" / file).height
            )

        frame = read_barometre([realdata.extract(e, tmp_path) for e in realdata.files("barometre")])
        rows = split_rows(frame, validate(frame, "barometre"))
        accepted, quarantined = rows.accepted, rows.quarantined
        with transaction(con):
            load_id = begin_load(con, "barometre")
            barometre.publish_series(con, load_id=load_id, frame=accepted, quarantined=quarantined)
            refresh_downstream(con, ("core/barometre", "core/barometre_targets"))
        france = con.execute(
            "select date, official_value, listing_date, listing_compared, flag "
            "from marts.network_reconciliation where level = 'france' and date <= '2020-10-31' "
            "order by date"
        ).fetchall()
    assert france[8] == (date(2020, 9, 30), 856.0, date(2020, 10, 12), 856, "agrees")
    # the untyped listing of 2020-02-06 already held the 534 of the end of February
    assert france[0] == (date(2020, 1, 31), 460.0, date(2020, 2, 6), 534, "differs")
    assert [row[4] for row in france] == [
        "differs", "agrees", "agrees", "agrees", "agrees", "agrees",
        "listing_too_far", "agrees", "agrees", "agrees",
    ]  # fmt: skip
