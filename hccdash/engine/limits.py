"""How much memory, how many threads and which disk the embedded DuckDB engine may use.

Read once per connection from the environment (the operator's settings, documented in
``README.md``, "Registry scale"):

``HCCDASH_DUCKDB_MEMORY`` (default ``2GB``)
    DuckDB's ``memory_limit``: a size (``512MB``, ``4GB``, ``1.5GiB``) or a share of the
    machine's memory (``50%``). A query that needs more is stopped with a message naming this
    variable (:func:`out_of_memory`), never a traceback and never a silently partial result.
    A filtered KM + log-rank needs well under 200 MB at 1e8 rows (``bench/``); a Cox fit by
    per-step sums on 1e7 rows about 1 GB.
``HCCDASH_DUCKDB_THREADS`` (default: one per core, DuckDB's default)
    DuckDB's ``threads``: fewer on a server shared with other programs.
``HCCDASH_DUCKDB_TEMP`` (default: unset, nothing written to disk)
    A directory where DuckDB may spill intermediate results when a query exceeds the memory
    limit. Unset, the engine never writes patient data to disk: the limit is a hard cap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hccdash.errors import AnalysisError, InputError

__all__ = ["DEFAULT_MEMORY", "EngineLimits", "limits_from_env", "out_of_memory"]

MEMORY_ENV, THREADS_ENV, TEMP_ENV = (
    "HCCDASH_DUCKDB_MEMORY",
    "HCCDASH_DUCKDB_THREADS",
    "HCCDASH_DUCKDB_TEMP",
)
DEFAULT_MEMORY = "2GB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class EngineLimits:
    """The engine's resource settings (see the module docstring).

    Attributes
    ----------
    memory : str
        DuckDB ``memory_limit`` (``"2GB"``, ``"50%"``).
    threads : int or None
        DuckDB ``threads``; None: DuckDB's default (one per core).
    temp : str or None
        Spill directory; None: no spilling (``temp_directory = ''``).
    """

    memory: str = DEFAULT_MEMORY
    threads: int | None = None
    temp: str | None = None

    def config(self) -> dict[str, object]:
        """The ``duckdb.connect(config=...)`` dictionary."""
        out: dict[str, object] = {"memory_limit": self.memory, "temp_directory": self.temp or ""}
        if self.threads is not None:
            out["threads"] = self.threads
        return out


def limits_from_env(environ: Mapping[str, str] | None = None) -> EngineLimits:
    """The engine's settings from the environment, checked.

    Raises
    ------
    InputError
        A value that is not a size, a positive whole number or an existing directory, naming
        the variable and an example.

    Examples
    --------
    >>> limits_from_env({})
    EngineLimits(memory='2GB', threads=None, temp=None)
    >>> limits_from_env({"HCCDASH_DUCKDB_MEMORY": "512mb", "HCCDASH_DUCKDB_THREADS": "1"})
    EngineLimits(memory='512MB', threads=1, temp=None)
    >>> limits_from_env({"HCCDASH_DUCKDB_MEMORY": "lots"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hccdash.errors.InputError: HCCDASH_DUCKDB_MEMORY='lots' is not a memory size; fix: ...
    """
    env = os.environ if environ is None else environ
    memory = env.get(MEMORY_ENV, "").strip() or DEFAULT_MEMORY
    m = _SIZE.match(memory)
    if m is None or float(m.group(1)) <= 0 or (m.group(2) == "%" and float(m.group(1)) > 100):
        raise InputError(
            f"{MEMORY_ENV}={memory!r} is not a memory size; fix: give a size such as 2GB or "
            "512MB, or a share of the machine's memory such as 50%."
        )
    memory = f"{m.group(1)}{m.group(2).upper().replace('I', 'i')}"
    threads_text = env.get(THREADS_ENV, "").strip()
    threads = None
    if threads_text:
        if not threads_text.isdigit() or int(threads_text) < 1:
            raise InputError(
                f"{THREADS_ENV}={threads_text!r} is not a number of threads; fix: give a whole "
                f"number of 1 or more (this machine has {os.cpu_count()} cores), or unset it."
            )
        threads = int(threads_text)
    temp = env.get(TEMP_ENV, "").strip() or None
    if temp is not None and not Path(temp).is_dir():
        raise InputError(
            f"{TEMP_ENV}={temp!r} is not a directory; fix: create it (on a local disk the "
            "server may write to), or unset it to keep every query in memory."
        )
    return EngineLimits(memory=memory, threads=threads, temp=temp)


def out_of_memory(limits: EngineLimits) -> AnalysisError:
    """The message of a query stopped at the memory limit (what to change, and where)."""
    spill = (
        f"give DuckDB more room in {TEMP_ENV}={limits.temp!r}"
        if limits.temp
        else f"set {TEMP_ENV} to a local directory where it may spill to disk"
    )
    return AnalysisError(
        f"The engine needed more memory than its limit ({MEMORY_ENV}={limits.memory}) for this "
        f"analysis, so it was stopped and nothing was computed. Fix: raise {MEMORY_ENV} "
        f"(e.g. 4GB or 50%), {spill}, or narrow the filters or the grouping."
    )
