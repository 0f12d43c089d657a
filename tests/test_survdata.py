"""One validated survival object (hccdash.survdata) and the cohort identity (hccdash.identity).

The DataFrame signatures of kaplan_meier / survdiff / trend_test / pairwise_survdiff / cox_fit
build a SurvData and delegate, so every R comparison in the suite covers that path; here the
SurvData path must give the very same numbers and the same messages, validate once, and the
page must neither validate nor hash a frame again after a display-only toggle.
"""

from __future__ import annotations

import doctest
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from figure_options import open_figure_options
from streamlit.testing.v1 import AppTest

import hccdash.identity as identity
import hccdash.nonparametric as nonparametric
import hccdash.survdata as survdata
import hccdash.validate as validate
from hccdash import compare, cox
from hccdash.errors import InputError
from hccdash.schema import Cohort, Factor, load_bundled_cohort
from hccdash.survdata import SurvData, survival_data
from hccdash.ui import cache
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
VETERANS = Path(__file__).resolve().parent / "data" / "public" / "veterans.csv"


@pytest.mark.parametrize("module", [survdata, identity])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_cohort_identity_docstring_example():
    parser = doctest.DocTestParser()
    test = parser.get_doctest(
        Cohort.identity.__doc__, {"Cohort": Cohort, "pd": pd}, "identity", None, 0
    )
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


@pytest.fixture(scope="module")
def veterans() -> pd.DataFrame:
    data = pd.read_csv(VETERANS)
    data["event"] = (data["Status"] == "dead").astype(int)
    data.loc[[3, 40], "Survival_in_days"] = np.nan  # incomplete cases are dropped and counted
    return data


def _same_km(a, b):
    assert a.n == b.n and a.events == b.events and a.dropped == b.dropped
    for ca, cb in zip(a.curves, b.curves, strict=True):
        assert ca.group == cb.group
        for f in ("time", "n_risk", "n_event", "surv", "lower", "upper"):
            np.testing.assert_array_equal(getattr(ca, f), getattr(cb, f))


def test_survdata_path_gives_the_same_numbers(veterans):
    t, e = "Survival_in_days", "event"
    sd = survival_data(veterans, t, e, endpoint="os")
    assert sd.dropped == 2 and sd.n == len(veterans)
    for group in (None, "Celltype", "Treatment"):
        _same_km(
            nonparametric.kaplan_meier(sd, group=group),
            nonparametric.kaplan_meier(veterans, t, e, group),
        )
    for method in ("logrank", "peto"):
        a = compare.survdiff(sd, group="Celltype", method=method)
        b = compare.survdiff(veterans, t, e, "Celltype", method=method)
        assert a.chisq == b.chisq and a.df == b.df
        np.testing.assert_array_equal(a.observed, b.observed)
    assert (
        compare.trend_test(sd, group="Celltype").chisq
        == compare.trend_test(veterans, t, e, "Celltype").chisq
    )
    pa = compare.pairwise_survdiff(sd, group="Celltype").to_frame()
    pb = compare.pairwise_survdiff(veterans, t, e, "Celltype").to_frame()
    pd.testing.assert_frame_equal(pa, pb)
    covs = ["Treatment", "Karnofsky_score", "Celltype"]
    fa, fb = cox.cox_fit(sd, covariates=covs), cox.cox_fit(veterans, t, e, covs)
    assert [(x.coef, x.se) for x in fa.terms] == [(x.coef, x.se) for x in fb.terms]
    assert fa.n == fb.n == len(veterans) - 2 and fa.dropped == fb.dropped == 2
    assert fa.loglik == fb.loglik and fa.concordance == fb.concordance
    # the extended path (strata) takes the frame and gives the same as the frame
    sa = cox.cox_fit(sd, covariates=["Karnofsky_score"], strata="Celltype")
    sb = cox.cox_fit(veterans, t, e, ["Karnofsky_score"], strata="Celltype")
    assert [x.coef for x in sa.terms] == [x.coef for x in sb.terms]


def test_validated_once_and_group_factorised_once(veterans, monkeypatch):
    calls = Counter()
    real_arrays, real_codes = validate.survival_arrays, nonparametric.group_codes

    def arrays(*args, **kwargs):
        calls["validate"] += 1
        return real_arrays(*args, **kwargs)

    def codes(*args, **kwargs):
        calls["factorise"] += 1
        return real_codes(*args, **kwargs)

    monkeypatch.setattr(survdata, "survival_arrays", arrays)
    monkeypatch.setattr(validate, "survival_arrays", arrays)
    monkeypatch.setattr(nonparametric, "group_codes", codes)
    sd = survival_data(veterans, "Survival_in_days", "event")
    nonparametric.kaplan_meier(sd, group="Celltype")
    compare.survdiff(sd, group="Celltype")
    compare.pairwise_survdiff(sd, group="Celltype")
    cox.cox_fit(sd, covariates=["Celltype"])
    assert calls == {"validate": 1, "factorise": 1}
    # the DataFrame path validates in every call (what the object saves)
    calls.clear()
    nonparametric.kaplan_meier(veterans, "Survival_in_days", "event", "Celltype")
    compare.survdiff(veterans, "Survival_in_days", "event", "Celltype")
    assert calls == {"validate": 2, "factorise": 2}


def test_arrays_are_read_only_and_frames_must_match(veterans):
    sd = survival_data(veterans, "Survival_in_days", "event")
    with pytest.raises(ValueError, match="read-only"):
        sd.time[0] = 1.0
    with pytest.raises(InputError, match="has 10 rows but the survival data have 137"):
        sd.with_frame(veterans.head(10))
    derived = sd.with_frame(veterans.assign(old=veterans["Age_in_years"] > 60))
    assert nonparametric.kaplan_meier(derived, group="old").n == 135
    with pytest.raises(InputError, match="built on time column 'Survival_in_days', not 'x'"):
        nonparametric.kaplan_meier(sd, "x", "event")


@pytest.mark.parametrize(
    "frame, time, event",
    [
        (pd.DataFrame({"t": [1.0, "a"], "d": [1, 0]}), "t", "d"),
        (pd.DataFrame({"t": [1.0, -1.0], "d": [1, 0]}), "t", "d"),
        (pd.DataFrame({"t": [1.0, 2.0], "d": [1, 2]}), "t", "d"),
        (pd.DataFrame({"t": [1.0, 2.0], "d": [1, 0]}), "t", "nope"),
        (pd.DataFrame({"t": [], "d": []}), "t", "d"),
    ],
)
def test_same_messages_as_validate_survival(frame, time, event):
    with pytest.raises(InputError) as ours:
        survival_data(frame, time, event)
    with pytest.raises(InputError) as theirs:
        validate.validate_survival(frame, time, event)
    assert str(ours.value) == str(theirs.value)


def test_identity_sees_one_text_cell_that_the_fingerprint_samples_past(monkeypatch):
    """Two 60,000-row cohorts differing in one text cell the sampled fingerprint never reads."""
    rng = np.random.default_rng(1)
    n = 60_000
    data = pd.DataFrame(
        {
            "t": rng.exponential(10, n).round(1),
            "d": rng.integers(0, 2, n),
            "site": rng.choice(["liver", "lung"], n),
        }
    )
    other = data.copy()
    row = 12_345  # not on the fingerprint's text sample (every n // 10,000 = 6th row)
    assert row % (n // 10_000) != 0
    other.loc[row, "site"] = "bone"
    assert cache.frame_fingerprint(data) == cache.frame_fingerprint(other)  # why: sampled
    a, b = Cohort("a", data, "a.csv"), Cohort("a", other, "a.csv")
    assert a.identity != b.identity
    # the codebook is part of the identity, and the digest is computed once per cohort
    calls = Counter()
    real = identity.content_digest

    def counted(*args, **kwargs):
        calls["digest"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(identity, "content_digest", counted)
    c = Cohort("c", data, "c.csv")
    first = c.identity
    assert c.identity == first and calls["digest"] == 1
    bundled = load_bundled_cohort()
    assert bundled.identity != Cohort("x", bundled.data, "x.csv").identity  # codebook differs


def test_registered_frames_are_not_hashed(monkeypatch):
    data = pd.DataFrame({"t": [1.0, 2.0], "d": [1, 0]})
    key = identity.register(data.copy(), "cohort:abc|filters=FilterSpec()")
    calls = Counter()
    real = pd.util.hash_pandas_object

    def counted(*args, **kwargs):
        calls["hash"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(pd.util, "hash_pandas_object", counted)
    assert cache.frame_fingerprint(key) == "cohort:abc|filters=FilterSpec()"
    assert calls["hash"] == 0
    assert cache.frame_fingerprint(data) != "cohort:abc|filters=FilterSpec()"  # unregistered
    assert calls["hash"] > 0
    sd = survival_data(key, "t", "d")
    assert isinstance(sd, SurvData) and cache.surv_fingerprint(sd).startswith("cohort:abc|")


def _counters(monkeypatch) -> Counter:
    calls = Counter()

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
    count(nonparametric, "group_codes", "factorise")
    count(pd.util, "hash_pandas_object", "hash")
    count(Factor, "values", "derive group")
    return calls


@pytest.mark.parametrize("uploaded", [False, True])
def test_display_only_toggle_neither_validates_nor_hashes(monkeypatch, uploaded):
    """/km by treatment arm: toggling the figure's median lines recomputes nothing, hashes no
    frame, derives no group; a new endpoint validates its survival columns once (not once per
    analysis) and factorises the group once."""
    at = AppTest.from_file(APP, default_timeout=120)
    if uploaded:  # an upload: session-scoped caches, identity computed on the first run
        data = load_bundled_cohort().data.copy()
        at.session_state[UPLOADED_KEY] = Cohort("mine", data, "mine.csv")
    at.run()
    at.switch_page("pages/km.py").run()
    at.selectbox(key="km_by").set_value("treatment").run()
    assert not at.exception, [e.message for e in at.exception]
    open_figure_options(at)
    calls = _counters(monkeypatch)
    median = next(t for t in at.toggle if t.label == "Median lines")
    median.set_value(not median.value).run()
    assert not at.exception, [e.message for e in at.exception]
    assert calls == {}, calls
    at.radio(key="km_endpoint").set_value("pfs").run()
    assert not at.exception, [e.message for e in at.exception]
    # factorised once at most: zero when an earlier test left these results in the shared cache
    assert calls["validate"] == 1 and calls["factorise"] <= 1, calls
    assert calls["hash"] == 0 and calls["derive group"] == 0, calls
    shown = [m.value for m in at.markdown if m.value.startswith("Log-rank test")]
    assert shown and "chi-square" in shown[0]
