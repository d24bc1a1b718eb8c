"""The map of the catalogue page, drawn offline as inline SVG: the communes coloured by their
distance to the nearest open espace (`core.commune_nearest_espace` at the latest date, placed at
their centre from `core.communes`), one mark per espace open that day, mainland France with
Corsica and each overseas territory in an inset. No tiles, no script, nothing fetched.

Each territory is projected on its own (equirectangular, x scaled by the cosine of its middle
latitude: at these extents the distortion is small) into its box, framed by its own data.
Communes are binned into small square cells, each cell coloured by the population-weighted mean
distance of its communes; the cells of one colour are one SVG path, so the map stays light.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

# Distance classes (km, upper bound inclusive) and their colours, nearest first.
CLASSES: tuple[tuple[float, str, str], ...] = (
    (5.0, "#a6d96a", "≤ 5 km"),
    (10.0, "#fee08b", "5 à 10 km"),
    (20.0, "#fc8d59", "10 à 20 km"),
    (math.inf, "#c0001a", "> 20 km"),
)
NO_ESPACE = ("#8c8c8c", "aucun espace dans le territoire")
TERRITORY_NAMES = {
    "corse": "Corse",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
}
WIDTH, MAIN, GAP = 820, 600, 10  # mainland box is MAIN × MAIN; insets on its right
CELL_MAIN, CELL_INSET = 5.0, 5.0


def territory(dep: str | None) -> str:
    """Mainland, Corsica, or the overseas département / collectivité by its code."""
    dep = (dep or "").strip().upper()
    if dep in ("2A", "2B", "20"):
        return "corse"
    if dep.startswith("97") and len(dep) == 3:
        return dep
    return "metropole"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


class Projection:
    """Fits a set of (lon, lat) points into a box, keeping the aspect ratio."""

    def __init__(self, points: list[tuple[float, float]], box: Box, pad: float = 6.0) -> None:
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.x0, self.y1 = min(lons) * self.k, max(lats)
        span_x = max(max(lons) * self.k - self.x0, 1e-3)
        span_y = max(self.y1 - min(lats), 1e-3)
        self.scale = min((box.w - 2 * pad) / span_x, (box.h - 2 * pad) / span_y)
        self.ox = box.x + (box.w - span_x * self.scale) / 2
        self.oy = box.y + (box.h - span_y * self.scale) / 2

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.ox + (lon * self.k - self.x0) * self.scale,
            self.oy + (self.y1 - lat) * self.scale,
        )


def distance_class(distance: float | None) -> int:
    """Index into CLASSES; len(CLASSES) for a commune whose territory has no espace."""
    if distance is None:
        return len(CLASSES)
    return next(i for i, (bound, _, _) in enumerate(CLASSES) if distance <= bound)


def map_data(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The latest date of the nearest-espace table, its communes and the espaces open that day
    (with coordinates); None while coverage has never been computed."""
    from warehouse.db import table_exists

    if not table_exists(con, "core.commune_nearest_espace"):
        return None
    latest = con.execute("select max(as_of) from core.commune_nearest_espace").fetchall()
    as_of: date | None = latest[0][0] if latest else None
    if as_of is None:
        return None
    communes = con.execute(
        """
        select communes.dep_code, communes.longitude, communes.latitude,
               coalesce(communes.population, 0), nearest.distance_km
        from core.commune_nearest_espace as nearest
        inner join core.communes as communes
            on communes.vintage = nearest.vintage and communes.code_insee = nearest.code_insee
        where nearest.as_of = $as_of
            and communes.latitude is not null and communes.longitude is not null
        """,
        {"as_of": as_of},
    ).fetchall()
    espaces = con.execute(
        """
        select espace_id, name, commune, insee_dep, longitude, latitude
        from core.espaces
        where valid_from <= $as_of and (valid_to is null or $as_of < valid_to)
            and latitude is not null and longitude is not null
        order by espace_id
        """,
        {"as_of": as_of},
    ).fetchall()
    return {"as_of": as_of, "communes": communes, "espaces": espaces}


def _layout(names: list[str]) -> dict[str, Box]:
    """Mainland on the left; Corsica then the other territories in two columns on the right."""
    boxes = {"metropole": Box(0, 0, MAIN, MAIN)}
    column_x, column_w = MAIN + GAP, WIDTH - MAIN - GAP
    insets = [n for n in names if n != "metropole"]
    y = 0.0
    if "corse" in insets:
        boxes["corse"] = Box(column_x, 0, column_w, 170)
        y = 170 + GAP
    others = [n for n in insets if n != "corse"]
    half = (column_w - GAP) / 2
    rows = max(1, math.ceil(len(others) / 2))
    height = min(130.0, (MAIN - y - GAP * (rows - 1)) / rows)
    for i, name in enumerate(others):
        boxes[name] = Box(
            column_x + (i % 2) * (half + GAP), y + (i // 2) * (height + GAP), half, height
        )
    return boxes


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def draw_map(con: duckdb.DuckDBPyConnection, chart_id: str = "map") -> str:
    """The map as a <figure>, or a 'no data yet' figure."""
    title = "Distance des communes à l'espace France services ouvert le plus proche"
    data = map_data(con)
    if data is None or not data["communes"]:
        return (
            f'<figure id="{chart_id}" class="chart map"><figcaption>{_e(title)}</figcaption>'
            '<p class="nodata">Pas encore de données (no data yet).</p></figure>'
        )
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for dep, lon, lat, _, _ in data["communes"]:
        points[territory(dep)].append((lon, lat))
    for _, _, _, dep, lon, lat in data["espaces"]:
        points[territory(dep)].append((lon, lat))
    order = ["metropole", "corse", *sorted(n for n in points if n not in ("metropole", "corse"))]
    boxes = _layout([n for n in order if n in points])
    # An inset keeps its top line for its name.
    projections = {
        name: Projection(
            points[name], box if name == "metropole" else Box(box.x, box.y + 14, box.w, box.h - 14)
        )
        for name, box in boxes.items()
    }

    # Communes binned into cells: population-weighted mean distance per cell.
    cells: dict[tuple[str, int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    population_by_class = [0] * (len(CLASSES) + 1)
    for dep, lon, lat, population, distance in data["communes"]:
        name = territory(dep)
        x, y = projections[name](lon, lat)
        size = CELL_MAIN if name == "metropole" else CELL_INSET
        cell = cells[(name, int(x // size), int(y // size))]
        weight = max(float(population), 1.0)  # an empty commune still shows its place
        if distance is None:
            cell[2] += weight
        else:
            cell[0] += weight
            cell[1] += weight * distance
        population_by_class[distance_class(distance)] += int(population)
    paths: dict[int, list[str]] = defaultdict(list)
    for (name, cx, cy), (weight, weighted, without) in cells.items():
        size = CELL_MAIN if name == "metropole" else CELL_INSET
        kind = distance_class(None if without > weight else weighted / weight)
        paths[kind].append(f"M{cx * size:.0f} {cy * size:.0f}h{size:.0f}v{size:.0f}h-{size:.0f}z")

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {MAIN}" role="img" '
        f'aria-label="{_e(title)}" width="100%"><style>.espace{{fill:#000091;stroke:#fff;'
        "stroke-width:.4}.territory{fill:none;stroke:#bbb}</style>"
    ]
    for name, box in boxes.items():
        if name != "metropole":
            parts.append(
                f'<rect class="territory" x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" '
                f'height="{box.h:.0f}"/><text x="{box.x + 4:.0f}" y="{box.y + 12:.0f}" '
                f'font-size="10">{_e(TERRITORY_NAMES.get(name, name))}</text>'
            )
    colours = [c for _, c, _ in CLASSES] + [NO_ESPACE[0]]
    for kind in sorted(paths):
        parts.append(
            f'<path class="communes class-{kind}" fill="{colours[kind]}" '
            f'd="{"".join(paths[kind])}"/>'
        )
    for espace_id, name, commune, dep, lon, lat in data["espaces"]:
        x, y = projections[territory(dep)](lon, lat)
        label = f"{name or espace_id} — {commune or ''}".strip(" —")
        parts.append(
            f'<circle class="espace" cx="{x:.1f}" cy="{y:.1f}" r="1.5">'
            f"<title>{_e(label)}</title></circle>"
        )
    parts.append("</svg>")
    total = sum(population_by_class) or 1
    legend = "".join(
        f'<li><span class="swatch" style="background:{colours[i]}"></span>{_e(label)} : '
        f"{100 * population_by_class[i] / total:.1f} % de la population</li>"
        for i, label in enumerate([c[2] for c in CLASSES] + [NO_ESPACE[1]])
        if i < len(CLASSES) or population_by_class[i]
    )
    n_espaces = len(data["espaces"])
    return (
        f'<figure id="{chart_id}" class="chart map"><figcaption>{_e(title)}, au '
        f"{data['as_of']:%Y-%m-%d}</figcaption>{''.join(parts)}"
        f'<ul class="legend"><li><svg width="10" height="10" aria-hidden="true">'
        '<circle cx="5" cy="5" r="4" fill="#000091"/></svg> '
        f"{n_espaces} espaces ouverts (un point chacun)</li>{legend}</ul>"
        '<p class="note">Distance à vol d\'oiseau du centre de chaque commune ; chaque case '
        "regroupe les communes proches (moyenne pondérée par la population).</p></figure>"
    )
