"""The open-data release under `<home>/exports/`: one registry of published datasets, and the one
step every flow ends with.

`publish(con, exports_dir, source, entry)` re-exports the datasets a source's publication
touches (its own and those built from it too, e.g. the promise tracker after an observatory
edition), then rewrites the release files: `datapackage.json` (Frictionless Data Package, French
descriptions from the warehouse's `COMMENT ON`), `CHANGELOG.md` (one entry per publication),
`index.html` (the catalogue page) and `SHA256SUMS` (last, so it covers the others). Every file
is written atomically and only when its bytes change: a run that publishes nothing leaves the
release byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import fetch_first
from warehouse.exports import export_table


@dataclass(frozen=True)
class Resource:
    name: str  # file stem under the dataset folder
    table: str  # warehouse table
    primary_key: tuple[str, ...]  # empty when no column set is unique and never null
    title: str


@dataclass(frozen=True)
class Dataset:
    name: str  # folder under exports/
    title: str
    sources: tuple[str, ...]  # meta.loads sources whose publications feed it
    resources: tuple[Resource, ...]
    extra: Callable[[duckdb.DuckDBPyConnection, Path], Path] | None = field(default=None)


def _footfall_readme(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    from warehouse.footfall import write_readme

    return write_readme(con, folder)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "espaces",
        "Espaces France services",
        ("espaces",),
        (
            Resource(
                "espaces_history",
                "core.espaces",
                ("espace_id", "valid_from"),
                "Historique des espaces",
            ),
            Resource("espaces_current", "marts.espaces_current", ("espace_id",), "Espaces ouverts"),
            Resource(
                "network_by_departement",
                "marts.network_by_departement",
                ("as_of", "insee_dep"),
                "Réseau par département",
            ),
        ),
    ),
    Dataset(
        "observatoire",
        "Observatoire de la qualité des démarches en ligne",
        ("observatoire",),
        (
            Resource("editions", "core.editions", ("edition_id",), "Éditions"),
            Resource("demarches", "core.demarches", ("demarche_id",), "Démarches"),
            Resource(
                "administrations", "core.administrations", ("administration_id",), "Administrations"
            ),
            Resource(
                "demarche_indicators",
                "core.demarche_indicators",
                ("edition_id", "demarche_id", "indicator"),
                "Indicateurs par démarche et édition",
            ),
            Resource(
                "demarche_indicator_trends",
                "marts.demarche_indicator_trends",
                ("edition_id", "scope", "scope_id"),
                "Tendances des indicateurs",
            ),
            Resource(
                "demarche_trajectories",
                "marts.demarche_trajectories",
                ("demarche_id", "indicator"),
                "Trajectoires des démarches",
            ),
        ),
    ),
    Dataset(
        "communes",
        "Communes (référentiel)",
        ("communes",),
        (Resource("communes", "core.communes", ("vintage", "code_insee"), "Communes"),),
    ),
    Dataset(
        "coverage",
        "Couverture du territoire",
        ("coverage", "espaces", "communes"),
        (
            Resource(
                "coverage", "marts.coverage", ("as_of", "level", "code"), "Couverture par zone"
            ),
            Resource(
                "communes_far",
                "marts.communes_far",
                ("as_of", "code_insee"),
                "Communes les plus éloignées",
            ),
        ),
    ),
    Dataset(
        "partners",
        "Partenaires et suivi de la promesse",
        ("partners", "observatoire"),
        (
            Resource("partners", "core.partners", ("partner_code",), "Partenaires"),
            Resource(
                "partner_services",
                "core.partner_services",
                ("partner_code", "service_code", "effective_from"),
                "Services des partenaires",
            ),
            Resource(
                "partner_aliases",
                "core.partner_aliases",
                ("alias_normalised", "partner_code"),
                "Noms des partenaires",
            ),
            Resource(
                "administration_partners",
                "core.administration_partners",
                ("administration_normalised", "partner_code"),
                "Administrations et partenaires",
            ),
            Resource("official_figures", "core.official_figures", (), "Chiffres officiels"),
            Resource(
                "observatory_administration_partners",
                "core.observatory_administration_partners",
                (),
                "Administrations de l'observatoire et partenaires",
            ),
            Resource(
                "demarche_partner_coverage",
                "marts.demarche_partner_coverage",
                ("edition_id",),
                "Suivi de la promesse : démarches couvertes",
            ),
            Resource(
                "demarche_uncovered_administrations",
                "marts.demarche_uncovered_administrations",
                (),
                "Administrations non couvertes",
            ),
        ),
    ),
    Dataset(
        "footfall",
        "Fréquentation des espaces",
        ("footfall",),
        (
            Resource("footfall", "core.footfall", ("load_id", "source_row"), "Fréquentation"),
            Resource("footfall_monthly", "marts.footfall_monthly", (), "Fréquentation mensuelle"),
            Resource(
                "footfall_espace_ranking",
                "marts.footfall_espace_ranking",
                ("period_end", "espace_id"),
                "Classement des espaces",
            ),
            Resource(
                "footfall_reconciliation",
                "marts.footfall_reconciliation",
                ("figure_code", "scope"),
                "Rapprochement avec les chiffres officiels",
            ),
        ),
        extra=_footfall_readme,
    ),
)
DATASET_BY_NAME = {d.name: d for d in DATASETS}

SOURCE_INFO: dict[str, tuple[str, str]] = {
    # source → (attribution, where it comes from)
    "espaces": (
        "Liste des France services — ANCT, data.gouv.fr",
        "https://www.data.gouv.fr/fr/datasets/liste-des-france-services/",
    ),
    "observatoire": (
        "Observatoire de la qualité des démarches en ligne — DINUM, data.gouv.fr",
        "https://www.data.gouv.fr/fr/datasets/observatoire-de-la-qualite-des-demarches-en-ligne/",
    ),
    "communes": (
        "Communes de France (référentiel Etalab) — data.gouv.fr",
        "https://www.data.gouv.fr/fr/datasets/communes-de-france-base-des-codes-postaux/",
    ),
    "partners": (
        "Catalogue des partenaires France services — circulaire n° 6094-SG et documents cités",
        "https://www.legifrance.gouv.fr/circulaire/id/44806",
    ),
    "footfall": (
        "Flux de fréquentation des opérateurs",
        "https://github.com/france-services-data/france-services-data",
    ),
}
LICENSE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}
SYNTHETIC_WARNING = (
    "DONNÉES SYNTHÉTIQUES : ce jeu contient des chiffres inventés (flux de démonstration), "
    "pas la fréquentation réelle des espaces."
)
RELEASE_FILES = ("datapackage.json", "CHANGELOG.md", "index.html", "SHA256SUMS")
CHANGELOG_HEADER = "# Journal des publications\n\nLa plus récente en premier.\n"


# --- writing ----------------------------------------------------------------------------------


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write atomically (temp + rename), and not at all when the bytes are the same."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- what the warehouse holds -----------------------------------------------------------------


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, _, name = table.partition(".")
    return (
        fetch_first(
            con.execute(
                "select 1 from duckdb_tables() where schema_name = ? and table_name = ?",
                [schema, name],
            )
        )
        is not None
    )


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if not table_exists(con, table):
        raise ValueError(f"no table {table!r}")
    schema, _, name = table.partition(".")
    row = fetch_first(con.execute(f'select count(*) from "{schema}"."{name}"'))
    return int(row[0]) if row else 0


def table_comment(con: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, _, name = table.partition(".")
    row = fetch_first(
        con.execute(
            "select comment from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        )
    )
    return (row[0] or "") if row else ""


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


def table_schema(con: duckdb.DuckDBPyConnection, resource: Resource) -> dict[str, Any]:
    schema, _, name = resource.table.partition(".")
    columns = con.execute(
        """
        select column_name, data_type, comment from duckdb_columns()
        where schema_name = ? and table_name = ? order by column_index
        """,
        [schema, name],
    ).fetchall()
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


def datapackage(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> dict[str, Any]:
    publications = source_publications(con)
    synthetic = is_synthetic(con)
    resources = []
    for dataset in DATASETS:
        for resource in dataset.resources:
            csv_path = exports_dir / dataset.name / f"{resource.name}.csv"
            if not csv_path.exists() or not table_exists(con, resource.table):
                continue
            description = table_comment(con, resource.table)
            if dataset.name == "footfall" and synthetic:
                description = f"{SYNTHETIC_WARNING} {description}"
            resources.append(
                {
                    "name": resource.name,
                    "title": f"{dataset.title} — {resource.title}",
                    "description": description
                    + f" Aussi en Parquet (zstd) : {dataset.name}/{resource.name}.parquet.",
                    "path": f"{dataset.name}/{resource.name}.csv",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "bytes": csv_path.stat().st_size,
                    "hash": f"sha256:{sha256_file(csv_path)}",
                    "schema": table_schema(con, resource),
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


def _parquet_rows(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    if not path.exists():
        return None
    row = fetch_first(con.execute("select count(*) from read_parquet(?)", [str(path)]))
    return int(row[0]) if row else None


def changelog_entry(
    entry: dict[str, Any], deltas: dict[str, tuple[int | None, int]], when: datetime
) -> str:
    lines = [
        f"## {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC — {entry.get('source')}",
        "",
        f"- {entry.get('message') or entry.get('status')}",
    ]
    if entry.get("as_of"):
        lines.append(f"- données au : {entry['as_of']}")
    if entry.get("load_id") is not None:
        lines.append(f"- chargement : {entry['load_id']}")
    for name, value in (entry.get("changes") or {}).items():
        lines.append(f"- {name} : {value}")
    changed = {k: v for k, v in deltas.items() if v[0] != v[1]}
    if changed:
        lines += ["", "| fichier | lignes avant | lignes après | écart |", "|---|---:|---:|---:|"]
        for name, (before, after) in changed.items():
            delta = after - (before or 0)
            lines.append(f"| {name} | {before if before is not None else '—'} | {after} | "
                         f"{delta:+d} |")  # fmt: skip
    else:
        lines.append("- aucun fichier publié n'a changé de nombre de lignes")
    return "\n".join(lines) + "\n"


def write_changelog(exports_dir: Path, text: str) -> None:
    path = exports_dir / "CHANGELOG.md"
    previous = path.read_text("utf-8") if path.exists() else CHANGELOG_HEADER
    body = previous[len(CHANGELOG_HEADER) :] if previous.startswith(CHANGELOG_HEADER) else previous
    older = body.strip("\n")
    write_if_changed(path, CHANGELOG_HEADER + "\n" + text + (f"\n{older}\n" if older else ""))


def write_checksums(exports_dir: Path) -> Path:
    """`sha256sum -c` format, relative paths, every published file but this one."""
    lines = []
    for path in sorted(exports_dir.rglob("*")):
        if not path.is_file() or path.name == "SHA256SUMS" or path.name.startswith("."):
            continue
        lines.append(f"{sha256_file(path)}  {path.relative_to(exports_dir).as_posix()}")
    target = exports_dir / "SHA256SUMS"
    write_if_changed(target, "\n".join(lines) + "\n")
    return target


def _has_rows(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> bool:
    return any(
        table_exists(con, r.table) and row_count(con, r.table) > 0 for r in dataset.resources
    )


def export_dataset(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, dataset: Dataset
) -> tuple[list[Path], dict[str, tuple[int | None, int]]]:
    folder = exports_dir / dataset.name
    written: list[Path] = []
    deltas: dict[str, tuple[int | None, int]] = {}
    for resource in dataset.resources:
        if not table_exists(con, resource.table):
            continue
        before = _parquet_rows(con, folder / f"{resource.name}.parquet")
        written += export_table(con, resource.table, folder, resource.name)
        deltas[f"{dataset.name}/{resource.name}"] = (before, row_count(con, resource.table))
    if dataset.extra is not None:
        written.append(dataset.extra(con, folder))
    return written, deltas


def write_release_files(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, validation_dir: Path | None = None
) -> list[Path]:
    """datapackage.json, index.html and SHA256SUMS from what is exported now."""
    from warehouse.page import render_page

    exports_dir.mkdir(parents=True, exist_ok=True)
    if validation_dir is not None:
        from warehouse.datadocs import build_docs

        build_docs(con, validation_dir)
    package = datapackage(con, exports_dir)
    write_if_changed(
        exports_dir / "datapackage.json", json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    )
    write_if_changed(
        exports_dir / "index.html", render_page(con, exports_dir, package, validation_dir)
    )
    return [exports_dir / name for name in RELEASE_FILES if (exports_dir / name).exists()]


def publish(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    source: str,
    entry: dict[str, Any] | None = None,
    validation_dir: Path | None = None,
    datasets: list[str] | None = None,
) -> list[Path]:
    """Export `datasets` (those the publication changed: the model graph says which) and
    rewrite the release files. `entry` (a load summary as a dict) adds a CHANGELOG entry when
    its status is `published`; with another status the data files are left as they are."""
    written: list[Path] = []
    deltas: dict[str, tuple[int | None, int]] = {}
    published = entry is None or entry.get("status") == "published"
    # Nothing published, nothing re-exported: DuckDB may write the same rows in another order,
    # and a run that changes nothing must leave every downloaded byte as it was.
    for name in (datasets or []) if published else ():
        if not _has_rows(con, DATASET_BY_NAME[name]) and not (exports_dir / name).is_dir():
            continue  # a dataset nothing was loaded into yet is not published empty
        files, counted = export_dataset(con, exports_dir, DATASET_BY_NAME[name])
        written += files
        deltas.update(counted)
    if entry is not None and published:
        write_changelog(exports_dir, changelog_entry(entry, deltas, datetime.now(UTC)))
    # GX's own Data Docs are built on demand (warehouse/datadocs.py): importing GX costs more
    # than the rest of a listing's publication.
    written += write_release_files(con, exports_dir, validation_dir)
    write_checksums(exports_dir)
    return written
