"""The server's cohort served in place (``HCCDASH_DATA`` above ``HCCDASH_IN_MEMORY_ROWS``).

One :class:`~hccdash.served_pages.ServedShell` per server process and file version
(``st.cache_resource`` keyed by the paths and modification times, as the in-memory server
cohort): every session's sidebar reads its option frame and counts on its one engine
connection; nothing of its rows is copied per session.

The KM and cohort pages compute from SQL (:mod:`hccdash.ui.served_km`, :func:`overview`), the
Cox page fits on the engine (:mod:`hccdash.ui.served_cox`).
Every other page calls :func:`hccdash.ui.sidebar.filtered_view`, which hands it
:func:`rows_view`: the rows the sidebar's filters keep, read into memory when they are at most
``HCCDASH_IN_MEMORY_ROWS`` (cached per served cohort and filter, a few entries, shared by the
sessions: the server's cohort is no user's upload), else one message saying how many
patients match, the limit and the fixes, and the page stops there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from hccdash import served_pages as sp
from hccdash import served_stats as ss
from hccdash.errors import HccdashError
from hccdash.schema import Cohort
from hccdash.shared_store import SharedStore
from hccdash.ui.common import esc_md
from hccdash.ui.state import file_mtime

__all__ = ["counts", "is_served", "over_limit_message", "rows_view", "server_shell"]

ROWS = SharedStore[sp.ServedRows](2)  # filtered sets held at once (each at most the limit)
COUNTS = SharedStore[tuple[int, int, dict[str, int]]](256)


@st.cache_resource(show_spinner=False, max_entries=4)
def _shell(
    data: str, data_mtime: float | None, codebook: str, cb_mtime: float | None, table: str | None,
    limit: int,
) -> tuple[sp.ServedShell | None, str | None]:  # fmt: skip
    """The served cohort of one file version (``limit`` is in the key: a new threshold
    decides again)."""
    from hccdash.engine.served import served_cohort

    try:
        if not sp.serve_in_place(data, codebook, table):
            return None, None
        served = served_cohort(data, codebook, table)
        key = f"{data}@{data_mtime}|{codebook}@{cb_mtime}|{table}"
        return sp.shell_cohort(served, key, Path(data).name), None
    except HccdashError as exc:
        return None, str(exc)


def server_shell(
    data: Path, codebook: Path | None, table: str | None = None
) -> tuple[sp.ServedShell | None, str | None] | None:
    """(shell, None) when ``HCCDASH_DATA`` is served in place, (None, message) when it should
    be but cannot be opened, None when it is read into memory as before."""
    if codebook is None:
        return None
    if table is None:
        from hccdash.engine.served import TABLE_ENV

        table = os.environ.get(TABLE_ENV) or None
    try:
        limit = sp.in_memory_rows()
    except HccdashError as exc:
        return None, str(exc)
    shell, error = _shell(
        str(data), file_mtime(data), str(codebook), file_mtime(codebook), table, limit
    )
    if shell is None and error is None:
        return None
    return shell, error


def is_served(cohort: Cohort | None) -> bool:
    """Whether ``cohort`` is the server's cohort served in place (no rows in memory)."""
    return isinstance(cohort, sp.ServedShell)


def over_limit_message(n: int, limit: int, what: str = "This page") -> str:
    """The one message of a page that needs every row, above the in-memory limit.

    >>> over_limit_message(1_234_567, 200_000)[:60]
    "This page needs every patient's row in memory: 1,234,567 pat"
    """
    return (
        f"{what} needs every patient's row in memory: {n:,} patients match the filters, "
        f"more than the server's limit of {limit:,} ({sp.IN_MEMORY_ENV}). Fix: narrow the "
        "filters in the sidebar until at most that many match; or ask the server's operator "
        f"to raise {sp.IN_MEMORY_ENV}; or run the analysis on the engine from a terminal, "
        "python -m hccdash analyze --engine duckdb (KM, tests and Cox on every row). The "
        "Kaplan-Meier and Cohort pages, and the Cox model page without delayed entry, work on "
        "every patient."
    )


def counts(shell: sp.ServedShell, spec) -> tuple[int, int, dict[str, int]]:
    """The sidebar's counts on the engine: patients kept, patients served, events per
    endpoint among those kept (COUNT and SUM queries, cached per cohort and filter)."""
    served = shell.served
    return COUNTS.get(
        (shell.identity, repr(spec)),
        lambda: (served.count(spec), served.count(), ss.events(served, spec)),
    )


def _rows(shell: sp.ServedShell, spec) -> sp.ServedRows:
    return ROWS.get((shell.identity, repr(spec)), lambda: sp.materialise(shell, spec))


def rows_view(view):
    """``view`` (a :class:`~hccdash.ui.sidebar.FilteredView` of a served cohort) with the
    filtered rows in memory, or the page's message and ``st.stop()`` above the limit."""
    from hccdash.identity import register
    from hccdash.ui.sidebar import FilteredView

    limit = sp.in_memory_rows()
    if view.n > limit:
        st.warning(esc_md(over_limit_message(view.n, limit)), icon=":material/database:")
        st.stop()
    try:
        with st.spinner(f"Reading the {view.n:,} patients the filters keep ..."):
            rows = _rows(view.cohort, view.spec)
    except HccdashError as exc:
        st.error(esc_md(f"The server's cohort could not be read: {exc}"))
        st.stop()
    data = register(rows.data, rows.identity)
    return FilteredView(rows, data, view.spec, len(data), view.n_total)


def cohort_page_view(view):
    """The cohort page's view: a served cohort's rows when the filters keep at most
    ``HCCDASH_IN_MEMORY_ROWS`` (the page as for any cohort), else :func:`render_overview`
    and ``st.stop()``; any other cohort as it is."""
    if not is_served(view.cohort):
        return view
    if view.n > sp.in_memory_rows():
        render_overview(view)
        st.stop()
    return rows_view(view)


def render_overview(view) -> None:
    """The cohort page of a served cohort from SQL: patients, events per endpoint, median
    follow-up, patients per group of a column, completeness (one query each)."""
    from hccdash.ui import cache
    from hccdash.ui.common import guarded, reconstruction_notice
    from hccdash.ui.km_view import render_table, table_height

    shell, served = view.cohort, view.cohort.served
    st.title("Cohort")
    reconstruction_notice(shell)
    c1, c2, c3 = st.columns(3)
    c1.metric("Patients loaded", f"{view.n_total:,}")
    c2.metric("Patients after filters", f"{view.n:,}")
    c3.metric("Columns", len(served.columns))
    st.markdown(f"**{esc_md(shell.name)}**")
    st.caption(f"Source: {esc_md(shell.source)} · Filters: {esc_md(view.filters_text)}")
    st.info(
        esc_md(
            f"Served in place by the engine ({view.n_total:,} rows; nothing is copied per "
            f"session). The baseline table needs the rows in memory: it is shown when the "
            f"filters keep at most {sp.in_memory_rows():,} patients ({sp.IN_MEMORY_ENV})."
        ),
        icon=":material/database:",
    )
    endpoints = shell.endpoints()
    if view.n and endpoints:
        _, _, events = counts(shell, view.spec)
        cols = st.columns(len(endpoints) + 1)
        for col, e in zip(cols, endpoints, strict=False):
            col.metric(f"{e.key.upper()} events", f"{events.get(e.key, 0):,}")
        first = endpoints[0]
        with cols[-1], guarded("Median follow-up"):
            fu = ss.followup_of(served, view.spec, first.key)
            st.metric(
                f"Median follow-up ({first.key.upper()}, reverse KM)",
                "not reached" if fu.median is None else f"{fu.median:.1f} {first.unit}",
                help="Median potential follow-up: Kaplan-Meier of the censoring times, "
                "R survfit(Surv(time, 1 - event) ~ 1).",
            )
    st.subheader("Patients per group")
    columns = cache.few_level_columns(shell.data)  # the option frame: one scan per cohort
    from hccdash.schema import TREATMENT

    arm = shell.role(TREATMENT)
    default = columns.index(arm) if arm in columns else 0
    if columns:
        by = st.selectbox(
            "Groups of", columns, index=default, key="cohort_served_by",
            format_func={c: f"{shell.label(c)} ({c})" if shell.label(c) != c else c
                         for c in columns}.__getitem__,
        )  # fmt: skip
        with guarded("The group sizes"):
            sizes = ss.group_sizes(served, view.spec, by)
            total = sum(sizes.values())
            frame = pd.DataFrame({"group": list(sizes), "patients": list(sizes.values())}).assign(
                percent=lambda d: (100.0 * d["patients"] / max(total, 1)).round(1)
            )
            render_table(frame, "group_sizes", "cohort_served_groups",
                         height=table_height(len(frame)))  # fmt: skip
    st.subheader("Data completeness")
    with guarded("Data completeness"):
        complete = ss.completeness_of(served, view.spec).to_frame()
        render_table(
            complete, "data_completeness", "cohort_completeness",
            height=table_height(len(complete)),
        )  # fmt: skip
