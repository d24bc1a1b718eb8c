"""Hostile input files stay small: each is refused with `input_within_limits` (or
`file_parseable`) in bounded time and memory, before the parser or the spreadsheet reader
allocates for what the file claims.

Each file is generated here, small on disk. Each parse runs in a child process under an
address-space cap (RLIMIT_AS, so a regression fails instead of taking the machine down), and
reports its peak resident memory (getrusage) and duration; the bounds asserted are generous
(under 1 GB and 30 s) so that the test is not timing-sensitive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from transforms.errors import SourceFormatError
from transforms.limits import InputLimits, check_spreadsheet, json_depth

GIB = 1024**3
# The cap of the child's address space: Python, polars and calamine fit easily; the hostile
# files of the issue needed 5 to 550 GB before these checks.
ADDRESS_SPACE = 3 * GIB

CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from pathlib import Path
from transforms.errors import SourceFormatError
start = time.monotonic()
outcome = {{"rule": None, "message": None}}
try:
{call}
except SourceFormatError as exc:
    outcome = {{"rule": exc.rule, "message": str(exc)}}
outcome["seconds"] = time.monotonic() - start
outcome["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(outcome))
"""

PARSERS = {
    "espaces": "from transforms.espaces import parse_listing; parse_listing(Path({path!r}))",
    "communes": (
        "from transforms.communes import read_communes; read_communes(Path({path!r}), 2024)"
    ),
    "footfall": (
        "import datetime; from transforms.footfall import read_footfall; "
        "read_footfall(Path({path!r}), None, datetime.date(2025, 1, 1))"
    ),
    "partners": (
        "from transforms.partners import read_partner_catalogue; "
        "read_partner_catalogue(Path({path!r}), None)"
    ),
    "observatoire": (
        "from transforms.observatoire import read_edition; read_edition(Path({path!r}))"
    ),
}


def parse_in_child(parser: str, path: Path) -> dict[str, Any]:
    call = textwrap.indent(PARSERS[parser].format(path=str(path)), "    ")
    code = CHILD.format(cap=ADDRESS_SPACE, call=call)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_refused_cheaply(outcome: dict[str, Any], rule: str = "input_within_limits") -> None:
    assert outcome["rule"] == rule, outcome
    assert outcome["seconds"] < 30, outcome
    assert outcome["peak_bytes"] < GIB, outcome


# --- the files ---------------------------------------------------------------------------------


def wide_csv(path: Path, columns: int = 1_000_000, rows: int = 5) -> Path:
    """A 1,000,000-column header (`id_fs`, `lib_fs`, `insee_com` first) and 5 short rows."""
    names = ["id_fs", "lib_fs", "insee_com", "espace_id", "month", "requests", "code"]
    header = ",".join(names + [f"c{i}" for i in range(columns - len(names))])
    path.write_text(header + "\n" + "1,a,01001,1,2024-01,3,x\n" * rows, "utf-8")
    return path


def _xlsx(path: Path, sheet: bytes | None = None, sheet_chunks: Any = None) -> Path:
    """A minimal XLSX: one workbook, one sheet whose XML is `sheet` (or written by chunks)."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            "//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            '" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxml'
            'formats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        if sheet is not None:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        else:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
                for chunk in sheet_chunks:
                    handle.write(chunk)
    return path


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main">'
)


def sparse_xlsx(path: Path) -> Path:
    """1.5 KB: a declared A1:XFD1048576 sheet holding one cell at XFD1048576."""
    sheet = (
        SHEET_HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1048576">'
        b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    )
    return _xlsx(path, sheet)


def undeclared_sparse_xlsx(path: Path) -> Path:
    """No `<dimension>`: two cells, at A1 and XFD1048576, span the whole sheet all the same."""
    sheet = (
        SHEET_HEAD + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    return _xlsx(path, sheet)


def inflating_xlsx(path: Path, megabytes: int = 600) -> Path:
    """A few hundred KB on disk, a sheet of `megabytes` MB once inflated."""
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>"
    block = row * 1024  # ~1 MB

    def chunks() -> Any:
        yield SHEET_HEAD + b"<sheetData>"
        for _ in range(megabytes):
            yield block
        yield b"</sheetData></worksheet>"

    return _xlsx(path, sheet_chunks=chunks())


def nested_geojson(path: Path, depth: int = 100_000) -> Path:
    text = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id_fs": "1", "lib_fs": "a", "insee_com": "01001", "deep": '
        + "[" * depth
        + "]" * depth
        + "}}]}"
    )
    path.write_text(text, "utf-8")
    return path


def big_cell_csv(path: Path, megabytes: int = 50) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id_fs,lib_fs,insee_com,espace_id,month,requests,code\n")
        handle.write("1,ok,01001,1,2024-01,3,x\n")
        handle.write("2," + "a" * (megabytes * 1024 * 1024) + ",01002,2,2024-01,3,y\n")
    return path


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("parser", ["espaces", "communes", "footfall", "partners", "observatoire"])
def test_a_million_columns_are_refused_by_every_parser(tmp_path: Path, parser: str) -> None:
    path = wide_csv(tmp_path / "wide.csv")
    assert path.stat().st_size < 16 * 1024 * 1024
    outcome = parse_in_child(parser, path)
    assert_refused_cheaply(outcome)
    assert "max_columns" in outcome["message"] and "wide.csv" in outcome["message"]


@pytest.mark.parametrize("parser", ["espaces", "footfall", "observatoire"])
def test_millions_of_empty_cells_are_refused_before_parsing(tmp_path: Path, parser: str) -> None:
    """20 MB of commas: 20,000 rows of 1,000 empty cells each, 20 M cells to allocate."""
    path = tmp_path / "empty.csv"
    header = "id_fs,lib_fs,insee_com,espace_id,month,requests," + ",".join(["x"] * 994)
    path.write_text(header + "\n" + ("," * 999 + "\n") * 20_000, "utf-8")
    outcome = parse_in_child(parser, path)
    assert_refused_cheaply(outcome)
    assert "max_cells" in outcome["message"]


@pytest.mark.parametrize("make", [sparse_xlsx, undeclared_sparse_xlsx])
def test_a_sparse_sheet_spanning_the_whole_grid_is_refused_before_the_reader(
    tmp_path: Path, make: Any
) -> None:
    path = make(tmp_path / "edition.xlsx")
    assert path.stat().st_size < 2048
    outcome = parse_in_child("observatoire", path)
    assert_refused_cheaply(outcome)
    assert "16,384" in outcome["message"] and "edition.xlsx" in outcome["message"]


def test_an_archive_inflating_past_the_limit_is_refused_before_the_reader(tmp_path: Path) -> None:
    path = inflating_xlsx(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 5 * 1024 * 1024
    outcome = parse_in_child("observatoire", path)
    assert_refused_cheaply(outcome)
    assert "max_input_bytes" in outcome["message"]


def test_a_sheet_of_too_many_cells_is_refused_within_the_size_limit(tmp_path: Path) -> None:
    rows = b"".join(
        b'<row r="%d"><c r="A%d"/><c r="ZZ%d"/></row>' % (n, n, n) for n in range(1, 20_001)
    )
    sheet = SHEET_HEAD + b"<sheetData>" + rows + b"</sheetData></worksheet>"
    path = _xlsx(tmp_path / "cells.xlsx", sheet)
    with pytest.raises(SourceFormatError) as refused:
        check_spreadsheet(path, InputLimits(max_cells=1_000_000))
    assert refused.value.rule == "input_within_limits"
    assert "max_cells" in str(refused.value)


@pytest.mark.parametrize("parser", ["espaces", "communes"])
def test_json_nested_100000_levels_is_refused_not_a_recursion_error(
    tmp_path: Path, parser: str
) -> None:
    path = nested_geojson(tmp_path / "deep.geojson")
    if parser == "communes":  # geo.api.gouv.fr layout: a JSON array
        path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    outcome = parse_in_child(parser, path)
    assert_refused_cheaply(outcome)
    assert "max_json_depth" in outcome["message"]


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth("[]") == 1 and json_depth("1") == 0


@pytest.mark.parametrize("parser", ["espaces", "footfall", "partners"])
def test_a_50_mb_cell_is_refused_naming_row_and_column(tmp_path: Path, parser: str) -> None:
    path = big_cell_csv(tmp_path / "cell.csv")
    outcome = parse_in_child(parser, path)
    assert_refused_cheaply(outcome)
    assert "max_cell_bytes" in outcome["message"]
    assert "row 3" in outcome["message"] and "lib_fs" in outcome["message"]


def test_limits_are_parameters(tmp_path: Path) -> None:
    """A lower setting refuses what the default accepts, naming the limit."""
    from fsdata.config import sample_path
    from transforms.espaces import parse_listing

    listing = sample_path("espaces", "liste-fs-20240801.csv")
    assert parse_listing(listing).height > 0
    with pytest.raises(SourceFormatError, match="max_rows") as refused:
        parse_listing(listing, InputLimits(max_rows=3))
    assert refused.value.rule == "input_within_limits"
    with pytest.raises(SourceFormatError, match="max_columns"):
        parse_listing(listing, InputLimits(max_columns=5))


# --- end to end: the command ---------------------------------------------------------------

COMMAND_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from fsdata.cli import main
start = time.monotonic()
code = main({argv!r})
print(json.dumps({{"code": code, "seconds": time.monotonic() - start,
                  "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""


@pytest.mark.parametrize(
    ("make", "argv"),
    [
        (wide_csv, ["ingest", "espaces", "{file}", "--as-of", "2024-01-01"]),
        (sparse_xlsx, ["ingest", "observatoire", "{file}", "--edition", "2025-10"]),
        (nested_geojson, ["ingest", "espaces", "{file}", "--as-of", "2024-01-01"]),
    ],
    ids=["million-columns", "sparse-xlsx", "nested-geojson"],
)
def test_the_command_refuses_hostile_files_in_bounded_time_and_memory(
    prefect_server: None, tmp_path: Path, make: Any, argv: list[str]
) -> None:
    from prefect.settings import PREFECT_API_URL

    suffix = {"sparse_xlsx": ".xlsx", "nested_geojson": ".geojson"}.get(make.__name__, ".csv")
    path = make(tmp_path / f"hostile{suffix}")
    home = tmp_path / "home"
    args = [a.replace("{file}", str(path)) for a in argv] + ["--home", str(home)]
    code = COMMAND_CHILD.format(cap=4 * GIB, argv=args)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={
            **os.environ,
            "PYTHONPATH": str(root),
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        },
        check=False,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 2, done.stderr[-3000:]
    assert outcome["seconds"] < 30 and outcome["peak_bytes"] < GIB, outcome
    ours = [line for line in done.stderr.splitlines() if line.startswith("fsdata:")]
    assert len(ours) == 1 and "input_within_limits" in ours[0] and path.name in ours[0]
    # Refused before anything was published; the file is kept for inspection.
    assert not (home / "exports").exists() or not any((home / "exports").rglob("*.parquet"))
    assert any((home / "rejected").rglob(f"*{suffix}"))


def test_limits_are_settings(tmp_path: Path) -> None:
    from fsdata.config import load_settings

    (tmp_path / "fsdata.toml").write_text("max_columns = 50\nmax_json_depth = 10\n", "utf-8")
    settings = load_settings(tmp_path, environ={"FSDATA_MAX_CELL_BYTES": "2048"})
    assert settings.input_limits == InputLimits(
        max_columns=50, max_cell_bytes=2048, max_json_depth=10
    )
    assert load_settings(tmp_path / "none", environ={}).input_limits == InputLimits()
    with pytest.raises(ValueError, match="max_rows"):
        load_settings(tmp_path, environ={"FSDATA_MAX_ROWS": "0"})
