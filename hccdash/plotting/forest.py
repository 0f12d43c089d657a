"""Forest plot of a Cox model: labels, HR on a log axis, HR (CI) and p columns, all measured."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from hccdash.plotting.common import esc, format_p, set_layout
from hccdash.plotting.layout import (
    LINE,
    Frame,
    axis_style,
    base_layout,
    caption_block,
    fit_label,
    text_width,
    title_block,
    wrap_to_width,
)
from hccdash.plotting.spec import FigureSpec
from hccdash.style import size_preset

if TYPE_CHECKING:
    from hccdash.cox import CoxResult

# Hazard-ratio ticks by the decades the axis spans: crowded labels are unreadable on a slide.
_LOG_TICKS_WIDE = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
_LOG_TICKS_MEDIUM = (0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 100.0, 1000.0)
_LOG_TICKS_NARROW = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0)


def log_ticks(lo: float, hi: float, max_ticks: int = 11) -> list[float]:
    """Tick values for a log hazard-ratio axis on [lo, hi], at most ``max_ticks`` labels."""
    decades = math.log10(hi) - math.log10(lo)
    if decades > 2.5:
        ticks = _LOG_TICKS_WIDE
    elif decades > 1.2:
        ticks = _LOG_TICKS_MEDIUM
    else:
        ticks = _LOG_TICKS_NARROW
    out = [v for v in ticks if lo <= v <= hi]
    while len(out) > max_ticks:  # a narrow journal column: every other tick, keep 1
        keep = out.index(1.0) if 1.0 in out else 0
        out = [v for i, v in enumerate(out) if (i - keep) % 2 == 0]
    return out


def _rows(cox: CoxResult, labels: Mapping[str, str]) -> list[dict]:
    """Rows top to bottom: covariate header (categorical), reference, levels; numeric: one."""
    rows: list[dict] = []
    seen: set[str] = set()
    for term in cox.terms:
        cov = term.covariate
        if term.level is not None and cov not in seen:
            rows.append({"label": str(labels.get(cov, cov)), "kind": "header"})
            if term.reference is not None:
                rows.append({"label": f"   {term.reference}", "kind": "reference"})
        seen.add(cov)
        label = f"   {term.level}" if term.level is not None else str(labels.get(cov, cov))
        rows.append({"label": label, "kind": "term", "term": term})
    return rows


def forest_figure(
    cox: CoxResult,
    spec: FigureSpec | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    default_title: str | None = None,
    width: float | None = None,
    # legacy keywords (before FigureSpec): mapped onto the spec
    title: str | None = None,
    style: str | None = None,
    conf_level: float | None = None,
) -> go.Figure:
    """Hazard ratios with CIs on a log axis; reference levels as rows; HR and p as text.

    Parameters
    ----------
    cox : CoxResult
        From :func:`hccdash.cox.cox_fit` (R ``coxph``).
    spec : FigureSpec, optional
        ``kind="forest"``; title, x label, caption switch and size preset are used.
    labels : mapping, optional
        Display label per covariate column (``Factor.label``).
    caption : str, optional
        Methods caption (drawn when ``spec.caption``).
    default_title : str, optional
        Title where ``spec.title`` is ``None``.
    width : float, optional
        Canvas width for the "screen" preset.
    """
    spec = spec or FigureSpec(kind="forest")
    if style == "slide":
        spec = spec.with_preset("slide-1920")
    if title is not None:
        default_title = title
    s = size_preset(spec.preset)
    labels = dict(labels or {})
    level = conf_level if conf_level is not None else getattr(cox, "conf_level", 0.95)
    separated = set(getattr(cox, "separated_terms", ()) or ())
    rows = _rows(cox, labels)
    n = len(rows)
    ys = np.arange(n, 0, -1, dtype=float)

    hr_col: list[str] = []
    p_col: list[str] = []
    est: list[tuple[float, float, float, float, bool, str]] = []
    finite_vals: list[float] = [1.0]
    for row, y in zip(rows, ys, strict=True):
        if row["kind"] != "term":
            hr_col.append("reference" if row["kind"] == "reference" else "")
            p_col.append("")
            continue
        t = row["term"]
        ok = all(np.isfinite([t.hr, t.lower, t.upper])) and t.hr > 0 and t.lower > 0
        sep = t.term in separated or not ok
        if ok:
            est.append((t.hr, y, t.lower, t.upper, sep, row["label"].strip()))
            finite_vals.extend([t.lower, t.upper])
            hr_col.append(f"{t.hr:.2f} ({t.lower:.2f}–{t.upper:.2f})" + (" †" if sep else ""))
        else:
            hr_col.append("not estimable †")
        p_col.append(format_p(t.p_value).removeprefix("p = ").replace("p < ", "<"))

    title_text = default_title if spec.title is None else spec.title
    ci_head = f"HR ({round(100 * level)}% CI)"
    xlabel = f"Hazard ratio (log scale, {round(100 * level)}% CI)"
    xlabel = xlabel if spec.xlabel is None else spec.xlabel
    notes = []
    if separated or any("†" in c for c in hr_col):
        notes.append(
            "† Separation: the outcome is (almost) perfectly predicted by this term, so its "
            "HR is infinite or unstable; read it as a direction, not an estimate."
        )
    if getattr(cox, "penalized", False):
        notes.append("Penalized (Firth) estimates.")
    cap_parts = ([caption] if spec.caption and caption else []) + notes

    # ---- horizontal: labels | plot | HR (CI) | p ---------------------------------------
    probe = Frame.start(s, width)
    W = probe.width
    gap = 0.8 * s.font_size
    hr_w = max(text_width(x, s.font_size) for x in [ci_head, *hr_col])
    p_w = max(text_width(x, s.font_size) for x in ["p", *p_col])
    right_cols = hr_w + p_w + 3 * gap
    label_room = max(0.2 * W, W - 2 * probe.pad - right_cols - max(0.22 * W, 6 * s.font_size))
    # A label wider than its column wraps onto a second line (then is shortened with "…").
    shown: list[list[str]] = []
    for r in rows:
        bold = r["kind"] == "header"
        lines = wrap_to_width(r["label"].strip(), s.font_size * (1.08 if bold else 1), label_room)
        if len(lines) > 2:
            lines = [lines[0], " ".join(lines[1:])]
        shown.append([fit_label(x, s.font_size, label_room, bold=bold) for x in lines])
    label_w = max(
        (
            text_width(x, s.font_size, bold=r["kind"] == "header")
            for lines, r in zip(shown, rows, strict=True)
            for x in lines
        ),
        default=0.0,
    )
    max_lines = max((len(x) for x in shown), default=1)
    axis_left = probe.pad + label_w + gap
    axis_right = W - probe.pad - right_cols
    hr_x = axis_right + gap
    p_x = hr_x + hr_w + gap

    # ---- vertical -----------------------------------------------------------------------
    row_h = s.font_size * (1.3 * max_lines + 0.6)
    height = None
    for _ in range(2):
        fr = Frame.start(s, width, height)
        title_d = title_block(fr, title_text or "", s, fr.pad)
        head_band = fr.take_top("header", s.font_size * LINE + 0.4 * s.font_size)
        cap_d = caption_block(fr, cap_parts, s, fr.pad)
        ticklen = round(0.35 * s.font_size)
        fr.take_bottom("xaxis", ticklen + s.font_size * LINE * 2 + 1.5 * gap)
        need = n * row_h
        if s.fixed_height or fr.plot_px >= need:
            break
        height = fr.height + need - fr.plot_px
    plot_band = (fr.top, fr.bottom)
    fr.bands["plot"] = plot_band
    row_px = fr.plot_px / max(n, 1)
    y_lo, y_hi = 0.5, n + 0.5

    lo_v, hi_v = min(finite_vals), max(finite_vals)
    x_lo = max(min(lo_v, 0.5) / 1.3, 1e-3)
    x_hi = min(max(hi_v, 2.0) * 1.3, 1e3)
    plot_w = axis_right - axis_left
    max_ticks = max(3, int(plot_w // (text_width("0.25", s.font_size) + s.font_size)))
    tv = log_ticks(x_lo, x_hi, max_ticks)

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[e[0] for e in est],
            y=[e[1] for e in est],
            mode="markers",
            marker={
                "symbol": ["square-open" if e[4] else "square" for e in est],
                "size": s.marker_size + 2,
                "color": ["#D55E00" if e[4] else "black" for e in est],
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [e[3] - e[0] for e in est],
                "arrayminus": [e[0] - e[2] for e in est],
                "color": "black",
                "thickness": max(1.0, s.line_width * 0.7),
                "width": 0,
            },
            text=[f"{esc(e[5])}: HR {e[0]:.2f} ({e[2]:.2f}–{e[3]:.2f})" for e in est],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
            cliponaxis=True,
        )
    )
    ref_y = [y for row, y in zip(rows, ys, strict=True) if row["kind"] == "reference"]
    if ref_y:
        fig.add_trace(
            go.Scatter(
                x=[1.0] * len(ref_y),
                y=ref_y,
                mode="markers",
                marker={"symbol": "diamond-open", "size": s.marker_size, "color": "#777777"},
                hovertemplate="reference level<extra></extra>",
                showlegend=False,
            )
        )
    fig.add_vline(x=1.0, line={"color": "#777777", "width": 1, "dash": "dash"})
    annotations = []
    head_y = fr.fy(head_band[0] + 0.5 * (head_band[1] - head_band[0]))
    for x_px, head, col in ((hr_x, ci_head, hr_col), (p_x, "p", p_col)):
        annotations.append(
            {
                "text": f"<b>{head}</b>",
                "xref": "paper",
                "yref": "paper",
                "x": fr.fx(x_px),
                "y": head_y,
                "xanchor": "left",
                "yanchor": "middle",
                "showarrow": False,
                "font": {"size": s.font_size},
            }
        )
        for y, txt in zip(ys, col, strict=True):
            if txt:
                annotations.append(
                    {
                        "text": esc(txt),
                        "xref": "paper",
                        "yref": "y",
                        "x": fr.fx(x_px),
                        "y": y,
                        "xanchor": "left",
                        "yanchor": "middle",
                        "showarrow": False,
                        "font": {
                            "size": s.font_size,
                            "color": "#777777" if txt == "reference" else "black",
                        },
                    }
                )
    if cap_d:
        annotations.append(cap_d)
    ax = axis_style(s, s.key == "screen")
    layout = base_layout(fr, s)
    gap_t = 0.45 * s.font_size
    layout.update(
        xaxis={
            **ax,
            "type": "log",
            "domain": [fr.fx(axis_left), fr.fx(axis_right)],
            "range": [math.log10(x_lo), math.log10(x_hi)],
            "tickvals": tv,
            "ticktext": [f"{v:g}" for v in tv],
            "title": {"text": esc(xlabel), "standoff": gap_t, "font": {"size": s.font_size}},
            "showgrid": False,
        },
        yaxis={
            **ax,
            "domain": [fr.fy(plot_band[1]), fr.fy(plot_band[0])],
            "tickvals": ys,
            "ticktext": [
                "<br>".join(f"<b>{esc(x)}</b>" if r["kind"] == "header" else esc(x) for x in lines)
                for lines, r in zip(shown, rows, strict=True)
            ],
            "range": [y_lo, y_hi],
            "showline": False,
            "ticks": "",
            "showgrid": False,
        },
        showlegend=False,
        annotations=annotations,
    )
    if title_d:
        layout["annotations"] = [title_d, *layout["annotations"]]
    set_layout(fig, layout)
    fig.layout.meta = {
        "bands": {k: [round(a, 1), round(b, 1)] for k, (a, b) in fr.bands.items()},
        "row_px": round(row_px, 1),
    }
    return fig
