"""The "Landmark" tab of the Cox page's "More models": Kaplan-Meier, log-rank and Cox from a
landmark time, for a factor known only after baseline.
"""

from __future__ import annotations

import streamlit as st

from hccdash.coxext import landmark
from hccdash.figures import km_figure
from hccdash.ui.common import esc_md, guarded
from hccdash.ui.cox_extras_common import KEEP, _landmark, _pick, _terms_table
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.km_view import render_figure


def _landmark_tab(data, endpoint, labels, tables):
    st.info(landmark.LANDMARK_WHY, icon=":material/info:")
    c1, c2 = st.columns(2)
    cands = [c for c in covariate_candidates(data) if data[c].dropna().nunique() <= 8]
    factor = _pick(c1, "Factor known after baseline", cands, "coxx_lm_factor", labels)
    at = c2.number_input(
        "Landmark time (months)", min_value=0.0, value=3.0, key="coxx_lm_at", persist_state=KEEP
    )
    if factor is None:
        st.info("Choose the factor (e.g. response at the landmark).")
        return
    with guarded("The landmark analysis"):
        res = _landmark(data, endpoint.time, endpoint.event, factor, float(at))
        st.markdown(
            esc_md(
                f"{res.n_kept} patients followed beyond {at:g} months are compared from then on; "
                f"{res.events_before} with the event and {res.censored_before} censored before "
                "the landmark are left out."
            )
        )
        for message in res.messages:
            st.warning(esc_md(message), icon=":material/warning:")
        if res.km is not None:
            fig = km_figure(res.km, test=res.logrank, risk_rows=("at risk",),
                            title=f"{endpoint.label} from the {at:g}-month landmark by "
                            f"{labels.get(factor, factor)}")  # fmt: skip
            render_figure(fig, f"landmark_{factor}", "coxx_lm_fig")
        if res.cox is not None:
            _terms_table(res.cox, labels, f"{endpoint.label}: Cox model from the {at:g}-month "
                         "landmark", f"landmark_cox_{factor}", "coxx_lm_cox", tables)  # fmt: skip
