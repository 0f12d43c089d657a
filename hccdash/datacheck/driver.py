""":func:`check`, the driver: the mapping applied, every family of checks run in order, the
report built; :func:`to_cohort`, the confirmed report as a :class:`~hccdash.schema.Cohort`.
Part of :mod:`hccdash.datacheck`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from hccdash import schema
from hccdash.codebook import Codebook
from hccdash.datacheck.dataset import _dataset_level
from hccdash.datacheck.dates import _date_problems
from hccdash.datacheck.endpoints import PLAUSIBLE_MONTHS, _endpoint_problems, _pfs_after_os
from hccdash.datacheck.report import CheckReport, _Collector
from hccdash.datacheck.values import (
    _constant_columns,
    _duplicate_ids,
    _formula_text,
    _role_values,
)
from hccdash.datacheck_entry import entry_problems
from hccdash.mapping import ColumnMapping, apply_mapping, derive_endpoints
from hccdash.schema import Cohort
from hccdash.validate import complete_cases, validate_survival


def check(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    today: date | None = None,
    plausible_months: float | None = PLAUSIBLE_MONTHS,
) -> CheckReport:
    """Validate ``raw`` under ``mapping`` and list every problem.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read by :func:`hccdash.io.read_table` (not modified).
    mapping : ColumnMapping
    today : datetime.date, optional
        Dates after this day are "in the future" (default: the current date).
    plausible_months : float or None
        Durations above this (in months) are flagged as a unit or date error; None skips the
        check (the CLI, where the unit of ``--time`` is the user's).

    Returns
    -------
    CheckReport

    Raises
    ------
    InputError
        When the mapping does not fit the table's columns (nothing can be checked).
    """
    data = apply_mapping(raw, mapping)
    ids = data[schema.PATIENT_ID]
    col = _Collector(ids)
    today = today or date.today()
    derived = derive_endpoints(raw, mapping)
    # Dates first: durations computed from them inherit their problems.
    _date_problems(raw, mapping, derived, col, today)
    _endpoint_problems(raw, data, mapping, derived, col, plausible_months)
    entry_problems(raw, data, mapping, col)
    _pfs_after_os(data, mapping, col)
    _duplicate_ids(raw, ids, mapping, col)
    _role_values(raw, data, mapping, col)
    _constant_columns(raw, mapping, col)
    _formula_text(raw, mapping, col)

    fatal_ids = tuple(dict.fromkeys(r for p in col.items if p.fatal for r in p.rows))
    _dataset_level(data, fatal_ids, mapping, col)
    problems = tuple(p for p in col.items if p.fatal) + tuple(p for p in col.items if not p.fatal)
    return CheckReport(problems, data, len(raw), fatal_ids, mapping)


def to_cohort(
    report: CheckReport,
    name: str,
    source: str,
    *,
    exclude_fatal: bool = False,
    codebook: Codebook | None = None,
) -> Cohort:
    """The uploaded :class:`~hccdash.schema.Cohort` (``reconstructed=False``) with its
    codebook (see :func:`hccdash.mapping.mapping_codebook`).

    Raises
    ------
    InputError
        As :meth:`CheckReport.clean`.
    """
    data = report.clean(exclude_fatal=exclude_fatal)
    # The analysis boundary (hccdash.validate) as a last guard on each endpoint's complete
    # cases: whatever the report let through must pass it.
    for time, event in report.endpoint_columns():
        if time in data and event in data:
            frame, _ = complete_cases(data, [time, event])
            if len(frame):
                validate_survival(frame, time, event, id_column=schema.PATIENT_ID)
    return Cohort(name=name, data=data, source=source, reconstructed=False, codebook=codebook)
