"""Source `communes`: the commune reference, one vintage (population year) a file.

Loading the same file again is unchanged, another file for the same vintage replaces it.
Communes without coordinates are kept and reported; their population is left out of distance
figures (the summary says how much). Coverage follows every publication (the model graph).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import ValidationOutcome, validate
from flows.execution import SourceChecksum
from flows.live import fetch_live, named_download
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, at_its_date, load_items, local_file
from fsdata.config import load_settings
from transforms.communes import read_communes
from transforms.limits import InputLimits
from warehouse import communes as store


@task(name="parse communes", cache_policy=SourceChecksum(inputs=("sha256", "vintage", "limits")))
def parse(file: Path, vintage: int, sha256: str, limits: InputLimits) -> pl.DataFrame:
    return read_communes(file, vintage, limits)


@task(
    name="validate communes",
    cache_policy=SourceChecksum(
        inputs=("sha256", "vintage"), packages=("transforms", "expectations")
    ),
)
def validate_frame(parsed: pl.DataFrame, sha256: str, vintage: int) -> list[ValidationOutcome]:
    return [validate(parsed, "communes")]


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    vintage = loaded.item.parse_args["vintage"]
    store.publish_vintage(con, load_id=loaded.load_id, vintage=vintage, communes=loaded.parsed)


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    frame: pl.DataFrame = loaded.parsed
    without = frame.filter(~pl.col("has_coordinates"))
    population = int(frame["population"].sum() or 0)
    population_without = int(without["population"].sum() or 0)
    message = (
        f"published {frame.height} communes of vintage {loaded.item.parse_args['vintage']} "
        f"({population} inhabitants); {without.height} without coordinates "
        f"({population_without} inhabitants left out of distance figures)"
    )
    return message, {
        "communes": frame.height,
        "population": population,
        "without coordinates": without.height,
        "population without coordinates": population_without,
    }


SOURCE = Source("communes", parse, validate_frame, write, summarize, in_force=at_its_date)


@flow(name="communes", log_prints=True)
@holds_warehouse
def communes(
    home: str, config: str | None = None, file: str | None = None, vintage: int | None = None
) -> dict[str, Any]:
    """Load a commune vintage: Etalab's live file as this year's vintage when `file` is None,
    else that local file as `vintage`; coverage follows. Raises LoadRefused / LoadFailed when
    nothing was published."""
    settings = load_settings(home, config)
    if file is None:
        vintage = vintage or date.today().year
        fetched = fetch_live(settings, SOURCE.name, settings.source_url(SOURCE.name))
        if fetched is None:
            return {"source": SOURCE.name, "status": "unchanged"}
        assert fetched.sha256 is not None
        path = named_download(fetched, (".csv", ".json"))
        items = [_item(path, fetched.sha256, int(vintage), fetched=fetched)]
    else:
        if vintage is None:
            raise ValueError("a local file needs the vintage (year) it is the reference of")
        items = [_item(*local_file(settings, SOURCE.name, file), int(vintage))]
    return load_items(SOURCE, settings, items).summaries[0].to_dict()


def _item(file: Path, sha256: str, vintage: int, **more: Any) -> Item:
    return Item(
        file,
        sha256,
        as_of=store.vintage_date(vintage),
        as_of_label=str(vintage),
        label=f"{vintage}_{sha256[:16]}",
        slot=f"vintage {vintage}",
        options={"vintage": vintage},
        parse_args={"vintage": vintage},
        replay={"file": file, "vintage": vintage},
        **more,
    )
