"""The model graph: every SQL model of `sql/`, the models it reads, how it is refreshed and the
exported datasets it feeds — declared once, here.

Everything else follows from it: the order tables are created in (`creation_order`), which
models a load brings up to date after writing its tables and in which order (`downstream`),
which flow recomputes the derived ones (coverage), and which release datasets a publication
re-exports (`datasets_fed`).

How a model is refreshed (`refresh`):

- `appended`: written by a source's publication (raw tables, catalogues, `meta`); its file only
  creates it.
- `view`: a view, always current.
- `rebuilt`: rebuilt from what it reads: its file, then `<name>__refresh.sql` when there is one
  (a definition that creates the table empty and a refresh that fills it), or its procedure.
- `from_date`: brought up to date from the load's date on (`$from_date`), by its procedure or its
  `<name>__refresh.sql`; the dates before did not change. When a model it reads was rebuilt
  whole in the same refresh (not a reference table: those ship with the code), from the
  beginning.

A model with `runs_in` is brought up to date by that flow, after the load that changed what it
reads has committed (the nearest-espace computation costs seconds and may fail on its own).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

APPENDED = "appended"
VIEW = "view"
REBUILT = "rebuilt"
FROM_DATE = "from_date"
REFRESH_KINDS = (APPENDED, VIEW, REBUILT, FROM_DATE)
# The date a `from_date` model is refreshed from when the change has none: its whole history.
BEGINNING = date(1900, 1, 1)


@dataclass(frozen=True)
class Model:
    name: str  # "<layer>/<name>": sql/<layer>/<name>.sql defines the table <layer>.<name>
    reads: tuple[str, ...] = ()
    refresh: str = APPENDED
    feeds: tuple[str, ...] = ()  # exported datasets (warehouse/release.py) it feeds
    procedure: str | None = None  # "module:function" refreshing it instead of a SQL file
    runs_in: str | None = None  # the flow that brings it up to date, when not the load's own

    @property
    def table(self) -> str:
        return self.name.replace("/", ".")


MODELS: tuple[Model, ...] = (
    Model("meta/tables"),
    # espaces
    Model("raw/espaces", reads=("meta/tables",)),
    Model("staging/espaces", reads=("raw/espaces", "meta/tables"), refresh=VIEW),
    Model(
        "core/espaces",
        reads=("staging/espaces",),
        refresh=FROM_DATE,
        feeds=("espaces",),
        procedure="warehouse.espaces:replay_history",
    ),
    Model(
        "marts/network_by_departement",
        reads=("core/espaces", "meta/tables"),
        refresh=FROM_DATE,
        feeds=("espaces",),
    ),
    Model("marts/espaces_current", reads=("core/espaces",), refresh=REBUILT, feeds=("espaces",)),
    # observatoire
    Model("raw/observatoire_editions", reads=("meta/tables",)),
    Model("raw/observatoire_demarches", reads=("meta/tables",)),
    Model("raw/observatoire_indicators", reads=("meta/tables",)),
    Model("staging/observatoire_demarches", reads=("raw/observatoire_demarches",), refresh=VIEW),
    Model(
        "staging/observatoire_indicators",
        reads=("raw/observatoire_indicators", "staging/observatoire_demarches"),
        refresh=VIEW,
    ),
    Model(
        "core/editions",
        reads=(
            "raw/observatoire_editions",
            "staging/observatoire_demarches",
            "staging/observatoire_indicators",
        ),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    Model(
        "core/ref_administrations",
        refresh=REBUILT,
        procedure="warehouse.observatoire:load_reference_administrations",
    ),
    Model(
        "core/administrations",
        reads=("staging/observatoire_demarches", "core/ref_administrations"),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    Model(
        "core/demarches",
        reads=("staging/observatoire_demarches", "core/administrations", "core/editions"),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    Model(
        "core/demarche_indicators",
        reads=("staging/observatoire_indicators", "core/editions"),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    Model(
        "marts/demarche_indicator_trends",
        reads=("core/demarche_indicators", "core/editions", "core/administrations"),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    Model(
        "marts/demarche_trajectories",
        reads=("core/demarche_indicators", "core/demarches"),
        refresh=REBUILT,
        feeds=("observatoire",),
    ),
    # communes and coverage
    Model("core/communes", feeds=("communes",)),
    Model(
        "core/commune_nearest_espace",
        reads=("core/espaces", "core/communes"),
        refresh=REBUILT,
        procedure="warehouse.coverage:update_nearest",
        runs_in="coverage",
    ),
    Model(
        "marts/coverage",
        reads=("core/commune_nearest_espace", "core/communes", "core/espaces"),
        refresh=REBUILT,
        feeds=("coverage",),
        runs_in="coverage",
    ),
    Model(
        "marts/communes_far",
        reads=("core/commune_nearest_espace", "core/communes", "core/espaces"),
        refresh=REBUILT,
        feeds=("coverage",),
        runs_in="coverage",
    ),
    # partners: the catalogue and the promise tracker joining it to the observatory
    Model("core/partners", feeds=("partners",)),
    Model("core/partner_services", feeds=("partners",)),
    Model("core/partner_aliases", feeds=("partners",)),
    Model("core/official_figures", feeds=("partners",)),
    Model("core/administration_partners", feeds=("partners",)),
    Model(
        "core/observatory_administration_partners",
        reads=("core/demarches", "core/partner_aliases", "core/administration_partners"),
        refresh=REBUILT,
        procedure="warehouse.partners:map_observatory_administrations",
    ),
    Model(
        "marts/demarche_partner_coverage",
        reads=("core/demarche_indicators", "core/observatory_administration_partners"),
        refresh=REBUILT,
        feeds=("partners",),
    ),
    Model(
        "marts/demarche_uncovered_administrations",
        reads=("core/demarche_indicators", "core/observatory_administration_partners"),
        refresh=REBUILT,
        feeds=("partners",),
    ),
    # footfall
    Model(
        "core/ref_departements",
        refresh=REBUILT,
        procedure="warehouse.footfall:load_departements",
    ),
    Model("raw/footfall", reads=("meta/tables",)),
    Model("core/footfall", reads=("raw/footfall",), feeds=("footfall",)),
    Model(
        "staging/footfall_population",
        reads=("core/communes", "core/ref_departements"),
        refresh=REBUILT,
    ),
    Model(
        "marts/footfall_monthly",
        reads=(
            "core/footfall",
            "core/espaces",
            "core/ref_departements",
            "staging/footfall_population",
        ),
        refresh=FROM_DATE,
        feeds=("footfall",),
        procedure="warehouse.footfall:refresh_monthly",
    ),
    Model(
        "marts/footfall_espace_ranking",
        reads=("marts/footfall_monthly", "core/espaces"),
        refresh=REBUILT,
        feeds=("footfall",),
    ),
    Model(
        "marts/footfall_reconciliation",
        reads=("core/footfall", "core/official_figures", "marts/footfall_monthly"),
        refresh=REBUILT,
        feeds=("footfall",),
    ),
)
MODEL_BY_NAME = {model.name: model for model in MODELS}


def check(models: Iterable[Model] = MODELS) -> None:
    """Refuse a graph that reads an undeclared model, has a cycle or an unknown refresh kind."""
    declared = {model.name: model for model in models}
    for model in declared.values():
        if model.refresh not in REFRESH_KINDS:
            raise ValueError(f"{model.name}: unknown refresh kind {model.refresh!r}")
        unknown = [name for name in model.reads if name not in declared]
        if unknown:
            raise ValueError(f"{model.name} reads undeclared model(s) {unknown}")
    creation_order(models)


def creation_order(models: Iterable[Model] = MODELS) -> list[Model]:
    """Every model after the models it reads (declaration order among the free ones)."""
    pending = list(models)
    done: set[str] = set()
    ordered: list[Model] = []
    while pending:
        ready = [m for m in pending if all(name in done for name in m.reads)]
        if not ready:
            raise ValueError(f"the model graph has a cycle among {[m.name for m in pending]}")
        for model in ready:
            ordered.append(model)
            done.add(model.name)
        pending = [m for m in pending if m.name not in done]
    return ordered


def downstream(written: Iterable[str], models: Iterable[Model] = MODELS) -> list[Model]:
    """The models that read, directly or not, any of `written`, in creation order."""
    changed = set(written)
    found: list[Model] = []
    for model in creation_order(models):
        if model.name not in changed and changed & set(model.reads):
            changed.add(model.name)
            found.append(model)
    return found


def refresh_plan(written: Iterable[str], models: Iterable[Model] = MODELS) -> list[Model]:
    """What to bring up to date after a load wrote `written`: its downstream models and the
    reference tables they read (reference data ships with the code: reloaded each time, it is
    small), in creation order."""
    declared = list(models)
    found = downstream(written, declared)
    needed = {name for model in found for name in model.reads}
    references = {m.name for m in declared if m.name in needed and is_reference(m)}
    return [m for m in creation_order(declared) if m.name in references or m in found]


def is_reference(model: Model) -> bool:
    """A table of reference data shipped with the code: reloaded at each refresh that needs it,
    the same rows each time."""
    return not model.reads and model.refresh == REBUILT


def datasets_fed(models: Iterable[Model]) -> list[str]:
    """The release datasets these models feed, each once, in first-seen order."""
    return list(dict.fromkeys(name for model in models for name in model.feeds))


def model_sql(name: str) -> str | None:
    """The text of sql/<layer>/<name>.sql, or None when there is no such file."""
    layer, stem = name.split("/")
    path = resources.files("sql").joinpath(layer, f"{stem}.sql")
    return path.read_text("utf-8") if path.is_file() else None


def procedure(model: Model) -> Callable[..., Any]:
    assert model.procedure is not None
    module, _, function = model.procedure.partition(":")
    return getattr(importlib.import_module(module), function)
