"""Journal tables of the extended Cox analyses: one model's hazard ratios, and the subgroup
forest's table, in the one table model (:class:`Table`).

Builders take computed results (:mod:`hccdash.cox`, :mod:`hccdash.coxext.subgroup`) and format
them with :mod:`hccdash.report.fmt`; they compute nothing. The raw numbers stay in
``Table.details`` (the "details" view and the CSV).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hccdash.report.fmt import DASH, format_hr_ci, format_p, is_missing
from hccdash.report.table import Row, Table, blank

if TYPE_CHECKING:
    from hccdash.cox import CoxResult
    from hccdash.coxext.subgroup import SubgroupResult

__all__ = ["cox_model_table", "subgroup_model"]

NOT_ESTIMABLE = "NE"


def cox_model_table(
    fit: CoxResult,
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "Cox proportional hazards model",
    key: str = "cox_model",
    p_style: str = "journal",
) -> Table:
    """One Cox model: HR (95% CI) and p per term, a categorical covariate as a header row with
    its reference level and its other levels indented.

    The footnotes say which standard error the CI and p use (robust when the fit is robust,
    as R's ``summary(coxph(..., robust = TRUE))`` prints) and name a term with separation.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.cox import cox_fit
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 11],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 1, 0], "arm": list("ABABABABAB")})
    >>> t = cox_model_table(cox_fit(d, "t", "e", ["arm"]), labels={"arm": "Arm"})
    >>> [(r.kind, r.label) for r in t.rows]
    [('header', 'Arm'), ('level', 'A'), ('level', 'B')]
    >>> t.rows[1].cells
    ('1 (reference)', '')
    """
    labels = dict(labels or {})
    rows: list[Row] = []
    seen: set[str] = set()
    separated = set(fit.separated_terms)
    for t in fit.terms:
        estimable = not any(map(is_missing, (t.hr, t.lower, t.upper))) and t.term not in separated
        cells = (
            format_hr_ci(t.hr, t.lower, t.upper) if estimable else NOT_ESTIMABLE,
            format_p(t.p_value, p_style) if estimable else DASH,
        )
        label = labels.get(t.covariate, t.covariate)
        if t.level is None:
            rows.append(Row("single", label, cells))
            continue
        if t.covariate not in seen:
            seen.add(t.covariate)
            rows.append(Row("header", label, blank(2)))
            rows.append(Row("level", str(t.reference), ("1 (reference)", "")))
        rows.append(Row("level", str(t.level), cells))
    conf = round(100 * fit.conf_level)
    se = "robust (sandwich) standard errors" if fit.robust else "model standard errors"
    notes = [
        f"HR: hazard ratio; CI: {conf}% Wald confidence interval and p from {se}; "
        f"{fit.ties} ties (R coxph). {fit.n} patients, {fit.events} events"
        + (f" ({fit.dropped} rows with missing values left out)." if fit.dropped else ".")
    ]
    if separated:
        notes.append(
            f"{NOT_ESTIMABLE}: not estimable, monotone likelihood (separation) for "
            + ", ".join(repr(s) for s in sorted(separated))
            + "; merge sparse levels or use the penalised (Firth) fit."
        )
    return Table(
        key=key,
        title=title,
        stub="Characteristic",
        columns=(f"HR ({conf}% CI)", "p"),
        rows=tuple(rows) or (Row("single", DASH, (DASH, DASH)),),
        footnotes=tuple(notes),
        details=fit.to_frame(),
    )


def subgroup_model(
    result: SubgroupResult,
    *,
    labels: Mapping[str, str] | None = None,
    p_style: str = "journal",
) -> Table:
    """The subgroup forest as a table: n (events), HR (95% CI) and p per subgroup, and the
    interaction p on each factor's header row.

    A subgroup whose HR cannot be estimated (no events, one arm only, separation) shows
    ``NE`` and its reason in a footnote, never a number.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.coxext.subgroup import subgroup_hr
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 11, 12, 1],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "arm": list("ABABABABABAB"), "sex": list("MMMMMMFFFFFF")})
    >>> t = subgroup_model(subgroup_hr(d, "t", "e", "arm", ["sex"]), labels={"sex": "Sex"})
    >>> [(r.kind, r.label) for r in t.rows]
    [('single', 'All patients'), ('header', 'Sex'), ('level', 'F'), ('level', 'M')]
    >>> t.columns
    ('n (events)', 'HR (95% CI)', 'p', 'p for interaction')
    """
    labels = dict(labels or {})
    rows: list[Row] = []
    reasons: dict[str, list[str]] = {}
    current = None
    for r in result.rows:
        estimable = not any(map(is_missing, (r.hr, r.lower, r.upper)))
        where = (
            "all patients"
            if r.factor == "Overall"
            else f"{labels.get(r.factor, r.factor)} = {r.level}"
        )
        if not estimable:
            reasons.setdefault(r.note or "not estimable", []).append(where)
        cells = (
            f"{r.n} ({r.events})",
            format_hr_ci(r.hr, r.lower, r.upper) if estimable else NOT_ESTIMABLE,
            format_p(r.p_value, p_style) if estimable else DASH,
        )
        if r.factor == "Overall":
            rows.append(Row("single", "All patients", (*cells, "")))
            continue
        if r.factor != current:
            current = r.factor
            test = result.interaction.get(r.factor)
            p_int = format_p(test.p_value, p_style) if test is not None else DASH
            rows.append(Row("header", labels.get(r.factor, r.factor), ("", "", "", p_int)))
        rows.append(Row("level", r.level, (*cells, "")))
    conf = round(100 * result.conf_level)
    arm = labels.get(result.treatment, result.treatment)
    notes = [
        f"HR: hazard ratio of {result.comparison} ({arm}) "
        f"within each subgroup, Cox model (Efron ties); CI: {conf}% Wald confidence interval.",
        "p for interaction: likelihood-ratio test of treatment × factor (R anova of the two "
        "coxph fits); a subgroup differs only if that p is small.",
    ]
    notes += [f"{NOT_ESTIMABLE} ({', '.join(where)}): {why}." for why, where in reasons.items()]
    return Table(
        key=f"subgroups_{result.treatment}",
        title=f"Treatment effect by subgroup: {result.comparison}",
        stub="Subgroup",
        columns=("n (events)", f"HR ({conf}% CI)", "p", "p for interaction"),
        rows=tuple(rows),
        footnotes=tuple(notes),
        details=result.to_frame(),
    )
