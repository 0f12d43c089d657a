"""hccdash.tables (the paper's Table 1 and Table 2) against R on a frozen cohort snapshot.

``tests/reference/cox/hcc_cohort_snapshot.csv`` is a copy of the bundled reconstructed cohort;
``Rscript tests/reference/cox/tables_reference.R`` derived the factor levels independently
(same cut points) and wrote, per factor and endpoint,
``summary(survfit(Surv(t, s) ~ g, conf.type = "log-log"))$table`` and
``survdiff(Surv(t, s) ~ g)``, and per endpoint
``summary(coxph(Surv(t, s) ~ child_pugh + pvtt + kps + treatment + rt_dose_gy +
failure_pattern + ascites, control = coxph.control(eps = 1e-12, iter.max = 100)))``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.cohort.bundled import PAPER_COX_FACTORS, PAPER_FACTORS
from hccdash.errors import InputError
from hccdash.schema import OS, PFS, Factor
from hccdash.tables import multivariable_table, univariate_table

REF = Path(__file__).parent / "reference" / "cox"
REL = 1e-6


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "hcc_cohort_snapshot.csv", dtype={"patient_id": str})


@pytest.fixture(scope="module")
def table1(cohort):
    return univariate_table(cohort, PAPER_FACTORS, [PFS, OS])


def r_value(x) -> float | None:
    return None if pd.isna(x) else float(x)


def test_univariate_table_matches_r(table1):
    """R: ``summary(survfit(Surv(t, s) ~ g, conf.type = "log-log"))$table`` (n.start, events,
    median, 0.95LCL, 0.95UCL; NA = not reached) and ``survdiff(Surv(t, s) ~ g)`` p."""
    r = pd.read_csv(REF / "tables_univariate.csv")
    by_factor = {f.column: f for f in PAPER_FACTORS}
    rows = {(row.column, row.level): row for row in table1.rows}
    assert len(table1.rows) == r[r.endpoint == "pfs"].shape[0] == 26
    for _, rr in r.iterrows():
        factor = by_factor[rr.column]
        level = (factor.levels or factor.cut_labels)[rr.level - 1]
        row = rows[(rr.column, level)]
        cell = next(c for c in row.cells if c.endpoint == rr.endpoint)
        assert (cell.n, cell.events) == (rr.n, rr.events)
        for ours, theirs in ((cell.median, rr["median"]), (cell.lower, rr["lower"]),
                             (cell.upper, rr["upper"])):  # fmt: skip
            if r_value(theirs) is None:
                assert ours is None
            else:
                assert ours == pytest.approx(theirs, rel=REL)
        test = table1.test(rr.column, rr.endpoint)
        assert test.chisq == pytest.approx(rr.chisq, rel=REL)
        assert test.p_value == pytest.approx(rr.p, rel=REL)


def test_univariate_frame_layout(table1):
    df = table1.to_frame()
    assert list(df.columns[:3]) == ["factor", "level", "n"]
    assert list(df.columns[3:8]) == [
        f"pfs_{c}" for c in ("events", "median", "lower", "upper", "p")
    ]
    assert df.columns[-1] == "os_p"
    cp = df[df.factor == "Child-Pugh class"]
    assert list(cp.level) == ["A", "B", "C"]
    assert list(cp.n) == [14, 5, 2]
    # p printed once per factor (first level row), as the paper does
    assert np.isfinite(cp.pfs_p.iloc[0]) and cp.pfs_p.iloc[1:].isna().all()
    # failure mode compares the 18 patients who failed ("None" is excluded)
    fm = df[df.factor == "Failure mode"]
    assert list(fm.level) == ["Intrahepatic", "Extrahepatic"]
    assert fm.n.sum() == 18
    # medians not reached are NaN, not errors
    assert df.pfs_upper.isna().any()


def test_single_level_and_no_event_groups_are_messages(cohort):
    d = cohort.assign(sex="Male")
    t = univariate_table(d, [Factor("sex", "Sex", levels=("Male", "Female"))], [OS])
    test = t.test("sex", "os")
    assert test.p_value is None and test.message
    assert len(t.rows) == 1 and t.rows[0].n == 21
    d = cohort.assign(os_event=np.where(cohort.child_pugh == "C", 0, cohort.os_event))
    t = univariate_table(d, [Factor("child_pugh", "Child-Pugh", levels=("A", "B", "C"))], [OS])
    c_row = next(r for r in t.rows if r.level == "C")
    assert c_row.cells[0].events == 0
    assert c_row.cells[0].median is None
    assert t.to_frame().os_median.isna().iloc[2]


@pytest.fixture(scope="module")
def table2(cohort):
    return multivariable_table(cohort, PAPER_FACTORS, [PFS, OS], rule="univariate_p<=0.05")


def test_paper_rule_enters_the_papers_seven_factors(table2):
    labels = {f.column: f.label for f in PAPER_FACTORS}
    assert table2.entered == tuple(labels[c] for c in PAPER_COX_FACTORS)
    assert any("selection" in n and "p values" in n for n in table2.notes)
    assert len(table2.univariate_p) == 2 * len(PAPER_FACTORS)


def test_multivariable_table_matches_r(table2):
    """R: ``summary(coxph(Surv(t, s) ~ child_pugh + pvtt + kps + treatment + rt_dose_gy +
    failure_pattern + ascites, control = coxph.control(eps = 1e-12, iter.max = 100)))``;
    R's OS model diverges for Child-Pugh (coef ~ 30, se ~ 5e5): we flag those cells."""
    r = pd.read_csv(REF / "tables_multivariable.csv")
    for key in ("pfs", "os"):
        rr = r[r.endpoint == key].reset_index(drop=True)
        model = table2.model(key)
        assert (model.n, model.events) == (rr.n[0], rr.events[0])
        cells = [next(c for c in row.cells if c.endpoint == key) for row in table2.rows]
        assert len(cells) == len(rr)
        for cell, (_, x) in zip(cells, rr.iterrows(), strict=True):
            if x.coef > 20:
                assert cell.separated
                continue
            assert not cell.separated
            assert cell.hr == pytest.approx(x.hr, rel=REL)
            assert cell.lower == pytest.approx(x.lower, rel=REL)
            assert cell.upper == pytest.approx(x.upper, rel=REL)
            assert cell.p_value == pytest.approx(x.p, rel=REL)
    assert any("separation" in m for m in table2.messages)
    assert any("left out" in m and "failure" in m.lower() for m in table2.messages)


def test_multivariable_frame_layout(table2):
    df = table2.to_frame()
    assert list(df.columns[:3]) == ["factor", "level", "reference"]
    assert "pfs_hr_ci" in df.columns and "os_separated" in df.columns
    cp = df[df.factor == "Child-Pugh class"]
    assert list(cp.level) == ["B", "C"] and set(cp.reference) == {"A"}
    assert cp.os_separated.all()
    row = df[df.factor == "Ascites"].iloc[0]
    assert row.pfs_hr_ci == f"{row.pfs_hr:.3g} ({row.pfs_lower:.3g}–{row.pfs_upper:.3g})"


def test_rule_all_and_penalized_refit(cohort):
    factors = [f for f in PAPER_FACTORS if f.column in ("child_pugh", "kps", "ascites")]
    t = multivariable_table(cohort, factors, [OS], rule="all", penalized=True)
    assert t.entered == tuple(f.label for f in factors)
    assert t.model("os").penalized
    assert all(np.isfinite(c.hr) for row in t.rows for c in row.cells)
    assert any("overfits" in n for n in t.notes)


def test_unfittable_model_is_a_message(cohort):
    d = cohort.assign(os_event=0)
    t = multivariable_table(d, PAPER_FACTORS[:3], [OS], rule="all")
    assert t.model("os") is None
    assert any("not fitted" in m for m in t.messages)
    assert all(np.isnan(c.hr) for row in t.rows for c in row.cells)


def test_bad_arguments_raise(cohort):
    with pytest.raises(InputError, match="rule must be one of"):
        multivariable_table(cohort, PAPER_FACTORS, [OS], rule="stepwise")
    with pytest.raises(InputError, match=r"\['nope'\] are not in the data"):
        univariate_table(cohort, [Factor("nope", "Nope")], [OS])
