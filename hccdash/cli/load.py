"""``analyze``'s input: read, map (or take the codebook), check; the issue-18 columns."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from hccdash import schema
from hccdash.cli.args import UsageError, _ext_columns, _one_line
from hccdash.errors import InputError
from hccdash.validate import _require_columns


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
        _require_columns(raw, wanted, source=table.name)
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
    _require_columns(data, wanted, source=cohort.source)
    return data, time, event
