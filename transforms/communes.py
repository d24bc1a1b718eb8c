"""Communes with population and centre coordinates, the denominator of territorial coverage.

Two layouts are read (SOURCES.md §5):

- Etalab "Communes et villes de France" CSV: comma, an unnamed leading index column, the 2025
  columns (`code_insee, nom_standard, …, typecom, reg_code, dep_code, population,
  latitude_centre, longitude_centre, latitude_mairie, longitude_mairie, grille_densite,
  grille_densite_texte, …`) or the reduced 2021 layout (`code_insee, nom_standard, typecom,
  reg_code, dep_code, code_postal, population, superficie_km2, latitude_centre,
  longitude_centre`);
- geo.api.gouv.fr JSON: `[{nom, code, codeDepartement, codeRegion, population,
  centre: {type, coordinates: [lon, lat]}, …}]` (an optional `type` field, as the API returns
  with `type=arrondissement-municipal`, maps to `typecom`).

Canonical frame, one row per commune counted once:

- `vintage` (Int32): the population vintage (year), given by the caller;
- `code_insee` (String): INSEE commune code, 5 characters (a 4-digit code is zero-padded);
- `name` (String): commune name;
- `typecom` (String): `COM` (commune) or `ARM` (municipal arrondissement); `COM` when the
  column is absent;
- `dep_code` (String): `01`…`95`, `2A`, `2B`, `971`…, a one-digit code zero-padded; when the
  column is absent (or the cell empty), derived from `code_insee`: its first 3 characters for
  `97x`/`98x` codes (overseas), else its first 2 (which gives `2A`/`2B` for Corsica);
- `reg_code` (String): region code, a one-digit code zero-padded; null when absent;
- `population` (Int64): municipal population of the vintage;
- `latitude`, `longitude` (Float64): the commune centre (`*_centre`), else the town hall
  (`*_mairie`), per row; null when missing;
- `density_class` (String): INSEE density grid, `grille_densite_texte`, else `grille_densite`
  as text; null when the file has neither (the 2021 layout, the JSON API);
- `source_row` (Int64): the row's line number in the CSV (header = line 1), or its 1-based
  position in the JSON array.

Then four check columns, for the GX suite only (not meant for the warehouse):

- `has_coordinates` (Boolean): both coordinates present (after dropping invalid ones);
- `coordinates_valid` (Boolean): the centre as published was finite and inside some French
  territory; false ones (NaN, infinity, 1e308, a point in the ocean) are dropped — the commune
  keeps its population but counts as without coordinates; null when none was published;
- `coordinates_in_territory_box` (Boolean): the point lies in the bounding box of the
  territory of `dep_code` (mainland, Corsica, each DROM/COM: `transforms.territory`); null
  without coordinates or with an unknown `dep_code`;
- `dep_code_consistent` (Boolean): `code_insee` starts with `dep_code`.

They let the GX suite `expectations/communes.json` express its warnings as set membership.

Counting each inhabitant once:

- Municipal arrondissements replace their parent commune: when a frame holds `ARM` rows of
  Paris (751xx), Lyon (6938x) or Marseille (132xx), the parent row (75056, 69123, 13055) is
  dropped; when it holds none, the parent row is kept.
- Delegated and associated communes (`COMD`, `COMA`, as some Etalab files list them) are part
  of a current commune whose population already includes theirs: they are dropped.

Refusals (`SourceFormatError`): a required column missing (`required_column_present`: code,
name, population, latitude, longitude); a population or coordinate that is not a number
(`value_numeric`, with its row).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import (
    DEFAULT_LIMITS,
    InputLimits,
    check_file_size,
    check_frame_cells,
    check_json,
)
from transforms.readers import decode_text, normalise_header, read_csv_records
from transforms.territory import TERRITORY_BOXES, in_france
from transforms.territory import territory_of as box_territory_of

# Canonical column → accepted normalised headers, in order of preference.
CSV_ALIASES: dict[str, tuple[str, ...]] = {
    "code_insee": ("code_insee", "code_commune_insee", "codgeo"),
    "name": ("nom_standard", "nom_commune", "nom"),
    "typecom": ("typecom",),
    "dep_code": ("dep_code", "code_departement"),
    "reg_code": ("reg_code", "code_region"),
    "population": ("population", "pmun"),
    "latitude_centre": ("latitude_centre", "latitude"),
    "longitude_centre": ("longitude_centre", "longitude"),
    "latitude_mairie": ("latitude_mairie",),
    "longitude_mairie": ("longitude_mairie",),
    "density_text": ("grille_densite_texte",),
    "density_code": ("grille_densite",),
}
REQUIRED = ("code_insee", "name", "population")

# Parent commune of each set of municipal arrondissements, by arrondissement code prefix.
ARRONDISSEMENT_PARENTS: dict[str, str] = {"751": "75056", "6938": "69123", "132": "13055"}
KEPT_TYPES = ("COM", "ARM")

CANONICAL_SCHEMA: dict[str, Any] = {
    "vintage": pl.Int32,
    "code_insee": pl.String,
    "name": pl.String,
    "typecom": pl.String,
    "dep_code": pl.String,
    "reg_code": pl.String,
    "population": pl.Int64,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "density_class": pl.String,
    "source_row": pl.Int64,
}
CHECK_COLUMNS = (
    "has_coordinates",
    "coordinates_valid",
    "coordinates_in_territory_box",
    "dep_code_consistent",
)

_GEO_API_TYPES = {
    "commune-actuelle": "COM",
    "arrondissement-municipal": "ARM",
    "commune-deleguee": "COMD",
    "commune-associee": "COMA",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def read_communes(path: Path, vintage: int, limits: InputLimits = DEFAULT_LIMITS) -> pl.DataFrame:
    """Read an Etalab CSV or a geo.api.gouv.fr JSON file of communes into the canonical frame.

    The layout is recognised from the content (a JSON array) rather than the file name.
    Columns: the canonical ones, then the check columns (see the module documentation).
    """
    check_file_size(path, limits)
    text = decode_text(path.read_bytes(), path.name)
    if text.lstrip().startswith("["):
        check_json(text, path.name, limits)
        records = _geo_api_records(text, path.name)
    else:
        records = _csv_records(path, limits)
    frame = pl.DataFrame([{**r, "vintage": vintage} for r in records], schema=CANONICAL_SCHEMA)
    check_frame_cells(frame, path.name, limits)
    frame = _count_once(frame)
    return _with_checks(frame)


def _csv_records(path: Path, limits: InputLimits) -> list[dict[str, Any]]:
    header, rows = read_csv_records(path, limits)
    positions: dict[str, int] = {}
    normalised = [normalise_header(h) for h in header]
    for canonical, aliases in CSV_ALIASES.items():
        for alias in aliases:
            if alias in normalised:
                positions[canonical] = normalised.index(alias)
                break
    for canonical in REQUIRED:
        if canonical not in positions:
            raise SourceFormatError(
                path.name,
                "required_column_present",
                f"no column for {canonical} (accepted: {', '.join(CSV_ALIASES[canonical])})",
                column=CSV_ALIASES[canonical][0],
            )
    for axis in ("latitude", "longitude"):
        if f"{axis}_centre" not in positions and f"{axis}_mairie" not in positions:
            raise SourceFormatError(
                path.name,
                "required_column_present",
                f"no {axis} column (accepted: {axis}_centre, {axis}, {axis}_mairie)",
                column=f"{axis}_centre",
            )

    def cell(row: list[str], canonical: str) -> str | None:
        position = positions.get(canonical)
        if position is None or position >= len(row):
            return None
        value = row[position].strip()
        return value or None

    records = []
    for number, row in enumerate(rows, start=2):
        where = (path.name, number)
        latitude = _number(cell(row, "latitude_centre"), "latitude_centre", where)
        longitude = _number(cell(row, "longitude_centre"), "longitude_centre", where)
        if latitude is None or longitude is None:
            latitude = _number(cell(row, "latitude_mairie"), "latitude_mairie", where)
            longitude = _number(cell(row, "longitude_mairie"), "longitude_mairie", where)
        density = cell(row, "density_text") or cell(row, "density_code")
        records.append(
            _canonical(
                code=cell(row, "code_insee"),
                name=cell(row, "name"),
                typecom=cell(row, "typecom"),
                dep_code=cell(row, "dep_code"),
                reg_code=cell(row, "reg_code"),
                population=_integer(cell(row, "population"), "population", where),
                latitude=latitude,
                longitude=longitude,
                density_class=density,
                source_row=number,
            )
        )
    return records


def _geo_api_records(text: str, file: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceFormatError(file, "file_parseable", f"malformed JSON: {exc}") from exc
    if not isinstance(items, list):
        raise SourceFormatError(file, "file_parseable", "expected a JSON array of communes")
    # The API omits `population` for some communes: only a file where no commune has the field
    # lacks the column.
    for key in ("population", "centre"):
        if items and not any(isinstance(i, dict) and key in i for i in items):
            raise SourceFormatError(
                file, "required_column_present", f"no {key!r} field", column=key
            )
    records = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise SourceFormatError(file, "file_parseable", "not a JSON object", row=number)
        for key, canonical in (("code", "code_insee"), ("nom", "name")):
            if key not in item:
                raise SourceFormatError(
                    file,
                    "required_column_present",
                    f"no {key!r} field ({canonical})",
                    column=key,
                    row=number,
                )
        where = (file, number)
        latitude = longitude = None
        centre = item.get("centre")
        if isinstance(centre, dict):
            coordinates = centre.get("coordinates")
            if isinstance(coordinates, list) and len(coordinates) >= 2:
                longitude = _number(coordinates[0], "centre", where)
                latitude = _number(coordinates[1], "centre", where)
        population = item.get("population")
        records.append(
            _canonical(
                code=_text(item.get("code")),
                name=_text(item.get("nom")),
                typecom=_GEO_API_TYPES.get(str(item.get("type"))) if "type" in item else None,
                dep_code=_text(item.get("codeDepartement")),
                reg_code=_text(item.get("codeRegion")),
                population=_integer(population, "population", where),
                latitude=latitude,
                longitude=longitude,
                density_class=None,
                source_row=number,
            )
        )
    return records


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any, column: str, where: tuple[str, int]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise SourceFormatError(where[0], "value_numeric", "not a number", column=column)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    if not _NUMBER.match(text):
        raise SourceFormatError(
            where[0], "value_numeric", f"{value!r} is not a number", column=column, row=where[1]
        )
    return float(text)


def _integer(value: Any, column: str, where: tuple[str, int]) -> int | None:
    number = _number(value, column, where)
    if number is None:
        return None
    if number != int(number):
        raise SourceFormatError(
            where[0],
            "value_numeric",
            f"{value!r} is not a whole number",
            column=column,
            row=where[1],
        )
    return int(number)


def derive_dep_code(code_insee: str | None) -> str | None:
    """The département of a commune code: 3 characters for `97x`/`98x` codes, else 2."""
    if not code_insee:
        return None
    return code_insee[:3] if code_insee[:2] in ("97", "98") else code_insee[:2]


def _canonical(
    *,
    code: str | None,
    name: str | None,
    typecom: str | None,
    dep_code: str | None,
    reg_code: str | None,
    population: int | None,
    latitude: float | None,
    longitude: float | None,
    density_class: str | None,
    source_row: int,
) -> dict[str, Any]:
    if code is not None:
        code = code.upper()
        if len(code) == 4 and code.isdigit():
            code = "0" + code  # leading zero lost by a spreadsheet
    if dep_code is not None:
        dep_code = dep_code.upper()
        if len(dep_code) == 1 and dep_code.isdigit():
            dep_code = "0" + dep_code
    else:
        dep_code = derive_dep_code(code)
    if reg_code is not None and len(reg_code) == 1 and reg_code.isdigit():
        reg_code = "0" + reg_code
    return {
        "code_insee": code,
        "name": name,
        "typecom": (typecom or "COM").upper(),
        "dep_code": dep_code,
        "reg_code": reg_code,
        "population": population,
        "latitude": latitude,
        "longitude": longitude,
        "density_class": density_class,
        "source_row": source_row,
    }


def _count_once(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop delegated/associated communes, and parents whose arrondissements are listed."""
    frame = frame.filter(pl.col("typecom").is_in(KEPT_TYPES))
    arrondissements = frame.filter(pl.col("typecom") == "ARM")["code_insee"].drop_nulls()
    parents = {
        parent
        for prefix, parent in ARRONDISSEMENT_PARENTS.items()
        if arrondissements.str.starts_with(prefix).any()
    }
    if not parents:
        return frame
    return frame.filter(
        ~(pl.col("code_insee").is_in(sorted(parents)) & (pl.col("typecom") != "ARM"))
    )


def _in_box(dep_code: str | None, latitude: float | None, longitude: float | None) -> bool | None:
    if latitude is None or longitude is None or dep_code is None:
        return None
    territory = box_territory_of(dep_code)
    if territory is None:
        return None
    lat_min, lat_max, lon_min, lon_max = TERRITORY_BOXES[territory]
    return lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max


def _with_checks(frame: pl.DataFrame) -> pl.DataFrame:
    # A centre that is not a number (NaN, infinity) or lies outside every French territory is
    # dropped, never published nor measured: the commune counts as without coordinates.
    valid = pl.Series(
        "coordinates_valid",
        [
            in_france(la, lo)
            for la, lo in zip(
                frame["latitude"].to_list(), frame["longitude"].to_list(), strict=True
            )
        ],
        dtype=pl.Boolean,
    )
    keep = valid.ne_missing(False)
    frame = frame.with_columns(
        *[pl.when(pl.lit(keep)).then(pl.col(c)).alias(c) for c in ("latitude", "longitude")],
    )
    in_box = [
        _in_box(d, la, lo)
        for d, la, lo in zip(
            frame["dep_code"].to_list(),
            frame["latitude"].to_list(),
            frame["longitude"].to_list(),
            strict=True,
        )
    ]
    return frame.with_columns(
        (pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()).alias(
            "has_coordinates"
        ),
        valid,
        pl.Series("coordinates_in_territory_box", in_box, dtype=pl.Boolean),
        pl.col("code_insee").str.starts_with(pl.col("dep_code")).alias("dep_code_consistent"),
    )
