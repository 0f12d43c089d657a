"""The router (app.py): page contract, the shared sidebar, every page loads, state across pages.

AppTest starts every run in Streamlit's legacy ``pages/`` mode, like the first request of a
fresh server; every page passing here with the sidebar drawn shows the page gets back to the
router (``hccdash.ui.state.ensure_app_router``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
URL_PATHS = [
    "cohort",
    "km",
    "univariate",
    "cox",
    "competing",
    "response",
    "reproduce",
    "data",
    "models",
    "about",
]


def _pages() -> list[dict]:
    tree = ast.parse((ROOT / "app.py").read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            # literal keywords only (the reproduce page's visibility depends on the cohort)
            kw = {
                k.arg: ast.literal_eval(k.value)
                for k in node.keywords
                if isinstance(k.value, ast.Constant)
            }
            out.append({"script": ast.literal_eval(node.args[0]), **kw})
    return out


def test_router_registers_the_contract_pages_in_order():
    """Every contract path is routed to its page; the cohort page is also the default ("/").

    Streamlit serves the default page at "/" but not at its own url_path, so the cohort page
    is registered twice: as the default (url_path "home", shown in the menu) and as a hidden
    alias at "/cohort".
    """
    pages = _pages()
    default = [p for p in pages if p.get("default")]
    assert len(default) == 1 and default[0]["script"] == "pages/cohort.py"
    routed = [p for p in pages if not p.get("default")]
    assert [p["url_path"] for p in routed] == URL_PATHS
    for p in routed:
        assert p["script"] == f"pages/{p['url_path']}.py"
    hidden = [p["url_path"] for p in pages if p.get("visibility") == "hidden"]
    assert hidden == ["cohort"]


def test_sidebar_is_drawn_before_the_page_runs():
    source = (ROOT / "app.py").read_text()
    sidebar = source.index("render_sidebar()")
    run = source.index(".run()")
    assert sidebar < run


def test_no_unsafe_html_in_pages_or_ui():
    files = list((ROOT / "pages").glob("*.py")) + list((ROOT / "hccdash" / "ui").glob("*.py"))
    for py in files:
        assert not re.search(r"unsafe_allow_html\s*=\s*True", py.read_text()), py


@pytest.mark.parametrize("page", URL_PATHS)
def test_every_page_loads_without_exception(page):
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "cohort":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    counts = [m.value for m in at.sidebar.markdown if m.value.startswith("n = ")]
    assert counts == ["n = 21 of 21 patients"]


def test_filters_follow_the_user_across_pages():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.multiselect(key="f_child_pugh").set_value(["A"]).run()
    for page in ("km", "cox", "response", "cohort"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        counts = [m.value for m in at.sidebar.markdown if m.value.startswith("n = ")]
        assert counts == ["n = 14 of 21 patients"], page
        assert at.query_params["child_pugh"] == "A"


@pytest.mark.parametrize("workaround", [True, False])
def test_the_router_workaround_is_what_draws_the_sidebar_on_a_first_request(
    monkeypatch, workaround
):
    """Why ``hccdash.ui.state.ensure_app_router`` exists: AppTest, like a fresh server's
    first request, runs a switched-to page in Streamlit's legacy ``pages/`` mode. With the
    workaround the page reruns through app.py and the shared sidebar (its count line) is
    drawn; with it switched off the page runs alone and the sidebar is missing. The day
    Streamlit routes such a request through ``st.navigation`` by itself, the second case
    fails and the workaround can go."""
    import hccdash.ui.sidebar as sidebar
    import hccdash.ui.state as state

    if not workaround:
        monkeypatch.setattr(state, "ensure_app_router", lambda: None)
        monkeypatch.setattr(sidebar, "ensure_app_router", lambda: None)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/about.py").run()
    assert not at.exception, [e.message for e in at.exception]
    counts = [m.value for m in at.sidebar.markdown if m.value.startswith("n = ")]
    assert counts == (["n = 21 of 21 patients"] if workaround else [])
