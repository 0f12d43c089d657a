"""Risk groups from out-of-fold predictions, with their Kaplan-Meier curves and log-rank test."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.compare import SurvdiffResult, survdiff
from hccdash.errors import AnalysisError, InputError
from hccdash.models.data import ModelData
from hccdash.models.validation import ValidationResult
from hccdash.nonparametric import KMResult, kaplan_meier
from hccdash.schema import PATIENT_ID


@dataclass(frozen=True)
class RiskGroups:
    """Patients split by their out-of-fold predicted risk, with KM curves and a log-rank test.

    Attributes
    ----------
    model, label : str
    levels : tuple of str
        Group labels from lowest to highest predicted risk.
    groups : tuple of str
        Group per modelled patient (``""`` when the patient had no out-of-fold prediction).
    ids : tuple of str
    oof_risk : numpy.ndarray
        Mean out-of-fold risk percentile per patient.
    km : hccdash.nonparametric.KMResult or None
    test : hccdash.compare.SurvdiffResult or None
    messages : tuple of str
    """

    model: str
    label: str
    levels: tuple[str, ...]
    groups: tuple[str, ...]
    ids: tuple[str, ...]
    oof_risk: np.ndarray = field(compare=False)
    km: KMResult | None = field(default=None, compare=False)
    test: SurvdiffResult | None = field(default=None, compare=False)
    messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """patient_id, oof_risk, risk_group."""
        return pd.DataFrame(
            {PATIENT_ID: list(self.ids), "oof_risk": self.oof_risk, "risk_group": list(self.groups)}
        )


RISK_LEVELS = {2: ("Lower risk", "Higher risk"), 3: ("Low risk", "Intermediate risk", "High risk")}


def risk_groups(
    md: ModelData, validation: ValidationResult, n_groups: int | None = None
) -> RiskGroups:
    """Split patients by out-of-fold risk: tertiles, or halves for small cohorts.

    Parameters
    ----------
    md : ModelData
        The design ``validation`` was computed on.
    validation : ValidationResult
        A cross-validation result (its ``oof_risk``).
    n_groups : {2, 3}, optional
        Default: 3 when ``n >= 30`` and at least 15 events, else 2.
    """
    k = n_groups or (3 if md.n >= 30 and md.events >= 15 else 2)
    if k not in RISK_LEVELS:
        raise InputError(f"n_groups must be 2 or 3, got {k!r}.")
    levels = RISK_LEVELS[k]
    risk = np.asarray(validation.oof_risk, dtype=float)
    ok = ~np.isnan(risk) if len(risk) == md.n else np.zeros(md.n, dtype=bool)
    groups = np.full(md.n, "", dtype=object)
    msgs = []
    if ok.sum() < k:
        msgs.append(
            f"Risk groups need out-of-fold predictions for at least {k} patients; "
            f"{int(ok.sum())} have one (the model could not be fitted in the folds)."
        )
        return RiskGroups(
            validation.model, validation.label, levels, tuple(groups), md.ids, risk, None, None,
            tuple(msgs),
        )  # fmt: skip
    # Equal-sized groups: quantile bins of the ranks (ties broken by patient order).
    r = pd.Series(risk[ok]).rank(method="first")
    bins = pd.qcut(r, k, labels=list(levels))
    groups[ok] = bins.astype(str).to_numpy()
    if (~ok).any():
        msgs.append(
            f"{int((~ok).sum())} patient(s) had no out-of-fold prediction and are left out."
        )
    frame = pd.DataFrame(
        {
            PATIENT_ID: list(md.ids),
            md.time_column: md.time,
            md.event_column: md.event.astype(int),
            "risk_group": groups,
        }
    )[ok]
    test = None
    km = kaplan_meier(frame, md.time_column, md.event_column, group="risk_group", levels=levels)
    try:
        test = survdiff(frame, md.time_column, md.event_column, "risk_group", levels=levels)
    except AnalysisError as exc:
        msgs.append(f"Log-rank test not available: {exc}")
    return RiskGroups(
        validation.model, validation.label, levels, tuple(groups), md.ids, risk, km, test,
        tuple(msgs),
    )  # fmt: skip
