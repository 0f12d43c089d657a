"""Checks of each endpoint's time and event columns, and of PFS against OS.

Times that are not numbers, missing, not finite, negative, zero or implausibly long (a unit or
date error); event codes outside the mapping or missing. Part of :mod:`hccdash.datacheck`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash import schema
from hccdash.codebook import TO_MONTHS
from hccdash.datacheck.report import _a, _Collector
from hccdash.datacheck_entry import UNKNOWN_FIX, unknown_codes_text
from hccdash.io import map_unique
from hccdash.mapping import ColumnMapping, Derived, norm_code, to_number

PLAUSIBLE_MONTHS = 1200.0  # 100 years: longer durations are a unit or date error
ENTRY_COLUMNS = {schema.OS_TIME: schema.OS_ENTRY, schema.PFS_TIME: schema.PFS_ENTRY}


def _endpoint_problems(
    raw: pd.DataFrame,
    data: pd.DataFrame,
    mapping: ColumnMapping,
    derived: Derived,
    col: _Collector,
    plausible_months: float | None,
) -> None:
    slots = mapping.slots()  # OS, PFS and the further endpoints
    for slot in slots:
        label, tcol, src_t, src_e = slot.name, slot.time, slot.src_time, slot.src_event
        coding, unit = slot.coding, slot.unit
        months = data[tcol]
        if src_t is not None:
            values = raw[src_t]
            present = values.pipe(map_unique, norm_code).notna()
            num = to_number(values)
            col.rows(
                present & num.isna(), src_t, values, f"{_a(label)} time that is not a number",
                "enter the time as a number such as 12.5 (decimal point or comma), or leave "
                "it empty if unknown", fatal=True, kind="time_not_number",
            )  # fmt: skip
            col.rows(
                ~present, src_t, values, f"no {label} time",
                f"fill in the time; until then these patients are left out of {label} "
                "analyses (complete cases)", fatal=False, kind="time_missing",
            )  # fmt: skip
            where = src_t
        else:
            values = months
            where = mapping.start_date or tcol
            date_bad = pd.Series(False, index=raw.index)
            for parsed in derived.dates.values():
                date_bad.iloc[list(parsed.bad)] = True
            col.rows(
                months.isna() & ~date_bad, where, values,
                f"no date to compute {label} from (start date or end dates missing)",
                f"fill in the dates; until then these patients are left out of {label} "
                "analyses", fatal=False, kind="time_missing",
            )  # fmt: skip
        col.rows(
            np.isinf(months), where, values, f"{_a(label)} time that is not finite",
            "enter a real duration (the cell overflowed or holds an error)",
            fatal=True, kind="time_not_finite",
        )  # fmt: skip
        if src_t is not None:
            col.rows(
                months < 0, where, values, f"a negative {label} time",
                "times count from the start of follow-up and cannot be negative; correct the "
                "cells", fatal=True, kind="time_negative",
            )  # fmt: skip
        col.rows(
            months == 0, where, values, f"{_a(label)} time of zero",
            "check these: an event or censoring on the day of the start is kept (as in R) "
            "but is often an entry error", fatal=False, kind="time_zero",
        )  # fmt: skip
        if plausible_months is not None:
            limit = plausible_months / TO_MONTHS[unit] if src_t is not None else None
            shown = f"{limit:g} {unit}" if limit is not None else f"{plausible_months:g} months"
            # With delayed entry the time scale may be age: the follow-up is time - entry.
            entry = data.get(slot.entry)
            span = months - entry.fillna(0.0).clip(lower=0.0) if entry is not None else months
            col.rows(
                np.isfinite(months) & (span > plausible_months), where, values,
                f"{_a(label)} time above {shown} (100 years)",
                "check the time unit (days entered as months?) or the dates",
                fatal=True, kind="time_implausible",
            )  # fmt: skip
        if src_e is not None:
            ev = raw[src_e]
            unknown = coding.unknown(ev)
            if unknown.any():
                col.rows(
                    unknown, src_e, ev,
                    f"{_a(label)} event code outside the mapping "
                    f"({unknown_codes_text(src_e, ev, coding)})", UNKNOWN_FIX,
                    fatal=True, kind="event_unknown", show_values=False,
                )  # fmt: skip
            col.rows(
                ev.pipe(map_unique, norm_code).isna(), src_e, ev, f"no {label} event status",
                f"fill in 1 (event) or 0 (censored); until then these patients are left out "
                f"of {label} analyses", fatal=False, kind="event_missing",
            )  # fmt: skip


def _pfs_after_os(data: pd.DataFrame, mapping: ColumnMapping, col: _Collector) -> None:
    if mapping.has_os() and mapping.has_pfs():
        pfs, os_ = data[schema.PFS_TIME], data[schema.OS_TIME]
        mask = pfs > os_ + 1e-9
        src = mapping.pfs_time or mapping.progression_date or schema.PFS_TIME
        pair = pd.Series("", index=pfs.index, dtype=object)
        if mask.any():
            pair[mask] = [f"{p:g} > {o:g}" for p, o in zip(pfs[mask], os_[mask], strict=True)]
        col.rows(
            mask, src, pair, "PFS longer than OS (months)",
            "progression-free survival ends at progression or death, so it cannot exceed "
            "overall survival; correct the times", fatal=True, kind="pfs_after_os",
        )  # fmt: skip
