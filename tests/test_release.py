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

from flows.partners import partners
from tests.helpers import browser, chromium

OFFLINE = {
    # Any attempt to reach the network fails at once: the validation must not need it.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_datapackage_validates_offline(demo_release: Path) -> None:
    package_path = demo_release / "exports" / "datapackage.json"
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


def test_datapackage_describes_every_table_from_the_warehouse(demo_release: Path) -> None:
    package = json.loads((demo_release / "exports" / "datapackage.json").read_text("utf-8"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    names = {r["name"] for r in package["resources"]}
    assert {"espaces_history", "coverage", "demarche_partner_coverage"} <= names
    con = duckdb.connect(str(demo_release / "warehouse.duckdb"), read_only=True)
    try:
        comment = con.execute(
            "select comment from duckdb_columns() "
            "where schema_name = 'core' and table_name = 'espaces' and column_name = 'valid_from'"
        ).fetchall()[0][0]
        years = [
            y for (y,) in con.execute("select distinct year(month) from core.footfall").fetchall()
        ]
    finally:
        con.close()
    # The footfall is published a year a file, each described with its year.
    footfall_parts = {r["path"] for r in package["resources"] if r["name"].startswith("footfall_2")}
    assert footfall_parts == {f"footfall/footfall/{year}.csv" for year in years}
    history = next(r for r in package["resources"] if r["name"] == "espaces_history")
    field = next(f for f in history["schema"]["fields"] if f["name"] == "valid_from")
    assert field == {"name": "valid_from", "type": "date", "description": comment}
    assert history["schema"]["primaryKey"] == ["espace_id", "valid_from"]
    footfall = next(r for r in package["resources"] if r["name"] == f"footfall_{min(years)}")
    assert footfall["description"].startswith("DONNÉES SYNTHÉTIQUES")
    assert any(s["title"].startswith("SYNTHÉTIQUE") for s in package["sources"])
    assert {s["title"].split(" — ")[0] for s in package["sources"]} >= {
        "Liste des France services",
        "Observatoire de la qualité des démarches en ligne",
    }


def test_checksums_verify(demo_release: Path) -> None:
    exports = demo_release / "exports"
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


def test_changelog_has_one_entry_per_publication(demo_release: Path) -> None:
    text = (demo_release / "exports" / "CHANGELOG.md").read_text("utf-8")
    con = duckdb.connect(str(demo_release / "warehouse.duckdb"), read_only=True)
    try:
        published = con.execute(
            "select count(*) from meta.loads where status = 'published'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert len(re.findall(r"^## ", text, flags=re.MULTILINE)) == published
    assert "| observatoire/editions | 2 | 3 | +1 |" in text
    assert "partners/demarche_partner_coverage" in text  # rebuilt after an observatory edition


def test_a_run_that_publishes_nothing_changes_no_byte(demo_release: Path) -> None:
    before = snapshot(demo_release / "exports")
    assert partners(home=str(demo_release))["status"] == "unchanged"
    assert snapshot(demo_release / "exports") == before


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (CI installs it)")
def test_page_renders_in_headless_chromium(demo_release: Path, tmp_path: Path) -> None:
    page = demo_release / "exports" / "index.html"
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
    # map, network, coverage, footfall, démarches; the tracker lists the promises (reference
    # data, with the code), none measured yet
    assert html.count("no data yet") == 5
    assert html.count('class="promise"') == html.count("aucune mesure en données ouvertes") >= 8


def test_status_reads_in_an_80_column_terminal(demo_release: Path) -> None:
    from rich.console import Console

    from fsdata.status import print_status

    console = Console(width=80, record=True, color_system=None)
    assert print_status(demo_release, console) == 0
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for source in ("espaces", "observatoire", "communes", "partners", "footfall", "coverage"):
        assert f"─ {source} ─" in text
    assert "689 loaded, 5 quarantined" in text


def test_validation_reports_are_linked_from_the_page(demo_release: Path) -> None:
    page = (demo_release / "exports" / "index.html").read_text("utf-8")
    for source in ("espaces", "observatoire", "communes", "partners", "footfall"):
        report = demo_release / "validation" / "docs" / f"{source}.html"
        assert report.is_file()
        assert f'href="../validation/docs/{source}.html"' in page
    assert "row_count_guard" in (demo_release / "validation" / "docs" / "espaces.html").read_text()


def test_gx_data_docs_are_built_and_linked_from_the_page(demo_release: Path) -> None:
    index = demo_release / "validation" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    page = (demo_release / "exports" / "index.html").read_text("utf-8")
    assert 'href="../validation/gx/gx/uncommitted/data_docs/local_site/index.html"' in page
    assert (index / "index.html").is_file()
    # one GX validation page per source validated by GX, from its latest published load
    validations = {p.parts[-4] for p in (index / "validations").rglob("*.html")}
    assert {"espaces", "communes", "footfall"} <= validations
    assert "espace_id" in (index / "expectations" / "espaces.html").read_text("utf-8")


# --- the analyst database, fsdata sql, fsdata verify ------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def fsdata(*arguments: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("fsdata")), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,  # type: ignore[arg-type]
    )


def read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def test_analyst_database_holds_the_tables_with_their_descriptions(demo_release: Path) -> None:
    from warehouse.analyst_db import VIEWS, analyst_tables

    analyst = read_only(demo_release / "exports" / "france_services.duckdb")
    warehouse = read_only(demo_release / "warehouse.duckdb")
    try:
        tables = analyst_tables(warehouse)
        assert {"core.espaces", "core.communes", "marts.coverage", "core.demarche_indicators"} <= (
            set(tables)
        )
        assert {"core.partners", "core.footfall", "core.official_figures"} <= set(tables)
        describe = (
            "select schema_name || '.' || table_name, column_name, comment from duckdb_columns() "
            "where schema_name in ('core', 'marts') order by all"
        )
        expected = [row for row in warehouse.execute(describe).fetchall() if row[0] in tables]
        assert analyst.execute(describe).fetchall() == expected
        assert all(row[2] for row in expected)  # every column described, the same text
        comments = "select schema_name || '.' || table_name, comment from duckdb_tables()"
        copied = dict(analyst.execute(comments).fetchall())
        assert {t: c for t, c in warehouse.execute(comments).fetchall() if t in tables} == {
            t: c for t, c in copied.items() if t in tables
        }
        for table in tables:
            counted = f"select count(*) from {table}"
            assert analyst.execute(counted).fetchall() == warehouse.execute(counted).fetchall()
        published = warehouse.execute(
            "select count(*) from meta.loads where status = 'published'"
        ).fetchall()
        assert analyst.execute("select count(*) from meta.publications").fetchall() == published
        views = analyst.execute(
            "select view_name, comment from duckdb_views() where not internal order by 1"
        ).fetchall()
        assert sorted(VIEWS) == [name for name, _ in views] and all(c for _, c in views)
        for view in VIEWS:
            assert analyst.execute(f"select count(*) from {view}").fetchall()[0][0] > 0, view
    finally:
        analyst.close()
        warehouse.close()


def test_analyst_database_is_listed_in_the_release(demo_release: Path) -> None:
    exports = demo_release / "exports"
    database = exports / "france_services.duckdb"
    package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    resource = next(r for r in package["resources"] if r["path"] == "france_services.duckdb")
    assert resource["bytes"] == database.stat().st_size
    from warehouse.archive import sha256_of

    assert resource["hash"] == f"sha256:{sha256_of(database)}"
    assert "schema" not in resource  # not tabular
    sums = (exports / "SHA256SUMS").read_text("utf-8")
    assert f"{sha256_of(database)}  france_services.duckdb" in sums
    page = (exports / "index.html").read_text("utf-8")
    section = re.search(r'<section id="analyst-database">.*?</section>', page, re.DOTALL)
    assert section is not None
    text = section.group(0)
    size = f"{database.stat().st_size / (1 << 20):.1f} Mo".replace(".", ",")
    assert size in text and 'href="france_services.duckdb"' in text
    assert 'duckdb.connect("france_services.duckdb", read_only=True)' in text
    assert "duckdb -readonly france_services.duckdb" in text
    assert "ATTACH 'https://…/france_services.duckdb' AS fs (READ_ONLY)" in text


def test_release_is_what_the_warehouse_recorded(demo_release: Path) -> None:
    """Every line of SHA256SUMS, and every hash of datapackage.json, is the recorded one."""
    exports = demo_release / "exports"
    con = read_only(demo_release / "warehouse.duckdb")
    try:
        recorded = dict(con.execute("select path, sha256 from meta.release_files").fetchall())
    finally:
        con.close()
    listed = dict(
        reversed(line.split("  ", 1))
        for line in (exports / "SHA256SUMS").read_text("utf-8").splitlines()
    )
    assert listed == {path: digest for path, digest in recorded.items() if path != "SHA256SUMS"}
    package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        assert resource["hash"] == f"sha256:{recorded[resource['path']]}"
    result = fsdata("verify", "--home", str(demo_release))
    assert result.returncode == 0, result.stderr
    assert f"{len(listed)} files match" in result.stdout


def test_verify_reports_each_problem_on_a_downloaded_copy(
    demo_release: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "downloaded"
    shutil.copytree(demo_release / "exports", copy)
    assert fsdata("verify", "--exports", str(copy)).returncode == 0
    with (copy / "espaces" / "espaces_current.csv").open("a") as handle:
        handle.write("edited by hand\n")
    (copy / "coverage" / "coverage.parquet").unlink()
    (copy / "injected.txt").write_text("not ours")
    result = fsdata("verify", "--exports", str(copy))
    assert result.returncode == 2
    problems = result.stderr.splitlines()[:-1]
    assert problems == [
        f"{copy}/coverage/coverage.parquet: listed in SHA256SUMS but missing",
        f"{copy}/espaces/espaces_current.csv: sha256 differs from SHA256SUMS",
        f"{copy}/injected.txt: not listed in SHA256SUMS (not part of the release)",
        f"{copy}/datapackage.json: espaces/espaces_current.csv: size differs from the file",
    ]
    assert "Traceback" not in result.stderr


def test_fsdata_sql_answers_like_the_warehouse_and_refuses_writes(demo_release: Path) -> None:
    import time

    database = demo_release / "exports" / "france_services.duckdb"
    before = database.read_bytes()
    query = (
        "select as_of, level, code, n_espaces, share_pop_within_10km from marts.coverage "
        "order by as_of, level, code"
    )
    started = time.monotonic()
    result = fsdata("sql", "--home", str(demo_release), "--format", "json", query)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    con = read_only(demo_release / "warehouse.duckdb")
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    expected = [
        {"as_of": r[0].isoformat(), "level": r[1], "code": r[2], "n_espaces": r[3],
         "share_pop_within_10km": r[4]}
        for r in rows
    ]  # fmt: skip
    assert json.loads(result.stdout) == expected and expected
    assert elapsed < 3, elapsed  # a whole process, Python start included, on a shared machine
    csv_out = fsdata("sql", "--home", str(demo_release), "--format", "csv", query)
    assert csv_out.stdout.splitlines()[0] == "as_of,level,code,n_espaces,share_pop_within_10km"
    assert len(csv_out.stdout.splitlines()) == len(rows) + 1
    for statement, kind in (
        ("drop table core.espaces", "DROP"),
        ("insert into core.partners select * from core.partners", "INSERT"),
        ("select 1; delete from core.communes", "DELETE"),
        ("copy core.espaces to 'stolen.csv'", "COPY"),
    ):
        refused = fsdata("sql", "--home", str(demo_release), statement)
        assert refused.returncode == 1
        assert refused.stderr == (
            f"fsdata sql: the analyst database is read-only: {kind} refused (only queries run "
            "here); nothing was changed\n"
        )
    bad = fsdata("sql", "--home", str(demo_release), "select * from nowhere")
    assert bad.returncode == 1 and len(bad.stderr.splitlines()) == 1
    assert bad.stderr.startswith("fsdata sql: Catalog Error: Table with name nowhere")
    assert database.read_bytes() == before
    piped = fsdata(
        "sql", "--home", str(demo_release), input="select count(*) as n from core.espaces;"
    )
    assert piped.returncode == 0 and piped.stdout.splitlines()[0].strip() == "n"


def test_fsdata_sql_starts_no_prefect() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from fsdata.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    main(['sql', '--database', '/nonexistent/x.duckdb', 'select 1'])\n"
        "print(any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def readme_analyst_queries() -> list[str]:
    text = README.read_text("utf-8")
    section = text[text.index("## For analysts") :]
    section = section[: section.index("\n## ", 5)]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_analyst_queries_run_on_the_demo(demo_release: Path) -> None:
    from fsdata.analyst_sql import open_database, run

    queries = readme_analyst_queries()
    assert len(queries) >= 7
    con = open_database(demo_release / "exports" / "france_services.duckdb")
    try:
        for query in queries:
            columns, rows = run(con, query)  # what `fsdata sql` runs: queries only
            assert columns and rows, query
    finally:
        con.close()


def test_hand_edits_deletions_and_strays_are_repaired_by_the_next_run(
    demo_release: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_release, home, ignore=shutil.ignore_patterns(".prefect"))
    exports = home / "exports"
    edited = exports / "espaces" / "espaces_current.csv"
    original = edited.read_bytes()
    edited.write_bytes(original.replace(b"France services", b"France servicez"))
    (exports / "observatoire" / "demarches.parquet").unlink()
    (exports / "CHANGELOG.md").unlink()
    (exports / "injected.txt").write_text("dropped here by someone else\n")
    capsys.readouterr()
    assert partners(home=str(home))["status"] == "unchanged"  # any run, publishing or not
    # Printed; inside a flow, Prefect's log_prints turns prints into log records.
    said = "".join(capsys.readouterr()) + caplog.text
    for line in (
        "release: repaired espaces/espaces_current.csv (changed on disk)",
        "release: repaired observatoire/demarches.parquet (missing)",
        "release: repaired CHANGELOG.md (missing)",
        "release: injected.txt: not written by the release, not certified",
    ):
        assert line in said, said
    assert edited.read_bytes() == original
    assert (exports / "observatoire" / "demarches.parquet").is_file()
    assert (exports / "CHANGELOG.md").read_bytes() == (
        demo_release / "exports" / "CHANGELOG.md"
    ).read_bytes()
    sums = (exports / "SHA256SUMS").read_text("utf-8")
    assert "injected.txt" not in sums
    assert "observatoire/demarches.parquet" in sums
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=exports)
        assert check.returncode == 0
    result = fsdata("verify", "--home", str(home))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].endswith(
        "injected.txt: not listed in SHA256SUMS (not part of the release)"
    )
    (exports / "injected.txt").unlink()
    assert fsdata("verify", "--home", str(home)).returncode == 0


def test_a_consistently_forged_release_differs_from_the_warehouse(
    demo_release: Path, tmp_path: Path
) -> None:
    """Files, SHA256SUMS and datapackage.json rewritten to agree with each other: the folder
    alone verifies, the operator's check against the warehouse does not, and a run repairs it."""
    from warehouse.archive import sha256_of
    from warehouse.db import connect
    from warehouse.release import publish

    home = tmp_path / "home"
    shutil.copytree(demo_release, home, ignore=shutil.ignore_patterns(".prefect"))
    exports = home / "exports"
    forged = exports / "espaces" / "espaces_current.csv"
    original = forged.read_bytes()
    forged.write_bytes(original + b"99999,forged row\n")
    digest = sha256_of(forged)
    sums = exports / "SHA256SUMS"
    sums.write_text(
        "".join(
            f"{digest}  espaces/espaces_current.csv\n"
            if line.endswith("  espaces/espaces_current.csv")
            else line + "\n"
            for line in sums.read_text("utf-8").splitlines()
        )
    )
    package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        if resource["path"] == "espaces/espaces_current.csv":
            resource["hash"], resource["bytes"] = f"sha256:{digest}", forged.stat().st_size
    (exports / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False))
    sums.write_text(
        "".join(
            f"{sha256_of(exports / 'datapackage.json')}  datapackage.json\n"
            if line.endswith("  datapackage.json")
            else line + "\n"
            for line in sums.read_text("utf-8").splitlines()
        )
    )
    assert fsdata("verify", "--exports", str(exports)).returncode == 0
    checked = fsdata("verify", "--home", str(home))
    assert checked.returncode == 2
    assert (
        f"{exports}/espaces/espaces_current.csv: SHA256SUMS differs from what the warehouse "
        "published"
    ) in checked.stderr.splitlines()
    with connect(home / "warehouse.duckdb") as con:
        publish(con, exports, "partners", {"status": "unchanged"}, home / "validation")
    assert forged.read_bytes() == original
    assert fsdata("verify", "--home", str(home)).returncode == 0
