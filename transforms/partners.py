"""The France services partner catalogue: reference data kept in the repository, read as frames.

No machine-readable list of the partners exists (SOURCES.md §3): `fsdata/reference/partners.csv`
and `partner_services.csv` are this project's cited catalogue, and a user may point the pipeline
at their own files in the same format. Everything here is pure: the files named in, frames out.

Names are matched through an alias table (codes, current names, former names, acronyms and
common names), case-, accent- and punctuation-insensitively. An unknown name maps to `None`:
nothing is ever guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits
from transforms.readers import normalise_header, read_csv_records, strip_accents

THEMES: dict[str, str] = {
    "formation_emploi_retraite": "Formation, emploi, retraite",
    "justice": "Justice",
    "prevention_sante": "Prévention santé",
    "budget": "Budget",
    "etat_civil_famille": "État civil, famille",
    "logement_mobilite_courrier": "Logement, mobilité, courrier",
}
"""The six themes of the bouquet de services (Cour des comptes 2024, as cited in SOURCES.md §3)."""

PARTNER_COLUMNS = (
    "partner_code",
    "name",
    "former_names",
    "aliases",
    "themes",
    "effective_from",
    "effective_to",
    "source_document",
    "source_date",
    "source_url",
)
SERVICE_COLUMNS = (
    "partner_code",
    "service_code",
    "service_label",
    "theme",
    "effective_from",
    "effective_to",
    "source_document",
    "source_date",
)
ADMINISTRATION_COLUMNS = ("administration", "partner_code")

ALIAS_KINDS = ("code", "name", "former_name", "alias")
_FORMER_NAME = re.compile(r"^(?P<name>.*?)\s*\((?P<period>[^()]*)\)\s*$")


@dataclass(frozen=True)
class PartnerCatalogue:
    """The catalogue as frames.

    - `partners`: one row per partner, the file's columns typed (`effective_from`,
      `effective_to`, `source_date` as Date; `former_names`, `aliases`, `themes` as lists of
      text) plus `effective_from_le_to` (bool, true when `effective_to` is empty or not before
      `effective_from`: checked by `expectations/partners.json`); extra columns kept as text.
    - `services`: one row per (partner, service), typed likewise, with `effective_from_le_to`;
      an empty frame with those columns when no services file is given.
    - `aliases`: one row per (`alias_normalised`, `partner_code`, `kind`), `kind` in
      code / name / former_name / alias, `alias` being the text as written.
    """

    partners: pl.DataFrame
    services: pl.DataFrame
    aliases: pl.DataFrame


def partner_key(value: str) -> str:
    """The matching key of a partner name: no accents, no case, no punctuation, no spaces.

    `"Caisse d'allocations familiales"`, `"caisse d allocations familiales"` and
    `"CAISSE D’ALLOCATIONS FAMILIALES"` all give `"caissedallocationsfamiliales"`.
    """
    return re.sub(r"[^a-z0-9]+", "", strip_accents(str(value)).lower())


def default_reference_dir() -> Path:
    """The folder of the catalogue kept in the repository (`fsdata/reference`)."""
    return Path(str(resources.files("fsdata").joinpath("reference")))


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split("|") if item.strip()]


def _former_name(text: str) -> str:
    """`"Pôle emploi (until 2023)"` → `"Pôle emploi"`: the period note is not part of the name."""
    match = _FORMER_NAME.match(text)
    return match.group("name").strip() if match else text.strip()


def _read_table(
    path: Path, required: tuple[str, ...], limits: InputLimits = DEFAULT_LIMITS
) -> pl.DataFrame:
    """A reference CSV as a frame of text columns, headers normalised, required ones checked."""
    header, rows = read_csv_records(path, limits)
    names = [normalise_header(h) for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SourceFormatError(
                path.name, "column_names_unique", "the column appears twice", column=name
            )
        seen.add(name)
    for column in required:
        if column not in names:
            raise SourceFormatError(
                path.name,
                "required_column_present",
                f"the column is missing (columns found: {', '.join(names)})",
                column=column,
            )
    width = len(names)
    padded = [[cell.strip() for cell in (row + [""] * width)[:width]] for row in rows]
    data = {name: [row[i] or None for row in padded] for i, name in enumerate(names)}
    return pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))


def _parse_dates(frame: pl.DataFrame, file: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Parse ISO dates; a value that is not `YYYY-MM-DD` refuses the file, naming the row."""
    for column in columns:
        parsed = frame[column].str.to_date("%Y-%m-%d", strict=False)
        bad = frame.with_row_index("i").filter(pl.col(column).is_not_null() & parsed.is_null())
        if bad.height:
            first = bad.row(0, named=True)
            raise SourceFormatError(
                file,
                "date_parseable",
                f"{first[column]!r} is not a date YYYY-MM-DD",
                column=column,
                row=int(first["i"]) + 2,
            )
        frame = frame.with_columns(parsed.alias(column))
    return frame


def _with_period_check(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (
            pl.col("effective_to").is_null()
            | pl.col("effective_from").is_null()
            | (pl.col("effective_from") <= pl.col("effective_to"))
        ).alias("effective_from_le_to")
    )


def _read_partners(path: Path, limits: InputLimits) -> pl.DataFrame:
    frame = _read_table(path, PARTNER_COLUMNS, limits)
    frame = _parse_dates(frame, path.name, ("effective_from", "effective_to", "source_date"))
    for column in ("former_names", "aliases", "themes"):
        frame = frame.with_columns(
            pl.col(column)
            .map_elements(_split_list, return_dtype=pl.List(pl.String))
            .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    return _with_period_check(frame)


def _empty_services() -> pl.DataFrame:
    schema: dict[str, pl.DataType] = dict.fromkeys(SERVICE_COLUMNS, pl.String())
    for column in ("effective_from", "effective_to", "source_date"):
        schema[column] = pl.Date()
    schema["effective_from_le_to"] = pl.Boolean()
    return pl.DataFrame(schema=schema)


def _read_services(path: Path, limits: InputLimits) -> pl.DataFrame:
    frame = _read_table(path, SERVICE_COLUMNS, limits)
    frame = _parse_dates(frame, path.name, ("effective_from", "effective_to", "source_date"))
    return _with_period_check(frame)


def _alias_table(partners: pl.DataFrame, file: str) -> pl.DataFrame:
    rows: list[dict[str, str]] = []
    for partner in partners.iter_rows(named=True):
        code = partner["partner_code"]
        if code is None:
            continue
        candidates = [(code, "code")]
        if partner["name"]:
            candidates.append((partner["name"], "name"))
        candidates += [(_former_name(n), "former_name") for n in partner["former_names"]]
        candidates += [(a, "alias") for a in partner["aliases"]]
        seen: set[str] = set()
        for text, kind in candidates:
            key = partner_key(text)
            if not key or key in seen:
                continue
            seen.add(key)
            rows.append(
                {"alias_normalised": key, "partner_code": code, "kind": kind, "alias": text}
            )
    aliases = pl.DataFrame(
        rows,
        schema={
            "alias_normalised": pl.String,
            "partner_code": pl.String,
            "kind": pl.String,
            "alias": pl.String,
        },
    )
    clashes = (
        aliases.group_by("alias_normalised")
        .agg(pl.col("partner_code").unique().sort())
        .filter(pl.col("partner_code").list.len() > 1)
        .sort("alias_normalised")
    )
    if clashes.height:
        key, codes = clashes.row(0)
        raise SourceFormatError(
            file,
            "alias_unambiguous",
            f"the name {key!r} designates several partners: {', '.join(codes)}",
            column="aliases",
        )
    return aliases


def read_partner_catalogue(
    partners_path: Path, services_path: Path | None, limits: InputLimits = DEFAULT_LIMITS
) -> PartnerCatalogue:
    """Read the partner catalogue (and its services when a path is given).

    Refuses the file (SourceFormatError) when a required column is missing
    (`required_column_present`), a date is not ISO (`date_parseable`) or one alias designates
    two partners (`alias_unambiguous`). Uniqueness of codes, periods and citations are checked
    by the GX suites `partners` and `partner_services`, not here.
    """
    partners = _read_partners(partners_path, limits)
    services = (
        _read_services(services_path, limits) if services_path is not None else _empty_services()
    )
    aliases = _alias_table(partners, partners_path.name)
    return PartnerCatalogue(partners=partners, services=services, aliases=aliases)


def default_partner_catalogue() -> PartnerCatalogue:
    """The catalogue kept in the repository (`fsdata/reference/partners.csv` and services)."""
    folder = default_reference_dir()
    return read_partner_catalogue(folder / "partners.csv", folder / "partner_services.csv")


def normalise_partner(value: str, aliases: pl.DataFrame) -> str | None:
    """The partner_code a name, code, former name or alias designates; None when unknown."""
    if value is None:
        return None
    key = partner_key(value)
    if not key:
        return None
    codes = aliases.filter(pl.col("alias_normalised") == key)["partner_code"].unique()
    return str(codes[0]) if codes.len() == 1 else None


def read_administration_partners(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> pl.DataFrame:
    """The administration → partner mapping: `administration`, `administration_normalised`,
    `partner_code`, `note` (null when absent), extra columns kept as text.

    Refuses the file when a required column is missing (`required_column_present`) or one
    administration maps to two partners (`administration_unambiguous`).
    """
    frame = _read_table(path, ADMINISTRATION_COLUMNS, limits)
    if "note" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("note"))
    frame = frame.filter(pl.col("administration").is_not_null()).with_columns(
        pl.col("administration")
        .map_elements(partner_key, return_dtype=pl.String)
        .alias("administration_normalised")
    )
    clashes = (
        frame.group_by("administration_normalised")
        .agg(pl.col("partner_code").unique().sort())
        .filter(pl.col("partner_code").list.len() > 1)
        .sort("administration_normalised")
    )
    if clashes.height:
        key, codes = clashes.row(0)
        raise SourceFormatError(
            path.name,
            "administration_unambiguous",
            f"the administration {key!r} maps to several partners: {', '.join(map(str, codes))}",
            column="administration",
        )
    first = ["administration", "administration_normalised", "partner_code", "note"]
    return frame.select(first + [c for c in frame.columns if c not in first])


def partner_for_administration(
    name: str, mapping: pl.DataFrame, aliases: pl.DataFrame
) -> str | None:
    """The partner_code of an administration as the observatory names it; None when unknown.

    The mapping table is looked up first (normalised the same way as aliases), then the
    partner aliases: an administration named exactly like a partner maps to it.
    """
    if name is None:
        return None
    key = partner_key(name)
    if not key:
        return None
    codes = mapping.filter(pl.col("administration_normalised") == key)["partner_code"].unique()
    if codes.len() == 1 and codes[0] is not None:
        return str(codes[0])
    if codes.len() > 1:
        return None
    return normalise_partner(name, aliases)


def partners_active_on(partners: pl.DataFrame, day: date) -> pl.DataFrame:
    """The partners whose period [effective_from, effective_to] contains `day`."""
    return partners.filter(
        (pl.col("effective_from").is_null() | (pl.col("effective_from") <= day))
        & (pl.col("effective_to").is_null() | (pl.col("effective_to") >= day))
    )
