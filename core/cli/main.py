"""The `pricesync` command line: the parser, the command groups and the one-line errors."""

from __future__ import annotations

import argparse
from typing import NoReturn

from .. import ConfigError, PriceSyncError, check_data_dir, load_settings, terminal, version, writable_data_dir
from . import choosing, history, listing, schedule, status, sync
from .codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from .output import line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 too; keep one line and our prefix
        self.exit(EXIT_USAGE, f"pricesync: {terminal(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pricesync", description="Keep a local catalog of cloud instance prices current.")
    parser.add_argument("--version", action="version", version=f"pricesync {version()}")
    # also before the command (`pricesync --config F sync`); given after it too, that one wins
    parser.add_argument("--data-dir", dest="first_data_dir", metavar="DIR", help="as each command's --data-dir")
    parser.add_argument("--config", dest="first_config", metavar="FILE", help="as each command's --config")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    # Each command group registers its subparsers with set_defaults(handler=fn),
    # fn(args, settings) -> exit code.
    for group in (sync, listing, choosing, schedule, history, status):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # every config value checked here
        settings = load_settings(args.config or args.first_config, args.data_dir or args.first_data_dir)
        # at start, not at 02:00: a command that writes needs a data dir it can write in
        (writable_data_dir if getattr(args, "writes", False) else check_data_dir)(settings.data_dir)
        code: int = args.handler(args, settings)
        return code
    except (ConfigError, UsageError) as exc:
        line(f"pricesync: {exc}", err=True)
        return EXIT_USAGE
    except PriceSyncError as exc:
        line(f"pricesync: {exc}", err=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
