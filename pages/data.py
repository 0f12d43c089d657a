"""Your data: upload a cohort file, map its columns, read the validation report, use it."""

import streamlit as st

from hccdash.errors import HccdashError
from hccdash.ui import upload
from hccdash.ui.common import esc_md
from hccdash.ui.mapping_steps import mapping_steps
from hccdash.ui.state import UPLOADED_KEY, active_cohort, default_cohort, forget_upload

st.title("Your data")
cohort = active_cohort()
upload.show_stored_message()
if st.session_state.get(UPLOADED_KEY) is not None:
    st.success(
        f"Every page analyses **{esc_md(cohort.name)}** ({cohort.n} patients). It is held in "
        "the server's memory for this tab only (a reload keeps it; unused for 30 minutes, it is "
        "dropped).",
        icon=":material/upload_file:",
    )
    c1, c2 = st.columns(2)
    c1.button(
        "Back to the bundled cohort"
        if default_cohort().reconstructed
        else "Back to the server's cohort",
        key="up_back",
        on_click=upload.back_to_bundled,
        icon=":material/undo:",
    )
    c2.button(
        "Forget this data",
        key="up_forget",
        on_click=forget_upload,
        icon=":material/delete:",
        help="Drop the uploaded cohort from the server's memory now.",
    )
else:
    st.caption(f"Now analysing {esc_md(cohort.name)} ({cohort.n} patients).")

st.markdown(
    "Upload a CSV, TSV, XLSX, Parquet, SPSS (.sav), Stata (.dta) or SAS (.sas7bdat) file "
    "with one row per patient. The file stays in this "
    "browser session: it is not saved on the server, not shared with other sessions and never "
    "modified."
)
st.download_button(
    "Template CSV (the bundled cohort's columns)",
    data=upload.template_csv(),
    file_name="hccdash_template.csv",
    mime="text/csv",
    key="up_template",
    on_click="ignore",
    icon=":material/table:",
)
limit = upload.upload_limit_mb()
uploaded = st.file_uploader(
    f"Cohort file (up to {limit:g} MB)",
    type=list(upload.FILE_TYPES),
    key="up_file",
    max_upload_size=int(limit),
)
upload.sync_uploader(uploaded)

pending = upload.pending_file()
if pending is None:
    st.stop()
name, raw, digest = pending

st.subheader("1. The file")
sheet = upload.sheet_choice(name, raw)
try:
    table = upload.read_upload(name, raw, digest, sheet)
except HccdashError as exc:
    st.error(esc_md(str(exc)), icon=":material/error:")
    st.stop()
upload.show_table_summary(table)

# Steps 2-5 (mapping, report, codebook, confirm): one fragment, rerun alone on their changes.
mapping_steps(table, digest, name)
