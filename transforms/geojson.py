"""GeoJSON point layers (the 2020 espace listing) as rows of text cells."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits, check_file_size, check_json, refuse
from transforms.readers import decode_text


def read_geojson_points(
    path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[list[str], list[list[str | None]]]:
    """(header, rows of text cells) of a FeatureCollection: every property seen, in order of
    appearance, then `__geometry_longitude`, `__geometry_latitude` from a Point geometry.
    Refused before json.loads when over `limits` (size, nesting), after it when not GeoJSON."""
    check_file_size(path, limits)
    text = decode_text(path.read_bytes(), path.name)
    check_json(text, path.name, limits)
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceFormatError(path.name, "file_parseable", f"invalid JSON: {exc}") from exc
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise SourceFormatError(
            path.name, "file_parseable", "not a GeoJSON FeatureCollection (no 'features' list)"
        )
    header: list[str] = []
    seen: set[str] = set()
    for feature in features:
        for key in _mapping(feature.get("properties")):
            if key not in seen:
                seen.add(key)
                header.append(key)
    if len(header) > limits.max_columns:
        refuse(
            path.name,
            f"{len(header):,} properties, over the limit of {limits.max_columns:,} (max_columns)",
        )
    # Geometry comes last, under names no publisher uses, so properties win when both exist.
    header += ["__geometry_longitude", "__geometry_latitude"]
    rows = []
    for feature in features:
        properties = _mapping(feature.get("properties"))
        geometry = _mapping(feature.get("geometry"))
        coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        point = isinstance(coordinates, list) and len(coordinates) >= 2
        lon, lat = (coordinates[0], coordinates[1]) if point else (None, None)
        rows.append([_text(properties.get(key)) for key in header[:-2]] + [_text(lon), _text(lat)])
    return header, rows


def _text(value: Any) -> str | None:
    """A GeoJSON property as text: GeoJSON gives ints, floats (1.0 for 1), bools and nulls."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _mapping(value: Any) -> dict[str, Any]:
    """A member that should be an object: anything else counts as absent."""
    return value if isinstance(value, dict) else {}
