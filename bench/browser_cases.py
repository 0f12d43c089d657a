"""Benchmark cases 5 and 6: the app in a real browser (imported by bench/run.py).

Uses the e2e suite's helpers (``tests/e2e/e2e_harness.py``: ``StreamlitServer``, ``App``,
``launch_chromium``) so the benchmark drives the app exactly as the browser tests do.
Latencies are measured inside the page: from the click (a capture-phase listener stamps
``performance.now()``) to the first animation frame in which the plotly chart holds the new
curves; the bookmark time is from navigation start to the first frame with the curves drawn.
"""

from __future__ import annotations

import re
import shutil
import signal
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "bench" / ".scratch"
CHANGES = 20
# Per timed change: (ms click -> script run starts, ms click -> run ends, ms click -> curve).
PHASES: list[tuple[float | None, float | None, float]] = []
# tests/e2e/e2e_harness.py's CURVE_KEY_JS (set when a case starts).
_KEY_JS = ""
BOOKMARK = "km?child_pugh=A&by=treatment"

# Stamp the time of every click before the app sees it (capture phase on the window).
_CLICK_STAMP_JS = """
() => {
  if (window.__hccClick === undefined) {
    window.addEventListener('click', () => { window.__hccClick = performance.now(); }, true);
  }
  window.__hccClick = null;
}
"""


def _rss(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS of a process, in MB, from /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024
    return out


class Session:
    """A Streamlit server and a Playwright browser, started and stopped together."""

    def __init__(self, e2e, log_name: str) -> None:
        from playwright.sync_api import sync_playwright

        self.e2e = e2e
        SCRATCH.mkdir(parents=True, exist_ok=True)
        self.server = e2e.StreamlitServer(log_path=SCRATCH / log_name)
        self._pw = sync_playwright().start()
        try:
            self.server.wait_healthy()
            self.browser = e2e.launch_chromium(self._pw)
        except BaseException:
            self.close()
            raise
        self._contexts = []
        # Leave Streamlit's legacy first-session mode before measuring (see test_router.py).
        self.app().goto("")

    def app(self):
        app, context = self.e2e.new_app(self.browser, self.server)
        context.set_default_timeout(300_000)
        self._contexts.append(context)
        return app

    def close(self) -> None:
        for context in getattr(self, "_contexts", []):
            context.close()
        if hasattr(self, "browser"):
            self.browser.close()
        self._pw.stop()
        self.server.stop()


def _timed_change(app, action, old_key: str, timeout: float) -> tuple[float, str]:
    """Run ``action`` (ends in a click); ms from that click to the redrawn curve, new key."""
    app.page.evaluate(_CLICK_STAMP_JS)
    before = app._runs()
    action()
    handle = app.page.wait_for_function(
        "([i, old]) => { const k = (" + _KEY_JS + ")(i);"
        " return (k && k !== old && window.__hccClick !== null)"
        " ? [performance.now() - window.__hccClick, k] : false; }",
        arg=[0, old_key],
        timeout=timeout,
        polling="raf",
    )
    ms, key = handle.json_value()
    app.wait_settled(before, timeout=timeout)
    # Phases from the script-state log: click -> run starts -> run ends (server side).
    start, end = app.page.evaluate(
        """() => { const c = window.__hccClick, log = window.__hcc.log;
                   const run = log.find(([s, t]) => t >= c && s === 'running');
                   if (!run) return [null, null];
                   const done = log.find(([s, t]) => t >= run[1] && s === 'notRunning');
                   return [run[1] - c, done ? done[1] - c : null]; }"""
    )
    PHASES.append((start, end, float(ms)))
    return float(ms), key


def filter_latencies(app, timeout: float, changes: int = CHANGES) -> list[float]:
    """Sidebar Child-Pugh changes (A on, A off, ...) on the KM page: ms to redrawn curve."""
    page = app.page
    key = app.wait_curves(0, timeout=timeout)
    box = page.get_by_role("combobox", name="Child-Pugh class", exact=True)
    option = page.get_by_role("option", name="A", exact=True)
    remove = app.sidebar.get_by_role("button", name="Remove A", exact=True)
    PHASES.clear()
    out = []
    for i in range(changes):
        if i % 2 == 0:
            # Open the list first (not timed: no rerun), then time the click on "A".
            box.click()
            option.wait_for(state="visible")
            ms, key = _timed_change(app, option.click, key, timeout)
            page.keyboard.press("Escape")
        else:
            ms, key = _timed_change(app, remove.first.click, key, timeout)
        out.append(ms)
    return out


def profile_changes(app, pid: int, timeout: float, changes: int = 6) -> str:
    """py-spy samples of the streamlit process over a few more filter changes (after timing).

    Returns the functions with the largest inclusive share of the samples, hccdash's own and
    the libraries it calls, as text for RESULTS.md.
    """
    exe = shutil.which("py-spy")
    if exe is None:
        return "(py-spy not installed: pip install -r bench/requirements.txt)"
    raw = SCRATCH / "case5_pyspy.txt"
    proc = subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--format", "raw", "--output", str(raw),
         "--rate", "200", "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.5)  # attach
    filter_latencies(app, timeout, changes=changes)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "(py-spy did not stop)"
    if not raw.exists():
        return f"(py-spy wrote no profile: {err.decode(errors='replace')[-300:]})"
    return summarise_folded(raw.read_text(), changes)


_SCRIPT_ROOT = "ScriptRunner._run_script (streamlit/runtime/scriptrunner/script_runner.py)"
_PLUMBING = (
    "(threading.py)",
    "(selectors.py)",
    "<frozen runpy>",
    "(click/",
    "(asyncio/",
    "(streamlit/web/",
    "(streamlit/__main__.py)",
    "(tornado/",
    "(concurrent/",
    "scriptrunner/script_runner.py",
    "scriptrunner/exec_code.py",
    "(streamlit/navigation/page.py)",
    "(streamlit/commands/navigation.py)",
    "<module> (app.py)",
)


def summarise_folded(text: str, changes: int, top: int = 22) -> str:
    """Inclusive sample share per function from py-spy's folded stacks."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        seen = set()
        for frame in stack.split(";"):
            # "func (path:line)" -> "func (file)" so lines of one function add up.
            name, _, where = frame.partition(" (")
            path = where.rsplit(":", 1)[0]
            short = path.split("/site-packages/")[-1].replace(str(ROOT) + "/", "")
            key = f"{name} ({short})"
            if key not in seen:
                seen.add(key)
                inclusive[key] = inclusive.get(key, 0) + n
    if not total:
        return "(no samples)"
    rows = sorted(inclusive.items(), key=lambda kv: -kv[1])
    # Skip the plumbing every sample passes through (threads, the server loop, the script
    # runner's own frames) and keep what the work is.
    picked = [(k, v) for k, v in rows if not any(p in k for p in _PLUMBING)][:top]
    for k, v in rows:
        if k.startswith("ScriptRunner._on_script_finished"):
            picked.insert(
                0, ("post-run gc.collect(2) (streamlit runner.postScriptGC; in " + k + ")", v)
            )
            break
    picked.insert(0, ("(script thread) " + _SCRIPT_ROOT, inclusive.get(_SCRIPT_ROOT, 0)))
    lines = [
        f"py-spy, {total} samples at 200 Hz over {changes} filter changes; inclusive share:",
        *(f"{100 * v / total:5.1f}%  {k}" for k, v in picked),
    ]
    return "\n".join(lines)


def bookmark_times(session, repeats: int, timeout: float) -> list[float]:
    """Open the bookmarked KM URL in a new browser session: ms to the curves drawn."""
    out = []
    for _ in range(repeats):
        app = session.app()
        app.page.goto(f"{session.server.url}/{BOOKMARK}", wait_until="commit")
        handle = app.page.wait_for_function(
            "() => { const k = (" + _KEY_JS + ")(0);"
            " return k && JSON.parse(k).length === 2 ? performance.now() : false; }",
            timeout=timeout,
            polling="raf",
        )
        out.append(float(handle.json_value()))
        app.wait_settled(0, timeout=timeout)
        n = app.n_text()
        if n != (14, 21):
            raise RuntimeError(f"bookmark {BOOKMARK} shows n = {n}, expected (14, 21)")
    return out


def big_cohort_file(cohort, n: int) -> Path:
    """The n-patient synthetic cohort (exact times) as Parquet, written once to .scratch."""
    from hccdash import synth

    path = SCRATCH / f"synthetic_{n}_exact.parquet"
    if not path.exists():
        synth.write(cohort(n, False), path)
    return path


def upload(app, path: Path, n: int, timeout: float, memory: list | None = None) -> dict[str, float]:
    """Upload ``path`` on the data page and confirm, as a user; seconds per step.

    With ``memory`` (a list), append ``(moment, VmHWM MB, VmRSS MB)`` of the server after
    each step, so case 6 can say which step costs the memory.
    """
    page = app.page

    def snap(moment: str) -> None:
        if memory is not None:
            mem = _rss(app.server.proc.pid)
            memory.append((moment, mem["VmHWM"], mem["VmRSS"]))

    app.goto("data")
    t0 = time.perf_counter()
    app.rerun(
        lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(path)
        ),
        timeout=timeout,
    )
    t1 = time.perf_counter()
    snap("file uploaded, read, mapped and validated (data page)")
    confirm = page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    if confirm.count() != 1:
        raise RuntimeError(
            f"no 'Use this cohort' button after uploading {path.name}; the page says:\n"
            + app.main_text()[:1500]
        )
    app.rerun(confirm.click, timeout=timeout)
    app.wait_n((n, n), timeout=timeout)
    t2 = time.perf_counter()
    snap("cohort confirmed and stored")
    app.navigate("Kaplan-Meier")
    app.wait_curves(0, timeout=timeout)
    t3 = time.perf_counter()
    snap("KM page shown")
    return {
        "upload + read + mapping + validation": t1 - t0,
        "confirm": t2 - t1,
        "KM page first shown": t3 - t2,
    }


def _stats(ms: list[float], phases: bool = False) -> dict[str, str]:
    arr = np.asarray(ms)
    out = {
        "median": f"{statistics.median(ms):.0f} ms",
        "p95": f"{np.percentile(arr, 95):.0f} ms",
        "min": f"{arr.min():.0f} ms",
        "max": f"{arr.max():.0f} ms",
    }
    if phases:
        # Medians of the phases of the same changes (see PHASES).
        full = [p for p in PHASES if p[0] is not None and p[1] is not None]
        if full:
            out["click to run start (median)"] = f"{statistics.median(p[0] for p in full):.0f} ms"
            out["script run (median)"] = f"{statistics.median(p[1] - p[0] for p in full):.0f} ms"
            out["run end to curve drawn (median)"] = (
                f"{statistics.median(p[2] - p[1] for p in full):.0f} ms"
            )
    return out


def case5(quick: bool, e2e, cohort, n_big: int) -> dict:
    from run import fmt_n, target

    global _KEY_JS
    _KEY_JS = e2e.CURVE_KEY_JS
    rows, targets, extra = [], [], []
    session = Session(e2e, "case5_streamlit.log")
    try:
        # n = 21: the bundled cohort.
        app = session.app()
        app.goto("km")
        small = filter_latencies(app, 120_000)
        rows.append({"cohort": "bundled, n = 21", "samples": len(small), **_stats(small, True)})
        targets.append(
            target(
                "case 5 at n = 21: filter change to redrawn curve, p50",
                statistics.median(small) / 1e3,
                0.25,
                "s",
            )
        )

        # Bookmark: a new browser session opening the shared URL (bundled cohort).
        marks = bookmark_times(session, 5, 120_000)
        rows.append(
            {
                "cohort": f"bookmark /{BOOKMARK} (new session)",
                "samples": len(marks),
                **_stats(marks),
            }
        )

        # n = 1e6 (quick: 1e4): uploaded on the data page as Parquet, as a user would.
        path = big_cohort_file(cohort, n_big)
        app = session.app()
        steps = upload(app, path, n_big, 600_000)
        big = filter_latencies(app, 600_000)
        big_stats = _stats(big, True)
        profile = profile_changes(app, session.server.proc.pid, 600_000)
        label = f"uploaded Parquet, n = {fmt_n(n_big)} (exact times)"
        rows.append({"cohort": label, "samples": len(big), **big_stats})
        targets.append(
            target(
                f"case 5 at n = {fmt_n(n_big)}: filter change to redrawn curve, p50",
                statistics.median(big) / 1e3,
                1.0,
                "s",
            )
        )
        extra.append(
            [
                {
                    "step (n = " + fmt_n(n_big) + ")": k,
                    "value": f"{v:.1f} s",
                }
                for k, v in steps.items()
            ]
            + [
                {
                    "step (n = " + fmt_n(n_big) + ")": f"file size ({path.suffix})",
                    "value": f"{path.stat().st_size / 1e6:.1f} MB",
                }
            ]
        )
        mem = _rss(session.server.proc.pid)
    finally:
        session.close()
    notes = [
        f"{CHANGES} changes of the sidebar's Child-Pugh filter on the KM page (OS, unstratified), "
        "alternating 'A' selected / removed. Each latency runs from the click (stamped in the "
        "page, capture phase) to the first animation frame in which the plotly chart holds the "
        "new curve, so it includes the websocket round trip, the script rerun (filter, cached "
        "KM, figure), the delta to the browser and Plotly.react. The dropdown is opened before "
        "the timer starts (opening it does not rerun the app). Phases, from a log of the app's "
        "script-state attribute: click to run start (event, websocket, queue), script run "
        "(server: filter, cached fits, figure, and sending deltas), run end to curve drawn "
        "(negative when the chart's delta is drawn before the rest of the page has run). "
        "Bookmark: a new browser context "
        f"opens /{BOOKMARK}; the time is from navigation start to the first frame with both "
        "arms' curves drawn (a new Streamlit session each time; fits cached across sessions).",
        f"The n = {fmt_n(n_big)} cohort is written by hccdash.synth (seed fixed, exact times) as "
        "Parquet and uploaded through the data page's file uploader (Playwright set_input_files), "
        "then confirmed with 'Use this cohort'. A CSV of 1e6 rows is about 90 MB, over the "
        "data page's 50 MB upload cap; the Parquet file is under it. "
        f"Streamlit process after the run: VmHWM {mem.get('VmHWM', float('nan')):.0f} MB.",
    ]
    return {
        "rows": rows,
        "targets": targets,
        "notes": notes,
        "extra_tables": extra,
        "profile": f"Streamlit process during filter changes at n = {fmt_n(n_big)}:\n{profile}",
    }


def case6(quick: bool, e2e, cohort, n_big: int) -> dict:
    from run import fmt_n, target

    path = big_cohort_file(cohort, n_big)
    session = Session(e2e, "case6_streamlit.log")
    try:
        pid = session.server.proc.pid
        idle = _rss(pid)
        app = session.app()
        memory: list = []
        steps = upload(app, path, n_big, 600_000, memory=memory)
        shown = _rss(pid)
    finally:
        session.close()
    rows = [
        {
            "moment": "server idle after one visit to /",
            "VmHWM": f"{idle['VmHWM']:.0f} MB",
            "VmRSS": f"{idle['VmRSS']:.0f} MB",
        },
        *(
            {
                "moment": f"n = {fmt_n(n_big)}: {moment}",
                "VmHWM": f"{hwm:.0f} MB",
                "VmRSS": f"{rss:.0f} MB",
            }
            for moment, hwm, rss in memory
        ),
    ]
    # What one copy of the cohort costs in memory, by string representation (measured here,
    # in the benchmark process): the app holds several copies (upload, mapped, filtered).
    frame = cohort(n_big, False)
    obj_mb = frame.memory_usage(deep=True).sum() / 2**20
    cat = frame.astype({c: "category" for c in frame.columns if frame[c].dtype == object})
    cat_mb = cat.memory_usage(deep=True).sum() / 2**20
    rows.append(
        {
            "moment": f"one copy of the n = {fmt_n(n_big)} frame (benchmark process)",
            "VmHWM": f"{obj_mb:.0f} MB with object strings",
            "VmRSS": f"{cat_mb:.0f} MB with categoricals",
        }
    )
    targets = [
        target(
            f"case 6 at n = {fmt_n(n_big)}: peak RSS of the streamlit process",
            shown["VmHWM"],
            1024,
            "MB",
        )
    ]
    notes = [
        "VmHWM (peak resident set) and VmRSS from /proc/<pid>/status of the `streamlit run` "
        "process (one Python process; kaleido's chromium is not started on this path). "
        f"Steps took {', '.join(f'{k} {v:.1f} s' for k, v in steps.items())}."
    ]
    return {"rows": rows, "targets": targets, "notes": notes, "profile": ""}
