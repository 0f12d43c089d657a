"""Write ui_cohort.csv: the seeded synthetic cohort the baseline/response R reference reads.

Run once: ``python tests/reference/make_ui_cohort.py``, then
``Rscript tests/reference/ui_baseline_response.R > tests/reference/ui_baseline_response.json``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261127)
n = 40
resp = np.array(["CR", "PR", "SD", "PD"], dtype=object)
frame = pd.DataFrame(
    {
        "patient_id": [f"U{i:02d}" for i in range(1, n + 1)],
        "age_years": rng.integers(38, 78, n),
        "albumin": np.round(rng.normal(38.0, 5.0, n), 2),
        "sex": rng.choice(["Male", "Female"], n, p=[0.8, 0.2]),
        "child_pugh": rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1]),
        "kps": rng.choice([60, 70, 80, 90, 100], n),
        "pvtt": rng.choice(["Yes", "No"], n, p=[0.3, 0.7]),
        "ascites": rng.choice(["Yes", "No"], n, p=[0.3, 0.7]),
        "treatment": rng.choice(["IMRT+TACE", "IMRT"], n, p=[0.65, 0.35]),
        "metastatic_site": rng.choice(["Lung", "Lymph node", "Bone", "Adrenal"], n),
        "os_months": np.round(rng.exponential(20.0, n) + 0.5, 1),
        "os_event": rng.choice([0, 1], n, p=[0.2, 0.8]),
        "pfs_months": np.round(rng.exponential(9.0, n) + 0.5, 1),
        "pfs_event": rng.choice([0, 1], n, p=[0.1, 0.9]),
        "intrahepatic_response": rng.choice(resp, n, p=[0.15, 0.6, 0.15, 0.1]),
        "extrahepatic_response": rng.choice(resp, n, p=[0.3, 0.45, 0.15, 0.1]),
        "tox_nausea": rng.choice([0, 1, 2, 3], n, p=[0.3, 0.5, 0.15, 0.05]),
    }
)
frame.loc[[3, 17], "extrahepatic_response"] = "NE"
frame.loc[[5], "albumin"] = np.nan
frame.to_csv(Path(__file__).with_name("ui_cohort.csv"), index=False)
