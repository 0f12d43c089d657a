"""The competing-risks page's widgets and sections (the only streamlit code of the feature).

The user chooses the endpoint: a *derived* one (a composite endpoint such as progression-free
survival split by overall survival into "the non-fatal event first" and "death without it")
or any time column with a status column and the meaning of its codes (default 0 censored,
1 the event of interest, 2+ competing). Every number comes from :mod:`hccdash.competing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from hccdash.competing import EventCodes, cif_at, code_label
from hccdash.competing.data import codes_for_endpoint
from hccdash.competing.derive import STATUS, TIME, first_event_split
from hccdash.errors import HccdashError
from hccdash.export import safe_filename
from hccdash.report.competing_tables import (
    cif_landmark_model,
    counts_model,
    finegray_model,
    gray_model,
    pairwise_gray_model,
)
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.schema import PATIENT_ID, Cohort
from hccdash.timetext import parse_times
from hccdash.ui import cache
from hccdash.ui.common import esc_md, guarded, show_error
from hccdash.ui.competing_cache import (
    cached_counts,
    cached_crr,
    cached_cuminc,
    cached_pairwise_gray,
    cause_surv,
    competing_surv,
    derived_frame,
    grouped,
)
from hccdash.ui.competing_figures import cif_figures, overlay_figure, stacked_figures
from hccdash.ui.downloads import download_all
from hccdash.ui.report_view import report_box
from hccdash.ui.table_view import p_style, render_table_model

DERIVED, STATUS_COLUMN, CODEBOOK = "derived", "status", "codebook"
CONF_LABELS = {"log-log": "log(−log)", "log": "log (survfit's default)", "plain": "plain"}


@dataclass(frozen=True)
class EndpointChoice:
    """What the page analyses: a frame with a time and a status column, and the codes."""

    data: pd.DataFrame
    time: str
    status: str
    codes: EventCodes
    label: str
    unit: str = "months"
    entry: str | None = None  # the codebook's delayed-entry column of the endpoint (ignored)


def _event_name(label: str) -> str:
    """'Progression-free survival' -> 'Progression'; other labels -> '<label> event'."""
    low = label.lower()
    for suffix in ("-free survival", " free survival", "-free interval"):
        if low.endswith(suffix):
            return label[: len(label) - len(suffix)]
    return f"{label} event"


def _parse_names(text: str) -> dict[object, str]:
    names: dict[object, str] = {}
    for part in text.split(","):
        if "=" in part:
            code, name = part.split("=", 1)
            if code.strip() and name.strip():
                names[code_label(code)] = name.strip()
    return names


def choose_endpoint(cohort: Cohort, data: pd.DataFrame) -> EndpointChoice | None:
    """The endpoint widgets; None (with a message) when nothing can be analysed."""
    endpoints = list(cohort.endpoints())
    death = [e for e in endpoints if e.key == "os"]
    composite = [e for e in endpoints if e.key != "os"]
    declared = codebook_endpoints(cohort, data)
    sources = (
        ([CODEBOOK] if declared else [])
        + ([DERIVED] if death and composite else [])
        + [STATUS_COLUMN]
    )
    c1, c2, c3 = st.columns([2, 2, 2])
    source = c1.radio(
        "Endpoint",
        sources,
        key="cr_source",
        format_func={
            CODEBOOK: "an endpoint with event types declared in the codebook",
            DERIVED: "first event of a composite endpoint, death competing",
            STATUS_COLUMN: "a time and a status column",
        }.get,
    )
    if source == CODEBOOK:
        spec = c2.selectbox(
            "Endpoint (codebook)", declared, key="cr_codebook", format_func=lambda e: e.label
        )
        codes = codes_for_endpoint(spec)
        listed = [codes.censor, codes.cause, *codes.competing]
        c3.markdown(
            "Codes: "
            + "; ".join(f"**{esc_md(c)}** = {esc_md(codes.name(c))}" for c in listed)
            + f" (from the codebook's coding of {esc_md(spec.event)})."
        )
        return EndpointChoice(
            data, spec.time, spec.status_column, codes, codes.name(codes.cause), "months",
            cohort.entry_column(spec.key),
        )  # fmt: skip
    if source == DERIVED:
        comp = c2.selectbox(
            "Composite endpoint (event or death)",
            composite,
            key="cr_composite",
            format_func=lambda e: e.label,
        )
        dth = death[0]
        first = _event_name(comp.label)
        c3.markdown(
            f"Codes: **1** = {esc_md(first)} first, **2** = death without "
            f"{esc_md(first.lower())}, **0** = censored (from {esc_md(comp.label)} and "
            f"{esc_md(dth.label)})."
        )
        frame = derived_frame(
            data, "cr_split",
            lambda: first_event_split(data, comp.time, comp.event, dth.time, dth.event),
            comp.time, comp.event, dth.time, dth.event,
        )  # fmt: skip
        codes = EventCodes(0, 1, (2,), {1: first, 2: f"Death without {first.lower()}"})
        entry = cohort.entry_column(comp.key) or cohort.entry_column(dth.key)
        return EndpointChoice(
            frame, TIME, STATUS, codes, f"{first} (death competing)", comp.unit, entry
        )
    numeric = [
        c
        for c in data.columns
        if c != PATIENT_ID and pd.api.types.is_numeric_dtype(data[c]) and data[c].notna().any()
    ]
    status_cols = [c for c in numeric if cohort.data[c].dropna().nunique() <= 10]
    # The endpoints' own time and event columns first: the default is an endpoint's time (a
    # cohort of another disease has e.g. a score as its first numeric column).
    ep_cols = [c for e in endpoints for c in (e.time, e.event)]
    numeric.sort(key=lambda c: ep_cols.index(c) if c in ep_cols else len(ep_cols))
    status_cols.sort(key=lambda c: ep_cols.index(c) if c in ep_cols else len(ep_cols))
    if not numeric or not status_cols:
        st.warning(
            "The cohort has no numeric time column with a status column of a few codes "
            "(e.g. 0 censored, 1 relapse, 2 death). Load such a file on the data page."
        )
        return None
    time = c2.selectbox("Time column", numeric, key="cr_time")
    status = c2.selectbox("Status column", status_cols, key="cr_status")
    present = sorted(
        {code_label(v) for v in cohort.data[status].dropna().unique()},
        key=lambda v: (isinstance(v, str), v if not isinstance(v, str) else 0, str(v)),
    )
    censor = code_label(c3.text_input("Code of censored", "0", key="cr_censor"))
    cause = code_label(c3.text_input("Code of the event of interest", "1", key="cr_cause"))
    names = _parse_names(c3.text_input("Names (code=name, comma-separated)", "", key="cr_names"))
    competing = tuple(c for c in present if c not in (censor, cause))
    codes = EventCodes(censor, cause, competing, names)
    st.caption(
        "Codes in "
        + esc_md(status)
        + ": "
        + "; ".join(esc_md(f"{c} = {codes.name(c)}") for c in present)
        + " (every code other than censored and the event of interest is a competing event)."
    )
    units = {e.time: e.unit for e in endpoints}
    unit = units.get(time, f"{time}")
    entry = next((cohort.entry_column(e.key) for e in endpoints if e.time == time), None)
    return EndpointChoice(data, time, status, codes, codes.name(cause), unit, entry)


def codebook_endpoints(cohort: Cohort, data: pd.DataFrame) -> list:
    """The codebook's endpoints with competing event types whose columns are in ``data``."""
    if cohort.codebook is None:
        return []
    return [
        e
        for e in cohort.codebook.endpoints
        if e.has_competing and e.time in data.columns and e.status_column in data.columns
    ]


def _risk_times(tmax: float) -> list[float]:
    for step in (1, 2, 3, 6, 12, 24, 60, 120, 365, 730, 1825):
        if tmax / step <= 8:
            return [float(x) for x in np.arange(0, tmax + 1e-9, step)]
    return [float(x) for x in np.linspace(0, tmax, 7)]


def _parse_times(text: str) -> list[float]:
    return list(parse_times(text)[0])  # hccdash.timetext: the one rule


def landmark_frame(result, times: list[float]) -> pd.DataFrame:
    rows = []
    pct = f"{round(result.conf_level * 100)}% CI"
    for c in result.curves:
        at = cif_at(c, times)
        for i, t in enumerate(at.time):
            est, lo, hi = at.est[i], at.lower[i], at.upper[i]
            rows.append(
                {
                    "group": c.group,
                    "cause": c.cause_name,
                    "time": t,
                    "CIF": est,
                    "se": float(np.sqrt(at.var[i])),
                    "lower": lo,
                    "upper": hi,
                    f"CIF ({pct})": "beyond follow-up"
                    if np.isnan(est)
                    else f"{est:.1%} ({lo:.1%}–{hi:.1%})",
                }
            )
    return pd.DataFrame(rows)


def methods_text(result, stratified: bool) -> str:
    """The methods paragraph of the ZIP (what was computed, and its R equivalent)."""
    ci = CONF_LABELS[result.conf_type]
    return (
        "Cumulative incidence of each event type was estimated with the Aalen-Johansen "
        "estimator, treating the other event types as competing events, with Gray's variance "
        f"and pointwise {round(result.conf_level * 100)}% confidence intervals on the {ci} "
        "scale; groups were compared with Gray's test"
        + (" stratified as stated" if stratified else "")
        + ". Subdistribution hazard ratios were estimated with the Fine-Gray model (censoring "
        "weights from the Kaplan-Meier estimate of the censoring distribution, sandwich "
        "standard errors), beside cause-specific Cox models. Computed with hccdash, whose "
        "results equal R's cmprsk::cuminc and cmprsk::crr (version 2.2-11) to a relative "
        "1e-6."
    )


def render(cohort: Cohort, data: pd.DataFrame, filters: str | None = None) -> None:
    """The whole page below the title."""
    choice = choose_endpoint(cohort, data)
    if choice is None:
        return
    if choice.entry is not None:
        st.warning(
            esc_md(
                f"The codebook declares delayed entry ({choice.entry!r}) for this endpoint, but "
                "the analyses on this page (R cmprsk: cuminc, Gray's test, crr) have no delayed "
                "entry and ignore it: every patient counts as at risk from time 0. With entry, "
                "R would need survfit(Surv(entry, time, factor(status)) ~ 1) (Aalen-Johansen "
                "on (entry, time] risk sets)."
            ),
            icon=":material/login:",
        )
    factors = {f.column: f for f in cohort.factors() if f.column in data.columns}
    g1, g2, g3, g4 = st.columns(4)
    group = g1.selectbox(
        "Compare groups",
        ["(none)", *factors],
        key="cr_group",
        format_func=lambda c: c if c == "(none)" else f"{factors[c].label} ({c})",
    )
    group = None if group == "(none)" else group
    strata = g2.selectbox(
        "Stratify Gray's test by",
        ["(none)", *(c for c in factors if c != group)],
        key="cr_strata",
        format_func=lambda c: c if c == "(none)" else factors[c].label,
    )
    strata = None if strata == "(none)" else strata
    conf_type = g3.radio(
        "CI transform", list(CONF_LABELS), key="cr_conf", format_func=CONF_LABELS.get
    )
    layout = g4.radio(
        "Plot", ["by cause", "stacked"], key="cr_layout", help="Side-by-side panels per cause, "
        "or the causes stacked per group (their sum is 1 − all-cause KM)",
    )  # fmt: skip
    times = _parse_times(st.text_input("Landmark times", "12, 24", key="cr_times"))
    # colours follow the factor's full level order: a group keeps its colour whatever the filters
    level_order = factors[group].level_order(cohort.data) if group else None
    # groups and strata are the cohort's factors (cut points, level order, exclusions), derived
    # once per view; one validated object of the endpoint feeds every analysis below
    frame = grouped(choice.data, factors, group, strata)
    try:
        surv = competing_surv(frame, choice.time, choice.status, choice.codes, choice.label)
        result = cached_cuminc(surv, group, strata, conf_type)
    except HccdashError as exc:
        show_error(exc, "The cumulative incidence")
        return
    figures: dict[str, object] = {}
    tables: dict[str, pd.DataFrame] = {}
    report_tables: list = []
    cause = code_label(choice.codes.cause)
    declared = [c for c in (choice.codes.declared() or ()) if c != code_label(choice.codes.censor)]
    for code in declared:
        if code not in result.causes:
            st.warning(
                esc_md(
                    f"{choice.codes.name(code)} (code {code!r}) has no events among the "
                    f"{result.n} patients left after the filters: its curve is 0 and it is "
                    "left out of the plots and tests."
                ),
                icon=":material/filter_alt_off:",
            )
    st.markdown(
        esc_md(
            f"{result.n} patients"
            + (f" ({result.dropped} with missing values left out)" if result.dropped else "")
            + ". Events: "
            + ", ".join(
                f"{choice.codes.name(c)} {sum(cv.n_event for cv in result.curves if cv.cause == c)}"
                for c in result.causes
            )
            + f". Pointwise {round(result.conf_level * 100)}% CIs on the "
            + f"{CONF_LABELS[conf_type]} scale, variance of cmprsk::cuminc."
        )
    )
    names = tuple(choice.codes.name(c) for c in result.causes)

    def counts(times):
        return cached_counts(surv, group, tuple(float(t) for t in times), result.causes, names)

    tmax = max(float(c.time[-1]) for c in result.curves)
    legend = factors[group].label if group else None
    colour_levels = [str(v) for v in level_order] if level_order else []
    if layout == "stacked":
        figures.update(
            stacked_figures(result, counts, group=group, unit=choice.unit, filters=filters)
        )
    else:
        cif = cif_figures(
            result, counts, group=group, legend=legend, colour_levels=colour_levels,
            unit=choice.unit, filters=filters,
        )  # fmt: skip
        figures.update(cif)
    with st.expander("Numbers at risk and cumulative events (table)"):
        risk = counts_model(counts(_risk_times(tmax)), unit=choice.unit)
        render_table_model(risk, "cr_risk", title=False)
        tables["numbers_at_risk"] = risk.details

    st.subheader("Cumulative incidence at landmark times")
    if times:
        lm = landmark_frame(result, times)
        model = cif_landmark_model(
            result, cif_at, times, unit=choice.unit,
            group_label=factors[group].label if group else None,
        )  # fmt: skip
        render_table_model(model, "cr_lm", title=False)
        tables["cif_landmarks"] = lm
        report_tables.append(model)

    if result.tests:
        st.subheader("Gray's test")
        gray = gray_model(
            result, p_style=p_style(), strata=factors[strata].label if strata else None
        )
        render_table_model(gray, "cr_gray", title=False)
        tables["gray_test"] = gray.details
        report_tables.append(gray)
        if len(result.groups) > 2 and cause in result.causes:
            adjust = st.radio("Pairwise p adjustment", ["holm", "BH"], key="cr_adjust",
                              horizontal=True)  # fmt: skip
            with guarded("The pairwise tests"):
                pw = cached_pairwise_gray(surv, group, cause, strata, adjust)
                pw_model = pairwise_gray_model(pw, choice.codes.name(cause), p_style=p_style())
                render_table_model(pw_model, "cr_pw")
                tables["gray_pairwise"] = pw.to_frame()
                report_tables.append(pw_model)

    st.subheader("1 − Kaplan-Meier vs cumulative incidence")
    if cause in result.causes:
        with guarded("The 1 − KM comparison"):
            # the cause-specific event (competing events censored) of the same object
            km = cache.kaplan_meier(cause_surv(surv, cause), None, None, group)
            overlay = overlay_figure(
                result, km, cause, counts, group=group, legend=legend,
                colour_levels=colour_levels, unit=choice.unit, filters=filters,
            )  # fmt: skip
            figures.update(overlay)
            st.caption(
                "1 − KM treats competing events as censored and so overstates the incidence "
                "of the event of interest; the Aalen-Johansen CIF does not."
            )
    else:
        st.info(esc_md(f"No {choice.codes.name(cause)} events after the filters."))

    st.subheader("Fine-Gray regression (subdistribution hazard)")
    candidates = [c for c in data.columns if c not in (PATIENT_ID, choice.time, choice.status)]
    default = [group] if group else []
    covs = st.multiselect("Covariates", candidates, default=default, key="cr_covs")
    if covs and cause in result.causes:
        fg = _finegray_section(surv, covs, cause, cohort)
        if fg is not None:
            tables["fine_gray"] = fg.details
            report_tables.append(fg)
    st.divider()
    download_all(figures, tables, methods_text(result, bool(strata)), "cr_all",
                 name="competing_risks")  # fmt: skip
    legends = {
        f"cif_{safe_filename(str(result.codes.name(c)))}": "Cumulative incidence of "
        + result.codes.name(c)
        + (f" by {factors[group].label}" if group else "")
        for c in result.causes
    }
    for g in result.groups:  # the stacked figures, one per group
        one = len(result.groups) == 1
        legends["cif_stacked" + ("" if one else f"_{safe_filename(str(g))}")] = (
            "Cumulative incidence of each event type, stacked"
            + ("" if one else f": {factors[group].label} {g}")
        )
    legends["km_vs_cif"] = (
        f"1 − Kaplan-Meier (competing events censored) vs cumulative incidence of "
        f"{result.codes.name(cause)}" + (f" by {factors[group].label}" if group else "")
    )
    report_box(
        ReportSection(
            "competing",
            f"Competing risks: {choice.label}" + (f" by {factors[group].label}" if group else ""),
            filters or "none",
            methods_text(result, bool(strata)),
            tuple(report_tables),
            tuple(
                ReportFigure(
                    n,
                    f,
                    figure_legend(
                        f, legends.get(n, n), "Aalen-Johansen estimates, cmprsk's variance."
                    ),
                )
                for n, f in figures.items()
            ),
        ),
        cohort,
        "cr_report",
    )


def _finegray_section(surv, covs: list[str], cause: object, cohort: Cohort):
    """The Fine-Gray table beside the cause-specific Cox model (a journal Table), or None."""
    # categorical covariates against the codebook's reference level (its first level)
    known = {f.column: f for f in cohort.factors() if f.cut is None}
    refs = tuple(
        (c, str(known[c].level_order(surv.frame)[0]))
        for c in covs
        if c in known and known[c].level_order(surv.frame)
    )
    try:
        fit = cached_crr(surv, tuple(covs), refs)
    except HccdashError as exc:
        show_error(exc, "The Fine-Gray model")
        return None
    cox = None
    try:
        cs = cause_surv(surv, cause)
        cox = cache.cox_fit(cs, None, None, tuple(covs), "efron", dict(refs) or None)
    except HccdashError as exc:
        show_error(exc, "The cause-specific Cox model")
    table = finegray_model(fit, cox, labels={c: cohort.label(c) for c in covs}, p_style=p_style())
    render_table_model(table, "cr_fg", title=False)
    return table
