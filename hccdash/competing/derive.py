"""Derive an endpoint with competing events from two ordinary endpoints.

A cohort often records a composite endpoint ("event X or death": progression-free,
relapse-free, local-control-or-death survival) and overall survival, but not which came first.
:func:`first_event_split` splits the composite into *X first* (code 1) and *death without X*
(code 2, a composite event at the same time as death), censored (code 0) otherwise. Nothing
here knows any particular study: the two endpoints are passed in by column name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.errors import InputError

__all__ = ["STATUS", "TIME", "first_event_split"]

TIME, STATUS = "cr_time", "cr_status"


def first_event_split(
    data: pd.DataFrame,
    composite_time: str,
    composite_event: str,
    death_time: str,
    death_event: str,
    *,
    tol: float = 1e-8,
) -> pd.DataFrame:
    """A copy of ``data`` with ``cr_time`` and ``cr_status`` (0 censored, 1 the non-fatal
    event first, 2 death without it).

    A composite event counts as death without the non-fatal event when the patient died
    (``death_event == 1``) at the composite time (within ``tol``); otherwise as the non-fatal
    event. Rows missing any of the four values get missing ``cr_*``.

    Examples
    --------
    >>> df = pd.DataFrame({"pfs": [3, 5, 4, 6], "pe": [1, 1, 0, 1], "os": [8, 5, 9, 6],
    ...                    "oe": [1, 1, 0, 0]})
    >>> first_event_split(df, "pfs", "pe", "os", "oe")["cr_status"].tolist()
    [1.0, 2.0, 0.0, 1.0]
    """
    for c in (composite_time, composite_event, death_time, death_event):
        if c not in data.columns:
            raise InputError(f"Column {c!r} is not in the data; choose an existing endpoint.")
    ct = pd.to_numeric(data[composite_time], errors="coerce").to_numpy(dtype=float)
    ce = pd.to_numeric(data[composite_event], errors="coerce").to_numpy(dtype=float)
    dt = pd.to_numeric(data[death_time], errors="coerce").to_numpy(dtype=float)
    de = pd.to_numeric(data[death_event], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(ct) | np.isnan(ce) | np.isnan(dt) | np.isnan(de)
    died_then = (de == 1) & (np.abs(dt - ct) <= tol * np.maximum(1.0, np.abs(dt)))
    status = np.where(ce == 1, np.where(died_then, 2.0, 1.0), 0.0)
    out = data.copy()
    out[TIME] = np.where(missing, np.nan, ct)
    out[STATUS] = np.where(missing, np.nan, status)
    return out
