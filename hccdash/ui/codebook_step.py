"""Step 4 of the data page: the codebook of the upload (endpoint names, a codebook to load,
what the cohort will hold per endpoint, the download).

A loaded codebook's endpoints that the mapping lacks are added to step 2
(:func:`hccdash.ui.endpoint_widgets.adopt_codebook_endpoints`, the uploader's callback).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from hccdash import io as hio
from hccdash.codebook import TO_MONTHS, Codebook
from hccdash.datacheck import CheckReport
from hccdash.errors import HccdashError
from hccdash.mapping import ColumnMapping, mapping_codebook
from hccdash.mapping.endpoints import slug_key
from hccdash.nonparametric import median_followup
from hccdash.ui.common import esc_label, esc_md
from hccdash.ui.endpoint_widgets import adopt_codebook_endpoints, show_adopted
from hccdash.ui.upload import set_time_unit


def endpoint_summary(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per endpoint: patients, events, censored, time range and median follow-up (reverse
    Kaplan-Meier, R ``survfit(Surv(time, 1 - event) ~ 1)``) in the unit of the file."""
    rows = []
    for e in codebook.endpoints:
        if e.time not in data or e.event not in data:
            continue
        t = pd.to_numeric(data[e.time], errors="coerce")
        ev = pd.to_numeric(data[e.event], errors="coerce")
        ok = t.notna() & ev.notna()
        t, ev = t[ok] / TO_MONTHS[e.unit], ev[ok]
        fu = None
        if ok.any():
            try:
                fu = median_followup(t.to_numpy(), ev.to_numpy().astype(int)).median
            except HccdashError:
                fu = None
        competing = 0
        if e.has_competing and e.status_column in data:
            kinds = data.loc[ok[ok].index, e.status_column].astype(str)
            competing = int(kinds.isin([c.lower() for c in e.competing_values]).sum())
        rows.append(
            {
                "endpoint": f"{e.label} ({e.key})",
                "patients": int(ok.sum()),
                "events": int((ev == 1).sum()),
                "competing events": competing,
                "censored": int((ev == 0).sum()) - competing,
                "delayed entry": "yes" if e.entry is not None and e.entry in data else "no",
                "shortest": float(t.min()) if ok.any() else None,
                "longest": float(t.max()) if ok.any() else None,
                "median follow-up": fu,
                "unit": e.unit,
            }
        )
    return pd.DataFrame(rows)


def codebook_editor(
    table: hio.TableFile, mapping: ColumnMapping, report: CheckReport
) -> Codebook | None:
    """Endpoint names, an optional codebook to load, what the cohort will hold, download
    (None after showing why no codebook can be written)."""
    loaded_file = st.file_uploader(
        "Load a codebook (JSON): labels, levels, references, endpoints", type=["json"],
        key="up_codebook_json", max_upload_size=1,
        on_change=adopt_codebook_endpoints, args=([str(c) for c in table.data.columns],
                                                  "up_codebook_json"),
        help="A codebook saved from this page (and edited, if you like; format in "
        "docs/codebook.md).",
    )  # fmt: skip
    loaded = None
    if loaded_file is not None:
        try:
            loaded = Codebook.from_json(loaded_file.getvalue(), source=loaded_file.name)
        except HccdashError as exc:
            st.warning(esc_md(str(exc)), icon=":material/warning:")
    show_adopted()
    if loaded is not None:
        _codebook_unit_advice(loaded, mapping)
    slots = [("os", "Overall survival")] if mapping.has_os() else []
    slots += [("pfs", "Progression-free survival")] if mapping.has_pfs() else []
    names: dict[str, tuple[str, str]] = {}
    from_file = {
        "file_labels": getattr(table, "variable_labels", {}),
        "file_levels": getattr(table, "value_levels", {}),
    }
    try:
        base = mapping_codebook(table.data, mapping, report.data, loaded=loaded, **from_file)
    except HccdashError as exc:  # a loaded codebook naming two endpoints alike
        st.error(esc_md(str(exc)), icon=":material/error:")
        return None
    cols = st.columns(max(len(slots), 1) * 2)
    marker = loaded_file.file_id if loaded is not None and loaded_file is not None else None
    if st.session_state.get("cb_loaded_marker") != marker:
        # A newly loaded codebook names the endpoints: the name fields start from it.
        st.session_state["cb_loaded_marker"] = marker
        for slot, _ in slots:
            st.session_state.pop(f"cb_{slot}_key", None)
            st.session_state.pop(f"cb_{slot}_label", None)
    for i, ((slot, _), e) in enumerate(zip(slots, base.endpoints, strict=False)):
        key = cols[2 * i].text_input(
            f"Endpoint {i + 1}: short name", value=e.key, key=f"cb_{slot}_key",
            help="Used in URLs and exports (e.g. os, pfs, rfs, dfs).",
        )  # fmt: skip
        label = cols[2 * i + 1].text_input(
            f"Endpoint {i + 1}: name", value=e.label, key=f"cb_{slot}_label",
            help="Shown on every page and figure (e.g. Recurrence-free survival).",
        )  # fmt: skip
        names[slot] = (slug_key(key) or slot, label.strip() or e.label)
    try:
        codebook = mapping_codebook(
            table.data, mapping, report.data, names=names, loaded=loaded, **from_file
        )
    except HccdashError as exc:  # e.g. two endpoints with one short name
        st.error(esc_md(f"{exc} Two endpoints need two short names."), icon=":material/error:")
        return None
    kept = report.data[~report.excluded()]
    summary = endpoint_summary(kept, codebook)
    if not summary.empty:
        st.markdown("**What the cohort will hold** (times in the unit of the file)")
        st.dataframe(summary, hide_index=True, key="up_endpoint_summary")
    st.download_button(
        "Download the codebook (JSON)",
        data=codebook.to_json().encode("utf-8"),
        file_name=f"{table.name.rsplit('.', 1)[0]}.codebook.json",
        mime="application/json",
        key="up_save_codebook",
        on_click="ignore",
        icon=":material/download:",
    )
    return codebook


def _codebook_unit_advice(loaded: Codebook, mapping: ColumnMapping) -> None:
    """A loaded codebook whose endpoint unit differs from the unit chosen in step 2: a
    warning whose one click reads the times in the codebook's unit (rows are never dropped)."""
    sources = {(mapping.os_time, mapping.os_event), (mapping.pfs_time, mapping.pfs_event)}
    units = [e.unit for e in loaded.endpoints if (e.time, e.event) in sources]
    unit = next((u for u in units if u != mapping.time_unit and u in TO_MONTHS), None)
    if unit is None:
        return
    st.warning(
        esc_md(
            f"The codebook gives the times in {unit}, but step 2 reads them as "
            f"{mapping.time_unit}. Read the times as {unit}?"
        ),
        icon=":material/schedule:",
    )
    st.button(
        esc_label(f"Read the times as {unit} (the codebook's unit)"),
        key="cb_unit_fix",
        on_click=set_time_unit,
        args=(unit,),
        icon=":material/schedule:",
    )
