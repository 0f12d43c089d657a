"""Synthetic cohort generator: schema, determinism, invariants, and the ``synth`` CLI."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from hccdash import synth
from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.errors import InputError
from hccdash.schema import Cohort


def test_columns_and_codes_match_the_bundled_schema():
    frame = synth.generate(2000, seed=1)
    assert tuple(frame.columns) == synth.COLUMNS
    assert len(frame) == 2000
    assert frame["patient_id"].is_unique
    assert frame["patient_id"].iloc[0] == "S0001"
    # Every paper factor's levels come from the bundled cohort's codes.
    for factor in PAPER_FACTORS:
        if factor.column in frame and factor.levels is not None:
            observed = set(factor.values(frame).dropna().unique())
            allowed = set(factor.levels) | set(factor.exclude)
            assert observed <= allowed, factor.column
    assert set(frame["kps"].unique()) <= {60, 70, 80, 90, 100}
    assert set(frame["os_event"].unique()) == {0, 1}
    assert set(frame["pfs_event"].unique()) == {0, 1}
    assert frame["rt_dose_gy"].between(40, 66).all()
    assert set(frame["intrahepatic_response"].unique()) <= {"CR", "PR", "SD", "PD"}
    # A generated frame is a valid Cohort whose factors include the paper's.
    cohort = Cohort(name="synthetic", data=frame, source="synth", reconstructed=False)
    assert {e.key for e in cohort.endpoints()} == {"os", "pfs"}
    assert "child_pugh" in {f.column for f in cohort.factors()}


def test_same_seed_same_frame_other_seed_differs():
    a = synth.generate(500, seed=7)
    b = synth.generate(500, seed=7)
    c = synth.generate(500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["os_months"].equals(c["os_months"])


@pytest.mark.parametrize("rounded", [True, False])
def test_times_positive_and_pfs_never_after_os(rounded):
    frame = synth.generate(20_000, seed=3, rounded=rounded)
    assert (frame["os_months"] > 0).all()
    assert (frame["pfs_months"] > 0).all()
    assert (frame["pfs_months"] <= frame["os_months"]).all()
    # A death is always a PFS event; a censored PFS is censored at the OS time.
    dead = frame["os_event"] == 1
    assert (frame.loc[dead, "pfs_event"] == 1).all()
    cens = frame["pfs_event"] == 0
    np.testing.assert_array_equal(frame.loc[cens, "pfs_months"], frame.loc[cens, "os_months"])
    # Follow-up never exceeds accrual + extra follow-up.
    assert frame["os_months"].max() <= 62.05
    # Progression recorded as a failure pattern exactly when PFS ended before death/censoring.
    no_failure = frame["failure_pattern"] == "None"
    assert ((frame["pfs_event"] == 0) <= no_failure).all()


def test_rounded_times_are_on_a_tenth_month_grid_and_exact_times_are_not():
    rounded = synth.generate(5000, seed=4, rounded=True)
    exact = synth.generate(5000, seed=4, rounded=False)
    tenths = rounded["os_months"].to_numpy() * 10
    np.testing.assert_allclose(tenths, np.round(tenths), atol=1e-9)
    assert rounded["os_months"].min() >= 0.1
    # Rounded: heavy ties; exact: (almost surely) all distinct.
    assert rounded["os_months"].nunique() < 700
    assert exact["os_months"].nunique() == 5000
    # The same seed draws the same patients: rounding moves a time by at most 0.05 (times
    # under 0.05 month are raised to 0.1, never to an invalid 0).
    diff = np.abs(rounded["os_months"] - exact["os_months"])
    assert (diff[exact["os_months"] >= 0.05] <= 0.05 + 1e-9).all()
    assert (rounded.loc[exact["os_months"] < 0.05, "os_months"] == 0.1).all()


def test_survival_is_clinically_plausible():
    """Medians near the paper's (OS 21, PFS 9.1 months) and the prognostic signs it reports."""
    frame = synth.generate(50_000, seed=5)
    km = KaplanMeierFitter()
    os_median = km.fit(frame["os_months"], frame["os_event"]).median_survival_time_
    pfs_median = km.fit(frame["pfs_months"], frame["pfs_event"]).median_survival_time_
    assert 17 <= os_median <= 25
    assert 6 <= pfs_median <= 12
    medians = {
        level: km.fit(g["os_months"], g["os_event"]).median_survival_time_
        for level, g in frame.groupby("child_pugh")
    }
    assert medians["A"] > medians["B"] > medians["C"]
    cp = frame["child_pugh"].value_counts(normalize=True)
    assert cp["A"] == pytest.approx(14 / 21, abs=0.02)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_bad_n_raises_input_error_naming_the_value(bad):
    with pytest.raises(InputError, match=repr(bad).replace(".", r"\.")):
        synth.generate(bad)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hccdash")
    synth.register(parser.add_subparsers(dest="command"))
    return parser


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_writes_the_generated_frame(tmp_path, suffix, capsys):
    out = tmp_path / f"cohort{suffix}"
    args = _parser().parse_args(["synth", "--n", "300", "--out", str(out), "--seed", "11"])
    assert args.func(args) == 0
    assert "300 synthetic patients" in capsys.readouterr().out
    expected = synth.generate(300, seed=11)
    if suffix == ".csv":
        # failure_pattern "None" is a level here; pandas would read it as missing by default.
        back = pd.read_csv(out, dtype={"patient_id": str}, keep_default_na=False, na_values=[""])
    else:
        back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, expected)


def test_cli_exact_keeps_exact_times_through_csv(tmp_path):
    out = tmp_path / "exact.csv"
    args = _parser().parse_args(["synth", "--n", "200", "--out", str(out), "--exact"])
    assert args.func(args) == 0
    back = pd.read_csv(out)
    expected = synth.generate(200, rounded=False)
    np.testing.assert_allclose(back["os_months"], expected["os_months"], rtol=1e-9)
    assert back["os_months"].nunique() == 200


def test_cli_accepts_scientific_n_and_rejects_bad_output(tmp_path, capsys):
    args = _parser().parse_args(["synth", "--n", "1e3", "--out", str(tmp_path / "a.csv")])
    assert args.n == 1000
    bad = _parser().parse_args(["synth", "--n", "5", "--out", str(tmp_path / "a.txt")])
    assert bad.func(bad) == 2
    err = capsys.readouterr().err
    assert "'.txt'" in err and ".parquet" in err
    with pytest.raises(SystemExit):
        _parser().parse_args(["synth", "--n", "0", "--out", "x.csv"])


def test_python_m_hccdash_synth_end_to_end(tmp_path):
    """The real CLI entry point (hccdash/__main__.py registers this module's subcommand)."""
    from hccdash.__main__ import main

    out = tmp_path / "c.parquet"
    assert main(["synth", "--n", "50", "--out", str(out), "--seed", "2", "--exact"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out), synth.generate(50, seed=2, rounded=False))
    assert main(["synth", "--n", "5", "--out", str(tmp_path / "c.json")]) == 2
