"""Footfall (fréquentation): the operators' feed, per espace × month × optional partner.

No open dataset gives footfall per espace (SOURCES.md §4): the feed's format is defined by this
project in `fsdata/reference/FOOTFALL_FORMAT.md`. This module reads one feed file (CSV, comma
or semicolon, UTF-8 or Windows-1252, or Parquet) into a canonical frame. It refuses a file only
for its structure (unreadable, a required column missing, a column twice); a bad value never
crashes the read: the row is kept with a null value and a false check column, and the GX suite
`expectations/footfall.json` sends it to quarantine under the rule's name.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import DEFAULT_LIMITS, InputLimits, check_frame_cells, check_parquet
from transforms.partners import default_partner_catalogue, partner_key
from transforms.readers import normalise_header, read_csv_records

REQUIRED_COLUMNS = ("espace_id", "month", "requests")
OPTIONAL_COLUMNS = ("partner", "resolved", "redirected")
COUNT_COLUMNS = ("requests", "resolved", "redirected")

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "espace_id": ("espace_id", "id_espace", "identifiant_espace", "espace"),
    "month": ("month", "mois"),
    "requests": ("requests", "demandes", "nb_demandes", "nombre_demandes"),
    "partner": ("partner", "partenaire", "operateur", "partner_code"),
    "resolved": ("resolved", "resolues", "demandes_resolues", "nb_resolues"),
    "redirected": ("redirected", "reorientees", "demandes_reorientees", "nb_reorientees"),
}
"""Normalised header (see `transforms.readers.normalise_header`) → canonical column."""

_HEADER_TO_CANONICAL = {
    alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases
}

# A non-negative integer, optionally with thousands grouped by a space, a no-break space or a
# narrow no-break space ("1 234"): what spreadsheets export in French locales.
_INTEGER = r"^(\d+|\d{1,3}([ \u00a0\u202f]\d{3})+)$"
_MONTH = r"^(\d{4})-(\d{2})(-01)?$"

CHECK_COLUMNS = (
    "espace_id_present",
    "counts_are_integers",
    "month_parseable",
    "month_not_future",
    "resolved_le_requests",
    "counts_consistent",
    "partner_known",
)
"""Derived boolean columns checked by `expectations/footfall.json`; never null."""


def _parquet_columns(path: Path, limits: InputLimits) -> pl.LazyFrame:
    """A Parquet file as text columns, values rendered the way a CSV would hold them: a plan,
    read in one pass with the rest of the feed's parse (the file is never held as text)."""
    check_parquet(path, limits)
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several error types for a damaged file
        raise SourceFormatError(path.name, "file_parseable", f"unreadable Parquet: {exc}") from exc
    columns: list[pl.Expr] = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if dtype.is_float():
            integral = column.is_not_nan() & (column == column.round(0))
            text = (
                pl.when(integral)
                .then(column.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(column.cast(pl.String))
            )
        elif isinstance(dtype, (pl.Date, pl.Datetime)):
            text = column.dt.strftime("%Y-%m-%d")
        else:
            text = column.cast(pl.String, strict=False)
        columns.append(text.alias(name))
    return pl.scan_parquet(path).select(columns)


def _collected(plan: pl.LazyFrame, file: str, parquet: bool) -> pl.DataFrame:
    """Run a plan over the feed; a Parquet file damaged past its footer fails here (polars
    raises several error types for a damaged file, as when it read the file at once)."""
    try:
        return plan.collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as exc:
        if not parquet:
            raise
        raise SourceFormatError(file, "file_parseable", f"unreadable Parquet: {exc}") from exc


def _check_cells(text: pl.LazyFrame, file: str, limits: InputLimits) -> None:
    """`check_frame_cells` on a plan: the longest cell of each column in one pass, the column
    holding a cell over the limit read whole (only to name its row)."""
    names = text.collect_schema().names()
    longest = _collected(text.select(pl.col(names).str.len_bytes().max()), file, True).row(0)
    over = [
        n for n, size in zip(names, longest, strict=True) if (size or 0) > limits.max_cell_bytes
    ]
    check_frame_cells(_collected(text.select(over[:1]), file, True), file, limits)


def _canonical_columns(header: list[str], file: str) -> list[str]:
    """Canonical names for the header: known columns renamed, others kept as written."""
    names: list[str] = []
    for raw in header:
        key = normalise_header(raw)
        name = _HEADER_TO_CANONICAL.get(key, raw.strip())
        if name in names:
            raise SourceFormatError(
                file, "column_names_unique", "the column appears twice", column=name
            )
        names.append(name)
    for column in REQUIRED_COLUMNS:
        if column not in names:
            raise SourceFormatError(
                file,
                "required_column_present",
                f"the column is missing (columns found: {', '.join(header)})",
                column=column,
            )
    return names


def _raw_frame(path: Path, limits: InputLimits) -> tuple[pl.LazyFrame, list[str]]:
    """The file as text columns under canonical names, plus the names of the unknown columns:
    a plan (a CSV's rows are read already; a Parquet file is read when the plan runs). Cells
    are trimmed; empty cells are null."""
    if path.suffix.lower() in (".parquet", ".pq"):
        text = _parquet_columns(path, limits)
        _check_cells(text, path.name, limits)
        header = text.collect_schema().names()
        names = _canonical_columns(header, path.name)
        frame = text.rename(dict(zip(header, names, strict=True)))
    else:
        header, text_rows = read_csv_records(path, limits)
        names = _canonical_columns(header, path.name)
        width = len(names)
        rows = [(list(row) + [None] * width)[:width] for row in text_rows]
        frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row").lazy()
    trimmed = [pl.col(name).str.strip_chars() for name in names]
    frame = frame.with_columns(
        pl.when(cell == "").then(None).otherwise(cell).alias(name)
        for cell, name in zip(trimmed, names, strict=True)
    )
    missing = [column for column in OPTIONAL_COLUMNS if column not in names]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    extra = [n for n in names if n not in known]
    return frame, extra


def _count(column: str) -> tuple[pl.Expr, pl.Expr]:
    """(parsed Int64 or null, whether the raw text is empty or a non-negative integer)."""
    raw = pl.col(column)
    is_int = raw.str.contains(_INTEGER)
    digits = raw.str.replace_all(r"[ \u00a0\u202f]", "")
    value = pl.when(is_int).then(digits.cast(pl.Int64, strict=False))
    valid = raw.is_null() | value.is_not_null()
    return value, valid


def _extra_json(frame: pl.LazyFrame, extra: list[str], file: str, parquet: bool) -> pl.Expr:
    """The unknown columns of each row as one JSON object text (`{}` when there are none)."""
    if not extra:
        return pl.lit("{}", dtype=pl.String).alias("extra")
    values = [
        json.dumps(dict(zip(extra, row, strict=True)), ensure_ascii=False)
        for row in _collected(frame.select(extra), file, parquet).iter_rows()
    ]
    return pl.lit(pl.Series("extra", values, dtype=pl.String)).alias("extra")


def _partner_codes(
    frame: pl.LazyFrame, aliases: pl.DataFrame | None, file: str, parquet: bool
) -> tuple[pl.Expr, pl.Expr]:
    """Expressions of each row's `partner_code` (null when the name is empty, unknown or
    ambiguous) and `partner_key` (the matching key of the name given)."""
    if aliases is None:
        aliases = default_partner_catalogue().aliases
    lookup = aliases.group_by("alias_normalised").agg(pl.col("partner_code").unique())
    lookup = lookup.filter(pl.col("partner_code").list.len() == 1).select(
        "alias_normalised", pl.col("partner_code").list.first()
    )
    # A feed names a handful of partners over millions of rows: key each name once, then map
    # each row's name (a join would copy the rows' names once more).
    names = _collected(frame.select(pl.col("partner").unique().drop_nulls()), file, parquet)
    keys = names.with_columns(
        pl.col("partner").map_elements(partner_key, return_dtype=pl.String).alias("partner_key")
    ).join(lookup, left_on="partner_key", right_on="alias_normalised", how="left")
    code, key = (
        pl.col("partner").replace_strict(
            keys["partner"], keys[column], default=None, return_dtype=pl.String
        )
        for column in ("partner_code", "partner_key")
    )
    return code, key


def read_footfall(
    path: Path,
    aliases: pl.DataFrame | None,
    today: date,
    limits: InputLimits = DEFAULT_LIMITS,
) -> pl.DataFrame:
    """Read one footfall feed file into the canonical frame (one row per file row).

    Columns: `source_row` (Int64, 1 = first data row), `espace_id` (text), `month` (Date, first
    of the month; null when unparseable), `partner_code` (null when the partner is empty, i.e.
    all partners / not given, or unknown), `partner_raw` (text as written), `requests`,
    `resolved`, `redirected` (Int64, null when absent or not a non-negative integer), `extra`
    (JSON object text of the unknown columns, `{}` when none), `month_raw`, `requests_raw`,
    `resolved_raw`, `redirected_raw` (text as written, for quarantine), `row_key` (text
    `espace_id|month|partner`, unique within a file), then the check columns of CHECK_COLUMNS:

    - `espace_id_present`: the espace id is not empty;
    - `counts_are_integers`: `requests` is a non-negative integer and `resolved` / `redirected`
      are empty or non-negative integers;
    - `month_parseable`: the month is `YYYY-MM` (or `YYYY-MM-01`) with a month 01–12;
    - `month_not_future`: the month is not after the month of `today` (true when unparseable:
      that row fails `month_parseable` instead);
    - `resolved_le_requests`: `resolved <= requests` (true when either is null);
    - `counts_consistent`: `resolved + redirected <= requests` (true when any is null);
    - `partner_known`: the partner is empty or maps to a partner_code through `aliases`.

    `aliases` is `PartnerCatalogue.aliases`; None uses the catalogue kept in the repository.
    The check "espace known and open during that month" (`espace_open_in_month`) needs the
    espace history: it is made in the warehouse, not here.
    """
    frame, extra = _raw_frame(path, limits)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    first_of_month = date(today.year, today.month, 1)
    requests, requests_ok = _count("requests")
    resolved, resolved_ok = _count("resolved")
    redirected, redirected_ok = _count("redirected")
    month_parts = pl.col("month").str.extract_groups(_MONTH)
    year = month_parts.struct.field("1").cast(pl.Int32, strict=False)
    month_number = month_parts.struct.field("2").cast(pl.Int8, strict=False)
    month = (
        pl.when(month_number.is_between(1, 12))
        .then(pl.date(year, month_number.cast(pl.Int32), 1))
        .otherwise(None)
    )
    partner_code, partner_key_of_name = _partner_codes(frame, aliases, path.name, parquet)
    # One plan, collected once: the columns only the checks and the row key read (the partner
    # key) are dropped as soon as they are read, not kept to the end of the read.
    typed = frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        month.alias("month"),
        pl.col("month").alias("month_raw"),
        partner_code.alias("partner_code"),
        partner_key_of_name.alias("partner_key"),
        pl.col("partner").alias("partner_raw"),
        requests.alias("requests"),
        resolved.alias("resolved"),
        redirected.alias("redirected"),
        pl.col("requests").alias("requests_raw"),
        pl.col("resolved").alias("resolved_raw"),
        pl.col("redirected").alias("redirected_raw"),
        pl.col("espace_id").is_not_null().alias("espace_id_present"),
        (pl.col("requests").is_not_null() & requests_ok & resolved_ok & redirected_ok).alias(
            "counts_are_integers"
        ),
        _extra_json(frame, extra, path.name, parquet),
    )
    typed = typed.with_columns(
        pl.col("month").is_not_null().alias("month_parseable"),
        (pl.col("month").is_null() | (pl.col("month") <= first_of_month)).alias("month_not_future"),
        (pl.col("resolved") <= pl.col("requests")).fill_null(True).alias("resolved_le_requests"),
        ((pl.col("resolved") + pl.col("redirected")) <= pl.col("requests"))
        .fill_null(True)
        .alias("counts_consistent"),
        (pl.col("partner_raw").is_null() | pl.col("partner_code").is_not_null()).alias(
            "partner_known"
        ),
        pl.concat_str(
            pl.coalesce(pl.col("espace_id"), pl.lit("")),
            pl.coalesce(pl.col("month").cast(pl.String), pl.col("month_raw"), pl.lit("")),
            pl.coalesce(pl.col("partner_code"), pl.col("partner_key"), pl.lit("")),
            separator="|",
        ).alias("row_key"),
    )
    canonical = typed.select(
        "source_row",
        "espace_id",
        "month",
        "partner_code",
        "partner_raw",
        "requests",
        "resolved",
        "redirected",
        "extra",
        "month_raw",
        "requests_raw",
        "resolved_raw",
        "redirected_raw",
        "row_key",
        *CHECK_COLUMNS,
    )
    frame = _collected(canonical, path.name, parquet)
    # The streaming engine returns columns in many chunks, which DuckDB could only read through
    # a copy: one chunk per column, a column at a time, so that one column at most is copied.
    for name in frame.columns:
        frame = frame.with_columns(frame.get_column(name).rechunk())
    return frame
