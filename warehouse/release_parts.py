"""A release resource's files, and what decides that one is written again.

A resource is one pair of files, `<dataset>/<name>.parquet|.csv`, or, when its registry entry
splits it by a date column, one pair a year, `<dataset>/<name>/<year>.parquet|.csv`. Each file
exports a part of its table (the whole table, or one year of it). The part's fingerprint — its
row count and the sum of its rows' hashes, computed by DuckDB — is recorded with the file; a file
is written again only when its part's fingerprint changed (or the file on disk is not the one
recorded). A month of footfall therefore rewrites that year's files, not the whole history.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from warehouse.db import quote_identifier, quoted_table
from warehouse.release_registry import DATASET_BY_NAME, Dataset, Resource

UNDATED = "sans_date"  # the part of a split table whose date is null


@dataclass(frozen=True)
class Part:
    label: str  # the year ("2026", UNDATED), or "" for a whole table
    condition: str  # SQL filter of the table's rows in this part ("" for the whole table)
    rows: int
    fingerprint: str


def part_condition(split_by: str, label: str) -> str:
    """The rows of the part `label` of a table split by `split_by` (a label is a year the
    warehouse returned, checked here, or UNDATED)."""
    column = quote_identifier(split_by)
    if label == UNDATED:
        return f"{column} is null"
    return f"year({column}) = {int(label)}"


def table_parts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    split_by: str | None = None,
    known: dict[str, list[Part]] | None = None,
) -> list[Part]:
    """The parts of `table` as the warehouse has them now (the whole table, or a part a year of
    `split_by`), with their rows and fingerprints, in one scan. `table` and `split_by` are
    identifiers named in code. `known` keeps what one release run computed (the warehouse
    does not change during it: a table's files are checked and written from one scan)."""
    if known is not None and table in known:
        return known[table]
    parts = _scan_parts(con, table, split_by)
    if known is not None:
        known[table] = parts
    return parts


def _scan_parts(con: duckdb.DuckDBPyConnection, table: str, split_by: str | None) -> list[Part]:
    identifier = quoted_table(con, table)
    if split_by is None:
        count, digest = con.execute(
            f"select count(*), coalesce(sum(hash(t)), 0)::varchar from {identifier} as t"
        ).fetchall()[0]
        return [Part("", "", int(count), f"{count}:{digest}")]
    rows = con.execute(
        f"select year({quote_identifier(split_by)}) as part_year, count(*), sum(hash(t))::varchar "
        f"from {identifier} as t group by part_year order by part_year nulls last"
    ).fetchall()
    labels = [(str(int(year)) if year is not None else UNDATED, n, d) for year, n, d in rows]
    return [
        Part(label, part_condition(split_by, label), int(n), f"{n}:{d}") for label, n, d in labels
    ]


def part_stem(dataset: Dataset, resource: Resource, part: Part) -> str:
    """The part's files without their suffix, relative to exports/."""
    stem = f"{dataset.name}/{resource.name}"
    return f"{stem}/{part.label}" if resource.split_by is not None else stem


def resource_stems(dataset: Dataset, resource: Resource, paths: Collection[str]) -> list[str]:
    """The stems of the resource's files among `paths` (the release's records, or the paths of
    its data package), from the CSV of each pair, in order."""
    if resource.split_by is None:
        stem = f"{dataset.name}/{resource.name}"
        return [stem] if f"{stem}.csv" in paths else []
    prefix = f"{dataset.name}/{resource.name}/"
    return sorted(
        path.removesuffix(".csv")
        for path in paths
        if path.startswith(prefix) and path.endswith(".csv") and "/" not in path[len(prefix) :]
    )


def resource_of(path: str) -> tuple[Dataset, Resource] | None:
    """The dataset and resource a data file of the release belongs to, or None."""
    folder, _, rest = path.partition("/")
    dataset = DATASET_BY_NAME.get(folder)
    if dataset is None:
        return None
    for resource in dataset.resources:
        if resource.split_by is None and rest in (
            f"{resource.name}.csv",
            f"{resource.name}.parquet",
        ):
            return dataset, resource
        if resource.split_by is not None and rest.startswith(f"{resource.name}/"):
            return dataset, resource
    return None
