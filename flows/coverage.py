"""Flow `coverage`: how far each commune lies from the nearest open France services, per date.

A derived flow: the model graph declares its models (`runs_in="coverage"`), so the pipeline
runs it after every load that changes what they read (espaces, communes) and retries it after
a failed run; by hand, `fsdata refresh coverage`. `warehouse.coverage` explains what is
recomputed and what is kept.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.lock import holds_warehouse
from flows.pipeline import finish_run
from flows.report import LoadSummary, RunReport, current_flow_run_id
from fsdata.config import Settings, load_settings
from warehouse import coverage as store
from warehouse import graph
from warehouse.communes import has_communes
from warehouse.coverage import CoverageUpdate
from warehouse.db import (
    begin_load,
    connect,
    finish_load,
    refresh_downstream,
    refresh_models,
    transaction,
)

SOURCE = "coverage"
MODELS = [m for m in graph.creation_order() if m.runs_in == SOURCE]


def has_work(settings: Settings) -> bool:
    """Communes and at least one espace snapshot are loaded: there is a coverage to compute.
    A load runs this flow only then (a subflow run costs about a second of Prefect's time)."""
    with connect(settings.warehouse_path) as con:
        return has_communes(con) and bool(store.snapshot_dates(con))


@flow(name="coverage", log_prints=True)
@holds_warehouse
def coverage(home: str, config: str | None = None) -> dict[str, Any]:
    """Bring nearest espaces, `marts.coverage` and `marts.communes_far` up to date and export
    them. Without communes or espace snapshots, nothing to do."""
    settings = load_settings(home, config)
    report = RunReport(SOURCE)
    with connect(settings.warehouse_path) as con:
        ready = has_communes(con) and bool(store.snapshot_dates(con))
        if not ready:
            message = "nothing to compute: load communes and at least one espace listing first"
            report.summaries.append(LoadSummary(SOURCE, "skipped", message=message))
        else:
            load_id = begin_load(con, SOURCE, flow_run_id=current_flow_run_id())
            try:
                with transaction(con):
                    results = refresh_models(con, MODELS)
                    # and what reads them, e.g. the promise tracker's coverage measure
                    refresh_downstream(con, tuple(m.name for m in MODELS))
                    changes: CoverageUpdate = results["core/commune_nearest_espace"]
                    counts = changes.as_counts()
                    status = (
                        "published"
                        if changes.computed or changes.reused or changes.removed
                        else "unchanged"
                    )
                    message = (
                        f"{counts['dates']} dates: {counts['computed']} computed, "
                        f"{counts['reused']} reused from a date with the same network and "
                        f"communes, {counts['kept']} kept, {counts['removed']} removed"
                    )
                    rows = con.execute("select count(*) from core.commune_nearest_espace")
                    finish_load(con, load_id, status, message, rows_loaded=rows.fetchall()[0][0])
            except Exception as exc:
                # Recorded, so that the next load (or `fsdata refresh coverage`) retries it.
                finish_load(con, load_id, "failed", f"coverage failed: {exc}")
                raise
            summary = LoadSummary(SOURCE, status, load_id, message=message, changes=counts)
            report.summaries.append(summary)
    if report.status != "skipped":
        finish_run(SOURCE, settings, report)
    return report.summaries[0].to_dict()
