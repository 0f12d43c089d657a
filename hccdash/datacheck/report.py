"""The report model: a :class:`Problem`, the :class:`CheckReport` of an upload, the collector.

:class:`_Collector` turns a row mask into one :class:`Problem` whose message counts the rows
and quotes the first ids and values; every family of checks writes through it. Part of
:mod:`hccdash.datacheck`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash import schema
from hccdash.errors import InputError, preview_labels
from hccdash.mapping import ColumnMapping, norm_code


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
