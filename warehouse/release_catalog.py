"""What the release says about the warehouse: tables and their French descriptions (the
warehouse's `COMMENT ON`), publications, validation outcomes, and the Frictionless Data Package
built from them and from the release's recorded hashes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.db import fetch_first, table_exists
from warehouse.release_files import FileRecord
from warehouse.release_parts import resource_stems
from warehouse.release_registry import (
    ANALYST_DATABASE,
    ANALYST_DESCRIPTION,
    DATASETS,
    LICENSE,
    SOURCE_INFO,
    SYNTHETIC_WARNING,
    Dataset,
    Resource,
)

# --- what the warehouse holds -----------------------------------------------------------------


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if not table_exists(con, table):
        raise ValueError(f"no table {table!r}")
    schema, _, name = table.partition(".")
    row = fetch_first(con.execute(f'select count(*) from "{schema}"."{name}"'))
    return int(row[0]) if row else 0


def _field_type(duckdb_type: str) -> dict[str, Any]:
    kind = duckdb_type.upper()
    if kind.endswith("[]") or kind.startswith(("STRUCT", "MAP")) or kind == "JSON":
        # Lists are written as DuckDB prints them ("[a, b]"), JSON as its text.
        return {"type": "string"}
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return {"type": "integer"}
    if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
        return {"type": "number"}
    if kind == "BOOLEAN":
        return {"type": "boolean"}
    if kind == "DATE":
        return {"type": "date"}
    if kind.startswith("TIMESTAMP"):
        # DuckDB writes "2024-08-01 10:00:00.123+00": ISO 8601 with a space.
        return {"type": "datetime", "format": "any"}
    return {"type": "string"}


Column = tuple[str, str, str | None]  # name, DuckDB type, description (COMMENT ON)


@dataclass(frozen=True)
class Described:
    comment: str  # the table's COMMENT ON, "" when none
    columns: list[Column]  # in order


def describe_tables(
    con: duckdb.DuckDBPyConnection, tables: Collection[str]
) -> dict[str, Described]:
    """The warehouse tables' descriptions and columns, in two catalogue reads however many
    tables (a read costs about as much for one table as for all). A view has columns and no
    comment; a table absent is left out."""
    names = list(tables)
    where = (
        "database_name = current_database() and list_contains(?, schema_name || '.' || table_name)"
    )
    comments = dict(
        con.execute(
            f"select schema_name || '.' || table_name, comment from duckdb_tables() where {where}",
            [names],
        ).fetchall()
    )
    described: dict[str, Described] = {}
    for table, column, data_type, comment in con.execute(
        "select schema_name || '.' || table_name, column_name, data_type, comment "
        f"from duckdb_columns() where {where} order by table_name, column_index",
        [names],
    ).fetchall():
        found = described.setdefault(table, Described(comments.get(table) or "", []))
        found.columns.append((column, data_type, comment))
    return described


def table_schema(columns: list[Column], resource: Resource) -> dict[str, Any]:
    fields = []
    for column, data_type, comment in columns:
        item: dict[str, Any] = {"name": column, **_field_type(data_type)}
        if comment:
            item["description"] = comment
        fields.append(item)
    document: dict[str, Any] = {"fields": fields}
    if resource.primary_key:
        document["primaryKey"] = list(resource.primary_key)
    return document


def is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    if not table_exists(con, "core.footfall"):
        return False
    row = fetch_first(
        con.execute("select coalesce(bool_or(is_synthetic), false) from core.footfall")
    )
    return bool(row and row[0])


def source_publications(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per source, its last publication: when, as of which date, how many publications."""
    rows = con.execute(
        """
        select source, max(finished_at), max(as_of), count(*),
               arg_max(load_id, load_id), arg_max(file_name, load_id)
        from meta.loads where status = 'published' group by source order by source
        """
    ).fetchall()
    return {
        source: {
            "published_at": finished,
            "as_of": as_of,
            "publications": count,
            "load_id": load_id,
            "file_name": file_name,
        }
        for source, finished, as_of, count, load_id, file_name in rows
    }


def validation_outcomes(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per source, the validation of its last published load: rules run, rules failed by class."""
    rows = con.execute(
        """
        with latest as (
            select source, max(load_id) as load_id from meta.loads
            where status = 'published' group by source
        )
        select l.source, l.load_id, count(v.rule),
               count(v.rule) filter (where not v.success and v.rule_class = 'blocking'),
               count(v.rule) filter (where not v.success and v.rule_class = 'row_rejected'),
               count(v.rule) filter (where not v.success and v.rule_class = 'warning')
        from latest l left join meta.validation_results v using (load_id)
        group by all order by l.source
        """
    ).fetchall()
    return {
        source: {
            "load_id": load_id,
            "rules": rules,
            "blocking": blocking,
            "row_rejected": rejected,
            "warning": warning,
        }
        for source, load_id, rules, blocking, rejected, warning in rows
    }


def validation_label(outcome: dict[str, Any] | None) -> str:
    if not outcome or not outcome["rules"]:
        return "pas de validation enregistrée"
    failed = outcome["row_rejected"] + outcome["warning"]
    if not failed:
        return f"{outcome['rules']} règles respectées"
    return (
        f"{outcome['rules']} règles : {outcome['row_rejected']} avec lignes en quarantaine, "
        f"{outcome['warning']} avertissements"
    )


# --- the release files --------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def resource_description(
    comment: str, dataset: Dataset, resource: Resource, synthetic: bool
) -> str:
    """The table's description (its COMMENT ON), the synthetic warning first where it applies,
    and, for a table published a year a file, how its files are laid out."""
    description = comment
    if dataset.name == "footfall" and synthetic:
        description = f"{SYNTHETIC_WARNING} {description}"
    if resource.split_by is not None:
        description += (
            f" Un fichier par année ({resource.split_by}) : "
            f"{dataset.name}/{resource.name}/<année>.csv et .parquet."
        )
    return description


def datapackage(con: duckdb.DuckDBPyConnection, recorded: dict[str, FileRecord]) -> dict[str, Any]:
    """The package of what the release holds: sizes and hashes are the recorded ones (what the
    release wrote), never read back from the folder."""
    publications = source_publications(con)
    synthetic = is_synthetic(con)
    described = describe_tables(con, [r.table for d in DATASETS for r in d.resources])
    resources = []
    for dataset in DATASETS:
        for resource in dataset.resources:
            stems = resource_stems(dataset, resource, recorded)
            table = described.get(resource.table)
            if not stems or table is None:
                continue
            description = resource_description(table.comment, dataset, resource, synthetic)
            schema = table_schema(table.columns, resource)
            for stem in stems:
                record = recorded[f"{stem}.csv"]
                year = stem.rpartition("/")[2] if resource.split_by is not None else ""
                resources.append(
                    {
                        "name": f"{resource.name}_{year}" if year else resource.name,
                        "title": f"{dataset.title} — {resource.title}"
                        + (f" ({year})" if year else ""),
                        "description": description
                        + (f" Année {year}." if year else "")
                        + f" Aussi en Parquet (zstd) : {stem}.parquet.",
                        "path": f"{stem}.csv",
                        "format": "csv",
                        "mediatype": "text/csv",
                        "encoding": "utf-8",
                        "bytes": record.bytes,
                        "hash": f"sha256:{record.sha256}",
                        "schema": schema,
                    }
                )
    analyst = recorded.get(ANALYST_DATABASE)
    if analyst is not None:
        # A non-tabular resource: Frictionless checks its size and hash, not its content.
        resources.append(
            {
                "name": "france_services_duckdb",
                "title": "Base DuckDB pour analystes",
                "description": ANALYST_DESCRIPTION,
                "path": ANALYST_DATABASE,
                "type": "file",
                "format": "duckdb",
                "mediatype": "application/vnd.duckdb",
                "bytes": analyst.bytes,
                "hash": f"sha256:{analyst.sha256}",
            }
        )
    sources = []
    for source, info in publications.items():
        if source not in SOURCE_INFO:
            continue
        attribution, path = SOURCE_INFO[source]
        title = (
            f"{attribution} ; dernière publication le {_iso(info['published_at'])}"
            + (f", données au {info['as_of']}" if info["as_of"] else "")
            + f" ({info['publications']} publication(s))"
        )
        if source == "footfall" and synthetic:
            title = f"SYNTHÉTIQUE — flux de démonstration inventé ; {title}"
        sources.append({"title": title, "path": path})
    latest = max((i["published_at"] for i in publications.values()), default=None)
    document: dict[str, Any] = {
        "name": "france-services-data",
        "title": "France services : réseau, démarches en ligne, couverture et fréquentation",
        "description": (
            "Entrepôt de données ouvertes du réseau France services, avec l'historique complet. "
            "Chaque fichier CSV (UTF-8, virgule, dates ISO 8601, coordonnées WGS84 à 6 décimales) "
            "a son jumeau Parquet ; SHA256SUMS permet de vérifier les téléchargements."
            + (f" {SYNTHETIC_WARNING}" if synthetic else "")
        ),
        "licenses": [LICENSE],
        "sources": sources,
        "resources": resources,
    }
    if latest is not None:
        document["created"] = _iso(latest)
    return document
