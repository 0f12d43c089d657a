"""Group columns as integer codes and labels in R's ``factor`` order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["group_codes"]


def _level_label(value: object) -> str:
    """Group value as its string label; integral floats print without ``.0`` (like R)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _factorize(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(sort=True)``; mixed types sort by their string label."""
    import pandas as pd

    try:
        codes, uniques = pd.factorize(col, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(col.map(_level_label), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _identity_factorize(
    values: np.ndarray, limit: int = 4096
) -> tuple[np.ndarray, np.ndarray] | None:
    """Factorize an object array by object identity: codes and one object per code.

    Group columns of text usually hold a few shared objects (pandas' CSV reader and pyarrow
    deduplicate them; short strings are often interned), so factorizing the references as
    integers is several times faster than hashing every string. The references are read
    through the array's buffer (an object array exports its items as ``"O"``, one machine
    word each: the identity of each item, never dereferenced); each code's object is taken
    from the array itself at its first row. The caller then factorizes those few objects by
    value, so equal strings held in distinct objects still get one code. None (the caller
    hashes values) for small or non-contiguous arrays, or more than ``limit`` distinct
    objects.

    Examples
    --------
    >>> a, b = "Child A", "".join(["Child", " ", "A"])  # equal text, two objects
    >>> codes, objects = _identity_factorize(np.array([a, "B", b, a] * 5000, dtype=object))
    >>> codes[:4].tolist(), list(objects)
    ([0, 1, 2, 0], ['Child A', 'B', 'Child A'])
    """
    import pandas as pd

    n = values.size
    if n < 10_000 or values.dtype != object or not values.flags.c_contiguous:
        return None
    refs = memoryview(values)
    if refs.itemsize != np.dtype(np.intp).itemsize:
        return None
    words = np.frombuffer(refs.cast("B"), dtype=np.intp)
    codes, uniques = pd.factorize(words)
    if len(uniques) > limit:
        return None
    codes = np.asarray(codes, dtype=np.int64)
    # codes are numbered in order of first appearance, so the running maximum is sorted and
    # code j first appears where it reaches j
    first = np.searchsorted(np.maximum.accumulate(codes), np.arange(len(uniques)))
    return codes, values[first]


def group_codes(
    col: pd.Series, levels: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes (0..k-1, -1 = not in ``levels``) and string labels of a group column.

    Default order: categorical columns keep their category order, numbers sort numerically,
    other values sort as strings (R's ``factor`` default). ``levels`` gives an explicit order
    (as strings); rows with other values get code -1.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, labels = group_codes(pd.Series([2, 10, 2, None, 1]))
    >>> codes.tolist(), labels
    ([1, 2, 1, -1, 0], ('1', '2', '10'))
    >>> group_codes(pd.Series(["b", "a", "b"]), levels=["b"])[0].tolist()
    [0, -1, 0]

    References
    ----------
    R: ``levels(factor(c(2, 10, 2, NA, 1)))`` is ``"1" "2" "10"`` (numbers sort numerically).
    """
    import pandas as pd

    values = col.to_numpy() if col.dtype.kind in "iu" else None
    if values is not None and values.size and values.min() >= 0 and values.max() < 4 * values.size:
        # small non-negative integer codes: bincount + lookup beats hashing
        present = np.flatnonzero(np.bincount(values))
        remap = np.full(int(present[-1]) + 1, -1, dtype=np.int64)
        remap[present] = np.arange(present.size)
        codes = remap[values]
        uniques = present.astype(object)
    elif isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        uniques = np.asarray(col.cat.categories, dtype=object)
        used = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0
        remap = np.cumsum(used) - 1
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        uniques = uniques[used]
    else:
        fast = _identity_factorize(col.to_numpy()) if col.dtype == object else None
        if fast is not None:
            # factorize the few distinct objects by value, then map every row through them
            pcodes, objects = fast
            vcodes, uniques = _factorize(pd.Series(objects, dtype=object))
            codes = vcodes[pcodes]
        else:
            codes, uniques = _factorize(col)
    labels = tuple(_level_label(u) for u in uniques)
    if len(set(labels)) < len(labels):  # e.g. 1 and "1": merge by label
        codes2, lab2 = pd.factorize(pd.Series(labels, dtype=object), sort=False)
        codes = np.where(codes >= 0, codes2[np.maximum(codes, 0)], -1)
        labels = tuple(str(x) for x in lab2)
    if levels is None:
        return codes, labels
    want = [str(v) for v in levels]
    pos = {lab: i for i, lab in enumerate(want)}
    remap = np.array([pos.get(lab, -1) for lab in labels] + [-1], dtype=np.int64)
    return remap[codes], tuple(want)
