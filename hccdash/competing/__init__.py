"""Competing risks, exact to R's ``cmprsk``: cumulative incidence, Gray's test, Fine-Gray.

Imports no streamlit and nothing of the bundled paper. See :mod:`.cuminc`, :mod:`.gray`,
:mod:`.finegray` and :mod:`.data` (the one validation boundary).
"""

from hccdash.competing.cuminc import (
    CIFAt,
    CIFCurve,
    CumIncResult,
    cif_at,
    cif_confint,
    cuminc,
    risk_table,
)
from hccdash.competing.data import EventCodes, code_label, prepare
from hccdash.competing.gray import GrayTest, PairwiseGray, pairwise_gray

__all__ = [
    "CIFAt",
    "CIFCurve",
    "CumIncResult",
    "EventCodes",
    "GrayTest",
    "PairwiseGray",
    "cif_at",
    "cif_confint",
    "code_label",
    "cuminc",
    "pairwise_gray",
    "prepare",
    "risk_table",
]
