"""The warehouse lock: one writer at a time.

An flock on <home>/.fsdata.lock, held for a whole flow run: the kernel releases it when the
process dies, so a crash never leaves the warehouse locked. Re-entrant within a process, for
subflows (coverage after espaces, every source inside demo or refresh_all).
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from fsdata.config import load_settings
from warehouse.health import DEFAULT_MEMORY_LIMIT, wait_for_warehouse


class WarehouseBusy(RuntimeError):
    """Another run held the warehouse for longer than the lock timeout: nothing was done."""


_held: dict[str, list[int]] = {}  # lock path → [file descriptor, depth]
_held_guard = threading.Lock()


def _holder(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def warehouse_lock(
    home: Path, timeout: float, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> Iterator[None]:
    """Hold the warehouse for this process; wait up to `timeout` seconds for another run."""
    path = (Path(home) / ".fsdata.lock").resolve()
    key = str(path)
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise WarehouseBusy(
                    f"another fsdata run holds the warehouse (pid {_holder(path)}); "
                    f"waited {timeout:g} s, nothing was done"
                ) from None
            if not announced:
                print(f"waiting for another fsdata run (pid {_holder(path)}) to finish…")
                announced = True
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    with _held_guard:
        _held[key] = [fd, 1]
    # Another process reading the DuckDB file (an analyst) is waited for like another run.
    wait_for_warehouse(Path(home) / "warehouse.duckdb", timeout, memory_limit)
    try:
        yield
    finally:
        wait_for_warehouse(Path(home) / "warehouse.duckdb", None)
        with _held_guard:
            del _held[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


F = TypeVar("F", bound=Callable[..., Any])


def holds_warehouse(function: F) -> F:
    """Run a flow's body under the warehouse lock of its `home` (and `config`'s timeout).
    Placed under `@flow`, so Prefect still sees the function's own signature."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def locked(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        settings = load_settings(bound.arguments["home"], bound.arguments.get("config"))
        with warehouse_lock(settings.home, settings.lock_timeout, settings.memory_limit):
            return function(*args, **kwargs)

    return locked  # type: ignore[return-value]
