"""Your data: upload a cohort file, map its columns, read the validation report, use it."""

import streamlit as st

from hccdash.errors import HccdashError
from hccdash.ui import upload
from hccdash.ui.common import esc_md
from hccdash.ui.state import UPLOADED_KEY, active_cohort

st.title("Your data")
cohort = active_cohort()
upload.show_stored_message()
if st.session_state.get(UPLOADED_KEY) is not None:
    st.success(
        f"Every page analyses **{esc_md(cohort.name)}** ({cohort.n} patients). It lives in this "
        "browser session only.",
        icon=":material/upload_file:",
    )
    st.button(
        "Back to the bundled cohort",
        key="up_back",
        on_click=upload.back_to_bundled,
        icon=":material/undo:",
    )
else:
    st.caption(f"Now analysing the bundled cohort ({cohort.n} patients).")

st.markdown(
    "Upload a CSV, TSV, XLSX or Parquet file with one row per patient. The file stays in this "
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
    type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet", "pq"],
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

st.subheader("2. Column mapping")
mapping = upload.mapping_editor(table, digest)

st.subheader("3. Validation report")
report = upload.run_check(table, mapping, digest)
if report is None:
    st.stop()
view = upload.show_report(report)

st.subheader("4. Use the cohort")
upload.confirm_and_store(view, name)
