"""CPU seconds of each cached unit of the Risk models page on the bundled cohort. Not a test.

The page computes in units (one CV repeat, one fit, one permutation importance per model
kind, a chunk of bootstrap replicates) with a Streamlit call between them, so that a refit
never blocks navigation for long; each unit should stay well under 1 s of CPU here. This was
a timed unit test, which a shared CI machine made fail (1.05 s at load 5): speed is measured
here, by process CPU time, with the load average beside it.

    python bench/models_units.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hccdash import models as M
from hccdash.schema import load_bundled_cohort


def main() -> int:
    data = load_bundled_cohort().data
    md = M.prepare(data, "os", M.default_features(data))
    costs: dict[str, float] = {}
    for kind in M.MODEL_KINDS:
        t = time.process_time()
        M.cv_chunk(md, kind, 0, 1, M.ValidationOptions(seed=2026))
        costs[f"{kind} CV repeat"] = time.process_time() - t
        t = time.process_time()
        fitted = M.fit_model(md, kind, seed=2026)
        costs[f"{kind} fit"] = time.process_time() - t
        t = time.process_time()
        M.permutation_importance_table(fitted, md, seed=2026)
        costs[f"{kind} importance"] = time.process_time() - t
    t = time.process_time()
    M.bootstrap_chunk(md, "rsf", 0, 5, M.ValidationOptions(seed=2026))
    costs["rsf 5 bootstrap replicates"] = time.process_time() - t
    print(json.dumps({"cpu_s": costs, "load": os.getloadavg()[0]}, indent=1))
    print(f"largest unit: {max(costs.values()):.2f} s CPU (aim: well under 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
