"""`fsdata`: the command line. It parses arguments and runs flows, nothing more."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_FETCH_FAILED = 3

SOURCES_WITH_REFRESH = ("espaces",)
SOURCES_WITH_INGEST = ("espaces",)


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

    parser = argparse.ArgumentParser(
        prog="fsdata",
        description="France services open-data warehouse: fetch, validate, keep history, publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "demo", parents=[common], help="run every flow on the bundled sample data (offline)"
    )

    refresh = commands.add_parser("refresh", parents=[common], help="pull a live source")
    refresh.add_argument("source", choices=SOURCES_WITH_REFRESH)
    refresh.add_argument(
        "--accept-row-count",
        action="store_true",
        help="accept a row count outside the guard for this load only (the change is real)",
    )

    ingest = commands.add_parser("ingest", parents=[common], help="load a local file")
    ingest.add_argument("source", choices=SOURCES_WITH_INGEST)
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--as-of", help="date the file is the listing of (YYYY-MM-DD)")
    ingest.add_argument(
        "--accept-row-count",
        action="store_true",
        help="accept a row count outside the guard for this load only (the change is real)",
    )

    commands.add_parser("status", parents=[common], help="last loads per source")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Path(args.home or os.environ.get("FSDATA_HOME") or "data")

    from fsdata.runtime import prepare_prefect_environment

    prepare_prefect_environment(home)

    if args.command == "status":
        from fsdata.status import print_status

        return print_status(home)

    # Imported only now: Prefect reads its settings from the environment at import time.
    from flows.common import LoadFailed, LoadRefused

    try:
        if args.command == "demo":
            from flows.demo import demo

            demo(home=str(home), config=args.config)
        elif args.command == "refresh":
            from flows.espaces import espaces

            espaces(home=str(home), accept_row_count=args.accept_row_count, config=args.config)
        elif args.command == "ingest":
            if not args.file.is_file():
                print(f"fsdata: {args.file}: no such file", file=sys.stderr)
                return EXIT_ERROR
            if args.as_of is None:
                print("fsdata: ingest espaces needs --as-of YYYY-MM-DD", file=sys.stderr)
                return EXIT_ERROR
            from flows.espaces import espaces

            espaces(
                home=str(home),
                file=str(args.file.resolve()),
                as_of=args.as_of,
                accept_row_count=args.accept_row_count,
                config=args.config,
            )
    except LoadRefused as exc:
        print(f"fsdata: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except LoadFailed as exc:
        print(f"fsdata: failed: {exc}", file=sys.stderr)
        return EXIT_FETCH_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
