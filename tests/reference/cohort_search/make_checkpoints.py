"""Write (or check) ``checkpoints.json``: four states of the shipped cohort's annealing search.

Run from the repository root:
``PYTHONPATH=. python tests/reference/cohort_search/make_checkpoints.py [--check]``.
It runs the default search (``hccdash.cohort.generator`` defaults: seed and 200,000
iterations) once, uninterrupted, and saves its progress at ``STOPS``: the end of the first
span, the start and end of a span in the middle, and the start of the last span. It refuses
to write unless the finished run gives the shipped CSV and report byte for byte. With
``--check`` it writes nothing and exits 1 unless the saved checkpoints equal this run's:
run it after any change to ``hccdash/cohort/`` (about 4 minutes of one core), since
``tests/test_cohort_search.py`` replays only the three spans (6% of the run) in CI.
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
SPAN = 4_000
MID = DEFAULT_ITERATIONS // 2
STOPS = (SPAN, MID, MID + SPAN, DEFAULT_ITERATIONS - SPAN)


def main(argv: list[str]) -> int:
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
    path = HERE / "checkpoints.json"
    if "--check" in argv:
        same = json.loads(path.read_text()) == json.loads(json.dumps(payload))
        print("the saved checkpoints are this run's" if same else "the checkpoints differ")
        return 0 if same else 1
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote checkpoints at {STOPS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
