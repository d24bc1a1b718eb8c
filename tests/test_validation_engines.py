"""The DuckDB evaluation of a suite gives the results GX gives, rule by rule and row by row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations import sql_engine
from expectations.runner import load_suite, validate
from fsdata.config import sample_path
from transforms.communes import read_communes
from transforms.espaces import parse_listing
from transforms.footfall import read_footfall

TODAY = date(2024, 11, 1)


def outcome_by_rule(frame: pl.DataFrame, suite: str, parameters: dict, engine: str) -> list:
    outcome = validate(frame, suite, parameters, engine=engine)
    return [(r.rule, r.expectation, r.success, r.unexpected_rows) for r in outcome.results]


def messy_listing(tmp_path: Path) -> pl.DataFrame:
    header = "id_fs,insee_dep,lib_fs,insee_com,code_postal,latitude,longitude,type_fs"
    rows = [
        "1,01,A,01033,01200,46.1,5.8,Principal",
        ",01,B,01033,01200,46.1,5.8,Principal",
        "3,01,C,01033,1 200,8.7,41.9,Kiosque",
        "3,974,D,97412,012000,46.1,5.8,Principal",
        "5,2A,E,2A004,2O137,,,Antenne",
        "6,27,F,76540,76540,49.4,1.1,Principal",
    ]
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return parse_listing(path)


@pytest.mark.parametrize(
    "parameters", [{"min_rows": 0, "max_rows": 100}, {"min_rows": 10, "max_rows": 20}]
)
def test_espaces_suite_same_results_on_both_engines(tmp_path: Path, parameters: dict) -> None:
    frame = messy_listing(tmp_path)
    gx = outcome_by_rule(frame, "espaces", parameters, "gx")
    sql = outcome_by_rule(frame, "espaces", parameters, "duckdb")
    assert sql == gx
    assert any(not success for _, _, success, _ in gx)  # the frame does break rules


def test_footfall_suite_same_results_on_both_engines(tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "espace_id,month,requests,resolved,partner\n"
        "1,2024-01,100,80,CNAF\n1,2024-01,100,80,CNAF\n2,2024-13,5,1,\n3,2024-02,-4,1,\n"
        "4,2030-01,10,20,Inconnu\n,2024-03,7,x,DGFiP\n",
        "utf-8",
    )
    frame = read_footfall(feed, None, TODAY)
    suite = load_suite("footfall")
    assert sql_engine.supports(suite)
    gx = outcome_by_rule(frame, "footfall", {}, "gx")
    assert outcome_by_rule(frame, "footfall", {}, "duckdb") == gx
    assert sum(not success for _, _, success, _ in gx) >= 5


def test_communes_suite_same_results_on_both_engines() -> None:
    frame = read_communes(sample_path("communes", "communes-demo.csv"), 2021)
    gx = outcome_by_rule(frame, "communes", {}, "gx")
    assert outcome_by_rule(frame, "communes", {}, "duckdb") == gx
    assert any(not success for _, _, success, _ in gx)  # a commune without coordinates


def test_suites_with_row_conditions_stay_on_gx() -> None:
    values = load_suite("observatoire_values")
    assert not sql_engine.supports(values)
    assert sql_engine.supports(load_suite("espaces"))


def test_translatable_suites_are_checked_in_sql_and_say_so(tmp_path: Path) -> None:
    frame = messy_listing(tmp_path)
    big = pl.concat([frame] * 20_000)  # 120,000 rows
    outcome = validate(big, "espaces", {"min_rows": 0, "max_rows": 10**9})
    assert outcome.document["engine"] == "duckdb"
    by_rule = {r.rule: r for r in outcome.results}
    assert by_rule["identifier_present"].unexpected_count == 20_000
    assert json.dumps(outcome.document)  # serialisable like GX's document
    # A small listing too (GX would cost seconds of import); GX when asked.
    small = validate(frame, "espaces", {"min_rows": 0, "max_rows": 100})
    assert small.document["engine"] == "duckdb"
    asked = validate(frame, "espaces", {"min_rows": 0, "max_rows": 100}, engine="gx")
    assert asked.document["engine"] == "gx"


def test_missing_suite_parameter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="max_rows"):
        validate(messy_listing(tmp_path), "espaces", {"min_rows": 0}, engine="duckdb")


def test_a_frame_without_the_suites_columns_is_a_programming_error(tmp_path: Path) -> None:
    frame = messy_listing(tmp_path).drop("labels_recognised")
    for engine in ("gx", "duckdb"):
        with pytest.raises(ValueError, match="labels_recognised"):
            validate(frame, "espaces", {"min_rows": 0, "max_rows": 100}, engine=engine)
