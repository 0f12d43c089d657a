"""Helpers shared by every figure: escaping, p values, thinning, axis steps, HR text."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np

from hccdash.codebook import TO_MONTHS
from hccdash.compare import METHOD_NAMES

if TYPE_CHECKING:
    from hccdash.cox import CoxResult

# A drawn step curve (and its CI band) is within this distance of the exact one in S.
STEP_TOLERANCE = 0.001
# Censor marks drawn per curve at most; beyond this an evenly spaced subset is shown.
MAX_CENSOR_MARKS = 400
# Schoenfeld residual points drawn at most (a fixed-seed random subset beyond this).
MAX_SCATTER_POINTS = 4000

TEST_NAMES = METHOD_NAMES  # the one registry (hccdash.compare)
CONF_TYPE_NAMES = {
    "log-log": "log-log (R default for survminer; Kalbfleisch-Prentice)",
    "log": "log (R survfit default)",
    "plain": "plain (linear)",
}
TIME_DIVISOR = TO_MONTHS  # months per unit: the one table (hccdash.codebook)


def set_layout(fig, layout: dict) -> None:
    """``fig.update_layout(layout)`` for a figure built from scratch, in one assignment.

    ``update_layout`` on a figure walks plotly's relayout machinery property path by property
    path (about 15 ms of a Kaplan-Meier figure's 35 ms); assigning the whole layout validates
    it once and gives the same figure (same ``to_plotly_json()``). Shapes added before (median
    lines) are kept; a figure whose layout already holds anything else is updated as before.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> a, b = go.Figure(), go.Figure()
    >>> for f in (a, b):
    ...     _ = f.add_shape(type="line", x0=0, x1=1, y0=0, y1=1)
    >>> _ = a.update_layout({"title": {"text": "t"}, "xaxis": {"range": [0, 2]}})
    >>> set_layout(b, {"title": {"text": "t"}, "xaxis": {"range": [0, 2]}})
    >>> a.to_plotly_json() == b.to_plotly_json()
    True
    """
    current = fig.layout.to_plotly_json()
    current.pop("template", None)
    if set(current) - {"shapes"} or ("shapes" in current and "shapes" in layout):
        fig.update_layout(layout)
        return
    full = dict(layout)
    if "shapes" in current:
        full["shapes"] = current["shapes"]
    fig.layout = full


def esc(text: object) -> str:
    """Escape a data-derived string for plotly text (which understands a few HTML tags)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_p(p: float | None) -> str:
    """``p = 0.012``, ``p < 0.001``; ``p = NA`` when missing.

    A thin alias of :func:`hccdash.report.fmt.format_p` (the one home of p-value formatting,
    journal style), kept so existing callers keep working.
    """
    from hccdash.report.fmt import DASH
    from hccdash.report.fmt import format_p as journal_p

    text = journal_p(p)
    if text == DASH:
        return "p = NA"
    return f"p {text[0]} {text[1:]}" if text[0] in "<>" else f"p = {text}"


def wrap_text(text: str, width: int) -> str:
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


def fmt_time(t: float) -> str:
    return f"{t:g}"


def hr_text(cox: CoxResult) -> str | None:
    """The two-group hazard ratio annotation of a one-term Cox model, or None without terms.

    ``"HR 3.00 (95% CI 0.78–11.51), B vs A"``; when separation makes the ratio
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


def hr_lines(cox: CoxResult) -> tuple[str, ...]:
    """One ``hr_text`` line per level of a one-factor Cox model: each level vs the reference.

    The single rule of the KM page, the CLI and the exports: the hazard ratio of every level
    against the reference level the model was fitted with (the cohort's first level unless
    the user chose another), so the text names the same reference as the page's table.
    """
    if not cox.terms:
        return ()
    ci = f"{round(100 * cox.conf_level)}% CI"
    out = []
    for t in cox.terms:
        vs = f"{t.level} vs {t.reference}" if t.level is not None else t.term
        if cox.separation or not np.isfinite(t.upper):
            out.append(f"HR not estimable ({vs}: no events in one group)")
        else:
            out.append(f"HR {t.hr:.2f} ({ci} {t.lower:.2f}–{t.upper:.2f}), {vs}")
    return tuple(out)


def rgba(hex_color: str, alpha: float) -> str:
    """``#RRGGBB`` -> ``rgba(r,g,b,alpha)``."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def hr_block(cox: CoxResult, label=str) -> tuple[str, ...]:
    """The HR annotation of a one-factor Cox model: each level vs the reference.

    Two groups: one line, ``"HR 2.92 (95% CI 1.00–8.49), B vs A"``. Three or more:
    a header naming the reference, ``"HR (95% CI) vs A"``, then one short line per
    level, ``"B: 2.92 (1.00–8.49)"``, so long level names are not repeated. ``label`` maps
    a level to its display label (the figure's group labels).
    """
    terms = [t for t in cox.terms if t.level is not None]
    if len(terms) < 2 or len({t.reference for t in terms}) != 1:
        lines = hr_lines(cox)
        if len(terms) == 1:
            t = terms[0]
            old = f"{t.level} vs {t.reference}"
            lines = tuple(
                x.replace(old, f"{label(t.level)} vs {label(t.reference)}") for x in lines
            )
        return lines
    ci = f"{round(100 * cox.conf_level)}% CI"
    out = [f"HR ({ci}) vs {label(terms[0].reference)}"]
    for t in terms:
        if cox.separation or not np.isfinite(t.upper):
            out.append(f"{label(t.level)}: not estimable")
        else:
            out.append(f"{label(t.level)}: {t.hr:.2f} ({t.lower:.2f}–{t.upper:.2f})")
    return tuple(out)
