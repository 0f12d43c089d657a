"""A cohort's codebook: what every column means, in a documented, versioned JSON file.

The codebook is where a cohort's knowledge lives (labels, levels in order with display labels,
reference levels, units, named cut points, endpoints and their event coding), so the generic
code never knows one cohort. The bundled cohort ships ``data/<csv stem>.codebook.json``; an
upload's mapping step writes one; ``HCCDASH_CODEBOOK`` and ``--codebook`` read one. The format
is documented in ``docs/codebook.md``.

Without a codebook entry a column follows R's defaults (:func:`infer_codebook`): levels in
sorted order (numbers numerically), the first is the reference; a column with two distinct
values is binary; other numbers stay numeric.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"time": [5.0, 8.0, 3.0], "status": [1, 0, 1], "arm": ["b", "a", "b"]})
>>> cb = infer_codebook(d, endpoints=[EndpointSpec("os", "Overall survival", "time", "status")])
>>> cb.variable("arm").levels, cb.variable("arm").reference
(('a', 'b'), 'a')
>>> Codebook.from_json(cb.to_json()) == cb
True
"""

from hccdash.codebook.apply import apply_codebook
from hccdash.codebook.infer import (
    complete,
    infer_codebook,
    infer_kind,
    infer_variable,
    level_text,
    r_levels,
)
from hccdash.codebook.model import (
    FORMAT,
    KINDS,
    MAX_LEVELS,
    ROLES,
    VERSION,
    Codebook,
    EndpointSpec,
    Grouping,
    Variable,
    status_column_name,
)
from hccdash.codebook.units import DAYS_PER_MONTH, TO_MONTHS

__all__ = [
    "DAYS_PER_MONTH", "FORMAT", "KINDS", "MAX_LEVELS", "ROLES", "TO_MONTHS", "VERSION",
    "Codebook", "EndpointSpec", "Grouping", "Variable", "apply_codebook", "complete",
    "infer_codebook", "infer_kind", "infer_variable", "level_text", "r_levels",
    "status_column_name",
]  # fmt: skip
