"""Content identity of cohorts and of the views derived from them (cache keys without hashing).

A cohort's identity is a digest of its whole content (every cell of every column, the column
names, dtypes and index) and its codebook, computed once per cohort (see
:attr:`hccdash.schema.Cohort.identity`). A view derived from it is identified by what derived
it: the filter spec, the grouping. :func:`register` attaches such a key to the DataFrame object
that holds the view, and caches (``hccdash.ui.cache.frame_fingerprint``) read it back with
:func:`key_of` instead of hashing the frame on every rerun.

The key belongs to the *object*: a frame made from a registered one (``assign``, ``loc``) has
no key until it is registered itself. Registered frames are treated as immutable (the code
base never modifies a cohort's frame in place).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["content_digest", "key_of", "register"]

_KEYS: dict[int, tuple[weakref.ref, str]] = {}
_LOCK = threading.RLock()  # re-entrant: a weakref callback may run inside a locked block


def content_digest(data: pd.DataFrame, extra: str = "") -> str:
    """A sha256 digest of every cell, the column names, the dtypes and the index of ``data``.

    Each column is hashed whole with ``pandas.util.hash_pandas_object`` (no sampling: a text
    cell changed anywhere changes the digest); ``extra`` (e.g. the codebook's JSON) is
    included.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1, 2], "s": ["a", "b"]})
    >>> b = a.assign(s=["a", "c"])
    >>> content_digest(a) == content_digest(a.copy()), content_digest(a) == content_digest(b)
    (True, False)
    """
    import pandas as pd

    h = hashlib.sha256()
    h.update(repr((data.shape, [str(c) for c in data.columns])).encode())
    h.update(pd.util.hash_pandas_object(data.index).to_numpy().tobytes())
    for c in data.columns:
        col = data[c]
        h.update(f"\0{c!s}\0{col.dtype!s}\0".encode())
        h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    h.update(extra.encode())
    return h.hexdigest()


def _forget(ident: int) -> None:
    with _LOCK:
        _KEYS.pop(ident, None)


def register(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Attach ``key`` (its content's identity) to this DataFrame object; return the frame.

    >>> import pandas as pd
    >>> f = register(pd.DataFrame({"x": [1]}), "cohort-abc|filters=none")
    >>> key_of(f), key_of(f.copy())
    ('cohort-abc|filters=none', None)
    """
    ident = id(frame)
    ref = weakref.ref(frame, lambda _r, ident=ident: _forget(ident))
    with _LOCK:
        _KEYS[ident] = (ref, key)
    return frame


def key_of(frame: object) -> str | None:
    """The key :func:`register` attached to this very object, else None."""
    with _LOCK:
        hit = _KEYS.get(id(frame))
    if hit is None or hit[0]() is not frame:
        return None
    return hit[1]
