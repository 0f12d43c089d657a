"""One validated SurvData with event types (competing_data): the analyses give the same numbers
from it as from the frame, it is validated once, the cause-specific event is Surv(t, s == k),
and bad input is one message (page) or one line with exit 2 (figure cif).

Data: R's ``survival::mgus2`` (tests/reference/competing/mgus2.csv; event 0 censored,
1 progression, 2 death), the file the cmprsk references of test_competing.py come from.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.competing import EventCodes, cuminc, pairwise_gray, prepare
from hccdash.competing.data import cause_specific, competing_data
from hccdash.competing.finegray import crr
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import kaplan_meier

REF = Path(__file__).resolve().parent / "reference" / "competing"
CODES = EventCodes(0, 1, (2,), {1: "Progression", 2: "Death"})


@pytest.fixture(scope="module")
def mgus2():
    return pd.read_csv(REF / "mgus2.csv")


def test_same_numbers_from_the_object_and_from_the_frame(mgus2):
    sd = competing_data(mgus2, "etime", "event", CODES)
    a = cuminc(mgus2, "etime", "event", "sex", codes=CODES)
    b = cuminc(sd, group="sex")
    for ca, cb in zip(a.curves, b.curves, strict=True):
        np.testing.assert_array_equal(ca.est, cb.est)
        np.testing.assert_array_equal(ca.var, cb.var)
    assert [t.stat for t in a.tests] == [t.stat for t in b.tests]
    fa = crr(mgus2, "etime", "event", ["age", "sex"], codes=CODES)
    fb = crr(sd, covariates=["age", "sex"])
    assert [t.coef for t in fa.terms] == [t.coef for t in fb.terms]
    assert [t.se for t in fa.terms] == [t.se for t in fb.terms]
    mgus2_3 = mgus2.assign(g=np.arange(len(mgus2)) % 3)
    pa = pairwise_gray(mgus2_3, "etime", "event", "g", codes=CODES).to_frame()
    pb = pairwise_gray(sd.with_frame(mgus2_3), group="g").to_frame()
    pd.testing.assert_frame_equal(pa, pb)


def test_validated_once(mgus2, monkeypatch):
    import hccdash.competing.data as data

    sd = competing_data(mgus2, "etime", "event", CODES)
    calls = []
    monkeypatch.setattr(data, "competing_data", lambda *a, **k: calls.append(a))
    cuminc(sd, group="sex")
    crr(sd, covariates=["age"])
    prepare(sd, group="sex", need_cause=False)
    assert calls == []  # the object is used as it is
    assert sd.status.flags.writeable is False and sd.event.flags.writeable is False


def test_cause_specific_is_status_equal_to_the_cause(mgus2):
    """R: survfit(Surv(etime, event == 1) ~ sex, data = mgus2)."""
    sd = competing_data(mgus2, "etime", "event", CODES)
    cs = cause_specific(sd, 1)
    km = kaplan_meier(cs, group="sex")
    ref = kaplan_meier(mgus2.assign(e=(mgus2.event == 1).astype(int)), "etime", "e", "sex")
    for a, b in zip(km.curves, ref.curves, strict=True):
        np.testing.assert_array_equal(a.surv, b.surv)
    assert cs.event.sum() == int((mgus2.event == 1).sum()) == 115
    assert cs.key != sd.key or sd.key is None


def test_bad_input_messages(mgus2):
    bad = mgus2.assign(event=mgus2.event.where(mgus2.index != 3, 7))
    with pytest.raises(InputError, match=r"1 row with codes that are not declared \(7; rows 3\)"):
        competing_data(bad, "etime", "event", CODES)
    with pytest.raises(InputError, match="same code 1"):
        competing_data(mgus2, "etime", "event", EventCodes(1, 1))
    sd = competing_data(mgus2.assign(event=0), "etime", "event", CODES)
    with pytest.raises(AnalysisError, match="All 1384 patients are censored"):
        cuminc(sd)
    neg = mgus2.assign(etime=mgus2.etime.where(mgus2.index != 0, -1))
    with pytest.raises(InputError, match="not a finite number >= 0"):
        competing_data(neg, "etime", "event", CODES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nope"], "--by 'nope' is not a grouping factor"),
        (["--cause", "9"], "cause 9"),
        (["--layout", "stacked", "--stack-group", "X"], "--stack-group 'X' is not a group"),
    ],
)
def test_figure_cif_bad_input_is_one_line_exit_2(mgus2, tmp_path, capsys, args, message):
    from test_cli_figure import run

    path = tmp_path / "mgus2.csv"
    mgus2.to_csv(path, index=False)
    argv = ["figure", "cif", str(path), "--time", "etime", "--event", "event"]
    code = run([*argv, *args, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("module", ["counts", "data", "spec_views", "views"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"hccdash.competing.{module}")
    result = doctest.testmod(mod, globs={**vars(mod), "np": np, "pd": pd})
    assert result.attempted > 0 and result.failed == 0
