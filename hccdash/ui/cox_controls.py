"""The Cox page's model choices: endpoint, ties, Firth, covariates, codebook cut points,
delayed entry and reference levels (one home for the in-memory and the served page)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from hccdash.filters import parse_endpoint
from hccdash.schema import Cohort, Endpoint
from hccdash.ui.common import esc_label, esc_md, url_choice
from hccdash.ui.cox_view import (
    covariate_candidates,
    grouped_cohort,
    grouping_names,
    reference_options,
)

__all__ = ["CoxControls", "cox_controls"]


@dataclass(frozen=True)
class CoxControls:
    """What the Cox page's widgets chose."""

    key: str
    endpoint: Endpoint
    ties: str
    penalized: bool
    covariates: tuple[str, ...]
    use_paper_cuts: bool
    entry: str | None
    reference: dict[str, str] = field(default_factory=dict)


def cox_controls(
    cohort: Cohort, full: pd.DataFrame, endpoints: dict[str, Endpoint], *, firth: bool = True
) -> CoxControls:
    """Draw the model's widgets (the endpoint restored from the URL) and return the choices.

    ``full`` is the whole cohort's frame the candidates and levels are read from (a served
    cohort's option frame); ``firth`` False leaves out the penalised-fit toggle.
    """
    url_choice(
        "cox_endpoint",
        parse_endpoint(st.query_params, list(endpoints)),
        list(endpoints),
        next(iter(endpoints)),
    )
    c1, c2 = st.columns([1, 3])
    key = c1.radio(
        "Endpoint", list(endpoints), key="cox_endpoint", format_func=str.upper, horizontal=True
    )
    st.query_params["endpoint"] = key
    endpoint = endpoints[key]
    ties = c1.radio("Ties", ["efron", "breslow"], key="cox_ties", horizontal=True)
    penalized = firth and c1.toggle("Firth penalised fit", value=False, key="cox_firth")
    candidates = covariate_candidates(full, cohort=cohort)
    default = [c for c in cohort.default_model() if c in candidates]
    covariates = c2.multiselect(
        "Covariates (default: the codebook's model)" if default else "Covariates",
        candidates,
        default=default,
        key="cox_covariates",
        format_func=cohort.label,
    )
    groupings = grouping_names(cohort, candidates)
    use_paper_cuts = bool(groupings) and c2.toggle(
        esc_label(
            f"Group numeric covariates at the codebook's cut points ({'; '.join(groupings)})"
        ),
        value=True,
        key="cox_paper_cuts",
    )
    # The codebook's delayed entry of this endpoint: every model is Surv(entry, time, event).
    entry = cohort.entry_column(key)
    if entry is not None:
        st.info(
            esc_md(
                f"{endpoint.label} has delayed entry: each patient is at risk only from entry "
                "on (rows (entry, time], R coxph(Surv(entry, time, event) ~ ...)) in every "
                "model below."
            ),
            icon=":material/login:",
        )
    full_data = grouped_cohort(cohort, covariates, use_paper_cuts)
    reference = {}
    refs = reference_options(full_data, covariates, cohort)
    if refs:
        with st.expander("Reference levels"):
            ref_cols = st.columns(min(4, len(refs)))
            for i, (column, levels) in enumerate(refs.items()):
                reference[column] = ref_cols[i % len(ref_cols)].selectbox(
                    esc_label(cohort.label(column)), levels, key=f"cox_ref_{column}"
                )
    return CoxControls(
        key, endpoint, ties, bool(penalized), tuple(covariates), bool(use_paper_cuts), entry,
        reference,
    )  # fmt: skip
