"""Checks of the whole table: too few patients, no complete cases, too few events per endpoint
(counted after the rows with fatal problems are excluded). Part of :mod:`hccdash.datacheck`.
"""

from __future__ import annotations

import pandas as pd

from hccdash import schema
from hccdash.datacheck.report import _a
from hccdash.mapping import ColumnMapping

MIN_PATIENTS = 2  # below this nothing can be estimated
FEW_PATIENTS = 10  # below this estimates are very uncertain: warn
FEW_EVENTS = 10  # below this per endpoint: warn (Cox needs ~10 events per variable)


def _dataset_level(
    data: pd.DataFrame, fatal_ids: tuple[str, ...], mapping: ColumnMapping, col
) -> None:
    kept = data[~data[schema.PATIENT_ID].isin(set(fatal_ids))]
    n = len(kept)
    excl = f" after excluding {len(data) - n} rows with fatal problems" if fatal_ids else ""
    if n < MIN_PATIENTS:
        col.table(
            "(file)",
            f"only {n} patient{'s' if n != 1 else ''} to analyse{excl}; survival analysis "
            f"needs at least {MIN_PATIENTS} (too few patients)",
            "upload the full cohort (one row per patient)",
            fatal=True,
            kind="too_few_patients",
        )
        return
    if n < FEW_PATIENTS:
        col.table(
            "(file)",
            f"only {n} patients{excl}: estimates and tests will be very uncertain",
            "interpret with care; report confidence intervals",
            fatal=False,
            kind="few_patients",
        )
    for slot in mapping.slots():
        label, tcol, ecol = slot.name, slot.time, slot.event
        if ecol not in kept:
            continue
        # Name the user's columns in the report (the canonical names mean nothing to them).
        src, src_t = slot.src_event, slot.src_time
        ename, tname = src or f"{label} (from dates)", src_t or f"{label} (from dates)"
        complete = kept[tcol].notna() & kept[ecol].notna()
        events = int((kept.loc[complete, ecol] == 1).sum())
        if complete.sum() == 0:
            col.table(
                tname,
                f"no patient has both {_a(label)} time and {_a(label)} event status{excl}",
                f"check the {label} columns of the mapping",
                fatal=True,
                kind="no_complete_cases",
            )
        elif events == 0:
            col.table(
                ename,
                f"no {label} events among {int(complete.sum())} patients: the curve stays at "
                "1, medians are not reached and tests and Cox models cannot be computed "
                "(too few events)",
                "check the event coding (which value means event?)",
                fatal=False,
                kind="too_few_events",
            )
        elif events < FEW_EVENTS:
            col.table(
                ename,
                f"only {events} {label} events: medians may not be reached and a Cox model "
                "supports about one covariate per 10 events (too few events)",
                "interpret with care; prefer few covariates",
                fatal=False,
                kind="too_few_events",
            )
