"""The paper's overall figures and its response, pain-relief and toxicity counts, published
vs computed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hccdash.cohort.published import load_published
from hccdash.nonparametric import kaplan_meier, survival_at
from hccdash.reproduce_common import OVERALL_MEDIAN_TOL, RATE_TOL, _median, _row
from hccdash.schema import OS, PFS


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
