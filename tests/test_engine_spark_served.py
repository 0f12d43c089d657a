"""The served cohort on Spark (local[2]) equals the served cohort on DuckDB.

``HCCDASH_ENGINE=spark`` runs the same SQLGlot queries as ``engine.served`` on DuckDB (the
codebook as a view, the option lists, the sidebar's filters, the one GROUP BY of a KM view)
rendered as Spark SQL. DuckDB's served cohort is checked against the in-memory path (and so
R's survfit/survdiff) in test_engine_served.py; here Spark must give DuckDB's counts, option
lists, predicates, curves, medians and log-rank chi-square and p (1e-10) on the public
cohorts read from tests/data/public with their codebooks:

- veterans as Parquet, its Karnofsky score a float column holding NaN (not NULL) in some
  rows, its age a DECIMAL and its status text codes ("dead"/"alive"): NaN is missing in both
  engines, a DECIMAL is a number (Spark returns decimal.Decimal, DuckDB a double);
- GBSG2 straight from its CSV (each engine's own CSV reader and type inference), the event
  a 0/1 integer column;
- veterans coded as SPSS would (integer codes with value labels, status 1/2), so the view's
  labels and event codes are CASE expressions on integer literals.

Each filter spec has a numeric range (Karnofsky score, positive nodes with float bounds on an
integer column) and a level filter. One SparkSession for the module (``spark_session`` keeps
one per process; JVM start-up is the cost), a few dozen small queries.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_engine import same_km, same_test
from test_engine_served import _coded_veterans, _same

from hccdash.engine import served as sv
from hccdash.errors import FileReadError, HccdashError, InputError
from hccdash.filters import FilterSpec

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip(
        "Java is not installed (apt-get install openjdk-17-jre-headless)", allow_module_level=True
    )

from hccdash.engine.spark import spark_session

pytestmark = pytest.mark.spark

PUBLIC = Path(__file__).resolve().parent / "data" / "public"
NAN_ROWS = slice(3, None, 17)  # 8 of veterans' 137 rows


# A test JVM lives a minute: the C1 compiler only and the serial collector halve its CPU
# (this module: 50 s -> 25 s of Java CPU, 132 s -> 54 s wall at load 12 on 2 cores). Tests
# only: a server's long-lived JVM keeps Java's defaults. Unless JAVA_TOOL_OPTIONS is set.
TEST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def local_spark_session():
    """The process's local[2] SparkSession, its JVM started with :data:`TEST_JVM`."""
    with pytest.MonkeyPatch.context() as mp:
        if "JAVA_TOOL_OPTIONS" not in os.environ:
            mp.setenv("JAVA_TOOL_OPTIONS", TEST_JVM)
        return spark_session("local[2]")


@pytest.fixture(scope="module")
def spark():
    return local_spark_session()


def _veterans_parquet(tmp: Path) -> Path:
    d = pd.read_csv(PUBLIC / "veterans.csv")
    kps = d["Karnofsky_score"].to_numpy(dtype=float)
    kps[NAN_ROWS] = np.nan
    table = pa.Table.from_pandas(d, preserve_index=False)
    column = table.schema.get_field_index("Karnofsky_score")
    table = table.set_column(column, "Karnofsky_score", pa.array(kps, from_pandas=False))
    column = table.schema.get_field_index("Age_in_years")  # DECIMAL: Python Decimal on Spark
    age = pa.array(d["Age_in_years"] + 0.5).cast(pa.decimal128(5, 1))
    table = table.set_column(column, "Age_in_years", age)
    assert table.column("Karnofsky_score").null_count == 0  # NaN, not NULL
    path = tmp / "veterans.parquet"
    pq.write_table(table, path)
    return path


def _coded_parquet(tmp: Path) -> tuple[Path, object]:
    frame, book = _coded_veterans()
    path = tmp / "coded.parquet"
    frame.to_parquet(path, index=False)
    return path, book


CASES = {
    # data, codebook, endpoint, grouping, spec, option columns
    "veterans": (
        _veterans_parquet, "veterans.codebook.json", "os", "Celltype",
        FilterSpec(
            kps=(50, 90),
            extra=(("Celltype", ("adeno", "large", "squamous")), ("Age_in_years", (40, 70.5))),
        ),
        ["Celltype", "Karnofsky_score", "Prior_therapy", "Age_in_years"],
    ),
    "gbsg2": (
        "gbsg2.csv", "gbsg2.codebook.json", "rfs", "tgrade",
        FilterSpec(arm="yes", extra=(("pnodes", (1.0, 5.5)), ("menostat", ("Post",)))),
        ["tgrade", "pnodes", "horTh", "menostat"],
    ),
    # integer codes with value labels (cell type 1-4, prior therapy 0/10), status 1/2: the
    # labels and event codes are CASE expressions comparing integer literals
    "coded": (
        _coded_parquet, None, "os", "Celltype",
        FilterSpec(pvtt="no", kps=(40, 90), extra=(("Celltype", ("adeno", "large", "smallcell")),)),
        ["Celltype", "Prior_therapy", "Karnofsky_score"],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def pairs(spark, tmp_path_factory):
    """Each case opened on DuckDB and on Spark (one served cohort per engine)."""
    tmp = tmp_path_factory.mktemp("spark_served")
    out = {}
    for name, (data, book, *rest) in CASES.items():
        if name == "coded":
            path, book = data(tmp)
        else:
            path = PUBLIC / data if isinstance(data, str) else data(tmp)
            book = PUBLIC / book
        duck = sv.open_served(path, book, engine="duckdb")
        on_spark = sv.open_served(path, book, engine="spark")
        out[name] = (duck, on_spark, *rest)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_served_cohort_on_spark_equals_duckdb(pairs, name):
    duck, spark, key, by, raw_spec, option_columns = pairs[name]
    assert spark.view.engine == "spark" and duck.view.engine == "duckdb"
    assert spark.columns == duck.columns
    assert {c: spark.view.numeric(c) for c in spark.columns} == {
        c: duck.view.numeric(c) for c in duck.columns
    }
    assert spark.roles() == duck.roles()
    spec = dataclasses.replace(raw_spec, roles=duck.roles())
    for column in option_columns:  # equal values of the same Python types (a Decimal from
        got, want = spark.options(column), duck.options(column)  # Spark would be == 69.5 but
        assert got == want, column  # would not become a filter literal)
        assert [type(v) for v in got] == [type(v) for v in want], column
    assert spark.filters(spec) == duck.filters(spec)
    n_all, n_kept = duck.count(), duck.count(spec)
    assert (spark.count(), spark.count(spec)) == (n_all, n_kept)
    assert 0 < n_kept < n_all

    times = (6.0, 12.0)
    got = spark.km_view(spec, key, by, times=times, tau=12.0)
    want = duck.km_view(spec, key, by, times=times, tau=12.0)
    same_km(got.km, want.km)
    _same(got.medians, want.medians)
    _same(got.landmarks, want.landmarks)
    _same(got.risk, want.risk)
    _same(got.rmst, want.rmst)
    same_test(got.test, want.test)
    assert got.km.n == n_kept and len(got.km.levels) >= 2
    assert got.test.chisq > 0 and 0 < got.test.p_value < 1
    for curve in got.km.curves:  # a real curve: finite, in [0, 1], non-increasing
        assert np.all(np.isfinite(curve.surv)) and np.all((curve.surv >= 0) & (curve.surv <= 1))
        assert np.all(np.diff(curve.surv) <= 0)


def test_the_cox_page_fit_on_spark_equals_duckdb(pairs):
    """The served Cox page's fit (hccdash.served_cox: the sidebar's filters and the
    codebook's cut points in SQL, one GROUP BY per Newton step) renders as Spark SQL with
    the same numbers."""
    from hccdash import served_cox as sc
    from hccdash.served_pages import shell_cohort
    from hccdash.ui.cox_view import grouped_factors

    duck, spark, *_ = pairs["gbsg2"]
    spec = FilterSpec(extra=(("tsize", (10.0, 45.0)),))
    covariates = ["horTh", "age", "tgrade", "pnodes", "progrec"]
    reference = {"horTh": "no", "age": "≤50 years", "tgrade": "I", "pnodes": "1–3 nodes"}
    fits = []
    for engine, served in (("duckdb", duck), ("spark", spark)):
        shell = shell_cohort(served, f"cox-{engine}", "gbsg2.csv")
        factors = grouped_factors(shell)
        fits.append(sc.fit(shell, spec, "rfs", covariates, "efron", reference, factors))
    got, want = fits
    assert (got.n, got.events) == (want.n, want.events) == (603, 258)
    assert [t.term for t in got.terms] == [t.term for t in want.terms]
    assert "age: >50 years vs ≤50 years" in [t.term for t in got.terms]
    for a, b in zip(got.terms, want.terms, strict=True):
        assert a.coef == pytest.approx(b.coef, rel=1e-9) and a.se == pytest.approx(b.se, rel=1e-9)
    assert got.likelihood_ratio.chisq == pytest.approx(want.likelihood_ratio.chisq, rel=1e-9)


def test_nan_is_missing_on_spark(pairs):
    """The NaN Karnofsky scores are missing on Spark as on DuckDB: not an option, kept by no
    range (Spark orders NaN above every number, so ``<= 90`` alone would drop them but
    ``>= 50`` would keep them)."""
    duck, spark, *_ = pairs["veterans"]
    options = spark.options("Karnofsky_score")
    assert not any(isinstance(v, float) and np.isnan(v) for v in options)
    kps = pd.read_csv(PUBLIC / "veterans.csv")["Karnofsky_score"].to_numpy(dtype=float)
    kps[NAN_ROWS] = np.nan
    spec = FilterSpec(kps=(50, 100), roles=spark.roles())
    assert spark.count(spec) == duck.count(spec) == int(((kps >= 50) & (kps <= 100)).sum())
    view = spark.km_view(None, "os")
    assert view.km.n == 137  # the time and event are complete; KPS is not read here


def test_bad_server_cohorts_on_spark_are_one_clear_message(spark, tmp_path):
    book = PUBLIC / "veterans.codebook.json"
    with pytest.raises(FileReadError, match="does not exist"):
        sv.open_served(tmp_path / "nope.parquet", book, engine="spark")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not a parquet file\n" * 10)
    with pytest.raises(FileReadError, match=r"Spark cannot read .*junk\.parquet.*fix:"):
        sv.open_served(junk, book, engine="spark")
    nocol = tmp_path / "nocol.parquet"
    pd.read_csv(PUBLIC / "veterans.csv").drop(columns=["Celltype"]).to_parquet(nocol)
    with pytest.raises(InputError, match=r"1 columns the table does not have: 'Celltype'"):
        sv.open_served(nocol, book, engine="spark")
    text_time = tmp_path / "text_time.parquet"
    d = pd.read_csv(PUBLIC / "veterans.csv")
    d["Survival_in_days"] = d["Survival_in_days"].astype(str) + " d"
    d.to_parquet(text_time)
    with pytest.raises(HccdashError, match=r"'Survival_in_days'.*not numbers; fix:"):
        sv.open_served(text_time, book, engine="spark")
