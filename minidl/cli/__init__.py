"""The ``minidl`` command: ``train``, ``eval`` (and more as they land).

``main(argv) -> int`` is what the console script and ``python -m minidl`` call,
and what the tests call with a list of arguments.
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import bench, evaluate, export, gradcheck, predict, train, viz
from .imports import ImportFailed, import_user_code

COMMANDS = {"train": train, "eval": evaluate, "predict": predict, "gradcheck": gradcheck, "bench": bench,
            "viz": viz, "export": export}
# The commands that read model files or name layers, so may need a user's registered classes.
IMPORTING = ("train", "eval", "predict", "gradcheck", "viz", "export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minidl",
        description="minidl: train, evaluate and check neural networks whose every gradient is "
                    "written by hand.",
    )
    parser.add_argument("--version", action="version", version=f"minidl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    for name, command_parser in sub_parsers(parser).items():
        if name in IMPORTING:
            command_parser.add_argument(
                "--import", dest="imports", action="append", default=[], metavar="FILE.py|MODULE",
                help="import this Python file or module first (it registers custom layers with "
                     "@minidl.register_module); may be repeated")
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
        if args.command is None:  # a bare `minidl`: say what it can do
            parser.print_help()
            return 0
        for spec in getattr(args, "imports", []):
            import_user_code(spec)
        # usage errors found after parsing are reported by the subcommand's own parser
        command_parser = sub_parsers(parser)[args.command]
        return COMMANDS[args.command].run(args, command_parser)
    except SystemExit as exit_:  # argparse's --help (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 1
    except ImportFailed as err:
        print(f"minidl {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("minidl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `minidl … | head -1` closed our stdout: stop quietly, as cat does
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail too.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
