"""A cohort served in place gives the pages what the in-memory path gives them.

The in-memory path is ``load_cohort_file`` -> ``filters.apply_filters`` -> the analysis
functions (themselves checked against R). The served path is ``engine.served.open_served``
-> :mod:`hccdash.served_pages` (option frame, counts, KM page, cohort page, filtered rows).
Both read the same Parquet file; numbers agree to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_engine_served import PUBLIC

from hccdash import compare, nonparametric
from hccdash import served_pages as sp
from hccdash import served_stats as ss
from hccdash.baseline import completeness
from hccdash.cohortfile import load_cohort_file
from hccdash.engine.served import open_served
from hccdash.errors import InputError
from hccdash.filters import FilterSpec, apply_filters, binary_options, role_columns
from hccdash.nonparametric import median_followup, median_table
from hccdash.schema import BUNDLED_CSV, KPS, Factor, codebook_path
from hccdash.ui.sidebar import _extra_candidates, _kps_bounds, _role_levels, range_presets

GBSG2_CB = PUBLIC / "gbsg2.codebook.json"


@pytest.fixture(scope="module")
def gbsg2(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "gbsg2.parquet"
    pd.read_csv(PUBLIC / "gbsg2.csv").to_parquet(path, index=False)
    served = open_served(path, GBSG2_CB)
    return sp.shell_cohort(served, "gbsg2", path.name), load_cohort_file(path, GBSG2_CB), path


@pytest.fixture(scope="module")
def veterans(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "veterans.parquet"
    pd.read_csv(PUBLIC / "veterans.csv").to_parquet(path, index=False)
    book = PUBLIC / "veterans.codebook.json"
    return sp.shell_cohort(open_served(path, book), "vet", path.name), load_cohort_file(path, book)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "bundled.parquet"
    pd.read_csv(BUNDLED_CSV).to_parquet(path, index=False)
    book = codebook_path(BUNDLED_CSV)
    return sp.shell_cohort(open_served(path, book), "hcc", path.name), load_cohort_file(path, book)


def _close(a, b, rel=1e-10):
    assert a == pytest.approx(b, rel=rel, abs=1e-12)


def test_in_memory_rows_from_the_environment(monkeypatch):
    monkeypatch.delenv(sp.IN_MEMORY_ENV, raising=False)
    assert sp.in_memory_rows() == 200_000
    monkeypatch.setenv(sp.IN_MEMORY_ENV, "1_000")
    assert sp.in_memory_rows() == 1000
    monkeypatch.setenv(sp.IN_MEMORY_ENV, "lots")
    with pytest.raises(InputError, match=r"HCCDASH_IN_MEMORY_ROWS='lots'.*fix"):
        sp.in_memory_rows()
    from hccdash.serve import serve_env

    with pytest.raises(InputError, match="HCCDASH_IN_MEMORY_ROWS"):  # hccdash serve: exit 2
        serve_env(base={sp.IN_MEMORY_ENV: "-5"})


def test_row_counts_and_the_decision(monkeypatch, gbsg2, tmp_path):
    _, _, path = gbsg2
    assert sp.row_count(path) == 686
    assert sp.row_count(PUBLIC / "gbsg2.csv") == 686
    assert sp.row_count(PUBLIC / "gbsg2.sav") is None  # no cheap count: in memory
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = pd.read_parquet(path)
    frame.iloc[:300].to_parquet(folder / "a.parquet")
    frame.iloc[300:].to_parquet(folder / "b.parquet")
    assert sp.row_count(folder) == 686
    monkeypatch.setenv(sp.IN_MEMORY_ENV, "686")
    assert not sp.serve_in_place(path, GBSG2_CB)
    assert sp.serve_in_place(folder, GBSG2_CB)  # a folder has no in-memory reader
    monkeypatch.setenv(sp.IN_MEMORY_ENV, "685")
    assert sp.serve_in_place(path, GBSG2_CB)
    assert not sp.serve_in_place(path, None)  # without a codebook: read and guessed in memory


@pytest.mark.parametrize("name", ["gbsg2", "veterans", "bundled"])
def test_the_option_frame_gives_the_sidebar_what_the_rows_give(name, request):
    shell, mem = request.getfixturevalue(name)[:2]
    frame, data = shell.data, mem.data
    assert len(frame) < len(data) or name == "bundled"
    assert role_columns(shell) == role_columns(mem)
    roles = role_columns(mem)
    assert _kps_bounds(frame, roles.get(KPS)) == _kps_bounds(data, roles.get(KPS))
    assert _extra_candidates(frame, ()) == [
        c for c in _extra_candidates(data, ()) if frame[c].notna().any()
    ]
    for column in data.columns:
        if frame[column].isna().all():  # an identifier: too many values to offer
            assert data[column].nunique() > sp.MAX_LEVELS
            continue
        if not pd.api.types.is_numeric_dtype(data[column]):
            assert _role_levels(shell, column) == _role_levels(mem, column), column
            assert binary_options(frame[column]) == binary_options(data[column]), column
        else:
            lo, hi = frame[column].min(), frame[column].max()
            assert (lo, hi) == (data[column].min(), data[column].max()), column
            for g in (g for g in mem.groupings(column) if g.preset):
                assert range_presets(g, frame[column]) == range_presets(g, data[column])
    kinds = {v.name: (v.kind, v.levels) for v in shell.codebook.variables}
    assert kinds == {v.name: (v.kind, v.levels) for v in mem.codebook.variables}
    assert [f.column for f in shell.factors()] == [f.column for f in mem.factors()]


SPECS = [
    FilterSpec(),
    FilterSpec(arm="yes", roles=(("treatment", "horTh"),)),
    FilterSpec(extra=(("age", (40.0, 60.0)), ("tgrade", ("II", "III")))),
]


@pytest.mark.parametrize("spec", SPECS, ids=["none", "arm", "age+grade"])
def test_counts_rows_and_cohort_page_equal_the_rows(gbsg2, spec):
    shell, mem, _ = gbsg2
    served = shell.served
    kept = apply_filters(mem.data, spec)
    assert served.count(spec) == len(kept)
    assert ss.events(served, spec) == {"rfs": int(kept["cens"].sum())}
    sizes = ss.group_sizes(served, spec, "tgrade")
    # (a Categorical's value_counts also lists the levels the filter left empty)
    assert sizes == {k: int(v) for k, v in kept["tgrade"].value_counts().items() if v}
    rows = sp.materialise(shell, spec).data

    def as_values(frame):  # the reader's Categoricals and the engine's text: the same values
        cats = frame.select_dtypes("category").columns
        frame = frame.astype({c: object for c in cats})
        return frame.sort_values("id").reset_index(drop=True)

    pd.testing.assert_frame_equal(
        as_values(rows),
        as_values(kept),
        check_dtype=False,
    )
    got = ss.completeness_of(served, spec).to_frame()
    pd.testing.assert_frame_equal(got, completeness(kept).to_frame(), check_dtype=False)
    fu, ref = ss.followup_of(served, spec, "rfs"), median_followup(kept["time"], kept["cens"])
    for a, b in ((fu.median, ref.median), (fu.lower, ref.lower), (fu.upper, ref.upper)):
        _close(a, b)
    _close(ss.median_of(served, spec, "age"), float(kept["age"].median()))


def test_the_km_page_numbers_equal_the_rows(gbsg2):
    """Grouped by a factor (3 levels, pairwise and trend) and by a cut (age at 50) on a
    filtered view: curves, medians, test, pairwise and trend equal the in-memory functions."""
    shell, mem, _ = gbsg2
    spec = SPECS[1]
    kept = apply_filters(mem.data, spec)
    levels = ("I", "II", "III")
    res = ss.km_result(shell.served, spec, "rfs", "tgrade", levels=levels, trend=True,
                       method="fleming-harrington", p=1.0)  # fmt: skip
    km = nonparametric.kaplan_meier(kept, "time", "cens", "tgrade", levels=levels)
    for a, b in zip(res.km.curves, km.curves, strict=True):
        assert a.group == b.group
        np.testing.assert_allclose(a.surv, b.surv, rtol=1e-10)
        np.testing.assert_allclose(a.upper, b.upper, rtol=1e-10)
    for a, b in zip(median_table(res.km).rows, median_table(km).rows, strict=True):
        assert (a.median is None) == (b.median is None)
        if a.median is not None:
            _close(a.median, b.median)
    test = compare.survdiff(kept, "time", "cens", "tgrade", method="fleming-harrington",
                            p=1.0, levels=levels)  # fmt: skip
    _close(res.test.chisq, test.chisq)
    pw = compare.pairwise_survdiff(kept, "time", "cens", "tgrade", method="fleming-harrington",
                                   p=1.0, levels=levels)  # fmt: skip
    for a, b in zip(res.pairwise.rows, pw.rows, strict=True):
        assert (a.group_a, a.group_b) == (b.group_a, b.group_b)
        _close(a.p_adjusted, b.p_adjusted)
    _close(res.trend.chisq, compare.trend_test(kept, "time", "cens", "tgrade", levels=levels).chisq)

    cut = ss.km_result(shell.served, spec, "rfs", "age", cut=50.0, levels=("≤ 50", "> 50"))
    f = Factor("age", "Age", cut=50.0)
    grouped = kept.assign(g=f.values(kept))
    ref = compare.survdiff(grouped, "time", "cens", "g", levels=("≤ 50", "> 50"))
    _close(cut.test.chisq, ref.chisq)
    assert [c.n for c in cut.km.curves] == list(ref.n)
    assert cut.pairwise is None and cut.trend is None


def test_a_csv_served_in_place_keeps_yes_no_as_text():
    """DuckDB's CSV sniffer reads a yes/no column as BOOLEAN; the engine reads numbers or
    text, as the in-memory reader does, so levels and URL values are the file's words."""
    served = open_served(PUBLIC / "gbsg2.csv", GBSG2_CB)
    assert served.options("horTh") == ["no", "yes"]
    spec = FilterSpec(arm="yes", roles=(("treatment", "horTh"),))
    assert served.count(spec) == 246


def test_doctests_of_the_served_modules():
    import doctest

    from hccdash.engine import placement
    from hccdash.ui import served_view

    for module in (placement, served_view):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__
