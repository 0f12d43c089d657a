"""``python -m hccdash``: the command-line face of the same functions the pages call.

``analyze`` reads a cohort file with :mod:`hccdash.io`, checks it with :mod:`hccdash.datacheck`
(the same report the data page shows) and prints one JSON object (the contract of the
analysis issue) built from :mod:`hccdash.nonparametric`, :mod:`hccdash.compare` and
:mod:`hccdash.cox`. ``figure`` and ``synth`` are registered by their own modules.

Bad arguments or bad data: exit code 2 and one line on stderr, never a traceback; anything
unexpected: one line and exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hccdash import __version__, schema
from hccdash.compare import METHODS
from hccdash.errors import HccdashError, InputError

# Subcommands that live in other modules; each exposes register(subparsers).
PLUGIN_MODULES = ("hccdash.cli_figure", "hccdash.synth", "hccdash.serve")
TESTS = METHODS
ENGINE_AUTO_ROWS = 200_000  # --engine auto: above this many rows, query the file in place


class UsageError(Exception):
    """A bad command line (argparse would print usage and exit; we print one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _number_list(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers (e.g. 6,12,24)"
        ) from None
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give times >= 0 such as 6,12,24")
    return values


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number > 0")
    return value


def _conf_level(text: str) -> float:
    value = _positive(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1, e.g. 0.95")
    return value


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError("give column names separated by commas, e.g. age,sex")
    return cols


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
    from hccdash.competing.cli import add_arguments as add_competing_arguments

    add_competing_arguments(p)  # --competing, --cause, --censor-code, --cause-names
    p.add_argument(
        "--engine", choices=("auto", "memory", "duckdb", "spark"), default="auto",
        help="where to compute: 'duckdb'/'spark' query the Parquet/CSV file in place, reading "
        "only the columns used (Cox: no concordance or PH test); 'auto' (default) uses DuckDB "
        f"above {ENGINE_AUTO_ROWS:,} rows when the columns allow it, else 'memory'",
    )  # fmt: skip
    p.set_defaults(func=run_analyze)


def prog_name(argv0: str | None = None) -> str:
    """The command as the user typed it: ``hccdash`` (console script) or ``python -m hccdash``."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    if name in ("", "__main__.py", "-c", "-m") or name.endswith(".py"):
        return "python -m hccdash"
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog_name(),
        description="Survival analysis for oncology cohorts, exact against R's survival.",
    )
    parser.add_argument("--version", action="version", version=f"hccdash {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_analyze(subparsers)
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is missing
                raise
            continue
        module.register(subparsers)
    return parser


# -- analyze ------------------------------------------------------------------------------
def _num(x: object) -> float | int | None:
    """A JSON-safe number: None for missing/NaN/inf, ints stay ints."""
    if x is None:
        return None
    if isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, int | np.integer):
        return int(x)
    value = float(x)  # type: ignore[arg-type]
    return value if math.isfinite(value) else None


def _chisq(t: object) -> dict[str, object]:
    return {"chisq": _num(t.chisq), "df": _num(t.df), "p_value": _num(t.p_value)}  # type: ignore[attr-defined]


def _ext_columns(args: argparse.Namespace) -> dict[str, str | None]:
    """The issue-18 columns: strata, start, cluster, weights (None when not given)."""
    return {k: getattr(args, k, None) for k in ("strata", "start", "cluster", "weights")}


def load_for_analysis(args: argparse.Namespace) -> tuple[pd.DataFrame, str, str]:
    """Read, map and check the file; return the frame and its time and event columns.

    Raises
    ------
    HccdashError
        Unreadable file, columns not in the file, or fatal data problems (unless
        ``--exclude-fatal``).
    """
    from hccdash import datacheck, io
    from hccdash.cohortfile import DATA_ENV, env_paths
    from hccdash.mapping import ColumnMapping

    if args.file is None:
        env_data, env_codebook = env_paths()
        if env_data is None:
            raise UsageError(f"analyze: give a FILE (or set {DATA_ENV})")
        args.file = str(env_data)
        if args.codebook is None and env_codebook is not None:
            args.codebook = str(env_codebook)
    if args.codebook:
        return _load_with_codebook(args)
    read_kw = {"sheet": args.sheet} if args.sheet else {}
    if args.max_mb is not None:
        read_kw["max_mb"] = args.max_mb
    table = io.read_table(args.file, **read_kw)
    for warning in table.warnings:
        print(f"hccdash: warning: {_one_line(warning)}", file=sys.stderr)
    raw = table.data
    group_cols = ([args.group] if args.group else []) + list(args.covariates or [])
    group_cols += [c for c in _ext_columns(args).values() if c]
    if args.mapping:
        try:
            with open(args.mapping, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read mapping file {args.mapping!r}: {exc.strerror}") from exc
        mapping = ColumnMapping.from_json(text)
        report = datacheck.check(raw, mapping)
        time = args.time or schema.OS_TIME
        event = args.event or schema.OS_EVENT
    else:
        if not args.time or not args.event:
            raise UsageError("analyze: --time and --event are required (or give --mapping)")
        wanted = [args.time, args.event, *group_cols] + ([args.id] if args.id else [])
        missing = [c for c in dict.fromkeys(wanted) if c not in raw.columns]
        if missing:
            have = ", ".join(repr(c) for c in list(raw.columns)[:12])
            raise InputError(
                f"file {table.name!r} has no column {missing[0]!r} (columns: {have}); fix: "
                "use one of these names (they are case-sensitive)."
            )
        extras = tuple(c for c in dict.fromkeys(group_cols) if c not in (args.time, args.event))
        mapping = ColumnMapping(
            patient_id=args.id, os_time=args.time, os_event=args.event, extra_factors=extras
        )
        # Units are the user's here (days in R's lung), so no plausibility limit.
        report = datacheck.check(raw, mapping, plausible_months=None)
        time, event = schema.OS_TIME, schema.OS_EVENT
    if report.blocking:
        raise InputError(str(report.blocking[0]))
    if report.fatal and not args.exclude_fatal:
        raise InputError(report.first_error() + " (or run with --exclude-fatal)")
    data = report.clean(exclude_fatal=args.exclude_fatal)
    if not args.mapping:
        data = data.rename(columns={schema.OS_TIME: args.time, schema.OS_EVENT: args.event})
        time, event = args.time, args.event
    elif (
        getattr(args, "start", None) is None
    ):  # the mapping's delayed entry of this endpoint acts as --start
        _declared_start(args, datacheck.ENTRY_COLUMNS.get(time), data, "mapping")
    for c in [time, event, *group_cols]:
        if c not in data.columns:
            have = ", ".join(repr(x) for x in list(data.columns)[:12])
            raise InputError(
                f"the mapped cohort has no column {c!r} (columns: {have}); fix: use canonical "
                "names with --mapping."
            )
    return data, time, event


def _declared_start(args: argparse.Namespace, entry: str | None, data, source: str) -> None:
    """Use a declared entry column as ``--start`` (R ``Surv(entry, time, event)``), saying so."""
    if entry is None or entry not in data.columns or getattr(args, "competing", False):
        return  # (cmprsk has no delayed entry: the competing blocks do not take one)
    args.start = entry
    print(
        f"hccdash: note: the {source} declares delayed entry {entry!r} for this endpoint: "
        "KM, log-rank and Cox use rows (entry, time] as with --start",
        file=sys.stderr,
    )


def _load_with_codebook(args: argparse.Namespace) -> tuple[pd.DataFrame, str, str]:
    """The cohort as its codebook describes it (levels in its order, references first)."""
    from hccdash.cohortfile import load_cohort_file

    cohort = load_cohort_file(args.file, args.codebook)
    endpoints = cohort.endpoints()
    if not endpoints and not (args.time and args.event):
        raise InputError(
            f"codebook {args.codebook!r} defines no endpoint found in {args.file!r}; fix: add "
            "one (time and event columns) or give --time and --event."
        )
    time = args.time or endpoints[0].time
    event = args.event or endpoints[0].event
    data = cohort.as_categorical()
    if (
        getattr(args, "start", None) is None
    ):  # the codebook's delayed entry of this endpoint acts as --start
        keys = [e.key for e in endpoints if e.time == time]
        entry = cohort.entry_column(keys[0]) if keys else None
        _declared_start(args, entry, data, "codebook")
    wanted = [time, event, *([args.group] if args.group else []), *(args.covariates or [])]
    missing = [c for c in dict.fromkeys(wanted) if c not in data.columns]
    if missing:
        have = ", ".join(repr(c) for c in list(data.columns)[:12])
        raise InputError(
            f"file {cohort.source!r} has no column {missing[0]!r} (columns: {have}); fix: use "
            "one of these names (they are case-sensitive)."
        )
    return data, time, event


def analyze(args: argparse.Namespace) -> dict[str, object]:
    """The JSON object of ``analyze`` (see the analysis issue's CLI contract)."""
    from hccdash.compare import survdiff, trend_test
    from hccdash.engine.cli import engine_for
    from hccdash.nonparametric import kaplan_meier

    competing = getattr(args, "competing", False)
    ext = _ext_columns(args)
    if not competing and not any(ext.values()) and engine_for(args, ENGINE_AUTO_ROWS):
        return _analyze_on_engine(args)
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


def _km_json(km: Any, args: argparse.Namespace) -> dict[str, object]:
    """n, events, dropped, conf_type, conf_level and one ``km`` entry per curve."""
    from hccdash.nonparametric import median_survival, rmst, survival_at

    entries = []
    for curve in km.curves:
        med = median_survival(curve)
        at = []
        if args.times:
            s = survival_at(curve, args.times)
            at = [
                {
                    "time": _num(s.time[i]),
                    "n_risk": _num(s.n_risk[i]),
                    "n_event": _num(s.n_event[i]),
                    "n_censor": _num(s.n_censor[i]),
                    "survival": _num(s.surv[i]),
                    "lower": _num(s.lower[i]),
                    "upper": _num(s.upper[i]),
                }
                for i in range(len(s.time))
            ]
        rm = None
        if args.tau is not None:
            r = rmst(curve, args.tau)
            rm = {"tau": _num(r.tau), "estimate": _num(r.estimate), "se": _num(r.se)}
        entries.append(
            {
                "group": curve.group,
                "n": _num(curve.n),
                "events": _num(curve.events),
                "median": _num(med.median),
                "median_lower": _num(med.lower),
                "median_upper": _num(med.upper),
                "at": at,
                "rmst": rm,
            }
        )
    return {
        "n": _num(km.n),
        "events": _num(km.events),
        "dropped": _num(km.dropped),
        "conf_type": km.conf_type,
        "conf_level": _num(km.conf_level),
        "km": entries,
    }


def _cox_block(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: str,
    conf_level: float,
    **ext: str | None,
) -> dict[str, object]:
    from hccdash.cox import cox_fit, cox_zph

    fit = cox_fit(data, time, event, covariates, ties=ties, conf_level=conf_level, **ext)
    # R's cox.zph of the (stratified / counting / weighted) model
    ph = cox_zph(data, time, event, covariates, ties=ties, strata=ext.get("strata"),
                 start=ext.get("start"), weights=ext.get("weights"))  # fmt: skip
    return _cox_json(fit, ph)


def _cox_json(fit: Any, ph: Any | None) -> dict[str, object]:
    """The ``cox`` block; ``ph`` None (engine fits): ``ph_test`` is []."""
    terms = [
        {
            "term": t.term,
            "coef": _num(t.coef),
            "se": _num(t.se),
            "hr": _num(t.hr),
            "lower": _num(t.lower),
            "upper": _num(t.upper),
            "z": _num(t.z),
            "p_value": _num(t.p_value),
            # only where R reports it (robust fits), so plain output keeps its keys
            **({"robust_se": _num(t.robust_se)} if t.robust_se is not None else {}),
        }
        for t in fit.terms
    ]
    extra = {"robust_score": _chisq(fit.robust_score)} if getattr(fit, "robust_score", None) else {}
    return {
        "ties": fit.ties,
        "n": _num(fit.n),
        "events": _num(fit.events),
        "terms": terms,
        "concordance": _num(fit.concordance),
        "concordance_se": _num(fit.concordance_se),
        "likelihood_ratio": _chisq(fit.likelihood_ratio),
        "wald": _chisq(fit.wald),
        "score": _chisq(fit.score),
        "ph_test": [{"term": r.term, **_chisq(r)} for r in ph.rows] if ph is not None else [],
        **extra,
    }


def _table(result: dict[str, object]) -> str:
    """Plain-text tables of the same numbers (``--format table``)."""
    lines = [
        f"n = {result['n']}, events = {result['events']}, dropped = {result['dropped']}, "
        f"CI {result['conf_level']} ({result['conf_type']})",
        "",
    ]
    km = pd.DataFrame(
        [{k: v for k, v in e.items() if k not in ("at", "rmst")} for e in result["km"]]  # type: ignore[union-attr]
    )
    lines += ["Kaplan-Meier medians", km.to_string(index=False), ""]
    at = [dict(a, group=e["group"]) for e in result["km"] for a in e["at"]]  # type: ignore[union-attr,index]
    if at:
        lines += ["Survival at times", pd.DataFrame(at).to_string(index=False), ""]
    rm = [dict(e["rmst"], group=e["group"]) for e in result["km"] if e["rmst"]]  # type: ignore[union-attr,index]
    if rm:
        lines += ["Restricted mean survival", pd.DataFrame(rm).to_string(index=False), ""]
    for key in ("test", "trend"):
        if key in result:
            lines += [f"{key}: " + ", ".join(f"{k} = {v}" for k, v in result[key].items()), ""]  # type: ignore[union-attr]
    if "cox" in result:
        cox = result["cox"]
        lines += [
            f"Cox model ({cox['ties']} ties), n = {cox['n']}, events = {cox['events']}",  # type: ignore[index]
            pd.DataFrame(cox["terms"]).to_string(index=False),  # type: ignore[index]
            f"concordance = {cox['concordance']} (se {cox['concordance_se']})",  # type: ignore[index]
        ]
        for key in ("likelihood_ratio", "wald", "score"):
            lines.append(f"{key}: " + ", ".join(f"{k} = {v}" for k, v in cox[key].items()))  # type: ignore[index]
        lines += ["PH test (cox.zph)", pd.DataFrame(cox["ph_test"]).to_string(index=False)]  # type: ignore[index]
    if "cif" in result:
        from hccdash.competing.cli import table_lines

        lines += ["", *table_lines(result)]
    return "\n".join(lines).rstrip() + "\n"


def run_analyze(args: argparse.Namespace) -> int:
    result = analyze(args)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_table(result))
    return 0


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 2 bad input, 1 unexpected failure)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.func(args))
    except (UsageError, HccdashError) as exc:
        print(f"hccdash: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence: one line, exit 1
        print(
            f"hccdash: unexpected error ({type(exc).__name__}): {_one_line(str(exc))}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
