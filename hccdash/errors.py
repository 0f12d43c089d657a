"""Errors a user can fix.

Every error raised for bad input is a ``ValueError`` subclass whose message names the file or
column, counts the bad rows, quotes the bad values with ``!r`` and says the fix. The UI shows
``str(error)`` in the page and the CLI prints it on one line; neither shows a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class HccdashError(ValueError):
    """Base class of every error hccdash raises on input a user can correct."""


class InputError(HccdashError):
    """A data frame or its columns fail validation (missing, non-numeric, out of range ...)."""


class FileReadError(HccdashError):
    """A file cannot be read as a table (empty, binary, wrong delimiter, unreadable sheet ...)."""


class AnalysisError(HccdashError):
    """An analysis cannot be computed on the data given (one group, no events, too few rows)."""


def preview_labels(labels: Sequence[object], limit: int = 5) -> str:
    """Format the first row labels of a problem for a message: ``'P03', 'P07' and 2 more``."""
    shown = ", ".join(repr(x) for x in list(labels)[:limit])
    extra = len(labels) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown
