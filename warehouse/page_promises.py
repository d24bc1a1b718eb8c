"""The top of the catalogue page: the promise tracker (`marts.promise_tracker`, one row per
promise, with its trend from `marts.promise_measures`) and the network's size over time against
the promised figures. Every number is read from the warehouse; nothing is typed here."""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from warehouse.charts import sparkline, time_chart
from warehouse.db import table_exists

OFFICIAL_FIGURES = "chiffres publiés (Sénat, Cour des comptes)"
VERDICT_LABELS = {
    "met": ("tenue", "verdict-met"),
    "not met": ("non tenue", "verdict-not-met"),
    "not measurable from open data yet": (
        "pas encore mesurable avec les données ouvertes",
        "verdict-unknown",
    ),
}
CSS = """
.tracker td{font-size:.88rem}.tracker small{color:#555}
.verdict{display:inline-block;font-weight:700;padding:.05rem .4rem;border-radius:4px}
.verdict-met{background:#b8fec9;color:#18753c}.verdict-not-met{background:#ffe9e6;color:#b34000}
.verdict-unknown{background:#eee;color:#444}
.map .legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.note{font-size:.8rem;color:#555}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == int(value):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")


def dataset_file(table: str | None, exports_dir: Path) -> str | None:
    """The exported CSV of a warehouse table (path relative to the page), when it exists."""
    from warehouse.release import DATASETS

    for dataset in DATASETS:
        for resource in dataset.resources:
            path = f"{dataset.name}/{resource.name}.csv"
            if resource.table == table and (exports_dir / path).is_file():
                return path
    return None


def _measures(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, list[tuple[date, float]]]]:
    if not table_exists(con, "marts.promise_measures"):
        return {}
    found: dict[str, dict[str, list[tuple[date, float]]]] = defaultdict(lambda: defaultdict(list))
    for measure, source_table, day, value in con.execute(
        "select measure, source_table, measured_on, value from marts.promise_measures "
        "order by measure, source_rank, measured_on"
    ).fetchall():
        found[measure][source_table].append((day, value))
    return found


def tracker_section(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> str:
    """The promise tracker as a table, one <tr class="promise"> per promise."""
    heading = "<h2>Les promesses et ce que disent les données</h2>"
    if not table_exists(con, "marts.promise_tracker"):
        return (
            f'<section id="promises">{heading}<p class="nodata">Le suivi des promesses '
            "n'est pas encore calculé (no data yet).</p></section>"
        )
    rows = con.execute(
        """
        select t.promise_code, t.promise, t.promised_by, t.document_title, t.promised_on,
               t.document_url, t.target, t.target_unit, t.target_on, t.measured_value,
               t.measured_on, t.source, t.source_table, t.measured_detail, t.verdict,
               t.verdict_reason, t.first_value, t.first_measured_on, t.official_value,
               t.official_unit, t.official_on, t.official_source, p.measure
        from marts.promise_tracker as t
        left join core.promises as p using (promise_code)
        order by t.position
        """
    ).fetchall()
    measures = _measures(con)
    own_file = dataset_file("marts.promise_tracker", exports_dir)
    body = []
    for (
        code, promise, promised_by, title, promised_on, url, target, unit, target_on, value,
        measured_on, source, source_table, detail, verdict, reason, first_value, first_on,
        official_value, official_unit, official_on, official_source, measure,
    ) in rows:  # fmt: skip
        document = f'<a href="{_e(url)}">{_e(title)}</a>' if url else _e(title)
        goal = (
            f"{_e(_fmt(target))} {_e(unit)}<br><small>"
            + (f"échéance : {_e(target_on)}" if target_on else "sans échéance citée")
            + "</small>"
            if target is not None
            else "<small>non chiffrée</small>"
        )
        latest = (
            f"<strong>{_e(_fmt(value))}</strong> {_e(unit)} au {_e(measured_on)}<br>"
            f"<small>{_e(source)}{' — ' + _e(detail) if detail else ''}</small>"
            if value is not None
            else "<small>aucune mesure en données ouvertes</small>"
        )
        if official_value is not None:
            latest += (
                f"<br><small>Chiffre publié le plus proche : {_e(_fmt(official_value))} "
                f"{_e(official_unit)} ({_e(official_source)}, {_e(official_on)})</small>"
            )
        series = {
            name: points for name, points in measures.get(measure or "", {}).items() if points
        }
        trend = sparkline(series, target, f"Tendance : {promise}")
        if trend and first_on is not None and first_on != measured_on:
            trend += (
                f"<br><small>{_e(_fmt(first_value))} ({_e(first_on)}) → "
                f"{_e(_fmt(value))} ({_e(measured_on)})</small>"
            )
        label, css = VERDICT_LABELS.get(verdict, (verdict, "verdict-unknown"))
        links = []
        if own_file:
            links.append(f'<a class="dataset-link" href="{_e(own_file)}">suivi (CSV)</a>')
        source_file = dataset_file(source_table, exports_dir)
        if source_file and source_file != own_file:
            links.append(f'<a class="dataset-link" href="{_e(source_file)}">mesures (CSV)</a>')
        body.append(
            f'<tr class="promise" id="promise-{_e(code)}"><td><strong>{_e(promise)}</strong>'
            f"<br><small>{_e(promised_by)} — {document}, {_e(promised_on)}</small></td>"
            f"<td>{goal}</td><td>{latest}</td><td>{trend or '—'}</td>"
            f'<td><span class="verdict {css}">{_e(label)}</span><br><small>{_e(reason)}'
            f"</small></td><td>{' · '.join(links) or '—'}</td></tr>"
        )
    return (
        f'<section id="promises">{heading}<table class="tracker"><tr><th>Promesse</th>'
        "<th>Objectif</th><th>Dernière mesure</th><th>Tendance</th><th>Verdict</th>"
        f"<th>Données</th></tr>{''.join(body)}</table></section>"
    )


def network_chart(con: duckdb.DuckDBPyConnection) -> str:
    """The network's size over time: the listing, the official series and the published
    figures, with the promised figures as reference lines."""
    series: dict[str, list[tuple[date, float]]] = {}
    if table_exists(con, "marts.network_by_departement"):
        rows = con.execute(
            "select as_of, sum(n_open)::double from marts.network_by_departement "
            "group by 1 having sum(n_open) > 0 order by 1"
        ).fetchall()
        if rows:
            series["espaces ouverts (liste ANCT)"] = [(d, v) for d, v in rows]
    if table_exists(con, "core.barometre"):
        rows = con.execute(
            "select date, value from core.barometre where indicator_id = "
            "'nb-labellisations-france-services' and level = 'france' and value is not null "
            "order by date"
        ).fetchall()
        if rows:
            series["labellisations (Baromètre, Etalab / DINUM)"] = [(d, v) for d, v in rows]
    if table_exists(con, "core.official_figures"):
        rows = con.execute(
            "select coalesce(period_end, source_date), value from core.official_figures "
            "where figure_code = 'espaces_count' order by 1"
        ).fetchall()
        if rows:
            series[OFFICIAL_FIGURES] = [(d, v) for d, v in rows]
    references: list[tuple[str, float, date | None]] = []
    if table_exists(con, "core.promises"):
        references = [
            (f"promis : {promise}", target, deadline)
            for promise, target, deadline in con.execute(
                "select promise, target, target_on "
                "from core.promises where measure = 'network_labelled' and target is not null "
                "order by position"
            ).fetchall()
        ]
    return time_chart(
        "chart-network",
        "Taille du réseau dans le temps, face aux chiffres promis",
        series,
        references,
        dots=frozenset({OFFICIAL_FIGURES}),
    )
