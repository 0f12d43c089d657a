"""About: methods, citations, software versions, the reconstruction disclaimer, privacy."""

import pandas as pd
import streamlit as st

from hccdash.cohort.bundled import codebook as bundled_codebook
from hccdash.ui.common import esc_md
from hccdash.ui.state import ensure_app_router
from hccdash.versions import package_versions

ensure_app_router()  # a deep link to /about on a fresh server still gets the router

st.title("About hccdash")

st.header("Methods")
st.markdown(
    """
- **Kaplan-Meier** estimates with Greenwood variance, as R `survfit(Surv(time, event) ~ group)`.
  Pointwise confidence intervals use the **log-log** transform by default (as Stata, SAS and
  lifelines); R's default is `conf.type = "log"`, SPSS prints no pointwise band. Both other
  transforms ("log", "plain") are available on the Kaplan-Meier page.
- **Median survival** follows R's rule (the first time S(t) ≤ 0.5, averaged where the curve is
  flat at exactly 0.5); its CI is where the confidence band crosses 0.5. "NR" means not
  reached.
- **Landmark survival** at chosen times as R `summary(fit, times = ...)`.
- **Group comparisons**: the log-rank test (R `survdiff`, rho = 0), Gehan-Breslow
  (generalised Wilcoxon), Tarone-Ware, Peto-Peto and Fleming-Harrington (p, q) weighted tests;
  a test for trend across ordered levels; pairwise tests with Holm or Benjamini-Hochberg
  adjustment (as `survminer::pairwise_survdiff`).
- **Cox regression** with Efron ties by default (R `coxph` and lifelines; SPSS uses
  Breslow, also available here): hazard ratios with Wald CIs, likelihood-ratio, Wald and score
  tests, Harrell's concordance, the proportional-hazards test on scaled Schoenfeld residuals
  (R ≥ 3.0 `cox.zph`, KM time transform), and warnings for few events per variable and for
  separation (monotone likelihood), where Firth's penalised fit is offered.
- **Response**: RECIST 1.1 best response; objective response rate (CR + PR) and disease
  control rate (CR + PR + SD) with **exact Clopper-Pearson** 95% CIs (R `binom.test`).
  Not-evaluable patients are left out of the denominator and counted separately.
- **Baseline table**: Fisher's exact test (2×2), Fisher-Freeman-Halton exact test (larger
  tables; Pearson chi-square above 300 patients), Mann-Whitney U (R `wilcox.test` rule for
  exact vs normal p) and Kruskal-Wallis for numeric variables.

The paper analysed its data with SPSS 23: its log-rank test equals ours; its Cox model used
Breslow ties and its "RR" column is largely a Wald statistic (see "Reproduce the paper").
"""
)

st.header("Citations")
st.markdown(
    """
- Luo Y, Huang X, Chen J, Zhang S. Evaluation of the clinical efficacy of intensity-modulated
  radiotherapy combined with transcatheter arterial chemoembolization for hepatocellular
  carcinoma with extrahepatic oligometastasis and prognostic factors for patient survival.
  *International Journal of General Medicine* (Dovepress).
- Therneau T. *A Package for Survival Analysis in R* (R package `survival`); Therneau TM,
  Grambsch PM. *Modeling Survival Data: Extending the Cox Model*. Springer, 2000.
- Pölsterl S. scikit-survival: a library for time-to-event analysis built on top of
  scikit-learn. *Journal of Machine Learning Research* 2020;21(212):1-6.
- Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of
  the binomial. *Biometrika* 1934;26:404-413.
"""
)

st.header("The bundled cohort")
st.warning(esc_md(bundled_codebook().notice or ""), icon=":material/science:")

st.header("Privacy")
st.markdown(
    "hccdash sends no telemetry (Streamlit usage statistics are switched off) and fetches "
    "nothing from the internet: icons and fonts are served by this server. An uploaded file "
    "is read into this browser session's memory on the server you run; it is never written "
    "to disk. Results computed from it are cached for this session only and are released "
    "when the session ends. A shared deployment can require sign-in with the institution's "
    "account (OpenID Connect) and limit it to listed e-mail addresses or domains."
)

st.header("Software versions")
# The same list as every export's methods text (hccdash.versions).
st.dataframe(
    pd.DataFrame(
        [{"package": p.name, "version": p.version, "used for": p.role} for p in package_versions()]
    ),
    hide_index=True,
    key="about_versions",
)
