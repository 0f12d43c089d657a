"""From computed competing-risks results and a FigureSpec to the figure: one path for all.

The Competing risks page and ``python -m hccdash figure cif`` call :func:`cr_view_figure`,
so the same cohort, filters and spec give the same figure (and file) on both, as
:mod:`hccdash.plotting.views` does for the KM figure. The statistics are passed in: the
:class:`~hccdash.competing.cuminc.CumIncResult`, the cause-specific Kaplan-Meier (overlay) and
a ``counts(times)`` callable that returns :func:`~hccdash.competing.counts.cause_counts` at
the figure's ticks (the page passes its cached one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from hccdash.competing.counts import CauseCounts, stacked_cif
from hccdash.competing.spec_figure import cif_spec_figure, cif_ticks
from hccdash.competing.spec_views import km_vs_cif_spec_figure, stacked_spec_figure
from hccdash.errors import InputError
from hccdash.plotting.spec import FigureSpec

if TYPE_CHECKING:
    import numpy as np
    import plotly.graph_objects as go

    from hccdash.competing.cuminc import CumIncResult
    from hccdash.nonparametric import KMResult
    from hccdash.schema import Factor

LAYOUTS = ("by-cause", "stacked", "km-vs-cif")
__all__ = ["LAYOUTS", "cr_view_figure", "group_columns"]


def group_columns(data: pd.DataFrame, factors: Mapping[str, Factor], *columns: str | None):
    """A copy of ``data`` with each grouping column a Categorical of its factor's levels (cut
    points, level order, exclusions of the cohort's codebook): what the page and the CLI
    group and stratify by. ``data`` itself when no column is given.

    Examples
    --------
    >>> from hccdash.schema import Factor
    >>> df = pd.DataFrame({"arm": ["b", "a", "b"]})
    >>> group_columns(df, {"arm": Factor("arm", "Arm")}, "arm")["arm"].cat.categories.tolist()
    ['a', 'b']
    """
    cols = [c for c in columns if c]
    if not cols:
        return data
    frame = data.copy()
    for col in cols:
        f = factors[col]
        frame[col] = pd.Categorical(f.values(frame), categories=f.level_order(frame))
    return frame


def cr_view_figure(
    layout: str,
    result: CumIncResult,
    spec: FigureSpec,
    counts: Callable[[np.ndarray], CauseCounts],
    *,
    cause: object | None = None,
    group: str | None = None,
    km: KMResult | None = None,
    legend_label: str | None = None,
    color_levels: Sequence[str] | None = None,
    data_unit: str = "months",
    filters: str | None = None,
    width: float | None = None,
) -> go.Figure:
    """The ``layout`` figure ("by-cause": the CIF of ``cause`` per group; "stacked": every
    cause of ``group`` stacked; "km-vs-cif": 1 − KM (``km``) against the CIF of ``cause``)."""
    spec = replace(spec, kind="cif")
    cause = result.codes.cause if cause is None else cause
    ticks_cause = cause if cause in result.causes else result.causes[0]
    table = None
    if spec.risk_table != "none":
        table = counts(cif_ticks(result, ticks_cause, spec, data_unit=data_unit))
    levels = list(color_levels) if color_levels else None
    if layout == "by-cause":
        return cif_spec_figure(
            result, cause, spec, counts=table, levels=levels, default_legend_title=legend_label,
            data_unit=data_unit, filters=filters, width=width,
        )  # fmt: skip
    if layout == "stacked":
        g = result.groups[0] if group is None else str(group)
        if g not in result.groups:
            raise InputError(f"Group {g!r} has no patients; groups: {list(result.groups)!r}.")
        return stacked_spec_figure(
            stacked_cif(result, g), spec, counts=table, data_unit=data_unit, filters=filters,
            width=width,
        )  # fmt: skip
    if layout == "km-vs-cif":
        if km is None:
            raise InputError("The 1 − KM vs CIF figure needs the cause-specific Kaplan-Meier.")
        return km_vs_cif_spec_figure(
            result, km, cause, spec, counts=table, levels=levels,
            default_legend_title=legend_label, data_unit=data_unit, filters=filters, width=width,
        )  # fmt: skip
    raise InputError(f"Figure layout {layout!r} is not one of {list(LAYOUTS)!r}.")
