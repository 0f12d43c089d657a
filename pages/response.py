"""Response page: RECIST best response, ORR and DCR with exact CIs, toxicity by grade."""

import streamlit as st

from hccdash.figures import response_figure
from hccdash.report.labels import label_lookup
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.report.summary_tables import response_model, toxicity_model
from hccdash.response import RESPONSE_COLUMNS, best_response_table, toxicity_table
from hccdash.schema import TREATMENT
from hccdash.ui import cache
from hccdash.ui.common import guarded, reconstruction_notice, too_few_patients
from hccdash.ui.km_view import render_download_all, render_figure
from hccdash.ui.report_view import report_box
from hccdash.ui.sidebar import filtered_view
from hccdash.ui.table_view import render_table_model

view = filtered_view()
cohort, data = view.cohort, view.data
st.title("Response and toxicity")
reconstruction_notice(cohort)

sites = [c for c in RESPONSE_COLUMNS if c in data.columns]
figures, tables = {}, {}
report_tables = []
by = cohort.role(TREATMENT)  # the codebook's treatment role, whatever its column's name
if not sites:
    st.info(
        "The cohort has no RECIST best-response column (intrahepatic_response, "
        "extrahepatic_response). Map one on the data page to see response rates."
    )
elif not too_few_patients(view.n, minimum=1, what="a response table"):
    st.subheader("RECIST 1.1 best response")
    best = []
    for site in sites:
        with guarded(f"The {site} table"):
            t = best_response_table(data, site, by=by)
            best.append(t)
            tables[f"best_response_{t.site.lower()}"] = t.to_frame()
    with guarded("Response rates"):
        rates = cache.response_rates(data, tuple(sites), by)
        tables["response_rates"] = rates.to_frame()
        model = response_model(best, rates)
        render_table_model(model, "resp_rates", title=False)
        report_tables.append(model)
        with guarded("The response chart"):
            fig = response_figure(rates, by_arm=by is not None, title="RECIST best response")
            render_figure(fig, "response", "resp_fig")
            figures["response"] = fig

st.subheader("Toxicity by grade")
if view.n == 0:
    st.caption("No patients left after the filters.")
else:
    with guarded("The toxicity table"):
        tox = toxicity_table(data, by=by)
        tox_model = toxicity_model(tox, label_lookup(cohort))
        render_table_model(tox_model, "resp_tox", title=False)
        report_tables.append(tox_model)
        tables["toxicity"] = tox.to_frame()

render_download_all(
    figures,
    tables,
    f"RECIST 1.1 best response and toxicity in {cohort.name}; filters: {view.filters_text}; "
    "ORR = CR + PR and DCR = CR + PR + SD among evaluable patients with exact "
    "Clopper-Pearson 95% CIs; toxicity as patients per CTCAE grade.",
    "resp_all",
    "response",
)
report_box(
    ReportSection(
        "response",
        "Response and toxicity",
        view.filters_text,
        "RECIST 1.1 best response; ORR = CR + PR and DCR = CR + PR + SD among evaluable "
        "patients with exact Clopper-Pearson 95% CIs (R binom.test); toxicity as patients per "
        "CTCAE grade.",
        tuple(report_tables),
        tuple(
            ReportFigure(n, f, figure_legend(f, n, "Patients per RECIST 1.1 best response."))
            for n, f in figures.items()
        ),
    ),
    cohort,
    "resp_report",
)
