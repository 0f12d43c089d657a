"""The engine (DuckDB, pushed-down counts) equals the in-memory path to 1e-10.

The in-memory functions are themselves checked against R in test_nonparametric.py and
test_compare.py (``tests/reference/km/km_reference.R``: ``survfit``, ``summary(fit, times=)``,
``print(fit, rmean=)``, ``survdiff(rho=)``, the explicit ``wlr()``), on the same CSVs used
here, so equality with them is equality with R. Here every dataset of
``tests/reference/km/data`` runs through both paths, from a frame, a CSV and a Parquet file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash import compare, nonparametric, synth
from hccdash.engine import open_source, where
from hccdash.engine import survival as es
from hccdash.errors import AnalysisError, FileReadError, InputError

REF = Path(__file__).parent / "reference" / "km"
DATASETS = ("lung", "waltons", "veterans", "gbsg2", "hand", "nearties")
REL = 1e-10
METHODS = [
    ("logrank", 0, 0),
    ("wilcoxon", 0, 0),
    ("tarone-ware", 0, 0),
    ("peto", 0, 0),
    ("fleming-harrington", 0.5, 0.5),
    ("fleming-harrington", 0, 1),
]


def _fixture(name: str) -> dict:
    return json.loads((REF / "fixtures" / f"{name}.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"{name}.csv")


def same(a, b, rel: float = REL) -> None:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rel, atol=1e-13)


def same_km(ours: nonparametric.KMResult, ref: nonparametric.KMResult) -> None:
    assert ours.levels == ref.levels
    assert (ours.n, ours.events, ours.dropped) == (ref.n, ref.events, ref.dropped)
    for a, b in zip(ours.curves, ref.curves, strict=True):
        np.testing.assert_array_equal(a.time, b.time)
        for f in ("n_risk", "n_event", "n_censor"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        for f in ("surv", "std_err", "lower", "upper"):
            same(getattr(a, f), getattr(b, f))
        assert (a.n, a.events) == (b.n, b.events)


def same_test(ours: compare.SurvdiffResult, ref: compare.SurvdiffResult) -> None:
    assert ours.groups == ref.groups
    np.testing.assert_array_equal(ours.n, ref.n)
    np.testing.assert_array_equal(ours.events, ref.events)
    same(ours.observed, ref.observed)
    same(ours.expected, ref.expected)
    same(ours.var, ref.var)
    assert ours.df == ref.df
    assert ours.chisq == pytest.approx(ref.chisq, rel=REL)
    assert ours.p_value == pytest.approx(ref.p_value, rel=REL)


@pytest.fixture(scope="module", params=DATASETS)
def case(request):
    name = request.param
    data = _data(name)
    return name, data, _fixture(name), open_source(data)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_and_summaries_equal_in_memory(case, conf_type):
    """R: survfit(Surv(time, status) ~ <group>, conf.type=), summary(fit, times=), print(fit,
    rmean=tau): through the in-memory functions, which test_nonparametric checks against R."""
    _, data, fx, src = case
    g = fx["group"]
    ours = es.km(es.count_table(src, "time", "status", g), conf_type=conf_type)
    ref = nonparametric.kaplan_meier(data, "time", "status", g, conf_type=conf_type)
    same_km(ours, ref)
    for a, b in zip(ours.curves, ref.curves, strict=True):
        ma, mb = nonparametric.median_survival(a), nonparametric.median_survival(b)
        assert (ma.median, ma.lower, ma.upper) == (mb.median, mb.lower, mb.upper)
        sa = nonparametric.survival_at(a, fx["times"])
        sb = nonparametric.survival_at(b, fx["times"])
        for f in ("n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
            same(getattr(sa, f), getattr(sb, f))
        ra, rb = nonparametric.rmst(a, fx["tau"]), nonparametric.rmst(b, fx["tau"])
        assert ra.estimate == pytest.approx(rb.estimate, rel=REL)
        assert ra.se == pytest.approx(rb.se, rel=REL)
    rt_a = nonparametric.risk_table(ours, fx["times"])
    rt_b = nonparametric.risk_table(ref, fx["times"])
    np.testing.assert_array_equal(rt_a.n_risk, rt_b.n_risk)
    np.testing.assert_array_equal(rt_a.n_event, rt_b.n_event)
    # one curve: no group column
    same_km(
        es.km(es.count_table(src, "time", "status")),
        nonparametric.kaplan_meier(data, "time", "status"),
    )


@pytest.mark.parametrize(("method", "p", "q"), METHODS)
def test_tests_equal_in_memory(case, method, p, q):
    """R: survdiff(Surv(time, status) ~ <group>, rho=) and km_reference.R's wlr(), via the
    in-memory survdiff (test_compare)."""
    _, data, fx, src = case
    g = fx["group"]
    ours = es.survdiff(es.count_table(src, "time", "status", g), method=method, p=p, q=q)
    ref = compare.survdiff(data, "time", "status", g, method=method, p=p, q=q)
    same_test(ours, ref)


@pytest.mark.parametrize("method", ["logrank", "peto"])
def test_stratified_trend_pairwise_equal_in_memory(case, method):
    """R: survdiff(... ~ g + strata(s)), the trend statistic and pairwise survdiff with
    p.adjust (km_reference.R), via the in-memory functions."""
    _, data, fx, src = case
    if "stratified" in fx:
        g, s = fx["group"], fx["stratified"]["strata"]
        ct = es.count_table(src, "time", "status", g, strata=s)
        ref = compare.survdiff(data, "time", "status", g, strata=s, method=method)
        ours = es.survdiff(ct, method=method)
        same_test(ours, ref)
        assert ours.label == ref.label
    if "trend" in fx and method == "logrank":
        v = fx["trend"]["var"]
        ours = es.trend(es.survdiff(es.count_table(src, "time", "status", v)))
        ref = compare.trend_test(data, "time", "status", v)
        assert ours.chisq == pytest.approx(ref.chisq, rel=REL)
        assert ours.scores == ref.scores
    if "pairwise" in fx:
        v = fx["pairwise"]["var"]
        ours = es.pairwise(es.count_table(src, "time", "status", v), method=method, adjust="BH")
        ref = compare.pairwise_survdiff(data, "time", "status", v, method=method, adjust="BH")
        assert len(ours.rows) == len(ref.rows) > 0
        for a, b in zip(ours.rows, ref.rows, strict=True):
            assert (a.group_a, a.group_b) == (b.group_a, b.group_b)
            assert a.chisq == pytest.approx(b.chisq, rel=REL)
            assert a.p_adjusted == pytest.approx(b.p_adjusted, rel=REL)


@pytest.mark.parametrize("kind", ["csv", "parquet", "parquet-folder", "duckdb"])
def test_files_in_place_equal_the_frame(tmp_path, kind):
    """The same counts whether the cohort is a CSV, a Parquet file/folder or a DuckDB table."""
    data = _data("veterans")
    if kind == "csv":
        path = tmp_path / "v.csv"
        data.to_csv(path, index=False)
        src = open_source(path)
    elif kind == "parquet":
        path = tmp_path / "v.parquet"
        data.to_parquet(path)
        src = open_source(path)
    elif kind == "parquet-folder":
        (tmp_path / "parts").mkdir()
        data.iloc[:60].to_parquet(tmp_path / "parts" / "a.parquet")
        data.iloc[60:].to_parquet(tmp_path / "parts" / "b.parquet")
        src = open_source(tmp_path / "parts")
    else:
        import duckdb

        path = tmp_path / "v.duckdb"
        con = duckdb.connect(str(path))
        con.register("frame", data)
        con.execute('CREATE TABLE "my cohort" AS SELECT * FROM frame')
        con.close()
        src = open_source(path, table="my cohort")
    same_km(
        es.km(es.count_table(src, "time", "status", "celltype")),
        nonparametric.kaplan_meier(data, "time", "status", "celltype"),
    )


def test_synthetic_cohort_with_filters_equals_filtered_frame():
    """A 5000-patient synthetic cohort, filtered on the engine vs filtered in pandas."""
    data = synth.generate(5000, seed=7)
    src = open_source(data)
    filters = {"child_pugh": ("A", "B"), "kps": (70, 90), "ascites": ["No"]}
    sub = data[
        data["child_pugh"].isin(["A", "B"]) & data["kps"].between(70, 90) & (data.ascites == "No")
    ]
    ct = es.count_table(src, "os_months", "os_event", "treatment", filters=filters)
    same_km(es.km(ct), nonparametric.kaplan_meier(sub, "os_months", "os_event", "treatment"))
    same_test(es.survdiff(ct), compare.survdiff(sub, "os_months", "os_event", "treatment"))
    assert ct.n == len(sub)
    # continuous (unrounded) times, numeric group levels, explicit level order
    data = synth.generate(3000, seed=3, rounded=False)
    ct = es.count_table(open_source(data), "pfs_months", "pfs_event", "kps", levels=["90", "70"])
    ref = nonparametric.kaplan_meier(data, "pfs_months", "pfs_event", "kps", levels=["90", "70"])
    same_km(es.km(ct), ref)


HOSTILE_NAMES = ['a"b', "c`d", "e'f; DROP TABLE x; --", "g h", "ü\\n"]
HOSTILE_VALUES = ["x' OR '1'='1", 'y" OR 1=1 --', "z\\'; --", "ascii\\", "naïve ✓"]


def test_hostile_names_and_values_are_quoted():
    """Column names and values with quotes, backslashes, comments and semicolons filter
    exactly the rows pandas keeps, and never change the query."""
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame(
        {
            HOSTILE_NAMES[0]: rng.exponential(10, n),
            HOSTILE_NAMES[1]: rng.integers(0, 2, n),
            HOSTILE_NAMES[2]: rng.choice(HOSTILE_VALUES, n),
            HOSTILE_NAMES[3]: rng.integers(0, 100, n),
            HOSTILE_NAMES[4]: rng.choice(["p", "q"], n),
        }
    )
    src = open_source(frame)
    t, e, g, k, s = HOSTILE_NAMES
    for value in HOSTILE_VALUES:
        keep = [value, HOSTILE_VALUES[-1]]
        filt = {g: keep, k: (10, 80)}
        ct = es.count_table(src, t, e, s, filters=filt)
        sub = frame[frame[g].isin(keep) & frame[k].between(10, 80)]
        assert ct.n == len(sub) > 0
        same_km(es.km(ct), nonparametric.kaplan_meier(sub, t, e, s))
    assert src.distinct(g) == sorted(HOSTILE_VALUES)
    # a value that is an injection attempt matches nothing and still parses
    assert src.count(where(src, {g: ["' OR 1=1 --"]})) == 0
    assert src.count() == n  # the table is intact


def test_filter_specs_and_messages():
    data = _data("lung")
    src = open_source(data)
    assert src.count(where(src, {"age": {"min": 60}})) == int((data.age >= 60).sum())
    assert src.count(where(src, {"ph_ecog": ["1", "2"]})) == int(data.ph_ecog.isin([1, 2]).sum())
    assert src.count(where(src, {"sex": []})) == 0
    assert where(src, {"sex": None}) is None
    with pytest.raises(InputError, match="'nope'"):
        where(src, {"nope": ["a"]})
    with pytest.raises(InputError, match="not a number"):
        where(src, {"age": ["old"]})
    with pytest.raises(InputError, match="No rows"):
        es.count_table(src, "time", "status", filters={"age": (200, 300)})


def test_bad_data_get_clear_messages(tmp_path):
    bad = pd.DataFrame({"t": [1.0, -2.0, 3.0, -4.0], "e": [1, 0, 1, 1], "g": list("abab")})
    with pytest.raises(InputError, match=r"'t'.*2 row\(s\) with a negative.*-2\.0"):
        es.count_table(open_source(bad), "t", "e", "g")
    bad = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 1], "g": list("aba")})
    with pytest.raises(InputError, match=r"'e'.*1 row\(s\) with codes other than 0/1"):
        es.count_table(open_source(bad), "t", "e", "g")
    one = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "g": ["a", "a"]})
    with pytest.raises(AnalysisError, match="1 group"):
        es.survdiff(es.count_table(open_source(one), "t", "e", "g"))
    with pytest.raises(FileReadError, match="does not exist"):
        open_source(tmp_path / "missing.parquet")
    with pytest.raises(InputError, match="name the table"):
        (tmp_path / "x.duckdb").write_bytes(b"")
        open_source(tmp_path / "x.duckdb")
    with pytest.raises(InputError, match="HCCDASH_ENGINE"):
        open_source(one, engine="oracle")


def test_real_nan_times_and_events_are_missing_like_in_memory(tmp_path):
    """IEEE NaN (not NULL) in a DuckDB table is missing, as NaN is in a frame; a 0.5 code is
    an error even where sum(e) == sum(e^2) could not tell (exact recount)."""
    import duckdb

    frame = pd.DataFrame(
        {
            "t": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0],
            "e": [1.0, np.nan, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
            "g": ["a", "b", "a", "b", "a", "b", "a", "b"],
        }
    )
    path = tmp_path / "nan.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE c (t DOUBLE, e DOUBLE, g VARCHAR)")
    for row in frame.itertuples(index=False):
        con.execute(
            "INSERT INTO c VALUES (CAST(? AS DOUBLE), CAST(? AS DOUBLE), ?)",
            ["NaN" if np.isnan(row.t) else row.t, "NaN" if np.isnan(row.e) else row.e, row.g],
        )
    con.close()
    src = open_source(path, table="c")
    ct = es.count_table(src, "t", "e", "g")
    assert ct.dropped == 2
    same_km(es.km(ct), nonparametric.kaplan_meier(frame, "t", "e", "g"))
    half = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [0.5, 0.5, 1.0], "g": list("aab")})
    with pytest.raises(InputError, match=r"codes other than 0/1.*0\.5"):
        es.count_table(open_source(half), "t", "e", "g")


def test_km_view_is_the_page_interface():
    """km_view bundles what the KM page shows; each piece equals the in-memory one."""
    from hccdash.engine.view import EngineCohort

    data = synth.generate(2000, seed=5)
    cohort = EngineCohort(open_source(data))
    assert cohort.options("child_pugh") == ["A", "B", "C"]
    view = cohort.km_view(
        "pfs_months", "pfs_event", "child_pugh", filters={"treatment": ["IMRT"]},
        times=[6, 12], tau=24,
    )  # fmt: skip
    sub = data[data.treatment == "IMRT"]
    ref = nonparametric.kaplan_meier(sub, "pfs_months", "pfs_event", "child_pugh")
    same_km(view.km, ref)
    same_test(view.test, compare.survdiff(sub, "pfs_months", "pfs_event", "child_pugh"))
    np.testing.assert_array_equal(view.risk.n_risk, nonparametric.risk_table(ref, [6, 12]).n_risk)
    assert view.rmst[0].estimate == pytest.approx(
        nonparametric.rmst(ref.curves[0], 24).estimate, rel=REL
    )
    one = cohort.km_view("pfs_months", "pfs_event", "child_pugh", filters={"child_pugh": ["A"]})
    assert one.test is None and one.km.levels == ("A",)
