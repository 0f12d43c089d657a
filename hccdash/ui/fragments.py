"""``st.fragment`` whose arguments live in the session's state, not in Streamlit's fragment store.

Streamlit keeps each fragment of the last run with the arguments it was called with, for as
long as the session object lives; a closed tab's session object outlives the tab (Streamlit
drops it lazily). A fragment called with the cohort (a KM grouping, a model's data, the
figures) therefore kept an upload alive after its session was released (measured: five
200,000-row frames still held 105 s after the tab closed). :func:`session_fragment` registers
a fragment whose only argument is a slot name; the real arguments sit in
``st.session_state``, which the session sweeper (:mod:`hccdash.ui.session_release`) and
"Forget this data" empty. Each full run starts with no slots (:func:`begin_full_run`, called
by ``app.py``), so a page left behind holds nothing.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import streamlit as st

__all__ = ["SLOTS_KEY", "begin_full_run", "session_fragment"]

SLOTS_KEY = "_hccdash_fragment_args"


def begin_full_run() -> None:
    """Forget the fragments' arguments of the previous full run (this run registers its own)."""
    st.session_state[SLOTS_KEY] = {}


def _slots() -> dict[str, tuple[tuple, dict]]:
    slots = st.session_state.get(SLOTS_KEY)
    if not isinstance(slots, dict):
        slots = {}
        st.session_state[SLOTS_KEY] = slots
    return slots


def session_fragment(slot: str | None = None) -> Callable[[Callable[..., None]], Callable]:
    """Decorate ``fn`` as a fragment whose arguments are held in the session's state.

    Parameters
    ----------
    slot : str, optional
        The argument of ``fn`` that tells two calls on one page apart (its widget ``key``);
        None when ``fn`` is drawn once per page.
    """

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"

        def run(slot_name: str) -> None:
            held = _slots().get(slot_name)
            if held is None:
                # The session was emptied (released, or "Forget this data") between the full
                # run and this fragment run: a full run draws the page again.
                st.rerun()
            args, kwargs = held
            fn(*args, **kwargs)

        # Streamlit tells fragments apart by the function's name and the place on the page.
        run.__module__, run.__qualname__ = fn.__module__, f"{fn.__qualname__}.<fragment>"
        fragment = st.fragment(run)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> None:
            part = ""
            if slot is not None:
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                part = repr(bound.arguments[slot])
            slot_name = f"{name}|{part}"
            _slots()[slot_name] = (args, kwargs)
            fragment(slot_name)

        return call

    return decorate
