"""``analyze --competing``: the competing-risks blocks of the CLI JSON.

With ``--competing`` the ``--event`` column holds status codes (default ``0`` censored, ``1``
the event of interest, other non-negative integers competing causes; ``--cause`` and
``--censor-code`` change that). The usual blocks (``km``, ``test``, ``cox``) are then the
*cause-specific* analyses (the event of interest as event, everything else censored: ``1 - km``
is the naive incidence) and three blocks are added:

* ``cif``: one entry per group and cause ``{group, cause, cause_name, n, n_event, time[],
  est[], var[], lower[], upper[], at[]}`` (cmprsk's ``cuminc`` at its jump points; ``at`` for
  ``--times``);
* ``gray``: ``[{cause, stat, df, p_value}]`` one per cause (``[]`` without ``--group``);
* ``finegray``: ``{cause, terms: [{term, coef, se, shr, lower, upper, z, p_value}], n,
  n_event, n_competing, converged, loglik}`` with ``--covariates`` (cmprsk's ``crr``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hccdash.cli.competing_args import _names, add_arguments  # noqa: F401 - re-exported
from hccdash.competing.data import EventCodes, code_label
from hccdash.errors import InputError
from hccdash.validate import _require_columns

__all__ = ["add_arguments", "blocks", "load", "table_lines"]


def _codes(args: argparse.Namespace, status: pd.Series) -> EventCodes:
    censor = code_label(args.censor_code if args.censor_code is not None else "0")
    cause = code_label(args.cause if args.cause is not None else "1")
    present = [code_label(v) for v in pd.unique(status.dropna())]
    # declared: the censor code, the cause, and every other non-negative integer code
    competing = tuple(
        sorted(c for c in present if isinstance(c, int) and c >= 0 and c not in (censor, cause))
    )
    return EventCodes(censor, cause, competing, args.cause_names)


def load(args: argparse.Namespace) -> tuple[pd.DataFrame, str, str, EventCodes]:
    """Read the file; return the frame with a cause-specific 0/1 event column, and the codes.

    The original status codes move to column ``"<event> (status)"`` of the returned copy;
    the user's file is never changed.
    """
    from hccdash import io
    from hccdash.competing.data import prepare

    if getattr(args, "codebook", None):
        return _load_with_codebook(args)
    if not args.time or not args.event:
        raise InputError("analyze --competing: give --time and --event (the status codes)")
    if args.mapping:
        raise InputError(
            "analyze --competing does not take --mapping yet; name the columns with --time "
            "and --event."
        )
    read_kw: dict[str, object] = {"sheet": args.sheet} if args.sheet else {}
    if args.max_mb is not None:
        read_kw["max_mb"] = args.max_mb
    table = io.read_table(args.file, **read_kw)  # type: ignore[arg-type]
    raw = table.data
    wanted = [
        args.time,
        args.event,
        *([args.group] if args.group else []),
        *(args.covariates or []),
    ]
    _require_columns(raw, wanted, source=table.name)
    codes = _codes(args, raw[args.event])
    prepare(raw, args.time, args.event, codes, group=args.group)  # one validation, one message
    data = raw.copy()
    status_col = f"{args.event} (status)"
    data[status_col] = raw[args.event]
    st = raw[args.event].map(lambda v: v if pd.isna(v) else code_label(v))
    data[args.event] = np.where(st.isna(), np.nan, (st == code_label(codes.cause)).astype(float))
    return data, args.time, args.event, codes


def _load_with_codebook(args: argparse.Namespace) -> tuple[pd.DataFrame, str, str, EventCodes]:
    """``--competing --codebook FILE``: the endpoint, its codes and names from the codebook.

    The endpoint is the codebook's endpoint with ``coding.competing`` whose event column is
    ``--event`` (or time column ``--time``), else its first one. Times are in months, as with
    every ``--codebook`` analysis. ``--cause`` picks another declared code as the event of
    interest; ``--cause-names`` override the codebook's names.
    """
    from dataclasses import replace

    from hccdash.cohortfile import load_cohort_file
    from hccdash.competing.data import codes_for_endpoint, prepare

    cohort = load_cohort_file(args.file, args.codebook)
    book = cohort.codebook
    found = [e for e in (book.endpoints if book is not None else ()) if e.has_competing]
    if args.event:
        found = [e for e in found if args.event in (e.event, e.status_column)]
    if args.time:
        found = [e for e in found if e.time == args.time]
    if not found:
        which = f" with event column {args.event!r}" if args.event else ""
        raise InputError(
            f"codebook {args.codebook!r} has no endpoint{which} with competing event types; "
            "fix: list the other event codes in its coding.competing (docs/codebook.md), or "
            "leave out --codebook and give --cause and --censor-code."
        )
    e = found[0]
    codes = codes_for_endpoint(e)
    if args.cause is not None and code_label(args.cause) != codes.cause:
        cause = code_label(args.cause)
        declared = (codes.cause, *(codes.competing or ()))
        if cause not in declared:
            raise InputError(
                f"--cause {args.cause!r} is not an event code of endpoint {e.key!r} (its codes: "
                f"{', '.join(map(repr, declared))}); fix: use one of them."
            )
        codes = replace(codes, cause=cause, competing=tuple(c for c in declared if c != cause))
    if args.cause_names:
        codes = replace(codes, names={**dict(codes.names or {}), **args.cause_names})
    data = cohort.as_categorical()
    wanted = [*([args.group] if args.group else []), *(args.covariates or [])]
    _require_columns(data, wanted, source=cohort.source)
    status_col = f"{e.event} (status)"
    data[status_col] = data[e.status_column]
    st = data[status_col].map(lambda v: v if pd.isna(v) else code_label(v))
    data[e.event] = np.where(st.isna(), np.nan, (st == codes.cause).astype(float))
    prepare(data, e.time, status_col, codes, group=args.group)  # one validation, one message
    entry = cohort.entry_column(e.key)
    if entry is not None:
        # As the page says: cmprsk has no delayed entry; never drop the declaration silently.
        print(
            f"hccdash: warning: the codebook declares delayed entry ({entry!r}) for endpoint "
            f"{e.key!r}; cuminc, Gray's test and crr (R cmprsk) have none and count every "
            "patient at risk from time 0 (for delayed entry use analyze --mapping with KM/Cox).",
            file=sys.stderr,
        )
    args.time, args.event = e.time, e.event
    return data, e.time, e.event, codes


def _num(x: object) -> float | int | None:
    if x is None:
        return None
    if isinstance(x, int | np.integer):
        return int(x)
    value = float(x)  # type: ignore[arg-type]
    return value if math.isfinite(value) else None


def _nums(a: Sequence[float] | np.ndarray) -> list[float | int | None]:
    return [_num(v) for v in np.asarray(a).tolist()]


def blocks(
    args: argparse.Namespace, data: pd.DataFrame, time: str, event: str, codes: EventCodes
) -> dict[str, object]:
    """The ``cif``, ``gray`` and ``finegray`` blocks."""
    from hccdash.competing.cuminc import cif_at, cuminc
    from hccdash.competing.finegray import crr

    status = f"{event} (status)"
    res = cuminc(
        data,
        time,
        status,
        args.group,
        codes=codes,
        conf_type=args.conf_type,
        conf_level=args.conf_level,
    )
    cif = []
    for c in res.curves:
        entry: dict[str, object] = {
            "group": c.group,
            "cause": c.cause,
            "cause_name": c.cause_name,
            "n": c.n,
            "n_event": c.n_event,
            "time": _nums(c.time),
            "est": _nums(c.est),
            "var": _nums(c.var),
            "lower": _nums(c.lower),
            "upper": _nums(c.upper),
            "at": [],
        }
        if args.times:
            at = cif_at(c, args.times)
            entry["at"] = [
                {
                    "time": _num(at.time[i]),
                    "est": _num(at.est[i]),
                    "var": _num(at.var[i]),
                    "lower": _num(at.lower[i]),
                    "upper": _num(at.upper[i]),
                }
                for i in range(at.time.size)
            ]
        cif.append(entry)
    out: dict[str, object] = {
        "cif": cif,
        "gray": [
            {"cause": t.cause, "stat": _num(t.stat), "df": t.df, "p_value": _num(t.p_value)}
            for t in res.tests
        ],
    }
    if args.covariates:
        fit = crr(data, time, status, args.covariates, codes=codes, conf_level=args.conf_level)
        out["finegray"] = {
            "cause": fit.cause,
            "cause_name": fit.cause_name,
            "terms": [
                {
                    "term": t.term,
                    "coef": _num(t.coef),
                    "se": _num(t.se),
                    "shr": _num(t.shr),
                    "lower": _num(t.lower),
                    "upper": _num(t.upper),
                    "z": _num(t.z),
                    "p_value": _num(t.p_value),
                }
                for t in fit.terms
            ],
            "n": fit.n,
            "n_event": fit.n_event,
            "n_competing": fit.n_competing,
            "converged": fit.converged,
            "loglik": _num(fit.loglik),
        }
    return out


def table_lines(result: dict[str, object]) -> list[str]:
    """Plain-text tables of the competing-risks blocks (``--format table``)."""
    lines: list[str] = []
    at = [
        dict(a, group=c["group"], cause=c["cause_name"])  # type: ignore[arg-type]
        for c in result.get("cif", [])  # type: ignore[union-attr]
        for a in c["at"]  # type: ignore[index]
    ]
    if at:
        lines += ["Cumulative incidence at times", pd.DataFrame(at).to_string(index=False), ""]
    if result.get("gray"):
        lines += ["Gray's test", pd.DataFrame(result["gray"]).to_string(index=False), ""]
    fg = result.get("finegray")
    if fg:
        lines += [
            f"Fine-Gray model of {fg['cause_name']}: n = {fg['n']}, events = {fg['n_event']}, "  # type: ignore[index]
            f"competing = {fg['n_competing']}",  # type: ignore[index]
            pd.DataFrame(fg["terms"]).to_string(index=False),  # type: ignore[index]
            "",
        ]
    return lines
