"""Ingest benchmark (issue 19 item 1): hccdash's upload path against DuckDB's own read. Not a test.

``python bench/ingest_case.py [--n 1e5 1e6] [--repeat 3] [--format csv parquet]`` writes
``bench/results/ingest.json`` and prints a Markdown table. Every run is its own process (so
its peak RSS, ``VmHWM``, is its own), the runs are interleaved round-robin (rotating
order) so load on a shared machine hits every reader alike, and times are taken inside the
process after the imports (the read itself):

- ``read``: ``hccdash.io.read_table`` (typed columns, text as Categoricals);
- ``ingest``: ``read_table`` -> ``mapping.guess_mapping`` -> ``datacheck.check`` ->
  ``datacheck.to_cohort``, the data page's upload path;
- ``duckdb``: ``duckdb.sql("SELECT * FROM read_csv/read_parquet(...)").arrow().read_all()``,
  the baseline of the targets (``read`` within 2x its time and 2x its peak RSS);
- ``pyarrow``: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` (type inference,
  no checks);
- ``polars``: ``polars.read_csv`` / ``read_parquet`` when polars is installed (it is not a
  dependency; the case is skipped otherwise).

Cohorts: ``hccdash.synth.generate`` (18 columns, the bundled cohort's) in chunks of 1e6 rows
(seed + chunk index; patient ids numbered on across chunks, so every id is unique) written
to ``bench/.scratch/ingest/`` as CSV and Parquet, once per size. Set ``HCCDASH_BENCH_NICE=1``
on a shared machine (runs under ``nice -n 10``). A 1e7-row Parquet file's footer bounds its
read to 3.9 GB, over the read worker's default 2,000 MB (``HCCDASH_READ_MAX_MB``, which the
children inherit): ``read`` refuses it unless the budget is raised
(``HCCDASH_READ_MAX_MB=16000``: a quarter of it covers the bound, so the file is read
in-process, as a 1e6-row one is under the default); the payload records it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "bench" / ".scratch" / "ingest"
OUT = ROOT / "bench" / "results" / "ingest.json"
SEED = 20260101
CHUNK = 1_000_000

# One process per run: prints {"seconds", "cpu", "rows", "rss_mb"} as JSON.
_CHILD = r"""
import json, sys, time
case, path = sys.argv[1], sys.argv[2]
parquet = path.endswith(".parquet")
if case in ("read", "ingest"):
    from hccdash import datacheck, io
    from hccdash.mapping import guess_mapping
elif case == "duckdb":
    import duckdb
elif case == "pyarrow":
    import pyarrow.csv, pyarrow.parquet
elif case == "polars":
    import polars
t0, c0 = time.perf_counter(), time.process_time()
if case in ("read", "ingest"):
    table = io.read_table(path, max_mb=1e6)
    rows = len(table.data)
    if case == "ingest":
        report = datacheck.check(table.data, guess_mapping(table.data))
        rows = len(datacheck.to_cohort(report, "bench", "upload").data)
elif case == "duckdb":
    fn = "read_parquet" if parquet else "read_csv"
    rows = duckdb.sql(f"SELECT * FROM {fn}('{path}')").arrow().read_all().num_rows
elif case == "pyarrow":
    read = pyarrow.parquet.read_table if parquet else pyarrow.csv.read_csv
    rows = read(path).num_rows
else:
    rows = (polars.read_parquet if parquet else polars.read_csv)(path).height
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork + exec
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
out = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rows": rows,
       "rss_mb": int(hwm.split()[1]) / 1024}
print(json.dumps(out))
"""


def cohort_files(n: int) -> dict[str, Path]:
    """CSV and Parquet files of ``n`` synthetic patients (18 columns), built once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from hccdash import synth

    SCRATCH.mkdir(parents=True, exist_ok=True)
    paths = {"csv": SCRATCH / f"synth_{n}.csv", "parquet": SCRATCH / f"synth_{n}.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    tmp = {k: p.with_name(p.name + ".tmp") for k, p in paths.items()}
    writer = None
    done = i = 0
    with open(tmp["csv"], "w", encoding="utf-8", newline="") as fh:
        while done < n:
            frame = synth.generate(min(CHUNK, n - done), seed=SEED + i)
            if i:  # one row per patient: chunk i numbers its patients on from i * CHUNK
                frame["patient_id"] = [f"S{done + k:07d}" for k in range(1, len(frame) + 1)]
            frame.to_csv(fh, index=False, header=(i == 0), lineterminator="\n")
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(tmp["parquet"], table.schema)
            writer.write_table(table)
            done += len(frame)
            i += 1
    writer.close()
    for k, p in paths.items():
        tmp[k].rename(p)
    return paths


def run_child(case: str, path: Path) -> dict:
    cmd = [sys.executable, "-c", _CHILD, case, str(path)]
    if os.environ.get("HCCDASH_BENCH_NICE"):
        cmd = ["nice", "-n", "10", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{case} on {path.name} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure(n: int, fmt: str, cases: list[str], repeat: int) -> dict:
    path = cohort_files(n)[fmt]
    runs: dict[str, list[dict]] = {c: [] for c in cases}
    for r in range(repeat):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for case in order:
            runs[case].append(run_child(case, path))
    med = {
        c: {k: statistics.median(x[k] for x in rs) for k in ("seconds", "cpu", "rss_mb")}
        for c, rs in runs.items()
    }
    base = med["duckdb"]
    for m in med.values():
        m["time_ratio"] = m["seconds"] / base["seconds"]
        m["rss_ratio"] = m["rss_mb"] / base["rss_mb"]
    return {"n": n, "format": fmt, "bytes": path.stat().st_size, "median": med, "runs": runs}


def table(results: list[dict]) -> str:
    lines = [
        "| n | file | reader | time (median) | CPU | peak RSS | time / DuckDB | RSS / DuckDB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        size = f"{res['format']} {res['bytes'] / 1e6:.0f} MB"
        for case, m in res["median"].items():
            lines.append(
                f"| {res['n']:.0e} | {size} | {case} | {m['seconds']:.2f} s | {m['cpu']:.2f} s "
                f"| {m['rss_mb']:.0f} MB | {m['time_ratio']:.2f}x | {m['rss_ratio']:.2f}x |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", nargs="+", type=float, default=[1e5, 1e6])
    ap.add_argument("--format", nargs="+", default=["csv", "parquet"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--case", nargs="+", default=["read", "ingest", "duckdb", "pyarrow", "polars"])
    args = ap.parse_args(argv)
    cases = [c for c in args.case if c != "polars" or importlib.util.find_spec("polars")]
    if "duckdb" not in cases:
        cases.append("duckdb")
    t0 = time.time()
    load = os.getloadavg()
    results = [measure(int(n), f, cases, args.repeat) for n in args.n for f in args.format]
    payload = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t0)),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average": {"start": load, "end": os.getloadavg()},
        "nice": bool(os.environ.get("HCCDASH_BENCH_NICE")),
        "read_max_mb": os.environ.get("HCCDASH_READ_MAX_MB", "default"),
        "results": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(table(results))
    print(f"\nload average {load[0]:.1f} -> {os.getloadavg()[0]:.1f}; written {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
