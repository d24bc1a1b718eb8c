"""The observatory flow end to end: real Prefect runs, real DuckDB files, a real local HTTP
server standing in for data.gouv.fr."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from python_calamine import CalamineWorkbook
from werkzeug import Request, Response

from flows.observatoire import observatoire
from flows.pipeline import LoadRefused
from fsdata.config import sample_path
from tests.helpers import DemoHomes, copy_home, published_state, query

SAMPLES = sample_path("observatoire")
V1_CSV = SAMPLES / "observatoire-edition-octobre-2022.csv"
V2_XLSX = SAMPLES / "observatoire-2-edition-11-octobre-2025-.xlsx"
V2_ODS = SAMPLES / "observatoire-2-edition-13-avril-2026-.ods"
PUBLISHED_TABLES = (
    "core.editions",
    "core.demarches",
    "core.administrations",
    "core.demarche_indicators",
    "marts.demarche_indicator_trends",
    "marts.demarche_trajectories",
)


@pytest.fixture(scope="module")
def demo_home(demo_homes: DemoHomes) -> Path:
    """The three sample editions loaded by the demo, oldest first (read by several tests)."""
    results = demo_homes.summaries("observatoire")
    assert [r["status"] for r in results] == ["published"] * 3
    return demo_homes("observatoire")


@pytest.fixture
def loaded_home(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home, for tests that load more."""
    return copy_home(demo_home, tmp_path, "loaded")


def test_sample_editions_load_in_every_format(demo_home: Path) -> None:
    editions = query(
        demo_home,
        "select edition_id, label, generation, number, source_file, n_demarches, "
        "n_quarantined_cells from core.editions order by edition_id",
    )
    assert editions == [
        ("2022-10", "octobre 2022", "v1", None, V1_CSV.name, 14, 0),
        ("2025-10", "Édition 11 — octobre 2025", "v2", 11, V2_XLSX.name, 14, 0),
        ("2026-04", "Édition 13 — avril 2026", "v2", 13, V2_ODS.name, 14, 0),
    ]
    # Rates on 0–100 whatever the edition wrote (v1: fractions 0–1), notes on 0–10.
    (bounds,) = query(
        demo_home,
        "select max(value_num) filter (where indicator = 'digital_uptake'), "
        "min(value_num) filter (where indicator = 'digital_uptake' and value_num > 0), "
        "max(value_num) filter (where indicator = 'satisfaction') "
        "from core.demarche_indicators where edition_id = '2022-10'",
    )
    assert bounds[0] == 100.0 and bounds[1] >= 1 and bounds[2] <= 10
    # « Nombre d'avis insuffisant » is a NULL with its reason, never 0.
    assert query(
        demo_home,
        "select edition_id, demarche_id, value_num from core.demarche_indicators "
        "where indicator = 'satisfaction' and null_reason = 'avis_insuffisants' order by 1",
    ) == [(e, "id:1004", None) for e in ("2022-10", "2025-10", "2026-04")]
    raw = sorted(p.name for p in (demo_home / "raw" / "observatoire").iterdir())
    # each edition's file, and the rename table it was read with (what `fsdata rebuild` needs)
    assert sorted({name.split("_")[0] for name in raw}) == [
        "2022-10-01",
        "2025-10-01",
        "2026-04-01",
    ]
    assert len(raw) == 6
    exports = {p.name for p in (demo_home / "exports" / "observatoire").iterdir()}
    for name in ("editions", "demarches", "demarche_indicators", "demarche_indicator_trends"):
        assert {f"{name}.parquet", f"{name}.csv"} <= exports
    assert "demarche_trajectories.csv" in exports
    assert query(demo_home, "select count(*) from meta.loads where status = 'published'") == [(3,)]


def test_renamed_demarche_keeps_its_identity_across_editions(demo_home: Path) -> None:
    """Démarche 1007: a v1 title without identifier, renamed in the rename table, then a new
    title in edition 13 under the same ID_Demarche: one demarche_id for the three editions."""
    (row,) = query(
        demo_home,
        "select title, first_edition, last_edition, n_editions, titles_seen "
        "from core.demarches where demarche_id = 'id:1007'",
    )
    assert row == (
        "Faire immatriculer son véhicule",
        "2022-10",
        "2026-04",
        3,
        [
            "Demande de certificat d'immatriculation",
            "Immatriculer un véhicule",
            "Faire immatriculer son véhicule",
        ],
    )
    assert query(
        demo_home,
        "select distinct edition_id from core.demarche_indicators "
        "where demarche_id = 'id:1007' order by 1",
    ) == [("2022-10",), ("2025-10",), ("2026-04",)]
    assert query(demo_home, "select count(*) from core.demarches") == [(14,)]
    (trajectory,) = query(
        demo_home,
        "select first_edition, last_edition, n_editions from marts.demarche_trajectories "
        "where demarche_id = 'id:1007' and indicator = 'satisfaction'",
    )
    assert trajectory == ("2022-10", "2026-04", 3)


def _ods_columns(path: Path) -> dict[str, list[Any]]:
    """The sample's raw cells by header, read straight from the sheet (no project code)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header_index = next(i for i, row in enumerate(rows) if "Statut En ligne" in row)
    header = [str(cell).strip() for cell in rows[header_index]]
    data = [row for row in rows[header_index + 1 :] if sum(1 for c in row if c != "") > 1]
    return {name: [row[i] for row in data] for i, name in enumerate(header)}


def test_trend_figures_match_a_hand_count_of_the_sample(demo_home: Path) -> None:
    columns = _ods_columns(V2_ODS)
    statuses = columns["Statut En ligne"]
    share_online = round(100 * sum(s == "Oui" for s in statuses) / len(statuses), 2)
    notes = [
        float(str(n).split("/")[0].replace(",", "."))
        for n in columns["Note Satisfaction"]
        if "/" in str(n)
    ]
    rgaa = [r for r in columns["Taux_RGAA_Publie"] if isinstance(r, float)]
    share_accessible = round(100 * sum(r == 100 for r in rgaa) / len(rgaa), 2)
    connect = columns["FranceConnect"]
    share_fc = round(
        100 * sum(c.lower().startswith("franceconnect") for c in connect) / len(connect), 2
    )
    # The same figures written out, as a reader counts them on the sheet.
    assert (share_online, statistics.median(notes), share_accessible, share_fc) == (
        64.29,
        7.2,
        30.77,
        78.57,
    )
    (row,) = query(
        demo_home,
        "select n_demarches, share_online, median_satisfaction, n_satisfaction, "
        "share_accessible, share_franceconnect from marts.demarche_indicator_trends "
        "where edition_id = '2026-04' and scope = 'ensemble'",
    )
    assert row == (14, share_online, pytest.approx(statistics.median(notes)), len(notes),
                   share_accessible, share_fc)  # fmt: skip
    # Per ministry: Intérieur has 4 démarches, 2 of them fully online.
    assert query(
        demo_home,
        "select n_demarches, share_online from marts.demarche_indicator_trends "
        "where edition_id = '2026-04' and scope = 'ministere' and scope_id = 'Intérieur'",
    ) == [(4, 50.0)]


def test_same_file_twice_changes_nothing(loaded_home: Path) -> None:
    before = published_state(loaded_home, PUBLISHED_TABLES, "observatoire")
    result = observatoire(home=str(loaded_home), file=str(V2_ODS))
    assert result["status"] == "unchanged"
    assert "already the file of edition 2026-04" in result["editions"][0]["message"]
    assert published_state(loaded_home, PUBLISHED_TABLES, "observatoire") == before
    assert query(loaded_home, "select status from meta.loads order by load_id desc limit 1") == [
        ("unchanged",)
    ]


def test_malformed_files_are_refused_and_nothing_published_changes(
    loaded_home: Path, tmp_path: Path
) -> None:
    before = published_state(loaded_home, PUBLISHED_TABLES, "observatoire")
    no_title = tmp_path / "observatoire-edition-janvier-2023.csv"
    no_title.write_text("Ministère;Administration;Satisfaction;FranceConnect\nA;CAF;7/10;Non\n")
    with pytest.raises(LoadRefused) as refused:
        observatoire(home=str(loaded_home), file=str(no_title))
    assert no_title.name in str(refused.value)
    assert "required_column_present" in str(refused.value)

    # Two rows of the same démarche: the per-démarche suite's blocking rule refuses the file.
    lines = V1_CSV.read_bytes().splitlines(keepends=True)
    duplicated = tmp_path / "observatoire-edition-juillet-2022.csv"
    duplicated.write_bytes(b"".join([*lines, lines[1]]))
    with pytest.raises(LoadRefused) as refused:
        observatoire(home=str(loaded_home), file=str(duplicated))
    assert duplicated.name in str(refused.value)
    assert "one_row_per_demarche" in str(refused.value)

    assert published_state(loaded_home, PUBLISHED_TABLES, "observatoire") == before
    assert query(
        loaded_home,
        "select status, file_name from meta.loads order by load_id desc limit 2",
    ) == [("rejected", duplicated.name), ("rejected", no_title.name)]
    assert query(
        loaded_home,
        "select rule from meta.validation_results where not success and rule_class = 'blocking'",
    ) == [("required_column_present",), ("one_row_per_demarche",)]


def test_unknown_status_quarantines_the_cell_and_publishes_the_edition(
    prefect_server: None, home: Path, tmp_path: Path
) -> None:
    edition = tmp_path / "observatoire-edition-janvier-2021.csv"
    edition.write_text(
        "Démarche;Administration;Réalisable En Ligne;Satisfaction\n"
        "Demander la prime d'activité;CAF;Oui;7,8 / 10\n"
        "Déclarer ses revenus;DGFiP;Bientôt;8 / 10\n"
        "Payer une amende;ANTS;Non;À venir\n",
        encoding="utf-8",
    )
    result = observatoire(home=str(home), file=str(edition))
    assert result["status"] == "published"
    (summary,) = result["editions"]
    assert summary["changes"]["quarantined cells"] == 1
    assert summary["warnings"]["value_decoded"] == 1
    (cell,) = query(home, "select source_row, rule, record from meta.quarantine")
    assert cell[:2] == (3, "value_decoded")
    record = json.loads(cell[2])
    assert (record["indicator"], record["raw"]) == ("online_status", "Bientôt")
    assert query(
        home,
        "select value_text, null_reason from core.demarche_indicators "
        "where indicator = 'online_status' order by source_row",
    ) == [("oui", None), (None, "valeur_inconnue"), ("non", None)]
    assert query(home, "select n_demarches, n_quarantined_cells from core.editions") == [(3, 1)]
    # Two statuses known, one of them « Oui ».
    assert query(
        home,
        "select n_online_status, share_online from marts.demarche_indicator_trends "
        "where scope = 'ensemble'",
    ) == [(2, 50.0)]

    # A corrected file for the same edition replaces it: the later load wins.
    corrected = tmp_path / "observatoire-corrige.csv"
    corrected.write_text(edition.read_text(encoding="utf-8").replace("Bientôt", "Partiel"))
    result = observatoire(home=str(home), file=str(corrected), edition="2021-01")
    assert result["status"] == "published"
    assert query(
        home, "select source_file, n_demarches, n_quarantined_cells from core.editions"
    ) == [(corrected.name, 3, 0)]
    assert query(
        home,
        "select value_text from core.demarche_indicators "
        "where indicator = 'online_status' order by source_row",
    ) == [("oui",), ("partiel",), ("non",)]


@pytest.fixture
def data_gouv(httpserver: HTTPServer) -> Iterator[dict[str, Any]]:
    """A data.gouv.fr-like dataset API: `listing["resources"]` is served as it is at the time
    of the request; edition files are served under /files/."""
    listing: dict[str, Any] = {"resources": []}

    def serve_listing(request: Request) -> Response:
        return Response(json.dumps(listing), content_type="application/json")

    httpserver.expect_request("/api/1/datasets/observatoire/").respond_with_handler(serve_listing)
    for path in (V1_CSV, V2_XLSX, V2_ODS):
        httpserver.expect_request(f"/files/{path.name}").respond_with_data(
            path.read_bytes(), content_type="application/octet-stream"
        )
    yield listing


def _resource(httpserver: HTTPServer, path: Path, title: str, fmt: str) -> dict[str, Any]:
    return {
        "id": hashlib.md5(path.name.encode()).hexdigest(),
        "title": title,
        "url": httpserver.url_for(f"/files/{path.name}"),
        "format": fmt,
        "checksum": {"type": "sha1", "value": hashlib.sha1(path.read_bytes()).hexdigest()},
        "last_modified": "2026-04-20T10:00:00+00:00",
    }


def settings_for_local_server(home: Path, httpserver: HTTPServer) -> None:
    """fsdata.toml: the observatory's dataset on the local server, no wait between attempts."""
    (home / "fsdata.toml").write_text(
        "retry_delays = [0]\n[sources]\n"
        f'observatoire = "{httpserver.url_for("/api/1/datasets/observatoire/")}"\n'
    )


def _downloads(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log if request.path.startswith("/files/")]


def test_refresh_downloads_only_the_editions_not_loaded(
    prefect_server: None, home: Path, httpserver: HTTPServer, data_gouv: dict[str, Any]
) -> None:
    settings_for_local_server(home, httpserver)
    data_gouv["resources"] = [
        _resource(httpserver, V1_CSV, "Observatoire - édition octobre 2022", "csv"),
        {
            "id": "notice",
            "title": "Notice méthodologique",
            "url": httpserver.url_for("/files/notice.pdf"),
            "format": "pdf",
        },
    ]
    first = observatoire(home=str(home))
    assert first["status"] == "published"
    assert [e["as_of"] for e in first["editions"]] == ["2022-10"]
    assert _downloads(httpserver) == [f"/files/{V1_CSV.name}"]
    assert any("Notice méthodologique" in note for note in first["skipped"])

    # A new edition appears in the listing: only it is downloaded.
    httpserver.clear_log()
    xlsx = _resource(httpserver, V2_XLSX, "Observatoire 2 - édition 11 - octobre 2025", "xlsx")
    data_gouv["resources"].append(xlsx)
    second = observatoire(home=str(home))
    assert [e["as_of"] for e in second["editions"]] == ["2025-10"]
    assert _downloads(httpserver) == [f"/files/{V2_XLSX.name}"]
    assert query(home, "select edition_id, number from core.editions order by 1") == [
        ("2022-10", None),
        ("2025-10", 11),
    ]
    assert query(
        home, "select options->>'resource_checksum' from meta.loads where as_of = '2025-10-01'"
    ) == [(xlsx["checksum"]["value"],)]
    assert (home / "exports" / "observatoire" / "editions.csv").read_text().count("\n") == 3

    # Nothing new: nothing downloaded, nothing published.
    httpserver.clear_log()
    third = observatoire(home=str(home))
    assert third["status"] == "unchanged"
    assert _downloads(httpserver) == []


def test_refresh_parses_and_validates_new_editions_on_a_dask_cluster(
    dask_scheduler: str,
    demo_home: Path,
    home: Path,
    httpserver: HTTPServer,
    data_gouv: dict[str, Any],
) -> None:
    distributed = pytest.importorskip("distributed")
    (home / "fsdata.toml").write_text(
        f'retry_delays = [0]\ntask_runner = "dask"\ndask_address = "{dask_scheduler}"\n'
        f'[sources]\nobservatoire = "{httpserver.url_for("/api/1/datasets/observatoire/")}"\n'
    )
    data_gouv["resources"] = [
        _resource(httpserver, V1_CSV, "Observatoire - édition octobre 2022", "csv"),
        _resource(httpserver, V2_XLSX, "Observatoire 2 - édition 11 - octobre 2025", "xlsx"),
        _resource(httpserver, V2_ODS, "Observatoire 2 - édition 13 - avril 2026", "ods"),
    ]
    with (
        distributed.Client(dask_scheduler) as client,
        distributed.get_task_stream(client) as stream,
    ):
        report = observatoire(home=str(home))
        workers = set(client.scheduler_info()["workers"])

    # Parsed and validated on the cluster's workers.
    ran = [(item["key"].split("-")[0], item["worker"]) for item in stream.data]
    assert sorted(name for name, _ in ran) == ["parse"] * 3 + ["validate_frames"] * 3
    assert {worker for _, worker in ran} <= workers
    # Loaded in edition order, with the rows the thread runner loads from the same files.
    assert [e["as_of"] for e in report["editions"]] == ["2022-10", "2025-10", "2026-04"]
    loaded = "select as_of, rows_loaded from meta.loads where status = 'published' order by 1"
    assert query(home, loaded) == query(demo_home, loaded)


def test_refresh_keeps_a_local_edition_with_the_same_file_and_replaces_a_corrected_one(
    prefect_server: None, home: Path, httpserver: HTTPServer, data_gouv: dict[str, Any]
) -> None:
    settings_for_local_server(home, httpserver)
    observatoire(home=str(home), file=str(V1_CSV))  # loaded by hand: no resource checksum
    title = "Observatoire - édition octobre 2022"
    data_gouv["resources"] = [_resource(httpserver, V1_CSV, title, "csv")]
    assert observatoire(home=str(home))["status"] == "unchanged"
    assert _downloads(httpserver) == []

    # data.gouv.fr now publishes a corrected file for that edition: it replaces the local one.
    corrected = V1_CSV.read_bytes().replace(b"1200000", b"1250000")
    httpserver.expect_request("/files/corrected.csv").respond_with_data(corrected)
    data_gouv["resources"] = [
        {
            **_resource(httpserver, V1_CSV, title, "csv"),
            "url": httpserver.url_for("/files/corrected.csv"),
            "checksum": {"type": "sha1", "value": hashlib.sha1(corrected).hexdigest()},
        }
    ]
    report = observatoire(home=str(home))
    assert [(e["as_of"], e["status"]) for e in report["editions"]] == [("2022-10", "published")]
    assert _downloads(httpserver) == ["/files/corrected.csv"]
    assert query(
        home,
        "select count(*) from core.demarche_indicators where edition_id = '2022-10' "
        "and indicator = 'volume_total' and value_num = 1250000",
    ) == [(1,)]
