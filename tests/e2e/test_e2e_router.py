"""The first visit to a freshly started server goes through ``app.py``'s router.

Streamlit runs a server's sessions in its legacy multipage mode (one page per file in
``pages/``, plus an ``app`` page, file names as titles, no ``set_page_config``) as long as a
``pages/`` directory sits next to the entry script and ``app.py`` has not yet called
``st.navigation`` in any session. A clinician who opens a shared link on a just-restarted
server is exactly that first visit.
"""

from __future__ import annotations

import pytest
from e2e_harness import ARTIFACTS, StreamlitServer, new_app

pytestmark = pytest.mark.e2e

TITLES = [
    "Cohort",
    "Kaplan-Meier",
    "Univariate",
    "Cox model",
    "Competing risks",
    "Response & toxicity",
    "Reproduce the paper",
    "Your data",
    "Risk models",
    "About",
]


def test_first_visit_on_a_fresh_server_uses_the_router(browser):
    server = StreamlitServer(log_path=ARTIFACTS / "streamlit_fresh.log")
    try:
        server.wait_healthy()
        app, context = new_app(browser, server)
        try:
            app.goto("km?child_pugh=A")
            app.screenshot("fresh_server_first_visit_km")
            assert not app.problems(), app.problems()
            assert app.nav_titles() == TITLES
            assert app.n_text() == (14, 21)
        finally:
            context.close()
    finally:
        server.stop()
