"""The command line's shared pieces: one-line usage errors, argument types."""

from __future__ import annotations

import argparse
import math


class UsageError(Exception):
    """A bad command line (argparse would print usage and exit; we print one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _number_list(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers (e.g. 6,12,24)"
        ) from None
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give times >= 0 such as 6,12,24")
    return values


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number > 0")
    return value


def _conf_level(text: str) -> float:
    value = _positive(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1, e.g. 0.95")
    return value


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError("give column names separated by commas, e.g. age,sex")
    return cols


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _ext_columns(args: argparse.Namespace) -> dict[str, str | None]:
    """The issue-18 columns: strata, start, cluster, weights (None when not given)."""
    return {k: getattr(args, k, None) for k in ("strata", "start", "cluster", "weights")}
