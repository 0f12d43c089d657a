"""Export: PNG/SVG/PDF through kaleido + Debian chromium (warm session), CSV/XLSX, ZIP.

Kaleido tests carry the ``needs_chromium`` marker and run in CI, where ``.ci/run`` installs
chromium; a missing chromium is a failure with a clear message, never a silent skip.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import plotly
import pytest
from lifelines.datasets import load_waltons
from PIL import Image

from hccdash import export
from hccdash.errors import InputError
from hccdash.figures import km_figure
from hccdash.nonparametric import kaplan_meier, landmark_table, median_table
from hccdash.style import color_for


@pytest.fixture(scope="module")
def km():
    return kaplan_meier(load_waltons(), "T", "E", "group")


@pytest.fixture(scope="module")
def fig(km):
    return km_figure(km, title="Waltons", style="slide")


@pytest.fixture
def chromium():
    if not export.chromium_available():
        pytest.fail(
            f"chromium not found at {export.chromium_path()!r}: server-side export tests need "
            "Debian's chromium (apt-get install -y chromium, as .ci/run does) or BROWSER_PATH."
        )


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data))


# ---------------------------------------------------------------- figures (kaleido)
@pytest.mark.needs_chromium
@pytest.mark.parametrize(
    ("width", "height", "scale"), [(1280, 720, 1), (1024, 768, 2), (640, 480, 3)]
)
def test_png_has_exact_pixel_size_and_is_not_blank(chromium, fig, width, height, scale):
    img = _png(export.figure_bytes(fig, "png", width, height, scale))
    assert img.size == (width * scale, height * scale)
    pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.var() > 0
    # The curves are drawn in their colours, not just a white page with text.
    rgb = np.asarray(img.convert("RGB")).reshape(-1, 3)
    for level in ("control", "miR-137"):
        hexcol = color_for(level, ("control", "miR-137")).lstrip("#")
        target = np.array([int(hexcol[i : i + 2], 16) for i in (0, 2, 4)])
        assert (np.abs(rgb - target).sum(axis=1) < 30).sum() > 50 * scale


@pytest.mark.needs_chromium
def test_svg_has_one_curve_path_per_group(chromium, km):
    figure = km_figure(km)
    svg = export.figure_bytes(figure, "svg", 900, 600).decode("utf-8")
    assert svg.startswith("<svg")
    # Visible lines inside the plot area (band outlines have stroke-width 0; legend lines
    # are outside the clipped plot).
    lines = re.findall(r'<path class="js-line"[^>]*clip-path="[^"]*"[^>]*>', svg)
    visible = [p for p in lines if "stroke-width: 0px" not in p]
    assert len(visible) == len(km.curves)
    for level in ("control", "miR-137"):
        h = color_for(level, [c.group for c in km.curves]).lstrip("#")
        rgb = f"rgb({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)})"
        assert sum(rgb in p for p in visible) == 1


@pytest.mark.needs_chromium
def test_pdf_and_warm_session(chromium, fig):
    export.close_session()
    starts = export.warm_session_starts()
    t0 = time.perf_counter()
    first = export.figure_bytes(fig, "pdf", 1280, 720)
    t1 = time.perf_counter()
    second = export.figure_bytes(fig, "pdf", 1280, 720)
    t2 = time.perf_counter()
    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    # One browser start for both exports: the second reused the warm session.
    assert export.warm_session_starts() == starts + 1
    print(f"\nkaleido export: first (cold) {t1 - t0:.2f} s, warm {t2 - t1:.2f} s")


@pytest.mark.needs_chromium
def test_concurrent_exports_get_their_own_images(chromium, fig):
    """Several Streamlit sessions export at once: each caller gets its own image back."""
    from concurrent.futures import ThreadPoolExecutor

    sizes = [(400, 300), (500, 350), (600, 400), (700, 450)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(lambda wh: export.figure_bytes(fig, "png", *wh), sizes))
    assert [_png(b).size for b in images] == sizes


@pytest.mark.needs_chromium
def test_bad_format_and_size_are_input_errors(chromium, fig):
    with pytest.raises(InputError, match="'gif'"):
        export.figure_bytes(fig, "gif", 800, 600)
    with pytest.raises(InputError, match="width=50"):
        export.figure_bytes(fig, "png", 50, 600)
    with pytest.raises(InputError, match="scale=5"):
        export.figure_bytes(fig, "png", 800, 600, 5)


def test_missing_chromium_is_a_clear_error(monkeypatch, fig):
    export.close_session()
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert not export.chromium_available()
    with pytest.raises(export.ExportUnavailable, match="/nonexistent/chromium"):
        export.figure_bytes(fig, "png", 800, 600)


def test_modebar_config_same_size_and_name():
    cfg = export.modebar_config("KM: overall survival / arm", 1920, 1080, 2)
    opts = cfg["toImageButtonOptions"]
    assert opts == {
        "format": "png",
        "filename": "KM_overall_survival_arm",
        "width": 1920,
        "height": 1080,
        "scale": 2,
    }
    assert cfg["displaylogo"] is False


# ---------------------------------------------------------------- tables
def test_xlsx_and_csv_hold_the_on_screen_numbers(km):
    df = median_table(km).to_frame()
    book = openpyxl.load_workbook(io.BytesIO(export.table_bytes(df, "xlsx")))
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [str(c) for c in df.columns]
    assert len(rows) == len(df) + 1
    for i, record in enumerate(df.itertuples(index=False)):
        for got, want in zip(rows[i + 1], record, strict=True):
            if isinstance(want, (float, np.floating)) and not np.isfinite(want):
                assert got is None
            elif isinstance(want, (int, float, np.number)) and not isinstance(want, bool):
                assert got == pytest.approx(float(want), rel=1e-15)
            elif want is None:
                assert got is None
            else:
                assert got == str(want)
    back = pd.read_csv(io.BytesIO(export.table_bytes(df, "csv")), encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


def test_formula_injection_is_defused():
    df = pd.DataFrame(
        {
            "label": ['=HYPERLINK("x")', "+1+1", "@SUM(A1)", "-2+3", "plain", "-1.5"],
            "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    csv_text = export.table_bytes(df, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+1+1" in csv_text and "'@SUM(A1)" in csv_text
    assert "'-2+3" in csv_text and "\n-1.5," in csv_text.replace("\r\n", "\n")
    ws = openpyxl.load_workbook(io.BytesIO(export.table_bytes(df, "xlsx"))).active
    cells = [ws.cell(row=i, column=1) for i in range(2, 8)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == [
        '\'=HYPERLINK("x")',
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "plain",
        "-1.5",
    ]
    # Numbers stay numbers (a negative number is not a formula).
    assert ws.cell(row=3, column=2).value == -2.0


def test_unknown_table_format():
    with pytest.raises(InputError, match="'ods'"):
        export.table_bytes(pd.DataFrame({"a": [1]}), "ods")


# ---------------------------------------------------------------- ZIP
@pytest.mark.needs_chromium
def test_bundle_zip_has_every_member(chromium, km, fig):
    tables = {
        "median": median_table(km).to_frame(),
        "landmark": landmark_table(km, [12, 24]).to_frame(),
    }
    methods = "Data: lifelines Waltons. Methods: Kaplan-Meier (log-log CI)."
    data = export.bundle_zip({"km": fig, "km slide": fig}, tables, methods, width=800, height=450)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert names == {
            "figures/km.png",
            "figures/km.svg",
            "figures/km_slide.png",
            "figures/km_slide.svg",
            "tables/median.csv",
            "tables/median.xlsx",
            "tables/landmark.csv",
            "tables/landmark.xlsx",
            "methods.txt",
        }
        assert _png(zf.read("figures/km.png")).size == (800, 450)
        assert zf.read("figures/km.svg").startswith(b"<svg")
        text = zf.read("methods.txt").decode()
        assert text.startswith(methods + "\n\nSoftware: hccdash ")
        assert f"plotly {plotly.__version__}" in text and "Python 3." in text
        landmark = pd.read_csv(io.BytesIO(zf.read("tables/landmark.csv")), encoding="utf-8-sig")
        pd.testing.assert_frame_equal(landmark, tables["landmark"], check_dtype=False)


def test_bundle_zip_without_chromium_keeps_figures_as_json(monkeypatch, km, fig):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    data = export.bundle_zip({"km": fig}, {"median": median_table(km).to_frame()}, "m")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert set(zf.namelist()) == {
            "figures/km.json",
            "tables/median.csv",
            "tables/median.xlsx",
            "methods.txt",
        }
        assert "plotly JSON" in zf.read("methods.txt").decode()


# ---------------------------------------------------------------- download widgets
def _downloads_app():
    import pandas as pd
    import plotly.graph_objects as go

    from hccdash.ui.downloads import download_all, show_figure, table_downloads

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["=x", "y"]})
    show_figure(fig, "my fig", "f1")
    table_downloads(df, "tab", "t1")
    download_all({"f": fig}, {"t": df}, "methods", "all")


def _camera(at) -> dict:
    import json

    return json.loads(at.get("plotly_chart")[0].proto.config)["toImageButtonOptions"]


def test_download_widgets_size_camera_and_buttons():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_downloads_app, default_timeout=60).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    if export.chromium_available():
        assert labels[:3] == ["Download PNG", "Download SVG", "Download PDF"]
    assert labels[-3:] == ["Download CSV", "Download XLSX", "Download all (ZIP)"]
    assert _camera(at) == {
        "format": "png",
        "filename": "my_fig",
        "width": 1920,
        "height": 1080,
        "scale": 1,
    }
    at.selectbox(key="f1_preset").set_value("Custom").run()
    at.number_input(key="f1_width").set_value(1500).run()
    at.number_input(key="f1_height").set_value(900).run()
    at.select_slider(key="f1_scale").set_value(2).run()
    assert not at.exception
    camera = _camera(at)
    assert (camera["width"], camera["height"], camera["scale"]) == (1500, 900, 2)


def test_download_widgets_say_when_chromium_is_missing(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from hccdash.ui.downloads import NO_CHROMIUM_NOTE

    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    at = AppTest.from_function(_downloads_app, default_timeout=60).run()
    assert not at.exception
    assert [i.value for i in at.info] == [NO_CHROMIUM_NOTE]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download PNG" not in labels and "Download all (ZIP)" in labels
    assert _camera(at)["width"] == 1920  # the browser camera still exports at the preset
