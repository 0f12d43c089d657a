"""Figures of competing risks: CIF panels (by cause or stacked) and 1 - KM vs CIF.

Builders take computed results (:class:`~hccdash.competing.cuminc.CumIncResult`, a
:class:`~hccdash.nonparametric.KMResult`) and return plotly Figures; they compute nothing.
Colours follow :func:`hccdash.style.color_for` (a group keeps its colour on every page).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hccdash.competing.cuminc import CIFCurve, CumIncResult
from hccdash.style import PALETTE, color_for, style_spec, template

__all__ = ["cif_figure", "km_vs_cif_figure", "stacked_figure"]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _group_color(curve: CIFCurve, result: CumIncResult, levels: Sequence[object] | None) -> str:
    if len(result.groups) == 1:
        return color_for(None)
    return color_for(curve.group, levels or result.groups)


def _step(curve: CIFCurve, arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return curve.time, arr


_LEGEND_BELOW = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.22, "yanchor": "top"}


def _layout(fig: go.Figure, style: str, title: str | None, xlabel: str, ylabel: str) -> None:
    s = style_spec(style)
    # legend under the axes: above them it collides with the panel titles
    fig.update_layout(template=template(style), title=title or None, legend=_LEGEND_BELOW)
    fig.update_xaxes(title_text=xlabel, rangemode="tozero", row=1)
    fig.update_yaxes(range=[0, 1.0], tickformat=".0%", row=1)
    fig.update_yaxes(title_text=ylabel, row=1, col=1)
    fig.update_annotations(font_size=s.font_size)


def cif_figure(
    result: CumIncResult,
    *,
    causes: Sequence[object] | None = None,
    show_ci: bool = True,
    time_unit: str = "months",
    title: str | None = None,
    style: str = "screen",
    levels: Sequence[object] | None = None,
    ymax: float | None = None,
    risk: pd.DataFrame | None = None,
) -> go.Figure:
    """Side-by-side panels, one per cause, with one CIF curve per group (step, CI band).

    Parameters
    ----------
    result : CumIncResult
        From :func:`hccdash.competing.cuminc`.
    causes : sequence, optional
        Causes to draw, in panel order (default every cause).
    show_ci : bool
        Pointwise CI bands (the result's transform and level).
    time_unit, title, style, levels
        Axis label unit, title, "screen"/"slide", full level order for colours.
    ymax : float, optional
        Upper end of the y axis (default 1).
    risk : pandas.DataFrame, optional
        From :func:`hccdash.competing.risk_table`: drawn under the panels as a table (per
        group: at risk, cumulative events per cause), its columns under the x ticks.
    """
    causes = list(result.causes if causes is None else causes)
    names = [result.codes.name(c) for c in causes]
    k = max(len(causes), 1)
    if risk is None:
        fig = make_subplots(rows=1, cols=k, subplot_titles=names, shared_yaxes=True)
    else:
        n_rows = risk["group"].nunique() * 2
        fig = make_subplots(
            rows=2, cols=k, subplot_titles=names, shared_yaxes=False,
            row_heights=[0.7, 0.3], vertical_spacing=0.2,
        )  # fmt: skip
        # room for the table on screen (exports set their own size)
        fig.update_layout(height=480 + 26 * n_rows)
    s = style_spec(style)
    for j, cause in enumerate(causes, start=1):
        for curve in (c for c in result.curves if c.cause == cause):
            color = _group_color(curve, result, levels)
            label = "All patients" if len(result.groups) == 1 else str(curve.group)
            if show_ci:
                fig.add_trace(
                    go.Scatter(
                        x=curve.time, y=curve.upper, mode="lines", line_shape="hv",
                        line={"width": 0}, hoverinfo="skip", showlegend=False,
                        legendgroup=label,
                    ),
                    row=1, col=j,
                )  # fmt: skip
                fig.add_trace(
                    go.Scatter(
                        x=curve.time, y=curve.lower, mode="lines", line_shape="hv",
                        line={"width": 0}, fill="tonexty", fillcolor=_rgba(color, 0.15),
                        hoverinfo="skip", showlegend=False, legendgroup=label,
                    ),
                    row=1, col=j,
                )  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=curve.time, y=curve.est, mode="lines", line_shape="hv",
                    line={"color": color, "width": s.line_width}, name=label,
                    legendgroup=label, showlegend=j == 1,
                    hovertemplate=f"{label}<br>t=%{{x:.1f}}<br>CIF=%{{y:.3f}}<extra></extra>",
                ),
                row=1, col=j,
            )  # fmt: skip
    _layout(fig, style, title, f"Time ({time_unit})", "Cumulative incidence")
    if ymax is not None:
        fig.update_yaxes(range=[0, ymax], row=1)
    if risk is not None:
        _risk_rows(fig, risk, result, causes, levels, s.small_size)
        # the table sits under the panels: legend to the right
        fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0,
                                  "yanchor": "top"})  # fmt: skip
    return fig


def _risk_rows(
    fig: go.Figure,
    risk: pd.DataFrame,
    result: CumIncResult,
    causes: Sequence[object],
    levels: Sequence[object] | None,
    size: int,
) -> None:
    """Under each cause's panel: per group, the number at risk and the cumulative events of
    that cause, as text in columns under the panel's x ticks."""
    single = len(result.groups) == 1
    for j, cause in enumerate(causes, start=1):
        col = f"events: {result.codes.name(cause)}"
        labels: list[str] = []
        for group, sub in risk.groupby("group", sort=False):
            color = color_for(None) if single else color_for(group, levels or result.groups)
            for c, what in (("n_risk", "at risk"), (col, "events")):
                if c not in sub:
                    continue
                label = what if single else f"{group} · {what}"
                labels.append(label)
                fig.add_trace(
                    go.Scatter(
                        x=sub["time"], y=[label] * len(sub), mode="text",
                        text=[str(int(v)) for v in sub[c]],
                        textfont={"color": color, "size": size},
                        showlegend=False, hoverinfo="skip", cliponaxis=False,
                    ),
                    row=2, col=j,
                )  # fmt: skip
        fig.update_yaxes(row=2, col=j, autorange="reversed", categoryorder="array",
                         categoryarray=labels, showgrid=False, showline=False, ticks="",
                         tickformat="", title_text="", tickfont={"size": size},
                         showticklabels=j == 1, ticksuffix="    ")  # fmt: skip
        tmax = max(float(c.time[-1]) for c in result.curves)
        span = [-0.03 * tmax, tmax * 1.03]  # the same range above and below: aligned columns
        fig.update_xaxes(row=2, col=j, showgrid=False, showline=False, ticks="",
                         showticklabels=False, title_text="", range=span)  # fmt: skip
        fig.update_xaxes(row=1, col=j, range=span, tickvals=sorted(risk["time"].unique()))


def stacked_figure(
    result: CumIncResult,
    *,
    time_unit: str = "months",
    title: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """One panel per group: the CIFs of every cause stacked (their sum is 1 - all-cause KM),
    the white space above them the probability of being event-free."""
    groups = list(result.groups)
    titles = ["All patients"] if len(groups) == 1 else [str(g) for g in groups]
    fig = make_subplots(rows=1, cols=len(groups), subplot_titles=titles, shared_yaxes=True)
    s = style_spec(style)
    for j, group in enumerate(groups, start=1):
        curves = [c for c in result.curves if c.group == group]
        grid = np.unique(np.concatenate([c.time for c in curves]))
        total = np.zeros(grid.size)
        for k, curve in enumerate(curves):
            idx = np.searchsorted(curve.time, grid, side="right") - 1
            total = total + curve.est[np.clip(idx, 0, None)]
            color = PALETTE[k % len(PALETTE)]
            fig.add_trace(
                go.Scatter(
                    x=grid, y=total.copy(), mode="lines", line_shape="hv",
                    line={"color": color, "width": s.line_width / 2},
                    fill="tozeroy" if k == 0 else "tonexty", fillcolor=_rgba(color, 0.55),
                    name=curve.cause_name, legendgroup=curve.cause_name, showlegend=j == 1,
                    hovertemplate=f"{curve.cause_name} (stacked)<br>t=%{{x:.1f}}"
                    "<br>%{y:.3f}<extra></extra>",
                ),
                row=1, col=j,
            )  # fmt: skip
    _layout(fig, style, title, f"Time ({time_unit})", "Cumulative incidence (stacked)")
    return fig


def km_vs_cif_figure(
    result: CumIncResult,
    km_result: object,
    cause: object,
    *,
    time_unit: str = "months",
    title: str | None = None,
    style: str = "screen",
    levels: Sequence[object] | None = None,
) -> go.Figure:
    """1 - Kaplan-Meier (competing events censored; dashed) against the CIF (solid) of one
    cause, per group: the gap is the bias of 1 - KM when competing events occur.

    ``km_result`` is a :class:`hccdash.nonparametric.KMResult` of the cause-specific event
    with the same groups.
    """
    s = style_spec(style)
    fig = go.Figure()
    name = result.codes.name(cause)
    kms = {str(c.group) if c.group is not None else "all": c for c in km_result.curves}  # type: ignore[attr-defined]
    for curve in (c for c in result.curves if c.cause == cause):
        color = _group_color(curve, result, levels)
        label = "" if len(result.groups) == 1 else f"{curve.group}: "
        km = kms.get(str(curve.group)) or (next(iter(kms.values())) if len(kms) == 1 else None)
        fig.add_trace(
            go.Scatter(
                x=curve.time, y=curve.est, mode="lines", line_shape="hv",
                line={"color": color, "width": s.line_width}, name=f"{label}CIF (Aalen-Johansen)",
            )
        )  # fmt: skip
        if km is not None:
            t = np.concatenate(([0.0], np.asarray(km.time, dtype=float)))
            y = np.concatenate(([0.0], 1 - np.asarray(km.surv, dtype=float)))
            fig.add_trace(
                go.Scatter(
                    x=t, y=y, mode="lines", line_shape="hv",
                    line={"color": color, "width": s.line_width, "dash": "dash"},
                    name=f"{label}1 − KM (competing events censored)",
                )
            )  # fmt: skip
    fig.update_layout(
        template=template(style), title=title or f"{name}: 1 − KM vs CIF", legend=_LEGEND_BELOW
    )
    fig.update_xaxes(title_text=f"Time ({time_unit})", rangemode="tozero")
    fig.update_yaxes(title_text=f"Probability of {name}", range=[0, 1.0], tickformat=".0%")
    return fig
