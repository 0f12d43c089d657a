"""CPU of the concordances of a Cox fit: this tree's kernel vs a revision's.

Not a test. Two cases: Harrell's C of a plain fit (``hccdash.cox.concordance``) and R's
weighted (start, stop] concordance (``hccdash.coxext.concordance.concordance_ag``, run with
the revision's kernel swapped in). Both versions run in this process, interleaved
round-robin (load on the shared machine hits both alike), on the same data: times rounded
to 0.1 (many ties), about 70% events, a linear predictor with ties (3 levels times a rounded
score), as the Cox benchmark's cohort (``bench/run.py`` case 2); half the rows with an entry
time and exponential case weights for the weighted case. The revision's
``hccdash/cox/concordance.py`` is read with ``git show`` and loaded as a module on its own
(it imports only numpy); its entry point is ``concordance`` or ``_concordance``, its kernel
``dominance_sums`` or, before issue 15, ``_prefix_less``. Both must give the same numbers
(checked) before they are timed.

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
    entry = getattr(module, "concordance", None) or module._concordance
    kernel = getattr(module, "dominance_sums", None) or module._prefix_less
    return entry, kernel


def _numbers(result) -> np.ndarray:
    """The numbers of a result: a (C, se) pair or a ConcordanceResult."""
    return np.array(list(vars(result).values()) if hasattr(result, "__dict__") else result)


def _timed(fns: dict, args: tuple, repeats: int) -> dict[str, float]:
    """Median CPU seconds per call, interleaved round-robin."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.process_time()
            f(*args)
            times[k].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="rows (keep it small here)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    args = parser.parse_args(argv)

    import hccdash.coxext.concordance as ag
    from hccdash.cox.concordance import concordance, dominance_sums

    rng = np.random.default_rng(1)
    n = args.n
    t = np.round(rng.exponential(20, n), 1)
    e = (rng.random(n) < 0.7).astype(np.float64)
    lp = rng.integers(0, 3, n) * 0.4 + np.round(rng.normal(0, 1, n), 2)
    old_entry, old_kernel = _old(args.against)
    start = np.where(rng.random(n) < 0.5, np.round(rng.exponential(5, n), 1), -np.inf)
    stop = np.where(np.isfinite(start), start, 0.0) + t + 0.1
    w = rng.exponential(1.0, n)

    def weighted(kernel):
        def run(*a):
            ag.dominance_sums = kernel
            try:
                return ag.concordance_ag(*a)
            finally:
                ag.dominance_sums = dominance_sums

        return run

    cases = {
        "plain": ({"this tree": concordance, args.against: old_entry}, (t, e, lp)),
        "weighted (start, stop]": (
            {"this tree": weighted(dominance_sums), args.against: weighted(old_kernel)},
            (start, stop, e, lp, w),
        ),
    }
    for case, (fns, fargs) in cases.items():
        a, b = (_numbers(f(*fargs)) for f in fns.values())
        if not np.allclose(a, b, rtol=1e-12, atol=0):
            print(f"{case}: different results {a} vs {b}")
            return 1
        med = _timed(fns, fargs, args.repeats)
        ratio = med["this tree"] / med[args.against]
        parts = ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in med.items())
        print(f"{case} (n = {n}, median CPU of {args.repeats}): {parts}; ratio {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
