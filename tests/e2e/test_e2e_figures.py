"""Figure files from the pages in a real browser: slide text >= 22 px, journal >= 7 pt, and
the exported PNG of every figure kind at slide and journal presets kept as artifacts
(``tests/e2e/artifacts/figure_*.png``) to be looked at."""

from __future__ import annotations

import re
import struct

import pytest
from e2e_harness import ARTIFACTS

pytestmark = pytest.mark.e2e


def _download(app, key: str, timeout: float = 120_000) -> tuple[str, bytes]:
    button = app.page.locator(f".st-key-{key} button").first
    button.wait_for(timeout=timeout)
    with app.page.expect_download(timeout=timeout) as info:
        button.click()
    download = info.value
    with open(download.path(), "rb") as fh:
        return download.suggested_filename, fh.read()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG: {data[:16]!r}"
    return struct.unpack(">II", data[16:24])


def test_km_svg_at_16x9_has_slide_text_and_the_variable_as_legend_title(app):
    app.goto("km?by=treatment&endpoint=os")
    app.km_curves()
    name, data = _download(app, "km_os_fig_svg")
    assert name.endswith("slide-1920.svg")
    svg = data.decode("utf-8")
    assert 'width="1920"' in svg and 'height="1080"' in svg
    sizes = [float(s) for s in re.findall(r"font-size: ?([\d.]+)px", svg)]
    assert sizes and min(sizes) >= 22, sorted(set(sizes))
    assert "Combination therapy (IMRT+TACE)" in svg  # Factor.label of the stratifier
    assert "IMRT vs IMRT+TACE" in svg  # HR of each level vs the cohort's reference
    assert not app.problems(), app.problems()


def test_figure_panel_opens_and_changes_the_figure(app):
    app.goto("km?by=treatment&endpoint=os")
    before = app.wait_curves()
    # a lazy popover: opening it reruns the figures' fragment, which builds its widgets
    app.rerun(app.page.get_by_role("button", name=re.compile("Figure options")).first.click)
    app.page.get_by_role("tab", name="Axes").first.click()
    app.screenshot("figure_panel_km_open")
    app.rerun(lambda: app.page.get_by_text("y axis in %").first.click())
    app.wait_curves(differ_from=before)
    assert "fig_y_percent=1" in app.page.url
    assert not app.problems(), app.problems()


FIGURES = [
    ("km", "km?by=treatment&endpoint=os&fig_preset={p}", "km_os_fig_png"),
    ("forest", "cox?endpoint=os&forest_preset={p}", "cox_os_forest_png"),
    ("schoenfeld", "cox?endpoint=os&zph_preset={p}", "cox_os_schoenfeld_png"),
]
SIZES = {"slide-1920": (1920, 1080), "slide-4x3": (1024, 768), "journal-1col-300": None}


# Each kind once, each preset once: the pixel sizes of every kind x preset are checked without a
# browser (tests/test_figure_parity.py, tests/test_figure_layout.py); here the page's button is.
CASES = [(*f, p) for f, p in zip(FIGURES, SIZES, strict=True)]


@pytest.mark.parametrize(("kind", "path", "key", "preset"), CASES)
def test_exported_png_of_every_kind_at_slide_and_journal_presets(app, kind, path, key, preset):
    app.goto(path.format(p=preset))
    name, data = _download(app, key)
    assert preset in name
    width, height = _png_size(data)
    expect = SIZES[preset]
    if expect is not None:
        assert (width, height) == expect
    else:  # 85 mm at 300 dpi
        assert width == round(321 * 300 / 96)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"figure_{kind}_{preset}.png").write_bytes(data)
    app.screenshot(f"figure_page_{kind}_{preset}")
    assert not app.problems(), app.problems()
