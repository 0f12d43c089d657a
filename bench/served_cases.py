"""A server-side cohort (``HCCDASH_DATA`` on the engine): a sidebar filter change -> KM + log-rank.

``python bench/served_cases.py [--n 1e6 1e7] [--repeat 5]`` writes ``bench/results/served.json``
and prints one JSON line per size. Not a test. Each size runs in its own process (its peak RSS
is that process's ``ru_maxrss``), on the Parquet files of ``bench/engine_cases.py`` (18 columns,
``synth.generate`` in 1e6-row chunks) with the bundled cohort's codebook (its variables that the
synthetic file has):

- ``open_s``: :func:`hccdash.engine.served.open_served` once per server process (the codebook
  as a SQL view, every endpoint validated: one scan each);
- ``options_s``: the sidebar's five option lists, cold (``SELECT DISTINCT``; cached after);
- ``served_s`` vs ``floor_s`` (interleaved, median of ``--repeat``): a filter change on the KM
  page, ``ServedCohort.km_view(spec, "os", "child_pugh")`` (FilterSpec -> SQL, the GROUP BY,
  KM, medians, log-rank), against the bare DuckDB ``SELECT g, t, sum(e), count(*) ... WHERE
  <the same predicate> GROUP BY g, t`` on its own warm connection; each repeat uses the next
  of four filter specs (KPS range, Child-Pugh levels, yes/no roles, arm), so nothing is cached.
  The minima are reported too (``ratio_min``): on a shared machine they are the better
  estimate of the cost, the medians of what a user waits.

Targets (issue 19): <= 1.5x the floor; RSS <= 1 GB. Set ``HCCDASH_BENCH_NICE=1`` on a shared
machine; numbers there are noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

OUT = ROOT / "bench" / "results" / "served.json"
CODEBOOK = ROOT / "data" / "hcc_oligomets_reconstructed.codebook.json"
SIDEBAR = ("child_pugh", "treatment", "pvtt", "ascites", "sex")


def _specs():
    from hccdash.filters import FilterSpec

    return [
        FilterSpec(kps=(70, 100)),
        FilterSpec(child_pugh=("A", "B")),
        FilterSpec(pvtt="no", ascites="no"),
        FilterSpec(arm="imrt_tace", kps=(60, 90)),
    ]


def one(n: int, repeat: int) -> dict:
    import duckdb
    from engine_cases import cohort_file, interleaved, med

    from hccdash.codebook import Codebook
    from hccdash.engine.predicate import where
    from hccdash.engine.served import open_served

    path = cohort_file(n)
    book = Codebook.read(CODEBOOK)
    names = set(duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").df()["column_name"])
    book = dataclasses.replace(book, variables=tuple(v for v in book.variables if v.name in names))
    t0 = time.perf_counter()
    served = open_served(path, book)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for c in SIDEBAR:
        served.options(c)
    options_s = time.perf_counter() - t0

    specs = _specs()
    floor_con = duckdb.connect()
    src = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
    floor_sql = [
        'SELECT "child_pugh", "os_months", sum("os_event"), count(*) FROM '
        f"{src} WHERE {where(served.view, served.filters(s)).sql('duckdb')} GROUP BY 1, 2"
        for s in specs
    ]
    state = {"served": 0, "floor": 0}
    result: dict = {}

    def run_served():
        spec = specs[state["served"] % len(specs)]
        state["served"] += 1
        v = served.km_view(spec, "os", "child_pugh")
        result[str(spec)] = (v.km.n, v.test.chisq)

    def run_floor():
        floor_con.execute(floor_sql[state["floor"] % len(specs)]).fetchall()
        state["floor"] += 1

    for _ in specs:  # warm: OS cache, imports, both connections
        run_served()
        run_floor()
    t = interleaved({"served": run_served, "floor": run_floor}, repeat)
    return {
        "case": "served_km",
        "n": n,
        "open_s": open_s,
        "options_s": options_s,
        "served_s": med(t["served"]),
        "floor_s": med(t["floor"]),
        "ratio": med(t["served"]) / med(t["floor"]),
        "served_min_s": min(t["served"]),
        "floor_min_s": min(t["floor"]),
        "ratio_min": min(t["served"]) / min(t["floor"]),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "kept_and_chisq": result,
        "runs": t,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", nargs="+", type=float, default=[1e6, 1e7])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if os.environ.get("HCCDASH_BENCH_NICE"):
        os.nice(10)
    if args.one:
        print(json.dumps(one(int(args.one), args.repeat)))
        return 0
    records = json.loads(OUT.read_text()) if OUT.exists() else {}
    info = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
    }
    for n in (int(x) for x in args.n):
        cmd = [sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rec = json.loads(out.strip().splitlines()[-1]) | info
        records[f"served_km_{n}"] = rec
        print(json.dumps({k: v for k, v in rec.items() if k != "runs"}), flush=True)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
