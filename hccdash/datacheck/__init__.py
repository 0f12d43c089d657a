"""The validation report a user sees before anything is analysed.

:func:`check` applies a :class:`~hccdash.mapping.ColumnMapping` to a raw table and lists every
problem as a :class:`Problem` (column, patient ids, values, message, fix, fatal). Fatal problems
are row-level (a negative time, an event code outside the mapping, PFS after OS, dates out of
order or in the future, duplicate ids, text in a time column) or dataset-level (too few
patients). Nothing is dropped silently: :meth:`CheckReport.clean` excludes the fatal rows only
when called with ``exclude_fatal=True``, i.e. after the user has seen the list and confirmed.
Missing times or events are warnings, not exclusions: each analysis uses the complete cases of
its own columns and reports how many rows it dropped.

The package, one job per module:

- :mod:`~hccdash.datacheck.report`: :class:`Problem`, :class:`CheckReport`, the collector;
- :mod:`~hccdash.datacheck.dates`: date formats, future dates, dates out of order;
- :mod:`~hccdash.datacheck.endpoints`: each endpoint's times and event codes, PFS against OS;
- :mod:`~hccdash.datacheck.values`: duplicate ids, factor values, constant columns, formulas;
- :mod:`~hccdash.datacheck.dataset`: too few patients, complete cases or events;
- :mod:`~hccdash.datacheck.driver`: :func:`check` (runs them in order) and :func:`to_cohort`.

Delayed entry and undeclared event codes are checked by :mod:`hccdash.datacheck_entry`.
"""

from hccdash.codebook import TO_MONTHS
from hccdash.datacheck.dataset import FEW_EVENTS, FEW_PATIENTS, MIN_PATIENTS
from hccdash.datacheck.driver import check, to_cohort
from hccdash.datacheck.endpoints import ENTRY_COLUMNS, PLAUSIBLE_MONTHS
from hccdash.datacheck.report import CheckReport, Problem

__all__ = [
    "ENTRY_COLUMNS",
    "FEW_EVENTS",
    "FEW_PATIENTS",
    "MIN_PATIENTS",
    "PLAUSIBLE_MONTHS",
    "TO_MONTHS",
    "CheckReport",
    "Problem",
    "check",
    "to_cohort",
]
