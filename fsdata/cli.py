"""`fsdata`: the command line. It parses arguments and runs flows, nothing more."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_FETCH_FAILED = 3
EXIT_BUSY = 4

# source → flow (module:function). Every flow takes `home`, `config` and, for `ingest`,
# `file` plus the options listed in INGEST_OPTIONS; without `file` it pulls the live source.
FLOWS = {
    "espaces": "flows.espaces:espaces",
    "observatoire": "flows.observatoire:observatoire",
    "communes": "flows.communes:communes",
    "partners": "flows.partners:partners",
    "footfall": "flows.footfall:footfall",
    "coverage": "flows.coverage:coverage",
}
# What `refresh` can run: footfall has nothing to pull (it arrives as operators' files);
# coverage is recomputed from the warehouse.
REFRESHABLE = ("espaces", "observatoire", "communes", "partners", "coverage")
INGEST_OPTIONS = {
    "espaces": ("as_of", "accept_row_count"),
    "observatoire": ("edition",),
    "communes": ("vintage",),
    "partners": ("services",),
    "footfall": (),
}
REQUIRED_INGEST_OPTIONS = {"espaces": ("as_of",), "communes": ("vintage",)}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        default=None,
        help="data folder (warehouse, raw archive, exports); default $FSDATA_HOME, else ./data",
    )
    common.add_argument(
        "--config", default=None, help="TOML settings file (default <home>/fsdata.toml)"
    )
    accept = argparse.ArgumentParser(add_help=False)
    accept.add_argument(
        "--accept-row-count",
        action="store_true",
        help="espaces: accept a row count outside the guard for this load only",
    )

    parser = argparse.ArgumentParser(
        prog="fsdata",
        description="France services open-data warehouse: fetch, validate, keep history, publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", parents=[common], help="run every flow on the bundled sample data (offline)"
    )
    refresh = commands.add_parser("refresh", parents=[common, accept], help="pull a live source")
    refresh.add_argument("source", choices=REFRESHABLE)

    ingest = commands.add_parser("ingest", parents=[common, accept], help="load a local file")
    ingest.add_argument("source", choices=tuple(INGEST_OPTIONS))
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--as-of", help="espaces: the date the file is the listing of (YYYY-MM-DD)")
    ingest.add_argument("--edition", help="observatoire: the edition (YYYY-MM)")
    ingest.add_argument("--vintage", type=int, help="communes: the reference year (YYYY)")
    ingest.add_argument("--services", type=Path, help="partners: the partner services file")

    commands.add_parser("status", parents=[common], help="last loads per source")
    commands.add_parser(
        "serve",
        parents=[common],
        help="run every deployment on its schedule from this process (prefect.serve), against "
        "this home's Prefect server (started when none is running)",
    )
    commands.add_parser(
        "docs", parents=[common], help="build GX's Data Docs of the latest validations (on demand)"
    )
    server = commands.add_parser(
        "server",
        parents=[common],
        help="start, stop or show this home's local Prefect server (used by every command)",
    )
    server.add_argument("action", choices=("start", "stop", "status"), nargs="?", default="status")
    server.add_argument("--port", type=int, default=0, help="start: the port (default: a free one)")
    return parser


def _flow(source: str) -> Any:
    module, _, function = FLOWS[source].partition(":")
    return getattr(importlib.import_module(module), function)


def _ingest_arguments(args: argparse.Namespace) -> dict[str, Any] | str:
    """The flow's keyword arguments for `ingest`, or the reason they are incomplete."""
    if not args.file.is_file():
        return f"{args.file}: no such file"
    for option in REQUIRED_INGEST_OPTIONS.get(args.source, ()):
        if getattr(args, option) is None:
            return f"ingest {args.source} needs --{option.replace('_', '-')}"
    for option in ("as_of", "edition", "vintage", "services"):
        if getattr(args, option) is not None and option not in INGEST_OPTIONS[args.source]:
            return f"ingest {args.source} takes no --{option.replace('_', '-')}"
    kwargs: dict[str, Any] = {"file": str(args.file.resolve())}
    for option in INGEST_OPTIONS[args.source]:
        value = getattr(args, option)
        if option == "accept_row_count":
            kwargs[option] = bool(value)
        elif value is not None:
            kwargs[option] = str(value.resolve()) if isinstance(value, Path) else value
    return kwargs


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Path(args.home or os.environ.get("FSDATA_HOME") or "data")

    from fsdata.runtime import prepare_prefect_environment

    prepare_prefect_environment(home)
    if args.command == "status":
        from fsdata.status import print_status

        return print_status(home)
    if args.command == "docs":
        from fsdata.config import load_settings as settings_of
        from warehouse.datadocs import refresh_gx_data_docs
        from warehouse.db import connect

        settings = settings_of(home, args.config)
        with connect(settings.warehouse_path) as con:
            index = refresh_gx_data_docs(con, settings.exports_dir, settings.validation_dir)
        print(f"GX Data Docs: {index}" if index else "no published validation to document")
        return EXIT_OK
    if args.command == "server":
        from fsdata import server

        return server.main(home, args.action, args.port)
    if args.command == "serve":
        from fsdata.server import ServerError, start

        try:
            start(home, started_by="fsdata serve")
        except ServerError as exc:
            print(f"fsdata: server: {exc}", file=sys.stderr)
            return EXIT_ERROR
    from fsdata.runtime import choose_server

    print(choose_server(home).describe(), file=sys.stderr)

    # Imported only now: Prefect reads its settings from the environment at import time.
    from flows.execution import TaskRunnerUnavailable, make_task_runner
    from flows.lock import WarehouseBusy
    from flows.pipeline import LoadFailed, LoadRefused
    from fsdata.config import load_settings

    try:
        make_task_runner(load_settings(home, args.config))  # a bad setting fails here, not mid-run
    except (ValueError, TaskRunnerUnavailable) as exc:
        print(f"fsdata: configuration: {exc}", file=sys.stderr)
        return EXIT_ERROR

    common = {"home": str(home), "config": args.config}
    try:
        if args.command == "demo":
            from flows.demo import demo

            demo(**common)
        elif args.command == "serve":
            from flows.deployments import serve

            serve(str(home.resolve()), args.config)
        elif args.command == "refresh":
            if args.accept_row_count and args.source != "espaces":
                print("fsdata: --accept-row-count applies to espaces only", file=sys.stderr)
                return EXIT_ERROR
            extra = {"accept_row_count": True} if args.accept_row_count else {}
            _flow(args.source)(**common, **extra)
        elif args.command == "ingest":
            kwargs = _ingest_arguments(args)
            if isinstance(kwargs, str):
                print(f"fsdata: {kwargs}", file=sys.stderr)
                return EXIT_ERROR
            _flow(args.source)(**common, **kwargs)
    except LoadRefused as exc:
        print(f"fsdata: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except LoadFailed as exc:
        print(f"fsdata: failed: {exc}", file=sys.stderr)
        return EXIT_FETCH_FAILED
    except WarehouseBusy as exc:
        print(f"fsdata: {exc}", file=sys.stderr)
        return EXIT_BUSY
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
