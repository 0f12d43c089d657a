"""The engine on Apache Spark (PySpark): the same SQLGlot queries, rendered as Spark SQL.

``HCCDASH_ENGINE=spark`` selects it; ``HCCDASH_SPARK_URL`` says where Spark runs: a master
URL (``local[2]``, the default; ``spark://host:7077``; ``yarn``) or a Spark Connect URL
(``sc://host:15002``, needs ``pyspark[connect]``). A cohort is a Parquet file or folder, a
CSV file, a catalog table (``table=``) or a pandas frame; it becomes a temporary view and is
never collected: only the aggregated rows (counts per time, sums per time) come back.

One SparkSession per process (Spark's own rule), shared by every source and session.

A ``spark://`` or ``sc://`` URL is first probed with a plain TCP connection
(``HCCDASH_SPARK_TIMEOUT`` seconds, default 5): PySpark itself takes about a minute and a
page of Java stack traces to give up on a master that does not answer (three registration
attempts 20 s apart), so a wrong URL is one sentence at once instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import socket
import threading
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from sqlglot import exp

from hccdash.engine.source import Source
from hccdash.errors import FileReadError, InputError

__all__ = ["SparkBackend", "open_spark_source", "probe_url", "spark_session"]

URL_ENV, TIMEOUT_ENV = "HCCDASH_SPARK_URL", "HCCDASH_SPARK_TIMEOUT"
_DEFAULT_PORTS = {"spark": 7077, "sc": 15002}
_LOCK = threading.Lock()
_SESSION: dict[str, object] = {}
_VIEWS = itertools.count()


def spark_session(url: str | None = None):
    """The process's SparkSession for ``url`` (default ``HCCDASH_SPARK_URL`` or local[2]).

    Raises InputError with one clear sentence when PySpark or Java is missing or the URL
    does not answer.
    """
    url = url or os.environ.get(URL_ENV) or "local[2]"
    with _LOCK:
        if url in _SESSION:
            return _SESSION[url]
        probe_url(url)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise InputError(
                "HCCDASH_ENGINE=spark needs PySpark: pip install -r requirements-dev.txt "
                "(or pyspark), or use HCCDASH_ENGINE=duckdb."
            ) from None
        if not url.startswith("sc://") and not (
            shutil.which("java") or os.environ.get("JAVA_HOME")
        ):
            raise InputError(
                "HCCDASH_ENGINE=spark needs Java 17 (apt-get install openjdk-17-jre-headless)."
            )
        if url.startswith("sc://") and any(
            importlib.util.find_spec(m) is None for m in ("grpc", "grpc_status")
        ):
            # checked here: without grpcio, PySpark's Spark Connect client may exit the process
            raise InputError(
                f"Spark Connect ({url!r}) needs PySpark's connect extra: pip install "
                "'pyspark[connect]' (grpcio), or use a master URL such as local[2]."
            )
        builder = SparkSession.builder.appName("hccdash")
        try:
            if url.startswith("sc://"):
                session = builder.remote(url).getOrCreate()
            else:
                partitions = "2" if url.startswith("local") else "200"
                session = (
                    builder.master(url)
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", partitions)
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate()
                )
                session.sparkContext.setLogLevel("ERROR")
            session.sql("SELECT 1").collect()
        except Exception as exc:  # noqa: BLE001 - py4j/grpc raise many types; one message
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"Spark at {url!r} does not answer ({first}). {_URL_FIX}") from None
        _SESSION[url] = session
        return session


_URL_FIX = (
    f"Fix: set {URL_ENV} to a Spark master that runs (local[2]; spark://host:7077) or a Spark "
    "Connect server (sc://host:15002), or use HCCDASH_ENGINE=duckdb."
)


def _timeout(env: dict[str, str] | None = None) -> float:
    text = (os.environ if env is None else env).get(TIMEOUT_ENV, "").strip() or "5"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 600:
        raise InputError(
            f"{TIMEOUT_ENV}={text!r} is not a number of seconds; fix: give one such as 5 "
            "(at most 600)."
        )
    return value


def probe_url(url: str, env: dict[str, str] | None = None) -> None:
    """Check that a ``spark://`` or ``sc://`` URL's host accepts a TCP connection.

    Other URLs (``local[...]``, ``yarn``, ``k8s://...``) are not probed. A master URL may
    list several hosts (``spark://h1:7077,h2:7077``, standby masters): one answering is
    enough.

    Raises
    ------
    InputError
        Naming ``HCCDASH_SPARK_URL``, the URL, what failed and the fix, within
        ``HCCDASH_SPARK_TIMEOUT`` seconds per host.

    Examples
    --------
    >>> probe_url("local[2]")  # nothing to probe
    >>> probe_url("spark://127.0.0.1:1")
    Traceback (most recent call last):
    ...
    hccdash.errors.InputError: HCCDASH_SPARK_URL='spark://127.0.0.1:1' does not answer ...
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in _DEFAULT_PORTS:
        return
    timeout = _timeout(env)
    hosts = url.split("://", 1)[1].split("/", 1)[0].split(";", 1)[0]
    failures = []
    for hostport in hosts.split(","):
        try:
            parts = urlsplit(f"//{hostport}")
            host, port = parts.hostname, parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            host, port = None, None
        if not host:
            raise InputError(f"{URL_ENV}={url!r} has no valid host:port ({hostport!r}). {_URL_FIX}")
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as exc:
            reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
            failures.append(f"{host}:{port}: {reason}")
    raise InputError(
        f"{URL_ENV}={url!r} does not answer ({'; '.join(failures)}; connect timeout "
        f"{timeout:g} s, {TIMEOUT_ENV}). {_URL_FIX}"
    )


class SparkBackend:
    """Runs SQLGlot expressions as Spark SQL; results come back as numpy arrays."""

    dialect = "spark"

    def __init__(self, session=None) -> None:
        self.spark = session if session is not None else spark_session()

    def fetch(self, query: exp.Expression) -> dict[str, np.ndarray]:
        sql = query.sql(dialect=self.dialect)
        try:
            df = self.spark.sql(sql)
            rows = df.collect()
        except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and py4j errors
            first = str(exc).strip().splitlines()[0]
            raise InputError(f"Spark could not run the query: {first}") from None
        out = {}
        for i, name in enumerate(df.columns):
            # DECIMAL comes back as decimal.Decimal; DuckDB's numpy result is a double
            values = [float(v) if isinstance(v, Decimal) else v for v in (r[i] for r in rows)]
            arr = np.array(values, dtype=object)
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                ints = all(isinstance(v, int) for v in values)
                arr = np.array(values, dtype=np.int64 if ints else np.float64)
            elif all(isinstance(v, bool) for v in values) and values:
                arr = np.array(values, dtype=bool)
            out[name] = arr
        return out

    def describe(self, table: exp.Expression) -> dict[str, str]:
        df = self.spark.sql(f"SELECT * FROM {table.sql(dialect=self.dialect)} LIMIT 0")
        return {f.name: f.dataType.simpleString() for f in df.schema.fields}

    def execute(self, statement: exp.Expression) -> None:
        """Run a statement that returns nothing (``CREATE TEMPORARY VIEW ...``)."""
        try:
            self.spark.sql(statement.sql(dialect=self.dialect))
        except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and py4j errors
            first = str(exc).strip().splitlines()[0]
            raise InputError(f"Spark could not run the query: {first}") from None


def open_spark_source(data, *, table: str | None = None, backend=None) -> Source:
    """A Source on Spark: a Parquet file/folder, a CSV, a catalog table or a pandas frame."""
    be = backend if backend is not None else SparkBackend()
    spark = be.spark
    name = "data frame"
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not str(data).startswith(("s3", "hdfs", "gs:", "abfs")) and not path.exists():
            raise FileReadError(
                f"{str(path)!r} does not exist; give the path of a Parquet/CSV file or a "
                "folder of Parquet files."
            )
        suffix = path.suffix.lower()
        name = path.name
        if not (path.is_dir() or suffix in (".parquet", ".pq", ".csv", ".tsv", ".txt")):
            raise FileReadError(
                f"{path.name!r}: on Spark the engine reads Parquet and CSV files or a catalog "
                "table (table=...)."
            )
        try:
            df = _read_file(spark, path)
        except Exception as exc:  # noqa: BLE001 - AnalysisException, py4j errors: one message
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FileReadError(
                f"Spark cannot read {str(path)!r} ({first}); fix: give a readable Parquet "
                "file, a folder of Parquet files or a CSV file with a header row."
            ) from None
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        for c in frame.columns:  # text columns: missing is None (NULL), not a float NaN
            if frame[c].dtype == object:
                frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
        df = spark.createDataFrame(frame)
    elif data is None and table:
        df, name = spark.table(table), table
    else:
        raise InputError(
            f"Cannot use a {type(data).__name__!r} as a cohort on Spark; pass a file path, a "
            "pandas DataFrame or table=..."
        )
    view = f"hccdash_src_{next(_VIEWS)}"
    df.createOrReplaceTempView(view)
    t = exp.Table(this=exp.to_identifier(view, quoted=True))
    return Source(backend=be, table=t, columns=be.describe(t), name=name)


_TEXT_TYPES = ("boolean", "date", "timestamp", "timestamp_ntz")


def _read_file(spark, path: Path):
    """A Parquet file/folder or a CSV/TSV file as a Spark DataFrame.

    A CSV is typed as DuckDB's engine reader types it (integers, doubles, text): Spark's
    inference would also turn ``true``/``false`` into booleans and ISO dates into dates,
    which the codebook's rules read as the file's text. Those columns are read again as
    text (the schema is inferred once; nothing is collected).
    """
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        return spark.read.option("recursiveFileLookup", "true").parquet(str(path))
    reader = (
        spark.read.option("header", "true")
        .option("sep", "\t" if path.suffix.lower() == ".tsv" else ",")
        .option("mode", "FAILFAST")
    )
    df = reader.option("inferSchema", "true").csv(str(path))
    fields = [f for f in df.schema.fields if f.dataType.typeName() in _TEXT_TYPES]
    if not fields:
        return df
    from pyspark.sql.types import StringType, StructField, StructType

    text = {f.name for f in fields}
    schema = StructType(
        [StructField(f.name, StringType(), True) if f.name in text else f for f in df.schema]
    )
    return reader.schema(schema).csv(str(path))
