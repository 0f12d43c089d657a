"""Suite-wide hooks."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def sync_pw() -> Iterator[object]:
    """The one Playwright (sync API) of the whole run.

    A running sync Playwright keeps an asyncio loop running on the main thread, so a second
    ``sync_playwright()`` started while the first is alive fails ("using Playwright Sync API
    inside the asyncio loop"). The browser tests and the SVG layout tests all use this one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def pytest_sessionfinish(session, exitstatus):
    """Remove the temporary folder streamlit.testing creates at import.

    ``streamlit.testing.v1.app_test`` makes a module-level ``TemporaryDirectory`` that is only
    cleaned up by a finalizer at interpreter exit, which then warns (ResourceWarning) after
    pytest has finished. Cleaning it here keeps the end of the run quiet.
    """
    app_test = sys.modules.get("streamlit.testing.v1.app_test")
    if app_test is not None:
        app_test.TMP_DIR.cleanup()
