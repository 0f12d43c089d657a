"""``python -m hccdash analyze --engine duckdb|spark|auto``: the CLI on the engine.

The file is queried in place (Parquet, CSV/TSV): only the time, event, group and covariate
columns are read (DuckDB pushes the projection into the Parquet and CSV readers), the KM
curves and tests come from one GROUP BY, the Cox model from per-step sums. The JSON is the
in-memory path's, except that an engine Cox fit has ``concordance`` null and ``ph_test`` []
(both need every row). ``auto`` picks the engine above a row count when the file and columns
allow it (numeric time and event, no ``--mapping``/``--sheet``/``--exclude-fatal``/``--max-mb``,
whose checks belong to the in-memory reader, and a file within the reader's size limit, whose
refusal stays the CLI contract); otherwise the in-memory path runs unchanged. An explicit
``--engine duckdb`` has no size limit: that is how a registry file is analysed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hccdash.engine import survival as es
from hccdash.engine.source import is_numeric_type, open_source
from hccdash.errors import InputError

__all__ = ["engine_for", "results_on_engine"]

_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv")


def _reader_options(args: argparse.Namespace) -> list[str]:
    return [
        flag
        for flag, value in (
            ("--mapping", args.mapping),
            ("--sheet", args.sheet),
            ("--exclude-fatal", args.exclude_fatal),
            ("--max-mb", args.max_mb),
            ("--id", args.id),
            ("--codebook", getattr(args, "codebook", None)),
        )
        if value
    ]


def estimated_rows(path: Path) -> int:
    """Rows of a Parquet file (its footer) or an estimate for a CSV (size / line length)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    lines = max(head.count(b"\n"), 1)
    return int(path.stat().st_size / (len(head) / lines))


def _memory_limit_bytes() -> float:
    from hccdash import io

    return float(getattr(io, "DEFAULT_MAX_MB", 50.0)) * 1024 * 1024


def _engine_name(args: argparse.Namespace) -> str:
    if args.engine in ("duckdb", "spark"):
        return args.engine
    return (os.environ.get("HCCDASH_ENGINE") or "duckdb").lower()


def engine_for(args: argparse.Namespace, auto_rows: int) -> bool:
    """Whether ``analyze`` runs on the engine (``--engine`` and, for auto, the file)."""
    if args.engine == "memory":
        return False
    if not getattr(args, "file", None):  # HCCDASH_DATA: the in-memory reader with its codebook
        if args.engine in ("duckdb", "spark"):
            raise InputError(
                f"--engine {args.engine} needs the FILE argument (the cohort of HCCDASH_DATA is "
                "read with its codebook in memory): name the file, or drop --engine."
            )
        return False
    path = Path(args.file)
    explicit = args.engine in ("duckdb", "spark")
    blocked = _reader_options(args)
    if explicit:
        if blocked:
            raise InputError(
                f"--engine {args.engine} reads the file as it is; {', '.join(blocked)} need the "
                "in-memory reader: drop them or use --engine memory."
            )
        if not args.time or not args.event:
            raise InputError("--engine needs --time and --event (the file's column names).")
        return True
    if blocked or not args.time or not args.event or path.suffix.lower() not in _SUFFIXES:
        return False
    if not path.is_file() or path.stat().st_size > _memory_limit_bytes():
        return False  # auto keeps the in-memory reader's size limit; --engine lifts it
    if estimated_rows(path) <= auto_rows:
        return False
    try:
        src = open_source(path, engine=_engine_name(args))
    except InputError:
        return False  # the in-memory reader gives its own, detailed message
    cols = [args.time, args.event, args.group, *(args.covariates or [])]
    if any(c and c not in src.columns for c in cols):
        return False
    return all(
        is_numeric_type(src.columns[c]) or src.columns[c].upper() == "BOOLEAN"
        for c in (args.time, args.event)
    )


def results_on_engine(args: argparse.Namespace):
    """KM result, group test, trend test and Cox fit of ``analyze`` (None where not asked)."""
    src = open_source(Path(args.file), engine=_engine_name(args))
    src.require([args.time, args.event, args.group, *(args.covariates or [])])
    counts = es.count_table(src, args.time, args.event, args.group)
    km = es.km(counts, conf_type=args.conf_type, conf_level=args.conf_level)
    res = trend = fit = None
    if args.group:
        res = es.survdiff(counts, method=args.test, p=args.fh_p, q=args.fh_q)
        if args.trend:
            trend = es.trend(res if args.test == "logrank" else es.survdiff(counts))
    if args.covariates:
        from hccdash.engine import cox as ecox  # scipy.stats only when a model is asked

        fit = ecox.cox_fit(
            src, args.time, args.event, args.covariates, ties=args.ties, conf_level=args.conf_level
        )
    return km, res, trend, fit
