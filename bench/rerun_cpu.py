"""Server CPU seconds per rerun of a page, bundled cohort: two trees, same run (issue 20).

Not a test. Pages: ``--pages km cox univariate cohort`` (default all four; the figure option
only on /km and /cox). Each tree (e.g. ``main`` exported with ``git archive`` into a folder,
and this checkout) runs in its own Python process (``--child``): ``AppTest`` opens the page (``/km``
stratified by the treatment arm; ``/cox`` with the codebook's model), warms it, then times the
CPU (``time.process_time()`` of the process: the script thread plus AppTest's own bookkeeping,
the same in both trees) of each rerun of three kinds:

- ``filter (new view)``: one sidebar radio changed (PVTT or ascites), walking the 3 x 3
  combinations so every step is a view not seen before (statistics computed anew);
- ``filter (revisit)``: the same walk again (every view seen once);
- ``display (new option)``: a figure option no earlier rerun used (KM: the x-axis end; Cox: the
  forest plot's x-axis label), the statistics unchanged.

AppTest always reruns the whole script (it has no fragment reruns), so these are full reruns:
in a browser a figure option or export click reruns only that figure's fragment, which is
cheaper still (``bench/load_case.py`` measures the browser side). The trees are run
alternately, ``--rounds`` times each, so load on the shared machine hits both alike; the
median per kind and the ratio new / base are printed.

    git archive main | tar -x -C /tmp/base        # the tree to compare against
    python bench/rerun_cpu.py --base /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
# Gray-code walk through (PVTT, ascites): one radio per step, every step a new view.
WALK = [("yes", "any"), ("yes", "yes"), ("any", "yes"), ("no", "yes"), ("no", "any"),
        ("no", "no"), ("any", "no"), ("yes", "no")]  # fmt: skip


def open_figure_options(at) -> None:
    """Open the lazy figure-options popovers (their widgets exist only while open; a tree
    without lazy popovers ignores the keys)."""
    for k in [k for k in list(at.session_state) if str(k).endswith("__seeded")]:
        at.session_state[k[: -len("seeded")] + "open"] = True
    at.run()


def child(root: Path, page: str) -> dict[str, list[float]]:
    sys.path.insert(0, str(root))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    if page == "km":
        at.selectbox(key="km_by").set_value("treatment").run()
    assert not at.exception, [e.message for e in at.exception]
    out: dict[str, list[float]] = {"filter (new view)": [], "filter (revisit)": [],
                                   "display (new option)": []}  # fmt: skip
    if page not in ("km", "cox"):
        del out["display (new option)"]

    def timed(kind: str, change) -> None:
        change()
        t0 = time.process_time()
        at.run()
        out[kind].append(time.process_time() - t0)
        assert not at.exception, [e.message for e in at.exception]

    def set_filter(pvtt: str, ascites: str) -> None:
        at.sidebar.radio(key="f_pvtt").set_value(pvtt)
        at.sidebar.radio(key="f_ascites").set_value(ascites)

    if page in ("km", "cox"):
        open_figure_options(at)
    for i in range(6 if page in ("km", "cox") else 0):
        if page == "km":
            box = next(b for b in at.number_input if b.label.startswith("x axis end"))
            timed("display (new option)", lambda b=box, v=30.0 + i: b.set_value(v))
        else:
            box = at.text_input(key="cox_forest__xlabel")
            timed("display (new option)", lambda b=box, v=f"Hazard ratio {i}": b.set_value(v))
    for k in [k for k in list(at.session_state) if str(k).endswith("__open")]:
        at.session_state[k] = False  # the popovers closed again, as while filtering
    at.run()
    for kind in ("filter (new view)", "filter (revisit)"):
        for pvtt, ascites in WALK:
            timed(kind, lambda p=pvtt, a=ascites: set_filter(p, a))
        set_filter("any", "any")
        at.run()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, help="the tree to compare against")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", nargs="+", default=["km", "cox", "univariate", "cohort"])
    ap.add_argument("--child", nargs=2, metavar=("ROOT", "PAGE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), args.child[1])))
        return
    trees = {"base": args.base.resolve(), "new": HERE} if args.base else {"new": HERE}
    got: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.rounds):
        for page in args.pages:
            for name, root in trees.items():
                env = {**os.environ, "PYTHONWARNINGS": "ignore"}
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", str(root), page],
                    capture_output=True, text=True, env=env, check=True, cwd=root,
                )  # fmt: skip
                for kind, values in json.loads(proc.stdout.splitlines()[-1]).items():
                    got.setdefault((page, kind, name), []).extend(values)
    print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per rerun, median (n reruns)")
    for page in args.pages:
        for kind in ("filter (new view)", "filter (revisit)", "display (new option)"):
            if (page, kind, "new") not in got:
                continue
            cells = {
                n: statistics.median(got[(page, kind, n)]) * 1e3 for n in trees
            }  # fmt: skip
            line = "  ".join(f"{n} {v:6.0f} ms" for n, v in cells.items())
            ratio = f"  new/base {cells['new'] / cells['base']:.2f}" if "base" in cells else ""
            count = len(got[(page, kind, "new")])
            print(f"/{page:4s} {kind:22s} {line}{ratio}  (n = {count})")


if __name__ == "__main__":
    main()
