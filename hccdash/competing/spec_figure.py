"""The CIF figure of one cause on the one figure specification (slide and journal presets).

:func:`cif_spec_figure` draws the Aalen-Johansen cumulative incidence of one cause per group
with the layout engine of the Kaplan-Meier figure (:func:`hccdash.plotting.km.km_figure` with
``kind="cif"``): every :class:`~hccdash.plotting.spec.FigureSpec` option (size preset, texts,
group labels, palette, %, axis end and breaks, risk table, CI band, caption) applies, and the
text sizes of the preset (>= 22 px on slides, >= 7 pt on journal presets) hold.

It takes computed results only: a :class:`~hccdash.competing.cuminc.CumIncResult`, the numbers
at risk of :func:`cif_risk_table` and optionally the Gray test. The curves are handed to the
KM layout as their complements (``surv = 1 - CIF``, bounds swapped), which the layout turns
back into the CIF when ``kind == "cif"``; no number is re-estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from hccdash.competing.counts import CauseCounts
from hccdash.competing.cuminc import CumIncResult
from hccdash.competing.data import Prepared, code_label
from hccdash.nonparametric import KMResult, RiskTable, SurvCurve
from hccdash.plotting.common import format_p
from hccdash.plotting.km import km_figure, km_ticks, level_style
from hccdash.plotting.spec import FigureSpec

__all__ = ["cif_as_km", "cif_caption", "cif_risk_table", "cif_spec_figure", "cif_ticks"]


def cif_as_km(result: CumIncResult, cause: object) -> KMResult:
    """The CIF curves of ``cause`` in the KM result shape the figure layout reads.

    ``surv`` is ``1 - est`` and the CI bounds are ``1 - upper`` / ``1 - lower``, so the
    layout's ``kind="cif"`` (``1 - surv``) draws exactly ``est``, ``lower`` and ``upper``.
    ``n_risk`` and ``n_censor`` are not known at the jump points of a CIF: they are zero
    (censor marks are not drawn on a CIF).

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import cuminc
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]})
    >>> km = cif_as_km(cuminc(df, "t", "s"), 1)
    >>> [round(float(1 - v), 3) for v in km.curves[0].surv]
    [0.25, 0.75, 0.75]
    """
    cause = code_label(cause)
    grouped = len(result.groups) > 1
    curves = []
    for c in (c for c in result.curves if c.cause == cause):
        t = np.asarray(c.time, dtype=float)
        keep = t > 0  # the layout starts every curve at (0, 0) itself
        t = t[keep]
        zeros = np.zeros(t.size)
        curves.append(
            SurvCurve(
                group=str(c.group) if grouped else None,
                n=c.n,
                events=c.n_event,
                time=t,
                n_risk=zeros,
                n_event=zeros,
                n_censor=zeros,
                surv=1.0 - np.asarray(c.est, dtype=float)[keep],
                std_err=np.sqrt(np.asarray(c.var, dtype=float)[keep]),
                lower=1.0 - np.asarray(c.upper, dtype=float)[keep],
                upper=1.0 - np.asarray(c.lower, dtype=float)[keep],
                conf_type=c.conf_type,
                conf_level=c.conf_level,
            )
        )
    n_event = sum(c.events for c in curves)
    return KMResult(
        curves=tuple(curves),
        group="group" if grouped else None,
        n=result.n,
        events=n_event,
        dropped=result.dropped,
        conf_type=result.conf_type,
        conf_level=result.conf_level,
    )


def cif_ticks(
    result: CumIncResult, cause: object, spec: FigureSpec, *, data_unit: str = "months"
) -> np.ndarray:
    """Tick (and risk-table) times in data units for the CIF figures of ``result``: spaced so
    that the table's widest cell, ``n (events of each cause, censored)``, fits."""
    digits = "8" * max(1, len(f"{result.n:,}"))
    cell = f"{digits} ({', '.join([digits] * (len(result.causes) + 1))})"
    return km_ticks(
        cif_as_km(result, cause), replace(spec, kind="cif"), data_unit=data_unit, cell=cell
    )


def cif_risk_table(
    prepared: Prepared, times: Sequence[float] | np.ndarray, cause: object
) -> RiskTable:
    """Numbers at risk (time >= t), cumulative events of ``cause`` and cumulative censored
    (time <= t) per group, in the KMunicate table shape of the figure.

    Competing events are neither: at risk falls by them without a count in the brackets.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import prepare
    >>> p = prepare(pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]}), "t", "s")
    >>> r = cif_risk_table(p, [0, 2, 4], 1)
    >>> r.n_risk.tolist(), r.n_event.tolist(), r.n_censor.tolist()
    ([[4, 3, 1]], [[0, 1, 2]], [[0, 0, 1]])
    """
    cause = code_label(cause)
    ts = np.sort(np.asarray(times, dtype=float).ravel())
    risk, ev, ce = [], [], []
    for gi in range(len(prepared.group_levels)):
        m = prepared.group == gi
        tg, sg = prepared.time[m], prepared.status[m]
        risk.append([int((tg >= x).sum()) for x in ts])
        ev.append([int(((tg <= x) & (sg == cause)).sum()) for x in ts])
        cg = prepared.censored[m]
        ce.append([int(((tg <= x) & cg).sum()) for x in ts])
    grouped = len(prepared.group_levels) > 1
    groups = tuple(str(g) for g in prepared.group_levels) if grouped else (None,)
    shape = (len(groups), ts.size)
    return RiskTable(
        times=ts,
        groups=groups,
        n_risk=np.array(risk, dtype=np.int64).reshape(shape),
        n_event=np.array(ev, dtype=np.int64).reshape(shape),
        n_censor=np.array(ce, dtype=np.int64).reshape(shape),
    )


@dataclass(frozen=True)
class _TestLabel:
    """What the figure's test line reads (``method`` and ``p_value``, as a survdiff result)."""

    method: str
    p_value: float


CONF_NAMES = {"log-log": "log(−log)", "log": "log", "plain": "plain"}


def cif_caption(result: CumIncResult, cause: object, *, filters: str | None = None) -> str:
    """The methods caption under the CIF figure: filters, n, events, competing, CI, test."""
    cause = code_label(cause)
    n_ev = sum(c.n_event for c in result.curves if c.cause == cause)
    others = [
        f"{result.codes.name(k)} {sum(c.n_event for c in result.curves if c.cause == k)}"
        for k in result.causes
        if k != cause
    ]
    parts = [f"Filters: {filters}."] if filters else []
    parts.append(
        f"n = {result.n} patients, {n_ev} {result.codes.name(cause)} events"
        + (f"; competing: {', '.join(others)}" if others else "")
        + "."
    )
    parts.append(
        f"Aalen-Johansen cumulative incidence with {round(100 * result.conf_level)}% pointwise "
        f"CI ({CONF_NAMES.get(result.conf_type, result.conf_type)} transform, variance of "
        "cmprsk::cuminc); under the plot the number at risk and the cumulative counts named in "
        "the table's header."
    )
    if result.tests and cause in result.causes:
        t = result.test(cause)
        parts.append(f"Gray's test: chi-square = {t.stat:.2f}, df = {t.df}, {format_p(t.p_value)}.")
    return " ".join(parts)


def cif_spec_figure(
    result: CumIncResult,
    cause: object,
    spec: FigureSpec | None = None,
    *,
    risk: RiskTable | None = None,
    levels: Sequence[object] | None = None,
    default_title: str | None = None,
    default_legend_title: str | None = None,
    data_unit: str = "months",
    filters: str | None = None,
    width: float | None = None,
    counts: CauseCounts | None = None,
) -> go.Figure:
    """The cumulative incidence of ``cause`` per group, laid out for ``spec.preset``.

    Parameters
    ----------
    result : CumIncResult
        From :func:`hccdash.competing.cuminc` (R ``cmprsk::cuminc``).
    cause : object
        The cause drawn (a code of ``result.causes``).
    spec : FigureSpec, optional
        Every display choice (its ``kind`` is taken as ``"cif"``).
    risk : RiskTable, optional
        From :func:`cif_risk_table` at :func:`cif_ticks`; without it no table is drawn.
    levels : sequence, optional
        The factor's full level order (fixed colours).
    default_title, default_legend_title : str, optional
        Texts where the spec says ``None``.
    data_unit : str
        Unit of the result's times.
    filters : str, optional
        The filters in words, for the caption.
    width : float, optional
        Canvas width for the "screen" preset.
    counts : CauseCounts, optional
        From :func:`hccdash.competing.counts.cause_counts` at :func:`cif_ticks`: the table
        shows the number at risk with the cumulative events of *every* cause and the censored
        (in place of ``risk``'s events of this cause only).

    Returns
    -------
    plotly.graph_objects.Figure
        Sized for the preset; the Gray test (``spec.show_test``) in the annotation band.
    """
    spec = replace(spec or FigureSpec(kind="cif"), kind="cif", censor="none", median_lines=False)
    cause = code_label(cause)
    km = cif_as_km(result, cause)
    name = result.codes.name(cause)
    test = None
    if result.tests and cause in result.causes:
        test = _TestLabel("Gray's test", result.test(cause).p_value)
    if spec.ylabel is None:
        spec = replace(spec, ylabel="Cumulative incidence" + (" (%)" if spec.y_percent else ""))
    table = None
    if counts is not None and spec.risk_table != "none":
        from hccdash.competing.spec_views import counts_table

        grouped = len(result.groups) > 1
        order = [str(v) for v in (levels or result.groups)]
        colors = [level_style(spec, g, order, True)[0] for g in counts.groups] if grouped else None
        table = counts_table(counts, spec, colors=colors, width=width)
    return km_figure(
        km,
        spec,
        risk=risk,
        test=test,
        caption=cif_caption(result, cause, filters=filters),
        levels=levels,
        default_title=default_title or f"Cumulative incidence of {name}",
        default_legend_title=default_legend_title,
        data_unit=data_unit,
        width=width,
        table=table,
    )
