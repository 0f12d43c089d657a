"""Where a cohort lives when it is too big for pandas: a relation on DuckDB (or Spark).

A :class:`Source` is one table the engine can query: a Parquet file or a folder of them, a
CSV/TSV file, a table of a DuckDB database, or an in-memory pandas/Arrow frame. Queries are
built as SQLGlot expressions (:mod:`hccdash.engine.predicate`, :mod:`hccdash.engine.survival`,
:mod:`hccdash.engine.cox`) and rendered in the backend's dialect at the last moment, so the
same definition runs on DuckDB and on Spark (:mod:`hccdash.engine.spark`). Identifiers are
always quoted and user values always become escaped literals: no user string is ever pasted
into SQL text.

Why SQLGlot and not Ibis: the statistics need a handful of GROUP BY queries, which SQLGlot's
expression builder writes once and transpiles to DuckDB and Spark SQL with dialect-correct
quoting and escaping; it is pure Python with no dependencies. Ibis would add a large
dependency tree (and a PySpark backend with its own version pins) to generate the same SQL
-- through SQLGlot.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlglot import exp

from hccdash.errors import FileReadError, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ENGINES", "Source", "open_source"]

ENGINES = ("duckdb", "spark")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "INT", "LONG",
            "SHORT", "BYTE")  # fmt: skip


def ident(name: str) -> exp.Column:
    """A quoted column reference (any name, including quotes, spaces and backticks)."""
    if not isinstance(name, str) or not name:
        raise InputError(f"Column name {name!r} must be a non-empty string.")
    return exp.Column(this=exp.to_identifier(name, quoted=True))


def is_numeric_type(sql_type: str) -> bool:
    """Whether a backend type name (DuckDB or Spark) is a number type."""
    base = sql_type.upper().split("(")[0].strip()
    return base in _NUMERIC or base.endswith("INT")


@dataclass
class Source:
    """One queryable table on a backend.

    Attributes
    ----------
    backend : object
        Runs SQLGlot expressions: ``fetch(expression) -> dict of numpy arrays`` and
        ``dialect`` (``"duckdb"`` or ``"spark"``).
    table : sqlglot.exp.Expression
        What goes in the FROM clause.
    columns : dict
        Column name -> backend type name, in table order.
    name : str
        Shown in messages (the file name, ``"db.duckdb:table"``, ``"data frame"``).
    """

    backend: object
    table: exp.Expression
    columns: dict[str, str]
    name: str

    @property
    def engine(self) -> str:
        """``"duckdb"`` or ``"spark"``."""
        return self.backend.dialect  # type: ignore[attr-defined]

    def require(self, columns: Sequence[str | None]) -> None:
        """Raise InputError naming the first column that is not in the table."""
        for c in columns:
            if c is not None and c not in self.columns:
                have = ", ".join(repr(x) for x in list(self.columns)[:12])
                raise InputError(
                    f"{self.name!r} has no column {c!r} (columns: {have}); use one of these "
                    "names (they are case-sensitive)."
                )

    def numeric(self, column: str) -> bool:
        """Whether ``column`` holds numbers."""
        self.require([column])
        return is_numeric_type(self.columns[column])

    def select(self, *expressions: exp.Expression | str) -> exp.Select:
        """``SELECT expressions FROM <this table>``."""
        return exp.select(*expressions).from_(self.table.copy())

    def fetch(self, query: exp.Expression) -> dict[str, np.ndarray]:
        """Run a query; one numpy array per output column."""
        return self.backend.fetch(query)  # type: ignore[attr-defined]

    def count(self, where: exp.Expression | None = None) -> int:
        """Number of rows (matching ``where``)."""
        q = self.select(exp.alias_(exp.Count(this=exp.Star()), "n"))
        if where is not None:
            q = q.where(where)
        return int(self.fetch(q)["n"][0])

    def distinct(
        self, column: str, where: exp.Expression | None = None, limit: int = 10_000
    ) -> list[object]:
        """Distinct non-missing values of ``column`` (option lists), sorted.

        Numbers sort numerically, everything else as strings (R's ``factor`` default). More
        than ``limit`` values is an InputError (a free-text or id column, not a factor).
        """
        col = ident(column)
        self.require([column])
        cond = exp.not_(exp.Is(this=col.copy(), expression=exp.Null()))
        if where is not None:
            cond = exp.and_(cond, where)
        q = self.select(exp.alias_(col, "v")).where(cond).distinct().limit(limit + 1)
        values = list(self.fetch(q)["v"])
        if len(values) > limit:
            raise InputError(
                f"Column {column!r} of {self.name!r} has more than {limit} distinct values; "
                "it cannot be a grouping or filter factor. Choose a categorical column or "
                "cut a numeric one."
            )
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        if self.numeric(column):
            values = [v for v in values if not (isinstance(v, float) and np.isnan(v))]
            return sorted(values)
        return sorted(values, key=str)


# ----------------------------------------------------------------------------------------
# DuckDB
# ----------------------------------------------------------------------------------------
class DuckDBBackend:
    """One DuckDB connection shared by every session (queries are serialised by a lock).

    Its memory limit, threads and spill directory come from the environment
    (:mod:`hccdash.engine.limits`: ``HCCDASH_DUCKDB_MEMORY``, default 2GB, ...).
    """

    dialect = "duckdb"

    def __init__(self, database: str = ":memory:", read_only: bool = False) -> None:
        import duckdb

        from hccdash.engine.limits import limits_from_env

        self._duckdb = duckdb
        self.limits = limits_from_env()
        try:
            self.con = duckdb.connect(database, read_only=read_only, config=self.limits.config())
        except duckdb.Error as exc:
            raise FileReadError(
                f"Cannot open the DuckDB database {database!r}: {exc}. Check the path and "
                "that no other program holds it open for writing."
            ) from None
        self.con.execute("SET enable_progress_bar = false")  # a server's log, not a terminal
        self._lock = threading.Lock()

    def fetch(self, query: exp.Expression) -> dict[str, np.ndarray]:
        sql = query.sql(dialect=self.dialect)
        # one query at a time on the connection (DuckDB parallelises each query itself, and
        # frames registered as views are visible to this connection only)
        with self._lock:
            try:
                res = self.con.execute(sql).fetchnumpy()
            except self._duckdb.OutOfMemoryException:
                from hccdash.engine.limits import out_of_memory

                raise out_of_memory(self.limits) from None
            except self._duckdb.Error as exc:
                raise InputError(f"The engine could not run the query: {exc}") from None
        out = {}
        # DuckDB returns a masked array for a column with NULLs, importing numpy.ma to do so;
        # when it is not imported no column has any (``np.ma`` itself would import it: 20 ms
        # of every ``analyze --engine`` process)
        ma = sys.modules.get("numpy.ma")
        for k, v in res.items():
            if ma is not None and isinstance(v, ma.MaskedArray):  # NULLs: NaN / None
                if v.dtype.kind in "fc":
                    v = v.filled(np.nan)
                else:  # (``filled(None)`` would fill numpy's default for objects, "?")
                    mask = np.ma.getmaskarray(v)
                    v = np.ma.getdata(v).astype(object)
                    v[mask] = None
            out[k] = np.asarray(v)
        return out

    def describe(self, table: exp.Expression) -> dict[str, str]:
        sql = f"DESCRIBE SELECT * FROM {table.sql(dialect=self.dialect)}"
        try:
            rows = self.con.execute(sql).fetchall()
        except self._duckdb.Error as exc:
            raise FileReadError(f"Cannot read {table.sql(dialect=self.dialect)}: {exc}") from None
        return {r[0]: str(r[1]) for r in rows}


def _read_call(func: str, path: str, **options: object) -> exp.Expression:
    args: list[exp.Expression] = [exp.Literal.string(path)]
    for k, v in options.items():
        if isinstance(v, tuple):
            lit: exp.Expression = exp.Array(expressions=[exp.Literal.string(x) for x in v])
        elif isinstance(v, bool):
            lit = exp.Boolean(this=v)
        else:
            lit = exp.Literal.string(str(v))
        args.append(exp.EQ(this=exp.column(k), expression=lit))
    return exp.Anonymous(this=func, expressions=args)


def _file_table(path: Path) -> exp.Expression:
    """FROM expression for a Parquet file/folder or a CSV/TSV file (DuckDB table functions)."""
    if path.is_dir():
        files = list(path.rglob("*.parquet"))
        if not files:
            raise FileReadError(
                f"Folder {str(path)!r} has no .parquet files; point to a Parquet file, a "
                "folder of them, a CSV file or a DuckDB database."
            )
        return _read_call("read_parquet", str(path / "**" / "*.parquet"))
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _read_call("read_parquet", str(path))
    # numbers and text only, as on Spark (engine.spark._read_file): DuckDB's sniffer would read
    # yes/no or true/false as BOOLEAN and ISO dates as DATE, not the file's text
    types = ("BIGINT", "DOUBLE", "VARCHAR")
    if suffix in (".csv", ".txt"):
        return _read_call("read_csv", str(path), header=True, auto_type_candidates=types)
    if suffix == ".tsv":
        return _read_call(
            "read_csv", str(path), header=True, delim="\t", auto_type_candidates=types
        )
    raise FileReadError(
        f"{path.name!r}: the engine reads .parquet, .csv and .tsv files, folders of Parquet "
        "files and DuckDB databases (.duckdb with a table); convert other formats first."
    )


def open_source(
    data: str | os.PathLike | pd.DataFrame | object,
    *,
    table: str | None = None,
    engine: str | None = None,
    backend: object | None = None,
) -> Source:
    """Open a cohort on the engine, in place (nothing is copied into Python).

    Parameters
    ----------
    data : path, pandas.DataFrame or pyarrow.Table
        A ``.parquet`` file or a folder of them, a ``.csv``/``.tsv`` file, a ``.duckdb``
        database (with ``table``), or an in-memory frame.
    table : str, optional
        Table name inside a DuckDB database (or a Spark catalog table with ``engine="spark"``).
    engine : {"duckdb", "spark"}, optional
        Default: the ``HCCDASH_ENGINE`` environment variable, else ``"duckdb"``.
    backend : object, optional
        An existing backend to reuse (one connection shared by every session).

    Returns
    -------
    Source

    Examples
    --------
    >>> import pandas as pd
    >>> src = open_source(pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "g": ["a", "b"]}))
    >>> src.count(), src.distinct("g")
    (2, ['a', 'b'])
    """
    engine = (engine or os.environ.get("HCCDASH_ENGINE") or "duckdb").lower()
    if engine not in ENGINES:
        raise InputError(f"HCCDASH_ENGINE={engine!r} is not supported; use 'duckdb' or 'spark'.")
    if engine == "spark":
        from hccdash.engine.spark import open_spark_source

        return open_spark_source(data, table=table, backend=backend)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise FileReadError(
                f"{str(path)!r} does not exist; give the path of a Parquet/CSV file, a folder "
                "of Parquet files or a DuckDB database."
            )
        if path.suffix.lower() in (".duckdb", ".db", ".ddb"):
            if not table:
                raise InputError(
                    f"{path.name!r} is a DuckDB database: name the table to analyse "
                    "(table=... or HCCDASH_TABLE)."
                )
            be = backend or DuckDBBackend(str(path), read_only=True)
            t = exp.Table(this=exp.to_identifier(table, quoted=True))
            name = f"{path.name}:{table}"
        else:
            be = backend or DuckDBBackend()
            t = _file_table(path)
            name = path.name
    else:
        be = backend or DuckDBBackend()
        view = f"hccdash_frame_{id(data):x}"
        try:
            be.con.register(view, data)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - duckdb raises several types for bad objects
            raise InputError(
                f"Cannot use a {type(data).__name__!r} as a cohort: {exc}. Pass a file path, "
                "a pandas DataFrame or a pyarrow Table."
            ) from None
        t = exp.Table(this=exp.to_identifier(view, quoted=True))
        name = "data frame"
    try:
        columns = be.describe(t)  # type: ignore[attr-defined]
    except FileReadError as exc:
        if not isinstance(data, str | os.PathLike):
            raise
        raise FileReadError(
            f"{str(data)!r} cannot be read ({str(exc).splitlines()[0]}); fix: give a readable "
            "Parquet file (or a folder of them), a CSV/TSV file with a header row, or a DuckDB "
            "database and its table."
        ) from None
    return Source(backend=be, table=t, columns=columns, name=name)


def literal(value: object) -> exp.Expression:
    """A SQL literal for a user value, escaped by SQLGlot for the target dialect.

    Floats become ``CAST(<repr> AS DOUBLE)`` so Spark does not read ``0.1`` as a DECIMAL.
    """
    if isinstance(value, bool | np.bool_):
        return exp.Boolean(this=bool(value))
    if isinstance(value, int | np.integer):
        return exp.Literal.number(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            raise InputError(f"Filter value {value!r} is not a finite number.")
        return exp.cast(exp.Literal.number(repr(v)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise InputError(f"Filter value {value!r} must be a string or a number.")


def as_double(e: exp.Expression) -> exp.Expression:
    """``CAST(e AS DOUBLE)``."""
    return exp.cast(e, exp.DataType.Type.DOUBLE)


def option_lists(source: Source, columns: Sequence[str]) -> Mapping[str, list[object]]:
    """Distinct values of several columns (the sidebar's option lists), one query each."""
    return {c: source.distinct(c) for c in columns}
