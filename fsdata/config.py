"""The one configuration object: defaults, then `<home>/fsdata.toml` (or `--config`), then
`FSDATA_*` environment variables, then command-line options.

Environment variables: `FSDATA_HOME`, `FSDATA_ESPACES_URL`, `FSDATA_MAX_DOWNLOAD_BYTES`,
`FSDATA_CONNECT_TIMEOUT`, `FSDATA_READ_TIMEOUT`, `FSDATA_DOWNLOAD_TIMEOUT`, `FSDATA_FETCH_RETRIES`,
`FSDATA_RETRY_DELAYS` (comma-separated seconds), `FSDATA_ROW_COUNT_MAX_FALL`,
`FSDATA_ROW_COUNT_MAX_RISE`, `FSDATA_ALLOWED_HOSTS` (comma-separated), `FSDATA_LOCK_TIMEOUT`
(seconds a run waits for the warehouse lock), `FSDATA_TASK_RUNNER` (`threads` or `dask`),
`FSDATA_DASK_ADDRESS`, `FSDATA_TASK_WORKERS`, `FSDATA_TASK_CACHE_DAYS`,
`FSDATA_PUBLISH_AFTER_REFRESH` (comma-separated target names), `FSDATA_MEMORY_LIMIT` (DuckDB's,
e.g. `2GB`), and the input limits
`FSDATA_MAX_COLUMNS`, `FSDATA_MAX_CELL_BYTES`, `FSDATA_MAX_ROWS`, `FSDATA_MAX_INPUT_BYTES`,
`FSDATA_MAX_CELLS`, `FSDATA_MAX_JSON_DEPTH` (transforms/limits.py).

Publish targets are tables of `fsdata.toml` only (`[publish.s3]`, `[publish.datagouv]`): their
secrets never live there, only the names of the environment variables that hold them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from transforms.limits import DEFAULT_LIMITS, InputLimits
from warehouse.health import DEFAULT_MEMORY_LIMIT

DEFAULT_SOURCES = {
    # data.gouv.fr's stable "latest" link of the listing's CSV resource (SOURCES.md §1).
    "espaces": "https://www.data.gouv.fr/fr/datasets/r/31576dff-fd61-4de9-819f-32c2f880b142",
    "communes": "https://www.data.gouv.fr/api/1/datasets/r/f5df602b-3800-44d7-b2df-fa40a0350325",
    "observatoire": "https://www.data.gouv.fr/api/1/datasets/observatoire-de-la-qualite-des-demarches-en-ligne/",
    "barometre": "https://www.data.gouv.fr/api/1/datasets/barometre-des-resultats-de-laction-publique/",
    "mediation": "https://www.data.gouv.fr/api/1/datasets/lieux-de-mediation-numerique-sur-le-territoire-national/",
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
class S3Target:
    """`[publish.s3]`: an S3-compatible bucket. Credentials come from the environment
    (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), never from this file."""

    bucket: str
    endpoint_url: str = ""  # empty: AWS itself
    prefix: str = ""
    region: str = "us-east-1"


@dataclass(frozen=True)
class DatagouvTarget:
    """`[publish.datagouv]`: a dataset on data.gouv.fr (or demo, or another udata)."""

    dataset: str
    api_url: str = "https://www.data.gouv.fr/api/1"
    # The name of the environment variable holding the API key (sent as X-API-KEY).
    api_key_env: str = "DATAGOUV_API_KEY"
    # data.gouv.fr refuses HTML uploads: the catalogue page is linked as a remote resource at
    # this URL (for example the S3 target's latest/index.html) when set, else not published.
    page_url: str = ""


PUBLISH_TARGETS: dict[str, type] = {"s3": S3Target, "datagouv": DatagouvTarget}


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
    # Where `fsdata publish` sends the release (target name → its settings), and the targets
    # each successful refresh publishes to.
    publish: dict[str, S3Target | DatagouvTarget] = field(default_factory=dict)
    publish_after_refresh: tuple[str, ...] = ()
    # DuckDB's memory limit for the warehouse (its `memory_limit` setting): beyond it, large
    # sorts, joins and aggregates spill to `<warehouse>.tmp/` instead of growing the process.
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    # Bounds on an input file's size and shape (transforms/limits.py): a file over one is
    # refused (rule input_within_limits) before the parser allocates for it.
    max_columns: int = DEFAULT_LIMITS.max_columns
    max_cell_bytes: int = DEFAULT_LIMITS.max_cell_bytes
    max_rows: int = DEFAULT_LIMITS.max_rows
    max_input_bytes: int = DEFAULT_LIMITS.max_input_bytes
    max_cells: int = DEFAULT_LIMITS.max_cells
    max_json_depth: int = DEFAULT_LIMITS.max_json_depth

    @property
    def input_limits(self) -> InputLimits:
        """The limits as the parsers take them."""
        return InputLimits(**{f.name: getattr(self, f.name) for f in fields(InputLimits)})

    # The home's files (README, "Files on disk").
    warehouse_path = property(lambda self: Path(self.home) / "warehouse.duckdb")
    raw_dir = property(lambda self: Path(self.home) / "raw")
    exports_dir = property(lambda self: Path(self.home) / "exports")
    validation_dir = property(lambda self: Path(self.home) / "validation")

    def source_url(self, source: str) -> str:
        try:
            return self.sources[source]
        except KeyError:
            raise KeyError(f"no URL configured for source {source!r}") from None


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if name == "home":
        return Path(value)
    if name in ("allowed_hosts", "retry_delays", "publish_after_refresh"):
        items = value.split(",") if isinstance(value, str) else list(value)
        items = [str(i).strip() for i in items if str(i).strip()]
        return tuple(float(i) for i in items) if name == "retry_delays" else tuple(items)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    return value


def _publish_targets(path: Path, table: Any) -> dict[str, S3Target | DatagouvTarget]:
    """The `[publish.NAME]` tables, each checked against its target's known keys."""
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [publish] must be a table of targets")
    targets: dict[str, S3Target | DatagouvTarget] = {}
    for name, values in table.items():
        kind = PUBLISH_TARGETS.get(name)
        if kind is None:
            raise ValueError(
                f"{path}: unknown publish target [publish.{name}] "
                f"(known: {', '.join(PUBLISH_TARGETS)})"
            )
        if not isinstance(values, dict):
            raise ValueError(f"{path}: [publish.{name}] must be a table")
        known = {f.name: f for f in fields(kind)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"{path}: [publish.{name}] unknown setting(s) {sorted(unknown)}")
        required = [n for n, f in known.items() if f.default is MISSING and n not in values]
        if required:
            raise ValueError(f"{path}: [publish.{name}] needs {', '.join(required)}")
        bad = [k for k, v in values.items() if not isinstance(v, str)]
        if bad:
            raise ValueError(f"{path}: [publish.{name}] {', '.join(sorted(bad))} must be text")
        target = kind(**values)
        if isinstance(target, DatagouvTarget) and not _safe_for_key(target.api_url):
            # the key travels verbatim in a header: never over plain http beyond this machine
            raise ValueError(
                f"{path}: [publish.datagouv] api_url must be https, not {target.api_url}"
            )
        targets[name] = target
    return targets


def _safe_for_key(url: str) -> bool:
    """https, or http to this machine only (tests against a local server)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return parts.scheme == "http" and loopback


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
        if "publish" in document:
            values["publish"] = _publish_targets(toml_path, document.pop("publish"))
        unknown = set(document) - {f.name for f in fields(Settings)}
        if unknown:
            raise ValueError(f"{toml_path}: unknown setting(s) {sorted(unknown)}")
        values.update({k: _coerce(k, v) for k, v in document.items()})

    for f in fields(Settings):
        if f.name in ("home", "sources", "publish"):
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
    for limit in fields(InputLimits):
        if getattr(settings, limit.name) < 1:
            raise ValueError(
                f"{limit.name} must be at least 1, not {getattr(settings, limit.name)}"
            )
    if settings.task_workers < 1:
        raise ValueError(f"task_workers must be at least 1, not {settings.task_workers}")
    for name in settings.publish_after_refresh:
        if name not in settings.publish:
            raise ValueError(
                f"publish_after_refresh names {name!r}, but no [publish.{name}] is configured"
            )
    return settings


def sample_path(*parts: str) -> Path:
    """A file bundled with the package under `fsdata/samples/` (demo and test inputs)."""
    return Path(str(resources.files("fsdata").joinpath("samples", *parts)))
