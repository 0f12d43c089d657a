"""``python -m hccdash figure km|forest FILE ... --out PATH``: a figure file from the CLI.

The format is the extension of PATH (``.png``, ``.svg``, ``.pdf``). The figure is the one the
pages draw (same functions, same style), rendered by the same kaleido export. Bad input exits
with code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hccdash.errors import AnalysisError, HccdashError, InputError
from hccdash.export import FIGURE_FORMATS, figure_bytes
from hccdash.style import PRESETS, STYLES

PROG = "hccdash figure"


def _read(path: str) -> pd.DataFrame:
    from hccdash.io import read_table

    return read_table(path).data


def _out_format(out: str) -> str:
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise InputError(
            f"--out {out!r} has extension {Path(out).suffix!r}: use .png, .svg or .pdf "
            "(the format is taken from the extension)."
        )
    return fmt


def _size(args: argparse.Namespace) -> tuple[int, int, float]:
    if args.preset is not None:
        w, h = PRESETS[args.preset]
        return args.width or w, args.height or h, args.scale
    return args.width or 1920, args.height or 1080, args.scale


def _km(args: argparse.Namespace):
    from hccdash.compare import survdiff
    from hccdash.cox import cox_fit
    from hccdash.figures import hr_text, km_caption, km_figure
    from hccdash.nonparametric import kaplan_meier

    data = _read(args.file)
    km = kaplan_meier(
        data,
        args.time,
        args.event,
        args.by,
        conf_type=args.conf_type,
        conf_level=args.conf_level,
    )
    test = None
    hr_label = None
    if args.by is not None and len(km.curves) >= 2:
        levels = [c.group for c in km.curves]
        sub = data[data[args.by].astype("string").isin(levels)]
        try:
            test = survdiff(sub, args.time, args.event, args.by, method=args.test, levels=levels)
        except AnalysisError as exc:
            print(f"{PROG}: no test: {exc}", file=sys.stderr)
        if len(km.curves) == 2:
            try:
                cox = cox_fit(
                    sub,
                    args.time,
                    args.event,
                    [args.by],
                    reference={args.by: levels[0]},
                    categorical=[args.by],
                    conf_level=args.conf_level,
                )
            except AnalysisError as exc:
                print(f"{PROG}: no hazard ratio: {exc}", file=sys.stderr)
            else:
                hr_label = hr_text(cox)
    caption = km_caption(km, test=test, time_unit=args.time_unit) if args.caption else None
    return km_figure(
        km,
        test=test,
        hr_text=hr_label,
        time_unit=args.time_unit,
        horizon=args.horizon,
        title=args.title,
        caption=caption,
        style=args.style,
        show_median=args.median,
    )


def _forest(args: argparse.Namespace):
    from hccdash.cox import cox_fit
    from hccdash.figures import forest_figure

    covariates = [c.strip() for c in args.covariates.split(",") if c.strip()]
    if not covariates:
        raise InputError(f"--covariates {args.covariates!r} names no column: pass e.g. A,B.")
    data = _read(args.file)
    cox = cox_fit(
        data,
        args.time,
        args.event,
        covariates,
        ties=args.ties,
        conf_level=args.conf_level,
        penalized=args.penalized,
    )
    caption = None
    if args.caption:
        caption = (
            f"Cox proportional hazards model ({args.ties} ties), n = {cox.n}, "
            f"{cox.events} events; likelihood-ratio test p = {cox.likelihood_ratio.p_value:.3g}."
        )
    return forest_figure(cox, title=args.title, caption=caption, style=args.style)


def _run(args: argparse.Namespace) -> int:
    try:
        fmt = _out_format(args.out)
        width, height, scale = _size(args)
        fig = _km(args) if args.kind == "km" else _forest(args)
        data = figure_bytes(fig, fmt, width, height, scale)
        Path(args.out).write_bytes(data)
    except HccdashError as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: cannot write {args.out!r}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({fmt.upper()}, {width}x{height} px, scale {scale:g})")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="cohort file: CSV, TSV, XLSX or Parquet")
    p.add_argument("--time", required=True, help="follow-up time column")
    p.add_argument("--event", required=True, help="event column (1 = event, 0 = censored)")
    p.add_argument("--out", required=True, help="output file: .png, .svg or .pdf")
    p.add_argument("--width", type=int, default=None, help="width in px (default 1920)")
    p.add_argument("--height", type=int, default=None, help="height in px (default 1080)")
    p.add_argument("--scale", type=float, default=1.0, help="pixel scale 1-4 (PNG)")
    p.add_argument("--preset", choices=list(PRESETS), default=None, help="export size preset")
    p.add_argument("--style", choices=list(STYLES), default="slide", help="figure style")
    p.add_argument("--title", default=None, help="figure title")
    p.add_argument("--conf-level", type=float, default=0.95, help="confidence level")
    p.add_argument(
        "--caption", action="store_true", help="write n, events, test and methods under it"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``figure`` subcommand (``km`` and ``forest``) to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "figure",
        help="write a Kaplan-Meier or forest plot as PNG, SVG or PDF",
        description="Write a figure file; the format is the extension of --out.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    km = kinds.add_parser("km", help="Kaplan-Meier curves with numbers at risk")
    _common(km)
    km.add_argument("--by", default=None, help="grouping column (one curve per level)")
    km.add_argument("--conf-type", choices=["log-log", "log", "plain"], default="log-log")
    km.add_argument(
        "--test",
        choices=["logrank", "wilcoxon", "tarone-ware", "peto"],
        default="logrank",
        help="test written on the plot (with --by)",
    )
    km.add_argument("--time-unit", choices=["months", "years"], default="months")
    km.add_argument("--horizon", type=float, default=None, help="end of the time axis")
    km.add_argument("--median", action="store_true", help="draw median survival lines")
    km.set_defaults(func=_run)
    forest = kinds.add_parser("forest", help="Cox model hazard ratios (forest plot)")
    _common(forest)
    forest.add_argument("--covariates", required=True, help="comma-separated columns: A,B")
    forest.add_argument("--ties", choices=["efron", "breslow"], default="efron")
    forest.add_argument("--penalized", action="store_true", help="Firth-penalized fit")
    forest.set_defaults(func=_run)
