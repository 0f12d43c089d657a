"""Table models of the survival results: univariate Table 1, Cox side by side, KM tables.

Builders take results already computed (:mod:`hccdash.tables`, :mod:`hccdash.cox`,
:mod:`hccdash.nonparametric`) and only lay them out and format them; they compute nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash.compare import METHOD_NAMES
from hccdash.cox import CoxResult
from hccdash.nonparametric import LandmarkTable, MedianTable, RMSTTable
from hccdash.report.fmt import (
    DASH,
    NR,
    format_estimate_ci,
    format_hr_ci,
    format_p,
    format_pct_ci,
)
from hccdash.report.labels import Labels
from hccdash.report.table import Row, Table, blank, superscript
from hccdash.schema import Endpoint

__all__ = [
    "cox_merge_model",
    "landmark_model",
    "median_model",
    "rmst_model",
    "univariate_model",
]

# Footnote names: the registry's, "log-rank" in lower case mid-sentence.
TEST_NAMES = {k: f"{'log-rank' if k == 'logrank' else v} test" for k, v in METHOD_NAMES.items()}
NR_NOTE = "NR: not reached (the curve, or its confidence limit, did not fall to 50%)."


def _has_nr(rows: Sequence[Row]) -> bool:
    return any(NR in cell for r in rows for cell in r.cells)


def univariate_model(
    table,
    endpoints: Sequence[Endpoint],
    labels: Labels,
    *,
    p_style: str = "journal",
    key: str = "univariate_table",
) -> Table:
    """The univariate survival table (factor levels by endpoint) as a table model.

    Per endpoint: events, median survival (95% CI) per level and the factor's log-rank p on
    its header row. ``table`` is a :class:`hccdash.tables.UnivariateTable`.
    """
    eps = [e for k in table.endpoints for e in endpoints if e.key == k]
    tests = {(t.column, t.endpoint): t for t in table.tests}
    rows: list[Row] = []
    seen: list[str] = []
    by_factor: dict[str, list] = {}
    for r in table.rows:
        if r.column not in by_factor:
            seen.append(r.column)
            by_factor[r.column] = []
        by_factor[r.column].append(r)
    for column in seen:
        levels = by_factor[column]
        head = [""]
        for e in eps:
            t = tests.get((column, e.key))
            head += ["", "", format_p(t.p_value if t else None, p_style)]
        label = labels.explicit.get(column) or levels[0].factor
        rows.append(Row("header", label if label != column else labels(column), tuple(head)))
        for lev in levels:
            cells = [str(lev.n)]
            for cell in lev.cells:
                cells += [
                    str(cell.events),
                    format_estimate_ci(cell.median, cell.lower, cell.upper, 1) if cell.n else DASH,
                    "",
                ]
            rows.append(Row("level", str(lev.level), tuple(cells)))
    columns = ("N",) + ("Events", "Median (95% CI)", "p") * len(eps)
    spanners = (("", 1), *((e.label, 3) for e in eps))
    unit = eps[0].unit if eps else "months"
    notes = [
        f"Median survival in {unit} with {round(table.conf_level * 100)}% CI "
        f"({table.conf_type} transform, R survfit). p: log-rank test (R survdiff).",
    ]
    delayed = [e.label for e, entry in zip(eps, table.entries, strict=False) if entry]
    if delayed:
        notes.append(
            f"{', '.join(delayed)}: delayed entry, each patient at risk only from entry on: "
            "medians from R survfit(Surv(entry, time, event) ~ factor); p from the log-rank "
            "test on those risk sets (R survdiff's formula; survdiff itself refuses such data, "
            "and R's coxph(Surv(entry, time, event) ~ factor) score test differs from it with "
            "tied times)."
        )
    if _has_nr(rows):
        notes.append(NR_NOTE)
    notes += list(table.messages)
    return Table(
        key=key,
        title="Univariate analysis: median survival by factor",
        stub="Characteristic",
        columns=columns,
        rows=tuple(rows),
        spanners=spanners,
        footnotes=tuple(notes),
        details=table.to_frame(),
    )


def _cox_cells(fit: CoxResult | None, term: str, p_style: str, marks: set[str]) -> list[str]:
    if fit is None:
        return [DASH, DASH]
    for t in fit.terms:
        if t.term == term:
            if term in fit.separated_terms:
                marks.add(term)
                return [format_hr_ci(t.hr, t.lower, t.upper) + "†", format_p(t.p_value, p_style)]
            return [format_hr_ci(t.hr, t.lower, t.upper), format_p(t.p_value, p_style)]
    return [DASH, DASH]


def cox_merge_model(
    univariable: Mapping[str, CoxResult | None],
    multivariable: CoxResult | None,
    labels: Labels,
    *,
    endpoint: Endpoint | None = None,
    p_style: str = "journal",
    key: str = "cox_table",
) -> Table:
    """Univariable and multivariable Cox models side by side (gtsummary ``tbl_merge``).

    Parameters
    ----------
    univariable : mapping of covariate column -> CoxResult (or None if not fitted)
        One single-covariate model per covariate, in table order.
    multivariable : CoxResult or None
        The model with every covariate.
    labels : Labels
    endpoint : Endpoint, optional
        Named in the title.

    Categorical covariates show a header row, the reference level (``—``) and one row per
    level; numeric covariates one row (HR per unit).
    """
    rows: list[Row] = []
    marks: set[str] = set()
    covariates = list(univariable)
    if multivariable is not None:
        covariates += [t.covariate for t in multivariable.terms if t.covariate not in covariates]
    for cov in dict.fromkeys(covariates):
        source = univariable.get(cov) or multivariable
        terms = [t for t in (source.terms if source else ()) if t.covariate == cov]
        if not terms:
            continue
        uni = univariable.get(cov)
        if terms[0].level is None:
            cells = _cox_cells(uni, terms[0].term, p_style, marks)
            cells += _cox_cells(multivariable, terms[0].term, p_style, marks)
            rows.append(Row("single", labels(cov), tuple(cells)))
            continue
        rows.append(Row("header", labels(cov), blank(4)))
        rows.append(Row("level", str(terms[0].reference), (DASH, "", DASH, "")))
        for t in terms:
            cells = _cox_cells(uni, t.term, p_style, marks)
            cells += _cox_cells(multivariable, t.term, p_style, marks)
            rows.append(Row("level", str(t.level), tuple(cells)))
    fits = [f for f in (*univariable.values(), multivariable) if f is not None]
    ties = fits[0].ties if fits else "efron"
    conf = round(100 * (fits[0].conf_level if fits else 0.95))
    notes = [
        f"HR: hazard ratio; CI: {conf}% Wald confidence interval; p: Wald test; {ties} ties "
        "(R coxph). — : reference level.",
        "Univariable: one Cox model per characteristic. Multivariable: all characteristics "
        + (
            f"in one model ({multivariable.n} patients, {multivariable.events} events)."
            if multivariable is not None
            else "(not fitted)."
        ),
    ]
    if marks:
        notes.append(
            "† Monotone likelihood (separation): the estimate diverges; use the Firth "
            "penalised fit."
        )
    frames = []
    for name, fit in [*univariable.items(), ("multivariable", multivariable)]:
        if fit is not None:
            f = fit.to_frame()
            f.insert(0, "model", "univariable" if name != "multivariable" else name)
            frames.append(f)
    details = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    title = "Cox proportional hazards models"
    if endpoint is not None:
        title = f"{endpoint.label}: univariable and multivariable Cox models"
    return Table(
        key=key,
        title=title,
        stub="Characteristic",
        columns=("HR (95% CI)", "p", "HR (95% CI)", "p"),
        rows=tuple(rows),
        spanners=(("Univariable", 2), ("Multivariable", 2)),
        footnotes=tuple(notes),
        details=details,
    )


def _unit(v: float | None, divisor: float) -> float | None:
    return None if v is None else v / divisor


def median_model(
    medians: MedianTable,
    endpoint: Endpoint,
    *,
    group_label: str | None = None,
    divisor: float = 1.0,
    unit: str = "months",
    test=None,
    p_style: str = "journal",
    key: str | None = None,
) -> Table:
    """Median survival per group (N, events, median with CI) and the test across groups.

    ``test`` is a :class:`hccdash.compare.SurvdiffResult` (its p on the grouping's row).
    """
    rows: list[Row] = []
    grouped = any(m.group is not None for m in medians.rows)
    notes = []
    if grouped:
        p = ""
        if test is not None:
            p = format_p(test.p_value, p_style) + superscript(1)
            notes.append(f"{superscript(1)} {TEST_NAMES.get(test.method, test.method)}.")
        rows.append(Row("header", group_label or "Group", ("", "", "", p)))
    for m in medians.rows:
        cells = (
            str(m.n),
            str(m.events),
            format_estimate_ci(
                _unit(m.median, divisor), _unit(m.lower, divisor), _unit(m.upper, divisor), 1
            ),
            "",
        )
        label = str(m.group) if m.group is not None else "All patients"
        rows.append(Row("level" if grouped else "single", label, cells))
    first = medians.rows[0] if medians.rows else None
    if first is not None:
        notes.insert(
            0,
            f"Kaplan-Meier median in {unit} with {round(100 * first.conf_level)}% CI "
            f"({first.conf_type} transform).",
        )
    if _has_nr(rows):
        notes.append(NR_NOTE)
    columns = ("N", "Events", "Median (95% CI)", "p")
    if test is None:
        columns = columns[:3]
        rows = [Row(r.kind, r.label, r.cells[:3]) for r in rows]
    details = medians.to_frame()
    return Table(
        key=key or f"median_{endpoint.key}",
        title=f"{endpoint.label}: median survival",
        stub="Group",
        columns=columns,
        rows=tuple(rows),
        footnotes=tuple(notes),
        details=details,
    )


def landmark_model(
    landmarks: LandmarkTable,
    endpoint: Endpoint,
    *,
    group_label: str | None = None,
    divisor: float = 1.0,
    unit: str = "months",
    key: str | None = None,
) -> Table:
    """Survival at landmark times per group: ``%`` with CI, one column per time."""
    times = sorted({float(t) for r in landmarks.rows for t in r.time})
    columns = tuple(f"{t / divisor:g} {unit}" for t in times)
    rows = []
    grouped = any(r.group is not None for r in landmarks.rows)
    for r in landmarks.rows:
        by_time = {float(t): i for i, t in enumerate(r.time)}
        cells = []
        for t in times:
            i = by_time.get(t)
            if i is None:
                cells.append(DASH)
                continue
            cells.append(format_pct_ci(r.surv[i], r.lower[i], r.upper[i]))
        label = str(r.group) if r.group is not None else "All patients"
        rows.append(Row("single", label, tuple(cells)))
    if grouped and group_label:
        rows = [Row("header", group_label, blank(len(columns)))] + [
            Row("level", r.label, r.cells) for r in rows
        ]
    notes = (
        f"Kaplan-Meier survival (%) with {round(100 * landmarks.conf_level)}% CI "
        f"({landmarks.conf_type} transform) at each time (R summary(survfit, times =)).",
    )
    details = landmarks.to_frame()
    details["time"] = details["time"].astype(float) / divisor
    return Table(
        key=key or f"landmarks_{endpoint.key}",
        title=f"{endpoint.label}: survival at landmark times",
        stub="Group",
        columns=columns or ("—",),
        rows=tuple(rows) or (Row("single", "All patients", (DASH,)),),
        footnotes=notes,
        details=details.replace([np.inf, -np.inf], np.nan),
    )


def rmst_model(
    table: RMSTTable,
    endpoint: Endpoint,
    *,
    group_label: str | None = None,
    divisor: float = 1.0,
    unit: str = "months",
    p_style: str = "journal",
    key: str | None = None,
) -> Table:
    """Restricted mean survival per group up to the table's horizon, with each group's
    difference from the reference group and its p (:func:`hccdash.nonparametric.rmst_table`)."""
    # shown to one decimal, as the table's times: a default horizon is a data time
    # (84.2053 months); the R call in the footnote keeps it exact
    tau = f"{round(table.tau / divisor, 1):g} {unit}"
    level = round(100 * table.conf_level)
    grouped = table.reference is not None
    rows: list[Row] = []
    for i, r in enumerate(table.rows):
        est = format_estimate_ci(
            r.estimate / divisor, table.lower[i] / divisor, table.upper[i] / divisor, 1, nr=False
        )
        label = str(r.group) if r.group is not None else "All patients"
        if not grouped:
            rows.append(Row("single", label, (est,)))
            continue
        if i == 0:
            cells = (est, "Reference", "")
        else:
            diff = format_estimate_ci(
                table.diff[i] / divisor,
                table.diff_lower[i] / divisor,
                table.diff_upper[i] / divisor,
                1,
                nr=False,
            )
            cells = (est, diff, format_p(table.p_value[i], p_style))
        rows.append(Row("level", label, cells))
    if grouped:
        rows.insert(0, Row("header", group_label or "Group", ("", "", "")))
        columns: tuple[str, ...] = (
            f"RMST ({level}% CI)",
            f"Difference from {table.reference} ({level}% CI)",
            "p",
        )
    else:
        columns = (f"RMST ({level}% CI)",)
    notes = [
        f"Restricted mean survival time: the area under the Kaplan-Meier curve from 0 to {tau}, "
        f"i.e. the mean time lived during the first {tau}, in {unit}; normal {level}% CI "
        f"(R print(survfit, rmean = {table.tau:g}))."
    ]
    if grouped:
        notes.append(
            "Difference from the reference group, its CI and p: z test of the two groups' "
            "RMSTs (survRM2 rmst2, unadjusted)."
        )
    if not table.tau_given:
        notes.append(
            f"Horizon {tau}: the shortest of the groups' follow-ups (survRM2's default), so "
            "every curve is observed up to it."
        )
    details = table.to_frame()
    for c in ("tau", "rmst", "se", "lower", "upper", "diff", "diff_lower", "diff_upper"):
        details[c] = details[c] / divisor
    return Table(
        key=key or f"rmst_{endpoint.key}",
        title=f"{endpoint.label}: restricted mean survival up to {tau}",
        stub="Group",
        columns=columns,
        rows=tuple(rows),
        footnotes=tuple(notes),
        details=details,
    )
