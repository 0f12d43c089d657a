"""The engine's memory limit, threads and spill directory: from the environment, checked,
applied to the DuckDB connection, and a clear message when a query needs more."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import serve
from hccdash.engine import open_source
from hccdash.engine import survival as es
from hccdash.engine.limits import DEFAULT_MEMORY, EngineLimits, limits_from_env
from hccdash.errors import AnalysisError, InputError

ENV = ("HCCDASH_DUCKDB_MEMORY", "HCCDASH_DUCKDB_THREADS", "HCCDASH_DUCKDB_TEMP")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for k in ENV:
        monkeypatch.delenv(k, raising=False)


def _setting(src, name: str):
    return src.backend.con.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"t": rng.random(n) * 100, "e": rng.integers(0, 2, n), "g": n % 3})


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({}, EngineLimits(DEFAULT_MEMORY, None, None)),
        ({"HCCDASH_DUCKDB_MEMORY": " 1.5gib "}, EngineLimits("1.5GiB", None, None)),
        ({"HCCDASH_DUCKDB_MEMORY": "50%", "HCCDASH_DUCKDB_THREADS": "2"}, EngineLimits("50%", 2)),
        ({"HCCDASH_DUCKDB_MEMORY": ""}, EngineLimits(DEFAULT_MEMORY)),
    ],
)
def test_limits_from_env(env, want):
    assert limits_from_env(env) == want


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HCCDASH_DUCKDB_MEMORY": "lots"}, r"MEMORY='lots' is not a memory size; fix: .* 2GB"),
        ({"HCCDASH_DUCKDB_MEMORY": "0GB"}, r"MEMORY='0GB' is not a memory size"),
        ({"HCCDASH_DUCKDB_MEMORY": "150%"}, r"MEMORY='150%' is not a memory size"),
        ({"HCCDASH_DUCKDB_THREADS": "two"}, r"THREADS='two' is not a number of threads; fix"),
        ({"HCCDASH_DUCKDB_THREADS": "0"}, r"THREADS='0' is not a number of threads"),
        ({"HCCDASH_DUCKDB_TEMP": "/no/such/dir"}, r"TEMP='/no/such/dir' is not a directory"),
    ],
)
def test_bad_settings_are_one_clear_message(env, message, monkeypatch):
    with pytest.raises(InputError, match=message):
        limits_from_env(env)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(InputError, match=message):  # at the engine's start
        open_source(_frame(10))
    with pytest.raises(InputError, match=message):  # hccdash serve: before the server starts
        serve.serve_env()


def test_the_connection_gets_the_settings(monkeypatch, tmp_path):
    src = open_source(_frame(10))
    assert _setting(src, "memory_limit") == "1.8 GiB"  # 2GB (decimal) as DuckDB shows it
    assert _setting(src, "temp_directory") == ""  # default: nothing spilled to disk
    monkeypatch.setenv("HCCDASH_DUCKDB_MEMORY", "256MiB")
    monkeypatch.setenv("HCCDASH_DUCKDB_THREADS", "1")
    monkeypatch.setenv("HCCDASH_DUCKDB_TEMP", str(tmp_path))
    src = open_source(_frame(10))
    assert _setting(src, "memory_limit") == "256.0 MiB"
    assert _setting(src, "threads") == 1
    assert _setting(src, "temp_directory") == str(tmp_path)


def test_a_query_over_the_limit_is_stopped_with_a_message(monkeypatch):
    """2e5 distinct times do not fit a 2 MB hash table: the page gets the fix, not DuckDB's
    traceback; the same query passes under the default limit."""
    data = _frame(200_000)
    monkeypatch.setenv("HCCDASH_DUCKDB_MEMORY", "2MB")
    monkeypatch.setenv("HCCDASH_DUCKDB_THREADS", "1")
    src = open_source(data)
    with pytest.raises(AnalysisError, match=r"limit \(HCCDASH_DUCKDB_MEMORY=2MB\).*_TEMP to a"):
        es.count_table(src, "t", "e", "g")
    monkeypatch.delenv("HCCDASH_DUCKDB_MEMORY")
    assert es.count_table(open_source(data), "t", "e", "g").n == 200_000
