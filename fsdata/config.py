"""The one configuration object: defaults, then `<home>/fsdata.toml` (or `--config`), then
`FSDATA_*` environment variables, then command-line options.

Environment variables: `FSDATA_HOME`, `FSDATA_ESPACES_URL`, `FSDATA_MAX_DOWNLOAD_BYTES`,
`FSDATA_CONNECT_TIMEOUT`, `FSDATA_READ_TIMEOUT`, `FSDATA_DOWNLOAD_TIMEOUT`, `FSDATA_FETCH_RETRIES`,
`FSDATA_RETRY_DELAYS` (comma-separated seconds), `FSDATA_ROW_COUNT_MAX_FALL`,
`FSDATA_ROW_COUNT_MAX_RISE`, `FSDATA_ALLOWED_HOSTS` (comma-separated), `FSDATA_LOCK_TIMEOUT`
(seconds a run waits for the warehouse lock), `FSDATA_TASK_RUNNER` (`threads` or `dask`),
`FSDATA_DASK_ADDRESS`, `FSDATA_TASK_WORKERS`, `FSDATA_TASK_CACHE_DAYS`, `FSDATA_MEMORY_LIMIT`
(DuckDB's, e.g. `2GB`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_SOURCES = {
    # data.gouv.fr's stable "latest" link of the listing's CSV resource (SOURCES.md §1).
    "espaces": "https://www.data.gouv.fr/fr/datasets/r/31576dff-fd61-4de9-819f-32c2f880b142",
    "communes": "https://www.data.gouv.fr/api/1/datasets/r/f5df602b-3800-44d7-b2df-fa40a0350325",
    "observatoire": "https://www.data.gouv.fr/api/1/datasets/observatoire-de-la-qualite-des-demarches-en-ligne/",
}

# Hosts a live source may be fetched from (redirects included). Loopback is accepted over
# plain http for tests against a local server; any other host must be https and listed.
DEFAULT_ALLOWED_HOSTS = (
    "www.data.gouv.fr",
    "data.gouv.fr",
    "static.data.gouv.fr",
    "object.files.data.gouv.fr",
)

TASK_RUNNERS = ("threads", "dask")


@dataclass(frozen=True)
class Settings:
    home: Path = Path("data")
    sources: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES))
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Wall-clock bound of one download, whatever the pace of the bytes.
    download_timeout: float = 600.0
    max_download_bytes: int = 50 * 1024 * 1024
    fetch_retries: int = 3
    retry_delays: tuple[float, ...] = (2.0, 5.0, 15.0)
    # Row-count guard: refuse a snapshot that falls more than 20 % below, or rises above
    # twice, the last published one (a truncated download looks like a fall).
    row_count_max_fall: float = 0.20
    row_count_max_rise: float = 2.0
    # How long a run waits for another run to release the warehouse before giving up.
    lock_timeout: float = 600.0
    # Where parse and validate tasks run (flows/execution.py): "threads" on this machine, or
    # "dask" on the cluster at `dask_address` (empty: a local cluster of `task_workers`).
    task_runner: str = "threads"
    dask_address: str = ""
    task_workers: int = 2
    # Days a parse or validation result stays reusable for the same source file (0: never).
    task_cache_days: float = 30.0
    # DuckDB's memory limit for the warehouse (its `memory_limit` setting): beyond it, large
    # sorts, joins and aggregates spill to `<warehouse>.tmp/` instead of growing the process.
    memory_limit: str = "2GB"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def validation_dir(self) -> Path:
        return self.home / "validation"

    def source_url(self, source: str) -> str:
        try:
            return self.sources[source]
        except KeyError:
            raise KeyError(f"no URL configured for source {source!r}") from None


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name == "home":
        return Path(value)
    if name in ("allowed_hosts", "retry_delays"):
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [str(i).strip() for i in items if str(i).strip()]
        return tuple(float(i) for i in items) if name == "retry_delays" else tuple(items)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    return value


def load_settings(
    home: str | Path | None = None,
    config_file: str | Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    resolved_home = Path(home or env.get("FSDATA_HOME") or "data")
    values: dict[str, Any] = {}
    sources = dict(DEFAULT_SOURCES)

    toml_path = Path(config_file) if config_file else resolved_home / "fsdata.toml"
    if toml_path.exists():
        with toml_path.open("rb") as handle:
            document = tomllib.load(handle)
        sources.update(document.pop("sources", {}))
        unknown = set(document) - {f.name for f in fields(Settings)}
        if unknown:
            raise ValueError(f"{toml_path}: unknown setting(s) {sorted(unknown)}")
        values.update({k: _coerce(k, v) for k, v in document.items()})

    for f in fields(Settings):
        if f.name in ("home", "sources"):
            continue
        env_value = env.get(f"FSDATA_{f.name.upper()}")
        if env_value is not None:
            values[f.name] = _coerce(f.name, env_value)
    for source in list(sources):
        env_url = env.get(f"FSDATA_{source.upper()}_URL")
        if env_url:
            sources[source] = env_url

    settings = replace(Settings(), **values, home=resolved_home, sources=sources)
    if settings.task_runner not in TASK_RUNNERS:
        raise ValueError(
            f"task_runner must be one of {', '.join(TASK_RUNNERS)}, not {settings.task_runner!r}"
        )
    if settings.task_workers < 1:
        raise ValueError(f"task_workers must be at least 1, not {settings.task_workers}")
    return settings


def sample_path(*parts: str) -> Path:
    """A file bundled with the package under `fsdata/samples/` (demo and test inputs)."""
    return Path(str(resources.files("fsdata").joinpath("samples", *parts)))
