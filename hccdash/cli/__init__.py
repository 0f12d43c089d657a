"""``python -m hccdash``: the command-line face of the same functions the pages call.

``analyze`` reads a cohort file with :mod:`hccdash.io`, checks it with :mod:`hccdash.datacheck`
(the same report the data page shows) and prints one JSON object (the contract of the
analysis issue) built from :mod:`hccdash.nonparametric`, :mod:`hccdash.compare` and
:mod:`hccdash.cox`. ``figure``, ``synth`` and ``serve`` are registered by their own modules.

One module per command: :mod:`~hccdash.cli.analyze` (its arguments and JSON),
:mod:`~hccdash.cli.load` (its input), :mod:`~hccdash.cli.output` (its JSON blocks and text
table), :mod:`~hccdash.cli.figure` (``figure``); :mod:`~hccdash.cli.args` holds what they
share. ``synth`` and ``serve`` register from :mod:`hccdash.synth` and :mod:`hccdash.serve`.

Bad arguments or bad data: exit code 2 and one line on stderr, never a traceback; anything
unexpected: one line and exit code 1.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from typing import NoReturn

from hccdash import __version__
from hccdash.cli.analyze import add_analyze
from hccdash.cli.args import UsageError, _one_line, _Parser
from hccdash.errors import HccdashError

__all__ = ["PLUGIN_MODULES", "UsageError", "build_parser", "main", "prog_name", "run"]

# Subcommands that live in other modules; each exposes register(subparsers).
PLUGIN_MODULES = ("hccdash.cli.figure", "hccdash.synth", "hccdash.serve")


def prog_name(argv0: str | None = None) -> str:
    """The command as the user typed it: ``hccdash`` (console script) or ``python -m hccdash``."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    if name in ("", "__main__.py", "-c", "-m") or name.endswith(".py"):
        return "python -m hccdash"
    return name


def build_parser(plugins: bool = True) -> argparse.ArgumentParser:
    """The ``hccdash`` parser; ``plugins=False``: ``analyze`` alone (``main`` runs ``analyze``
    without importing the other commands' modules, which load pandas and plotly)."""
    parser = _Parser(
        prog=prog_name(),
        description="Survival analysis for oncology cohorts, exact against R's survival.",
    )
    parser.add_argument("--version", action="version", version=f"hccdash {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_analyze(subparsers)
    for name in PLUGIN_MODULES if plugins else ():
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is missing
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 2 bad input, 1 unexpected failure)."""
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(plugins=argv[:1] != ["analyze"])
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.func(args))
    except (UsageError, HccdashError) as exc:
        print(f"hccdash: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence: one line, exit 1
        print(
            f"hccdash: unexpected error ({type(exc).__name__}): {_one_line(str(exc))}",
            file=sys.stderr,
        )
        return 1


def run() -> NoReturn:
    """The process's entry point (``hccdash`` and ``python -m hccdash``): :func:`main`, exit.

    The cyclic collector is off for the whole process (``python -m hccdash`` turns it off
    before its first import): a command is one pass whose objects reference counting frees,
    and the collections that the imports triggered walked every object made so far (sqlglot's
    expression classes, numpy's), again and again. Before the exit it is frozen
    (:func:`gc.freeze`), so interpreter shutdown does not walk them either (``os._exit`` would
    save as much but skip the atexit handlers). ``analyze --engine`` at 1e6 rows, 20 runs
    each: 0.95 s with the collector as Python sets it, 0.84 s frozen at exit, 0.73 s off and
    frozen. :func:`main`, which tests call in-process, leaves the collector alone.
    """
    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)
