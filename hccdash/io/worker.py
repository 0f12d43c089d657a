"""Parse a workbook or a statistics file in a worker process with a memory and a time bound.

openpyxl holds every cell of a workbook (about 450 bytes and 25-100 us each) and pyreadstat
decompresses a ``.zsav`` in C: one small upload could hold the server's memory and a core for
minutes, in the process that serves every session (issue 20). :func:`read_bounded` runs the
format's reader in a child process instead:

- the child limits its own address space (``resource.setrlimit(RLIMIT_AS)``) to its size at
  start plus ``HCCDASH_READ_MAX_MB`` (default 2,000 MB), so an allocation past it fails in the
  child, never in the server;
- the parent waits at most ``HCCDASH_READ_TIMEOUT_S`` seconds (default 120) and then kills it;
- the bytes go to the child and the table comes back through a pipe (pickled): nothing is
  written to disk;
- the parent only waits on the pipe (no GIL held), so the server's health check and the other
  sessions keep running.

A Parquet file whose footer bounds its read (:func:`hccdash.io.parquet.footprint`) to at most
:data:`IN_PROCESS_SHARE` of that budget is read in the calling process instead
(:func:`in_process`): a fresh process pays about 1.5 s to start the forkserver, longer than
such a read. Any other Parquet file (larger, an unreadable footer, a codec without a bounded
expansion) goes to the worker.

The children are forked from a ``forkserver`` that imported pandas, openpyxl and pyreadstat
once, so a read costs a fork (a few tens of ms), not a new interpreter. A child that ran out of
memory or time is one :class:`hccdash.errors.FileReadError` naming the limit and the fix.

Examples
--------
>>> limits().max_mb > 0 and limits().timeout_s > 0
True
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import resource
import sys
import threading
import time
import types
from dataclasses import dataclass
from typing import Any

from hccdash.errors import FileReadError, HccdashError

__all__ = [
    "IN_PROCESS_SHARE",
    "WORKER_FORMATS",
    "ReadLimits",
    "in_process",
    "limits",
    "read_bounded",
    "startup_seconds",
]

MAX_MB_ENV = "HCCDASH_READ_MAX_MB"
TIMEOUT_ENV = "HCCDASH_READ_TIMEOUT_S"
DEFAULT_MAX_MB = 2000.0
DEFAULT_TIMEOUT_S = 120.0
# Formats whose reader may expand a small file into far more memory than its size.
WORKER_FORMATS = ("xlsx", "sav", "dta", "sas7bdat", "parquet")
# The share of HCCDASH_READ_MAX_MB a file read in the calling process may be bounded by: its
# peak is about that bound (arrow's table, then pandas' frame), and it must leave the server
# room for the sessions it holds (the one place this rule lives).
IN_PROCESS_SHARE = 0.25
_PRELOAD = ["hccdash.io.worker", "hccdash.io.read", "openpyxl", "pyreadstat", "pyarrow.parquet"]
_FIX = {
    "xlsx": "export the sheet as CSV (File > Save As > CSV UTF-8) and upload that",
    "parquet": "export the table as CSV, or keep only the columns you need",
}
_FIX_STAT = "export the data set as CSV, or keep only the variables you need"
_context: Any = None


@dataclass(frozen=True)
class ReadLimits:
    """The bounds of one read: memory (MB above the worker's start) and wall time (s)."""

    max_mb: float
    timeout_s: float


def _positive(env: str, default: float) -> float:
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise FileReadError(
            f"environment variable {env}={text!r} is not a positive number; fix: set it to "
            f"a number (default {default:g}) or unset it."
        )
    return value


def limits() -> ReadLimits:
    """The limits from ``HCCDASH_READ_MAX_MB`` and ``HCCDASH_READ_TIMEOUT_S`` (or defaults)."""
    return ReadLimits(
        _positive(MAX_MB_ENV, DEFAULT_MAX_MB), _positive(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)
    )


def in_process(footprint: int | None, bounds: ReadLimits | None = None) -> bool:
    """Whether a read bounded by ``footprint`` bytes (None: unknown) may run in this process:
    at most :data:`IN_PROCESS_SHARE` of the worker's memory budget.

    Examples
    --------
    >>> in_process(100_000_000, ReadLimits(2000, 120)), in_process(None)
    (True, False)
    >>> in_process(600_000_000, ReadLimits(2000, 120))
    False
    """
    if footprint is None:
        return False
    bounds = bounds or limits()
    return footprint <= IN_PROCESS_SHARE * bounds.max_mb * 1_000_000


def _ctx():
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _context = ctx
    return _context


_MAIN_LOCK = threading.Lock()


def _start(proc) -> None:
    """``proc.start()`` with a bare ``__main__`` module.

    multiprocessing re-imports the parent's ``__main__`` file in a forkserver child when it has
    one; under Streamlit ``sys.modules["__main__"]`` is the page script being run (Streamlit
    puts it there), which must never run in a file reader. For the few milliseconds of the
    start, ``__main__`` is an empty module (no file, no spec), so the child imports nothing but
    the reader; the page's module is put back unless another script run replaced it since.
    """
    with _MAIN_LOCK:
        saved = sys.modules.get("__main__")
        bare = types.ModuleType("__main__")
        sys.modules["__main__"] = bare
        try:
            proc.start()
        finally:
            if sys.modules.get("__main__") is bare and saved is not None:
                sys.modules["__main__"] = saved


def _address_space() -> int:
    """This process's virtual size in bytes (what ``RLIMIT_AS`` counts)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(conn, raw: bytes, name: str, fmt: str, sheet, max_bytes: int) -> None:
    """The worker: bound its address space, read, send ``(status, payload)`` and exit."""
    from hccdash.io.read import _read_format

    try:
        limit = _address_space() + max_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        conn.send(("started", None))
        try:
            result: tuple[str, Any] = ("ok", _read_format(raw, name, fmt, sheet))
        except MemoryError:
            result = ("memory", None)
        except HccdashError as exc:
            result = ("error", exc)
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes one message
            result = ("crash", f"{type(exc).__name__}: {exc}")
        del raw
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("memory", None))
    finally:
        conn.close()


def _fix(fmt: str) -> str:
    return _FIX.get(fmt, _FIX_STAT)


def _refuse(kind: str, name: str, fmt: str, bounds: ReadLimits) -> FileReadError:
    if kind == "memory":
        what = (
            f"needs more than the {bounds.max_mb:,.0f} MB of memory one file read may use "
            f"({MAX_MB_ENV})"
        )
    else:
        what = (
            f"took longer than the {bounds.timeout_s:g} s one file read may take "
            f"({TIMEOUT_ENV}) and was stopped"
        )
    return FileReadError(
        f"file {name!r}: reading this {fmt.upper()} file {what}; the server and the other "
        f"sessions were not affected; fix: {_fix(fmt)}."
    )


_startup: collections.deque[float] = collections.deque(maxlen=64)  # the last reads


def startup_seconds() -> tuple[float, ...]:
    """Seconds from starting each of this process's last workers to its first message (the
    benchmark's startup cost: the first read also starts the forkserver)."""
    return tuple(_startup)


def read_bounded(
    raw: bytes,
    name: str,
    fmt: str,
    sheet: str | int | None = None,
    bounds: ReadLimits | None = None,
):  # -> TableFile
    """Read ``raw`` (format ``fmt``) in a bounded worker process; return its ``TableFile``.

    Raises
    ------
    FileReadError
        The reader's own message, or one naming the memory or time limit and the fix.
    """
    bounds = bounds or limits()
    ctx = _ctx()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child,
        args=(child, raw, name, fmt, sheet, int(bounds.max_mb * 1_000_000)),
        name="hccdash-read",
        daemon=True,
    )
    start = time.perf_counter()
    try:
        _start(proc)
    except (OSError, RuntimeError) as exc:
        parent.close()
        raise FileReadError(
            f"file {name!r}: the worker process that reads {fmt.upper()} files could not start "
            f"({type(exc).__name__}: {exc}); fix: try again, or {_fix(fmt)}."
        ) from exc
    finally:
        child.close()
    try:
        try:
            for _ in range(2):  # ("started", None), then the result
                left = bounds.timeout_s - (time.perf_counter() - start)
                if not parent.poll(max(left, 0.0)):
                    raise _refuse("time", name, fmt, bounds)
                status, payload = parent.recv()
                if status != "started":
                    break
                _startup.append(time.perf_counter() - start)
        except (EOFError, OSError):
            proc.join(5)
            # killed by the kernel (a C allocation past the limit aborts instead of raising)
            raise _refuse("memory", name, fmt, bounds) from None
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        proc.close()
    if status == "ok":
        return payload
    if status == "error":
        raise payload
    if status == "memory":
        raise _refuse("memory", name, fmt, bounds)
    raise FileReadError(
        f"file {name!r} could not be read as {fmt.upper()} ({payload}); fix: save it again "
        f"from the program that made it, or {_fix(fmt)}."
    )
