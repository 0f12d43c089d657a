"""Risk models (issue 9): scikit-survival models, seeded validation and honest messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import concordance_index

from hccdash import models as M
from hccdash.errors import AnalysisError, InputError
from hccdash.plotting.models import predicted_survival_figure
from hccdash.schema import load_bundled_cohort
from hccdash.synth import generate as _generate
from hccdash.ui.models import events_per_variable_message, validation_statement

_BUNDLED = load_bundled_cohort()


def generate(*args, **kwargs):
    """A synthetic cohort with the bundled codebook's level order (as the models page passes
    it): the generic engine takes references from the Categorical dtype, not from the paper."""
    return _BUNDLED.as_categorical(_generate(*args, **kwargs))


FEATURES = ("treatment", "child_pugh", "kps", "pvtt")


@pytest.fixture(scope="module")
def small() -> M.ModelData:
    return M.prepare(generate(21, seed=1), "os", FEATURES)


@pytest.fixture(scope="module")
def large() -> M.ModelData:
    return M.prepare(generate(300, seed=7), "os", FEATURES)


def test_prepare_encodes_features_and_counts_parameters(small):
    assert small.features == FEATURES
    assert small.categorical == ("treatment", "child_pugh", "pvtt")
    assert small.numeric == ("kps",)
    # Reference (first) level comes from the codebook's order: IMRT+TACE, A, Yes.
    assert small.level_map()["treatment"][0] == "IMRT+TACE"
    assert small.level_map()["pvtt"][0] == "Yes"
    levels = sum(len(v) - 1 for _, v in small.levels)
    assert small.n_parameters == levels + 1
    data = generate(21, seed=1)
    assert small.n == 21 and small.events == int(data["os_event"].sum())
    assert small.events_per_variable == pytest.approx(small.events / small.n_parameters)


def test_prepare_drops_incomplete_rows_and_rejects_bad_input():
    data = generate(40, seed=3)
    data.loc[[2, 5], "kps"] = np.nan
    md = M.prepare(data, "pfs", FEATURES)
    assert md.n == 38 and md.dropped == 2 and md.time_column == "pfs_months"
    bad = data.copy()
    bad.loc[[1, 4, 9], "os_event"] = 2
    with pytest.raises(InputError, match=r"'os_event': 3 row\(s\) are not 0/1"):
        M.prepare(bad, "os", FEATURES)
    with pytest.raises(InputError, match="not in the cohort"):
        M.prepare(data, "os", ("no_such_column",))
    with pytest.raises(AnalysisError, match="No features"):
        M.prepare(data, "os", ())
    none = data.assign(os_event=0)
    with pytest.raises(AnalysisError, match="No overall survival events"):
        M.prepare(none, "os", FEATURES)


def test_constant_features_are_left_out_with_a_message():
    data = generate(30, seed=4)
    one_level = data[data["child_pugh"] == "A"]
    md = M.prepare(one_level, "os", ("child_pugh", "kps"))
    assert md.features == ("kps",) and md.n_parameters == 1
    assert md.messages == (
        f"'child_pugh' has the single value 'A' among the {len(one_level)} patients modelled, "
        "so it cannot predict anything and was left out.",
    )
    with pytest.raises(AnalysisError, match="Every chosen feature has a single value"):
        M.prepare(one_level, "os", ("child_pugh",))


def test_candidate_features_leave_out_outcomes_and_ids():
    cand = M.candidate_features(generate(30, seed=2))
    assert "failure_pattern" not in cand and "patient_id" not in cand
    assert "os_months" not in cand and "intrahepatic_response" not in cand
    assert {"treatment", "kps", "child_pugh", "age_years"} <= set(cand)
    bundled = M.candidate_features(load_bundled_cohort().data)
    assert not {"tox_anorexia_nausea_grade", "tace_fever", "bone_pain_relief"} & set(bundled)
    assert {"treatment", "tace_cycles", "rt_dose_gy", "metastatic_site"} <= set(bundled)


@pytest.mark.parametrize("kind", M.MODEL_KINDS)
def test_cross_validation_is_reproducible_with_a_fixed_seed(small, kind):
    a = M.cross_validate(small, kind, M.ValidationOptions(seed=11), n_splits=3, n_repeats=3)
    b = M.cross_validate(small, kind, M.ValidationOptions(seed=11), n_splits=3, n_repeats=3)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.folds_frame(), b.folds_frame())
    np.testing.assert_array_equal(a.oof_risk, b.oof_risk)
    assert a.messages == b.messages
    c = M.cross_validate(small, kind, M.ValidationOptions(seed=12), n_splits=3, n_repeats=3)
    assert not c.folds_frame().equals(a.folds_frame())


def test_fit_importance_and_bootstrap_are_reproducible(small):
    f1 = M.fit_model(small, "rsf", seed=5)
    f2 = M.fit_model(small, "rsf", seed=5)
    np.testing.assert_array_equal(f1.pipeline.predict(small.X), f2.pipeline.predict(small.X))
    i1 = M.permutation_importance_table(f1, small, n_repeats=5, seed=3)
    i2 = M.permutation_importance_table(f2, small, n_repeats=5, seed=3)
    pd.testing.assert_frame_equal(i1.to_frame(), i2.to_frame())
    b1 = M.bootstrap_validate(small, "cox", M.ValidationOptions(seed=4), n_boot=8)
    b2 = M.bootstrap_validate(small, "cox", M.ValidationOptions(seed=4), n_boot=8)
    pd.testing.assert_frame_equal(b1.to_frame(), b2.to_frame())


@pytest.mark.parametrize("kind", M.MODEL_KINDS)
def test_harrell_c_equals_lifelines_on_the_same_predictions(large, kind):
    fitted = M.fit_model(large, kind, seed=0)
    risk = fitted.pipeline.predict(large.X)
    # lifelines scores "higher = longer survival": pass minus the risk score.
    expected = concordance_index(large.time, -risk, large.event)
    assert fitted.apparent_c == pytest.approx(expected, rel=1e-12)


def test_fold_harrell_c_equals_lifelines(large):
    """Every fold value of Harrell's C is lifelines' C of that fold's predictions."""
    md = large
    splitter = M._splitter(md.event, 3, 21)
    tr, te = next(iter(splitter.split(md.X, md.event)))
    pipe, reason = M._fit(M.make_pipeline(md, "cox"), md.X.iloc[tr], md.y[tr])
    assert reason is None
    vals, fails = M._evaluate(
        pipe, md, tr, te, np.array([12.0]), M.default_tau(md), M._brier_grid(md)
    )
    assert fails == []
    risk = pipe.predict(md.X.iloc[te])
    expected = concordance_index(md.time[te], -risk, md.event[te])
    assert vals[("harrell_c", None)] == pytest.approx(expected, rel=1e-12)


REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def r_cox() -> dict[str, float]:
    ref = pd.read_csv(REFERENCE / "models_cox.csv")
    return dict(zip(ref["quantity"], ref["value"], strict=True))


@pytest.fixture(scope="module")
def ref300() -> M.ModelData:
    frame = _BUNDLED.as_categorical(pd.read_csv(REFERENCE / "models_synth300.csv"))
    return M.prepare(frame, "os", FEATURES)


def test_cox_equals_r_coxph_efron(ref300, r_cox):
    """Coefficients, concordance and the what-if curve equal R's survival package.

    R (tests/reference/models_cox.R)::

        coxph(Surv(os_months, os_event) ~ treatment + child_pugh + pvtt + kps_z, data = d,
              ties = "efron")   # kps_z = (kps - mean) / population SD, as StandardScaler
        survfit(fit, newdata = nd, ctype = 1, stype = 2)   # Breslow, S = exp(-H)
    """
    fitted = M.fit_model(ref300, "cox")
    terms = {c.term: c.coef for c in fitted.coefficients}
    r_names = {
        "treatment_IMRT": "coef:treatmentIMRT",
        "child_pugh_B": "coef:child_pughB",
        "child_pugh_C": "coef:child_pughC",
        "pvtt_No": "coef:pvttNo",
        "kps": "coef:kps_z",
    }
    assert set(terms) == set(r_names)
    for term, r_name in r_names.items():
        assert terms[term] == pytest.approx(r_cox[r_name], rel=1e-6)
    assert fitted.apparent_c == pytest.approx(r_cox["concordance"], rel=1e-9)
    patient = {"treatment": "IMRT", "child_pugh": "B", "kps": 70, "pvtt": "No"}
    pred = M.predict_patient([fitted], ref300, patient, times=(12, 24))
    got = dict(pred.curves[0].surv_at)
    assert got[12.0] == pytest.approx(r_cox["surv:12"], rel=1e-6)
    assert got[24.0] == pytest.approx(r_cox["surv:24"], rel=1e-6)


def test_uno_c_equals_harrell_c_without_censoring():
    """With no censoring, IPCW weights are all 1 and Uno's C is Harrell's C."""
    data = generate(120, seed=9).assign(os_event=1)
    md = M.prepare(data, "os", FEATURES)
    pipe, _ = M._fit(M.make_pipeline(md, "cox"), md.X, md.y)
    everyone = np.arange(md.n)
    # tau at the largest time: every comparable pair counts.
    vals, _ = M._evaluate(pipe, md, everyone, everyone, np.array([]), md.time.max(), np.array([]))
    risk = pipe.predict(md.X)
    harrell = concordance_index(md.time, -risk, md.event)
    assert vals[("harrell_c", None)] == pytest.approx(harrell, rel=1e-12)
    # The last event is censored just below the limit (IPCW is undefined there); it only
    # leaves pairs whose earlier member is the last patient, i.e. none.
    assert vals[("uno_c", None)] == pytest.approx(harrell, rel=1e-9)


def test_kaplan_meier_null_equals_lifelines(small):
    times = np.array([0.5, 6.0, 12.0, 18.3, 30.0])
    kmf = KaplanMeierFitter().fit(small.time, small.event)
    expected = kmf.survival_function_at_times(times).to_numpy()
    np.testing.assert_allclose(M._km_null(small.y, times), expected, rtol=1e-12)


def test_validation_reports_metrics_with_spread(large):
    res = M.cross_validate(
        large, "cox", M.ValidationOptions(seed=0, times=(12, 24)), n_splits=3, n_repeats=4
    )
    names = {(m.metric, m.time) for m in res.metrics}
    assert names == {
        ("harrell_c", None),
        ("uno_c", None),
        ("auc", 12.0),
        ("auc", 24.0),
        ("ibs", None),
        ("ibs_null", None),
    }
    h = res.metric("harrell_c")
    folds = res.folds_frame()
    per_repeat = folds[folds.metric == "harrell_c"].groupby("repeat")["value"].mean()
    assert h.estimate == pytest.approx(per_repeat.mean(), rel=1e-12)
    assert h.sd == pytest.approx(per_repeat.std(ddof=1), rel=1e-12)
    assert h.lower == pytest.approx(per_repeat.min()) and h.upper == pytest.approx(per_repeat.max())
    assert h.n_ok == 4 and len(folds[folds.metric == "harrell_c"]) == 12
    # The simulated predictors carry real signal: the model beats a coin and the KM null.
    assert 0.55 < h.estimate < 0.8
    assert res.metric("ibs").estimate < res.metric("ibs_null").estimate
    assert res.messages == ()


def test_bootstrap_optimism_correction(small):
    res = M.bootstrap_validate(small, "cox", M.ValidationOptions(seed=1), n_boot=10)
    h = res.metric("harrell_c")
    assert h is not None and h.n_total == 10
    assert h.estimate == pytest.approx(h.apparent - h.optimism, rel=1e-12)
    raw = res.folds_frame()
    assert h.optimism == pytest.approx(raw[raw.metric == "harrell_c"]["value"].mean())
    # Refitting on 21 patients is optimistic on average.
    assert h.optimism > 0


def _few_events(n: int = 12, events: int = 2) -> pd.DataFrame:
    data = generate(n, seed=5).reset_index(drop=True)
    data["os_event"] = 0
    data.loc[: events - 1, "os_event"] = 1
    return data


@pytest.mark.parametrize("kind", M.MODEL_KINDS)
def test_too_few_events_give_messages_not_exceptions(kind):
    md = M.prepare(_few_events(), "os", ("treatment", "kps"))
    res = M.cross_validate(md, kind, M.ValidationOptions(seed=0), n_splits=3, n_repeats=2)
    assert res.messages, "expected plain messages about the metrics that could not be computed"
    text = " ".join(res.messages)
    assert "could not be" in text
    assert any(
        reason in text
        for reason in (
            "no events among the test patients",
            "no events among the training patients",
            "no comparable pairs",
        )
    )
    assert "Traceback" not in text
    boot = M.bootstrap_validate(md, kind, M.ValidationOptions(seed=0), n_boot=4)
    assert isinstance(boot.messages, tuple)
    groups = M.risk_groups(md, res)
    assert isinstance(groups.messages, tuple)


def test_single_event_still_gives_a_result():
    md = M.prepare(_few_events(8, 1), "os", ("kps",))
    res = M.cross_validate(md, "cox", M.ValidationOptions(seed=0), n_splits=3, n_repeats=2)
    assert res.metric("auc", 24.0) is None
    assert any("could not be" in m for m in res.messages)


def test_risk_groups_split_by_out_of_fold_risk(large, small):
    cv = M.cross_validate(large, "cox", M.ValidationOptions(seed=0), n_splits=3, n_repeats=2)
    rg = M.risk_groups(large, cv)
    assert rg.levels == ("Low risk", "Intermediate risk", "High risk")
    counts = pd.Series(rg.groups).value_counts()
    assert set(counts) == {100}
    frame = rg.to_frame()
    # Groups are ordered by out-of-fold risk.
    means = frame.groupby("risk_group")["oof_risk"].max()
    assert means["Low risk"] < means["Intermediate risk"] < means["High risk"]
    assert [c.group for c in rg.km.curves] == list(rg.levels)
    assert rg.km.n == 300
    from hccdash.compare import survdiff

    direct = survdiff(frame.assign(t=large.time, e=large.event.astype(int)), "t", "e", "risk_group")
    assert rg.test.chisq == pytest.approx(direct.chisq, rel=1e-12)
    # Small cohorts are halved.
    cv_small = M.cross_validate(small, "rsf", M.ValidationOptions(seed=0), n_splits=3, n_repeats=2)
    assert M.risk_groups(small, cv_small).levels == ("Lower risk", "Higher risk")


def test_what_if_median_and_matching_patients(large):
    fitted = M.fit_model(large, "cox")
    patient = {"treatment": "IMRT", "child_pugh": "B", "kps": 70, "pvtt": "No"}
    pred = M.predict_patient([fitted], large, patient, times=(12, 24))
    curve = pred.curves[0]
    # The median is the first time the predicted curve reaches 0.5.
    assert curve.surv[curve.time == curve.median][0] <= 0.5
    assert curve.surv[curve.time < curve.median].min() > 0.5
    # Matching patients: same levels, KPS within half an SD; their KM is the package's.
    half = 0.5 * large.X["kps"].std(ddof=1)
    mask = (
        (large.X.treatment == "IMRT")
        & (large.X.child_pugh == "B")
        & (large.X.pvtt == "No")
        & ((large.X.kps - 70).abs() <= half)
    ).to_numpy()
    assert pred.matched_n == int(mask.sum()) > 0
    assert pred.matched_events == int(large.event[mask].sum())
    assert pred.matched_km.n == pred.matched_n
    kmf = KaplanMeierFitter().fit(large.time[mask], large.event[mask])
    np.testing.assert_allclose(
        pred.matched_km.curves[0].surv,
        kmf.survival_function_at_times(pred.matched_km.curves[0].time).to_numpy(),
        rtol=1e-12,
    )


def test_what_if_predicts_from_every_model_and_rejects_unknown_levels(small):
    fitted = [M.fit_model(small, k) for k in M.MODEL_KINDS]
    patient = {"treatment": "IMRT+TACE", "child_pugh": "A", "kps": 80, "pvtt": "No"}
    pred = M.predict_patient(fitted, small, patient)
    assert [c.model for c in pred.curves] == list(M.MODEL_KINDS)
    table = pred.to_frame()
    assert list(table.columns) == ["model", "median", "surv_12", "surv_24"]
    for c in pred.curves:
        assert c.surv[0] == 1.0 and np.all(np.diff(c.surv) <= 1e-12)
    fig = predicted_survival_figure(pred)
    assert len(fig.data) == 3 + (pred.matched_km is not None)
    with pytest.raises(InputError, match="level 'Z'"):
        M.predict_patient(fitted, small, {**patient, "child_pugh": "Z"})


def test_events_per_variable_banner(small, large):
    sev, text = events_per_variable_message(small)
    assert sev in ("error", "warning")
    assert f"{small.events} events for {small.n_parameters}" in text
    assert events_per_variable_message(large)[0] == "info"
    assert "cannot show that a model works" in validation_statement(small)


def test_chunked_validation_equals_one_shot(small):
    """The UI computes validation chunk by chunk (cached, responsive); the result is the same."""
    two = M.ValidationOptions(seed=2)
    whole = M.cross_validate(small, "cox", two, n_splits=3, n_repeats=4)
    parts = [
        M.cv_chunk(small, "cox", 0, 1, two, n_splits=3),
        M.cv_chunk(small, "cox", 1, 4, two, n_splits=3),
    ]
    pieced = M.summarise_cv(small, "cox", parts, two, n_splits=3)
    pd.testing.assert_frame_equal(whole.to_frame(), pieced.to_frame())
    np.testing.assert_array_equal(whole.oof_risk, pieced.oof_risk)
    assert whole.messages == pieced.messages
    boot = M.bootstrap_validate(small, "cox", M.ValidationOptions(seed=3), n_boot=6)
    three = M.ValidationOptions(seed=3)
    chunks = [M.bootstrap_chunk(small, "cox", a, b, three) for a, b in ((0, 2), (2, 6))]
    pd.testing.assert_frame_equal(
        boot.to_frame(), M.summarise_bootstrap(small, "cox", chunks, three).to_frame()
    )


def test_uno_c_with_test_follow_up_beyond_training_equals_the_ipcw_formula():
    """Test patients followed beyond the training fold's last time are censored just below it
    before scikit-survival computes IPCW metrics; with tau below that time this is exact.

    Checked against Uno's formula written out (continuous times, no ties):
    C = sum_ij d_i G(T_i)^-2 1[T_i < T_j, T_i < tau] (1[r_i > r_j] + 1[r_i = r_j] / 2) /
    sum_ij d_i G(T_i)^-2 1[T_i < T_j, T_i < tau], G = Kaplan-Meier of censoring in the
    training patients.
    """
    from sksurv.nonparametric import CensoringDistributionEstimator

    md = M.prepare(generate(80, seed=13, rounded=False), "os", FEATURES)
    # Training: 50 random patients among all but the 5 longest; test: the other 30.
    pool = np.argsort(md.time)[:-5]
    train = np.sort(np.random.default_rng(3).choice(pool, 50, replace=False))
    test = np.setdiff1d(np.arange(md.n), train)
    assert md.time[test].max() > md.time[train].max()
    pipe, _ = M._fit(M.make_pipeline(md, "cox"), md.X.iloc[train], md.y[train])
    tau = float(np.percentile(md.time[train], 90))
    vals, fails = M._evaluate(pipe, md, train, test, np.array([]), tau, np.array([]))
    assert not [f for f in fails if f[0] == "Uno's C"]
    risk = pipe.predict(md.X.iloc[test])
    t, d = md.time[test], md.event[test]
    g = CensoringDistributionEstimator().fit(md.y[train]).predict_proba(t[d & (t < tau)])
    weight = np.zeros(len(t))
    weight[d & (t < tau)] = 1.0 / g**2
    num = den = 0.0
    for i in np.flatnonzero(weight):
        later = t > t[i]
        den += weight[i] * later.sum()
        tied = np.abs(risk[later] - risk[i]) <= 1e-8  # equal profiles: half credit
        num += weight[i] * ((risk[i] > risk[later]) & ~tied).sum() + 0.5 * weight[i] * tied.sum()
    assert vals[("uno_c", None)] == pytest.approx(num / den, rel=1e-12)


def test_integrated_brier_of_the_null_model_equals_the_ipcw_formula():
    """IBS of the Kaplan-Meier null model on a test set that outlives the training fold.

    Brier(t) = mean_i [ S(t)^2 d_i 1[T_i <= t] / G(T_i) + (1 - S(t))^2 1[T_i > t] / G(t) ],
    integrated by the trapezoid rule over the grid and divided by its length (Graf 1999).
    """
    from sksurv.nonparametric import CensoringDistributionEstimator

    md = M.prepare(generate(80, seed=17, rounded=False), "os", FEATURES)
    pool = np.argsort(md.time)[:-5]
    train = np.sort(np.random.default_rng(4).choice(pool, 50, replace=False))
    test = np.setdiff1d(np.arange(md.n), train)
    grid = M._brier_grid(md)
    pipe, _ = M._fit(M.make_pipeline(md, "cox"), md.X.iloc[train], md.y[train])
    vals, _ = M._evaluate(pipe, md, train, test, np.array([]), 12.0, grid)
    t, d = md.time[test], md.event[test]
    g = grid[(grid >= t.min()) & (grid < md.time[train].max())]
    cens = CensoringDistributionEstimator().fit(md.y[train])
    null = M._km_null(md.y[train], g)
    brier = []
    for k, tk in enumerate(g):
        died = d & (t <= tk)
        g_event = np.ones(len(t))
        g_event[died] = cens.predict_proba(t[died])
        alive = t > tk
        score = np.where(died, null[k] ** 2 / g_event, 0.0)
        score += np.where(alive, (1 - null[k]) ** 2 / cens.predict_proba(np.array([tk]))[0], 0.0)
        brier.append(score.mean())
    expected = np.trapezoid(brier, g) / (g[-1] - g[0])
    assert vals[("ibs_null", None)] == pytest.approx(expected, rel=1e-12)
