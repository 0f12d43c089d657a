"""Applying a :class:`~hccdash.filters.FilterSpec` to a frame, and saying what it keeps
(one job: rows kept, the caption describing them, the events left per endpoint).

All names are importable from ``hccdash.filters``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hccdash.codebook import level_text
from hccdash.errors import InputError, preview_labels
from hccdash.filter_url import _is_range, _levels_of, slug
from hccdash.schema import ASCITES, CHILD_PUGH, ENDPOINTS, KPS, PVTT, TREATMENT
from hccdash.vocab import yes_no

if TYPE_CHECKING:
    from hccdash.filters import FilterSpec


def _binary_match(value: str):
    """Row test of a yes/no role: ``yes``/``no`` as read by :func:`yes_no`, else a slug."""
    if value in {"yes", "no"}:
        return lambda v: yes_no(v) == value
    return lambda v: v is not None and slug(v) == value


def _by_unique(col: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` once per distinct value (fast on a million rows of few levels)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return pd.Series(mapped[codes], index=col.index)


def _category_mask(col: pd.Series, values: Sequence[str]) -> pd.Series:
    wanted = {str(v).lower() for v in values}
    return _by_unique(col, lambda v: v is not None and level_text(v).lower() in wanted).astype(bool)


def apply_filters(data: pd.DataFrame, spec: FilterSpec) -> pd.DataFrame:
    """Rows of ``data`` that pass every filter of ``spec`` (order and index preserved).

    A patient whose value is missing for a filtered column is dropped by that filter.

    Raises
    ------
    InputError
        If ``spec`` filters on a column the data does not have.
    """
    mask = pd.Series(True, index=data.index)

    def need(column: str) -> pd.Series:
        if column not in data.columns:
            raise InputError(
                f"Filter on column {column!r}, but the cohort has no such column "
                f"(columns: {preview_labels(list(data.columns), 8)}). "
                "Reset the filters or map the column on the data page."
            )
        return data[column]

    col = spec.column
    if spec.child_pugh is not None:
        mask &= _category_mask(need(col(CHILD_PUGH)), spec.child_pugh)
    if spec.kps is not None:
        kps = pd.to_numeric(need(col(KPS)), errors="coerce")
        mask &= kps.between(spec.kps[0], spec.kps[1]).fillna(False)
    if spec.pvtt is not None:
        mask &= _by_unique(need(col(PVTT)), _binary_match(spec.pvtt)).astype(bool)
    if spec.ascites is not None:
        mask &= _by_unique(need(col(ASCITES)), _binary_match(spec.ascites)).astype(bool)
    if spec.arm is not None:
        arm = spec.arm
        mask &= _by_unique(need(col(TREATMENT)), lambda v: v is not None and slug(v) == arm).astype(
            bool
        )
    for column, values in spec.extra:
        cells = need(column)
        if _is_range(values):
            num = pd.to_numeric(cells, errors="coerce")
            mask &= num.between(values[0], values[1]).fillna(False)
        else:
            mask &= _category_mask(cells, values)
    return data.loc[mask.astype(bool)]


def filter_labels(cohort) -> dict[str, str]:
    """Display label per filterable column of a :class:`~hccdash.schema.Cohort`: the
    codebook's short label, else the column name (for :func:`describe`, page and CLI)."""
    return {str(c): cohort.short_label(str(c)) for c in cohort.data.columns}


def filter_levels(cohort) -> dict[str, dict[str, str]]:
    """Level text by slug of the treatment and yes/no role columns of a
    :class:`~hccdash.schema.Cohort` (the codebook's levels, else the data's), so that
    :func:`describe` says ``Arm B+C`` where the spec keeps ``arm_b_c``."""
    out: dict[str, dict[str, str]] = {}
    for role in (TREATMENT, PVTT, ASCITES):
        column = cohort.role(role)
        if column is None:
            continue
        v = cohort.variable(column)
        levels = list(v.levels) if v is not None and v.levels else _levels_of(cohort.data, column)
        out[column] = {slug(x): x for x in levels}
    return out


def describe(
    spec: FilterSpec,
    labels: Mapping[str, str] | None = None,
    levels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """One line saying which filters are set, for captions and methods text.

    ``labels`` maps a column (or role column) to its display label (``Cohort.short_label``);
    without one the column name is used. ``levels`` maps a role column to its level text by
    slug (:func:`filter_levels`); without it the slug is shown.

    >>> from hccdash.filters import FilterSpec
    >>> spec = FilterSpec(arm="arm_b_c", roles=(("treatment", "Arm"),))
    >>> describe(spec, {"Arm": "Study arm"}, {"Arm": {"arm_b_c": "Arm B+C"}})
    'Study arm Arm B+C'
    """
    lab = dict(labels or {})
    lev = {k: dict(v) for k, v in (levels or {}).items()}

    def name(column: str) -> str:
        return lab.get(column, column)

    def level(column: str, value: str) -> str:
        return lev.get(column, {}).get(value, value)

    parts: list[str] = []
    col = spec.column
    if spec.child_pugh is not None:
        parts.append(f"{name(col(CHILD_PUGH))} " + ", ".join(spec.child_pugh))
    if spec.kps is not None:
        lo, hi = spec.kps
        kps = name(col(KPS))
        parts.append(f"{kps} {lo}" if lo == hi else f"{kps} {lo}–{hi}")
    for role, value in ((PVTT, spec.pvtt), (ASCITES, spec.ascites)):
        if value is not None:  # yes/no as they are; other levels by their text
            text = value if value in {"yes", "no"} else level(col(role), value)
            parts.append(f"{name(col(role))} " + text)
    if spec.arm is not None:
        arm = col(TREATMENT)
        parts.append(f"{lab.get(arm, 'arm' if arm == TREATMENT else arm)} " + level(arm, spec.arm))
    for column, values in spec.extra:
        if _is_range(values):
            parts.append(f"{name(column)} {values[0]:g}–{values[1]:g}")
        else:
            parts.append(f"{name(column)} " + ", ".join(str(v) for v in values))
    return "; ".join(parts) if parts else "no filters (all patients)"


def events_per_endpoint(data: pd.DataFrame, endpoints: Sequence = ENDPOINTS) -> dict[str, int]:
    """Number of events per endpoint present in ``data`` (``{"os": 18, "pfs": 20}``)."""
    out: dict[str, int] = {}
    for e in endpoints:
        if e.time in data.columns and e.event in data.columns:
            ev = pd.to_numeric(data[e.event], errors="coerce")
            out[e.key] = int((ev == 1).sum())
    return out
