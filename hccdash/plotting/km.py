"""Kaplan-Meier (and cumulative-incidence style) step curves with a KMunicate risk table.

The figure draws computed results only: curves from :func:`hccdash.nonparametric.kaplan_meier`,
numbers at risk from :func:`hccdash.nonparametric.risk_table` (computed by the caller at
:func:`km_ticks`), medians from :func:`hccdash.nonparametric.median_table`, the test from
:func:`hccdash.compare.survdiff` and the HR lines from :func:`hccdash.plotting.common.hr_lines`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from hccdash.plotting.common import (
    MAX_CENSOR_MARKS,
    TEST_NAMES,
    esc,
    fmt_time,
    format_p,
    rgba,
    set_layout,
    thin_indices,
)
from hccdash.plotting.km_parts import (
    FigureTable,
    _band,
    _cell_text,
    _horizon,
    _relabel,
    _risk_rows,
    curve_arrays,
    km_caption,
    km_ticks,
    level_style,
    time_factor,
)
from hccdash.plotting.layout import (
    LINE,
    Frame,
    axis_style,
    base_layout,
    caption_block,
    fit_attempts,
    fit_label,
    fit_ylabel,
    legend_dict,
    legend_layout,
    text_width,
    title_block,
    wrap_to_width,
)
from hccdash.plotting.spec import FigureSpec
from hccdash.style import (
    SizePreset,
    size_preset,
)

if TYPE_CHECKING:
    from hccdash.compare import SurvdiffResult
    from hccdash.nonparametric import KMResult, MedianTable, RiskTable

_SYMBOLS = {"+": "cross-thin-open", "|": "line-ns-open"}
__all__ = ["curve_arrays", "km_caption", "km_figure", "km_ticks", "level_style", "time_factor"]


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
    default_title: str | None = None,
    default_legend_title: str | None = None,
    default_ylabel: str = "Survival",
    data_unit: str = "months",
    width: float | None = None,
    notes: Sequence[str] = (),
    table: FigureTable | None = None,
) -> go.Figure:
    """Kaplan-Meier curves laid out for ``spec.preset``, with a KMunicate risk table.

    Parameters
    ----------
    km : KMResult
        From :func:`hccdash.nonparametric.kaplan_meier` (R ``survfit``).
    spec : FigureSpec, optional
        Every display choice; default ``FigureSpec()``.
    risk : RiskTable, optional
        From :func:`hccdash.nonparametric.risk_table` at :func:`km_ticks`; its times are the
        x ticks and the table's columns. Without it the table is not drawn.
    test : SurvdiffResult, optional
        Test name and p value in the annotation (``spec.show_test``).
    hr : str or sequence of str, optional
        HR lines (:func:`hccdash.plotting.common.hr_lines`), one per level vs the reference.
    medians : MedianTable, optional
        For ``spec.median_lines`` (R's median rule, from ``median_table``).
    caption : str, optional
        The methods caption (:func:`km_caption`), drawn when ``spec.caption``.
    levels : sequence, optional
        The factor's full level order: colours stay fixed when levels are filtered out.
    default_title, default_legend_title, default_ylabel : str, optional
        Texts used where the spec says ``None`` (the endpoint, the variable's label).
    data_unit : str
        Unit of the times in ``km`` (the endpoint's unit).
    width : float, optional
        Canvas width for the "screen" preset (the page column's width).
    notes : sequence of str
        Extra lines for the caption band (always drawn).
    table : FigureTable, optional
        Rows drawn under the plot in place of ``risk``'s (a figure with its own counts).

    Returns
    -------
    plotly.graph_objects.Figure
        Sized ``layout.width`` x ``layout.height`` CSS pixels; export it at that size.
    """
    spec = spec or FigureSpec()
    base = size_preset(spec.preset)
    fig = fr = None
    attempts = fit_attempts(base)
    for i, (s, omit) in enumerate(attempts):
        fig, fr = _km_build(
            km, spec, s, omit, final=i == len(attempts) - 1, risk=risk, test=test, hr=hr,
            medians=medians, caption=caption,
            levels=levels, default_title=default_title, default_legend_title=default_legend_title,
            default_ylabel=default_ylabel, data_unit=data_unit, width=width, notes=notes,
            table=table,
        )  # fmt: skip
        if not base.fixed_height or fr.plot_px >= base.min_plot:
            break
    return fig


def _km_build(
    km: KMResult,
    spec: FigureSpec,
    s: SizePreset,
    omit: tuple[str, ...],
    *,
    final: bool = True,
    risk: RiskTable | None,
    test: SurvdiffResult | None,
    hr: Sequence[str] | str | None,
    medians: MedianTable | None,
    caption: str | None,
    levels: Sequence[object] | None,
    default_title: str | None,
    default_legend_title: str | None,
    default_ylabel: str,
    data_unit: str,
    width: float | None,
    notes: Sequence[str],
    table: FigureTable | None = None,
) -> tuple[go.Figure, Frame]:
    """One layout attempt at text sizes ``s``, leaving out the parts named in ``omit``."""
    unit = spec.time_unit or data_unit
    div = time_factor(unit, data_unit)
    curves = list(km.curves)
    grouped = km.group is not None and any(c.group is not None for c in curves)
    level_order = list(levels) if levels is not None else [c.group for c in curves]
    horizon = _horizon(km, spec, div)
    kmun = spec.risk_table == "kmunicate"
    if table is None and risk is not None:
        table = _risk_rows(risk, km, spec, level_order, grouped, kmun)
    if table is not None:
        ticks = np.asarray(table.times, dtype=float) / div
    else:
        ticks = km_ticks(km, spec, data_unit=data_unit, width=width) / div
    ticks = ticks[(ticks >= 0) & (ticks <= horizon * (1 + 1e-9))]
    show_table = table is not None and spec.risk_table != "none" and "risk" not in omit
    n_rows = len(table.rows) if table is not None else 0
    cell_proto = table.widest if table is not None else _cell_text(km.n, kmun)
    is_cif = spec.kind == "cif"

    title = default_title if spec.title is None else spec.title
    legend_title = (default_legend_title if spec.legend_title is None else spec.legend_title) or ""
    xlabel = f"Time ({unit})" if spec.xlabel is None else spec.xlabel
    if spec.ylabel is None:
        ylabel = f"{default_ylabel} (%)" if spec.y_percent else f"{default_ylabel} probability"
    else:
        ylabel = spec.ylabel
    labels = [spec.label_for(c.group) if grouped else "All patients" for c in curves]
    stats: list[str] = []
    if test is not None and spec.show_test:
        stats.append(f"{TEST_NAMES.get(test.method, test.method)} {format_p(test.p_value)}")
    if hr and spec.show_hr and "hr" not in omit:
        hr_list = [hr] if isinstance(hr, str) else list(hr)
        stats.extend(hr_list if isinstance(hr, tuple) else [_relabel(x, spec) for x in hr_list])
    if spec.annotation == "none":
        stats = []
    thin_notes: list[str] = []
    if spec.censor != "none":
        for curve, name in zip(curves, labels, strict=True):
            t = np.asarray(curve.time, dtype=float) / div
            n_cens = int(np.count_nonzero((np.asarray(curve.n_censor) > 0) & (t <= horizon)))
            if n_cens > MAX_CENSOR_MARKS:
                thin_notes.append(
                    f"{name}: {MAX_CENSOR_MARKS} of {n_cens:,} censoring times marked "
                    "(evenly spaced)."
                )
    cap_parts = ([caption] if spec.caption and caption and "caption" not in omit else []) + [
        *notes,
        *thin_notes,
    ]

    # ---- horizontal layout (px) -------------------------------------------------------
    pad_probe = Frame.start(s, width)
    W = pad_probe.width
    head = wrap_to_width(table.header, s.small_size, W - 2 * pad_probe.pad) if table else []
    nh = max(1, len(head))  # header lines of the table
    gap = 0.45 * s.font_size
    ytick_w = text_width("100%" if spec.y_percent else "1.00", s.font_size)
    ytitle_w = s.font_size * LINE if ylabel else 0.0
    axis_left = pad_probe.pad + ytitle_w + gap + ytick_w + gap + 0.35 * s.font_size
    row_labels: list[str] = []
    if show_table:
        label_room = 0.3 * W
        row_labels = [fit_label(r.label, s.small_size, label_room) for r in table.rows]
        widest = max(text_width(esc(r), s.small_size) for r in row_labels)
        axis_left = max(axis_left, pad_probe.pad + widest + 2 * gap)
    last_tick = fmt_time(ticks[-1]) if len(ticks) else "0"
    right_need = text_width(last_tick, s.font_size) / 2
    if show_table:
        right_need = max(right_need, text_width(cell_proto, s.small_size) / 2)
    axis_right = W - pad_probe.pad - right_need
    plot_w = axis_right - axis_left
    # Room at both ends of the time axis for half a risk-table cell (or 2% of the axis).
    cell_w = text_width(cell_proto, s.small_size) + 0.6 * s.small_size
    pad_px = max(0.02 * plot_w, cell_w / 2 + 0.2 * s.small_size) if show_table else 0.02 * plot_w
    x_pad = pad_px * horizon / max(plot_w - 2 * pad_px, 1.0)

    # Table columns must not collide: keep every k-th tick in the table when cells are wide.
    span = horizon + 2 * x_pad
    spacing = plot_w * (float(ticks[1] - ticks[0]) / span) if len(ticks) > 1 else plot_w
    every = max(1, math.ceil(cell_w / max(spacing, 1e-9)))

    # ---- vertical layout, grown until the plot gets its minimum height ----------------
    height = None
    for _ in range(2):
        fr = Frame.start(s, width, height)
        title_d = title_block(fr, title or "", s, fr.pad)
        legend_d = None
        if grouped:
            leg = legend_layout(labels, legend_title, s.font_size, W - 2 * fr.pad)
            band = fr.take_top("legend", leg.height)
            legend_d = legend_dict(fr, band, fr.pad, leg, legend_title, s)
        stats_lines: list[str] = []
        if stats and spec.annotation == "above":
            for line in stats:
                stats_lines.extend(wrap_to_width(line, s.font_size, axis_right - axis_left))
            stats_band = fr.take_top(
                "stats", len(stats_lines) * s.font_size * LINE + 0.3 * s.font_size
            )
        fr.take_top("plot-top-pad", 0.6 * s.font_size)
        cap_d = caption_block(fr, cap_parts, s, fr.pad)
        table_band = None
        if show_table:
            row_h = s.small_size * 1.55
            table_band = fr.take_bottom("risk", (n_rows + nh) * row_h + 0.3 * s.small_size)
        ticklen = round(0.35 * s.font_size)
        xaxis_px = ticklen + s.font_size * LINE + gap + (s.font_size * LINE if xlabel else 0)
        fr.take_bottom("xaxis", xaxis_px + gap)
        need = text_width(ylabel, s.font_size) + s.font_size
        if fr.deficit(need) <= 0:
            break
        height = fr.height + fr.deficit(need)
    if s.fixed_height and fr.plot_px < s.min_plot and not final:
        return None, fr  # the caller tries the next, more compact layout
    plot_band = (fr.top, max(fr.bottom, fr.top + 1.0))
    fr.bands["plot"] = plot_band

    fig = go.Figure()
    conf_pct = round(100 * km.conf_level)
    show_ci = spec.ci == "on" or (spec.ci == "auto" and len(curves) == 1)
    ymul = 100.0 if spec.y_percent else 1.0
    for curve, name in zip(curves, labels, strict=True):
        color, dash = level_style(spec, curve.group, level_order, grouped)
        arr = curve_arrays(curve, div, horizon)
        yv = 1.0 - arr["surv"] if is_cif else arr["surv"]
        keep = thin_indices(yv)
        legend = f"g{curve.group}"
        if show_ci:
            lo_key, up_key = ("upper", "lower") if is_cif else ("lower", "upper")
            for bound, fill in ((lo_key, None), (up_key, "tonexty")):
                bt, bv = _band(arr["time"], arr[bound])
                bv = 1.0 - bv if is_cif else bv
                bk = thin_indices(bv) if len(bv) else np.array([], dtype=np.int64)
                fig.add_trace(
                    go.Scatter(
                        x=bt[bk],
                        y=bv[bk] * ymul,
                        mode="lines",
                        line={"shape": "hv", "width": 0, "color": color},
                        fill=fill,
                        fillcolor=rgba(color if color.startswith("#") else "#000000", 0.15),
                        legendgroup=legend,
                        showlegend=False,
                        hoverinfo="skip",
                        name=f"{esc(name)} {bound} {conf_pct}% CI",
                    )
                )
        custom = np.column_stack([arr["lower"][keep], arr["upper"][keep], arr["n_risk"][keep]])
        fig.add_trace(
            go.Scatter(
                x=arr["time"][keep],
                y=yv[keep] * ymul,
                mode="lines",
                line={"shape": "hv", "width": s.line_width, "color": color, "dash": dash},
                name=esc(name),
                legendgroup=legend,
                showlegend=grouped,
                customdata=custom,
                hovertemplate=(
                    f"Time %{{x:.2f}} {unit}<br>{'F(t)' if is_cif else 'S(t)'} %{{y:.3f}} "
                    f"({conf_pct}% CI %{{customdata[0]:.3f}}–%{{customdata[1]:.3f}})"
                    "<br>At risk %{customdata[2]:.0f}<extra>%{fullData.name}</extra>"
                ),
            )
        )
        if spec.censor != "none":
            cens = np.flatnonzero(arr["n_censor"] > 0)
            if len(cens) > MAX_CENSOR_MARKS:
                cens = cens[np.linspace(0, len(cens) - 1, MAX_CENSOR_MARKS).round().astype(int)]
            fig.add_trace(
                go.Scatter(
                    x=arr["time"][cens],
                    y=yv[cens] * ymul,
                    mode="markers",
                    marker={
                        "symbol": _SYMBOLS[spec.censor],
                        "size": s.marker_size,
                        "color": color,
                        "line": {"width": max(1.0, s.line_width * 0.6), "color": color},
                    },
                    name=f"{esc(name)} censored",
                    legendgroup=legend,
                    showlegend=False,
                    cliponaxis=False,
                    hovertemplate=f"Censored at %{{x:.2f}} {unit}<extra>{esc(name)}</extra>",
                )
            )
        if spec.median_lines and medians is not None:
            med = next((m for m in medians.rows if m.group == curve.group), None)
            if med is not None and med.median is not None and med.median / div <= horizon:
                m = med.median / div
                line = {"color": color, "width": max(1.0, s.line_width * 0.5), "dash": "dash"}
                fig.add_shape(type="line", x0=0, x1=m, y0=0.5 * ymul, y1=0.5 * ymul, line=line)
                fig.add_shape(type="line", x0=m, x1=m, y0=0, y1=0.5 * ymul, line=line)

    annotations: list[dict] = []
    if show_table and table_band is not None:
        row_h = s.small_size * 1.55
        t0 = table_band[0]
        annotations.append(
            {
                "text": "<br>".join(esc(x) for x in head),
                "xref": "paper",
                "yref": "paper",
                "x": fr.fx(fr.pad),
                "y": fr.fy(t0 + 0.5 * nh * row_h),
                "xanchor": "left",
                "yanchor": "middle",
                "align": "left",
                "showarrow": False,
                "font": {"size": s.small_size},
            }
        )
        rt_times = np.asarray(table.times, dtype=float) / div
        inside = [j for j, t in enumerate(rt_times) if 0 <= t <= horizon * (1 + 1e-9)]
        cols = inside[::every]
        for gi, (row, rlab) in enumerate(zip(table.rows, row_labels, strict=True)):
            annotations.append(
                {
                    "text": esc(rlab),
                    "xref": "paper",
                    "yref": "paper",
                    "x": fr.fx(axis_left - gap),
                    "y": fr.fy(t0 + (gi + nh + 0.5) * row_h),
                    "xanchor": "right",
                    "yanchor": "middle",
                    "showarrow": False,
                    "font": {"size": s.small_size, "color": row.color},
                }
            )
            fig.add_trace(
                go.Scatter(
                    x=rt_times[cols],
                    y=np.full(len(cols), -float(gi)),
                    mode="text",
                    text=[row.values[j] for j in cols],
                    textfont={"color": row.color, "size": s.small_size},
                    xaxis="x2",
                    yaxis="y2",
                    showlegend=False,
                    hoverinfo="skip",
                    cliponaxis=False,
                    name=f"{esc(row.label)} at risk",
                )
            )
    if stats and spec.annotation == "above":
        annotations.append(
            {
                "text": "<br>".join(esc(x) for x in stats_lines),
                "xref": "paper",
                "yref": "paper",
                "x": fr.fx(axis_right),
                "y": fr.fy(stats_band[0]),
                "xanchor": "right",
                "yanchor": "top",
                "align": "right",
                "showarrow": False,
                "font": {"size": s.font_size},
            }
        )
    elif stats:
        inside_w = 0.6 * plot_w
        lines = [ln for st_ in stats for ln in wrap_to_width(st_, s.font_size, inside_w)]
        top_right = spec.annotation == "top-right"
        annotations.append(
            {
                "text": "<br>".join(esc(x) for x in lines),
                "xref": "x domain",
                "yref": "y domain",
                "x": 0.98 if top_right else 0.02,
                "y": 0.98 if top_right else 0.02,
                "xanchor": "right" if top_right else "left",
                "yanchor": "top" if top_right else "bottom",
                "align": "right" if top_right else "left",
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.8)",
                "font": {"size": s.font_size},
            }
        )
    if cap_d:
        annotations.append(cap_d)

    screen = s.key == "screen"
    ax = axis_style(s, screen)
    xdom = [fr.fx(axis_left), fr.fx(axis_right)]
    ydom = [fr.fy(plot_band[1]), fr.fy(plot_band[0])]
    yticks = [0, 0.25, 0.5, 0.75, 1.0]
    ytext = (
        [f"{round(100 * v)}%" for v in yticks]
        if spec.y_percent
        else ["0", "0.25", "0.50", "0.75", "1.00"]
    )
    layout = base_layout(fr, s)
    layout.update(
        xaxis={
            **ax,
            "domain": xdom,
            "anchor": "y",
            "range": [-x_pad, horizon + x_pad],
            "tickvals": list(ticks),
            "ticktext": [fmt_time(t) for t in ticks],
            "title": {"text": esc(xlabel), "standoff": gap, "font": {"size": s.font_size}},
        },
        yaxis={
            **ax,
            "domain": ydom,
            "range": [-0.02 * ymul, 1.03 * ymul],
            "tickvals": [v * ymul for v in yticks],
            "ticktext": ytext,
            "title": {
                "text": esc(fit_ylabel(ylabel, s, fr.plot_px)),
                "standoff": gap,
                "font": {"size": s.font_size},
            },
        },
        showlegend=grouped,
        hovermode="closest",
        annotations=annotations,
    )
    if legend_d:
        layout["legend"] = legend_d
    if title_d:
        layout["annotations"] = [title_d, *layout["annotations"]]
    if show_table and table_band is not None:
        row_h = s.small_size * 1.55
        r0, r1 = table_band[0] + nh * row_h, table_band[0] + (n_rows + nh) * row_h
        layout["xaxis2"] = {"matches": "x", "anchor": "y2", "visible": False, "domain": xdom}
        layout["yaxis2"] = {
            "domain": [fr.fy(r1), fr.fy(r0)],
            "range": [-n_rows + 0.5, 0.5],
            "visible": False,
            "fixedrange": True,
        }
    set_layout(fig, layout)
    fig.layout.meta = {
        "bands": {k: [round(a, 1), round(b, 1)] for k, (a, b) in fr.bands.items()},
        "omitted": list(omit),
        "text_scale": round(s.font_size / size_preset(spec.preset).font_size, 3),
    }
    return fig, fr
