"""Date columns parsed with one format per column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from hccdash.io import map_unique
from hccdash.mapping.coding import norm_code

DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", "YYYY-MM-DD"),
    ("%Y/%m/%d", "YYYY/MM/DD"),
    ("%Y.%m.%d", "YYYY.MM.DD"),
    ("%Y%m%d", "YYYYMMDD"),
    ("%d/%m/%Y", "DD/MM/YYYY"),
    ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d.%m.%Y", "DD.MM.YYYY"),
    ("%d-%m-%Y", "DD-MM-YYYY"),
    ("%Y-%m-%dT%H:%M:%S", "YYYY-MM-DDThh:mm:ss"),
    ("%Y-%m-%d %H:%M:%S", "YYYY-MM-DD hh:mm:ss"),
    ("%Y年%m月%d日", "YYYY年MM月DD日"),
)


# -- dates ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParsedDates:
    """A date column parsed with one format.

    Attributes
    ----------
    values : pandas.Series
        ``datetime64`` values (NaT where missing or unparsable).
    format : str or None
        The format used (strftime), None when no cell parsed.
    label : str or None
        The format for people (``"DD/MM/YYYY"``).
    bad : tuple of int
        Row positions with a value that does not parse with ``format``.
    ambiguous : bool
        True when day/month and month/day both read every value (the day-first reading is
        used).
    """

    values: pd.Series = field(repr=False)
    format: str | None
    label: str | None
    bad: tuple[int, ...]
    ambiguous: bool


def _strptime_ok(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def parse_dates(values: pd.Series, date_format: str | None = None) -> ParsedDates:
    """Parse a date column with one format: the given one or the one that reads most cells.

    Several formats in one column (``2020-01-03`` next to ``03/01/2020``) are not mixed
    silently: the cells that do not fit the column's main format are reported as bad.
    """
    text = map_unique(values, lambda v: None if norm_code(v) is None else str(v).strip())
    present = text.dropna()
    candidates = [(date_format, date_format)] if date_format else list(DATE_FORMATS)
    best = None
    for fmt, label in candidates:
        ok = present.map({u: _strptime_ok(u, fmt) for u in pd.unique(present)})
        score = int(ok.sum())
        if best is None or score > best[0]:
            best = (score, fmt, label, ok)
    if best is None or best[0] == 0:
        bad = tuple(int(values.index.get_loc(i)) for i in present.index)
        empty = pd.Series(np.datetime64("NaT", "s"), index=values.index, dtype="datetime64[s]")
        return ParsedDates(empty, None, None, bad, False)
    _, fmt, label, ok = best
    ambiguous = False
    if fmt == "%d/%m/%Y":
        ambiguous = all(_strptime_ok(u, "%m/%d/%Y") for u in pd.unique(present))
    # strptime per cell into second resolution: years like 2999 (typos to report) stay
    # representable, unlike pandas' nanosecond default.
    stamps = [
        datetime.strptime(t, fmt) if t is not None and ok.get(i, False) else None
        for i, t in text.items()
    ]
    parsed = pd.Series(
        [np.datetime64(x, "s") if x is not None else np.datetime64("NaT", "s") for x in stamps],
        index=values.index,
        dtype="datetime64[s]",
    )
    bad = tuple(int(values.index.get_loc(i)) for i in ok[~ok].index)
    return ParsedDates(parsed, fmt, label, bad, ambiguous)
