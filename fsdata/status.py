"""`fsdata status`: per source, the last attempt, the last publication, rows, quarantined rows
and the validation outcome, from meta.loads and meta.validation_results. One panel per source,
so nothing is cut in an 80-column terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
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
    a.source, a.status, a.started_at, a.message,
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


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"


def source_panel(row: tuple[Any, ...]) -> Panel:
    (
        source, status, started, message, load_id, as_of, finished, loaded, quarantined, warned,
        rules, rejected_rules, warning_rules, attempts,
    ) = row  # fmt: skip
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


def print_status(home: Path, console: Console | None = None) -> int:
    console = console or Console()
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        console.print(f"no warehouse at {warehouse}: run `fsdata demo` or `fsdata refresh`")
        return 0
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException:
        console.print("a run is writing the warehouse right now: try again when it is done")
        return 1
    try:
        rows = con.execute(QUERY).fetchall()
    finally:
        con.close()
    console.print(Group(Text(f"fsdata status — {home}", style="bold"), *map(source_panel, rows)))
    return 0
