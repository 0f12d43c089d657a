"""``python -m hccdash``: runs :func:`hccdash.cli.run` (the commands live in hccdash/cli/)."""

from __future__ import annotations

from hccdash.cli import build_parser, main, prog_name, run

__all__ = ["build_parser", "main", "prog_name"]

if __name__ == "__main__":
    run()
