"""The footfall feed: reading every accepted form, every validation rule, outliers, demo feed."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path
from types import ModuleType

import duckdb
import polars as pl
import pytest

from expectations.runner import refusal, validate
from transforms.errors import SourceFormatError
from transforms.footfall import CHECK_COLUMNS, read_footfall
from transforms.frames import registered
from transforms.partners import default_partner_catalogue
from warehouse.footfall import series_outliers

TODAY = date(2024, 11, 15)
SAMPLES = Path(__file__).resolve().parents[1] / "fsdata" / "samples" / "footfall"
DEMO = SAMPLES / "footfall-SYNTHETIC-demo.csv"

HEADER = "espace_id,month,partner,requests,resolved,redirected"
GOOD = [
    "1,2024-01,,300,250,30",
    "1,2024-01,CAF,50,45,3",
    "2,2024-02,DGFiP,80,70,",
]


@pytest.fixture(scope="module")
def aliases() -> pl.DataFrame:
    return default_partner_catalogue().aliases


def feed(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "feed.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def read(path: Path, aliases: pl.DataFrame) -> pl.DataFrame:
    return read_footfall(path, aliases, TODAY)


# --- reading --------------------------------------------------------------------------------


def test_good_feed_is_typed(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, GOOD), aliases)
    leading = "source_row espace_id month partner_code partner_raw"
    assert frame.columns[:9] == [*leading.split(), "requests", "resolved", "redirected", "extra"]
    assert frame.schema["month"] == pl.Date
    for column in ("requests", "resolved", "redirected"):
        assert frame.schema[column] == pl.Int64
    assert frame.schema["espace_id"] == pl.String
    assert frame["source_row"].to_list() == [1, 2, 3]
    assert frame["month"].to_list() == [date(2024, 1, 1), date(2024, 1, 1), date(2024, 2, 1)]
    assert frame["partner_code"].to_list() == [None, "CNAF", "DGFIP"]
    assert frame["partner_raw"].to_list() == [None, "CAF", "DGFiP"]
    assert frame["requests"].to_list() == [300, 50, 80]
    assert frame["redirected"].to_list() == [30, 3, None]
    assert frame["extra"].to_list() == ["{}", "{}", "{}"]
    for column in CHECK_COLUMNS:
        assert frame[column].dtype == pl.Boolean
        assert frame[column].all(), column


def test_optional_columns_may_be_absent(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, ["007,2024-03,12"], header="espace_id,month,requests"), aliases)
    row = frame.row(0, named=True)
    assert row["espace_id"] == "007"  # text: leading zeros kept
    assert row["partner_code"] is None
    assert row["resolved"] is None
    assert row["redirected"] is None
    assert all(row[c] for c in CHECK_COLUMNS)


def test_semicolon_cp1252_and_french_headers(tmp_path: Path, aliases: pl.DataFrame) -> None:
    text = "Espace ID;Mois;Partenaire;Demandes;Résolues;Réorientées\r\n"
    text += "12;2024-05;Pôle emploi;1 234;1 000;100\r\n"
    text += "12;2024-05;Caisse d'allocations familiales;40;30;5\r\n"
    path = tmp_path / "feed.csv"
    path.write_bytes(text.encode("cp1252"))
    frame = read(path, aliases)
    assert frame["partner_code"].to_list() == ["FRANCE_TRAVAIL", "CNAF"]
    assert frame["partner_raw"].to_list() == ["Pôle emploi", "Caisse d'allocations familiales"]
    assert frame["requests"].to_list() == [1234, 40]
    assert frame["resolved"].to_list() == [1000, 30]
    assert frame["redirected"].to_list() == [100, 5]
    assert frame["month"].to_list() == [date(2024, 5, 1)] * 2


def test_parquet_input(tmp_path: Path, aliases: pl.DataFrame) -> None:
    path = tmp_path / "feed.parquet"
    pl.DataFrame(
        {
            "espace_id": ["1", "2", "3"],
            "month": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)],
            "partner": ["ANTS", None, "CNAM"],
            "requests": [300.0, 12.5, 40.0],
            "resolved": pl.Series([250, None, 30], dtype=pl.Int32),
            "agent_count": [3, 2, 1],
        }
    ).write_parquet(path)
    frame = read(path, aliases)
    assert frame["month"].to_list() == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert frame["partner_code"].to_list() == ["FRANCE_TITRES", None, "CNAM"]
    assert frame["requests"].to_list() == [300, None, 40]
    assert frame["counts_are_integers"].to_list() == [True, False, True]
    assert frame["resolved"].to_list() == [250, None, 30]
    assert json.loads(frame["extra"][0]) == {"agent_count": "3"}


def test_extra_columns_are_kept_as_json(tmp_path: Path, aliases: pl.DataFrame) -> None:
    header = HEADER + ",Commentaire,agent"
    frame = read(
        feed(
            tmp_path,
            ["1,2024-01,,300,250,30,fermé 2 jours,Zoé", "2,2024-01,,10,,,,"],
            header=header,
        ),
        aliases,
    )
    assert [json.loads(e) for e in frame["extra"]] == [
        {"Commentaire": "fermé 2 jours", "agent": "Zoé"},
        {"Commentaire": None, "agent": None},
    ]


def test_default_catalogue_when_no_aliases_given(tmp_path: Path) -> None:
    frame = read_footfall(feed(tmp_path, ["1,2024-01,Pole Emploi,3,,"]), None, TODAY)
    assert frame["partner_code"].to_list() == ["FRANCE_TRAVAIL"]


# --- structure: refused before validation ---------------------------------------------------


@pytest.mark.parametrize("missing", ["espace_id", "month", "requests"])
def test_missing_required_column_is_refused(
    tmp_path: Path, aliases: pl.DataFrame, missing: str
) -> None:
    columns = HEADER.split(",")
    keep = [i for i, c in enumerate(columns) if c != missing]
    lines = [",".join(line.split(",")[i] for i in keep) for line in GOOD]
    path = feed(tmp_path, lines, header=",".join(columns[i] for i in keep))
    with pytest.raises(SourceFormatError) as error:
        read(path, aliases)
    assert (error.value.rule, error.value.column) == ("required_column_present", missing)
    outcome = refusal("footfall", error.value.rule, str(error.value))
    assert outcome.blocking_failed


def test_same_column_twice_is_refused(tmp_path: Path, aliases: pl.DataFrame) -> None:
    path = feed(tmp_path, ["1,2024-01,2024-01,3"], header="espace_id,month,mois,requests")
    with pytest.raises(SourceFormatError) as error:
        read(path, aliases)
    assert (error.value.rule, error.value.column) == ("column_names_unique", "month")


def test_zero_byte_file_is_refused(tmp_path: Path, aliases: pl.DataFrame) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceFormatError) as error:
        read(path, aliases)
    assert error.value.rule == "file_not_empty"


# --- value rules: check columns -------------------------------------------------------------

BAD_ROWS = [
    # (line, check column that must be false, GX rule)
    ("1,2024-03,,-3,,", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-03,,12.5,,", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-03,,n/a,,", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-03,,,,", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-03,,10,abc,", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-03,,10,,-1", "counts_are_integers", "footfall_counts_non_negative_integers"),
    ("1,2024-12,,10,,", "month_not_future", "footfall_month_not_future"),
    ("1,2031-01,,10,,", "month_not_future", "footfall_month_not_future"),
    ("1,2024-13,,10,,", "month_parseable", "footfall_month_parseable"),
    ("1,mars 2024,,10,,", "month_parseable", "footfall_month_parseable"),
    ("1,03/2024,,10,,", "month_parseable", "footfall_month_parseable"),
    ("1,,,10,,", "month_parseable", "footfall_month_parseable"),
    ("1,2024-03,,10,11,", "resolved_le_requests", "footfall_resolved_le_requests"),
    ("1,2024-03,URSSAF,10,,", "partner_known", "footfall_partner_known"),
    (",2024-03,,10,,", "espace_id_present", "footfall_espace_id_present"),
]


@pytest.mark.parametrize(("line", "check", "rule"), BAD_ROWS)
def test_bad_value_keeps_the_row_with_a_false_check(
    tmp_path: Path, aliases: pl.DataFrame, line: str, check: str, rule: str
) -> None:
    frame = read(feed(tmp_path, [*GOOD, line]), aliases)
    assert frame.height == 4
    assert frame[check].to_list() == [True, True, True, False]
    others = [c for c in CHECK_COLUMNS if c != check]
    assert frame.select(others).row(3) == (True,) * len(others)
    if check == "counts_are_integers":
        raw = frame.select("requests_raw", "resolved_raw", "redirected_raw").row(3)
        parsed = frame.select("requests", "resolved", "redirected").row(3)
        # the offending raw value is kept as text, its count is null, nothing crashed
        assert any(p is None for p in parsed)
        assert [r for r, p in zip(raw, parsed, strict=True) if p is None and r is not None] or (
            raw[0] is None
        )


def test_current_month_is_not_future(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, ["1,2024-11,,10,,"]), aliases)
    assert frame["month_not_future"].to_list() == [True]


def test_counts_consistent_flags_resolved_plus_redirected(
    tmp_path: Path, aliases: pl.DataFrame
) -> None:
    frame = read(feed(tmp_path, ["1,2024-01,,10,8,3", "1,2024-02,,10,8,2"]), aliases)
    assert frame["counts_consistent"].to_list() == [False, True]
    assert frame["resolved_le_requests"].to_list() == [True, True]


# --- the GX suite ---------------------------------------------------------------------------


def test_suite_passes_on_a_good_feed(tmp_path: Path, aliases: pl.DataFrame) -> None:
    outcome = validate(read(feed(tmp_path, GOOD), aliases), "footfall")
    assert not [r for r in outcome.results if not r.success], outcome.summary()


def test_suite_quarantines_each_bad_row_under_its_rule(
    tmp_path: Path, aliases: pl.DataFrame
) -> None:
    lines = [*GOOD] + [
        f"9{i}{line[1:]}" if line[0] == "1" else line for i, (line, _, _) in enumerate(BAD_ROWS)
    ]
    frame = read(feed(tmp_path, lines), aliases)
    outcome = validate(frame, "footfall")
    assert not outcome.blocking_failed, outcome.summary()
    rejected = outcome.rows_by_rule("row_rejected")
    expected: dict[str, list[int]] = {}
    for position, (_, _, rule) in enumerate(BAD_ROWS, start=len(GOOD)):
        expected.setdefault(rule, []).append(position)
    assert {rule: sorted(rows) for rule, rows in rejected.items()} == expected


def test_suite_warns_on_inconsistent_counts(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, [*GOOD, "3,2024-01,,10,8,3"]), aliases)
    outcome = validate(frame, "footfall")
    assert outcome.rows_by_rule("warning") == {"footfall_resolved_plus_redirected_le_requests": [3]}
    assert outcome.rows_by_rule("row_rejected") == {}


def test_suite_blocks_duplicate_key(tmp_path: Path, aliases: pl.DataFrame) -> None:
    # "CAF" and "CNAF" are the same partner: the same key twice.
    frame = read(feed(tmp_path, [*GOOD, "1,2024-01,CNAF,51,45,3"]), aliases)
    outcome = validate(frame, "footfall")
    assert outcome.blocking_failed
    assert sorted(outcome.rows_by_rule("blocking")["footfall_key_unique"]) == [1, 3]


def test_total_and_breakdown_rows_are_not_duplicates(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, ["1,2024-01,,300,,", "1,2024-01,CNAF,50,,"]), aliases)
    assert frame["row_key"].n_unique() == 2


def test_suite_blocks_a_feed_with_no_rows(tmp_path: Path, aliases: pl.DataFrame) -> None:
    frame = read(feed(tmp_path, []), aliases)
    assert frame.height == 0
    outcome = validate(frame, "footfall")
    assert outcome.blocking_failed
    assert [r.rule for r in outcome.failures("blocking")] == ["file_not_empty"]


def test_suite_blocks_a_frame_missing_a_required_column(
    tmp_path: Path, aliases: pl.DataFrame
) -> None:
    frame = read(feed(tmp_path, GOOD), aliases).drop("requests")
    outcome = validate(frame, "footfall")
    assert [r.rule for r in outcome.failures("blocking")] == ["required_column_present"]


# --- outliers -------------------------------------------------------------------------------


def series_outliers_of(frame: pl.DataFrame, **rule: float) -> pl.DataFrame:
    """The warehouse's outlier rule on a frame of figures (in a DuckDB of its own)."""
    with duckdb.connect() as con, registered(con, "history", frame):
        return series_outliers(con, "select * from history", **rule)


def history(rows: list[tuple[str, str, str | None, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "espace_id": [r[0] for r in rows],
            "month": [date.fromisoformat(r[1] + "-01") for r in rows],
            "partner_code": [r[2] for r in rows],
            "requests": [r[3] for r in rows],
        },
        schema={
            "espace_id": pl.String,
            "month": pl.Date,
            "partner_code": pl.String,
            "requests": pl.Int64,
        },
    )


def test_outlier_is_ten_times_the_espace_median() -> None:
    months = [f"2024-0{m}" for m in range(1, 7)]
    rows: list[tuple[str, str, str | None, int]] = [
        ("1", m, None, v) for m, v in zip(months, [300, 310, 290, 3000, 305, 295], strict=True)
    ]
    rows += [("2", m, None, v) for m, v in zip(months, [300, 310, 290, 2999, 305, 0], strict=True)]
    # 9.9× its median: not flagged; a partner series is judged on its own
    rows += [("1", m, "CNAF", v) for m, v in zip(months, [50, 60, 55, 58, 52, 600], strict=True)]
    result = series_outliers_of(history(rows))
    assert result.columns == ["espace_id", "month", "partner_code", "requests", "median_requests"]
    assert result.rows() == [
        ("1", date(2024, 4, 1), None, 3000, 300.0),
        ("1", date(2024, 6, 1), "CNAF", 600, 55.0),
    ]


def test_outliers_need_enough_other_months() -> None:
    rows: list[tuple[str, str, str | None, int]] = [
        ("1", "2024-01", None, 10),
        ("1", "2024-02", None, 200),
    ]
    assert series_outliers_of(history(rows)).height == 0
    assert series_outliers_of(history(rows), min_other_months=1).height == 1


def test_outlier_medians_match_a_brute_force_count() -> None:
    """Every row's median of its series' other months, on series of 2 to 9 months with ties,
    against the median computed row by row; factor 0 flags (and so reports) every judged row."""
    import random
    import statistics

    rng = random.Random(5)
    rows: list[tuple[str, str, str | None, int]] = []
    for espace in range(40):
        for partner in (None, "CNAF"):
            for month in range(1, rng.randint(2, 9) + 1):
                rows.append((str(espace), f"2024-0{month}", partner, rng.choice([0, 5, 5, 7, 90])))
    expected = {}
    for espace_id, month, partner, _ in rows:
        others = [r[3] for r in rows if (r[0], r[2]) == (espace_id, partner) and r[1] != month]
        median = float(statistics.median(others))
        if median > 0:
            expected[(espace_id, month, partner)] = median
    result = series_outliers_of(history(rows), factor=0.0, min_other_months=1)
    got = {
        (espace_id, f"{month:%Y-%m}", partner): median
        for espace_id, month, partner, _, median in result.rows()
    }
    assert got == expected


# --- the SYNTHETIC demo feed ----------------------------------------------------------------


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_synthetic_footfall", SAMPLES / "make_synthetic_footfall.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_feed_is_the_generator_output(tmp_path: Path) -> None:
    generator = load_generator()
    written = generator.write(tmp_path / "again.csv")
    assert written.read_bytes() == DEMO.read_bytes()
    assert "SYNTHETIC" in DEMO.name


def test_demo_feed_passes_the_suite_and_has_its_planted_faults(aliases: pl.DataFrame) -> None:
    frame = read_footfall(DEMO, aliases, TODAY)
    outcome = validate(frame, "footfall")
    assert not [r for r in outcome.results if not r.success], outcome.summary()
    assert set(frame["espace_id"]) == {str(i) for i in range(1, 12)}
    assert frame["month"].min() == date(2023, 1, 1)
    assert frame["month"].max() == date(2024, 10, 1)
    assert frame.filter(pl.col("espace_id") == "3")["month"].max() == date(2024, 7, 1)
    early = frame.filter((pl.col("espace_id") == "10") & (pl.col("month") < date(2023, 12, 1)))
    assert set(early["month"]) == {date(2023, 11, 1)}
    assert frame.filter(pl.col("espace_id") == "11")["month"].min() == date(2023, 12, 1)
    assert frame["partner_code"].is_null().any()
    assert {"CNAF", "DGFIP", "CNAM", "FRANCE_TITRES"} <= set(frame["partner_code"].drop_nulls())
    totals = frame.filter(pl.col("partner_code").is_null())
    typical = totals.filter(pl.col("requests") < 1000)
    assert 150 <= typical["requests"].median() <= 450
    share = typical["resolved"].sum() / typical["requests"].sum()
    assert 0.78 <= share <= 0.87
    outliers = series_outliers_of(frame)
    assert outliers.select("espace_id", "month", "partner_code").rows() == [
        ("5", date(2024, 3, 1), None)
    ]
