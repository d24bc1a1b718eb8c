"""`fsdata`: the command line. It parses arguments and runs flows, nothing more."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from fsdata import guards

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_FETCH_FAILED = 3
EXIT_BUSY = 4
EXIT_DAMAGED = 5
# A run stopped by SIGINT or SIGTERM exits 128 + the signal's number (130, 143).

DAMAGED_WAY_OUT = "recreate it from the raw archive with `fsdata rebuild --home {home}`"

# source → flow (module:function). Every flow takes `home`, `config` and, for `ingest`,
# `file` plus the options listed in INGEST_OPTIONS; without `file` it pulls the live source.
FLOWS = {
    "espaces": "flows.espaces:espaces",
    "observatoire": "flows.observatoire:observatoire",
    "communes": "flows.communes:communes",
    "partners": "flows.partners:partners",
    "footfall": "flows.footfall:footfall",
    "coverage": "flows.coverage:coverage",
    "barometre": "flows.barometre:barometre",
    "mediation": "flows.mediation:mediation",
    "conseillers": "flows.conseillers:conseillers",
}
# What `refresh` can run: footfall has nothing to pull (it arrives as operators' files);
# coverage is recomputed from the warehouse.
REFRESHABLE = (
    "espaces", "observatoire", "communes", "partners", "barometre", "mediation", "coverage",
)  # fmt: skip
INGEST_OPTIONS = {
    "espaces": ("as_of", "accept_row_count"),
    "observatoire": ("edition",),
    "communes": ("vintage",),
    "partners": ("services",),
    "footfall": (),
    "barometre": (),
    "mediation": ("as_of",),
    "conseillers": ("as_of",),
}
# Sources a load of several files at once is one bundle of (the baromètre's files).
MULTI_FILE = ("barometre",)
REQUIRED_INGEST_OPTIONS = {
    "espaces": ("as_of",),
    "communes": ("vintage",),
    "mediation": ("as_of",),
    "conseillers": ("as_of",),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1 (2 means a refused input here)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--home",
        default=None,
        help="data folder (warehouse, raw archive, exports); default $FSDATA_HOME, else ./data",
    )
    common.add_argument(
        "--config", default=None, help="TOML settings file (default <home>/fsdata.toml)"
    )
    accept = _Parser(add_help=False)
    accept.add_argument(
        "--accept-row-count",
        action="store_true",
        help="espaces: accept a row count outside the guard for this load only",
    )

    parser = _Parser(
        prog="fsdata",
        description="France services open-data warehouse: fetch, validate, keep history, publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="run every flow on the bundled real public files (offline)",
    )
    demo.add_argument(
        "--samples",
        action="store_true",
        help="the small invented samples instead (SYNTHETIC footfall among them), as the tests",
    )
    refresh = commands.add_parser("refresh", parents=[common, accept], help="pull a live source")
    refresh.add_argument("source", choices=REFRESHABLE)

    ingest = commands.add_parser("ingest", parents=[common, accept], help="load a local file")
    ingest.add_argument("source", choices=tuple(INGEST_OPTIONS))
    ingest.add_argument("file", type=Path, nargs="+", help="the file (baromètre: the files)")
    ingest.add_argument(
        "--as-of",
        help="espaces, mediation, conseillers: the date the file is the data of (YYYY-MM-DD)",
    )
    ingest.add_argument("--edition", help="observatoire: the edition (YYYY-MM)")
    ingest.add_argument("--vintage", type=int, help="communes: the reference year (YYYY)")
    ingest.add_argument("--services", type=Path, help="partners: the partner services file")

    publish = commands.add_parser(
        "publish", parents=[common], help="send the release to the targets of fsdata.toml"
    )
    publish.add_argument(
        "--target",
        action="append",
        help="a target of fsdata.toml (s3, datagouv); repeatable; default: every one configured",
    )
    publish.add_argument(
        "--dry-run", action="store_true", help="print the plan; send nothing, record nothing"
    )

    commands.add_parser("status", parents=[common], help="last loads per source")
    sql = commands.add_parser(
        "sql",
        parents=[common],
        help="query the analyst database <home>/exports/france_services.duckdb (read-only)",
    )
    sql.add_argument("query", nargs="?", help="SQL; without it, a prompt (or standard input)")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.add_argument(
        "--database", type=Path, help="another analyst database file (e.g. a downloaded copy)"
    )
    verify = commands.add_parser(
        "verify",
        parents=[common],
        help="check a release folder: SHA256SUMS, unlisted files, datapackage.json hashes",
    )
    verify.add_argument("--exports", type=Path, help="the release folder (default <home>/exports)")
    commands.add_parser(
        "rebuild",
        parents=[common],
        help="recreate the warehouse from the raw archive (every published load, in order)",
    )
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


def _ingest_arguments(args: argparse.Namespace) -> dict[str, Any] | tuple[int, str]:
    """The flow's keyword arguments for `ingest`, or (exit code, why they are refused)."""
    if len(args.file) > 1 and args.source not in MULTI_FILE:
        return EXIT_ERROR, f"ingest {args.source} takes one file"
    for option in REQUIRED_INGEST_OPTIONS.get(args.source, ()):
        if getattr(args, option) is None:
            return EXIT_ERROR, f"ingest {args.source} needs --{option.replace('_', '-')}"
    for option in ("as_of", "edition", "vintage", "services"):
        if getattr(args, option) is not None and option not in INGEST_OPTIONS[args.source]:
            return EXIT_ERROR, f"ingest {args.source} takes no --{option.replace('_', '-')}"
    if args.as_of is not None:
        day = guards.parse_as_of(args.as_of)
        if isinstance(day, str):
            return EXIT_ERROR, day
        args.as_of = day.isoformat()
    if args.vintage is not None and (problem := guards.vintage_problem(args.vintage)):
        return EXIT_ERROR, problem
    for path in (*args.file, args.services):
        if path is not None and (problem := guards.input_file_problem(path)):
            exists = os.path.lexists(path)
            return (EXIT_REFUSED if exists else EXIT_ERROR), problem
    # absolute(), not resolve(): the file named is read, not whatever a link points to.
    files = [str(path.absolute()) for path in args.file]
    kwargs: dict[str, Any] = {"file": files if args.source in MULTI_FILE else files[0]}
    for option in INGEST_OPTIONS[args.source]:
        value = getattr(args, option)
        if option == "accept_row_count":
            kwargs[option] = bool(value)
        elif value is not None:
            kwargs[option] = str(value.absolute()) if isinstance(value, Path) else value
    return kwargs


def _publish(home: Path, args: argparse.Namespace) -> int:
    """`fsdata publish`: under the warehouse lock (the state is in the warehouse)."""
    from flows.lock import warehouse_lock
    from fsdata.config import load_settings
    from fsdata.publish import PublishError, ReleaseInvalid, publish_release

    settings = load_settings(home, args.config)
    try:
        with warehouse_lock(settings.home, settings.lock_timeout):
            report = publish_release(settings, args.target, dry_run=args.dry_run)
    except PublishError as exc:
        print(f"fsdata: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ReleaseInvalid as exc:
        print(f"fsdata: refused, nothing was published: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    for line in report.lines():
        print(line)
    kinds = {target.error_kind for target in report.failures()}
    for target in report.failures():
        print(f"fsdata: {target.error}", file=sys.stderr)
    if kinds & {"auth", "remote"}:
        return EXIT_FETCH_FAILED
    return EXIT_ERROR if kinds else EXIT_OK


def _verify(exports: Path, warehouse: Path | None = None) -> int:
    from warehouse.release_files import differences_from_records, verify_release

    checked, problems = verify_release(exports)
    against = ""
    if warehouse is not None and warehouse.is_file():
        import duckdb

        from warehouse.release_files import read_records

        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.Error:
            print(f"fsdata verify: {warehouse} is in use: the folder alone is checked")
        else:
            try:
                problems += differences_from_records(exports, read_records(con))
                against = " and the warehouse's records"
            except duckdb.CatalogException:
                pass  # a warehouse from before the release was recorded
            finally:
                con.close()
    for problem in problems:
        print(f"{exports}/{problem}", file=sys.stderr)
    if problems:
        print(f"fsdata verify: {len(problems)} problem(s) in {exports}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{exports}: {checked} files match SHA256SUMS, datapackage.json{against}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Path(args.home or os.environ.get("FSDATA_HOME") or "data")
    # Reading the release needs neither Prefect nor the warehouse: answered before either.
    if args.command == "sql":
        from fsdata.analyst_sql import main as sql_main
        from warehouse.release_registry import ANALYST_DATABASE

        database = args.database or home / "exports" / ANALYST_DATABASE
        return sql_main(database, args.query, args.format)
    if args.command == "verify":
        # On the operator's home, the folder is also checked against the warehouse's records.
        warehouse = None if args.exports else home / "warehouse.duckdb"
        return _verify(args.exports or home / "exports", warehouse)

    # Arguments first, then the home: a refused command leaves no folder behind.
    kwargs: dict[str, Any] = {}
    if args.command == "ingest":
        checked = _ingest_arguments(args)
        if isinstance(checked, tuple):
            print(f"fsdata: {checked[1]}", file=sys.stderr)
            return checked[0]
        kwargs = checked
    if args.command == "refresh" and args.accept_row_count and args.source != "espaces":
        print("fsdata: --accept-row-count applies to espaces only", file=sys.stderr)
        return EXIT_ERROR
    problem = guards.home_problem(home, write=args.command != "status")
    if problem:
        print(f"fsdata: {problem}", file=sys.stderr)
        return EXIT_ERROR
    warehouse = home / "warehouse.duckdb"
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
    from warehouse.health import warehouse_damage

    damage = warehouse_damage(warehouse)
    if damage and args.command != "rebuild":  # rebuilding is the way out of a damaged one
        return _damaged(home, damage)

    from fsdata.runtime import choose_server

    print(choose_server(home).describe())  # which Prefect server this run reports to

    from fsdata.runtime import prepare_prefect_environment

    prepare_prefect_environment(home)
    with guards.signals_as_exceptions():
        try:
            return _run(args, home, kwargs)
        except BaseException as exc:
            signum = guards.signal_received(exc)
            if signum is None:
                raise
            # Whatever the signal became on its way up (DuckDB: "Query interrupted").
            stopped = exc if isinstance(exc, guards.Interrupted) else guards.Interrupted(signum)
            from warehouse.health import mark_unfinished

            mark_unfinished(warehouse, "interrupted", f"the run was {stopped}")
            print(f"fsdata: {stopped}: nothing more was published", file=sys.stderr)
            return stopped.exit_code


def _damaged(home: Path, reason: str) -> int:
    way_out = DAMAGED_WAY_OUT.format(home=home)
    print(f"fsdata: the warehouse {home / 'warehouse.duckdb'} is damaged ({reason}); {way_out}",
          file=sys.stderr)  # fmt: skip
    return EXIT_DAMAGED


def _run(args: argparse.Namespace, home: Path, kwargs: dict[str, Any]) -> int:
    # Imported only now: Prefect reads its settings from the environment at import time.
    import duckdb

    from flows.execution import TaskRunnerUnavailable, make_task_runner
    from flows.lock import WarehouseBusy
    from flows.pipeline import LoadFailed, LoadRefused
    from fsdata.config import load_settings
    from warehouse.health import WarehouseHeld, damage_of, mark_unfinished
    from warehouse.release import ReleaseFailed

    try:
        make_task_runner(load_settings(home, args.config))  # a bad setting fails here, not mid-run
    except (ValueError, TaskRunnerUnavailable) as exc:
        print(f"fsdata: configuration: {exc}", file=sys.stderr)
        return EXIT_ERROR

    common = {"home": str(home), "config": args.config}
    warehouse = home / "warehouse.duckdb"
    try:
        if args.command == "demo":
            from flows.demo import demo

            demo(**common, samples=args.samples)
        elif args.command == "publish":
            return _publish(home, args)
        elif args.command == "rebuild":
            from flows.rebuild import rebuild

            rebuild(**common)
        elif args.command == "serve":
            from flows.deployments import serve

            serve(str(home.resolve()), args.config)
        elif args.command == "refresh":
            extra = {"accept_row_count": True} if args.accept_row_count else {}
            _flow(args.source)(**common, **extra)
        elif args.command == "ingest":
            _flow(args.source)(**common, **kwargs)
    except (LoadRefused, LoadFailed, WarehouseBusy, WarehouseHeld, ReleaseFailed) as exc:
        # Foreseeable: the reason in one line, and the code that says which.
        code = {LoadRefused: EXIT_REFUSED, LoadFailed: EXIT_FETCH_FAILED}.get(type(exc))
        if code is None:
            code = EXIT_ERROR if isinstance(exc, ReleaseFailed) else EXIT_BUSY
        failed = "failed: " if code == EXIT_FETCH_FAILED else ""
        print(f"fsdata: {failed}{exc}", file=sys.stderr)
        return code
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        if damage := damage_of(exc):
            reason = str(damage).splitlines()[0]
            mark_unfinished(warehouse, "failed", f"the warehouse is damaged: {reason}")
            return _damaged(home, reason)
        line = guards.database_io_line(str(exc))
        if line is None:
            raise
        mark_unfinished(warehouse, "failed", line)
        print(f"fsdata: {line}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        line = guards.os_error_line(exc)
        mark_unfinished(warehouse, "failed", line)
        print(f"fsdata: {line}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
