"""``hccdash analyze`` with --start, --cluster, --strata and --weights against R.

References: ``tests/reference/cox_ext/cox_ext_reference.R`` (``cgd_cli``, ``colon_strata``)
and ``km_counting.R`` (``cgd_logrank``) on R's cgd and colon data.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from hccdash.__main__ import main

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "cox_ext.json").read_text())
RK = json.loads((REF / "km_counting.json").read_text())
REL = 1e-6


def _run(capsys, *args: str) -> dict:
    assert main(["analyze", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_counting_process_cluster_cli_matches_r(capsys):
    """R: ``coxph(Surv(tstart, tstop, status) ~ treat + age + steroids, cluster = id, cg)``;
    delayed-entry log-rank by treat as ``lr_counting`` in km_counting.R."""
    out = _run(capsys, str(REF / "data" / "cgd.csv"), "--time", "tstop", "--event", "status",
               "--start", "tstart", "--cluster", "id", "--covariates", "treat,age,steroids",
               "--group", "treat")  # fmt: skip
    r = R["cgd_cli"]
    terms = out["cox"]["terms"]
    np.testing.assert_allclose([t["coef"] for t in terms], r["coef"], rtol=REL)
    np.testing.assert_allclose([t["se"] for t in terms], r["se"], rtol=REL)
    np.testing.assert_allclose([t["robust_se"] for t in terms], r["robust_se"], rtol=REL)
    assert out["cox"]["wald"]["chisq"] == pytest.approx(r["wald"], rel=REL)
    assert out["cox"]["robust_score"]["chisq"] == pytest.approx(r["rscore"], rel=REL)
    assert out["cox"]["concordance"] == pytest.approx(r["concordance"], rel=REL)
    assert out["cox"]["concordance_se"] == pytest.approx(r["concordance_se"], rel=REL)
    assert out["test"]["chisq"] == pytest.approx(RK["cgd_logrank"]["chisq"], rel=REL)


def test_strata_cli_matches_r_and_terms_have_no_robust_se(capsys):
    """R: ``coxph(Surv(time, status) ~ rx + sex + age + obstruct + nodes + strata(etype),
    co)``: not robust, so the terms have no ``robust_se``."""
    out = _run(capsys, str(REF / "data" / "colon.csv"), "--time", "time", "--event", "status",
               "--strata", "etype", "--covariates", "rx,sex,age,obstruct,nodes")  # fmt: skip
    r = R["colon_strata_efron"]
    terms = out["cox"]["terms"]
    np.testing.assert_allclose([t["coef"] for t in terms], r["coef"], rtol=REL)
    assert all("robust_se" not in t for t in terms)
    assert out["cox"]["concordance"] == pytest.approx(r["concordance"], rel=REL)
    assert [p["term"] for p in out["cox"]["ph_test"]][-1] == "GLOBAL"
