"""Public cohorts of other diseases, read through their codebooks, against R.

Fixtures: tests/data/public/ (see its README); reference values written by
``Rscript tests/reference/public/public_reference.R`` (R 4.2, survival 3.5) into
tests/reference/public/public_reference.json. hccdash holds times in months (the codebook's
unit, days here, divided by 30.4375): medians are compared after the same conversion;
log-rank tests and Cox coefficients do not depend on the time scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hccdash.cohortfile import load_cohort_file
from hccdash.compare import survdiff
from hccdash.cox import cox_fit
from hccdash.nonparametric import kaplan_meier, median_survival

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "tests" / "data" / "public"
REF = json.loads((ROOT / "tests/reference/public/public_reference.json").read_text())
DAYS = 30.4375


def _none_or_months(x):
    return None if x is None else x / DAYS


@pytest.fixture(scope="module")
def gbsg2():
    return load_cohort_file(PUBLIC / "gbsg2.csv", PUBLIC / "gbsg2.codebook.json")


@pytest.fixture(scope="module")
def veterans():
    return load_cohort_file(PUBLIC / "veterans.csv", PUBLIC / "veterans.codebook.json")


def test_gbsg2_shows_its_own_names(gbsg2):
    (rfs,) = gbsg2.endpoints()
    assert (rfs.key, rfs.label) == ("rfs", "Recurrence-free survival")
    labels = [f.label for f in gbsg2.factors()]
    assert labels[:3] == ["Hormonal therapy", "Age", "Menopausal status"]
    grade = next(f for f in gbsg2.factors() if f.column == "tgrade")
    assert grade.level_order(gbsg2.data) == ("I", "II", "III")
    assert gbsg2.notice is None and not gbsg2.reconstructed


@pytest.mark.parametrize("conf, key", [("log", "km"), ("log-log", "km_loglog")])
def test_gbsg2_km_medians_equal_r(gbsg2, conf, key):
    """R: ``survfit(Surv(time, cens) ~ horTh, data = g, conf.type = "log")`` (and log-log)."""
    (rfs,) = gbsg2.endpoints()
    km = kaplan_meier(gbsg2.as_categorical(), rfs.time, rfs.event, "horTh", conf_type=conf)
    ref = REF["gbsg2"][key]
    assert [c.group for c in km.curves] == ref["strata"]
    for i, curve in enumerate(km.curves):
        med = median_survival(curve)
        assert curve.n == ref["n"][i] and curve.events == ref["events"][i]
        assert med.median == pytest.approx(ref["median"][i] / DAYS, rel=1e-9)
        assert med.lower == pytest.approx(_none_or_months(ref["lower"][i]), rel=1e-9)
        if ref["upper"][i] is None:
            assert med.upper is None
        else:
            assert med.upper == pytest.approx(ref["upper"][i] / DAYS, rel=1e-9)


def test_gbsg2_logrank_equals_r(gbsg2):
    """R: ``survdiff(Surv(time, cens) ~ horTh, data = g)``."""
    (rfs,) = gbsg2.endpoints()
    res = survdiff(gbsg2.as_categorical(), rfs.time, rfs.event, "horTh")
    assert res.chisq == pytest.approx(REF["gbsg2"]["logrank"]["chisq"], rel=1e-9)
    assert res.p_value == pytest.approx(REF["gbsg2"]["logrank"]["p"], rel=1e-7)


def _r_term(term: str) -> str:
    # hccdash "horTh: yes vs no" -> R "horThyes"
    if ": " not in term:
        return term
    column, rest = term.split(": ", 1)
    return column + rest.split(" vs ")[0]


@pytest.mark.parametrize("name", ["gbsg2", "veterans"])
def test_cox_through_the_codebook_equals_r(name, request):
    """R: ``coxph(Surv(time, cens) ~ horTh + age + menostat + tsize + tgrade + pnodes +
    progrec + estrec, data = g, ties = "efron")`` and ``coxph(Surv(Survival_in_days, dead) ~
    Treatment + Celltype + Karnofsky_score, data = v)``: the codebook's default model, its
    references (R's first levels)."""
    cohort = request.getfixturevalue(name)
    (ep,) = cohort.endpoints()
    fit = cox_fit(cohort.as_categorical(), ep.time, ep.event, list(cohort.default_model()))
    ref = REF[name]["cox"]
    got = {_r_term(t.term): t for t in fit.terms}
    assert sorted(got) == sorted(ref["term"])
    for term, coef, se in zip(ref["term"], ref["coef"], ref["se"], strict=True):
        assert got[term].coef == pytest.approx(coef, rel=1e-6)
        assert got[term].se == pytest.approx(se, rel=1e-6)
    assert fit.concordance == pytest.approx(ref["concordance"], rel=1e-9)


def test_veterans_km_and_logrank_equal_r(veterans):
    """R: ``survfit(Surv(Survival_in_days, dead) ~ Treatment, conf.type = "log-log")`` and
    ``survdiff(Surv(Survival_in_days, dead) ~ Celltype)``; the event coding dead/alive comes
    from the codebook."""
    (os_,) = veterans.endpoints()
    data = veterans.as_categorical()
    km = kaplan_meier(data, os_.time, os_.event, "Treatment", conf_type="log-log")
    ref = REF["veterans"]["km"]
    for i, curve in enumerate(km.curves):
        assert curve.group == ref["strata"][i]
        assert median_survival(curve).median == pytest.approx(ref["median"][i] / DAYS, rel=1e-9)
    res = survdiff(data, os_.time, os_.event, "Celltype")
    assert res.chisq == pytest.approx(REF["veterans"]["logrank"]["chisq"], rel=1e-9)


def test_without_a_codebook_the_guess_reads_days_and_r_levels(veterans):
    plain = load_cohort_file(PUBLIC / "veterans.csv")
    (os_,) = plain.endpoints()
    assert plain.codebook.endpoints[0].unit == "days"
    km = kaplan_meier(plain.data, os_.time, os_.event, "treatment")
    ref = REF["veterans"]["km"]
    assert [c.group for c in km.curves] == ref["strata"]
    assert median_survival(km.curves[0]).median == pytest.approx(ref["median"][0] / DAYS)
    labels = {f.column: f.label for f in plain.factors()}
    assert labels["treatment"] == "Treatment"  # the user's column name, not a paper's label


def test_spss_value_and_variable_labels_become_levels_and_labels():
    from dataclasses import replace

    from hccdash import io as hio
    from hccdash.mapping import apply_mapping, guess_mapping, mapping_codebook

    table = hio.read_table(PUBLIC / "gbsg2.sav")
    assert table.value_levels["menostat"] == ("Pre", "Post")
    assert set(table.data["horTh"]) == {"no", "yes"}
    mapping = replace(guess_mapping(table.data), time_unit="days")
    cb = mapping_codebook(
        table.data,
        mapping,
        apply_mapping(table.data, mapping),
        file_labels=table.variable_labels,
        file_levels=table.value_levels,
    )
    meno = cb.variable("menostat")
    assert meno.label == "Menopausal status" and meno.levels == ("Pre", "Post")
    assert cb.endpoints[0].event_values == ("event",)
    assert cb.endpoints[0].censored_values == ("censored",)
