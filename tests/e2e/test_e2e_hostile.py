"""Hostile data in a real browser: a loopback listener must receive zero requests (issue 20).

Every string field of the uploaded files (column names, values, the file name) carries a
markdown image, an ``<img>`` tag, a ``javascript:`` link, a spreadsheet formula, a long string
and right-to-left marks pointing at a listener on 127.0.0.1 (``tests/hostile_corpus.py``). The
browser goes through upload (every bad file's messages), mapping, confirm, every page and the
page exports; any fetch of an image or link would reach the listener.
"""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile_corpus import Listener, bad_files, file_name, good_cohort

pytestmark = pytest.mark.e2e

PAGES = [
    "Cohort",
    "Kaplan-Meier",
    "Univariate",
    "Cox model",
    "Response & toxicity",
    "Your data",
    "Risk models",
    "About",
]
DROPZONE = '[data-testid="stFileUploaderDropzoneInput"]'


def _no_live_link(app, port: int) -> list[str]:
    """Anchors or images in the page that point at the listener (a click would reach it)."""
    sel = f'a[href*="127.0.0.1:{port}"], img[src*="127.0.0.1:{port}"], a[href^="javascript"]'
    return [el.evaluate("(e) => e.outerHTML")[:200] for el in app.page.locator(sel).all()]


def _upload(app, name: str, data: bytes) -> None:
    payload = {"name": name, "mimeType": "text/csv", "buffer": data}
    app.rerun(lambda: app.page.locator(DROPZONE).set_input_files(payload))


def test_hostile_corpus_never_makes_the_browser_fetch(app):
    with Listener() as listener:
        port = listener.port
        # 1. every bad file: its messages quote the hostile names and values
        for i, (name, data) in enumerate(sorted(bad_files(port).items())):
            app.goto("data")
            _upload(app, file_name(port) if i == 0 else name, data)
            # The message follows the upload's rerun; on a loaded machine it can take a
            # while after the uploader's own chip has appeared: wait for it, not a fixed time.
            deadline = time.monotonic() + 60
            text = app.main_text()
            while "127.0.0.1" not in text and time.monotonic() < deadline:
                app.page.wait_for_timeout(250)
                text = app.main_text()
            assert not app.problems(), (name, app.problems())
            assert "127.0.0.1" in text, (name, text[:1500])  # the message shows the text
            assert listener.requests == [], (name, listener.requests)
            assert _no_live_link(app, port) == [], name
        app.screenshot("hostile_bad_file")

        # 2. a valid cohort with hostile columns, levels, ids and file name: map, confirm
        csv = good_cohort(port).to_csv(index=False).encode("utf-8")
        app.goto("data")
        _upload(app, file_name(port), csv)
        confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
        assert confirm.count() == 1, app.main_text()[:2000]
        app.rerun(confirm.click)
        app.wait_n((40, 40))
        assert listener.requests == [], listener.requests

        # 3. every page, and a table export and the page ZIP on the KM page
        for title in PAGES:
            app.navigate(title)
            app.wait_rendered()
            assert not app.problems(), (title, app.problems())
            assert listener.requests == [], (title, listener.requests)
            assert _no_live_link(app, port) == [], title
        app.navigate("Kaplan-Meier")
        box = app.page.get_by_role("combobox", name=re.compile(r"^Stratify by")).first

        def pick_hostile() -> None:
            box.click()
            options = app.page.get_by_role("option").filter(has_text="colname")
            assert options.count() >= 1, app.page.get_by_role("option").all_inner_texts()
            options.first.click()

        app.rerun(pick_hostile)
        app.km_curves()
        app.screenshot("hostile_km")
        with app.page.expect_download(timeout=90_000) as info:
            app.page.get_by_role("button", name=re.compile(r"^(Download )?CSV$")).first.click()
        table = pd.read_csv(io.BytesIO(Path(info.value.path()).read_bytes()), dtype=str)
        cells = [*table.columns, *table.to_numpy().ravel().tolist()]
        assert not [c for c in cells if isinstance(c, str) and c.startswith(("=", "+", "@"))]
        with app.page.expect_download(timeout=180_000):
            app.page.get_by_role("button", name=re.compile(r"Download all")).first.click()
        app.page.wait_for_timeout(1000)
        assert not app.problems(), app.problems()
        assert listener.requests == [], listener.requests
