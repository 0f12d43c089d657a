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


HEAVY_MARKERS = ("e2e", "slow", "spark")


def pytest_collection_modifyitems(session, config, items):
    """Files with browser, Spark or slow tests run first.

    xdist's ``--dist loadfile`` sends files to the four workers in the order it is given;
    by default it sorts them by their number of tests, largest first, which put the files
    of one or two long browser tests last, where they ran as a tail on one or two workers
    (2 Dec 2026: the three cohort-search files, one test each, were still running at minute
    30 of 32). pyproject's ``--no-loadscope-reorder`` keeps this order instead (the longest
    jobs first, as a scheduler should).
    """
    heavy = {
        item.path
        for item in items
        if any(item.get_closest_marker(name) is not None for name in HEAVY_MARKERS)
    }
    items.sort(key=lambda item: item.path not in heavy)  # stable: files keep their order


def pytest_sessionfinish(session, exitstatus):
    """Remove the temporary folder streamlit.testing creates at import.

    ``streamlit.testing.v1.app_test`` makes a module-level ``TemporaryDirectory`` that is only
    cleaned up by a finalizer at interpreter exit, which then warns (ResourceWarning) after
    pytest has finished. Cleaning it here keeps the end of the run quiet.
    """
    app_test = sys.modules.get("streamlit.testing.v1.app_test")
    if app_test is not None:
        app_test.TMP_DIR.cleanup()


@pytest.fixture()
def router_on_every_run(monkeypatch):
    """Every AppTest run goes through app.py's router, as every run after a server's first does.

    AppTest clears Streamlit's legacy-``pages/`` flag before each run (a real server decides it
    once per process), so each run starts like a fresh server's first request and the page
    reruns itself through app.py (:func:`hccdash.ui.state.ensure_app_router`, proven needed
    by ``tests/test_app.py``). That rerun drops a button click, so tests that click buttons
    use this fixture: it applies the same switch, through the same one function, as soon as
    AppTest has set the flag. The only place in the tests that reaches into Streamlit's
    page manager.
    """
    from streamlit.runtime.pages_manager import PagesManager

    from hccdash.ui.state import leave_legacy_pages_mode

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        leave_legacy_pages_mode()

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture()
def worker_reads(monkeypatch) -> list[str]:
    """Names of the files read through the bounded read worker (the real one, counted)."""
    from hccdash.io import worker

    seen: list[str] = []
    original = worker.read_bounded

    def counted(raw, name, *args, **kwargs):
        seen.append(name)
        return original(raw, name, *args, **kwargs)

    monkeypatch.setattr(worker, "read_bounded", counted)
    return seen
