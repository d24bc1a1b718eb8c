"""Rules a frame cannot be checked against on its own: they read the warehouse (or, for the
row-count guard, take their bounds from it).

Each is a named rule of a class, like the rules of the JSON suites, and returns a RuleResult
whose unexpected rows index into the frame; the pipeline adds it to the suite's outcome before
splitting the rows.
"""

from __future__ import annotations

import duckdb
import polars as pl

from expectations.runner import RuleResult, ValidationOutcome
from transforms.frames import registered

# A guard bound no listing reaches, for the first snapshot or an operator's override.
UNBOUNDED_ROWS = 10**12

ESPACE_UNKNOWN = "espace inconnu de l'historique des espaces (core.espaces)"
ESPACE_CLOSED = "espace non ouvert pendant ce mois"


def espace_open_in_month(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> RuleResult:
    """row_rejected `espace_open_in_month`: a footfall row's espace must be known and open on
    at least one day of its month (open on D: valid_from <= D and (valid_to is null or
    D < valid_to)). Rows already without an espace or a month are left to the suite's rules."""
    incoming = frame.select("espace_id", "month").with_row_index("position")
    with registered(con, "incoming_months", incoming):
        rows = con.execute(
            """
            select
                incoming.position,
                not exists (
                    select 1 from core.espaces as known
                    where known.espace_id = incoming.espace_id
                ) as unknown
            from incoming_months as incoming
            where incoming.espace_id is not null and incoming.month is not null
                and not exists (
                    select 1 from core.espaces as version
                    where version.espace_id = incoming.espace_id
                        and version.valid_from <= last_day(incoming.month)
                        and (version.valid_to is null or incoming.month < version.valid_to)
                )
            order by incoming.position
            """
        ).fetchall()
    return RuleResult(
        rule="espace_open_in_month",
        rule_class="row_rejected",
        expectation="espace_open_in_month",
        column="espace_id",
        success=not rows,
        unexpected_count=len(rows),
        unexpected_rows=tuple(int(position) for position, _ in rows),
        notes=tuple(ESPACE_UNKNOWN if unknown else ESPACE_CLOSED for _, unknown in rows),
    )


def row_count_bounds(
    neighbour: int | None, max_fall: float, max_rise: float, accepted: bool
) -> dict[str, int]:
    """The bounds of the blocking `row_count_guard` (suite parameters `min_rows`, `max_rows`):
    a snapshot more than `max_fall` below, or more than `max_rise` times, the neighbouring
    published one is refused — unbounded for the first snapshot or when the operator
    `accepted` the change."""
    if not neighbour or accepted:
        return {"min_rows": 0, "max_rows": UNBOUNDED_ROWS, "neighbour": 0}
    return {
        "min_rows": int(neighbour * (1 - max_fall) + 0.999999),
        "max_rows": int(neighbour * max_rise),
        "neighbour": neighbour,
    }


def row_count_hint(outcomes: list[ValidationOutcome], bounds: dict[str, int]) -> str:
    """What the operator can do when the row-count guard refused a snapshot."""
    if not any(r.rule == "row_count_guard" for o in outcomes for r in o.failures("blocking")):
        return ""
    return (
        f" (expected {bounds['min_rows']}..{bounds['max_rows']} rows from the neighbouring "
        f"snapshot's {bounds['neighbour']}; if the change is real, load again with "
        "--accept-row-count)"
    )
