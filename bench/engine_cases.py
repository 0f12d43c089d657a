"""Registry-scale benchmark of ``hccdash.engine`` (issue 19). Not a test.

``python bench/engine_cases.py [--n 1e6 1e7 1e8] [--case km cox cli] [--repeat 3]`` writes
``bench/results/engine.json`` and prints a Markdown table. Every ratio is against a baseline
measured in the same run, interleaved, on the same file:

- ``km``: filtered (KPS >= 70) KM + log-rank by a 3-level group (``child_pugh``), engine
  (``count_table`` -> ``km`` -> ``survdiff``, one scan) vs the DuckDB GROUP BY floor (the bare
  ``SELECT g, t, sum(e), count(*) ... WHERE kps >= 70 GROUP BY g, t`` on a fresh connection),
  both straight from Parquet. Target at 1e8: <= 1.5x the floor, RSS <= 1 GB.
- ``cox``: 6 coefficients (child_pugh B/C, kps, pvtt, ascites, treatment; Efron), engine
  (one GROUP BY (time, pattern), then numpy per Newton step; per-step GROUP BY time when
  patterns are many) vs R ``coxph`` on the same rows at 1e6 (timed inside R, file read
  excluded), coefficients compared (target 1e-6); at 1e7 the engine alone (target <= 30 s,
  <= 1 GB). Each engine run is a fresh process: ``peak_rss_mb`` is the fit's (with imports).
- ``cli``: ``python -m hccdash analyze FILE --group child_pugh --engine duckdb`` as a whole
  process vs a process that runs only the floor query (``python -c 'import duckdb; ...'``).
  Target: <= 2x.

Cohorts: ``hccdash.synth.generate`` in chunks of 1e6 rows (seed + chunk index) written to one
Parquet file under ``bench/.scratch/engine/`` (1e8 rows is about 1 GB; generated once).
Set ``HCCDASH_BENCH_NICE=1`` on a shared machine; numbers there are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hccdash import synth  # noqa: E402

SCRATCH = ROOT / "bench" / ".scratch" / "engine"
OUT = ROOT / "bench" / "results" / "engine.json"
SEED = 20260101
CHUNK = 1_000_000
REPLICATE_FROM = 10_000_000  # larger sizes: copies of this one (see _replicated)
COLUMNS = ["os_months", "os_event", "child_pugh", "kps", "pvtt", "ascites", "treatment"]
COX_COVS = ["child_pugh", "kps", "pvtt", "ascites", "treatment"]
COX_REF = {"child_pugh": "A", "pvtt": "No", "ascites": "No", "treatment": "IMRT"}
FLOOR_SQL = (
    "SELECT child_pugh, os_months, sum(os_event), count(*) FROM read_parquet('{path}') "
    "WHERE kps >= 70 GROUP BY 1, 2"
)


def cohort_file(n: int) -> Path:
    """Parquet file of ``n`` synthetic patients (18 columns), built in 1e6-row chunks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"synth_{n}.parquet"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    if n > REPLICATE_FROM and n % REPLICATE_FROM == 0:
        return _replicated(path, tmp, n // REPLICATE_FROM)
    writer = None
    done = 0
    i = 0
    while done < n:
        m = min(CHUNK, n - done)
        frame = synth.generate(m, seed=SEED + i)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table)
        done += m
        i += 1
    writer.close()
    tmp.rename(path)
    return path


def _replicated(path: Path, tmp: Path, copies: int) -> Path:
    """``copies`` copies of the 1e7-row cohort in one Parquet file, written by DuckDB.

    ``synth.generate`` makes about 1e6 rows a minute on this box (1e8: over an hour and a
    half); a GROUP BY costs the same on copies as on new patients, so the 1e8 case reads ten
    copies of the 1e7 cohort (patient ids made unique per copy). Written in a child process
    so this process's peak memory stays the engine's.
    """
    src = str(cohort_file(REPLICATE_FROM)).replace("'", "''")
    dst = str(tmp).replace("'", "''")
    sql = (
        f"COPY (SELECT t.* REPLACE (t.patient_id || '-' || CAST(c.range AS VARCHAR) AS patient_id) "
        f"FROM read_parquet('{src}') t, range({copies}) c) TO '{dst}' (FORMAT parquet)"
    )
    code = (
        "import duckdb, sys; c = duckdb.connect(); "
        "c.execute('SET enable_progress_bar = false'); c.execute(sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", code, sql], check=True)
    tmp.rename(path)
    return path


def _reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM) so the next reading is the code after it."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_self_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def interleaved(fns: dict, repeat: int) -> dict[str, list[float]]:
    """Round-robin timings (rotating order) so machine load hits every function alike."""
    names = list(fns)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(repeat):
        order = names[r % len(names) :] + names[: r % len(names)]
        for k in order:
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def med(xs: list[float]) -> float:
    return float(statistics.median(xs))


def case_km(n: int, repeat: int) -> dict:
    import duckdb

    from hccdash.engine import open_source
    from hccdash.engine import survival as es

    path = cohort_file(n)
    sql = FLOOR_SQL.format(path=str(path).replace("'", "''"))

    def floor():
        con = duckdb.connect()
        con.execute(sql).fetchall()
        con.close()

    result = {}

    def engine():
        src = open_source(path)
        ct = es.count_table(
            src, "os_months", "os_event", "child_pugh", filters={"kps": {"min": 70}}
        )
        km = es.km(ct)
        test = es.survdiff(ct)
        result.update(n=ct.n, groups=km.levels, chisq=test.chisq)

    engine()  # warm the OS cache and imports for both
    floor()
    t = interleaved({"engine": engine, "floor": floor}, repeat)
    _reset_peak()  # the engine's own peak: one more run after the floor's memory is released
    engine()
    engine_peak = _peak_self_mb()
    return {
        "case": "km",
        "n": n,
        "engine_s": med(t["engine"]),
        "floor_s": med(t["floor"]),
        "ratio": med(t["engine"]) / med(t["floor"]),
        "rows_kept": result["n"],
        "engine_peak_rss_mb": engine_peak,
        "chisq": result["chisq"],
        "runs": t,
    }


R_COX = r"""
d <- read.csv(commandArgs(TRUE)[1])
library(survival)
d$child_pugh <- factor(d$child_pugh, c("A", "B", "C"))
d$pvtt <- relevel(factor(d$pvtt), "No"); d$ascites <- relevel(factor(d$ascites), "No")
d$treatment <- relevel(factor(d$treatment), "IMRT")
tm <- system.time(fit <- coxph(Surv(os_months, os_event) ~ child_pugh + kps + pvtt + ascites +
  treatment, d, ties = "efron", control = coxph.control(eps = 1e-12, iter.max = 100)))
cat(sprintf("%.17g", c(tm[["elapsed"]], coef(fit), sqrt(diag(vcov(fit))))), sep = "\n")
"""


COX_CHILD = """
import json, sys, time
from hccdash.engine import cox as ecox
from hccdash.engine import open_source
t0 = time.perf_counter()
f = ecox.cox_fit(open_source(sys.argv[1]), "os_months", "os_event", {covs!r}, reference={ref!r})
print(json.dumps({{"s": time.perf_counter() - t0, "iterations": f.iterations,
                  "coef": [x.coef for x in f.terms], "terms": [x.term for x in f.terms]}}))
"""


def _child_json(cmd: list[str]) -> tuple[dict, float]:
    """A child's JSON line on stdout and its peak RSS (MB, VmHWM: see ``PEAK``)."""
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {res.stderr.decode()[-500:]}")
    return json.loads(res.stdout.decode().strip().splitlines()[-1]), _peak_mb(res.stderr)


def case_cox(n: int, repeat: int) -> dict:
    """The engine fit in a fresh process per run (its own peak RSS: the fit, not the bench)."""
    path = cohort_file(n)
    code = PEAK + COX_CHILD.format(covs=COX_COVS, ref=COX_REF)
    runs, rss = [], []
    for _ in range(repeat):
        res, peak = _child_json([sys.executable, "-c", code, str(path)])
        runs.append(res["s"])
        rss.append(peak)
    out = {
        "case": "cox",
        "n": n,
        "engine_s": med(runs),
        "iterations": res["iterations"],
        "coef": res["coef"],
        "terms": res["terms"],
        "runs": runs,
        "peak_rss_mb": max(rss),
    }
    if n <= 1_000_000 and shutil.which("Rscript"):
        import duckdb

        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "cox.csv"
            script = Path(tmp) / "cox.R"
            script.write_text(R_COX)
            cols = ", ".join(COLUMNS)
            duckdb.execute(f"COPY (SELECT {cols} FROM read_parquet('{path}')) TO '{csv}' (HEADER)")
            res = subprocess.run(
                ["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True
            )
        vals = [float(v) for v in res.stdout.split()]
        p = len(out["coef"])
        r_coef = np.array(vals[1 : 1 + p])
        out.update(
            r_coxph_s=vals[0],
            ratio_vs_r=out["engine_s"] / vals[0],
            max_rel_diff_vs_r=float(
                np.max(np.abs(np.array(out["coef"]) - r_coef) / np.abs(r_coef))
            ),
        )
    return out


# A child's peak RSS from its own /proc/self/status (VmHWM, reset by exec). The rusage of
# wait4 is not used: Linux carries the parent's RSS into the child's ru_maxrss at exec, so
# every child of a 110 MB bench process reported at least 110 MB.
PEAK = (
    "import atexit, os\n"
    "def _peak():\n"
    "    hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
    "    os.write(2, ('\\n' + hwm).encode())\n"
    "atexit.register(_peak)\n"
)


def _peak_mb(stderr: bytes) -> float:
    line = [x for x in stderr.decode().splitlines() if x.startswith("VmHWM")][-1]
    return int(line.split()[1]) / 1024


def _process(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, this child alone) of ``python -c CODE args``."""
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {res.stderr.decode()[-500:]}")
    return wall, _peak_mb(res.stderr)


def case_cli(n: int, repeat: int) -> dict:
    path = cohort_file(n)
    py = [sys.executable]
    sql = FLOOR_SQL.format(path=str(path).replace("'", "''"))
    floor = [*py, "-c", PEAK + f"import duckdb; duckdb.connect().execute({sql!r}).fetchall()"]
    # ``python -m hccdash analyze ...`` (runpy, as -m runs it) with the peak-RSS hook
    run_m = (
        PEAK + "import runpy, sys; sys.argv[0] = 'hccdash'; runpy.run_module('hccdash', "
        "run_name='__main__', alter_sys=True)"
    )
    cli = [*py, "-c", run_m, "analyze", str(path), "--time", "os_months",
           "--event", "os_event", "--group", "child_pugh", "--times", "12,24",
           "--engine", "duckdb"]  # fmt: skip
    runs: dict[str, list[float]] = {"cli": [], "floor": []}
    rss: dict[str, list[float]] = {"cli": [], "floor": []}
    for r in range(repeat):
        for name, cmd in (
            (("cli", cli), ("floor", floor)) if r % 2 == 0 else (("floor", floor), ("cli", cli))
        ):
            wall, peak = _process(cmd)
            runs[name].append(wall)
            rss[name].append(peak)
    return {
        "case": "cli",
        "n": n,
        "cli_s": med(runs["cli"]),
        "floor_s": med(runs["floor"]),
        "ratio": med(runs["cli"]) / med(runs["floor"]),
        "ratio_min": min(runs["cli"]) / min(runs["floor"]),  # least contended pair
        "cli_peak_rss_mb": max(rss["cli"]),
        "floor_peak_rss_mb": max(rss["floor"]),
        "runs": runs,
    }


CASES = {"km": case_km, "cox": case_cox, "cli": case_cli}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", nargs="+", type=float, default=[1e6, 1e7])
    ap.add_argument("--case", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if os.environ.get("HCCDASH_BENCH_NICE"):
        os.nice(10)
    records = json.loads(OUT.read_text()) if OUT.exists() else {}
    info = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "python": platform.python_version(),
    }
    for case in args.case:
        for n in (int(x) for x in args.n):
            if case == "cox" and n > 10_000_000:
                continue
            rec = CASES[case](n, args.repeat)
            rec.update(info)
            records[f"{case}_{n}"] = rec
            print(json.dumps({k: v for k, v in rec.items() if k != "runs"}), flush=True)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
