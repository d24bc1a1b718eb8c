"""What the release publishes: one registry of datasets (folder → file → warehouse table, primary
key, title), where each source's data comes from, the licence, and which datasets a source's
publication changes (`datasets_for`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


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

# Which datasets a publication of each source changes: its own, and those built from it.
# Read only through `datasets_for` (the one place to replace with a model-graph lookup).
AFFECTS: dict[str, tuple[str, ...]] = {
    "espaces": ("espaces",),
    "observatoire": ("observatoire", "partners"),
    "communes": ("communes",),
    "coverage": ("coverage",),
    "partners": ("partners",),
    "footfall": ("footfall", "partners"),
}


def datasets_for(source: str) -> tuple[str, ...]:
    """The datasets (folders of exports/) a publication of `source` changes."""
    return tuple(name for name in AFFECTS.get(source, (source,)) if name in DATASET_BY_NAME)


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

# The analyst database: every table of the registry, plus these, and views for common questions
# (sql/analyst/*.sql). Named in code, never from data.
ANALYST_DATABASE = "france_services.duckdb"
ANALYST_EXTRA_TABLES = ("core.commune_nearest_espace", "core.ref_departements")
ANALYST_DESCRIPTION = (
    "Les tables core et marts de l'entrepôt (historique des espaces, communes, couverture, "
    "démarches et indicateurs, partenaires, fréquentation, chiffres officiels) dans une base "
    "DuckDB, avec la description de chaque table et colonne, et des vues pour les questions "
    "courantes. Lecture seule ; remplacée d'un bloc à chaque publication."
)
