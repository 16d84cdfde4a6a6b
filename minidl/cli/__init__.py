"""The ``minidl`` command: ``train``, ``eval`` (and more as they land).

``main(argv) -> int`` is what the console script and ``python -m minidl`` call,
and what the tests call with a list of arguments.
"""

from __future__ import annotations

import argparse
import sys

from . import bench, evaluate, gradcheck, train, viz

COMMANDS = {"train": train, "eval": evaluate, "gradcheck": gradcheck, "bench": bench, "viz": viz}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minidl",
        description="minidl: train, evaluate and check neural networks whose every gradient is "
                    "written by hand.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def sub_parsers(parser: argparse.ArgumentParser) -> dict:
    """``{command name: its ArgumentParser}``."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def main(argv=None) -> int:
    """Run the ``minidl`` command line; returns the exit status (0 ok, 1 failed, 2 bad usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        # usage errors found after parsing are reported by the subcommand's own parser
        command_parser = sub_parsers(parser)[args.command]
        return COMMANDS[args.command].run(args, command_parser)
    except SystemExit as exit_:  # argparse's --help (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 1
    except KeyboardInterrupt:
        print("minidl: interrupted", file=sys.stderr)
        return 130
