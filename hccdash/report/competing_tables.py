"""Journal tables of the competing-risks page: landmark CIFs, Gray's tests, pairwise tests and
Fine-Gray beside the cause-specific Cox model, in the one table model (:class:`Table`).

Builders take computed results (:mod:`hccdash.competing`, :mod:`hccdash.cox`) and format them
with :mod:`hccdash.report.fmt`; they compute nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hccdash.report.fmt import DASH, format_hr_ci, format_pct_ci
from hccdash.report.fmt import format_p as _fmt_p
from hccdash.report.table import Row, Table, blank

if TYPE_CHECKING:
    from hccdash.competing.counts import CauseCounts
    from hccdash.competing.cuminc import CIFAt, CumIncResult
    from hccdash.competing.finegray import CrrResult
    from hccdash.competing.gray import PairwiseGray
    from hccdash.cox import CoxResult

__all__ = [
    "cif_landmark_model",
    "counts_model",
    "finegray_model",
    "gray_model",
    "pairwise_gray_model",
]

CONF_NAMES = {"log-log": "log(−log)", "log": "log", "plain": "plain"}


def cif_landmark_model(
    result: CumIncResult,
    at: Callable[[object, Sequence[float]], CIFAt],
    times: Sequence[float],
    *,
    unit: str = "months",
    group_label: str | None = None,
) -> Table:
    """Cumulative incidence (%) with CI at each landmark time: one header row per cause, its
    groups indented under it; ``—`` past a group's follow-up.

    ``at(curve, times)`` is :func:`hccdash.competing.cif_at` (R ``timepoints(cuminc, times)``).
    """
    times = [float(t) for t in times]
    columns = tuple(f"{t:g} {unit}" for t in times) or ("—",)
    grouped = len(result.groups) > 1
    rows, details = [], []
    for cause in result.causes:
        name = result.codes.name(cause)
        rows.append(Row("header", name, blank(len(columns))))
        for c in (c for c in result.curves if c.cause == cause):
            v = at(c, times)
            cells = tuple(
                DASH if np.isnan(v.est[i]) else format_pct_ci(v.est[i], v.lower[i], v.upper[i])
                for i in range(len(times))
            ) or (DASH,)
            rows.append(Row("level", str(c.group) if grouped else "All patients", cells))
            for i, t in enumerate(times):
                details.append(
                    {
                        "cause": name, "group": c.group, "time": t, "est": v.est[i],
                        "var": v.var[i], "lower": v.lower[i], "upper": v.upper[i],
                    }
                )  # fmt: skip
    notes = [
        f"Aalen-Johansen cumulative incidence (%) with {round(100 * result.conf_level)}% "
        f"pointwise CI ({CONF_NAMES.get(result.conf_type, result.conf_type)} transform, "
        "variance of cmprsk::cuminc; R timepoints(cuminc(...), times))."
    ]
    if grouped and group_label:
        notes.append(f"Groups: {group_label}.")
    return Table(
        key="cif_landmarks",
        title="Cumulative incidence at landmark times",
        stub="Event type",
        columns=columns,
        rows=tuple(rows),
        footnotes=tuple(notes),
        details=pd.DataFrame(details),
    )


def gray_model(
    result: CumIncResult, *, p_style: str = "journal", strata: str | None = None
) -> Table:
    """Gray's test per cause (R ``cuminc(...)$Tests``): chi-square, df, p."""
    rows = [
        Row(
            "single",
            result.codes.name(t.cause),
            (f"{t.stat:.2f}", str(int(t.df)), _fmt_p(t.p_value, p_style)),
        )
        for t in result.tests
    ]
    details = pd.DataFrame(
        [
            {"cause": result.codes.name(t.cause), "stat": t.stat, "df": t.df, "p_value": t.p_value}
            for t in result.tests
        ]
    )
    notes = ["Gray's test of equal cumulative incidence across groups (R cmprsk::cuminc)."]
    if strata:
        notes.append(f"Stratified by {strata}.")
    return Table(
        key="gray_test",
        title="Gray's test",
        stub="Event type",
        columns=("Chi-square", "df", "p"),
        rows=tuple(rows) or (Row("single", "—", (DASH, DASH, DASH)),),
        footnotes=tuple(notes),
        details=details,
    )


def pairwise_gray_model(pw: PairwiseGray, cause_name: str, *, p_style: str = "journal") -> Table:
    """Gray's test of one cause for each pair of groups, raw and adjusted p."""
    rows = [
        Row("single", f"{a} vs {b}", (f"{stat:.2f}", _fmt_p(p, p_style), _fmt_p(padj, p_style)))
        for a, b, stat, p, padj in pw.rows
    ]
    adjust = {"holm": "Holm", "BH": "Benjamini-Hochberg"}.get(pw.adjust, pw.adjust)
    return Table(
        key="gray_pairwise",
        title=f"{cause_name}: pairwise Gray's tests",
        stub="Comparison",
        columns=("Chi-square", "p", f"p ({adjust})"),
        rows=tuple(rows) or (Row("single", "—", (DASH, DASH, DASH)),),
        footnotes=(f"p values adjusted for multiple comparisons by the {adjust} method.",),
        details=pw.to_frame(),
    )


def finegray_model(
    fit: CrrResult,
    cox: CoxResult | None,
    *,
    labels: Mapping[str, str] | None = None,
    p_style: str = "journal",
) -> Table:
    """Fine-Gray subdistribution HRs beside the cause-specific Cox HRs, one row per term
    (a categorical covariate: a header row, its levels vs the reference indented)."""
    labels = dict(labels or {})
    cox_terms = {t.term: t for t in cox.terms} if cox is not None else {}
    rows: list[Row] = []
    seen: set[str] = set()
    details = []
    for t in fit.terms:
        c = cox_terms.get(t.term)
        cells = (
            format_hr_ci(t.shr, t.lower, t.upper),
            _fmt_p(t.p_value, p_style),
            DASH if c is None else format_hr_ci(c.hr, c.lower, c.upper),
            DASH if c is None else _fmt_p(c.p_value, p_style),
        )
        label = labels.get(t.covariate, t.covariate)
        if t.level is not None:
            if t.covariate not in seen:
                rows.append(Row("header", label, blank(4)))
                rows.append(Row("level", f"{t.reference} (reference)", ("1", "", "1", "")))
                seen.add(t.covariate)
            rows.append(Row("level", str(t.level), cells))
        else:
            rows.append(Row("single", label, cells))
        details.append(
            {
                "term": t.term, "coef": t.coef, "se": t.se, "sHR": t.shr, "sHR_lower": t.lower,
                "sHR_upper": t.upper, "p_value": t.p_value,
                "cs_coef": None if c is None else c.coef, "cs_se": None if c is None else c.se,
                "cs_HR": None if c is None else c.hr,
                "cs_p_value": None if c is None else c.p_value,
            }
        )  # fmt: skip
    ci = f"{round(100 * fit.conf_level)}% CI"
    notes = (
        f"{fit.cause_name}: {fit.n_event} events, {fit.n_competing} competing events, "
        f"{fit.n_censored} censored; n = {fit.n}"
        + (f" ({fit.dropped} with missing values left out)" if fit.dropped else "")
        + ".",
        "sHR: subdistribution hazard ratio, Fine-Gray model (R cmprsk::crr, sandwich SE). "
        "HR: cause-specific Cox model, competing events censored (Efron ties).",
    ) + (() if fit.converged else ("The Fine-Gray fit did not converge.",))
    return Table(
        key="fine_gray",
        title=f"{fit.cause_name}: Fine-Gray and cause-specific Cox regression",
        stub="Characteristic",
        columns=(f"sHR ({ci})", "p", f"HR ({ci})", "p"),
        spanners=(("Fine-Gray", 2), ("Cause-specific Cox", 2)),
        rows=tuple(rows) or (Row("single", "—", (DASH,) * 4),),
        footnotes=notes,
        details=pd.DataFrame(details),
    )


def counts_model(counts: CauseCounts, *, unit: str = "months") -> Table:
    """Numbers at risk and cumulative events of every cause and censored, per group, at the
    times of ``counts`` (:func:`hccdash.competing.counts.cause_counts`): one header row per
    group, its counts indented under it.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import prepare
    >>> from hccdash.competing.counts import cause_counts
    >>> p = prepare(pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]}), "t", "s")
    >>> m = counts_model(cause_counts(p, [0, 2], (1, 2), ["Relapse", "Death"]))
    >>> [(r.label, r.cells) for r in m.rows]  # doctest: +NORMALIZE_WHITESPACE
    [('At risk', ('4', '3')), ('Relapse (cumulative)', ('0', '1')),
     ('Death (cumulative)', ('0', '1')), ('Censored (cumulative)', ('0', '0'))]
    """
    columns = tuple(f"{t:g} {unit}" for t in counts.times) or ("—",)
    grouped = len(counts.groups) > 1
    rows, details = [], []
    for gi, group in enumerate(counts.groups):
        if grouped:
            rows.append(Row("header", str(group), blank(len(columns))))
        kind = "level" if grouped else "single"
        rows.append(Row(kind, "At risk", tuple(f"{int(v):,}" for v in counts.n_risk[gi])))
        for k, name in enumerate(counts.cause_names):
            cells = tuple(f"{int(v):,}" for v in counts.n_event[gi, k])
            rows.append(Row(kind, f"{name} (cumulative)", cells))
        cells = tuple(f"{int(v):,}" for v in counts.n_censor[gi])
        rows.append(Row(kind, "Censored (cumulative)", cells))
        for j, t in enumerate(counts.times):
            details.append(
                {
                    "group": group, "time": float(t), "n_risk": int(counts.n_risk[gi, j]),
                    **{f"events: {n}": int(counts.n_event[gi, k, j])
                       for k, n in enumerate(counts.cause_names)},
                    "censored": int(counts.n_censor[gi, j]),
                }
            )  # fmt: skip
    return Table(
        key="numbers_at_risk",
        title="Numbers at risk and cumulative events",
        stub="Group" if grouped else "All patients",
        columns=columns,
        rows=tuple(rows),
        footnotes=(
            f"At risk: follow-up time ≥ t; cumulative events of each type and censored: "
            f"time ≤ t (time in {unit}).",
        ),
        details=pd.DataFrame(details),
    )
