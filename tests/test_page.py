"""The catalogue page in headless Chromium, on the demo warehouse with the promise tracker built:
the tracker at the top, one row per promise linking to its dataset files, the map with one mark
per open espace, the network's size against the promised figures, nothing fetched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import browser, chromium, query, refresh_promise_tracker
from warehouse.db import connect
from warehouse.release import publish

VERDICTS = {
    "met": "tenue",
    "not met": "non tenue",
    "not measurable from open data yet": "pas encore mesurable avec les données ouvertes",
}


@pytest.fixture(scope="module")
def dom(demo_release: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    if chromium() is None:
        pytest.skip("chromium is not installed (CI installs it)")
    page = demo_release / "exports" / "index.html"
    result = browser(tmp_path_factory.mktemp("chromium"), "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_tracker_is_at_the_top_one_row_per_promise_each_linking_to_its_dataset(
    demo_release: Path, dom: str
) -> None:
    assert dom.index('id="promises"') < dom.index('id="about"') < dom.index('id="map"')
    expected = query(
        demo_release,
        "select promise_code, verdict, source_table from marts.promise_tracker order by position",
    )
    rows = re.findall(r'<tr class="promise" id="promise-([^"]+)">(.*?)</tr>', dom, re.DOTALL)
    assert [code for code, _ in rows] == [code for code, _, _ in expected]
    exports = demo_release / "exports"
    for (code, html), (_, verdict, source_table) in zip(rows, expected, strict=True):
        links = re.findall(r'class="dataset-link" href="([^"]+)"', html)
        assert links and links[0] == "promises/promise_tracker.csv", code
        for link in links:
            assert (exports / link).is_file(), (code, link)
        if source_table == "marts.coverage":
            assert "coverage/coverage.csv" in links, code
        assert f">{VERDICTS[verdict]}</span>" in html, code
    measured = [code for code, html in rows if '<svg class="sparkline"' in html]
    assert len(measured) == len([1 for _, _, table in expected if table is not None])


def test_the_map_shows_one_mark_per_open_espace(demo_release: Path, dom: str) -> None:
    figure = re.search(r'<figure id="map".*?</figure>', dom, re.DOTALL)
    assert figure is not None and "no data yet" not in figure.group(0)
    ((open_espaces,),) = query(
        demo_release, "select count(*) from marts.espaces_current where latitude is not null"
    )
    assert open_espaces > 0
    assert len(re.findall(r'<circle class="espace"', figure.group(0))) == open_espaces
    assert f"{open_espaces} espaces ouverts" in figure.group(0)
    assert 'class="communes' in figure.group(0)


def test_the_network_chart_draws_the_promised_figures_as_reference_lines(
    demo_release: Path, dom: str
) -> None:
    figure = re.search(r'<figure id="chart-network".*?</figure>', dom, re.DOTALL)
    assert figure is not None
    promised = query(
        demo_release, "select promise from core.promises where measure = 'network_labelled'"
    )
    assert len(re.findall(r'<g class="reference">', figure.group(0))) == len(promised) == 2
    for (promise,) in promised:
        assert f"promis : {promise}" in figure.group(0)


def test_the_page_fetches_nothing_and_renders(demo_release: Path, dom: str, tmp_path: Path) -> None:
    assert "<script" not in dom and "<link" not in dom
    assert not re.search(r'\ssrc="', dom)
    page = demo_release / "exports" / "index.html"
    screenshot = tmp_path / "page.png"
    shot = browser(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,3000", page.as_uri())
    assert shot.returncode == 0, shot.stderr
    assert screenshot.stat().st_size > 20_000


@pytest.fixture(scope="module")
def real_home(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.communes import communes
    from flows.espaces import espaces
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (real published files are not part of a clone)")
    folder = tmp_path_factory.mktemp("real-page") / "home"
    listing = SHARED_DATA / "espaces" / "liste-fs-20240801.csv"
    espaces(home=str(folder), file=str(listing), as_of="2024-08-01")
    communes(
        home=str(folder), file=str(SHARED_DATA / "communes" / "communes-2021.csv"), vintage=2021
    )
    with connect(folder / "warehouse.duckdb") as con:
        refresh_promise_tracker(con)
        publish(con, folder / "exports", "promises")
    return folder


def test_on_the_real_listing_the_map_marks_every_open_espace_and_the_mesh_is_measured(
    real_home: Path, tmp_path: Path
) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (CI installs it)")
    page = real_home / "exports" / "index.html"
    result = browser(tmp_path, "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr
    ((located, listed),) = query(
        real_home,
        "select count(*) filter (where latitude is not null), count(*) from marts.espaces_current",
    )
    assert listed == 2845 and located > 2800
    assert result.stdout.count('<circle class="espace"') == located
    for territory in ("Corse", "Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert f">{territory}</text>" in result.stdout
    ((share, measured),) = query(
        real_home,
        "select c.share_pop_within_30min, t.measured_value from marts.coverage c, "
        "marts.promise_tracker t where c.level = 'france' and c.as_of = '2024-08-01' "
        "and t.promise_code = 'mesh_30min'",
    )
    assert measured == share and 99 < share < 100
    row = re.search(r'id="promise-mesh_30min">(.*?)</tr>', result.stdout, re.DOTALL)
    assert row is not None and ">non tenue</span>" in row.group(1)
