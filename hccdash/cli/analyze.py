"""``analyze``: its arguments, and the JSON object of KM, tests and Cox of a cohort file."""

from __future__ import annotations

import argparse
import json
import sys

from hccdash.cli.args import (
    UsageError,
    _columns,
    _conf_level,
    _ext_columns,
    _number_list,
    _positive,
)
from hccdash.cli.output import _chisq, _cox_json, _km_json, _table
from hccdash.compare import METHODS

TESTS = METHODS
ENGINE_AUTO_ROWS = 200_000  # --engine auto: above this many rows, query the file in place


def add_analyze(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
    p = subparsers.add_parser(
        "analyze",
        help="Kaplan-Meier, group test and Cox model of a cohort file, as JSON",
        description=(
            "Analyse a cohort file (CSV, TSV, XLSX or Parquet) and print one JSON object: "
            "n, events, dropped, conf_type, conf_level, km (one entry per group, with 'at' "
            "for --times and 'rmst' for --tau, else [] and null), test and trend (with "
            "--group), cox (with --covariates). Each block uses the complete cases of its "
            "own columns. Times are in the file's unit."
        ),
    )
    p.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="CSV, TSV, XLSX, Parquet, SPSS .sav, Stata .dta or SAS .sas7bdat file (default: "
        "$HCCDASH_DATA, with $HCCDASH_CODEBOOK)",
    )
    p.add_argument(
        "--codebook",
        metavar="JSON",
        help="the cohort's codebook (docs/codebook.md): labels, levels, references and "
        "endpoints; --time/--event default to its first endpoint, times in months",
    )
    p.add_argument("--time", metavar="COL", help="follow-up time column")
    p.add_argument("--event", metavar="COL", help="event column (1/0, yes/no, dead/alive ...)")
    p.add_argument("--group", metavar="COL", help="compare groups of this column")
    p.add_argument("--covariates", metavar="A,B", type=_columns, help="Cox model covariates")
    p.add_argument("--strata", metavar="COL", help="Cox: + strata(COL)")
    p.add_argument("--start", metavar="COL", help="entry time: rows are (start, time]")
    p.add_argument("--cluster", metavar="COL", help="Cox: robust SE by patient id")
    p.add_argument("--weights", metavar="COL", help="case weights (KM and Cox)")
    p.add_argument("--times", metavar="T1,T2", type=_number_list, help="landmark times")
    p.add_argument("--tau", metavar="T", type=_positive, help="RMST horizon")
    p.add_argument("--conf-type", choices=("log-log", "log", "plain"), default="log-log")
    p.add_argument(
        "--conf-level", type=_conf_level, default=0.95, metavar="0.95",
        help="level of every confidence interval (KM, medians, landmarks, hazard ratios)",
    )  # fmt: skip
    p.add_argument("--ties", choices=("efron", "breslow"), default="efron")
    p.add_argument("--test", choices=TESTS, default="logrank")
    p.add_argument("--fh-p", type=float, default=0.0, help="Fleming-Harrington p (default 0)")
    p.add_argument("--fh-q", type=float, default=0.0, help="Fleming-Harrington q (default 0)")
    p.add_argument("--trend", action="store_true", help="test for trend across ordered levels")
    p.add_argument("--format", choices=("json", "table"), default="json")
    p.add_argument("--id", metavar="COL", help="patient id column (names rows in messages)")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
    p.add_argument(
        "--mapping",
        metavar="JSON",
        help="column mapping saved on the data page; --time/--event then default to "
        "os_months/os_event and all columns use canonical names",
    )
    p.add_argument(
        "--exclude-fatal",
        action="store_true",
        help="leave out rows with fatal data problems instead of stopping (like the data "
        "page's confirm button)",
    )
    p.add_argument("--max-mb", type=_positive, default=None, help="file size limit in MB")
    from hccdash.cli.competing_args import add_arguments as add_competing_arguments

    add_competing_arguments(p)  # --competing, --cause, --censor-code, --cause-names
    p.add_argument(
        "--engine", choices=("auto", "memory", "duckdb", "spark"), default="auto",
        help="where to compute: 'duckdb'/'spark' query the Parquet/CSV file in place, reading "
        "only the columns used (Cox: no concordance or PH test); 'auto' (default) uses DuckDB "
        f"above {ENGINE_AUTO_ROWS:,} rows when the columns allow it, else 'memory'",
    )  # fmt: skip
    p.set_defaults(func=run_analyze)


def analyze(args: argparse.Namespace) -> dict[str, object]:
    """The JSON object of ``analyze`` (see the analysis issue's CLI contract)."""
    from hccdash.engine.cli import engine_for

    competing = getattr(args, "competing", False)
    ext = _ext_columns(args)
    if not competing and not any(ext.values()) and engine_for(args, ENGINE_AUTO_ROWS):
        return _analyze_on_engine(args)
    # the in-memory path (pandas, the file reader and its checks): imported only here
    from hccdash.cli.load import load_for_analysis
    from hccdash.cli.output import _cox_block
    from hccdash.compare import survdiff, trend_test
    from hccdash.nonparametric import kaplan_meier

    if competing:  # --event holds status codes; km/test/cox below are cause-specific
        from hccdash.competing import cli as competing_cli

        data, time, event, codes = competing_cli.load(args)
    else:
        data, time, event = load_for_analysis(args)
        ext = _ext_columns(args)  # a mapping or codebook may declare the entry (--start)
    if ext["start"] or ext["weights"]:  # survfit(Surv(start, time, event) ~ g, weights)
        from hccdash.coxext.counting import km_counting

        km = km_counting(data, time, event, args.group, start=ext["start"],
                         weights=ext["weights"], conf_type=args.conf_type,
                         conf_level=args.conf_level)  # fmt: skip
    else:
        km = kaplan_meier(
            data, time, event, args.group, conf_type=args.conf_type, conf_level=args.conf_level
        )
    out = _km_json(km, args)
    if args.group and ext["start"]:
        from hccdash.coxext.counting import logrank_counting

        res = logrank_counting(data, time, event, args.group, start=ext["start"])
        out["test"] = {"method": "logrank (delayed entry)", **_chisq(res)}
    elif args.group:
        res = survdiff(data, time, event, args.group, method=args.test, p=args.fh_p, q=args.fh_q)
        out["test"] = {"method": res.method, **_chisq(res)}
        if args.trend:
            out["trend"] = _chisq(trend_test(data, time, event, args.group))
    elif args.trend:
        raise UsageError("analyze: --trend needs --group (the ordered levels to test)")
    if args.covariates:
        out["cox"] = _cox_block(
            data, time, event, args.covariates, args.ties, args.conf_level, **ext
        )
    if competing:
        out.update(competing_cli.blocks(args, data, time, event, codes))
    return out


def _analyze_on_engine(args: argparse.Namespace) -> dict[str, object]:
    """``analyze`` with the counting pushed down to DuckDB/Spark (same JSON keys)."""
    from hccdash.engine.cli import results_on_engine

    if args.trend and not args.group:
        raise UsageError("analyze: --trend needs --group (the ordered levels to test)")
    km, res, trend, fit = results_on_engine(args)
    out = _km_json(km, args)
    if res is not None:
        out["test"] = {"method": res.method, **_chisq(res)}
    if trend is not None:
        out["trend"] = _chisq(trend)
    if fit is not None:
        out["cox"] = _cox_json(fit, None)
    return out


def run_analyze(args: argparse.Namespace) -> int:
    result = analyze(args)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_table(result))
    return 0
