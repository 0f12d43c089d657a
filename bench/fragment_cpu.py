"""Server CPU per interaction on /cox in a real browser: figure option vs filter (issue 20).

Not a test. AppTest always reruns the whole script, so the fragment reruns (a figure option
redraws that figure only) are measured here: for each tree (``--base`` and this checkout)
``streamlit run app.py`` and Debian's chromium (the e2e harness), the bundled cohort's /cox
page, then per interaction the server process's CPU seconds (utime + stime, /proc) from the
action to the settled page:

- ``forest option``: a new x-axis label typed into the forest plot's options;
- ``filter change``: the sidebar PVTT radio (a full rerun in both trees);
- ``KM open options`` / ``KM figure option`` on /km stratified by arm: opening the figure
  options popover (a rerun of the figures' fragment where the popover is lazy, nothing in a
  tree where it is not), then the "y axis in %" toggle (a whole-page rerun before issue 20's
  KM fragment, a fragment rerun after).

    git archive main | tar -x -C /tmp/base
    python bench/fragment_cpu.py --base /tmp/base --n 5
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests" / "e2e"))
sys.path.insert(0, str(HERE / "bench"))

from load_case import _cpu_seconds  # noqa: E402


def measure(root: Path, n: int) -> dict[str, list[float]]:
    import e2e_harness as e2e
    from playwright.sync_api import sync_playwright

    server = e2e.StreamlitServer(root=root, log_path=HERE / "bench" / ".scratch" / "frag.log")
    out: dict[str, list[float]] = {"forest option": [], "filter change": [],
                                   "KM open options": [], "KM figure option": []}  # fmt: skip
    with sync_playwright() as pw:
        try:
            server.wait_healthy()
            browser = e2e.launch_chromium(pw)
            app, context = e2e.new_app(browser, server)
            context.set_default_timeout(120_000)
            app.goto("")
            app.goto("cox", timeout=180_000)
            pid = server.proc.pid
            page = app.page
            for i in range(n):
                page.get_by_role("button", name=re.compile("Figure options")).first.click()
                box = page.get_by_label("x-axis label").first
                box.wait_for()
                cpu0 = _cpu_seconds(pid)
                app.rerun(lambda b=box, i=i: (b.fill(f"Hazard ratio {i}"), b.press("Enter")))
                out["forest option"].append(_cpu_seconds(pid) - cpu0)
                page.keyboard.press("Escape")
                page.wait_for_selector(e2e.IDLE)
                page.wait_for_timeout(500)
            for i in range(n):
                value = "no" if i % 2 == 0 else "any"
                group = app.sidebar.get_by_role("radiogroup", name="PVTT")
                cpu0 = _cpu_seconds(pid)
                app.rerun(
                    lambda g=group, v=value: (
                        g.locator("label").filter(has_text=re.compile(rf"^{v}$")).click()
                    )
                )
                out["filter change"].append(_cpu_seconds(pid) - cpu0)
            app.goto("km?by=treatment&endpoint=os", timeout=180_000)
            for _ in range(n):
                button = page.get_by_role("button", name=re.compile("Figure options")).first
                cpu0 = _cpu_seconds(pid)
                button.click()  # a rerun where the popover is lazy, none where it is not
                page.get_by_role("tab", name="Axes").first.wait_for()
                page.wait_for_selector(e2e.IDLE)
                page.wait_for_timeout(500)
                out["KM open options"].append(_cpu_seconds(pid) - cpu0)
                page.get_by_role("tab", name="Axes").first.click()
                toggle = page.get_by_text("y axis in %").first
                toggle.wait_for()
                cpu0 = _cpu_seconds(pid)
                app.rerun(toggle.click)
                out["KM figure option"].append(_cpu_seconds(pid) - cpu0)
                page.keyboard.press("Escape")
                page.wait_for_selector(e2e.IDLE)
                page.wait_for_timeout(500)
            context.close()
            browser.close()
        finally:
            server.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    (HERE / "bench" / ".scratch").mkdir(parents=True, exist_ok=True)
    got = {"base": measure(args.base.resolve(), args.n), "new": measure(HERE, args.n)}
    for kind in ("forest option", "filter change", "KM open options", "KM figure option"):
        b, m = (statistics.median(got[t][kind]) * 1e3 for t in ("base", "new"))
        ratio = f"{m / b:.2f}" if b > 0 else "-"
        print(f"{kind:16s} base {b:5.0f} ms  new {m:5.0f} ms  new/base {ratio}  "
              f"(server CPU per interaction, median of {args.n})")  # fmt: skip


if __name__ == "__main__":
    main()
