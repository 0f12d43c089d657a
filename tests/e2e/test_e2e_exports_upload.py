"""A figure download and an uploaded cohort, end to end in a real browser (issues 6, 7, 8)."""

from __future__ import annotations

import re
import struct

import pytest

from hccdash import synth

pytestmark = pytest.mark.e2e


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: {data[:16]!r}"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_download_from_the_km_page_has_the_chosen_pixel_size(app):
    # The size preset is a figure option: chosen in the panel, kept in the URL (fig_preset).
    app.goto("km?fig_preset=slide-4x3")
    app.km_curves()
    button = app.page.locator(".st-key-km_os_fig_png button").first
    with app.page.expect_download(timeout=90_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    assert "slide-4x3" in download.suggested_filename
    with open(download.path(), "rb") as fh:
        data = fh.read()
    assert _png_size(data) == (1024, 768)
    assert len(data) > 10_000  # a drawn figure, not an empty canvas
    assert not app.problems(), app.problems()


N_UPLOAD = 60
PAGES = [  # the Reproduce page belongs to the bundled cohort: not in the menu after an upload
    "Cohort",
    "Kaplan-Meier",
    "Univariate",
    "Cox model",
    "Response & toxicity",
    "Your data",
    "Risk models",
    "About",
]


def test_an_uploaded_csv_is_used_by_every_page(app, tmp_path):
    csv = tmp_path / "synthetic_cohort.csv"
    frame = synth.generate(N_UPLOAD, seed=8)
    synth.write(frame, csv)
    cp_a = int((frame["child_pugh"] == "A").sum())

    app.goto("data")
    app.rerun(
        lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(csv)
        )
    )
    app.screenshot("data_uploaded_mapping")
    assert not app.problems(), app.problems()
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    assert confirm.count() == 1, (
        "no 'Use this cohort' button after the upload:\n" + (app.main_text()[:1500])
    )
    app.rerun(confirm.click)
    # Confirming stores the cohort and reruns (st.rerun): wait for the second run's sidebar.
    app.wait_n((N_UPLOAD, N_UPLOAD))

    # Every page, reached through the app's navigation (the same browser session).
    for title in PAGES:
        app.navigate(title)
        slug = re.sub(r"[^a-z]+", "_", title.lower()).strip("_")
        app.screenshot(f"uploaded_{slug}")
        assert not app.problems(), f"{title}: {app.problems()}"
        assert app.n_text() == (N_UPLOAD, N_UPLOAD), title
        # The reconstruction notice (hccdash.ui.common, with its link to the reproduce page)
        # belongs to the bundled cohort only; About quotes the disclaimer as documentation.
        assert "How it was reconstructed and how close it is" not in app.main_text(), title

    # Filters act on the uploaded cohort too.
    app.navigate("Kaplan-Meier")
    # the role's widget is labelled with the upload's own column name
    app.multiselect_pick("child_pugh", "A")
    assert app.n_text() == (cp_a, N_UPLOAD)
    assert len(app.km_curves()) == 1
