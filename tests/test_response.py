"""Response rates against R's binom.test (tests/reference/ui_baseline_response.R)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hccdash.errors import AnalysisError, InputError
from hccdash.response import (
    best_response_table,
    clopper_pearson,
    response_rates,
    toxicity_columns,
    toxicity_table,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "ui_cohort.csv", dtype={"patient_id": str})


@pytest.fixture(scope="module")
def r() -> dict:
    return json.loads((REF / "ui_baseline_response.json").read_text())


def test_orr_dcr_and_exact_cis_match_r_binom_test(cohort, r):
    """R: binom.test(k, n)$conf.int for ORR (CR+PR) and DCR (CR+PR+SD), NE excluded."""
    rates = response_rates(cohort, by="treatment")
    frame = rates.to_frame()
    assert len(frame) == 6
    sites = {"Intrahepatic": "intrahepatic_response", "Extrahepatic": "extrahepatic_response"}
    for row in rates.rows:
        for name, ci in (("ORR", row.orr), ("DCR", row.dcr)):
            k, n, lo, hi = r["rates"][f"{sites[row.site]}|{row.group}|{name}"]
            assert (ci.k, ci.n) == (k, n)
            assert ci.lower == pytest.approx(lo, rel=1e-6)
            assert ci.upper == pytest.approx(hi, rel=1e-6, abs=1e-12)


def test_not_evaluable_is_counted_apart(cohort):
    t = best_response_table(cohort, "extrahepatic_response", by="treatment")
    assert t.groups == ("Overall", "IMRT", "IMRT+TACE")
    assert t.n_missing[0] == 2
    assert t.counts[0].sum() == len(cohort) - 2
    frame = t.to_frame()
    cr = int((cohort.extrahepatic_response == "CR").sum())
    assert frame.loc[0, "CR"] == cr
    assert frame.loc[0, "CR %"] == round(100 * cr / (len(cohort) - 2), 1)


def test_published_intrahepatic_orr_81_percent():
    """The paper: intrahepatic CR 3, PR 14, SD 3, PD 1 -> ORR 17/21 = 0.81."""
    data = pd.DataFrame({"intrahepatic_response": ["CR"] * 3 + ["PR"] * 14 + ["SD"] * 3 + ["PD"]})
    rates = response_rates(data, ["intrahepatic_response"], by=None)
    (row,) = rates.rows
    assert row.orr.estimate == pytest.approx(17 / 21)
    assert row.dcr.estimate == pytest.approx(20 / 21)


def test_full_words_accepted_and_bad_values_named():
    ok = pd.DataFrame({"intrahepatic_response": ["Complete response", "pr", None, "NE"]})
    t = best_response_table(ok, "intrahepatic_response", by=None)
    assert t.counts[0].tolist() == [1, 1, 0, 0] and t.n_missing[0] == 2
    bad = pd.DataFrame({"intrahepatic_response": ["CR", "great", "PR", "??"]}, index=list("abcd"))
    with pytest.raises(InputError, match=r"2 row\(s\).*'b', 'd'.*'\?\?', 'great'"):
        best_response_table(bad, "intrahepatic_response", by=None)


def test_no_evaluable_patient_is_an_analysis_error():
    data = pd.DataFrame({"intrahepatic_response": [None, "NE"]})
    with pytest.raises(AnalysisError, match="No evaluable"):
        response_rates(data, ["intrahepatic_response"], by=None)
    with pytest.raises(AnalysisError):
        clopper_pearson(0, 0)


def test_toxicity_by_grade(cohort):
    assert toxicity_columns(cohort) == ("tox_nausea",)
    t = toxicity_table(cohort, by="treatment").to_frame()
    overall = t[t.group == "Overall"].iloc[0]
    for g in range(4):
        assert overall[f"grade {g}"] == int((cohort.tox_nausea == g).sum())
    assert overall["grade ≥3"] == int((cohort.tox_nausea >= 3).sum())
    imrt = t[t.group == "IMRT"].iloc[0]
    assert imrt["n"] == int((cohort.treatment == "IMRT").sum())


def test_no_toxicity_column_is_a_message(cohort):
    with pytest.raises(AnalysisError, match="no toxicity column"):
        toxicity_table(cohort.drop(columns="tox_nausea"))
