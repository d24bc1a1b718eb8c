"""Shared low-level readers: encodings, delimiters, header normalisation.

Publishers of French open data use UTF-8 (with or without BOM) or Windows-1252, comma or
semicolon; headers drift in case, accents, spaces and punctuation between versions. Everything
here is pure: bytes or a path in, Python values out.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import polars as pl

from transforms.errors import SourceFormatError
from transforms.limits import (
    DEFAULT_LIMITS,
    InputLimits,
    check_file_size,
    check_frame_cells,
    check_text_table,
)

_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body)", re.IGNORECASE)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_header(name: str) -> str:
    """`"  Complément d'adresse %"` → `"complement_d_adresse_pct"`: the key alias tables use."""
    text = strip_accents(str(name)).replace("%", " pct ").lower()
    text = re.sub(r"[^a-z0-9]+", "_", text)
    return text.strip("_")


def decode_text(data: bytes, file: str) -> str:
    """Decode UTF-8 (BOM or not), falling back to Windows-1252; refuse binary or HTML."""
    if not data.strip():
        raise SourceFormatError(file, "file_not_empty", "the file is empty")
    if _HTML_START.match(data[:512]):
        raise SourceFormatError(
            file, "file_parseable", "the file is an HTML page, not data (an error page?)"
        )
    if b"\x00" in data[:4096]:
        raise SourceFormatError(file, "file_parseable", "the file is binary, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV header line: the most frequent of `;`, `,`, tab outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_table(
    path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[list[str], pl.DataFrame]:
    """A delimited text file as (header, frame of text columns `c0`, `c1`, …).

    Columns are named by position because published headers repeat names; blank lines are
    dropped; every cell stays text (or null when empty). Parsing is polars' (fast on large
    listings); a malformed file is refused naming the row when Python's csv can find it.
    A file over `limits` (size, header width, lines, then cell size) is refused before polars
    allocates for it.
    """
    check_file_size(path, limits)
    text = decode_text(path.read_bytes(), path.name)
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = sniff_delimiter(first_line)
    check_text_table(text, delimiter, path.name, limits)
    try:
        table = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise SourceFormatError(
            path.name,
            "file_parseable",
            f"malformed CSV: {exc}".splitlines()[0],
            row=_first_ragged_row(text, delimiter),
        ) from exc
    table = table.filter(~pl.all_horizontal(pl.all().is_null()))
    if table.height == 0:
        raise SourceFormatError(path.name, "file_not_empty", "the file has no header")
    header = [cell or "" for cell in table.row(0)]
    check_frame_cells(table, path.name, limits, names=header)
    table = table.slice(1).rename({old: f"c{i}" for i, old in enumerate(table.columns)})
    return header, table


def _first_ragged_row(text: str, delimiter: str) -> int | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    width = None
    for number, row in enumerate(reader, start=1):
        if width is None:
            width = len(row)
        elif len(row) > width:
            return number
    return None


def read_csv_records(
    path: Path, limits: InputLimits = DEFAULT_LIMITS
) -> tuple[list[str], list[list[str]]]:
    """A delimited text file as (header, rows of text cells, "" when empty)."""
    header, table = read_csv_table(path, limits)
    return header, [[cell or "" for cell in row] for row in table.iter_rows()]


def read_reference_table(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """A small cited reference CSV kept with the code, as text: the `columns` (each required,
    SourceFormatError otherwise), trimmed, empty cells null."""
    frame = pl.read_csv(path, infer_schema=False)
    for column in columns:
        if column not in frame.columns:
            raise SourceFormatError(
                path.name, "required_column_present", "the column is missing", column=column
            )
    return frame.select(columns).with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in columns
    )


def refuse_broken_rows(file: str, checks: dict[str, pl.Series]) -> None:
    """Refuse the file (SourceFormatError) at the first row a rule of `checks` (rule → a
    boolean per row, true where broken) finds broken; rows are numbered as in the file."""
    for rule, broken in checks.items():
        rows = broken.arg_true()
        if rows.len():
            raise SourceFormatError(file, rule, "the row breaks the rule", row=int(rows[0]) + 2)
