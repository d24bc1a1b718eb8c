"""What the command line checks before a run starts, and how a run stops on a signal.

Every check returns the reason in one line (or None), so that the CLI prints it and exits
with the documented code, before Prefect starts: a home that is a file or cannot be written,
a date that does not exist or lies in the future, an input that is a symbolic link or not a
regular file.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today_in_paris() -> date:
    return datetime.now(PARIS).date()


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only or not writable"
    return exc.strerror or str(exc)


def home_problem(home: Path, *, write: bool) -> str | None:
    """Why `home` cannot be used as the data folder, or None. `write`: the command writes
    there (every command but status), so a file is created and removed to find out."""
    if home.exists() and not home.is_dir():
        return f"--home {home} is not a folder"
    if not write:
        return None
    try:
        home.mkdir(parents=True, exist_ok=True)
        for folder in (home, home / ".prefect"):
            if folder.is_dir():
                # Some bytes, not an empty file: a full disk still has inodes to spare.
                with tempfile.TemporaryFile(dir=folder) as probe:
                    probe.write(b"\0" * 65536)
                    probe.flush()
                    os.fsync(probe.fileno())
    except OSError as exc:
        return f"cannot write in {exc.filename or home}: {_os_reason(exc)}"
    return None


def os_error_line(exc: OSError) -> str:
    """One line for an OSError met during a run (a full disk, a folder turned read-only)."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{_os_reason(exc)}{where}"


_DUCKDB_FILE = re.compile(r'file \\?"(?P<path>[^"\\]+)\\?"')


def database_io_line(message: str) -> str | None:
    """One line for a DuckDB I/O error that is the machine's, not the data's (a full disk, a
    read-only file system), naming the file when DuckDB does; None for any other error."""
    if "No space left on device" in message:
        reason = "no space left on the device"
    elif "Read-only file system" in message:
        reason = "read-only or not writable"
    else:
        return None
    found = _DUCKDB_FILE.search(message)
    return f"{reason} ({found['path']})" if found else reason


def parse_as_of(text: str) -> date | str:
    """`--as-of`: a real calendar date, YYYY-MM-DD, not after today in Europe/Paris; else the
    reason it is refused."""
    try:
        if len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        return f"--as-of {text!r} is not a date (YYYY-MM-DD)"
    today = today_in_paris()
    if day > today:
        return f"--as-of {text} is after today ({today}, Europe/Paris)"
    return day


def vintage_problem(vintage: int) -> str | None:
    """`--vintage`: a year between the first census of the references (1900) and this year."""
    this_year = today_in_paris().year
    if not 1900 <= vintage <= this_year:
        return f"--vintage {vintage} is not a year between 1900 and {this_year}"
    return None


def input_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an input file, or None: ingest reads the file named, never
    a symbolic link's target (which could be any file of the machine, later copied into
    rejected/), nor a device or a pipe."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return f"{path}: no such file"
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path}: a symbolic link; give the file itself (a link's target is not read)"
    if not stat.S_ISREG(info.st_mode):
        return f"{path}: not a regular file"
    try:
        # O_NOFOLLOW: a link swapped in since the lstat is refused by the kernel too.
        os.close(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK))
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror})"
    return None


# --- signals -----------------------------------------------------------------------------------


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT: raised in the main thread, so every `finally` and `with` unwinds
    (transactions roll back, the warehouse lock is released) and the process exits normally
    (Prefect's temporary server is stopped at exit)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM


# The signal that stopped the run, if one did (DuckDB turns one received mid-query into its own
# "Query interrupted" error: the run was interrupted all the same).
_received: list[int] = []


def signal_received(error: BaseException | None = None) -> int | None:
    """The signal that stopped the run, or None. During a flow run Prefect's own SIGTERM handler
    raises its TerminationSignal instead of ours; raised inside a DuckDB query, it comes back as
    DuckDB's error ("Query interrupted", "TerminationSignal"): SIGTERM all the same."""
    if _received:
        return _received[-1]
    text = f"{type(error).__name__}: {error}" if error is not None else ""
    if "TerminationSignal" in text or "Query interrupted" in text:
        return signal.SIGTERM
    return None


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise Interrupted(signum)


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """SIGTERM and SIGINT raise `Interrupted` for the block. Prefect's flow engine installs
    its own SIGTERM handler during a run, marks the flow run crashed, then restores this one
    and sends the signal again: `Interrupted` is what reaches the caller."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; its caller handles them
        return
    watched = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, _raise_interrupted) for signum in watched}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
