"""The 2025 format end to end: real Prefect runs into real DuckDB files — the real October 2025
edition (when ../shared/data is present) and a generated edition with labels nobody has seen."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import duckdb
import pytest

from flows.observatoire import observatoire
from flows.report import LoadSummary, RunReport
from tests.helpers import query
from tests.observatoire_2025 import rows_2025, write_xlsx
from warehouse.db import connect

NAME = "observatoire-2-edition-11-octobre-2025-.xlsx"


@pytest.mark.realdata
def test_the_real_october_2025_edition_loads_whole(
    prefect_server: None, home: Path, shared_data: Path
) -> None:
    result = observatoire(home=str(home), file=str(shared_data / "observatoire" / NAME))
    assert result["status"] == "published"
    (summary,) = result["editions"]
    assert summary["changes"]["quarantined cells"] == 0
    assert summary["changes"]["unknown labels"] == 0
    assert "data of 2025-Q3" in summary["message"]
    assert query(
        home,
        "select edition_id, data_period, n_demarches, n_quarantined_cells from core.editions",
    ) == [("2025-10", "2025-Q3", 246, 0)]
    (row,) = query(
        home,
        "select n_demarches, share_online, n_satisfaction, median_satisfaction, "
        "median_help_reachable, n_compliance, share_compliance_full, share_compliance_partial, "
        "share_compliance_none, n_autonomy, median_autonomy from marts.demarche_indicator_trends "
        "where scope = 'ensemble'",
    )
    assert row[:4] == (246, 90.87, 175, 7.8)
    assert round(row[4], 2) == 68.99
    # Totale 8, Partielle 147, Non conforme 78 of the 233 compliance cells.
    shares = tuple(round(100 * n / 233, 2) for n in (8, 147, 78))
    assert row[5:9] == (233, *shares)
    assert row[9:] == (170, 63.0)


def test_unknown_labels_are_quarantined_and_listed_in_the_run_summary(
    prefect_server: None, home: Path, tmp_path: Path
) -> None:
    rows = rows_2025(40)
    for i in range(12):
        rows[i]["Prise en compte Handicap"] = "Conforme"
    rows[20]["FranceConnect"] = "FranceConnect v3"
    result = observatoire(home=str(home), file=str(write_xlsx(tmp_path / NAME, rows)))
    assert result["status"] == "published"
    (summary,) = result["editions"]
    assert summary["changes"]["unknown labels"] == 2
    assert summary["changes"]["quarantined cells"] == 13
    assert (
        "Prise en compte Handicap: 'Conforme' × 12; FranceConnect: 'FranceConnect v3' × 1"
        in (summary["message"])
    )
    records = [
        json.loads(record)
        for (record,) in query(
            home, "select record from meta.quarantine where rule = 'value_decoded' order by 1"
        )
    ]
    assert len(records) == 13
    assert {r["indicator"] for r in records} == {"handicap", "franceconnect"}
    assert all(r["decode_issue"].startswith("column '") for r in records)
    assert query(
        home, "select n_demarches, n_quarantined_cells, data_period from core.editions"
    ) == [(40, 13, "2025-Q3")]
    # The mart counts only the compliance cells it knows, each share over its n.
    known = [r["Prise en compte Handicap"] for r in rows]
    levels = {"Totale": "full", "Partielle": "partial", "Non conforme": "none"}
    counted = [levels[label] for label in known if label in levels]
    autonomy = [
        100 * r["Niveau Autonomie"] for r in rows if isinstance(r["Niveau Autonomie"], float)
    ]
    (row,) = query(
        home,
        "select n_compliance, share_compliance_full, share_compliance_partial, "
        "share_compliance_none, n_autonomy, median_autonomy "
        "from marts.demarche_indicator_trends where scope = 'ensemble'",
    )
    expected = tuple(round(100 * counted.count(k) / len(counted), 2) for k in levels.values())
    assert row[:4] == (len(counted), *expected)
    assert row[4] == len(autonomy) and row[5] == pytest.approx(statistics.median(autonomy))


def test_run_summary_lists_each_unknown_label_once_with_its_count() -> None:
    def summary(edition: str, counts: dict[str, int]) -> LoadSummary:
        changes = {f"unknown label: {label}": n for label, n in counts.items()}
        return LoadSummary(
            source="observatoire", status="published", as_of=edition, changes=changes
        )

    report = RunReport(
        "observatoire",
        summaries=[
            summary("2025-10", {"Prise en compte Handicap: 'Conforme'": 12}),
            summary(
                "2026-01", {"Prise en compte Handicap: 'Conforme'": 3, "FranceConnect: 'X'": 1}
            ),
        ],
    )
    markdown = report.markdown()
    assert markdown.count("'Conforme'") == 1
    assert "- Prise en compte Handicap: 'Conforme' × 15" in markdown
    assert "- FranceConnect: 'X' × 1" in markdown


def test_a_warehouse_from_before_the_data_period_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(
        "create table raw.observatoire_editions (load_id bigint not null, edition_id varchar "
        "not null, edition_date date not null, label varchar, generation varchar, number integer, "
        "source_file varchar, sha256 varchar, header_row integer, header_map json, "
        "unknown_columns varchar[])"
    )
    con.execute(
        "insert into raw.observatoire_editions values "
        "(1, '2022-10', '2022-10-01', 'octobre 2022', 'v1', null, 'a.csv', 'x', 1, '{}', [])"
    )
    con.close()
    with connect(path) as upgraded:
        assert upgraded.execute(
            "select edition_id, data_period from raw.observatoire_editions"
        ).fetchall() == [("2022-10", None)]
