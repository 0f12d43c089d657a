"""What a session loaded leaves with it, and a server restart is never a silent cohort switch
(issue 20, "Faults").

Each test runs its own server, so that its memory and its lifetime are the test's alone:

- **Memory**: upload a 200,000-patient cohort in one browser session, open the Kaplan-Meier
  page, close the tab and press nothing else. Streamlit keeps a closed session for
  reconnection for ``server.disconnectedSessionTTL`` seconds and our upload store keeps the
  cohort for a reload for ``HCCDASH_UPLOAD_IDLE_S`` seconds; both are shortened here (5 s and
  10 s instead of 120 s and 30 min). After them the server holds no pandas object of the
  cohort's length (a test-only probe, ``memprobe/sitecustomize.py``, lists the live frames on
  SIGUSR1; it sees the cohort while the session is open), and its resident memory comes back
  near where it was before the upload: the leftover is at most 150 MB **and** at most half of
  what the upload added at its peak. The leftover is the allocators' (pymalloc and glibc keep
  partly used arenas): 18-70 MB of a 230-300 MB peak in five runs, whatever the load.
- **Restart**: upload, restart the server on the same port, reload: every page says that the
  uploaded data are no longer in memory and which cohort it shows instead.
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from e2e_harness import ARTIFACTS, StreamlitServer, new_app
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hccdash import synth

pytestmark = pytest.mark.e2e

N_BIG = 200_000
DROPZONE = '[data-testid="stFileUploaderDropzoneInput"]'
MB = 1024 * 1024
SESSION_TTL_S = 5
IDLE_S = 10


def rss(pid: int) -> int:
    """Resident set size of process ``pid`` in bytes (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def upload(app, path: Path, n: int) -> None:
    app.rerun(lambda: app.page.locator(DROPZONE).set_input_files(str(path)), timeout=300_000)
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    # The file's chip changes the page before the run that reads the file has begun, so the
    # rerun above can return early on a loaded machine: wait for the reader's answer itself.
    try:
        confirm.wait_for(state="visible", timeout=300_000)
    except PlaywrightTimeout:
        raise AssertionError("no 'Use this cohort' button:\n" + app.main_text()[:1500]) from None
    assert confirm.count() == 1, "more than one 'Use this cohort' button"
    app.rerun(confirm.click, timeout=300_000)
    app.wait_n((n, n), timeout=300_000)


MEMPROBE = Path(__file__).resolve().parent / "memprobe"


def held_lengths(pid: int, out: Path) -> list[int]:
    """Lengths of the pandas frames, series and indexes alive in the server (see MEMPROBE)."""
    out.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 60
    while not out.exists():
        if time.monotonic() > deadline:
            raise AssertionError("the server's memory probe did not answer in 60 s")
        time.sleep(0.2)
    return json.loads(out.read_text(encoding="utf-8"))["lengths"]


def settled_rss(pid: int, seconds: float = 5.0) -> int:
    """The server's RSS once it has stopped moving (sampled each second, min of the last 3)."""
    samples = []
    for _ in range(int(seconds)):
        samples.append(rss(pid))
        time.sleep(1)
    return min(samples[-3:])


def test_memory_of_a_closed_session_is_released(browser, tmp_path):
    csv = tmp_path / "big_cohort.csv"
    synth.write(synth.generate(N_BIG, seed=20), csv)
    probe = tmp_path / "held.json"
    gc.collect()
    server = StreamlitServer(
        log_path=ARTIFACTS / "streamlit_sessions_memory.log",
        env={
            "HCCDASH_UPLOAD_IDLE_S": str(IDLE_S),
            "HCCDASH_UPLOAD_SWEEP_S": "1",
            "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL_S),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(MEMPROBE), os.environ.get("PYTHONPATH")])
            ),
            "HCCDASH_TEST_MEMPROBE": str(probe),
        },
    )
    try:
        server.wait_healthy()
        pid = server.proc.pid
        # Warm up with the bundled cohort on the same pages: imports, shared caches and
        # Streamlit's own structures belong to the baseline, not to the upload.
        app, context = new_app(browser, server)
        app.goto("")
        app.navigate("Kaplan-Meier")
        app.km_curves()
        app.navigate("Your data")
        context.close()
        time.sleep(SESSION_TTL_S + 2)
        baseline = settled_rss(pid)

        app, context = new_app(browser, server)
        app.goto("data")
        upload(app, csv, N_BIG)
        app.navigate("Kaplan-Meier", timeout=300_000)
        app.km_curves()
        assert not app.problems(), app.problems()
        peak = settled_rss(pid, 3)
        assert max(held_lengths(pid, probe)) >= N_BIG, "the probe does not see the cohort"
        context.close()

        # Nothing else happens: no other session, no request but our probes.
        deadline = time.monotonic() + SESSION_TTL_S + IDLE_S + 90
        held = [N_BIG]
        while time.monotonic() < deadline:
            time.sleep(2)
            held = [n for n in held_lengths(pid, probe) if n >= N_BIG]
            if not held:
                break
        assert not held, f"the closed session's cohort is still held: {len(held)} objects"
        after = settled_rss(pid)
        footprint = peak - baseline
        report = (
            f"RSS baseline {baseline / MB:.0f} MB, with the upload {peak / MB:.0f} MB "
            f"(+{footprint / MB:.0f} MB), after closing {after / MB:.0f} MB "
            f"(+{(after - baseline) / MB:.0f} MB)"
        )
        (ARTIFACTS / "sessions_memory.txt").write_text(report + "\n", encoding="utf-8")
        print(report)
        assert footprint > 150 * MB, f"the upload was too small to test anything: {report}"
        assert after - baseline <= 150 * MB, report
        assert after - baseline <= 0.5 * footprint, report
        assert "Traceback" not in server.log_text(), server.log_tail()
    finally:
        server.stop()


PAGES = ["Cohort", "Kaplan-Meier", "Univariate", "Cox model", "Your data"]


def test_a_server_restart_says_the_upload_was_lost_on_every_page(browser, tmp_path):
    csv = tmp_path / "small_cohort.csv"
    synth.write(synth.generate(60, seed=21), csv)
    log = ARTIFACTS / "streamlit_sessions_restart.log"
    server = StreamlitServer(log_path=log)
    app, context = new_app(browser, server)
    try:
        server.wait_healthy()
        app.goto("data")
        upload(app, csv, 60)
        app.navigate("Kaplan-Meier")
        url = app.page.url
        assert re.search(r"[?&]data=[\w-]{30,}", url), url

        server.stop()
        server = StreamlitServer(log_path=log.with_suffix(".2.log"), port=server.port)
        server.wait_healthy()
        app.server = server
        app.page.reload(wait_until="domcontentloaded")
        app.wait_settled(0, timeout=90_000)
        app.page.get_by_text("no longer in memory").first.wait_for(timeout=60_000)
        app.screenshot("sessions_restart_km")
        main = app.main_text()
        assert "no longer in memory" in main, main[:1500]
        assert "server restarted" in main
        # The bundled cohort, said by name, not a silent switch: 21 patients.
        assert app.n_text() == (21, 21)
        for title in PAGES:
            app.navigate(title)
            text = app.main_text()
            assert "no longer in memory" in text, f"{title}: {text[:800]}"
            assert "no longer in memory" in app.sidebar.inner_text(), title
            assert not app.problems(), app.problems()
    finally:
        context.close()
        server.stop()
