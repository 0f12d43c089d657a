"""``analyze``'s output: JSON-safe numbers, the KM and Cox blocks, the text table."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _num(x: object) -> float | int | None:
    """A JSON-safe number: None for missing/NaN/inf, ints stay ints."""
    if x is None:
        return None
    if isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, int | np.integer):
        return int(x)
    value = float(x)  # type: ignore[arg-type]
    return value if math.isfinite(value) else None


def _chisq(t: object) -> dict[str, object]:
    return {"chisq": _num(t.chisq), "df": _num(t.df), "p_value": _num(t.p_value)}  # type: ignore[attr-defined]


def _km_json(km: Any, args: argparse.Namespace) -> dict[str, object]:
    """n, events, dropped, conf_type, conf_level and one ``km`` entry per curve."""
    from hccdash.nonparametric import median_survival, rmst, survival_at

    entries = []
    for curve in km.curves:
        med = median_survival(curve)
        at = []
        if args.times:
            s = survival_at(curve, args.times)
            at = [
                {
                    "time": _num(s.time[i]),
                    "n_risk": _num(s.n_risk[i]),
                    "n_event": _num(s.n_event[i]),
                    "n_censor": _num(s.n_censor[i]),
                    "survival": _num(s.surv[i]),
                    "lower": _num(s.lower[i]),
                    "upper": _num(s.upper[i]),
                }
                for i in range(len(s.time))
            ]
        rm = None
        if args.tau is not None:
            r = rmst(curve, args.tau)
            rm = {"tau": _num(r.tau), "estimate": _num(r.estimate), "se": _num(r.se)}
        entries.append(
            {
                "group": curve.group,
                "n": _num(curve.n),
                "events": _num(curve.events),
                "median": _num(med.median),
                "median_lower": _num(med.lower),
                "median_upper": _num(med.upper),
                "at": at,
                "rmst": rm,
            }
        )
    return {
        "n": _num(km.n),
        "events": _num(km.events),
        "dropped": _num(km.dropped),
        "conf_type": km.conf_type,
        "conf_level": _num(km.conf_level),
        "km": entries,
    }


def _cox_block(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: str,
    conf_level: float,
    **ext: str | None,
) -> dict[str, object]:
    from hccdash.cox import cox_fit, cox_zph

    fit = cox_fit(data, time, event, covariates, ties=ties, conf_level=conf_level, **ext)
    # R's cox.zph of the (stratified / counting / weighted) model
    ph = cox_zph(data, time, event, covariates, ties=ties, strata=ext.get("strata"),
                 start=ext.get("start"), weights=ext.get("weights"))  # fmt: skip
    return _cox_json(fit, ph)


def _cox_json(fit: Any, ph: Any | None) -> dict[str, object]:
    """The ``cox`` block; ``ph`` None (engine fits): ``ph_test`` is []."""
    terms = [
        {
            "term": t.term,
            "coef": _num(t.coef),
            "se": _num(t.se),
            "hr": _num(t.hr),
            "lower": _num(t.lower),
            "upper": _num(t.upper),
            "z": _num(t.z),
            "p_value": _num(t.p_value),
            # only where R reports it (robust fits), so plain output keeps its keys
            **({"robust_se": _num(t.robust_se)} if t.robust_se is not None else {}),
        }
        for t in fit.terms
    ]
    extra = {"robust_score": _chisq(fit.robust_score)} if getattr(fit, "robust_score", None) else {}
    return {
        "ties": fit.ties,
        "n": _num(fit.n),
        "events": _num(fit.events),
        "terms": terms,
        "concordance": _num(fit.concordance),
        "concordance_se": _num(fit.concordance_se),
        "likelihood_ratio": _chisq(fit.likelihood_ratio),
        "wald": _chisq(fit.wald),
        "score": _chisq(fit.score),
        "ph_test": [{"term": r.term, **_chisq(r)} for r in ph.rows] if ph is not None else [],
        **extra,
    }


def _table(result: dict[str, object]) -> str:
    """Plain-text tables of the same numbers (``--format table``)."""
    import pandas as pd

    lines = [
        f"n = {result['n']}, events = {result['events']}, dropped = {result['dropped']}, "
        f"CI {result['conf_level']} ({result['conf_type']})",
        "",
    ]
    km = pd.DataFrame(
        [{k: v for k, v in e.items() if k not in ("at", "rmst")} for e in result["km"]]  # type: ignore[union-attr]
    )
    lines += ["Kaplan-Meier medians", km.to_string(index=False), ""]
    at = [dict(a, group=e["group"]) for e in result["km"] for a in e["at"]]  # type: ignore[union-attr,index]
    if at:
        lines += ["Survival at times", pd.DataFrame(at).to_string(index=False), ""]
    rm = [dict(e["rmst"], group=e["group"]) for e in result["km"] if e["rmst"]]  # type: ignore[union-attr,index]
    if rm:
        lines += ["Restricted mean survival", pd.DataFrame(rm).to_string(index=False), ""]
    for key in ("test", "trend"):
        if key in result:
            lines += [f"{key}: " + ", ".join(f"{k} = {v}" for k, v in result[key].items()), ""]  # type: ignore[union-attr]
    if "cox" in result:
        cox = result["cox"]
        lines += [
            f"Cox model ({cox['ties']} ties), n = {cox['n']}, events = {cox['events']}",  # type: ignore[index]
            pd.DataFrame(cox["terms"]).to_string(index=False),  # type: ignore[index]
            f"concordance = {cox['concordance']} (se {cox['concordance_se']})",  # type: ignore[index]
        ]
        for key in ("likelihood_ratio", "wald", "score"):
            lines.append(f"{key}: " + ", ".join(f"{k} = {v}" for k, v in cox[key].items()))  # type: ignore[index]
        lines += ["PH test (cox.zph)", pd.DataFrame(cox["ph_test"]).to_string(index=False)]  # type: ignore[index]
    if "cif" in result:
        from hccdash.competing.cli import table_lines

        lines += ["", *table_lines(result)]
    return "\n".join(lines).rstrip() + "\n"
