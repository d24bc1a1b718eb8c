"""What each target holds, kept in the warehouse's `meta.publications` (sql/meta/publications.sql).

A row is written right after its remote object is in place, one transaction each, so a publish
interrupted anywhere resumes from the first object not yet recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.db import connect


@dataclass(frozen=True)
class Held:
    """One remote object as last published."""

    remote_key: str
    file_path: str
    sha256: str
    size_bytes: int | None
    remote_id: str | None
    metadata_sha256: str | None


class State:
    """The rows of one target. `con` is None for a dry run on a warehouse without the table:
    nothing is held, nothing is written."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, target: str) -> None:
        self.con = con
        self.target = target
        self.rows: dict[str, Held] = {}
        if con is None:
            return
        try:
            result = con.execute(
                """
                select remote_key, file_path, sha256, size_bytes, remote_id, metadata_sha256
                from meta.publications where target = ?
                """,
                [target],
            ).fetchall()
        except duckdb.CatalogException:  # a read-only warehouse older than the table
            result = []
        self.rows = {row[0]: Held(*row) for row in result}

    def get(self, remote_key: str) -> Held | None:
        return self.rows.get(remote_key)

    def holding(self, file_path: str, sha256: str) -> list[Held]:
        """Objects of this target already holding these bytes of this file."""
        return [h for h in self.rows.values() if h.file_path == file_path and h.sha256 == sha256]

    def put(self, held: Held) -> None:
        assert self.con is not None, "a dry run writes no state"
        self.con.execute(
            """
            insert into meta.publications
                (target, remote_key, file_path, sha256, size_bytes, remote_id, metadata_sha256,
                 published_at)
            values (?, ?, ?, ?, ?, ?, ?, current_timestamp)
            on conflict (target, remote_key) do update set
                file_path = excluded.file_path, sha256 = excluded.sha256,
                size_bytes = excluded.size_bytes, remote_id = excluded.remote_id,
                metadata_sha256 = excluded.metadata_sha256, published_at = excluded.published_at
            """,
            [
                self.target,
                held.remote_key,
                held.file_path,
                held.sha256,
                held.size_bytes,
                held.remote_id,
                held.metadata_sha256,
            ],
        )
        self.rows[held.remote_key] = held

    def reset(self) -> None:
        """Forget every row of this target: the remote side no longer matches them."""
        assert self.con is not None, "a dry run writes no state"
        self.con.execute("delete from meta.publications where target = ?", [self.target])
        self.rows.clear()

    def drop(self, remote_key: str) -> None:
        assert self.con is not None, "a dry run writes no state"
        self.con.execute(
            "delete from meta.publications where target = ? and remote_key = ?",
            [self.target, remote_key],
        )
        self.rows.pop(remote_key, None)


@contextmanager
def open_state(warehouse: Path, dry_run: bool) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The warehouse for the state: read-only for a dry run (None when there is no warehouse
    yet), else for writing (which creates the table when missing)."""
    if dry_run:
        if not warehouse.exists():
            yield None
            return
        with connect(warehouse, read_only=True) as con:
            yield con
        return
    with connect(warehouse) as con:
        yield con
