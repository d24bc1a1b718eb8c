"""Where a flow's file tasks (parse, validate) run, and how their results are cached.

Runner: Prefect's thread pool on the flow's machine by default; with `task_runner = "dask"`
a Dask cluster (`dask_address`, or a local cluster started for the run) parses and validates
files, so large inputs or many observatory editions use the cluster's cores and memory.
Loading stays in the flow's process, under the warehouse lock: DuckDB has one writer.

Cache: a file task is keyed on the source file's SHA-256, the inputs that change its result
and a fingerprint of the code that computes it (the task itself and the packages it names).
The same file brought back, on another date, after a refusal overridden by
`--accept-row-count` or after a run that died while loading, is not parsed or validated again.
Results are kept under `<home>/cache/tasks/` for `task_cache_days` days (0: no cache).

The parsed frames themselves pass from parse to validate to load (they are what is cached, and
what a Dask worker sends back); no cache key ever hashes a frame, only the checksum and the
inputs a policy names, and cached frames are stored as Parquet (flows/frame_pickle.py).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.futures import PrefectFuture
from prefect.serializers import PickleSerializer
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import Task

from fsdata.config import Settings


class TaskRunnerUnavailable(RuntimeError):
    """The configured task runner cannot be used on this installation."""


# --- the cache key -------------------------------------------------------------------------


@cache
def package_fingerprint(package: str) -> str:
    """SHA-256 over every file of an installed package (code, suites, reference tables):
    any edit to the package makes a new key."""
    digest = hashlib.sha256()
    root = Path(str(resources.files(package)))
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _key_part(value: Any) -> Any:
    """A stable JSON form of an input named in a key: a file counts by its content."""
    if isinstance(value, Path):
        return hashlib.sha256(value.read_bytes()).hexdigest() if value.is_file() else None
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _key_part(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _key_part(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_key_part(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@dataclass(kw_only=True)  # after CachePolicy's own fields (key_storage…)
class SourceChecksum(CachePolicy):
    """Cache key of a file task: the inputs named in `inputs` (the source's `sha256` always),
    the task's own source and the fingerprints of `packages`. Other inputs (the file's path,
    frames already keyed by the checksum) do not count."""

    inputs: tuple[str, ...] = ("sha256",)
    packages: tuple[str, ...] = ("transforms",)

    def compute_key(
        self,
        task_ctx: Any,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        missing = [name for name in self.inputs if name not in inputs]
        if missing:
            raise ValueError(f"cache key inputs {missing} are not parameters of {task_ctx.task}")
        document = {
            "inputs": {name: _key_part(inputs[name]) for name in self.inputs},
            # Kept on the task when it is created: a Dask worker has no source to read.
            "task": getattr(task_ctx.task, "source_code", None)
            or inspect.getsource(task_ctx.task.fn),
            "packages": {name: package_fingerprint(name) for name in self.packages},
            "polars": pl.__version__,  # cached frames are pickled by this polars
        }
        encoded = json.dumps(document, sort_keys=True).encode()
        return f"{task_ctx.task.name.replace(' ', '-')}-{hashlib.sha256(encoded).hexdigest()}"


def validation_task(suite: str) -> Task[..., list[Any]]:
    """The cached validate task of a source checked by the one suite `suite`, on a frame that
    depends on its file alone (keyed on the file's checksum and the rules' code)."""
    from prefect import task

    from expectations.runner import ValidationOutcome, validate

    @task(
        name=f"validate {suite}",
        cache_policy=SourceChecksum(packages=("transforms", "expectations")),
    )
    def validate_parsed(parsed: pl.DataFrame, sha256: str) -> list[ValidationOutcome]:
        return [validate(parsed, suite)]

    return validate_parsed


# --- the runner ----------------------------------------------------------------------------


def cache_dir(settings: Settings) -> Path:
    return settings.home / "cache" / "tasks"


def make_task_runner(settings: Settings) -> TaskRunner[Any]:
    if settings.task_runner == "threads":
        return ThreadPoolTaskRunner(max_workers=settings.task_workers)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise TaskRunnerUnavailable(
            'task_runner = "dask" needs prefect-dask: pip install "france-services-data[dask]"'
        ) from exc
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": settings.task_workers, "threads_per_worker": 1}
    )


class FileTasks:
    """A flow's file tasks, submitted to the configured runner with the cache options."""

    def __init__(self, settings: Settings, runner: TaskRunner[Any]) -> None:
        self.settings = settings
        self.runner = runner

    def submit(self, task: Task[..., Any], **parameters: Any) -> PrefectFuture[Any]:
        """Run `task(**parameters)` on the runner; its cache policy decides what is reused.
        Futures among the parameters are resolved first (on the runner, for Dask)."""
        if self.settings.task_cache_days > 0 and task.cache_policy is not NO_CACHE:
            task = task.with_options(
                persist_result=True,
                result_storage=cache_dir(self.settings).resolve(),
                result_serializer=PickleSerializer(picklelib="flows.frame_pickle"),
                cache_expiration=timedelta(days=self.settings.task_cache_days),
                # The result is on disk and in the task's final state: Prefect's result store
                # would also keep it in a cache of its own for the life of the process (a
                # 10 M-row parsed feed, ~0.9 GiB, through the load and the release).
                cache_result_in_memory=False,
            )
        else:
            task = task.with_options(cache_policy=NO_CACHE, persist_result=False)
        return self.runner.submit(task, parameters)

    def run(self, task: Task[..., Any], **parameters: Any) -> Any:
        """Submit and wait: the task's result, or its exception raised here."""
        return self.submit(task, **parameters).result()


@contextmanager
def file_tasks(settings: Settings) -> Iterator[FileTasks]:
    """The runner for one flow run's file tasks; old cache entries are pruned on the way out."""
    with make_task_runner(settings) as runner:
        yield FileTasks(settings, runner)
    prune_cache(settings)


def prune_cache(settings: Settings) -> int:
    """Delete cached results older than `task_cache_days` (Prefect no longer reads them but
    does not delete them). Returns the number of files removed."""
    folder = cache_dir(settings)
    if not folder.is_dir():
        return 0
    oldest = time.time() - settings.task_cache_days * 86400
    removed = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
