"""Server-side image export when chromium is missing, will not start, or dies (issue 20).

Each fault is one sentence (``export.export_problem``) and a ZIP that still downloads; the
next export after chromium is back works in the same process, without a restart.
"""

from __future__ import annotations

import json
import os
import signal
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from lifelines.datasets import load_waltons
from streamlit.testing.v1 import AppTest

from hccdash import export
from hccdash.figures import km_figure
from hccdash.nonparametric import kaplan_meier

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fig():
    return km_figure(kaplan_meier(load_waltons(), "T", "E", "group"), title="Waltons")


def _children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _chromium_children() -> list[int]:
    """kaleido's chromium processes: below choreographer's wrapper, started through our
    launcher. Never the browser tests' Playwright chromium, which is also a descendant of
    this process when pytest-xdist runs both in one worker."""
    out = []
    for pid in _children(os.getpid()):
        cmd = _cmdline(pid)
        if b"chromium_wrapper" in cmd and b"hccdash-chromium-" in cmd:
            out += [pid, *(c for c in _children(pid) if b"chrom" in _cmdline(c))]
    return out


@pytest.mark.needs_chromium
def test_a_killed_chromium_is_restarted_by_the_next_export(fig):
    first = export.figure_bytes(fig, "png", 400, 300)
    victims = _chromium_children()
    assert victims, "no chromium child process to kill"
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    starts = export.warm_session_starts()
    second = export.figure_bytes(fig, "png", 400, 300)
    assert second[:8] == first[:8] == b"\x89PNG\r\n\x1a\n"
    assert export.warm_session_starts() == starts + 1
    assert export.export_problem() is None


@pytest.mark.needs_chromium
def test_a_broken_chromium_is_one_sentence_and_a_zip_then_recovers(fig, monkeypatch):
    good = export.chromium_path()
    export.close_session()
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    assert export.chromium_available()  # executable, but not a browser
    with pytest.raises(export.ExportUnavailable, match="/bin/false"):
        export.figure_bytes(fig, "png", 400, 300)
    problem = export.export_problem()
    assert problem is not None and "/bin/false" in problem and "\n" not in problem
    # "Download all" still gives a ZIP: tables and methods, figures as plotly JSON.
    data = export.bundle_zip({"km": fig}, {}, "Methods.")
    with zipfile.ZipFile(BytesIO(data)) as zf:
        assert "figures/km.json" in zf.namelist()
        json.loads(zf.read("figures/km.json"))
        assert "Image export failed" in zf.read("methods.txt").decode()
    # chromium is back: the next export works in this process, and the problem is cleared.
    monkeypatch.setenv("BROWSER_PATH", good)
    assert export.figure_bytes(fig, "png", 400, 300)[:8] == b"\x89PNG\r\n\x1a\n"
    assert export.export_problem() is None


def test_the_page_says_so_in_one_line_and_keeps_working(monkeypatch):
    monkeypatch.setattr(export._SESSION, "problem", "chromium at '/bin/false' did not start.")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/km.py").run()
    assert not at.exception
    lines = [w.value for w in at.warning if "not working on the server" in w.value]
    assert lines and all("\n" not in line for line in lines), [w.value for w in at.warning]
    assert "/bin/false" in lines[0].replace("\\", "")
    assert len(at.get("plotly_chart")) >= 1  # the figures are still drawn


@pytest.mark.needs_chromium
def test_kaleidos_chromium_runs_with_background_networking_and_dns_off(fig):
    """The real chromium process (not only the launcher) carries every offline flag.

    CI once saw kaleido's chromium send a DNS query to the machine's resolver: Debian's
    /usr/bin/chromium leaves background networking on. This reads the running browser's
    command line from /proc, so it fails if kaleido stops using the launcher.
    """
    export.figure_bytes(fig, "png", 400, 300)
    cmdlines = []
    for pid in _chromium_children():
        cmdlines.append(_cmdline(pid).split(b"\0"))
    browsers = [c for c in cmdlines if any(a.endswith(b"/chromium") for a in c[:1])]
    assert browsers, f"no chromium browser process among {len(cmdlines)} children"
    for argv in browsers:
        args = {a.decode() for a in argv}
        missing = [f for f in export.OFFLINE_CHROMIUM_FLAGS if f not in args]
        assert not missing, f"chromium {argv[0]!r} started without {missing}"


def test_an_orphaned_kaleido_task_is_one_log_line_without_a_traceback(caplog):
    """asyncio's default handler formats a traceback, and 3.11's traceback formatting calls
    ``ast.parse``; run from a garbage collection inside Streamlit's page compile, that made a
    page fail with "AST constructor recursion depth mismatch" (CI, session 3)."""
    loop = export._SESSION._ensure_loop()
    try:
        raise ConnectionResetError("Executor is closed.")
    except ConnectionResetError as exc:
        error = exc
    with caplog.at_level("DEBUG"):
        loop.call_exception_handler(
            {"message": "Task exception was never retrieved", "exception": error}
        )
    records = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert len(records) == 1, caplog.text
    assert records[0].exc_info is None
    assert records[0].getMessage() == (
        "kaleido: Task exception was never retrieved (ConnectionResetError: Executor is closed.)"
    )
