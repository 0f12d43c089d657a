"""The validation report a user sees before anything is analysed.

:func:`check` applies a :class:`~hccdash.mapping.ColumnMapping` to a raw table and lists every
problem as a :class:`Problem` (column, patient ids, values, message, fix, fatal). Fatal problems
are row-level (a negative time, an event code outside the mapping, PFS after OS, dates out of
order or in the future, duplicate ids, text in a time column) or dataset-level (too few
patients). Nothing is dropped silently: :meth:`CheckReport.clean` excludes the fatal rows only
when called with ``exclude_fatal=True``, i.e. after the user has seen the list and confirmed.
Missing times or events are warnings, not exclusions: each analysis uses the complete cases of
its own columns and reports how many rows it dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from hccdash import io as hio
from hccdash import schema
from hccdash.codebook import TO_MONTHS, Codebook
from hccdash.datacheck_entry import UNKNOWN_FIX, entry_problems, unknown_codes_text
from hccdash.errors import InputError, preview_labels
from hccdash.io import map_unique
from hccdash.mapping import (
    ColumnMapping,
    apply_mapping,
    derive_endpoints,
    norm_code,
    to_number,
)
from hccdash.schema import Cohort
from hccdash.validate import complete_cases, validate_survival

MIN_PATIENTS = 2  # below this nothing can be estimated
FEW_PATIENTS = 10  # below this estimates are very uncertain: warn
FEW_EVENTS = 10  # below this per endpoint: warn (Cox needs ~10 events per variable)
PLAUSIBLE_MONTHS = 1200.0  # 100 years: longer durations are a unit or date error
ENTRY_COLUMNS = {schema.OS_TIME: schema.OS_ENTRY, schema.PFS_TIME: schema.PFS_ENTRY}


@dataclass(frozen=True)
class Problem:
    """One problem in an uploaded table.

    Attributes
    ----------
    column : str
        The user's column (or ``"(file)"`` for dataset-level problems).
    rows : tuple of str
        Patient ids (or ``"row N"``) of the affected rows; empty for dataset-level problems.
    values : tuple of str
        The offending cell values as text, one per row (empty when not about values).
    message : str
        What is wrong, with counts and the first rows and values.
    fix : str
        What to do about it.
    fatal : bool
        True when the rows cannot be analysed as they are (they are excluded only after the
        user confirms), or, with no rows, when the whole table cannot be analysed.
    kind : str
        A stable short code (``"time_negative"``, ``"event_unknown"`` ...), for tests and logs.
    """

    column: str
    rows: tuple[str, ...]
    values: tuple[str, ...]
    message: str
    fix: str
    fatal: bool
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.message}; fix: {self.fix}"


@dataclass(frozen=True)
class CheckReport:
    """Every problem found, the canonical frame they refer to, and the rows to exclude.

    Attributes
    ----------
    problems : tuple of Problem
        Fatal problems first, in the order found.
    data : pandas.DataFrame
        The canonical frame of all rows (before any exclusion).
    n_rows : int
        Rows in the table.
    fatal_rows : tuple of str
        Patient ids of the rows that fatal row-level problems exclude.
    """

    problems: tuple[Problem, ...]
    data: pd.DataFrame = field(repr=False)
    n_rows: int
    fatal_rows: tuple[str, ...]
    mapping: ColumnMapping | None = field(default=None, repr=False, compare=False)

    def event_columns(self) -> tuple[str, ...]:
        """The cohort frame's event columns (OS, PFS and every further endpoint)."""
        slots = self.mapping.slots() if self.mapping is not None else ()
        cols = (schema.OS_EVENT, schema.PFS_EVENT, *(s.event for s in slots))
        return tuple(dict.fromkeys(cols))

    def endpoint_columns(self) -> tuple[tuple[str, str], ...]:
        """(time, event) of every endpoint the report's mapping defines."""
        if self.mapping is None:
            return tuple((e.time, e.event) for e in schema.ENDPOINTS)
        return tuple((s.time, s.event) for s in self.mapping.slots())

    @property
    def fatal(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.fatal)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.fatal)

    @property
    def blocking(self) -> tuple[Problem, ...]:
        """Dataset-level fatal problems: no confirmation makes the table usable."""
        return tuple(p for p in self.problems if p.fatal and not p.rows)

    @property
    def ok(self) -> bool:
        """True when there is nothing fatal."""
        return not self.fatal

    def to_frame(self) -> pd.DataFrame:
        """One row per problem: severity, column, rows, value, problem, fix."""
        return pd.DataFrame(
            {
                "severity": ["fatal" if p.fatal else "warning" for p in self.problems],
                "column": [p.column for p in self.problems],
                "rows": [preview_labels(p.rows, 8) for p in self.problems],
                "value": [preview_labels(_distinct(p.values), 5) for p in self.problems],
                "problem": [p.message for p in self.problems],
                "fix": [p.fix for p in self.problems],
            },
            columns=["severity", "column", "rows", "value", "problem", "fix"],
        )

    def first_error(self) -> str:
        """One line for the CLI: the first fatal problem and how many more there are."""
        fatal = self.fatal
        if not fatal:
            return ""
        more = len(fatal) - 1
        tail = f" ({more} more fatal problem{'s' if more > 1 else ''})" if more else ""
        return f"{fatal[0]}{tail}"

    def excluded(self) -> pd.Series:
        """Boolean mask of the rows a confirmed exclusion removes (for duplicate ids: the
        repeats, the first row of each id is kept)."""
        ids = self.data[schema.PATIENT_ID]
        drop = ids.isin(_rows_of(self.problems, exclude_kind="duplicate_id"))
        if any(p.kind == "duplicate_id" for p in self.fatal):
            drop |= ids.duplicated(keep="first")
        return drop

    def clean(self, *, exclude_fatal: bool = False) -> pd.DataFrame:
        """The canonical frame ready for analysis.

        Parameters
        ----------
        exclude_fatal : bool
            Confirmation that the rows with fatal problems (listed in the report) may be
            left out. Without it, any fatal problem raises.

        Raises
        ------
        InputError
            A dataset-level fatal problem, or row-level ones without confirmation.
        """
        if self.blocking:
            raise InputError(str(self.blocking[0]))
        drop = self.excluded()
        if drop.any() and not exclude_fatal:
            raise InputError(
                f"{int(drop.sum())} of {self.n_rows} rows have fatal problems (rows "
                f"{preview_labels(self.fatal_rows)}): {self.fatal[0]}; fix: correct the file, "
                "or confirm that these rows are excluded."
            )
        out = self.data[~drop].reset_index(drop=True)
        for col in self.event_columns():
            if col in out and out[col].notna().all():
                out[col] = out[col].astype(np.int64)
        return out


def _rows_of(problems: Sequence[Problem], *, exclude_kind: str) -> set[str]:
    return {r for p in problems if p.fatal and p.kind != exclude_kind for r in p.rows}


def _distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _text(v: object) -> str:
    if norm_code(v) is None:
        return ""
    if isinstance(v, float | np.floating) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _a(label: str) -> str:
    return f"an {label}" if label[0] in "AEIOU" else f"a {label}"


class _Collector:
    def __init__(self, ids: pd.Series) -> None:
        self.ids = ids
        self.items: list[Problem] = []

    def rows(
        self,
        mask: pd.Series,
        column: str,
        values: pd.Series,
        what: str,
        fix: str,
        *,
        fatal: bool,
        kind: str,
        show_values: bool = True,
    ) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        ids = tuple(str(x) for x in self.ids[mask])
        vals = tuple(_text(v) for v in values[mask])
        n = len(ids)
        shown = preview_labels(_distinct(vals), 3)
        value_part = f" (values {shown})" if any(vals) and show_values else ""
        verb = "has" if n == 1 else "have"
        message = (
            f"column {column!r}: {n} row{'s' if n > 1 else ''} {verb} {what}{value_part}: "
            f"{preview_labels(ids)}"
        )
        self.items.append(Problem(column, ids, vals, message, fix, fatal, kind))

    def table(self, column: str, message: str, fix: str, *, fatal: bool, kind: str) -> None:
        self.items.append(Problem(column, (), (), message, fix, fatal, kind))


def check(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    today: date | None = None,
    plausible_months: float | None = PLAUSIBLE_MONTHS,
) -> CheckReport:
    """Validate ``raw`` under ``mapping`` and list every problem.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read by :func:`hccdash.io.read_table` (not modified).
    mapping : ColumnMapping
    today : datetime.date, optional
        Dates after this day are "in the future" (default: the current date).
    plausible_months : float or None
        Durations above this (in months) are flagged as a unit or date error; None skips the
        check (the CLI, where the unit of ``--time`` is the user's).

    Returns
    -------
    CheckReport

    Raises
    ------
    InputError
        When the mapping does not fit the table's columns (nothing can be checked).
    """
    data = apply_mapping(raw, mapping)
    ids = data[schema.PATIENT_ID]
    col = _Collector(ids)
    today = today or date.today()
    derived = derive_endpoints(raw, mapping)
    slots = mapping.slots()  # OS, PFS and the further endpoints

    # Dates first: durations computed from them inherit their problems.
    for role, parsed in derived.dates.items():
        src = mapping.date_columns()[role]
        values = raw[src]
        bad = pd.Series(False, index=raw.index)
        bad.iloc[list(parsed.bad)] = True
        if bad.any():
            other = _other_format(values[bad])
            if parsed.format is not None and other:
                what = (
                    f"a date in another format ({other}) than the column's "
                    f"{parsed.label} (mixed date formats)"
                )
                fix = (
                    f"write every date in {src!r} in one format, e.g. {parsed.label}, or set "
                    "the date format"
                )
            else:
                what = "a value that is not a date"
                fix = "enter dates such as 2021-03-15 (YYYY-MM-DD), or leave the cell empty"
            col.rows(bad, src, values, what, fix, fatal=True, kind="date_invalid")
        if parsed.ambiguous:
            col.table(
                src,
                f"column {src!r}: every date reads both as day/month and month/day; read as "
                "DD/MM/YYYY",
                "if the dates are MM/DD/YYYY, set the date format to %m/%d/%Y",
                fatal=False,
                kind="date_ambiguous",
            )
        future = parsed.values > pd.Timestamp(today)
        col.rows(
            future, src, values, f"a date in the future (after {today.isoformat()})",
            "correct the date (year typo?)", fatal=True, kind="date_future",
        )  # fmt: skip
    order = (
        ("progression_date", "start_date", "progression before the start date"),
        ("death_date", "start_date", "death before the start date"),
        ("last_followup_date", "start_date", "last follow-up before the start date"),
        ("death_date", "progression_date", "death before progression"),
        ("death_date", "last_followup_date", "last follow-up after death"),
    )
    order += tuple(
        (f"{x.key}_date", "start_date", f"{x.label} event before the start date")
        for x in mapping.endpoints
        if x.end_date is not None
    )
    dcols = mapping.date_columns()
    for later, earlier, what in order:
        if later in derived.dates and earlier in derived.dates:
            a, b = derived.dates[later].values, derived.dates[earlier].values
            mask = a < b
            src = dcols[later]
            if not mask.any():
                continue
            pair = raw[dcols[earlier]].map(_text) + " → " + raw[src].map(_text)
            col.rows(
                mask, src, pair, f"dates out of order ({what})",
                f"check {dcols[earlier]!r} and {src!r} for these patients",
                fatal=True, kind="date_order",
            )  # fmt: skip

    for slot in slots:
        label, tcol, src_t, src_e = slot.name, slot.time, slot.src_time, slot.src_event
        coding, unit = slot.coding, slot.unit
        months = data[tcol]
        if src_t is not None:
            values = raw[src_t]
            present = values.pipe(map_unique, norm_code).notna()
            num = to_number(values)
            col.rows(
                present & num.isna(), src_t, values, f"{_a(label)} time that is not a number",
                "enter the time as a number such as 12.5 (decimal point or comma), or leave "
                "it empty if unknown", fatal=True, kind="time_not_number",
            )  # fmt: skip
            col.rows(
                ~present, src_t, values, f"no {label} time",
                f"fill in the time; until then these patients are left out of {label} "
                "analyses (complete cases)", fatal=False, kind="time_missing",
            )  # fmt: skip
            where = src_t
        else:
            values = months
            where = mapping.start_date or tcol
            date_bad = pd.Series(False, index=raw.index)
            for parsed in derived.dates.values():
                date_bad.iloc[list(parsed.bad)] = True
            col.rows(
                months.isna() & ~date_bad, where, values,
                f"no date to compute {label} from (start date or end dates missing)",
                f"fill in the dates; until then these patients are left out of {label} "
                "analyses", fatal=False, kind="time_missing",
            )  # fmt: skip
        col.rows(
            np.isinf(months), where, values, f"{_a(label)} time that is not finite",
            "enter a real duration (the cell overflowed or holds an error)",
            fatal=True, kind="time_not_finite",
        )  # fmt: skip
        if src_t is not None:
            col.rows(
                months < 0, where, values, f"a negative {label} time",
                "times count from the start of follow-up and cannot be negative; correct the "
                "cells", fatal=True, kind="time_negative",
            )  # fmt: skip
        col.rows(
            months == 0, where, values, f"{_a(label)} time of zero",
            "check these: an event or censoring on the day of the start is kept (as in R) "
            "but is often an entry error", fatal=False, kind="time_zero",
        )  # fmt: skip
        if plausible_months is not None:
            limit = plausible_months / TO_MONTHS[unit] if src_t is not None else None
            shown = f"{limit:g} {unit}" if limit is not None else f"{plausible_months:g} months"
            # With delayed entry the time scale may be age: the follow-up is time - entry.
            entry = data.get(slot.entry)
            span = months - entry.fillna(0.0).clip(lower=0.0) if entry is not None else months
            col.rows(
                np.isfinite(months) & (span > plausible_months), where, values,
                f"{_a(label)} time above {shown} (100 years)",
                "check the time unit (days entered as months?) or the dates",
                fatal=True, kind="time_implausible",
            )  # fmt: skip
        if src_e is not None:
            ev = raw[src_e]
            unknown = coding.unknown(ev)
            if unknown.any():
                col.rows(
                    unknown, src_e, ev,
                    f"{_a(label)} event code outside the mapping "
                    f"({unknown_codes_text(src_e, ev, coding)})", UNKNOWN_FIX,
                    fatal=True, kind="event_unknown", show_values=False,
                )  # fmt: skip
            col.rows(
                ev.pipe(map_unique, norm_code).isna(), src_e, ev, f"no {label} event status",
                f"fill in 1 (event) or 0 (censored); until then these patients are left out "
                f"of {label} analyses", fatal=False, kind="event_missing",
            )  # fmt: skip

    entry_problems(raw, data, mapping, col)
    if mapping.has_os() and mapping.has_pfs():
        pfs, os_ = data[schema.PFS_TIME], data[schema.OS_TIME]
        mask = pfs > os_ + 1e-9
        src = mapping.pfs_time or mapping.progression_date or schema.PFS_TIME
        pair = pd.Series("", index=pfs.index, dtype=object)
        if mask.any():
            pair[mask] = [f"{p:g} > {o:g}" for p, o in zip(pfs[mask], os_[mask], strict=True)]
        col.rows(
            mask, src, pair, "PFS longer than OS (months)",
            "progression-free survival ends at progression or death, so it cannot exceed "
            "overall survival; correct the times", fatal=True, kind="pfs_after_os",
        )  # fmt: skip

    if mapping.patient_id is not None:
        dup = (
            ids.duplicated(keep=False) & raw[mapping.patient_id].pipe(map_unique, norm_code).notna()
        )
        col.rows(
            dup, mapping.patient_id, raw[mapping.patient_id], "the same patient id as another row",
            "give every patient one row with a unique id (the repeats are excluded on confirm, "
            "the first row of each id is kept)", fatal=True, kind="duplicate_id",
        )  # fmt: skip

    _role_values(raw, data, mapping, col)
    _constant_columns(raw, mapping, col)
    for c, pos in hio.formula_cells(raw[list(mapping.source_columns())]).items():
        mask = pd.Series(False, index=raw.index)
        mask.iloc[pos] = True
        col.rows(
            mask, c, raw[c], "text that starts like a spreadsheet formula",
            "nothing is executed: the cells are kept as text and shown/exported with a "
            "leading apostrophe; remove them if they are not data", fatal=False,
            kind="formula_text",
        )  # fmt: skip

    fatal_ids = tuple(dict.fromkeys(r for p in col.items if p.fatal for r in p.rows))
    _dataset_level(data, fatal_ids, mapping, col)
    problems = tuple(p for p in col.items if p.fatal) + tuple(p for p in col.items if not p.fatal)
    return CheckReport(problems, data, len(raw), fatal_ids, mapping)


def _other_format(values: pd.Series) -> str:
    from hccdash.mapping.dates import DATE_FORMATS, _strptime_ok

    labels = []
    for v in values.map(_text):
        for fmt, label in DATE_FORMATS:
            if _strptime_ok(v, fmt):
                labels.append(label)
                break
    return preview_labels(_distinct(labels), 3) if labels else ""


def _role_values(raw: pd.DataFrame, data: pd.DataFrame, mapping: ColumnMapping, col) -> None:
    expect = {
        schema.PVTT: "yes/no (1/0, true/false, 是/否, 有/无)",
        schema.ASCITES: "yes/no (1/0, true/false, 是/否, 有/无)",
        schema.CHILD_PUGH: "a class A/B/C or a score 5-15",
        schema.KPS: "a number (0-100)",
    }
    for role, src in mapping.roles().items():
        if role not in expect:
            continue
        present = raw[src].pipe(map_unique, norm_code).notna()
        unread = present & data[role].isna()
        col.rows(
            unread, src, raw[src], f"a value that cannot be read as {expect[role]}",
            f"recode them; until then they count as missing {role}", fatal=False,
            kind="role_value",
        )  # fmt: skip
        if role == schema.KPS:
            kps = data[role]
            col.rows(
                (kps < 0) | (kps > 100), src, raw[src], "a KPS outside 0-100",
                "KPS is 0-100 in steps of 10; correct the cells", fatal=False,
                kind="role_value",
            )  # fmt: skip


def _constant_columns(raw: pd.DataFrame, mapping: ColumnMapping, col) -> None:
    cols = [*mapping.roles().values(), *mapping.extra_factors]
    for c in dict.fromkeys(cols):
        present = raw[c].pipe(map_unique, norm_code).dropna()
        if len(raw) > 1 and present.nunique() <= 1:
            only = repr(_text(raw[c][present.index[0]])) if len(present) else "nothing"
            col.table(
                c,
                f"column {c!r} has one value ({only}) for every patient: it cannot split the "
                "cohort into groups",
                "leave it out of the factors (or check the export)",
                fatal=False,
                kind="constant_column",
            )


def _dataset_level(
    data: pd.DataFrame, fatal_ids: tuple[str, ...], mapping: ColumnMapping, col
) -> None:
    kept = data[~data[schema.PATIENT_ID].isin(set(fatal_ids))]
    n = len(kept)
    excl = f" after excluding {len(data) - n} rows with fatal problems" if fatal_ids else ""
    if n < MIN_PATIENTS:
        col.table(
            "(file)",
            f"only {n} patient{'s' if n != 1 else ''} to analyse{excl}; survival analysis "
            f"needs at least {MIN_PATIENTS} (too few patients)",
            "upload the full cohort (one row per patient)",
            fatal=True,
            kind="too_few_patients",
        )
        return
    if n < FEW_PATIENTS:
        col.table(
            "(file)",
            f"only {n} patients{excl}: estimates and tests will be very uncertain",
            "interpret with care; report confidence intervals",
            fatal=False,
            kind="few_patients",
        )
    for slot in mapping.slots():
        label, tcol, ecol = slot.name, slot.time, slot.event
        if ecol not in kept:
            continue
        # Name the user's columns in the report (the canonical names mean nothing to them).
        src, src_t = slot.src_event, slot.src_time
        ename, tname = src or f"{label} (from dates)", src_t or f"{label} (from dates)"
        complete = kept[tcol].notna() & kept[ecol].notna()
        events = int((kept.loc[complete, ecol] == 1).sum())
        if complete.sum() == 0:
            col.table(
                tname,
                f"no patient has both {_a(label)} time and {_a(label)} event status{excl}",
                f"check the {label} columns of the mapping",
                fatal=True,
                kind="no_complete_cases",
            )
        elif events == 0:
            col.table(
                ename,
                f"no {label} events among {int(complete.sum())} patients: the curve stays at "
                "1, medians are not reached and tests and Cox models cannot be computed "
                "(too few events)",
                "check the event coding (which value means event?)",
                fatal=False,
                kind="too_few_events",
            )
        elif events < FEW_EVENTS:
            col.table(
                ename,
                f"only {events} {label} events: medians may not be reached and a Cox model "
                "supports about one covariate per 10 events (too few events)",
                "interpret with care; prefer few covariates",
                fatal=False,
                kind="too_few_events",
            )


def to_cohort(
    report: CheckReport,
    name: str,
    source: str,
    *,
    exclude_fatal: bool = False,
    codebook: Codebook | None = None,
) -> Cohort:
    """The uploaded :class:`~hccdash.schema.Cohort` (``reconstructed=False``) with its
    codebook (see :func:`hccdash.mapping.mapping_codebook`).

    Raises
    ------
    InputError
        As :meth:`CheckReport.clean`.
    """
    data = report.clean(exclude_fatal=exclude_fatal)
    # The analysis boundary (hccdash.validate) as a last guard on each endpoint's complete
    # cases: whatever the report let through must pass it.
    for time, event in report.endpoint_columns():
        if time in data and event in data:
            frame, _ = complete_cases(data, [time, event])
            if len(frame):
                validate_survival(frame, time, event, id_column=schema.PATIENT_ID)
    return Cohort(name=name, data=data, source=source, reconstructed=False, codebook=codebook)
