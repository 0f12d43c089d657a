"""A registry served in place (``HCCDASH_DATA``, issue 19) in a real browser.

``python bench/served_browser.py [--n 1e6] [--changes 10] [--sessions 5]`` starts ``streamlit
run app.py`` with ``HCCDASH_DATA`` on the synthetic Parquet file of ``bench/engine_cases.py``
(18 columns, generated once into ``bench/.scratch/engine/``; 1e7 rows take a few minutes) and
the bundled codebook's variables that file has, so it is served in place
(``HCCDASH_IN_MEMORY_ROWS``, default 200,000), then measures in Debian's chromium:

- ``first_page_s``: the first session's KM page (the server opens the file, validates each
  endpoint, builds the option frame: once per server process);
- ``filter_ms``: sidebar Child-Pugh changes (A on, A off, ...) on the KM page by Child-Pugh
  class, from the click to the first frame with the redrawn curves (``browser_cases``' clock);
- the server's RSS (VmRSS now, VmHWM peak) with 1 session, then with ``--sessions`` sessions
  each on the KM page having changed a filter twice.

Targets (issue 19, at 1e7 rows): filter change p50 <= 1 s; RSS <= 1 GB with 5 sessions. Writes
``bench/results/served_browser.json`` with the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "results" / "served_browser.json"
CODEBOOK = ROOT / "data" / "hcc_oligomets_reconstructed.codebook.json"
KM = "km?by=child_pugh"


def codebook_for(path: Path) -> Path:
    """The bundled codebook restricted to the synthetic file's columns, beside the file."""
    import pyarrow.parquet as pq

    from hccdash.codebook import Codebook

    names = set(pq.ParquetFile(path).schema_arrow.names)
    book = Codebook.read(CODEBOOK)
    book = dataclasses.replace(book, variables=tuple(v for v in book.variables if v.name in names))
    out = path.with_suffix(".codebook.json")
    out.write_text(book.to_json())
    return out


def run(n: int, changes: int, sessions: int) -> dict:
    import browser_cases as bc
    import e2e_harness as e2e
    from engine_cases import cohort_file
    from playwright.sync_api import sync_playwright

    bc._KEY_JS = e2e.CURVE_KEY_JS
    data = cohort_file(n)
    book = codebook_for(data)
    env = {"HCCDASH_DATA": str(data), "HCCDASH_CODEBOOK": str(book)}
    bc.SCRATCH.mkdir(parents=True, exist_ok=True)
    server = e2e.StreamlitServer(log_path=bc.SCRATCH / "served_browser.log", env=env)
    out: dict = {"case": "served_browser", "n": n, "load_start": os.getloadavg()}
    pw = sync_playwright().start()
    contexts = []
    try:
        server.wait_healthy()
        browser = e2e.launch_chromium(pw)

        def app():
            a, context = e2e.new_app(browser, server)
            context.set_default_timeout(600_000)
            contexts.append(context)
            return a

        first = app()
        t0 = time.perf_counter()
        first.goto(KM, timeout=600_000)
        first.wait_curves(0, timeout=600_000)
        out["first_page_s"] = time.perf_counter() - t0
        out["n_text"] = first.n_text()
        ms = bc.filter_latencies(first, 600_000, changes)
        out["filter_ms"] = ms
        out["filter_p50_ms"] = statistics.median(ms)
        out["filter_p90_ms"] = sorted(ms)[max(0, int(0.9 * len(ms)) - 1)]
        out["phases"] = bc.PHASES[:]
        out["rss_1_session_mb"] = bc._rss(server.proc.pid)
        for _ in range(sessions - 1):
            other = app()
            other.goto(KM, timeout=600_000)
            other.wait_curves(0, timeout=600_000)
            bc.filter_latencies(other, 600_000, 2)
        out["rss_sessions"] = sessions
        out[f"rss_{sessions}_sessions_mb"] = bc._rss(server.proc.pid)
        out["problems"] = first.problems()
    finally:
        for context in contexts:
            context.close()
        pw.stop()
        server.stop()
    out["load_end"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, nargs="+", default=[1e6])
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=5)
    args = ap.parse_args(argv)
    results = []
    for n in args.n:
        got = run(int(n), args.changes, args.sessions)
        print(json.dumps({k: v for k, v in got.items() if k not in ("filter_ms", "phases")}))
        results.append(got)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    held = json.loads(OUT.read_text()) if OUT.exists() else {}
    held.update({str(r["n"]): r for r in results})
    OUT.write_text(json.dumps(held, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
