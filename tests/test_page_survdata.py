"""The Cox and univariate pages take the view's one validated survival object (issue 12 item
5): the survival columns are validated once per view and endpoint, not once per model, factor
or test, and a display-only change validates nothing and hashes no frame.

Counted as in tests/test_survdata.py (``validate.survival_arrays`` calls, frame hashes). The
cohort is the bundled one with its codebook, loaded as an upload so that its caches are this
session's own (nothing left over by another test).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import hccdash.nonparametric as nonparametric
import hccdash.survdata as survdata
import hccdash.validate as validate
from hccdash import cox
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _counters(monkeypatch) -> Counter:
    calls: Counter = Counter()

    def count(module, name, label):
        real = getattr(module, name)

        def counted(*args, **kwargs):
            calls[label] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    count(validate, "survival_arrays", "validate")
    monkeypatch.setattr(survdata, "survival_arrays", validate.survival_arrays)
    for module in (nonparametric.km, nonparametric.summaries):  # its two callers
        monkeypatch.setattr(module, "survival_arrays", validate.survival_arrays)
    count(pd.util, "hash_pandas_object", "hash")
    return calls


def _app() -> AppTest:
    # These tests count work done: start from empty caches. The copy has the bundled
    # cohort's content, hence its identity, so an earlier test in this process (any order,
    # e.g. under pytest-xdist) may have cached its tables already.
    st.cache_data.clear()
    bundled = load_bundled_cohort()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[UPLOADED_KEY] = Cohort(
        "mine", bundled.data.copy(), "mine.csv", codebook=bundled.codebook
    )
    at.run()
    return at


def test_cox_page_validates_once_per_endpoint(monkeypatch):
    """The multivariable fit, one univariable fit per covariate and cox.zph share one object;
    its numbers are those of ``hccdash.cox.cox_fit`` on the frame (R-checked in test_cox)."""
    at = _app()
    at.switch_page("pages/cox.py").run()
    assert not at.exception, [e.message for e in at.exception]
    covariates = at.multiselect(key="cox_covariates").value
    assert len(covariates) >= 2  # the codebook's default model
    calls = _counters(monkeypatch)
    at.radio(key="cox_endpoint").set_value("pfs").run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls["validate"] == 1 and calls["hash"] == 0, calls
    # a display-only change: the residual plot's term
    term = at.selectbox(key="cox_zph_term_pfs")
    calls.clear()
    term.set_value(term.options[-1]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls["validate"] == 0 and calls["hash"] == 0, calls
    # the number shown is the DataFrame path's (grouped at the codebook's cut points)
    from hccdash.ui.cox_view import codebook_grouped

    cohort = at.session_state[UPLOADED_KEY]
    frame = codebook_grouped(cohort, cohort.data, covariates)
    fit = cox.cox_fit(frame, "pfs_months", "pfs_event", covariates)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Concordance (C)"] == f"{fit.concordance:.3f}"
    assert shown["Events"] == str(fit.events)


def test_univariate_page_validates_once_per_endpoint(monkeypatch):
    """Every factor's medians and log-rank test use the endpoint's one object: validations
    are one per endpoint for the table, not two per factor and endpoint."""
    import hccdash.tables as tables
    from hccdash.survdata import SurvData

    given = []
    real = tables.univariate_table

    def spy(*args, **kwargs):
        given.append(kwargs.get("surv"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tables, "univariate_table", spy)
    at = _app()
    calls = _counters(monkeypatch)
    at.switch_page("pages/univariate.py").run()
    assert not at.exception, [e.message for e in at.exception]
    cohort = at.session_state[UPLOADED_KEY]
    n_endpoints = len(cohort.endpoints())
    assert len(cohort.factors()) >= 5
    # the table (one per endpoint) and the curves of the chosen factor (one per endpoint)
    assert calls["validate"] <= 2 * n_endpoints, calls
    # the page hands the table the view's objects, keyed by the cohort's identity + filters
    assert len(given) == 1 and len(given[0]) == n_endpoints
    assert all(isinstance(sd, SurvData) for sd in given[0])
    assert all(sd.key.startswith(f"{cohort.identity}|filters=") for sd in given[0])
    table = next(d.value for d in at.dataframe if "factor" in d.value.columns)
    from hccdash.tables import univariate_table

    expect = univariate_table(cohort.data, cohort.factors(), cohort.endpoints()).to_frame()
    pd.testing.assert_frame_equal(table.reset_index(drop=True), expect.reset_index(drop=True))
    calls.clear()
    choice = at.selectbox(key="uni_factor")
    choice.set_value(choice.options[1]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls["validate"] <= n_endpoints and calls["hash"] == 0, calls


@pytest.mark.parametrize("bad", ["one per endpoint", "other rows"])
def test_univariate_table_checks_the_survival_objects_it_is_given(bad):
    from hccdash.errors import InputError
    from hccdash.survdata import survival_data
    from hccdash.tables import univariate_table

    cohort = load_bundled_cohort()
    eps = cohort.endpoints()
    surv = [survival_data(cohort.data, e.time, e.event) for e in eps]
    if bad == "one per endpoint":
        surv = surv[:1]
    else:
        surv = [survival_data(cohort.data.iloc[:5], e.time, e.event) for e in eps]
    with pytest.raises(InputError, match="survival"):
        univariate_table(cohort.data, cohort.factors(), eps, surv=surv)


def test_cox_page_on_another_disease_equals_r(monkeypatch):
    """Veterans' lung cancer, filtered by its codebook's range role (Karnofsky_score 60-99),
    Karnofsky numeric (the codebook's cut toggled off). R: ``coxph(Surv(Survival_in_days,
    dead) ~ Treatment + Celltype + Karnofsky_score, subset(v, Karnofsky_score >= 60))``
    (tests/reference/public/roles_reference.R)."""
    import json

    from hccdash.cohortfile import CODEBOOK_ENV, DATA_ENV

    root = Path(APP).parent
    ref = json.loads((root / "tests/reference/public/roles_reference.json").read_text())
    k60 = ref["veterans"]["k60"]
    monkeypatch.setenv(DATA_ENV, str(root / "tests/data/public/veterans.csv"))
    monkeypatch.setenv(CODEBOOK_ENV, str(root / "tests/data/public/veterans.codebook.json"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["Karnofsky_score"] = "60-99"
    at.run()
    at.switch_page("pages/cox.py").run()
    at.toggle(key="cox_paper_cuts").set_value(False).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Patients used"], shown["Events"]) == (str(k60["n"]), str(k60["events"]))
    assert shown["Concordance (C)"] == f"{k60['concordance']:.3f}"
    terms = next(d.value for d in at.dataframe if "hr" in d.value.columns)
    multi = terms[terms["model"] == "multivariable"]
    assert multi["coef"].tolist() == pytest.approx(k60["coef"], rel=1e-6)
    assert multi["p_value"].tolist() == pytest.approx(k60["p"], rel=1e-6)
