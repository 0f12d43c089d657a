"""From a cohort, an endpoint, a grouping and a FigureSpec to the figure: one path for all.

The KM page, ``python -m hccdash figure km`` and the ZIP export call these functions, so they
agree on every rule that is not a display choice: the reference level of the HR (the spec's,
else the factor's first level), the HR direction (each level vs that reference), colours (the
factor's full level order), default texts (endpoint name as title, variable label as legend
title). The statistics are calls into :mod:`hccdash.nonparametric`, :mod:`hccdash.compare`
and :mod:`hccdash.cox`; the page passes its cached results in, the CLI computes them here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from hccdash.errors import HccdashError
from hccdash.plotting.common import hr_block
from hccdash.plotting.km import km_caption, km_figure, km_ticks
from hccdash.plotting.spec import FigureSpec

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from hccdash.compare import SurvdiffResult
    from hccdash.cox import CoxResult
    from hccdash.nonparametric import KMResult
    from hccdash.schema import Endpoint, Factor


def reference_level(spec: FigureSpec, levels: Sequence[str]) -> str | None:
    """The HR reference: ``spec.reference`` when it is one of ``levels``, else the first."""
    if not levels:
        return None
    return spec.reference if spec.reference in levels else levels[0]


def hr_levels(levels: Sequence[str], reference: str | None) -> tuple[str, ...]:
    """Levels with the reference first: the order a one-factor Cox model is fitted in."""
    return tuple([reference, *[v for v in levels if v != reference]]) if reference else ()


@dataclass(frozen=True)
class KMInputs:
    """The computed results a KM figure is drawn from (all from the analysis modules)."""

    km: KMResult
    test: SurvdiffResult | None
    cox: CoxResult | None
    reference: str | None
    messages: tuple[str, ...] = ()


def km_inputs(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str | None,
    levels: Sequence[str] | None,
    spec: FigureSpec,
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    kaplan_meier: Callable | None = None,
    survdiff: Callable | None = None,
    cox_fit: Callable | None = None,
) -> KMInputs:
    """Kaplan-Meier, the test and the one-factor Cox model of ``group`` with the spec's reference.

    ``kaplan_meier``, ``survdiff`` and ``cox_fit`` default to the analysis functions; the page
    passes its cached wrappers (same arguments, same results).
    """
    from hccdash import compare, cox, nonparametric

    lv = tuple(levels) if levels else None
    if kaplan_meier is None:
        km = nonparametric.kaplan_meier(
            data, time, event, group, conf_type=conf_type, conf_level=conf_level, levels=lv
        )
    else:
        km = kaplan_meier(data, time, event, group, conf_type, conf_level, lv)
    present = tuple(c.group for c in km.curves if c.group is not None)
    messages: list[str] = []
    test = fit = None
    reference = reference_level(spec, present) if group is not None else None
    if group is not None and len(present) >= 2:
        try:
            if survdiff is None:
                test = compare.survdiff(
                    data, time, event, group, method=method, p=p, q=q, levels=lv
                )
            else:
                test = survdiff(data, time, event, group, method, p, q, lv)
        except HccdashError as exc:
            messages.append(f"No test: {exc}")
        ref = {group: reference}
        try:
            if cox_fit is None:
                fit = cox.cox_fit(data, time, event, [group], reference=ref, categorical=[group])
            else:
                fit = cox_fit(data, time, event, (group,), "efron", ref, (group,))
        except (HccdashError, ImportError) as exc:
            if isinstance(exc, ImportError) and not (exc.name or "").startswith("hccdash"):
                raise
            messages.append(f"No hazard ratio: {exc}")
    return KMInputs(km, test, fit, reference, tuple(messages))


def km_view_figure(
    inputs: KMInputs,
    spec: FigureSpec,
    *,
    endpoint: Endpoint,
    legend_label: str | None,
    color_levels: Sequence[str] | None,
    filters: str | None = None,
    width: float | None = None,
) -> go.Figure:
    """The KM figure of ``inputs`` as the page, the CLI and the ZIP draw it."""
    from hccdash.nonparametric import median_table, risk_table

    km = inputs.km
    unit = spec.time_unit or endpoint.unit
    risk = None
    if spec.risk_table != "none":
        risk = risk_table(km, km_ticks(km, spec, data_unit=endpoint.unit, width=width))
    medians = median_table(km) if spec.median_lines else None
    caption = km_caption(km, test=inputs.test, filters=filters, time_unit=unit, censor=spec.censor)
    return km_figure(
        km,
        spec,
        risk=risk,
        test=inputs.test,
        hr=hr_block(inputs.cox, spec.label_for) if inputs.cox is not None else None,
        medians=medians,
        caption=caption,
        levels=color_levels,
        default_title=endpoint.label,
        default_legend_title=legend_label,
        default_ylabel=endpoint.label,
        data_unit=endpoint.unit,
        width=width,
    )


def factor_for(factors: Sequence[Factor], column: str | None) -> Factor | None:
    """The cohort's Factor of ``column`` (label, level order), or a plain one."""
    from hccdash.schema import Factor

    if column is None:
        return None
    for f in factors:
        if f.column == column and f.cut is None:
            return f
    return Factor(column, column)


def grouped_frame(
    data: pd.DataFrame, factor: Factor | None, full: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, str | None, tuple[str, ...] | None, tuple[str, ...] | None, str]:
    """``data`` with the factor's level column, the column, present and full level orders,
    and the label (the legend title). ``full`` (the unfiltered cohort) fixes the colours."""
    if factor is None:
        return data, None, None, None, "all patients"
    name = factor.label if factor.cut is None else f"{factor.label} (cut at {factor.cut:g})"
    derived = data.assign(**{name: factor.values(data)})
    full_levels = factor.level_order(full if full is not None else data)
    present = set(factor.level_order(data))
    levels = tuple(v for v in full_levels if v in present)
    return derived, name, levels, full_levels, name
