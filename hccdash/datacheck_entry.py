"""Upload checks of delayed entry and event codes (part of :func:`hccdash.datacheck.check`).

Delayed entry makes each row the interval ``(entry, time]`` (R ``Surv(entry, time, event)``),
so the entry must be a number, not negative, and below the endpoint's time (R refuses
``start >= stop``). An event code the mapping does not declare is reported per code with its
count; the fix is to declare it (event, censored or a competing event type), never to drop
the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.io import map_unique
from hccdash.mapping import ENTRY_FROM_DATES, ColumnMapping, EventCoding, norm_code, to_number

ENTRY_KINDS = ("entry_not_number", "entry_negative", "entry_not_before_time", "entry_missing")


def code_counts(values: pd.Series, mask: pd.Series | None = None) -> list[tuple[str, int]]:
    """(code, rows) of the present codes of ``values`` (where ``mask``), most frequent
    first, as :func:`~hccdash.mapping.norm_code` reads them.

    >>> code_counts(pd.Series([2, 1, 2.0, None, "2"]))
    [('2', 3), ('1', 1)]
    """
    keys = map_unique(values, norm_code)
    if mask is not None:
        keys = keys[mask.fillna(False).astype(bool)]
    counts = keys.dropna().value_counts(sort=False)
    return sorted(((str(k), int(n)) for k, n in counts.items()), key=lambda kv: (-kv[1], kv[0]))


def unknown_codes_text(column: str, values: pd.Series, coding: EventCoding) -> str:
    """The codes of ``column`` the coding does not declare, with their row counts."""
    counts = code_counts(values, coding.unknown(values))
    shown = ", ".join(f"{k!r} ({n} row{'s' if n != 1 else ''})" for k, n in counts[:8])
    more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
    return f"{len(counts)} undeclared code{'s' if len(counts) != 1 else ''}: {shown}{more}"


UNKNOWN_FIX = (
    "declare each of these codes in the mapping's event coding (step 2) as the event of "
    "interest, censored or a competing event type; rows are never excluded for their codes"
)


def entry_problems(raw: pd.DataFrame, data: pd.DataFrame, mapping: ColumnMapping, col) -> None:
    """Add the delayed-entry problems of each endpoint with an entry to the collector."""
    for slot in mapping.slots():  # OS, PFS and the further endpoints
        label, tcol, ecol, how = slot.name, slot.time, slot.entry, slot.entry_source
        if how is None or ecol not in data or tcol not in data:
            continue
        entry, stop = data[ecol], data[tcol]
        an = "an" if label[0] in "AEIOU" else "a"
        if how == ENTRY_FROM_DATES:
            where, values = str(mapping.entry_date), raw[str(mapping.entry_date)]
        else:
            where, values = how, raw[how]
            present = map_unique(values, norm_code).notna()
            col.rows(
                present & to_number(values).isna(), where, values,
                f"{an} {label} entry time that is not a number",
                "enter the entry time as a number in the unit of the time columns, or leave it "
                "empty if unknown", fatal=True, kind="entry_not_number",
            )  # fmt: skip
        col.rows(
            entry < 0, where, values, f"{an} {label} entry before the start (negative entry time)",
            "the entry counts from the same start as the time; correct the cells (or the "
            "start date)", fatal=True, kind="entry_negative",
        )  # fmt: skip
        bad = entry.notna() & stop.notna() & ~(entry < stop)
        shown = pd.Series("", index=data.index, dtype=object)
        if bad.any():
            shown[bad] = [f"{a:g} ≥ {b:g}" for a, b in zip(entry[bad], stop[bad], strict=True)]
        col.rows(
            bad, where, shown, f"{an} {label} entry time not below the {label} time (months)",
            "each row is the interval (entry, time]: the entry must come before the event or "
            "censoring (R refuses start >= stop); correct the entry or the time",
            fatal=True, kind="entry_not_before_time",
        )  # fmt: skip
        given = map_unique(values, norm_code).notna()
        col.rows(
            entry.isna() & stop.notna() & ~np.isinf(stop) & ~given, where, values,
            f"no {label} entry time",
            f"fill in the entry; until then these patients are left out of {label} analyses "
            "with delayed entry (complete cases)", fatal=False, kind="entry_missing",
        )  # fmt: skip
