"""History kept as SCD type 2 from dated snapshots: the espace listing, the lieux de médiation.

A `History` names a source's snapshots (`meta.snapshots`), its versions table and their key,
and its two models `<table>__rewind.sql` and `<table>__apply_snapshot.sql`. A thing is open on
day D iff valid_from <= D and (valid_to is null or D < valid_to). Replaying from a date rewinds
the table to it, then applies every snapshot from it on in order: the plain append of one
snapshot in the usual case, a correct rebuild for a backfill or a replaced date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from warehouse.db import fetch_first, insert_frame, record_quarantine, run_model, set_snapshot


@dataclass(frozen=True)
class History:
    source: str  # meta.snapshots source
    model: str  # "core/<table>": the versions, with its __rewind and __apply_snapshot models
    key: str  # the identifier column of a thing across its versions

    @property
    def table(self) -> str:
        return self.model.replace("/", ".")


@dataclass(frozen=True)
class SnapshotChanges:
    open_before: int  # open at the snapshot before (0 for the first)
    open_after: int
    opened: int  # new, or back after a gap (0 for the first snapshot: the history starts)
    closed: int  # absent from this snapshot
    changed: int  # a new version of a thing already open


def write_snapshot(
    con: duckdb.DuckDBPyConnection,
    history: History,
    raw_table: str,
    rows: Any,
    load_id: int,
    as_of: date,
    quarantined: list[dict[str, Any]],
) -> None:
    """Write one validated snapshot's `rows` (with `load_id` and `as_of`) to `raw_table`, its
    quarantined rows, and point its date at this load (the caller commits; the model graph
    then replays the history from that date)."""
    insert_frame(con, raw_table, rows)
    record_quarantine(con, load_id, history.source, quarantined)
    set_snapshot(con, history.source, as_of, load_id)


def replay(con: duckdb.DuckDBPyConnection, history: History, from_date: date) -> None:
    """Rebuild the versions from `from_date` on: rewind, then apply each snapshot in order."""
    run_model(con, f"{history.model}__rewind", {"as_of": from_date})
    dates = con.execute(
        "select as_of from meta.snapshots where source = $source and as_of >= $from order by as_of",
        {"source": history.source, "from": from_date},
    ).fetchall()
    for (day,) in dates:
        run_model(con, f"{history.model}__apply_snapshot", {"as_of": day})


def open_count(con: duckdb.DuckDBPyConnection, history: History, day: date) -> int:
    # The table is an identifier named in code (a History constant), never a value.
    row = fetch_first(
        con.execute(
            f"select count(*) from {history.table} "
            "where valid_from <= $day and (valid_to is null or $day < valid_to)",
            {"day": day},
        )
    )
    return int(row[0]) if row else 0


def changes(con: duckdb.DuckDBPyConnection, history: History, as_of: date) -> SnapshotChanges:
    """What the snapshot of `as_of` changed against the one before it, once replayed."""
    previous = fetch_first(
        con.execute(
            "select max(as_of) from meta.snapshots where source = $source and as_of < $as_of",
            {"source": history.source, "as_of": as_of},
        )
    )
    previous_date = previous[0] if previous else None
    table, key = history.table, history.key
    # Every version the counts need started or ended on that date (the one a new version
    # follows ended then, the one a closed version is followed by started then): the counts
    # read those few rows, not the whole history.
    counts = fetch_first(
        con.execute(
            f"""
            with touched as (
                select {key} as thing, valid_from, valid_to from {table}
                where valid_from = $as_of or valid_to = $as_of
            ),
            started as (
                select thing, thing in (select thing from touched where valid_to = $as_of)
                    as follows
                from touched where valid_from = $as_of
            )
            select
                (select count(*) from started where not follows),
                (select count(*) from touched where valid_to = $as_of
                    and thing not in (select thing from touched where valid_from = $as_of)),
                (select count(*) from started where follows)
            """,
            {"as_of": as_of},
        )
    )
    assert counts is not None
    opened, closed, changed = (int(c) for c in counts)
    return SnapshotChanges(
        open_before=open_count(con, history, previous_date) if previous_date else 0,
        open_after=open_count(con, history, as_of),
        opened=opened if previous_date else 0,
        closed=closed,
        changed=changed,
    )
