"""A server-side cohort queried in place: the sidebar's filters as SQL, one GROUP BY per view.

``HCCDASH_DATA`` naming a Parquet file or folder, a CSV/TSV or a DuckDB database (table in
``HCCDASH_TABLE``), with its codebook in ``HCCDASH_CODEBOOK``, is opened ONCE per server
process (:func:`served_cohort`, keyed by the paths and modification times) on one engine
connection that every session shares. Nothing is copied into pandas:

- the codebook is applied as a SQL view over the file (:meth:`ServedCohort.view`): each
  endpoint's time converted to months (``CAST(t AS DOUBLE) * months_per_unit``, the same
  IEEE product as :func:`hccdash.codebook.apply_codebook`), its event codes mapped to 1/0,
  value labels replacing codes. The mapping of codes is decided in Python on the distinct
  values (``SELECT DISTINCT``) with the codebook's own rules, so it is the in-memory one;
- a sidebar :class:`~hccdash.filters.FilterSpec` becomes SQL predicates
  (:meth:`ServedCohort.filters`): a numeric range on a numeric column is ``BETWEEN``; every
  other filter (levels, yes/no roles, the arm's slug, a range on a text column) is decided
  by :func:`hccdash.filters.apply_filters` itself on the column's option list (its distinct
  values, cached per cohort) and pushed down as ``column IN (kept values)``. One home for
  every filter rule, and the patients kept are exactly those the in-memory path keeps;
- a KM page view (curves, medians, landmarks, risk table, RMST, the group test) is one
  aggregation (:meth:`ServedCohort.km_view`, :func:`hccdash.engine.view.km_view`).

``HCCDASH_ENGINE=spark`` runs the same SQLGlot expressions as Spark SQL (the view a temporary
view of the process's SparkSession, ``HCCDASH_SPARK_URL``); ``tests/test_engine_spark_served.py``
checks it equals the DuckDB served cohort.

``tests/test_engine_served.py`` checks both paths against each other (1e-10) on the public
cohorts' files, and ``bench/served_cases.py`` measures a filter change at 1e6 and 1e7 rows
against the bare DuckDB GROUP BY.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from hccdash.codebook import TO_MONTHS, Codebook, EndpointSpec, level_text
from hccdash.codebook.apply import _code  # the one home of how a cell reads as a code
from hccdash.engine import survival as es
from hccdash.engine.predicate import where
from hccdash.engine.source import Source, as_double, ident, literal, open_source
from hccdash.engine.view import EngineCohort, KMView, km_view
from hccdash.errors import InputError, preview_labels
from hccdash.filter_url import _is_range
from hccdash.filters import FilterSpec, apply_filters
from hccdash.schema import ASCITES, CHILD_PUGH, KPS, PVTT, TREATMENT

__all__ = ["ServedCohort", "open_served", "served_cohort"]

TABLE_ENV = "HCCDASH_TABLE"
_FLOATS = ("DOUBLE", "FLOAT", "REAL")
_VIEW_IDS = itertools.count()
_FIELDS = {CHILD_PUGH: "child_pugh", KPS: "kps", PVTT: "pvtt", ASCITES: "ascites", TREATMENT: "arm"}


def _py(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


def _raw_distinct(source: Source, column: str) -> list[object]:
    """Distinct non-missing raw values of a column (no sorting, no limit: codes only)."""
    col = ident(column)
    q = source.select(exp.alias_(col, "v")).where(es.present(source, column)).distinct()
    values = [_py(v) for v in source.fetch(q)["v"]]
    return [v for v in values if not (isinstance(v, float) and np.isnan(v))]  # see _event_expr


def _in(column: str, values: Sequence[object]) -> exp.Expression:
    return exp.In(this=ident(column), expressions=[literal(v) for v in values])


def _event_expr(source: Source, e: EndpointSpec, name: str) -> exp.Expression:
    """The endpoint's event column as 1.0 / 0.0 (NULL when missing), as apply_codebook."""
    raw = _raw_distinct(source, e.event)
    codes = {v: _code(v) for v in raw}
    ev = {x.lower() for x in e.event_values}
    other = {x.lower() for x in (*e.censored_values, *e.competing_values)}
    bad = sorted({str(v) for v, c in codes.items() if c not in ev | other})
    if bad:
        raise InputError(
            f"{name}: column {e.event!r} has event codes {preview_labels(bad)} that the "
            f"codebook's endpoint {e.key!r} does not list; fix: add them to its coding (event, "
            "censored or competing)."
        )
    floating = source.columns[e.event].upper() in _FLOATS
    zero_one = ev == {"1"} and "0" in other and set(codes.values()) <= {"0", "1"}
    if source.numeric(e.event) and not floating and zero_one:
        return as_double(ident(e.event))  # whole numbers coded 0/1 (no NaN): as they are
    # explicit lists of codes, never "not missing": DuckDB folds ISNAN() to false on a
    # Parquet column whose statistics (pyarrow's ignore NaN) say it holds none, so a NaN
    # (not NULL) event must fall through to NULL by matching no code
    case = exp.Case()
    for value, kept in ((1.0, [v for v, c in codes.items() if c in ev]),
                        (0.0, [v for v, c in codes.items() if c in other])):  # fmt: skip
        if kept:
            case = case.when(_in(e.event, kept), literal(value))
    return case if raw else exp.cast(exp.Null(), exp.DataType.Type.DOUBLE)  # no event coded


def _label_expr(source: Source, column: str, labels: Mapping[str, str]) -> exp.Expression:
    """A coded column with its value labels (codes without a label as their level text)."""
    lower = {k.lower(): lab for k, lab in labels.items()}
    case = exp.Case()
    for v in _raw_distinct(source, column):
        text = lower.get(_code(v) or "", level_text(v))
        case = case.when(exp.EQ(this=ident(column), expression=literal(v)), literal(text))
    return case if case.args.get("ifs") else ident(column)  # an empty column stays as it is


def _view_table(source: Source, codebook: Codebook, name: str) -> exp.Expression:
    """``(SELECT <the codebook applied> FROM <file>) AS cohort``."""
    need = [v.name for v in codebook.variables if v.kind != "id"]
    need += [c for e in codebook.endpoints for c in (e.time, e.event, e.entry) if c]
    missing = [c for c in dict.fromkeys(need) if c not in source.columns]
    if missing:
        raise InputError(
            f"{name}: the codebook names {len(missing)} columns the table does not have: "
            f"{preview_labels(missing)}; the table has {preview_labels(list(source.columns), 8)}"
            "; fix: use the codebook written for this table, or edit its column names."
        )
    if not codebook.endpoints:
        raise InputError(
            f"{name}: the codebook has no endpoint; fix: add one (time and event columns) so "
            "the server's cohort can be analysed."
        )
    exprs: dict[str, exp.Expression] = {}
    for v in codebook.variables:
        if v.level_labels and v.kind != "id":
            exprs[v.name] = _label_expr(source, v.name, v.level_labels)
    for e in codebook.endpoints:
        if e.unit not in TO_MONTHS:
            raise InputError(
                f"{name}: endpoint {e.key!r} has unit {e.unit!r}; fix: use one of "
                f"{preview_labels(list(TO_MONTHS))}."
            )
        for c in (e.time, e.entry):  # the entry time is in the unit of the time
            if c is not None and not source.numeric(c):  # else a CAST error in the engine
                raise InputError(
                    f"{name}: column {c!r} (endpoint {e.key!r}'s time) holds "
                    f"{source.columns[c]}, not numbers; fix: write the times as numbers "
                    "(decimal point, no units) or point the codebook to the time column."
                )
            if c is not None and e.unit != "months":
                factor = literal(float(TO_MONTHS[e.unit]))
                exprs[c] = exp.Mul(this=as_double(ident(c)), expression=factor)
        exprs[e.event] = _event_expr(source, e, name)
    cols = [
        exp.alias_(exprs[c], c, quoted=True) if c in exprs else ident(c) for c in source.columns
    ]
    # A NaN (not NULL) in a float column is missing, as in pandas: NULL in the view. DuckDB's
    # statistics propagation takes a Parquet column's pyarrow statistics, which ignore NaN, as
    # "no NaN" and folds ISNAN() to false and "x <= max" to true (a range filter kept NaN
    # rows); _named_view also disables it on this connection. Each fix alone passes
    # tests/test_engine_served.py; without both it fails.
    floats = [c for c, t in source.columns.items() if t.upper() in _FLOATS]
    inner = exp.select(
        *(exp.alias_(_nan_as_null(c), c, quoted=True) if c in floats else ident(c)
          for c in source.columns)
    ).from_(source.table.copy())  # fmt: skip
    return exp.select(*cols).from_(inner.subquery("rows")).subquery("cohort")


def _nan_as_null(column: str) -> exp.Expression:
    col = ident(column)
    return exp.Case().when(exp.IsNan(this=col.copy()), exp.Null()).else_(col)


def _named_view(source: Source, query: exp.Subquery) -> exp.Expression:
    """The view as a temporary view of the engine's session (DuckDB's connection, Spark's
    SparkSession), so each query names it (no copy and rendering of every CASE per query: a
    third of a filter change at 1e6 rows). One SQLGlot statement for both engines."""
    name = exp.to_identifier(f"hccdash_served_{next(_VIEW_IDS)}", quoted=True)
    create = exp.Create(
        this=exp.Table(this=name),
        kind="VIEW",
        expression=query.this.copy(),
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    backend = source.backend
    con = getattr(backend, "con", None)
    if con is not None:  # DuckDB: this connection is the served cohort's own (open_source)
        con.execute("SET disabled_optimizers = 'statistics_propagation'")  # see _view_table
        con.execute(create.sql(backend.dialect))  # type: ignore[attr-defined]
    elif hasattr(backend, "execute"):  # Spark
        backend.execute(create)
    else:  # any other backend: the subquery itself
        return query
    return exp.Table(this=name)


@dataclass
class ServedCohort:
    """One server-side cohort on the engine, shared by every session (thread-safe caches).

    Attributes
    ----------
    view : Source
        The cohort as the pages see it (months, 0/1 events, value labels), over the file.
    codebook : Codebook
    name : str
    """

    view: Source
    codebook: Codebook
    name: str
    _engine: EngineCohort = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _counts: dict = field(init=False, repr=False, default_factory=dict)
    _filters: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._engine = EngineCohort(self.view)

    @property
    def columns(self) -> list[str]:
        return list(self.view.columns)

    def endpoint(self, key: str) -> EndpointSpec:
        for e in self.codebook.endpoints:
            if e.key == key:
                return e
        keys = ", ".join(repr(e.key) for e in self.codebook.endpoints)
        raise InputError(f"{self.name}: no endpoint {key!r}; use one of {keys}.")

    def role(self, role: str) -> str | None:
        """The column playing a sidebar role (the codebook's, else the canonical name)."""
        v = self.codebook.by_role(role)
        if v is not None:
            return v.name
        return role if role in self.view.columns else None

    def roles(self) -> tuple[tuple[str, str], ...]:
        """``FilterSpec.roles`` of this cohort: the roles whose column is not the role's
        canonical name (as :func:`hccdash.filters.role_columns` for an in-memory cohort)."""
        out = []
        for role in _FIELDS:
            column = self.role(role)
            if column is not None and column != role:
                out.append((role, column))
        return tuple(out)

    def options(self, column: str) -> list[object]:
        """Distinct values of ``column`` as the pages show them (cached per cohort)."""
        return self._engine.options(column)

    def filters(self, spec: FilterSpec) -> list[tuple[str, Any]]:
        """The sidebar's filters as engine predicates (``hccdash.engine.predicate``).

        Raises
        ------
        InputError
            A filtered column the cohort does not have (as ``apply_filters``).
        """
        with self._lock:
            if spec in self._filters:
                return list(self._filters[spec])
        out: list[tuple[str, Any]] = []
        for column, sub in _per_column(spec):
            self.view.require([column])
            rng = sub.kps if sub.kps is not None else (sub.extra[0][1] if sub.extra else None)
            if rng is not None and _is_range(rng) and self.view.numeric(column):
                out.append((column, {"min": rng[0], "max": rng[1]}))
                continue
            values = self.options(column)
            kept = apply_filters(pd.DataFrame({column: pd.Series(values, dtype=object)}), sub)
            out.append((column, {"in": [_py(v) for v in kept[column]]}))
        with self._lock:
            if len(self._filters) > 256:
                self._filters.clear()
            self._filters[spec] = tuple(out)
        return out

    def count(self, spec: FilterSpec | None = None) -> int:
        """Patients kept by ``spec`` (the sidebar's "n of N"), one COUNT(*) (cached)."""
        key = spec or FilterSpec()
        with self._lock:
            if key in self._counts:
                return self._counts[key]
        cond = where(self.view, self.filters(key)) if spec is not None else None
        n = self.view.count(cond)
        with self._lock:
            if len(self._counts) > 256:
                self._counts.clear()
            self._counts[key] = n
        return n

    def km_view(
        self, spec: FilterSpec | None, endpoint: str, by: str | None = None, **kw: Any
    ) -> KMView:
        """KM curves, medians, landmarks, risk table, RMST and the test of one endpoint by
        ``by`` on the patients ``spec`` keeps: one aggregation on the engine
        (:func:`hccdash.engine.view.km_view`; ``kw`` as there)."""
        e = self.endpoint(endpoint)
        preds = self.filters(spec) if spec is not None else None
        # the view's event columns hold 0, 1 or NULL (codes checked when it was opened)
        return km_view(self.view, e.time, e.event, by, filters=preds, codes_checked=True, **kw)


def _per_column(spec: FilterSpec) -> list[tuple[str, FilterSpec]]:
    """Each filter of ``spec`` alone, with the column it reads."""
    out = []
    for role, value in spec.role_values().items():
        out.append((spec.column(role), FilterSpec(roles=spec.roles, **{_FIELDS[role]: value})))
    for column, values in spec.extra:
        out.append((column, FilterSpec(roles=spec.roles, extra=((column, values),))))
    return out


def open_served(
    data: str | os.PathLike,
    codebook: str | os.PathLike | Codebook,
    *,
    table: str | None = None,
    validate: bool = True,
    engine: str | None = None,
) -> ServedCohort:
    """Open a server-side cohort in place with its codebook.

    Parameters
    ----------
    data : path
        Parquet file or folder, CSV/TSV file, or DuckDB database (with ``table``).
    codebook : path or Codebook
        What the columns mean (endpoints, codes, units, labels).
    table : str, optional
        Table of a DuckDB database; default ``HCCDASH_TABLE``.
    validate : bool
        Check every endpoint's times and event codes now (one scan each), so a bad file is
        one clear message at start-up.
    engine : {"duckdb", "spark"}, optional
        Default ``HCCDASH_ENGINE``, else DuckDB. On Spark (``HCCDASH_SPARK_URL``) the same
        SQLGlot queries run as Spark SQL and the view is a temporary view of the process's
        SparkSession.

    Raises
    ------
    hccdash.errors.HccdashError
        A path that does not exist or cannot be read, columns the codebook names but the
        table lacks, event codes outside the coding, negative times, a Spark URL that does
        not answer (``hccdash.engine.spark.spark_session``).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from hccdash.codebook import Codebook, EndpointSpec, Variable
    >>> book = Codebook(
    ...     variables=(Variable("arm", "Arm", level_labels={"1": "A", "2": "B"}),),
    ...     endpoints=(EndpointSpec("os", "OS", "days", "dead", unit="days"),),
    ... )
    >>> path = tempfile.mkdtemp() + "/c.parquet"
    >>> pd.DataFrame({"days": [30.4375, 60.875], "dead": [1, 0], "arm": [1, 2]}).to_parquet(path)
    >>> c = open_served(path, book)
    >>> c.options("arm"), c.count(FilterSpec(extra=(("arm", ("B",)),)))
    (['A', 'B'], 1)
    """
    cb = codebook if isinstance(codebook, Codebook) else Codebook.read(codebook)
    path = Path(data)
    raw = open_source(path, table=table or os.environ.get(TABLE_ENV) or None, engine=engine)
    view_table = _named_view(raw, _view_table(raw, cb, raw.name))
    columns = raw.backend.describe(view_table)  # type: ignore[attr-defined]
    view = Source(backend=raw.backend, table=view_table, columns=columns, name=raw.name)
    if validate:
        for e in cb.endpoints:
            es.validate(view, e.time, e.event, [], None)
    return ServedCohort(view=view, codebook=cb, name=cb.name or raw.name)


_SERVED: dict[tuple, ServedCohort] = {}
_SERVED_LOCK = threading.Lock()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def served_cohort(
    data: str | os.PathLike,
    codebook: str | os.PathLike,
    table: str | None = None,
    *,
    engine: str | None = None,
) -> ServedCohort:
    """:func:`open_served`, once per server process, file version and engine (every session
    shares the one connection and its option lists)."""
    engine = (engine or os.environ.get("HCCDASH_ENGINE") or "duckdb").lower()
    where = (engine, os.environ.get("HCCDASH_SPARK_URL"))
    key = (str(data), _mtime(Path(data)), str(codebook), _mtime(Path(codebook)), table, where)
    with _SERVED_LOCK:
        held = _SERVED.get(key)
        if held is None:
            held = open_served(data, codebook, table=table, engine=engine)
            _SERVED.clear()  # a new file version replaces the old one
            _SERVED[key] = held
        return held
