"""`exports/CHANGELOG.md`: one entry per publication, most recent first.

Entries are kept in the warehouse (`meta.release_changelog`) and the file is written from them,
so a changelog lost or edited on disk is written again as the warehouse has it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import fetch_first

CHANGELOG = "CHANGELOG.md"
CHANGELOG_HEADER = "# Journal des publications\n\nLa plus récente en premier.\n"


def changelog_entry(
    entry: dict[str, Any], deltas: dict[str, tuple[int | None, int]], when: datetime
) -> str:
    lines = [
        f"## {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC — {entry.get('source')}",
        "",
        f"- {entry.get('message') or entry.get('status')}",
    ]
    if entry.get("as_of"):
        lines.append(f"- données au : {entry['as_of']}")
    if entry.get("load_id") is not None:
        lines.append(f"- chargement : {entry['load_id']}")
    for name, value in (entry.get("changes") or {}).items():
        lines.append(f"- {name} : {value}")
    changed = {k: v for k, v in deltas.items() if v[0] != v[1]}
    if changed:
        lines += ["", "| fichier | lignes avant | lignes après | écart |", "|---|---:|---:|---:|"]
        for name, (before, after) in changed.items():
            delta = after - (before or 0)
            lines.append(f"| {name} | {before if before is not None else '—'} | {after} | "
                         f"{delta:+d} |")  # fmt: skip
    else:
        lines.append("- aucun fichier publié n'a changé de nombre de lignes")
    return "\n".join(lines) + "\n"


def add_entry(
    con: duckdb.DuckDBPyConnection, source: str | None, load_id: int | None, text: str
) -> None:
    row = fetch_first(con.execute("select coalesce(max(entry_id), 0) from meta.release_changelog"))
    con.execute(
        "insert into meta.release_changelog (entry_id, source, load_id, text) values (?, ?, ?, ?)",
        [(row[0] if row else 0) + 1, source, load_id, text],
    )


def missed_publications(
    con: duckdb.DuckDBPyConnection, running: str | None
) -> list[tuple[int, str, Any, str | None, datetime]]:
    """Published loads no entry covers (a run stopped between its commit and its release),
    except those of the source `running` is publishing now, which its own entry covers."""
    return con.execute(
        """
        select l.load_id, l.source, l.as_of, l.message, l.finished_at
        from meta.loads l
        where l.status = 'published' and l.source is distinct from $running
          and not exists (
              select 1 from meta.release_changelog c
              where c.load_id >= l.load_id and (c.source = l.source or c.source is null)
          )
        order by l.load_id
        """,
        {"running": running},
    ).fetchall()


def adopt_legacy(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> bool:
    """A release written before the warehouse kept its changelog: its entries become the first
    one, once (the only time the file on disk is read)."""
    path = exports_dir / CHANGELOG
    known = fetch_first(con.execute("select count(*) from meta.release_changelog"))
    if (known and known[0]) or not path.is_file():
        return False
    text = path.read_text("utf-8", errors="replace")
    body = text[len(CHANGELOG_HEADER) :] if text.startswith(CHANGELOG_HEADER) else text
    if not body.strip():
        return False
    newest = fetch_first(
        con.execute("select max(load_id) from meta.loads where status = 'published'")
    )
    con.execute(
        "insert into meta.release_changelog (entry_id, source, load_id, text) "
        "values (0, null, ?, ?)",
        [newest[0] if newest else None, body.strip("\n") + "\n"],
    )
    return True


def changelog_text(con: duckdb.DuckDBPyConnection) -> str | None:
    """The whole file, or None before the first publication."""
    entries = [
        row[0]
        for row in con.execute(
            "select text from meta.release_changelog order by entry_id desc"
        ).fetchall()
    ]
    if not entries:
        return None
    return CHANGELOG_HEADER + "\n" + "\n".join(e.strip("\n") + "\n" for e in entries)
