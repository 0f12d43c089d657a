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


# Longest label quoted in a message: a file's 60 MB header cell must not make a 60 MB error.
LABEL_CHARS = 200


def _quoted(x: object) -> str:
    if isinstance(x, str) and len(x) > LABEL_CHARS:
        return f"{x[:LABEL_CHARS]!r}… ({len(x) - LABEL_CHARS} more characters)"
    return repr(x)


def preview_labels(labels: Sequence[object], limit: int = 5) -> str:
    """Format the first row labels of a problem for a message: ``'P03', 'P07' and 2 more``.

    Labels longer than :data:`LABEL_CHARS` characters are cut, saying how much was left out.

    Examples
    --------
    >>> preview_labels(["P03", "P07", "P09"], limit=2)
    "'P03', 'P07' and 1 more"
    >>> preview_labels(["x" * 205])[-30:]
    "xxxxxxxx'… (5 more characters)"
    """
    shown = ", ".join(_quoted(x) for x in list(labels)[:limit])
    extra = len(labels) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown
