"""Streamlit helpers of the data page: upload, sheet choice, mapping editor, report, confirm.

The uploaded bytes, the mapping and the resulting cohort live in ``st.session_state`` only
(per browser session; nothing is written to disk). :func:`receive_upload` is the single entry
point for file bytes, so tests can feed bytes without a browser.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from hccdash import io as hio
from hccdash import schema
from hccdash.codebook import TO_MONTHS, Codebook
from hccdash.datacheck import CheckReport, check, to_cohort
from hccdash.errors import HccdashError
from hccdash.mapping import (
    DATE_FORMATS,
    DERIVATION_RULE,
    ENTRY_RULE,
    ColumnMapping,
    guess_mapping,
    unit_check,
)
from hccdash.readstat import UPLOAD_TYPES
from hccdash.ui.common import esc_label, esc_md
from hccdash.ui.endpoint_widgets import (
    endpoint_widgets,
    init_endpoints,
)
from hccdash.ui.event_codes import coding_widgets, reset_coding
from hccdash.ui.state import forget_upload, remember_upload

RAW_KEY = "hccdash_upload_raw"  # (file name, bytes, sha256)
TABLE_KEY = "hccdash_upload_table"  # (sha256, sheet, TableFile)
MAPPING_KEY = "hccdash_upload_mapping"  # ColumnMapping the widgets start from
MAPPING_FOR_KEY = "hccdash_upload_mapping_for"  # (sha256, sheet) the widgets were set up for
LOADED_MAPPING_KEY = "hccdash_loaded_mapping_id"
STORED_MSG_KEY = "hccdash_upload_stored_message"
FROM_UPLOADER_KEY = "hccdash_upload_from_uploader"
REPORT_KEY = "hccdash_upload_report"  # ((sha256, sheet, mapping), CheckReport)
STAT_TYPES = UPLOAD_TYPES  # .sav, .zsav, .dta, .sas7bdat: the uploader accepts them
# The uploader's whitelist, the one list: the extensions the readers read (hccdash.io.EXTENSIONS
# and the statistical files), plus old Excel .xls on purpose: no reader, but accepting it lets
# hccdash.io say what to do (save it as .xlsx) instead of the browser's bare "not allowed".
REFUSED_WITH_ADVICE: tuple[str, ...] = ("xls",)
FILE_TYPES: tuple[str, ...] = (
    *(ext.lstrip(".") for ext in hio.EXTENSIONS),
    *STAT_TYPES,
    *REFUSED_WITH_ADVICE,
)
NONE = "(none)"
AUTO = "detect"
PREVIEW_ROWS = 20


def upload_limit_mb() -> float:
    """The upload size limit: Streamlit's server.maxUploadSize, capped at hccdash's limit."""
    server = st.get_option("server.maxUploadSize")
    return float(min(server, hio.DEFAULT_MAX_MB)) if server else hio.DEFAULT_MAX_MB


@st.cache_data(show_spinner=False)
def template_csv() -> bytes:
    """A CSV template with the bundled cohort's columns (header row only)."""
    header = schema.BUNDLED_CSV.read_text(encoding="utf-8").splitlines()[0]
    return (header + "\n").encode("utf-8")


def receive_upload(name: str, data: bytes) -> None:
    """Store an uploaded file's bytes for this session (a new file resets the mapping)."""
    digest = hashlib.sha256(data).hexdigest()
    current = st.session_state.get(RAW_KEY)
    if current is not None and current[2] == digest and current[0] == name:
        return
    st.session_state[RAW_KEY] = (name, data, digest)
    for key in (TABLE_KEY, MAPPING_KEY, MAPPING_FOR_KEY, REPORT_KEY):
        st.session_state.pop(key, None)


def sync_uploader(uploaded) -> None:  # uploaded: UploadedFile | None
    """Take a new file from the uploader; forget it when the user removes it there."""
    if uploaded is not None:
        receive_upload(uploaded.name, uploaded.getvalue())
        st.session_state[FROM_UPLOADER_KEY] = True
    elif st.session_state.pop(FROM_UPLOADER_KEY, False):
        clear_upload()


def clear_upload() -> None:
    """Forget the uploaded file (not the cohort in use)."""
    for key in (RAW_KEY, TABLE_KEY, MAPPING_KEY, MAPPING_FOR_KEY, REPORT_KEY):
        st.session_state.pop(key, None)


def back_to_bundled() -> None:
    """Use the default cohort again (button callback): forgets the upload everywhere."""
    forget_upload()


def pending_file() -> tuple[str, bytes, str] | None:
    """The uploaded file of this session: (name, bytes, sha256) or None."""
    return st.session_state.get(RAW_KEY)


def sheet_choice(name: str, data: bytes) -> str | None:
    """A sheet selectbox for XLSX workbooks with more than one sheet (None otherwise)."""
    try:
        sheets = hio.list_sheets(data, name)
    except HccdashError:
        return None  # read_table reports the problem
    if len(sheets) <= 1:
        return sheets[0] if sheets else None
    return st.selectbox("Sheet", sheets, key="up_sheet", help="The sheet holding the table")


def read_upload(name: str, data: bytes, digest: str, sheet: str | None) -> hio.TableFile:
    """Read the uploaded bytes (once per file and sheet per session)."""
    cached = st.session_state.get(TABLE_KEY)
    if cached is not None and cached[0] == digest and cached[1] == sheet:
        return cached[2]
    table = hio.read_table(data, name, sheet=sheet, max_mb=upload_limit_mb())
    st.session_state[TABLE_KEY] = (digest, sheet, table)
    return table


def show_table_summary(table: hio.TableFile) -> None:
    """How the file was read and its first rows (formula-like text shown as text)."""
    st.caption(esc_md(table.describe()))
    for note in table.notes:
        st.caption(esc_md(note))
    for warning in table.warnings:  # cells the file may have changed: before the confirm
        st.warning(esc_md(warning), icon=":material/warning:")
    preview = hio.neutralise_formulas(table.data.head(PREVIEW_ROWS))
    st.dataframe(preview, hide_index=True)


# -- mapping editor ------------------------------------------------------------------------
_COLUMN_FIELDS = {
    "patient_id": "Patient id",
    "os_time": "OS time",
    "os_event": "OS event",
    "pfs_time": "PFS time",
    "pfs_event": "PFS event",
    "start_date": "Start date (diagnosis or treatment start)",
    "progression_date": "Progression date",
    "death_date": "Death date",
    "last_followup_date": "Last follow-up date",
    "os_entry": "OS entry time (delayed entry)",
    "pfs_entry": "PFS entry time (delayed entry)",
    "entry_date": "Entry date (e.g. registry enrolment)",
    # The design card's sidebar roles (optional; a role column keeps its own name as label).
    "child_pugh": "Filter role: class A/B/C",
    "kps": "Filter role: performance 0-100",
    "pvtt": "Filter role: thrombus yes/no",
    "ascites": "Filter role: ascites yes/no",
    "treatment": "Filter role: treatment arm",
}


def set_time_unit(unit: str) -> None:
    """Button callback: read the time columns in ``unit`` (the unit checks' one-click fix)."""
    st.session_state["map_time_unit"] = unit


def _init_widgets(mapping: ColumnMapping, columns: list[str]) -> None:
    """Put a mapping into the widgets' session state (before the widgets are drawn)."""
    for f in _COLUMN_FIELDS:
        value = getattr(mapping, f)
        st.session_state[f"map_{f}"] = value if value in columns else NONE
    st.session_state["map_time_unit"] = mapping.time_unit
    labels = {fmt: label for fmt, label in DATE_FORMATS}
    st.session_state["map_date_format"] = labels.get(mapping.date_format or "", AUTO)
    st.session_state["map_extra"] = [c for c in mapping.extra_factors if c in columns]
    st.session_state["map_cut_cols"] = [c for c, _ in mapping.cuts if c in columns]
    for c, v in mapping.cuts:
        st.session_state[f"map_cut_{c}"] = float(v)
    for which in ("os", "pfs"):
        reset_coding(which, getattr(mapping, f"{which}_coding"))
    init_endpoints(mapping.endpoints, columns)


def mapping_editor(table: hio.TableFile, digest: str) -> ColumnMapping:
    """Widgets for every mapping field, started from the guess or a loaded mapping JSON."""
    data = table.data
    columns = [str(c) for c in data.columns]
    marker = (digest, table.sheet)
    if st.session_state.get(MAPPING_FOR_KEY) != marker:
        st.session_state[MAPPING_KEY] = guess_mapping(data)
        st.session_state[MAPPING_FOR_KEY] = marker
        _init_widgets(st.session_state[MAPPING_KEY], columns)

    loaded = st.file_uploader(
        "Load a saved mapping (JSON)", type=["json"], key="up_mapping_json", max_upload_size=1,
        help="A mapping saved from this page for a file with the same columns.",
    )  # fmt: skip
    if loaded is not None and st.session_state.get(LOADED_MAPPING_KEY) != loaded.file_id:
        st.session_state[LOADED_MAPPING_KEY] = loaded.file_id
        try:
            mapping = ColumnMapping.from_json(loaded.getvalue())
        except HccdashError as exc:
            st.warning(esc_md(str(exc)))
        else:
            st.session_state[MAPPING_KEY] = mapping
            _init_widgets(mapping, columns)
            absent = [c for c in mapping.source_columns() if c not in columns]
            if absent:
                st.warning(
                    esc_md(
                        f"The loaded mapping names {len(absent)} columns this file does not have "
                        f"({', '.join(map(repr, absent[:5]))}); they are left unmapped. Choose "
                        "them below."
                    )
                )

    options = [NONE, *columns]

    def pick(field_name: str, where=st) -> str | None:
        value = where.selectbox(_COLUMN_FIELDS[field_name], options, key=f"map_{field_name}")
        return None if value == NONE else value

    st.markdown("**Endpoints**: a time and an event column, or dates to compute them from.")
    c1, c2, c3 = st.columns(3)
    patient_id = pick("patient_id", c1)
    time_unit = c2.selectbox(
        "Unit of the time columns", list(TO_MONTHS), key="map_time_unit",
        help="Times are shown in months: days / 30.4375, weeks x 7 / 30.4375, years x 12.",
    )  # fmt: skip
    c1, c2, c3, c4 = st.columns(4)
    os_time, os_event = pick("os_time", c1), pick("os_event", c2)
    pfs_time, pfs_event = pick("pfs_time", c3), pick("pfs_event", c4)
    with st.expander("Compute OS/PFS from dates", expanded=os_time is None or pfs_time is None):
        st.info(DERIVATION_RULE, icon=":material/calculate:")
        c1, c2, c3, c4 = st.columns(4)
        start = pick("start_date", c1)
        prog = pick("progression_date", c2)
        death = pick("death_date", c3)
        last = pick("last_followup_date", c4)
        fmt_labels = [AUTO, *(label for _, label in DATE_FORMATS)]
        fmt_label = st.selectbox("Date format", fmt_labels, key="map_date_format")
        date_format = next((f for f, lab in DATE_FORMATS if lab == fmt_label), None)
    entry_set = any(st.session_state.get(f"map_{f}", NONE) != NONE
                    for f in ("os_entry", "pfs_entry", "entry_date"))  # fmt: skip
    with st.expander("Delayed entry (left truncation)", expanded=entry_set):
        st.info(ENTRY_RULE, icon=":material/login:")
        c1, c2, c3 = st.columns(3)
        os_entry, pfs_entry = pick("os_entry", c1), pick("pfs_entry", c2)
        entry_date = pick("entry_date", c3)
    advice = unit_check(
        data,
        ColumnMapping(
            os_time=os_time,
            pfs_time=pfs_time,
            os_entry=os_entry,
            pfs_entry=pfs_entry,
            time_unit=time_unit,
        ),
    )
    if advice is not None:
        st.warning(esc_md(advice.message), icon=":material/schedule:")
        st.button(
            esc_label(f"Read the times as {advice.suggested}"),
            key="map_unit_fix",
            on_click=set_time_unit,
            args=(advice.suggested,),
            icon=":material/schedule:",
        )
    st.markdown(
        "**Event codes**: each code of an event column is the event of interest, censored or "
        "a competing event type (competing risks)."
    )
    os_coding = coding_widgets("os", os_event, data)
    pfs_coding = coding_widgets("pfs", pfs_event, data)
    st.markdown(
        "**Further endpoints** (any number: recurrence, local control, time to progression...): "
        "each with its time column (or its event date, counted from the start date), event "
        "codes and unit."
    )
    further = endpoint_widgets(data, columns, time_unit)

    st.markdown("**Roles** (the sidebar filters) and **factors**")
    c = st.columns(5)
    roles = {r: pick(r, c[i]) for i, r in enumerate(schema.ROLE_COLUMNS)}
    taken = {patient_id, os_time, os_event, pfs_time, pfs_event, start, prog, death, last,
             os_entry, pfs_entry, entry_date, *roles.values(),
             *(c for e in further for c in (e.time, e.event, e.entry, e.end_date))}  # fmt: skip
    extra_options = [c for c in columns if c not in taken]
    if "map_extra" in st.session_state:
        st.session_state["map_extra"] = [
            c for c in st.session_state["map_extra"] if c in extra_options
        ]
    extra = st.multiselect("Extra factors (kept under their own names)", extra_options,
                           key="map_extra")  # fmt: skip
    # Two distinct values make a binary variable: it is never cut at a value.
    numeric = [
        c
        for c in columns
        if pd.api.types.is_numeric_dtype(data[c]) and data[c].dropna().nunique() > 2
    ]
    cut_cols = st.multiselect(
        "Numeric cut points (e.g. KPS > 70, dose > 52 Gy)", numeric, key="map_cut_cols",
        help="Each adds a two-level factor '<column> ≤cut / >cut'.",
    )  # fmt: skip
    cuts = []
    for col in cut_cols:
        key = f"map_cut_{col}"
        if key not in st.session_state:
            st.session_state[key] = float(pd.to_numeric(data[col], errors="coerce").median())
        cuts.append((col, float(st.number_input(esc_label(f"Cut point of {col!r}"), key=key))))
    mapping = ColumnMapping(
        patient_id=patient_id, os_time=os_time, os_event=os_event, pfs_time=pfs_time,
        pfs_event=pfs_event, time_unit=time_unit, os_coding=os_coding, pfs_coding=pfs_coding,
        start_date=start, progression_date=prog, death_date=death, last_followup_date=last,
        os_entry=os_entry, pfs_entry=pfs_entry, entry_date=entry_date, date_format=date_format,
        extra_factors=tuple(extra), cuts=tuple(cuts), endpoints=further, **roles,
    )  # fmt: skip
    st.download_button(
        "Save this mapping (JSON)",
        data=mapping.to_json().encode("utf-8"),
        file_name=f"{table.name.rsplit('.', 1)[0]}.mapping.json",
        mime="application/json",
        key="up_save_mapping",
        on_click="ignore",
        icon=":material/download:",
    )
    return mapping


# -- report and confirmation ---------------------------------------------------------------
@dataclass(frozen=True)
class ReportView:
    """What the page needs to decide on the confirm step."""

    report: CheckReport
    n_excluded: int


def show_report(report: CheckReport) -> ReportView:
    """The validation report: counts, one message per fatal problem, the full table."""
    excluded = int(report.excluded().sum())
    fatal, warns = report.fatal, report.warnings
    if not report.problems:
        st.success(f"No problems found in {report.n_rows} rows.", icon=":material/check:")
    else:
        st.markdown(
            f"**{len(fatal)} fatal problem{'s' if len(fatal) != 1 else ''}** "
            f"({excluded} row{'s' if excluded != 1 else ''} affected) and "
            f"**{len(warns)} warning{'s' if len(warns) != 1 else ''}** in {report.n_rows} rows."
        )
    for p in fatal:
        st.error(esc_md(str(p)), icon=":material/error:")
    for p in warns:
        st.warning(esc_md(str(p)), icon=":material/warning:")
    if report.problems:
        # The grid's CSV download must not carry live formulas either.
        table = hio.neutralise_formulas(report.to_frame())
        st.dataframe(table, hide_index=True, key="up_report_table")
    return ReportView(report, excluded)


def confirm_and_store(view: ReportView, name: str, codebook: Codebook | None = None) -> None:
    """The confirm button: store the cohort (excluding fatal rows only when confirmed)."""
    report = view.report
    if report.blocking:
        st.error(
            "This table cannot be analysed as it is: fix the file and upload it again.",
            icon=":material/block:",
        )
        return
    undeclared = [p for p in report.fatal if p.kind == "event_unknown"]
    if undeclared:
        # A coding problem is never fixed by dropping rows: the codes are declared instead.
        parts = []
        for p in undeclared:
            counts = Counter(p.values).most_common(8)
            codes = ", ".join(f"{c!r} ({n} row{'s' if n != 1 else ''})" for c, n in counts)
            parts.append(f"column {p.column!r}: {codes}")
        st.error(
            esc_md(
                f"Event codes not declared ({'; '.join(parts)}). Declare each code in step 2 "
                "as the event of interest, censored or a competing event type; patients are "
                "not excluded for their codes."
            ),
            icon=":material/rule:",
        )
        return
    if any(p.kind == "time_implausible" for p in report.fatal):
        # A unit problem is never fixed by dropping rows: the unit changes, the rows stay.
        st.error(
            "Some times do not fit the chosen unit: change the unit of the time columns "
            "(step 2) rather than excluding patients.",
            icon=":material/schedule:",
        )
        return
    label = (
        f"Exclude the {view.n_excluded} listed rows and use this cohort"
        if view.n_excluded
        else "Use this cohort"
    )
    if st.button(
        esc_label(label), key="up_confirm", type="primary", icon=":material/check_circle:"
    ):
        try:
            cohort = to_cohort(
                report,
                name=f"Uploaded: {name}",
                source=name,
                exclude_fatal=view.n_excluded > 0,
                codebook=codebook,
            )
        except HccdashError as exc:
            st.error(esc_md(str(exc)))
            return
        remember_upload(cohort)
        st.session_state[STORED_MSG_KEY] = (
            f"Using {name}: {cohort.n} patients"
            + (f" ({view.n_excluded} rows excluded)" if view.n_excluded else "")
            + ". Every page now analyses this cohort."
        )
        # Rerun the whole app (this runs in the mapping fragment): the page header, the
        # sidebar and every page show the new cohort at once.
        st.rerun(scope="app")


def show_stored_message() -> None:
    """The confirmation of the last stored cohort, shown once after the rerun."""
    message = st.session_state.pop(STORED_MSG_KEY, None)
    if message:
        st.success(esc_md(message), icon=":material/check:")


def run_check(table: hio.TableFile, mapping: ColumnMapping, digest: str = "") -> CheckReport | None:
    """The report (kept for this session until the file or the mapping changes), or None
    after showing why the mapping cannot be checked."""
    key = (digest, table.sheet, mapping)
    cached = st.session_state.get(REPORT_KEY)
    if digest and cached is not None and cached[0] == key:
        return cached[1]
    try:
        report = check(table.data, mapping)
    except HccdashError as exc:
        st.warning(esc_md(str(exc)), icon=":material/warning:")
        return None
    st.session_state[REPORT_KEY] = (key, report)
    return report
