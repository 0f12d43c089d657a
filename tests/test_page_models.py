"""Headless AppTest of the risk-models page (issue 9): numbers shown equal hccdash.models'."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash import models as M
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.synth import generate
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 300
SEED = 2026  # the page's default seed


pytestmark = pytest.mark.usefixtures("router_on_every_run")


def open_models(cohort: Cohort | None = None, kinds: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if cohort is not None:
        at.session_state[UPLOADED_KEY] = cohort
    if kinds is not None:
        at.session_state["models_kinds"] = kinds
    at.run()
    at.switch_page("pages/models.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, f"{len(frames)} tables with column {column!r}"
    return frames[0]


def infos(at: AppTest) -> str:
    return "\n".join(m.value for m in at.info)


def _expected_cv(data: pd.DataFrame, kind: str, endpoint: str = "os") -> M.ValidationResult:
    md = M.prepare(data, endpoint, M.default_features(data))
    return M.cross_validate(md, kind, M.ValidationOptions(seed=SEED))


@pytest.mark.slow
def test_page_loads_on_the_bundled_cohort_with_the_numbers_of_hccdash():
    at = open_models()
    data = load_bundled_cohort().as_categorical()  # the codebook's level order, as the page
    md = M.prepare(data, "os", M.default_features(data))
    # The events-per-variable banner.
    banner = [m.value for m in [*at.error, *at.warning] if "events per variable" in m.value]
    assert banner and f"{md.events} events for {md.n_parameters} model parameter(s)" in banner[0]
    # Cross-validation table: every model's metrics equal a direct hccdash run.
    shown = table_with(at, "metric")
    for kind in M.MODEL_KINDS:
        expected = _expected_cv(data, kind).to_frame()
        got = shown[shown["model"] == M.MODEL_LABELS[kind]].reset_index(drop=True)
        pd.testing.assert_series_equal(got["estimate"], expected["estimate"], rtol=1e-12)
        pd.testing.assert_series_equal(got["sd"], expected["sd"], rtol=1e-12)
    # Risk groups: halves for 21 patients, with the log-rank table of hccdash.compare.
    members = table_with(at, "risk_group")
    assert set(members["risk_group"]) == {"Lower risk", "Higher risk"}
    rg = M.risk_groups(md, _expected_cv(data, "cox"))
    pd.testing.assert_frame_equal(members, rg.to_frame())
    assert table_with(at, "observed")["observed"].sum() == md.events
    # What-if: one row per model, in model order.
    whatif = table_with(at, "predicted median")
    assert list(whatif["model"]) == [M.MODEL_LABELS[k] for k in M.MODEL_KINDS]
    assert "cannot show that a model works" in " ".join(m.value for m in at.markdown)


@pytest.mark.slow
def test_what_if_widgets_change_the_prediction():
    at = open_models(kinds=["cox"])
    before = table_with(at, "predicted median")
    box = at.selectbox(key="models_whatif_treatment_IMRT+TACE|IMRT")
    other = next(o for o in box.options if o != box.value)
    box.set_value(other).run()
    assert not at.exception
    after = table_with(at, "predicted median")
    assert after["1-year"].iloc[0] != before["1-year"].iloc[0]
    data = load_bundled_cohort().as_categorical()  # the codebook's level order, as the page
    md = M.prepare(data, "os", M.default_features(data))
    fitted = M.fit_model(md, "cox", seed=SEED)
    widgets = [*at.selectbox, *at.number_input]
    patient = {
        f: next(w.value for w in widgets if (w.key or "").startswith(f"models_whatif_{f}_"))
        for f in md.features
    }
    pred = M.predict_patient([fitted], md, patient)
    assert after["1-year"].iloc[0] == pytest.approx(pred.curves[0].surv_at[0][1], rel=1e-12)


@pytest.mark.slow
def test_endpoint_and_filters_change_the_modelled_patients():
    at = open_models(kinds=["rsf"])
    at.radio(key="models_endpoint").set_value("pfs").run()
    assert not at.exception, [e.message for e in at.exception]
    data = load_bundled_cohort().as_categorical()  # the codebook's level order, as the page
    shown = table_with(at, "metric")
    expected = _expected_cv(data, "rsf", "pfs").to_frame()
    pd.testing.assert_series_equal(shown["estimate"], expected["estimate"], rtol=1e-12)
    # A sidebar filter (treatment arm) leaves fewer patients; treatment is then constant.
    arm = at.sidebar.selectbox[[w.label for w in at.sidebar.selectbox].index("Treatment arm")]
    arm.set_value("IMRT+TACE").run()
    assert not at.exception, [e.message for e in at.exception]
    sub = data[data["treatment"] == "IMRT+TACE"]
    shown_warnings = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]  # markdown escapes
    assert any("'treatment' has the single value 'IMRT+TACE'" in w for w in shown_warnings)
    assert len(table_with(at, "risk_group")) == len(sub)


@pytest.mark.slow
def test_page_loads_on_a_larger_generated_cohort():
    data = generate(300, seed=11)
    cohort = Cohort(name="Generated 300", data=data, source="test", reconstructed=False)
    at = open_models(cohort)
    members = table_with(at, "risk_group")
    assert len(members) == 300
    assert members["risk_group"].value_counts().to_dict() == {
        "Low risk": 100,
        "Intermediate risk": 100,
        "High risk": 100,
    }
    shown = table_with(at, "metric")
    expected = _expected_cv(data, "rsf").to_frame()
    got = shown[shown["model"] == M.MODEL_LABELS["rsf"]].reset_index(drop=True)
    pd.testing.assert_series_equal(got["estimate"], expected["estimate"], rtol=1e-12)
    assert not [m for m in at.error if "events per variable" in m.value]


@pytest.mark.slow
def test_too_few_events_show_messages_not_exceptions():
    data = generate(14, seed=5).reset_index(drop=True)
    data["os_event"] = 0
    data.loc[:1, "os_event"] = 1
    cohort = Cohort(name="Two events", data=data, source="test", reconstructed=False)
    at = open_models(cohort)
    text = infos(at)
    assert "could not be" in text
    assert any("events per variable" in m.value for m in at.error)


@pytest.mark.slow
def test_full_validation_button_runs_the_bootstrap():
    at = open_models(kinds=["cox"])
    assert not [d for d in at.dataframe if "apparent" in d.value.columns]
    at.button(key="models_full_button").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = table_with(at, "apparent")
    data = load_bundled_cohort().as_categorical()  # the codebook's level order, as the page
    md = M.prepare(data, "os", M.default_features(data))
    expected = M.bootstrap_validate(
        md, "cox", M.ValidationOptions(seed=SEED), n_boot=200
    ).to_frame()
    for col in ("estimate", "apparent", "optimism"):
        pd.testing.assert_series_equal(shown[col], expected[col], rtol=1e-12)
