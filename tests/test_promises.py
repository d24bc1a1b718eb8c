"""The promise tracker on a real DuckDB warehouse built by hand: each verdict rule, the numbers
taken from the marts (none typed), a source not loaded yet, the cited reference file refused
when a row is uncited; and the map's and the tracker's markup drawn from the same warehouse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.helpers import refresh_promise_tracker
from transforms.errors import SourceFormatError
from transforms.promises import REFERENCE, read_promises
from warehouse.db import connect, run_model

ROOT = Path(__file__).resolve().parents[1]


def add_espace(
    con: duckdb.DuckDBPyConnection,
    espace_id: str,
    valid_from: date,
    valid_to: date | None,
    dep: str,
    lon: float | None,
    lat: float | None,
    type_: str = "principal",
) -> None:
    con.execute(
        """
        insert into core.espaces (espace_id, valid_from, valid_to, load_id, attributes_hash,
            name, type, insee_dep, insee_com, longitude, latitude)
        values (?, ?, ?, 1, 'h', ?, ?, ?, ?, ?, ?)
        """,
        [espace_id, valid_from, valid_to, f"Espace {espace_id}", type_, dep, f"{dep}001",
         lon, lat],
    )  # fmt: skip


def add_network(con: duckdb.DuckDBPyConnection, day: date, n_open: int, n_antenne: int) -> None:
    con.execute(
        """
        insert into marts.network_by_departement (as_of, insee_dep, n_open, n_principal,
            n_antenne, n_type_unknown, n_fixe, n_fixe_antennes, n_multisite, n_itinerant,
            n_bus, n_format_unknown)
        values (?, '01', ?, ?, ?, 0, 0, 0, 0, 0, 0, 0)
        """,
        [day, n_open, n_open - n_antenne, n_antenne],
    )


def add_barometre(con: duckdb.DuckDBPyConnection, rows: list[tuple[date, float]]) -> None:
    columns = "indicator_id, level, code, label, date, value, unit, load_id"
    con.executemany(
        f"insert into core.barometre ({columns}) values ('nb-labellisations-france-services', "
        "'france', 'FR', 'France', ?, ?, 'labellisations', 1)",
        rows,
    )
    # Another indicator and another level must not be read.
    con.execute(
        f"insert into core.barometre ({columns}) values "
        "('nb-autre', 'france', 'FR', 'France', '2022-12-31', 99999, 'x', 1), "
        "('nb-labellisations-france-services', 'departement', '01', 'Ain', '2022-12-31', "
        "99999, 'labellisations', 1)"
    )


def add_conseillers(con: duckdb.DuckDBPyConnection, rows: list[tuple[date, int]]) -> None:
    con.executemany(
        "insert into marts.conseillers_numeriques (as_of, level, code, n_structures, "
        "n_conseillers, n_structures_france_services) values (?, 'france', 'FR', 10, ?, 3)",
        rows,
    )


def add_partners(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(f"P{i}", f"Partenaire {i}", date(2019, 7, 1), None) for i in range(9)]
    rows.append(("LATE", "Arrivé en 2024", date(2024, 1, 1), None))
    rows.append(("GONE", "Parti en 2020", date(2019, 7, 1), date(2020, 6, 30)))
    con.executemany(
        """
        insert into core.partners (partner_code, name, effective_from, effective_to,
            source_document, source_date, load_id)
        values (?, ?, ?, ?, 'Document, 2019', '2019-07-01', 1)
        """,
        rows,
    )


def add_official_figure(con: duckdb.DuckDBPyConnection, code: str, value: float) -> None:
    con.execute(
        """
        insert into core.official_figures (figure_code, value, unit, scope, source_document,
            source_date, load_id)
        values (?, ?, 'percent', 'national', 'Cour des comptes, rapport, 2024', '2024-09-04', 1)
        """,
        [code, value],
    )


def add_coverage(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Three communes (one beyond 20 km), nearest espaces, and marts.coverage from its model."""
    communes = [
        ("01001", "01", 1000, 46.0, 5.0, "1", 2.0),
        ("01002", "01", 500, 46.1, 5.1, "1", 25.0),
        ("97101", "971", 300, 16.2, -61.5, "2", 3.0),
    ]
    for code, dep, population, lat, lon, espace, distance in communes:
        con.execute(
            "insert into core.communes (vintage, code_insee, name, typecom, dep_code, reg_code, "
            "population, latitude, longitude, load_id) values (2021, ?, ?, 'COM', ?, '84', ?, "
            "?, ?, 1)",
            [code, f"Commune {code}", dep, population, lat, lon],
        )
        con.execute(
            "insert into core.commune_nearest_espace values (?, 2021, ?, ?, ?)",
            [day, code, espace, distance],
        )
    run_model(con, "marts/coverage")


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb") as connection:
        run_model(connection, "marts/demarche_partner_coverage")
        yield connection


def tracker(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    cursor = con.execute("select * from marts.promise_tracker order by position")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_every_promise_is_a_row_and_unmeasured_ones_say_why(
    con: duckdb.DuckDBPyConnection,
) -> None:
    counts = refresh_promise_tracker(con)
    rows = tracker(con)
    assert list(rows) == read_promises()["promise_code"].to_list()
    assert counts == {"not measurable from open data yet": len(rows)}
    # a measured promise whose source is not loaded names the missing series
    assert "conseillers_numeriques" in str(rows["conseillers_4000"]["verdict_reason"])
    # an unmeasurable one gives the reason of the reference file
    assert str(rows["telephone"]["verdict_reason"]).startswith("Aucun jeu de données ouvert")


def test_the_official_series_judges_a_deadline_and_a_later_listing_says_when_it_was_met(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_barometre(con, [(date(2022, 2, 28), 2055.0), (date(2022, 12, 31), 2538.0)])
    add_network(con, date(2022, 12, 31), 2600, 70)  # same day as the baromètre: official first
    add_network(con, date(2024, 8, 1), 2845, 124)
    refresh_promise_tracker(con)
    rows = tracker(con)
    late = rows["network_2543"]
    assert (late["verdict"], late["judged_value"], late["judged_on"]) == (
        "not met",
        2538.0,
        date(2022, 12, 31),
    )
    # latest measure: the listing, antennes left out (2,845 − 124)
    assert (late["measured_value"], late["measured_on"]) == (2721.0, date(2024, 8, 1))
    assert late["source_table"] == "marts.network_by_departement"
    assert late["met_since"] == date(2024, 8, 1)
    assert "2\u202f538" in str(late["verdict_reason"])
    assert "2\u202f721 au 2024-08-01" in str(late["verdict_reason"])
    claim = rows["network_2100"]
    assert (claim["verdict"], claim["judged_value"]) == ("not met", 2055.0)
    assert claim["official_value"] is None  # no espaces_count figure loaded here
    assert "2\u202f538 au 2022-12-31 (dernière : 2\u202f721 au 2024-08-01)" in str(
        claim["verdict_reason"]
    )
    # every measured number is a row of the measures mart
    measured = set(
        con.execute("select measure, measured_on, value from marts.promise_measures").fetchall()
    )
    assert ("network_labelled", date(2022, 12, 31), 2538.0) in measured
    assert ("network_labelled", date(2022, 12, 31), 2530.0) in measured
    assert not any(value == 99999 for _, _, value in measured)


def test_a_measure_before_the_promise_does_not_settle_it_and_one_after_it_does(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_conseillers(con, [(date(2021, 6, 25), 2138)])
    refresh_promise_tracker(con)
    row = tracker(con)["conseillers_4000"]
    assert row["verdict"] == "not measurable from open data yet"
    assert "précède la promesse" in str(row["verdict_reason"])
    add_conseillers(con, [(date(2023, 6, 30), 3900)])
    refresh_promise_tracker(con)
    row = tracker(con)["conseillers_4000"]
    assert (row["verdict"], row["measured_value"], row["first_value"]) == (
        "not met",
        3900.0,
        2138.0,
    )
    add_conseillers(con, [(date(2024, 6, 30), 4100)])
    refresh_promise_tracker(con)
    assert tracker(con)["conseillers_4000"]["verdict"] == "met"


def test_partners_mesh_and_the_unmeasurable_promise_beside_its_official_figure(
    con: duckdb.DuckDBPyConnection,
) -> None:
    add_partners(con)
    add_official_figure(con, "handled_on_site_share", 82.0)
    day = date(2024, 8, 1)
    add_espace(con, "1", date(2020, 1, 1), None, "01", 5.0, 46.0)
    add_coverage(con, day)
    refresh_promise_tracker(con)
    rows = tracker(con)
    partners = rows["partners_9"]
    assert (partners["verdict"], partners["measured_value"]) == ("met", 10.0)
    assert partners["measured_on"] == date(2024, 1, 1)
    trend = con.execute(
        "select measured_on, value from marts.promise_measures "
        "where measure = 'partners_in_force' order by 1"
    ).fetchall()
    assert trend == [(date(2019, 7, 1), 10.0), (date(2020, 7, 1), 9.0), (date(2024, 1, 1), 10.0)]
    mesh = rows["mesh_30min"]
    share = con.execute(
        "select share_pop_within_30min from marts.coverage where level = 'france'"
    ).fetchall()[0][0]
    assert (mesh["verdict"], mesh["measured_value"]) == ("not met", share)
    assert "500 habitants dans 1 communes à plus de 20 km" in str(mesh["measured_detail"])
    solution = rows["solution_85"]
    assert solution["verdict"] == "not measurable from open data yet"
    assert (solution["official_value"], solution["official_source"]) == (
        82.0,
        "Cour des comptes, rapport, 2024",
    )


def test_the_tracker_and_its_columns_are_described_in_french(
    con: duckdb.DuckDBPyConnection,
) -> None:
    refresh_promise_tracker(con)
    for table in ("promise_tracker", "promise_measures"):
        comments = con.execute(
            "select column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = ?",
            [table],
        ).fetchall()
        assert comments and all(comment for _, comment in comments), table
    columns = {name for name, _ in comments}
    assert {"measure", "measured_on", "value", "source"} <= columns
    tracker_columns = [
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'promise_tracker'"
        ).fetchall()
    ]
    for column in ("promise", "promised_by", "promised_on", "target", "measured_value",
                   "measured_on", "source", "verdict"):  # fmt: skip
        assert column in tracker_columns


def test_an_uncited_promise_is_refused_naming_the_file_row_and_rule(tmp_path: Path) -> None:
    lines = REFERENCE.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("promised_by")] = ""
    path = tmp_path / "promises.csv"
    path.write_text("\n".join([lines[0], ",".join(broken), *lines[2:]]) + "\n", "utf-8")
    with pytest.raises(SourceFormatError) as error:
        read_promises(path)
    assert (
        str(error.value)
        == "promises.csv: rule promise_cited failed (row 2): the row breaks the rule"
    )


def test_citations_stand_alone() -> None:
    """Reference data, the page and the SQL name documents, never the project's notes."""
    files = [*(ROOT / "fsdata" / "reference").glob("*"), *(ROOT / "sql").rglob("*.sql")]
    files += [ROOT / "warehouse" / name for name in ("page.py", "page_promises.py")]
    for path in files:
        assert "SOURCES.md" not in path.read_text("utf-8"), path.name
    promises = read_promises()
    assert promises["document_title"].str.contains("Acteurs Publics").sum() >= 6


def test_on_the_real_barometre_the_2022_target_is_missed_by_five(
    con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    national = shared_data / "barometre" / "barometre-resultats-detail-national.csv"
    rows = con.execute(
        "select date::date, valeur::double from read_csv(?) "
        "where id_indicateur = 'nb-labellisations-france-services'",
        [str(national)],
    ).fetchall()
    add_barometre(con, rows)
    refresh_promise_tracker(con)
    late = tracker(con)["network_2543"]
    assert (late["verdict"], late["judged_value"], late["target"]) == ("not met", 2538.0, 2543.0)
    measured = dict(
        con.execute(
            "select measured_on, value from marts.promise_measures "
            "where measure = 'network_labelled'"
        ).fetchall()
    )
    assert measured[date(2020, 9, 30)] == 856.0


def test_the_map_draws_one_mark_per_espace_open_at_the_latest_date(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from warehouse.page_map import draw_map

    day = date(2024, 8, 1)
    add_espace(con, "1", date(2020, 1, 1), None, "01", 5.0, 46.0)
    add_espace(con, "2", date(2020, 1, 1), None, "971", -61.5, 16.2)
    add_espace(con, "3", date(2020, 1, 1), date(2023, 1, 1), "01", 5.1, 46.1)  # closed
    add_espace(con, "4", date(2024, 8, 2), None, "01", 5.2, 46.2)  # opens after the date
    add_espace(con, "5", date(2020, 1, 1), None, "01", None, None)  # no coordinates
    add_coverage(con, day)
    svg = draw_map(con)
    assert len(re.findall(r'<circle class="espace"', svg)) == 2
    assert "Guadeloupe" in svg and "2024-08-01" in svg
    assert 'class="communes class-3"' in svg  # the commune beyond 20 km
