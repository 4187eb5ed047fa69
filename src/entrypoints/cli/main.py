"""``ticketing``: the command line. One subcommand per module in ``ticketing_entrypoints.cli``.

To add a subcommand, write a module with a ``COMMAND`` (see ``Command``) and list it in
``COMMANDS`` below.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ticketing_entrypoints.cli import (
    Command,
    archive,
    migrate,
    reconcile,
    serve,
    verify_draw,
    worker,
)
from ticketing_entrypoints.settings import settings_help

COMMANDS: tuple[Command, ...] = (
    serve.COMMAND,
    migrate.COMMAND,
    worker.COMMAND,
    reconcile.COMMAND,
    verify_draw.COMMAND,
    archive.COMMAND,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ticketing",
        description="A flash-sale ticketing system. Settings come from TICKETING_* variables "
        "(each command's --help lists those it reads); a command refused for its settings "
        "says why in one line and exits with code 2.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = subcommands.add_parser(
            command.name,
            help=command.summary,
            description=command.summary,
            epilog=settings_help(*command.settings),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    exit_code: int = arguments.run(arguments)
    return exit_code
