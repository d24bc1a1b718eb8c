"""`fsdata status`: per source, the last attempt and the last publication, from meta.loads."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


def print_status(home: Path) -> int:
    console = Console()
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        console.print(f"no warehouse at {warehouse}: run `fsdata demo` or `fsdata refresh`")
        return 0
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            with attempts as (
                select *, row_number() over (partition by source order by load_id desc) as n
                from meta.loads
            ),
            published as (
                select *, row_number() over (partition by source order by load_id desc) as n
                from meta.loads where status = 'published'
            )
            select
                a.source, a.status, a.started_at, a.message,
                p.as_of, p.finished_at, p.rows_loaded, p.rows_quarantined, p.rows_warned,
                (select count(*) from meta.validation_results v
                 where v.load_id = p.load_id and not v.success) as rules_failed
            from attempts a left join published p on p.source = a.source and p.n = 1
            where a.n = 1
            order by a.source
            """
        ).fetchall()
    finally:
        con.close()
    table = Table(title=f"fsdata status — {home}")
    for header in (
        "source", "last attempt", "status", "last published (as of)", "rows",
        "quarantined", "warned", "rules failed", "message",
    ):  # fmt: skip
        table.add_column(header)
    for source, status, started, message, as_of, _, count, quarantined, warned, failed in rows:
        table.add_row(
            source,
            f"{started:%Y-%m-%d %H:%M}",
            status,
            str(as_of or "—"),
            str(count if count is not None else "—"),
            str(quarantined if quarantined is not None else "—"),
            str(warned if warned is not None else "—"),
            str(failed if as_of else "—"),
            (message or "")[:80],
        )
    console.print(table)
    return 0
