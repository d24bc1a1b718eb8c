"""The baromètre: its files into the canonical frame, the suite's three classes of rules, and
in a real DuckDB warehouse the series in force, the targets and the reconciliation with the
espace history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from expectations.runner import split_rows, validate
from fsdata.config import sample_path
from transforms.barometre import CANONICAL_COLUMNS, INDICATOR, read_barometre
from transforms.errors import SourceFormatError
from transforms.espaces import parse_listing
from warehouse import barometre as store
from warehouse import espaces as espaces_store
from warehouse.db import begin_load, connect, refresh_downstream, transaction

MEASURE = "Déployer une offre France services dans tous les territoires "
LABEL = "Nombre de labellisations (atteinte de l'objectif fixé)"
NATIONAL_HEADER = "mesure,indicateur,id_indicateur,maille_geographique,date,valeur,unite"
REGIONAL_HEADER = "mesure,indicateur,id_indicateur,code_region,libelle_region,date,valeur,unite"
DEPARTEMENTAL_HEADER = (
    "mesure,indicateur,id_indicateur,code_departement,libelle_departement,date,valeur,unite"
)
SYNTHESE_HEADER = (
    "mesure,indicateur,id_indicateur,maille_geographique,valeur_actuelle,date_valeur_actuelle,"
    "valeur_initiale,date_valeur_initiale,progression,pourcentage_progression,"
    "progression_derniere_maj,pourcentage_progression_derniere_maj,"
    "progression_derniere_maj_date,cible,pourcentage_cible,date_cible,unite"
)


def fs_row(*cells: str) -> str:
    return ",".join([MEASURE, f'"{LABEL}"', INDICATOR, *cells])


def write(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def national(folder: Path, rows: list[tuple[str, str]] | None = None) -> Path:
    values = rows or [("2020-01-31", "460.0"), ("2020-02-29", "534.0"), ("2020-09-30", "856.0")]
    other = [
        "Allonger le congé paternité,Nombre de pères,nb-peres-conge-paternite,national,"
        "2020-01-31,74396.0,pères",
        fs_row("departemental", "2020-01-31", "5.0", "labellisations"),  # not France's row
    ]
    lines = other + [fs_row("national", day, value, "labellisations") for day, value in values]
    return write(folder, "detail-national.csv", NATIONAL_HEADER, lines)


def departemental(folder: Path, rows: list[tuple[str, str, str]], name: str = "dep.csv") -> Path:
    lines = [fs_row(code, f"Dép {code}", day, value, "labellisations") for code, day, value in rows]
    return write(folder, name, DEPARTEMENTAL_HEADER, lines)


def synthese(folder: Path) -> Path:
    row = fs_row(
        "national", "2538.0", "2022-12-31", "460.0", "2020-01-31", "2078.0", "452.0", "856.0",
        "196.0", "2020-09-30", "2543.0", "100.0", "2022-12-31", "labellisations",
    )  # fmt: skip
    return write(folder, "synthese.csv", SYNTHESE_HEADER, [row, row])  # published twice


def test_each_kind_of_file_and_the_set_become_one_canonical_frame(tmp_path: Path) -> None:
    regional = write(
        tmp_path,
        "reg.csv",
        REGIONAL_HEADER,
        [fs_row("84", "Auvergne-Rhône-Alpes", "2020-01-31", "51.0", "labellisations")],
    )
    files = [
        national(tmp_path),
        regional,
        departemental(tmp_path, [("1", "2020-01-31", "1.0"), ("2a", "2020-01-31", "2.0")]),
        synthese(tmp_path),
    ]
    frame = read_barometre(files)
    assert frame.columns == list(CANONICAL_COLUMNS)
    assert frame["indicator_id"].unique().to_list() == [INDICATOR]  # the other indicator is out
    rows = {(r["kind"], r["level"], r["code"], r["date"]): r for r in frame.iter_rows(named=True)}
    assert rows["observed", "france", "FR", date(2020, 9, 30)]["value"] == 856.0
    assert rows["observed", "region", "84", date(2020, 1, 31)]["label"] == "Auvergne-Rhône-Alpes"
    assert ("observed", "departement", "01", date(2020, 1, 31)) in rows  # "1" padded
    assert ("observed", "departement", "2A", date(2020, 1, 31)) in rows
    target = rows["target", "france", "FR", date(2022, 12, 31)]
    assert target["value"] == 2543.0
    assert frame.filter(pl.col("kind") == "target").height == 1  # the repeated row once
    assert set(frame["measure"]) == {MEASURE.strip()}
    assert frame["source_row"].min() == 2
    assert validate(frame, "barometre", engine="gx").summary() == "all rules passed"

    one = read_barometre(files[0])
    assert one.height == 3 and set(one["level"]) == {"france"}


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        ("code_commune,population\n01001,832\n", "file_kind_recognised"),
        ("", "file_not_empty"),
        ("<!DOCTYPE html><html><body>Erreur</body></html>", "file_parseable"),
        (
            "mesure,indicateur,id_indicateur,code_departement,date,valeur,unite\n"
            "m,i,nb-labellisations-france-services,01,2020-01-31,1.0,l\n",
            "required_column_present",
        ),
    ],
)
def test_a_file_that_is_not_a_barometre_file_is_refused_naming_it(
    tmp_path: Path, content: str, rule: str
) -> None:
    path = tmp_path / "suspect.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceFormatError) as caught:
        read_barometre([national(tmp_path), path])
    assert caught.value.rule == rule
    assert str(caught.value).startswith("suspect.csv: rule ")
    assert "\n" not in str(caught.value)


def test_a_set_without_the_indicator_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "other.csv",
        NATIONAL_HEADER,
        ["m,Nombre de pères,nb-peres-conge-paternite,national,2020-01-31,74396.0,pères"],
    )
    with pytest.raises(SourceFormatError, match="indicator_present") as caught:
        read_barometre(path)
    assert caught.value.column == "id_indicateur"


def test_the_suite_rejects_rows_warns_and_blocks(tmp_path: Path) -> None:
    rows = [
        ("01", "2020-01-31", "3.0"),
        ("01", "2020-02-29", "2.0"),  # a cumulative count that falls: warning
        ("01", "2020-03-31", "n/a"),  # unparseable value: row rejected
        ("01", "31/04/2020", "4.0"),  # unparseable date: row rejected
        ("01", "2020-05-15", "4.5"),  # not a month end, not whole: warnings
        ("999", "2020-01-31", "1.0"),  # unknown département code: warning
    ]
    frame = read_barometre(departemental(tmp_path, rows))
    outcome = validate(frame, "barometre", engine="gx")
    assert not outcome.blocking_failed
    assert outcome.rows_by_rule("row_rejected") == {"value_parseable": [2], "date_parseable": [3]}
    assert outcome.rows_by_rule("warning") == {
        "cumulative_not_decreasing": [1],
        "value_whole_number": [4],
        "code_recognised": [5],
        "date_month_end": [4],
    }
    twice = read_barometre(
        [departemental(tmp_path, rows[:1], "a.csv"), departemental(tmp_path, rows[:1], "b.csv")]
    )
    blocked = validate(twice, "barometre", engine="gx")
    assert [r.rule for r in blocked.failures("blocking")] == ["series_key_unique"]


def test_both_engines_give_the_same_results(tmp_path: Path) -> None:
    rows = [("01", "2020-01-31", "3.0"), ("01", "2020-02-29", "2.0"), ("01", "x", "1")]
    frame = read_barometre([departemental(tmp_path, rows), national(tmp_path)])
    gx, sql = (validate(frame, "barometre", engine=e) for e in ("gx", "duckdb"))
    assert [(r.rule, r.success, r.unexpected_rows) for r in gx.results] == [
        (r.rule, r.success, r.unexpected_rows) for r in sql.results
    ]


def test_the_real_files(shared_data: Path) -> None:
    folder = shared_data / "barometre"
    frame = read_barometre(sorted(folder.glob("*.csv")))
    by_level = {(k, lvl): n for k, lvl, n in frame.group_by("kind", "level").len().iter_rows()}
    assert by_level == {
        ("observed", "france"): 36,
        ("observed", "region"): 648,
        ("observed", "departement"): 3636,
        ("target", "france"): 1,
    }
    france = frame.filter((pl.col("kind") == "observed") & (pl.col("level") == "france"))
    values = dict(zip(france["date"], france["value"], strict=True))
    assert values[date(2020, 1, 31)] == 460
    assert values[date(2020, 9, 30)] == 856
    assert values[date(2022, 11, 30)] == values[date(2022, 12, 31)] == 2538
    target = frame.filter(pl.col("kind") == "target").row(0, named=True)
    assert (target["date"], target["value"]) == (date(2022, 12, 31), 2543)
    # The regions and the départements add up to the same totals at every date; the national
    # series equals them at 19 of the 36 dates (2020-09-30 among them), as published.
    sums = {
        level: dict(
            frame.filter(pl.col("level") == level)
            .group_by("date")
            .agg(pl.col("value").sum())
            .iter_rows()
        )
        for level in ("region", "departement")
    }
    assert sums["region"] == sums["departement"]
    agree = sorted(d for d, v in values.items() if sums["region"][d] == v)
    assert len(agree) == 19 and date(2020, 9, 30) in agree
    assert (sums["region"][date(2022, 12, 31)], values[date(2022, 12, 31)]) == (2549, 2538)
    outcome = validate(frame, "barometre")
    assert not outcome.blocking_failed and not outcome.rows_by_rule("row_rejected")
    warned = outcome.rows_by_rule("warning")
    assert list(warned) == ["cumulative_not_decreasing"]
    fallen = frame[warned["cumulative_not_decreasing"]]
    # Val-d'Oise: 3 labellisations at 2020-01-31, 2 at 2020-02-29, as published
    assert fallen.select("code", "date", "value").rows() == [("95", date(2020, 2, 29), 2.0)]


# --- the warehouse -----------------------------------------------------------------------------


def load_listing(
    con: duckdb.DuckDBPyConnection, path: Path, as_of: date, untyped: bool = False
) -> None:
    frame = parse_listing(path).with_columns(
        pl.lit([], dtype=pl.List(pl.String)).alias("quality_flags")
    )
    if untyped:  # as the first 2020 versions: neither type nor format published
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("type"))
    with transaction(con):
        load_id = begin_load(con, "espaces", as_of=as_of)
        espaces_store.write_snapshot(
            con, load_id=load_id, as_of=as_of, accepted=frame, quarantined=[]
        )
    refresh_downstream(con, ("raw/espaces",), as_of)


def load_barometre(con: duckdb.DuckDBPyConnection, files: list[Path]) -> store.SeriesChanges:
    frame = read_barometre(files)
    rows = split_rows(frame, validate(frame, "barometre"))
    accepted, quarantined = rows.accepted, rows.quarantined
    with transaction(con):
        load_id = begin_load(con, "barometre")
        changes = store.publish_series(
            con, load_id=load_id, frame=accepted, quarantined=quarantined
        )
        refresh_downstream(con, ("core/barometre", "core/barometre_targets"))
        return changes


def reconciliation(con: duckdb.DuckDBPyConnection, where: str = "true") -> dict:
    columns = (
        "official_value, listing_date, listing_open, listing_labelled, listing_antennes, "
        "listing_compared, difference, flag"
    )
    rows = con.execute(
        f"select date, level, code, {columns} from marts.network_reconciliation where {where}"
    ).fetchall()
    return {(r[0], r[1], r[2]): r[3:] for r in rows}


def test_the_series_in_force_is_replaced_per_level_and_rejected_rows_are_kept(
    tmp_path: Path,
) -> None:
    with connect(tmp_path / "warehouse.duckdb") as con:
        first = load_barometre(
            con,
            [
                national(tmp_path),
                departemental(tmp_path, [("01", "2020-01-31", "1.0"), ("01", "bad", "2.0")]),
                synthese(tmp_path),
            ],
        )
        assert first.rows_by_level == {"departement": 1, "france": 3}
        assert (first.targets, first.replaced, first.latest_date) == (1, 0, date(2020, 9, 30))
        quarantined = con.execute("select source, source_row, rule from meta.quarantine").fetchall()
        assert quarantined == [("barometre", 3, "date_parseable")]

        again = load_barometre(
            con, [departemental(tmp_path, [("01", "2020-01-31", "5.0"), ("01", "2020-02-29", "4")])]
        )
        assert (again.replaced, again.targets) == (1, 0)
        rows = con.execute(
            "select level, code, date, value, quality_flags from core.barometre order by all"
        ).fetchall()
        assert rows == [
            ("departement", "01", date(2020, 1, 31), 5.0, []),
            ("departement", "01", date(2020, 2, 29), 4.0, ["cumulative_not_decreasing"]),
            ("france", "FR", date(2020, 1, 31), 460.0, []),  # untouched by a departmental load
            ("france", "FR", date(2020, 2, 29), 534.0, []),
            ("france", "FR", date(2020, 9, 30), 856.0, []),
        ]
        targets = con.execute(
            "select code, target_date, target_value, load_id from core.barometre_targets"
        ).fetchall()
        assert targets == [("FR", date(2022, 12, 31), 2543.0, 1)]  # kept from the first load


def test_each_official_date_meets_the_nearest_listing(tmp_path: Path) -> None:
    with connect(tmp_path / "warehouse.duckdb") as con:
        # Before any listing: every row says so.
        load_barometre(con, [national(tmp_path, [("2020-01-31", "9.0")])])
        assert reconciliation(con) == {
            (date(2020, 1, 31), "france", "FR"): (9.0, None, None, None, None, None, None,
                                                   "no_listing"),
        }  # fmt: skip

        # Nine espaces in 01, 2A and 974 (two antennes), first untyped as in early 2020.
        sample = sample_path("espaces", "france_services_20200312.geojson")
        load_listing(con, sample, date(2020, 1, 15), untyped=True)
        load_listing(con, sample, date(2020, 3, 12))
        load_listing(con, sample_path("espaces", "liste-fs-20231201.csv"), date(2023, 12, 1))
        series = [("2020-01-31", "9.0"), ("2020-02-29", "7.0"), ("2022-06-30", "8.0"),
                  ("2023-11-30", "12.0")]  # fmt: skip
        load_barometre(
            con,
            [
                national(tmp_path, series),
                departemental(tmp_path, [("01", "2020-02-29", "3.0"), ("2A", "2020-02-29", "3")]),
            ],
        )
        found = reconciliation(con)
        assert found == {
            # 16 days from the untyped listing: all nine compared
            (date(2020, 1, 31), "france", "FR"): (9.0, date(2020, 1, 15), 9, None, None, 9, 0.0,
                                                   "agrees"),
            # 12 days from 2020-03-12 (45 from 2020-01-15): seven labelled, two antennes
            (date(2020, 2, 29), "france", "FR"): (7.0, date(2020, 3, 12), 9, 7, 2, 7, 0.0,
                                                   "agrees"),
            (date(2020, 2, 29), "departement", "01"): (3.0, date(2020, 3, 12), 3, 2, 1, 2, -1.0,
                                                        "differs"),
            (date(2020, 2, 29), "departement", "2A"): (3.0, date(2020, 3, 12), 3, 3, 0, 3, 0.0,
                                                        "agrees"),
            # the nearest listing is 519 days away: shown, not judged
            (date(2022, 6, 30), "france", "FR"): (8.0, date(2023, 12, 1), 11, 9, 2, 9, 1.0,
                                                   "listing_too_far"),
            (date(2023, 11, 30), "france", "FR"): (12.0, date(2023, 12, 1), 11, 9, 2, 9, -3.0,
                                                    "differs"),
        }  # fmt: skip
        tolerance = con.execute(
            "select tolerance from marts.network_reconciliation where date = '2023-11-30'"
        ).fetchall()
        assert tolerance == [(0,)]  # 2 % of 12, rounded down

        # A new listing changes the nearest one; the mart follows once rebuilt.
        load_listing(con, sample, date(2022, 7, 1))
        refresh_downstream(con, ("core/barometre",))
        after = reconciliation(con, "date = '2022-06-30'")
        assert after == {
            (date(2022, 6, 30), "france", "FR"): (8.0, date(2022, 7, 1), 9, 7, 2, 7, -1.0,
                                                   "differs"),
        }  # fmt: skip


def test_every_column_of_the_new_tables_is_described_in_french(tmp_path: Path) -> None:
    with connect(tmp_path / "warehouse.duckdb") as con:
        for table in ("barometre", "barometre_targets", "network_reconciliation"):
            undocumented = con.execute(
                "select table_name, column_name from duckdb_columns() "
                "where table_name = ? and (comment is null or comment = '')",
                [table],
            ).fetchall()
            assert undocumented == []
            comment = con.execute(
                "select comment from duckdb_tables() where table_name = ?", [table]
            ).fetchall()
            assert comment and comment[0][0]


def test_the_real_listing_of_2020_10_12_reconciles_with_the_official_count(
    shared_data: Path, tmp_path: Path
) -> None:
    with connect(tmp_path / "warehouse.duckdb") as con:
        listing = shared_data / "espaces" / "france_services_20201012.geojson"
        load_listing(con, listing, date(2020, 10, 12))
        load_barometre(con, sorted((shared_data / "barometre").glob("*.csv")))
        day = date(2020, 9, 30)
        found = reconciliation(con, "date = '2020-09-30'")
        # 856 « Espace labellisé » (+ 52 « Antenne ») at 2020-10-12, 856 labellisations
        assert found[day, "france", "FR"] == (856.0, date(2020, 10, 12), 908, 856, 52, 856, 0.0,
                                              "agrees")  # fmt: skip
        departements = {k[2]: v for k, v in found.items() if k[1] == "departement"}
        assert len(departements) == 101
        differing = {code: (v[0], v[5]) for code, v in departements.items() if v[6] != 0}
        assert differing == {"13": (10.0, 9), "84": (7.0, 8)}
        assert {code for code, v in departements.items() if v[7] == "differs"} == {"13", "84"}
        # both in Provence-Alpes-Côte d'Azur: every région agrees
        regions = [v for k, v in found.items() if k[1] == "region"]
        assert len(regions) == 18 and all(v[6] == 0 for v in regions)


def test_the_release_carries_the_series_the_reconciliation_and_the_attribution(
    tmp_path: Path,
) -> None:
    import json
    import subprocess
    import sys

    from warehouse.release import publish

    exports = tmp_path / "exports"
    with connect(tmp_path / "warehouse.duckdb") as con:
        sample = sample_path("espaces", "france_services_20200312.geojson")
        load_listing(con, sample, date(2020, 3, 12))
        load_barometre(con, [national(tmp_path), synthese(tmp_path)])
        con.execute("update meta.loads set status = 'published', finished_at = current_timestamp")
        publish(con, exports, "barometre", {"source": "barometre", "status": "published"})
        package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    paths = {r["path"] for r in package["resources"]}
    assert {
        "barometre/barometre.csv",
        "barometre/barometre_targets.csv",
        "barometre/network_reconciliation.csv",
    } <= paths
    reconciliation = pl.read_csv(exports / "barometre" / "network_reconciliation.csv")
    assert reconciliation.height == 3
    row = reconciliation.filter(pl.col("date") == "2020-02-29").row(0, named=True)
    assert (row["official_value"], row["listing_compared"], row["flag"]) == (534, 7, "differs")
    sources = {s["path"]: s["title"] for s in package["sources"]}
    url = "https://www.data.gouv.fr/fr/datasets/barometre-des-resultats-de-laction-publique/"
    assert sources[url].startswith(
        "Baromètre des résultats de l'action publique — Etalab / DINUM, data.gouv.fr"
    )
    # the package validates (types, primary keys unique and present), offline
    result = subprocess.run(
        [str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=exports,
    )
    assert result.returncode == 0, result.stdout + result.stderr
