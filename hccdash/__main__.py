"""``python -m hccdash``: runs :func:`hccdash.cli.run` (the commands live in hccdash/cli/)."""

from __future__ import annotations

import gc

if __name__ == "__main__":
    gc.disable()  # before the imports (see hccdash.cli.run); not when a test imports main

from hccdash.cli import build_parser, main, prog_name, run

__all__ = ["build_parser", "main", "prog_name"]

if __name__ == "__main__":
    run()
