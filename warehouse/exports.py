"""Open-data exports: Parquet (zstd) and CSV (UTF-8, comma, ISO dates) of warehouse tables.

Each file is written beside its final place under a temporary name, then renamed over it: a
reader sees the previous complete file or the new complete file, never half of one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from warehouse.archive import file_digest
from warehouse.db import quote_identifier, quoted_table

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid export name {name!r}")
    return name


def _csv_select(con: duckdb.DuckDBPyConnection, identifier: str, condition: str) -> str:
    columns = con.execute(f"select * from {identifier} limit 0").description
    parts = []
    for column in columns:
        quoted = quote_identifier(column[0])
        type_name = str(column[1]).upper()
        if type_name in ("VARCHAR", "STRING", "JSON"):
            # A spreadsheet executes a cell starting with one of these: quote such text.
            parts.append(
                f"case when left({quoted}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) "
                f"then '''' || {quoted} else {quoted} end as {quoted}"
            )
        elif type_name in ("DOUBLE", "FLOAT"):
            parts.append(f"round({quoted}, 6) as {quoted}")
        else:
            parts.append(quoted)
    return f"select {', '.join(parts)} from {identifier}{condition}"


def pid_alive(pid: int) -> bool:
    """Whether a process of that id runs (a temporary file's writer, say)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(folder: Path, prefix: str) -> None:
    """Remove the temporary files `<prefix><pid>[.wal]` a killed writer left behind (pids are
    not reused while we run)."""
    for leftover in folder.glob(f"{prefix}*"):
        pid = leftover.name.removeprefix(prefix).removesuffix(".wal")
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            leftover.unlink(missing_ok=True)


FORMATS = {
    ".parquet": "(format parquet, compression zstd)",
    ".csv": "(format csv, header true, delimiter ',')",
}


def export_table_files(
    con: duckdb.DuckDBPyConnection,
    table: str,
    dataset_dir: Path,
    name: str,
    suffixes: tuple[str, ...] = (".parquet", ".csv"),
    condition: str = "",
) -> list[tuple[Path, str, int]]:
    """Write `<dataset_dir>/<name><suffix>` from `table`, each atomically; return each file
    with the sha256 and size of the bytes written (hashed before the rename, so what is
    recorded is what this export wrote)."""
    identifier = quoted_table(con, table)
    where = f" where {condition}" if condition else ""
    dataset_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in suffixes:
        query = (
            _csv_select(con, identifier, where)
            if suffix == ".csv"
            else f"select * from {identifier}{where}"
        )
        final = dataset_dir / f"{_checked(name)}{suffix}"
        sweep_orphans(dataset_dir, f".{name}{suffix}.tmp-")
        temporary = dataset_dir / f".{name}{suffix}.tmp-{os.getpid()}"
        try:
            target = str(temporary).replace("'", "''")
            con.execute(f"copy ({query}) to '{target}' {FORMATS[suffix]}")
            sha256, size = file_digest(temporary)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        written.append((final, sha256, size))
    return written


def export_table(
    con: duckdb.DuckDBPyConnection, table: str, dataset_dir: Path, name: str
) -> list[Path]:
    """Write `<dataset_dir>/<name>.parquet` and `.csv` from `table`, each atomically."""
    return [path for path, _, _ in export_table_files(con, table, dataset_dir, name)]
