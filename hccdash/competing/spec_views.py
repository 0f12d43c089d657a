"""The stacked CIF and the 1 − KM vs CIF overlay on the one figure specification.

Both are drawn by the layout engine of the Kaplan-Meier figure
(:func:`hccdash.plotting.km.km_figure`, ``kind="cif"``), so every
:class:`~hccdash.plotting.spec.FigureSpec` option (size preset, texts, labels and colours,
%, axis end and breaks, caption) and the preset's text sizes hold, and the exports are
:func:`hccdash.export.preset_figure_bytes` of the figure, as for the KM figure.

They take computed results only: a :class:`~hccdash.competing.counts.StackedCIF` or a
:class:`~hccdash.competing.cuminc.CumIncResult` with the :class:`~hccdash.nonparametric.KMResult`
of the cause-specific event (competing events censored), and the
:class:`~hccdash.competing.counts.CauseCounts` of the table: numbers at risk and cumulative
events of every cause under the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go

from hccdash.competing.counts import CauseCounts, StackedCIF
from hccdash.competing.cuminc import CumIncResult
from hccdash.competing.data import code_label
from hccdash.competing.spec_figure import CONF_NAMES, cif_as_km
from hccdash.nonparametric import KMResult, SurvCurve
from hccdash.plotting.common import rgba
from hccdash.plotting.km import km_figure, level_style
from hccdash.plotting.km_parts import FigureTable, TableRow
from hccdash.plotting.layout import text_width
from hccdash.plotting.spec import FigureSpec
from hccdash.style import OVERALL_COLOR, size_preset

__all__ = [
    "CIF_SUFFIX",
    "KM_SUFFIX",
    "counts_table",
    "km_vs_cif_spec_figure",
    "stacked_spec_figure",
]

# legend entries: short per group (the caption says what each is), whole without groups
CIF_SUFFIX, KM_SUFFIX = "CIF", "1 − KM"
CIF_ALONE, KM_ALONE = "CIF (Aalen-Johansen)", "1 − KM (competing events censored)"


def _cells(counts: CauseCounts, gi: int, kmun: bool) -> tuple[str, ...]:
    out = []
    for j in range(counts.times.size):
        n = f"{int(counts.n_risk[gi, j]):,}"
        if kmun:
            inner = [f"{int(counts.n_event[gi, k, j]):,}" for k in range(len(counts.causes))]
            n += f" ({', '.join([*inner, f'{int(counts.n_censor[gi, j]):,}'])})"
        out.append(n)
    return tuple(out)


def counts_table(
    counts: CauseCounts,
    spec: FigureSpec,
    *,
    colors: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    width: float | None = None,
) -> FigureTable:
    """One row per group: ``at risk (cumulative events of each cause, censored)`` when
    ``spec.risk_table == "kmunicate"``, else the number at risk; the header names the causes.
    Where such cells do not fit side by side (a journal column), each count gets its own row.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import prepare
    >>> from hccdash.competing.counts import cause_counts
    >>> p = prepare(pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]}), "t", "s")
    >>> t = counts_table(cause_counts(p, [0, 2], (1, 2), ["Relapse", "Death"]), FigureSpec())
    >>> t.header, t.rows[0].values
    ('Number at risk (Relapse, Death, censored)', ('4 (0, 0, 0)', '3 (1, 1, 0)'))
    """
    kmun = spec.risk_table == "kmunicate"
    single = len(counts.groups) == 1
    rows = []
    cells = [_cells(counts, gi, kmun) for gi in range(len(counts.groups))]
    if kmun and not _fits(cells, spec, width):
        # too narrow for "n (a, b, c)" cells side by side (a journal column): a row per count
        return _count_rows(counts, spec, colors, labels)
    for gi, group in enumerate(counts.groups):
        label = labels[gi] if labels else ("All patients" if single else spec.label_for(group))
        color = colors[gi] if colors else OVERALL_COLOR
        rows.append(TableRow(label, color, cells[gi]))
    header = "Number at risk"
    if kmun:
        header += f" ({', '.join([*counts.cause_names, 'censored'])})"
    return FigureTable(counts.times, header, tuple(rows))


def _fits(cells: list[tuple[str, ...]], spec: FigureSpec, width: float | None) -> bool:
    """Whether the widest cell fits once per column in the plot's width (about 70 % of the
    canvas), at the preset's table text size."""
    s = size_preset(spec.preset)
    widest = max((text_width(c, s.small_size) for row in cells for c in row), default=0.0)
    n = max((len(row) for row in cells), default=0)
    return n * (widest + 0.8 * s.small_size) <= 0.7 * float(width or s.width)


def _count_rows(counts, spec, colors, labels) -> FigureTable:
    """Per group: its at-risk row (labelled by the group), then a row per cause and the
    censored, in the group's colour."""
    single = len(counts.groups) == 1
    rows = []
    for gi, group in enumerate(counts.groups):
        color = colors[gi] if colors else OVERALL_COLOR
        name = labels[gi] if labels else ("At risk" if single else spec.label_for(group))
        rows.append(TableRow(name, color, _cells(counts, gi, False)))
        for k, cause in enumerate(counts.cause_names):
            vals = tuple(f"{int(v):,}" for v in counts.n_event[gi, k])
            rows.append(TableRow(cause, color, vals))
        vals = tuple(f"{int(v):,}" for v in counts.n_censor[gi])
        rows.append(TableRow("Censored", color, vals))
    head = "Number at risk, then cumulative events of each type and censored"
    return FigureTable(counts.times, head, tuple(rows))


def _stacked_rows(counts: CauseCounts, gi: int, spec: FigureSpec, colors: list[str]):
    """The stacked figure's table (one group): at risk, then each cause's cumulative events
    in its band's colour, then the censored (KMunicate)."""
    rows = [TableRow("At risk", OVERALL_COLOR, _cells(counts, gi, False))]
    if spec.risk_table == "kmunicate":
        for k, name in enumerate(counts.cause_names):
            vals = tuple(f"{int(v):,}" for v in counts.n_event[gi, k])
            rows.append(TableRow(spec.label_for(name), colors[k], vals))
        rows.append(
            TableRow("Censored", OVERALL_COLOR, tuple(f"{int(v):,}" for v in counts.n_censor[gi]))
        )
    header = "Number at risk and cumulative events" if len(rows) > 1 else "Number at risk"
    return FigureTable(counts.times, header, tuple(rows))


def stacked_spec_figure(
    stacked: StackedCIF,
    spec: FigureSpec | None = None,
    *,
    counts: CauseCounts | None = None,
    default_title: str | None = None,
    data_unit: str = "months",
    filters: str | None = None,
    width: float | None = None,
) -> go.Figure:
    """The causes' CIFs of one group stacked: each band's height is that cause's CIF, the top
    edge 1 − the all-cause KM, the space above the probability of being event-free.

    ``spec.group_labels`` and ``spec.colors`` apply to the causes (by name); CI bands are not
    drawn (a stacked band has none). ``counts`` (:func:`~hccdash.competing.cause_counts`, at
    :func:`~hccdash.competing.spec_figure.cif_ticks`) is drawn under the plot.
    """
    spec = replace(
        spec or FigureSpec(kind="cif"), kind="cif", censor="none", median_lines=False, ci="off"
    )
    names = list(stacked.cause_names)
    keep = stacked.time > 0
    t = stacked.time[keep]
    curves = []
    for k, name in enumerate(names):
        top = stacked.top[k][keep]
        zeros = np.zeros(t.size)
        curves.append(
            SurvCurve(
                group=name, n=stacked.n, events=stacked.n_event[k], time=t, n_risk=zeros,
                n_event=zeros, n_censor=zeros, surv=1.0 - top, std_err=zeros,
                lower=1.0 - top, upper=1.0 - top, conf_type="none", conf_level=0.95,
            )
        )  # fmt: skip
    km = KMResult(
        curves=tuple(curves), group="cause", n=stacked.n, events=sum(stacked.n_event),
        dropped=0, conf_type="none", conf_level=0.95,
    )  # fmt: skip
    colors = [level_style(spec, name, names, True)[0] for name in names]
    table = None
    gi = counts.groups.index(stacked.group) if counts is not None else 0
    if counts is not None and spec.risk_table != "none":
        table = _stacked_rows(counts, gi, spec, colors)
    if spec.ylabel is None:
        spec = replace(spec, ylabel="Cumulative incidence" + (" (%)" if spec.y_percent else ""))
    who = "all patients" if stacked.group == "all" else spec.label_for(stacked.group)
    caption = ([f"Filters: {filters}."] if filters else []) + [
        f"{who}: n = {stacked.n}; "
        + ", ".join(f"{n} {e}" for n, e in zip(names, stacked.n_event, strict=True))
        + ".",
        "Aalen-Johansen cumulative incidences stacked: each band is one event type's "
        "incidence, their sum 1 − the Kaplan-Meier estimate of any event; the white area "
        "above is the probability of being event-free.",
    ]
    fig = km_figure(
        km, spec, caption=" ".join(caption), levels=names, data_unit=data_unit, width=width,
        default_title=default_title or f"Cumulative incidence by event type (stacked): {who}",
        default_legend_title="Event type", table=table,
    )  # fmt: skip
    lines = [tr for tr in fig.data if tr.mode == "lines" and tr.showlegend]
    for k, tr in enumerate(lines):
        tr.fill = "tozeroy" if k == 0 else "tonexty"
        tr.fillcolor = rgba(colors[k] if colors[k].startswith("#") else "#000000", 0.45)
        tr.hovertemplate = f"{tr.name} (stacked)<br>Time %{{x:.2f}}<br>%{{y:.3f}}<extra></extra>"
    return fig


def km_vs_cif_spec_figure(
    result: CumIncResult,
    km: KMResult,
    cause: object,
    spec: FigureSpec | None = None,
    *,
    counts: CauseCounts | None = None,
    levels: Sequence[object] | None = None,
    default_title: str | None = None,
    default_legend_title: str | None = None,
    data_unit: str = "months",
    filters: str | None = None,
    width: float | None = None,
) -> go.Figure:
    """1 − Kaplan-Meier (dashed; competing events censored) against the Aalen-Johansen CIF
    (solid) of ``cause``, per group in the group's colour: the gap is 1 − KM's bias.

    ``km`` is :func:`hccdash.nonparametric.kaplan_meier` of the cause-specific event with the
    same groups (curve ``group`` = the level, ``None`` without groups).
    """
    spec = replace(spec or FigureSpec(kind="cif"), kind="cif", censor="none", median_lines=False)
    cause = code_label(cause)
    cif = cif_as_km(result, cause)
    grouped = len(result.groups) > 1
    kms = {(c.group if grouped else None): c for c in km.curves}
    order = [str(v) for v in (levels or result.groups)]
    curves, colors, dashed = [], {}, []
    for c in cif.curves:
        color = level_style(spec, c.group, order, grouped)[0] if grouped else OVERALL_COLOR
        if grouped:
            a, b = (f"{spec.label_for(c.group)}: {x}" for x in (CIF_SUFFIX, KM_SUFFIX))
        else:
            a, b = CIF_ALONE, KM_ALONE
        curves.append(replace(c, group=a))
        colors[a] = colors[b] = color
        k = kms.get(c.group)
        if k is not None:
            curves.append(replace(k, group=b))
            dashed.append(b)
    both = KMResult(
        curves=tuple(curves), group="curve", n=result.n, events=cif.events,
        dropped=result.dropped, conf_type=result.conf_type, conf_level=result.conf_level,
    )  # fmt: skip
    table = None
    if counts is not None and spec.risk_table != "none":
        row_colors = None
        if grouped:
            row_colors = [colors[f"{spec.label_for(g)}: {CIF_SUFFIX}"] for g in counts.groups]
        table = counts_table(counts, spec, colors=row_colors, width=width)
    name = result.codes.name(cause)
    if spec.ylabel is None:
        spec = replace(spec, ylabel=f"Probability of {name}" + (" (%)" if spec.y_percent else ""))
    draw = replace(spec, colors=tuple(colors.items()), group_labels=())
    n_ev = sum(c.n_event for c in result.curves if c.cause == cause)
    caption = ([f"Filters: {filters}."] if filters else []) + [
        f"n = {result.n} patients, {n_ev} {name} events.",
        f"Solid: Aalen-Johansen cumulative incidence of {name} (other event types compete; "
        f"{CONF_NAMES.get(result.conf_type, result.conf_type)} CI, variance of "
        "cmprsk::cuminc). Dashed: 1 − Kaplan-Meier with the other event types censored, which "
        "overstates the incidence when they occur.",
    ]
    fig = km_figure(
        both, draw, caption=" ".join(caption), levels=list(colors), data_unit=data_unit,
        default_title=default_title or f"{name}: 1 − Kaplan-Meier vs cumulative incidence",
        default_legend_title=default_legend_title, width=width, table=table,
    )  # fmt: skip
    for tr in fig.data:
        if tr.mode == "lines" and tr.showlegend and tr.legendgroup[1:] in dashed:
            tr.line.dash = "dash"
    return fig
