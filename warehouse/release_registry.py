"""What the release publishes: one registry of datasets (folder → file → warehouse table, primary
key, title), where each source's data comes from, the licence, and which datasets a source's
publication changes (the model graph says which: `warehouse.graph.datasets_for`)."""

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
    # A date column: the table is published a year a file (`<dataset>/<name>/<year>.csv`), so
    # that a publication rewrites the years it changed, not the whole history.
    split_by: str | None = None


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
            Resource(
                "footfall",
                "core.footfall",
                ("load_id", "source_row"),
                "Fréquentation",
                split_by="month",
            ),
            Resource(
                "footfall_monthly",
                "marts.footfall_monthly",
                (),
                "Fréquentation mensuelle",
                split_by="month",
            ),
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
    Dataset(
        "barometre",
        "Baromètre des résultats : labellisations France services",
        ("barometre", "espaces"),
        (
            Resource(
                "barometre",
                "core.barometre",
                ("indicator_id", "level", "code", "date"),
                "Série officielle des labellisations",
            ),
            Resource(
                "barometre_targets",
                "core.barometre_targets",
                ("indicator_id", "level", "code", "target_date"),
                "Cibles",
            ),
            Resource(
                "network_reconciliation",
                "marts.network_reconciliation",
                ("date", "level", "code"),
                "Rapprochement avec la liste des espaces",
            ),
        ),
    ),
    Dataset(
        "mediation",
        "Lieux de médiation numérique",
        ("mediation", "espaces", "communes"),
        (
            Resource(
                "lieux_mediation_history",
                "core.lieux_mediation",
                ("lieu_id", "valid_from"),
                "Historique des lieux de médiation numérique",
            ),
            Resource(
                "lieux_mediation",
                "marts.lieux_mediation",
                ("as_of", "level", "code"),
                "Lieux par territoire et dispositif",
            ),
            Resource(
                "mediation_coverage",
                "marts.mediation_coverage",
                ("as_of", "network", "level", "code"),
                "Couverture par la médiation numérique et par France services",
            ),
            Resource(
                "france_services_lieux_matches",
                "marts.france_services_lieux_matches",
                (),
                "Lieux « France Services » et espaces de la liste",
            ),
        ),
    ),
    Dataset(
        "conseillers",
        "Conseillers numériques",
        ("conseillers",),
        (
            Resource(
                "conseillers_structures",
                "core.conseillers_structures",
                ("as_of", "structure_id"),
                "Structures d'accueil",
            ),
            Resource(
                "conseillers_numeriques",
                "marts.conseillers_numeriques",
                ("as_of", "level", "code"),
                "Conseillers numériques par territoire",
            ),
        ),
    ),
    Dataset(
        "promises",
        "Suivi des promesses du réseau",
        ("espaces", "observatoire", "communes", "coverage", "partners", "barometre", "conseillers"),
        (
            Resource(
                "promise_tracker", "marts.promise_tracker", ("promise_code",), "Suivi des promesses"
            ),
            Resource(
                "promise_measures",
                "marts.promise_measures",
                ("measure", "measured_on", "source"),
                "Mesures des promesses dans le temps",
            ),
            Resource("promises", "core.promises", ("promise_code",), "Promesses (références)"),
        ),
    ),
)
DATASET_BY_NAME = {d.name: d for d in DATASETS}

# Which datasets a publication of each source changes: its own, and those built from it.
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
    "barometre": (
        "Baromètre des résultats de l'action publique — Etalab / DINUM, data.gouv.fr",
        "https://www.data.gouv.fr/fr/datasets/barometre-des-resultats-de-laction-publique/",
    ),
    "mediation": (
        "Lieux de médiation numérique sur le territoire national — ANCT, data.gouv.fr "
        "(standard LaMednum / ANCT v1.0.2)",
        "https://www.data.gouv.fr/fr/datasets/lieux-de-mediation-numerique-sur-le-territoire-national/",
    ),
    "conseillers": (
        "Structures accueillant des conseillers numériques, juin 2021 — ANCT "
        "(carte des conseillers numériques)",
        "https://github.com/anct-carto/conseillers-numeriques",
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
