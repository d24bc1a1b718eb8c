"""`fsdata publish` against real servers on loopback: moto's S3 server and a stand-in of the
data.gouv.fr API. Most tests publish a small handmade release; one publishes the demo's."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import duckdb
import pytest

from fsdata.cli import main
from fsdata.config import DatagouvTarget, S3Target, load_settings, sample_path
from fsdata.publish import publish_after_refresh, publish_release
from tests.publish_servers import DatagouvStandIn, S3Server
from warehouse.release_files import CHECKSUMS, FileRecord, checksums_text, folder_files

API_KEY = "fsdata-test-key-" + uuid.uuid4().hex  # must never leave the environment
DATASET = "5bc04b2cff66bd680e499f4a"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.close()


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Server, str]]:
    """The server with a fresh bucket (moto's state is per process: one bucket per test)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    bucket = f"fsdata-{uuid.uuid4().hex[:12]}"
    _client(s3_server).create_bucket(Bucket=bucket)
    s3_server.faults.reset()
    yield s3_server, bucket
    s3_server.faults.reset()


@pytest.fixture
def datagouv(monkeypatch: pytest.MonkeyPatch) -> Iterator[DatagouvStandIn]:
    monkeypatch.setenv("FSDATA_TEST_DATAGOUV_KEY", API_KEY)
    server = DatagouvStandIn(DATASET, API_KEY)
    yield server
    server.close()


def _client(server: S3Server):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing-key-id",
        aws_secret_access_key="testing-secret",
    )


def _configure(
    home: Path, s3: tuple[S3Server, str] | None, datagouv: DatagouvStandIn | None
) -> None:
    lines = [
        "retry_delays = [0.01]",
        "fetch_retries = 2",
        "connect_timeout = 5",
        "read_timeout = 20",
    ]
    if s3 is not None:
        lines += [
            "[publish.s3]",
            f'endpoint_url = "{s3[0].url}"',
            f'bucket = "{s3[1]}"',
            'prefix = "fs"',
        ]
    if datagouv is not None:
        lines += [
            "[publish.datagouv]",
            f'api_url = "{datagouv.api_url}"',
            f'dataset = "{DATASET}"',
            'api_key_env = "FSDATA_TEST_DATAGOUV_KEY"',
        ]
    (home / "fsdata.toml").write_text("\n".join(lines) + "\n", "utf-8")


def write_checksums(exports: Path) -> None:
    """SHA256SUMS for a hand-made release folder, in the format the release writes."""
    records = {}
    for relative in folder_files(exports):
        if relative != CHECKSUMS and not relative.rsplit("/", 1)[-1].startswith("."):
            content = (exports / relative).read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            records[relative] = FileRecord(relative, digest, len(content))
    (exports / CHECKSUMS).write_text(checksums_text(records), "utf-8")


def _release(home: Path, version: str = "v1") -> Path:
    """A small release in the project's layout, with a datapackage and a valid SHA256SUMS."""
    exports = home / "exports"
    (exports / "espaces").mkdir(parents=True, exist_ok=True)
    (exports / "espaces" / "espaces_current.csv").write_text(f"id_fs,nom\n1,{version}\n", "utf-8")
    (exports / "espaces" / "espaces_current.parquet").write_bytes(
        b"PAR1" + version.encode() + b"PAR1"
    )
    (exports / "espaces" / "network.csv").write_text("departement,open\n01,3\n", "utf-8")
    (exports / "CHANGELOG.md").write_text(f"# Journal\n\n## {version}\n", "utf-8")
    (exports / "index.html").write_text(f"<html><body>{version}</body></html>", "utf-8")
    package = {
        "name": "france-services-data",
        "resources": [
            {"path": "espaces/espaces_current.csv", "title": "Espaces — ouverts", "format": "csv",
             "description": "Les espaces ouverts à la dernière date."},
            {"path": "espaces/network.csv", "title": "Espaces — réseau", "format": "csv",
             "description": "Le réseau par département."},
        ],
    }  # fmt: skip
    (exports / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), "utf-8")
    write_checksums(exports)
    return exports


def _files(exports: Path) -> dict[str, str]:
    """Every file of the release (SHA256SUMS included) → its sha256."""
    listed = {
        line.split("  ", 1)[1]: line.split("  ", 1)[0]
        for line in (exports / "SHA256SUMS").read_text("utf-8").splitlines()
    }
    listed["SHA256SUMS"] = hashlib.sha256((exports / "SHA256SUMS").read_bytes()).hexdigest()
    return listed


def _bucket_objects(server: S3Server, bucket: str) -> dict[str, bytes]:
    client = _client(server)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _publish(home: Path, *args: str) -> int:
    return main(["publish", "--home", str(home), *args])


def _state(home: Path, target: str) -> dict[str, str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select remote_key, sha256 from meta.publications where target = ?", [target]
        ).fetchall()
    return dict(rows)


# --- settings ----------------------------------------------------------------------------------


def test_publish_settings_are_read_and_checked(home: Path) -> None:
    (home / "fsdata.toml").write_text(
        'publish_after_refresh = ["s3"]\n'
        '[publish.s3]\nendpoint_url = "http://127.0.0.1:9000"\nbucket = "open"\nprefix = "fs"\n'
        '[publish.datagouv]\ndataset = "abc"\napi_key_env = "MY_KEY"\n',
        "utf-8",
    )
    settings = load_settings(home)
    assert settings.publish["s3"] == S3Target(
        bucket="open", endpoint_url="http://127.0.0.1:9000", prefix="fs"
    )
    assert settings.publish["datagouv"] == DatagouvTarget(dataset="abc", api_key_env="MY_KEY")
    assert settings.publish["datagouv"].api_url == "https://www.data.gouv.fr/api/1"
    assert settings.publish_after_refresh == ("s3",)
    assert load_settings(
        home, environ={"FSDATA_PUBLISH_AFTER_REFRESH": "s3,datagouv"}
    ).publish_after_refresh == (
        "s3",
        "datagouv",
    )

    bad = {
        '[publish.s3]\nbucket = "b"\nsecret = "x"\n': r"\[publish.s3\] unknown setting",
        '[publish.ftp]\nhost = "x"\n': r"unknown publish target \[publish.ftp\]",
        '[publish.datagouv]\napi_key_env = "K"\n': r"\[publish.datagouv\] needs dataset",
        'publish_after_refresh = ["datagouv"]\n[publish.s3]\nbucket = "b"\n': "names 'datagouv'",
        '[publish.datagouv]\ndataset = "d"\napi_url = "http://data.gouv.fr/api/1"\n': "be https",
    }
    for text, message in bad.items():
        (home / "fsdata.toml").write_text(text, "utf-8")
        with pytest.raises(ValueError, match=message):
            load_settings(home)


def test_unknown_or_missing_target_is_a_usage_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _release(home)
    assert _publish(home) == 1
    assert "no publish target configured" in capsys.readouterr().err
    (home / "fsdata.toml").write_text('[publish.s3]\nbucket = "b"\n', "utf-8")
    assert _publish(home, "--target", "datagouv") == 1
    assert "no target 'datagouv'" in capsys.readouterr().err


# --- the local release ---------------------------------------------------------------------------


def test_a_release_failing_its_checksums_is_not_published(
    home: Path,
    s3: tuple[S3Server, str],
    datagouv: DatagouvStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _configure(home, s3, datagouv)
    exports = _release(home)
    (exports / "espaces" / "network.csv").write_text("departement,open\n01,4\n", "utf-8")

    assert _publish(home) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "espaces/network.csv" in err and "SHA256SUMS" in err and "nothing was published" in err
    assert s3[0].faults.count == 0 and datagouv.faults.count == 0

    (exports / "espaces" / "network.csv").unlink()
    assert _publish(home) == 2
    assert "espaces/network.csv is missing" in capsys.readouterr().err


# --- S3 ------------------------------------------------------------------------------------------


def test_s3_publishes_every_file_then_nothing_then_only_what_changed(
    home: Path, s3: tuple[S3Server, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, bucket = s3
    _configure(home, s3, None)
    exports = _release(home)
    files = _files(exports)
    settings = load_settings(home)

    report = publish_release(settings, day=date(2026, 12, 1))
    assert report.ok, report.lines()
    assert report.targets[0].uploaded == len(files) == 7
    objects = _bucket_objects(server, bucket)
    for path, sha in files.items():
        for key in (f"fs/releases/2026-12-01/{path}", f"fs/latest/{path}"):
            assert hashlib.sha256(objects[key]).hexdigest() == sha, key
    manifest = json.loads(objects["fs/latest/manifest.json"])
    assert manifest["release"] == "2026-12-01"
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == files
    assert all(f["key"] == f"fs/releases/2026-12-01/{f['path']}" for f in manifest["files"])
    assert objects["fs/releases/2026-12-01/manifest.json"] == objects["fs/latest/manifest.json"]
    # the files were sent once, latest/ is made of server-side copies, the manifest comes last
    writes = server.writes()
    assert sorted(
        p for k, p in writes if k == "upload" and "/releases/" in p and "manifest" not in p
    ) == sorted(f"/{bucket}/fs/releases/2026-12-01/{p}" for p in files)
    assert all(k == "copy" for k, p in writes if "/latest/" in p and "manifest" not in p)
    assert writes[-1] == ("upload", f"/{bucket}/fs/latest/manifest.json")

    # the same release again, even another day: nothing is written, only the manifest read
    server.faults.reset()
    assert _publish(home, "--target", "s3") == 0
    assert "s3: up to date, nothing to send" in capsys.readouterr().out
    assert [(m, p) for m, p, _ in server.faults.log] == [
        ("GET", f"/{bucket}/fs/latest/manifest.json")
    ]

    # a change: only the changed file and SHA256SUMS are uploaded, the rest copied server-side
    _release(home, "v2")
    (exports / "espaces" / "espaces_current.parquet").write_bytes(b"PAR1v1PAR1")  # unchanged
    (exports / "CHANGELOG.md").write_text("# Journal\n\n## v1\n", "utf-8")  # unchanged
    (exports / "index.html").write_text("<html><body>v1</body></html>", "utf-8")  # unchanged
    write_checksums(exports)
    changed = {p for p, sha in _files(exports).items() if files[p] != sha}
    assert changed == {"espaces/espaces_current.csv", "SHA256SUMS"}
    server.faults.reset()
    report = publish_release(settings, day=date(2026, 12, 2))
    assert report.ok and report.targets[0].uploaded == 2
    uploads = [p for k, p in server.writes() if k == "upload" and "manifest" not in p]
    assert sorted(uploads) == sorted(f"/{bucket}/fs/releases/2026-12-02/{p}" for p in changed)
    objects = _bucket_objects(server, bucket)
    for path, sha in _files(exports).items():
        for key in (f"fs/releases/2026-12-02/{path}", f"fs/latest/{path}"):
            assert hashlib.sha256(objects[key]).hexdigest() == sha, key
    assert objects["fs/releases/2026-12-01/espaces/espaces_current.csv"] == b"id_fs,nom\n1,v1\n"
    assert json.loads(objects["fs/latest/manifest.json"])["release"] == "2026-12-02"

    # a file leaves the release: its latest/ object goes, the dated ones stay
    (exports / "espaces" / "network.csv").unlink()
    write_checksums(exports)
    assert publish_release(settings, day=date(2026, 12, 2)).ok
    objects = _bucket_objects(server, bucket)
    assert "fs/latest/espaces/network.csv" not in objects
    assert "fs/releases/2026-12-01/espaces/network.csv" in objects
    assert "latest/espaces/network.csv" not in _state(home, "s3")

    # the bucket emptied behind our back: the records no longer hold, everything is sent again
    client = _client(server)
    for key in _bucket_objects(server, bucket):
        client.delete_object(Bucket=bucket, Key=key)
    server.faults.reset()
    assert _publish(home, "--target", "s3") == 0
    assert "does not match the recorded state" in capsys.readouterr().out
    objects = _bucket_objects(server, bucket)
    for path, sha in _files(exports).items():
        assert hashlib.sha256(objects[f"fs/latest/{path}"]).hexdigest() == sha


def test_s3_interrupted_publish_keeps_latest_whole_and_resumes(
    home: Path, s3: tuple[S3Server, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, bucket = s3
    _configure(home, s3, None)
    exports = _release(home)
    settings = load_settings(home)
    assert publish_release(settings, day=date(2026, 12, 1)).ok
    before = _bucket_objects(server, bucket)

    for path in ("espaces/espaces_current.parquet", "espaces/network.csv", "CHANGELOG.md"):
        (exports / path).write_bytes((exports / path).read_bytes() + b"\n-- v2")
    write_checksums(exports)
    new = _files(exports)
    server.faults.reset()
    server.faults.fail_from = 4  # an outage from the fourth request on (retries included)
    assert _publish(home) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fsdata: s3: ") and "InternalError" in err[0]

    # a reader still sees the whole previous release through latest/manifest.json
    server.faults.fail_from = None  # the outage is over
    during = _bucket_objects(server, bucket)
    assert during["fs/latest/manifest.json"] == before["fs/latest/manifest.json"]
    for entry in json.loads(during["fs/latest/manifest.json"])["files"]:
        assert hashlib.sha256(during[entry["key"]]).hexdigest() == entry["sha256"]
    sent_first = server.writes()[:2]  # the two writes before the outage (an upload, a copy)
    assert [k for k, _ in sent_first] == ["upload", "copy"]

    server.faults.reset()
    assert _publish(home) == 0
    resumed = server.writes()
    assert not set(resumed) & set(sent_first)  # what went through is not written again
    assert sorted(p for k, p in resumed if k == "upload" and "manifest" not in p) == sorted(
        f"/{bucket}/fs/releases/{date.today().isoformat()}/{p}"
        for p in ("espaces/espaces_current.parquet", "espaces/network.csv", "SHA256SUMS")
    )
    after = _bucket_objects(server, bucket)
    manifest = json.loads(after["fs/latest/manifest.json"])
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == new
    for entry in manifest["files"]:
        assert hashlib.sha256(after[entry["key"]]).hexdigest() == entry["sha256"]
        assert hashlib.sha256(after[f"fs/latest/{entry['path']}"]).hexdigest() == entry["sha256"]


def test_s3_access_denied_is_one_line_and_exit_3(
    home: Path, s3: tuple[S3Server, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(home, s3, None)
    _release(home)
    s3[0].faults.deny = True
    assert _publish(home, "--target", "s3") == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert (
        err[0].startswith("fsdata: s3: access refused")
        and "AccessDenied" in err[0]
        and "403" in err[0]
    )
    assert _state(home, "s3") == {}


def test_dry_run_prints_the_plan_and_touches_nothing(
    home: Path,
    s3: tuple[S3Server, str],
    datagouv: DatagouvStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _configure(home, s3, datagouv)
    _release(home)
    assert _publish(home, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "s3: would send 7 file(s)" in out and "datagouv: would send 6 file(s)" in out
    assert "upload   espaces/espaces_current.csv → fs/releases/" in out
    assert "skipped  index.html: data.gouv.fr refuses HTML uploads" in out
    assert s3[0].faults.count == 0 and datagouv.faults.count == 0
    assert not (home / "warehouse.duckdb").exists()

    assert _publish(home) == 0  # now for real: the warehouse holds the state
    capsys.readouterr()
    state_before = (_state(home, "s3"), _state(home, "datagouv"))
    (home / "exports" / "CHANGELOG.md").write_text("# Journal\n\n## v3\n", "utf-8")
    write_checksums(home / "exports")
    s3[0].faults.reset()
    datagouv.faults.reset()
    assert _publish(home, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "s3: would send 2 file(s)" in out and "datagouv: would send 2 file(s)" in out
    assert s3[0].faults.count == 0 and datagouv.faults.count == 0
    assert (_state(home, "s3"), _state(home, "datagouv")) == state_before


# --- data.gouv.fr --------------------------------------------------------------------------------


def _check_resources(server: DatagouvStandIn, exports: Path, state: dict[str, str]) -> None:
    """One resource per release file but the page, holding its bytes, titled as documented."""
    # data.gouv.fr refuses HTML, and takes no .duckdb upload (the analyst database is skipped)
    files = {p: s for p, s in _files(exports).items() if not p.endswith((".html", ".duckdb"))}
    assert len(server.resources) == len(files)
    with duckdb.connect(str(exports.parent / "warehouse.duckdb"), read_only=True) as con:
        ids = dict(
            con.execute(
                "select file_path, remote_id from meta.publications where target = 'datagouv'"
            ).fetchall()
        )
    assert set(ids) == set(files) and set(state) == set(files)
    for path, rid in ids.items():
        resource = server.resources[rid]
        assert (
            resource["checksum"]["value"] == hashlib.sha1((exports / path).read_bytes()).hexdigest()
        )
        assert hashlib.sha256(server.files[rid]).hexdigest() == files[path]
        assert resource["title"] and resource["format"] == (
            path.rsplit(".", 1)[-1] if "." in path else "txt"
        )
    titles = {server.resources[ids[p]]["title"] for p in ids}
    assert {
        "Espaces — ouverts",
        "Espaces — ouverts (Parquet)",
        "Journal des publications",
    } <= titles
    assert (
        server.resources[ids["espaces/network.csv"]]["description"] == "Le réseau par département."
    )
    assert server.violations == []


def test_datagouv_one_resource_per_file_updated_in_place(
    home: Path,
    datagouv: DatagouvStandIn,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _configure(home, None, datagouv)
    exports = _release(home)
    assert _publish(home, "--target", "datagouv") == 0
    _check_resources(datagouv, exports, _state(home, "datagouv"))
    methods = [(m, p.split("/datasets/")[1]) for m, p, _ in datagouv.faults.log]
    assert methods[0] == ("GET", f"{DATASET}/")
    assert sum(1 for m, p in methods if p == f"{DATASET}/upload/") == 6
    # a text file of an extension data.gouv.fr does not take is sent as .txt
    names = {r["url"].rsplit("/", 1)[1] for r in datagouv.resources.values()}
    assert {"CHANGELOG.md.txt", "SHA256SUMS.txt", "espaces_current.parquet"} <= names
    assert all(h.get("X-Api-Key") == API_KEY for _, _, h in datagouv.faults.log)
    ids_before = dict(datagouv.resources)

    datagouv.faults.reset()
    assert _publish(home, "--target", "datagouv") == 0
    # read the dataset and the accepted extensions, send nothing
    assert [m for m, _, _ in datagouv.faults.log] == ["GET", "GET"]
    assert "datagouv: up to date" in capsys.readouterr().out

    _release(home, "v2")  # changes espaces_current.csv/.parquet, CHANGELOG.md, index.html
    datagouv.faults.reset()
    assert _publish(home, "--target", "datagouv") == 0
    replaced = [p for m, p, _ in datagouv.faults.log if p.endswith("/upload/")]
    assert len(replaced) == 4 and all("/resources/" in p for p in replaced)  # replaced in place
    assert set(datagouv.resources) == set(ids_before)  # no new resource
    _check_resources(datagouv, exports, _state(home, "datagouv"))

    # a resource deleted on data.gouv.fr is created again, the state follows
    gone = next(iter(datagouv.resources))
    del datagouv.resources[gone]
    datagouv.faults.reset()
    assert _publish(home, "--target", "datagouv") == 0
    assert [
        p.rsplit("/datasets/", 1)[1] for _, p, _ in datagouv.faults.log if p.endswith("/upload/")
    ] == [f"{DATASET}/upload/"]
    _check_resources(datagouv, exports, _state(home, "datagouv"))

    # what a flow calls after a refresh, and the artifact it makes of the report
    settings = load_settings(home)
    assert publish_after_refresh(settings) is None  # publish_after_refresh names no target
    (home / "fsdata.toml").write_text(
        'publish_after_refresh = ["datagouv"]\n' + (home / "fsdata.toml").read_text("utf-8"),
        "utf-8",
    )
    _release(home, "v3")
    report = publish_after_refresh(load_settings(home))
    assert report is not None and report.ok and report.targets[0].uploaded == 4
    markdown = report.markdown()
    assert "## datagouv" in markdown and "| replace | `espaces/espaces_current.csv` |" in markdown
    assert API_KEY not in markdown

    # the key is in no file of the home, no output and no log record
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    for path in home.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_datagouv_links_the_page_it_cannot_upload(
    home: Path, datagouv: DatagouvStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(home, None, datagouv)
    page = "https://open.example.org/fs/latest/index.html"
    with (home / "fsdata.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'page_url = "{page}"\n')
    exports = _release(home)
    (exports / "france_services.duckdb").write_bytes(b"DUCK" * 100)  # the analyst database
    write_checksums(exports)
    assert _publish(home, "--target", "datagouv") == 0
    assert (
        "skipped  france_services.duckdb: data.gouv.fr accepts no upload of extension .duckdb"
        in (capsys.readouterr().out)
    )
    links = [r for r in datagouv.resources.values() if r.get("filetype") == "remote"]
    assert len(links) == 1 and len(datagouv.resources) == 7
    assert links[0]["url"] == page and links[0]["title"] == "Page du catalogue"
    assert links[0]["format"] == "html" and links[0]["type"] == "documentation"

    # a new page: no upload, its metadata sent again (data.gouv.fr dates the resource anew)
    (home / "exports" / "index.html").write_text("<html><body>v2</body></html>", "utf-8")
    write_checksums(home / "exports")
    datagouv.faults.reset()
    assert _publish(home, "--target", "datagouv") == 0
    sent = [(m, p.rsplit("/datasets/", 1)[1]) for m, p, _ in datagouv.faults.log]
    assert ("PUT", f"{DATASET}/resources/{links[0]['id']}/") in sent
    assert len(datagouv.resources) == 7 and datagouv.violations == []


def test_datagouv_interrupted_publish_resumes_without_duplicates(
    home: Path, datagouv: DatagouvStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(home, None, datagouv)
    exports = _release(home)
    datagouv.faults.lose_answer_of = 5  # the second file is created, but its answer is lost
    assert _publish(home, "--target", "datagouv") == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fsdata: datagouv: ") and "HTTP 500" in err[0]
    assert API_KEY not in err[0]
    assert len(datagouv.resources) == 2

    datagouv.faults.reset()
    datagouv.faults.fail_from = 6  # an outage in the middle of the next run
    assert _publish(home, "--target", "datagouv") == 3
    uploads = sum(1 for _, p, _ in datagouv.faults.log[:5] if p.endswith("/upload/"))
    capsys.readouterr()

    datagouv.faults.reset()
    assert _publish(home, "--target", "datagouv") == 0
    _check_resources(datagouv, exports, _state(home, "datagouv"))
    # the resource whose answer was lost was adopted (by its checksum), not uploaded again;
    # each of the four others was uploaded once
    uploads += sum(1 for _, p, _ in datagouv.faults.log if p.endswith("/upload/"))
    assert uploads == 4


def test_datagouv_refused_key_is_one_line_and_exit_3(
    home: Path,
    datagouv: DatagouvStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _configure(home, None, datagouv)
    _release(home)
    monkeypatch.setenv("FSDATA_TEST_DATAGOUV_KEY", "a-wrong-key")
    assert _publish(home, "--target", "datagouv") == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"fsdata: datagouv: {datagouv.api_url} refused the API key from "
        f"$FSDATA_TEST_DATAGOUV_KEY for dataset {DATASET} (HTTP 401)"
    ]
    datagouv.faults.deny = True
    monkeypatch.setenv("FSDATA_TEST_DATAGOUV_KEY", API_KEY)
    assert _publish(home, "--target", "datagouv") == 3
    assert "(HTTP 403)" in capsys.readouterr().err
    monkeypatch.delenv("FSDATA_TEST_DATAGOUV_KEY")
    assert _publish(home, "--target", "datagouv") == 1
    assert "FSDATA_TEST_DATAGOUV_KEY (API key) is not set" in capsys.readouterr().err


# --- the demo's release, end to end --------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_home(demo_release: Path) -> Path:
    return demo_release


def test_the_demo_release_goes_to_both_targets(
    demo_home: Path,
    tmp_path: Path,
    s3: tuple[S3Server, str],
    datagouv: DatagouvStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns(".prefect", ".fsdata.lock"))
    _configure(home, s3, datagouv)
    exports = home / "exports"
    files = _files(exports)
    assert len(files) > 40

    assert _publish(home) == 0
    objects = _bucket_objects(*s3)
    manifest = json.loads(objects["fs/latest/manifest.json"])
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == files
    for entry in manifest["files"]:
        assert hashlib.sha256(objects[entry["key"]]).hexdigest() == entry["sha256"]
    _check_demo_resources(datagouv, exports)

    s3[0].faults.reset()
    datagouv.faults.reset()
    assert _publish(home) == 0
    out = capsys.readouterr().out
    assert (
        "s3: up to date, nothing to send" in out and "datagouv: up to date, nothing to send" in out
    )
    assert s3[0].writes() == [] and [m for m, _, _ in datagouv.faults.log] == ["GET", "GET"]
    for path in home.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def _check_demo_resources(server: DatagouvStandIn, exports: Path) -> None:
    # data.gouv.fr refuses HTML, and takes no .duckdb upload (the analyst database is skipped)
    files = {p: s for p, s in _files(exports).items() if not p.endswith((".html", ".duckdb"))}
    by_sha = {hashlib.sha256(data).hexdigest() for data in server.files.values()}
    assert len(server.resources) == len(files) and by_sha == set(files.values())
    package = json.loads((exports / "datapackage.json").read_text("utf-8"))
    titles = {r["title"] for r in server.resources.values()}
    sent = [r for r in package["resources"] if not r["path"].endswith(".duckdb")]
    assert {r["title"] for r in sent} <= titles
    assert server.violations == []


def test_a_publication_sends_the_release_when_the_settings_say_so(
    prefect_server: None, home: Path, s3: tuple[S3Server, str]
) -> None:
    from flows.espaces import espaces

    _configure(home, s3, None)
    settings = home / "fsdata.toml"  # a top-level key comes before the [publish.*] tables
    settings.write_text('publish_after_refresh = ["s3"]\n' + settings.read_text("utf-8"), "utf-8")
    sample = sample_path("espaces", "liste-fs-20240801.csv")
    assert espaces(home=str(home), file=str(sample), as_of="2024-08-01")["status"] == "published"
    manifest = json.loads(_bucket_objects(*s3)["fs/latest/manifest.json"])
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == _files(home / "exports")

    # nothing published, nothing sent
    s3[0].faults.reset()
    assert espaces(home=str(home), file=str(sample), as_of="2024-08-01")["status"] == "unchanged"
    assert s3[0].writes() == []


def test_a_year_file_is_uploaded_under_its_table_and_year(tmp_path: Path) -> None:
    """Two tables published a year a file both have a `2026.csv`: each is sent to data.gouv.fr
    under its table's name and year, a file of the release's top level under its own name."""
    from dataclasses import replace

    from fsdata.publish.datagouv import upload_name
    from fsdata.publish.release import ReleaseFile

    year = ReleaseFile("footfall/footfall_monthly/2026.csv", tmp_path / "2026.csv", "0" * 64,
                       "0" * 40, "", 0, "title", "", "csv", "main")  # fmt: skip
    assert upload_name(year, {"csv"}) == "footfall_monthly_2026.csv"
    table = replace(year, path="espaces/espaces_current.csv", local=tmp_path / "x.csv")
    assert upload_name(table, {"csv"}) == "espaces_current.csv"
    sums = replace(year, path="SHA256SUMS", local=tmp_path / "SHA256SUMS", format="")
    assert upload_name(sums, {"csv", "txt"}) == "SHA256SUMS.txt"
