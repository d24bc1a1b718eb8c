"""Bounds on the size and shape of an input file, checked before or while parsing.

A hostile or broken file must cost a bounded amount of memory and time: a 15 MB CSV with a
million header columns, a 1.5 KB XLSX declaring a 16,384 × 1,048,576 sheet, a zip inflating
to gigabytes, JSON nested 100,000 levels deep, a 50 MB cell. Each check here refuses such a
file with the blocking rule `input_within_limits`, naming the limit (and the row or column when
known), before the parser or the spreadsheet library allocates for it.

The limits are settings (`fsdata/config.py`); parsers take them as a plain `InputLimits`
parameter and default to `DEFAULT_LIMITS`, so `transforms/` stays free of configuration.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from transforms.errors import SourceFormatError

RULE = "input_within_limits"


@dataclass(frozen=True)
class InputLimits:
    # Columns of a row (header included): real sources have at most ~80.
    max_columns: int = 1_000
    # Bytes of one cell once decoded (UTF-8): the longest real cell is a few hundred bytes.
    max_cell_bytes: int = 100_000
    # Data rows of a table (the 10 M-row footfall benchmark feed fits).
    max_rows: int = 20_000_000
    # Bytes of a text or JSON file, and of a spreadsheet's entries once uncompressed: parsing
    # costs 3 to 5 times the size in memory.
    max_input_bytes: int = 100 * 1024 * 1024
    # Cells of a table: rows × columns of a text file (even empty cells cost memory), the
    # bounding box of a sheet (the reader allocates all of it, however sparse).
    max_cells: int = 10_000_000
    # Nesting of JSON arrays and objects (a GeoJSON MultiPolygon needs 7).
    max_json_depth: int = 64


DEFAULT_LIMITS = InputLimits()


def refuse(file: str, detail: str, *, column: str | None = None, row: int | None = None) -> None:
    raise SourceFormatError(file, RULE, detail, column=column, row=row)


def check_file_size(path: Path, limits: InputLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_input_bytes:
        refuse(
            path.name,
            f"the file is {size:,} bytes, over the limit of {limits.max_input_bytes:,} "
            "(max_input_bytes)",
        )


# --- delimited text ----------------------------------------------------------------------------

_QUOTED = re.compile(r'"[^"]*"')


def check_text_table(text: str, delimiter: str, file: str, limits: InputLimits) -> None:
    """Before a CSV parser sees `text`: its header's width and its line count are bounded.

    Both are upper bounds computed in one pass (a quoted delimiter or line break counts too),
    so a legitimate file is never refused by a count it does not reach.
    """
    newline = text.find("\n")
    header = text if newline < 0 else text[:newline]
    columns = _QUOTED.sub("", header).count(delimiter) + 1
    if columns > limits.max_columns:
        refuse(
            file,
            f"the header has {columns:,} columns, over the limit of {limits.max_columns:,} "
            "(max_columns)",
            row=1,
        )
    lines = text.count("\n") + 1
    if lines - 1 > limits.max_rows:
        refuse(
            file,
            f"the file has {lines:,} lines, over the limit of {limits.max_rows:,} rows (max_rows)",
        )
    if lines * columns > limits.max_cells:
        refuse(
            file,
            f"{lines:,} lines of {columns:,} columns, over the limit of {limits.max_cells:,} "
            "cells (max_cells)",
        )


def check_row_widths(rows: list[list[str | None]], file: str, limits: InputLimits) -> None:
    """Rows already split (Python's csv, a spreadsheet): their count, width and cell sizes."""
    if len(rows) > limits.max_rows + 1:
        refuse(
            file,
            f"the file has {len(rows):,} rows, over the limit of {limits.max_rows:,} (max_rows)",
        )
    for number, row in enumerate(rows, start=1):
        if len(row) > limits.max_columns:
            refuse(
                file,
                f"{len(row):,} columns, over the limit of {limits.max_columns:,} (max_columns)",
                row=number,
            )
        for index, cell in enumerate(row):
            # Characters first: a cell that short cannot be over the byte limit.
            if cell and len(cell) * 4 > limits.max_cell_bytes:
                size = len(cell.encode("utf-8"))
                if size > limits.max_cell_bytes:
                    refuse(
                        file,
                        f"a cell of {size:,} bytes, over the limit of "
                        f"{limits.max_cell_bytes:,} (max_cell_bytes)",
                        row=number,
                        column=f"#{index + 1}",
                    )


def check_frame_cells(
    frame: pl.DataFrame,
    file: str,
    limits: InputLimits,
    *,
    names: list[str] | None = None,
    first_row: int = 1,
) -> None:
    """Every text cell of `frame` within `max_cell_bytes`, and the row count within `max_rows`.

    `names` are the source headers of the frame's columns (for the message); `first_row` is
    the file row of the frame's first row.
    """
    if frame.height > limits.max_rows:
        refuse(
            file,
            f"{frame.height:,} rows, over the limit of {limits.max_rows:,} (max_rows)",
        )
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text or frame.height == 0:
        return
    longest = frame.select(pl.col(text).str.len_bytes().max()).row(0)
    for column, size in zip(text, longest, strict=True):
        if size is not None and size > limits.max_cell_bytes:
            offset = frame[column].str.len_bytes().arg_max() or 0
            label = names[frame.columns.index(column)] if names else column
            refuse(
                file,
                f"a cell of {size:,} bytes, over the limit of {limits.max_cell_bytes:,} "
                "(max_cell_bytes)",
                column=label,
                row=first_row + offset,
            )


# --- JSON --------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, without recursion (strings, whose
    brackets do not count, are removed first). Malformed JSON gives a meaningless but finite
    number: json.loads refuses it next."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if not brackets:
        return 0
    codes = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int64)
    return int(np.cumsum(steps).max())


def check_json(text: str, file: str, limits: InputLimits) -> None:
    """Before json.loads: a depth it can parse without RecursionError and within the limit."""
    depth = json_depth(text)
    if depth > limits.max_json_depth:
        refuse(
            file,
            f"JSON nested {depth:,} levels deep, over the limit of {limits.max_json_depth:,} "
            "(max_json_depth)",
        )


# --- spreadsheets ------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?"')
# A cell reference or a row number, wherever it appears in a sheet's XML.
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,4})(\d{1,8})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,8})"')
_CHUNK = 1 << 20


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def _check_box(file: str, what: str, columns: int, rows: int, limits: InputLimits) -> None:
    if columns > limits.max_columns:
        refuse(
            file,
            f"{what} spans {columns:,} columns, over the limit of {limits.max_columns:,} "
            "(max_columns)",
        )
    if rows > limits.max_rows + 1:
        refuse(
            file, f"{what} spans {rows:,} rows, over the limit of {limits.max_rows:,} (max_rows)"
        )
    if columns * rows > limits.max_cells:
        refuse(
            file,
            f"{what} spans {columns:,} × {rows:,} cells, over the limit of "
            f"{limits.max_cells:,} (max_cells)",
        )


def _scan_sheet(archive: zipfile.ZipFile, name: str, file: str, limits: InputLimits) -> None:
    """The declared `<dimension>` and the real bounding box of a worksheet's cells, streamed
    (the reader allocates the whole box, however sparse the sheet)."""
    max_column = max_row = 0
    tail = b""
    first = True
    with archive.open(name) as handle:
        while chunk := handle.read(_CHUNK):
            data = tail + chunk
            if first:
                first = False
                declared = _DIMENSION.search(data[:65536])
                if declared:
                    start_col, start_row, end_col, end_row = declared.groups()
                    end_col, end_row = end_col or start_col, end_row or start_row
                    columns = _column_number(end_col) - _column_number(start_col) + 1
                    rows = int(end_row or 1) - int(start_row or 1) + 1
                    _check_box(file, f"the sheet's declared dimension ({declared[1].decode()}"
                               f"{declared[2].decode()}:{end_col.decode()}{end_row.decode()})",
                               columns, rows, limits)  # fmt: skip
            for match in _CELL_REF.finditer(data):
                max_column = max(max_column, _column_number(match[1]))
                max_row = max(max_row, int(match[2]))
            for match in _ROW_REF.finditer(data):
                max_row = max(max_row, int(match[1]))
            # A reference cut by the chunk boundary is found whole in the next round.
            tail = data[-256:]
            _check_box(file, "the sheet's cells", max_column, max_row, limits)


def check_spreadsheet(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> None:
    """Before a spreadsheet reader opens `path` (XLSX/XLSM or ODS, both zip archives): the
    archive's entries within `max_input_bytes` once uncompressed, and, for XLSX, each sheet's
    declared and real dimensions within `max_columns`, `max_rows` and `max_cells`.
    Anything else (a legacy .xls, a damaged zip) is left to the reader, which refuses it."""
    file = path.name
    if not zipfile.is_zipfile(path):
        check_file_size(path, limits)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            total = sum(entry.file_size for entry in entries)
            if total > limits.max_input_bytes:
                refuse(
                    file,
                    f"the archive inflates to {total:,} bytes, over the limit of "
                    f"{limits.max_input_bytes:,} (max_input_bytes)",
                )
            for entry in entries:
                if re.fullmatch(r"xl/worksheets/[^/]+\.xml", entry.filename):
                    _scan_sheet(archive, entry.filename, file, limits)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, SourceFormatError):
            raise
        raise SourceFormatError(file, "file_parseable", f"a damaged zip archive: {exc}") from exc


def check_parquet(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> None:
    """Before reading a Parquet file: its width and row count from its footer, and its size."""
    check_file_size(path, limits)
    try:
        columns = len(pl.read_parquet_schema(path))
        rows = pl.scan_parquet(path).select(pl.len()).collect().item()
    except Exception as exc:  # polars raises several error types for a damaged footer
        raise SourceFormatError(path.name, "file_parseable", f"unreadable Parquet: {exc}") from exc
    if columns > limits.max_columns:
        refuse(
            path.name,
            f"{columns:,} columns, over the limit of {limits.max_columns:,} (max_columns)",
        )
    if rows > limits.max_rows:
        refuse(path.name, f"{rows:,} rows, over the limit of {limits.max_rows:,} (max_rows)")


def check_table_file(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> None:
    """One call before reading a table of any kind (spreadsheet, CSV): a zip archive is
    checked as a spreadsheet (`check_spreadsheet`), anything else for its size and lines."""
    if zipfile.is_zipfile(path):
        check_spreadsheet(path, limits)
        return
    check_file_size(path, limits)
    widest = 1
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number > limits.max_rows + 1:
                refuse(path.name, f"over {limits.max_rows:,} rows (max_rows)", row=number)
            # An upper bound of the row's width, whichever the delimiter: quoted ones count too.
            width = max(line.count(d) for d in (b",", b";", b"\t")) + 1
            if width > limits.max_columns:
                refuse(
                    path.name,
                    f"{width:,} columns, over the limit of {limits.max_columns:,} (max_columns)",
                    row=number,
                )
            widest = max(widest, width)
            if number * widest > limits.max_cells:
                refuse(
                    path.name,
                    f"over {limits.max_cells:,} cells (max_cells): {widest:,} columns",
                    row=number,
                )
