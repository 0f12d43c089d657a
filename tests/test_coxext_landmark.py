"""Landmark analysis against R.

Reference: ``tests/reference/cox_ext/landmark.R`` on R's ``mgus2``: death by progression
before the 60-month landmark; R printed ``landmark.json``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.coxext.landmark import LANDMARK_WHY, landmark_analysis
from hccdash.errors import AnalysisError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "landmark.json").read_text())
REL = 1e-6


@pytest.fixture(scope="module")
def mgus():
    m = pd.read_csv(REF / "data" / "mgus2.csv")
    m["prog"] = np.where((m["pstat"] == 1) & (m["ptime"] <= 60), "yes", "no")
    return m


def test_landmark_matches_r(mgus):
    """R: ``d2 <- subset(m, futime > 60); d2$futime <- d2$futime - 60``;
    ``survdiff(Surv(futime, death) ~ prog, d2)``, ``coxph(Surv(futime, death) ~ prog + age,
    d2)``, ``survfit(Surv(futime, death) ~ prog, d2)``."""
    res = landmark_analysis(mgus, "futime", "death", "prog", 60, covariates=["age"])
    assert res.n_kept == R["n"]
    assert res.n_kept + res.events_before + res.censored_before == len(mgus)
    assert res.logrank.chisq == pytest.approx(R["chisq"], rel=REL)
    np.testing.assert_allclose([t.coef for t in res.cox.terms], R["coef"], rtol=REL)
    np.testing.assert_allclose([t.se for t in res.cox.terms], R["se"], rtol=REL)
    surv = np.concatenate([c.surv for c in res.km.curves])
    np.testing.assert_allclose(surv, R["surv"], rtol=REL)
    assert (mgus["futime"] > 60).sum() == res.n_kept  # the caller's frame is untouched
    assert "guarantee-time bias" in LANDMARK_WHY


def test_landmark_after_everyone_is_a_clear_message(mgus):
    with pytest.raises(AnalysisError, match="earlier landmark"):
        landmark_analysis(mgus, "futime", "death", "prog", 1e6)
