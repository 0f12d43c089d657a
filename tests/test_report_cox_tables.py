"""Journal tables of the extended Cox analyses (hccdash.report.cox_tables).

Numbers come from R: ``tests/reference/cox_ext/subgroup.R`` on R's ``pbc`` (the 312
randomised) printed ``subgroup.json``; the table must show R's values in journal format.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hccdash.report.cox_tables as cox_tables
from hccdash.cox import cox_fit
from hccdash.coxext.subgroup import subgroup_hr
from hccdash.report.cox_tables import NOT_ESTIMABLE, cox_model_table, subgroup_model
from hccdash.report.fmt import format_hr_ci, format_p

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "subgroup.json").read_text())


@pytest.fixture(scope="module")
def pbc():
    return pd.read_csv(REF / "data" / "pbc.csv")


def test_doctests():
    result = doctest.testmod(cox_tables, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_subgroup_table_shows_rs_numbers_in_journal_format(pbc):
    """R: ``summary(coxph(Surv(time, death) ~ treated, pb, subset = sex == l))`` per level and
    ``anova(coxph(... ~ treated + sex), coxph(... ~ treated * sex))`` for the interaction."""
    t = subgroup_model(subgroup_hr(pbc, "time", "death", "treated", ["sex"]), labels={"sex": "Sex"})
    rows = {r.label: r for r in t.rows}
    assert [r.kind for r in t.rows] == ["single", "header", "level", "level"]
    o = R["overall"]
    assert rows["All patients"].cells == (
        f"{o['n']} ({o['events']})",
        format_hr_ci(o["hr"], o["lower"], o["upper"]),
        format_p(o["p"]),
        "",
    )
    assert rows["Sex"].cells[3] == format_p(R["sex_interaction"]["p"])
    for r in R["sex"]:
        assert rows[r["level"]].cells[:3] == (
            f"{r['n']} ({r['events']})",
            format_hr_ci(r["hr"], r["lower"], r["upper"]),
            format_p(r["p"]),
        )
    assert "likelihood-ratio" in " ".join(t.footnotes)
    assert t.details["hr"].iloc[0] == pytest.approx(o["hr"], rel=1e-6)


def test_a_separated_subgroup_is_not_estimable_never_a_number(pbc):
    """A level where one arm had no deaths: R's coxph warns that the coefficient may be
    infinite (HR ~ 1e-9); the row must read NE with the reason, not 0.00 (0.00-Inf)."""
    d = pbc.copy()
    d["site"] = np.where(d.index < 40, "small", "main")
    d.loc[(d.index < 40) & (d["treated"] == 1), "death"] = 0
    assert d.loc[d.index < 40, "death"].sum() > 0
    res = subgroup_hr(d, "time", "death", "treated", ["site"])
    small = next(r for r in res.rows if r.level == "small")
    assert np.isnan(small.hr) and "separation" in small.note
    t = subgroup_model(res)
    row = next(r for r in t.rows if r.label == "small")
    assert row.cells[1:3] == (NOT_ESTIMABLE, "—")
    assert any(n.startswith(f"{NOT_ESTIMABLE} (site = small): separation") for n in t.footnotes)
    main = next(r for r in t.rows if r.label == "main")
    assert main.cells[1][0].isdigit()


def test_one_cox_model_table_with_reference_level_and_robust_note(pbc):
    """The table formats the fit's own terms (the fit's equality to R's ``coxph(...,
    robust = TRUE)`` is tested in test_coxext_*): a header, the reference, the levels."""
    fit = cox_fit(pbc, "time", "death", ["edema", "age"], categorical=["edema"], robust=True)
    t = cox_model_table(fit, labels={"edema": "Oedema", "age": "Age"})
    assert [(r.kind, r.label) for r in t.rows] == [
        ("header", "Oedema"), ("level", "0"), ("level", "0.5"), ("level", "1"), ("single", "Age"),
    ]  # fmt: skip
    term = next(x for x in fit.terms if x.covariate == "edema" and x.level == "1")
    assert t.rows[3].cells == (
        format_hr_ci(term.hr, term.lower, term.upper),
        format_p(term.p_value),
    )
    assert "robust (sandwich)" in t.footnotes[0]
    assert f"{fit.n} patients, {fit.events} events" in t.footnotes[0]
