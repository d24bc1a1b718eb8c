"""Source `partners`: the partner catalogue (reference data kept in `fsdata/reference/`, or a
user's own partners and services files). No machine-readable source exists (SOURCES.md §3).
The administration→partner mapping and the cited official figures always come from the
repository's reference folder; the four files are loaded as one bundle with one checksum.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task

from expectations.runner import RowSplit, ValidationOutcome, validate, values_known
from flows.execution import SourceChecksum
from flows.lock import holds_warehouse
from flows.pipeline import Item, Loaded, Source, as_latest, bundle_checksum, load_items
from fsdata.config import load_settings
from transforms.limits import InputLimits
from transforms.official_figures import read_official_figures
from transforms.partners import (
    default_reference_dir,
    read_administration_partners,
    read_partner_catalogue,
)
from warehouse import partners as store


@task(name="parse partners", cache_policy=SourceChecksum(inputs=("sha256", "limits")))
def parse(
    file: Path, bundle: dict[str, Path | None], sha256: str, limits: InputLimits
) -> dict[str, pl.DataFrame]:
    catalogue = read_partner_catalogue(file, bundle["services"], limits)
    mapping, figures = bundle["administration_partners"], bundle["official_figures"]
    assert mapping is not None and figures is not None
    return {
        "partners": catalogue.partners,
        "services": catalogue.services,
        "aliases": catalogue.aliases,
        "mapping": read_administration_partners(mapping),
        "figures": read_official_figures(figures),
    }


@task(
    name="validate partners",
    cache_policy=SourceChecksum(packages=("transforms", "expectations")),
)
def validate_frames(parsed: dict[str, pl.DataFrame], sha256: str) -> list[ValidationOutcome]:
    """Each file's suite, and each service naming a partner of the same catalogue."""
    codes = set(parsed["partners"]["partner_code"].drop_nulls().to_list())
    known = values_known(parsed["services"], "partner_code", codes, "service_partner_known")
    services = validate(parsed["services"], "partner_services").with_results([known])
    return [validate(parsed["partners"], "partners"), services]


def keep_all(parsed: dict[str, pl.DataFrame], outcomes: list[ValidationOutcome]) -> RowSplit:
    """Reference data: every row is kept (a broken row refuses the catalogue)."""
    warned = {r.rule: r.unexpected_count for o in outcomes for r in o.failures("warning")}
    rows = parsed["partners"].height
    return RowSplit(parsed, [], 0, 0, warned, rows_read=rows, rows_loaded=rows)


def write(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> None:
    frames = loaded.parsed
    store.publish_catalogue(
        con,
        load_id=loaded.load_id,
        partners=frames["partners"],
        services=frames["services"],
        aliases=frames["aliases"],
        mapping=frames["mapping"],
        figures=frames["figures"],
    )


def summarize(con: duckdb.DuckDBPyConnection, loaded: Loaded, _: Any) -> tuple[str, dict[str, int]]:
    frames = loaded.parsed
    editions = con.execute("select count(*) from marts.demarche_partner_coverage").fetchall()
    message = (
        f"published {frames['partners'].height} partners, {frames['services'].height} "
        f"services, {frames['aliases'].height} names, {frames['mapping'].height} administration "
        f"names, {frames['figures'].height} official figures; promise tracker: "
        f"{editions[0][0]} edition(s)"
        + ("" if loaded.item.parse_args["bundle"]["services"] else " (no services file given)")
    )
    return message, {
        "partners": frames["partners"].height,
        "services": frames["services"].height,
        "names": frames["aliases"].height,
        "official figures": frames["figures"].height,
    }


SOURCE = Source(
    "partners", parse, validate_frames, write, summarize, in_force=as_latest, split=keep_all
)


@flow(name="partners", log_prints=True)
@holds_warehouse
def partners(
    home: str, config: str | None = None, file: str | None = None, services: str | None = None
) -> dict[str, Any]:
    """Load the partner catalogue: the repository's when `file` is None, else the user's
    partners file (and `services` file). Raises LoadRefused when nothing was published."""
    settings = load_settings(home, config)
    reference = default_reference_dir()
    if file is None:
        partners_path = reference / "partners.csv"
        services_path = Path(services) if services else reference / "partner_services.csv"
    else:
        # A user's catalogue is theirs entirely: no services file means no services.
        partners_path, services_path = Path(file), Path(services) if services else None
    bundle = {
        "services": services_path,
        "administration_partners": reference / "administration_partners.csv",
        "official_figures": reference / "official_figures.csv",
    }
    files = {"partners": partners_path, **bundle}
    digest = bundle_checksum(settings, SOURCE.name, files)
    item = Item(
        partners_path,
        digest,
        as_of=date.today(),
        slot="the catalogue in force",
        options={name: str(path) if path else None for name, path in files.items()},
        parse_args={"bundle": bundle},
        replay={"file": partners_path, "services": services_path},
        files=tuple(path for path in files.values() if path is not None),
    )
    return load_items(SOURCE, settings, [item]).summaries[0].to_dict()
