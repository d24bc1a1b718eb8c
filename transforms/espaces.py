"""The France services espace listing, every schema it has had, into one canonical frame.

Eras (SOURCES.md §1): the 2020 GeoJSON (`MATRICULE`, `lib_france_services`, `categorie`,
`FORMAT_FS` = Espace labellisé/Antenne, week-to-week drift of names and coordinates), the
2023–24 CSV (`itinerance`, `site_web`, `format_fs` = Site principal/Antenne), and the 2024+ CSV
(`id_fs`, `type_fs`, `format_fs` = Fixe/Multisites/Bus_équivalent/…). Source headers are
normalised (`transforms.readers.normalise_header`) and matched through `ALIASES`; a column no
alias claims is kept in the `extra` JSON column.

The result has one row per source row, every canonical column, and check columns the GX suite
reads (`coordinates_check`, `departement_consistent`, `labels_recognised`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.geojson import read_geojson_points
from transforms.hours import normalise_hours
from transforms.limits import DEFAULT_LIMITS, InputLimits, check_frame_cells
from transforms.readers import normalise_header, read_csv_table
from transforms.territory import TERRITORY_BOXES, in_france_expr, territory_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_COLUMNS = tuple(f"hours_{day}" for day in WEEKDAYS)

# canonical column → normalised source headers, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "espace_id": ("id_fs", "matricule"),
    "name": ("lib_fs", "lib_france_services", "nom"),
    "address": ("adresse",),
    "address_complement": ("complement_adresse", "complement_d_adresse", "adresse_cplmt"),
    "postcode": ("code_postal", "cp"),
    "insee_com": ("insee_com", "code_insee", "code_commune"),
    "commune": ("lib_com", "commune"),
    "insee_dep": ("insee_dep", "departement", "code_departement"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "phone": ("telephone", "tel"),
    "email": ("mail", "contact_mail", "email", "courriel"),
    "website": ("site_web", "site_internet"),
    **{
        column: (f"h_{french}",)
        for column, french in zip(
            HOURS_COLUMNS,
            ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
            strict=True,
        )
    },
    "appointment": ("prise_rdv", "prise_de_rdv"),
    "comment": ("commentaire", "commentaire_horaires"),
    "type_label": ("type_fs", "categorie"),
    "format_label": ("format_fs",),
    "itinerance": ("itinerance",),
    "group_name": ("groupe_fs", "groupe"),
    "labellisation": ("labellisation_fs", "labellisation", "labelisation"),
}

IDENTIFIER = "espace_id"
REQUIRED = ("name", "insee_com")

# Canonical attributes of an espace version: a change in any of them opens a new version.
ATTRIBUTES = (
    "name",
    "type",
    "format",
    "address",
    "address_complement",
    "postcode",
    "insee_com",
    "commune",
    "insee_dep",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    *HOURS_COLUMNS,
    "appointment",
    "labellisation_date",
    "group_name",
    "comment",
)

TYPES = ("principal", "antenne")
FORMATS = ("fixe", "fixe_antennes", "multisite", "itinerant", "bus")

# Label vocabularies seen in the eras, keyed by the label normalised (normalise_header).
_TYPE_FROM_TYPE_LABEL = {
    "principal": "principal",
    "antenne": "antenne",
    "fs": "principal",
    "fs_itinerante": "principal",
    "antenne_itinerante": "antenne",
}
_ITINERANT_TYPE_LABELS = {"fs_itinerante", "antenne_itinerante"}
_FORMAT_FROM_FORMAT_LABEL = {
    "fixe": "fixe",
    "fixe_antenne_s": "fixe_antennes",
    "fixe_antennes": "fixe_antennes",
    "multisites": "multisite",
    "multisite": "multisite",
    "itinerante": "itinerant",
    "itinerant": "itinerant",
    "bus_equivalent": "bus",
    "bus": "bus",
}
# Until 2024 `format_fs` said whether the site was the labelled espace or an antenna.
_TYPE_FROM_FORMAT_LABEL = {
    "espace_labellise": "principal",
    "site_principal": "principal",
    "antenne": "antenne",
}


def parse_listing(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> pl.DataFrame:
    """Read one listing file (CSV or GeoJSON, any era) into the canonical frame."""
    header, source = _read_source(path, limits)
    mapping, extras = _map_headers(path.name, header)
    return _canonical_frame(source, mapping, extras)


def _read_source(path: Path, limits: InputLimits) -> tuple[list[str], pl.DataFrame]:
    """(header, text columns `c0`, `c1`, … by position) of a CSV or GeoJSON listing."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() in (".geojson", ".json") or head.startswith(b"{"):
        header, text_rows = read_geojson_points(path, limits)
        names = [f"c{i}" for i in range(len(header))]
        frame = pl.DataFrame(text_rows, schema=dict.fromkeys(names, pl.String), orient="row")
        check_frame_cells(frame, path.name, limits, names=header)
        return header, frame
    return read_csv_table(path, limits)


def _map_headers(file: str, header: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Canonical column → index of its source column; unclaimed columns → `extras`."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(normalise_header(name), index)
    mapping: dict[str, int] = {}
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            if alias in positions:
                mapping[canonical] = positions[alias]
                break
    for canonical, key in (
        ("longitude", "__geometry_longitude"),
        ("latitude", "__geometry_latitude"),
    ):
        if canonical not in mapping and key in header:
            mapping[canonical] = header.index(key)
    if IDENTIFIER not in mapping:
        raise SourceFormatError(
            file,
            "identifier_column_present",
            f"no identifier column (expected one of {list(ALIASES[IDENTIFIER])})",
            column=ALIASES[IDENTIFIER][0],
        )
    for canonical in REQUIRED:
        if canonical not in mapping:
            raise SourceFormatError(
                file,
                "required_column_present",
                f"required column {canonical!r} missing (expected one of "
                f"{list(ALIASES[canonical])})",
                column=ALIASES[canonical][0],
            )
    used = set(mapping.values())
    extras = {
        name: index
        for index, name in enumerate(header)
        if index not in used and not name.startswith("__geometry_")
    }
    return mapping, extras


def _canonical_frame(
    source: pl.DataFrame, mapping: dict[str, int], extras: dict[str, int]
) -> pl.DataFrame:
    """Source cells tidied once, then picked into canonical columns and the `extra` JSON."""
    names = source.columns
    tidy = [pl.col(n).str.replace_all("\u00a0", " ").str.strip_chars() for n in names]
    source = source.with_columns(
        [
            pl.when(t == "").then(None).otherwise(t).alias(n)
            for t, n in zip(tidy, names, strict=True)
        ]
    )
    extra = (
        pl.struct([pl.col(f"c{i}").alias(name) for name, i in extras.items()]).struct.json_encode()
        if extras
        else pl.lit(None, dtype=pl.String)
    )
    frame = source.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        *[pl.col(f"c{index}").alias(canonical) for canonical, index in mapping.items()],
        *[pl.lit(None, dtype=pl.String).alias(c) for c in ALIASES if c not in mapping],
        extra.alias("extra"),
    )
    return _normalise(frame)


def _clean(column: str) -> pl.Expr:
    text = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.str.to_lowercase().is_in(["", "-", "–", "—"])).then(None).otherwise(text)


def _map_unique(column: str, function: Any, dtype: pl.DataType) -> pl.Expr:
    """Apply a Python function to each distinct value only: listings repeat values a lot."""

    def apply(series: pl.Series) -> pl.Series:
        mapping = {v: function(v) for v in series.unique().to_list()}
        if not mapping:
            return pl.Series(series.name, [], dtype=dtype)
        return series.replace_strict(mapping, return_dtype=dtype)

    return pl.col(column).map_batches(apply, return_dtype=dtype)


def _normalise(frame: pl.DataFrame) -> pl.DataFrame:
    text_columns = [
        "espace_id", "name", "address", "address_complement", "commune", "phone",
        "email", "website", "comment", "group_name", "type_label", "format_label",
        "itinerance",
    ]  # fmt: skip
    frame = frame.with_columns([_clean(c).alias(c) for c in text_columns])
    frame = frame.with_columns(
        pl.col("espace_id").str.replace(r"^(\d+)\.0+$", "$1"),
        _code(pl.col("postcode"), 5).alias("postcode"),
        _code(pl.col("insee_com"), 5).alias("insee_com"),
        _departement(pl.col("insee_dep")).alias("insee_dep"),
        pl.col("email").str.to_lowercase(),
        _coordinate("latitude"),
        _coordinate("longitude"),
        *[_map_unique(c, normalise_hours, pl.String).alias(c) for c in HOURS_COLUMNS],
        _map_unique("appointment", parse_yes_no, pl.Boolean).alias("appointment"),
        _map_unique("labellisation", parse_labellisation_date, pl.Date).alias("labellisation_date"),
    )
    # The département part of an INSEE commune code: 3 characters overseas, else 2.
    commune = pl.col("insee_com")
    derived_dep = (
        pl.when(commune.str.len_chars() != 5)
        .then(None)
        .when(commune.str.starts_with("97") | commune.str.starts_with("98"))
        .then(commune.str.slice(0, 3))
        .otherwise(commune.str.slice(0, 2))
    )
    frame = frame.with_columns(
        pl.coalesce(pl.col("insee_dep"), derived_dep).alias("insee_dep"),
        pl.when(pl.col("insee_dep").is_null() | derived_dep.is_null())
        .then(None)
        .otherwise(pl.col("insee_dep") == derived_dep)
        .alias("departement_consistent"),
    )
    labels = frame.select("type_label", "format_label", "itinerance").unique().to_dicts()
    classified = pl.DataFrame(
        [{**row, **dict(zip(("type", "format", "labels_recognised"), classify(**row), strict=True))}
         for row in labels],
        schema={
            "type_label": pl.String, "format_label": pl.String, "itinerance": pl.String,
            "type": pl.String, "format": pl.String, "labels_recognised": pl.Boolean,
        },
    )  # fmt: skip
    frame = frame.join(
        classified, on=["type_label", "format_label", "itinerance"], how="left", nulls_equal=True
    )
    frame = _check_coordinates(frame)
    return frame.select(
        "source_row",
        "espace_id",
        *ATTRIBUTES,
        "type_label",
        "format_label",
        "coordinates_check",
        "departement_consistent",
        "labels_recognised",
        "extra",
    ).sort("source_row")


def _code(expr: pl.Expr, width: int) -> pl.Expr:
    """Postcodes and INSEE codes lose their leading zero in spreadsheets: 1200 → 01200."""
    text = (
        expr.str.replace_all(r"[\s\u00a0]", "").str.replace(r"^(\d+)\.0+$", "$1").str.to_uppercase()
    )
    padded = pl.when(text.str.contains(r"^\d+$") & (text.str.len_chars() < width)).then(
        text.str.pad_start(width, "0")
    )
    return padded.otherwise(pl.when(text == "").then(None).otherwise(text))


def _departement(expr: pl.Expr) -> pl.Expr:
    """`"1"` → `"01"`, `"2a"` → `"2A"`, `"974"` stays; empty → null."""
    text = expr.str.replace_all(r"\s", "").str.to_uppercase()
    return (
        pl.when(text.str.contains(r"^\d$"))
        .then(text.str.pad_start(2, "0"))
        .when(text == "")
        .then(None)
        .otherwise(text)
    )


def _coordinate(column: str) -> pl.Expr:
    return (
        pl.col(column).str.replace(",", ".").str.strip_chars().cast(pl.Float64, strict=False)
    ).alias(column)


def _check_coordinates(frame: pl.DataFrame) -> pl.DataFrame:
    """Label each row's coordinates; swap those published as (longitude, latitude).

    Swapped coordinates are unambiguous when the published pair lies outside the row's
    territory and the swapped pair inside it: the row keeps the corrected pair and the
    `coordinates_swapped` warning (the published values stay in the raw archive). A pair that
    is NaN, infinite or in no French territory is `invalid` and dropped (set null).
    """
    boxes = pl.DataFrame(
        [
            {"insee_dep": dep, "lat_min": b[0], "lat_max": b[1], "lon_min": b[2], "lon_max": b[3]}
            for dep in frame["insee_dep"].drop_nulls().unique().to_list()
            if (territory := territory_of(dep)) is not None
            for b in [TERRITORY_BOXES[territory]]
        ],
        schema={
            "insee_dep": pl.String, "lat_min": pl.Float64, "lat_max": pl.Float64,
            "lon_min": pl.Float64, "lon_max": pl.Float64,
        },
    )  # fmt: skip
    lat, lon = pl.col("latitude"), pl.col("longitude")

    def within(y: pl.Expr, x: pl.Expr) -> pl.Expr:
        return y.is_between(pl.col("lat_min"), pl.col("lat_max")) & x.is_between(
            pl.col("lon_min"), pl.col("lon_max")
        )

    check = (
        pl.when(lat.is_null() | lon.is_null())
        .then(pl.lit("missing"))
        .when(pl.col("lat_min").is_null())
        .then(pl.lit("unknown_territory"))
        .when(within(lat, lon))
        .then(pl.lit("ok"))
        .when(within(lon, lat))
        .then(pl.lit("swapped"))
        .otherwise(pl.lit("outside_territory"))
    )
    swapped = pl.col("coordinates_check") == "swapped"
    # A pair that is not finite or, once unswapped, lies in no French territory is no place:
    # dropped (`invalid`, the `coordinates_valid` rule), so it never reaches distances.
    invalid = in_france_expr(lat, lon).not_().fill_null(False)
    return (
        frame.join(boxes, on="insee_dep", how="left")
        .with_columns(check.alias("coordinates_check"))
        .with_columns(
            pl.when(swapped).then(lon).otherwise(lat).alias("latitude"),
            pl.when(swapped).then(lat).otherwise(lon).alias("longitude"),
        )
        .with_columns(
            pl.when(invalid)
            .then(pl.lit("invalid"))
            .otherwise(pl.col("coordinates_check"))
            .alias("coordinates_check")
        )
        .with_columns(
            pl.when(pl.col("coordinates_check") != "invalid").then(pl.col(c)).alias(c)
            for c in ("latitude", "longitude")
        )
        .drop("lat_min", "lat_max", "lon_min", "lon_max")
    )


def classify(
    type_label: str | None, format_label: str | None, itinerance: str | None
) -> tuple[str | None, str | None, bool]:
    """(type, format, labels recognised) from the labels of any era.

    2024+: `type_fs` Principal/Antenne and `format_fs` Fixe/Multisites/Bus_équivalent/….
    2020: `categorie` FS/Antenne (± itinerante), `FORMAT_FS` Espace labellisé/Antenne,
    `ITINERANCE` Oui/Non. A label present but unknown leaves that attribute null and makes
    `labels recognised` false (the row loads with a warning).
    """
    recognised = True
    type_key = normalise_header(type_label) if type_label else None
    format_key = normalise_header(format_label) if format_label else None
    espace_type = None
    espace_format = None
    if type_key:
        espace_type = _TYPE_FROM_TYPE_LABEL.get(type_key)
        recognised &= espace_type is not None
    if format_key:
        espace_format = _FORMAT_FROM_FORMAT_LABEL.get(format_key)
        type_from_format = _TYPE_FROM_FORMAT_LABEL.get(format_key)
        recognised &= espace_format is not None or type_from_format is not None
        espace_type = espace_type or type_from_format
    if espace_format is None:
        itinerant = parse_yes_no(itinerance) if itinerance else None
        if itinerance and itinerant is None:
            recognised = False
        if itinerant or type_key in _ITINERANT_TYPE_LABELS:
            espace_format = "itinerant"
        elif itinerant is False or type_key in _TYPE_FROM_TYPE_LABEL:
            espace_format = "fixe"
    return espace_type, espace_format, recognised


def parse_yes_no(value: str | None) -> bool | None:
    if value is None:
        return None
    key = normalise_header(value)
    if key in ("oui", "o", "yes", "y", "true", "1", "vrai"):
        return True
    if key in ("non", "n", "no", "false", "0", "faux"):
        return False
    return None


def parse_labellisation_date(value: str | None) -> date | None:
    """`"Espace labellisé 01/01/2020"` → 2020-01-01; `"Espace labélisé 02/2020"` → 2020-02-01."""
    if not value:
        return None
    full = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    try:
        if full:
            return date(int(full[3]), int(full[2]), int(full[1]))
        month = re.search(r"(\d{1,2})/(\d{4})", value)
        if month:
            return date(int(month[2]), int(month[1]), 1)
        iso = re.search(r"(\d{4})-(\d{2})-(\d{2})", value)
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        return None
    return None
