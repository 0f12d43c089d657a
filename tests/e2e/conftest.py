"""Real-browser fixtures for the ``e2e`` tests (helpers in ``e2e_harness.py``).

One Streamlit server serves the whole session; every test gets a fresh browser context, which is
a fresh Streamlit session (its own filters, its own uploaded cohort). Screenshots go to
``tests/e2e/artifacts/`` (created here; CI keeps it as an artifact).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from e2e_harness import ARTIFACTS, App, StreamlitServer, launch_chromium, new_app


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[StreamlitServer]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = StreamlitServer()
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(sync_pw) -> Iterator[object]:
    chromium = launch_chromium(sync_pw)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def primed_server(browser, streamlit_server) -> StreamlitServer:
    """The server after one visit to ``/``.

    Streamlit runs the very first session of a server in its legacy ``pages/``-directory mode
    until ``app.py`` has called ``st.navigation`` once; the other tests exercise the router,
    and ``test_router.py`` checks that first visit on a server of its own.
    """
    app, context = new_app(browser, streamlit_server)
    try:
        app.goto("")
    finally:
        context.close()
    return streamlit_server


@pytest.fixture
def app(browser, primed_server) -> Iterator[App]:
    """A fresh browser context (a fresh Streamlit session) on the running app."""
    app, context = new_app(browser, primed_server)
    try:
        yield app
    finally:
        context.close()


@pytest.fixture
def app_factory(browser, primed_server) -> Iterator[Callable[[], App]]:
    """Open more independent sessions (e.g. to follow a bookmark in a new browser)."""
    contexts = []

    def make() -> App:
        app, context = new_app(browser, primed_server)
        contexts.append(context)
        return app

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
