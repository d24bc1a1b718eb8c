"""A publication sends the release to the targets `publish_after_refresh` names (an S3-compatible
server on loopback); a run that publishes nothing sends nothing."""

from __future__ import annotations

import json
from pathlib import Path

from fsdata.config import sample_path
from tests.publish_servers import S3Server
from tests.test_publish import _bucket_objects, _configure, _files, s3, s3_server  # noqa: F401


def test_a_publication_sends_the_release_when_the_settings_say_so(
    prefect_server: None,
    home: Path,
    s3: tuple[S3Server, str],  # noqa: F811 (fixture)
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
