"""Apply a mapping: the canonical cohort frame of a user's table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash import schema
from hccdash.codebook import DAYS_PER_MONTH, status_column_name
from hccdash.errors import InputError, preview_labels
from hccdash.io import map_levels, map_unique
from hccdash.mapping.coding import EventCoding, norm_code
from hccdash.mapping.columns import ENTRY_FROM_DATES, ColumnMapping
from hccdash.mapping.dates import ParsedDates, parse_dates
from hccdash.mapping.normalise import (
    cut_column_name,
    normalise_child_pugh,
    normalise_yes_no,
    to_months,
    to_number,
)


# -- applying ------------------------------------------------------------------------------
def check_columns(data: pd.DataFrame, mapping: ColumnMapping) -> None:
    """Raise InputError when the mapping names columns the data lack or collide.

    Raises
    ------
    InputError
        Missing columns (listing the available ones), an endpoint with a time but no event
        (or the reverse), or an extra factor whose name is a canonical column in use.
    """
    missing = [c for c in mapping.source_columns() if c not in data.columns]
    if missing:
        raise InputError(
            f"mapping names {len(missing)} columns the file does not have: "
            f"{preview_labels(missing)}; the file has {preview_labels(list(data.columns), 8)}; "
            "fix: choose columns from the file (or load the mapping saved for this file)."
        )
    for label, t, e in (
        ("OS", mapping.os_time, mapping.os_event),
        ("PFS", mapping.pfs_time, mapping.pfs_event),
        *((x.label, x.time, x.event) for x in mapping.endpoints),
    ):
        if t is not None and e is None:
            raise InputError(
                f"{label} time column {t!r} has no event column; fix: choose the {label} event "
                "column (1 = event, 0 = censored)."
            )
    for x in mapping.endpoints:
        if x.time is None and not mapping.has_endpoint(x):
            raise InputError(
                f"endpoint {x.label!r} has neither a time column nor its dates; fix: choose its "
                "time and event columns, or its event date with the start and last follow-up "
                "dates (or remove the endpoint)."
            )
    if not mapping.slots():
        raise InputError(
            "mapping defines no endpoint; fix: choose an OS or PFS time and event column, or "
            "the start date with the death/last follow-up dates to compute them."
        )
    if mapping.entry_date is not None and mapping.start_date is None:
        raise InputError(
            f"entry date column {mapping.entry_date!r} needs the start date the times count "
            "from; fix: choose the start date column too (entry time = entry date - start "
            "date), or an entry time column instead."
        )
    canonical = _canonical_names(mapping)
    clash = [c for c in mapping.extra_factors if c in canonical]
    if clash:
        raise InputError(
            f"extra factors {preview_labels(clash)} have the names of canonical columns "
            "already in use; fix: map them to their role instead, or rename them in the file."
        )


def _canonical_names(mapping: ColumnMapping) -> set[str]:
    names = {schema.PATIENT_ID}
    if mapping.has_os():
        names |= {schema.OS_TIME, schema.OS_EVENT, schema.OS_ENTRY,
                  status_column_name(schema.OS_EVENT)}  # fmt: skip
    if mapping.has_pfs():
        names |= {schema.PFS_TIME, schema.PFS_EVENT, schema.PFS_ENTRY,
                  status_column_name(schema.PFS_EVENT)}  # fmt: skip
    for x in mapping.endpoints:
        names |= {*x.columns(), status_column_name(x.columns()[1])}
    return names | set(mapping.roles())


def row_labels(data: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """Patient id per row as text; ``"row N"`` (spreadsheet row, header = row 1) when the id
    column is not mapped or the cell is empty."""
    fallback = pd.Series([f"row {i + 2}" for i in range(len(data))], index=data.index)
    if mapping.patient_id is None:
        return fallback
    ids = map_unique(
        data[mapping.patient_id],
        lambda v: (
            None
            if norm_code(v) is None
            else (str(norm_code(v)) if isinstance(v, float | np.floating) else str(v).strip())
        ),
    )
    return ids.where(ids.notna(), fallback).astype(object)


@dataclass(frozen=True)
class Derived:
    """Canonical endpoint columns and the parsed dates they came from."""

    frame: pd.DataFrame = field(repr=False)
    dates: dict[str, ParsedDates] = field(repr=False)


def derive_endpoints(data: pd.DataFrame, mapping: ColumnMapping) -> Derived:
    """Months and events per row of every endpoint (NaN where missing or unreadable)."""
    out = pd.DataFrame(index=data.index)
    dates = {
        role: parse_dates(data[col], mapping.date_format)
        for role, col in mapping.date_columns().items()
    }

    def date(role: str) -> pd.Series:
        if role in dates:
            return dates[role].values
        return pd.Series(np.datetime64("NaT", "s"), index=data.index, dtype="datetime64[s]")

    def months(end: pd.Series) -> pd.Series:
        return (end - date("start_date")).dt.days.astype(float) / DAYS_PER_MONTH

    if mapping.os_time is not None and mapping.os_event is not None:
        out[schema.OS_TIME] = to_months(to_number(data[mapping.os_time]), mapping.time_unit)
        out[schema.OS_EVENT] = mapping.os_coding.codes(data[mapping.os_event])
    elif mapping.os_from_dates():
        death, last = date("death_date"), date("last_followup_date")
        out[schema.OS_TIME] = months(death.fillna(last))
        if mapping.os_event is not None:
            out[schema.OS_EVENT] = mapping.os_coding.codes(data[mapping.os_event])
        else:
            ev = death.notna().astype(float)
            out[schema.OS_EVENT] = ev.where(death.notna() | last.notna(), np.nan)
    if mapping.pfs_time is not None and mapping.pfs_event is not None:
        out[schema.PFS_TIME] = to_months(to_number(data[mapping.pfs_time]), mapping.time_unit)
        out[schema.PFS_EVENT] = mapping.pfs_coding.codes(data[mapping.pfs_event])
    elif mapping.pfs_from_dates():
        prog, death, last = date("progression_date"), date("death_date"), date("last_followup_date")
        first = pd.concat([prog, death], axis=1).min(axis=1)
        out[schema.PFS_TIME] = months(first.fillna(last))
        if mapping.pfs_event is not None:
            out[schema.PFS_EVENT] = mapping.pfs_coding.codes(data[mapping.pfs_event])
        else:
            ev = first.notna().astype(float)
            out[schema.PFS_EVENT] = ev.where(first.notna() | last.notna(), np.nan)
    for x in mapping.endpoints:  # the further endpoints: a time column, or dates
        if not mapping.has_endpoint(x):
            continue
        tcol, ecol, _ = x.columns()
        if x.time is not None:
            out[tcol] = to_months(to_number(data[x.time]), x.unit or mapping.time_unit)
            out[ecol] = x.coding.codes(data[x.event])
            continue
        end, last = date(f"{x.key}_date"), date("last_followup_date")
        out[tcol] = months(end.fillna(last))
        if x.event is not None:
            out[ecol] = x.coding.codes(data[x.event])
        else:
            out[ecol] = end.notna().astype(float).where(end.notna() | last.notna(), np.nan)
    for slot in mapping.slots():
        how = slot.entry_source if slot.event in out else None
        if how == ENTRY_FROM_DATES:
            out[slot.entry] = months(date("entry_date"))
        elif how is not None:
            out[slot.entry] = to_months(to_number(data[how]), slot.unit)
    out = out.astype(float)
    for slot in mapping.slots():
        coding: EventCoding = slot.coding
        if slot.event in out and slot.src_event is not None and coding.competing:
            out[status_column_name(slot.event)] = coding.status(data[slot.src_event])
    return Derived(out, dates)


def apply_mapping(data: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    """The canonical frame (column names of :mod:`hccdash.schema`) for ``data``.

    ``data`` is not modified. Times are in months (converted from ``mapping.time_unit`` or
    computed from dates, :data:`DERIVATION_RULE`), events 1.0/0.0 (NaN where missing or not
    in the coding), yes/no roles "Yes"/"No", the class role "A"/"B"/"C", KPS numeric, treatment
    text; extra factors keep their names and values; each cut point adds a two-level column.

    Raises
    ------
    InputError
        When the mapping does not fit the columns (see :func:`check_columns`).
    """
    check_columns(data, mapping)
    out = pd.DataFrame(index=data.index)
    out[schema.PATIENT_ID] = row_labels(data, mapping)
    derived = derive_endpoints(data, mapping).frame
    for c in derived.columns:
        out[c] = derived[c]
    for role, col in mapping.roles().items():
        s = data[col]
        if role in (schema.PVTT, schema.ASCITES):
            out[role] = normalise_yes_no(s)
        elif role == schema.CHILD_PUGH:
            out[role] = normalise_child_pugh(s)
        elif role == schema.KPS:
            kps = to_number(s)
            # Whole numbers stay integers (as in the bundled cohort) when none is missing.
            whole = kps.notna().all() and bool((kps == kps.round()).all())
            out[role] = kps.astype("int64") if whole else kps
        else:
            out[role] = map_levels(s, lambda v: pd.NA if norm_code(v) is None else str(v).strip())
    for col in mapping.extra_factors:
        out[col] = data[col].copy()
    for col, cut in mapping.cuts:
        num = to_number(data[col])
        low, high = f"≤{cut:g}", f">{cut:g}"
        lab = pd.Series(np.where(num <= cut, low, high), index=data.index, dtype=object)
        out[cut_column_name(col, cut)] = lab.where(num.notna(), pd.NA)
    return out[_column_order(data, mapping, list(out.columns))]


def _column_order(data: pd.DataFrame, mapping: ColumnMapping, names: list[str]) -> list[str]:
    """Canonical columns in the order of their source columns in the file (the bundled CSV
    uploaded comes back column for column); cut columns follow their source."""
    pos = {str(c): i for i, c in enumerate(data.columns)}
    end = len(pos)
    source = {
        schema.PATIENT_ID: mapping.patient_id,
        schema.OS_TIME: mapping.os_time or mapping.start_date,
        schema.OS_EVENT: mapping.os_event or mapping.death_date,
        schema.PFS_TIME: mapping.pfs_time or mapping.start_date,
        schema.PFS_EVENT: mapping.pfs_event or mapping.progression_date,
        schema.OS_ENTRY: mapping.os_entry or mapping.entry_date,
        schema.PFS_ENTRY: mapping.pfs_entry or mapping.entry_date,
        status_column_name(schema.OS_EVENT): mapping.os_event,
        status_column_name(schema.PFS_EVENT): mapping.pfs_event,
        **mapping.roles(),
        **{c: c for c in mapping.extra_factors},
    }
    for x in mapping.endpoints:
        tcol, ecol, entry = x.columns()
        source |= {tcol: x.time or x.end_date, ecol: x.event or x.end_date,
                   entry: x.entry or mapping.entry_date,
                   status_column_name(ecol): x.event}  # fmt: skip
    cut_src = {cut_column_name(c, v): c for c, v in mapping.cuts}

    def key(name: str) -> float:
        if name in cut_src:
            return pos.get(cut_src[name], end) + 0.5
        return float(pos.get(source.get(name) or "", end))

    return sorted(names, key=key)
