"""hccdash.cox.cox_fit against R's survival::coxph (fixtures in tests/reference/cox/).

The fixtures were written by ``Rscript tests/reference/cox/cox_reference.R`` (R 4.2,
survival 3.5-3) on CSV copies of public datasets shipped in lifelines and scikit-survival
(``tests/reference/cox/export_data.py``). Every R fit is
``coxph(Surv(time, status) ~ ..., data = d, ties = ties,
control = coxph.control(eps = 1e-12, iter.max = 100))``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hccdash.cox import cox_fit
from hccdash.cox.concordance import concordance
from hccdash.cox.firth import _firth_gradient
from hccdash.cox.newton import _RiskSets
from hccdash.errors import AnalysisError, InputError
from hccdash.schema import load_bundled_cohort

REF = Path(__file__).parent / "reference" / "cox"
REL = 1e-6

# dataset -> (csv, time, event, covariates, reference levels, R term -> our term)
SPECS = {
    "rossi": (
        "rossi.csv",
        "week",
        "arrest",
        ["fin", "age", "race", "wexp", "mar", "paro", "prio_group"],
        {"prio_group": "1-3"},
        {"prio_group0": "prio_group: 0 vs 1-3", "prio_group4+": "prio_group: 4+ vs 1-3"},
    ),
    "rossi_cat": (
        "rossi.csv",
        "week",
        "arrest",
        ["fin", "prio_group"],
        {"prio_group": "4+"},
        {"prio_group0": "prio_group: 0 vs 4+", "prio_group1-3": "prio_group: 1-3 vs 4+"},
    ),
    "lung": (
        "lung.csv",
        "time",
        "status",
        ["age", "sex", "ph_ecog"],
        {"sex": "male", "ph_ecog": "1"},
        {
            "sexfemale": "sex: female vs male",
            "ph_ecog0": "ph_ecog: 0 vs 1",
            "ph_ecog2": "ph_ecog: 2 vs 1",
            "ph_ecog3": "ph_ecog: 3 vs 1",
        },
    ),
    "veterans": (
        "veterans.csv",
        "time",
        "status",
        ["karno", "age", "celltype", "trt"],
        {"celltype": "large"},
        {
            "celltypeadeno": "celltype: adeno vs large",
            "celltypesmallcell": "celltype: smallcell vs large",
            "celltypesquamous": "celltype: squamous vs large",
            "trttest": "trt: test vs standard",
        },
    ),
    "gbsg2": (
        "gbsg2.csv",
        "time",
        "cens",
        ["age", "horTh", "tsize", "tgrade", "pnodes", "progrec"],
        {"tgrade": "II"},
        {
            "horThyes": "horTh: yes vs no",
            "tgradeI": "tgrade: I vs II",
            "tgradeIII": "tgrade: III vs II",
        },
    ),
}
CASES = [(name, ties) for name in SPECS for ties in ("efron", "breslow")]


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / SPECS[name][0], dtype={"ph_ecog": str, "prio_group": str})


def fit(name: str, ties: str, **kw):
    _csv, time, event, cov, ref, _ = SPECS[name]
    return cox_fit(load(name), time, event, cov, ties=ties, reference=ref, **kw)


@pytest.fixture(scope="module")
def r_coef() -> pd.DataFrame:
    return pd.read_csv(REF / "cox_coef.csv")


@pytest.fixture(scope="module")
def r_stats() -> pd.DataFrame:
    return pd.read_csv(REF / "cox_stats.csv")


@pytest.mark.parametrize(("name", "ties"), CASES)
def test_coefficients_match_r(name, ties, r_coef):
    """R: ``summary(coxph(Surv(time, status) ~ ..., ties = ties,
    control = coxph.control(eps = 1e-12, iter.max = 100)))$coefficients`` and ``$conf.int``
    (factor levels releveled to the non-default reference given in SPECS)."""
    res = fit(name, ties)
    rows = r_coef[(r_coef.dataset == name) & (r_coef.ties == ties)]
    mapping = SPECS[name][5]
    assert [t.term for t in res.terms] == [mapping.get(x, x) for x in rows.term]
    for t, (_, r) in zip(res.terms, rows.iterrows(), strict=True):
        assert t.coef == pytest.approx(r.coef, rel=REL)
        assert t.se == pytest.approx(r.se, rel=REL)
        assert t.z == pytest.approx(r.z, rel=REL)
        assert t.p_value == pytest.approx(r.p, rel=REL)
        assert t.hr == pytest.approx(np.exp(r.coef), rel=REL)
        assert t.lower == pytest.approx(r.lower, rel=REL)
        assert t.upper == pytest.approx(r.upper, rel=REL)


@pytest.mark.parametrize(("name", "ties"), CASES)
def test_global_tests_and_concordance_match_r(name, ties, r_stats):
    """R: ``fit$loglik``, ``summary(fit)$logtest``, ``fit$wald.test`` (unrounded),
    ``summary(fit)$sctest``, ``summary(fit)$concordance`` ("Concordance= x (se = y)"),
    ``fit$n``, ``fit$nevent``, ``length(fit$na.action)``, ``fit$iter``."""
    res = fit(name, ties)
    r = r_stats[(r_stats.dataset == name) & (r_stats.ties == ties)].iloc[0]
    assert (res.n, res.events, res.dropped) == (r.n, r.nevent, r.dropped)
    assert res.iterations == r.iter
    assert res.converged
    assert res.loglik_null == pytest.approx(r.loglik0, rel=REL)
    assert res.loglik == pytest.approx(r.loglik1, rel=REL)
    for ours, stat, df, p in (
        (res.likelihood_ratio, r.lr, r.lr_df, r.lr_p),
        (res.wald, r.wald, r.wald_df, r.wald_p),
        (res.score, r.score, r.score_df, r.score_p),
    ):
        assert ours.chisq == pytest.approx(stat, rel=REL)
        assert ours.df == df
        assert ours.p_value == pytest.approx(p, rel=REL)
    assert res.concordance == pytest.approx(r.concordance, rel=REL)
    assert res.concordance_se == pytest.approx(r.concordance_se, rel=REL)
    assert res.ties == ties
    assert not res.separation
    assert not res.penalized


def test_to_frame_one_row_per_term():
    res = fit("veterans", "efron")
    df = res.to_frame()
    assert list(df.term) == [t.term for t in res.terms]
    assert list(df.columns[:11]) == [
        "term", "covariate", "level", "reference", "coef", "se", "hr", "lower", "upper", "z",
        "p_value",
    ]  # fmt: skip
    row = df.set_index("term").loc["celltype: adeno vs large"]
    assert (row.covariate, row.level, row.reference) == ("celltype", "adeno", "large")
    assert df.set_index("term").loc["karno"].level is None


def test_default_reference_is_first_sorted_level_as_r_factor():
    """R's ``factor()`` sorts levels, so the default reference of celltype is "adeno"."""
    d = load("veterans")
    res = cox_fit(d, "time", "status", ["karno", "celltype"])
    assert [t.term for t in res.terms][1:] == [
        "celltype: large vs adeno",
        "celltype: smallcell vs adeno",
        "celltype: squamous vs adeno",
    ]
    # the categorical dtype's own order wins: reference "squamous"
    d["celltype"] = pd.Categorical(
        d["celltype"], categories=["squamous", "adeno", "large", "smallcell"]
    )
    res = cox_fit(d, "time", "status", ["karno", "celltype"])
    assert res.terms[1].term == "celltype: adeno vs squamous"
    # reparametrisation leaves the fit unchanged
    base = cox_fit(load("veterans"), "time", "status", ["karno", "celltype"])
    assert res.loglik == pytest.approx(base.loglik, rel=1e-12)
    assert res.terms[0].coef == pytest.approx(base.terms[0].coef, rel=1e-9)


def test_numeric_codes_as_categorical_sort_numerically():
    d = load("lung")
    d["ecog_num"] = pd.to_numeric(d["ph_ecog"])
    res = cox_fit(d, "time", "status", ["age", "ecog_num"], categorical=["ecog_num"])
    assert [t.term for t in res.terms][1:] == [
        "ecog_num: 1 vs 0",
        "ecog_num: 2 vs 0",
        "ecog_num: 3 vs 0",
    ]


def test_generic_engine_follows_r_and_the_codebook_order_comes_from_the_caller():
    """The engine knows no cohort: a "pvtt" column gets R's default reference ("No", first
    sorted level, as ``factor()``); the bundled codebook's order ("Yes" first) reaches it only
    through ``Cohort.as_categorical`` (or ``reference=``)."""
    rng = np.random.default_rng(3)
    n = 60
    d = pd.DataFrame(
        {
            "t": rng.exponential(10, n).round(1) + 0.1,
            "e": rng.integers(0, 2, n),
            "pvtt": rng.choice(["No", "Yes"], n),
        }
    )
    assert cox_fit(d, "t", "e", ["pvtt"]).terms[0].term == "pvtt: Yes vs No"
    bundled = load_bundled_cohort()
    res = cox_fit(bundled.as_categorical(d), "t", "e", ["pvtt"])
    assert res.terms[0].term == "pvtt: No vs Yes"
    flipped = cox_fit(d, "t", "e", ["pvtt"], reference={"pvtt": "Yes"})
    assert flipped.terms[0].coef == pytest.approx(res.terms[0].coef, rel=1e-12)


@pytest.fixture(scope="module")
def r_separation() -> pd.DataFrame:
    return pd.read_csv(REF / "separation_r.csv")


def test_separation_is_flagged_not_raised(r_separation):
    """R: ``coxph(Surv(time, event) ~ arm + age, data = d)`` warns "Loglik converged before
    variable 1; coefficient may be infinite." (coef armB = 21.4, se = 10078); with
    ``control = coxph.control(eps = 1e-12, iter.max = 100)`` it iterates 27 times and reports
    armB as NA. We flag the term, keep age, and explain."""
    d = pd.read_csv(REF / "separation.csv")
    res = cox_fit(d, "time", "event", ["arm", "age"])
    default = r_separation[r_separation.control == "default"].set_index("term")
    tight = r_separation[r_separation.control == "tight"].set_index("term")
    assert "coefficient may be infinite" in default.loc["armB", "warning"]
    assert np.isnan(tight.loc["armB", "coef"])
    assert res.separation
    assert res.separated_terms == ("arm: B vs A",)
    arm, age = res.terms
    assert arm.coef > default.loc["armB", "coef"]  # diverged further than R's default stop
    assert arm.se > 1e3 * arm.coef
    assert res.iterations == tight.loc["age", "iter"]
    assert age.coef == pytest.approx(tight.loc["age", "coef"], rel=REL)
    assert age.se == pytest.approx(tight.loc["age", "se"], rel=REL)
    assert res.loglik == pytest.approx(tight.loc["age", "loglik1"], rel=REL)
    assert any("separation" in w and "arm: B vs A" in w for w in res.warnings)
    assert res.to_frame().set_index("term").loc["arm: B vs A", "separated"]


def test_level_without_events_is_flagged():
    d = load("veterans")
    # a new level whose patients are all censored
    d.loc[d.index[:6], "celltype"] = "rare"
    d.loc[d.index[:6], "status"] = 0
    res = cox_fit(d, "time", "status", ["karno", "celltype"], reference={"celltype": "large"})
    assert res.separation
    assert "celltype: rare vs large" in res.separated_terms
    assert "karno" not in res.separated_terms


def test_penalized_firth_refit_is_finite_and_stationary():
    """Firth's penalised likelihood l(b) + 0.5 log det I(b): at the estimate its gradient,
    checked by central finite differences of our own log-likelihood, is zero."""
    d = pd.read_csv(REF / "separation.csv")
    res = cox_fit(d, "time", "event", ["arm", "age"], penalized=True)
    assert res.penalized
    assert res.separation  # the ordinary fit separates; the refit is labelled
    assert res.converged
    arm = res.terms[0]
    assert 1 < arm.coef < 10
    assert np.isfinite(arm.se) and arm.se < 5
    assert any("Firth" in w for w in res.warnings)

    x = np.column_stack([(d.arm == "B").to_numpy(float), d.age.to_numpy(float)])
    rs = _RiskSets(d.time.to_numpy(float), d.event.to_numpy(float), x, "efron")
    beta = np.array([t.coef for t in res.terms])

    def pl(b):
        ll, _u, imat = rs.derivs(b)
        return ll + 0.5 * np.linalg.slogdet(imat)[1]

    h = 1e-5
    grad = [(pl(beta + h * e) - pl(beta - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.max(np.abs(grad)) < 1e-5
    assert res.loglik == pytest.approx(pl(beta), rel=1e-12)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_firth_gradient_matches_finite_differences(ties):
    """The analytic d/db 0.5 log det I(b) against central differences at an arbitrary b."""
    d = load("rossi")  # many tied weeks: exercises the Efron fractions
    x = (
        d[["fin", "age", "prio_group"]]
        .assign(p0=(d.prio_group == "0").astype(float), p4=(d.prio_group == "4+").astype(float))[
            ["fin", "age", "p0", "p4"]
        ]
        .to_numpy(float)
    )
    rs = _RiskSets(d.week.to_numpy(float), d.arrest.to_numpy(float), x, ties)
    beta = np.array([-0.3, -0.05, 0.4, 0.2])
    imat = rs.derivs(beta)[2]
    analytic = _firth_gradient(rs, beta, imat)

    def half_logdet(b):
        return 0.5 * np.linalg.slogdet(rs.derivs(b)[2])[1]

    h = 1e-6
    numeric = np.array([(half_logdet(beta + h * e) - half_logdet(beta - h * e)) / (2 * h)
                        for e in np.eye(4)])  # fmt: skip
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_events_per_variable_warning():
    res = fit("rossi", "efron")
    assert res.events_per_variable == pytest.approx(114 / 8)
    assert not any("events per variable" in w for w in res.warnings)
    d = load("rossi").iloc[:80]
    small = cox_fit(d, "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro"])
    assert small.events_per_variable == pytest.approx(small.events / 6)
    assert small.events_per_variable < 10
    assert any("events per variable" in w for w in small.warnings)


def brute_concordance(time, event, lp):
    """O(n^2) Harrell's C with R's pair rules, and R's dfbeta-based standard error."""
    n = len(time)
    conc, disc, tied = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i:
                continue
            if time[j] > time[i] or (time[j] == time[i] and not event[j]):
                if lp[i] > lp[j]:
                    conc[[i, j]] += 1
                elif lp[i] < lp[j]:
                    disc[[i, j]] += 1
                else:
                    tied[[i, j]] += 1
    c, d, t = conc.sum() / 2, disc.sum() / 2, tied.sum() / 2
    npair = c + d + t
    somer = (c - d) / npair
    dfbeta = (conc - disc) / npair - somer / npair * (conc + disc + tied)
    return (somer + 1) / 2, np.sqrt((dfbeta**2).sum() / 4)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_concordance_matches_pairwise_definition_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 57
    time = rng.integers(1, 12, n).astype(float)  # heavy ties in time
    event = rng.random(n) < 0.6
    lp = rng.integers(0, 5, n).astype(float)  # heavy ties in the predictor
    c, se = concordance(time, event.astype(float), lp)
    bc, bse = brute_concordance(time, event, lp)
    assert c == pytest.approx(bc, rel=1e-12)
    assert se == pytest.approx(bse, rel=1e-12)


def test_incomplete_rows_dropped_and_counted():
    d = load("lung")
    assert d.ph_ecog.isna().sum() == 1
    res = cox_fit(d, "time", "status", ["age", "ph_ecog"])
    assert (res.n, res.dropped) == (227, 1)


def test_no_events_raises():
    d = load("rossi").assign(arrest=0)
    with pytest.raises(AnalysisError, match=r"'arrest' has no events among the 432"):
        cox_fit(d, "week", "arrest", ["fin"])


def test_constant_covariate_raises():
    d = load("rossi").assign(fin=1)
    with pytest.raises(AnalysisError, match=r"Covariate 'fin' is constant \(1\.0\)"):
        cox_fit(d, "week", "arrest", ["fin", "age"])
    d = load("rossi").assign(prio_group="0")
    with pytest.raises(AnalysisError, match=r"'prio_group' has a single level \('0'\)"):
        cox_fit(d, "week", "arrest", ["prio_group"])


def test_fewer_rows_than_terms_raises():
    d = load("veterans").groupby("celltype").head(1)  # one row per cell type
    with pytest.raises(AnalysisError, match=r"5 coefficients but only 4 complete rows"):
        cox_fit(d, "time", "status", ["karno", "age", "celltype"])


def test_collinear_covariates_raise():
    d = load("rossi").assign(age2=lambda f: 2 * f.age + 1)
    with pytest.raises(AnalysisError, match=r"'age2' is collinear"):
        cox_fit(d, "week", "arrest", ["age", "age2"])


def test_bad_input_raises_input_error():
    d = load("rossi")
    with pytest.raises(InputError, match="missing_col"):
        cox_fit(d, "week", "arrest", ["missing_col"])
    with pytest.raises(InputError, match=r"Reference level 'zz' for column 'prio_group'"):
        cox_fit(d, "week", "arrest", ["prio_group"], reference={"prio_group": "zz"})
    with pytest.raises(InputError, match="ties must be"):
        cox_fit(d, "week", "arrest", ["fin"], ties="exact")
    bad = d.assign(arrest=d.arrest.replace({1: 2}))
    with pytest.raises(InputError, match="'arrest'"):
        cox_fit(bad, "week", "arrest", ["fin"])
    with pytest.raises(AnalysisError, match="at least one covariate"):
        cox_fit(d, "week", "arrest", [])


def test_row_order_does_not_matter():
    d = load("gbsg2")
    spec = SPECS["gbsg2"]
    a = cox_fit(d, spec[1], spec[2], spec[3], reference=spec[4])
    shuffled = d.sample(frac=1.0, random_state=7)
    b = cox_fit(shuffled, spec[1], spec[2], spec[3], reference=spec[4])
    for x, y in zip(a.terms, b.terms, strict=True):
        assert x.coef == pytest.approx(y.coef, rel=1e-10)
    assert a.concordance_se == pytest.approx(b.concordance_se, rel=1e-10)


def test_near_equal_times_are_tied_as_r_timefix():
    """R's coxph(timefix = TRUE) applies aeqSurv: times within sqrt(machine eps) are equal, so
    0.1 + 0.2 and 0.3 are one tied time, as they are in R."""
    d = load("rossi")
    clean = cox_fit(d, "week", "arrest", ["fin", "age"])
    noisy = d.assign(week=d.week * (1 + 1e-12 * np.random.default_rng(5).standard_normal(len(d))))
    fuzzy = cox_fit(noisy, "week", "arrest", ["fin", "age"])
    for a, b in zip(clean.terms, fuzzy.terms, strict=True):
        assert a.coef == pytest.approx(b.coef, rel=1e-9)
    assert clean.concordance == pytest.approx(fuzzy.concordance, rel=1e-12)


def test_score_test_equals_logrank_without_ties():
    """Without tied times the Cox score test of one binary covariate is the log-rank test
    (R: ``summary(coxph(Surv(t, e) ~ g))$sctest`` == ``survdiff(Surv(t, e) ~ g)$chisq``)."""
    from hccdash.compare import survdiff

    rng = np.random.default_rng(11)
    n = 80
    g = rng.choice(["a", "b"], n)
    t = rng.exponential(np.where(g == "b", 8.0, 12.0))
    e = (rng.random(n) < 0.7).astype(int)
    d = pd.DataFrame({"t": t, "e": e, "g": g})
    lr = survdiff(d, "t", "e", "g")
    for ties in ("efron", "breslow"):
        res = cox_fit(d, "t", "e", ["g"], ties=ties)
        assert res.score.chisq == pytest.approx(lr.chisq, rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(15, 60),
    shift=st.floats(-50, 50),
    scale=st.floats(0.1, 10),
)
def test_fit_invariances(seed, n, shift, scale):
    """Properties of the partial likelihood: shifting a covariate leaves its coefficient
    unchanged; scaling it by c divides the coefficient by c; without ties Efron = Breslow;
    the concordance lies in [0, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.integers(0, 2, n)
    t = rng.exponential(np.exp(-0.5 * x)) + 1e-3  # continuous: no ties
    e = (rng.random(n) < 0.8).astype(int)
    e[0] = 1
    z[:2] = [0, 1]
    d = pd.DataFrame({"t": t, "e": e, "x": x, "z": z})
    base = cox_fit(d, "t", "e", ["x", "z"])
    assume(base.converged and not base.separation)
    moved = cox_fit(d.assign(x=d.x * scale + shift), "t", "e", ["x", "z"])
    assert moved.terms[0].coef == pytest.approx(base.terms[0].coef / scale, rel=1e-7, abs=1e-9)
    assert moved.terms[1].coef == pytest.approx(base.terms[1].coef, rel=1e-7, abs=1e-9)
    assert moved.loglik == pytest.approx(base.loglik, rel=1e-10)
    breslow = cox_fit(d, "t", "e", ["x", "z"], ties="breslow")
    assert breslow.terms[0].coef == pytest.approx(base.terms[0].coef, rel=1e-10, abs=1e-12)
    assert 0 <= base.concordance <= 1
    assert base.concordance == pytest.approx(moved.concordance, rel=1e-12)


def test_non_convergence_is_flagged(monkeypatch):
    """With the iteration cap forced to 1 the fit stops after one Newton step, as R's
    ``coxph(..., control = coxph.control(iter.max = 1))`` ("Ran out of iterations and did not
    converge"; coefficients in nonconverged_r.csv); we return that step, flagged."""
    import hccdash.cox.newton as newton

    monkeypatch.setattr(newton, "MAX_ITER", 1)
    res = fit("rossi", "efron")
    assert not res.converged
    assert res.iterations == 1
    assert any("did not converge" in w for w in res.warnings)
    r = pd.read_csv(REF / "nonconverged_r.csv")
    np.testing.assert_allclose([t.coef for t in res.terms], r.coef, rtol=REL)


def naive_derivs(time, event, x, beta, ties):
    """Textbook per-event-time loops (Therneau & Grambsch, ch. 3) for the Efron/Breslow
    partial log-likelihood, score and information."""
    eta = x @ beta
    r = np.exp(eta)
    loglik, u, imat = 0.0, np.zeros(x.shape[1]), np.zeros((x.shape[1], x.shape[1]))
    for t in np.unique(time[event == 1]):
        risk = time >= t
        dead = (time == t) & (event == 1)
        d = int(dead.sum())
        loglik += eta[dead].sum()
        u += x[dead].sum(axis=0)
        for k in range(d):
            f = k / d if ties == "efron" else 0.0
            w = r * (risk - f * dead)
            s0 = w.sum()
            mean = w @ x / s0
            loglik -= np.log(s0)
            u -= mean
            imat += (x * w[:, None]).T @ x / s0 - np.outer(mean, mean)
    return loglik, u, imat


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_vectorised_derivatives_equal_textbook_loops(ties):
    rng = np.random.default_rng(21)
    n = 70
    time = rng.integers(1, 15, n).astype(float)  # many tied event sets
    event = (rng.random(n) < 0.7).astype(float)
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.integers(0, 3, n)])
    beta = np.array([0.4, -0.7, 0.25])
    rs = _RiskSets(time, event, x, ties)
    ll, u, imat = rs.derivs(beta)
    # _RiskSets centres x (as R's coxfit6 does), so the loops get the same centred x
    nll, nu, nimat = naive_derivs(time, event, x - x.mean(axis=0), beta, ties)
    assert ll == pytest.approx(nll, rel=1e-12)
    np.testing.assert_allclose(u, nu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(imat, nimat, rtol=1e-10)


def test_no_information_raises():
    """Only the last patient has an event, so every risk set at an event time is one patient.
    R: ``coxph(Surv(t, e) ~ x, d)`` warns "Ran out of iterations and did not converge" and
    returns coef 0 with variance 0 (no information); we refuse with the reason."""
    d = pd.DataFrame({"t": [1.0, 2, 3, 4, 5], "e": [0, 0, 0, 0, 1], "x": [1.0, 3, 2, 5, 4]})
    with pytest.raises(AnalysisError, match=r"Term 'x' cannot be estimated"):
        cox_fit(d, "t", "e", ["x"])


def test_conf_level_matches_r():
    """R: ``summary(coxph(Surv(time, status) ~ karno + age + celltype + trt, data = d,
    control = coxph.control(eps = 1e-12, iter.max = 100)), conf.int = 0.9)$conf.int``."""
    res = fit("veterans", "efron", conf_level=0.9)
    r = pd.read_csv(REF / "veterans_ci90_r.csv")
    assert res.conf_level == 0.9
    np.testing.assert_allclose([t.lower for t in res.terms], r.lower, rtol=REL)
    np.testing.assert_allclose([t.upper for t in res.terms], r.upper, rtol=REL)
