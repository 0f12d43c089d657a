"""The upload sweeper (hccdash.ui.state.sweep_once): connected tabs keep their upload alive,
idle uploads are dropped, and the idle limit comes from the environment."""

from __future__ import annotations

import pytest

from hccdash.schema import load_bundled_cohort
from hccdash.ui import session_release, state


@pytest.fixture
def store(monkeypatch):
    held = {}
    monkeypatch.setattr(state, "_STORE", held)
    return held


def test_a_connected_tab_keeps_its_upload_and_an_idle_one_is_dropped(store, monkeypatch):
    cohort = load_bundled_cohort()
    store["live"] = state._Held(cohort, 0.0)
    store["idle"] = state._Held(cohort, 0.0)
    monkeypatch.setattr(
        session_release, "release_closed_sessions", lambda now, key: (0, ["live", "gone"])
    )
    released = state.sweep_once(now=state.IDLE_EXPIRY_S + 1.0)
    assert sorted(store) == ["live"]
    assert store["live"].last_used == state.IDLE_EXPIRY_S + 1.0
    assert released == 1


def test_idle_seconds_from_the_environment(monkeypatch):
    monkeypatch.setenv("HCCDASH_TEST_SECONDS", "12.5")
    assert state._env_seconds("HCCDASH_TEST_SECONDS", 60.0) == 12.5
    for bad in ("", "soon", "-3", "0"):
        monkeypatch.setenv("HCCDASH_TEST_SECONDS", bad)
        assert state._env_seconds("HCCDASH_TEST_SECONDS", 60.0) == 60.0


def test_without_a_server_no_session_is_released():
    # AppTest and plain Python: no Streamlit runtime, so every session counts as connected.
    assert session_release.release_closed_sessions(now=1e9)[0] == 0
