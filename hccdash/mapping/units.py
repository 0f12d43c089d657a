"""The time unit checked against the columns' names and range (a warning, never an exclusion)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hccdash.codebook import TO_MONTHS
from hccdash.mapping.columns import ColumnMapping
from hccdash.mapping.guess import _unit_of
from hccdash.mapping.normalise import to_number

# -- unit check and codebook -------------------------------------------------------------
# Longest follow-up beyond 50 years, or beyond 30 years with a median beyond 10, suggests a
# unit error (days read as months). Registries such as R's mgus2 (Mayo, follow-up to 35 years,
# median 8) are real: the median keeps them from a false alarm.
PLAUSIBLE_MAX_MONTHS = 600.0
LONG_MAX_MONTHS = 360.0
LONG_MEDIAN_MONTHS = 120.0


@dataclass(frozen=True)
class UnitAdvice:
    """A doubt about the time unit: the message and the unit one click switches to."""

    message: str
    suggested: str


def time_unit_of(mapping: ColumnMapping) -> str | None:
    """The unit stated by the names of the mapped time columns, if any."""
    cols = [c for c in (mapping.os_time, mapping.pfs_time) if c is not None]
    return next((u for u in map(_unit_of, cols) if u), None)


def unit_check(data: pd.DataFrame, mapping: ColumnMapping) -> UnitAdvice | None:
    """Compare the chosen unit with the time columns' names and range; None when they fit.

    A warning, never an exclusion: the fix is to change the unit (``suggested``).

    >>> d = pd.DataFrame({"Survival_days": [30.0, 400.0, 2400.0], "dead": [1, 0, 1]})
    >>> m = ColumnMapping(os_time="Survival_days", os_event="dead", time_unit="months")
    >>> unit_check(d, m).suggested
    'days'
    """
    both = ((mapping.os_time, mapping.os_entry), (mapping.pfs_time, mapping.pfs_entry))
    pairs = [(t, e) for t, e in both if t is not None and t in data]
    cols = [t for t, _ in pairs]
    if not cols:
        return None
    unit = mapping.time_unit
    named = time_unit_of(mapping)

    def span(t: str, e: str | None) -> pd.Series:
        # with delayed entry the time scale may be age: the follow-up is time - entry
        if e is None or e not in data:
            return to_number(data[t])
        return to_number(data[t]) - to_number(data[e]).fillna(0.0).clip(lower=0.0)

    times = pd.concat([span(t, e) for t, e in pairs]).dropna()
    if named is not None and named != unit:
        return UnitAdvice(
            f"The time column {cols[0]!r} is named in {named}, but the times are read as "
            f"{unit}; read them as {named}?",
            named,
        )
    if times.empty:
        return None
    top, mid = float(times.max()), float(times.median())
    months = top * TO_MONTHS[unit]
    implausible = months > PLAUSIBLE_MAX_MONTHS or (
        months > LONG_MAX_MONTHS and mid * TO_MONTHS[unit] > LONG_MEDIAN_MONTHS
    )
    if implausible:
        smaller = [u for u in ("days", "weeks") if TO_MONTHS[u] < TO_MONTHS[unit]]
        fit = next((u for u in smaller if top * TO_MONTHS[u] <= LONG_MAX_MONTHS), None)
        if fit is not None:
            return UnitAdvice(
                f"Read as {unit}, the longest follow-up is {months / 12:.0f} years (median "
                f"{mid:g} {unit}); these look like {fit}. Read the times as {fit}?",
                fit,
            )
    if unit == "days" and top < 60 and mid < 30:
        return UnitAdvice(
            f"Read as days, the longest follow-up is {top:g} days (median {mid:g}); these look "
            "like months. Read the times as months?",
            "months",
        )
    return None
