"""Write ``checkpoints.json``: the shipped cohort's annealing search at 1/3 and 2/3 of its run.

Run from the repository root:
``PYTHONPATH=. python tests/reference/cohort_search/make_checkpoints.py``.
It runs the default search (``hccdash.cohort.generator`` defaults: seed and 200,000
iterations) once, saves its progress at the two checkpoints, and refuses to write unless the
finished run gives the shipped CSV and report byte for byte. ``tests/test_cohort_search_*.py``
then check the run in three segments that xdist runs side by side (each segment's end must
equal the next checkpoint, the last one's outputs the shipped files).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hccdash.cohort.generator import DEFAULT_ITERATIONS, SEED, outputs
from hccdash.cohort.published import load_published
from hccdash.cohort.search import advance, finish, progress_to_json, ratio_of, start
from hccdash.cohort.targets import build_targets
from hccdash.schema import BUNDLED_CSV

HERE = Path(__file__).resolve().parent
REPORT = BUNDLED_CSV.parent / "reconstruction_report.md"
STOPS = (DEFAULT_ITERATIONS // 3, 2 * DEFAULT_ITERATIONS // 3)


def main() -> int:
    targets = build_targets(load_published())
    ratio = ratio_of(DEFAULT_ITERATIONS)
    pr = start(targets, seed=SEED)
    saved = []
    for stop in STOPS:
        advance(pr, targets, stop, ratio)
        saved.append(progress_to_json(pr))
    advance(pr, targets, DEFAULT_ITERATIONS, ratio)
    out = outputs(finish(pr, targets), seed=SEED)
    if out.csv != BUNDLED_CSV.read_bytes() or out.report != REPORT.read_bytes():
        print("the finished search does not give the shipped files: nothing written")
        return 1
    payload = {"seed": SEED, "iterations": DEFAULT_ITERATIONS, "checkpoints": saved}
    (HERE / "checkpoints.json").write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote checkpoints at {STOPS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
