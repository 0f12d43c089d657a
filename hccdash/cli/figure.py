"""``python -m hccdash figure km|forest FILE ... --out PATH``: a figure file from the CLI.

The figure is the one the pages draw: the same :class:`~hccdash.plotting.spec.FigureSpec`
(``--spec FILE.json``, saved by a page's figure panel, and/or flags), the same cohort rules
(the factor's label as legend title, its first level as HR reference, its level order for
colours, through :mod:`hccdash.plotting.views`) and the same export, so the same data, filters
and spec give the same file, byte for byte. The format is the extension of PATH (``.png``,
``.svg``, ``.pdf``, ``.tif``). Bad input exits with code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from hccdash.compare import METHODS
from hccdash.errors import HccdashError, InputError
from hccdash.export import FIGURE_FORMATS, figure_bytes, preset_figure_bytes
from hccdash.plotting.spec import (
    ANNOTATION_POSITIONS,
    CENSOR_MARKS,
    CI_BANDS,
    PALETTES,
    RISK_TABLES,
    TIME_UNITS,
    FigureSpec,
    load_spec,
)
from hccdash.style import PRESETS, SIZE_PRESETS

PROG = "hccdash figure"
_EXT = {"png": "png", "svg": "svg", "pdf": "pdf", "tif": "tiff", "tiff": "tiff"}
# The old export-size names map onto the size presets that scale the design.
_LEGACY_PRESETS = {
    "16:9 1920x1080": "slide-1920",
    "16:9 1280x720": "slide-1280",
    "4:3 1024x768": "slide-4x3",
}


def _read(path: str) -> pd.DataFrame:
    from hccdash.io import read_table

    return read_table(path).data


def _out_format(out: str) -> str:
    fmt = _EXT.get(Path(out).suffix.lower().lstrip("."))
    if fmt is None:
        raise InputError(
            f"--out {out!r} has extension {Path(out).suffix!r}: use .png, .svg, .pdf or .tif "
            "(the format is taken from the extension)."
        )
    return fmt


def _pairs(values: list[str] | None, flag: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in values or ():
        level, sep, text = item.partition("=")
        if not sep or not level:
            raise InputError(f"{flag} {item!r} is not LEVEL=VALUE (e.g. {flag} 'A=Standard arm').")
        out.append((level, text))
    return tuple(out)


def _query(args: argparse.Namespace) -> dict[str, str]:
    """``--filter`` as query parameters: a page URL or its query (``child_pugh=A&kps=80-100``)."""
    text = args.filter or ""
    if "?" in text or text.startswith(("http://", "https://", "/")):
        text = urlsplit(text).query
    return dict(parse_qsl(text, keep_blank_values=True))


def spec_from_args(args: argparse.Namespace, kind: str, prefix: str = "fig") -> FigureSpec:
    """The figure spec: ``--spec`` file, then ``<prefix>_`` options of ``--filter`` (the page's
    URL prefix of that figure), then flags."""
    spec = load_spec(args.spec) if args.spec else FigureSpec(kind=kind)
    if spec.kind != kind and not (kind == "km" and spec.kind == "cif"):
        raise InputError(f"--spec {args.spec!r} is a {spec.kind!r} figure, not {kind!r}.")
    query = _query(args)
    if any(k.startswith(prefix + "_") for k in query):
        from_url, warnings = FigureSpec.from_query(query, kind=spec.kind, prefix=prefix)
        for message in warnings:
            print(f"{PROG}: {message}", file=sys.stderr)
        changed = from_url.to_dict()
        base = FigureSpec(kind=spec.kind).to_dict()
        spec = FigureSpec.from_dict(
            {**spec.to_dict(), **{k: v for k, v in changed.items() if v != base[k]}}
        )
    changes: dict[str, object] = {}
    preset = getattr(args, "preset", None)
    if preset is not None:
        changes["preset"] = _LEGACY_PRESETS.get(preset, preset)
    elif getattr(args, "style", None) == "screen":
        changes["preset"] = "screen"
    for flag in ("title", "xlabel", "ylabel", "legend_title", "palette", "reference"):
        value = getattr(args, flag, None)
        if value is not None:
            changes[flag] = value
    for flag in ("risk_table", "ci", "censor", "annotation", "time_unit"):
        value = getattr(args, flag, None)
        if value is not None:
            changes[flag] = value
    if getattr(args, "horizon", None):
        changes["x_max"] = float(args.horizon)
    if getattr(args, "x_break", None):
        changes["x_break"] = float(args.x_break)
    if getattr(args, "percent", False):
        changes["y_percent"] = True
    if getattr(args, "median", False):
        changes["median_lines"] = True
    if args.caption is not None:
        changes["caption"] = args.caption
    if getattr(args, "label", None):
        changes["group_labels"] = (*spec.group_labels, *_pairs(args.label, "--label"))
    if getattr(args, "color", None):
        changes["colors"] = (*spec.colors, *_pairs(args.color, "--color"))
    return replace(spec, **changes) if changes else spec


def _cohort_view(args: argparse.Namespace):
    """The file as a Cohort, filtered by ``--filter``, and the filters' description."""
    from hccdash.filters import (
        FilterSpec,
        apply_filters,
        describe,
        filter_labels,
        filter_levels,
        role_columns,
    )
    from hccdash.schema import Cohort, codebook_path

    codebook = getattr(args, "codebook", None)
    beside = codebook_path(Path(args.file))
    if codebook is None and beside.is_file():
        codebook = str(beside)  # x.codebook.json next to x.csv: how a cohort ships its codebook
    if codebook:
        from hccdash.cohortfile import load_cohort_file

        cohort = load_cohort_file(args.file, codebook)
        full = cohort.data
    else:
        full = _read(args.file)
        cohort = Cohort(name=Path(args.file).name, data=full, source=Path(args.file).name)
    fspec, warnings = FilterSpec.from_query(_query(args), full, role_columns(cohort))
    for message in warnings:
        print(f"{PROG}: {message}", file=sys.stderr)
    text = describe(fspec, filter_labels(cohort), filter_levels(cohort))
    return cohort, apply_filters(full, fspec), text


def _km(args: argparse.Namespace, spec: FigureSpec):
    from hccdash.plotting.views import factor_for, grouped_frame, km_inputs, km_view_figure
    from hccdash.schema import Endpoint

    cohort, data, filters = _cohort_view(args)
    known = {e.time: e for e in cohort.endpoints()}
    endpoint = known.get(args.time)
    if endpoint is None or endpoint.event != args.event:
        # A column outside the cohort's endpoints: "Survival", in the unit given by --time-in.
        endpoint = Endpoint(args.time, "Survival", args.time, args.event)
    if args.time_in is not None:
        endpoint = replace(endpoint, unit=args.time_in)
    if args.by is not None and args.by not in data.columns:
        raise InputError(
            f"--by {args.by!r} is not a column of {args.file!r}; columns: {list(data.columns)!r}."
        )
    factor = factor_for(cohort.factors(), args.by)
    derived, column, levels, color_levels, label = grouped_frame(data, factor, cohort.data)
    inputs = km_inputs(
        derived,
        endpoint.time,
        endpoint.event,
        column,
        levels,
        spec,
        conf_type=args.conf_type,
        conf_level=args.conf_level,
        method=args.test,
    )
    for message in inputs.messages:
        print(f"{PROG}: {message}", file=sys.stderr)
    return km_view_figure(
        inputs,
        spec,
        endpoint=endpoint,
        legend_label=label if column is not None else None,
        color_levels=color_levels,
        filters=filters,
    )


def _forest(args: argparse.Namespace, spec: FigureSpec):
    from hccdash.cox import cox_fit
    from hccdash.figures import forest_figure

    covariates = [c.strip() for c in args.covariates.split(",") if c.strip()]
    if not covariates:
        raise InputError(f"--covariates {args.covariates!r} names no column: pass e.g. A,B.")
    cohort, data, _ = _cohort_view(args)
    cox = cox_fit(
        data,
        args.time,
        args.event,
        covariates,
        ties=args.ties,
        conf_level=args.conf_level,
        penalized=args.penalized,
    )
    caption = (
        f"Cox proportional hazards model ({args.ties} ties), n = {cox.n}, "
        f"{cox.events} events; likelihood-ratio test p = {cox.likelihood_ratio.p_value:.3g}."
    )
    labels = {f.column: f.label for f in cohort.factors()}
    known = {e.time: e for e in cohort.endpoints()}
    name = known[args.time].label if args.time in known else args.time
    title = f"{name}: Cox model ({args.ties} ties)"  # the Cox page's title
    return forest_figure(cox, spec, labels=labels, caption=caption, default_title=title)


def _run(args: argparse.Namespace) -> int:
    try:
        fmt = _out_format(args.out)
        if args.kind == "cif":  # competing risks (hccdash.competing.cli_figure)
            from hccdash.competing.cli_figure import cif_figure, prefix_for

            spec = spec_from_args(args, "cif", prefix_for(args))
            fig = cif_figure(args, spec)
        else:
            spec = spec_from_args(args, args.kind)
            fig = _km(args, spec) if args.kind == "km" else _forest(args, spec)
        if args.width or args.height:
            # An explicit canvas (the old --width/--height): the preset's design, resized.
            if fmt == "tiff":
                raise InputError("--out .tif needs a size preset (--preset), not --width/--height.")
            p = SIZE_PRESETS[spec.preset]
            width, height = args.width or p.width, args.height or p.height
            data = figure_bytes(fig, fmt, width, height, args.scale)
            size = f"{width}x{height} px, scale {args.scale:g}"
        else:
            data = preset_figure_bytes(fig, fmt, spec.preset)
            p = SIZE_PRESETS[spec.preset]
            size = f"{SIZE_PRESETS[spec.preset].label}, {fig.layout.width}x{fig.layout.height} px"
            if fmt in ("png", "tiff") and p.scale != 1:
                size += f" at {p.dpi or 96} dpi"
        Path(args.out).write_bytes(data)
    except HccdashError as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: cannot write {args.out!r}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({fmt.upper()}, {size})")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="cohort file: CSV, TSV, XLSX or Parquet")
    p.add_argument("--time", required=True, help="follow-up time column")
    p.add_argument("--event", required=True, help="event column (1 = event, 0 = censored)")
    p.add_argument("--out", required=True, help="output file: .png, .svg, .pdf or .tif")
    p.add_argument("--spec", default=None, help="figure options JSON (a page's 'Save options')")
    p.add_argument(
        "--codebook",
        default=None,
        help="the cohort's codebook (docs/codebook.md); default: FILE's sibling "
        "<name>.codebook.json when there is one (the bundled cohort ships its own)",
    )
    p.add_argument(
        "--filter",
        default=None,
        help="the page's filters as its URL or query, e.g. 'child_pugh=A,B&kps=80-100'",
    )
    p.add_argument(
        "--preset",
        choices=[*SIZE_PRESETS, *_LEGACY_PRESETS],
        default=None,
        help="size preset (default slide-1920); journal presets write TIFF/PDF at their dpi",
    )
    p.add_argument("--width", type=int, default=None, help="explicit width in px (no preset)")
    p.add_argument("--height", type=int, default=None, help="explicit height in px")
    p.add_argument("--scale", type=float, default=1.0, help="pixel scale 1-4 with --width")
    p.add_argument("--style", choices=["screen", "slide"], default=None, help=argparse.SUPPRESS)
    p.add_argument("--title", default=None, help="figure title ('' for none)")
    p.add_argument("--xlabel", default=None, help="x-axis label")
    p.add_argument("--conf-level", type=float, default=0.95, help="confidence level")
    cap = p.add_mutually_exclusive_group()
    cap.add_argument(
        "--caption", dest="caption", action="store_true", default=None, help="methods caption"
    )
    cap.add_argument("--no-caption", dest="caption", action="store_false", help="no caption")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``figure`` subcommand (``km`` and ``forest``) to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "figure",
        help="write a Kaplan-Meier or forest plot as PNG, SVG, PDF or TIFF",
        description="Write a figure file; the format is the extension of --out.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    km = kinds.add_parser("km", help="Kaplan-Meier curves with numbers at risk")
    _common(km)
    km.add_argument("--by", default=None, help="grouping column (one curve per level)")
    km.add_argument("--conf-type", choices=["log-log", "log", "plain"], default="log-log")
    km.add_argument(
        "--test",
        choices=[m for m in METHODS if m != "fleming-harrington"],  # no --p/--q here
        default="logrank",
        help="test written on the plot (with --by)",
    )
    km.add_argument("--reference", default=None, help="HR reference level (default: first)")
    km.add_argument("--ylabel", default=None, help="y-axis label")
    km.add_argument("--legend-title", default=None, help="legend title (default: --by's label)")
    km.add_argument("--label", action="append", help="group label LEVEL=TEXT (repeatable)")
    km.add_argument("--color", action="append", help="group colour LEVEL=#RRGGBB (repeatable)")
    km.add_argument("--palette", choices=PALETTES, default=None)
    km.add_argument("--percent", action="store_true", help="y axis in %%")
    km.add_argument("--risk-table", choices=RISK_TABLES, default=None)
    km.add_argument("--ci", choices=CI_BANDS, default=None, help="CI bands (auto: one curve)")
    km.add_argument("--censor", choices=CENSOR_MARKS, default=None)
    km.add_argument("--annotation", choices=ANNOTATION_POSITIONS, default=None)
    km.add_argument("--time-unit", choices=TIME_UNITS, default=None, help="unit on the axis")
    km.add_argument(
        "--time-in", choices=TIME_UNITS, default=None, help="unit of --time (default months)"
    )
    km.add_argument("--horizon", type=float, default=None, help="end of the time axis")
    km.add_argument("--break", dest="x_break", type=float, default=None, help="tick interval")
    km.add_argument("--median", action="store_true", help="draw median survival lines")
    km.set_defaults(func=_run)
    forest = kinds.add_parser("forest", help="Cox model hazard ratios (forest plot)")
    _common(forest)
    forest.add_argument("--covariates", required=True, help="comma-separated columns: A,B")
    forest.add_argument("--ties", choices=["efron", "breslow"], default="efron")
    forest.add_argument("--penalized", action="store_true", help="Firth-penalized fit")
    forest.set_defaults(func=_run)
    from hccdash.competing.cli_figure import add_parser as add_cif

    add_cif(kinds, _common, _run)


__all__ = ["FIGURE_FORMATS", "PRESETS", "register", "spec_from_args"]
