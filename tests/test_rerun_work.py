"""A rerun does only what changed (issue 20): figures and statistics counted per rerun.

AppTest reruns the whole script on every change (it has no fragment reruns), so these tests
show the session's figure memo and the analysis caches: a rerun that changes nothing a figure
shows builds no figure, a figure option builds only that figure and fits nothing, a revisited
filter builds nothing, and the numbers shown stay the same.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from figure_options import open_figure_options
from streamlit.testing.v1 import AppTest

import hccdash.cox
import hccdash.figures
import hccdash.nonparametric
import hccdash.ui.km_summaries
import hccdash.ui.km_view

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture()
def calls(monkeypatch) -> Counter:
    """Counts of figure builds and model fits, by name."""
    counts: Counter = Counter()

    def counted(module, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(hccdash.ui.km_view, "km_view_figure")
    counted(hccdash.nonparametric, "kaplan_meier")
    counted(hccdash.figures, "forest_figure")
    counted(hccdash.figures, "schoenfeld_figure")
    counted(hccdash.cox, "cox_fit")
    counted(hccdash.cox, "cox_zph")
    return counts


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _toggle(at: AppTest, label: str) -> None:
    next(t for t in at.toggle if t.label == label).set_value(
        not next(t for t in at.toggle if t.label == label).value
    )


def _tables(at: AppTest) -> list[str]:
    return [df.value.to_csv() for df in at.dataframe]


def test_km_display_option_builds_only_the_figures_and_a_plain_rerun_builds_nothing(calls):
    at = _open("km")
    at.selectbox(key="km_by").set_value("treatment").run()
    shown = _tables(at)
    open_figure_options(at)
    calls.clear()
    at.run()  # nothing changed
    assert calls["km_view_figure"] == 0 and calls["kaplan_meier"] == 0
    _toggle(at, "Median lines")
    at.run()
    # the OS figure on screen and at its export size: drawn anew, nothing estimated
    assert calls["km_view_figure"] == 2
    assert calls["kaplan_meier"] == 0 and calls["cox_fit"] == 0
    assert _tables(at) == shown
    calls.clear()
    _toggle(at, "Median lines")  # back to the view before: already built in this session
    at.run()
    assert calls["km_view_figure"] == 0
    assert _tables(at) == shown


def test_km_revisited_filter_builds_nothing_and_shows_the_same_numbers(calls):
    at = _open("km")
    at.sidebar.radio(key="f_pvtt").set_value("no").run()
    narrowed = _tables(at)
    at.sidebar.radio(key="f_pvtt").set_value("any").run()
    calls.clear()
    at.sidebar.radio(key="f_pvtt").set_value("no").run()
    assert calls["km_view_figure"] == 0 and calls["kaplan_meier"] == 0
    assert _tables(at) == narrowed


def test_cox_forest_option_leaves_the_model_and_the_residual_plot_alone(calls):
    at = _open("cox")
    shown = _tables(at)
    open_figure_options(at)
    calls.clear()
    at.text_input(key="cox_forest__xlabel").set_value("HR (95% CI)").run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls["forest_figure"] == 2  # screen and export size
    assert calls["schoenfeld_figure"] == 0
    assert calls["cox_fit"] == 0 and calls["cox_zph"] == 0
    assert _tables(at) == shown


def _report_script() -> None:
    import plotly.graph_objects as go
    import streamlit as st

    from hccdash.report.report import ReportFigure, ReportSection, figure_legend
    from hccdash.ui.report_view import SECTIONS_KEY, update_report_figure

    old = go.Figure(layout={"title": {"text": "Old title"}})
    new = go.Figure(layout={"title": {"text": "<b>New title</b>"}})
    other = go.Figure(layout={"title": {"text": "Other"}})
    figures = (
        ReportFigure("forest", old, figure_legend(old, "forest", "Hazard ratios.")),
        ReportFigure("zph", other, figure_legend(other, "zph", "Residuals.")),
    )
    st.session_state[SECTIONS_KEY] = {"cox": ReportSection("cox", "Cox", "", "", (), figures)}
    update_report_figure("cox", "forest", new)
    update_report_figure("km", "forest", new)  # a page without a stored section: no change
    for rf in st.session_state[SECTIONS_KEY]["cox"].figures:
        st.text(f"{rf.name}|{rf.legend}|{rf.figure.layout.title.text}")
    from types import SimpleNamespace

    from hccdash.ui.report_view import update_report_table

    update_report_table("cox", SimpleNamespace(key="boot", n=1))
    update_report_table("cox", SimpleNamespace(key="boot", n=2))  # replaces, not appended
    update_report_table("cox", SimpleNamespace(key="other", n=3))
    st.text(repr([(t.key, t.n) for t in st.session_state[SECTIONS_KEY]["cox"].tables]))


def test_a_fragment_s_figure_and_table_replace_those_of_the_stored_report_section():
    """A fragment reruns without the page: the report section must get its figure (legend
    after the new title) and its table (one per key)."""
    at = AppTest.from_function(_report_script).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.text] == [
        "forest|New title. Hazard ratios.|<b>New title</b>",
        "zph|Other. Residuals.|Other",
        "[('boot', 2), ('other', 3)]",
    ]


@pytest.fixture()
def fragment_log(monkeypatch):
    """What runs inside an ``st.fragment`` of the KM page: ``st.fragment`` replaced by a
    recorder (the real one still wraps), ``hccdash.ui.km_fragment`` reloaded with it; each
    counted call is logged as ``(name, inside a fragment?)``."""
    import importlib

    import streamlit as st

    import hccdash.ui.figure_panel
    import hccdash.ui.km_fragment
    import hccdash.ui.table_view

    real = st.fragment
    log: list[tuple[str, bool]] = []
    depth = [0]

    def recording(func=None, **kwargs):
        def decorate(f):
            def inner(*a, **k):
                depth[0] += 1
                try:
                    return f(*a, **k)
                finally:
                    depth[0] -= 1

            inner.__name__, inner.__qualname__, inner.__module__ = (
                f.__name__, f.__qualname__, f.__module__,
            )  # fmt: skip
            return real(inner, **kwargs)

        return decorate(func) if func is not None else decorate

    def counted(module, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            log.append((name, depth[0] > 0))
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    monkeypatch.setattr(st, "fragment", recording)
    km_fragment = importlib.reload(hccdash.ui.km_fragment)
    counted(km_fragment, "figure_panel")
    counted(km_fragment, "render_km_figure")
    counted(hccdash.ui.km_view, "km_view_figure")
    counted(hccdash.ui.km_view, "render_table_model")
    counted(hccdash.ui.km_summaries, "render_table_model")  # landmarks and RMST
    yield log
    monkeypatch.undo()
    importlib.reload(hccdash.ui.km_fragment)
    assert hccdash.ui.figure_panel is not None and hccdash.ui.table_view is not None


def test_km_figure_options_rerun_in_a_fragment_without_the_tables(fragment_log):
    """The KM page's figure options, figures, test and HR lines are one fragment (a figure
    option reruns them alone); the median, landmark and RMST tables are outside it (issue 20)."""
    at = _open("km")
    at.selectbox(key="km_by").set_value("treatment").run()
    fragment_log.clear()
    at.radio(key="km_endpoint").set_value("both").run()
    assert not at.exception, [e.message for e in at.exception]
    inside = [name for name, frag in fragment_log if frag]
    outside = [name for name, frag in fragment_log if not frag]
    assert inside.count("figure_panel") == 1 and "figure_panel" not in outside
    assert inside.count("render_km_figure") == 2 and inside.count("km_view_figure") == 4
    assert "render_table_model" not in inside
    # medians, landmarks and RMST of OS and PFS
    assert outside.count("render_table_model") == 6


def test_closed_figure_options_build_no_widgets_and_keep_their_choices(calls):
    """The KM page's options popover is lazy (issue 20): closed, its two dozen widgets are not
    built in a rerun, and the options chosen while it was open still shape the figure (URL,
    export figure) through later reruns, a filter change included."""
    at = _open("km")
    at.selectbox(key="km_by").set_value("treatment").run()
    closed = {w.label for w in [*at.toggle, *at.selectbox, *at.text_input, *at.number_input]}
    assert "Median lines" not in closed and "Palette" not in closed and "Size" not in closed
    open_figure_options(at)
    assert any(t.label == "y axis in %" for t in at.toggle)
    next(t for t in at.toggle if t.label == "y axis in %").set_value(True).run()
    assert at.query_params.get("fig_y_percent") == "1"
    for k in [k for k in list(at.session_state) if str(k).endswith("__open")]:
        at.session_state[k] = False
    at.sidebar.radio(key="f_pvtt").set_value("no").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not any(t.label == "y axis in %" for t in at.toggle)
    assert at.query_params.get("fig_y_percent") == "1"
    export = json.loads(at.session_state["km_os_fig__export"])
    assert export["layout"]["yaxis"]["title"]["text"].endswith("(%)")


def test_fragments_hold_their_data_in_session_state_and_a_full_run_drops_the_last_pages():
    """Streamlit's fragment store outlives a closed tab (its session object is dropped lazily);
    hccdash's fragments keep their arguments (the KM grouping, the figures) in session state,
    which the session sweeper empties, and each full run keeps only its own page's (issue 20:
    five 200,000-row frames were held 105 s after their tab closed)."""
    from hccdash.ui.fragments import SLOTS_KEY
    from hccdash.ui.km_view import Grouping

    at = _open("km")
    slots = at.session_state[SLOTS_KEY]
    km = [v for k, v in slots.items() if k.startswith("hccdash.ui.km_fragment.km_figures|")]
    assert len(km) == 1 and isinstance(km[0][0][1], Grouping)
    at.switch_page("pages/cohort.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not any("km_fragment" in k for k in at.session_state[SLOTS_KEY])
