"""Every figure Luo et al. published beside the value computed from a cohort.

Plain Python (no streamlit): the "Reproduce the paper" page, the generator's report
(``data/reconstruction_report.md``) and the tests all read these tables, so the numbers shown,
documented and asserted are the same. Statistics come from :mod:`hccdash.nonparametric`
(Kaplan-Meier, R's median rule), :mod:`hccdash.compare` (log-rank) and :mod:`hccdash.cox`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.cohort.published import load_published
from hccdash.compare import survdiff
from hccdash.cox import cox_fit
from hccdash.errors import HccdashError, InputError
from hccdash.nonparametric import kaplan_meier, median_survival, survival_at
from hccdash.schema import ENDPOINTS, OS, PFS, Endpoint, Factor

# Fidelity thresholds of the reconstruction (issue 4).
SUBGROUP_MEDIAN_TOL = 2.0  # months
OVERALL_MEDIAN_TOL = 0.5  # months
RATE_TOL = 0.03  # absolute survival probability
MEDIANS_REQUIRED = 44  # of the 48 published (non-missing) subgroup medians
LOG10_P_TOL = 0.1  # median |log10 p - log10 p_published| over the 22 tests
ALPHA = 0.05

_ENDPOINT_KEY = {"pfs": PFS, "os": OS}
# The paper's Table 2 levels: hazard ratios are for the prognostically worse level.
TABLE2_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Child-Pugh class", "child_pugh"),
    ("Tumor thrombus", "pvtt"),
    ("KPS", "kps"),
    ("Treatment (IMRT+TACE vs IMRT)", "treatment"),
    ("Radiotherapy dose", "rt_dose_gy"),
    ("Failure mode", "failure_pattern"),
    ("Ascites", "ascites"),
)
TABLE2_REFERENCE = {
    "pvtt": "No",
    "kps": ">70",
    "treatment": "IMRT+TACE",
    "rt_dose_gy": ">52 Gy",
    "failure_pattern": "Extrahepatic",
    "ascites": "No",
}
CHILD_PUGH_SCORE = {"A": 1.0, "B": 2.0, "C": 3.0}

INCONSISTENCY_EXPLANATIONS: tuple[str, ...] = (
    "Table 1 (n = 14 vs 7) is the one every count in the reconstruction follows; 15 and 6 "
    "cannot both be true, and the abstract agrees with Table 1.",
    "9.1 is the more precise print of the same median; a Kaplan-Meier median is an observed "
    "time, so the text rounded 9.1 to 9. The reconstruction targets 9.1.",
    "A regimen detail that does not affect any analysis; the data dictionary quotes both.",
    "With OS p = 0.007 ascites is significant by the paper's own 0.05 rule, so the text's "
    "'KPS was the only prognostic factor for OS' contradicts Table 2; and its printed value "
    "21.32 is not the Wald chi-square of p = 0.007 (that would be 7.3), so this cell is "
    "garbled either way.",
    "SPSS's Cox output prints B, SE, Wald, df, Sig. and Exp(B). For OS the 'RR' column "
    "equals Wald = (B/SE)^2 of its p with 1 df (8.8 -> 0.003, 3.229 -> 0.072, 3.092 -> "
    "0.079, 3.572 -> 0.059, 1.953 -> 0.162, 0.03 -> 0.863): the authors copied the Wald "
    "column, not Exp(B). The single 1-df value for Child-Pugh also shows class A/B/C was "
    "entered as a numeric score. The PFS column (1.72 with p 0.511) does not fit the Wald "
    "reading and is more likely Exp(B). The page therefore shows our HR, Wald chi-square "
    "and p side by side.",
    "Every death should be either a progression death or one of the 2 'unrelated' deaths, "
    "yet 9 + 9 + 2 = 20 > 18 deaths. Failure mode counts progressions (some progressed "
    "patients are still alive), so the reconstruction has 18 progressions (16 dead, 2 alive), "
    "2 deaths without progression and 1 patient alive without progression.",
    "Possible with 5 patients (PVTT patients progress early but can live long after it), and "
    "its OS p = 0.598 says the OS difference is noise; the reconstruction reproduces it.",
)


def factor_levels(factor: Factor) -> tuple[str, ...]:
    """The factor's levels in the paper's (Table 1) order."""
    if factor.levels:
        return factor.levels
    if factor.cut is not None:
        return factor.cut_labels or (f"≤ {factor.cut:g}", f"> {factor.cut:g}")
    return ()


def _grouped(data: pd.DataFrame, factor: Factor) -> pd.DataFrame:
    """Rows with a (non-excluded) level, with the level in column ``_level``."""
    values = factor.values(data)
    keep = values.notna().to_numpy()
    out = data.loc[keep].copy()
    out["_level"] = values[keep].astype(str).to_numpy()
    return out


def _median(data: pd.DataFrame, endpoint: Endpoint) -> float:
    km = kaplan_meier(data, endpoint.time, endpoint.event)
    m = median_survival(km.curves[0]).median
    return math.nan if m is None else float(m)


def _opt(x: float | None) -> float:
    return math.nan if x is None else float(x)


def table1_medians(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Table 1 per factor level and endpoint: n and median, published vs computed.

    Parameters
    ----------
    data : pandas.DataFrame
        A cohort in the canonical schema.
    published : dict, optional
        The transcribed figures (default: :func:`hccdash.cohort.published.load_published`).

    Returns
    -------
    pandas.DataFrame
        Columns factor, level, endpoint ("PFS"/"OS"), n_published, n, median_published
        (NaN where the paper printed '-'), median (NaN when not reached), delta, within
        (|delta| <= 2 months; NA where the paper printed '-').
    """
    pub = published or load_published()
    rows = []
    for factor, prow in zip(PAPER_FACTORS, pub["table1_univariate"]["factors"], strict=True):
        sub = _grouped(data, factor)
        levels = factor_levels(factor)
        for key in ("pfs", "os"):
            ep = _ENDPOINT_KEY[key]
            km = kaplan_meier(sub, ep.time, ep.event, group="_level", levels=list(levels))
            by_level = {c.group: c for c in km.curves}
            for level, plevel in zip(levels, prow["levels"], strict=True):
                curve = by_level.get(level)
                med = math.nan if curve is None else _opt(median_survival(curve).median)
                want = plevel[f"median_{key}"]
                want = math.nan if want is None else float(want)
                delta = med - want
                rows.append(
                    {
                        "factor": factor.label,
                        "level": level,
                        "endpoint": key.upper(),
                        "n_published": int(plevel["n"]),
                        "n": 0 if curve is None else int(curve.n),
                        "median_published": want,
                        "median": med,
                        "delta": delta,
                        "within": pd.NA
                        if math.isnan(want)
                        else bool(abs(delta) <= SUBGROUP_MEDIAN_TOL),
                    }
                )
    out = pd.DataFrame(rows)
    out["within"] = out["within"].astype("boolean")
    return out


def table1_tests(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Table 1's log-rank p values, published vs computed (R ``survdiff``).

    Failure mode compares the 18 patients who failed ("None" excluded), as the paper did.

    Returns
    -------
    pandas.DataFrame
        Columns factor, endpoint, p_published, chisq, df, p, log10_ratio
        (log10 p - log10 p_published), same_side (both below or both at/above 0.05).
    """
    pub = published or load_published()
    rows = []
    for factor, prow in zip(PAPER_FACTORS, pub["table1_univariate"]["factors"], strict=True):
        sub = _grouped(data, factor)
        for key in ("pfs", "os"):
            ep = _ENDPOINT_KEY[key]
            res = survdiff(sub, ep.time, ep.event, "_level", levels=list(factor_levels(factor)))
            want = float(prow[f"p_{key}"])
            rows.append(
                {
                    "factor": factor.label,
                    "endpoint": key.upper(),
                    "p_published": want,
                    "chisq": float(res.chisq),
                    "df": int(res.df),
                    "p": float(res.p_value),
                    "log10_ratio": math.log10(res.p_value) - math.log10(want),
                    "same_side": bool((res.p_value < ALPHA) == (want < ALPHA)),
                }
            )
    return pd.DataFrame(rows)


def _row(figure, published, computed, tolerance, note=""):
    delta = computed - published
    return {
        "figure": figure,
        "published": float(published),
        "computed": float(computed),
        "delta": float(delta),
        "tolerance": float(tolerance),
        "within": bool(abs(delta) <= tolerance + 1e-12),
        "note": note,
    }


def overall(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Overall figures: deaths, follow-up, median OS/PFS and landmark rates.

    Returns
    -------
    pandas.DataFrame
        Columns figure, published, computed, delta, tolerance, within, note.
    """
    pub = published or load_published()
    co = pub["cohort"]
    rows = [
        _row("Patients", co["n"], len(data), 0),
        _row("Deaths", co["deaths"], int(data[OS.event].sum()), 0),
        _row(
            "Alive at last follow-up",
            co["alive_at_last_follow_up"],
            int((data[OS.event] == 0).sum()),
            0,
        ),
        _row(
            "Shortest follow-up (months)",
            co["follow_up_range_months"][0],
            float(data[OS.time].min()),
            0.05,
        ),
        _row(
            "Longest follow-up (months)",
            co["follow_up_range_months"][1],
            float(data[OS.time].max()),
            0.05,
        ),
        _row(
            "Median follow-up (months)",
            co["median_follow_up_months"],
            float(np.median(data[OS.time])),
            2.0,
            "median of observed OS times (the paper does not say how it was computed)",
        ),
        _row(
            "Median OS (months)",
            pub["overall_survival"]["median_months"],
            _median(data, OS),
            OVERALL_MEDIAN_TOL,
            "R's median rule",
        ),
        _row(
            "Median PFS (months)",
            pub["progression_free_survival"]["median_months"],
            _median(data, PFS),
            OVERALL_MEDIAN_TOL,
            "abstract 9.1; the results text rounds to 9",
        ),
    ]
    for ep, block in ((OS, "overall_survival"), (PFS, "progression_free_survival")):
        rates = pub[block]["landmark_rates"]
        times = [float(t) for t in rates]
        curve = kaplan_meier(data, ep.time, ep.event).curves[0]
        at = survival_at(curve, times)
        for t, want, got in zip(times, rates.values(), at.surv, strict=True):
            rows.append(_row(f"{ep.key.upper()} at {t:g} months", want, float(got), RATE_TOL))
    return pd.DataFrame(rows)


def responses(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """RECIST 1.1 responses, bone pain relief and toxicity counts, published vs computed.

    Extrahepatic ORR is over evaluable patients (response not "NE"); see data/README.md.
    """
    pub = published or load_published()
    rec = pub["response_recist_1_1"]
    rows = []
    intra = data["intrahepatic_response"].astype(str)
    for code in ("CR", "PR", "SD", "PD"):
        rows.append(
            _row(f"Intrahepatic {code}", rec["intrahepatic"][code], int((intra == code).sum()), 0)
        )
    rows.append(
        _row(
            "Intrahepatic ORR",
            rec["intrahepatic"]["orr"],
            round(float(intra.isin(["CR", "PR"]).mean()), 2),
            0.005,
            "(CR + PR) / all patients, rounded as printed",
        )
    )
    extra = data["extrahepatic_response"].astype(str)
    for code in ("CR", "PR"):
        rows.append(
            _row(f"Extrahepatic {code}", rec["extrahepatic"][code], int((extra == code).sum()), 0)
        )
    evaluable = extra[extra != "NE"]
    orr = float(evaluable.isin(["CR", "PR"]).mean()) if len(evaluable) else math.nan
    rows.append(
        _row(
            "Extrahepatic ORR",
            rec["extrahepatic"]["orr"],
            orr,
            0.005,
            f"(CR + PR) / {len(evaluable)} evaluable (NE excluded)",
        )
    )
    bone = data["metastatic_site"].astype(str) == "Bone"
    if "bone_pain_relief" in data:
        rows.append(
            _row(
                "Bone metastases with pain relief",
                rec["bone_pain_relief"]["relieved"],
                int((data.loc[bone, "bone_pain_relief"].astype(str) == "Yes").sum()),
                0,
            )
        )
    tox = pub["toxicity"]
    if "tox_anorexia_nausea_grade" in data:
        gi = pd.to_numeric(data["tox_anorexia_nausea_grade"])
        chest = pd.to_numeric(data["tox_chest_dyspnea_grade"])
        rows.append(
            _row(
                "Mild anorexia/nausea (grade 1-2)",
                tox["mild_anorexia_nausea"],
                int(gi.between(1, 2).sum()),
                0,
            )
        )
        rows.append(
            _row(
                "Mild chest tightness/dyspnoea (grade 1-2)",
                tox["mild_chest_tightness_dyspnea"],
                int(chest.between(1, 2).sum()),
                0,
            )
        )
        rows.append(
            _row("Grade 3-4 toxicity", tox["grade_3_4"], int(((gi >= 3) | (chest >= 3)).sum()), 0)
        )
    if "tace_fever" in data:
        tace = data["treatment"].astype(str) == "IMRT+TACE"
        rows.append(
            _row(
                "TACE patients with fever",
                int(tace.sum()),
                int((data.loc[tace, "tace_fever"].astype(str) == "Yes").sum()),
                0,
                "published: all TACE patients",
            )
        )
    return pd.DataFrame(rows)


def table2_data(data: pd.DataFrame) -> pd.DataFrame:
    """The Table 2 model frame: factor groups as strings, Child-Pugh as its 1-3 score.

    Failure mode "None" is missing here, so the model uses the 18 patients who failed (as the
    paper's Table 2 n column, 9 + 9, implies).
    """
    out = pd.DataFrame(index=data.index)
    for ep in ENDPOINTS:
        out[ep.time] = data[ep.time]
        out[ep.event] = data[ep.event]
    by_col = {f.column: f for f in PAPER_FACTORS}
    for _, col in TABLE2_COLUMNS:
        if col == "child_pugh":
            out[col] = data[col].astype(str).map(CHILD_PUGH_SCORE)
        else:
            out[col] = by_col[col].values(data).astype(object)
    return out


def table2(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Table 2: the paper's 'RR' and p beside our Cox model's HR, Wald chi-square and p.

    One multivariable Cox model per endpoint (Efron ties, as R) on the paper's seven
    covariates; Child-Pugh enters as a 1-3 score (the paper's single 1-df value implies it).

    Returns
    -------
    pandas.DataFrame
        Columns factor, endpoint, term, paper_rr, paper_p, hr, wald_chisq (z^2), p,
        separated, n, events. Empty ``term`` and NaN estimates when a model cannot be fitted
        (its message in ``note``).
    """
    pub = published or load_published()
    frame = table2_data(data)
    covs = [c for _, c in TABLE2_COLUMNS]
    rows = []
    for key in ("pfs", "os"):
        ep = _ENDPOINT_KEY[key]
        sub = frame[[ep.time, ep.event, *covs]]
        try:
            fit = cox_fit(sub, ep.time, ep.event, covs, reference=TABLE2_REFERENCE)
            note = "; ".join(fit.warnings)
        except HccdashError as exc:
            fit, note = None, str(exc)
        for (label, col), prow in zip(
            TABLE2_COLUMNS, pub["table2_multivariate_cox"]["rows"], strict=True
        ):
            term = next((t for t in fit.terms if t.covariate == col), None) if fit else None
            rows.append(
                {
                    "factor": label,
                    "endpoint": key.upper(),
                    "term": "" if term is None else term.term,
                    "paper_rr": float(prow[f"{key}_rr"]),
                    "paper_p": float(prow[f"{key}_p"]),
                    "hr": math.nan if term is None else float(term.hr),
                    "wald_chisq": math.nan if term is None else float(term.z) ** 2,
                    "p": math.nan if term is None else float(term.p_value),
                    "separated": bool(
                        fit is not None and term is not None and term.term in fit.separated_terms
                    ),
                    "n": 0 if fit is None else int(fit.n),
                    "events": 0 if fit is None else int(fit.events),
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def inconsistencies(published: dict | None = None) -> pd.DataFrame:
    """The paper's own inconsistencies (from published.json) with an explanation each."""
    pub = published or load_published()
    items = pub["inconsistencies_in_the_paper"]
    if len(items) != len(INCONSISTENCY_EXPLANATIONS):
        raise InputError(
            f"published.json lists {len(items)} inconsistencies but hccdash.reproduce explains "
            f"{len(INCONSISTENCY_EXPLANATIONS)}. Update INCONSISTENCY_EXPLANATIONS to match."
        )
    return pd.DataFrame({"inconsistency": items, "explanation": list(INCONSISTENCY_EXPLANATIONS)})


@dataclass(frozen=True)
class Fidelity:
    """How closely a cohort reproduces the paper, against issue 4's thresholds."""

    counts_exact: bool
    medians_within: int
    medians_scored: int
    medians_missed: tuple[str, ...]
    p_same_side: int
    p_total: int
    median_abs_log10_p: float
    overall_within: bool
    rates_within: int
    rates_total: int
    rates_missed: tuple[str, ...]
    responses_exact: bool

    @property
    def passes(self) -> bool:
        """All thresholds met (every landmark rate included)."""
        return (
            self.counts_exact
            and self.medians_within >= MEDIANS_REQUIRED
            and self.p_same_side == self.p_total
            and self.median_abs_log10_p <= LOG10_P_TOL
            and self.overall_within
            and self.responses_exact
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: criterion, value, threshold, met."""
        return pd.DataFrame(
            [
                ("Table 1 counts exact", self.counts_exact, True, self.counts_exact),
                (
                    "Subgroup medians within 2 months",
                    self.medians_within,
                    f">= {MEDIANS_REQUIRED} of {self.medians_scored}",
                    self.medians_within >= MEDIANS_REQUIRED,
                ),
                (
                    "Log-rank p on the published side of 0.05",
                    self.p_same_side,
                    f"{self.p_total} of {self.p_total}",
                    self.p_same_side == self.p_total,
                ),
                (
                    "Median |log10 p - log10 p_published|",
                    round(self.median_abs_log10_p, 4),
                    f"<= {LOG10_P_TOL}",
                    self.median_abs_log10_p <= LOG10_P_TOL,
                ),
                (
                    "Overall counts, follow-up and medians",
                    self.overall_within,
                    True,
                    self.overall_within,
                ),
                (
                    "Landmark rates within 0.03",
                    self.rates_within,
                    f"{self.rates_total} of {self.rates_total}",
                    self.rates_within == self.rates_total,
                ),
                (
                    "Response, pain and toxicity counts exact",
                    self.responses_exact,
                    True,
                    self.responses_exact,
                ),
            ],
            columns=["criterion", "value", "threshold", "met"],
        )


def fidelity(data: pd.DataFrame, published: dict | None = None) -> Fidelity:
    """Score a cohort against every published figure (issue 4's acceptance thresholds)."""
    pub = published or load_published()
    med = table1_medians(data, pub)
    tests = table1_tests(data, pub)
    ov = overall(data, pub)
    resp = responses(data, pub)
    counts = med.drop_duplicates(["factor", "level"])
    scored = med[med["median_published"].notna()]
    missed = scored[~scored["within"].fillna(False).astype(bool)]
    rates = ov[ov["figure"].str.contains(" at ")]
    non_rates = ov[~ov["figure"].str.contains(" at ")]
    return Fidelity(
        counts_exact=bool((counts["n"] == counts["n_published"]).all()),
        medians_within=int(scored["within"].fillna(False).astype(bool).sum()),
        medians_scored=len(scored),
        medians_missed=tuple(
            f"{r.factor} {r.level} {r.endpoint}: "
            + ("not reached" if math.isnan(r.median) else f"{r.median:.1f}")
            + f" vs {r.median_published:g}"
            for r in missed.itertuples()
        ),
        p_same_side=int(tests["same_side"].sum()),
        p_total=len(tests),
        median_abs_log10_p=float(np.median(np.abs(tests["log10_ratio"]))),
        overall_within=bool(non_rates["within"].all()),
        rates_within=int(rates["within"].sum()),
        rates_total=len(rates),
        rates_missed=tuple(
            f"{r.figure}: {r.computed:.3f} vs {r.published:g}"
            for r in rates[~rates["within"]].itertuples()
        ),
        responses_exact=bool(resp["within"].all()),
    )
