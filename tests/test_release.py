"""The open-data release the demo produces: a valid Frictionless package, checksums that verify,
a changelog entry per publication, a catalogue page that renders offline in headless Chromium,
and not one byte changed by a run that publishes nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.demo import demo
from flows.partners import partners

OFFLINE = {
    # Any attempt to reach the network fails at once: the validation must not need it.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


@pytest.fixture(scope="module")
def released(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("release") / "home"
    demo(home=str(home), samples=True)
    return home


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_datapackage_validates_offline(released: Path) -> None:
    package_path = released / "exports" / "datapackage.json"
    frictionless = Path(sys.executable).with_name("frictionless")
    result = subprocess.run(
        [str(frictionless), "validate", str(package_path)],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE},
        timeout=120,
        cwd=package_path.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INVALID" not in result.stdout


def test_datapackage_describes_every_table_from_the_warehouse(released: Path) -> None:
    package = json.loads((released / "exports" / "datapackage.json").read_text("utf-8"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    names = {r["name"] for r in package["resources"]}
    assert {"espaces_history", "coverage", "demarche_partner_coverage", "footfall"} <= names
    con = duckdb.connect(str(released / "warehouse.duckdb"), read_only=True)
    try:
        comment = con.execute(
            "select comment from duckdb_columns() "
            "where schema_name = 'core' and table_name = 'espaces' and column_name = 'valid_from'"
        ).fetchall()[0][0]
    finally:
        con.close()
    history = next(r for r in package["resources"] if r["name"] == "espaces_history")
    field = next(f for f in history["schema"]["fields"] if f["name"] == "valid_from")
    assert field == {"name": "valid_from", "type": "date", "description": comment}
    assert history["schema"]["primaryKey"] == ["espace_id", "valid_from"]
    footfall = next(r for r in package["resources"] if r["name"] == "footfall")
    assert footfall["description"].startswith("DONNÉES SYNTHÉTIQUES")
    assert any(s["title"].startswith("SYNTHÉTIQUE") for s in package["sources"])
    assert {s["title"].split(" — ")[0] for s in package["sources"]} >= {
        "Liste des France services",
        "Observatoire de la qualité des démarches en ligne",
    }


def test_checksums_verify(released: Path) -> None:
    exports = released / "exports"
    listed = (exports / "SHA256SUMS").read_text("utf-8").splitlines()
    paths = {line.split("  ", 1)[1] for line in listed}
    assert {"datapackage.json", "index.html", "CHANGELOG.md", "espaces/espaces_history.csv"} <= (
        paths
    )
    assert "espaces/espaces_history.parquet" in paths
    if shutil.which("sha256sum"):
        result = subprocess.run(
            ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=exports, capture_output=True
        )
        assert result.returncode == 0, result.stdout


def test_changelog_has_one_entry_per_publication(released: Path) -> None:
    text = (released / "exports" / "CHANGELOG.md").read_text("utf-8")
    con = duckdb.connect(str(released / "warehouse.duckdb"), read_only=True)
    try:
        published = con.execute(
            "select count(*) from meta.loads where status = 'published'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert len(re.findall(r"^## ", text, flags=re.MULTILINE)) == published
    assert "| observatoire/editions | 2 | 3 | +1 |" in text
    assert "partners/demarche_partner_coverage" in text  # rebuilt after an observatory edition


def test_a_run_that_publishes_nothing_changes_no_byte(released: Path) -> None:
    before = snapshot(released / "exports")
    assert partners(home=str(released))["status"] == "unchanged"
    assert snapshot(released / "exports") == before


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    assert binary is not None
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (CI installs it)")
def test_page_renders_in_headless_chromium(released: Path, tmp_path: Path) -> None:
    page = released / "exports" / "index.html"
    dom = browser(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    html = dom.stdout
    for chart in ("chart-network", "chart-coverage", "chart-footfall", "chart-demarches"):
        figure = re.search(rf'<figure id="{chart}".*?</figure>', html, flags=re.DOTALL)
        assert figure is not None, chart
        assert "<svg" in figure.group(0) and "no data yet" not in figure.group(0), chart
    assert "SYNTHETIC" in re.search(r'id="chart-footfall".*?</figure>', html, re.DOTALL).group(0)
    links = re.findall(r'href="([^"]+)"', html)
    local = [link for link in links if not link.startswith(("http://", "https://", "#"))]
    assert "datapackage.json" in local and "espaces/espaces_history.csv" in local
    for link in local:
        assert (page.parent / link).resolve().is_file(), link
    screenshot = tmp_path / "page.png"
    shot = browser(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,2000", page.as_uri())
    assert shot.returncode == 0, shot.stderr
    assert screenshot.stat().st_size > 10_000


def test_charts_say_no_data_yet_on_an_empty_warehouse(tmp_path: Path) -> None:
    from warehouse.db import connect
    from warehouse.release import write_release_files

    exports = tmp_path / "exports"
    with connect(tmp_path / "warehouse.duckdb") as con:
        write_release_files(con, exports)
    html = (exports / "index.html").read_text("utf-8")
    assert html.count("no data yet") == 6  # tracker, map, network, coverage, footfall, démarches


def test_status_reads_in_an_80_column_terminal(released: Path) -> None:
    from rich.console import Console

    from fsdata.status import print_status

    console = Console(width=80, record=True, color_system=None)
    assert print_status(released, console) == 0
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for source in ("espaces", "observatoire", "communes", "partners", "footfall", "coverage"):
        assert f"─ {source} ─" in text
    assert "689 loaded, 5 quarantined" in text


def test_validation_reports_are_linked_from_the_page(released: Path) -> None:
    page = (released / "exports" / "index.html").read_text("utf-8")
    for source in ("espaces", "observatoire", "communes", "partners", "footfall"):
        report = released / "validation" / "docs" / f"{source}.html"
        assert report.is_file()
        assert f'href="../validation/docs/{source}.html"' in page
    assert "row_count_guard" in (released / "validation" / "docs" / "espaces.html").read_text()


def test_gx_data_docs_are_built_and_linked_from_the_page(released: Path) -> None:
    index = released / "validation" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    page = (released / "exports" / "index.html").read_text("utf-8")
    assert 'href="../validation/gx/gx/uncommitted/data_docs/local_site/index.html"' in page
    assert (index / "index.html").is_file()
    # one GX validation page per source validated by GX, from its latest published load
    validations = {p.parts[-4] for p in (index / "validations").rglob("*.html")}
    assert {"espaces", "communes", "footfall"} <= validations
    assert "espace_id" in (index / "expectations" / "espaces.html").read_text("utf-8")
