"""Shared fixtures: a Prefect test server for the session, a fresh data home per test, homes
with the demo samples loaded (once a session, copied by the tests that write), and the real
published files of ../shared/data when present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import DemoHomes

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect server for the whole session: each start costs seconds."""
    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty data home (warehouse, raw archive, exports) for one test."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (real published files are not part of a clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def dask_scheduler(prefect_server: None) -> Iterator[str]:
    """A local Dask cluster of two worker processes, reporting to the session's Prefect server;
    yields the scheduler's address (what `dask_address` names)."""
    distributed = pytest.importorskip("distributed")
    from prefect.settings import PREFECT_API_URL

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env={"PREFECT_API_URL": str(PREFECT_API_URL.value())},
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="session")
def demo_homes(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> DemoHomes:
    return DemoHomes(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_release(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`fsdata demo --samples` once a session: every sample loaded, released and paged. Shared:
    read it; a test that writes works on a copy."""
    from flows.demo import demo

    folder = tmp_path_factory.mktemp("demo-release") / "home"
    demo(home=str(folder), samples=True)
    return folder
