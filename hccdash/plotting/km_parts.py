"""Kaplan-Meier figure parts: time axis and ticks, step arrays, level styles, the caption."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hccdash.plotting.common import TEST_NAMES, TIME_DIVISOR, format_p, nice_step
from hccdash.plotting.layout import text_width
from hccdash.plotting.spec import FigureSpec
from hccdash.style import GREY_DASHES, GREYSCALE, OVERALL_COLOR, color_for, size_preset

if TYPE_CHECKING:
    from hccdash.compare import SurvdiffResult
    from hccdash.nonparametric import KMResult, SurvCurve


def time_factor(display_unit: str, data_unit: str = "months") -> float:
    """Divide data times by this to get display times (months -> years: 12).

    A unit that is not a time unit (a column named by the user, shown as it is) converts to
    itself only.
    """
    if display_unit == data_unit:
        return 1.0
    return TIME_DIVISOR[display_unit] / TIME_DIVISOR.get(data_unit, 1.0)


@dataclass(frozen=True)
class TableRow:
    """One row of the table under a figure: its label, colour and one text per column."""

    label: str
    color: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FigureTable:
    """The table under the plot: column times (data units), a header and the rows.

    The KM figure builds it from a :class:`~hccdash.nonparametric.RiskTable` (a row per
    curve); other figures pass their own rows (competing risks: number at risk and the
    cumulative events of every cause). Texts are formatted counts, computed elsewhere.
    """

    times: np.ndarray
    header: str
    rows: tuple[TableRow, ...]

    @property
    def widest(self) -> str:
        """The widest cell text (column spacing), at least four digits wide."""
        cells = [v for r in self.rows for v in r.values] or ["8888"]
        return max([*cells, "8888"], key=lambda v: text_width(v, 10))


def _cell_text(n: int, kmunicate: bool) -> str:
    digits = "8" * max(1, len(f"{n:,}"))
    return f"{digits} ({digits}, {digits})" if kmunicate else digits


def km_ticks(
    km: KMResult,
    spec: FigureSpec,
    *,
    data_unit: str = "months",
    width: float | None = None,
    cell: str | None = None,
) -> np.ndarray:
    """Tick times in DATA units for ``km`` drawn with ``spec`` (the risk-table columns).

    The tick interval is ``spec.x_break``, else a readable step chosen so that the risk table's
    cells (``18 (2, 1)``, or the widest ``cell`` text of another table) fit side by side at
    the preset's text size and width.
    """
    s = size_preset(spec.preset)
    unit = spec.time_unit or data_unit
    div = time_factor(unit, data_unit)
    horizon = _horizon(km, spec, div)
    if spec.x_break:
        step = float(spec.x_break)
    else:
        kmun = spec.risk_table == "kmunicate"
        if spec.risk_table == "none":  # only tick labels to fit
            cell_px = text_width("8888", s.font_size) + 1.5 * s.font_size
        else:
            proto = cell if cell is not None else _cell_text(km.n, kmun)
            cell_px = text_width(proto, s.small_size) + 0.8 * s.small_size
        plot_w = 0.72 * float(width or s.width)
        max_ticks = int(max(3, min(10, plot_w // cell_px)))
        step = nice_step(horizon, unit, max_ticks)
    ticks = np.arange(0.0, horizon + step * 1e-9, step)
    if len(ticks) > 200:  # a break far too small for the axis: keep it readable
        ticks = np.arange(0.0, horizon + 1e-9, nice_step(horizon, unit))
    return ticks * div


def _horizon(km: KMResult, spec: FigureSpec, div: float) -> float:
    if spec.x_max:
        return float(spec.x_max)
    mx = max((float(np.max(c.time)) / div for c in km.curves if len(c.time)), default=1.0)
    return max(mx, 1e-9)


def curve_arrays(curve: SurvCurve, divisor: float, horizon: float) -> dict[str, np.ndarray]:
    """Step arrays starting at (0, 1), cut at the horizon, in display time units."""
    t = np.asarray(curve.time, dtype=float) / divisor
    s = np.asarray(curve.surv, dtype=float)
    lo = np.asarray(curve.lower, dtype=float)
    up = np.asarray(curve.upper, dtype=float)
    nr = np.asarray(curve.n_risk, dtype=float)
    nc = np.asarray(curve.n_censor, dtype=float)
    inside = t <= horizon
    extend = bool(len(t) and t[-1] > horizon)
    t, s, lo, up, nr, nc = (a[inside] for a in (t, s, lo, up, nr, nc))
    out = {
        "time": np.concatenate([[0.0], t]),
        "surv": np.concatenate([[1.0], s]),
        "lower": np.concatenate([[1.0], lo]),
        "upper": np.concatenate([[1.0], up]),
        "n_risk": np.concatenate([[float(curve.n)], nr]),
        "n_censor": np.concatenate([[0.0], nc]),
    }
    if extend:
        for k in out:
            last = horizon if k == "time" else (0.0 if k == "n_censor" else out[k][-1])
            out[k] = np.append(out[k], last)
    return out


def _band(time: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A CI limit up to its first undefined value (R leaves it NA once S reaches 0)."""
    bad = ~np.isfinite(values)
    stop = int(np.argmax(bad)) if bad.any() else len(values)
    return time[:stop], values[:stop]


def level_style(
    spec: FigureSpec, level: object, levels: Sequence[object] | None, grouped: bool
) -> tuple[str, str]:
    """(colour, dash) of a level: the per-level override, else the palette position."""
    if not grouped:
        return spec.color_override(level) or OVERALL_COLOR, "solid"
    order = [str(v) for v in (levels or ())]
    i = order.index(str(level)) if str(level) in order else len(order)
    if spec.palette == "greyscale":
        base, dash = GREYSCALE[i % len(GREYSCALE)], GREY_DASHES[i % len(GREY_DASHES)]
    else:
        base, dash = color_for(level, levels), "solid"
    return spec.color_override(level) or base, dash


def _relabel(line: str, spec: FigureSpec) -> str:
    """HR text with levels renamed as in the legend (``B vs A``)."""
    if not spec.group_labels or " vs " not in line:
        return line
    head, _, tail = line.rpartition(", ")
    a, _, b = tail.partition(" vs ")
    if not b:
        return line
    return f"{head}, {spec.label_for(a)} vs {spec.label_for(b)}"


def km_caption(
    km: KMResult,
    *,
    test: SurvdiffResult | None = None,
    filters: str | None = None,
    time_unit: str = "months",
    censor: str = "+",
) -> str:
    """The caption written under a KM figure: filters, n, events, test and CI method."""
    parts = []
    if filters:
        parts.append(f"Filters: {filters}.")
    parts.append(
        f"n = {km.n} patients, {km.events} events"
        + (f" ({km.dropped} rows with missing time/event excluded)" if km.dropped else "")
        + "."
    )
    level = round(100 * km.conf_level)
    mark = {"+": "+ marks censored patients", "|": "ticks mark censored patients"}.get(censor)
    parts.append(
        f"Kaplan-Meier estimates with {level}% pointwise CI ({km.conf_type} transform, "
        f"Greenwood variance); time in {time_unit}" + (f"; {mark}." if mark else ".")
    )
    if test is not None:
        name = TEST_NAMES.get(test.method, test.method)
        parts.append(
            f"{name} test: chi-square = {test.chisq:.2f}, df = {test.df}, {format_p(test.p_value)}."
        )
    return " ".join(parts)


def _risk_rows(risk, km, spec, level_order, grouped: bool, kmun: bool) -> FigureTable:
    """The KM table: a row per curve, ``n at risk`` or KMunicate's ``n (events, censored)``."""
    rows = []
    for gi, curve in enumerate(km.curves):
        color, _ = level_style(spec, curve.group, level_order, grouped)
        nr, ne, nc = risk.n_risk[gi], risk.n_event[gi], risk.n_censor[gi]
        values = tuple(
            f"{int(nr[j]):,} ({int(ne[j]):,}, {int(nc[j]):,})" if kmun else f"{int(nr[j]):,}"
            for j in range(len(risk.times))
        )
        label = spec.label_for(curve.group) if grouped else "All patients"
        rows.append(TableRow(label, color, values))
    header = "Number at risk (events, censored)" if kmun else "Number at risk"
    return FigureTable(np.asarray(risk.times, dtype=float), header, tuple(rows))
