"""Steps 2-5 of the data page (mapping, validation report, codebook, confirm) as one fragment.

A change of a mapping field, of the codebook or of the report's options reruns only these
steps (issue 20): not the sidebar, the uploader or the file's summary, which do not depend on
the mapping. Everything they need is read from the file once per upload (the page's
``upload.read_upload``). The confirm button stores the cohort and reruns the **whole app**
(``upload.confirm_and_store`` calls ``st.rerun(scope="app")``), so the sidebar, the menu and
every page see the new cohort at once.
"""

from __future__ import annotations

import streamlit as st

from hccdash import io as hio
from hccdash.ui import codebook_step, upload
from hccdash.ui.fragments import session_fragment


@session_fragment(slot="digest")
def mapping_steps(table: hio.TableFile, digest: str, name: str) -> None:
    """Column mapping, validation report, codebook and the confirm button of one upload."""
    st.subheader("2. Column mapping")
    mapping = upload.mapping_editor(table, digest)

    st.subheader("3. Validation report")
    report = upload.run_check(table, mapping, digest)
    if report is None:
        return
    view = upload.show_report(report)

    st.subheader("4. Codebook")
    codebook = codebook_step.codebook_editor(table, mapping, report)
    if codebook is None:
        return

    st.subheader("5. Use the cohort")
    upload.confirm_and_store(view, name, codebook)
