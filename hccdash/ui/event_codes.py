"""Data-page widgets of an endpoint's event codes and delayed entry (the mapping step).

Each distinct code of an event column is declared as the event of interest, censored or a
competing event type (with a name); the table under the widgets counts the rows per code and
says how each is read, so an undeclared code is seen before the report names it. The entry
(start) time of delayed entry is a column or a date (:data:`hccdash.mapping.ENTRY_RULE`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from hccdash.datacheck_entry import code_counts
from hccdash.mapping import EventCoding, norm_code
from hccdash.ui.common import esc_label, esc_md

MAX_CODES = 30  # distinct event values offered in the coding widgets
READ_AS = {"event": "event of interest", "censored": "censored", "competing": "competing event"}


def _codes(values: pd.Series) -> list[str]:
    codes = [c for c in dict.fromkeys(values.map(norm_code)) if c is not None]
    return sorted(codes)[:MAX_CODES]


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def reset_coding(which: str, coding: EventCoding) -> None:
    """Start the coding widgets of ``which`` (``"os"``/``"pfs"``) from ``coding``."""
    st.session_state[f"map_{which}_coding_init"] = coding
    for k in [k for k in st.session_state if str(k).startswith(f"map_{which}_name_")]:
        del st.session_state[k]
    for k in (f"map_{which}_ev", f"map_{which}_ce", f"map_{which}_cr"):
        st.session_state.pop(k, None)


def code_table(values: pd.Series, coding: EventCoding) -> pd.DataFrame:
    """Rows per code of an event column, how the coding reads it and its name.

    >>> c = EventCoding(event=("1",), censored=("0",), competing=("2",), names=(("2", "Death"),))
    >>> for row in code_table(pd.Series([0, 1, 2, 2, 5]), c).values.tolist():
    ...     print(row)
    ['2', 2, 'competing event', 'Death']
    ['0', 1, 'censored', '']
    ['1', 1, 'event of interest', '']
    ['5', 1, 'NOT DECLARED', '']
    """
    names = dict(coding.names)
    rows = [
        {
            "code": code,
            "rows": n,
            "read as": READ_AS.get(coding.kind(code) or "", "NOT DECLARED"),
            "name": names.get(code, ""),
        }
        for code, n in code_counts(values)
    ]
    return pd.DataFrame(rows, columns=["code", "rows", "read as", "name"])


def coding_widgets(
    which: str, column: str | None, data: pd.DataFrame, label: str | None = None
) -> EventCoding:
    """Event / censored / competing code lists, names, and the per-code table (``label``
    names the endpoint in the widgets; default ``which`` in capitals)."""
    init: EventCoding = st.session_state.get(f"map_{which}_coding_init", EventCoding())
    if column is None:
        return init
    codes = _codes(data[column])
    ev_init = {norm_code(v) for v in init.event}
    ce_init = {norm_code(v) for v in init.censored}
    cr_init = {norm_code(v) for v in init.competing}
    ev_key, ce_key, cr_key = f"map_{which}_ev", f"map_{which}_ce", f"map_{which}_cr"
    known = ev_init | ce_init | cr_init
    # Unknown words (not numeric codes such as R's 1/2: those stay for the user to assign)
    unknown = [c for c in codes if c not in known and not _is_number_text(c)]
    if ev_key not in st.session_state or set(st.session_state[ev_key]) - set(codes):
        st.session_state[ev_key] = [c for c in codes if c in ev_init]
    if ce_key not in st.session_state or set(st.session_state[ce_key]) - set(codes):
        # Words the coding does not know ("lost to follow-up", "LTFU", "alive at last
        # contact") are asked about below, read as censored until the user says otherwise.
        st.session_state[ce_key] = [c for c in codes if c in ce_init or c in unknown]
    if cr_key not in st.session_state or set(st.session_state[cr_key]) - set(codes):
        st.session_state[cr_key] = [c for c in codes if c in cr_init]
    label = label or which.upper()
    if unknown:
        st.info(
            esc_md(
                f"{label} event column {column!r}: {len(unknown)} value(s) not recognised "
                f"({', '.join(map(repr, unknown[:6]))}) are read as censored. If one is an "
                "event (or another event type), move it to the event or competing list."
            ),
            icon=":material/help:",
        )
    c1, c2, c3 = st.columns(3)
    event = c1.multiselect(esc_label(f"{label}: values meaning event"), codes, key=ev_key)
    censored = c2.multiselect(esc_label(f"{label}: values meaning censored"), codes, key=ce_key)
    competing = c3.multiselect(
        esc_label(f"{label}: values meaning a competing event"), codes, key=cr_key,
        help="Other event types (e.g. death without relapse): censored in the Kaplan-Meier "
        "and Cox pages (cause-specific), kept apart on the competing-risks page.",
    )  # fmt: skip
    both = set(event) & (set(censored) | set(competing))
    if both:
        st.warning(
            esc_md(
                f"{label} values {', '.join(map(repr, sorted(both)))} are marked both as event "
                "and as censored or competing; they are read as events. Remove them from one list."
            )
        )
    censored = [c for c in censored if c not in event]
    twice = set(censored) & set(competing)
    if twice:
        st.warning(
            esc_md(
                f"{label} values {', '.join(map(repr, sorted(twice)))} are marked both as "
                "censored and competing; they are read as censored. Remove them from one list."
            )
        )
    competing = [c for c in competing if c not in event and c not in censored]
    names = []
    if competing:
        init_names = dict(init.names)
        cols = st.columns(min(len(event) + len(competing), 4) or 1)
        for i, code in enumerate([*event, *competing]):
            key = f"map_{which}_name_{code}"
            if key not in st.session_state:
                st.session_state[key] = init_names.get(code, "")
            text = cols[i % len(cols)].text_input(
                esc_label(f"{label}: name of code {code!r}"), key=key,
                help="Shown on the competing-risks page (e.g. Relapse, Death without relapse).",
            )  # fmt: skip
            if text.strip():
                names.append((code, text.strip()))
    coding = EventCoding(
        event=tuple(event), censored=tuple(censored), competing=tuple(competing),
        names=tuple(names),
    )  # fmt: skip
    table = code_table(data[column], coding)
    st.caption(esc_md(f"{label} event column {column!r}: rows per code"))
    st.dataframe(table, hide_index=True, key=f"map_{which}_codes")
    return coding
