"""Response page: RECIST best response, ORR and DCR with exact CIs, toxicity by grade."""

import streamlit as st

from hccdash.figures import response_figure
from hccdash.response import RESPONSE_COLUMNS, best_response_table, toxicity_table
from hccdash.schema import TREATMENT
from hccdash.ui import cache
from hccdash.ui.common import esc_md, guarded, reconstruction_notice, too_few_patients
from hccdash.ui.km_view import render_download_all, render_figure, render_table
from hccdash.ui.sidebar import filtered_view

view = filtered_view()
cohort, data = view.cohort, view.data
st.title("Response and toxicity")
reconstruction_notice(cohort)

sites = [c for c in RESPONSE_COLUMNS if c in data.columns]
figures, tables = {}, {}
by = TREATMENT if TREATMENT in data.columns else None
if not sites:
    st.info(
        "The cohort has no RECIST best-response column (intrahepatic_response, "
        "extrahepatic_response). Map one on the data page to see response rates."
    )
elif not too_few_patients(view.n, minimum=1, what="a response table"):
    st.subheader("RECIST 1.1 best response")
    for site in sites:
        with guarded(f"The {site} table"):
            t = best_response_table(data, site, by=by)
            st.markdown(f"**{esc_md(t.site)}**")
            render_table(t.to_frame(), f"best_response_{t.site.lower()}", f"resp_{site}")
            tables[f"best_response_{t.site.lower()}"] = t.to_frame()

    st.subheader("Objective response and disease control")
    st.caption(
        "ORR = CR + PR, DCR = CR + PR + SD, among evaluable patients, with exact "
        "Clopper-Pearson 95% confidence intervals (R binom.test)."
    )
    with guarded("Response rates"):
        rates = cache.response_rates(data, tuple(sites), by)
        frame = rates.to_frame()
        shown = frame.copy()
        for i, name in enumerate(("ORR", "DCR")):
            shown.insert(
                3 + i,
                f"{name} (95% CI)",
                [
                    f"{100 * e:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})"
                    for e, lo, hi in zip(
                        frame[name], frame[f"{name} lower"], frame[f"{name} upper"], strict=True
                    )
                ],
            )
        render_table(shown, "response_rates", "resp_rates")
        tables["response_rates"] = shown
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
        render_table(tox.to_frame(), "toxicity", "resp_tox")
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
