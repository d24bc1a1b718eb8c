"""Validation reports of the latest published load of each source, from the GX result documents
saved beside them (validation/<source>/load-<id>*.json):

- `<home>/validation/docs/<source>.html`: self-contained HTML, like the catalogue page that
  links to them;
- `<home>/validation/gx/`: GX's own Data Docs (`…/data_docs/local_site/index.html`), built by GX
  from the same documents in a file-backed GX project (no second validation). GX's pages load
  their styles and scripts from CDNs when viewed. Building them imports GX (seconds): they are
  built on demand (`fsdata docs`, and at the end of `fsdata demo`), not at every publication.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import fetch_first
from warehouse.page import CSS

ROW_CSS = ".ok{color:#18753c;font-weight:600}.ko{color:#ce0500;font-weight:600}"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in document.get("results", []):
        config = item.get("expectation_config")
        if config is None:  # a file refused before GX saw it
            rows.append(
                {
                    "rule": item.get("rule"),
                    "class": item.get("rule_class"),
                    "expectation": item.get("expectation"),
                    "column": item.get("column"),
                    "success": item.get("success"),
                    "unexpected": item.get("unexpected_count"),
                    "observed": item.get("detail"),
                }
            )
            continue
        result = item.get("result") or {}
        rows.append(
            {
                "rule": config.get("meta", {}).get("rule"),
                "class": config.get("meta", {}).get("rule_class"),
                "expectation": config.get("type"),
                "column": config.get("kwargs", {}).get("column"),
                "success": item.get("success"),
                "unexpected": result.get("unexpected_count"),
                "observed": result.get("observed_value"),
            }
        )
    return rows


def render(source: str, load_id: int, documents: list[tuple[str, dict[str, Any]]]) -> str:
    sections = []
    for name, document in documents:
        rows = "".join(
            f"<tr><td>{_e(r['rule'])}</td><td>{_e(r['class'])}</td>"
            f"<td><code>{_e(r['expectation'])}</code></td><td>{_e(r['column'])}</td>"
            f'<td class="{"ok" if r["success"] else "ko"}">'
            f"{'réussie' if r['success'] else 'en échec'}</td>"
            f"<td>{_e(r['unexpected'])}</td><td>{_e(r['observed'])}</td></tr>"
            for r in _rows(document)
        )
        statistics = document.get("statistics") or {}
        sections.append(
            f"<section><h2>Suite {_e(document.get('suite_name') or document.get('suite'))} "
            f"<small>({_e(name)})</small></h2>"
            f"<p>Règles évaluées : {_e(statistics.get('evaluated_expectations', '—'))}, "
            f"réussies : {_e(statistics.get('successful_expectations', '—'))}.</p>"
            "<table><tr><th>règle</th><th>classe</th><th>expectation</th><th>colonne</th>"
            f"<th>résultat</th><th>lignes en écart</th><th>observé</th></tr>{rows}</table>"
            "</section>"
        )
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Validation — {_e(source)}</title><style>{CSS}{ROW_CSS}</style></head><body>"
        f"<header><h1>Validation de la source {_e(source)} — chargement {load_id}</h1>"
        "<p>Résultats Great Expectations du dernier chargement publié.</p></header><main>"
        f"{''.join(sections)}"
        '<p><a href="../../exports/index.html">Retour au catalogue</a></p></main></body></html>\n'
    )


GX_DOCS_INDEX = Path("gx", "uncommitted", "data_docs", "local_site", "index.html")


def gx_docs_index(validation_dir: Path) -> Path:
    return validation_dir / "gx" / GX_DOCS_INDEX


def build_gx_data_docs(con: duckdb.DuckDBPyConnection, validation_dir: Path) -> Path | None:
    """GX Data Docs of the latest published validation of each source. The GX project is built
    afresh beside the current one and swapped in, so a reader never sees half a site and old
    loads do not pile up. Documents of the DuckDB engine have GX's result shape (the same
    suite's expectations, the same result fields): they are rendered the same way."""
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations.runner import load_suite
    from warehouse.release import validation_outcomes

    building = validation_dir / "gx.building"
    shutil.rmtree(building, ignore_errors=True)
    context = gx.get_context(mode="file", project_root_dir=building)
    stored = 0
    for source, outcome in validation_outcomes(con).items():
        load_id = outcome["load_id"]
        started = fetch_first(
            con.execute("select started_at from meta.loads where load_id = ?", [load_id])
        )
        for path in sorted((validation_dir / source).glob(f"load-{load_id}*.json")):
            document = json.loads(path.read_text("utf-8"))
            if document.get("engine") not in ("gx", "duckdb"):
                continue  # a file refused before validation: no suite result to render
            gx_fields = {k: v for k, v in document.items() if k != "engine"}
            result = ExpectationSuiteValidationResultSchema().load(gx_fields)
            context.suites.add_or_update(gx.ExpectationSuite(**load_suite(result.suite_name)))
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                run_id=RunIdentifier(
                    run_name=f"load-{load_id}", run_time=started[0] if started else None
                ),
                batch_identifier=source,
            )
            context.validation_results_store.set(key, result)
            stored += 1
    if not stored:
        shutil.rmtree(building, ignore_errors=True)
        return None
    context.build_data_docs()
    current, retired = validation_dir / "gx", validation_dir / "gx.retired"
    shutil.rmtree(retired, ignore_errors=True)
    if current.exists():
        current.rename(retired)
    building.rename(current)
    shutil.rmtree(retired, ignore_errors=True)
    return gx_docs_index(validation_dir)


def build_docs(con: duckdb.DuckDBPyConnection, validation_dir: Path) -> list[Path]:
    from warehouse.release import validation_outcomes, write_if_changed

    written = []
    for source, outcome in validation_outcomes(con).items():
        load_id = outcome["load_id"]
        files = sorted((validation_dir / source).glob(f"load-{load_id}*.json"))
        documents = []
        for path in files:
            if path.stem == f"load-{load_id}" or path.stem.startswith(f"load-{load_id}-"):
                documents.append((path.name, json.loads(path.read_text("utf-8"))))
        if not documents:
            continue
        target = validation_dir / "docs" / f"{source}.html"
        write_if_changed(target, render(source, load_id, documents))
        written.append(target)
    return written


def refresh_gx_data_docs(
    con: duckdb.DuckDBPyConnection, exports_dir: Path, validation_dir: Path
) -> Path | None:
    """Build GX's Data Docs now (on demand) and relink them from the catalogue page."""
    from warehouse.release import write_release_files

    index = build_gx_data_docs(con, validation_dir)
    if exports_dir.is_dir():
        write_release_files(con, exports_dir, validation_dir)  # SHA256SUMS included
    return index
