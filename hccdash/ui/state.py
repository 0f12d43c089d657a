"""Which cohort is active in this browser session: an upload, the server's, or the bundled one.

Order: the cohort uploaded in this session; else the server's cohort (``HCCDASH_DATA`` and
``HCCDASH_CODEBOOK``, :mod:`hccdash.cohortfile`); else the bundled reconstruction.

An upload survives a reload of its tab: :func:`remember_upload` keeps the cohort in this
server process's memory under an unguessable token (``secrets.token_urlsafe``) that the URL
carries as ``?data=<token>``; a new session opened with that URL gets the cohort back while
it has been used within :data:`IDLE_EXPIRY_S`. A token that is no longer held (expired,
forgotten, server restarted) is never a silent switch: the sidebar says the data were
dropped. Nothing is written to disk. "Forget this data" calls :func:`forget_upload`.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from hccdash.errors import HccdashError
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.ui import session_release

# st.session_state key holding an uploaded Cohort: per browser session, never on disk.
UPLOADED_KEY = "hccdash_uploaded_cohort"
TOKEN_KEY = "hccdash_upload_token"
DROPPED_KEY = "hccdash_upload_dropped"
TOKEN_PARAM = "data"


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment, else ``default``."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


# An upload not used for 30 minutes is dropped from server memory (a reload within that time
# keeps it; the sweeper below releases it even when no other session comes by). Operators (and
# the memory e2e test) may shorten both through the environment.
IDLE_EXPIRY_S = int(_env_seconds("HCCDASH_UPLOAD_IDLE_S", 30 * 60))
SWEEP_EVERY_S = _env_seconds("HCCDASH_UPLOAD_SWEEP_S", 60.0)


@dataclass
class _Held:
    cohort: Cohort
    last_used: float


_LOG = logging.getLogger(__name__)
_STORE: dict[str, _Held] = {}
_LOCK = threading.Lock()
_RELEASE_HOOKS: list[Callable[[], None]] = []


@st.cache_data(show_spinner=False)
def _bundled() -> Cohort:
    return load_bundled_cohort()


def file_mtime(path: Path | None) -> float | None:
    """A file's modification time (a cache key of the server's cohort), None if unreadable."""
    try:
        return path.stat().st_mtime if path is not None else None
    except OSError:
        return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _server_cohort(
    data: str, data_mtime: float | None, codebook: str | None, cb_mtime: float | None
) -> tuple[Cohort | None, str | None]:
    """The server's cohort, read once per file version (keys: paths and modification times)."""
    from hccdash.cohortfile import load_cohort_file

    try:
        return load_cohort_file(data, codebook), None
    except HccdashError as exc:
        return None, str(exc)


def server_cohort() -> tuple[Cohort | None, str | None]:
    """(cohort, None) from ``HCCDASH_DATA``; (None, message) when it cannot be read;
    (None, None) when the variable is not set. Above ``HCCDASH_IN_MEMORY_ROWS`` rows (with a
    codebook) the cohort is a :class:`~hccdash.served_pages.ServedShell`: served in place."""
    from hccdash.cohortfile import env_paths

    data, cb = env_paths()
    if data is None:
        return None, None
    from hccdash.ui.served_view import server_shell

    served = server_shell(data, cb)  # large: served in place (hccdash.ui.served_view)
    if served is not None:
        return served
    return _server_cohort(str(data), file_mtime(data), str(cb) if cb else None, file_mtime(cb))


def default_cohort() -> Cohort:
    """The cohort of a session without an upload: the server's, else the bundled one."""
    cohort, _ = server_cohort()
    return cohort if cohort is not None else _bundled()


def ensure_app_router() -> None:
    """Rerun through app.py when Streamlit started a page in its legacy ``pages/`` mode.

    Streamlit decides per server process whether a ``pages/`` folder means the legacy
    multipage mode; only a ``st.navigation`` call (in app.py) switches that off. A deep link
    (``/km?child_pugh=A``) as the first request of a fresh server would therefore run the page
    file alone, without the router and the shared sidebar. Switching the flag off and
    rerunning sends the same request (same url path, so the same page) through app.py.
    """
    if leave_legacy_pages_mode():
        st.rerun()


def leave_legacy_pages_mode() -> bool:
    """Switch Streamlit out of its legacy ``pages/`` mode; True when it was in it.

    The one place that touches Streamlit's page manager (``PagesManager.uses_pages_directory``,
    the flag ``st.navigation`` itself clears). Needed because the top level keeps a ``pages/``
    folder beside app.py; ``tests/test_app.py`` shows a page without it loses the sidebar.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def _expire(now: float) -> int:
    """Drop the uploads idle for longer than :data:`IDLE_EXPIRY_S`; return how many."""
    expired = [t for t, h in _STORE.items() if now - h.last_used > IDLE_EXPIRY_S]
    for token in expired:
        del _STORE[token]
    return len(expired)


_SWEEPER: threading.Thread | None = None


def _return_freed_memory() -> None:
    """Give freed heap pages back to the system (glibc keeps them for reuse otherwise).

    Hundreds of thousands of small strings (text columns) free memory in scattered pages that
    glibc's ``free`` does not return; ``malloc_trim(0)`` does. A no-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def sweep_once(now: float | None = None) -> int:
    """Release closed sessions' state, keep connected sessions' uploads alive, drop idle
    uploads; return how many sessions and uploads were released."""
    now = time.monotonic() if now is None else now
    released, live = session_release.release_closed_sessions(now, TOKEN_KEY)
    with _LOCK:
        for token in live:
            held = _STORE.get(token)
            if held is not None:
                held.last_used = now  # an open tab, even a quiet one, keeps its upload
        dropped = _expire(now)
    if released or dropped:
        # A cohort's frames sit in reference cycles (plotly figures, cached results):
        # collect them now, not at the next allocation burst of some other session.
        gc.collect()
        _return_freed_memory()
    return released + dropped


def _sweep_forever() -> None:
    while True:
        time.sleep(SWEEP_EVERY_S)
        try:
            sweep_once()
        except Exception:  # noqa: BLE001 - the sweeper must outlive one bad sweep
            _LOG.exception("hccdash upload sweeper: one sweep failed; the next one retries")


def _start_sweeper() -> None:
    """One daemon thread per server that releases closed sessions and expired uploads (no
    session needs to call)."""
    global _SWEEPER
    with _LOCK:
        if _SWEEPER is None or not _SWEEPER.is_alive():
            _SWEEPER = threading.Thread(target=_sweep_forever, name="hccdash-upload-sweeper")
            _SWEEPER.daemon = True
            _SWEEPER.start()


def remember_upload(cohort: Cohort) -> str:
    """Make ``cohort`` this session's cohort and keep it for a reload (returns the token)."""
    token = secrets.token_urlsafe(24)
    _start_sweeper()
    with _LOCK:
        _expire(time.monotonic())
        _STORE[token] = _Held(cohort, time.monotonic())
    st.session_state[UPLOADED_KEY] = cohort
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(DROPPED_KEY, None)
    st.query_params[TOKEN_PARAM] = token
    return token


def register_release_hook(fn: Callable[[], None]) -> None:
    """Run ``fn`` when a session forgets its upload (e.g. to release its cached results)."""
    if fn not in _RELEASE_HOOKS:
        _RELEASE_HOOKS.append(fn)


def forget_upload() -> None:
    """Forget this session's uploaded cohort: server memory, session, URL token, and every
    registered release hook (:func:`register_release_hook`). The "Forget this data" and
    "Back to the bundled cohort" buttons call this."""
    token = st.session_state.pop(TOKEN_KEY, None)
    with _LOCK:
        if token is not None:
            _STORE.pop(token, None)
    st.session_state.pop(UPLOADED_KEY, None)
    st.session_state.pop(DROPPED_KEY, None)
    if TOKEN_PARAM in st.query_params:
        del st.query_params[TOKEN_PARAM]
    for hook in list(_RELEASE_HOOKS):
        hook()


def _restore_from_url() -> None:
    token = st.query_params.get(TOKEN_PARAM)
    if not token or st.session_state.get(TOKEN_KEY) == token:
        return
    with _LOCK:
        now = time.monotonic()
        _expire(now)
        held = _STORE.get(token)
        if held is not None:
            held.last_used = now
    if held is not None:
        st.session_state[UPLOADED_KEY] = held.cohort
        st.session_state[TOKEN_KEY] = token
        return
    del st.query_params[TOKEN_PARAM]
    st.session_state[DROPPED_KEY] = True


def _idle_text() -> str:
    if IDLE_EXPIRY_S >= 120:
        return f"{IDLE_EXPIRY_S // 60} minutes"
    return f"{IDLE_EXPIRY_S} seconds"


def dropped_message() -> str | None:
    """The plain message when this URL's uploaded data are no longer held, else None."""
    if not st.session_state.get(DROPPED_KEY):
        return None
    return (
        "The data uploaded in this tab are no longer in memory (unused for "
        f"{_idle_text()}, forgotten, or the server restarted): this page now "
        f"shows {default_cohort().name}. Upload the file again on the data page."
    )


def active_cohort() -> Cohort:
    """The uploaded cohort of this session if any, else :func:`default_cohort`."""
    ensure_app_router()
    session_release.track_session()
    if _SWEEPER is None:
        _start_sweeper()
    _restore_from_url()
    uploaded = st.session_state.get(UPLOADED_KEY)
    if uploaded is None:
        return default_cohort()
    token = st.session_state.get(TOKEN_KEY)
    if token is not None:
        with _LOCK:
            held = _STORE.get(token)
            if held is not None:
                held.last_used = time.monotonic()
        if st.query_params.get(TOKEN_PARAM) != token:
            st.query_params[TOKEN_PARAM] = token  # page switches keep the token in the URL
    return uploaded
