"""Match the lieux de médiation labelled « France Services » with the espaces of the listing.

Pure: two frames in, one frame out. Both frames have `id`, `name`, `address`, `insee_com`,
`latitude`, `longitude` (nulls allowed). A pair is a candidate when both places lie in the
same commune (INSEE code), or within `MAX_KM` of each other. Its score is
`0.45 × name similarity + 0.35 × address similarity + 0.2 × proximity` (proximity
`1 - distance / MAX_KM`, 0 when a point is missing); similarities compare the words of both
texts without accents, case, and the words every espace shares (« France services », « maison
», articles). Pairs are then taken one-to-one, greedily: same-commune pairs first (scoring at
least `MIN_SCORE_SAME_COMMUNE`), then the others, which must look alike (name similarity of
`MIN_NAME_NEARBY` or address similarity of `MIN_ADDRESS_NEARBY`), best score first.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import polars as pl

from transforms.coverage import haversine_km
from transforms.readers import strip_accents

MAX_KM = 5.0
MIN_SCORE_SAME_COMMUNE = 0.3
MIN_NAME_NEARBY = 0.6
MIN_ADDRESS_NEARBY = 0.8

_GENERIC = frozenset(
    [
        "france",
        "services",
        "service",
        "espace",
        "maison",
        "mfs",
        "msap",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "d",
        "et",
        "a",
        "au",
        "aux",
        "en",
    ]
)
_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "r": "rue",
    "pl": "place",
    "rte": "route",
    "chem": "chemin",
    "imp": "impasse",
    "all": "allee",
    "st": "saint",
    "ste": "sainte",
}

MATCH_SCHEMA = {
    "status": pl.String,
    "lieu_id": pl.String,
    "espace_id": pl.String,
    "method": pl.String,
    "name_similarity": pl.Float64,
    "address_similarity": pl.Float64,
    "distance_km": pl.Float64,
    "score": pl.Float64,
}


def words(text: str | None, *, drop_generic: bool) -> str:
    """Comparable words: no accents, lower case, abbreviations spelled out, sorted."""
    if not text:
        return ""
    tokens = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    tokens = [_ABBREVIATIONS.get(token, token) for token in tokens]
    if drop_generic:
        tokens = [token for token in tokens if token not in _GENERIC]
    return " ".join(sorted(tokens))


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def match_places(lieux: pl.DataFrame, espaces: pl.DataFrame) -> pl.DataFrame:
    """One row per matched pair (`status` matched) and per unmatched lieu (`lieu_only`) or
    espace (`espace_only`), with the pair's method, similarities, distance and score."""
    lieu_rows = lieux.to_dicts()
    espace_rows = espaces.to_dicts()
    for row in (*lieu_rows, *espace_rows):
        row["_name"] = words(row.get("name"), drop_generic=True)
        row["_address"] = words(row.get("address"), drop_generic=False)
    # Distances are computed for each lieu against every espace at once (thousands of each).
    e_lat = np.array([_float(e.get("latitude")) for e in espace_rows], dtype=float)
    e_lon = np.array([_float(e.get("longitude")) for e in espace_rows], dtype=float)
    e_commune = np.array([e.get("insee_com") or "" for e in espace_rows], dtype=object)
    candidates = []
    for lieu in lieu_rows:
        lat, lon = _float(lieu.get("latitude")), _float(lieu.get("longitude"))
        distances = haversine_km(lat, lon, e_lat, e_lon)
        same = (e_commune == lieu["insee_com"]) if lieu.get("insee_com") else False
        near = np.nan_to_num(distances, nan=np.inf) <= MAX_KM
        for index in np.flatnonzero(np.logical_or(same, near)).tolist():
            espace = espace_rows[index]
            same_commune = bool(lieu.get("insee_com")) and lieu["insee_com"] == espace.get(
                "insee_com"
            )
            distance = None if np.isnan(distances[index]) else float(distances[index])
            name = similarity(lieu["_name"], espace["_name"])
            address = similarity(lieu["_address"], espace["_address"])
            proximity = 0.0 if distance is None else max(0.0, 1.0 - distance / MAX_KM)
            score = 0.45 * name + 0.35 * address + 0.2 * proximity
            if same_commune:
                accepted = score >= MIN_SCORE_SAME_COMMUNE
            else:
                accepted = name >= MIN_NAME_NEARBY or address >= MIN_ADDRESS_NEARBY
            if accepted:
                candidates.append((same_commune, score, lieu, espace, name, address, distance))
    # Same commune first, best score first; ids break ties so the result is deterministic.
    candidates.sort(key=lambda c: (not c[0], -c[1], str(c[2]["id"]), str(c[3]["id"])))
    taken_lieux: set[str] = set()
    taken_espaces: set[str] = set()
    rows = []
    for same_commune, score, lieu, espace, name, address, distance in candidates:
        if lieu["id"] in taken_lieux or espace["id"] in taken_espaces:
            continue
        taken_lieux.add(lieu["id"])
        taken_espaces.add(espace["id"])
        rows.append(
            (
                "matched",
                lieu["id"],
                espace["id"],
                "commune" if same_commune else "distance",
                round(name, 4),
                round(address, 4),
                None if distance is None else round(distance, 3),
                round(score, 4),
            )
        )
    rows += [
        ("lieu_only", lieu["id"], None, None, None, None, None, None)
        for lieu in lieu_rows
        if lieu["id"] not in taken_lieux
    ]
    rows += [
        ("espace_only", None, espace["id"], None, None, None, None, None)
        for espace in espace_rows
        if espace["id"] not in taken_espaces
    ]
    return pl.DataFrame(rows, schema=MATCH_SCHEMA, orient="row")


def _float(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]
