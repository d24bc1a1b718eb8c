"""Validation reports `<home>/validation/docs/<source>.html`: the latest published validation of
each source, rendered from the GX result documents saved beside them (validation/<source>/
load-<id>*.json). Self-contained HTML, like the catalogue page that links to them."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import duckdb

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
