"""Risk models page: Cox, elastic-net Cox and random survival forest with honest validation."""

import pandas as pd
import streamlit as st

from hccdash import models as M
from hccdash.errors import HccdashError
from hccdash.figures import FigureSpec, km_figure, km_ticks
from hccdash.io import neutralise_formulas
from hccdash.nonparametric import risk_table
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.report.summary_tables import models_model
from hccdash.ui import models as U
from hccdash.ui.common import (
    esc_md,
    guarded,
    reconstruction_notice,
    show_error,
    too_few_patients,
)
from hccdash.ui.downloads import download_all, show_figure, table_downloads
from hccdash.ui.report_view import report_box
from hccdash.ui.sidebar import filtered_view
from hccdash.ui.table_view import render_table_model

view = filtered_view()
cohort, data = view.cohort, view.data
st.title("Risk models")
reconstruction_notice(cohort)
st.caption(
    "Which patients do well? Prognostic models from scikit-survival, validated out of sample. "
    "Small cohorts support very little: read the banner and the validation spread first."
)

endpoints = {e.key: e for e in cohort.endpoints()}
if not endpoints:
    st.warning(
        "The cohort has no complete endpoint (OS or PFS time and event columns). "
        "Map them on the data page."
    )
    st.stop()
if too_few_patients(view.n, minimum=6, what="a risk model"):
    st.stop()

# ---- choices -------------------------------------------------------------------------------
ep_columns = [c for e in endpoints.values() for c in (e.time, e.event)]
if cohort.codebook is not None:  # entry and event-type columns: not baseline features
    ep_columns += sorted(cohort.codebook.endpoint_columns())
candidates = list(M.candidate_features(cohort.data, ep_columns))
# the cohort's role columns (the codebook's, whatever their names) as the default features
role_features = [cohort.role(r) for r in ("treatment", "child_pugh", "kps", "pvtt")]
role_features = [c for c in role_features if c is not None]
c1, c2, c3 = st.columns([1, 3, 2])
endpoint = c1.radio(
    "Endpoint", list(endpoints), format_func=str.upper, horizontal=True, key="models_endpoint"
)
features = c2.multiselect(
    "Features (baseline columns)",
    candidates,
    default=[f for f in M.default_features(cohort.data, role_features) if f in candidates],
    key="models_features",
    help="Categorical columns are one-hot encoded against their first level; numeric columns "
    "are standardised for the Cox models. Outcome columns (failure mode, response) are not "
    "offered: they are only known after follow-up starts.",
)
kinds = c3.multiselect(
    "Models",
    list(M.MODEL_KINDS),
    default=list(M.MODEL_KINDS),
    format_func=M.MODEL_LABELS.get,
    key="models_kinds",
)
if not features or not kinds:
    st.info("Pick at least one feature and one model.")
    st.stop()

ep = endpoints[endpoint]  # an Endpoint: the codebook's may have any key ("rfs")
try:
    surv = U.model_surv(cohort, data, ep, features)  # validated once per view and endpoint
    md = U.prepare(surv, ep, tuple(features))
except HccdashError as exc:
    show_error(exc)
    st.stop()

with st.expander("Validation settings"):
    s1, s2, s3, s4 = st.columns(4)
    n_splits = s1.number_input("Folds (K)", 2, 10, 3, key="models_folds")
    n_repeats = s2.number_input("Repeats", 1, 50, 5, key="models_repeats")
    n_trees = s3.number_input("Forest trees", 10, 500, 50, step=10, key="models_trees")
    seed = s4.number_input("Seed", 0, 2**31 - 1, 2026, key="models_seed")
    t1, t2 = st.columns(2)
    times_text = t1.text_input(
        "AUC times (months)",
        ", ".join(f"{t:g}" for t in M.default_times(md)),
        key=f"models_times_{endpoint}",
    )
    tau = t2.number_input(
        "Uno's C truncation τ (months)",
        min_value=0.01,
        value=max(M.default_tau(md), 0.01),
        key=f"models_tau_{endpoint}",
        help="Default: the 80th percentile of follow-up, where censoring weights are stable.",
    )
times, time_msgs = U.parse_times(times_text)
for m in time_msgs:
    st.warning(esc_md(m))
if not times:
    times = M.default_times(md)
opts = {
    "times": times,
    "tau": float(tau),
    "seed": int(seed),
    "n_estimators": int(n_trees),
}

# ---- honesty banner ------------------------------------------------------------------------
severity, epv_text = U.events_per_variable_message(md)
{"error": st.error, "warning": st.warning, "info": st.info}[severity](
    epv_text, icon=":material/balance:"
)
for note in md.messages:
    st.warning(esc_md(note))
if md.dropped:
    st.caption(f"{md.dropped} patient(s) left out: missing a feature or the endpoint.")
st.markdown(U.validation_statement(md, int(n_splits)))

tables: dict[str, pd.DataFrame] = {}
report_tables = []
figures = {}

# ---- validation ----------------------------------------------------------------------------
st.header("Out-of-sample performance")
st.caption(
    f"Repeated {int(n_splits)}-fold cross-validation stratified by event, {int(n_repeats)} "
    "repeats. Estimate = mean over repeats; sd, lower and upper = spread and range over "
    "repeats. C and AUC: 0.5 is a coin toss. Brier: lower is better; compare with the "
    "Kaplan-Meier null model that predicts the same curve for everyone."
)
cv: dict[str, M.ValidationResult] = {}
for kind in kinds:
    with guarded(M.MODEL_LABELS[kind]):
        cv[kind] = U.validate(
            surv, ep, md.features, kind, method="cv", n_splits=int(n_splits),
            n_units=int(n_repeats), **opts,
        )  # fmt: skip
cv_table = U.metrics_table(list(cv.values()))
if cv_table.empty:
    st.warning("No metric could be computed on these patients; see the messages below.")
else:
    cv_model = models_model(list(cv.values()), key="risk_models_cross_validation", details=cv_table)
    render_table_model(cv_model, "models_cv", title=False)
    report_tables.append(cv_model)
    tables["cross_validation"] = cv_table
for res in cv.values():
    U.show_messages(res.messages)

full_key = ("models_full", endpoint, tuple(features), tuple(kinds), int(seed), int(n_trees))
# a fragment: its button and the bootstrap's progress rerun this section only
U.full_validation(surv, ep, md, tuple(kinds), opts, full_key, tables, report_tables)

# ---- fitted models -------------------------------------------------------------------------
st.header("Models fitted on all patients")
fitted: dict[str, M.FittedModel] = {}
for kind in kinds:
    with guarded(M.MODEL_LABELS[kind]):
        fitted[kind] = U.fit_model(surv, ep, md.features, kind, int(seed), int(n_trees))
coef = pd.concat(
    [f.to_frame() for f in fitted.values() if f.coefficients], ignore_index=True
) if any(f.coefficients for f in fitted.values()) else pd.DataFrame()  # fmt: skip
if not coef.empty:
    st.caption(
        "Hazard ratios of the Cox models (numeric features per standard deviation). "
        "Elastic-net coefficients are shrunk towards 0 on purpose."
    )
    st.dataframe(coef, hide_index=True, key="models_coef_table")
    table_downloads(coef, "risk_models_coefficients", key="models_coef_dl")
    tables["coefficients"] = coef
for f in fitted.values():
    if f.kind == "coxnet" and f.alpha is not None:
        st.caption(f"Elastic-net penalty chosen by inner cross-validation: alpha = {f.alpha:.3g}.")
    U.show_messages(f.messages)

st.subheader("Permutation importance")
st.caption(
    "Drop in Harrell's C when a feature's values are shuffled (10 shuffles; mean and sd), on "
    "the patients the model was fitted to (a random 500 per shuffle in larger cohorts): what "
    "the model relies on, not proof of value."
)
imps = []
for kind, f in fitted.items():
    if f.ok:
        with guarded(f"Importance of {f.label}"):
            imps.append(U.importance(surv, ep, md.features, kind, int(seed), int(n_trees)))
if imps:
    imp_table = pd.concat([i.to_frame() for i in imps], ignore_index=True)
    st.dataframe(imp_table, hide_index=True, key="models_imp_table")
    table_downloads(imp_table, "risk_models_importance", key="models_imp_dl")
    tables["permutation_importance"] = imp_table
    for i in imps:
        U.show_messages(i.messages)

# ---- risk groups ---------------------------------------------------------------------------
st.header("Risk groups")
usable = [k for k, r in cv.items() if r.metrics]
if usable:
    group_kind = st.selectbox(
        "Group patients by the out-of-fold risk of",
        usable,
        format_func=M.MODEL_LABELS.get,
        key="models_group_kind",
    )
    with guarded("Risk groups"):
        rg = M.risk_groups(md, cv[group_kind])
        U.show_messages(rg.messages)
        if rg.km is not None:
            st.caption(
                "Each patient's risk is predicted by models that never saw them (cross-validation"
                ", rank averaged over repeats); the groups are "
                + (
                    "tertiles."
                    if len(rg.levels) == 3
                    else "halves (too few patients for tertiles)."
                )
            )
            fig = km_figure(
                rg.km,
                risk=risk_table(rg.km, km_ticks(rg.km, FigureSpec())),
                test=rg.test,
                title=f"{endpoints[endpoint].label} by out-of-fold risk ({rg.label})",
                levels=rg.levels,
            )
            show_figure(fig, f"risk_groups_{group_kind}", key="models_rg_fig")
            figures["risk_groups"] = fig
            if rg.test is not None:
                st.dataframe(rg.test.to_frame(), hide_index=True, key="models_rg_test")
                st.caption(
                    "The groups come from out-of-fold predictions, so this log-rank test is not "
                    "circular; it is still one split of the same patients, not external "
                    "validation."
                )
            members = rg.to_frame()
            with st.expander("Patients and their risk group"):
                st.dataframe(neutralise_formulas(members), hide_index=True, key="models_rg_members")
                table_downloads(members, "risk_groups", key="models_rg_dl")
            tables["risk_groups"] = members
else:
    st.info("No model produced out-of-fold predictions, so there are no risk groups.")

# ---- what-if -------------------------------------------------------------------------------
st.header("What-if patient")
st.caption(
    "Set a hypothetical patient's features: each model's predicted survival, beside the "
    "Kaplan-Meier curve of the real patients who match (same levels, numeric features within "
    "half a standard deviation)."
)
ok_models = [f for f in fitted.values() if f.ok]
if ok_models:  # a fragment: a what-if feature change reruns this section only
    U.what_if(ok_models, md, endpoints[endpoint].unit, figures, tables)
else:
    st.info("No model could be fitted, so there is nothing to predict from.")

# ---- export --------------------------------------------------------------------------------
methods = (
    f"Risk models (hccdash, scikit-survival). Endpoint {endpoints[endpoint].label}; features "
    f"{', '.join(md.features)}; {md.n} patients, {md.events} events, {md.dropped} dropped as "
    f"incomplete. Models: {', '.join(M.MODEL_LABELS[k] for k in kinds)}. Validation: repeated "
    f"{int(n_splits)}-fold CV stratified by event, {int(n_repeats)} repeats, seed {int(seed)}; "
    f"Uno's C truncated at {float(tau):g}; AUC at {', '.join(f'{t:g}' for t in times)}; "
    f"forest {int(n_trees)} trees. {epv_text}"
)
download_all(figures, tables, methods, key="models_all", name="risk_models")
report_box(
    ReportSection(
        "models",
        f"Risk models: {endpoints[endpoint].label}",
        view.filters_text,
        methods,
        tuple(report_tables),
        tuple(
            ReportFigure(n, f, figure_legend(f, n.replace("_", " "))) for n, f in figures.items()
        ),
        packages=("scikit-survival", "scikit-learn"),
    ),
    cohort,
    "models_report",
)
