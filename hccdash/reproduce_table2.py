"""The paper's Table 2 (multivariable Cox), published vs computed: the paper's 'RR' and p beside
our Cox model's HR, Wald chi-square and p.
"""

from __future__ import annotations

import math

import pandas as pd

from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.cohort.published import load_published
from hccdash.cox import cox_fit
from hccdash.errors import HccdashError
from hccdash.reproduce_common import _ENDPOINT_KEY
from hccdash.schema import ENDPOINTS

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
