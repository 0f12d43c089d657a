"""Checks of the date columns: unreadable or mixed formats, ambiguous day/month, dates in the
future, dates out of order. Run first: durations computed from dates inherit their problems.
Part of :mod:`hccdash.datacheck`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from hccdash.datacheck.report import _Collector, _distinct, _text
from hccdash.errors import preview_labels
from hccdash.io import map_unique
from hccdash.mapping import ColumnMapping, Derived


def _date_problems(
    raw: pd.DataFrame, mapping: ColumnMapping, derived: Derived, col: _Collector, today: date
) -> None:
    for role, parsed in derived.dates.items():
        src = mapping.date_columns()[role]
        values = raw[src]
        bad = pd.Series(False, index=raw.index)
        bad.iloc[list(parsed.bad)] = True
        if bad.any():
            other = _other_format(values[bad])
            if parsed.format is not None and other:
                what = (
                    f"a date in another format ({other}) than the column's "
                    f"{parsed.label} (mixed date formats)"
                )
                fix = (
                    f"write every date in {src!r} in one format, e.g. {parsed.label}, or set "
                    "the date format"
                )
            else:
                what = "a value that is not a date"
                fix = "enter dates such as 2021-03-15 (YYYY-MM-DD), or leave the cell empty"
            col.rows(bad, src, values, what, fix, fatal=True, kind="date_invalid")
        if parsed.ambiguous:
            col.table(
                src,
                f"column {src!r}: every date reads both as day/month and month/day; read as "
                "DD/MM/YYYY",
                "if the dates are MM/DD/YYYY, set the date format to %m/%d/%Y",
                fatal=False,
                kind="date_ambiguous",
            )
        future = parsed.values > pd.Timestamp(today)
        col.rows(
            future, src, values, f"a date in the future (after {today.isoformat()})",
            "correct the date (year typo?)", fatal=True, kind="date_future",
        )  # fmt: skip
    order = (
        ("progression_date", "start_date", "progression before the start date"),
        ("death_date", "start_date", "death before the start date"),
        ("last_followup_date", "start_date", "last follow-up before the start date"),
        ("death_date", "progression_date", "death before progression"),
        ("death_date", "last_followup_date", "last follow-up after death"),
    )
    order += tuple(
        (f"{x.key}_date", "start_date", f"{x.label} event before the start date")
        for x in mapping.endpoints
        if x.end_date is not None
    )
    dcols = mapping.date_columns()
    for later, earlier, what in order:
        if later in derived.dates and earlier in derived.dates:
            a, b = derived.dates[later].values, derived.dates[earlier].values
            mask = a < b
            src = dcols[later]
            if not mask.any():
                continue
            # map_unique: object text whatever the column's dtype (a Categorical's map stays
            # categorical and cannot be concatenated)
            pair = map_unique(raw[dcols[earlier]], _text) + " → " + map_unique(raw[src], _text)
            col.rows(
                mask, src, pair, f"dates out of order ({what})",
                f"check {dcols[earlier]!r} and {src!r} for these patients",
                fatal=True, kind="date_order",
            )  # fmt: skip


def _other_format(values: pd.Series) -> str:
    from hccdash.mapping.dates import DATE_FORMATS, _strptime_ok

    labels = []
    for v in map_unique(values, _text):
        for fmt, label in DATE_FORMATS:
            if _strptime_ok(v, fmt):
                labels.append(label)
                break
    return preview_labels(_distinct(labels), 3) if labels else ""
