"""AppTest of the competing-risks page's figures on the figure specification: the stacked CIF
and the 1 − KM vs CIF overlay export the computed numbers (cmprsk's estimates, R's survfit for
1 − KM) with the counts under the plot, follow their options panels, and the page validates
its endpoint once (one SurvData per view, reused on a display-only rerun).
"""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.io
import pytest
from test_page_competing import open_competing, pbc_cohort

from hccdash.competing import EventCodes, cuminc, prepare
from hccdash.competing.counts import cause_counts, stacked_cif
from hccdash.competing.derive import first_event_split
from hccdash.competing.spec_views import CIF_SUFFIX, KM_SUFFIX
from hccdash.nonparametric import kaplan_meier
from hccdash.schema import load_bundled_cohort
from hccdash.style import SIZE_PRESETS

CODES = EventCodes(0, 1, (2,), {1: "Progression", 2: "Death without progression"})


def _bundled():
    data = first_event_split(
        load_bundled_cohort().data, "pfs_months", "pfs_event", "os_months", "os_event"
    )
    return data, cuminc(data, "cr_time", "cr_status", "treatment", codes=CODES)


def _export(at, key):
    return plotly.io.from_json(at.session_state[f"{key}__export"])


def _lines(fig):
    return [t for t in fig.data if t.mode == "lines" and t.showlegend]


def _arr(v) -> np.ndarray:
    """A trace array as exported (plotly's typed-array JSON is {"dtype", "bdata"})."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def _at(x, y, t):
    x, y = _arr(x).astype(float), _arr(y).astype(float)
    return y[np.searchsorted(x, t, side="right") - 1]


def test_stacked_layout_exports_the_cumulative_sums_and_counts():
    data, ref = _bundled()
    at = open_competing()
    at.selectbox(key="cr_group").set_value("treatment").run()
    at.radio(key="cr_layout").set_value("stacked").run()
    assert not at.exception, [e.message for e in at.exception]
    for i, g in enumerate(["IMRT+TACE", "IMRT"]):  # the factor's level order
        fig = _export(at, f"cr_stack_{i}")
        assert (fig.layout.width, fig.layout.height) == (1920, 1080)
        st = stacked_cif(ref, g)
        lines = _lines(fig)
        assert [t.name for t in lines] == ["Progression", "Death without progression"]
        for k, tr in enumerate(lines):
            for t in st.time[1:]:
                assert _at(tr.x, tr.y, t) == pytest.approx(_at(st.time, st.top[k], t), abs=1e-12)
        # under the plot: at risk, cumulative progressions, deaths, censored at the ticks
        rows = [t for t in fig.data if t.mode == "text"]
        p = prepare(data, "cr_time", "cr_status", CODES, group="treatment", need_cause=False)
        gi = list(p.group_levels).index(g)
        c = cause_counts(p, _arr(rows[0].x), (1, 2))
        assert list(rows[0].text) == [str(v) for v in c.n_risk[gi]]
        assert list(rows[1].text) == [str(v) for v in c.events(gi, 1)]
        assert list(rows[2].text) == [str(v) for v in c.events(gi, 2)]
        assert list(rows[3].text) == [str(v) for v in c.n_censor[gi]]
    first = at.session_state["hccdash_report_sections"]["competing"].figures[0]
    assert first.name.startswith("cif_stacked_")
    assert first.legend.startswith("Cumulative incidence of each event type, stacked: ")


def test_overlay_exports_cif_and_one_minus_km_and_follows_its_panel():
    data, ref = _bundled()
    at = open_competing()
    at.selectbox(key="cr_group").set_value("treatment").run()
    at.selectbox(key="cr_kmcif_treatment__preset").set_value("journal-1col-300").run()
    at.toggle(key="cr_kmcif_treatment__y_percent").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    fig = _export(at, "cr_kmfig")
    assert fig.layout.width == pytest.approx(SIZE_PRESETS["journal-1col-300"].width)
    lines = {t.name: t for t in _lines(fig)}
    km = kaplan_meier(data.assign(e=(data.cr_status == 1).astype(float)), "cr_time", "e",
                      "treatment")  # fmt: skip
    for kc in km.curves:
        cif, one_km = lines[f"{kc.group}: {CIF_SUFFIX}"], lines[f"{kc.group}: {KM_SUFFIX}"]
        assert one_km.line.dash == "dash" and cif.line.color == one_km.line.color
        curve = ref.curve(kc.group, 1)
        for t in curve.time[1:]:
            assert _at(cif.x, cif.y, t) == pytest.approx(100 * _at(curve.time, curve.est, t))
        for t, s in zip(kc.time, kc.surv, strict=True):
            assert _at(one_km.x, one_km.y, t) == pytest.approx(100 * (1 - s))
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "Number at risk (Progression, Death without progression, censored)" in texts.replace(
        "<br>", " "
    )
    assert at.query_params.get("kmcif_y_percent") in ("1", ["1"])
    exported = at.session_state["hccdash_report_sections"]["competing"].figures
    assert "km_vs_cif" in [f.name for f in exported]


def test_by_cause_table_counts_every_cause():
    data, _ = _bundled()
    at = open_competing()
    fig = _export(at, "cr_fig_0")
    rows = [t for t in fig.data if t.mode == "text"]
    p = prepare(data, "cr_time", "cr_status", CODES, need_cause=False)
    c = cause_counts(p, _arr(rows[0].x), (1, 2))
    want = [
        f"{c.n_risk[0, j]} ({c.n_event[0, 0, j]}, {c.n_event[0, 1, j]}, {c.n_censor[0, j]})"
        for j in range(c.times.size)
    ]
    assert list(rows[0].text) == want
    assert rows[0].text[0] == "21 (0, 0, 0)"


def test_one_validated_object_per_view_reused_on_display_reruns(monkeypatch):
    import hccdash.ui.competing_cache as cc

    calls = []
    real = cc.competing_data

    def counting(*args, **kwargs):
        calls.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(cc, "competing_data", counting)
    cohort = pbc_cohort()
    at = open_competing(cohort)
    at.selectbox(key="cr_status").set_value("status").run()
    at.text_input(key="cr_cause").set_value("2").run()
    n = len(calls)
    memo = at.session_state["hccdash_view_memo"]["cr_surv"]
    held = list(memo.values())[-1]
    assert held.codes == EventCodes(0, 2, (1,), {}) and held.n == 418
    assert held.key.startswith(cohort.identity)  # keyed by the view's identity, not a hash
    # display-only reruns: figure options, the plot layout, the CI transform
    at.toggle(key="cr_fig_all__y_percent").set_value(True).run()
    at.radio(key="cr_layout").set_value("stacked").run()
    at.radio(key="cr_conf").set_value("plain").run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(calls) == n
    assert list(at.session_state["hccdash_view_memo"]["cr_surv"].values())[-1] is held
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "418 patients. Events: cause 1 25, cause 2 161" in shown
    _ = json.loads(at.session_state["cr_stack_0__export"])  # the stacked figure was drawn


def test_finegray_takes_the_codebook_reference_levels():
    """sex: the codebook lists Male first (the reference), R's order would take Female; the
    Fine-Gray and cause-specific Cox terms are against Male, with cmprsk's numbers."""
    from test_page_competing import frame_with

    from hccdash.competing.finegray import crr

    data, _ = _bundled()
    at = open_competing()
    at.multiselect(key="cr_covs").set_value(["sex", "treatment"]).run()
    assert not at.exception, [e.message for e in at.exception]
    fg = frame_with(at, "sHR")
    ref = crr(data, "cr_time", "cr_status", ["sex", "treatment"], codes=CODES,
              reference={"sex": "Male", "treatment": "IMRT+TACE"})  # fmt: skip
    assert fg["term"].tolist() == ["sex: Female vs Male", "treatment: IMRT vs IMRT+TACE"]
    assert fg["term"].tolist() == [t.term for t in ref.terms]
    assert fg["coef"].tolist() == pytest.approx([t.coef for t in ref.terms], rel=1e-12)


def test_a_time_column_outside_the_endpoints_draws_its_figures():
    """mgus2's etime is no endpoint of the cohort: its unit is its name, and the figures (all
    three layouts) are drawn, not a KeyError."""
    from pathlib import Path

    import pandas as pd

    from hccdash.schema import Cohort

    ref = Path(__file__).resolve().parent / "reference" / "competing" / "mgus2.csv"
    cohort = Cohort("mgus2", pd.read_csv(ref), "mgus2.csv")
    at = open_competing(cohort)
    at.selectbox(key="cr_time").set_value("etime").run()
    at.selectbox(key="cr_status").set_value("event").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "1384 patients. Events: cause 1 115, cause 2 860" in shown
    fig = _export(at, "cr_kmfig")
    assert fig.layout.xaxis.title.text == "Time (etime)"
    at.radio(key="cr_layout").set_value("stacked").run()
    assert not at.exception, [e.message for e in at.exception]
    assert _export(at, "cr_stack_0").layout.width == 1920


def test_numbers_at_risk_journal_table():
    """The table under the figures (DOCX/XLSX/CSV): the counts of cause_counts per group."""
    from test_page_competing import table_with

    data, _ = _bundled()
    at = open_competing()
    at.selectbox(key="cr_group").set_value("treatment").run()
    shown = table_with(at, "6 months", first="Group")
    labels = [str(x).replace("\u00a0", "").strip() for x in shown["Group"]]
    assert labels[:5] == [
        "IMRT+TACE", "At risk", "Progression (cumulative)",
        "Death without progression (cumulative)", "Censored (cumulative)",
    ]  # fmt: skip
    p = prepare(data, "cr_time", "cr_status", CODES, group="treatment", need_cause=False)
    gi = list(p.group_levels).index("IMRT+TACE")
    times = [float(c.split()[0]) for c in shown.columns[1:]]
    c = cause_counts(p, times, (1, 2))
    assert shown.iloc[1, 1:].tolist() == [str(v) for v in c.n_risk[gi]]
    assert shown.iloc[2, 1:].tolist() == [str(v) for v in c.events(gi, 1)]
    assert shown.iloc[4, 1:].tolist() == [str(v) for v in c.n_censor[gi]]


def test_all_censored_and_a_constant_covariate_are_messages():
    """Bad input after the filters: one message each on the page, never a traceback."""
    at = open_competing(pbc_cohort(status=lambda d: d["status"] * 0))
    at.selectbox(key="cr_status").set_value("status").run()
    assert not at.exception, [e.message for e in at.exception]
    errors = " ".join(e.value for e in at.warning).replace("\\", "")
    assert "All 418 patients are censored (code 0 in 'status')" in errors
    at = open_competing(pbc_cohort(sex=lambda d: "f"))
    at.selectbox(key="cr_status").set_value("status").run()
    at.multiselect(key="cr_covs").set_value(["sex"]).run()
    assert not at.exception, [e.message for e in at.exception]
    errors = " ".join(e.value for e in at.warning).replace("\\", "")
    assert "The Fine-Gray model" in errors and "'sex'" in errors
