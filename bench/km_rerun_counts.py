"""Work per Kaplan-Meier rerun: validations, factorisations, frame hashes and server time.

Not a test (issue 12 item 5 / issue 15): opens /km headless (``AppTest``) on the bundled
cohort (n = 21) or a synthetic uploaded cohort (``--n``), stratified by the treatment arm,
then toggles a display-only figure option ("Median lines") ``--reruns`` times and counts, per
rerun, calls of ``validate.survival_arrays`` (the survival columns' validation),
``nonparametric.group_codes`` and ``pandas.factorize`` (factorising the group) and
``pandas.util.hash_pandas_object`` (hashing DataFrames), plus the server time per rerun
(``AppTest.run`` wall time: noisy on a shared machine).

    python bench/km_rerun_counts.py            # n = 21
    python bench/km_rerun_counts.py --n 100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import hccdash.nonparametric as nonparametric  # noqa: E402
import hccdash.validate as validate  # noqa: E402
from hccdash.schema import Cohort, load_bundled_cohort  # noqa: E402
from hccdash.synth import generate  # noqa: E402
from hccdash.ui.state import UPLOADED_KEY  # noqa: E402

COUNTS: Counter[str] = Counter()
SITES: Counter[str] = Counter()
TRACE = False


def _count(module, name: str, label: str) -> None:
    original = getattr(module, name)

    def counted(*args, **kwargs):
        COUNTS[label] += 1
        if TRACE:
            import traceback

            frames = [
                f"{Path(f.filename).name}:{f.lineno}"
                for f in traceback.extract_stack()[:-1]
                if "/pandas/" not in f.filename
                and "km_rerun" not in f.filename
                and "/streamlit/" not in f.filename
            ]
            SITES[label + " <- " + " < ".join(frames[-3:][::-1])] += 1
        return original(*args, **kwargs)

    setattr(module, name, counted)


def install() -> None:
    """Count the calls (every module binding of each function)."""
    _count(validate, "survival_arrays", "validations")
    import importlib

    # every binding (before/after issue 15 split nonparametric.py into a package)
    for name in (
        "hccdash.nonparametric",
        "hccdash.nonparametric.km",
        "hccdash.nonparametric.summaries",
        "hccdash.survdata",
    ):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "survival_arrays"):
            module.survival_arrays = validate.survival_arrays
    _count(nonparametric, "group_codes", "group_codes")
    _count(pd, "factorize", "factorize")
    _count(pd.util, "hash_pandas_object", "frame_hashes")


def toggle(at: AppTest, label: str) -> None:
    for t in at.toggle:
        if t.label == label:
            t.set_value(not t.value)
            return
    raise LookupError(label)


def open_figure_options(at) -> None:
    """Open the lazy figure-options popovers (their widgets exist only while open; a tree
    without lazy popovers ignores the keys)."""
    for k in [k for k in list(at.session_state) if str(k).endswith("__seeded")]:
        at.session_state[k[: -len("seeded")] + "open"] = True
    at.run()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=21)
    ap.add_argument("--reruns", type=int, default=5)
    ap.add_argument("--trace", action="store_true", help="print where the calls come from")
    args = ap.parse_args()
    global TRACE
    TRACE = args.trace
    install()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if args.n != 21:
        at.session_state[UPLOADED_KEY] = Cohort("synthetic", generate(args.n, seed=3), "s.csv")
    else:
        _ = load_bundled_cohort()
    at.query_params["by"] = "treatment"
    at.run()
    at.switch_page("pages/km.py").run()
    at.selectbox(key="km_by").set_value("treatment").run()
    assert not at.exception, [e.message for e in at.exception]
    COUNTS.clear()
    at.selectbox(key="km_conf").set_value("log").run()  # a new analysis: cache miss
    first = dict(COUNTS)
    COUNTS.clear()
    t0 = time.perf_counter()
    at.radio(key="km_endpoint").set_value("pfs").run()  # a new endpoint: new survival data
    new_endpoint, t_endpoint = dict(COUNTS), time.perf_counter() - t0
    open_figure_options(at)
    SITES.clear()
    per, times = Counter(), []
    for _ in range(args.reruns):
        COUNTS.clear()
        toggle(at, "Median lines")
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.message for e in at.exception]
        per.update(COUNTS)
    print(f"n = {args.n}")
    print(f"analysis change (CI transform): {first}")
    print(f"new endpoint (PFS): {new_endpoint}, {t_endpoint * 1e3:.0f} ms")
    print(
        "display-only toggle, per rerun: "
        + str({k: v / args.reruns for k, v in sorted(per.items())})
    )
    for site, count in SITES.most_common(12):
        print(f"  {count:4d} {site}")
    print(
        f"server time per toggle rerun: median {statistics.median(times) * 1e3:.0f} ms "
        f"(min {min(times) * 1e3:.0f} ms, {args.reruns} reruns)"
    )


if __name__ == "__main__":
    main()
