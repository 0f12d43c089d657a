"""``analyze``'s competing-risks options (``--competing``, ``--cause``, ``--censor-code``,
``--cause-names``), registered without importing :mod:`hccdash.competing` (scipy, pandas),
which only a ``--competing`` run needs; :mod:`hccdash.competing.cli` re-exports them."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments"]


def _names(text: str) -> dict[object, str]:
    from hccdash.competing.data import code_label

    out: dict[object, str] = {}
    for part in text.split(","):
        if "=" not in part:
            raise argparse.ArgumentTypeError(
                f"{text!r}: give code=name pairs separated by commas, e.g. 1=relapse,2=death"
            )
        code, name = part.split("=", 1)
        out[code_label(code)] = name.strip()
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The competing-risks options of ``analyze``."""
    g = p.add_argument_group("competing risks")
    g.add_argument(
        "--competing",
        action="store_true",
        help="--event holds status codes (0 censored, 1 event of interest, 2.. competing): "
        "adds cif, gray (with --group) and finegray (with --covariates); km/test/cox become "
        "cause-specific",
    )
    g.add_argument(
        "--cause",
        metavar="CODE",
        default=None,
        help="code of the event of interest (default 1, or the codebook's event code)",
    )
    g.add_argument(
        "--censor-code",
        metavar="CODE",
        default=None,
        help="code of censoring (default 0, or the codebook's censored code)",
    )
    g.add_argument(
        "--cause-names", metavar="1=A,2=B", type=_names, help="display names of the codes"
    )
