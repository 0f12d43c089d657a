"""R's small example datasets, for the docstring examples of the survival engine.

The examples reproduce R calls on the same rows, so a reader can paste both sides. Only
datasets of a few dozen rows live here (typed in from R's ``survival`` package); the test
fixtures with R's output are in ``tests/reference/``.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["aml"]


def aml() -> pd.DataFrame:
    """R's ``survival::aml``: 23 patients with acute myelogenous leukaemia, remission times in
    weeks by maintenance chemotherapy (Miller 1997).

    Columns ``time``, ``status`` (1 = relapse) and ``x`` (``"Maintained"`` /
    ``"Nonmaintained"``), in R's row order.

    Examples
    --------
    >>> d = aml()
    >>> len(d), int(d["status"].sum()), d["x"].value_counts().sort_index().tolist()
    (23, 18, [11, 12])

    References
    ----------
    R: ``nrow(aml); sum(aml$status); table(aml$x)``.
    """
    time = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
    time += [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    status = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    x = ["Maintained"] * 11 + ["Nonmaintained"] * 12
    return pd.DataFrame({"time": time, "status": status, "x": x})
