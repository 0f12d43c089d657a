"""RECIST best-response bars (screen/slide styles; not yet on the figure specification)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from hccdash.plotting.common import esc, wrap_text
from hccdash.style import GRID_COLOR, color_for, style_spec, template

if TYPE_CHECKING:
    from hccdash.response import ResponseRates

RECIST_CATEGORIES = ("CR", "PR", "SD", "PD")


def response_figure(
    rates: ResponseRates,
    *,
    by_arm: bool = True,
    percent: bool = False,
    title: str | None = None,
    caption: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """Stacked bars of RECIST best response (CR/PR/SD/PD) per site, optionally per arm.

    Parameters
    ----------
    rates : ResponseRates
        From :func:`hccdash.response.response_rates`; its rows give the counts per site and
        group ("Overall" and each arm).
    by_arm : bool
        One bar per arm within each site (else only the "Overall" bar).
    percent : bool
        Bar heights as percent of evaluable patients instead of counts.
    title, caption : str, optional
    style : {"screen", "slide"}
    """
    s = style_spec(style)
    rows = [r for r in rates.rows if (r.group != "Overall") == by_arm] if rates.by else []
    if not rows:
        rows = [r for r in rates.rows if r.group == "Overall"] or list(rates.rows)
    sites = [esc(r.site) for r in rows]
    groups = [esc(r.group) for r in rows]
    x = [sites, groups] if len({r.group for r in rows}) > 1 else sites
    fig = go.Figure()
    for cat in RECIST_CATEGORIES:
        counts = np.array([getattr(r, cat.lower()) for r in rows], dtype=float)
        totals = np.array([r.n for r in rows], dtype=float)
        pct = np.divide(100 * counts, totals, out=np.zeros_like(counts), where=totals > 0)
        fig.add_trace(
            go.Bar(
                x=x,
                y=pct if percent else counts,
                name=cat,
                marker={"color": color_for(cat, RECIST_CATEGORIES)},
                text=[f"{int(c)}" if c else "" for c in counts],
                textposition="inside",
                customdata=np.column_stack([counts, pct, totals]),
                hovertemplate=(
                    f"{cat}: %{{customdata[0]:.0f}} of %{{customdata[2]:.0f}} "
                    "(%{customdata[1]:.0f}%)<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        template=template(style),
        barmode="stack",
        yaxis={"title": {"text": "Patients (%)" if percent else "Patients"}},
        xaxis={"title": {"text": "Site" + (" and arm" if isinstance(x[0], list) else "")}},
        legend={"traceorder": "normal"},
    )
    if title:
        fig.update_layout(title={"text": esc(title)})
    _add_caption(fig, caption, [], s)
    fig.update_yaxes(gridcolor=GRID_COLOR)
    return fig


def _add_caption(
    fig: go.Figure, caption: str | None, notes: list[str], s, *, axis_below: bool = True
) -> None:
    """Caption and thinning notes under the figure, wrapped, with the bottom margin grown.

    ``axis_below``: the bottom of the plot area carries x tick labels and an axis title, which
    the caption must clear (not so under a KM risk table).
    """
    parts = [p for p in [caption, *notes] if p]
    if not parts:
        return
    width = 110 if s.name == "screen" else 120
    text = "<br>".join(wrap_text(p, width) for p in parts)
    n_lines = text.count("<br>") + 1
    shift = int(s.font_size * 3.6 + 12) if axis_below else s.small_size
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.0,
        y=0.0,
        yshift=-shift,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": s.small_size, "color": "#333333"},
    )
    fig.update_layout(margin={"b": shift + 20 + int(n_lines * s.small_size * 1.45)})
