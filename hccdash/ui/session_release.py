"""Release what a browser session held once the session is gone.

Streamlit keeps a closed tab's session for ``server.disconnectedSessionTTL`` seconds (120 by
default) so that a network blip can resume it, and drops it only lazily, when another session
disconnects later; until then its ``st.session_state`` (an uploaded cohort, the file's bytes,
its parsed table) and its uploaded files stay in server memory. Measured: a 200,000-row upload
kept +240 MB resident after its tab was closed, with no end in sight on a quiet server.

Every run records its session (:func:`track_session`). :func:`release_closed_sessions`,
called by the upload sweeper (:mod:`hccdash.ui.state`), empties the session state and the
uploaded files of every session that has not been connected for that same TTL: a tab that
comes back later starts afresh from its URL (filters, and the upload's token while the
upload store still holds it), exactly as a reload would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


@dataclass
class _Seen:
    state: Any  # the session's SafeSessionState (thread-safe, locks itself)
    last_active: float


_SESSIONS: dict[str, _Seen] = {}
_LOCK = threading.Lock()


def grace_seconds() -> float:
    """How long a disconnected session may come back: Streamlit's own reconnect window."""
    try:
        return float(st.get_option("server.disconnectedSessionTTL"))
    except (KeyError, RuntimeError, TypeError, ValueError):
        return 120.0


def track_session() -> None:
    """Remember this run's session (call once per run; cheap)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _LOCK:
        _SESSIONS[ctx.session_id] = _Seen(ctx.session_state, time.monotonic())


def _is_active(session_id: str) -> bool:
    if not runtime.exists():
        return True  # AppTest and bare scripts: no server, nothing to release
    return runtime.get_instance().is_active_session(session_id)


def release_closed_sessions(
    now: float | None = None, token_key: str | None = None
) -> tuple[int, list[str]]:
    """Empty the state of sessions disconnected for longer than :func:`grace_seconds`.

    Returns how many sessions were released and the values under ``token_key`` in the
    sessions still connected (the upload store keeps those uploads alive).
    """
    now = time.monotonic() if now is None else now
    grace = grace_seconds()
    live: list[str] = []
    gone: list[tuple[str, Any]] = []
    with _LOCK:
        for session_id, seen in list(_SESSIONS.items()):
            if _is_active(session_id):
                seen.last_active = now
                if token_key is not None and token_key in seen.state:
                    live.append(seen.state[token_key])
            elif now - seen.last_active > grace:
                gone.append((session_id, seen.state))
                del _SESSIONS[session_id]
    for session_id, state in gone:
        for key in list(state.filtered_state):
            try:
                del state[key]
            except KeyError:
                continue
        if runtime.exists():
            runtime.get_instance().uploaded_file_mgr.remove_session_files(session_id)
    return len(gone), live
