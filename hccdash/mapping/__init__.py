"""Map a user's columns onto the canonical cohort schema (:mod:`hccdash.schema`).

A :class:`ColumnMapping` says which column is the OS/PFS time and event (or which dates they
are computed from), how event codes read, which columns play the sidebar roles (liver-function
class, performance status, thrombus, ascites, treatment arm), which are extra factors and where
numeric columns are cut. :func:`mapping_codebook` writes the cohort's codebook from it (labels
are the user's own column names; levels and references follow R unless a loaded codebook says
otherwise), and :func:`unit_check` compares the time unit with the column names and the range.
:func:`guess_mapping` proposes one from the column names (English and common Chinese
headers), :func:`apply_mapping` builds the canonical frame, and the mapping round-trips through
JSON so a user can save it next to the spreadsheet.

``apply_mapping`` never raises on bad cell values: it turns them into missing values, and
:mod:`hccdash.datacheck` lists them (column, rows, value, fix) before anything is analysed.
"""

from hccdash.mapping.apply import (
    Derived,
    apply_mapping,
    check_columns,
    derive_endpoints,
    row_labels,
)
from hccdash.mapping.coding import CENSOR_VALUES, EVENT_VALUES, EventCoding, norm_code
from hccdash.mapping.columns import DERIVATION_RULE, ENTRY_FROM_DATES, ENTRY_RULE, ColumnMapping
from hccdash.mapping.dates import DATE_FORMATS, ParsedDates, parse_dates
from hccdash.mapping.guess import guess_mapping
from hccdash.mapping.normalise import (
    cut_column_name,
    normalise_child_pugh,
    normalise_yes_no,
    to_months,
    to_number,
)
from hccdash.mapping.units import PLAUSIBLE_MAX_MONTHS, UnitAdvice, time_unit_of, unit_check
from hccdash.mapping.write_codebook import mapping_codebook, merge_codebooks
from hccdash.vocab import NO_VALUES, YES_VALUES  # the one yes/no vocabulary

__all__ = [
    "CENSOR_VALUES", "DATE_FORMATS", "DERIVATION_RULE", "ENTRY_FROM_DATES", "ENTRY_RULE",
    "EVENT_VALUES", "NO_VALUES", "PLAUSIBLE_MAX_MONTHS", "YES_VALUES", "ColumnMapping",
    "Derived", "EventCoding", "ParsedDates", "UnitAdvice", "apply_mapping", "check_columns",
    "cut_column_name", "derive_endpoints", "guess_mapping", "mapping_codebook",
    "merge_codebooks", "norm_code", "normalise_child_pugh", "normalise_yes_no", "parse_dates",
    "row_labels", "time_unit_of", "to_months", "to_number", "unit_check",
]  # fmt: skip
