"""Reproduce the paper: every figure Luo et al. published beside the bundled cohort's value."""

import pandas as pd
import streamlit as st

from hccdash import reproduce
from hccdash.schema import load_bundled_cohort
from hccdash.ui.common import esc_md, guarded
from hccdash.ui.state import active_cohort

OK_COLOR = "background-color: #d9f2e3"  # within tolerance
MISS_COLOR = "background-color: #fbe3d6"  # outside tolerance


@st.cache_data(show_spinner="Computing every published figure from the bundled cohort...")
def _tables() -> dict[str, pd.DataFrame]:
    data = load_bundled_cohort().data
    return {
        "fidelity": reproduce.fidelity(data).to_frame(),
        "overall": reproduce.overall(data),
        "medians": reproduce.table1_medians(data),
        "tests": reproduce.table1_tests(data),
        "responses": reproduce.responses(data),
        "table2": reproduce.table2(data),
        "inconsistencies": reproduce.inconsistencies(),
    }


def _num(v: float) -> str:
    """Counts without decimals, rates and months with three."""
    return f"{v:g}" if float(v).is_integer() else f"{v:.3f}"


def _rows_height(frame: pd.DataFrame) -> int:
    """Pixel height that shows every row (the tables are short)."""
    return 35 * (len(frame) + 1) + 3


def _highlight(frame: pd.DataFrame, flag: str, cols: list[str]):
    """Styler colouring ``cols`` green where ``flag`` is True and orange where False."""

    def paint(row: pd.Series) -> list[str]:
        ok = row[flag]
        color = "" if pd.isna(ok) else (OK_COLOR if ok else MISS_COLOR)
        return [color if c in cols else "" for c in row.index]

    return frame.style.apply(paint, axis=1)


st.title("Reproduce the paper")
st.markdown(
    "Luo et al. (IMRT with or without TACE for HCC with extrahepatic oligometastasis, 21 "
    "patients) published summary figures only. The bundled cohort is **reconstructed** from "
    "them by `python -m hccdash.cohort`, a deterministic search (see `data/README.md` and "
    "`data/reconstruction_report.md`). Below, every published figure sits beside the value "
    "hccdash computes live from the **full bundled cohort** (sidebar filters do not apply "
    "here). Green: within tolerance; orange: outside."
)
if not active_cohort().reconstructed:
    st.info(
        "You are working on your own data: this comparison applies to the bundled "
        "reconstructed cohort, not to the cohort you loaded.",
        icon=":material/info:",
    )

with guarded("The comparison"):
    tables = _tables()

    st.subheader("Acceptance criteria")
    fid = tables["fidelity"].astype({"value": str, "threshold": str})
    st.dataframe(_highlight(fid, "met", ["value", "met"]), hide_index=True, key="rp_fidelity")

    st.subheader("Overall survival, progression-free survival and follow-up")
    ov = tables["overall"]
    st.dataframe(
        _highlight(ov, "within", ["computed", "delta"]).format(
            {"published": "{:g}", "computed": _num, "delta": _num, "tolerance": "{:g}"}
        ),
        hide_index=True,
        height=_rows_height(ov),
        key="rp_overall",
    )

    st.subheader("Table 1: subgroup medians (months)")
    st.caption(
        "Medians by R's rule (first time S(t) <= 0.5). '-' in the paper (not reached or not "
        "estimated) is not scored; tolerance 2 months."
    )
    med = tables["medians"]
    st.dataframe(
        _highlight(med, "within", ["median", "delta"]).format(
            {"median_published": "{:g}", "median": "{:.2f}", "delta": "{:+.2f}"}, na_rep="-"
        ),
        hide_index=True,
        key="rp_medians",
    )

    st.subheader("Table 1: log-rank p values")
    st.caption(
        "Log-rank as R `survdiff`; failure mode compares the 18 patients who failed. Green: "
        "same side of 0.05 as published. log10_ratio = log10 p - log10 p_published."
    )
    tests = tables["tests"]
    st.dataframe(
        _highlight(tests, "same_side", ["p", "log10_ratio"]).format(
            {"p_published": "{:g}", "chisq": "{:.3f}", "p": "{:.4f}", "log10_ratio": "{:+.3f}"}
        ),
        hide_index=True,
        height=_rows_height(tests),
        key="rp_tests",
    )

    st.subheader("Responses (RECIST 1.1), pain relief and toxicity")
    resp = tables["responses"]
    st.dataframe(
        _highlight(resp, "within", ["computed", "delta"]).format(
            {"published": "{:g}", "computed": "{:g}", "delta": "{:+g}", "tolerance": "{:g}"}
        ),
        hide_index=True,
        height=_rows_height(resp),
        key="rp_responses",
    )

    st.subheader("Table 2: multivariable Cox model")
    st.caption(
        "Our Cox model (Efron ties, as R `coxph`) on the paper's seven covariates, fitted on "
        "the 18 patients who failed (failure mode is a covariate), Child-Pugh as a 1-3 score. "
        "The paper's OS 'RR' column reads as SPSS's Wald chi-square, so compare it with "
        "`wald_chisq`, not `hr`. Table 2 was not a target of the reconstruction: with about "
        "2.5 events per coefficient these estimates are unstable."
    )
    t2 = tables["table2"]
    notes = [n for n in dict.fromkeys(t2["note"]) if n]
    for note in notes:
        st.warning(esc_md(note), icon=":material/warning:")
    st.dataframe(
        t2.drop(columns=["note"]).style.format(
            {
                "paper_rr": "{:g}",
                "paper_p": "{:g}",
                "hr": "{:.3g}",
                "wald_chisq": "{:.3f}",
                "p": "{:.4f}",
            }
        ),
        hide_index=True,
        height=_rows_height(t2),
        key="rp_table2",
    )

    st.subheader("The paper's own inconsistencies")
    st.caption("Transcribed in published.json; how the reconstruction handles each one.")
    for i, row in enumerate(tables["inconsistencies"].itertuples(), start=1):
        # Text from the packaged published.json and hccdash.reproduce, not from user data.
        st.markdown(f"**{i}. {row.inconsistency}**  \n{row.explanation}")
