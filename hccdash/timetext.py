"""The one reader of times typed in a text box (``"12, 24; 36"``): landmark and AUC times."""

from __future__ import annotations

import math


def parse_times(
    text: str, *, scale: float = 1.0, positive: bool = False
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Times typed as numbers separated by commas or semicolons, and the entries refused.

    Parameters
    ----------
    text : str
        What the user typed.
    scale : float
        Multiplies every time (display unit -> months, e.g. 12 for years).
    positive : bool
        Refuse 0 as well as negative times (AUC times); default: 0 is a time.

    Returns
    -------
    times : tuple of float
        Sorted, without repeats, scaled.
    bad : tuple of str
        Entries that are not finite numbers in range, as typed (for the message).

    Examples
    --------
    >>> parse_times("24, 12; 12, x, -1, ")
    ((12.0, 24.0), ('x', '-1'))
    >>> parse_times("0, 1", scale=12, positive=True)
    ((12.0,), ('0',))
    """
    out: set[float] = set()
    bad: list[str] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            bad.append(part)
            continue
        if math.isfinite(value) and (value > 0 if positive else value >= 0):
            out.add(value * scale)
        else:
            bad.append(part)
    return tuple(sorted(out)), tuple(bad)


def ignored_text(
    bad: tuple[str, ...], what: str, example: str = "12, 24", *, positive: bool = False
) -> str | None:
    """The message naming the refused entries, or None when nothing was refused.

    Examples
    --------
    >>> print(ignored_text(("x", "-1"), "Landmark times", "12, 24, 36"))  # doctest: +ELLIPSIS
    Landmark times: 2 entries ignored ('x', '-1'): enter non-negative numbers ... 12, 24, 36.
    """
    if not bad:
        return None
    shown = ", ".join(repr(b) for b in bad[:5])
    kind = "positive" if positive else "non-negative"
    return (
        f"{what}: {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} ignored ({shown}): "
        f"enter {kind} numbers separated by commas, e.g. {example}."
    )
