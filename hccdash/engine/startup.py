"""The server's cohort on the engine, checked once at start-up and explained in the page.

``hccdash serve`` calls :func:`startup_check` before it starts Streamlit: a server-side
cohort that cannot be used (a path that does not exist or cannot be read, a table without the
codebook's columns, event codes outside the coding, a Spark URL that does not answer) is ONE
line on stderr and exit code 2, never a server that starts and fails in every page. The page
shows the same sentence (:func:`open_server_cohort` returns its reason instead of raising,
for the sidebar's "The server's cohort (HCCDASH_DATA) cannot be used: ..."), so the start-up
and the page say the same thing.

The engine (not the in-memory reader) serves ``HCCDASH_DATA`` when :func:`engine_serves`
says so, by the one rule of :func:`hccdash.engine.placement.serve_in_place`: a codebook is
given (``HCCDASH_CODEBOOK``) and ``HCCDASH_ENGINE`` is set, or the data is a folder of
Parquet files or a DuckDB database (which only the engine reads), or it has more rows than
``HCCDASH_IN_MEMORY_ROWS``.

The check runs in a child Python process (``python -m hccdash.engine.startup``): ``hccdash
serve`` then replaces itself by Streamlit (``execve``), which must not inherit a DuckDB file
lock or a Spark JVM. A Spark master or Connect URL is first probed by TCP in this process
(:func:`hccdash.engine.spark.probe_url`, ``HCCDASH_SPARK_TIMEOUT`` seconds), so a wrong URL
is a message within seconds, without starting Java.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from hccdash.engine.placement import serve_in_place
from hccdash.errors import HccdashError, InputError

__all__ = ["engine_serves", "open_server_cohort", "sentence", "startup_check"]

DATA_ENV, CODEBOOK_ENV, ENGINE_ENV = "HCCDASH_DATA", "HCCDASH_CODEBOOK", "HCCDASH_ENGINE"
TABLE_ENV, URL_ENV = "HCCDASH_TABLE", "HCCDASH_SPARK_URL"
_MARK = "hccdash-startup: "


def _get(env: Mapping[str, str], name: str) -> str | None:
    return (env.get(name) or "").strip() or None


def _engine(env: Mapping[str, str]) -> str | None:
    engine = _get(env, ENGINE_ENV)
    if engine is not None and engine.lower() not in ("duckdb", "spark"):
        raise InputError(
            f"{ENGINE_ENV}={engine!r} is not an engine; fix: set it to duckdb or spark, or "
            "unset it."
        )
    return engine.lower() if engine else None


def engine_serves(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``HCCDASH_DATA`` is served in place by the engine (``engine.served``).

    Examples
    --------
    >>> engine_serves({"HCCDASH_DATA": "r.parquet", "HCCDASH_CODEBOOK": "r.json"})
    False
    >>> engine_serves({"HCCDASH_DATA": "r.parquet", "HCCDASH_CODEBOOK": "r.json",
    ...                "HCCDASH_ENGINE": "spark"})
    True
    >>> engine_serves({"HCCDASH_DATA": "registry.duckdb", "HCCDASH_CODEBOOK": "r.json"})
    True
    """
    env = os.environ if env is None else env
    data, codebook = _get(env, DATA_ENV), _get(env, CODEBOOK_ENV)
    if data is None or codebook is None:
        return False
    _engine(env)  # a wrong HCCDASH_ENGINE is a message, not "read into memory"
    return serve_in_place(data, codebook, _get(env, TABLE_ENV), env)


def _reason(env: Mapping[str, str], exc: HccdashError) -> str:
    """What went wrong and the fix, then where (the variables' values and the engine)."""
    data, codebook = _get(env, DATA_ENV), _get(env, CODEBOOK_ENV)
    engine = (_get(env, ENGINE_ENV) or "duckdb").lower()
    where = f"{DATA_ENV}={data}, {CODEBOOK_ENV}={codebook}, engine {engine}"
    if engine == "spark":
        where += f" at {_get(env, URL_ENV) or 'local[2]'}"
    return f"{str(exc).strip()} ({where})".replace("\n", " ")


def sentence(reason: str) -> str:
    """The start-up line for a reason of :func:`open_server_cohort`: the sidebar's own
    wording (``hccdash.ui.sidebar``), so the terminal and the page say the same."""
    return f"The server's cohort ({DATA_ENV}) cannot be used: {reason}"


def open_server_cohort(env: Mapping[str, str] | None = None):
    """``(ServedCohort, None)``, or ``(None, reason)`` when it cannot be used, or
    ``(None, None)`` when the engine does not serve ``HCCDASH_DATA`` (:func:`engine_serves`).

    The reason (one line) says what is wrong (the path, column or URL), the fix, and the
    variables' values; the sidebar shows it after "The server's cohort (HCCDASH_DATA) cannot
    be used:", as ``hccdash serve`` prints it (:func:`sentence`). The cohort is
    :func:`~hccdash.engine.served.served_cohort`'s (one per process, file version, engine).

    Examples
    --------
    >>> cohort, reason = open_server_cohort({"HCCDASH_DATA": "/srv/gone.parquet",
    ...     "HCCDASH_CODEBOOK": "/srv/book.json", "HCCDASH_ENGINE": "duckdb"})
    >>> cohort is None
    True
    >>> for part in reason.split(" ("):
    ...     print(part)
    book.json: cannot read the codebook
    No such file or directory); fix: check the path.
    HCCDASH_DATA=/srv/gone.parquet, HCCDASH_CODEBOOK=/srv/book.json, engine duckdb)
    >>> print(sentence("..."))
    The server's cohort (HCCDASH_DATA) cannot be used: ...
    """
    env = os.environ if env is None else env
    try:
        if not engine_serves(env):
            return None, None
        from hccdash.engine.served import served_cohort

        engine = _engine(env)
        if engine == "spark":
            from hccdash.engine.spark import probe_url

            probe_url(_get(env, URL_ENV) or "local[2]", dict(env))
        cohort = served_cohort(
            _get(env, DATA_ENV), _get(env, CODEBOOK_ENV), table=_get(env, TABLE_ENV),
            engine=engine,
        )  # fmt: skip
    except HccdashError as exc:
        return None, _reason(env, exc)
    return cohort, None


def startup_check(env: Mapping[str, str], *, timeout: float | None = None) -> int | None:
    """Check the server's cohort as the app will open it; return its number of patients
    (None when the engine does not serve ``HCCDASH_DATA``).

    Raises
    ------
    InputError
        :func:`sentence` of the reason :func:`open_server_cohort` gives (one line).
    """
    engine = _engine(env)
    if engine == "spark":  # a wrong URL is caught here in seconds, without starting Java
        from hccdash.engine.spark import probe_url

        try:
            probe_url(_get(env, URL_ENV) or "local[2]", dict(env))
        except HccdashError as exc:
            raise InputError(sentence(_reason(env, exc))) from None
    if not engine_serves(env):
        return None
    print(
        f"hccdash: checking the server's cohort {_get(env, DATA_ENV)} on {engine or 'duckdb'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        res = subprocess.run(
            [sys.executable, "-m", "hccdash.engine.startup"],
            env=_child_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            sentence(f"not opened within {timeout:g} s; fix: check that the engine answers.")
        ) from None
    said = [ln[len(_MARK) :] for ln in res.stdout.splitlines() if ln.startswith(_MARK)]
    if res.returncode == 0 and said:
        print(f"hccdash: the server's cohort has {said[-1]} rows", file=sys.stderr, flush=True)
        return int(said[-1])
    if said:
        raise InputError(sentence(said[-1]))
    tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
    raise InputError(sentence(f"its check stopped (exit {res.returncode}): {tail}"))


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with this hccdash first on the child's import path (a checkout or a wheel)."""
    import hccdash

    out = dict(env)
    root = str(Path(hccdash.__file__).resolve().parent.parent)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (root, out.get("PYTHONPATH")) if p)
    return out


def main() -> int:
    """``python -m hccdash.engine.startup``: open the cohort of this environment."""
    try:
        cohort, message = open_server_cohort(os.environ)
        if message is not None:
            print(_MARK + message.replace("\n", " "), flush=True)
            return 2
        print(_MARK + str(cohort.count() if cohort is not None else 0), flush=True)
        return 0
    except Exception as exc:  # noqa: BLE001 - one line for the parent, whatever went wrong
        print(f"{_MARK}unexpected error ({type(exc).__name__}): {exc}".replace("\n", " "))
        return 1


if __name__ == "__main__":
    sys.exit(main())
