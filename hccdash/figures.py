"""Plotly figures built from result dataclasses: the stable import path.

The figures live in :mod:`hccdash.plotting` by kind (``km``, ``forest``, ``schoenfeld``,
``response``), laid out by :mod:`hccdash.plotting.layout` for a size preset and driven by one
:class:`hccdash.plotting.spec.FigureSpec`. This module re-exports them so that
``from hccdash.figures import km_figure, hr_text, format_p`` keeps working, and accepts the
keywords of the figures before the specification existed (``show_ci=``, ``style=`` ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from hccdash.plotting import km as _km
from hccdash.plotting.common import (
    CONF_TYPE_NAMES,
    MAX_CENSOR_MARKS,
    MAX_SCATTER_POINTS,
    STEP_TOLERANCE,
    TEST_NAMES,
    default_risk_times,
    esc,
    format_p,
    hr_block,
    hr_lines,
    hr_text,
    nice_step,
    rgba,
    thin_indices,
)
from hccdash.plotting.forest import forest_figure, log_ticks
from hccdash.plotting.km import km_caption, km_ticks, level_style
from hccdash.plotting.response import RECIST_CATEGORIES, response_figure
from hccdash.plotting.schoenfeld import schoenfeld_figure
from hccdash.plotting.spec import FigureSpec

if TYPE_CHECKING:
    from hccdash.compare import SurvdiffResult
    from hccdash.nonparametric import KMResult, MedianTable, RiskTable

__all__ = [
    "CONF_TYPE_NAMES",
    "MAX_CENSOR_MARKS",
    "MAX_SCATTER_POINTS",
    "RECIST_CATEGORIES",
    "STEP_TOLERANCE",
    "TEST_NAMES",
    "FigureSpec",
    "default_risk_times",
    "esc",
    "forest_figure",
    "format_p",
    "hr_block",
    "hr_lines",
    "hr_text",
    "km_caption",
    "km_figure",
    "km_ticks",
    "level_style",
    "log_ticks",
    "nice_step",
    "response_figure",
    "rgba",
    "schoenfeld_figure",
    "thin_indices",
]

_RISK_ROWS = {(): "none", ("at risk",): "at-risk"}


def km_figure(
    km: KMResult,
    spec: FigureSpec | None = None,
    *,
    risk: RiskTable | None = None,
    test: SurvdiffResult | None = None,
    hr: Sequence[str] | str | None = None,
    medians: MedianTable | None = None,
    caption: str | None = None,
    levels: Sequence[object] | None = None,
    # keywords of the figure before FigureSpec, mapped onto a spec
    hr_text: str | None = None,
    title: str | None = None,
    style: str | None = None,
    show_ci: bool | None = None,
    show_censor: bool | None = None,
    show_median: bool | None = None,
    time_unit: str | None = None,
    horizon: float | None = None,
    risk_rows: Sequence[str] | None = None,
    ylabel: str | None = None,
    risk_times: Sequence[float] | None = None,
    **kwargs,
) -> go.Figure:
    """Kaplan-Meier figure (see :func:`hccdash.plotting.km.km_figure`).

    The legacy keywords map onto the spec: ``style="slide"`` is the 1920x1080 preset,
    ``title`` the default title, ``show_ci`` CI bands on/off. ``risk_times`` is ignored: the
    figure never computes statistics, pass ``risk=risk_table(km, km_ticks(km, spec))``.
    """
    spec = spec or FigureSpec()
    changes: dict[str, object] = {}
    if style == "slide":
        changes["preset"] = "slide-1920"
    if show_ci is not None:
        changes["ci"] = "on" if show_ci else "off"
    if show_censor is not None and not show_censor:
        changes["censor"] = "none"
    if show_median is not None:
        changes["median_lines"] = bool(show_median)
    if time_unit is not None:
        changes["time_unit"] = time_unit
    if horizon:
        changes["x_max"] = float(horizon)
    if risk_rows is not None:
        changes["risk_table"] = _RISK_ROWS.get(tuple(risk_rows), "kmunicate")
    if ylabel is not None:
        changes["ylabel"] = ylabel
    if changes:
        spec = replace(spec, **changes)
    if title is not None:
        kwargs.setdefault("default_title", title)
    return _km.km_figure(
        km,
        spec,
        risk=risk,
        test=test,
        hr=hr if hr is not None else hr_text,
        medians=medians,
        caption=caption,
        levels=levels,
        **kwargs,
    )
