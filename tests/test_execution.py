"""Where file tasks run and what they reuse: parse and validation results cached on the source
file's checksum (flows/execution.py), read back from a real Prefect server's task runs."""

from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest

from flows.espaces import espaces
from flows.espaces import parse as espaces_parse
from flows.execution import SourceChecksum, package_fingerprint
from flows.pipeline import LoadRefused
from fsdata.cli import main
from fsdata.config import sample_path
from tests.helpers import query

SAMPLE_2024 = sample_path("espaces", "liste-fs-20240801.csv")


def task_states(home: Path, load_id: int) -> dict[str, str]:
    """Task name → state name of the flow run that made load `load_id`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    [(flow_run_id,)] = query(home, f"select flow_run_id from meta.loads where load_id = {load_id}")
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
        )
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in runs if run.state}


def ingest(home: Path, file: Path, as_of: str, **options: Any) -> dict[str, Any]:
    return espaces(home=str(home), file=str(file), as_of=as_of, **options)


@pytest.mark.usefixtures("prefect_server")
def test_the_same_file_again_reuses_its_parse_and_validation(home: Path, tmp_path: Path) -> None:
    # Another copy, another name: the key is the content's checksum, not the path.
    copy = tmp_path / "listing-copy.csv"
    copy.write_bytes(SAMPLE_2024.read_bytes())

    first = ingest(home, SAMPLE_2024, "2024-08-01")
    states = task_states(home, first["load_id"])
    assert (states["parse espaces"], states["validate espaces"]) == ("Completed", "Completed")
    # Backfilled before it: parsed output reused; validated again, as the row-count guard's
    # bounds now come from the neighbouring snapshot.
    second = ingest(home, copy, "2024-06-01")
    states = task_states(home, second["load_id"])
    assert states["parse espaces"] == "Cached"
    assert states["validate espaces"] == "Completed"
    # Earlier still: same file, same bounds, so both are reused.
    third = ingest(home, copy, "2024-04-01")
    states = task_states(home, third["load_id"])
    assert (states["parse espaces"], states["validate espaces"]) == ("Cached", "Cached")

    # Reused results are published and recorded like fresh ones.
    assert third["status"] == "published" and third["rows_loaded"] == first["rows_loaded"]
    assert query(
        home,
        "select count(*) from core.espaces where valid_from = date '2024-04-01'",
    ) == [(first["rows_loaded"],)]
    assert query(
        home,
        f"select count(*) from meta.validation_results where load_id = {third['load_id']}",
    ) == query(
        home,
        f"select count(*) from meta.validation_results where load_id = {first['load_id']}",
    )
    assert (home / "validation" / "espaces" / f"load-{third['load_id']}.json").is_file()
    assert any(cache_dir_files(home))


def cache_dir_files(home: Path) -> list[Path]:
    folder = home / "cache" / "tasks"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []


@pytest.mark.usefixtures("prefect_server")
def test_an_override_after_a_refusal_does_not_parse_again(home: Path, tmp_path: Path) -> None:
    ingest(home, SAMPLE_2024, "2024-08-01")
    small = tmp_path / "small.csv"
    small.write_text("id_fs,lib_fs,insee_com\n1,A,01033\n2,B,01033\n", "utf-8")
    with pytest.raises(LoadRefused, match="row_count_guard"):
        ingest(home, small, "2024-09-01")
    summary = ingest(home, small, "2024-09-01", accept_row_count=True)
    assert summary["status"] == "published"
    states = task_states(home, summary["load_id"])
    assert states["parse espaces"] == "Cached"
    # Other bounds for the row-count guard: validated again, this time without them.
    assert states["validate espaces"] == "Completed"


@pytest.mark.usefixtures("prefect_server")
def test_no_cache_when_task_cache_days_is_zero(home: Path) -> None:
    (home / "fsdata.toml").write_text("task_cache_days = 0\n", "utf-8")
    ingest(home, SAMPLE_2024, "2024-08-01")
    second = ingest(home, SAMPLE_2024, "2024-06-01")
    assert task_states(home, second["load_id"])["parse espaces"] == "Completed"
    assert cache_dir_files(home) == []


def test_cache_key_counts_content_not_paths(tmp_path: Path) -> None:
    policy = SourceChecksum(inputs=("sha256", "renames_path"))
    context = SimpleNamespace(task=SimpleNamespace(name="parse x", source_code="def parse(): ..."))
    renames = tmp_path / "renames.csv"
    renames.write_text("from_title,to_title\n", "utf-8")

    def key(**inputs: Any) -> str | None:
        return policy.compute_key(context, inputs, {})

    base = key(sha256="a" * 64, renames_path=renames, file=tmp_path / "one.csv")
    assert key(sha256="a" * 64, renames_path=renames, file=tmp_path / "two.csv") == base
    assert key(sha256="b" * 64, renames_path=renames, file=tmp_path / "one.csv") != base
    renames.write_text("from_title,to_title\nAncien,Nouveau\n", "utf-8")
    assert key(sha256="a" * 64, renames_path=renames, file=tmp_path / "one.csv") != base
    with pytest.raises(ValueError, match="renames_path"):
        key(sha256="a" * 64)


def test_an_edited_package_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "fingerprinted_parsers"
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    (package / "listing.py").write_text("SEPARATOR = ','\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = package_fingerprint("fingerprinted_parsers")
    (package / "listing.py").write_text("SEPARATOR = ';'\n", "utf-8")
    package_fingerprint.cache_clear()
    assert package_fingerprint("fingerprinted_parsers") != before
    sys.modules.pop("fingerprinted_parsers", None)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('task_runner = "spark"\n', "task_runner must be one of threads, dask"),
        ("task_workers = 0\n", "task_workers must be at least 1"),
    ],
)
def test_a_bad_runner_setting_is_refused_before_any_run(
    home: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    (home / "fsdata.toml").write_text(setting, "utf-8")
    assert main(["demo", "--home", str(home)]) == 1
    assert message in capsys.readouterr().err
    assert not (home / "warehouse.duckdb").exists()


def assert_same(cached: Any, fresh: Any, where: str) -> None:
    """Equal values, and frames equal with the same schema (dtypes included)."""
    import polars as pl

    if isinstance(fresh, pl.DataFrame):
        assert cached.schema == fresh.schema, where
        assert cached.equals(fresh), where
    elif isinstance(fresh, dict):
        assert cached.keys() == fresh.keys(), where
        for key in fresh:
            assert_same(cached[key], fresh[key], f"{where}[{key}]")
    elif is_dataclass(fresh):
        for item in fields(fresh):
            assert_same(
                getattr(cached, item.name), getattr(fresh, item.name), f"{where}.{item.name}"
            )
    else:
        assert cached == fresh, where


def test_every_parse_result_comes_back_from_the_cache_unchanged() -> None:
    """The cache stores frames as Parquet: every column type a parser makes survives."""
    from flows import communes, footfall, observatoire, partners
    from flows.frame_pickle import dumps, loads
    from transforms.limits import DEFAULT_LIMITS
    from transforms.observatoire import edition_from_name
    from transforms.partners import default_reference_dir

    reference = default_reference_dir()
    edition_file = sample_path("observatoire", "observatoire-2-edition-11-octobre-2025-.xlsx")
    results = {
        "espaces 2020": espaces_parse.fn(
            file=sample_path("espaces", "france_services_20200312.geojson"),
            sha256="-",
            limits=DEFAULT_LIMITS,
        ),
        "espaces 2024": espaces_parse.fn(file=SAMPLE_2024, sha256="-", limits=DEFAULT_LIMITS),
        "communes": communes.parse.fn(
            file=sample_path("communes", "communes-demo.csv"),
            vintage=2021,
            sha256="-",
            limits=DEFAULT_LIMITS,
        ),
        "footfall": footfall.parse.fn(
            file=sample_path("footfall", "footfall-SYNTHETIC-demo.csv"),
            sha256="-",
            limits=DEFAULT_LIMITS,
            month_of_run=date(2026, 11, 1),
            aliases=None,
            catalogue_sha256=None,
        ),
        "observatoire": observatoire.parse.fn(
            file=edition_file,
            sha256="-",
            limits=DEFAULT_LIMITS,
            edition=edition_from_name(edition_file.name),
            renames_path=sample_path("observatoire", "demarche_renames.csv"),
        ),
        "partners": partners.parse.fn(
            file=reference / "partners.csv",
            bundle={
                "services": reference / "partner_services.csv",
                "administration_partners": reference / "administration_partners.csv",
                "official_figures": reference / "official_figures.csv",
            },
            sha256="-",
            limits=DEFAULT_LIMITS,
        ),
    }
    for name, fresh in results.items():
        assert_same(loads(dumps(fresh)), fresh, name)
