"""Export the public datasets shipped inside installed Python packages to CSV.

R (``km_reference.R``) and the Python tests read these same files, so both sides compute on
identical numbers. Run from the repository root: ``python tests/reference/km/export_data.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent / "data"


def main() -> None:
    from lifelines.datasets import load_lung, load_waltons

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sksurv.datasets import load_gbsg2, load_veterans_lung_cancer

    HERE.mkdir(exist_ok=True)
    # lung (NCCTG advanced lung cancer; lifelines copy, status coded 0/1)
    lung = load_lung()[["time", "status", "sex", "ph.ecog", "age"]].rename(
        columns={"ph.ecog": "ph_ecog"}
    )
    lung.to_csv(HERE / "lung.csv", index=False)
    # waltons (fruit-fly lifespans, heavily tied)
    load_waltons().rename(columns={"T": "time", "E": "status"}).to_csv(
        HERE / "waltons.csv", index=False
    )
    # veterans (VA lung cancer trial; scikit-survival copy)
    x, y = load_veterans_lung_cancer()
    vet = pd.DataFrame(
        {
            "time": y["Survival_in_days"],
            "status": y["Status"].astype(int),
            "trt": x["Treatment"].astype(str),
            "celltype": x["Celltype"].astype(str),
            "prior": x["Prior_therapy"].astype(str),
        }
    )
    vet.to_csv(HERE / "veterans.csv", index=False)
    # gbsg2 (German Breast Cancer Study Group 2; scikit-survival copy)
    x, y = load_gbsg2()
    gbsg = pd.DataFrame(
        {
            "time": y["time"],
            "status": y["cens"].astype(int),
            "horTh": x["horTh"].astype(str),
            "tgrade": x["tgrade"].astype(str).map({"I": 1, "II": 2, "III": 3}).astype(np.int64),
            "menostat": x["menostat"].astype(str),
        }
    )
    gbsg.to_csv(HERE / "gbsg2.csv", index=False)
    # floating-point near-ties (R's timefix / aeqSurv merges them): times in months computed
    # two ways, plus sub-tolerance noise; written with 17 digits so R reads the same doubles
    rng = np.random.default_rng(2024)
    days = rng.integers(1, 400, 120)
    months = np.where(rng.random(120) < 0.5, days / 30.4375, days * (1 / 30.4375))
    months[:10] = months[:10] + rng.choice([0.0, 1e-12, 3e-9], 10)
    near = pd.DataFrame(
        {
            "time": months,
            "status": rng.integers(0, 2, 120),
            "arm": rng.choice(["x", "y"], 120),
        }
    )
    near.to_csv(HERE / "nearties.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
