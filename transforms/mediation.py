"""« Lieux de médiation numérique »: the national CSV (Table Schema v1.0.2) into one frame.

The schema (LaMednum / ANCT, kept unchanged in `transforms/reference/`) names every column.
Source headers are normalised (`transforms.readers.normalise_header`) and matched to its field
names; a column it does not name is kept in the `extra` JSON column; a missing *required*
column refuses the file, a missing optional one is an empty column.

The frame keeps every field as published text (trimmed, null when empty), which is what the
suite derived from the schema checks (`expectations/mediation.json`), beside typed columns:

- `<field>_items`: the `|`-separated lists split (trimmed, empties dropped);
- `programmes`: `dispositif_programmes_nationaux` split, each item spelled as the schema's
  enumeration when it is one up to case and accents (« france services » → « France Services »);
- `pivot_kind` (siret, siren, rna, placeholder, other) and `siren` (the first 9 digits of a
  SIRET/SIREN, null for a placeholder of zeros);
- `date_maj_date`, `latitude_deg`, `longitude_deg` (a decimal comma tolerated);
- `dep_code`: the département from `code_insee`, else from `code_postal`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits
from transforms.readers import normalise_header, read_csv_table

SCHEMA_FILE = "schema-lieux-mediation-numerique.json"

# Fields whose values are `|`-separated lists (the schema's description says so for each).
LIST_FIELDS = (
    "typologie",
    "courriels",
    "site_web",
    "itinerance",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
)


@cache
def table_schema() -> dict[str, Any]:
    """The Table Schema v1.0.2 of the national standard, as published."""
    text = resources.files("transforms").joinpath("reference", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def field_names() -> tuple[str, ...]:
    return tuple(field["name"] for field in table_schema()["fields"])


def required_fields() -> tuple[str, ...]:
    return tuple(
        field["name"]
        for field in table_schema()["fields"]
        if field.get("constraints", {}).get("required")
    )


_ENUMERATION = re.compile(r"^\(\?:\(\?:\^\|\\\|\)\((?P<values>.*)\)\)\+\$$")


def enumeration(pattern: str) -> list[str] | None:
    """The allowed values of a schema pattern written `(?:(?:^|\\|)(A|B|…))+$` (a `|` list
    of enumerated values), unescaped; None for any other pattern."""
    found = _ENUMERATION.match(pattern)
    if not found:
        return None
    # Alternatives are separated by a `|` that is not escaped.
    values = re.split(r"(?<!\\)\|", found["values"])
    return [re.sub(r"\\(.)", r"\1", value) for value in values]


@cache
def programme_names() -> dict[str, str]:
    """Normalised spelling → the schema's spelling of each national programme."""
    field = next(
        f for f in table_schema()["fields"] if f["name"] == "dispositif_programmes_nationaux"
    )
    values = enumeration(field["constraints"]["pattern"]) or []
    return {normalise_header(value): value for value in values}


def parse_lieux(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> pl.DataFrame:
    """The lieux of a national CSV: one row per source row (`source_row` counts from 2, the
    header being row 1), the schema's fields as text and the typed columns described above."""
    header, table = read_csv_table(path, limits)
    names = field_names()
    mapping: dict[str, int] = {}
    extras: dict[str, int] = {}
    for index, published in enumerate(header):
        key = normalise_header(published)
        if key in names and key not in mapping:
            mapping[key] = index
        else:
            extras[published or f"column_{index + 1}"] = index
    missing = [name for name in required_fields() if name not in mapping]
    if missing:
        raise SourceFormatError(
            path.name,
            "required_columns_present",
            f"the schema's required column(s) {', '.join(missing)} are missing",
            column=missing[0],
        )
    text = [
        _clean(f"c{mapping[name]}").alias(name)
        if name in mapping
        else pl.lit(None, dtype=pl.String).alias(name)
        for name in names
    ]
    extra = (
        pl.struct([pl.col(f"c{i}").alias(name) for name, i in extras.items()]).struct.json_encode()
        if extras
        else pl.lit(None, dtype=pl.String)
    )
    frame = table.select(
        (pl.int_range(pl.len(), dtype=pl.Int32) + 2).alias("source_row"),
        *text,
        extra.alias("extra"),
    )
    return with_typed_columns(frame)


def with_typed_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the typed columns to a frame of the schema's fields as text."""
    known = programme_names()
    return frame.with_columns(
        *[split_list(pl.col(name)).alias(f"{name}_items") for name in LIST_FIELDS],
        split_list(pl.col("dispositif_programmes_nationaux"))
        .list.eval(
            pl.element().map_elements(
                lambda item: known.get(normalise_header(item), item), return_dtype=pl.String
            )
        )
        .alias("programmes"),
        _pivot_kind(pl.col("pivot")).alias("pivot_kind"),
        pl.when(pl.col("pivot").str.contains(r"^\d{9}(\d{5})?$") & ~_zeros(pl.col("pivot")))
        .then(pl.col("pivot").str.slice(0, 9))
        .alias("siren"),
        pl.col("date_maj").str.to_date("%Y-%m-%d", strict=False).alias("date_maj_date"),
        _number(pl.col("latitude")).alias("latitude_deg"),
        _number(pl.col("longitude")).alias("longitude_deg"),
        departement(pl.col("code_insee"), pl.col("code_postal")).alias("dep_code"),
    )


def split_list(expr: pl.Expr) -> pl.Expr:
    """`"A| B||C"` → `["A", "B", "C"]`; null stays null."""
    return expr.str.split("|").list.eval(
        pl.element().str.strip_chars().filter(pl.element().str.len_chars() > 0)
    )


def _clean(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value)


def _zeros(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(r"^0+$")


def _pivot_kind(expr: pl.Expr) -> pl.Expr:
    return (
        pl.when(expr.is_null())
        .then(None)
        .when(_zeros(expr))
        .then(pl.lit("placeholder"))
        .when(expr.str.contains(r"^\d{14}$"))
        .then(pl.lit("siret"))
        .when(expr.str.contains(r"^\d{9}$"))
        .then(pl.lit("siren"))
        .when(expr.str.contains(r"^W\d{9}$"))
        .then(pl.lit("rna"))
        .otherwise(pl.lit("other"))
    )


def _number(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)


def departement(code_insee: pl.Expr, code_postal: pl.Expr) -> pl.Expr:
    """The département of a lieu: from a well-formed INSEE code (97x/98x on 3 characters), else
    from a 5-digit postcode (Corsica's 200xx-201xx → 2A, 202xx-206xx → 2B)."""
    insee_ok = code_insee.str.contains(r"^([013-9]\d|2[AB1-9])\d{3}$")
    from_insee = (
        pl.when(code_insee.str.contains(r"^9[78]"))
        .then(code_insee.str.slice(0, 3))
        .otherwise(code_insee.str.slice(0, 2))
    )
    postal_ok = code_postal.str.contains(r"^\d{5}$")
    from_postal = (
        pl.when(code_postal.str.contains(r"^9[78]"))
        .then(code_postal.str.slice(0, 3))
        .when(code_postal.str.contains(r"^20[01]"))
        .then(pl.lit("2A"))
        .when(code_postal.str.contains(r"^20"))
        .then(pl.lit("2B"))
        .otherwise(code_postal.str.slice(0, 2))
    )
    return pl.when(insee_ok).then(from_insee).when(postal_ok).then(from_postal)
