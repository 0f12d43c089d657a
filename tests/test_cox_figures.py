"""Figures of the extended Cox analyses: built from computed results, exported at the slide
preset. Data: R's pbc (tests/reference/cox_ext/data)."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from hccdash import export
from hccdash.cox_figures import adjusted_curves_figure, balance_figure, subgroup_forest_figure
from hccdash.coxext.adjusted import cox_survfit, cox_survfit_strata, direct_adjusted
from hccdash.coxext.subgroup import subgroup_hr
from hccdash.coxext.weighting import ipw_analysis
from hccdash.style import PRESETS

REF = Path(__file__).parent / "reference" / "cox_ext" / "data"


@pytest.fixture(scope="module")
def pbc():
    d = pd.read_csv(REF / "pbc.csv")
    d["logbili"] = np.log(d["bili"])
    d["arm"] = np.where(d["treated"] == 1, "D-penicillamine", "placebo")
    return d


@pytest.fixture(scope="module")
def forest(pbc):
    res = subgroup_hr(pbc, "time", "death", "arm", ["sex", "edema"])
    labels = {"sex": "Sex", "edema": "Oedema <b>"}
    return res, subgroup_forest_figure(res, labels=labels, title="Death by subgroup")


def test_forest_draws_every_subgroup_hr(forest):
    res, fig = forest
    xs = list(fig.data[0].x)
    assert xs == pytest.approx([r.hr for r in res.rows])
    ticks = list(fig.layout.yaxis.ticktext)
    assert "<b>Oedema &lt;b&gt;</b>" in ticks  # user text is escaped
    texts = [a.text for a in fig.layout.annotations]
    p_int = res.interaction["sex"].p_value
    assert f"{p_int:.2f}" in texts or f"{p_int:.3f}" in texts


def test_adjusted_and_predicted_curves_are_monotone_steps(pbc):
    adj = direct_adjusted(pbc, "time", "death", "arm", ["age", "logbili"])
    fig = adjusted_curves_figure(adj, title="Adjusted")
    ys = [np.asarray(t.y) for t in fig.data]
    assert len(ys) == 2 and all(np.all(np.diff(y) <= 0) and y[0] == 1 for y in ys)
    pc = cox_survfit(pbc, "time", "death", ["age"], pd.DataFrame({"age": [40, 60]}))
    fig2 = adjusted_curves_figure(pc, labels={"1": "age 40", "2": "age 60"})
    names = [t.name for t in fig2.data if t.name]
    assert names == ["age 40", "age 60"]


def _strata_curves(pbc):
    nd = pd.DataFrame({"age": [40, 60]})
    return cox_survfit_strata(pbc, "time", "death", ["age"], nd, strata="edema",
                              labels=["age 40", "age 60"])  # fmt: skip


def test_stratified_predicted_curves_one_dash_per_stratum(pbc):
    sc = _strata_curves(pbc)
    fig = adjusted_curves_figure(sc, labels={"edema": "Oedema <i>"})
    lines = [t for t in fig.data if t.name]
    assert len(lines) == 6  # 3 strata x 2 profiles, each with its band
    assert len(fig.data) == 18
    assert lines[0].name == "age 40; Oedema &lt;i&gt;: 0"  # user text escaped
    assert {t.line.dash for t in lines} == {"solid", "dash", "dot"}
    # one colour per covariate profile across strata
    assert lines[0].line.color == lines[2].line.color != lines[1].line.color
    for t, (k, j) in zip(lines, [(k, j) for k in range(3) for j in range(2)], strict=True):
        np.testing.assert_array_equal(np.asarray(t.y)[1:], sc.blocks[k].surv[:, j])
        np.testing.assert_array_equal(np.asarray(t.x)[1:], sc.blocks[k].time)
    caption = " ".join(a.text for a in fig.layout.annotations)
    assert "stratified by Oedema &lt;i&gt;" in caption


def test_balance_plot_shows_both_smds(pbc):
    res = ipw_analysis(pbc, "time", "death", "arm", ["age", "sex", "albumin"])
    fig = balance_figure(res.balance)
    assert list(fig.data[1].x) == pytest.approx(res.balance["smd_after"].abs().tolist())


@pytest.mark.needs_chromium
def test_forest_and_adjusted_curves_export_at_the_slide_preset(forest, pbc, tmp_path):
    if not export.chromium_available():
        pytest.fail("chromium is needed for server-side export (apt-get install chromium)")
    res, _ = forest
    w, h = PRESETS["16:9 1920x1080"]
    slide = subgroup_forest_figure(res, style="slide", title="Death by subgroup")
    adj = direct_adjusted(pbc, "time", "death", "arm", ["age", "logbili"])
    curves = adjusted_curves_figure(adj, style="slide", title="Adjusted survival")
    strat = adjusted_curves_figure(_strata_curves(pbc), style="slide", title="By oedema")
    for name, fig in (("forest", slide), ("adjusted", curves), ("adjusted_strata", strat)):
        data = export.figure_bytes(fig, "png", w, h)
        img = Image.open(io.BytesIO(data))
        assert img.size == (1920, 1080)
        assert len(np.unique(np.asarray(img.convert("L")))) > 10  # drawn, not blank
        (tmp_path / f"{name}.png").write_bytes(data)
        Path("/tmp/i18_shots").mkdir(exist_ok=True)
        (Path("/tmp/i18_shots") / f"{name}.png").write_bytes(data)
