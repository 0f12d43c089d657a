"""CPU of Harrell's concordance of a Cox fit (``hccdash.cox.concordance``): this tree vs a revision.

Not a test. Both versions run in this process, interleaved round-robin (load on the shared
machine hits both alike), on the same data: times rounded to 0.1 (many ties), about 70%
events, a linear predictor with ties (3 levels times a rounded score), as the Cox benchmark's
cohort (``bench/run.py`` case 2). The revision's ``hccdash/cox/concordance.py`` is read with
``git show`` and loaded as a module on its own (it imports only numpy); its entry point is
``concordance`` or, before issue 15's kernel, ``_concordance``. Both must give the same
numbers (checked) before they are timed.

    python bench/concordance_kernel.py --n 20000 --against 5004c94
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))


def _old(rev: str):
    text = subprocess.run(
        ["git", "-C", str(HERE), "show", f"{rev}:hccdash/cox/concordance.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "concordance_old.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("concordance_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "concordance", None) or module._concordance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="rows (keep it small here)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    args = parser.parse_args(argv)

    from hccdash.cox.concordance import concordance

    rng = np.random.default_rng(1)
    n = args.n
    t = np.round(rng.exponential(20, n), 1)
    e = (rng.random(n) < 0.7).astype(np.float64)
    lp = rng.integers(0, 3, n) * 0.4 + np.round(rng.normal(0, 1, n), 2)
    fns = {"this tree": concordance, args.against: _old(args.against)}
    results = {k: f(t, e, lp) for k, f in fns.items()}
    a, b = results.values()
    if not np.allclose(a, b, rtol=1e-12, atol=0):
        print(f"different results: {results}")
        return 1
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(args.repeats):
        for k, f in fns.items():
            t0 = time.process_time()
            f(t, e, lp)
            times[k].append(time.process_time() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:>12}: median CPU {v * 1e3:.1f} ms over {args.repeats} runs (n = {n})")
    print(f"ratio this tree / {args.against}: {med['this tree'] / med[args.against]:.3f}")
    print(f"C = {a[0]:.6f}, se = {a[1]:.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
