"""Case 1's workload (KM + log-rank + risk table, 3 groups) timed on two source trees.

Not a test. ``python bench/ab_case1.py --base e85388d --n 1e5`` extracts ``hccdash/`` of the
base revision into a temporary directory and times the working tree and the base in
alternating subprocesses (round-robin, so load on a shared machine hits both alike), on
the same synthetic cohort as ``bench/run.py`` case 1, rounded and exact times. Prints the
median of each and the ratio working tree / base. Times are CPU seconds of the process
(``time.process_time``): on the shared 2-core machine wall time mostly measures the others'
load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from hccdash import synth
from hccdash.compare import survdiff
from hccdash.nonparametric import kaplan_meier, risk_table
n, rounded, repeats = int(float(sys.argv[2])), sys.argv[3] == "1", int(sys.argv[4])
df = synth.generate(n, seed=20260101, rounded=rounded)
def ours():
    km = kaplan_meier(df, "os_months", "os_event", group="child_pugh")
    test = survdiff(df, "os_months", "os_event", "child_pugh")
    risk_table(km, np.arange(0.0, 61.0, 12.0))
    return test.chisq
chisq = ours()
out = []
for _ in range(repeats):
    t0 = time.process_time(); ours(); out.append(time.process_time() - t0)
print(json.dumps({"times": out, "chisq": chisq}))
"""


def _extract(rev: str, into: Path) -> None:
    blob = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "hccdash"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="git revision to compare against")
    p.add_argument("--n", default="1e5")
    p.add_argument("--rounds", type=int, default=5, help="alternations per tree")
    p.add_argument("--repeats", type=int, default=5, help="timed calls per subprocess")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _extract(args.base, Path(tmp))
        trees = {"work": str(ROOT), "base": tmp}
        for rounded in ("1", "0"):
            times: dict[str, list[float]] = {k: [] for k in trees}
            chisq = {}
            for _ in range(args.rounds):
                for name, path in trees.items():
                    res = subprocess.run(
                        [sys.executable, "-c", _CHILD, path, args.n, rounded, str(args.repeats)],
                        check=True, capture_output=True, text=True, cwd=tmp,
                    )  # fmt: skip
                    got = json.loads(res.stdout)
                    times[name].extend(got["times"])
                    chisq[name] = got["chisq"]
            w, b = statistics.median(times["work"]), statistics.median(times["base"])
            label = "rounded" if rounded == "1" else "exact"
            print(
                f"n={args.n} {label}: work {w * 1e3:.1f} ms, base {b * 1e3:.1f} ms, "
                f"work/base {w / b:.3f}; chisq work {chisq['work']!r} base {chisq['base']!r}"
            )


if __name__ == "__main__":
    main()
