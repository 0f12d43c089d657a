"""A real server while one session uploads a heavy workbook (issue 20): health and limits.

Not a test. Starts ``streamlit run app.py`` (the e2e harness's server and Debian's chromium),
uploads a generated workbook of ``--rows`` x 5 cells on the data page and, until the page
shows the table or a message, probes ``/_stcore/health`` every 200 ms from another thread;
prints the probes' latencies (median, max, failures), the seconds to the page's answer and
its first line. ``--timeout`` / ``--max-mb`` set the worker's limits on the server
(``HCCDASH_READ_TIMEOUT_S`` / ``HCCDASH_READ_MAX_MB``) to see the refusal message.

    python bench/read_worker_server.py --rows 200000              # 1e6 cells, read in full
    python bench/read_worker_server.py --rows 200000 --timeout 5  # stopped at 5 s
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))

from e2e_harness import StreamlitServer, launch_chromium, new_app  # noqa: E402
from read_worker import workbook  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--timeout", type=float, default=None, help="HCCDASH_READ_TIMEOUT_S")
    ap.add_argument("--max-mb", type=float, default=None, help="HCCDASH_READ_MAX_MB")
    ap.add_argument("--shot", type=Path, default=None, help="a screenshot of the answer")
    args = ap.parse_args()
    env = {}
    if args.timeout:
        env["HCCDASH_READ_TIMEOUT_S"] = str(args.timeout)
    if args.max_mb:
        env["HCCDASH_READ_MAX_MB"] = str(args.max_mb)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "heavy.xlsx"
        path.write_bytes(workbook(args.rows))
        log = Path(tmp) / "server.log"
        server = StreamlitServer(ROOT, log, env=env)
        try:
            server.wait_healthy()
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                app, context = new_app(browser, server)
                app.goto("data")
                probes: list[float] = []
                failures = [0]
                stop = threading.Event()

                def probe() -> None:
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        try:
                            with urllib.request.urlopen(
                                f"{server.url}/_stcore/health", timeout=5
                            ) as r:
                                r.read()
                            probes.append(time.perf_counter() - t0)
                        except OSError:
                            failures[0] += 1
                        time.sleep(0.2)

                thread = threading.Thread(target=probe, daemon=True)
                thread.start()
                t0 = time.perf_counter()
                app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                    str(path)
                )
                answer = app.page.locator(
                    '[data-testid="stAlertContentError"], [data-testid="stDataFrame"]'
                ).first
                answer.wait_for(timeout=600_000)
                took = time.perf_counter() - t0
                stop.set()
                thread.join()
                text = answer.inner_text()[:300].replace("\n", " ")
                if args.shot:
                    app.page.screenshot(path=str(args.shot), full_page=True)
                context.close()
                browser.close()
        finally:
            server.stop()
    print(f"workbook {args.rows:,} x 5 cells ({path.name}); limits {env or 'default'}")
    print(f"page answered after {took:.1f} s: {text!r}")
    ms = sorted(p * 1e3 for p in probes)
    print(
        f"health probes during the read: n = {len(ms)}, median {statistics.median(ms):.0f} ms, "
        f"max {ms[-1]:.0f} ms, failed {failures[0]}"
    )


if __name__ == "__main__":
    main()
