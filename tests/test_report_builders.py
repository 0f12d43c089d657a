"""Every table model built from real results, for the bundled cohort and for another disease.

The other disease is the Veterans' Administration lung cancer trial shipped with
scikit-survival (``sksurv.datasets.load_veterans_lung_cancer``; R ``survival::veteran``),
loaded into a :class:`hccdash.schema.Cohort` as an uploaded file would be.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from docx import Document

from hccdash.baseline import baseline_table
from hccdash.compare import survdiff
from hccdash.cox import cox_fit
from hccdash.nonparametric import kaplan_meier, landmark_table, median_table
from hccdash.report.docx import table_docx
from hccdash.report.fmt import format_hr_ci, format_p
from hccdash.report.labels import label_lookup
from hccdash.report.summary_tables import (
    baseline_model,
    response_model,
    toxicity_model,
)
from hccdash.report.survival_tables import (
    cox_merge_model,
    landmark_model,
    median_model,
    univariate_model,
)
from hccdash.response import best_response_table, response_rates, toxicity_table
from hccdash.schema import OS, Cohort, load_bundled_cohort
from hccdash.tables import univariate_table

BAD = re.compile(r"\b(None|nan|NaN|<NA>)\b")


def veterans_cohort() -> Cohort:
    from sksurv.datasets import load_veterans_lung_cancer

    x, y = load_veterans_lung_cancer()
    data = pd.DataFrame(
        {
            "patient_id": [f"V{i:03d}" for i in range(len(x))],
            "treatment": x["Treatment"].astype(str),
            "celltype": x["Celltype"].astype(str),
            "prior_therapy": x["Prior_therapy"].astype(str),
            "karnofsky_score": x["Karnofsky_score"].astype(float),
            "age_years": x["Age_in_years"].astype(float),
            "os_months": y["Survival_in_days"] / 30.4375,
            "os_event": y["Status"].astype(int),
        }
    )
    return Cohort("veterans.csv", data, "veterans.csv")


COHORTS = {"bundled": load_bundled_cohort, "veterans": veterans_cohort}


@pytest.fixture(params=list(COHORTS), scope="module")
def cohort(request) -> Cohort:
    return COHORTS[request.param]()


def _clean(table) -> None:
    texts = table.texts()
    assert texts
    bad = [t for t in texts if BAD.search(t)]
    assert not bad, bad
    doc = Document(io.BytesIO(table_docx(table)))
    word = doc.tables[0]
    assert len(word.columns) == 1 + len(table.columns)
    assert len(word.rows) == len(table.header) + len(table.rows)
    cells = " ".join(c.text for r in word.rows for c in r.cells)
    assert not BAD.search(cells)


def test_baseline_has_header_and_levels_and_journal_p(cohort):
    bt = baseline_table(cohort.data, by="treatment")
    t = baseline_model(bt, label_lookup(cohort), by_label="Treatment", p_style="journal")
    _clean(t)
    assert t.columns[0] == f"Overall (N={cohort.n})"
    assert t.columns[-1] == "p-value"
    assert len(t.columns) == 2 + len(bt.groups)
    # every categorical variable is printed once, as a header row, its levels under it
    labels = [r.label for r in t.rows if r.kind == "header"]
    assert len(labels) == len(set(labels))
    for test in bt.tests:
        if test.p_value is not None:
            row = next(r for r in t.rows if r.label == label_lookup(cohort)(test.variable))
            assert row.cells[-1].startswith(format_p(test.p_value))
    assert any(n.startswith("¹ ") for n in t.footnotes)


def test_bundled_baseline_uses_cohort_labels():
    cohort = load_bundled_cohort()
    t = baseline_model(baseline_table(cohort.data, by="treatment"), label_lookup(cohort))
    labels = {r.label for r in t.rows}
    assert "Child-Pugh class" in labels
    assert "Tace cycles" in labels  # no label known: readable, not snake_case
    assert "child_pugh" not in labels


def test_univariate_model_matches_table(cohort):
    factors = [f for f in cohort.factors() if f.column in ("treatment", "celltype", "child_pugh")]
    eps = cohort.endpoints()
    ut = univariate_table(cohort.data, factors, eps)
    t = univariate_model(ut, eps, label_lookup(cohort))
    _clean(t)
    assert t.columns == ("N",) + ("Events", "Median (95% CI)", "p") * len(eps)
    assert [s for s, _ in t.spanners][1:] == [e.label for e in eps]
    header = next(r for r in t.rows if r.kind == "header")
    test = ut.tests[0]
    assert header.cells[3] == format_p(test.p_value)
    n_levels = sum(1 for r in t.rows if r.kind == "level")
    assert n_levels == len(ut.rows)


def test_cox_merge_side_by_side(cohort):
    covs = ["treatment", "age_years"]
    uni = {c: cox_fit(cohort.data, OS.time, OS.event, [c]) for c in covs}
    multi = cox_fit(cohort.data, OS.time, OS.event, covs)
    t = cox_merge_model(uni, multi, label_lookup(cohort), endpoint=OS, p_style="3dp")
    _clean(t)
    assert t.columns == ("HR (95% CI)", "p", "HR (95% CI)", "p")
    assert t.spanners == (("Univariable", 2), ("Multivariable", 2))
    kinds = [r.kind for r in t.rows]
    assert kinds == ["header", "level", "level", "single"]
    ref, level, age = t.rows[1], t.rows[2], t.rows[3]
    assert ref.cells == ("—", "", "—", "")
    term_u = uni["treatment"].terms[0]
    term_m = multi.terms[0]
    assert level.cells[0] == format_hr_ci(term_u.hr, term_u.lower, term_u.upper)
    assert level.cells[2] == format_hr_ci(term_m.hr, term_m.lower, term_m.upper)
    assert level.cells[3] == format_p(term_m.p_value, "3dp")
    assert re.fullmatch(r"\d+\.\d\d \(\d+\.\d\d–\d+\.\d\d\)", age.cells[0])
    # raw output stays available
    assert {"coef", "se", "z", "model"} <= set(t.details.columns)
    assert len(t.details) == 2 + 2


def test_km_median_and_landmarks(cohort):
    km = kaplan_meier(cohort.data, OS.time, OS.event, group="treatment")
    test = survdiff(cohort.data, OS.time, OS.event, "treatment")
    med = median_model(median_table(km), OS, group_label="Treatment", test=test)
    _clean(med)
    assert med.rows[0].kind == "header"
    assert med.rows[0].cells[-1] == format_p(test.p_value) + "¹"
    assert len(med.rows) == 1 + len(km.curves)
    m0 = median_table(km).rows[0]
    assert med.rows[1].cells[:2] == (str(m0.n), str(m0.events))
    lm = landmark_model(landmark_table(km, [6.0, 12.0]), OS, group_label="Treatment")
    _clean(lm)
    assert lm.columns == ("6 months", "12 months")
    s = landmark_table(km, [6.0]).rows[0].surv[0]
    assert lm.rows[1].cells[0].startswith(f"{100 * s:.1f}%")


def test_nr_gets_a_footnote():
    # group "b" has one event in six patients: its median is not reached
    data = pd.DataFrame(
        {
            "os_months": [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6],
            "os_event": [1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0],
            "arm": ["a"] * 6 + ["b"] * 6,
        }
    )
    km = kaplan_meier(data, OS.time, OS.event, group="arm")
    med = median_model(median_table(km), OS)
    assert med.rows[0].kind == "header"
    assert med.rows[2].cells[2].startswith("NR (")
    assert any(n.startswith("NR:") for n in med.footnotes)
    km_a = kaplan_meier(data[data.arm == "a"], OS.time, OS.event)
    reached = median_model(median_table(km_a), OS)
    assert not any("NR" in c for r in reached.rows for c in r.cells[:2])


def test_response_and_toxicity_bundled():
    cohort = load_bundled_cohort()
    sites = ["intrahepatic_response", "extrahepatic_response"]
    best = [best_response_table(cohort.data, s) for s in sites]
    rates = response_rates(cohort.data, sites)
    t = response_model(best, rates)
    _clean(t)
    assert len(t.columns) == len(best[0].groups)
    orr = next(r for r in t.rows if r.label == "ORR (95% CI)")
    r0 = rates.rows[0]
    assert orr.cells[0] == (
        f"{100 * r0.orr.estimate:.1f}% ({100 * r0.orr.lower:.1f}–{100 * r0.orr.upper:.1f})"
    )
    tox = toxicity_model(toxicity_table(cohort.data), label_lookup(cohort))
    _clean(tox)
    headers = [r.label for r in tox.rows if r.kind == "header"]
    assert "Anorexia nausea" in headers
    assert not any("tox_" in h for h in headers)


def test_p_style_changes_every_p():
    cohort = load_bundled_cohort()
    bt = baseline_table(cohort.data, by="treatment")
    ps = [t.p_value for t in bt.tests if t.p_value is not None and t.p_value >= 0.001]
    for style in ("journal", "3dp", "nejm"):
        t = baseline_model(bt, label_lookup(cohort), p_style=style)
        shown = {r.cells[-1].rstrip("¹²³⁴⁵⁶⁷⁸⁹") for r in t.rows if r.kind != "level"}
        assert {format_p(p, style) for p in ps} <= shown


def test_models_table():
    from hccdash import models as M
    from hccdash.report.summary_tables import models_model

    cohort = veterans_cohort()
    md = M.prepare(cohort.data, "os", ["karnofsky_score", "celltype"])
    res = M.cross_validate(md, "cox", M.ValidationOptions(seed=1), n_splits=3, n_repeats=1)
    t = models_model([res])
    _clean(t)
    assert t.rows[0].label == res.label
    est = res.metrics[0].estimate
    assert t.rows[1].cells[0] == f"{est:.3f}"
    assert np.isfinite(est)
