"""The bundled cohort's own knowledge, read from its codebook (``data/*.codebook.json``).

Generic code takes factors, references, groupings and endpoints from ``cohort.factors()`` /
``cohort.endpoints()``; this module keeps the bundled cohort's lists for its own code (the
Reproduce page, its tests and the reconstruction) under their historical names.
"""

from __future__ import annotations

from functools import cache

from hccdash.codebook import Codebook
from hccdash.schema import BUNDLED_CSV, Factor, codebook_path, factor_of

REPRODUCE_TITLE = "Reproduce the paper"
REPRODUCE_LINK = "How it was reconstructed and how close it is: Reproduce the paper"
# The paper's Table 1 has these factors, in this order (the first eleven of the codebook).
_TABLE1 = (
    "age_years", "sex", "child_pugh", "pvtt", "kps", "cirrhosis", "treatment",
    "metastatic_site", "rt_dose_gy", "failure_pattern", "ascites",
)  # fmt: skip


@cache
def codebook() -> Codebook:
    return Codebook.read(codebook_path(BUNDLED_CSV))


def _factors() -> tuple[Factor, ...]:
    cb = codebook()
    out = []
    for name in _TABLE1:
        v = cb.variable(name)
        if v is None:
            raise LookupError(f"the bundled codebook lacks the Table 1 variable {name!r}")
        out.append(factor_of(v))
    return tuple(out)


PAPER_FACTORS: tuple[Factor, ...] = _factors()
# The covariates of the paper's Table 2 (entered because univariate p <= 0.05).
PAPER_COX_FACTORS: tuple[str, ...] = codebook().default_model
