"""Flow `rebuild`: a warehouse recreated from the raw archive, the way out of a damaged one.

The raw archive keeps every accepted file, unchanged, and a log of every published load in load
order with the flow arguments that load it again (`raw/loads.jsonl`, warehouse/archive.py).
Rebuilding sets the warehouse file (and that log) aside, then replays each logged load through
its flow — the same validation, history and marts — with the repository's reference data; the
release is then repaired from the new warehouse by the publications' release step.
"""

from __future__ import annotations

import importlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from flows.lock import holds_warehouse
from flows.pipeline import LoadRefused
from fsdata.config import load_settings
from warehouse.archive import LOG_NAME, logged_loads


def _named(value: Any, names: dict[str, str], folder: Path) -> Any:
    """An archived file (or list of them) as a copy under its original name in `folder`."""
    if isinstance(value, list):
        return [_named(v, names, folder) for v in value]
    if not isinstance(value, str) or value not in names:
        return value
    folder.mkdir(parents=True, exist_ok=True)
    return str(shutil.copyfile(value, folder / names[value]))


@flow(name="rebuild", log_prints=True)
@holds_warehouse
def rebuild(home: str, config: str | None = None) -> dict[str, Any]:
    """Recreate the warehouse of `home` from its raw archive; what each replayed load gave."""
    settings = load_settings(home, config)
    loads = logged_loads(settings.raw_dir)
    if not loads:
        raise LoadRefused(
            f"{settings.raw_dir / LOG_NAME}: no published load is logged in the raw archive: "
            "nothing to rebuild from"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    set_aside = []
    for path in (
        settings.warehouse_path,
        settings.warehouse_path.with_name(f"{settings.warehouse_path.name}.wal"),
        settings.raw_dir / LOG_NAME,  # the replays log themselves again
    ):
        if path.exists():
            path.rename(path.with_name(f"{path.name}.before-rebuild-{stamp}"))
            set_aside.append(str(path))
    results = []
    for number, entry in enumerate(loads):
        source = entry["source"]
        function = getattr(importlib.import_module(f"flows.{source}"), source)
        # Each file under the name it was loaded with (what an edition or a feed is named).
        folder = settings.home / "tmp" / "rebuild" / str(number)
        arguments = {k: _named(v, entry["names"], folder) for k, v in entry["arguments"].items()}
        results.append(function(home=home, config=config, **arguments))
        shutil.rmtree(folder, ignore_errors=True)
    print(f"rebuilt from {len(loads)} archived loads; set aside: {', '.join(set_aside) or '—'}")
    return {"loads": len(loads), "set_aside": set_aside, "results": results}
