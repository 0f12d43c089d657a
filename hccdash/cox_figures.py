"""Figures of the extended Cox analyses: subgroup forest, adjusted curves, balance plot.

They take computed results (:mod:`hccdash.coxext`) and return plotly figures in the house
style (:mod:`hccdash.style`); no statistics here. Exported like every figure with
:func:`hccdash.export.figure_bytes` (16:9 slide preset by default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from hccdash.coxext.adjusted import AdjustedCurves, PredictedCurves, StrataCurves
from hccdash.coxext.subgroup import SubgroupResult
from hccdash.plotting.common import esc, format_p
from hccdash.plotting.common import rgba as _rgba
from hccdash.plotting.forest import log_ticks as _log_ticks
from hccdash.plotting.response import _add_caption
from hccdash.style import color_for, style_spec, template

__all__ = ["adjusted_curves_figure", "balance_figure", "subgroup_forest_figure"]


def _p_short(p: float) -> str:
    return format_p(p).removeprefix("p = ").replace("p < ", "<")


def subgroup_forest_figure(
    res: SubgroupResult,
    *,
    labels: Mapping[str, str] | None = None,
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    title: str | None = None,
    caption: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """Treatment HR per subgroup on a log axis, with n (events), HR (CI) and the
    interaction p per factor, the way oncology slides show it.

    Parameters
    ----------
    res : SubgroupResult
        From :func:`hccdash.coxext.subgroup.subgroup_hr`.
    labels : mapping, optional
        Display label per factor column (``cohort.factors()``).
    level_labels : mapping, optional
        Display label per level, per factor column.
    title, caption : str, optional
    style : {"screen", "slide"}
    """
    s = style_spec(style)
    labels = dict(labels or {})
    level_labels = {k: dict(v) for k, v in (level_labels or {}).items()}
    rows: list[dict] = []
    seen: set[str] = set()
    for r in res.rows:
        if r.factor != "Overall" and r.factor not in seen:
            seen.add(r.factor)
            it = res.interaction.get(r.factor)
            rows.append(
                {
                    "label": f"<b>{esc(labels.get(r.factor, r.factor))}</b>",
                    "kind": "header",
                    "pint": _p_short(it.p_value) if it is not None else "",
                }
            )
        name = (
            "All patients"
            if r.factor == "Overall"
            else level_labels.get(r.factor, {}).get(r.level, r.level)
        )
        lab = f"<b>{esc(name)}</b>" if r.factor == "Overall" else f"  {esc(name)}"
        rows.append({"label": lab, "kind": "row", "row": r, "pint": ""})
    n = len(rows)
    ys = np.arange(n, 0, -1, dtype=float)
    xs, yv, hi, lo, hover, sizes = [], [], [], [], [], []
    ncol, hrcol = [], []
    vals = [1.0]
    total = max((r["row"].n for r in rows if r["kind"] == "row"), default=1)
    for row, y in zip(rows, ys, strict=True):
        if row["kind"] == "header":
            ncol.append("")
            hrcol.append("")
            continue
        r = row["row"]
        ncol.append(f"{r.n} ({r.events})")
        ok = all(np.isfinite([r.hr, r.lower, r.upper])) and r.lower > 0
        if ok:
            xs.append(r.hr)
            yv.append(y)
            hi.append(r.upper - r.hr)
            lo.append(r.hr - r.lower)
            sizes.append(s.marker_size * (0.7 + 0.8 * math.sqrt(r.n / total)))
            hover.append(f"{row['label'].strip()}: HR {r.hr:.2f} ({r.lower:.2f}–{r.upper:.2f})")
            vals += [r.lower, r.upper]
            hrcol.append(f"{r.hr:.2f} ({r.lower:.2f}–{r.upper:.2f})")
        else:
            hrcol.append("not estimable")
    x_lo = max(min(min(vals), 0.5) / 1.3, 1e-3)
    x_hi = min(max(max(vals), 2.0) * 1.3, 1e3)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=yv,
            mode="markers",
            marker={"symbol": "square", "size": sizes, "color": "black"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": hi,
                "arrayminus": lo,
                "color": "black",
                "thickness": max(1.5, s.line_width * 0.7),
                "width": 0,
            },
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_vline(x=1.0, line={"color": "#777777", "width": 1, "dash": "dash"})
    ci = round(100 * res.conf_level)
    columns = (
        (1.03, "n (events)", ncol),
        (1.30, f"HR ({ci}% CI)", hrcol),
        (1.78, "p interaction", [r["pint"] for r in rows]),
    )
    for x, head, col in columns:
        fig.add_annotation(text=f"<b>{head}</b>", xref="x domain", yref="y", x=x, y=n + 0.9,
                           xanchor="left", showarrow=False)  # fmt: skip
        for y, txt in zip(ys, col, strict=True):
            if txt:
                fig.add_annotation(text=esc(txt), xref="x domain", yref="y", x=x, y=y,
                                   xanchor="left", showarrow=False)  # fmt: skip
    arms = res.comparison.split(" vs ")
    cap = (
        f"Hazard ratio of {esc(res.treatment)} {esc(arms[0])} vs {esc(arms[-1])} within each "
        "subgroup (Cox model); p interaction: likelihood-ratio test of treatment × factor. "
        "Subgroup results are exploratory."
    )
    _add_caption(fig, " ".join(p for p in (caption, cap) if p), [], s)
    ticks = _log_ticks(x_lo, x_hi)
    fig.update_layout(
        template=template(style),
        xaxis={
            "type": "log",
            "range": [math.log10(x_lo), math.log10(x_hi)],
            "tickvals": ticks,
            "ticktext": [f"{v:g}" for v in ticks],
            "domain": [0.0, 0.5],
            "title": {"text": f"Hazard ratio (log scale), ← favours {esc(arms[0])}"},
            "showgrid": False,
        },
        yaxis={
            "tickvals": ys,
            "ticktext": [r["label"] for r in rows],
            "range": [0.3, n + 1.5],
            "showline": False,
            "ticks": "",
            "showgrid": False,
            "automargin": True,
        },
        showlegend=False,
    )
    if title:
        fig.update_layout(title={"text": esc(title)})
    if style == "screen":
        fig.update_layout(height=max(340, 140 + 32 * n))
    return fig


_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _curve_series(curves, labels):
    """(name, colour key, dash, time, surv, lower, upper) for every curve to draw."""
    if isinstance(curves, AdjustedCurves):
        return [
            (lev, lev, "solid", curves.time, curves.surv[:, j], None, None)
            for j, lev in enumerate(curves.levels)
        ]
    if isinstance(curves, PredictedCurves):
        return [
            (lab, lab, "solid", curves.time, curves.surv[:, j], curves.lower[:, j],
             curves.upper[:, j])
            for j, lab in enumerate(curves.labels)
        ]  # fmt: skip
    out = []
    skey = labels.get(curves.strata_column, curves.strata_column)
    single = all(b.surv.shape[1] == 1 for b in curves.blocks)
    strata_order = list(dict.fromkeys(curves.strata))
    for stratum, b in zip(curves.strata, curves.blocks, strict=True):
        dash = "solid" if single else _DASHES[strata_order.index(stratum) % len(_DASHES)]
        for j, lab in enumerate(b.labels):
            name = f"{labels.get(lab, lab)}; {skey}: {stratum}"
            out.append((name, name if single else lab, dash, b.time, b.surv[:, j],
                        b.lower[:, j], b.upper[:, j]))  # fmt: skip
    return out


def adjusted_curves_figure(
    curves: AdjustedCurves | PredictedCurves | StrataCurves,
    *,
    labels: Mapping[str, str] | None = None,
    levels: Sequence[object] | None = None,
    show_ci: bool = True,
    time_unit: str = "months",
    title: str | None = None,
    caption: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """Step curves of directly adjusted survival (one per arm) or of predicted survival for
    chosen covariate values (with their confidence bands), also per stratum of a stratified
    model (one line style per stratum, one colour per covariate profile).

    Parameters
    ----------
    curves : AdjustedCurves, PredictedCurves or StrataCurves
    labels : mapping, optional
        Display name per level / curve label / strata column.
    levels : sequence, optional
        Full level order for colours fixed across pages.
    show_ci : bool
        Bands of predicted curves (adjusted curves have none).
    time_unit : {"months", "years"}
        Times are in months; years divide by 12.
    """
    s = style_spec(style)
    labels = dict(labels or {})
    div = 12.0 if time_unit == "years" else 1.0
    series = _curve_series(curves, labels)
    keys = list(dict.fromkeys(k for _n, k, *_ in series))
    banded = show_ci and not isinstance(curves, AdjustedCurves)
    fig = go.Figure()
    for name, key, dash, time, surv_j, lower, upper in series:
        col = color_for(key, levels or keys)
        t = np.concatenate([[0.0], time / div])
        surv = np.concatenate([[1.0], surv_j])
        shown = esc(labels.get(name, name))
        if banded:
            lo = np.concatenate([[1.0], np.nan_to_num(lower, nan=0.0)])
            up = np.concatenate([[1.0], np.nan_to_num(upper, nan=1.0)])
            fig.add_trace(go.Scatter(x=t, y=up, line={"shape": "hv", "width": 0}, mode="lines",
                                     hoverinfo="skip", showlegend=False))  # fmt: skip
            fig.add_trace(
                go.Scatter(x=t, y=lo, line={"shape": "hv", "width": 0}, fill="tonexty",
                           mode="lines", fillcolor=_rgba(col, 0.15), hoverinfo="skip",
                           showlegend=False)
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=t,
                y=surv,
                mode="lines",  # plotly adds markers to short traces otherwise
                name=shown,
                line={"shape": "hv", "color": col, "width": s.line_width, "dash": dash},
                hovertemplate=f"{shown}: %{{y:.3f}} at %{{x:.1f}}<extra></extra>",
            )
        )
    if isinstance(curves, AdjustedCurves):
        kind = (
            "Directly adjusted survival (average of every patient's Cox-predicted curve with "
            "the arm set)"
        )
    else:
        kind = "Survival predicted by the Cox model for the covariate values shown"
        if isinstance(curves, StrataCurves):
            skey = labels.get(curves.strata_column, curves.strata_column)
            kind = (
                "Survival predicted by the Cox model stratified by "
                f"{skey} (one baseline hazard per stratum) for the covariate values shown"
            )
        kind += " with 95% CIs" if show_ci else ""
    _add_caption(fig, " ".join(p for p in (caption, kind + ".") if p), [], s)  # wrap_text escapes
    fig.update_layout(
        template=template(style),
        xaxis={"title": {"text": f"Time ({time_unit})"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "Survival probability"}, "range": [0, 1.02]},
    )
    fig.update_layout(legend={"traceorder": "normal"})  # bands (fill) would reverse it
    if len(series) > 2 or sum(len(n) for n, *_ in series) > 60:
        # more curves than one legend row holds: a column at the right, clear of the title
        fig.update_layout(
            legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0,
                    "yanchor": "top", "tracegroupgap": 2, "traceorder": "normal"}
        )  # fmt: skip
    if title:
        fig.update_layout(title={"text": esc(title)})
    if style == "screen":
        fig.update_layout(height=480)
    return fig


def balance_figure(balance, *, title: str | None = None, style: str = "screen") -> go.Figure:
    """Love plot: |SMD| of each covariate term before and after weighting, 0.1 line.

    Parameters
    ----------
    balance : pandas.DataFrame
        ``IPWResult.balance`` (term, smd_before, smd_after).
    """
    s = style_spec(style)
    terms = [esc(t) for t in balance["term"]]
    fig = go.Figure()
    for col, name, sym, colour in (
        ("smd_before", "Before weighting", "circle-open", "#777777"),
        ("smd_after", "After weighting", "circle", "#0072B2"),
    ):
        fig.add_trace(
            go.Scatter(x=balance[col].abs(), y=terms, mode="markers", name=name,
                       marker={"symbol": sym, "size": s.marker_size + 2, "color": colour})
        )  # fmt: skip
    fig.add_vline(x=0.1, line={"color": "#D55E00", "width": 1, "dash": "dash"})
    fig.update_layout(
        template=template(style),
        xaxis={"title": {"text": "|Standardised mean difference| (0.1 = balanced)"},
               "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
    )  # fmt: skip
    if title:
        fig.update_layout(title={"text": esc(title)})
    if style == "screen":
        fig.update_layout(height=max(300, 120 + 30 * len(terms)))
    return fig
