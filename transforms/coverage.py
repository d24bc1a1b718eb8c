"""Territorial coverage: how far each commune's centre lies from the nearest open France services.

Pure computation on polars frames; the warehouse stores the results in
`core.commune_nearest_espace` and the SQL marts (`sql/marts/coverage.sql`,
`sql/marts/communes_far.sql`) aggregate them.

Distances are great-circle distances between a commune's centre and an espace, on a sphere of
the mean Earth radius. They are found exactly (not approximately) with a k-d tree on 3-D unit
vectors: the straight-line (chord) distance between two points of the unit sphere grows with the
angle between them, so the nearest point by chord is the nearest point by great circle.

A commune is only ever matched with an espace of its own territory, as
`transforms.territory.territory_of` defines them (the one list of territories, shared with the
espace parser's coordinate checks): mainland France (`"metropole"`), Corsica (`"corse"`) and
each overseas département or collectivity (`"971"`, `"974"`…). Corsica is an island: like a
DROM, its communes are served by Corsican espaces only (a ferry crossing is no way to reach a
counter), so a commune of Corse-du-Sud never "reaches" an espace in Nice, nor one of La Réunion
an espace in Mayotte.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime

import numpy as np
import polars as pl

from transforms.territory import territory_of

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), in km."""

TRAVEL_DETOUR_FACTOR = 1.3
"""Road distance ÷ great-circle distance. French studies of road detour ratios find about
1.2 to 1.4 (higher in mountains and on islands, lower in open plains); 1.3 is the middle."""

TRAVEL_SPEED_KMH = 60.0
"""Average door-to-door speed on the road network outside city centres (departmental roads,
villages crossed, bends): a rural average, deliberately not a motorway speed."""


def km_within_minutes(minutes: float) -> float:
    """The great-circle distance that the travel-time proxy covers in `minutes`.

    `minutes / 60 × TRAVEL_SPEED_KMH / TRAVEL_DETOUR_FACTOR`: 30 minutes ≈ 23.08 km.
    """
    return minutes / 60.0 * TRAVEL_SPEED_KMH / TRAVEL_DETOUR_FACTOR


def travel_minutes(distance_km: float) -> float:
    """The travel-time proxy of a great-circle distance, in minutes (inverse of the above)."""
    return distance_km * TRAVEL_DETOUR_FACTOR / TRAVEL_SPEED_KMH * 60.0


def search_territory(dep_code: str | None) -> str | None:
    """The territory within which a commune's or an espace's nearest espace is searched:
    `transforms.territory.territory_of` of the département code, a one-digit code (2020-era
    listings) zero-padded first. `"01"` → `"metropole"`, `"2A"` → `"corse"`, `"974"` →
    `"974"`; None for an unknown or missing code.
    """
    if dep_code is None:
        return None
    code = str(dep_code).strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return territory_of(code)


def _unit_vectors(latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    lat = np.radians(latitude)
    lon = np.radians(longitude)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def haversine_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in km (haversine formula, mean Earth radius); broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _territory_column(frame: pl.DataFrame, dep_column: str) -> list[str | None]:
    return [search_territory(dep) for dep in frame[dep_column].to_list()]


def nearest_espaces(communes: pl.DataFrame, espaces: pl.DataFrame) -> pl.DataFrame:
    """The nearest espace of each commune with coordinates, within the commune's territory.

    `communes`: `code_insee`, `dep_code`, `latitude`, `longitude` (others ignored).
    `espaces`: `espace_id`, `insee_dep` (or `dep_code`), `latitude`, `longitude`: the espaces
    open on the day considered. Espaces without coordinates or with an unknown département code
    cannot be placed and are left out.

    Points that are null or not finite (NaN, infinity) are left out on both sides.
    Returns one row per commune with both coordinates finite, in the input order:
    `code_insee` (str), `espace_id` (str, null when the territory has no espace),
    `distance_km` (Float64, great-circle, null likewise). A commune whose `dep_code` is null
    falls back on the département given by `code_insee` (3 characters for 97x/98x codes, else
    2); one whose département is unknown gets nulls. Espaces at the very same coordinates are
    equivalent: the smallest `espace_id` (as text) is reported, so results do not depend on
    row order. The distance reported is the
    haversine distance of the pair found, the same figure a brute-force search gives.
    """
    dep_column = "insee_dep" if "insee_dep" in espaces.columns else "dep_code"
    places = espaces.select(
        pl.col("espace_id").cast(pl.String),
        pl.col(dep_column).cast(pl.String).alias("dep"),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
    ).drop_nulls()
    # A non-finite point (NaN, infinity) has no place: the k-d tree refuses it outright, and
    # one such espace would stop coverage for every commune.
    places = places.filter(pl.col("latitude").is_finite() & pl.col("longitude").is_finite())
    places = places.with_columns(
        pl.Series("territory", _territory_column(places, "dep"), dtype=pl.String)
    ).drop_nulls("territory")
    # One point per distinct location: the smallest id stands for espaces sharing coordinates.
    places = places.group_by(["territory", "latitude", "longitude"]).agg(pl.col("espace_id").min())

    located = communes.select(
        pl.col("code_insee").cast(pl.String),
        pl.col("dep_code").cast(pl.String),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
    ).filter(pl.col("latitude").is_finite() & pl.col("longitude").is_finite())
    fallback = pl.when(pl.col("code_insee").str.contains(r"^9[78]")).then(
        pl.col("code_insee").str.slice(0, 3)
    )
    located = located.with_columns(
        pl.coalesce(pl.col("dep_code"), fallback.otherwise(pl.col("code_insee").str.slice(0, 2)))
        .fill_null("")
        .alias("dep")
    )
    territories = _territory_column(located, "dep")

    n = located.height
    found_id: list[str | None] = [None] * n
    found_km = np.full(n, np.nan)
    lat_all = located["latitude"].to_numpy()
    lon_all = located["longitude"].to_numpy()
    territory_array = np.array([t if t is not None else "" for t in territories], dtype=object)

    for territory, group in places.group_by("territory"):
        ids = group["espace_id"].to_list()
        e_lat = group["latitude"].to_numpy()
        e_lon = group["longitude"].to_numpy()
        rows = np.flatnonzero(territory_array == territory[0])
        if rows.size == 0:
            continue
        from scipy.spatial import cKDTree  # imported when a date is computed: ~0.3 s

        tree = cKDTree(_unit_vectors(e_lat, e_lon))
        _, index = tree.query(_unit_vectors(lat_all[rows], lon_all[rows]), k=1)
        index = np.asarray(index, dtype=np.int64)
        found_km[rows] = haversine_km(lat_all[rows], lon_all[rows], e_lat[index], e_lon[index])
        for row, i in zip(rows.tolist(), index.tolist(), strict=True):
            found_id[row] = ids[i]

    return pl.DataFrame(
        {
            "code_insee": located["code_insee"],
            "espace_id": pl.Series(found_id, dtype=pl.String),
            "distance_km": pl.Series(found_km, dtype=pl.Float64, nan_to_null=True),
        }
    )


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def network_change_dates(espace_versions: pl.DataFrame, snapshot_dates: list[date]) -> list[date]:
    """The snapshot dates at which the located network differs from the previous snapshot date.

    `espace_versions`: SCD2 versions with `espace_id`, `valid_from`, `valid_to` (null while
    current), `latitude`, `longitude` and, when given, `insee_dep`. An espace version is open on
    day D iff `valid_from <= D` and (`valid_to` is null or `D < valid_to`). The network on D is
    the set of (espace_id, département, latitude, longitude) open that day: what the coverage
    figures depend on (the département counts an espace in its area). A new version that
    changes none of them (a new phone number, say) does not change the network.

    Returns, in ascending order and without duplicates, the first snapshot date and every later
    one whose network differs from the previous snapshot date's: the nearest-espace result of
    any other date is the same as that of the latest returned date before it.
    """
    dates = sorted({_as_date(d) for d in snapshot_dates if d is not None})
    if not dates:
        return []
    versions = espace_versions.select(
        pl.col("espace_id").cast(pl.String),
        pl.col("valid_from").cast(pl.Date),
        pl.col("valid_to").cast(pl.Date),
        pl.col("latitude").cast(pl.Float64),
        pl.col("longitude").cast(pl.Float64),
        (
            pl.col("insee_dep").cast(pl.String)
            if "insee_dep" in espace_versions.columns
            else pl.lit(None, dtype=pl.String)
        ).alias("insee_dep"),
    ).to_dicts()

    def network_on(day: date) -> frozenset[tuple[str, str | None, float | None, float | None]]:
        return frozenset(
            (v["espace_id"], v["insee_dep"], v["latitude"], v["longitude"])
            for v in versions
            if v["valid_from"] is not None
            and v["valid_from"] <= day
            and (v["valid_to"] is None or day < v["valid_to"])
        )

    boundaries = sorted(
        {v["valid_from"] for v in versions if v["valid_from"] is not None}
        | {v["valid_to"] for v in versions if v["valid_to"] is not None}
    )
    changed = [dates[0]]
    previous_day = dates[0]
    previous = network_on(previous_day)
    for day in dates[1:]:
        # The open set can only change if a version starts or ends in (previous_day, day].
        if bisect_right(boundaries, day) > bisect_right(boundaries, previous_day):
            current = network_on(day)
            if current != previous:
                changed.append(day)
                previous = current
        previous_day = day
    return changed
