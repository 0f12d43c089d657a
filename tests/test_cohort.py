"""The bundled reconstructed cohort and its generator (issue 4).

Fidelity figures are recomputed here from the shipped CSV with hccdash.nonparametric and
hccdash.compare (both checked against R by their own tests), and the generator's fast kernels
are checked against lifelines and hccdash.compare. ``tests/reference/cohort_table1.R`` ran R
on the shipped CSV; its printed medians and p values are in ``cohort_table1.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test, multivariate_logrank_test

from hccdash.cohort import generator as gen
from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.cohort.fastkm import Layout, km_medians, km_surv, logrank, risk_tables, surv_at
from hccdash.cohort.published import load_published
from hccdash.compare import survdiff
from hccdash.nonparametric import kaplan_meier, median_survival, survival_at
from hccdash.schema import BUNDLED_CSV, OS, PFS

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "data" / "reconstruction_report.md"
REFERENCE = ROOT / "tests" / "reference" / "cohort_table1.json"
PUB = load_published()


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    # keep_default_na=False: the failure code "None" must stay a string.
    return pd.read_csv(BUNDLED_CSV, dtype={"patient_id": str}, keep_default_na=False)


def _levels(factor):
    return factor.levels or factor.cut_labels


def _subset(data, factor):
    values = factor.values(data)
    keep = values.notna().to_numpy()
    out = data.loc[keep].copy()
    out["_level"] = values[keep].astype(str).to_numpy()
    return out


# ---------------------------------------------------------------- the shipped rows -------
def test_columns_and_codes(cohort):
    assert tuple(cohort.columns) == gen.CSV_COLUMNS
    assert len(cohort) == 21
    assert list(cohort["patient_id"]) == [f"P{i:02d}" for i in range(1, 22)]
    codes = {
        "sex": {"Male", "Female"},
        "child_pugh": {"A", "B", "C"},
        "pvtt": {"Yes", "No"},
        "cirrhosis": {"Yes", "No"},
        "ascites": {"Yes", "No"},
        "treatment": {"IMRT+TACE", "IMRT"},
        "metastatic_site": {"Lung", "Lymph node", "Brain", "Adrenal", "Bone"},
        "failure_pattern": {"Intrahepatic", "Extrahepatic", "None"},
        "intrahepatic_response": {"CR", "PR", "SD", "PD"},
        "extrahepatic_response": {"CR", "PR", "NE"},
        "tace_fever": {"Yes", "No"},
    }
    for col, allowed in codes.items():
        assert set(cohort[col]) <= allowed, col
    assert set(cohort["kps"]) <= {60, 70, 80, 90, 100}
    assert cohort["os_event"].isin([0, 1]).all() and cohort["pfs_event"].isin([0, 1]).all()


def test_table1_counts_exact(cohort):
    for factor, prow in zip(PAPER_FACTORS, PUB["table1_univariate"]["factors"], strict=True):
        counts = factor.values(cohort).value_counts()
        got = [int(counts.get(level, 0)) for level in _levels(factor)]
        assert got == [lv["n"] for lv in prow["levels"]], factor.label
    assert (cohort["failure_pattern"] == "None").sum() == 3
    assert cohort["os_event"].sum() == 18 and (cohort["os_event"] == 0).sum() == 3
    assert int(np.median(cohort["age_years"])) == 56


def test_times_are_plausible(cohort):
    os_t, pfs_t = cohort["os_months"], cohort["pfs_months"]
    assert os_t.min() == 3.0 and os_t.max() == 55.0
    assert (pfs_t <= os_t).all()
    assert np.allclose(os_t * 10, np.round(os_t * 10)) and np.allclose(
        pfs_t * 10, np.round(pfs_t * 10)
    )
    progressed = cohort["failure_pattern"] != "None"
    died = cohort["os_event"] == 1
    assert (cohort["pfs_event"] == (progressed | died).astype(int)).all()
    assert (pfs_t[progressed] <= os_t[progressed] - 1.0 + 1e-9).all()
    assert (pfs_t[~progressed] == os_t[~progressed]).all()
    assert (os_t[~died] >= 6.0).all()  # survivors followed at least to the end of accrual
    assert (pfs_t >= 1.0).all()


def test_covariates_are_coherent(cohort):
    kps_high = cohort["kps"] > 70
    assert kps_high.sum() == 11
    c = cohort
    assert (c.loc[c["child_pugh"] == "C", "ascites"] == "Yes").all()
    assert (c.loc[c["child_pugh"] == "C", "kps"] <= 70).all()
    assert (c.loc[c["ascites"] == "Yes", "cirrhosis"] == "Yes").all()
    assert (c.loc[c["child_pugh"] != "A", "cirrhosis"] == "Yes").all()
    dose, frac, n = c["rt_dose_gy"], c["rt_fraction_gy"], c["rt_fractions"]
    assert (dose == frac * n).all()
    two = frac == 2
    assert dose[two].between(44, 66).all() and n[two].between(22, 33).all()
    assert dose[~two].between(36, 45).all() and n[~two].between(12, 15).all()
    tace = c["treatment"] == "IMRT+TACE"
    assert (c.loc[tace, "tace_cycles"].isin([1, 2])).all()
    assert (c.loc[~tace, "tace_cycles"] == 0).all()


def test_responses_and_toxicity_counts(cohort):
    intra = cohort["intrahepatic_response"].value_counts().to_dict()
    assert intra == {"PR": 14, "CR": 3, "SD": 3, "PD": 1}
    extra = cohort["extrahepatic_response"].value_counts().to_dict()
    assert extra == {"PR": 10, "CR": 6, "NE": 5}
    assert (cohort.loc[cohort["extrahepatic_response"] == "NE", "metastatic_site"] == "Bone").all()
    bone = cohort["metastatic_site"] == "Bone"
    assert (cohort.loc[bone, "bone_pain_relief"] == "Yes").sum() == 5
    gi, chest = cohort["tox_anorexia_nausea_grade"], cohort["tox_chest_dyspnea_grade"]
    assert gi.between(1, 2).sum() == 16 and chest.between(1, 2).sum() == 3
    assert gi.max() <= 2 and chest.max() <= 2
    tace = cohort["treatment"] == "IMRT+TACE"
    assert (cohort.loc[tace, "tace_fever"] == "Yes").all()
    assert (cohort.loc[~tace, "tace_fever"] == "No").all()
    pd_row = cohort[cohort["intrahepatic_response"] == "PD"].iloc[0]
    assert pd_row["pfs_months"] < 6.0  # "recurrence within 6 months after treatment"


# ---------------------------------------------------------------- fidelity ---------------
def test_overall_medians_and_landmarks(cohort):
    os_curve = kaplan_meier(cohort, OS.time, OS.event).curves[0]
    pfs_curve = kaplan_meier(cohort, PFS.time, PFS.event).curves[0]
    assert abs(median_survival(os_curve).median - 21.0) <= 0.5
    assert abs(median_survival(pfs_curve).median - 9.1) <= 0.5
    os_at = survival_at(os_curve, [12, 24, 36, 48]).surv
    assert np.all(np.abs(os_at - np.array([0.83, 0.35, 0.09, 0.04])) <= 0.03), os_at
    pfs_at = survival_at(pfs_curve, [12]).surv
    assert abs(pfs_at[0] - 0.43) <= 0.03


def test_subgroup_medians_within_two_months(cohort):
    within, scored = 0, 0
    for factor, prow in zip(PAPER_FACTORS, PUB["table1_univariate"]["factors"], strict=True):
        sub = _subset(cohort, factor)
        for ep, key in ((PFS, "pfs"), (OS, "os")):
            km = kaplan_meier(sub, ep.time, ep.event, group="_level", levels=list(_levels(factor)))
            for curve, plevel in zip(km.curves, prow["levels"], strict=True):
                want = plevel[f"median_{key}"]
                if want is None:
                    continue
                scored += 1
                got = median_survival(curve).median
                within += got is not None and abs(got - want) <= 2.0
    assert scored == 48
    assert within >= 44


def test_logrank_p_values(cohort):
    dlog = []
    for factor, prow in zip(PAPER_FACTORS, PUB["table1_univariate"]["factors"], strict=True):
        sub = _subset(cohort, factor)
        if factor.column == "failure_pattern":
            assert len(sub) == 18
        for ep, key in ((PFS, "pfs"), (OS, "os")):
            p = survdiff(sub, ep.time, ep.event, "_level", levels=list(_levels(factor))).p_value
            want = prow[f"p_{key}"]
            assert (p < 0.05) == (want < 0.05), (factor.label, key, p, want)
            dlog.append(abs(math.log10(p) - math.log10(want)))
    assert len(dlog) == 22
    assert float(np.median(dlog)) <= 0.1


def test_r_agrees_on_the_shipped_cohort(cohort):
    """R 4.2, survival: for each Table 1 factor and endpoint,
    ``survdiff(Surv(t, e) ~ g)`` and ``summary(survfit(Surv(t, e) ~ g))$table[, "median"]``
    on the shipped CSV (tests/reference/cohort_table1.R)."""
    ref = json.loads(REFERENCE.read_text())
    if ref["csv_sha256"] != __import__("hashlib").sha256(BUNDLED_CSV.read_bytes()).hexdigest():
        pytest.fail("cohort_table1.json is for another CSV: rerun tests/reference/cohort_table1.R")
    for row in ref["tests"]:
        factor = next(f for f in PAPER_FACTORS if f.column == row["column"])
        sub = _subset(cohort, factor)
        ep = OS if row["endpoint"] == "os" else PFS
        res = survdiff(sub, ep.time, ep.event, "_level", levels=list(_levels(factor)))
        assert res.chisq == pytest.approx(row["chisq"], rel=1e-6)
        assert res.p_value == pytest.approx(row["p"], rel=1e-6)
        km = kaplan_meier(sub, ep.time, ep.event, group="_level", levels=list(_levels(factor)))
        for curve in km.curves:
            r_med = row["medians"][curve.group]
            got = median_survival(curve).median
            assert (got is None) == (r_med is None)
            if got is not None:
                assert got == pytest.approx(r_med, rel=1e-9)


# ---------------------------------------------------------------- fast kernels -----------
def _random_case(rng, n, k, tie_grid):
    time = rng.integers(1, tie_grid, size=n)
    event = rng.random(n) < 0.7
    event[0] = True
    group = rng.integers(0, k, size=n)
    group[:k] = np.arange(k)
    return time, event, group


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_fast_logrank_matches_lifelines_and_compare(seed):
    rng = np.random.default_rng(seed)
    for k in (2, 3, 5):
        time, event, group = _random_case(rng, 25, k, 12 if seed % 2 else 200)
        ind = np.zeros((time.size, k + 1))
        ind[np.arange(time.size), group] = 1.0
        ind[:, k] = 1.0  # an extra column (all patients) that no factor uses
        layout = (
            Layout(np.array([[0, 1]]), ())
            if k == 2
            else Layout(np.zeros((0, 2), dtype=int), (np.arange(k),))
        )
        _, at, ev = risk_tables(time, event, ind)
        chisq, p = logrank(at, ev, layout)
        df = pd.DataFrame({"t": time, "e": event.astype(int), "g": group.astype(str)})
        if k == 2:
            ll = logrank_test(
                time[group == 0], time[group == 1], event[group == 0], event[group == 1]
            )
        else:
            ll = multivariate_logrank_test(time, group, event)
        assert chisq[0] == pytest.approx(ll.test_statistic, rel=1e-9)
        assert p[0] == pytest.approx(ll.p_value, rel=1e-9)
        sd = survdiff(df, "t", "e", "g")
        assert chisq[0] == pytest.approx(sd.chisq, rel=1e-9)
        assert p[0] == pytest.approx(sd.p_value, rel=1e-9)


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_fast_medians_and_landmarks_match_nonparametric(seed):
    rng = np.random.default_rng(seed)
    # Few distinct times and even group sizes make exact-0.5 steps (R's midpoint rule) common.
    time, event, group = _random_case(rng, 24, 3, 8)
    ind = np.zeros((time.size, 3))
    ind[np.arange(time.size), group] = 1.0
    u, at, ev = risk_tables(time, event, ind)
    surv = km_surv(at, ev)
    fast = km_medians(u.astype(float), surv)
    df = pd.DataFrame({"t": time, "e": event.astype(int), "g": group.astype(str)})
    km = kaplan_meier(df, "t", "e", group="g", levels=["0", "1", "2"])
    for c, curve in enumerate(km.curves):
        med = median_survival(curve).median
        assert (med is None) == math.isnan(fast[c])
        if med is not None:
            assert fast[c] == med
        want = survival_at(curve, [2.0, 4.5, 7.0]).surv
        np.testing.assert_allclose(
            surv_at(u.astype(float), surv[:, c], np.array([2.0, 4.5, 7.0])), want, rtol=1e-12
        )


def test_fast_stats_equal_hccdash_on_the_shipped_cohort(cohort):
    """The generator's own view of the shipped file equals hccdash's (same p, same medians)."""
    targets = gen.build_targets(PUB)
    frame = cohort
    codes = np.zeros((21, len(gen.FACTORS)), dtype=np.int64)
    for f, (spec, factor) in enumerate(zip(gen.FACTORS, PAPER_FACTORS, strict=True)):
        values = factor.values(frame)
        order = list(_levels(factor))
        codes[:, f] = [order.index(v) if v in order else gen.NONE_CODE for v in values.fillna("")]
        assert spec.counts == tuple(int((codes[:, f] == i).sum()) for i in range(len(order)))
    state = gen.State(
        codes,
        (frame["os_event"] == 0).to_numpy(),
        np.round(frame["os_months"] * 10).astype(np.int64).to_numpy(),
        np.round(frame["pfs_months"] * 10).astype(np.int64).to_numpy(),
    )
    st = gen.compute_stats(state, targets)
    for f, factor in enumerate(PAPER_FACTORS):
        sub = _subset(frame, factor)
        for e, ep in enumerate((PFS, OS)):
            p = survdiff(sub, ep.time, ep.event, "_level", levels=list(_levels(factor))).p_value
            assert st.p[e, f] == pytest.approx(p, rel=1e-9)


# ---------------------------------------------------------------- the generator ----------
def test_search_is_deterministic_and_respects_constraints():
    targets = gen.build_targets(PUB)
    a = gen.search(targets, seed=7, iterations=1500)
    b = gen.search(targets, seed=7, iterations=1500)
    assert a.score == b.score and a.accepted == b.accepted
    assert np.array_equal(a.state.os, b.state.os) and np.array_equal(a.state.codes, b.state.codes)
    assert gen.covariates_ok(a.state.codes) and gen.outcomes_ok(a.state)
    frame = gen.materialize(a.state, seed=7)
    assert gen.to_csv_bytes(frame) == gen.to_csv_bytes(gen.materialize(b.state, seed=7))
    c = gen.search(targets, seed=8, iterations=1500)
    assert not np.array_equal(a.state.os, c.state.os)


@pytest.mark.slow
def test_a_search_stopped_and_resumed_is_the_uninterrupted_search():
    """What lets ``test_cohort_search.py`` replay the shipped run in spans from saved
    checkpoints (``make_checkpoints.py --check`` replays it whole): a 3,000-iteration search
    resumed from a JSON checkpoint at 1,000 and 2,000 ends where the uninterrupted one ends,
    and gives the same CSV and report as ``generate``."""
    import json

    from hccdash.cohort import search as s

    targets = gen.build_targets(load_published())
    whole = gen.generate(seed=3, iterations=3000)
    ratio = s.ratio_of(3000)
    pr = s.start(targets, seed=3)
    for stop in (1000, 2000, 3000):
        s.advance(pr, targets, stop, ratio)
        pr = s.progress_from_json(json.loads(json.dumps(s.progress_to_json(pr))))
    resumed = gen.outputs(s.finish(pr, targets), seed=3)
    assert (resumed.score, resumed.accepted) == (whole.score, whole.accepted)
    assert resumed.csv == whole.csv and resumed.report == whole.report
    assert pr.done == 3000 and resumed.accepted > 0


def test_cli_writes_then_checks_identical_files(tmp_path, capsys):
    from hccdash.cohort.__main__ import main

    assert main(["--iterations", "300", "--seed", "3", "--out-dir", str(tmp_path)]) == 0
    csv = (tmp_path / "hcc_oligomets_reconstructed.csv").read_bytes()
    report = (tmp_path / "reconstruction_report.md").read_text(encoding="utf-8")
    assert csv.startswith(b"patient_id,age_years,sex,")
    assert "seed 3, 300 iterations" in report
    assert main(["--iterations", "300", "--seed", "3", "--out-dir", str(tmp_path), "--check"]) == 0
    (tmp_path / "hcc_oligomets_reconstructed.csv").write_bytes(csv.replace(b"P01", b"P99"))
    assert main(["--iterations", "300", "--seed", "3", "--out-dir", str(tmp_path), "--check"]) == 1
    assert "DIFFERENT" in capsys.readouterr().out
