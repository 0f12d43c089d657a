"""Profile one page's reruns at n = 21 (AppTest + cProfile in the script thread; issue 20).

Not a test. Opens a page of the bundled cohort with ``AppTest`` (the router, the sidebar, the
page), warms it, then profiles the script thread (cProfile, enabled around Streamlit's
``exec_func_with_error_handling``, i.e. the whole rerun of app.py and the page) while a
sidebar radio walks the PVTT x ascites views (each step a view not seen before, as in
``rerun_cpu.py``), and prints the CPU per rerun and the functions of ``hccdash``/``pages``
with the most cumulative time: the work a filter change costs.

    python bench/rerun_profile.py --page km          # km | cox | univariate | cohort
    python bench/rerun_profile.py --page km --change figure   # a KM figure option instead
    python bench/rerun_profile.py --page km --top 40 --all    # every module, not only ours
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
# the same walk and popover opening as the CPU case, so the two measure the same reruns
from rerun_cpu import WALK, open_figure_options  # noqa: E402


def profile_page(root: Path, page: str, change: str = "filter") -> tuple[pstats.Stats, list]:
    """Profiled reruns of ``page`` under ``root``: (stats, CPU seconds per rerun)."""
    sys.path.insert(0, str(root))
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    prof = cProfile.Profile()
    active = {"on": False}
    inner = script_runner.exec_func_with_error_handling

    def wrapped(func, ctx):  # runs in the script thread: cProfile sees that thread only
        if not active["on"]:
            return inner(func, ctx)
        prof.enable()
        try:
            return inner(func, ctx)
        finally:
            prof.disable()

    script_runner.exec_func_with_error_handling = wrapped
    at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    if page == "km":
        at.selectbox(key="km_by").set_value("treatment").run()
    if at.exception:
        raise SystemExit([e.message for e in at.exception])
    cpu = []

    def step(change_fn) -> None:
        change_fn()
        active["on"] = True
        t0 = time.process_time()
        at.run()
        cpu.append(time.process_time() - t0)
        active["on"] = False
        if at.exception:
            raise SystemExit([e.message for e in at.exception])

    if change == "figure":
        open_figure_options(at)
        for i in range(8):
            box = next(b for b in at.number_input if b.label.startswith("x axis end"))
            step(lambda b=box, v=30.0 + i: b.set_value(v))
    else:
        for pvtt, ascites in WALK:

            def set_filter(p=pvtt, a=ascites):
                at.sidebar.radio(key="f_pvtt").set_value(p)
                at.sidebar.radio(key="f_ascites").set_value(a)

            step(set_filter)
    return pstats.Stats(prof), cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--page", default="km", choices=["km", "cox", "univariate", "cohort", "about"])
    ap.add_argument("--change", default="filter", choices=["filter", "figure"])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--all", action="store_true", help="every module, not only hccdash/pages")
    args = ap.parse_args()
    stats, cpu = profile_page(HERE, args.page, args.change)
    cpu_ms = sorted(1e3 * c for c in cpu)
    print(
        f"/{args.page} {args.change} change: {len(cpu)} profiled reruns, CPU median "
        f"{cpu_ms[len(cpu_ms) // 2]:.0f} ms (min {cpu_ms[0]:.0f}, max {cpu_ms[-1]:.0f}; "
        f"profiling overhead included); load average {os.getloadavg()[0]:.1f}"
    )
    buf = io.StringIO()
    stats.stream = buf
    stats.sort_stats("cumulative")
    stats.print_stats(*(() if args.all else (r"hccdash|pages/",)), args.top)
    print("\n".join(line for line in buf.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
