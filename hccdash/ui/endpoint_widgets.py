"""The mapping step's further endpoints: add, edit and remove any number of them.

Each further endpoint (beyond the OS and PFS columns) has a short name and a name, a time
column or the date of its event (counted from the start date, censored at the last follow-up
date), an event column with its codes (:mod:`hccdash.ui.event_codes`), a unit and an entry
column. A codebook loaded in step 4 that declares endpoints the mapping lacks adds them here
(:func:`adopt_codebook_endpoints`, the codebook uploader's callback), so none is dropped.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from hccdash.codebook import TO_MONTHS, Codebook
from hccdash.errors import HccdashError
from hccdash.mapping import ColumnMapping, EventCoding, unit_check
from hccdash.mapping.endpoints import RESERVED_KEYS, EndpointMapping, slug_key
from hccdash.ui.common import esc_label, esc_md
from hccdash.ui.event_codes import coding_widgets, reset_coding

IDS_KEY = "map_ep_ids"  # widget ids of the further endpoints, in their order
ADOPTED_KEY = "map_ep_adopted"  # the message after a codebook added endpoints
NONE = "(none)"
SAME_UNIT = "(as above)"
_FIELDS = ("time", "event", "entry", "end")


def _ids() -> list[int]:
    return list(st.session_state.get(IDS_KEY, []))


def _put(i: int, e: EndpointMapping, columns: list[str]) -> None:
    st.session_state[f"map_ep{i}_key"] = e.key
    st.session_state[f"map_ep{i}_label"] = e.label
    st.session_state[f"map_ep{i}_unit"] = e.unit or SAME_UNIT
    for f, value in zip(_FIELDS, (e.time, e.event, e.entry, e.end_date), strict=True):
        st.session_state[f"map_ep{i}_{f}"] = value if value in columns else NONE
    reset_coding(f"ep{i}", e.coding)


def init_endpoints(endpoints: tuple[EndpointMapping, ...], columns: list[str]) -> None:
    """Start the widgets from a mapping's further endpoints (a new file or a loaded mapping)."""
    for i in _ids():
        for k in [k for k in st.session_state if str(k).startswith(f"map_ep{i}_")]:
            del st.session_state[k]
    st.session_state[IDS_KEY] = list(range(len(endpoints)))
    for i, e in enumerate(endpoints):
        _put(i, e, columns)


def _add() -> None:
    ids = _ids()
    new = max(ids, default=-1) + 1
    st.session_state[IDS_KEY] = [*ids, new]
    st.session_state[f"map_ep{new}_key"] = f"endpoint{len(ids) + 3}"
    st.session_state[f"map_ep{new}_label"] = ""
    st.session_state[f"map_ep{new}_unit"] = SAME_UNIT
    for f in _FIELDS:  # a reused id starts empty
        st.session_state[f"map_ep{new}_{f}"] = NONE
    reset_coding(f"ep{new}", EventCoding())


def _remove(i: int) -> None:
    st.session_state[IDS_KEY] = [j for j in _ids() if j != i]


def _set_unit(i: int, unit: str) -> None:
    st.session_state[f"map_ep{i}_unit"] = unit


def endpoint_widgets(
    data: pd.DataFrame, columns: list[str], time_unit: str
) -> tuple[EndpointMapping, ...]:
    """The further endpoints' widgets; returns those with a valid short name (others are
    left out with a message)."""
    options = [NONE, *columns]
    units = [SAME_UNIT, *TO_MONTHS]
    out: list[EndpointMapping] = []
    seen: set[str] = set()
    for n, i in enumerate(_ids()):
        with st.container(border=True):
            c1, c2, c3, c4 = st.columns([2, 3, 2, 1])
            key = c1.text_input(
                f"Endpoint {n + 3}: short name", key=f"map_ep{i}_key",
                help="Letters, digits and _ (e.g. rfs, dfs, local_control): used in URLs, "
                "exports and the cohort's column names.",
            )  # fmt: skip
            label = c2.text_input(
                f"Endpoint {n + 3}: name", key=f"map_ep{i}_label",
                help="Shown on every page and figure (e.g. Recurrence-free survival).",
            )  # fmt: skip
            unit = c3.selectbox(f"Endpoint {n + 3}: unit", units, key=f"map_ep{i}_unit")
            c4.button(
                "Remove", key=f"map_ep{i}_remove", on_click=_remove, args=(i,),
                icon=":material/delete:", help="Remove this endpoint from the mapping.",
            )  # fmt: skip
            c1, c2, c3, c4 = st.columns(4)
            picked = {}
            captions = {"time": "time", "event": "event", "entry": "entry time (delayed entry)",
                        "end": "event date (with the start and last follow-up dates)"}  # fmt: skip
            for col, f in zip((c1, c2, c3, c4), _FIELDS, strict=True):
                text = esc_label(f"Endpoint {n + 3}: {captions[f]}")
                v = col.selectbox(text, options, key=f"map_ep{i}_{f}")
                picked[f] = None if v == NONE else v
            slug = slug_key(key)
            name = label.strip() or slug.upper()
            coding = coding_widgets(f"ep{i}", picked["event"], data, label=name or None)
            try:
                e = EndpointMapping(
                    key=slug, label=name, time=picked["time"], event=picked["event"],
                    coding=coding, unit=None if unit == SAME_UNIT else unit,
                    entry=picked["entry"], end_date=picked["end"],
                )  # fmt: skip
            except HccdashError as exc:
                st.warning(esc_md(f"{exc} Until then it is left out."), icon=":material/warning:")
                continue
            if slug in seen:
                st.warning(
                    esc_md(
                        f"Endpoint {n + 3}: the short name {slug!r} is used by another endpoint; "
                        "give each its own. Until then it is left out."
                    ),
                    icon=":material/warning:",
                )
                continue
            seen.add(slug)
            if e.time is None and e.end_date is None:
                st.caption(
                    esc_md(f"{name}: not used until its time column or event date is chosen.")
                )
                continue
            advice = unit_check(
                data,
                ColumnMapping(os_time=e.time, os_entry=e.entry, time_unit=e.unit or time_unit),
            )
            if advice is not None and e.time is not None:
                st.warning(esc_md(advice.message), icon=":material/schedule:")
                st.button(
                    esc_label(f"Read {name}'s times as {advice.suggested}"),
                    key=f"map_ep{i}_unit_fix", on_click=_set_unit, args=(i, advice.suggested),
                    icon=":material/schedule:",
                )  # fmt: skip
            out.append(e)
    st.button(
        "Add an endpoint", key="map_ep_add", on_click=_add, icon=":material/add:",
        help="Another time-to-event endpoint: recurrence, local control, time to progression...",
    )  # fmt: skip
    return tuple(out)


def _mapped_pairs() -> set[tuple[object, object]]:
    state = st.session_state
    pairs = {(state.get(f"map_{w}_time"), state.get(f"map_{w}_event")) for w in RESERVED_KEYS}
    return pairs | {(state.get(f"map_ep{i}_time"), state.get(f"map_ep{i}_event")) for i in _ids()}


def adopt_codebook_endpoints(columns: list[str], widget_key: str) -> None:
    """Callback of the codebook uploader: the loaded codebook's endpoints whose time and event
    columns are in the file but not in the mapping become endpoints of the mapping (into the
    empty OS/PFS slot of their key, else a further endpoint)."""
    uploaded = st.session_state.get(widget_key)
    if uploaded is None:
        return
    try:
        book = Codebook.from_json(uploaded.getvalue(), source=uploaded.name)
    except HccdashError:
        return  # the codebook step shows the message
    mapped, added = _mapped_pairs(), []
    keys = {str(st.session_state.get(f"map_ep{i}_key", "")) for i in _ids()}
    for e in book.endpoints:
        if e.time not in columns or e.event not in columns or (e.time, e.event) in mapped:
            continue
        coding = EventCoding(
            event=e.event_values, censored=e.censored_values, competing=e.competing_values,
            names=e.code_names,
        )  # fmt: skip
        slot = e.key if e.key in RESERVED_KEYS else None
        if slot is not None and st.session_state.get(f"map_{slot}_time", NONE) == NONE:
            st.session_state[f"map_{slot}_time"] = e.time
            st.session_state[f"map_{slot}_event"] = e.event
            reset_coding(slot, coding)
        else:
            key = slug_key(e.key) or "endpoint"
            if key in RESERVED_KEYS or key in keys or not key[0].isalpha():
                key = f"ep_{key}"
            try:
                ep = EndpointMapping(
                    key=key, label=e.label, time=e.time, event=e.event, coding=coding,
                    unit=e.unit, entry=e.entry if e.entry in columns else None,
                )  # fmt: skip
            except HccdashError:
                continue
            i = max(_ids(), default=-1) + 1
            st.session_state[IDS_KEY] = [*_ids(), i]
            _put(i, ep, columns)
            keys.add(key)
        added.append(e.label)
        mapped.add((e.time, e.event))
    if added:
        st.session_state[ADOPTED_KEY] = (
            f"The codebook declares {len(added)} endpoint(s) the mapping did not have "
            f"({', '.join(map(repr, added))}): they were added to step 2 with their columns, "
            "codes and unit."
        )


def show_adopted() -> None:
    """The message of :func:`adopt_codebook_endpoints`, once."""
    message = st.session_state.pop(ADOPTED_KEY, None)
    if message:
        st.info(esc_md(message), icon=":material/playlist_add:")
