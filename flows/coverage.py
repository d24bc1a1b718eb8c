"""Flow `coverage`: how far each commune lies from the nearest open France services, per date.

Runs after every published espace snapshot and every published commune vintage (both flows call
`coverage_after_load` as a subflow), and by hand. update → marts → export, each a task:
`warehouse.coverage` explains what is recomputed and what is kept.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from flows.common import (
    LoadSummary,
    current_flow_run_id,
    holds_warehouse,
    publish_artifact,
    release,
)
from fsdata.config import Settings, load_settings
from warehouse import coverage as store
from warehouse.communes import has_communes
from warehouse.db import begin_load, connect, finish_load, transaction

SOURCE = "coverage"


@task(name="update nearest espaces")
def update(settings: Settings) -> dict[str, Any]:
    """Recompute what changed and rebuild the marts, in one transaction."""
    with connect(settings.warehouse_path) as con:
        load_id = begin_load(con, SOURCE, flow_run_id=current_flow_run_id())
        with transaction(con):
            changes = store.update_nearest(con)
            store.rebuild_marts(con)
            counts = changes.as_counts()
            message = (
                f"{counts['dates']} dates: {counts['computed']} computed, "
                f"{counts['reused']} reused from a date with the same network and communes, "
                f"{counts['kept']} kept, {counts['removed']} removed"
            )
            status = (
                "published"
                if changes.computed or changes.reused or changes.removed
                else ("unchanged")
            )
            rows = con.execute("select count(*) from core.commune_nearest_espace").fetchall()
            finish_load(con, load_id, status, message, rows_loaded=int(rows[0][0]))
    return {
        "load_id": load_id,
        "status": status,
        "message": message,
        "counts": counts,
        "computed": [d.isoformat() for d in changes.computed],
        "latest": changes.computed[-1].isoformat() if changes.computed else None,
    }


@flow(name="coverage", log_prints=True)
@holds_warehouse
def coverage(home: str, config: str | None = None) -> dict[str, Any]:
    """Bring nearest espaces, `marts.coverage` and `marts.communes_far` up to date and export
    them under `<home>/exports/coverage/`. Without communes or espace snapshots, nothing to do."""
    settings = load_settings(home, config)
    with connect(settings.warehouse_path) as con:
        ready = has_communes(con) and bool(store.snapshot_dates(con))
    if not ready:
        summary = LoadSummary(
            source=SOURCE,
            status="skipped",
            message="nothing to compute: load communes and at least one espace listing first",
        )
    else:
        result = update(settings)
        summary = LoadSummary(
            source=SOURCE,
            status=result["status"],
            load_id=result["load_id"],
            message=result["message"],
            changes=result["counts"],
        )
        summary.exports = release(settings, SOURCE, summary.to_dict())
    print(summary.message)
    publish_artifact(summary)
    return summary.to_dict()


def coverage_after_load(settings: Settings) -> dict[str, Any] | None:
    """Run the coverage flow (a subflow when called from a flow) once communes are loaded;
    before that there is nothing to measure against."""
    with connect(settings.warehouse_path) as con:
        if not has_communes(con):
            return None
    try:
        return coverage(home=str(settings.home))
    except Exception as exc:
        # The load that called us is published; coverage can be brought up to date later.
        print(f"coverage not brought up to date: {exc}; run `fsdata refresh coverage`")
        return None


def run_demo(home: str, config: str | None = None) -> dict[str, Any]:
    """Coverage already ran after the demo communes were loaded: this run shows the incremental
    path (every date kept, nothing recomputed) and returns its summary."""
    return coverage(home=home, config=config)
