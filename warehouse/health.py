"""The condition of the warehouse file itself: another process holding it (an analyst's
notebook: a run waits for it like for another run, then names it), or a file damaged beyond
what DuckDB can open (the way out is `fsdata rebuild`), and the loads a killed run left."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb


class WarehouseHeld(RuntimeError):
    """Another process (an analyst's notebook, a DuckDB CLI) held the warehouse file for longer
    than the run waits: nothing was done."""


# DuckDB names the process holding a database file when it cannot lock it.
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
# DuckDB's memory limit when no run set one (fsdata.config.Settings.memory_limit).
DEFAULT_MEMORY_LIMIT = "2GB"


@dataclass
class Session:
    """How this process opens a warehouse file: set by the run that holds the fsdata lock of its
    home. Every connection of a process to one file must have the same DuckDB settings.

    The run's connections share one open database: the file is opened once (its catalogue read,
    ~15 ms) and each connection is a cursor on it, where opening the file again at each step
    cost that and a checkpoint at each close. Closed when the run ends, or after a DuckDB error
    (the next connection opens the file afresh, as a new connection always did)."""

    wait: float = 0.0  # seconds to wait for another process to release the file
    memory_limit: str = DEFAULT_MEMORY_LIMIT  # beyond it, DuckDB spills to disk
    shared: duckdb.DuckDBPyConnection | None = None
    shared_inode: int | None = None  # the file it opened: a file renamed away is not reused

    def close_shared(self) -> None:
        if self.shared is not None:
            with contextlib.suppress(duckdb.Error):
                self.shared.close()
        self.shared = self.shared_inode = None


_sessions: dict[str, Session] = {}
_sessions_guard = threading.Lock()


def wait_for_warehouse(
    path: Path, seconds: float | None, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> None:
    """Connections to `path` wait up to `seconds` for another process to release it, use
    `memory_limit` and share one open database (None: the run is over, the database is closed
    and connections go back to not waiting)."""
    key = str(Path(path).resolve())
    with _sessions_guard:
        previous = _sessions.pop(key, None)
        if previous is not None:
            previous.close_shared()
        if seconds is not None:
            _sessions[key] = Session(seconds, memory_limit)


def forget_shared(path: Path) -> None:
    """After a DuckDB error on a connection of the run: the next one opens the file afresh."""
    with _sessions_guard:
        session = _sessions.get(str(Path(path).resolve()))
        if session is not None:
            session.close_shared()


def holder_of(error: Exception) -> str | None:
    """The process DuckDB says holds the file, as "pid N (program)", or None."""
    match = _HOLDER.search(str(error))
    if match is None:
        return None
    pid, program = match["pid"], Path(match["program"]).name
    try:  # the whole command line, when this process may read it
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        command = ""
    return f"pid {pid} ({program}{': ' + command[:120] if command else ''})"


def open_waiting(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, waiting as `wait_for_warehouse` says while another process holds the
    file; WarehouseHeld, naming it, when it still does. In a run holding the lock, a cursor on
    the run's open database."""
    with _sessions_guard:
        session = _sessions.get(str(Path(path).resolve()))
        if session is not None:
            if session.shared is None or session.shared_inode != _inode(path):
                session.close_shared()
                session.shared = _open(path, False, session)
                session.shared_inode = _inode(path)
            return session.shared.cursor()
    return _open(path, read_only, Session())


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _open(path: Path, read_only: bool, session: Session) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + session.wait
    config = {"memory_limit": session.memory_limit}
    announced = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            holder = holder_of(exc)
            if holder is None:
                raise
            if time.monotonic() >= deadline:
                raise WarehouseHeld(
                    f"the warehouse {path} is held by another process, {holder}; waited "
                    f"{session.wait:g} s, nothing was done (close that connection, or read the "
                    "published analyst database instead)"
                ) from None
            if not announced:
                print(f"waiting for {holder} to release the warehouse {path}…")
                announced = True
            time.sleep(0.2)


# --- a damaged warehouse, an interrupted run -------------------------------------------------

# What DuckDB says of a file that is not, or no longer, a whole database (truncated, overwritten,
# a block whose checksum fails).
_DAMAGE_SIGNS = (
    "not a valid DuckDB database file",
    "Corrupt database file",
    "Data Corruption Error",
    "Could not read enough bytes",
    "does not match stored checksum",
    "Serialization Error",
    "INTERNAL Error",
    "database has been invalidated",
)


def damage_of(exc: BaseException | None) -> duckdb.Error | None:
    """The DuckDB error saying the warehouse file itself is damaged, if `exc` or an exception
    it was raised from (or while handling) is one: the damage often surfaces as a later error
    ("transaction is aborted") raised while cleaning up."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, duckdb.Error) and any(sign in str(exc) for sign in _DAMAGE_SIGNS):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def is_damage(exc: BaseException) -> bool:
    """True when `exc` (from DuckDB) says the warehouse file itself is damaged."""
    return damage_of(exc) is not None


def warehouse_damage(path: Path) -> str | None:
    """Why the warehouse at `path` cannot be used (one line), or None when it opens and its
    load register reads (or when it does not exist yet, or another run holds it)."""
    if not path.exists():
        return None
    if not path.is_file():
        return f"{path} is not a file"
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return str(exc).splitlines()[0] if is_damage(exc) else None
    try:
        # Every column of every row: a count alone may be answered from metadata.
        con.execute("select * from meta.loads").fetchall()
    except duckdb.CatalogException:
        return None  # a warehouse created but never used: nothing to read yet
    except duckdb.Error as exc:
        return str(exc).splitlines()[0] if is_damage(exc) else None
    finally:
        con.close()
    return None


def mark_unfinished(path: Path, status: str, message: str, pid: int | None = None) -> int:
    """Mark the loads this process (`pid`, default this one, on this host) left `running` as
    `status` (`interrupted`, `failed`) with `message`; the number marked. Best effort: a
    warehouse that cannot be opened (damaged, held by another run) is left as it is, and
    `fsdata status` shows such a load as crashed once its process is gone."""
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error:
        return 0
    try:
        rows = con.execute(
            """
            update meta.loads set status = $status, message = $message,
                finished_at = current_timestamp
            where status = 'running' and pid = $pid and host = $host
            returning load_id
            """,
            {
                "status": status,
                "message": message,
                "pid": os.getpid() if pid is None else pid,
                "host": socket.gethostname(),
            },
        ).fetchall()
    except duckdb.Error:
        return 0
    finally:
        con.close()
    return len(rows)
