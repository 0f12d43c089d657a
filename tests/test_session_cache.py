"""Cached results of an uploaded cohort are private to the session (hccdash.ui.cache).

AppTest runs a tiny script in a real Streamlit script context (its own session id), so the
session-scoped caches behave as on a server; the counts come from Streamlit's cache statistics
(the numbers ``/_stcore/metrics`` reports). ``tests/e2e/test_e2e_privacy.py`` checks the same
on a real server after a browser session closes.
"""

from __future__ import annotations

from streamlit.runtime.caching import get_data_cache_stats_provider
from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from hccdash.schema import load_bundled_cohort
    from hccdash.synth import generate
    from hccdash.ui import cache
    from hccdash.ui.state import UPLOADED_KEY

    if st.session_state.get("upload") and UPLOADED_KEY not in st.session_state:
        st.session_state[UPLOADED_KEY] = generate(30, seed=3)  # stands for an upload
    private = st.session_state.get(UPLOADED_KEY)
    data = private if private is not None else load_bundled_cohort().data
    fit = cache.kaplan_meier(data, "os_months", "os_event")
    st.write(f"n={fit.n}")
    if st.button("Forget this data"):
        del st.session_state[UPLOADED_KEY]
        st.write(f"released {cache.release_session_caches()}")


def _release() -> None:
    from hccdash.ui import cache

    cache.release_session_caches()


def _bytes(name: str) -> int:
    stats = get_data_cache_stats_provider().get_stats()
    return sum(s.byte_length for fam in stats.values() for s in fam if s.cache_name == name)


SHARED = "hccdash.ui.cache.kaplan_meier"
TWIN = SHARED + "[session]"


def test_bundled_results_are_shared_and_uploaded_ones_stay_in_the_session():
    # Every AppTest runs as the same session ("test session id"): start from an empty one, as
    # a new browser session does (earlier tests may have used uploaded cohorts).
    AppTest.from_function(_release, default_timeout=60).run()
    assert _bytes(TWIN) == 0
    bundled = AppTest.from_function(_script, default_timeout=60)
    bundled.run()
    assert bundled.markdown[0].value == "n=21"
    shared_bytes = _bytes(SHARED)
    assert shared_bytes > 0
    assert _bytes(TWIN) == 0, "the bundled cohort's result went to a session cache"

    at = AppTest.from_function(_script, default_timeout=60)
    at.session_state["upload"] = True
    at.run()
    assert at.markdown[0].value == "n=30"
    assert _bytes(SHARED) == shared_bytes, "the uploaded cohort's result went to a shared cache"
    assert _bytes(TWIN) > 0

    at.button[0].click().run()  # "Forget this data" calls release_session_caches()
    assert any(m.value.startswith("released ") for m in at.markdown)
    assert _bytes(TWIN) == 0, "release_session_caches() left the session's entries"
    assert _bytes(SHARED) == shared_bytes  # the bundled cohort's cache is untouched
