"""The engine on Apache Spark (PySpark): the same SQLGlot queries, rendered as Spark SQL.

``HCCDASH_ENGINE=spark`` selects it; ``HCCDASH_SPARK_URL`` says where Spark runs: a master
URL (``local[2]``, the default; ``spark://host:7077``; ``yarn``) or a Spark Connect URL
(``sc://host:15002``, needs ``pyspark[connect]``). A cohort is a Parquet file or folder, a
CSV file, a catalog table (``table=``) or a pandas frame; it becomes a temporary view and is
never collected: only the aggregated rows (counts per time, sums per time) come back.

One SparkSession per process (Spark's own rule), shared by every source and session.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from sqlglot import exp

from hccdash.engine.source import Source
from hccdash.errors import FileReadError, InputError

__all__ = ["SparkBackend", "open_spark_source", "spark_session"]

_LOCK = threading.Lock()
_SESSION: dict[str, object] = {}
_VIEWS = itertools.count()


def spark_session(url: str | None = None):
    """The process's SparkSession for ``url`` (default ``HCCDASH_SPARK_URL`` or local[2]).

    Raises InputError with one clear sentence when PySpark or Java is missing or the URL
    does not answer.
    """
    url = url or os.environ.get("HCCDASH_SPARK_URL") or "local[2]"
    with _LOCK:
        if url in _SESSION:
            return _SESSION[url]
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
            raise InputError(
                f"Spark at {url!r} does not answer ({first}). Check HCCDASH_SPARK_URL (a master "
                "such as local[2] or spark://host:7077, or sc://host:15002 for Spark Connect)."
            ) from None
        _SESSION[url] = session
        return session


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
            values = [r[i] for r in rows]
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
        if path.is_dir() or suffix in (".parquet", ".pq"):
            df = spark.read.option("recursiveFileLookup", "true").parquet(str(path))
        elif suffix in (".csv", ".tsv", ".txt"):
            df = (
                spark.read.option("header", "true")
                .option("inferSchema", "true")
                .option("sep", "\t" if suffix == ".tsv" else ",")
                .csv(str(path))
            )
        else:
            raise FileReadError(
                f"{path.name!r}: on Spark the engine reads Parquet and CSV files or a catalog "
                "table (table=...)."
            )
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
