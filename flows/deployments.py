"""The deployments `prefect.yaml` declares, built in Python for `fsdata serve` (one process, one
machine). Schedules follow each source's cadence; keep the two in step."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Deployment:
    name: str
    entrypoint: str  # module:function
    cron: str | None  # None: run on demand (API, UI, `prefect deployment run`)
    tags: tuple[str, ...]
    description: str


DEPLOYMENTS = (
    Deployment(
        "espaces-daily",
        "flows.espaces:espaces",
        "0 6 * * *",
        ("espaces", "live"),
        "The listing is overwritten in place on data.gouv.fr: check it every morning.",
    ),
    Deployment(
        "observatoire-weekly",
        "flows.observatoire:observatoire",
        "0 7 * * 1",
        ("observatoire", "live"),
        "Editions are quarterly: a weekly look for a new edition is enough.",
    ),
    Deployment(
        "communes-yearly",
        "flows.communes:communes",
        "0 5 15 1 *",
        ("communes", "live"),
        "The commune reference changes once a year (1 January); load it mid-January.",
    ),
    Deployment(
        "partners-monthly",
        "flows.partners:partners",
        "0 5 1 * *",
        ("partners", "reference"),
        "The partner catalogue ships with the code: a monthly run picks up a new release and "
        "rebuilds the promise tracker.",
    ),
    Deployment(
        "footfall-on-demand",
        "flows.footfall:footfall",
        None,
        ("footfall", "operators"),
        "No live source: operators send monthly files; run with parameter `file`.",
    ),
    Deployment(
        "coverage-on-demand",
        "flows.coverage:coverage",
        None,
        ("coverage", "derived"),
        "Runs after every espaces and communes publication; by hand after a repair.",
    ),
    Deployment(
        "refresh-all-weekly",
        "flows.refresh_all:refresh_all",
        "0 3 * * 0",
        ("refresh", "live"),
        "Every live source then coverage, once a week.",
    ),
)


def flow_of(deployment: Deployment) -> Any:
    module, _, function = deployment.entrypoint.partition(":")
    return getattr(importlib.import_module(module), function)


def build(home: str, config: str | None = None) -> list[Any]:
    """`RunnerDeployment`s for `prefect.serve`, each with the home and config parameters."""
    from prefect.schedules import Cron

    parameters: dict[str, Any] = {"home": home}
    if config:
        parameters["config"] = config
    return [
        flow_of(d).to_deployment(
            name=d.name,
            schedules=[Cron(d.cron, timezone=TIMEZONE)] if d.cron else None,
            parameters=parameters,
            tags=list(d.tags),
            description=d.description,
        )
        for d in DEPLOYMENTS
    ]


def serve(home: str, config: str | None = None) -> None:
    from prefect import serve as prefect_serve

    prefect_serve(*build(home, config))
