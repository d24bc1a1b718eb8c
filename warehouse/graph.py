"""The model graph: every SQL model of `sql/`, the models it reads, how it is refreshed and the
exported datasets it feeds — declared once, in `sql/graph.toml`, read here.

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
reads has committed (the nearest-espace computation costs seconds and may fail on its own). A
model with `written_by` is written by that source's publications: the roots of what follows a
load of it. `feeds` names the release datasets (warehouse/release_registry.py) it feeds.
"""

from __future__ import annotations

import importlib
import tomllib
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
    written_by: str | None = None  # the source whose publications write it (appended models)

    @property
    def table(self) -> str:
        return self.name.replace("/", ".")


def load_models(text: str) -> tuple[Model, ...]:
    """The models a graph file declares (`[models."<layer>/<name>"]` tables of TOML)."""
    declared = tomllib.loads(text).get("models", {})
    return tuple(
        Model(
            name,
            reads=tuple(spec.get("reads", ())),
            refresh=spec.get("refresh", APPENDED),
            feeds=tuple(spec.get("feeds", ())),
            procedure=spec.get("procedure"),
            runs_in=spec.get("runs_in"),
            written_by=spec.get("written_by"),
        )
        for name, spec in declared.items()
    )


# The one declaration of the graph, beside the models: sql/graph.toml.
MODELS = load_models(resources.files("sql").joinpath("graph.toml").read_text("utf-8"))
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


def source_models(source: str, models: Iterable[Model] = MODELS) -> tuple[str, ...]:
    """The models a run of `source` writes: those its publications append to, or, for a
    derived flow (coverage), those it brings up to date."""
    return tuple(m.name for m in models if source in (m.written_by, m.runs_in))


def datasets_for(source: str, models: Iterable[Model] = MODELS) -> tuple[str, ...]:
    """The release datasets a publication of `source` changes: fed by the models it writes or
    brings up to date, and those the graph rebuilds after them (but not a derived flow's)."""
    declared = list(models)
    written = source_models(source, declared)
    after = [m for m in refresh_plan(written, declared) if m.runs_in in (None, source)]
    return tuple(datasets_fed([MODEL_BY_NAME[name] for name in written] + after))


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
