"""``analyze --competing``: the cif / gray / finegray blocks against cmprsk, one-line errors.

Reference: ``tests/reference/competing/competing.R`` (cmprsk 2.2-11) on ``survival::mgus2``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference" / "competing"
R = json.loads((REF / "competing.json").read_text())
MGUS2 = REF / "mgus2.csv"
REL = 1e-6


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hccdash", "analyze", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def mgus2_json() -> dict:
    proc = run(
        str(MGUS2), "--time", "etime", "--event", "event", "--competing", "--group", "sex",
        "--covariates", "age,sex", "--times", "60,120,240", "--cause-names",
        "1=progression,2=death", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_cif_block_matches_cuminc(mgus2_json):
    """R: ``cuminc(mg$etime, mg$event, mg$sex)`` ($time/$est/$var without pre-jump corners)
    and ``timepoints(ci, c(60, 120, 240))``."""
    cif = {f"{c['group']} {c['cause']}": c for c in mgus2_json["cif"]}
    assert list(cif) == ["F 1", "M 1", "F 2", "M 2"]
    assert cif["F 1"]["cause_name"] == "progression" and cif["M 2"]["cause_name"] == "death"
    for ref in R["cuminc"]["mgus2_sex"]["curves"]:
        ours = cif[ref["name"]]
        t = np.array(ref["time"])
        k = (t.size - 2) // 2
        idx = [0, *range(2, 2 * k + 1, 2), t.size - 1]
        assert ours["time"] == pytest.approx(t[idx].tolist(), rel=REL)
        assert ours["est"] == pytest.approx(np.array(ref["est"])[idx].tolist(), rel=REL)
        assert ours["var"] == pytest.approx(np.array(ref["var"])[idx].tolist(), rel=REL, abs=1e-16)
    tp = R["cuminc"]["mgus2_sex"]["timepoints"]
    for row, name in enumerate(tp["names"]):
        at = cif[name]["at"]
        assert [a["est"] for a in at] == pytest.approx(tp["est"][row], rel=REL)
        assert [a["lower"] for a in at] == pytest.approx(tp["loglog_lower"][row], rel=REL)
        assert [a["upper"] for a in at] == pytest.approx(tp["loglog_upper"][row], rel=REL)


def test_gray_and_finegray_blocks(mgus2_json):
    """R: ``cuminc(mg$etime, mg$event, mg$sex)$Tests`` and ``crr(mg$etime, mg$event,
    cbind(age = mg$age, sexM = mg$sex == 'M'), failcode = 1)``."""
    gray = mgus2_json["gray"]
    for ref, ours in zip(R["cuminc"]["mgus2_sex"]["tests"], gray, strict=True):
        assert ours["cause"] == int(ref["cause"]) and ours["df"] == 1
        assert ours["stat"] == pytest.approx(ref["stat"], rel=REL)
        assert ours["p_value"] == pytest.approx(ref["p_upper"], rel=REL)
    fg = mgus2_json["finegray"]
    ref = R["crr"]["mgus2_age_sex_c1"]
    assert [t["term"] for t in fg["terms"]] == ["age", "sex: M vs F"]
    assert [t["coef"] for t in fg["terms"]] == pytest.approx(ref["coef"], rel=REL)
    assert [t["se"] for t in fg["terms"]] == pytest.approx(ref["se"], rel=REL)
    assert [t["p_value"] for t in fg["terms"]] == pytest.approx(ref["p_value"], rel=REL)
    assert (fg["n"], fg["n_event"], fg["n_competing"]) == (1384, 115, 860)
    # the usual blocks are cause-specific: progression as the event, death censored
    assert mgus2_json["events"] == 115
    assert [t["term"] for t in mgus2_json["cox"]["terms"]] == ["age", "sex: M vs F"]


@pytest.mark.parametrize(
    ("edit", "args", "message"),
    [
        (lambda d: d.assign(event=d["event"].where(d.index != 5, -1)), [], "not declared"),
        (lambda d: d.assign(event=0), [], "All 1384 patients are censored"),
        (lambda d: d, ["--cause", "3"], "'cause 3' (code 3 in 'event') has no events"),
        (lambda d: d[d["sex"] == "F"], ["--covariates", "sex"], "'sex' has a single level"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, edit, args, message):
    path = tmp_path / "bad.csv"
    edit(pd.read_csv(MGUS2)).to_csv(path, index=False)
    code = main(["analyze", str(path), "--time", "etime", "--event", "event", "--competing", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hccdash: error: ")
    assert message in err


def test_table_format_shows_the_same_numbers(capsys):
    code = main(
        ["analyze", str(MGUS2), "--time", "etime", "--event", "event", "--competing",
         "--group", "sex", "--format", "table"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Gray's test" in out and "11.651259" in out  # R: 11.6512590121277
