"""``python -m hccdash``: runs :func:`hccdash.cli.main` (the commands live in hccdash/cli/)."""

from __future__ import annotations

import sys

from hccdash.cli import build_parser, main, prog_name

__all__ = ["build_parser", "main", "prog_name"]

if __name__ == "__main__":
    sys.exit(main())
