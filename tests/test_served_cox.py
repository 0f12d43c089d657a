"""The Cox page's fit on a cohort served in place equals the fit on the rows in memory.

The in-memory path is ``load_cohort_file`` -> ``filters.apply_filters`` -> the codebook's
groupings (``ui.cox_view.codebook_grouped``) -> ``hccdash.cox.cox_fit``. The served path is
``engine.served.open_served`` -> :func:`hccdash.served_cox.fit` (the filters and the cut
points in SQL, ``engine.cox.cox_fit`` by aggregation). Both read the same Parquet file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_engine_served import PUBLIC

from hccdash import served_cox as sc
from hccdash import served_pages as sp
from hccdash.cohortfile import load_cohort_file
from hccdash.cox import cox_fit
from hccdash.engine.cox import NO_CONCORDANCE
from hccdash.engine.served import open_served
from hccdash.errors import AnalysisError
from hccdash.filters import FilterSpec, apply_filters
from hccdash.schema import Factor
from hccdash.ui.cox_view import codebook_grouped, grouped_factors, reference_options

R_COX = PUBLIC.parent.parent / "reference" / "cox"


def _served(tmp_path_factory, name: str):
    path = tmp_path_factory.mktemp("served_cox") / f"{name}.parquet"
    pd.read_csv(PUBLIC / f"{name}.csv").to_parquet(path, index=False)
    book = PUBLIC / f"{name}.codebook.json"
    return sp.shell_cohort(open_served(path, book), name, path.name), load_cohort_file(path, book)


@pytest.fixture(scope="module")
def gbsg2(tmp_path_factory):
    return _served(tmp_path_factory, "gbsg2")


@pytest.fixture(scope="module")
def veterans(tmp_path_factory):
    return _served(tmp_path_factory, "veterans")


def _same_fit(a, b, rel=1e-9):
    assert (a.n, a.events, a.dropped) == (b.n, b.events, b.dropped)
    assert [t.term for t in a.terms] == [t.term for t in b.terms]
    for x, y in zip(a.terms, b.terms, strict=True):
        assert x.coef == pytest.approx(y.coef, rel=rel), x.term
        assert x.se == pytest.approx(y.se, rel=rel), x.term
        assert x.p_value == pytest.approx(y.p_value, rel=1e-7), x.term
    for test in ("likelihood_ratio", "wald", "score"):
        s, m = getattr(a, test), getattr(b, test)
        assert s.chisq == pytest.approx(m.chisq, rel=rel), test
        assert s.df == m.df
        assert s.p_value == pytest.approx(m.p_value, rel=1e-7), test


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(
    "spec",
    [
        FilterSpec(extra=(("age", (30.0, 60.0)),)),  # filtered on age, then age cut at 50
        FilterSpec(extra=(("tgrade", ("II", "III")), ("tsize", (10.0, 45.0)))),
    ],
    ids=["age-range", "grade-and-size"],
)
def test_served_fit_equals_the_filtered_rows_in_memory(gbsg2, spec, ties):
    shell, mem = gbsg2
    covariates = list(shell.default_model())
    factors = grouped_factors(shell)
    assert set(factors) == {"age", "pnodes"}  # the codebook's cut points, both in the model
    rows = codebook_grouped(mem, apply_filters(mem.data, spec), covariates)
    reference = {
        c: levels[0]
        for c, levels in reference_options(rows, covariates, mem).items()  # as the page
    }
    served = sc.fit(shell, spec, "rfs", covariates, ties, reference, factors)
    memory = cox_fit(rows, "time", "cens", covariates, ties=ties, reference=reference)
    assert served.n < len(mem.data)  # the filter was applied
    _same_fit(served, memory)
    assert np.isnan(served.concordance) and NO_CONCORDANCE in served.warnings
    # ungrouped: age and pnodes per unit, the same numbers again
    ref = {c: r for c, r in reference.items() if c not in factors}
    plain = sc.fit(shell, spec, "rfs", covariates, ties, ref, {})
    plain_rows = apply_filters(mem.data, spec)
    _same_fit(plain, cox_fit(plain_rows, "time", "cens", covariates, ties=ties, reference=ref))
    assert "age" in [t.term for t in plain.terms]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_served_fit_equals_r(veterans, gbsg2, ties):
    """R 4.2, survival 3.5-3 (tests/reference/cox/cox_reference.R)::

    coxph(Surv(time, status) ~ karno + age + celltype + trt, data = veterans,
          ties = ties)  # celltype levels large first, trt standard first
    coxph(Surv(time, cens) ~ age + horTh + tsize + tgrade + pnodes + progrec,
          data = GBSG2, ties = ties)  # tgrade levels II first
    """
    coef = pd.read_csv(R_COX / "cox_coef.csv")
    stats = pd.read_csv(R_COX / "cox_stats.csv").set_index(["dataset", "ties"])
    cases = [
        ("veterans", veterans[0], "os",
         ["Karnofsky_score", "Age_in_years", "Celltype", "Treatment"],
         {"Celltype": "large", "Treatment": "standard"}),
        ("gbsg2", gbsg2[0], "rfs", ["age", "horTh", "tsize", "tgrade", "pnodes", "progrec"],
         {"horTh": "no", "tgrade": "II"}),
    ]  # fmt: skip
    for name, shell, endpoint, covariates, reference in cases:
        fit = sc.fit(shell, None, endpoint, covariates, ties, reference, {})
        r = coef[(coef.dataset == name) & (coef.ties == ties)]
        assert len(r) == len(fit.terms)
        for t, (_, row) in zip(fit.terms, r.iterrows(), strict=True):
            assert t.coef == pytest.approx(row.coef, rel=1e-6), (name, t.term)
            assert t.se == pytest.approx(row.se, rel=1e-6), (name, t.term)
            assert t.p_value == pytest.approx(row.p, rel=1e-6), (name, t.term)
        s = stats.loc[(name, ties)]
        assert (fit.n, fit.events) == (s.n, s.nevent)
        assert fit.likelihood_ratio.chisq == pytest.approx(s.lr, rel=1e-6)
        assert fit.wald.chisq == pytest.approx(s.wald, rel=1e-6)
        assert fit.score.chisq == pytest.approx(s.score, rel=1e-6)


def test_excluded_levels_become_missing_in_sql(gbsg2):
    shell, mem = gbsg2
    factor = Factor("tgrade", "Tumour grade", exclude=("I",))
    fit = sc.fit(shell, None, "rfs", ["tgrade", "tsize"], "efron", {"tgrade": "II"},
                 {"tgrade": factor})  # fmt: skip
    rows = mem.data.assign(tgrade=factor.values(mem.data))
    memory = cox_fit(rows, "time", "cens", ["tgrade", "tsize"], reference={"tgrade": "II"})
    _same_fit(fit, memory)
    assert fit.dropped == int((mem.data["tgrade"] == "I").sum()) > 0


def test_fits_are_held_once_per_model_and_bounded(gbsg2, monkeypatch):
    shell, _ = gbsg2
    spec = FilterSpec(extra=(("age", (30.0, 60.0)),))
    a = sc.fit(shell, spec, "rfs", ["tsize"], "efron")
    assert sc.fit(shell, spec, "rfs", ["tsize"], "efron") is a  # held
    b = sc.fit(shell, FilterSpec(extra=(("age", (30.0, 50.0)),)), "rfs", ["tsize"], "efron")
    assert b is not a and b.n < a.n
    assert sc.fit(shell, spec, "rfs", ["tsize"], "breslow").ties == "breslow"
    monkeypatch.setattr(sc.FITS, "entries", 2)
    sc.fit(shell, spec, "rfs", ["pnodes"], "efron")
    assert len(sc.FITS) == 2
    assert sc.fit(shell, spec, "rfs", ["tsize"], "efron") is not a  # evicted, fitted again


def test_a_filter_without_events_is_a_message(gbsg2):
    shell, mem = gbsg2
    spec = FilterSpec(extra=(("tsize", (13.0, 13.0)),))
    rows = apply_filters(mem.data, spec)
    assert len(rows) > 2 and rows["cens"].sum() == 0
    with pytest.raises(AnalysisError, match=r"no events among the \d+ complete rows"):
        sc.fit(shell, spec, "rfs", ["age"], "efron")


def test_doctests_of_served_cox():
    import doctest

    assert doctest.testmod(sc).failed == 0
