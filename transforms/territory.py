"""French territories and their bounding boxes, to check an espace's coordinates.

A box per territory, generous by a few kilometres: metropolitan France (without Corsica),
Corsica, each DROM and each COM. A département code maps to its territory.
"""

from __future__ import annotations

import math

import polars as pl

# territory: (lat_min, lat_max, lon_min, lon_max)
TERRITORY_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metropole": (42.3, 51.2, -5.3, 8.3),
    "corse": (41.3, 43.1, 8.5, 9.6),
    "971": (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    "972": (14.35, 14.9, -61.25, -60.8),  # Martinique
    "973": (2.1, 5.8, -54.7, -51.6),  # Guyane
    "974": (-21.4, -20.85, 55.2, 55.85),  # La Réunion
    "975": (46.7, 47.2, -56.5, -56.1),  # Saint-Pierre-et-Miquelon
    "976": (-13.05, -12.6, 45.0, 45.3),  # Mayotte
    "977": (17.85, 17.98, -62.95, -62.78),  # Saint-Barthélemy
    "978": (18.0, 18.15, -63.2, -62.95),  # Saint-Martin
    "986": (-14.4, -13.1, -178.3, -176.0),  # Wallis-et-Futuna
    "987": (-28.0, -7.8, -155.0, -134.0),  # Polynésie française
    "988": (-22.8, -19.5, 163.5, 168.2),  # Nouvelle-Calédonie
}

METROPOLE_DEPARTEMENTS = frozenset([f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"])


def territory_of(dep: str | None) -> str | None:
    """`"01"` → `"metropole"`, `"2A"` → `"corse"`, `"974"` → `"974"`, unknown → None."""
    if dep is None:
        return None
    if dep in ("2A", "2B", "20"):
        return "corse"
    if dep in METROPOLE_DEPARTEMENTS:
        return "metropole"
    return dep if dep in TERRITORY_BOXES else None


def in_france(latitude: float | None, longitude: float | None) -> bool | None:
    """True when the point is finite and inside some French territory's box; None when a
    coordinate is missing. A NaN, an infinity or 1e308 is False: never a place."""
    if latitude is None or longitude is None:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for lat_min, lat_max, lon_min, lon_max in TERRITORY_BOXES.values()
    )


def in_france_expr(latitude: pl.Expr, longitude: pl.Expr) -> pl.Expr:
    """`in_france` as a polars expression (false for NaN and infinities, null when missing)."""
    inside = pl.lit(False)
    for lat_min, lat_max, lon_min, lon_max in TERRITORY_BOXES.values():
        inside = inside | (
            latitude.is_between(lat_min, lat_max) & longitude.is_between(lon_min, lon_max)
        )
    finite = latitude.is_finite() & longitude.is_finite()
    return pl.when(latitude.is_null() | longitude.is_null()).then(None).otherwise(finite & inside)
