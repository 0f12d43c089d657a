"""Registry-scale survival on a columnar engine (DuckDB embedded; Apache Spark for clusters).

A cohort stays where it is (Parquet, CSV, a DuckDB table, a Spark table or an in-memory frame);
filters become SQL predicates; KM, medians, landmarks, risk tables, RMST and every log-rank
family test are finished in numpy from one GROUP BY of counts per stratum, group and distinct
time; Cox models from per-iteration sums per distinct time. See :mod:`hccdash.engine.source`
for why the queries are SQLGlot expressions, and ``README.md`` ("Registry scale").

The page-facing entry point is :func:`hccdash.engine.view.km_view`.
"""

from hccdash.engine.predicate import where
from hccdash.engine.source import ENGINES, Source, open_source

__all__ = ["ENGINES", "Source", "open_source", "where"]
