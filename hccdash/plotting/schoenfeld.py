"""Scaled Schoenfeld residuals of one Cox term against transformed time, with a smooth.

The lowess smooth is drawn from residuals computed by :func:`hccdash.cox.cox_zph` (R's
``plot(cox.zph(fit))`` draws a spline instead; the smooth is a display aid, not a statistic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from hccdash.plotting.common import MAX_SCATTER_POINTS, esc, format_p, set_layout
from hccdash.plotting.layout import (
    LINE,
    Frame,
    axis_style,
    base_layout,
    caption_block,
    fit_ylabel,
    legend_dict,
    legend_layout,
    text_width,
    title_block,
)
from hccdash.plotting.spec import FigureSpec
from hccdash.style import GREYSCALE, PALETTE, size_preset

if TYPE_CHECKING:
    from hccdash.cox import CoxResult, PHTest


def _ph_terms(ph: PHTest) -> tuple[str, ...]:
    for attr in ("terms", "term_names", "names"):
        value = getattr(ph, attr, None)
        if value is not None:
            return tuple(str(v) for v in value)
    return tuple(str(r.term) for r in ph.rows if str(r.term) != "GLOBAL")


def schoenfeld_figure(
    ph: PHTest,
    term: str,
    spec: FigureSpec | None = None,
    *,
    coef: float | None = None,
    cox: CoxResult | None = None,
    frac: float = 2 / 3,
    default_title: str | None = None,
    term_label: str | None = None,
    caption: str | None = None,
    width: float | None = None,
    title: str | None = None,
    style: str | None = None,
) -> go.Figure:
    """Scaled Schoenfeld residuals of ``term`` with a lowess smooth, zero and beta lines.

    A flat smooth at the coefficient means proportional hazards hold for that term.

    Parameters
    ----------
    ph : PHTest
        From :func:`hccdash.cox.cox_zph` (R ``cox.zph``).
    term : str
        One of the PH test's terms.
    spec : FigureSpec, optional
        ``kind="schoenfeld"``: title, axis labels, legend title, palette, caption, preset.
    coef, cox
        The term's coefficient (drawn dotted), given or read from the fitted model.
    frac : float
        Lowess span (statsmodels ``frac``).
    term_label : str, optional
        Display label of the term (``Factor.label``) for the y axis.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    spec = spec or FigureSpec(kind="schoenfeld")
    if style == "slide":
        spec = spec.with_preset("slide-1920")
    if title is not None:
        default_title = title
    s = size_preset(spec.preset)
    terms = list(_ph_terms(ph))
    if term not in terms:
        raise ValueError(f"term {term!r} is not one of {terms!r}")
    j = terms.index(term)
    x = np.asarray(ph.time, dtype=float)
    res = np.asarray(ph.residuals, dtype=float)
    y = res[:, j] if res.ndim == 2 else res
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    notes = []
    if len(x) > MAX_SCATTER_POINTS:
        rng = np.random.default_rng(0)
        pick = np.sort(rng.choice(len(x), MAX_SCATTER_POINTS, replace=False))
        notes.append(
            f"{MAX_SCATTER_POINTS:,} of {len(x):,} residuals shown (random subset, seed 0)."
        )
        x, y = x[pick], y[pick]
    beta = coef
    if beta is None and cox is not None:
        beta = next((t.coef for t in cox.terms if t.term == term), None)
    p_text = None
    for r in getattr(ph, "rows", ()):
        if getattr(r, "term", None) == term:
            p_text = f"PH test {format_p(r.p_value)}"
            break

    title_text = default_title if spec.title is None else spec.title
    xlabel = "Time (Kaplan-Meier transformed)" if spec.xlabel is None else spec.xlabel
    ylabel = f"β(t) for {term_label or term}" if spec.ylabel is None else spec.ylabel
    legend_title = spec.legend_title or ""
    names = ["scaled Schoenfeld residual", f"lowess (frac {frac:.2f})"]
    grey = spec.palette == "greyscale"
    c_points = spec.color_override("residual") or (GREYSCALE[2] if grey else PALETTE[0])
    c_smooth = spec.color_override("smooth") or (GREYSCALE[0] if grey else PALETTE[1])
    cap_parts = ([caption] if spec.caption and caption else []) + notes

    probe = Frame.start(s, width)
    W = probe.width
    gap = 0.45 * s.font_size
    ytick_w = max(
        text_width(f"{v:.1f}", s.font_size)
        for v in (float(np.min(y, initial=0)), float(np.max(y, initial=0)), -10.0)
    )
    axis_left = probe.pad + s.font_size * LINE + gap + ytick_w + gap + 0.35 * s.font_size
    axis_right = W - probe.pad - text_width("0.00", s.font_size) / 2
    height = None
    for _ in range(2):
        fr = Frame.start(s, width, height)
        title_d = title_block(fr, title_text or "", s, fr.pad)
        leg = legend_layout(names, legend_title, s.font_size, W - 2 * fr.pad)
        band = fr.take_top("legend", leg.height)
        legend_d = legend_dict(fr, band, fr.pad, leg, legend_title, s)
        stats_band = (
            fr.take_top("stats", s.font_size * LINE + 0.3 * s.font_size) if p_text else None
        )
        fr.take_top("plot-top-pad", 0.6 * s.font_size)
        cap_d = caption_block(fr, cap_parts, s, fr.pad)
        ticklen = round(0.35 * s.font_size)
        fr.take_bottom("xaxis", ticklen + 2 * s.font_size * LINE + 2 * gap)
        need = text_width(ylabel, s.font_size) + s.font_size
        if fr.deficit(need) <= 0:
            break
        height = fr.height + fr.deficit(need)
    fr.bands["plot"] = (fr.top, fr.bottom)

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={"color": c_points, "size": max(4, s.marker_size - 3), "opacity": 0.6},
            name=names[0],
            hovertemplate="time %{x:.3f}<br>residual %{y:.3f}<extra></extra>",
        )
    )
    if len(x) >= 3:
        sm = lowess(y, x, frac=frac, return_sorted=True)
        fig.add_trace(
            go.Scatter(
                x=sm[:, 0],
                y=sm[:, 1],
                mode="lines",
                line={"color": c_smooth, "width": s.line_width},
                name=names[1],
            )
        )
    fig.add_hline(y=0.0, line={"color": "#777777", "dash": "dash", "width": 1})
    if beta is not None and np.isfinite(beta):
        fig.add_hline(y=float(beta), line={"color": "black", "dash": "dot", "width": 1.5})
    annotations = []
    if p_text and stats_band is not None:
        annotations.append(
            {
                "text": esc(p_text),
                "xref": "paper",
                "yref": "paper",
                "x": fr.fx(axis_right),
                "y": fr.fy(stats_band[0]),
                "xanchor": "right",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": s.font_size},
            }
        )
    if cap_d:
        annotations.append(cap_d)
    ax = axis_style(s, s.key == "screen")
    layout = base_layout(fr, s)
    layout.update(
        xaxis={
            **ax,
            "domain": [fr.fx(axis_left), fr.fx(axis_right)],
            "nticks": max(3, int((axis_right - axis_left) // (5 * s.font_size))),
            "title": {"text": esc(xlabel), "standoff": gap, "font": {"size": s.font_size}},
        },
        yaxis={
            **ax,
            "domain": [fr.fy(fr.bottom), fr.fy(fr.top)],
            "nticks": 6,
            "tickformat": ".1f",
            "title": {
                "text": esc(fit_ylabel(ylabel, s, fr.plot_px)),
                "standoff": gap,
                "font": {"size": s.font_size},
            },
        },
        legend=legend_d,
        showlegend=True,
        annotations=annotations,
    )
    if title_d:
        layout["annotations"] = [title_d, *layout["annotations"]]
    set_layout(fig, layout)
    fig.layout.meta = {"bands": {k: [round(a, 1), round(b, 1)] for k, (a, b) in fr.bands.items()}}
    return fig
