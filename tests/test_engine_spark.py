"""The engine on Spark (local[2]) gives DuckDB's results: same counts, same tests, same Cox.

DuckDB's results are checked against the in-memory path (and so R) in test_engine.py and
test_engine_cox.py. One SparkSession serves the whole test session (JVM start-up is the cost);
each test runs a handful of small queries. Needs Java 17 (.ci/run installs Debian's
openjdk-17-jre-headless).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_cox import SPECS, load
from test_engine import HOSTILE_NAMES, HOSTILE_VALUES, _data, same_km, same_test

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip(
        "Java is not installed (apt-get install openjdk-17-jre-headless)", allow_module_level=True
    )

from test_engine_spark_served import local_spark_session

from hccdash.engine import cox as ecox
from hccdash.engine import open_source
from hccdash.engine import survival as es
from hccdash.engine.spark import SparkBackend, spark_session

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark_backend():
    return SparkBackend(local_spark_session())  # the test JVM's options (C1, serial GC)


def both(data, spark_backend, **kw):
    return open_source(data, **kw), open_source(data, engine="spark", backend=spark_backend, **kw)


def same_counts(a: es.CountTable, b: es.CountTable) -> None:
    assert (a.groups, a.strata, a.n, a.dropped) == (b.groups, b.strata, b.n, b.dropped)
    for f in ("stratum", "group", "time", "n_event", "n_total"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_counts_km_and_tests_equal_duckdb(spark_backend):
    data = _data("lung")
    duck, spark = both(data, spark_backend)
    a = es.count_table(duck, "time", "status", "ph_ecog", filters={"age": (40, 75)})
    b = es.count_table(spark, "time", "status", "ph_ecog", filters={"age": (40, 75)})
    same_counts(a, b)
    same_km(es.km(b), es.km(a))
    for method in ("logrank", "peto", "tarone-ware"):
        same_test(es.survdiff(b, method=method), es.survdiff(a, method=method))


def test_stratified_from_parquet_equals_duckdb(spark_backend, tmp_path):
    data = _data("veterans")
    path = tmp_path / "veterans.parquet"
    data.to_parquet(path)
    duck, spark = both(path, spark_backend)
    a = es.count_table(duck, "time", "status", "trt", strata="prior")
    b = es.count_table(spark, "time", "status", "trt", strata="prior")
    same_counts(a, b)
    same_test(es.survdiff(b), es.survdiff(a))
    assert spark.distinct("celltype") == duck.distinct("celltype")


def test_hostile_names_and_values_on_spark(spark_backend):
    """Backslashes and quotes escape differently in Spark SQL; SQLGlot handles both."""
    rng = np.random.default_rng(2)
    n = 200
    t, e, g, k, s = HOSTILE_NAMES
    frame = pd.DataFrame(
        {
            t: rng.exponential(10, n),
            e: rng.integers(0, 2, n),
            g: rng.choice(HOSTILE_VALUES, n),
            k: rng.integers(0, 100, n),
            s: rng.choice(["p", "q"], n),
        }
    )
    duck, spark = both(frame, spark_backend)
    filt = {g: HOSTILE_VALUES[:3], k: (10, 80)}
    a = es.count_table(duck, t, e, s, filters=filt)
    b = es.count_table(spark, t, e, s, filters=filt)
    same_counts(a, b)
    assert a.n == int((frame[g].isin(HOSTILE_VALUES[:3]) & frame[k].between(10, 80)).sum()) > 0
    assert spark.distinct(g) == sorted(HOSTILE_VALUES)


@pytest.mark.parametrize("name", ["lung", "rossi_cat"])
def test_cox_equals_duckdb(spark_backend, name, monkeypatch):
    """lung: one Spark aggregation per Newton step; rossi_cat: the pattern table."""
    if name == "lung":
        monkeypatch.setattr(ecox, "PATTERN_ROWS", 0)
    _csv, time, event, covs, ref, _ = SPECS[name]
    duck, spark = both(load(name), spark_backend)
    a = ecox.cox_fit(duck, time, event, covs, reference=ref)
    b = ecox.cox_fit(spark, time, event, covs, reference=ref)
    assert [x.term for x in a.terms] == [x.term for x in b.terms]
    np.testing.assert_allclose([x.coef for x in b.terms], [x.coef for x in a.terms], rtol=1e-10)
    np.testing.assert_allclose([x.se for x in b.terms], [x.se for x in a.terms], rtol=1e-10)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)
    assert b.iterations == a.iterations


def test_bad_spark_url_is_one_clear_message():
    from hccdash.errors import InputError

    # without grpcio (requirements-dev has none) the message names the extra; with it, the
    # connection fails and the message says Spark does not answer
    with pytest.raises(InputError, match=r"does not answer|needs PySpark's connect extra"):
        spark_session("sc://127.0.0.1:9")
