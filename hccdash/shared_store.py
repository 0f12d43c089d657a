"""One bounded store of results shared by every session of a server process.

What is computed from the server's own cohort (a served cohort's counts, curves, Cox fits,
filtered rows) is the same for every session with the same key, so it is held once per
process, least recently used first out. Nothing of a user's upload may be put here: an
upload's results are session-scoped (``hccdash.ui.cache``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SharedStore"]

V = TypeVar("V")


class SharedStore(Generic[V]):
    """At most ``entries`` values by key, thread-safe; ``entries`` may be changed later.

    The value is made outside the lock, so two sessions asking for different keys do not
    wait for each other (two asking for the same new key may both make it; the last is kept).

    Examples
    --------
    >>> store = SharedStore(2)
    >>> store.get("a", lambda: 1), store.get("b", lambda: 2), store.get("a", lambda: 9)
    (1, 2, 1)
    >>> store.get("c", lambda: 3); list(store.keys())  # "b" was the least recently used
    3
    ['a', 'c']
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._held: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value held for ``key``, else ``make()`` (held from now on)."""
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
        value = make()
        with self._lock:
            self._held[key] = value
            self._held.move_to_end(key)
            while len(self._held) > self.entries:
                self._held.popitem(last=False)
        return value

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._held)

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)
