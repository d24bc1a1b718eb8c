"""Impossible coordinates never become a place: a latitude of NaN, infinity or 1e308, or a pair
in no French territory, is dropped by the parser (published null) and flagged by the warning
rule `coordinates_valid`, for espaces and for commune centres alike; the distance computation
skips non-finite points it is given anyway."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest

from expectations.runner import validate
from fsdata.config import sample_path
from transforms.communes import read_communes
from transforms.coverage import nearest_espaces
from transforms.espaces import parse_listing

LISTING = sample_path("espaces", "liste-fs-20240801.csv")
BAD_LATITUDES = ("NaN", "nan", "inf", "-Infinity", "1e308", "0")


def listing_with_latitudes(path: Path, latitudes: tuple[str, ...]) -> Path:
    """The sample listing, its first rows given these latitudes (longitude untouched)."""
    frame = pl.read_csv(LISTING, infer_schema=False)
    values = frame["latitude"].to_list()
    values[: len(latitudes)] = list(latitudes)
    frame.with_columns(pl.Series("latitude", values)).write_csv(path)
    return path


def test_espaces_with_impossible_coordinates_are_kept_without_them(tmp_path: Path) -> None:
    path = listing_with_latitudes(tmp_path / "liste.csv", BAD_LATITUDES)
    frame = parse_listing(path)
    bad = frame.head(len(BAD_LATITUDES))
    assert bad["coordinates_check"].to_list() == ["invalid"] * len(BAD_LATITUDES)
    assert bad["latitude"].null_count() == len(BAD_LATITUDES)
    assert bad["longitude"].null_count() == len(BAD_LATITUDES)
    rest = frame.slice(len(BAD_LATITUDES))
    assert rest["latitude"].drop_nulls().is_finite().all()
    assert "invalid" not in rest["coordinates_check"].to_list()

    outcome = validate(frame, "espaces", {"min_rows": 1, "max_rows": 10**9})
    flagged = outcome.rows_by_rule("warning")["coordinates_valid"]
    assert sorted(flagged) == list(range(len(BAD_LATITUDES)))
    assert not outcome.blocking_failed
    rejected = outcome.rows_by_rule("row_rejected").values()
    assert not {p for rows in rejected for p in rows} & set(range(len(BAD_LATITUDES)))


def test_swapped_coordinates_are_corrected_not_dropped(tmp_path: Path) -> None:
    frame = pl.read_csv(LISTING, infer_schema=False)
    first = frame.row(0, named=True)
    swapped = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(first["longitude"]))
        .otherwise(pl.col("latitude"))
        .alias("latitude"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(first["latitude"]))
        .otherwise(pl.col("longitude"))
        .alias("longitude"),
    )
    swapped.write_csv(tmp_path / "liste.csv")
    row = parse_listing(tmp_path / "liste.csv").row(0, named=True)
    assert row["coordinates_check"] == "swapped"
    assert math.isclose(row["latitude"], float(first["latitude"].replace(",", ".")))


def test_commune_centres_that_are_not_places_are_dropped(tmp_path: Path) -> None:
    items = [
        {"code": "01001", "nom": "A", "population": 10, "centre": {"coordinates": [5.0, 46.1]}},
        {"code": "01002", "nom": "B", "population": 20, "centre": {"coordinates": [5.0, "NaN"]}},
        {"code": "01004", "nom": "C", "population": 30, "centre": {"coordinates": [5.0, 1e308]}},
        {"code": "01005", "nom": "D", "population": 40, "centre": {"coordinates": [0.0, 0.0]}},
    ]
    text = json.dumps(items).replace('"NaN"', "NaN")  # JSON as Python writes it: bare NaN
    (tmp_path / "communes.json").write_text(text, "utf-8")
    frame = read_communes(tmp_path / "communes.json", 2024)
    assert frame["coordinates_valid"].to_list() == [True, False, False, False]
    assert frame["latitude"].to_list() == [46.1, None, None, None]
    assert frame["has_coordinates"].to_list() == [True, False, False, False]
    assert frame["population"].sum() == 100  # still counted: only the centre is dropped
    outcome = validate(frame, "communes")
    assert sorted(outcome.rows_by_rule("warning")["coordinates_valid"]) == [1, 2, 3]


def test_a_csv_centre_of_1e999_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "communes.csv").write_text(
        "code_insee,nom_standard,population,latitude_centre,longitude_centre\n"
        "01001,A,10,46.1,5.0\n01002,B,20,1e999,5.0\n",
        "utf-8",
    )
    frame = read_communes(tmp_path / "communes.csv", 2024)
    assert frame["latitude"].to_list() == [46.1, None]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_distances_skip_non_finite_points(bad: float) -> None:
    communes = pl.DataFrame(
        {
            "code_insee": ["01001", "01002"],
            "dep_code": ["01", "01"],
            "latitude": [46.1, bad],
            "longitude": [5.0, 5.0],
        }
    )
    espaces = pl.DataFrame(
        {
            "espace_id": ["1", "2"],
            "insee_dep": ["01", "01"],
            "latitude": [46.2, bad],
            "longitude": [5.1, 5.0],
        }
    )
    found = nearest_espaces(communes, espaces)
    assert found["code_insee"].to_list() == ["01001"]
    assert found["espace_id"].to_list() == ["1"]
    assert 0 < found["distance_km"][0] < 20
