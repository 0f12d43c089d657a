"""Plotly figures built from result dataclasses (never rendered here: no streamlit).

Every figure says what it shows (test, CI method, n, events) and carries a bounded number of
points whatever the cohort size: step curves are thinned so that the drawn curve never moves
by more than :data:`STEP_TOLERANCE` in S, and scatter/censor marks are capped by sampling, with
a note in the figure when that happened.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from hccdash.report.fmt import format_p as _format_p
from hccdash.style import GRID_COLOR, PALETTE, color_for, style_spec, template

if TYPE_CHECKING:
    from hccdash.compare import SurvdiffResult
    from hccdash.cox import CoxResult, PHTest
    from hccdash.nonparametric import KMResult, SurvCurve
    from hccdash.response import ResponseRates

# A drawn step curve (and its CI band) is within this distance of the exact one in S.
STEP_TOLERANCE = 0.001
# Censor marks drawn per curve at most; beyond this an evenly spaced subset is shown.
MAX_CENSOR_MARKS = 400
# Schoenfeld residual points drawn at most (a fixed-seed random subset beyond this).
MAX_SCATTER_POINTS = 4000

TEST_NAMES = {
    "logrank": "Log-rank",
    "wilcoxon": "Gehan-Breslow (Wilcoxon)",
    "tarone-ware": "Tarone-Ware",
    "peto": "Peto-Peto",
    "fleming-harrington": "Fleming-Harrington",
}
CONF_TYPE_NAMES = {
    "log-log": "log-log (R default for survminer; Kalbfleisch-Prentice)",
    "log": "log (R survfit default)",
    "plain": "plain (linear)",
}
_TIME_DIVISOR = {"months": 1.0, "years": 12.0}


# --------------------------------------------------------------------------------------------
# small helpers
def esc(text: object) -> str:
    """Escape a data-derived string for plotly text (which understands a few HTML tags)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_p(p: float | None) -> str:
    """``p = 0.012``, ``p < 0.001``; ``p = NA`` when missing.

    A thin alias of :func:`hccdash.report.fmt.format_p` (the one home of p-value formatting,
    journal style), kept so existing callers keep working.
    """
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {_format_p(p)}"


def _wrap(text: str, width: int) -> str:
    """Escape and hard-wrap caption text: plotly annotations do not wrap by themselves."""
    lines: list[str] = []
    for para in str(text).splitlines() or [""]:
        lines.extend(textwrap.wrap(para, width) or [""])
    return "<br>".join(esc(line) for line in lines)


def thin_indices(values: np.ndarray, tol: float = STEP_TOLERANCE) -> np.ndarray:
    """Indices of a step function to keep so that the drawn steps stay within ``tol``.

    A point is kept when its value differs by at least ``tol`` from the last kept value; the
    first and last points are always kept. Drawn as a right-continuous step (``line_shape="hv"``)
    the thinned curve holds the last kept value until the next kept point, so it differs from
    the exact curve by less than ``tol`` everywhere. A monotone curve keeps at most
    ``range / tol + 2`` points whatever its length.

    Parameters
    ----------
    values : numpy.ndarray
        Step values in time order (finite).
    tol : float
        Largest allowed vertical deviation.

    Returns
    -------
    numpy.ndarray
        Sorted integer indices into ``values``.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n <= 2:
        return np.arange(n)
    keep = [0]
    diffs = np.diff(y)
    if np.all(diffs <= 0) or np.all(diffs >= 0):
        # Monotone (a survival curve): jump straight to the next point tol away, O(k log n).
        z = -y if diffs.sum() <= 0 else y
        cur = 0
        while True:
            nxt = int(np.searchsorted(z, z[cur] + tol, side="left"))
            if nxt >= n:
                break
            keep.append(nxt)
            cur = nxt
    else:
        last = y[0]
        for i in range(1, n):
            if abs(y[i] - last) >= tol:
                keep.append(i)
                last = y[i]
    if keep[-1] != n - 1:
        keep.append(n - 1)
    return np.asarray(keep, dtype=np.int64)


def nice_step(span: float, unit: str = "months", max_ticks: int = 8) -> float:
    """A readable tick step for an axis of length ``span`` (6/12-month steps for long spans)."""
    if unit == "months":
        candidates = [1, 2, 3, 6, 12, 24, 36, 48, 60, 120, 240]
    else:
        candidates = [0.25, 0.5, 1, 2, 5, 10, 20, 50]
    for c in candidates:
        if span / c <= max_ticks:
            return float(c)
    mag = 10 ** math.floor(math.log10(span / max_ticks))
    for m in (1, 2, 5, 10):
        if span / (m * mag) <= max_ticks:
            return float(m * mag)
    return float(span)


def default_risk_times(horizon: float, unit: str = "months") -> np.ndarray:
    """Tick positions 0, step, 2*step, ... up to ``horizon`` (display units)."""
    if not np.isfinite(horizon) or horizon <= 0:
        return np.array([0.0])
    step = nice_step(horizon, unit)
    return np.arange(0.0, horizon + step * 1e-9, step)


def _fmt_time(t: float) -> str:
    return f"{t:g}"


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
def _curve_arrays(curve: SurvCurve, divisor: float, horizon: float) -> dict[str, np.ndarray]:
    """Step arrays starting at (0, 1), cut at the horizon, in display time units."""
    t = np.asarray(curve.time, dtype=float) / divisor
    s = np.asarray(curve.surv, dtype=float)
    lo = np.asarray(curve.lower, dtype=float)
    up = np.asarray(curve.upper, dtype=float)
    nr = np.asarray(curve.n_risk, dtype=float)
    nc = np.asarray(curve.n_censor, dtype=float)
    inside = t <= horizon
    # The step that is current at the horizon continues to it (drawn as a flat end).
    extend = bool(len(t) and t[-1] > horizon)
    t, s, lo, up, nr, nc = (a[inside] for a in (t, s, lo, up, nr, nc))
    start_t = np.array([0.0])
    out = {
        "time": np.concatenate([start_t, t]),
        "surv": np.concatenate([[1.0], s]),
        "lower": np.concatenate([[1.0], lo]),
        "upper": np.concatenate([[1.0], up]),
        "n_risk": np.concatenate([[float(curve.n)], nr]),
        "n_censor": np.concatenate([[0.0], nc]),
    }
    if extend:
        for k in ("time", "surv", "lower", "upper", "n_risk", "n_censor"):
            last = horizon if k == "time" else (0.0 if k == "n_censor" else out[k][-1])
            out[k] = np.append(out[k], last)
    return out


def _band_arrays(time: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CI limit up to its first undefined value (R leaves it NA once S reaches 0)."""
    bad = ~np.isfinite(values)
    stop = int(np.argmax(bad)) if bad.any() else len(values)
    return time[:stop], values[:stop]


def hr_text(cox: CoxResult) -> str | None:
    """The two-group hazard ratio annotation of a one-term Cox model, or None without terms.

    ``"HR 3.00 (95% CI 0.78–11.51), IMRT vs IMRT+TACE"``; when separation makes the ratio
    infinite, a plain note instead of a number. Shared by the KM page and ``figure km``.
    """
    if not cox.terms:
        return None
    t = cox.terms[0]
    vs = f"{t.level} vs {t.reference}" if t.level is not None else t.term
    if cox.separation or not np.isfinite(t.upper):
        return f"HR not estimable ({vs}: no events in one group)"
    ci = f"{round(100 * cox.conf_level)}% CI"
    return f"HR {t.hr:.2f} ({ci} {t.lower:.2f}–{t.upper:.2f}), {vs}"


def km_caption(
    km: KMResult,
    *,
    test: SurvdiffResult | None = None,
    filters: str | None = None,
    time_unit: str = "months",
) -> str:
    """The caption written under a KM figure: filters, n, events, test and CI method.

    Parameters
    ----------
    km : KMResult
    test : SurvdiffResult, optional
    filters : str, optional
        One line describing the filters (``hccdash.filters.describe``).
    time_unit : str
        Unit of the time axis, stated in the caption.
    """
    parts = []
    if filters:
        parts.append(f"Filters: {filters}.")
    parts.append(
        f"n = {km.n} patients, {km.events} events"
        + (f" ({km.dropped} rows with missing time/event excluded)" if km.dropped else "")
        + "."
    )
    level = round(100 * km.conf_level)
    parts.append(
        f"Kaplan-Meier estimates with {level}% pointwise CI ({km.conf_type} transform, "
        f"Greenwood variance); time in {time_unit}; ticks mark censored patients."
    )
    if test is not None:
        name = TEST_NAMES.get(test.method, test.method)
        parts.append(
            f"{name} test: chi-square = {test.chisq:.2f}, df = {test.df}, {format_p(test.p_value)}."
        )
    return " ".join(parts)


def km_figure(
    km: KMResult,
    *,
    test: SurvdiffResult | None = None,
    risk_times: Sequence[float] | None = None,
    show_ci: bool = True,
    show_censor: bool = True,
    show_median: bool = False,
    hr_text: str | None = None,
    time_unit: str = "months",
    horizon: float | None = None,
    title: str | None = None,
    caption: str | None = None,
    style: str = "screen",
    levels: Sequence[object] | None = None,
    risk_rows: Sequence[str] = ("at risk", "events", "censored"),
    ylabel: str = "Survival probability",
) -> go.Figure:
    """Kaplan-Meier curves with CI bands, censor ticks and a KMunicate numbers-at-risk table.

    Parameters
    ----------
    km : KMResult
        From :func:`hccdash.nonparametric.kaplan_meier` (times in months).
    test : SurvdiffResult, optional
        Its test name, chi-square and p value are written in the plot.
    risk_times : sequence of float, optional
        Times (display units) of the x ticks and of the risk-table columns; default: a readable
        step (3, 6, 12 ... months) from 0 to ``horizon``.
    show_ci, show_censor, show_median : bool
        Draw CI bands, censor ticks, median lines (dashed, at S = 0.5, R's median rule).
    hr_text : str, optional
        E.g. ``"HR 0.45 (95% CI 0.21–0.98)"`` for two groups, written under the p value.
    time_unit : {"months", "years"}
        Display unit; years divide the (month) times by 12.
    horizon : float, optional
        Right end of the time axis in display units; default the largest time.
    title, caption : str, optional
        Title above, caption (see :func:`km_caption`) below the figure.
    style : {"screen", "slide"}
    levels : sequence, optional
        Full level order of the grouping factor, for colours fixed across pages; default the
        curve order.
    risk_rows : sequence of {"at risk", "events", "censored"}
        Rows of the table per group (KMunicate: all three; ``()`` for no table).
    ylabel : str
        y-axis title.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces per group: CI lower and upper (filled), the step curve, censor marks; then the
        risk table as text on a second x axis that matches the first, so table columns sit
        exactly under the x ticks.
    """
    from hccdash.nonparametric import median_survival, risk_table

    if time_unit not in _TIME_DIVISOR:
        raise ValueError(f"time_unit {time_unit!r} is not one of {sorted(_TIME_DIVISOR)!r}")
    s = style_spec(style)
    divisor = _TIME_DIVISOR[time_unit]
    curves = list(km.curves)
    level_order = list(levels) if levels is not None else [c.group for c in curves]
    grouped = km.group is not None and any(c.group is not None for c in curves)
    max_time = max((float(np.max(c.time)) / divisor for c in curves if len(c.time)), default=1.0)
    h = float(horizon) if horizon is not None and horizon > 0 else max(max_time, 1e-9)
    ticks = (
        np.asarray(risk_times, dtype=float)
        if risk_times is not None
        else default_risk_times(h, time_unit)
    )
    ticks = ticks[(ticks >= 0) & (ticks <= h * (1 + 1e-9))]
    rows = [r for r in risk_rows if r in ("at risk", "events", "censored")]
    n_table_rows = len(rows) * len(curves)
    # Vertical layout in pixels of the expected height (the screen height set below, or a
    # 1080 px slide), converted to paper fractions: table rows, then a gap for the x tick
    # labels, the axis title and the table header.
    screen_height = 520 + 26 * n_table_rows
    ref_height = screen_height if style == "screen" else 1080
    row_px = s.small_size * 1.75
    gap_px = s.font_size * 2.9 + s.small_size * 1.6 + 16
    table_frac = min(0.5, n_table_rows * row_px / ref_height) if n_table_rows else 0.0
    gap_frac = gap_px / ref_height if n_table_rows else 0.0

    fig = go.Figure()
    notes: list[str] = []
    conf_pct = round(100 * km.conf_level)
    for curve in curves:
        color = color_for(curve.group, level_order) if grouped else color_for(None)
        name = esc(curve.group if grouped else "All patients")
        arr = _curve_arrays(curve, divisor, h)
        keep = thin_indices(arr["surv"])
        legend = f"g{curve.group}"
        if show_ci:
            for bound, fill in (("lower", None), ("upper", "tonexty")):
                bt, bv = _band_arrays(arr["time"], arr[bound])
                bk = thin_indices(bv) if len(bv) else np.array([], dtype=np.int64)
                fig.add_trace(
                    go.Scatter(
                        x=bt[bk],
                        y=bv[bk],
                        mode="lines",
                        line={"shape": "hv", "width": 0, "color": color},
                        fill=fill,
                        fillcolor=_rgba(color, 0.15),
                        legendgroup=legend,
                        showlegend=False,
                        hoverinfo="skip",
                        name=f"{name} {bound} {conf_pct}% CI",
                    )
                )
        custom = np.column_stack([arr["lower"][keep], arr["upper"][keep], arr["n_risk"][keep]])
        fig.add_trace(
            go.Scatter(
                x=arr["time"][keep],
                y=arr["surv"][keep],
                mode="lines",
                line={"shape": "hv", "width": s.line_width, "color": color},
                name=name,
                legendgroup=legend,
                showlegend=grouped,
                customdata=custom,
                hovertemplate=(
                    f"Time %{{x:.2f}} {time_unit}<br>S(t) %{{y:.3f}} "
                    f"({conf_pct}% CI %{{customdata[0]:.3f}}–%{{customdata[1]:.3f}})"
                    "<br>At risk %{customdata[2]:.0f}<extra>%{fullData.name}</extra>"
                ),
            )
        )
        if show_censor:
            cens = np.flatnonzero(arr["n_censor"] > 0)
            if len(cens) > MAX_CENSOR_MARKS:
                notes.append(
                    f"{name}: {MAX_CENSOR_MARKS} of {len(cens):,} censoring times marked "
                    "(evenly spaced)."
                )
                cens = cens[np.linspace(0, len(cens) - 1, MAX_CENSOR_MARKS).round().astype(int)]
            fig.add_trace(
                go.Scatter(
                    x=arr["time"][cens],
                    y=arr["surv"][cens],
                    mode="markers",
                    marker={
                        "symbol": "line-ns-open",
                        "size": s.marker_size,
                        "color": color,
                        "line": {"width": max(1.0, s.line_width * 0.6), "color": color},
                    },
                    name=f"{name} censored",
                    legendgroup=legend,
                    showlegend=False,
                    cliponaxis=False,
                    hovertemplate=f"Censored at %{{x:.2f}} {time_unit}<extra>{name}</extra>",
                )
            )
        if show_median:
            med = median_survival(curve)
            if med.median is not None and med.median / divisor <= h:
                m = med.median / divisor
                line = {"color": color, "width": max(1.0, s.line_width * 0.6), "dash": "dash"}
                fig.add_shape(type="line", x0=0, x1=m, y0=0.5, y1=0.5, line=line, yref="y")
                fig.add_shape(type="line", x0=m, x1=m, y0=0, y1=0.5, line=line, yref="y")

    # Numbers at risk (KMunicate): a text trace per row on x2, which matches x.
    if n_table_rows:
        rt = risk_table(km, ticks * divisor)
        tickvals: list[float] = []
        ticktext: list[str] = []
        y = 0.0
        for gi, curve in enumerate(curves):
            color = color_for(curve.group, level_order) if grouped else color_for(None)
            label = esc(curve.group) if grouped else "All"
            table = {"at risk": rt.n_risk, "events": rt.n_event, "censored": rt.n_censor}
            for ri, row in enumerate(rows):
                values = np.asarray(table[row][gi])
                fig.add_trace(
                    go.Scatter(
                        x=ticks,
                        y=np.full(len(ticks), y),
                        mode="text",
                        text=[f"{int(v):,}" for v in values],
                        textfont={"color": color, "size": s.small_size},
                        xaxis="x2",
                        yaxis="y2",
                        showlegend=False,
                        hoverinfo="skip",
                        cliponaxis=False,
                        name=f"{label} {row}",
                    )
                )
                tickvals.append(y)
                ticktext.append(
                    f'<span style="color:{color}">{label}</span> {row}' if ri == 0 else f"{row}"
                )
                y -= 1.0
        fig.update_layout(
            xaxis2={
                "matches": "x",
                "anchor": "y2",
                "visible": False,
                "showgrid": False,
            },
            yaxis2={
                "domain": [0.0, table_frac],
                "ticklabelstandoff": s.small_size // 2,
                "range": [y + 0.5, 0.5],
                "tickvals": tickvals,
                "ticktext": ticktext,
                "showline": False,
                "ticks": "",
                "showgrid": False,
                "zeroline": False,
                "fixedrange": True,
                "tickfont": {"size": s.small_size},
                "automargin": True,
            },
        )
        fig.add_annotation(
            text="Number at risk (cumulative events, censored)"
            if len(rows) > 1
            else "Number at risk",
            xref="paper",
            yref="paper",
            x=0.0,
            y=table_frac + 0.25 * row_px / ref_height,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": s.small_size},
        )

    y_domain = [table_frac + gap_frac if n_table_rows else 0.0, 1.0]
    pad = 0.03 * h  # like ggplot's expansion: room for the first and last table column
    fig.update_layout(
        template=template(style),
        xaxis={
            "range": [-pad, h + pad],
            "tickvals": ticks,
            "ticktext": [_fmt_time(t) for t in ticks],
            "title": {"text": f"Time ({time_unit})"},
            "anchor": "y",
        },
        yaxis={
            "domain": y_domain,
            "range": [0, 1.02],
            "tickvals": [0, 0.25, 0.5, 0.75, 1.0],
            "title": {"text": esc(ylabel)},
        },
        showlegend=grouped,
        hovermode="closest",
    )
    # Test and HR written inside the plot, top right (curves start top left).
    stats = []
    if test is not None:
        stats.append(f"{esc(TEST_NAMES.get(test.method, test.method))} {format_p(test.p_value)}")
    if hr_text:
        stats.append(esc(hr_text))
    if stats:
        fig.add_annotation(
            text="<br>".join(stats),
            xref="paper",
            yref="y domain",
            x=1.0,
            y=1.0,
            xanchor="right",
            yanchor="top",
            align="right",
            showarrow=False,
            font={"size": s.font_size},
        )
    if title:
        fig.update_layout(title={"text": esc(title)})
    _add_caption(fig, caption, notes, s, axis_below=not n_table_rows)
    if style == "screen":
        fig.update_layout(height=screen_height + (0 if not caption else 60))
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


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
    text = "<br>".join(_wrap(p, width) for p in parts)
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


# --------------------------------------------------------------------------------------------
# Forest plot
# Labelled hazard ratios on the log axis (plotly's own minor labels read "4 5 ... 9 1 2").
# Hazard-ratio ticks by the decades the axis spans: crowded labels are unreadable on a slide.
_LOG_TICKS_WIDE = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
_LOG_TICKS_MEDIUM = (0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 100.0, 1000.0)
_LOG_TICKS_NARROW = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0)


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log hazard-ratio axis on [lo, hi], at most about 8 labels."""
    decades = math.log10(hi) - math.log10(lo)
    if decades > 2.5:
        ticks = _LOG_TICKS_WIDE
    elif decades > 1.2:
        ticks = _LOG_TICKS_MEDIUM
    else:
        ticks = _LOG_TICKS_NARROW
    return [v for v in ticks if lo <= v <= hi]


def forest_figure(
    cox: CoxResult,
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    caption: str | None = None,
    style: str = "screen",
    conf_level: float | None = None,
) -> go.Figure:
    """Hazard ratios with CIs on a log axis; reference levels as rows; HR and p as text.

    Parameters
    ----------
    cox : CoxResult
        From :func:`hccdash.cox.cox_fit`.
    labels : mapping, optional
        Display label per covariate column (e.g. the paper's wording).
    title, caption : str, optional
    style : {"screen", "slide"}
    conf_level : float, optional
        Stated in the column header; default ``cox.conf_level`` if present, else 0.95.

    Returns
    -------
    plotly.graph_objects.Figure
        Separated terms (infinite or unstable HR) are drawn as open markers and flagged;
        penalized (Firth) fits say so in a note.
    """
    s = style_spec(style)
    labels = dict(labels or {})
    level = conf_level if conf_level is not None else getattr(cox, "conf_level", 0.95)
    separated = set(getattr(cox, "separated_terms", ()) or ())

    # Rows top to bottom: covariate header (categorical), reference, levels; numeric: one row.
    rows: list[dict] = []
    seen: set[str] = set()
    for term in cox.terms:
        cov = term.covariate
        if term.level is not None and cov not in seen:
            rows.append({"label": f"<b>{esc(labels.get(cov, cov))}</b>", "kind": "header"})
            if term.reference is not None:
                rows.append({"label": f"  {esc(term.reference)}", "kind": "reference"})
        seen.add(cov)
        label = f"  {esc(term.level)}" if term.level is not None else esc(labels.get(cov, cov))
        rows.append({"label": label, "kind": "term", "term": term})
    n = len(rows)
    ys = np.arange(n, 0, -1, dtype=float)

    est_x, est_y, err_hi, err_lo, est_color, est_symbol, hover = [], [], [], [], [], [], []
    hr_col: list[str] = []
    p_col: list[str] = []
    finite_vals: list[float] = [1.0]
    for row, y in zip(rows, ys, strict=True):
        if row["kind"] == "header":
            hr_col.append("")
            p_col.append("")
            continue
        if row["kind"] == "reference":
            hr_col.append("reference")
            p_col.append("")
            continue
        t = row["term"]
        ok = all(np.isfinite([t.hr, t.lower, t.upper])) and t.hr > 0 and t.lower > 0
        sep = t.term in separated or not ok
        if ok:
            est_x.append(t.hr)
            est_y.append(y)
            err_hi.append(t.upper - t.hr)
            err_lo.append(t.hr - t.lower)
            est_color.append("#D55E00" if sep else "black")
            est_symbol.append("square-open" if sep else "square")
            hover.append(f"{row['label'].strip()}: HR {t.hr:.2f} ({t.lower:.2f}–{t.upper:.2f})")
            finite_vals.extend([t.lower, t.upper])
            hr_col.append(f"{t.hr:.2f} ({t.lower:.2f}–{t.upper:.2f})" + (" †" if sep else ""))
        else:
            hr_col.append("not estimable †")
        p_col.append(format_p(t.p_value).removeprefix("p = ").replace("p < ", "<"))

    lo_v, hi_v = min(finite_vals), max(finite_vals)
    # Keep absurd CIs (separation) from squashing the axis: clip the range to 1/1000..1000.
    x_lo = max(min(lo_v, 0.5) / 1.3, 1e-3)
    x_hi = min(max(hi_v, 2.0) * 1.3, 1e3)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=est_x,
            y=est_y,
            mode="markers",
            marker={"symbol": est_symbol, "size": s.marker_size + 2, "color": est_color},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": err_hi,
                "arrayminus": err_lo,
                "color": "black",
                "thickness": max(1.5, s.line_width * 0.7),
                "width": 0,
            },
            text=hover,
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
                marker={
                    "symbol": "diamond-open",
                    "size": s.marker_size,
                    "color": "#777777",
                },
                hovertemplate="reference level<extra></extra>",
                showlegend=False,
            )
        )
    fig.add_vline(x=1.0, line={"color": "#777777", "width": 1, "dash": "dash"})
    header_y = n + 0.9
    for x, head, col in (
        (1.04, f"HR ({round(100 * level)}% CI)", hr_col),
        (1.42, "p", p_col),
    ):
        fig.add_annotation(
            text=f"<b>{head}</b>",
            xref="x domain",
            yref="y",
            x=x,
            y=header_y,
            xanchor="left",
            showarrow=False,
        )
        for y, txt in zip(ys, col, strict=True):
            if txt:
                fig.add_annotation(
                    text=txt,
                    xref="x domain",
                    yref="y",
                    x=x,
                    y=y,
                    xanchor="left",
                    showarrow=False,
                    font={"color": "#777777" if txt == "reference" else "black"},
                )
    notes = []
    if separated or any("†" in c for c in hr_col):
        notes.append(
            "† Separation: the outcome is (almost) perfectly predicted by this term, so its "
            "HR is infinite or unstable; read it as a direction, not an estimate."
        )
    if getattr(cox, "penalized", False):
        notes.append("Penalized (Firth) estimates.")
    extra = " ".join(notes)
    cap = " ".join(p for p in (caption, extra) if p)
    fig.update_layout(
        template=template(style),
        xaxis={
            "type": "log",
            "range": [math.log10(x_lo), math.log10(x_hi)],
            "tickvals": _log_ticks(x_lo, x_hi),
            "ticktext": [f"{v:g}" for v in _log_ticks(x_lo, x_hi)],
            "domain": [0.0, 0.6],
            "title": {"text": f"Hazard ratio (log scale, {round(100 * level)}% CI)"},
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
        margin={"r": s.margin},
        showlegend=False,
    )
    if title:
        fig.update_layout(title={"text": esc(title)})
    _add_caption(fig, cap or None, [], s)
    if style == "screen":
        fig.update_layout(height=max(320, 120 + 34 * n + (60 if cap else 0)))
    return fig


# --------------------------------------------------------------------------------------------
# Schoenfeld residuals
def schoenfeld_figure(
    ph: PHTest,
    term: str,
    *,
    coef: float | None = None,
    cox: CoxResult | None = None,
    frac: float = 2 / 3,
    title: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """Scaled Schoenfeld residuals of one term against transformed time, with a lowess smooth.

    A flat smooth at the coefficient means proportional hazards hold for that term. The zero
    line (no effect) is dashed grey, the coefficient (if given) dotted.

    Parameters
    ----------
    ph : PHTest
        From :func:`hccdash.cox.cox_zph`.
    term : str
        One of the PH test's terms.
    coef : float, optional
        The term's Cox coefficient, drawn as a horizontal line.
    cox : CoxResult, optional
        The fitted model; its coefficient for ``term`` is used when ``coef`` is not given.
    frac : float
        Lowess span (statsmodels ``frac``).
    title : str, optional
    style : {"screen", "slide"}
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    s = style_spec(style)
    terms = list(_ph_terms(ph))
    if term not in terms:
        raise ValueError(f"term {term!r} is not one of {terms!r}")
    j = terms.index(term)
    x = np.asarray(ph.time, dtype=float)
    res = np.asarray(ph.residuals, dtype=float)
    y = res[:, j] if res.ndim == 2 else res
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    note = None
    if len(x) > MAX_SCATTER_POINTS:
        rng = np.random.default_rng(0)
        pick = np.sort(rng.choice(len(x), MAX_SCATTER_POINTS, replace=False))
        note = f"{MAX_SCATTER_POINTS:,} of {len(x):,} residuals shown (random subset, seed 0)."
        x, y = x[pick], y[pick]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={"color": PALETTE[0], "size": max(5, s.marker_size - 3), "opacity": 0.6},
            name="scaled Schoenfeld residual",
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
                line={"color": PALETTE[1], "width": s.line_width},
                name=f"lowess (frac {frac:.2f})",
            )
        )
    fig.add_hline(y=0.0, line={"color": "#777777", "dash": "dash", "width": 1})
    beta = coef
    if beta is None and cox is not None:
        beta = next((t.coef for t in cox.terms if t.term == term), None)
    if beta is not None and np.isfinite(beta):
        fig.add_hline(y=float(beta), line={"color": "black", "dash": "dot", "width": 1.5})
    label = []
    for r in getattr(ph, "rows", ()):
        if getattr(r, "term", None) == term:
            label.append(f"PH test {format_p(r.p_value)}")
    if label:
        fig.add_annotation(
            text=label[0],
            xref="paper",
            yref="paper",
            x=1.0,
            y=1.0,
            xanchor="right",
            yanchor="top",
            showarrow=False,
        )
    fig.update_layout(
        template=template(style),
        xaxis={"title": {"text": "Time (Kaplan-Meier transformed)"}},
        yaxis={"title": {"text": f"β(t) for {esc(term)}"}},
        showlegend=True,
        title={"text": esc(title)} if title else None,
    )
    _add_caption(fig, None, [note] if note else [], s)
    return fig


def _ph_terms(ph: PHTest) -> tuple[str, ...]:
    for attr in ("terms", "term_names", "names"):
        value = getattr(ph, attr, None)
        if value is not None:
            return tuple(str(v) for v in value)
    return tuple(str(r.term) for r in ph.rows if str(r.term) != "GLOBAL")


# --------------------------------------------------------------------------------------------
# Response
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
