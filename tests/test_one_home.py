"""One home per rule (issue 15): each rule listed in the issue is read from one place.

Each test fails when a copy comes back and disagrees with the home, or when a caller stops
using the home.
"""

from __future__ import annotations

import io as stdio

import numpy as np
import pandas as pd
import pytest

from hccdash.errors import FileReadError


def test_formula_defusing_the_grid_and_the_file_agree():
    """textsafe.defuse_cell: the uploaded grid (io.neutralise_formulas) and an exported CSV
    (export.table_bytes) defuse the same cells the same way ('-1 ' was '-1 ' in one and
    "'-1 " in the other)."""
    from hccdash.export import table_bytes
    from hccdash.io import neutralise_formulas
    from hccdash.textsafe import defuse_cell

    cells = ["-1 ", "=1+1", "+A1", "@SUM(A1)", "\t=x", "plain", "-", "-1"]
    grid = neutralise_formulas(pd.DataFrame({"c": cells}))["c"].tolist()
    assert grid == [defuse_cell(c) for c in cells]
    assert grid[1] != cells[1] and grid[-1] == "-1"
    exported = pd.read_csv(
        stdio.BytesIO(table_bytes(pd.DataFrame({"c": cells}), "csv")),
        dtype=str,
        keep_default_na=False,
    )["c"].tolist()
    assert [c.strip() for c in exported] == [c.strip() for c in grid]


def test_near_ties_one_rule():
    """R's aeqSurv (``timefix = TRUE``): hccdash.nonparametric.ties is its one home. Kaplan-Meier,
    the log-rank tests, the Cox design (plain, extended and on the engine) and the engine's
    curves read it; the copies in cox.py (``_aeq_times``) and engine.survival
    (``_merged_times``) are gone. The rule itself, as R's ``aeqSurv``: times closer than
    sqrt(.Machine$double.eps) absolutely, or relative to the mean time, are one time (the
    first of the chain); others are left exactly as they are."""
    from hccdash import cox, engine, nonparametric
    from hccdash.compare import kernel as compare
    from hccdash.cox import design
    from hccdash.coxext import counting, fit
    from hccdash.engine import cox as engine_cox
    from hccdash.engine import survival as engine_survival
    from hccdash.nonparametric import ties

    for module in (nonparametric, compare, design, fit, counting, engine_cox, engine_survival):
        assert module.aeq_times is ties.aeq_times, module.__name__
    for module in (nonparametric, compare, fit):
        assert module.near_tie_merge is ties.near_tie_merge, module.__name__
    assert not hasattr(cox, "_aeq_times") and not hasattr(engine, "_merged_times")
    assert not hasattr(engine_survival, "_merged_times")

    tol = np.sqrt(np.finfo(float).eps)
    # floating-point noise forms R's tie; the first time of a chain is kept
    assert ties.aeq_times(np.array([1.1 + 2.2, 3.3, 5.0])).tolist() == [3.3, 3.3, 5.0]
    # absolute rule: a gap of tol / 2 merges near 0, a gap of 2 tol does not
    t = np.array([0.0, tol / 2, 1.0, 1.0 + 2 * tol])
    assert ties.aeq_times(t).tolist() == [0.0, 0.0, 1.0, 1.0 + 2 * tol]
    # relative rule: a gap of 1e-6 at times near 1e3 (mean ~ 1e3) is within tol * mean
    t = np.array([1000.0, 1000.0 + 1e-6, 2000.0])
    assert ties.aeq_times(t).tolist() == [1000.0, 1000.0, 2000.0]
    assert ties.near_tie_merge(np.array([1000.0, 1000.0 + 1e-6, 2000.0])).tolist() == [
        False,
        True,
        False,
    ]
    # nothing near-tied: the very array back, no copy
    t = np.array([3.0, 1.0, 2.0])
    assert ties.aeq_times(t) is t and ties.near_tie_merge(np.sort(t)) is None


def test_yes_no_one_vocabulary():
    """vocab: the mapping's yes/no role normalisation and the sidebar filter read the same
    words the same way (the filter read 'None' as no, the mapping as missing)."""
    from hccdash import filters, mapping, vocab

    assert filters.yes_no is vocab.yes_no
    assert mapping.YES_VALUES is vocab.YES_VALUES and mapping.NO_VALUES is vocab.NO_VALUES
    words = ["Yes", "no", "None", "Y", "n", 1, 0, 1.0, 0.0, True, False, "present", "absent"]
    words += ["positive", "negative", "+", "是", "否", "有", "无", "maybe", None]
    mapped = mapping.normalise_yes_no(pd.Series(words, dtype=object)).tolist()
    for word, m in zip(words, mapped, strict=True):
        f = vocab.yes_no(word)
        assert (m if m is not pd.NA else None) == (f.capitalize() if f else None), word
    assert vocab.yes_no("None") == "no" and vocab.yes_no("maybe") is None


def test_time_divisors_one_table():
    """codebook.units.TO_MONTHS is the one table of units: the mapping step (its unit choice,
    unit check and to_months), the data check, the figures, the figure specification and the
    KM page read it; the mapping's copy (TIME_UNITS) is gone."""
    import hccdash.mapping as mapping_pkg
    from hccdash import datacheck
    from hccdash.codebook import TO_MONTHS
    from hccdash.codebook.units import DAYS_PER_MONTH
    from hccdash.mapping import to_months
    from hccdash.mapping import units as mapping_units
    from hccdash.plotting import spec
    from hccdash.plotting.common import TIME_DIVISOR
    from hccdash.ui import upload
    from hccdash.ui.km_view import TIME_DIVISOR as PAGE_UNITS

    assert TIME_DIVISOR is TO_MONTHS
    assert mapping_units.TO_MONTHS is TO_MONTHS and datacheck.TO_MONTHS is TO_MONTHS
    assert upload.TO_MONTHS is TO_MONTHS
    assert tuple(TO_MONTHS) == spec.TIME_UNITS
    assert not hasattr(mapping_pkg, "TIME_UNITS")
    assert {u: TO_MONTHS[u] for u in PAGE_UNITS} == PAGE_UNITS
    assert TO_MONTHS["days"] == 1 / DAYS_PER_MONTH
    for unit, factor in TO_MONTHS.items():
        assert to_months(pd.Series([365.25]), unit).iloc[0] == pytest.approx(365.25 * factor)
    assert TO_MONTHS["days"] * 365.25 == pytest.approx(12.0, rel=1e-15)


def test_typed_times_one_reader():
    """timetext.parse_times: the KM landmarks (display unit -> months), the models page's AUC
    times (positive) and the competing page read the same text the same way."""
    from hccdash.timetext import parse_times
    from hccdash.ui import competing_view, km_view
    from hccdash.ui import models as ui_models

    text = "24; 12, 0, x, -3, inf, 12"
    assert parse_times(text) == ((0.0, 12.0, 24.0), ("x", "-3", "inf"))
    times, warning = km_view.parse_times(text, 12.0)
    assert times == (0.0, 144.0, 288.0)
    assert "3 entries ignored ('x', '-3', 'inf')" in warning and "non-negative" in warning
    times, msgs = ui_models.parse_times(text)
    assert times == (12.0, 24.0) and "4 entries ignored" in msgs[0] and "positive" in msgs[0]
    assert competing_view._parse_times(text) == [0.0, 12.0, 24.0]
    assert km_view.parse_times("12, 24", 1.0) == ((12.0, 24.0), None)


@pytest.mark.parametrize("p", [None, float("nan"), 0.0, 0.0004, 0.001, 0.012, 0.05, 0.5, 1.0])
def test_p_values_one_formatter(p):
    """report.fmt.format_p: the pages' fmt_p is that function, the figures' 'p = ...' wraps it."""
    from hccdash.plotting.common import format_p as figure_p
    from hccdash.report.fmt import format_p
    from hccdash.ui.common import fmt_p

    table = format_p(p)
    assert fmt_p(p) == table
    figure = figure_p(p)
    if table == "—":
        assert figure == "p = NA"
    elif table.startswith("<"):
        assert figure == f"p < {table[1:]}"
    else:
        assert figure == f"p = {table}"


def test_upload_whitelist_is_what_the_readers_read():
    """ui.upload.FILE_TYPES: every type the uploader accepts has a reader, except those kept
    on purpose so the reader can say what to do (.xls: save it as .xlsx), which it does."""
    from hccdash import io as hio
    from hccdash.readstat import UPLOAD_TYPES
    from hccdash.ui.upload import FILE_TYPES, REFUSED_WITH_ADVICE

    readable = {e.lstrip(".") for e in hio.EXTENSIONS} | set(UPLOAD_TYPES)
    assert set(FILE_TYPES) == readable | set(REFUSED_WITH_ADVICE)
    assert REFUSED_WITH_ADVICE == ("xls",) and not readable & set(REFUSED_WITH_ADVICE)
    assert {"csv", "tab", "xlsx", "parquet", "sav"} <= set(FILE_TYPES)
    with pytest.raises(FileReadError, match=r"old Excel 97-2003 \(\.xls\).*save it as \.xlsx"):
        hio.read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls")


def test_endpoint_short_names_one_rule():
    """mapping.endpoints.slug_key: the codebook step's OS/PFS short names and the further
    endpoints' keys are made the same way (upload.py had its own _slug_key)."""
    from hccdash.mapping import endpoints
    from hccdash.ui import codebook_step, endpoint_widgets, upload

    assert codebook_step.slug_key is endpoints.slug_key
    assert endpoint_widgets.slug_key is endpoints.slug_key
    assert not hasattr(upload, "_slug_key")
    assert endpoints.slug_key(" RFS-2 ") == "rfs2"
    assert endpoints.KEY_RULE.fullmatch(endpoints.slug_key("Local_control"))
