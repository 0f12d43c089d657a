"""Real-browser harness: ``streamlit run app.py`` on a free loopback port, driven by Playwright.

Shared by the e2e fixtures (``conftest.py``) and the benchmark (``bench/browser_cases.py``).

Playwright for Python (sync API) drives Debian's chromium through ``executable_path`` (never
``playwright install``). One Streamlit server serves the whole session; every test gets a fresh
browser context, which is a fresh Streamlit session (its own filters, its own uploaded cohort).
Screenshots go to ``tests/e2e/artifacts/`` (created here; CI keeps it as an artifact).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
# Streamlit's legacy pages/ menu, shown by a fresh server's very first run: it lists the main
# script itself ("app"); the app's router never does.
_LEGACY_NAV_JS = (
    "() => Array.from(document.querySelectorAll('" + NAV_LINK.replace("'", "\\'") + "'))"
    ".some((a) => a.innerText.trim() === 'app')"
)
N_TEXT = re.compile(r"n\s*=\s*([\d,]+)\s+of\s+([\d,]+)")
# An error alert that is an escaped exception rather than a message written for the user.
CRASH_TEXT = re.compile(
    r"Traceback|encountered an error|\b[A-Z]\w*(Error|Exception)\b|"
    r"object has no attribute|unexpected keyword|not subscriptable"
)

# Counts every change of the app's script state (initial -> running -> notRunning ...), so a
# test can wait for "a rerun happened and finished" even when the run is faster than polling.
_OBSERVER_JS = """
(() => {
  window.__hcc = {runs: 0, last: performance.now(), log: []};
  const watch = () => new MutationObserver((records) => {
    for (const r of records) {
      if (r.attributeName === 'data-test-script-state') {
        const now = performance.now();
        window.__hcc.runs += 1;
        window.__hcc.last = now;
        // (state, time) of every change: the benchmark splits latencies into phases.
        window.__hcc.log.push([r.target.getAttribute('data-test-script-state'), now]);
        if (window.__hcc.log.length > 500) window.__hcc.log.shift();
      }
    }
  }).observe(document.documentElement,
             {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
  if (document.documentElement) { watch(); }
  else { document.addEventListener('DOMContentLoaded', watch); }
})();
"""

# What the reader sees, compactly: the URL and the text of the sidebar and the main area.
_SIGNATURE_JS = """
() => {
  const text = (sel) => { const el = document.querySelector(sel); return el ? el.innerText : ''; };
  const s = location.href + '\\u0000' + text('[data-testid="stSidebar"]') + '\\u0000'
    + text('[data-testid="stMain"]');
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return s.length + ':' + h;
}
"""

# Idle for `settle` ms after a run that started after `before` state changes, or, when the run
# was too fast for its running/notRunning flip to be seen, once the page's content differs
# from `sig` and has not changed for a second (an upload shows its file chip before its rerun
# starts; content, not Streamlit's flip, is what a test waits on).
_SETTLED_JS = (
    """
([before, settle, sig]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const s = window.__hcc;
  if (!app || !s || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const now = performance.now();
  if (now - s.last < settle) return false;
  if (s.runs > before) return true;
  if (sig === null) return false;
  const cur = ("""
    + _SIGNATURE_JS
    + """)();
  if (!s.sig || s.sig[0] !== cur) { s.sig = [cur, now]; return false; }
  return cur !== sig && now - s.sig[1] >= Math.max(settle, 1000);
}
"""
)

# A compact, order-preserving signature of every plotly chart in the main area: per trace its
# name, point count and a checksum of y, so "the KM curve changed" is a data comparison.
CURVES_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')).map(
  (el) => (el._fullData || el.data || []).map((t) => {
    const y = Array.from(t.y || []).filter((v) => typeof v === 'number' && isFinite(v));
    return {name: String(t.name ?? ''), mode: String(t.mode ?? ''), type: String(t.type ?? ''),
            visible: t.visible !== false, showlegend: t.showlegend !== false,
            n: y.length, sum: y.reduce((a, b) => a + b, 0),
            last: y.length ? y[y.length - 1] : null};
  }))
"""


# JSON of the step-curve traces (name, point count, sum of y) of the i-th chart, or null.
CURVE_KEY_JS = """
(i) => {
  const els = document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot');
  if (els.length <= i) return null;
  const data = els[i]._fullData || [];
  if (!data.length) return null;
  return JSON.stringify(data.filter((t) => t.mode === 'lines' && t.visible !== false
      && !String(t.name ?? '').endsWith('CI'))
    .map((t) => {
      const y = Array.from(t.y || []).filter((v) => typeof v === 'number' && isFinite(v));
      return [String(t.name ?? ''), y.length, y.reduce((a, b) => a + b, 0)];
    }));
}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` as a child process; its log is kept to explain failures."""

    def __init__(
        self,
        root: Path = ROOT,
        log_path: Path | None = None,
        *,
        wrapper: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        script: str = "app.py",
        command: Callable[[int], list[str]] | None = None,
        port: int | None = None,
    ) -> None:
        """``wrapper``: a script run instead of ``-m streamlit`` that runs streamlit itself
        (e.g. ``netaudit.py``); ``env``: extra environment variables; ``script``: the app;
        ``command``: the whole command line for a port (e.g. ``hccdash serve --port N``);
        ``port``: a given port (a restart on the same address), else a free one."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # one log per pytest-xdist worker: each worker runs its own session server
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.log_path = log_path or ARTIFACTS / f"streamlit{'-' + worker if worker else ''}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        cmd = [
            sys.executable, *(wrapper or ("-m", "streamlit")), "run", script,
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        if command is not None:
            cmd = command(self.port)
        self.proc = subprocess.Popen(
            cmd,
            cwd=root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            # Its own process group (start_new_session): only this server and its children.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


class App:
    """A browser tab on the app, with waits that understand Streamlit's reruns."""

    def __init__(self, page, server: StreamlitServer) -> None:
        self.page = page
        self.server = server
        self._log_mark = 0

    # navigation and waiting -------------------------------------------------------------
    def _runs(self) -> int:
        return int(self.page.evaluate("() => (window.__hcc ? window.__hcc.runs : 0)"))

    def signature(self) -> str:
        """A short string that changes whenever the URL or the visible text changes."""
        return self.page.evaluate(_SIGNATURE_JS)

    def wait_settled(
        self,
        before: int = 0,
        timeout: float = 60_000,
        settle: int = 300,
        signature: str | None = None,
    ) -> None:
        """Wait until a run started after ``before`` state changes has finished and stayed
        idle, or (a run too fast to see) the page's content differs from ``signature``."""
        self.page.wait_for_function(
            _SETTLED_JS, arg=[before, settle, signature], timeout=timeout, polling=100
        )
        self.page.wait_for_selector(IDLE, timeout=timeout)
        # A fresh browser context loads each element type's frontend code on first use and
        # shows skeletons meanwhile (seconds on a loaded machine): wait for the elements.
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout
        )

    def goto(self, path: str = "", timeout: float = 90_000) -> None:
        """Open ``/<path>`` (may carry a query string) and wait until the page has run."""
        self._log_mark = len(self.server.log_text())
        self.page.goto(f"{self.server.url}/{path.lstrip('/')}", wait_until="domcontentloaded")
        self.wait_settled(0, timeout=timeout)
        # A fresh server's first session runs in the legacy pages/ mode and then reruns itself
        # through app.py (hccdash.ui.state.ensure_app_router); on a loaded machine that rerun
        # can begin after the first run has settled. Wait for the router's page instead.
        if self.page.evaluate(_LEGACY_NAV_JS):
            self.page.wait_for_function(f"() => !({_LEGACY_NAV_JS})()", timeout=timeout)
            self.wait_settled(0, timeout=timeout)

    def rerun(self, action: Callable[[], object], timeout: float = 60_000) -> None:
        """Do ``action`` (a widget change) and wait for the rerun it triggers to finish."""
        before, signature = self._runs(), self.signature()
        action()
        self.wait_settled(before, timeout=timeout, signature=signature)

    # reading the page -------------------------------------------------------------------
    @property
    def sidebar(self):
        return self.page.locator('[data-testid="stSidebar"]')

    def n_text(self) -> tuple[int, int]:
        """The sidebar's ``n = 14 of 21`` as ``(14, 21)``."""
        text = self.sidebar.inner_text()
        match = N_TEXT.search(text)
        if match is None:
            raise AssertionError(f"no 'n = .. of ..' in the sidebar; sidebar text:\n{text[:800]}")
        return int(match[1].replace(",", "")), int(match[2].replace(",", ""))

    def wait_n(self, expected: tuple[int, int], timeout: float = 60_000) -> None:
        """Wait until the sidebar says ``n = a of b`` (e.g. after an action that reruns twice)."""
        try:
            self.page.wait_for_function(
                """([a, b]) => {
                  const el = document.querySelector('[data-testid="stSidebar"]');
                  const m = el && el.innerText.match(/n\\s*=\\s*([\\d,]+)\\s+of\\s+([\\d,]+)/);
                  return !!m && +m[1].replace(/,/g, '') === a && +m[2].replace(/,/g, '') === b;
                }""",
                arg=list(expected),
                timeout=timeout,
            )
        except PlaywrightTimeout:  # reported with what the sidebar says instead
            raise AssertionError(
                f"sidebar never said n = {expected[0]} of {expected[1]}; it says {self.n_text()}"
            ) from None
        self.page.wait_for_selector(IDLE, timeout=timeout)

    def curves(self) -> list[list[dict]]:
        """Trace signatures of every plotly chart in the main area (see ``CURVES_JS``)."""
        return self.page.evaluate(CURVES_JS)

    def curve_key(self, chart: int = 0) -> str | None:
        """A string that changes whenever the KM curves of the ``chart``-th chart change."""
        return self.page.evaluate(CURVE_KEY_JS, chart)

    def wait_curves(self, chart: int = 0, differ_from: str | None = None, timeout=30_000) -> str:
        """Wait until the chart has drawn curves (different from ``differ_from``); its key."""
        handle = self.page.wait_for_function(
            "([i, old]) => { const k = (" + CURVE_KEY_JS + ")(i); return k && k !== old && k; }",
            arg=[chart, differ_from],
            timeout=timeout,
            polling="raf",
        )
        return handle.json_value()

    def km_curves(self, chart: int = 0) -> list[dict]:
        """The step-curve traces (one per group) of the ``chart``-th plotly chart."""
        try:
            self.wait_curves(chart, timeout=30_000)
        except PlaywrightTimeout as exc:  # reported with what the page shows instead
            n = len(self.curves())
            raise AssertionError(
                f"no KM curves drawn in plotly chart #{chart + 1} within 30 s "
                f"(page has {n} plotly chart(s)): {exc}"
            ) from None
        charts = self.curves()
        if len(charts) <= chart:
            raise AssertionError(f"page has {len(charts)} plotly chart(s), wanted #{chart + 1}")
        return [
            t
            for t in charts[chart]
            if t["mode"] == "lines" and t["visible"] and not t["name"].endswith("CI")
        ]

    def nav_titles(self) -> list[str]:
        return [a.inner_text().strip() for a in self.page.locator(NAV_LINK).all()]

    def navigate(self, title: str, timeout: float = 120_000) -> None:
        """Go to another page through the sidebar navigation (same Streamlit session).

        Generous timeout: the risk-models page fits its models on arrival, which takes
        tens of seconds when the 2-core CI machine is busy.
        """
        link = self.page.locator(NAV_LINK).filter(has_text=title).first
        self.rerun(link.click, timeout=timeout)

    # widgets (located by their label, as a screen reader would) ---------------------------
    def multiselect_pick(self, label: str, option: str) -> None:
        box = self.page.get_by_role("combobox", name=label, exact=True)
        self.rerun(lambda: self._open_and_choose(box, option))
        self.page.keyboard.press("Escape")

    def multiselect_remove(self, label: str, option: str) -> None:
        group = self.page.locator('[data-testid="stMultiSelect"]').filter(
            has=self.page.get_by_role("combobox", name=label, exact=True)
        )
        self.rerun(group.get_by_role("button", name=f"Remove {option}", exact=True).first.click)

    def selectbox_choose(self, label: str, option: str) -> None:
        box = self.page.get_by_role("combobox", name=re.compile(rf"^{re.escape(label)}")).first
        self.rerun(lambda: self._open_and_choose(box, option))

    def _open_and_choose(self, box, option: str, attempts: int = 4) -> None:
        """Open a dropdown and click ``option``; reopen if a rerun closed the list meanwhile."""
        choice = self.page.get_by_role("option", name=option, exact=True)
        for attempt in range(attempts):
            box.click()
            try:
                choice.wait_for(state="visible", timeout=5_000)
                choice.click(timeout=5_000)
                return
            except PlaywrightTimeout:  # retried; the last attempt raises below
                if attempt == attempts - 1:
                    raise
                self.page.keyboard.press("Escape")
                self.page.wait_for_selector(IDLE)

    def radio_choose(self, label: str, option: str, where=None) -> None:
        scope = where if where is not None else self.page
        group = scope.get_by_role("radiogroup", name=label)
        # The input is visually hidden; its label is the click target.
        self.rerun(group.locator("label").filter(has_text=re.compile(rf"^{option}$")).click)

    def main_text(self) -> str:
        return self.page.locator('[data-testid="stMain"]').inner_text()

    def problems(self) -> list[str]:
        """Exception elements, crash-like error alerts and server tracebacks since ``goto``."""
        found = []
        for el in self.page.locator('[data-testid="stException"]').all():
            found.append(f"exception element: {el.inner_text()[:300]!r}")
        # Streamlit's own "Page not found" dialog: an unrouted path (e.g. the default page's
        # url_path) silently falls back to the main page underneath it.
        for el in self.page.locator('[role="dialog"]').all():
            text = el.inner_text()
            if "not found" in text.lower():
                found.append(f"dialog: {text[:200]!r}")
        for el in self.page.locator('[data-testid="stAlertContentError"]').all():
            text = el.inner_text()
            if CRASH_TEXT.search(text):
                found.append(f"error alert that reads like a crash: {text[:300]!r}")
        new_log = self.server.log_text()[self._log_mark :]
        if "Traceback" in new_log:
            # The end of the first traceback names the error.
            first = new_log[new_log.index("Traceback") :]
            end = first.find("\n\n")
            found.append("server log traceback:\n" + first[: end if end > 0 else None][-1500:])
        return found

    def wait_rendered(self, timeout: float = 20_000) -> bool:
        """Best effort: every plotly chart drawn and every dataframe's grid mounted."""
        try:
            self.page.wait_for_function(
                """() => {
                  // Only what is on show: a collapsed expander's or a hidden tab's charts
                  // and grids are never drawn (waiting for them cost the full timeout).
                  const shown = (el) => el.checkVisibility();
                  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
                  for (const c of charts) {
                    if (!shown(c)) continue;
                    const p = c.querySelector('.js-plotly-plot');
                    if (!p || !(p._fullData || []).length || !p.querySelector('.main-svg'))
                      return false;
                  }
                  const frames = document.querySelectorAll('[data-testid="stDataFrame"]');
                  for (const f of frames) {
                    if (shown(f) && !f.querySelector('canvas')) return false;
                  }
                  return true;
                }""",
                timeout=timeout,
            )
        except PlaywrightTimeout:
            return False
        self.page.wait_for_timeout(250)  # the last relayout's paint
        return True

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # The app scrolls inside its main container, so a "full page" shot is only the window:
        # grow the window to the content's height (capped) for the shot, then restore it.
        size = self.page.viewport_size or {"width": 1440, "height": 1000}
        height = self.page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return m ? m.scrollHeight : document.body.scrollHeight; }"""
        )
        tall = max(size["height"], min(int(height) + 40, 8000))
        if tall != size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": tall})
        self.wait_rendered()
        try:
            self.page.screenshot(path=str(path))
        finally:
            if tall != size["height"]:
                self.page.set_viewport_size(size)
        return path


def launch_chromium(playwright):
    """Debian's chromium (``apt-get install -y chromium``), never a downloaded browser."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(
            "e2e tests need Debian's chromium on PATH: apt-get install -y chromium "
            "(.ci/run installs it)"
        )
    return playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)


def new_app(browser, server: StreamlitServer):
    """A fresh browser context (a fresh Streamlit session) on ``server``; close its context."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    context.add_init_script(_OBSERVER_JS)
    context.set_default_timeout(60_000)
    return App(context.new_page(), server), context
