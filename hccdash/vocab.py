"""The one yes/no vocabulary: which cell texts mean yes and no in a yes/no column.

Read by the column mapping (``hccdash.mapping.normalise_yes_no``: role columns such as PVTT
or ascites become ``"Yes"``/``"No"``) and by the sidebar filters (``hccdash.filters``), so a
cell the upload reads as "no" is also "no" to the filter. English and Chinese words, 1/0,
true/false, +/-; ``"none"`` is a no (PVTT "None": no thrombus).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

YES_VALUES = frozenset({"yes", "y", "1", "true", "t", "present", "positive", "+", "是", "有"})
NO_VALUES = frozenset({"no", "n", "0", "false", "f", "absent", "negative", "-", "none", "否", "无"})


def yes_no(value: object) -> str | None:
    """``"yes"``, ``"no"`` or None (missing or not a yes/no word) for one cell.

    Examples
    --------
    >>> [yes_no(v) for v in ("Yes", " no ", "None", 1, 0.0, True, "是", "maybe", None)]
    ['yes', 'no', 'no', 'yes', 'no', 'yes', 'yes', None, None]
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        key = "true" if value else "false"
    elif isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            return None
        key = str(int(value)) if float(value).is_integer() else str(value)
    else:
        key = str(value).strip().lower()
    if key in YES_VALUES:
        return "yes"
    if key in NO_VALUES:
        return "no"
    return None
