"""`fsdata status`: per source, the last attempt, the last publication, rows, quarantined rows
and the validation outcome, from meta.loads and meta.validation_results. One panel per source,
so nothing is cut in an 80-column terminal."""

from __future__ import annotations

import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {
    "published": "green",
    "unchanged": "cyan",
    "rejected": "red",
    "failed": "red",
    "running": "yellow",
    "crashed": "red",
    "interrupted": "red",
}

QUERY = """
with attempts as (
    select *, row_number() over (partition by source order by load_id desc) as n
    from meta.loads
),
published as (
    select *, row_number() over (partition by source order by load_id desc) as n
    from meta.loads where status = 'published'
)
select
    a.source, a.status, a.started_at, a.message, a.pid, a.host,
    p.load_id, p.as_of, p.finished_at, p.rows_loaded, p.rows_quarantined, p.rows_warned,
    (select count(*) from meta.validation_results v where v.load_id = p.load_id),
    (select count(*) from meta.validation_results v
     where v.load_id = p.load_id and not v.success and v.rule_class = 'row_rejected'),
    (select count(*) from meta.validation_results v
     where v.load_id = p.load_id and not v.success and v.rule_class = 'warning'),
    (select count(*) from meta.loads x where x.source = a.source) as attempts
from attempts a left join published p on p.source = a.source and p.n = 1
where a.n = 1
order by a.source
"""


def process_alive(pid: int | None, host: str | None, started: datetime | None) -> bool | None:
    """Whether the process that recorded a load still runs: None when it cannot be told (no
    pid recorded, another host); False when the pid is gone or now names a process started
    after the load (a reused pid)."""
    if pid is None or host != socket.gethostname():
        return None
    try:
        process = psutil.Process(pid)
        created = process.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.Error:
        return None
    if process.status() == psutil.STATUS_ZOMBIE:
        return False
    return not (started is not None and created > started.timestamp() + 1)


def shown_status(
    status: str, message: str | None, pid: int | None, host: str | None, started: Any
) -> tuple[str, str | None]:
    """A load still `running` whose process is gone is shown as crashed, with why."""
    if status == "running" and process_alive(pid, host, started) is False:
        return "crashed", f"the process (pid {pid}) ended without finishing the load"
    if status == "running" and pid is not None:
        where = f"pid {pid}" + ("" if host == socket.gethostname() else f" on {host}")
        return status, message or f"in progress ({where})"
    return status, message


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


def source_panel(row: tuple[Any, ...]) -> Panel:
    (
        source, status, started, message, pid, host, load_id, as_of, finished, loaded,
        quarantined, warned, rules, rejected_rules, warning_rules, attempts,
    ) = row  # fmt: skip
    status, message = shown_status(status, message, pid, host, started)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    attempt = Text(f"{_when(started)}  ")
    attempt.append(status, style=STATUS_STYLE.get(status, ""))
    attempt.append(f"  ({attempts} in all)")
    grid.add_row("last attempt", attempt)
    if message:
        grid.add_row("", Text(message, style="dim"))
    if load_id is None:
        grid.add_row("last publication", "never")
    else:
        grid.add_row(
            "last publication", f"{_when(finished)}  load {load_id}, data as of {as_of or '—'}"
        )
        grid.add_row(
            "rows",
            f"{loaded if loaded is not None else '—'} loaded, "
            f"{quarantined or 0} quarantined, {warned or 0} with warnings",
        )
        if not rules:
            outcome = Text("no rule results recorded")
        elif rejected_rules or warning_rules:
            outcome = Text(
                f"{rules} rules: {rejected_rules} quarantined rows, {warning_rules} warned",
                style="yellow",
            )
        else:
            outcome = Text(f"{rules} rules, all passed", style="green")
        grid.add_row("validation", outcome)
    return Panel(grid, title=f"[bold]{source}", title_align="left", expand=True)


def _damaged(home: Path, reason: str) -> int:
    from fsdata.cli import DAMAGED_WAY_OUT, EXIT_DAMAGED

    way_out = DAMAGED_WAY_OUT.format(home=home)
    warehouse = home / "warehouse.duckdb"
    print(f"fsdata: the warehouse {warehouse} is damaged ({reason}); {way_out}", file=sys.stderr)
    return EXIT_DAMAGED


def print_status(home: Path, console: Console | None = None) -> int:
    from fsdata.cli import EXIT_BUSY
    from warehouse.health import holder_of, is_damage, warehouse_damage

    console = console or Console()
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        console.print(f"no warehouse at {warehouse}: run `fsdata demo` or `fsdata refresh`")
        return 0
    damage = warehouse_damage(warehouse)
    if damage:
        return _damaged(home, damage)
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        holder = holder_of(exc) or "another process"
        console.print(f"the warehouse is held for writing by {holder}: try again when it is done")
        return EXIT_BUSY
    try:
        has_pid = con.execute(
            "select count(*) from duckdb_columns() "
            "where schema_name = 'meta' and table_name = 'loads' and column_name = 'pid'"
        ).fetchall()[0][0]
        query = QUERY if has_pid else QUERY.replace("a.pid, a.host,", "null, null,")
        rows = con.execute(query).fetchall()
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        return _damaged(home, str(exc).splitlines()[0])
    finally:
        con.close()
    console.print(Group(Text(f"fsdata status — {home}", style="bold"), *map(source_panel, rows)))
    return 0
