"""``python -m hccdash figure cif FILE --time T --event STATUS --out PATH``: the competing-risks
figures from the CLI, the same files as the Competing risks page.

``--layout by-cause`` (the CIF of ``--cause`` per group), ``stacked`` (every cause of one group,
``--stack-group``) or ``km-vs-cif`` (1 − KM vs the CIF of ``--cause``). ``--event`` holds the
status codes: 0 censored, ``--cause`` (default 1) the event of interest, every other code
present a competing event (``--censor-code``, ``--cause-names 1=A,2=B``), or the codebook's
coding when the endpoint is declared there. The options come from ``--spec`` and from the
page's URL (``--filter``: the filters and the figure's own ``cif_``/``cifs_``/``kmcif_``
options), so the page's bookmark gives the page's file.
"""

from __future__ import annotations

import argparse

from hccdash.competing.data import EventCodes, cause_specific, code_label, competing_data
from hccdash.competing.views import LAYOUTS, cr_view_figure, group_columns
from hccdash.errors import InputError

__all__ = ["PREFIXES", "add_parser", "cif_figure", "prefix_for"]

PREFIXES = {"by-cause": "cif", "stacked": "cifs", "km-vs-cif": "kmcif"}  # the page's URL


def _names(text: str) -> dict[object, str]:
    out: dict[object, str] = {}
    for part in text.split(","):
        code, sep, name = part.partition("=")
        if not sep or not code.strip():
            raise InputError(
                f"--cause-names {text!r}: give code=name pairs, e.g. 1=relapse,2=death"
            )
        out[code_label(code)] = name.strip()
    return out


def _codes(args: argparse.Namespace, cohort, status: str) -> EventCodes:
    """The codebook's coding of ``status`` when declared, else the page's status-column rule:
    every code present in the cohort other than censored and the event of interest competes."""
    from hccdash.competing.data import codes_for_endpoint

    names = _names(args.cause_names) if args.cause_names else None
    if cohort.codebook is not None:
        for e in cohort.codebook.endpoints:
            if e.has_competing and e.status_column == status and e.time == args.time:
                codes = codes_for_endpoint(e)
                if args.cause is not None:
                    codes = EventCodes(codes.censor, code_label(args.cause), codes.competing,
                                       codes.names)  # fmt: skip
                return codes if names is None else EventCodes(
                    codes.censor, codes.cause, codes.competing, {**dict(codes.names or {}), **names}
                )  # fmt: skip
    censor = code_label(args.censor_code)
    cause = code_label(args.cause if args.cause is not None else "1")
    present = sorted(
        {code_label(v) for v in cohort.data[status].dropna().unique()},
        key=lambda v: (isinstance(v, str), v if not isinstance(v, str) else 0, str(v)),
    )
    competing = tuple(c for c in present if c not in (censor, cause))
    return EventCodes(censor, cause, competing, names or {})


def cif_figure(args: argparse.Namespace, spec):
    """The figure of ``args`` (see the module docstring), as the page draws it."""
    from hccdash.cli.figure import _cohort_view
    from hccdash.competing import cuminc, prepare
    from hccdash.competing.counts import cause_counts
    from hccdash.nonparametric import kaplan_meier

    cohort, data, filters = _cohort_view(args)
    for flag, col in (("--time", args.time), ("--event", args.event)):
        if col not in data.columns:
            raise InputError(f"{flag} {col!r} is not a column of {args.file!r}.")
    factors = {f.column: f for f in cohort.factors() if f.column in data.columns}
    for flag, col in (("--by", args.by), ("--strata", args.strata)):
        if col is not None and col not in factors:
            raise InputError(
                f"{flag} {col!r} is not a grouping factor of {args.file!r}; factors: "
                f"{sorted(factors)!r}."
            )
    codes = _codes(args, cohort, args.event)
    frame = group_columns(data, factors, args.by, args.strata)
    surv = competing_data(frame, args.time, args.event, codes)
    result = cuminc(surv, group=args.by, strata=args.strata, conf_type=args.conf_type)
    names = tuple(codes.name(c) for c in result.causes)
    prepared = prepare(surv, group=args.by, need_cause=False)

    def counts(times):
        return cause_counts(prepared, tuple(float(t) for t in times), result.causes, names)

    units = {e.time: e.unit for e in cohort.endpoints()}
    unit = args.time_in or units.get(args.time, args.time)  # the page's rule
    cause = code_label(args.cause) if args.cause is not None else codes.cause
    if args.layout != "stacked" and cause not in result.causes:
        raise InputError(
            f"--cause {cause!r} ({codes.name(cause)}) has no events among the {result.n} "
            f"patients; event codes with events: {list(result.causes)!r}. Choose one of them."
        )
    km = None
    if args.layout == "km-vs-cif":
        km = kaplan_meier(cause_specific(surv, cause), group=args.by)
    group = args.stack_group
    if group is not None and group not in result.groups:
        raise InputError(
            f"--stack-group {group!r} is not a group after the filters; groups: "
            f"{list(result.groups)!r}."
        )
    level_order = factors[args.by].level_order(cohort.data) if args.by else []
    return cr_view_figure(
        args.layout, result, spec, counts, cause=cause, group=group, km=km,
        legend_label=factors[args.by].label if args.by else None,
        color_levels=[str(v) for v in level_order], data_unit=unit, filters=filters,
    )  # fmt: skip


def add_parser(kinds, common, run) -> None:
    """Add ``figure cif`` to the ``figure`` subcommand's kinds (``common`` adds the shared
    flags: file, --out, --spec, --filter, --preset, ...)."""
    p = kinds.add_parser(
        "cif", help="competing risks: cumulative incidence by cause, stacked, or 1 − KM vs CIF"
    )
    common(p)
    p.add_argument("--layout", choices=LAYOUTS, default="by-cause", help="which figure")
    p.add_argument("--cause", default=None, help="code drawn and of interest (default 1)")
    p.add_argument("--censor-code", default="0", help="code of censoring (default 0)")
    p.add_argument("--cause-names", default=None, help="names of the codes: 1=relapse,2=death")
    p.add_argument("--by", default=None, help="grouping factor (one curve per level)")
    p.add_argument("--strata", default=None, help="stratify Gray's test by this factor")
    p.add_argument("--stack-group", default=None, help="--layout stacked: the group drawn")
    p.add_argument("--conf-type", choices=["log-log", "log", "plain"], default="log-log")
    p.add_argument("--time-in", default=None, help="unit of --time (default the endpoint's)")
    p.set_defaults(func=run)


def prefix_for(args: argparse.Namespace) -> str:
    """The URL prefix of the figure's options on the page."""
    return PREFIXES[args.layout]
