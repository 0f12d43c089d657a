"""hccdash benchmark: ``python bench/run.py [--case N ...] [--quick]`` writes ``bench/RESULTS.md``.

Not a test. Each case times hccdash against the baseline a user would otherwise pick, in the
same run, on synthetic cohorts from ``hccdash.synth`` (fixed seed), and reports the median of
repeated runs and the ratio to the baseline:

1. Kaplan-Meier + log-rank + risk table, 3 groups, n = 21 .. 1e6, rounded and exact times:
   hccdash vs lifelines called directly vs a numpy floor (``np.sort`` of the time column).
2. Cox, 6 coefficients, Efron ties, n = 1e5 and 1e6: ``hccdash.cox.cox_fit`` vs lifelines
   ``CoxPHFitter`` with the same convergence criterion.
3. KM figure at n = 1e6 exact times: bytes of ``fig.to_json()`` and build + serialise time, and
   how far the drawn (thinned) curve is from the exact one.
4. PNG export 1920x1080 through kaleido: first call and warm calls.
5. In the browser (Playwright on Debian's chromium against ``streamlit run app.py``): sidebar
   filter change to redrawn KM curve (median and p95 of 20 changes) at n = 21 and n = 1e6 (the
   1e6 cohort uploaded on the data page), and time from opening a bookmarked URL to the curve.
6. Peak memory (VmHWM) of the streamlit process with the 1e6 cohort loaded and the KM page shown.

Each case runs alone (``--case 3``) and stores its result in ``bench/results/case<N>.json``;
RESULTS.md is rebuilt from every stored case, so cases measured at different times say so.
A case whose code does not exist yet records one line saying what is missing.
``--quick`` runs small sizes into ``bench/.scratch/`` (for development; never committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from hccdash import synth  # noqa: E402

SEED = 20260101
TIME, EVENT, GROUP = "os_months", "os_event", "child_pugh"
RISK_TIMES = np.arange(0.0, 61.0, 12.0)
COX_COVARIATES = ("child_pugh", "kps", "pvtt", "ascites", "treatment")
COX_REFERENCE = {"child_pugh": "A", "pvtt": "No", "ascites": "No", "treatment": "IMRT"}
# The Cox convergence criterion both fits use: R's coxph.control(eps=1e-12), relative change
# of the log partial likelihood (lifelines' ``r_precision``).
COX_EPS = 1e-12
# Seconds of repeats per measurement before stopping at the minimum count (--quick: less).
BUDGET = 20.0
# --big N: size of the large cohort of cases 3, 5 and 6 (default 1e6; --quick 1e4).
BIG: int | None = None


class Unavailable(Exception):
    """A piece the case measures does not exist yet (module, function or page)."""


# --------------------------------------------------------------------------------------------
# helpers
def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def need(module: str, *names: str):
    """Import ``module`` and check it has ``names``; raise Unavailable naming what is missing."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"`{module}` cannot be imported yet ({exc})") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise Unavailable(f"`{module}` has no {', '.join(missing)} yet")
    return mod


def interleaved(
    fns: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    budget: float | None = None,
    min_repeats: int = 5,
):
    """Wall times of each function, run round-robin (rotating order) so load drift is shared.

    Stops after ``repeats`` rounds, or after ``min_repeats`` rounds once ``budget`` seconds
    are spent (the machine is shared: no more CPU than the median needs).
    """
    budget = BUDGET if budget is None else budget
    names = list(fns)
    out: dict[str, list[float]] = {k: [] for k in names}
    slow = False
    for name, fn in fns.items():
        for _ in range(warmup):
            t0 = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - t0
            # A call of seconds has no start-up worth excluding: keep it as a sample.
            if elapsed > 2.0:
                out[name].append(elapsed)
                slow = slow or elapsed > 5.0
    # Calls of many seconds: 3 samples are enough for a median on a shared machine.
    floor = 3 if slow else min_repeats
    start = time.perf_counter()
    for r in range(repeats):
        if min(len(v) for v in out.values()) >= floor and time.perf_counter() - start > budget:
            break
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            t0 = time.perf_counter()
            fns[name]()
            out[name].append(time.perf_counter() - t0)
    return out


def med(xs: list[float]) -> float:
    return float(statistics.median(xs))


def p95(xs: list[float]) -> float:
    return float(np.percentile(np.asarray(xs), 95))


def fmt_s(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_n(n: int) -> str:
    return f"{n:.0e}".replace("e+0", "e") if n >= 1000 else str(n)


def profile_text(fn: Callable[[], object], label: str) -> str:
    """pyinstrument's call tree of one run of ``fn`` (bench/requirements.txt), trimmed."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return f"(pyinstrument not installed: pip install -r bench/requirements.txt; {label})"
    profiler = Profiler(interval=0.001)
    profiler.start()
    fn()
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    # Drop the banner; keep the call tree.
    lines = [ln for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Profile at")), 0)
    return "\n".join(lines[start + 1 : start + 46])


def target(name: str, value: float | None, limit: float, unit: str, detail: str = "") -> dict:
    met = value is not None and np.isfinite(value) and value <= limit
    return {
        "target": name,
        "value": None if value is None else float(value),
        "limit": limit,
        "unit": unit,
        "met": bool(met),
        "detail": detail,
    }


def machine() -> dict:
    info = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = next(
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.splitlines()
            if ln.startswith("model name")
        )
    except (OSError, StopIteration):
        info["cpu_model"] = platform.processor() or "unknown"
    try:
        meminfo = dict(
            ln.split(":", 1) for ln in Path("/proc/meminfo").read_text().splitlines() if ":" in ln
        )
        info["mem_total_gb"] = round(int(meminfo["MemTotal"].split()[0]) / 1024**2, 1)
        info["mem_available_gb"] = round(int(meminfo["MemAvailable"].split()[0]) / 1024**2, 1)
    except (OSError, KeyError):
        pass
    versions = {}
    for mod in (
        "numpy",
        "pandas",
        "scipy",
        "lifelines",
        "plotly",
        "kaleido",
        "streamlit",
        "playwright",
        "pyarrow",
        "pyinstrument",
    ):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001 - a missing optional package is reported, not fatal
            versions[mod] = "not installed"
    import hccdash

    versions["hccdash"] = hccdash.__version__
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        info["git_head"] = head.stdout.strip() or "unknown"
    except OSError:
        info["git_head"] = "unknown"
    exe = shutil.which("chromium")
    if exe:
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
            versions["chromium"] = out.stdout.strip() or out.stderr.strip()
        except (OSError, subprocess.TimeoutExpired):
            versions["chromium"] = exe
    else:
        versions["chromium"] = "not installed"
    info["versions"] = versions
    return info


_FRAMES: dict[tuple[int, bool], object] = {}


def cohort(n: int, rounded: bool):
    """The synthetic cohort of size ``n`` (cached within the run)."""
    key = (n, rounded)
    if key not in _FRAMES:
        _FRAMES[key] = synth.generate(n, seed=SEED, rounded=rounded)
    return _FRAMES[key]


# --------------------------------------------------------------------------------------------
# case 1: KM + log-rank + risk table
def _lifelines_km(df, levels):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    t = df[TIME].to_numpy()
    e = df[EVENT].to_numpy()
    g = df[GROUP].to_numpy()
    fits = []
    for level in levels:
        mask = g == level
        fits.append(KaplanMeierFitter().fit(t[mask], e[mask], label=str(level)))
    test = multivariate_logrank_test(t, g, e)
    # The numbers-at-risk table as lifelines.plotting.add_at_risk_counts computes it.
    table = []
    for fit in fits:
        et = fit.event_table.assign(at_risk=lambda x: x.at_risk - x.removed)
        row = []
        for tick in RISK_TIMES:
            sl = et.loc[:tick, ["at_risk", "censored", "observed"]]
            if sl.empty:
                row.append((int(et.at_risk.iloc[0] + et.removed.iloc[0]), 0, 0))
            else:
                row.append(
                    (int(sl.at_risk.iloc[-1]), int(sl.censored.sum()), int(sl.observed.sum()))
                )
        table.append(row)
    return fits, test, table


def case1(quick: bool) -> dict:
    nonparametric = need("hccdash.nonparametric", "kaplan_meier", "risk_table")
    compare = need("hccdash.compare", "survdiff")
    sizes = (21, 1_000, 10_000) if quick else (21, 1_000, 100_000, 1_000_000)
    repeats = {21: 100, 1_000: 50, 10_000: 10, 100_000: 9, 1_000_000: 7}
    rows, targets, notes = [], [], []
    profile = ""
    for rounded in (True, False):
        for n in sizes:
            df = cohort(n, rounded)
            levels = sorted(df[GROUP].unique())

            def ours(df=df):
                km = nonparametric.kaplan_meier(df, TIME, EVENT, group=GROUP)
                test = compare.survdiff(df, TIME, EVENT, GROUP)
                table = nonparametric.risk_table(km, RISK_TIMES)
                return km, test, table

            def theirs(df=df, levels=levels):
                return _lifelines_km(df, levels)

            def floor(df=df):
                return np.sort(df[TIME].to_numpy())

            km, test, _ = ours()
            _, lt, _ = theirs()
            chisq_rel = abs(test.chisq - lt.test_statistic) / lt.test_statistic
            times = interleaved(
                {"hccdash": ours, "lifelines": theirs, "numpy": floor}, repeats[n], warmup=1
            )
            h, li, fl = med(times["hccdash"]), med(times["lifelines"]), med(times["numpy"])
            rows.append(
                {
                    "times": "0.1 month" if rounded else "exact",
                    "n": fmt_n(n),
                    "distinct times": int(sum(len(c.time) for c in km.curves)),
                    "hccdash": fmt_s(h),
                    "lifelines": fmt_s(li),
                    "numpy sort": fmt_s(fl),
                    "hccdash / numpy": f"{h / fl:.1f}x",
                    "hccdash / lifelines": f"{h / li:.2f}x",
                    "repeats": len(times["hccdash"]),
                    "log-rank chisq rel. diff vs lifelines": f"{chisq_rel:.1e}",
                }
            )
            if n == max(sizes):
                label = f"n = {fmt_n(n)}, {'rounded' if rounded else 'exact'} times"
                targets.append(
                    target(f"case 1 at {label}: hccdash / numpy floor", h / fl, 1.5, "x", fmt_s(h))
                )
                targets.append(
                    target(
                        f"case 1 at {label}: hccdash / lifelines (< 1 = faster)",
                        h / li,
                        1.0,
                        "x",
                        f"{fmt_s(h)} vs {fmt_s(li)}",
                    )
                )
                if h / fl > 1.5 and not profile:
                    profile = f"hccdash KM + log-rank + risk table, {label}:\n" + profile_text(
                        ours, label
                    )
    notes.append(
        "hccdash = nonparametric.kaplan_meier (3 groups, log-log CI) + compare.survdiff "
        "(log-rank) + nonparametric.risk_table at 0, 12, ..., 60 months, from the DataFrame. "
        "lifelines = KaplanMeierFitter per group + multivariate_logrank_test + the at-risk table "
        "lifelines.plotting.add_at_risk_counts computes, from numpy arrays. numpy = np.sort of the "
        "time column (a lower bound: any KM must at least order the times)."
    )
    return {"rows": rows, "targets": targets, "notes": notes, "profile": profile}


# --------------------------------------------------------------------------------------------
# case 2: Cox
def _cox_design(df):
    import pandas as pd

    x = pd.DataFrame(
        {
            "child_pugh_B": (df["child_pugh"] == "B").astype(float),
            "child_pugh_C": (df["child_pugh"] == "C").astype(float),
            "kps": df["kps"].astype(float),
            "pvtt_Yes": (df["pvtt"] == "Yes").astype(float),
            "ascites_Yes": (df["ascites"] == "Yes").astype(float),
            "treatment_IMRT+TACE": (df["treatment"] == "IMRT+TACE").astype(float),
            TIME: df[TIME].astype(float),
            EVENT: df[EVENT].astype(float),
        }
    )
    return x


def case2(quick: bool) -> dict:
    cox = need("hccdash.cox", "cox_fit")
    from lifelines import CoxPHFitter

    sizes = (10_000,) if quick else (100_000, 1_000_000)
    repeats = {10_000: 3, 100_000: 5, 1_000_000: 3}
    rows, targets = [], []
    profile = ""
    for n in sizes:
        df = cohort(n, True)
        design = _cox_design(df)

        def ours(df=df):
            covariates = list(COX_COVARIATES)
            return cox.cox_fit(df, TIME, EVENT, covariates, ties="efron", reference=COX_REFERENCE)

        def theirs(design=design):
            # precision=0 leaves lifelines' R-like criterion (relative change of the log
            # partial likelihood, r_precision) as the only stopping rule, as in coxph.control.
            return CoxPHFitter().fit(
                design,
                TIME,
                EVENT,
                fit_options={"precision": 0.0, "r_precision": COX_EPS, "max_steps": 100},
            )

        res = ours()
        lf = theirs()
        ours_coef = {t.term: t.coef for t in res.terms}
        lf_coef = lf.params_.to_dict()
        # Match terms by order: both fits use the same 6 columns in the same order.
        a = np.array(list(ours_coef.values()))
        b = np.array([lf_coef[c] for c in design.columns if c not in (TIME, EVENT)])
        coef_diff = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("nan")
        times = interleaved({"hccdash": ours, "lifelines": theirs}, repeats[n], warmup=0)
        h, li = med(times["hccdash"]), med(times["lifelines"])
        rows.append(
            {
                "n": fmt_n(n),
                "events": int(df[EVENT].sum()),
                "hccdash": fmt_s(h),
                "lifelines": fmt_s(li),
                "hccdash / lifelines": f"{h / li:.2f}x",
                "hccdash iterations": getattr(res, "iterations", "?"),
                "terms": len(res.terms),
                "max |coef diff|": f"{coef_diff:.1e}",
                "repeats": len(times["hccdash"]),
            }
        )
        detail = f"{fmt_s(h)} vs {fmt_s(li)}"
        targets.append(
            target(f"case 2 at n = {fmt_n(n)}: hccdash / lifelines", h / li, 1.0, "x", detail)
        )
        if h / li > 1.0 and not profile:
            profile = f"hccdash cox_fit, n = {fmt_n(n)}:\n" + profile_text(ours, "cox")
    notes = [
        "Covariates: child_pugh (A reference: 2 terms), kps (numeric), pvtt, ascites, treatment "
        "(IMRT reference): 6 coefficients, Efron ties, OS of the rounded-time cohort (many ties). "
        "hccdash.cox.cox_fit gets the DataFrame with string levels; lifelines gets a prebuilt "
        "numeric design matrix (its dummy coding is not timed, which favours lifelines). "
        f"Both stop on the relative change of the log partial likelihood < {COX_EPS:g} "
        "(R's coxph.control(eps=1e-12); lifelines fit_options precision=0, "
        f"r_precision={COX_EPS:g}). 'max |coef diff|' compares the two fits' coefficients."
    ]
    return {"rows": rows, "targets": targets, "notes": notes, "profile": profile}


# --------------------------------------------------------------------------------------------
# case 3: KM figure size and fidelity
def _drawn_error(fig, km) -> float:
    """Max |S_drawn - S_exact| over every exact jump (value at and just before each time)."""
    worst = 0.0
    by_name = {}
    for trace in fig.data:
        name = str(trace.name)
        if trace.mode == "lines" and trace.line.shape == "hv" and not name.endswith("CI"):
            by_name[str(trace.name)] = trace
    for curve in km.curves:
        trace = by_name.get(str(curve.group)) or by_name.get("All patients")
        if trace is None:
            raise Unavailable(f"no drawn step trace named {curve.group!r} in km_figure's output")
        x = np.asarray(trace.x, dtype=float)
        y = np.asarray(trace.y, dtype=float)
        t = np.asarray(curve.time, dtype=float)
        s = np.asarray(curve.surv, dtype=float)
        inside = t <= x[-1]
        t, s = t[inside], s[inside]
        s_before = np.concatenate([[1.0], s[:-1]])
        # Drawn right-continuous step: value at t is y of the last drawn x <= t.
        at = y[np.searchsorted(x, t, side="right") - 1]
        idx_before = np.searchsorted(x, t, side="left") - 1
        before = np.where(idx_before >= 0, y[np.maximum(idx_before, 0)], 1.0)
        worst = max(worst, float(np.max(np.abs(at - s))), float(np.max(np.abs(before - s_before))))
    return worst


def case3(quick: bool) -> dict:
    nonparametric = need("hccdash.nonparametric", "kaplan_meier")
    compare = need("hccdash.compare", "survdiff")
    figures = need("hccdash.figures", "km_figure")
    n_big = BIG or (10_000 if quick else 1_000_000)
    rows, targets = [], []
    for n in (21, 1_000, 100_000, n_big) if not quick else (21, 1_000, n_big):
        df = cohort(n, False)
        km = nonparametric.kaplan_meier(df, TIME, EVENT, group=GROUP)
        test = compare.survdiff(df, TIME, EVENT, GROUP)

        def build(km=km, test=test):
            # the risk table is computed by the caller (figures never compute statistics)
            risk = nonparametric.risk_table(km, RISK_TIMES)
            fig = figures.km_figure(km, risk=risk, test=test)
            return fig, fig.to_json()

        fig, text = build()
        size = len(text.encode())
        err = _drawn_error(fig, km)
        reps = 5 if n == n_big else 10
        times = interleaved({"build": build}, reps, warmup=0)["build"]
        points = sum(len(tr.x) if tr.x is not None else 0 for tr in fig.data)
        rows.append(
            {
                "n (exact times)": fmt_n(n),
                "distinct times": int(sum(len(c.time) for c in km.curves)),
                "points shipped": points,
                "fig.to_json() bytes": f"{size:,}",
                "build + serialise": fmt_s(med(times)),
                "max |S drawn - S exact|": f"{err:.3e}",
                "repeats": len(times),
            }
        )
        targets.append(target(f"case 3 at n = {fmt_n(n)}: figure size", size / 1e3, 500, "KB"))
        targets.append(target(f"case 3 at n = {fmt_n(n)}: drawn curve error", err, 1e-3, "S"))
    notes = [
        "km_figure(kaplan_meier(child_pugh groups), test=survdiff, risk_times=0..60 by 12) with "
        "CI bands, censor marks and the numbers-at-risk table; bytes of fig.to_json() (what "
        "st.plotly_chart ships). The error compares the drawn step trace with the exact KM at "
        "every exact time, at the jump and just before it. The KM fit itself is not timed here "
        "(case 1)."
    ]
    return {"rows": rows, "targets": targets, "notes": notes, "profile": ""}


# --------------------------------------------------------------------------------------------
# case 4: PNG export
def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def case4(quick: bool) -> dict:
    nonparametric = need("hccdash.nonparametric", "kaplan_meier")
    compare = need("hccdash.compare", "survdiff")
    figures = need("hccdash.figures", "km_figure")
    export = need("hccdash.export", "figure_bytes")
    if hasattr(export, "chromium_available") and not export.chromium_available():
        raise Unavailable("no chromium for kaleido (apt-get install -y chromium)")
    df = cohort(1_000, True)
    km = nonparametric.kaplan_meier(df, TIME, EVENT, group=GROUP)
    fig = figures.km_figure(km, test=compare.survdiff(df, TIME, EVENT, GROUP))
    if hasattr(export, "close_session"):
        export.close_session()  # so the first call below pays the start-up, as in a new server
    t0 = time.perf_counter()
    first_png = export.figure_bytes(fig, "png", width=1920, height=1080, scale=1)
    first = time.perf_counter() - t0
    warm_n = 5 if quick else 15
    warm = []
    for _ in range(warm_n):
        t0 = time.perf_counter()
        png = export.figure_bytes(fig, "png", width=1920, height=1080, scale=1)
        warm.append(time.perf_counter() - t0)
    size = _png_size(png)
    rows = [
        {
            "figure": "KM, 3 groups, n = 1e3, risk table",
            "first call": fmt_s(first),
            "warm median": fmt_s(med(warm)),
            "warm p95": fmt_s(p95(warm)),
            "warm calls": warm_n,
            "PNG size (px)": f"{size[0]}x{size[1]}",
            "PNG bytes": f"{len(png):,}",
        }
    ]
    targets = [target("case 4: warm PNG export 1920x1080", med(warm), 0.5, "s")]
    if _png_size(first_png) != (1920, 1080) or size != (1920, 1080):
        targets.append(target("case 4: PNG pixel size is 1920x1080", 1.0, 0.0, "bool", str(size)))
    notes = [
        "hccdash.export.figure_bytes(fig, 'png', 1920, 1080, scale=1) through kaleido on Debian's "
        "chromium; the first call starts the browser (after export.close_session()), warm calls "
        "reuse it."
    ]
    return {"rows": rows, "targets": targets, "notes": notes, "profile": ""}


# --------------------------------------------------------------------------------------------
# cases 5 and 6: in the browser
def _e2e():
    """The e2e suite's server and page helpers (tests/e2e/e2e_harness.py), imported by path."""
    path = ROOT / "tests" / "e2e" / "e2e_harness.py"
    spec = importlib.util.spec_from_file_location("e2e_harness", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def case5(quick: bool) -> dict:
    import browser_cases

    return browser_cases.case5(quick, _e2e(), cohort, BIG or (10_000 if quick else 1_000_000))


def case6(quick: bool) -> dict:
    import browser_cases

    return browser_cases.case6(quick, _e2e(), cohort, BIG or (10_000 if quick else 1_000_000))


def case7(quick: bool) -> dict:
    import load_case

    return load_case.case7(quick, _e2e())


CASES: dict[int, tuple[str, Callable[[bool], dict]]] = {
    1: ("Kaplan-Meier + log-rank + risk table (3 groups)", case1),
    2: ("Cox proportional hazards, 6 coefficients, Efron", case2),
    3: ("KM figure: bytes shipped, build + serialise, fidelity", case3),
    4: ("PNG export 1920x1080", case4),
    5: ("In the browser: filter change to redrawn KM curve; bookmarked URL", case5),
    6: ("Peak memory of the app with the 1e6 cohort on the KM page", case6),
    7: ("Many users: concurrent filter changes, server CPU per rerun (n = 21)", case7),
}


# --------------------------------------------------------------------------------------------
# running and reporting
def run_case(number: int, quick: bool) -> dict:
    title, fn = CASES[number]
    record = {"case": number, "title": title, "started": now(), "loadavg_before": loadavg()}
    t0 = time.perf_counter()
    try:
        record.update(fn(quick))
        record["status"] = "ok"
    except Unavailable as exc:
        record.update(status="unavailable", message=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crashing piece is reported in RESULTS.md
        record.update(
            status="error",
            message=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc()[-3000:],
        )
    record["seconds"] = round(time.perf_counter() - t0, 1)
    record["loadavg_after"] = loadavg()
    record["quick"] = quick
    return record


def _table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        out.append("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    return out


def _fmt_value(t: dict) -> str:
    v = t["value"]
    if v is None:
        return "–"
    if t["unit"] == "s":
        return fmt_s(v)
    if t["unit"] == "S":
        return f"{v:.3e}"
    if t["unit"] == "x":
        return f"{v:.2f}x"
    return f"{v:,.1f} {t['unit']}"


def _fmt_limit(t: dict) -> str:
    return _fmt_value({**t, "value": t["limit"]})


def _miss(t: dict) -> str:
    if t["met"]:
        return "met"
    if t["value"] is None:
        return "not measured"
    if t["limit"] > 0:
        return f"MISSED ({t['value'] / t['limit']:.2f} times the limit)"
    return "MISSED"


def render(records: dict[int, dict], info: dict, out_dir: Path) -> str:
    lines = [
        "# hccdash benchmark results",
        "",
        "Written by `python bench/run.py` (see `bench/README.md`); every number below was "
        "measured by the run that wrote it. Medians of repeated runs; ratios against a baseline "
        "measured in the same run, interleaved round-robin so machine load hits both alike.",
        "",
        "## Machine",
        "",
        f"- CPU: {info.get('cpu_model')}; nproc {info.get('nproc')} "
        f"(usable {info.get('usable_cpus')}); memory {info.get('mem_total_gb')} GB "
        f"({info.get('mem_available_gb')} GB available at the start)",
        f"- {info.get('platform')}, Python {info.get('python')}; repository at "
        f"commit {info.get('git_head')} (plus uncommitted work of other developers, if any)",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(info.get("versions", {}).items())),
        "- The machine is shared: other work (other developers' tests) may have been running. "
        "The load average before and after each case is recorded with it; treat absolute "
        "times as upper bounds and ratios as the comparison.",
        "",
        "## Targets",
        "",
        "| target | measured | limit | verdict |",
        "|---|---|---|---|",
    ]
    for number in sorted(records):
        rec = records[number]
        if rec["status"] != "ok":
            lines.append(f"| case {number} | {rec['status']}: {rec.get('message', '')} | | |")
            continue
        for t in rec.get("targets", []):
            detail = f" ({t['detail']})" if t.get("detail") else ""
            lines.append(
                f"| {t['target']} | {_fmt_value(t)}{detail} | {_fmt_limit(t)} | {_miss(t)} |"
            )
    notes_file = BENCH / "notes.md"
    if notes_file.exists():
        lines += ["", "## What bounds the misses", "", notes_file.read_text().strip()]
    for number in sorted(records):
        rec = records[number]
        lines += [
            "",
            f"## Case {number}: {rec['title']}",
            "",
            f"Measured {rec['started']} in {rec['seconds']} s; load average "
            f"{rec['loadavg_before']} before, {rec['loadavg_after']} after"
            + ("; QUICK (small sizes, development only)" if rec.get("quick") else "")
            + ".",
            "",
        ]
        if rec["status"] != "ok":
            lines.append(f"**Not measured ({rec['status']})**: {rec.get('message', '')}")
            if rec.get("traceback"):
                lines += ["", "```", rec["traceback"].strip(), "```"]
            continue
        lines += _table(rec.get("rows", []))
        for extra_rows in rec.get("extra_tables", []):
            lines += ["", *_table(extra_rows)]
        for note in rec.get("notes", []):
            lines += ["", note]
        if rec.get("profile"):
            lines += ["", "Profile (what bounds the time):", "", "```"]
            lines += [rec["profile"], "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=int, action="append", choices=sorted(CASES))
    parser.add_argument("--quick", action="store_true", help="small sizes, into bench/.scratch/")
    parser.add_argument("--big", type=int, help="size of the large cohort of cases 3, 5 and 6")
    parser.add_argument(
        "--render", action="store_true", help="only rebuild RESULTS.md from the stored results"
    )
    args = parser.parse_args(argv)
    global BUDGET, BIG
    BIG = args.big
    BUDGET = 1.5 if args.quick else BUDGET
    out_dir = BENCH / ".scratch" if args.quick else BENCH
    results_dir = out_dir / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(BENCH))
    machine_file = results_dir / "machine.json"
    if args.render and machine_file.exists():
        info = json.loads(machine_file.read_text())
    else:
        info = machine()
        machine_file.write_text(json.dumps(info, indent=1))
    for number in [] if args.render else (args.case or sorted(CASES)):
        print(f"case {number}: {CASES[number][0]} ...", flush=True)
        record = run_case(number, args.quick)
        (results_dir / f"case{number}.json").write_text(json.dumps(record, indent=1))
        verdicts = ", ".join(_miss(t) for t in record.get("targets", []))
        print(
            f"case {number}: {record['status']} in {record['seconds']} s"
            + (f" ({record.get('message')})" if record["status"] != "ok" else f": {verdicts}"),
            flush=True,
        )
    records = {}
    for path in sorted(results_dir.glob("case*.json")):
        rec = json.loads(path.read_text())
        records[int(rec["case"])] = rec
    text = render(records, info, out_dir)
    (out_dir / "RESULTS.md").write_text(text)
    print(f"wrote {out_dir / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
