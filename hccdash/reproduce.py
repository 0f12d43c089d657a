"""Every figure Luo et al. published beside the value computed from a cohort.

Plain Python (no streamlit): the "Reproduce the paper" page, the generator's report
(``data/reconstruction_report.md``) and the tests all read these tables, so the numbers shown,
documented and asserted are the same. Statistics come from :mod:`hccdash.nonparametric`
(Kaplan-Meier, R's median rule), :mod:`hccdash.compare` (log-rank) and :mod:`hccdash.cox`.

One module per published table: :mod:`hccdash.reproduce_table1` (subgroup medians and
log-rank p), :mod:`hccdash.reproduce_overall` (overall figures, responses, toxicity),
:mod:`hccdash.reproduce_table2` (the Cox model); their shared thresholds and helpers in
:mod:`hccdash.reproduce_common`. This module scores them (:func:`fidelity`), explains the
paper's inconsistencies and re-exports every public name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.cohort.published import load_published
from hccdash.errors import InputError
from hccdash.reproduce_common import (
    ALPHA,
    LOG10_P_TOL,
    MEDIANS_REQUIRED,
    OVERALL_MEDIAN_TOL,
    RATE_TOL,
    SUBGROUP_MEDIAN_TOL,
    factor_levels,
)
from hccdash.reproduce_overall import overall, responses
from hccdash.reproduce_table1 import table1_medians, table1_tests
from hccdash.reproduce_table2 import (
    CHILD_PUGH_SCORE,
    TABLE2_COLUMNS,
    TABLE2_REFERENCE,
    table2,
    table2_data,
)

__all__ = [
    "ALPHA",
    "CHILD_PUGH_SCORE",
    "INCONSISTENCY_EXPLANATIONS",
    "LOG10_P_TOL",
    "MEDIANS_REQUIRED",
    "OVERALL_MEDIAN_TOL",
    "RATE_TOL",
    "SUBGROUP_MEDIAN_TOL",
    "TABLE2_COLUMNS",
    "TABLE2_REFERENCE",
    "Fidelity",
    "factor_levels",
    "fidelity",
    "inconsistencies",
    "overall",
    "responses",
    "table1_medians",
    "table1_tests",
    "table2",
    "table2_data",
]

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
