"""The catalogue page `exports/index.html`: static and self-contained (inline CSS, inline SVG
charts drawn here), so it reads offline and from any static host."""

from __future__ import annotations

import html
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.page_map import draw_map
from warehouse.page_promises import CSS as PROMISES_CSS
from warehouse.page_promises import network_chart, tracker_section
from warehouse.release_catalog import describe_tables, resource_description
from warehouse.release_parts import resource_stems
from warehouse.release_registry import Resource

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1e1e1e;
background:#f6f6f6;line-height:1.45}
header{background:#000091;color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.6rem}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem 1.4rem;margin:1rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem}
figcaption{font-weight:600;margin-bottom:.4rem}
.synthetic{background:#ffe9e6;color:#b34000;font-weight:700;padding:.1rem .4rem;border-radius:4px}
.nodata{color:#666;font-style:italic}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .4rem;text-align:left;vertical-align:top}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dt{font-weight:600} dd{margin:0}
pre{background:#f0f0f0;padding:.5rem .8rem;border-radius:4px;overflow-x:auto}
details summary{cursor:pointer;font-weight:600}
a{color:#000091}
"""

PALETTE = ("#000091", "#e1000f", "#18753c", "#b34000", "#6a6af4", "#009099")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.4g}"


def no_data(chart_id: str, title: str) -> str:
    return (
        f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption>'
        '<p class="nodata">Pas encore de données (no data yet).</p></figure>'
    )


def line_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    series: dict[str, list[float | None]],
    unit: str = "",
    badge: str = "",
) -> str:
    """An SVG line chart: one x label per point, one polyline per series."""
    values = [v for points in series.values() for v in points if v is not None]
    if not labels or not values:
        return no_data(chart_id, title)
    legend_rows = (len(series) + 2) // 3 if len(series) > 1 else 0
    width, left, right, top = 520, 60, 36, 16
    bottom = 30 + 16 * legend_rows
    height = 230 + bottom
    low, high = min(0.0, min(values)), max(values)
    high = high if high > low else low + 1
    span_x = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / span_x if len(labels) > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" width="100%">'
    ]
    for k in range(5):
        v = low + (high - low) * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{_e(_fmt(v))}{_e(unit)}</text>"
        )
    step = max(1, (len(labels) + 5) // 6)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        coords = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(points) if v is not None]
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{" ".join(coords)}"><title>{_e(name)}</title></polyline>'
        )
        for i, v in enumerate(points):
            if v is not None:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{_e(name)} — {_e(labels[i])} : {_e(_fmt(v))}{_e(unit)}</title>"
                    "</circle>"
                )
        if len(series) > 1:
            parts.append(
                f'<rect x="{left + 130 * (n % 3)}" y="{height - bottom + 26 + 16 * (n // 3)}" '
                f'width="10" height="10" fill="{colour}"/>'
                f'<text x="{left + 14 + 130 * (n % 3)}" y="{height - bottom + 35 + 16 * (n // 3)}" '
                f'font-size="11">{_e(name)}</text>'
            )
    parts.append("</svg>")
    badge_html = f' <span class="synthetic">{_e(badge)}</span>' if badge else ""
    return (
        f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}{badge_html}'
        f"</figcaption>{''.join(parts)}</figure>"
    )


def bar_chart(chart_id: str, title: str, bars: list[tuple[str, float]], unit: str = "") -> str:
    """An SVG horizontal bar chart, one bar per label."""
    if not bars:
        return no_data(chart_id, title)
    width, left, bar, gap = 520, 90, 16, 6
    height = 20 + len(bars) * (bar + gap)
    high = max((v for _, v in bars), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" width="100%">'
    ]
    for i, (label, value) in enumerate(bars):
        top = 10 + i * (bar + gap)
        length = (width - left - 70) * value / high
        parts.append(
            f'<text x="{left - 6}" y="{top + 12}" font-size="11" text-anchor="end">{_e(label)}'
            f'</text><rect class="bar" x="{left}" y="{top}" width="{length:.1f}" height="{bar}" '
            f'fill="{PALETTE[0]}"><title>{_e(label)} : {_e(_fmt(value))}{_e(unit)}</title></rect>'
            f'<text x="{left + length + 4:.1f}" y="{top + 12}" font-size="11">'
            f"{_e(_fmt(value))}{_e(unit)}</text>"
        )
    parts.append("</svg>")
    return (
        f'<figure id="{chart_id}" class="chart"><figcaption>{_e(title)}</figcaption>'
        f"{''.join(parts)}</figure>"
    )


def _rows(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> list[tuple[Any, ...]]:
    from warehouse.db import table_exists

    return con.execute(sql).fetchall() if table_exists(con, table) else []


def charts(con: duckdb.DuckDBPyConnection) -> str:
    coverage = _rows(
        con,
        "marts.coverage",
        """
        select code, share_pop_within_10km from marts.coverage
        where level = 'departement' and share_pop_within_10km is not null
          and as_of = (select max(as_of) from marts.coverage)
        order by code
        """,
    )
    coverage_date = _rows(con, "marts.coverage", "select max(as_of) from marts.coverage")
    footfall = _rows(
        con,
        "marts.footfall_monthly",
        """
        select month, requests, is_synthetic from marts.footfall_monthly
        where level = 'france' and partner is null order by month
        """,
    )
    trends = _rows(
        con,
        "marts.demarche_indicator_trends",
        """
        select edition_id, share_online, share_accessible, share_franceconnect,
               share_dlnuf_optimal
        from marts.demarche_indicator_trends where scope = 'ensemble' order by edition_date
        """,
    )
    as_of = coverage_date[0][0] if coverage_date and coverage_date[0][0] else None
    synthetic = any(row[2] for row in footfall)
    return "".join(
        [
            network_chart(con),
            bar_chart(
                "chart-coverage",
                "Couverture par département : part de la population à moins de 10 km d'un "
                f"espace{f' (au {as_of})' if as_of else ''}",
                [(str(code), float(share)) for code, share in coverage],
                " %",
            ),
            line_chart(
                "chart-footfall",
                "Fréquentation mensuelle, France entière (demandes)",
                [f"{m:%Y-%m}" for m, _, _ in footfall],
                {"demandes": [float(r) if r is not None else None for _, r, _ in footfall]},
                badge="SYNTHETIC — données inventées" if synthetic else "",
            ),
            line_chart(
                "chart-demarches",
                "Démarches en ligne : indicateurs par édition de l'observatoire (ensemble)",
                [str(row[0]) for row in trends],
                {
                    name: [row[i] for row in trends]
                    for i, name in enumerate(
                        ("en ligne", "accessibles", "FranceConnect", "Dites-le-nous une fois"),
                        start=1,
                    )
                },
                " %",
            ),
        ]
    )


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value is None else str(value)


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} Mo".replace(".", ",")
    return f"{max(n, 1) / 1024:.0f} Ko"


def analyst_section(package: dict[str, Any]) -> str:
    """How to open the analyst database, with its size; nothing before it is published."""
    from warehouse.analyst_db import VIEWS
    from warehouse.release_registry import ANALYST_DATABASE

    found = [r for r in package.get("resources", []) if r.get("path") == ANALYST_DATABASE]
    if not found:
        return ""
    resource = found[0]
    views = ", ".join(f"<code>{_e(v)}</code>" for v in VIEWS)
    name = _e(ANALYST_DATABASE)
    return f"""<section id="analyst-database"><h2>Base DuckDB pour analystes</h2>
<p>{_e(resource.get("description", ""))}</p><dl>
<dt>Fichier</dt><dd><a href="{name}">{name}</a> ({_e(_size(int(resource["bytes"])))}, \
<code>{_e(resource["hash"])}</code>)</dd>
<dt>Vues</dt><dd>{views}</dd>
<dt>Lisible par</dt><dd>DuckDB 1.0 ou plus récent</dd></dl>
<p>Python (<code>pip install duckdb</code>) :</p>
<pre><code>import duckdb
con = duckdb.connect("{name}", read_only=True)
con.sql("select * from network_size").show()</code></pre>
<p>Ligne de commande DuckDB :</p>
<pre><code>duckdb -readonly {name} "select * from coverage_by_departement_latest"</code></pre>
<p>Sans téléchargement, depuis la publication en ligne (extension httpfs de DuckDB) :</p>
<pre><code>ATTACH 'https://…/{name}' AS fs (READ_ONLY);
SELECT * FROM fs.promise_tracker;</code></pre>
<p>Depuis ce dépôt : <code>fsdata sql "select * from network_size"</code>.</p></section>"""


def _downloads(resource: Resource, stems: list[str]) -> str:
    """CSV and Parquet links of a resource: one pair, or one pair a year."""
    links = [
        (f"{stem.rpartition('/')[2]} : " if resource.split_by is not None else "")
        + f'<a href="{_e(stem)}.csv">CSV</a> · <a href="{_e(stem)}.parquet">Parquet</a>'
        for stem in stems
    ]
    return "<br>".join(links)


def render_page(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    package: dict[str, Any],
    validation_dir: Path | None = None,
) -> str:
    from warehouse.datadocs import gx_docs_index
    from warehouse.release import (
        DATASETS,
        is_synthetic,
        row_count,
        source_publications,
        validation_label,
        validation_outcomes,
    )

    publications = source_publications(con)
    outcomes = validation_outcomes(con)
    synthetic = is_synthetic(con)
    described = {r["path"]: r for r in package.get("resources", [])}
    docs_dir = validation_dir / "docs" if validation_dir is not None else None
    gx_index = gx_docs_index(validation_dir) if validation_dir is not None else None
    sections = []
    for dataset in DATASETS:
        files = {r.name: resource_stems(dataset, r, described) for r in dataset.resources}
        present = [r for r in dataset.resources if files[r.name]]
        if not present:
            continue
        updates = [publications[s]["published_at"] for s in dataset.sources if s in publications]
        last_update = max(updates) if updates else None
        checks = []
        for source in dataset.sources:
            if source not in outcomes:
                continue
            label = validation_label(outcomes[source])
            doc = docs_dir / f"{source}.html" if docs_dir is not None else None
            if doc is not None and doc.exists():
                link = Path("..") / doc.relative_to(exports_dir.parent)
                label += f' — <a href="{_e(link.as_posix())}">rapport</a>'
            if gx_index is not None and gx_index.exists():
                link = Path("..") / gx_index.relative_to(exports_dir.parent)
                label += f' · <a href="{_e(link.as_posix())}">Data Docs GX</a>'
            checks.append(f"<li>{_e(source)} : {label}</li>")
        badge = (
            ' <span class="synthetic">SYNTHETIC</span>'
            if dataset.name == "footfall" and synthetic
            else ""
        )
        comments = describe_tables(con, [r.table for r in present])
        items = []
        for resource in present:
            stems = files[resource.name]
            meta = described[f"{stems[0]}.csv"]
            fields = "".join(
                f"<tr><td><code>{_e(f['name'])}</code></td><td>{_e(f['type'])}</td>"
                f"<td>{_e(f.get('description', ''))}</td></tr>"
                for f in meta["schema"]["fields"]
            )
            key = ", ".join(meta["schema"].get("primaryKey", [])) or "—"
            comment = comments[resource.table].comment
            description = resource_description(comment, dataset, resource, synthetic)
            items.append(
                f'<article class="resource" id="{_e(resource.name)}"><h3>{_e(resource.title)}</h3>'
                f"<p>{_e(description)}</p><dl>"
                f"<dt>Lignes</dt><dd>{row_count(con, resource.table)}</dd>"
                f"<dt>Clé primaire</dt><dd>{_e(key)}</dd>"
                f"<dt>Télécharger</dt><dd>{_downloads(resource, stems)}</dd></dl>"
                "<details><summary>Schéma</summary><table><tr><th>colonne</th><th>type</th>"
                f"<th>description</th></tr>{fields}</table></details></article>"
            )
        readme = exports_dir / dataset.name / "README.txt"
        readme_link = (
            f' · <a href="{_e(dataset.name)}/README.txt">À lire avant usage</a>'
            if readme.exists()
            else ""
        )
        sections.append(
            f'<section class="dataset" id="dataset-{_e(dataset.name)}">'
            f"<h2>{_e(dataset.title)}{badge}</h2><dl>"
            f"<dt>Dernière mise à jour</dt><dd>{_e(_when(last_update))}</dd>"
            f"<dt>Validation</dt><dd><ul>{''.join(checks) or '<li>—</li>'}</ul></dd>"
            f"<dt>Dossier</dt><dd><code>{_e(dataset.name)}/</code>{readme_link}</dd></dl>"
            f"{''.join(items)}</section>"
        )
    sources = "".join(f"<li>{_e(s['title'])}</li>" for s in package.get("sources", []))
    synthetic_note = (
        '<p><span class="synthetic">SYNTHETIC</span> La fréquentation publiée ici vient du flux '
        "de démonstration : chiffres inventés, à ne pas citer.</p>"
        if is_synthetic(con)
        else ""
    )
    changelog = (
        ' · <a href="CHANGELOG.md">CHANGELOG.md</a>'
        if (exports_dir / "CHANGELOG.md").exists()
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>France services — données ouvertes</title><style>{CSS}{PROMISES_CSS}</style></head>
<body><header><h1>France services — données ouvertes</h1>
<p>{_e(package.get("description", ""))}</p></header><main>
{tracker_section(con, exports_dir)}
<section id="about"><p>Licence : <a href="{_e(package["licenses"][0]["path"])}">\
{_e(package["licenses"][0]["title"])}</a>. Publié le {_e(package.get("created", "—"))}.</p>
<p><a href="datapackage.json">datapackage.json</a> (Frictionless Data Package) ·
<a href="SHA256SUMS">SHA256SUMS</a> (<code>sha256sum -c SHA256SUMS</code>){changelog}</p>
{synthetic_note}
<details><summary>Sources</summary><ul>{sources}</ul></details></section>
{analyst_section(package)}
<h2>En un coup d'œil</h2>{draw_map(con)}<div class="charts">{charts(con)}</div>
<h2>Jeux de données</h2>{"".join(sections)}
</main></body></html>
"""
