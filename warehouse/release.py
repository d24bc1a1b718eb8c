"""The open-data release under `<home>/exports/`, the one step every run ends with.

The release is a function of the warehouse. `publish(con, exports_dir, source, entry)` runs after
every run, published or not:

- each data file (`<dataset>/<table>.parquet|.csv`) is written again when the warehouse has a
  publication it does not reflect yet (its dataset's sources published a later load), or when
  the file on disk is missing or is not the one recorded in `meta.release_files`;
- the analyst database `france_services.duckdb` likewise, against every source's publications;
- `CHANGELOG.md` (from `meta.release_changelog`), `datapackage.json` (sizes and hashes from the
  records, never read back from the folder), `index.html` and, last, `SHA256SUMS` (from the
  records) are written from the warehouse, each only when its bytes change.

Every file is written atomically (temp file + rename) and recorded with the sha256 of the bytes
written. A rerun after any failure therefore ends with a release that `sha256sum -c SHA256SUMS`
verifies, and says what it repaired; a file in `exports/` that the release did not write is
reported and never certified. A run that publishes nothing on an intact release changes no byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.analyst_db import build_analyst_database
from warehouse.archive import sha256_of
from warehouse.exports import export_table_files
from warehouse.graph import datasets_for
from warehouse.release_catalog import (
    datapackage,
    is_synthetic,
    row_count,
    source_publications,
    table_exists,
    table_schema,
    validation_label,
    validation_outcomes,
)
from warehouse.release_changelog import (
    CHANGELOG,
    add_entry,
    adopt_legacy,
    changelog_entry,
    changelog_text,
    missed_publications,
)
from warehouse.release_files import (
    CHECKSUMS,
    FileRecord,
    checksums_text,
    disk_problem,
    folder_files,
    forget_files,
    read_records,
    record_files,
    stamped,
    verify_release,
    write_if_changed,
    write_recorded,
)
from warehouse.release_parts import Part, part_stem, resource_of, resource_stems, table_parts
from warehouse.release_registry import (
    ANALYST_DATABASE,
    DATASET_BY_NAME,
    DATASETS,
    Dataset,
    Resource,
)

__all__ = [
    "ANALYST_DATABASE",
    "DATASETS",
    "DATASET_BY_NAME",
    "Dataset",
    "ReleaseFailed",
    "ReleaseReport",
    "Resource",
    "datapackage",
    "is_synthetic",
    "publish",
    "publish_release",
    "row_count",
    "source_publications",
    "table_exists",
    "table_schema",
    "validation_label",
    "validation_outcomes",
    "verify_release",
    "write_if_changed",
    "write_release_files",
]

RELEASE_FILES = ("datapackage.json", CHANGELOG, "index.html", CHECKSUMS)
BEHIND = "behind the warehouse (an earlier run's release did not finish)"


@dataclass
class ReleaseReport:
    written: list[Path] = field(default_factory=list)  # files whose bytes were written
    repaired: list[str] = field(default_factory=list)  # "path (why)"
    unlisted: list[str] = field(default_factory=list)  # files the release did not write
    # Files the release wrote that it no longer produces (a year gone, a table dropped):
    # removed once SHA256SUMS no longer lists them.
    retired: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"release: repaired {item}" for item in self.repaired] + [
            f"release: {name}: not written by the release, not certified" for name in self.unlisted
        ]


def generations(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per dataset, the last published load of the sources that feed it."""
    rows = con.execute(
        "select source, max(load_id) from meta.loads where status = 'published' group by source"
    ).fetchall()
    found: dict[str, int] = {}
    for source, load_id in rows:
        for name in datasets_for(source):
            found[name] = max(found.get(name, 0), int(load_id))
    return found


def _last_published(con: duckdb.DuckDBPyConnection, source: str) -> int | None:
    row = con.execute(
        "select max(load_id) from meta.loads where status = 'published' and source = ?", [source]
    ).fetchall()
    return row[0][0] if row else None


def _why(
    exports_dir: Path, record: FileRecord | None, generation: int, fresh: bool
) -> tuple[bool, str | None]:
    """(write it?, why it is a repair or None when it is this publication's own write)."""
    if record is None:
        return True, None
    if record.generation is None or record.generation < generation:
        return True, None if fresh else BEHIND
    problem = disk_problem(exports_dir, record)
    return problem is not None, problem


def _export_dataset(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    dataset: Dataset,
    generation: int,
    fresh: bool,
    records: dict[str, FileRecord],
    report: ReleaseReport,
    known: dict[str, list[Part]],
) -> None:
    written: list[FileRecord] = []
    for resource in dataset.resources:
        if table_exists(con, resource.table):
            written += _export_resource(
                con, exports_dir, dataset, resource, generation, fresh, records, report, known
            )
    folder = exports_dir / dataset.name
    if dataset.extra is not None:
        relative = f"{dataset.name}/README.txt"
        before = records.get(relative)
        problem = disk_problem(exports_dir, before) if before is not None else None
        path = dataset.extra(con, folder)
        relative = path.relative_to(exports_dir).as_posix()
        sha256 = sha256_of(path)
        if before is None or before.sha256 != sha256 or problem:
            if problem and not fresh:
                report.repaired.append(f"{relative} ({problem})")
            report.written.append(path)
        record = FileRecord(relative, sha256, path.stat().st_size, None, generation)
        written.append(stamped(exports_dir, record))
    # Recorded right after the files are in place: a run killed in between leaves a file
    # that differs from its record, and the next run writes it again.
    record_files(con, written)
    records.update({r.path: r for r in written})


def _export_resource(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    dataset: Dataset,
    resource: Resource,
    generation: int,
    fresh: bool,
    records: dict[str, FileRecord],
    report: ReleaseReport,
    known: dict[str, list[Part]],
) -> list[FileRecord]:
    """Write the resource's files whose part changed (its fingerprint) or that differ on disk;
    the others keep their bytes and get this generation. Files of parts gone are removed."""
    suffixes = (".parquet", ".csv")
    stems = resource_stems(dataset, resource, records)
    held = [records[f"{stem}{suffix}"] for stem in stems for suffix in suffixes
            if f"{stem}{suffix}" in records]  # fmt: skip
    if (
        held
        and len(held) == 2 * len(stems)
        and all(r.generation == generation for r in held)
        and not any(disk_problem(exports_dir, r) for r in held)
    ):
        return []  # nothing published since these files were written, and they are intact
    written: list[FileRecord] = []
    parts = table_parts(con, resource.table, resource.split_by, known)
    for part in parts:
        stem = part_stem(dataset, resource, part)
        due = []
        for suffix in suffixes:
            relative = f"{stem}{suffix}"
            record = records.get(relative)
            if record is None or record.fingerprint != part.fingerprint:
                due.append(suffix)
                # (a record without a fingerprint predates them: not a repair)
                if record is not None and record.fingerprint is not None and not fresh:
                    report.repaired.append(f"{relative} ({BEHIND})")
            elif (problem := disk_problem(exports_dir, record)) is not None:
                due.append(suffix)
                report.repaired.append(f"{relative} ({problem})")
            elif record.generation != generation:
                written.append(replace(record, generation=generation))
        if not due:
            continue
        folder, _, name = (exports_dir / stem).as_posix().rpartition("/")
        for path, sha256, size in export_table_files(
            con, resource.table, Path(folder), name, tuple(due), part.condition
        ):
            relative = path.relative_to(exports_dir).as_posix()
            record = FileRecord(relative, sha256, size, part.rows, generation, part.fingerprint)
            written.append(stamped(exports_dir, record))
            report.written.append(path)
    kept = {part_stem(dataset, resource, part) for part in parts}
    gone = [f"{stem}{suffix}" for stem in stems if stem not in kept for suffix in suffixes]
    forget_files(con, gone)
    for path in gone:
        records.pop(path, None)
    report.retired += gone
    return written


def _published(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, records: dict[str, FileRecord]
) -> bool:
    """Whether the dataset is part of the release: once a table of it has rows (a source only
    rebuilt from others, e.g. footfall's marts after a listing, is not published empty)."""
    prefix = f"{dataset.name}/"
    return any(path.startswith(prefix) for path in records) or any(
        table_exists(con, r.table) and row_count(con, r.table) > 0 for r in dataset.resources
    )


def _deltas(
    con: duckdb.DuckDBPyConnection, names: tuple[str, ...], records: dict[str, FileRecord]
) -> dict[str, tuple[int | None, int]]:
    """Rows per file of this publication: as the release has them → as the warehouse has them."""
    deltas: dict[str, tuple[int | None, int]] = {}
    for name in names:
        dataset = DATASET_BY_NAME[name]
        for resource in dataset.resources:
            if table_exists(con, resource.table):
                stems = resource_stems(dataset, resource, records)
                before = sum(records[f"{s}.csv"].rows or 0 for s in stems) if stems else None
                deltas[f"{dataset.name}/{resource.name}"] = (before, row_count(con, resource.table))
    return deltas


class ReleaseFailed(RuntimeError):
    """The release could not be written (a full disk, a folder that cannot be written): the
    warehouse is committed, and the next run writes what is missing. One-line message."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def publish_release(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    source: str,
    entry: dict[str, Any] | None = None,
    validation_dir: Path | None = None,
) -> ReleaseReport:
    """Bring the release up to the warehouse (see the module's docstring). `entry` (a load
    summary as a dict) whose status is `published` adds a CHANGELOG entry and marks the
    datasets of `source` as this publication's own writes (not repairs). Raises
    `ReleaseFailed` when a file cannot be written."""
    try:
        return _publish_release(con, exports_dir, source, entry, validation_dir)
    except (OSError, duckdb.IOException) as exc:
        raise ReleaseFailed(
            f"release not brought up to date ({_reason(exc)}); the warehouse is committed and "
            "the next run writes what is missing"
        ) from exc


def _publish_release(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    source: str,
    entry: dict[str, Any] | None,
    validation_dir: Path | None,
) -> ReleaseReport:
    report = ReleaseReport()
    exports_dir.mkdir(parents=True, exist_ok=True)
    records = read_records(con)
    published = entry is not None and entry.get("status") == "published"
    fresh = set(datasets_for(source)) if published else set()
    if not records:
        adopt_legacy(con, exports_dir)
    # Entries are recorded before any file is written: a release that fails part-way keeps
    # them. A publication whose release never ran gets its entry from meta.loads.
    for load_id, missed, as_of, message, finished in missed_publications(
        con, source if published else None
    ):
        late = {
            "source": missed,
            "status": "published",
            "as_of": as_of,
            "load_id": load_id,
            "message": f"{message} (publication exportée par une exécution suivante)",
        }
        deltas = _deltas(con, datasets_for(missed), records)
        when = finished or datetime.now(UTC)
        add_entry(con, missed, load_id, changelog_entry(late, deltas, when))
    if published:
        assert entry is not None
        deltas = _deltas(con, datasets_for(source), records)
        load_id = entry.get("load_id") or _last_published(con, source)
        add_entry(con, source, load_id, changelog_entry(entry, deltas, datetime.now(UTC)))
    current = generations(con)
    known: dict[str, list[Part]] = {}
    with _analyst_database_beside(con, exports_dir, current, published, records, report):
        for dataset in DATASETS:
            if dataset.name in current and _published(con, dataset, records):
                _export_dataset(
                    con,
                    exports_dir,
                    dataset,
                    current[dataset.name],
                    dataset.name in fresh,
                    records,
                    report,
                    known,
                )
    # GX's own Data Docs are built on demand (warehouse/datadocs.py, `fsdata docs`, the end of
    # the demo): importing GX costs more than the rest of a listing's publication.
    _write_release_files(con, exports_dir, validation_dir, records, report)
    for line in report.lines():
        print(line)
    return report


@contextmanager
def _analyst_database_beside(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    current: dict[str, int],
    published: bool,
    records: dict[str, FileRecord],
    report: ReleaseReport,
) -> Iterator[None]:
    """The analyst database, when it is behind, built in a thread of its own (its own
    connection to the warehouse) while the block exports the data files: both are mostly
    DuckDB's work, which runs outside Python's lock. Recorded once both are done; a failure of
    the block stops the build and is the one raised."""
    held = records.get(ANALYST_DATABASE)
    newest = max(current.values()) if current else None
    write, why = _why(exports_dir, held, newest, published) if newest else (False, None)
    if not write:
        yield
        return
    assert newest is not None
    intact = held is not None and disk_problem(exports_dir, held) is None
    builder = con.cursor()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyst-database") as pool:
            building = pool.submit(build_analyst_database, builder, exports_dir, intact)
            try:
                yield
            except BaseException:
                builder.interrupt()
                raise
        sha256, size = building.result()
    finally:
        builder.close()
    record = stamped(exports_dir, FileRecord(ANALYST_DATABASE, sha256, size, None, newest))
    record_files(con, [record])
    records[ANALYST_DATABASE] = record
    report.written.append(exports_dir / ANALYST_DATABASE)
    if why:
        report.repaired.append(f"{ANALYST_DATABASE} ({why})")


def _write_release_files(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    validation_dir: Path | None,
    records: dict[str, FileRecord],
    report: ReleaseReport,
) -> None:
    """CHANGELOG.md, datapackage.json, index.html, then SHA256SUMS, from the warehouse and the
    records; files recorded for nothing the release produces any more are forgotten."""
    from warehouse.page import render_page

    if validation_dir is not None:
        from warehouse.datadocs import build_docs

        build_docs(con, validation_dir)
    produced = {path for path in records if _still_produced(con, path)}
    retired = sorted(set(records) - produced)
    forget_files(con, retired)
    for path in retired:
        del records[path]
    report.retired += retired
    contents: list[tuple[str, str]] = []
    changelog = changelog_text(con)
    if changelog is not None:
        contents.append((CHANGELOG, changelog))
    package = datapackage(con, records)
    contents.append(("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2) + "\n"))
    contents.append(("index.html", render_page(con, exports_dir, package, validation_dir)))
    for name, text in contents:
        _write_generated(con, exports_dir, name, text, records, report)
    _write_generated(con, exports_dir, CHECKSUMS, checksums_text(records), records, report)
    for path in report.retired:
        if path not in records:
            (exports_dir / path).unlink(missing_ok=True)
    report.unlisted = [name for name in folder_files(exports_dir) if name not in records]


def _write_generated(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    name: str,
    text: str,
    records: dict[str, FileRecord],
    report: ReleaseReport,
) -> None:
    before = records.get(name)
    problem = disk_problem(exports_dir, before) if before is not None else None
    record, changed = write_recorded(exports_dir, name, text)
    if changed:
        report.written.append(exports_dir / name)
        if problem and before is not None and before.sha256 == record.sha256:
            # The same content as recorded, yet the file differed: that is a repair.
            report.repaired.append(f"{name} ({problem})")
    if before != record:
        record_files(con, [record])
        records[name] = record


def _still_produced(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    if path in RELEASE_FILES or path == ANALYST_DATABASE:
        return True
    folder, _, file_name = path.partition("/")
    dataset = DATASET_BY_NAME.get(folder)
    if dataset is None:
        return False
    if file_name == "README.txt":
        return dataset.extra is not None
    found = resource_of(path)
    return found is not None and table_exists(con, found[1].table)


def write_release_files(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, validation_dir: Path | None = None
) -> list[Path]:
    """CHANGELOG.md, datapackage.json, index.html and SHA256SUMS from the warehouse as it is."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    report = ReleaseReport()
    _write_release_files(con, exports_dir, validation_dir, read_records(con), report)
    return [exports_dir / name for name in RELEASE_FILES if (exports_dir / name).exists()]


def publish(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, source: str,
    entry: dict[str, Any] | None = None, validation_dir: Path | None = None,
) -> list[Path]:  # fmt: skip
    """Bring the release up to the warehouse after a run of `source` (published or not) and
    return the files written; repairs and files the release did not write are printed."""
    report = publish_release(con, exports_dir, source, entry, validation_dir)
    return report.written + [
        exports_dir / name
        for name in RELEASE_FILES
        if (exports_dir / name).exists() and exports_dir / name not in report.written
    ]
